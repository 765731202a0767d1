//! `sync`'s flags: the output, the state, progress.

use super::ConnectArgs;
use super::values::parse_duration;
pub use crate::output::OutputFormat;
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug, Clone)]
pub struct SyncArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,

    #[command(flatten)]
    pub usage: super::usage::UsageArgs,

    /// Write the grant graph here: FILE.json, FILE.c1z (Baton's format), or - for JSON on
    /// standard output. Written atomically; checked before the first request. A partial sync
    /// goes beside it (FILE.partial.json) unless --allow-partial.
    #[arg(
        short = 'f',
        long = "file",
        visible_alias = "out",
        value_name = "FILE",
        default_value = "sync.c1z",
        env = "BATON_FILE"
    )]
    pub out: Option<PathBuf>,

    /// Output format (default: from the file extension, else json).
    #[arg(long, value_enum, env = "BATON_FORMAT")]
    pub format: Option<OutputFormat>,

    /// With .c1z: add this sync to an existing file, keeping the last two full syncs.
    #[arg(long, env = "BATON_APPEND", value_parser = super::values::go_bool, num_args = 0..=1, require_equals = false, default_missing_value = "true", default_value = "false", action = clap::ArgAction::Set)]
    pub append: bool,

    /// With .c1z: also write what only baton-sdk releases after v0.7.27 read (the
    /// EntitlementExclusionGroup annotation on role entitlements, the newer v1_sync_runs
    /// columns). Without it the file opens in every `baton` CLI release, including the newest,
    /// built on v0.7.27, whose reader fails on an annotation it does not know.
    #[arg(long, env = "BATON_C1Z_NEWER_SDK", value_parser = super::values::go_bool, num_args = 0..=1, require_equals = false, default_missing_value = "true", default_value = "false", action = clap::ArgAction::Set)]
    pub c1z_newer_sdk: bool,

    /// Let a partial sync (some lists could not be read) replace the output (in a .c1z it is
    /// recorded as a `partial` sync, never as a finished full one). Without it a partial sync
    /// is written beside the output, as NAME.partial.EXT, and the output is left as it was.
    #[arg(long, env = "BATON_ALLOW_PARTIAL", value_parser = super::values::go_bool, num_args = 0..=1, require_equals = false, default_missing_value = "true", default_value = "false", action = clap::ArgAction::Set)]
    pub allow_partial: bool,

    /// No progress: neither the bar on a terminal nor the progress log lines elsewhere.
    #[arg(long, env = "BATON_NO_PROGRESS", value_parser = super::values::go_bool, num_args = 0..=1, require_equals = false, default_missing_value = "true", default_value = "false", action = clap::ArgAction::Set)]
    pub no_progress: bool,

    /// Without a terminal, log a progress line (lists done and known, requests, 429s,
    /// requests/min, ETA) every SECS seconds.
    #[arg(long, value_name = "SECS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=3600), env = "BATON_PROGRESS_EVERY")]
    pub progress_every: u64,

    /// Start from the rate limits stored in FILE and store what this sync learned there, so a
    /// periodic sync paces each endpoint under its limit from its first request instead of
    /// learning it from a burst of 429s. Created if missing; ignored (with a warning) if it is
    /// unreadable or was learned from another server.
    #[arg(long, value_name = "FILE", env = "BATON_LIMITS_FILE")]
    pub limits_file: Option<PathBuf>,

    /// Keep the sync's state in DIR (created if missing, readable by its owner only): every
    /// list as it is read, and what was learned about the limits. An interrupted sync (Ctrl-C,
    /// SIGTERM, a crash, an outage longer than --retry-budget) run again with the same DIR
    /// resumes: lists already read are not read again. A state of another server or org is
    /// refused.
    #[arg(long, value_name = "DIR", env = "BATON_STATE")]
    pub state: Option<PathBuf>,

    /// With --state: a full sync even when the state allows an incremental one (it refreshes
    /// the state). Without it, a sync whose state holds a complete earlier sync of the same
    /// server and org reads only what the audit log says changed.
    #[arg(long, env = "BATON_FULL", value_parser = super::values::go_bool, num_args = 0..=1, require_equals = false, default_missing_value = "true", default_value = "false", action = clap::ArgAction::Set)]
    pub full: bool,

    /// With --state: group member lists read longer ago than this are read again (the audit
    /// log does not record group membership changes). 0 reads them every sync.
    #[arg(long, value_name = "DURATION", default_value = "6h", value_parser = parse_duration, env = "BATON_GROUP_RESCAN_INTERVAL")]
    pub group_rescan_interval: std::time::Duration,

    /// With --state: how long the audit log is assumed to keep entries; a state older than
    /// this is refreshed by a full sync, since changes may have left the log.
    #[arg(long, value_name = "DURATION", default_value = "30d", value_parser = parse_duration, env = "BATON_AUDIT_RETENTION")]
    pub audit_retention: std::time::Duration,

    /// Hold the sync to this length. Once the top-level lists are read (users, invites, roles,
    /// groups, projects), the sync knows how many lists remain; it refuses to read more (exit
    /// 3) when the time it can defend is longer: its estimate when every limit was known
    /// before it started (--limits-file, --state), else the least time at the fastest rate the
    /// evidence allows (--rpm, the 429s so far). A sync that fits runs, and stops with exit 3
    /// if it has not finished when this much time has passed (with --state the lists read are
    /// kept and the same command resumes). Examples: 90s, 45m, 2h, 1h30m, 1d; a bare number is
    /// seconds.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, env = "BATON_MAX_DURATION")]
    pub max_duration: Option<std::time::Duration>,
}
