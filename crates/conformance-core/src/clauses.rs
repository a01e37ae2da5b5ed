//! The contract as data: every testable statement of CONTRACT.md, with the
//! section and the sentence it comes from (quoted verbatim; a test checks
//! each quote against `contract/CONTRACT.md`), the checks that judge it and
//! what a run needs to reach it. It is the ground of the crate: it names
//! operations ([`Op`]), stages ([`Stage`]) and check kinds ([`Check`]), and
//! nothing that depends on it. The generators that exercise a clause say
//! so themselves (`cases::Gen::targets`); `Gen::for_clause` reads them
//! back. Every run ends with a coverage table keyed by these.

use crate::check::Check;
use crate::operation::Op;
use crate::order::Stage;
use serde::{Deserialize, Serialize};

/// CONTRACT.md's sections, in its order.
pub const SECTIONS: [&str; 6] = [
    "The Lupl Open API contract",
    "Hosts and environments",
    "Operations",
    "Order of checks",
    "ProviderConfiguration",
    "OrganizationConfiguration",
];

/// Whether a generator gives a clause input the contract accepts or refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Polarity {
    /// Accepted (at a boundary: the limit itself).
    Positive,
    /// Refused (one past the limit, or broken).
    Negative,
}

/// What a run needs before it can exercise a clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Needs {
    /// Any run.
    Nothing,
    /// Another tenant's ids: a second identity, or `--foreign-pms-id` and
    /// `--foreign-organization-id`.
    ForeignIds,
    /// Two identities (the built-in model has them).
    TwoIdentities,
    /// The throttling phase (`--check-throttling`; always on the model).
    Throttling,
}

impl Needs {
    /// What to pass to reach it.
    pub fn hint(self) -> &'static str {
        match self {
            Needs::Nothing => "",
            Needs::ForeignIds => "needs --foreign-pms-id and --foreign-organization-id",
            Needs::TwoIdentities => {
                "needs a second identity (the built-in model has one) and the throttling phase"
            }
            Needs::Throttling => "needs --check-throttling",
        }
    }
}

/// One testable statement of CONTRACT.md.
#[derive(Debug, Clone, Copy)]
pub struct ClauseInfo {
    /// The stable id, e.g. `provider.name`.
    pub id: &'static str,
    /// The section of CONTRACT.md.
    pub section: &'static str,
    /// The sentence, as CONTRACT.md writes it.
    pub sentence: &'static str,
    /// The operations it applies to.
    pub ops: &'static [Op],
    /// The checks that judge it.
    pub checks: &'static [Check],
    /// What a run needs to reach it.
    pub needs: Needs,
}

