//! Messages that more than one actor sends or handles. Commands only one actor handles live
//! in that actor's file.

use crate::api::{ApiError, Endpoint};
use crate::baton::{EntitlementId, ResourceKey};
use crate::graph::{Origin, Resource};
use crate::ids::{GroupId, ProjectId, UserId};
use actix::Message;

/// One grant a crawler observed.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GrantFact {
    /// What is held (its resource is the entitlement's).
    pub entitlement: EntitlementId,
    pub principal: ResourceKey,
    pub origin: Origin,
}

/// Facts from one page. Crawlers send it; `GrantCollector` merges it.
#[derive(Message, Debug, Default)]
#[rtype(result = "()")]
pub(crate) struct FactsDiscovered {
    pub resources: Vec<Resource>,
    pub grants: Vec<GrantFact>,
    /// The org id, when a page revealed it (predefined org role ids carry it).
    pub org_id: Option<crate::ids::OrgId>,
}

impl FactsDiscovered {
    pub(crate) fn is_empty(&self) -> bool {
        self.resources.is_empty() && self.grants.is_empty() && self.org_id.is_none()
    }
}

/// Work a page revealed; the coordinator decides what to crawl next.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Work {
    /// The first page of the org user list arrived: the key works, start everything else.
    KeyAccepted,
    /// A human org user (service-account users have no org role lists of their own).
    User(UserId),
    /// The org role list ended; `true` if it holds custom roles.
    OrgRolesKnown {
        has_custom: bool,
    },
    Group(GroupId),
    Project {
        project: ProjectId,
        archived: bool,
    },
    ProjectMember {
        project: ProjectId,
        user: UserId,
    },
    ProjectGroup {
        project: ProjectId,
        group: GroupId,
    },
    /// A project's role list ended; `true` if it holds custom roles.
    ProjectRolesKnown {
        project: ProjectId,
        has_custom: bool,
    },
}

/// Crawlers send it to the coordinator before they finish, so children are counted before
/// their parent stops counting.
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub(crate) struct WorkFound(pub Vec<Work>);

/// How a crawl ended.
#[derive(Debug)]
pub(crate) enum CrawlOutcome {
    /// Every page was read.
    Done,
    /// Dropped before it ran (e.g. group members on a free plan after the first refusal).
    Skipped,
    /// A page could not be read after every retry.
    Failed(ApiError),
}

/// A crawl (one list, all its pages) ended. Crawlers send it to the coordinator.
#[derive(Message, Debug)]
#[rtype(result = "()")]
pub(crate) struct CrawlFinished {
    pub crawler: &'static str,
    pub endpoint: Endpoint,
    /// The concrete path crawled, e.g. `/organization/projects/proj_1/users`.
    pub path: String,
    pub items: usize,
    pub pages: usize,
    pub outcome: CrawlOutcome,
}
