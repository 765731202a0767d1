//! Reading a `.c1z` back for reviews: its finished full syncs, newest first, each as the
//! grant graph's objects. The inverse of `convert.rs` for what this connector writes; rows it
//! cannot read are counted and reported, never guessed.

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

fn err(what: &str, e: impl std::fmt::Display) -> String {
    format!("{what}: {e}")
}

/// The .c1z's database, decompressed straight into memory, for a question that reads a few
/// rows (no scratch file: writing 1.1 GB of pages for `large` took 2–3 s, decompressing
/// alone 0.6 s). Read only.
fn open_in_memory(path: &Path) -> Result<rusqlite::Connection, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| err("opening the .c1z", e))?;
    let mut r = std::io::BufReader::with_capacity(1 << 20, file);
    let mut magic = [0u8; 5];
    r.read_exact(&mut magic)
        .map_err(|e| err("reading the .c1z header", e))?;
    if &magic != super::MAGIC_V1 {
        return Err("not a v1 .c1z (no C1ZF header)".to_owned());
    }
    // The frame header says how big the database is (the writer records it, as the SDK's
    // readers require).
    let head = std::io::BufRead::fill_buf(&mut r).map_err(|e| err("reading the .c1z", e))?;
    let size = zstd::zstd_safe::get_frame_content_size(head)
        .ok()
        .flatten()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| "a damaged .c1z: its frame does not say its size".to_owned())?;
    let decoder = zstd::stream::read::Decoder::with_buffer(r)
        .map_err(|e| err("decompressing the .c1z", e))?;
    let mut conn =
        rusqlite::Connection::open_in_memory().map_err(|e| err("an in-memory database", e))?;
    conn.deserialize_read_exact(rusqlite::MAIN_DB, decoder, size, true)
        .map_err(|e| err("decompressing the .c1z", e))?;
    Ok(conn)
}

/// Finished full (or partial) syncs, newest first: id, end time, kind.
fn runs(conn: &rusqlite::Connection) -> Result<Vec<(String, String, String)>, String> {
    conn.prepare(
        "SELECT sync_id, ended_at, sync_type FROM v1_sync_runs \
         WHERE ended_at IS NOT NULL AND sync_type IN ('full', 'partial') \
         ORDER BY ended_at DESC, id DESC",
    )
    .and_then(|mut s| {
        s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<Vec<_>, _>>()
    })
    .map_err(|e| err("reading the sync runs", e))
}

/// The newest `count` finished full (or resumed) syncs in the file, newest first.
pub fn read_syncs(path: &Path, count: usize) -> Result<Vec<C1zSync>, String> {
    // Every row is read: a scratch file keeps the database out of memory (in memory it cost
    // 1.1 GB more on `large` and no time: decoding the rows is what takes it).
    let dir = tempfile::tempdir().map_err(|e| err("a scratch directory", e))?;
    let db = dir.path().join("sync.db");
    super::envelope::decompress(path, &db).map_err(|e| e.to_string())?;
    let conn = rusqlite::Connection::open_with_flags(
        &db,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| err("not a .c1z database", e))?;
    let runs = runs(&conn)?;
    if runs.is_empty() {
        return Err("the file holds no finished sync".to_owned());
    }
    runs.into_iter()
        .take(count)
        .map(|(id, ended, kind)| read_sync(&conn, &id, &ended, &kind))
        .collect()
}

/// Every row of `table` in `sync`, decoded as `M` and converted; a row that fails either is
/// counted in `unreadable` and left out.
fn decoded<M: Message + Default, T>(
    conn: &rusqlite::Connection,
    table: &str,
    sync: &str,
    unreadable: &mut usize,
    convert: impl Fn(M) -> Option<T>,
) -> Result<Vec<T>, String> {
    decoded_where(conn, table, "", &[sync], unreadable, convert)
}

