//! The answers of a review: what a principal can access and why, who can access a resource
//! and how, and the chain behind one grant. Data only (serialisable as they are for `--json`).

use super::{ReviewError, Snapshot, email_of, profile_str};
use crate::graph::{EntitlementId, Grant, Resource, ResourceKey, ResourceType, Slug, Traits};
use serde::Serialize;

/// A resource as a person reads it: its key, its name and, for people, an email.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Named {
    pub key: ResourceKey,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// One reason a principal holds a grant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Path {
    /// Assigned to the principal itself.
    Direct,
    /// Held by a group the principal is a member of.
    Group { group: Named },
    /// An org owner's implicit ownership of every project (the API cannot change it).
    OrgOwner,
    /// Any other entitlement the grant is inherited through.
    Via { entitlement: String },
    /// Carried by a pending invitation: held once it is accepted.
    Invitation { status: String },
}

/// One grant as an access answer shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Held {
    /// The grant id (`<entitlement>:<principal type>:<principal id>`).
    pub grant: String,
    pub resource: Named,
    pub entitlement: String,
    /// The entitlement's display name (e.g. "Alpha owner").
    pub entitlement_name: String,
    pub paths: Vec<Path>,
    pub immutable: bool,
}

/// An API key (project or admin) with its owner and dates.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KeyInfo {
    pub key: Named,
    /// The project a project key belongs to (the organization for an admin key).
    pub scope: Option<ResourceKey>,
    /// The user or service account the key acts as, when the API names one.
    pub owner: Option<Named>,
    pub created_at: Option<i64>,
    /// `None`: never used (or the API does not say).
    pub last_used_at: Option<i64>,
    /// Its use in the usage window, when the sync read the Usage API.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_use: Option<ApiUse>,
}

/// Use of the API over the usage window (Usage API), by a key, a user, a service account (its
/// keys) or in a project.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ApiUse {
    /// The start of the last day with requests; `None`: none in the window.
    pub last_used_at: Option<i64>,
    pub requests: u64,
    pub window_days: u32,
}

/// What a principal can access and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Access {
    pub principal: Named,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_use: Option<ApiUse>,
    pub grants: Vec<Held>,
    pub api_keys: Vec<KeyInfo>,
    /// For a user: invitations to the same email that are still pending.
    pub pending_invites: Vec<Named>,
}

/// Everyone holding one entitlement on a resource.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RoleHolders {
    pub entitlement: String,
    pub entitlement_name: String,
    pub holders: Vec<Holder>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Holder {
    pub principal: Named,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_use: Option<ApiUse>,
    pub paths: Vec<Path>,
    pub immutable: bool,
}

/// Who can access a resource, by entitlement.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Who {
    pub resource: Named,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_use: Option<ApiUse>,
    pub roles: Vec<RoleHolders>,
}

/// The chain behind one grant: each reason, and the grant that reason rests on.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Explanation {
    pub grant: String,
    pub principal: Named,
    pub resource: Named,
    pub entitlement_name: String,
    pub immutable: bool,
    pub because: Vec<Reason>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Reason {
    pub path: Path,
    /// The grant the reason rests on (the principal's membership of the group, its org
    /// owner role), explained in turn.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rests_on: Option<Box<Explanation>>,
}

/// How deep `explain` follows reasons (a group in a group in …): the API has no nesting, so
/// two levels are the most a real graph needs; the bound only guards against a bad file.
const MAX_DEPTH: usize = 8;

impl Snapshot {
    /// A resource's name and email; a key the sync never saw is named by its id.
    pub fn named(&self, key: &ResourceKey) -> Named {
        match self.resource(key) {
            Some(r) => named(r),
            None => Named {
                key: key.clone(),
                name: key.id.as_str().to_owned(),
                email: None,
            },
        }
    }

    fn entitlement_name(&self, id: &EntitlementId) -> String {
        let text = id.to_string();
        self.entitlement(&text)
            .map_or(text, |e| e.display_name.clone())
    }

