## The example XDP firewall through the store: load with pinned maps, run, read and change maps.
$ printf '\x00\x01\x02\x03\x04\x05\x00\x01\x02\x03\x04\x05\x08\x00\x45\x00\x00\x28\x00\x00\x00\x00\x40\x06\x00\x00\x0a\x00\x00\x01\x0a\x00\x00\x02\x04\xd2\x00\x17\x00\x00\x00\x00\x00\x00\x00\x00\x50\x02\x20\x00\x00\x00\x00\x00' > telnet.bin
$ printf '\x00\x01\x02\x03\x04\x05\x00\x01\x02\x03\x04\x05\x08\x00\x45\x00\x00\x28\x00\x00\x00\x00\x40\x06\x00\x00\x0a\x00\x00\x01\x0a\x00\x00\x02\x04\xd2\x00\x50\x00\x00\x00\x00\x00\x00\x00\x00\x50\x02\x20\x00\x00\x00\x00\x00' > http.bin
$ mkdir pins && bombus -j prog load $EXAMPLES/xdp_firewall.bpf.o pins/fw pinmaps pins/maps
null
$ ls pins/maps
blocked_v4
verdicts
xdp_fire_rodata
$ bombus -j prog show pinned pins/fw | sed 's/"tag":"[0-9a-f]*"/"tag":T/; s/"bytes_[a-z]*":[0-9]*/"bytes":N/g'
{"id":1,"type":"xdp","name":"xdp_firewall","tag":T,"gpl_compatible":true,"loaded_at":X,"uid":X,"bytes":N,"jited":true,"bytes":N,"bytes":N,"map_ids":[2,1,3],"btf_id":1}
$ bombus -j map show
[{"id":1,"type":"hash","name":"blocked_v4","flags":0,"bytes_key":4,"bytes_value":8,"max_entries":1024,"bytes_memlock":57344,"frozen":0,"btf_id":1},{"id":2,"type":"array","name":"verdicts","flags":0,"bytes_key":4,"bytes_value":8,"max_entries":5,"bytes_memlock":8192,"frozen":0,"btf_id":1},{"id":3,"type":"array","name":"xdp_fire.rodata","flags":1152,"bytes_key":4,"bytes_value":2,"max_entries":1,"bytes_memlock":8192,"frozen":1,"btf_id":1}]
$ bombus -j prog run pinned pins/fw data_in http.bin
{"retval":2,"duration":X}
$ bombus -j prog run pinned pins/fw data_in telnet.bin engine interp
{"retval":1,"duration":X}
$ bombus -j prog run pinned pins/fw data_in telnet.bin engine checked repeat 10
{"retval":1,"duration":X}
$ bombus -j map dump pinned pins/maps/verdicts
[{"key":["0x00","0x00","0x00","0x00"],"value":["0x00","0x00","0x00","0x00","0x00","0x00","0x00","0x00"],"formatted":{"key":0,"value":0}},{"key":["0x01","0x00","0x00","0x00"],"value":["0x0b","0x00","0x00","0x00","0x00","0x00","0x00","0x00"],"formatted":{"key":1,"value":11}},{"key":["0x02","0x00","0x00","0x00"],"value":["0x01","0x00","0x00","0x00","0x00","0x00","0x00","0x00"],"formatted":{"key":2,"value":1}},{"key":["0x03","0x00","0x00","0x00"],"value":["0x00","0x00","0x00","0x00","0x00","0x00","0x00","0x00"],"formatted":{"key":3,"value":0}},{"key":["0x04","0x00","0x00","0x00"],"value":["0x00","0x00","0x00","0x00","0x00","0x00","0x00","0x00"],"formatted":{"key":4,"value":0}}]
$ bombus map dump pinned pins/maps/verdicts
[{
        "key": 0,
        "value": 0
    },{
        "key": 1,
        "value": 11
    },{
        "key": 2,
        "value": 1
    },{
        "key": 3,
        "value": 0
    },{
        "key": 4,
        "value": 0
    }
]
$ bombus -j map dump pinned pins/maps/xdp_fire_rodata
[{"key":["0x00","0x00","0x00","0x00"],"value":["0x17","0x00"],"formatted":{"value":{".rodata":[{"blocked_port":23}]}}}]
## Block 10.0.0.1: the HTTP packet is dropped now, and the hit is counted.
$ bombus map update pinned pins/maps/blocked_v4 key 10 0 0 1 value 0 0 0 0 0 0 0 0 noexist
$ bombus map update pinned pins/maps/blocked_v4 key hex 0a 00 00 01 value 0 0 0 0 0 0 0 0 noexist
Error: update failed: File exists
[rc 239]
$ bombus -j prog run pinned pins/fw data_in http.bin
{"retval":1,"duration":X}
$ bombus -j map lookup pinned pins/maps/blocked_v4 key 10 0 0 1
{"key":["0x0a","0x00","0x00","0x01"],"value":["0x01","0x00","0x00","0x00","0x00","0x00","0x00","0x00"],"formatted":{"key":16777226,"value":1}}
$ bombus map lookup pinned pins/maps/blocked_v4 key 10 0 0 2
key:
0a 00 00 02

Not found
[rc 254]
$ bombus -j map getnext pinned pins/maps/verdicts key 2 0 0 0
{"key":["0x02","0x00","0x00","0x00"],"next_key":["0x03","0x00","0x00","0x00"]}
$ bombus map delete pinned pins/maps/blocked_v4 key 10 0 0 1
$ bombus map delete pinned pins/maps/blocked_v4 key 10 0 0 1
Error: delete failed: No such file or directory
[rc 254]
$ bombus map update pinned pins/maps/verdicts key 1 0 0 value 1 0 0 0 0 0 0 0
Error: error parsing byte: value
[rc 255]
$ bombus map update pinned pins/maps/verdicts key 9 0 0 0 value 1 0 0 0 0 0 0 0
Error: update failed: Argument list too long
[rc 249]
## A second program load reuses the verdicts map by name: both see the same counters.
$ bombus prog load $EXAMPLES/xdp_firewall.bpf.o pins/fw2 map name verdicts pinned pins/maps/verdicts
$ bombus -j prog run pinned pins/fw2 data_in http.bin
{"retval":2,"duration":X}
$ bombus -j map lookup pinned pins/maps/verdicts key 2 0 0 0
{"key":["0x02","0x00","0x00","0x00"],"value":["0x02","0x00","0x00","0x00","0x00","0x00","0x00","0x00"],"formatted":{"key":2,"value":2}}
$ bombus prog show name xdp_firewall | grep -c xdp
2
## Removing the pins lets the store reclaim the programs and maps.
$ rm -r pins && bombus -j prog show && bombus -j map show
[]
[]
