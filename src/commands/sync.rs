//! `openai-access sync`: run a full sync and write the grant graph.

use crate::cli::SyncArgs;
use crate::console;
use crate::exit::{self, CliError};
use crate::interrupt;
use crate::output::c1z::{Readers, SyncType};
use crate::output::json::{self, RunInfo};
use crate::output::limits;
use crate::output::summary::{StateSummary, Summary};
use crate::output::target::Target;
use crate::progress;
use crate::settings;
use crate::state;
use openai_access_actors::block_on;
use openai_access_actors::{AdminClient, EngineError, SyncRun};
use openai_access_actors::{SyncError, SyncOutcome};
use std::io::Write;
use std::path::PathBuf;

pub fn run(args: SyncArgs) -> Result<exit::Exit, CliError> {
    // Before anything is requested: a long sync must not find out at its end that it has
    // nowhere to go.
    let mut target = Target::check(
        args.out.as_deref(),
        args.format,
        args.append,
        args.allow_partial,
    )?;
    if args.state.is_some() {
        target.append_to_existing_c1z();
    }
    if args.c1z_newer_sdk {
        if target.format != crate::output::OutputFormat::C1z {
            return Err(CliError::usage(
                "--c1z-newer-sdk only applies to .c1z output (--out FILE.c1z)",
            ));
        }
        target.c1z_readers = Readers::NewerSdk;
    }
    let conn = settings::connect(&args.connect)?;
    // The embedded mock's port changes from run to run; its limits do not.
    let server = if conn.mock.is_some() {
        "mock".to_owned()
    } else {
        conn.client.base_url.clone()
    };
    let state_dir = args.state.as_deref().map(state::open).transpose()?;
    // An output of the last sync is there to keep when nothing changed (not a pipe).
    let have_output = target.path.as_ref().is_some_and(|p| p.exists());
    let mut opts = state::options(&args, have_output);
    if args.usage.options().is_some()
        && let Some(dir) = &state_dir
        && crate::usage::output_due(dir)
    {
        opts.need_graph = true;
    }
    interrupt::watch(match &args.state {
        Some(dir) => format!(
            "; nothing was written; the lists read so far are kept in {}: run the same command to resume",
            dir.display()
        ),
        None => "; nothing was written (with --state DIR a sync can be resumed)".to_owned(),
    });
    let show_progress = (!args.no_progress).then(|| {
        if progress::stderr_is_terminal() {
            progress::Mode::Bar
        } else {
            progress::Mode::Lines(std::time::Duration::from_secs(args.progress_every))
        }
    });
    tracing::info!(base_url = %conn.client.base_url, "Sync started.");
    let mut client = conn.client.clone();
    let org_id = conn.org_id.clone();
    let limits_file = args.limits_file.clone();
    let max_duration = args.max_duration;
    let usage_opts = args.usage.options();
    let srv = server.clone();
    if let Some(path) = &limits_file {
        client.throttle.known = limits::load(path, &srv);
    } else if let Some(dir) = &state_dir
        && let Ok(Some(m)) = dir.meta()
        && m.server == srv
    {
        client.throttle.known = m.limits;
    }
    let result = block_on(async move {
        // One client for the audit log and the sync: what the one learns, the other knows.
        let api = AdminClient::new(client).map_err(|e| engine_error(e.into()))?;
        let prepared = match &state_dir {
            Some(dir) => Some(state::prepare_sync(dir, &srv, org_id.as_ref(), &api, &opts).await?),
            None => None,
        };
        if prepared.as_ref().is_some_and(|p| p.unchanged()) {
            // The output is kept as it was; the state still learns the new days of usage.
            if let Some(opts) = usage_opts
                && let Some(r) = crate::usage::read(&api, state_dir.as_ref(), opts).await
                && let Some(w) = crate::usage::warning(&r)
            {
                console::warn(&w);
            }
            return Ok::<_, CliError>(Ran::Unchanged(prepared, state_dir, api));
        }
        let mut prepared = prepared;
        let run = match prepared.as_mut() {
            Some(p) => p.start(&api, org_id, max_duration),
            None => SyncRun::start_on(&api, org_id, max_duration, None),
        };
        let bar = show_progress.map(|mode| progress::SyncProgress::start(run.clone(), mode));
        let outcome = run.finish().await;
        if let Some(bar) = bar {
            bar.finish();
        }
        let mut outcome = outcome.map_err(engine_error)?;
        // After the grant lists, never instead of them: a sync that is no sync of the org
        // reads no usage, and a usage read that fails leaves the sync as complete as it was.
        let usage = match usage_opts {
            Some(opts) if outcome.unusable().is_none() => {
                let r = crate::usage::read(&api, state_dir.as_ref(), opts).await;
                if let Some(r) = &r {
                    r.evidence.apply(&mut outcome.graph);
                }
                r
            }
            _ => None,
        };
        Ok(Ran::Synced(Box::new((outcome, usage)), prepared, state_dir))
    });
    drop(conn.mock);
    let (outcome, usage, prepared, state_dir) = match result? {
        Ran::Synced(o, p, d) => {
            let (o, u) = *o;
            (o, u, p, d)
        }
        Ran::Unchanged(Some(p), Some(dir), api) => {
            return unchanged(&p, &dir, &server, &api, &target, &args);
        }
        Ran::Unchanged(..) => {
            return Err(CliError::fatal(
                "a state said nothing changed without a state",
            ));
        }
    };

    if let Some(why) = outcome.unusable() {
        report(
            &outcome,
            None,
            prepared.as_ref().map(StateSummary::of).as_ref(),
        );
        return Err(CliError::fatal(format!(
            "{why}, so nothing was written (an earlier output is left as it was, and the state is unchanged)"
        )));
    }
    let kind = match &prepared {
        Some(p) if p.resumed > 0 => "resumed",
        Some(p) => p.kind.as_str(),
        None => "full",
    };
    let mut run_info = RunInfo::now(&server, kind);
    run_info.state = prepared.as_ref().map(StateSummary::of);
    run_info.usage = usage.as_ref().map(crate::output::summary::UsageSummary::of);
    let written = write_output(&outcome, &run_info, &target)?;
    if let (Some(p), Some(dir)) = (&prepared, &state_dir)
        && !outcome.is_partial()
    {
        test_hook_stop_before_state();
        if let Some(run) = outcome_run(p) {
            p.commit(dir, run, &server, &outcome)
                .map_err(|e| CliError::fatal(format!("cannot store the state: {e}")))?;
        }
        if let Some(u) = &usage {
            crate::usage::written(dir, u);
        }
    } else if let (Some(dir), Some(_)) = (&state_dir, &prepared)
        && let Err(e) = dir.write_limits(&outcome.limits)
    {
        tracing::warn!(error = %e, "Cannot store the learned limits in the state.");
    }
    // Only ever saves time next run: a failure to store it must not fail this sync.
    if let Some(path) = &args.limits_file
        && let Err(e) = limits::save(path, &server, &outcome.limits)
    {
        tracing::warn!(error = %e, "Cannot store the learned limits.");
    }
    report(&outcome, Some(&written), run_info.state.as_ref());
    if let Some(u) = &run_info.usage {
        let days = u.days_read.values().copied().max().unwrap_or(0);
        console::info(&format!(
            "Usage: {} to {} ({} days), {} request(s) after the grant lists for {days} day(s) a type{}.",
            u.from,
            u.through,
            u.window_days,
            u.requests,
            if args.state.is_some() {
                ", the rest from the state"
            } else {
                ""
            }
        ));
    }
    if let Some(w) = usage.as_ref().and_then(crate::usage::warning) {
        console::warn(&w);
    }
    Ok(exit_code(&outcome))
}

