//! Fault injection (see `faults.rs`): routing, authentication, media
//! type, binding and the order of checks.

mod common;
#[macro_use]
mod fault_doubles;

use common::*;
use conformance::Clause;
use fault_doubles::*;
use lupl_model::{Model, ModelRequest, ModelResponse};
use serde_json::{Map, Value, json};
use std::sync::Arc;

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
