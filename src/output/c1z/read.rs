//! Reading a `.c1z` back for reviews: its finished full syncs, newest first, each as the
//! grant graph's objects. The inverse of `convert.rs` for what this connector writes; rows it
//! cannot read are counted and reported, never guessed.

use super::C1zError;
use super::proto::{self, AnyType};
use openai_access_actors::graph::{
    self as g, AccountType, EntitlementId, Exclusion, Purpose, ResourceId, ResourceKey, Traits,
    UserStatus,
};
use openai_access_actors::review::{Snapshot, SyncInfo};
use prost::Message;
use std::collections::BTreeMap;
use std::path::Path;

/// One finished sync read from a `.c1z`.
pub struct C1zSync {
    pub snapshot: Snapshot,
    /// Rows that could not be decoded (kept out of the snapshot).
    pub unreadable: usize,
}

fn io(context: &'static str) -> impl FnOnce(std::io::Error) -> C1zError {
    move |source| C1zError::Io { context, source }
}

fn sql(context: impl Into<String>) -> impl FnOnce(rusqlite::Error) -> C1zError {
    move |source| C1zError::Read {
        context: context.into(),
        source,
    }
}

/// The .c1z's database, decompressed straight into memory, for a question that reads a few
/// rows (no scratch file: writing 1.1 GB of pages for `large` took 2–3 s, decompressing
/// alone 0.6 s). The compressed file is read whole (49 MB for `large`) and decoded in one
/// call into SQLite's own buffer: a streaming decoder copied every byte once more. Read only.
/// SQLite's allocator takes at most 2 GiB at once, so a larger database goes to a scratch
/// file instead (returned with the connection, which it must outlive).
fn open_in_memory(
    path: &Path,
) -> Result<(rusqlite::Connection, Option<tempfile::TempDir>), C1zError> {
    // The frame header says how big the database is (the writer records it, as the SDK's
    // readers require); checked before it is allocated.
    let (mut r, declared) = super::envelope::open_checked(path)?;
    let Some(size) = usize::try_from(declared)
        .ok()
        .filter(|&n| i32::try_from(n).is_ok())
    else {
        drop(r);
        return open_on_disk(path).map(|(conn, dir)| (conn, Some(dir)));
    };
    let mut frame = Vec::new();
    std::io::Read::read_to_end(&mut r, &mut frame).map_err(io("reading the .c1z"))?;
    let mut conn = rusqlite::Connection::open_in_memory().map_err(sql("an in-memory database"))?;
    conn.deserialize_read_exact(rusqlite::MAIN_DB, WholeFrame(Some(&frame)), size, true)
        .map_err(sql("decompressing the .c1z"))?;
    Ok((conn, None))
}

/// The .c1z's database decompressed into a scratch file, opened read only.
fn open_on_disk(path: &Path) -> Result<(rusqlite::Connection, tempfile::TempDir), C1zError> {
    let dir = tempfile::tempdir().map_err(io("a scratch directory"))?;
    let db = dir.path().join("sync.db");
    super::envelope::decompress(path, &db)?;
    let conn = rusqlite::Connection::open_with_flags(
        &db,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sql("not a .c1z database"))?;
    Ok((conn, dir))
}

/// A zstd frame read as its plaintext in one call: `read_exact` hands over the whole
/// destination at once, so the frame decodes straight into it. A destination too small for
/// the frame, or a frame shorter than its header said, is an error, never a partial database.
struct WholeFrame<'a>(Option<&'a [u8]>);

impl std::io::Read for WholeFrame<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.0.take() {
            Some(frame) => zstd::bulk::decompress_to_buffer(frame, buf),
            None => Ok(0),
        }
    }
}

/// The newest `count` finished full (or partial) syncs in the file, newest first, every row
/// of each.
pub fn read_syncs(path: &Path, count: usize) -> Result<Vec<C1zSync>, C1zError> {
    // Every row is read: a scratch file keeps the database out of memory (in memory it cost
    // 1.1 GB more on `large` and no time: decoding the rows is what takes it).
    let (conn, _dir) = open_on_disk(path)?;
    let runs = Sync::all(&conn)?;
    if runs.is_empty() {
        return Err(C1zError::NoFinishedSync);
    }
    runs.into_iter()
        .take(count)
        .map(|mut sync| {
            let resources = sync.resources("", "")?;
            let entitlements = sync.rows("v1_entitlements", "", &[], entitlement)?;
            let grants = sync.rows("v1_grants", "", &[], grant)?;
            Ok(sync.snapshot(resources, entitlements, grants))
        })
        .collect()
}

