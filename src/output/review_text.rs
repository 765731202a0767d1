//! Review answers as a person reads them: aligned columns, names beside ids, every date
//! ISO-8601 (UTC). The answers themselves are the engine's (`openai_access_actors::review`).

use openai_access_actors::graph::ResourceType;
use openai_access_actors::review::{
    Access, ApiUse, Changes, Explanation, Held, Named, Path, Snapshot, Stale, Who, path_text,
};

pub fn stale_text(s: &Stale) -> String {
    let mut out = format!(
        "Stale access as of {} (unused for {} days or more):\n",
        date(Some(s.as_of)),
        s.days
    );
    // The key's project in a column of its own and its owner by id and name only: the full
    // `type:project/id (name <email>)` of both made this table over 200 columns wide.
    counted(
        &mut out,
        "API keys not used",
        &["PROJECT", "KEY", "OWNER", "CREATED", "LAST USED"],
        s.api_keys
            .iter()
            .map(|k| {
                let (project, key) = match k.key.key.id.as_str().split_once('/') {
                    Some((p, _)) => (p.to_owned(), short(&k.key)),
                    None => ("(admin key)".to_owned(), short(&k.key)),
                };
                vec![
                    project,
                    key,
                    k.owner.as_ref().map_or_else(|| "unknown".to_owned(), short),
                    date(k.created_at),
                    date(k.last_used_at),
                ]
            })
            .collect(),
    );
    counted(
        &mut out,
        "Service accounts with no key in use",
        &["SERVICE ACCOUNT", "STALE KEYS"],
        s.service_accounts
            .iter()
            .map(|a| vec![label(&a.service_account), a.keys.to_string()])
            .collect(),
    );
    counted(
        &mut out,
        "Invitations still pending after their expiry",
        &["INVITATION", "EXPIRED"],
        s.invites
            .iter()
            .map(|i| vec![label(&i.invite), date(Some(i.expires_at))])
            .collect(),
    );
    counted(
        &mut out,
        "Users with no sign-in and no API use",
        &["USER", "LAST SIGN-IN", "LAST API USE"],
        s.users
            .iter()
            .map(|u| {
                vec![
                    label(&u.user),
                    u.last_login_at
                        .map_or_else(|| "none seen".to_owned(), |t| date(Some(t))),
                    u.last_api_use_at
                        .map_or_else(|| "none seen".to_owned(), |t| day(Some(t))),
                ]
            })
            .collect(),
    );
    if let Some(note) = &s.users_note {
        out.push_str(&format!("  ({note})\n"));
    }
    counted(
        &mut out,
        &format!("Projects with no API use in {} days", s.days),
        &["PROJECT", "LAST API USE", "LAST MEMBER SIGN-IN"],
        s.projects
            .iter()
            .map(|p| {
                vec![
                    label(&p.project),
                    p.last_api_use_at
                        .map_or_else(|| "none in the window".to_owned(), |t| day(Some(t))),
                    p.last_member_sign_in_at
                        .map_or_else(|| "none seen".to_owned(), |t| date(Some(t))),
                ]
            })
            .collect(),
    );
    if let Some(note) = &s.usage_note {
        out.push_str(&format!("  ({note})\n"));
    }
    out
}

/// `YYYY-MM-DD` (usage is by day), or `never`.
fn day(epoch: Option<i64>) -> String {
    epoch
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .map_or_else(|| "never".to_owned(), |d| d.format("%Y-%m-%d").to_string())
}

/// `N requests, last YYYY-MM-DD` over the usage window, or `no API use in N days`.
pub fn api_use_text(u: &ApiUse) -> String {
    match u.last_used_at {
        Some(t) => format!(
            "{} request{} in {} days, last {}",
            u.requests,
            if u.requests == 1 { "" } else { "s" },
            u.window_days,
            day(Some(t))
        ),
        None => format!("no API use in {} days", u.window_days),
    }
}

/// `title: N` (or `none`), then the rows under their header.
fn counted(out: &mut String, title: &str, header: &[&str], rows: Vec<Vec<String>>) {
    if rows.is_empty() {
        out.push_str(&format!("\n{title}: none\n"));
    } else {
        out.push_str(&format!("\n{title}: {}\n", rows.len()));
        out.push_str(&table(header, &rows));
    }
}

fn when(s: &Snapshot) -> String {
    s.sync
        .as_ref()
        .and_then(|i| i.synced_at.clone())
        .unwrap_or_else(|| "an undated sync".to_owned())
}

