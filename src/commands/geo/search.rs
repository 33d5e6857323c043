//! The geo searches, one routine for all six commands (Redis's `georadiusGeneric`):
//! GEOSEARCH, GEOSEARCHSTORE, GEORADIUS[_RO] and GEORADIUSBYMEMBER[_RO]. The cells
//! covering the shape are scanned as score ranges of the sorted set, each candidate
//! is checked against the exact shape, then the results are sorted, cut to COUNT, and
//! replied or stored.

use super::hash::{self, Shape, cell_scores, covering_cells, decode_score, fixed4};
use super::{parse_lon_lat, parse_unit, reply_coord};
use crate::commands::Ctx;
use crate::commands::args::{is, parse_i64};
use crate::commands::zset::members::{as_zset, limits};
use crate::commands::zset::score_text::parse_double;
use crate::error::CmdError;
use crate::protocol::Request;
use crate::store::zset::ZSet;
use crate::store::{Bytes, Event, Kind, Value, class};

/// The event of GEOSEARCHSTORE's destination.
const GEOSEARCHSTORE: Event = Event::new(class::ZSET, "geosearchstore");
/// The event of GEORADIUS ... STORE's destination.
const GEORADIUSSTORE: Event = Event::new(class::ZSET, "georadiusstore");

/// Which command runs the search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// GEORADIUS[_RO] key longitude latitude radius unit ...
    Radius { store_ok: bool },
    /// GEORADIUSBYMEMBER[_RO] key member radius unit ...
    ByMember { store_ok: bool },
    /// GEOSEARCH key ...
    Search,
    /// GEOSEARCHSTORE dst src ...
    SearchStore,
}

/// Result ordering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sort {
    None,
    Asc,
    Desc,
}

/// One member found.
#[derive(Debug)]
struct Point {
    member: Vec<u8>,
    xy: [f64; 2],
    dist: f64,
    score: f64,
}

/// Parsed options.
#[derive(Debug)]
struct Options {
    withdist: bool,
    withhash: bool,
    withcoord: bool,
    any: bool,
    sort: Sort,
    count: usize,
    store: Option<Vec<u8>>,
    storedist: bool,
    shape: Shape,
}

pub(super) fn georadius(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    generic(ctx, req, Variant::Radius { store_ok: true })
}
pub(super) fn georadius_ro(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    generic(ctx, req, Variant::Radius { store_ok: false })
}
pub(super) fn georadiusbymember(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    generic(ctx, req, Variant::ByMember { store_ok: true })
}
pub(super) fn georadiusbymember_ro(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    generic(ctx, req, Variant::ByMember { store_ok: false })
}
pub(super) fn geosearch(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    generic(ctx, req, Variant::Search)
}
pub(super) fn geosearchstore(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    generic(ctx, req, Variant::SearchStore)
}

/// A radius and unit (`extractDistanceOrReply`): (radius, meters per unit).
fn parse_distance(radius: &[u8], unit: &[u8]) -> Result<(f64, f64), CmdError> {
    let r = parse_double(radius).ok_or(CmdError::msg("ERR need numeric radius"))?;
    if r < 0.0 {
        return Err(CmdError::msg("ERR radius cannot be negative"));
    }
    Ok((r, parse_unit(unit)?))
}

/// The score of `member` decoded, or Redis's error.
fn member_xy(z: &ZSet, member: &[u8]) -> Result<[f64; 2], CmdError> {
    z.score(member)
        .and_then(decode_score)
        .ok_or(CmdError::msg("ERR could not decode requested zset member"))
}

