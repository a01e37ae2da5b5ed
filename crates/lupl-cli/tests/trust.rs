//! Trust with live credentials (issue 19), for `lupl`: no request or
//! secret leaves the named host, no output replaces an input, a message
//! says only what happened, and exit codes tell "retry later" from "fix
//! the rows".

use clap::CommandFactory;
use lupl_cli::cli::{Cli, FILE_ROLES};
use lupl_model::Sandbox;
use lupl_safety::paths::Role;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const PMS: &str = "4efafdc0-2783-4af6-9cac-d2b2be27a080";

fn command(dir: &Path, base_url: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lupl"));
    for (k, _) in std::env::vars() {
        if k.starts_with("LUPL_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir)
        .env("LUPL_BASE_URL", base_url)
        .args(args);
    cmd
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write");
    path
}

fn acme() -> Value {
    lupl_spec::Spec::workspace()
        .schema_example("ProviderConfiguration")
        .cloned()
        .expect("acme")
}

/// A loopback port counting the connections made to it: the other host.
struct Witness(std::net::TcpListener);

impl Witness {
    fn new() -> Self {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.set_nonblocking(true).expect("nonblocking");
        Self(l)
    }
    fn url(&self) -> String {
        format!("http://{}", self.0.local_addr().expect("addr"))
    }
    fn connections(&self) -> usize {
        std::iter::from_fn(|| self.0.accept().ok()).count()
    }
}

/// A write answered 307 (or 301) to another host: nothing reaches it, the
/// POST is not re-sent as a GET, "stored" is never printed, exit 4.
#[tokio::test]
async fn a_redirected_write_is_not_followed_and_not_reported_stored() {
    let dir = tempfile::tempdir().expect("dir");
    let file = write(dir.path(), "acme.json", &acme().to_string());
    for status in [307, 301] {
        let witness = Witness::new();
        let api = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(status).insert_header(
                "location",
                format!("{}/api/1.0/pms/providerconfig", witness.url()),
            ))
            .mount(&api)
            .await;
        let out = command(
            dir.path(),
            &api.uri(),
            &[
                "provider",
                "set",
                "--pms-id",
                PMS,
                "--file",
                file.to_str().expect("utf-8"),
            ],
        )
        .env("LUPL_TOKEN", "tok-acme")
        .output()
        .expect("runs");
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert_eq!(out.status.code(), Some(4), "{status}: {stdout}{stderr}");
        assert!(
            stderr.contains("redirect") && stderr.contains("not followed"),
            "{stderr}"
        );
        assert!(
            !stderr.contains("stored") && !stdout.contains("stored"),
            "{stdout}{stderr}"
        );
        assert_eq!(
            witness.connections(),
            0,
            "{status}: a request reached the other host"
        );
        let received = api.received_requests().await.expect("recorded");
        assert!(
            received.iter().all(|r| r.method.as_str() == "POST"),
            "{status}: the write became a read"
        );
    }
}

/// Auth0's token request answered 307: the form with `client_secret` is
/// not re-sent to the other host, and no token from there is used.
#[tokio::test]
async fn a_redirected_token_request_keeps_the_secret_home() {
    let dir = tempfile::tempdir().expect("dir");
    let witness = Witness::new();
    let auth0 = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(307)
                .insert_header("location", format!("{}/oauth/token", witness.url())),
        )
        .mount(&auth0)
        .await;
    let secret = write(dir.path(), "secret", "s3cret-client-value-0123456789");
    std::fs::set_permissions(&secret, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod");
    let out = command(dir.path(), "http://127.0.0.1:9", &["token"])
        .args([
            "--client-id",
            "cid",
            "--audience",
            "https://stage.api.lupl.com",
        ])
        .args(["--token-url", &format!("{}/oauth/token", auth0.uri())])
        .args(["--client-secret-file", secret.to_str().expect("utf-8")])
        .output()
        .expect("runs");
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(4), "{stdout}{stderr}");
    assert!(stdout.is_empty(), "a token was printed: {stdout}");
    assert!(!stderr.contains("s3cret"), "{stderr}");
    assert_eq!(
        witness.connections(),
        0,
        "the secret reached the other host"
    );
}

