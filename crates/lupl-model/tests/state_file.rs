//! The sandbox's `--state` file against what a careless user or another
//! local user could plant beside it (issue 19).

use lupl_model::{Change, Fixture, StateFile};
use serde_json::json;
use std::path::Path;

const ORG: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
const PMS: &str = "4efafdc0-2783-4af6-9cac-d2b2be27a080";

fn open(path: &Path) -> Result<(StateFile, Fixture), lupl_model::FixtureError> {
    StateFile::open(path, || Ok(Fixture::builtin()))
}

/// A link planted where the temporary file of a compaction used to be is
/// never followed: its target keeps its content, and no state (with the
/// fixture's tokens) reaches it.
#[test]
fn a_planted_link_beside_the_state_is_not_followed() {
    let dir = tempfile::tempdir().expect("dir");
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "precious\n").expect("write");
    let state = dir.path().join("STATE");
    std::os::unix::fs::symlink(&victim, dir.path().join(".STATE.tmp")).expect("link");
    let (file, _) = open(&state).expect("opens and compacts");
    drop(file);
    assert_eq!(
        std::fs::read_to_string(&victim).expect("read"),
        "precious\n"
    );
    let held = std::fs::read_to_string(&state).expect("state");
    assert!(held.contains("luplSandboxState"));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp") && n != ".STATE.tmp")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// A `--state` that is a symbolic link: the file it points at holds the
/// state and the lock, and the link stays a link.
#[test]
fn a_state_link_names_its_target() {
    let dir = tempfile::tempdir().expect("dir");
    let real = dir.path().join("real.jsonl");
    let link = dir.path().join("link.jsonl");
    let (first, _) = open(&real).expect("creates");
    drop(first);
    std::os::unix::fs::symlink(&real, &link).expect("link");
    let (file, _) = open(&link).expect("opens through the link");
    file.append(&Change::Organization {
        organization_id: ORG.parse().expect("uuid"),
        config: json!({"organizationId": ORG, "pmsId": PMS, "fields": {"region": "eu"}}).into(),
    })
    .expect("appends");
    // The lock is the target's: a second opener by either name is refused.
    assert!(open(&real).is_err(), "the target's lock is held");
    drop(file);
    assert!(
        std::fs::symlink_metadata(&link)
            .expect("link")
            .file_type()
            .is_symlink(),
        "the link was replaced by a file"
    );
    assert!(
        std::fs::read_to_string(&real)
            .expect("real")
            .contains("\"region\":\"eu\"")
    );
    assert!(!dir.path().join("link.jsonl.lock").exists());
}

/// Lines appended by hand are checked as the snapshot is: a config the
/// model would never store, or one under another id, refuses the file and
/// names the line, instead of being served and compacted.
#[test]
fn hand_written_lines_are_checked_like_the_snapshot() {
    let other = "c0ffee00-1234-4abc-9def-0123456789ab";
    for bad in [
        json!({"organization": ORG, "config": 5}),
        json!({"organization": ORG, "config": {"organizationId": ORG}}),
        json!({"organization": ORG, "config": {"organizationId": other, "pmsId": PMS, "fields": {}}}),
        json!({"organization": "00000000-0000-4000-8000-000000000000", "config": null}),
        json!({"provider": PMS, "config": {"name": ""}}),
    ] {
        let dir = tempfile::tempdir().expect("dir");
        let state = dir.path().join("state.jsonl");
        drop(open(&state).expect("creates"));
        let mut text = std::fs::read_to_string(&state).expect("read");
        text.push_str(&format!("{bad}\n"));
        std::fs::write(&state, &text).expect("append by hand");
        let err = open(&state).expect_err("refused");
        assert!(err.to_string().contains(":2"), "{bad}: {err}");
        assert_eq!(
            std::fs::read_to_string(&state).expect("kept"),
            text,
            "{bad}: the file was rewritten"
        );
    }
}

/// Every path flag of the sandbox has a role, and each output is refused
/// on each input: the state never replaces the fixture it starts from.
#[tokio::test]
async fn every_sandbox_path_flag_is_guarded() {
    use clap::{Args, Command, FromArgMatches};
    use lupl_model::run::FILE_ROLES;
    let command = lupl_model::SandboxArgs::augment_args(Command::new("lupl-sandbox"));
    let flags = lupl_safety::paths::path_flags(&command);
    let role = |id: &str| FILE_ROLES.iter().find(|(n, _)| *n == id).map(|(_, r)| *r);
    for (_, id) in &flags {
        assert!(
            role(id).is_some(),
            "the path flag {id} has no role in FILE_ROLES"
        );
    }
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("fixture.json");
    let original = serde_json::to_string(&Fixture::builtin()).expect("json");
    std::fs::write(&file, &original).expect("write");
    let path = file.to_str().expect("utf-8");
    use lupl_safety::paths::Role;
    for (_, output) in flags
        .iter()
        .filter(|(_, id)| role(id) == Some(Role::Output))
    {
        for (_, other) in flags.iter().filter(|(_, id)| id != output) {
            let long = |id: &str| format!("--{}", id.replace('_', "-"));
            let matches = command.clone().get_matches_from([
                "lupl-sandbox",
                "--listen",
                "not an address",
                &long(other),
                path,
                &long(output),
                path,
            ]);
            let args = lupl_model::SandboxArgs::from_arg_matches(&matches).expect("args");
            let err = lupl_model::run_sandbox(&args).await.expect_err("refused");
            assert!(err.contains("never replaces an input"), "{err}");
            assert_eq!(std::fs::read_to_string(&file).expect("kept"), original);
        }
    }
}

/// A link planted where the lock file goes is refused, not followed: it
/// would create (or lock) whatever it names.
#[test]
fn a_planted_lock_link_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let victim = dir.path().join("victim");
    std::os::unix::fs::symlink(&victim, dir.path().join("v.lock")).expect("link");
    let err = open(&dir.path().join("v")).expect_err("refused");
    assert!(err.to_string().contains("symbolic link"), "{err}");
    assert!(!victim.exists(), "the link was followed");
}
