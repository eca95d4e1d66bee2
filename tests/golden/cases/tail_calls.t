## Tail calls across processes: prog-array slots hold store program ids, whichever process
## wrote them, and every process that runs the dispatcher resolves them (issue #7, item 5).
$ head -c 64 /dev/zero > pkt.bin
$ bombus prog loadall $PROGS/prog_array.bpf.o pins pinmaps maps
$ bombus prog show | grep -o '^[0-9]*: xdp  name [a-z_]*'
1: xdp  name tail_a
2: xdp  name tail_b
3: xdp  name dispatcher
## The object's own `.values` slots name tail_a (1) and tail_b (2) by their store ids.
$ bombus -j map dump pinned maps/jump_table
[{"key":["0x01","0x00","0x00","0x00"],"value":["0x01","0x00","0x00","0x00"]},{"key":["0x03","0x00","0x00","0x00"],"value":["0x02","0x00","0x00","0x00"]}]
## Queue 0: slot 0 is empty, the tail call falls through to XDP_PASS.
$ bombus -j prog run pinned pins/dispatcher data_in pkt.bin
{"retval":2,"duration":X}
## One process puts tail_b in slot 0; the next ones jump to it (XDP_TX), with every engine.
$ bombus map update pinned maps/jump_table key 0 0 0 0 value pinned pins/tail_b
$ bombus -j prog run pinned pins/dispatcher data_in pkt.bin
{"retval":3,"duration":X}
$ bombus -j prog run pinned pins/dispatcher data_in pkt.bin engine interp
{"retval":3,"duration":X}
$ bombus -j prog run pinned pins/dispatcher data_in pkt.bin engine checked
{"retval":3,"duration":X}
$ bombus map update pinned maps/jump_table key 0 0 0 0 value name tail_a
$ bombus -j prog run pinned pins/dispatcher data_in pkt.bin
{"retval":1,"duration":X}
## A program of another object, loaded by another process: it runs with its own stored maps.
$ bombus prog load $PROGS/xdp_fw.bpf.o fw pinmaps fwmaps
$ bombus map update pinned maps/jump_table key 0 0 0 0 value pinned fw
$ bombus -j map lookup pinned maps/jump_table key 0 0 0 0
{"key":["0x00","0x00","0x00","0x00"],"value":["0x04","0x00","0x00","0x00"]}
$ bombus -j prog run pinned pins/dispatcher data_in pkt.bin
{"retval":2,"duration":X}
$ bombus -j map lookup pinned fwmaps/verdicts key 2 0 0 0
{"key":["0x02","0x00","0x00","0x00"],"value":["0x01","0x00","0x00","0x00","0x00","0x00","0x00","0x00"],"formatted":{"key":2,"value":1}}
## An emptied slot falls through again.
$ bombus map delete pinned maps/jump_table key 0 0 0 0
$ bombus -j prog run pinned pins/dispatcher data_in pkt.bin
{"retval":2,"duration":X}
$ bombus -j map lookup pinned fwmaps/verdicts key 2 0 0 0
{"key":["0x02","0x00","0x00","0x00"],"value":["0x01","0x00","0x00","0x00","0x00","0x00","0x00","0x00"],"formatted":{"key":2,"value":1}}
