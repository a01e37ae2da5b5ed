//! What the harness sends: steps of a sequence, each labelled with how it
//! was made, so that the oracle can predict the answer without asking the
//! model. Binding-level variations come from `openapi.json` (parameters,
//! required members, member types); configurations are valid by
//! construction and then broken in one labelled way per CONTRACT.md rule.

use lupl_spec::Spec;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value, json};

/// A deterministic proptest RNG from a seed and an 8-byte salt (the salt
/// keeps the runner's and the oracle's streams apart).
pub fn seeded_rng(seed: u64, salt: &[u8; 8]) -> proptest::test_runner::TestRng {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes[8..16].copy_from_slice(salt);
    proptest::test_runner::TestRng::from_seed(proptest::test_runner::RngAlgorithm::ChaCha, &bytes)
}

/// The four operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
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

    /// The operation's path and method, from the spec.
    pub fn route(self) -> (String, String) {
        Spec::workspace()
            .operation(self.operation_id())
            .map(|o| (o.method, o.path))
            .unwrap_or_default()
    }

    /// The name of the uuid query parameter of a GET, from the spec.
    pub fn query_parameter(self) -> String {
        let (method, path) = self.route();
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
}

/// Who sends a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// Identity 0 or 1 of the target, with its token.
    Identity(usize),
    /// No `Authorization` header.
    NoToken,
    /// A bearer token the server does not know.
    UnknownToken,
    /// The right token under another scheme.
    BasicScheme,
}

/// Whose resource a step names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whose {
    /// The sender's own provider or organization.
    Own,
    /// The other identity's (another tenant's).
    Foreign,
    /// An id nobody has.
    Nobody,
}

/// How the request is formed, beyond who sends it and whose resource it names.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// A valid request; for POSTs, a valid body (see [`Body`]).
    Valid(Body),
    /// The id in another form .NET's Guid parser takes (still valid).
    IdForm(IdForm, Body),
    /// A query parameter missing.
    MissingParameter,
    /// A query parameter present but empty.
    EmptyParameter,
    /// A query parameter that is not a uuid.
    MalformedParameter(String),
    /// A POST with this non-JSON content type.
    ContentType(String),
    /// An empty POST body.
    EmptyBody,
    /// A POST body that is not JSON.
    NotJson(String),
    /// A POST body that is JSON but not an object.
    NotObject(Value),
    /// A required top-level member (from the spec) removed.
    MissingMember(String),
    /// A required top-level member set to `null`.
    NullMember(String),
    /// A top-level member of the wrong JSON type.
    WrongType(String, Value),
    /// An unknown top-level member added (ignored by the server).
    ExtraMember(String),
}

/// Accepted uuid spellings besides lower-case hyphenated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdForm {
    /// Upper case.
    Upper,
    /// 32 hex digits.
    Bare,
    /// `{…}`.
    Braces,
    /// `(…)`.
    Parens,
}

impl IdForm {
    /// `id` in this form.
    pub fn render(self, id: &str) -> String {
        match self {
            IdForm::Upper => id.to_uppercase(),
            IdForm::Bare => id.replace('-', ""),
            IdForm::Braces => format!("{{{id}}}"),
            IdForm::Parens => format!("({id})"),
        }
    }
}

/// A POST body's content: valid, or broken in one labelled way.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// GETs have none.
    None,
    /// A provider configuration, valid by construction, perhaps broken.
    Provider(Value, Option<ProviderViolation>),
    /// Organization fields generated at send time against the provider's
    /// current configuration (seeded), perhaps broken.
    Organization(u64, Option<OrgViolation>),
}

