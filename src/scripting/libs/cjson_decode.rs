//! `cjson.decode`: lua-cjson 2.1's parser, with its tokens, its leniency
//! (numbers as `strtod` reads them) and its error texts.

use mlua::{Lua, LuaString, Table, Value};

/// What the parser found where it expected something else.
#[derive(Clone, Copy, PartialEq)]
enum Token {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    String,
    Number(f64),
    Boolean(bool),
    Null,
    Colon,
    Comma,
    End,
    /// An invalid token, with lua-cjson's description.
    Error(&'static str),
}

impl Token {
    /// lua-cjson's `json_token_type_name`, or the error's description.
    fn name(self) -> &'static str {
        match self {
            Token::ObjBegin => "T_OBJ_BEGIN",
            Token::ObjEnd => "T_OBJ_END",
            Token::ArrBegin => "T_ARR_BEGIN",
            Token::ArrEnd => "T_ARR_END",
            Token::String => "T_STRING",
            Token::Number(_) => "T_NUMBER",
            Token::Boolean(_) => "T_BOOLEAN",
            Token::Null => "T_NULL",
            Token::Colon => "T_COLON",
            Token::Comma => "T_COMMA",
            Token::End => "T_END",
            Token::Error(what) => what,
        }
    }
}

/// One decode: the text, the read position, and the last string token.
pub(super) struct Parser<'a> {
    lua: &'a Lua,
    data: &'a [u8],
    pos: usize,
    depth: i64,
    max_depth: i64,
    invalid_numbers: bool,
    /// The text of the last `Token::String`.
    string: Vec<u8>,
}

/// A Lua failure outside, the error to raise inside.
type Parsed<T> = mlua::Result<Result<T, String>>;

impl<'a> Parser<'a> {
    /// A parser of `data`, nesting at most `max_depth`.
    pub(super) fn new(lua: &'a Lua, data: &'a [u8], max_depth: i64, invalid_numbers: bool) -> Self {
        Parser {
            lua,
            data,
            pos: 0,
            depth: 0,
            max_depth,
            invalid_numbers,
            string: Vec::new(),
        }
    }

    /// `json_decode`: one value and nothing after it.
    pub(super) fn parse(&mut self) -> Parsed<Value> {
        if self.data.len() >= 2 && (self.data[0] == 0 || self.data[1] == 0) {
            return Ok(Err("JSON parser does not support UTF-16 or UTF-32".into()));
        }
        let (token, at) = self.next_token();
        let value = match self.value(token, at)? {
            Ok(value) => value,
            Err(e) => return Ok(Err(e)),
        };
        let (token, at) = self.next_token();
        if token != Token::End {
            return Ok(Err(expected("the end", token, at)));
        }
        Ok(Ok(value))
    }

    /// The byte at `i`; 0 past the end (the C parser reads a NUL-terminated string).
    fn at(&self, i: usize) -> u8 {
        self.data.get(i).copied().unwrap_or(0)
    }

    /// `json_next_token`: the next token and its 0-based position.
    fn next_token(&mut self) -> (Token, usize) {
        while matches!(self.at(self.pos), b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
        let start = self.pos;
        let c = self.at(start);
        let single = match c {
            b'{' => Some(Token::ObjBegin),
            b'}' => Some(Token::ObjEnd),
            b'[' => Some(Token::ArrBegin),
            b']' => Some(Token::ArrEnd),
            b',' => Some(Token::Comma),
            b':' => Some(Token::Colon),
            _ => None,
        };
        if let Some(token) = single {
            self.pos += 1;
            return (token, start);
        }
        let rest = &self.data[start.min(self.data.len())..];
        let token = match c {
            0 => Token::End,
            b'"' => self.string_token(),
            b'-' | b'0'..=b'9' => {
                if !self.invalid_numbers && invalid_number(rest) {
                    Token::Error("invalid number")
                } else {
                    self.number_token()
                }
            }
            _ if rest.starts_with(b"true") => self.word(Token::Boolean(true), 4),
            _ if rest.starts_with(b"false") => self.word(Token::Boolean(false), 5),
            _ if rest.starts_with(b"null") => self.word(Token::Null, 4),
            b'i' | b'I' | b'n' | b'N' | b'+' if self.invalid_numbers && invalid_number(rest) => {
                self.number_token()
            }
            _ => Token::Error("invalid token"),
        };
        // An error token is reported where the parser stopped.
        let at = if matches!(token, Token::Error(_)) {
            self.pos
        } else {
            start
        };
        (token, at)
    }

    fn word(&mut self, token: Token, len: usize) -> Token {
        self.pos += len;
        token
    }

    fn number_token(&mut self) -> Token {
        match strtod(self.data, self.pos) {
            Some((n, end)) => {
                self.pos = end;
                Token::Number(n)
            }
            None => Token::Error("invalid number"),
        }
    }

    /// `json_next_string_token`: the unescaped text goes to `self.string`.
    fn string_token(&mut self) -> Token {
        self.string.clear();
        self.pos += 1;
        loop {
            let c = self.at(self.pos);
            match c {
                b'"' => break,
                0 => return Token::Error("unexpected end of string"),
                b'\\' => {
                    let unescaped = match self.at(self.pos + 1) {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => b'\x08',
                        b'f' => b'\x0c',
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' => {
                            if self.unicode_escape().is_none() {
                                return Token::Error("invalid unicode escape code");
                            }
                            continue;
                        }
                        _ => return Token::Error("invalid escape code"),
                    };
                    self.string.push(unescaped);
                    self.pos += 2;
                }
                _ => {
                    self.string.push(c);
                    self.pos += 1;
                }
            }
        }
        self.pos += 1;
        Token::String
    }

