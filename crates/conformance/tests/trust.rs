//! Trust with live credentials (issue 19), as a careless user and a hostile
//! target would try it: nothing leaves the named host, no input is replaced
//! by an output, no secret reaches any output, every stop restores, and
//! nothing is reported that did not happen.

mod common;

use clap::CommandFactory;
use common::*;
use conformance::cli::{Args, FILE_ROLES};
use conformance::outcome::RestoreOutcome;
use lupl_model::{Model, ModelRequest, ModelResponse};
use lupl_safety::paths::Role;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};

const PMS: &str = "4efafdc0-2783-4af6-9cac-d2b2be27a080";
const ORG: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
const FOREIGN_PMS: &str = "9b1c3a52-6f0e-4d7b-8a4e-2f5d1c7e9a10";
const FOREIGN_ORG: &str = "c0ffee00-1234-4abc-9def-0123456789ab";

fn conformance(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_conformance"))
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .expect("runs")
}

fn live_args(url: &str) -> Vec<String> {
    [
        "--base-url",
        url,
        "--pms-id",
        PMS,
        "--organization-id",
        ORG,
        "--foreign-pms-id",
        FOREIGN_PMS,
        "--foreign-organization-id",
        FOREIGN_ORG,
        "--rate-limit",
        "100000/1",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// A loopback port that counts the connections made to it: the "other
/// host" a redirect points at.
struct Witness {
    listener: std::net::TcpListener,
    url: String,
}

impl Witness {
    fn new() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        Self { listener, url }
    }

    fn connections(&self) -> usize {
        std::iter::from_fn(|| self.listener.accept().ok()).count()
    }
}

fn redirect(to: &str) -> ModelResponse {
    ModelResponse {
        status: 307,
        headers: vec![(
            "location".into(),
            format!("{to}/api/1.0/pms/providerconfig"),
        )],
        body: Vec::new(),
    }
}

/// What the target holds, read through the model's own front end.
async fn held(base_url: &str) -> Vec<String> {
    let http = lupl_api::reqwest::Client::new();
    let mut out = Vec::new();
    for path in [
        format!("/api/1.0/pms/providerconfig?pmsId={PMS}"),
        format!("/api/1.0/pms/organizationconfig?organizationId={ORG}"),
    ] {
        let r = http
            .get(format!("{base_url}{path}"))
            .bearer_auth("tok-acme")
            .send()
            .await
            .expect("read");
        out.push(r.text().await.expect("body"));
    }
    out
}

/// A restore answered 307 has failed: nothing reaches the other host, the
/// report never says "restored", and the run fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirected_restore_has_failed_and_nothing_leaves_the_host() {
    let witness = Witness::new();
    let restoring = Arc::new(AtomicBool::new(false));
    let (flag, to) = (restoring.clone(), witness.url.clone());
    let double = move |m: &Model, r: &ModelRequest| {
        if r.method == "POST" && flag.load(Ordering::SeqCst) {
            redirect(&to)
        } else {
            m.handle(r)
        }
    };
    let fixture = fixture();
    let identities = conformance::Target::identities_of(&fixture);
    let sandbox = serve(fixture, Arc::new(double)).await;
    let before = held(sandbox.base_url()).await;
    let target = conformance::Target::custom(
        sandbox.base_url(),
        identities,
        lupl_auth::limits::Quota::new(1_000_000, 1),
        true,
    )
    .expect("target");
    let harness = Arc::new(conformance::Harness::new(target).await.expect("harness"));
    let worker = harness.clone();
    let handle = tokio::runtime::Handle::current();
    let mut report = tokio::task::spawn_blocking(move || worker.run_blocking(&quick(3), &handle))
        .await
        .expect("run");
    assert_ne!(held(sandbox.base_url()).await, before, "the run wrote");
    restoring.store(true, Ordering::SeqCst);
    report.restore = harness.restore().await;
    assert!(
        report
            .restore
            .iter()
            .any(|r| matches!(r, RestoreOutcome::Failed(_, why, _) if why.contains("307"))),
        "{:?}",
        report.restore
    );
    assert!(
        !report
            .restore
            .iter()
            .any(|r| matches!(r, RestoreOutcome::Restored(_)))
    );
    let text = conformance::report::summary(&report, sandbox.base_url());
    assert!(!text.contains("\nrestored "), "{text}");
    assert!(
        text.contains("RESTORE FAILED") && text.contains("saved JSON"),
        "{text}"
    );
    assert!(!report.passed());
    assert_eq!(witness.connections(), 0, "a request reached the other host");
}

