//! `lupl provider validate` and `lupl org validate` judge a file offline.
//! Whatever the document, they must agree with the model's answer to the
//! request the file becomes: accepted exactly when the model answers 200,
//! and refused under exactly the model's error keys.
//!
//! Documents come from the conformance generators (valid by construction,
//! then taken to one boundary of a CONTRACT.md rule) and from arbitrary
//! JSON spliced in.

use conformance::cases::organization::{OrgCase, valid_fields};
use conformance::cases::provider::{ProviderCase, valid_config};
use lupl_cli::documents::{OrganizationDocument, ProviderDocument};
use lupl_model::{Fixture, Model, ModelRequest};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::collections::BTreeSet;

const PMS: &str = "4efafdc0-2783-4af6-9cac-d2b2be27a080";
const ORG: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|n| json!(n)),
        "[a-z/:{}. ]{0,12}".prop_map(Value::String),
        Just(json!("https://x.example/{region}")),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Replaces the member at a random path of `doc` (or the whole) with `with`.
fn splice(doc: &mut Value, pick: usize, with: Value) {
    if !pick.is_multiple_of(3) {
        let child = match doc {
            Value::Object(o) if !o.is_empty() => {
                let n = o.len();
                o.values_mut().nth(pick % n)
            }
            Value::Array(a) if !a.is_empty() => {
                let n = a.len();
                a.get_mut(pick % n)
            }
            _ => None,
        };
        if let Some(child) = child {
            return splice(child, pick / 3, with);
        }
    }
    *doc = with;
}

/// A provider document: a generated configuration, perhaps broken by one
/// rule, perhaps with arbitrary JSON spliced in, perhaps as a whole body.
fn provider_document() -> impl Strategy<Value = Value> {
    (
        valid_config(),
        prop::option::of(prop::sample::select(ProviderCase::ALL.to_vec())),
        prop::option::of((any::<usize>(), any_json())),
        0..4u8,
    )
        .prop_map(|(mut config, violation, spliced, shape)| {
            if let Some(case) = violation {
                case.apply(&mut config);
            }
            if let Some((pick, with)) = spliced {
                splice(&mut config, pick, with);
            }
            match shape {
                0 => json!({"pmsId": PMS, "config": config}),
                1 => json!({"pmsId": "asdf", "config": config, "extra": 1}),
                _ => config,
            }
        })
}

fn post(path: &str, body: &Value) -> ModelRequest {
    ModelRequest {
        method: "POST".into(),
        path: path.into(),
        query: None,
        headers: vec![
            ("Authorization".into(), b"Bearer tok-acme".to_vec()),
            ("Content-Type".into(), b"application/json".to_vec()),
        ],
        body: body.to_string().into_bytes(),
    }
}

/// The model's verdict: `None` for 200, the error keys for a 400.
fn verdict(model: &Model, path: &str, body: &Value) -> Option<BTreeSet<String>> {
    let response = model.handle(&post(path, body));
    match response.status {
        200 => None,
        400 => {
            let problem: Value = serde_json::from_slice(&response.body).expect("problem JSON");
            Some(
                problem["errors"]
                    .as_object()
                    .expect("errors")
                    .keys()
                    .cloned()
                    .collect(),
            )
        }
        other => panic!("the model answered {other} to {body}"),
    }
}

fn keys(errors: &lupl_model::rules::Errors) -> Option<BTreeSet<String>> {
    (!errors.is_empty()).then(|| errors.keys().cloned().collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn provider_validate_agrees_with_the_model(doc in provider_document()) {
        let offline = ProviderDocument::new(doc.clone());
        // The file becomes this request: a bare configuration goes under
        // the --pms-id the user names.
        let sent = if offline.whole_body { doc } else { json!({"pmsId": PMS, "config": doc}) };
        let model = Model::new(Fixture::builtin());
        prop_assert_eq!(
            keys(&offline.problems()),
            verdict(&model, "/api/1.0/pms/providerconfig", &sent)
        );
    }

    #[test]
    fn org_validate_agrees_with_the_model(
        provider in valid_config(),
        seed in any::<u64>(),
        case in prop::option::of(prop::sample::select(
            OrgCase::ALL.iter().copied().filter(|c| *c != OrgCase::UnknownProvider).collect::<Vec<_>>(),
        )),
        spliced in prop::option::of((any::<usize>(), any_json())),
        whole_body in any::<bool>(),
    ) {
        let Some(mut fields) = valid_fields(&provider, seed) else {
            return Ok(());
        };
        if let Some(case) = case {
            case.apply(&provider, &mut fields, &mut Vec::new());
        }
        let mut fields = Value::Object(fields);
        if let Some((pick, with)) = spliced {
            splice(&mut fields, pick, with);
        }
        let body = json!({"organizationId": ORG, "pmsId": PMS, "fields": fields});
        let offline = OrganizationDocument::new(if whole_body { body.clone() } else { fields });
        let mut fixture = Fixture::builtin();
        fixture.providers[0].config = provider.clone().into();
        let model = Model::new(fixture);
        prop_assert_eq!(
            keys(&offline.problems(&provider)),
            verdict(&model, "/api/1.0/pms/organizationconfig", &body)
        );
    }
}
