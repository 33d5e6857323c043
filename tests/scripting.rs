//! Lua scripting end to end: EVAL and friends, SCRIPT, the conversions both ways,
//! the sandbox and the errors, through raw RESP and the `redis` crate's `Script`.
//! Slow scripts, BUSY and SCRIPT KILL are in `scripting/busy.rs`.
#[path = "scripting/busy.rs"]
mod busy;
mod common;

use common::*;
use rudis::protocol::Frame;

/// The text of an error frame (panics on anything else).
fn err_text(frame: &Frame) -> String {
    match frame {
        Frame::Error(e) => e.clone(),
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn return_values_convert_as_redis_does() {
    let server = start_server();
    let mut c = server.raw();
    assert_eq!(c.cmd(&["EVAL", "return 42", "0"]), int(42));
    assert_eq!(
        c.cmd(&["EVAL", "return 3.99", "0"]),
        int(3),
        "numbers truncate"
    );
    assert_eq!(c.cmd(&["EVAL", "return 'hi'", "0"]), bulk("hi"));
    assert_eq!(c.cmd(&["EVAL", "return true", "0"]), int(1));
    assert_eq!(c.cmd(&["EVAL", "return false", "0"]), Frame::Null);
    assert_eq!(c.cmd(&["EVAL", "return nil", "0"]), Frame::Null);
    assert_eq!(
        c.cmd(&["EVAL", "return {1, 'two', {3, false}, nil, 5}", "0"]),
        Frame::Array(vec![
            int(1),
            bulk("two"),
            Frame::Array(vec![int(3), Frame::Null]),
        ]),
        "arrays stop at the first nil"
    );
    assert_eq!(c.cmd(&["EVAL", "return {ok='fine'}", "0"]), simple("fine"));
    assert_eq!(
        c.cmd(&["EVAL", "return redis.status_reply('also fine')", "0"]),
        simple("also fine")
    );
    assert_eq!(
        c.cmd(&["EVAL", "return {err='MYERR bad'}", "0"]),
        error("MYERR bad")
    );
    assert_eq!(
        c.cmd(&["EVAL", "return redis.error_reply('My Error')", "0"]),
        error("My Error")
    );
    assert_eq!(
        c.cmd(&["EVAL", "return redis.error_reply('-NOCODE')", "0"]),
        error("ERR NOCODE")
    );
    // A RESP2 client gets a double as a bulk string.
    assert_eq!(c.cmd(&["EVAL", "return {double=3.5}", "0"]), bulk("3.5"));
    // A table that contains itself ends in an error, not a crash.
    let frame = c.cmd(&["EVAL", "local t = {} t[1] = t return t", "0"]);
    assert!(format!("{frame:?}").contains("reached lua stack limit"));
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));
}

#[test]
fn resp3_replies_after_setresp_and_hello_3() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["HELLO", "3"]);
    c.cmd(&["HSET", "h", "f", "v"]);
    assert_eq!(
        c.cmd(&[
            "EVAL",
            "redis.setresp(3) return redis.call('hgetall', KEYS[1])",
            "1",
            "h"
        ]),
        Frame::Map(vec![(bulk("f"), bulk("v"))])
    );
    // Under RESP2 (the default inside scripts) the same reply is a flat array.
    assert_eq!(
        c.cmd(&["EVAL", "return redis.call('hgetall', KEYS[1])", "1", "h"]),
        Frame::Array(vec![bulk("f"), bulk("v")])
    );
    assert_eq!(
        c.cmd(&["EVAL", "return {double=1.5}", "0"]),
        Frame::Double(1.5)
    );
    assert_eq!(
        c.cmd(&["EVAL", "redis.setresp(3) return false", "0"]),
        Frame::Boolean(false)
    );
    // RESP3 nulls are nil inside the script, RESP2 nulls are false.
    assert_eq!(
        c.cmd(&[
            "EVAL",
            "redis.setresp(3) return redis.call('get', 'nokey') == nil",
            "0"
        ]),
        Frame::Boolean(true)
    );
    assert_eq!(
        c.cmd(&["EVAL", "return redis.call('get', 'nokey') == false", "0"]),
        int(1)
    );
    assert!(
        err_text(&c.cmd(&["EVAL", "redis.setresp(4)", "0"]))
            .contains("RESP version must be 2 or 3.")
    );
}

