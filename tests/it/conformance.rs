//! The mock against the official OpenAPI spec (`spec/openapi-admin.yaml`, OpenAPI 3.1: its
//! schemas are JSON Schema 2020-12), operation by operation, for every operation the spec
//! holds (so one it gains cannot be forgotten):
//!
//! 1. `valid_requests_get_valid_answers`: a valid request (ids of the `tiny` preset, a body the
//!    request schema accepts) answers 2xx with JSON that the operation's 200 schema accepts;
//!    a lower-case `bearer` scheme is accepted.
//! 2. `invalid_requests_get_4xx_envelopes`: bodies the request schema refuses (derived from it),
//!    ids that do not exist, out-of-range or malformed query parameters and missing or wrong
//!    credentials answer 400/404/401 with the spec's `ErrorResponse` envelope.
//! 3. `cursors_survive_deletions`: a list paged while items (the cursor item among them) are
//!    deleted between pages shows every surviving item exactly once.
//!
//! 4. `usage::*`: the Usage API against `spec/openapi-usage.yaml` (see that file).
//!
//! Each test runs every check, then fails once with the list of every failing one: a checklist.
//! Run: `cargo test --release --test it conformance` (`CONFORMANCE_VERBOSE=1` and
//! `-- --nocapture` list every check, passed or failed).

mod cursors;
mod fixtures;
mod http;
mod mutations;
mod spec;
mod usage;

use crate::support;
use http::{Auth, Body, Resp};
use openai_access_mock::{MockServer, Preset};
use serde_json::{Value, json};
pub use spec::{Op, Spec};
use std::net::SocketAddr;

/// How many operations the copied spec holds (its header says so too).
const OPERATIONS: usize = 71;

/// Failures, one line each, grouped by operation when printed.
#[derive(Default)]
pub struct Checklist {
    checks: usize,
    failures: Vec<(String, String)>,
    notes: Vec<String>,
}

impl Checklist {
    /// Counts one check; records `problem` against `what` if there is one.
    pub fn check(&mut self, what: &str, check: &str, problem: Option<String>) {
        self.checks += 1;
        if std::env::var_os("CONFORMANCE_VERBOSE").is_some() {
            let verdict = if problem.is_some() { "FAIL" } else { "ok  " };
            eprintln!("{verdict} {what}: {check}");
        }
        if let Some(p) = problem {
            self.failures
                .push((what.to_owned(), format!("{check}: {p}")));
        }
    }

    pub fn note(&mut self, line: String) {
        self.notes.push(line);
    }

    /// Prints the notes, then fails with every failure, grouped by operation.
    pub fn finish(self, title: &str) {
        for n in &self.notes {
            eprintln!("note: {n}");
        }
        if self.failures.is_empty() {
            eprintln!("{title}: all {} checks passed", self.checks);
            return;
        }
        let mut by_op: Vec<(String, Vec<String>)> = Vec::new();
        for (what, line) in self.failures.iter() {
            match by_op.iter_mut().find(|(w, _)| w == what) {
                Some((_, lines)) => lines.push(line.clone()),
                None => by_op.push((what.clone(), vec![line.clone()])),
            }
        }
        let mut out = format!(
            "{title}: {} of {} checks failed, in {} operations/lists:\n",
            self.failures.len(),
            self.checks,
            by_op.len()
        );
        for (what, lines) in by_op {
            out.push_str(&format!("\n{what}\n"));
            for l in lines {
                out.push_str(&format!("  - {l}\n"));
            }
        }
        panic!("{out}");
    }
}

fn mock() -> MockServer {
    support::mock(Preset::Tiny)
}

