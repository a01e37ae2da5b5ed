//! The model served over HTTP: the vendor document's examples, concurrency,
//! the throttle under contention, and `--state` surviving SIGKILL.

mod common;
use common::*;
use lupl_model::{Fixture, Model, Quota, Sandbox};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

thread_local! {
    /// One client per test thread (each `#[tokio::test]` has its own
    /// single-threaded runtime, and pooled connections belong to it):
    /// building a client loads the system's root certificates.
    static CLIENT: reqwest::Client = reqwest::Client::new();
}

fn http() -> reqwest::Client {
    CLIENT.with(Clone::clone)
}

async fn http_get(base: &str, path_and_query: &str, token: &str) -> reqwest::Response {
    http()
        .get(format!("{base}{path_and_query}"))
        .bearer_auth(token)
        .send()
        .await
        .expect("sent")
}

async fn http_post(base: &str, path: &str, token: &str, body: &Value) -> reqwest::Response {
    http()
        .post(format!("{base}{path}"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("sent")
}

#[tokio::test]
async fn answers_the_vendor_documents_examples() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    let base = sandbox.base_url();
    let r = http_get(base, "/api/1.0/pms/providerconfig?pmsId=asdf", "tok-acme").await;
    assert_eq!(r.status(), 400);
    let b: Value = r.json().await.expect("json");
    assert_eq!(
        b["errors"],
        json!({"pmsId": ["The value 'asdf' is not valid."]})
    );

    // "The configuration may be null if the provider is newly registered."
    let r = http_get(
        base,
        &format!("/api/1.0/pms/providerconfig?pmsId={ACME_PMS}"),
        "tok-acme",
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"].to_str().ok(),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(r.text().await.expect("body"), "null");

    // Set returns an empty JSON object; get returns what was set.
    let r = http_post(
        base,
        "/api/1.0/pms/providerconfig",
        "tok-acme",
        &json!({"pmsId": ACME_PMS, "config": acme()}),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.expect("json"), json!({}));
    let r = http_post(
        base,
        "/api/1.0/pms/organizationconfig",
        "tok-acme",
        &json!({"organizationId": ACME_ORG, "pmsId": ACME_PMS, "fields": {"region": "eu"}}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let r = http_get(
        base,
        &format!("/api/1.0/pms/organizationconfig?organizationId={ACME_ORG}"),
        "tok-acme",
    )
    .await;
    assert_eq!(
        r.json::<Value>().await.expect("json")["fields"],
        json!({"region": "eu"})
    );

    // 403: "an empty JSON object is typically returned in the body".
    let r = http_get(
        base,
        &format!("/api/1.0/pms/providerconfig?pmsId={OTHER_PMS}"),
        "tok-acme",
    )
    .await;
    assert_eq!(r.status(), 403);
    assert_eq!(r.text().await.expect("body"), "{}");

    let document = |name: &str| {
        let url = format!("{base}/{name}");
        async move {
            let body = http().get(url).send().await.expect("sent");
            body.json::<Value>().await.expect("json")
        }
    };
    // The sandbox serves its OpenAPI document.
    let doc = document("openapi.json").await;
    assert_eq!(doc["openapi"], "3.0.3");

    // And its Postman collection: every operation of that document.
    let collection = document("postman.json").await;
    assert!(
        collection["info"]["schema"]
            .as_str()
            .is_some_and(|s| s.contains("v2.1.0")),
        "{}",
        collection["info"]
    );
    let operations = doc["paths"]
        .as_object()
        .expect("paths")
        .values()
        .map(|p| p.as_object().expect("path item").len())
        .sum::<usize>();
    assert_eq!(
        collection["item"].as_array().map(Vec::len),
        Some(operations)
    );
}

#[tokio::test]
async fn concurrent_writers_and_readers_never_see_a_mix() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    let base = sandbox.base_url().to_owned();
    let written: Vec<Value> = (0..40)
        .map(|i| {
            let mut c = acme();
            c["name"] = json!(format!("writer {i}"));
            c["fields"][0]["options"] = json!([format!("opt-{i}"), "us", "eu"]);
            c
        })
        .collect();
    let allowed: HashSet<String> = written
        .iter()
        .map(Value::to_string)
        .chain([Value::Null.to_string()])
        .collect();
    let mut tasks = Vec::new();
    for chunk in written.chunks(10) {
        let (base, chunk) = (base.clone(), chunk.to_vec());
        tasks.push(tokio::spawn(async move {
            for config in chunk {
                let r = http_post(
                    &base,
                    "/api/1.0/pms/providerconfig",
                    "tok-acme",
                    &json!({"pmsId": ACME_PMS, "config": config}),
                )
                .await;
                assert_eq!(r.status(), 200);
            }
            Vec::new()
        }));
    }
    for _ in 0..4 {
        let base = base.clone();
        tasks.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            for _ in 0..25 {
                let r = http_get(
                    &base,
                    &format!("/api/1.0/pms/providerconfig?pmsId={ACME_PMS}"),
                    "tok-acme",
                )
                .await;
                seen.push(r.json::<Value>().await.expect("json"));
            }
            seen
        }));
    }
    // Another tenant writing at the same time is unaffected.
    let other = {
        let base = base.clone();
        tokio::spawn(async move {
            for i in 0..20 {
                let r = http_post(
                    &base,
                    "/api/1.0/pms/organizationconfig",
                    "tok-other",
                    &json!({"organizationId": OTHER_ORG, "pmsId": OTHER_PMS,
                                  "fields": {"apiKey": format!("k-{i}")}}),
                )
                .await;
                assert_eq!(r.status(), 200);
            }
        })
    };
    for task in tasks {
        for config in task.await.expect("task") {
            assert!(allowed.contains(&config.to_string()), "a mix: {config}");
        }
    }
    other.await.expect("task");
    let last = http_get(
        &base,
        &format!("/api/1.0/pms/organizationconfig?organizationId={OTHER_ORG}"),
        "tok-other",
    )
    .await
    .json::<Value>()
    .await
    .expect("json");
    assert_eq!(last["fields"]["apiKey"], "k-19");
}

