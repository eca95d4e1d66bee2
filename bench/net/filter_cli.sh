#!/usr/bin/env bash
# `bombus filter` figures for docs/PERFORMANCE.md: for each bench expression, 3 alternating runs of
# `bombus filter EXPR big.pcap engine libpcap` and of the default (body auto), plus body vector
# and body branchy; prints the medians and libpcap/auto. usage: filter_cli.sh BOMBUS PCAP
B=$1; P=$2
exprs=('tcp port 80 or tcp port 443' 'ip6 and udp' 'vlan and ip and udp dst port 53'
  'tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn and net 10.0.0.0/16' '' 'tcp' 'udp port 53'
  'host 10.0.0.1' 'tcp[tcpflags] & tcp-syn != 0' 'vlan and ip6')
ns() { "$B" filter "$1" "$P" $2 | grep -o '[0-9.]* ns/packet' | cut -d' ' -f1; }
med() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
for e in "${exprs[@]}"; do
  L=(); A=(); V=(); Y=()
  for r in 1 2 3; do
    L+=("$(ns "$e" 'engine libpcap')"); A+=("$(ns "$e" '')")
    V+=("$(ns "$e" 'body vector')"); Y+=("$(ns "$e" 'body branchy')")
  done
  l=$(med "${L[@]}"); a=$(med "${A[@]}"); v=$(med "${V[@]}"); y=$(med "${Y[@]}")
  printf '| `%s` | %s | %s (%.1fx) | %s (%.1fx) | %s (%.1fx) | runs: libpcap %s; auto %s |\n' \
    "${e:-\"\" (accept all)}" "$l" "$a" "$(echo "$l/$a" | bc -l)" "$v" "$(echo "$l/$v" | bc -l)" \
    "$y" "$(echo "$l/$y" | bc -l)" "${L[*]}" "${A[*]}"
done
