//! The v1 `.c1z` SQLite schema, byte for byte as the Baton SDK creates it: the text of
//! `tests/fixtures/baton-sdk/sdk-sample.schema.sql` (from a .c1z the SDK wrote), so
//! `sqlite_master.sql` matches the SDK's. SQLite stores `CREATE TABLE IF NOT EXISTS x` as `CREATE TABLE x`, so the statements keep
//! the SDK's spelling.
//!
//! Note: the two `v1_resources` index names are swapped relative to their columns
//! (`idx_resources_external_sync_v1` covers the parent columns and the unique
//! `idx_resources_parent_resource_id_v1` covers `(external_id, sync_id)`). That is what the SDK
//! writes (its template's placeholders are filled in a different order), so we copy it.

/// `v1_sync_runs` as baton-sdk v0.7.27 creates it (`pkg/dotc1z/sync_runs.go` at that tag), the
/// SDK of the newest `baton` CLI release. That CLI's `export c1z` copies every column our table
/// has into a table it creates with this schema (`clone_sync.go`: `INSERT INTO clone.t (cols)
/// SELECT cols FROM t`, the columns read from our table), so a column it lacks fails the export.
pub const SYNC_RUNS_V0_7_27: &str = r#"create table if not exists v1_sync_runs (
    id integer primary key,
    sync_id text not null,
    started_at datetime not null,
    ended_at datetime,
    sync_token text not null,
    sync_type text not null default 'full',
    parent_sync_id text not null default '',
    linked_sync_id text not null default '',
    supports_diff integer not null default 0
)"#;

/// The columns later SDKs added to `v1_sync_runs`, as their migrations add them to an older
/// file (`alter table … add column`). Newer readers add them, with these defaults, to a file
/// that lacks them, so leaving them out loses nothing: `grants_backfilled = 0` only makes a
/// newer SDK scan the grants once for `GrantExpandable` annotations in `data` (we keep none
/// there) and set it to 1.
pub const SYNC_RUNS_NEWER_COLUMNS: [(&str, &str); 5] = [
    ("grants_backfilled", "integer not null default 0"),
    ("stats", "text"),
    ("ingest_invariant_generation", "text not null default ''"),
    ("ingest_invariant_coverage", "text not null default ''"),
    ("ingest_invariant_mode", "text not null default ''"),
];

/// The seven v1 tables in the SDK's creation order (`sql_helpers.go allTableDescriptors`).
pub const TABLES: [&str; 7] = [
    "v1_resource_types",
    "v1_resources",
    "v1_entitlements",
    "v1_sync_runs",
    "v1_grants",
    "v1_assets",
    "v1_connector_sessions",
];

/// Each table followed by its indexes, in the SDK's order.
pub const DDL: &[&str] = &[
    r#"create table if not exists v1_resource_types (
    id integer primary key,
    external_id text not null,
    data blob not null,
    sync_id text not null,
    discovered_at datetime not null
)"#,
    r#"create unique index if not exists idx_resource_types_external_sync_v1 on v1_resource_types (external_id, sync_id)"#,
    r#"create table if not exists v1_resources (
    id integer primary key,
    resource_type_id text not null,
    external_id text not null,
	parent_resource_type_id text,
	parent_resource_id text,
    data blob not null,
    sync_id text not null,
    discovered_at datetime not null
)"#,
    r#"create index if not exists idx_resources_resource_type_id_v1 on v1_resources (resource_type_id)"#,
    r#"create index if not exists idx_resources_external_sync_v1 on v1_resources (parent_resource_type_id, parent_resource_id)"#,
    r#"create unique index if not exists idx_resources_parent_resource_id_v1 on v1_resources (external_id, sync_id)"#,
    r#"create table if not exists v1_entitlements (
    id integer primary key,
    resource_type_id text not null,
    resource_id text not null,
    external_id text not null,
    data blob not null,
    sync_id text not null,
    discovered_at datetime not null
)"#,
    r#"create index if not exists idx_entitlements_resource_id_v1 on v1_entitlements (resource_type_id, resource_id)"#,
    r#"create unique index if not exists idx_entitlements_external_sync_v1 on v1_entitlements (external_id, sync_id)"#,
    r#"create table if not exists v1_sync_runs (
    id integer primary key,
    sync_id text not null,
    started_at datetime not null,
    ended_at datetime,
    sync_token text not null,
    sync_type text not null default 'full',
    parent_sync_id text not null default '',
    linked_sync_id text not null default '',
    supports_diff integer not null default 0,
    grants_backfilled integer not null default 0,
		stats text,
    ingest_invariant_generation text not null default '',
    ingest_invariant_coverage text not null default '',
    ingest_invariant_mode text not null default ''
)"#,
    r#"create unique index if not exists idx_sync_runs_sync_id_v1 on v1_sync_runs (sync_id)"#,
    r#"create table if not exists v1_grants (
    id integer primary key,
	resource_type_id text not null,
    resource_id text not null,
    entitlement_id text not null,
    principal_resource_type_id text not null,
    principal_resource_id text not null,
    external_id text not null,
    expansion blob,                             -- Serialized GrantExpandable proto; NULL if grant is not expandable.
    needs_expansion integer not null default 0, -- 1 if grant should be processed during expansion.
    data blob not null,
    sync_id text not null,
    discovered_at datetime not null
)"#,
    r#"create index if not exists idx_grants_resource_type_id_resource_id_v1 on v1_grants (resource_type_id, resource_id)"#,
    r#"create index if not exists idx_grants_principal_id_v1 on v1_grants (principal_resource_type_id, principal_resource_id)"#,
    r#"create index if not exists idx_grants_entitlement_id_principal_id_v1 on v1_grants (entitlement_id, principal_resource_type_id, principal_resource_id)"#,
    r#"create unique index if not exists idx_grants_external_sync_v1 on v1_grants (external_id, sync_id)"#,
    r#"create index if not exists idx_grants_entitlement_sync_grant_v1 on v1_grants (entitlement_id, sync_id, id)"#,
    r#"create index if not exists idx_grants_sync_expansion_v1 on v1_grants (sync_id) where expansion is not null"#,
    r#"create index if not exists idx_grants_sync_needs_expansion_v1 on v1_grants (sync_id) where needs_expansion = 1"#,
    r#"create table if not exists v1_assets (
    id integer primary key,
    external_id text not null,
    content_type text not null,
    data blob not null,
    sync_id text not null,
    discovered_at datetime not null
)"#,
    r#"create unique index if not exists idx_assets_external_sync_v1 on v1_assets (external_id, sync_id)"#,
    r#"create table if not exists v1_connector_sessions (
    id integer primary key,
	sync_id text NOT NULL,
	key TEXT NOT NULL,
	value BLOB NOT NULL
)"#,
    r#"create unique index if not exists idx_session_store_sync_key_v1 on v1_connector_sessions (sync_id, key)"#,
];
