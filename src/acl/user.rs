//! One ACL user: flags, password hashes and selectors (its root selector and those
//! added with `(...)`); the rules of ACL SETUSER ([`User::apply`]) and the text ACL
//! LIST shows ([`User::describe`]).

use std::borrow::Cow;

use super::category::Registry;
use super::selector::Selector;
use super::sha256::{self, Digest};
use crate::protocol::inline::split_inline;

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

/// A user (Redis's `user`): flags, password hashes, the root selector (the rules
/// outside parentheses) and the selectors added with `(...)`.
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
    /// The root selector.
    pub root: Selector,
    /// The other selectors, in the order added; usually none.
    pub selectors: Vec<Selector>,
    /// New selectors (and `reset`) start with every channel allowed
    /// (`acl-pubsub-default allchannels` when the rules are applied).
    channels_default: bool,
}

impl User {
    /// A new user as Redis creates one: off, no passwords, no keys, no channels, no
    /// commands, no selectors.
    pub fn new(name: &[u8], registry: &'static Registry) -> User {
        User {
            registry,
            name: name.to_vec(),
            enabled: false,
            nopass: false,
            sanitize: None,
            passwords: Vec::new(),
            root: Selector::new(registry),
            selectors: Vec::new(),
            channels_default: false,
        }
    }

    /// The same user, applying rules with `acl-pubsub-default` allowing every channel
    /// (`all`) or none: the root selector of a new user, later selectors and `reset`
    /// start that way (Redis's `ACLCreateSelector`).
    pub fn channels_default(mut self, all: bool) -> User {
        self.set_channels_default(all);
        self.root.allchannels = all;
        self
    }

    /// Applies later rules with `acl-pubsub-default` allowing every channel or none
    /// (an existing user's selectors keep theirs).
    pub fn set_channels_default(&mut self, all: bool) {
        self.channels_default = all;
    }

    /// The `default` user as the server starts it: `on nopass ~* &* +@all`.
    pub fn default_user(registry: &'static Registry) -> User {
        let mut u = User::new(b"default", registry);
        for rule in ["+@all", "~*", "&*", "on", "nopass"] {
            let _ = u.apply(rule.as_bytes());
        }
        u
    }

    /// True when the root selector allows anything on any key and channel (the
    /// checks can be skipped).
    pub fn unrestricted(&self) -> bool {
        self.root.unrestricted()
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
    /// A `(...)` rule (one argument: see [`merge_selector_args`]) adds a selector.
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
        } else if first == b'(' && op.ends_with(b")") {
            let selector = self.parse_selector(&op[1..op.len() - 1])?;
            self.selectors.push(selector);
        } else if is("clearselectors") {
            self.selectors.clear();
        } else if is("reset") {
            let name = std::mem::take(&mut self.name);
            *self = User::new(&name, self.registry).channels_default(self.channels_default);
            self.sanitize = Some(true);
        } else {
            self.root.apply(op)?;
        }
        Ok(())
    }

    /// A selector from the rules between its parentheses, split as Redis's
    /// `sdssplitargs` (quotes allowed); unbalanced quotes give an empty selector, as
    /// Redis's `aclCreateSelectorFromOpSet` does.
    fn parse_selector(&self, rules: &[u8]) -> Result<Selector, RuleError> {
        let mut selector = Selector::new(self.registry);
        selector.allchannels = self.channels_default;
        let (mut words, mut spans) = (Vec::new(), Vec::new());
        if split_inline(rules, &mut words, &mut spans).is_err() {
            return Ok(selector);
        }
        for span in &spans {
            selector.apply(&words[span.start..span.end])?;
        }
        Ok(selector)
    }

    /// Every selector, the root first.
    pub fn all_selectors(&self) -> impl Iterator<Item = &Selector> {
        std::iter::once(&self.root).chain(&self.selectors)
    }

    /// The channel patterns of every selector, when `self` (the user after ACL SETUSER)
    /// may allow fewer channels than `before` did: the list its subscribers' channels
    /// are checked against. `None` when nothing can have been revoked: a selector allows
    /// every channel, or every pattern `before` had is still there (Redis's
    /// `ACLKillPubsubClientsIfNeeded` shortcuts).
    pub fn narrowed_channels(&self, before: &User) -> Option<Vec<Vec<u8>>> {
        if self.all_selectors().any(|s| s.allchannels) {
            return None;
        }
        let upcoming: Vec<Vec<u8>> = self
            .all_selectors()
            .flat_map(|s| s.channels.iter().cloned())
            .collect();
        let kept = before
            .all_selectors()
            .all(|s| !s.allchannels && s.channels.iter().all(|c| upcoming.contains(c)));
        (!kept).then_some(upcoming)
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

    /// The rules that recreate this user, as ACL LIST and the ACL file show them
    /// (Redis's `ACLDescribeUser`), e.g. `on #<sha256> ~* &* +@all (~k* resetchannels
    /// -@all +get)`.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self.flag_names().iter().map(|f| f.to_string()).collect();
        for h in &self.passwords {
            parts.push(format!("#{}", sha256::to_hex(h)));
        }
        parts.push(self.root.describe());
        for s in &self.selectors {
            parts.push(format!("({})", s.describe()));
        }
        parts.join(" ")
    }
}

/// Joins the rules of a selector written over several arguments (`(+get`, `~k)`) into
/// one `(+get ~k)` argument, as Redis's `ACLMergeSelectorArguments`: an argument that
/// starts with `(` without ending with `)` opens a selector, continued up to an argument
/// ending with `)`.
/// # Errors
/// The index of the argument that opened a selector never closed.
pub fn merge_selector_args<'a>(args: &[&'a [u8]]) -> Result<Vec<Cow<'a, [u8]>>, usize> {
    let mut merged = Vec::with_capacity(args.len());
    let mut open: Option<(usize, Vec<u8>)> = None;
    for (i, &op) in args.iter().enumerate() {
        if op.first() == Some(&b'(') && !op.ends_with(b")") {
            open = Some((i, op.to_vec()));
            continue;
        }
        if let Some((_, selector)) = open.as_mut() {
            selector.push(b' ');
            selector.extend_from_slice(op);
            if op.ends_with(b")")
                && let Some((_, done)) = open.take()
            {
                merged.push(Cow::Owned(done));
            }
            continue;
        }
        merged.push(Cow::Borrowed(op));
    }
    match open {
        Some((start, _)) => Err(start),
        None => Ok(merged),
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
