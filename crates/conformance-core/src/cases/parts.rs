//! Building blocks the strategies share: identities, valid contents,
//! media types, ids, wrong values, and ways to fail at one stage.

use crate::cases::organization::{self, OrgCase};
use crate::cases::provider::{self, ProviderCase};
use crate::cases::step::*;
use crate::operation::Op;
use crate::order::Stage;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Value, json};

/// Identity 0, or 1 when the target has two.
pub(crate) fn identity(identities: usize) -> BoxedStrategy<usize> {
    if identities > 1 {
        prop_oneof![3 => Just(0usize), 1 => Just(1usize)].boxed()
    } else {
        Just(0usize).boxed()
    }
}

/// A valid content for `op` (none for reads).
pub(crate) fn valid_content(op: Op) -> BoxedStrategy<Content> {
    match op {
        Op::SetProvider => provider::valid_config()
            .prop_map(|config| Content::Provider {
                config,
                cases: Vec::new(),
            })
            .boxed(),
        _ => any::<u64>()
            .prop_map(|seed| Content::Organization {
                seed,
                cases: Vec::new(),
            })
            .boxed(),
    }
}

/// A valid step of `op` by identity `i` (a read, or a write of `content`).
pub(crate) fn plain(op: Op, i: usize, content: Content) -> Step {
    if op.is_post() {
        Step::write(op, i, content)
    } else {
        Step::read(op, i)
    }
}

pub(crate) fn set_media(step: &mut Step, media: Media) {
    if let Shape::Post(m, _) = &mut step.shape {
        *m = media;
    }
}

pub(crate) fn edit(step: &mut Step, change: Edit) {
    if let Shape::Post(_, Body::Object { edits, .. }) = &mut step.shape {
        edits.push(change);
    }
}

/// JSON media types as clients spell them.
pub(crate) const JSON_MEDIA: [&str; 2] = ["application/json", "application/json; charset=utf-8"];
/// Media types that are not JSON.
pub(crate) const NOT_JSON_MEDIA: [&str; 4] = [
    "text/plain",
    "application/xml",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=lupl",
];

pub(crate) fn json_media() -> BoxedStrategy<String> {
    select(JSON_MEDIA.to_vec()).prop_map(str::to_owned).boxed()
}

pub(crate) fn not_json_media() -> BoxedStrategy<String> {
    select(NOT_JSON_MEDIA.to_vec())
        .prop_map(str::to_owned)
        .boxed()
}

/// One step per variant, each with a valid content of its own, all by one
/// identity.
pub(crate) fn each<T: Clone + std::fmt::Debug + 'static>(
    op: Op,
    identities: usize,
    variants: Vec<T>,
    make: impl Fn(T, Step) -> Vec<Step> + 'static,
) -> BoxedStrategy<Vec<Step>> {
    let n = variants.len();
    (
        identity(identities),
        proptest::collection::vec(valid_content(op), n),
    )
        .prop_map(move |(i, contents)| {
            variants
                .iter()
                .cloned()
                .zip(contents)
                .flat_map(|(v, c)| make(v, plain(op, i, c)))
                .collect()
        })
        .boxed()
}

/// The identity a step is sent as (0 when it has no token).
pub(crate) fn identity_of(step: &Step) -> usize {
    match step.who {
        Who::Identity(i) => i,
        _ => 0,
    }
}

/// Strings that are nothing like a uuid.
pub fn malformed_id() -> BoxedStrategy<String> {
    prop_oneof![
        Just("asdf".to_owned()),
        "[g-z]{1,12}",
        Just("12345".to_owned()),
        Just("not-a-uuid".to_owned()),
    ]
    .boxed()
}

pub(crate) const ID: &str = "4efafdc0-2783-4af6-9cac-d2b2be27a080";

/// Spellings close to a uuid (32 hex digits or more) that CONTRACT.md does
/// not accept: a urn, one digit too many, mismatched or doubled wrappers,
/// a hyphen missing or misplaced, a hex prefix.
pub const NEAR_MISS_IDS: [fn(&str) -> String; 8] = [
    |id| format!("urn:uuid:{id}"),
    |id| format!("{id}0"),
    |id| format!("{{{id})"),
    |id| format!("({id}}}"),
    |id| id.replacen('-', "", 1),
    |id| format!("{}{}-{}", &id[..8], &id[9..10], &id[10..]),
    |id| format!("{{{{{id}}}}}"),
    |id| format!("0x{}", id.replace('-', "")),
];

