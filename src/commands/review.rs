//! `access`, `who`, `explain`: review answers from a saved sync or a sync run now, printed as
//! aligned text (dates ISO-8601) or, with --json, as the engine's answer.

use crate::cli::{AccessArgs, DiffArgs, ExplainArgs, ReportArgs, ReviewSource, StaleArgs, WhoArgs};
use crate::console;
use crate::exit::CliError;
use crate::settings;
use openai_access_actors::graph::{ResourceKey, ResourceType};
use openai_access_actors::review::{
    Access, Changes, Explanation, Held, Named, Path, ReviewError, Snapshot, Stale, Who, path_text,
};
use openai_access_actors::{SyncConfig, SyncRun, block_on};
use std::io::Write;

pub fn access(args: AccessArgs) -> Result<u8, CliError> {
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
    let snap = match focused(&args.source, t, query)? {
        Some(snap) => snap,
        None => load(&args.source)?,
    };
    let who = snap.find(t, query).map_err(review_error)?.key();
    let answer = snap.access(&who).map_err(review_error)?;
    emit(&args.source, &answer, || access_text(&answer))
}

pub fn who(args: WhoArgs) -> Result<u8, CliError> {
    // A .c1z and a TYPE:ID it holds: only that resource's grants are read.
    let typed = args.resource.parse::<ResourceKey>().ok();
    let snap = match (&args.source.from, &typed) {
        (Some(path), Some(key)) if is_c1z(path) && args.source.connect.mock.is_none() => {
            let read = crate::output::c1z::read::read_for_resource(path, key)
                .map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?;
            warn_about(path, read.unreadable, read.snapshot.partial);
            read.snapshot
        }
        _ => load(&args.source)?,
    };
    let key = resource_key(&snap, &args.resource)?;
    let answer = snap.who(&key).map_err(review_error)?;
    emit(&args.source, &answer, || who_text(&answer))
}

pub fn explain(args: ExplainArgs) -> Result<u8, CliError> {
    let snap = load(&args.source)?;
    let answer = snap.explain(args.grant.trim()).map_err(review_error)?;
    emit(&args.source, &answer, || {
        let mut out = String::new();
        explain_text(&answer, "", &mut out);
        out
    })
}

/// From a .c1z, only what one principal's answer needs (read through the file's indexes,
/// not the whole graph); `None` where the whole graph is read instead (JSON, a live sync, an
/// invitation, whose answer names what it has no grants for).
fn focused(src: &ReviewSource, t: ResourceType, query: &str) -> Result<Option<Snapshot>, CliError> {
    let Some(path) = &src.from else {
        return Ok(None);
    };
    if !is_c1z(path) || t == ResourceType::Invite || src.connect.mock.is_some() {
        return Ok(None);
    }
    let read = crate::output::c1z::read::read_for_principal(path, t, |probe| {
        probe.find(t, query).ok().map(|r| r.key())
    })
    .map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?;
    warn_about(path, read.unreadable, read.snapshot.partial);
    Ok(Some(read.snapshot))
}

fn is_c1z(path: &std::path::Path) -> bool {
    let mut magic = [0u8; 3];
    std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
        .is_ok()
        && &magic == b"C1Z"
}

