//! `lupl org set-many` over 2,000 rows against the model, with injected
//! failures, an interrupt and a kill midway: after `--resume`, every row was
//! written exactly once and the result file accounts for every row.
//!
//! The server is the model behind a gate: after a set number of writes it
//! holds further requests until the test opens it, so "midway" is exact and
//! nothing waits on time.

#![cfg(unix)]

use lupl_model::http_server::{Handler, serve};
use lupl_model::{Fixture, Model, ModelResponse};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use uuid::Uuid;

const PMS: &str = "4efafdc0-2783-4af6-9cac-d2b2be27a080";
const ROWS: usize = 2000;

/// What the test waits for: the gate holding a request, or the child's
/// stderr (a line, or its end, so a child that dies early fails the test
/// instead of hanging it).
#[derive(Debug, PartialEq)]
enum Event {
    Held,
    Line(String),
    Eof,
}

#[derive(Default)]
struct GateState {
    /// Requests let through so far.
    admitted: usize,
    /// Hold every request after this many.
    hold_after: Option<usize>,
    /// Requests waiting at the gate.
    waiting: usize,
    /// Requests answered after waiting (since the gate last closed).
    released: usize,
    /// Of those, the ones stored (answered 200).
    released_stored: usize,
    /// Told once when the first request is held.
    held: Option<mpsc::Sender<Event>>,
    /// Successful writes by organization.
    writes: HashMap<Uuid, usize>,
    /// POSTs by organization, whatever the answer.
    posts: HashMap<Uuid, usize>,
    /// Organizations whose first POST is answered 500.
    fail_once: HashSet<Uuid>,
}

struct Gate {
    state: Mutex<GateState>,
    changed: Condvar,
}

impl Gate {
    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().expect("gate lock")
    }

    /// Holds requests after `more` further ones; `events` is told
    /// [`Event::Held`] when the first is held.
    fn close_after(&self, more: usize, events: mpsc::Sender<Event>) {
        let mut s = self.lock();
        s.hold_after = Some(s.admitted + more);
        s.held = Some(events);
        s.released = 0;
        s.released_stored = 0;
    }

    /// Lets every held request through and waits until each is answered;
    /// returns how many there were and how many were stored.
    fn open_and_drain(&self) -> (usize, usize) {
        let mut s = self.lock();
        s.hold_after = None;
        self.changed.notify_all();
        while s.waiting > 0 {
            s = self.changed.wait(s).expect("gate wait");
        }
        (s.released, s.released_stored)
    }
}

