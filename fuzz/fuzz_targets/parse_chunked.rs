//! Resumability: the same bytes delivered in fuzzer-chosen pieces yield exactly the
//! requests and error that one delivery does. The limits are fuzzer-chosen too (small
//! ones make the limit checks reachable), or the defaults.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use rudis::protocol::ProtoLimits;
use rudis_fuzz::drive;

#[derive(Debug, Arbitrary)]
struct Input {
    /// `None` for the default limits; otherwise small ones.
    limits: Option<(u8, u8, u8, u8)>,
    /// Sizes of the pieces, cycled (0 counts as 1).
    chunks: Vec<u8>,
    /// The byte stream (the rest of the input, so dictionary words land here).
    data: Vec<u8>,
}

fuzz_target!(|input: Input| {
    let limits = match input.limits {
        None => ProtoLimits::default(),
        Some((bulk, multibulk, depth, inline)) => ProtoLimits {
            max_bulk_len: usize::from(bulk % 64),
            max_multibulk_len: usize::from(multibulk % 16),
            max_depth: usize::from(depth % 8),
            max_inline_len: usize::from(inline % 64) + 1,
            unauthenticated: inline % 2 == 1,
        },
    };
    let chunks: Vec<usize> = input.chunks.iter().map(|&c| usize::from(c)).collect();
    let whole = drive(&input.data, &limits, &[]);
    let pieces = drive(
        &input.data,
        &limits,
        if chunks.is_empty() { &[1] } else { &chunks },
    );
    // Only the events must match: skipped blank lines before a partial request stay
    // buffered until that request finishes, so how many bytes remain buffered at the
    // end depends on where the stream was cut.
    assert_eq!(whole.events, pieces.events, "chunking changed the outcome");
});
