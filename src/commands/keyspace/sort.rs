//! SORT and SORT_RO: sort the elements of a list, set or sorted set, numerically or
//! by bytes, optionally by the values of other keys (BY), returning other keys'
//! values (GET), and storing the result as a list (STORE). As Redis's sort.c.

use std::cmp::Ordering;

use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::commands::args::{is, parse_i64};
use crate::commands::connection::auth;
use crate::commands::string::edit::string_bytes;
use crate::commands::table;
use crate::error::CmdError;
use crate::protocol::Request;
use crate::spec::{GetKeys, Group, KeyFlags, KeySpec};
use crate::store::list::{List, Side};
use crate::store::{Event, Kind, Value, class};
use crate::{cats, flags, kf};

/// The event of SORT ... STORE.
const SORTSTORE: Event = Event::new(class::LIST, "sortstore");

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "sort",
        -2,
        flags!(WRITE | DENYOOM),
        Group::Generic,
        "Sorts the elements in a list, a set, or a sorted set, optionally storing the result.",
        sort,
    )
    .acl(cats!(SET | SORTEDSET | LIST | DANGEROUS))
    .getkeys(GetKeys::Sort)
    .keys(&[
        KeySpec::at(kf!(RO | ACCESS), 1),
        KeySpec::unknown(kf!(RO | ACCESS)),
        KeySpec::unknown(kf!(OW | UPDATE)),
    ]),
    CommandSpec::new(
        "sort_ro",
        -2,
        flags!(READONLY),
        Group::Generic,
        "Returns the sorted elements of a list, a set, or a sorted set.",
        sort_ro,
    )
    .acl(cats!(SET | SORTEDSET | LIST | DANGEROUS))
    .keys(&[
        KeySpec::at(kf!(RO | ACCESS), 1),
        KeySpec::unknown(kf!(RO | ACCESS)),
    ]),
];

/// The parsed options of one SORT.
#[derive(Debug, Default)]
struct SortOptions<'a> {
    desc: bool,
    alpha: bool,
    limit: Option<(i64, i64)>,
    store: Option<&'a [u8]>,
    by: Option<&'a [u8]>,
    /// BY a pattern without `*`: keep the native order.
    dont_sort: bool,
    get: Vec<&'a [u8]>,
}

/// One element to sort, with what it sorts by.
#[derive(Debug)]
struct Item {
    element: Vec<u8>,
    score: f64,
    /// ALPHA BY: the looked-up value (`None` sorts first).
    by_value: Option<Vec<u8>>,
}

/// ```text
/// SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]]
///     [ASC | DESC] [ALPHA] [STORE destination]
/// ```
fn sort(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    sort_generic(ctx, req, false)
}

/// ```text
/// SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]]
///     [ASC | DESC] [ALPHA]
/// ```
fn sort_ro(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    sort_generic(ctx, req, true)
}

/// True when the caller may read every key through one of its ACL selectors, as BY
/// (with a `*`) and GET need: they read keys no key spec names (Redis's
/// `ACLUserCheckCmdWithUnrestrictedKeyAccess` in sortCommandGeneric).
fn full_key_access(ctx: &Ctx<'_>, req: &Request<'_>, readonly: bool) -> bool {
    if !ctx.server.acl.checks() {
        return true;
    }
    let name: &[u8] = if readonly { b"sort_ro" } else { b"sort" };
    let user = ctx.server.acl.user(ctx.client().user);
    match (table::lookup_indexed(name), user) {
        (Some((index, spec)), Some(user)) => {
            auth::full_key_access(user, index, spec, req, KeyFlags::ACCESS)
        }
        _ => false,
    }
}

