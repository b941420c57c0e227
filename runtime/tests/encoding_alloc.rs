//! Decoding hostile bytes allocates at most a small multiple of their length: a counting
//! allocator measures the peak heap use of decoding random and crafted inputs.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Counts the bytes currently allocated and the peak since the last reset.
struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so the
// `GlobalAlloc` contract holds exactly as it does for `System`; the counters are atomics
// that never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            let now = CURRENT.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size
                - layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        } else {
            CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Peak extra heap use while decoding `bytes` every way there is.
fn peak_for(bytes: &[u8]) -> usize {
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    common::decode_everything(bytes);
    PEAK.load(Ordering::Relaxed).saturating_sub(base)
}

/// The only test of this binary, so no other test thread allocates while it measures.
#[test]
fn decoding_allocates_in_proportion_to_the_input() {
    let mut inputs: Vec<Vec<u8>> = vec![
        vec![0xff, 0xff, 0xff, 0xff, 0x7f],
        vec![0xff, 0xfe, 0xff, 0xff, 0x7f, 1, 2, 3],
        [vec![0xff, 0x00, 0x01, 0x00, 0x00], vec![0u8; 300]].concat(),
        [vec![0xff, 0x00, 0x01, 0x00, 0x00], vec![0xfe; 300]].concat(),
        vec![0x30; 400],
        vec![0x01; 400],
    ];
    // Pseudo-random inputs of many lengths (xorshift, same every run).
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for len in (0..2000).step_by(7) {
        let bytes = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // Favour small sizes and the size escape, which reach deeper.
                match x % 4 {
                    0 => (x >> 8) as u8 % 4,
                    1 => 0xff,
                    _ => (x >> 16) as u8,
                }
            })
            .collect();
        inputs.push(bytes);
    }
    // Proxy strings with huge numbers and long base64 bodies.
    inputs.push(
        b"x:opaque -t 99 -v AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
            .to_vec(),
    );
    inputs.push(b"x:tcp -h h -p 99999999999999999999".to_vec());

    for bytes in &inputs {
        let peak = peak_for(bytes);
        // Decoded containers hold at most one element per input byte; an element is at
        // most a few dozen bytes (a String, a Vec, a map bucket): 64 bytes per input byte
        // plus a fixed allowance for error messages and small buffers.
        let limit = 64 * bytes.len() + 16 * 1024;
        assert!(
            peak <= limit,
            "{peak} bytes allocated decoding {} bytes (limit {limit}): {:02x?}",
            bytes.len(),
            &bytes[..bytes.len().min(16)]
        );
    }
}
