//! Against the model: every check passes for a few thousand cases, over both
//! tenants; and as a "live" target (one identity, foreign ids, restore).

use conformance::{ContractCheck, Harness, Identity, Options, Target};
use lupl_auth::RateLimit;
use lupl_model::{Fixture, Sandbox};
use std::sync::Arc;

async fn run(target: Target, cases: u32, seed: u64) -> (conformance::Report, Arc<Harness>) {
    let harness = Arc::new(Harness::new(target).await.expect("harness"));
    let worker = harness.clone();
    let handle = tokio::runtime::Handle::current();
    let options = Options {
        cases,
        seed,
        progress: false,
    };
    let report = tokio::task::spawn_blocking(move || worker.run_blocking(&options, &handle))
        .await
        .expect("run");
    (report, harness)
}

/// The target in `LUPL_BASE_URL` (with `LUPL_TOKEN`, `LUPL_PMS_ID`,
/// `LUPL_ORGANIZATION_ID`, optionally `LUPL_FOREIGN_PMS_ID` and
/// `LUPL_FOREIGN_ORGANIZATION_ID`) when it is set, else the model.
async fn target_from_env() -> Target {
    let Ok(base_url) = std::env::var("LUPL_BASE_URL") else {
        return Target::model().await.expect("model");
    };
    let var = |name: &str| {
        std::env::var(name).unwrap_or_else(|_| panic!("LUPL_BASE_URL is set: set {name} too"))
    };
    let id = |name: &str| {
        std::env::var(name)
            .ok()
            .map(|v| v.parse().unwrap_or_else(|_| panic!("{name} is not a uuid")))
    };
    let identity = Identity {
        token: var("LUPL_TOKEN"),
        pms_id: var("LUPL_PMS_ID").parse().expect("LUPL_PMS_ID is a uuid"),
        organization_id: var("LUPL_ORGANIZATION_ID")
            .parse()
            .expect("LUPL_ORGANIZATION_ID is a uuid"),
    };
    let limit = std::env::var("LUPL_RATE_LIMIT")
        .ok()
        .map(|l| RateLimit::parse(&l).expect("LUPL_RATE_LIMIT is CALLS/SECONDS"))
        .unwrap_or_default();
    Target::live(
        &base_url,
        identity,
        id("LUPL_FOREIGN_PMS_ID"),
        id("LUPL_FOREIGN_ORGANIZATION_ID"),
        limit,
    )
    .expect("target")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_check_passes_for_thousands_of_cases() {
    let live = std::env::var("LUPL_BASE_URL").is_ok();
    let cases = if live { 300 } else { 2500 };
    let (mut report, harness) = run(target_from_env().await, cases, 20261127).await;
    (report.restore, report.restore_notes) = harness.restore().await;
    assert!(report.passed(), "{}", conformance::report::summary(&report));
    assert!(report.restore.is_empty(), "{:?}", report.restore);
    if live {
        return;
    }
    assert_eq!(report.cases, 2500);
    // Every operation went through every check that applies to it.
    for check in [
        ContractCheck::Status,
        ContractCheck::Schema,
        ContractCheck::ErrorKey,
        ContractCheck::ForbiddenBody,
        ContractCheck::WwwAuthenticate,
    ] {
        for op in conformance::cases::Op::ALL {
            let (passed, _) = report.tally.get(&(op, check)).copied().unwrap_or_default();
            assert!(passed > 0, "{op:?} never exercised {check:?}");
        }
    }
    for op in [
        conformance::cases::Op::GetProvider,
        conformance::cases::Op::GetOrganization,
    ] {
        assert!(
            report
                .tally
                .get(&(op, ContractCheck::RoundTrip))
                .is_some_and(|(p, _)| *p > 0)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_target_with_one_token_and_foreign_ids_reports_nothing_false() {
    let mut fixture = Fixture::builtin();
    fixture.rate_limit = lupl_model::RateLimit {
        requests: 1_000_000,
        per_seconds: 1,
    };
    let sandbox = Sandbox::start_with(fixture.clone()).await;
    let acme = Target::identities_of(&fixture)[0].clone();
    let other = Target::identities_of(&fixture)[1].clone();
    let target = Target::live(
        sandbox.base_url(),
        Identity { ..acme },
        Some(other.pms_id),
        Some(other.organization_id),
        RateLimit::new(1_000_000, 1),
    )
    .expect("target");
    let (mut report, harness) = run(target, 400, 7).await;
    (report.restore, report.restore_notes) = harness.restore().await;
    assert!(report.passed(), "{}", conformance::report::summary(&report));
    assert_eq!(report.restore, Vec::<String>::new());
    // ACME's provider started null, which the API cannot restore: said so.
    assert!(
        report.restore_notes.iter().any(|r| r.contains("was null")),
        "{:?}",
        report.restore_notes
    );
}
