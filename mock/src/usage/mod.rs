//! The Usage API (`spec/openapi-usage.yaml`): `GET /organization/usage/{type}` answers time
//! buckets of the org's use, grouped as asked, paged by `page` / `next_page`. What is used
//! when is each project key's [`Activity`]; a day's use falls in its 12:00 UTC hour and
//! minute when the buckets are narrower than a day.
//!
//! The rules the spec states and this enforces: `start_time` is required, `end_time` (default
//! now) is exclusive and must be after it; `bucket_width` is `1m`, `1h` or `1d` (default), with
//! `limit` buckets per page (default 60, 24, 7; at most 1440, 168, 31); `group_by` takes only the
//! fields its type lists; `page` is the `next_page` of the previous answer. Buckets start at
//! `start_time` rounded down to the width (UTC midnight for days).

pub mod activity;

pub use activity::{Activity, KINDS};

use super::error::ApiError;
use super::state::KeyOwner;
use super::store::Store;
use bytes::Bytes;
use openai_access_actors::endpoint::Endpoint;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

const DAY: i64 = 86_400;

/// The `group_by` fields each type accepts (the spec's enums).
fn groupable(ep: Endpoint) -> &'static [&'static str] {
    const BY_KEY: [&str; 3] = ["project_id", "user_id", "api_key_id"];
    match ep {
        Endpoint::UsageCompletions => &[
            BY_KEY[0],
            BY_KEY[1],
            BY_KEY[2],
            "model",
            "batch",
            "service_tier",
        ],
        Endpoint::UsageImages => &[BY_KEY[0], BY_KEY[1], BY_KEY[2], "model", "size", "source"],
        Endpoint::UsageVectorStores | Endpoint::UsageCodeInterpreterSessions => &["project_id"],
        Endpoint::UsageFileSearchCalls => &[BY_KEY[0], BY_KEY[1], BY_KEY[2], "vector_store_id"],
        Endpoint::UsageWebSearchCalls => {
            &[BY_KEY[0], BY_KEY[1], BY_KEY[2], "model", "context_level"]
        }
        _ => &[BY_KEY[0], BY_KEY[1], BY_KEY[2], "model"],
    }
}

/// One request's parameters, checked.
#[derive(Debug)]
struct Query {
    start: i64,
    end: i64,
    width: i64,
    limit: usize,
    group_by: Vec<String>,
    project_ids: Vec<String>,
    user_ids: Vec<String>,
    api_key_ids: Vec<String>,
    page: Option<i64>,
}

fn int(k: &'static str, v: &str) -> Result<i64, ApiError> {
    v.parse::<i64>().map_err(|_| {
        ApiError::bad_request(format!("Invalid '{k}': {v:?} is not an integer")).param(k)
    })
}

impl Query {
    fn parse(ep: Endpoint, query: Option<&str>, now: i64) -> Result<Self, ApiError> {
        let (mut start, mut end, mut width, mut limit, mut page) =
            (None, None, "1d".to_owned(), None, None);
        let mut q = Query {
            start: 0,
            end: 0,
            width: DAY,
            limit: 0,
            group_by: Vec::new(),
            project_ids: Vec::new(),
            user_ids: Vec::new(),
            api_key_ids: Vec::new(),
            page: None,
        };
        for (k, v) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            // Arrays arrive as repeated keys, with or without `[]`.
            match k.trim_end_matches("[]") {
                "start_time" => start = Some(int("start_time", &v)?),
                "end_time" => end = Some(int("end_time", &v)?),
                "bucket_width" => width = v.into_owned(),
                "limit" => limit = Some(int("limit", &v)?),
                "page" => page = Some(v.into_owned()),
                "group_by" => {
                    if !groupable(ep).contains(&&*v) {
                        return Err(ApiError::bad_request(format!(
                            "Invalid 'group_by': {v:?}; {} groups by {}",
                            ep.path_template(),
                            groupable(ep).join(", ")
                        ))
                        .param("group_by"));
                    }
                    q.group_by.push(v.into_owned());
                }
                "project_ids" => q.project_ids.push(v.into_owned()),
                "user_ids" => q.user_ids.push(v.into_owned()),
                "api_key_ids" => q.api_key_ids.push(v.into_owned()),
                _ => {}
            }
        }
        q.start = start.ok_or_else(|| {
            ApiError::bad_request("Missing required parameter: 'start_time'.").param("start_time")
        })?;
        q.end = end.unwrap_or(now);
        if q.end <= q.start {
            return Err(
                ApiError::bad_request("'end_time' must be greater than 'start_time'.")
                    .param("end_time"),
            );
        }
        let (w, default, max) = match width.as_str() {
            "1d" => (DAY, 7, 31),
            "1h" => (3600, 24, 168),
            "1m" => (60, 60, 1440),
            other => {
                return Err(ApiError::bad_request(format!(
                    "Invalid 'bucket_width': {other:?}, expected '1m', '1h' or '1d'"
                ))
                .param("bucket_width"));
            }
        };
        q.width = w;
        let limit = limit.unwrap_or(default);
        if !(1..=max).contains(&limit) {
            return Err(ApiError::bad_request(format!(
                "Invalid 'limit': {limit}; with bucket_width={width} it ranges from 1 to {max}"
            ))
            .param("limit"));
        }
        q.limit = limit as usize;
        q.start = q.start.div_euclid(w) * w;
        if let Some(p) = page {
            let at = p
                .strip_prefix("page_")
                .and_then(|n| n.parse::<i64>().ok())
                .filter(|&at| at >= q.start && at < q.end && at % w == 0)
                .ok_or_else(|| {
                    ApiError::bad_request(format!("Invalid 'page': {p:?}")).param("page")
                })?;
            q.page = Some(at);
        }
        Ok(q)
    }

    fn has(&self, field: &str) -> bool {
        self.group_by.iter().any(|g| g == field)
    }
}