/// A target that echoes the `Authorization` value in a header and in error
/// bodies: the token appears in no output, stdout, stderr, recording,
/// JUnit nor coverage.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_echoed_token_reaches_no_output() {
    const SECRET: &str = "tok-live-9f8e7d6c5b4a3928170615243342";
    let mut fixture = fixture();
    fixture.users[0].token = SECRET.into();
    let double = |m: &Model, r: &ModelRequest| {
        let mut answer = m.handle(r);
        if let Some(auth) = r.header("authorization") {
            let auth = String::from_utf8_lossy(auth).into_owned();
            answer.headers.push(("x-echo".into(), auth.clone()));
            if answer.status >= 400 {
                answer.body = serde_json::json!({"error": format!("you sent {auth}")})
                    .to_string()
                    .into_bytes();
            }
        }
        answer
    };
    let sandbox = serve(fixture, Arc::new(double)).await;
    let dir = tempfile::tempdir().expect("dir");
    let (record, junit, coverage) = (
        dir.path().join("run.ndjson"),
        dir.path().join("junit.xml"),
        dir.path().join("coverage.json"),
    );
    let mut args = live_args(sandbox.base_url());
    for (flag, path) in [
        ("--record", &record),
        ("--junit", &junit),
        ("--coverage", &coverage),
    ] {
        args.push(flag.into());
        args.push(path.display().to_string());
    }
    args.extend(["--max-requests", "300", "--seed", "9"].map(str::to_owned));
    let out = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        conformance(&args, &[("LUPL_TOKEN", SECRET)])
    })
    .await
    .expect("child");
    let mut outputs = vec![
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ];
    for f in [&record, &junit, &coverage] {
        outputs.push(std::fs::read_to_string(f).expect("written"));
    }
    let recorded = &outputs[2];
    assert!(recorded.contains("x-echo"), "the echo was recorded");
    // The `Basic` credential the harness derives from the token gives the
    // token back: masked too.
    let basic = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(format!("{SECRET}:"))
    };
    for text in &outputs {
        assert!(
            !text.contains(SECRET),
            "the token leaked: {}",
            &text[..text.len().min(2000)]
        );
        assert!(!text.contains("tok-live-9f8e"), "more than the mask shows");
        assert!(!text.contains(&basic[..16]), "the Basic form leaked");
    }
}

/// The file the guard protects, and what it held.
fn guarded(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("{name}: must not change\n")).expect("write");
    path
}

