//! `--compare-model`: the model beside the target. A correct target and
//! the model never diverge; a target that breaks a clause is blamed (every
//! fault double of `faults.rs` checks that too); a model that answers
//! otherwise than the oracle predicts, where the target does not, is
//! blamed; and the report shows both answers side by side and a table.

mod common;

use common::*;
use conformance::Harness;
use conformance::compare::{Aspect, Blame};
use std::sync::Arc;

async fn harness(compare: impl FnOnce(&mut Harness)) -> (Harness, lupl_model::Sandbox) {
    let sandbox = serve(fixture(), Arc::new(untouched)).await;
    let target = target_at(&sandbox, &fixture(), false);
    let mut harness = Harness::new(target).await.expect("harness");
    compare(&mut harness);
    (harness, sandbox)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_model_served_over_http_never_diverges_from_itself() {
    let (harness, _sandbox) = harness(Harness::compare_with_model).await;
    let harness = Arc::new(harness);
    let options = conformance::Options {
        cases: 400,
        ..quick(11)
    };
    let handle = tokio::runtime::Handle::current();
    let worker = harness.clone();
    let report = tokio::task::spawn_blocking(move || worker.run_blocking(&options, &handle))
        .await
        .expect("run");
    assert!(report.passed(), "{:#?}", report.failures);
    assert!(
        report.divergences.is_empty(),
        "{:?}",
        report.divergences.counts
    );
    assert!(report.cases >= 400);
}

/// A model whose quota is lower than the target's answers 429 where the
/// target, as the oracle predicts, answers: the model is blamed, and the
/// report shows both answers and the table.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_that_differs_from_a_correct_target_is_blamed() {
    let (harness, sandbox) =
        harness(|h| h.compare_with_model_quota(lupl_model::Quota::new(3, 3600))).await;
    let harness = Arc::new(harness);
    let options = quick(3);
    let handle = tokio::runtime::Handle::current();
    let worker = harness.clone();
    let report = tokio::task::spawn_blocking(move || worker.run_blocking(&options, &handle))
        .await
        .expect("run");
    assert!(report.failures.is_empty(), "the target is correct");
    assert!(!report.passed(), "a divergence fails the run");
    let d = report
        .divergences
        .first
        .iter()
        .find(|d| d.blame == Blame::Model)
        .unwrap_or_else(|| panic!("{:?}", report.divergences.counts));
    let model = d.model().expect("the model's answer");
    assert_eq!(model.response.status, 429);
    assert!(model.aspects.contains(&Aspect::Status));
    assert!(
        !report
            .divergences
            .counts
            .keys()
            .any(|(_, b)| *b == Blame::Target),
        "{:?}",
        report.divergences.counts
    );
    let text = conformance::report::summary(&report, sandbox.base_url());
    assert!(text.contains("target = oracle ≠ model"), "{text}");
    assert!(text.contains("     target: 200"), "{text}");
    assert!(text.contains("     model:  429"), "{text}");
    assert!(text.contains("differ in: status"), "{text}");
    assert!(text.contains("the target and the model differ"), "{text}");
}

/// A correct target that differs from the model only where CONTRACT.md
/// leaves the choice open: a 404 with a JSON body (the model sends none),
/// a challenge with parameters, and a 400 naming `config.endpoints` where
/// the model names `config.endpoints.payroll` (the contract allows either).
fn open_choices(
    model: &lupl_model::Model,
    req: &lupl_model::ModelRequest,
) -> lupl_model::ModelResponse {
    let mut r = model.handle(req);
    match r.status {
        404 => {
            r.headers = vec![("Content-Type".into(), lupl_model::JSON.into())];
            r.body = b"{}".to_vec();
        }
        401 => {
            for (name, value) in &mut r.headers {
                if name.eq_ignore_ascii_case("www-authenticate") {
                    *value = "Bearer error=\"invalid_token\"".into();
                }
            }
        }
        400 => {
            let mut body = json_body(&r);
            if let Some(errors) = body["errors"].as_object_mut()
                && let Some(v) = errors.remove("config.endpoints.payroll")
            {
                errors.insert("config.endpoints".into(), v);
                r = with_json(r, 400, &body);
            }
        }
        _ => {}
    }
    r
}

/// The drift alarm cries only at drift: against [`open_choices`], nothing
/// the contract fixes differs, so the run passes; the open choice it can
/// see is a note naming the contract's gap; `--strict` fails it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn differences_the_contract_leaves_open_are_notes() {
    let mut report = run_compared(Arc::new(open_choices), quick(21)).await;
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
    assert!(report.passed(), "{:?}", report.divergences.counts);
    assert_eq!(report.divergences.failing(false).count(), 0);
    let ambiguous: Vec<_> = report.divergences.ambiguous().collect();
    assert!(
        ambiguous.iter().all(|d| d.blame == Blame::Contract),
        "{ambiguous:?}"
    );
    assert!(
        report
            .divergences
            .counts
            .keys()
            .all(|(c, _)| *c != conformance::Clause::RoutePath),
        "a 404's body is not compared: {:?}",
        report.divergences.counts
    );
    let endpoints = ambiguous
        .iter()
        .find(|d| {
            d.model()
                .is_some_and(|m| m.aspects.contains(&Aspect::ErrorKeys))
        })
        .unwrap_or_else(|| {
            panic!(
                "no ambiguity on the endpoints key: {:?}",
                report.divergences.counts
            )
        });
    let text = conformance::report::summary(&report, "http://target");
    assert!(
        text.contains("note: CONTRACT.md does not decide the 400 error keys"),
        "{text}"
    );
    assert!(text.contains(&endpoints.clause.to_string()), "{text}");
    assert!(
        !text.contains("the target and the model (--compare-model) differ"),
        "{text}"
    );
    report.strict_compare = true;
    assert!(!report.passed(), "--strict fails on an open choice");
}
