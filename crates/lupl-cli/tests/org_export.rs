//! `lupl org export`: configurations read into JSON Lines or CSV that
//! `set-many` takes back unchanged; resumable; null rows kept and named.

mod common;

use common::{PMS, bulk_sandbox, file, input_file, lupl, set_many_args, stderr, stdout};
use lupl_model::{Change, Sandbox};
use serde_json::{Value, json};

/// 40 organizations: every fifth without a configuration.
async fn configured() -> (Sandbox, Vec<String>) {
    let (sandbox, ids) = bulk_sandbox(40).await;
    let pms: uuid::Uuid = PMS.parse().expect("uuid");
    for (i, id) in ids.iter().enumerate().filter(|(i, _)| i % 5 != 0) {
        let organization_id: uuid::Uuid = id.parse().expect("uuid");
        let region = ["us", "eu", "apac"][i % 3];
        sandbox.model().apply(&Change::Organization {
            organization_id,
            config: json!({"organizationId": organization_id, "pmsId": pms,
                "fields": {"region": region, "firmCode": format!("ACM{i:03}")}})
            .into(),
        });
    }
    (sandbox, ids)
}

fn configs(sandbox: &Sandbox, ids: &[String]) -> Vec<Value> {
    ids.iter()
        .map(|id| {
            sandbox
                .model()
                .organization_config(id.parse().expect("uuid"))
        })
        .collect()
}

fn gets(sandbox: &Sandbox) -> usize {
    sandbox
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.url.contains("organizationconfig"))
        .count()
}

#[tokio::test]
async fn a_jsonl_export_is_set_manys_input_and_resumes() {
    let (sandbox, ids) = configured().await;
    let before = configs(&sandbox, &ids);
    let list = input_file("export-ids.txt", &format!("# ids\n{}\n", ids.join("\n")));
    let out = file("export.jsonl", "");
    std::fs::remove_file(&out).expect("made by the export");
    let out_arg = out.to_str().expect("path");
    let args = [
        "org",
        "export",
        "--ids",
        list.to_str().expect("path"),
        "--out",
        out_arg,
    ];
    // A first export, cut short: only the first 15 lines survive.
    let run = lupl(Some(sandbox.base_url()), Some("tok-acme"), &args);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let summary: Value = serde_json::from_str(&stdout(&run)).expect("json");
    assert_eq!(summary["exported"], 40);
    assert_eq!(summary["null"], 8);
    assert!(stderr(&run).contains("8 organization(s) have no configuration"));
    let whole = std::fs::read_to_string(&out).expect("export");
    let cut: String = whole.lines().take(15).map(|l| format!("{l}\n")).collect();
    std::fs::write(&out, format!("{cut}{{\"organizationId\": \"torn")).expect("cut");
    // Without --resume the file is not replaced.
    let refused = lupl(Some(sandbox.base_url()), Some("tok-acme"), &args);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    sandbox.services().journal.clear();
    let mut resumed = args.to_vec();
    resumed.push("--resume");
    let run = lupl(Some(sandbox.base_url()), Some("tok-acme"), &resumed);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert_eq!(gets(&sandbox), 25, "only what the file lacked was read");
    let text = std::fs::read_to_string(&out).expect("export");
    assert_eq!(text.lines().count(), 40);

    // Change everything, then put the export back with set-many.
    let mut change = String::from("organizationId,region\n");
    for id in &ids {
        change.push_str(&format!("{id},us\n"));
    }
    let change = input_file("export-change.csv", &change);
    let run = lupl(
        Some(sandbox.base_url()),
        Some("tok-acme"),
        &set_many_args(&change, &[]),
    );
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let run = lupl(
        Some(sandbox.base_url()),
        Some("tok-acme"),
        &set_many_args(&out, &[]),
    );
    assert_eq!(
        run.status.code(),
        Some(1),
        "8 rows were null: {}",
        stderr(&run)
    );
    for (id, was) in ids.iter().zip(&before) {
        let now = sandbox
            .model()
            .organization_config(id.parse().expect("uuid"));
        if !was.is_null() {
            assert_eq!(&now, was);
        }
    }
}

#[tokio::test]
async fn a_csv_export_has_the_providers_columns_and_comes_back() {
    let (sandbox, ids) = configured().await;
    let before = configs(&sandbox, &ids);
    let mut list = String::from("name,organizationId\n");
    for (i, id) in ids.iter().enumerate() {
        list.push_str(&format!("org {i},{id}\n"));
    }
    let list = input_file("export-ids.csv", &list);
    let out = file("export.csv", "");
    std::fs::remove_file(&out).expect("made by the export");
    let run = lupl(
        Some(sandbox.base_url()),
        Some("tok-acme"),
        &[
            "org",
            "export",
            "--ids",
            list.to_str().expect("path"),
            "--out",
            out.to_str().expect("path"),
            "--pms-id",
            PMS,
        ],
    );
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let text = std::fs::read_to_string(&out).expect("csv");
    assert_eq!(text.lines().next(), Some("organizationId,region,firmCode"));
    assert_eq!(text.lines().count(), 1 + 32, "null rows are not in a CSV");
    assert!(stderr(&run).contains("not in the CSV"));
    let mut change = String::from("organizationId,region,firmCode\n");
    for id in &ids {
        change.push_str(&format!("{id},us,ZZZ999\n"));
    }
    let change = input_file("export-change2.csv", &change);
    let run = lupl(
        Some(sandbox.base_url()),
        Some("tok-acme"),
        &set_many_args(&change, &[]),
    );
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let run = lupl(
        Some(sandbox.base_url()),
        Some("tok-acme"),
        &set_many_args(&out, &[]),
    );
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    for (id, was) in ids.iter().zip(&before) {
        if !was.is_null() {
            let now = sandbox
                .model()
                .organization_config(id.parse().expect("uuid"));
            assert_eq!(&now, was);
        }
    }
}

