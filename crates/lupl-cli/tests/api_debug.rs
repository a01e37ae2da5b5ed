//! `lupl api` reaches an operation openapi.json does not have (the sandbox
//! adds one), with fields, input and `--include`; and `--debug` prints curl
//! lines that, pasted into a shell, get the same answers.

mod common;

use common::{PMS, command, lupl, stderr, stdout};
use lupl_model::http_server::Handler;
use lupl_model::{Fixture, ModelResponse, Sandbox};
use serde_json::{Value, json};
use std::sync::Arc;

const FUTURE: &str = "/api/1.0/pms/future";

/// The sandbox, plus an operation Lupl might add tomorrow: GET answers
/// who asked, POST echoes its body; both need the fixture's token.
async fn sandbox_with_a_new_operation() -> Sandbox {
    Sandbox::start_with_handler(Fixture::builtin(), |model| -> Handler {
        Arc::new(move |request| {
            if request.path != FUTURE {
                return model.handle(request);
            }
            if request.bearer_token() != Some("tok-acme") {
                return ModelResponse {
                    status: 401,
                    headers: Vec::new(),
                    body: Vec::new(),
                };
            }
            let body = match request.method.as_str() {
                "GET" => json!({"hello": "dev@acme.example", "query": request.query}),
                _ => serde_json::from_slice(&request.body).unwrap_or(Value::Null),
            };
            ModelResponse {
                status: 200,
                headers: vec![("Content-Type".into(), "application/json".into())],
                body: body.to_string().into_bytes(),
            }
        })
    })
    .await
    .expect("sandbox")
}