/// The whole search: GEORADIUS's and GEOSEARCH's grammars, see the module doc.
/// # Errors
/// Redis's texts: `ERR syntax error`, `ERR COUNT must be > 0`,
/// `ERR could not decode requested zset member`, `ERR need numeric radius`, ...
fn generic(ctx: &mut Ctx<'_>, req: &Request<'_>, variant: Variant) -> Result<(), CmdError> {
    let src_index = if variant == Variant::SearchStore {
        2
    } else {
        1
    };
    let src = req.arg(src_index);
    // The source, copied out of the read (the search needs it while parsing
    // FROMMEMBER); only the members in the scanned cells are copied later.
    let mut found: Option<Vec<Point>> = None;
    let opts;
    {
        let k = ctx.read_key_of(src, Kind::ZSet)?;
        let z = match &k {
            Some(k) => Some(as_zset(k.value())?),
            None => None,
        };
        opts = parse(req, variant, z)?;
        if let Some(z) = z {
            let limit = if opts.any { opts.count } else { 0 };
            found = Some(points(z, &opts.shape, limit));
        }
    }
    let Some(mut pts) = found else {
        if let Some(dst) = &opts.store {
            delete_dst(ctx, dst);
            ctx.out.int(0);
        } else {
            ctx.out.array_len(0);
        }
        return Ok(());
    };
    let mut sort = opts.sort;
    if opts.count != 0 && sort == Sort::None && !opts.any {
        sort = Sort::Asc;
    }
    match sort {
        Sort::Asc => pts.sort_by(|a, b| a.dist.total_cmp(&b.dist)),
        Sort::Desc => pts.sort_by(|a, b| b.dist.total_cmp(&a.dist)),
        Sort::None => {}
    }
    let returned = if opts.count == 0 {
        pts.len()
    } else {
        pts.len().min(opts.count)
    };
    pts.truncate(returned);
    let conversion = opts.shape.conversion;
    match &opts.store {
        None => reply_points(ctx, &pts, &opts, conversion),
        Some(dst) => {
            if pts.is_empty() {
                delete_dst(ctx, dst);
                ctx.out.int(0);
                return Ok(());
            }
            let entries: Vec<(Bytes, f64)> = pts
                .iter()
                .map(|p| {
                    let score = if opts.storedist {
                        p.dist / conversion
                    } else {
                        p.score
                    };
                    (Bytes::from_slice(&p.member), score)
                })
                .collect();
            let z = ZSet::from_entries(entries, limits(ctx));
            let event = if variant == Variant::SearchStore {
                GEOSEARCHSTORE
            } else {
                GEORADIUSSTORE
            };
            ctx.insert_key(dst, Value::ZSet(Box::new(z)), 0)
                .changed_n(event, returned as u64);
            ctx.out.int(returned as i64);
        }
    }
    Ok(())
}

/// Deletes the destination of an empty stored search (a `del` event when it existed).
fn delete_dst(ctx: &mut Ctx<'_>, dst: &[u8]) {
    let old = ctx.write_key(dst).map(|k| k.remove(Event::DEL));
    if let Some(old) = old {
        ctx.store.dispose(old.value);
    }
}

/// Writes the found points with the WITH* options.
fn reply_points(ctx: &mut Ctx<'_>, pts: &[Point], opts: &Options, conversion: f64) {
    let extra =
        usize::from(opts.withdist) + usize::from(opts.withhash) + usize::from(opts.withcoord);
    let out = &mut ctx.out;
    out.array_len(pts.len());
    for p in pts {
        if extra > 0 {
            out.array_len(extra + 1);
        }
        out.bulk(&p.member);
        if opts.withdist {
            out.bulk(fixed4(p.dist / conversion).as_bytes());
        }
        if opts.withhash {
            out.int(p.score as i64);
        }
        if opts.withcoord {
            out.array_len(2);
            reply_coord(out, p.xy[0]);
            reply_coord(out, p.xy[1]);
        }
    }
}

