//! The global allocator of the binaries: mimalloc, asked the way Rust's own `System`
//! allocator asks `malloc`.
//!
//! Not a module of the library (which forbids `unsafe`): `main.rs` and the bare baseline
//! (`benches/bare_hyper.rs`) include this file by path, so both measure with the same
//! allocator.
//!
//! Why not `mimalloc::MiMalloc`: it passes every request to `mi_malloc_aligned`, even for an
//! alignment `malloc` already guarantees. mimalloc v3 serves such a request on its fast
//! path only when the size class's current page has a free block; otherwise it takes the
//! over-allocating path (`size + align - 1`, a larger size class, and the page marked as
//! holding interior pointers, which slows every later `free` on it). Under callgrind that
//! was about 6 requests in 30 per HTTP request, about 170 instructions each
//! (benches/README.md). `mi_malloc` guarantees 16-byte alignment (`MI_MAX_ALIGN_SIZE`, C's
//! `max_align_t`) for blocks of 16 bytes or more and natural alignment below: the same
//! guarantee `System` relies on for glibc's `malloc`, under the same condition.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys::{
    mi_free, mi_malloc, mi_malloc_aligned, mi_realloc, mi_realloc_aligned, mi_zalloc,
    mi_zalloc_aligned,
};

/// The alignment `mi_malloc` guarantees (mimalloc's `MI_MAX_ALIGN_SIZE`).
const MALLOC_ALIGN: usize = 16;

/// mimalloc, with `mi_malloc` wherever its alignment suffices.
pub struct MiMalloc;

/// Whether a block of `size` bytes from `mi_malloc` is aligned to `align`: as in `System`,
/// the alignment must be at most what malloc guarantees and at most the size (a 4-byte
/// block may sit in an 8-byte size class at any multiple of 8, never of 16).
fn malloc_aligns(align: usize, size: usize) -> bool {
    align <= MALLOC_ALIGN && align <= size
}

/// `plain(size)` where `mi_malloc`'s alignment suffices, else `aligned(size, align)`.
///
/// # Safety
/// As `GlobalAlloc::alloc`: `layout` has a non-zero size.
#[inline]
unsafe fn allocate(
    layout: Layout,
    plain: unsafe extern "C" fn(usize) -> *mut c_void,
    aligned: unsafe extern "C" fn(usize, usize) -> *mut c_void,
) -> *mut u8 {
    // SAFETY: plain FFI calls; a null return is passed on as the trait allows.
    unsafe {
        if malloc_aligns(layout.align(), layout.size()) {
            plain(layout.size()).cast()
        } else {
            aligned(layout.size(), layout.align()).cast()
        }
    }
}

// SAFETY: every block comes from mimalloc and goes back to it (`mi_free` takes blocks from
// any of its allocation functions); alignment is asked for explicitly whenever
// `malloc_aligns` does not hold.
unsafe impl GlobalAlloc for MiMalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the trait's contract is `allocate`'s.
        unsafe { allocate(layout, mi_malloc, mi_malloc_aligned) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as in `alloc`.
        unsafe { allocate(layout, mi_zalloc, mi_zalloc_aligned) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: `ptr` came from one of this allocator's functions (the trait's contract).
        unsafe { mi_free(ptr.cast::<c_void>()) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from this allocator with `layout` (the trait's contract); the
        // new block keeps the alignment by the same rule as `alloc`.
        unsafe {
            if malloc_aligns(layout.align(), new_size) {
                mi_realloc(ptr.cast::<c_void>(), new_size).cast()
            } else {
                mi_realloc_aligned(ptr.cast::<c_void>(), new_size, layout.align()).cast()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    /// Every size and alignment a Rust type can ask for up to 4 KiB comes back aligned,
    /// through `alloc`, `alloc_zeroed` (zeroed) and `realloc` (contents kept).
    #[test]
    fn blocks_are_aligned_as_asked() {
        use std::alloc::{GlobalAlloc, Layout};

        let allocator = super::MiMalloc;
        for align in [1, 2, 4, 8, 16, 32, 64, 128, 4096] {
            for size in (align..=4096).step_by(align) {
                let layout = Layout::from_size_align(size, align).expect("valid layout");
                // SAFETY: non-zero sizes; every block is freed with its layout.
                unsafe {
                    let p = allocator.alloc(layout);
                    assert!(
                        !p.is_null() && p.addr().is_multiple_of(align),
                        "{size}/{align}"
                    );
                    p.write_bytes(0xA5, size);
                    let grown = allocator.realloc(p, layout, size * 2);
                    assert!(
                        !grown.is_null() && grown.addr().is_multiple_of(align),
                        "realloc {size}/{align}"
                    );
                    assert_eq!(*grown.add(size - 1), 0xA5);
                    allocator.dealloc(
                        grown,
                        Layout::from_size_align(size * 2, align).expect("valid"),
                    );
                    let z = allocator.alloc_zeroed(layout);
                    assert!(
                        !z.is_null() && z.addr().is_multiple_of(align),
                        "zeroed {size}/{align}"
                    );
                    assert!((0..size).all(|i| *z.add(i) == 0));
                    allocator.dealloc(z, layout);
                }
            }
        }
    }
}
