//! ConductorOne's service mode in `serve` (DESIGN §10): beside the local HTTP API, a
//! `TaskRunner` says Hello to ConductorOne and carries out the tasks it hands out, through the
//! same `Refresher` (a sync task uploads the graph of an up-to-date sync) and `Provisioner`
//! (grants, revokes, accounts, with the same guards) as the HTTP API. The wire protocol is
//! `crate::c1`; this module translates between it and the engine.
//!
//! | module     | holds                                                         |
//! |------------|---------------------------------------------------------------|
//! | `metadata` | what Hello says: capabilities, the account-creation schema    |
//! | `mapping`  | task messages to engine ids, outcomes to the SDK's responses  |
//! | `tasks`    | carrying out one task, and finishing it                       |
//! | `runner`   | the `TaskRunner` actor: Hello, polling, concurrency, stopping  |
//! | `log`      | the tasks' records (`/api/v1/tasks`, `/metrics`)              |

mod log;
mod mapping;
pub mod metadata;
mod runner;
mod tasks;

pub use log::{TaskLog, TaskRecord, TaskResult};
pub use runner::{StopTasks, TaskRunner};
pub use tasks::TaskContext;

use crate::c1::{C1Client, C1Config, ClientId, ClientSecret, Secret};
use crate::cli::C1Args;
use crate::exit::CliError;
use std::path::PathBuf;

/// What connecting to ConductorOne needs, checked before the service starts.
pub struct C1Setup {
    pub client: C1Client,
    pub concurrency: usize,
    pub temp_dir: PathBuf,
}

/// The ConductorOne connection `args` ask for: `None` without credentials; a usage error
/// (exit 2, before anything starts) for half of them or malformed ones. The secret is read
/// from `--client-secret-file`, else the flag or `BATON_CLIENT_SECRET`; never printed.
pub fn setup(args: &C1Args) -> Result<Option<C1Setup>, CliError> {
    if !args.given() {
        return Ok(None);
    }
    let Some(id) = args.client_id.as_deref() else {
        return Err(CliError::usage(
            "a ConductorOne client secret is set but no client id: give --client-id (BATON_CLIENT_ID) too",
        ));
    };
    let secret = match (&args.client_secret_file, &args.client_secret) {
        (Some(path), _) => {
            crate::settings::warn_if_others_can_read(path, "ConductorOne client secret");
            std::fs::read_to_string(path).map_err(|e| {
                CliError::usage(format!(
                    "cannot read --client-secret-file {}: {e}",
                    path.display()
                ))
            })?
        }
        (None, Some(s)) => s.clone(),
        (None, None) => {
            return Err(CliError::usage(
                "a ConductorOne client id is set but no client secret: give --client-secret-file FILE or BATON_CLIENT_SECRET",
            ));
        }
    };
    let secret = secret.trim();
    // Checked here so that a malformed id or secret says so at once, by name.
    ClientId::parse(id.trim())
        .map_err(|e| CliError::usage(format!("--client-id (BATON_CLIENT_ID): {e}")))?;
    ClientSecret::parse(secret)
        .map_err(|e| CliError::usage(format!("--client-secret (BATON_CLIENT_SECRET): {e}")))?;
    let config = C1Config::from_env(id.trim(), Secret::new(secret));
    let client = C1Client::new(config)
        .map_err(|e| CliError::usage(format!("ConductorOne settings: {e}")))?;
    let temp_dir = args.c1z_temp_dir.clone().unwrap_or_else(std::env::temp_dir);
    if !temp_dir.is_dir() {
        return Err(CliError::usage(format!(
            "--c1z-temp-dir {} is not a directory",
            temp_dir.display()
        )));
    }
    Ok(Some(C1Setup {
        client,
        concurrency: usize::from(args.task_concurrency),
        temp_dir,
    }))
}
