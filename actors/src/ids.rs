//! Newtype ids, so a user id can never be passed where a project id is expected, and so no id
//! can change which endpoint a request goes to.
//!
//! Ids are opaque to us (the API's own examples mix `user_abc`, `user-abc` and ULIDs), but they
//! are placed in URL paths and in Baton ids, so every id is checked once, when it is made (from
//! the command line, a request body or a server's answer): it must be a single safe path
//! segment, 1 to [`MAX_ID_LEN`] of the URL-unreserved characters `A–Z a–z 0–9 - . _ ~`, and not
//! made only of dots (`.` and `..` would be collapsed by any URL library, turning
//! `DELETE /organization/roles/r/groups/..` into `DELETE /organization/roles/r`). Such an id
//! needs no percent-encoding, and it cannot hold the `:` and `/` that Baton ids use as
//! separators, so the ids built from it split back unambiguously.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The longest id accepted (real ids are under 64 characters).
pub const MAX_ID_LEN: usize = 256;

/// Why a string is not a usable id.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unsafe id {shown}: {reason}")]
pub struct UnsafeId {
    /// The id, quoted with control characters escaped and cut to a readable length.
    pub shown: String,
    pub reason: &'static str,
}

impl UnsafeId {
    /// Marks decoding errors caused by an unsafe id (serde carries only the message).
    pub const MARKER: &'static str = "unsafe id ";
}

/// Checks that `id` is a single safe path segment (see the module docs).
pub fn check_segment(id: &str) -> Result<(), UnsafeId> {
    let reason = if id.is_empty() {
        Some("an id cannot be empty")
    } else if id.len() > MAX_ID_LEN {
        Some("longer than 256 characters")
    } else if id.bytes().all(|b| b == b'.') {
        Some("`.` and `..` are path navigation, not ids")
    } else if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
    {
        Some("ids may hold only letters, digits and - . _ ~")
    } else {
        None
    };
    match reason {
        None => Ok(()),
        Some(reason) => Err(UnsafeId {
            shown: shown(id),
            reason,
        }),
    }
}

/// `id` quoted for a message: escaped, and cut after 80 characters.
fn shown(id: &str) -> String {
    let cut: String = id.chars().take(80).collect();
    let more = if cut.len() < id.len() { "…" } else { "" };
    format!("{cut:?}{more}")
}

/// A value that may stand in a URL path as one segment as it is: only the checked id types
/// implement it, so a path built from segments cannot be steered elsewhere.
pub trait Segment {
    fn segment(&self) -> &str;
}

macro_rules! id_newtype {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        ///
        /// Always a single safe path segment: it can only be made by [`Self::new`] (or parsed,
        /// or deserialized), which checks it.
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn new(id: impl Into<String>) -> Result<Self, UnsafeId> {
                let id = id.into();
                check_segment(&id)?;
                Ok(Self(id))
            }
            pub fn as_str(&self) -> &str { &self.0 }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(&self.0) }
        }
        impl TryFrom<String> for $name {
            type Error = UnsafeId;
            fn try_from(s: String) -> Result<Self, UnsafeId> { Self::new(s) }
        }
        impl FromStr for $name {
            type Err = UnsafeId;
            fn from_str(s: &str) -> Result<Self, UnsafeId> { Self::new(s) }
        }
        impl From<$name> for String {
            fn from(id: $name) -> String { id.0 }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str { &self.0 }
        }
        impl Segment for $name {
            fn segment(&self) -> &str { &self.0 }
        }
    )*};
}

id_newtype!(
    /// An org user id (`GET /organization/users`); project users share it.
    UserId,
    /// An invitation id.
    InviteId,
    /// A project id.
    ProjectId,
    /// A group id.
    GroupId,
    /// A role id: org roles (predefined or custom) or project roles.
    RoleId,
    /// A project service account id (unique within its project).
    ServiceAccountId,
    /// An admin API key id.
    AdminApiKeyId,
    /// A project API key id.
    ApiKeyId,
    /// The id of a principal an assignment source or a key owner names (a user, group or
    /// service account, by the object's own `type` field).
    PrincipalId,
    /// The organization's id (the `organization` resource's id).
    OrgId,
);

/// An id written in code (a test, a fixture, the mock's generator): checked like any other,
/// and a bad one is a bug, so it panics instead of returning an error.
pub fn literal<T: FromStr<Err = UnsafeId>>(id: impl AsRef<str>) -> T {
    match id.as_ref().parse() {
        Ok(id) => id,
        Err(e) => panic!("an id written in code is unsafe: {e}"),
    }
}

/// A checked user, group or service-account id is a checked principal id.
macro_rules! principal_from {
    ($($name:ident),*) => {$(
        impl From<&$name> for PrincipalId {
            fn from(id: &$name) -> PrincipalId { PrincipalId(id.0.clone()) }
        }
    )*};
}
principal_from!(UserId, GroupId, ServiceAccountId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dots_separators_and_odd_bytes_are_not_ids() {
        for bad in [
            "",
            ".",
            "..",
            "...",
            "a/b",
            "a:b",
            "a b",
            "a%2e",
            "a?b",
            "a#b",
            "line\nbreak",
            "nul\0",
            "\u{202e}rtl",
            "é",
        ] {
            assert!(check_segment(bad).is_err(), "{bad:?}");
            assert!(UserId::new(bad).is_err(), "{bad:?}");
        }
        assert!(check_segment(&"a".repeat(MAX_ID_LEN + 1)).is_err());
        for good in [
            "user-abc",
            "proj_1",
            "a.b",
            ".hidden",
            "role-api-organization-owner__api-organization__org-1",
            "01J9ZQ3K7A8B",
            "x~y",
        ] {
            assert_eq!(
                UserId::new(good).map(|u| u.to_string()),
                Ok(good.to_owned())
            );
        }
    }

    #[test]
    fn deserializing_an_unsafe_id_fails_with_the_marker() {
        let e = serde_json::from_str::<ProjectId>("\"..\"").expect_err("unsafe");
        assert!(e.to_string().starts_with(UnsafeId::MARKER), "{e}");
        let ok: ProjectId = serde_json::from_str("\"proj-1\"").expect("safe");
        assert_eq!(serde_json::to_string(&ok).expect("json"), "\"proj-1\"");
    }

    #[test]
    fn messages_escape_what_they_quote() {
        let e = check_segment("evil\nINFO forged line").expect_err("control char");
        assert!(!e.to_string().contains('\n'), "{e}");
        let long = check_segment(&"x".repeat(500)).expect_err("too long");
        assert!(long.to_string().len() < 200, "{long}");
    }
}
