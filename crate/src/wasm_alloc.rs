//! The wasm build's global allocator: the dlmalloc crate (the allocator the standard library uses
//! on wasm32), taking its memory from `memory.grow` in geometric steps instead of one grow per
//! request.
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
//! JS bytes) goes to dlmalloc, which asks for more memory (`Stepped`, through [`region`]) only
//! when none of what it holds fits. Memory is never given back (a wasm memory cannot shrink), as
//! before.
// Natively only the tests use the step rule.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

/// Bytes in a wasm page.
const PAGE: u64 = 64 * 1024;
/// The smallest step the memory grows by (bytes).
const MIN_STEP: u64 = 4 << 20;
/// The memory grows by at least 1/`STEP_SHARE` of its size.
const STEP_SHARE: u64 = 16;
/// The wasm32 address space: 4 GiB.
const ADDRESS_SPACE: u64 = 1 << 32;

/// Pages to grow a memory of `current_pages` by when `request` bytes are wanted: the request,
/// but at least 1/[`STEP_SHARE`] of the memory and [`MIN_STEP`], in whole pages. (In `u64`, so
/// that a full 4 GiB memory computes the same natively, where this is tested, and in wasm32.)
fn step_pages(request: u64, current_pages: u64) -> u64 {
    request
        .max(current_pages * PAGE / STEP_SHARE)
        .max(MIN_STEP)
        .div_ceil(PAGE)
}

/// The region to hand dlmalloc when it asks for `size` bytes of a memory of `current_pages`:
/// `(first byte, bytes)`, or `None` when the memory cannot grow by `size`. `grow(pages)` grows
/// the memory and returns the first byte of the new pages (`None`: it cannot). A step is tried
/// first, then (near the 4 GiB limit, when the step does not fit) the request alone. A region
/// that ends at the very top of the address space is 16 bytes short: a Rust pointer one past its
/// end must not wrap to 0 (as the standard library's wasm allocator does).
fn region(size: u64, current_pages: u64, mut grow: impl FnMut(u64) -> Option<u64>) -> Option<(u64, u64)> {
    let step = step_pages(size, current_pages);
    let exact = size.div_ceil(PAGE);
    let (base, pages) = match grow(step) {
        Some(base) => (base, step),
        None if exact < step => (grow(exact)?, exact),
        None => return None,
    };
    let bytes = pages * PAGE;
    Some((
        base,
        if base + bytes == ADDRESS_SPACE {
            bytes - 16
        } else {
            bytes
        },
    ))
}

#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
pub use global::SteppedDlmalloc;

#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
mod global {
    use core::alloc::{GlobalAlloc, Layout};
    use core::arch::wasm32;
    use core::cell::UnsafeCell;
    use core::ptr;

    use super::{region, PAGE};

    /// dlmalloc's source of memory: `memory.grow` in steps ([`region`]).
    pub struct Stepped;

    /// Grow memory 0 by `pages`: the first byte of the new pages, or `None` when it cannot grow.
    fn grow(pages: u64) -> Option<u64> {
        let prev = wasm32::memory_grow(0, pages as usize);
        (prev != usize::MAX).then(|| prev as u64 * PAGE)
    }

    // SAFETY: `alloc` returns regions no one else uses (fresh pages at the end of the memory),
    // zeroed as every fresh wasm page is, 64 KiB-aligned; nothing is ever released or remapped.
    unsafe impl dlmalloc::Allocator for Stepped {
        fn alloc(&self, size: usize) -> (*mut u8, usize, u32) {
            match region(size as u64, wasm32::memory_size(0) as u64, grow) {
                Some((base, bytes)) => (base as usize as *mut u8, bytes as usize, 0),
                None => (ptr::null_mut(), 0, 0),
            }
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
            PAGE as usize
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
        // A whole 4 GiB memory.
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

    /// A wasm32 memory of `pages` that grows up to 4 GiB, counting the calls.
    struct Memory {
        pages: u64,
        calls: Vec<u64>,
    }

    impl Memory {
        fn grow(&mut self, pages: u64) -> Option<u64> {
            self.calls.push(pages);
            (self.pages + pages <= ADDRESS_SPACE / PAGE).then(|| {
                self.pages += pages;
                (self.pages - pages) * PAGE
            })
        }

        fn region(&mut self, size: u64) -> Option<(u64, u64)> {
            self.calls.clear();
            region(size, self.pages, |p| self.grow(p))
        }
    }

    #[test]
    fn regions_step_then_fall_back_to_the_request_near_4_gib() {
        // A step: 4 MiB for a small memory, from its old end.
        let mut m = Memory {
            pages: 17,
            calls: vec![],
        };
        assert_eq!(m.region(100), Some((17 * PAGE, MIN_STEP)));
        assert_eq!(m.calls, [MIN_STEP / PAGE]);
        // 100 MiB short of 4 GiB: a step (250 MiB) does not fit, the request alone (2 MiB) does.
        let left = 100 << 20;
        let mut m = Memory {
            pages: (ADDRESS_SPACE - left) / PAGE,
            calls: vec![],
        };
        assert_eq!(m.region(2 << 20), Some((ADDRESS_SPACE - left, 2 << 20)));
        assert_eq!(m.calls, [(ADDRESS_SPACE - left) / PAGE / STEP_SHARE, 32]);
        // Nothing fits: `None`, after the step and the request; a request as large as the step
        // is not tried twice.
        let step = m.pages / STEP_SHARE;
        assert_eq!(m.region(200 << 20), None);
        assert_eq!(m.calls, [step, (200 << 20) / PAGE]);
        assert_eq!(m.region(300 << 20), None);
        assert_eq!(m.calls, [(300 << 20) / PAGE]);
        // A region that ends at exactly 4 GiB is 16 bytes short of it.
        let mut m = Memory {
            pages: ADDRESS_SPACE / PAGE - 1,
            calls: vec![],
        };
        assert_eq!(m.region(10), Some((ADDRESS_SPACE - PAGE, PAGE - 16)));
        assert_eq!(m.pages, ADDRESS_SPACE / PAGE);
        assert_eq!(m.region(1), None);
    }
}