/// Every path flag has a role; every output is tried against every input
/// and every other output on the same file: refused (exit 2) naming both,
/// the file unchanged, no request made. A new flag without a role fails
/// the first assertion.
#[test]
fn every_output_flag_is_refused_on_every_input_and_output() {
    let command = Args::command();
    let flags = lupl_safety::paths::path_flags(&command);
    let role = |id: &str| FILE_ROLES.iter().find(|(n, _)| *n == id).map(|(_, r)| *r);
    for (_, id) in &flags {
        assert!(
            role(id).is_some(),
            "the path flag {id} has no role in FILE_ROLES"
        );
    }
    let long = |id: &str| -> Option<String> {
        command
            .get_arguments()
            .find(|a| a.get_id() == id)
            .and_then(|a| a.get_long())
            .map(|l| format!("--{l}"))
    };
    let outputs: Vec<&str> = flags
        .iter()
        .map(|(_, id)| id.as_str())
        .filter(|id| role(id) == Some(Role::Output))
        .collect();
    let inputs: Vec<&str> = flags
        .iter()
        .map(|(_, id)| id.as_str())
        .filter(|id| role(id) == Some(Role::Input))
        .collect();
    assert!(outputs.len() >= 4 && inputs.len() >= 5, "{flags:?}");
    let dir = tempfile::tempdir().expect("dir");
    let mut tried = 0;
    for output in &outputs {
        let Some(out_flag) = long(output) else {
            panic!("output {output} has no long flag");
        };
        let others = inputs.iter().chain(outputs.iter().filter(|o| *o != output));
        for other in others {
            let file = guarded(dir.path(), &format!("{output}-{other}"));
            let path = file.to_str().expect("utf-8");
            let mut args: Vec<String> = Vec::new();
            if *other == "file" {
                // The recording `replay` judges; --record is not a flag there.
                if !command
                    .find_subcommand("replay")
                    .and_then(|c| c.get_arguments().find(|a| a.get_id() == *output))
                    .is_some_and(|a| a.is_global_set())
                    && !command
                        .get_arguments()
                        .any(|a| a.get_id() == *output && a.is_global_set())
                {
                    continue;
                }
                args.extend(["replay".to_owned(), path.to_owned()]);
            } else {
                args.extend([long(other).expect("long flag"), path.to_owned()]);
            }
            args.extend([out_flag.clone(), path.to_owned()]);
            let argv: Vec<&str> = args.iter().map(String::as_str).collect();
            let out = conformance(&argv, &[]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{argv:?}: {stderr}");
            assert!(stderr.contains(&out_flag), "{argv:?}: {stderr}");
            assert_eq!(
                std::fs::read_to_string(&file).expect("still there"),
                format!("{output}-{other}: must not change\n"),
                "{argv:?} changed the file"
            );
            tried += 1;
        }
    }
    assert!(tried >= 25, "{tried} pairs tried");
}

/// The issue's reproductions as written.
#[test]
fn the_reported_clashes_are_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let tok = guarded(dir.path(), "tok");
    let run = guarded(dir.path(), "run.ndjson");
    let x = guarded(dir.path(), "x");
    let s = |p: &Path| p.to_str().expect("utf-8").to_owned();
    for argv in [
        vec!["replay".into(), s(&run), "--coverage".into(), s(&run)],
        vec!["replay".into(), s(&run), "--junit".into(), s(&run)],
        vec!["replay".into(), s(&run), "--write-baseline".into(), s(&run)],
        vec!["--record".into(), s(&x), "--baseline".into(), s(&x)],
        vec!["--record".into(), s(&tok), "--token-file".into(), s(&tok)],
        vec!["--coverage".into(), s(&tok), "--token-file".into(), s(&tok)],
        vec!["--junit".into(), s(&x), "--coverage".into(), s(&x)],
    ] {
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let out = conformance(&argv, &[]);
        assert_eq!(out.status.code(), Some(2), "{argv:?}");
    }
    for f in [&tok, &run, &x] {
        let name = f.file_name().expect("name").to_string_lossy().into_owned();
        assert_eq!(
            std::fs::read_to_string(f).expect("kept"),
            format!("{name}: must not change\n")
        );
    }
}

/// An early exit leaves no empty report files behind, and an earlier
/// recording as it was.
#[test]
fn an_early_exit_leaves_no_empty_outputs() {
    let dir = tempfile::tempdir().expect("dir");
    let (junit, coverage) = (dir.path().join("j.xml"), dir.path().join("c.json"));
    let record = dir.path().join("old.ndjson");
    std::fs::write(&record, "old recording\n").expect("write");
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}", l.local_addr().expect("addr"))
    };
    let mut args = live_args(&closed);
    for (flag, path) in [
        ("--junit", &junit),
        ("--coverage", &coverage),
        ("--record", &record),
    ] {
        args.extend([flag.to_owned(), path.display().to_string()]);
    }
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = conformance(&argv, &[("LUPL_TOKEN", "t")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!junit.exists() && !coverage.exists());
    assert_eq!(
        std::fs::read_to_string(&record).expect("kept"),
        "old recording\n"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("dir").count(),
        1,
        "nothing left"
    );
}

/// A device or a pipe is no recording: refused at once, without reading
/// (`/dev/zero` never ends) or blocking (a fifo with no writer).
#[test]
fn replay_refuses_devices_and_pipes_at_once() {
    let dir = tempfile::tempdir().expect("dir");
    let fifo = dir.path().join("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    for file in [Path::new("/dev/zero"), fifo.as_path()] {
        let out = conformance(&["replay", file.to_str().expect("utf-8")], &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("not a regular file"), "{stderr}");
    }
}

/// A line longer than a recording may hold is refused, not read into
/// memory whole.
#[test]
fn replay_bounds_a_line() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("long.ndjson");
    let file = std::fs::File::create(&path).expect("create");
    file.set_len(conformance::record::MAX_LINE as u64 + 10)
        .expect("sparse");
    let err = conformance::record::open(&path)
        .expect("opens")
        .next()
        .expect("a line")
        .expect_err("too long");
    assert!(err.to_string().contains("longer than"), "{err}");
}

/// `--cases 4294967295` with a small budget: the cases are made as they
/// run, so the run neither aborts on allocation nor sends past its budget.
#[test]
fn a_huge_case_count_is_made_as_it_runs() {
    let out = conformance(
        &[
            "--cases",
            "4294967295",
            "--per-generator",
            "1",
            "--max-requests",
            "60",
        ],
        &[],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.code().is_some(), "killed by a signal");
    assert!(stdout.contains("the request budget was spent"), "{stdout}");
}

