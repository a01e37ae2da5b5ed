//! Against the model: the default run exercises every clause of the
//! catalogue and every clause holds; as a live target (one identity,
//! foreign ids, restore) nothing false is reported and the default budget
//! holds; a stateful break on a live target comes with its evidence.

mod common;

use common::*;
use conformance::{Clause, Harness, Options, Target};
use lupl_auth::limits::Quota;
use lupl_model::{Fixture, Model, ModelRequest, Sandbox};
use serde_json::json;
use std::sync::Arc;

async fn run(target: Target, options: Options, throttle: bool) -> conformance::Report {
    let harness = Arc::new(Harness::new(target).await.expect("harness"));
    let worker = harness.clone();
    let handle = tokio::runtime::Handle::current();
    let mut report = tokio::task::spawn_blocking(move || {
        let mut report = worker.run_blocking(&options, &handle);
        if throttle {
            report.merge(worker.run_throttling(Quota::new(10, 3), &handle));
        }
        report
    })
    .await
    .expect("run");
    harness.restore_into(&mut report).await;
    report
}

/// The default run against the model (as `cargo run -p conformance` does
/// it: two identities, the throttling phase on a small-quota model)
/// exercises every clause, on every operation it applies to, with every
/// polarity its generators give it — and the model honours all of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_run_exercises_every_clause_and_the_model_holds_them_all() {
    let options = Options {
        seed: 20261128,
        per_generator: 2,
        ..Options::default()
    };
    let mut report = run(Target::model().await.expect("model"), options, false).await;
    let mut throttled = Fixture::builtin();
    throttled.rate_limit = lupl_model::Quota::new(10, 3);
    let target = Target::model_with(throttled, Quota::new(1_000_000, 1))
        .await
        .expect("model");
    let harness = Arc::new(Harness::new(target).await.expect("harness"));
    let handle = tokio::runtime::Handle::current();
    let worker = harness.clone();
    report.merge(
        tokio::task::spawn_blocking(move || worker.run_throttling(Quota::new(10, 3), &handle))
            .await
            .expect("throttling"),
    );
    assert!(
        report.passed(),
        "{}",
        conformance::report::summary(&report, "model")
    );
    assert_eq!(report.coverage.not_exercised(), Vec::new());
    assert!(report.notes.is_empty(), "{:?}", report.notes);
    assert_eq!(report.skipped, 0);
}

/// `cargo test -p conformance` against the target the `LUPL_*` variables
/// name (`LUPL_BASE_URL` with `LUPL_TOKEN` or an Auth0 client, the ids),
/// read exactly as the runner reads its flags and environment.
async fn target_from_env() -> Option<Target> {
    #[derive(clap::Parser)]
    struct FromEnv {
        #[command(flatten)]
        target: conformance::target::TargetArgs,
    }
    let args = <FromEnv as clap::Parser>::try_parse_from(["cargo test -p conformance"])
        .unwrap_or_else(|e| panic!("{e}"))
        .target;
    if !args.is_live() {
        return None;
    }
    Some(args.target().await.unwrap_or_else(|e| panic!("{e}")))
}

/// As against Stage: one token, foreign ids, the default budget of 1000
/// requests. Nothing false is reported, the budget holds, every clause but
/// the throttling ones is exercised, and what the API cannot restore is
/// said so. With `LUPL_BASE_URL` set, the same run against that target.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_run_within_the_budget_exercises_every_clause_and_reports_nothing_false() {
    let options = Options {
        seed: 7,
        per_generator: 1,
        max_requests: Some(1000),
        ..Options::default()
    };
    if let Some(target) = target_from_env().await {
        let report = run(target, options, false).await;
        assert!(
            report.passed(),
            "{}",
            conformance::report::summary(&report, "live")
        );
        return;
    }
    let fixture = fixture();
    let sandbox = Sandbox::start_with(fixture.clone()).await.expect("sandbox");
    let acme = Target::identities_of(&fixture)[0].clone();
    let other = Target::identities_of(&fixture)[1].clone();
    let target = Target::live(
        sandbox.base_url(),
        acme,
        Some(other.pms_id),
        Some(other.organization_id),
        Quota::new(1_000_000, 1),
    )
    .expect("target");
    let report = run(target, options, false).await;
    assert!(
        report.passed(),
        "{}",
        conformance::report::summary(&report, "live")
    );
    assert!(report.requests <= 1000, "{} requests", report.requests);
    for family in conformance::mutations::Family::ALL {
        assert!(
            report.coverage.family(family).requests > 0,
            "the {family} family sent nothing within the budget"
        );
    }
    for (clause, why) in report.coverage.not_exercised() {
        let needs = clause.info().needs;
        assert!(
            matches!(
                needs,
                conformance::clauses::Needs::Throttling
                    | conformance::clauses::Needs::TwoIdentities
            ),
            "{clause} not exercised within the budget: {why}"
        );
    }
    // ACME's provider started null, which the API cannot restore: said so.
    assert!(
        report
            .restore
            .iter()
            .any(|r| matches!(r, conformance::outcome::RestoreOutcome::CannotDelete(_))),
        "{:?}",
        report.restore
    );
}

/// A write acknowledged and then lost, on a target run as a live one: the
/// failing case replays on its own (it writes what it reads), the failure
/// is reproduced and shrunk, and its evidence holds the write and the read
/// with their answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stateful_break_on_a_live_target_comes_with_its_exchanges() {
    const PMS: &str = "4efafdc0-2783-4af6-9cac-d2b2be27a080";
    let lost = |m: &Model, req: &ModelRequest| {
        let pms = PMS;
        let before = m
            .snapshot()
            .providers
            .iter()
            .find(|p| p.pms_id.to_string() == pms)
            .map(|p| p.config.clone())
            .unwrap_or_default();
        let r = m.handle(req);
        let acme = request_json(req)["pmsId"].as_str() == Some(pms);
        if req.method == "POST" && r.status == 200 && acme && !before.is_null() {
            m.handle(&with_body(req, &json!({"pmsId": PMS, "config": before})));
        }
        r
    };
    let (report, _sandbox) = run_with(fixture(), Arc::new(lost), quick(3), true).await;
    let failure = report
        .failure(Clause::StoreExact)
        .expect("store.exact reported");
    assert_eq!(failure.reproduced, conformance::outcome::Reproduced::Yes);
    let evidence = failure.evidence();
    let methods: Vec<&str> = evidence
        .exchanges
        .iter()
        .map(|e| e.request.method.as_str())
        .collect();
    assert!(
        methods.contains(&"POST") && methods.last() == Some(&"GET"),
        "{methods:?}"
    );
    let last = evidence.exchanges.last().expect("exchange");
    let response = last.response.as_ref().expect("answered");
    assert_eq!(response.status, 200);
    assert!(!response.headers.is_empty());
    let text = conformance::report::failure_text("http://target", failure);
    assert!(
        text.contains("curl -i -X POST") && text.contains("reproduced"),
        "{text}"
    );
}
