//! What the harness sends: cases (short sequences of [`Step`]s), each step
//! labelled with how it was made, so that the oracle can predict the answer
//! from the label and CONTRACT.md alone.
//!
//! [`Gen`] names every generator; each says which clauses of the catalogue
//! ([`crate::clauses`]) it exercises and on which operations. Request-level
//! variations (routes, parameters, media types, bodies, tokens, ids) live
//! here; the configuration rules' cases live in [`provider`] and
//! [`organization`].

pub mod organization;
pub mod provider;

use crate::clauses::{Clause, Polarity};
use lupl_spec::Spec;
pub use organization::OrgCase;
use proptest::prelude::*;
use proptest::sample::select;
pub use provider::ProviderCase;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// A deterministic proptest RNG from a seed, an 8-byte salt (which keeps
/// the streams of different uses apart) and a case number.
pub fn seeded_rng(seed: u64, salt: &[u8; 8], case: u64) -> proptest::test_runner::TestRng {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes[8..16].copy_from_slice(salt);
    bytes[16..24].copy_from_slice(&case.to_le_bytes());
    proptest::test_runner::TestRng::from_seed(proptest::test_runner::RngAlgorithm::ChaCha, &bytes)
}

/// The four operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Op {
    /// `getProviderConfig`.
    GetProvider,
    /// `setProviderConfig`.
    SetProvider,
    /// `getOrganizationConfig`.
    GetOrganization,
    /// `setOrganizationConfig`.
    SetOrganization,
}

impl Op {
    /// All four.
    pub const ALL: [Op; 4] = [
        Op::GetProvider,
        Op::SetProvider,
        Op::GetOrganization,
        Op::SetOrganization,
    ];
    /// The two reads.
    pub const GETS: [Op; 2] = [Op::GetProvider, Op::GetOrganization];
    /// The two writes.
    pub const POSTS: [Op; 2] = [Op::SetProvider, Op::SetOrganization];

    /// The operationId in openapi.json.
    pub fn operation_id(self) -> &'static str {
        match self {
            Op::GetProvider => "getProviderConfig",
            Op::SetProvider => "setProviderConfig",
            Op::GetOrganization => "getOrganizationConfig",
            Op::SetOrganization => "setOrganizationConfig",
        }
    }

    /// Whether it writes.
    pub fn is_post(self) -> bool {
        matches!(self, Op::SetProvider | Op::SetOrganization)
    }

    /// Whether it concerns the provider configuration.
    pub fn is_provider(self) -> bool {
        matches!(self, Op::GetProvider | Op::SetProvider)
    }

    /// The read of the same resource.
    pub fn read(self) -> Op {
        if self.is_provider() {
            Op::GetProvider
        } else {
            Op::GetOrganization
        }
    }

    /// The write of the same resource.
    pub fn write(self) -> Op {
        if self.is_provider() {
            Op::SetProvider
        } else {
            Op::SetOrganization
        }
    }

    /// The operation's path and method, from the spec.
    pub fn route(self) -> (String, String) {
        Spec::workspace()
            .operation(self.operation_id())
            .map(|o| (o.method, o.path))
            .unwrap_or_default()
    }

    /// The name of the uuid query parameter of the read, from the spec.
    pub fn query_parameter(self) -> String {
        let (method, path) = self.read().route();
        let pointer = format!(
            "/paths/{}/{}/parameters/0/name",
            path.replace('/', "~1"),
            method.to_ascii_lowercase()
        );
        Spec::workspace()
            .document()
            .pointer(&pointer)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    }

    /// The required top-level members of the write's body, from the spec.
    pub fn required_members(self) -> Vec<String> {
        let (method, path) = self.write().route();
        let pointer = format!(
            "/paths/{}/{}/requestBody/content/application~1json/schema",
            path.replace('/', "~1"),
            method.to_ascii_lowercase()
        );
        Spec::workspace()
            .resolve(&pointer)
            .ok()
            .and_then(|s| s.get("required"))
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether a required member of the write's body is a uuid (else an
    /// object), from the spec.
    pub fn member_is_uuid(self, member: &str) -> bool {
        let (method, path) = self.write().route();
        let pointer = format!(
            "/paths/{}/{}/requestBody/content/application~1json/schema",
            path.replace('/', "~1"),
            method.to_ascii_lowercase()
        );
        Spec::workspace()
            .resolve(&pointer)
            .ok()
            .and_then(|s| s.pointer(&format!("/properties/{member}/format")))
            .and_then(Value::as_str)
            == Some("uuid")
    }
}

