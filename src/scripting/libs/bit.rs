//! `bit`: LuaBitOp 1.0 (Redis's deps/lua/src/lua_bit.c). Every argument is
//! reduced to 32 bits as LuaBitOp does (rounded, modulo 2^32) and every result
//! is a signed 32-bit number.

use mlua::{Lua, MultiValue, Table, Value};

use super::{LibResult, add, number, to_number, type_error};

/// `barg`: argument `n` (1-based) of `function` as 32 bits. LuaBitOp adds
/// 2^52 + 2^51 to the double and keeps the low word of its bits: rounding to
/// the nearest integer and wrapping modulo 2^32.
fn arg(args: &MultiValue, n: usize, function: &str) -> Result<u32, String> {
    let value = args.get(n - 1);
    let x = value.and_then(to_number);
    let bits = (x.unwrap_or(0.0) + 6_755_399_441_055_744.0).to_bits() as u32;
    if bits == 0 && x.is_none() {
        return Err(type_error(n, function, "number", value));
    }
    Ok(bits)
}

/// The reply of every function: the bits as a signed number.
fn ret(bits: u32) -> LibResult {
    Ok(MultiValue::from_vec(vec![number(f64::from(bits as i32))]))
}

/// A function of one argument.
fn unary(
    name: &'static str,
    op: fn(u32) -> u32,
) -> impl Fn(&Lua, MultiValue) -> mlua::Result<LibResult> {
    move |_, args| Ok(arg(&args, 1, name).and_then(|b| ret(op(b))))
}

/// `band`, `bor`, `bxor`: the first argument folded with the others.
fn fold(
    name: &'static str,
    op: fn(u32, u32) -> u32,
) -> impl Fn(&Lua, MultiValue) -> mlua::Result<LibResult> {
    move |_, args| {
        Ok((|| {
            let mut bits = arg(&args, 1, name)?;
            for i in (2..=args.len()).rev() {
                bits = op(bits, arg(&args, i, name)?);
            }
            ret(bits)
        })())
    }
}

/// The shifts and rotations: the count is taken modulo 32.
fn shift(
    name: &'static str,
    op: fn(u32, u32) -> u32,
) -> impl Fn(&Lua, MultiValue) -> mlua::Result<LibResult> {
    move |_, args| {
        Ok((|| {
            let bits = arg(&args, 1, name)?;
            let count = arg(&args, 2, name)? & 31;
            ret(op(bits, count))
        })())
    }
}

/// `bit.tohex(x [, n])`: the low `|n|` hex digits (at most 8, default 8),
/// upper case when `n` is negative.
fn tohex(lua: &Lua, args: MultiValue) -> mlua::Result<LibResult> {
    let parsed = (|| {
        let bits = arg(&args, 1, "tohex")?;
        let n = if args.len() < 2 {
            8
        } else {
            arg(&args, 2, "tohex")? as i32
        };
        Ok((bits, n))
    })();
    let (mut bits, n) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => return Ok(Err(e)),
    };
    let digits: &[u8; 16] = if n < 0 {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let len = n.unsigned_abs().min(8) as usize;
    let mut buf = [0u8; 8];
    for slot in buf[..len].iter_mut().rev() {
        *slot = digits[(bits & 15) as usize];
        bits >>= 4;
    }
    Ok(Ok(MultiValue::from_vec(vec![Value::String(
        lua.create_string(&buf[..len])?,
    )])))
}

/// The `bit` table.
pub fn open(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    add(lua, &t, "tobit", unary("tobit", |b| b))?;
    add(lua, &t, "bnot", unary("bnot", |b| !b))?;
    add(lua, &t, "bswap", unary("bswap", u32::swap_bytes))?;
    add(lua, &t, "band", fold("band", |a, b| a & b))?;
    add(lua, &t, "bor", fold("bor", |a, b| a | b))?;
    add(lua, &t, "bxor", fold("bxor", |a, b| a ^ b))?;
    add(lua, &t, "lshift", shift("lshift", |b, n| b << n))?;
    add(lua, &t, "rshift", shift("rshift", |b, n| b >> n))?;
    add(
        lua,
        &t,
        "arshift",
        shift("arshift", |b, n| ((b as i32) >> n) as u32),
    )?;
    add(lua, &t, "rol", shift("rol", u32::rotate_left))?;
    add(lua, &t, "ror", shift("ror", u32::rotate_right))?;
    add(lua, &t, "tohex", tohex)?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    use mlua::Lua;

    fn eval(code: &str) -> String {
        let lua = Lua::new();
        lua.globals()
            .raw_set("bit", super::open(&lua).unwrap())
            .unwrap();
        match lua.load(code).eval::<mlua::Value>() {
            Ok(v) => v.to_string().unwrap_or_default(),
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn luabitop_semantics() {
        assert_eq!(eval("return bit.tobit(0xffffffff)"), "-1");
        assert_eq!(eval("return bit.tobit(0xffffffff + 1)"), "0");
        assert_eq!(eval("return bit.tobit(2^40 + 1234)"), "1234");
        assert_eq!(eval("return bit.tobit(1.5)"), "2");
        assert_eq!(eval("return bit.tobit(2.5)"), "2");
        assert_eq!(eval("return bit.tobit(-1.5)"), "-2");
        assert_eq!(eval("return bit.tobit('12')"), "12");
        assert_eq!(eval("return bit.bnot(0)"), "-1");
        assert_eq!(eval("return bit.bor(1, 2, 4, 8, 16, 32, 64, 128)"), "255");
        assert_eq!(eval("return bit.band(0x12345678, 0xff)"), "120");
        assert_eq!(eval("return bit.bxor(1, 2)"), "3");
        assert_eq!(eval("return bit.band(1)"), "1");
        assert_eq!(eval("return bit.lshift(1, 31)"), "-2147483648");
        assert_eq!(eval("return bit.lshift(1, 32)"), "1");
        assert_eq!(eval("return bit.rshift(-1, 28)"), "15");
        assert_eq!(eval("return bit.arshift(-256, 4)"), "-16");
        assert_eq!(eval("return bit.rol(0x12345678, 12)"), "1164411171");
        assert_eq!(eval("return bit.ror(0x12345678, 12)"), "1736516421");
        assert_eq!(eval("return bit.bswap(0x12345678)"), "2018915346");
        assert_eq!(eval("return bit.tohex(1)"), "00000001");
        assert_eq!(eval("return bit.tohex(-1, -4)"), "FFFF");
        assert_eq!(eval("return bit.tohex(0x12345678, 20)"), "12345678");
        assert_eq!(eval("return bit.tohex(255, 0)"), "");
    }

    #[test]
    fn argument_errors() {
        let e = eval("return bit.band(1, nil)");
        assert!(
            e.contains("bad argument #2 to 'band' (number expected, got nil)"),
            "{e}"
        );
        let e = eval("return bit.tobit()");
        assert!(
            e.contains("bad argument #1 to 'tobit' (number expected, got no value)"),
            "{e}"
        );
        let e = eval("return bit.tohex(1, {})");
        assert!(e.contains("(number expected, got table)"), "{e}");
    }
}