/// How a sync with a state went: it ran, or nothing had changed.
enum Ran {
    Synced(
        Box<(SyncOutcome, Option<openai_access_actors::usage::UsageRead>)>,
        Option<openai_access_actors::stateful::Prepared>,
        Option<openai_access_actors::state::StateDir>,
    ),
    Unchanged(
        Option<openai_access_actors::stateful::Prepared>,
        Option<openai_access_actors::state::StateDir>,
        AdminClient,
    ),
}

/// The run the sync stored its lists under.
fn outcome_run(p: &openai_access_actors::stateful::Prepared) -> Option<u64> {
    p.run_id()
}

/// Nothing changed since the last sync: the output is left as it was (a `.c1z` gets no new
/// sync), the state stores the new cursor only; said in the summary and the log.
fn unchanged(
    p: &openai_access_actors::stateful::Prepared,
    dir: &openai_access_actors::state::StateDir,
    server: &str,
    api: &AdminClient,
    target: &Target,
    args: &SyncArgs,
) -> Result<exit::Exit, CliError> {
    let limits = api.throttle().known_limits();
    p.commit_unchanged(dir, server, &limits)
        .map_err(|e| CliError::fatal(format!("cannot store the state: {e}")))?;
    if let Some(path) = &args.limits_file
        && let Err(e) = limits::save(path, server, &limits)
    {
        tracing::warn!(error = %e, "Cannot store the learned limits.");
    }
    let summary = crate::output::summary::Unchanged::of(p, api, target.path.as_deref());
    console::block("Sync summary.", "summary", &summary, || summary.table());
    Ok(exit::OK)
}

