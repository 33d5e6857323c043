//! CLUSTER, ASKING, READONLY and READWRITE without cluster mode (Redis 7.0's answer
//! when `cluster-enabled` is no):
//! every subcommand exists, with Redis's arity, flags and ACL categories (so ACL
//! rules may name `+cluster|info` or `+@admin`), and answers
//! `ERR This instance has cluster support disabled`.

use super::command::run_subcommand;
use crate::commands::{CommandSpec, Ctx};
use crate::error::CmdError;
use crate::protocol::Request;
use crate::spec::Group;
use crate::{cats, flags};

/// This family's commands: CLUSTER, and the connection commands of cluster clients
/// (ASKING, READONLY, READWRITE), which ACL rules may name (`+readonly`).
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "cluster",
        -2,
        flags!(),
        Group::Cluster,
        "A container for cluster commands",
        cluster,
    )
    .subcommands(SUBCOMMANDS),
    CommandSpec::new(
        "asking",
        1,
        flags!(FAST),
        Group::Cluster,
        "Sent by cluster clients after an -ASK redirect",
        disabled,
    )
    .acl(cats!(CONNECTION)),
    CommandSpec::new(
        "readonly",
        1,
        flags!(FAST | LOADING | STALE),
        Group::Cluster,
        "Enables read queries for a connection to a cluster replica node",
        disabled,
    )
    .acl(cats!(CONNECTION)),
    CommandSpec::new(
        "readwrite",
        1,
        flags!(FAST | LOADING | STALE),
        Group::Cluster,
        "Disables read queries for a connection to a cluster replica node",
        disabled,
    )
    .acl(cats!(CONNECTION)),
];

/// ```text
/// CLUSTER subcommand [arg ...]
/// ```
/// # Errors
/// Arity errors as Redis, then `ERR This instance has cluster support disabled`.
fn cluster(ctx: &mut Ctx<'_>, req: &Request<'_>) -> Result<(), CmdError> {
    run_subcommand("cluster", SUBCOMMANDS, ctx, req)
}

fn disabled(_ctx: &mut Ctx<'_>, _req: &Request<'_>) -> Result<(), CmdError> {
    Err(CmdError::msg(
        "ERR This instance has cluster support disabled",
    ))
}