/// Who sends a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Who {
    /// Identity 0 or 1 of the target, with its token.
    Identity(usize),
    /// No `Authorization` header.
    NoToken,
    /// A bearer token the server does not know.
    UnknownToken,
    /// The right token under another scheme (`Basic`).
    OtherScheme,
}

/// Whose resource a step names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Whose {
    /// The sender's own provider or organization.
    Own,
    /// Another tenant's (the other identity's, or the foreign ids given).
    Foreign,
    /// An id nobody has.
    Nobody,
}

/// A method the API does not have on its two paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OtherMethod {
    /// `PUT`.
    Put,
    /// `DELETE`.
    Delete,
    /// `PATCH`.
    Patch,
    /// `HEAD`.
    Head,
    /// `OPTIONS`.
    Options,
}

impl OtherMethod {
    /// Every one.
    pub const ALL: [OtherMethod; 5] = [
        OtherMethod::Put,
        OtherMethod::Delete,
        OtherMethod::Patch,
        OtherMethod::Head,
        OtherMethod::Options,
    ];

    /// The method's name.
    pub fn name(self) -> &'static str {
        match self {
            OtherMethod::Put => "PUT",
            OtherMethod::Delete => "DELETE",
            OtherMethod::Patch => "PATCH",
            OtherMethod::Head => "HEAD",
            OtherMethod::Options => "OPTIONS",
        }
    }
}

/// A path the API does not have, made from an operation's path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OtherPath {
    /// A letter appended to the last segment (`…/providerconfigs`).
    Plural,
    /// Another API version (`/api/2.0/…`).
    Version,
    /// One more segment (`…/providerconfig/extra`).
    Deeper,
    /// The last segment dropped (`/api/1.0/pms`).
    Parent,
}

impl OtherPath {
    /// `path` changed this way.
    pub fn apply(self, path: &str) -> String {
        match self {
            OtherPath::Plural => format!("{path}s"),
            OtherPath::Version => path.replacen("1.0", "2.0", 1),
            OtherPath::Deeper => format!("{path}/extra"),
            OtherPath::Parent => path
                .rsplit_once('/')
                .map(|(p, _)| p.to_owned())
                .unwrap_or_default(),
        }
    }
}

/// The route a step takes to its operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Route {
    /// The documented method and path.
    Canonical,
    /// The documented path with letters' case flipped by this mask (bit
    /// `i % 64` for letter `i`; never zero).
    PathCase(u64),
    /// Another method on the operation's path.
    Method(OtherMethod),
    /// A path the API does not have.
    Path(OtherPath),
}

/// Spellings of a uuid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IdForm {
    /// Lower-case hyphenated, as clients send it.
    Lower,
    /// Upper case.
    Upper,
    /// 32 hex digits.
    Bare,
    /// 32 upper-case hex digits.
    BareUpper,
    /// `{…}`.
    Braces,
    /// `(…)`.
    Parens,
}

impl IdForm {
    /// Every accepted form besides [`IdForm::Lower`].
    pub const OTHERS: [IdForm; 5] = [
        IdForm::Upper,
        IdForm::Bare,
        IdForm::BareUpper,
        IdForm::Braces,
        IdForm::Parens,
    ];

    /// `id` in this form.
    pub fn render(self, id: &uuid::Uuid) -> String {
        let id = id.hyphenated().to_string();
        match self {
            IdForm::Lower => id,
            IdForm::Upper => id.to_uppercase(),
            IdForm::Bare => id.replace('-', ""),
            IdForm::BareUpper => id.replace('-', "").to_uppercase(),
            IdForm::Braces => format!("{{{id}}}"),
            IdForm::Parens => format!("({id})"),
        }
    }
}

/// A GET's query string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Query {
    /// The id in this form, under the parameter name with letters' case
    /// flipped by `name_case` (0: as documented).
    Id {
        /// How the id is written.
        form: IdForm,
        /// Case mask of the parameter name.
        name_case: u64,
    },
    /// No parameter at all.
    Missing,
    /// The parameter with an empty value.
    Empty,
    /// The parameter with a value that is not a uuid.
    Malformed(String),
    /// The parameter twice: the id and `other`, in this order when
    /// `id_first`, else the other way round.
    Twice {
        /// Whether the id comes first.
        id_first: bool,
        /// The other value (never a uuid).
        other: String,
    },
}

