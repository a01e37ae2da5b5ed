//! What a careless user or an attacker hands `lupl`, end to end: each gets
//! a one-line error with the documented exit code (2: the command line or a
//! file cannot be used; 1: the API or the contract refuses; 4: the network),
//! loses nothing and sends nothing it should not.

use lupl_model::Sandbox;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PMS: &str = "4efafdc0-2783-4af6-9cac-d2b2be27a080";
const ORG: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";

fn lupl(dir: &Path, base_url: &str, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lupl"));
    for (k, _) in std::env::vars() {
        if k.starts_with("LUPL_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir)
        .env("LUPL_BASE_URL", base_url)
        .env("LUPL_TOKEN", "tok-acme")
        .args(args)
        .output()
        .expect("lupl runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn acme() -> Value {
    lupl_spec::Spec::workspace()
        .schema_example("ProviderConfiguration")
        .cloned()
        .expect("acme")
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// `org set-many --dry-run` of `file` with the provider configuration in
/// `provider`: no request is made.
fn dry_run(dir: &Path, file: &Path, provider: &Path) -> Output {
    let args = [
        "org",
        "set-many",
        "--dry-run",
        "--pms-id",
        PMS,
        "--file",
        s(file),
        "--provider-config",
        s(provider),
    ];
    lupl(dir, &closed_port(), &args)
}

/// A closed loopback port: whatever is sent there is refused.
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    url
}

#[test]
fn an_output_path_that_is_an_input_is_refused_and_the_input_kept() {
    let dir = tempfile::tempdir().expect("dir");
    let provider = write(dir.path(), "acme.json", acme().to_string());
    let text = format!("organizationId,region\n{ORG},eu\n");
    let input = write(dir.path(), "a.csv", &text);
    let url = closed_port();
    for (flag, path) in [
        ("--results", &input),
        ("--journal", &input),
        ("--results", &provider),
    ] {
        let args = [
            "org",
            "set-many",
            "--pms-id",
            PMS,
            "--file",
            s(&input),
            "--provider-config",
            s(&provider),
            flag,
            s(path),
        ];
        let out = lupl(dir.path(), &url, &args);
        assert_eq!(out.status.code(), Some(2), "{flag}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("an output never replaces an input"),
            "{}",
            stderr(&out)
        );
        assert_eq!(std::fs::read_to_string(&input).expect("read"), text);
    }
    // An unwritable result file is found before anything is sent.
    let args = [
        "org",
        "set-many",
        "--pms-id",
        PMS,
        "--file",
        s(&input),
        "--provider-config",
        s(&provider),
        "--results",
        "/nonexistent/dir/results.csv",
    ];
    let out = lupl(dir.path(), &url, &args);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot write --results"),
        "{}",
        stderr(&out)
    );
    assert!(
        !input.with_file_name("a.csv.journal").exists(),
        "nothing was started"
    );
    // A device is written through a rename, so it is refused: run as
    // root, the rename would replace /dev/null with a plain file.
    let mut to_device = args;
    to_device[9] = "/dev/null";
    let out = lupl(dir.path(), &url, &to_device);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("/dev/null is not a regular file"),
        "{}",
        stderr(&out)
    );
    assert!(!std::fs::metadata("/dev/null").expect("null").is_file());
}

#[test]
fn unusable_csv_files_say_why_with_exit_2() {
    let dir = tempfile::tempdir().expect("dir");
    let provider = write(dir.path(), "acme.json", acme().to_string());
    let dup = format!("organizationId,region,region\n{ORG},eu,us\n");
    let semi = format!("organizationId;region\n{ORG};eu\n");
    let cases: [(&str, &[u8], &str); 4] = [
        (
            "dup.csv",
            dup.as_bytes(),
            "columns 2 and 3 of the header are both \"region\"",
        ),
        ("semi.csv", semi.as_bytes(), "looks ;-separated"),
        (
            "latin1.csv",
            b"organizationId,region\n3fa85f64-5717-4562-b3fc-2c963f66afa6,Z\xfcrich\n",
            "latin1.csv:2:39: not UTF-8",
        ),
        ("empty.csv", b"", "no organizationId column"),
    ];
    for (name, bytes, says) in cases {
        let file = write(dir.path(), name, bytes);
        let out = dry_run(dir.path(), &file, &provider);
        assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{name}: {}", stderr(&out));
        assert_eq!(stderr(&out).lines().count(), 1, "{name}: {}", stderr(&out));
    }
}

#[test]
fn crlf_and_bom_files_read_as_written() {
    let dir = tempfile::tempdir().expect("dir");
    let provider = write(dir.path(), "acme.json", acme().to_string());
    let other = "3fa85f64-5717-4562-b3fc-2c963f66afa7";
    let csv = format!("\u{feff}organizationId,region\r\n{ORG},eu\r\n{other},mars\r\n");
    let file = write(dir.path(), "win.csv", csv);
    let out = dry_run(dir.path(), &file, &provider);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("win.csv:3: {other}: fields.region")),
        "the second row is on line 3: {}",
        stderr(&out)
    );
    // A BOM before JSON is read too.
    let bom = write(dir.path(), "bom.json", format!("\u{feff}{}", acme()));
    let out = lupl(
        dir.path(),
        &closed_port(),
        &["provider", "validate", "--file", s(&bom)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_member_given_twice_is_refused_where_it_is_repeated() {
    let dir = tempfile::tempdir().expect("dir");
    let text = "{\n  \"name\": \"ACME\",\n  \"name\": \"Evil\"\n}\n";
    let file = write(dir.path(), "twice.json", text);
    let out = lupl(
        dir.path(),
        &closed_port(),
        &["provider", "validate", "--file", s(&file)],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("twice.json:3:"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("\"name\" is given twice"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_file_the_api_would_answer_413_is_not_called_valid() {
    let dir = tempfile::tempdir().expect("dir");
    let mut config = acme();
    config["x-padding"] = json!("x".repeat(lupl_model::MAX_BODY_BYTES));
    let file = write(dir.path(), "big.json", config.to_string());
    let out = lupl(
        dir.path(),
        &closed_port(),
        &["provider", "validate", "--file", s(&file)],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("413"), "{}", stderr(&out));
}

#[test]
fn a_refused_connection_says_so() {
    let dir = tempfile::tempdir().expect("dir");
    let out = lupl(
        dir.path(),
        &closed_port(),
        &["provider", "get", "--pms-id", PMS],
    );
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).to_lowercase().contains("connection refused"),
        "{}",
        stderr(&out)
    );
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
}

/// A 5xx (the sandbox could not save its state) is the API unavailable
/// now, not a refusal: exit 4, with what to do.
#[tokio::test]
async fn a_server_error_is_unavailable_now_not_refused() {
    use lupl_model::http_server::Handler;
    let dir = tempfile::tempdir().expect("dir");
    let sandbox = Sandbox::start_with_handler(lupl_model::Fixture::builtin(), |model| -> Handler {
        std::sync::Arc::new(move |request| {
            let mut answer = model.handle(request);
            answer.status = 503;
            answer
        })
    })
    .await
    .expect("sandbox");
    let out = lupl(
        dir.path(),
        sandbox.base_url(),
        &["provider", "get", "--pms-id", PMS],
    );
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("unavailable now"), "{}", stderr(&out));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
}

/// The API goes away: the run pauses, tries again, then stops with exit 4
/// and everything left for `--resume`, which finishes once it is back.
#[tokio::test]
async fn an_api_that_stops_answering_stops_the_run_for_resume() {
    let dir = tempfile::tempdir().expect("dir");
    let provider = write(dir.path(), "acme.json", acme().to_string());
    let file = write(
        dir.path(),
        "orgs.csv",
        format!("organizationId,region\n{ORG},eu\n"),
    );
    let mut args = vec![
        "org",
        "set-many",
        "--pms-id",
        PMS,
        "--file",
        s(&file),
        "--provider-config",
        s(&provider),
        "--retries",
        "1",
    ];
    let out = lupl(dir.path(), &closed_port(), &args);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("stopped answering"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("--resume"), "{}", stderr(&out));
    let results =
        std::fs::read_to_string(dir.path().join("orgs.csv.results.csv")).expect("results");
    assert!(results.contains(",network,"), "{results}");

    let sandbox = Sandbox::start().await.expect("sandbox");
    let acme_config = json!({"pmsId": PMS, "config": acme()});
    let http = lupl_api::reqwest::Client::new();
    let stored = http
        .post(format!("{}/api/1.0/pms/providerconfig", sandbox.base_url()))
        .bearer_auth("tok-acme")
        .json(&acme_config)
        .send()
        .await
        .expect("sent");
    assert_eq!(stored.status(), 200);
    args.push("--resume");
    let out = lupl(dir.path(), sandbox.base_url(), &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// Control characters from the server or the command line reach the
/// terminal as escapes: a stored name cannot clear the screen or set the
/// window title.
#[tokio::test]
async fn control_characters_never_reach_the_terminal() {
    let dir = tempfile::tempdir().expect("dir");
    let sandbox = Sandbox::start().await.expect("sandbox");
    let mut config = acme();
    config["name"] = json!("ACME\u{1b}[2J\u{1b}]0;pwned\u{7}");
    // U+009B is a one-character ESC[ on some terminals.
    config["description"] = json!("desc\u{9b}31m\u{7f}");
    let file = write(dir.path(), "evil.json", config.to_string());
    let set = ["provider", "set", "--pms-id", PMS, "--file", s(&file)];
    let out = lupl(dir.path(), sandbox.base_url(), &set);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let get = ["--output", "table", "provider", "get", "--pms-id", PMS];
    let out = lupl(dir.path(), sandbox.base_url(), &get);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        !shown.contains('\u{1b}') && !shown.contains('\u{7}'),
        "{shown:?}"
    );
    assert!(shown.contains("ACME\\u{1b}[2J"), "{shown}");
    // JSON output too: the same value, escaped in the text.
    let get = ["--output", "json", "provider", "get", "--pms-id", PMS];
    let out = lupl(dir.path(), sandbox.base_url(), &get);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        !shown.chars().any(|c| c.is_control() && c != '\n'),
        "{shown:?}"
    );
    let value: Value = serde_json::from_str(&shown).expect("JSON");
    assert_eq!(value["description"], config["description"]);
    assert_eq!(value["name"], config["name"]);
    let out = lupl(
        dir.path(),
        sandbox.base_url(),
        &[
            "--env",
            "\u{1b}[2Jstage",
            "provider",
            "get",
            "--pms-id",
            PMS,
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(!stderr(&out).contains('\u{1b}'), "{:?}", stderr(&out));
}
