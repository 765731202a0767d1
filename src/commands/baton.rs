//! No subcommand: `openai-access` as a Baton connector. One provisioning action when its flags
//! are given, else a full sync to `--file`; and `capabilities`, Baton's description of what
//! the connector does.

use crate::cli::{
    BatonArgs, CreateAccountArgs, DeleteAccountArgs, DeleteAdminKeyArgs, DeleteInviteArgs,
    GrantArgs, RevokeArgs,
};
use crate::console;
use crate::exit::CliError;
use openai_access_actors::graph::{ResourceType, TraitKind};
use openai_access_actors::ids::ProjectId;
use openai_access_actors::provisioner::{OrgRoleName, Principal, ProjectSlug};
use serde_json::{Value, json};
use std::io::Write;

pub fn run(args: BatonArgs) -> Result<u8, CliError> {
    if args.client_id.is_some() || args.client_secret.is_some() {
        console::warn(crate::service::UPLOAD_UNSUPPORTED);
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
    let Some(obj) = v.as_object() else {
        return Err(bad("expected a JSON object".to_owned()));
    };
    if let Some(k) = obj
        .keys()
        .find(|k| !matches!(k.as_str(), "role" | "projects"))
    {
        return Err(bad(format!("unknown key {k:?} (expected role, projects)")));
    }
    let role = match obj.get("role") {
        None => OrgRoleName::Reader,
        Some(Value::String(r)) => r.parse().map_err(bad)?,
        Some(other) => return Err(bad(format!("role must be a string, not {other}"))),
    };
    let projects = match obj.get("projects") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|p| match p.as_str() {
                Some(s) => crate::cli::parse_invite_project(s).map_err(bad),
                None => Err(bad(format!("projects holds {p}, not PROJECT_ID:ROLE"))),
            })
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(bad(format!("projects must be an array, not {other}"))),
    };
    Ok((role, projects))
}

/// Baton's capabilities of this connector, as `baton-sdk`'s `capabilities` command prints them
/// (protojson of an `Any` holding `c1.connector.v2.ConnectorCapabilities`).
pub fn capabilities() -> Result<u8, CliError> {
    let types: Vec<Value> = ResourceType::ALL
        .into_iter()
        .map(|t| {
            json!({
                "resourceType": {
                    "id": t.as_str(),
                    "displayName": t.display_name(),
                    "traits": [trait_name(t.trait_kind())],
                },
                "capabilities": resource_capabilities(t),
            })
        })
        .collect();
    let doc = json!({
        "@type": "type.googleapis.com/c1.connector.v2.ConnectorCapabilities",
        "resourceTypeCapabilities": types,
        "connectorCapabilities": [
            "CAPABILITY_PROVISION",
            "CAPABILITY_SYNC",
            "CAPABILITY_ACCOUNT_PROVISIONING",
            "CAPABILITY_RESOURCE_DELETE",
        ],
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

/// What the connector does with each type: every type is synced; types with entitlements are
/// provisioned (grant and revoke); users are created by invitation and deleted; invitations
/// deleted.
fn resource_capabilities(t: ResourceType) -> Vec<&'static str> {
    let mut c = vec![];
    if !t.slugs().is_empty() {
        c.push("CAPABILITY_PROVISION");
    }
    c.push("CAPABILITY_SYNC");
    if t == ResourceType::User {
        c.push("CAPABILITY_ACCOUNT_PROVISIONING");
    }
    if matches!(t, ResourceType::User | ResourceType::Invite) {
        c.push("CAPABILITY_RESOURCE_DELETE");
    }
    c
}
