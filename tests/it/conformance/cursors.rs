//! Cursors: a list paged while items are deleted between its pages, and `after` values that
//! name nothing.

use super::fixtures::CursorCase;
use super::http::{self, Auth, Body};
use super::{Checklist, Op, Spec, success_problem, target};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;

/// How a list says where its next page starts.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Style {
    /// `{data, first_id, last_id, has_more}`: the next page is `after=<last_id>`.
    A,
    /// `{data, has_more, next}`: the next page is `after=<next>`.
    B,
}

fn style(spec: &Spec, op: &Op<'_>) -> Style {
    let schema = op.response_schema(spec, "200").unwrap_or_default();
    if spec.resolve(&schema).pointer("/properties/next").is_some() {
        Style::B
    } else {
        Style::A
    }
}

/// An item's id: `id`, or `group_id` for a project's groups.
fn item_id(item: &Value) -> Option<String> {
    ["id", "group_id"]
        .iter()
        .find_map(|k| item.get(k).and_then(Value::as_str))
        .map(str::to_owned)
}

struct Page {
    ids: Vec<String>,
    cursor: Option<String>,
    has_more: bool,
}

fn page(
    spec: &Spec,
    op: &Op<'_>,
    addr: SocketAddr,
    path: &str,
    query: &str,
) -> Result<Page, String> {
    let r = http::send(addr, "GET", &target(path, query), &Auth::Key, &Body::None);
    if let Some(p) = success_problem(spec, op, &r) {
        return Err(p);
    }
    let j = r.json().unwrap_or_default();
    let ids = j["data"]
        .as_array()
        .map(|d| d.iter().filter_map(item_id).collect())
        .unwrap_or_default();
    let key = match style(spec, op) {
        Style::A => "last_id",
        Style::B => "next",
    };
    Ok(Page {
        ids,
        cursor: j[key].as_str().map(str::to_owned),
        has_more: j["has_more"].as_bool().unwrap_or(false),
    })
}

fn join(parts: &[&str]) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("&")
}

/// Every id of the list, paged at `limit` without changes (`Err`: a page failed).
fn all_ids(
    spec: &Spec,
    op: &Op<'_>,
    addr: SocketAddr,
    path: &str,
    query: &str,
) -> Result<Vec<String>, String> {
    let mut ids = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..100 {
        let a = after
            .as_ref()
            .map(|a| format!("after={a}"))
            .unwrap_or_default();
        let p = page(spec, op, addr, path, &join(&[query, "limit=100", &a]))?;
        ids.extend(p.ids);
        match (p.has_more, p.cursor) {
            (true, Some(c)) => after = Some(c),
            (true, None) => return Err("has_more without a cursor".into()),
            (false, _) => return Ok(ids),
        }
    }
    Err("more than 100 pages".into())
}

