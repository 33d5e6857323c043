//! serde values → one RESP command argument.
//!
//! The server accepts any RESP value as an argument of SET and MSET and keeps its bytes,
//! so a value keeps its shape: GET returns it as it was sent.
//!
//! | Rust value                      | top level             | nested              |
//! |---------------------------------|-----------------------|---------------------|
//! | `str`, `String`, `char`, bytes  | `$` bulk              | `$` bulk            |
//! | integers                        | `$` bulk (its text)   | `:` (`(` past i64)  |
//! | `f32`, `f64`                    | `$` bulk (its text)   | `,` double          |
//! | `bool`                          | `#t` / `#f`           | `#t` / `#f`         |
//! | `None`, `()`, unit structs      | `_` null              | `_` null            |
//! | sequences, tuples               | `*` array             | `*` array           |
//! | maps, structs                   | `%` map               | `%` map             |
//!
//! Top-level strings and numbers are plain bulk strings, so the key holds an ordinary
//! Redis string: `GET` returns it as any client expects, and INCR, APPEND or
//! INCRBYFLOAT work on it. Numbers come back through the deserializer, which parses
//! bulk text when the target is a number. Enums use serde's externally tagged form:
//! a unit variant is its name as a bulk string, any other variant is a one-entry map
//! from its name to its content. Struct field names are bulk strings.

use serde::ser::{self, Serialize};

use super::ClientError;
use crate::protocol::reply::format_double;

/// Appends `value`'s encoding as one command argument to `out`; on error `out` is
/// left as it was.
pub fn write_arg<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<(), ClientError> {
    let start = out.len();
    let result = value.serialize(ArgSerializer { out, top: true });
    if result.is_err() {
        out.truncate(start);
    }
    result
}

/// `value` encoded as one RESP command argument (see the module docs for the mapping).
///
/// # Errors
/// [`ClientError::Encode`] when the value's `Serialize` implementation fails.
pub fn to_arg<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, ClientError> {
    let mut out = Vec::new();
    write_arg(&mut out, value)?;
    Ok(out)
}

/// Appends `$len\r\nbytes\r\n`.
pub(crate) fn bulk(out: &mut Vec<u8>, bytes: &[u8]) {
    header(out, b'$', bytes.len());
    out.extend_from_slice(bytes);
    out.extend_from_slice(b"\r\n");
}

/// Appends a length header such as `*3\r\n`.
pub(crate) fn header(out: &mut Vec<u8>, kind: u8, n: usize) {
    let mut digits = itoa::Buffer::new();
    line(out, kind, digits.format(n).as_bytes());
}

fn line(out: &mut Vec<u8>, kind: u8, body: &[u8]) {
    out.push(kind);
    out.extend_from_slice(body);
    out.extend_from_slice(b"\r\n");
}

/// Encodes one value into `out`; `top` is true for the argument itself, false inside
/// an aggregate.
struct ArgSerializer<'a> {
    out: &'a mut Vec<u8>,
    top: bool,
}

impl<'a> ArgSerializer<'a> {
    fn int(self, n: i64) {
        let mut digits = itoa::Buffer::new();
        let text = digits.format(n).as_bytes();
        if self.top {
            bulk(self.out, text);
        } else {
            line(self.out, b':', text);
        }
    }

    /// An integer past i64: bulk text at the top, a RESP3 big number inside.
    fn big(self, text: &str) {
        if self.top {
            bulk(self.out, text.as_bytes());
        } else {
            line(self.out, b'(', text.as_bytes());
        }
    }

    fn float(self, text: &str) {
        if self.top {
            bulk(self.out, text.as_bytes());
        } else {
            line(self.out, b',', text.as_bytes());
        }
    }

    fn null(self) {
        self.out.extend_from_slice(b"_\r\n");
    }

    /// Starts `%1\r\n$name\r\n`, the wrapper of a non-unit enum variant.
    fn variant_tag(&mut self, variant: &str) {
        header(self.out, b'%', 1);
        bulk(self.out, variant.as_bytes());
    }

    fn compound(self, kind: u8, len: Option<usize>) -> Compound<'a> {
        Compound::begin(self.out, kind, len)
    }
}