    /// `json_append_unicode_escape`: `\uXXXX`, or a surrogate pair of them, as UTF-8.
    fn unicode_escape(&mut self) -> Option<()> {
        let mut code = self.hex4(self.pos + 2)?;
        let mut len = 6;
        if code & 0xF800 == 0xD800 {
            if code & 0x400 != 0 || self.at(self.pos + 6) != b'\\' || self.at(self.pos + 7) != b'u'
            {
                return None;
            }
            let low = self.hex4(self.pos + 8)?;
            if low & 0xFC00 != 0xDC00 {
                return None;
            }
            code = (((code & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000;
            len = 12;
        }
        let mut buf = [0u8; 4];
        let c = char::from_u32(code)?;
        self.string
            .extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        self.pos += len;
        Some(())
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        (at..at + 4).try_fold(0u32, |acc, i| {
            Some((acc << 4) | char::from(self.at(i)).to_digit(16)?)
        })
    }

    /// `json_process_value` and the array and object contexts, with an explicit
    /// stack of open containers: the value `token` starts.
    fn value(&mut self, mut token: Token, mut at: usize) -> Parsed<Value> {
        let mut open: Vec<(Table, Slot)> = Vec::new();
        loop {
            let mut value = match token {
                Token::String => Value::String(self.lua.create_string(&self.string)?),
                Token::Number(n) => Value::Number(n),
                Token::Boolean(b) => Value::Boolean(b),
                Token::Null => Value::NULL,
                Token::ObjBegin | Token::ArrBegin => {
                    if let Err(e) = self.descend() {
                        return Ok(Err(e));
                    }
                    let table = self.lua.create_table()?;
                    let end = if token == Token::ObjBegin {
                        Token::ObjEnd
                    } else {
                        Token::ArrEnd
                    };
                    let (first, first_at) = self.next_token();
                    if first == end {
                        self.depth -= 1;
                        Value::Table(table)
                    } else {
                        let slot = if token == Token::ArrBegin {
                            (token, at) = (first, first_at);
                            Slot::Index(1)
                        } else {
                            let key = match self.key(first, first_at)? {
                                Ok(key) => key,
                                Err(e) => return Ok(Err(e)),
                            };
                            (token, at) = self.next_token();
                            Slot::Key(key)
                        };
                        open.push((table, slot));
                        continue;
                    }
                }
                other => return Ok(Err(expected("value", other, at))),
            };
            // Store the value in its container; close the containers that end.
            loop {
                let Some((table, slot)) = open.last_mut() else {
                    return Ok(Ok(value));
                };
                let (end, what) = match slot {
                    Slot::Index(i) => {
                        table.raw_set(*i, value)?;
                        *i += 1;
                        (Token::ArrEnd, "comma or array end")
                    }
                    Slot::Key(key) => {
                        table.raw_set(key.clone(), value)?;
                        (Token::ObjEnd, "comma or object end")
                    }
                };
                let (next, next_at) = self.next_token();
                if next == end {
                    self.depth -= 1;
                    value = match open.pop() {
                        Some((table, _)) => Value::Table(table),
                        None => Value::Nil,
                    };
                    continue;
                }
                if next != Token::Comma {
                    return Ok(Err(expected(what, next, next_at)));
                }
                (token, at) = self.next_token();
                if let Slot::Key(key) = slot {
                    *key = match self.key(token, at)? {
                        Ok(key) => key,
                        Err(e) => return Ok(Err(e)),
                    };
                    (token, at) = self.next_token();
                }
                break;
            }
        }
    }

    /// An object's key and the colon after it.
    fn key(&mut self, token: Token, at: usize) -> Parsed<LuaString> {
        if token != Token::String {
            return Ok(Err(expected("object key string", token, at)));
        }
        let key = self.lua.create_string(&self.string)?;
        let (token, at) = self.next_token();
        if token != Token::Colon {
            return Ok(Err(expected("colon", token, at)));
        }
        Ok(Ok(key))
    }

    /// `json_decode_descend`.
    fn descend(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(format!(
                "Found too many nested data structures ({}) at character {}",
                self.depth, self.pos
            ));
        }
        Ok(())
    }
}

/// Where the next value of an open container goes.
enum Slot {
    /// An array's next index.
    Index(i64),
    /// The key read for an object's next value.
    Key(LuaString),
}

/// `json_throw_parse_error`'s text (positions count from 1).
fn expected(what: &str, found: Token, at: usize) -> String {
    format!(
        "Expected {what} but found {} at character {}",
        found.name(),
        at + 1
    )
}

/// `json_is_invalid_number`: forms `strtod` reads but strict JSON refuses.
fn invalid_number(s: &[u8]) -> bool {
    let s = match s.first() {
        Some(b'+') => return true,
        Some(b'-') => &s[1..],
        _ => s,
    };
    match s.first() {
        Some(b'0') => matches!(s.get(1), Some(b'x' | b'X' | b'0'..=b'9')),
        Some(c) if *c <= b'9' => false,
        _ => {
            let prefix = |p: &[u8]| s.len() >= 3 && s[..3].eq_ignore_ascii_case(p);
            prefix(b"inf") || prefix(b"nan")
        }
    }
}

/// C's `strtod` from `start`: the number and where it ends, `None` when no
/// number starts there.
pub(super) fn strtod(data: &[u8], start: usize) -> Option<(f64, usize)> {
    let at = |i: usize| data.get(i).copied().unwrap_or(0);
    let mut i = start;
    let negative = at(i) == b'-';
    if matches!(at(i), b'+' | b'-') {
        i += 1;
    }
    let sign = if negative { -1.0 } else { 1.0 };
    let word = |i: usize, w: &[u8]| {
        data.len() >= i + w.len() && data[i..i + w.len()].eq_ignore_ascii_case(w)
    };
    if word(i, b"infinity") {
        return Some((sign * f64::INFINITY, i + 8));
    }
    if word(i, b"inf") {
        return Some((sign * f64::INFINITY, i + 3));
    }
    if word(i, b"nan") {
        let mut end = i + 3;
        if at(end) == b'(' {
            let mut j = end + 1;
            while at(j).is_ascii_alphanumeric() || at(j) == b'_' {
                j += 1;
            }
            if at(j) == b')' {
                end = j + 1;
            }
        }
        return Some((f64::NAN, end));
    }
    if at(i) == b'0'
        && matches!(at(i + 1), b'x' | b'X')
        && let Some((n, end)) = hex_float(data, i + 2)
    {
        return Some((sign * n, end));
    }
    let digits_from = i;
    while at(i).is_ascii_digit() {
        i += 1;
    }
    let mut mantissa_digits = i - digits_from;
    if at(i) == b'.' {
        let fraction = i + 1;
        let mut j = fraction;
        while at(j).is_ascii_digit() {
            j += 1;
        }
        mantissa_digits += j - fraction;
        if mantissa_digits > 0 {
            i = j;
        }
    }
    if mantissa_digits == 0 {
        return None;
    }
    if matches!(at(i), b'e' | b'E') {
        let mut j = i + 1;
        if matches!(at(j), b'+' | b'-') {
            j += 1;
        }
        if at(j).is_ascii_digit() {
            while at(j).is_ascii_digit() {
                j += 1;
            }
            i = j;
        }
    }
    let text = std::str::from_utf8(&data[start..i]).ok()?;
    Some((text.parse().ok()?, i))
}

/// The hexadecimal form of `strtod` after `0x`: digits, fraction, `p` exponent.
fn hex_float(data: &[u8], start: usize) -> Option<(f64, usize)> {
    let at = |i: usize| data.get(i).copied().unwrap_or(0);
    let digit = |i: usize| char::from(at(i)).to_digit(16);
    let (mut value, mut i, mut digits, mut scale) = (0f64, start, 0, 0i64);
    while let Some(d) = digit(i) {
        value = value * 16.0 + f64::from(d);
        i += 1;
        digits += 1;
    }
    if at(i) == b'.' {
        let mut j = i + 1;
        while let Some(d) = digit(j) {
            value = value * 16.0 + f64::from(d);
            scale -= 4;
            j += 1;
            digits += 1;
        }
        if digits > 0 {
            i = j;
        }
    }
    if digits == 0 {
        return None;
    }
    if matches!(at(i), b'p' | b'P') {
        let mut j = i + 1;
        let negative = at(j) == b'-';
        if matches!(at(j), b'+' | b'-') {
            j += 1;
        }
        if at(j).is_ascii_digit() {
            let mut exp = 0i64;
            while at(j).is_ascii_digit() {
                exp = (exp * 10 + i64::from(at(j) - b'0')).min(100_000);
                j += 1;
            }
            scale += if negative { -exp } else { exp };
            i = j;
        }
    }
    Some((value * 2f64.powi(scale.clamp(-2000, 2000) as i32), i))
}
