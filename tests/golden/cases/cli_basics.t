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
       bombus prog help

       PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }
       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} }
$ bombus map help
Usage: bombus map { show | list } [MAP]
       bombus map help

       MAP := { id MAP_ID | pinned FILE | name MAP_NAME }
       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} }