/// CLUSTER's subcommands, as Redis 7.0 declares them.
pub const SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec::new(
        "cluster|addslots",
        -3,
        flags!(NO_ASYNC_LOADING | ADMIN | STALE),
        Group::Cluster,
        "Assign new hash slots to receiving node",
        disabled,
    ),
    CommandSpec::new(
        "cluster|addslotsrange",
        -4,
        flags!(NO_ASYNC_LOADING | ADMIN | STALE),
        Group::Cluster,
        "Assign new hash slots to receiving node",
        disabled,
    ),
    CommandSpec::new(
        "cluster|bumpepoch",
        2,
        flags!(NO_ASYNC_LOADING | ADMIN | STALE),
        Group::Cluster,
        "Advance the cluster config epoch",
        disabled,
    ),
    CommandSpec::new(
        "cluster|count-failure-reports",
        3,
        flags!(ADMIN | STALE),
        Group::Cluster,
        "Return the number of failure reports active for a given node",
        disabled,
    ),
    CommandSpec::new(
        "cluster|countkeysinslot",
        3,
        flags!(STALE),
        Group::Cluster,
        "Return the number of local keys in the specified hash slot",
        disabled,
    ),
    CommandSpec::new(
        "cluster|delslots",
        -3,
        flags!(NO_ASYNC_LOADING | ADMIN | STALE),
        Group::Cluster,
        "Set hash slots as unbound in receiving node",
        disabled,
    ),
    CommandSpec::new(
        "cluster|delslotsrange",
        -4,
        flags!(NO_ASYNC_LOADING | ADMIN | STALE),
        Group::Cluster,
        "Set hash slots as unbound in receiving node",
        disabled,
    ),
    CommandSpec::new(
        "cluster|failover",
        -2,
        flags!(NO_ASYNC_LOADING | ADMIN | STALE),
        Group::Cluster,
        "Forces a replica to perform a manual failover of its master.",
        disabled,
    ),
    CommandSpec::new(
        "cluster|flushslots",
        2,
        flags!(NO_ASYNC_LOADING | ADMIN | STALE),
        Group::Cluster,
        "Delete a node's own slots information",
        disabled,
    ),
    CommandSpec::new(
        "cluster|forget",
        3,
        flags!(NO_ASYNC_LOADING | ADMIN | STALE),
        Group::Cluster,
        "Remove a node from the nodes table",
        disabled,
    ),
    CommandSpec::new(
        "cluster|getkeysinslot",
        4,
        flags!(STALE),
        Group::Cluster,
        "Return local key names in the specified hash slot",
        disabled,
    ),
    CommandSpec::new(
        "cluster|help",
        2,
        flags!(LOADING | STALE),
        Group::Cluster,
        "Show helpful text about the different subcommands",
        disabled,
    ),
    CommandSpec::new(
        "cluster|info",
        2,
        flags!(STALE),
        Group::Cluster,
        "Provides info about Redis Cluster node state",
        disabled,
    ),
    CommandSpec::new(
        "cluster|keyslot",
        3,
        flags!(STALE),
        Group::Cluster,
        "Returns the hash slot of the specified key",
        disabled,
    ),
    CommandSpec::new(
        "cluster|links",
        2,
        flags!(STALE),
        Group::Cluster,
        "Returns a list of all TCP links to and from peer nodes in cluster",
        disabled,
    ),
    CommandSpec::new(
        "cluster|meet",
        -4,
        flags!(NO_ASYNC_LOADING | ADMIN | STALE),
        Group::Cluster,
        "Force a node cluster to handshake with another node",
        disabled,
    ),
    CommandSpec::new(
        "cluster|myid",
        2,
        flags!(STALE),
        Group::Cluster,
        "Return the node id",
        disabled,
    ),
    CommandSpec::new(
        "cluster|nodes",
        2,
        flags!(STALE),
        Group::Cluster,
        "Get Cluster config for the node",
        disabled,
    ),
    CommandSpec::new(
        "cluster|replicas",
        3,
        flags!(ADMIN | STALE),
        Group::Cluster,
        "List replica nodes of the specified master node",
        disabled,
    ),
    CommandSpec::new(
        "cluster|replicate",
        3,
        flags!(NO_ASYNC_LOADING | ADMIN | STALE),
        Group::Cluster,
        "Reconfigure a node as a replica of the specified master node",
        disabled,
    ),
    CommandSpec::new(
        "cluster|reset",
        -2,
        flags!(ADMIN | STALE | NOSCRIPT),
        Group::Cluster,
        "Reset a Redis Cluster node",
        disabled,
    ),
    CommandSpec::new(
        "cluster|saveconfig",
        2,
        flags!(NO_ASYNC_LOADING | ADMIN | STALE),
        Group::Cluster,
        "Forces the node to save cluster state on disk",
        disabled,
    ),
    CommandSpec::new(
        "cluster|set-config-epoch",
        3,
        flags!(NO_ASYNC_LOADING | ADMIN | STALE),
        Group::Cluster,
        "Set the configuration epoch in a new node",
        disabled,
    ),
    CommandSpec::new(
        "cluster|setslot",
        -4,
        flags!(NO_ASYNC_LOADING | ADMIN | STALE),
        Group::Cluster,
        "Bind a hash slot to a specific node",
        disabled,
    ),
    CommandSpec::new(
        "cluster|shards",
        2,
        flags!(STALE),
        Group::Cluster,
        "Get array of cluster slots to node mappings",
        disabled,
    ),
    CommandSpec::new(
        "cluster|slaves",
        3,
        flags!(ADMIN | STALE),
        Group::Cluster,
        "List replica nodes of the specified master node",
        disabled,
    ),
    CommandSpec::new(
        "cluster|slots",
        2,
        flags!(STALE),
        Group::Cluster,
        "Get array of Cluster slot to node mappings",
        disabled,
    ),
];