/// A CONTRACT.md ProviderConfiguration rule broken on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderViolation {
    /// "`name` … 1–100 characters after trimming".
    BlankName,
    /// ditto, too long.
    LongName,
    /// "`description` … at most 1000 characters".
    LongDescription,
    /// "`baseUrl` … absolute `https` URL".
    HttpBaseUrl,
    /// "Every `{placeholder}` … names a declared field".
    UndeclaredPlaceholder,
    /// "`oauth2`: … `tokenUrl` absolute `https` URLs".
    HttpTokenUrl,
    /// "`scopes` an array of non-empty strings".
    EmptyScope,
    /// "`apiKey`: `headerName` a valid HTTP header name".
    BadHeaderName,
    /// "`field` the key of a declared field of type `string`".
    ApiKeyFieldUndeclared,
    /// "any other `type` → `config.authentication.type`".
    UnknownAuthType,
    /// "`endpoints` (required): at least one entry".
    NoEndpoints,
    /// "keys from `matters`, `clients`, …".
    UnknownEndpoint,
    /// "values are paths starting with `/`".
    RelativeEndpoint,
    /// "`fields` … at most 50".
    TooManyFields,
    /// "each `key` matches `^[A-Za-z][A-Za-z0-9_]{0,63}$`".
    BadFieldKey,
    /// "… and is unique".
    DuplicateFieldKey,
    /// "`label` 1–100 characters".
    EmptyLabel,
    /// "`type` is `string`, `number`, `boolean` or `select`".
    UnknownFieldType,
    /// "`options` is a non-empty list … for `select`".
    SelectWithoutOptions,
    /// "… and absent otherwise".
    OptionsOnString,
    /// "`pattern` … is a valid regular expression".
    InvalidPattern,
    /// "`pattern`, only on `string`".
    PatternOnNumber,
}

/// A CONTRACT.md OrganizationConfiguration rule broken on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgViolation {
    /// "`pmsId` names a registered provider that has a configuration".
    UnknownProvider,
    /// "every field with `required: true` is present and not `null`".
    MissingRequired,
    /// "no key that the provider does not declare".
    UndeclaredKey,
    /// "values by type".
    WrongValueType,
}

/// One step of a sequence.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The operation.
    pub op: Op,
    /// The sender.
    pub who: Who,
    /// Whose resource.
    pub whose: Whose,
    /// How the request is formed.
    pub shape: Shape,
}

/// Field keys, types and options for generated configurations.
const KEYS: [&str; 6] = ["region", "firmCode", "seats", "sso", "tenant", "apiKey"];
/// Patterns generated `string` fields may carry, with a value that matches
/// and one that does not.
pub const PATTERNS: [(&str, &str, &str); 3] = [
    ("^[A-Z]{3}[0-9]{3}$", "ACM001", "acm-1"),
    ("[0-9]+", "x42y", "none"),
    ("^eu|us$", "eu", "apac"),
];