/// What a reader of this answer must know about the file it came from.
fn warn_about(path: &std::path::Path, unreadable: usize, partial: bool) {
    if unreadable > 0 {
        console::warn(&format!(
            "{}: {unreadable} rows could not be read and are left out of this answer",
            path.display()
        ));
    }
    if partial {
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
    if snap.partial {
        console::warn(
            "this sync is partial (some lists could not be read): access it did not see is missing from these answers",
        );
    }
    Ok(snap)
}

pub fn stale(args: StaleArgs) -> Result<u8, CliError> {
    let snap = load(&args.source)?;
    let answer = snap.stale(args.window.now(), args.window.stale_days);
    emit(&args.source, &answer, || stale_text(&answer))
}

fn stale_text(s: &Stale) -> String {
    let mut out = format!(
        "Stale access as of {} (unused for {} days or more):\n",
        date(Some(s.as_of)),
        s.days
    );
    let heading = |out: &mut String, title: &str, n: usize| {
        out.push_str(&format!(
            "\n{title}: {}\n",
            if n == 0 {
                "none".to_owned()
            } else {
                n.to_string()
            }
        ));
    };
    heading(&mut out, "API keys not used", s.api_keys.len());
    if !s.api_keys.is_empty() {
        let rows: Vec<Vec<String>> = s
            .api_keys
            .iter()
            .map(|k| {
                vec![
                    label(&k.key),
                    k.owner.as_ref().map_or_else(|| "unknown".to_owned(), label),
                    date(k.created_at),
                    date(k.last_used_at),
                ]
            })
            .collect();
        out.push_str(&table(&["KEY", "OWNER", "CREATED", "LAST USED"], &rows));
    }
    heading(
        &mut out,
        "Service accounts with no key in use",
        s.service_accounts.len(),
    );
    if !s.service_accounts.is_empty() {
        let rows: Vec<Vec<String>> = s
            .service_accounts
            .iter()
            .map(|a| vec![label(&a.service_account), a.keys.to_string()])
            .collect();
        out.push_str(&table(&["SERVICE ACCOUNT", "STALE KEYS"], &rows));
    }
    heading(
        &mut out,
        "Invitations still pending after their expiry",
        s.invites.len(),
    );
    if !s.invites.is_empty() {
        let rows: Vec<Vec<String>> = s
            .invites
            .iter()
            .map(|i| vec![label(&i.invite), date(Some(i.expires_at))])
            .collect();
        out.push_str(&table(&["INVITATION", "EXPIRED"], &rows));
    }
    out
}

pub fn report(args: ReportArgs) -> Result<u8, CliError> {
    let dir = openai_access_actors::atomic::parent_dir(&args.out);
    if !dir.is_dir() {
        return Err(CliError::usage(format!(
            "cannot write {}: the directory {} does not exist",
            args.out.display(),
            dir.display()
        )));
    }
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
            date: &date,
        },
    );
    openai_access_actors::atomic::write_atomically(&args.out, |w| w.write_all(page.as_bytes()))
        .map_err(|e| CliError::io(format!("cannot write {}", args.out.display()), e))?;
    console::info(&format!("Wrote {}.", args.out.display()));
    Ok(0)
}

/// A saved sync: the JSON a sync wrote (streamed), or the newest finished sync in a .c1z.
fn load_file(path: &std::path::Path) -> Result<Snapshot, CliError> {
    match read_file(path, 1)?.pop() {
        Some(s) => Ok(s),
        None => Err(CliError::usage(format!(
            "{}: no sync in it",
            path.display()
        ))),
    }
}

/// Up to `count` syncs from a file, newest first: a JSON output holds one; a .c1z holds the
/// last few full syncs.
fn read_file(path: &std::path::Path, count: usize) -> Result<Vec<Snapshot>, CliError> {
    let bad = |e: &dyn std::fmt::Display| CliError::usage(format!("{}: {e}", path.display()));
    let mut file = std::fs::File::open(path)
        .map_err(|e| CliError::usage(format!("cannot read {}: {e}", path.display())))?;
    let mut magic = [0u8; 3];
    let n = std::io::Read::read(&mut file, &mut magic)
        .map_err(|e| CliError::usage(format!("cannot read {}: {e}", path.display())))?;
    if magic.get(..n) == Some(b"C1Z".as_slice()) {
        drop(file);
        let syncs = crate::output::c1z::read::read_syncs(path, count).map_err(|e| bad(&e))?;
        warn_about(path, syncs.iter().map(|s| s.unreadable).sum(), false);
        return Ok(syncs.into_iter().map(|s| s.snapshot).collect());
    }
    let rest = std::io::Read::chain(magic.get(..n).unwrap_or_default(), file);
    Ok(vec![Snapshot::from_json(rest).map_err(|e| bad(&e))?])
}

pub fn diff(args: DiffArgs) -> Result<u8, CliError> {
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
    let changes = openai_access_actors::review::diff(&old, &new);
    let mut out = std::io::stdout().lock();
    let written = if args.json {
        serde_json::to_writer_pretty(&mut out, &changes)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out))
    } else {
        out.write_all(changes_text(&changes, &old, &new).as_bytes())
    };
    written
        .and_then(|()| out.flush())
        .map_err(|e| CliError::io("cannot write to standard output", e))?;
    Ok(u8::from(!changes.is_empty()))
}

