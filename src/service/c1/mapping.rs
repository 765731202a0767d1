//! ConductorOne's messages in the engine's terms and back: the entitlement, principal, grant
//! and resource a task names are the ids the `.c1z` wrote (Baton's conventions,
//! `<resource_type>:<resource_id>:<slug>`), parsed by the same rules as the CLI's; the
//! answers are the SDK's response messages.

use crate::c1::proto::{
    self, AccountInfo, Any, AnyType, CreateAccountResponse, GrantManagerServiceGrantResponse,
    GrantManagerServiceRevokeResponse, create_account_response,
};
use crate::output::c1z::convert;
use openai_access_actors::graph::{ResourceKey, ResourceType};
use openai_access_actors::provisioner::{
    AccountProfile, Entitlement, GrantRef, Principal, ProvisionOutcome, ProvisionResult,
};

/// Why a task could not be understood (finished non-retryable, as the SDK does a malformed
/// task).
#[derive(Debug, thiserror::Error)]
#[error("malformed {task} task: {why}")]
pub struct Malformed {
    pub task: &'static str,
    pub why: String,
}

fn malformed(task: &'static str, why: impl Into<String>) -> Malformed {
    Malformed {
        task,
        why: why.into(),
    }
}

/// `type:id` of a resource id.
fn key_text(id: &proto::ResourceId) -> String {
    format!("{}:{}", id.resource_type, id.resource)
}

/// The entitlement a grant task names: its id as the `.c1z` wrote it, or (an entitlement given
/// by its resource and slug alone) made from them.
pub fn entitlement(e: Option<&proto::Entitlement>) -> Result<Entitlement, Malformed> {
    let e = e.ok_or_else(|| malformed("grant", "no entitlement"))?;
    let id = if e.id.is_empty() {
        let rid = e
            .resource
            .as_ref()
            .and_then(|r| r.id.as_ref())
            .ok_or_else(|| malformed("grant", "an entitlement with neither id nor resource"))?;
        format!("{}:{}", key_text(rid), e.slug)
    } else {
        e.id.clone()
    };
    id.parse()
        .map_err(|err: openai_access_actors::provisioner::ProvisionError| {
            malformed("grant", err.to_string())
        })
}

/// The principal a grant task names.
pub fn principal(task: &'static str, r: Option<&proto::Resource>) -> Result<Principal, Malformed> {
    let id = r
        .and_then(|r| r.id.as_ref())
        .ok_or_else(|| malformed(task, "no principal"))?;
    key_text(id)
        .parse()
        .map_err(|e: openai_access_actors::provisioner::ProvisionError| {
            malformed(task, e.to_string())
        })
}

/// The grant a revoke task names: its id, or its entitlement and principal.
pub fn grant(g: Option<&proto::Grant>) -> Result<GrantRef, Malformed> {
    let g = g.ok_or_else(|| malformed("revoke", "no grant"))?;
    if !g.id.is_empty() {
        return g
            .id
            .parse()
            .map_err(|e: openai_access_actors::provisioner::ProvisionError| {
                malformed("revoke", e.to_string())
            });
    }
    Ok(GrantRef {
        entitlement: entitlement(g.entitlement.as_ref()).map_err(|e| malformed("revoke", e.why))?,
        principal: principal("revoke", g.principal.as_ref())?,
    })
}

/// The email and profile of an account to create: the primary email (else the first, else a
/// login that is an email: an OpenAI account's login is its email) and the profile's role and
/// projects (see `metadata::account_creation_schema`).
pub fn account(info: Option<&AccountInfo>) -> Result<(String, AccountProfile), Malformed> {
    let task = "create_account";
    let info = info.ok_or_else(|| malformed(task, "no account info"))?;
    let email = info
        .emails
        .iter()
        .find(|e| e.is_primary)
        .or_else(|| info.emails.first())
        .map(|e| e.address.clone())
        .or_else(|| Some(info.login.clone()).filter(|l| l.contains('@')))
        .ok_or_else(|| malformed(task, "no email (and a login that is not one)"))?;
    let profile = match &info.profile {
        None => AccountProfile::default(),
        Some(s) => AccountProfile::from_json(&convert::struct_json(s))
            .map_err(|why| malformed(task, format!("profile: {why}")))?,
    };
    Ok((email, profile))
}

/// The resource a delete task names.
pub fn deleted(id: Option<&proto::ResourceId>) -> Result<ResourceKey, Malformed> {
    let id = id.ok_or_else(|| malformed("delete_resource", "no resource id"))?;
    key_text(id)
        .parse()
        .map_err(|e: openai_access_actors::baton::BatonIdError| {
            malformed("delete_resource", e.to_string())
        })
}

