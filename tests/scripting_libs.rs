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
