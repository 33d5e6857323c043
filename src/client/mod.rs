//! A blocking client library over `std::net` (filled in by the client work).

/// A connection to a rudis (or Redis) server.
#[derive(Debug)]
pub struct Client;

/// A pool of [`Client`] connections.
#[derive(Debug)]
pub struct Pool;
