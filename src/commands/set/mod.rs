//! The set family: members, set algebra (SINTER, SUNION, SDIFF), random members.

pub mod algebra;
pub mod members;
pub mod random;
