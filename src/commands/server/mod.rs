//! Server commands: administration (CONFIG, SHUTDOWN, DEBUG), INFO, COMMAND, MEMORY,
//! persistence (SAVE, BGSAVE, FLUSHALL) and ACL.

pub mod acl;
pub mod admin;
pub mod cluster;
pub mod command;
pub mod debug;
pub mod digest;
pub mod info;
pub mod info_exporter;
pub mod memory;
pub mod metrics;
pub mod observe;
pub mod persistence;
pub mod replication;
