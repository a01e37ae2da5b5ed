//! Tidy tests, as rust-analyzer keeps them: structural rules of the
//! workspace that no compiler checks. No circle between the files of a
//! crate; no hand-written source file over 700 lines; no
//! `too_many_arguments` allowance.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use syn::visit::Visit;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every source directory of the workspace: each crate's `src`, xtask's,
/// bench's and the workspace tests'.
fn source_dirs() -> Vec<PathBuf> {
    let root = root();
    let mut dirs = vec![
        root.join("xtask/src"),
        root.join("bench/src"),
        root.join("tests/src"),
    ];
    for krate in std::fs::read_dir(root.join("crates"))
        .expect("crates")
        .flatten()
    {
        dirs.push(krate.path().join("src"));
    }
    dirs.sort();
    dirs
}

/// The modules of a crate's `src`, by path (`a::b`; the root is ``), and
/// their files. `main.rs` beside `lib.rs` is a crate of its own: skipped.
fn module_files(src: &Path) -> BTreeMap<String, PathBuf> {
    fn walk(dir: &Path, prefix: &[String], out: &mut BTreeMap<String, PathBuf>, top: bool) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .expect("dir")
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        let has_lib = dir.join("lib.rs").exists();
        for path in entries {
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_owned();
            if path.is_dir() {
                let mut p = prefix.to_vec();
                p.push(stem);
                walk(&path, &p, out, false);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let module = match stem.as_str() {
                    "lib" if top => prefix.to_vec(),
                    "main" if top && !has_lib => prefix.to_vec(),
                    "main" if top => continue,
                    "mod" => prefix.to_vec(),
                    _ => {
                        let mut p = prefix.to_vec();
                        p.push(stem);
                        p
                    }
                };
                out.insert(module.join("::"), path);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(src, &[], &mut out, true);
    out
}

/// The other files of its crate a file's paths name.
struct References<'a> {
    /// The module the file is (`a::b`), as segments.
    file: Vec<String>,
    /// Inline modules entered within the file.
    inline: Vec<String>,
    modules: &'a BTreeMap<String, PathBuf>,
    found: BTreeSet<String>,
}

impl References<'_> {
    fn current(&self) -> Vec<String> {
        self.file.iter().chain(&self.inline).cloned().collect()
    }

    /// Notes the longest module prefix of `segments`, read from `base`.
    fn resolve(&mut self, base: Vec<String>, segments: &[String]) {
        let mut full = base;
        full.extend(segments.iter().cloned());
        for n in (0..=full.len()).rev() {
            let candidate = full[..n].join("::");
            if self.modules.contains_key(&candidate) {
                if candidate != self.file.join("::") {
                    self.found.insert(candidate);
                }
                return;
            }
        }
    }

    fn path(&mut self, segments: &[String]) {
        let Some(first) = segments.first() else {
            return;
        };
        let current = self.current();
        match first.as_str() {
            "crate" => self.resolve(Vec::new(), &segments[1..]),
            "self" => self.resolve(current, &segments[1..]),
            "super" => {
                let mut base = current;
                let mut rest = segments;
                while rest.first().is_some_and(|s| s == "super") {
                    base.pop();
                    rest = &rest[1..];
                }
                self.resolve(base, rest);
            }
            // A child module named relative to this one.
            _ => {
                let mut child = current;
                child.push(first.clone());
                if self.modules.contains_key(&child.join("::")) {
                    self.resolve(current_parent(&child), segments);
                }
            }
        }
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                prefix.push(n.ident.to_string());
                let segments = prefix.clone();
                self.path(&segments);
                prefix.pop();
            }
            syn::UseTree::Rename(r) => {
                prefix.push(r.ident.to_string());
                let segments = prefix.clone();
                self.path(&segments);
                prefix.pop();
            }
            syn::UseTree::Glob(_) => {
                let segments = prefix.clone();
                self.path(&segments);
            }
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix, t);
                }
            }
        }
    }
}

fn current_parent(child: &[String]) -> Vec<String> {
    child[..child.len() - 1].to_vec()
}

impl<'ast> Visit<'ast> for References<'_> {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        self.path(&segments);
        syn::visit::visit_path(self, path);
    }

    // `pub(crate)`, `pub(super)`: who may see an item, not a reference.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &item.tree);
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        if item.content.is_some() {
            self.inline.push(item.ident.to_string());
            syn::visit::visit_item_mod(self, item);
            self.inline.pop();
        }
    }
}

