//! The mock's Usage API against `spec/openapi-usage.yaml`, type by type: a valid request
//! (every `group_by` value the type lists, each width) answers a page the `UsageResponse`
//! schema accepts; paging by `page` / `next_page` covers the range once, in order; the
//! `start_time`, `end_time`, `bucket_width`, `limit`, `group_by` and `page` rules and the
//! credentials answer 400/401 with the spec's `ErrorResponse`. `/organization/costs` is in
//! the file but not served (see `spec/README.md`).

use super::http::{self, Auth, Body, Resp};
use super::{Checklist, Spec};
use serde_json::Value;

const DAY: i64 = 86_400;

/// The usage types: every path of the file but costs.
const TYPES: usize = 10;

fn today() -> i64 {
    chrono::Utc::now().timestamp().div_euclid(DAY) * DAY
}

/// `group_by` values the spec lists for `op`.
fn groupable(op: &super::Op<'_>) -> Vec<String> {
    op.query_param("group_by")
        .and_then(|p| p.pointer("/schema/items/enum"))
        .and_then(Value::as_array)
        .map(|v| {
            v.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn valid(spec: &Spec, op: &super::Op<'_>, r: &Resp) -> Option<String> {
    if r.status != 200 {
        return Some(format!("want 200, got {}", r.brief()));
    }
    let schema = op.response_schema(spec, "200")?;
    let j = r.json()?;
    let errs = spec.errors(&schema, &j);
    (!errs.is_empty()).then(|| errs.join("; "))
}

#[test]
fn usage_types_answer_as_the_spec_says() {
    let spec = Spec::load_file("openapi-usage.yaml");
    let ops: Vec<_> = spec
        .ops()
        .into_iter()
        .filter(|o| o.path.starts_with("/organization/usage/"))
        .collect();
    let mut list = Checklist::default();
    list.check(
        "spec",
        "usage operation count",
        (ops.len() != TYPES).then(|| format!("{} usage operations, expected {TYPES}", ops.len())),
    );
    let m = super::mock();
    let addr = m.addr();
    let get = |target: &str| http::send(addr, "GET", target, &Auth::Key, &Body::None);
    let start = today() - 9 * DAY;
    for op in &ops {
        let what = op.label();
        // Every group_by field the spec lists, at once; then each width.
        let by: String = groupable(op)
            .iter()
            .map(|g| format!("&group_by={g}"))
            .collect();
        let t = format!("{}?start_time={start}&limit=31{by}", op.path);
        let r = get(&t);
        list.check(&what, &format!("valid request {t}"), valid(&spec, op, &r));
        let buckets = r.json().and_then(|j| j["data"].as_array().map(Vec::len));
        list.check(
            &what,
            "ten days, ten daily buckets",
            (buckets != Some(10)).then(|| format!("{buckets:?}")),
        );
        for (width, limit) in [("1h", 168), ("1m", 1440)] {
            let t = format!(
                "{}?start_time={}&bucket_width={width}&limit={limit}",
                op.path,
                today() - DAY
            );
            list.check(
                &what,
                &format!("valid request {t}"),
                valid(&spec, op, &get(&t)),
            );
        }

        // Paging: three days a page over ten days, every bucket once and in order.
        let mut seen = Vec::new();
        let mut page: Option<String> = None;
        for _ in 0..10 {
            let t = format!(
                "{}?start_time={start}&limit=3{}",
                op.path,
                page.as_ref()
                    .map(|p| format!("&page={p}"))
                    .unwrap_or_default()
            );
            let r = get(&t);
            let Some(j) = r.json().filter(|_| r.status == 200) else {
                list.check(&what, "paging", Some(r.brief()));
                break;
            };
            seen.extend(
                j["data"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|b| b["start_time"].as_i64()),
            );
            match (j["has_more"].as_bool(), j["next_page"].as_str()) {
                (Some(true), Some(n)) => page = Some(n.to_owned()),
                _ => {
                    page = None;
                    break;
                }
            }
        }
        let want: Vec<i64> = (0..10).map(|d| start + d * DAY).collect();
        list.check(
            &what,
            "paging by next_page covers the days once, in order",
            (seen != want || page.is_some()).then(|| format!("{seen:?}")),
        );

        // What the spec refuses.
        let bad = [
            ("no start_time", format!("{}?limit=7", op.path)),
            (
                "start_time not an integer",
                format!("{}?start_time=yesterday", op.path),
            ),
            (
                "end_time before start_time",
                format!("{}?start_time={start}&end_time={}", op.path, start - DAY),
            ),
            (
                "unknown bucket_width",
                format!("{}?start_time={start}&bucket_width=1w", op.path),
            ),
            (
                "limit over 31 days",
                format!("{}?start_time={start}&limit=32", op.path),
            ),
            (
                "limit over 168 hours",
                format!("{}?start_time={start}&bucket_width=1h&limit=169", op.path),
            ),
            ("limit 0", format!("{}?start_time={start}&limit=0", op.path)),
            (
                "group_by a field the type lacks",
                format!("{}?start_time={start}&group_by=organization", op.path),
            ),
            (
                "a page that is not one",
                format!("{}?start_time={start}&page=nope", op.path),
            ),
        ];
        for (label, t) in bad {
            list.check(
                &what,
                &format!("{label} → 400"),
                spec.error_envelope_problem(&get(&t), &[400]),
            );
        }
        let r = http::send(
            addr,
            "GET",
            &format!("{}?start_time={start}", op.path),
            &Auth::Absent,
            &Body::None,
        );
        list.check(
            &what,
            "no Authorization → 401",
            spec.error_envelope_problem(&r, &[401]),
        );
    }
    list.finish("usage");
}

/// Projects alone for the two types the spec groups by project only: a user id asked for is
/// refused, and their results carry no user.
#[test]
fn vector_stores_and_code_interpreter_group_by_project_only() {
    let m = super::mock();
    let start = today() - 3 * DAY;
    for t in ["vector_stores", "code_interpreter_sessions"] {
        let path = format!("/organization/usage/{t}?start_time={start}&group_by=user_id");
        let r = http::send(m.addr(), "GET", &path, &Auth::Key, &Body::None);
        assert_eq!(r.status, 400, "{t}: {}", r.brief());
    }
}
