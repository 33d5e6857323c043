//! The configuration file: `rudis-server /path/to/rudis.conf [--flag value ...]`,
//! with Redis's syntax. One directive per line, `name value...`; blank lines and
//! lines starting with `#` are ignored; values may be quoted (`"..."` with Redis's
//! escapes, or `'...'`), so `save ""` sets an empty value. Directives take the
//! same names and values as the flags and CONFIG SET; flags given after the file
//! override it, as with Redis.

use super::{Config, passive};

/// Largest configuration file read: a config file is hand-written text.
const MAX_CONFIG_FILE: u64 = 16 * 1024 * 1024;
/// Deepest `include` nesting: a file that includes itself fails instead of looping.
const MAX_INCLUDE_DEPTH: usize = 16;

/// Directives that take several words (Redis's `MULTI_ARG_CONFIG`); the others take
/// exactly one.
const MULTI_ARG: &[&str] = &[
    "save",
    "client-output-buffer-limit",
    "oom-score-adj-values",
    "bind",
    "replicaof",
    "slaveof",
    "latency-tracking-info-percentiles",
];

/// State of one start-up read of the file and the flags.
#[derive(Debug, Default)]
struct Loading {
    /// A `save` line was read: later ones add save points instead of replacing.
    save_seen: bool,
    /// Current `include` depth.
    depth: usize,
}

/// The header of every configuration error, as Redis's (naming this server).
fn fatal(detail: String) -> String {
    format!(
        "\n*** FATAL CONFIG FILE ERROR (rudis {}) ***\n{detail}",
        env!("CARGO_PKG_VERSION")
    )
}

impl Config {
    /// Parses command-line arguments (without the program name): an optional
    /// configuration file first, then `--name value...` options, each taking the
    /// words up to the next `--` (`--save 900 1 300 10`), applied after the file.
    pub fn from_args<I: IntoIterator<Item = String>>(args: I) -> Result<Config, String> {
        let mut config = Config::default();
        let mut load = Loading::default();
        let mut args = args.into_iter().peekable();
        // A first argument that is not an option names the configuration file.
        if let Some(path) = args.next_if(|a| !a.starts_with('-')) {
            config.config_file = Some(
                std::fs::canonicalize(&path).unwrap_or_else(|_| std::path::PathBuf::from(&path)),
            );
            config.load_file_inner(&path, &mut load)?;
        }
        let mut options: Vec<(String, Vec<String>)> = Vec::new();
        for arg in args {
            match (arg.strip_prefix("--"), options.last_mut()) {
                (Some(name), _) if !name.is_empty() => options.push((name.to_string(), Vec::new())),
                (_, Some((_, values))) => values.push(arg),
                (_, None) => {
                    return Err(fatal(format!(
                        "Reading the command line, at '{arg}'\nunknown option '{arg}' (options start with --; see --help)"
                    )));
                }
            }
        }
        for (name, mut values) in options {
            let shown = values.join(" ");
            let fail = |why: String| {
                fatal(format!(
                    "Reading the command line, at '--{name}'\n>>> '{name} {shown}'\n{why}"
                ))
            };
            if values.is_empty() {
                // `--save` alone clears the save points, as in Redis.
                if !name.eq_ignore_ascii_case("save") {
                    let why = match config.get(&name.to_ascii_lowercase()) {
                        Some(_) => format!("'--{name}' needs a value"),
                        None => format!("unknown option '--{name}'"),
                    };
                    return Err(fail(why));
                }
                values.push(String::new());
            }
            config
                .apply_words(&name.to_ascii_lowercase(), &values, &mut load)
                .map_err(fail)?;
        }
        Ok(config)
    }

    /// Applies every directive of the file at `path`; the error names the file and
    /// the line.
    pub fn load_file(&mut self, path: &str) -> Result<(), String> {
        self.load_file_inner(path, &mut Loading::default())
    }

    fn load_file_inner(&mut self, path: &str, load: &mut Loading) -> Result<(), String> {
        let open_error = |e: std::io::Error| {
            fatal(format!(
                "Fatal error, can't open config file '{path}': {}",
                os_text(&e)
            ))
        };
        let meta = std::fs::metadata(path).map_err(open_error)?;
        if meta.len() > MAX_CONFIG_FILE {
            return Err(fatal(format!("config file '{path}' is too large")));
        }
        let text = std::fs::read_to_string(path).map_err(open_error)?;
        load.depth += 1;
        let result = self.apply_lines(&text, load);
        load.depth -= 1;
        result.map_err(|(line_no, line, why)| {
            // An error inside an included file is already complete.
            if why.starts_with("\n*** FATAL") {
                why
            } else {
                fatal(format!(
                    "Reading the configuration file {path}, at line {line_no}\n>>> '{line}'\n{why}"
                ))
            }
        })
    }

    /// Applies the directives in `text`; on error: line number, line, reason.
    pub fn apply_text(&mut self, text: &str) -> Result<(), (usize, String, String)> {
        self.apply_lines(text, &mut Loading::default())
    }

    fn apply_lines(
        &mut self,
        text: &str,
        load: &mut Loading,
    ) -> Result<(), (usize, String, String)> {
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
            self.apply_words(&name.to_ascii_lowercase(), values, load)
                .map_err(fail)?;
        }
        Ok(())
    }

    /// Applies one directive of the file or the command line: the directives that
    /// only a file knows (`include`, `rename-command`, `user`), the ones that
    /// accumulate (`save`; `client-output-buffer-limit` sets the classes it names),
    /// then [`Config::set`].
    fn apply_words(
        &mut self,
        name: &str,
        values: &[String],
        load: &mut Loading,
    ) -> Result<(), String> {
        match (name, values) {
            ("include", [path]) => {
                if load.depth >= MAX_INCLUDE_DEPTH {
                    return Err(format!(
                        "include nested deeper than {MAX_INCLUDE_DEPTH} files (does '{path}' include itself?)"
                    ));
                }
                return self.load_file_inner(path, load);
            }
            ("rename-command", [command, new_name]) => {
                self.renames
                    .push((command.to_ascii_lowercase(), new_name.to_ascii_lowercase()));
                return Ok(());
            }
            ("user", [_, ..]) => {
                self.users.push(format!("user {}", values.join(" ")));
                return Ok(());
            }
            ("loadmodule", _) => return Err("rudis does not load Redis modules".into()),
            ("sentinel", _) => return Err("rudis has no sentinel mode".into()),
            _ => {}
        }
        if passive::DEPRECATED
            .iter()
            .any(|&(n, words)| n == name && values.len() + 1 == words)
        {
            return Ok(());
        }
        if !MULTI_ARG.contains(&name) && values.len() != 1 {
            return Err(if self.get(name).is_some() {
                "wrong number of arguments".to_string()
            } else {
                format!("unknown option '{name}'")
            });
        }
        let value = values.join(" ");
        if name == "save" && !value.is_empty() {
            // In a file, save lines add up (Redis's `setConfigSaveOption`).
            let points = super::parse_save(&value)?;
            if !load.save_seen {
                self.save.clear();
            }
            load.save_seen = true;
            self.save.extend(points);
            return Ok(());
        }
        if name == "save" {
            load.save_seen = true;
        }
        if name == "dir" {
            return self
                .set(name, &value)
                .map_err(|why| format!("Can't chdir to '{value}' (dir): {why}"));
        }
        self.set(name, &value)
    }
}

/// The system's text for an error, without Rust's " (os error N)".
pub fn os_text(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(cut) => text[..cut].to_string(),
        None => text,
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
