//! The hash family: field reads and writes, increments, HRANDFIELD and HSCAN.

pub mod fields;
pub mod incr;
pub mod iter;
