//! `SyncCoordinator`: starts a sync, decides what to crawl, counts outstanding crawls, and
//! hands the finished graph to the caller.
//!
//! | receives        | from      | sends                                        | to         |
//! |-----------------|-----------|----------------------------------------------|------------|
//! | `StartSync`     | caller    | `Crawl<OrgUsers>` first (it proves the key)   | crawlers   |
//! | `WorkFound`     | crawlers  | `Crawl<K>` per child list; `SkipPending`     | crawlers   |
//! | `CrawlFinished` | crawlers  | `TakeGraph` when nothing is outstanding      | collector  |
//! | `GetProgress`   | caller    | —                                            | —          |
//!
//! Completion is a count, never a timer: every `Crawl` sent adds one, every `CrawlFinished`
//! removes one. A crawler reports the work it found (`WorkFound`, awaited) before it reports
//! that it finished, so the count cannot reach zero while children are still unknown.
//!
//! Request minimality (DESIGN §3) lives here: per-user org role lists only when the org has
//! custom org roles; per-member project role lists only in projects with custom roles; no
//! lists of archived projects; no more group member lists once the plan refused one.

use crate::api::{AdminClient, ApiError, Endpoint, EndpointCounts};
use crate::collector::{GrantCollector, TakeGraph};
use crate::crawlers::*;
use crate::graph::{FinishReport, GrantGraph};
use crate::ids::{ProjectId, UserId};
use crate::messages::{CrawlFinished, CrawlOutcome, Work, WorkFound};
use crate::throttle::{EndpointRate, KnownLimits};
use actix::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::time::Instant;

/// Start the sync; resolves when it has finished. Sent once by the caller.
#[derive(Message)]
#[rtype(result = "Result<SyncOutcome, SyncError>")]
pub struct StartSync;

/// How far the sync is. Sent by the caller (progress display).
#[derive(Message)]
#[rtype(result = "Progress")]
pub struct GetProgress;

/// Why a sync could not finish at all.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(
        "the admin key was rejected (HTTP 401): {0}. Check OPENAI_ADMIN_KEY / --admin-key-file."
    )]
    Unauthorized(String),
    #[error("the sync coordinator stopped before the sync finished")]
    Stopped,
}

/// One list that could not be read after every retry.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ListFailure {
    pub crawler: &'static str,
    pub endpoint: Endpoint,
    pub path: String,
    pub status: Option<u16>,
    pub message: String,
    /// The key lacks a permission (HTTP 403).
    pub permission_denied: bool,
}

/// Progress per crawler.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CrawlerProgress {
    pub crawls_done: u64,
    /// Pages read (a request each, retries aside).
    pub pages: u64,
    pub items: u64,
    pub failed: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Progress {
    pub outstanding: usize,
    pub crawlers: BTreeMap<&'static str, CrawlerProgress>,
}

/// The result of a finished sync.
#[derive(Debug)]
pub struct SyncOutcome {
    pub graph: GrantGraph,
    pub report: FinishReport,
    pub failures: Vec<ListFailure>,
    pub warnings: Vec<String>,
    pub requests: BTreeMap<Endpoint, EndpointCounts>,
    pub rates: Vec<EndpointRate>,
    /// The server's limits as learned (merged with those the sync started from).
    pub limits: KnownLimits,
    pub progress: Progress,
    pub duration: Duration,
    pub merge_time: Duration,
    pub finish_time: Duration,
    pub facts_received: u64,
}

impl SyncOutcome {
    pub fn is_partial(&self) -> bool {
        !self.failures.is_empty()
    }
    pub fn permission_denied(&self) -> bool {
        self.failures.iter().any(|f| f.permission_denied)
    }
}

struct Crawlers {
    users: Addr<Crawler<OrgUsers>>,
    invites: Addr<Crawler<Invites>>,
    org_roles: Addr<Crawler<OrgRoles>>,
    groups: Addr<Crawler<Groups>>,
    group_members: Addr<Crawler<GroupMembers>>,
    group_roles: Addr<Crawler<GroupRoles>>,
    user_roles: Addr<Crawler<UserRoles>>,
    projects: Addr<Crawler<Projects>>,
    project_users: Addr<Crawler<ProjectUsers>>,
    service_accounts: Addr<Crawler<ProjectServiceAccounts>>,
    api_keys: Addr<Crawler<ProjectApiKeys>>,
    project_groups: Addr<Crawler<ProjectGroups>>,
    project_roles: Addr<Crawler<ProjectRoles>>,
    project_user_roles: Addr<Crawler<ProjectUserRoles>>,
    project_group_roles: Addr<Crawler<ProjectGroupRoles>>,
}