/// What one principal's access answer needs from the newest sync, and nothing else: every
/// resource of its type (to find it by email or name), the organization, every API key and
/// invitation (a user's keys and invitations), its grants, and the entitlements and resources
/// those name. On a `large` org that is a few thousand rows of a million, read through the
/// schema's indexes, so the answer does not wait for the whole graph to be decoded.
pub fn read_for_principal(
    path: &Path,
    t: g::ResourceType,
    find: impl FnOnce(&Snapshot) -> Option<ResourceKey>,
) -> Result<C1zSync, C1zError> {
    let (conn, _scratch) = open_in_memory(path)?;
    let mut sync = Sync::newest(&conn)?;
    let mut types = vec![
        t.as_str(),
        "organization",
        "api_key",
        "admin_api_key",
        "invite",
    ];
    types.sort_unstable();
    types.dedup();
    let mut resources = Vec::new();
    for rt in types {
        resources.extend(sync.resources("AND resource_type_id = ?2", rt)?);
    }
    let probe = Snapshot::from_parts(
        String::new(),
        None,
        false,
        resources,
        Vec::new(),
        Vec::new(),
    );
    let Some(who) = find(&probe) else {
        // Not there: the caller's own lookup on this snapshot says so, with the usual words.
        return Ok(sync.snapshot(probe.into_resources(), Vec::new(), Vec::new()));
    };
    let grants = sync.rows(
        "v1_grants",
        "AND principal_resource_type_id = ?2 AND principal_resource_id = ?3",
        &[who.resource_type.as_str(), who.id.as_str()],
        grant,
    )?;
    let mut resources = probe.into_resources();
    let entitlements = sync.named_by(&grants, &mut resources)?;
    Ok(sync.snapshot(resources, entitlements, grants))
}

/// Who can access one resource, from the newest sync: its grants through the file's
/// resource index, and what they name.
pub fn read_for_resource(path: &Path, key: &ResourceKey) -> Result<C1zSync, C1zError> {
    let (conn, _scratch) = open_in_memory(path)?;
    let mut sync = Sync::newest(&conn)?;
    let mut resources = sync.resources("AND external_id = ?2", &key.to_string())?;
    resources.extend(sync.resources("AND resource_type_id = ?2", "organization")?);
    // The roles scoped to it: holding one is access to it too (`Snapshot::who`).
    let roles = sync.rows(
        "v1_resources",
        "AND parent_resource_type_id = ?2 AND parent_resource_id = ?3 \
         AND resource_type_id IN ('role', 'project_role')",
        &[key.resource_type.as_str(), key.id.as_str()],
        resource,
    )?;
    let mut grants = Vec::new();
    for on in std::iter::once(key.clone()).chain(roles.iter().map(g::Resource::key)) {
        grants.extend(sync.rows(
            "v1_grants",
            "AND resource_type_id = ?2 AND resource_id = ?3",
            &[on.resource_type.as_str(), on.id.as_str()],
            grant,
        )?);
    }
    resources.extend(roles);
    let entitlements = sync.named_by(&grants, &mut resources)?;
    Ok(sync.snapshot(resources, entitlements, grants))
}

/// One finished sync in an open .c1z database, and the rows of it that could not be read.
struct Sync<'c> {
    conn: &'c rusqlite::Connection,
    id: String,
    ended: String,
    kind: String,
    unreadable: usize,
}

impl<'c> Sync<'c> {
    /// Finished full (or partial) syncs, newest first.
    fn all(conn: &'c rusqlite::Connection) -> Result<Vec<Self>, C1zError> {
        conn.prepare(
            "SELECT sync_id, ended_at, sync_type FROM v1_sync_runs \
             WHERE ended_at IS NOT NULL AND sync_type IN ('full', 'partial') \
             ORDER BY ended_at DESC, id DESC",
        )
        .and_then(|mut s| {
            s.query_map([], |r| {
                Ok(Sync {
                    conn,
                    id: r.get(0)?,
                    ended: r.get(1)?,
                    kind: r.get(2)?,
                    unreadable: 0,
                })
            })?
            .collect::<Result<Vec<_>, _>>()
        })
        .map_err(sql("reading the sync runs"))
    }

    fn newest(conn: &'c rusqlite::Connection) -> Result<Self, C1zError> {
        Self::all(conn)?
            .into_iter()
            .next()
            .ok_or(C1zError::NoFinishedSync)
    }

