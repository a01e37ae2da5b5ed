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
        let token_request = request.path.eq_ignore_ascii_case(TOKEN_PATH);
        let identity = match request.bearer_token() {
            Some(token) if !token_request => services.model.identity(token),
            _ => None,
        };
        let fault = services.faults.meet(&request);
        if let Some(fault) = &fault {
            let delay = fault.fault.delay();
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
        }
        let api = |request: &ModelRequest| {
            if token_request {
                services.issuer.answer(request)
            } else {
                (self.handler)(request)
            }
        };
        let outcome = match fault.as_ref().map(|f| f.fault.effect()) {
            None | Some(Effect::Api) => Outcome::Answer(api(&request), None),
            Some(Effect::Status(status, retry_after)) => {
                Outcome::Answer(status_answer(status, retry_after), None)
            }
            Some(Effect::Drop) => Outcome::Drop,
            Some(Effect::Reset) => Outcome::Reset,
            Some(Effect::Malformed) => Outcome::Answer(malformed(), None),
            Some(Effect::ExpireToken) => {
                if let Some(token) = request.bearer_token() {
                    services.model.expire_token(token, Instant::now());
                }
                Outcome::Answer(api(&request), None)
            }
        };
        let outcome = match (outcome, fault.as_ref().and_then(|f| f.fault.trickle())) {
            (Outcome::Answer(response, None), Some(pause)) => {
                Outcome::Answer(response, Some(pause))
            }
            (outcome, _) => outcome,
        };
        let status = match &outcome {
            Outcome::Answer(response, _) => Some(response.status),
            Outcome::Drop | Outcome::Reset => None,
        };
        let ms = started.elapsed().as_millis() as u64;
        let fault_name = fault.as_ref().map(describe);
        if services.logs_access() {
            log_line(
                &request,
                status,
                identity.as_deref(),
                ms,
                fault_name.as_deref(),
            );
        }
        services.journal.record(Entry {
            seq: 0,
            at_ms,
            method: request.method.clone(),
            url: match &request.query {
                Some(q) => format!("{}?{q}", request.path),
                None => request.path.clone(),
            },
            identity,
            status,
            fault: fault_name,
            fault_id: fault.as_ref().map(|f| f.id),
            ms,
            // Token requests carry client secrets: never kept.
            body: if token_request {
                String::new()
            } else {
                String::from_utf8_lossy(&request.body).into_owned()
            },
            truncated: false,
        });
        outcome
    }
}

fn describe(fault: &Installed) -> String {
    let mut name = fault.fault.effect().name();
    if fault.fault.effect() != Effect::Api && fault.fault.delay_ms.is_some() {
        name.push_str(" after a delay");
    }
    if fault.fault.trickle_ms.is_some() {
        name.push_str(", trickled");
    }
    name
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