pub struct SyncCoordinator {
    client: AdminClient,
    collector: Addr<GrantCollector>,
    crawlers: Option<Crawlers>,
    started: Instant,
    outstanding: usize,
    key_accepted: bool,
    custom_org_roles: Option<bool>,
    pending_users: Vec<UserId>,
    project_roles: HashMap<ProjectId, bool>,
    pending_members: HashMap<ProjectId, Vec<UserId>>,
    group_members_refused: bool,
    failures: Vec<ListFailure>,
    warnings: Vec<String>,
    progress: Progress,
    reply: Option<oneshot::Sender<Result<SyncOutcome, SyncError>>>,
    finishing: bool,
}

impl SyncCoordinator {
    pub fn new(client: AdminClient, collector: Addr<GrantCollector>) -> Self {
        Self {
            client,
            collector,
            crawlers: None,
            started: Instant::now(),
            outstanding: 0,
            key_accepted: false,
            custom_org_roles: None,
            pending_users: Vec::new(),
            project_roles: HashMap::new(),
            pending_members: HashMap::new(),
            group_members_refused: false,
            failures: Vec::new(),
            warnings: Vec::new(),
            progress: Progress::default(),
            reply: None,
            finishing: false,
        }
    }

    fn crawl<K: ListKind>(outstanding: &mut usize, addr: &Addr<Crawler<K>>, scope: K::Scope) {
        *outstanding += 1;
        addr.do_send(Crawl::<K> { scope });
    }

    fn start_roots(&mut self) {
        let Some(c) = &self.crawlers else { return };
        let n = &mut self.outstanding;
        Self::crawl(n, &c.invites, Org);
        Self::crawl(n, &c.org_roles, Org);
        Self::crawl(n, &c.groups, Org);
        Self::crawl(n, &c.projects, Org);
    }

    fn dispatch(&mut self, work: Work) {
        let Some(c) = &self.crawlers else { return };
        let n = &mut self.outstanding;
        match work {
            Work::KeyAccepted => {
                if !self.key_accepted {
                    self.key_accepted = true;
                    self.start_roots();
                }
            }
            Work::User(u) => match self.custom_org_roles {
                Some(true) => Self::crawl(n, &c.user_roles, u),
                Some(false) => {}
                None => self.pending_users.push(u),
            },
            Work::OrgRolesKnown { has_custom } => {
                self.custom_org_roles = Some(has_custom);
                for u in std::mem::take(&mut self.pending_users) {
                    if has_custom {
                        Self::crawl(n, &c.user_roles, u);
                    }
                }
            }
            Work::Group(g) => {
                if !self.group_members_refused {
                    Self::crawl(n, &c.group_members, g.clone());
                }
                Self::crawl(n, &c.group_roles, g);
            }
            Work::Project { project, archived } => {
                // Archived projects answer 400 on their membership lists and grant nothing.
                if !archived {
                    Self::crawl(n, &c.project_users, project.clone());
                    Self::crawl(n, &c.service_accounts, project.clone());
                    Self::crawl(n, &c.api_keys, project.clone());
                    Self::crawl(n, &c.project_groups, project.clone());
                    Self::crawl(n, &c.project_roles, project);
                }
            }
            Work::ProjectMember { project, user } => match self.project_roles.get(&project) {
                Some(true) => Self::crawl(
                    n,
                    &c.project_user_roles,
                    InProject {
                        project,
                        principal: user,
                    },
                ),
                Some(false) => {}
                None => self.pending_members.entry(project).or_default().push(user),
            },
            Work::ProjectRolesKnown {
                project,
                has_custom,
            } => {
                let pending = self.pending_members.remove(&project).unwrap_or_default();
                if has_custom {
                    for user in pending {
                        Self::crawl(
                            n,
                            &c.project_user_roles,
                            InProject {
                                project: project.clone(),
                                principal: user,
                            },
                        );
                    }
                }
                self.project_roles.insert(project, has_custom);
            }
            Work::ProjectGroup { project, group } => {
                Self::crawl(
                    n,
                    &c.project_group_roles,
                    InProject {
                        project,
                        principal: group,
                    },
                );
            }
        }
    }

    fn record_failure(&mut self, msg: &CrawlFinished, error: &ApiError, ctx: &mut Context<Self>) {
        if error.is_unauthorized() {
            let message = api_message(error);
            self.fail(SyncError::Unauthorized(message), ctx);
            return;
        }
        let plan_refusal = msg.endpoint == Endpoint::ListGroupUsers
            && error.is_forbidden()
            && (error.code().is_some_and(|c| c.contains("plan"))
                || error.to_string().to_ascii_lowercase().contains("plan"));
        if plan_refusal {
            if !self.group_members_refused {
                self.group_members_refused = true;
                self.warnings.push(format!(
                    "Group members were not synced: the organization's plan does not allow listing them (a Business, Enterprise or higher plan is required). The API said: {}",
                    api_message(error)
                ));
                if let Some(c) = &self.crawlers {
                    c.group_members.do_send(SkipPending);
                }
            }
            return;
        }
        self.failures.push(ListFailure {
            crawler: msg.crawler,
            endpoint: msg.endpoint,
            path: msg.path.clone(),
            status: error.status(),
            message: error.to_string(),
            permission_denied: error.is_forbidden(),
        });
    }

