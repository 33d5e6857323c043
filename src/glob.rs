//! Redis glob-style pattern matching (`stringmatchlen`), for KEYS, SCAN MATCH and more.
//!
//! A line-by-line port of `stringmatchlen_impl` in Redis's util.c, so edge cases match
//! Redis exactly: `*`, `?`, `[...]` with ranges (either order) and `^` negation, `\`
//! escapes (also inside brackets), an unterminated `[` that runs to the pattern's end,
//! and a trailing `\` that matches itself. Bytes compare as C's signed `char`, as Redis
//! on x86 and ARM64 Linux does for ranges such as `[a-\xff]`.
//!
//! Where C reads the byte just past the pattern it finds the string's NUL terminator; the
//! port reads 0 there (`at`). Each `*` recurses once for the rest of the pattern, so
//! the depth is capped ([`MAX_NESTING`]) and a run of failures cuts the search short
//! (`skip_longer`), which keeps patterns like `*a*a*a*a*b` linear per `*`.

/// Deepest `*` recursion tried before giving up with "no match": Redis's own limit,
/// which keeps a pattern of thousands of `*` from overflowing the stack.
pub const MAX_NESTING: u32 = 1000;

/// True when `string` matches the glob `pattern` (case-sensitive unless `nocase`).
pub fn glob_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let mut skip_longer = false;
    match_impl(pattern, 0, string, 0, nocase, &mut skip_longer, 0)
}

/// The pattern byte at `i`, or 0 (C's terminator) past the end.
fn at(bytes: &[u8], i: usize) -> u8 {
    bytes.get(i).copied().unwrap_or(0)
}

/// A byte as C's signed `char`.
fn signed(b: u8) -> i32 {
    i32::from(b as i8)
}

/// glibc's `tolower` on a signed `char` value when `nocase`: `A`..=`Z` fold to lower
/// case and negative values other than -1 (EOF) come back as their unsigned byte, which
/// is what Redis on Linux compares in a `nocase` range.
fn fold(c: i32, nocase: bool) -> i32 {
    if !nocase {
        c
    } else if (i32::from(b'A')..=i32::from(b'Z')).contains(&c) {
        c + 32
    } else if (-128..=-2).contains(&c) {
        c + 256
    } else {
        c
    }
}

/// Equality of two bytes, ignoring ASCII case when `nocase`.
fn same(a: u8, b: u8, nocase: bool) -> bool {
    if nocase {
        a.eq_ignore_ascii_case(&b)
    } else {
        a == b
    }
}

