//! One declaration per command (Redis's `struct redisCommand` and its JSON file): name,
//! arity, [`Flags`], ACL categories ([`Cats`]), [`Group`], key specs ([`KeySpec`]),
//! subcommands, summary, document arguments and the handler.
//!
//! This module sits below both `commands` and `acl`: it knows nothing of handlers
//! (a [`CommandSpec`] is generic over its handler type `H`) nor of the server.
//! Dispatch, COMMAND (INFO, DOCS, LIST, GETKEYS), the ACL categories and the ACL
//! key checks all read these declarations; nothing else describes a command.

mod keys;

pub use keys::{Mode, find_keys, for_each_key};

/// A set of bits with named constants, `|`-able in `const` context via [`flags!`] and
/// [`cats!`] (a typo in a name does not compile).
macro_rules! bitset {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $flag:ident = $bit:expr, $text:expr;)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
        pub struct $name(u32);

        impl $name {
            /// The empty set.
            pub const EMPTY: $name = $name(0);
            $($(#[$fdoc])* pub const $flag: $name = $name(1 << $bit);)*
            /// Every named member with its name, in Redis's reply order.
            pub const NAMES: &'static [($name, &'static str)] = &[$(($name::$flag, $text)),*];

            /// Both sets.
            pub const fn union(self, other: $name) -> $name {
                $name(self.0 | other.0)
            }

            /// True when every member of `other` is in `self`.
            pub const fn contains(self, other: $name) -> bool {
                self.0 & other.0 == other.0
            }

            /// True when `self` and `other` share a member.
            pub const fn intersects(self, other: $name) -> bool {
                self.0 & other.0 != 0
            }

            /// True when empty.
            pub const fn is_empty(self) -> bool {
                self.0 == 0
            }

            /// The raw bits.
            pub const fn bits(self) -> u32 {
                self.0
            }

            /// The set with these raw bits.
            pub const fn from_bits(bits: u32) -> $name {
                $name(bits)
            }

            /// The names of the members, in Redis's order.
            pub fn names(self) -> impl Iterator<Item = &'static str> {
                Self::NAMES
                    .iter()
                    .filter(move |(f, _)| self.contains(*f))
                    .map(|(_, n)| *n)
            }
        }

        impl std::ops::BitOr for $name {
            type Output = $name;
            fn bitor(self, other: $name) -> $name {
                self.union(other)
            }
        }
    };
}

bitset! {
    /// Command flags (Redis's `CMD_*`), in the order COMMAND INFO lists them.
    Flags {
        /// Modifies the dataset.
        WRITE = 0, "write";
        /// Only reads the dataset.
        READONLY = 1, "readonly";
        /// May grow memory use.
        DENYOOM = 2, "denyoom";
        /// Administrative.
        ADMIN = 3, "admin";
        /// Pub/sub related.
        PUBSUB = 4, "pubsub";
        /// Refused inside scripts (`redis.call`).
        NOSCRIPT = 5, "noscript";
        /// May block the client.
        BLOCKING = 6, "blocking";
        /// Allowed while loading a snapshot.
        LOADING = 7, "loading";
        /// Allowed on a replica with stale data.
        STALE = 8, "stale";
        /// Not shown to MONITOR.
        SKIP_MONITOR = 9, "skip_monitor";
        /// Not logged by the slow log.
        SKIP_SLOWLOG = 10, "skip_slowlog";
        /// Cluster ASKING related.
        ASKING = 11, "asking";
        /// O(1) or O(log n).
        FAST = 12, "fast";
        /// Allowed while the client is not authenticated.
        NO_AUTH = 13, "no_auth";
        /// May take no key at all although it has key specs (EVAL with 0 keys).
        NO_MANDATORY_KEYS = 14, "no_mandatory_keys";
        /// Refused while loading asynchronously.
        NO_ASYNC_LOADING = 15, "no_async_loading";
        /// Refused inside MULTI (SHUTDOWN, SAVE).
        NO_MULTI = 16, "no_multi";
        /// Allowed while a slow script runs (others get BUSY).
        ALLOW_BUSY = 17, "allow_busy";
    }
}

