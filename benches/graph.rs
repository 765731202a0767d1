//! Graph assembly and expansion, JSON writing and page decoding (criterion).
//!
//! `cargo bench --bench graph`

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use openai_access_actors::api::models::User;
use openai_access_actors::api::{PageStyle, RawPage};
use openai_access_actors::graph::{
    AccountType, EntitlementId, GrantGraph, Origin, Resource, ResourceId, ResourceKey,
    ResourceType, Slug, Traits, UserStatus,
};
use openai_access_actors::ids::literal;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

fn resource(rt: ResourceType, id: String, parent: Option<ResourceKey>) -> Resource {
    let traits = match rt {
        ResourceType::User => Traits::User {
            emails: vec![format!("{id}@example.com")],
            status: UserStatus::Enabled,
            account_type: AccountType::Human,
            login: None,
            last_activity: None,
        },
        ResourceType::Group | ResourceType::Project => Traits::Group,
        _ => Traits::Role,
    };
    Resource {
        resource_type: rt,
        display_name: id.clone(),
        id: rid(&id),
        parent,
        description: String::new(),
        profile: BTreeMap::new(),
        traits,
    }
}

/// One observed grant: entitlement, principal, origin.
type Fact = (EntitlementId, ResourceKey, Origin);

fn rid(id: &str) -> ResourceId {
    id.parse().expect("a bench id is safe")
}

/// An org whose direct grants plus expansion come to roughly `target` grants: users in
/// projects and groups, groups granted into projects, a few owners.
fn facts(target: usize) -> (Vec<Resource>, Vec<Fact>) {
    let users = (target / 10).max(10);
    let projects = (users / 100).max(2);
    let groups = (users / 50).max(1);
    let mut res = Vec::new();
    let mut grants = Vec::new();
    for u in 0..users {
        res.push(resource(ResourceType::User, format!("user-{u:07}"), None));
    }
    for p in 0..projects {
        res.push(resource(
            ResourceType::Project,
            format!("proj-{p:06}"),
            None,
        ));
    }
    for g in 0..groups {
        res.push(resource(ResourceType::Group, format!("grp-{g:05}"), None));
    }
    let user = |u: usize| ResourceKey::new(ResourceType::User, rid(&format!("user-{u:07}")));
    for u in 0..users {
        // Every user: a role, membership of one group, five projects.
        let role = if u % 1000 == 0 { "owner" } else { "reader" };
        let rk = ResourceKey::new(ResourceType::Role, rid(role));
        grants.push((rk.entitlement(Slug::Assigned), user(u), Origin::Direct));
        let g = ResourceKey::new(ResourceType::Group, rid(&format!("grp-{:05}", u % groups)));
        grants.push((g.entitlement(Slug::Member), user(u), Origin::Direct));
        for k in 0..5 {
            let p = ResourceKey::new(
                ResourceType::Project,
                rid(&format!("proj-{:06}", (u * 7 + k) % projects)),
            );
            grants.push((p.entitlement(Slug::Member), user(u), Origin::Direct));
        }
    }
    for g in 0..groups {
        let p = ResourceKey::new(
            ResourceType::Project,
            rid(&format!("proj-{:06}", g % projects)),
        );
        let gk = ResourceKey::new(ResourceType::Group, rid(&format!("grp-{g:05}")));
        grants.push((p.entitlement(Slug::Viewer), gk, Origin::Direct));
    }
    (res, grants)
}

fn build(res: &[Resource], grants: &[Fact]) -> GrantGraph {
    let mut g = GrantGraph::new("org-bench");
    for r in res {
        g.add_resource(r.clone());
    }
    for (e, p, o) in grants {
        g.add_grant(e, p, o.clone());
    }
    g.finish_org(&literal("org-bench"));
    g
}

fn assembly(c: &mut Criterion) {
    let mut group = c.benchmark_group("graph_assembly_and_expansion");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    for target in [10_000usize, 100_000, 1_000_000] {
        let (res, grants) = facts(target);
        let total = build(&res, &grants).grant_count();
        group.throughput(Throughput::Elements(total as u64));
        group.bench_with_input(BenchmarkId::from_parameter(total), &total, |b, _| {
            b.iter(|| black_box(build(&res, &grants)))
        });
    }
    group.finish();
}

fn json_output(c: &mut Criterion) {
    let (res, grants) = facts(100_000);
    let graph = build(&res, &grants);
    let mut group = c.benchmark_group("json_output");
    group.sample_size(10);
    group.throughput(Throughput::Elements(graph.grant_count() as u64));
    group.bench_function("grants_sorted_and_serialised", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(64 << 20);
            serde_json::to_writer_pretty(&mut out, &graph.grants_sorted()).expect("serialise");
            black_box(out.len())
        })
    });
    group.finish();
}

fn page_decoding(c: &mut Criterion) {
    let users: Vec<serde_json::Value> = (0..100)
        .map(|i| serde_json::json!({"object":"organization.user","id":format!("user-{i:05}"),"name":format!("User {i}"),"email":format!("u{i}@example.com"),"role":"reader","added_at":1_700_000_000,"is_service_account":false,"extra_field":{"ignored":true}}))
        .collect();
    let body = serde_json::to_vec(&serde_json::json!({"object":"list","data":users,"first_id":"user-00000","last_id":"user-00099","has_more":true})).expect("body");
    let mut group = c.benchmark_group("page_decoding");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("page_a_100_users", |b| {
        b.iter(|| {
            let raw: RawPage<User> = serde_json::from_slice(black_box(&body)).expect("decode");
            black_box(raw.normalise(PageStyle::A).expect("page").items.len())
        })
    });
    group.finish();
}

criterion_group!(benches, assembly, json_output, page_decoding);
criterion_main!(benches);
