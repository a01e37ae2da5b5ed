//! Provider configurations: valid by construction ([`valid_config`]), then
//! changed by [`ProviderCase`]s, each at one boundary of one rule of
//! CONTRACT.md's "ProviderConfiguration" section: a value at the limit (the
//! contract accepts it) or one past it (a 400 under a key the case knows).
//!
//! Values are chosen where the contract is unambiguous: lengths near a
//! limit use characters of the Basic Multilingual Plane (one UTF-16 unit,
//! one code point), white space at a name's edges is ASCII, and URL
//! spellings the contract leaves open (an upper-case scheme, a space) are
//! not generated.

use crate::clauses::{Clause, Polarity};
use crate::mutations::Family;
use proptest::prelude::*;
use proptest::sample::select;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// Field keys of generated configurations.
const KEYS: [&str; 6] = ["region", "firmCode", "seats", "sso", "tenant", "apiKey"];

/// Patterns generated `string` fields may carry, with a value that matches
/// (unanchored, as CONTRACT.md says) and one that does not.
pub const PATTERNS: [(&str, &str, &str); 3] = [
    ("^[A-Z]{3}[0-9]{3}$", "ACM001", "ACM0011"),
    ("[0-9]+", "x42y", "none"),
    ("^eu|us$", "eu-west", "apac"),
];