bitset! {
    /// Redis's ACL categories, in its order (ACL CAT, COMMAND INFO).
    Cats {
        /// @keyspace
        KEYSPACE = 0, "keyspace";
        /// @read
        READ = 1, "read";
        /// @write
        WRITE = 2, "write";
        /// @set
        SET = 3, "set";
        /// @sortedset
        SORTEDSET = 4, "sortedset";
        /// @list
        LIST = 5, "list";
        /// @hash
        HASH = 6, "hash";
        /// @string
        STRING = 7, "string";
        /// @bitmap
        BITMAP = 8, "bitmap";
        /// @hyperloglog
        HYPERLOGLOG = 9, "hyperloglog";
        /// @geo
        GEO = 10, "geo";
        /// @stream
        STREAM = 11, "stream";
        /// @pubsub
        PUBSUB = 12, "pubsub";
        /// @admin
        ADMIN = 13, "admin";
        /// @fast
        FAST = 14, "fast";
        /// @slow
        SLOW = 15, "slow";
        /// @blocking
        BLOCKING = 16, "blocking";
        /// @dangerous
        DANGEROUS = 17, "dangerous";
        /// @connection
        CONNECTION = 18, "connection";
        /// @transaction
        TRANSACTION = 19, "transaction";
        /// @scripting
        SCRIPTING = 20, "scripting";
    }
}

bitset! {
    /// Key-spec flags (Redis's `CMD_KEY_*`), in the order COMMAND INFO lists them.
    KeyFlags {
        /// Read-only access.
        RO = 0, "RO";
        /// Read-write access.
        RW = 1, "RW";
        /// Overwrite: the value is replaced without being read.
        OW = 2, "OW";
        /// Removes the key.
        RM = 3, "RM";
        /// Returns, copies or uses the user data.
        ACCESS = 4, "access";
        /// Updates the value.
        UPDATE = 5, "update";
        /// Adds data, never modifies nor deletes.
        INSERT = 6, "insert";
        /// Deletes data.
        DELETE = 7, "delete";
        /// Not a key (a channel, a shard hint).
        NOT_KEY = 8, "not_key";
        /// The spec may miss keys.
        INCOMPLETE = 9, "incomplete";
        /// The flags depend on the arguments.
        VARIABLE_FLAGS = 10, "variable_flags";
    }
}

/// [`Flags`] from names: `flags!(WRITE | DENYOOM)`, `flags!()` for none. A name
/// that is not a flag does not compile:
///
/// ```compile_fail,E0599
/// const F: rudis::spec::Flags = rudis::flags!(WRITE | DENYOM);
/// ```
/// ```
/// const F: rudis::spec::Flags = rudis::flags!(WRITE | DENYOOM);
/// assert!(F.contains(rudis::spec::Flags::DENYOOM));
/// ```
#[macro_export]
macro_rules! flags {
    () => { $crate::spec::Flags::EMPTY };
    ($($f:ident)|+) => { $crate::spec::Flags::EMPTY $(.union($crate::spec::Flags::$f))+ };
}

/// [`Cats`] from names: `cats!(STRING | DANGEROUS)`, `cats!()` for none.
#[macro_export]
macro_rules! cats {
    () => { $crate::spec::Cats::EMPTY };
    ($($f:ident)|+) => { $crate::spec::Cats::EMPTY $(.union($crate::spec::Cats::$f))+ };
}

/// [`KeyFlags`] from names: `kf!(RW | ACCESS)`.
#[macro_export]
macro_rules! kf {
    () => { $crate::spec::KeyFlags::EMPTY };
    ($($f:ident)|+) => { $crate::spec::KeyFlags::EMPTY $(.union($crate::spec::KeyFlags::$f))+ };
}

/// A command's group (COMMAND DOCS); a misspelt group does not compile:
///
/// ```compile_fail,E0599
/// let _ = rudis::spec::Group::SortedSets;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Group {
    Bitmap,
    Cluster,
    Connection,
    Generic,
    Geo,
    Hash,
    Hyperloglog,
    List,
    Pubsub,
    Scripting,
    Server,
    Set,
    SortedSet,
    Stream,
    String,
    Transactions,
}

