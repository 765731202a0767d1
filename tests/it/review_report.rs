//! The reviewer's HTML page: its counts and rows for `small`, self-contained (no reference to
//! anything outside the file), every org text escaped, and rendered by a real browser
//! (headless Chromium) with its script running.

use crate::support::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn cli(args: &[&str]) {
    let o = bin().args(args).output().expect("run openai-access");
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn small(dir: &Path) -> (PathBuf, Value) {
    let json = mock_sync_json("small", dir);
    let v = serde_json::from_slice(&std::fs::read(&json).expect("read")).expect("json");
    (json, v)
}

fn report(from: &Path, out: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "report",
        "--from",
        from.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
        "--as-of",
        "2024-01-01",
    ];
    args.extend(extra);
    cli(&args);
    std::fs::read_to_string(out).expect("the page")
}

/// The rows of the table with this id.
fn rows(html: &str, id: &str) -> usize {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("table {id}"));
    let end = start + html[start..].find("</table>").expect("table end");
    html[start..end].matches("<tr>").count() - 1
}

fn count(html: &str, label: &str) -> usize {
    let at = html
        .find(&format!("<th>{label}</th><td>"))
        .unwrap_or_else(|| panic!("{label}"));
    let rest = &html[at + label.len() + 13..];
    rest[..rest.find('<').expect("end")]
        .parse()
        .expect("a number")
}

#[test]
fn the_page_holds_the_syncs_counts_and_rows_and_nothing_from_outside() {
    let dir = tempfile::tempdir().expect("tmp");
    let (json, v) = small(dir.path());
    let html = report(&json, &dir.path().join("review.html"), &[]);
    let resources = v["resources"].as_array().expect("resources");
    let of = |t: &str| resources.iter().filter(|r| r["resource_type"] == t).count();
    assert_eq!(count(&html, "Users"), of("user"));
    assert_eq!(count(&html, "Projects"), of("project"));
    assert_eq!(count(&html, "Groups"), of("group"));
    assert_eq!(count(&html, "Service accounts"), of("service_account"));
    assert_eq!(
        count(&html, "API keys"),
        of("api_key") + of("admin_api_key")
    );
    assert_eq!(
        count(&html, "Grants"),
        v["grants"].as_array().expect("grants").len()
    );
    let owners = v["grants"]
        .as_array()
        .expect("grants")
        .iter()
        .filter(|g| {
            g["entitlement"] == "role:owner:assigned" && g["principal"]["resource_type"] == "user"
        })
        .count();
    assert_eq!(count(&html, "Org owners"), owners);
    assert_eq!(rows(&html, "owners-table"), owners);
    assert_eq!(rows(&html, "users-table"), of("user"));
    assert_eq!(rows(&html, "projects-table"), of("project"));
    assert_eq!(
        rows(&html, "keys-table"),
        of("api_key") + of("admin_api_key")
    );
    assert!(
        !html.contains("id=\"changes\""),
        "no previous sync, no changes section"
    );
    // Self-contained: nothing is fetched, and the page forbids fetching.
    for outside in ["src=", "href=", "url(", "@import", "http://", "https://"] {
        assert!(
            !html.contains(outside),
            "the page refers outside itself: {outside}"
        );
    }
    assert!(html.contains("default-src 'none'"));

    // With the sync before it: the changes since.
    let with = report(
        &json,
        &dir.path().join("again.html"),
        &["--previous", json.to_str().expect("utf-8")],
    );
    assert!(with.contains("id=\"changes\""));
}