fn when(s: &Snapshot) -> String {
    s.sync
        .as_ref()
        .and_then(|i| i.synced_at.clone())
        .unwrap_or_else(|| "an undated sync".to_owned())
}

fn changes_text(c: &Changes, old: &Snapshot, new: &Snapshot) -> String {
    if c.is_empty() {
        return format!("No changes from {} to {}.\n", when(old), when(new));
    }
    let n = |k: usize, one: &str, many: &str| format!("{k} {}", if k == 1 { one } else { many });
    let mut out = format!(
        "Changes from {} to {}: {}, {} added, {} removed; resources: {} added, {} removed\n",
        when(old),
        when(new),
        n(c.role_changes.len(), "role change", "role changes"),
        n(c.grants_added.len(), "grant", "grants"),
        c.grants_removed.len(),
        c.resources_added.len(),
        c.resources_removed.len(),
    );
    let section = |out: &mut String, title: &str, rows: Vec<Vec<String>>| {
        if rows.is_empty() {
            return;
        }
        out.push_str(&format!("\n{title}:\n"));
        for line in table(&["", "", ""], &rows).lines().skip(1) {
            out.push_str(line);
            out.push('\n');
        }
    };
    section(
        &mut out,
        "Role changes",
        c.role_changes
            .iter()
            .map(|r| {
                vec![
                    format!("  ~ {}", label(&r.principal)),
                    r.resource
                        .as_ref()
                        .map_or_else(String::new, |res| format!("on {}", label(res))),
                    format!("{} -> {}", r.from, r.to),
                ]
            })
            .collect(),
    );
    let grants = |v: &[openai_access_actors::review::diff::GrantChange], sign: &str| {
        v.iter()
            .map(|g| {
                vec![
                    format!("  {sign} {}", g.grant),
                    label(&g.principal),
                    how(&g.paths, false),
                ]
            })
            .collect()
    };
    section(&mut out, "Grants added", grants(&c.grants_added, "+"));
    section(&mut out, "Grants removed", grants(&c.grants_removed, "-"));
    let res = |v: &[Named], sign: &str| {
        v.iter()
            .map(|r| {
                vec![
                    format!("  {sign} {}", label(r)),
                    String::new(),
                    String::new(),
                ]
            })
            .collect()
    };
    section(&mut out, "Resources added", res(&c.resources_added, "+"));
    section(
        &mut out,
        "Resources removed",
        res(&c.resources_removed, "-"),
    );
    out
}

fn live(src: &ReviewSource) -> Result<Snapshot, CliError> {
    let conn = settings::connect(&src.connect)?;
    let config = SyncConfig {
        client: conn.client.clone(),
        org_id: conn.org_id.clone(),
        max_duration: None,
    };
    let outcome = block_on(async move {
        let run = SyncRun::start_persisted(config, None)
            .map_err(|e| super::sync::engine_error(e.into()))?;
        run.finish().await.map_err(super::sync::engine_error)
    });
    drop(conn.mock);
    let outcome = outcome?;
    if outcome.read_nothing() {
        return Err(CliError::fatal(
            "not one list could be read: nothing to review",
        ));
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

fn emit<T: serde::Serialize>(
    src: &ReviewSource,
    answer: &T,
    text: impl FnOnce() -> String,
) -> Result<u8, CliError> {
    let mut out = std::io::stdout().lock();
    let written = if src.json {
        serde_json::to_writer_pretty(&mut out, answer)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out))
    } else {
        out.write_all(text().as_bytes())
    };
    written
        .and_then(|()| out.flush())
        .map_err(|e| CliError::io("cannot write to standard output", e))?;
    Ok(0)
}

/// `type:id (Name <email>)`; the name is left out where it only repeats the id.
fn label(n: &Named) -> String {
    let mut s = n.key.to_string();
    let name = (n.name != n.key.id.as_str()).then_some(n.name.as_str());
    match (name, &n.email) {
        (Some(name), Some(e)) if name != e => s.push_str(&format!(" ({name} <{e}>)")),
        (Some(name), _) => s.push_str(&format!(" ({name})")),
        (None, Some(e)) => s.push_str(&format!(" <{e}>")),
        (None, None) => {}
    }
    s
}

fn how(paths: &[Path], immutable: bool) -> String {
    let mut parts: Vec<String> = paths.iter().map(path_text).collect();
    if immutable {
        parts.push("immutable".to_owned());
    }
    parts.join("; ")
}

