//! Provisioning against the stateful mock: every row of DESIGN §5 round-trips through a sync,
//! repeats are idempotent (no further mutation), the seed's refusals make no mutation, and the
//! binary's switch, dry runs and exit codes. The helpers here drive the provisioner and check
//! what a sync of the mock shows; each file holds one area.

mod accounts;
mod binary;
mod org_roles;
mod projects;
mod refusals;

use crate::support::*;
use actix::prelude::*;
use openai_access_actors::api::AdminClient;
use openai_access_actors::block_on;
use openai_access_actors::graph::{ResourceKey, ResourceType};
use openai_access_actors::ids::literal;
use openai_access_actors::provisioner::{
    CreateAccount, DeleteAccount, DeleteInvite, Grant, OrgRoleName, ProjectSlug, ProvisionError,
    ProvisionOutcome, ProvisionResult, Provisioner, Revoke,
};
use openai_access_mock::{KeyPermissions, MockConfig, MockServer, Preset};
use std::process::{Command, Output};

fn send<M>(url: &str, msg: M) -> Result<ProvisionOutcome, ProvisionError>
where
    M: Message<Result = Result<ProvisionOutcome, ProvisionError>> + Send + 'static,
    Provisioner: Handler<M>,
{
    let client = client_config(url);
    block_on(async move {
        let api = AdminClient::new(client).expect("client");
        Provisioner::new(&api)
            .start()
            .send(msg)
            .await
            .unwrap_or(Err(ProvisionError::Stopped))
    })
}

fn grant(
    url: &str,
    entitlement: &str,
    principal: &str,
) -> Result<ProvisionOutcome, ProvisionError> {
    send(
        url,
        Grant {
            entitlement: entitlement.parse().expect("entitlement"),
            principal: principal.parse().expect("principal"),
            dry_run: false,
        },
    )
}

fn revoke(url: &str, grant_id: &str) -> Result<ProvisionOutcome, ProvisionError> {
    send(
        url,
        Revoke {
            grant: grant_id.parse().expect("grant id"),
            dry_run: false,
        },
    )
}

fn has_grant(url: &str, id: &str) -> bool {
    sync_ok(url).graph.grant(id).is_some()
}

fn mutations(m: &MockServer) -> u64 {
    m.stats().mutations
}

/// Runs `f` and asserts it sent no mutation to the mock.
fn without_mutation<T>(m: &MockServer, f: impl FnOnce() -> T) -> T {
    let before = mutations(m);
    let out = f();
    assert_eq!(mutations(m), before, "no mutation may be sent");
    out
}

/// One row of DESIGN §5: grant → a sync shows it; grant again → already granted, no
/// mutation; revoke → a sync no longer shows it; revoke again → already revoked, no mutation.
/// Returns the grant's and the revoke's outcomes.
fn round_trip(
    m: &MockServer,
    entitlement: &str,
    principal: &str,
) -> (ProvisionOutcome, ProvisionOutcome) {
    let url = m.base_url();
    let id = format!("{entitlement}:{principal}");
    assert!(!has_grant(&url, &id), "{id} must not exist before the test");

    let granted = grant(&url, entitlement, principal).expect("grant");
    assert_eq!(granted.result, ProvisionResult::Granted, "{granted:?}");
    assert!(!granted.calls.is_empty());
    assert!(has_grant(&url, &id), "a sync shows {id} after the grant");

    let again = without_mutation(m, || {
        grant(&url, entitlement, principal).expect("grant again")
    });
    assert_eq!(again.result, ProvisionResult::AlreadyGranted, "{again:?}");
    assert!(again.calls.is_empty());

    let revoked = revoke(&url, &id).expect("revoke");
    assert_eq!(revoked.result, ProvisionResult::Revoked, "{revoked:?}");
    assert!(!has_grant(&url, &id), "a sync no longer shows {id}");

    let again = without_mutation(m, || revoke(&url, &id).expect("revoke again"));
    assert_eq!(again.result, ProvisionResult::AlreadyRevoked, "{again:?}");
    assert!(again.calls.is_empty());
    (granted, revoked)
}

fn paths(o: &ProvisionOutcome) -> Vec<String> {
    o.calls.iter().map(ToString::to_string).collect()
}

fn refused(m: &MockServer, r: Result<ProvisionOutcome, ProvisionError>, expect: &str) {
    let e = r.expect_err("must be refused");
    assert!(
        matches!(e, ProvisionError::Refused(_)),
        "a refusal, not {e:?}"
    );
    assert!(e.to_string().contains(expect), "{e}");
    assert_eq!(m.stats().mutations, 0, "no mutation request was sent");
}

fn bin() -> Command {
    let mut c = crate::support::bin();
    c.env("OPENAI_ADMIN_KEY", KEY);
    c
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn all(o: &Output) -> String {
    format!("{}{}", stdout(o), String::from_utf8_lossy(&o.stderr))
}

/// The tiny org, served, and its base URL: what almost every test starts from.
fn tiny() -> (MockServer, String) {
    let m = mock(Preset::Tiny);
    let url = m.base_url();
    (m, url)
}
