//! Grant-graph objects → `c1.connector.v2` messages (baton-model.md §1). Pure functions.

use super::proto::{self, AnyType};
use openai_access_actors::graph::{
    self as g, AccountType, GrantGraph, Purpose, ResourceKey, TraitKind, Traits, UserStatus,
};
use std::collections::BTreeMap;

pub fn resource_id(key: &ResourceKey) -> proto::ResourceId {
    proto::ResourceId {
        resource_type: key.resource_type.as_str().to_owned(),
        resource: key.id.to_string(),
        baton_resource: false,
    }
}

pub fn resource_type(rt: g::ResourceType) -> proto::ResourceType {
    let t = match rt.trait_kind() {
        TraitKind::User => proto::TraitEnum::User,
        TraitKind::Group => proto::TraitEnum::Group,
        TraitKind::Role => proto::TraitEnum::Role,
        TraitKind::App => proto::TraitEnum::App,
        TraitKind::Secret => proto::TraitEnum::Secret,
    };
    proto::ResourceType {
        id: rt.as_str().to_owned(),
        display_name: rt.display_name().to_owned(),
        traits: vec![t as i32],
        ..Default::default()
    }
}

/// The full resource: trait annotation, profile (also in the trait's deprecated profile field,
/// which is where SDK v0.7.27 readers look: §1.1; a user's with Baton's name and id keys),
/// user status, secret creation time.
pub fn resource(r: &g::Resource) -> proto::Resource {
    let profile = (!r.profile.is_empty()).then(|| profile_struct(&r.profile));
    let mut status = None;
    let mut created_at = None;
    let annotation = match &r.traits {
        Traits::User {
            emails,
            status: user_status,
            account_type,
            login,
            last_activity,
        } => {
            let (user, res) = match user_status {
                UserStatus::Enabled => (
                    proto::UserStatusValue::Enabled,
                    proto::ResourceStatusValue::Enabled,
                ),
                UserStatus::Disabled => (
                    proto::UserStatusValue::Disabled,
                    proto::ResourceStatusValue::Disabled,
                ),
            };
            status = Some(proto::ResourceStatus {
                status: res as i32,
                details: String::new(),
            });
            proto::UserTrait {
                // The SDK's NewUserTrait marks the first address primary.
                emails: emails
                    .iter()
                    .enumerate()
                    .map(|(i, e)| proto::Email {
                        address: e.clone(),
                        is_primary: i == 0,
                    })
                    .collect(),
                status: Some(proto::UserStatus {
                    status: user as i32,
                    details: String::new(),
                }),
                profile: Some(user_profile(r)),
                account_type: match account_type {
                    AccountType::Human => proto::AccountType::Human,
                    AccountType::Service => proto::AccountType::Service,
                } as i32,
                login: login.clone().unwrap_or_default(),
                // Baton's nearest field for the last activity the API shows.
                last_login: last_activity.and_then(timestamp),
            }
            .to_any()
        }
        Traits::Group => proto::GroupTrait {
            profile: profile.clone(),
        }
        .to_any(),
        Traits::Role => proto::RoleTrait {
            profile: profile.clone(),
        }
        .to_any(),
        Traits::App => proto::AppTrait {
            profile: profile.clone(),
            ..Default::default()
        }
        .to_any(),
        Traits::Secret {
            identity,
            created_at: created,
            last_used_at,
            expires_at,
        } => {
            created_at = created.and_then(timestamp);
            proto::SecretTrait {
                profile: profile.clone(),
                created_at: created.and_then(timestamp),
                expires_at: expires_at.and_then(timestamp),
                last_used_at: last_used_at.and_then(timestamp),
                created_by_id: None,
                identity_id: identity.as_ref().map(resource_id),
            }
            .to_any()
        }
    };
    proto::Resource {
        id: Some(resource_id(&r.key())),
        parent_resource_id: r.parent.as_ref().map(resource_id),
        display_name: r.display_name.clone(),
        annotations: vec![annotation],
        description: r.description.clone(),
        baton_resource: false,
        profile,
        status,
        created_at,
    }
}

/// A user trait's profile: the resource's, plus the three keys `baton export` (csv, xlsx) reads
/// from it for its First Name, Last Name and User ID columns: the name split at its first
/// space, and the resource id. Only in the trait, so the resource's profile stays the JSON's.
fn user_profile(r: &g::Resource) -> proto::Struct {
    let mut p = profile_struct(&r.profile);
    let name = r
        .profile
        .get("name")
        .and_then(|n| n.as_str())
        .map(str::trim);
    let (first, last) = match name {
        Some(n) => n.split_once(char::is_whitespace).unwrap_or((n, "")),
        None => ("", ""),
    };
    let text = |s: &str| proto::Value {
        kind: Some(proto::value::Kind::StringValue(s.to_owned())),
    };
    for (key, value) in [
        ("first_name", first.trim()),
        ("last_name", last.trim()),
        ("user_id", r.id.as_str()),
    ] {
        if !value.is_empty() {
            p.fields
                .entry(key.to_owned())
                .or_insert_with(|| text(value));
        }
    }
    p
}

