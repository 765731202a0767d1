//! Usage kept between syncs: per day and usage type, the requests of each (project, user,
//! API key) the Usage API reported, and when each day was read. A day read after it ended
//! (and the API had time to settle it) is not read again; today always is. Two tables of
//! the state database, created when first used (an older build ignores them, so the schema
//! version stays), or of an in-memory database for a sync without a state.

use super::{StateDir, StateError};
use rusqlite::{Connection, params};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Mutex;

pub const DAY: i64 = 86_400;

/// A day counts as settled once read this long after its end: the Usage API's totals for
/// the last hours of a day may still move for a while after it.
pub const SETTLE: i64 = 3_600;

const TABLES: &str = "
CREATE TABLE IF NOT EXISTS usage_days (
    kind TEXT NOT NULL,
    day INTEGER NOT NULL,
    read_at INTEGER NOT NULL,
    PRIMARY KEY (kind, day)
);
CREATE TABLE IF NOT EXISTS usage (
    kind TEXT NOT NULL,
    day INTEGER NOT NULL,
    project_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    api_key_id TEXT NOT NULL,
    requests INTEGER NOT NULL,
    PRIMARY KEY (kind, day, project_id, user_id, api_key_id)
);
";

/// One reported total: a day (days since the Unix epoch) of one usage type, for whatever
/// the type groups by (empty when it does not: vector stores have no user or key).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct UsageRow {
    pub day: i64,
    pub project_id: String,
    pub user_id: String,
    pub api_key_id: String,
    pub requests: u64,
}

/// The last day with requests, and the requests, over a range of days.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DayTotal {
    pub last_day: i64,
    pub requests: u64,
}

/// Per API key, user and project id: their totals since a day.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub keys: BTreeMap<String, DayTotal>,
    pub users: BTreeMap<String, DayTotal>,
    pub projects: BTreeMap<String, DayTotal>,
}

/// Where the days are kept.
pub struct UsageBook {
    book: Book,
}

enum Book {
    State(StateDir),
    Memory(Mutex<Connection>),
}

fn corrupt(e: rusqlite::Error) -> StateError {
    StateError::Corrupt {
        path: PathBuf::from(":memory:"),
        detail: e.to_string(),
    }
}

impl UsageBook {
    /// In the state database, beside the lists.
    pub fn of(state: &StateDir) -> Result<Self, StateError> {
        let book = Self {
            book: Book::State(state.clone()),
        };
        book.with(|c| c.execute_batch(TABLES))?;
        Ok(book)
    }

