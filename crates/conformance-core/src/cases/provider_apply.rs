//! Each [`ProviderCase`] applied to a valid configuration: what it
//! changes, and the error keys and pointers it concerns.

use crate::cases::provider::{ProviderCase, endpoint_keys, field_types};
use crate::mutations;
use serde_json::{Map, Value, json};

/// What applying a case did: the keys it concerns (the 400 key of a
/// negative case, the keys a server would wrongly refuse a positive one
/// under), and pointers into the stored configuration it exercises.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Applied {
    /// Error keys.
    pub keys: Vec<String>,
    /// Keys the contract allows instead of a negative case's key, where it
    /// leaves the choice open.
    pub or: Vec<String>,
    /// JSON pointers (into the configuration) of what the case put there.
    pub pointers: Vec<String>,
}

fn applied(key: impl Into<String>) -> Applied {
    Applied {
        keys: vec![key.into()],
        ..Applied::default()
    }
}

fn applied_or(key: impl Into<String>, or: &[String]) -> Applied {
    Applied {
        keys: vec![key.into()],
        or: or.to_vec(),
        ..Applied::default()
    }
}

/// Appends a field; returns its index.
fn push_field(config: &mut Value, field: Value) -> usize {
    if !config["fields"].is_array() {
        config["fields"] = json!([]);
    }
    match config["fields"].as_array_mut() {
        Some(fields) => {
            fields.push(field);
            fields.len() - 1
        }
        None => 0,
    }
}

/// Appends a field and returns the key of `member` in it.
fn field_key(config: &mut Value, field: Value, member: &str) -> Applied {
    let i = push_field(config, field);
    applied(format!("config.fields[{i}].{member}"))
}

/// Nothing in the configuration refers to a declared field any more.
fn without_references(config: &mut Value) {
    config["baseUrl"] = json!("https://api.plain.example");
    config["endpoints"] = json!({"matters": "/v1/matters"});
    config["authentication"] = json!({"type": "oauth2",
        "authorizationUrl": "https://auth.plain.example/authorize",
        "tokenUrl": "https://auth.plain.example/token"});
}

fn oauth2(config: &mut Value) -> &mut Value {
    config["authentication"] = json!({"type": "oauth2",
        "authorizationUrl": "https://auth.example/authorize",
        "tokenUrl": "https://auth.example/token",
        "scopes": ["read"]});
    &mut config["authentication"]
}

/// An apiKey authentication whose field is a string field appended for it.
fn api_key(config: &mut Value, header: &str) {
    push_field(
        config,
        json!({"key": "apiKeyValue", "label": "API key", "type": "string", "required": true}),
    );
    config["authentication"] =
        json!({"type": "apiKey", "headerName": header, "field": "apiKeyValue"});
}

/// `n` characters mixing ASCII and Latin-1 letters (one UTF-16 unit each).
fn text(n: usize, seed: char) -> String {
    (0..n)
        .map(|i| if i % 3 == 1 { 'é' } else { seed })
        .collect()
}