#[test]
fn redis_call_runs_commands_with_keys_and_argv() {
    let server = start_server();
    let mut c = server.raw();
    let script = "redis.call('set', KEYS[1], ARGV[1]) return redis.call('get', KEYS[1])";
    assert_eq!(c.cmd(&["EVAL", script, "1", "k", "v"]), bulk("v"));
    assert_eq!(c.cmd(&["GET", "k"]), bulk("v"));
    assert_eq!(
        c.cmd(&[
            "EVAL",
            "return {KEYS[1], KEYS[2], ARGV[1], #ARGV}",
            "2",
            "a",
            "b",
            "c",
            "d"
        ]),
        Frame::Array(vec![bulk("a"), bulk("b"), bulk("c"), int(2)])
    );
    // Numbers become their Lua text; status replies become {ok=...}.
    assert_eq!(
        c.cmd(&["EVAL", "return redis.call('incrby', 'n', 5)", "0"]),
        int(5)
    );
    assert_eq!(
        c.cmd(&["EVAL", "return redis.call('set', 'x', 1.5).ok", "0"]),
        bulk("OK")
    );
    // redis.call raises a command's error (with where it happened); pcall returns it.
    for script in [
        "local r = redis.call('incr', 'k') return r",
        "return redis.call('incr', 'k')",
    ] {
        let e = err_text(&c.cmd(&["EVAL", script, "0"]));
        assert!(
            e.starts_with("ERR value is not an integer or out of range script: ")
                && e.ends_with(", on @user_script:1."),
            "{script}: {e}"
        );
    }
    assert_eq!(
        c.cmd(&["EVAL", "return redis.pcall('incr', 'k')", "0"]),
        error("ERR value is not an integer or out of range")
    );
    assert_eq!(
        c.cmd(&[
            "EVAL",
            "local r = redis.pcall('incr', 'k') return type(r.err)",
            "0"
        ]),
        bulk("string")
    );
    // SELECT inside a script does not move the caller.
    c.cmd(&["SET", "where", "db0"]);
    assert_eq!(
        c.cmd(&[
            "EVAL",
            "redis.call('select', 1) return redis.call('get', 'where')",
            "0"
        ]),
        Frame::Null
    );
    assert_eq!(c.cmd(&["GET", "where"]), bulk("db0"));
}

#[test]
fn script_errors_have_redis_texts() {
    let server = start_server();
    let mut c = server.raw();
    let cases: &[(&[&str], &str)] = &[
        (
            &["EVAL", "return 1", "x"],
            "ERR value is not an integer or out of range",
        ),
        (
            &["EVAL", "return 1", "-1"],
            "ERR Number of keys can't be negative",
        ),
        (
            &["EVAL", "return 1", "2", "a"],
            "ERR Number of keys can't be greater than number of args",
        ),
        (
            &["EVALSHA", "abc", "0"],
            "NOSCRIPT No matching script. Please use EVAL.",
        ),
        (
            &["EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0"],
            "NOSCRIPT No matching script. Please use EVAL.",
        ),
        (
            &["EVAL"],
            "ERR wrong number of arguments for 'eval' command",
        ),
        (
            &["EVAL", "return 1"],
            "ERR wrong number of arguments for 'eval' command",
        ),
        (
            &["EVAL", "return redis.call('nosuch')", "0"],
            "ERR Unknown Redis command called from script",
        ),
        (
            &["EVAL", "return redis.call('get')", "0"],
            "ERR Wrong number of args calling Redis command from script",
        ),
        (
            &["EVAL", "return redis.call()", "0"],
            "ERR Please specify at least one argument for this redis lib call",
        ),
        (
            &["EVAL", "return redis.call({})", "0"],
            "ERR Lua redis lib command arguments must be strings or integers",
        ),
        (
            &["EVAL", "return redis.call('blpop', 'l', 0)", "0"],
            "ERR This Redis command is not allowed from script",
        ),
        (
            &["EVAL", "return redis.call('multi')", "0"],
            "ERR This Redis command is not allowed from script",
        ),
        (
            &["EVAL", "return redis.call('eval', 'return 1', 0)", "0"],
            "ERR This Redis command is not allowed from script",
        ),
        (
            &["EVAL_RO", "return redis.call('set', 'a', 'b')", "0"],
            "ERR Write commands are not allowed from read-only scripts.",
        ),
        (
            &[
                "EVAL",
                "#!lua flags=no-writes\nreturn redis.call('set', 'a', 'b')",
                "0",
            ],
            "ERR Write commands are not allowed from read-only scripts.",
        ),
        (
            &["EVAL_RO", "#!lua\nreturn 1", "0"],
            "ERR Can not execute a script with write flag using *_ro command.",
        ),
        (
            &["EVAL", "#!perl\nreturn 1", "0"],
            "ERR Unexpected engine in script shebang: #!perl",
        ),
        (
            &["EVAL", "#!lua flags=fast\nreturn 1", "0"],
            "ERR Unexpected flag in script shebang: fast",
        ),
        (
            &["EVAL", "return redis.sha1hex()", "0"],
            "ERR wrong number of arguments",
        ),
        (
            &["EVAL", "redis.log(99, 'x')", "0"],
            "ERR Invalid debug level.",
        ),
    ];
    for (args, expected) in cases {
        let e = err_text(&c.cmd(args));
        assert!(e.starts_with(expected), "{args:?}: {e}");
    }
    let e = err_text(&c.cmd(&["EVAL", "return +", "0"]));
    assert!(
        e.starts_with("ERR Error compiling script (new function): user_script:1:"),
        "{e}"
    );
    let e = err_text(&c.cmd(&["EVAL", "return undefined_name", "0"]));
    assert!(
        e.starts_with(
            "ERR user_script:1: Script attempted to access nonexistent global variable 'undefined_name'"
        ),
        "{e}"
    );
    let e = err_text(&c.cmd(&["EVAL", "newglobal = 1", "0"]));
    assert!(e.contains("Attempt to modify a readonly table"), "{e}");
    let e = err_text(&c.cmd(&["EVAL", "return loadfile", "0"]));
    assert!(e.contains("nonexistent global variable 'loadfile'"), "{e}");
    let e = err_text(&c.cmd(&["EVAL", "local t = nil\nreturn t.x", "0"]));
    assert!(e.contains("on @user_script:2."), "{e}");
    // The connection lives on after every error.
    assert_eq!(c.cmd(&["PING"]), simple("PONG"));
}

