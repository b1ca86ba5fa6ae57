//! The protection point for running JIT code: `sigsetjmp` must be called from C (it returns
//! twice, which Rust cannot express). `vais_protected_call` records a recovery point in a
//! thread-local pointer and calls `fn(ctx)`; the fault handler and `vais_rt_trap` call
//! `vais_protect_jump`, which `siglongjmp`s back (then the signal mask is restored) so that
//! `vais_protected_call` returns 1. Calls nest: each level keeps the previous recovery point
//! on its own C stack frame.
//!
//! Given a stack top, `vais_protected_call` runs `fn(ctx)` on that stack (the separate stack of
//! `jitstack.rs`) and comes back by jumping to its recovery point even when `fn` returns
//! normally: the registers and stack pointer it resumes with are then the ones `sigsetjmp`
//! saved in this frame, on the caller's stack, never values read back from the other stack,
//! where an out-of-range write by the program may have changed them.

/* `siglongjmp` from the separate stack to the caller's must not be checked by
 * `__longjmp_chk`, which assumes one stack per thread. */
#undef _FORTIFY_SOURCE
#include <setjmp.h>
#include <stddef.h>

#include <signal.h>
#include <pthread.h>

static __thread sigjmp_buf *vais_current_jmp = NULL;

/* The thread's signal mask as it was at its first protected call, restored after a jump (the
 * handler's signal is blocked while it runs). Saved once per thread instead of by every
 * `sigsetjmp(buf, 1)`: that was a `rt_sigprocmask` system call per REPL input. */
static __thread sigset_t vais_saved_mask;
static __thread int vais_mask_saved = 0;

/* Recovery-point value of a normal return from the separate stack. */
#define VAIS_RETURNED 2

/* Called (on the separate stack) when `fn` has returned there: back to the recovery point. */
__attribute__((noreturn, used, visibility("hidden"))) void vais_protect_return(void) {
    siglongjmp(*vais_current_jmp, VAIS_RETURNED);
}

#if defined(__x86_64__)
#define VAIS_SWITCH_STACKS 1
/* vais_call_on_stack(fn, ctx, top): sets the stack pointer to `top`, calls `fn(ctx)`, then
 * `vais_protect_return`. The frame it pushes first, on the caller's stack, links the frame
 * pointer chain (and the unwind information below) from `fn`'s frames back to the caller's,
 * so debuggers, the unwinder and frame-pointer walks see one stack. */
__attribute__((noreturn, visibility("hidden"))) void vais_call_on_stack(void (*fn)(void *), void *ctx, void *top);
__asm__(
    ".text\n"
    ".p2align 4\n"
    ".hidden vais_call_on_stack\n"
    ".globl vais_call_on_stack\n"
    ".type vais_call_on_stack, @function\n"
    "vais_call_on_stack:\n"
    ".cfi_startproc\n"
    "    pushq %rbp\n"
    ".cfi_def_cfa_offset 16\n"
    ".cfi_offset %rbp, -16\n"
    "    movq %rsp, %rbp\n"
    ".cfi_def_cfa_register %rbp\n"
    "    movq %rdx, %rsp\n"
    "    movq %rdi, %rax\n"
    "    movq %rsi, %rdi\n"
    "    callq *%rax\n"
    "    callq vais_protect_return\n"
    "    ud2\n"
    ".cfi_endproc\n"
    ".size vais_call_on_stack, .-vais_call_on_stack\n");
#endif

int vais_protected_call(void (*fn)(void *), void *ctx, void *stack_top) {
    sigjmp_buf buf;
    sigjmp_buf *volatile prev = vais_current_jmp;
    if (!vais_mask_saved) {
        pthread_sigmask(SIG_BLOCK, NULL, &vais_saved_mask);
        vais_mask_saved = 1;
    }
    switch (sigsetjmp(buf, 0)) {
    case 0:
        vais_current_jmp = &buf;
#ifdef VAIS_SWITCH_STACKS
        if (stack_top != NULL) {
            vais_call_on_stack(fn, ctx, stack_top);
        }
#else
        (void)stack_top;
#endif
        fn(ctx);
        vais_current_jmp = prev;
        return 0;
    case VAIS_RETURNED:
        vais_current_jmp = prev;
        return 0;
    default:
        pthread_sigmask(SIG_SETMASK, &vais_saved_mask, NULL);
        vais_current_jmp = prev;
        return 1;
    }
}

/* Non-zero when the calling thread is inside `vais_protected_call`. Async-signal-safe. */
int vais_protect_active(void) {
    return vais_current_jmp != NULL;
}

/* Jumps to the innermost recovery point of the calling thread. Only call when
 * `vais_protect_active()` is non-zero. */
void vais_protect_jump(void) {
    siglongjmp(*vais_current_jmp, 1);
}