/// The enum of a schema in openapi.json, e.g. the field types.
fn spec_enum(schema: &str) -> Vec<String> {
    Spec::workspace()
        .document()
        .pointer(&format!("/components/schemas/{schema}/enum"))
        .and_then(Value::as_array)
        .map(|v| {
            v.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The declared property names of a schema, e.g. the endpoint keys.
fn spec_properties(schema: &str) -> Vec<String> {
    Spec::workspace()
        .document()
        .pointer(&format!("/components/schemas/{schema}/properties"))
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// The JSON schema of an operation's request body, from the spec.
fn request_schema(op: Op) -> Option<&'static Value> {
    let (method, path) = op.route();
    let pointer = format!(
        "/paths/{}/{}/requestBody/content/application~1json/schema",
        path.replace('/', "~1"),
        method.to_ascii_lowercase()
    );
    Spec::workspace().resolve(&pointer).ok()
}

/// The required top-level members of an operation's request body, from the spec.
pub fn required_members(op: Op) -> Vec<String> {
    request_schema(op)
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

#[derive(Debug, Clone)]
struct FieldPlan {
    key: &'static str,
    kind: String,
    required: bool,
    pattern: Option<usize>,
}

fn field_plan() -> impl Strategy<Value = Vec<FieldPlan>> {
    let kinds = spec_enum("ProviderFieldType");
    proptest::sample::subsequence(KEYS.to_vec(), 0..=KEYS.len()).prop_flat_map(move |keys| {
        let n = keys.len();
        (
            Just(keys),
            proptest::collection::vec(select(kinds.clone()), n),
            proptest::collection::vec(any::<bool>(), n),
            proptest::collection::vec(proptest::option::of(0..PATTERNS.len()), n),
        )
            .prop_map(|(keys, kinds, required, patterns)| {
                keys.into_iter()
                    .zip(kinds)
                    .zip(required)
                    .zip(patterns)
                    .map(|(((key, kind), required), pattern)| FieldPlan {
                        key,
                        pattern: pattern.filter(|_| kind == "string"),
                        kind,
                        required,
                    })
                    .collect()
            })
    })
}

/// Valid provider configurations: every rule of CONTRACT.md holds by
/// construction (placeholders name declared fields, an apiKey field is a
/// declared string field, …); leaf values come from the spec's enums and
/// property lists.
pub fn valid_provider_config() -> impl Strategy<Value = Value> {
    let endpoints = spec_properties("ProviderEndpoints");
    (
        field_plan(),
        "[A-Za-z][A-Za-z0-9 .&-]{0,40}",
        proptest::option::of("[ -~]{0,80}"),
        proptest::sample::subsequence(endpoints.clone(), 1..=endpoints.len()),
        any::<bool>(),
        any::<bool>(),
        proptest::collection::vec("[a-z]{1,8}\\.(read|write)", 0..3),
        "[a-z]{2,12}",
    )
        .prop_map(
            |(
                fields,
                name,
                description,
                endpoint_keys,
                use_api_key,
                use_placeholder,
                scopes,
                host,
            )| {
                let string_field = fields.iter().find(|f| f.kind == "string").map(|f| f.key);
                let placeholder = fields.first().filter(|_| use_placeholder).map(|f| f.key);
                let host = match placeholder {
                    Some(p) => format!("{{{p}}}.{host}.example"),
                    None => format!("api.{host}.example"),
                };
                let authentication = match (use_api_key, string_field) {
                    (true, Some(field)) => {
                        json!({"type": "apiKey", "headerName": "X-Api-Key", "field": field})
                    }
                    _ => json!({"type": "oauth2",
                        "authorizationUrl": format!("https://{host}/authorize"),
                        "tokenUrl": format!("https://{host}/token"),
                        "scopes": scopes}),
                };
                let endpoints: Map<String, Value> = endpoint_keys
                    .into_iter()
                    .map(|k| {
                        let path = match placeholder {
                            Some(p) => format!("/v1/{{{p}}}/{k}"),
                            None => format!("/v1/{k}"),
                        };
                        (k, json!(path))
                    })
                    .collect();
                let fields: Vec<Value> = fields
                    .iter()
                    .map(|f| {
                        let mut field = json!({"key": f.key, "label": format!("The {}", f.key),
                                               "type": f.kind, "required": f.required});
                        if f.kind == "select" {
                            field["options"] = json!(["us", "eu", "apac"]);
                        }
                        if let Some(p) = f.pattern {
                            field["pattern"] = json!(PATTERNS[p].0);
                        }
                        field
                    })
                    .collect();
                let mut config = json!({
                    "name": name,
                    "baseUrl": format!("https://{host}"),
                    "authentication": authentication,
                    "endpoints": endpoints,
                    "fields": fields,
                });
                if let Some(d) = description {
                    config["description"] = json!(d);
                }
                config
            },
        )
}

fn provider_violation() -> impl Strategy<Value = ProviderViolation> {
    select(ProviderViolation::ALL.to_vec())
}

impl ProviderViolation {
    /// Every rule the generator breaks.
    pub const ALL: [ProviderViolation; 22] = {
        use ProviderViolation::*;
        [
            BlankName,
            LongName,
            LongDescription,
            HttpBaseUrl,
            UndeclaredPlaceholder,
            HttpTokenUrl,
            EmptyScope,
            BadHeaderName,
            ApiKeyFieldUndeclared,
            UnknownAuthType,
            NoEndpoints,
            UnknownEndpoint,
            RelativeEndpoint,
            TooManyFields,
            BadFieldKey,
            DuplicateFieldKey,
            EmptyLabel,
            UnknownFieldType,
            SelectWithoutOptions,
            OptionsOnString,
            InvalidPattern,
            PatternOnNumber,
        ]
    };
}

/// Breaks `config` by `violation`; returns the key CONTRACT.md says the
/// 400 must carry.
pub fn break_provider(config: &mut Value, violation: ProviderViolation) -> String {
    use ProviderViolation::*;
    let fields_len = config["fields"].as_array().map_or(0, Vec::len);
    match violation {
        BlankName => {
            config["name"] = json!("   ");
            "config.name".into()
        }
        LongName => {
            config["name"] = json!("n".repeat(101));
            "config.name".into()
        }
        LongDescription => {
            config["description"] = json!("d".repeat(1001));
            "config.description".into()
        }
        HttpBaseUrl => {
            config["baseUrl"] = json!("http://api.plain.example");
            "config.baseUrl".into()
        }
        UndeclaredPlaceholder => {
            config["baseUrl"] = json!("https://{undeclaredField}.acme.example");
            "config.baseUrl".into()
        }
        HttpTokenUrl => {
            config["authentication"] = json!({"type": "oauth2",
                "authorizationUrl": "https://auth.example/authorize", "tokenUrl": "http://auth.example/token"});
            "config.authentication.tokenUrl".into()
        }
        EmptyScope => {
            config["authentication"] = json!({"type": "oauth2",
                "authorizationUrl": "https://auth.example/authorize", "tokenUrl": "https://auth.example/token",
                "scopes": ["ok", ""]});
            "config.authentication.scopes".into()
        }
        BadHeaderName => {
            config["authentication"] =
                json!({"type": "apiKey", "headerName": "X Api Key", "field": "nope"});
            "config.authentication.headerName".into()
        }
        ApiKeyFieldUndeclared => {
            config["authentication"] =
                json!({"type": "apiKey", "headerName": "X-Key", "field": "notDeclared"});
            "config.authentication.field".into()
        }
        UnknownAuthType => {
            config["authentication"] = json!({"type": "saml"});
            "config.authentication.type".into()
        }
        NoEndpoints => {
            config["endpoints"] = json!({});
            "config.endpoints".into()
        }
        UnknownEndpoint => {
            config["endpoints"]["payroll"] = json!("/payroll");
            "config.endpoints.payroll".into()
        }
        RelativeEndpoint => {
            config["endpoints"] = json!({"matters": "matters"});
            "config.endpoints.matters".into()
        }
        TooManyFields => {
            let mut fields = config["fields"].as_array().cloned().unwrap_or_default();
            for i in fields.len()..51 {
                fields
                    .push(json!({"key": format!("extra{i}"), "label": "Extra", "type": "boolean"}));
            }
            config["fields"] = json!(fields);
            "config.fields".into()
        }
        BadFieldKey => {
            push_field(
                config,
                json!({"key": "9starts_with_digit", "label": "Bad", "type": "number"}),
            );
            format!("config.fields[{fields_len}].key")
        }
        DuplicateFieldKey => {
            push_field(
                config,
                json!({"key": "dup", "label": "Dup", "type": "number"}),
            );
            push_field(
                config,
                json!({"key": "dup", "label": "Dup", "type": "number"}),
            );
            format!("config.fields[{}].key", fields_len + 1)
        }
        EmptyLabel => {
            push_field(
                config,
                json!({"key": "unlabelled", "label": "", "type": "number"}),
            );
            format!("config.fields[{fields_len}].label")
        }
        UnknownFieldType => {
            push_field(
                config,
                json!({"key": "when", "label": "When", "type": "date"}),
            );
            format!("config.fields[{fields_len}].type")
        }
        SelectWithoutOptions => {
            push_field(
                config,
                json!({"key": "pick", "label": "Pick", "type": "select"}),
            );
            format!("config.fields[{fields_len}].options")
        }
        OptionsOnString => {
            push_field(
                config,
                json!({"key": "text", "label": "Text", "type": "string", "options": ["a"]}),
            );
            format!("config.fields[{fields_len}].options")
        }
        InvalidPattern => {
            push_field(
                config,
                json!({"key": "code", "label": "Code", "type": "string", "pattern": "(["}),
            );
            format!("config.fields[{fields_len}].pattern")
        }
        PatternOnNumber => {
            push_field(
                config,
                json!({"key": "count", "label": "Count", "type": "number", "pattern": "^1$"}),
            );
            format!("config.fields[{fields_len}].pattern")
        }
    }
}

fn push_field(config: &mut Value, field: Value) {
    if let Some(fields) = config["fields"].as_array_mut() {
        fields.push(field);
    } else {
        config["fields"] = json!([field]);
    }
}

fn org_violation() -> impl Strategy<Value = OrgViolation> {
    select(vec![
        OrgViolation::UnknownProvider,
        OrgViolation::MissingRequired,
        OrgViolation::UndeclaredKey,
        OrgViolation::WrongValueType,
    ])
}

fn body_for(op: Op) -> BoxedStrategy<Body> {
    match op {
        Op::SetProvider => (
            valid_provider_config(),
            proptest::option::weighted(0.4, provider_violation()),
        )
            .prop_map(|(c, v)| Body::Provider(c, v))
            .boxed(),
        Op::SetOrganization => (
            any::<u64>(),
            proptest::option::weighted(0.4, org_violation()),
        )
            .prop_map(|(seed, v)| Body::Organization(seed, v))
            .boxed(),
        _ => Just(Body::None).boxed(),
    }
}

fn shape_for(op: Op) -> BoxedStrategy<Shape> {
    let valid = body_for(op).prop_map(Shape::Valid).boxed();
    let id_form = (
        select(vec![
            IdForm::Upper,
            IdForm::Bare,
            IdForm::Braces,
            IdForm::Parens,
        ]),
        body_for(op),
    )
        .prop_map(|(f, b)| Shape::IdForm(f, b))
        .boxed();
    if op.is_post() {
        let members = required_members(op);
        let member = select(members.clone());
        prop_oneof![
            6 => valid,
            1 => id_form,
            1 => select(vec!["text/plain", "application/xml", "application/x-www-form-urlencoded"])
                .prop_map(|c| Shape::ContentType(c.to_owned())),
            1 => Just(Shape::EmptyBody),
            1 => select(vec!["{", "not json", "{\"a\":}", "[1,"]).prop_map(|s| Shape::NotJson(s.to_owned())),
            1 => select(vec![json!([]), json!("text"), json!(7), json!(null), json!(true)]).prop_map(Shape::NotObject),
            1 => member.clone().prop_map(Shape::MissingMember),
            1 => member.clone().prop_map(Shape::NullMember),
            1 => (member, select(vec![json!(42), json!([1]), json!("not-a-uuid-or-object"), json!(true)]))
                .prop_map(|(m, v)| Shape::WrongType(m, v)),
            1 => "[a-z]{3,10}".prop_map(Shape::ExtraMember),
        ]
        .boxed()
    } else {
        prop_oneof![
            6 => valid,
            1 => id_form,
            1 => Just(Shape::MissingParameter),
            1 => Just(Shape::EmptyParameter),
            1 => prop_oneof![
                Just("asdf".to_owned()),
                "[g-z]{1,12}",
                Just("urn:uuid:4efafdc0-2783-4af6-9cac-d2b2be27a080".to_owned()),
                Just("4efafdc0-2783-4af6-9cac-d2b2be27a08".to_owned()),
            ]
            .prop_map(Shape::MalformedParameter),
        ]
        .boxed()
    }
}

/// A step; `identities` is how many identities the target has.
pub fn step(identities: usize) -> impl Strategy<Value = Step> {
    let who = prop_oneof![
        12 => (0..identities).prop_map(Who::Identity),
        1 => Just(Who::NoToken),
        1 => Just(Who::UnknownToken),
        1 => Just(Who::BasicScheme),
    ];
    let whose =
        prop_oneof![8 => Just(Whose::Own), 2 => Just(Whose::Foreign), 1 => Just(Whose::Nobody)];
    (select(Op::ALL.to_vec()), who, whose)
        .prop_flat_map(|(op, who, whose)| (Just(op), Just(who), Just(whose), shape_for(op)))
        .prop_map(|(op, who, whose, shape)| Step {
            op,
            who,
            whose,
            shape,
        })
}

/// A sequence of steps (a stateful case).
pub fn sequence(identities: usize) -> impl Strategy<Value = Vec<Step>> {
    proptest::collection::vec(step(identities), 1..8)
}