/// Each module's references to the other files of its crate.
fn file_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let modules = module_files(src);
    let mut graph = BTreeMap::new();
    for (module, path) in &modules {
        let text = std::fs::read_to_string(path).expect("source");
        let file = syn::parse_file(&text)
            .unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()));
        let mut refs = References {
            file: module
                .split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            inline: Vec::new(),
            modules: &modules,
            found: BTreeSet::new(),
        };
        refs.visit_file(&file);
        graph.insert(module.clone(), refs.found);
    }
    graph
}

/// A circle in `graph`, as the modules along it, if there is one.
fn circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        done: &mut BTreeSet<String>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut found = stack[at..].to_vec();
            found.push(node.to_owned());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, done, stack) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut done, &mut Vec::new()))
}

/// The files of a crate never name each other in a circle: a module's
/// references (`crate::…`, `super::…`, a parent's `child::…`) point one
/// way, so each file can be read knowing only what it uses.
#[test]
fn no_circle_between_the_files_of_a_crate() {
    let mut circles = Vec::new();
    let mut files = 0;
    for src in source_dirs() {
        let graph = file_graph(&src);
        files += graph.len();
        if let Some(c) = circle(&graph) {
            let named: Vec<&str> = c
                .iter()
                .map(|m| {
                    if m.is_empty() {
                        "(crate root)"
                    } else {
                        m.as_str()
                    }
                })
                .collect();
            circles.push(format!("{}: {}", src.display(), named.join(" → ")));
        }
    }
    assert!(files > 100, "only {files} files read");
    assert!(
        circles.is_empty(),
        "circles between files:\n{}",
        circles.join("\n")
    );
}

/// The walk finds a circle where there is one, through `super::` and a
/// parent's `child::` alike.
#[test]
fn a_circle_is_found() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path();
    std::fs::create_dir(src.join("a")).expect("mkdir");
    std::fs::write(src.join("lib.rs"), "pub mod a;\npub mod b;\n").expect("lib");
    std::fs::write(src.join("a/mod.rs"), "pub mod c;\npub use c::C;\n").expect("a");
    std::fs::write(src.join("a/c.rs"), "pub struct C(super::super::b::B);\n").expect("c");
    std::fs::write(src.join("b.rs"), "pub struct B;\nfn f(_: crate::a::C) {}\n").expect("b");
    let graph = file_graph(src);
    assert_eq!(
        circle(&graph),
        Some(vec!["a".into(), "a::c".into(), "b".into(), "a".into()])
    );
    // When b no longer names a, the references run one way.
    std::fs::write(src.join("b.rs"), "pub struct B;\n").expect("b");
    assert_eq!(circle(&file_graph(src)), None);
}

/// Every tracked Rust file.
fn tracked_rust_files() -> Vec<PathBuf> {
    let root = root();
    let out = std::process::Command::new("git")
        .current_dir(&root)
        .args(["ls-files", "*.rs"])
        .output();
    match out {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| root.join(l))
            .collect(),
        // Not a git checkout (a packaged crate): the source dirs.
        _ => source_dirs()
            .iter()
            .flat_map(|d| module_files(d).into_values())
            .collect(),
    }
}

/// No hand-written source file is longer than 700 lines: a file holds one
/// concern (generated code aside).
#[test]
fn no_hand_written_file_over_700_lines() {
    let long: Vec<String> = tracked_rust_files()
        .into_iter()
        .filter(|p| !p.ends_with("crates/lupl-api/src/generated.rs"))
        .filter_map(|p| {
            let lines = std::fs::read_to_string(&p).ok()?.lines().count();
            (lines > 700).then(|| format!("{} ({lines} lines)", p.display()))
        })
        .collect();
    assert!(long.is_empty(), "files over 700 lines: {long:?}");
}

/// No function takes so many arguments that clippy must be told to allow
/// it: such arguments travel together and want a type.
#[test]
fn no_too_many_arguments_allowance() {
    // Spelled in two parts, so this file does not match itself.
    let allowance = ["clippy::too_many", "_arguments"].concat();
    let found: Vec<String> = tracked_rust_files()
        .into_iter()
        .filter(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains(&allowance)))
        .map(|p| p.display().to_string())
        .collect();
    assert!(found.is_empty(), "{allowance} allowed in {found:?}");
}
