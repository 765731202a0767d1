//! `openai-access export`: the access table as CSV or an xlsx workbook, written atomically.

use crate::cli::{ExportArgs, ExportFormat};
use crate::exit::CliError;
use crate::output::access_table::{ACCESS_COLUMNS, Cell, access_cells};
use openai_access_actors::atomic;
use openai_access_actors::review::Snapshot;
use std::io::Write;
use std::path::Path;

pub fn run(args: ExportArgs) -> Result<crate::exit::Exit, CliError> {
    // Before anything is read or synced: a wrong target must not cost a sync.
    let to_stdout = args.out.as_os_str() == "-";
    let format = match (args.format, extension(&args.out).as_deref()) {
        (Some(ExportFormat::Xlsx), Some("csv")) | (Some(ExportFormat::Csv), Some("xlsx")) => {
            return Err(CliError::usage(format!(
                "--format {} does not match {}: a spreadsheet program would open it as the other format and fail; name the file after its format",
                match args.format {
                    Some(ExportFormat::Xlsx) => "xlsx",
                    _ => "csv",
                },
                args.out.display()
            )));
        }
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
    super::review::end_with([snap]);
    Ok(crate::exit::OK)
}

fn extension(p: &Path) -> Option<String> {
    p.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
}

/// Text from the org (names, emails) that a spreadsheet would run as a formula is quoted: a
/// display name such as `=HYPERLINK(...)` must reach the auditor as text (OWASP's advice for
/// CSV injection: a leading apostrophe). A spreadsheet set to another separator (`;` in much
/// of Europe, a tab) splits a value where it holds one, so a formula after a separator
/// (`x;=HYPERLINK(...)`) gets its apostrophe too (`x;'=HYPERLINK(...)`). The workbook needs
/// none: its cells are typed text.
fn csv_text<'a>(cell: &'a Cell<'_>) -> std::borrow::Cow<'a, str> {
    match cell {
        Cell::Text(t) => neutralised(t),
        Cell::Bool(true) => "true".into(),
        Cell::Bool(false) => "false".into(),
    }
}

/// What starts a formula in a spreadsheet cell.
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];
/// Where a spreadsheet may split a value into cells, whatever separator it was set to.
const CELL_BREAK: [char; 3] = [';', ',', '\t'];

fn neutralised(t: &str) -> std::borrow::Cow<'_, str> {
    let starts_cell = |i: usize| t[i..].trim_start_matches(' ').starts_with(FORMULA_START);
    let breaks: Vec<usize> = t
        .match_indices(CELL_BREAK)
        .map(|(i, sep)| i + sep.len())
        .filter(|&i| starts_cell(i))
        .collect();
    if !starts_cell(0) && breaks.is_empty() {
        return t.into();
    }
    let mut out = String::with_capacity(t.len() + breaks.len() + 1);
    if starts_cell(0) {
        out.push('\'');
    }
    let mut copied = 0;
    for i in breaks {
        out.push_str(&t[copied..i]);
        out.push('\'');
        copied = i;
    }
    out.push_str(&t[copied..]);
    out.into()
}

/// Sources (grants, pending invitations) per piece of the CSV made on one core: about 5 MB of
/// text, enough that handing a piece over costs nothing beside making it.
const CSV_PIECE: usize = 16_384;

fn write_csv(snap: &Snapshot, w: &mut dyn Write, written: &mut usize) -> std::io::Result<()> {
    // Counted afresh: a second attempt at the write starts again.
    *written = write_csv_in_pieces(snap, w, CSV_PIECE)?;
    Ok(())
}

/// The CSV, its rows made in pieces of `piece` sources on every core and written in order
/// (byte for byte what one thread writes: a field's quoting depends on nothing else). Each
/// maker hands over at most two pieces ahead of the writer, so memory stays a few pieces
/// whatever the table's size; a failed write stops the makers. Returns the rows written.
pub fn write_csv_in_pieces(
    snap: &Snapshot,
    w: &mut dyn Write,
    piece: usize,
) -> std::io::Result<usize> {
    let mut head = csv::Writer::from_writer(&mut *w);
    head.write_record(ACCESS_COLUMNS)
        .map_err(std::io::Error::other)?;
    head.flush()?;
    drop(head);
    let sources = snap.access_row_sources();
    let piece = piece.max(1);
    let pieces = sources.div_ceil(piece);
    let makers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4)
        .min(pieces.max(1));
    std::thread::scope(|scope| {
        let made: Vec<_> = (0..makers)
            .map(|m| {
                let (tx, rx) = std::sync::mpsc::sync_channel(2);
                scope.spawn(move || {
                    for p in (m..pieces).step_by(makers) {
                        let range = p * piece..((p + 1) * piece).min(sources);
                        if tx.send(csv_piece(snap, range)).is_err() {
                            // The writer gave up.
                            return;
                        }
                    }
                });
                rx
            })
            .collect();
        let mut rows = 0;
        for p in 0..pieces {
            let (bytes, n) = made[p % makers]
                .recv()
                .map_err(|_| std::io::Error::other("a CSV maker stopped"))??;
            w.write_all(&bytes)?;
            rows += n;
        }
        Ok(rows)
    })
}

/// The CSV text of the rows of `sources`, and how many rows it holds.
fn csv_piece(
    snap: &Snapshot,
    sources: std::ops::Range<usize>,
) -> std::io::Result<(Vec<u8>, usize)> {
    let io = std::io::Error::other;
    let mut csv = csv::Writer::from_writer(Vec::with_capacity(sources.len() * 320));
    let mut rows = 0;
    snap.each_access_row_from(sources, |r| {
        for c in &access_cells(&r) {
            csv.write_field(csv_text(c).as_bytes()).map_err(io)?;
        }
        rows += 1;
        // No more fields: ends the record.
        csv.write_record(None::<&[u8]>).map_err(io)
    })?;
    let bytes = csv.into_inner().map_err(|e| e.into_error())?;
    Ok((bytes, rows))
}

#[cfg(test)]
mod tests {
    use super::neutralised;

    #[test]
    fn a_formula_is_neutralised_wherever_a_spreadsheet_may_start_a_cell() {
        for (given, shown) in [
            ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
            ("a;=HYPERLINK(\"x\")", "a;'=HYPERLINK(\"x\")"),
            ("a; @SUM(1)", "a;' @SUM(1)"),
            ("a\t+1,-2", "a\t'+1,'-2"),
            ("-1;=2", "'-1;'=2"),
            ("Alice Smith", "Alice Smith"),
            ("a;b, c", "a;b, c"),
            ("user@example.com", "user@example.com"),
        ] {
            assert_eq!(neutralised(given), shown, "{given}");
        }
    }
}