/// Unix seconds as ISO-8601 (UTC), the form of every date a person reads.
pub(crate) fn iso_time(epoch: Option<i64>) -> Option<String> {
    epoch
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

fn date(epoch: Option<i64>) -> String {
    iso_time(epoch).unwrap_or_else(|| "never".to_owned())
}

/// Columns padded to their widest cell, two spaces apart, no trailing blanks.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, (c, w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  "));
            }
        }
        s.trim_end().to_owned() + "\n"
    };
    let mut out = line(header.to_vec());
    for r in rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
    }
    out
}

fn entitlement_slug(h: &Held) -> &str {
    h.entitlement.rsplit(':').next().unwrap_or(&h.entitlement)
}

fn access_text(a: &Access) -> String {
    let pending = a
        .grants
        .iter()
        .any(|g| g.paths.iter().any(|p| matches!(p, Path::Invitation { .. })));
    let mut out = format!(
        "{} {}: {} grant{}\n\n",
        if pending {
            "Access carried by"
        } else {
            "Access of"
        },
        label(&a.principal),
        a.grants.len(),
        if a.grants.len() == 1 { "" } else { "s" }
    );
    let rows: Vec<Vec<String>> = a
        .grants
        .iter()
        .map(|g| {
            vec![
                label(&g.resource),
                entitlement_slug(g).to_owned(),
                how(&g.paths, g.immutable),
            ]
        })
        .collect();
    out.push_str(&table(&["RESOURCE", "ENTITLEMENT", "HOW"], &rows));
    // Invitations and groups own no keys.
    if pending || a.principal.key.resource_type == ResourceType::Group {
        return out;
    }
    out.push('\n');
    if a.api_keys.is_empty() {
        out.push_str("API keys: none\n");
    } else {
        out.push_str("API keys:\n");
        let rows: Vec<Vec<String>> = a
            .api_keys
            .iter()
            .map(|k| vec![label(&k.key), date(k.created_at), date(k.last_used_at)])
            .collect();
        out.push_str(&table(&["KEY", "CREATED", "LAST USED"], &rows));
    }
    if a.principal.key.resource_type == ResourceType::User {
        let invites: Vec<String> = a.pending_invites.iter().map(label).collect();
        out.push_str(&format!(
            "\nPending invitations to the same email: {}\n",
            if invites.is_empty() {
                "none".to_owned()
            } else {
                invites.join(", ")
            }
        ));
    }
    out
}

fn who_text(w: &Who) -> String {
    let holders: usize = w.roles.iter().map(|r| r.holders.len()).sum();
    let mut out = format!(
        "Who can access {}: {holders} grant{}\n",
        label(&w.resource),
        if holders == 1 { "" } else { "s" }
    );
    for r in &w.roles {
        out.push_str(&format!(
            "\n{} ({}): {}\n",
            r.entitlement,
            r.entitlement_name,
            r.holders.len()
        ));
        let rows: Vec<Vec<String>> = r
            .holders
            .iter()
            .map(|h| {
                vec![
                    format!("  {}", label(&h.principal)),
                    how(&h.paths, h.immutable),
                ]
            })
            .collect();
        for line in table(&["", ""], &rows).lines().skip(1) {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn explain_text(e: &Explanation, indent: &str, out: &mut String) {
    if indent.is_empty() {
        out.push_str(&format!("{}\n", e.grant));
        out.push_str(&format!(
            "{} holds {} on {}{}\n",
            label(&e.principal),
            e.entitlement_name,
            label(&e.resource),
            if e.immutable { " (immutable)" } else { "" }
        ));
    }
    for (i, r) in e.because.iter().enumerate() {
        let last = i + 1 == e.because.len();
        let (branch, more) = if last {
            ("└─ ", "   ")
        } else {
            ("├─ ", "│  ")
        };
        let step = how(std::slice::from_ref(&r.path), false);
        match &r.rests_on {
            Some(under) => {
                out.push_str(&format!(
                    "{indent}{branch}{step}, which rests on {}\n",
                    under.grant
                ));
                explain_text(under, &format!("{indent}{more}"), out);
            }
            None => out.push_str(&format!("{indent}{branch}{step}\n")),
        }
    }
}
