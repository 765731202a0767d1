//! A list to read: the list endpoint it pages and the scope its path names (the org itself, a
//! user, a group, a project, a member of a project). The fan-out returns them; the coordinator
//! sends each to the crawler of its list; the throttle's simulation pages them.

use crate::endpoint::Endpoint;
use crate::ids::{GroupId, ProjectId, UserId};
use std::fmt;

/// One list to read, named by what it is, not by its path: two equal requests are the same
/// list (ids are single path segments, so a path names exactly one of them).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct ListRequest {
    /// The list endpoint it pages (one per list kind, see `crawlers::ListKind::LIST`).
    pub list: Endpoint,
    pub scope: Scope,
}

impl fmt::Display for ListRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} for {}", self.list.template(), self.scope)
    }
}

/// Top-level lists have no scope but the org.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Org;

impl fmt::Display for Org {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("org")
    }
}

/// A principal inside a project.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct InProject<T> {
    pub project: ProjectId,
    pub principal: T,
}

impl<T: fmt::Display> fmt::Display for InProject<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.project, self.principal)
    }
}

/// What a list is read for: every crawler's scope type, in one type the rules can name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    Org(Org),
    User(UserId),
    Group(GroupId),
    Project(ProjectId),
    ProjectUser(InProject<UserId>),
    ProjectGroup(InProject<GroupId>),
}

impl Scope {
    /// The project the scope lies in, if any.
    pub fn project(&self) -> Option<&ProjectId> {
        match self {
            Scope::Project(p) => Some(p),
            Scope::ProjectUser(s) => Some(&s.project),
            Scope::ProjectGroup(s) => Some(&s.project),
            Scope::Org(_) | Scope::User(_) | Scope::Group(_) => None,
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Org(s) => s.fmt(f),
            Scope::User(s) => s.fmt(f),
            Scope::Group(s) => s.fmt(f),
            Scope::Project(s) => s.fmt(f),
            Scope::ProjectUser(s) => s.fmt(f),
            Scope::ProjectGroup(s) => s.fmt(f),
        }
    }
}

/// Each crawler scope type goes into a [`Scope`] and comes back out of the one of its variant
/// (the other variants are given back).
macro_rules! scope_variants {
    ($($variant:ident($ty:ty)),* $(,)?) => {$(
        impl From<$ty> for Scope {
            fn from(s: $ty) -> Self {
                Scope::$variant(s)
            }
        }
        impl TryFrom<Scope> for $ty {
            type Error = Scope;
            fn try_from(s: Scope) -> Result<Self, Scope> {
                match s {
                    Scope::$variant(s) => Ok(s),
                    other => Err(other),
                }
            }
        }
    )*};
}

scope_variants!(
    Org(Org),
    User(UserId),
    Group(GroupId),
    Project(ProjectId),
    ProjectUser(InProject<UserId>),
    ProjectGroup(InProject<GroupId>),
);
