//! The Lua libraries scripts get (`cjson`, `bit`, `cmsgpack`) end to end, with
//! the values of Redis's own tests (tests/unit/scripting.tcl).
mod common;

use common::*;
use rudis::protocol::Frame;

/// Runs `script` with no keys.
fn eval(c: &mut Raw, script: &str) -> Frame {
    c.cmd(&["EVAL", script, "0"])
}

/// The text of an error frame (panics on anything else).
fn err_text(frame: &Frame) -> String {
    match frame {
        Frame::Error(e) => e.clone(),
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn json_numbers_and_strings_decode() {
    let server = start_server();
    let mut c = server.raw();
    let script =
        "return table.concat(cjson.decode(\"[0.0, -5e3, -1, 0.3e-3, 1023.2, 0e10]\"), \" \")";
    assert_eq!(eval(&mut c, script), bulk("0 -5000 -1 0.0003 1023.2 0"));
    let script = "local decoded = cjson.decode('{\"keya\": \"a\", \"keyb\": \"b\"}')
        return {decoded.keya, decoded.keyb}";
    assert_eq!(
        eval(&mut c, script),
        Frame::Array(vec![bulk("a"), bulk("b")])
    );
    let script = "return cjson.decode('[1, null]')[2] == cjson.null";
    assert_eq!(eval(&mut c, script), int(1));
}

#[test]
fn json_encodes_as_lua_cjson() {
    let server = start_server();
    let mut c = server.raw();
    let cases = [
        (
            "return cjson.encode({1, 'two', {a = 0.1}})",
            r#"[1,"two",{"a":0.1}]"#,
        ),
        ("return cjson.encode({})", "{}"),
        (
            "return cjson.encode({1/3, 1e20, cjson.null})",
            "[0.33333333333333,1e+20,null]",
        ),
        ("return cjson.encode('</\"\\n')", r#""<\/\"\n""#),
        (
            "return cjson.encode({[1] = 'a', [3] = 'c'})",
            r#"["a",null,"c"]"#,
        ),
    ];
    for (script, json) in cases {
        assert_eq!(eval(&mut c, script), bulk(json), "{script}");
    }
}

/// Redis's "JSON smoke test": round trips, settings, and the failures it checks.
#[test]
fn json_smoke_test() {
    let server = start_server();
    let mut c = server.raw();
    let script = r#"
        local some_map = {s1="Some string", n1=100, a1={"Some","String","Array"}, nil1=nil, b1=true, b2=false}
        local encoded = cjson.encode(some_map)
        local decoded = cjson.decode(encoded)
        assert(table.concat(some_map) == table.concat(decoded))
        cjson.encode_keep_buffer(false)
        local table1 = {one="one", [1]="one"}
        decoded = cjson.decode(cjson.encode(table1))
        assert(decoded["one"] == table1["one"])
        assert(decoded["1"] == table1[1])
        local invalid_map = {}
        invalid_map[false] = "false"
        local ok = pcall(cjson.encode, invalid_map)
        assert(ok == false)
        cjson.encode_max_depth(1)
        ok = pcall(cjson.encode, some_map)
        assert(ok == false)
        cjson.decode_max_depth(1)
        ok = pcall(cjson.decode, '{"obj": {"array": [1,2,3,4]}}')
        assert(ok == false)
        ok = pcall(cjson.encode, {num1=0/0})
        assert(ok == false)
        cjson.encode_invalid_numbers(true)
        ok = pcall(cjson.encode, {num1=0/0})
        assert(ok == true)
        cjson.decode_max_depth(1000)
        cjson.encode_max_depth(1000)
        cjson.encode_invalid_numbers(false)
        return 'ok'
    "#;
    assert_eq!(eval(&mut c, script), bulk("ok"));
}

#[test]
fn json_errors_reach_the_client_as_redis_words_them() {
    let server = start_server();
    let mut c = server.raw();
    let e = err_text(&eval(&mut c, "return cjson.decode('[1,]')"));
    assert!(
        e.starts_with("ERR Expected value but found T_ARR_END at character 4 script: "),
        "{e}"
    );
    assert!(e.ends_with(", on @user_script:1."), "{e}");
    let e = err_text(&eval(
        &mut c,
        "local t = {} t[1] = t\nreturn cjson.encode(t)",
    ));
    assert!(
        e.starts_with("ERR Cannot serialise, excessive nesting (1001)"),
        "{e}"
    );
    assert!(e.ends_with("@user_script:2."), "{e}");
    let e = err_text(&eval(&mut c, "return cjson.encode(function() end)"));
    assert!(
        e.starts_with("ERR Cannot serialise function: type not supported"),
        "{e}"
    );
    let e = err_text(&eval(&mut c, "return cjson.decode(string.rep('[', 5000))"));
    assert!(
        e.contains("Found too many nested data structures (1001)"),
        "{e}"
    );
    let e = err_text(&eval(&mut c, "return cjson.decode('{\"a\":')"));
    assert!(
        e.contains("Expected value but found T_END at character 6"),
        "{e}"
    );
    // The server is still there.
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));
}

#[test]
fn bit_operations() {
    let server = start_server();
    let mut c = server.raw();
    let script = "assert(bit.tobit(1) == 1)
        assert(bit.band(1) == 1)
        assert(bit.bxor(1,2) == 3)
        assert(bit.bor(1,2,4,8,16,32,64,128) == 255)
        return 'ok'";
    assert_eq!(eval(&mut c, script), bulk("ok"));
    let cases = [
        ("return bit.tobit(0xffffffff)", int(-1)),
        ("return bit.lshift(1, 31)", int(-2147483648)),
        ("return bit.rshift(-1, 28)", int(15)),
        ("return bit.arshift(-256, 4)", int(-16)),
        ("return bit.bswap(0x12345678)", int(0x78563412)),
        ("return bit.tohex(65535, -6)", bulk("00FFFF")),
        ("return bit.bnot(5)", int(-6)),
    ];
    for (script, reply) in cases {
        assert_eq!(eval(&mut c, script), reply, "{script}");
    }
    let e = err_text(&eval(&mut c, "return bit.band(1, 'x')"));
    assert!(
        e.starts_with("ERR bad argument #2 to 'band' (number expected, got string)"),
        "{e}"
    );
}

#[test]
fn library_tables_are_read_only() {
    let server = start_server();
    let mut c = server.raw();
    for script in [
        "cjson.encode = function() return 1 end",
        "bit.lshift = function() return 1 end",
        "cmsgpack.pack = function() return 1 end",
    ] {
        let e = err_text(&eval(&mut c, script));
        assert!(
            e.contains("Attempt to modify a readonly table"),
            "{script}: {e}"
        );
    }
}

#[test]
fn libraries_through_the_redis_crate() {
    let server = start_server();
    let mut con = server.redis();
    let json: String = redis::Script::new("return cjson.encode({ARGV[1], tonumber(ARGV[2])})")
        .arg("x")
        .arg("2.5")
        .invoke(&mut con)
        .unwrap();
    assert_eq!(json, r#"["x",2.5]"#);
    let n: i64 = redis::Script::new("return bit.bor(ARGV[1], 6)")
        .arg("1")
        .invoke(&mut con)
        .unwrap();
    assert_eq!(n, 7);
}

/// Hex of the packed arguments, in the script.
const HEX: &str = "local function hex(s) local h = '' for i = 1, #s do \
    h = h .. string.format('%02x', string.byte(s, i)) end return h end\n";

#[test]
fn cmsgpack_encodings() {
    let server = start_server();
    let mut c = server.raw();
    let script = format!("{HEX}return hex(cmsgpack.pack(0.1))");
    assert_eq!(eval(&mut c, &script), bulk("cb3fb999999999999a"));
    let script = format!("{HEX}return hex(cmsgpack.pack(-1099511627776))");
    assert_eq!(eval(&mut c, &script), bulk("d3ffffff0000000000"));
}

/// Redis's "cmsgpack pack/unpack smoke test".
#[test]
fn cmsgpack_smoke_test() {
    let server = start_server();
    let mut c = server.raw();
    let script = r#"
        local str_lt_32 = string.rep("x", 30)
        local str_lt_255 = string.rep("x", 250)
        local str_lt_65535 = string.rep("x", 65530)
        local str_long = string.rep("x", 100000)
        local array_big = {}
        for i=1, 100000 do array_big[i] = i end
        local map_big = {}
        for i=1, 100000 do map_big[tostring(i)] = i end
        local some_map = {s1=str_lt_32, s2=str_lt_255, s3=str_lt_65535, s4=str_long,
            d1=0.1, i1=1, i2=250, i3=65530, i4=100000, i5=2^40, i6=-1, i7=-120,
            i8=-32000, i9=-100000, i10=-3147483648, a1={1, 2, 3, 4, 5},
            a2={1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18},
            a3=array_big, m1={a=1, b=2}, m2=map_big, b1=false, b2=true, n=nil}
        local encoded = cmsgpack.pack(some_map)
        local decoded = cmsgpack.unpack(encoded)
        assert(table.concat(some_map) == table.concat(decoded))
        assert(decoded.a3[100000] == 100000 and decoded.m2["99999"] == 99999)
        assert(decoded.i10 == -3147483648 and decoded.d1 == 0.1 and decoded.s4 == str_long)
        local offset, decoded_one = cmsgpack.unpack_one(encoded, 0)
        assert(table.concat(some_map) == table.concat(decoded_one))
        assert(offset == -1)
        local encoded_multiple = cmsgpack.pack(str_lt_32, str_lt_255, str_lt_65535, str_long)
        local offset, obj = cmsgpack.unpack_limit(encoded_multiple, 1, 0)
        assert(obj == str_lt_32)
        offset, obj = cmsgpack.unpack_limit(encoded_multiple, 1, offset)
        assert(obj == str_lt_255)
        offset, obj = cmsgpack.unpack_limit(encoded_multiple, 1, offset)
        assert(obj == str_lt_65535)
        offset, obj = cmsgpack.unpack_limit(encoded_multiple, 1, offset)
        assert(obj == str_long)
        assert(offset == -1)
        return 'ok'
    "#;
    assert_eq!(eval(&mut c, script), bulk("ok"));
}

/// Redis's "cmsgpack can pack and unpack circular references?".
#[test]
fn cmsgpack_circular_references() {
    let server = start_server();
    let mut c = server.raw();
    let script = format!(
        "{HEX}local a = {{x=nil,y=5}}
        local b = {{x=a}}
        a['x'] = b
        local encoded = cmsgpack.pack(a)
        local re = cmsgpack.unpack(encoded)
        assert(re.x.x.x.x.x.x.x.x.x.x.x.x.x.x.y == re.y)
        assert(re.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x)
        assert(re.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x.x == nil)
        return {{hex(encoded), re.x.x.x.x.x.x.x.x.y == re.y, re.y == 5}}"
    );
    let hex = "82a17905a17881a17882a17905a17881a17882a17905a17881a17882a17905a17881a17882\
               a17905a17881a17882a17905a17881a17882a17905a17881a17882a17905a17881a178c0";
    assert_eq!(
        eval(&mut c, &script),
        Frame::Array(vec![bulk(hex), int(1), int(1)])
    );
}

#[test]
fn cmsgpack_errors_and_bounds() {
    let server = start_server();
    let mut c = server.raw();
    let e = err_text(&eval(&mut c, "return cmsgpack.unpack('\\146\\1')"));
    assert!(e.starts_with("ERR Missing bytes in input. script: "), "{e}");
    let e = err_text(&eval(&mut c, "return cmsgpack.unpack('\\193')"));
    assert!(e.starts_with("ERR Bad data format in input."), "{e}");
    let e = err_text(&eval(
        &mut c,
        "return cmsgpack.unpack(string.rep('\\145', 100000))",
    ));
    assert!(e.starts_with("ERR Bad data format in input."), "{e}");
    let e = err_text(&eval(&mut c, "return cmsgpack.pack()"));
    assert!(e.contains("MessagePack pack needs input."), "{e}");
    // Many string arguments and results.
    let script = "local t = {} for i = 1, 7000 do t[i] = 'v' .. i end
        local packed = cmsgpack.pack(unpack(t))
        local n = select('#', cmsgpack.unpack_limit(packed, 3000))
        return {#packed, n}";
    assert_eq!(
        eval(&mut c, script),
        Frame::Array(vec![int(40893), int(3001)])
    );
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));
}
