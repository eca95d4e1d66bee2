#!/usr/bin/env bash
# The bombus demo (`make demo`): the example XDP firewall (examples/xdp_firewall, compiled by
# clang -target bpf at build time) loaded into a temporary store, fed generated traffic, and
# inspected with bpftool's commands — no root, no kernel support needed.
#   usage: examples/demo.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:-build/release}" && pwd)
bombus="$build/tools/bombus/bombus"
obj="$build/examples/xdp_firewall.bpf.o"
work=$(mktemp -d /tmp/bombus-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
export BOMBUS_ROOT="$work/store"
cd "$work"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "1. Verify the firewall (the verifier's verdict, like the kernel's)"
run "$bombus" prog verify "$obj"

step "2. Load it into a temporary store, pinning the program and its maps"
mkdir -p pins
run "$bombus" prog load "$obj" pins/xdp_firewall pinmaps pins/maps
run "$bombus" prog show
run "$bombus" map show

step "3. Block 8.8.8.8 and 1.1.1.1 by updating the pinned hash map"
run "$bombus" map update pinned pins/maps/blocked_v4 key 8 8 8 8 value 0 0 0 0 0 0 0 0
run "$bombus" map update pinned pins/maps/blocked_v4 key 1 1 1 1 value 0 0 0 0 0 0 0 0

step "4. Generate sample traffic (IPv4/IPv6, TCP/UDP/ICMP, VLAN, fragments, malformed frames)"
run "$bombus" net trafgen traffic.pcap count 200000 seed 7

step "5. Run the firewall over the capture with the JIT; passed and dropped packets go to pcaps"
run "$bombus" net run pinned pins/xdp_firewall pcap traffic.pcap pass pass.pcap drop drop.pcap

step "6. The maps afterwards: verdict counters and hits per blocked address"
run "$bombus" map dump pinned pins/maps/verdicts
run "$bombus" map dump pinned pins/maps/blocked_v4

step "7. One packet through BPF_PROG_TEST_RUN semantics, and the code the JIT emitted"
head -c 60 /dev/zero > zeros.bin
run "$bombus" prog run pinned pins/xdp_firewall data_in zeros.bin repeat 1000
# Into a file first: `| head` would close the pipe early and, under pipefail, end the demo on
# bombus's SIGPIPE whenever the dump outgrows what head reads before it exits.
run "$bombus" prog dump jited pinned pins/xdp_firewall > jited.txt
head -n 12 jited.txt

step "8. The same capture through a tcpdump filter compiled to eBPF"
run "$bombus" filter 'ip and (tcp port 80 or udp port 53)' traffic.pcap
