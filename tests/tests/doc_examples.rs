//! Every public item of the two crates users depend on, `lupl-api` and
//! `lupl-auth`, has an example in its documentation (a fenced block, which
//! `cargo test --doc` compiles and runs). Generated types are documented
//! from openapi.json instead, with one example for `lupl_api::types`.

use std::path::Path;

/// `pub` items (not `pub(crate)`, not fields) whose doc has no ``` block.
fn missing_examples(dir: &Path) -> Vec<String> {
    let mut missing = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("src")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .filter(|p| !p.ends_with("generated.rs"))
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("source");
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let trimmed = line.trim_start();
            if trimmed.starts_with("#[cfg(test)]") {
                break;
            }
            let Some(rest) = trimmed.strip_prefix("pub ") else {
                continue;
            };
            let rest = rest
                .trim_start_matches("async ")
                .trim_start_matches("const fn");
            let kinds = [
                "fn ", "struct ", "enum ", "trait ", "type ", "const ", "mod ", "static ",
            ];
            if !rest.starts_with(' ') && !kinds.iter().any(|k| rest.starts_with(k)) {
                continue;
            }
            let doc: Vec<&str> = lines[..i]
                .iter()
                .rev()
                .take_while(|l| {
                    let l = l.trim_start();
                    l.starts_with("///") || l.starts_with("#[")
                })
                .copied()
                .collect();
            // A module declared here may carry its example inside, as `//!`.
            let inner = rest
                .strip_prefix("mod ")
                .and_then(|m| m.strip_suffix(';'))
                .map(|m| {
                    let own = file.with_file_name(format!("{m}.rs"));
                    std::fs::read_to_string(own).unwrap_or_default()
                })
                .unwrap_or_default();
            let inner_example = inner
                .lines()
                .take_while(|l| l.starts_with("//!"))
                .any(|l| l.contains("```"));
            if !inner_example && !doc.iter().any(|l| l.contains("```")) {
                missing.push(format!("{}:{}: {}", file.display(), i + 1, line.trim()));
            }
        }
    }
    missing
}

#[test]
fn every_public_item_of_lupl_api_and_lupl_auth_has_an_example() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut missing = missing_examples(&root.join("crates/lupl-api/src"));
    missing.extend(missing_examples(&root.join("crates/lupl-auth/src")));
    assert!(
        missing.is_empty(),
        "{} public item(s) without a doc example:\n{}",
        missing.len(),
        missing.join("\n")
    );
}