#[tokio::test]
async fn api_reaches_an_operation_the_spec_does_not_have() {
    let sandbox = sandbox_with_a_new_operation().await;
    let url = Some(sandbox.base_url());
    let out = lupl(url, Some("tok-acme"), &["api", "get", FUTURE, "-f", "x=1"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let answer: Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(answer, json!({"hello": "dev@acme.example", "query": "x=1"}));

    let out = lupl(
        url,
        Some("tok-acme"),
        &[
            "api",
            "POST",
            FUTURE,
            "-f",
            "name=x",
            "-F",
            "n=3",
            "-F",
            "on=true",
            "--include",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("HTTP/1.1 200 OK\n"), "{text}");
    assert!(text.contains("content-type: application/json"), "{text}");
    let body = text.split("\n\n").nth(1).expect("a body after the head");
    let echoed: Value = serde_json::from_str(body).expect("json");
    assert_eq!(echoed, json!({"name": "x", "n": 3, "on": true}));

    // A body from a file, and the API's own answers and exit codes.
    let input = common::file(
        "api-body.json",
        &json!({"pmsId": PMS, "config": {}}).to_string(),
    );
    let out = lupl(
        url,
        Some("tok-acme"),
        &[
            "api",
            "POST",
            "/api/1.0/pms/providerconfig",
            "--input",
            input.to_str().expect("path"),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "a 400: {}", stderr(&out));
    assert!(stderr(&out).contains("traceId 00-"), "{}", stderr(&out));
    let out = lupl(url, Some("tok-nobody"), &["api", "GET", FUTURE]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
}

#[tokio::test]
async fn api_never_sends_the_token_to_another_host() {
    let sandbox = sandbox_with_a_new_operation().await;
    for path in [
        "http://example.com/x",
        "//example.com/x",
        "api/1.0/pms/future",
    ] {
        let out = lupl(
            Some(sandbox.base_url()),
            Some("tok-acme"),
            &["api", "GET", path],
        );
        assert_eq!(out.status.code(), Some(2), "{path}: {}", stderr(&out));
    }
    assert!(sandbox.requests().is_empty(), "nothing was sent");
}

/// The curl lines of a `--debug` run's stderr.
fn curl_lines(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix("lupl: > "))
        .map(str::to_owned)
        .collect()
}

fn run_in_shell(line: &str, token: &str) -> String {
    let out = std::process::Command::new("sh")
        .args(["-c", line])
        .env("LUPL_TOKEN", token)
        .output()
        .expect("sh runs (and curl is installed: the --debug test needs it)");
    assert!(
        out.status.success(),
        "{line}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn debug_curl_lines_reproduce_the_answers() {
    let sandbox = sandbox_with_a_new_operation().await;
    let url = Some(sandbox.base_url());
    // A write: pasted after the stored value changed back, its line
    // stores the same configuration again (quotes and accents included).
    let other_org: uuid::Uuid = "c0ffee00-1234-4abc-9def-0123456789ab"
        .parse()
        .expect("uuid");
    let out = command(
        url,
        Some("tok-other"),
        &[
            "--debug",
            "org",
            "set",
            "--organization-id",
            "c0ffee00-1234-4abc-9def-0123456789ab",
            "--pms-id",
            "9b1c3a52-6f0e-4d7b-8a4e-2f5d1c7e9a10",
            "--field",
            "apiKey=k 'quoted' \"é\"",
        ],
    )
    .output()
    .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(!said.contains("tok-other"), "{said}");
    let stored = sandbox.model().organization_config(other_org);
    let write = curl_lines(&said)
        .into_iter()
        .find(|l| l.contains("--data-raw"))
        .expect("the write's line");
    sandbox.reset();
    assert_ne!(sandbox.model().organization_config(other_org), stored);
    let answer: Value = serde_json::from_str(&run_in_shell(&write, "tok-other")).expect("json");
    assert_eq!(answer, json!({}));
    assert_eq!(sandbox.model().organization_config(other_org), stored);

    let out = command(
        url,
        Some("tok-acme"),
        &["--debug", "provider", "get", "--pms-id", PMS],
    )
    .output()
    .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(!said.contains("tok-acme"), "{said}");
    assert!(said.lines().any(|l| l.starts_with("lupl: < 200")), "{said}");
    let lines = curl_lines(&said);
    assert_eq!(lines.len(), 1, "{said}");
    let again: Value = serde_json::from_str(&run_in_shell(&lines[0], "tok-acme")).expect("json");
    let shown: Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(again, shown);

    // A refused write: the line reproduces the 400 and its keys.
    let out = command(
        url,
        Some("tok-acme"),
        &[
            "--debug",
            "api",
            "POST",
            "/api/1.0/pms/providerconfig",
            "-f",
            "pmsId=asdf",
        ],
    )
    .output()
    .expect("runs");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let lines = curl_lines(&stderr(&out));
    let again: Value = serde_json::from_str(&run_in_shell(&lines[0], "tok-acme")).expect("json");
    let shown: Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(again["errors"], shown["errors"]);
    assert_eq!(again["status"], 400);
}

#[tokio::test]
async fn very_verbose_traces_requests_not_the_connection_pool() {
    let sandbox = sandbox_with_a_new_operation().await;
    let out = lupl(
        Some(sandbox.base_url()),
        Some("tok-acme"),
        &["-vv", "provider", "get", "--pms-id", PMS],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(said.contains("lupl.request"), "{said}");
    for noise in ["pool", "hyper", "connecting to", "reqwest::connect"] {
        assert!(!said.contains(noise), "{noise}: {said}");
    }
    assert!(!said.contains("tok-acme"), "{said}");
}

#[tokio::test]
async fn a_pretty_printed_body_pastes_as_it_was_sent() {
    let sandbox = sandbox_with_a_new_operation().await;
    let body = "{\n  \"name\": \"it's \\\"quoted\\\" \u{e9}\",\n\t\"n\": 1\n}\n";
    let input = common::file("pretty.json", body);
    let out = command(
        Some(sandbox.base_url()),
        Some("tok-acme"),
        &[
            "--debug",
            "api",
            "POST",
            FUTURE,
            "--input",
            input.to_str().expect("path"),
        ],
    )
    .output()
    .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lines = curl_lines(&stderr(&out));
    assert_eq!(lines.len(), 1, "{}", stderr(&out));
    let again: Value = serde_json::from_str(&run_in_shell(&lines[0], "tok-acme")).expect("json");
    assert_eq!(again, json!({"name": "it's \"quoted\" \u{e9}", "n": 1}));
    // A key given twice is refused, not silently the last.
    let out = lupl(
        Some(sandbox.base_url()),
        Some("tok-acme"),
        &["api", "POST", FUTURE, "-f", "k=a", "-f", "k=b"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn a_head_request_is_curl_i() {
    let request = lupl_api::reqwest::Request::new(
        lupl_api::reqwest::Method::HEAD,
        "http://127.0.0.1:8080/x".parse().expect("url"),
    );
    assert_eq!(
        lupl_cli::debug::curl(&request),
        "curl -sS -I 'http://127.0.0.1:8080/x'"
    );
}

/// SIGTERM while `lupl api` waits out a long `Retry-After`: it stops at
/// once with 130 and says what may have happened.
#[cfg(unix)]
#[tokio::test]
async fn api_stops_on_sigterm_while_it_waits() {
    use std::io::BufRead;
    let sandbox = sandbox_with_a_new_operation().await;
    sandbox
        .inject(lupl_model::Fault {
            retry_after: Some(100),
            ..lupl_model::Fault::default()
        })
        .expect("fault");
    let mut child = command(
        Some(sandbox.base_url()),
        Some("tok-acme"),
        &["-v", "api", "GET", FUTURE],
    )
    .stderr(std::process::Stdio::piped())
    .spawn()
    .expect("runs");
    let mut said = String::new();
    let mut lines = std::io::BufReader::new(child.stderr.take().expect("stderr")).lines();
    // The client says when it starts waiting out the 429.
    for line in lines.by_ref() {
        let line = line.expect("a line");
        said.push_str(&line);
        if line.contains("429") {
            break;
        }
    }
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid"));
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("signal");
    for line in lines {
        said.push_str(&line.expect("a line"));
    }
    let status = child.wait().expect("exits");
    assert_eq!(status.code(), Some(130), "{said}");
    assert!(said.contains("interrupted"), "{said}");
}
