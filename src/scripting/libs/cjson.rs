//! `cjson`: lua-cjson 2.1 as Redis bundles it (deps/lua/src/lua_cjson.c), with
//! its defaults, its configuration functions and its error texts.

use std::cell::Cell;
use std::rc::Rc;

use mlua::{Function, Lua, Table, Value};

use super::cjson_config::{Config, DEFAULTS, Shared, add_settings, one};
use super::{MAX_OUTPUT, add, arg_error, to_number, type_error, type_name};

/// Nesting the encoder and decoder never pass whatever a script configures:
/// lua-cjson's Lua-stack check stops it near there, and it bounds the Rust
/// recursion (and the Lua references held per level).
const HARD_MAX_DEPTH: i64 = 1000;

/// The `cjson` table.
pub fn open(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    let cfg: Shared = Rc::new(Cell::new(DEFAULTS));
    let c = cfg.clone();
    let next: Function = lua.globals().raw_get("next")?;
    add(lua, &t, "encode", move |lua, args| {
        if args.len() != 1 {
            return Ok(Err(arg_error(1, "encode", "expected 1 argument")));
        }
        let mut out = Vec::new();
        let value = args.front().cloned().unwrap_or(Value::Nil);
        Ok(match encode(&c.get(), &next, value, &mut out)? {
            Ok(()) => Ok(one(Value::String(lua.create_string(&out)?))),
            Err(e) => Err(e),
        })
    })?;
    let c = cfg.clone();
    add(lua, &t, "decode", move |lua, args| {
        if args.len() != 1 {
            return Ok(Err(arg_error(1, "decode", "expected 1 argument")));
        }
        let text = match args.front() {
            Some(Value::String(s)) => s.as_bytes().to_vec(),
            Some(v @ (Value::Integer(_) | Value::Number(_))) => {
                v.to_string().unwrap_or_default().into_bytes()
            }
            other => return Ok(Err(type_error(1, "decode", "string", other))),
        };
        let mut parser = super::cjson_decode::Parser::new(
            lua,
            &text,
            c.get().decode_max_depth.min(HARD_MAX_DEPTH),
            c.get().decode_invalid_numbers,
        );
        Ok(parser.parse()?.map(one))
    })?;
    add_settings(lua, &t, &cfg)?;
    t.raw_set("null", Value::NULL)?;
    t.raw_set("_NAME", "cjson")?;
    t.raw_set("_VERSION", "2.1.0")?;
    Ok(t)
}

/// An open container of the encoder.
enum Open {
    /// An array and its next index.
    Array { t: Table, next: i64, len: i64 },
    /// An object and the key `next` continues from (nil: none written yet).
    Object { t: Table, key: Value },
}

/// `json_append_data`, with an explicit stack of open tables: appends `value`.
/// `next` is Lua's `next`. The outer `Err` is a Lua failure, the inner one
/// the error to raise.
fn encode(
    cfg: &Config,
    next: &Function,
    value: Value,
    out: &mut Vec<u8>,
) -> mlua::Result<Result<(), String>> {
    let mut open: Vec<Open> = Vec::new();
    let mut pending = Some(value);
    loop {
        if out.len() > MAX_OUTPUT {
            return Ok(Err("Cannot serialise: the encoded text is too large".into()));
        }
        if let Some(value) = pending.take() {
            let written = match value {
                Value::Table(t) => {
                    let depth = open.len() as i64 + 1;
                    if depth > cfg.encode_max_depth || depth > HARD_MAX_DEPTH {
                        return Ok(Err(format!(
                            "Cannot serialise, excessive nesting ({depth})"
                        )));
                    }
                    match array_length(cfg, &t)? {
                        Ok(len) if len > 0 => {
                            out.push(b'[');
                            open.push(Open::Array { t, next: 1, len });
                        }
                        Ok(_) => {
                            out.push(b'{');
                            open.push(Open::Object { t, key: Value::Nil });
                        }
                        Err(e) => return Ok(Err(e)),
                    }
                    Ok(())
                }
                scalar => append_scalar(cfg, &scalar, out),
            };
            if let Err(e) = written {
                return Ok(Err(e));
            }
        }
        let Some(top) = open.last_mut() else {
            return Ok(Ok(()));
        };
        match top {
            Open::Array { t, next, len } => {
                if *next > *len {
                    out.push(b']');
                    open.pop();
                    continue;
                }
                if *next > 1 {
                    out.push(b',');
                }
                pending = Some(t.raw_get(*next)?);
                *next += 1;
            }
            Open::Object { t, key } => {
                let (k, v): (Value, Value) = next.call((t.clone(), key.clone()))?;
                if k.is_nil() {
                    out.push(b'}');
                    open.pop();
                    continue;
                }
                if !key.is_nil() {
                    out.push(b',');
                }
                if let Err(e) = append_key(cfg, &k, out) {
                    return Ok(Err(e));
                }
                *key = k;
                pending = Some(v);
            }
        }
    }
}

