//! Unit tests of the client's codecs: serializer bytes, deserializer mapping, reply reader.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufReader, Read};

use serde::{Deserialize, Serialize};

use super::*;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Shape {
    Empty,
    Circle(f64),
    Point(i32, i32),
    Rect { w: u32, h: u32 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Doc {
    name: String,
    tags: Vec<String>,
    count: i64,
    ratio: f64,
    small: f32,
    flag: bool,
    missing: Option<i32>,
    present: Option<i32>,
    shapes: Vec<Shape>,
    pair: (u8, char),
    big: u64,
    unit: (),
}

fn doc() -> Doc {
    Doc {
        name: "rudis".into(),
        tags: vec!["a".into(), "".into(), "ünï".into()],
        count: -42,
        ratio: 0.1,
        small: 0.1,
        flag: true,
        missing: None,
        present: Some(7),
        shapes: vec![
            Shape::Empty,
            Shape::Circle(1.5),
            Shape::Point(-1, 2),
            Shape::Rect { w: 3, h: 4 },
        ],
        pair: (255, 'x'),
        big: u64::MAX,
        unit: (),
    }
}

fn arg<T: Serialize + ?Sized>(value: &T) -> String {
    String::from_utf8(to_arg(value).expect("encodes")).expect("utf8")
}

/// Encodes `value` as an argument, decodes the bytes as a frame, then back into `T`.
fn roundtrip<T: Serialize + serde::de::DeserializeOwned>(value: &T) -> T {
    let bytes = to_arg(value).expect("encodes");
    let (frame, used) = Frame::decode(&bytes)
        .expect("valid RESP")
        .expect("complete");
    assert_eq!(used, bytes.len(), "one frame");
    from_frame(frame).expect("decodes")
}

#[test]
fn top_level_strings_and_numbers_are_bulk() {
    assert_eq!(arg("value"), "$5\r\nvalue\r\n");
    assert_eq!(arg(&String::new()), "$0\r\n\r\n");
    assert_eq!(arg(&'é'), "$2\r\né\r\n");
    assert_eq!(arg(&5i64), "$1\r\n5\r\n");
    assert_eq!(arg(&-7i8), "$2\r\n-7\r\n");
    assert_eq!(arg(&u64::MAX), "$20\r\n18446744073709551615\r\n");
    assert_eq!(arg(&2.5f64), "$3\r\n2.5\r\n");
    assert_eq!(arg(&3.0f64), "$1\r\n3\r\n");
    assert_eq!(arg(&Some("x")), "$1\r\nx\r\n");
}

#[test]
fn other_top_level_values_are_documents() {
    assert_eq!(arg(&true), "#t\r\n");
    assert_eq!(arg(&false), "#f\r\n");
    assert_eq!(arg(&None::<i32>), "_\r\n");
    assert_eq!(arg(&()), "_\r\n");
    assert_eq!(arg(&vec![1, 2, 3]), "*3\r\n:1\r\n:2\r\n:3\r\n");
    assert_eq!(arg::<[i32]>(&[]), "*0\r\n");
    let map = BTreeMap::from([("nested", vec![1, 2, 3])]);
    assert_eq!(arg(&map), "%1\r\n$6\r\nnested\r\n*3\r\n:1\r\n:2\r\n:3\r\n");
    assert_eq!(arg(&BTreeMap::from([(1, "a")])), "%1\r\n:1\r\n$1\r\na\r\n");
}

#[test]
fn nested_scalars_use_resp3_types() {
    assert_eq!(
        arg(&(
            1.5f64,
            0.1f32,
            f64::INFINITY,
            u64::MAX,
            i128::MIN,
            'c',
            None::<u8>
        )),
        "*7\r\n,1.5\r\n,0.1\r\n,inf\r\n(18446744073709551615\r\n\
         (-170141183460469231731687303715884105728\r\n$1\r\nc\r\n_\r\n"
    );
}

#[test]
fn enums_are_externally_tagged() {
    assert_eq!(arg(&Shape::Empty), "$5\r\nEmpty\r\n");
    assert_eq!(arg(&Shape::Circle(2.0)), "%1\r\n$6\r\nCircle\r\n,2\r\n");
    assert_eq!(
        arg(&Shape::Point(1, -2)),
        "%1\r\n$5\r\nPoint\r\n*2\r\n:1\r\n:-2\r\n"
    );
    assert_eq!(
        arg(&Shape::Rect { w: 3, h: 4 }),
        "%1\r\n$4\r\nRect\r\n%2\r\n$1\r\nw\r\n:3\r\n$1\r\nh\r\n:4\r\n"
    );
}

#[test]
fn structs_are_maps_with_bulk_field_names() {
    #[derive(Serialize)]
    struct S {
        a: i32,
        #[serde(skip_serializing_if = "Option::is_none")]
        b: Option<i32>,
        c: &'static str,
    }
    assert_eq!(
        arg(&S {
            a: 1,
            b: None,
            c: "x"
        }),
        "%2\r\n$1\r\na\r\n:1\r\n$1\r\nc\r\n$1\r\nx\r\n"
    );
}

/// A sequence whose `Serialize` gives no length, or a wrong one.
struct Lying(Option<usize>, Vec<Vec<i32>>);

impl Serialize for Lying {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(self.0)?;
        for item in &self.1 {
            seq.serialize_element(item)?;
        }
        seq.end()
    }
}

#[test]
fn aggregate_headers_are_fixed_when_the_length_was_unknown_or_wrong() {
    let items = vec![vec![1], vec![], vec![2, 3]];
    let want = "*3\r\n*1\r\n:1\r\n*0\r\n*2\r\n:2\r\n:3\r\n";
    assert_eq!(arg(&Lying(None, items.clone())), want);
    assert_eq!(arg(&Lying(Some(100), items.clone())), want);
    assert_eq!(arg(&Lying(Some(1), items)), want);
    assert_eq!(arg(&Lying(None, vec![])), "*0\r\n");
}

struct Failing;

impl Serialize for Failing {
    fn serialize<S: serde::Serializer>(&self, _s: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("nope"))
    }
}

