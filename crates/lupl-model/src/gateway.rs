//! What stands between a connection and the model: the admin API, the
//! token endpoint, the faults in force, the journal and the access log.
//! [`crate::http_server`] turns its [`Outcome`] into bytes on the wire.

use crate::admin;
use crate::faults::{Effect, Installed};
use crate::journal::Entry;
use crate::model::{JSON, ModelRequest, ModelResponse, PROBLEM_JSON};
use crate::services::Services;
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// The path of the token endpoint.
pub const TOKEN_PATH: &str = "/oauth/token";

/// What answers each request to the API.
pub type Handler = Arc<dyn Fn(&ModelRequest) -> ModelResponse + Send + Sync>;

/// What becomes of a request.
#[derive(Debug)]
pub enum Outcome {
    /// This answer, its body trickled in pieces this far apart if asked.
    Answer(ModelResponse, Option<Duration>),
    /// Close the connection without an answer.
    Drop,
    /// Reset the connection without an answer.
    Reset,
}

/// The handler, with or without the sandbox's [`Services`].
pub struct Gateway {
    handler: Handler,
    services: Option<Arc<Services>>,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("services", &self.services)
            .finish_non_exhaustive()
    }
}

impl Gateway {
    /// Every request goes to `handler`; no admin API, faults or journal.
    pub fn plain(handler: Handler) -> Self {
        Self {
            handler,
            services: None,
        }
    }

    /// `handler` behind the sandbox's services.
    pub fn sandbox(handler: Handler, services: Arc<Services>) -> Self {
        Self {
            handler,
            services: Some(services),
        }
    }

    /// Whether an answer may be a reset (the connection must be able to
    /// send one).
    pub fn may_reset(&self) -> bool {
        self.services.is_some()
    }

    /// Answers one request from a client at a loopback address or not.
    pub async fn answer(&self, request: ModelRequest, loopback: bool) -> Outcome {
        let Some(services) = &self.services else {
            return Outcome::Answer((self.handler)(&request), None);
        };
        if admin::is_admin(&request.path) {
            return Outcome::Answer(admin::answer(services, &request, loopback), None);
        }
        let started = Instant::now();
        let at_ms = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let token_request = is_token_path(&request.path);
        let secret_bearing =
            token_request || request.path.to_ascii_lowercase().starts_with("/oauth");
        let identity = match request.bearer_token() {
            Some(token) if !token_request => services.model.identity(token),
            _ => None,
        };
        let fault = services.faults.meet(&request);
        let mut entry = Entry {
            seq: 0,
            at_ms,
            method: request.method.clone(),
            url: journal_url(&request, secret_bearing),
            identity: identity.clone(),
            status: None,
            fault: fault.as_ref().map(describe),
            fault_id: fault.as_ref().map(|f| f.id),
            ms: 0,
            // Anything sent to the token endpoint may carry a client
            // secret: never kept.
            body: if secret_bearing {
                String::new()
            } else {
                String::from_utf8_lossy(&request.body).into_owned()
            },
            truncated: false,
        };
        if let Some(fault) = &fault {
            let delay = fault.fault.delay();
            if !delay.is_zero() {
                // A client that gives up during the delay drops this
                // future: the guard journals the request all the same.
                let mut gone = Gone {
                    services,
                    entry: Some(entry.clone()),
                    started,
                };
                tokio::time::sleep(delay).await;
                gone.entry = None;
            }
        }
        let api = |request: &ModelRequest| {
            if token_request {
                services.issuer.answer(request)
            } else {
                (self.handler)(request)
            }
        };
        // A trickle applies to whatever answer there is.
        let trickle = fault.as_ref().and_then(|f| f.fault.trickle());
        let outcome = match fault.as_ref().map(|f| f.fault.effect()) {
            None | Some(Effect::Api) => Outcome::Answer(api(&request), trickle),
            Some(Effect::Status(status, retry_after)) => {
                Outcome::Answer(status_answer(status, retry_after), trickle)
            }
            Some(Effect::Drop) => Outcome::Drop,
            Some(Effect::Reset) => Outcome::Reset,
            Some(Effect::Malformed) => Outcome::Answer(malformed(), trickle),
            Some(Effect::ExpireToken) => {
                if let Some(token) = request.bearer_token() {
                    services.model.expire_token(token, Instant::now());
                }
                Outcome::Answer(api(&request), trickle)
            }
        };
        let status = match &outcome {
            Outcome::Answer(response, _) => Some(response.status),
            Outcome::Drop | Outcome::Reset => None,
        };
        let ms = started.elapsed().as_millis() as u64;
        if services.logs_access() {
            log_line(
                &request,
                status,
                identity.as_deref(),
                ms,
                entry.fault.as_deref(),
            );
        }
        entry.status = status;
        entry.ms = ms;
        services.journal.record(entry);
        outcome
    }
}