/// Endpoint keys CONTRACT.md allows, as openapi.json lists them.
pub fn endpoint_keys() -> Vec<String> {
    lupl_spec::Spec::workspace()
        .document()
        .pointer("/components/schemas/ProviderEndpoints/properties")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// Field types CONTRACT.md allows, as openapi.json lists them.
pub fn field_types() -> Vec<String> {
    lupl_spec::Spec::workspace()
        .document()
        .pointer("/components/schemas/ProviderFieldType/enum")
        .and_then(Value::as_array)
        .map(|v| {
            v.iter()
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
    let kinds = field_types();
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

/// Valid provider configurations: every rule holds by construction
/// (placeholders name declared fields, an apiKey field is a declared string
/// field, …); leaf values come from the spec's enums and property lists.
pub fn valid_config() -> BoxedStrategy<Value> {
    let endpoints = endpoint_keys();
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
        .boxed()
}

/// A member or group of members a case changes; cases that change the same
/// one are not combined. Appending a field is the one change that combines
/// with itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Slots(u8);

impl Slots {
    const NAME: u8 = 1;
    const DESCRIPTION: u8 = 2;
    const BASE_URL: u8 = 4;
    const AUTH: u8 = 8;
    const ENDPOINTS: u8 = 16;
    const APPEND: u8 = 32;
    const FIELDS: u8 = 64;
    const EXTRA: u8 = 128;
    /// Everything that refers to declared fields, and the fields.
    const REFERENCES: u8 = Self::BASE_URL | Self::AUTH | Self::ENDPOINTS | Self::FIELDS;

    fn conflicts(self, other: Slots) -> bool {
        let exclusive = |s: u8| s & !Self::APPEND;
        exclusive(self.0) & exclusive(other.0) != 0
            || (self.0 & Self::FIELDS != 0 && other.0 & Self::APPEND != 0)
            || (other.0 & Self::FIELDS != 0 && self.0 & Self::APPEND != 0)
    }
}

macro_rules! provider_cases {
    ($( $(#[$doc:meta])* $name:ident => $clause:ident, $polarity:ident, $slots:expr; )*) => {
        /// One boundary of one ProviderConfiguration rule.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum ProviderCase {
            $( $(#[$doc])* $name, )*
        }

        impl ProviderCase {
            /// Every case.
            pub const ALL: &'static [ProviderCase] = &[ $( ProviderCase::$name, )* ];

            /// The clause it exercises.
            pub fn clause(self) -> Clause {
                match self { $( ProviderCase::$name => Clause::$clause, )* }
            }

            /// Whether the contract accepts the result.
            pub fn polarity(self) -> Polarity {
                match self { $( ProviderCase::$name => Polarity::$polarity, )* }
            }

            fn slots(self) -> Slots {
                match self { $( ProviderCase::$name => Slots($slots), )* }
            }
        }
    };
}

provider_cases! {
    /// A name of exactly 100 characters.
    NameAtLimit => ProviderName, Positive, Slots::NAME;
    /// 100 characters inside ASCII white space.
    NamePaddedAtLimit => ProviderName, Positive, Slots::NAME;
    /// One character inside white space.
    NameOneCharacter => ProviderName, Positive, Slots::NAME;
    /// 101 characters.
    NameOverLimit => ProviderName, Negative, Slots::NAME;
    /// Only white space.
    NameBlank => ProviderName, Negative, Slots::NAME;
    /// The empty string.
    NameEmpty => ProviderName, Negative, Slots::NAME;
    /// No name.
    NameMissing => ProviderName, Negative, Slots::NAME;
    /// `"name": null` (required, so not given).
    NameNull => ProviderName, Negative, Slots::NAME;
    /// A description of exactly 1000 characters.
    DescriptionAtLimit => ProviderDescription, Positive, Slots::DESCRIPTION;
    /// An empty description.
    DescriptionEmpty => ProviderDescription, Positive, Slots::DESCRIPTION;
    /// No description.
    DescriptionAbsent => ProviderDescription, Positive, Slots::DESCRIPTION;
    /// 1001 characters.
    DescriptionOverLimit => ProviderDescription, Negative, Slots::DESCRIPTION;
    /// A base URL with a port, a path and a query.
    BaseUrlPortPathQuery => ProviderBaseUrl, Positive, Slots::BASE_URL;
    /// `http`.
    BaseUrlHttp => ProviderBaseUrl, Negative, Slots::BASE_URL;
    /// A relative reference.
    BaseUrlRelative => ProviderBaseUrl, Negative, Slots::BASE_URL;
    /// Not a URL at all.
    BaseUrlNotUrl => ProviderBaseUrl, Negative, Slots::BASE_URL;
    /// Another scheme.
    BaseUrlFtp => ProviderBaseUrl, Negative, Slots::BASE_URL;
    /// No base URL.
    BaseUrlMissing => ProviderBaseUrl, Negative, Slots::BASE_URL;
    /// OAuth2 with `scopes: []`.
    ScopesEmpty => ProviderOauth2, Positive, Slots::AUTH;
    /// OAuth2 without `scopes`.
    ScopesAbsent => ProviderOauth2, Positive, Slots::AUTH;
    /// An `http` authorization URL.
    AuthorizationUrlHttp => ProviderOauth2, Negative, Slots::AUTH;
    /// An `http` token URL.
    TokenUrlHttp => ProviderOauth2, Negative, Slots::AUTH;
    /// No token URL.
    TokenUrlMissing => ProviderOauth2, Negative, Slots::AUTH;
    /// A scope that is the empty string.
    ScopeEmptyString => ProviderOauth2, Negative, Slots::AUTH;
    /// Scopes that are a string, not an array.
    ScopesNotArray => ProviderOauth2, Negative, Slots::AUTH;
    /// A scope that is a number.
    ScopeNotString => ProviderOauth2, Negative, Slots::AUTH;
    /// An apiKey header name using every kind of token character.
    HeaderNameTokenCharacters => ProviderApiKey, Positive, Slots::AUTH | Slots::APPEND;
    /// A header name with a space.
    HeaderNameSpace => ProviderApiKey, Negative, Slots::AUTH | Slots::APPEND;
    /// An empty header name.
    HeaderNameEmpty => ProviderApiKey, Negative, Slots::AUTH | Slots::APPEND;
    /// A header name ending in a colon.
    HeaderNameColon => ProviderApiKey, Negative, Slots::AUTH | Slots::APPEND;
    /// `field` names no declared field.
    ApiKeyFieldUndeclared => ProviderApiKey, Negative, Slots::AUTH;
    /// `field` names a declared `number` field.
    ApiKeyFieldNotString => ProviderApiKey, Negative, Slots::AUTH | Slots::APPEND;
    /// No `field`.
    ApiKeyFieldMissing => ProviderApiKey, Negative, Slots::AUTH;
    /// An authentication type the contract does not know.
    AuthTypeOther => ProviderAuthType, Negative, Slots::AUTH;
    /// No authentication type.
    AuthTypeMissing => ProviderAuthType, Negative, Slots::AUTH;
    /// All five endpoints.
    EndpointsAllFive => ProviderEndpoints, Positive, Slots::ENDPOINTS;
    /// Exactly one endpoint.
    EndpointsOne => ProviderEndpoints, Positive, Slots::ENDPOINTS;
    /// No endpoint.
    EndpointsEmpty => ProviderEndpoints, Negative, Slots::ENDPOINTS;
    /// No `endpoints` member.
    EndpointsMissing => ProviderEndpoints, Negative, Slots::ENDPOINTS;
    /// An endpoint key the contract does not list.
    EndpointUnknownKey => ProviderEndpoints, Negative, Slots::ENDPOINTS;
    /// A path without the leading `/`.
    EndpointRelative => ProviderEndpoints, Negative, Slots::ENDPOINTS;
    /// A path that is a number.
    EndpointNotString => ProviderEndpoints, Negative, Slots::ENDPOINTS;
    /// Exactly 50 fields.
    FieldsAtLimit => ProviderFieldsCount, Positive, Slots::FIELDS;
    /// `fields: []`.
    FieldsEmpty => ProviderFieldsCount, Positive, Slots::REFERENCES;
    /// No `fields`.
    FieldsAbsent => ProviderFieldsCount, Positive, Slots::REFERENCES;
    /// 51 fields.
    FieldsOverLimit => ProviderFieldsCount, Negative, Slots::REFERENCES;
    /// A key of exactly 64 characters.
    KeyAtLimit => ProviderFieldKey, Positive, Slots::APPEND;
    /// A key with digits and underscores.
    KeyDigitsUnderscores => ProviderFieldKey, Positive, Slots::APPEND;
    /// A key of 65 characters.
    KeyOverLimit => ProviderFieldKey, Negative, Slots::APPEND;
    /// A key starting with a digit.
    KeyStartsWithDigit => ProviderFieldKey, Negative, Slots::APPEND;
    /// A key with a hyphen.
    KeyHyphen => ProviderFieldKey, Negative, Slots::APPEND;
    /// Two fields with one key.
    KeyDuplicate => ProviderFieldKey, Negative, Slots::APPEND;
    /// A field without a key.
    KeyMissing => ProviderFieldKey, Negative, Slots::APPEND;
    /// A label of exactly 100 characters.
    LabelAtLimit => ProviderFieldLabel, Positive, Slots::APPEND;
    /// A label of one character.
    LabelOneCharacter => ProviderFieldLabel, Positive, Slots::APPEND;
    /// An empty label.
    LabelEmpty => ProviderFieldLabel, Negative, Slots::APPEND;
    /// A label of 101 characters.
    LabelOverLimit => ProviderFieldLabel, Negative, Slots::APPEND;
    /// A field without a label.
    LabelMissing => ProviderFieldLabel, Negative, Slots::APPEND;
    /// One field of each type.
    EveryFieldType => ProviderFieldType, Positive, Slots::APPEND;
    /// A type the contract does not know.
    FieldTypeOther => ProviderFieldType, Negative, Slots::APPEND;
    /// A field without a type.
    FieldTypeMissing => ProviderFieldType, Negative, Slots::APPEND;
    /// A select field with one option.
    SelectOneOption => ProviderFieldOptions, Positive, Slots::APPEND;
    /// A select field without options.
    SelectWithoutOptions => ProviderFieldOptions, Negative, Slots::APPEND;
    /// A select field with `options: []`.
    SelectEmptyOptions => ProviderFieldOptions, Negative, Slots::APPEND;
    /// A select field with an option twice.
    SelectDuplicateOptions => ProviderFieldOptions, Negative, Slots::APPEND;
    /// A select field with a number among its options.
    SelectNonStringOption => ProviderFieldOptions, Negative, Slots::APPEND;
    /// Options on a string field.
    OptionsOnString => ProviderFieldOptions, Negative, Slots::APPEND;
    /// Options on a number field.
    OptionsOnNumber => ProviderFieldOptions, Negative, Slots::APPEND;
    /// Options on a boolean field.
    OptionsOnBoolean => ProviderFieldOptions, Negative, Slots::APPEND;
    /// A valid pattern on a string field.
    PatternOnString => ProviderFieldPattern, Positive, Slots::APPEND;
    /// A pattern that does not compile.
    PatternInvalid => ProviderFieldPattern, Negative, Slots::APPEND;
    /// A pattern on a number field.
    PatternOnNumber => ProviderFieldPattern, Negative, Slots::APPEND;
    /// A pattern on a boolean field.
    PatternOnBoolean => ProviderFieldPattern, Negative, Slots::APPEND;
    /// A pattern on a select field.
    PatternOnSelect => ProviderFieldPattern, Negative, Slots::APPEND;
    /// A pattern that is a number.
    PatternNotString => ProviderFieldPattern, Negative, Slots::APPEND;
    /// Declared placeholders in the base URL, both OAuth2 URLs and a path.
    PlaceholdersEverywhere => ProviderPlaceholders, Positive,
        Slots::BASE_URL | Slots::AUTH | Slots::ENDPOINTS | Slots::APPEND;
    /// An undeclared placeholder in the base URL.
    PlaceholderInBaseUrl => ProviderPlaceholders, Negative, Slots::BASE_URL;
    /// An undeclared placeholder in the authorization URL.
    PlaceholderInAuthorizationUrl => ProviderPlaceholders, Negative, Slots::AUTH;
    /// An undeclared placeholder in the token URL.
    PlaceholderInTokenUrl => ProviderPlaceholders, Negative, Slots::AUTH;
    /// An undeclared placeholder in an endpoint path.
    PlaceholderInEndpoint => ProviderPlaceholders, Negative, Slots::ENDPOINTS;
    /// `"description": null`.
    DescriptionNull => ProviderNullOptional, Negative, Slots::DESCRIPTION;
    /// `"fields": null`.
    FieldsNull => ProviderNullOptional, Negative, Slots::REFERENCES;
    /// `"scopes": null`.
    ScopesNull => ProviderNullOptional, Negative, Slots::AUTH;
    /// A string field's `"pattern": null`.
    PatternNull => ProviderNullOptional, Negative, Slots::APPEND;
    /// A select field's `"options": null`.
    OptionsNull => ProviderNullOptional, Negative, Slots::APPEND;
    /// A field's `"required": null`.
    RequiredNull => ProviderNullOptional, Negative, Slots::APPEND;
    /// A name that is a number.
    NameNotString => RulesWrongTypeInside, Negative, Slots::NAME;
    /// A description that is a boolean.
    DescriptionNotString => RulesWrongTypeInside, Negative, Slots::DESCRIPTION;
    /// A base URL that is a number.
    BaseUrlNotString => RulesWrongTypeInside, Negative, Slots::BASE_URL;
    /// Authentication that is a string.
    AuthenticationNotObject => RulesWrongTypeInside, Negative, Slots::AUTH;
    /// Endpoints that are an array.
    EndpointsNotObject => RulesWrongTypeInside, Negative, Slots::ENDPOINTS;
    /// Fields that are an object.
    FieldsNotArray => RulesWrongTypeInside, Negative, Slots::REFERENCES;
    /// A field that is a string.
    FieldNotObject => RulesWrongTypeInside, Negative, Slots::APPEND;
    /// A label that is a number.
    LabelNotString => RulesWrongTypeInside, Negative, Slots::APPEND;
    /// A field's `required` that is a string.
    RequiredNotBoolean => RulesWrongTypeInside, Negative, Slots::APPEND;
    /// Members the contract does not define, at the top of `config`, in
    /// `authentication` and in a field.
    UnknownMembers => StoreUnknownConfigMembers, Positive,
        Slots::EXTRA | Slots::AUTH | Slots::APPEND;
    /// Strings with inner white space, non-ASCII and control characters.
    ExoticStrings => StoreExact, Positive, Slots::NAME | Slots::DESCRIPTION | Slots::APPEND;
    /// The configuration's members in reverse order.
    ReversedMembers => StoreExact, Positive, Slots::EXTRA;
    /// The authentication type with its first letter in the other case.
    AuthTypeCase => ProviderAuthType, Negative, Slots::AUTH;
    /// A field type with its first letter in the other case.
    FieldTypeCase => ProviderFieldType, Negative, Slots::APPEND;
    /// An endpoint key with its first letter in the other case.
    EndpointKeyCase => ProviderEndpoints, Negative, Slots::ENDPOINTS;
    /// The name in Unicode normalization form D, stored as sent.
    NameDecomposed => StoreExact, Positive, Slots::NAME;
    /// A field label in Unicode normalization form D, stored as sent.
    LabelDecomposed => StoreExact, Positive, Slots::APPEND;
    /// A label of spaces only: labels are not trimmed, so it has length.
    LabelBlank => ProviderFieldLabel, Positive, Slots::APPEND;
}

impl ProviderCase {
    /// The mutation family it belongs to, if it is a near miss of a good
    /// value.
    pub fn family(self) -> Option<Family> {
        use ProviderCase::*;
        match self {
            AuthTypeCase | FieldTypeCase | EndpointKeyCase => Some(Family::LetterCase),
            NameDecomposed | LabelDecomposed => Some(Family::UnicodeForm),
            NameBlank | NamePaddedAtLimit | LabelBlank => Some(Family::WhiteSpace),
            _ => None,
        }
    }
}

/// The cases that break a rule.
pub fn negative_cases() -> Vec<ProviderCase> {
    ProviderCase::ALL
        .iter()
        .copied()
        .filter(|c| c.polarity() == Polarity::Negative)
        .collect()
}

/// `cases` without duplicates and without any that would change a member
/// an earlier one changed (so each keeps its own key).
pub fn compatible(cases: Vec<ProviderCase>) -> Vec<ProviderCase> {
    let mut kept: Vec<ProviderCase> = Vec::new();
    for case in cases {
        if !kept.contains(&case) && kept.iter().all(|k| !k.slots().conflicts(case.slots())) {
            kept.push(case);
        }
    }
    kept
}

/// Two to four rules broken at once, each under its own key.
pub fn several_broken() -> BoxedStrategy<Vec<ProviderCase>> {
    proptest::collection::vec(select(negative_cases()), 4..8)
        .prop_map(compatible)
        .prop_filter("two rules at least", |c| c.len() >= 2)
        .prop_map(|mut c| {
            c.truncate(4);
            c
        })
        .boxed()
}
