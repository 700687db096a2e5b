//! The binary's allocator: mimalloc, called without its aligned entry
//! points when the alignment asked for is one every mimalloc block of that
//! size already has.
//!
//! `mimalloc::MiMalloc` sends every allocation through `mi_malloc_aligned`,
//! which checks the alignment of each block it hands out and takes a slower
//! path for blocks over 1 KiB. A Rust allocation almost always asks for at
//! most 16-byte alignment, which `mi_malloc` gives any block of at least
//! that size (as C's `malloc`; mimalloc asserts it in `alloc.c`). This is
//! the rule Rust's own `System` allocator applies to `malloc`.
#![allow(unsafe_code, reason = "a global allocator is an unsafe trait")]

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys as ffi;

/// The largest alignment `mi_malloc` guarantees (mimalloc's
/// `MI_MAX_ALIGN_SIZE`, `sizeof(max_align_t)` on the platforms we build for).
const MALLOC_ALIGN: usize = 16;

/// mimalloc, with its plain entry points for naturally aligned requests.
pub struct Allocator;

/// Whether `mi_malloc` (or `mi_realloc`) of `size` bytes is aligned enough
/// for `align`: alignments up to 16 that do not exceed the size (a block of
/// 8 bytes is only 8-aligned).
fn plain_is_enough(align: usize, size: usize) -> bool {
    align <= MALLOC_ALIGN && align <= size
}

// SAFETY: every pointer comes from mimalloc and goes back to it: `mi_free`
// frees blocks of both the plain and the aligned entry points, and
// `mi_realloc_aligned` accepts either. The plain entry points are used only
// when their guaranteed alignment covers the layout's.
unsafe impl GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: mimalloc's functions take any size and alignment.
        unsafe {
            if plain_is_enough(layout.align(), layout.size()) {
                ffi::mi_malloc(layout.size()).cast()
            } else {
                ffi::mi_malloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as in `alloc`.
        unsafe {
            if plain_is_enough(layout.align(), layout.size()) {
                ffi::mi_zalloc(layout.size()).cast()
            } else {
                ffi::mi_zalloc_aligned(layout.size(), layout.align()).cast()
            }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: `ptr` came from this allocator, so from mimalloc.
        unsafe { ffi::mi_free(ptr.cast::<c_void>()) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from mimalloc; the new block keeps the layout's
        // alignment (the plain call only when it guarantees it).
        unsafe {
            if plain_is_enough(layout.align(), new_size) {
                ffi::mi_realloc(ptr.cast::<c_void>(), new_size).cast()
            } else {
                ffi::mi_realloc_aligned(ptr.cast::<c_void>(), new_size, layout.align()).cast()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_block_is_aligned_as_its_layout_asks() {
        let allocator = Allocator;
        for align in [1, 2, 4, 8, 16, 32, 64, 4096] {
            for size in [align, 8, 16, 24, 40, 48, 80, 1000, 1024, 1040, 5000, 70_000] {
                let Ok(layout) = Layout::from_size_align(size.max(align), align) else {
                    continue;
                };
                // SAFETY: a non-zero layout; every block is freed once.
                unsafe {
                    let p = allocator.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p.addr() % align, 0, "{layout:?}");
                    p.write_bytes(0xA5, layout.size());
                    let grown = allocator.realloc(p, layout, layout.size() * 3);
                    assert_eq!(grown.addr() % align, 0, "grown {layout:?}");
                    assert_eq!(*grown.add(layout.size() - 1), 0xA5);
                    allocator.dealloc(
                        grown,
                        Layout::from_size_align_unchecked(layout.size() * 3, align),
                    );
                    let z = allocator.alloc_zeroed(layout);
                    assert_eq!(z.addr() % align, 0, "zeroed {layout:?}");
                    assert!((0..layout.size()).all(|i| *z.add(i) == 0));
                    allocator.dealloc(z, layout);
                }
            }
        }
    }
}