/// A value that is not a table.
fn append_scalar(cfg: &Config, value: &Value, out: &mut Vec<u8>) -> Result<(), String> {
    match value {
        Value::String(s) => append_string(out, &s.as_bytes()),
        Value::Integer(_) | Value::Number(_) => append_number(cfg, value, out)?,
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Nil => out.extend_from_slice(b"null"),
        Value::LightUserData(p) if p.0.is_null() => out.extend_from_slice(b"null"),
        other => {
            return Err(format!(
                "Cannot serialise {}: type not supported",
                type_name(other)
            ));
        }
    }
    Ok(())
}

/// An object's key and its colon.
fn append_key(cfg: &Config, key: &Value, out: &mut Vec<u8>) -> Result<(), String> {
    match key {
        Value::Integer(_) | Value::Number(_) => {
            out.push(b'"');
            append_number(cfg, key, out)?;
            out.extend_from_slice(b"\":");
        }
        Value::String(s) => {
            append_string(out, &s.as_bytes());
            out.push(b':');
        }
        other => {
            return Err(format!(
                "Cannot serialise {}: table key must be a number or string",
                type_name(other)
            ));
        }
    }
    Ok(())
}

/// `lua_array_length`: the array's length, 0 when the table is no array (or
/// empty), or the "excessively sparse" error.
fn array_length(cfg: &Config, t: &Table) -> mlua::Result<Result<i64, String>> {
    let (mut max, mut items, mut array) = (0i64, 0i64, true);
    for pair in t.pairs::<Value, Value>() {
        let (key, _) = pair?;
        let k = match key {
            Value::Integer(n) => n as f64,
            Value::Number(n) => n,
            _ => f64::NAN,
        };
        // Beyond i32 lua-cjson's length overflows: such a table is no array.
        if k.floor() == k && k >= 1.0 && k <= f64::from(i32::MAX) {
            max = max.max(k as i64);
            items += 1;
        } else {
            array = false;
            break;
        }
    }
    if !array {
        return Ok(Ok(0));
    }
    if cfg.sparse_ratio > 0 && max > items * cfg.sparse_ratio && max > cfg.sparse_safe {
        if !cfg.sparse_convert {
            return Ok(Err(
                "Cannot serialise table: excessively sparse array".into()
            ));
        }
        return Ok(Ok(0));
    }
    Ok(Ok(max))
}

