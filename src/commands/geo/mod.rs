//! Geo commands (Redis's geo.c): GEOADD GEODIST GEOHASH GEOPOS, and the searches
//! GEOSEARCH GEOSEARCHSTORE GEORADIUS[_RO] GEORADIUSBYMEMBER[_RO] ([`search`]). A geo
//! index is a sorted set whose scores are 52-bit geohashes ([`hash`]), so every
//! sorted set command works on it, and coordinates and distances print as Redis's.

pub mod hash;
pub mod search;

use self::hash::{STEP_MAX, align52, decode_score, distance, encode_wgs84, fixed4, human};
use crate::commands::CommandSpec;
use crate::commands::Ctx;
use crate::commands::args::is;
use crate::commands::zset::members::{as_zset, zadd};
use crate::commands::zset::score_text::parse_double;
use crate::error::CmdError;
use crate::protocol::{OwnedRequest, Reply, Request};
use crate::spec::{Begin, Find, Group, KeySpec};
use crate::store::Kind;
use crate::{cats, flags, kf};

/// A STORE / STOREDIST key spec of GEORADIUS*: the key after `keyword`.
const fn store_key(keyword: &'static str, start_from: i32) -> KeySpec {
    KeySpec {
        flags: kf!(OW | UPDATE),
        begin: Begin::Keyword {
            keyword,
            start_from,
        },
        find: Find::Range {
            last: 0,
            step: 1,
            limit: 0,
        },
    }
}

/// This family's commands.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "geoadd",
        -5,
        flags!(WRITE | DENYOOM),
        Group::Geo,
        "Add one or more geospatial items in the geospatial index represented using a sorted set",
        geoadd,
    )
    .acl(cats!(GEO))
    .keys(&[KeySpec::at(kf!(RW | UPDATE), 1)]),
    CommandSpec::new(
        "geodist",
        -4,
        flags!(READONLY),
        Group::Geo,
        "Returns the distance between two members of a geospatial index",
        geodist,
    )
    .acl(cats!(GEO))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
        "geohash",
        -2,
        flags!(READONLY),
        Group::Geo,
        "Returns members of a geospatial index as standard geohash strings",
        geohash,
    )
    .acl(cats!(GEO))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
        "geopos",
        -2,
        flags!(READONLY),
        Group::Geo,
        "Returns longitude and latitude of members of a geospatial index",
        geopos,
    )
    .acl(cats!(GEO))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
        "geosearch",
        -7,
        flags!(READONLY),
        Group::Geo,
        "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.",
        search::geosearch,
    )
    .acl(cats!(GEO))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
        "geosearchstore",
        -8,
        flags!(WRITE | DENYOOM),
        Group::Geo,
        "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.",
        search::geosearchstore,
    )
    .acl(cats!(GEO))
    .keys(&[
        KeySpec::at(kf!(OW | UPDATE), 1),
        KeySpec::at(kf!(RO | ACCESS), 2),
    ]),
    CommandSpec::new(
        "georadius",
        -6,
        flags!(WRITE | DENYOOM),
        Group::Geo,
        "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point",
        search::georadius,
    )
    .acl(cats!(GEO))
    .keys(&[
        KeySpec::at(kf!(RO | ACCESS), 1),
        store_key("STORE", 6),
        store_key("STOREDIST", 6),
    ]),
    CommandSpec::new(
        "georadius_ro",
        -6,
        flags!(READONLY),
        Group::Geo,
        "A read-only variant for GEORADIUS",
        search::georadius_ro,
    )
    .acl(cats!(GEO))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
    CommandSpec::new(
        "georadiusbymember",
        -5,
        flags!(WRITE | DENYOOM),
        Group::Geo,
        "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member",
        search::georadiusbymember,
    )
    .acl(cats!(GEO))
    .keys(&[
        KeySpec::at(kf!(RO | ACCESS), 1),
        store_key("STORE", 5),
        store_key("STOREDIST", 5),
    ]),
    CommandSpec::new(
        "georadiusbymember_ro",
        -5,
        flags!(READONLY),
        Group::Geo,
        "A read-only variant for GEORADIUSBYMEMBER",
        search::georadiusbymember_ro,
    )
    .acl(cats!(GEO))
    .keys(&[KeySpec::at(kf!(RO | ACCESS), 1)]),
];

/// A longitude, latitude pair from two arguments (`extractLongLatOrReply`).
/// # Errors
/// `ERR value is not a valid float`, `ERR invalid longitude,latitude pair ...`.
pub fn parse_lon_lat(lon: &[u8], lat: &[u8]) -> Result<[f64; 2], CmdError> {
    let x = parse_double(lon).ok_or(CmdError::NotFloat)?;
    let y = parse_double(lat).ok_or(CmdError::NotFloat)?;
    if !(hash::LONG_MIN..=hash::LONG_MAX).contains(&x)
        || !(hash::LAT_MIN..=hash::LAT_MAX).contains(&y)
    {
        return Err(CmdError::msg(format!(
            "ERR invalid longitude,latitude pair {x:.6},{y:.6}"
        )));
    }
    Ok([x, y])
}