/// Pages `case`'s list two items at a time; after each page deletes the next item not yet
/// seen and, with `delete_cursor`, the cursor item (the page's last); then checks that every
/// item that was never deleted was seen exactly once and that no deleted item came back.
pub fn page_while_deleting(
    spec: &Spec,
    case: &CursorCase,
    delete_cursor: bool,
    addr: SocketAddr,
    list: &mut Checklist,
) {
    let op = spec.op("GET", case.list.0);
    let path = op.fill(case.list.1);
    let what = format!(
        "GET {} [{}] paged by 2, deleting {} between pages",
        target(&path, case.query),
        op.id,
        if delete_cursor {
            "the cursor item and an item ahead"
        } else {
            "an item ahead (not the cursor)"
        }
    );

    let mut failed_seeds = Vec::new();
    let mut send = |method: &str, t: &str, body: Value| {
        let r = http::send(addr, method, t, &Auth::Key, &Body::Json(body));
        if r.ok() {
            r.json()
        } else {
            failed_seeds.push(format!("{method} {t} → {}", r.status));
            None
        }
    };
    (case.seed)(&mut send);

    let before = match all_ids(spec, &op, addr, &path, case.query) {
        Ok(ids) => ids,
        Err(e) => {
            list.check(&what, "reading the whole list", Some(e));
            return;
        }
    };
    if !failed_seeds.is_empty() {
        list.note(format!(
            "{what}: {} seed request(s) failed, so it pages {} items: {}",
            failed_seeds.len(),
            before.len(),
            failed_seeds.first().map_or("", String::as_str)
        ));
    }
    let mut dup = HashSet::new();
    let twice: Vec<&String> = before.iter().filter(|id| !dup.insert(*id)).collect();
    list.check(
        &what,
        "no duplicates without deletions",
        (!twice.is_empty()).then(|| format!("{twice:?} listed twice")),
    );

    let mut seen: Vec<String> = Vec::new();
    let mut deleted: HashSet<String> = HashSet::new();
    let mut delete_failed = false;
    let mut after: Option<String> = None;
    let mut problems = Vec::new();
    let mut pages = 0;
    let mut broke = false;
    loop {
        pages += 1;
        if pages > 50 {
            problems.push("more than 50 pages".to_owned());
            break;
        }
        let a = after
            .as_ref()
            .map(|a| format!("after={a}"))
            .unwrap_or_default();
        let p = match page(spec, &op, addr, &path, &join(&[case.query, "limit=2", &a])) {
            Ok(p) => p,
            Err(e) => {
                let was_deleted = after.as_ref().is_some_and(|a| deleted.contains(a));
                problems.push(format!(
                    "page {pages} ({}{}): {e}",
                    if a.is_empty() { "first page" } else { &a },
                    if was_deleted {
                        ", the cursor item deleted"
                    } else {
                        ""
                    },
                ));
                broke = true;
                break;
            }
        };
        for id in &p.ids {
            if deleted.contains(id) {
                problems.push(format!("page {pages}: {id} listed after it was deleted"));
            }
            seen.push(id.clone());
        }
        if !p.has_more {
            break;
        }
        let Some(cursor) = p.cursor else {
            problems.push(format!("page {pages}: has_more without a cursor"));
            break;
        };
        // The cursor item, then the first item not yet seen.
        let seen_set: HashSet<&String> = seen.iter().collect();
        let ahead = before
            .iter()
            .find(|id| !seen_set.contains(id) && !deleted.contains(*id) && (case.deletable)(id))
            .cloned();
        let at_cursor = delete_cursor.then(|| cursor.clone());
        for victim in at_cursor.into_iter().chain(ahead) {
            if delete_failed || deleted.contains(&victim) || !(case.deletable)(&victim) {
                continue;
            }
            let (method, t) = (case.delete)(&victim);
            let r = http::send(addr, method, &t, &Auth::Key, &Body::None);
            if r.ok() {
                deleted.insert(victim);
            } else {
                delete_failed = true;
                problems.push(format!(
                    "could not delete {victim} ({method} {t} → {}): paged on without deleting",
                    r.brief()
                ));
            }
        }
        after = Some(cursor);
    }

    let mut count: HashMap<&str, usize> = HashMap::new();
    for id in &seen {
        *count.entry(id).or_default() += 1;
    }
    let mut unreached = 0;
    for id in &before {
        let n = count.get(id.as_str()).copied().unwrap_or(0);
        if deleted.contains(id) {
            if n > 1 {
                problems.push(format!("{id} (deleted) seen {n} times"));
            }
        } else if broke && n == 0 {
            unreached += 1;
        } else if n != 1 {
            problems.push(format!("{id} (never deleted) seen {n} times"));
        }
    }
    if unreached > 0 {
        problems.push(format!(
            "paging stopped with {unreached} surviving items unread"
        ));
    }
    for id in count.keys() {
        if !before.iter().any(|b| b == id) {
            problems.push(format!("{id} seen but not in the list read before paging"));
        }
    }
    list.check(
        &what,
        &format!(
            "{} items, {} deleted while paging ({} pages)",
            before.len(),
            deleted.len(),
            pages
        ),
        (!problems.is_empty()).then(|| problems.join("; ")),
    );
}

/// `after` naming an object that never existed, and an empty `after=`.
///
/// What to expect: the spec declares a `400` (`ErrorResponse`) only for some lists
/// (`list-project-users`, `list-project-service-accounts`); for every other list it declares
/// only `200` (and `429`). An undeclared error is what the issue calls a defect: the spec is
/// the contract a client is written against, and a client following it has no branch for a
/// 400 from a plain list read. So an unknown cursor must give a 2xx page that matches the 200
/// schema (which page is the server's choice: the API keeps no promise about a cursor it never
/// issued, and an empty page or the first page are both valid), except where the spec declares
/// 400, where a 400 with the `ErrorResponse` envelope is accepted too. An empty `after=` is
/// no cursor at all: the same rule, and when it pages, the first page.
pub fn unknown_and_empty_after(
    spec: &Spec,
    op: &Op<'_>,
    path: &str,
    addr: SocketAddr,
    list: &mut Checklist,
) {
    let what = op.label();
    let declares_400 = op.declares("400");
    let first = page(spec, op, addr, path, "limit=2").ok();
    for (label, query) in [
        (
            "after=<an id that never existed>",
            "limit=2&after=obj_never_existed_0000",
        ),
        ("empty after=", "limit=2&after="),
    ] {
        let r = http::send(addr, "GET", &target(path, query), &Auth::Key, &Body::None);
        let mut problem = match success_problem(spec, op, &r) {
            None => None,
            Some(p) if declares_400 => spec
                .error_envelope_problem(&r, &[400])
                .map(|e| format!("neither a valid 2xx page ({p}) nor the declared 400 ({e})")),
            Some(p) => Some(format!("the spec declares no error here: {p}")),
        };
        if problem.is_none() && query.ends_with("after=") && r.ok() {
            let ids: Vec<String> = r
                .json()
                .and_then(|j| {
                    j["data"]
                        .as_array()
                        .map(|d| d.iter().filter_map(item_id).collect())
                })
                .unwrap_or_default();
            if let Some(f) = &first
                && f.ids != ids
            {
                problem = Some(format!(
                    "not the first page: {ids:?}, first page {:?}",
                    f.ids
                ));
            }
        }
        let expect = if declares_400 { "2xx or 400" } else { "2xx" };
        list.check(&what, &format!("{label} → {expect}"), problem);
    }
}
