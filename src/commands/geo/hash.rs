//! Geohash arithmetic, ported from Redis's geohash.c and geohash_helper.c: 52-bit
//! interleaved scores (26 steps of longitude and latitude), the neighbours of a cell,
//! the cells that cover a search shape, and the haversine distance on Redis's sphere.

/// Steps of a full-precision hash (26 × 2 = 52 bits, exact in an f64 score).
pub const STEP_MAX: u8 = 26;
/// Southernmost latitude Redis indexes (EPSG:900913).
pub const LAT_MIN: f64 = -85.051_128_78;
/// Northernmost latitude Redis indexes.
pub const LAT_MAX: f64 = 85.051_128_78;
/// Westernmost longitude.
pub const LONG_MIN: f64 = -180.0;
/// Easternmost longitude.
pub const LONG_MAX: f64 = 180.0;

const D_R: f64 = std::f64::consts::PI / 180.0;
/// Earth's quadratic mean radius for WGS-84, in meters (Redis's constant).
const EARTH_RADIUS_IN_METERS: f64 = 6_372_797.560_856;
const MERCATOR_MAX: f64 = 20_037_726.37;

fn deg_rad(ang: f64) -> f64 {
    ang * D_R
}
fn rad_deg(ang: f64) -> f64 {
    ang / D_R
}

/// A hash of `step` steps (2 × step bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Bits {
    /// The interleaved bits (latitude in the even bits... as Redis: `[LAT][LONG]`).
    pub bits: u64,
    /// Steps of precision; 0 with bits 0 means "no cell".
    pub step: u8,
}

impl Bits {
    fn is_zero(self) -> bool {
        self.bits == 0 && self.step == 0
    }
}

/// A range of one coordinate.
#[derive(Debug, Clone, Copy, Default)]
pub struct Range {
    /// Lower end.
    pub min: f64,
    /// Upper end.
    pub max: f64,
}

/// The area of a cell.
#[derive(Debug, Clone, Copy, Default)]
pub struct Area {
    /// Longitudes covered.
    pub longitude: Range,
    /// Latitudes covered.
    pub latitude: Range,
}

/// The standard ranges (longitude, latitude).
fn ranges() -> (Range, Range) {
    (
        Range {
            min: LONG_MIN,
            max: LONG_MAX,
        },
        Range {
            min: LAT_MIN,
            max: LAT_MAX,
        },
    )
}

fn interleave64(xlo: u32, ylo: u32) -> u64 {
    const B: [u64; 5] = [
        0x5555_5555_5555_5555,
        0x3333_3333_3333_3333,
        0x0F0F_0F0F_0F0F_0F0F,
        0x00FF_00FF_00FF_00FF,
        0x0000_FFFF_0000_FFFF,
    ];
    const S: [u32; 5] = [1, 2, 4, 8, 16];
    let mut x = u64::from(xlo);
    let mut y = u64::from(ylo);
    for i in (0..5).rev() {
        x = (x | (x << S[i])) & B[i];
        y = (y | (y << S[i])) & B[i];
    }
    x | (y << 1)
}

fn deinterleave64(interleaved: u64) -> u64 {
    const B: [u64; 6] = [
        0x5555_5555_5555_5555,
        0x3333_3333_3333_3333,
        0x0F0F_0F0F_0F0F_0F0F,
        0x00FF_00FF_00FF_00FF,
        0x0000_FFFF_0000_FFFF,
        0x0000_0000_FFFF_FFFF,
    ];
    const S: [u32; 6] = [0, 1, 2, 4, 8, 16];
    let mut x = interleaved;
    let mut y = interleaved >> 1;
    for i in 0..6 {
        x = (x | (x >> S[i])) & B[i];
        y = (y | (y >> S[i])) & B[i];
    }
    x | (y << 32)
}