    /// Each reason `g` is held for.
    pub fn paths(&self, g: &Grant) -> Vec<Path> {
        let mut paths = Vec::new();
        if g.direct {
            paths.push(Path::Direct);
        }
        for s in &g.sources {
            paths.push(if *s == EntitlementId::org_owner() {
                Path::OrgOwner
            } else if s.resource.resource_type == ResourceType::Group && s.slug == Slug::Member {
                Path::Group {
                    group: self.named(&s.resource),
                }
            } else {
                Path::Via {
                    entitlement: s.to_string(),
                }
            });
        }
        paths
    }

    fn held(&self, g: &Grant) -> Held {
        Held {
            grant: g.id_text().to_string(),
            resource: self.named(&g.resource),
            entitlement: g.entitlement.to_string(),
            entitlement_name: self.entitlement_name(&g.entitlement),
            paths: self.paths(g),
            immutable: g.immutable,
        }
    }

    /// What `principal` can access and why; for an invitation, what it will grant once
    /// accepted.
    pub fn access(&self, principal: &ResourceKey) -> Result<Access, ReviewError> {
        let who = self
            .resource(principal)
            .ok_or_else(|| ReviewError::NotFound {
                kind: principal.resource_type.as_str(),
                query: principal.id.as_str().to_owned(),
            })?;
        let grants = if principal.resource_type == ResourceType::Invite {
            self.latent_grants(who)
        } else {
            self.grants_of(principal).map(|g| self.held(g)).collect()
        };
        let api_keys: Vec<KeyInfo> = self
            .keys_of(principal)
            .filter_map(|k| self.key_info(k))
            .collect();
        let pending_invites = match (principal.resource_type, email_of(who)) {
            (ResourceType::User, Some(email)) => self
                .pending_invites_to(email)
                .filter_map(|k| self.resource(k))
                .map(named)
                .collect(),
            _ => Vec::new(),
        };
        Ok(Access {
            api_use: self.api_use_of(&who.key()),
            principal: named(who),
            grants,
            api_keys,
            pending_invites,
        })
    }

    /// What the usage read says of `key` (a key, user, service account or project), with the
    /// window's length; `None` when the sync did not read usage.
    pub fn api_use_of(&self, key: &ResourceKey) -> Option<ApiUse> {
        let (last_used_at, requests) = super::api_use(self.resource(key)?)?;
        Some(ApiUse {
            last_used_at,
            requests,
            window_days: self.usage_window_days()?,
        })
    }

    /// The usage window's length, when the sync read usage.
    pub fn usage_window_days(&self) -> Option<u32> {
        let org = self.resources_of(ResourceType::Organization);
        let days = org
            .first()?
            .profile
            .get(crate::graph::usage::WINDOW_DAYS)?
            .as_u64()?;
        u32::try_from(days).ok()
    }

    /// Every API key, project keys then admin keys, each sorted by id.
    pub fn api_keys(&self) -> Vec<KeyInfo> {
        [ResourceType::ApiKey, ResourceType::AdminApiKey]
            .into_iter()
            .flat_map(|t| self.resources_of(t))
            .filter_map(|k| self.key_info(k))
            .collect()
    }

    fn key_info(&self, k: &Resource) -> Option<KeyInfo> {
        match &k.traits {
            Traits::Secret {
                identity,
                created_at,
                last_used_at,
                ..
            } => Some(KeyInfo {
                key: named(k),
                scope: k.parent.clone(),
                owner: identity.as_ref().map(|o| self.named(o)),
                created_at: *created_at,
                last_used_at: *last_used_at,
                api_use: self.api_use_of(&k.key()),
            }),
            _ => None,
        }
    }

