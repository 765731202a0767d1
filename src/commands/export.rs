//! `openai-access export`: the access table as CSV, written atomically.

use crate::cli::{ExportArgs, ExportFormat};
use crate::exit::CliError;
use openai_access_actors::atomic;
use openai_access_actors::review::AccessRow;
use std::io::Write;
use std::path::Path;

pub fn run(args: ExportArgs) -> Result<u8, CliError> {
    // Before anything is read or synced: a wrong target must not cost a sync.
    let to_stdout = args.out.as_os_str() == "-";
    let format = match (args.format, extension(&args.out).as_deref()) {
        (Some(f), _) => f,
        (None, Some("csv")) => ExportFormat::Csv,
        (None, _) if to_stdout => ExportFormat::Csv,
        (None, Some("xlsx")) => ExportFormat::Xlsx,
        (None, other) => {
            return Err(CliError::usage(format!(
                "cannot tell the format of {} from its extension ({}): name it .csv or .xlsx, or give --format",
                args.out.display(),
                other.map_or("none".to_owned(), |e| format!(".{e}"))
            )));
        }
    };
    if !to_stdout {
        let dir = atomic::parent_dir(&args.out);
        if !dir.is_dir() {
            return Err(CliError::usage(format!(
                "cannot write {}: the directory {} does not exist",
                args.out.display(),
                dir.display()
            )));
        }
    }
    let snap = super::review::load(&args.source)?;
    let rows = snap.access_rows();
    let xlsx = match format {
        ExportFormat::Xlsx => Some(
            crate::output::xlsx::workbook(&snap, &rows, &|t| iso(t)).map_err(|e| {
                CliError::fatal(format!(
                    "cannot build the workbook: {e} (a sheet holds at most {} rows; write CSV for more)",
                    crate::output::xlsx::MAX_ROWS
                ))
            })?,
        ),
        ExportFormat::Csv => None,
    };
    let fill = |w: &mut dyn Write| match &xlsx {
        Some(bytes) => w.write_all(bytes),
        None => write_csv(&rows, w),
    };
    if to_stdout {
        let mut out = std::io::stdout().lock();
        fill(&mut out)
            .and_then(|()| out.flush())
            .map_err(|e| CliError::io("cannot write to standard output", e))?;
    } else {
        atomic::write_atomically(&args.out, fill)
            .map_err(|e| CliError::io(format!("cannot write {}", args.out.display()), e))?;
        crate::console::info(&format!(
            "{} rows written to {}",
            rows.len(),
            args.out.display()
        ));
    }
    Ok(0)
}

fn extension(p: &Path) -> Option<String> {
    p.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
}

/// The row as the spreadsheet shows it: dates ISO-8601, booleans as true/false.
#[derive(serde::Serialize)]
struct CsvRow<'a> {
    principal_kind: &'a str,
    principal_id: &'a str,
    principal_name: std::borrow::Cow<'a, str>,
    principal_email: std::borrow::Cow<'a, str>,
    resource_type: &'a str,
    resource_id: &'a str,
    resource_name: std::borrow::Cow<'a, str>,
    entitlement: &'a str,
    entitlement_name: std::borrow::Cow<'a, str>,
    held: &'a str,
    immutable: bool,
    pending: bool,
    principal_since: String,
    invite_expires_at: String,
    grant_id: &'a str,
}

fn iso(t: Option<i64>) -> String {
    super::review::iso_time(t).unwrap_or_default()
}

/// Text from the org (names, emails) that a spreadsheet would run as a formula is quoted: a
/// display name such as `=HYPERLINK(...)` must reach the auditor as text (OWASP's advice for
/// CSV injection: a leading apostrophe).
fn cell(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

fn write_csv(rows: &[AccessRow], w: &mut dyn Write) -> std::io::Result<()> {
    let mut csv = csv::Writer::from_writer(w);
    for r in rows {
        csv.serialize(CsvRow {
            principal_kind: r.principal_kind,
            principal_id: &r.principal_id,
            principal_name: cell(&r.principal_name),
            principal_email: cell(&r.principal_email),
            resource_type: r.resource_type,
            resource_id: &r.resource_id,
            resource_name: cell(&r.resource_name),
            entitlement: &r.entitlement,
            entitlement_name: cell(&r.entitlement_name),
            held: &r.held,
            immutable: r.immutable,
            pending: r.pending,
            principal_since: iso(r.principal_since),
            invite_expires_at: iso(r.invite_expires_at),
            grant_id: &r.grant_id,
        })
        .map_err(std::io::Error::other)?;
    }
    csv.flush()
}
