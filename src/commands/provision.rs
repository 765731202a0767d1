//! `openai-access grant | revoke | create-account | delete-account | delete-invite`: one
//! provisioning request, sent to the engine's `Provisioner` as a message.

use crate::cli::{
    ConnectArgs, CreateAccountArgs, DeleteAccountArgs, DeleteAdminKeyArgs, DeleteInviteArgs,
    GrantArgs, ProvisionArgs, RevokeArgs,
};
use crate::exit::{self, CliError};
use crate::settings;
use actix::prelude::*;
use openai_access_actors::block_on;
use openai_access_actors::provisioner::{
    CreateAccount, DeleteAccount, DeleteAdminKey, DeleteInvite, Grant, Guard, Overrides,
    ProvisionError, ProvisionOutcome, Provisioner, Revoke,
};
use std::io::Write;

use crate::settings::PROVISIONING_DISABLED as DISABLED;

pub fn grant(args: GrantArgs) -> Result<exit::Exit, CliError> {
    let msg = Grant {
        entitlement: args.entitlement,
        principal: args.principal,
        dry_run: args.provision.dry_run,
    };
    execute(&args.provision, &args.connect, msg)
}

pub fn revoke(args: RevokeArgs) -> Result<exit::Exit, CliError> {
    let msg = Revoke {
        grant: args.grant,
        dry_run: args.provision.dry_run,
    };
    execute(&args.provision, &args.connect, msg)
}

pub fn create_account(args: CreateAccountArgs) -> Result<exit::Exit, CliError> {
    let email = args.email.trim().to_owned();
    if email.is_empty() {
        return Err(CliError::usage("--email must not be empty"));
    }
    let msg = CreateAccount {
        email,
        role: args.role,
        projects: args.projects,
        dry_run: args.provision.dry_run,
    };
    execute(&args.provision, &args.connect, msg)
}

pub fn delete_account(args: DeleteAccountArgs) -> Result<exit::Exit, CliError> {
    let msg = DeleteAccount {
        user: args.user,
        dry_run: args.provision.dry_run,
    };
    execute(&args.provision, &args.connect, msg)
}

pub fn delete_admin_key(args: DeleteAdminKeyArgs) -> Result<exit::Exit, CliError> {
    let msg = DeleteAdminKey {
        key: args.key,
        dry_run: args.provision.dry_run,
    };
    execute(&args.provision, &args.connect, msg)
}

pub fn delete_invite(args: DeleteInviteArgs) -> Result<exit::Exit, CliError> {
    let msg = DeleteInvite {
        invite: args.invite,
        dry_run: args.provision.dry_run,
    };
    execute(&args.provision, &args.connect, msg)
}

/// Checks the switch, connects, sends `msg` to a `Provisioner` and reports its reply.
fn execute<M>(flags: &ProvisionArgs, connect: &ConnectArgs, msg: M) -> Result<exit::Exit, CliError>
where
    M: Message<Result = Result<ProvisionOutcome, ProvisionError>> + Send + 'static,
    Provisioner: Handler<M>,
{
    // A dry run changes nothing, so it needs no switch.
    if !flags.provisioning && !flags.dry_run {
        return Err(CliError::usage(DISABLED));
    }
    let conn = settings::connect(connect)?;
    let provisioner = Provisioner::connect(conn.client.clone())
        .map_err(|e| CliError::usage(e.to_string()))?
        .with_overrides(Overrides {
            self_lockout: flags.allow_self_lockout,
            scim: flags.allow_scim_override,
        })
        .with_org(conn.org_id.clone());
    let reply = block_on(async move { provisioner.start().send(msg).await });
    drop(conn.mock);
    let result = reply.unwrap_or(Err(ProvisionError::Stopped));
    match result {
        Ok(outcome) => {
            print_outcome(&outcome, flags.json)?;
            Ok(exit::OK)
        }
        Err(e) => Err(failure(e, flags.json)),
    }
}

fn print_outcome(o: &ProvisionOutcome, json: bool) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    let write = |out: &mut std::io::StdoutLock<'_>, line: String| {
        writeln!(out, "{line}").map_err(|e| CliError::io("stdout", e))
    };
    if json {
        let text = serde_json::to_string_pretty(o).map_err(|e| CliError::io("json", e))?;
        return write(&mut out, text);
    }
    for n in &o.notes {
        eprintln!("note: {}", openai_access_actors::printable(n));
    }
    let prefix = if o.dry_run { "would call:" } else { "called:" };
    for c in &o.calls {
        write(&mut out, format!("{prefix} {c}"))?;
    }
    if let Some(old) = &o.replaces {
        // The roles are exclusive: the grant takes the place of another.
        write(&mut out, format!("replaces: {old}"))?;
    }
    write(&mut out, result_line(o))
}

/// The last line: what happened, to what, and how many mutations it took.
fn result_line(o: &ProvisionOutcome) -> String {
    let n = o.calls.len();
    let calls = |n: usize| {
        if n == 1 {
            "1 API call".to_owned()
        } else {
            format!("{n} API calls")
        }
    };
    let invite = o
        .invite_id
        .as_deref()
        .map(|i| format!(", invite {i}"))
        .unwrap_or_default();
    match (o.dry_run, o.result.changes()) {
        (true, true) => format!(
            "dry run: would be {} — {} ({} planned, none made{invite})",
            o.result.as_str(),
            o.action,
            calls(n)
        ),
        (true, false) => format!(
            "dry run: {} — {} (nothing to do{invite})",
            o.result.as_str(),
            o.action
        ),
        (false, true) => format!(
            "{} — {} ({}{invite})",
            o.result.as_str(),
            o.action,
            calls(n)
        ),
        (false, false) => format!("{} — {} (no change{invite})", o.result.as_str(), o.action),
    }
}

/// Refusals and bad ids exit 2; API failures exit 3 with the API's own message.
fn failure(e: ProvisionError, json: bool) -> CliError {
    let code = match &e {
        e if e.is_usage() => exit::USAGE,
        ProvisionError::Api { source, .. }
            if matches!(&**source, openai_access_actors::ApiError::Config(_)) =>
        {
            exit::USAGE
        }
        _ => exit::FATAL,
    };
    if json {
        let completed = match &e {
            ProvisionError::Api { completed, .. } => completed.clone(),
            _ => Vec::new(),
        };
        let v = serde_json::json!({
            "error": e.to_string(),
            "refused": matches!(e, ProvisionError::Refused(_)),
            "status": e.api_error().and_then(|a| a.status()),
            "code": e.api_error().and_then(|a| a.code()),
            "completed": completed,
        });
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&v).unwrap_or_default()
        );
    }
    let mut msg = e.to_string();
    match e.overridable() {
        Some(Guard::SelfLockout) => msg.push_str(" (--allow-self-lockout)"),
        Some(Guard::Scim) => msg.push_str(" (--allow-scim-override)"),
        None => {}
    }
    if e.api_error().is_some_and(|a| a.is_unauthorized()) {
        msg = crate::console::then(
            &msg,
            "Check OPENAI_ADMIN_KEY / BATON_OPENAI_ADMIN_KEY / --admin-key-file.",
        );
    } else if e.api_error().is_some_and(|a| a.is_forbidden()) {
        msg = crate::console::then(
            &msg,
            "The connector needs an Admin API key created with All permissions.",
        );
    }
    CliError {
        code,
        error: anyhow::anyhow!(msg),
    }
}
