//! One sync's use of a state directory: whose state it is, what kind of sync runs (a resume,
//! an incremental sync, or a full one and why), and committing it when it completes. Shared by
//! every caller that keeps a state (the CLI's `--state`, a long-running service).

use super::files::{JournalHeader, StateDir, StateError, StateMeta, SyncKind, VERSION};
use super::{ListRecord, unix_now};
use crate::SyncOutcome;
use crate::api::{AdminClient, ClientConfig};
use crate::ids::OrgId;
use crate::incremental::logins::Logins;
use crate::incremental::{self, AuditCursor, Dirty, Fallback};
use crate::sync::Persistence;
use crate::throttle::KnownLimits;
use std::time::Duration;

/// How a sync with a state chooses its kind.
#[derive(Clone, Debug)]
pub struct StateOptions {
    /// Always a full sync (it refreshes the state).
    pub full: bool,
    /// Group member lists read longer ago than this are read again (the audit log does not
    /// record membership changes).
    pub group_rescan: Duration,
    /// How long the audit log is assumed to keep entries: a cursor older than this cannot be
    /// trusted, so the sync is full.
    pub audit_retention: Duration,
    /// Mutations this process made since the last sync (a service's provisioning): what they
    /// touched is read again even if the audit log does not show them yet.
    pub touched: Vec<crate::api::Call>,
}

impl Default for StateOptions {
    fn default() -> Self {
        Self {
            full: false,
            group_rescan: Duration::from_secs(6 * 3600),
            audit_retention: Duration::from_secs(30 * 86_400),
            touched: Vec::new(),
        }
    }
}

/// Why the state cannot be used for this sync.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error("{0}")]
    State(#[from] StateError),
    #[error("it holds the state of {had}, not of {want}; use another directory")]
    OtherServer { had: String, want: String },
    #[error("it holds the state of organization {had}, not {want}")]
    OtherOrg { had: OrgId, want: OrgId },
    /// The audit log could not be read for a transient reason: syncing now would fail too.
    #[error("{0}; the state is kept for the next attempt")]
    ServerFailing(Fallback),
}

/// A sync about to run against a state.
pub struct Prepared {
    /// Handed to the sync (`Option::take`).
    pub persistence: Option<Persistence>,
    pub kind: SyncKind,
    /// Lists an interrupted sync had read, resumed (with when it started).
    pub resumed: usize,
    pub resumed_from: i64,
    /// Why the sync is full although the state could have made it incremental.
    pub fallback: Option<Fallback>,
    /// Audit entries acted on, and pages read to find them.
    pub events: usize,
    pub audit_pages: usize,
    pub dirty: Dirty,
    /// The limits the last sync learned.
    pub limits: KnownLimits,
    /// When each group's member list taken from the state was read (group id → Unix
    /// seconds); groups read by this sync are not in it.
    pub group_members_read_at: std::collections::BTreeMap<String, i64>,
    /// Sign-ins seen in the audit log so far, this sync's included.
    pub logins: Logins,
    /// The audit cursor to store when the sync completes.
    cursor: Option<AuditCursor>,
}

/// Opens the state in `dir` for a sync of `server` (`org` when known) and decides its kind:
/// an interrupted sync is resumed; else, with a complete sync in the state and an audit log to
/// read, an incremental sync; else a full one, saying why. `client` reads the audit log.
pub async fn prepare(
    dir: &StateDir,
    server: &str,
    org: Option<&OrgId>,
    client: &ClientConfig,
    opts: &StateOptions,
) -> Result<Prepared, Refused> {
    let api = AdminClient::new(client.clone()).map_err(|e| StateError::Corrupt {
        path: dir.path().to_owned(),
        detail: e.to_string(),
    })?;
    prepare_on(dir, server, org, &api, opts).await
}

