## A program the verifier rejects: the kernel's message, the C line, a hint; -d adds the log.
$ clang -target bpf -O2 -g -I/usr/include/x86_64-linux-gnu -c $SRC/tests/golden/progs/bad_packet.bpf.c -o bad.o
$ bombus prog verify bad.o 2>&1 | sed 's/in [0-9]* us/in X us/'
bad (xdp, xdp): rejected, 2 insns processed in X us
  insn 1: invalid access to packet, off=12 size=1, R1(id=0,off=12,r=0)
  ; return data[12] == 8 ? XDP_DROP : XDP_PASS; @ bad_packet.bpf.c:7
  hint: compare the packet pointer (plus the bytes you read) against data_end before reading
$ bombus -j prog verify bad.o | sed 's/"verification_time_ns":[0-9]*/"verification_time_ns":X/'
[{"name":"bad","section":"xdp","type":"xdp","tag":"e5e3e541d0f501f8","accepted":false,"insns_processed":2,"verification_time_ns":X,"error":"invalid access to packet, off=12 size=1, R1(id=0,off=12,r=0)","error_insn":1,"hint":"compare the packet pointer (plus the bytes you read) against data_end before reading"}]
$ bombus prog load bad.o bad_pin
Error: failed to load object file
section 'xdp': prog 'bad': insn 1: invalid access to packet, off=12 size=1, R1(id=0,off=12,r=0)
; return data[12] == 8 ? XDP_DROP : XDP_PASS; @ bad_packet.bpf.c:7
hint: compare the packet pointer (plus the bytes you read) against data_end before reading
(run with -d for the whole verifier log)
[rc 255]
$ bombus -j prog load bad.o bad_pin
{"error":"failed to load object file\nsection 'xdp': prog 'bad': insn 1: invalid access to packet, off=12 size=1, R1(id=0,off=12,r=0)\n; return data[12] == 8 ? XDP_DROP : XDP_PASS; @ bad_packet.bpf.c:7\nhint: compare the packet pointer (plus the bytes you read) against data_end before reading\n(run with -d for the whole verifier log)"}
[rc 255]
$ bombus -d prog load bad.o bad_pin 2>&1 | grep -c 'invalid access to packet'
2
$ ls bad_pin
ls: cannot access 'bad_pin': No such file or directory
[rc 2]