fn parse_options<'a>(
    req: &Request<'a>,
    readonly: bool,
    full_access: bool,
) -> Result<SortOptions<'a>, CmdError> {
    let mut opts = SortOptions::default();
    let mut j = 2;
    while j < req.len() {
        let arg = req.arg(j);
        let left = req.len() - j - 1;
        if is(arg, "asc") {
            opts.desc = false;
        } else if is(arg, "desc") {
            opts.desc = true;
        } else if is(arg, "alpha") {
            opts.alpha = true;
        } else if is(arg, "limit") && left >= 2 {
            opts.limit = Some((parse_i64(req.arg(j + 1))?, parse_i64(req.arg(j + 2))?));
            j += 2;
        } else if !readonly && is(arg, "store") && left >= 1 {
            opts.store = Some(req.arg(j + 1));
            j += 1;
        } else if is(arg, "by") && left >= 1 {
            let pattern = req.arg(j + 1);
            opts.dont_sort = !pattern.contains(&b'*');
            if !opts.dont_sort && !full_access {
                return Err(CmdError::msg(
                    "ERR BY option of SORT denied due to insufficient ACL permissions.",
                ));
            }
            opts.by = Some(pattern);
            j += 1;
        } else if is(arg, "get") && left >= 1 {
            if !full_access {
                return Err(CmdError::msg(
                    "ERR GET option of SORT denied due to insufficient ACL permissions.",
                ));
            }
            opts.get.push(req.arg(j + 1));
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok(opts)
}

fn sort_generic(ctx: &mut Ctx<'_>, req: &Request<'_>, readonly: bool) -> Result<(), CmdError> {
    let full_access = full_key_access(ctx, req, readonly);
    let mut opts = parse_options(req, readonly, full_access)?;
    // The source is copied out before anything is written (STORE may name it).
    let (mut elements, kind) = match ctx.read_key(req.arg(1)) {
        None => (Vec::new(), Kind::List),
        Some(k) => {
            let value = k.value();
            let kind = value.kind();
            (elements_of(value).ok_or(CmdError::WrongType)?, kind)
        }
    };
    // A set has no order of its own: a stored result, or one a script sees, is sorted
    // by bytes so that it is the same on every run (as Redis).
    if opts.dont_sort && kind == Kind::Set && (opts.store.is_some() || ctx.client().in_script) {
        opts.dont_sort = false;
        opts.alpha = true;
        opts.by = None;
    }
    let len = elements.len() as i64;
    let (start, end) = limit_range(opts.limit, len);
    if opts.dont_sort && opts.desc && kind != Kind::Set {
        elements.reverse();
    }
    let mut items: Vec<Item> = elements
        .into_iter()
        .map(|element| Item {
            element,
            score: 0.0,
            by_value: None,
        })
        .collect();
    if !opts.dont_sort {
        weigh(ctx, &mut items, &opts)?;
        sort_items(&mut items, &opts);
    }
    let selected: &[Item] = if start <= end {
        &items[start as usize..=end as usize]
    } else {
        &[]
    };
    let mut output: Vec<Option<Vec<u8>>> = Vec::new();
    for item in selected {
        if opts.get.is_empty() {
            output.push(Some(item.element.clone()));
        }
        for pattern in &opts.get {
            output.push(lookup_by_pattern(ctx, pattern, &item.element));
        }
    }
    match opts.store {
        None => {
            ctx.out.array_len(output.len());
            for value in &output {
                match value {
                    Some(v) => ctx.out.bulk(v),
                    None => ctx.out.null(),
                }
            }
        }
        Some(dest) => store_result(ctx, dest, output),
    }
    Ok(())
}

/// Redis's LIMIT clamping: the inclusive range `[start, end]` of the sorted vector.
fn limit_range(limit: Option<(i64, i64)>, len: i64) -> (i64, i64) {
    let (offset, count) = limit.unwrap_or((0, -1));
    let start = offset.max(0).min(len);
    let count = count.max(-1).min(len);
    let mut end = if count < 0 {
        len - 1
    } else {
        start + count - 1
    };
    let start = if start >= len {
        end = len - 2;
        len - 1
    } else {
        start
    };
    if end >= len {
        end = len - 1;
    }
    (start, end)
}

/// Loads what each item sorts by: its BY value or itself, as a number unless ALPHA.
fn weigh(ctx: &mut Ctx<'_>, items: &mut [Item], opts: &SortOptions<'_>) -> Result<(), CmdError> {
    let mut bad_score = false;
    for item in items.iter_mut() {
        let by_value = match opts.by {
            Some(pattern) => match lookup_by_pattern(ctx, pattern, &item.element) {
                Some(v) => v,
                None => continue,
            },
            None => item.element.clone(),
        };
        if opts.alpha {
            if opts.by.is_some() {
                item.by_value = Some(by_value);
            }
        } else {
            match parse_score(&by_value) {
                Some(score) => item.score = score,
                None => bad_score = true,
            }
        }
    }
    if bad_score {
        return Err(CmdError::msg(
            "ERR One or more scores can't be converted into double",
        ));
    }
    Ok(())
}

/// A sort weight as C's `strtod` over the whole text (leading spaces allowed, empty
/// text is 0); NaN is refused.
fn parse_score(text: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(text).ok()?;
    let trimmed = text.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    if trimmed.is_empty() {
        return (text.is_empty()).then_some(0.0);
    }
    let score: f64 = trimmed.parse().ok()?;
    (!score.is_nan()).then_some(score)
}

fn sort_items(items: &mut [Item], opts: &SortOptions<'_>) {
    items.sort_by(|a, b| {
        let order = if !opts.alpha {
            a.score
                .partial_cmp(&b.score)
                .unwrap_or(Ordering::Equal)
                .then_with(|| a.element.cmp(&b.element))
        } else if opts.by.is_some() {
            match (&a.by_value, &b.by_value) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (Some(x), Some(y)) => x.cmp(y),
            }
        } else {
            a.element.cmp(&b.element)
        };
        if opts.desc { order.reverse() } else { order }
    });
}