impl ProviderCase {
    /// Applies the case to a valid configuration.
    pub fn apply(self, config: &mut Value) -> Applied {
        use ProviderCase::*;
        let field = |key: &str, kind: &str| json!({"key": key, "label": "L", "type": kind});
        match self {
            NameAtLimit => {
                config["name"] = json!(text(100, 'N'));
                applied("config.name")
            }
            NamePaddedAtLimit => {
                config["name"] = json!(format!("  {} \t", text(100, 'P')));
                applied("config.name")
            }
            NameOneCharacter => {
                config["name"] = json!(" x ");
                applied("config.name")
            }
            NameOverLimit => {
                config["name"] = json!(text(101, 'O'));
                applied("config.name")
            }
            NameBlank => {
                config["name"] = json!(" \t  ");
                applied("config.name")
            }
            NameEmpty => {
                config["name"] = json!("");
                applied("config.name")
            }
            NameMissing => {
                remove(config, "name");
                applied("config.name")
            }
            NameNull => {
                config["name"] = Value::Null;
                applied("config.name")
            }
            DescriptionAtLimit => {
                config["description"] = json!(text(1000, 'd'));
                applied("config.description")
            }
            DescriptionEmpty => {
                config["description"] = json!("");
                applied("config.description")
            }
            DescriptionAbsent => {
                remove(config, "description");
                applied("config.description")
            }
            DescriptionOverLimit => {
                config["description"] = json!(text(1001, 'd'));
                applied("config.description")
            }
            BaseUrlPortPathQuery => {
                config["baseUrl"] = json!("https://api.acme.example:8443/v2/lupl?tenant=1");
                applied("config.baseUrl")
            }
            BaseUrlHttp => {
                config["baseUrl"] = json!("http://api.plain.example");
                applied("config.baseUrl")
            }
            BaseUrlRelative => {
                config["baseUrl"] = json!("/api/v1");
                applied("config.baseUrl")
            }
            BaseUrlNotUrl => {
                config["baseUrl"] = json!("not a url");
                applied("config.baseUrl")
            }
            BaseUrlFtp => {
                config["baseUrl"] = json!("ftp://files.acme.example");
                applied("config.baseUrl")
            }
            BaseUrlMissing => {
                remove(config, "baseUrl");
                applied("config.baseUrl")
            }
            ScopesEmpty => {
                oauth2(config)["scopes"] = json!([]);
                applied("config.authentication.scopes")
            }
            ScopesAbsent => {
                remove(oauth2(config), "scopes");
                applied("config.authentication.scopes")
            }
            AuthorizationUrlHttp => {
                oauth2(config)["authorizationUrl"] = json!("http://auth.example/authorize");
                applied("config.authentication.authorizationUrl")
            }
            TokenUrlHttp => {
                oauth2(config)["tokenUrl"] = json!("http://auth.example/token");
                applied("config.authentication.tokenUrl")
            }
            TokenUrlMissing => {
                remove(oauth2(config), "tokenUrl");
                applied("config.authentication.tokenUrl")
            }
            ScopeEmptyString => {
                oauth2(config)["scopes"] = json!(["read", ""]);
                applied("config.authentication.scopes")
            }
            ScopesNotArray => {
                oauth2(config)["scopes"] = json!("read");
                applied("config.authentication.scopes")
            }
            ScopeNotString => {
                oauth2(config)["scopes"] = json!(["read", 7]);
                applied("config.authentication.scopes")
            }
            HeaderNameTokenCharacters => {
                api_key(config, "X-Api.Key_1~!#$%&'*+^`|");
                applied("config.authentication.headerName")
            }
            HeaderNameSpace => {
                api_key(config, "X Api Key");
                applied("config.authentication.headerName")
            }
            HeaderNameEmpty => {
                api_key(config, "");
                applied("config.authentication.headerName")
            }
            HeaderNameColon => {
                api_key(config, "X-Api-Key:");
                applied("config.authentication.headerName")
            }
            ApiKeyFieldUndeclared => {
                config["authentication"] =
                    json!({"type": "apiKey", "headerName": "X-Key", "field": "notDeclared"});
                applied("config.authentication.field")
            }
            ApiKeyFieldNotString => {
                push_field(config, field("keyCount", "number"));
                config["authentication"] =
                    json!({"type": "apiKey", "headerName": "X-Key", "field": "keyCount"});
                applied("config.authentication.field")
            }
            ApiKeyFieldMissing => {
                config["authentication"] = json!({"type": "apiKey", "headerName": "X-Key"});
                applied("config.authentication.field")
            }
            AuthTypeOther => {
                config["authentication"] = json!({"type": "saml",
                    "authorizationUrl": "https://auth.example/authorize",
                    "tokenUrl": "https://auth.example/token"});
                applied("config.authentication.type")
            }
            AuthTypeMissing => {
                config["authentication"] = json!({
                    "authorizationUrl": "https://auth.example/authorize",
                    "tokenUrl": "https://auth.example/token"});
                applied("config.authentication.type")
            }
            EndpointsAllFive => {
                config["endpoints"] = endpoint_keys()
                    .into_iter()
                    .map(|k| (k.clone(), json!(format!("/all/{k}"))))
                    .collect::<Map<String, Value>>()
                    .into();
                applied("config.endpoints")
            }
            EndpointsOne => {
                config["endpoints"] = json!({"invoices": "/"});
                applied("config.endpoints")
            }
            EndpointsEmpty => {
                config["endpoints"] = json!({});
                applied("config.endpoints")
            }
            EndpointsMissing => {
                remove(config, "endpoints");
                applied("config.endpoints")
            }
            // "→ `config.endpoints` or `config.endpoints.<key>`"
            EndpointUnknownKey => {
                config["endpoints"] = json!({"hours": "/hours", "payroll": "/payroll"});
                applied_or("config.endpoints.payroll", &["config.endpoints".into()])
            }
            EndpointRelative => {
                config["endpoints"] = json!({"matters": "matters"});
                applied("config.endpoints.matters")
            }
            EndpointNotString => {
                config["endpoints"] = json!({"billing": 7});
                applied("config.endpoints.billing")
            }
            FieldsAtLimit => {
                let mut i = config["fields"].as_array().map_or(0, Vec::len);
                while i < 50 {
                    push_field(config, field(&format!("pad{i}"), "boolean"));
                    i += 1;
                }
                applied("config.fields")
            }
            FieldsEmpty => {
                without_references(config);
                config["fields"] = json!([]);
                applied("config.fields")
            }
            FieldsAbsent => {
                without_references(config);
                remove(config, "fields");
                applied("config.fields")
            }
            FieldsOverLimit => {
                without_references(config);
                config["fields"] = json!([]);
                for i in 0..51 {
                    push_field(config, field(&format!("over{i}"), "boolean"));
                }
                applied("config.fields")
            }
            KeyAtLimit => field_key(
                config,
                field(&format!("k{}", "a".repeat(63)), "number"),
                "key",
            ),
            KeyDigitsUnderscores => field_key(config, field("k_9_x", "number"), "key"),
            KeyOverLimit => field_key(
                config,
                field(&format!("k{}", "a".repeat(64)), "number"),
                "key",
            ),
            KeyStartsWithDigit => field_key(config, field("9lives", "number"), "key"),
            KeyHyphen => field_key(config, field("firm-code", "number"), "key"),
            // The contract does not say which of the two is reported.
            KeyDuplicate => {
                let first = push_field(config, field("dupKey", "number"));
                let second = push_field(config, field("dupKey", "boolean"));
                applied_or(
                    format!("config.fields[{second}].key"),
                    &[format!("config.fields[{first}].key")],
                )
            }
            KeyMissing => field_key(config, json!({"label": "No key", "type": "number"}), "key"),
            LabelAtLimit => field_key(
                config,
                json!({"key": "longLabel", "label": text(100, 'l'), "type": "number"}),
                "label",
            ),
            LabelOneCharacter => field_key(
                config,
                json!({"key": "shortLabel", "label": "L", "type": "number"}),
                "label",
            ),
            LabelEmpty => field_key(
                config,
                json!({"key": "emptyLabel", "label": "", "type": "number"}),
                "label",
            ),
            LabelOverLimit => field_key(
                config,
                json!({"key": "tooLongLabel", "label": text(101, 'l'), "type": "number"}),
                "label",
            ),
            LabelMissing => field_key(config, json!({"key": "noLabel", "type": "number"}), "label"),
            EveryFieldType => {
                let mut keys = Vec::new();
                for kind in field_types() {
                    let mut f = field(&format!("every_{kind}"), &kind);
                    if kind == "select" {
                        f["options"] = json!(["a", "b"]);
                    }
                    let i = push_field(config, f);
                    keys.push(format!("config.fields[{i}].type"));
                }
                Applied {
                    keys,
                    ..Applied::default()
                }
            }
            FieldTypeOther => field_key(config, field("when", "date"), "type"),
            FieldTypeMissing => field_key(config, json!({"key": "untyped", "label": "U"}), "type"),
            SelectOneOption => field_key(
                config,
                json!({"key": "onlyOne", "label": "O", "type": "select", "options": ["x"]}),
                "options",
            ),
            SelectWithoutOptions => field_key(config, field("pick", "select"), "options"),
            SelectEmptyOptions => field_key(
                config,
                json!({"key": "pickNone", "label": "P", "type": "select", "options": []}),
                "options",
            ),
            SelectDuplicateOptions => field_key(
                config,
                json!({"key": "pickTwice", "label": "P", "type": "select", "options": ["a", "b", "a"]}),
                "options",
            ),
            SelectNonStringOption => field_key(
                config,
                json!({"key": "pickNumber", "label": "P", "type": "select", "options": ["a", 1]}),
                "options",
            ),
            OptionsOnString | OptionsOnNumber | OptionsOnBoolean => {
                let kind = match self {
                    OptionsOnString => "string",
                    OptionsOnNumber => "number",
                    _ => "boolean",
                };
                let mut f = field(&format!("{kind}WithOptions"), kind);
                f["options"] = json!(["a"]);
                field_key(config, f, "options")
            }
            PatternOnString => field_key(
                config,
                json!({"key": "coded", "label": "C", "type": "string", "pattern": "^[a-z]+\\d{2,}$"}),
                "pattern",
            ),
            PatternInvalid => field_key(
                config,
                json!({"key": "badPattern", "label": "B", "type": "string", "pattern": "(["}),
                "pattern",
            ),
            PatternOnNumber | PatternOnBoolean | PatternOnSelect => {
                let kind = match self {
                    PatternOnNumber => "number",
                    PatternOnBoolean => "boolean",
                    _ => "select",
                };
                let mut f = field(&format!("{kind}WithPattern"), kind);
                f["pattern"] = json!("^1$");
                if kind == "select" {
                    f["options"] = json!(["1"]);
                }
                field_key(config, f, "pattern")
            }
            PatternNotString => field_key(
                config,
                json!({"key": "numericPattern", "label": "N", "type": "string", "pattern": 5}),
                "pattern",
            ),
            PlaceholdersEverywhere => {
                push_field(
                    config,
                    json!({"key": "phTenant", "label": "Tenant", "type": "string", "required": true}),
                );
                config["baseUrl"] = json!("https://{phTenant}.api.example/{phTenant}");
                config["authentication"] = json!({"type": "oauth2",
                    "authorizationUrl": "https://{phTenant}.auth.example/authorize",
                    "tokenUrl": "https://auth.example/{phTenant}/token"});
                config["endpoints"] = json!({"clients": "/v1/{phTenant}/clients"});
                Applied {
                    or: Vec::new(),
                    keys: vec![
                        "config.baseUrl".into(),
                        "config.authentication.authorizationUrl".into(),
                        "config.authentication.tokenUrl".into(),
                        "config.endpoints.clients".into(),
                    ],
                    pointers: Vec::new(),
                }
            }
            PlaceholderInBaseUrl => {
                config["baseUrl"] = json!("https://{undeclaredField}.acme.example");
                applied("config.baseUrl")
            }
            PlaceholderInAuthorizationUrl => {
                oauth2(config)["authorizationUrl"] =
                    json!("https://{undeclaredField}.auth.example/authorize");
                applied("config.authentication.authorizationUrl")
            }
            PlaceholderInTokenUrl => {
                oauth2(config)["tokenUrl"] = json!("https://auth.example/{undeclaredField}/token");
                applied("config.authentication.tokenUrl")
            }
            PlaceholderInEndpoint => {
                config["endpoints"] = json!({"matters": "/v1/{undeclaredField}/matters"});
                applied("config.endpoints.matters")
            }
            DescriptionNull => {
                config["description"] = Value::Null;
                applied("config.description")
            }
            FieldsNull => {
                without_references(config);
                config["fields"] = Value::Null;
                applied("config.fields")
            }
            ScopesNull => {
                oauth2(config)["scopes"] = Value::Null;
                applied("config.authentication.scopes")
            }
            PatternNull => field_key(
                config,
                json!({"key": "nullPattern", "label": "N", "type": "string", "pattern": null}),
                "pattern",
            ),
            OptionsNull => field_key(
                config,
                json!({"key": "nullOptions", "label": "N", "type": "select", "options": null}),
                "options",
            ),
            RequiredNull => field_key(
                config,
                json!({"key": "nullRequired", "label": "N", "type": "number", "required": null}),
                "required",
            ),
            NameNotString => {
                config["name"] = json!(42);
                applied("config.name")
            }
            DescriptionNotString => {
                config["description"] = json!(true);
                applied("config.description")
            }
            BaseUrlNotString => {
                config["baseUrl"] = json!(443);
                applied("config.baseUrl")
            }
            AuthenticationNotObject => {
                config["authentication"] = json!("oauth2");
                applied("config.authentication")
            }
            EndpointsNotObject => {
                config["endpoints"] = json!(["/v1/hours"]);
                applied("config.endpoints")
            }
            FieldsNotArray => {
                without_references(config);
                config["fields"] = json!({"region": {"type": "string"}});
                applied("config.fields")
            }
            // The contract keys members of fields; a field that is not an
            // object may be reported as itself, as `fields`, or by the
            // members it lacks.
            FieldNotObject => {
                let i = push_field(config, json!("region"));
                let or: Vec<String> = std::iter::once("config.fields".to_owned())
                    .chain(
                        ["key", "label", "type"]
                            .iter()
                            .map(|m| format!("config.fields[{i}].{m}")),
                    )
                    .collect();
                applied_or(format!("config.fields[{i}]"), &or)
            }
            LabelNotString => field_key(
                config,
                json!({"key": "numericLabel", "label": 7, "type": "number"}),
                "label",
            ),
            RequiredNotBoolean => field_key(
                config,
                json!({"key": "stringRequired", "label": "S", "type": "number", "required": "yes"}),
                "required",
            ),
            UnknownMembers => {
                config["x-acme-tier"] = json!({"level": "gold", "since": 2019});
                if let Some(auth) = config["authentication"].as_object_mut() {
                    auth.insert("x-audience".into(), json!("https://acme.example"));
                }
                let i = push_field(
                    config,
                    json!({"key": "hinted", "label": "H", "type": "boolean", "x-hint": ["a", null]}),
                );
                Applied {
                    or: Vec::new(),
                    keys: Vec::new(),
                    pointers: vec![
                        "/x-acme-tier".into(),
                        "/authentication/x-audience".into(),
                        format!("/fields/{i}/x-hint"),
                    ],
                }
            }
            ExoticStrings => {
                config["name"] = json!(" ACME\u{1}\tInc. — 日本 ");
                config["description"] =
                    json!("line 1\nline 2\r\n\ttab \u{0} nul \u{7f} del \u{2028} ü 🎉");
                let i = push_field(
                    config,
                    json!({"key": "exotic", "label": "Région ✓ \u{1b}[1m", "type": "select",
                           "options": ["ä", "b c", "\t", "🎉"]}),
                );
                Applied {
                    or: Vec::new(),
                    keys: vec!["config.name".into(), "config.description".into()],
                    pointers: vec![
                        "/name".into(),
                        "/description".into(),
                        format!("/fields/{i}"),
                    ],
                }
            }
            AuthTypeCase => {
                let kind = config["authentication"]["type"]
                    .as_str()
                    .unwrap_or("oauth2")
                    .to_owned();
                config["authentication"]["type"] = json!(mutations::flip_first_letter(&kind));
                applied("config.authentication.type")
            }
            FieldTypeCase => field_key(
                config,
                field("caseType", &mutations::flip_first_letter("string")),
                "type",
            ),
            EndpointKeyCase => {
                let mut endpoints = config["endpoints"].as_object().cloned().unwrap_or_default();
                let (key, path) = endpoints
                    .iter()
                    .next()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .unwrap_or_else(|| ("hours".into(), json!("/hours")));
                endpoints.remove(&key);
                let flipped = mutations::flip_first_letter(&key);
                endpoints.insert(flipped.clone(), path);
                config["endpoints"] = Value::Object(endpoints);
                applied_or(
                    format!("config.endpoints.{flipped}"),
                    &["config.endpoints".into()],
                )
            }
            NameDecomposed => {
                config["name"] = json!(mutations::decomposed("Café Zürich"));
                Applied {
                    keys: vec!["config.name".into()],
                    or: Vec::new(),
                    pointers: vec!["/name".into()],
                }
            }
            LabelDecomposed => {
                let mut f = field("decomposed", "string");
                f["label"] = json!(mutations::decomposed("Région"));
                let i = push_field(config, f);
                Applied {
                    keys: vec![format!("config.fields[{i}].label")],
                    or: Vec::new(),
                    pointers: vec![format!("/fields/{i}/label")],
                }
            }
            LabelBlank => {
                let mut f = field("blankLabel", "string");
                f["label"] = json!(mutations::blank("Label"));
                let i = push_field(config, f);
                applied(format!("config.fields[{i}].label"))
            }
            ReversedMembers => {
                if let Some(object) = config.as_object() {
                    let reversed: Map<String, Value> = object
                        .iter()
                        .rev()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    *config = Value::Object(reversed);
                }
                Applied::default()
            }
        }
    }
}

/// `value` without `member`.
fn remove(value: &mut Value, member: &str) {
    if let Some(o) = value.as_object_mut() {
        o.remove(member);
    }
}
