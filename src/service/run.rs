//! One of the service's syncs, from start to end: prepared against the state (resumed,
//! incremental, full, or nothing to do when nothing changed), run, compared with the graph
//! served, written (output, `.c1z` files asked for an upload, then the state) and indexed for
//! queries. A graph that did not change is neither rewritten nor swapped: the served one
//! (and its cache of answers) stays, confirmed current.

use super::served::{RunKind, Served, SyncRecord, SyncResult};
use crate::output::c1z::{Readers, SyncType};
use crate::output::json::RunInfo;
use crate::output::summary::StateSummary;
use crate::output::target::Target;
use openai_access_actors::api::Call;
use openai_access_actors::ids::OrgId;
use openai_access_actors::review::{LoginsSeen, Snapshot, StateInfo, SyncInfo, diff};
use openai_access_actors::state::StateDir;
use openai_access_actors::stateful::{StateOptions, prepare};
use openai_access_actors::{AdminClient, SyncOutcome};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

/// What every sync needs, fixed for the process.
pub struct SyncSetup {
    pub client: AdminClient,
    /// The server as the state records it (`mock` for the embedded mock).
    pub server: String,
    pub org_id: Option<OrgId>,
    pub state: StateDir,
    pub opts: StateOptions,
    pub target: Option<Target>,
    pub shared: Arc<super::served::Shared>,
    /// Bytes of serialized answers each served graph may keep.
    pub answer_budget: usize,
    /// The usage window read after each sync's grant lists; `None`: `--no-usage`.
    pub usage: Option<openai_access_actors::usage::UsageOptions>,
}

