//! Fault injection: each test double wraps the model (it does not edit
//! it) and breaks one clause of CONTRACT.md; the harness must report that
//! clause, with the exchange that shows it. The untouched model and a
//! double that differs only where the contract allows must pass.
//!
//! This file: round trips, response shapes, and no false reports; the
//! request steps are in `faults_request.rs`, tenants and rules in
//! `faults_rules.rs`.

mod common;
#[macro_use]
mod fault_doubles;

use common::*;
use conformance::Clause;
use fault_doubles::*;
use lupl_model::{Model, ModelRequest, ModelResponse};
use serde_json::{Map, Value, json};
use std::sync::{Arc, Mutex};

// ------------------------------------------------------------ round trips

fault!(
    /// Unknown members inside `config` are dropped.
    unknown_config_members_dropped,
    Clause::StoreUnknownConfigMembers,
    |m: &Model, req: &ModelRequest| {
        fn strip(v: &mut Value) {
            match v {
                Value::Object(o) => {
                    o.retain(|k, _| !k.starts_with("x-"));
                    o.values_mut().for_each(strip);
                }
                Value::Array(a) => a.iter_mut().for_each(strip),
                _ => {}
            }
        }
        let mut body = request_json(req);
        if is_post(req) && is_provider(req) && body["config"].is_object() {
            strip(&mut body["config"]);
            return m.handle(&with_body(req, &body));
        }
        m.handle(req)
    }
);

fault!(
    /// Strings are trimmed when stored.
    strings_trimmed,
    Clause::StoreExact,
    |m: &Model, req: &ModelRequest| {
        let mut body = request_json(req);
        if let Some(name) = body["config"]["name"].as_str()
            && is_post(req)
        {
            body["config"]["name"] = json!(name.trim());
            return m.handle(&with_body(req, &body));
        }
        m.handle(req)
    }
);

fault!(
    /// An unknown top-level member shows in the organization read.
    unknown_top_level_member_kept,
    Clause::StoreUnknownTopLevelDropped,
    {
        let extras: Mutex<Map<String, Value>> = Mutex::default();
        move |m: &Model, req: &ModelRequest| {
            let r = m.handle(req);
            if is_post(req) && !is_provider(req) && r.status == 200 {
                let body = request_json(req);
                let mut e = extras.lock().expect("lock");
                e.clear();
                for (k, v) in body.as_object().into_iter().flatten() {
                    if !["pmsId", "organizationId", "fields"].contains(&k.as_str()) {
                        e.insert(k.clone(), v.clone());
                    }
                }
            }
            if !is_post(req) && !is_provider(req) && r.status == 200 {
                let mut body = json_body(&r);
                if let Some(o) = body.as_object_mut() {
                    for (k, v) in extras.lock().expect("lock").iter() {
                        o.insert(k.clone(), v.clone());
                    }
                }
                return with_json(r, 200, &body);
            }
            r
        }
    }
);

fault!(
    /// A write refused as not JSON is stored anyway.
    a_refused_write_stored,
    Clause::StoreRefusedNoEffect,
    |m: &Model, req: &ModelRequest| {
        let r = m.handle(req);
        if r.status == 415 {
            let mut json = req.clone();
            json.headers
                .retain(|(n, _)| !n.eq_ignore_ascii_case("content-type"));
            json.headers
                .push(("content-type".into(), b"application/json".to_vec()));
            m.handle(&json);
        }
        r
    }
);

// ------------------------------------------------------ response shapes

fault!(
    /// A 500 for requests the rules refuse.
    a_5xx,
    Clause::RouteNo5xx,
    |m: &Model, req: &ModelRequest| {
        let r = m.handle(req);
        if r.status == 400 {
            with_json(r, 500, &json!({"error": "boom"}))
        } else {
            r
        }
    }
);

fault!(
    /// A 201 for writes.
    an_undocumented_status,
    Clause::OpsDocumentedStatus,
    |m: &Model, req: &ModelRequest| {
        let r = m.handle(req);
        if r.status == 200 && is_post(req) {
            with_json(r, 201, &json!({}))
        } else {
            r
        }
    }
);

