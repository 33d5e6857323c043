//! Authentication and ACL users (Redis's acl.c; the ACL LOG is in `runtime::observe`).
//!
//! - [`Acl`]: the users, by name and by id; the `default` user every connection
//!   starts as (`requirepass` sets its password); authentication.
//! - [`user`]: one user's flags, passwords and selectors (ACL SETUSER) and their text
//!   (ACL LIST).
//! - [`selector`]: the commands, keys and channels one selector allows.
//! - [`category`]: ACL categories derived from command flags and groups; command ids.
//! - [`keys`]: which arguments of a request are keys and channels, for the checks.
//! - [`protected`]: the protected-mode decision at accept.
//! - [`sha256`]: passwords are kept only as SHA-256 hashes, compared in constant time.
//!
//! The command side (AUTH, the checks in dispatch, ACL) is in `commands::connection::auth` and
//! `commands::server::acl`. When only the default user exists, with no password and every
//! permission (the default), [`Acl::checks`] is false and dispatch checks nothing.

pub mod category;
mod file;
pub mod keys;
pub mod protected;
pub mod selector;
pub mod sha256;
pub mod user;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use slab::Slab;

pub use category::Registry;
pub use selector::Selector;
pub use user::{RuleError, User};

/// A user's id: stable while the user exists (clients refer to their user by it).
pub type UserId = usize;

/// The id of the `default` user, which always exists.
pub const DEFAULT_USER: UserId = 0;

/// After ACL SETUSER: the changed user and the union of its selectors' channel
/// patterns, when it may no longer allow channels its subscribers listen to (they are
/// then disconnected); `None` when no channel can have been revoked.
pub type Narrowed = Option<(UserId, Vec<Vec<u8>>)>;

/// Shortest time between two log lines about failed AUTH attempts: a client that
/// guesses passwords in a loop must not flood the log.
const AUTH_LOG_INTERVAL: Duration = Duration::from_secs(1);

/// Longest user name quoted in a log line.
const LOGGED_NAME_MAX: usize = 64;

/// The users and authentication state of the server.
#[derive(Debug)]
pub struct Acl {
    /// The command table's ids (for new users' rules).
    registry: &'static Registry,
    users: Slab<User>,
    by_name: BTreeMap<Vec<u8>, UserId>,
    checks: bool,
    /// The default user is on and needs no password (cached for the hot path).
    open: bool,
    last_auth_log: Option<Instant>,
    suppressed_auth_logs: u64,
    /// `acl-pubsub-default allchannels`: users and selectors created from now on
    /// allow every channel (default false: none, Redis 7's `resetchannels`).
    pub channels_default: bool,
}

impl Acl {
    /// Only the `default` user: `on nopass ~* &* +@all`.
    pub fn new(registry: &'static Registry) -> Acl {
        let mut acl = Acl {
            registry,
            users: Slab::new(),
            by_name: BTreeMap::new(),
            checks: false,
            open: true,
            last_auth_log: None,
            suppressed_auth_logs: 0,
            channels_default: false,
        };
        let id = acl.users.insert(User::default_user(registry));
        debug_assert_eq!(id, DEFAULT_USER);
        acl.by_name.insert(b"default".to_vec(), DEFAULT_USER);
        acl
    }