/// [`decoded`] of the rows that also match `and` (a condition on `?2`, `?3`… given in
/// `params` after the sync id), read through the schema's indexes.
fn decoded_where<M: Message + Default, T>(
    conn: &rusqlite::Connection,
    table: &str,
    and: &str,
    params: &[&str],
    unreadable: &mut usize,
    convert: impl Fn(M) -> Option<T>,
) -> Result<Vec<T>, String> {
    let blobs = conn
        .prepare_cached(&format!(
            "SELECT data FROM {table} WHERE sync_id = ?1 {and} ORDER BY id"
        ))
        .and_then(|mut s| {
            s.query_map(rusqlite::params_from_iter(params), |r| {
                r.get::<_, Vec<u8>>(0)
            })?
            .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|e| err(&format!("reading {table}"), e))?;
    let mut out = Vec::with_capacity(blobs.len());
    for b in blobs {
        match M::decode(b.as_slice()).ok().and_then(&convert) {
            Some(t) => out.push(t),
            None => *unreadable += 1,
        }
    }
    Ok(out)
}

/// The newest finished sync's id, end time and kind.
fn newest(conn: &rusqlite::Connection) -> Result<(String, String, String), String> {
    runs(conn)?
        .into_iter()
        .next()
        .ok_or_else(|| "the file holds no finished sync".to_owned())
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
) -> Result<C1zSync, String> {
    let conn = open_in_memory(path)?;
    let (sync, ended, kind) = newest(&conn)?;
    let mut unreadable = 0;
    let by_type = |t: &str, unreadable: &mut usize| {
        decoded_where(
            &conn,
            "v1_resources",
            "AND resource_type_id = ?2",
            &[&sync, t],
            unreadable,
            |r: proto::Resource| resource(&r),
        )
    };
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
        resources.extend(by_type(rt, &mut unreadable)?);
    }
    let probe = Snapshot::from_parts(
        String::new(),
        None,
        false,
        resources.clone(),
        Vec::new(),
        Vec::new(),
    );
    let Some(who) = find(&probe) else {
        // Not there: the caller's own lookup on this snapshot says so, with the usual words.
        return Ok(C1zSync {
            snapshot: probe,
            unreadable,
        });
    };
    let grants = decoded_where(
        &conn,
        "v1_grants",
        "AND principal_resource_type_id = ?2 AND principal_resource_id = ?3",
        &[&sync, who.resource_type.as_str(), who.id.as_str()],
        &mut unreadable,
        |x: proto::Grant| grant(&x),
    )?;
    let entitlements = named_by(&conn, &sync, &grants, &mut resources, &mut unreadable)?;
    let org_id = org_of(&resources);
    Ok(C1zSync {
        snapshot: Snapshot::from_parts(
            org_id,
            Some(info(&ended, &kind)),
            kind == "partial",
            resources,
            entitlements,
            grants,
        ),
        unreadable,
    })
}

/// Who can access one resource, from the newest sync: its grants through the file's
/// resource index, and what they name.
pub fn read_for_resource(path: &Path, key: &ResourceKey) -> Result<C1zSync, String> {
    let conn = open_in_memory(path)?;
    let (sync, ended, kind) = newest(&conn)?;
    let mut unreadable = 0;
    let mut resources = decoded_where(
        &conn,
        "v1_resources",
        "AND external_id = ?2",
        &[&sync, &key.to_string()],
        &mut unreadable,
        |r: proto::Resource| resource(&r),
    )?;
    resources.extend(decoded_where(
        &conn,
        "v1_resources",
        "AND resource_type_id = ?2",
        &[&sync, "organization"],
        &mut unreadable,
        |r: proto::Resource| resource(&r),
    )?);
    let grants = decoded_where(
        &conn,
        "v1_grants",
        "AND resource_type_id = ?2 AND resource_id = ?3",
        &[&sync, key.resource_type.as_str(), key.id.as_str()],
        &mut unreadable,
        |x: proto::Grant| grant(&x),
    )?;
    let entitlements = named_by(&conn, &sync, &grants, &mut resources, &mut unreadable)?;
    let org_id = org_of(&resources);
    Ok(C1zSync {
        snapshot: Snapshot::from_parts(
            org_id,
            Some(info(&ended, &kind)),
            kind == "partial",
            resources,
            entitlements,
            grants,
        ),
        unreadable,
    })
}

