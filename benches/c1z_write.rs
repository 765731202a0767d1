//! Writing a large grant graph as a `.c1z` (criterion): ~1M grants (50,000 users, 500 groups,
//! 500 projects), how long the graph takes to build and to write, how big the database and
//! the file come out, and that the file holds every grant. It was an ignored test of the
//! `.c1z` tests ("run in release"); a bench is where a timing belongs.
//!
//! `cargo bench --bench c1z_write`

use criterion::{Criterion, criterion_group, criterion_main};
use openai_access::output::c1z::{C1zOptions, MAGIC_V1, write_c1z};
use openai_access_actors::graph::{
    AccountType, EntitlementId, GrantGraph, Origin, Resource, ResourceKey, ResourceType, TraitKind,
    Traits, UserStatus,
};
use rusqlite::Connection;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

fn org() -> ResourceKey {
    key(ResourceType::Organization, "org-1")
}

fn ent(id: &str) -> EntitlementId {
    id.parse().expect("entitlement id")
}

fn key(rt: ResourceType, id: &str) -> ResourceKey {
    ResourceKey::new(rt, id.parse().expect("resource id"))
}

fn plain(rt: ResourceType, id: &str, name: &str, parent: Option<ResourceKey>) -> Resource {
    let traits = match rt.trait_kind() {
        TraitKind::Group => Traits::Group,
        TraitKind::Role => Traits::Role,
        _ => Traits::App,
    };
    Resource {
        resource_type: rt,
        id: id.parse().expect("resource id"),
        parent,
        display_name: name.to_owned(),
        description: String::new(),
        profile: BTreeMap::from([("name".to_owned(), serde_json::json!(name))]),
        traits,
    }
}

fn user(id: &str, email: &str) -> Resource {
    Resource {
        resource_type: ResourceType::User,
        id: id.parse().expect("resource id"),
        parent: Some(org()),
        display_name: email.to_owned(),
        description: String::new(),
        profile: BTreeMap::from([
            ("email".to_owned(), serde_json::json!(email)),
            ("added_at".to_owned(), serde_json::json!(1_700_000_000)),
        ]),
        traits: Traits::User {
            emails: vec![email.to_owned()],
            status: UserStatus::Enabled,
            account_type: AccountType::Human,
            login: Some(email.to_owned()),
            last_activity: Some(1_700_000_500),
        },
    }
}

/// ~1M grants: every user a member of the org, ten owners, 500 groups of 100 members, and
/// 500 projects with 10 groups and 700 direct viewers each, expanded and finished.
fn large_graph() -> GrantGraph {
    use ResourceType as T;
    let (users, groups, per_group, projects, groups_per_project, direct_per_project) =
        (50_000usize, 500usize, 100usize, 500usize, 10usize, 700usize);
    let mut g = GrantGraph::new("org-1");
    g.add_resource(plain(T::Organization, "org-1", "Acme", None));
    g.add_resource(plain(T::Role, "owner", "Owner", Some(org())));

    for u in 0..users {
        let id = format!("user-{u:06}");
        g.add_resource(user(&id, &format!("{id}@acme.test")));
        g.add_grant(
            &ent("organization:org-1:member"),
            &key(T::User, &id),
            Origin::Direct,
        );
    }
    for u in 0..10 {
        let owner = key(T::User, &format!("user-{u:06}"));
        g.add_grant(&ent("role:owner:assigned"), &owner, Origin::Direct);
    }
    for gi in 0..groups {
        let gid = format!("group-{gi:04}");
        g.add_resource(plain(T::Group, &gid, &gid, Some(org())));
        for m in 0..per_group {
            let u = key(
                T::User,
                &format!("user-{:06}", (gi * per_group + m) % users),
            );
            g.add_grant(&ent(&format!("group:{gid}:member")), &u, Origin::Direct);
        }
    }
    for p in 0..projects {
        let pid = format!("proj-{p:04}");

        g.add_resource(plain(T::Project, &pid, &pid, Some(org())));
        for k in 0..groups_per_project {
            let gk = key(T::Group, &format!("group-{:04}", (p * 7 + k) % groups));
            g.add_grant(&ent(&format!("project:{pid}:member")), &gk, Origin::Direct);
        }
        for d in 0..direct_per_project {
            let u = key(T::User, &format!("user-{:06}", (p * 97 + d * 13) % users));
            g.add_grant(&ent(&format!("project:{pid}:viewer")), &u, Origin::Direct);
        }
    }
    g.finish();
    g
}

/// The grants of the last finished sync in the `.c1z` at `path`, read back through SQLite.
fn grants_in_file(path: &Path) -> usize {
    let raw = std::fs::read(path).expect("read the .c1z");
    assert_eq!(&raw[..5], MAGIC_V1, "v1 magic");
    let db_bytes = zstd::decode_all(&raw[5..]).expect("decompress");
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir");
    let db = dir.path().join("db");
    std::fs::write(&db, db_bytes).expect("write the db");
    let c = Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open the db");
    let sync: String = c
        .query_row(
            "SELECT sync_id FROM v1_sync_runs WHERE ended_at IS NOT NULL ORDER BY ended_at DESC, id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .expect("a finished sync");
    c.query_row(
        "SELECT count(*) FROM v1_grants WHERE sync_id = ?1",
        [&sync],
        |r| r.get::<_, i64>(0),
    )
    .map(|n| usize::try_from(n).expect("non-negative"))
    .expect("count query")
}

fn c1z_write(c: &mut Criterion) {
    // One build and one write, with the figures the test printed, and the file checked whole.
    let t0 = Instant::now();
    let g = large_graph();
    let built = t0.elapsed();
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir");
    let path = dir.path().join("large.c1z");
    let report = write_c1z(&g, &path, &C1zOptions::default()).expect("write");
    eprintln!(
        "large: {} resources, {} entitlements, {} grants ({} with sources); graph built in {:.2?}; \
         c1z written in {:.2?}: db {:.1} MiB -> file {:.1} MiB",
        report.rows.resources,
        report.rows.entitlements,
        report.rows.grants,
        report.rows.grants_with_sources,
        built,
        report.elapsed,
        report.db_bytes as f64 / (1 << 20) as f64,
        report.bytes_written as f64 / (1 << 20) as f64,
    );
    assert_eq!(grants_in_file(&path), g.grant_count());

    let mut group = c.benchmark_group("c1z_1m_grants");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(60));
    group.bench_function("build_graph", |b| b.iter(|| black_box(large_graph())));
    group.bench_function("write", |b| {
        b.iter(|| write_c1z(&g, &path, &C1zOptions::default()).expect("write"))
    });
    group.finish();
}

criterion_group!(benches, c1z_write);
criterion_main!(benches);
