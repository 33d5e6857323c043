//! `cmsgpack`: lua-cmsgpack 0.4.0 as Redis bundles it
//! (deps/lua/src/lua_cmsgpack.c): `pack(...)`, `unpack(s)`,
//! `unpack_one(s [, offset])`, `unpack_limit(s, limit [, offset])`, with its
//! encoding choices and error texts.

use mlua::{Lua, MultiValue, Table, Value};

use super::{LibResult, MAX_OUTPUT, add, arg_error, number, to_number, type_error};

/// Tables nested deeper than this pack as nil (lua-cmsgpack's
/// `LUACMSGPACK_MAX_NESTING`): what makes circular references packable.
const MAX_NESTING: usize = 16;

/// Containers nested deeper than this in packed input are refused: bounds the
/// decoder's recursion (lua-cmsgpack only stops at the Lua stack's limit).
const MAX_DECODE_NESTING: usize = 200;

/// Values one `unpack` returns at most: they all go on the Lua stack
/// (lua-cmsgpack fails the same way past `LUAI_MAXCSTACK`).
const MAX_RESULTS: usize = 4000;

/// The `cmsgpack` table.
pub fn open(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    add(lua, &t, "pack", pack)?;
    add(lua, &t, "unpack", |lua, args| {
        let Some(s) = string_arg(&args, "unpack") else {
            return Ok(Err(type_error(1, "unpack", "string", args.front())));
        };
        unpack(lua, &s, 0, 0)
    })?;
    add(lua, &t, "unpack_one", |lua, args| {
        let Some(s) = string_arg(&args, "unpack_one") else {
            return Ok(Err(type_error(1, "unpack_one", "string", args.front())));
        };
        match opt_integer(&args, 2, "unpack_one") {
            Ok(offset) => unpack(lua, &s, 1, offset),
            Err(e) => Ok(Err(e)),
        }
    })?;
    add(lua, &t, "unpack_limit", |lua, args| {
        let name = "unpack_limit";
        let Some(s) = string_arg(&args, name) else {
            return Ok(Err(type_error(1, name, "string", args.front())));
        };
        let limit = match args.get(1).and_then(to_number) {
            Some(n) => n as i64,
            None => return Ok(Err(type_error(2, name, "number", args.get(1)))),
        };
        match opt_integer(&args, 3, name) {
            Ok(offset) => unpack(lua, &s, limit, offset),
            Err(e) => Ok(Err(e)),
        }
    })?;
    t.raw_set("_NAME", "cmsgpack")?;
    t.raw_set("_VERSION", "lua-cmsgpack 0.4.0")?;
    t.raw_set("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo")?;
    t.raw_set("_DESCRIPTION", "MessagePack C implementation for Lua")?;
    Ok(t)
}

/// `luaL_checklstring` for argument 1 (numbers are converted).
fn string_arg(args: &MultiValue, _name: &str) -> Option<Vec<u8>> {
    match args.front()? {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        v @ (Value::Integer(_) | Value::Number(_)) => {
            Some(super::cjson::format_g(to_number(v)?, 14).into_bytes())
        }
        _ => None,
    }
}

/// `luaL_optinteger`: argument `n`, 0 when absent or nil.
fn opt_integer(args: &MultiValue, n: usize, name: &str) -> Result<i64, String> {
    match args.get(n - 1) {
        None | Some(Value::Nil) => Ok(0),
        Some(v) => to_number(v)
            .map(|x| x as i64)
            .ok_or_else(|| type_error(n, name, "number", Some(v))),
    }
}

/// `mp_pack`: every argument packed, one after the other.
fn pack(lua: &Lua, args: MultiValue) -> mlua::Result<LibResult> {
    if args.is_empty() {
        return Ok(Err(arg_error(0, "pack", "MessagePack pack needs input.")));
    }
    let mut out = Vec::new();
    for value in args.iter() {
        if let Err(e) = encode(value, 0, &mut out)? {
            return Ok(Err(e));
        }
    }
    Ok(Ok(MultiValue::from_vec(vec![Value::String(
        lua.create_string(&out)?,
    )])))
}

/// `mp_encode_lua_type`: appends `value` found at nesting `level`.
fn encode(value: &Value, level: usize, out: &mut Vec<u8>) -> mlua::Result<Result<(), String>> {
    if out.len() > MAX_OUTPUT {
        return Ok(Err("MessagePack pack: the packed data is too large.".into()));
    }
    match value {
        Value::String(s) => encode_bytes(&s.as_bytes(), out),
        Value::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Integer(_) | Value::Number(_) => encode_number(to_number(value).unwrap_or(0.0), out),
        Value::Table(t) if level < MAX_NESTING => return encode_table(t, level, out),
        _ => out.push(0xc0),
    }
    Ok(Ok(()))
}