/// Parses the arguments of `variant`; `z` is the source (FROMMEMBER and
/// GEORADIUSBYMEMBER read their centre from it).
fn parse(req: &Request<'_>, variant: Variant, z: Option<&ZSet>) -> Result<Options, CmdError> {
    let mut shape = Shape {
        xy: [0.0, 0.0],
        conversion: 1.0,
        radius: Some(0.0),
        box_wh: (0.0, 0.0),
    };
    let mut o = Options {
        withdist: false,
        withhash: false,
        withcoord: false,
        any: false,
        sort: Sort::None,
        count: 0,
        store: None,
        storedist: false,
        shape,
    };
    let base = match variant {
        Variant::Radius { .. } => {
            shape.xy = parse_lon_lat(req.arg(2), req.arg(3))?;
            let (r, conv) = parse_distance(req.arg(4), req.arg(5))?;
            shape.radius = Some(r);
            shape.conversion = conv;
            6
        }
        Variant::ByMember { .. } => {
            if let Some(z) = z {
                shape.xy = member_xy(z, req.arg(2))?;
                let (r, conv) = parse_distance(req.arg(3), req.arg(4))?;
                shape.radius = Some(r);
                shape.conversion = conv;
            }
            5
        }
        Variant::Search => 2,
        Variant::SearchStore => {
            o.store = Some(req.arg(1).to_vec());
            3
        }
    };
    let store_ok = matches!(
        variant,
        Variant::Radius { store_ok: true } | Variant::ByMember { store_ok: true }
    );
    let search = matches!(variant, Variant::Search | Variant::SearchStore);
    let (mut frommember, mut fromloc, mut byradius, mut bybox) = (false, false, false, false);
    let n = req.len();
    let mut i = base;
    while i < n {
        let arg = req.arg(i);
        let left = n - i - 1;
        if is(arg, "withdist") {
            o.withdist = true;
        } else if is(arg, "withhash") {
            o.withhash = true;
        } else if is(arg, "withcoord") {
            o.withcoord = true;
        } else if is(arg, "any") {
            o.any = true;
        } else if is(arg, "asc") {
            o.sort = Sort::Asc;
        } else if is(arg, "desc") {
            o.sort = Sort::Desc;
        } else if is(arg, "count") && left >= 1 {
            let c = parse_i64(req.arg(i + 1))?;
            if c <= 0 {
                return Err(CmdError::msg("ERR COUNT must be > 0"));
            }
            o.count = c as usize;
            i += 1;
        } else if (is(arg, "store") || is(arg, "storedist")) && left >= 1 && store_ok {
            o.store = Some(req.arg(i + 1).to_vec());
            o.storedist = is(arg, "storedist");
            i += 1;
        } else if is(arg, "storedist") && variant == Variant::SearchStore {
            o.storedist = true;
        } else if is(arg, "frommember") && left >= 1 && search && !fromloc {
            if let Some(z) = z {
                shape.xy = member_xy(z, req.arg(i + 1))?;
            }
            frommember = true;
            i += 1;
        } else if is(arg, "fromlonlat") && left >= 2 && search && !frommember {
            shape.xy = parse_lon_lat(req.arg(i + 1), req.arg(i + 2))?;
            fromloc = true;
            i += 2;
        } else if is(arg, "byradius") && left >= 2 && search && !bybox {
            let (r, conv) = parse_distance(req.arg(i + 1), req.arg(i + 2))?;
            shape.radius = Some(r);
            shape.conversion = conv;
            byradius = true;
            i += 2;
        } else if is(arg, "bybox") && left >= 3 && search && !byradius {
            let w = parse_double(req.arg(i + 1)).ok_or(CmdError::msg("ERR need numeric width"))?;
            let h = parse_double(req.arg(i + 2)).ok_or(CmdError::msg("ERR need numeric height"))?;
            if h < 0.0 || w < 0.0 {
                return Err(CmdError::msg("ERR height or width cannot be negative"));
            }
            shape.conversion = parse_unit(req.arg(i + 3))?;
            shape.radius = None;
            shape.box_wh = (w, h);
            bybox = true;
            i += 3;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if o.store.is_some() && (o.withdist || o.withhash || o.withcoord) {
        let what = if variant == Variant::SearchStore {
            "GEOSEARCHSTORE"
        } else {
            "STORE option in GEORADIUS"
        };
        return Err(CmdError::msg(format!(
            "ERR {what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        )));
    }
    let name = String::from_utf8_lossy(req.arg(0));
    if search && !(frommember || fromloc) {
        return Err(CmdError::msg(format!(
            "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}"
        )));
    }
    if search && !(byradius || bybox) {
        return Err(CmdError::msg(format!(
            "ERR exactly one of BYRADIUS and BYBOX can be specified for {name}"
        )));
    }
    if o.any && o.count == 0 {
        return Err(CmdError::msg(
            "ERR the ANY argument requires COUNT argument",
        ));
    }
    o.shape = shape;
    Ok(o)
}

/// The members of `z` inside `shape`, cell by cell in Redis's order; with a
/// `limit` (ANY), stops once that many are found.
fn points(z: &ZSet, shape: &Shape, limit: usize) -> Vec<Point> {
    let cells = covering_cells(shape);
    let mut found = Vec::new();
    let mut last: Option<usize> = None;
    for (i, &cell) in cells.iter().enumerate() {
        if hash::is_none(cell) {
            continue;
        }
        // A huge radius can make neighbours the same cell: scan it once.
        if let Some(l) = last
            && l != 0
            && cells[l] == cell
        {
            continue;
        }
        if limit != 0 && found.len() >= limit {
            break;
        }
        let (min, max) = cell_scores(cell);
        let rank = z.count_scores_while(|s| s < min);
        for (member, score) in z.iter_from(rank, false) {
            if score >= max {
                break;
            }
            if let Some(xy) = decode_score(score)
                && let Some(dist) = shape.contains(xy)
            {
                found.push(Point {
                    member: member.to_vec(),
                    xy,
                    dist,
                    score,
                });
            }
            if limit != 0 && found.len() >= limit {
                break;
            }
        }
        last = Some(i);
    }
    found
}