fn start_server(
    fixture: Fixture,
    fail_once: HashSet<Uuid>,
) -> (String, Arc<Gate>, tokio::runtime::Runtime) {
    let model = Arc::new(Model::new(fixture));
    let gate = Arc::new(Gate {
        state: Mutex::new(GateState {
            fail_once,
            ..GateState::default()
        }),
        changed: Condvar::new(),
    });
    let g = gate.clone();
    let handler: Handler = Arc::new(move |req| {
        if req.method != "POST" || !req.path.ends_with("organizationconfig") {
            return model.handle(req);
        }
        let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
        let org: Uuid = body["organizationId"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or_default();
        let mut s = g.lock();
        let held = s.hold_after.is_some_and(|n| s.admitted >= n);
        if held {
            s.waiting += 1;
            if let Some(tx) = s.held.take() {
                let _ = tx.send(Event::Held);
            }
            // A worker thread of the server's own runtime blocks here; tell
            // tokio so its other tasks move elsewhere.
            s = tokio::task::block_in_place(|| {
                g.changed
                    .wait_while(s, |s| s.hold_after.is_some())
                    .expect("gate wait")
            });
            s.waiting -= 1;
            s.released += 1;
        }
        s.admitted += 1;
        *s.posts.entry(org).or_default() += 1;
        let response = if s.fail_once.remove(&org) {
            ModelResponse {
                status: 500,
                headers: Vec::new(),
                body: b"injected".to_vec(),
            }
        } else {
            model.handle(req)
        };
        if response.status == 200 {
            *s.writes.entry(org).or_default() += 1;
            s.released_stored += usize::from(held);
        }
        g.changed.notify_all();
        response
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("runtime");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    runtime.spawn(serve(listener, handler));
    (url, gate, runtime)
}

fn lupl(url: &str, dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lupl"));
    for (k, _) in std::env::vars() {
        if k.starts_with("LUPL_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("LUPL_BASE_URL", url)
        .env("LUPL_TOKEN", "tok-acme")
        .env("XDG_CONFIG_HOME", dir)
        .env("HOME", dir)
        .args(args)
        .args(["--rate-limit", "1000000/1", "--concurrency", "8"]);
    cmd
}

/// Sends a running child's stderr lines to `events`, then [`Event::Eof`].
fn forward_stderr(child: &mut Child, events: mpsc::Sender<Event>) {
    let stderr = child.stderr.take().expect("piped stderr");
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if events.send(Event::Line(line)).is_err() {
                return;
            }
        }
        let _ = events.send(Event::Eof);
    });
}

/// Waits for the gate to hold a request; the child's lines so far are
/// kept for the failure message.
fn wait_held(events: &mpsc::Receiver<Event>) {
    let mut seen = Vec::new();
    for e in events.iter() {
        match e {
            Event::Held => return,
            Event::Line(l) => seen.push(l),
            Event::Eof => panic!("the child ended before the gate held: {seen:#?}"),
        }
    }
}

fn signal(child: &Child, signal: nix::sys::signal::Signal) {
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid"));
    nix::sys::signal::kill(pid, signal).expect("signal sent");
}

struct Input {
    path: PathBuf,
    valid: Vec<Uuid>,
    refused: Vec<Uuid>,
    foreign: Vec<Uuid>,
    flaky: HashSet<Uuid>,
}

fn input(dir: &Path, fixture: &mut Fixture) -> Input {
    let ours = fixture.add_organizations("tok-acme", ROWS);
    let foreign = fixture.add_organizations("tok-other", ROWS / 100);
    let mut csv = String::from("organizationId,region,firmCode\n");
    let mut input = Input {
        path: dir.join("orgs.csv"),
        valid: Vec::new(),
        refused: Vec::new(),
        foreign: Vec::new(),
        flaky: HashSet::new(),
    };
    for i in 0..ROWS {
        let (org, region) = if i % 100 == 50 {
            input.foreign.push(foreign[i / 100]);
            (foreign[i / 100], "eu")
        } else if i % 97 == 3 {
            input.refused.push(ours[i]);
            (ours[i], "mars")
        } else {
            input.valid.push(ours[i]);
            if i % 89 == 7 {
                input.flaky.insert(ours[i]);
            }
            (ours[i], ["us", "eu", "apac"][i % 3])
        };
        let firm = if i % 2 == 0 {
            format!("ACM{:03}", i % 1000)
        } else {
            String::new()
        };
        if i == 1234 {
            // One row the CLI cannot send at all.
            csv.push_str(&format!("not-a-uuid,{region},{firm}\n"));
            input.valid.retain(|o| *o != org);
            input.flaky.remove(&org);
        } else {
            csv.push_str(&format!("{org},{region},{firm}\n"));
        }
    }
    std::fs::write(&input.path, csv).expect("write input");
    input
}

fn results(path: &Path) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).expect("result file");
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    reader
        .records()
        .map(|r| {
            let r = r.expect("record");
            header
                .iter()
                .cloned()
                .zip(r.iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

#[test]
fn interrupted_and_killed_runs_resume_without_repeating_or_losing_a_row() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut fixture = Fixture::builtin();
    fixture.providers[0].config = lupl_spec::Spec::workspace()
        .schema_example("ProviderConfiguration")
        .cloned()
        .expect("acme")
        .into();
    fixture.rate_limit.requests = 1_000_000;
    let input = input(dir.path(), &mut fixture);
    let (url, gate, _runtime) = start_server(fixture, input.flaky.clone());
    let file = input.path.to_str().expect("path");
    let args = ["org", "set-many", "--file", file, "--pms-id", PMS];

    // Run 1: Ctrl-C after 600 writes; the 8 requests in flight finish.
    let (tx, events) = mpsc::channel();
    gate.close_after(600, tx.clone());
    let mut child = lupl(&url, dir.path(), &args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    forward_stderr(&mut child, tx);
    wait_held(&events);
    signal(&child, nix::sys::signal::Signal::SIGINT);
    let said = events
        .iter()
        .find_map(|e| match e {
            Event::Line(l) if l.contains("interrupted") => Some(l),
            Event::Eof => panic!("no word of the interrupt"),
            _ => None,
        })
        .expect("the CLI says it was interrupted");
    assert!(said.contains("in flight"), "{said}");
    assert!(gate.open_and_drain().0 >= 1);
    let out = child.wait_with_output().expect("exit");
    assert_eq!(out.status.code(), Some(130));
    let first = results(&dir.path().join("orgs.csv.results.csv"));
    assert_eq!(first.len(), ROWS, "every row is in the result file");
    let not_run = first.iter().filter(|r| r["status"] == "not run").count();
    let mut statuses: HashMap<&str, usize> = HashMap::new();
    for r in &first {
        *statuses.entry(r["status"].as_str()).or_default() += 1;
    }
    // 600 answered before the gate, the held ones after it, one invalid.
    assert!(
        not_run > 0 && not_run < ROWS - 600,
        "{statuses:?}\n{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // Without --resume, the journal is not overwritten.
    let out = lupl(&url, dir.path(), &args).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--resume"));

    // Run 2: resumed, then killed outright with requests held in flight;
    // the server applies them after the client is gone.
    let (tx, events) = mpsc::channel();
    gate.close_after(500, tx.clone());
    let mut resume_args = args.to_vec();
    resume_args.push("--resume");
    let mut child = lupl(&url, dir.path(), &resume_args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    forward_stderr(&mut child, tx);
    wait_held(&events);
    // A second run on the same file while this one holds the journal is
    // refused before it sends anything.
    let posts_before: usize = gate.lock().posts.values().sum();
    let out = lupl(&url, dir.path(), &resume_args).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("another `lupl org set-many` is running"),
        "{stderr}"
    );
    assert_eq!(gate.lock().posts.values().sum::<usize>(), posts_before);
    signal(&child, nix::sys::signal::Signal::SIGKILL);
    child.wait().expect("killed");
    let (held_at_kill, stored_after_kill) = gate.open_and_drain();
    assert!(held_at_kill >= 1);

    // Run 3: resumed to the end.
    let out = lupl(&url, dir.path(), &resume_args).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "some rows are refused: {stderr}"
    );
    assert!(
        stderr.contains("rows/s") && stderr.contains("ETA"),
        "{stderr}"
    );
    let summary: Value = serde_json::from_slice(&out.stdout).expect("summary JSON");
    assert_eq!(summary["rows"], ROWS);
    // Rows the server stored after the client died (and any it stored just
    // before, whose answers were never journaled) are found by a GET, not
    // sent again; at most the 8 requests in flight can be in that state.
    let verified = summary["verified"].as_u64().expect("verified") as usize;
    assert!(
        (stored_after_kill..=8).contains(&verified),
        "{stored_after_kill} stored after the kill: {summary}"
    );

    let s = gate.lock();
    for org in &input.valid {
        assert_eq!(
            s.writes.get(org),
            Some(&1),
            "organization {org} written once"
        );
    }
    for org in input.refused.iter().chain(&input.foreign) {
        assert_eq!(s.writes.get(org), None, "organization {org} never stored");
    }
    for org in &input.flaky {
        assert_eq!(s.posts.get(org), Some(&2), "{org}: 500, then sent again");
    }
    drop(s);

    let last = results(&dir.path().join("orgs.csv.results.csv"));
    assert_eq!(last.len(), ROWS);
    let lines: HashSet<usize> = last
        .iter()
        .map(|r| r["line"].parse().expect("line"))
        .collect();
    assert_eq!(lines, (2..ROWS + 2).collect::<HashSet<_>>());
    let by_org: HashMap<&str, &HashMap<String, String>> = last
        .iter()
        .map(|r| (r["organizationId"].as_str(), r))
        .collect();
    for org in &input.valid {
        assert_eq!(by_org[org.to_string().as_str()]["status"], "200");
    }
    for org in &input.refused {
        let r = by_org[org.to_string().as_str()];
        assert_eq!(
            (r["status"].as_str(), r["errorKeys"].as_str()),
            ("400", "fields.region")
        );
    }
    for org in &input.foreign {
        assert_eq!(by_org[org.to_string().as_str()]["status"], "403");
    }
    let invalid: Vec<_> = last.iter().filter(|r| r["status"] == "invalid").collect();
    assert_eq!(invalid.len(), 1);
    assert_eq!(
        (
            invalid[0]["line"].as_str(),
            invalid[0]["errorKeys"].as_str()
        ),
        ("1236", "organizationId")
    );
}
