//! `small`, `medium` and `large`: orgs drawn from a seed with realistic proportions.

use super::super::config::Preset;
use super::super::rng::SplitMix64;
use super::super::state::{
    Assigned, GroupState, KeyOwner, Member, ORG_RESOURCE, Org, PROJECT_RESOURCE, ProjectGroupGrant,
    ProjectMember, UserRole, predefined_org_roles, project_role_id,
};
use super::build::*;
use super::{DAY, T0};
use openai_access_actors::api::models::InviteProject;
use openai_access_actors::ids::RoleId;

const FIRST: &[&str] = &[
    "Ada", "Ben", "Chloe", "Dan", "Eva", "Finn", "Gia", "Hugo", "Ines", "Jon", "Kira", "Liam",
    "Maya", "Noah", "Olga", "Paul", "Quinn", "Rosa", "Sam", "Tara", "Uma", "Victor", "Wen", "Yara",
];
const LAST: &[&str] = &[
    "Adams", "Baker", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hansen", "Ito", "Jones",
    "Kim", "Lopez", "Moreau", "Nakamura", "Olsen", "Patel", "Rossi", "Singh", "Tanaka", "Weber",
];
const ORG_ROLE_NAMES: &[&str] = &[
    "Billing Admin",
    "Auditor",
    "Security Reviewer",
    "Support Agent",
    "Data Steward",
    "Model Trainer",
    "Finance Viewer",
    "Compliance Officer",
];
const PROJECT_ROLE_NAMES: &[&str] = &[
    "Deployer",
    "Analyst",
    "Fine-tuner",
    "Key Manager",
    "Evaluator",
];
const TEAMS: &[&str] = &[
    "Platform", "Data", "Research", "Growth", "Support", "Security", "Finance", "Mobile", "Web",
    "Infra", "ML Ops", "Sales",
];
const ID_CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

pub(super) struct Gen {
    rng: SplitMix64,
    n_users: usize,
    n_projects: usize,
    org: Org,
    /// Positions in `org.users` of the human users.
    humans: usize,
}

impl Gen {
    pub(super) fn new(preset: Preset, seed: u64, n_users: usize, n_projects: usize) -> Gen {
        // Mix the preset in so `small` and `medium` with the same seed do not share a stream.
        let rng = SplitMix64::new(seed ^ (preset as u64 + 1).wrapping_mul(0xA076_1D64_78BD_642F));
        let org_id = format!("org-{preset}-{seed}");
        Gen {
            rng,
            n_users,
            n_projects,
            org: Org {
                org_roles: predefined_org_roles(&org_id).to_vec(),
                org_id,
                users: Vec::with_capacity(n_users + n_projects * 2),
                invites: Vec::new(),
                groups: Vec::new(),
                user_roles: Vec::new(),
                projects: Vec::with_capacity(n_projects),
                admin_keys: Vec::new(),
            },
            humans: 0,
        }
    }

    /// `prefix` + 20 random lowercase alphanumerics: opaque, unordered, like the real ids.
    fn id(&mut self, prefix: &str) -> String {
        let mut s = String::with_capacity(prefix.len() + 20);
        s.push_str(prefix);
        let mut bits = self.rng.next_u64();
        for i in 0..20 {
            if i == 10 {
                bits = self.rng.next_u64();
            }
            s.push(ID_CHARS[(bits % 36) as usize] as char);
            bits /= 36;
        }
        s
    }

    /// `k` distinct positions out of `0..n`, in draw order.
    fn sample(&mut self, n: usize, k: usize) -> Vec<usize> {
        let k = k.min(n);
        let mut out: Vec<usize> = Vec::with_capacity(k);
        // Rejection is cheap while k is far below n; fall back to a partial shuffle otherwise.
        if k * 4 <= n {
            while out.len() < k {
                let i = self.rng.below(n);
                if !out.contains(&i) {
                    out.push(i);
                }
            }
        } else {
            let mut all: Vec<usize> = (0..n).collect();
            for i in 0..k {
                let j = i + self.rng.below(n - i);
                all.swap(i, j);
            }
            all.truncate(k);
            out = all;
        }
        out
    }

    pub(super) fn run(mut self) -> Org {
        self.users();
        self.org_roles();
        self.groups();
        self.projects();
        self.invites();
        self.admin_keys();
        self.org
    }

    /// One admin key for each of the first three owners (the first is the connector's).
    fn admin_keys(&mut self) {
        let owners: Vec<(String, String, i64)> = self
            .org
            .users
            .iter()
            .filter(|u| u.role.as_deref() == Some("owner") && !u.is_service_account())
            .take(3)
            .map(|u| {
                let name = u.name.clone().unwrap_or_else(|| u.id.to_string());
                (u.id.to_string(), name, u.added_at.unwrap_or(0))
            })
            .collect();
        for (i, (id, name, at)) in owners.into_iter().enumerate() {
            let key = super::build::admin_key(
                &format!("key_admin_{i:04}"),
                &format!("{name}'s admin key"),
                &id,
                &name,
                at,
            );
            self.org.admin_keys.push(key);
        }
    }

