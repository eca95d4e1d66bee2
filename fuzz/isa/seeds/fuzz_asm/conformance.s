mov %r0, 0
mov32 %r1, -1
lddw %r2, 0x8000000000000000
ldxdw %r3, [%r1+8]
stxw [%r10-4], %r1
stdw [%r10-16], 7
lock fetch xor32 [%r10-4], %r3
lock cmpxchg [%r10-8], %r1
movsx1632 %r4, %r3
sdiv %r0, 3
be16 %r0
jslt32 %r0, %r1, done
call local f
ja32 done
done:
exit
f:
callx %r2
exit
