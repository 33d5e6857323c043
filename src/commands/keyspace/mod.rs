//! Commands on keys whatever their type: DEL, EXISTS, SCAN, RENAME, COPY, MOVE,
//! the TTL commands, SORT, DUMP/RESTORE and MIGRATE.

pub mod copy;
pub mod dump;
pub mod expire;
pub mod generic;
pub mod migrate;
pub mod sort;
