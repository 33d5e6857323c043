//! The sorted-set family: members and scores, ranges and their bounds, pops (blocking
//! or not), set algebra, random members and ZSCAN, and the text of scores.

pub mod algebra;
pub mod bounds;
pub mod members;
pub mod pop;
pub mod random_scan;
pub mod range;
pub mod score_text;