#[test]
fn a_failing_value_leaves_the_buffer_unchanged() {
    let mut out = b"kept".to_vec();
    let err = ser::write_arg(&mut out, &(1, Failing)).expect_err("fails");
    assert!(
        matches!(&err, ClientError::Encode(m) if m == "nope"),
        "{err:?}"
    );
    assert_eq!(out, b"kept");
    assert!(Cmd::new("SET").arg("k").value(&vec![Failing]).is_err());
}

#[test]
fn values_roundtrip_through_their_encoding() {
    assert_eq!(roundtrip(&doc()), doc());
    assert_eq!(roundtrip(&"value".to_string()), "value");
    assert_eq!(roundtrip(&-12345i64), -12345);
    assert_eq!(roundtrip(&u64::MAX), u64::MAX);
    assert_eq!(roundtrip(&i128::MIN), i128::MIN);
    assert_eq!(roundtrip(&0.1f64), 0.1);
    assert_eq!(roundtrip(&1e300f64), 1e300);
    assert_eq!(roundtrip(&0.1f32), 0.1f32);
    assert_eq!(roundtrip(&Some(3u8)), Some(3));
    assert_eq!(
        roundtrip(&Some(vec![None, Some(2)])),
        Some(vec![None, Some(2)])
    );
    let nested: HashMap<String, Vec<i64>> = HashMap::from([("nested".into(), vec![1, 2, 3])]);
    assert_eq!(roundtrip(&nested), nested);
    let keyed: HashMap<i32, Shape> = HashMap::from([(1, Shape::Empty), (-2, Shape::Circle(0.5))]);
    assert_eq!(roundtrip(&keyed), keyed);
    assert!(roundtrip(&f64::NAN).is_nan());
}

fn bulk(s: &str) -> Frame {
    Frame::Bulk(s.as_bytes().to_vec())
}

#[test]
fn numbers_parse_from_bulk_text() {
    assert_eq!(from_frame::<i64>(bulk("42")).ok(), Some(42));
    assert_eq!(from_frame::<u8>(bulk("200")).ok(), Some(200));
    assert_eq!(from_frame::<f64>(bulk("2.5")).ok(), Some(2.5));
    assert_eq!(from_frame::<f64>(bulk("7")).ok(), Some(7.0));
    assert_eq!(
        from_frame::<u64>(bulk("18446744073709551615")).ok(),
        Some(u64::MAX)
    );
    assert_eq!(
        from_frame::<f64>(bulk("-inf")).ok(),
        Some(f64::NEG_INFINITY)
    );
    for (frame, what) in [
        (bulk("abc"), "abc"),
        (bulk("1.5"), "1.5"),
        (bulk("300"), "300"),
    ] {
        let err = from_frame::<u8>(frame).expect_err("not a u8");
        assert!(
            matches!(&err, ClientError::Decode(m) if m.contains(what)),
            "{err:?}"
        );
    }
}

