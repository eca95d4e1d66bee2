## Global options and errors, as bpftool prints them.
$ bombus -V
bombus v0.1.0
features: engines interp checked jit, skeletons
$ bombus -j prog show
[]
$ bombus prog show id 4
Error: get by id (4): No such file or directory
[rc 255]
$ bombus -j map show pinned /etc/hostname
{"error":"'/etc/hostname' is not a bombus pin"}
[rc 255]
$ bombus frobnicate
Error: command 'frobnicate' not recognized, try 'help'
[rc 255]
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
                 array_of_maps | hash_of_maps | devmap | devmap_hash | queue |
                 stack | ringbuf | user_ringbuf | bloom_filter }
       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} }
