//! CLIENT PAUSE (Redis's `pauseClients`): until a deadline or CLIENT UNPAUSE, the
//! commands of normal clients wait unrun: all of them (ALL) or those that write or
//! may replicate (WRITE). The active expiry cycle waits too, so no key disappears
//! while writes are held. The server keeps a waiting client's request in its buffer
//! and runs it once the pause ends.

/// What is paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum PauseKind {
    /// Nothing.
    #[default]
    Off,
    /// Write commands and those that may replicate.
    Write,
    /// Every command.
    All,
}

/// The pause in force.
#[derive(Debug, Default)]
pub struct Pause {
    /// What is paused.
    pub kind: PauseKind,
    /// Unix ms at which it ends.
    pub end_ms: i64,
    /// Clients whose next command waits for the end.
    pub waiting: Vec<usize>,
}

/// Commands without the write flag that Redis marks `may_replicate`: a WRITE pause
/// holds them too (scripts only when they declare no flags: see
/// `commands::scripting::declared_writes`).
const MAY_REPLICATE: &[&str] = &["eval", "evalsha", "fcall", "publish", "spublish", "pfcount"];

/// True for a command Redis flags `may_replicate`.
pub fn may_replicate(name: &str) -> bool {
    MAY_REPLICATE.contains(&name)
}

impl Pause {
    /// True while a pause is in force (the hot path's one check).
    #[inline(always)]
    pub fn is_on(&self) -> bool {
        self.kind != PauseKind::Off
    }

    /// Pauses `kind` until `end_ms`, keeping the stronger kind and the later end of
    /// a pause already in force.
    pub fn start(&mut self, kind: PauseKind, end_ms: i64) {
        self.kind = self.kind.max(kind);
        if !self.is_on() || end_ms > self.end_ms || self.end_ms == 0 {
            self.end_ms = self.end_ms.max(end_ms);
        }
    }

    /// Ends the pause; the waiting clients go to `woken` to be served.
    pub fn stop(&mut self, woken: &mut Vec<usize>) {
        self.kind = PauseKind::Off;
        self.end_ms = 0;
        woken.append(&mut self.waiting);
    }

    /// Whether a command that writes or may replicate (`write`; or an EXEC whose
    /// queue does) waits under this pause.
    pub fn holds(&self, write: bool) -> bool {
        match self.kind {
            PauseKind::Off => false,
            PauseKind::All => true,
            PauseKind::Write => write,
        }
    }

    /// Remembers that client `token` waits.
    pub fn wait(&mut self, token: usize) {
        if !self.waiting.contains(&token) {
            self.waiting.push(token);
        }
    }

    /// True when client `token` waits for the end of the pause.
    pub fn is_waiting(&self, token: usize) -> bool {
        !self.waiting.is_empty() && self.waiting.contains(&token)
    }
}
