//! One error type for every outcome of a call, documented or not.

use reqwest::header::{HeaderMap, RETRY_AFTER, WWW_AUTHENTICATE};
use reqwest::StatusCode;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::time::{Duration, SystemTime};

/// Why a base URL was refused.
///
/// ```
/// use lupl_api::{Environment, EnvironmentError};
/// let err = Environment::custom("http://api.example.com").unwrap_err();
/// assert!(matches!(err, EnvironmentError::Insecure { .. }));
/// assert!(err.to_string().contains("use https"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvironmentError {
    /// Not an absolute URL.
    #[error("{url:?} is not an absolute URL: {reason}")]
    Invalid {
        /// The text as given.
        url: String,
        /// What the URL parser said.
        reason: String,
    },
    /// Neither `https` nor `http`.
    #[error("{url:?} must use https")]
    Scheme {
        /// The text as given.
        url: String,
    },
    /// Plain `http` to a host that is not loopback: a token would cross the
    /// network in clear text.
    #[error("{url:?} uses plain http to a non-loopback host; use https (http is allowed only for localhost and 127.0.0.0/8 or [::1])")]
    Insecure {
        /// The text as given.
        url: String,
    },
}

/// An error from another layer (middleware, configuration), kept whole so
/// that callers can downcast it.
///
/// ```
/// let e: lupl_api::BoxError = "no token".into();
/// let err = lupl_api::Error::Middleware(e);
/// assert_eq!(err.to_string(), "no token");
/// ```
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The `errors` member of a 400 body: messages by key (a parameter name, a
/// JSON path such as `$.pmsId`, `""` for an empty body, or a member path such
/// as `config.baseUrl`).
///
/// ```
/// let mut errors = lupl_api::ValidationErrors::new();
/// errors.insert("config.baseUrl".into(), vec!["The baseUrl field is required.".into()]);
/// let err = lupl_api::Error::BadRequest { errors, trace_id: None };
/// assert_eq!(err.to_string(), "400 Bad Request: config.baseUrl: The baseUrl field is required.");
/// ```
pub type ValidationErrors = BTreeMap<String, Vec<String>>;

/// The value of a `Retry-After` header (RFC 9110 §10.2.3).
///
/// ```
/// use lupl_api::RetryAfter;
/// use std::time::{Duration, SystemTime};
/// assert_eq!(RetryAfter::parse("12"), Some(RetryAfter::Seconds(12)));
/// let at = RetryAfter::parse("Sun, 06 Nov 1994 08:49:37 GMT").expect("an HTTP-date");
/// assert_eq!(at.delay_from(SystemTime::now()), Duration::ZERO); // long past
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfter {
    /// A number of whole seconds.
    Seconds(u64),
    /// An HTTP-date.
    At(SystemTime),
}

impl RetryAfter {
    /// The longest wait any tool of this toolkit keeps for a `Retry-After`
    /// (two minutes; the API's window is one): a longer value (or a date
    /// years ahead) is capped to it rather than obeyed.
    ///
    /// ```
    /// assert_eq!(lupl_api::RetryAfter::MAX_WAIT.as_secs(), 120);
    /// ```
    pub const MAX_WAIT: Duration = Duration::from_secs(120);

    /// How long to wait from `now`, capped at [`RetryAfter::MAX_WAIT`]:
    /// the one place a `Retry-After` becomes a wait.
    ///
    /// ```
    /// use lupl_api::RetryAfter;
    /// use std::time::{Duration, SystemTime};
    /// let now = SystemTime::now();
    /// assert_eq!(RetryAfter::Seconds(7).wait_from(now), Duration::from_secs(7));
    /// assert_eq!(RetryAfter::Seconds(u64::MAX).wait_from(now), RetryAfter::MAX_WAIT);
    /// ```
    pub fn wait_from(&self, now: SystemTime) -> Duration {
        self.delay_from(now).min(Self::MAX_WAIT)
    }

    /// Parses either form; `None` for anything else.
    ///
    /// ```
    /// use lupl_api::RetryAfter;
    /// assert_eq!(RetryAfter::parse(" 3 "), Some(RetryAfter::Seconds(3)));
    /// assert_eq!(RetryAfter::parse("soon"), None);
    /// ```
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        if let Ok(seconds) = value.parse::<u64>() {
            return Some(RetryAfter::Seconds(seconds));
        }
        httpdate::parse_http_date(value).ok().map(RetryAfter::At)
    }

    /// How long to wait from `now` (zero for a date in the past).
    ///
    /// ```
    /// use lupl_api::RetryAfter;
    /// use std::time::{Duration, SystemTime};
    /// let now = SystemTime::now();
    /// let at = RetryAfter::At(now + Duration::from_secs(30));
    /// assert_eq!(at.delay_from(now), Duration::from_secs(30));
    /// assert_eq!(RetryAfter::Seconds(5).delay_from(now), Duration::from_secs(5));
    /// ```
    pub fn delay_from(&self, now: SystemTime) -> Duration {
        match self {
            RetryAfter::Seconds(s) => Duration::from_secs(*s),
            RetryAfter::At(t) => t.duration_since(now).unwrap_or(Duration::ZERO),
        }
    }

    /// Reads the `Retry-After` header of a response.
    ///
    /// ```
    /// use lupl_api::{reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER}, RetryAfter};
    /// let mut headers = HeaderMap::new();
    /// headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
    /// assert_eq!(RetryAfter::from_headers(&headers), Some(RetryAfter::Seconds(7)));
    /// ```
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(Self::parse)
    }
}

