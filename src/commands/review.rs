//! `access`, `who`, `explain`, `stale`, `diff`, `report`: review answers from a saved sync
//! or a sync run now, printed as text (`output::review_text`) or, with --json, as the
//! engine's answer.

use crate::cli::{AccessArgs, DiffArgs, ExplainArgs, ReportArgs, ReviewSource, StaleArgs, WhoArgs};
use crate::console;
use crate::exit::CliError;
use crate::output::c1z::read as c1z;
use crate::output::review_text::{access_text, changes_text, explain_text, stale_text, who_text};
use crate::output::saved::{is_c1z, load_file, read_file, warn_unreadable};
use crate::settings;
use openai_access_actors::graph::{ResourceKey, ResourceType};
use openai_access_actors::review::{ReviewError, Snapshot};
use openai_access_actors::{SyncConfig, SyncRun, block_on};
use std::io::Write;
use std::path::Path;

pub fn access(args: AccessArgs) -> Result<crate::exit::Exit, CliError> {
    let (t, query) = match (&args.user, &args.group, &args.service_account, &args.invite) {
        (Some(q), ..) => (ResourceType::User, q),
        (_, Some(q), ..) => (ResourceType::Group, q),
        (_, _, Some(q), _) => (ResourceType::ServiceAccount, q),
        (.., Some(q)) => (ResourceType::Invite, q),
        _ => {
            return Err(CliError::usage(
                "name a principal: --user, --group, --service-account or --invite",
            ));
        }
    };
    // From a .c1z only what the answer needs is read (not for an invitation: its answer names
    // entitlements and resources it holds no grants for).
    let snap = match c1z_from(&args.source).filter(|_| t != ResourceType::Invite) {
        Some(path) => focused(path, |p| {
            c1z::read_for_principal(p, t, |probe| probe.find(t, query).ok().map(|r| r.key()))
        })?,
        None => load(&args.source)?,
    };
    let who = snap.find(t, query).map_err(review_error)?.key();
    let answer = snap.access(&who).map_err(review_error)?;
    emit(args.json.on, &answer, || access_text(&answer))?;
    end_with([snap]);
    Ok(crate::exit::OK)
}

pub fn who(args: WhoArgs) -> Result<crate::exit::Exit, CliError> {
    // A .c1z and a TYPE:ID: only that resource's grants are read.
    let typed = args.resource.parse::<ResourceKey>().ok();
    let snap = match (c1z_from(&args.source), &typed) {
        (Some(path), Some(key)) => focused(path, |p| c1z::read_for_resource(p, key))?,
        _ => load(&args.source)?,
    };
    let key = resource_key(&snap, &args.resource)?;
    let answer = snap.who(&key).map_err(review_error)?;
    emit(args.json.on, &answer, || who_text(&answer))?;
    end_with([snap]);
    Ok(crate::exit::OK)
}

pub fn explain(args: ExplainArgs) -> Result<crate::exit::Exit, CliError> {
    let snap = load(&args.source)?;
    let answer = snap.explain(args.grant.trim()).map_err(review_error)?;
    emit(args.json.on, &answer, || explain_text(&answer))?;
    end_with([snap]);
    Ok(crate::exit::OK)
}

/// The .c1z `--from` names, when the answer may be read from it directly (not when the
/// flags also ask for a live sync: `load` refuses that).
fn c1z_from(src: &ReviewSource) -> Option<&Path> {
    src.from
        .as_deref()
        .filter(|p| is_c1z(p))
        .filter(|_| src.connect.mock.is_none() && src.connect.base_url.is_none())
}

/// What one question needs, read from a .c1z through its indexes.
fn focused(
    path: &Path,
    read: impl FnOnce(&Path) -> Result<c1z::C1zSync, crate::output::c1z::C1zError>,
) -> Result<Snapshot, CliError> {
    let read = read(path).map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?;
    warn_unreadable(path, read.unreadable);
    warn_if_partial(&read.snapshot);
    Ok(read.snapshot)
}

/// The graphs a command answered from, not freed: these commands are the CLI's, one per
/// process, and the process ends with the answer. Handing a `large` graph (a million grants)
/// back to the OS at exit saves freeing it object by object (0.2 s of a 1.6 s `access`).
pub(crate) fn end_with(snaps: impl IntoIterator<Item = Snapshot>) {
    snaps.into_iter().for_each(std::mem::forget);
}

fn warn_if_partial(snap: &Snapshot) {
    if snap.partial {
        console::warn(
            "this sync is partial (some lists could not be read): access it did not see is missing from these answers",
        );
    }
}

/// The graph under review: the saved sync, or a sync of the org run now.
pub(crate) fn load(src: &ReviewSource) -> Result<Snapshot, CliError> {
    let snap = match &src.from {
        Some(path) => {
            if src.connect.mock.is_some() || src.connect.base_url.is_some() {
                return Err(CliError::usage(
                    "--from reads a saved sync; --mock and --base-url sync the org now: give one or the other",
                ));
            }
            load_file(path)?
        }
        None => live(src)?,
    };
    warn_if_partial(&snap);
    Ok(snap)
}

pub fn stale(args: StaleArgs) -> Result<crate::exit::Exit, CliError> {
    let snap = load(&args.source)?;
    let answer = snap.stale(args.window.now(), args.window.stale_days);
    emit(args.json.on, &answer, || stale_text(&answer))?;
    end_with([snap]);
    Ok(crate::exit::OK)
}