pub fn changes_text(c: &Changes, old: &Snapshot, new: &Snapshot) -> String {
    if c.is_empty() {
        return format!("No changes from {} to {}.\n", when(old), when(new));
    }
    let n = |k: usize, one: &str, many: &str| format!("{k} {}", if k == 1 { one } else { many });
    let mut out = format!(
        "Changes from {} to {}: {}, {} added, {} removed, {} held differently; resources: {} added, {} removed\n",
        when(old),
        when(new),
        n(c.role_changes.len(), "role change", "role changes"),
        n(c.grants_added.len(), "grant", "grants"),
        c.grants_removed.len(),
        c.held_changes.len(),
        c.resources_added.len(),
        c.resources_removed.len(),
    );
    let section = |out: &mut String, title: &str, rows: Vec<Vec<String>>| {
        if rows.is_empty() {
            return;
        }
        out.push_str(&format!("\n{title}:\n"));
        out.push_str(&aligned(&rows));
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
    section(
        &mut out,
        "Held differently (the same access, other reasons)",
        c.held_changes
            .iter()
            .map(|h| {
                vec![
                    format!("  ~ {}", h.grant),
                    label(&h.principal),
                    format!("{} -> {}", how(&h.from, false), how(&h.to, false)),
                ]
            })
            .collect(),
    );
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

/// The id's last segment and the name (`svc_acct_1 (Data bot)`): for a column whose heading
/// says the type, beside a column that says the project.
fn short(n: &Named) -> String {
    let last = n.key.id.as_str().rsplit('/').next().unwrap_or_default();
    if n.name.is_empty() || n.name.contains(last) {
        last.to_owned()
    } else {
        format!("{last} ({})", n.name)
    }
}

/// `type:id (Name <email>)`; the name is left out where it only repeats the id.
fn label(n: &Named) -> String {
    let mut s = n.key.to_string();
    // A name that only repeats the id (`key_abc key`, as unnamed keys are often called) says
    // nothing and doubles the column's width.
    let last = n.key.id.as_str().rsplit('/').next().unwrap_or_default();
    let name = (last.is_empty() || !n.name.contains(last)).then_some(n.name.as_str());
    match (name, &n.email) {
        (Some(name), Some(e)) if name != e => s.push_str(&format!(" ({name} <{e}>)")),
        (Some(name), _) => s.push_str(&format!(" ({name})")),
        (None, Some(e)) => s.push_str(&format!(" <{e}>")),
        (None, None) => {}
    }
    s
}

pub(crate) fn how(paths: &[Path], immutable: bool) -> String {
    let mut parts: Vec<String> = paths.iter().map(path_text).collect();
    if immutable {
        parts.push("immutable".to_owned());
    }
    parts.join("; ")
}

/// Unix seconds as ISO-8601 (UTC), the form of every date a person reads.
pub fn iso_time(epoch: Option<i64>) -> Option<String> {
    epoch
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

pub fn date(epoch: Option<i64>) -> String {
    iso_time(epoch).unwrap_or_else(|| "never".to_owned())
}

/// Columns padded to their widest cell, two spaces apart, no trailing blanks, under a
/// header line.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut all = vec![header.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>()];
    all.extend_from_slice(rows);
    aligned(&all)
}

/// Columns padded to their widest cell, two spaces apart, no trailing blanks.
fn aligned(rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = Vec::new();
    for r in rows {
        widths.resize(widths.len().max(r.len()), 0);
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    for r in rows {
        let mut line = String::new();
        for (i, (c, w)) in r.iter().zip(&widths).enumerate() {
            if i + 1 == r.len() {
                line.push_str(c);
            } else {
                line.push_str(&format!("{c:<w$}  "));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn entitlement_slug(h: &Held) -> &str {
    h.entitlement.rsplit(':').next().unwrap_or(&h.entitlement)
}

pub fn access_text(a: &Access) -> String {
    let pending = a
        .grants
        .iter()
        .any(|g| g.paths.iter().any(|p| matches!(p, Path::Invitation { .. })));
    let mut out = format!(
        "{} {}: {} grant{}\n",
        if pending {
            "Access carried by"
        } else {
            "Access of"
        },
        label(&a.principal),
        a.grants.len(),
        if a.grants.len() == 1 { "" } else { "s" }
    );
    if let Some(u) = &a.api_use {
        out.push_str(&format!("API use: {}\n", api_use_text(u)));
    }
    out.push('\n');
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
            .map(|k| {
                let mut row = vec![label(&k.key), date(k.created_at), date(k.last_used_at)];
                row.extend(k.api_use.as_ref().map(api_use_text));
                row
            })
            .collect();
        let with_use = a.api_keys.iter().any(|k| k.api_use.is_some());
        let header: &[&str] = if with_use {
            &["KEY", "CREATED", "LAST USED", "API USE"]
        } else {
            &["KEY", "CREATED", "LAST USED"]
        };
        out.push_str(&table(header, &rows));
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

pub fn who_text(w: &Who) -> String {
    let holders: usize = w.roles.iter().map(|r| r.holders.len()).sum();
    let mut out = format!(
        "Who can access {}: {holders} grant{}\n",
        label(&w.resource),
        if holders == 1 { "" } else { "s" }
    );
    if let Some(u) = &w.api_use {
        out.push_str(&format!("API use in it: {}\n", api_use_text(u)));
    }
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
                let mut row = vec![
                    format!("  {}", label(&h.principal)),
                    how(&h.paths, h.immutable),
                ];
                row.extend(h.api_use.as_ref().map(api_use_text));
                row
            })
            .collect();
        out.push_str(&aligned(&rows));
    }
    out
}

/// The chain behind one grant, as a tree.
pub fn explain_text(e: &Explanation) -> String {
    let mut out = String::new();
    tree(e, "", &mut out);
    out
}

fn tree(e: &Explanation, indent: &str, out: &mut String) {
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
        let step = path_text(&r.path);
        match &r.rests_on {
            Some(under) => {
                out.push_str(&format!(
                    "{indent}{branch}{step}, which rests on {}\n",
                    under.grant
                ));
                tree(under, &format!("{indent}{more}"), out);
            }
            None => out.push_str(&format!("{indent}{branch}{step}\n")),
        }
    }
}
