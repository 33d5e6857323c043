//! One ACL user: flags, password hashes, key and channel patterns, command
//! permissions; the rules of ACL SETUSER ([`User::apply`]) and the text ACL LIST shows
//! ([`User::describe`]).

use super::category::{self, Registry};
use super::sha256::{self, Digest};
use crate::glob::glob_match;
use crate::spec::Flags;

/// Why a rule was refused; `Display` is Redis's `ACLSetUserStringError` text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleError {
    /// An unknown command or category name.
    Unknown,
    /// A rule that is not understood.
    Syntax,
    /// A key pattern after `allkeys`.
    KeysAfterAll,
    /// A channel pattern after `allchannels`.
    ChannelsAfterAll,
    /// `<password` for a password the user does not have.
    NoSuchPassword,
    /// `#hash` or `!hash` that is not 64 lowercase hex digits.
    BadHash,
    /// `+container|sub|arg`.
    SubcommandFirstArg,
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RuleError::Unknown => "Unknown command or category name in ACL",
            RuleError::Syntax => "Syntax error",
            RuleError::KeysAfterAll => {
                "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
            }
            RuleError::ChannelsAfterAll => {
                "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"
            }
            RuleError::NoSuchPassword => {
                "The password you are trying to remove from the user does not exist"
            }
            RuleError::BadHash => {
                "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"
            }
            RuleError::SubcommandFirstArg => "Allowing first-arg of a subcommand is not supported",
        })
    }
}

/// Key access a pattern grants (`~` both, `%R~` read, `%W~` write).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPattern {
    /// The glob.
    pub pattern: Vec<u8>,
    /// Keys matching it may be read.
    pub read: bool,
    /// Keys matching it may be written.
    pub write: bool,
}

/// A user (Redis's `user` with its root selector).
#[derive(Debug, Clone)]
pub struct User {
    /// The command table's ids, for command and category rules.
    registry: &'static Registry,
    /// The name.
    pub name: Vec<u8>,
    /// `on`: the user may authenticate.
    pub enabled: bool,
    /// `nopass`: any password authenticates.
    pub nopass: bool,
    /// `sanitize-payload` (Some(true)) / `skip-sanitize-payload` (Some(false)); shown only.
    sanitize: Option<bool>,
    /// SHA-256 of each password; the passwords themselves are never kept.
    pub passwords: Vec<Digest>,
    /// `allkeys`: every key.
    pub allkeys: bool,
    /// Key patterns (when not `allkeys`).
    pub keys: Vec<KeyPattern>,
    /// `allchannels`: every Pub/Sub channel.
    pub allchannels: bool,
    /// Channel patterns (when not `allchannels`).
    pub channels: Vec<Vec<u8>>,
    /// Set by `+@all` and cleared by any removal: no command bit needs a look.
    allcommands: bool,
    /// The base of the command rules: `+@all` (true) or `-@all`.
    base_all: bool,
    /// Allowed command ids (see [`category::registry`]).
    allowed: Vec<u64>,
    /// First arguments allowed for commands otherwise denied (`+select|0`), by id.
    firstargs: Vec<(usize, Vec<Vec<u8>>)>,
    /// Command rules after the base, in the order given, each command's latest only.
    rules: Vec<String>,
}

impl User {
    /// A new user as Redis creates one: off, no passwords, no keys, no channels, no commands.
    pub fn new(name: &[u8], registry: &'static Registry) -> User {
        User {
            registry,
            name: name.to_vec(),
            enabled: false,
            nopass: false,
            sanitize: None,
            passwords: Vec::new(),
            allkeys: false,
            keys: Vec::new(),
            allchannels: false,
            channels: Vec::new(),
            allcommands: false,
            base_all: false,
            allowed: vec![0; registry.len().div_ceil(64)],
            firstargs: Vec::new(),
            rules: Vec::new(),
        }
    }

    /// The `default` user as the server starts it: `on nopass ~* &* +@all`.
    pub fn default_user(registry: &'static Registry) -> User {
        let mut u = User::new(b"default", registry);
        for rule in ["+@all", "~*", "&*", "on", "nopass"] {
            let _ = u.apply(rule.as_bytes());
        }
        u
    }

