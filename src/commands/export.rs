//! `openai-access export`: the access table as CSV or an xlsx workbook, written atomically.

use crate::cli::{ExportArgs, ExportFormat};
use crate::exit::CliError;
use crate::output::access_table::{ACCESS_COLUMNS, Cell, access_cells};
use openai_access_actors::atomic;
use openai_access_actors::review::Snapshot;
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
    let out = if to_stdout {
        None
    } else {
        Some(crate::output::target::writable_file(&args.out)?)
    };
    let snap = super::review::load(&args.source)?;
    // The workbook's sheets each need the whole table; the CSV takes one row at a time.
    let mut written = 0usize;
    let xlsx = match format {
        ExportFormat::Xlsx => {
            let rows = snap.access_rows();
            written = rows.len();
            Some(crate::output::xlsx::workbook(&snap, &rows).map_err(|e| {
                CliError::fatal(format!(
                    "cannot build the workbook: {e} (a sheet holds at most {} rows; write CSV for more)",
                    crate::output::xlsx::MAX_ROWS
                ))
            })?)
        }
        ExportFormat::Csv => None,
    };
    let mut fill = |w: &mut dyn Write| match &xlsx {
        Some(bytes) => w.write_all(bytes),
        None => write_csv(&snap, w, &mut written),
    };
    if to_stdout {
        let mut stdout = std::io::stdout().lock();
        fill(&mut stdout)
            .and_then(|()| stdout.flush())
            .map_err(|e| CliError::io("cannot write to standard output", e))?;
    } else if let Some(out) = &out {
        atomic::write_atomically(out, fill)
            .map_err(|e| CliError::io(format!("cannot write {}", out.display()), e))?;
        crate::console::info(&format!("{written} rows written to {}", out.display()));
    }
    Ok(0)
}

fn extension(p: &Path) -> Option<String> {
    p.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
}

/// Text from the org (names, emails) that a spreadsheet would run as a formula is quoted: a
/// display name such as `=HYPERLINK(...)` must reach the auditor as text (OWASP's advice for
/// CSV injection: a leading apostrophe). The workbook needs none: its cells are typed text.
fn csv_text<'a>(cell: &'a Cell<'_>) -> std::borrow::Cow<'a, str> {
    match cell {
        Cell::Text(t) if t.starts_with(['=', '+', '-', '@', '\t', '\r']) => format!("'{t}").into(),
        Cell::Text(t) => t.as_ref().into(),
        Cell::Bool(true) => "true".into(),
        Cell::Bool(false) => "false".into(),
    }
}

fn write_csv(snap: &Snapshot, w: &mut dyn Write, written: &mut usize) -> std::io::Result<()> {
    let mut csv = csv::Writer::from_writer(w);
    let io = std::io::Error::other;
    csv.write_record(ACCESS_COLUMNS).map_err(io)?;
    // Counted afresh: a second attempt at the write starts again.
    *written = 0;
    snap.each_access_row(|r| {
        for c in &access_cells(&r) {
            csv.write_field(csv_text(c).as_bytes()).map_err(io)?;
        }
        *written += 1;
        // No more fields: ends the record.
        csv.write_record(None::<&[u8]>).map_err(io)
    })?;
    csv.flush()
}