/// Encodes a point in the given ranges with `step` steps (Redis's `geohashEncode`);
/// `None` outside the ranges or Redis's limits.
pub fn encode(lr: Range, la: Range, longitude: f64, latitude: f64, step: u8) -> Option<Bits> {
    if step > 32 || step == 0 {
        return None;
    }
    if !(LONG_MIN..=LONG_MAX).contains(&longitude) || !(LAT_MIN..=LAT_MAX).contains(&latitude) {
        return None;
    }
    if latitude < la.min || latitude > la.max || longitude < lr.min || longitude > lr.max {
        return None;
    }
    let scale = (1u64 << step) as f64;
    let lat_offset = (latitude - la.min) / (la.max - la.min) * scale;
    let long_offset = (longitude - lr.min) / (lr.max - lr.min) * scale;
    Some(Bits {
        bits: interleave64(lat_offset as u32, long_offset as u32),
        step,
    })
}

/// Encodes with the WGS84 ranges.
pub fn encode_wgs84(longitude: f64, latitude: f64, step: u8) -> Option<Bits> {
    let (lr, la) = ranges();
    encode(lr, la, longitude, latitude, step)
}

/// The area of a cell (Redis's `geohashDecode`); `None` for the zero hash.
pub fn decode(lr: Range, la: Range, hash: Bits) -> Option<Area> {
    if hash.is_zero() {
        return None;
    }
    let sep = deinterleave64(hash.bits);
    let lat_scale = la.max - la.min;
    let long_scale = lr.max - lr.min;
    let ilato = sep as u32;
    let ilono = (sep >> 32) as u32;
    let div = (1u64 << hash.step) as f64;
    Some(Area {
        latitude: Range {
            min: la.min + (f64::from(ilato) * 1.0 / div) * lat_scale,
            max: la.min + ((f64::from(ilato) + 1.0) * 1.0 / div) * lat_scale,
        },
        longitude: Range {
            min: lr.min + (f64::from(ilono) * 1.0 / div) * long_scale,
            max: lr.min + ((f64::from(ilono) + 1.0) * 1.0 / div) * long_scale,
        },
    })
}

