//! The reviewer's page: one self-contained HTML file (no network, no external assets),
//! readable without JavaScript; a few lines of script add search and sorting to the tables.
//! Every text from the org is escaped: a display name is data, never markup.

use super::review_text::{date, how};
use openai_access_actors::graph::ResourceType;
use openai_access_actors::review::{Changes, Snapshot, Stale, email_of, profile_int, profile_str};
use std::fmt::Write as _;

/// Text as HTML: `<`, `>`, `&`, `"` and `'` escaped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}\
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top;max-width:40em;overflow-wrap:break-word}\
th{background:#f3f3f3;cursor:pointer;white-space:nowrap}.counts td{font-size:1.2em}.muted{color:#777}\
input.search{margin:.3em 0;padding:3px;width:20em}";

/// Search boxes filter their table's rows; a click on a header sorts by that column.
const SCRIPT: &str = "document.querySelectorAll('table.data').forEach(function(t){\
var i=document.createElement('input');i.className='search';i.placeholder='Search';\
t.parentNode.insertBefore(i,t);i.addEventListener('input',function(){var q=i.value.toLowerCase();\
t.querySelectorAll('tbody tr').forEach(function(r){r.style.display=r.textContent.toLowerCase().indexOf(q)<0?'none':''})});\
t.querySelectorAll('th').forEach(function(h,n){h.addEventListener('click',function(){\
var b=t.tBodies[0],rs=Array.prototype.slice.call(b.rows),d=h.dataset.dir=h.dataset.dir==='a'?'d':'a';\
rs.sort(function(x,y){var p=x.cells[n].textContent,q=y.cells[n].textContent;return (d==='a'?1:-1)*p.localeCompare(q,undefined,{numeric:true})});\
rs.forEach(function(r){b.appendChild(r)})})})});";

fn table(out: &mut String, id: &str, header: &[&str], rows: &[Vec<String>]) {
    if rows.is_empty() {
        out.push_str("<p class=\"muted\">None.</p>\n");
        return;
    }
    let _ = write!(out, "<table class=\"data\" id=\"{id}\"><thead><tr>");
    for h in header {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr></thead><tbody>\n");
    for r in rows {
        out.push_str("<tr>");
        for c in r {
            let _ = write!(out, "<td>{}</td>", escape(c));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
}

/// What the page shows besides the graph itself.
pub struct Extras<'a> {
    pub stale: &'a Stale,
    /// The changes since the previous sync, when one was given.
    pub changes: Option<&'a Changes>,
}

pub fn render(snap: &Snapshot, x: &Extras<'_>) -> String {
    let users = snap.resources_of(ResourceType::User);
    let pending = snap.pending_invites();
    let keys = snap.api_keys();
    let owners = snap.org_owners();

    let mut out = String::with_capacity(1 << 16);
    let when = snap
        .sync
        .as_ref()
        .and_then(|s| s.synced_at.clone())
        .unwrap_or_else(|| "(time not recorded)".to_owned());
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src '{style_hash}'; script-src '{script_hash}'\">\
         <title>Access review: {org}</title><style>{STYLE}</style></head><body>\n\
         <h1>Access review of {org}</h1>\n<p class=\"muted\">Synced {when}{partial}.</p>\n",
        org = escape(&snap.org_id),
        when = escape(&when),
        style_hash = csp_hash(STYLE),
        script_hash = csp_hash(SCRIPT),
        partial = if snap.partial {
            " — <strong>partial: some lists could not be read</strong>"
        } else {
            ""
        },
    );

    let count = |t: ResourceType| snap.resources_of(t).len();
    out.push_str("<h2 id=\"counts\">Headline counts</h2>\n<table class=\"counts\"><tbody>\n");
    for (label, n) in [
        ("Users", users.len()),
        ("Org owners", owners.len()),
        ("Pending invitations", pending.len()),
        ("Groups", count(ResourceType::Group)),
        ("Projects", count(ResourceType::Project)),
        ("Service accounts", count(ResourceType::ServiceAccount)),
        ("API keys", keys.len()),
        ("Grants", snap.grants().len()),
    ] {
        let _ = writeln!(out, "<tr><th>{label}</th><td>{n}</td></tr>");
    }
    out.push_str("</tbody></table>\n");

    out.push_str("<h2 id=\"owners\">Org owners</h2>\n");
    let rows: Vec<Vec<String>> = owners
        .iter()
        .map(|o| {
            vec![
                o.key.id.to_string(),
                o.name.clone(),
                o.email.clone().unwrap_or_default(),
            ]
        })
        .collect();
    table(&mut out, "owners-table", &["User", "Name", "Email"], &rows);

    out.push_str("<h2 id=\"users\">Users and their access</h2>\n");
    let rows: Vec<Vec<String>> = users
        .iter()
        .map(|u| {
            let access: Vec<String> = snap
                .grants_of(&u.key())
                .map(|g| format!("{} ({})", snap.named(&g.resource).name, g.entitlement.slug))
                .collect();
            vec![
                u.id.to_string(),
                u.display_name.clone(),
                email_of(u).unwrap_or_default().to_owned(),
                profile_str(u, "role").unwrap_or_default().to_owned(),
                date(profile_int(u, "added_at")),
                access.len().to_string(),
                access.join(", "),
            ]
        })
        .collect();
    table(
        &mut out,
        "users-table",
        &[
            "User", "Name", "Email", "Org role", "Added", "Grants", "Access",
        ],
        &rows,
    );

    out.push_str("<h2 id=\"projects\">Projects and who can access them</h2>\n");
    let rows: Vec<Vec<String>> = snap
        .resources_of(ResourceType::Project)
        .iter()
        .map(|p| {
            // As `who`; a role scoped to the project is named by the role.
            let key = p.key();
            let holders: Vec<String> = snap
                .grants_giving_access_to(&key)
                .map(|g| {
                    let what = if g.resource == key {
                        g.entitlement.slug.to_string()
                    } else {
                        snap.named(&g.resource).name
                    };
                    format!("{} ({what})", snap.named(&g.principal).name)
                })
                .collect();
            vec![
                p.id.to_string(),
                p.display_name.clone(),
                profile_str(p, "status").unwrap_or_default().to_owned(),
                holders.len().to_string(),
                holders.join(", "),
            ]
        })
        .collect();
    table(
        &mut out,
        "projects-table",
        &["Project", "Name", "Status", "Grants", "Who"],
        &rows,
    );

    out.push_str("<h2 id=\"keys\">API keys</h2>\n");
    let rows: Vec<Vec<String>> = keys
        .iter()
        .map(|k| {
            vec![
                k.key.key.to_string(),
                k.key.name.clone(),
                k.owner.as_ref().map(|o| o.name.clone()).unwrap_or_default(),
                date(k.created_at),
                date(k.last_used_at),
            ]
        })
        .collect();
    table(
        &mut out,
        "keys-table",
        &["Key", "Name", "Owner", "Created", "Last used"],
        &rows,
    );

    let _ = writeln!(
        out,
        "<h2 id=\"stale\">Stale access (unused for {} days as of {})</h2>",
        x.stale.days,
        escape(&date(Some(x.stale.as_of)))
    );
    let mut rows: Vec<Vec<String>> = x
        .stale
        .api_keys
        .iter()
        .map(|k| {
            vec![
                "API key".to_owned(),
                k.key.key.to_string(),
                k.owner.as_ref().map(|o| o.name.clone()).unwrap_or_default(),
                format!("last used {}", date(k.last_used_at)),
            ]
        })
        .collect();
    rows.extend(x.stale.service_accounts.iter().map(|a| {
        vec![
            "Service account".to_owned(),
            a.service_account.key.to_string(),
            a.service_account.name.clone(),
            format!("{} stale key(s), none in use", a.keys),
        ]
    }));
    rows.extend(x.stale.invites.iter().map(|i| {
        vec![
            "Invitation".to_owned(),
            i.invite.key.to_string(),
            i.invite.email.clone().unwrap_or_default(),
            format!("pending, expired {}", date(Some(i.expires_at))),
        ]
    }));
    rows.extend(x.stale.users.iter().map(|u| {
        vec![
            "User".to_owned(),
            u.user.key.to_string(),
            u.user.email.clone().unwrap_or_default(),
            match u.last_login_at {
                Some(t) => format!("last sign-in {}", date(Some(t))),
                None => "no sign-in seen".to_owned(),
            },
        ]
    }));
    rows.extend(x.stale.projects.iter().map(|p| {
        vec![
            "Project".to_owned(),
            p.project.key.to_string(),
            p.project.name.clone(),
            format!(
                "no API use in {} days{}",
                x.stale.days,
                p.last_member_sign_in_at
                    .map(|t| format!(" (a member signed in {})", date(Some(t))))
                    .unwrap_or_default()
            ),
        ]
    }));
    table(
        &mut out,
        "stale-table",
        &["Kind", "Id", "Who", "Why"],
        &rows,
    );
    if let Some(note) = &x.stale.usage_note {
        let _ = writeln!(out, "<p class=\"muted\">{}</p>", escape(note));
    }
    api_use_section(&mut out, snap);

    out.push_str("<h2 id=\"invites\">Pending invitations</h2>\n");
    let rows: Vec<Vec<String>> = pending
        .iter()
        .map(|i| {
            vec![
                i.id.to_string(),
                email_of(i).unwrap_or_default().to_owned(),
                profile_str(i, "role").unwrap_or_default().to_owned(),
                profile_str(i, "projects").unwrap_or_default().to_owned(),
                date(profile_int(i, "expires_at")),
            ]
        })
        .collect();
    table(
        &mut out,
        "invites-table",
        &["Invitation", "Email", "Org role", "Projects", "Expires"],
        &rows,
    );

    if let Some(c) = x.changes {
        out.push_str("<h2 id=\"changes\">Changes since the previous sync</h2>\n");
        let mut rows: Vec<Vec<String>> = c
            .role_changes
            .iter()
            .map(|r| {
                vec![
                    "role change".to_owned(),
                    r.principal.key.to_string(),
                    format!("{} → {}", r.from, r.to),
                ]
            })
            .collect();
        rows.extend(c.grants_added.iter().map(|g| {
            vec![
                "grant added".to_owned(),
                g.principal.key.to_string(),
                g.grant.clone(),
            ]
        }));
        rows.extend(c.grants_removed.iter().map(|g| {
            vec![
                "grant removed".to_owned(),
                g.principal.key.to_string(),
                g.grant.clone(),
            ]
        }));
        rows.extend(c.held_changes.iter().map(|h| {
            vec![
                "held differently".to_owned(),
                h.principal.key.to_string(),
                format!(
                    "{}: {} → {}",
                    h.grant,
                    how(&h.from, false),
                    how(&h.to, false)
                ),
            ]
        }));
        rows.extend(
            c.resources_added
                .iter()
                .map(|r| vec!["added".to_owned(), r.key.to_string(), r.name.clone()]),
        );
        rows.extend(
            c.resources_removed
                .iter()
                .map(|r| vec!["removed".to_owned(), r.key.to_string(), r.name.clone()]),
        );
        table(
            &mut out,
            "changes-table",
            &["Change", "Who / what", "Detail"],
            &rows,
        );
    }

    let _ = write!(out, "<script>{SCRIPT}</script>\n</body></html>\n");
    out
}

/// The Content-Security-Policy source that allows exactly `text` as an inline `<style>` or
/// `<script>` (its SHA-256): no other inline code runs, even if a name escaped the escaping.
fn csp_hash(text: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(text.as_bytes());
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// Who uses the API: every user, service account and project the usage read covered, most
/// requests first; or why there is nothing to show.
fn api_use_section(out: &mut String, snap: &Snapshot) {
    let Some(days) = snap.usage_window_days() else {
        out.push_str("<h2 id=\"api-use\">API use</h2>\n<p class=\"muted\">Not read: the sync did not read the Usage API.</p>\n");
        return;
    };
    let _ = writeln!(out, "<h2 id=\"api-use\">API use (last {days} days)</h2>");
    let mut used: Vec<(u64, Vec<String>)> = [
        ResourceType::User,
        ResourceType::ServiceAccount,
        ResourceType::Project,
    ]
    .into_iter()
    .flat_map(|t| snap.resources_of(t))
    .filter_map(|r| {
        let u = snap.api_use_of(&r.key())?;
        Some((
            u.requests,
            vec![
                r.key().to_string(),
                r.display_name.clone(),
                u.last_used_at
                    .map_or_else(|| format!("none in {days} days"), |t| date(Some(t))),
                u.requests.to_string(),
            ],
        ))
    })
    .collect();
    used.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let rows: Vec<Vec<String>> = used.into_iter().map(|(_, r)| r).collect();
    table(
        out,
        "api-use-table",
        &["Id", "Name", "Last API use", "Requests"],
        &rows,
    );
}