impl Group {
    /// The name COMMAND DOCS gives.
    pub const fn name(self) -> &'static str {
        match self {
            Group::Bitmap => "bitmap",
            Group::Cluster => "cluster",
            Group::Connection => "connection",
            Group::Generic => "generic",
            Group::Geo => "geo",
            Group::Hash => "hash",
            Group::Hyperloglog => "hyperloglog",
            Group::List => "list",
            Group::Pubsub => "pubsub",
            Group::Scripting => "scripting",
            Group::Server => "server",
            Group::Set => "set",
            Group::SortedSet => "sorted-set",
            Group::Stream => "stream",
            Group::String => "string",
            Group::Transactions => "transactions",
        }
    }
}

/// Where a key spec starts looking (Redis's `begin_search`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Begin {
    /// At this argument index.
    Index(i32),
    /// After `keyword`, searched from `start_from` (negative: from the end, backwards).
    Keyword {
        /// The keyword (uppercase, compared in any case).
        keyword: &'static str,
        /// Index to start from.
        start_from: i32,
    },
    /// Found by the command's own rule ([`GetKeys`]).
    Unknown,
}

/// How a key spec finds its keys from where it begins (Redis's `find_keys`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Find {
    /// Keys up to `last` (relative to the start; negative: from the end), every
    /// `step`; with a `limit`, a `last` of -1 means 1/limit of the remaining args.
    Range {
        /// Last key, relative.
        last: i32,
        /// Step between keys.
        step: i32,
        /// Divisor of the remaining arguments (0: none).
        limit: i32,
    },
    /// A key count at `numkeys` (relative), the keys from `first` (relative), every `step`.
    Keynum {
        /// Index of the count, relative to the start.
        numkeys: i32,
        /// Index of the first key, relative to the start.
        first: i32,
        /// Step between keys.
        step: i32,
    },
    /// Found by the command's own rule ([`GetKeys`]).
    Unknown,
}

/// One key spec (Redis 7's `keySpec`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    /// Access flags.
    pub flags: KeyFlags,
    /// Where to start.
    pub begin: Begin,
    /// How to find the keys.
    pub find: Find,
}

impl KeySpec {
    /// A spec with keys from index `at` to `last` (relative), every `step`.
    pub const fn range(flags: KeyFlags, at: i32, last: i32, step: i32) -> KeySpec {
        KeySpec {
            flags,
            begin: Begin::Index(at),
            find: Find::Range {
                last,
                step,
                limit: 0,
            },
        }
    }

    /// One key at index `at`.
    pub const fn at(flags: KeyFlags, at: i32) -> KeySpec {
        KeySpec::range(flags, at, 0, 1)
    }

    /// A key count at index `at`, the keys right after it.
    pub const fn numkeys(flags: KeyFlags, at: i32) -> KeySpec {
        KeySpec {
            flags,
            begin: Begin::Index(at),
            find: Find::Keynum {
                numkeys: 0,
                first: 1,
                step: 1,
            },
        }
    }

    /// A spec whose keys the command's own [`GetKeys`] rule finds.
    pub const fn unknown(flags: KeyFlags) -> KeySpec {
        KeySpec {
            flags,
            begin: Begin::Unknown,
            find: Find::Unknown,
        }
    }
}

/// A command's own rule for keys its specs cannot describe (Redis's `getkeys_proc`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GetKeys {
    /// The key specs say everything.
    Specs,
    /// SORT's destination after the last STORE (Redis's `sortGetKeys`).
    Sort,
    /// MIGRATE's keys after KEYS (skipping AUTH's and AUTH2's arguments), used when
    /// its incomplete KEYS spec matches (`migrateGetKeys`).
    Migrate,
    /// EVAL and friends: the keys after `numkeys`, none when it is 0 (`evalGetKeys`).
    Eval,
    /// SET's key, read and written with GET, else only overwritten (`setGetKeys`,
    /// for its `variable_flags` spec).
    Set,
    /// BITFIELD's key, only read when every operation is a GET (`bitfieldGetKeys`,
    /// for its `variable_flags` spec).
    Bitfield,
}

