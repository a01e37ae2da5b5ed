//! Files the user hands to `lupl`: reading them, and judging them offline
//! exactly as the server would judge the request they become, and
//! reporting the server's own refusal of one at the lines it names.
//!
//! A file may hold the member itself (a provider's `config`, an
//! organization's `fields`) or a whole request body. Either way it is turned
//! into the body the server would receive and checked with
//! [`lupl_model::offline`], the composition of binding and rules the model
//! itself runs, so the keys are the server's keys.

use crate::failure::Failure;
use crate::locate;
use lupl_model::rules::Errors;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value, json};
use std::io::Read;
use std::path::Path;

/// Any id binds; the offline checks do not look it up.
const ANY_ID: &str = "00000000-0000-0000-0000-000000000000";

/// Reads a file (`-` is stdin) whole, as [`text`].
pub fn read(path: &Path) -> Result<String, Failure> {
    let bytes = if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| Failure::usage(format!("cannot read stdin: {e}")))?;
        bytes
    } else {
        std::fs::read(path)
            .map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?
    };
    text(path, bytes)
}

/// A file's bytes as text: a UTF-8 byte order mark is dropped (editors on
/// Windows write one), anything else that is not UTF-8 is refused at the
/// line and column of its first bad byte.
pub fn text(path: &Path, mut bytes: Vec<u8>) -> Result<String, Failure> {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let before = &bytes[..at];
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count()
            + 1;
        Failure::usage(format!(
            "{}:{line}:{column}: not UTF-8 text (byte 0x{:02X}); save the file as UTF-8",
            path.display(),
            bytes.get(at).copied().unwrap_or_default()
        ))
    })
}

/// Parses JSON, naming the file, line and column of a syntax error or of a
/// member given twice in one object (which JSON parsers resolve
/// differently: the file is refused rather than guessed at).
pub fn parse_json(path: &Path, text: &str) -> Result<Value, Failure> {
    parse_strict(text).map_err(|e| {
        Failure::usage(format!(
            "{}:{}:{}: not usable JSON: {e}",
            path.display(),
            e.line(),
            e.column()
        ))
    })
}

/// Parses JSON text whose objects give no member twice.
pub fn parse_strict(text: &str) -> Result<Value, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = Strict::deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(value.0)
}

/// A JSON value whose objects have no member twice.
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(Strict(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(serde::de::Error::custom(format!(
                    "the member {key:?} is given twice in one object; keep one"
                )));
            }
            let Strict(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

/// A provider document: a whole `setProviderConfig` body (it has `pmsId`)
/// or just the configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderDocument {
    /// The body the server would receive.
    pub body: Value,
    /// True when the file held the whole body.
    pub whole_body: bool,
}

impl ProviderDocument {
    /// Reads the document's shape.
    pub fn new(doc: Value) -> Self {
        match doc {
            Value::Object(o) if o.contains_key("pmsId") => Self {
                body: Value::Object(o),
                whole_body: true,
            },
            config => Self {
                body: json!({ "pmsId": ANY_ID, "config": config }),
                whole_body: false,
            },
        }
    }

    /// What the server would refuse the body for (CONTRACT.md steps 4 and
    /// 6); empty when it would store it.
    pub fn problems(&self) -> Errors {
        lupl_model::offline::provider_body(self.body.to_string().as_bytes())
    }

    /// The configuration to send.
    pub fn config(&self) -> &Value {
        &self.body["config"]
    }

    /// The prefix the file's own paths lack (`config.` for a bare config).
    pub fn prefix(&self) -> &'static str {
        if self.whole_body { "" } else { "config." }
    }
}

/// An organization document: a whole `setOrganizationConfig` body (it has
/// `organizationId`) or just the fields.
#[derive(Debug, Clone, PartialEq)]
pub struct OrganizationDocument {
    /// The body the server would receive.
    pub body: Value,
    /// True when the file held the whole body.
    pub whole_body: bool,
}

impl OrganizationDocument {
    /// Reads the document's shape.
    pub fn new(doc: Value) -> Self {
        match doc {
            Value::Object(o) if o.contains_key("organizationId") => Self {
                body: Value::Object(o),
                whole_body: true,
            },
            fields => Self {
                body: json!({ "organizationId": ANY_ID, "pmsId": ANY_ID, "fields": fields }),
                whole_body: false,
            },
        }
    }

    /// What the server would refuse the body for when its `pmsId` names a
    /// provider configured as `provider`; empty when it would store it.
    pub fn problems(&self, provider: &Value) -> Errors {
        lupl_model::offline::organization_body(self.body.to_string().as_bytes(), provider)
    }

    /// The fields to send (empty when they are not an object).
    pub fn fields(&self) -> Map<String, Value> {
        self.body["fields"].as_object().cloned().unwrap_or_default()
    }

    /// The prefix the file's own paths lack (`fields.` for bare fields).
    pub fn prefix(&self) -> &'static str {
        if self.whole_body { "" } else { "fields." }
    }
}

/// Prints each problem on stderr as `file:line:column: key: message`, the
/// position being that of the member the key names (or 1:1).
pub fn report(path: &Path, text: &str, errors: &Errors, prefix: &str) {
    let positions = locate::positions(text);
    for (key, messages) in errors {
        let (line, col) = locate::find(&positions, key, prefix).unwrap_or((1, 1));
        let shown = if key.is_empty() { "(body)" } else { key };
        for m in messages {
            // The server's words: secrets masked, controls escaped.
            eprintln!(
                "{}",
                lupl_safety::text::for_terminal(
                    &format!("{}:{line}:{col}: {shown}: {m}", path.display()),
                    true
                )
            );
        }
    }
}

/// [`report`]s `errors` and refuses the file if there are any.
pub fn refuse_if_any(
    path: &Path,
    text: &str,
    errors: &Errors,
    prefix: &str,
) -> Result<(), Failure> {
    if errors.is_empty() {
        return Ok(());
    }
    report(path, text, errors, prefix);
    Err(Failure::refused(format!(
        "{} breaks {} rule(s)",
        path.display(),
        errors.len()
    )))
}

/// A 400 from the server, reported against the file the body came from
/// as [`report`] does; any other error as it is.
pub(crate) fn refused_by_server(
    path: &Path,
    text: &str,
    prefix: &str,
    e: lupl_api::Error,
) -> Failure {
    match e {
        lupl_api::Error::BadRequest { errors, trace_id } => {
            let count = errors.len();
            report(path, text, &errors.into_iter().collect(), prefix);
            Failure::refused(format!(
                "the server refused {}: {count} problem(s), listed above{}",
                path.display(),
                trace_id
                    .map(|t| format!(" (traceId {t})"))
                    .unwrap_or_default()
            ))
        }
        other => other.into(),
    }
}
