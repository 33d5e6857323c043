//! Untrusted bytes through the Lua libraries scripts use on client data:
//! `cjson.decode`, `cmsgpack.unpack` and the encoders on what they decoded, run
//! by EVAL through `commands::dispatch` (inside a transaction's EXEC context, so
//! the script runs in place). Any reply is fine; a crash, a hang or a panic is not.
//! Every input gets a fresh server state and interpreter, so that leak detection
//! sees only what one input left behind.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use rudis::Config;
use rudis::commands::{self, ClientInfo, Ctx, ServerState};
use rudis::protocol::{OwnedRequest, Reply, RespVersion};
use rudis::store::Store;

/// The scripts each input goes through.
const SCRIPTS: &[&str] = &[
    "return cjson.encode(cjson.decode(ARGV[1]))",
    "return cmsgpack.pack(cmsgpack.unpack(ARGV[1]))",
    "return cjson.encode({cmsgpack.unpack_limit(ARGV[1], 8)})",
    "return bit.tohex(#ARGV[1] * 7919, -8)",
];

fuzz_target!(|data: &[u8]| {
    let mut store = Store::new(1);
    let mut state = ServerState::new(Config::default(), commands::table::acl_registry());
    let me = state
        .clients
        .insert(ClientInfo::new(1, "fuzz".into(), "fuzz".into(), 0));
    // As inside EXEC: EVAL runs its script in place instead of leaving it to the loop.
    state.clients[me].deny_blocking = true;
    for script in SCRIPTS {
        let req = OwnedRequest::from_args([b"EVAL".as_slice(), script.as_bytes(), b"0", data]);
        let mut out = BytesMut::new();
        let mut ctx = Ctx {
            store: &mut store,
            server: &mut state,
            me,
            out: Reply::new(&mut out, RespVersion::V2),
            now: 0,
        };
        commands::dispatch(&mut ctx, &req.request());
        assert!(!out.is_empty(), "EVAL gave no reply");
    }
});
