//! Each generator's proptest strategy ([`Gen::cases`]) and the mixed
//! cases that combine them ([`mixed`]).

use crate::cases::generator::Gen;
use crate::cases::organization::{self, OrgCase};
use crate::cases::parts::*;
use crate::cases::provider::{self, ProviderCase};
use crate::cases::step::*;
use crate::clauses::Polarity;
use crate::mutations::{Carrier, TokenMutation};
use crate::operation::Op;
use crate::order::Stage;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Value, json};

impl Gen {
    /// Cases for `op` on a target with `identities` identities.
    pub fn cases(self, op: Op, identities: usize) -> BoxedStrategy<Vec<Step>> {
        let who = identity(identities);
        match self {
            Gen::Valid => (who, valid_content(op))
                .prop_map(move |(i, content)| {
                    if op.is_post() {
                        vec![Step::write(op, i, content), Step::read(op, i)]
                    } else {
                        vec![Step::read(op, i)]
                    }
                })
                .boxed(),
            Gen::PathCase => (who, 1..u64::MAX, valid_content(op))
                .prop_map(move |(i, mask, content)| {
                    let mut step = plain(op, i, content);
                    step.route = Route::PathCase(mask);
                    vec![step]
                })
                .boxed(),
            Gen::QueryNameCase => (who, 1..u64::MAX)
                .prop_map(move |(i, mask)| {
                    let mut step = Step::read(op, i);
                    step.shape = Shape::Get(Query::Id {
                        form: IdForm::Lower,
                        name_case: mask,
                    });
                    vec![step]
                })
                .boxed(),
            Gen::OtherMethod => each(op, identities, OtherMethod::ALL.to_vec(), |m, mut step| {
                step.route = Route::Method(m);
                vec![step]
            }),
            Gen::OtherPath => each(
                op,
                identities,
                vec![
                    OtherPath::Plural,
                    OtherPath::Version,
                    OtherPath::Deeper,
                    OtherPath::Parent,
                ],
                |p, mut step| {
                    step.route = Route::Path(p);
                    vec![step]
                },
            ),
            Gen::NoToken | Gen::OtherScheme | Gen::UnknownToken => {
                let sender = match self {
                    Gen::NoToken => Who::NoToken,
                    Gen::OtherScheme => Who::OtherScheme,
                    _ => Who::UnknownToken,
                };
                (who, valid_content(op))
                    .prop_map(move |(i, content)| {
                        let mut step = plain(op, i, content);
                        step.who = sender;
                        vec![step]
                    })
                    .boxed()
            }
            Gen::TokenNearMiss => each(
                op,
                identities,
                TokenMutation::ALL.to_vec(),
                |mutation, mut step| {
                    step.who = Who::NearMiss(identity_of(&step), mutation);
                    vec![step]
                },
            ),
            Gen::TokenCarrier => each(
                op,
                identities,
                Carrier::ALL.to_vec(),
                |carrier, mut step| {
                    step.who = Who::Carried(identity_of(&step), carrier);
                    vec![step]
                },
            ),
            Gen::JsonMediaType => each(op, identities, JSON_MEDIA.to_vec(), move |m, mut step| {
                set_media(&mut step, Media::Json(m.to_owned()));
                let read = Step::read(op, identity_of(&step));
                vec![step, read]
            }),
            Gen::NotJsonMediaType => {
                each(op, identities, NOT_JSON_MEDIA.to_vec(), |m, mut step| {
                    set_media(&mut step, Media::NotJson(m.to_owned()));
                    vec![step]
                })
            }
            Gen::NoMediaType => each(op, identities, vec![()], |(), mut step| {
                set_media(&mut step, Media::Missing);
                vec![step]
            }),
            Gen::MissingParameter | Gen::EmptyParameter => {
                let query = if self == Gen::MissingParameter {
                    Query::Missing
                } else {
                    Query::Empty
                };
                who.prop_map(move |i| {
                    let mut step = Step::read(op, i);
                    step.shape = Shape::Get(query.clone());
                    vec![step]
                })
                .boxed()
            }
            Gen::MalformedParameter => (who, malformed_id())
                .prop_map(move |(i, raw)| {
                    let mut step = Step::read(op, i);
                    step.shape = Shape::Get(Query::Malformed(raw));
                    vec![step]
                })
                .boxed(),
            // The id first (bound), then the other way round (malformed).
            Gen::ParameterTwice => (who, malformed_id())
                .prop_map(move |(i, other)| {
                    [true, false]
                        .into_iter()
                        .map(|id_first| {
                            let mut step = Step::read(op, i);
                            step.shape = Shape::Get(Query::Twice {
                                id_first,
                                other: other.clone(),
                            });
                            step
                        })
                        .collect()
                })
                .boxed(),
            Gen::IdForm => each(
                op,
                identities,
                IdForm::OTHERS.to_vec(),
                move |form, mut step| {
                    let i = identity_of(&step);
                    match &mut step.shape {
                        Shape::Get(q) => {
                            *q = Query::Id { form, name_case: 0 };
                            vec![step]
                        }
                        Shape::Post(_, Body::Object { ids, .. }) => {
                            *ids = form;
                            vec![step, Step::read(op, i)]
                        }
                        Shape::Post(..) => vec![step],
                    }
                },
            ),
            Gen::NearMissId => {
                let members: Vec<String> = op
                    .required_members()
                    .into_iter()
                    .filter(|m| op.member_is_uuid(m))
                    .collect();
                let variants: Vec<(String, String)> = NEAR_MISS_IDS
                    .iter()
                    .enumerate()
                    .map(|(k, f)| (members[k % members.len().max(1)].clone(), f(ID)))
                    .collect();
                each(op, identities, variants, |(member, raw), mut step| {
                    match &mut step.shape {
                        Shape::Get(q) => *q = Query::Malformed(raw),
                        Shape::Post(..) => edit(&mut step, Edit::Set(member, json!(raw))),
                    }
                    vec![step]
                })
            }
            Gen::MalformedBodyId => (who, uuid_member(op), malformed_id(), valid_content(op))
                .prop_map(move |(i, member, raw, content)| {
                    let mut step = Step::write(op, i, content);
                    edit(&mut step, Edit::Set(member, json!(raw)));
                    vec![step]
                })
                .boxed(),
            Gen::EmptyBody | Gen::NotJson | Gen::NotObject => {
                each(op, identities, raw_bodies(self), |body, mut step| {
                    step.shape = Shape::Post(Media::Json("application/json".into()), body);
                    vec![step]
                })
            }
            Gen::MissingMember | Gen::NullMember | Gen::WrongTypeMember => {
                let made = self;
                (
                    who,
                    select(op.required_members()),
                    wrong_value(),
                    valid_content(op),
                )
                    .prop_map(move |(i, member, wrong, content)| {
                        let mut step = Step::write(op, i, content);
                        let change = match made {
                            Gen::MissingMember => Edit::Remove(member),
                            Gen::NullMember => Edit::Null(member),
                            _ => Edit::Set(member, wrong),
                        };
                        edit(&mut step, change);
                        vec![step]
                    })
                    .boxed()
            }
            Gen::UnknownMember => (who, "[a-z]{3,10}", any::<u8>(), valid_content(op))
                .prop_map(move |(i, name, v, content)| {
                    let mut step = Step::write(op, i, content);
                    edit(
                        &mut step,
                        Edit::Extra(format!("x{name}"), json!({"ignored": v})),
                    );
                    vec![step, Step::read(op, i)]
                })
                .boxed(),
            Gen::SeveralBindingErrors => (who, several_edits(op), valid_content(op))
                .prop_map(move |(i, edits, content)| {
                    let mut step = Step::write(op, i, content);
                    for e in edits {
                        edit(&mut step, e);
                    }
                    vec![step]
                })
                .boxed(),
            // Every identity tries another tenant's resource (or nobody's).
            Gen::Foreign | Gen::Nobody => {
                let whose = if self == Gen::Foreign {
                    Whose::Foreign
                } else {
                    Whose::Nobody
                };
                each(
                    op,
                    identities,
                    (0..identities).collect(),
                    move |i, mut step| {
                        step.who = Who::Identity(i);
                        step.whose = whose;
                        vec![step]
                    },
                )
            }
            // The owner reads before and after: the refused write left
            // nothing (needs a second identity; with one, the write alone).
            Gen::ForeignWrite => (valid_content(op), any::<bool>())
                .prop_map(move |(content, first)| {
                    let (me, owner) = if identities > 1 && first {
                        (1, 0)
                    } else {
                        (0, 1)
                    };
                    let mut write = Step::write(op, me, content);
                    write.whose = Whose::Foreign;
                    if identities > 1 {
                        vec![Step::read(op, owner), write, Step::read(op, owner)]
                    } else {
                        vec![write]
                    }
                })
                .boxed(),
            // An organization's broken fields need a provider whose fields
            // every rule applies to: the case configures it first.
            Gen::Order(a, b) => (
                who,
                failing(op, a),
                failing(op, b),
                valid_content(op),
                organization::ready_provider(),
            )
                .prop_map(move |(i, fa, fb, content, provider)| {
                    let mut step = plain(op, i, content);
                    fa.apply(&mut step);
                    fb.apply(&mut step);
                    if op == Op::SetOrganization && b == Stage::Rules {
                        let setup = Content::Provider {
                            config: provider,
                            cases: Vec::new(),
                        };
                        vec![Step::write(Op::SetProvider, i, setup), step]
                    } else {
                        vec![step]
                    }
                })
                .boxed(),
            Gen::Provider(case) => (who, provider::valid_config(), any::<bool>())
                .prop_map(move |(i, config, read_first)| {
                    let mut steps = Vec::new();
                    if read_first && case.polarity() == Polarity::Negative {
                        steps.push(Step::read(Op::GetProvider, i));
                    }
                    steps.push(Step::write(
                        Op::SetProvider,
                        i,
                        Content::Provider {
                            config,
                            cases: vec![case],
                        },
                    ));
                    steps.push(Step::read(Op::GetProvider, i));
                    steps
                })
                .boxed(),
            Gen::SeveralProviderRules => {
                (who, provider::valid_config(), provider::several_broken())
                    .prop_map(|(i, config, cases)| {
                        vec![Step::write(
                            Op::SetProvider,
                            i,
                            Content::Provider { config, cases },
                        )]
                    })
                    .boxed()
            }
            Gen::Organization(case) => (who, organization::ready_provider(), any::<u64>())
                .prop_map(move |(i, provider, seed)| {
                    let mut steps = organization_case(i, provider, seed, vec![case]);
                    // Another tenant's provider: that tenant configures it.
                    if case == OrgCase::OtherProvider && identities > 1 {
                        steps[0].who = Who::Identity(1 - i);
                    }
                    steps.push(Step::read(Op::GetOrganization, i));
                    steps
                })
                .boxed(),
            Gen::SeveralOrganizationRules => (
                who,
                organization::ready_provider(),
                any::<u64>(),
                organization::several_broken(),
            )
                .prop_map(|(i, provider, seed, cases)| organization_case(i, provider, seed, cases))
                .boxed(),
            // Refused at every stage in turn, between two reads.
            Gen::RefusedWrite => (
                who,
                (
                    failing(op, Stage::Authentication),
                    failing(op, Stage::MediaType),
                    failing(op, Stage::Binding),
                    failing(op, Stage::Rules),
                ),
                proptest::collection::vec(valid_content(op), 4),
            )
                .prop_map(move |(i, (a, b, c, d), contents)| {
                    let mut steps = vec![Step::read(op, i)];
                    for (refusal, content) in [a, b, c, d].iter().zip(contents) {
                        let mut step = Step::write(op, i, content);
                        refusal.apply(&mut step);
                        steps.push(step);
                    }
                    steps.push(Step::read(op, i));
                    steps
                })
                .boxed(),
            Gen::ProviderChange => (
                who,
                organization::ready_provider(),
                provider::valid_config(),
                any::<u64>(),
            )
                .prop_map(|(i, first, second, seed)| {
                    let provider = |config| Content::Provider {
                        config,
                        cases: Vec::new(),
                    };
                    vec![
                        Step::write(Op::SetProvider, i, provider(first)),
                        Step::write(
                            Op::SetOrganization,
                            i,
                            Content::Organization {
                                seed,
                                cases: Vec::new(),
                            },
                        ),
                        Step::write(Op::SetProvider, i, provider(second)),
                        Step::read(Op::GetOrganization, i),
                    ]
                })
                .boxed(),
            Gen::Throttling => Just(Vec::new()).boxed(),
        }
    }
}

