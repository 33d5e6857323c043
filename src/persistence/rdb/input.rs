//! The low level of reading: a reader that counts offsets and folds every byte into
//! the CRC-64, and the RDB length and string encodings on top of it.

use std::io::{self, Read};

use super::LoadError;
use super::crc64::crc64;
use super::lzf;

/// First allocation for a string the file announces; it grows only as bytes arrive.
const STRING_PREALLOC: usize = 64 * 1024;
/// Largest expansion LZF can achieve (a 3-byte reference yields 264 bytes), with
/// slack: an announced size beyond it is corrupt, whatever the data.
const LZF_MAX_RATIO: u64 = 90;

/// A length (Redis's `rdbLoadLen`) or the tag of a specially encoded string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Len {
    /// A length.
    Len(u64),
    /// `RDB_ENCVAL`: an integer or LZF string follows; the low 6 bits say which.
    Encoded(u8),
}

/// A string as the file holds it: an integer encoding stays an integer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Str {
    /// `RDB_ENC_INT8/16/32`.
    Int(i64),
    /// Raw or LZF-compressed bytes.
    Bytes(Vec<u8>),
}

impl Str {
    /// The string's bytes (an integer as its decimal text).
    pub(crate) fn into_bytes(self) -> Vec<u8> {
        match self {
            Str::Int(n) => itoa::Buffer::new().format(n).as_bytes().to_vec(),
            Str::Bytes(b) => b,
        }
    }
}

/// Reads from `inner`, counting the offset and keeping the CRC-64 of every byte read.
#[derive(Debug)]
pub(crate) struct Input<R> {
    inner: R,
    /// Bytes read so far.
    pub(crate) pos: u64,
    /// CRC-64 of the bytes read so far.
    pub(crate) crc: u64,
}

impl<R: Read> Read for Input<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.crc = crc64(self.crc, &buf[..n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Read> Input<R> {
    /// A reader at offset 0.
    pub(crate) fn new(inner: R) -> Input<R> {
        Input {
            inner,
            pos: 0,
            crc: 0,
        }
    }

    /// A corruption error at the current offset.
    pub(crate) fn corrupt(&self, reason: impl Into<String>) -> LoadError {
        LoadError::Corrupt {
            offset: self.pos,
            reason: reason.into(),
        }
    }

    /// Fills `buf` completely; the end of the input is corruption (a truncated file).
    pub(crate) fn exact(&mut self, buf: &mut [u8]) -> Result<(), LoadError> {
        match self.read_exact(buf) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                Err(self.corrupt("unexpected end of file"))
            }
            Err(e) => Err(LoadError::Io(e)),
        }
    }

    /// One byte.
    pub(crate) fn byte(&mut self) -> Result<u8, LoadError> {
        let mut b = [0u8; 1];
        self.exact(&mut b)?;
        Ok(b[0])
    }

    /// `N` bytes.
    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], LoadError> {
        let mut b = [0u8; N];
        self.exact(&mut b)?;
        Ok(b)
    }

    /// `n` bytes, allocated as they arrive (a claimed length alone allocates at most
    /// [`STRING_PREALLOC`]).
    pub(crate) fn bytes(&mut self, n: u64) -> Result<Vec<u8>, LoadError> {
        let mut buf = Vec::with_capacity((n as usize).min(STRING_PREALLOC));
        let got = match (&mut *self).take(n).read_to_end(&mut buf) {
            Ok(got) => got,
            Err(e) => return Err(LoadError::Io(e)),
        };
        if got as u64 != n {
            return Err(self.corrupt("unexpected end of file"));
        }
        Ok(buf)
    }

    /// A length or an encoding tag (Redis's `rdbLoadLenByRef`).
    pub(crate) fn len_or_enc(&mut self) -> Result<Len, LoadError> {
        let first = self.byte()?;
        Ok(match first >> 6 {
            0 => Len::Len(u64::from(first & 0x3f)),
            1 => Len::Len(u64::from(first & 0x3f) << 8 | u64::from(self.byte()?)),
            3 => Len::Encoded(first & 0x3f),
            _ => match first {
                0x80 => Len::Len(u64::from(u32::from_be_bytes(self.array()?))),
                0x81 => Len::Len(u64::from_be_bytes(self.array()?)),
                _ => return Err(self.corrupt(format!("unknown length encoding {first:#04x}"))),
            },
        })
    }

    /// A plain length.
    pub(crate) fn len(&mut self) -> Result<u64, LoadError> {
        match self.len_or_enc()? {
            Len::Len(n) => Ok(n),
            Len::Encoded(_) => Err(self.corrupt("an encoded string where a length belongs")),
        }
    }

    /// A string in any of its encodings (Redis's `rdbGenericLoadStringObject`).
    pub(crate) fn string(&mut self) -> Result<Str, LoadError> {
        match self.len_or_enc()? {
            Len::Len(n) => Ok(Str::Bytes(self.bytes(n)?)),
            Len::Encoded(0) => Ok(Str::Int(i64::from(self.byte()? as i8))),
            Len::Encoded(1) => Ok(Str::Int(i64::from(i16::from_le_bytes(self.array()?)))),
            Len::Encoded(2) => Ok(Str::Int(i64::from(i32::from_le_bytes(self.array()?)))),
            Len::Encoded(3) => {
                let clen = self.len()?;
                let len = self.len()?;
                if len > clen.saturating_mul(LZF_MAX_RATIO).saturating_add(64) {
                    return Err(self.corrupt(format!(
                        "LZF string of {clen} bytes claims {len} bytes uncompressed"
                    )));
                }
                let packed = self.bytes(clen)?;
                let len = usize::try_from(len).map_err(|_| self.corrupt("LZF string too long"))?;
                lzf::decompress(&packed, len)
                    .map(Str::Bytes)
                    .ok_or_else(|| self.corrupt("invalid LZF-compressed string"))
            }
            Len::Encoded(e) => Err(self.corrupt(format!("unknown string encoding {e}"))),
        }
    }

    /// A string's bytes (an integer encoding as its decimal text).
    pub(crate) fn string_bytes(&mut self) -> Result<Vec<u8>, LoadError> {
        Ok(self.string()?.into_bytes())
    }
}