    /// The grants an invitation carries: org membership, its org role and its project roles,
    /// held by whoever accepts it. Sorted by entitlement id.
    pub fn latent_grants(&self, invite: &Resource) -> Vec<Held> {
        let status = profile_str(invite, "status")
            .unwrap_or("unknown")
            .to_owned();
        let path = || {
            vec![Path::Invitation {
                status: status.clone(),
            }]
        };
        let grant_id = |e: &EntitlementId| format!("{e}:{}", invite.key());
        let mut out = Vec::new();
        let mut add = |e: EntitlementId| {
            out.push(Held {
                grant: grant_id(&e),
                resource: self.named(&e.resource),
                entitlement: e.to_string(),
                entitlement_name: self.entitlement_name(&e),
                paths: path(),
                immutable: false,
            });
        };
        if let Ok(org) = self.org_id.parse() {
            add(ResourceKey::new(ResourceType::Organization, org).entitlement(Slug::Member));
        }
        if let Some(role) = profile_str(invite, "role").and_then(|r| r.parse().ok()) {
            add(ResourceKey::new(ResourceType::Role, role).entitlement(Slug::Assigned));
        }
        for (project, role) in profile_str(invite, "projects")
            .unwrap_or_default()
            .split(',')
            .filter_map(|p| p.split_once(':'))
        {
            let (Ok(project), Some(slug)) = (project.parse(), Slug::parse(role)) else {
                continue;
            };
            add(ResourceKey::new(ResourceType::Project, project).entitlement(slug));
        }
        out.sort_by(|a, b| a.entitlement.cmp(&b.entitlement));
        out
    }

    /// Who can access `resource` ([`Snapshot::grants_giving_access_to`]: its entitlements and
    /// those of the roles scoped to it), grouped by entitlement in id order.
    pub fn who(&self, resource: &ResourceKey) -> Result<Who, ReviewError> {
        let r = self
            .resource(resource)
            .ok_or_else(|| ReviewError::NotFound {
                kind: resource.resource_type.as_str(),
                query: resource.id.as_str().to_owned(),
            })?;
        let mut roles: Vec<RoleHolders> = Vec::new();
        for g in self.grants_giving_access_to(resource) {
            let id = g.entitlement.to_string();
            if roles.last().is_none_or(|last| last.entitlement != id) {
                roles.push(RoleHolders {
                    entitlement_name: self.entitlement_name(&g.entitlement),
                    entitlement: id,
                    holders: Vec::new(),
                });
            }
            if let Some(last) = roles.last_mut() {
                last.holders.push(Holder {
                    principal: self.named(&g.principal),
                    api_use: self.api_use_of(&g.principal),
                    paths: self.paths(g),
                    immutable: g.immutable,
                });
            }
        }
        Ok(Who {
            api_use: self.api_use_of(&r.key()),
            resource: named(r),
            roles,
        })
    }

    /// The chain behind the grant with this id.
    pub fn explain(&self, grant_id: &str) -> Result<Explanation, ReviewError> {
        let not_found = || ReviewError::NotFound {
            kind: "grant",
            query: grant_id.to_owned(),
        };
        let id: crate::graph::GrantId = grant_id.parse().map_err(|_| not_found())?;
        let g = self
            .grant(&id.entitlement.to_string(), &id.principal)
            .ok_or_else(not_found)?;
        Ok(self.explain_grant(g, 0))
    }

    fn explain_grant(&self, g: &Grant, depth: usize) -> Explanation {
        let because = self
            .paths(g)
            .into_iter()
            .zip(
                std::iter::once(None)
                    .take(usize::from(g.direct))
                    .chain(g.sources.iter().map(Some)),
            )
            .map(|(path, source)| Reason {
                rests_on: source
                    .filter(|_| depth < MAX_DEPTH)
                    .and_then(|s| self.grant(&s.to_string(), &g.principal))
                    .map(|under| Box::new(self.explain_grant(under, depth + 1))),
                path,
            })
            .collect();
        Explanation {
            grant: g.id_text().to_string(),
            principal: self.named(&g.principal),
            resource: self.named(&g.resource),
            entitlement_name: self.entitlement_name(&g.entitlement),
            immutable: g.immutable,
            because,
        }
    }
}

fn named(r: &Resource) -> Named {
    Named {
        key: r.key(),
        name: r.display_name.clone(),
        email: email_of(r).map(str::to_owned),
    }
}

/// One reason in words, as every table shows it.
pub fn path_text(p: &Path) -> String {
    match p {
        Path::Direct => "direct".to_owned(),
        Path::Group { group } if group.name != group.key.id.as_str() => {
            format!("via group {} ({})", group.key.id, group.name)
        }
        Path::Group { group } => format!("via group {}", group.key.id),
        Path::OrgOwner => "as org owner (implicit)".to_owned(),
        Path::Via { entitlement } => format!("via {entitlement}"),
        Path::Invitation { status } => format!("once the invitation is accepted ({status})"),
    }
}
