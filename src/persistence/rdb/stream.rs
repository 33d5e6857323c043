//! Streams in RDB files, as Redis 7.0 writes them (`RDB_TYPE_STREAM_LISTPACKS_2`) and
//! as Redis 5 to 7.2 wrote them (types 15, 19 and 21) when reading.
//!
//! Each node is written as Redis's stream listpack: a master entry (live count,
//! deleted count, master fields, a 0 terminator), then per entry its flags, the ID's
//! differences from the master ID, the fields unless they are the master's, the
//! values, and the entry's element count (which Redis uses to walk backwards).

use std::io::Read;

use super::input::Input;
use super::packed;
use super::{LoadError, ty};
use crate::store::Value;
use crate::store::stream::block::{DELETED, SAMEFIELDS};
use crate::store::stream::{Block, Consumer, Group, Nack, Stream, StreamId};

/// Most IDs or groups preallocated from a count a file claims.
const PREALLOC: usize = 1024;

/// Appends a listpack entry holding integer `v`, in the smallest encoding.
fn lp_int(out: &mut Vec<u8>, v: i64) {
    let start = out.len();
    if (0..=127).contains(&v) {
        out.push(v as u8);
    } else if (-4096..4096).contains(&v) {
        let u = (v as u64) & 0x1fff;
        out.push(0xc0 | (u >> 8) as u8);
        out.push(u as u8);
    } else if i16::try_from(v).is_ok() {
        out.push(0xf1);
        out.extend_from_slice(&(v as i16).to_le_bytes());
    } else if (-(1 << 23)..(1 << 23)).contains(&v) {
        out.push(0xf2);
        out.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
    } else if i32::try_from(v).is_ok() {
        out.push(0xf3);
        out.extend_from_slice(&(v as i32).to_le_bytes());
    } else {
        out.push(0xf4);
        out.extend_from_slice(&v.to_le_bytes());
    }
    backlen(out, out.len() - start);
}

/// Appends a listpack entry holding `s` (as an integer when it is one's canonical
/// text, as Redis's `lpAppend` does).
fn lp_str(out: &mut Vec<u8>, s: &[u8]) {
    if let Some(n) = crate::store::value::canonical_int(s) {
        return lp_int(out, n);
    }
    let start = out.len();
    let n = s.len();
    if n < 64 {
        out.push(0x80 | n as u8);
    } else if n < 4096 {
        out.push(0xe0 | (n >> 8) as u8);
        out.push(n as u8);
    } else {
        out.push(0xf0);
        out.extend_from_slice(&(n as u32).to_le_bytes());
    }
    out.extend_from_slice(s);
    backlen(out, out.len() - start);
}

/// The back-length of an entry of `len` bytes (Redis's `lpEncodeBacklen`): the
/// highest 7-bit group first, every later byte with the continuation bit.
fn backlen(out: &mut Vec<u8>, len: usize) {
    let n = match len {
        0..=127 => 1,
        128..16383 => 2,
        16383..2_097_151 => 3,
        2_097_151..268_435_455 => 4,
        _ => 5,
    };
    for i in (0..n).rev() {
        let group = ((len >> (7 * i)) & 0x7f) as u8;
        out.push(if i == n - 1 { group } else { group | 0x80 });
    }
}

/// Node `block` with master ID `master` as a Redis stream listpack.
pub(crate) fn node_listpack(master: StreamId, block: &Block) -> Vec<u8> {
    let mut body = Vec::with_capacity(block.byte_len() + 64);
    let (fields, _) = block.master_fields();
    let mut count = 0usize;
    let push_int = |body: &mut Vec<u8>, v: i64, count: &mut usize| {
        lp_int(body, v);
        *count += 1;
    };
    push_int(&mut body, i64::from(block.live), &mut count);
    push_int(&mut body, i64::from(block.deleted), &mut count);
    push_int(&mut body, fields.len() as i64, &mut count);
    for f in &fields {
        lp_str(&mut body, f);
        count += 1;
    }
    push_int(&mut body, 0, &mut count);
    for e in block.entries(master) {
        let pairs = block.pairs(&e);
        let same = e.flags & SAMEFIELDS != 0;
        push_int(
            &mut body,
            i64::from(e.flags & (DELETED | SAMEFIELDS)),
            &mut count,
        );
        push_int(
            &mut body,
            e.id.ms.wrapping_sub(master.ms) as i64,
            &mut count,
        );
        push_int(
            &mut body,
            e.id.seq.wrapping_sub(master.seq) as i64,
            &mut count,
        );
        if !same {
            push_int(&mut body, pairs.len() as i64, &mut count);
        }
        for (f, v) in &pairs {
            if !same {
                lp_str(&mut body, f);
                count += 1;
            }
            lp_str(&mut body, v);
            count += 1;
        }
        let lp_count = pairs.len() + 3 + if same { 0 } else { pairs.len() + 1 };
        push_int(&mut body, lp_count as i64, &mut count);
    }
    let total = 6 + body.len() + 1;
    let mut lp = Vec::with_capacity(total);
    lp.extend_from_slice(&(total as u32).to_le_bytes());
    lp.extend_from_slice(&(count.min(usize::from(u16::MAX)) as u16).to_le_bytes());
    lp.extend_from_slice(&body);
    lp.push(0xff);
    lp
}

