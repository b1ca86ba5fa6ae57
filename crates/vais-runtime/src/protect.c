//! The protection point for running JIT code: `sigsetjmp` must be called from C (it returns
//! twice, which Rust cannot express). `vais_protected_call` records a recovery point in a
//! thread-local pointer and calls `fn(ctx)`; the fault handler and `vais_rt_trap` call
//! `vais_protect_jump`, which `siglongjmp`s back (restoring the signal mask) so that
//! `vais_protected_call` returns 1. Calls nest: each level keeps the previous recovery point
//! on its own C stack frame.
#include <setjmp.h>
#include <stddef.h>

static __thread sigjmp_buf *vais_current_jmp = NULL;

int vais_protected_call(void (*fn)(void *), void *ctx) {
    sigjmp_buf buf;
    sigjmp_buf *volatile prev = vais_current_jmp;
    if (sigsetjmp(buf, 1) == 0) {
        vais_current_jmp = &buf;
        fn(ctx);
        vais_current_jmp = prev;
        return 0;
    }
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
