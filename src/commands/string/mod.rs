//! The string family: GET/SET and their variants, in-place edits, bit commands,
//! BITFIELD and LCS.

pub mod bitfield;
pub mod bits;
pub mod edit;
pub mod lcs;
pub mod value;
