//! What a command prints: its [`Done`] (a value, text as it is, a note,
//! the exit code), a value [`render`]ed in the output format, and what a
//! GET returned as a value to render.

use crate::cli::Output;
use crate::failure::Failure;
use lupl_api::Error;
use serde_json::Value;

/// What a command produced: a value for stdout, text for stdout as it
/// is, a line for stderr, the exit code.
///
/// ```
/// let done = lupl_cli::output::Done {
///     note: Some("orgs.csv: valid".into()),
///     ..Default::default()
/// };
/// assert_eq!((done.value, done.code), (None, lupl_cli::exit::OK));
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Done {
    /// Printed on stdout in the output format.
    pub value: Option<Value>,
    /// Printed on stdout as it is (a token, a script, a schema).
    pub text: Option<String>,
    /// Printed on stderr.
    pub note: Option<String>,
    /// The exit code.
    pub code: u8,
}

impl Done {
    /// A value for stdout, exit code 0.
    pub(crate) fn value(value: Value) -> Self {
        Self {
            value: Some(value),
            ..Self::default()
        }
    }

    /// A line for stderr, exit code 0.
    pub(crate) fn note(note: impl Into<String>) -> Self {
        Self {
            note: Some(note.into()),
            ..Self::default()
        }
    }

    /// Text for stdout as it is, exit code 0.
    pub(crate) fn text(text: impl Into<String>) -> Self {
        Self {
            text: Some(text.into()),
            ..Self::default()
        }
    }
}

/// `value` as `output` asks: compact JSON, or for a table one `key value`
/// line per member of an object; secrets masked and unsafe characters
/// escaped either way.
///
/// ```
/// use lupl_cli::cli::Output;
/// use lupl_cli::output::render;
/// let value = serde_json::json!({"name": "a\u{1b}[2J", "seats": 3});
/// assert_eq!(render(Output::Json, &value), r#"{"name":"a\u001b[2J","seats":3}"#);
/// assert_eq!(
///     render(Output::Table, &value),
///     "name             a\\u{1b}[2J\nseats            3"
/// );
/// ```
pub fn render(output: Output, value: &Value) -> String {
    match (output, value) {
        (Output::Table, Value::Object(map)) => map
            .iter()
            .map(|(k, v)| {
                let shown = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                format!(
                    "{:<16} {}",
                    lupl_safety::text::for_terminal(k, true),
                    lupl_safety::text::for_terminal(&shown, true)
                )
            })
            .collect::<Vec<_>>()
            .join("\n"),
        (Output::Table, _) => lupl_safety::text::for_terminal(
            &serde_json::to_string_pretty(value).unwrap_or_default(),
            true,
        ),
        (Output::Json, _) => crate::terminal::json_text(value),
    }
}

/// What a GET returned, as JSON. A stored value that openapi.json's types
/// cannot decode is still shown as received, with a warning, so that the
/// user sees (and can fix) what the server holds.
pub(crate) fn stored_json<T: serde::Serialize>(
    read: Result<Option<T>, Error>,
) -> Result<Done, Failure> {
    match read {
        Ok(value) => serde_json::to_value(value)
            .map(Done::value)
            .map_err(|e| Failure::refused(format!("cannot show the answer: {e}"))),
        Err(Error::Decode {
            status,
            message,
            body,
        }) if status.is_success() => match serde_json::from_str::<Value>(&body) {
            Ok(value) => Ok(Done {
                note: Some(format!(
                    "warning: the stored value does not match openapi.json ({message}); shown as received"
                )),
                ..Done::value(value)
            }),
            Err(_) => Err(Error::Decode {
                status,
                message,
                body,
            }
            .into()),
        },
        Err(e) => Err(e.into()),
    }
}

/// A rate for people: whole numbers from 10 up, one decimal below.
///
/// ```
/// assert_eq!(lupl_cli::output::rate(2924.3, "rows"), "2924 rows/s");
/// assert_eq!(lupl_cli::output::rate(5.5512, "rows"), "5.6 rows/s");
/// ```
pub fn rate(per_second: f64, what: &str) -> String {
    if per_second >= 10.0 {
        format!("{per_second:.0} {what}/s")
    } else {
        format!("{per_second:.1} {what}/s")
    }
}
