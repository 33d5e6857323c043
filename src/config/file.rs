//! The configuration file: `rudis-server /path/to/rudis.conf [--flag value ...]`,
//! with Redis's syntax. One directive per line, `name value...`; blank lines and
//! lines starting with `#` are ignored; values may be quoted (`"..."` with Redis's
//! escapes, or `'...'`), so `save ""` sets an empty value. Directives take the
//! same names and values as the flags and CONFIG SET; flags given after the file
//! override it, as with Redis.

use super::Config;

/// Largest configuration file read: a config file is hand-written text.
const MAX_CONFIG_FILE: u64 = 16 * 1024 * 1024;

impl Config {
    /// Applies every directive of the file at `path`; the error names the line.
    pub fn load_file(&mut self, path: &str) -> Result<(), String> {
        let fatal =
            |detail: String| format!("\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\n{detail}");
        let meta = std::fs::metadata(path)
            .map_err(|e| fatal(format!("Fatal error, can't open config file '{path}': {e}")))?;
        if meta.len() > MAX_CONFIG_FILE {
            return Err(fatal(format!("config file '{path}' is too large")));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| fatal(format!("Fatal error, can't open config file '{path}': {e}")))?;
        self.apply_text(&text).map_err(|(line_no, line, why)| {
            fatal(format!(
                "Reading the configuration file, at line {line_no}\n>>> '{line}'\n{why}"
            ))
        })
    }

    /// Applies the directives in `text`; on error: line number, line, reason.
    pub fn apply_text(&mut self, text: &str) -> Result<(), (usize, String, String)> {
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fail = |why: String| (i + 1, line.to_string(), why);
            let words = split_args(line)
                .ok_or_else(|| fail("Unbalanced quotes in configuration line".into()))?;
            let Some((name, values)) = words.split_first() else {
                continue;
            };
            if values.is_empty() {
                return Err(fail("wrong number of arguments".into()));
            }
            self.set(name, &values.join(" ")).map_err(fail)?;
        }
        Ok(())
    }
}

/// Splits a line into words as Redis's `sdssplitargs`: spaces separate, `"..."`
/// understands `\n \r \t \b \a \\ \" \xHH`, `'...'` only `\'`. `None` on
/// unbalanced quotes or a closing quote not followed by a space.
pub fn split_args(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&first) = chars.peek() else {
            return Some(words);
        };
        let mut word = String::new();
        match first {
            '"' | '\'' => {
                chars.next();
                loop {
                    match chars.next()? {
                        c if c == first => break,
                        '\\' if first == '"' => word.push(unescape(&mut chars)?),
                        '\\' if chars.peek() == Some(&'\'') => {
                            chars.next();
                            word.push('\'');
                        }
                        c => word.push(c),
                    }
                }
                if chars.peek().is_some_and(|c| !c.is_whitespace()) {
                    return None;
                }
            }
            _ => {
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
            }
        }
        words.push(word);
    }
}

fn unescape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<char> {
    Some(match chars.next()? {
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        'b' => '\u{8}',
        'a' => '\u{7}',
        'x' => {
            let hi = chars.next()?.to_digit(16)?;
            let lo = chars.next()?.to_digit(16)?;
            char::from_u32(hi * 16 + lo)?
        }
        other => other,
    })
}

#[cfg(test)]
mod tests {
    use super::split_args;
    use crate::config::Config;

    #[test]
    fn words_and_quotes() {
        assert_eq!(split_args("save 900 1").unwrap(), ["save", "900", "1"]);
        assert_eq!(split_args("save \"\"").unwrap(), ["save", ""]);
        assert_eq!(
            split_args("a 'b c' \"d\\te\"").unwrap(),
            ["a", "b c", "d\te"]
        );
        assert_eq!(split_args("x \"\\x41\"").unwrap(), ["x", "A"]);
        assert!(split_args("a \"open").is_none());
        assert!(split_args("a \"b\"c").is_none());
    }

    #[test]
    fn directives_apply_in_order_and_errors_name_the_line() {
        let mut c = Config::default();
        c.apply_text(
            "# comment\n\nport 7000\nrequirepass \"s3cret pw\"\nnotify-keyspace-events KEA\n\
             client-output-buffer-limit pubsub 1mb 512kb 10\nport 7001\n",
        )
        .unwrap();
        assert_eq!(c.port, 7001);
        assert!(c.requirepass.is_some());
        assert_eq!(c.get("notify-keyspace-events").as_deref(), Some("AKE"));
        let err = c.apply_text("port 1\nnosuch-directive 1\n").unwrap_err();
        assert_eq!(err.0, 2);
        assert_eq!(err.1, "nosuch-directive 1");
        assert_eq!(c.apply_text("port\n").unwrap_err().0, 1);
    }
}