/// A test hook: `OPENAI_ACCESS_TEST_STOP_BEFORE_STATE=1` ends the process between writing the
/// output and committing the state, as a crash there would (the tests of that crash use it).
fn test_hook_stop_before_state() {
    if std::env::var_os("OPENAI_ACCESS_TEST_STOP_BEFORE_STATE").is_some() {
        std::process::exit(137);
    }
}

pub(crate) fn engine_error(e: EngineError) -> CliError {
    match e {
        EngineError::Sync(SyncError::Unauthorized(m)) => CliError::fatal(crate::console::then(
            &format!("the admin key was rejected (HTTP 401): {m}"),
            "Nothing was crawled. Check OPENAI_ADMIN_KEY / BATON_OPENAI_ADMIN_KEY / --admin-key-file.",
        )),
        EngineError::Api(e) => CliError::usage(e.to_string()),
        e => CliError::fatal(e.to_string()),
    }
}

/// Where the output went.
enum Written {
    Stdout,
    /// The target itself.
    Target(PathBuf),
    /// Beside the target, which a partial sync may not replace.
    Beside {
        partial: PathBuf,
        target: PathBuf,
    },
}

/// Writes the output where the rules say: a complete sync to the target; a partial one beside
/// it unless `--allow-partial` (standard output has nothing earlier to protect). A .c1z
/// records a partial sync as `partial`, never as a finished full sync.
fn write_output(
    outcome: &SyncOutcome,
    run: &RunInfo,
    target: &Target,
) -> Result<Written, CliError> {
    let partial = outcome.is_partial();
    let Some(path) = &target.path else {
        let mut out = std::io::stdout().lock();
        json::write(outcome, run, &mut out)
            .and_then(|()| out.flush())
            .map_err(|e| CliError::io("cannot write to standard output", e))?;
        return Ok(Written::Stdout);
    };
    let (dest, append, written) = match target.partial_path() {
        Some(beside) if partial && !target.allow_partial => (
            beside.clone(),
            false,
            Written::Beside {
                partial: beside,
                target: path.clone(),
            },
        ),
        _ => (path.clone(), target.append, Written::Target(path.clone())),
    };
    let sync_type = if partial {
        SyncType::Partial
    } else {
        SyncType::Full
    };
    if append && target.kept_by_state {
        crate::output::append_or_restart(outcome, run, &dest, sync_type, target.c1z_readers)?;
    } else {
        crate::output::write_sync(
            outcome,
            run,
            &dest,
            target.format,
            append,
            sync_type,
            target.c1z_readers,
        )?;
    }
    Ok(written)
}

/// The summary, warnings and failures, on stderr (as JSON lines with `--log-format json`).
fn report(o: &SyncOutcome, written: Option<&Written>, state: Option<&StateSummary>) {
    let mut summary = Summary::of(o);
    summary.state = state.cloned();
    console::block("Sync summary.", "summary", &summary, || summary.table());
    for w in &o.warnings {
        console::warn(w);
    }
    if !o.report.dangling.is_empty() {
        console::warn(&format!(
            "{} grants referred to objects the sync never saw and were dropped",
            o.report.dangling.len()
        ));
    }
    if o.is_partial() {
        let lists: Vec<String> = o
            .failures
            .iter()
            .map(|f| format!("  - {} ({}): {}", f.path, f.endpoint.template(), f.message))
            .collect();
        let whereto = match written {
            Some(Written::Beside { partial, target }) => format!(
                "; written to {}, and {} left as it was (--allow-partial replaces it)",
                partial.display(),
                target.display()
            ),
            Some(Written::Target(p)) => format!("; written to {} (--allow-partial)", p.display()),
            Some(Written::Stdout) => "; written to standard output".to_owned(),
            None => String::new(),
        };
        console::warn(&format!(
            "PARTIAL: {} list(s) could not be read; the output is marked partial{whereto}:\n{}",
            o.failures.len(),
            lists.join("\n")
        ));
    } else if let Some(Written::Target(p)) = written {
        console::info(&format!("Wrote {}.", p.display()));
    }
    if o.permission_denied() {
        console::error(
            "The admin key lacks permissions for the lists above. The connector needs an Admin API key created with All permissions (Settings > Organization > Admin keys).",
        );
    }
}

fn exit_code(o: &SyncOutcome) -> exit::Exit {
    if o.permission_denied() {
        exit::FATAL
    } else if o.is_partial() {
        exit::PARTIAL
    } else {
        exit::OK
    }
}
