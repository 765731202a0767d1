//! The auditor's workbook: one sheet per view (all access, by user, by project, API keys,
//! pending invitations, org owners, API use), each with a bold, frozen header row and filters.

use super::access_table::{ACCESS_COLUMNS, Cell, access_cells, date};
use openai_access_actors::graph::{ResourceKey, ResourceType};
use openai_access_actors::review::{AccessRow, Snapshot, email_of, profile_int, profile_str};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

/// The most data rows a sheet holds (Excel's limit, less the header).
pub const MAX_ROWS: usize = 1_048_575;

/// The sheets, in order, as a test or a reader finds them.
pub const SHEETS: [&str; 7] = [
    "All access",
    "By user",
    "By project",
    "API keys",
    "Pending invitations",
    "Org owners",
    "API use",
];

/// The workbook's bytes.
pub fn workbook(snap: &Snapshot, rows: &[AccessRow]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let mut sheet = |name: &str, header: &[&str], data: Vec<Vec<Cell>>| -> Result<(), XlsxError> {
        if data.len() > MAX_ROWS {
            return Err(XlsxError::RowColumnLimitError);
        }
        // Streamed to a temporary file row by row (a `large` org's million rows on three
        // sheets took 11 GB held in memory); so the column widths come first.
        let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
        for row in &data {
            for (w, cell) in widths.iter_mut().zip(row) {
                if let Cell::Text(s) = cell {
                    *w = (*w).max(s.chars().count());
                }
            }
        }
        let ws = wb.add_worksheet_with_constant_memory();
        ws.set_name(name)?;
        for (c, w) in widths.iter().enumerate() {
            ws.set_column_width(c as u16, (*w).clamp(8, 60) as f64 + 2.0)?;
        }
        ws.set_freeze_panes(1, 0)?;
        for (c, h) in header.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &bold)?;
        }
        for (r, row) in data.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, col) = (r as u32 + 1, c as u16);
                match cell {
                    Cell::Text(s) => ws.write_string(r, col, s.as_ref())?,
                    Cell::Bool(b) => ws.write_boolean(r, col, *b)?,
                };
            }
        }
        let last_col = header.len().saturating_sub(1) as u16;
        ws.autofilter(0, 0, data.len() as u32, last_col)?;
        Ok(())
    };

    let all: Vec<Vec<Cell>> = rows.iter().map(access_cells).collect();
    sheet(SHEETS[0], &ACCESS_COLUMNS, all)?;

    // A view: the rows `keep` picks, ordered by `key`.
    let view = |keep: &dyn Fn(&AccessRow) -> bool, key: &dyn Fn(&AccessRow) -> [&str; 3]| {
        let mut v: Vec<&AccessRow> = rows.iter().filter(|r| keep(r)).collect();
        v.sort_by(|a, b| key(a).cmp(&key(b)));
        v.into_iter().map(access_cells).collect::<Vec<_>>()
    };
    let by_user = view(&|r| r.principal_kind == "human", &|r| {
        [&r.principal_email, &r.principal_id, &r.grant_id]
    });
    sheet(SHEETS[1], &ACCESS_COLUMNS, by_user)?;
    let by_project = view(&|r| r.resource_type == "project", &|r| {
        [&r.resource_name, &r.resource_id, &r.grant_id]
    });
    sheet(SHEETS[2], &ACCESS_COLUMNS, by_project)?;

    let keys = snap
        .api_keys()
        .into_iter()
        .map(|k| {
            let owner = k.owner.as_ref();
            vec![
                Cell::from(k.key.key.resource_type.as_str()),
                k.key.key.id.to_string().into(),
                k.key.name.into(),
                k.scope
                    .as_ref()
                    .map_or_else(String::new, ResourceKey::to_string)
                    .into(),
                owner.map_or_else(String::new, |o| o.key.to_string()).into(),
                owner.map_or_else(String::new, |o| o.name.clone()).into(),
                owner
                    .and_then(|o| o.email.clone())
                    .unwrap_or_default()
                    .into(),
                date(k.created_at),
                date(k.last_used_at),
                k.api_use
                    .map_or_else(String::new, |u| u.requests.to_string())
                    .into(),
            ]
        })
        .collect();
    sheet(
        SHEETS[3],
        &[
            "key_type",
            "key_id",
            "key_name",
            "scope",
            "owner",
            "owner_name",
            "owner_email",
            "created_at",
            "last_used_at",
            "api_requests",
        ],
        keys,
    )?;

    let invites = snap
        .pending_invites()
        .into_iter()
        .map(|i| {
            vec![
                Cell::from(i.id.as_str()),
                email_of(i).unwrap_or_default().into(),
                profile_str(i, "role").unwrap_or_default().into(),
                profile_str(i, "projects").unwrap_or_default().into(),
                date(profile_int(i, "created_at")),
                date(profile_int(i, "expires_at")),
            ]
        })
        .collect();
    sheet(
        SHEETS[4],
        &[
            "invite_id",
            "email",
            "org_role",
            "projects",
            "created_at",
            "expires_at",
        ],
        invites,
    )?;

    let owners = snap
        .org_owners()
        .into_iter()
        .map(|o| {
            let added = snap
                .resource(&o.key)
                .and_then(|u| profile_int(u, "added_at"));
            vec![
                Cell::from(o.key.id.to_string()),
                o.name.into(),
                o.email.unwrap_or_default().into(),
                date(added),
            ]
        })
        .collect();
    sheet(SHEETS[5], &["user_id", "name", "email", "added_at"], owners)?;

    // Who uses the API: every user, service account and project the usage read covered.
    let days = snap.usage_window_days();
    let usage = [
        ResourceType::User,
        ResourceType::ServiceAccount,
        ResourceType::Project,
    ]
    .into_iter()
    .flat_map(|t| snap.resources_of(t))
    .filter_map(|r| {
        let u = snap.api_use_of(&r.key())?;
        Some(vec![
            Cell::from(r.resource_type.as_str()),
            r.id.to_string().into(),
            r.display_name.clone().into(),
            email_of(r).unwrap_or_default().into(),
            date(u.last_used_at),
            u.requests.to_string().into(),
        ])
    })
    .collect();
    let requests = format!("requests_in_{}_days", days.unwrap_or(0));
    sheet(
        SHEETS[6],
        &[
            "type",
            "id",
            "name",
            "email",
            "api_last_used_at",
            requests.as_str(),
        ],
        usage,
    )?;

    wb.save_to_buffer()
}
