//! The kinds of check the harness runs on an answer; each clause of the
//! catalogue names the checks that judge it.

use serde::{Deserialize, Serialize};

/// The checks, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Check {
    /// Nothing answers 5xx.
    No5xx,
    /// The status is the one the order of checks predicts.
    Status,
    /// The status is documented for the operation in openapi.json.
    Documented,
    /// The body validates against the documented schema.
    Schema,
    /// `application/json`, or `application/problem+json` for 400 and 415.
    ContentType,
    /// 403 bodies are `{}` (or empty).
    ForbiddenBody,
    /// A 400's `errors` holds exactly the predicted keys.
    ErrorKeys,
    /// The messages CONTRACT.md fixes.
    ErrorMessage,
    /// 401: `WWW-Authenticate: Bearer`, empty body.
    Challenge,
    /// 405: `Allow: GET, POST`.
    Allow,
    /// 429: `Retry-After` as the harness's log says.
    RetryAfter,
    /// 429: the gateway's body.
    ThrottleBody,
    /// When 429s start and stop, by the harness's log of counted requests.
    Quota,
    /// A GET returns what was stored.
    RoundTrip,
}

impl Check {
    /// The name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Check::No5xx => "no 5xx",
            Check::Status => "status",
            Check::Documented => "documented status",
            Check::Schema => "body schema",
            Check::ContentType => "content type",
            Check::ForbiddenBody => "403 body",
            Check::ErrorKeys => "400 error keys",
            Check::ErrorMessage => "400 error message",
            Check::Challenge => "401 challenge",
            Check::Allow => "405 Allow",
            Check::RetryAfter => "429 Retry-After",
            Check::ThrottleBody => "429 body",
            Check::Quota => "quota",
            Check::RoundTrip => "round trip",
        }
    }
}
