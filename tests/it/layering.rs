//! The direction of imports, as a checked fact. Each crate's top-level modules stand in
//! layers, lowest first; a module may use only modules of lower layers (never its own layer,
//! never a higher one), so neither crate has a cycle and each layer can be read knowing only
//! those below it. The tables below are the layout's documentation (README, "Layout"); a new
//! module has to be placed in one, and an import against the direction fails here, naming the
//! file and the line. Test code (`tests.rs`, `#[cfg(test)] mod tests`) may reach anywhere.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The engine (`actors/src`), lowest layer first.
const ENGINE: &[&[&str]] = &[
    // Ground floor: no engine imports at all.
    &["clock", "ids", "secret", "atomic", "gcra", "human"],
    // Every Admin API operation once; private files; the runtime; Baton's vocabulary.
    &["endpoint", "private", "runtime", "baton"],
    // The grant graph (pure data); the request plan.
    &["graph", "plan"],
    // Which request may go now; access reviews over a finished graph.
    &["throttle", "review"],
    // The typed Admin API client.
    &["api"],
    // What actors tell each other; provisioning (single calls, no crawl).
    &["messages", "provisioner"],
    // The fan-out rules, the graph's one owner, the state database.
    &["fanout", "collector", "state"],
    // Crawlers, the throttle's simulation, what a sync hands back.
    &["crawlers", "sim", "outcome", "usage"],
    // The sync's conductor; the audit log as a change feed.
    &["coordinator", "incremental"],
    // A sync, from config to outcome.
    &["sync"],
    // A sync that keeps a state (prepare, commit, reconcile).
    &["stateful"],
];

/// The command line and the service (`src`), lowest layer first.
const CLI: &[&[&str]] = &[
    &["exit", "console"],
    &["interrupt", "output"],
    // ConductorOne's wire (gRPC, tokens, upload).
    &["c1"],
    // clap's definitions of every flag.
    &["cli"],
    // What flags become; `--state`; the progress bar.
    &["settings", "state", "progress", "usage"],
    &["service"],
    &["commands"],
];

struct Import {
    from: String,
    to: String,
    file: PathBuf,
    line: usize,
}

/// Each `crate::NAME` a non-test source file names, with where.
fn imports(src: &Path) -> Vec<Import> {
    let mut out = Vec::new();
    let mut files = Vec::new();
    collect(src, &mut files);
    for file in files {
        let rel = file.strip_prefix(src).expect("under src");
        let first = rel
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .expect("a name");
        if matches!(first, "lib.rs" | "main.rs")
            || rel.file_name().is_some_and(|f| f == "tests.rs")
            || rel.components().any(|c| c.as_os_str() == "tests")
        {
            continue;
        }
        let module = first.trim_end_matches(".rs").to_owned();
        let text = std::fs::read_to_string(&file).expect("read source");
        for (n, line) in code_lines(&text) {
            for to in crate_paths(&line) {
                if to != module {
                    out.push(Import {
                        from: module.clone(),
                        to,
                        file: file.clone(),
                        line: n,
                    });
                }
            }
        }
    }
    out
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read dir") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The lines of code (1-based numbers), comments removed, up to a `#[cfg(test)]` module.
fn code_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut in_block = false;
    let mut lines = text.lines().enumerate().peekable();
    while let Some((i, raw)) = lines.next() {
        let t = raw.trim_start();
        if t.starts_with("#[cfg(test)]")
            && lines
                .peek()
                .is_some_and(|(_, next)| next.trim_start().starts_with("mod "))
        {
            break;
        }
        let mut code = String::new();
        let mut rest = raw;
        loop {
            if in_block {
                match rest.find("*/") {
                    Some(end) => {
                        rest = &rest[end + 2..];
                        in_block = false;
                    }
                    None => break,
                }
            } else {
                let line_comment = rest.find("//");
                let block = rest.find("/*");
                match (line_comment, block) {
                    (Some(l), b) if b.is_none_or(|b| l < b) => {
                        code.push_str(&rest[..l]);
                        break;
                    }
                    (_, Some(b)) => {
                        code.push_str(&rest[..b]);
                        rest = &rest[b + 2..];
                        in_block = true;
                    }
                    _ => {
                        code.push_str(rest);
                        break;
                    }
                }
            }
        }
        out.push((i + 1, code));
    }
    out
}

/// The top-level modules a line names through `crate::`, grouped imports included
/// (`use crate::{a::X, b};`).
fn crate_paths(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("crate::") {
        // `openai_access_crate::` or `some_crate::` are other things; only a bare `crate::`.
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.extend(first_segment(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 || c != '{' {
                    item.push(c);
                }
            }
            out.extend(first_segment(&item));
        } else {
            out.extend(first_segment(rest));
        }
    }
    out
}

fn first_segment(s: &str) -> Option<String> {
    let name: String = s
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty() && name.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
        .then_some(name)
}

