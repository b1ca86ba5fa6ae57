//! The GDB JIT interface: hands debug images of JIT code (in-memory ELF objects, built by
//! `vais-debug`) to a debugger attached to this process, and takes them back when the code is
//! freed.
//!
//! The protocol (gdb manual, "JIT Compilation Interface"): the process defines the symbols
//! `__jit_debug_descriptor` (a list of images) and `__jit_debug_register_code` (an empty
//! function gdb puts a breakpoint on). To register, link an entry at the head of the list, point
//! `relevant_entry` at it, set `action_flag` to 1 and call the function; to unregister, unlink
//! it and do the same with 2. One registration per call: debuggers read only `relevant_entry`.
//! Without a debugger this costs a function call.

use std::sync::Mutex;

#[repr(C)]
struct JitCodeEntry {
    next_entry: *mut JitCodeEntry,
    prev_entry: *mut JitCodeEntry,
    symfile_addr: *const u8,
    symfile_size: u64,
}

/// `struct jit_descriptor` of the protocol (version 1).
#[repr(C)]
pub struct JitDescriptor {
    version: u32,
    action_flag: u32,
    relevant_entry: *mut JitCodeEntry,
    first_entry: *mut JitCodeEntry,
}

const JIT_NOACTION: u32 = 0;
const JIT_REGISTER: u32 = 1;
const JIT_UNREGISTER: u32 = 2;

/// Read by the debugger by name; only written under `LOCK`.
#[no_mangle]
#[used]
pub static mut __jit_debug_descriptor: JitDescriptor = JitDescriptor {
    version: 1,
    action_flag: JIT_NOACTION,
    relevant_entry: std::ptr::null_mut(),
    first_entry: std::ptr::null_mut(),
};

/// The debugger's breakpoint: it reads the descriptor whenever this is called.
#[no_mangle]
#[inline(never)]
pub extern "C" fn __jit_debug_register_code() {
    // Keeps the call (and the function) from being optimised away.
    std::hint::black_box(());
}

static LOCK: Mutex<()> = Mutex::new(());

/// A registered image; dropping it unregisters the image (do that before freeing its code).
pub struct Registration {
    entry: *mut JitCodeEntry,
    /// The ELF bytes the entry points into; kept alive (and unmoved) while registered.
    _image: Box<[u8]>,
}

// SAFETY: the entry is only touched under `LOCK` (registration, unregistration in `drop`);
// the image is immutable.
unsafe impl Send for Registration {}

/// Registers `image` (an ELF object) with the debugger, if one is attached.
pub fn register(image: Vec<u8>) -> Registration {
    let image = image.into_boxed_slice();
    let entry = Box::into_raw(Box::new(JitCodeEntry {
        next_entry: std::ptr::null_mut(),
        prev_entry: std::ptr::null_mut(),
        symfile_addr: image.as_ptr(),
        symfile_size: image.len() as u64,
    }));
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    // SAFETY: under `LOCK`, the only writer of the descriptor and of linked entries; `entry` is
    // a fresh allocation, and list entries stay allocated until they are unlinked here.
    unsafe {
        let d = std::ptr::addr_of_mut!(__jit_debug_descriptor);
        (*entry).next_entry = (*d).first_entry;
        if !(*d).first_entry.is_null() {
            (*(*d).first_entry).prev_entry = entry;
        }
        (*d).first_entry = entry;
        (*d).relevant_entry = entry;
        (*d).action_flag = JIT_REGISTER;
        __jit_debug_register_code();
        (*d).action_flag = JIT_NOACTION;
        (*d).relevant_entry = std::ptr::null_mut();
    }
    Registration { entry, _image: image }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
        // SAFETY: `self.entry` is linked in the list (registered by `register`, unlinked only
        // here, once); under `LOCK` nothing else changes the list.
        unsafe {
            let d = std::ptr::addr_of_mut!(__jit_debug_descriptor);
            let e = self.entry;
            if (*e).prev_entry.is_null() {
                (*d).first_entry = (*e).next_entry;
            } else {
                (*(*e).prev_entry).next_entry = (*e).next_entry;
            }
            if !(*e).next_entry.is_null() {
                (*(*e).next_entry).prev_entry = (*e).prev_entry;
            }
            (*d).relevant_entry = e;
            (*d).action_flag = JIT_UNREGISTER;
            __jit_debug_register_code();
            (*d).action_flag = JIT_NOACTION;
            (*d).relevant_entry = std::ptr::null_mut();
            drop(Box::from_raw(e));
        }
    }
}

/// The images registered now, as (address, size) of their bytes, newest first (for tests).
pub fn registered() -> Vec<(usize, u64)> {
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let mut out = Vec::new();
    // SAFETY: under `LOCK` the list is consistent and its entries allocated.
    unsafe {
        let mut e = (*std::ptr::addr_of!(__jit_debug_descriptor)).first_entry;
        while !e.is_null() {
            out.push(((*e).symfile_addr as usize, (*e).symfile_size));
            e = (*e).next_entry;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_links_and_drop_unlinks_in_any_order() {
        let a = register(vec![1; 10]);
        let b = register(vec![2; 20]);
        let c = register(vec![3; 30]);
        let sizes = |v: Vec<(usize, u64)>| v.into_iter().map(|e| e.1).filter(|s| [10, 20, 30].contains(s)).collect::<Vec<_>>();
        assert_eq!(sizes(registered()), vec![30, 20, 10]);
        drop(b);
        assert_eq!(sizes(registered()), vec![30, 10]);
        drop(c);
        assert_eq!(sizes(registered()), vec![10]);
        drop(a);
        assert_eq!(sizes(registered()), Vec::<u64>::new());
    }
}
