//! A stored configuration kept as the JSON text it was sent as.
//!
//! CONTRACT.md, step 7: a later GET returns a stored configuration "exactly
//! as sent, as a JSON value (member order and white space aside)". The
//! API's System.Text.Json keeps a number's digits when it writes a stored
//! document back (`123456789012345678901234567890`,
//! `0.10000000000000000555`); serde_json's [`Value`] keeps an `f64`. So
//! the model keeps both: the value, for its rules, and the text (white
//! space outside strings removed), for its answers and the state file.
//! serde_json's `arbitrary_precision` would do the same for every crate
//! in a build, a vendor's included: the text is kept here instead.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;
use std::sync::Arc;

/// A JSON value and the text it was sent as.
///
/// ```
/// use lupl_model::JsonText;
/// let sent = JsonText::parse(r#"{"rate": 0.10000000000000000555, "big": 123456789012345678901234567890}"#)?;
/// assert_eq!(sent.text(), r#"{"rate":0.10000000000000000555,"big":123456789012345678901234567890}"#);
/// assert!(sent.value()["rate"].is_number());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone)]
pub struct JsonText {
    value: Value,
    text: Arc<str>,
}

impl JsonText {
    /// Parses JSON text, keeping its digits.
    pub fn parse(text: &str) -> Result<Self, serde_json::Error> {
        let value = serde_json::from_str(text)?;
        Ok(Self {
            value,
            text: compact(text).into(),
        })
    }

    /// JSON `null`.
    pub fn null() -> Self {
        Value::Null.into()
    }

    /// The value.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The text, without white space outside strings.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// `text` (valid JSON) without white space outside strings.
fn compact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            in_string = c == '"';
            out.push(c);
        }
    }
    out
}

impl From<Value> for JsonText {
    fn from(value: Value) -> Self {
        Self {
            text: value.to_string().into(),
            value,
        }
    }
}

impl Default for JsonText {
    fn default() -> Self {
        Self::null()
    }
}

impl std::ops::Deref for JsonText {
    type Target = Value;

    fn deref(&self) -> &Value {
        &self.value
    }
}

impl std::fmt::Debug for JsonText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// Equal when the values are (as a JSON client compares them).
impl PartialEq for JsonText {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl PartialEq<Value> for JsonText {
    fn eq(&self, other: &Value) -> bool {
        &self.value == other
    }
}

impl Serialize for JsonText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let raw =
            RawValue::from_string(self.text.to_string()).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for JsonText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        Self::parse(raw.get()).map_err(serde::de::Error::custom)
    }
}