#[test]
fn the_throttle_never_lets_more_than_its_quota_through_under_contention() {
    let mut fixture = Fixture::builtin();
    fixture.rate_limit = Quota::new(50, 1);
    let model = Arc::new(Model::new(fixture));
    let t0 = Instant::now();
    // Two windows apart: each burst is judged alone.
    for (burst, start) in [(0, t0), (1, t0 + Duration::from_secs(2))] {
        let threads: Vec<_> = (0..8)
            .map(|thread| {
                let model = model.clone();
                std::thread::spawn(move || {
                    let req = get(&format!("{PROVIDER}?pmsId={ACME_PMS}"), Some("tok-acme"));
                    (0..100)
                        .filter(|i| {
                            let at = start + Duration::from_micros((thread * 100 + i) as u64);
                            model.handle_at(&req, at).status != 429
                        })
                        .count()
                })
            })
            .collect();
        let passed: usize = threads.into_iter().map(|t| t.join().expect("thread")).sum();
        assert_eq!(passed, 50, "burst {burst}");
    }
}

struct Running {
    child: Child,
    base_url: String,
}

fn start_sandbox(state: &std::path::Path) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lupl-sandbox"))
        .args(["--listen", "127.0.0.1:0", "--state"])
        .arg(state)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("sandbox starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("a line");
    let base_url = first
        .trim()
        .rsplit(' ')
        .next()
        .expect("base url")
        .to_owned();
    assert!(base_url.starts_with("http://127.0.0.1:"), "{first}");
    Running { child, base_url }
}