/// Meters per `unit` (`extractUnitOrReply`).
/// # Errors
/// `ERR unsupported unit provided. please use M, KM, FT, MI`.
pub fn parse_unit(unit: &[u8]) -> Result<f64, CmdError> {
    if is(unit, "m") {
        Ok(1.0)
    } else if is(unit, "km") {
        Ok(1000.0)
    } else if is(unit, "ft") {
        Ok(0.3048)
    } else if is(unit, "mi") {
        Ok(1609.34)
    } else {
        Err(CmdError::msg(
            "ERR unsupported unit provided. please use M, KM, FT, MI",
        ))
    }
}

/// Writes a coordinate as Redis's `addReplyHumanLongDouble`: a bulk string in
/// RESP2, a double in RESP3.
pub fn reply_coord(out: &mut Reply<'_>, v: f64) {
    out.double_text(human(v).as_bytes());
}

/// ```text
/// GEOADD key [NX | XX] [CH] longitude latitude member [longitude latitude member ...]
/// ```
/// Runs as ZADD with the members' 52-bit geohash scores (and propagates as that
/// ZADD, as Redis does): the number of members added (or changed, with CH).
/// # Errors
/// `ERR syntax error`, `ERR value is not a valid float`,
/// `ERR invalid longitude,latitude pair ...`, WRONGTYPE.
fn geoadd(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let (mut xx, mut nx) = (false, false);
    let mut at = 2;
    while at < req.len() {
        let opt = req.arg(at);
        if is(opt, "nx") {
            nx = true;
        } else if is(opt, "xx") {
            xx = true;
        } else if !is(opt, "ch") {
            break;
        }
        at += 1;
    }
    if !(req.len() - at).is_multiple_of(3) || (xx && nx) {
        return Err(CmdError::Syntax);
    }
    let mut scores = Vec::with_capacity((req.len() - at) / 3);
    for j in (at..req.len()).step_by(3) {
        let [x, y] = parse_lon_lat(req.arg(j), req.arg(j + 1))?;
        let bits = encode_wgs84(x, y, STEP_MAX).map_or(0, align52);
        scores.push(itoa::Buffer::new().format(bits).to_string());
    }
    let mut argv: Vec<&[u8]> = Vec::with_capacity(at + scores.len() * 2);
    argv.push(b"zadd");
    argv.extend(req.args().skip(1).take(at - 1));
    for (i, score) in scores.iter().enumerate() {
        argv.push(score.as_bytes());
        argv.push(req.arg(at + i * 3 + 2));
    }
    let zreq = OwnedRequest::from_args(argv.iter().copied());
    let dirty = ctx.store.dirty();
    zadd(ctx, &zreq.request())?;
    if ctx.propagating() && ctx.store.dirty() != dirty {
        ctx.propagate(&argv);
    }
    Ok(())
}

/// The scores of `members` in the sorted set at `key` (None for a missing member),
/// or `None` when the key is missing.
fn scores_of(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    members: &[&[u8]],
) -> Result<Option<Vec<Option<f64>>>, CmdError> {
    let Some(k) = ctx.read_key_of(key, Kind::ZSet)? else {
        return Ok(None);
    };
    let z = as_zset(k.value())?;
    Ok(Some(members.iter().map(|m| z.score(m)).collect()))
}

/// ```text
/// GEODIST key member1 member2 [M | KM | FT | MI]
/// ```
/// The distance between the members (4 decimals), or null when one is missing.
/// # Errors
/// `ERR syntax error`, `ERR unsupported unit provided. please use M, KM, FT, MI`,
/// WRONGTYPE.
fn geodist(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let to_meter = match req.len() {
        5 => parse_unit(req.arg(4))?,
        n if n > 5 => return Err(CmdError::Syntax),
        _ => 1.0,
    };
    let scores = scores_of(ctx, req.arg(1), &[req.arg(2), req.arg(3)])?;
    let Some([Some(a), Some(b)]) = scores.as_deref().map(|s| [s[0], s[1]]) else {
        ctx.out.null();
        return Ok(());
    };
    match (decode_score(a), decode_score(b)) {
        (Some(p), Some(q)) => {
            let d = distance(p[0], p[1], q[0], q[1]) / to_meter;
            ctx.out.bulk(fixed4(d).as_bytes());
        }
        _ => ctx.out.null(),
    }
    Ok(())
}

/// ```text
/// GEOHASH key [member [member ...]]
/// ```
/// The members' standard 11-character geohashes (null for missing members).
/// # Errors
/// WRONGTYPE.
fn geohash(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let members: Vec<&[u8]> = req.args().skip(2).collect();
    let scores = scores_of(ctx, req.arg(1), &members)?.unwrap_or_default();
    ctx.out.array_len(members.len());
    for i in 0..members.len() {
        match scores
            .get(i)
            .copied()
            .flatten()
            .and_then(hash::standard_geohash)
        {
            Some(h) => ctx.out.bulk(&h),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

/// ```text
/// GEOPOS key [member [member ...]]
/// ```
/// Each member's `[longitude, latitude]`, or a null array when missing.
/// # Errors
/// WRONGTYPE.
fn geopos(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    let members: Vec<&[u8]> = req.args().skip(2).collect();
    let scores = scores_of(ctx, req.arg(1), &members)?.unwrap_or_default();
    ctx.out.array_len(members.len());
    for i in 0..members.len() {
        match scores.get(i).copied().flatten().and_then(decode_score) {
            Some([x, y]) => {
                ctx.out.array_len(2);
                reply_coord(&mut ctx.out, x);
                reply_coord(&mut ctx.out, y);
            }
            None => ctx.out.null_array(),
        }
    }
    Ok(())
}
