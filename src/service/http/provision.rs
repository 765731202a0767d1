//! The provisioning routes: the CLI's commands as JSON requests, sent to the same engine
//! `Provisioner` as the same messages, with the same switch, refusals, dry runs and
//! idempotency. A change that was made is read back at once (a sync asked for right away),
//! so the next query shows it without waiting for the schedule.

use super::AppState;
use super::error::Failure;
use crate::service::refresher::SyncNow;
use crate::settings::PROVISIONING_DISABLED as DISABLED;
use actix::prelude::*;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use openai_access_actors::ids::{InviteId, ProjectId, UserId};
use openai_access_actors::provisioner::{
    CreateAccount, DeleteAccount, DeleteInvite, Grant, OrgRoleName, Overrides, ProvisionError,
    ProvisionOutcome, Provisioner, Revoke, TargetError,
};
use serde::Deserialize;
use serde_json::json;

type Answer = Result<HttpResponse, Failure>;

/// What every request may add: a dry run, and the guards a person passes on purpose (the
/// CLI's `--allow-self-lockout`, `--allow-scim-override`).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Flags {
    #[serde(default)]
    dry_run: bool,
    #[serde(default)]
    allow_self_lockout: bool,
    #[serde(default)]
    allow_scim_override: bool,
}

impl Flags {
    fn overrides(&self) -> Overrides {
        Overrides {
            self_lockout: self.allow_self_lockout,
            scim: self.allow_scim_override,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantBody {
    entitlement: String,
    principal: String,
    #[serde(flatten)]
    flags: Flags,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeBody {
    grant: String,
    #[serde(flatten)]
    flags: Flags,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateAccountBody {
    email: String,
    role: String,
    /// `PROJECT_ID:owner|member`, as `create-account --project`.
    #[serde(default)]
    projects: Vec<String>,
    #[serde(flatten)]
    flags: Flags,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteAccountBody {
    user: String,
    #[serde(flatten)]
    flags: Flags,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteInviteBody {
    invite: String,
    #[serde(flatten)]
    flags: Flags,
}

fn invalid(e: impl std::fmt::Display) -> Failure {
    Failure::new(StatusCode::BAD_REQUEST, "invalid_id", e.to_string())
}

pub async fn grant(state: web::Data<AppState>, body: web::Json<GrantBody>) -> Answer {
    let b = body.into_inner();
    let msg = Grant {
        entitlement: b
            .entitlement
            .parse()
            .map_err(|e: ProvisionError| invalid(e))?,
        principal: b
            .principal
            .parse()
            .map_err(|e: ProvisionError| invalid(e))?,
        dry_run: b.flags.dry_run,
    };
    execute(&state, "grant", &b.flags, msg).await
}

pub async fn revoke(state: web::Data<AppState>, body: web::Json<RevokeBody>) -> Answer {
    let b = body.into_inner();
    let msg = Revoke {
        grant: b.grant.parse().map_err(|e: ProvisionError| invalid(e))?,
        dry_run: b.flags.dry_run,
    };
    execute(&state, "revoke", &b.flags, msg).await
}

pub async fn create_account(
    state: web::Data<AppState>,
    body: web::Json<CreateAccountBody>,
) -> Answer {
    let b = body.into_inner();
    let email = b.email.trim().to_owned();
    if email.is_empty() {
        return Err(Failure::bad_request("email must not be empty"));
    }
    let role: OrgRoleName = b
        .role
        .parse()
        .map_err(|e: TargetError| Failure::bad_request(e.to_string()))?;
    let projects = b
        .projects
        .iter()
        .map(|p| crate::cli::parse_invite_project(p))
        .collect::<Result<Vec<(ProjectId, _)>, _>>()
        .map_err(|e| Failure::bad_request(e.to_string()))?;
    let msg = CreateAccount {
        email,
        role,
        projects,
        dry_run: b.flags.dry_run,
    };
    execute(&state, "create_account", &b.flags, msg).await
}

pub async fn delete_account(
    state: web::Data<AppState>,
    body: web::Json<DeleteAccountBody>,
) -> Answer {
    let b = body.into_inner();
    let msg = DeleteAccount {
        user: UserId::new(b.user.trim()).map_err(invalid)?,
        dry_run: b.flags.dry_run,
    };
    execute(&state, "delete_account", &b.flags, msg).await
}

pub async fn delete_invite(
    state: web::Data<AppState>,
    body: web::Json<DeleteInviteBody>,
) -> Answer {
    let b = body.into_inner();
    let msg = DeleteInvite {
        invite: InviteId::new(b.invite.trim()).map_err(invalid)?,
        dry_run: b.flags.dry_run,
    };
    execute(&state, "delete_invite", &b.flags, msg).await
}

/// Checks the switch, sends `msg` to the `Provisioner` with the request's guards, and, when
/// something changed, waits (up to `--refresh-wait`) for the sync that reads it back.
async fn execute<M>(state: &AppState, action: &'static str, flags: &Flags, msg: M) -> Answer
where
    M: Message<Result = Result<ProvisionOutcome, ProvisionError>> + Send + 'static,
    Provisioner: Handler<M>,
{
    // A dry run changes nothing, so it needs no switch (as on the command line).
    if !state.provisioning && !flags.dry_run {
        state.shared.count_provisioning(action, "disabled");
        return Err(Failure::new(
            StatusCode::FORBIDDEN,
            "provisioning_disabled",
            DISABLED,
        ));
    }
    let reply = state
        .provisioner(flags.overrides())
        .send(msg)
        .await
        .unwrap_or(Err(ProvisionError::Stopped));
    let outcome = match reply {
        Ok(o) => o,
        Err(e) => {
            let result = match &e {
                ProvisionError::Refused(_) => "refused",
                e if e.is_usage() => "invalid",
                _ => "failed",
            };
            state.shared.count_provisioning(action, result);
            tracing::warn!(action, error = %e, "Provisioning request not done.");
            return Err(e.into());
        }
    };
    let result = if outcome.dry_run {
        "dry_run"
    } else if outcome.result.changes() {
        "changed"
    } else {
        "unchanged"
    };
    state.shared.count_provisioning(action, result);
    tracing::info!(action, result, outcome = %outcome.result.as_str(), "Provisioning request done.");
    let refresh = if result == "changed" {
        let asked = state
            .refresher
            .send(SyncNow {
                full: false,
                why: format!("{action}: {}", outcome.action),
                touched: outcome.calls.clone(),
                upload: None,
            })
            .await;
        match asked {
            Ok(rx) => match tokio::time::timeout(state.refresh_wait, rx).await {
                Ok(Ok(record)) => json!({
                    "visible": record.result == crate::service::served::SyncResult::Ok,
                    "sync": record,
                }),
                _ => json!({
                    "visible": false,
                    "note": "the sync that reads the change back has not ended yet; it is visible once it does (see /api/v1/syncs)",
                }),
            },
            Err(_) => json!({"visible": false, "note": "the service is stopping"}),
        }
    } else {
        serde_json::Value::Null
    };
    Ok(HttpResponse::Ok().json(json!({"outcome": outcome, "refresh": refresh})))
}
