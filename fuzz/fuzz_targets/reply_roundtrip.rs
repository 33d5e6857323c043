//! Structured values written through `Reply` for RESP2 and RESP3 decode with
//! `Frame::decode` back to the frame each version must produce (RESP2 downgrades:
//! map → flat array, set/push → array, null → `$-1`/`*-1`, bool → `:1`/`:0`,
//! double → bulk string, verbatim → bulk string).
#![no_main]

use arbitrary::{Result, Unstructured};
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use rudis::protocol::frame::parse_double;
use rudis::protocol::{Frame, Reply, RespVersion};
use rudis_fuzz::same;

/// Deepest nesting generated: deep enough to cover nesting, far from the decoder's cap.
const MAX_DEPTH: usize = 32;
/// Most elements of one generated aggregate.
const MAX_ITEMS: usize = 8;

#[derive(Debug)]
enum Value {
    Ok,
    Simple(Vec<u8>),
    Error(String),
    Int(i64),
    Bulk(Vec<u8>),
    BulkInt(i64),
    Null,
    NullArray,
    Double(f64),
    Bool(bool),
    Verbatim(Vec<u8>),
    Array(Vec<Value>),
    Set(Vec<Value>),
    Push(Vec<Value>),
    Map(Vec<(Value, Value)>),
}

fn gen_value(u: &mut Unstructured<'_>, depth: usize) -> Result<Value> {
    let kinds = if depth >= MAX_DEPTH { 10 } else { 14 };
    let items = |u: &mut Unstructured<'_>| -> Result<Vec<Value>> {
        let n = u.int_in_range(0..=MAX_ITEMS)?;
        (0..n).map(|_| gen_value(u, depth + 1)).collect()
    };
    Ok(match u.int_in_range(0..=kinds)? {
        0 => Value::Ok,
        1 => {
            let s: Vec<u8> = u.arbitrary()?;
            Value::Simple(
                s.into_iter()
                    .filter(|&b| b != b'\r' && b != b'\n')
                    .collect(),
            )
        }
        2 => Value::Error(u.arbitrary()?),
        3 => Value::Int(u.arbitrary()?),
        4 => Value::Bulk(u.arbitrary()?),
        5 => Value::BulkInt(u.arbitrary()?),
        6 => Value::Null,
        7 => Value::NullArray,
        8 => Value::Double(u.arbitrary()?),
        9 => Value::Bool(u.arbitrary()?),
        10 => Value::Verbatim(u.arbitrary()?),
        11 => Value::Array(items(u)?),
        12 => Value::Set(items(u)?),
        13 => Value::Push(items(u)?),
        _ => {
            let n = u.int_in_range(0..=MAX_ITEMS)?;
            let mut pairs = Vec::with_capacity(n);
            for _ in 0..n {
                pairs.push((gen_value(u, depth + 1)?, gen_value(u, depth + 1)?));
            }
            Value::Map(pairs)
        }
    })
}

fn write(r: &mut Reply<'_>, v: &Value) {
    match v {
        Value::Ok => r.ok(),
        Value::Simple(s) => r.simple(s),
        Value::Error(s) => r.error(s),
        Value::Int(n) => r.int(*n),
        Value::Bulk(b) => r.bulk(b),
        Value::BulkInt(n) => r.bulk_int(*n),
        Value::Null => r.null(),
        Value::NullArray => r.null_array(),
        Value::Double(d) => r.double(*d),
        Value::Bool(b) => r.bool(*b),
        Value::Verbatim(t) => r.verbatim(t),
        Value::Array(items) => {
            r.array_len(items.len());
            items.iter().for_each(|i| write(r, i));
        }
        Value::Set(items) => {
            r.set_len(items.len());
            items.iter().for_each(|i| write(r, i));
        }
        Value::Push(items) => {
            r.push_len(items.len());
            items.iter().for_each(|i| write(r, i));
        }
        Value::Map(pairs) => {
            r.map_len(pairs.len());
            for (k, v) in pairs {
                write(r, k);
                write(r, v);
            }
        }
    }
}

