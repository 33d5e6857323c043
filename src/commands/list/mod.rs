//! The list family: pushes and reads, edits, pops and moves, and the blocking pops.

pub mod block;
pub mod edit;
pub mod pop;
pub mod push;
