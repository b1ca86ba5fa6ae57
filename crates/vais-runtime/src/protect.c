//! The protection point for running JIT code: `sigsetjmp` must be called from C (it returns
//! twice, which Rust cannot express). `vais_protected_call` records a recovery point in a
//! thread-local pointer and calls `fn(ctx)`; the fault handler and `vais_rt_trap` call
//! `vais_protect_jump`, which `siglongjmp`s back (then the signal mask is restored) so that
//! `vais_protected_call` returns 1. Calls nest: each level keeps the previous recovery point
//! on its own C stack frame.
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

int vais_protected_call(void (*fn)(void *), void *ctx) {
    sigjmp_buf buf;
    sigjmp_buf *volatile prev = vais_current_jmp;
    if (!vais_mask_saved) {
        pthread_sigmask(SIG_BLOCK, NULL, &vais_saved_mask);
        vais_mask_saved = 1;
    }
    if (sigsetjmp(buf, 0) == 0) {
        vais_current_jmp = &buf;
        fn(ctx);
        vais_current_jmp = prev;
        return 0;
    }
    pthread_sigmask(SIG_SETMASK, &vais_saved_mask, NULL);
    vais_current_jmp = prev;
    return 1;
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