/// The frame a client must decode for `v`, written for `version`. A RESP2 double is
/// checked separately (its text must read back to the same value).
fn expected(v: &Value, v3: bool) -> Frame {
    let list = |items: &[Value]| items.iter().map(|i| expected(i, v3)).collect::<Vec<_>>();
    match v {
        Value::Ok => Frame::Simple("OK".to_string()),
        Value::Simple(s) => Frame::Simple(String::from_utf8_lossy(s).into_owned()),
        Value::Error(s) => Frame::Error(s.replace(['\r', '\n'], " ")),
        Value::Int(n) => Frame::Integer(*n),
        Value::Bulk(b) => Frame::Bulk(b.clone()),
        Value::BulkInt(n) => Frame::Bulk(n.to_string().into_bytes()),
        Value::Null | Value::NullArray => Frame::Null,
        Value::Double(d) => Frame::Double(*d),
        Value::Bool(b) if v3 => Frame::Boolean(*b),
        Value::Bool(b) => Frame::Integer(i64::from(*b)),
        Value::Verbatim(t) if v3 => Frame::Verbatim("txt".to_string(), t.clone()),
        Value::Verbatim(t) => Frame::Bulk(t.clone()),
        Value::Array(items) => Frame::Array(list(items)),
        Value::Set(items) if v3 => Frame::Set(list(items)),
        Value::Push(items) if v3 => Frame::Push(list(items)),
        Value::Set(items) | Value::Push(items) => Frame::Array(list(items)),
        Value::Map(pairs) if v3 => Frame::Map(
            pairs
                .iter()
                .map(|(k, v)| (expected(k, v3), expected(v, v3)))
                .collect(),
        ),
        Value::Map(pairs) => Frame::Array(
            pairs
                .iter()
                .flat_map(|(k, v)| [expected(k, v3), expected(v, v3)])
                .collect(),
        ),
    }
}

/// `same`, except that a RESP2 double arrives as a bulk string that must read back to
/// the value written.
fn matches(got: &Frame, want: &Frame, v3: bool) -> bool {
    let all = |a: &[Frame], b: &[Frame]| {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| matches(x, y, v3))
    };
    match (got, want) {
        (Frame::Bulk(text), Frame::Double(d)) if !v3 => {
            parse_double(text).is_some_and(|x| x == *d || (x.is_nan() && d.is_nan()))
        }
        (Frame::Array(a), Frame::Array(b))
        | (Frame::Set(a), Frame::Set(b))
        | (Frame::Push(a), Frame::Push(b)) => all(a, b),
        (Frame::Map(a), Frame::Map(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|((k1, v1), (k2, v2))| matches(k1, k2, v3) && matches(v1, v2, v3))
        }
        _ => same(got, want),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let mut values = Vec::new();
    while values.len() < 16 && !u.is_empty() {
        match gen_value(&mut u, 0) {
            Ok(v) => values.push(v),
            Err(_) => break,
        }
    }
    for version in [RespVersion::V2, RespVersion::V3] {
        let v3 = version == RespVersion::V3;
        let mut buf = BytesMut::new();
        let mut reply = Reply::new(&mut buf, version);
        values.iter().for_each(|v| write(&mut reply, v));
        let mut pos = 0;
        for v in &values {
            let decoded = Frame::decode(&buf[pos..]);
            let Ok(Some((frame, used))) = decoded else {
                panic!("{v:?} ({version:?}) does not decode: {decoded:?}");
            };
            let want = expected(v, v3);
            assert!(
                matches(&frame, &want, v3),
                "{v:?} ({version:?}) decoded as {frame:?}"
            );
            pos += used;
        }
        assert_eq!(pos, buf.len(), "bytes left after the last reply");
    }
});