/// A key as the Usage API remembers it.
#[derive(Clone, Debug)]
pub struct UsageKey {
    pub project_id: String,
    pub api_key_id: String,
    /// The owning user; `None` for a service account's key.
    pub user_id: Option<String>,
    pub activity: Activity,
}

impl UsageKey {
    /// Every project key of `org` that is ever used.
    pub fn of_org(org: &super::state::Org) -> Vec<UsageKey> {
        org.projects
            .iter()
            .flat_map(|p| {
                p.api_keys
                    .iter()
                    .filter(|k| k.usage != Activity::Never)
                    .map(|k| UsageKey {
                        project_id: p.project.id.as_str().to_owned(),
                        api_key_id: k.id.as_str().to_owned(),
                        user_id: match &k.owner {
                            KeyOwner::User(u) => Some(u.as_str().to_owned()),
                            KeyOwner::ServiceAccount(_) => None,
                        },
                        activity: k.usage,
                    })
            })
            .collect()
    }
}

/// What one result row is grouped under.
type Group = (Option<String>, Option<String>, Option<String>);

/// One page of `GET /organization/usage/{type}` as of `now`.
pub fn page(store: &Store, ep: Endpoint, query: Option<&str>, now: i64) -> Result<Bytes, ApiError> {
    let Some(kind) = KINDS.iter().position(|k| *k == ep) else {
        return Err(ApiError::not_found("route", ep.template()));
    };
    let q = Query::parse(ep, query, now)?;
    let today = now.div_euclid(DAY);
    let mut buckets = Vec::new();
    let mut at = q.page.unwrap_or(q.start);
    while at < q.end && buckets.len() < q.limit {
        // A day's use is in its 12:00 UTC hour (and that hour's first minute).
        let carries = q.width == DAY || at.rem_euclid(DAY) == 12 * 3600;
        let ago = today - at.div_euclid(DAY);
        let rows = if carries && (0..=i64::from(u32::MAX)).contains(&ago) {
            rows(store, kind, &q, ago as u32)
        } else {
            BTreeMap::new()
        };
        buckets.push(json!({
            "object": "bucket",
            "start_time": at,
            "end_time": at + q.width,
            "results": rows.into_iter().map(|(g, n)| result(ep, &q, g, n)).collect::<Vec<_>>(),
        }));
        at += q.width;
    }
    let more = at < q.end;
    let body = json!({
        "object": "page",
        "data": buckets,
        "has_more": more,
        "next_page": more.then(|| format!("page_{at}")),
    });
    super::paging::to_json(&body)
}

/// The day's use of `kind`, summed per group.
fn rows(store: &Store, kind: usize, q: &Query, ago: u32) -> BTreeMap<Group, u64> {
    let mut out = BTreeMap::new();
    let keep = |filter: &[String], v: &str| filter.is_empty() || filter.iter().any(|f| f == v);
    for k in &store.usage_keys {
        let n = k.activity.requests(kind, ago);
        let user = k.user_id.as_deref();
        if n == 0
            || !keep(&q.project_ids, &k.project_id)
            || !keep(&q.api_key_ids, &k.api_key_id)
            || !(q.user_ids.is_empty() || user.is_some_and(|u| keep(&q.user_ids, u)))
        {
            continue;
        }
        let g = (
            q.has("project_id").then(|| k.project_id.clone()),
            user.filter(|_| q.has("user_id")).map(str::to_owned),
            q.has("api_key_id").then(|| k.api_key_id.clone()),
        );
        *out.entry(g).or_insert(0) += n;
    }
    out
}

/// One result object of `ep`'s type: its counts from `n` requests, its group's fields.
fn result(ep: Endpoint, q: &Query, (project, user, key): Group, n: u64) -> Value {
    let mut r = Map::new();
    let kind = ep
        .path_template()
        .trim_start_matches("/organization/usage/");
    let object = match ep {
        Endpoint::UsageFileSearchCalls => "organization.usage.file_searches.result".to_owned(),
        Endpoint::UsageWebSearchCalls => "organization.usage.web_searches.result".to_owned(),
        _ => format!("organization.usage.{kind}.result"),
    };
    r.insert("object".into(), object.into());
    let counts: &[(&str, u64)] = match ep {
        Endpoint::UsageCompletions => &[
            ("input_tokens", n * 900),
            ("output_tokens", n * 300),
            ("num_model_requests", n),
        ],
        Endpoint::UsageEmbeddings | Endpoint::UsageModerations => {
            &[("input_tokens", n * 200), ("num_model_requests", n)]
        }
        Endpoint::UsageImages => &[("images", n), ("num_model_requests", n)],
        Endpoint::UsageAudioSpeeches => &[("characters", n * 80), ("num_model_requests", n)],
        Endpoint::UsageAudioTranscriptions => &[("seconds", n * 30), ("num_model_requests", n)],
        Endpoint::UsageVectorStores => &[("usage_bytes", n * 1024)],
        Endpoint::UsageCodeInterpreterSessions => &[("num_sessions", n)],
        Endpoint::UsageFileSearchCalls => &[("num_requests", n)],
        _ => &[("num_model_requests", n), ("num_requests", n)],
    };
    for (k, v) in counts {
        r.insert((*k).into(), (*v).into());
    }
    r.insert("project_id".into(), project.into());
    if groupable(ep).contains(&"user_id") {
        r.insert("user_id".into(), user.into());
        r.insert("api_key_id".into(), key.into());
    }
    if groupable(ep).contains(&"model") {
        r.insert(
            "model".into(),
            q.has("model").then_some("gpt-4o-mini-2024-07-18").into(),
        );
    }
    Value::Object(r)
}
