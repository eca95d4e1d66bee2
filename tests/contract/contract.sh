#!/usr/bin/env bash
# The bpftool contract (issue #7 item 4): the same command lines run with bpftool against the
# kernel and with bombus against its store, and their JSON and output files must be equal
# (after masking what legitimately differs: object ids and durations).
#   usage: contract.sh BOMBUS FIREWALL_OBJ [CONTRACT_OBJ UNTYPED_OBJ]
#   exit 0 = equal, 1 = differ, 77 = skipped (no bpf())
# FIREWALL_OBJ: the example XDP firewall (loadall, pin names, runs, map verbs, map reuse).
# CONTRACT_OBJ: tests/contract/progs/contract.bpf.c (syscall `repeat 0`, tc ctx_in/ctx_out,
# per-CPU maps); UNTYPED_OBJ: untyped.bpf.c (`prog load ... type xdp`). Maps made with
# `map create` (hash, array, per-CPU) need no object.
set -u
bombus=$1
obj=$2
cobj=${3:-}
uobj=${4:-}
if [ "$(id -u)" != 0 ] || ! command -v bpftool >/dev/null || [ ! -d /sys/fs/bpf ]; then
  echo "skipped: needs root, bpftool and /sys/fs/bpf"; exit 77
fi
work=$(mktemp -d /tmp/bombus-contract.XXXXXX)
kdir=/sys/fs/bpf/bombus-contract-$$
cleanup() { rm -rf "$kdir" "$work"; }
trap cleanup EXIT
mkdir -p "$kdir" "$work/b" "$work/out-k" "$work/out-b"
export BOMBUS_ROOT="$work/store"
if ! bpftool prog load "$obj" "$kdir/probe" >/dev/null 2>&1; then
  echo "skipped: the kernel refuses to load $obj here"; exit 77
fi
rm -f "$kdir/probe"

# A TCP packet to port 80 from 10.0.0.1, and one to port 23 (the firewall's blocked port).
pkt() { printf '\x00\x01\x02\x03\x04\x05\x00\x01\x02\x03\x04\x05\x08\x00\x45\x00\x00\x28\x00\x00\x00\x00\x40\x06\x00\x00\x0a\x00\x00\x01\x0a\x00\x00\x02\x04\xd2%b\x00\x00\x00\x00\x00\x00\x00\x00\x50\x02\x20\x00\x00\x00\x00\x00' "$1"; }
pkt '\x00\x50' > "$work/http.bin"
pkt '\x00\x17' > "$work/telnet.bin"