/// A POST's `Content-Type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Media {
    /// A JSON media type, as written.
    Json(String),
    /// Another media type, as written.
    NotJson(String),
    /// No `Content-Type` header.
    Missing,
}

/// A change to the top level of a JSON body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Edit {
    /// A member removed.
    Remove(String),
    /// A member set to `null`.
    Null(String),
    /// A member set to a value of the wrong JSON type (or a string that is
    /// not a uuid, for an id).
    Set(String, Value),
    /// An unknown member added.
    Extra(String, Value),
}

/// Which provider an organization write names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrgPms {
    /// The sender's own provider.
    Own,
    /// A provider nobody registered.
    Nobody,
}

/// What a well-formed body carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Content {
    /// A provider configuration, valid by construction, then changed by
    /// each case in order.
    Provider {
        /// The valid configuration.
        config: Value,
        /// Rules exercised on it.
        cases: Vec<ProviderCase>,
    },
    /// Organization fields generated when the step is planned, against the
    /// provider configuration the case knows (seeded), then changed by each
    /// case in order.
    Organization {
        /// Seeds the values.
        seed: u64,
        /// Rules exercised on them.
        cases: Vec<OrgCase>,
    },
}

/// A POST's body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Body {
    /// No bytes.
    Empty,
    /// Bytes that are not JSON.
    Text(String),
    /// JSON that is not an object.
    Scalar(Value),
    /// A JSON object: ids in a form, top-level edits, and the content.
    Object {
        /// How the ids are written.
        ids: IdForm,
        /// Changes to the top level, applied last.
        edits: Vec<Edit>,
        /// The content.
        content: Content,
    },
}

/// How a step's request is formed, beyond its route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Shape {
    /// A GET with this query.
    Get(Query),
    /// A POST with this media type and body.
    Post(Media, Body),
}

/// One step of a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// The operation.
    pub op: Op,
    /// The sender.
    pub who: Who,
    /// Whose resource.
    pub whose: Whose,
    /// The route.
    pub route: Route,
    /// The request's shape.
    pub shape: Shape,
}

impl Step {
    /// A valid GET of identity `i`'s own resource.
    pub fn read(op: Op, i: usize) -> Step {
        Step {
            op: op.read(),
            who: Who::Identity(i),
            whose: Whose::Own,
            route: Route::Canonical,
            shape: Shape::Get(Query::Id {
                form: IdForm::Lower,
                name_case: 0,
            }),
        }
    }

    /// A write of identity `i`'s own resource with this content.
    pub fn write(op: Op, i: usize, content: Content) -> Step {
        Step {
            op: op.write(),
            who: Who::Identity(i),
            whose: Whose::Own,
            route: Route::Canonical,
            shape: Shape::Post(
                Media::Json("application/json".into()),
                Body::Object {
                    ids: IdForm::Lower,
                    edits: Vec::new(),
                    content,
                },
            ),
        }
    }

    /// The body's content, if the step has one.
    pub fn content_mut(&mut self) -> Option<&mut Content> {
        match &mut self.shape {
            Shape::Post(_, Body::Object { content, .. }) => Some(content),
            _ => None,
        }
    }
}

/// Where a step's failure is decided, in CONTRACT.md's order of checks
/// (routing comes first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Stage {
    /// 404/405: another path or method.
    Routing,
    /// Step 1, 401.
    Authentication,
    /// Step 2, 429.
    Throttling,
    /// Step 3, 415.
    MediaType,
    /// Step 4, 400.
    Binding,
    /// Step 5, 403.
    Authorization,
    /// Step 6, 400.
    Rules,
}

impl Stage {
    /// The step's number in CONTRACT.md (0 for routing).
    pub fn number(self) -> u8 {
        match self {
            Stage::Routing => 0,
            Stage::Authentication => 1,
            Stage::Throttling => 2,
            Stage::MediaType => 3,
            Stage::Binding => 4,
            Stage::Authorization => 5,
            Stage::Rules => 6,
        }
    }
}

