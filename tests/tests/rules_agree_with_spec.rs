//! The model's rules (`lupl_model::rules`, CONTRACT.md) and openapi.json's
//! schema give the same verdict on every member the schema can judge, and
//! whatever the model stores, the typed client decodes and writes back
//! unchanged.
//!
//! Each case is a valid configuration with one member changed. For every
//! case: the schema refuses ⇒ the model refuses (the schema is never
//! stricter), and the model accepts ⇒ `lupl_api::types` decodes it and
//! encodes the same JSON. For the values a pattern or bound can judge
//! (those generated here: URLs with white space, any-case schemes, ports,
//! IPv4 and IPv6 hosts, empty and long strings; names and labels at their
//! lengths; header names; keys; paths), the model refuses ⇒ the schema
//! refuses too. Left to the model alone, and never generated as
//! "expressible": placeholders naming declared fields, unique keys, what
//! `options` and `pattern` require of a field's type, a valid regular
//! expression, and the parts of the WHATWG host parser a pattern cannot say
//! (a numeric last label read as IPv4, IDNA, percent-decoded hosts,
//! malformed IPv6 literals).

use lupl_api::types::ProviderConfiguration;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use serde_json::{Value, json};

/// A valid configuration: an apiKey authentication whose `field` is
/// `apiKey`, a `{region}` placeholder, and a field at index 2 that no
/// other member refers to.
fn base() -> Value {
    json!({
        "name": "ACME Inc.",
        "description": "Hours and billing",
        "baseUrl": "https://{region}.api.acme.example",
        "authentication": {"type": "apiKey", "headerName": "X-Api-Key", "field": "apiKey"},
        "endpoints": {"hours": "/v2/hours"},
        "fields": [
            {"key": "region", "label": "Region", "type": "select", "options": ["us", "eu"]},
            {"key": "apiKey", "label": "API key", "type": "string"},
            {"key": "spare", "label": "Spare", "type": "string"}
        ]
    })
}

fn oauth2_base() -> Value {
    let mut config = base();
    config["authentication"] = json!({"type": "oauth2",
        "authorizationUrl": "https://{region}.auth.acme.example/authorize",
        "tokenUrl": "https://{region}.auth.acme.example/token", "scopes": ["a"]});
    config
}

/// Which member a case changes.
#[derive(Debug, Clone, Copy)]
enum Member {
    Name,
    Description,
    BaseUrl,
    AuthorizationUrl,
    TokenUrl,
    Scope,
    HeaderName,
    Key,
    Label,
    Endpoint,
}

fn with(member: Member, value: &str) -> Value {
    let mut config = match member {
        Member::AuthorizationUrl | Member::TokenUrl | Member::Scope => oauth2_base(),
        _ => base(),
    };
    let slot = match member {
        Member::Name => &mut config["name"],
        Member::Description => &mut config["description"],
        Member::BaseUrl => &mut config["baseUrl"],
        Member::AuthorizationUrl => &mut config["authentication"]["authorizationUrl"],
        Member::TokenUrl => &mut config["authentication"]["tokenUrl"],
        Member::Scope => &mut config["authentication"]["scopes"][0],
        Member::HeaderName => &mut config["authentication"]["headerName"],
        Member::Key => &mut config["fields"][2]["key"],
        Member::Label => &mut config["fields"][2]["label"],
        Member::Endpoint => &mut config["endpoints"]["hours"],
    };
    *slot = json!(value);
    config
}

/// The spec's ProviderConfiguration schema, compiled once for every case.
static SCHEMA: std::sync::LazyLock<lupl_spec::SchemaCheck> = std::sync::LazyLock::new(|| {
    lupl_spec::Spec::workspace()
        .schema_check("/components/schemas/ProviderConfiguration")
        .expect("the schema compiles")
});

/// The three verdicts on one configuration.
fn check(config: &Value, expressible: bool) -> Result<(), TestCaseError> {
    let model = lupl_model::rules::provider_configuration(config);
    let schema = SCHEMA.errors(config);
    prop_assert!(
        schema.is_empty() || !model.is_empty(),
        "the schema refuses what the model accepts: {schema:?}\n{config}"
    );
    if expressible {
        prop_assert!(
            model.is_empty() || !schema.is_empty(),
            "the model refuses what the schema accepts: {model:?}\n{config}"
        );
    }
    if model.is_empty() {
        let typed: ProviderConfiguration = serde_json::from_value(config.clone()).map_err(|e| {
            TestCaseError::fail(format!(
                "the model stores what the client cannot decode: {e}\n{config}"
            ))
        })?;
        prop_assert_eq!(&serde_json::to_value(&typed).expect("encodes"), config);
    }
    Ok(())
}

/// White space and control characters: ASCII, Unicode `White_Space`
/// (U+0085, U+00A0, U+2028, U+3000, …) and U+FEFF.
fn space() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(" "),
        Just("\t"),
        Just("\n"),
        Just("\r"),
        Just("\u{b}"),
        Just("\u{c}"),
        Just("\u{0}"),
        Just("\u{7f}"),
        Just("\u{85}"),
        Just("\u{a0}"),
        Just("\u{1680}"),
        Just("\u{2003}"),
        Just("\u{2028}"),
        Just("\u{202f}"),
        Just("\u{3000}"),
        Just("\u{feff}"),
    ]
    .prop_map(str::to_owned)
}