impl<'a> ser::Serializer for ArgSerializer<'a> {
    type Ok = ();
    type Error = ClientError;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), ClientError> {
        self.out
            .extend_from_slice(if v { b"#t\r\n" } else { b"#f\r\n" });
        Ok(())
    }

    fn serialize_i8(self, v: i8) -> Result<(), ClientError> {
        self.serialize_i64(v.into())
    }

    fn serialize_i16(self, v: i16) -> Result<(), ClientError> {
        self.serialize_i64(v.into())
    }

    fn serialize_i32(self, v: i32) -> Result<(), ClientError> {
        self.serialize_i64(v.into())
    }

    fn serialize_i64(self, v: i64) -> Result<(), ClientError> {
        self.int(v);
        Ok(())
    }

    fn serialize_i128(self, v: i128) -> Result<(), ClientError> {
        match i64::try_from(v) {
            Ok(n) => self.int(n),
            Err(_) => self.big(&v.to_string()),
        }
        Ok(())
    }

    fn serialize_u8(self, v: u8) -> Result<(), ClientError> {
        self.serialize_i64(v.into())
    }

    fn serialize_u16(self, v: u16) -> Result<(), ClientError> {
        self.serialize_i64(v.into())
    }

    fn serialize_u32(self, v: u32) -> Result<(), ClientError> {
        self.serialize_i64(v.into())
    }

    fn serialize_u64(self, v: u64) -> Result<(), ClientError> {
        self.serialize_u128(v.into())
    }

    fn serialize_u128(self, v: u128) -> Result<(), ClientError> {
        match i64::try_from(v) {
            Ok(n) => self.int(n),
            Err(_) => self.big(&v.to_string()),
        }
        Ok(())
    }

    fn serialize_f32(self, v: f32) -> Result<(), ClientError> {
        // f32's own shortest text ("0.1"), not the widened f64's ("0.10000000149011612").
        if v.is_finite() && v != v.trunc() {
            self.float(&v.to_string());
            Ok(())
        } else {
            self.serialize_f64(v.into())
        }
    }

    fn serialize_f64(self, v: f64) -> Result<(), ClientError> {
        self.float(&format_double(v));
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<(), ClientError> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, v: &str) -> Result<(), ClientError> {
        bulk(self.out, v.as_bytes());
        Ok(())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), ClientError> {
        bulk(self.out, v);
        Ok(())
    }

    fn serialize_none(self) -> Result<(), ClientError> {
        self.null();
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), ClientError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), ClientError> {
        self.null();
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), ClientError> {
        self.null();
        Ok(())
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), ClientError> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), ClientError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        mut self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), ClientError> {
        self.variant_tag(variant);
        value.serialize(ArgSerializer {
            out: self.out,
            top: false,
        })
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'a>, ClientError> {
        Ok(self.compound(b'*', len))
    }

    fn serialize_tuple(self, len: usize) -> Result<Compound<'a>, ClientError> {
        Ok(self.compound(b'*', Some(len)))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'a>, ClientError> {
        Ok(self.compound(b'*', Some(len)))
    }

    fn serialize_tuple_variant(
        mut self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a>, ClientError> {
        self.variant_tag(variant);
        Ok(self.compound(b'*', Some(len)))
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Compound<'a>, ClientError> {
        Ok(self.compound(b'%', len))
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'a>, ClientError> {
        Ok(self.compound(b'%', Some(len)))
    }

    fn serialize_struct_variant(
        mut self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a>, ClientError> {
        self.variant_tag(variant);
        Ok(self.compound(b'%', Some(len)))
    }
}

/// An aggregate being written. The header is written up front when the length is
/// known, and fixed afterwards if the element count turns out different (or was
/// unknown), so any `Serialize` implementation encodes correctly.
struct Compound<'a> {
    out: &'a mut Vec<u8>,
    kind: u8,
    header_at: usize,
    header_len: usize,
    declared: Option<usize>,
    count: usize,
}

impl<'a> Compound<'a> {
    fn begin(out: &'a mut Vec<u8>, kind: u8, declared: Option<usize>) -> Compound<'a> {
        let header_at = out.len();
        if let Some(n) = declared {
            header(out, kind, n);
        }
        let header_len = out.len() - header_at;
        Compound {
            out,
            kind,
            header_at,
            header_len,
            declared,
            count: 0,
        }
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ClientError> {
        value.serialize(ArgSerializer {
            out: self.out,
            top: false,
        })
    }

    fn finish(self) -> Result<(), ClientError> {
        if self.declared != Some(self.count) {
            let mut fixed = Vec::new();
            header(&mut fixed, self.kind, self.count);
            let range = self.header_at..self.header_at + self.header_len;
            self.out.splice(range, fixed);
        }
        Ok(())
    }
}

impl ser::SerializeSeq for Compound<'_> {
    type Ok = ();
    type Error = ClientError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ClientError> {
        self.count += 1;
        self.element(value)
    }

    fn end(self) -> Result<(), ClientError> {
        self.finish()
    }
}

impl ser::SerializeTuple for Compound<'_> {
    type Ok = ();
    type Error = ClientError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ClientError> {
        ser::SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result<(), ClientError> {
        self.finish()
    }
}

impl ser::SerializeTupleStruct for Compound<'_> {
    type Ok = ();
    type Error = ClientError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ClientError> {
        ser::SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result<(), ClientError> {
        self.finish()
    }
}

impl ser::SerializeTupleVariant for Compound<'_> {
    type Ok = ();
    type Error = ClientError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ClientError> {
        ser::SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result<(), ClientError> {
        self.finish()
    }
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = ClientError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), ClientError> {
        self.element(key)
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ClientError> {
        self.count += 1;
        self.element(value)
    }

    fn end(self) -> Result<(), ClientError> {
        self.finish()
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = ClientError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), ClientError> {
        bulk(self.out, key.as_bytes());
        self.count += 1;
        self.element(value)
    }

    fn end(self) -> Result<(), ClientError> {
        self.finish()
    }
}

impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = ClientError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), ClientError> {
        ser::SerializeStruct::serialize_field(self, key, value)
    }

    fn end(self) -> Result<(), ClientError> {
        self.finish()
    }
}
