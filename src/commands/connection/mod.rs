//! Connection commands: the session (PING, ECHO, QUIT, SELECT, HELLO), AUTH and the
//! permission checks of dispatch, CLIENT and CLIENT KILL.

pub mod auth;
pub mod client;
pub mod client_kill;
pub mod pause;
pub mod session;
pub mod tracking;