/// Every import against the layers, and every module the layers do not place.
fn violations(src: &Path, layers: &[&[&str]]) -> Vec<String> {
    let rank: BTreeMap<&str, usize> = layers
        .iter()
        .enumerate()
        .flat_map(|(i, l)| l.iter().map(move |m| (*m, i)))
        .collect();
    let mut bad = Vec::new();
    let mut modules: Vec<String> = std::fs::read_dir(src)
        .expect("read src")
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            let name = name.trim_end_matches(".rs").to_owned();
            (!matches!(name.as_str(), "lib" | "main")).then_some(name)
        })
        .collect();
    modules.sort();
    for m in &modules {
        if !rank.contains_key(m.as_str()) {
            bad.push(format!(
                "module `{m}` stands in no layer: place it in the table of tests/it/layering.rs"
            ));
        }
    }
    for i in imports(src) {
        let (Some(&from), Some(&to)) = (rank.get(i.from.as_str()), rank.get(i.to.as_str())) else {
            continue;
        };
        if to >= from {
            bad.push(format!(
                "{}:{}: `{}` (layer {from}) uses `{}` (layer {to}): a module may use only lower layers",
                i.file.display(),
                i.line,
                i.from,
                i.to
            ));
        }
    }
    bad
}

/// Sibling files that name each other through `super::` (`api/client.rs` using
/// `super::wire` while `api/wire.rs` uses `super::client`): one circle of files per entry.
fn file_cycles(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    collect(src, &mut files);
    // (directory, file stem) -> sibling stems it names.
    let mut uses: BTreeMap<(PathBuf, String), Vec<String>> = BTreeMap::new();
    for file in &files {
        let (Some(dir), Some(stem)) = (file.parent(), file.file_stem().and_then(|s| s.to_str()))
        else {
            continue;
        };
        if matches!(stem, "mod" | "lib" | "main" | "tests") {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("read source");
        let mut named: Vec<String> = code_lines(&text)
            .iter()
            .flat_map(|(_, l)| super_paths(l))
            .filter(|n| n != stem)
            .collect();
        named.sort();
        named.dedup();
        uses.insert((dir.to_owned(), stem.to_owned()), named);
    }
    let mut circles = Vec::new();
    for ((dir, a), named) in &uses {
        for b in named {
            let back = uses.get(&(dir.clone(), b.clone()));
            if a < b && back.is_some_and(|n| n.contains(a)) {
                circles.push(format!("{}: {a}.rs <-> {b}.rs", dir.display()));
            }
        }
    }
    circles
}

/// The sibling modules a line names through `super::`, grouped imports included.
fn super_paths(line: &str) -> Vec<String> {
    crate_paths(
        &line
            .replace("super::", "crate::")
            .replace("crate::crate::", "crate::"),
    )
}

#[test]
fn no_two_files_of_a_module_use_each_other() {
    for src in ["actors/src", "src", "mock/src"] {
        let circles = file_cycles(&Path::new(env!("CARGO_MANIFEST_DIR")).join(src));
        assert!(circles.is_empty(), "{}", circles.join("\n"));
    }
}

#[test]
fn the_engine_imports_only_downwards() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("actors/src");
    let bad = violations(&src, ENGINE);
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn the_command_line_and_service_import_only_downwards() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let bad = violations(&src, CLI);
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn the_checker_sees_what_it_must() {
    // Grouped, nested and plain imports; comments and other crates' paths are not imports.
    assert_eq!(
        crate_paths("use crate::{api::{Call, X}, state};"),
        ["api", "state"]
    );
    assert_eq!(
        crate_paths("    let x = crate::human::duration(d);"),
        ["human"]
    );
    assert!(crate_paths("use openai_access_crate::thing;").is_empty());
    let lines = code_lines("let a = 1; // crate::api\n/* crate::state */ use crate::graph;\n");
    let named: Vec<String> = lines.iter().flat_map(|(_, l)| crate_paths(l)).collect();
    assert_eq!(named, ["graph"]);
    // And an upward import is caught.
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("low.rs"), "use crate::high::X;\n").expect("low");
    std::fs::write(dir.path().join("high.rs"), "use crate::low::Y;\n").expect("high");
    let bad = violations(dir.path(), &[&["low"], &["high"]]);
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert!(
        bad[0].contains("`low` (layer 0) uses `high` (layer 1)"),
        "{bad:?}"
    );
    let unplaced = violations(dir.path(), &[&["low"]]);
    assert!(
        unplaced
            .iter()
            .any(|b| b.contains("module `high` stands in no layer"))
    );
    // Two sibling files naming each other are a circle.
    let pair = tempfile::tempdir().expect("tmp");
    std::fs::write(pair.path().join("a.rs"), "use super::b::X;\n").expect("a");
    std::fs::write(pair.path().join("b.rs"), "use super::{a::Y, c};\n").expect("b");
    std::fs::write(pair.path().join("c.rs"), "use super::a::Z;\n").expect("c");
    assert_eq!(file_cycles(pair.path()).len(), 1);
}
