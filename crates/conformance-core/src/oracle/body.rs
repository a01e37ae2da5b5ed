//! A POST body made from a step, and what binding (step 4) and the rules
//! (step 6) predict of it.

use crate::cases::organization::{self, Applied as OrgApplied, OrgCase};
use crate::cases::step::{Body, Content, Edit, IdForm, Step};
use crate::clauses::{Clause, Polarity};
use crate::oracle::encoding::is_uuid_by_contract;
use crate::oracle::expected::Feature;
use crate::oracle::failures::{Failure, fail_key, fail_keys, feature, malformed_clause, required};
use crate::oracle::state::{CaseState, Planning, Resource};
use crate::order::Stage;
use crate::tenants::{NOBODY, Tenants};
use serde_json::{Map, Value, json};
use uuid::Uuid;

/// What a step's POST body is, and what it predicts.
pub(crate) struct BodyPlan {
    pub(crate) bytes: Vec<u8>,
    pub(crate) failures: Vec<Failure>,
    pub(crate) features: Vec<Feature>,
    /// What a 200 stores, with notes.
    pub(crate) stored: Option<(Value, Vec<(String, Clause)>)>,
    /// Whether the member naming the resource binds.
    pub(crate) id_bound: bool,
}

/// What [`post_body`] builds a body from, beyond the step and its body.
pub(crate) struct BodyContext<'a> {
    /// What the case knows.
    pub(crate) state: &'a CaseState,
    /// Who acts.
    pub(crate) tenants: &'a Tenants,
    /// The sender's identity.
    pub(crate) me: usize,
    /// The provider the request names.
    pub(crate) pms: Uuid,
    /// The organization the request names.
    pub(crate) org: Uuid,
    /// Whether the answer comes before the rules are judged (then the
    /// body's content need not be predictable).
    pub(crate) decided_early: bool,
}

