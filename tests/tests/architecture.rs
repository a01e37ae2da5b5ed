//! ARCHITECTURE.md stays true: every crate has a section, every module it
//! names exists and every module is named in its crate's section, every
//! binary is an entry point and every path it names exists. And the
//! conformance core's independence from the model is a fact of the
//! dependency graph.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn architecture() -> String {
    std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md")
}

/// The text between `## {title}` and the next `## ` heading.
fn section<'a>(text: &'a str, title: &str) -> &'a str {
    let start = text
        .find(&format!("\n## {title}\n"))
        .unwrap_or_else(|| panic!("no section {title}"));
    let rest = &text[start + title.len() + 5..];
    &rest[..rest.find("\n## ").unwrap_or(rest.len())]
}

/// Per ``### `dir` `` heading of the code map, the modules its section
/// names: every backquoted word that reads as a module path (lower case,
/// digits, `_`, `::`).
fn code_map() -> BTreeMap<String, BTreeSet<String>> {
    let text = architecture();
    let map = section(&text, "Code map");
    let mut out = BTreeMap::new();
    for part in map.split("\n### `").skip(1) {
        let (dir, body) = part.split_once('`').expect("a heading's closing backquote");
        let named: BTreeSet<String> = body
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|w| {
                !w.is_empty()
                    && w.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == ':'
                    })
            })
            .map(str::to_owned)
            .collect();
        out.insert(dir.to_owned(), named);
    }
    out
}

/// The workspace's member directories.
fn members() -> BTreeSet<String> {
    let mut out: BTreeSet<String> = ["xtask", "bench", "tests"].map(str::to_owned).into();
    for krate in std::fs::read_dir(root().join("crates"))
        .expect("crates")
        .flatten()
    {
        if krate.path().join("Cargo.toml").exists() {
            out.insert(format!("crates/{}", krate.file_name().to_string_lossy()));
        }
    }
    out
}

/// A crate's modules (`a::b`), the crate roots and binaries aside.
fn modules(src: &Path) -> BTreeSet<String> {
    fn walk(dir: &Path, prefix: &str, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if prefix.is_empty() && name == "bin" {
                    continue;
                }
                let module = format!("{prefix}{name}");
                out.insert(module.clone());
                walk(&path, &format!("{module}::"), out);
            } else if let Some(stem) = name.strip_suffix(".rs") {
                if prefix.is_empty() && ["lib", "main"].contains(&stem) || stem == "mod" {
                    continue;
                }
                out.insert(format!("{prefix}{stem}"));
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(src, "", &mut out);
    out
}

/// Every crate has a section of the code map, and nothing else does.
#[test]
fn every_crate_has_a_section() {
    let sections: BTreeSet<String> = code_map().into_keys().collect();
    assert_eq!(sections, members(), "ARCHITECTURE.md's code map sections");
}

/// Every module is named in its crate's section, and every module-like
/// name there is a module of that crate.
#[test]
fn the_code_map_names_every_module_and_only_modules() {
    let mut missing = Vec::new();
    let mut unknown = Vec::new();
    for (dir, named) in code_map() {
        let actual = modules(&root().join(&dir).join("src"));
        missing.extend(actual.difference(&named).map(|m| format!("{dir}: {m}")));
        unknown.extend(named.difference(&actual).map(|m| format!("{dir}: {m}")));
    }
    assert!(
        missing.is_empty(),
        "modules ARCHITECTURE.md does not name: {missing:?}"
    );
    assert!(
        unknown.is_empty(),
        "ARCHITECTURE.md names no such module: {unknown:?}"
    );
}

/// The binaries of the workspace: `[[bin]]` names, and packages whose
/// `src/main.rs` is their binary.
fn binaries() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for dir in members() {
        let manifest =
            std::fs::read_to_string(root().join(&dir).join("Cargo.toml")).expect("Cargo.toml");
        let names: Vec<&str> = manifest
            .split("[[bin]]")
            .skip(1)
            .filter_map(|b| b.lines().find_map(|l| l.strip_prefix("name = ")))
            .map(|n| n.trim_matches('"'))
            .collect();
        if names.is_empty() && root().join(&dir).join("src/main.rs").exists() {
            let package = manifest
                .lines()
                .find_map(|l| l.strip_prefix("name = "))
                .expect("a package name");
            out.insert(package.trim_matches('"').to_owned());
        }
        out.extend(names.into_iter().map(str::to_owned));
    }
    out
}

/// Every binary is an entry point, every entry point a binary, and every
/// path the document names exists.
#[test]
fn entry_points_are_the_binaries_and_paths_exist() {
    let text = architecture();
    let entries: BTreeSet<String> = section(&text, "Entry points")
        .lines()
        .filter_map(|l| l.strip_prefix("- `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_owned)
        .collect();
    assert_eq!(entries, binaries(), "entry points");
    let missing: Vec<&str> = text
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|w| w.contains('/') && !w.contains(' ') && !w.starts_with("http"))
        .filter(|w| !w.contains('*') && !root().join(w).exists())
        .collect();
    assert!(missing.is_empty(), "paths that do not exist: {missing:?}");
}

/// The conformance core links no HTTP client, no async runtime and not
/// the model: its oracle cannot ask the model what to expect, whatever a
/// source file writes.
#[test]
fn the_conformance_core_cannot_reach_the_model() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .current_dir(root())
        .args([
            "tree",
            "-p",
            "conformance-core",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--offline",
        ])
        .output()
        .expect("cargo tree");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8_lossy(&out.stdout);
    let packages: BTreeSet<&str> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(
        packages.contains("lupl-spec"),
        "the tree was read: {packages:?}"
    );
    for forbidden in [
        "lupl-model",
        "tokio",
        "reqwest",
        "hyper",
        "lupl-auth",
        "lupl-api",
    ] {
        assert!(
            !packages.contains(forbidden),
            "conformance-core depends on {forbidden}"
        );
    }
}

/// Nothing generated at run time is tracked: no tracked file matches
/// `.gitignore` (tools running in the tree leave caches and logs).
#[test]
fn no_tracked_file_is_ignored() {
    let out = std::process::Command::new("git")
        .current_dir(root())
        .args(["ls-files", "-ci", "--exclude-standard"])
        .output();
    let Ok(out) = out else {
        // Not a git checkout (a packaged crate): nothing is tracked.
        return;
    };
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        listed.trim().is_empty(),
        "tracked files that .gitignore ignores: {listed}"
    );
}
