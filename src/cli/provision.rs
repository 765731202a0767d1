//! The provisioning commands' flags, parsers and help.

use super::ConnectArgs;
use clap::Args;
use openai_access_actors::ids::{InviteId, ProjectId, UserId};
use openai_access_actors::provisioner::{
    Entitlement, GrantRef, OrgRoleName, Principal, ProjectSlug, ProvisionError, TargetError,
};

/// What every provisioning command's help ends with.
macro_rules! provisioning_help {
    () => {
        "Provisioning is off unless --provisioning (-p) or BATON_PROVISIONING=true is given; --dry-run\n\
works either way and changes nothing. Every command reads the current state first, so repeating\n\
it is safe: it reports \"already granted\" / \"already revoked\" and makes no change.\n\
Output: one line per API call made (or, with --dry-run, that would be made), then a result line;\n\
--json prints the result as JSON instead. Exit codes: 0 done (or nothing to do); 2 refused,\n\
invalid or provisioning disabled; 3 the API failed (its message is shown)."
    };
}

pub(super) const GRANT_HELP: &str = concat!(
    "Entitlement ids (Baton): role:owner|reader:assigned, role:<custom_role_id>:assigned,\n",
    "project:<project_id>:owner|member|viewer, project_role:<project_id>/<role_id>:assigned,\n",
    "group:<group_id>:member. Principals: user:<user_id>, group:<group_id>,\n",
    "service_account:<project_id>/<service_account_id>.\n\n",
    "Examples (against the embedded mock org):\n",
    "  openai-access grant --mock tiny -p --entitlement project:proj-beta:viewer --principal user:user-carol\n",
    "  openai-access grant --mock tiny -p --dry-run --entitlement project_role:proj-beta/role_beta_analyst:assigned --principal user:user-bob\n\n",
    provisioning_help!(),
);

pub(super) const REVOKE_HELP: &str = concat!(
    "Grant ids are <entitlement id>:<principal_type>:<principal_id>, as `sync` writes them.\n",
    "Revoking organization:<org>:member:user:<id> deletes the user; revoking role:owner:assigned\n",
    "makes the user a reader; reader itself cannot be revoked (delete the account instead).\n\n",
    "Example:\n",
    "  openai-access revoke --mock tiny -p --grant project:proj-alpha:viewer:user:user-carol\n\n",
    provisioning_help!(),
);

pub(super) const CREATE_HELP: &str = concat!(
    "Creates an invitation (the invitee becomes a user on accepting it). Projects are always\n",
    "sent, possibly empty, so the invitee joins exactly the projects listed.\n\n",
    "Example:\n",
    "  openai-access create-account --mock tiny -p --email new@tiny.example --role reader --project proj-alpha:member\n\n",
    provisioning_help!(),
);

pub(super) const DELETE_ACCOUNT_HELP: &str = concat!(
    "Example:\n",
    "  openai-access delete-account --mock tiny -p --user user-dave\n\n",
    provisioning_help!(),
);

pub(super) const DELETE_ADMIN_KEY_HELP: &str = concat!(
    "The key this connector runs with is refused unless --allow-self-lockout is given.\n\n",
    "Example:\n",
    "  openai-access delete-admin-key --mock tiny -p --key key_admin_erin\n\n",
    provisioning_help!(),
);

pub(super) const DELETE_INVITE_HELP: &str = concat!(
    "Accepted invitations cannot be deleted (delete the account instead).\n\n",
    "Example:\n",
    "  openai-access delete-invite --mock tiny -p --invite inv-pending\n\n",
    provisioning_help!(),
);

/// Flags every provisioning command shares.
#[derive(Args, Debug, Clone)]
pub struct ProvisionArgs {
    /// Allow changes. Without it (or BATON_PROVISIONING=true) nothing is changed.
    #[arg(short = 'p', long, env = "BATON_PROVISIONING", value_parser = super::values::go_bool, num_args = 0..=1, require_equals = false, default_missing_value = "true", default_value = "false", action = clap::ArgAction::Set)]
    pub provisioning: bool,

    /// Print the exact API calls that would be made, in order, and make none.
    #[arg(long, env = "BATON_DRY_RUN", value_parser = super::values::go_bool, num_args = 0..=1, require_equals = false, default_missing_value = "true", default_value = "false", action = clap::ArgAction::Set)]
    pub dry_run: bool,

