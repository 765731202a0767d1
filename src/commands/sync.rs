//! `openai-access sync`: run a full sync and write the grant graph.

use crate::cli::{OutputFormat, SyncArgs};
use crate::exit::{self, CliError};
use crate::output::{atomic, json, limits, summary::Summary};
use crate::progress;
use crate::settings;
use crate::state;
use openai_access_actors::block_on;
use openai_access_actors::{EngineError, SyncConfig, SyncRun};
use openai_access_actors::{SyncError, SyncOutcome};
use std::path::Path;

/// The format asked for, else the one the extension implies, else JSON.
pub fn output_format(path: &Path, asked: Option<OutputFormat>) -> OutputFormat {
    asked.unwrap_or_else(|| match path.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("c1z") => OutputFormat::C1z,
        _ => OutputFormat::Json,
    })
}

pub fn run(args: SyncArgs) -> Result<u8, CliError> {
    let format = args.out.as_deref().map(|p| output_format(p, args.format));
    if args.append && format != Some(OutputFormat::C1z) {
        return Err(CliError::usage(
            "--append only applies to .c1z output (--out FILE.c1z)",
        ));
    }
    let conn = settings::connect(&args.connect)?;
    // The embedded mock's port changes from run to run; its limits do not.
    let server = if conn.mock.is_some() {
        "mock".to_owned()
    } else {
        conn.client.base_url.clone()
    };
    let mut client = conn.client.clone();
    let (opened, persistence) = match &args.state {
        Some(dir) => {
            let (o, p) = state::open(dir, &server, conn.org_id.as_ref())?;
            (Some(o), Some(p))
        }
        None => (None, None),
    };
    if let Some(path) = &args.limits_file {
        client.throttle.known = limits::load(path, &server);
    } else if let Some(o) = &opened {
        client.throttle.known = state::limits(o.meta.as_ref());
    }
    if let Some(o) = opened.as_ref().filter(|o| o.resumed > 0) {
        let started = chrono::DateTime::from_timestamp(o.resumed_from, 0)
            .map(|t| t.to_rfc3339())
            .unwrap_or_default();
        tracing::info!(
            state = %o.dir.path().display(),
            lists = o.resumed,
            started_at = %started,
            "Resuming an interrupted sync: lists already read are not read again."
        );
    }
    let config = SyncConfig {
        client,
        org_id: conn.org_id.clone(),
        max_duration: args.max_duration,
    };
    let show_progress = !args.no_progress && progress::stderr_is_terminal();
    tracing::info!(base_url = %config.client.base_url, "Sync started.");

    let result = block_on(async move {
        let run =
            SyncRun::start_persisted(config, persistence).map_err(|e| Stop::Engine(e.into()))?;
        let bar = show_progress.then(|| progress::SyncProgress::start(run.clone()));
        let outcome = tokio::select! {
            o = run.finish() => o.map_err(Stop::Engine),
            s = interrupted() => Err(Stop::Signal(s)),
        };
        if let Some(bar) = bar {
            bar.finish();
        }
        outcome
    });
    drop(conn.mock);

    let outcome = match result {
        Ok(o) => o,
        Err(Stop::Signal(code)) => {
            let resume = match &args.state {
                Some(dir) => format!(
                    "; the lists read so far are kept in {}: run the same command to resume",
                    dir.display()
                ),
                None => "; nothing was written (with --state DIR a sync can be resumed)".to_owned(),
            };
            eprintln!("interrupted{resume}");
            return Ok(code);
        }
        Err(Stop::Engine(e)) => return Err(engine_error(e)),
    };

    if let (Some(path), Some(format)) = (&args.out, format) {
        write_output(&outcome, path, format, args.append)?;
    }
    if let Some(o) = &opened
        && !outcome.is_partial()
    {
        state::commit(&o.dir, &server, o.kind, &outcome)?;
    }
    // Only ever saves time next run: a failure to store it must not fail this sync.
    if let Some(path) = &args.limits_file
        && let Err(e) = limits::save(path, &server, &outcome.limits)
    {
        tracing::warn!(error = %e, "Cannot store the learned limits.");
    }
    report(&outcome);
    Ok(exit_code(&outcome))
}

/// Why a sync ended before its outcome.
enum Stop {
    Engine(EngineError),
    /// SIGINT or SIGTERM: the exit code (130 or 143).
    Signal(u8),
}

/// Resolves on SIGINT (130) or SIGTERM (143), as a shell reports them.
async fn interrupted() -> u8 {
    #[cfg(unix)]
    {
        let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        else {
            let _ = tokio::signal::ctrl_c().await;
            return 130;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => 130,
            _ = term.recv() => 143,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        130
    }
}

fn engine_error(e: EngineError) -> CliError {
    match e {
        EngineError::Sync(SyncError::Unauthorized(m)) => CliError::fatal(format!(
            "the admin key was rejected (HTTP 401): {m}. Nothing was crawled. Check OPENAI_ADMIN_KEY / BATON_OPENAI_ADMIN_KEY / --admin-key-file."
        )),
        EngineError::Api(e) => CliError::usage(e.to_string()),
        e => CliError::fatal(e.to_string()),
    }
}

fn write_output(
    outcome: &SyncOutcome,
    path: &Path,
    format: OutputFormat,
    append: bool,
) -> Result<(), CliError> {
    match format {
        OutputFormat::Json => atomic::write_atomically(path, |w| json::write(outcome, w))
            .map_err(|e| CliError::io(format!("cannot write {}", path.display()), e)),
        OutputFormat::C1z => {
            let report = crate::output::write_c1z_output(outcome, path, append)?;
            tracing::info!(
                path = %path.display(),
                bytes = report.bytes_written,
                full_syncs_in_file = report.full_syncs_in_file,
                elapsed_ms = report.elapsed.as_millis() as u64,
                "Wrote .c1z."
            );
            Ok(())
        }
    }
}

/// Warnings, failures and the summary table, on stderr.
fn report(o: &SyncOutcome) {
    let summary = Summary::of(o);
    eprint!("{}", summary.table());
    for w in &o.warnings {
        eprintln!("warning: {w}");
    }
    if !o.report.dangling.is_empty() {
        eprintln!(
            "warning: {} grants referred to objects the sync never saw and were dropped",
            o.report.dangling.len()
        );
    }
    if o.is_partial() {
        eprintln!(
            "PARTIAL: {} list(s) could not be read; the output is marked partial:",
            o.failures.len()
        );
        for f in &o.failures {
            eprintln!("  - {} ({}): {}", f.path, f.endpoint, f.message);
        }
    }
    if o.permission_denied() {
        eprintln!(
            "The admin key lacks permissions for the lists above. The connector needs an Admin API key created with All permissions (Settings > Organization > Admin keys)."
        );
    }
}

fn exit_code(o: &SyncOutcome) -> u8 {
    if o.permission_denied() {
        exit::FATAL
    } else if o.is_partial() {
        exit::PARTIAL
    } else {
        exit::OK
    }
}