/// Strings close to a uuid in a form CONTRACT.md does not accept.
pub fn near_miss_id() -> BoxedStrategy<String> {
    select(NEAR_MISS_IDS.iter().map(|f| f(ID)).collect::<Vec<_>>()).boxed()
}

/// A uuid member of the write's body.
pub(crate) fn uuid_member(op: Op) -> BoxedStrategy<String> {
    let members: Vec<String> = op
        .required_members()
        .into_iter()
        .filter(|m| op.member_is_uuid(m))
        .collect();
    select(members).boxed()
}

/// A value of the wrong JSON type for any required member (a uuid member
/// wants a string, an object member an object).
pub(crate) fn wrong_value() -> BoxedStrategy<Value> {
    select(vec![json!(42), json!([1]), json!(true), json!(1.5)]).boxed()
}

/// Two or three edits of distinct required members, each a binding error.
pub(crate) fn several_edits(op: Op) -> BoxedStrategy<Vec<Edit>> {
    let members = op.required_members();
    let n = members.len();
    (
        proptest::sample::subsequence(members, 2..=n.max(2)),
        proptest::collection::vec((0..3u8, wrong_value()), n.max(2)),
    )
        .prop_map(|(members, kinds)| {
            members
                .into_iter()
                .zip(kinds)
                .map(|(m, (k, v))| match k {
                    0 => Edit::Remove(m),
                    1 => Edit::Null(m),
                    _ => Edit::Set(m, v),
                })
                .collect()
        })
        .boxed()
}

/// A way to make a step fail at one stage of the order of checks.
#[derive(Debug, Clone)]
pub(crate) enum Failing {
    Who(Who),
    Media(Media),
    Query(Query),
    Edit(Edit),
    Whose(Whose),
    Case(ProviderCase),
    OrgCase(OrgCase),
}

impl Failing {
    pub(crate) fn apply(&self, step: &mut Step) {
        match self {
            Failing::Who(w) => step.who = *w,
            Failing::Media(m) => set_media(step, m.clone()),
            Failing::Query(q) => step.shape = Shape::Get(q.clone()),
            Failing::Edit(e) => edit(step, e.clone()),
            Failing::Whose(w) => step.whose = *w,
            Failing::Case(c) => {
                if let Some(Content::Provider { cases, .. }) = step.content_mut() {
                    cases.push(*c);
                }
            }
            Failing::OrgCase(c) => {
                if let Some(Content::Organization { cases, .. }) = step.content_mut() {
                    cases.push(*c);
                }
            }
        }
    }
}

pub(crate) fn failing(op: Op, stage: Stage) -> BoxedStrategy<Failing> {
    match stage {
        Stage::Authentication => select(vec![Who::NoToken, Who::UnknownToken, Who::OtherScheme])
            .prop_map(Failing::Who)
            .boxed(),
        Stage::MediaType => not_json_media()
            .prop_map(|m| Failing::Media(Media::NotJson(m)))
            .boxed(),
        // Not the member that names the resource: the request must still
        // name another tenant's.
        Stage::Binding if op.is_post() => {
            let resource = if op.is_provider() {
                "pmsId"
            } else {
                "organizationId"
            };
            let members: Vec<String> = op
                .required_members()
                .into_iter()
                .filter(|m| m != resource)
                .collect();
            (select(members), wrong_value())
                .prop_map(|(m, v)| Failing::Edit(Edit::Set(m, v)))
                .boxed()
        }
        Stage::Binding => prop_oneof![
            Just(Query::Missing),
            malformed_id().prop_map(Query::Malformed)
        ]
        .prop_map(Failing::Query)
        .boxed(),
        Stage::Authorization => select(vec![Whose::Foreign, Whose::Nobody])
            .prop_map(Failing::Whose)
            .boxed(),
        Stage::Rules if op == Op::SetProvider => select(provider::negative_cases())
            .prop_map(Failing::Case)
            .boxed(),
        Stage::Rules => select(organization::negative_cases())
            .prop_map(Failing::OrgCase)
            .boxed(),
        Stage::Routing | Stage::Throttling => Just(Failing::Whose(Whose::Own)).boxed(),
    }
}