/// The entitlements `grants` name (their own and their sources), and the resources those
/// and the grants' principals are on, added to `resources` where missing.
fn named_by(
    conn: &rusqlite::Connection,
    sync: &str,
    grants: &[g::Grant],
    resources: &mut Vec<g::Resource>,
    unreadable: &mut usize,
) -> Result<Vec<g::Entitlement>, String> {
    let mut ents: Vec<EntitlementId> = grants
        .iter()
        .flat_map(|x| std::iter::once(x.entitlement.clone()).chain(x.sources.iter().cloned()))
        .collect();
    ents.sort_by_cached_key(ToString::to_string);
    ents.dedup();
    let mut have: std::collections::HashSet<ResourceKey> =
        resources.iter().map(g::Resource::key).collect();
    let mut wanted: Vec<ResourceKey> = ents.iter().map(|e| e.resource.clone()).collect();
    wanted.extend(grants.iter().map(|x| x.principal.clone()));
    let mut entitlements = Vec::new();
    for e in &ents {
        entitlements.extend(decoded_where(
            conn,
            "v1_entitlements",
            "AND external_id = ?2",
            &[sync, &e.to_string()],
            unreadable,
            |x: proto::Entitlement| entitlement(&x),
        )?);
    }
    for k in wanted {
        if have.insert(k.clone()) {
            resources.extend(decoded_where(
                conn,
                "v1_resources",
                "AND external_id = ?2",
                &[sync, &k.to_string()],
                unreadable,
                |r: proto::Resource| resource(&r),
            )?);
        }
    }
    Ok(entitlements)
}

fn org_of(resources: &[g::Resource]) -> String {
    resources
        .iter()
        .find(|r| r.resource_type == g::ResourceType::Organization)
        .map(|r| r.id.to_string())
        .unwrap_or_default()
}

/// The sync's time and kind as a review shows them.
fn info(ended: &str, kind: &str) -> SyncInfo {
    SyncInfo {
        // The SDK's stores write local time without a zone.
        synced_at: chrono::NaiveDateTime::parse_from_str(ended, "%Y-%m-%d %H:%M:%S%.f")
            .ok()
            .and_then(|t| t.and_local_timezone(chrono::Local).single())
            .map(|t| {
                t.with_timezone(&chrono::Utc)
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            })
            .or_else(|| Some(ended.to_owned())),
        base_url: None,
        kind: Some(kind.to_owned()),
    }
}

fn read_sync(
    conn: &rusqlite::Connection,
    sync: &str,
    ended: &str,
    kind: &str,
) -> Result<C1zSync, String> {
    let mut unreadable = 0;
    let resources = decoded(
        conn,
        "v1_resources",
        sync,
        &mut unreadable,
        |r: proto::Resource| resource(&r),
    )?;
    let entitlements = decoded(
        conn,
        "v1_entitlements",
        sync,
        &mut unreadable,
        |e: proto::Entitlement| entitlement(&e),
    )?;
    let grants = decoded(
        conn,
        "v1_grants",
        sync,
        &mut unreadable,
        |x: proto::Grant| grant(&x),
    )?;
    let org_id = org_of(&resources);
    Ok(C1zSync {
        snapshot: Snapshot::from_parts(
            org_id,
            Some(info(ended, kind)),
            kind == "partial",
            resources,
            entitlements,
            grants,
        ),
        unreadable,
    })
}

fn key(id: &proto::ResourceId) -> Option<ResourceKey> {
    let t = g::ResourceType::ALL
        .into_iter()
        .find(|t| t.as_str() == id.resource_type)?;
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

fn json(v: &proto::Value) -> serde_json::Value {
    use proto::value::Kind;
    match &v.kind {
        None | Some(Kind::NullValue(_)) => serde_json::Value::Null,
        Some(Kind::BoolValue(b)) => (*b).into(),
        // The writer's integers (timestamps, counts) come back as integers.
        Some(Kind::NumberValue(n)) if n.fract() == 0.0 && n.abs() < 9.0e15 => (*n as i64).into(),
        Some(Kind::NumberValue(n)) => (*n).into(),
        Some(Kind::StringValue(s)) => s.clone().into(),
        Some(Kind::ListValue(l)) => l.values.iter().map(json).collect(),
        Some(Kind::StructValue(s)) => {
            serde_json::Value::Object(s.fields.iter().map(|(k, v)| (k.clone(), json(v))).collect())
        }
    }
}

fn resource(r: &proto::Resource) -> Option<g::Resource> {
    let own = key(r.id.as_ref()?)?;
    let profile: BTreeMap<String, serde_json::Value> = r
        .profile
        .as_ref()
        .map(|p| p.fields.iter().map(|(k, v)| (k.clone(), json(v))).collect())
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
    let exclusion =
        annotation::<proto::EntitlementExclusionGroup>(&e.annotations).map(|x| Exclusion {
            group: x.exclusion_group_id,
            order: x.order,
            default: x.is_default,
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
