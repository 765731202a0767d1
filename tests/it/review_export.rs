//! The auditor's workbook, read back by an independent reader (calamine): the documented
//! sheets, their header rows, the access rows equal to the CSV's, frozen headers and filters.

use crate::support::*;
use calamine::{Data, Reader, Xlsx, open_workbook};
use std::io::Read;
use std::path::{Path, PathBuf};

fn export(to: &Path) {
    export_from(&golden_path("tiny.json"), to);
}

fn export_from(from: &Path, to: &Path) {
    let o = bin()
        .args(["export", "--from", from.to_str().expect("utf-8"), "--out"])
        .arg(to)
        .output()
        .expect("run export");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Bool(b) => b.to_string(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

fn sheet(wb: &mut Xlsx<std::io::BufReader<std::fs::File>>, name: &str) -> Vec<Vec<String>> {
    wb.worksheet_range(name)
        .expect(name)
        .rows()
        .map(|r| r.iter().map(text).collect())
        .collect()
}

#[test]
fn the_workbook_has_every_view_with_frozen_filtered_headers_and_the_csvs_rows() {
    let dir = tempfile::tempdir().expect("tmp");
    let (xlsx, csv): (PathBuf, PathBuf) = (dir.path().join("r.xlsx"), dir.path().join("r.csv"));
    export(&xlsx);
    export(&csv);
    let mut wb: Xlsx<_> = open_workbook(&xlsx).expect("an xlsx calamine opens");
    assert_eq!(
        wb.sheet_names(),
        [
            "All access",
            "By user",
            "By project",
            "API keys",
            "Pending invitations",
            "Org owners",
            "API use"
        ]
    );

    // "All access" is the CSV, cell for cell (CSV quotes a formula-like name; tiny has none).
    let all = sheet(&mut wb, "All access");
    let mut r = csv::Reader::from_path(&csv).expect("csv");
    let mut want: Vec<Vec<String>> = vec![
        r.headers()
            .expect("header")
            .iter()
            .map(str::to_owned)
            .collect(),
    ];
    want.extend(
        r.records()
            .map(|rec| rec.expect("row").iter().map(str::to_owned).collect()),
    );
    assert_eq!(all, want);

    let header = |rows: &[Vec<String>]| rows.first().cloned().unwrap_or_default();
    let by_user = sheet(&mut wb, "By user");
    assert_eq!(header(&by_user), header(&all));
    let humans = all
        .iter()
        .filter(|r| r.first().map(String::as_str) == Some("human"))
        .count();
    assert_eq!(by_user.len() - 1, humans);
    let by_project = sheet(&mut wb, "By project");
    assert!(by_project.iter().skip(1).all(|r| r[4] == "project"));
    assert_eq!(
        by_project.len() - 1,
        all.iter().filter(|r| r[4] == "project").count()
    );

    let keys = sheet(&mut wb, "API keys");
    assert_eq!(keys[0][..3], ["key_type", "key_id", "key_name"]);
    assert_eq!(
        keys.len() - 1,
        6,
        "tiny's four project keys and two admin keys"
    );
    let invites = sheet(&mut wb, "Pending invitations");
    assert_eq!(invites.len() - 1, 1);
    assert_eq!(invites[1][1], "frank@tiny.example");
    let owners = sheet(&mut wb, "Org owners");
    let ids: Vec<&str> = owners.iter().skip(1).map(|r| r[0].as_str()).collect();
    assert_eq!(ids, ["user-alice", "user-erin"]);

    // Every sheet's header is frozen and filtered (read from the sheet's own XML).
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&xlsx).expect("open")).expect("zip");
    for n in 1..=7 {
        let mut xml = String::new();
        zip.by_name(&format!("xl/worksheets/sheet{n}.xml"))
            .expect("sheet xml")
            .read_to_string(&mut xml)
            .expect("read");
        assert!(
            xml.contains(r#"state="frozen""#) && xml.contains(r#"ySplit="1""#),
            "sheet {n}"
        );
        assert!(xml.contains("<autoFilter"), "sheet {n}");
    }
}

/// `small`, synced from the mock: hundreds of grants and several pending invitations.
fn small_snapshot() -> openai_access_actors::review::Snapshot {
    let dir = tempfile::tempdir().expect("tmp");
    let file = std::fs::File::open(mock_sync_json("small", dir.path())).expect("small.json");
    openai_access_actors::review::Snapshot::from_json(file).expect("small reads")
}

/// The CSV made in pieces on every core equals the one made in one piece, byte for byte,
/// wherever the pieces are cut (inside the grants, at the turn to the invitations, inside
/// them), and counts every row once.
#[test]
fn the_csv_made_in_pieces_is_the_csv_made_whole() {
    use openai_access::commands::export::write_csv_in_pieces;
    let snap = small_snapshot();
    let sources = snap.access_row_sources();
    let grants = snap.grants().len();
    let rows = snap.access_rows().len();
    assert!(
        sources >= grants + 3,
        "small has several pending invitations"
    );
    let mut whole = Vec::new();
    assert_eq!(
        write_csv_in_pieces(&snap, &mut whole, sources).expect("csv"),
        rows
    );
    assert_eq!(
        String::from_utf8_lossy(&whole).lines().count(),
        rows + 1,
        "the header and a line per row"
    );
    for piece in [1, 2, 3, 7, 100, grants - 1, grants, grants + 1, sources - 1] {
        let mut cut = Vec::new();
        assert_eq!(
            write_csv_in_pieces(&snap, &mut cut, piece).expect("csv"),
            rows,
            "pieces of {piece}"
        );
        assert!(cut == whole, "pieces of {piece} differ from the whole");
    }
}

/// A write that fails part-way (a full disk) ends the export with that error: the makers
/// ahead of the writer stop instead of waiting forever to hand over their pieces.
#[test]
fn a_failed_csv_write_stops_every_maker() {
    use openai_access::commands::export::write_csv_in_pieces;
    struct FullAfter(usize);
    impl std::io::Write for FullAfter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.0 < buf.len() {
                return Err(std::io::Error::other("disk full"));
            }
            self.0 -= buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let snap = small_snapshot();
    let e = write_csv_in_pieces(&snap, &mut FullAfter(2_000), 1).expect_err("the disk filled");
    assert_eq!(e.to_string(), "disk full");
}

/// A sync's grants in another order (a file merged or edited by hand) are put back in id
/// order: the same table as from the file the sync wrote.
#[test]
fn grants_out_of_order_give_the_same_table() {
    let dir = tempfile::tempdir().expect("tmp");
    let full = std::fs::read(golden_path("tiny.json")).expect("golden");
    let mut v: serde_json::Value = serde_json::from_slice(&full).expect("json");
    let grants = v["grants"].as_array_mut().expect("grants");
    grants.reverse();
    grants.swap(0, 5);
    let shuffled = dir.path().join("shuffled.json");
    std::fs::write(&shuffled, v.to_string()).expect("write");
    let csv = |from: &Path, to: &Path| {
        export_from(from, to);
        std::fs::read_to_string(to).expect("csv")
    };
    let (a, b) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
    assert_eq!(csv(&shuffled, &a), csv(&golden_path("tiny.json"), &b));
}
