//! `notify-keyspace-events`: the event classes (bits defined with the store's
//! [`crate::store::Event`]), and their letters (Redis's
//! `keyspaceEventsStringToFlags` and `keyspaceEventsFlagsToString`).

pub use crate::store::class::{
    ALL, EVICTED, EXPIRED, GENERIC, HASH, KEY_MISS, KEYEVENT, KEYSPACE, LIST, MODULE, NEW, SET,
    STREAM, STRING, ZSET,
};

/// Class letters in the order Redis prints them (after `A`, before `K`, `E`, `m`).
const CLASS_LETTERS: &[(u32, char)] = &[
    (GENERIC, 'g'),
    (STRING, '$'),
    (LIST, 'l'),
    (SET, 's'),
    (HASH, 'h'),
    (ZSET, 'z'),
    (EXPIRED, 'x'),
    (EVICTED, 'e'),
    (STREAM, 't'),
    (MODULE, 'd'),
    (NEW, 'n'),
];

/// Parses `notify-keyspace-events` (Redis's `keyspaceEventsStringToFlags`); None when
/// a character is not a class letter.
pub fn flags_from_str(text: &str) -> Option<u32> {
    let mut flags = 0;
    for c in text.chars() {
        flags |= match c {
            'A' => ALL,
            'K' => KEYSPACE,
            'E' => KEYEVENT,
            'm' => KEY_MISS,
            _ => CLASS_LETTERS.iter().find(|&&(_, l)| l == c)?.0,
        };
    }
    Some(flags)
}

/// Prints flags as Redis's `keyspaceEventsFlagsToString`: `A` (which hides `n`, as in
/// Redis) or the class letters, then `K`, `E`, `m`.
pub fn flags_to_string(flags: u32) -> String {
    let mut out = String::new();
    if flags & ALL == ALL {
        // As Redis: `A` alone, even when `n` is set too.
        out.push('A');
    } else {
        for &(bit, letter) in CLASS_LETTERS {
            if flags & bit != 0 {
                out.push(letter);
            }
        }
    }
    for (bit, letter) in [(KEYSPACE, 'K'), (KEYEVENT, 'E'), (KEY_MISS, 'm')] {
        if flags & bit != 0 {
            out.push(letter);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_round_trip_as_redis() {
        let get = |s: &str| flags_from_str(s).map(flags_to_string);
        assert_eq!(get("gKE").as_deref(), Some("gKE"));
        assert_eq!(get("$lshzxeKE").as_deref(), Some("$lshzxeKE"));
        assert_eq!(get("KA").as_deref(), Some("AK"));
        assert_eq!(get("EA").as_deref(), Some("AE"));
        assert_eq!(get("Em").as_deref(), Some("Em"));
        assert_eq!(get("KEn").as_deref(), Some("nKE"));
        assert_eq!(get("").as_deref(), Some(""));
        assert_eq!(get("Kq"), None);
        assert_eq!(flags_from_str("A"), Some(ALL));
        assert_eq!(ALL & (KEY_MISS | NEW), 0);
    }
}
