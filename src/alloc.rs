//! The global allocator: the system's malloc, counted (Redis's zmalloc).
//!
//! Every allocation adds its usable size (what malloc really reserved, from
//! `malloc_usable_size`) plus the allocator's per-chunk header to one counter, and
//! every free subtracts it, so [`used_memory`] is the heap the process holds, as
//! Redis's `used_memory` is jemalloc's allocated bytes. `maxmemory` compares against
//! it. glibc's malloc is kept: rudis's keys and values up to 22 bytes live inline in
//! the key table, so the allocator sees few small allocations (see the README,
//! Memory, for the figures and what was and was not compared).
//!
//! The counter is one relaxed atomic (the AOF fsync thread and the save child
//! allocate too): a few nanoseconds per allocation.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// glibc's per-chunk header (`SIZE_SZ`), which `malloc_usable_size` leaves out.
const CHUNK_HEADER: usize = std::mem::size_of::<usize>();

/// Bytes allocated and not freed (usable sizes plus headers).
static USED: AtomicUsize = AtomicUsize::new(0);
/// Allocations not freed.
static LIVE: AtomicUsize = AtomicUsize::new(0);

/// The system allocator, counted.
#[derive(Debug)]
pub struct Counting;

/// Bytes the allocation at `ptr` really takes.
///
/// # Safety
/// `ptr` is a live allocation of [`System`] (itself malloc on Linux).
#[inline]
unsafe fn real_size(ptr: *mut u8) -> usize {
    // SAFETY: the caller passes a pointer malloc (through System) returned.
    unsafe { libc::malloc_usable_size(ptr.cast()) + CHUNK_HEADER }
}

#[inline]
fn added(ptr: *mut u8) {
    if !ptr.is_null() {
        // SAFETY: a non-null pointer System just returned.
        let size = unsafe { real_size(ptr) };
        USED.fetch_add(size, Ordering::Relaxed);
        LIVE.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: every method forwards to System with the same arguments; the counting
// only reads the size of live allocations.
unsafe impl GlobalAlloc for Counting {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is.
        let ptr = unsafe { System.alloc(layout) };
        added(ptr);
        ptr
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        added(ptr);
        ptr
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` is live until the System call below.
        let size = unsafe { real_size(ptr) };
        USED.fetch_sub(size, Ordering::Relaxed);
        LIVE.fetch_sub(1, Ordering::Relaxed);
        // SAFETY: forwarded as is.
        unsafe { System.dealloc(ptr, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` is live until the System call below.
        let old = unsafe { real_size(ptr) };
        // SAFETY: forwarded as is.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            // SAFETY: a non-null pointer System just returned.
            let size = unsafe { real_size(new) };
            if size >= old {
                USED.fetch_add(size - old, Ordering::Relaxed);
            } else {
                USED.fetch_sub(old - size, Ordering::Relaxed);
            }
        }
        new
    }
}

/// The allocator of every binary and test linking this crate.
#[global_allocator]
static GLOBAL: Counting = Counting;

/// Heap bytes in use by the whole process (Redis's `zmalloc_used_memory`).
pub fn used_memory() -> usize {
    USED.load(Ordering::Relaxed)
}

/// Most heap bytes seen in use.
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// Samples the heap in use for the peak (the cron and INFO call it, as Redis's
/// `stat_peak_memory`); returns the peak.
pub fn note_peak() -> usize {
    let used = used_memory();
    PEAK.fetch_max(used, Ordering::Relaxed).max(used)
}

/// Live allocations.
pub fn allocations() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// The allocator's name for INFO's `mem_allocator`.
pub const NAME: &str = "libc";

/// glibc's own statistics: (arena bytes obtained from the system, bytes in use, bytes
/// free in the arenas), from `mallinfo2`.
pub fn malloc_info() -> (usize, usize, usize) {
    // SAFETY: mallinfo2 only reads the allocator's statistics.
    let info = unsafe { libc::mallinfo2() };
    (
        info.arena + info.hblkhd,
        info.uordblks + info.hblkhd,
        info.fordblks,
    )
}

/// Releases free memory at the top of the heap and in the arenas to the system
/// (`malloc_trim`, as MEMORY PURGE does with jemalloc).
pub fn purge() {
    // SAFETY: malloc_trim only returns free pages.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_big_allocation_is_counted_and_uncounted() {
        // Other tests allocate concurrently: compare with a margin far below the size.
        let before = used_memory();
        let v = vec![1u8; 64 << 20];
        assert!(used_memory() >= before + (60 << 20));
        drop(v);
        assert!(used_memory() < before + (32 << 20));
    }
}
