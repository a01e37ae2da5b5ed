//! The generator catalogue: every [`Gen`], the operations it makes cases
//! for and the clauses it exercises ([`Gen::targets`]).

use crate::cases::organization::OrgCase;
use crate::cases::provider::ProviderCase;
use crate::clauses::{Clause, Polarity};
use crate::mutations::Family;
use crate::operation::Op;
use crate::order::Stage;
use serde::{Deserialize, Serialize};

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
    /// The real token, changed a little ([`Family::TokenNearMiss`]).
    TokenNearMiss,
    /// The real token in another carrier ([`Family::TokenCarrier`]).
    TokenCarrier,
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
            Gen::TokenNearMiss,
            Gen::TokenCarrier,
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
            Gen::NoToken
            | Gen::OtherScheme
            | Gen::UnknownToken
            | Gen::TokenNearMiss
            | Gen::TokenCarrier => vec![(C::AuthRejected, N), (C::AuthChallenge, N)],
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

    /// The mutation family its cases come from, if any.
    ///
    /// ```
    /// use conformance_core::cases::{Gen, ProviderCase};
    /// use conformance_core::mutations::Family;
    /// assert_eq!(Gen::TokenCarrier.family(), Some(Family::TokenCarrier));
    /// assert_eq!(Gen::Provider(ProviderCase::AuthTypeCase).family(), Some(Family::LetterCase));
    /// assert_eq!(Gen::Valid.family(), None);
    /// ```
    pub fn family(self) -> Option<Family> {
        match self {
            Gen::TokenNearMiss => Some(Family::TokenNearMiss),
            Gen::TokenCarrier => Some(Family::TokenCarrier),
            Gen::Provider(case) => case.family(),
            Gen::Organization(case) => case.family(),
            _ => None,
        }
    }

    /// The generators that exercise `clause`, with their polarity.
    pub fn for_clause(clause: Clause) -> Vec<(Gen, Polarity)> {
        Gen::all()
            .into_iter()
            .flat_map(|g| {
                g.targets()
                    .into_iter()
                    .filter(move |(c, _)| *c == clause)
                    .map(move |(_, p)| (g, p))
            })
            .collect()
    }
}