/// A double that holds the `nth` write (0-based) until the test lets it
/// go: `held` says it arrived, `release` lets it through. "Mid-run" is
/// then exact, and nothing waits on time.
struct Gate {
    held: mpsc::Receiver<()>,
    release: mpsc::Sender<()>,
}

fn gated(nth: usize) -> (Arc<Double>, Gate) {
    let (held_tx, held) = mpsc::channel::<()>();
    let (release, release_rx) = mpsc::channel::<()>();
    let gate = Mutex::new((held_tx, release_rx));
    let posts = AtomicUsize::new(0);
    let double = move |m: &Model, r: &ModelRequest| {
        if r.method == "POST" && posts.fetch_add(1, Ordering::SeqCst) == nth {
            let gate = gate.lock().expect("gate");
            let _ = gate.0.send(());
            let _ = gate.1.recv();
        }
        m.handle(r)
    };
    (Arc::new(double), Gate { held, release })
}

/// Runs `conformance` with `args` and the fixture's token; once the gated
/// write arrives, `meanwhile` runs (given the child's pid), then the write
/// goes on. Returns the child's output.
async fn run_gated(
    args: Vec<String>,
    gate: Gate,
    meanwhile: impl FnOnce(u32) + Send + 'static,
) -> Output {
    tokio::task::spawn_blocking(move || {
        let child = Command::new(env!("CARGO_BIN_EXE_conformance"))
            .args(&args)
            .env_clear()
            .env("LUPL_TOKEN", "tok-acme")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        gate.held.recv().expect("the gated write arrived");
        meanwhile(child.id());
        let _ = gate.release.send(());
        child.wait_with_output().expect("exits")
    })
    .await
    .expect("child")
}

/// SIGTERM (`timeout`, `docker stop`, a cancelled CI job) stops the run as
/// Ctrl-C does: the request in flight finishes, the target is restored,
/// exit 130.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_restores_as_ctrl_c_does() {
    // The 20th write waits until the test has signalled the child.
    let (double, gate) = gated(19);
    let mut fixture = fixture();
    fixture.providers[0].config = lupl_spec::Spec::workspace()
        .schema_example("ProviderConfiguration")
        .cloned()
        .expect("acme")
        .into();
    let org = fixture
        .organizations
        .iter_mut()
        .find(|o| o.organization_id.to_string() == ORG)
        .expect("org");
    org.config = serde_json::json!({
        "organizationId": ORG, "pmsId": PMS, "fields": {"region": "eu", "firmCode": "ACM001"}
    })
    .into();
    let sandbox = serve(fixture, double).await;
    let before = held(sandbox.base_url()).await;
    assert!(!before.iter().any(|b| b == "null"), "{before:?}");
    let args = live_args(sandbox.base_url());
    // Once the child has taken the signal, the write may finish.
    let out = run_gated(args, gate, |pid| {
        let pid = nix::unistd::Pid::from_raw(i32::try_from(pid).expect("pid"));
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("signal");
    })
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stdout}\n{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert_eq!(held(sandbox.base_url()).await, before, "restored: {stdout}");
}

/// A throttling target whose `Retry-After` is u64::MAX: no panic, no wait
/// of 3,000 years; a note says recovery was not checked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_retry_after_in_the_throttling_phase_is_capped() {
    let double = |m: &Model, r: &ModelRequest| {
        let mut answer = m.handle(r);
        if answer.status == 429 {
            answer
                .headers
                .retain(|(n, _)| !n.eq_ignore_ascii_case("retry-after"));
            answer
                .headers
                .push(("retry-after".into(), u64::MAX.to_string()));
        }
        answer
    };
    let mut fixture = fixture();
    fixture.rate_limit = lupl_model::Quota::new(5, 1);
    let identities = conformance::Target::identities_of(&fixture);
    let sandbox = serve(fixture, Arc::new(double)).await;
    let target = conformance::Target::custom(
        sandbox.base_url(),
        identities,
        lupl_auth::limits::Quota::new(5, 1),
        false,
    )
    .expect("target");
    let harness = Arc::new(conformance::Harness::new(target).await.expect("harness"));
    let handle = tokio::runtime::Handle::current();
    let report = tokio::task::spawn_blocking(move || {
        harness.run_throttling(lupl_auth::limits::Quota::new(5, 1), &handle)
    })
    .await
    .expect("no panic");
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("longer than the harness waits")),
        "{:?}",
        report.notes
    );
    assert!(report.broke(conformance::Clause::ThrottleRetryAfter));
}

