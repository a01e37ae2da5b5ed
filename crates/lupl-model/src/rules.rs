//! The semantic rules of CONTRACT.md for configurations (step 6 of the order
//! of checks). Pure functions over JSON, shared by the model and by the
//! CLI's offline `validate`; each rule says which line of CONTRACT.md it
//! implements.
//!
//! The conformance harness must never call this module: its expectations are
//! derived from how it generated a case, so that a bug here is caught there.

use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Messages by key (`config.baseUrl`, `fields.region`, …), as in a 400 body.
pub type Errors = BTreeMap<String, Vec<String>>;

fn add(errors: &mut Errors, key: impl Into<String>, message: impl Into<String>) {
    errors.entry(key.into()).or_default().push(message.into());
}

/// CONTRACT.md: "`endpoints` … keys from `matters`, `clients`, `hours`,
/// `billing`, `invoices`".
pub const ENDPOINT_KEYS: [&str; 5] = ["matters", "clients", "hours", "billing", "invoices"];
/// CONTRACT.md: "`type` is `string`, `number`, `boolean` or `select`".
pub const FIELD_TYPES: [&str; 4] = ["string", "number", "boolean", "select"];
/// CONTRACT.md: "`fields` (optional, default `[]`, at most 50)".
pub const MAX_FIELDS: usize = 50;

/// A required member: absent or JSON `null` counts as not given (CONTRACT.md
/// step 4: "a required … member missing or `null`").
fn given<'a>(object: &'a Map<String, Value>, member: &str) -> Option<&'a Value> {
    object.get(member).filter(|v| !v.is_null())
}

/// An optional member: only absence counts as not given; a `null` is a
/// value of the wrong type ("a member of the wrong JSON type inside `config`
/// breaks the rule of that member"), as the schema in openapi.json says.
fn optional<'a>(object: &'a Map<String, Value>, member: &str) -> Option<&'a Value> {
    object.get(member)
}

/// The `{placeholder}` names in a text.
pub fn placeholders(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        match after.find(['{', '}']) {
            Some(end) if after.as_bytes()[end] == b'}' => {
                out.push(&after[..end]);
                rest = &after[end + 1..];
            }
            Some(end) => rest = &after[end..],
            None => break,
        }
    }
    out
}

/// CONTRACT.md: "absolute `https` URL", read as an absolute URI (RFC 3986
/// §4.3): the scheme `https` in any case (§3.1), `//` and an authority with
/// a host, as the WHATWG URL parser reads it (a port up to 65535, IPv4 and
/// IPv6 literals well formed), and no white space or control character
/// anywhere: a URL is taken as sent, never trimmed or re-encoded.
/// Placeholders stand for host or path text, so each is replaced by a plain
/// label before parsing. openapi.json's URL pattern says the same wherever
/// a pattern can (`tests/tests/rules_agree_with_spec.rs`).
fn is_https_url(text: &str) -> bool {
    const SCHEME: &str = "https://";
    let has_scheme = text
        .get(..SCHEME.len())
        .is_some_and(|s| s.eq_ignore_ascii_case(SCHEME));
    // The WHATWG parser skips extra slashes and backslashes after the
    // scheme; an absolute URI has the authority right after `//`.
    if !has_scheme
        || text[SCHEME.len()..].starts_with(['/', '\\'])
        || text.chars().any(is_space_or_control)
    {
        return false;
    }
    let mut concrete = text.to_owned();
    for name in placeholders(text) {
        concrete = concrete.replace(&format!("{{{name}}}"), "placeholder");
    }
    match url::Url::parse(&concrete) {
        Ok(url) => url.scheme() == "https" && url.host_str().is_some_and(|h| !h.is_empty()),
        Err(_) => false,
    }
}

/// White space (Unicode `White_Space`), a control character, or U+FEFF
/// (a byte order mark): never part of a URL.
fn is_space_or_control(c: char) -> bool {
    c.is_whitespace() || c.is_control() || c == '\u{feff}'
}

