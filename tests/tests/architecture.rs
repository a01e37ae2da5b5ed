//! ARCHITECTURE.md stays true: its code map names every module of every
//! crate's sources.

use std::path::Path;

/// The module names under `src` (files but `lib`, `main` and `mod`).
fn modules(dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            modules(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            if !["lib", "main", "mod"].contains(&stem) {
                out.push(stem.to_owned());
            }
        }
    }
}

#[test]
fn the_code_map_names_every_module() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let text = std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let mut sources = vec![root.join("xtask/src"), root.join("bench/src")];
    for krate in std::fs::read_dir(root.join("crates"))
        .expect("crates")
        .flatten()
    {
        sources.push(krate.path().join("src"));
    }
    let mut missing = Vec::new();
    for src in sources {
        let mut found = Vec::new();
        modules(&src, &mut found);
        // A module is named in backquotes, alone or as a path's last part;
        // a binary by its name.
        missing.extend(
            found.into_iter().filter(|m| {
                !text.contains(&format!("`{m}`")) && !text.contains(&format!("::{m}`"))
            }),
        );
    }
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md does not name: {missing:?}"
    );
}

/// Nothing generated at run time is tracked: no tracked file matches
/// `.gitignore` (tools running in the tree leave caches and logs).
#[test]
fn no_tracked_file_is_ignored() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = std::process::Command::new("git")
        .current_dir(&root)
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