/// A server that echoes the token into an error body: the message shows
/// the error, never the token.
#[tokio::test]
async fn an_echoed_token_is_masked_in_messages() {
    const TOKEN: &str = "tok-live-0123456789abcdef0123";
    let dir = tempfile::tempdir().expect("dir");
    let api = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(500).set_body_string(format!("bad token Bearer {TOKEN}")),
        )
        .mount(&api)
        .await;
    let out = command(
        dir.path(),
        &api.uri(),
        &["provider", "get", "--pms-id", PMS],
    )
    .env("LUPL_TOKEN", TOKEN)
    .output()
    .expect("runs");
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(4), "{all}");
    assert!(all.contains("bad token Bearer"), "{all}");
    assert!(
        !all.contains(TOKEN) && !all.contains("tok-live-0123"),
        "{all}"
    );
}

/// Arguments that make each subcommand with a path flag run up to the
/// guard (its required flags), and the input flags it reads there.
fn base_args(sub: &[String]) -> Vec<String> {
    let mut args: Vec<String> = sub.to_vec();
    if sub.iter().any(|s| s == "set-many") {
        args.extend(["--pms-id".into(), PMS.into()]);
    }
    args
}

/// Every path flag has a role; every output is tried against every input
/// and output reachable from its subcommand, on the same file: refused
/// (exit 2), the file unchanged. A new flag without a role fails at once.
#[test]
fn every_output_flag_is_refused_on_every_input_and_output() {
    let cli = Cli::command();
    let flags = lupl_safety::paths::path_flags(&cli);
    let role = |id: &str| FILE_ROLES.iter().find(|(n, _)| *n == id).map(|(_, r)| *r);
    for (_, id) in &flags {
        assert!(
            role(id).is_some(),
            "the path flag {id} has no role in FILE_ROLES"
        );
    }
    let find = |sub: &[String]| {
        let mut c = &cli;
        for name in sub {
            c = c.find_subcommand(name).expect("subcommand");
        }
        c
    };
    let dir = tempfile::tempdir().expect("dir");
    let mut tried = 0;
    for (sub, output) in flags
        .iter()
        .filter(|(_, id)| role(id) == Some(Role::Output))
    {
        let here = find(sub);
        let long = |id: &str| {
            here.get_arguments()
                .chain(cli.get_arguments())
                .find(|a| a.get_id() == id)
                .and_then(|a| a.get_long())
                .map(|l| format!("--{l}"))
        };
        // Flags reachable here: the globals and this subcommand's own.
        let reachable: Vec<&str> = flags
            .iter()
            .filter(|(s, id)| (s.is_empty() || s == sub) && id != output)
            .map(|(_, id)| id.as_str())
            .collect();
        for other in reachable {
            let name = format!("{output}-{other}.csv");
            let file = write(dir.path(), &name, "organizationId\n");
            let path = file.to_str().expect("utf-8").to_owned();
            let mut args = base_args(sub);
            if sub.iter().any(|s| s == "set-many") && other != "file" {
                let rows = write(dir.path(), &format!("rows-{name}"), "organizationId\n");
                args.extend(["--file".into(), rows.to_str().expect("utf-8").into()]);
            }
            args.extend([long(other).expect("long"), path.clone()]);
            args.extend([long(output).expect("long"), path.clone()]);
            let argv: Vec<&str> = args.iter().map(String::as_str).collect();
            let mut child = command(dir.path(), "http://127.0.0.1:9", &argv)
                .env("LUPL_TOKEN", "tok-acme")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn");
            // Refused at once; a run the guard let through (a sandbox
            // would serve for ever) is ended so the test reports it.
            let (tx, rx) = std::sync::mpsc::channel();
            let id = child.id();
            std::thread::spawn(move || {
                if rx.recv_timeout(std::time::Duration::from_secs(60)).is_err() {
                    let pid = nix::unistd::Pid::from_raw(i32::try_from(id).expect("pid"));
                    let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
                }
            });
            let status = child.wait().expect("exits");
            let _ = tx.send(());
            let mut stderr = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut e, &mut stderr);
            }
            assert_eq!(status.code(), Some(2), "{argv:?}: {stderr}");
            assert_eq!(
                std::fs::read_to_string(&file).expect("kept"),
                "organizationId\n",
                "{argv:?} changed the file"
            );
            tried += 1;
        }
    }
    assert!(tried >= 12, "{tried} pairs tried");
}

