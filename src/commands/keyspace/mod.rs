//! Commands on keys whatever their type: DEL, EXISTS, SCAN, RENAME, COPY, MOVE,
//! the TTL commands and SORT.

pub mod copy;
pub mod dump;
pub mod expire;
pub mod generic;
pub mod sort;
