//! The org as the simulation crawls it: its shape (plain counts, built by the mock), and the
//! crawl of it as a tree of lists, pages and the lists each page reveals, which the sync's own
//! fan-out (`crate::fanout`) grows from the facts the simulated pages report.

use crate::endpoint::Endpoint;
use crate::fanout::{FanOut, ListRequest, Scope};
use crate::ids::{GroupId, ProjectId, UserId, literal};
use crate::messages::Work;
use std::collections::{BTreeMap, HashMap};

/// What a crawl of an org reads, as counts in the org's own order: all the simulation needs of
/// an org, and the bound it is held to.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CrawlShape {
    /// Whether the org has custom org roles (each human's roles are then listed).
    pub custom_org_roles: bool,
    /// Per user, in list order: whether it is a service account's user.
    pub users: Vec<bool>,
    pub invites: usize,
    pub org_roles: usize,
    pub groups: Vec<GroupShape>,
    pub projects: Vec<ProjectShape>,
    pub admin_keys: usize,
    /// The fewest requests per endpoint a complete crawl needs.
    pub minimum: BTreeMap<Endpoint, u64>,
    /// The longest chain of requests that must happen one after another.
    pub longest_chain: u64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct GroupShape {
    pub members: usize,
    pub roles: usize,
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ProjectShape {
    pub archived: bool,
    pub custom_roles: usize,
    pub users: usize,
    pub service_accounts: usize,
    pub api_keys: usize,
    pub groups: usize,
}

/// One list to crawl: its endpoint, its pages, and what each page reveals.
#[derive(Clone, Debug)]
pub(super) struct List {
    pub(super) endpoint: Endpoint,
    /// Per page, the lists it reveals.
    pub(super) pages: Vec<Vec<List>>,
}

fn pages(n: usize, size: usize) -> usize {
    n.div_ceil(size).max(1)
}

/// The crawl of `org`: the lists the fan-out (`crate::fanout`) returns for the facts the
/// simulated pages reveal, each list a child of the page whose fact returned it.
///
/// Gates are answered before the crawl, from the shape: the simulation does not model a
/// gated list waiting for the role list that answers its gate (a short one, started early),
/// so a gated list is revealed by the page that names its subject.
pub(super) fn crawl_of(org: &CrawlShape) -> Vec<List> {
    let ids = Ids::of(org);
    let mut fan = FanOut::default();
    let mut answers = vec![Work::OrgRolesKnown {
        has_custom: org.custom_org_roles,
    }];
    answers.extend(ids.projects.iter().zip(&org.projects).map(|(project, p)| {
        Work::ProjectRolesKnown {
            project: project.clone(),
            has_custom: p.custom_roles > 0,
        }
    }));
    for answer in answers {
        // Nothing is held yet: an answer unlocks nothing.
        let _ = fan.found(answer);
    }
    let roots = fan.start();
    roots
        .into_iter()
        .map(|r| list_of(&mut fan, org, &ids, r))
        .collect()
}

/// `req`'s list: its pages, each with the lists its facts unlock (built in turn).
fn list_of(fan: &mut FanOut, org: &CrawlShape, ids: &Ids, req: ListRequest) -> List {
    let holds = holds(org, ids, &req);
    let size = req.list.list().map_or(100, |(_, size)| size as usize);
    let n = pages(holds.items, size);
    let mut facts: Vec<Vec<Work>> = vec![Vec::new(); n];
    for (item, work) in holds.named {
        facts[(item / size).min(n - 1)].push(work);
    }
    facts[0].extend(holds.first);
    facts[n - 1].extend(holds.last);
    let mut out = Vec::with_capacity(n);
    for page in facts {
        let mut children = Vec::new();
        for work in page {
            for child in fan.found(work) {
                children.push(list_of(fan, org, ids, child));
            }
        }
        out.push(children);
    }
    List {
        endpoint: req.list,
        pages: out,
    }
}

/// Ids for the shape's users, groups and projects: the shape counts them, the fan-out names
/// lists by id.
struct Ids {
    users: Vec<UserId>,
    groups: Vec<GroupId>,
    projects: Vec<ProjectId>,
    group_at: HashMap<GroupId, usize>,
    project_at: HashMap<ProjectId, usize>,
}

impl Ids {
    fn of(org: &CrawlShape) -> Self {
        let users = (0..org.users.len()).map(|i| literal(format!("user-{i}")));
        let groups: Vec<GroupId> = (0..org.groups.len())
            .map(|i| literal(format!("group-{i}")))
            .collect();
        let projects: Vec<ProjectId> = (0..org.projects.len())
            .map(|i| literal(format!("proj-{i}")))
            .collect();
        Self {
            users: users.collect(),
            group_at: groups.iter().cloned().zip(0..).collect(),
            project_at: projects.iter().cloned().zip(0..).collect(),
            groups,
            projects,
        }
    }
}

/// What one list of the shape holds: its items, the facts they name (by item), and the facts
/// the list reports of itself on its first page and on its last.
#[derive(Default)]
struct Holds {
    items: usize,
    named: Vec<(usize, Work)>,
    first: Option<Work>,
    last: Option<Work>,
}

fn leaf(items: usize) -> Holds {
    Holds {
        items,
        ..Holds::default()
    }
}

/// The facts `req`'s list reveals, as the crawler of its kind reports them (`crawlers/`), but
/// for the key: a page reports what its items name first, then what the list says of itself,
/// so the first user page's role lists start before the other top-level lists (the order the
/// simulation's figures were calibrated with; the real user role lists wait for the org role
/// list anyway).
fn holds(org: &CrawlShape, ids: &Ids, req: &ListRequest) -> Holds {
    let group = |g| ids.group_at.get(g).and_then(|&i| org.groups.get(i));
    let project = |p| ids.project_at.get(p).and_then(|&i| org.projects.get(i));
    match (req.list, &req.scope) {
        (Endpoint::ListUsers, _) => Holds {
            items: org.users.len(),
            named: (org.users.iter().zip(&ids.users).enumerate())
                .filter(|(_, (service_account, _))| !**service_account)
                .map(|(i, (_, u))| (i, Work::User(u.clone())))
                .collect(),
            first: Some(Work::KeyAccepted),
            last: None,
        },
        (Endpoint::ListInvites, _) => leaf(org.invites),
        (Endpoint::ListOrgRoles, _) => Holds {
            last: Some(Work::OrgRolesKnown {
                has_custom: org.custom_org_roles,
            }),
            ..leaf(org.org_roles)
        },
        (Endpoint::ListGroups, _) => Holds {
            items: ids.groups.len(),
            named: (ids.groups.iter().cloned().map(Work::Group).enumerate()).collect(),
            ..Holds::default()
        },
        (Endpoint::ListGroupUsers, Scope::Group(g)) => leaf(group(g).map_or(0, |g| g.members)),
        (Endpoint::ListGroupRoles, Scope::Group(g)) => leaf(group(g).map_or(0, |g| g.roles)),
        (Endpoint::ListProjects, _) => Holds {
            items: ids.projects.len(),
            named: (ids.projects.iter().zip(&org.projects).enumerate())
                .map(|(i, (project, p))| {
                    let archived = p.archived;
                    let project = project.clone();
                    (i, Work::Project { project, archived })
                })
                .collect(),
            ..Holds::default()
        },
        (Endpoint::ListProjectUsers, Scope::Project(p)) => {
            let users = project(p).map_or(0, |s| s.users);
            let member = |j| Work::ProjectMember {
                project: p.clone(),
                user: literal(format!("user-{j}")),
            };
            Holds {
                items: users,
                named: (0..users).map(|j| (j, member(j))).collect(),
                ..Holds::default()
            }
        }
        (Endpoint::ListProjectServiceAccounts, Scope::Project(p)) => {
            leaf(project(p).map_or(0, |s| s.service_accounts))
        }
        (Endpoint::ListProjectApiKeys, Scope::Project(p)) => {
            leaf(project(p).map_or(0, |s| s.api_keys))
        }
        (Endpoint::ListProjectGroups, Scope::Project(p)) => {
            let groups = project(p).map_or(0, |s| s.groups);
            let group = |j| Work::ProjectGroup {
                project: p.clone(),
                group: literal(format!("group-{j}")),
            };
            Holds {
                items: groups,
                named: (0..groups).map(|j| (j, group(j))).collect(),
                ..Holds::default()
            }
        }
        (Endpoint::ListProjectRoles, Scope::Project(p)) => {
            let custom_roles = project(p).map_or(0, |s| s.custom_roles);
            Holds {
                last: Some(Work::ProjectRolesKnown {
                    project: p.clone(),
                    has_custom: custom_roles > 0,
                }),
                // The three predefined roles, and the custom ones.
                ..leaf(3 + custom_roles)
            }
        }
        (Endpoint::ListAdminApiKeys, _) => leaf(org.admin_keys),
        // One assignment each: the shape does not count them.
        (
            Endpoint::ListUserRoles
            | Endpoint::ListProjectUserRoles
            | Endpoint::ListProjectGroupRoles,
            _,
        ) => leaf(1),
        // A list the shape does not count: one page.
        _ => leaf(0),
    }
}