/// Which arguments of a command may be documents (nested RESP values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocArgs {
    /// None: every argument must be a bulk string.
    None,
    /// Only the argument at this index (SET's value is at 2).
    At(usize),
    /// Every `step`-th argument from `first` (MSET's values: from 2, step 2).
    Every {
        /// First index that may be a document.
        first: usize,
        /// Distance between such indexes.
        step: usize,
    },
}

impl DocArgs {
    /// True when argument `i` may be a document.
    pub fn allows(self, i: usize) -> bool {
        match self {
            DocArgs::None => false,
            DocArgs::At(at) => i == at,
            DocArgs::Every { first, step } => i >= first && (i - first).is_multiple_of(step),
        }
    }
}

/// One command's declaration (Redis's `struct redisCommand`), generic over the
/// handler type so that this module does not depend on the command room.
#[derive(Debug)]
pub struct CommandSpec<H: 'static> {
    /// Lowercase name; `container|sub` for a subcommand.
    pub name: &'static str,
    /// Argument count including the name (and a subcommand's name); negative means
    /// "at least -arity".
    pub arity: i32,
    /// Flags.
    pub flags: Flags,
    /// ACL categories beyond those Redis derives from the flags ([`CommandSpec::categories`]).
    pub acl: Cats,
    /// Command group for COMMAND DOCS.
    pub group: Group,
    /// Key specs, in Redis's order.
    pub key_specs: &'static [KeySpec],
    /// The rule for keys the specs cannot describe.
    pub getkeys: GetKeys,
    /// Position of the first key of the legacy range (0 = none), derived from the key specs.
    pub first_key: i32,
    /// Last key of the legacy range (negative: from the end).
    pub last_key: i32,
    /// Step of the legacy range.
    pub key_step: i32,
    /// Keys outside the legacy range (COMMAND INFO's `movablekeys`).
    pub movable: bool,
    /// Subcommands (containers such as CLIENT, CONFIG).
    pub subcommands: &'static [CommandSpec<H>],
    /// Arguments that may be documents.
    pub docs: DocArgs,
    /// One-line summary for COMMAND DOCS.
    pub summary: &'static str,
    /// The handler.
    pub handler: H,
}

