r1 = map[id:3]
r2 = r10
r2 += -4
*(u32 *)(r10 -4) = 0
call bpf_map_lookup_elem#1
if r0 == 0x0 goto pc+3
r1 = 1
lock *(u64 *)(r0 +0) += r1
r0 = atomic64_fetch_add((u64 *)(r10 -8), r0)
r0 = atomic_cmpxchg((u32 *)(r10 -8), r0, r3)
w0 = (s16)w1
r1 = bswap32 r1
r0 = *(s8 *)(r1 +2)
r0 = *(u16 *)skb[r3 + 4]
gotol pc+1
call pc+1
exit
r0 = 0x1122334455667788 ll
exit