fn int_of(e: Vec<u8>) -> packed::Result<i64> {
    std::str::from_utf8(&e)
        .ok()
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| "stream listpack integer expected".to_string())
}

/// Rebuilds one node from a Redis stream listpack with master ID `master`.
fn read_node(master: StreamId, blob: &[u8]) -> packed::Result<Block> {
    let mut items: Vec<Vec<u8>> = Vec::new();
    packed::listpack(blob, |e| {
        items.push(e.to_vec());
        Ok(())
    })?;
    let mut it = items.into_iter();
    let mut next = || {
        it.next()
            .ok_or_else(|| "stream listpack cut short".to_string())
    };
    let _count = int_of(next()?)?;
    let _deleted = int_of(next()?)?;
    let nfields = int_of(next()?)?;
    if !(0..=1 << 20).contains(&nfields) {
        return Err("bad master field count".into());
    }
    let mut fields = Vec::with_capacity(nfields as usize);
    for _ in 0..nfields {
        fields.push(next()?);
    }
    if int_of(next()?)? != 0 {
        return Err("master entry terminator missing".into());
    }
    let master_fields: Vec<&[u8]> = fields.iter().map(Vec::as_slice).collect();
    let mut block = Block::with_fields(&master_fields);
    while let Ok(flags) = next() {
        let flags = int_of(flags)?;
        let ms = master.ms.wrapping_add(int_of(next()?)? as u64);
        let seq = master.seq.wrapping_add(int_of(next()?)? as u64);
        let same = flags & i64::from(SAMEFIELDS) != 0;
        let n = if same {
            fields.len()
        } else {
            int_of(next()?)?.max(0) as usize
        };
        let mut owned: Vec<(Vec<u8>, Vec<u8>)> = Vec::with_capacity(n.min(PREALLOC));
        for at in 0..n {
            let f = match fields.get(at) {
                Some(f) if same => f.clone(),
                _ => next()?,
            };
            owned.push((f, next()?));
        }
        let _lp_count = next()?;
        let pairs: Vec<(&[u8], &[u8])> = owned.iter().map(|(f, v)| (&f[..], &v[..])).collect();
        block.append_entry(
            master,
            StreamId::new(ms, seq),
            &pairs,
            flags & i64::from(DELETED) != 0,
        );
    }
    Ok(block)
}

fn id<R: Read>(input: &mut Input<R>) -> Result<StreamId, LoadError> {
    Ok(StreamId::new(input.len()?, input.len()?))
}

fn raw_id<R: Read>(input: &mut Input<R>) -> Result<StreamId, LoadError> {
    let bytes: [u8; 16] = input.array()?;
    StreamId::from_be_bytes(&bytes).ok_or_else(|| input.corrupt("bad stream ID"))
}

