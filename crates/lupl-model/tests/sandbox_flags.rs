//! The `lupl-sandbox` binary's test-double flags: `--faults FILE` in force
//! from the start, the access log and `--quiet`, a reset that rewrites the
//! `--state` file, `--admin-token-file`, and files it refuses.

mod common;
use common::{ACME_PMS, PROVIDER, acme};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

struct Running {
    child: Child,
    base_url: String,
    banner: Vec<String>,
    lines: mpsc::Receiver<String>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    /// The next stdout line (a bound only so that a missing line fails the
    /// test instead of hanging it).
    fn line(&self) -> String {
        self.lines
            .recv_timeout(Duration::from_secs(60))
            .expect("a line on stdout")
    }

    /// Stops the sandbox; returns the stdout lines not read yet.
    fn stop(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut rest = Vec::new();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(60)) {
            rest.push(line);
        }
        rest
    }
}

fn start(args: &[&str]) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lupl-sandbox"))
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("sandbox starts");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let first = lines
        .recv_timeout(Duration::from_secs(60))
        .expect("the banner");
    let base_url = first.rsplit(' ').next().expect("url").to_owned();
    assert!(base_url.starts_with("http://127.0.0.1:"), "{first}");
    let mut running = Running {
        child,
        base_url,
        banner: vec![first],
        lines,
    };
    // The banner ends with this line; access lines follow it.
    loop {
        let line = running.line();
        let end = line.starts_with("Press Ctrl-C");
        running.banner.push(line);
        if end {
            return running;
        }
    }
}

fn dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("lupl-sandbox-flags-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

async fn get(base: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{base}{PROVIDER}?pmsId={ACME_PMS}"))
        .bearer_auth("tok-acme")
        .send()
        .await
        .expect("answered")
        .status()
        .as_u16()
}

#[tokio::test]
async fn faults_from_a_file_are_in_force_and_each_request_is_logged() {
    let faults = dir().join("faults.json");
    std::fs::write(&faults, r#"[{"method": "GET", "status": 503, "times": 1}]"#).expect("write");
    let sandbox = start(&["--faults", faults.to_str().expect("path")]);
    assert_eq!(get(&sandbox.base_url).await, 503);
    assert_eq!(get(&sandbox.base_url).await, 200);
    let first = sandbox.line();
    let second = sandbox.line();
    assert!(
        first.starts_with(&format!("GET {PROVIDER} 503 dev@acme.example "))
            && first.ends_with("fault=status 503"),
        "{first}"
    );
    assert!(
        second.starts_with(&format!("GET {PROVIDER} 200 dev@acme.example ")),
        "{second}"
    );
    assert!(!first.contains("tok-acme") && !second.contains("fault"));
}

#[tokio::test]
async fn quiet_logs_nothing() {
    let sandbox = start(&["--quiet"]);
    assert_eq!(get(&sandbox.base_url).await, 200);
    let rest = sandbox.stop();
    assert!(
        rest.iter().all(|l| !l.contains(PROVIDER)),
        "an access line with --quiet: {rest:?}"
    );
}

#[tokio::test]
async fn a_reset_rewrites_the_state_file() {
    let state = dir().join("reset-state.jsonl");
    let _ = std::fs::remove_file(&state);
    let state = state.to_str().expect("path").to_owned();
    let sandbox = start(&["--state", &state, "--quiet"]);
    let http = reqwest::Client::new();
    let set = http
        .post(format!("{}{PROVIDER}", sandbox.base_url))
        .bearer_auth("tok-acme")
        .json(&json!({"pmsId": ACME_PMS, "config": acme()}))
        .send()
        .await
        .expect("answered");
    assert_eq!(set.status(), 200);
    let reset = http
        .post(format!("{}/__admin/reset", sandbox.base_url))
        .send()
        .await
        .expect("answered");
    assert_eq!(reset.status(), 200);
    drop(sandbox);
    // A sandbox started again from the file has the fixture's state.
    let again = start(&["--state", &state, "--quiet"]);
    let stored: Value = http
        .get(format!("{}{PROVIDER}?pmsId={ACME_PMS}", again.base_url))
        .bearer_auth("tok-acme")
        .send()
        .await
        .expect("answered")
        .json()
        .await
        .expect("json");
    assert_eq!(stored, Value::Null);
}

#[test]
fn unusable_fault_and_admin_token_files_are_refused() {
    let dir = dir();
    let cases = [
        (
            "bad-faults.json",
            "--faults",
            r#"[{"status": 200}]"#,
            "fault 1",
        ),
        (
            "not-faults.json",
            "--faults",
            r#"{"status": 503}"#,
            "JSON array",
        ),
        ("empty-token", "--admin-token-file", "  \n", "empty"),
    ];
    for (name, flag, text, says) in cases {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        let out = Command::new(env!("CARGO_BIN_EXE_lupl-sandbox"))
            .args(["--listen", "127.0.0.1:0", flag])
            .arg(&path)
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(
            stderr.contains(flag) && stderr.contains(says),
            "{name}: {stderr}"
        );
    }
}

#[tokio::test]
async fn an_admin_token_file_is_read_and_never_printed() {
    let path = dir().join("admin-token");
    std::fs::write(&path, "s3cret-admin-token\n").expect("write");
    let sandbox = start(&["--admin-token-file", path.to_str().expect("path")]);
    // Loopback clients need no token; the file's token is accepted too.
    let r = reqwest::Client::new()
        .get(format!("{}/__admin/faults", sandbox.base_url))
        .bearer_auth("s3cret-admin-token")
        .send()
        .await
        .expect("answered");
    assert_eq!(r.status(), 200);
    let banner = sandbox.banner.clone();
    assert!(banner.iter().any(|l| l.contains("/__admin/")), "{banner:?}");
    let rest = sandbox.stop();
    assert!(
        banner
            .iter()
            .chain(&rest)
            .all(|l| !l.contains("s3cret-admin-token"))
    );
}
