//! Arbitrary bytes into the request parser with the server's default limits: it never
//! panics, and every request it yields keeps the invariants checked by `drive`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rudis::protocol::ProtoLimits;
use rudis_fuzz::drive;

fuzz_target!(|data: &[u8]| {
    drive(data, &ProtoLimits::default(), &[]);
});