#[tokio::test]
async fn a_killed_sandbox_loses_nothing_it_acknowledged() {
    let dir = std::env::temp_dir().join(format!("lupl-state-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let state = dir.join("state.json");
    let _ = std::fs::remove_file(&state);

    let mut first = start_sandbox(&state);
    let config = json!({"pmsId": ACME_PMS, "config": acme()});
    let r = http_post(&first.base_url, PROVIDER, "tok-acme", &config).await;
    assert_eq!(r.status(), 200);
    first.child.kill().expect("SIGKILL");
    first.child.wait().expect("reaped");

    let mut second = start_sandbox(&state);
    let query = format!("{PROVIDER}?pmsId={ACME_PMS}");
    let got: Value = http_get(&second.base_url, &query, "tok-acme")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(got, acme());
    second.child.kill().expect("SIGKILL");
    second.child.wait().expect("reaped");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_bad_fixture_is_a_clear_error_naming_the_file() {
    let dir = std::env::temp_dir().join(format!("lupl-fixture-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("bad.json");
    std::fs::write(
        &path,
        r#"{"users": [{"token": "t"}], "providers": [], "organizations": []}"#,
    )
    .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_lupl-sandbox"))
        .args(["--listen", "127.0.0.1:0", "--fixture"])
        .arg(&path)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.json"), "{stderr}");
    assert!(stderr.contains("missing field `email`"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    std::fs::write(&path, r#"{"users": [], "providers": [{"pmsId": "4efafdc0-2783-4af6-9cac-d2b2be27a080", "owner": "x@y"}], "organizations": []}"#)
        .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_lupl-sandbox"))
        .args(["--listen", "127.0.0.1:0", "--fixture"])
        .arg(&path)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown owner x@y"), "{stderr}");

    // With --state, a fixture that fails leaves no state file behind (the
    // next start, with the fixture mended, would otherwise ignore it).
    let state = dir.join("state.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_lupl-sandbox"))
        .args(["--listen", "127.0.0.1:0", "--fixture"])
        .arg(&path)
        .arg("--state")
        .arg(&state)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(!state.exists(), "a state file was left behind");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn the_binary_serves_the_spec_and_caps_bodies() {
    let dir = std::env::temp_dir().join(format!("lupl-cap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let mut running = start_sandbox(&dir.join("state.json"));
    let base = running.base_url.clone();
    let doc: Value = http()
        .get(format!("{base}/openapi.json"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(doc["info"]["title"], "Lupl Open API");
    let huge = vec![b'x'; lupl_model::MAX_BODY_BYTES + 10];
    let r = http()
        .post(format!("{base}{PROVIDER}"))
        .bearer_auth("tok-acme")
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status(), 413);
    // The model answers as in-process: the vendor's 400.
    let r = http_get(&base, &format!("{PROVIDER}?pmsId=asdf"), "tok-acme").await;
    let b: Value = r.json().await.expect("json");
    assert_eq!(b["errors"]["pmsId"][0], "The value 'asdf' is not valid.");
    running.child.kill().expect("SIGKILL");
    running.child.wait().expect("reaped");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_banner_abbreviates_bulk_organizations() {
    let mut fixture = lupl_model::Fixture::builtin();
    let ids = fixture.add_organizations("tok-acme", 10);
    assert_eq!(fixture.clone().add_organizations("tok-acme", 10), {
        // Deterministic, and distinct from the first batch.
        let mut again = lupl_model::Fixture::builtin();
        again.add_organizations("tok-acme", 10);
        again.add_organizations("tok-acme", 10)
    });
    assert!(!ids.contains(&fixture.clone().add_organizations("tok-acme", 1)[0]));
    let banner = lupl_model::SandboxInfo::new("http://127.0.0.1:1".into(), &fixture).describe();
    assert!(
        banner.contains(&format!("organizationId={}", ids[1])),
        "{banner}"
    );
    assert!(
        !banner.contains(&format!("organizationId={}", ids[2])),
        "{banner}"
    );
    assert!(
        banner.contains(&format!(
            "manages 8 more organizations, {} … {}",
            ids[2], ids[9]
        )),
        "{banner}"
    );
}

/// One sandbox per state file: a second is refused, naming the lock, and
/// the first keeps every write it acknowledged. The file is private.
#[tokio::test]
async fn a_second_sandbox_on_one_state_file_is_refused() {
    let dir = std::env::temp_dir().join(format!("lupl-state-lock-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let state = dir.join("state.jsonl");
    let mut first = start_sandbox(&state);
    let out = Command::new(env!("CARGO_BIN_EXE_lupl-sandbox"))
        .args(["--listen", "127.0.0.1:0", "--state"])
        .arg(&state)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("in use by another lupl-sandbox") && stderr.contains("state.jsonl.lock"),
        "{stderr}"
    );
    let config = json!({"pmsId": ACME_PMS, "config": acme()});
    let r = http_post(&first.base_url, PROVIDER, "tok-acme", &config).await;
    assert_eq!(r.status(), 200);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&state)
        .expect("meta")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "the state holds tokens");
    first.child.kill().expect("SIGKILL");
    first.child.wait().expect("reaped");
    let mut again = start_sandbox(&state);
    let query = format!("{PROVIDER}?pmsId={ACME_PMS}");
    let got: Value = http_get(&again.base_url, &query, "tok-acme")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(got, acme());
    again.child.kill().expect("SIGKILL");
    again.child.wait().expect("reaped");
    let _ = std::fs::remove_dir_all(dir);
}

/// A write killed mid-append was never acknowledged: its torn line is
/// dropped on load, everything before it kept; a torn line anywhere else
/// is an error naming the line.
#[test]
fn a_torn_last_line_is_dropped_and_a_torn_middle_line_is_an_error() {
    let dir = std::env::temp_dir().join(format!("lupl-state-torn-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("state.jsonl");
    let snapshot = json!({"luplSandboxState": 1, "fixture": lupl_model::Fixture::builtin()});
    let change = json!({"provider": ACME_PMS, "config": acme()});
    std::fs::write(
        &path,
        format!("{snapshot}\n{change}\n{{\"provider\": \"4efafdc0-27"),
    )
    .expect("write");
    let (state, fixture) =
        lupl_model::StateFile::open(&path, || Ok(lupl_model::Fixture::builtin())).expect("loads");
    let acme_provider = fixture
        .providers
        .iter()
        .find(|p| p.pms_id.to_string() == ACME_PMS)
        .expect("acme");
    assert_eq!(acme_provider.config, acme());
    drop(state);
    let text = std::fs::read_to_string(&path).expect("read");
    assert_eq!(text.lines().count(), 1, "compacted on open: {text}");

    std::fs::write(
        &path,
        format!("{snapshot}\n{{\"provider\": \"4e\n{change}\n"),
    )
    .expect("write");
    let err = lupl_model::StateFile::open(&path, || Ok(lupl_model::Fixture::builtin()))
        .expect_err("torn");
    assert!(err.to_string().contains("line 2"), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}

/// The numbers a user can pass are checked: no panic, no allocation abort.
#[test]
fn organizations_beyond_a_million_are_a_usage_error() {
    for n in ["18446744073709551615", "4294967296", "1000001"] {
        let out = Command::new(env!("CARGO_BIN_EXE_lupl-sandbox"))
            .args(["--listen", "127.0.0.1:0", "--organizations", n])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{n}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("--organizations"), "{n}: {stderr}");
        assert!(!stderr.contains("panicked"), "{n}: {stderr}");
    }
}

/// Listening beyond loopback serves the fixture's fixed tokens to the
/// network: the sandbox says so.
#[test]
fn listening_beyond_loopback_warns() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lupl-sandbox"))
        .args(["--listen", "0.0.0.0:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut first = String::new();
    BufReader::new(child.stderr.take().expect("stderr"))
        .read_line(&mut first)
        .expect("a line");
    child.kill().expect("kill");
    child.wait().expect("reaped");
    assert!(
        first.contains("warning") && first.contains("reachable from other machines"),
        "{first}"
    );
}
