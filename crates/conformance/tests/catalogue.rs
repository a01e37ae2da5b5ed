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
        assert!(
            !Gen::for_clause(*clause).is_empty(),
            "{clause} has no generator"
        );
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

const SHARED_CITATION: &str = "`../seed/lupl-open-api.md` is the vendor's published document.";
const OWN_CITATION: &str =
    "Lupl's developer documentation, *Lupl Open API*, is the vendor's published document.";

/// The copy in this repository is the contract the project follows.
#[test]
fn the_vendored_contract_is_the_shared_one() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/contract/CONTRACT.md");
    match std::fs::read_to_string(&shared) {
        // The copy cites the vendor's document by name, not by a path
        // that exists only beside the shared one.
        Ok(text) => assert_eq!(
            text.replacen(SHARED_CITATION, OWN_CITATION, 1),
            contract(),
            "contract/CONTRACT.md differs from {}: copy it, then update the catalogue",
            shared.display()
        ),
        // A clone on its own (CI) has only the copy.
        Err(_) => assert!(contract().contains("## Order of checks")),
    }
}
