//! `conformance replay FILE` and `--baseline`: a recorded run judged again
//! offline gives the live run's verdicts, faults and divergences alike; a
//! baseline accepts known breaks until they expire or stop occurring.

mod common;

use common::*;
use conformance::record;
use conformance::replay::replay;
use conformance::{Clause, Report};
use lupl_model::{Model, ModelRequest, ModelResponse};
use serde_json::json;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("conformance-replay-{}-{name}", std::process::id()))
}

fn broken(report: &Report) -> BTreeSet<Clause> {
    report.failures.iter().map(|f| f.clause).collect()
}

/// 403s answered with a body other than `{}`.
fn chatty_403(m: &Model, r: &ModelRequest) -> ModelResponse {
    let answer = m.handle(r);
    if answer.status == 403 {
        return with_json(answer, 403, &json!({"message": "no"}));
    }
    answer
}

/// 401s without a `WWW-Authenticate` challenge.
fn no_challenge(m: &Model, r: &ModelRequest) -> ModelResponse {
    let mut answer = m.handle(r);
    answer
        .headers
        .retain(|(n, _)| !n.eq_ignore_ascii_case("www-authenticate"));
    answer
}

/// A 400 that names only its first key.
fn first_key_only(m: &Model, r: &ModelRequest) -> ModelResponse {
    let answer = m.handle(r);
    if answer.status != 400 {
        return answer;
    }
    let mut body = json_body(&answer);
    if let Some(errors) = body["errors"].as_object_mut()
        && let Some(first) = errors.keys().next().cloned()
    {
        errors.retain(|k, _| *k == first);
    }
    with_json(answer, 400, &body)
}