#[test]
fn replies_map_to_the_asked_type() {
    assert_eq!(from_frame::<bool>(Frame::Integer(1)).ok(), Some(true));
    assert_eq!(from_frame::<bool>(bulk("0")).ok(), Some(false));
    assert!(from_frame::<bool>(Frame::Integer(2)).is_err());
    assert_eq!(
        from_frame::<String>(Frame::Integer(-3)).ok(),
        Some("-3".into())
    );
    assert_eq!(
        from_frame::<String>(Frame::Double(0.5)).ok(),
        Some("0.5".into())
    );
    assert_eq!(
        from_frame::<String>(Frame::Simple("OK".into())).ok(),
        Some("OK".into())
    );
    assert_eq!(from_frame::<Option<i64>>(Frame::Null).ok(), Some(None));
    assert_eq!(
        from_frame::<Vec<u8>>(Frame::Bulk(vec![0, 255])).ok(),
        Some(vec![0, 255])
    );
    assert_eq!(
        from_frame::<Vec<String>>(Frame::Set(vec![bulk("a")])).ok(),
        Some(vec!["a".to_string()])
    );
    let flat = Frame::Array(vec![bulk("a"), bulk("1"), bulk("b"), bulk("2")]);
    let map: BTreeMap<String, i64> = from_frame(flat).expect("flat pairs are a map");
    assert_eq!(map, BTreeMap::from([("a".into(), 1), ("b".into(), 2)]));
    assert!(from_frame::<BTreeMap<String, i64>>(Frame::Array(vec![bulk("a")])).is_err());
    assert_eq!(
        from_frame::<Shape>(Frame::Simple("Empty".into())).ok(),
        Some(Shape::Empty)
    );
    assert!(from_frame::<Shape>(bulk("Nope")).is_err());
    assert!(from_frame::<Shape>(Frame::Map(vec![])).is_err());
    assert!(from_frame::<Vec<i64>>(Frame::Array(vec![Frame::Integer(1), bulk("x")])).is_err());
    assert!(
        from_frame::<(i64,)>(Frame::Array(vec![Frame::Integer(1), Frame::Integer(2)])).is_err()
    );
}

#[test]
fn an_error_element_is_a_server_error() {
    let frame = Frame::Array(vec![Frame::Integer(1), Frame::Error("ERR boom".into())]);
    let err = from_frame::<Vec<i64>>(frame).expect_err("error element");
    assert!(
        matches!(&err, ClientError::Server(m) if m == "ERR boom"),
        "{err:?}"
    );
}

/// A reader that hands out one byte per call, to split every frame everywhere.
struct Trickle(Vec<u8>, usize);

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match (self.0.get(self.1), buf.first_mut()) {
            (Some(&b), Some(slot)) => {
                *slot = b;
                self.1 += 1;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

fn frames_of(bytes: &[u8]) -> Vec<Result<Frame, ClientError>> {
    let mut reader = BufReader::with_capacity(1, Trickle(bytes.to_vec(), 0));
    let mut raw = Vec::new();
    let mut out = Vec::new();
    loop {
        let result = read_frame(&mut reader, &mut raw);
        let stop = result.is_err();
        out.push(result);
        if stop {
            return out;
        }
    }
}

#[test]
fn reader_takes_frames_split_anywhere() {
    let nested = Frame::Map(vec![(
        bulk("k"),
        Frame::Array(vec![
            Frame::Integer(1),
            Frame::Null,
            Frame::Bulk(b"a\r\nb".to_vec()),
            Frame::Array(vec![]),
            Frame::Set(vec![Frame::Boolean(true), Frame::Double(1.5)]),
        ]),
    )]);
    let mut bytes = Vec::new();
    nested.encode(&mut bytes);
    bytes.extend_from_slice(b"+OK\r\n-ERR x\r\n$-1\r\n*-1\r\n$0\r\n\r\n");
    let frames = frames_of(&bytes);
    let got: Vec<&Frame> = frames.iter().filter_map(|r| r.as_ref().ok()).collect();
    let want = [
        &nested,
        &Frame::Simple("OK".into()),
        &Frame::Error("ERR x".into()),
        &Frame::Null,
        &Frame::Null,
        &Frame::Bulk(vec![]),
    ];
    assert_eq!(got, want);
    let last = frames.last().expect("ends with an error");
    assert!(
        matches!(last, Err(ClientError::Io(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof)
    );
}

#[test]
fn reader_rejects_bad_replies() {
    for bad in [&b"$5\r\nab\r\n"[..], b"*2\r\n:1\r\n"] {
        let frames = frames_of(bad);
        assert!(
            matches!(&frames[0], Err(ClientError::Io(_))),
            "{bad:?}: {frames:?}"
        );
    }
    for bad in [
        &b"+OK\n"[..],
        b"$x\r\n",
        b"?\r\n",
        b":1x\r\n",
        b"$1\r\nabc\r\n",
    ] {
        let frames = frames_of(bad);
        assert!(
            matches!(&frames[0], Err(ClientError::Protocol(_))),
            "{bad:?}: {frames:?}"
        );
    }
}

#[test]
fn commands_encode_as_bulk_arrays() {
    let mut out = Vec::new();
    cmd::encode_args(&mut out, &["SET", "k", "v"]).expect("encodes");
    assert_eq!(out, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
    assert!(cmd::encode_args::<&str>(&mut out, &[]).is_err());
    let cmd = Cmd::new("SET")
        .arg(b"k\0")
        .value(&vec![1])
        .expect("encodes");
    out.clear();
    cmd.encode(&mut out);
    assert_eq!(out, b"*3\r\n$3\r\nSET\r\n$2\r\nk\0\r\n*1\r\n:1\r\n");
    assert!(!cmd.changes_session());
    assert!(Cmd::new("select").changes_session());
    assert!(Cmd::new("MULTI").changes_session());
}
