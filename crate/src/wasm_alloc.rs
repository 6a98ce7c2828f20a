//! The wasm build's global allocator: the standard library's own allocator (dlmalloc), taking its
//! memory from `memory.grow` in geometric steps instead of one grow per request.
//!
//! Why: the standard library's dlmalloc grows the wasm memory by each request it cannot serve,
//! rounded up to 64 KiB, so decoding the landing columns (a 512 KiB chunk at a time) cost one
//! `memory.grow` per chunk, ~2,000 per GB of columns. In V8 a small grow costs 0.15–0.2 ms of
//! its own: 2,000 grows of 512 KiB took 300–440 ms, 61 steps of 1/16 to 1 GB 8–15 ms (Node 20,
//! docs/performance.md, session 10). So the memory grows by at least [`STEP_SHARE`]⁻¹ of its
//! size (and [`MIN_STEP`]); the price is that up to a sixteenth of it is grown before it is
//! needed. Near the 4 GiB limit, where a step no longer fits, it grows by the request alone.
//!
//! Data flow: every allocation (the landing columns, Parquet buffers, wasm-bindgen's copies of
//! JS bytes) goes to dlmalloc, which asks [`Stepped::alloc`] for more memory only when none of
//! what it holds fits. Memory is never given back (a wasm memory cannot shrink), as before.

/// Bytes in a wasm page.
const PAGE: usize = 64 * 1024;
/// The smallest step the memory grows by (bytes).
const MIN_STEP: usize = 4 << 20;
/// The memory grows by at least 1/`STEP_SHARE` of its size.
const STEP_SHARE: usize = 16;

/// Pages to grow a memory of `current_pages` by when `request` bytes are wanted: the request,
/// but at least 1/[`STEP_SHARE`] of the memory and [`MIN_STEP`], in whole pages.
pub fn step_pages(request: usize, current_pages: usize) -> usize {
    request
        .max(current_pages.saturating_mul(PAGE) / STEP_SHARE)
        .max(MIN_STEP)
        .div_ceil(PAGE)
}

#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
pub use global::SteppedDlmalloc;

#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
mod global {
    use core::alloc::{GlobalAlloc, Layout};
    use core::arch::wasm32;
    use core::cell::UnsafeCell;
    use core::ptr;

    use super::{step_pages, PAGE};

    /// dlmalloc's source of memory: `memory.grow` in steps ([`step_pages`]).
    pub struct Stepped;

    /// Grow memory 0 by `pages`: the new region's first byte, or `None` when it cannot grow.
    fn grow(pages: usize) -> Option<usize> {
        let prev = wasm32::memory_grow(0, pages);
        (prev != usize::MAX).then_some(prev * PAGE)
    }

    // SAFETY: `alloc` returns regions no one else uses (fresh pages at the end of the memory),
    // zeroed as every fresh wasm page is; nothing is ever released or remapped.
    unsafe impl dlmalloc::Allocator for Stepped {
        fn alloc(&self, size: usize) -> (*mut u8, usize, u32) {
            let step = step_pages(size, wasm32::memory_size(0));
            let exact = size.div_ceil(PAGE);
            let Some((base, pages)) = grow(step)
                .map(|b| (b, step))
                .or_else(|| grow(exact).map(|b| (b, exact)))
            else {
                return (ptr::null_mut(), 0, 0);
            };
            let bytes = pages * PAGE;
            // The region may end at the very top of the 4 GiB address space; a Rust pointer must
            // not wrap to 0 one past it, so the last bytes are left out (as the standard
            // library's dlmalloc does).
            let bytes = if base.wrapping_add(bytes) == 0 {
                bytes - 16
            } else {
                bytes
            };
            (base as *mut u8, bytes, 0)
        }

        fn remap(&self, _ptr: *mut u8, _old: usize, _new: usize, _can_move: bool) -> *mut u8 {
            ptr::null_mut()
        }

        fn free_part(&self, _ptr: *mut u8, _old: usize, _new: usize) -> bool {
            false
        }

        fn free(&self, _ptr: *mut u8, _size: usize) -> bool {
            false
        }

        fn can_release_part(&self, _flags: u32) -> bool {
            false
        }

        fn allocates_zeros(&self) -> bool {
            true
        }

        fn page_size(&self) -> usize {
            PAGE
        }
    }

    /// dlmalloc over [`Stepped`], as the global allocator.
    pub struct SteppedDlmalloc(UnsafeCell<dlmalloc::Dlmalloc<Stepped>>);

    impl SteppedDlmalloc {
        /// The allocator, holding no memory yet.
        pub const fn new() -> Self {
            SteppedDlmalloc(UnsafeCell::new(dlmalloc::Dlmalloc::new_with_allocator(Stepped)))
        }
    }

    impl Default for SteppedDlmalloc {
        fn default() -> Self {
            Self::new()
        }
    }

    // SAFETY: wasm32 without the `atomics` target feature runs one thread, so the allocator is
    // never entered from two at once (the module is only compiled there).
    unsafe impl Sync for SteppedDlmalloc {}

    // SAFETY: each call is forwarded to dlmalloc with the same contract (as the standard
    // library's wasm allocator does); one thread, and dlmalloc does not allocate within itself.
    // Not inlined: inlined into every drop, dlmalloc's `free` grew the module by 100 KB.
    unsafe impl GlobalAlloc for SteppedDlmalloc {
        #[inline(never)]
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            unsafe { (*self.0.get()).malloc(layout.size(), layout.align()) }
        }

        #[inline(never)]
        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            unsafe { (*self.0.get()).calloc(layout.size(), layout.align()) }
        }

        #[inline(never)]
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            unsafe { (*self.0.get()).free(ptr, layout.size(), layout.align()) }
        }

        #[inline(never)]
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            unsafe { (*self.0.get()).realloc(ptr, layout.size(), layout.align(), new_size) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_a_sixteenth_of_the_memory_at_least() {
        // A small memory grows by the minimum step; a request beyond it by the request.
        assert_eq!(step_pages(1, 17), MIN_STEP / PAGE);
        assert_eq!(step_pages(512 << 10, 17), MIN_STEP / PAGE);
        assert_eq!(step_pages(MIN_STEP + 1, 17), MIN_STEP / PAGE + 1);
        // 1 GiB of memory grows by 64 MiB, unless more is asked for.
        let gib = (1 << 30) / PAGE;
        assert_eq!(step_pages(512 << 10, gib), gib / STEP_SHARE);
        assert_eq!(step_pages(100 << 20, gib), (100 << 20) / PAGE);
        // A whole 4 GiB memory does not overflow.
        assert_eq!(step_pages(1, 65_536), 65_536 / STEP_SHARE);
        // From an empty memory to 1 GiB in about 60 grows, not 2,048 of 512 KiB.
        let (mut pages, mut grows) = (17, 0);
        while pages * PAGE < 1 << 30 {
            pages += step_pages(512 << 10, pages);
            grows += 1;
        }
        assert!((40..=70).contains(&grows), "{grows} grows");
        // Never more than a sixteenth (or the minimum step) beyond what was asked for.
        assert!(pages * PAGE <= (1 << 30) + (1 << 30) / STEP_SHARE + MIN_STEP);
    }
}
