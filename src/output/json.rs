//! The JSON output: sorted and stable, so two syncs of the same org are byte-identical apart
//! from `summary` (which holds timings and request counts). Documented in README.

use super::summary::Summary;
use openai_access_actors::graph::{Entitlement, Resource, ResourceType, SortedGrants, TraitKind};
use openai_access_actors::{ListFailure, SyncOutcome};
use serde::Serialize;
use std::io::Write;

/// Identifies the document's shape; bump on incompatible changes.
pub const FORMAT: &str = "openai-access.sync.v1";

/// The top-level keys that describe a run rather than the org: two syncs of the same org are
/// byte-identical without them.
pub const RUN_KEYS: [&str; 2] = ["sync", "summary"];

/// What run produced the document: evidence needs a date and a source.
#[derive(Clone, Debug, Serialize)]
pub struct RunInfo {
    /// When the sync ended, RFC 3339 (UTC).
    pub synced_at: String,
    pub tool: &'static str,
    pub version: &'static str,
    /// The Admin API synced (`mock` for the embedded mock).
    pub base_url: String,
    /// `full` (every list read), `resumed` (an interrupted full sync completed) or
    /// `incremental`.
    pub kind: String,
    /// With `--state`: the audit entries read, the lists read again and why, or why the sync
    /// was full; how old each group's membership data is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<super::summary::StateSummary>,
    /// Unless --no-usage: the usage window read after the grant lists, the requests it took,
    /// and the types that could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<super::summary::UsageSummary>,
}

impl RunInfo {
    pub fn now(base_url: &str, kind: &str) -> Self {
        Self {
            synced_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            tool: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
            base_url: base_url.to_owned(),
            kind: kind.to_owned(),
            state: None,
            usage: None,
        }
    }
}

#[derive(Serialize)]
struct ResourceTypeOut {
    id: &'static str,
    display_name: &'static str,
    #[serde(rename = "trait")]
    trait_kind: TraitKind,
}

#[derive(Serialize)]
struct Document<'a> {
    format: &'static str,
    sync: &'a RunInfo,
    org_id: &'a str,
    partial: bool,
    failures: &'a [ListFailure],
    warnings: &'a [String],
    resource_types: Vec<ResourceTypeOut>,
    resources: Vec<&'a Resource>,
    entitlements: Vec<&'a Entitlement>,
    grants: SortedGrants<'a>,
    summary: Summary,
}

/// The document as a value without [`RUN_KEYS`]: what two syncs of the same org must agree
/// on (timings, counters and the run's metadata differ between any two runs).
pub fn graph_only(o: &SyncOutcome) -> std::io::Result<serde_json::Value> {
    let mut buf = Vec::new();
    write(o, &RunInfo::now("-", "full"), &mut buf)?;
    let mut v: serde_json::Value = serde_json::from_slice(&buf)?;
    if let Some(obj) = v.as_object_mut() {
        for k in RUN_KEYS {
            obj.remove(k);
        }
    }
    Ok(v)
}

/// Writes the whole document.
pub fn write(o: &SyncOutcome, run: &RunInfo, w: &mut dyn Write) -> std::io::Result<()> {
    let doc = Document {
        format: FORMAT,
        sync: run,
        org_id: &o.graph.org_id,
        partial: o.is_partial(),
        failures: &o.failures,
        warnings: &o.warnings,
        resource_types: ResourceType::ALL
            .into_iter()
            .map(|t| ResourceTypeOut {
                id: t.as_str(),
                display_name: t.display_name(),
                trait_kind: t.trait_kind(),
            })
            .collect(),
        resources: o.graph.resources_sorted(),
        entitlements: o.graph.entitlements_sorted(),
        grants: o.graph.grants_sorted(),
        summary: Summary::of(o),
    };
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    w.write_all(b"\n")
}
