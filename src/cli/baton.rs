//! The Baton connector command line: what `openai-access` does with no subcommand, as every
//! baton-sdk connector does. A sync to `--file` (default `sync.c1z`), or one provisioning action
//! named by baton-sdk's flags; every flag also read from its `BATON_*` variable.

use super::provision::{parse_entitlement, parse_grant};
use super::{C1Args, ProvisionArgs, SyncArgs};
use clap::Args;
use openai_access_actors::provisioner::{Entitlement, GrantRef};

#[derive(Args, Debug, Clone)]
pub struct BatonArgs {
    #[command(flatten)]
    pub sync: SyncArgs,

    #[command(flatten)]
    pub provision: ProvisionArgs,

    /// Provisioning: the entitlement to grant (with --grant-principal).
    #[arg(long, value_name = "ENTITLEMENT_ID", env = "BATON_GRANT_ENTITLEMENT", value_parser = parse_entitlement, requires = "grant_principal")]
    pub grant_entitlement: Option<Entitlement>,

    /// Provisioning: who receives it: a resource id (with --grant-principal-type), or TYPE:ID.
    #[arg(
        long,
        value_name = "ID",
        env = "BATON_GRANT_PRINCIPAL",
        requires = "grant_entitlement"
    )]
    pub grant_principal: Option<String>,

    /// Provisioning: the principal's resource type: user, group or service_account.
    #[arg(
        long,
        value_name = "TYPE",
        env = "BATON_GRANT_PRINCIPAL_TYPE",
        requires = "grant_principal"
    )]
    pub grant_principal_type: Option<String>,

    /// Provisioning: the grant to revoke (a grant id as the sync writes it).
    #[arg(long, value_name = "GRANT_ID", env = "BATON_REVOKE_GRANT", value_parser = parse_grant)]
    pub revoke_grant: Option<GrantRef>,

    /// Provisioning: create an account by inviting this email.
    #[arg(long, value_name = "EMAIL", env = "BATON_CREATE_ACCOUNT_EMAIL")]
    pub create_account_email: Option<String>,

    /// Provisioning: the account's login; an OpenAI account's login is its email, so this is
    /// taken as the email when --create-account-email is not given.
    #[arg(long, value_name = "LOGIN", env = "BATON_CREATE_ACCOUNT_LOGIN")]
    pub create_account_login: Option<String>,

    /// Provisioning: the account's profile, JSON: {"role": "reader"|"owner", "projects":
    /// ["PROJECT_ID:member", "PROJECT_ID:owner"]}; the role defaults to reader.
    #[arg(long, value_name = "JSON", env = "BATON_CREATE_ACCOUNT_PROFILE")]
    pub create_account_profile: Option<String>,

    /// Provisioning: the id of a resource to delete (with --delete-resource-type).
    #[arg(
        long,
        value_name = "ID",
        env = "BATON_DELETE_RESOURCE",
        requires = "delete_resource_type"
    )]
    pub delete_resource: Option<String>,

    /// Provisioning: the type of the resource to delete: user (deprovision) or invite.
    #[arg(
        long,
        value_name = "TYPE",
        env = "BATON_DELETE_RESOURCE_TYPE",
        requires = "delete_resource"
    )]
    pub delete_resource_type: Option<String>,

    /// ConductorOne's service mode: with a client id and secret, the connector runs as a
    /// service connected to ConductorOne (as `serve`, without the local HTTP API).
    #[command(flatten)]
    pub c1: C1Args,
}

/// Arguments whose values are secrets: `config` shows them as set or not, never their value.
pub const SECRET_ARGS: [&str; 2] = ["admin_key", "client_secret"];
