//! One ACL selector (Redis 7's `aclSelector`): the commands, keys and channels it
//! allows. Every user has a root selector (the rules outside parentheses) and may have
//! more (`(...)` rules, [`super::User`]); a command runs when any of them allows it.

use super::category::{self, Registry};
use super::user::{RuleError, has_spaces};
use crate::glob::glob_match;
use crate::spec::{Flags, KeyFlags};

/// How a key pattern is matched: most patterns are a literal or a literal prefix, and
/// the check runs for every key of every command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Matcher {
    /// No glob character: the key must equal the pattern.
    Exact,
    /// A literal followed by `*`s only: the key must start with these many bytes of it.
    Prefix(usize),
    /// Anything else: Redis's glob.
    Glob,
}

impl Matcher {
    fn of(pattern: &[u8]) -> Matcher {
        let special = |b: &u8| matches!(b, b'*' | b'?' | b'[' | b'\\');
        match pattern.iter().position(special) {
            None => Matcher::Exact,
            Some(at) if pattern[at..].iter().all(|&b| b == b'*') => Matcher::Prefix(at),
            Some(_) => Matcher::Glob,
        }
    }
}

/// A key pattern and the access it grants (`~` both, `%R~` read, `%W~` write).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPattern {
    /// The glob.
    pub pattern: Vec<u8>,
    /// Keys matching it may be read.
    pub read: bool,
    /// Keys matching it may be written.
    pub write: bool,
    matcher: Matcher,
}

impl KeyPattern {
    /// A pattern granting `read` and/or `write`.
    pub fn new(pattern: &[u8], read: bool, write: bool) -> KeyPattern {
        KeyPattern {
            pattern: pattern.to_vec(),
            read,
            write,
            matcher: Matcher::of(pattern),
        }
    }

    /// True when `key` matches the pattern (Redis's `stringmatchlen`).
    pub fn matches(&self, key: &[u8]) -> bool {
        match self.matcher {
            Matcher::Exact => key == self.pattern.as_slice(),
            Matcher::Prefix(n) => key.starts_with(&self.pattern[..n]),
            Matcher::Glob => glob_match(&self.pattern, key, false),
        }
    }

    /// The rule that adds it: `~p`, `%R~p` or `%W~p`.
    fn rule(&self) -> String {
        let prefix = match (self.read, self.write) {
            (true, false) => "%R~",
            (false, true) => "%W~",
            _ => "~",
        };
        format!("{prefix}{}", String::from_utf8_lossy(&self.pattern))
    }
}

/// The read and write access a key with these key-spec flags needs (Redis's
/// `ACLSelectorCheckKey`): `access` reads; `insert`, `delete` and `update` write. A
/// key that is neither (EXISTS, TYPE) needs a pattern of either kind.
pub fn key_access(flags: KeyFlags) -> (bool, bool) {
    let read = flags.contains(KeyFlags::ACCESS);
    let write = flags.intersects(
        KeyFlags::INSERT
            .union(KeyFlags::DELETE)
            .union(KeyFlags::UPDATE),
    );
    (read, write)
}

/// One selector: key and channel patterns, and command permissions.
#[derive(Debug, Clone)]
pub struct Selector {
    /// The command table's ids, for command and category rules.
    registry: &'static Registry,
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
    /// Allowed command ids (see [`category::Registry`]).
    allowed: Vec<u64>,
    /// First arguments allowed for commands otherwise denied (`+select|0`), by id.
    firstargs: Vec<(usize, Vec<Vec<u8>>)>,
    /// Command rules after the base, in the order given, each command's latest only.
    rules: Vec<String>,
}

impl Selector {
    /// A selector that allows nothing (Redis's `ACLCreateSelector`).
    pub fn new(registry: &'static Registry) -> Selector {
        Selector {
            registry,
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

    /// True when this selector allows any command on any key and channel.
    pub fn unrestricted(&self) -> bool {
        self.allcommands && self.allkeys && self.allchannels
    }

    /// Applies one key, channel or command rule (Redis's `ACLSetSelector`).
    pub fn apply(&mut self, op: &[u8]) -> Result<(), RuleError> {
        let is = |word: &str| op.eq_ignore_ascii_case(word.as_bytes());
        let Some(&first) = op.first() else {
            return Err(RuleError::Syntax);
        };
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
        } else if first == b'~' || first == b'%' {
            self.add_key_pattern(op)?;
        } else if first == b'&' {
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
        } else if first == b'+' || first == b'-' {
            let allow = first == b'+';
            // A rule that changes nothing is not shown (Redis 7.0 describes the
            // permissions, not the rules: `+@all +client|id` is `+@all`).
            let before = (self.allowed.clone(), self.firstargs.clone());
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
            if (&self.allowed, &self.firstargs) != (&before.0, &before.1) {
                self.push_rule(op);
            }
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
            None => self.keys.push(KeyPattern::new(pattern, read, write)),
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
        if self.has_bit(id) {
            // The whole command is allowed: the first argument adds nothing (and any
            // later change to the command drops first arguments).
            return Ok(());
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

    /// Records a command rule for [`Selector::command_rules`]: a later rule for the
    /// same command replaces an earlier one (Redis 7.2's `ACLUpdateCommandRules`).
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

    /// True when this selector allows command `id` (with `flags`, its own and a
    /// container's `no_auth`) with first argument `arg1`.
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

    /// True when `key`, used with these key-spec flags, matches a pattern granting
    /// the access they need.
    pub fn can_access_key(&self, key: &[u8], flags: KeyFlags) -> bool {
        if self.allkeys {
            return true;
        }
        let (read, write) = key_access(flags);
        self.keys
            .iter()
            .any(|k| (k.read || !read) && (k.write || !write) && k.matches(key))
    }

    /// True when every key may be used with these key-spec flags: `allkeys`, or a `*`
    /// pattern granting the access (Redis's `ACLSelectorHasUnrestrictedKeyAccess`).
    pub fn can_access_all_keys(&self, flags: KeyFlags) -> bool {
        let (read, write) = key_access(flags);
        self.allkeys
            || self
                .keys
                .iter()
                .any(|k| (k.read || !read) && (k.write || !write) && k.pattern == b"*")
    }

    /// True when `channel` may be used (a pattern when `is_pattern`, which must then
    /// appear literally among the channel patterns, as Redis requires).
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

    /// The key patterns as rules (`~*`, or e.g. `~a:* %R~b`), space-separated.
    pub fn keys_text(&self) -> String {
        if self.allkeys {
            return "~*".into();
        }
        let rules: Vec<String> = self.keys.iter().map(KeyPattern::rule).collect();
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

    /// The rules that recreate this selector (Redis's `ACLDescribeSelector`): keys,
    /// channels (after `resetchannels` unless `&*`), then commands.
    pub fn describe(&self) -> String {
        let mut parts = Vec::with_capacity(4);
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