/// The centre of a 52-bit score's cell, clamped to Redis's limits
/// (`decodeGeohash`): `[longitude, latitude]`.
pub fn decode_score(score: f64) -> Option<[f64; 2]> {
    let (lr, la) = ranges();
    let area = decode(
        lr,
        la,
        Bits {
            bits: score as u64,
            step: STEP_MAX,
        },
    )?;
    let x = ((area.longitude.min + area.longitude.max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let y = ((area.latitude.min + area.latitude.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    Some([x, y])
}

/// The 52-bit score of a hash (`geohashAlign52Bits`).
pub fn align52(hash: Bits) -> u64 {
    hash.bits << (52 - u32::from(hash.step) * 2)
}

/// Moves a cell one step along the bits of `mask` (the odd bits: longitude, the even
/// ones: latitude), forward when `d > 0`, back when `d < 0` (Redis's
/// `geohash_move_x` / `geohash_move_y`).
fn move_along(hash: &mut Bits, d: i8, mask: u64) {
    if d == 0 {
        return;
    }
    let shift = 64 - u32::from(hash.step) * 2;
    let other = hash.bits & !mask;
    let mut v = hash.bits & mask;
    let zz = (!mask).checked_shr(shift).unwrap_or(0);
    if d > 0 {
        v = v.wrapping_add(zz.wrapping_add(1));
    } else {
        v |= zz;
        v = v.wrapping_sub(zz.wrapping_add(1));
    }
    v &= mask.checked_shr(shift).unwrap_or(0);
    hash.bits = v | other;
}

fn move_x(hash: &mut Bits, d: i8) {
    move_along(hash, d, 0xaaaa_aaaa_aaaa_aaaa);
}

fn move_y(hash: &mut Bits, d: i8) {
    move_along(hash, d, 0x5555_5555_5555_5555);
}

fn moved(hash: Bits, dx: i8, dy: i8) -> Bits {
    let mut h = hash;
    move_x(&mut h, dx);
    move_y(&mut h, dy);
    h
}

/// A search shape: a circle (`radius`) or a box (`width`, `height`), centred on
/// `xy`, in the unit whose meters are `conversion`.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Centre: longitude, latitude.
    pub xy: [f64; 2],
    /// Meters per unit.
    pub conversion: f64,
    /// The circle's radius, or `None` for a box.
    pub radius: Option<f64>,
    /// The box's width and height.
    pub box_wh: (f64, f64),
}

impl Shape {
    fn half_extent(&self) -> (f64, f64) {
        match self.radius {
            Some(r) => (r * self.conversion, r * self.conversion),
            None => (
                self.conversion * self.box_wh.0 / 2.0,
                self.conversion * self.box_wh.1 / 2.0,
            ),
        }
    }

    /// The distance (meters) from the centre to `xy`, or `None` when outside the
    /// shape (Redis's `geoWithinShape` after decoding).
    pub fn contains(&self, xy: [f64; 2]) -> Option<f64> {
        match self.radius {
            Some(r) => {
                let d = distance(self.xy[0], self.xy[1], xy[0], xy[1]);
                (d <= r * self.conversion).then_some(d)
            }
            None => {
                let (w, h) = (
                    self.box_wh.0 * self.conversion,
                    self.box_wh.1 * self.conversion,
                );
                if lat_distance(xy[1], self.xy[1]) > h / 2.0 {
                    return None;
                }
                if distance(xy[0], xy[1], self.xy[0], xy[1]) > w / 2.0 {
                    return None;
                }
                Some(distance(self.xy[0], self.xy[1], xy[0], xy[1]))
            }
        }
    }
}

/// Steps whose cells cover `range_meters` at `lat` (`geohashEstimateStepsByRadius`).
fn estimate_steps(mut range_meters: f64, lat: f64) -> u8 {
    if range_meters == 0.0 {
        return 26;
    }
    let mut step: i32 = 1;
    while range_meters < MERCATOR_MAX {
        range_meters *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

/// The bounding box of a shape: min longitude, min latitude, max longitude, max
/// latitude (`geohashBoundingBox`).
fn bounding_box(shape: &Shape) -> [f64; 4] {
    let [longitude, latitude] = shape.xy;
    let (width, height) = shape.half_extent();
    let lat_delta = rad_deg(height / EARTH_RADIUS_IN_METERS);
    let long_delta_top =
        rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(latitude + lat_delta).cos());
    let long_delta_bottom =
        rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(latitude - lat_delta).cos());
    let southern = latitude < 0.0;
    let delta = if southern {
        long_delta_bottom
    } else {
        long_delta_top
    };
    [
        longitude - delta,
        latitude - lat_delta,
        longitude + delta,
        latitude + lat_delta,
    ]
}

/// The cells to scan for a shape, in Redis's order (centre, N, S, E, W, NE, NW, SE,
/// SW), useless ones zeroed (`geohashCalculateAreasByShapeWGS84`).
pub fn covering_cells(shape: &Shape) -> [Bits; 9] {
    let (lr, la) = ranges();
    let [min_lon, min_lat, max_lon, max_lat] = bounding_box(shape);
    let [longitude, latitude] = shape.xy;
    let radius_meters = match shape.radius {
        Some(r) => r,
        None => {
            let (w, h) = shape.box_wh;
            ((w / 2.0) * (w / 2.0) + (h / 2.0) * (h / 2.0)).sqrt()
        }
    } * shape.conversion;
    let mut steps = estimate_steps(radius_meters, latitude);
    let cells = |steps: u8| {
        let hash = encode(lr, la, longitude, latitude, steps).unwrap_or_default();
        let n = [
            hash,
            moved(hash, 0, 1),
            moved(hash, 0, -1),
            moved(hash, 1, 0),
            moved(hash, -1, 0),
            moved(hash, 1, 1),
            moved(hash, -1, 1),
            moved(hash, 1, -1),
            moved(hash, -1, -1),
        ];
        (n, decode(lr, la, hash).unwrap_or_default())
    };
    let (mut n, mut area) = cells(steps);
    let area_of = |h: Bits| decode(lr, la, h).unwrap_or_default();
    let decrease = area_of(n[1]).latitude.max < max_lat
        || area_of(n[2]).latitude.min > min_lat
        || area_of(n[3]).longitude.max < max_lon
        || area_of(n[4]).longitude.min > min_lon;
    if steps > 1 && decrease {
        steps -= 1;
        (n, area) = cells(steps);
    }
    if steps >= 2 {
        let zero = Bits::default();
        if area.latitude.min < min_lat {
            for i in [2, 8, 7] {
                n[i] = zero;
            }
        }
        if area.latitude.max > max_lat {
            for i in [1, 5, 6] {
                n[i] = zero;
            }
        }
        if area.longitude.min < min_lon {
            for i in [4, 8, 6] {
                n[i] = zero;
            }
        }
        if area.longitude.max > max_lon {
            for i in [3, 7, 5] {
                n[i] = zero;
            }
        }
    }
    n
}

/// The score range `[min, max)` of a cell (`scoresOfGeoHashBox`).
pub fn cell_scores(hash: Bits) -> (f64, f64) {
    let min = align52(hash);
    let max = align52(Bits {
        bits: hash.bits + 1,
        step: hash.step,
    });
    (min as f64, max as f64)
}

/// True for a cell to skip (zeroed).
pub fn is_none(hash: Bits) -> bool {
    hash.is_zero()
}

/// Distance along a meridian, in meters.
fn lat_distance(lat1d: f64, lat2d: f64) -> f64 {
    EARTH_RADIUS_IN_METERS * (deg_rad(lat2d) - deg_rad(lat1d)).abs()
}

/// Haversine distance in meters (`geohashGetDistance`).
pub fn distance(lon1d: f64, lat1d: f64, lon2d: f64, lat2d: f64) -> f64 {
    let lon1r = deg_rad(lon1d);
    let lon2r = deg_rad(lon2d);
    let v = ((lon2r - lon1r) / 2.0).sin();
    if v == 0.0 {
        return lat_distance(lat1d, lat2d);
    }
    let lat1r = deg_rad(lat1d);
    let lat2r = deg_rad(lat2d);
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS_IN_METERS * a.sqrt().asin()
}

/// The standard 11-character geohash of a score (GEOHASH: re-encoded on the
/// [-180,180]×[-90,90] ranges).
pub fn standard_geohash(score: f64) -> Option<[u8; 11]> {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let xy = decode_score(score)?;
    let lr = Range {
        min: -180.0,
        max: 180.0,
    };
    let la = Range {
        min: -90.0,
        max: 90.0,
    };
    let hash = encode(lr, la, xy[0], xy[1], 26).unwrap_or_default();
    let mut buf = [0u8; 11];
    for (i, b) in buf.iter_mut().enumerate() {
        let idx = if i == 10 {
            0
        } else {
            ((hash.bits >> (52 - (i + 1) * 5)) & 0x1f) as usize
        };
        *b = ALPHABET[idx];
    }
    Some(buf)
}

/// `%.17Lf` with trailing zeroes (and a trailing dot) removed, `-0` as `0`: Redis's
/// `LD_STR_HUMAN`, as GEOPOS and WITHCOORD print coordinates.
pub fn human(v: f64) -> String {
    let mut s = format!("{v:.17}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".to_string();
    }
    s
}

/// A distance with 4 decimals, as Redis's `fixedpoint_d2string(.., 4)` (llrint of
/// the value × 10⁴).
pub fn fixed4(v: f64) -> String {
    if v == 0.0 {
        return "0.0000".to_string();
    }
    let scaled = (v * 10000.0).round_ties_even() as i64;
    let sign = if scaled < 0 { "-" } else { "" };
    let abs = scaled.unsigned_abs();
    format!("{sign}{}.{:04}", abs / 10000, abs % 10000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn palermo_round_trip_and_hash() {
        let h = encode_wgs84(13.361389, 38.115556, STEP_MAX).unwrap();
        let score = align52(h);
        assert_eq!(score, 3479099956230698);
        let xy = decode_score(score as f64).unwrap();
        assert_eq!(human(xy[0]), "13.36138933897018433");
        assert_eq!(human(xy[1]), "38.11555639549629859");
        assert_eq!(&standard_geohash(score as f64).unwrap(), b"sqc8b49rny0");
    }

    #[test]
    fn palermo_catania_distance() {
        let a = decode_score(3479099956230698.0).unwrap();
        let b = decode_score(3479447370796909.0).unwrap();
        assert_eq!(fixed4(distance(a[0], a[1], b[0], b[1])), "166274.1516");
    }

    #[test]
    fn fixed4_forms() {
        assert_eq!(fixed4(0.0), "0.0000");
        assert_eq!(fixed4(0.77505), "0.7750");
        assert_eq!(fixed4(12.5), "12.5000");
        assert_eq!(fixed4(-1.25), "-1.2500");
    }
}
