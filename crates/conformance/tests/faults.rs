//! Fault injection: each test double wraps the model (it does not edit
//! it) and breaks one clause of CONTRACT.md; the harness must report that
//! clause, with the exchange that shows it. The untouched model and a
//! double that differs only where the contract allows must pass.

mod common;

use common::*;
use conformance::compare::Blame;
use conformance::{Clause, Report};
use lupl_model::{Model, ModelRequest, ModelResponse};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const ACME_PMS: &str = "4efafdc0-2783-4af6-9cac-d2b2be27a080";
const ACME_ORG: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
const OTHER_ORG: &str = "c0ffee00-1234-4abc-9def-0123456789ab";

/// The clause is among the failures, and its evidence ends with an
/// answered exchange that broke it.
fn assert_reported(report: &Report, clause: Clause) {
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
fn assert_diverged(report: &Report, clause: Clause) {
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

fn errors_of(r: &ModelResponse) -> Map<String, Value> {
    json_body(r)["errors"]
        .as_object()
        .cloned()
        .unwrap_or_default()
}

fn with_errors(r: ModelResponse, errors: Map<String, Value>) -> ModelResponse {
    let mut body = json_body(&r);
    body["errors"] = Value::Object(errors);
    with_json(r, 400, &body)
}

fn with_query(request: &ModelRequest, query: String) -> ModelRequest {
    let mut r = request.clone();
    r.query = Some(query);
    r
}

fn query_pairs(request: &ModelRequest) -> Vec<(String, String)> {
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

fn is_post(request: &ModelRequest) -> bool {
    request.method == "POST"
}

fn is_provider(request: &ModelRequest) -> bool {
    request
        .path
        .to_ascii_lowercase()
        .ends_with("providerconfig")
}

/// The provider configuration a token's provider now holds.
fn provider_of(model: &Model, pms: &str) -> Value {
    model
        .snapshot()
        .providers
        .iter()
        .find(|p| p.pms_id.to_string() == pms)
        .map(|p| p.config.clone())
        .unwrap_or(Value::Null)
}

/// The fields a provider configuration declares: key → field.
fn declared(provider: &Value) -> HashMap<String, Value> {
    provider["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| Some((f["key"].as_str()?.to_owned(), f.clone())))
        .collect()
}

// ---------------------------------------------------------------- routing

fault!(
    /// Paths match only in lower case.
    a_case_sensitive_path,
    Clause::RouteCaseInsensitive,
    |m: &Model, req: &ModelRequest| {
        if req.path.chars().any(|c| c.is_ascii_uppercase()) {
            ModelResponse {
                status: 404,
                headers: Vec::new(),
                body: Vec::new(),
            }
        } else {
            m.handle(req)
        }
    }
);

fault!(
    /// Query parameter names match only as documented.
    a_case_sensitive_parameter_name,
    Clause::RouteCaseInsensitive,
    |m: &Model, req: &ModelRequest| {
        let kept: Vec<String> = query_pairs(req)
            .into_iter()
            .filter(|(k, _)| k == "pmsId" || k == "organizationId")
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        m.handle(&with_query(req, kept.join("&")))
    }
);

fault!(
    /// 405 without `Allow`.
    a_405_without_allow,
    Clause::RouteMethod,
    |m: &Model, req: &ModelRequest| {
        let mut r = m.handle(req);
        r.headers.retain(|(n, _)| !n.eq_ignore_ascii_case("allow"));
        r
    }
);

fault!(
    /// Another method is 404.
    another_method_is_404,
    Clause::RouteMethod,
    |m: &Model, req: &ModelRequest| {
        let mut r = m.handle(req);
        if r.status == 405 {
            r.status = 404;
            r.headers.clear();
        }
        r
    }
);

fault!(
    /// A path with one more letter reaches the operation.
    another_path_is_served,
    Clause::RoutePath,
    |m: &Model, req: &ModelRequest| {
        let mut r = req.clone();
        if let Some(p) = req.path.strip_suffix('s') {
            r.path = p.to_owned();
        }
        m.handle(&r)
    }
);

// --------------------------------------------------------- authentication

fault!(
    /// No token is served as ACME.
    ignored_authentication,
    Clause::AuthRejected,
    |m: &Model, req: &ModelRequest| {
        if req.header("authorization").is_none() {
            m.handle(&as_token(req, "tok-acme"))
        } else {
            m.handle(req)
        }
    }
);

fault!(
    /// 401 without a challenge.
    a_401_without_challenge,
    Clause::AuthChallenge,
    |m: &Model, req: &ModelRequest| {
        let mut r = m.handle(req);
        r.headers
            .retain(|(n, _)| !n.eq_ignore_ascii_case("www-authenticate"));
        r
    }
);

// ------------------------------------------------------------- media type

fault!(
    /// `application/json; charset=utf-8` is refused.
    json_with_charset_refused,
    Clause::MediaNotJson,
    |m: &Model, req: &ModelRequest| {
        let charset = req
            .header("content-type")
            .is_some_and(|v| String::from_utf8_lossy(v).contains("charset"));
        if charset {
            let mut r = req.clone();
            r.headers
                .retain(|(n, _)| !n.eq_ignore_ascii_case("content-type"));
            r.headers
                .push(("content-type".into(), b"text/plain".to_vec()));
            m.handle(&r)
        } else {
            m.handle(req)
        }
    }
);

fault!(
    /// A POST without `Content-Type` is read as JSON.
    missing_content_type_accepted,
    Clause::MediaNotJson,
    |m: &Model, req: &ModelRequest| {
        if is_post(req) && req.header("content-type").is_none() {
            let mut r = req.clone();
            r.headers
                .push(("content-type".into(), b"application/json".to_vec()));
            m.handle(&r)
        } else {
            m.handle(req)
        }
    }
);

// ---------------------------------------------------------------- binding

fault!(
    /// Ids in braces are malformed.
    braced_ids_refused,
    Clause::BindUuidForms,
    |m: &Model, req: &ModelRequest| {
        let braced_query = req.query.as_deref().is_some_and(|q| q.contains("%7B"));
        if braced_query {
            let pairs: Vec<String> = query_pairs(req)
                .into_iter()
                .map(|(k, v)| {
                    if v.contains("%7B") {
                        format!("{k}=x")
                    } else {
                        format!("{k}={v}")
                    }
                })
                .collect();
            return m.handle(&with_query(req, pairs.join("&")));
        }
        let mut body = request_json(req);
        let mut changed = false;
        for member in ["pmsId", "organizationId"] {
            if body[member].as_str().is_some_and(|s| s.starts_with('{')) {
                body[member] = json!("x");
                changed = true;
            }
        }
        if changed {
            m.handle(&with_body(req, &body))
        } else {
            m.handle(req)
        }
    }
);

fault!(
    /// A urn-wrapped uuid is accepted.
    urn_ids_accepted,
    Clause::BindUuidForms,
    |m: &Model, req: &ModelRequest| {
        let mut r = req.clone();
        r.query = req.query.as_ref().map(|q| q.replace("urn%3Auuid%3A", ""));
        let mut body = request_json(req);
        for member in ["pmsId", "organizationId"] {
            if let Some(id) = body[member].as_str().and_then(|s| s.strip_prefix("urn:uuid:")) {
                body[member] = json!(id);
                r.body = body.to_string().into_bytes();
            }
        }
        m.handle(&r)
    }
);

fault!(
    /// A parameter given twice is bound from its last value.
    the_last_of_two_parameters,
    Clause::BindQueryTwice,
    |m: &Model, req: &ModelRequest| {
        let pairs = query_pairs(req);
        if pairs.len() > 1 {
            let (k, v) = pairs.last().cloned().unwrap_or_default();
            m.handle(&with_query(req, format!("{k}={v}")))
        } else {
            m.handle(req)
        }
    }
);

fault!(
    /// The malformed-id message is another one.
    another_malformed_message,
    Clause::BindQueryMalformed,
    |m: &Model, req: &ModelRequest| {
        let r = m.handle(req);
        let errors: Map<String, Value> = errors_of(&r)
            .into_iter()
            .map(|(k, v)| {
                let changed = v.to_string().contains("is not valid");
                (k, if changed { json!(["Invalid id."]) } else { v })
            })
            .collect();
        if r.status == 400 {
            with_errors(r, errors)
        } else {
            r
        }
    }
);

fault!(
    /// A missing query parameter is reported under `$`.
    missing_parameter_under_another_key,
    Clause::BindQueryMissing,
    |m: &Model, req: &ModelRequest| {
        let r = m.handle(req);
        let errors = errors_of(&r);
        let missing = errors
            .values()
            .any(|v| v.to_string().contains("field is required"));
        if r.status == 400 && !is_post(req) && missing {
            with_errors(r, Map::from_iter([("$".to_owned(), json!(["required"]))]))
        } else {
            r
        }
    }
);

fault!(
    /// An empty body is reported under `$`.
    empty_body_under_another_key,
    Clause::BindBodyEmpty,
    |m: &Model, req: &ModelRequest| {
        let r = m.handle(req);
        let mut errors = errors_of(&r);
        match errors.remove("") {
            Some(v) => {
                errors.insert("$".into(), v);
                with_errors(r, errors)
            }
            None => r,
        }
    }
);

fault!(
    /// A body that is not an object gets no errors at all.
    not_an_object_without_errors,
    Clause::BindBodyNotObject,
    |m: &Model, req: &ModelRequest| {
        let r = m.handle(req);
        if errors_of(&r).contains_key("$") {
            with_errors(r, Map::new())
        } else {
            r
        }
    }
);

fault!(
    /// A `null` required member is reported as a wrong type.
    null_member_as_wrong_type,
    Clause::BindMemberRequired,
    |m: &Model, req: &ModelRequest| {
        let body = request_json(req);
        let r = m.handle(req);
        let errors: Map<String, Value> = errors_of(&r)
            .into_iter()
            .map(|(k, v)| {
                if body.get(&k).is_some_and(Value::is_null) {
                    (format!("$.{k}"), v)
                } else {
                    (k, v)
                }
            })
            .collect();
        if r.status == 400 {
            with_errors(r, errors)
        } else {
            r
        }
    }
);

fault!(
    /// A member of the wrong type is reported under its name.
    wrong_type_under_the_name,
    Clause::BindMemberType,
    |m: &Model, req: &ModelRequest| {
        let r = m.handle(req);
        let errors: Map<String, Value> = errors_of(&r)
            .into_iter()
            .map(|(k, v)| (k.strip_prefix("$.").unwrap_or(&k).to_owned(), v))
            .collect();
        if r.status == 400 {
            with_errors(r, errors)
        } else {
            r
        }
    }
);

fault!(
    /// An unknown top-level member is refused.
    unknown_member_refused,
    Clause::BindUnknownMembers,
    |m: &Model, req: &ModelRequest| {
        let body = request_json(req);
        let unknown = body.as_object().and_then(|o| {
            o.keys()
                .find(|k| !["pmsId", "organizationId", "config", "fields"].contains(&k.as_str()))
                .cloned()
        });
        match unknown {
            Some(k) if is_post(req) => ModelResponse {
                status: 400,
                headers: vec![("Content-Type".into(), lupl_model::PROBLEM_JSON.into())],
                body: json!({"title": "bad", "status": 400, "errors": {k: ["unknown member"]}})
                    .to_string()
                    .into_bytes(),
            },
            _ => m.handle(req),
        }
    }
);

fault!(
    /// Only the first binding error is reported.
    the_first_binding_error_only,
    Clause::BindAllAtOnce,
    |m: &Model, req: &ModelRequest| {
        let r = m.handle(req);
        let errors = errors_of(&r);
        let binding = errors
            .keys()
            .all(|k| !k.starts_with("config.") && !k.starts_with("fields."));
        if r.status == 400 && binding && errors.len() > 1 {
            with_errors(r, errors.into_iter().take(1).collect())
        } else {
            r
        }
    }
);

// ------------------------------------------------------- order of checks

fault!(
    /// Binding before authentication: a bad request without a token is a 400.
    binding_before_authentication,
    Clause::Order14,
    |m: &Model, req: &ModelRequest| {
        let r = m.handle(req);
        if r.status == 401 {
            let authed = m.handle(&as_token(req, "tok-acme"));
            if authed.status == 400 {
                return authed;
            }
        }
        r
    }
);

fault!(
    /// Binding before the media type: a non-JSON body that does not bind is a 400.
    binding_before_media_type,
    Clause::Order34,
    {
        let scratch = Model::new(fixture());
        move |m: &Model, req: &ModelRequest| {
            let r = m.handle(req);
            if r.status == 415 {
                let mut json = req.clone();
                json.headers
                    .retain(|(n, _)| !n.eq_ignore_ascii_case("content-type"));
                json.headers
                    .push(("content-type".into(), b"application/json".to_vec()));
                let bound = scratch.handle(&json);
                if bound.status == 400 && !errors_of(&bound).keys().any(|k| k.contains('.') && !k.starts_with("$.")) {
                    return bound;
                }
            }
            r
        }
    }
);

fault!(
    /// Authorization before binding: another tenant's id with a broken member is a 403.
    authorization_before_binding,
    Clause::Order45,
    |m: &Model, req: &ModelRequest| {
        let r = m.handle(req);
        let body = request_json(req);
        let id = if is_provider(req) {
            body["pmsId"].as_str()
        } else {
            body["organizationId"].as_str()
        };
        let own = id.is_some_and(|id| id == ACME_PMS || id == ACME_ORG);
        let acme = token(req).as_deref() == Some("Bearer tok-acme");
        if r.status == 400 && is_post(req) && acme && id.is_some() && !own {
            return with_json(r, 403, &json!({}));
        }
        r
    }
);

fault!(
    /// The rules before authorization: another tenant's broken configuration is a 400.
    rules_before_authorization,
    Clause::Order56,
    {
        let scratch = Model::new(fixture());
        move |m: &Model, req: &ModelRequest| {
            let r = m.handle(req);
            if r.status == 403 && is_post(req) && is_provider(req) {
                let body = request_json(req);
                let owner = match body["pmsId"].as_str() {
                    Some(ACME_PMS) => "tok-acme",
                    _ => "tok-other",
                };
                let judged = scratch.handle(&as_token(req, owner));
                if judged.status == 400 {
                    return judged;
                }
            }
            r
        }
    }
);

// --------------------------------------------------------- authorization

fault!(
    /// Another tenant's organization can be read.
    a_cross_tenant_read,
    Clause::AuthzOrgManager,
    |m: &Model, req: &ModelRequest| {
        let r = m.handle(req);
        let org = !is_provider(req) && !is_post(req);
        if org && r.status == 403 && token(req).as_deref() == Some("Bearer tok-acme") {
            m.handle(&as_token(req, "tok-other"))
        } else {
            r
        }
    }
);

fault!(
    /// Another tenant's provider can be written; the write is answered 403.
    a_cross_tenant_write,
    Clause::AuthzProviderOwner,
    |m: &Model, req: &ModelRequest| {
        let r = m.handle(req);
        if is_post(req) && is_provider(req) && r.status == 403 {
            let owner = match request_json(req)["pmsId"].as_str() {
                Some(ACME_PMS) => "tok-acme",
                _ => "tok-other",
            };
            m.handle(&as_token(req, owner));
        }
        r
    }
);

fault!(
    /// What does not exist is 404.
    nonexistent_is_404,
    Clause::AuthzNonexistent,
    |m: &Model, req: &ModelRequest| {
        let r = m.handle(req);
        let nobody = String::from_utf8_lossy(&req.body).contains("0bad0000")
            || req.query.as_deref().is_some_and(|q| q.contains("0bad0000"));
        if r.status == 403 && nobody {
            with_json(r, 404, &json!({}))
        } else {
            r
        }
    }
);

fault!(
    /// A 403 with a text body.
    a_403_with_text,
    Clause::AuthzBody,
    |m: &Model, req: &ModelRequest| {
        let mut r = m.handle(req);
        if r.status == 403 {
            r.body = b"Forbidden".to_vec();
            r.headers = vec![("Content-Type".into(), "text/plain".into())];
        }
        r
    }
);

// ------------------------------------------------- provider configuration

fault!(
    /// Names are limited to 99 characters.
    a_name_limit_of_99,
    Clause::ProviderName,
    |m: &Model, req: &ModelRequest| {
        let mut body = request_json(req);
        let len = body["config"]["name"]
            .as_str()
            .map(|n| n.trim().chars().count());
        if is_post(req) && is_provider(req) && len == Some(100) {
            body["config"]["name"] = json!("n".repeat(101));
            m.handle(&with_body(req, &body))
        } else {
            m.handle(req)
        }
    }
);

fault!(
    /// Descriptions of 1001 characters are cut to 1000 and accepted.
    a_long_description_accepted,
    Clause::ProviderDescription,
    |m: &Model, req: &ModelRequest| {
        let mut body = request_json(req);
        if let Some(d) = body["config"]["description"].as_str()
            && is_provider(req)
            && d.chars().count() > 1000
        {
            body["config"]["description"] = json!(d.chars().take(1000).collect::<String>());
            return m.handle(&with_body(req, &body));
        }
        m.handle(req)
    }
);

fault!(
    /// A select field's duplicate options are accepted.
    duplicate_options_accepted,
    Clause::ProviderFieldOptions,
    |m: &Model, req: &ModelRequest| {
        let mut body = request_json(req);
        let mut changed = false;
        if let Some(fields) = body["config"]["fields"].as_array_mut() {
            for f in fields {
                if let Some(options) = f["options"].as_array() {
                    let mut unique: Vec<Value> = Vec::new();
                    for o in options {
                        if !unique.contains(o) {
                            unique.push(o.clone());
                        }
                    }
                    changed |= unique.len() != options.len();
                    f["options"] = json!(unique);
                }
            }
        }
        if changed && is_provider(req) {
            let r = m.handle(&with_body(req, &body));
            if r.status == 200 {
                return r;
            }
        }
        m.handle(req)
    }
);

fault!(
    /// Only the first broken rule is reported.
    the_first_broken_rule_only,
    Clause::RulesAllAtOnce,
    |m: &Model, req: &ModelRequest| {
        let r = m.handle(req);
        let errors = errors_of(&r);
        let semantic = errors
            .keys()
            .all(|k| k.starts_with("config.") || k.starts_with("fields."));
        if r.status == 400 && semantic && errors.len() > 1 {
            with_errors(r, errors.into_iter().take(1).collect())
        } else {
            r
        }
    }
);

// --------------------------------------------- organization configuration

fault!(
    /// A select value outside its options is accepted (and not stored).
    a_select_value_outside_its_options,
    Clause::OrgSelect,
    |m: &Model, req: &ModelRequest| {
        let r = m.handle(req);
        if r.status != 400 || is_provider(req) || !is_post(req) {
            return r;
        }
        let provider = provider_of(m, ACME_PMS);
        let declared = declared(&provider);
        let only_selects = errors_of(&r).keys().all(|k| {
            k.strip_prefix("fields.")
                .and_then(|k| declared.get(k))
                .is_some_and(|f| f["type"] == "select")
        });
        if only_selects {
            with_json(r, 200, &json!({}))
        } else {
            r
        }
    }
);

fault!(
    /// Unanchored patterns are matched as if anchored.
    patterns_anchored,
    Clause::OrgString,
    |m: &Model, req: &ModelRequest| {
        let mut body = request_json(req);
        if !is_post(req) || is_provider(req) {
            return m.handle(req);
        }
        let declared = declared(&provider_of(m, ACME_PMS));
        let mut changed = false;
        if let Some(fields) = body["fields"].as_object_mut() {
            for (k, v) in fields.iter_mut() {
                let unanchored = declared
                    .get(k)
                    .and_then(|f| f["pattern"].as_str())
                    .is_some_and(|p| !p.starts_with('^'));
                let whole_match = v.as_str().is_some_and(|s| s.chars().all(|c| c.is_ascii_digit()));
                if unanchored && !whole_match {
                    *v = json!("no digits here");
                    changed = true;
                }
            }
        }
        m.handle(&if changed { with_body(req, &body) } else { req.clone() })
    }
);

fault!(
    /// A required field may be `null`.
    a_required_null_accepted,
    Clause::OrgRequired,
    |m: &Model, req: &ModelRequest| {
        let r = m.handle(req);
        let required_null = errors_of(&r).iter().all(|(k, v)| {
            k.starts_with("fields.") && v.to_string().contains("is required")
        }) && !errors_of(&r).is_empty();
        if r.status == 400 && required_null && String::from_utf8_lossy(&req.body).contains("null") {
            with_json(r, 200, &json!({}))
        } else {
            r
        }
    }
);

fault!(
    /// A `null` optional field is dropped when stored.
    optional_nulls_dropped,
    Clause::OrgOptionalNull,
    |m: &Model, req: &ModelRequest| {
        let mut body = request_json(req);
        if is_post(req) && !is_provider(req)
            && let Some(fields) = body["fields"].as_object_mut()
        {
            let before = fields.len();
            fields.retain(|_, v| !v.is_null());
            if fields.len() != before {
                let r = m.handle(&with_body(req, &body));
                if r.status == 200 {
                    return r;
                }
            }
        }
        m.handle(req)
    }
);

/// Values valid for a provider's required fields (the harness's patterns).
fn required_values(provider: &Value) -> Map<String, Value> {
    declared(provider)
        .into_iter()
        .filter(|(_, f)| f["required"] == json!(true))
        .map(|(k, f)| {
            let value = match (f["type"].as_str(), f["pattern"].as_str()) {
                (Some("number"), _) => json!(3),
                (Some("boolean"), _) => json!(true),
                (Some("select"), _) => f["options"][0].clone(),
                (_, Some("^[A-Z]{3}[0-9]{3}$")) => json!("ACM001"),
                (_, Some("^eu|us$")) => json!("eu"),
                (_, Some(p)) if p.contains("[0-9]") => json!("42"),
                _ => json!("rewritten"),
            };
            (k, value)
        })
        .collect()
}

fault!(
    /// A provider change rewrites ACME's organization to the new fields.
    a_provider_change_rewrites_organizations,
    Clause::OrgProviderChange,
    |m: &Model, req: &ModelRequest| {
        let r = m.handle(req);
        if r.status == 200 && is_post(req) && is_provider(req) {
            let body = request_json(req);
            let pms = body["pmsId"].as_str().unwrap_or_default().to_owned();
            let (org, owner) = if pms == ACME_PMS {
                (ACME_ORG, "tok-acme")
            } else {
                (OTHER_ORG, "tok-other")
            };
            let fields = required_values(&body["config"]);
            let rewrite = ModelRequest {
                method: "POST".into(),
                path: "/api/1.0/pms/organizationconfig".into(),
                query: None,
                headers: vec![
                    ("authorization".into(), format!("Bearer {owner}").into_bytes()),
                    ("content-type".into(), b"application/json".to_vec()),
                ],
                body: json!({"organizationId": org, "pmsId": pms, "fields": fields})
                    .to_string()
                    .into_bytes(),
            };
            m.handle(&rewrite);
        }
        r
    }
);

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
    assert!(
        report.divergences.is_empty(),
        "{:?}",
        report.divergences.counts
    );
}
