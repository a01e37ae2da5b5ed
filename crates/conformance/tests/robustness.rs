//! The harness against targets that misbehave beyond the contract: a naive
//! mock that breaks most clauses, a target that dies, one that streams
//! without end, one that always throttles, an interrupted run, and a
//! restore the API refuses. None hangs, none is reported as a pass or as a
//! contract break it is not.

mod common;

use common::*;
use conformance::outcome::RestoreOutcome;
use conformance::{Clause, Harness, Options};
use lupl_model::{Model, ModelRequest, ModelResponse};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

fn json_response(status: u16, body: &serde_json::Value) -> ModelResponse {
    ModelResponse {
        status,
        headers: vec![("Content-Type".into(), lupl_model::JSON.into())],
        body: body.to_string().into_bytes(),
    }
}

/// The budget counts everything sent — setup reads, cases, replays and
/// shrinking, 429 retries, the restore. Nothing the server counts goes past
/// it, however small, even against a target that breaks clause after
/// clause and throttles one request in three; the restore is never refused
/// (the target is put back), so only its answered-429 retries may go over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_budget_counts_every_request_the_restore_included() {
    for max in [60, 150, 400] {
        // Counted where they arrive, not by the harness.
        let received = Arc::new(AtomicU64::new(0));
        let throttled = Arc::new(AtomicU64::new(0));
        let counter = received.clone();
        let refused = throttled.clone();
        // Every answer breaks a clause (its media type), and writes are
        // stored, so replays, shrinking and the restore all have work; one
        // request in three is throttled first (each retry is sent too).
        let mock = move |m: &Model, req: &ModelRequest| {
            if counter.fetch_add(1, Ordering::Relaxed) % 3 == 2 {
                refused.fetch_add(1, Ordering::Relaxed);
                return ModelResponse {
                    status: 429,
                    headers: vec![("Retry-After".into(), "0".into())],
                    body: Vec::new(),
                };
            }
            let mut real = m.handle(req);
            for (name, value) in &mut real.headers {
                if name.eq_ignore_ascii_case("content-type") {
                    *value = "text/plain".into();
                }
            }
            real
        };
        let options = Options {
            max_requests: Some(max),
            ..quick(11)
        };
        let dir = tempfile::tempdir().expect("dir");
        let record = dir.path().join("run.ndjson");
        let (report, sandbox) = run_recorded(
            fixture(),
            Arc::new(mock),
            options,
            true,
            false,
            Some(&record),
        )
        .await;
        let received = received.load(Ordering::Relaxed);
        // The restore's 429 retries are the only sends past the budget.
        let restore_retries = conformance::record::read(&record)
            .expect("recording")
            .iter()
            .filter(|l| {
                matches!(l, conformance::record::Line::Exchange(e)
                    if e.phase == conformance::record::Phase::Wait && e.label.starts_with("restore"))
            })
            .count() as u64;
        assert!(
            received <= max + restore_retries,
            "budget {max}: the target received {received} ({restore_retries} restore retries)"
        );
        let counted = received - throttled.load(Ordering::Relaxed);
        assert!(counted <= max, "budget {max}: the target counted {counted}");
        assert_eq!(report.requests, received, "the report counts what was sent");
        assert!(report.budget_spent, "budget {max}: not spent");
        assert!(!report.failures.is_empty(), "budget {max}: nothing broke");
        assert!(
            report.restore.iter().all(|r| matches!(
                r,
                RestoreOutcome::Restored(_)
                    | RestoreOutcome::Unchanged(_)
                    | RestoreOutcome::CannotDelete(_)
            )),
            "budget {max}: {:?}",
            report.restore
        );
        drop(sandbox);
    }
}

/// A first interrupt stops the run but still puts a live target back,
/// waiting out the 429s the restore meets (only a second one quits).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_run_still_restores_through_429s() {
    let seen = Arc::new(AtomicU64::new(0));
    let counter = seen.clone();
    let throttling = move |m: &Model, req: &ModelRequest| {
        if counter.fetch_add(1, Ordering::Relaxed) % 2 == 1 {
            return ModelResponse {
                status: 429,
                headers: vec![("Retry-After".into(), "0".into())],
                body: Vec::new(),
            };
        }
        m.handle(req)
    };
    let fixture = fixture();
    let (harness, sandbox) = harness_on(Arc::new(throttling), true).await;
    let worker = harness.clone();
    let handle = tokio::runtime::Handle::current();
    let options = Options {
        max_requests: Some(80),
        ..quick(3)
    };
    let mut report = tokio::task::spawn_blocking(move || worker.run_blocking(&options, &handle))
        .await
        .expect("run");
    harness.cancel_token().cancel();
    harness.restore_into(&mut report).await;
    assert!(
        report
            .restore
            .iter()
            .all(|r| !matches!(r, RestoreOutcome::Failed(..))),
        "{:?}",
        report.restore
    );
    let after = sandbox.model().snapshot();
    for (a, b) in after.providers.iter().zip(&fixture.providers) {
        assert!(a.config == b.config || b.config.is_null(), "{:?}", a.pms_id);
    }
}