    /// Demote or delete the owner of the admin key this connector runs with (the connector is
    /// then locked out). Refused without it.
    #[arg(long, env = "BATON_ALLOW_SELF_LOCKOUT", value_parser = super::values::go_bool, num_args = 0..=1, require_equals = false, default_missing_value = "true", default_value = "false", action = clap::ArgAction::Set)]
    pub allow_self_lockout: bool,

    /// Change the membership or existence of SCIM-managed users and groups (the identity
    /// provider may undo it). Refused without it.
    #[arg(long, env = "BATON_ALLOW_SCIM_OVERRIDE", value_parser = super::values::go_bool, num_args = 0..=1, require_equals = false, default_missing_value = "true", default_value = "false", action = clap::ArgAction::Set)]
    pub allow_scim_override: bool,

    /// Print the result as JSON on stdout (calls made, reads, notes, result).
    #[arg(long, env = "BATON_JSON", value_name = "BOOL", value_parser = super::values::go_bool, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", action = clap::ArgAction::Set)]
    pub json: bool,
}

pub(super) fn parse_entitlement(s: &str) -> Result<Entitlement, ProvisionError> {
    s.parse()
}

pub(super) fn parse_principal(s: &str) -> Result<Principal, ProvisionError> {
    s.parse()
}

pub(super) fn parse_grant(s: &str) -> Result<GrantRef, ProvisionError> {
    s.parse()
}

pub(super) fn parse_org_role(s: &str) -> Result<OrgRoleName, TargetError> {
    s.parse()
}

/// `PROJECT_ID:ROLE` with ROLE owner or member (what an invitation can give).
pub fn parse_invite_project(s: &str) -> Result<(ProjectId, ProjectSlug), TargetError> {
    openai_access_actors::provisioner::invite_project(s)
}

#[derive(Args, Debug)]
pub struct GrantArgs {
    /// The entitlement to grant, e.g. project:proj_1:member or role:owner:assigned.
    #[arg(long, visible_alias = "grant-entitlement", value_name = "ENTITLEMENT_ID", value_parser = parse_entitlement)]
    pub entitlement: Entitlement,

    /// Who receives it: user:<id>, group:<id> or service_account:<project_id>/<id>.
    #[arg(long, visible_alias = "grant-principal", value_name = "TYPE:ID", value_parser = parse_principal)]
    pub principal: Principal,

    #[command(flatten)]
    pub provision: ProvisionArgs,

    #[command(flatten)]
    pub connect: ConnectArgs,
}

#[derive(Args, Debug)]
pub struct RevokeArgs {
    /// The grant to revoke, e.g. project:proj_1:member:user:user-abc.
    #[arg(long, visible_alias = "revoke-grant", value_name = "GRANT_ID", value_parser = parse_grant)]
    pub grant: GrantRef,

    #[command(flatten)]
    pub provision: ProvisionArgs,

    #[command(flatten)]
    pub connect: ConnectArgs,
}

#[derive(Args, Debug)]
pub struct CreateAccountArgs {
    /// The invitee's email address.
    #[arg(long, value_name = "EMAIL")]
    pub email: String,

    /// Organization role: reader or owner.
    #[arg(long, value_name = "ROLE", value_parser = parse_org_role)]
    pub role: OrgRoleName,

    /// A project to join on acceptance, with its role (owner or member); repeatable.
    #[arg(long = "project", value_name = "PROJECT_ID:ROLE", value_parser = parse_invite_project)]
    pub projects: Vec<(ProjectId, ProjectSlug)>,

    #[command(flatten)]
    pub provision: ProvisionArgs,

    #[command(flatten)]
    pub connect: ConnectArgs,
}

#[derive(Args, Debug)]
pub struct DeleteAccountArgs {
    /// The user id to delete from the organization.
    #[arg(long, value_name = "USER_ID")]
    pub user: UserId,

    #[command(flatten)]
    pub provision: ProvisionArgs,

    #[command(flatten)]
    pub connect: ConnectArgs,
}

#[derive(Args, Debug)]
pub struct DeleteAdminKeyArgs {
    /// The admin API key id to delete (`admin_api_key` resources in a sync).
    #[arg(long, value_name = "KEY_ID")]
    pub key: openai_access_actors::ids::AdminApiKeyId,

    #[command(flatten)]
    pub provision: ProvisionArgs,

    #[command(flatten)]
    pub connect: ConnectArgs,
}

#[derive(Args, Debug)]
pub struct DeleteInviteArgs {
    /// The invitation id to delete.
    #[arg(long, value_name = "INVITE_ID")]
    pub invite: InviteId,

    #[command(flatten)]
    pub provision: ProvisionArgs,

    #[command(flatten)]
    pub connect: ConnectArgs,
}