    /// This sync's rows of `table` that also match `and` (a condition on `?2`, `?3`…, given
    /// in `params`; read through the schema's indexes), decoded as `M` and converted. A row
    /// that fails either is counted as unreadable and left out.
    fn rows<M: Message + Default, T>(
        &mut self,
        table: &str,
        and: &str,
        params: &[&str],
        convert: fn(&M) -> Option<T>,
    ) -> Result<Vec<T>, C1zError> {
        let blobs = self
            .conn
            .prepare_cached(&format!(
                "SELECT data FROM {table} WHERE sync_id = ?1 {and} ORDER BY id"
            ))
            .and_then(|mut s| {
                let params = std::iter::once(self.id.as_str()).chain(params.iter().copied());
                s.query_map(rusqlite::params_from_iter(params), |r| {
                    r.get::<_, Vec<u8>>(0)
                })?
                .collect::<Result<Vec<_>, _>>()
            })
            .map_err(sql(format!("reading {table}")))?;
        let mut out = Vec::with_capacity(blobs.len());
        for b in blobs {
            match M::decode(b.as_slice()).ok().as_ref().and_then(convert) {
                Some(t) => out.push(t),
                None => self.unreadable += 1,
            }
        }
        Ok(out)
    }

    /// Resources matching `and` on `?2` = `param` (every resource when `and` is empty).
    fn resources(&mut self, and: &str, param: &str) -> Result<Vec<g::Resource>, C1zError> {
        let params: &[&str] = if and.is_empty() { &[] } else { &[param] };
        self.rows("v1_resources", and, params, resource)
    }

    /// The entitlements `grants` name (their own and their sources), and the resources those
    /// and the grants' principals are on, added to `resources` where missing.
    fn named_by(
        &mut self,
        grants: &[g::Grant],
        resources: &mut Vec<g::Resource>,
    ) -> Result<Vec<g::Entitlement>, C1zError> {
        let mut ents: Vec<String> = grants
            .iter()
            .flat_map(|x| std::iter::once(&x.entitlement).chain(&x.sources))
            .map(ToString::to_string)
            .collect();
        ents.sort_unstable();
        ents.dedup();
        let mut entitlements = Vec::new();
        for e in &ents {
            entitlements.extend(self.rows(
                "v1_entitlements",
                "AND external_id = ?2",
                &[e],
                entitlement,
            )?);
        }
        let mut have: std::collections::HashSet<ResourceKey> =
            resources.iter().map(g::Resource::key).collect();
        let wanted = entitlements
            .iter()
            .map(|e| e.resource.clone())
            .chain(grants.iter().map(|x| x.principal.clone()));
        for k in wanted.collect::<Vec<_>>() {
            if have.insert(k.clone()) {
                resources.extend(self.resources("AND external_id = ?2", &k.to_string())?);
            }
        }
        Ok(entitlements)
    }

    /// The snapshot of what was read.
    fn snapshot(
        self,
        resources: Vec<g::Resource>,
        entitlements: Vec<g::Entitlement>,
        grants: Vec<g::Grant>,
    ) -> C1zSync {
        let org_id = resources
            .iter()
            .find(|r| r.resource_type == g::ResourceType::Organization)
            .map(|r| r.id.to_string())
            .unwrap_or_default();
        let info = SyncInfo {
            // The SDK's stores write local time without a zone.
            synced_at: chrono::NaiveDateTime::parse_from_str(&self.ended, "%Y-%m-%d %H:%M:%S%.f")
                .ok()
                .and_then(|t| t.and_local_timezone(chrono::Local).single())
                .map(|t| {
                    t.with_timezone(&chrono::Utc)
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                })
                .or_else(|| Some(self.ended.clone())),
            base_url: None,
            kind: Some(self.kind.clone()),
            // A .c1z holds the graph only: no sign-ins.
            state: None,
        };
        C1zSync {
            snapshot: Snapshot::from_parts(
                org_id,
                Some(info),
                self.kind == "partial",
                resources,
                entitlements,
                grants,
            ),
            unreadable: self.unreadable,
        }
    }
}

fn key(id: &proto::ResourceId) -> Option<ResourceKey> {
    let t = g::ResourceType::parse(&id.resource_type)?;
    let rid: ResourceId = id.resource.parse().ok()?;
    Some(ResourceKey::new(t, rid))
}

fn seconds(t: &Option<proto::Timestamp>) -> Option<i64> {
    t.as_ref().map(|t| t.seconds)
}

