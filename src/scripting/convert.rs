//! Conversions between RESP replies and Lua values, with Redis's rules
//! (`redisProtocolToLuaType` and `luaReplyToRedisReply` in script_lua.c).
//!
//! A command run by `redis.call` replies into a scratch buffer; [`frame_to_lua`]
//! turns the decoded [`Frame`] into the Lua value the script sees. A script's
//! return value goes the other way: [`lua_to_frame`], then [`write_frame`] into the
//! caller's reply, which downgrades RESP3 types for RESP2 callers.

use mlua::{Lua, Table, Value};

use crate::protocol::{Frame, Reply};

/// Deepest nesting of tables converted to a reply: a cyclic table must end in an
/// error, not a stack overflow (Redis stops at the Lua C stack limit).
const MAX_REPLY_DEPTH: usize = 200;

/// The Lua value for a command's reply, as the script's RESP version dictates:
/// nulls are `false` under RESP2 and `nil` under RESP3.
pub fn frame_to_lua(lua: &Lua, frame: Frame, resp3: bool) -> mlua::Result<Value> {
    Ok(match frame {
        Frame::Simple(s) => single_field(lua, "ok", Value::String(lua.create_string(s)?))?,
        Frame::Error(s) => {
            let t = lua.create_table_with_capacity(0, 2)?;
            t.raw_set("err", s)?;
            // Counted in INFO errorstats when the command failed: not again if the
            // script returns it (Redis's `ignore_error_stats_update`).
            t.raw_set("ignore_error_stats_update", true)?;
            Value::Table(t)
        }
        Frame::Integer(n) => Value::Number(n as f64),
        Frame::Bulk(b) => Value::String(lua.create_string(b)?),
        Frame::Null if resp3 => Value::Nil,
        Frame::Null => Value::Boolean(false),
        Frame::Array(items) | Frame::Push(items) => {
            let table = lua.create_table_with_capacity(items.len(), 0)?;
            for (i, item) in items.into_iter().enumerate() {
                table.raw_set(i + 1, frame_to_lua(lua, item, resp3)?)?;
            }
            Value::Table(table)
        }
        Frame::Map(pairs) => {
            let map = lua.create_table()?;
            for (k, v) in pairs {
                map.raw_set(frame_to_lua(lua, k, resp3)?, frame_to_lua(lua, v, resp3)?)?;
            }
            single_field(lua, "map", Value::Table(map))?
        }
        Frame::Set(items) => {
            let set = lua.create_table()?;
            for item in items {
                set.raw_set(frame_to_lua(lua, item, resp3)?, true)?;
            }
            single_field(lua, "set", Value::Table(set))?
        }
        Frame::Double(d) => single_field(lua, "double", Value::Number(d))?,
        Frame::Boolean(b) => Value::Boolean(b),
        Frame::BigNumber(s) => {
            single_field(lua, "big_number", Value::String(lua.create_string(s)?))?
        }
        Frame::Verbatim(format, text) => {
            let inner = lua.create_table()?;
            inner.raw_set("format", format)?;
            inner.raw_set("string", lua.create_string(text)?)?;
            single_field(lua, "verbatim_string", Value::Table(inner))?
        }
    })
}

fn single_field(lua: &Lua, name: &str, value: Value) -> mlua::Result<Value> {
    let table = lua.create_table_with_capacity(0, 1)?;
    table.raw_set(name, value)?;
    Ok(Value::Table(table))
}

/// The reply for a script's return value. `resp3` is the script's RESP version
/// (`redis.setresp`), which decides what a boolean becomes.
pub fn lua_to_frame(value: &Value, resp3: bool) -> Frame {
    to_frame(value, resp3, 0)
}

fn to_frame(value: &Value, resp3: bool, depth: usize) -> Frame {
    if depth > MAX_REPLY_DEPTH {
        return Frame::Error("ERR reached lua stack limit".into());
    }
    match value {
        Value::String(s) => Frame::Bulk(s.as_bytes().to_vec()),
        Value::Boolean(b) if resp3 => Frame::Boolean(*b),
        Value::Boolean(true) => Frame::Integer(1),
        Value::Integer(n) => Frame::Integer(*n),
        Value::Number(n) => Frame::Integer(*n as i64),
        Value::Table(t) => table_to_frame(t, resp3, depth),
        _ => Frame::Null,
    }
}

