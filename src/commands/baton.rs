//! No subcommand: `openai-access` as a Baton connector. One provisioning action when its flags
//! are given, else a full sync to `--file`; and `capabilities`, Baton's description of what
//! the connector does.

use crate::cli::{
    BatonArgs, CreateAccountArgs, DeleteAccountArgs, DeleteAdminKeyArgs, DeleteInviteArgs,
    GrantArgs, RevokeArgs,
};
use crate::exit::CliError;
use openai_access_actors::graph::{ResourceType, TraitKind};
use openai_access_actors::ids::ProjectId;
use openai_access_actors::provisioner::{AccountProfile, OrgRoleName, Principal, ProjectSlug};
use serde_json::{Value, json};
use std::io::Write;

pub fn run(args: BatonArgs) -> Result<crate::exit::Exit, CliError> {
    // With ConductorOne's credentials a Baton connector runs as a service connected to it
    // (the SDK's daemon mode); a provisioning flag beside them is one action, as without.
    let acts = args.grant_entitlement.is_some()
        || args.revoke_grant.is_some()
        || args.create_account_email.is_some()
        || args.create_account_login.is_some()
        || args.delete_resource.is_some();
    if args.c1.given() && !acts {
        return crate::service::run(service_args(args)?);
    }
    let connect = args.sync.connect.clone();
    let provision = args.provision.clone();
    let actions = [
        args.grant_entitlement.is_some(),
        args.revoke_grant.is_some(),
        args.create_account_email.is_some() || args.create_account_login.is_some(),
        args.delete_resource.is_some(),
    ];
    if actions.iter().filter(|a| **a).count() > 1 {
        return Err(CliError::usage(
            "one provisioning action at a time: --grant-entitlement, --revoke-grant, --create-account-email or --delete-resource",
        ));
    }
    if let (Some(entitlement), Some(id)) = (args.grant_entitlement, &args.grant_principal) {
        return super::provision::grant(GrantArgs {
            entitlement,
            principal: principal(args.grant_principal_type.as_deref(), id)?,
            provision,
            connect,
        });
    }
    if let Some(grant) = args.revoke_grant {
        return super::provision::revoke(RevokeArgs {
            grant,
            provision,
            connect,
        });
    }
    if let Some(email) = args.create_account_email.or_else(|| {
        args.create_account_login
            .clone()
            .filter(|l| l.contains('@'))
    }) {
        let (role, projects) = profile(args.create_account_profile.as_deref())?;
        return super::provision::create_account(CreateAccountArgs {
            email,
            role,
            projects,
            provision,
            connect,
        });
    }
    if args.create_account_login.is_some() {
        return Err(CliError::usage(
            "--create-account-login: an OpenAI account's login is its email; give an email (or --create-account-email)",
        ));
    }
    if let (Some(id), Some(kind)) = (&args.delete_resource, &args.delete_resource_type) {
        let bad = |e: openai_access_actors::ids::UnsafeId| {
            CliError::usage(format!("--delete-resource: {e}"))
        };
        return match kind.as_str() {
            "user" => super::provision::delete_account(DeleteAccountArgs {
                user: id.parse().map_err(bad)?,
                provision,
                connect,
            }),
            "invite" => super::provision::delete_invite(DeleteInviteArgs {
                invite: id.parse().map_err(bad)?,
                provision,
                connect,
            }),
            "admin_api_key" => super::provision::delete_admin_key(DeleteAdminKeyArgs {
                key: id.parse().map_err(bad)?,
                provision,
                connect,
            }),
            other => Err(CliError::usage(format!(
                "--delete-resource-type {other:?}: only user (deprovision), invite and admin_api_key resources can be deleted"
            ))),
        };
    }
    super::sync::run(args.sync)
}

