## Usage text of the command and of every noun, as bpftool prints them (on stderr; -j gives
## null). Rewrite with BOMBUS_UPDATE_GOLDEN=1 after changing a usage text.
$ bombus help
Usage: bombus [OPTIONS] OBJECT { COMMAND | help }
       bombus version

       OBJECT := { prog | map | btf | gen | net | filter }
       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} | {-f|--bpffs} |
                    {-V|--version} }

       The store (the kernel's part) is $BOMBUS_ROOT, else /run/bombus;
       --root DIR overrides it.
$ bombus --help
Usage: bombus [OPTIONS] OBJECT { COMMAND | help }
       bombus version

       OBJECT := { prog | map | btf | gen | net | filter }
       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} | {-f|--bpffs} |
                    {-V|--version} }

       The store (the kernel's part) is $BOMBUS_ROOT, else /run/bombus;
       --root DIR overrides it.
$ bombus
Usage: bombus [OPTIONS] OBJECT { COMMAND | help }
       bombus version

       OBJECT := { prog | map | btf | gen | net | filter }
       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} | {-f|--bpffs} |
                    {-V|--version} }

       The store (the kernel's part) is $BOMBUS_ROOT, else /run/bombus;
       --root DIR overrides it.
$ bombus -j help
null
$ bombus prog help
Usage: bombus prog { show | list } [PROG]
       bombus prog dump xlated PROG [{ file FILE | [opcodes] [linum] [visual] }]
       bombus prog dump jited  PROG [{ file FILE | [opcodes] [linum] }]
       bombus prog pin   PROG FILE
       bombus prog { load | loadall } OBJ  PATH \
                         [type TYPE] [map { idx IDX | name NAME } MAP]\
                         [pinmaps MAP_DIR] [autoattach] [engine ENGINE]
       bombus prog run PROG \
                         data_in FILE \
                         [data_out FILE [data_size_out L]] \
                         [ctx_in FILE [ctx_out FILE [ctx_size_out M]]] \
                         [event_in FILE] \
                         [repeat N] [engine ENGINE]
       bombus prog verify OBJ [type TYPE] [log_level N]
       bombus prog tracelog
       bombus prog help

       MAP := { id MAP_ID | pinned FILE | name MAP_NAME }
       PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }
       TYPE := { socket | kprobe | kretprobe | classifier | action |
                 tracepoint | raw_tracepoint | xdp | perf_event | syscall | ... }
       ENGINE := { jit | interp | checked }
       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} }
$ bombus -j prog help
null
$ bombus map help
Usage: bombus map { show | list }   [MAP]
       bombus map create     FILE type TYPE key KEY_SIZE value VALUE_SIZE \
                                  entries MAX_ENTRIES name NAME [flags FLAGS]
       bombus map dump       MAP
       bombus map update     MAP [key DATA] [value VALUE] [UPDATE_FLAGS]
       bombus map lookup     MAP [key DATA]
       bombus map getnext    MAP [key DATA]
       bombus map delete     MAP  key DATA
       bombus map pin        MAP  FILE
       bombus map event_pipe MAP
       bombus map peek       MAP
       bombus map push       MAP value VALUE
       bombus map pop        MAP
       bombus map enqueue    MAP value VALUE
       bombus map dequeue    MAP
       bombus map freeze     MAP
       bombus map help

       MAP := { id MAP_ID | pinned FILE | name MAP_NAME }
       DATA := { [hex] BYTES }
       PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }
       VALUE := { DATA | MAP | PROG }
       UPDATE_FLAGS := { any | exist | noexist }
       TYPE := { hash | array | prog_array | perf_event_array | percpu_hash |
                 percpu_array | lru_hash | lru_percpu_hash | lpm_trie |
                 array_of_maps | hash_of_maps | devmap | devmap_hash | cpumap |
                 xskmap | queue | stack | ringbuf | user_ringbuf | bloom_filter }
       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} }
$ bombus -j map help
null
$ bombus btf help
Usage: bombus btf { show | list } [id BTF_ID]
       bombus btf dump BTF_SRC [format FORMAT]
       bombus btf help

       BTF_SRC := { id BTF_ID | prog PROG | map MAP [{key | value | kv | all}] |
                    file FILE [base FILE] }
       FORMAT  := { raw | c }
       MAP := { id MAP_ID | pinned FILE | name MAP_NAME }
       PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }
       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} }
$ bombus -j btf help
null
$ bombus gen help
Usage: bombus gen object OUTPUT_FILE INPUT_FILE [INPUT_FILE...]
       bombus gen skeleton FILE [name OBJECT_NAME]
       bombus gen help

       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} }
$ bombus -j gen help
null
$ bombus net help
Usage: bombus net run { OBJ [prog NAME] | PROG } INPUT [OUTPUT]...
                      [engine ENGINE] [threads N] [count N] [duration S]
                      [ifindex N] [queue N]
       bombus net trafgen FILE [count N] [seed S]
       bombus net help

       PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }
       INPUT := { pcap FILE | dev IFNAME [dev IFNAME]... [bridge] }
       OUTPUT := { pass | drop | tx | redirect [TARGET] | aborted } FILE
       TARGET := { ifindex | ingress | cpu | xsk } N
       ENGINE := { jit | interp | checked }
       A PROG from the store runs against the store's maps; an OBJ file is
       loaded with maps of its own. The program is loaded once and runs on
       every packet (the JIT unless an engine is named); each verdict's
       packets go to its OUTPUT file, in capture order. redirect FILE
       takes every redirected packet; redirect TARGET FILE (repeatable) only
       those sent to that target: ifindex N by bpf_redirect or a devmap
       entry (a BPF_F_BROADCAST packet goes to each device of the map),
       ingress N by tc's BPF_F_INGRESS, cpu N and xsk N by cpumap/xskmap.
       threads N: the capture is split over N worker threads, each its own
       CPU for per-CPU maps. dev: live AF_PACKET interfaces; XDP_TX sends
       back out, a redirect to a dev's ifindex sends out of that dev
       (other targets: dropped, counted as redirect_unknown), bridge
       forwards XDP_PASS frames to the other interfaces; the run ends
       after count packets, duration seconds or SIGINT. ifindex N and queue N:
       the device and rx queue capture packets arrive on (XDP ingress_ifindex
       and rx_queue_index, skb->ifindex; default ifindex 1, queue 0).
       redirect xsk N FILE also puts an AF_XDP-like socket for queue N at key
       N of the program's XSKMAPs for the run (as libxdp does); FILE gets
       what the program sends to it.
$ bombus -j net help
null
$ bombus filter help
Usage: bombus filter EXPRESSION FILE [write OUT_FILE] [count]
                    [engine { ebpf | interp | classic | libpcap }]
                    [body { auto | branchy | flat | vector }]

       EXPRESSION is a tcpdump filter expression (one word: quote it).
       FILE is a pcap or pcapng capture; matching packets go to OUT_FILE.
       count prints only the number of matching packets.
       ebpf (default): converted to eBPF and JIT-compiled (see body);
       interp: the same eBPF on the interpreter; classic: the reference
       cBPF interpreter; libpcap: libpcap's bpf_filter().
       body picks the ebpf engine's code: branchy (the lean JIT), flat (its
       branch-free body), vector (8 packets at once with AVX2); auto
       (default) times them on the first batches and keeps the fastest.
$ bombus -j filter help
null