/// [`prepare`] through a client that outlives the sync (a long-running service's).
pub async fn prepare_on(
    dir: &StateDir,
    server: &str,
    org: Option<&OrgId>,
    api: &AdminClient,
    opts: &StateOptions,
) -> Result<Prepared, Refused> {
    let now = unix_now();
    let loaded = dir.load()?;
    if let Some(m) = &loaded.meta {
        if m.server != server {
            return Err(Refused::OtherServer {
                had: m.server.clone(),
                want: server.to_owned(),
            });
        }
        if let (Some(want), Some(had)) = (org, &m.org_id)
            && want != had
        {
            return Err(Refused::OtherOrg {
                had: had.clone(),
                want: want.clone(),
            });
        }
    }
    let limits = loaded
        .meta
        .as_ref()
        .map(|m| m.limits.clone())
        .unwrap_or_default();
    let base = loaded.base;
    let mut logins = loaded
        .meta
        .as_ref()
        .map(|m| m.logins.clone())
        .unwrap_or_default();
    // An interrupted sync of this server: resume it as it was (unless a full one is asked).
    if let Some((header, journaled)) = loaded
        .journal
        .filter(|(h, _)| h.server == server && !opts.full)
    {
        let cursor = header
            .audit
            .clone()
            .and_then(|v| serde_json::from_value(v).ok());
        let base = match header.kind {
            SyncKind::Incremental => base,
            SyncKind::Full => Vec::new(),
        };

        let dirty = Dirty {
            lists: header
                .dirty
                .iter()
                .map(|k| (k.clone(), "read again by the interrupted sync".to_owned()))
                .collect(),
            group_rescans: 0,
            items: Default::default(),
        };
        let resumed = journaled.len();
        let ages = members_read_at(&base, &dirty);
        // The entries the interrupted sync read are behind its cursor now, unseen here.
        logins.broken();
        let journal = dir.begin(&header)?;
        return Ok(Prepared {
            persistence: Some(Persistence {
                replay: incremental::replay(journaled, base, &dirty),
                journal,
            }),
            kind: header.kind,
            resumed,
            resumed_from: header.started_at,
            fallback: None,
            events: 0,
            audit_pages: 0,
            group_members_read_at: ages,
            dirty,
            limits,
            logins,
            cursor,
        });
    }
    let last = loaded
        .meta
        .as_ref()
        .and_then(|m| m.audit.clone())
        .and_then(|v| serde_json::from_value::<AuditCursor>(v).ok());
    let mut base = base;
    let attempt = match (&last, base.is_empty(), opts.full) {
        (_, _, true) => Err(Fallback::Asked),
        _ if loaded.base_unreadable.is_some() => Err(Fallback::UnreadableState(
            loaded.base_unreadable.clone().unwrap_or_default(),
        )),
        (None, _, _) | (_, true, _) => Err(Fallback::NoState),
        (Some(cursor), false, false) => incremental(api, cursor, &mut base, opts, now).await,
    };
    if let Err(f @ Fallback::ServerFailing(_)) = attempt {
        return Err(Refused::ServerFailing(f));
    }
    let (kind, fallback, events, audit_pages, dirty, cursor, base) = match attempt {
        Ok((read, dirty)) => {
            if let Some(from) = last.as_ref().map(|c| c.from) {
                logins.saw(&read.events, from);
            }
            (
                SyncKind::Incremental,
                None,
                read.events.len(),
                read.pages,
                dirty,
                read.next,
                base,
            )
        }
        Err(why) => {
            // A full sync asked for (a periodic reconciliation) still reads the log from where
            // the last sync ended, for the sign-ins it holds; otherwise it reads the newest
            // page only, to set the next sync's cursor, and sign-ins seen before it can no
            // longer be joined up with those after.
            let watched = match (&why, &last) {
                (Fallback::Asked, Some(c)) => incremental::read(api, Some(c), now)
                    .await
                    .ok()
                    .map(|r| (r, c.from)),
                _ => None,
            };
            let read = match watched {
                Some((r, from)) => {
                    logins.saw(&r.events, from);
                    Ok(r)
                }
                None => {
                    logins.broken();
                    incremental::read(api, None, now).await
                }
            };
            let (cursor, pages) = match read {
                Ok(r) => (r.next, r.pages),
                Err(e) => {
                    tracing::warn!(reason = %e, "The next sync cannot be incremental either.");
                    (None, 1)
                }
            };
            (
                SyncKind::Full,
                Some(why),
                0,
                pages,
                Dirty::default(),
                cursor,
                Vec::new(),
            )
        }
    };
    let header = JournalHeader {
        journal: VERSION,
        server: server.to_owned(),
        kind,
        started_at: now,
        // A resumed sync reads the patched lists whole: the journal may not hold the patch.
        dirty: dirty
            .lists
            .keys()
            .cloned()
            .chain(dirty.items.keys().map(|i| i.list()))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect(),
        audit: cursor.as_ref().and_then(|c| serde_json::to_value(c).ok()),
    };
    let journal = dir.begin(&header)?;
    let ages = members_read_at(&base, &dirty);
    Ok(Prepared {
        persistence: Some(Persistence {
            replay: incremental::replay(Vec::new(), base, &dirty),
            journal,
        }),
        kind,
        resumed: 0,
        resumed_from: now,
        fallback,
        events,
        audit_pages,
        group_members_read_at: ages,
        dirty,
        limits,
        logins,
        cursor,
    })
}

/// When the group member lists the sync replays (those of `base` not `dirty`) were read.
fn members_read_at(base: &[ListRecord], dirty: &Dirty) -> std::collections::BTreeMap<String, i64> {
    base.iter()
        .filter(|r| !dirty.lists.contains_key(&r.key))
        .filter_map(|r| super::group_of_members_list(&r.key).map(|g| (g.to_owned(), r.read_at)))
        .collect()
}

async fn incremental(
    api: &AdminClient,
    cursor: &AuditCursor,
    base: &mut [ListRecord],
    opts: &StateOptions,
    now: i64,
) -> Result<(incremental::Read, Dirty), Fallback> {
    incremental::check_age(cursor, now, opts.audit_retention)?;
    let read = incremental::read(api, Some(cursor), now).await?;
    let mut dirty =
        incremental::plan_with(base, &read.events, &opts.touched, now, opts.group_rescan)?;
    incremental::patch::apply(api, base, &mut dirty).await;
    Ok((read, dirty))
}

impl Prepared {
    /// The sync completed: its lists become the state, with the audit cursor and the limits.
    pub fn commit(
        &self,
        dir: &StateDir,
        server: &str,
        outcome: &SyncOutcome,
    ) -> Result<(), StateError> {
        let meta = StateMeta {
            version: VERSION,
            server: server.to_owned(),
            org_id: outcome.graph.org_id.parse().ok(),
            synced_at: unix_now(),
            kind: self.kind,
            lists: outcome
                .progress
                .crawlers
                .values()
                .map(|c| c.crawls_done as usize)
                .sum(),
            limits: outcome.limits.clone(),
            audit: self
                .cursor
                .as_ref()
                .and_then(|c| serde_json::to_value(c).ok()),
            logins: self.logins.clone(),
        };
        dir.commit(&meta)
    }
}
