//! Who signed in, and when: `login.succeeded` entries of the audit log, as the syncs that
//! read the log see them go by. The graph holds no sign-ins (the API lists none), so this is
//! kept beside it in the state, with the moment the watching began: a user with no sign-in
//! seen is only known to be idle for as long as the log has been watched without a gap.

use crate::api::models::AuditEvent;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The event type of a successful sign-in.
pub const LOGIN: &str = "login.succeeded";

/// Sign-ins seen so far.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Logins {
    /// Since when (Unix seconds) every entry of the log has been read without a gap; `None`:
    /// not watched yet, or the watch was broken (a gap, a cursor older than the retention).
    #[serde(default)]
    pub watched_since: Option<i64>,
    /// User id → the latest sign-in seen (Unix seconds).
    #[serde(default)]
    pub last: BTreeMap<String, i64>,
}

impl Logins {
    /// Adds the sign-ins among `events`, read from `from` on without a gap.
    pub fn saw(&mut self, events: &[AuditEvent], from: i64) {
        self.watched_since.get_or_insert(from);
        for e in events.iter().filter(|e| e.kind == LOGIN) {
            if let Some(user) = e
                .rest
                .get("actor")
                .and_then(|a| a.pointer("/session/user/id"))
                .and_then(serde_json::Value::as_str)
            {
                let t = self.last.entry(user.to_owned()).or_insert(e.effective_at);
                *t = (*t).max(e.effective_at);
            }
        }
    }

    /// The log could not be read without a gap: what was seen stays true, but idleness can
    /// only be judged from the next read on.
    pub fn broken(&mut self) {
        self.watched_since = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn login(id: &str, user: &str, at: i64) -> AuditEvent {
        serde_json::from_value(json!({
            "id": id, "type": LOGIN, "effective_at": at,
            "actor": {"type": "session", "session": {"user": {"id": user, "email": "x@example.com"}}},
            LOGIN: {},
        }))
        .expect("event")
    }

    #[test]
    fn the_latest_sign_in_of_each_user_and_since_when_the_log_was_watched() {
        let mut l = Logins::default();
        let other: AuditEvent = serde_json::from_value(json!({
            "id": "e9", "type": "user.added", "effective_at": 500,
            "actor": {"type": "session", "session": {"user": {"id": "user-c"}}},
        }))
        .expect("event");
        l.saw(
            &[
                login("e1", "user-a", 200),
                login("e2", "user-b", 300),
                other,
            ],
            100,
        );
        l.saw(
            &[login("e3", "user-a", 150), login("e4", "user-a", 400)],
            350,
        );
        assert_eq!(l.watched_since, Some(100), "the first read's start");
        assert_eq!(
            l.last,
            BTreeMap::from([("user-a".to_owned(), 400), ("user-b".to_owned(), 300)]),
            "the latest per user; other events are not sign-ins"
        );
        l.broken();
        l.saw(&[], 900);
        assert_eq!(l.watched_since, Some(900));
        assert_eq!(l.last.len(), 2, "what was seen stays");
    }
}
