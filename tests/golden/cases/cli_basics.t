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
## Every usage text: help.t.