/// A request's target (after `/v1`): `path?query`.
fn target(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

/// What a valid request to `op` is: its path with ids filled, its body, or why none is known.
fn valid_request(spec: &Spec, op: &Op<'_>) -> Result<(String, Body), String> {
    let ids: &[&str] = if op.path_params().is_empty() {
        &[]
    } else {
        fixtures::ids(&op.method, op.path)
            .ok_or("no path ids known for this path: add them to conformance/fixtures.rs")?
    };
    if ids.len() != op.path_params().len() {
        return Err(format!(
            "fixture gives {} ids for {:?}",
            ids.len(),
            op.path_params()
        ));
    }
    let body = match op.request_schema() {
        None => Body::None,
        Some(schema) => {
            let b = fixtures::body(op.id)
                .ok_or("no valid body known: add one to conformance/fixtures.rs")?;
            let errs = spec.errors(schema, &b);
            if !errs.is_empty() {
                return Err(format!(
                    "the fixture body {b} is not valid against the request schema: {}",
                    errs.join("; ")
                ));
            }
            Body::Json(b)
        }
    };
    Ok((op.fill(ids), body))
}

/// Why `r` is not a 2xx answer that the operation's 200 schema accepts.
fn success_problem(spec: &Spec, op: &Op<'_>, r: &Resp) -> Option<String> {
    if !r.ok() {
        return Some(format!("want 2xx, got {}", r.brief()));
    }
    let Some(schema) = op.response_schema(spec, "200") else {
        return Some("the spec declares no JSON 200 response".into());
    };
    let Some(j) = r.json() else {
        return Some(format!("{} body is not JSON: {}", r.status, r.brief()));
    };
    let errs = spec.errors(&schema, &j);
    (!errs.is_empty()).then(|| {
        format!(
            "{} answer does not match the 200 schema: {}",
            r.status,
            errs.join("; ")
        )
    })
}

fn holds_id(j: &Value, id: &str) -> bool {
    let has = |o: &Value| {
        ["id", "group_id", "user_id"]
            .iter()
            .any(|k| o.get(k).and_then(Value::as_str) == Some(id))
    };
    match j.get("data").and_then(Value::as_array) {
        Some(items) => items.iter().any(has),
        None => has(j),
    }
}

fn addr(m: &MockServer) -> SocketAddr {
    m.addr()
}

#[test]
fn spec_holds_every_operation() {
    let spec = Spec::load();
    let ops = spec.ops();
    assert_eq!(
        ops.len(),
        OPERATIONS,
        "spec/openapi-admin.yaml holds {} operations, this test knows {OPERATIONS}: check the new ones have fixtures",
        ops.len()
    );
}

#[test]
fn the_audit_log_accepts_exactly_the_spec_s_event_types() {
    let spec = Spec::load();
    let named: Vec<&str> = spec.doc["components"]["schemas"]["AuditLogEventType"]["enum"]
        .as_array()
        .expect("AuditLogEventType's enum")
        .iter()
        .map(|v| v.as_str().expect("a name"))
        .collect();
    assert_eq!(openai_access_mock::AUDIT_EVENT_TYPES, named.as_slice());
}

/// Part 1: every operation's valid request answers 2xx with a body its 200 schema accepts.
#[test]
fn valid_requests_get_valid_answers() {
    let spec = Spec::load();
    let ops = spec.ops();
    let mut list = Checklist::default();
    list.check(
        "spec",
        "operation count",
        (ops.len() != OPERATIONS)
            .then(|| format!("{} operations, expected {OPERATIONS}", ops.len())),
    );
    let shared = mock();
    for op in &ops {
        let what = op.label();
        let (path, body) = match valid_request(&spec, op) {
            Ok(x) => x,
            Err(e) => {
                list.check(&what, "valid request", Some(e));
                continue;
            }
        };
        let query = if op.is_list() { "limit=1" } else { "" };
        // A read may share a mock; a write gets a fresh one, so no write sees another's effects.
        let send = |auth: &Auth| {
            let url = target(&path, query);
            if op.mutates() {
                http::send(addr(&mock()), &op.method, &url, auth, &body)
            } else {
                http::send(addr(&shared), &op.method, &url, auth, &body)
            }
        };
        let r = send(&Auth::Key);
        let mut problem = success_problem(&spec, op, &r);
        if problem.is_none() && op.is_list() {
            let n = r
                .json()
                .and_then(|j| j["data"].as_array().map(Vec::len))
                .unwrap_or(0);
            if n > 1 {
                problem = Some(format!("limit=1 answered {n} items"));
            }
        }
        list.check(
            &what,
            &format!("valid request {}", target(&path, query)),
            problem,
        );

        // The scheme is case-insensitive: `bearer` is accepted.
        let r = send(&Auth::Lower);
        list.check(
            &what,
            "lower-case 'bearer' scheme accepted",
            (!r.ok()).then(|| format!("want 2xx, got {}", r.brief())),
        );

        // A body the spec does not require may be left out.
        if op.request_schema().is_some() && !op.body_required() {
            let m = mock();
            let r = http::send(addr(&m), &op.method, &path, &Auth::Key, &Body::None);
            list.check(
                &what,
                "no body (the spec does not require one)",
                success_problem(&spec, op, &r),
            );
        }
    }
    for (op_id, ids, query, must_hold) in fixtures::EXTRAS {
        let Some(op) = ops.iter().find(|o| o.id == *op_id) else {
            list.check(op_id, "extra request", Some("no such operation".into()));
            continue;
        };
        let path = match ids {
            Some(ids) => op.fill(ids),
            None => match valid_request(&spec, op) {
                Ok((p, _)) => p,
                Err(_) => continue,
            },
        };
        let r = http::send(
            addr(&shared),
            &op.method,
            &target(&path, query),
            &Auth::Key,
            &Body::None,
        );
        let mut problem = success_problem(&spec, op, &r);
        if let (None, Some(id), Some(j)) = (&problem, must_hold, r.json())
            && !holds_id(&j, id)
        {
            problem = Some(format!("answer does not hold {id}: {}", r.brief()));
        }
        list.check(
            &op.label(),
            &format!("valid request {}", target(&path, query)),
            problem,
        );
    }
    list.finish("valid requests");
}

/// Part 2: what the spec refuses answers 4xx with the `ErrorResponse` envelope.
#[test]
fn invalid_requests_get_4xx_envelopes() {
    let spec = Spec::load();
    let ops = spec.ops();
    let mut list = Checklist::default();
    let shared = mock();
    for op in &ops {
        let what = op.label();
        let Ok((path, body)) = valid_request(&spec, op) else {
            // Part 1 reports it.
            continue;
        };
        // A mock for one check: a fresh one for a write (a wrongly accepted write must not
        // change what the next check sees), the shared one for a read.
        let fresh_for = |op: &Op<'_>| op.mutates().then(mock);
        let send = |m: &Option<MockServer>, target: &str, auth: &Auth, body: &Body| {
            let a = m.as_ref().map_or_else(|| addr(&shared), addr);
            http::send(a, &op.method, target, auth, body)
        };

        // Credentials: none, a wrong key, a wrong scheme, no scheme.
        for (label, auth) in [
            ("no Authorization", Auth::Absent),
            ("wrong key", Auth::Raw("Bearer sk-admin-not-the-key".into())),
            ("Basic scheme", Auth::Raw(format!("Basic {}", support::KEY))),
            ("key without scheme", Auth::Raw(support::KEY.to_owned())),
        ] {
            let m = fresh_for(op);
            let r = send(&m, &path, &auth, &body);
            list.check(
                &what,
                &format!("{label} → 401"),
                spec.error_envelope_problem(&r, &[401]),
            );
        }

        // Ids that do not exist, one parameter at a time.
        let ids: Vec<&str> = fixtures::ids(&op.method, op.path).unwrap_or(&[]).to_vec();
        for (i, name) in op.path_params().iter().enumerate() {
            let mut bad = ids.clone();
            let missing = format!("{name}_does_not_exist");
            bad[i] = &missing;
            let m = fresh_for(op);
            let r = send(&m, &op.fill(&bad), &Auth::Key, &body);
            list.check(
                &what,
                &format!("unknown {name} → 404"),
                spec.error_envelope_problem(&r, &[404]),
            );
        }

        // Bodies the request schema refuses.
        if let (Some(schema), Body::Json(valid)) = (op.request_schema(), &body) {
            for (label, bad, statuses) in
                mutations::invalid_bodies(&spec, schema, valid, op.body_required())
            {
                let m = fresh_for(op);
                let r = send(&m, &path, &Auth::Key, &bad);
                list.check(&what, &label, spec.error_envelope_problem(&r, statuses));
            }
        }

        // Query parameters out of their range or type.
        for (label, query) in mutations::invalid_queries(op) {
            let m = fresh_for(op);
            let r = send(&m, &target(&path, &query), &Auth::Key, &body);
            list.check(&what, &label, spec.error_envelope_problem(&r, &[400]));
        }

        // Cursors that name nothing.
        if op.is_list() && op.query_param("after").is_some() {
            cursors::unknown_and_empty_after(&spec, op, &path, addr(&shared), &mut list);
        }
    }
    list.finish("invalid requests");
}

/// Part 3: paging while items are deleted between pages loses and repeats nothing.
#[test]
fn cursors_survive_deletions() {
    let spec = Spec::load();
    let mut list = Checklist::default();
    for case in fixtures::cursor_cases() {
        for delete_cursor in [false, true] {
            let m = mock();
            cursors::page_while_deleting(&spec, &case, delete_cursor, addr(&m), &mut list);
        }
    }
    list.finish("cursors");
}

/// The validator can fail: a `GroupUser` whose `name` is null (not nullable in the spec) is
/// refused, and so is a list page holding one.
#[test]
fn validator_refuses_a_broken_answer() {
    let spec = Spec::load();
    let good = json!({"id": "user-dave", "name": "Dave", "email": null});
    assert!(spec.errors(&Spec::named("GroupUser"), &good).is_empty());
    let broken = json!({"id": "user-dave", "name": null, "email": null});
    let errs = spec.errors(&Spec::named("GroupUser"), &broken);
    assert!(!errs.is_empty(), "name: null was accepted");
    assert!(errs[0].contains("/name"), "{errs:?}");
    let page = json!({"object": "list", "data": [broken], "has_more": false, "next": null});
    let errs = spec.errors(&Spec::named("UserListResource"), &page);
    assert!(errs.iter().any(|e| e.contains("/data/0/name")), "{errs:?}");
    // And the error envelope: `param` and `code` are required (nullable, not optional).
    let env = json!({"error": {"type": "invalid_request_error", "message": "m"}});
    assert!(!spec.valid(&Spec::named("ErrorResponse"), &env));
    let refused = Resp {
        status: 200,
        text: env.to_string(),
    };
    assert!(spec.error_envelope_problem(&refused, &[400]).is_some());
}
