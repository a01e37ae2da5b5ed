//! The oracle: turns a step into a concrete request and predicts the answer
//! from how the step was made and CONTRACT.md's order of checks, each part
//! of the prediction tied to the clause it comes from. What the target
//! holds is what the case itself wrote or read ([`CaseState`]): a case that
//! needs to know something it has not established asks for a read first
//! ([`Planning::Needs`]), so every case replays alone.
//!
//! It never calls `lupl_model`'s rules, binding or offline checks (a test
//! enforces it): a harness that asked the model what the model should
//! answer would prove nothing.

use crate::cases::organization::{self, Applied as OrgApplied};
use crate::cases::{
    Body, Content, Edit, IdForm, Media, Op, OrgCase, Query, Route, Shape, Stage, Step, Who, Whose,
};
use crate::clauses::{Clause, Polarity};
use crate::target::Target;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use uuid::Uuid;

/// An id nobody has (not a provider, not an organization).
pub const NOBODY: Uuid = Uuid::from_u128(0x0bad_0000_0000_4000_8000_0000_0000_0001);

/// A request, ready to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawRequest {
    /// The method.
    pub method: String,
    /// Path and query.
    pub path_and_query: String,
    /// The `Authorization` value, if any.
    pub authorization: Option<String>,
    /// The `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The body.
    #[serde(with = "crate::record::body_text")]
    pub body: Vec<u8>,
}

impl RawRequest {
    /// A GET of one of `op`'s resources (`pmsId` or `organizationId` = `id`).
    pub fn get(op: Op, id: Uuid, token: &str) -> Self {
        let (_, path) = op.read().route();
        RawRequest {
            method: "GET".into(),
            path_and_query: format!("{path}?{}={id}", op.query_parameter()),
            authorization: Some(format!("Bearer {token}")),
            content_type: None,
            body: Vec::new(),
        }
    }

    /// A JSON POST of `body` to `op`'s path.
    pub fn post(op: Op, body: &Value, token: &str) -> Self {
        let (_, path) = op.write().route();
        RawRequest {
            method: "POST".into(),
            path_and_query: path,
            authorization: Some(format!("Bearer {token}")),
            content_type: Some("application/json".into()),
            body: body.to_string().into_bytes(),
        }
    }
}

/// What the contract says about one key of a 400's `errors`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyExpectation {
    /// The clause that puts the key there.
    pub clause: Clause,
    /// Other keys the contract allows instead (or as well), where it leaves
    /// the choice open.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub or: Vec<String>,
    /// The message CONTRACT.md fixes for it (any of these), if any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<String>,
}

impl KeyExpectation {
    /// The key and its alternatives.
    pub fn keys<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> {
        std::iter::once(key).chain(self.or.iter().map(String::as_str))
    }
}

/// Something a request exercises that the contract accepts, judged at a
/// stage before the one that answers: if the answer is what that stage
/// would have answered (a 400 under one of `keys`, or one of `statuses`),
/// this clause is to blame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feature {
    /// The clause.
    pub clause: Clause,
    /// Where it is judged.
    pub stage: Stage,
    /// The error keys a wrong refusal would carry.
    pub keys: Vec<String>,
    /// Other statuses a wrong refusal would be.
    pub statuses: Vec<u16>,
    /// Blamed before features of a higher rank.
    pub rank: u8,
}

/// What a 200 GET must return.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BodyExpectation {
    /// What the case stored or read, if it knows.
    pub value: Option<Value>,
    /// Clauses the stored value exercises, by JSON pointer prefix.
    pub notes: Vec<(String, Clause)>,
    /// Writes refused since, which must not show, with the clause that
    /// says so.
    pub refused: Vec<(Value, Clause)>,
}

/// What the contract says the answer must be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Expected {
    /// The status.
    pub status: u16,
    /// The clause the status is judged under.
    pub status_clause: Clause,
    /// Why, for reports.
    pub because: String,
    /// For a 400: exactly these keys.
    pub errors: Vec<(String, KeyExpectation)>,
    /// For a 400 with several keys: the clause that wants them all at once.
    pub all_at_once: Option<Clause>,
    /// Accepted variations judged before the answering stage.
    pub features: Vec<Feature>,
    /// For a 200 GET.
    pub body: Option<BodyExpectation>,
    /// Whether the request reached an operation (not a 404/405), so the
    /// operation's documented statuses and schemas apply.
    pub routed: bool,
}

impl Expected {
    /// A one-line summary: status, keys, why.
    pub fn summary(&self) -> String {
        let keys: Vec<&str> = self.errors.iter().map(|(k, _)| k.as_str()).collect();
        let keys = if keys.is_empty() {
            String::new()
        } else {
            format!(" with errors {keys:?}")
        };
        format!("{}{keys} — {}", self.status, self.because)
    }
}

/// A resource of one identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Resource {
    /// Identity `i`'s provider configuration.
    Provider(usize),
    /// Identity `i`'s organization configuration.
    Organization(usize),
}

