//! A request as commands see it: its arguments as byte ranges of a buffer
//! ([`Request`], borrowed, what the parser hands out), or copied out to run later
//! ([`OwnedRequest`]).

/// One argument: a byte range in the request's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArgSpan {
    /// First byte of the argument.
    pub start: usize,
    /// One past its last byte.
    pub end: usize,
}

/// A parsed request: the arguments of one command, borrowed from a buffer.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    buf: &'a [u8],
    spans: &'a [ArgSpan],
    docs: &'a [usize],
}

impl<'a> Request<'a> {
    /// Builds a request over `buf` (used for queued or replayed commands).
    pub fn new(buf: &'a [u8], spans: &'a [ArgSpan], docs: &'a [usize]) -> Self {
        Request { buf, spans, docs }
    }

    /// Number of arguments, the command name included.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// True when there are no arguments.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Argument `i` (0 is the command name). Panics if out of range: callers check arity.
    pub fn arg(&self, i: usize) -> &'a [u8] {
        let s = self.spans[i];
        &self.buf[s.start..s.end]
    }

    /// True when argument `i` is a document (any RESP value other than a bulk string),
    /// whose bytes are its exact RESP encoding.
    pub fn is_doc(&self, i: usize) -> bool {
        self.docs.contains(&i)
    }

    /// Indexes of the document arguments.
    pub fn doc_positions(&self) -> &'a [usize] {
        self.docs
    }

    /// All arguments in order.
    pub fn args(&self) -> impl ExactSizeIterator<Item = &'a [u8]> + 'a {
        let buf = self.buf;
        self.spans.iter().map(move |s| &buf[s.start..s.end])
    }
}

/// A request copied out of the connection buffer, to run later (a blocked command
/// re-run when its key is ready, a command queued by MULTI).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnedRequest {
    buf: Vec<u8>,
    spans: Vec<ArgSpan>,
    docs: Vec<usize>,
}

impl OwnedRequest {
    /// A copy of `req`.
    pub fn from_request(req: &Request<'_>) -> OwnedRequest {
        let mut owned = OwnedRequest::from_args(req.args());
        owned.docs = req.doc_positions().to_vec();
        owned
    }

    /// A request of these arguments (none of them documents).
    pub fn from_args<'a>(args: impl IntoIterator<Item = &'a [u8]>) -> OwnedRequest {
        let mut owned = OwnedRequest::default();
        for arg in args {
            let start = owned.buf.len();
            owned.buf.extend_from_slice(arg);
            owned.spans.push(ArgSpan {
                start,
                end: owned.buf.len(),
            });
        }
        owned
    }

    /// The request, borrowed.
    pub fn request(&self) -> Request<'_> {
        Request::new(&self.buf, &self.spans, &self.docs)
    }
}
