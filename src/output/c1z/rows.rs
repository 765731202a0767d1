//! One sync's rows (baton-model.md §3.4, §3.7 steps 2–4): resource types, resources,
//! entitlements, grants (the graph already holds the expanded grants) and the sync run.

use super::proto::{self, AnyType, GrantPreEncoded};
use super::{C1zError, Readers, TableRows, convert};
use openai_access_actors::graph::{EntitlementId, GrantGraph, ResourceKey, ResourceType};
use prost::Message;
use rusqlite::{Connection, Transaction, params};
use std::collections::HashMap;

/// Stops the write after a set number of rows, so tests can prove a failed write leaves nothing.
pub struct Budget {
    limit: Option<usize>,
    written: usize,
}

impl Budget {
    pub fn new(limit: Option<usize>) -> Self {
        Self { limit, written: 0 }
    }

    fn tick(&mut self) -> Result<(), C1zError> {
        if self.limit.is_some_and(|n| self.written >= n) {
            return Err(C1zError::SimulatedFailure { rows: self.written });
        }
        self.written += 1;
        Ok(())
    }
}

/// Fails before writing anything when a row would point at a missing row: the `baton` CLI
/// aborts a whole listing on the first missing lookup (§3.6), so such a file would be useless.
pub fn check_references(graph: &GrantGraph) -> Result<(), C1zError> {
    let missing = |what: &'static str, id: String, from: &str| C1zError::MissingReference {
        what,
        id,
        from: from.to_owned(),
    };
    for r in graph.resources() {
        if let Some(p) = &r.parent
            && graph.resource(p).is_none()
        {
            return Err(missing(
                "parent resource",
                p.to_string(),
                &r.key().to_string(),
            ));
        }
    }
    for e in graph.entitlements_sorted() {
        if graph.resource(&e.resource).is_none() {
            return Err(missing(
                "resource",
                e.resource.to_string(),
                &e.id.to_string(),
            ));
        }
    }
    for gr in graph.grants() {
        if graph.entitlement(&gr.entitlement).is_none() {
            return Err(missing(
                "entitlement",
                gr.entitlement.to_string(),
                &gr.id_text().to_string(),
            ));
        }
        for key in [&gr.principal, &gr.resource] {
            if graph.resource(key).is_none() {
                return Err(missing(
                    "resource",
                    key.to_string(),
                    &gr.id_text().to_string(),
                ));
            }
        }
    }
    Ok(())
}

