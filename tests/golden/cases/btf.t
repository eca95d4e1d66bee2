## BTF objects in the store (issue #7, item 2): one per loaded object with BTF, used by its
## programs and maps, listed and dumped as bpftool lists and dumps the kernel's.
$ bombus -j btf show
[]
$ bombus prog loadall $EXAMPLES/xdp_firewall.bpf.o progs pinmaps maps
$ bombus btf show
1: name <anon>  size 2125B  prog_ids 1  map_ids 3,2,1
$ bombus -j btf show id 1
{"id":1,"size":2125,"prog_ids":[1],"map_ids":[3,2,1],"kernel":false}
$ bombus -j map show pinned maps/verdicts
{"id":2,"type":"array","name":"verdicts","flags":0,"bytes_key":4,"bytes_value":8,"max_entries":5,"bytes_memlock":8192,"frozen":0,"btf_id":1}
$ bombus prog show pinned progs/xdp_firewall | tail -1
	btf_id 1
## A map's key and value types (kv by default), or one of them, or the whole BTF.
$ bombus btf dump map pinned maps/verdicts
[8] TYPEDEF '__u32' type_id=9
[11] TYPEDEF '__u64' type_id=12
$ bombus -j btf dump map pinned maps/verdicts
{"types":[{"id":8,"kind":"TYPEDEF","name":"__u32","type_id":9},{"id":11,"kind":"TYPEDEF","name":"__u64","type_id":12}]}
$ bombus btf dump map pinned maps/verdicts value
[11] TYPEDEF '__u64' type_id=12
$ bombus btf dump map pinned maps/verdicts key format c
#ifndef __VMLINUX_H__
#define __VMLINUX_H__

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
#endif

typedef unsigned int __u32;

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute pop
#endif

#endif /* __VMLINUX_H__ */
$ bombus btf dump map name xdp_fire.rodata
[0] UNKNOWN '(anon)'
[34] DATASEC '.rodata' size=2 vlen=1
	type_id=29 offset=0 size=2 (VAR 'blocked_port')
$ bombus btf dump map pinned maps/verdicts all | wc -l
54
$ bombus btf dump prog pinned progs/xdp_firewall | grep FUNC
[23] FUNC_PROTO '(anon)' ret_type_id=2 vlen=1
[24] FUNC 'xdp_firewall' type_id=23 linkage=global
$ bombus btf dump prog pinned progs/xdp_firewall format c | grep -A7 'struct xdp_md {'
struct xdp_md {
	__u32 data;
	__u32 data_end;
	__u32 data_meta;
	__u32 ingress_ifindex;
	__u32 rx_queue_index;
	__u32 egress_ifindex;
};
$ bombus btf dump id 1 | md5sum
37abb6aa28554462649c1b461e8e0b3a  -
## Errors: unknown ids, maps without BTF.
$ bombus btf show id 7
Error: get by id (7): No such file or directory
[rc 255]
$ bombus btf dump id 7
Error: get btf by id (7): No such file or directory
[rc 255]
$ bombus map create qmap type queue key 0 value 4 entries 4 name q
$ bombus btf dump map pinned qmap
Error: map id 4 has no BTF
[rc 255]
## The BTF object goes when the last program and map using it go.
$ rm -r progs maps && bombus -j btf show
[]
