/* Loops of known instruction count for icount_selftest.cc. Each takes n >= 1 in r0 and runs n iterations
 * of exactly k instructions, then `bx lr`: k * n + 1 instructions from its first instruction to its return. */
  .syntax unified
  .thumb
  .text

/* k = 8: six NOPs, the decrement and the branch. */
  .align 2
  .global ei_loop_k8
  .thumb_func
  .type ei_loop_k8, %function
ei_loop_k8:
1:nop
  nop
  nop
  nop
  nop
  nop
  subs r0, r0, #1
  bne 1b
  bx lr
  .size ei_loop_k8, . - ei_loop_k8

/* k = 3: one ALU op, the decrement and the branch (a tight loop: QEMU translation blocks of 3). */
  .align 2
  .global ei_loop_k3
  .thumb_func
  .type ei_loop_k3, %function
ei_loop_k3:
  movs r1, #0
1:adds r1, r1, r0
  subs r0, r0, #1
  bne 1b
  bx lr
  .size ei_loop_k3, . - ei_loop_k3

/* k = 5: a load, a store, a single-precision FP add (the FPU must be on), the decrement and the branch:
 * memory and FP instructions count as one instruction each, like ALU ones. */
  .align 2
  .global ei_loop_k5_mem_fp
  .thumb_func
  .type ei_loop_k5_mem_fp, %function
ei_loop_k5_mem_fp:
  push {r4}
  sub sp, sp, #8
  mov r2, sp
  movs r4, #0
  str r4, [r2]
  vmov s1, r4
  vmov s0, r4
1:ldr r3, [r2]
  str r3, [r2, #4]
  vadd.f32 s0, s0, s1
  subs r0, r0, #1
  bne 1b
  add sp, sp, #8
  pop {r4}
  bx lr
  .size ei_loop_k5_mem_fp, . - ei_loop_k5_mem_fp