/// The entitlement with its full resource embedded (the SDK's `NewAssignmentEntitlement` shape).
/// Its exclusive choice only for readers that resolve `EntitlementExclusionGroup` (§ Readers).
pub fn entitlement(
    e: &g::Entitlement,
    res: proto::Resource,
    readers: super::Readers,
) -> proto::Entitlement {
    proto::Entitlement {
        resource: Some(res),
        id: e.id.to_string(),
        display_name: e.display_name.clone(),
        description: e.description.clone(),
        grantable_to: e.grantable_to.iter().map(|t| resource_type(*t)).collect(),
        annotations: e
            .exclusion
            .iter()
            .filter(|_| readers == super::Readers::NewerSdk)
            .map(|x| {
                // A project's choice is one group per project: Baton's scope_to_resource.
                let scoped = e.resource.resource_type == g::ResourceType::Project;
                proto::EntitlementExclusionGroup {
                    exclusion_group_id: if scoped {
                        "project_role".to_owned()
                    } else {
                        x.group.clone()
                    },
                    order: x.order,
                    is_default: x.default,
                    scope_to_resource: scoped,
                }
                .to_any()
            })
            .collect(),
        purpose: match e.purpose {
            Purpose::Assignment => proto::PurposeValue::Assignment,
            Purpose::Permission => proto::PurposeValue::Permission,
        } as i32,
        slug: e.slug.to_string(),
    }
}

/// What a grant embeds: the entitlement's id and full resource (as `grant.NewGrant` does).
pub fn entitlement_stub(id: &str, res: proto::Resource) -> proto::Entitlement {
    proto::Entitlement {
        resource: Some(res),
        id: id.to_owned(),
        ..Default::default()
    }
}

/// What a grant embeds for its principal: the id only (as `grant.NewGrant` does).
pub fn principal_stub(key: &ResourceKey) -> proto::Resource {
    proto::Resource {
        id: Some(resource_id(key)),
        ..Default::default()
    }
}

/// `Grant.sources` (§2): each entitlement the grant is inherited through, with `is_direct` as
/// the SDK's expander sets it — whether the principal holds that source entitlement directly —
/// plus the grant's own entitlement as `is_direct: true` when it is also held directly (the
/// expander's "record the direct grant" step). Purely direct grants carry no sources.
pub fn grant_sources(graph: &GrantGraph, grant: &g::Grant) -> Option<proto::GrantSources> {
    if grant.sources.is_empty() {
        return None;
    }
    let mut sources = BTreeMap::new();
    for src in &grant.sources {
        let is_direct = graph.is_held_directly(src, &grant.principal);
        sources.insert(src.to_string(), proto::GrantSource { is_direct });
    }
    if grant.direct {
        sources.insert(
            grant.entitlement.to_string(),
            proto::GrantSource { is_direct: true },
        );
    }
    Some(proto::GrantSources { sources })
}

/// Unix seconds → `google.protobuf.Timestamp`, or `None` for a time outside the range a
/// Timestamp may hold (0001-01-01 to 9999-12-31): a server's nonsense is left out, not
/// written where Baton's reader would reject the whole row.
pub fn timestamp(seconds: i64) -> Option<proto::Timestamp> {
    const MIN: i64 = -62_135_596_800;
    const MAX: i64 = 253_402_300_799;
    (MIN..=MAX)
        .contains(&seconds)
        .then_some(proto::Timestamp { seconds, nanos: 0 })
}

/// JSON profile → `google.protobuf.Struct`, the mapping of Go's `structpb.NewStruct`.
pub fn profile_struct(profile: &BTreeMap<String, serde_json::Value>) -> proto::Struct {
    proto::Struct {
        fields: profile
            .iter()
            .map(|(k, v)| (k.clone(), json_value(v)))
            .collect(),
    }
}

fn json_value(v: &serde_json::Value) -> proto::Value {
    use proto::value::Kind;
    use serde_json::Value as J;
    let kind = match v {
        J::Null => Kind::NullValue(0),
        J::Bool(b) => Kind::BoolValue(*b),
        // Struct numbers are doubles; large integers lose precision exactly as in Go.
        J::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or_default()),
        J::String(s) => Kind::StringValue(s.clone()),
        J::Array(items) => Kind::ListValue(proto::ListValue {
            values: items.iter().map(json_value).collect(),
        }),
        J::Object(map) => Kind::StructValue(proto::Struct {
            fields: map
                .iter()
                .map(|(k, v)| (k.clone(), json_value(v)))
                .collect(),
        }),
    };
    proto::Value { kind: Some(kind) }
}

/// `google.protobuf.Value` → JSON, the inverse of [`profile_struct`]'s mapping: the writer's
/// integers (timestamps, counts) come back as integers.
pub fn value_json(v: &proto::Value) -> serde_json::Value {
    use proto::value::Kind;
    match &v.kind {
        None | Some(Kind::NullValue(_)) => serde_json::Value::Null,
        Some(Kind::BoolValue(b)) => (*b).into(),
        Some(Kind::NumberValue(n)) if n.fract() == 0.0 && n.abs() < 9.0e15 => (*n as i64).into(),
        Some(Kind::NumberValue(n)) => (*n).into(),
        Some(Kind::StringValue(s)) => s.clone().into(),
        Some(Kind::ListValue(l)) => l.values.iter().map(value_json).collect(),
        Some(Kind::StructValue(s)) => struct_json(s),
    }
}

/// `google.protobuf.Struct` → a JSON object.
pub fn struct_json(s: &proto::Struct) -> serde_json::Value {
    serde_json::Value::Object(
        s.fields
            .iter()
            .map(|(k, v)| (k.clone(), value_json(v)))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_a_timestamp_cannot_hold_are_left_out() {
        assert_eq!(
            timestamp(1_700_000_000).map(|t| t.seconds),
            Some(1_700_000_000)
        );
        assert_eq!(timestamp(253_402_300_800), None, "year 10000");
        assert_eq!(timestamp(i64::MAX), None);
        assert_eq!(timestamp(i64::MIN), None);
    }
}