/// A target that answers 429 for ever stops the run once the waits add up
/// to the bound (here 2 s), exit-2 style (`aborted`), not after 40 ×
/// Retry-After.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_answering_429_for_ever_stops_within_the_bound() {
    let double = |_: &Model, _: &ModelRequest| ModelResponse {
        status: 429,
        headers: vec![("retry-after".into(), "1".into())],
        body: Vec::new(),
    };
    let fixture = fixture();
    let identities = conformance::Target::identities_of(&fixture);
    let healthy = Arc::new(AtomicBool::new(true));
    let gate = healthy.clone();
    let sandbox = serve(
        fixture,
        Arc::new(move |m: &Model, r: &ModelRequest| {
            if gate.load(Ordering::SeqCst) {
                m.handle(r)
            } else {
                double(m, r)
            }
        }),
    )
    .await;
    let target = conformance::Target::custom(
        sandbox.base_url(),
        identities,
        lupl_auth::limits::Quota::new(1_000_000, 1),
        false,
    )
    .expect("target");
    let mut harness = conformance::Harness::new(target).await.expect("harness");
    harness.set_max_429_waiting(std::time::Duration::from_secs(2));
    healthy.store(false, Ordering::SeqCst);
    let harness = Arc::new(harness);
    let handle = tokio::runtime::Handle::current();
    let report = tokio::task::spawn_blocking(move || harness.run_blocking(&quick(1), &handle))
        .await
        .expect("run");
    let why = report.aborted.expect("stopped");
    assert!(why.contains("kept answering 429"), "{why}");
    assert!(report.failures.is_empty(), "{:?}", report.failures.len());
    assert!(
        report.transient.is_empty(),
        "never re-run, so not 'did not happen again': {:?}",
        report.transient
    );
}

/// A report file that cannot be written at the end (here: a directory
/// appeared where it goes, as a full disk would refuse it) does not
/// swallow the report: it is printed whole, then the file is named, exit 2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_output_does_not_swallow_the_report() {
    let dir = tempfile::tempdir().expect("dir");
    let junit = dir.path().join("junit.xml");
    let (double, gate) = gated(5);
    let sandbox = serve(fixture(), double).await;
    let mut args = live_args(sandbox.base_url());
    args.extend([
        "--junit".into(),
        junit.display().to_string(),
        "--max-requests".into(),
        "200".into(),
    ]);
    let blocker = junit.clone();
    let out = run_gated(args, gate, move |_| {
        std::fs::create_dir(&blocker).expect("a directory where the report goes");
    })
    .await;
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("requests") && stdout.contains("clause"),
        "{stdout}"
    );
    assert!(
        stdout.contains("every clause held") || stdout.contains("broken"),
        "{stdout}"
    );
    assert!(
        stderr.contains("cannot write") && stderr.contains("junit.xml"),
        "{stderr}"
    );
}

/// Baselines as users write them: a byte order mark is no content, a
/// failure with a blame (it could never match) is refused naming the entry,
/// and a reason's escape codes are printed as escapes.
#[test]
fn baselines_with_a_bom_a_blamed_failure_and_escape_codes() {
    use conformance::baseline::{Baseline, Verdict};
    let dir = tempfile::tempdir().expect("dir");
    let entry = |blame: &str, reason: &str| {
        format!(
            r#"{{"accepted": [{{"clause": "provider.name", "kind": "failure"{blame}, "reason": "{reason}", "expires": "2099-01-01"}}]}}"#
        )
    };
    let bom = dir.path().join("bom.json");
    std::fs::write(&bom, format!("\u{feff}{}", entry("", "ticket 7"))).expect("write");
    assert!(Baseline::load(&bom).is_ok(), "a BOM is refused");
    let blamed = dir.path().join("blamed.json");
    std::fs::write(&blamed, entry(r#", "blame": "target""#, "x")).expect("write");
    let err = Baseline::load(&blamed).expect_err("never matches");
    assert!(err.to_string().contains("remove \"blame\""), "{err}");
    let escapes = dir.path().join("esc.json");
    std::fs::write(&escapes, entry("", r"\u001b[2Jgone \u202eevil")).expect("write");
    let baseline = Baseline::load(&escapes).expect("loads");
    let verdict = Verdict {
        unchecked: baseline.accepted.clone(),
        ..Verdict::default()
    };
    let text = conformance::baseline::text(&verdict);
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{202e}'),
        "{text:?}"
    );
    assert!(text.contains("\\u{1b}[2Jgone"), "{text}");
}