impl<H: 'static> CommandSpec<H> {
    /// A command without keys, subcommands, extra categories or document arguments;
    /// the builders below add them.
    pub const fn new(
        name: &'static str,
        arity: i32,
        flags: Flags,
        group: Group,
        summary: &'static str,
        handler: H,
    ) -> CommandSpec<H> {
        CommandSpec {
            name,
            arity,
            flags,
            acl: Cats::EMPTY,
            group,
            key_specs: &[],
            getkeys: GetKeys::Specs,
            first_key: 0,
            last_key: 0,
            key_step: 0,
            movable: false,
            subcommands: &[],
            docs: DocArgs::None,
            summary,
            handler,
        }
    }

    /// The same command in these ACL categories (besides those of its flags).
    pub const fn acl(mut self, cats: Cats) -> CommandSpec<H> {
        self.acl = cats;
        self
    }

    /// The same command with these key specs; derives the legacy `(first, last,
    /// step)` range and `movablekeys` as Redis's `populateCommandLegacyRangeSpec`.
    pub const fn keys(mut self, specs: &'static [KeySpec]) -> CommandSpec<H> {
        self.key_specs = specs;
        let (first, last, step, movable) = legacy_range(specs);
        self.first_key = first;
        self.last_key = last;
        self.key_step = step;
        self.movable = movable;
        self
    }

    /// The same command with its own rule for the keys its specs cannot describe.
    pub const fn getkeys(mut self, rule: GetKeys) -> CommandSpec<H> {
        self.getkeys = rule;
        self
    }

    /// The same command with these subcommands.
    pub const fn subcommands(mut self, subs: &'static [CommandSpec<H>]) -> CommandSpec<H> {
        self.subcommands = subs;
        self
    }

    /// The same command, accepting documents at `docs`.
    pub const fn with_docs(mut self, docs: DocArgs) -> CommandSpec<H> {
        self.docs = docs;
        self
    }

    /// True when `argc` arguments satisfy the arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        arity_ok(self.arity, argc)
    }

    /// A subcommand's own name (after the `|`); the name of a plain command.
    pub fn sub_name(&self) -> &'static str {
        self.name.split_once('|').map_or(self.name, |(_, sub)| sub)
    }

    /// The subcommand named `sub` (any case).
    pub fn subcommand(&self, sub: &[u8]) -> Option<&CommandSpec<H>> {
        self.subcommands
            .iter()
            .find(|s| s.sub_name().as_bytes().eq_ignore_ascii_case(sub))
    }

    /// The entry a request runs: its subcommand for a container whose `req.arg(1)`
    /// names one, else the command itself (Redis's `lookupCommand`).
    pub fn resolve<'s>(&'s self, req: &crate::protocol::Request<'_>) -> &'s CommandSpec<H> {
        if self.subcommands.is_empty() || req.len() < 2 {
            return self;
        }
        self.subcommand(req.arg(1)).unwrap_or(self)
    }

    /// Every ACL category: the declared ones and those Redis's
    /// `setImplicitACLCategories` derives from the flags.
    pub const fn categories(&self) -> Cats {
        let f = self.flags;
        let mut c = self.acl;
        if f.contains(Flags::WRITE) {
            c = c.union(Cats::WRITE);
        }
        if f.contains(Flags::READONLY) && !c.contains(Cats::SCRIPTING) {
            c = c.union(Cats::READ);
        }
        if f.contains(Flags::ADMIN) {
            c = c.union(Cats::ADMIN).union(Cats::DANGEROUS);
        }
        if f.contains(Flags::PUBSUB) {
            c = c.union(Cats::PUBSUB);
        }
        if f.contains(Flags::FAST) {
            c = c.union(Cats::FAST);
        }
        if f.contains(Flags::BLOCKING) {
            c = c.union(Cats::BLOCKING);
        }
        if !c.contains(Cats::FAST) {
            c = c.union(Cats::SLOW);
        }
        c
    }

    /// True when the command has keys to find (Redis's `doesCommandHaveKeys`): a spec
    /// not marked `not_key`, or a rule of its own.
    pub fn has_keys(&self) -> bool {
        self.key_specs
            .iter()
            .any(|ks| !ks.flags.contains(KeyFlags::NOT_KEY))
            || !matches!(self.getkeys, GetKeys::Specs)
    }
}

/// True when `argc` arguments satisfy `arity`.
pub fn arity_ok(arity: i32, argc: usize) -> bool {
    let argc = argc as i32;
    if arity >= 0 {
        argc == arity
    } else {
        argc >= -arity
    }
}

/// Redis's `populateCommandLegacyRangeSpec`: `(first, last, step, movable)`.
const fn legacy_range(specs: &[KeySpec]) -> (i32, i32, i32, bool) {
    if specs.len() == 1
        && let KeySpec {
            flags,
            begin: Begin::Index(at),
            find: Find::Range { last, step, .. },
        } = specs[0]
    {
        let last = if last < 0 { last } else { at + last };
        return (at, last, step, flags.contains(KeyFlags::INCOMPLETE));
    }
    let mut movable = false;
    let mut first = i32::MAX;
    let mut lastkey: i32 = 0;
    let mut prev_last = 0;
    let mut i = 0;
    while i < specs.len() {
        let s = specs[i];
        i += 1;
        let (at, last, step) = match (s.begin, s.find) {
            (Begin::Index(at), Find::Range { last, step, .. }) => (at, last, step),
            _ => {
                movable = true;
                continue;
            }
        };
        if step != 1 || (prev_last != 0 && prev_last != at - 1) {
            movable = true;
            continue;
        }
        if s.flags.contains(KeyFlags::INCOMPLETE) {
            movable = true;
        }
        if at < first {
            first = at;
        }
        let abs = if last >= 0 { last + at } else { last };
        // Unsigned comparison, as Redis: a negative (from the end) last wins.
        if (abs as u32) > (lastkey as u32) {
            lastkey = abs;
        }
        prev_last = lastkey;
    }
    if first == i32::MAX {
        return (0, 0, 0, true);
    }
    (first, lastkey, 1, movable)
}