/// The issue's reproductions: `--results` onto the token file or the
/// config file (also the default config file, named by no flag).
#[tokio::test]
async fn results_never_replace_the_token_or_config_file() {
    let dir = tempfile::tempdir().expect("dir");
    let rows = write(dir.path(), "rows.csv", "organizationId\n");
    let tok = write(dir.path(), "tok", "tok-acme");
    std::fs::set_permissions(&tok, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod");
    std::fs::create_dir_all(dir.path().join("lupl")).expect("dir");
    let config = write(dir.path(), "lupl/config.toml", "[profile.stage]\n");
    for (extra, kept) in [
        (
            vec![
                "--token-file",
                tok.to_str().expect("utf-8"),
                "--results",
                tok.to_str().expect("utf-8"),
            ],
            &tok,
        ),
        (
            vec![
                "--config",
                config.to_str().expect("utf-8"),
                "--results",
                config.to_str().expect("utf-8"),
            ],
            &config,
        ),
        (vec!["--results", config.to_str().expect("utf-8")], &config),
    ] {
        let before = std::fs::read_to_string(kept).expect("read");
        let mut args = vec![
            "org",
            "set-many",
            "--pms-id",
            PMS,
            "--file",
            rows.to_str().expect("utf-8"),
        ];
        args.extend(extra.iter().copied());
        let out = command(dir.path(), "http://127.0.0.1:9", &args)
            .env("LUPL_TOKEN", "tok-acme")
            .output()
            .expect("runs");
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert_eq!(std::fs::read_to_string(kept).expect("kept"), before);
    }
}

/// Rows answered 503 (or 429) after their retries: exit 4, "unavailable
/// now", so a script can tell it from a refused row (exit 1).
#[tokio::test]
async fn rows_the_api_could_not_take_exit_4() {
    let dir = tempfile::tempdir().expect("dir");
    let mut fixture = lupl_model::Fixture::builtin();
    fixture.providers[0].config = acme().into();
    let ids = fixture.add_organizations("tok-acme", 3);
    let sandbox = Sandbox::start_with(fixture).await.expect("sandbox");
    let provider = sandbox.base_url().to_owned();
    for (status, code) in [(503, 4), (429, 4), (400, 1)] {
        let api = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(status).insert_header("retry-after", "0"))
            .mount(&api)
            .await;
        // The provider's configuration, read from the sandbox's.
        let config = reqwest_get(&format!(
            "{provider}/api/1.0/pms/providerconfig?pmsId={PMS}"
        ))
        .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_json(config))
            .mount(&api)
            .await;
        let mut csv = String::from("organizationId,region,firmCode\n");
        for id in &ids {
            csv.push_str(&format!("{id},eu,ACM001\n"));
        }
        let rows = write(dir.path(), &format!("rows-{status}.csv"), &csv);
        let out = command(
            dir.path(),
            &api.uri(),
            &[
                "org",
                "set-many",
                "--pms-id",
                PMS,
                "--file",
                rows.to_str().expect("utf-8"),
                "--retries",
                "1",
            ],
        )
        .env("LUPL_TOKEN", "tok-acme")
        .output()
        .expect("runs");
        assert_eq!(
            out.status.code(),
            Some(code),
            "{status}: {}",
            text(&out.stderr)
        );
    }
}

