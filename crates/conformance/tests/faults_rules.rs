//! Fault injection (see `faults.rs`): authorization and the provider and
//! organization configuration rules.

mod common;
#[macro_use]
mod fault_doubles;

use common::*;
use conformance::Clause;
use fault_doubles::*;
use lupl_model::{Model, ModelRequest};
use serde_json::{Map, Value, json};
use std::sync::Arc;

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