    /// In memory: a sync without a state reads the whole window.
    pub fn in_memory() -> Result<Self, StateError> {
        let conn = Connection::open_in_memory().map_err(corrupt)?;
        conn.execute_batch(TABLES).map_err(corrupt)?;
        Ok(Self {
            book: Book::Memory(Mutex::new(conn)),
        })
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StateError> {
        match &self.book {
            Book::State(s) => {
                let mut conn = s.conn();
                f(&mut conn).map_err(s.err())
            }
            Book::Memory(m) => {
                let mut conn = m.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                f(&mut conn).map_err(corrupt)
            }
        }
    }

    /// The days of `kind` from `from` on that were read settled: not to be read again.
    pub fn settled(&self, kind: &str, from: i64) -> Result<BTreeSet<i64>, StateError> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT day FROM usage_days WHERE kind = ?1 AND day >= ?2 AND read_at >= (day + 1) * ?3 + ?4",
            )?;
            let rows = stmt.query_map(params![kind, from, DAY, SETTLE], |r| r.get(0))?;
            rows.collect()
        })
    }

    /// Replaces what is kept of `kind` for the days `from..=to` with `rows`, read at
    /// `read_at`; one transaction.
    pub fn replace(
        &self,
        kind: &str,
        from: i64,
        to: i64,
        rows: &[UsageRow],
        read_at: i64,
    ) -> Result<(), StateError> {
        self.with(|c| {
            let tx = c.transaction()?;
            tx.execute(
                "DELETE FROM usage WHERE kind = ?1 AND day BETWEEN ?2 AND ?3",
                params![kind, from, to],
            )?;
            {
                let mut day = tx.prepare(
                    "INSERT INTO usage_days (kind, day, read_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (kind, day) DO UPDATE SET read_at = excluded.read_at",
                )?;
                for d in from..=to {
                    day.execute(params![kind, d, read_at])?;
                }
                let mut row = tx.prepare(
                    "INSERT INTO usage (kind, day, project_id, user_id, api_key_id, requests)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT DO UPDATE SET requests = requests + excluded.requests",
                )?;
                for r in rows.iter().filter(|r| (from..=to).contains(&r.day)) {
                    row.execute(params![
                        kind,
                        r.day,
                        r.project_id,
                        r.user_id,
                        r.api_key_id,
                        r.requests as i64
                    ])?;
                }
            }
            tx.commit()
        })
    }

    /// Forgets the days before `day` (out of every window asked for since).
    pub fn forget_before(&self, day: i64) -> Result<(), StateError> {
        self.with(|c| {
            c.execute("DELETE FROM usage WHERE day < ?1", [day])?;
            c.execute("DELETE FROM usage_days WHERE day < ?1", [day])?;
            Ok(())
        })
    }

    /// The first day from which every one of `kinds` is kept without a gap up to `to`.
    pub fn covered_from(
        &self,
        kinds: &[&str],
        from: i64,
        to: i64,
    ) -> Result<Option<i64>, StateError> {
        let mut first = from;
        for kind in kinds {
            let days: BTreeSet<i64> = self.with(|c| {
                let mut stmt = c.prepare(
                    "SELECT day FROM usage_days WHERE kind = ?1 AND day BETWEEN ?2 AND ?3",
                )?;
                let rows = stmt.query_map(params![kind, from, to], |r| r.get(0))?;
                rows.collect()
            })?;
            // Walk back from `to` while the days are there.
            let mut d = to;
            while d >= from && days.contains(&d) {
                d -= 1;
            }
            if d == to {
                return Ok(None);
            }
            first = first.max(d + 1);
        }
        Ok(Some(first))
    }

    /// Totals per key, user and project over the days from `from` on (requests > 0 only).
    pub fn totals(&self, from: i64) -> Result<Totals, StateError> {
        let by = |column: &'static str| {
            move |c: &mut Connection| -> rusqlite::Result<BTreeMap<String, DayTotal>> {
                let mut stmt = c.prepare(&format!(
                    "SELECT {column}, MAX(day), SUM(requests) FROM usage
                     WHERE day >= ?1 AND requests > 0 AND {column} != '' GROUP BY {column}"
                ))?;
                let rows = stmt.query_map([from], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        DayTotal {
                            last_day: r.get(1)?,
                            requests: r.get::<_, i64>(2)? as u64,
                        },
                    ))
                })?;
                rows.collect()
            }
        };
        Ok(Totals {
            keys: self.with(by("api_key_id"))?,
            users: self.with(by("user_id"))?,
            projects: self.with(by("project_id"))?,
        })
    }

    /// How many (kind, day) totals are kept: what a sync's reads have stored.
    pub fn days_kept(&self) -> Result<usize, StateError> {
        self.with(|c| {
            c.query_row("SELECT COUNT(*) FROM usage_days", [], |r| {
                r.get::<_, i64>(0)
            })
        })
        .map(|n| n as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(day: i64, key: &str, n: u64) -> UsageRow {
        UsageRow {
            day,
            project_id: "proj-a".into(),
            user_id: String::new(),
            api_key_id: key.into(),
            requests: n,
        }
    }

    #[test]
    fn days_read_after_they_settled_are_kept_and_totals_add_up() {
        let b = UsageBook::in_memory().expect("book");
        // Days 10..=12 read early in day 12: 11 has not settled yet.
        let rows = [row(10, "k1", 3), row(12, "k1", 1), row(11, "k2", 5)];
        b.replace("completions", 10, 12, &rows, 12 * DAY + 10)
            .expect("store");
        assert_eq!(
            b.settled("completions", 0).expect("days"),
            BTreeSet::from([10])
        );
        // Read again an hour later: 10 and 11 are settled, 12 (today) is not.
        b.replace("completions", 10, 12, &rows, 12 * DAY + SETTLE)
            .expect("store");
        assert_eq!(
            b.settled("completions", 0).expect("days"),
            BTreeSet::from([10, 11])
        );
        // Day 12 read again later replaces, not adds.
        b.replace(
            "completions",
            12,
            12,
            &[row(12, "k1", 4)],
            13 * DAY + SETTLE,
        )
        .expect("store");
        let t = b.totals(0).expect("totals");
        assert_eq!(
            t.keys["k1"],
            DayTotal {
                last_day: 12,
                requests: 7
            }
        );
        assert_eq!(
            t.keys["k2"],
            DayTotal {
                last_day: 11,
                requests: 5
            }
        );
        assert_eq!(t.projects["proj-a"].requests, 12);
        assert!(t.users.is_empty(), "no user named");
        assert_eq!(b.totals(12).expect("totals").keys.len(), 1, "from a day on");
        assert_eq!(
            b.covered_from(&["completions"], 5, 12).expect("cover"),
            Some(10)
        );
        assert_eq!(
            b.covered_from(&["completions", "images"], 5, 12)
                .expect("cover"),
            None
        );
        b.forget_before(11).expect("forget");
        assert_eq!(b.days_kept().expect("n"), 2);
    }
}