/// `serve`'s settings for the Baton mode connected to ConductorOne: its own `BATON_*`
/// variables and defaults (as `serve` reads them), the connection, output, state, provisioning
/// switch and ConductorOne flags given here, and no local API (a Baton connector has none).
fn service_args(args: BatonArgs) -> Result<crate::cli::ServeArgs, CliError> {
    use clap::{Args, FromArgMatches};
    let cmd = crate::cli::ServeArgs::augment_args(clap::Command::new("serve"));
    let matches = cmd
        .try_get_matches_from(["serve"])
        .map_err(|e| CliError::usage(e.to_string()))?;
    let mut serve = crate::cli::ServeArgs::from_arg_matches(&matches)
        .map_err(|e| CliError::usage(e.to_string()))?;
    serve.connect = args.sync.connect;
    serve.out = Some(
        args.sync
            .out
            .unwrap_or_else(|| crate::output::target::DEFAULT_OUT.into()),
    );
    serve.format = args.sync.format;
    if let Some(state) = args.sync.state {
        serve.state_dir = Some(state);
    }
    serve.provisioning = args.provision.provisioning;
    serve.c1 = args.c1;
    if std::env::var_os("BATON_LISTEN").is_none() {
        serve.listen = crate::service::LISTEN_OFF.to_owned();
    }
    Ok(serve)
}

/// `--grant-principal` with its type: `user` + `user-abc`, or already `user:user-abc`.
fn principal(kind: Option<&str>, id: &str) -> Result<Principal, CliError> {
    let full = match kind {
        Some(k) => format!("{k}:{id}"),
        None if id.contains(':') => id.to_owned(),
        None => {
            return Err(CliError::usage(format!(
                "--grant-principal {id:?} needs --grant-principal-type (user, group or service_account), or the form TYPE:ID"
            )));
        }
    };
    full.parse()
        .map_err(|e| CliError::usage(format!("--grant-principal: {e}")))
}

/// `--create-account-profile` JSON: the org role (default reader) and projects to join.
fn profile(json: Option<&str>) -> Result<(OrgRoleName, Vec<(ProjectId, ProjectSlug)>), CliError> {
    let bad = |why: String| CliError::usage(format!("--create-account-profile: {why}"));
    let Some(json) = json else {
        return Ok((OrgRoleName::Reader, Vec::new()));
    };
    let v: Value = serde_json::from_str(json).map_err(|e| bad(e.to_string()))?;
    let p = AccountProfile::from_json(&v).map_err(|e| bad(e.to_string()))?;
    Ok((p.role, p.projects))
}

/// Baton's capabilities of this connector, as `baton-sdk`'s `capabilities` command prints them
/// (protojson of an `Any` holding `c1.connector.v2.ConnectorCapabilities`); the same
/// definitions are given to ConductorOne in Hello (`service::c1::metadata`).
pub fn capabilities() -> Result<crate::exit::Exit, CliError> {
    use crate::service::c1::metadata::{
        CONNECTOR_CAPABILITIES, capability_name, resource_capabilities,
    };
    let names = |caps: &[crate::c1::proto::Capability]| -> Vec<&'static str> {
        caps.iter().map(|c| capability_name(*c)).collect()
    };
    let types: Vec<Value> = ResourceType::ALL
        .into_iter()
        .map(|t| {
            json!({
                "resourceType": {
                    "id": t.as_str(),
                    "displayName": t.display_name(),
                    "traits": [trait_name(t.trait_kind())],
                },
                "capabilities": names(&resource_capabilities(t)),
            })
        })
        .collect();
    let doc = json!({
        "@type": "type.googleapis.com/c1.connector.v2.ConnectorCapabilities",
        "resourceTypeCapabilities": types,
        "connectorCapabilities": names(&CONNECTOR_CAPABILITIES),
        "credentialDetails": {
            "capabilityAccountProvisioning": {
                "supportedCredentialOptions": ["CAPABILITY_DETAIL_CREDENTIAL_OPTION_NO_PASSWORD"],
                "preferredCredentialOption": "CAPABILITY_DETAIL_CREDENTIAL_OPTION_NO_PASSWORD",
            }
        }
    });
    let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    writeln!(std::io::stdout().lock(), "{text}").map_err(|e| CliError::io("stdout", e))?;
    Ok(crate::exit::OK)
}

fn trait_name(t: TraitKind) -> &'static str {
    match t {
        TraitKind::User => "TRAIT_USER",
        TraitKind::Group => "TRAIT_GROUP",
        TraitKind::Role => "TRAIT_ROLE",
        TraitKind::App => "TRAIT_APP",
        TraitKind::Secret => "TRAIT_SECRET",
    }
}