fn annotation<T: AnyType + Default>(list: &[proto::Any]) -> Option<T> {
    list.iter()
        .find(|a| a.type_url == T::TYPE_URL)
        .and_then(|a| T::decode(a.value.as_slice()).ok())
}

fn resource(r: &proto::Resource) -> Option<g::Resource> {
    let own = key(r.id.as_ref()?)?;
    let profile: BTreeMap<String, serde_json::Value> = r
        .profile
        .as_ref()
        .map(|p| {
            p.fields
                .iter()
                .map(|(k, v)| (k.clone(), super::convert::value_json(v)))
                .collect()
        })
        .unwrap_or_default();
    let traits = if let Some(u) = annotation::<proto::UserTrait>(&r.annotations) {
        Traits::User {
            emails: u.emails.iter().map(|e| e.address.clone()).collect(),
            status: if u.status.as_ref().map(|s| s.status)
                == Some(proto::UserStatusValue::Enabled as i32)
            {
                UserStatus::Enabled
            } else {
                UserStatus::Disabled
            },
            account_type: if u.account_type == proto::AccountType::Service as i32 {
                AccountType::Service
            } else {
                AccountType::Human
            },
            login: (!u.login.is_empty()).then(|| u.login.clone()),
            last_activity: seconds(&u.last_login),
        }
    } else if let Some(s) = annotation::<proto::SecretTrait>(&r.annotations) {
        Traits::Secret {
            identity: s.identity_id.as_ref().and_then(key),
            created_at: seconds(&s.created_at),
            last_used_at: seconds(&s.last_used_at),
            expires_at: seconds(&s.expires_at),
        }
    } else if annotation::<proto::GroupTrait>(&r.annotations).is_some() {
        Traits::Group
    } else if annotation::<proto::AppTrait>(&r.annotations).is_some() {
        Traits::App
    } else {
        Traits::Role
    };
    Some(g::Resource {
        resource_type: own.resource_type,
        id: own.id,
        parent: r.parent_resource_id.as_ref().and_then(key),
        display_name: r.display_name.clone(),
        description: r.description.clone(),
        profile,
        traits,
    })
}

fn entitlement(e: &proto::Entitlement) -> Option<g::Entitlement> {
    let id: EntitlementId = e.id.parse().ok()?;
    // The choice follows from the ids (as the sync derives it); the annotation, absent from a
    // file written for every Baton reader, only names it for ids the rule does not know.
    let exclusion = g::exclusion_for(&id.resource, id.slug).or_else(|| {
        annotation::<proto::EntitlementExclusionGroup>(&e.annotations).map(|x| Exclusion {
            group: x.exclusion_group_id,
            order: x.order,
            default: x.is_default,
        })
    });
    Some(g::Entitlement {
        resource: id.resource.clone(),
        slug: id.slug,
        display_name: e.display_name.clone(),
        description: e.description.clone(),
        purpose: if e.purpose == proto::PurposeValue::Permission as i32 {
            Purpose::Permission
        } else {
            Purpose::Assignment
        },
        grantable_to: e
            .grantable_to
            .iter()
            .filter_map(|t| {
                g::ResourceType::ALL
                    .into_iter()
                    .find(|x| x.as_str() == t.id)
            })
            .collect(),
        exclusion,
        id,
    })
}

fn grant(x: &proto::Grant) -> Option<g::Grant> {
    let entitlement: EntitlementId = x.entitlement.as_ref()?.id.parse().ok()?;
    let principal = key(x.principal.as_ref()?.id.as_ref()?)?;
    let own = entitlement.to_string();
    // A purely direct grant carries no sources; an inherited one lists each source, and
    // itself as well when it is also held directly (`convert::grant_sources`).
    let (direct, sources) = match &x.sources {
        None => (true, Vec::new()),
        Some(s) => (
            s.sources.contains_key(&own),
            s.sources
                .keys()
                .filter(|k| **k != own)
                .filter_map(|k| k.parse().ok())
                .collect(),
        ),
    };
    Some(g::Grant {
        resource: entitlement.resource.clone(),
        immutable: annotation::<proto::GrantImmutable>(&x.annotations).is_some(),
        expandable: annotation::<proto::GrantExpandable>(&x.annotations)
            .map(|e| {
                e.entitlement_ids
                    .iter()
                    .filter_map(|i| i.parse().ok())
                    .collect()
            })
            .unwrap_or_default(),
        entitlement,
        principal,
        direct,
        sources,
    })
}
