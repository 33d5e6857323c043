//! Commands as bytes: the [`Cmd`] builder and the [`Pipeline`].

use serde::Serialize;

use super::ser::{bulk, header, write_arg};
use super::{Client, ClientError};
use crate::protocol::Frame;

/// Commands that change the connection's own state (database, protocol, transaction,
/// subscriptions, name, auth, reply mode) or end it: a connection that ran one is not
/// handed to another pool user, who would inherit that state.
const SESSION_COMMANDS: &[&[u8]] = &[
    b"quit",
    b"select",
    b"hello",
    b"auth",
    b"client",
    b"multi",
    b"watch",
    b"subscribe",
    b"psubscribe",
    b"ssubscribe",
    b"monitor",
    b"readonly",
    b"readwrite",
    b"replconf",
    b"sync",
    b"psync",
];

/// True when the command named `name` changes connection state (see [`SESSION_COMMANDS`]).
pub(crate) fn changes_session(name: &[u8]) -> bool {
    SESSION_COMMANDS
        .iter()
        .any(|c| name.eq_ignore_ascii_case(c))
}

/// One command being built: a name, plain arguments, and serde values.
///
/// ```no_run
/// # fn main() -> Result<(), rudis::client::ClientError> {
/// use rudis::client::{Client, Cmd};
/// let mut client = Client::connect("127.0.0.1:31337")?;
/// let cmd = Cmd::new("SET").arg("config").value(&vec![("retries", 3)])?;
/// client.query(&cmd)?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Cmd {
    args: Vec<u8>,
    argc: usize,
    session: bool,
}

impl Cmd {
    /// A command with just its name.
    pub fn new(name: impl AsRef<[u8]>) -> Cmd {
        let name = name.as_ref();
        let mut args = Vec::new();
        bulk(&mut args, name);
        Cmd {
            args,
            argc: 1,
            session: changes_session(name),
        }
    }

    /// Adds a plain argument (a bulk string).
    pub fn arg(mut self, arg: impl AsRef<[u8]>) -> Cmd {
        bulk(&mut self.args, arg.as_ref());
        self.argc += 1;
        self
    }

    /// Adds a value encoded by the client's serializer: strings and numbers become
    /// bulk strings, anything else a nested RESP value (see [`super::ser`]). Only
    /// arguments the server accepts as documents may be nested (SET's and MSET's values).
    ///
    /// # Errors
    /// [`ClientError::Encode`] when the value's `Serialize` implementation fails.
    pub fn value<T: Serialize + ?Sized>(mut self, value: &T) -> Result<Cmd, ClientError> {
        write_arg(&mut self.args, value)?;
        self.argc += 1;
        Ok(self)
    }

    /// How many arguments, the name included.
    pub fn argc(&self) -> usize {
        self.argc
    }

    /// Appends the whole command (`*argc` then its arguments) to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        header(out, b'*', self.argc);
        out.extend_from_slice(&self.args);
    }

    /// True when this command changes connection state (SELECT, MULTI, HELLO, ...).
    pub fn changes_session(&self) -> bool {
        self.session
    }
}

/// Appends `args` as a command (an array of bulk strings); returns whether it changes
/// connection state.
pub(crate) fn encode_args<A: AsRef<[u8]>>(
    out: &mut Vec<u8>,
    args: &[A],
) -> Result<bool, ClientError> {
    let Some(name) = args.first() else {
        // A server sends no reply to an empty command, so waiting for one would hang.
        return Err(ClientError::Encode("empty command".into()));
    };
    header(out, b'*', args.len());
    for arg in args {
        bulk(out, arg.as_ref());
    }
    Ok(changes_session(name.as_ref()))
}

/// Commands queued to be sent in one write; built by [`Client::pipeline`].
///
/// Replies come back in order, one per command. A server error is a
/// [`Frame::Error`] in its place, not an `Err`: the other replies are still good.
///
/// The whole pipeline is written before any reply is read, so keep a pipeline's
/// replies within what the server is willing to buffer (Redis: client output
/// buffer limits); split very large batches.
#[derive(Debug)]
pub struct Pipeline<'a> {
    client: &'a mut Client,
    buf: Vec<u8>,
    count: usize,
    session: bool,
    error: Option<ClientError>,
}

impl<'a> Pipeline<'a> {
    pub(crate) fn new(client: &'a mut Client) -> Pipeline<'a> {
        Pipeline {
            client,
            buf: Vec::new(),
            count: 0,
            session: false,
            error: None,
        }
    }

    /// Queues a command given as its arguments. An empty command is reported by
    /// [`Pipeline::query`].
    pub fn cmd<A: AsRef<[u8]>>(&mut self, args: &[A]) -> &mut Self {
        match encode_args(&mut self.buf, args) {
            Ok(session) => {
                self.session |= session;
                self.count += 1;
            }
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
        self
    }

    /// Queues a built [`Cmd`].
    pub fn add(&mut self, cmd: &Cmd) -> &mut Self {
        cmd.encode(&mut self.buf);
        self.session |= cmd.changes_session();
        self.count += 1;
        self
    }

    /// How many commands are queued.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Sends every queued command in one write and reads all their replies, in order.
    /// The pipeline is empty afterwards and can be reused.
    ///
    /// # Errors
    /// [`ClientError::Encode`] (nothing sent) when a queued command was empty;
    /// [`ClientError::Io`] or [`ClientError::Protocol`] when the connection fails,
    /// which leaves the client unusable.
    pub fn query(&mut self) -> Result<Vec<Frame>, ClientError> {
        let buf = std::mem::take(&mut self.buf);
        let count = std::mem::replace(&mut self.count, 0);
        let session = std::mem::replace(&mut self.session, false);
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        if count == 0 {
            return Ok(Vec::new());
        }
        self.client.send(&buf, session)?;
        let mut replies = Vec::with_capacity(count);
        for _ in 0..count {
            replies.push(self.client.read_reply()?);
        }
        Ok(replies)
    }
}
