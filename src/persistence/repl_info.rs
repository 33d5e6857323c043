//! The replication position a snapshot carries: Redis's `repl-stream-db`, `repl-id`
//! and `repl-offset` AUX fields (`rdbSaveInfoAuxFields`, read back by
//! `rdbLoadRioWithLoadingCtx`). A replica that restarts from such a file asks its
//! master for a partial resync from there (`replicationCacheMasterUsingMyself`).
//! Both formats carry them: the RDB as AUX fields, rudis's format as `Aux` records of
//! the same names.

/// Length of a replication id (Redis's `CONFIG_RUN_ID_SIZE`).
pub const REPLID_LEN: usize = 40;
/// AUX field: the database the replication stream had selected.
pub const AUX_STREAM_DB: &str = "repl-stream-db";
/// AUX field: the replication id.
pub const AUX_REPLID: &str = "repl-id";
/// AUX field: the replication offset the data set corresponds to.
pub const AUX_OFFSET: &str = "repl-offset";

/// Where in a replication history a snapshot's data set stands (Redis's
/// `rdbSaveInfo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplInfo {
    /// The database the stream had selected at that point (a partial resync goes on
    /// in it: the master sends no SELECT first).
    pub stream_db: usize,
    /// The replication id: 40 ASCII alphanumerics.
    replid: [u8; REPLID_LEN],
    /// Bytes of the stream the data set holds.
    pub offset: u64,
}

impl ReplInfo {
    /// The position `offset` of history `replid` with `stream_db` selected; `None`
    /// when `replid` is not a replication id (40 ASCII letters and digits).
    pub fn new(replid: &str, offset: u64, stream_db: usize) -> Option<ReplInfo> {
        Some(ReplInfo {
            stream_db,
            replid: parse_replid(replid.as_bytes())?,
            offset,
        })
    }

    /// The replication id.
    pub fn replid(&self) -> &str {
        // Checked ASCII at construction.
        std::str::from_utf8(&self.replid).unwrap_or_default()
    }

    /// The three AUX fields, in Redis's order: `(name, value)`.
    pub fn aux_fields(&self) -> [(&'static str, String); 3] {
        [
            (AUX_STREAM_DB, self.stream_db.to_string()),
            (AUX_REPLID, self.replid().to_string()),
            (AUX_OFFSET, self.offset.to_string()),
        ]
    }
}

fn parse_replid(bytes: &[u8]) -> Option<[u8; REPLID_LEN]> {
    let id: [u8; REPLID_LEN] = bytes.try_into().ok()?;
    id.iter().all(u8::is_ascii_alphanumeric).then_some(id)
}

/// The replication fields met while a file is read; the position once all three
/// were valid.
#[derive(Debug, Default, Clone, Copy)]
pub struct ReplAux {
    stream_db: Option<usize>,
    replid: Option<[u8; REPLID_LEN]>,
    offset: Option<u64>,
}

impl ReplAux {
    /// Takes an AUX field: `false` when it is not a replication field. A value that
    /// does not parse (Redis's older `repl-stream-db` of -1, an id of another length)
    /// leaves the field unset, so that the file carries no position.
    pub fn take(&mut self, key: &[u8], value: &[u8]) -> bool {
        let text = std::str::from_utf8(value).unwrap_or_default();
        if key.eq_ignore_ascii_case(AUX_STREAM_DB.as_bytes()) {
            self.stream_db = text.parse().ok();
        } else if key.eq_ignore_ascii_case(AUX_REPLID.as_bytes()) {
            self.replid = parse_replid(value);
        } else if key.eq_ignore_ascii_case(AUX_OFFSET.as_bytes()) {
            self.offset = text.parse().ok();
        } else {
            return false;
        }
        true
    }

    /// The position, when the file carried all three fields, valid.
    pub fn finish(&self) -> Option<ReplInfo> {
        Some(ReplInfo {
            stream_db: self.stream_db?,
            replid: self.replid?,
            offset: self.offset?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn all_three_fields_make_a_position() {
        let mut aux = ReplAux::default();
        assert!(aux.take(b"repl-stream-db", b"3"));
        assert!(aux.take(b"repl-id", ID.as_bytes()));
        assert_eq!(aux.finish(), None, "no offset yet");
        assert!(aux.take(b"repl-offset", b"12345"));
        assert!(!aux.take(b"redis-ver", b"7.0.15"));
        let info = aux.finish().expect("complete");
        assert_eq!((info.stream_db, info.replid(), info.offset), (3, ID, 12345));
        assert_eq!(ReplInfo::new(ID, 12345, 3), Some(info));
    }

    #[test]
    fn invalid_fields_carry_no_position() {
        for (key, value) in [
            (&b"repl-stream-db"[..], &b"-1"[..]),
            (b"repl-id", b"short"),
            (b"repl-id", b"0123456789abcdef0123456789abcdef0123456\xff"),
            (b"repl-offset", b"-1"),
            (b"repl-offset", b"x"),
        ] {
            let mut aux = ReplAux::default();
            aux.take(b"repl-stream-db", b"0");
            aux.take(b"repl-id", ID.as_bytes());
            aux.take(b"repl-offset", b"7");
            aux.take(key, value);
            assert_eq!(aux.finish(), None, "{key:?} = {value:?}");
        }
        assert_eq!(ReplInfo::new("nope", 1, 0), None);
    }
}