async fn reqwest_get(url: &str) -> Value {
    let body = lupl_api::reqwest::Client::new()
        .get(url)
        .bearer_auth("tok-acme")
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("body");
    serde_json::from_str(&body).unwrap_or(json!(null))
}

/// Ctrl-C in `set-many` after a slow limit: the rows still waiting for the
/// limiter were never sent, so they do not hold the run (they are not run,
/// sent on `--resume`); only the rows already sent are finished.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupt_does_not_wait_for_the_rate_limit() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let dir = tempfile::tempdir().expect("dir");
    let mut fixture = lupl_model::Fixture::builtin();
    fixture.providers[0].config = acme().into();
    let ids = fixture.add_organizations("tok-acme", 10);
    let stored = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let tx = std::sync::Mutex::new(tx);
    let counted = stored.clone();
    let sandbox =
        Sandbox::start_with_handler(fixture, move |model| -> lupl_model::http_server::Handler {
            let counted = counted.clone();
            let tx = std::sync::Mutex::new(tx.lock().expect("tx").clone());
            Arc::new(move |req| {
                let answer = model.handle(req);
                if req.method == "POST" && answer.status == 200 {
                    // The first row stored: the others now wait for the limit
                    // (its burst of 2 was the provider's GET and that row).
                    if counted.fetch_add(1, Ordering::SeqCst) == 0 {
                        let _ = tx.lock().expect("tx").send(());
                    }
                }
                answer
            })
        })
        .await
        .expect("sandbox");
    let mut csv = String::from("organizationId,region,firmCode\n");
    for id in &ids {
        csv.push_str(&format!("{id},eu,ACM001\n"));
    }
    let rows = write(dir.path(), "rows.csv", &csv);
    let mut child = command(
        dir.path(),
        sandbox.base_url(),
        &[
            "org",
            "set-many",
            "--pms-id",
            PMS,
            "--file",
            rows.to_str().expect("utf-8"),
        ],
    )
    .args(["--rate-limit", "2/600", "--concurrency", "8"])
    .env("LUPL_TOKEN", "tok-acme")
    .stderr(std::process::Stdio::piped())
    .spawn()
    .expect("spawn");
    let status = tokio::task::spawn_blocking(move || {
        rx.recv().expect("a row stored");
        let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid"));
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).expect("signal");
        child.wait().expect("exits")
    })
    .await
    .expect("child");
    assert_eq!(status.code(), Some(130));
    // The provider's GET and one row took the 2 slots: nothing else was
    // sent, and nothing waited out the 300 s to the next slot.
    assert_eq!(stored.load(Ordering::SeqCst), 1);
    let results =
        std::fs::read_to_string(dir.path().join("rows.csv.results.csv")).expect("results");
    assert_eq!(results.matches(",not run,").count(), 9, "{results}");
}