/// Every generator. Each makes cases for some operations and exercises
/// some clauses ([`Gen::targets`]); the directed phase of a run makes at
/// least one case per generator and operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Gen {
    /// A valid request (a write is read back).
    Valid,
    /// The path in another letter case.
    PathCase,
    /// The query parameter's name in another letter case.
    QueryNameCase,
    /// Another method on the path.
    OtherMethod,
    /// A path the API does not have.
    OtherPath,
    /// No `Authorization` header.
    NoToken,
    /// A `Basic` credential.
    OtherScheme,
    /// A bearer token the server does not know.
    UnknownToken,
    /// A JSON media type spelled another way.
    JsonMediaType,
    /// A media type that is not JSON.
    NotJsonMediaType,
    /// No `Content-Type`.
    NoMediaType,
    /// No query parameter.
    MissingParameter,
    /// An empty query parameter.
    EmptyParameter,
    /// A query parameter that is not a uuid.
    MalformedParameter,
    /// The query parameter twice.
    ParameterTwice,
    /// The ids in another accepted uuid form.
    IdForm,
    /// A body id that is a string but not a uuid.
    MalformedBodyId,
    /// An id close to a uuid in a form the contract does not take.
    NearMissId,
    /// An empty body.
    EmptyBody,
    /// A body that is not JSON.
    NotJson,
    /// JSON that is not an object.
    NotObject,
    /// A required member removed.
    MissingMember,
    /// A required member `null`.
    NullMember,
    /// A member of the wrong JSON type.
    WrongTypeMember,
    /// An unknown top-level member (the write is read back).
    UnknownMember,
    /// Two or three binding errors at once.
    SeveralBindingErrors,
    /// Another tenant's resource.
    Foreign,
    /// An id nobody has.
    Nobody,
    /// Another tenant's resource written, then read by its owner.
    ForeignWrite,
    /// A request failing two steps of the order of checks.
    Order(Stage, Stage),
    /// A provider configuration rule, at a boundary or broken.
    Provider(ProviderCase),
    /// Several provider rules broken at once.
    SeveralProviderRules,
    /// An organization configuration rule, at a boundary or broken.
    Organization(OrgCase),
    /// Several organization rules broken at once.
    SeveralOrganizationRules,
    /// A refused write between two reads.
    RefusedWrite,
    /// An organization written, its provider changed, the organization read.
    ProviderChange,
    /// The opt-in throttling phase (not a proptest generator).
    Throttling,
}

/// The pairs of steps [`Gen::Order`] combines, outside the throttling phase.
pub const ORDER_PAIRS: [(Stage, Stage); 6] = [
    (Stage::Authentication, Stage::MediaType),
    (Stage::Authentication, Stage::Binding),
    (Stage::Authentication, Stage::Authorization),
    (Stage::MediaType, Stage::Binding),
    (Stage::Binding, Stage::Authorization),
    (Stage::Authorization, Stage::Rules),
];

impl Gen {
    /// Every generator, in the order the directed phase runs them.
    pub fn all() -> Vec<Gen> {
        let mut all = vec![
            Gen::Valid,
            Gen::PathCase,
            Gen::QueryNameCase,
            Gen::OtherMethod,
            Gen::OtherPath,
            Gen::NoToken,
            Gen::OtherScheme,
            Gen::UnknownToken,
            Gen::JsonMediaType,
            Gen::NotJsonMediaType,
            Gen::NoMediaType,
            Gen::MissingParameter,
            Gen::EmptyParameter,
            Gen::MalformedParameter,
            Gen::ParameterTwice,
            Gen::IdForm,
            Gen::MalformedBodyId,
            Gen::NearMissId,
            Gen::EmptyBody,
            Gen::NotJson,
            Gen::NotObject,
            Gen::MissingMember,
            Gen::NullMember,
            Gen::WrongTypeMember,
            Gen::UnknownMember,
            Gen::SeveralBindingErrors,
            Gen::Foreign,
            Gen::Nobody,
            Gen::ForeignWrite,
        ];
        all.extend(ORDER_PAIRS.iter().map(|&(a, b)| Gen::Order(a, b)));
        all.extend(ProviderCase::ALL.iter().map(|&c| Gen::Provider(c)));
        all.push(Gen::SeveralProviderRules);
        all.extend(OrgCase::ALL.iter().map(|&c| Gen::Organization(c)));
        all.push(Gen::SeveralOrganizationRules);
        all.push(Gen::RefusedWrite);
        all.push(Gen::ProviderChange);
        all.push(Gen::Throttling);
        all
    }

    /// A short name for reports and recordings.
    pub fn name(self) -> String {
        match self {
            Gen::Order(a, b) => format!("order {}-{}", a.number(), b.number()),
            Gen::Provider(c) => format!("provider {c:?}"),
            Gen::Organization(c) => format!("organization {c:?}"),
            other => format!("{other:?}"),
        }
    }