pub fn report(args: ReportArgs) -> Result<crate::exit::Exit, CliError> {
    let out = crate::output::target::writable_file(&args.out)?;
    let previous = args.previous.as_deref().map(load_file).transpose()?;
    let snap = load(&args.source)?;
    let stale = snap.stale(args.window.now(), args.window.stale_days);
    let changes = previous
        .as_ref()
        .map(|old| openai_access_actors::review::diff(old, &snap));
    let page = crate::output::report::render(
        &snap,
        &crate::output::report::Extras {
            stale: &stale,
            changes: changes.as_ref(),
        },
    );
    openai_access_actors::atomic::write_atomically(&out, |w| w.write_all(page.as_bytes()))
        .map_err(|e| CliError::io(format!("cannot write {}", out.display()), e))?;
    console::info(&format!("Wrote {}.", out.display()));
    end_with(previous.into_iter().chain([snap]));
    Ok(crate::exit::OK)
}

pub fn diff(args: DiffArgs) -> Result<crate::exit::Exit, CliError> {
    let (old, new) = match &args.new {
        Some(new) => (load_file(&args.old)?, load_file(new)?),
        None => {
            let mut two = read_file(&args.old, 2)?;
            match (two.pop(), two.pop()) {
                (Some(old), Some(new)) => (old, new),
                _ => {
                    return Err(CliError::usage(format!(
                        "{} holds one sync: give two files, or a .c1z that holds two (sync --append)",
                        args.old.display()
                    )));
                }
            }
        }
    };
    check_comparable(&args, &old, &new)?;
    let changes = openai_access_actors::review::diff(&old, &new);
    emit(args.json.on, &changes, || {
        changes_text(&changes, &old, &new)
    })?;
    end_with([old, new]);
    // As diff(1): 1 when the syncs differ.
    Ok(if changes.is_empty() {
        crate::exit::OK
    } else {
        crate::exit::DIFFERENT
    })
}

/// Two syncs of different organizations are refused unless asked for; an older sync given as
/// the newer one is said (the changes then read backwards).
fn check_comparable(args: &DiffArgs, old: &Snapshot, new: &Snapshot) -> Result<(), CliError> {
    if old.org_id != new.org_id && !args.across_orgs {
        return Err(CliError::usage(format!(
            "the syncs are of two organizations ({} and {}): every id differs, so everything would read as removed and added. Compare syncs of one organization, or pass --across-orgs",
            old.org_id, new.org_id
        )));
    }
    let at = |s: &Snapshot| {
        s.sync
            .as_ref()
            .and_then(|i| i.synced_at.as_deref())
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
    };
    if let (Some(o), Some(n)) = (at(old), at(new))
        && o > n
    {
        crate::console::warn(&format!(
            "the first sync ({}) is newer than the second ({}): the changes read from newer to older; give the older sync first",
            o.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            n.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ));
    }
    Ok(())
}

fn live(src: &ReviewSource) -> Result<Snapshot, CliError> {
    let conn = settings::connect(&src.connect)?;
    let config = SyncConfig {
        client: conn.client.clone(),
        org_id: conn.org_id.clone(),
        max_duration: None,
    };
    let outcome = block_on(async move {
        let api = openai_access_actors::AdminClient::new(config.client)
            .map_err(|e| super::sync::engine_error(e.into()))?;
        let mut outcome = SyncRun::start_on(&api, config.org_id, None, None)
            .finish()
            .await
            .map_err(super::sync::engine_error)?;
        // As `sync` does: usage of the default window after the grant lists, in memory.
        if outcome.unusable().is_none()
            && let Some(r) = crate::usage::read(&api, None, Default::default()).await
        {
            r.evidence.apply(&mut outcome.graph);
            if let Some(w) = crate::usage::warning(&r) {
                console::warn(&w);
            }
        }
        Ok::<_, CliError>(outcome)
    });
    drop(conn.mock);
    let outcome = outcome?;
    if let Some(why) = outcome.unusable() {
        return Err(CliError::fatal(format!("{why}: nothing to review")));
    }
    let mut snap = Snapshot::of_graph(&outcome.graph);
    snap.partial = outcome.is_partial();
    Ok(snap)
}

/// `TYPE:ID`, or an id that only one resource has.
fn resource_key(snap: &Snapshot, text: &str) -> Result<ResourceKey, CliError> {
    if let Ok(key) = text.parse::<ResourceKey>()
        && snap.resource(&key).is_some()
    {
        return Ok(key);
    }
    let hits: Vec<ResourceKey> = ResourceType::ALL
        .into_iter()
        .filter_map(|t| text.parse().ok().map(|id| ResourceKey::new(t, id)))
        .filter(|k| snap.resource(k).is_some())
        .collect();
    match hits.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(CliError::usage(format!(
            "no resource {text:?} in this sync (name it TYPE:ID, e.g. project:proj-abc)"
        ))),
        many => Err(CliError::usage(format!(
            "{text:?} names several resources ({}): name one as TYPE:ID",
            many.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

fn review_error(e: ReviewError) -> CliError {
    CliError::usage(e.to_string())
}

/// The answer on standard output: as JSON, or as the text a person reads.
fn emit<T: serde::Serialize>(
    json: bool,
    answer: &T,
    text: impl FnOnce() -> String,
) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    let written = if json {
        serde_json::to_writer_pretty(&mut out, answer)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out))
    } else {
        out.write_all(text().as_bytes())
    };
    written
        .and_then(|()| out.flush())
        .map_err(|e| CliError::io("cannot write to standard output", e))
}