/// What a case knows about one resource.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResourceState {
    /// What the target holds, once the case wrote or read it.
    pub known: Option<Value>,
    /// Clauses the stored value exercises, by JSON pointer prefix.
    pub notes: Vec<(String, Clause)>,
    /// Writes refused since the last stored one.
    pub refused: Vec<(Value, Clause)>,
}

/// What a case knows: per identity, its two resources; and which tokens
/// are throttled (only in the throttling phase).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseState {
    /// Providers, by identity.
    pub providers: Vec<ResourceState>,
    /// Organizations, by identity.
    pub organizations: Vec<ResourceState>,
    /// Whether identity `i`'s token has used up its quota.
    pub throttled: Vec<bool>,
}

impl CaseState {
    /// Nothing known, for `identities` identities.
    pub fn new(identities: usize) -> Self {
        Self {
            providers: vec![ResourceState::default(); identities],
            organizations: vec![ResourceState::default(); identities],
            throttled: vec![false; identities],
        }
    }

    /// One resource's state.
    pub fn resource(&self, r: Resource) -> &ResourceState {
        match r {
            Resource::Provider(i) => &self.providers[i],
            Resource::Organization(i) => &self.organizations[i],
        }
    }

    /// One resource's state, to change.
    pub fn resource_mut(&mut self, r: Resource) -> &mut ResourceState {
        match r {
            Resource::Provider(i) => &mut self.providers[i],
            Resource::Organization(i) => &mut self.organizations[i],
        }
    }

    /// Forgets a resource (after an answer the contract does not allow, the
    /// case reads it again before predicting).
    pub fn forget(&mut self, r: Resource) {
        *self.resource_mut(r) = ResourceState::default();
    }

    /// Applies what an answer showed: a stored write, a refused one, a read.
    pub fn settle(&mut self, planned: &Planned, status: u16, body: &[u8]) {
        match &planned.effect {
            Some(Effect::Store(r, value, notes)) if status == 200 => {
                *self.resource_mut(*r) = ResourceState {
                    known: Some(value.clone()),
                    notes: notes.clone(),
                    refused: Vec::new(),
                };
                // CONTRACT.md: a provider change does not rewrite stored
                // organizations; a later read of one exercises that.
                if let Resource::Provider(i) = r {
                    let org = &mut self.organizations[*i];
                    if org.known.as_ref().is_some_and(|v| !v.is_null()) {
                        org.notes.push((String::new(), Clause::OrgProviderChange));
                    }
                }
            }
            Some(Effect::Refused(r, value, clause)) => {
                self.resource_mut(*r).refused.push((value.clone(), *clause));
            }
            Some(Effect::Read(r)) if status == 200 => {
                let state = self.resource_mut(*r);
                if state.known.is_none() {
                    state.known = serde_json::from_slice(body).ok();
                }
            }
            _ => {}
        }
    }
}

/// What an answer changes in what the case knows.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// A 200 stores this value (with its notes).
    Store(Resource, Value, Vec<(String, Clause)>),
    /// A refused write of this value, which must not show.
    Refused(Resource, Value, Clause),
    /// A 200 read tells what the resource holds.
    Read(Resource),
}

/// A step made concrete, with its prediction.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The request.
    pub request: RawRequest,
    /// The prediction.
    pub expected: Expected,
    /// What the answer changes in the case's knowledge.
    pub effect: Option<Effect>,
    /// The resource the request names, if one of the identities'.
    pub resource: Option<Resource>,
}

/// The outcome of planning a step.
#[derive(Debug, Clone)]
pub enum Planning {
    /// Ready to send.
    Ready(Box<Planned>),
    /// Read this resource first (the prediction depends on it).
    Needs(Resource),
    /// Cannot be predicted on this target (a live provider's pattern the
    /// harness cannot generate a value for).
    Skip(String),
}

/// One way the request fails, at one stage.
#[derive(Debug, Clone)]
struct Failure {
    stage: Stage,
    clause: Clause,
    key: Option<(String, KeyExpectation)>,
}

fn fail(stage: Stage, clause: Clause) -> Failure {
    Failure {
        stage,
        clause,
        key: None,
    }
}

fn fail_key(
    stage: Stage,
    clause: Clause,
    key: impl Into<String>,
    message: Option<String>,
) -> Failure {
    fail_keys(
        stage,
        clause,
        key,
        Vec::new(),
        message.into_iter().collect(),
    )
}

/// A failure under `key` (or one of `or`), with any of `messages`.
fn fail_keys(
    stage: Stage,
    clause: Clause,
    key: impl Into<String>,
    or: Vec<String>,
    messages: Vec<String>,
) -> Failure {
    Failure {
        stage,
        clause,
        key: Some((
            key.into(),
            KeyExpectation {
                clause,
                or,
                messages,
            },
        )),
    }
}

fn feature(
    clause: Clause,
    stage: Stage,
    keys: Vec<String>,
    statuses: Vec<u16>,
    rank: u8,
) -> Feature {
    Feature {
        clause,
        stage,
        keys,
        statuses,
        rank,
    }
}

