//! The grant graph: pure data, merge and expansion, no I/O. Owned by `GrantCollector` while a
//! sync runs, then handed to the caller as a finished [`GrantGraph`].
//!
//! Grants dominate (a large org has about a million, most of them derived), so they are
//! stored compactly: entitlement ids and resource keys are interned once, and a grant is two
//! 32-bit indices plus its provenance. [`Grant`] is the owned view the outputs read, built one
//! at a time as they stream.

mod expand;
mod finish;
mod intern;
mod model;
pub mod usage;

pub use expand::FinishReport;
pub use model::*;

use intern::Interner;
use serde::ser::{Serialize, SerializeSeq, Serializer};
// Fx hashing: the keys are our own small integers and ids; no untrusted-collision concern
// worth SipHash's cost on a million-grant graph.
use rustc_hash::FxHashMap as HashMap;

/// Why a principal holds a grant.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Assigned to the principal itself.
    Direct,
    /// Inherited through another entitlement (e.g. `group:g:member`), mutable or not.
    Via {
        entitlement: EntitlementId,
        immutable: bool,
    },
}

type EntIdx = u32;
type KeyIdx = u32;

/// Provenance of one stored grant.
#[derive(Clone, Debug)]
struct Held {
    resource: KeyIdx,
    direct: bool,
    immutable: bool,
    /// The membership entitlement whose holders also receive this grant (group-held grants).
    expandable: Option<EntIdx>,
    /// Entitlements the grant is inherited through; usually none or one.
    sources: Sources,
}

/// The entitlements a grant is inherited through. Nearly always none or one, so the first is
/// kept inline and only a grant with several allocates: 16 bytes instead of a `Vec`'s 24 and
/// one allocation fewer per inherited grant (most of a large org's million).
#[derive(Clone, Debug, Default)]
struct Sources {
    first: Option<EntIdx>,
    #[expect(
        clippy::box_collection,
        reason = "a thin pointer: 8 bytes in every grant where a Vec or a boxed slice takes 16-24"
    )]
    rest: Option<Box<Vec<EntIdx>>>,
}

impl Sources {
    fn iter(&self) -> impl Iterator<Item = EntIdx> + '_ {
        self.first
            .into_iter()
            .chain(self.rest.iter().flat_map(|r| r.iter().copied()))
    }

    /// Adds `e` unless it is there already.
    fn insert(&mut self, e: EntIdx) {
        match (self.first, &mut self.rest) {
            (None, _) => self.first = Some(e),
            (Some(f), _) if f == e => {}
            (Some(_), Some(rest)) => {
                if !rest.contains(&e) {
                    rest.push(e);
                }
            }
            (Some(_), rest @ None) => *rest = Some(Box::new(vec![e])),
        }
    }
}

/// Resources, entitlements and grants, deduplicated by Baton id.
#[derive(Clone, Debug, Default)]
pub struct GrantGraph {
    /// The organization's resource id.
    pub org_id: String,
    resources: HashMap<ResourceKey, Resource>,
    entitlements: HashMap<EntitlementId, Entitlement>,
    ents: Interner<EntitlementId>,
    keys: Interner<ResourceKey>,
    grants: HashMap<(EntIdx, KeyIdx), Held>,
    /// The resource of each interned entitlement, by index (`NO_KEY` until `add_grant` needs
    /// it): a grant then hashes two ids, not three.
    ent_resource: Vec<KeyIdx>,
}

const NO_KEY: KeyIdx = KeyIdx::MAX;

impl GrantGraph {
    pub fn new(org_id: impl Into<String>) -> Self {
        Self {
            org_id: org_id.into(),
            ..Self::default()
        }
    }

    /// Adds (or replaces) a resource together with the entitlements its type offers.
    pub fn add_resource(&mut self, resource: Resource) {
        let key = resource.key();
        for &slug in resource.resource_type.slugs() {
            let id = key.entitlement(slug);
            if let std::collections::hash_map::Entry::Vacant(v) = self.entitlements.entry(id) {
                let ent = entitlement_for(&resource, slug, v.key().clone());
                v.insert(ent);
            }
        }
        self.resources.insert(key, resource);
    }

    /// Records that `principal` holds `entitlement` for `origin`; merges with what is already
    /// known about the same grant.
    pub fn add_grant(
        &mut self,
        entitlement: &EntitlementId,
        principal: &ResourceKey,
        origin: Origin,
    ) {
        let e = self.ents.intern(entitlement);
        let p = self.keys.intern(principal);
        let r = match self.ent_resource.get(e as usize) {
            Some(&r) if r != NO_KEY => r,
            _ => {
                let r = self.keys.intern(&entitlement.resource);
                if self.ent_resource.len() <= e as usize {
                    self.ent_resource.resize(e as usize + 1, NO_KEY);
                }
                if let Some(slot) = self.ent_resource.get_mut(e as usize) {
                    *slot = r;
                }
                r
            }
        };
        self.add_grant_idx(e, r, p, origin);
    }

