/* Startup for Armv7-M (Cortex-M4F, Cortex-M7): vector table and reset handler. No crt0, no OS.
 *
 * Reset_Handler, in order:
 *   1. enables the FPU (CPACR CP10/CP11 full access) before any code that might touch a VFP register:
 *      the compiler is free to use them in any function built with -mfloat-abi=hard;
 *   2. paints the stack region below the current SP with 0xDEADBEEF so ei_stack_high_water() can find how
 *      deep it ever got (done here, in assembly, because no C function may run while its own stack is
 *      being painted);
 *   3. copies .data and .tdata from flash, zeroes .tbss and .bss (.arena is left alone: the interpreter
 *      initializes what it uses);
 *   4. runs C++ static constructors, calls main() and exits through semihosting with main's result.
 * Written in assembly so that nothing here depends on the compiler's code generation or on a stack. */
  .syntax unified
  .thumb

  .equ STACK_PAINT, 0xDEADBEEF
  .equ CPACR, 0xE000ED88

/* ---- Vector table: placed at 0x0 by the linker script (QEMU boots from VTOR = 0). ---------------------- */
  .section .vectors, "a", %progbits
  .align 2
  .global ei_vector_table
  .type ei_vector_table, %object
ei_vector_table:
  .word __stack_top
  .word Reset_Handler
  .word NMI_Handler
  .word HardFault_Handler
  .word MemManage_Handler
  .word BusFault_Handler
  .word UsageFault_Handler
  .word 0, 0, 0, 0
  .word SVC_Handler
  .word DebugMon_Handler
  .word 0
  .word PendSV_Handler
  .word SysTick_Handler
  /* 32 external interrupts (QEMU's MPS2 boards: UARTs 0-5, TIMER0 = 8, TIMER1 = 9, dual timer = 10, ...). */
  .rept 32
  .word Default_IRQHandler
  .endr
  .size ei_vector_table, . - ei_vector_table

/* Handlers an application does not define fall back to ei_fault_handler (fault.cc): it reports the fault
 * and the stacked PC over semihosting and exits non-zero, so a crashing test fails at once instead of
 * hanging until its timeout. */
  .macro weak_handler name
  .weak \name
  .thumb_set \name, ei_default_exception_entry
  .endm
  weak_handler NMI_Handler
  weak_handler HardFault_Handler
  weak_handler MemManage_Handler
  weak_handler BusFault_Handler
  weak_handler UsageFault_Handler
  weak_handler SVC_Handler
  weak_handler DebugMon_Handler
  weak_handler PendSV_Handler
  weak_handler SysTick_Handler
  weak_handler Default_IRQHandler

  .text
  .align 2
  .thumb_func
  .type ei_default_exception_entry, %function
ei_default_exception_entry:
  /* Pass the exception frame (on MSP or PSP, per EXC_RETURN bit 2) to the C++ reporter. */
  tst lr, #4
  ite eq
  mrseq r0, msp
  mrsne r0, psp
  mov r1, lr
  b ei_fault_handler
  .size ei_default_exception_entry, . - ei_default_exception_entry

/* ---- Reset ----------------------------------------------------------------------------------------------- */
  .text
  .align 2
  .global Reset_Handler
  .thumb_func
  .type Reset_Handler, %function
Reset_Handler:
#if defined(__ARM_FP)
  /* 1. FPU: CP10 and CP11 full access (bits 20-23), then barriers so the next instruction sees it. */
  ldr r0, =CPACR
  ldr r1, [r0]
  orr r1, r1, #(0xF << 20)
  str r1, [r0]
  dsb
  isb
#endif

  /* 2. Paint [__stack_limit, sp) word by word. */
  ldr r0, =__stack_limit
  mov r1, sp
  ldr r2, =STACK_PAINT
1:cmp r0, r1
  bhs 2f
  str r2, [r0], #4
  b 1b
2:

  /* 3a. Copy initialized data (.data, then .tdata) from flash to RAM. */
  ldr r0, =__data_load
  ldr r1, =__data_start
  ldr r2, =__data_end
  bl ei_copy_words
  ldr r0, =__tdata_load
  ldr r1, =__tdata_start
  ldr r2, =__tdata_end
  bl ei_copy_words

  /* 3b. Zero .tbss and .bss. */
  movs r2, #0
  ldr r0, =__tbss_start
  ldr r1, =__tbss_end
  bl ei_zero_words
  ldr r0, =__bss_start
  ldr r1, =__bss_end
  bl ei_zero_words

  /* 4. C++ constructors, main, exit(main()). */
  bl ei_run_constructors
  bl main
  bl ei_exit
3:b 3b
  .size Reset_Handler, . - Reset_Handler

/* r0 = source, r1 = destination, r2 = destination end (all word-aligned). Clobbers r0, r1, r3. */
  .align 2
  .thumb_func
  .type ei_copy_words, %function
ei_copy_words:
  cmp r1, r2
  bhs 1f
  ldr r3, [r0], #4
  str r3, [r1], #4
  b ei_copy_words
1:bx lr
  .size ei_copy_words, . - ei_copy_words

/* r0 = start, r1 = end (word-aligned), r2 = 0. */
  .align 2
  .thumb_func
  .type ei_zero_words, %function
ei_zero_words:
  cmp r0, r1
  bhs 1f
  str r2, [r0], #4
  b ei_zero_words
1:bx lr
  .size ei_zero_words, . - ei_zero_words

  .pool