/// `mp_encode_lua_table`: an array when the keys are exactly 1..n, else a map.
fn encode_table(t: &Table, level: usize, out: &mut Vec<u8>) -> mlua::Result<Result<(), String>> {
    let (mut count, mut max, mut array) = (0u64, 0f64, true);
    for pair in t.pairs::<Value, Value>() {
        let (key, _) = pair?;
        let n = match key {
            Value::Integer(n) => n as f64,
            Value::Number(n) => n,
            _ => -1.0,
        };
        // lua-cmsgpack: a positive key that is a C int.
        if n <= 0.0 || n > f64::from(i32::MAX) || n.fract() != 0.0 {
            array = false;
        }
        max = max.max(n);
        count += 1;
    }
    if array && max == count as f64 {
        let len = t.raw_len();
        container_header(len as u64, [0x90, 0xdc, 0xdd], out);
        for i in 1..=len {
            let value: Value = t.get(i)?;
            if let Err(e) = encode(&value, level + 1, out)? {
                return Ok(Err(e));
            }
        }
    } else {
        container_header(count, [0x80, 0xde, 0xdf], out);
        for pair in t.pairs::<Value, Value>() {
            let (key, value) = pair?;
            for item in [&key, &value] {
                if let Err(e) = encode(item, level + 1, out)? {
                    return Ok(Err(e));
                }
            }
        }
    }
    Ok(Ok(()))
}

