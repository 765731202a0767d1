//! The fan-out rules as data: which fact unlocks which lists, under which gate, in which order.
//!
//! Request minimality lives here: per-user org role lists only when the org has custom org
//! roles; per-member project role lists only in projects with custom roles; no lists of
//! archived projects; no more group member lists once the plan refused one. (No list twice is
//! the state machine's, `FanOut`.)
//!
//! Adding a list kind is one row in [`RULES`] plus its `ListKind` (and its line in
//! `crawlers::registry`).

use super::list::{InProject, Org, Scope};
use crate::endpoint::Endpoint::{self, *};
use crate::ids::ProjectId;
use crate::messages::Work;
use Gate::*;
use On::*;

/// What a row waits for: the fact whose subject its list is read for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum On {
    /// The sync starts.
    Start,
    /// The user list's first page arrived (`Work::KeyAccepted`): the key works.
    KeyAccepted,
    /// A human org user (`Work::User`).
    User,
    /// `Work::Group`.
    Group,
    /// `Work::Project`.
    Project,
    /// A user in a project (`Work::ProjectMember`).
    ProjectMember,
    /// A group in a project (`Work::ProjectGroup`).
    ProjectGroup,
}

impl On {
    /// The org's own lists (the top-level lists): read once they are started, never held
    /// back; once they have all ended, the sync knows its plan.
    pub(crate) fn is_root(self) -> bool {
        matches!(self, Start | KeyAccepted)
    }
}

/// When a row's list is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Gate {
    /// Always.
    Open,
    /// Only when the org has custom org roles: held back until the org role list says so.
    OrgHasCustomRoles,
    /// Only in projects with custom roles: held back until the project's role list says so.
    ProjectHasCustomRoles,
    /// Not for archived projects: they answer 400 on their membership lists and grant nothing.
    ProjectNotArchived,
    /// Not once the plan refused a list of this kind (`FanOut::refused`).
    NotRefusedByPlan,
}

/// A question a gate holds lists back on, until a fact at the end of a list answers it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Question {
    /// Answered by `Work::OrgRolesKnown`.
    OrgHasCustomRoles,
    /// Answered by `Work::ProjectRolesKnown`.
    ProjectHasCustomRoles(ProjectId),
}

/// On `on`, read `read` for the fact's subject, if `gate` lets it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Rule {
    pub on: On,
    pub read: Endpoint,
    pub gate: Gate,
}

const fn rule(on: On, read: Endpoint, gate: Gate) -> Rule {
    Rule { on, read, gate }
}

/// Every rule, in the order a fact's lists are returned (and so sent to their crawlers).
pub(crate) const RULES: &[Rule] = &[
    // The user list goes first and alone: its first page proves the key before anything else
    // is crawled, and it is the longest chain of dependent pages.
    rule(Start, ListUsers, Open),
    // The other top-level lists once the key works; admin keys last.
    rule(KeyAccepted, ListInvites, Open),
    rule(KeyAccepted, ListOrgRoles, Open),
    rule(KeyAccepted, ListGroups, Open),
    rule(KeyAccepted, ListProjects, Open),
    rule(KeyAccepted, ListAdminApiKeys, Open),
    rule(User, ListUserRoles, OrgHasCustomRoles),
    rule(Group, ListGroupUsers, NotRefusedByPlan),
    rule(Group, ListGroupRoles, Open),
    rule(Project, ListProjectUsers, ProjectNotArchived),
    rule(Project, ListProjectServiceAccounts, ProjectNotArchived),
    rule(Project, ListProjectApiKeys, ProjectNotArchived),
    rule(Project, ListProjectGroups, ProjectNotArchived),
    rule(Project, ListProjectRoles, ProjectNotArchived),
    rule(ProjectMember, ListProjectUserRoles, ProjectHasCustomRoles),
    rule(ProjectGroup, ListProjectGroupRoles, Open),
];

/// The top-level lists, in the order they start.
pub(crate) fn roots() -> impl Iterator<Item = Endpoint> {
    RULES.iter().filter(|r| r.on.is_root()).map(|r| r.read)
}

/// Whether `list` is a top-level list.
pub(crate) fn is_root(list: Endpoint) -> bool {
    roots().any(|r| r == list)
}

/// What a fact means to the rules.
pub(super) enum Meaning {
    /// It names a subject: the rows `on` it read their lists for `scope`.
    Names { on: On, scope: Scope },
    /// It answers a question gated lists wait on.
    Answers { question: Question, yes: bool },
}

pub(super) fn meaning(work: &Work) -> Meaning {
    let names = |on, scope| Meaning::Names { on, scope };
    match work {
        Work::KeyAccepted => names(KeyAccepted, Scope::Org(Org)),
        Work::User(u) => names(User, Scope::User(u.clone())),
        Work::Group(g) => names(Group, Scope::Group(g.clone())),
        Work::Project { project, .. } => names(Project, Scope::Project(project.clone())),
        Work::ProjectMember { project, user } => names(
            ProjectMember,
            Scope::ProjectUser(InProject {
                project: project.clone(),
                principal: user.clone(),
            }),
        ),
        Work::ProjectGroup { project, group } => names(
            ProjectGroup,
            Scope::ProjectGroup(InProject {
                project: project.clone(),
                principal: group.clone(),
            }),
        ),
        Work::OrgRolesKnown { has_custom } => Meaning::Answers {
            question: Question::OrgHasCustomRoles,
            yes: *has_custom,
        },
        Work::ProjectRolesKnown {
            project,
            has_custom,
        } => Meaning::Answers {
            question: Question::ProjectHasCustomRoles(project.clone()),
            yes: *has_custom,
        },
    }
}
