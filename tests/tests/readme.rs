//! The README's "Using the client" program is the example CI builds
//! (`crates/lupl/examples/read_modify_write.rs`, between its
//! `README:begin` and `README:end` lines), and it stays at most 15 lines.

fn read(path: &str) -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../").to_owned() + path)
        .expect("the file exists")
}

#[test]
fn using_the_client_is_the_compiled_example() {
    let readme = read("README.md");
    let section = readme
        .split("## Using the client")
        .nth(1)
        .expect("README has a \"Using the client\" section");
    let shown = section
        .split("```rust\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the section starts with a Rust block");
    let example = read("crates/lupl/examples/read_modify_write.rs");
    let compiled = example
        .split("// README:begin\n")
        .nth(1)
        .and_then(|rest| rest.split("// README:end").next())
        .expect("the example marks the README's part");
    assert_eq!(shown, compiled, "README and example differ");
    assert!(
        compiled.lines().count() <= 15,
        "the README program has {} lines",
        compiled.lines().count()
    );
}

#[test]
fn the_sandbox_example_is_the_test_that_runs_it() {
    block_is_example(
        "In Rust tests, start one in-process",
        "tests/tests/sandbox_example.rs",
    );
}

/// The Rust block after `heading` in the README is the part of `example`
/// between its `README:begin` and `README:end` lines.
fn block_is_example(heading: &str, example: &str) {
    let readme = read("README.md");
    let section = readme
        .split(heading)
        .nth(1)
        .unwrap_or_else(|| panic!("README has {heading:?}"));
    let shown = section
        .split("```rust\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a Rust block follows");
    let compiled = read(example);
    let marked = compiled
        .split("// README:begin\n")
        .nth(1)
        .and_then(|rest| rest.split("// README:end").next())
        .expect("the example marks the README's part");
    assert_eq!(shown, marked, "README and {example} differ");
}

#[test]
fn the_organization_example_is_the_compiled_one() {
    block_is_example(
        "### An organization, and the answers to handle",
        "crates/lupl/examples/organization.rs",
    );
}

#[test]
fn the_tuning_example_is_the_compiled_one() {
    block_is_example(
        "## Authentication, limits and retries (`lupl-auth`)",
        "crates/lupl/examples/tuning.rs",
    );
}

/// The files whose `README:begin`…`README:end` part the README may show:
/// examples the tests build, and a test that runs.
const COMPILED: [&str; 4] = [
    "crates/lupl/examples/read_modify_write.rs",
    "crates/lupl/examples/organization.rs",
    "crates/lupl/examples/tuning.rs",
    "tests/tests/sandbox_example.rs",
];

/// Every Rust block of the README is one of the compiled parts, so a
/// snippet added without its compiled twin fails here.
#[test]
fn every_rust_block_of_the_readme_is_compiled() {
    let readme = read("README.md");
    let compiled: Vec<String> = COMPILED
        .iter()
        .map(|path| {
            let part = read(path)
                .split("// README:begin\n")
                .nth(1)
                .and_then(|rest| rest.split("// README:end").next())
                .unwrap_or_else(|| panic!("{path} marks the README's part"))
                .to_owned();
            // A test's part sits in its function: shown without the
            // indentation all its lines share.
            let indent = part
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| l.len() - l.trim_start().len())
                .min()
                .unwrap_or(0);
            part.lines()
                .map(|l| l.get(indent..).unwrap_or(""))
                .filter(|l| !l.trim().is_empty())
                .map(|l| format!("{l}\n"))
                .collect::<String>()
        })
        .collect();
    let mut blocks = 0;
    let mut rest = readme.as_str();
    while let Some(start) = rest.find("```rust\n") {
        let body = &rest[start + "```rust\n".len()..];
        let end = body.find("```\n").expect("a closed Rust block");
        let block = &body[..end];
        let block: String = block
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| format!("{l}\n"))
            .collect();
        assert!(
            compiled.contains(&block),
            "this README Rust block is not compiled by any test:\n{block}"
        );
        blocks += 1;
        rest = &body[end..];
    }
    assert_eq!(blocks, COMPILED.len(), "each compiled part is shown once");
    // rustdoc and GitHub take an unlabelled block as Rust too.
    let mut fence = 0;
    for line in readme.lines().filter(|l| l.starts_with("```")) {
        fence += 1;
        assert!(fence % 2 == 0 || line.len() > 3, "an unlabelled code block");
    }
}