/// Builds a POST body and what it predicts (binding and rules).
pub(crate) fn post_body(
    step: &Step,
    body: &Body,
    context: &BodyContext<'_>,
) -> Result<BodyPlan, Planning> {
    let BodyContext {
        state,
        tenants,
        me,
        pms,
        org,
        decided_early,
    } = *context;
    let mut plan = BodyPlan {
        bytes: Vec::new(),
        failures: Vec::new(),
        features: Vec::new(),
        stored: None,
        id_bound: false,
    };
    let (ids, edits, content) = match body {
        Body::Empty => {
            plan.failures.push(fail_key(
                Stage::Binding,
                Clause::BindBodyEmpty,
                "",
                Some("A non-empty request body is required.".into()),
            ));
            return Ok(plan);
        }
        Body::Text(_) | Body::Scalar(_) => {
            plan.bytes = match body {
                Body::Text(text) => text.clone().into_bytes(),
                Body::Scalar(value) => value.to_string().into_bytes(),
                _ => Vec::new(),
            };
            plan.failures.push(fail_key(
                Stage::Binding,
                Clause::BindBodyNotObject,
                "$",
                None,
            ));
            return Ok(plan);
        }
        Body::Object {
            ids,
            edits,
            content,
        } => (*ids, edits, content),
    };
    let form = |id: &Uuid| ids.render(id);
    let edited: Vec<&str> = edits
        .iter()
        .filter_map(|e| match e {
            Edit::Remove(m) | Edit::Null(m) | Edit::Set(m, _) => Some(m.as_str()),
            Edit::Extra(..) => None,
        })
        .collect();
    let binding_broken = !edited.is_empty();
    let mut object = Map::new();
    let mut rules: Vec<Failure> = Vec::new();
    let mut id_members: Vec<&str> = Vec::new();
    match content {
        Content::Provider { config, cases } => {
            let mut config = config.clone();
            let mut notes = Vec::new();
            for case in cases {
                let applied = case.apply(&mut config);
                match case.polarity() {
                    Polarity::Negative => {
                        if let Some(key) = applied.keys.first() {
                            rules.push(fail_keys(
                                Stage::Rules,
                                case.clause(),
                                key,
                                applied.or.clone(),
                                Vec::new(),
                            ));
                        }
                    }
                    Polarity::Positive => {
                        plan.features.push(feature(
                            case.clause(),
                            Stage::Rules,
                            applied.keys.clone(),
                            Vec::new(),
                            1,
                        ));
                        notes.extend(applied.pointers.into_iter().map(|p| (p, case.clause())));
                    }
                }
            }
            object.insert("pmsId".into(), json!(form(&pms)));
            object.insert("config".into(), config.clone());
            id_members.push("pmsId");
            plan.stored = Some((config, notes));
        }
        Content::Organization { seed, cases } => {
            // Which provider the organization names: its own identity's,
            // another tenant's configured one, or one that is missing.
            let other = (tenants.identities.len() > 1).then_some(1 - me.min(1));
            let owner = if cases.contains(&OrgCase::OtherProvider) {
                other.unwrap_or(me)
            } else {
                me
            };
            let own_pms = tenants.identities[owner].pms_id;
            let unknown_provider = cases.iter().any(|c| c.exclusive());
            let pms_for_org = if cases.contains(&OrgCase::UnknownProvider) {
                NOBODY
            } else if cases.contains(&OrgCase::UnconfiguredProvider) {
                tenants.unconfigured_pms.unwrap_or(NOBODY)
            } else {
                own_pms
            };
            // The fields are judged against the provider when the answer
            // depends on them, or when a broken rule must show in the order
            // of checks; then the case must know the provider.
            let breaks = cases.iter().any(|c| c.polarity() == Polarity::Negative);
            let judged = !binding_broken && !unknown_provider && (!decided_early || breaks);
            let provider = &state.providers[owner];
            let provider = match (&provider.known, judged) {
                (Some(p), _) => Some(p.clone()),
                (None, true) => return Err(Planning::Needs(Resource::Provider(owner))),
                (None, false) => None,
            };
            let mut fields = Map::new();
            let mut notes = Vec::new();
            // CONTRACT.md's `<id>`: the id as parsed, or as sent.
            let missing_provider = |id: Uuid| {
                let said = |id: &str| {
                    format!("The PMS provider '{id}' does not exist or has no configuration.")
                };
                fail_keys(
                    Stage::Rules,
                    Clause::OrgProviderExists,
                    "pmsId",
                    Vec::new(),
                    vec![said(&id.to_string()), said(&form(&id))],
                )
            };
            if unknown_provider {
                rules.push(missing_provider(pms_for_org));
            } else if judged || provider.is_some() {
                match provider.as_ref().filter(|p| !p.is_null()) {
                    None => rules.push(missing_provider(own_pms)),
                    Some(provider) => {
                        // A configured provider: the pmsId rule holds.
                        plan.features.push(feature(
                            Clause::OrgProviderExists,
                            Stage::Rules,
                            vec!["pmsId".into()],
                            Vec::new(),
                            1,
                        ));
                        match organization::valid_fields(provider, *seed) {
                            Some(f) => fields = f,
                            None if judged => {
                                return Err(Planning::Skip(
                                    "no value can be generated for a pattern of the provider's configuration".into(),
                                ));
                            }
                            None => {}
                        }
                        let mut taken = Vec::new();
                        for case in cases {
                            let Some(OrgApplied { key, message }) =
                                case.apply(provider, &mut fields, &mut taken)
                            else {
                                continue;
                            };
                            match case.polarity() {
                                Polarity::Negative => {
                                    rules.push(fail_key(Stage::Rules, case.clause(), key, message))
                                }
                                Polarity::Positive => {
                                    if *case == OrgCase::OptionalNull {
                                        let pointer = key.replacen("fields.", "/fields/", 1);
                                        notes.push((pointer, case.clause()));
                                    }
                                    plan.features.push(feature(
                                        case.clause(),
                                        Stage::Rules,
                                        vec![key],
                                        Vec::new(),
                                        1,
                                    ));
                                }
                            }
                        }
                    }
                }
            }
            object.insert("organizationId".into(), json!(form(&org)));
            object.insert("pmsId".into(), json!(form(&pms_for_org)));
            object.insert("fields".into(), Value::Object(fields.clone()));
            id_members.extend(["organizationId", "pmsId"]);
            plan.stored = Some((
                json!({"organizationId": org, "pmsId": pms_for_org, "fields": fields}),
                notes,
            ));
        }
    }
    if ids != IdForm::Lower {
        for m in &id_members {
            if !edited.contains(m) {
                plan.features.push(feature(
                    Clause::BindUuidForms,
                    Stage::Binding,
                    vec![(*m).to_owned(), format!("$.{m}")],
                    vec![403],
                    0,
                ));
            }
        }
    }
    for e in edits {
        match e {
            Edit::Remove(m) => {
                object.remove(m);
                plan.failures.push(required(m));
            }
            Edit::Null(m) => {
                object.insert(m.clone(), Value::Null);
                plan.failures.push(required(m));
            }
            Edit::Set(m, v) => {
                object.insert(m.clone(), v.clone());
                let fits = if step.op.member_is_uuid(m) {
                    v.as_str().is_some_and(is_uuid_by_contract)
                } else {
                    v.is_object()
                };
                if !fits {
                    plan.failures.push(fail_key(
                        Stage::Binding,
                        v.as_str().map_or(Clause::BindMemberType, |raw| {
                            malformed_clause(raw, Clause::BindMemberType)
                        }),
                        format!("$.{m}"),
                        None,
                    ));
                }
            }
            Edit::Extra(m, v) => {
                object.insert(m.clone(), v.clone());
                plan.features.push(feature(
                    Clause::BindUnknownMembers,
                    Stage::Binding,
                    vec![m.clone(), format!("$.{m}")],
                    Vec::new(),
                    1,
                ));
                if let Some((_, notes)) = &mut plan.stored
                    && !step.op.is_provider()
                {
                    notes.push((format!("/{m}"), Clause::StoreUnknownTopLevelDropped));
                }
            }
        }
    }
    let resource_member = if step.op.is_provider() {
        "pmsId"
    } else {
        "organizationId"
    };
    plan.id_bound = !edited.contains(&resource_member);
    // Step 6 judges the content only when binding passed.
    if !plan.failures.iter().any(|f| f.stage == Stage::Binding) {
        plan.failures.extend(rules);
    }
    plan.bytes = Value::Object(object).to_string().into_bytes();
    Ok(plan)
}