macro_rules! clauses {
    ($( $(#[$doc:meta])* $name:ident = $id:literal, $section:literal, $ops:expr, $needs:ident,
        [$($check:ident),*], $sentence:literal; )*) => {
        /// A clause of CONTRACT.md.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(into = "String", try_from = "String")]
        pub enum Clause {
            $( $(#[$doc])* $name, )*
        }

        impl Clause {
            /// Every clause, in catalogue order.
            pub const ALL: &'static [Clause] = &[ $( Clause::$name, )* ];

            /// The clause's data.
            pub fn info(self) -> ClauseInfo {
                match self {
                    $( Clause::$name => ClauseInfo {
                        id: $id,
                        section: $section,
                        sentence: $sentence,
                        ops: $ops,
                        checks: &[$(Check::$check),*],
                        needs: Needs::$needs,
                    }, )*
                }
            }
        }
    };
}

const ALL_OPS: &[Op] = &Op::ALL;
const GETS: &[Op] = &Op::GETS;
const POSTS: &[Op] = &Op::POSTS;
const SET_PROVIDER: &[Op] = &[Op::SetProvider];
const SET_ORGANIZATION: &[Op] = &[Op::SetOrganization];
const PROVIDER_OPS: &[Op] = &[Op::GetProvider, Op::SetProvider];
const ORGANIZATION_OPS: &[Op] = &[Op::GetOrganization, Op::SetOrganization];

clauses! {
    /// Bodies of 200/403/429 are JSON.
    OpsJsonContentType = "ops.json-content-type", "Operations", ALL_OPS, Nothing, [ContentType],
        "Responses with a body carry `Content-Type: application/json; charset=utf-8`";
    /// 400 and 415 bodies are problem+json.
    OpsProblemContentType = "ops.problem-content-type", "Operations", ALL_OPS, Nothing, [ContentType],
        "except the 400 and 415 problem bodies, which carry `application/problem+json; charset=utf-8` as ASP.NET Core sends them";
    /// Every status is one openapi.json documents.
    OpsDocumentedStatus = "ops.documented-status", "The Lupl Open API contract", ALL_OPS, Nothing, [Documented],
        "`openapi.json`, the model (sandbox) and the conformance checks all follow this file.";
    /// Every body validates against openapi.json's schema.
    OpsResponseSchema = "ops.response-schema", "The Lupl Open API contract", ALL_OPS, Nothing, [Schema],
        "`openapi.json`, the model (sandbox) and the conformance checks all follow this file.";
    /// Paths and parameter names in any letter case.
    RouteCaseInsensitive = "route.case-insensitive", "Order of checks", ALL_OPS, Nothing, [Status],
        "Paths and query parameter names match case-insensitively, as in ASP.NET Core routing and binding";
    /// 405 with `Allow`.
    RouteMethod = "route.405", "Order of checks", GETS, Nothing, [Status, Allow],
        "Another method on one of the two paths is 405 with `Allow: GET, POST`";
    /// 404 elsewhere.
    RoutePath = "route.404", "Order of checks", ALL_OPS, Nothing, [Status],
        "any other path is 404";
    /// Never 5xx.
    RouteNo5xx = "route.no-5xx", "Order of checks", ALL_OPS, Nothing, [No5xx],
        "Nothing answers 5xx, whatever the input";
    /// 401 without a known bearer token.
    AuthRejected = "auth.401", "Order of checks", ALL_OPS, Nothing, [Status],
        "**401** — no `Authorization` header, not `Bearer`, or a token the server does not know (or an expired one).";
    /// The 401's shape.
    AuthChallenge = "auth.challenge", "Order of checks", ALL_OPS, Nothing, [Challenge],
        "Empty body, header `WWW-Authenticate: Bearer`";
    /// The sliding window counts every authenticated request.
    ThrottleWindow = "throttle.window", "Order of checks", ALL_OPS, Throttling, [Quota],
        "the quota counts the token's requests that passed this step in the last `perSeconds` seconds (a sliding window), whatever they answered afterwards";
    /// A 429 does not count.
    ThrottleNotCounted = "throttle.429-not-counted", "Order of checks", &[Op::GetProvider], Throttling, [Quota],
        "a request answered 429 does not count.";
    /// `Retry-After` is exact.
    ThrottleRetryAfter = "throttle.retry-after", "Order of checks", ALL_OPS, Throttling, [RetryAfter],
        "Header `Retry-After: N`, N whole seconds until the oldest counted request leaves the window, rounded up, at least 1";
    /// The gateway's 429 body.
    ThrottleBody = "throttle.body", "Order of checks", ALL_OPS, Throttling, [ThrottleBody],
        "`{\"statusCode\": 429, \"message\": \"Rate limit is exceeded. Try again in N seconds.\"}`";
    /// One token's quota does not throttle another.
    ThrottlePerToken = "throttle.per-token", "Hosts and environments", GETS, TwoIdentities, [Status],
        "Throttling: 1000 calls per minute **[doc]**, per token **[rec]**.";
    /// 415 for a POST that is not JSON.
    MediaNotJson = "media.415", "Order of checks", POSTS, Nothing, [Status],
        "**415** — a POST whose `Content-Type` is not JSON";
    /// A malformed uuid parameter.
    BindQueryMalformed = "bind.query-malformed", "Order of checks", GETS, Nothing, [ErrorKeys, ErrorMessage],
        "malformed uuid in the query: key is the parameter name, message `The value '<raw>' is not valid.`";
    /// A missing or empty parameter.
    BindQueryMissing = "bind.query-missing", "Order of checks", GETS, Nothing, [ErrorKeys, ErrorMessage],
        "missing (or empty) query parameter: key is the parameter name, `The <name> field is required.`";
    /// An empty body.
    BindBodyEmpty = "bind.body-empty", "Order of checks", POSTS, Nothing, [ErrorKeys, ErrorMessage],
        "empty body: key `\"\"`, `A non-empty request body is required.`";
    /// A body that is not a JSON object.
    BindBodyNotObject = "bind.body-not-object", "Order of checks", POSTS, Nothing, [ErrorKeys],
        "body that is not JSON, or not a JSON object: key `$`";
    /// A top-level member of the wrong type.
    BindMemberType = "bind.member-type", "Order of checks", POSTS, Nothing, [ErrorKeys],
        "a top-level member of the wrong JSON type (`pmsId` or `organizationId` not a string or not a uuid, `config` or `fields` not an object): key is the JSON path, `$.pmsId`, `$.config`";
    /// A required top-level member missing or null.
    BindMemberRequired = "bind.member-required", "Order of checks", POSTS, Nothing, [ErrorKeys, ErrorMessage],
        "a required top-level member missing or `null` (`pmsId`, `config`, `organizationId`, `fields`): key is the member name, `The <name> field is required.`";
    /// Unknown top-level members are ignored.
    BindUnknownMembers = "bind.unknown-members", "Order of checks", POSTS, Nothing, [Status],
        "Unknown top-level members are ignored, not rejected";
    /// The uuid forms.
    BindUuidForms = "bind.uuid-forms", "Order of checks", ALL_OPS, Nothing, [Status, ErrorKeys],
        "A uuid is accepted in the forms .NET's `Guid.Parse` takes: 32 hex digits, either case, bare or as 8-4-4-4-12 with hyphens, optionally wrapped in `{}` or `()`; anything else is malformed";
    /// A parameter twice binds the first.
    BindQueryTwice = "bind.query-twice", "Order of checks", GETS, Nothing, [Status, ErrorKeys, ErrorMessage],
        "A query parameter given twice is bound from its first value";
    /// Every binding error at once.
    BindAllAtOnce = "bind.all-at-once", "Order of checks", POSTS, Nothing, [ErrorKeys],
        "Every binding error of a request is reported at once, one key each.";
    /// Owners only, on provider endpoints.
    AuthzProviderOwner = "authz.provider-owner", "Order of checks", PROVIDER_OPS, ForeignIds, [Status],
        "Provider endpoints: the caller must be the registered owner of `pmsId`.";
    /// Managers only, on organization endpoints.
    AuthzOrgManager = "authz.organization-manager", "Order of checks", ORGANIZATION_OPS, ForeignIds, [Status],
        "Organization endpoints: the caller must be a manager of `organizationId`.";
    /// 403 for what does not exist.
    AuthzNonexistent = "authz.nonexistent", "Order of checks", ALL_OPS, Nothing, [Status],
        "**403** — the caller may not touch that resource **or** it does not exist";
    /// The 403 body.
    AuthzBody = "authz.body", "Order of checks", ALL_OPS, Nothing, [ForbiddenBody],
        "body `{}`";
    /// Unauthenticated with a non-JSON body: 401.
    Order13 = "order.1-3", "Order of checks", POSTS, Nothing, [Status],
        "A request is judged in this order; the first failing step answers.";
    /// Unauthenticated and a binding error: 401.
    Order14 = "order.1-4", "Order of checks", ALL_OPS, Nothing, [Status],
        "A request is judged in this order; the first failing step answers.";
    /// Unauthenticated and another's resource: 401.
    Order15 = "order.1-5", "Order of checks", ALL_OPS, Nothing, [Status],
        "A request is judged in this order; the first failing step answers.";
    /// Unauthenticated while the token is throttled: 401.
    Order12 = "order.1-2", "Order of checks", ALL_OPS, Throttling, [Status],
        "A request is judged in this order; the first failing step answers.";
    /// Throttled with a non-JSON body: 429.
    Order23 = "order.2-3", "Order of checks", POSTS, Throttling, [Status],
        "A request is judged in this order; the first failing step answers.";
    /// Throttled with a binding error: 429.
    Order24 = "order.2-4", "Order of checks", ALL_OPS, Throttling, [Status],
        "A request is judged in this order; the first failing step answers.";
    /// Throttled on another's resource: 429.
    Order25 = "order.2-5", "Order of checks", ALL_OPS, Throttling, [Status],
        "A request is judged in this order; the first failing step answers.";
    /// Not JSON and a binding error: 415.
    Order34 = "order.3-4", "Order of checks", POSTS, Nothing, [Status],
        "A request is judged in this order; the first failing step answers.";
    /// A binding error on another's resource: 400.
    Order45 = "order.4-5", "Order of checks", POSTS, Nothing, [Status, ErrorKeys],
        "A request is judged in this order; the first failing step answers.";
    /// Broken rules on another's resource: 403.
    Order56 = "order.5-6", "Order of checks", POSTS, Nothing, [Status],
        "Only the top level is bound here: `config` and `fields` are taken as JSON objects, and what is inside them is judged at step 6, after authorization.";
    /// Every broken rule at once.
    RulesAllAtOnce = "rules.all-at-once", "Order of checks", POSTS, Nothing, [ErrorKeys],
        "Every broken rule is reported at once, each under its key";
    /// A wrong JSON type inside `config` breaks that member's rule.
    RulesWrongTypeInside = "rules.wrong-type-inside", "Order of checks", SET_PROVIDER, Nothing, [ErrorKeys],
        "a member of the wrong JSON type inside `config` breaks the rule of that member.";
    /// A valid write is stored.
    StoreAccept = "store.accept", "Order of checks", POSTS, Nothing, [Status],
        "**200** — the change is stored";
    /// A later GET returns it exactly.
    StoreExact = "store.exact", "Order of checks", GETS, Nothing, [RoundTrip],
        "a later GET by an authorized caller returns it exactly as sent, as a JSON value (member order and white space aside)";
    /// Unknown members inside `config` are kept.
    StoreUnknownConfigMembers = "store.unknown-config-members", "Order of checks", PROVIDER_OPS, Nothing, [RoundTrip],
        "unknown members inside `config` are kept";
    /// Unknown top-level members are dropped.
    StoreUnknownTopLevelDropped = "store.unknown-top-level-dropped", "Order of checks", &[Op::GetOrganization], Nothing, [RoundTrip],
        "unknown top-level members are dropped";
    /// A refused write stores nothing.
    StoreRefusedNoEffect = "store.refused-no-effect", "Order of checks", GETS, Nothing, [RoundTrip],
        "A request is judged in this order; the first failing step answers.";
    /// `name`.
    ProviderName = "provider.name", "ProviderConfiguration", SET_PROVIDER, Nothing, [Status, ErrorKeys],
        "`name` (required): 1–100 characters after trimming → `config.name`.";
    /// `description`.
    ProviderDescription = "provider.description", "ProviderConfiguration", SET_PROVIDER, Nothing, [Status, ErrorKeys],
        "`description` (optional): at most 1000 characters → `config.description`.";
    /// `baseUrl`.
    ProviderBaseUrl = "provider.base-url", "ProviderConfiguration", SET_PROVIDER, Nothing, [Status, ErrorKeys],
        "`baseUrl` (required): absolute `https` URL → `config.baseUrl`.";
    /// OAuth2 authentication.
    ProviderOauth2 = "provider.oauth2", "ProviderConfiguration", SET_PROVIDER, Nothing, [Status, ErrorKeys],
        "`oauth2`: `authorizationUrl`, `tokenUrl` absolute `https` URLs; `scopes` an array of non-empty strings (may be empty) → `config.authentication.<member>`;";
    /// API-key authentication.
    ProviderApiKey = "provider.api-key", "ProviderConfiguration", SET_PROVIDER, Nothing, [Status, ErrorKeys],
        "`apiKey`: `headerName` a valid HTTP header name; `field` the key of a declared field of type `string` → `config.authentication.<member>`;";
    /// Another authentication type.
    ProviderAuthType = "provider.auth-type", "ProviderConfiguration", SET_PROVIDER, Nothing, [ErrorKeys],
        "any other `type` → `config.authentication.type`.";
    /// `endpoints`.
    ProviderEndpoints = "provider.endpoints", "ProviderConfiguration", SET_PROVIDER, Nothing, [Status, ErrorKeys],
        "`endpoints` (required): at least one entry; keys from `matters`, `clients`, `hours`, `billing`, `invoices`; values are paths starting with `/` → `config.endpoints` or `config.endpoints.<key>`.";
    /// At most 50 fields.
    ProviderFieldsCount = "provider.fields-count", "ProviderConfiguration", SET_PROVIDER, Nothing, [Status, ErrorKeys],
        "`fields` (optional, default `[]`, at most 50)";
    /// A field's key.
    ProviderFieldKey = "provider.field-key", "ProviderConfiguration", SET_PROVIDER, Nothing, [Status, ErrorKeys],
        "each `key` matches `^[A-Za-z][A-Za-z0-9_]{0,63}$` and is unique";
    /// A field's label.
    ProviderFieldLabel = "provider.field-label", "ProviderConfiguration", SET_PROVIDER, Nothing, [Status, ErrorKeys],
        "`label` 1–100 characters";
    /// A field's type.
    ProviderFieldType = "provider.field-type", "ProviderConfiguration", SET_PROVIDER, Nothing, [Status, ErrorKeys],
        "`type` is `string`, `number`, `boolean` or `select`";
    /// A field's options.
    ProviderFieldOptions = "provider.field-options", "ProviderConfiguration", SET_PROVIDER, Nothing, [Status, ErrorKeys],
        "`options` is a non-empty list of unique strings for `select` and absent otherwise";
    /// A field's pattern.
    ProviderFieldPattern = "provider.field-pattern", "ProviderConfiguration", SET_PROVIDER, Nothing, [Status, ErrorKeys],
        "`pattern`, only on `string`, is a valid regular expression → `config.fields[<i>].<member>`.";
    /// Placeholders name declared fields.
    ProviderPlaceholders = "provider.placeholders", "ProviderConfiguration", SET_PROVIDER, Nothing, [Status, ErrorKeys],
        "Every `{placeholder}` in `baseUrl`, the oauth2 URLs and the endpoint paths names a declared field → the member that holds it.";
    /// `null` for an optional member.
    ProviderNullOptional = "provider.null-optional", "ProviderConfiguration", SET_PROVIDER, Nothing, [ErrorKeys],
        "An optional member present with `null` (`description`, `fields`, `scopes`, a field's `pattern`, `options` or `required`) has the wrong type: a 400 under that member's key.";
    /// The provider must be configured.
    OrgProviderExists = "organization.provider-exists", "OrganizationConfiguration", SET_ORGANIZATION, Nothing, [ErrorKeys, ErrorMessage],
        "`pmsId` names a registered provider that has a configuration → else `pmsId` (`The PMS provider '<id>' does not exist or has no configuration.`).";
    /// Required fields.
    OrgRequired = "organization.required", "OrganizationConfiguration", SET_ORGANIZATION, Nothing, [Status, ErrorKeys, ErrorMessage],
        "every field with `required: true` is present and not `null` → `fields.<key>` (`The <key> field is required.`);";
    /// Declared keys only.
    OrgDeclared = "organization.declared", "OrganizationConfiguration", SET_ORGANIZATION, Nothing, [ErrorKeys],
        "no key that the provider does not declare → `fields.<key>`;";
    /// String values and patterns.
    OrgString = "organization.string", "OrganizationConfiguration", SET_ORGANIZATION, Nothing, [Status, ErrorKeys],
        "`string` a JSON string (matching `pattern` when set, unanchored as in JSON Schema, so `^…$` anchors explicitly)";
    /// Number values.
    OrgNumber = "organization.number", "OrganizationConfiguration", SET_ORGANIZATION, Nothing, [Status, ErrorKeys],
        "`number` a JSON number";
    /// Boolean values.
    OrgBoolean = "organization.boolean", "OrganizationConfiguration", SET_ORGANIZATION, Nothing, [Status, ErrorKeys],
        "`boolean` a JSON boolean";
    /// Select values.
    OrgSelect = "organization.select", "OrganizationConfiguration", SET_ORGANIZATION, Nothing, [Status, ErrorKeys],
        "`select` one of `options`";
    /// Optional fields may be `null`.
    OrgOptionalNull = "organization.optional-null", "ProviderConfiguration", ORGANIZATION_OPS, Nothing, [Status, RoundTrip],
        "a field that is not required may be `null`, and is stored as `null`.";
    /// A provider change leaves organizations alone.
    OrgProviderChange = "organization.provider-change", "OrganizationConfiguration", &[Op::GetOrganization], Nothing, [RoundTrip],
        "Changing a provider's configuration later does not rewrite stored organization configurations.";
}

impl Clause {
    /// The clause with this id.
    pub fn from_id(id: &str) -> Option<Clause> {
        Clause::ALL.iter().copied().find(|c| c.info().id == id)
    }

    /// The clause for a request that fails at `first` and then at `second`
    /// of the order of checks, if the catalogue has one.
    pub fn order(first: Stage, second: Stage) -> Option<Clause> {
        use Stage::*;
        Some(match (first, second) {
            (Authentication, Throttling) => Clause::Order12,
            (Authentication, MediaType) => Clause::Order13,
            (Authentication, Binding) => Clause::Order14,
            (Authentication, Authorization) => Clause::Order15,
            (Throttling, MediaType) => Clause::Order23,
            (Throttling, Binding) => Clause::Order24,
            (Throttling, Authorization) => Clause::Order25,
            (MediaType, Binding) => Clause::Order34,
            (Binding, Authorization) => Clause::Order45,
            (Authorization, Rules) => Clause::Order56,
            _ => return None,
        })
    }
}

impl std::fmt::Display for Clause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.info().id)
    }
}

impl From<Clause> for String {
    fn from(c: Clause) -> String {
        c.info().id.to_owned()
    }
}

impl TryFrom<String> for Clause {
    type Error = String;

    fn try_from(id: String) -> Result<Self, String> {
        Clause::from_id(&id).ok_or_else(|| format!("no clause {id:?} in the catalogue"))
    }
}
