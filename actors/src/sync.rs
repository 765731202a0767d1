//! Starting a full sync: the engine's entry point for callers that want a finished graph.

use crate::api::{AdminClient, ApiError, ClientConfig};
use crate::collector::GrantCollector;
use crate::coordinator::{
    GetProgress, Progress, StartSync, SyncCoordinator, SyncError, SyncOutcome,
};
use actix::prelude::*;

/// Everything a sync needs.
#[derive(Clone, Debug)]
pub struct SyncConfig {
    pub client: ClientConfig,
    /// The organization's resource id; else derived from predefined role ids, else `org`.
    pub org_id: Option<crate::ids::OrgId>,
}

/// Why a sync did not produce a graph.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Sync(#[from] SyncError),
}

/// A started sync. Call inside an actix system (see [`crate::runtime::block_on`]). Cheap to
/// clone: clones watch the same sync.
#[derive(Clone)]
pub struct SyncRun {
    coordinator: Addr<SyncCoordinator>,
}

impl SyncRun {
    pub fn start(config: SyncConfig) -> Result<Self, ApiError> {
        let client = AdminClient::new(config.client)?;
        let collector = GrantCollector::new(config.org_id).start();
        let coordinator = SyncCoordinator::new(client.clone(), collector).start();
        Ok(Self { coordinator })
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