fault!(
    /// 200 bodies as text/plain.
    json_as_text,
    Clause::OpsJsonContentType,
    |m: &Model, req: &ModelRequest| {
        let mut r = m.handle(req);
        if r.status == 200 {
            r.headers = vec![("Content-Type".into(), "text/plain".into())];
        }
        r
    }
);

fault!(
    /// 400 bodies as application/json.
    problems_as_plain_json,
    Clause::OpsProblemContentType,
    |m: &Model, req: &ModelRequest| {
        let mut r = m.handle(req);
        if r.status == 400 {
            r.headers = vec![("Content-Type".into(), "application/json".into())];
        }
        r
    }
);

fault!(
    /// A provider read whose name is a number.
    a_body_off_schema,
    Clause::OpsResponseSchema,
    |m: &Model, req: &ModelRequest| {
        let r = m.handle(req);
        let mut body = json_body(&r);
        if r.status == 200 && !is_post(req) && is_provider(req) && body.is_object() {
            body["name"] = json!(7);
            with_json(r, 200, &body)
        } else {
            r
        }
    }
);

fault!(
    /// A provider write is acknowledged, then the previous configuration
    /// quietly put back.
    a_lost_write,
    Clause::StoreExact,
    |m: &Model, req: &ModelRequest| {
        let before = provider_of(m, ACME_PMS);
        let r = m.handle(req);
        let acme = request_json(req)["pmsId"].as_str() == Some(ACME_PMS);
        if is_post(req) && is_provider(req) && r.status == 200 && acme && !before.is_null() {
            m.handle(&with_body(req, &json!({"pmsId": ACME_PMS, "config": before})));
        }
        r
    }
);

// ------------------------------------------------------------ no false reports

/// The double itself is sound: passing everything through, the harness
/// stays green (so the faults above are what it reports).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_untouched_model_passes() {
    let report = run_compared(Arc::new(untouched), quick(42)).await;
    assert!(report.passed(), "{:#?}", report.failures);
    assert!(
        report.divergences.is_empty(),
        "{:?}",
        report.divergences.counts
    );
}

/// Differs from the model only where CONTRACT.md allows: media types
/// without `charset`, other problem `type`/`title`/`traceId` and extra
/// members, extra headers, members in another order, pretty-printed JSON,
/// chunked bodies.
fn harmless(model: &Model, req: &ModelRequest) -> ModelResponse {
    let mut r = model.handle(req);
    fn reversed(v: Value) -> Value {
        match v {
            Value::Object(o) => {
                Value::Object(o.into_iter().rev().map(|(k, v)| (k, reversed(v))).collect())
            }
            Value::Array(a) => Value::Array(a.into_iter().map(reversed).collect()),
            other => other,
        }
    }
    if !r.body.is_empty()
        && let Ok(mut body) = serde_json::from_slice::<Value>(&r.body)
    {
        if r.status == 400 || r.status == 415 {
            body["type"] = json!("about:blank");
            body["title"] = json!("Bad Request");
            body["traceId"] = json!("|a1b2c3.");
            body["instance"] = json!(req.path);
            body["extensions"] = json!({"requestId": 7});
        }
        r.body = serde_json::to_vec_pretty(&reversed(body)).unwrap_or_default();
    }
    for (name, value) in &mut r.headers {
        if name.eq_ignore_ascii_case("content-type") {
            *value = value.split(';').next().unwrap_or_default().to_owned();
        }
    }
    r.headers.push(("X-Request-Id".into(), "abc".into()));
    r.headers.push(("Cache-Control".into(), "no-store".into()));
    r.headers
        .push(("Transfer-Encoding".into(), "chunked".into()));
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn harmless_differences_pass() {
    let report = run_compared(Arc::new(harmless), quick(7)).await;
    assert!(report.passed(), "{:#?}", report.failures);
    // Every mutation family ran against it, and none reported anything.
    for family in conformance::mutations::Family::ALL {
        let t = report.coverage.family(family);
        assert!(t.requests > 0 && t.failed == 0, "{family}: {t:?}");
    }
    assert!(
        report.divergences.is_empty(),
        "{:?}",
        report.divergences.counts
    );
}
