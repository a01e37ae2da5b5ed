//! [`plan`]: a step made concrete, with the answer CONTRACT.md predicts.

use crate::cases::step::{IdForm, Media, Query, Route, Shape, Step, Who, Whose};
use crate::clauses::Clause;
use crate::mutations::Carrier;
use crate::oracle::body::{BodyContext, post_body};
use crate::oracle::encoding::{basic, encode, flip_case};
use crate::oracle::expected::{BodyExpectation, Expected, Feature, KeyExpectation};
use crate::oracle::failures::{Failure, fail, fail_key, feature, malformed_clause, status_of};
use crate::oracle::state::{CaseState, Effect, Planned, Planning, Resource};
use crate::order::Stage;
use crate::tenants::{NOBODY, Tenants};
use crate::wire::RawRequest;

/// Makes `step` concrete for `tenants` and predicts its answer.
pub fn plan(step: &Step, tenants: &Tenants, state: &CaseState) -> Planning {
    let me = match step.who {
        Who::Identity(i) | Who::NearMiss(i, _) | Who::Carried(i, _) => {
            i.min(tenants.identities.len() - 1)
        }
        _ => 0,
    };
    let identity = &tenants.identities[me];
    let other = (tenants.identities.len() > 1).then_some(1 - me.min(1));
    let (pms, org, whose) = match step.whose {
        Whose::Own => (identity.pms_id, identity.organization_id, Whose::Own),
        Whose::Foreign => {
            let id = if step.op.is_provider() {
                tenants.foreign_pms(me)
            } else {
                tenants.foreign_organization(me)
            };
            match id {
                Some(id) => (id, id, Whose::Foreign),
                None => (NOBODY, NOBODY, Whose::Nobody),
            }
        }
        Whose::Nobody => (NOBODY, NOBODY, Whose::Nobody),
    };
    // The resource the request names, when it is one of the identities'.
    let named = match whose {
        Whose::Own => Some(me),
        Whose::Foreign => other,
        Whose::Nobody => None,
    };
    let resource = named.map(|i| {
        if step.op.is_provider() {
            Resource::Provider(i)
        } else {
            Resource::Organization(i)
        }
    });

    let mut failures: Vec<Failure> = Vec::new();
    let mut features: Vec<Feature> = Vec::new();
    let (method, path) = step.op.route();
    let mut request = RawRequest {
        method,
        path_and_query: path.clone(),
        authorization: None,
        content_type: None,
        headers: Vec::new(),
        body: Vec::new(),
    };

    // Routing (ASP.NET Core routes before anything else).
    match &step.route {
        Route::Canonical => {}
        Route::PathCase(mask) => {
            request.path_and_query = flip_case(&path, *mask);
            features.push(feature(
                Clause::RouteCaseInsensitive,
                Stage::Routing,
                Vec::new(),
                vec![404, 405],
                1,
            ));
        }
        Route::Method(m) => {
            request.method = m.name().to_owned();
            failures.push(fail(Stage::Routing, Clause::RouteMethod));
        }
        Route::Path(p) => {
            request.path_and_query = p.apply(&path);
            failures.push(fail(Stage::Routing, Clause::RoutePath));
        }
    }

    // Step 1, the token; step 2, its quota.
    request.authorization = match step.who {
        Who::Identity(_) => Some(format!("Bearer {}", identity.token)),
        Who::NoToken => None,
        Who::UnknownToken => Some("Bearer not-a-token-the-server-knows".to_owned()),
        Who::OtherScheme => Some(basic(&identity.token)),
        Who::NearMiss(_, mutation) => {
            // Nearly the token, so it nearly gives it away: masked as it is.
            let mut near = mutation.apply(&identity.token);
            // Never another identity's token: that one the server knows.
            while tenants.identities.iter().any(|i| i.token == near) {
                near.push('0');
            }
            lupl_safety::secrets::register(&near);
            Some(format!("Bearer {near}"))
        }
        Who::Carried(..) => None,
    };
    let throttled = state.throttled.get(me).copied().unwrap_or(false);
    match step.who {
        Who::Identity(_) if throttled => {
            failures.push(fail(Stage::Throttling, Clause::ThrottleWindow));
        }
        Who::Identity(_) => {}
        // The throttled token under another scheme: step 1 still answers.
        Who::OtherScheme if throttled => {
            failures.push(fail(Stage::Authentication, Clause::AuthRejected));
            failures.push(fail(Stage::Throttling, Clause::ThrottleWindow));
        }
        _ => failures.push(fail(Stage::Authentication, Clause::AuthRejected)),
    }

    // Steps 3 and 4 (and 6, for bodies).
    let mut stored = None;
    let authorization_failure = match whose {
        Whose::Own => None,
        Whose::Foreign if step.op.is_provider() => Some(Clause::AuthzProviderOwner),
        Whose::Foreign => Some(Clause::AuthzOrgManager),
        Whose::Nobody => Some(Clause::AuthzNonexistent),
    };
    match &step.shape {
        Shape::Get(query) => {
            let name = step.op.query_parameter();
            let id = if step.op.is_provider() { pms } else { org };
            let q = match query {
                Query::Id { form, name_case } => {
                    if *form != IdForm::Lower {
                        features.push(feature(
                            Clause::BindUuidForms,
                            Stage::Binding,
                            vec![name.clone()],
                            vec![403],
                            0,
                        ));
                    }
                    if *name_case != 0 {
                        features.push(feature(
                            Clause::RouteCaseInsensitive,
                            Stage::Binding,
                            vec![name.clone()],
                            Vec::new(),
                            1,
                        ));
                    }
                    Some(format!(
                        "{}={}",
                        flip_case(&name, *name_case),
                        encode(&form.render(&id))
                    ))
                }
                Query::Missing => {
                    failures.push(fail_key(
                        Stage::Binding,
                        Clause::BindQueryMissing,
                        &name,
                        Some(format!("The {name} field is required.")),
                    ));
                    None
                }
                Query::Empty => {
                    failures.push(fail_key(
                        Stage::Binding,
                        Clause::BindQueryMissing,
                        &name,
                        Some(format!("The {name} field is required.")),
                    ));
                    Some(format!("{name}="))
                }
                Query::Malformed(raw) => {
                    failures.push(fail_key(
                        Stage::Binding,
                        malformed_clause(raw, Clause::BindQueryMalformed),
                        &name,
                        Some(format!("The value '{raw}' is not valid.")),
                    ));
                    Some(format!("{name}={}", encode(raw)))
                }
                Query::Twice { id_first, other } => {
                    let id = format!("{name}={}", encode(&id.to_string()));
                    let other_param = format!("{name}={}", encode(other));
                    if *id_first {
                        features.push(feature(
                            Clause::BindQueryTwice,
                            Stage::Binding,
                            vec![name.clone()],
                            Vec::new(),
                            1,
                        ));
                        Some(format!("{id}&{other_param}"))
                    } else {
                        failures.push(fail_key(
                            Stage::Binding,
                            Clause::BindQueryTwice,
                            &name,
                            Some(format!("The value '{other}' is not valid.")),
                        ));
                        Some(format!("{other_param}&{id}"))
                    }
                }
            };
            if let Some(q) = q {
                request.path_and_query = format!("{}?{q}", request.path_and_query);
            }
            // The id is bound only when the query binds.
            if !failures.iter().any(|f| f.stage == Stage::Binding)
                && let Some(c) = authorization_failure
            {
                failures.push(fail(Stage::Authorization, c));
            }
        }
        Shape::Post(media, body) => {
            match media {
                Media::Json(ct) => {
                    request.content_type = Some(ct.clone());
                    if ct != "application/json" {
                        features.push(feature(
                            Clause::MediaNotJson,
                            Stage::MediaType,
                            Vec::new(),
                            vec![415],
                            1,
                        ));
                    }
                }
                Media::NotJson(ct) => {
                    request.content_type = Some(ct.clone());
                    failures.push(fail(Stage::MediaType, Clause::MediaNotJson));
                }
                Media::Missing => failures.push(fail(Stage::MediaType, Clause::MediaNotJson)),
            }
            // Whether the answer comes before the rules are judged: then the
            // body's content need not be predictable.
            let decided_early = !failures.is_empty() || authorization_failure.is_some();
            let context = BodyContext {
                state,
                tenants,
                me,
                pms,
                org,
                decided_early,
            };
            let body = match post_body(step, body, &context) {
                Ok(b) => b,
                Err(planning) => return planning,
            };
            request.body = body.bytes;
            failures.extend(body.failures);
            features.extend(body.features);
            stored = body.stored;
            // Authorization needs the resource's id bound; other members'
            // binding errors answer first, but the request fails both.
            if body.id_bound
                && let Some(c) = authorization_failure
            {
                failures.push(fail(Stage::Authorization, c));
            }
        }
    }

    // A token in another carrier: the contract reads only
    // `Authorization`, so the request has none (step 1 answers).
    if let Who::Carried(_, carrier) = step.who {
        match carrier {
            Carrier::Query => {
                let joiner = if request.path_and_query.contains('?') {
                    '&'
                } else {
                    '?'
                };
                request.path_and_query = format!(
                    "{}{joiner}{}={}",
                    request.path_and_query,
                    carrier.name(),
                    encode(&identity.token)
                );
            }
            Carrier::Cookie => request.headers.push((
                "Cookie".into(),
                format!("{}={}", carrier.name(), identity.token),
            )),
            Carrier::Header => request
                .headers
                .push((carrier.name().into(), identity.token.clone())),
        }
    }

    // CONTRACT.md, "Order of checks": the first failing stage answers.
    failures.sort_by_key(|f| f.stage);
    let answering = failures.first().map(|f| f.stage);
    let expected = match failures.first() {
        None => {
            let status_clause = if step.op.is_post() {
                Clause::StoreAccept
            } else if step.op.is_provider() {
                Clause::AuthzProviderOwner
            } else {
                Clause::AuthzOrgManager
            };
            // The owner being refused is the authorization clause's fault.
            features.push(feature(
                if step.op.is_provider() {
                    Clause::AuthzProviderOwner
                } else {
                    Clause::AuthzOrgManager
                },
                Stage::Authorization,
                Vec::new(),
                vec![403],
                2,
            ));
            let body = (!step.op.is_post()).then(|| {
                let r = resource
                    .map(|r| state.resource(r).clone())
                    .unwrap_or_default();
                BodyExpectation {
                    value: r.known,
                    notes: r.notes,
                    refused: r.refused,
                }
            });
            Expected {
                status: 200,
                status_clause,
                because: "7: valid and authorized".into(),
                errors: Vec::new(),
                all_at_once: None,
                features: Vec::new(),
                body,
                routed: true,
            }
        }
        Some(first) => {
            let stage = first.stage;
            let next = failures.iter().find(|f| f.stage > stage).map(|f| f.stage);
            let status_clause = next
                .and_then(|n| Clause::order(stage, n))
                .unwrap_or(first.clause);
            let errors: Vec<(String, KeyExpectation)> = failures
                .iter()
                .filter(|f| f.stage == stage)
                .filter_map(|f| f.key.clone())
                .collect();
            let all_at_once = (errors.len() > 1).then_some(if stage == Stage::Binding {
                Clause::BindAllAtOnce
            } else {
                Clause::RulesAllAtOnce
            });
            Expected {
                status: status_of(stage, first.clause),
                status_clause,
                because: format!(
                    "{}: {}",
                    stage.number(),
                    match next {
                        Some(n) => format!(
                            "{} (also fails step {}, which comes later)",
                            first.clause,
                            n.number()
                        ),
                        None => first.clause.to_string(),
                    }
                ),
                errors,
                all_at_once,
                features: Vec::new(),
                body: None,
                routed: stage != Stage::Routing,
            }
        }
    };
    let mut expected = expected;
    expected.features = features
        .into_iter()
        .filter(|f| answering.is_none_or(|a| f.stage <= a))
        .collect();

    let effect = if expected.status == 200 {
        match (step.op.is_post(), resource, stored) {
            (true, Some(r), Some((value, notes))) => Some(Effect::Store(r, value, notes)),
            (false, Some(r), _) => Some(Effect::Read(r)),
            _ => None,
        }
    } else {
        // A refused write must leave the resource as it was. Watched only
        // when the body is a configuration and the case knows what the
        // resource held (so a read showing it means it was stored).
        let binds = !failures.iter().any(|f| f.stage == Stage::Binding);
        let known = resource.is_some_and(|r| state.resource(r).known.is_some());
        match (step.op.is_post() && binds && known, resource, stored) {
            (true, Some(r), Some((value, _))) => Some(Effect::Refused(
                r,
                value,
                if whose == Whose::Foreign {
                    expected.status_clause
                } else {
                    Clause::StoreRefusedNoEffect
                },
            )),
            _ => None,
        }
    };
    Planning::Ready(Box::new(Planned {
        request,
        expected,
        effect,
        resource,
    }))
}