/// Mixed cases: a few generators' cases one after the other (interleaving
/// tenants and resources), and steps that combine several variations at
/// once (a token problem with a binding error, broken rules with a foreign
/// id, …).
pub fn mixed(identities: usize) -> BoxedStrategy<Vec<Step>> {
    let gens: Vec<(Gen, Op)> = Gen::all()
        .into_iter()
        .flat_map(|g| g.ops().iter().map(move |&op| (g, op)))
        .collect();
    let part = prop_oneof![
        3 => select(gens).prop_flat_map(move |(g, op)| g.cases(op, identities)),
        2 => combined_step(identities).prop_map(|s| vec![s]),
    ];
    proptest::collection::vec(part, 1..4)
        .prop_map(|parts| parts.into_iter().flatten().collect())
        .boxed()
}

/// One step with several variations drawn independently.
pub(crate) fn combined_step(identities: usize) -> BoxedStrategy<Step> {
    let op = select(Op::ALL.to_vec());
    op.prop_flat_map(move |op| {
        let who = prop_oneof![
            12 => identity(identities).prop_map(Who::Identity),
            1 => Just(Who::NoToken),
            1 => Just(Who::UnknownToken),
            1 => Just(Who::OtherScheme),
        ];
        let whose =
            prop_oneof![8 => Just(Whose::Own), 2 => Just(Whose::Foreign), 1 => Just(Whose::Nobody)];
        let shape = if op.is_post() {
            let media = prop_oneof![
                10 => json_media().prop_map(Media::Json),
                1 => not_json_media().prop_map(Media::NotJson),
            ];
            let content: BoxedStrategy<Content> = match op {
                Op::SetProvider => (
                    provider::valid_config(),
                    proptest::collection::vec(select(ProviderCase::ALL.to_vec()), 0..3),
                )
                    .prop_map(|(config, cases)| Content::Provider {
                        config,
                        cases: provider::compatible(cases),
                    })
                    .boxed(),
                _ => (
                    any::<u64>(),
                    proptest::collection::vec(select(OrgCase::ALL.to_vec()), 0..3),
                )
                    .prop_map(|(seed, cases)| Content::Organization {
                        seed,
                        cases: organization::compatible(cases),
                    })
                    .boxed(),
            };
            let edits = proptest::option::weighted(0.2, several_edits(op))
                .prop_map(Option::unwrap_or_default);
            (
                media,
                content,
                edits,
                prop_oneof![6 => Just(IdForm::Lower), 1 => select(IdForm::OTHERS.to_vec())],
            )
                .prop_map(|(media, content, edits, ids)| {
                    Shape::Post(
                        media,
                        Body::Object {
                            ids,
                            edits,
                            content,
                        },
                    )
                })
                .boxed()
        } else {
            prop_oneof![
                8 => select(IdForm::OTHERS.to_vec())
                    .prop_map(|form| Query::Id { form, name_case: 0 }),
                8 => Just(Query::Id { form: IdForm::Lower, name_case: 0 }),
                1 => Just(Query::Missing),
                1 => malformed_id().prop_map(Query::Malformed),
            ]
            .prop_map(Shape::Get)
            .boxed()
        };
        (who, whose, shape).prop_map(move |(who, whose, shape)| Step {
            op,
            who,
            whose,
            route: Route::Canonical,
            shape,
        })
    })
    .boxed()
}

/// Identity `i` configures its provider, then writes its organization's
/// fields changed by `cases`.
pub(crate) fn organization_case(
    i: usize,
    provider: Value,
    seed: u64,
    cases: Vec<OrgCase>,
) -> Vec<Step> {
    vec![
        Step::write(
            Op::SetProvider,
            i,
            Content::Provider {
                config: provider,
                cases: Vec::new(),
            },
        ),
        Step::write(
            Op::SetOrganization,
            i,
            Content::Organization { seed, cases },
        ),
    ]
}

/// Bodies that do not bind as an object: empty, not JSON, not an object.
pub(crate) fn raw_bodies(kind: Gen) -> Vec<Body> {
    match kind {
        Gen::EmptyBody => vec![Body::Empty],
        Gen::NotJson => ["{", "not json", "{\"a\":}", "[1,", "{'a': 1}"]
            .iter()
            .map(|s| Body::Text((*s).to_owned()))
            .collect(),
        _ => [json!([]), json!("text"), json!(7), json!(null), json!(true)]
            .into_iter()
            .map(Body::Scalar)
            .collect(),
    }
}
