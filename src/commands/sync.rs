//! `openai-access sync`: run a full sync and write the grant graph.

use crate::cli::{OutputFormat, SyncArgs};
use crate::exit::{self, CliError};
use crate::output::{atomic, json, limits, summary::Summary};
use crate::progress;
use crate::settings;
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
    if let Some(path) = &args.limits_file {
        client.throttle.known = limits::load(path, &server);
    }
    let config = SyncConfig {
        client,
        org_id: conn.org_id.clone(),
    };
    let show_progress = !args.no_progress && progress::stderr_is_terminal();
    tracing::info!(base_url = %config.client.base_url, "Sync started.");

    let result = block_on(async move {
        let run = SyncRun::start(config)?;
        let bar = show_progress.then(|| progress::SyncProgress::start(run.clone()));
        let outcome = run.finish().await;
        if let Some(bar) = bar {
            bar.finish();
        }
        outcome
    });
    drop(conn.mock);

    let outcome = match result {
        Ok(o) => o,
        Err(EngineError::Sync(SyncError::Unauthorized(m))) => {
            return Err(CliError::fatal(format!(
                "the admin key was rejected (HTTP 401): {m}. Nothing was crawled. Check OPENAI_ADMIN_KEY / BATON_OPENAI_ADMIN_KEY / --admin-key-file."
            )));
        }
        Err(EngineError::Api(e)) => return Err(CliError::usage(e.to_string())),
        Err(e) => return Err(CliError::fatal(e.to_string())),
    };

    if let (Some(path), Some(format)) = (&args.out, format) {
        write_output(&outcome, path, format, args.append)?;
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
