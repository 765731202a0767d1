//! The access table both exports write: one row per (principal, resource, entitlement), its
//! columns defined once, each cell text or a yes/no.

use super::review_text::iso_time;
use openai_access_actors::review::AccessRow;
use std::borrow::Cow;

/// The access table's columns, as in the CSV.
pub const ACCESS_COLUMNS: [&str; 17] = [
    "principal_kind",
    "principal_id",
    "principal_name",
    "principal_email",
    "resource_type",
    "resource_id",
    "resource_name",
    "entitlement",
    "entitlement_name",
    "held",
    "immutable",
    "pending",
    "principal_since",
    "invite_expires_at",
    "grant_id",
    // Last: the Usage API's evidence (empty when the sync did not read it).
    "principal_api_last_used_at",
    "principal_api_requests",
];

/// One cell: text (borrowed from the row where it can be: a million-row export copies no
/// text it does not have to), or a yes/no.
pub enum Cell<'a> {
    Text(Cow<'a, str>),
    Bool(bool),
}

impl From<String> for Cell<'_> {
    fn from(s: String) -> Self {
        Cell::Text(Cow::Owned(s))
    }
}

impl<'a> From<&'a str> for Cell<'a> {
    fn from(s: &'a str) -> Self {
        Cell::Text(Cow::Borrowed(s))
    }
}

impl From<bool> for Cell<'_> {
    fn from(b: bool) -> Self {
        Cell::Bool(b)
    }
}

/// A date cell: ISO-8601, empty when there is none.
pub fn date(t: Option<i64>) -> Cell<'static> {
    Cell::Text(Cow::Owned(iso_time(t).unwrap_or_default()))
}

/// One row's cells, in [`ACCESS_COLUMNS`] order.
pub fn access_cells(r: &AccessRow) -> Vec<Cell<'_>> {
    vec![
        r.principal_kind.into(),
        r.principal_id.as_str().into(),
        r.principal_name.as_str().into(),
        r.principal_email.as_str().into(),
        r.resource_type.into(),
        r.resource_id.as_str().into(),
        r.resource_name.as_str().into(),
        r.entitlement.as_str().into(),
        r.entitlement_name.as_str().into(),
        r.held.as_str().into(),
        r.immutable.into(),
        r.pending.into(),
        date(r.principal_since),
        date(r.invite_expires_at),
        r.grant_id.as_str().into(),
        date(r.principal_api_last_used_at),
        r.principal_api_requests
            .map_or_else(String::new, |n| n.to_string())
            .into(),
    ]
}
