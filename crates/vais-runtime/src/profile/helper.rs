//! The profiler's helper threads (the signal sender; the kernel event's opener and drain loop),
//! started with `pthread_create` rather than `std::thread`: std's thread start allocates in the
//! new thread (its stack-overflow bookkeeping), and a thread's first allocation costs it a fresh
//! allocator heap, which this kernel backs with transparent huge pages zeroed 2 MB at a time:
//! 0.5-1 ms of CPU per thread, several percent of a 20 ms profiled run. Here the starting thread
//! allocates everything, and the helper, which must not allocate either, only runs its closure.
//!
//! It knows nothing of sampling.

use std::marker::PhantomData;

/// Stack of a helper thread: small, so that it is never a transparent huge page either.
const STACK: usize = 64 << 10;

/// A running helper; [`Helper::join`] waits for its result. Dropped without a join, the thread
/// is detached (its closure's box is then leaked: a few words).
pub(super) struct Helper<R> {
    thread: libc::pthread_t,
    slot: *mut libc::c_void,
    /// Takes the result out of `slot` and frees it (knows the closure's type).
    take: unsafe fn(*mut libc::c_void) -> Option<R>,
    joined: bool,
    _r: PhantomData<R>,
}

// SAFETY: the slot is written by the helper thread and read by `join` only after
// `pthread_join` (which orders the two); `R: Send` moves between the threads.
unsafe impl<R: Send> Send for Helper<R> {}

struct Slot<F, R> {
    f: Option<F>,
    out: Option<R>,
}

extern "C" fn entry<F: FnOnce() -> R, R>(arg: *mut libc::c_void) -> *mut libc::c_void {
    // SAFETY: `arg` is the `Slot<F, R>` that `spawn` leaked for this thread; its owner reads it
    // only after joining this thread.
    let slot = unsafe { &mut *(arg as *mut Slot<F, R>) };
    // Named from inside (one `prctl`; `pthread_setname_np` on another thread opens, writes and
    // closes its /proc `comm` file).
    // SAFETY: PR_SET_NAME reads a NUL-terminated name of at most 16 bytes.
    unsafe { libc::prctl(libc::PR_SET_NAME, c"vais-profiler".as_ptr()) };
    if let Some(f) = slot.f.take() {
        slot.out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).ok();
    }
    std::ptr::null_mut()
}

/// # Safety
/// `slot` is a `Slot<F, R>` made by `spawn`, whose thread has been joined.
unsafe fn take<F, R>(slot: *mut libc::c_void) -> Option<R> {
    // SAFETY: the caller's contract; the box is freed here, once.
    let slot = unsafe { Box::from_raw(slot as *mut Slot<F, R>) };
    slot.out
}

/// Starts `f` on a new helper thread named `vais-profiler`; `None` if the system refuses.
pub(super) fn spawn<R: Send + 'static, F: FnOnce() -> R + Send + 'static>(f: F) -> Option<Helper<R>> {
    let slot = Box::into_raw(Box::new(Slot::<F, R> { f: Some(f), out: None })) as *mut libc::c_void;
    // SAFETY: standard pthread creation with an initialised attribute object; `entry::<F, R>`
    // takes `slot` as the type it was made with.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        libc::pthread_attr_init(&mut attr);
        libc::pthread_attr_setstacksize(&mut attr, STACK);
        let mut thread: libc::pthread_t = std::mem::zeroed();
        let rc = libc::pthread_create(&mut thread, &attr, entry::<F, R>, slot);
        libc::pthread_attr_destroy(&mut attr);
        if rc != 0 {
            drop(Box::from_raw(slot as *mut Slot<F, R>));
            return None;
        }
        Some(Helper { thread, slot, take: take::<F, R>, joined: false, _r: PhantomData })
    }
}

impl<R> Helper<R> {
    /// Waits for the thread to end; its closure's result (`None` if it panicked).
    pub(super) fn join(mut self) -> Option<R> {
        self.joined = true;
        // SAFETY: joins the thread this value started, once (`joined` keeps `drop` from
        // detaching it); afterwards nothing else uses the slot.
        unsafe {
            if libc::pthread_join(self.thread, std::ptr::null_mut()) != 0 {
                return None;
            }
            (self.take)(self.slot)
        }
    }
}

impl<R> Drop for Helper<R> {
    fn drop(&mut self) {
        if !self.joined {
            // SAFETY: detaches the thread this value started and never joined.
            unsafe { libc::pthread_detach(self.thread) };
        }
    }
}

/// A flag that ends a helper's loop and wakes it from [`Stop::sleep_until`] at once (a futex
/// word), so that stopping a sampler at a low rate (`--profile-hz 1`) does not wait out its
/// interval: a plain sleep made `stop` wait up to one interval (a second at 1 Hz, half a
/// millisecond on average at 1 kHz).
#[derive(Default)]
pub(super) struct Stop(std::sync::atomic::AtomicU32);

const FUTEX_WAIT_BITSET_PRIVATE: libc::c_int = 9 | 128;
const FUTEX_WAKE_PRIVATE: libc::c_int = 1 | 128;

impl Stop {
    pub(super) fn is_set(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::SeqCst) != 0
    }

    /// Sets the flag and wakes the thread sleeping on it.
    pub(super) fn set(&self) {
        self.0.store(1, std::sync::atomic::Ordering::SeqCst);
        // SAFETY: a futex wake on a word this value owns; it touches no other memory.
        unsafe { libc::syscall(libc::SYS_futex, self.0.as_ptr(), FUTEX_WAKE_PRIVATE, i32::MAX, 0usize, 0usize, 0u32) };
    }

    /// Sleeps until `deadline` (an absolute `CLOCK_MONOTONIC` time in nanoseconds) or until the
    /// flag is set, whichever comes first; whether it is set.
    pub(super) fn sleep_until(&self, deadline: i64) -> bool {
        let ts = libc::timespec { tv_sec: deadline / 1_000_000_000, tv_nsec: deadline % 1_000_000_000 };
        while !self.is_set() {
            // SAFETY: FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline; it sleeps
            // only while the word is still 0 and reads nothing but the word and `ts`.
            let rc = unsafe { libc::syscall(libc::SYS_futex, self.0.as_ptr(), FUTEX_WAIT_BITSET_PRIVATE, 0u32, &ts as *const libc::timespec, 0usize, u32::MAX) };
            if rc != 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ETIMEDOUT) {
                break;
            }
        }
        self.is_set()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::monotonic_ns;

    #[test]
    fn a_sleeper_wakes_when_stopped_not_at_its_deadline() {
        let stop = std::sync::Arc::new(Stop::default());
        let s = stop.clone();
        let t0 = std::time::Instant::now();
        let setter = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(20));
            s.set();
        });
        // A deadline a minute away: only `set` can end this sleep in time.
        assert!(stop.sleep_until(monotonic_ns() + 60_000_000_000));
        assert!(t0.elapsed() < std::time::Duration::from_secs(30), "slept {:?}", t0.elapsed());
        setter.join().unwrap();
        // Once set, it stays set and a sleep returns at once.
        assert!(stop.sleep_until(monotonic_ns() + 60_000_000_000));
    }

    #[test]
    fn a_sleeper_that_is_not_stopped_wakes_at_its_deadline() {
        let stop = Stop::default();
        let deadline = monotonic_ns() + 5_000_000;
        assert!(!stop.sleep_until(deadline));
        assert!(monotonic_ns() >= deadline);
        assert!(!stop.is_set());
    }
}