    /// True when this user may run anything on any key and channel (the checks can be skipped).
    pub fn unrestricted(&self) -> bool {
        self.allcommands && self.allkeys && self.allchannels
    }

    /// True when `password` authenticates this user (it must be enabled). Every hash is
    /// compared in constant time.
    pub fn password_ok(&self, password: &[u8]) -> bool {
        if !self.enabled {
            return false;
        }
        if self.nopass {
            return true;
        }
        let hash = sha256::sha256(password);
        self.passwords
            .iter()
            .fold(false, |ok, h| sha256::ct_eq(h, &hash) | ok)
    }

    /// Applies one rule of ACL SETUSER (Redis's `ACLSetUser`); an empty rule does nothing.
    pub fn apply(&mut self, op: &[u8]) -> Result<(), RuleError> {
        let is = |word: &str| op.eq_ignore_ascii_case(word.as_bytes());
        let Some(&first) = op.first() else {
            return Ok(());
        };
        if is("on") || is("off") {
            self.enabled = is("on");
        } else if is("sanitize-payload") || is("skip-sanitize-payload") {
            self.sanitize = Some(is("sanitize-payload"));
        } else if is("nopass") || is("resetpass") {
            self.nopass = is("nopass");
            self.passwords.clear();
        } else if first == b'>' || first == b'#' {
            let hash = password_hash(op)?;
            if !self.passwords.contains(&hash) {
                self.passwords.push(hash);
            }
            self.nopass = false;
        } else if first == b'<' || first == b'!' {
            let hash = password_hash(op)?;
            let at = self.passwords.iter().position(|h| *h == hash);
            self.passwords.remove(at.ok_or(RuleError::NoSuchPassword)?);
        } else if is("reset") {
            let name = std::mem::take(&mut self.name);
            *self = User::new(&name, self.registry);
            self.sanitize = Some(true);
        } else if first == b'(' || is("clearselectors") {
            // Selectors (Redis 7's `(...)`) are not supported.
            return if first == b'(' {
                Err(RuleError::Syntax)
            } else {
                Ok(())
            };
        } else {
            self.apply_selector(op)?;
        }
        Ok(())
    }

    /// The key, channel and command rules (Redis's `ACLSetSelector`).
    fn apply_selector(&mut self, op: &[u8]) -> Result<(), RuleError> {
        let is = |word: &str| op.eq_ignore_ascii_case(word.as_bytes());
        if is("allkeys") || op == b"~*" {
            self.allkeys = true;
            self.keys.clear();
        } else if is("resetkeys") {
            self.allkeys = false;
            self.keys.clear();
        } else if is("allchannels") || op == b"&*" {
            self.allchannels = true;
            self.channels.clear();
        } else if is("resetchannels") {
            self.allchannels = false;
            self.channels.clear();
        } else if is("allcommands") || is("+@all") || is("nocommands") || is("-@all") {
            let all = is("allcommands") || is("+@all");
            self.allowed.fill(if all { u64::MAX } else { 0 });
            self.allcommands = all;
            self.base_all = all;
            self.firstargs.clear();
            self.rules.clear();
        } else if op[0] == b'~' || op[0] == b'%' {
            self.add_key_pattern(op)?;
        } else if op[0] == b'&' {
            if self.allchannels {
                return Err(RuleError::ChannelsAfterAll);
            }
            let pattern = &op[1..];
            if has_spaces(pattern) {
                return Err(RuleError::Syntax);
            }
            if !self.channels.iter().any(|c| c == pattern) {
                self.channels.push(pattern.to_vec());
            }
        } else if op[0] == b'+' || op[0] == b'-' {
            let allow = op[0] == b'+';
            if op.get(1) == Some(&b'@') {
                let mask = category::bit(&op[2..]).ok_or(RuleError::Unknown)?;
                for id in 0..self.registry.len() {
                    if self.registry.entries[id].categories & mask != 0 {
                        self.change(id, allow);
                    }
                }
            } else {
                self.command_rule(&op[1..], allow)?;
            }
            self.push_rule(op);
        } else {
            return Err(RuleError::Syntax);
        }
        Ok(())
    }