#[test]
fn ids_files_are_read_in_three_forms() {
    let a = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
    let b = "c0ffee00-1234-4abc-9def-0123456789ab";
    let parse = |name: &str, text: &str| {
        lupl_cli::commands::ids(std::path::Path::new(name), text, "organizationId")
    };
    let want: Vec<uuid::Uuid> = vec![a.parse().expect("uuid"), b.parse().expect("uuid")];
    assert_eq!(
        parse("ids.txt", &format!("# comment\n{a}\n\n{b}\n{a}\n")).expect("ids"),
        want
    );
    assert_eq!(
        parse("ids.csv", &format!("x,organizationId\n1,{a}\n2,{b}\n")).expect("ids"),
        want
    );
    assert_eq!(
        parse(
            "ids.jsonl",
            &format!("{{\"organizationId\":\"{a}\"}}\n{{\"organizationId\":\"{b}\"}}\n")
        )
        .expect("ids"),
        want
    );
    let err = parse("ids.csv", "id\n1\n").expect_err("no column");
    assert!(err.to_string().contains("--column"), "{err}");
    let err = parse("ids.txt", "not-an-id\n").expect_err("bad id");
    assert!(err.to_string().contains("ids.txt:1"), "{err}");
}

#[tokio::test]
async fn an_export_never_replaces_the_settings_files() {
    let (sandbox, ids) = configured().await;
    let list = input_file("export-config-ids.txt", &ids.join("\n"));
    let home = std::env::temp_dir().join(format!("lupl-export-home-{}", std::process::id()));
    let config = home.join("lupl/config.toml");
    std::fs::create_dir_all(config.parent().expect("dir")).expect("dir");
    let _ = std::fs::remove_file(&config);
    let out = common::command(
        Some(sandbox.base_url()),
        Some("tok-acme"),
        &[
            "org",
            "export",
            "--ids",
            list.to_str().expect("path"),
            "--out",
            config.to_str().expect("path"),
        ],
    )
    .env("XDG_CONFIG_HOME", &home)
    .output()
    .expect("runs");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(!config.exists(), "the default config file was not made");
}

/// A CSV export opens its file as a backup does: not through a symbolic
/// link (the file it names is left as it was), and not over a file that
/// exists without --resume.
#[cfg(unix)]
#[tokio::test]
async fn a_csv_export_refuses_a_link_and_an_existing_file() {
    let (sandbox, ids) = configured().await;
    let list = input_file("export-link-ids.txt", &format!("{}\n", ids[0]));
    let target = file("export-link-target.txt", "keep me\n");
    let link = target.with_file_name("export-link.csv");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&target, &link).expect("link");
    let existing = file("export-existing.csv", "");
    for (out, said) in [(&link, "symbolic link"), (&existing, "exists")] {
        let run = lupl(
            Some(sandbox.base_url()),
            Some("tok-acme"),
            &[
                "org",
                "export",
                "--ids",
                list.to_str().expect("path"),
                "--out",
                out.to_str().expect("path"),
                "--pms-id",
                PMS,
            ],
        );
        assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
        assert!(stderr(&run).contains(said), "{}", stderr(&run));
    }
    assert_eq!(
        std::fs::read_to_string(&target).expect("target"),
        "keep me\n"
    );
}

/// `--resume` appends under the header the file has: a CSV whose columns
/// are not the provider's fields, in their order, is refused untouched.
#[tokio::test]
async fn a_csv_resume_under_other_columns_is_refused() {
    let (sandbox, ids) = configured().await;
    let list = input_file("export-columns-ids.txt", &format!("{}\n", ids[0]));
    let before = format!("organizationId,firmCode,region\n{},ABC123,eu\n", ids[1]);
    let out = file("export-columns.csv", &before);
    let run = lupl(
        Some(sandbox.base_url()),
        Some("tok-acme"),
        &[
            "org",
            "export",
            "--ids",
            list.to_str().expect("path"),
            "--out",
            out.to_str().expect("path"),
            "--pms-id",
            PMS,
            "--resume",
        ],
    );
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    assert!(stderr(&run).contains("has the columns"), "{}", stderr(&run));
    assert_eq!(std::fs::read_to_string(&out).expect("csv"), before);
}