#[test]
fn script_load_exists_flush_and_evalsha() {
    let server = start_server();
    let mut c = server.raw();
    let sha = "8e3d8cfcbb6571ecf555cc0a7d6fb950b4437dc6";
    assert_eq!(c.cmd(&["SCRIPT", "LOAD", "return 'hello moon'"]), bulk(sha));
    assert_eq!(c.cmd(&["EVALSHA", sha, "0"]), bulk("hello moon"));
    assert_eq!(
        c.cmd(&["EVALSHA", &sha.to_uppercase(), "0"]),
        bulk("hello moon")
    );
    assert_eq!(c.cmd(&["EVALSHA_RO", sha, "0"]), bulk("hello moon"));
    assert_eq!(
        c.cmd(&[
            "EVAL",
            r#"return redis.sha1hex("return 'hello moon'")"#,
            "0"
        ]),
        bulk(sha)
    );
    assert_eq!(
        c.cmd(&[
            "SCRIPT",
            "EXISTS",
            sha,
            "0000000000000000000000000000000000000000"
        ]),
        Frame::Array(vec![int(1), int(0)])
    );
    // EVAL caches too.
    c.cmd(&["EVAL", "return 7", "0"]);
    let seven = text(&c.cmd(&["EVAL", "return redis.sha1hex('return 7')", "0"]));
    assert_eq!(c.cmd(&["EVALSHA", &seven, "0"]), int(7));
    assert_eq!(c.cmd(&["SCRIPT", "FLUSH"]), simple("OK"));
    assert_eq!(
        c.cmd(&["SCRIPT", "EXISTS", sha]),
        Frame::Array(vec![int(0)])
    );
    assert!(err_text(&c.cmd(&["EVALSHA", sha, "0"])).starts_with("NOSCRIPT"));
    assert_eq!(c.cmd(&["SCRIPT", "FLUSH", "ASYNC"]), simple("OK"));
    assert_eq!(
        c.cmd(&["SCRIPT", "FLUSH", "LATER"]),
        error("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
    );
    assert_eq!(
        c.cmd(&["SCRIPT", "KILL"]),
        error("NOTBUSY No scripts in execution right now.")
    );
    assert!(err_text(&c.cmd(&["SCRIPT", "LOAD", "return +"])).starts_with("ERR Error compiling"));
    assert!(err_text(&c.cmd(&["SCRIPT", "NOPE"])).starts_with("ERR unknown subcommand 'NOPE'"));
    match c.cmd(&["SCRIPT", "HELP"]) {
        Frame::Array(lines) => assert!(lines.len() > 5),
        other => panic!("{other:?}"),
    }
}

#[test]
fn scripts_are_atomic_for_watch_and_inside_exec() {
    let server = start_server();
    let mut watcher = server.raw();
    let mut writer = server.raw();
    watcher.cmd(&["WATCH", "w"]);
    writer.cmd(&[
        "EVAL",
        "return redis.call('set', KEYS[1], 'changed')",
        "1",
        "w",
    ]);
    watcher.cmd(&["MULTI"]);
    watcher.cmd(&["PING"]);
    assert_eq!(
        watcher.cmd(&["EXEC"]),
        Frame::Null,
        "a script's write touches watched keys"
    );
    // EVAL queued in a transaction runs at EXEC.
    writer.cmd(&["MULTI"]);
    assert_eq!(
        writer.cmd(&["EVAL", "return redis.call('incr', 'counter')", "0"]),
        simple("QUEUED")
    );
    assert_eq!(writer.cmd(&["EXEC"]), Frame::Array(vec![int(1)]));
}

#[test]
fn acl_rules_apply_inside_scripts() {
    let server = start_server();
    let mut admin = server.raw();
    admin.cmd(&[
        "ACL", "SETUSER", "reader", "on", ">pw", "~*", "+@read", "+eval", "+auth",
    ]);
    let mut c = server.raw();
    assert_eq!(c.cmd(&["AUTH", "reader", "pw"]), simple("OK"));
    assert_eq!(
        c.cmd(&["EVAL", "return redis.call('get', 'k')", "0"]),
        Frame::Null
    );
    // redis.acl_check_cmd asks the same question without running anything.
    assert_eq!(
        c.cmd(&["EVAL", "return redis.acl_check_cmd('get', 'k')", "0"]),
        int(1)
    );
    assert_eq!(
        c.cmd(&["EVAL", "return redis.acl_check_cmd('set', 'k', 'v')", "0"]),
        Frame::Null
    );
    let e = err_text(&c.cmd(&["EVAL", "return redis.acl_check_cmd('nosuch')", "0"]));
    assert!(
        e.starts_with("ERR Invalid command passed to redis.acl_check_cmd()"),
        "{e}"
    );
    let e = err_text(&c.cmd(&["EVAL", "return redis.call('set', 'k', 'v')", "0"]));
    assert!(
        e.starts_with(
            "ERR The user executing the script can't run this command or subcommand script: "
        ),
        "{e}"
    );
}

#[test]
fn the_redis_crate_runs_scripts() {
    let server = start_server();
    let mut con = server.redis();
    let script = redis::Script::new("return redis.call('incrby', KEYS[1], ARGV[1])");
    // invoke tries EVALSHA, gets NOSCRIPT, then loads the script with EVAL.
    let n: i64 = script.key("counter").arg(5).invoke(&mut con).unwrap();
    assert_eq!(n, 5);
    let n: i64 = script.key("counter").arg(2).invoke(&mut con).unwrap();
    assert_eq!(n, 7);
    let got: Vec<String> = redis::cmd("EVAL")
        .arg("return {ARGV[1], ARGV[2]}")
        .arg(0)
        .arg("a")
        .arg("b")
        .query(&mut con)
        .unwrap();
    assert_eq!(got, vec!["a", "b"]);
    let _: () = redis::cmd("SET")
        .arg("text")
        .arg("x")
        .query(&mut con)
        .unwrap();
    let failed: redis::RedisResult<i64> = redis::cmd("EVAL")
        .arg("return redis.call('incr', KEYS[1])")
        .arg(1)
        .arg("text")
        .query(&mut con);
    let e = failed.unwrap_err();
    assert!(e.to_string().contains("not an integer"), "{e}");
}

#[test]
fn scripts_cannot_change_what_other_scripts_see() {
    let server = start_server();
    let mut c = server.raw();
    let tricks = [
        "setmetatable(_G, {})",
        "local g = getmetatable(_G) g.__index = {}",
        "redis = function() return 1 end",
        "_G = {}",
        "_G.redis = nil",
        "rawset(_G, 'redis', 1)",
        "redis.call = function() return 1 end",
        "string.format = nil",
        "setfenv(0, {})",
        "loadstring('redis = 1')()",
    ];
    for trick in tricks {
        let e = err_text(&c.cmd(&["EVAL", trick, "0"]));
        assert!(
            e.contains("Attempt to modify a readonly table"),
            "{trick}: {e}"
        );
    }
    // Bytecode is refused: loadstring returns nil.
    let e = err_text(&c.cmd(&[
        "EVAL",
        "return loadstring(string.dump(function() return 1 end))()",
        "0",
    ]));
    assert!(e.contains("attempt to call a nil value"), "{e}");
    // The API still works for the next script.
    assert_eq!(
        c.cmd(&["EVAL", "return redis.call('ping')", "0"]),
        simple("PONG")
    );
    assert_eq!(
        c.cmd(&["EVAL", "return string.format('%d', 5)", "0"]),
        bulk("5")
    );
}

#[test]
fn many_arguments_and_full_precision_numbers() {
    let server = start_server();
    let mut c = server.raw();
    let script = "local a = {} for i = 1, 7999 do a[i] = i end \
                  return redis.call('lpush', 'l', unpack(a))";
    assert_eq!(c.cmd(&["EVAL", script, "0"]), int(7999));
    assert_eq!(
        c.cmd(&[
            "EVAL",
            "redis.call('set', 'n', 9007199254740991) return redis.call('get', 'n')",
            "0"
        ]),
        bulk("9007199254740991")
    );
    assert_eq!(
        c.cmd(&[
            "EVAL",
            "redis.call('set', 'f', 0.5) return redis.call('get', 'f')",
            "0"
        ]),
        bulk("0.5")
    );
}

#[test]
fn info_counts_scripts_and_errors() {
    let server = start_server();
    let mut c = server.raw();
    c.cmd(&["SCRIPT", "LOAD", "return 1"]);
    c.cmd(&["SCRIPT", "LOAD", "return 2"]);
    let info = text(&c.cmd(&["INFO", "memory"]));
    assert!(info.contains("number_of_cached_scripts:2"), "{info}");
    assert!(info.contains("used_memory_lua:"), "{info}");
    c.cmd(&["CONFIG", "RESETSTAT"]);
    c.cmd(&["EVAL", "return redis.error_reply('MY_CODE custom')", "0"]);
    c.cmd(&["SET", "s", "x"]);
    // A command's error returned by the script counts once.
    c.cmd(&["EVAL", "return redis.pcall('incr', 's')", "0"]);
    let stats = text(&c.cmd(&["INFO", "errorstats"]));
    assert!(stats.contains("errorstat_MY_CODE:count=1"), "{stats}");
    assert!(stats.contains("errorstat_ERR:count=1"), "{stats}");
}

#[test]
fn a_script_past_the_memory_limit_fails_and_the_next_one_runs() {
    let server = start_server_with(|c| c.lua_memory_limit = 8 * 1024 * 1024);
    let mut c = server.raw();
    let hog = "local t = {} for i = 1, 1e9 do t[i] = string.rep('x', 1000) .. i end";
    let e = err_text(&c.cmd(&["EVAL", hog, "0"]));
    assert!(e.contains("not enough memory"), "{e}");
    assert_eq!(
        c.cmd(&["EVAL", "return #string.rep('y', 1000000)", "0"]),
        int(1_000_000)
    );
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "lua-memory-limit"]),
        Frame::Array(vec![bulk("lua-memory-limit"), bulk("8388608")])
    );
}