fn basic(token: &str) -> String {
    use base64::Engine;
    let credential = base64::engine::general_purpose::STANDARD.encode(format!("{token}:"));
    // Derived from the token, it gives the token back: masked as it is.
    lupl_safety::secrets::register(&credential);
    format!("Basic {credential}")
}

/// Percent-encodes a query value (RFC 3986 unreserved characters kept).
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `text` with the case of its ASCII letters flipped by `mask` (bit
/// `i % 64` for the `i`th letter).
pub fn flip_case(text: &str, mask: u64) -> String {
    let mut letter = 0;
    text.chars()
        .map(|c| {
            if c.is_ascii_alphabetic() {
                let flip = (mask >> (letter % 64)) & 1 == 1;
                letter += 1;
                if flip {
                    if c.is_ascii_lowercase() {
                        c.to_ascii_uppercase()
                    } else {
                        c.to_ascii_lowercase()
                    }
                } else {
                    c
                }
            } else {
                c
            }
        })
        .collect()
}

/// The status the first failing stage answers with.
fn status_of(stage: Stage, clause: Clause) -> u16 {
    match stage {
        Stage::Routing if clause == Clause::RouteMethod => 405,
        Stage::Routing => 404,
        Stage::Authentication => 401,
        Stage::Throttling => 429,
        Stage::MediaType => 415,
        Stage::Binding | Stage::Rules => 400,
        Stage::Authorization => 403,
    }
}

/// What a step's POST body is, and what it predicts.
struct BodyPlan {
    bytes: Vec<u8>,
    failures: Vec<Failure>,
    features: Vec<Feature>,
    /// What a 200 stores, with notes.
    stored: Option<(Value, Vec<(String, Clause)>)>,
    /// Whether the member naming the resource binds.
    id_bound: bool,
}

/// Makes `step` concrete against `target` and predicts its answer.
pub fn plan(step: &Step, target: &Target, state: &CaseState) -> Planning {
    let me = match step.who {
        Who::Identity(i) => i.min(target.identities.len() - 1),
        _ => 0,
    };
    let identity = &target.identities[me];
    let other = (target.identities.len() > 1).then_some(1 - me.min(1));
    let (pms, org, whose) = match step.whose {
        Whose::Own => (identity.pms_id, identity.organization_id, Whose::Own),
        Whose::Foreign => {
            let id = if step.op.is_provider() {
                target.foreign_pms(me)
            } else {
                target.foreign_organization(me)
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
            let body = match post_body(step, body, state, me, pms, org, decided_early, target) {
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

/// Builds a POST body and what it predicts (binding and rules).
#[allow(clippy::too_many_arguments)]
fn post_body(
    step: &Step,
    body: &Body,
    state: &CaseState,
    me: usize,
    pms: Uuid,
    org: Uuid,
    decided_early: bool,
    target: &Target,
) -> Result<BodyPlan, Planning> {
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
            let other = (target.identities.len() > 1).then_some(1 - me.min(1));
            let owner = if cases.contains(&OrgCase::OtherProvider) {
                other.unwrap_or(me)
            } else {
                me
            };
            let own_pms = target.identities[owner].pms_id;
            let unknown_provider = cases.iter().any(|c| c.exclusive());
            let pms_for_org = if cases.contains(&OrgCase::UnknownProvider) {
                NOBODY
            } else if cases.contains(&OrgCase::UnconfiguredProvider) {
                target.unconfigured_pms.unwrap_or(NOBODY)
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

/// A malformed id close to a uuid (32 hex digits or more, in a form the
/// contract does not take) tests the uuid forms; anything else the
/// binding rule it breaks.
fn malformed_clause(raw: &str, otherwise: Clause) -> Clause {
    if raw.chars().filter(char::is_ascii_hexdigit).count() >= 32 {
        Clause::BindUuidForms
    } else {
        otherwise
    }
}

fn required(member: &str) -> Failure {
    fail_key(
        Stage::Binding,
        Clause::BindMemberRequired,
        member,
        Some(format!("The {member} field is required.")),
    )
}

/// CONTRACT.md step 4's uuid forms: 32 hex digits, either case, bare or
/// 8-4-4-4-12, optionally wrapped in `{}` or `()` (the wrapped forms being
/// hyphenated, as .NET's `B` and `P` formats are).
pub fn is_uuid_by_contract(text: &str) -> bool {
    let hyphenated = |s: &str| {
        s.len() == 36
            && s.char_indices().all(|(i, c)| match i {
                8 | 13 | 18 | 23 => c == '-',
                _ => c.is_ascii_hexdigit(),
            })
    };
    let bare = |s: &str| s.len() == 32 && s.chars().all(|c| c.is_ascii_hexdigit());
    if let Some(inner) = text
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .or_else(|| text.strip_prefix('(').and_then(|s| s.strip_suffix(')')))
    {
        return hyphenated(inner);
    }
    hyphenated(text) || bare(text)
}
