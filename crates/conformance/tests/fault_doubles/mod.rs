//! What the fault-injection tests share: the fixture's ids, assertions
//! that a clause was reported (and, with `--compare-model`, that the
//! target was blamed), and helpers that read and rewrite a model's
//! requests and answers.

#![allow(dead_code)]

use crate::common::*;
use conformance::compare::Blame;
use conformance::{Clause, Report};
use lupl_model::{Model, ModelRequest, ModelResponse};
use serde_json::{Map, Value};
use std::collections::HashMap;

pub const ACME_PMS: &str = "4efafdc0-2783-4af6-9cac-d2b2be27a080";
pub const ACME_ORG: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
pub const OTHER_ORG: &str = "c0ffee00-1234-4abc-9def-0123456789ab";

/// The clause is among the failures, and its evidence ends with an
/// answered exchange that broke it.
pub fn assert_reported(report: &Report, clause: Clause) {
    let broken: Vec<Clause> = report.failures.iter().map(|f| f.clause).collect();
    let f = report
        .failure(clause)
        .unwrap_or_else(|| panic!("{clause} was not reported; reported: {broken:?}"));
    let last = f.evidence().exchanges.last().expect("evidence");
    assert!(last.response.is_ok(), "{last:?}");
    assert!(
        last.broken().any(|x| x.clause == clause),
        "the last exchange of the evidence does not break {clause}: {last:?}"
    );
}

/// With `--compare-model`, the double (the target) and the model answer
/// differently where the double breaks `clause`, and the target is blamed:
/// the model agrees with the oracle there.
pub fn assert_diverged(report: &Report, clause: Clause) {
    let found = report.divergences.first.iter().any(|d| {
        d.blame == Blame::Target
            && d.last()
                .is_some_and(|e| e.broken().any(|f| f.clause == clause))
    });
    assert!(
        found,
        "no divergence blaming the target at {clause}; divergences: {:?}",
        report.divergences.counts
    );
    assert!(
        !report
            .divergences
            .counts
            .keys()
            .any(|(_, blame)| *blame == Blame::Model),
        "the model is blamed: {:?}",
        report.divergences.counts
    );
}

#[allow(unused_macros)] // faults_mutations.rs asserts its own way
macro_rules! fault {
    ($(#[$doc:meta])* $name:ident, $clause:expr, $double:expr) => {
        $(#[$doc])*
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let report = run_compared(Arc::new($double), quick(42)).await;
            assert_reported(&report, $clause);
            assert_diverged(&report, $clause);
        }
    };
}

pub fn errors_of(r: &ModelResponse) -> Map<String, Value> {
    json_body(r)["errors"]
        .as_object()
        .cloned()
        .unwrap_or_default()
}

pub fn with_errors(r: ModelResponse, errors: Map<String, Value>) -> ModelResponse {
    let mut body = json_body(&r);
    body["errors"] = Value::Object(errors);
    with_json(r, 400, &body)
}

pub fn with_query(request: &ModelRequest, query: String) -> ModelRequest {
    let mut r = request.clone();
    r.query = Some(query);
    r
}

pub fn query_pairs(request: &ModelRequest) -> Vec<(String, String)> {
    request
        .query
        .as_deref()
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

pub fn is_post(request: &ModelRequest) -> bool {
    request.method == "POST"
}

pub fn is_provider(request: &ModelRequest) -> bool {
    request
        .path
        .to_ascii_lowercase()
        .ends_with("providerconfig")
}

/// The provider configuration a token's provider now holds.
pub fn provider_of(model: &Model, pms: &str) -> Value {
    model
        .snapshot()
        .providers
        .iter()
        .find(|p| p.pms_id.to_string() == pms)
        .map_or(Value::Null, |p| p.config.value().clone())
}

/// The fields a provider configuration declares: key → field.
pub fn declared(provider: &Value) -> HashMap<String, Value> {
    provider["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| Some((f["key"].as_str()?.to_owned(), f.clone())))
        .collect()
}
