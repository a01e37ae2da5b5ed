//! Fault injection for the mutation families (see `faults.rs`): each
//! double takes a near miss of a good value for the value, and the family
//! made for it catches it — the first break of the clause comes from one
//! of the family's cases, so no generator before it saw the fault. The
//! untouched model and the harmless double of `faults.rs` run every
//! family too, and pass.

mod common;
#[macro_use]
mod fault_doubles;

use common::*;
use conformance::mutations::Family;
use conformance::{Clause, Report};
use fault_doubles::*;
use lupl_model::{Model, ModelRequest, ModelResponse};
use serde_json::{Value, json};
use std::sync::Arc;
use unicode_normalization::UnicodeNormalization;

const TOKENS: [&str; 2] = ["tok-acme", "tok-other"];

/// The family's case broke `clause` first, and the double is blamed.
async fn caught_by(double: Arc<Double>, clause: Clause, family: Family, label: &str) {
    let report: Report = run_compared(double, quick(42)).await;
    assert_reported(&report, clause);
    assert_diverged(&report, clause);
    let failure = report.failure(clause).expect("reported");
    assert!(
        failure.label.starts_with(label),
        "{clause} was first broken by {:?}, not by the {family} family ({label})",
        failure.label
    );
    assert!(
        report.coverage.family(family).failed > 0,
        "the {family} family's tally shows no failure"
    );
}

/// The request with its body as JSON changed by `change`.
fn with_body(req: &ModelRequest, change: impl FnOnce(&mut Value)) -> ModelRequest {
    let mut r = req.clone();
    if let Ok(mut body) = serde_json::from_slice::<Value>(&r.body) {
        change(&mut body);
        r.body = body.to_string().into_bytes();
    }
    r
}

/// Compares tokens without letter case.
fn case_blind_tokens(model: &Model, req: &ModelRequest) -> ModelResponse {
    let mut r = req.clone();
    if let Some(value) = req.header("authorization") {
        let value = String::from_utf8_lossy(value).into_owned();
        if let Some(credential) = value.strip_prefix("Bearer ")
            && let Some(known) = TOKENS.iter().find(|t| t.eq_ignore_ascii_case(credential))
        {
            r.headers
                .retain(|(n, _)| !n.eq_ignore_ascii_case("authorization"));
            r.headers.push((
                "Authorization".into(),
                format!("Bearer {known}").into_bytes(),
            ));
        }
    }
    model.handle(&r)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_in_another_letter_case_is_refused() {
    caught_by(
        Arc::new(case_blind_tokens),
        Clause::AuthRejected,
        Family::TokenNearMiss,
        "TokenNearMiss",
    )
    .await;
}

/// Also takes a token from `?access_token=`.
fn query_tokens(model: &Model, req: &ModelRequest) -> ModelResponse {
    let pairs = query_pairs(req);
    let token = pairs
        .iter()
        .find(|(k, _)| k == "access_token")
        .map(|(_, v)| v.clone());
    match token {
        Some(token) if req.header("authorization").is_none() => {
            let rest: Vec<String> = pairs
                .iter()
                .filter(|(k, _)| k != "access_token")
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            let mut r = with_query(req, rest.join("&"));
            r.headers.push((
                "Authorization".into(),
                format!("Bearer {token}").into_bytes(),
            ));
            model.handle(&r)
        }
        _ => model.handle(req),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_in_the_query_is_refused() {
    caught_by(
        Arc::new(query_tokens),
        Clause::AuthRejected,
        Family::TokenCarrier,
        "TokenCarrier",
    )
    .await;
}

/// Reads the provider's enumerated values without letter case.
fn case_blind_enums(model: &Model, req: &ModelRequest) -> ModelResponse {
    if !(is_post(req) && is_provider(req)) {
        return model.handle(req);
    }
    let canonical = |v: &Value, allowed: &[&str]| -> Option<Value> {
        let text = v.as_str()?;
        allowed
            .iter()
            .find(|a| a.eq_ignore_ascii_case(text))
            .map(|a| json!(a))
    };
    model.handle(&with_body(req, |body| {
        let config = &mut body["config"];
        if let Some(t) = canonical(&config["authentication"]["type"], &["oauth2", "apiKey"]) {
            config["authentication"]["type"] = t;
        }
        if let Some(fields) = config["fields"].as_array_mut() {
            for f in fields {
                if let Some(t) = canonical(&f["type"], &["string", "number", "boolean", "select"]) {
                    f["type"] = t;
                }
            }
        }
    }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authentication_type_in_another_case_is_refused() {
    caught_by(
        Arc::new(case_blind_enums),
        Clause::ProviderAuthType,
        Family::LetterCase,
        "provider AuthTypeCase",
    )
    .await;
}

/// Stores every string of a write in normalization form C.
fn composing(model: &Model, req: &ModelRequest) -> ModelResponse {
    fn nfc(v: &mut Value) {
        match v {
            Value::String(s) => *s = s.nfc().collect(),
            Value::Array(a) => a.iter_mut().for_each(nfc),
            Value::Object(o) => o.values_mut().for_each(nfc),
            _ => {}
        }
    }
    if !is_post(req) {
        return model.handle(req);
    }
    model.handle(&with_body(req, nfc))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_string_stored_in_another_normalization_form_is_reported() {
    caught_by(
        Arc::new(composing),
        Clause::StoreExact,
        Family::UnicodeForm,
        "provider NameDecomposed",
    )
    .await;
}

/// Trims field labels before checking them (the contract trims names only).
fn trimming_labels(model: &Model, req: &ModelRequest) -> ModelResponse {
    if !(is_post(req) && is_provider(req)) {
        return model.handle(req);
    }
    model.handle(&with_body(req, |body| {
        if let Some(fields) = body["config"]["fields"].as_array_mut() {
            for f in fields {
                if let Some(label) = f["label"].as_str() {
                    f["label"] = json!(label.trim());
                }
            }
        }
    }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_label_of_spaces_is_not_trimmed_away() {
    caught_by(
        Arc::new(trimming_labels),
        Clause::ProviderFieldLabel,
        Family::WhiteSpace,
        "provider LabelBlank",
    )
    .await;
}

/// Takes `1` and `0` for a boolean field.
fn coercing_booleans(model: &Model, req: &ModelRequest) -> ModelResponse {
    if !is_post(req) || is_provider(req) {
        return model.handle(req);
    }
    let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
        return model.handle(req);
    };
    let pms = body["pmsId"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let kinds = declared(&provider_of(model, &pms));
    model.handle(&with_body(req, |body| {
        if let Some(fields) = body["fields"].as_object_mut() {
            for (key, value) in fields.iter_mut() {
                let boolean = kinds.get(key).is_some_and(|f| f["type"] == "boolean");
                if boolean && let Some(n) = value.as_i64().filter(|n| *n == 0 || *n == 1) {
                    *value = json!(n == 1);
                }
            }
        }
    }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_number_for_a_boolean_is_refused() {
    caught_by(
        Arc::new(coercing_booleans),
        Clause::OrgBoolean,
        Family::TypeCoercion,
        "organization BooleanAsNumber",
    )
    .await;
}
