//! The mock's audit log (`GET /organization/audit_logs`): every change it serves, through the
//! API or out of band, appends the entry the real API would write, in the official shape: `id`,
//! `type`, `effective_at`, `actor`, `project` when scoped to one, and the payload under a key
//! named after the type. Group membership changes leave no org-scoped entry, as in the real
//! API (they are tenant-scoped there, readable only with `tenant_only=true`).
//!
//! Assumptions where the spec is silent: entries are listed newest first; `after` pages to
//! older entries, `before` to newer ones; a log that is switched off answers 400 with code
//! `audit_logging_disabled`; adding a group to a project is logged as a role assignment of the
//! group in the project (the spec has no event of its own for it).

use super::error::ApiError;
use super::paging::page_a;
use bytes::Bytes;
use serde::Serialize;
use serde_json::{Map, Value, json};

/// Who made a change: the admin key (through the API), or a person in the dashboard (out of
/// band).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    ApiKey,
    Session,
    /// A member in their own session (a sign-in).
    Member {
        id: String,
        email: String,
    },
}

impl Actor {
    fn json(&self) -> Value {
        match self {
            Actor::ApiKey => json!({
                "type": "api_key",
                "api_key": {"id": "key_mock_admin", "type": "user", "user": {"id": "user-mock-admin", "email": "admin@mock.example"}}
            }),
            Actor::Member { id, email } => json!({
                "type": "session",
                "session": {"user": {"id": id, "email": email}, "ip_address": "192.0.2.20"}
            }),
            Actor::Session => json!({
                "type": "session",
                "session": {"user": {"id": "user-mock-owner", "email": "owner@mock.example"}, "ip_address": "192.0.2.10"}
            }),
        }
    }
}

/// One event, before it is stamped: its type, its project scope and its payload.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub kind: String,
    pub project: Option<String>,
    /// The project's name, as the log shows it beside its id (filled from the store when
    /// the entry is recorded; the id when the project is gone).
    pub project_name: Option<String>,
    pub payload: Value,
}

impl Event {
    pub fn new(kind: impl Into<String>, payload: Value) -> Self {
        Self {
            kind: kind.into(),
            project: None,
            project_name: None,
            payload,
        }
    }

    pub fn in_project(mut self, project: &str) -> Self {
        self.project = Some(project.to_owned());
        self
    }
}

/// A stamped entry, as listed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Entry {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub effective_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<Value>,
    pub actor: Value,
    #[serde(flatten)]
    pub payload: Map<String, Value>,
}

/// The log: entries in the order they happened.
#[derive(Debug, Default)]
pub struct AuditLog {
    entries: Vec<Entry>,
    next: u64,
}

