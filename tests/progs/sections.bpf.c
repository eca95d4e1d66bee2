// Section names: one trivial program per libbpf convention (and an unknown one), for the
// section-name table. Only the loader tests use it; most of these need attach targets that a
// differential kernel load cannot give, so the kernel test skips this object.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define P(sec, name) \
  SEC(sec) int name(void* ctx) { return 0; }

P("xdp.frags", s_xdp_frags)
P("tc/ingress", s_tc_ingress)
P("tcx/egress", s_tcx_egress)
P("classifier", s_classifier)
P("action", s_action)
P("sk_skb/stream_verdict", s_sk_skb)
P("sk_msg", s_sk_msg)
P("flow_dissector", s_flow)
P("kprobe/do_sys_open", s_kprobe)
P("kretprobe/do_sys_open", s_kretprobe)
P("ksyscall/openat", s_ksyscall)
P("kretsyscall/openat", s_kretsyscall)
P("uprobe//bin/sh:main", s_uprobe)
P("uretprobe", s_uretprobe)
P("usdt/libc:setjmp", s_usdt)
P("tracepoint/syscalls/sys_enter_openat", s_tracepoint)
P("tp/sched/sched_switch", s_tp)
P("raw_tracepoint/sys_enter", s_raw_tracepoint)
P("raw_tp/sys_exit", s_raw_tp)
P("tp_btf/sched_switch", s_tp_btf)
P("fentry/do_unlinkat", s_fentry)
P("fexit/do_unlinkat", s_fexit)
P("fmod_ret/security_file_open", s_fmod_ret)
P("lsm/file_open", s_lsm)
P("iter/task", s_iter)
P("perf_event", s_perf_event)
P("syscall", s_syscall)
P("cgroup_skb/ingress", s_cgroup_skb_in)
P("cgroup/connect4", s_cgroup_connect4)
P("cgroup/sysctl", s_cgroup_sysctl)
P("struct_ops/bombus_init", s_struct_ops)
P("?xdp", s_not_autoloaded)
P("bombus/unknown", s_unknown)

char LICENSE[] SEC("license") = "GPL";
