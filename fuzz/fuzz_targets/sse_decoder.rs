//! Fuzzes the SSE decoder: no panic, and any split of the input gives the
//! same events as the whole. The corpus is replayed by a unit test in
//! crates/lmrelay/src/stream/sse.rs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(diff) = lmrelay::stream::check_split_invariance(data) {
        panic!("{diff}");
    }
});