/// A mock that answers `{}` to everything a token sends breaks many
/// clauses; within a live budget of 1000 requests every directed case
/// still runs, and each broken clause is reported once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_naive_mock_is_reported_clause_by_clause_within_the_budget() {
    let mock = |m: &Model, req: &ModelRequest| {
        let real = m.handle(req);
        if req.method == "GET" && real.status == 200 {
            return real;
        }
        json_response(200, &json!({}))
    };
    let options = Options {
        max_requests: Some(1000),
        ..quick(7)
    };
    let (report, _sandbox) = run_with(fixture(), Arc::new(mock), options, true).await;
    assert!(report.requests <= 1000, "{}", report.requests);
    let broken: Vec<Clause> = report.failures.iter().map(|f| f.clause).collect();
    assert!(
        broken.len() >= 15,
        "only {} clauses: {broken:?}",
        broken.len()
    );
    for clause in [
        Clause::AuthRejected,
        Clause::MediaNotJson,
        Clause::BindBodyEmpty,
        Clause::ProviderName,
        Clause::OrgSelect,
        Clause::RouteMethod,
    ] {
        assert!(report.broke(clause), "{clause} not reported: {broken:?}");
    }
    let distinct: std::collections::BTreeSet<_> = broken.iter().collect();
    assert_eq!(distinct.len(), broken.len(), "a clause reported twice");
}

/// A target that stops answering is not a contract break: the run stops,
/// says why, and reports no clause broken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_dies_stops_the_run_without_a_false_report() {
    let count = AtomicU64::new(0);
    let dies = move |m: &Model, req: &ModelRequest| {
        if count.fetch_add(1, Ordering::SeqCst) > 200 {
            // The connection is dropped without an answer.
            panic!("the target is gone");
        }
        m.handle(req)
    };
    let (report, _sandbox) = run_with(fixture(), Arc::new(dies), quick(5), false).await;
    let why = report.aborted.clone().expect("the run stopped");
    assert!(why.contains("stopped answering"), "{why}");
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
    assert!(!report.passed());
}

/// A body without end is cut off, not read into memory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_body_is_cut_off() {
    let huge = |m: &Model, req: &ModelRequest| {
        let mut r = m.handle(req);
        if req.method == "POST" {
            r.body = vec![b' '; 5 * 1024 * 1024];
        }
        r
    };
    let (report, _sandbox) = run_with(fixture(), Arc::new(huge), quick(5), false).await;
    let said = format!("{:?} {:?}", report.aborted, report.transient);
    let failures = format!(
        "{:?}",
        report
            .failures
            .iter()
            .map(|f| &f.original.finding)
            .collect::<Vec<_>>()
    );
    assert!(
        said.contains("MiB") || failures.contains("MiB"),
        "{said} {failures}"
    );
}

/// A target that always answers 429 is given up on after a bounded number
/// of waits, with a message that names the quota.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_always_throttles_is_given_up_on() {
    let throttles = |_: &Model, _: &ModelRequest| {
        let mut r = json_response(
            429,
            &json!({"statusCode": 429, "message": "Rate limit is exceeded. Try again in 0 seconds."}),
        );
        r.headers.push(("Retry-After".into(), "0".into()));
        r
    };
    let sandbox = serve(fixture(), Arc::new(throttles)).await;
    let target = target_at(&sandbox, &fixture(), false);
    let e = Harness::new(target).await.err().expect("refused");
    assert!(e.to_string().contains("quota"), "{e}");
}

/// A budget that holds only the reads and the restore runs no case: that
/// is not a pass, and the report says nothing was checked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_checked_nothing_is_not_a_pass() {
    let (harness, _sandbox) = harness_on(Arc::new(untouched), true).await;
    let worker = harness.clone();
    let handle = tokio::runtime::Handle::current();
    let options = Options {
        max_requests: Some(12),
        ..quick(1)
    };
    let mut report = tokio::task::spawn_blocking(move || worker.run_blocking(&options, &handle))
        .await
        .expect("run");
    harness.restore_into(&mut report).await;
    assert_eq!(report.cases, 0);
    assert!(!report.passed());
    let text = conformance::report::summary(&report, "http://target");
    assert!(text.contains("nothing was checked"), "{text}");
}

/// Ctrl-C: the run stops at once and is never reported as a pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_run_is_not_a_pass() {
    let (harness, _sandbox) = harness_on(Arc::new(untouched), false).await;
    harness.cancel_token().cancel();
    let worker = harness.clone();
    let handle = tokio::runtime::Handle::current();
    let report = tokio::task::spawn_blocking(move || worker.run_blocking(&quick(1), &handle))
        .await
        .expect("run");
    assert!(report.interrupted);
    assert!(!report.passed());
    assert_eq!(report.cases, 0);
    let text = conformance::report::summary(&report, "x");
    assert!(
        text.contains("interrupted") && !text.contains("every clause held"),
        "{text}"
    );
}

/// An organization stored against an earlier provider configuration is a
/// state the contract allows; the API refuses to store it again. The
/// restore says so and the run still passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_the_api_refuses_is_a_note_not_a_failure() {
    let mut fixture = fixture();
    let mut provider = lupl_spec::Spec::workspace()
        .schema_example("ProviderConfiguration")
        .cloned()
        .expect("example");
    provider["fields"] =
        json!([{"key": "firm", "label": "Firm", "type": "string", "required": true}]);
    provider["baseUrl"] = json!("https://api.acme.example");
    provider["endpoints"] = json!({"hours": "/v2/hours"});
    provider["authentication"] = json!({"type": "oauth2",
        "authorizationUrl": "https://auth.acme.example/authorize",
        "tokenUrl": "https://auth.acme.example/token"});
    fixture.providers[0].config = provider.into();
    // Stored when the provider still asked for a region.
    fixture.organizations[0].config = json!({
        "organizationId": fixture.organizations[0].organization_id,
        "pmsId": fixture.providers[0].pms_id,
        "fields": {"region": "eu"}})
    .into();
    let options = Options {
        cases: 10,
        ..quick(3)
    };
    let (report, _sandbox) = run_with(fixture, Arc::new(untouched), options, true).await;
    assert!(
        report
            .restore
            .iter()
            .any(|r| matches!(r, RestoreOutcome::Refused(..))),
        "{:?}",
        report.restore
    );
    assert!(
        report.passed(),
        "{:#?} {:?}",
        report.failures,
        report.restore
    );
}