/// Inserts every object of `graph` under `sync_id`.
pub fn insert_objects(
    tx: &Transaction<'_>,
    graph: &GrantGraph,
    sync_id: &str,
    discovered_at: &str,
    readers: Readers,
    budget: &mut Budget,
) -> Result<TableRows, C1zError> {
    let mut rows = TableRows::default();

    // Every type the connector declares, as a Baton connector's ListResourceTypes returns them,
    // whether or not this org has resources of it.
    let mut stmt = tx.prepare(
        "INSERT INTO v1_resource_types (external_id, data, sync_id, discovered_at) \
         VALUES (?1, ?2, ?3, ?4)",
    )?;
    for rt in ResourceType::ALL {
        budget.tick()?;
        let data = convert::resource_type(rt).encode_to_vec();
        stmt.execute(params![rt.as_str(), data, sync_id, discovered_at])?;
        rows.resource_types += 1;
    }

    // Full resources are kept for the entitlements and grant stubs that embed them.
    let mut full: HashMap<ResourceKey, proto::Resource> = HashMap::new();
    let mut stmt = tx.prepare(
        "INSERT INTO v1_resources (resource_type_id, external_id, parent_resource_type_id, \
         parent_resource_id, data, sync_id, discovered_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for r in graph.resources_sorted() {
        budget.tick()?;
        let msg = convert::resource(r);
        let key = r.key();
        stmt.execute(params![
            r.resource_type.as_str(),
            key.to_string(),
            r.parent.as_ref().map(|p| p.resource_type.as_str()),
            r.parent.as_ref().map(|p| p.id.as_str()),
            msg.encode_to_vec(),
            sync_id,
            discovered_at,
        ])?;
        full.insert(key, msg);
        rows.resources += 1;
    }

    let mut stubs: HashMap<&EntitlementId, Vec<u8>> = HashMap::new();
    let mut stmt = tx.prepare(
        "INSERT INTO v1_entitlements (resource_type_id, resource_id, external_id, data, sync_id, \
         discovered_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for e in graph.entitlements_sorted() {
        budget.tick()?;
        let res = full.get(&e.resource).cloned().unwrap_or_default();
        let data = convert::entitlement(e, res.clone(), readers).encode_to_vec();
        let id = e.id.to_string();
        stmt.execute(params![
            e.resource.resource_type.as_str(),
            e.resource.id.as_str(),
            id,
            data,
            sync_id,
            discovered_at,
        ])?;
        stubs.insert(&e.id, convert::entitlement_stub(&id, res).encode_to_vec());
        rows.entitlements += 1;
    }
    drop(full);

    let mut stmt = tx.prepare(
        "INSERT INTO v1_grants (resource_type_id, resource_id, entitlement_id, \
         principal_resource_type_id, principal_resource_id, external_id, expansion, \
         needs_expansion, data, sync_id, discovered_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    // Two cores: one thread encodes the grants' protobuf rows in batches while this one
    // inserts them; the bounded channel keeps at most a few batches in memory.
    let (tx_rows, rx_rows) = std::sync::mpsc::sync_channel::<Vec<GrantRow>>(4);
    std::thread::scope(|scope| -> Result<(), C1zError> {
        let stubs = &stubs;
        scope.spawn(move || {
            let mut batch = Vec::with_capacity(GRANT_BATCH);
            for gr in graph.grants_sorted() {
                batch.push(grant_row(graph, stubs, &gr));
                if batch.len() == GRANT_BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(GRANT_BATCH));
                    if tx_rows.send(full).is_err() {
                        return; // the inserter stopped (an error or the row budget)
                    }
                }
            }
            let _ = tx_rows.send(batch);
        });
        for batch in rx_rows {
            for row in batch {
                budget.tick()?;
                stmt.execute(params![
                    row.resource_type,
                    row.resource_id,
                    row.entitlement,
                    row.principal_type,
                    row.principal_id,
                    row.external_id,
                    row.expansion,
                    0i64,
                    row.data,
                    sync_id,
                    discovered_at,
                ])?;
                rows.grants += 1;
                rows.expandable_grants += usize::from(row.expansion.is_some());
                rows.grants_with_sources += usize::from(row.has_sources);
            }
        }
        Ok(())
    })?;
    Ok(rows)
}

/// Grants per batch handed from the encoder to the inserter.
const GRANT_BATCH: usize = 4096;

/// One `v1_grants` row, encoded.
struct GrantRow {
    resource_type: &'static str,
    resource_id: String,
    entitlement: String,
    principal_type: &'static str,
    principal_id: String,
    external_id: String,
    expansion: Option<Vec<u8>>,
    data: Vec<u8>,
    has_sources: bool,
}

fn grant_row(
    graph: &GrantGraph,
    stubs: &HashMap<&EntitlementId, Vec<u8>>,
    gr: &openai_access_actors::graph::Grant,
) -> GrantRow {
    let annotations = if gr.immutable {
        vec![proto::GrantImmutable::default().to_any()]
    } else {
        Vec::new()
    };
    let external_id = gr.id_text().to_string();
    let data = GrantPreEncoded {
        entitlement: stubs.get(&gr.entitlement).cloned().unwrap_or_default(),
        principal: convert::principal_stub(&gr.principal).encode_to_vec(),
        id: external_id.clone(),
        annotations,
        sources: convert::grant_sources(graph, gr),
    }
    .encode_to_vec();
    // GrantExpandable lives in `expansion`, not in `data` (§2 write side). The graph has
    // already materialised the expansion, so the grant is not pending: needs_expansion = 0,
    // which is what the SDK's store holds once its own expander has run.
    let expansion = (!gr.expandable.is_empty()).then(|| {
        proto::GrantExpandable {
            entitlement_ids: gr.expandable.iter().map(ToString::to_string).collect(),
            ..Default::default()
        }
        .encode_to_vec()
    });
    GrantRow {
        resource_type: gr.resource.resource_type.as_str(),
        resource_id: gr.resource.id.as_str().to_owned(),
        entitlement: gr.entitlement.to_string(),
        principal_type: gr.principal.resource_type.as_str(),
        principal_id: gr.principal.id.as_str().to_owned(),
        external_id,
        expansion,
        data,
        has_sources: !gr.sources.is_empty(),
    }
}

