//! lua-cjson's configuration and the functions that set it
//! (`cjson.encode_max_depth` and the others), with its argument checks.

use std::cell::Cell;
use std::rc::Rc;

use mlua::{Lua, MultiValue, Table, Value};

use super::{add, arg_error, number, to_number, type_error};

/// lua-cjson's configuration, shared by the functions of one `cjson` table.
#[derive(Clone, Copy)]
pub(super) struct Config {
    pub(super) sparse_convert: bool,
    pub(super) sparse_ratio: i64,
    pub(super) sparse_safe: i64,
    pub(super) encode_max_depth: i64,
    pub(super) decode_max_depth: i64,
    /// 0 refuse NaN and Inf, 1 write them (`nan`, `inf`), 2 write `null`.
    pub(super) encode_invalid_numbers: u8,
    pub(super) precision: usize,
    pub(super) keep_buffer: bool,
    pub(super) decode_invalid_numbers: bool,
}

/// lua-cjson's defaults.
pub(super) const DEFAULTS: Config = Config {
    sparse_convert: false,
    sparse_ratio: 2,
    sparse_safe: 10,
    encode_max_depth: 1000,
    decode_max_depth: 1000,
    encode_invalid_numbers: 0,
    precision: 14,
    keep_buffer: true,
    decode_invalid_numbers: true,
};

/// The configuration the functions of one `cjson` table share.
pub(super) type Shared = Rc<Cell<Config>>;

/// Adds the configuration functions to the `cjson` table `t`.
pub(super) fn add_settings(lua: &Lua, t: &Table, cfg: &Shared) -> mlua::Result<()> {
    let c = cfg.clone();
    add(lua, t, "encode_sparse_array", move |_, args| {
        let name = "encode_sparse_array";
        Ok((|| {
            let mut cfg = config_args(&c, &args, 3, name)?;
            let convert = enum_option(&args, name, &["off", "on"], cfg.sparse_convert as u8)?;
            cfg.sparse_convert = convert == 1;
            cfg.sparse_ratio =
                int_option(&args, 2, name, 0, i64::from(i32::MAX), cfg.sparse_ratio)?;
            cfg.sparse_safe = int_option(&args, 3, name, 0, i64::from(i32::MAX), cfg.sparse_safe)?;
            c.set(cfg);
            Ok(MultiValue::from_vec(vec![
                Value::Boolean(cfg.sparse_convert),
                number(cfg.sparse_ratio as f64),
                number(cfg.sparse_safe as f64),
            ]))
        })())
    })?;
    int_setting(lua, t, cfg, "encode_max_depth", 1, |c| {
        &mut c.encode_max_depth
    })?;
    int_setting(lua, t, cfg, "decode_max_depth", 1, |c| {
        &mut c.decode_max_depth
    })?;
    let c = cfg.clone();
    add(lua, t, "encode_number_precision", move |_, args| {
        let name = "encode_number_precision";
        Ok((|| {
            let mut cfg = config_args(&c, &args, 1, name)?;
            cfg.precision = int_option(&args, 1, name, 1, 14, cfg.precision as i64)? as usize;
            c.set(cfg);
            Ok(one(number(cfg.precision as f64)))
        })())
    })?;
    bool_setting(lua, t, cfg, "encode_keep_buffer", |c| &mut c.keep_buffer)?;
    bool_setting(lua, t, cfg, "decode_invalid_numbers", |c| {
        &mut c.decode_invalid_numbers
    })?;
    let c = cfg.clone();
    add(lua, t, "encode_invalid_numbers", move |lua, args| {
        let name = "encode_invalid_numbers";
        Ok((|| {
            let mut cfg = config_args(&c, &args, 1, name)?;
            let options = ["off", "on", "null"];
            cfg.encode_invalid_numbers =
                enum_option(&args, name, &options, cfg.encode_invalid_numbers)?;
            c.set(cfg);
            Ok(one(match cfg.encode_invalid_numbers {
                n @ (0 | 1) => Value::Boolean(n == 1),
                n => Value::String(
                    lua.create_string(options[usize::from(n)])
                        .map_err(|e| e.to_string())?,
                ),
            }))
        })())
    })?;
    Ok(())
}

/// One result.
pub(super) fn one(value: Value) -> MultiValue {
    MultiValue::from_vec(vec![value])
}

/// `json_arg_init`: at most `max` arguments; the current configuration.
fn config_args(cfg: &Shared, args: &MultiValue, max: usize, name: &str) -> Result<Config, String> {
    if args.len() > max {
        return Err(arg_error(max + 1, name, "found too many arguments"));
    }
    Ok(cfg.get())
}

/// `json_integer_option`: argument `n` if given, checked to be in `min..=max`.
fn int_option(
    args: &MultiValue,
    n: usize,
    name: &str,
    min: i64,
    max: i64,
    current: i64,
) -> Result<i64, String> {
    match args.get(n - 1) {
        None | Some(Value::Nil) => Ok(current),
        Some(v) => {
            let Some(x) = to_number(v) else {
                return Err(type_error(n, name, "number", Some(v)));
            };
            let x = x as i64;
            if x < min || x > max {
                return Err(arg_error(
                    1,
                    name,
                    &format!("expected integer between {min} and {max}"),
                ));
            }
            Ok(x)
        }
    }
}

/// `json_enum_option` for argument 1: a boolean (off/on) or one of `options`.
fn enum_option(args: &MultiValue, name: &str, options: &[&str], current: u8) -> Result<u8, String> {
    match args.front() {
        None | Some(Value::Nil) => Ok(current),
        Some(Value::Boolean(b)) => Ok(u8::from(*b)),
        Some(Value::String(s)) => {
            let s = s.as_bytes();
            options
                .iter()
                .position(|o| o.as_bytes() == &s[..])
                .map(|i| i as u8)
                .ok_or_else(|| {
                    arg_error(
                        1,
                        name,
                        &format!("invalid option '{}'", String::from_utf8_lossy(&s)),
                    )
                })
        }
        Some(Value::Integer(_) | Value::Number(_)) => Err(arg_error(1, name, "invalid option")),
        Some(v) => Err(type_error(1, name, "string", Some(v))),
    }
}

/// Registers an integer setting of one argument (at least `min`).
fn int_setting(
    lua: &Lua,
    t: &Table,
    cfg: &Shared,
    name: &'static str,
    min: i64,
    field: fn(&mut Config) -> &mut i64,
) -> mlua::Result<()> {
    let c = cfg.clone();
    add(lua, t, name, move |_, args| {
        Ok((|| {
            let mut cfg = config_args(&c, &args, 1, name)?;
            let value = int_option(&args, 1, name, min, i64::from(i32::MAX), *field(&mut cfg))?;
            *field(&mut cfg) = value;
            c.set(cfg);
            Ok(one(number(value as f64)))
        })())
    })
}

/// Registers an on/off setting of one argument.
fn bool_setting(
    lua: &Lua,
    t: &Table,
    cfg: &Shared,
    name: &'static str,
    field: fn(&mut Config) -> &mut bool,
) -> mlua::Result<()> {
    let c = cfg.clone();
    add(lua, t, name, move |_, args| {
        Ok((|| {
            let mut cfg = config_args(&c, &args, 1, name)?;
            let value = enum_option(&args, name, &["off", "on"], u8::from(*field(&mut cfg)))? == 1;
            *field(&mut cfg) = value;
            c.set(cfg);
            Ok(one(Value::Boolean(value)))
        })())
    })
}