    /// The command table's ids, as ACL rules name them.
    pub fn registry(&self) -> &'static Registry {
        self.registry
    }

    /// True when dispatch must check authentication and permissions; false while the
    /// only user is a password-less, unrestricted `default`.
    pub fn checks(&self) -> bool {
        self.checks
    }

    /// Recomputes [`Acl::checks`] after a change.
    fn refresh(&mut self) {
        let d = &self.users[DEFAULT_USER];
        let (open, unrestricted) = (d.nopass && d.enabled, d.unrestricted());
        self.open = open;
        self.checks = self.users.len() > 1 || !open || !unrestricted;
    }

    /// The `default` user.
    pub fn default_user(&self) -> &User {
        &self.users[DEFAULT_USER]
    }

    /// True when a new connection starts authenticated (the default user is on and
    /// needs no password; Redis's `clientSetDefaultAuth`).
    pub fn new_client_authenticated(&self) -> bool {
        self.open
    }

    /// True when a client must authenticate before running commands that are not
    /// flagged `no_auth` (Redis's `authRequired`).
    pub fn auth_required(&self, authenticated: bool) -> bool {
        !authenticated && !self.open
    }

    /// The user with id `id`, if it still exists.
    pub fn user(&self, id: UserId) -> Option<&User> {
        self.users.get(id)
    }

    /// The id of the user named `name`.
    pub fn lookup(&self, name: &[u8]) -> Option<UserId> {
        self.by_name.get(name).copied()
    }

    /// Users in name order (as Redis's radix tree lists them).
    pub fn users(&self) -> impl Iterator<Item = (UserId, &User)> {
        self.by_name.values().map(|&id| (id, &self.users[id]))
    }

    /// The id of `name` when `password` authenticates it (Redis's
    /// `ACLCheckUserCredentials`).
    pub fn authenticate(&self, name: &[u8], password: &[u8]) -> Option<UserId> {
        let id = self.lookup(name)?;
        self.users[id].password_ok(password).then_some(id)
    }

    /// Creates or changes user `name` with `rules`, all or nothing (ACL SETUSER); a
    /// selector may be spread over several rules (`(+get`, `~k)`). Returns the user
    /// and its channel patterns when the change may have revoked channels (see
    /// [`Narrowed`]).
    /// # Errors
    /// `Unmatched parenthesis in acl selector starting at '<rule>'.`, `Error in ACL
    /// SETUSER modifier '<rule>': <why>`.
    pub fn set_user(&mut self, name: &[u8], rules: &[&[u8]]) -> Result<Narrowed, String> {
        let rules = user::merge_selector_args(rules).map_err(|at| {
            format!(
                "Unmatched parenthesis in acl selector starting at '{}'.",
                String::from_utf8_lossy(rules[at])
            )
        })?;
        let mut staged = match self.lookup(name) {
            Some(id) => self.users[id].clone(),
            None => User::new(name, self.registry).channels_default(self.channels_default),
        };
        staged.set_channels_default(self.channels_default);
        for rule in &rules {
            staged.apply(rule).map_err(|e| {
                format!(
                    "Error in ACL SETUSER modifier '{}': {e}",
                    String::from_utf8_lossy(rule)
                )
            })?;
        }
        let narrowed = match self.lookup(name) {
            Some(id) => {
                let channels = staged.narrowed_channels(&self.users[id]);
                self.users[id] = staged;
                channels.map(|c| (id, c))
            }
            None => {
                let id = self.users.insert(staged);
                self.by_name.insert(name.to_vec(), id);
                None
            }
        };
        self.refresh();
        Ok(narrowed)
    }

    /// Deletes user `name` (never `default`); returns its id when it existed.
    pub fn delete_user(&mut self, name: &[u8]) -> Option<UserId> {
        let id = self.lookup(name).filter(|&id| id != DEFAULT_USER)?;
        self.by_name.remove(name);
        self.users.remove(id);
        self.refresh();
        Some(id)
    }

    /// Sets the default user's password as `requirepass` does (Redis's
    /// `ACLUpdateDefaultUserPassword`): `resetpass`, then the hash, or `nopass` for none.
    pub fn set_default_password(&mut self, hash: Option<&sha256::Digest>) {
        let d = &mut self.users[DEFAULT_USER];
        let _ = d.apply(b"resetpass");
        match hash {
            Some(h) => {
                let _ = d.apply(format!("#{}", sha256::to_hex(h)).as_bytes());
            }
            None => {
                let _ = d.apply(b"nopass");
            }
        }
        self.refresh();
    }

    /// Records a failed authentication as `name` from `addr` and logs it, at most one
    /// line per [`AUTH_LOG_INTERVAL`] with the count of the lines held back since.
    pub fn note_failed_auth(&mut self, name: &[u8], addr: &str) {
        let now = Instant::now();
        if self
            .last_auth_log
            .is_some_and(|t| now.duration_since(t) < AUTH_LOG_INTERVAL)
        {
            self.suppressed_auth_logs += 1;
            return;
        }
        self.last_auth_log = Some(now);
        let held = std::mem::take(&mut self.suppressed_auth_logs);
        let name: String = String::from_utf8_lossy(name)
            .chars()
            .take(LOGGED_NAME_MAX)
            .collect();
        if held > 0 {
            log::warn!(
                "AUTH failed for user '{name}' from {addr} ({held} more failures since the last message)"
            );
        } else {
            log::warn!("AUTH failed for user '{name}' from {addr}");
        }
    }

    /// Every user as a line of the ACL file (`user <name> <rules>`), in name order.
    pub fn to_file_text(&self) -> String {
        file::render(self.users().map(|(_, u)| u))
    }

    /// Replaces every user with those of an ACL file's `text` (`path` names it in
    /// errors); on any error nothing changes. A file without `default` resets it to
    /// `on nopass ~* &* +@all`, as Redis does. Returns the ids that were dropped or
    /// replaced (every user but `default`): their clients must be disconnected.
    /// # Errors
    /// Redis's ACL file error texts, ending with `WARNING: ACL errors detected, no
    /// change to the previously active ACL rules was performed`.
    pub fn load_text(&mut self, text: &str, path: &str) -> Result<Vec<UserId>, String> {
        let mut users = file::parse(text, path, self.registry, self.channels_default)?;
        let default = match users.iter().position(|u| u.name == b"default") {
            Some(i) => users.swap_remove(i),
            None => User::default_user(self.registry),
        };
        let dropped: Vec<UserId> = self
            .users
            .iter()
            .map(|(id, _)| id)
            .filter(|&id| id != DEFAULT_USER)
            .collect();
        for &id in &dropped {
            self.users.remove(id);
        }
        self.by_name.clear();
        self.users[DEFAULT_USER] = default;
        self.by_name.insert(b"default".to_vec(), DEFAULT_USER);
        for u in users {
            let name = u.name.clone();
            let id = self.users.insert(u);
            self.by_name.insert(name, id);
        }
        self.refresh();
        Ok(dropped)
    }

    /// Loads the ACL file at `path` (ACL LOAD, `--aclfile` at startup).
    /// # Errors
    /// `Error loading ACLs, opening file '<path>': <why>`, or [`Acl::load_text`]'s.
    pub fn load_file(&mut self, path: &str) -> Result<Vec<UserId>, String> {
        let text = std::fs::read(path).map_err(|e| {
            format!(
                "Error loading ACLs, opening file '{path}': {}",
                file::os_error_text(&e)
            )
        })?;
        self.load_text(&String::from_utf8_lossy(&text), path)
    }

    /// Writes every user to the ACL file at `path` through a temporary file and a
    /// rename, so a crash never leaves half a file (ACL SAVE).
    pub fn save_file(&self, path: &str) -> std::io::Result<()> {
        file::write_atomically(path, self.to_file_text().as_bytes())
    }
}

#[cfg(test)]
mod tests;
