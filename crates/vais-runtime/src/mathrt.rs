//! `vais_rt_set_edom`: sets C's `errno` to `EDOM` and preserves every register (Cranelift's
//! `preserve_all` convention). JIT code computes `sqrt` with the instruction and calls this on
//! the cold path of a negative argument, so `errno` is set as C's `sqrt` sets it, while the hot
//! path keeps its values in registers (a call in the C convention clobbers every vector
//! register, and the register allocator then spilled them on the hot path too: nbody 16%).

#[cfg(target_arch = "x86_64")]
std::arch::global_asm!(
    ".globl vais_rt_set_edom",
    ".type vais_rt_set_edom,@function",
    "vais_rt_set_edom:",
    "push rbp",
    "mov rbp, rsp",
    "push rax",
    "push rcx",
    "push rdx",
    "push rsi",
    "push rdi",
    "push r8",
    "push r9",
    "push r10",
    "push r11",
    // 9 pushes after rbp: rsp is 8 mod 16; 16 vector registers and 8 bytes of padding.
    "sub rsp, 264",
    "movdqu [rsp], xmm0",
    "movdqu [rsp + 16], xmm1",
    "movdqu [rsp + 32], xmm2",
    "movdqu [rsp + 48], xmm3",
    "movdqu [rsp + 64], xmm4",
    "movdqu [rsp + 80], xmm5",
    "movdqu [rsp + 96], xmm6",
    "movdqu [rsp + 112], xmm7",
    "movdqu [rsp + 128], xmm8",
    "movdqu [rsp + 144], xmm9",
    "movdqu [rsp + 160], xmm10",
    "movdqu [rsp + 176], xmm11",
    "movdqu [rsp + 192], xmm12",
    "movdqu [rsp + 208], xmm13",
    "movdqu [rsp + 224], xmm14",
    "movdqu [rsp + 240], xmm15",
    "call {set}",
    "movdqu xmm0, [rsp]",
    "movdqu xmm1, [rsp + 16]",
    "movdqu xmm2, [rsp + 32]",
    "movdqu xmm3, [rsp + 48]",
    "movdqu xmm4, [rsp + 64]",
    "movdqu xmm5, [rsp + 80]",
    "movdqu xmm6, [rsp + 96]",
    "movdqu xmm7, [rsp + 112]",
    "movdqu xmm8, [rsp + 128]",
    "movdqu xmm9, [rsp + 144]",
    "movdqu xmm10, [rsp + 160]",
    "movdqu xmm11, [rsp + 176]",
    "movdqu xmm12, [rsp + 192]",
    "movdqu xmm13, [rsp + 208]",
    "movdqu xmm14, [rsp + 224]",
    "movdqu xmm15, [rsp + 240]",
    "add rsp, 264",
    "pop r11",
    "pop r10",
    "pop r9",
    "pop r8",
    "pop rdi",
    "pop rsi",
    "pop rdx",
    "pop rcx",
    "pop rax",
    "pop rbp",
    "ret",
    ".size vais_rt_set_edom, . - vais_rt_set_edom",
    set = sym set_edom,
);

/// The C-convention part: `errno = EDOM`.
#[cfg(target_arch = "x86_64")]
extern "C" fn set_edom() {
    // SAFETY: `__errno_location` returns this thread's `errno`.
    unsafe { *libc::__errno_location() = libc::EDOM };
}

#[cfg(target_arch = "x86_64")]
extern "C" {
    /// See the module comment (preserve_all convention: no arguments, no result).
    pub fn vais_rt_set_edom();
}

/// The address of `vais_rt_set_edom` where it exists (x86-64).
pub fn set_edom_addr() -> Option<*const u8> {
    #[cfg(target_arch = "x86_64")]
    {
        Some(vais_rt_set_edom as *const u8)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        None
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    #[test]
    fn sets_errno_to_edom() {
        // SAFETY: errno of this thread.
        unsafe { *libc::__errno_location() = 0 };
        // SAFETY: callable from Rust too: it preserves every register, a superset of what the
        // C convention asks.
        unsafe { super::vais_rt_set_edom() };
        // SAFETY: as above.
        assert_eq!(unsafe { *libc::__errno_location() }, libc::EDOM);
    }
}
