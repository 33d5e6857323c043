//! The Lua libraries Redis bundles for scripts, written in Rust: `cjson`
//! (lua-cjson 2.1), `bit` (LuaBitOp) and `cmsgpack` (lua-cmsgpack). [`open`]
//! registers them as globals; the prelude then makes them read-only.

mod bit;
mod cjson;
mod cjson_config;
mod cjson_decode;
mod cmsgpack;

use std::ffi::c_int;

use mlua::{Function, Lua, MultiValue, Table, Value, ffi};

/// Sets the globals `cjson`, `bit` and `cmsgpack`.
pub fn open(lua: &Lua) -> mlua::Result<()> {
    let globals = lua.globals();
    globals.raw_set("cjson", cjson::open(lua)?)?;
    globals.raw_set("bit", bit::open(lua)?)?;
    globals.raw_set("cmsgpack", cmsgpack::open(lua)?)?;
    Ok(())
}

/// Largest text `cjson.encode` or `cmsgpack.pack` builds: a table that refers
/// to itself several times would otherwise grow exponentially (Redis's
/// proto-max-bulk-len).
const MAX_OUTPUT: usize = 512 * 1024 * 1024;

/// What a library function returns: its results, or the text of the Lua error
/// it raises.
type LibResult = Result<MultiValue, String>;

/// Adds `f` to `table` under `name`, wrapped so that `Err(text)` raises `text`.
fn add(
    lua: &Lua,
    table: &Table,
    name: &str,
    f: impl Fn(&Lua, MultiValue) -> mlua::Result<LibResult> + 'static,
) -> mlua::Result<()> {
    let raw = lua.create_function(move |lua, args: MultiValue| {
        Ok(match f(lua, args)? {
            Ok(mut values) => {
                values.push_front(Value::Boolean(true));
                values
            }
            Err(text) => MultiValue::from_vec(vec![
                Value::Boolean(false),
                Value::String(lua.create_string(text)?),
            ]),
        })
    })?;
    table.raw_set(name, raising(lua, raw)?)
}

/// `f` as a C function that raises: `f` returns a flag then its results; when the
/// flag is false, the value after it is raised as the Lua error (a string, or
/// `redis.call`'s error table). See [`raise_on_failure`].
pub(super) fn raising(lua: &Lua, f: Function) -> mlua::Result<Function> {
    // SAFETY: the closure consumes the one value exec_raw pushed (the function,
    // its upvalue) and leaves the closure, the one result.
    unsafe { lua.exec_raw(f, |state| ffi::lua_pushcclosure(state, raise_on_failure, 1)) }
}

/// What every library function is to Lua: a C function that calls its Rust
/// implementation (upvalue 1) and returns its results after the leading flag,
/// or, when the flag is false, raises the value after it: a plain string, as a C
/// library's `luaL_error` does (an error returned to mlua would carry a Rust
/// traceback), or an error table. Being a C function, it keeps the script's frame when the
/// script tail-calls it, so the error names the script's line.
unsafe extern "C-unwind" fn raise_on_failure(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: called by Lua as a C closure with one upvalue; the stack holds the
    // arguments, then the flag and the results of the call.
    unsafe {
        let nargs = ffi::lua_gettop(state);
        ffi::lua_pushvalue(state, ffi::lua_upvalueindex(1));
        ffi::lua_insert(state, 1);
        ffi::lua_call(state, nargs, ffi::LUA_MULTRET);
        let nresults = ffi::lua_gettop(state);
        if nresults >= 2 && ffi::lua_toboolean(state, 1) == 0 {
            ffi::lua_settop(state, 2);
            ffi::lua_error(state);
        }
        (nresults - 1).max(0)
    }
}

/// `luaL_argerror`'s text.
fn arg_error(n: usize, function: &str, message: &str) -> String {
    format!("bad argument #{n} to '{function}' ({message})")
}

/// `luaL_typerror`'s text for argument `n` (`None`: absent).
fn type_error(n: usize, function: &str, expected: &str, got: Option<&Value>) -> String {
    let got = got.map_or("no value", type_name);
    arg_error(n, function, &format!("{expected} expected, got {got}"))
}

/// Lua's name for the type of `value`.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Nil => "nil",
        Value::Boolean(_) => "boolean",
        Value::LightUserData(_) => "userdata",
        Value::Integer(_) | Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Table(_) => "table",
        Value::Function(_) => "function",
        Value::Thread(_) => "thread",
        _ => "userdata",
    }
}

/// `lua_tonumber`: numbers, and strings that hold one.
fn to_number(value: &Value) -> Option<f64> {
    match value {
        Value::Integer(n) => Some(*n as f64),
        Value::Number(n) => Some(*n),
        Value::String(s) => {
            let bytes = s.as_bytes();
            let text = std::str::from_utf8(&bytes).ok()?.trim_ascii();
            let (negative, digits) = match text.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, text),
            };
            let hex = digits
                .strip_prefix("0x")
                .or_else(|| digits.strip_prefix("0X"));
            match hex {
                Some(hex) => {
                    let n = u64::from_str_radix(hex, 16).ok()? as f64;
                    Some(if negative { -n } else { n })
                }
                None if text
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b)) =>
                {
                    text.parse().ok()
                }
                None => None,
            }
        }
        _ => None,
    }
}

/// A number as Lua holds it.
fn number(n: f64) -> Value {
    Value::Number(n)
}