    fn add_grant_idx(&mut self, e: EntIdx, r: KeyIdx, p: KeyIdx, origin: Origin) {
        let origin = match origin {
            Origin::Direct => None,
            Origin::Via {
                entitlement,
                immutable,
            } => Some((self.ents.intern(&entitlement), immutable)),
        };
        let held = self.grants.entry((e, p)).or_insert_with(|| Held {
            resource: r,
            direct: false,
            immutable: true,
            expandable: None,
            sources: Sources::default(),
        });
        merge(held, origin);
    }

    pub fn resource(&self, key: &ResourceKey) -> Option<&Resource> {
        self.resources.get(key)
    }

    pub fn entitlement(&self, id: &EntitlementId) -> Option<&Entitlement> {
        self.entitlements.get(id)
    }

    /// The grant with this Baton id.
    pub fn grant_by_id(&self, id: &GrantId) -> Option<Grant> {
        let e = self.ents.get(&id.entitlement)?;
        let p = self.keys.get(&id.principal)?;
        self.grants.get(&(e, p)).map(|h| self.view(e, p, h))
    }

    /// The grant with this Baton id, written as text.
    pub fn grant(&self, id: &str) -> Option<Grant> {
        self.grant_by_id(&id.parse().ok()?)
    }

    /// Whether `principal` holds `entitlement` directly (assigned to itself).
    pub fn is_held_directly(&self, entitlement: &EntitlementId, principal: &ResourceKey) -> bool {
        let (Some(e), Some(p)) = (self.ents.get(entitlement), self.keys.get(principal)) else {
            return false;
        };
        self.grants.get(&(e, p)).is_some_and(|h| h.direct)
    }

    pub fn resource_count(&self) -> usize {
        self.resources.len()
    }

    pub fn entitlement_count(&self) -> usize {
        self.entitlements.len()
    }

    pub fn grant_count(&self) -> usize {
        self.grants.len()
    }

    /// Resource types that have at least one resource, in declaration order.
    pub fn resource_types(&self) -> Vec<ResourceType> {
        ResourceType::ALL
            .into_iter()
            .filter(|t| self.resources.keys().any(|k| k.resource_type == *t))
            .collect()
    }

    /// Resources sorted by (type, id): the stable order of every output.
    pub fn resources_sorted(&self) -> Vec<&Resource> {
        let mut v: Vec<_> = self.resources.values().collect();
        v.sort_unstable_by(|a, b| {
            (a.resource_type, a.id.as_str()).cmp(&(b.resource_type, b.id.as_str()))
        });
        v
    }

    pub fn entitlements_sorted(&self) -> Vec<&Entitlement> {
        let mut v: Vec<(String, &Entitlement)> = self
            .entitlements
            .values()
            .map(|e| (e.id.to_string(), e))
            .collect();
        v.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        v.into_iter().map(|(_, e)| e).collect()
    }

    /// Every grant, sorted by entitlement id, then principal type and id (which is the order
    /// of their Baton ids). Materialised one at a time while iterated or serialised.
    pub fn grants_sorted(&self) -> SortedGrants<'_> {
        // The order of the ids as text: a typed order would differ (`-` sorts before `:`).
        let ent_rank = self.ents.ranks_by_key(ToString::to_string);
        let key_rank = self.keys.ranks_by(|a, b| {
            (a.resource_type.as_str(), a.id.as_str())
                .cmp(&(b.resource_type.as_str(), b.id.as_str()))
        });
        let mut order: Vec<(EntIdx, KeyIdx)> = self.grants.keys().copied().collect();
        order.sort_unstable_by_key(|(e, p)| (ent_rank[*e as usize], key_rank[*p as usize]));
        SortedGrants { graph: self, order }
    }

    pub fn resources(&self) -> impl Iterator<Item = &Resource> {
        self.resources.values()
    }

    /// Every resource, to annotate in place (what the Usage API says of them: their keys and
    /// types stay as they are, so nothing indexed by them moves).
    pub fn resources_mut(&mut self) -> impl Iterator<Item = &mut Resource> {
        self.resources.values_mut()
    }

    /// Every grant, in no particular order.
    pub fn grants(&self) -> impl Iterator<Item = Grant> + '_ {
        self.grants.iter().map(|((e, p), h)| self.view(*e, *p, h))
    }

    /// Counts per resource type, in declaration order.
    pub fn counts_by_type(&self) -> Vec<(ResourceType, usize)> {
        let mut counts: HashMap<ResourceType, usize> = HashMap::default();
        for k in self.resources.keys() {
            *counts.entry(k.resource_type).or_default() += 1;
        }
        ResourceType::ALL
            .into_iter()
            .map(|t| (t, counts.get(&t).copied().unwrap_or(0)))
            .collect()
    }

    /// Points every resource parented by the organization at `org`: crawlers learn the org
    /// id only from the role list, possibly after they saw its children.
    pub fn set_org(&mut self, org: &ResourceKey) {
        for r in self.resources.values_mut() {
            if let Some(p) = r
                .parent
                .as_mut()
                .filter(|p| p.resource_type == ResourceType::Organization)
            {
                p.id = org.id.clone();
            }
        }
    }

    fn view(&self, e: EntIdx, p: KeyIdx, h: &Held) -> Grant {
        let entitlement = self.ents.resolve(e).clone();
        let principal = self.keys.resolve(p).clone();
        let mut sources: Vec<EntitlementId> = h
            .sources
            .iter()
            .map(|s| self.ents.resolve(s).clone())
            .collect();
        sources.sort_unstable_by_key(ToString::to_string);
        Grant {
            entitlement,
            resource: self.keys.resolve(h.resource).clone(),
            principal,
            direct: h.direct,
            sources,
            immutable: h.immutable,
            expandable: h
                .expandable
                .map(|x| self.ents.resolve(x).clone())
                .into_iter()
                .collect(),
        }
    }
}

