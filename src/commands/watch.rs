//! WATCH bookkeeping (placeholder until transactions land).

use super::ServerState;

/// Marks `key` of `db` as modified: clients watching it will have their EXEC fail
/// (Redis's `touchWatchedKey`).
pub fn touch(state: &mut ServerState, db: usize, key: &[u8]) {
    let _ = (state, db, key);
}
