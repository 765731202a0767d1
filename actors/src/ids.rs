//! Newtype ids, so a user id can never be passed where a project id is expected.
//! Ids are opaque strings: the API's own examples mix `user_abc`, `user-abc` and ULIDs.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_newtype {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub fn new(id: impl Into<String>) -> Self { Self(id.into()) }
            pub fn as_str(&self) -> &str { &self.0 }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(&self.0) }
        }
        impl From<&str> for $name {
            fn from(s: &str) -> Self { Self(s.to_owned()) }
        }
        impl From<String> for $name {
            fn from(s: String) -> Self { Self(s) }
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
    /// A project API key id.
    ApiKeyId,
);