#[test]
fn script_writes_wake_blocked_clients_and_publish() {
    let server = start_server();
    let mut waiter = server.raw();
    let mut subscriber = server.raw();
    let mut c = server.raw();
    waiter.send_cmd(&["BLPOP", "queue", "0"]);
    assert_eq!(
        subscriber.cmd(&["SUBSCRIBE", "news"]),
        Frame::Array(vec![bulk("subscribe"), bulk("news"), int(1)])
    );
    // The waiter is parked once CLIENT LIST shows it blocked.
    while !text(&c.cmd(&["CLIENT", "LIST"])).contains("cmd=blpop") {}
    let script = "redis.call('rpush', KEYS[1], ARGV[1]) \
                  return redis.call('publish', 'news', ARGV[1])";
    assert_eq!(c.cmd(&["EVAL", script, "1", "queue", "job-1"]), int(1));
    assert_eq!(
        waiter.read_frame(),
        Frame::Array(vec![bulk("queue"), bulk("job-1")])
    );
    assert_eq!(
        subscriber.read_frame(),
        Frame::Array(vec![bulk("message"), bulk("news"), bulk("job-1")])
    );
}

#[test]
fn sort_by_a_constant_is_ordered_inside_scripts() {
    let server = start_server();
    let mut c = server.raw();
    let members = ["b", "aa", "c", "a", "azz"];
    let mut args = vec!["SADD", "s"];
    args.extend(members);
    c.cmd(&args);
    let sorted = ["a", "aa", "azz", "b", "c"];
    assert_eq!(
        c.cmd(&[
            "EVAL",
            "return redis.call('sort', KEYS[1], 'by', '_')",
            "1",
            "s"
        ]),
        Frame::Array(sorted.iter().map(|m| bulk(m)).collect())
    );
}
