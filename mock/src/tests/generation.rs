//! Generation: presets are deterministic, parse and print, and come out with realistic
//! shapes whose references all resolve.

use super::*;
use openai_access_actors::ids::literal;

#[test]
fn generation_is_deterministic() {
    for preset in [Preset::Tiny, Preset::Small, Preset::Medium] {
        assert_eq!(generate(preset, 7), generate(preset, 7), "{preset}");
    }
    assert_ne!(generate(Preset::Small, 0), generate(Preset::Small, 1));
    assert_ne!(generate(Preset::Medium, 0), generate(Preset::Medium, 1));
}

#[test]
fn presets_parse_and_print() {
    for p in Preset::ALL {
        assert_eq!(p.to_string().parse::<Preset>(), Ok(*p));
    }
    assert!("huge".parse::<Preset>().is_err());
}

#[test]
fn generated_shapes_are_realistic() {
    let org = generate(Preset::Medium, 0);
    let s = org.shape();
    assert_eq!(s.users, 2_000);
    assert_eq!(s.projects, 200);
    assert_eq!(s.groups, 80);
    assert!((3..=8).contains(&s.org_custom_roles));
    assert!(s.archived_projects > 0 && s.archived_projects < 30, "{s:?}");
    assert!(
        org.projects.iter().any(|p| p.users.len() > 100),
        "a project must need paging"
    );
    assert!(org.projects.iter().all(|p| !p.users.is_empty()));
    assert!(
        org.users
            .iter()
            .filter(|u| u.role.as_deref() == Some("owner"))
            .count()
            >= 20
    );
    // Every reference points at something that exists.
    for p in &org.projects {
        for m in &p.users {
            assert!(org.user(&m.user_id).is_some());
        }
        for g in &p.groups {
            assert!(org.group(&g.group_id).is_some());
            assert!(p.role(&g.role_id).is_some());
        }
        for a in &p.user_roles {
            assert!(p.member(&a.user_id).is_some());
        }
    }
    for sa in org.projects.iter().flat_map(|p| &p.service_accounts) {
        let u = org.user(&literal(sa.id.as_str())).unwrap();
        assert!(u.is_service_account());
    }
    let inactive = org
        .projects
        .iter()
        .flat_map(|p| &p.api_keys)
        .filter(|k| k.owner_project_access == "inactive")
        .count();
    assert!(inactive > 0);
}

/// Not a test: `cargo test --release -p openai-access-mock -- --ignored
/// --nocapture large_generation_cost` prints how long `large` takes and what it holds.
#[test]
#[ignore]
fn large_generation_cost() {
    let rss = || {
        std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            })
            .unwrap_or(0)
    };
    let before = rss();
    let t = std::time::Instant::now();
    let org = generate(Preset::Large, 0);
    let took = t.elapsed();
    let after = rss();
    eprintln!(
        "large: {took:?}, RSS +{} KiB, shape {}",
        after.saturating_sub(before),
        serde_json::to_string(&org.shape()).unwrap()
    );
    for p in Preset::ALL {
        eprintln!(
            "{p}: {}",
            serde_json::to_string(&generate(*p, 0).shape()).unwrap()
        );
    }
}