/// `json_append_string`: quoted, with lua-cjson's escapes (`/` and DEL too).
fn append_string(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &b in s {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            b'\x08' => out.extend_from_slice(b"\\b"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\x0c' => out.extend_from_slice(b"\\f"),
            b'\r' => out.extend_from_slice(b"\\r"),
            0..=0x1f | 0x7f => out.extend_from_slice(format!("\\u{b:04x}").as_bytes()),
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

/// `json_append_number`: `%.14g` (the configured precision), with NaN and Inf
/// as `encode_invalid_numbers` says.
fn append_number(cfg: &Config, value: &Value, out: &mut Vec<u8>) -> Result<(), String> {
    let n = to_number(value).unwrap_or(0.0);
    if !n.is_finite() {
        match cfg.encode_invalid_numbers {
            0 => return Err("Cannot serialise number: must not be NaN or Inf".into()),
            1 if n.is_nan() => {
                out.extend_from_slice(b"nan");
                return Ok(());
            }
            1 => {}
            _ => {
                out.extend_from_slice(b"null");
                return Ok(());
            }
        }
    }
    out.extend_from_slice(format_g(n, cfg.precision).as_bytes());
    Ok(())
}

/// C's `%.{precision}g`.
pub(super) fn format_g(n: f64, precision: usize) -> String {
    if n.is_nan() {
        return if n.is_sign_negative() { "-nan" } else { "nan" }.into();
    }
    if n.is_infinite() {
        return if n < 0.0 { "-inf" } else { "inf" }.into();
    }
    let p = precision.max(1);
    if n == 0.0 {
        return if n.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let sci = format!("{:.*e}", p - 1, n);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i64 = exp.parse().unwrap_or(0);
    if exp < -4 || exp >= p as i64 {
        let mantissa = trim_zeros(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.unsigned_abs())
    } else {
        let decimals = (p as i64 - 1 - exp).max(0) as usize;
        trim_zeros(&format!("{n:.decimals$}")).to_string()
    }
}

/// `%g` drops trailing zeros of the fraction, and the point with them.
fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::format_g;
    use mlua::Lua;

    fn eval(code: &str) -> String {
        let lua = Lua::new();
        let t = super::open(&lua).unwrap();
        lua.globals().raw_set("cjson", t).unwrap();
        match lua.load(code).eval::<mlua::Value>() {
            Ok(v) => v.to_string().unwrap_or_default(),
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn g_format() {
        assert_eq!(format_g(0.1, 14), "0.1");
        assert_eq!(format_g(100.0, 14), "100");
        assert_eq!(format_g(-5000.0, 14), "-5000");
        assert_eq!(format_g(0.0003, 14), "0.0003");
        assert_eq!(format_g(0.00003, 14), "3e-05");
        assert_eq!(format_g(1e14, 14), "1e+14");
        assert_eq!(format_g(12345678901234.0, 14), "12345678901234");
        assert_eq!(format_g(123456789012345.0, 14), "1.2345678901234e+14");
        assert_eq!(format_g(1.0 / 3.0, 14), "0.33333333333333");
        assert_eq!(format_g(2f64.powi(70), 14), "1.1805916207174e+21");
        assert_eq!(format_g(1e-300, 3), "1e-300");
        assert_eq!(format_g(-0.0, 14), "-0");
        assert_eq!(format_g(f64::INFINITY, 14), "inf");
    }

    #[test]
    fn encode() {
        assert_eq!(eval("return cjson.encode({1, 2, 3})"), "[1,2,3]");
        assert_eq!(eval("return cjson.encode({})"), "{}");
        assert_eq!(eval("return cjson.encode({a = {}})"), r#"{"a":{}}"#);
        assert_eq!(
            eval("return cjson.encode('a/b\"\\\\\\n\\1\\127é')"),
            r#""a\/b\"\\\n\u0001\u007fé""#
        );
        assert_eq!(
            eval("return cjson.encode({[1] = 'x', [3] = 'y'})"),
            r#"["x",null,"y"]"#
        );
        assert_eq!(eval("return cjson.encode({[2.5] = 1})"), r#"{"2.5":1}"#);
        assert_eq!(eval("return cjson.encode(cjson.null)"), "null");
        assert_eq!(
            eval("return cjson.encode({true, false, 0.1, -1e300})"),
            "[true,false,0.1,-1e+300]"
        );
        assert_eq!(eval("return cjson.encode(nil)"), "null");
        assert!(
            eval("return cjson.encode({[20] = 1})")
                .contains("Cannot serialise table: excessively sparse array")
        );
        assert_eq!(
            eval("cjson.encode_sparse_array(true) return cjson.encode({[20] = 1})"),
            r#"{"20":1}"#
        );
        assert!(
            eval("return cjson.encode({[false] = 1})")
                .contains("Cannot serialise boolean: table key must be a number or string")
        );
        assert!(
            eval("return cjson.encode(print)")
                .contains("Cannot serialise function: type not supported")
        );
        assert!(
            eval("return cjson.encode(0/0)")
                .contains("Cannot serialise number: must not be NaN or Inf")
        );
        assert_eq!(
            eval("cjson.encode_invalid_numbers(true) return cjson.encode({1/0, 0/0})"),
            "[inf,nan]"
        );
        assert_eq!(
            eval("cjson.encode_invalid_numbers('null') return cjson.encode({1/0})"),
            "[null]"
        );
        assert!(
            eval("return cjson.encode()")
                .contains("bad argument #1 to 'encode' (expected 1 argument)")
        );
        assert_eq!(
            eval("cjson.encode_number_precision(3) return cjson.encode(3.14159)"),
            "3.14"
        );
    }

    #[test]
    fn nesting_is_bounded() {
        let e = eval("local t = {} t[1] = t return cjson.encode(t)");
        assert!(
            e.contains("Cannot serialise, excessive nesting (1001)"),
            "{e}"
        );
        let e =
            eval("cjson.encode_max_depth(2147483647) local t = {} t[1] = t return cjson.encode(t)");
        assert!(e.contains("excessive nesting (1001)"), "{e}");
        let e = eval("cjson.encode_max_depth(1) return cjson.encode({{}})");
        assert!(e.contains("excessive nesting (2)"), "{e}");
        let e = eval("return cjson.decode(string.rep('[', 100000))");
        assert!(
            e.contains("Found too many nested data structures (1001) at character 1001"),
            "{e}"
        );
        let e = eval(
            "cjson.decode_max_depth(1) return cjson.decode('{\"obj\": {\"array\": [1,2,3,4]}}')",
        );
        assert!(
            e.contains("Found too many nested data structures (2) at character 9"),
            "{e}"
        );
        assert_eq!(
            eval("return #cjson.decode(string.rep('[', 1000) .. string.rep(']', 1000))"),
            "1"
        );
    }

    #[test]
    fn decode() {
        assert_eq!(
            eval("return table.concat(cjson.decode('[0.0, -5e3, -1, 0.3e-3, 1023.2, 0e10]'), ' ')"),
            "0 -5000 -1 0.0003 1023.2 0"
        );
        assert_eq!(
            eval(
                "local t = cjson.decode('{\"keya\": \"a\", \"keyb\": \"b\"}') return t.keya .. t.keyb"
            ),
            "ab"
        );
        assert_eq!(
            eval("return cjson.decode('[null]')[1] == cjson.null"),
            "true"
        );
        assert_eq!(
            eval("return cjson.decode(' \"\\\\u00e9\\\\ud83d\\\\ude00\\\\/\\\\n\" ')"),
            "é😀/\n"
        );
        assert_eq!(eval("return cjson.decode('true')"), "true");
        assert_eq!(
            eval("return cjson.decode('0x10') + cjson.decode('01')"),
            "17"
        );
        assert_eq!(eval("return cjson.decode('-Infinity')"), "-inf");
        assert_eq!(eval("return cjson.decode(12)"), "12");
        assert_eq!(eval("return cjson.decode('12\\0garbage')"), "12");
        let err = |json: &str| eval(&format!("return cjson.decode('{json}')"));
        assert!(err("").contains("Expected value but found T_END at character 1"));
        assert!(err("[1,]").contains("Expected value but found T_ARR_END at character 4"));
        assert!(
            err("{1:2}").contains("Expected object key string but found T_NUMBER at character 2")
        );
        assert!(err("{\"a\" 2}").contains("Expected colon but found T_NUMBER at character 6"));
        assert!(
            err("[1 2]").contains("Expected comma or array end but found T_NUMBER at character 4")
        );
        assert!(err("{\"a\":1 2}").contains("Expected comma or object end but found T_NUMBER"));
        assert!(err("[1] x").contains("Expected the end but found invalid token at character 5"));
        assert!(
            err("\"abc")
                .contains("Expected value but found unexpected end of string at character 5")
        );
        assert!(err("\"\\\\x\"").contains("invalid escape code at character 2"));
        assert!(err("\"\\\\ud800\"").contains("invalid unicode escape code at character 2"));
        assert!(err("-").contains("Expected value but found invalid number at character 1"));
        assert!(err("nul").contains("invalid token at character 1"));
        assert!(
            eval("return cjson.decode('\\0\\0')")
                .contains("JSON parser does not support UTF-16 or UTF-32")
        );
        assert!(
            eval("return cjson.decode({})")
                .contains("bad argument #1 to 'decode' (string expected, got table)")
        );
        assert!(
            eval("cjson.decode_invalid_numbers(false) return cjson.decode('01')")
                .contains("invalid number at character 1")
        );
    }

    #[test]
    fn round_trip_and_settings() {
        assert_eq!(
            eval(
                "local t = cjson.decode(cjson.encode({a = {1, 'x', {b = false}}})) return t.a[3].b == false and t.a[2]"
            ),
            "x"
        );
        assert_eq!(eval("return cjson.encode_keep_buffer(false)"), "false");
        assert_eq!(eval("return cjson.encode_max_depth()"), "1000");
        assert!(eval("return cjson.encode_max_depth(0)").contains(
            "bad argument #1 to 'encode_max_depth' (expected integer between 1 and 2147483647)"
        ));
        assert!(
            eval("return cjson.encode_max_depth(1, 2)")
                .contains("bad argument #2 to 'encode_max_depth' (found too many arguments)")
        );
        assert!(
            eval("return cjson.encode_keep_buffer('maybe')").contains("invalid option 'maybe'")
        );
        assert_eq!(eval("return select('#', cjson.encode_sparse_array())"), "3");
    }
}