/// RFC 9110 token: a valid header name.
fn is_header_name(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// CONTRACT.md: "each `key` matches `^[A-Za-z][A-Za-z0-9_]{0,63}$`".
fn is_field_key(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && text.len() <= 64
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The message of a `{placeholder}` that names no declared field.
///
/// ```
/// assert_eq!(
///     lupl_model::rules::undeclared_placeholder("region"),
///     "The placeholder '{region}' does not name a declared field."
/// );
/// ```
pub fn undeclared_placeholder(name: &str) -> String {
    format!("The placeholder '{{{name}}}' does not name a declared field.")
}

/// CONTRACT.md: "Every `{placeholder}` … names a declared field → the member
/// that holds it."
fn check_placeholders(errors: &mut Errors, key: &str, text: &str, declared: &BTreeSet<&str>) {
    for name in placeholders(text) {
        if !declared.contains(name) {
            add(errors, key, undeclared_placeholder(name));
        }
    }
}

/// Checks a provider configuration (the `config` member of the POST body);
/// keys are prefixed `config.`. Empty when it is valid.
pub fn provider_configuration(config: &Value) -> Errors {
    let mut errors = Errors::new();
    let Some(config) = config.as_object() else {
        add(
            &mut errors,
            "config",
            "The config field must be a JSON object.",
        );
        return errors;
    };
    let fields = check_fields(&mut errors, config);
    let declared: BTreeSet<&str> = fields.iter().map(|(k, _)| *k).collect();

    // "`name` (required): 1–100 characters after trimming → `config.name`."
    match given(config, "name").map(|v| v.as_str().map(str::trim)) {
        Some(Some(name)) if (1..=100).contains(&name.chars().count()) => {}
        None => add(&mut errors, "config.name", "The name field is required."),
        _ => add(
            &mut errors,
            "config.name",
            "The name field must be a string of 1 to 100 characters after trimming.",
        ),
    }
    // "`description` (optional): at most 1000 characters → `config.description`."
    if let Some(d) = optional(config, "description")
        && d.as_str().is_none_or(|d| d.chars().count() > 1000)
    {
        add(
            &mut errors,
            "config.description",
            "The description field must be a string of at most 1000 characters.",
        );
    }
    // "`baseUrl` (required): absolute `https` URL → `config.baseUrl`."
    match given(config, "baseUrl").map(Value::as_str) {
        None => add(
            &mut errors,
            "config.baseUrl",
            "The baseUrl field is required.",
        ),
        Some(Some(url)) if is_https_url(url) => {
            check_placeholders(&mut errors, "config.baseUrl", url, &declared)
        }
        Some(_) => add(
            &mut errors,
            "config.baseUrl",
            "The baseUrl field must be an absolute https URL.",
        ),
    }
    check_authentication(&mut errors, config, &fields, &declared);
    check_endpoints(&mut errors, config, &declared);
    errors
}

/// "`authentication` (required), by `type`" (oauth2, apiKey, anything else).
fn check_authentication(
    errors: &mut Errors,
    config: &Map<String, Value>,
    fields: &[(&str, &str)],
    declared: &BTreeSet<&str>,
) {
    const KEY: &str = "config.authentication";
    let auth = match given(config, "authentication") {
        None => return add(errors, KEY, "The authentication field is required."),
        Some(Value::Object(auth)) => auth,
        Some(_) => {
            return add(
                errors,
                KEY,
                "The authentication field must be a JSON object.",
            );
        }
    };
    match given(auth, "type").and_then(Value::as_str) {
        // "`oauth2`: `authorizationUrl`, `tokenUrl` absolute `https` URLs;
        // `scopes` an array of non-empty strings (may be empty)"
        Some("oauth2") => {
            for member in ["authorizationUrl", "tokenUrl"] {
                let key = format!("{KEY}.{member}");
                match given(auth, member).map(Value::as_str) {
                    Some(Some(url)) if is_https_url(url) => {
                        check_placeholders(errors, &key, url, declared)
                    }
                    None => add(errors, key, format!("The {member} field is required.")),
                    Some(_) => add(
                        errors,
                        key,
                        format!("The {member} field must be an absolute https URL."),
                    ),
                }
            }
            if let Some(scopes) = optional(auth, "scopes") {
                let ok = scopes
                    .as_array()
                    .is_some_and(|s| s.iter().all(|s| s.as_str().is_some_and(|s| !s.is_empty())));
                if !ok {
                    add(
                        errors,
                        format!("{KEY}.scopes"),
                        "The scopes field must be an array of non-empty strings.",
                    );
                }
            }
        }
        // "`apiKey`: `headerName` a valid HTTP header name; `field` the key
        // of a declared field of type `string`"
        Some("apiKey") => {
            if !given(auth, "headerName")
                .and_then(Value::as_str)
                .is_some_and(is_header_name)
            {
                add(
                    errors,
                    format!("{KEY}.headerName"),
                    "The headerName field must be a valid HTTP header name.",
                );
            }
            let field = given(auth, "field").and_then(Value::as_str);
            if !field.is_some_and(|f| fields.iter().any(|(k, t)| *k == f && *t == "string")) {
                add(
                    errors,
                    format!("{KEY}.field"),
                    "The field field must be the key of a declared field of type string.",
                );
            }
        }
        // "any other `type` → `config.authentication.type`"
        _ => add(
            errors,
            format!("{KEY}.type"),
            "The type field must be 'oauth2' or 'apiKey'.",
        ),
    }
}

/// "`endpoints` (required): at least one entry; keys from `matters`,
/// `clients`, `hours`, `billing`, `invoices`; values are paths starting with
/// `/` → `config.endpoints` or `config.endpoints.<key>`."
fn check_endpoints(errors: &mut Errors, config: &Map<String, Value>, declared: &BTreeSet<&str>) {
    const KEY: &str = "config.endpoints";
    let endpoints = match given(config, "endpoints") {
        None => return add(errors, KEY, "The endpoints field is required."),
        Some(Value::Object(e)) if !e.is_empty() => e,
        Some(_) => {
            return add(
                errors,
                KEY,
                "The endpoints field must be an object with at least one entry.",
            );
        }
    };
    for (name, path) in endpoints {
        let key = format!("{KEY}.{name}");
        if !ENDPOINT_KEYS.contains(&name.as_str()) {
            add(
                errors,
                key,
                format!(
                    "'{name}' is not an endpoint; use one of {}.",
                    ENDPOINT_KEYS.join(", ")
                ),
            );
            continue;
        }
        match path.as_str() {
            Some(p) if p.starts_with('/') => check_placeholders(errors, &key, p, declared),
            _ => add(
                errors,
                key,
                "The endpoint must be a path starting with '/'.",
            ),
        }
    }
}

/// "`fields` (optional, default `[]`, at most 50): each `key` matches
/// `^[A-Za-z][A-Za-z0-9_]{0,63}$` and is unique; `label` 1–100 characters;
/// `type` is `string`, `number`, `boolean` or `select`; `options` is a
/// non-empty list of unique strings for `select` and absent otherwise;
/// `pattern`, only on `string`, is a valid regular expression →
/// `config.fields[<i>].<member>`."
///
/// Returns the declared `(key, type)` pairs, for the rules that refer to
/// declared fields.
fn check_fields<'a>(
    errors: &mut Errors,
    config: &'a Map<String, Value>,
) -> Vec<(&'a str, &'a str)> {
    let mut declared = Vec::new();
    let items = match optional(config, "fields") {
        None => return declared,
        Some(Value::Array(items)) if items.len() <= MAX_FIELDS => items,
        Some(Value::Array(_)) => {
            add(
                errors,
                "config.fields",
                format!("At most {MAX_FIELDS} fields may be declared."),
            );
            return declared;
        }
        Some(_) => {
            add(
                errors,
                "config.fields",
                "The fields field must be an array.",
            );
            return declared;
        }
    };
    let mut seen = BTreeSet::new();
    for (i, item) in items.iter().enumerate() {
        let at = |member: &str| format!("config.fields[{i}].{member}");
        let Some(field) = item.as_object() else {
            add(
                errors,
                format!("config.fields[{i}]"),
                "Each field must be a JSON object.",
            );
            continue;
        };
        let key = given(field, "key").and_then(Value::as_str);
        match key {
            Some(k) if !is_field_key(k) => add(
                errors,
                at("key"),
                "The key must match ^[A-Za-z][A-Za-z0-9_]{0,63}$.",
            ),
            Some(k) if !seen.insert(k) => add(
                errors,
                at("key"),
                format!("The key '{k}' is declared twice."),
            ),
            Some(_) => {}
            None => add(errors, at("key"), "The key field is required."),
        }
        if !given(field, "label")
            .and_then(Value::as_str)
            .is_some_and(|l| (1..=100).contains(&l.chars().count()))
        {
            add(
                errors,
                at("label"),
                "The label must be a string of 1 to 100 characters.",
            );
        }
        let kind = given(field, "type").and_then(Value::as_str);
        let kind = match kind {
            Some(t) if FIELD_TYPES.contains(&t) => Some(t),
            _ => {
                add(
                    errors,
                    at("type"),
                    "The type must be one of string, number, boolean, select.",
                );
                None
            }
        };
        if optional(field, "required").is_some_and(|r| !r.is_boolean()) {
            add(
                errors,
                at("required"),
                "The required field must be a boolean.",
            );
        }
        // Options and pattern depend on the type; an unknown type is one
        // error, not three.
        if let Some(kind) = kind {
            match (kind, optional(field, "options")) {
                ("select", Some(Value::Array(options)))
                    if !options.is_empty()
                        && options.iter().all(Value::is_string)
                        && options
                            .iter()
                            .filter_map(Value::as_str)
                            .collect::<BTreeSet<_>>()
                            .len()
                            == options.len() => {}
                ("select", _) => add(
                    errors,
                    at("options"),
                    "A select field needs a non-empty list of unique strings as options.",
                ),
                (_, Some(_)) => add(errors, at("options"), "Only select fields have options."),
                _ => {}
            }
            match (kind, optional(field, "pattern")) {
                (_, None) => {}
                ("string", Some(Value::String(p))) if regress::Regex::new(p).is_ok() => {}
                ("string", Some(_)) => add(
                    errors,
                    at("pattern"),
                    "The pattern must be a valid regular expression.",
                ),
                (_, Some(_)) => add(errors, at("pattern"), "Only string fields have a pattern."),
            }
        }
        if let (Some(k), Some(t)) = (key, kind) {
            declared.push((k, t));
        }
    }
    declared
}

/// Checks an organization's `fields` against the provider configuration it
/// names (OrganizationConfiguration rules after the `pmsId` rule); keys are
/// `fields.<key>`. `provider` is a configuration that passed
/// [`provider_configuration`].
pub fn organization_fields(provider: &Value, fields: &Map<String, Value>) -> Errors {
    let mut errors = Errors::new();
    let declared: Vec<&Map<String, Value>> = provider
        .get("fields")
        .and_then(Value::as_array)
        .map(|f| f.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default();
    let key_of = |f: &Map<String, Value>| f.get("key").and_then(Value::as_str).map(str::to_owned);
    for field in &declared {
        let Some(key) = key_of(field) else { continue };
        let value = given(fields, &key);
        let required = field.get("required").and_then(Value::as_bool) == Some(true);
        let Some(value) = value else {
            // "every field with `required: true` is present and not `null`"
            if required {
                add(
                    &mut errors,
                    format!("fields.{key}"),
                    format!("The {key} field is required."),
                );
            }
            continue;
        };
        // "values by type: `string` a JSON string (matching `pattern` when
        // set, unanchored …), `number` a JSON number, `boolean` a JSON
        // boolean, `select` one of `options`"
        let ok =
            match field.get("type").and_then(Value::as_str) {
                Some("string") => value.as_str().is_some_and(|s| {
                    match field.get("pattern").and_then(Value::as_str) {
                        Some(p) => regress::Regex::new(p).is_ok_and(|re| re.find(s).is_some()),
                        None => true,
                    }
                }),
                Some("number") => value.is_number(),
                Some("boolean") => value.is_boolean(),
                Some("select") => field
                    .get("options")
                    .and_then(Value::as_array)
                    .is_some_and(|o| o.contains(value)),
                _ => false,
            };
        if !ok {
            add(
                &mut errors,
                format!("fields.{key}"),
                format!("The value of {key} does not fit its declared type."),
            );
        }
    }
    // "no key that the provider does not declare → `fields.<key>`"
    for key in fields.keys() {
        if !declared
            .iter()
            .any(|f| key_of(f).as_deref() == Some(key.as_str()))
        {
            add(
                &mut errors,
                format!("fields.{key}"),
                format!("The field '{key}' is not declared by the PMS provider."),
            );
        }
    }
    errors
}