fn scheme() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[Hh][Tt][Tt][Pp][Ss]://",
        1 => prop_oneof![
            Just("http://"), Just("ftp://"), Just("https:/"), Just("https:"), Just("https:///"),
            Just("https:\\\\"), Just("//"), Just(""), Just("htps://"),
        ]
        .prop_map(str::to_owned),
    ]
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        // A name whose last label starts with a letter (a numeric last
        // label is an IPv4 address to the WHATWG parser).
        4 => "([a-z0-9-]{1,12}\\.){0,3}[a-z][a-z0-9-]{0,12}",
        1 => "[A-Za-z]{1,70}",
        1 => "\\{region\\}(\\.[a-z]{1,5}){1,2}",
        1 => (0u8..=255, 0u8..=255, 0u8..=255, 0u8..=255)
            .prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}")),
        1 => prop_oneof![
            Just("[::1]"), Just("[2001:db8::8a2e:370:7334]"), Just("[::ffff:192.0.2.1]"),
            Just("[fe80::1]"),
        ]
        .prop_map(str::to_owned),
        1 => Just(String::new()),
    ]
}

fn port() -> impl Strategy<Value = String> {
    option::of(prop_oneof![
        (0u32..=70_000).prop_map(|p| p.to_string()),
        (0u32..=65_535).prop_map(|p| format!("00{p}")),
        Just(String::new()),
        Just("65536".to_owned()),
        Just("x1".to_owned()),
    ])
    .prop_map(|p| p.map(|p| format!(":{p}")).unwrap_or_default())
}

fn rest() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "([/?#][A-Za-z0-9._~!$&'()*+,;=:@%{}/?-]{0,20}){0,2}",
        1 => "/[a-z]{0,2000}",
        1 => ("/[a-z]{0,5}", space(), "[a-z]{0,5}").prop_map(|(a, s, b)| format!("{a}{s}{b}")),
        1 => Just("\\path".to_owned()),
    ]
}

/// URLs at the edges a pattern can judge.
fn url() -> impl Strategy<Value = String> {
    (
        option::of(space()),
        scheme(),
        option::of("[a-z]{0,6}(:[a-z]{0,6})?@"),
        host(),
        port(),
        rest(),
        option::of(space()),
    )
        .prop_map(|(lead, scheme, user, host, port, rest, trail)| {
            format!(
                "{}{scheme}{}{host}{port}{rest}{}",
                lead.unwrap_or_default(),
                user.unwrap_or_default(),
                trail.unwrap_or_default()
            )
        })
}

/// Text around a length limit: letters (some astral, two UTF-16 units
/// each) with white space of every kind at either end.
fn text_near(len: usize) -> impl Strategy<Value = String> {
    (
        vec(space(), 0..3),
        vec(
            prop_oneof![Just('a'), Just('é'), Just('😀'), Just(' ')],
            len.saturating_sub(3)..=len + 2,
        ),
        vec(space(), 0..3),
    )
        .prop_map(|(lead, body, trail)| {
            format!(
                "{}{}{}",
                lead.concat(),
                body.into_iter().collect::<String>(),
                trail.concat()
            )
        })
}

fn member_and_value() -> impl Strategy<Value = (Member, String)> {
    prop_oneof![
        4 => (prop_oneof![Just(Member::BaseUrl), Just(Member::AuthorizationUrl), Just(Member::TokenUrl)], url()),
        1 => text_near(100).prop_map(|v| (Member::Name, v)),
        1 => prop_oneof![Just(String::new()), space(), text_near(2)].prop_map(|v| (Member::Name, v)),
        1 => text_near(1000).prop_map(|v| (Member::Description, v)),
        1 => text_near(100).prop_map(|v| (Member::Label, v)),
        1 => prop_oneof![Just(String::new()), text_near(1)].prop_map(|v| (Member::Label, v)),
        1 => "[A-Za-z0-9!#$%&'*+.^_`|~ :/()@-]{0,12}".prop_map(|v| (Member::HeaderName, v)),
        1 => "[A-Za-z0-9_ -]{0,3}|[a-z][a-z0-9_]{60,66}"
            .prop_filter("keys of other fields are not expressible duplicates", |k| {
                !["region", "apiKey"].contains(&k.as_str())
            })
            .prop_map(|v| (Member::Key, v)),
        1 => "[ /a-z{}]{0,6}".prop_map(|v| (Member::Endpoint, v)),
        1 => "[a-z ]{0,3}".prop_map(|v| (Member::Scope, v)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn the_model_and_the_schema_agree_on_every_expressible_member((member, value) in member_and_value()) {
        // A placeholder other than `{region}` is the model's alone.
        let expressible = !value.replace("{region}", "").contains(['{', '}']);
        check(&with(member, &value), expressible)?;
    }
}

/// The cases the issue names, one by one.
#[test]
fn the_issues_urls() {
    for (url, valid) in [
        (" https://x.example", false),
        ("https://x.example ", false),
        ("https://x.example/a b", false),
        ("https://x.example/a\u{a0}b", false),
        ("HTTPS://X.example", true),
        ("https://x.example:8443/v2?tenant=1", true),
        ("https://x.example:65535", true),
        ("https://x.example:65536", false),
        ("https://[::1]:8443/", true),
        ("https://[2001:db8::1]", true),
        ("https://", false),
        ("", false),
        ("https:///x.example", false),
        ("https:x.example", false),
        ("http://x.example", false),
    ] {
        let config = with(Member::BaseUrl, url);
        let model = lupl_model::rules::provider_configuration(&config);
        assert_eq!(model.is_empty(), valid, "{url:?}: {model:?}");
        check(&config, true).unwrap_or_else(|e| panic!("{url:?}: {e}"));
    }
}
