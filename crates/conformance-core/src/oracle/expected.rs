//! A prediction: the status, the clause it is judged under, a 400's keys
//! and messages, the accepted variations to blame, and a GET's body.

use crate::clauses::Clause;
use crate::order::Stage;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What the contract says about one key of a 400's `errors`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyExpectation {
    /// The clause that puts the key there.
    pub clause: Clause,
    /// Other keys the contract allows instead (or as well), where it leaves
    /// the choice open.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub or: Vec<String>,
    /// The message CONTRACT.md fixes for it (any of these), if any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<String>,
}

impl KeyExpectation {
    /// The key and its alternatives.
    pub fn keys<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> {
        std::iter::once(key).chain(self.or.iter().map(String::as_str))
    }
}

/// Something a request exercises that the contract accepts, judged at a
/// stage before the one that answers: if the answer is what that stage
/// would have answered (a 400 under one of `keys`, or one of `statuses`),
/// this clause is to blame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feature {
    /// The clause.
    pub clause: Clause,
    /// Where it is judged.
    pub stage: Stage,
    /// The error keys a wrong refusal would carry.
    pub keys: Vec<String>,
    /// Other statuses a wrong refusal would be.
    pub statuses: Vec<u16>,
    /// Blamed before features of a higher rank.
    pub rank: u8,
}

/// What a 200 GET must return.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BodyExpectation {
    /// What the case stored or read, if it knows.
    pub value: Option<Value>,
    /// Clauses the stored value exercises, by JSON pointer prefix.
    pub notes: Vec<(String, Clause)>,
    /// Writes refused since, which must not show, with the clause that
    /// says so.
    pub refused: Vec<(Value, Clause)>,
}

/// What the contract says the answer must be.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Expected {
    /// The status.
    pub status: u16,
    /// The clause the status is judged under.
    pub status_clause: Clause,
    /// Why, for reports.
    pub because: String,
    /// For a 400: exactly these keys.
    pub errors: Vec<(String, KeyExpectation)>,
    /// For a 400 with several keys: the clause that wants them all at once.
    pub all_at_once: Option<Clause>,
    /// Accepted variations judged before the answering stage.
    pub features: Vec<Feature>,
    /// For a 200 GET.
    pub body: Option<BodyExpectation>,
    /// Whether the request reached an operation (not a 404/405), so the
    /// operation's documented statuses and schemas apply.
    pub routed: bool,
}

impl Expected {
    /// A one-line summary: status, keys, why.
    pub fn summary(&self) -> String {
        let keys: Vec<&str> = self.errors.iter().map(|(k, _)| k.as_str()).collect();
        let keys = if keys.is_empty() {
            String::new()
        } else {
            format!(" with errors {keys:?}")
        };
        format!("{}{keys} — {}", self.status, self.because)
    }
}
