//! `set-many --backup` then a rollback, over 1,000 organizations: every
//! configuration afterwards equals the one before, and the organizations
//! that had none (`null`) are reported before the rollback sends anything,
//! never silently left changed. `--max-failures` and `--fail-fast` stop a
//! run early, resumably.

mod common;

use common::{PMS, bulk_sandbox, bulk_sandbox_at, file, input_file, lupl, set_many_args, stderr};
use lupl_model::Change;
use serde_json::{Value, json};

fn results(path: &std::path::Path) -> Vec<(String, String, String)> {
    let mut reader = csv::Reader::from_path(path).expect("result file");
    reader
        .records()
        .map(|r| {
            let r = r.expect("record");
            (r[1].to_owned(), r[2].to_owned(), r[4].to_owned())
        })
        .collect()
}

#[tokio::test]
async fn a_bad_change_is_rolled_back_and_null_rows_are_reported() {
    // 3,000 requests: above Lupl's 1000/60, which is not what this tests.
    let (sandbox, ids) = bulk_sandbox_at(1000, lupl_model::Quota::new(1_000_000, 1)).await;
    let pms: uuid::Uuid = PMS.parse().expect("uuid");
    // Before: 990 configured organizations, each its own; 10 with none.
    let null_rows: Vec<&String> = ids.iter().step_by(100).collect();
    for (i, id) in ids.iter().enumerate() {
        if null_rows.contains(&id) {
            continue;
        }
        let organization_id: uuid::Uuid = id.parse().expect("uuid");
        let region = ["us", "eu", "apac"][i % 3];
        sandbox.model().apply(&Change::Organization {
            organization_id,
            config: json!({"organizationId": organization_id, "pmsId": pms,
                "fields": {"region": region, "firmCode": format!("ACM{:03}", i % 1000)}})
            .into(),
        });
    }
    let before: Vec<Value> = ids
        .iter()
        .map(|id| {
            sandbox
                .model()
                .organization_config(id.parse().expect("uuid"))
        })
        .collect();

    // The bad change: every organization to region "us", nothing else.
    let mut text = String::from("organizationId,region\n");
    for id in &ids {
        text.push_str(&format!("{id},us\n"));
    }
    let change = input_file("bad-change.csv", &text);
    let backup = file("bad-change.backup.jsonl", "");
    std::fs::remove_file(&backup).expect("the backup is made by the run");
    let backup_arg = backup.to_str().expect("path");
    let out = lupl(
        Some(sandbox.base_url()),
        Some("tok-acme"),
        &set_many_args(
            &change,
            &["--backup", backup_arg, "--rate-limit", "1000000/1"],
        ),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(ids.iter().all(|id| {
        sandbox
            .model()
            .organization_config(id.parse().expect("uuid"))["fields"]
            == json!({"region": "us"})
    }));
    let kept = std::fs::read_to_string(&backup).expect("backup");
    assert_eq!(kept.lines().count(), 1000, "one row per organization");

    // A second run may not overwrite the backup.
    let again = lupl(
        Some(sandbox.base_url()),
        Some("tok-acme"),
        &set_many_args(&change, &["--backup", backup_arg]),
    );
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(stderr(&again).contains("exists"), "{}", stderr(&again));

    // The rollback: the backup is set-many's input as it stands.
    let rollback_results = file("rollback.results.csv", "");
    let out = lupl(
        Some(sandbox.base_url()),
        Some("tok-acme"),
        &set_many_args(
            &backup,
            &[
                "--results",
                rollback_results.to_str().expect("path"),
                "--rate-limit",
                "1000000/1",
            ],
        ),
    );
    let said = stderr(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "ten rows cannot be restored: {said}"
    );
    let warning = said
        .lines()
        .position(|l| l.contains("10 organization(s) had no configuration (null)"))
        .expect("the null rows are named");
    assert!(
        said.lines()
            .position(|l| l.contains("rows") && l.contains('/'))
            .is_none_or(|progress| warning < progress),
        "said before the run: {said}"
    );
    for (id, was) in ids.iter().zip(&before) {
        let now = sandbox
            .model()
            .organization_config(id.parse().expect("uuid"));
        if was.is_null() {
            assert_eq!(now["fields"], json!({"region": "us"}), "left as it is");
        } else {
            assert_eq!(&now, was, "{id} restored");
        }
    }
    let table = results(&rollback_results);
    let unrestored: Vec<&(String, String, String)> = table
        .iter()
        .filter(|(_, status, _)| status != "200")
        .collect();
    assert_eq!(unrestored.len(), 10);
    for (id, status, message) in unrestored {
        assert!(null_rows.contains(&id), "{id}");
        assert_eq!(status, "invalid");
        assert!(message.contains("null"), "{message}");
    }
}

#[tokio::test]
async fn max_failures_stops_taking_rows_and_resume_finishes() {
    let (sandbox, ids) = bulk_sandbox(60).await;
    let mut text = String::from("organizationId,region\n");
    for (i, id) in ids.iter().enumerate() {
        let region = if i % 10 == 0 { "mars" } else { "eu" };
        text.push_str(&format!("{id},{region}\n"));
    }
    let input = input_file("max-failures.csv", &text);
    let results_path = file("max-failures.results.csv", "");
    let results_arg = results_path.to_str().expect("path");
    let out = lupl(
        Some(sandbox.base_url()),
        Some("tok-acme"),
        &set_many_args(
            &input,
            &[
                "--results",
                results_arg,
                "--max-failures",
                "2",
                "--concurrency",
                "1",
            ],
        ),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("--resume"), "{}", stderr(&out));
    let table = results(&results_path);
    let failed = table.iter().filter(|(_, s, _)| s == "400").count();
    let not_run = table.iter().filter(|(_, s, _)| s == "not run").count();
    assert_eq!(failed, 2, "stopped at the second refusal");
    assert!(not_run > 0, "rows were left");
    // --fail-fast stops at the first; --resume then finishes the rest.
    let out = lupl(
        Some(sandbox.base_url()),
        Some("tok-acme"),
        &set_many_args(
            &input,
            &[
                "--results",
                results_arg,
                "--resume",
                "--fail-fast",
                "--concurrency",
                "1",
            ],
        ),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let table = results(&results_path);
    assert_eq!(
        table.iter().filter(|(_, s, _)| s == "400").count(),
        3,
        "one more refusal, then it stopped"
    );
    assert!(
        table.iter().any(|(_, s, _)| s == "not run"),
        "rows were left"
    );
    let out = lupl(
        Some(sandbox.base_url()),
        Some("tok-acme"),
        &set_many_args(&input, &["--results", results_arg, "--resume"]),
    );
    assert_eq!(out.status.code(), Some(1), "six rows are refused");
    let table = results(&results_path);
    assert_eq!(table.iter().filter(|(_, s, _)| s == "200").count(), 54);
    assert_eq!(table.iter().filter(|(_, s, _)| s == "400").count(), 6);
}

#[test]
fn a_backup_is_one_runs_file() {
    use lupl_cli::backup::Backup;
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("kept.jsonl");
    let a = Backup::open(&path, false).expect("a new backup");
    // A second run on the same file is refused while the first holds it.
    let err = Backup::open(&path, true).expect_err("in use");
    assert!(err.to_string().contains("another run"), "{err}");
    drop(a);
    // A whole last line saved without its newline is kept on --resume.
    let id = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
    std::fs::write(
        &path,
        format!("{{\"organizationId\":\"{id}\",\"fields\":null}}"),
    )
    .expect("w");
    let resumed = Backup::open(&path, true).expect("resume");
    assert!(resumed.has(id.parse().expect("uuid")));
    drop(resumed);
    assert!(
        std::fs::read_to_string(&path)
            .expect("r")
            .ends_with("null}\n")
    );
    // A link is refused: it could name another file of the run.
    let link = dir.path().join("link.jsonl");
    std::os::unix::fs::symlink(dir.path().join("journal"), &link).expect("link");
    let err = Backup::open(&link, true).expect_err("a link");
    assert!(err.to_string().contains("symbolic link"), "{err}");
    assert!(
        !dir.path().join("journal").exists(),
        "nothing made through the link"
    );
}

#[tokio::test]
async fn a_run_is_continued_only_with_its_own_backup() {
    let (sandbox, ids) = bulk_sandbox(5).await;
    let mut text = String::from("organizationId,region\n");
    for id in &ids {
        text.push_str(&format!("{id},eu\n"));
    }
    let input = input_file("tied.csv", &text);
    let backup = file("tied.backup.jsonl", "");
    std::fs::remove_file(&backup).expect("made by the run");
    let other = file("tied.other.jsonl", "");
    std::fs::remove_file(&other).expect("made by the run");
    let url = Some(sandbox.base_url());
    let out = lupl(
        url,
        Some("tok-acme"),
        &set_many_args(&input, &["--backup", backup.to_str().expect("p")]),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = lupl(url, Some("tok-acme"), &set_many_args(&input, &["--resume"]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("pass --backup"), "{}", stderr(&out));
    let out = lupl(
        url,
        Some("tok-acme"),
        &set_many_args(
            &input,
            &["--resume", "--backup", other.to_str().expect("p")],
        ),
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = lupl(
        url,
        Some("tok-acme"),
        &set_many_args(
            &input,
            &["--resume", "--backup", backup.to_str().expect("p")],
        ),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}