/// Journals a request whose client went away during a fault's delay.
struct Gone<'a> {
    services: &'a Services,
    entry: Option<Entry>,
    started: Instant,
}

impl Drop for Gone<'_> {
    fn drop(&mut self) {
        if let Some(mut entry) = self.entry.take() {
            entry.ms = self.started.elapsed().as_millis() as u64;
            if let Some(fault) = &mut entry.fault {
                fault.push_str("; the client went away before the answer");
            }
            self.services.journal.record(entry);
        }
    }
}

/// The token endpoint's path, in any case, with or without a trailing `/`
/// or doubled slashes. (Whatever is sent under `/oauth` may hold a secret
/// and is never journaled with its body or query.)
///
/// ```
/// use lupl_model::gateway::is_token_path;
/// assert!(is_token_path("/oauth/token") && is_token_path("/OAuth//token/"));
/// assert!(!is_token_path("/oauth/tokens"));
/// ```
pub fn is_token_path(path: &str) -> bool {
    let squeezed: String = path
        .split('/')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("/");
    squeezed.eq_ignore_ascii_case(&TOKEN_PATH[1..])
}

/// The URL as journaled: the path, and the query with the values of
/// members that may be secrets (`client_secret`, `*token*`, `password`)
/// masked; no query at all for the token endpoint.
fn journal_url(request: &ModelRequest, token_request: bool) -> String {
    let Some(query) = request.query.as_deref().filter(|_| !token_request) else {
        return request.path.clone();
    };
    let secret = |name: &str| {
        let name = name.to_ascii_lowercase();
        ["secret", "token", "password", "key"]
            .iter()
            .any(|s| name.contains(s))
    };
    let masked: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if secret(&crate::binding::form_decoded(name)) => format!("{name}=***"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{}?{}", request.path, masked.join("&"))
}

fn describe(fault: &Installed) -> String {
    let f = &fault.fault;
    let mut parts = Vec::new();
    if f.effect() != Effect::Api {
        parts.push(f.effect().name());
    }
    if f.delay_ms.is_some() {
        parts.push("delay".to_owned());
    }
    if f.trickle_ms.is_some() {
        parts.push("trickle".to_owned());
    }
    parts.join(", ")
}

/// One access-log line: method, path, status, identity, time, fault.
fn log_line(
    request: &ModelRequest,
    status: Option<u16>,
    identity: Option<&str>,
    ms: u64,
    fault: Option<&str>,
) {
    let status = status.map_or_else(|| "-".to_owned(), |s| s.to_string());
    let line = format!(
        "{} {} {status} {} {ms}ms{}\n",
        request.method,
        request.path,
        identity.unwrap_or("-"),
        fault.map(|f| format!(" fault={f}")).unwrap_or_default(),
    );
    // The path and method are the client's: no escape reaches a terminal.
    let line = lupl_safety::text::for_terminal(&line, true);
    // A closed stdout is no reason to stop answering.
    let _ = std::io::stdout().lock().write_all(line.as_bytes());
}

/// A status fault's answer: a gateway's HTML page for 502–504 (what a
/// load balancer in front of the API sends), the API's own body for 429,
/// a problem body otherwise.
fn status_answer(status: u16, retry_after: Option<u64>) -> ModelResponse {
    let reason = http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error");
    let (content_type, body) = match status {
        502..=504 => (
            "text/html",
            format!(
                "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n<center><h1>{status} {reason}</h1></center>\r\n</body>\r\n</html>\r\n"
            ),
        ),
        429 => (
            JSON,
            serde_json::json!({"statusCode": 429, "message": format!(
                "Rate limit is exceeded. Try again in {} seconds.", retry_after.unwrap_or(1))})
            .to_string(),
        ),
        _ => (
            PROBLEM_JSON,
            serde_json::json!({"title": reason, "status": status}).to_string(),
        ),
    };
    let mut headers = vec![("Content-Type".to_owned(), content_type.to_owned())];
    // A 429 says when to come back, as the API's own always does.
    let retry_after = retry_after.or((status == 429).then_some(1));
    if let Some(seconds) = retry_after {
        headers.push(("Retry-After".into(), seconds.to_string()));
    }
    ModelResponse {
        status,
        headers,
        body: body.into_bytes(),
    }
}

/// 200 with a JSON body cut in the middle.
fn malformed() -> ModelResponse {
    ModelResponse {
        status: 200,
        headers: vec![("Content-Type".into(), JSON.into())],
        body: br#"{"organizationId":"3fa85f64-5717-4562-b3fc-2c963f66afa6","pmsId":"4efafdc0-27"#
            .to_vec(),
    }
}