    fn add_key_pattern(&mut self, op: &[u8]) -> Result<(), RuleError> {
        if self.allkeys {
            return Err(RuleError::KeysAfterAll);
        }
        let (mut read, mut write, mut start) = (true, true, 1);
        if op[0] == b'%' {
            (read, write) = (false, false);
            let tilde = op
                .iter()
                .position(|&b| b == b'~')
                .ok_or(RuleError::Syntax)?;
            for &b in &op[1..tilde] {
                match b.to_ascii_uppercase() {
                    b'R' if !read => read = true,
                    b'W' if !write => write = true,
                    _ => return Err(RuleError::Syntax),
                }
            }
            start = tilde + 1;
        }
        let pattern = &op[start..];
        if has_spaces(pattern) {
            return Err(RuleError::Syntax);
        }
        match self.keys.iter_mut().find(|k| k.pattern == pattern) {
            Some(k) => {
                k.read |= read;
                k.write |= write;
            }
            None => self.keys.push(KeyPattern {
                pattern: pattern.to_vec(),
                read,
                write,
            }),
        }
        Ok(())
    }

    /// `+name`, `-name`, `+name|sub`, `-name|sub`, `+name|firstarg`, with Redis's errors.
    fn command_rule(&mut self, name: &[u8], allow: bool) -> Result<(), RuleError> {
        let reg = self.registry;
        if let Some(id) = reg.lookup(name) {
            self.change(id, allow);
            return Ok(());
        }
        let bar = name.iter().rposition(|&b| b == b'|');
        let Some(bar) = bar.filter(|_| allow) else {
            return Err(RuleError::Unknown);
        };
        let (top, sub) = (&name[..bar], &name[bar + 1..]);
        let id = reg.lookup(top).ok_or(RuleError::Unknown)?;
        if top.contains(&b'|') {
            return Err(RuleError::SubcommandFirstArg);
        }
        if sub.is_empty() {
            return Err(RuleError::Syntax);
        }
        if !reg.entries[id].subs.is_empty() {
            // A container's subcommand that does not exist.
            return Err(RuleError::Unknown);
        }
        let sub = sub.to_ascii_lowercase();
        match self.firstargs.iter_mut().find(|(i, _)| *i == id) {
            Some((_, args)) if args.contains(&sub) => {}
            Some((_, args)) => args.push(sub),
            None => self.firstargs.push((id, vec![sub])),
        }
        Ok(())
    }

    /// Sets command `id` and its subcommands (Redis's `ACLChangeSelectorPerm`).
    fn change(&mut self, id: usize, allow: bool) {
        self.set_bit(id, allow);
        self.firstargs.retain(|(i, _)| *i != id);
        for sub in self.registry.entries[id].subs.clone() {
            self.set_bit(sub, allow);
        }
    }

    fn set_bit(&mut self, id: usize, allow: bool) {
        if let Some(word) = self.allowed.get_mut(id / 64) {
            if allow {
                *word |= 1 << (id % 64);
            } else {
                *word &= !(1 << (id % 64));
                self.allcommands = false;
            }
        }
    }

    fn has_bit(&self, id: usize) -> bool {
        self.allowed
            .get(id / 64)
            .is_some_and(|w| w & (1 << (id % 64)) != 0)
    }

    /// Records a command rule for [`User::describe`]: a later rule for the same command
    /// replaces an earlier one (Redis 7.2's `ACLUpdateCommandRules`).
    fn push_rule(&mut self, op: &[u8]) {
        let rule = String::from_utf8_lossy(op).to_ascii_lowercase();
        if !rule.starts_with("+@") && !rule.starts_with("-@") {
            // `±name` overrides every earlier rule for `name` and its `name|...`.
            let target = &rule[1..];
            let whole = !target.contains('|');
            self.rules.retain(|r| {
                let t = &r[1..];
                t != target && !(whole && t.split('|').next() == Some(target))
            });
        }
        self.rules.push(rule);
    }