/// `stringmatchlen_impl`: matches `pat[p..]` against `s[si..]`.
fn match_impl(
    pat: &[u8],
    mut p: usize,
    s: &[u8],
    mut si: usize,
    nocase: bool,
    skip_longer: &mut bool,
    nesting: u32,
) -> bool {
    if nesting > MAX_NESTING {
        return false;
    }
    while p < pat.len() && si < s.len() {
        match pat[p] {
            b'*' => {
                while p < pat.len() && at(pat, p + 1) == b'*' {
                    p += 1;
                }
                if pat.len() - p == 1 {
                    return true;
                }
                while si < s.len() {
                    if match_impl(pat, p + 1, s, si, nocase, skip_longer, nesting + 1) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    si += 1;
                }
                // No match for the rest of the pattern from anywhere in the rest of
                // the string: earlier `*` trying longer matches cannot help either.
                *skip_longer = true;
                return false;
            }
            b'?' => si += 1,
            b'[' => {
                p += 1;
                let not = at(pat, p) == b'^';
                if not {
                    p += 1;
                }
                let c = s[si];
                let mut matched = false;
                loop {
                    let left = pat.len().saturating_sub(p);
                    let b = at(pat, p);
                    if b == b'\\' && left >= 2 {
                        p += 1;
                        if at(pat, p) == c {
                            matched = true;
                        }
                    } else if b == b']' {
                        break;
                    } else if left == 0 {
                        // Unterminated class: step back so the shared `p += 1` below
                        // lands exactly on the pattern's end.
                        p -= 1;
                        break;
                    } else if left >= 3 && at(pat, p + 1) == b'-' {
                        // Order first, then fold case, exactly as util.c does.
                        let mut start = signed(b);
                        let mut end = signed(at(pat, p + 2));
                        if start > end {
                            std::mem::swap(&mut start, &mut end);
                        }
                        let (start, end) = (fold(start, nocase), fold(end, nocase));
                        p += 2;
                        let ch = fold(signed(c), nocase);
                        if ch >= start && ch <= end {
                            matched = true;
                        }
                    } else if same(b, c, nocase) {
                        matched = true;
                    }
                    p += 1;
                }
                if not {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                si += 1;
            }
            b => {
                let lit = if b == b'\\' && pat.len() - p >= 2 {
                    p += 1;
                    pat[p]
                } else {
                    b
                };
                if !same(lit, s[si], nocase) {
                    return false;
                }
                si += 1;
            }
        }
        p += 1;
        if si == s.len() {
            while at(pat, p) == b'*' {
                p += 1;
            }
            break;
        }
    }
    p >= pat.len() && si == s.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (pattern, string, matches) with case-sensitive matching; cases from Redis's
    /// keyspace.tcl, util.c's history and the edge cases of the C code.
    const CASES: &[(&[u8], &[u8], bool)] = &[
        (b"", b"", true),
        (b"", b"a", false),
        (b"a", b"", false),
        // As in C, an empty string never enters the loop: only an empty pattern matches
        // it (KEYS and SCAN special-case the pattern `*` before calling the matcher).
        (b"*", b"", false),
        (b"**", b"", false),
        (b"*", b"anything", true),
        (b"a*", b"abc", true),
        (b"a*", b"ba", false),
        (b"*c", b"abc", true),
        (b"*b*", b"abc", true),
        (b"a*b*c", b"aXbYc", true),
        (b"a*b*c", b"aXbY", false),
        (b"a**b", b"ab", true),
        (b"h?llo", b"hello", true),
        (b"h?llo", b"hllo", false),
        (b"?", b"", false),
        (b"h[ae]llo", b"hallo", true),
        (b"h[ae]llo", b"hillo", false),
        (b"h[^e]llo", b"hallo", true),
        (b"h[^e]llo", b"hello", false),
        (b"h[a-b]llo", b"hbllo", true),
        (b"h[a-b]llo", b"hcllo", false),
        (b"h[b-a]llo", b"hallo", true),
        // `a-]` is the range ']'..='a' and leaves the class unterminated, as in C.
        (b"[a-]", b"-", false),
        (b"[a-]", b"a", true),
        (b"[a-]", b"_", true),
        (b"[-]", b"-", true),
        (b"[]", b"a", false),
        (b"[]]", b"]", false),
        (b"[\\]]", b"]", true),
        (b"[\\", b"\\", true),
        (b"[^\\]]", b"a", true),
        (b"[abc", b"b", true),
        (b"[abc", b"d", false),
        (b"[", b"a", false),
        (b"[^", b"a", true),
        (b"[a-", b"a", true),
        (b"a[bc]*", b"ac", true),
        (b"a[bc]*", b"acxx", true),
        (b"\\*", b"*", true),
        (b"\\*", b"a", false),
        (b"\\?", b"?", true),
        (b"\\[a]", b"[a]", true),
        (b"a\\", b"a\\", true),
        (b"\\", b"\\", true),
        (b"\\a", b"a", true),
        (b"Foo", b"foo", false),
        (b"[A-Z]", b"a", false),
        (
            b"*a*a*a*a*a*a*a*a*a*a*b",
            b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            false,
        ),
        (
            b"*a*a*a*a*a*a*a*a*a*a*",
            b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            true,
        ),
        (b"a*", b"a", true),
        (b"a*?", b"a", false),
        (b"a\0b", b"a\0b", true),
        (b"[\x80-\xff]", b"\x90", true),
        (b"[a-\xff]", b"\xff", true),
        (b"[a-\xff]", b"b", false),
        (b"[a-\xff]", b"A", true),
    ];

    #[test]
    fn matches_like_redis() {
        for &(pat, s, want) in CASES {
            assert_eq!(
                glob_match(pat, s, false),
                want,
                "pattern {:?} string {:?}",
                String::from_utf8_lossy(pat),
                String::from_utf8_lossy(s)
            );
        }
    }

    #[test]
    fn nocase_folds_ascii() {
        assert!(glob_match(b"FOO*", b"foobar", true));
        assert!(glob_match(b"[A-C]x", b"bX", true));
        assert!(!glob_match(b"FOO*", b"foobar", false));
        // util.c orders a range before folding case: `Z-a` stays the range 'z'..='a',
        // which is empty.
        assert!(!glob_match(b"[Z-a]", b"b", true));
        assert!(glob_match(b"[Z-a]", b"_", false));
        assert!(!glob_match(b"[Z-a]", b"z", true));
    }

    #[test]
    fn deep_star_patterns_are_bounded() {
        // Thousands of "*?" pairs: each `*` nests once; past the cap it is "no match"
        // instead of a stack overflow.
        let pat: Vec<u8> = b"*?".repeat(5000);
        let s = vec![b'x'; 6000];
        assert!(!glob_match(&pat, &s, false));
        // Under the cap the same shape matches.
        let pat: Vec<u8> = b"*?".repeat(100);
        assert!(glob_match(&pat, &s, false));
        // Many consecutive stars collapse and never nest.
        let mut pat = vec![b'*'; 100_000];
        pat.push(b'x');
        assert!(glob_match(&pat, &s, false));
    }
}