async fn live_then_replayed(
    double: Arc<Double>,
    compare: bool,
    name: &str,
) -> (Report, Report, PathBuf) {
    let path = temp(name);
    let (live, _sandbox) =
        run_recorded(fixture(), double, quick(5), false, compare, Some(&path)).await;
    let again = replay(record::open(&path).expect("recording")).expect("replays");
    (live, again, path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_recording_gives_the_live_verdicts() {
    let doubles: [(&str, Arc<Double>); 4] = [
        ("untouched", Arc::new(untouched)),
        ("chatty_403", Arc::new(chatty_403)),
        ("no_challenge", Arc::new(no_challenge)),
        ("first_key_only", Arc::new(first_key_only)),
    ];
    for (name, double) in doubles {
        let (live, again, path) = live_then_replayed(double, true, name).await;
        assert_eq!(broken(&live), broken(&again), "{name}");
        assert_eq!(
            live.divergences.counts.keys().collect::<Vec<_>>(),
            again.divergences.counts.keys().collect::<Vec<_>>(),
            "{name}"
        );
        assert_eq!(live.passed(), again.passed(), "{name}");
        assert_eq!(
            name == "untouched",
            live.passed(),
            "{name}: {:?}",
            broken(&live)
        );
        assert!(
            again.cases >= live.cases,
            "{name}: {} < {}",
            again.cases,
            live.cases
        );
        // The same harness makes the same requests: none "otherwise"
        // (recordings mask tokens, carried ones included).
        assert!(
            !again.notes.iter().any(|n| n.contains("made otherwise")),
            "{name}: {:?}",
            again.notes
        );
        let _ = std::fs::remove_file(path);
    }
}

/// A 429 waited out inside a case is part of that case: the replay counts
/// the same cases as the live run and judges the step after the wait with
/// what the case wrote before it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wait_inside_a_case_does_not_split_it() {
    let seen = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counter = seen.clone();
    let throttling = move |m: &Model, r: &ModelRequest| {
        if counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 7 == 6 {
            return ModelResponse {
                status: 429,
                headers: vec![("Retry-After".into(), "0".into())],
                body: Vec::new(),
            };
        }
        m.handle(r)
    };
    let (live, again, path) = live_then_replayed(Arc::new(throttling), false, "waits").await;
    let waits = record::read(&path)
        .expect("recording")
        .iter()
        .filter(|l| matches!(l, record::Line::Exchange(e) if e.phase == record::Phase::Wait))
        .count();
    assert!(waits > 10, "only {waits} waits recorded");
    assert_eq!(live.cases, again.cases, "cases counted alike");
    assert!(again.passed(), "{:?}", broken(&again));
    assert!(live.passed(), "{:?}", broken(&live));
    let _ = std::fs::remove_file(path);
}

fn conformance(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_conformance"))
        .args(args)
        .env_clear()
        .output()
        .expect("runs")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("path")
}

fn write_baseline(path: &Path, entries: serde_json::Value) {
    std::fs::write(path, json!({"accepted": entries}).to_string()).expect("write");
}

/// Offline and through the CLI: a recording of a faulty target fails,
/// passes under a baseline that accepts its break, and fails again when
/// the entry expires or accepts a break that no longer occurs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_exit_codes_and_baselines() {
    let (live, _, recording) = live_then_replayed(Arc::new(chatty_403), false, "cli").await;
    let clauses: Vec<String> = broken(&live).iter().map(ToString::to_string).collect();
    assert!(!clauses.is_empty());

    let out = conformance(&["replay", s(&recording)]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // Written from the run, it accepts everything the run broke.
    let written = temp("written.json");
    let out = conformance(&["replay", s(&recording), "--write-baseline", s(&written)]);
    assert_eq!(out.status.code(), Some(1));
    let out = conformance(&["replay", s(&recording), "--baseline", s(&written)]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("baseline: accepted failure"), "{stdout}");

    let entries = |expires: &str, extra: Option<&str>| {
        let mut e: Vec<serde_json::Value> = clauses
            .iter()
            .map(|c| json!({"clause": c, "kind": "failure", "reason": "ticket 7", "expires": expires}))
            .collect();
        if let Some(c) = extra {
            e.push(json!({"clause": c, "kind": "failure", "reason": "fixed?", "expires": expires}));
        }
        serde_json::Value::Array(e)
    };
    let baseline = temp("baseline.json");
    write_baseline(&baseline, entries("2000-01-01", None));
    let out = conformance(&["replay", s(&recording), "--baseline", s(&baseline)]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "expired: {stdout}");
    assert!(stdout.contains("baseline: EXPIRED"), "{stdout}");

    write_baseline(&baseline, entries("2999-01-01", Some("route.405")));
    let out = conformance(&["replay", s(&recording), "--baseline", s(&baseline)]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "gone: {stdout}");
    assert!(
        stdout.contains("no longer occurs, remove it: failure route.405"),
        "{stdout}"
    );

    // Not a recording, not a baseline: usage errors.
    let junk = temp("junk.ndjson");
    std::fs::write(&junk, "{\"kind\": \"exchange\"}\n").expect("write");
    assert_eq!(conformance(&["replay", s(&junk)]).status.code(), Some(2));
    std::fs::write(&baseline, "[]").expect("write");
    assert_eq!(
        conformance(&["replay", s(&recording), "--baseline", s(&baseline)])
            .status
            .code(),
        Some(2)
    );
    for p in [recording, written, baseline, junk] {
        let _ = std::fs::remove_file(p);
    }
}

/// Replay judges the recorded answers again, not the recorded verdicts: a
/// recording edited to hold a wrong answer fails where the live run passed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_judges_answers_not_recorded_verdicts() {
    let (live, _, path) = live_then_replayed(Arc::new(untouched), false, "edited").await;
    assert!(live.passed());
    let mut lines = record::read(&path).expect("recording");
    let edited = lines.iter_mut().find_map(|line| match line {
        record::Line::Exchange(e)
            if e.expected.is_some() && e.response.as_ref().is_ok_and(|r| r.status == 403) =>
        {
            let r = e.response.as_mut().expect("answered");
            r.body = br#"{"message":"not yours"}"#.to_vec();
            Some(())
        }
        _ => None,
    });
    assert!(edited.is_some(), "the run has a judged 403");
    let again = replay(lines.into_iter().map(Ok)).expect("replays");
    assert!(
        broken(&again).contains(&Clause::AuthzBody),
        "{:?}",
        broken(&again)
    );
    let _ = std::fs::remove_file(path);
}
