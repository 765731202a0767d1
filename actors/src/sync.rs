//! Starting a full sync: the engine's entry point for callers that want a finished graph.

use crate::api::{AdminClient, ApiError, ClientConfig};
use crate::collector::GrantCollector;
use crate::coordinator::{
    GetProgress, Progress, StartSync, SyncCoordinator, SyncError, SyncOutcome,
};
use crate::state::{Recorder, Replay, StateDir};
use actix::prelude::*;

/// Everything a sync needs.
#[derive(Clone, Debug)]
pub struct SyncConfig {
    pub client: ClientConfig,
    /// The organization's resource id; else derived from predefined role ids, else `org`.
    pub org_id: Option<crate::ids::OrgId>,
    /// Refuse the sync, once its top-level lists are read, when its plan says it takes
    /// longer than this (nothing beyond those lists is requested then).
    pub max_duration: Option<std::time::Duration>,
}

/// Why a sync did not produce a graph.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error(transparent)]
    State(#[from] crate::state::StateError),
}

/// A started sync. Call inside an actix system (see [`crate::runtime::block_on`]). Cheap to
/// clone: clones watch the same sync.
#[derive(Clone)]
pub struct SyncRun {
    coordinator: Addr<SyncCoordinator>,
}

/// What a sync keeps in a state directory: the lists it may replay instead of reading them,
/// and where each list it reads is stored as it completes (run `run` of the state database,
/// see [`crate::state`]).
pub struct Persistence {
    pub replay: Replay,
    pub state: StateDir,
    pub run: u64,
}

/// What a sync is for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Purpose {
    /// The grant graph (every sync a caller waits for).
    #[default]
    Graph,
    /// Only the lists, stored as they are read, at the lowest priority: a background
    /// reconciliation, whose graph is assembled by the next sync from what it stored.
    Lists,
}

impl SyncRun {
    pub fn start(config: SyncConfig) -> Result<Self, ApiError> {
        Self::start_persisted(config, None)
    }

    /// [`SyncRun::start`], replaying and recording through a state directory.
    pub fn start_persisted(
        config: SyncConfig,
        persistence: Option<Persistence>,
    ) -> Result<Self, ApiError> {
        let client = AdminClient::new(config.client)?;
        Ok(Self::start_on(
            &client,
            config.org_id,
            config.max_duration,
            persistence,
        ))
    }

    /// A sync through a client that outlives it (a long-running service's): the throttle and
    /// what it learned carry over from sync to sync; the run counts its own requests.
    pub fn start_on(
        client: &AdminClient,
        org_id: Option<crate::ids::OrgId>,
        max_duration: Option<std::time::Duration>,
        persistence: Option<Persistence>,
    ) -> Self {
        Self::start_for(Purpose::Graph, client, org_id, max_duration, persistence)
    }

    /// [`SyncRun::start_on`] for `purpose`: [`Purpose::Lists`] sends every request at the
    /// lowest priority and assembles no graph.
    pub fn start_for(
        purpose: Purpose,
        client: &AdminClient,
        org_id: Option<crate::ids::OrgId>,
        max_duration: Option<std::time::Duration>,
        persistence: Option<Persistence>,
    ) -> Self {
        let client = match purpose {
            Purpose::Graph => client.for_run(),
            Purpose::Lists => client
                .for_run()
                .with_priority(crate::throttle::Priority::Background),
        };
        let collector = match purpose {
            Purpose::Graph => GrantCollector::new(org_id),
            Purpose::Lists => GrantCollector::discarding(),
        }
        .start();
        let (replay, recorder) = match persistence {
            Some(p) => {
                let recorder = Recorder::new(p.state, p.run).start();
                (
                    p.replay,
                    Some((recorder.clone().recipient(), recorder.recipient())),
                )
            }
            None => (Replay::default(), None),
        };
        let coordinator =
            SyncCoordinator::new(client.clone(), collector, replay, recorder, max_duration).start();
        Self { coordinator }
    }

    /// How far the sync is, while it runs (`None` once it ended).
    pub async fn progress(&self) -> Option<Progress> {
        self.coordinator.send(GetProgress).await.ok()
    }

    /// Runs the sync to its end.
    pub async fn finish(&self) -> Result<SyncOutcome, EngineError> {
        match self.coordinator.send(StartSync).await {
            Ok(r) => Ok(r?),
            Err(_) => Err(SyncError::Stopped.into()),
        }
    }
}

/// Starts a sync and waits for it.
pub async fn sync(config: SyncConfig) -> Result<SyncOutcome, EngineError> {
    SyncRun::start(config)?.finish().await
}