    fn fail(&mut self, error: SyncError, ctx: &mut Context<Self>) {
        self.finishing = true;
        if let Some(reply) = self.reply.take() {
            let _ = reply.send(Err(error));
        }
        ctx.stop();
    }

    fn maybe_finish(&mut self, ctx: &mut Context<Self>) {
        if self.outstanding > 0 || self.finishing || self.reply.is_none() {
            return;
        }
        self.finishing = true;
        let collector = self.collector.clone();
        let client = self.client.clone();
        let failures = std::mem::take(&mut self.failures);
        let warnings = std::mem::take(&mut self.warnings);
        let progress = self.progress.clone();
        let started = self.started;
        let reply = self.reply.take();
        ctx.spawn(
            async move {
                let outcome = match collector.send(TakeGraph).await {
                    Ok(c) => Ok(SyncOutcome {
                        graph: c.graph,
                        report: c.report,
                        failures,
                        warnings,
                        requests: client.stats().snapshot(),
                        rates: client.throttle().rates(),
                        limits: client.throttle().known_limits(),
                        progress,
                        duration: started.elapsed(),
                        merge_time: c.merge_time,
                        finish_time: c.finish_time,
                        facts_received: c.facts_received,
                    }),
                    Err(_) => Err(SyncError::Stopped),
                };
                if let Some(reply) = reply {
                    let _ = reply.send(outcome);
                }
            }
            .into_actor(self),
        );
    }
}

/// The API's own message, without our endpoint prefix.
fn api_message(e: &ApiError) -> String {
    match e {
        ApiError::Status { message, .. } => message.clone(),
        ApiError::GaveUp { last, .. } => api_message(last),
        other => other.to_string(),
    }
}

impl Actor for SyncCoordinator {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        let me = ctx.address();
        let sinks = Sinks {
            facts: self.collector.clone().recipient(),
            work: me.clone().recipient(),
            finished: me.recipient(),
        };
        let client = self.client.clone();
        macro_rules! start {
            () => {
                Crawler::new(client.clone(), sinks.clone()).start()
            };
        }
        self.crawlers = Some(Crawlers {
            users: start!(),
            invites: start!(),
            org_roles: start!(),
            groups: start!(),
            group_members: start!(),
            group_roles: start!(),
            user_roles: start!(),
            projects: start!(),
            project_users: start!(),
            service_accounts: start!(),
            api_keys: start!(),
            project_groups: start!(),
            project_roles: start!(),
            project_user_roles: start!(),
            project_group_roles: start!(),
        });
    }
}

impl Handler<StartSync> for SyncCoordinator {
    type Result = ResponseFuture<Result<SyncOutcome, SyncError>>;

    fn handle(&mut self, _: StartSync, _: &mut Context<Self>) -> Self::Result {
        let (tx, rx) = oneshot::channel();
        self.reply = Some(tx);
        self.started = Instant::now();
        if let Some(c) = &self.crawlers {
            // The user list goes first and alone: its first page proves the key before
            // anything else is crawled, and it is the longest chain of dependent pages.
            Self::crawl(&mut self.outstanding, &c.users, Org);
        }
        Box::pin(async move { rx.await.unwrap_or(Err(SyncError::Stopped)) })
    }
}

impl Handler<WorkFound> for SyncCoordinator {
    type Result = ();

    fn handle(&mut self, msg: WorkFound, _: &mut Context<Self>) {
        if self.finishing {
            return;
        }
        for w in msg.0 {
            self.dispatch(w);
        }
    }
}

impl Handler<CrawlFinished> for SyncCoordinator {
    type Result = ();

    fn handle(&mut self, msg: CrawlFinished, ctx: &mut Context<Self>) {
        if self.finishing {
            return;
        }
        self.outstanding = self.outstanding.saturating_sub(1);
        let p = self.progress.crawlers.entry(msg.crawler).or_default();
        p.crawls_done += 1;
        p.pages += msg.pages as u64;
        p.items += msg.items as u64;
        if let CrawlOutcome::Failed(e) = &msg.outcome {
            p.failed += 1;
            self.record_failure(&msg, e, ctx);
        }
        self.maybe_finish(ctx);
    }
}

impl Handler<GetProgress> for SyncCoordinator {
    type Result = MessageResult<GetProgress>;

    fn handle(&mut self, _: GetProgress, _: &mut Context<Self>) -> Self::Result {
        let mut p = self.progress.clone();
        p.outstanding = self.outstanding;
        MessageResult(p)
    }
}
