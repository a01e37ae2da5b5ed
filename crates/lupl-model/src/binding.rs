//! Step 4 of CONTRACT.md's order of checks: binding the query parameter or
//! the top level of the JSON body, as ASP.NET Core's model binding does.

use crate::json_text::JsonText;
use crate::rules::Errors;
use serde_json::{Map, Value};
use uuid::Uuid;

/// Parses a uuid in the forms .NET's `Guid.Parse` takes (CONTRACT.md: "32 hex
/// digits, either case, bare or as 8-4-4-4-12 with hyphens, optionally
/// wrapped in `{}` or `()`; anything else is malformed"). The wrapped forms
/// are .NET's `B` and `P` formats, which wrap the hyphenated form.
pub fn parse_guid(text: &str) -> Option<Uuid> {
    let hyphenated = |s: &str| {
        s.len() == 36
            && s.char_indices().all(|(i, c)| match i {
                8 | 13 | 18 | 23 => c == '-',
                _ => c.is_ascii_hexdigit(),
            })
    };
    let inner = text
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .or_else(|| text.strip_prefix('(').and_then(|s| s.strip_suffix(')')));
    let canonical = match inner {
        Some(s) if hyphenated(s) => s.to_owned(),
        Some(_) => return None,
        None if hyphenated(text) => text.to_owned(),
        None if text.len() == 32 && text.chars().all(|c| c.is_ascii_hexdigit()) => text.to_owned(),
        None => return None,
    };
    Uuid::parse_str(&canonical).ok()
}

/// One `application/x-www-form-urlencoded` value decoded (`+` a space,
/// `%XX` a byte), as the query binding and the token endpoint read them.
///
/// ```
/// assert_eq!(lupl_model::binding::form_decoded("client%5Fsecret+x"), "client_secret x");
/// assert_eq!(lupl_model::binding::form_decoded("s3cret=="), "s3cret==");
/// ```
pub fn form_decoded(text: &str) -> String {
    percent_encoding::percent_decode_str(&text.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

fn add(errors: &mut Errors, key: impl Into<String>, message: impl Into<String>) {
    errors.entry(key.into()).or_default().push(message.into());
}

/// Binds a uuid query parameter (case-insensitive name, first value):
/// "missing (or empty) query parameter: key is the parameter name, `The
/// <name> field is required.`"; "malformed uuid in the query: key is the
/// parameter name, message `The value '<raw>' is not valid.`"
pub fn query_uuid(query: Option<&str>, name: &str) -> Result<Uuid, Errors> {
    let raw = query.and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.into_owned())
    });
    let mut errors = Errors::new();
    match raw.as_deref() {
        None | Some("") => add(&mut errors, name, format!("The {name} field is required.")),
        Some(raw) => match parse_guid(raw) {
            Some(id) => return Ok(id),
            None => add(
                &mut errors,
                name,
                format!("The value '{raw}' is not valid."),
            ),
        },
    }
    Err(errors)
}

/// What a top-level body member must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Member {
    /// A uuid string.
    Uuid(&'static str),
    /// A JSON object (judged later, at step 6); the type name is for messages.
    Object(&'static str, &'static str),
}

impl Member {
    fn name(self) -> &'static str {
        match self {
            Member::Uuid(n) | Member::Object(n, _) => n,
        }
    }
}

/// The top level of `setProviderConfig`'s body (CONTRACT.md step 4).
pub const SET_PROVIDER_CONFIG: (&[Member], &str) = (
    &[
        Member::Uuid("pmsId"),
        Member::Object("config", "ProviderConfiguration"),
    ],
    "SetProviderConfigRequest",
);

/// The top level of `setOrganizationConfig`'s body (CONTRACT.md step 4).
pub const SET_ORGANIZATION_CONFIG: (&[Member], &str) = (
    &[
        Member::Uuid("organizationId"),
        Member::Uuid("pmsId"),
        Member::Object("fields", "Dictionary`2"),
    ],
    "SetOrganizationConfigRequest",
);

/// The members of a bound body, by name.
#[derive(Debug, Default)]
pub struct Bound {
    /// Uuid members.
    pub ids: Vec<(&'static str, Uuid)>,
    /// Object members, with the text they were sent as.
    pub objects: Vec<(&'static str, Map<String, Value>, JsonText)>,
}

impl Bound {
    /// The uuid member `name` (present once binding succeeded).
    pub fn id(&self, name: &str) -> Uuid {
        self.ids
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, id)| *id)
            .unwrap_or_default()
    }

    /// The object member `name` (present once binding succeeded).
    pub fn object(&self, name: &str) -> Map<String, Value> {
        self.objects
            .iter()
            .find(|(n, ..)| *n == name)
            .map(|(_, o, _)| o.clone())
            .unwrap_or_default()
    }

    /// The object member `name` as sent, digits kept (present once
    /// binding succeeded).
    pub fn object_text(&self, name: &str) -> JsonText {
        self.objects
            .iter()
            .find(|(n, ..)| *n == name)
            .map(|(_, _, text)| text.clone())
            .unwrap_or_default()
    }
}

/// Binds a JSON body's top level. CONTRACT.md step 4: empty body → key `""`;
/// not JSON or not an object → key `$`; a member of the wrong JSON type → its
/// JSON path (`$.pmsId`); a required member missing or `null` → its name;
/// unknown members ignored; every error at once.
pub fn body(body: &[u8], members: &[Member], type_name: &str) -> Result<Bound, Errors> {
    let mut errors = Errors::new();
    if body.is_empty() {
        add(&mut errors, "", "A non-empty request body is required.");
        return Err(errors);
    }
    let object = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => object,
        Ok(_) => {
            add(
                &mut errors,
                "$",
                format!("The JSON value could not be converted to {type_name}. Path: $."),
            );
            return Err(errors);
        }
        Err(e) => {
            add(
                &mut errors,
                "$",
                format!("The request body is not valid JSON: {e}. Path: $."),
            );
            return Err(errors);
        }
    };
    // The members' text as sent (the body is valid JSON: this parses too).
    let texts: std::collections::HashMap<String, &serde_json::value::RawValue> =
        serde_json::from_slice(body).unwrap_or_default();
    let mut bound = Bound::default();
    for &member in members {
        let name = member.name();
        match (member, object.get(name)) {
            (_, None | Some(Value::Null)) => {
                add(&mut errors, name, format!("The {name} field is required."))
            }
            (Member::Uuid(_), Some(Value::String(s))) if parse_guid(s).is_some() => {
                bound.ids.push((name, parse_guid(s).unwrap_or_default()));
            }
            (Member::Uuid(_), Some(_)) => add(
                &mut errors,
                format!("$.{name}"),
                format!("The JSON value could not be converted to System.Guid. Path: $.{name}."),
            ),
            (Member::Object(..), Some(Value::Object(o))) => {
                let text = texts
                    .get(name)
                    .and_then(|raw| JsonText::parse(raw.get()).ok())
                    .unwrap_or_else(|| Value::Object(o.clone()).into());
                bound.objects.push((name, o.clone(), text));
            }
            (Member::Object(_, t), Some(_)) => add(
                &mut errors,
                format!("$.{name}"),
                format!("The JSON value could not be converted to {t}. Path: $.{name}."),
            ),
        }
    }
    if errors.is_empty() {
        Ok(bound)
    } else {
        Err(errors)
    }
}
