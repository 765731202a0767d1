//! The access table both exports write: one row per (principal, resource, entitlement), its
//! columns defined once, each cell text or a yes/no.

use super::review_text::iso_time;
use openai_access_actors::review::AccessRow;

/// The access table's columns, as in the CSV.
pub const ACCESS_COLUMNS: [&str; 15] = [
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
];

/// One cell: text, or a yes/no.
pub enum Cell {
    Text(String),
    Bool(bool),
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_owned())
    }
}

impl From<bool> for Cell {
    fn from(b: bool) -> Self {
        Cell::Bool(b)
    }
}

/// A date cell: ISO-8601, empty when there is none.
pub fn date(t: Option<i64>) -> Cell {
    Cell::Text(iso_time(t).unwrap_or_default())
}

/// One row's cells, in [`ACCESS_COLUMNS`] order.
pub fn access_cells(r: &AccessRow) -> Vec<Cell> {
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
    ]
}