/// Why one of the service's syncs did not complete (its record's `error`, in words).
#[derive(Debug, thiserror::Error)]
pub enum SyncFailure {
    #[error("the state cannot be used: {0}")]
    Refused(openai_access_actors::stateful::Refused),
    #[error("cannot store the state: {0}")]
    Store(openai_access_actors::state::StateError),
    #[error(transparent)]
    Engine(openai_access_actors::EngineError),
    /// A sync that read nothing usable (no user, no owner).
    #[error("{0}")]
    Unusable(&'static str),
    #[error("cannot write the output: {0}")]
    Output(crate::exit::CliError),
    #[error("the sync's last step stopped: {0}")]
    Stopped(tokio::task::JoinError),
}

/// How a sync ended.
pub struct Ended {
    pub record: SyncRecord,
    /// A new graph to serve; `None` when the sync failed, or when the graph did not change
    /// (`unchanged`: the served one is confirmed current).
    pub graph: Option<Served>,
    pub unchanged: bool,
}

/// One sync (see the module's description). `uploads`: single-sync `.c1z` files to write of
/// its graph (ConductorOne's sync tasks), which makes it assemble one even when nothing
/// changed.
pub async fn run_one(
    setup: Arc<SyncSetup>,
    id: u64,
    full: bool,
    touched: Vec<Call>,
    uploads: Vec<PathBuf>,
) -> Ended {
    let started = openai_access_actors::clock::now();
    let s = &setup;
    let opts = StateOptions {
        full,
        touched,
        // A served graph whose usage is of an earlier day is assembled again (from the state)
        // even when no access changed: "last use" is never more than a day behind.
        need_graph: s.shared.graph().is_none()
            || !uploads.is_empty()
            || (s.usage.is_some() && s.shared.usage_behind()),
        ..s.opts.clone()
    };
    let mut record = SyncRecord {
        id,
        kind: if full {
            RunKind::Full
        } else {
            RunKind::Incremental
        },
        result: SyncResult::Failed,
        started_at: rfc3339(started),
        ended_at: String::new(),
        duration_s: 0.0,
        requests: 0,
        error: None,
        changes: None,
        unknown_events: Default::default(),
        changed: None,
    };
    let end = |mut record: SyncRecord, result: SyncResult, error: Option<String>| {
        let now = openai_access_actors::clock::now();
        record.result = result;
        record.ended_at = rfc3339(now);
        record.duration_s = now
            .duration_since(started)
            .unwrap_or_default()
            .as_secs_f64();
        record.error = error;
        record
    };
    let failed = |record, error: SyncFailure| Ended {
        record: end(record, SyncResult::Failed, Some(error.to_string())),
        graph: None,
        unchanged: false,
    };
    // Counts this sync's requests (the audit log's included) and the process's.
    let client = s.client.for_run();
    let mut prepared = match prepare(&s.state, &s.server, s.org_id.as_ref(), &client, &opts).await {
        Ok(p) => p,
        Err(e) => return failed(record, SyncFailure::Refused(e)),
    };
    record.kind = if prepared.resumed > 0 {
        RunKind::Resumed
    } else {
        prepared.kind.into()
    };
    record.unknown_events = prepared.unknown_events.clone();
    if prepared.unchanged() {
        record.requests = client.stats().total().requests;
        if let Err(e) =
            prepared.commit_unchanged(&s.state, &s.server, &client.throttle().known_limits())
        {
            return failed(record, SyncFailure::Store(e));
        }
        record.changes = Some(0);
        return Ended {
            record: end(record, SyncResult::Ok, None),
            graph: None,
            unchanged: true,
        };
    }
    let run_id = prepared.run_id();
    let run = prepared.start(&client, s.org_id.clone(), None);
    let outcome = run.finish().await;
    record.requests = client.stats().total().requests;
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => return failed(record, SyncFailure::Engine(e)),
    };
    if let Some(why) = outcome.unusable() {
        return failed(record, SyncFailure::Unusable(why));
    }
    if outcome.is_partial() {
        let lists: Vec<String> = outcome.failures.iter().map(|f| f.path.clone()).collect();
        if let Err(e) = s.state.write_limits(&outcome.limits) {
            tracing::warn!(error = %e, "Cannot store the learned limits.");
        }
        return Ended {
            record: end(
                record,
                SyncResult::Partial,
                Some(format!(
                    "{} list(s) could not be read ({}); the state keeps what was read, and the next sync reads the rest",
                    lists.len(),
                    lists.join(", ")
                )),
            ),
            graph: None,
            unchanged: false,
        };
    }
    // Usage after the grant lists, into the state; its failure leaves the sync complete.
    let mut outcome = outcome;
    let usage = match s.usage {
        Some(opts) => crate::usage::read(&client, Some(&s.state), opts).await,
        None => None,
    };
    if let Some(u) = &usage {
        u.evidence.apply(&mut outcome.graph);
        // The record's requests stay the access sync's; the usage read's are in /metrics.
        if let Some(w) = crate::usage::warning(u) {
            tracing::warn!(sync_id = id, "{w}");
        }
    }
    // A graph whose usage moved on is served anew even when no access changed.
    let usage_same = usage
        .as_ref()
        .is_none_or(|u| s.shared.usage_read(u, &outcome.graph));
    let mut run_info = RunInfo::now(&s.server, record.kind.as_str());
    run_info.state = Some(StateSummary::of(&prepared));
    run_info.usage = usage.as_ref().map(crate::output::summary::UsageSummary::of);
    // Indexing, comparing and writing a large graph take seconds of CPU: not on the actors'
    // thread.
    let setup2 = setup.clone();
    let finished = tokio::task::spawn_blocking(move || {
        let s = &setup2;
        let mut snap = Snapshot::of_graph(&outcome.graph);
        snap.sync = Some(SyncInfo {
            synced_at: Some(run_info.synced_at.clone()),
            base_url: Some(run_info.base_url.clone()),
            kind: Some(run_info.kind.clone()),
            state: run_info.state.as_ref().map(|st| StateInfo {
                logins: Some(LoginsSeen {
                    watched_since: st.logins.watched_since.clone(),
                    last_login_at: st.logins.last_login_at.clone(),
                }),
            }),
        });
        let changes = s.shared.graph().map(|old| diff(&old.snapshot, &snap));
        let same = usage_same && changes.as_ref().is_some_and(|c| c.count() == 0);
        if let Some(t) = s.target.as_ref().filter(|_| !same) {
            write_output(&outcome, &run_info, t)?;
        }
        for path in &uploads {
            // A single sync of the complete graph, for ConductorOne; its task uploads it.
            // ConductorOne reads with a current SDK: the annotations older CLIs cannot
            // resolve go in.
            if let Err(e) = crate::output::write_c1z_output(
                &outcome,
                path,
                false,
                SyncType::Full,
                Readers::NewerSdk,
            ) {
                tracing::warn!(path = %path.display(), error = %e, "Cannot write the .c1z to upload.");
            }
        }
        if let Some(run) = run_id {
            prepared
                .commit(&s.state, run, &s.server, &outcome)
                .map_err(SyncFailure::Store)?;
        }
        drop(outcome);
        Ok::<_, SyncFailure>((snap, changes, same))
    })
    .await;
    let (snap, changes, same) = match finished {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => return failed(record, e),
        Err(e) => return failed(record, SyncFailure::Stopped(e)),
    };
    record.changes = changes.as_ref().map(|c| c.count());
    record.changed = changes
        .filter(|c| c.count() > 0)
        .and_then(|c| serde_json::value::to_raw_value(&c).ok())
        .map(Arc::from);
    let record = end(record, SyncResult::Ok, None);
    let full_completed = record.kind == RunKind::Full;
    if same {
        tracing::debug!(
            sync_id = id,
            full = full_completed,
            "The graph did not change: the served one stays."
        );
        return Ended {
            record,
            graph: None,
            unchanged: true,
        };
    }
    Ended {
        record,
        graph: Some(Served::new(
            snap,
            id,
            openai_access_actors::clock::now(),
            setup.answer_budget,
        )),
        unchanged: false,
    }
}

/// The snapshot after a sync that changed something: a .c1z gets the sync appended (the last
/// two kept, so `baton diff` works), a JSON file is replaced; atomically either way.
fn write_output(o: &SyncOutcome, run: &RunInfo, t: &Target) -> Result<(), SyncFailure> {
    let Some(path) = &t.path else {
        return Ok(());
    };
    if t.format == crate::cli::OutputFormat::C1z && path.exists() {
        crate::output::append_or_restart(o, run, path, SyncType::Full, Readers::AnyBaton)
    } else {
        crate::output::write_sync(
            o,
            run,
            path,
            t.format,
            false,
            SyncType::Full,
            Readers::AnyBaton,
        )
    }
    .map_err(SyncFailure::Output)
}

pub fn rfc3339(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