/// Redis's `lookupKeyByPattern`: `#` is the element itself; otherwise the first `*`
/// is replaced by the element and the key's string value is returned, or with
/// `key->field` the field of a hash. `None` when missing or of another type.
fn lookup_by_pattern(ctx: &mut Ctx<'_>, pattern: &[u8], element: &[u8]) -> Option<Vec<u8>> {
    if pattern == b"#" {
        return Some(element.to_vec());
    }
    let star = pattern.iter().position(|&b| b == b'*')?;
    let after = &pattern[star + 1..];
    let (suffix, field) = match after.windows(2).position(|w| w == b"->") {
        Some(arrow) if arrow + 2 < after.len() => (&after[..arrow], Some(&after[arrow + 2..])),
        _ => (after, None),
    };
    let mut key = Vec::with_capacity(pattern.len() + element.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(element);
    key.extend_from_slice(suffix);
    let k = ctx.read_key(&key)?;
    let value = k.value();
    match field {
        Some(field) => hash_field(value, field),
        None => string_bytes(value, &mut itoa::Buffer::new())
            .ok()
            .map(<[u8]>::to_vec),
    }
}

/// Stores the result as a list at `dest` (deleting `dest` when empty); replies with
/// the number of elements stored.
fn store_result(ctx: &mut Ctx<'_>, dest: &[u8], output: Vec<Option<Vec<u8>>>) {
    let n = output.len();
    let old = ctx.write_key(dest).map(|k| {
        if n == 0 {
            k.remove(Event::DEL)
        } else {
            // Replaced by deleting it and adding the result (recorded below).
            k.take()
        }
    });
    if let Some(old) = old {
        ctx.store.dispose(old.value);
    }
    if n > 0 {
        let limits = ctx.server.config.encodings;
        let list = list_of(output.into_iter().map(Option::unwrap_or_default), &limits);
        // The lookup above found `dest` missing, or deleted it.
        ctx.insert_missing(dest, list, 0)
            .changed_n(SORTSTORE, n as u64);
    }
    ctx.out.int(n as i64);
}

/// The elements of a list (in order), set, or sorted set (by score); `None` for
/// other types.
fn elements_of(value: &Value) -> Option<Vec<Vec<u8>>> {
    match value {
        Value::Set(set) => Some(set.iter().map(|m| m.with_text(<[u8]>::to_vec)).collect()),
        Value::List(list) => Some(list.iter().map(|e| e.to_vec()).collect()),
        Value::ZSet(z) => Some(z.iter().map(|(m, _)| m.to_vec()).collect()),
        _ => None,
    }
}

/// The value of `field` in a hash; `None` when missing or not a hash.
fn hash_field(value: &Value, field: &[u8]) -> Option<Vec<u8>> {
    match value {
        Value::Hash(hash) => hash.get(field).map(<[u8]>::to_vec),
        _ => None,
    }
}

/// A list value holding `elements` in order.
fn list_of(
    elements: impl Iterator<Item = Vec<u8>>,
    limits: &crate::config::EncodingLimits,
) -> Value {
    let limit = limits.list_limit();
    let mut list = List::new();
    elements.for_each(|e| list.push(Side::Right, &e, limit));
    Value::List(Box::new(list))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_clamps_as_redis() {
        assert_eq!(limit_range(None, 5), (0, 4));
        assert_eq!(limit_range(Some((1, 2)), 5), (1, 2));
        assert_eq!(limit_range(Some((-3, 2)), 5), (0, 1));
        assert_eq!(limit_range(Some((10, 2)), 5), (4, 3));
        assert_eq!(limit_range(Some((3, 100)), 5), (3, 4));
        assert_eq!(limit_range(Some((0, 0)), 5), (0, -1));
        assert_eq!(limit_range(None, 0), (-1, -2));
    }

    #[test]
    fn scores_parse_as_strtod() {
        assert_eq!(parse_score(b"1.5"), Some(1.5));
        assert_eq!(parse_score(b"  2"), Some(2.0));
        assert_eq!(parse_score(b""), Some(0.0));
        assert_eq!(parse_score(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_score(b"abc"), None);
        assert_eq!(parse_score(b"nan"), None);
        assert_eq!(parse_score(b"1 "), None);
    }
}