/// `GrantAlreadyExists` / `GrantAlreadyRevoked` (annotation_grant.proto) when nothing had to
/// change, as the SDK's connectors say it.
fn idempotence(result: ProvisionResult) -> Vec<Any> {
    match result {
        ProvisionResult::AlreadyGranted => vec![proto::GrantAlreadyExists {}.to_any()],
        ProvisionResult::AlreadyRevoked => vec![proto::GrantAlreadyRevoked {}.to_any()],
        _ => Vec::new(),
    }
}

/// The grant made (or already there), as `GrantManagerServiceGrantResponse`.
pub fn grant_response(
    entitlement: &Entitlement,
    principal: &Principal,
    outcome: &ProvisionOutcome,
) -> GrantManagerServiceGrantResponse {
    let ent_id = entitlement.to_string();
    let who = principal.to_string();
    let annotations = idempotence(outcome.result);
    let grant = ent_id
        .parse::<openai_access_actors::graph::EntitlementId>()
        .ok()
        .and_then(|e| {
            let key: ResourceKey = who.parse().ok()?;
            Some(proto::Grant {
                id: format!("{ent_id}:{who}"),
                entitlement: Some(convert::entitlement_stub(
                    &ent_id,
                    convert::principal_stub(&e.resource),
                )),
                principal: Some(convert::principal_stub(&key)),
                ..Default::default()
            })
        });
    GrantManagerServiceGrantResponse {
        annotations,
        grants: grant.into_iter().collect(),
    }
}

pub fn revoke_response(outcome: &ProvisionOutcome) -> GrantManagerServiceRevokeResponse {
    GrantManagerServiceRevokeResponse {
        annotations: idempotence(outcome.result),
    }
}

/// The invitation made (or the account or invitation already there), as
/// `CreateAccountResponse`: the account is an invitation until it is accepted.
pub fn create_account_response(email: &str, outcome: &ProvisionOutcome) -> CreateAccountResponse {
    let resource = outcome.invite_id.as_deref().and_then(|id| {
        let key: ResourceKey = format!("{}:{id}", ResourceType::Invite.as_str())
            .parse()
            .ok()?;
        Some(proto::Resource {
            display_name: email.to_owned(),
            ..convert::principal_stub(&key)
        })
    });
    let result = match outcome.result {
        ProvisionResult::AlreadyMember | ProvisionResult::AlreadyInvited => {
            create_account_response::Result::AlreadyExists(
                create_account_response::AlreadyExistsResult {
                    resource,
                    is_create_account_result: true,
                },
            )
        }
        _ => create_account_response::Result::Success(create_account_response::SuccessResult {
            resource,
            is_create_account_result: true,
            invitation_expires_at: None,
        }),
    };
    CreateAccountResponse {
        result: Some(result),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rid(t: &str, r: &str) -> proto::ResourceId {
        proto::ResourceId {
            resource_type: t.to_owned(),
            resource: r.to_owned(),
            ..Default::default()
        }
    }

    #[test]
    fn ids_are_the_ones_the_c1z_wrote() {
        let e = proto::Entitlement {
            id: "project:proj-alpha:member".to_owned(),
            ..Default::default()
        };
        assert_eq!(
            entitlement(Some(&e)).expect("ok").to_string(),
            "project:proj-alpha:member"
        );
        let by_parts = proto::Entitlement {
            resource: Some(proto::Resource {
                id: Some(rid("group", "grp-eng")),
                ..Default::default()
            }),
            slug: "member".to_owned(),
            ..Default::default()
        };
        assert_eq!(
            entitlement(Some(&by_parts)).expect("ok").to_string(),
            "group:grp-eng:member"
        );
        let p = proto::Resource {
            id: Some(rid("service_account", "proj-alpha/svc-build")),
            ..Default::default()
        };
        assert_eq!(
            principal("grant", Some(&p)).expect("ok").to_string(),
            "service_account:proj-alpha/svc-build"
        );
        let g = proto::Grant {
            id: "group:grp-eng:member:user:user-bob".to_owned(),
            ..Default::default()
        };
        assert_eq!(
            grant(Some(&g)).expect("ok").principal.to_string(),
            "user:user-bob"
        );
        assert!(entitlement(None).is_err());
        assert!(principal("grant", Some(&proto::Resource::default())).is_err());
        let bad = proto::Entitlement {
            id: "project:../x:member".to_owned(),
            ..Default::default()
        };
        assert!(entitlement(Some(&bad)).is_err(), "unsafe ids are refused");
        assert_eq!(
            deleted(Some(&rid("invite", "inv-1")))
                .expect("ok")
                .to_string(),
            "invite:inv-1"
        );
    }
}