impl AuditLog {
    /// Appends `events`, made by `actor` at `now`.
    pub fn record(&mut self, events: Vec<Event>, actor: Actor, now: i64) {
        for e in events {
            self.next += 1;
            let mut payload = Map::new();
            payload.insert(e.kind.clone(), e.payload);
            self.entries.push(Entry {
                id: format!("{ID_PREFIX}mock{:08}", self.next),
                kind: e.kind,
                effective_at: now,
                project: e.project.map(|id| {
                    let name = e.project_name.unwrap_or_else(|| id.clone());
                    json!({"id": id, "name": name})
                }),
                actor: actor.json(),
                payload,
            });
        }
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Forgets entries older than `oldest` (the retention window's start).
    pub fn expire(&mut self, oldest: i64) {
        self.entries.retain(|e| e.effective_at >= oldest);
    }

    /// Moves every entry `by` seconds into the past, as if that much time had passed since.
    pub fn age(&mut self, by: i64) {
        for e in &mut self.entries {
            e.effective_at -= by;
        }
    }
}

/// The filters of `GET /organization/audit_logs`.
#[derive(Debug, Default)]
pub(crate) struct AuditQuery {
    pub gt: Option<i64>,
    pub gte: Option<i64>,
    pub lt: Option<i64>,
    pub lte: Option<i64>,
    pub event_types: Vec<String>,
    pub project_ids: Vec<String>,
    pub resource_ids: Vec<String>,
    pub actor_ids: Vec<String>,
    pub tenant_only: bool,
    pub after: Option<String>,
    pub before: Option<String>,
    pub limit: usize,
}

impl AuditQuery {
    pub(crate) fn parse(query: Option<&str>) -> Result<Self, ApiError> {
        let mut q = AuditQuery {
            limit: 20,
            ..AuditQuery::default()
        };
        fn int(k: &str, v: &str) -> Result<i64, ApiError> {
            v.parse::<i64>().map_err(|_| {
                ApiError::bad_request(format!("Invalid '{k}': {v:?} is not an integer"))
            })
        }
        for (k, v) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match &*k {
                "effective_at[gt]" => q.gt = Some(int(&k, &v)?),
                "effective_at[gte]" => q.gte = Some(int(&k, &v)?),
                "effective_at[lt]" => q.lt = Some(int(&k, &v)?),
                "effective_at[lte]" => q.lte = Some(int(&k, &v)?),
                "event_types[]" => {
                    if !crate::audit_types::EVENT_TYPES.contains(&&*v) {
                        return Err(ApiError::bad_request(format!(
                            "Invalid 'event_types[]': {v:?} is not an audit log event type"
                        ))
                        .param("event_types[]"));
                    }
                    q.event_types.push(v.into_owned())
                }
                "project_ids[]" => q.project_ids.push(v.into_owned()),
                "resource_ids[]" => q.resource_ids.push(v.into_owned()),
                "actor_ids[]" => q.actor_ids.push(v.into_owned()),
                "tenant_only" => {
                    q.tenant_only = match &*v {
                        "true" => true,
                        "false" => false,
                        _ => {
                            return Err(ApiError::bad_request(format!(
                                "Invalid 'tenant_only': {v:?}, expected true or false"
                            ))
                            .param("tenant_only"));
                        }
                    }
                }
                // An empty cursor is no cursor, as on every other list.
                "after" => q.after = (!v.is_empty()).then(|| v.into_owned()),
                "before" => q.before = (!v.is_empty()).then(|| v.into_owned()),
                "limit" => {
                    let l = int("limit", &v)?;
                    if !(1..=100).contains(&l) {
                        return Err(ApiError::bad_request(format!(
                            "Invalid 'limit': {l}, must be between 1 and 100"
                        ))
                        .param("limit"));
                    }
                    q.limit = l as usize;
                }
                _ => {}
            }
        }
        Ok(q)
    }

    fn keeps(&self, e: &Entry) -> bool {
        let t = e.effective_at;
        let scoped = e
            .project
            .as_ref()
            .and_then(|p| p.get("id"))
            .and_then(Value::as_str);
        let resource = e
            .payload
            .values()
            .next()
            .and_then(|p| p.get("id"))
            .and_then(Value::as_str);
        self.gt.is_none_or(|x| t > x)
            && self.gte.is_none_or(|x| t >= x)
            && self.lt.is_none_or(|x| t < x)
            && self.lte.is_none_or(|x| t <= x)
            && (self.event_types.is_empty() || self.event_types.contains(&e.kind))
            && (self.project_ids.is_empty()
                || scoped.is_some_and(|p| self.project_ids.iter().any(|x| x == p)))
            && (self.resource_ids.is_empty()
                || resource.is_some_and(|r| self.resource_ids.iter().any(|x| x == r)))
            // Every entry here is org-scoped: a tenant-only query finds none of them.
            && !self.tenant_only
    }
}

/// The prefix of every entry id: a cursor without it never named an entry of this log.
const ID_PREFIX: &str = "audit_log-";

/// One page of `log`, newest first.
pub(crate) fn list(log: &AuditLog, q: &AuditQuery) -> Result<Bytes, ApiError> {
    // A cursor that was never an entry's id finds nothing, as on every other list (the spec
    // declares no error here); an entry that expired still pages from where it stood, below.
    if [&q.after, &q.before]
        .iter()
        .any(|c| c.as_deref().is_some_and(|c| !c.starts_with(ID_PREFIX)))
    {
        return page_a::<Entry>(&[], |e| e.id.as_str(), false);
    }
    let newest_first: Vec<&Entry> = log.entries.iter().rev().filter(|e| q.keeps(e)).collect();
    let position = |id: &str| newest_first.iter().position(|e| e.id == id);
    let (start, end) = match (&q.after, &q.before) {
        (Some(a), _) => {
            // A cursor keeps working after its entry expired: page from where it stood.
            let from = position(a).map(|i| i + 1).unwrap_or_else(|| {
                newest_first
                    .iter()
                    .position(|e| e.id.as_str() < a.as_str())
                    .unwrap_or(newest_first.len())
            });
            (from, (from + q.limit).min(newest_first.len()))
        }
        (None, Some(b)) => {
            let to = position(b).unwrap_or(0);
            (to.saturating_sub(q.limit), to)
        }
        (None, None) => (0, q.limit.min(newest_first.len())),
    };
    let data: Vec<&Entry> = newest_first[start..end].to_vec();
    let more = match (&q.after, &q.before) {
        (None, Some(_)) => start > 0,
        _ => end < newest_first.len(),
    };
    page_a(&data, |e| e.id.as_str(), more)
}

/// The refusal of a log that is switched off.
pub(crate) fn disabled() -> ApiError {
    ApiError::bad_request(
        "Audit logging is not enabled for this organization. An organization owner can enable it in the organization's settings (Data controls).",
    )
    .code("audit_logging_disabled")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_of(n: usize) -> AuditLog {
        let mut log = AuditLog::default();
        for i in 0..n {
            log.record(
                vec![Event::new(
                    "invite.sent",
                    json!({"id": format!("invite-{i}")}),
                )],
                Actor::ApiKey,
                1_000 + i as i64,
            );
        }
        log
    }

    fn page(log: &AuditLog, query: &str) -> Value {
        let q = AuditQuery::parse(Some(query)).expect("query");
        serde_json::from_slice(&list(log, &q).expect("page")).expect("json")
    }

    #[test]
    fn pages_newest_first_without_gaps_or_repeats() {
        let log = log_of(45);
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let q = match &after {
                Some(a) => format!("limit=20&after={a}"),
                None => "limit=20".to_owned(),
            };
            let p = page(&log, &q);
            for e in p["data"].as_array().expect("data") {
                seen.push(e["effective_at"].as_i64().expect("t"));
            }
            if !p["has_more"].as_bool().expect("more") {
                break;
            }
            after = p["last_id"].as_str().map(str::to_owned);
        }
        let want: Vec<i64> = (1_000..1_045).rev().collect();
        assert_eq!(seen, want);
    }

    #[test]
    fn filters_by_time_and_type_and_payload_sits_under_its_type() {
        let log = log_of(10);
        let p = page(&log, "effective_at[gte]=1005&event_types[]=invite.sent");
        let data = p["data"].as_array().expect("data");
        assert_eq!(data.len(), 5);
        assert_eq!(data[0]["invite.sent"]["id"], "invite-9");
        assert_eq!(data[0]["actor"]["type"], "api_key");
        assert!(
            page(&log, "tenant_only=true")["data"]
                .as_array()
                .expect("d")
                .is_empty()
        );
        assert!(AuditQuery::parse(Some("limit=101")).is_err());
    }
}
