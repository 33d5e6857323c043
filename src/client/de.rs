//! A reply [`Frame`] → any `DeserializeOwned` value.
//!
//! | Frame                          | becomes                                         |
//! |--------------------------------|-------------------------------------------------|
//! | bulk, simple, verbatim         | a string (bytes when not UTF-8); a number, bool |
//! |                                | or enum unit variant when the target is one     |
//! | integer, double, big number    | a number (or its text when a string is wanted)  |
//! | boolean                        | a bool (`:1`/`:0` also become bools)            |
//! | null                           | `None`, `()`                                    |
//! | array, set, push               | a sequence, tuple or struct (by position); a    |
//! |                                | map when it holds key/value pairs (RESP2 maps)  |
//! | map                            | a map or struct; a one-entry map is an enum     |
//! | error                          | [`ClientError::Server`]                         |
//!
//! Redis keeps numbers as strings, so GET of `INCR`'s result is a bulk string: the
//! number targets parse bulk text, which is what lets `get::<i64>` read it.

use serde::de::value::{SeqDeserializer, StringDeserializer};
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};

use super::ClientError;
use crate::protocol::Frame;
use crate::protocol::frame::parse_double;
use crate::protocol::parser::parse_int;
use crate::protocol::reply::format_double;

/// Decodes a reply frame into `T` (see the module docs for the mapping).
///
/// # Errors
/// [`ClientError::Decode`] when the frame does not fit `T`, [`ClientError::Server`]
/// when it is (or holds, where a value is read) an error reply.
pub fn from_frame<T: DeserializeOwned>(frame: Frame) -> Result<T, ClientError> {
    T::deserialize(FrameDeserializer(frame))
}

/// A `serde::Deserializer` that consumes one owned [`Frame`].
#[derive(Debug)]
pub struct FrameDeserializer(pub Frame);

/// The text of a string-like frame.
fn text(frame: &Frame) -> Option<&[u8]> {
    match frame {
        Frame::Bulk(b) | Frame::Verbatim(_, b) => Some(b),
        Frame::Simple(s) | Frame::BigNumber(s) => Some(s.as_bytes()),
        _ => None,
    }
}

/// Visits the number spelled by `bytes`: the narrowest of i64, u64, i128, u128 that
/// holds it, else a double; text that is no number is visited as a string so the
/// visitor reports the mismatch.
fn visit_number_text<'de, V: Visitor<'de>>(
    bytes: &[u8],
    visitor: V,
) -> Result<V::Value, ClientError> {
    if let Some(n) = parse_int(bytes) {
        return visitor.visit_i64(n);
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return visitor.visit_bytes(bytes);
    };
    if let Ok(n) = text.parse::<u64>() {
        visitor.visit_u64(n)
    } else if let Ok(n) = text.parse::<i128>() {
        visitor.visit_i128(n)
    } else if let Ok(n) = text.parse::<u128>() {
        visitor.visit_u128(n)
    } else if let Some(d) = parse_double(bytes) {
        visitor.visit_f64(d)
    } else {
        visitor.visit_str(text)
    }
}

impl FrameDeserializer {
    fn number<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ClientError> {
        match text(&self.0) {
            Some(bytes) => visit_number_text(bytes, visitor),
            None => self.deserialize_any_inner(visitor),
        }
    }

    fn deserialize_any_inner<'de, V: Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, ClientError> {
        match self.0 {
            Frame::Simple(s) => visitor.visit_string(s),
            Frame::Bulk(b) | Frame::Verbatim(_, b) => match String::from_utf8(b) {
                Ok(s) => visitor.visit_string(s),
                Err(e) => visitor.visit_byte_buf(e.into_bytes()),
            },
            Frame::Error(e) => Err(ClientError::Server(e)),
            Frame::Integer(n) => visitor.visit_i64(n),
            Frame::Double(d) => visitor.visit_f64(d),
            Frame::Boolean(b) => visitor.visit_bool(b),
            Frame::Null => visitor.visit_unit(),
            Frame::BigNumber(s) => visit_number_text(s.as_bytes(), visitor),
            Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
                visit_seq(items, visitor)
            }
            Frame::Map(pairs) => visit_map(pairs, visitor),
        }
    }
}

fn visit_seq<'de, V: Visitor<'de>>(items: Vec<Frame>, visitor: V) -> Result<V::Value, ClientError> {
    let mut seq = Seq(items.into_iter());
    let value = visitor.visit_seq(&mut seq)?;
    match seq.0.len() {
        0 => Ok(value),
        left => Err(de::Error::custom(format!("{left} elements left over"))),
    }
}

fn visit_map<'de, V: Visitor<'de>>(
    pairs: Vec<(Frame, Frame)>,
    visitor: V,
) -> Result<V::Value, ClientError> {
    visitor.visit_map(Map {
        pairs: pairs.into_iter(),
        value: None,
    })
}

/// Pairs of a RESP2 flat key/value array, or None if its length is odd.
fn pairs_of(items: Vec<Frame>) -> Option<Vec<(Frame, Frame)>> {
    if !items.len().is_multiple_of(2) {
        return None;
    }
    let mut pairs = Vec::with_capacity(items.len() / 2);
    let mut it = items.into_iter();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        pairs.push((k, v));
    }
    Some(pairs)
}

