//! README's table of what a sync of each mock preset reports ("The mock Admin API") is what a
//! sync of it reports: every row, every preset but `large` (whose sync takes longer than a
//! test should; its column comes from the same command, `sync --mock large`).

use crate::support::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

const HEADING: &str = "What a sync of each preset reports";

/// The table's rows: label → counts by column (`tiny`, `small`, …).
fn readme_table() -> (Vec<String>, BTreeMap<String, Vec<u64>>) {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let start = readme.find(HEADING).expect("the table's heading");
    let mut lines = readme[start..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'));
    let cells = |l: &str| -> Vec<String> {
        l.trim_matches('|')
            .split('|')
            .map(|c| c.trim().to_owned())
            .collect()
    };
    let header = cells(lines.next().expect("header"));
    let presets = header[1..].to_vec();
    lines.next(); // the alignment row
    let rows = lines
        .map(|l| {
            let c = cells(l);
            let counts = c[1..]
                .iter()
                .map(|n| n.replace(',', "").parse().unwrap_or_else(|_| panic!("{l}")))
                .collect();
            (c[0].trim_matches('`').to_owned(), counts)
        })
        .collect();
    (presets, rows)
}

/// The same rows, from a sync's summary.
fn synced(summary: &Value, row: &str) -> u64 {
    let n = match row {
        "entitlements" | "grants" => &summary[row],
        "grants through groups" => &summary["grants_expanded_from_groups"],
        t => &summary["resources_by_type"][t],
    };
    n.as_u64().unwrap_or(0)
}

#[test]
fn readme_s_preset_table_is_what_a_sync_reports() {
    let (presets, rows) = readme_table();
    assert_eq!(presets, ["tiny", "small", "medium", "large"]);
    assert!(rows.len() >= 12, "{rows:?}");
    let dir = tempfile::tempdir().expect("tmp");
    for (i, preset) in presets.iter().enumerate().take(3) {
        let json = mock_sync_json(preset, dir.path());
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(&json).expect("read")).expect("json");
        let summary = &v["summary"];
        for (row, counts) in &rows {
            assert_eq!(
                counts[i],
                synced(summary, row),
                "README's {row} for {preset}: {}",
                summary["resources_by_type"]
            );
        }
    }
}
