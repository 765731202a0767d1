//! The served org plus the lookup tables that keep every request O(page), not O(org).

use super::audit::AuditLog;
use super::cursors::Cursors;
use super::state::{GroupState, Org, ProjectState};
use openai_access_actors::ids::UserId;
use std::collections::HashMap;

/// `Org` and its indexes. Projects are never removed (only archived), so their positions are
/// stable; users, invites and groups can be, and re-index on removal.
pub struct Store {
    pub org: Org,
    /// What changed, as the audit log lists it.
    pub audit: AuditLog,
    /// Where a cursor resumes once its item is gone; written while reads share the store.
    pub cursors: parking_lot::Mutex<Cursors>,
    users: HashMap<String, usize>,
    invites: HashMap<String, usize>,
    projects: HashMap<String, usize>,
    groups: HashMap<String, usize>,
    /// user id -> positions of the groups the user is in.
    user_groups: HashMap<String, Vec<usize>>,
    /// The keys the Usage API reports, as the org was served first: a key deleted since
    /// keeps its history, as the real API keeps it (keys created since are unused).
    pub usage_keys: Vec<crate::usage::UsageKey>,
}

impl Store {
    pub fn new(org: Org) -> Store {
        let mut s = Store {
            org,
            audit: AuditLog::default(),
            cursors: parking_lot::Mutex::default(),
            users: HashMap::new(),
            invites: HashMap::new(),
            projects: HashMap::new(),
            groups: HashMap::new(),
            user_groups: HashMap::new(),
            usage_keys: Vec::new(),
        };
        s.usage_keys = crate::usage::UsageKey::of_org(&s.org);
        s.reindex_users();
        s.reindex_invites();
        s.projects = positions(s.org.projects.iter().map(|p| p.project.id.as_str()));
        s.groups = positions(s.org.groups.iter().map(|g| g.group.id.as_str()));
        for (gi, g) in s.org.groups.iter().enumerate() {
            for m in &g.members {
                s.user_groups
                    .entry(m.user_id.as_str().to_owned())
                    .or_default()
                    .push(gi);
            }
        }
        s
    }

    pub fn reindex_users(&mut self) {
        self.users = positions(self.org.users.iter().map(|u| u.id.as_str()));
    }

    pub fn reindex_invites(&mut self) {
        self.invites = positions(self.org.invites.iter().map(|i| i.id.as_str()));
    }

    pub fn user_pos(&self, id: &str) -> Option<usize> {
        self.users.get(id).copied()
    }

    pub fn invite_pos(&self, id: &str) -> Option<usize> {
        self.invites.get(id).copied()
    }

    pub fn project_pos(&self, id: &str) -> Option<usize> {
        self.projects.get(id).copied()
    }

    pub fn group_pos(&self, id: &str) -> Option<usize> {
        self.groups.get(id).copied()
    }

    pub fn project(&self, id: &str) -> Option<&ProjectState> {
        self.project_pos(id).map(|i| &self.org.projects[i])
    }

    pub fn group(&self, id: &str) -> Option<&GroupState> {
        self.group_pos(id).map(|i| &self.org.groups[i])
    }

    pub fn groups_of(&self, user: &str) -> impl Iterator<Item = &GroupState> {
        self.user_groups
            .get(user)
            .into_iter()
            .flatten()
            .map(|&gi| &self.org.groups[gi])
    }

    pub fn in_group(&self, user: &str, group: &str) -> bool {
        match (self.user_groups.get(user), self.group_pos(group)) {
            (Some(gs), Some(g)) => gs.contains(&g),
            _ => false,
        }
    }

    pub fn push_invite(&mut self, inv: openai_access_actors::api::models::Invite) {
        self.invites
            .insert(inv.id.as_str().to_owned(), self.org.invites.len());
        self.org.invites.push(inv);
    }

    pub fn joined_group(&mut self, user: &UserId, group: usize) {
        self.user_groups
            .entry(user.as_str().to_owned())
            .or_default()
            .push(group);
    }

    pub fn left_group(&mut self, user: &UserId, group: usize) {
        if let Some(gs) = self.user_groups.get_mut(user.as_str()) {
            gs.retain(|&g| g != group);
        }
    }

    pub fn push_project(&mut self, p: ProjectState) {
        self.projects
            .insert(p.project.id.as_str().to_owned(), self.org.projects.len());
        self.org.projects.push(p);
    }

    pub fn push_group(&mut self, g: GroupState) {
        self.groups
            .insert(g.group.id.as_str().to_owned(), self.org.groups.len());
        self.org.groups.push(g);
    }

    /// Removes the group at `gi`, and every index that named a group by position.
    pub fn remove_group(&mut self, gi: usize) {
        self.org.groups.remove(gi);
        self.groups = positions(self.org.groups.iter().map(|g| g.group.id.as_str()));
        self.user_groups.clear();
        for (gi, g) in self.org.groups.iter().enumerate() {
            for m in &g.members {
                self.user_groups
                    .entry(m.user_id.as_str().to_owned())
                    .or_default()
                    .push(gi);
            }
        }
    }

    pub fn forget_user(&mut self, user: &UserId) {
        self.user_groups.remove(user.as_str());
        self.reindex_users();
    }
}

fn positions<'a>(ids: impl Iterator<Item = &'a str>) -> HashMap<String, usize> {
    ids.enumerate().map(|(i, id)| (id.to_owned(), i)).collect()
}