fn table_to_frame(t: &Table, resp3: bool, depth: usize) -> Frame {
    let field = |name: &str| t.raw_get::<Value>(name).unwrap_or(Value::Nil);
    if let Value::String(s) = field("err") {
        return Frame::Error(s.to_string_lossy());
    }
    if let Value::String(s) = field("ok") {
        return Frame::Simple(s.to_string_lossy().replace(['\r', '\n'], " "));
    }
    match field("double") {
        Value::Number(d) => return Frame::Double(d),
        Value::Integer(n) => return Frame::Double(n as f64),
        _ => {}
    }
    if let Value::String(s) = field("big_number") {
        return Frame::BigNumber(s.to_string_lossy().replace(['\r', '\n'], " "));
    }
    if let Value::Table(v) = field("verbatim_string")
        && let (Ok(Value::String(format)), Ok(Value::String(text))) =
            (v.raw_get::<Value>("format"), v.raw_get::<Value>("string"))
    {
        let format: String = format.to_string_lossy().chars().take(3).collect();
        return Frame::Verbatim(format, text.as_bytes().to_vec());
    }
    if let Value::Table(map) = field("map") {
        let pairs = map
            .pairs::<Value, Value>()
            .filter_map(Result::ok)
            .map(|(k, v)| {
                (
                    to_frame(&k, resp3, depth + 1),
                    to_frame(&v, resp3, depth + 1),
                )
            })
            .collect();
        return Frame::Map(pairs);
    }
    if let Value::Table(set) = field("set") {
        let items = set
            .pairs::<Value, Value>()
            .filter_map(Result::ok)
            .map(|(k, _)| to_frame(&k, resp3, depth + 1))
            .collect();
        return Frame::Set(items);
    }
    // An array: elements 1, 2, ... up to the first nil.
    let mut items = Vec::new();
    for i in 1.. {
        match t.raw_get::<Value>(i) {
            Ok(Value::Nil) | Err(_) => break,
            Ok(v) => items.push(to_frame(&v, resp3, depth + 1)),
        }
    }
    Frame::Array(items)
}

/// Writes `frame` as a reply; RESP3-only types are downgraded for RESP2 clients.
pub fn write_frame(out: &mut Reply<'_>, frame: &Frame) {
    match frame {
        Frame::Simple(s) => out.simple(s.as_bytes()),
        Frame::Error(s) => out.error(s),
        Frame::Integer(n) => out.int(*n),
        Frame::Bulk(b) => out.bulk(b),
        Frame::Null => out.null(),
        Frame::Array(items) | Frame::Push(items) => {
            out.array_len(items.len());
            items.iter().for_each(|f| write_frame(out, f));
        }
        Frame::Map(pairs) => {
            out.map_len(pairs.len());
            for (k, v) in pairs {
                write_frame(out, k);
                write_frame(out, v);
            }
        }
        Frame::Set(items) => {
            out.set_len(items.len());
            items.iter().for_each(|f| write_frame(out, f));
        }
        Frame::Double(d) => out.double(*d),
        Frame::Boolean(b) => out.bool(*b),
        Frame::BigNumber(s) if out.is_resp3() => {
            out.raw(b"(");
            out.raw(s.as_bytes());
            out.raw(b"\r\n");
        }
        Frame::BigNumber(s) => out.bulk(s.as_bytes()),
        Frame::Verbatim(format, text) if out.is_resp3() => {
            let mut body = Vec::with_capacity(text.len() + 4);
            body.extend_from_slice(format.as_bytes());
            body.push(b':');
            body.extend_from_slice(text);
            out.raw(format!("={}\r\n", body.len()).as_bytes());
            out.raw(&body);
            out.raw(b"\r\n");
        }
        Frame::Verbatim(_, text) => out.bulk(text),
    }
}