/// The finished sync run (§3.5, §3.7 step 2). `supports_diff = 1`: the grants' `expansion`
/// column is filled as the SDK's diff expects (v0.7.27 has the column).
pub fn insert_sync_run(
    tx: &Transaction<'_>,
    readers: Readers,
    sync_id: &str,
    sync_type: &str,
    started_at: &str,
    ended_at: &str,
) -> Result<(), C1zError> {
    let sql = match readers {
        Readers::AnyBaton => {
            "INSERT INTO v1_sync_runs (sync_id, started_at, ended_at, sync_token, sync_type, \
             parent_sync_id, linked_sync_id, supports_diff) \
             VALUES (?1, ?2, ?3, ?4, ?5, '', '', 1)"
        }
        // grants_backfilled = 1: no grant keeps a GrantExpandable in `data` to move.
        Readers::NewerSdk => {
            "INSERT INTO v1_sync_runs (sync_id, started_at, ended_at, sync_token, sync_type, \
             parent_sync_id, linked_sync_id, supports_diff, grants_backfilled, stats) \
             VALUES (?1, ?2, ?3, ?4, ?5, '', '', 1, 1, NULL)"
        }
    };
    tx.execute(
        sql,
        params![sync_id, started_at, ended_at, SYNC_TOKEN, sync_type],
    )?;
    Ok(())
}

/// Brings an existing `v1_sync_runs` to the columns `readers` read: the newer SDKs' columns
/// added (with their defaults, as their migrations add them) or dropped (v0.7.27's
/// `export c1z` fails on a column its own table lacks).
pub fn fit_sync_runs(conn: &Connection, readers: Readers) -> Result<(), C1zError> {
    let has: Vec<String> = {
        let mut stmt = conn.prepare("SELECT name FROM pragma_table_info('v1_sync_runs')")?;
        stmt.query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?
    };
    for (name, ddl) in super::schema::SYNC_RUNS_NEWER_COLUMNS {
        let present = has.iter().any(|h| h == name);
        match readers {
            Readers::AnyBaton if present => {
                conn.execute_batch(&format!("ALTER TABLE v1_sync_runs DROP COLUMN {name}"))?;
            }
            Readers::NewerSdk if !present => {
                conn.execute_batch(&format!("ALTER TABLE v1_sync_runs ADD COLUMN {name} {ddl}"))?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// A valid, empty syncer state (§3.7): readers only need it to parse.
const SYNC_TOKEN: &str = r#"{"version":1}"#;

/// Keeps the newest `keep` finished syncs of `sync_type` and deletes every row of older ones
/// from every table (the SDK's cleanup policy). Returns how many syncs were removed.
pub fn keep_last_syncs(
    tx: &Transaction<'_>,
    sync_type: &str,
    keep: usize,
) -> Result<usize, C1zError> {
    let old: Vec<String> = {
        let mut stmt = tx.prepare(
            "SELECT sync_id FROM v1_sync_runs WHERE sync_type = ?1 AND ended_at IS NOT NULL \
             ORDER BY ended_at DESC, id DESC",
        )?;
        let ids = stmt.query_map([sync_type], |r| r.get::<_, String>(0))?;
        ids.skip(keep).collect::<Result<_, _>>()?
    };
    for id in &old {
        for table in super::schema::TABLES {
            tx.execute(&format!("DELETE FROM {table} WHERE sync_id = ?1"), [id])?;
        }
    }
    Ok(old.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pre_encoded_grant_is_wire_identical_to_the_typed_grant() {
        let res = proto::Resource {
            id: Some(proto::ResourceId {
                resource_type: "group".into(),
                resource: "g1".into(),
                baton_resource: false,
            }),
            display_name: "Engineering".into(),
            ..Default::default()
        };
        let ent = convert::entitlement_stub("group:g1:member", res);
        let principal = proto::Resource {
            id: Some(proto::ResourceId {
                resource_type: "user".into(),
                resource: "u1".into(),
                baton_resource: false,
            }),
            ..Default::default()
        };
        let mut sources = proto::GrantSources::default();
        sources
            .sources
            .insert("b".into(), proto::GrantSource { is_direct: true });
        sources
            .sources
            .insert("a".into(), proto::GrantSource { is_direct: false });
        let annotations = vec![proto::GrantImmutable::default().to_any()];
        let typed = proto::Grant {
            entitlement: Some(ent.clone()),
            principal: Some(principal.clone()),
            id: "group:g1:member:user:u1".into(),
            annotations: annotations.clone(),
            sources: Some(sources.clone()),
        };
        let pre = GrantPreEncoded {
            entitlement: ent.encode_to_vec(),
            principal: principal.encode_to_vec(),
            id: typed.id.clone(),
            annotations,
            sources: Some(sources),
        };
        assert_eq!(pre.encode_to_vec(), typed.encode_to_vec());
    }
}