/// Reads a stream of RDB type `t` (15, 19 or 21).
pub(crate) fn read_stream<R: Read>(input: &mut Input<R>, t: u8) -> Result<Value, LoadError> {
    let mut s = Box::<Stream>::default();
    let nodes = input.len()?;
    let mut length = 0u64;
    for _ in 0..nodes {
        let key = input.string_bytes()?;
        let master = StreamId::from_be_bytes(&key)
            .ok_or_else(|| input.corrupt("stream node key is not 16 bytes"))?;
        let blob = input.string_bytes()?;
        let block = read_node(master, &blob).map_err(|e| input.corrupt(e))?;
        if block.live > 0 {
            length += u64::from(block.live);
            s.log.insert_block(master, block);
        }
    }
    let claimed_length = input.len()?;
    s.log.length = length;
    s.log.last_id = id(input)?;
    if t >= ty::STREAM_LISTPACKS_2 {
        s.log.first_id = id(input)?;
        s.log.max_deleted = id(input)?;
        s.log.entries_added = input.len()?;
    } else {
        s.log.first_id = s.log.edge(false).unwrap_or(StreamId::MIN);
        s.log.entries_added = claimed_length;
    }
    let groups = input.len()?;
    for _ in 0..groups {
        let name = input.string_bytes()?;
        let last_id = id(input)?;
        let entries_read = if t >= ty::STREAM_LISTPACKS_2 {
            input.len()? as i64
        } else {
            s.log.estimate_distance(last_id)
        };
        let mut g = Group::new(last_id, entries_read);
        let pel = input.len()?;
        let mut nacks = std::collections::BTreeMap::new();
        for _ in 0..pel {
            let pid = raw_id(input)?;
            let time = i64::from_le_bytes(input.array()?);
            let count = input.len()?;
            nacks.insert(pid, (time, count));
        }
        let consumers = input.len()?;
        for _ in 0..consumers {
            let cname = input.string_bytes()?;
            let seen = i64::from_le_bytes(input.array()?);
            if t >= ty::STREAM_LISTPACKS_3 {
                let _active: [u8; 8] = input.array()?;
            }
            let mut consumer = Consumer {
                seen_time: seen,
                pel: Default::default(),
            };
            let n = input.len()?;
            for _ in 0..n {
                let pid = raw_id(input)?;
                let Some(&(time, count)) = nacks.get(&pid) else {
                    return Err(input.corrupt("consumer entry not found in the group PEL"));
                };
                consumer.pel.insert(pid);
                g.pel.insert(
                    pid,
                    Nack {
                        delivery_time: time,
                        delivery_count: count,
                        consumer: cname.clone().into_boxed_slice(),
                    },
                );
            }
            g.consumers.insert(cname.into_boxed_slice(), consumer);
        }
        if s.groups.insert(name.into_boxed_slice(), g).is_some() {
            return Err(input.corrupt("duplicated consumer group name"));
        }
    }
    Ok(Value::Stream(s))
}

/// Decodes a stream body written by [`super::write::stream_body`] (or any Redis
/// `RDB_TYPE_STREAM_LISTPACKS_2` body).
/// # Errors
/// The body is malformed.
pub fn stream_from_body(body: &[u8]) -> Result<Value, String> {
    let mut input = Input::new(body);
    read_stream(&mut input, ty::STREAM_LISTPACKS_2).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listpack_integers_and_strings_read_back() {
        let mut body = Vec::new();
        let values = [
            0i64,
            127,
            128,
            -1,
            4095,
            -4096,
            5000,
            -40000,
            1 << 22,
            1 << 30,
            1 << 40,
        ];
        for v in values {
            lp_int(&mut body, v);
        }
        lp_str(&mut body, b"hello");
        lp_str(&mut body, &[b'x'; 200]);
        let total = 6 + body.len() + 1;
        let mut lp = (total as u32).to_le_bytes().to_vec();
        lp.extend_from_slice(&((values.len() + 2) as u16).to_le_bytes());
        lp.extend_from_slice(&body);
        lp.push(0xff);
        let mut got = Vec::new();
        packed::listpack(&lp, |e| {
            got.push(e.to_vec());
            Ok(())
        })
        .expect("valid listpack");
        let mut want: Vec<Vec<u8>> = values.iter().map(|v| v.to_string().into_bytes()).collect();
        want.push(b"hello".to_vec());
        want.push(vec![b'x'; 200]);
        assert_eq!(got, want);
    }

    #[test]
    fn nodes_round_trip() {
        let master = StreamId::new(10, 3);
        let mut b = Block::with_fields(&[b"a"]);
        b.append_entry(master, master, &[(b"a", b"1")], false);
        b.append_entry(master, StreamId::new(11, 0), &[(b"a", b"2")], true);
        b.append_entry(
            master,
            StreamId::new(12, 0),
            &[(b"b", b"zz"), (b"c", b"")],
            false,
        );
        let lp = node_listpack(master, &b);
        let back = read_node(master, &lp).expect("node reads back");
        assert_eq!(back.entries(master), b.entries(master));
        assert_eq!((back.live, back.deleted), (2, 1));
    }
}