/// A server that echoes the token (and terminal escapes) into its answers
/// to `set-many` rows and to `provider set --file`: neither the result file,
/// nor the journal, nor the per-key messages on stderr show the token or
/// drive the terminal.
#[tokio::test]
async fn echoed_tokens_reach_neither_the_result_file_nor_the_journal() {
    const TOKEN: &str = "tok-SECRET-abcdefghij0123456789/xyz+q";
    let dir = tempfile::tempdir().expect("dir");
    let tok = write(dir.path(), "tok", TOKEN);
    std::fs::set_permissions(&tok, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod");
    let api = MockServer::start().await;
    let echo = format!(
        r#"{{"type":"x","title":"x","status":400,"errors":{{"config":["token {TOKEN} \u001b]0;PWNED\u0007 \u202e"]}}}}"#
    );
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(400).set_body_raw(echo.clone(), "application/problem+json"),
        )
        .mount(&api)
        .await;
    let provider = write(dir.path(), "acme.json", &acme().to_string());
    let rows = write(
        dir.path(),
        "rows.csv",
        "organizationId,region,firmCode\n3fa85f64-5717-4562-b3fc-2c963f66afa6,eu,ACM001\n",
    );
    let t = tok.to_str().expect("utf-8");
    let out = command(
        dir.path(),
        &api.uri(),
        &[
            "--token-file",
            t,
            "org",
            "set-many",
            "--pms-id",
            PMS,
            "--retries",
            "0",
        ],
    )
    .args(["--file", rows.to_str().expect("utf-8")])
    .args(["--provider-config", provider.to_str().expect("utf-8")])
    .output()
    .expect("runs");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let set = command(
        dir.path(),
        &api.uri(),
        &[
            "--token-file",
            t,
            "provider",
            "set",
            "--pms-id",
            PMS,
            "--file",
            provider.to_str().expect("utf-8"),
        ],
    )
    .output()
    .expect("runs");
    assert_eq!(set.status.code(), Some(1), "{}", text(&set.stderr));
    for (name, content) in [
        (
            "results",
            std::fs::read_to_string(dir.path().join("rows.csv.results.csv")).expect("results"),
        ),
        (
            "journal",
            std::fs::read_to_string(dir.path().join("rows.csv.journal")).expect("journal"),
        ),
        ("set-many stderr", text(&out.stderr)),
        ("provider set stderr", text(&set.stderr)),
    ] {
        assert!(!content.contains("tok-SECRET-abcd"), "{name}: {content}");
        assert!(
            !content.contains('\u{1b}') && !content.contains('\u{202e}'),
            "{name}: {content:?}"
        );
    }
    assert!(
        text(&set.stderr).contains("token "),
        "the message itself is kept"
    );
}

/// A redirect answered to set-many's rows is neither followed nor sent
/// again: exit 4, one POST per row.
#[tokio::test]
async fn set_many_does_not_resend_a_redirected_row() {
    let dir = tempfile::tempdir().expect("dir");
    let witness = Witness::new();
    let api = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(302).insert_header("location", format!("{}/x", witness.url())),
        )
        .mount(&api)
        .await;
    let provider = write(dir.path(), "acme.json", &acme().to_string());
    let rows = write(
        dir.path(),
        "rows.csv",
        "organizationId,region,firmCode\n3fa85f64-5717-4562-b3fc-2c963f66afa6,eu,ACM001\nc0ffee00-1234-4abc-9def-0123456789ab,eu,ACM002\n",
    );
    let out = command(
        dir.path(),
        &api.uri(),
        &["org", "set-many", "--pms-id", PMS],
    )
    .args(["--file", rows.to_str().expect("utf-8")])
    .args(["--provider-config", provider.to_str().expect("utf-8")])
    .env("LUPL_TOKEN", "tok-acme")
    .output()
    .expect("runs");
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    let posts = api.received_requests().await.expect("recorded").len();
    assert_eq!(posts, 2, "one POST per row");
    assert_eq!(witness.connections(), 0);
}

/// An input flag naming a device or a pipe is refused before it is read
/// (`/dev/zero` would grow without end; a fifo with no writer blocks).
#[test]
fn a_device_as_an_input_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    for args in [
        vec![
            "--token-file",
            "/dev/zero",
            "provider",
            "get",
            "--pms-id",
            PMS,
        ],
        vec!["provider", "validate", "--file", "/dev/zero"],
        vec!["--config", "/dev/zero", "provider", "get", "--pms-id", PMS],
    ] {
        let out = command(dir.path(), "http://127.0.0.1:9", &args)
            .output()
            .expect("runs");
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains("not a regular file"),
            "{}",
            text(&out.stderr)
        );
    }
}
