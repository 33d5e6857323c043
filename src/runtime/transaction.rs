//! The MULTI queue a client holds between MULTI and EXEC or DISCARD; the commands
//! that fill and run it are `commands::multi`.

use crate::protocol::OwnedRequest;

/// A client's open transaction, between MULTI and EXEC or DISCARD.
#[derive(Debug, Clone, Default)]
pub struct Transaction {
    /// The commands to run at EXEC, in order.
    pub(crate) queued: Vec<OwnedRequest>,
    /// Bytes of arguments queued (CLIENT LIST's `multi-mem`).
    pub(crate) bytes: usize,
    /// A command was refused while queueing: EXEC fails (Redis's `CLIENT_DIRTY_EXEC`).
    pub(crate) aborted: bool,
}

impl Transaction {
    /// Number of commands queued.
    pub fn len(&self) -> usize {
        self.queued.len()
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.queued.is_empty()
    }

    /// Bytes of arguments queued.
    pub fn memory(&self) -> usize {
        self.bytes
    }
}