/// What went wrong with a call.
///
/// Every documented refusal of the API has its own variant; the other
/// statuses keep their body. Errors of the layers around the call (the
/// middleware that fetches tokens, the environment, request builders) keep
/// their own type as the [`source`](std::error::Error::source), so `?` works
/// across them and a caller can still tell them apart:
///
/// ```no_run
/// # async fn run(client: lupl_api::Client, pms_id: lupl_api::uuid::Uuid) {
/// use lupl_api::Error;
/// match client.get_provider_config().pms_id(pms_id).send().await {
///     Ok(config) => println!("{config:?}"),
///     Err(Error::Forbidden) => eprintln!("not your provider, or no such provider"),
///     Err(Error::BadRequest { errors, .. }) => eprintln!("refused: {errors:?}"),
///     Err(e @ Error::Middleware(_)) => eprintln!("no token: {e}"),
///     Err(e) => eprintln!("{e}"),
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// 400: the request was not valid. `errors` holds every problem by key.
    #[error("400 Bad Request: {}{}", summarize(errors), trace_id.as_deref().map(|t| format!(" (traceId {t})")).unwrap_or_default())]
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
    /// 413: the body is larger than the API accepts.
    #[error("413 Payload Too Large: the request body is larger than the API accepts (1 MiB); leave out large unknown members")]
    PayloadTooLarge,
    /// 415: the body was not sent as JSON.
    #[error("415 Unsupported Media Type: the body must be JSON")]
    UnsupportedMediaType,
    /// 429: the token's quota is used up.
    #[error("429 Too Many Requests{}", retry_after.map(|r| format!(": retry after {}s", r.delay_from(SystemTime::now()).as_secs())).unwrap_or_default())]
    TooManyRequests {
        /// When to try again, if the server said.
        retry_after: Option<RetryAfter>,
    },
    /// A 3xx: the server sent the request elsewhere. It is not followed
    /// (a redirect could carry the body or the token to another host, and
    /// would turn a POST into a GET): the request was not served here.
    #[error("{status} redirect{} not followed: the API is not at this base URL (or sends requests elsewhere); check the base URL", location.as_deref().map(|l| format!(" to {}", truncate(l))).unwrap_or_default())]
    Redirected {
        /// The status.
        status: StatusCode,
        /// Where the server pointed (`Location`), if it said.
        location: Option<String>,
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
    /// The request never got an answer: DNS, connect, TLS, timeout. The
    /// message gives the cause ("Connection refused", "dns error").
    #[error("transport error: {}", causes(.0))]
    Transport(#[source] reqwest::Error),
    /// The request could not be built: a parameter not set, or a value that
    /// breaks the spec's constraints (the message names the member).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The client's middleware refused or failed before sending (for
    /// `lupl-auth`, its source is a `lupl_auth::AuthError`: Auth0
    /// unreachable, credentials rejected, wrong environment).
    #[error("{0}")]
    Middleware(#[source] BoxError),
    /// The client could not be set up: a bad base URL
    /// ([`EnvironmentError`]), or settings another crate reads (for
    /// `lupl-auth`, a `ConfigError` or `SettingsError`) as the source.
    #[error("{0}")]
    Configuration(#[source] BoxError),
}

impl From<EnvironmentError> for Error {
    /// ```
    /// fn client() -> Result<lupl_api::Client, lupl_api::Error> {
    ///     lupl_api::Environment::custom("ftp://files.example")?.client()
    /// }
    /// assert!(matches!(client(), Err(lupl_api::Error::Configuration(_))));
    /// ```
    fn from(e: EnvironmentError) -> Self {
        Error::Configuration(Box::new(e))
    }
}

/// What a 400's body must hold for [`Error::BadRequest`]: openapi.json's
/// `ValidationProblemDetails` as CONTRACT.md's step 4 and step 6 use it
/// (other members are ignored).
#[derive(serde::Deserialize)]
struct ValidationProblem {
    errors: BTreeMap<String, Vec<String>>,
    #[serde(rename = "traceId", default)]
    trace_id: Option<String>,
}

tokio::task_local! {
    /// The middleware's error of the call in progress: progenitor's error
    /// type carries only a string, so the typed error waits here for
    /// [`Error::from_call`].
    static MIDDLEWARE_ERROR: RefCell<Option<BoxError>>;
}

/// Ends the call in progress with [`Error::Middleware`] and this source,
/// whatever response the middleware then returns. For a [`Middleware`]'s
/// `execute` that gives up for a reason of its own, such as a
/// re-authentication after a 401 that failed: the caller learns why (Auth0
/// unreachable, credentials refused) instead of seeing only the 401.
/// Outside a call of a [`crate::Client`] it does nothing.
///
/// [`Middleware`]: crate::Middleware
///
/// ```
/// // Outside a call there is no call to end.
/// lupl_api::end_call_with("re-authentication failed".into());
/// ```
pub fn end_call_with(e: BoxError) {
    let _ = MIDDLEWARE_ERROR.try_with(|slot| *slot.borrow_mut() = Some(e));
}

/// Keeps a middleware's error for the call in progress; returns its message
/// for progenitor's `Error::Custom`.
pub(crate) fn park_middleware_error(e: BoxError) -> String {
    let message = e.to_string();
    // Outside `from_call` (never, for calls through the face) the message
    // alone is kept.
    end_call_with(e);
    message
}

/// An error and its causes, each said once: reqwest's own message names
/// only the URL, the cause ("Connection refused") is in its sources.
///
/// ```
/// #[derive(Debug, thiserror::Error)]
/// #[error("error sending request")]
/// struct Sending(#[source] std::io::Error);
/// let e = Sending(std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "Connection refused"));
/// assert_eq!(lupl_api::causes(&e), "error sending request: Connection refused");
/// ```
pub fn causes(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
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

/// A server's text cut for a message: secrets masked first, so a cut
/// never leaves part of one standing.
fn truncate(body: &str) -> String {
    const MAX: usize = 200;
    let body = lupl_safety::secrets::scrub(body);
    match body.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &body[..i]),
        None => body.into_owned(),
    }
}

impl Error {
    /// The HTTP status, when there was a response.
    ///
    /// ```
    /// use lupl_api::Error;
    /// assert_eq!(Error::Forbidden.status().map(|s| s.as_u16()), Some(403));
    /// assert_eq!(Error::InvalidRequest("pms_id was not initialized".into()).status(), None);
    /// ```
    pub fn status(&self) -> Option<StatusCode> {
        Some(match self {
            Error::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Error::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Error::Forbidden => StatusCode::FORBIDDEN,
            Error::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Error::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::UnexpectedStatus { status, .. }
            | Error::Decode { status, .. }
            | Error::Redirected { status, .. } => *status,
            Error::Transport(e) => return e.status(),
            Error::InvalidRequest(_) | Error::Middleware(_) | Error::Configuration(_) => {
                return None;
            }
        })
    }

    /// Runs one generated call and turns its outcome into this crate's:
    /// the value on success, every other outcome a variant.
    pub(crate) async fn from_call<T, E>(
        call: impl Future<
            Output = Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<E>>,
        >,
    ) -> Result<T, Error> {
        MIDDLEWARE_ERROR
            .scope(RefCell::new(None), async move {
                match call.await {
                    Ok(value) => Ok(value.into_inner()),
                    Err(e) => {
                        let error = Self::from_progenitor(e).await;
                        // The middleware gave up for a reason of its own
                        // (say, a re-authentication after a 401 failed): that
                        // reason is the error, not the status it returned.
                        let parked = MIDDLEWARE_ERROR
                            .try_with(|slot| slot.borrow_mut().take())
                            .ok()
                            .flatten();
                        Err(parked.map_or(error, Error::Middleware))
                    }
                }
            })
            .await
    }

    async fn from_progenitor<E>(error: progenitor_client::Error<E>) -> Self {
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
            // `from_call` puts the parked error itself in place of this.
            progenitor_client::Error::Custom(msg) => Error::Middleware(msg.into()),
            progenitor_client::Error::ErrorResponse(rv) => Error::UnexpectedStatus {
                status: rv.status(),
                body: String::new(),
            },
        }
    }

    /// Classifies a response by status, reading its body.
    async fn from_response(response: reqwest::Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        match response.bytes().await {
            Ok(body) => Self::from_parts(status, &headers, &body),
            Err(e) => Error::Transport(e),
        }
    }

    /// Classifies a response already read: status, headers and body.
    fn from_parts(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Self {
        let text = || String::from_utf8_lossy(body).into_owned();
        match status {
            StatusCode::BAD_REQUEST => match serde_json::from_slice::<ValidationProblem>(body) {
                Ok(problem) => Error::BadRequest {
                    errors: problem.errors.into_iter().collect(),
                    trace_id: problem.trace_id,
                },
                Err(e) => Error::Decode {
                    status,
                    message: format!("not a validation problem: {e}"),
                    body: text(),
                },
            },
            StatusCode::UNAUTHORIZED => Error::Unauthorized {
                challenge: headers
                    .get(WWW_AUTHENTICATE)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned),
            },
            StatusCode::FORBIDDEN => Error::Forbidden,
            StatusCode::PAYLOAD_TOO_LARGE => Error::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Error::UnsupportedMediaType,
            StatusCode::TOO_MANY_REQUESTS => Error::TooManyRequests {
                retry_after: RetryAfter::from_headers(headers),
            },
            s if s.is_redirection() => Error::Redirected {
                status,
                location: headers
                    .get(reqwest::header::LOCATION)
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
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