/// Grants in output order, materialised as they are read.
pub struct SortedGrants<'a> {
    graph: &'a GrantGraph,
    order: Vec<(EntIdx, KeyIdx)>,
}

impl<'a> SortedGrants<'a> {
    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = Grant> + '_ {
        self.order.iter().filter_map(|k| {
            self.graph
                .grants
                .get(k)
                .map(|h| self.graph.view(k.0, k.1, h))
        })
    }
}

impl<'a> IntoIterator for SortedGrants<'a> {
    type Item = Grant;
    type IntoIter = Box<dyn Iterator<Item = Grant> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        let graph = self.graph;
        Box::new(
            self.order
                .into_iter()
                .filter_map(move |k| graph.grants.get(&k).map(|h| graph.view(k.0, k.1, h))),
        )
    }
}

impl Serialize for SortedGrants<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.len()))?;
        for g in self.iter() {
            seq.serialize_element(&g)?;
        }
        seq.end()
    }
}

fn merge(held: &mut Held, origin: Option<(EntIdx, bool)>) {
    match origin {
        None => {
            held.direct = true;
            held.immutable = false;
        }
        Some((via, immutable)) => {
            held.sources.insert(via);
            // Mutable as soon as one reason for it can be changed.
            held.immutable &= immutable;
        }
    }
}

fn entitlement_for(resource: &Resource, slug: Slug, id: EntitlementId) -> Entitlement {
    let (purpose, grantable_to): (Purpose, &[ResourceType]) = match (resource.resource_type, slug) {
        (ResourceType::Organization, _) => (Purpose::Assignment, &[ResourceType::User]),
        (ResourceType::Group, _) => (Purpose::Assignment, &[ResourceType::User]),
        (ResourceType::Project, Slug::Owner | Slug::Member) => (
            Purpose::Assignment,
            &[
                ResourceType::User,
                ResourceType::ServiceAccount,
                ResourceType::Group,
            ],
        ),
        (ResourceType::Project, _) => (
            Purpose::Assignment,
            &[ResourceType::User, ResourceType::Group],
        ),
        (ResourceType::Role, _) => (
            Purpose::Assignment,
            &[ResourceType::User, ResourceType::Group],
        ),
        (ResourceType::ProjectRole, _) => (
            Purpose::Assignment,
            &[
                ResourceType::User,
                ResourceType::ServiceAccount,
                ResourceType::Group,
            ],
        ),
        _ => (Purpose::Permission, &[]),
    };
    let name = &resource.display_name;
    let (display_name, description) = match slug {
        Slug::Member if resource.resource_type == ResourceType::Organization => (
            format!("{name} member"),
            format!("Member of the {name} organization"),
        ),
        Slug::Member if resource.resource_type == ResourceType::Group => (
            format!("{name} member"),
            format!("Member of the {name} group"),
        ),
        Slug::Assigned => (format!("{name} role"), format!("Has the {name} role")),
        _ => (
            format!("{name} {slug}"),
            format!("{} role on the {name} project", capitalise(slug.as_str())),
        ),
    };
    Entitlement {
        exclusion: exclusion_of(resource, slug),
        id,
        resource: resource.key(),
        slug,
        display_name,
        description,
        purpose,
        grantable_to: grantable_to.to_vec(),
    }
}

fn exclusion_of(resource: &Resource, slug: Slug) -> Option<Exclusion> {
    exclusion_for(&resource.key(), slug)
}

/// The org role (owner, reader) and a project's predefined role (owner, member, viewer) are
/// each one choice: holding one means not holding the others. Derived from the ids alone, so a
/// reader of a file that leaves the choice out (a `.c1z` for older Baton readers) finds it.
pub fn exclusion_for(resource: &ResourceKey, slug: Slug) -> Option<Exclusion> {
    let choice = |group: String, order: u32, default: bool| {
        Some(Exclusion {
            group,
            order,
            default,
        })
    };
    match (resource.resource_type, slug, resource.id.as_str()) {
        (ResourceType::Role, Slug::Assigned, "owner") => choice("org_role".into(), 0, false),
        (ResourceType::Role, Slug::Assigned, "reader") => choice("org_role".into(), 1, true),
        (ResourceType::Project, Slug::Owner, p) => choice(format!("project:{p}:role"), 0, false),
        (ResourceType::Project, Slug::Member, p) => choice(format!("project:{p}:role"), 1, true),
        (ResourceType::Project, Slug::Viewer, p) => choice(format!("project:{p}:role"), 2, false),
        _ => None,
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
