//! What a complete sync of an org must cost: the fewest requests per endpoint (DESIGN §3,
//! REFERENCE §7) and the longest chain of dependent pages. Computed from the org's shape, not
//! from the crawler, so the benchmark and the tests can hold the crawler to it; and the org as
//! the throttle's simulation reads it (a `CrawlShape`), with those figures.

use super::Org;
use openai_access_actors::endpoint::Endpoint;
use openai_access_actors::sim::{CrawlShape, GroupShape, ProjectShape};
use std::collections::BTreeMap;

fn pages(n: usize, size: usize) -> u64 {
    n.div_ceil(size).max(1) as u64
}

impl Org {
    /// The fewest requests per endpoint a complete sync needs, at each endpoint's maximum page
    /// size: per-user org role lists only when custom org roles exist, per-member project role
    /// lists only in projects with custom roles, nothing under archived projects.
    pub fn minimum_requests(&self) -> BTreeMap<Endpoint, u64> {
        let mut m: BTreeMap<Endpoint, u64> = BTreeMap::new();
        let custom_org_roles = self.org_roles.iter().filter(|r| !r.predefined_role).count();
        m.insert(Endpoint::ListUsers, pages(self.users.len(), 100));
        m.insert(Endpoint::ListInvites, pages(self.invites.len(), 100));
        m.insert(
            Endpoint::ListAdminApiKeys,
            pages(self.admin_keys.len(), 100),
        );
        m.insert(Endpoint::ListProjects, pages(self.projects.len(), 100));
        m.insert(Endpoint::ListOrgRoles, pages(2 + custom_org_roles, 1000));
        m.insert(Endpoint::ListGroups, pages(self.groups.len(), 1000));
        m.insert(
            Endpoint::ListGroupUsers,
            self.groups
                .iter()
                .map(|g| pages(g.members.len(), 1000))
                .sum(),
        );
        m.insert(
            Endpoint::ListGroupRoles,
            self.groups.iter().map(|g| pages(g.roles.len(), 1000)).sum(),
        );
        if custom_org_roles > 0 {
            m.insert(
                Endpoint::ListUserRoles,
                self.users
                    .iter()
                    .filter(|u| !u.is_service_account())
                    .count() as u64,
            );
        }
        for p in self.projects.iter().filter(|p| !p.is_archived()) {
            *m.entry(Endpoint::ListProjectUsers).or_default() += pages(p.users.len(), 100);
            *m.entry(Endpoint::ListProjectServiceAccounts).or_default() +=
                pages(p.service_accounts.len(), 100);
            *m.entry(Endpoint::ListProjectApiKeys).or_default() += pages(p.api_keys.len(), 100);
            *m.entry(Endpoint::ListProjectGroups).or_default() += pages(p.groups.len(), 100);
            *m.entry(Endpoint::ListProjectRoles).or_default() += pages(3 + p.roles.len(), 1000);
            if !p.roles.is_empty() {
                *m.entry(Endpoint::ListProjectUserRoles).or_default() += p.users.len() as u64;
            }
            *m.entry(Endpoint::ListProjectGroupRoles).or_default() += p.groups.len() as u64;
        }
        m.retain(|_, v| *v > 0);
        m
    }

    /// The longest chain of requests that must happen one after another (a list's pages, then
    /// the lists its items reveal), in requests.
    pub fn longest_request_chain(&self) -> u64 {
        let users = pages(self.users.len(), 100) + 1;
        let groups = pages(self.groups.len(), 1000)
            + self
                .groups
                .iter()
                .map(|g| pages(g.members.len(), 1000))
                .max()
                .unwrap_or(0);
        let projects = pages(self.projects.len(), 100)
            + self
                .projects
                .iter()
                .filter(|p| !p.is_archived())
                .map(|p| pages(p.users.len(), 100).max(pages(p.groups.len(), 100)) + 1)
                .max()
                .unwrap_or(0);
        users.max(groups).max(projects)
    }

    /// The org as the throttle's simulation crawls it.
    pub fn crawl_shape(&self) -> CrawlShape {
        CrawlShape {
            custom_org_roles: self.org_roles.iter().any(|r| !r.predefined_role),
            users: self.users.iter().map(|u| u.is_service_account()).collect(),
            invites: self.invites.len(),
            org_roles: self.org_roles.len(),
            groups: self
                .groups
                .iter()
                .map(|g| GroupShape {
                    members: g.members.len(),
                    roles: g.roles.len(),
                })
                .collect(),
            projects: self
                .projects
                .iter()
                .map(|p| ProjectShape {
                    archived: p.is_archived(),
                    custom_roles: p.roles.len(),
                    users: p.users.len(),
                    service_accounts: p.service_accounts.len(),
                    api_keys: p.api_keys.len(),
                    groups: p.groups.len(),
                })
                .collect(),
            admin_keys: self.admin_keys.len(),
            minimum: self.minimum_requests(),
            longest_chain: self.longest_request_chain(),
        }
    }
}