    fn users(&mut self) {
        for i in 0..self.n_users {
            let id = self.id("user-");
            let first = *self.rng.pick(FIRST);
            let last = *self.rng.pick(LAST);
            // ~2 owners per 100 users, and always at least one.
            let role = if i == 0 || self.rng.chance(0.02) {
                "owner"
            } else {
                "reader"
            };
            let mut u = user(&id, None, None, role, T0 + i as i64 * 3_600);
            // A few nameless accounts (the nullable trap) and SCIM-provisioned users.
            if !self.rng.chance(0.01) {
                u.name = Some(format!("{first} {last}"));
            }
            u.email = Some(format!(
                "{}.{}{i}@example.com",
                first.to_lowercase(),
                last.to_lowercase()
            ));
            u.is_scim_managed = Some(self.rng.chance(0.3));
            u.api_key_last_used_at = self.rng.chance(0.4).then(|| T0 + 400 * DAY + i as i64);
            self.org.users.push(u);
        }
        self.humans = self.org.users.len();
    }

    fn org_roles(&mut self) {
        let n = self.rng.range(3, 8);
        for name in ORG_ROLE_NAMES.iter().take(n) {
            let id = self.id("role_");
            let perm = format!(
                "api.organization.{}.read",
                name.to_lowercase().replace(' ', "_")
            );
            self.org
                .org_roles
                .push(custom_role(&id, name, ORG_RESOURCE, &[&perm]));
        }
        // ~3% of users hold a custom org role directly.
        let custom: Vec<RoleId> = self.custom_org_roles();
        for i in 0..self.humans {
            if self.rng.chance(0.03) {
                let role = self.rng.pick(&custom).clone();
                self.org.user_roles.push(UserRole {
                    user_id: self.org.users[i].id.clone(),
                    role_id: role,
                    created_at: T0 + 200 * DAY + i as i64,
                });
            }
        }
    }

    fn custom_org_roles(&self) -> Vec<RoleId> {
        self.org
            .org_roles
            .iter()
            .filter(|r| !r.predefined_role)
            .map(|r| r.id.clone())
            .collect()
    }

    fn groups(&mut self) {
        let n = (self.humans / 25).max(1);
        let custom = self.custom_org_roles();
        for gi in 0..n {
            let id = self.id("group_");
            let team = *self.rng.pick(TEAMS);
            let kind = if self.rng.chance(0.05) {
                "tenant_group"
            } else {
                "group"
            };
            let at = T0 + 30 * DAY + gi as i64 * 600;
            let size = self.rng.range(5, 60);
            let picks = self.sample(self.humans, size);
            let members = picks
                .into_iter()
                .enumerate()
                .map(|(k, u)| Member {
                    user_id: self.org.users[u].id.clone(),
                    added_at: at + k as i64 * 60,
                })
                .collect();
            let mut roles = Vec::new();
            // Some groups carry a custom org role, a rare one the predefined reader role.
            if gi == 0 || self.rng.chance(0.2) {
                roles.push(Assigned {
                    role_id: self.rng.pick(&custom).clone(),
                    created_at: at + DAY,
                });
            }
            if self.rng.chance(0.02) {
                roles.push(Assigned {
                    role_id: self.org.org_roles[1].id.clone(),
                    created_at: at + DAY,
                });
            }
            self.org.groups.push(GroupState {
                group: group(&id, &format!("{team} {gi}"), kind, self.rng.chance(0.3), at),
                members,
                roles,
            });
        }
    }

    /// `count` distinct flags out of `n`, never the first (so small orgs keep proportions
    /// exact instead of at the mercy of a coin: 5% of 10 projects is one archived, not three).
    fn flags(&mut self, n: usize, count: usize) -> Vec<bool> {
        let mut flags = vec![false; n];
        for i in self.sample(n.saturating_sub(1), count) {
            flags[i + 1] = true;
        }
        flags
    }