# Masked: ids, durations, and map memlock (the kernel charges its own allocations).
mask() { sed -E 's/"duration":[0-9]+/"duration":D/g; s/"id":[0-9]+/"id":I/g; s/"bytes_memlock":[0-9]+/"bytes_memlock":M/g; s/duration: [0-9]+ns/duration: Dns/'; }
fails=0
json=-j
# run_both LABEL WORDS...: the same words through bpftool (@ROOT@ = its bpffs folder) and bombus
# (@ROOT@ = a folder of the bombus store); masked output (JSON, or text with run_text) and exit
# codes must be equal.
rc_only=
sorted=
# Hash maps iterate in the kernel's (seeded) hash order: compare their dumps as sets.
sort_json() { python3 -c 'import json,sys
for l in sys.stdin.read().splitlines():
    try: v = json.loads(l)
    except ValueError: print(l); continue
    print(json.dumps(sorted(v, key=json.dumps) if isinstance(v, list) else v))'; }
run_sorted() { sorted=1; run_both "$@"; sorted=; }
run_text() { json=; run_both "$@"; json=-j; }
# Failures whose exit code (-errno) must match while bombus's message says more than EINVAL.
run_rc() { rc_only=1; run_both "$@"; rc_only=; }
same_files() {  # LABEL FILE: the same output file written under out-k and out-b
  if cmp -s "$work/out-k/$2" "$work/out-b/$2"; then echo "same  $1"; else echo "DIFF  $1"; fails=$((fails + 1)); fi
}
same_ls() {  # LABEL DIR: the pins a command made (or did not make)
  local k b
  k=$(ls "$kdir/$2" 2>&1 | sed "s|$kdir|R|"); b=$(ls "$work/b/$2" 2>&1 | sed "s|$work/b|R|")
  if [ "$k" == "$b" ]; then echo "same  $1"; else echo "DIFF  $1: $k / $b"; fails=$((fails + 1)); fi
}
run_both() {
  local label=$1; shift
  local k b
  local kw=("${@//@ROOT@/$kdir}") bw=("${@//@ROOT@/$work/b}")
  kw=("${kw[@]//@OUT@/$work/out-k}"); bw=("${bw[@]//@OUT@/$work/out-b}")
  k=$( (bpftool $json "${kw[@]}" 2>&1; echo "rc=$?") | mask)
  b=$( ("$bombus" $json "${bw[@]}" 2>&1; echo "rc=$?") | mask)
  if [ -n "$sorted" ]; then k=$(echo "$k" | sort_json); b=$(echo "$b" | sort_json); fi
  if [ -n "$rc_only" ]; then k=$(echo "$k" | tail -n 1); b=$(echo "$b" | tail -n 1); fi
  if [ "$k" == "$b" ]; then
    echo "same  $label"
  else
    echo "DIFF  $label"; echo "  bpftool: $k"; echo "  bombus:  $b"; fails=$((fails + 1))
  fi
}

run_both "prog loadall"      prog loadall "$obj" @ROOT@/progs pinmaps @ROOT@/maps
k_maps=$(ls "$kdir/maps"); b_maps=$(ls "$work/b/maps")
[ "$k_maps" == "$b_maps" ] && echo "same  map pin names" || { echo "DIFF  map pin names: $k_maps / $b_maps"; fails=$((fails + 1)); }
k_progs=$(ls "$kdir/progs"); b_progs=$(ls "$work/b/progs")
[ "$k_progs" == "$b_progs" ] && echo "same  prog pin names" || { echo "DIFF  prog pin names: $k_progs / $b_progs"; fails=$((fails + 1)); }
prog=$(echo "$k_progs" | head -n 1)
run_both "run http"          prog run pinned @ROOT@/progs/$prog data_in "$work/http.bin" repeat 3
run_both "run telnet"        prog run pinned @ROOT@/progs/$prog data_in "$work/telnet.bin"
run_both "update noexist"    map update pinned @ROOT@/maps/blocked_v4 key 10 0 0 1 value 0 0 0 0 0 0 0 0 noexist
run_both "update again"      map update pinned @ROOT@/maps/blocked_v4 key 10 0 0 1 value 0 0 0 0 0 0 0 0 noexist
run_both "update exist"      map update pinned @ROOT@/maps/blocked_v4 key hex 0a 00 00 02 value 0 0 0 0 0 0 0 0 exist
run_both "update bad index"  map update pinned @ROOT@/maps/verdicts key 9 0 0 0 value 1 0 0 0 0 0 0 0
run_both "run blocked"       prog run pinned @ROOT@/progs/$prog data_in "$work/http.bin"
run_both "lookup"            map lookup pinned @ROOT@/maps/blocked_v4 key 10 0 0 1
run_both "lookup missing"    map lookup pinned @ROOT@/maps/blocked_v4 key 10 0 0 9
run_both "getnext"           map getnext pinned @ROOT@/maps/verdicts key 1 0 0 0
run_both "dump verdicts"     map dump pinned @ROOT@/maps/verdicts
run_both "dump blocked"      map dump pinned @ROOT@/maps/blocked_v4
run_both "delete"            map delete pinned @ROOT@/maps/blocked_v4 key 10 0 0 1
run_both "delete missing"    map delete pinned @ROOT@/maps/blocked_v4 key 10 0 0 1
k=$(bpftool prog run pinned "$kdir/progs/$prog" data_in "$work/http.bin" data_out "$work/out-k/data" 2>&1 | sed -E 's/[0-9]+ns/Xns/')
b=$("$bombus" prog run pinned "$work/b/progs/$prog" data_in "$work/http.bin" data_out "$work/out-b/data" 2>&1 | sed -E 's/[0-9]+ns/Xns/')
if [ "$k" == "$b" ] && cmp -s "$work/out-k/data" "$work/out-b/data"; then echo "same  data_out file"; else echo "DIFF  data_out: $k / $b"; fails=$((fails + 1)); fi

# Map reuse: a second loadall binds `verdicts` to the first load's pinned map.
run_both "loadall map reuse" prog loadall "$obj" @ROOT@/progs2 map name verdicts pinned @ROOT@/maps/verdicts pinmaps @ROOT@/maps2
same_ls "reuse pin names" maps2
run_both "run reused"        prog run pinned @ROOT@/progs2/$prog data_in "$work/telnet.bin"
run_both "shared counters"   map dump pinned @ROOT@/maps/verdicts
run_both "same map"          map lookup pinned @ROOT@/maps2/verdicts key 1 0 0 0
run_text "text dump"         map dump pinned @ROOT@/maps/verdicts
run_text "text lookup"       map lookup pinned @ROOT@/maps/verdicts key 1 0 0 0
# BTF of loaded objects: a map's root types and a program's whole BTF, raw (text and JSON) and C.
for w in key value kv all; do
  run_both "btf map $w"      btf dump map pinned @ROOT@/maps/verdicts $w
  run_text "btf map $w text" btf dump map pinned @ROOT@/maps/verdicts $w
done
run_both "btf rodata"        btf dump map pinned @ROOT@/maps/xdp_fire_rodata
run_text "btf map c"         btf dump map pinned @ROOT@/maps/verdicts format c
run_both "btf prog"          btf dump prog pinned @ROOT@/progs/$prog
run_text "btf prog c"        btf dump prog pinned @ROOT@/progs/$prog format c

if [ -n "$uobj" ]; then
  # An object whose section no convention types: only `type xdp` makes it loadable.
  head -c 64 /dev/zero > "$work/zero64.bin"
  head -c 10 /dev/zero > "$work/zero10.bin"
  run_both "load type xdp"   prog load "$uobj" @ROOT@/untyped type xdp pinmaps @ROOT@/umaps
  same_ls "no maps, no map folder" umaps
  run_both "run typed"       prog run pinned @ROOT@/untyped data_in "$work/zero64.bin"
  run_rc   "run short"       prog run pinned @ROOT@/untyped data_in "$work/zero10.bin"
  run_both "run few words"   prog run pinned @ROOT@/untyped
fi

if [ -n "$cobj" ]; then
  run_both "loadall contract" prog loadall "$cobj" @ROOT@/cprogs pinmaps @ROOT@/cmaps
  same_ls "contract prog pins" cprogs
  same_ls "contract map pins" cmaps
  # Syscall programs run with `repeat 0`, without data or ctx.
  printf '\x01\x00\x00\x00\x02\x00\x00\x00' > "$work/sysctx.bin"
  run_both "syscall repeat 0"  prog run pinned @ROOT@/cprogs/sys_count repeat 0
  run_both "syscall again"     prog run pinned @ROOT@/cprogs/sys_count repeat 0
  run_both "syscall repeat 1"  prog run pinned @ROOT@/cprogs/sys_count repeat 1
  run_both "syscall ctx_in"    prog run pinned @ROOT@/cprogs/sys_count ctx_in "$work/sysctx.bin" repeat 0
  run_both "syscall map"       map lookup pinned @ROOT@/cmaps/sys_values key 2 0 0 0
  # tc with a __sk_buff in and out (mark 3 in; the program doubles it plus one, sets priority).
  python3 - "$work" <<'PY'
import struct, sys
ctx = bytearray(192); struct.pack_into('<I', ctx, 8, 3); open(sys.argv[1] + '/skb.bin', 'wb').write(ctx)
pkt = bytearray(64); pkt[12] = 8; pkt[14] = 0x45; open(sys.argv[1] + '/pkt64.bin', 'wb').write(pkt)
PY
  run_both "tc ctx_out -"      prog run pinned @ROOT@/cprogs/tc_mark data_in "$work/pkt64.bin" ctx_in "$work/skb.bin" ctx_out - data_out -
  run_both "tc ctx_out file"   prog run pinned @ROOT@/cprogs/tc_mark data_in "$work/pkt64.bin" ctx_in "$work/skb.bin" ctx_out @OUT@/ctx data_out @OUT@/pkt repeat 3
  same_files "tc ctx_out bytes" ctx
  same_files "tc data_out bytes" pkt
  run_text "tc ctx_out text"   prog run pinned @ROOT@/cprogs/tc_mark data_in "$work/pkt64.bin" ctx_in "$work/skb.bin" ctx_out -
  run_rc   "tc ctx too small"  prog run pinned @ROOT@/cprogs/tc_mark data_in "$work/pkt64.bin" ctx_in "$work/sysctx.bin" ctx_out - ctx_size_out 4
  # Per-CPU maps: bpftool prints "values" per CPU (the same value on each after an update).
  run_both "percpu update"     map update pinned @ROOT@/cmaps/pcpu_array key 1 0 0 0 value 9 0 0 0 0 0 0 0
  run_both "percpu dump"       map dump pinned @ROOT@/cmaps/pcpu_array
  run_both "percpu hash add"   map update pinned @ROOT@/cmaps/pcpu_hash key 5 0 0 0 value hex 0a 0b 0c 0d noexist
  run_both "percpu hash again" map update pinned @ROOT@/cmaps/pcpu_hash key 5 0 0 0 value hex 0a 0b 0c 0d noexist
  run_both "percpu lookup"     map lookup pinned @ROOT@/cmaps/pcpu_hash key 5 0 0 0
  run_both "percpu hash dump"  map dump pinned @ROOT@/cmaps/pcpu_hash
  run_text "percpu text dump"  map dump pinned @ROOT@/cmaps/pcpu_hash
fi

# Maps made by `map create`, without BTF: hash, array, per-CPU array and hash.
for t in hash array percpu_array percpu_hash; do
  run_both "create $t"       map create @ROOT@/new_$t type $t key 4 value 8 entries 4 name new_$t
  run_both "update $t"       map update pinned @ROOT@/new_$t key 1 0 0 0 value 1 2 3 4 5 6 7 8
  run_both "update $t hex"   map update pinned @ROOT@/new_$t key hex 02 00 00 00 value hex 01 02 03 04 05 06 07 08 any
  run_sorted "dump $t"       map dump pinned @ROOT@/new_$t
  case $t in *hash) ;; *) run_text "text dump $t" map dump pinned @ROOT@/new_$t ;; esac
  run_both "show $t"         map show pinned @ROOT@/new_$t
done
run_both "create bad type"   map create @ROOT@/bad type nosuch key 4 value 8 entries 4 name bad

echo "$fails difference(s)"
[ $fails -eq 0 ]