    /// The operations it makes cases for.
    pub fn ops(self) -> &'static [Op] {
        match self {
            Gen::QueryNameCase
            | Gen::OtherMethod
            | Gen::MissingParameter
            | Gen::EmptyParameter
            | Gen::MalformedParameter
            | Gen::ParameterTwice => &Op::GETS,
            Gen::JsonMediaType
            | Gen::NotJsonMediaType
            | Gen::NoMediaType
            | Gen::MalformedBodyId
            | Gen::EmptyBody
            | Gen::NotJson
            | Gen::NotObject
            | Gen::MissingMember
            | Gen::NullMember
            | Gen::WrongTypeMember
            | Gen::UnknownMember
            | Gen::SeveralBindingErrors
            | Gen::ForeignWrite
            | Gen::RefusedWrite => &Op::POSTS,
            Gen::Order(Stage::Authentication, Stage::Binding) => &Op::ALL,
            Gen::Order(Stage::Authentication, Stage::Authorization) => &Op::ALL,
            Gen::Order(..) => &Op::POSTS,
            Gen::Provider(_) | Gen::SeveralProviderRules => &[Op::SetProvider],
            Gen::Organization(_) | Gen::SeveralOrganizationRules | Gen::ProviderChange => {
                &[Op::SetOrganization]
            }
            Gen::Throttling => &[],
            _ => &Op::ALL,
        }
    }

    /// The clauses it exercises: with input the contract accepts
    /// ([`Polarity::Positive`]) or refuses ([`Polarity::Negative`]).
    pub fn targets(self) -> Vec<(Clause, Polarity)> {
        use Clause as C;
        use Polarity::{Negative as N, Positive as P};
        match self {
            Gen::Valid => vec![
                (C::StoreAccept, P),
                (C::AuthzProviderOwner, P),
                (C::AuthzOrgManager, P),
                (C::StoreExact, P),
                (C::OpsJsonContentType, P),
                (C::OpsDocumentedStatus, P),
                (C::OpsResponseSchema, P),
                (C::RouteNo5xx, P),
            ],
            Gen::PathCase | Gen::QueryNameCase => vec![(C::RouteCaseInsensitive, P)],
            Gen::OtherMethod => vec![(C::RouteMethod, N)],
            Gen::OtherPath => vec![(C::RoutePath, N)],
            Gen::NoToken | Gen::OtherScheme | Gen::UnknownToken => {
                vec![(C::AuthRejected, N), (C::AuthChallenge, N)]
            }
            Gen::JsonMediaType => vec![(C::MediaNotJson, P)],
            Gen::NotJsonMediaType | Gen::NoMediaType => {
                vec![(C::MediaNotJson, N), (C::OpsProblemContentType, N)]
            }
            Gen::MissingParameter | Gen::EmptyParameter => vec![(C::BindQueryMissing, N)],
            Gen::MalformedParameter => {
                vec![(C::BindQueryMalformed, N), (C::OpsProblemContentType, N)]
            }
            Gen::ParameterTwice => vec![(C::BindQueryTwice, P), (C::BindQueryTwice, N)],
            Gen::IdForm => vec![(C::BindUuidForms, P)],
            Gen::MalformedBodyId => vec![(C::BindMemberType, N)],
            Gen::NearMissId => vec![(C::BindUuidForms, N)],
            Gen::EmptyBody => vec![(C::BindBodyEmpty, N)],
            Gen::NotJson | Gen::NotObject => vec![(C::BindBodyNotObject, N)],
            Gen::MissingMember | Gen::NullMember => vec![(C::BindMemberRequired, N)],
            Gen::WrongTypeMember => vec![(C::BindMemberType, N)],
            Gen::UnknownMember => vec![
                (C::BindUnknownMembers, P),
                (C::StoreUnknownTopLevelDropped, P),
            ],
            Gen::SeveralBindingErrors => vec![(C::BindAllAtOnce, N)],
            Gen::Foreign => vec![
                (C::AuthzProviderOwner, N),
                (C::AuthzOrgManager, N),
                (C::AuthzBody, N),
            ],
            Gen::Nobody => vec![(C::AuthzNonexistent, N), (C::AuthzBody, N)],
            Gen::ForeignWrite => vec![(C::AuthzProviderOwner, N), (C::AuthzOrgManager, N)],
            Gen::Order(a, b) => Clause::order(a, b)
                .map(|c| vec![(c, N)])
                .unwrap_or_default(),
            Gen::Provider(case) => vec![(case.clause(), case.polarity())],
            Gen::SeveralProviderRules => vec![(C::RulesAllAtOnce, N)],
            Gen::Organization(case) => vec![(case.clause(), case.polarity())],
            Gen::SeveralOrganizationRules => vec![(C::RulesAllAtOnce, N)],
            Gen::RefusedWrite => vec![(C::StoreRefusedNoEffect, N)],
            Gen::ProviderChange => vec![(C::OrgProviderChange, P)],
            Gen::Throttling => vec![
                (C::ThrottleWindow, N),
                (C::ThrottleNotCounted, N),
                (C::ThrottleRetryAfter, N),
                (C::ThrottleBody, N),
                (C::ThrottlePerToken, P),
                (C::Order12, N),
                (C::Order23, N),
                (C::Order24, N),
                (C::Order25, N),
            ],
        }
    }

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
fn combined_step(identities: usize) -> BoxedStrategy<Step> {
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

/// Identity 0, or 1 when the target has two.
fn identity(identities: usize) -> BoxedStrategy<usize> {
    if identities > 1 {
        prop_oneof![3 => Just(0usize), 1 => Just(1usize)].boxed()
    } else {
        Just(0usize).boxed()
    }
}

/// A valid content for `op` (none for reads).
fn valid_content(op: Op) -> BoxedStrategy<Content> {
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

/// Identity `i` configures its provider, then writes its organization's
/// fields changed by `cases`.
fn organization_case(i: usize, provider: Value, seed: u64, cases: Vec<OrgCase>) -> Vec<Step> {
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

/// A valid step of `op` by identity `i` (a read, or a write of `content`).
fn plain(op: Op, i: usize, content: Content) -> Step {
    if op.is_post() {
        Step::write(op, i, content)
    } else {
        Step::read(op, i)
    }
}

fn set_media(step: &mut Step, media: Media) {
    if let Shape::Post(m, _) = &mut step.shape {
        *m = media;
    }
}

fn edit(step: &mut Step, change: Edit) {
    if let Shape::Post(_, Body::Object { edits, .. }) = &mut step.shape {
        edits.push(change);
    }
}

/// JSON media types as clients spell them.
const JSON_MEDIA: [&str; 2] = ["application/json", "application/json; charset=utf-8"];
/// Media types that are not JSON.
const NOT_JSON_MEDIA: [&str; 4] = [
    "text/plain",
    "application/xml",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=lupl",
];

fn json_media() -> BoxedStrategy<String> {
    select(JSON_MEDIA.to_vec()).prop_map(str::to_owned).boxed()
}

fn not_json_media() -> BoxedStrategy<String> {
    select(NOT_JSON_MEDIA.to_vec())
        .prop_map(str::to_owned)
        .boxed()
}

/// One step per variant, each with a valid content of its own, all by one
/// identity.
fn each<T: Clone + std::fmt::Debug + 'static>(
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
fn identity_of(step: &Step) -> usize {
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

const ID: &str = "4efafdc0-2783-4af6-9cac-d2b2be27a080";

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
fn uuid_member(op: Op) -> BoxedStrategy<String> {
    let members: Vec<String> = op
        .required_members()
        .into_iter()
        .filter(|m| op.member_is_uuid(m))
        .collect();
    select(members).boxed()
}

/// A value of the wrong JSON type for any required member (a uuid member
/// wants a string, an object member an object).
fn wrong_value() -> BoxedStrategy<Value> {
    select(vec![json!(42), json!([1]), json!(true), json!(1.5)]).boxed()
}

/// Bodies that do not bind as an object: empty, not JSON, not an object.
fn raw_bodies(kind: Gen) -> Vec<Body> {
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

/// Two or three edits of distinct required members, each a binding error.
fn several_edits(op: Op) -> BoxedStrategy<Vec<Edit>> {
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
enum Failing {
    Who(Who),
    Media(Media),
    Query(Query),
    Edit(Edit),
    Whose(Whose),
    Case(ProviderCase),
    OrgCase(OrgCase),
}

impl Failing {
    fn apply(&self, step: &mut Step) {
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

fn failing(op: Op, stage: Stage) -> BoxedStrategy<Failing> {
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