macro_rules! numbers {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ClientError> {
            self.number(visitor)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for FrameDeserializer {
    type Error = ClientError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ClientError> {
        self.deserialize_any_inner(visitor)
    }

    numbers! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
        deserialize_f32 deserialize_f64
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ClientError> {
        let as_bool = match &self.0 {
            Frame::Integer(0) => Some(false),
            Frame::Integer(1) => Some(true),
            other => match text(other) {
                Some(b"0" | b"false") => Some(false),
                Some(b"1" | b"true") => Some(true),
                _ => None,
            },
        };
        match as_bool {
            Some(b) => visitor.visit_bool(b),
            None => self.deserialize_any_inner(visitor),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ClientError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ClientError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ClientError> {
        match self.0 {
            Frame::Integer(n) => visitor.visit_string(n.to_string()),
            Frame::Double(d) => visitor.visit_string(format_double(d)),
            other => FrameDeserializer(other).deserialize_any_inner(visitor),
        }
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ClientError> {
        self.deserialize_byte_buf(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ClientError> {
        match self.0 {
            Frame::Bulk(b) | Frame::Verbatim(_, b) => visitor.visit_byte_buf(b),
            Frame::Simple(s) => visitor.visit_byte_buf(s.into_bytes()),
            other => FrameDeserializer(other).deserialize_any_inner(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ClientError> {
        match self.0 {
            Frame::Null => visitor.visit_none(),
            other => visitor.visit_some(FrameDeserializer(other)),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ClientError> {
        self.deserialize_any_inner(visitor)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ClientError> {
        self.deserialize_any_inner(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ClientError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ClientError> {
        match self.0 {
            // A binary string read as `Vec<u8>`: its bytes, one element each.
            Frame::Bulk(b) => {
                let mut seq: SeqDeserializer<_, ClientError> = SeqDeserializer::new(b.into_iter());
                let value = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(value)
            }
            other => FrameDeserializer(other).deserialize_any_inner(visitor),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ClientError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ClientError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ClientError> {
        match self.0 {
            Frame::Array(items) => match pairs_of(items) {
                Some(pairs) => visit_map(pairs, visitor),
                None => Err(de::Error::custom("an array of odd length is not a map")),
            },
            other => FrameDeserializer(other).deserialize_any_inner(visitor),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ClientError> {
        self.deserialize_any_inner(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ClientError> {
        match self.0 {
            Frame::Map(pairs) => {
                let mut it = pairs.into_iter();
                match (it.next(), it.next()) {
                    (Some((variant, value)), None) => visitor.visit_enum(Enum { variant, value }),
                    _ => Err(de::Error::custom("an enum must be a map with one entry")),
                }
            }
            other => match text(&other) {
                Some(name) => {
                    let name = String::from_utf8_lossy(name).into_owned();
                    let unit: StringDeserializer<ClientError> = name.into_deserializer();
                    visitor.visit_enum(unit)
                }
                None => Err(de::Error::custom(format!(
                    "expected an enum (a string or a one-entry map), got {other:?}"
                ))),
            },
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ClientError> {
        match self.0 {
            Frame::Integer(n) if n >= 0 => visitor.visit_u64(n as u64),
            other => FrameDeserializer(other).deserialize_string(visitor),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ClientError> {
        visitor.visit_unit()
    }
}

/// The elements of an array, set or push frame.
struct Seq(std::vec::IntoIter<Frame>);

impl<'de> SeqAccess<'de> for Seq {
    type Error = ClientError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, ClientError> {
        match self.0.next() {
            Some(frame) => seed.deserialize(FrameDeserializer(frame)).map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

/// The entries of a map frame.
struct Map {
    pairs: std::vec::IntoIter<(Frame, Frame)>,
    value: Option<Frame>,
}

impl<'de> MapAccess<'de> for Map {
    type Error = ClientError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ClientError> {
        match self.pairs.next() {
            Some((key, value)) => {
                self.value = Some(value);
                seed.deserialize(FrameDeserializer(key)).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, ClientError> {
        match self.value.take() {
            Some(value) => seed.deserialize(FrameDeserializer(value)),
            None => Err(de::Error::custom("map value asked for before its key")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.pairs.len())
    }
}

/// An externally tagged enum: `{variant: value}`.
struct Enum {
    variant: Frame,
    value: Frame,
}

impl<'de> EnumAccess<'de> for Enum {
    type Error = ClientError;
    type Variant = FrameDeserializer;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, FrameDeserializer), ClientError> {
        let variant = seed.deserialize(FrameDeserializer(self.variant))?;
        Ok((variant, FrameDeserializer(self.value)))
    }
}

impl<'de> VariantAccess<'de> for FrameDeserializer {
    type Error = ClientError;

    fn unit_variant(self) -> Result<(), ClientError> {
        match self.0 {
            Frame::Null => Ok(()),
            other => Err(de::Error::custom(format!(
                "expected null for a unit variant, got {other:?}"
            ))),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, ClientError> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ClientError> {
        de::Deserializer::deserialize_seq(self, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ClientError> {
        self.deserialize_any_inner(visitor)
    }
}
