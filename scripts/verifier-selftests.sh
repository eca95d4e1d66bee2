#!/usr/bin/env bash
# Runs the kernel's own verifier selftests (tools/testing/selftests/bpf/progs/verifier_*.c from
# Debian's linux-source package) through bombus's verifier and, where bpf() works, through the
# running kernel too, then scores agreement. Usage:
#   scripts/verifier-selftests.sh [BUILD_DIR]      (default build/release)
# Environment: WORK (scratch dir, default BUILD_DIR/verifier-selftests), JOBS, FILTER (glob on
# file names, default verifier_*), KERNEL=0 to skip the kernel oracle, KERNEL_TSV=FILE to take the
# kernel's verdicts from an earlier results.tsv instead of loading every program again,
# STRICT_STACK=1 to keep bombus's default refusal of uninitialised stack reads.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build/release}" && pwd)
WORK=${WORK:-$BUILD/verifier-selftests}
JOBS=${JOBS:-$(nproc)}
FILTER=${FILTER:-verifier_*}
DRIVER=$BUILD/tests/verifier_selftests/verifier_selftest_driver
mkdir -p "$WORK"
cd "$WORK"

# 1. The kernel source: newest linux-source-X.Y Debian offers (6.12 has the annotated tests).
if [ ! -d src/tools/testing/selftests/bpf/progs ]; then
  if ! ls linux-source-*.deb >/dev/null 2>&1; then
    pkg=$(apt-cache search --names-only '^linux-source-[0-9.]+$' | awk '{print $1}' | sort -V | tail -1)
    [ -n "$pkg" ] || { echo "no linux-source package available" >&2; exit 1; }
    echo "downloading $pkg"
    apt-get download "$pkg" >/dev/null 2>&1
  fi
  deb=$(ls linux-source-*.deb | head -1)
  dpkg-deb --fsys-tarfile "$deb" | tar -x --wildcards './usr/src/linux-source-*.tar.xz'
  tarball=$(ls usr/src/linux-source-*.tar.xz | head -1)
  top=$(basename "$tarball" .tar.xz)
  echo "unpacking selftests from $tarball"
  tar -xJf "$tarball" --wildcards \
    "$top/tools/testing/selftests/bpf/*.h" "$top/tools/testing/selftests/bpf/progs/*" \
    "$top/tools/lib/bpf/*" "$top/tools/include/*" "$top/scripts/bpf_doc.py" \
    "$top/include/uapi/linux/bpf.h"
  rm -rf src && mv "$top" src && rm -rf usr
fi

# 2. Headers the programs need: vmlinux.h of the running kernel, generated helper definitions.
mkdir -p inc/bpf obj
[ -s inc/vmlinux.h ] || bpftool btf dump file /sys/kernel/btf/vmlinux format c > inc/vmlinux.h
cp src/tools/lib/bpf/*.h inc/bpf/
[ -s inc/bpf/bpf_helper_defs.h ] ||
  python3 src/scripts/bpf_doc.py --header --file src/tools/include/uapi/linux/bpf.h > inc/bpf/bpf_helper_defs.h

# 3. Compile every test file with clang; count the ones that fail.
SEL=src/tools/testing/selftests/bpf
compile() {
  local f=$1 o=obj/$(basename "$1" .c).bpf.o
  [ -s "$o" ] && return 0
  clang -g -O2 --target=bpf -mcpu=v3 -D__TARGET_ARCH_x86 -mlittle-endian -Wno-compare-distinct-pointer-types \
    -I inc -I "$SEL" -I "$SEL/progs" -I src/tools/include/uapi -I src/tools/include \
    -idirafter /usr/include -idirafter /usr/include/x86_64-linux-gnu \
    -c "$f" -o "$o" 2>"obj/$(basename "$f" .c).err" || { rm -f "$o"; return 1; }
}
export -f compile
export SEL
ls $SEL/progs/$FILTER.c | xargs -P "$JOBS" -I{} bash -c 'compile {} || true'
total=$(ls $SEL/progs/$FILTER.c | wc -l)
built=$(ls obj/$FILTER.bpf.o 2>/dev/null | wc -l)
echo "compiled $built of $total files ($((total - built)) failed to compile with clang, skipped)"

# 4. Run every program through bombus (and the kernel), write results.tsv and the summary.
[ -x "$DRIVER" ] || { echo "build the driver first: ninja -C $BUILD verifier_selftest_driver" >&2; exit 1; }
args=()
[ "${KERNEL:-1}" = 0 ] && args+=(--no-kernel)
[ -n "${KERNEL_TSV:-}" ] && args+=(--kernel-tsv "$KERNEL_TSV")
[ "${STRICT_STACK:-0}" = 1 ] && args+=(--strict-stack)
"$DRIVER" "${args[@]}" --tsv results.tsv obj/$FILTER.bpf.o | tee summary.txt