#[test]
fn a_name_that_is_markup_is_shown_as_text() {
    let dir = tempfile::tempdir().expect("tmp");
    let text = std::fs::read_to_string(golden_path("tiny.json")).expect("golden");
    let hostile = text.replace(
        "\"Bob Reader\"",
        "\"<script>alert(1)</script><img onerror=x>\"",
    );
    assert_ne!(hostile, text);
    let from = dir.path().join("hostile.json");
    std::fs::write(&from, hostile).expect("write");
    let html = report(&from, &dir.path().join("r.html"), &[]);
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&lt;img onerror=x&gt;"));
    assert!(!html.contains("<script>alert"));
    assert!(!html.contains("<img"));
    // The page's own script is the only one, and the only one its policy lets run: by its
    // hash, never `unsafe-inline`.
    assert_eq!(html.matches("<script>").count(), 1);
    assert!(!html.contains("unsafe-inline"), "{html}");
    assert_eq!(
        html.matches("'sha256-").count(),
        2,
        "the style and the script"
    );
}

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| {
            std::env::var_os("PATH")
                .map(|p| {
                    std::env::split_paths(&p)
                        .map(|d| d.join(name))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
        .find(|p| p.is_file())
}

#[test]
fn headless_chromium_renders_the_page_and_runs_its_script() {
    let Some(browser) = chromium() else {
        eprintln!("SKIPPED: no chromium on PATH (.ci/run installs Debian's chromium)");
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let (json, _) = small(dir.path());
    let page = dir.path().join("review.html");
    let html = report(&json, &page, &[]);
    // A script that got past the escaping (as a name would, were it not escaped) must not
    // run: the policy allows the page's own script by its hash alone.
    let smuggled = html.replacen(
        "<h1>",
        "<script>document.documentElement.setAttribute('data-smuggled','ran')</script><h1>",
        1,
    );
    assert_ne!(smuggled, html);
    std::fs::write(&page, smuggled).expect("write");
    let url = format!("file://{}", page.display());
    let headless = |extra: &[&str]| {
        std::process::Command::new(&browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
            ])
            .arg(format!(
                "--user-data-dir={}",
                dir.path().join("profile").display()
            ))
            .args(extra)
            .arg(&url)
            .output()
            .expect("run chromium")
    };
    // The DOM after the script ran: it adds one search box per data table.
    let dom = headless(&["--dump-dom"]);
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    let tables = dom.matches("class=\"data\"").count();
    assert!(tables >= 5, "{tables} data tables");
    assert_eq!(
        dom.matches("class=\"search\"").count(),
        tables,
        "the script ran"
    );
    assert!(
        !dom.contains("data-smuggled=\"ran\""),
        "an inline script not in the policy ran"
    );
    // And a picture of it.
    let png = dir.path().join("review.png");
    let shot = headless(&[
        "--hide-scrollbars",
        "--window-size=1400,1800",
        &format!("--screenshot={}", png.display()),
    ]);
    assert!(
        shot.status.success(),
        "{}",
        String::from_utf8_lossy(&shot.stderr)
    );
    let bytes = std::fs::read(&png).expect("the screenshot");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert!(
        bytes.len() > 20_000,
        "a page, not a blank: {} bytes",
        bytes.len()
    );
}

/// The changes since the previous sync name each kind: a grant gone, and a grant kept for
/// another reason (Bob's Alpha membership, once also through Engineering, now direct only).
#[test]
fn the_changes_section_lists_grants_removed_and_held_differently() {
    let dir = tempfile::tempdir().expect("tmp");
    let old = golden_path("tiny.json");
    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&old).expect("golden")).expect("json");
    let grants = v["grants"].as_array_mut().expect("grants");
    let kept = "project:proj-alpha:member:user:user-bob";
    let gone = "role:role_auditor:assigned:user:user-erin";
    for g in grants.iter_mut().filter(|g| g["id"] == kept) {
        g["sources"] = serde_json::json!([]);
    }
    grants.retain(|g| g["id"] != gone);
    let new = dir.path().join("new.json");
    std::fs::write(&new, v.to_string()).expect("write");
    let html = report(
        &new,
        &dir.path().join("r.html"),
        &["--previous", old.to_str().expect("utf-8")],
    );
    assert_eq!(rows(&html, "changes-table"), 2, "{html}");
    // Who can access Alpha counts its custom role's holders too, named by the role.
    let projects = &html[html.find("id=\"projects-table\"").expect("projects")..];
    let alpha = &projects[projects.find("<td>proj-alpha</td>").expect("alpha")..];
    let alpha = &alpha[..alpha.find("</tr>").expect("row end")];
    assert!(alpha.contains("<td>11</td>"), "{alpha}");
    assert!(alpha.contains("Bob Reader (Deployer)"), "{alpha}");
    let changes = &html[html.find("id=\"changes-table\"").expect("changes")..];
    assert!(changes.contains("grant removed"), "{changes}");
    assert!(changes.contains(gone), "{changes}");
    assert!(changes.contains("held differently"), "{changes}");
    assert!(
        changes.contains(&format!(
            "{kept}: direct; via group grp-eng (Engineering) → direct"
        )),
        "{changes}"
    );
}
