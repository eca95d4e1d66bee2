#!/usr/bin/env bash
# The bpftool contract (issue #7 item 4): the same command lines run with bpftool against the
# kernel and with bombus against its store, and their JSON and output files must be equal
# (after masking what legitimately differs: object ids and durations).
#   usage: contract.sh BOMBUS OBJ        exit 0 = equal, 1 = differ, 77 = skipped (no bpf())
set -u
bombus=$1
obj=$2
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

mask() { sed -E 's/"duration":[0-9]+/"duration":D/g; s/"id":[0-9]+/"id":I/g'; }
fails=0
# run TOOL ROOT WORDS...: prints the masked JSON output and the exit code.
run_both() {
  local label=$1; shift
  local k b
  k=$( (bpftool -j "${@//@ROOT@/$kdir}" 2>&1; echo "rc=$?") | mask)
  b=$( ("$bombus" -j "${@//@ROOT@/$work/b}" 2>&1; echo "rc=$?") | mask)
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
echo "$fails difference(s)"
[ $fails -eq 0 ]