    /// True when this user may run command `id` with first argument `arg1`.
    pub fn can_run(&self, id: usize, flags: Flags, arg1: Option<&[u8]>) -> bool {
        if self.allcommands || flags.contains(Flags::NO_AUTH) || self.has_bit(id) {
            return true;
        }
        let Some(arg1) = arg1 else {
            return false;
        };
        self.firstargs
            .iter()
            .find(|(i, _)| *i == id)
            .is_some_and(|(_, args)| args.iter().any(|a| a.eq_ignore_ascii_case(arg1)))
    }

    /// True when this user may touch `key` for reading (`read`) and/or writing.
    pub fn can_access_key(&self, key: &[u8], read: bool, write: bool) -> bool {
        self.allkeys
            || self.keys.iter().any(|k| {
                (k.read || !read) && (k.write || !write) && glob_match(&k.pattern, key, false)
            })
    }

    /// True when this user may use `channel` (a pattern when `is_pattern`, which must
    /// then appear literally among the user's patterns, as Redis requires).
    pub fn can_access_channel(&self, channel: &[u8], is_pattern: bool) -> bool {
        self.allchannels
            || self.channels.iter().any(|p| {
                if is_pattern {
                    p == channel
                } else {
                    glob_match(p, channel, false)
                }
            })
    }

    /// The user's flags in Redis's order (`on`/`off`, `nopass`, the sanitize flags).
    pub fn flag_names(&self) -> Vec<&'static str> {
        let mut flags = vec![if self.enabled { "on" } else { "off" }];
        if self.nopass {
            flags.push("nopass");
        }
        match self.sanitize {
            Some(true) => flags.push("sanitize-payload"),
            Some(false) => flags.push("skip-sanitize-payload"),
            None => {}
        }
        flags
    }

    /// The key patterns as rules (`~*`, or e.g. `~a:* %R~b`), space-separated.
    pub fn keys_text(&self) -> String {
        if self.allkeys {
            return "~*".into();
        }
        let rules: Vec<String> = self
            .keys
            .iter()
            .map(|k| {
                let prefix = match (k.read, k.write) {
                    (true, false) => "%R~",
                    (false, true) => "%W~",
                    _ => "~",
                };
                format!("{prefix}{}", String::from_utf8_lossy(&k.pattern))
            })
            .collect();
        rules.join(" ")
    }

    /// The channel patterns as rules (`&*`, or e.g. `&news.*`), space-separated.
    pub fn channels_text(&self) -> String {
        if self.allchannels {
            return "&*".into();
        }
        let rules: Vec<String> = self
            .channels
            .iter()
            .map(|c| format!("&{}", String::from_utf8_lossy(c)))
            .collect();
        rules.join(" ")
    }

    /// The command rules (`+@all`/`-@all` then the changes, e.g. `-@all +get`).
    pub fn command_rules(&self) -> String {
        let mut text = String::from(if self.base_all { "+@all" } else { "-@all" });
        for r in &self.rules {
            text.push(' ');
            text.push_str(r);
        }
        text
    }

    /// The rules that recreate this user, as ACL LIST and the ACL file show them
    /// (Redis's `ACLDescribeUser`), e.g. `on #<sha256> ~* &* +@all`.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self.flag_names().iter().map(|f| f.to_string()).collect();
        for h in &self.passwords {
            parts.push(format!("#{}", sha256::to_hex(h)));
        }
        let keys = self.keys_text();
        if !keys.is_empty() {
            parts.push(keys);
        }
        if !self.allchannels {
            parts.push("resetchannels".into());
        }
        let channels = self.channels_text();
        if !channels.is_empty() {
            parts.push(channels);
        }
        parts.push(self.command_rules());
        parts.join(" ")
    }
}

/// The hash a `>password`, `<password`, `#hash` or `!hash` rule names.
fn password_hash(op: &[u8]) -> Result<Digest, RuleError> {
    let body = &op[1..];
    match op[0] {
        b'>' | b'<' => Ok(sha256::sha256(body)),
        _ => sha256::from_hex(body).ok_or(RuleError::BadHash),
    }
}

/// True when `s` holds whitespace or NUL (Redis's `ACLStringHasSpaces`): such names and
/// patterns could not be written back as rules.
pub fn has_spaces(s: &[u8]) -> bool {
    s.iter()
        .any(|&b| b == 0 || b.is_ascii_whitespace() || b == 0x0b)
}

#[cfg(test)]
mod tests;