    fn projects(&mut self) {
        let n = self.n_projects;
        let archived_flags = self.flags(n, (n / 20).max(1));
        let custom_flags = self.flags(n, (n / 5).max(1));
        for pi in 0..n {
            let id = self.id("proj_");
            let at = T0 + 10 * DAY + pi as i64 * 3_600;
            let archived = archived_flags[pi].then_some(at + 100 * DAY);
            let team = *self.rng.pick(TEAMS);
            let mut p = project(&id, &format!("{team} project {pi}"), at, archived);

            // Members: 3–40 usually, a few big projects so paging matters.
            let size = if self.rng.chance(0.03) {
                self.rng.range(101, 180)
            } else {
                self.rng.range(3, 40)
            };
            let picks = self.sample(self.humans, size);
            for (k, u) in picks.into_iter().enumerate() {
                let role = if k == 0 {
                    "owner"
                } else {
                    match self.rng.below(20) {
                        0..=1 => "owner",
                        2..=4 => "viewer",
                        _ => "member",
                    }
                };
                p.users.push(ProjectMember {
                    user_id: self.org.users[u].id.clone(),
                    role: role.into(),
                    added_at: at + k as i64 * 60,
                });
            }

            // ~20% of projects have 1–3 custom roles, held directly by ~10% of their members.
            if custom_flags[pi] {
                let n = self.rng.range(1, 3);
                for name in PROJECT_ROLE_NAMES.iter().take(n) {
                    let rid = self.id("role_");
                    let perm = format!(
                        "api.project.{}.write",
                        name.to_lowercase().replace(' ', "_")
                    );
                    p.roles
                        .push(custom_role(&rid, name, PROJECT_RESOURCE, &[&perm]));
                }
                for k in 0..p.users.len() {
                    // At least one holder per project with custom roles.
                    if k == 1 || self.rng.chance(0.1) {
                        let role = self.rng.pick(&p.roles).id.clone();
                        p.user_roles.push(UserRole {
                            user_id: p.users[k].user_id.clone(),
                            role_id: role,
                            created_at: at + DAY,
                        });
                    }
                }
            }

            // 0–3 service accounts with mixed roles; each is also an org user.
            let n_sa = self.rng.range(0, 3);
            for k in 0..n_sa {
                let sid = self.id("svc_acct_");
                let role = *self.rng.pick(&["owner", "member", "member", "none"]);
                let name = format!("{team} bot {k}");
                let sat = at + 2 * DAY + k as i64 * 60;
                p.service_accounts
                    .push(service_account(&sid, &name, role, sat));
                self.org.users.push(sa_user(&sid, &name, sat));
            }

            // 1–4 keys: some service-account owned, some inactive, some never used.
            let n_keys = self.rng.range(1, 4);
            for k in 0..n_keys {
                let kid = self.id("key_");
                let owner = if !p.service_accounts.is_empty() && self.rng.chance(0.3) {
                    KeyOwner::ServiceAccount(self.rng.pick(&p.service_accounts).id.clone())
                } else {
                    KeyOwner::User(self.rng.pick(&p.users).user_id.clone())
                };
                let active = !self.rng.chance(0.15);
                let kat = at + 3 * DAY + k as i64 * 60;
                let used = (!self.rng.chance(0.2)).then_some(kat + 30 * DAY);
                p.api_keys.push(key(&kid, owner, active, kat, used));
            }

            // 0–3 project groups, mostly with a predefined role, some with a custom one.
            let n_groups = self.rng.range(0, 3);
            let picks = self.sample(self.org.groups.len(), n_groups);
            for (k, g) in picks.into_iter().enumerate() {
                let gat = at + 4 * DAY + k as i64 * 60;
                let role_id = if !p.roles.is_empty() && self.rng.chance(0.3) {
                    self.rng.pick(&p.roles).id.clone()
                } else if self.rng.chance(0.15) {
                    project_role_id("viewer", &id)
                } else {
                    project_role_id("member", &id)
                };
                let mut roles = Vec::new();
                if !p.roles.is_empty() && self.rng.chance(0.3) {
                    let extra = self.rng.pick(&p.roles).id.clone();
                    if extra != role_id {
                        roles.push(Assigned {
                            role_id: extra,
                            created_at: gat + DAY,
                        });
                    }
                }
                p.groups.push(ProjectGroupGrant {
                    group_id: self.org.groups[g].group.id.clone(),
                    role_id,
                    created_at: gat,
                    roles,
                });
            }
            self.org.projects.push(p);
        }
    }

    fn invites(&mut self) {
        // ~5% of the user count pending, plus some expired and accepted ones.
        let pending = (self.humans / 20).max(1);
        let expired = (self.humans / 100).max(1);
        let accepted = (self.humans / 100).max(1);
        let active: Vec<usize> = (0..self.org.projects.len())
            .filter(|&i| !self.org.projects[i].is_archived())
            .collect();
        for i in 0..pending + expired + accepted {
            let id = self.id("invite-");
            let at = T0 + 300 * DAY + i as i64 * 600;
            let (status, email) = if i < pending {
                ("pending", format!("invitee{i}@example.com"))
            } else if i < pending + expired {
                ("expired", format!("lapsed{i}@example.com"))
            } else {
                // Accepted invites point at someone who is now a user.
                let u = self.rng.below(self.humans);
                let email = self.org.users[u].email.clone().unwrap_or_default();
                ("accepted", email)
            };
            let role = if self.rng.chance(0.05) {
                "owner"
            } else {
                "reader"
            };
            let mut projects = Vec::new();
            if self.rng.chance(0.5) && !active.is_empty() {
                let p = *self.rng.pick(&active);
                projects.push(InviteProject {
                    id: self.org.projects[p].project.id.clone(),
                    role: Some(
                        if self.rng.chance(0.1) {
                            "owner"
                        } else {
                            "member"
                        }
                        .into(),
                    ),
                });
            }
            self.org
                .invites
                .push(invite(&id, &email, role, status, at, projects));
        }
    }
}