/// An array or map header: the fix form, 16 bits or 32 bits.
fn container_header(n: u64, codes: [u8; 3], out: &mut Vec<u8>) {
    if n <= 15 {
        out.push(codes[0] | n as u8);
    } else if n <= 0xffff {
        out.push(codes[1]);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(codes[2]);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

/// `mp_encode_bytes`: fix str, str 8, str 16 or str 32.
fn encode_bytes(s: &[u8], out: &mut Vec<u8>) {
    let len = s.len();
    if len < 32 {
        out.push(0xa0 | len as u8);
    } else if len <= 0xff {
        out.extend_from_slice(&[0xd9, len as u8]);
    } else if len <= 0xffff {
        out.push(0xda);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
    out.extend_from_slice(s);
}

/// `mp_encode_lua_number`: an integer when the double is one that fits in 64
/// bits, else a float when float32 holds it exactly, else a double.
fn encode_number(n: f64, out: &mut Vec<u8>) {
    // 2^63 itself does not fit.
    if n.fract() == 0.0 && (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&n)
    {
        encode_int(n as i64, out);
    } else if f64::from(n as f32) == n {
        out.push(0xca);
        out.extend_from_slice(&(n as f32).to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

/// `mp_encode_int`: the smallest form.
fn encode_int(n: i64, out: &mut Vec<u8>) {
    match n {
        0..=127 => out.push(n as u8),
        128..=0xff => out.extend_from_slice(&[0xcc, n as u8]),
        0x100..=0xffff => {
            out.push(0xcd);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        0x1_0000..=0xffff_ffff => {
            out.push(0xce);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        }
        0x1_0000_0000.. => {
            out.push(0xcf);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
        -32..=-1 => out.push(n as i8 as u8),
        -128..=-33 => out.extend_from_slice(&[0xd0, n as i8 as u8]),
        -32768..=-129 => {
            out.push(0xd1);
            out.extend_from_slice(&(n as i16).to_be_bytes());
        }
        -2_147_483_648..=-32769 => {
            out.push(0xd2);
            out.extend_from_slice(&(n as i32).to_be_bytes());
        }
        _ => {
            out.push(0xd3);
            out.extend_from_slice(&n.to_be_bytes());
        }
    }
}

/// `mp_unpack_full`: up to `limit` values from `offset` (both 0: all values,
/// and no offset returned); otherwise the next offset (-1 at the end) first.
fn unpack(lua: &Lua, s: &[u8], limit: i64, offset: i64) -> mlua::Result<LibResult> {
    let len = s.len();
    if offset < 0 || limit < 0 {
        return Ok(Err(format!(
            "Invalid request to unpack with offset of {} and limit of {}.",
            offset as i32, len as i32
        )));
    }
    if offset as u64 > len as u64 {
        return Ok(Err(format!(
            "Start offset {} greater than input length {}.",
            offset as i32, len as i32
        )));
    }
    let all = limit == 0 && offset == 0;
    let limit = if all { i64::MAX } else { limit };
    let mut cursor = Cursor {
        lua,
        data: s,
        pos: offset as usize,
        depth: 0,
    };
    let mut values = Vec::new();
    while cursor.pos < len && (values.len() as i64) < limit {
        if values.len() >= MAX_RESULTS {
            return Ok(Err(
                "too many return values at once; use unpack_one or unpack_limit instead.".into(),
            ));
        }
        match cursor.value()? {
            Ok(value) => values.push(value),
            Err(e) => return Ok(Err(e.into())),
        }
    }
    if !all {
        let next = if cursor.pos >= len {
            -1.0
        } else {
            cursor.pos as f64
        };
        values.insert(0, number(next));
    }
    Ok(Ok(MultiValue::from_vec(values)))
}

/// Reads packed values.
struct Cursor<'a> {
    lua: &'a Lua,
    data: &'a [u8],
    pos: usize,
    depth: usize,
}

const MISSING: &str = "Missing bytes in input.";
const BAD_FORMAT: &str = "Bad data format in input.";

impl Cursor<'_> {
    /// The next `n` bytes, consumed.
    fn take(&mut self, n: usize) -> Result<&[u8], &'static str> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.data.len())
            .ok_or(MISSING)?;
        let bytes = &self.data[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    /// A big-endian unsigned number of `n` bytes.
    fn uint(&mut self, n: usize) -> Result<u64, &'static str> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    /// `mp_decode_to_lua_type`.
    fn value(&mut self) -> mlua::Result<Result<Value, &'static str>> {
        let code = match self.take(1) {
            Ok(b) => b[0],
            Err(e) => return Ok(Err(e)),
        };
        let scalar = match code {
            0x00..=0x7f => Ok(number(f64::from(code))),
            0xe0..=0xff => Ok(number(f64::from(code as i8))),
            0xc0 => Ok(Value::Nil),
            0xc2 => Ok(Value::Boolean(false)),
            0xc3 => Ok(Value::Boolean(true)),
            0xcc => self.uint(1).map(|n| number(n as f64)),
            0xcd => self.uint(2).map(|n| number(n as f64)),
            0xce => self.uint(4).map(|n| number(n as f64)),
            0xcf => self.uint(8).map(|n| number(n as f64)),
            0xd0 => self.uint(1).map(|n| number(f64::from(n as u8 as i8))),
            0xd1 => self.uint(2).map(|n| number(f64::from(n as u16 as i16))),
            0xd2 => self.uint(4).map(|n| number(f64::from(n as u32 as i32))),
            0xd3 => self.uint(8).map(|n| number(n as i64 as f64)),
            0xca => self
                .uint(4)
                .map(|n| number(f64::from(f32::from_bits(n as u32)))),
            0xcb => self.uint(8).map(|n| number(f64::from_bits(n))),
            0xa0..=0xbf => return self.string(usize::from(code & 0x1f)),
            0xd9..=0xdb => {
                let width = 1 << (code - 0xd9);
                return match self.uint(width) {
                    Ok(len) => self.string(len as usize),
                    Err(e) => Ok(Err(e)),
                };
            }
            0x90..=0x9f => return self.container(u64::from(code & 0xf), false),
            0x80..=0x8f => return self.container(u64::from(code & 0xf), true),
            0xdc..=0xdf => {
                let width = if code & 1 == 0 { 2 } else { 4 };
                return match self.uint(width) {
                    Ok(len) => self.container(len, code >= 0xde),
                    Err(e) => Ok(Err(e)),
                };
            }
            _ => Err(BAD_FORMAT),
        };
        Ok(scalar)
    }

    fn string(&mut self, len: usize) -> mlua::Result<Result<Value, &'static str>> {
        let lua = self.lua;
        match self.take(len) {
            Ok(bytes) => Ok(Ok(Value::String(lua.create_string(bytes)?))),
            Err(e) => Ok(Err(e)),
        }
    }

    /// An array (keys 1..n) or a map of `len` entries. Every entry takes at
    /// least one byte, so a bogus length runs out of input before long.
    fn container(&mut self, len: u64, map: bool) -> mlua::Result<Result<Value, &'static str>> {
        if self.depth >= MAX_DECODE_NESTING {
            return Ok(Err(BAD_FORMAT));
        }
        self.depth += 1;
        let table = self.lua.create_table()?;
        for i in 1..=len {
            let key = if map {
                match self.value()? {
                    Ok(key) => key,
                    Err(e) => return Ok(Err(e)),
                }
            } else {
                number(i as f64)
            };
            let value = match self.value()? {
                Ok(value) => value,
                Err(e) => return Ok(Err(e)),
            };
            // lua_settable: a nil key is an error in Lua; lua-cmsgpack would raise it.
            if key.is_nil() || matches!(key, Value::Number(n) if n.is_nan()) {
                return Ok(Err(BAD_FORMAT));
            }
            table.set(key, value)?;
        }
        self.depth -= 1;
        Ok(Ok(Value::Table(table)))
    }
}

#[cfg(test)]
mod tests {
    use mlua::Lua;

    fn eval(code: &str) -> String {
        let lua = Lua::new();
        lua.globals()
            .raw_set("cmsgpack", super::open(&lua).unwrap())
            .unwrap();
        let hex = "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end)) end ";
        match lua.load(format!("{hex}{code}")).eval::<mlua::MultiValue>() {
            Ok(v) => v
                .iter()
                .map(|v| v.to_string().unwrap_or_default())
                .collect::<Vec<_>>()
                .join(" "),
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn encodings() {
        let cases = [
            ("0.1", "cb3fb999999999999a"),
            ("-1099511627776", "d3ffffff0000000000"),
            (
                "1, 127, 128, 255, 256, 65536",
                "017fcc80ccffcd0100ce00010000",
            ),
            ("-1, -32, -33, -129, -32769", "ffe0d0dfd1ff7fd2ffff7fff"),
            ("2^40", "cf0000010000000000"),
            ("0.5", "ca3f000000"),
            ("2^63", "ca5f000000"),
            ("'ab', true, false, nil", "a26162c3c2c0"),
            ("{}", "90"),
            ("{1, 2}", "920102"),
            ("{[2] = 1}", "810201"),
            ("{a = 1}", "81a16101"),
            ("string.rep('x', 40)", &format!("d928{}", "78".repeat(40))),
        ];
        for (args, hex) in cases {
            assert_eq!(
                eval(&format!("return hex(cmsgpack.pack({args}))")),
                hex,
                "{args}"
            );
        }
    }

    #[test]
    fn round_trips_and_offsets() {
        assert_eq!(
            eval("return cmsgpack.unpack(cmsgpack.pack(1, 'a', 0.1, -5))"),
            "1 a 0.1 -5"
        );
        assert_eq!(
            eval("return cmsgpack.unpack(cmsgpack.pack({1, {x = 'y'}}))[2].x"),
            "y"
        );
        assert_eq!(
            eval("return cmsgpack.unpack_one(cmsgpack.pack(7, 8))"),
            "1 7"
        );
        assert_eq!(
            eval("return cmsgpack.unpack_one(cmsgpack.pack(7, 8), 1)"),
            "-1 8"
        );
        assert_eq!(
            eval("return cmsgpack.unpack_limit(cmsgpack.pack(7, 8, 9), 2)"),
            "2 7 8"
        );
        assert_eq!(
            eval("return cmsgpack.unpack_limit(cmsgpack.pack(7, 8), 0, 0)"),
            "7 8"
        );
        assert_eq!(eval("return cmsgpack.unpack('')"), "");
    }

    #[test]
    fn errors_and_bounds() {
        assert!(
            eval("return cmsgpack.pack()")
                .contains("bad argument #0 to 'pack' (MessagePack pack needs input.)")
        );
        assert!(eval("return cmsgpack.unpack('\\146\\1')").contains("Missing bytes in input."));
        assert!(eval("return cmsgpack.unpack('\\193')").contains("Bad data format in input."));
        assert!(
            eval("return cmsgpack.unpack('\\221\\255\\255\\255\\255')")
                .contains("Missing bytes in input.")
        );
        assert!(
            eval("return cmsgpack.unpack(string.rep('\\145', 100000))")
                .contains("Bad data format in input.")
        );
        assert!(
            eval("return cmsgpack.unpack(string.rep('\\1', 100000))")
                .contains("too many return values")
        );
        assert!(
            eval("return cmsgpack.unpack_one('\\1', 5)")
                .contains("Start offset 5 greater than input length 1.")
        );
        assert!(
            eval("return cmsgpack.unpack_one('\\1', -1)")
                .contains("Invalid request to unpack with offset of -1")
        );
        assert!(
            eval("return cmsgpack.unpack({})")
                .contains("bad argument #1 to 'unpack' (string expected, got table)")
        );
        // A circular table packs down to the nesting limit.
        assert_eq!(eval("local t = {} t[1] = t return #cmsgpack.pack(t)"), "17");
    }
}
