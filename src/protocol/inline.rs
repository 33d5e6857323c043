//! Inline commands: a line of space-separated words, as typed into telnet.
//!
//! Splitting follows Redis's `sdssplitargs`: double quotes with `\n \r \t \b \a \\ \" \xHH`
//! escapes, single quotes with `\'`, and a closing quote must be followed by a space or
//! the end of the line. A NUL byte ends the line, as it ends the C string Redis splits.

use super::parser::ArgSpan;

/// Why an inline line could not be split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnbalancedQuotes;

/// Splits `line` (without its line ending) into words, appending each word's bytes
/// to `out` and its range within `out` to `spans`.
pub fn split_inline(
    line: &[u8],
    out: &mut Vec<u8>,
    spans: &mut Vec<ArgSpan>,
) -> Result<(), UnbalancedQuotes> {
    // Redis splits a C string: whatever follows a NUL is never seen.
    let line = memchr::memchr(0, line).map_or(line, |nul| &line[..nul]);
    let mut i = 0;
    let n = line.len();
    loop {
        while i < n && line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= n {
            return Ok(());
        }
        let start = out.len();
        let mut in_dq = false;
        let mut in_sq = false;
        loop {
            if in_dq {
                if i >= n {
                    return Err(UnbalancedQuotes);
                }
                let c = line[i];
                if c == b'\\'
                    && i + 3 < n
                    && line[i + 1] == b'x'
                    && let (Some(h), Some(l)) = (hex(line[i + 2]), hex(line[i + 3]))
                {
                    out.push(h * 16 + l);
                    i += 4;
                    continue;
                }
                if c == b'\\' && i + 1 < n {
                    out.push(match line[i + 1] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        other => other,
                    });
                    i += 2;
                } else if c == b'"' {
                    if i + 1 < n && !line[i + 1].is_ascii_whitespace() {
                        return Err(UnbalancedQuotes);
                    }
                    i += 1;
                    break;
                } else {
                    out.push(c);
                    i += 1;
                }
            } else if in_sq {
                if i >= n {
                    return Err(UnbalancedQuotes);
                }
                let c = line[i];
                if c == b'\\' && i + 1 < n && line[i + 1] == b'\'' {
                    out.push(b'\'');
                    i += 2;
                } else if c == b'\'' {
                    if i + 1 < n && !line[i + 1].is_ascii_whitespace() {
                        return Err(UnbalancedQuotes);
                    }
                    i += 1;
                    break;
                } else {
                    out.push(c);
                    i += 1;
                }
            } else {
                if i >= n {
                    break;
                }
                match line[i] {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => break,
                    b'"' => in_dq = true,
                    b'\'' => in_sq = true,
                    c => out.push(c),
                }
                i += 1;
            }
        }
        spans.push(ArgSpan {
            start,
            end: out.len(),
        });
    }
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Result<Vec<Vec<u8>>, UnbalancedQuotes> {
        let mut out = Vec::new();
        let mut spans = Vec::new();
        split_inline(line.as_bytes(), &mut out, &mut spans)?;
        Ok(spans.iter().map(|s| out[s.start..s.end].to_vec()).collect())
    }

    #[test]
    fn splits_words_and_quotes() {
        let cases: &[(&str, &[&[u8]])] = &[
            ("PING", &[b"PING"]),
            ("  set  a   b ", &[b"set", b"a", b"b"]),
            ("set \"a b\" 'c d'", &[b"set", b"a b", b"c d"]),
            ("echo \"\\x41\\n\"", &[b"echo", b"A\n"]),
            ("echo 'it\\'s'", &[b"echo", b"it's"]),
            ("echo \"\"", &[b"echo", b""]),
            ("", &[]),
        ];
        for (line, expected) in cases {
            let got = words(line).expect(line);
            let expected: Vec<Vec<u8>> = expected.iter().map(|w| w.to_vec()).collect();
            assert_eq!(got, expected, "{line}");
        }
    }

    #[test]
    fn rejects_unbalanced_quotes() {
        for line in ["set \"a", "set 'a", "set \"a\"b", "echo 'a'b"] {
            assert_eq!(words(line), Err(UnbalancedQuotes), "{line}");
        }
    }
}
