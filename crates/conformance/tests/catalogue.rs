//! The clause catalogue against CONTRACT.md, and the harness's independence
//! from the model it checks.

use conformance::Clause;
use conformance::cases::Gen;
use std::collections::BTreeSet;
use std::path::Path;

fn normalized(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn contract() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../contract/CONTRACT.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_clause_quotes_contract_md_in_the_section_it_names() {
    let contract = contract();
    for clause in Clause::ALL {
        let info = clause.info();
        let text = normalized(&contract);
        let at = text
            .find(&normalized(info.sentence))
            .unwrap_or_else(|| panic!("{clause}: {:?} is not in CONTRACT.md", info.sentence));
        // The nearest heading before the sentence names the section.
        let heading = contract
            .lines()
            .filter(|l| l.starts_with('#'))
            .rfind(|l| text.find(&normalized(l)).is_some_and(|h| h <= at))
            .unwrap_or_default();
        assert!(
            heading.contains(info.section),
            "{clause}: the sentence is under {heading:?}, not {:?}",
            info.section
        );
    }
}

#[test]
fn every_clause_has_generators_and_checks_and_every_generator_a_clause() {
    let ids: BTreeSet<&str> = Clause::ALL.iter().map(|c| c.info().id).collect();
    assert_eq!(ids.len(), Clause::ALL.len(), "clause ids are unique");
    for clause in Clause::ALL {
        assert!(!clause.generators().is_empty(), "{clause} has no generator");
        assert!(!clause.info().checks.is_empty(), "{clause} has no check");
        assert!(
            !clause.info().ops.is_empty(),
            "{clause} applies to no operation"
        );
        assert_eq!(Clause::from_id(clause.info().id), Some(*clause));
    }
    for generator in Gen::all() {
        assert!(
            !generator.targets().is_empty(),
            "{generator:?} exercises nothing"
        );
    }
}

/// The copy in this repository is the contract the project follows.
#[test]
fn the_vendored_contract_is_the_shared_one() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/contract/CONTRACT.md");
    match std::fs::read_to_string(&shared) {
        Ok(text) => assert_eq!(
            text,
            contract(),
            "contract/CONTRACT.md differs from {}: copy it, then update the catalogue",
            shared.display()
        ),
        // A clone on its own (CI) has only the copy.
        Err(_) => assert!(contract().contains("## Order of checks")),
    }
}

/// The oracle's expectations come from how a case was made, never from the
/// model's rules, binding or offline checks: nothing in the harness's
/// sources names them.
#[test]
fn the_harness_never_asks_the_model_what_to_expect() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![src.clone()];
    let mut checked = 0;
    while let Some(path) = files.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).expect("src") {
                files.push(entry.expect("entry").path());
            }
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("source");
        let code: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        for forbidden in ["rules", "binding", "offline"] {
            for spelling in [
                format!("lupl_model::{forbidden}"),
                format!("lupl_model::{{{forbidden}"),
            ] {
                assert!(
                    !code.contains(&spelling),
                    "{} uses {spelling}",
                    path.display()
                );
            }
        }
        assert!(
            !code.contains("lupl_model::{") || !code.contains("rules"),
            "{}",
            path.display()
        );
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} files checked");
}
