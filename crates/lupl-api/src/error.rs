//! One error type for every outcome of a call, documented or not.

use crate::GeneratedError;
use reqwest::header::{HeaderMap, RETRY_AFTER, WWW_AUTHENTICATE};
use reqwest::StatusCode;
use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, SystemTime};

/// The `errors` member of a 400 body: messages by key (a parameter name, a
/// JSON path such as `$.pmsId`, `""` for an empty body, or a member path such
/// as `config.baseUrl`).
pub type ValidationErrors = BTreeMap<String, Vec<String>>;

/// The value of a `Retry-After` header (RFC 9110 §10.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfter {
    /// A number of whole seconds.
    Seconds(u64),
    /// An HTTP-date.
    At(SystemTime),
}

impl RetryAfter {
    /// Parses either form; `None` for anything else.
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        if let Ok(seconds) = value.parse::<u64>() {
            return Some(RetryAfter::Seconds(seconds));
        }
        httpdate::parse_http_date(value).ok().map(RetryAfter::At)
    }

    /// How long to wait from `now` (zero for a date in the past).
    pub fn delay_from(&self, now: SystemTime) -> Duration {
        match self {
            RetryAfter::Seconds(s) => Duration::from_secs(*s),
            RetryAfter::At(t) => t.duration_since(now).unwrap_or(Duration::ZERO),
        }
    }

    /// Reads the `Retry-After` header of a response.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(Self::parse)
    }
}

/// What went wrong with a call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// 400: the request was not valid. `errors` holds every problem by key.
    #[error("400 Bad Request: {}", summarize(errors))]
    BadRequest {
        /// Messages by key.
        errors: ValidationErrors,
        /// The problem's `traceId`, for Lupl support.
        trace_id: Option<String>,
    },
    /// 401: no token, or one the server does not accept.
    #[error("401 Unauthorized: the access token is missing, invalid or expired")]
    Unauthorized {
        /// The `WWW-Authenticate` challenge, if any.
        challenge: Option<String>,
    },
    /// 403: the caller may not access the resource, or it does not exist.
    #[error("403 Forbidden: not yours to access, or it does not exist")]
    Forbidden,
    /// 415: the body was not sent as JSON.
    #[error("415 Unsupported Media Type: the body must be JSON")]
    UnsupportedMediaType,
    /// 429: the token's quota is used up.
    #[error("429 Too Many Requests{}", retry_after.map(|r| format!(": retry after {}s", r.delay_from(SystemTime::now()).as_secs())).unwrap_or_default())]
    TooManyRequests {
        /// When to try again, if the server said.
        retry_after: Option<RetryAfter>,
    },
    /// Any other status, with the body as received (lossy UTF-8).
    #[error("unexpected {status}: {}", truncate(body))]
    UnexpectedStatus {
        /// The status.
        status: StatusCode,
        /// The body.
        body: String,
    },
    /// A response whose body could not be decoded as documented.
    #[error("could not decode the {status} response: {message}")]
    Decode {
        /// The status of the response.
        status: StatusCode,
        /// What the decoder said.
        message: String,
        /// The body as received (lossy UTF-8).
        body: String,
    },
    /// The request never got an answer: DNS, connect, TLS, timeout.
    #[error("transport error: {0}")]
    Transport(#[source] reqwest::Error),
    /// The request could not be built.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The client's middleware (tokens, limits) refused or failed.
    #[error("{0}")]
    Middleware(String),
}

fn summarize(errors: &ValidationErrors) -> String {
    let parts: Vec<String> = errors
        .iter()
        .map(|(k, msgs)| {
            format!(
                "{}: {}",
                if k.is_empty() { "(body)" } else { k },
                msgs.join(" ")
            )
        })
        .collect();
    parts.join("; ")
}

fn truncate(body: &str) -> String {
    const MAX: usize = 200;
    match body.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &body[..i]),
        None => body.to_owned(),
    }
}

impl Error {
    /// The HTTP status, when there was a response.
    pub fn status(&self) -> Option<StatusCode> {
        Some(match self {
            Error::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Error::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Error::Forbidden => StatusCode::FORBIDDEN,
            Error::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::UnexpectedStatus { status, .. } | Error::Decode { status, .. } => *status,
            Error::Transport(e) => return e.status(),
            Error::InvalidRequest(_) | Error::Middleware(_) => return None,
        })
    }

    /// Turns the generated client's error into this one, reading the body of
    /// a non-2xx response.
    pub async fn from_generated(error: GeneratedError) -> Self {
        match error {
            progenitor_client::Error::UnexpectedResponse(response) => {
                Self::from_response(response).await
            }
            progenitor_client::Error::InvalidResponsePayload(bytes, e) => Error::Decode {
                status: StatusCode::OK,
                message: e.to_string(),
                body: String::from_utf8_lossy(&bytes).into_owned(),
            },
            progenitor_client::Error::CommunicationError(e)
            | progenitor_client::Error::InvalidUpgrade(e)
            | progenitor_client::Error::ResponseBodyError(e) => Error::Transport(e),
            progenitor_client::Error::InvalidRequest(msg) => Error::InvalidRequest(msg),
            progenitor_client::Error::Custom(msg) => Error::Middleware(msg),
            progenitor_client::Error::ErrorResponse(rv) => Error::UnexpectedStatus {
                status: rv.status(),
                body: String::new(),
            },
        }
    }

    /// Classifies a response by status, reading its body.
    pub async fn from_response(response: reqwest::Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        match response.bytes().await {
            Ok(body) => Self::from_parts(status, &headers, &body),
            Err(e) => Error::Transport(e),
        }
    }

    /// Classifies a response already read: status, headers and body.
    pub fn from_parts(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Self {
        let text = || String::from_utf8_lossy(body).into_owned();
        match status {
            StatusCode::BAD_REQUEST => {
                match serde_json::from_slice::<crate::types::ValidationProblemDetails>(body) {
                    Ok(problem) => Error::BadRequest {
                        errors: problem.errors.into_iter().collect(),
                        trace_id: problem.trace_id,
                    },
                    Err(e) => Error::Decode {
                        status,
                        message: format!("not a validation problem: {e}"),
                        body: text(),
                    },
                }
            }
            StatusCode::UNAUTHORIZED => Error::Unauthorized {
                challenge: headers
                    .get(WWW_AUTHENTICATE)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned),
            },
            StatusCode::FORBIDDEN => Error::Forbidden,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Error::UnsupportedMediaType,
            StatusCode::TOO_MANY_REQUESTS => Error::TooManyRequests {
                retry_after: RetryAfter::from_headers(headers),
            },
            _ => Error::UnexpectedStatus {
                status,
                body: text(),
            },
        }
    }
}

impl fmt::Display for RetryAfter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RetryAfter::Seconds(s) => write!(f, "{s}"),
            RetryAfter::At(t) => f.write_str(&httpdate::fmt_http_date(*t)),
        }
    }
}
