## Several processes at once: loads get distinct ids, and runs in parallel processes add to one
## shared counter without losing an update (atomic adds in the shared-memory map).
$ for i in 1 2 3 4; do bombus prog load $EXAMPLES/xdp_firewall.bpf.o p$i pinmaps m$i & done; wait
$ bombus -j prog show | grep -o '"id":[0-9]*' | sort -u | wc -l
4
$ head -c 60 /dev/zero > zeros.bin
$ for i in 1 2 3 4; do bombus prog run pinned p1 data_in zeros.bin repeat 2500 >/dev/null & done; wait
$ bombus -j map lookup pinned m1/verdicts key 2 0 0 0 | grep -o '"formatted":.*'
"formatted":{"key":2,"value":10000}}
$ bombus -j map lookup pinned m2/verdicts key 2 0 0 0 | grep -o '"formatted":.*'
"formatted":{"key":2,"value":0}}
