//! The sandbox's `POST /oauth/token`, answering as Auth0 does for the
//! fixture's [`ApiClient`]s: `client_credentials` (the secret in the body
//! or in HTTP Basic, an `audience`) and `refresh_token`, form or JSON
//! bodies. Tokens last the `--token-ttl`; an expired one is refused by the
//! API with 401, so a client's refresh and re-authentication paths can be
//! tested offline.

use crate::fixture::{ApiClient, Fixture};
use crate::model::{Model, ModelRequest, ModelResponse};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long issued tokens last unless `--token-ttl` says otherwise.
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(86_400);

/// The token endpoint of one sandbox.
pub struct Issuer {
    model: Arc<Model>,
    clients: Vec<ApiClient>,
    audience: String,
    ttl: Duration,
    revoked: Mutex<HashSet<String>>,
}

impl std::fmt::Debug for Issuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuer")
            .field("audience", &self.audience)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

/// An Auth0 error answer.
fn refused(status: u16, error: &str, description: &str) -> ModelResponse {
    answer(
        status,
        &json!({"error": error, "error_description": description}),
    )
}

fn answer(status: u16, body: &Value) -> ModelResponse {
    // Tokens are never cached (RFC 6749 §5.1).
    let mut response = ModelResponse::json(status, body);
    response
        .headers
        .push(("Cache-Control".into(), "no-store".into()));
    response
}

impl Issuer {
    /// The endpoint for `fixture`'s clients and audience, issuing tokens of
    /// `model` that last `ttl`.
    pub fn new(model: Arc<Model>, fixture: &Fixture, ttl: Duration) -> Self {
        Self {
            model,
            clients: fixture.clients.clone(),
            audience: fixture.audience().to_owned(),
            ttl,
            revoked: Mutex::new(HashSet::new()),
        }
    }

    /// The audience tokens are issued for.
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// Revokes a client, as deleting the application in Auth0 does: it
    /// gets no more tokens, its refresh token is refused and the tokens it
    /// holds end now. False if no client has that id.
    pub fn revoke(&self, client_id: &str) -> bool {
        let Some(client) = self.clients.iter().find(|c| c.client_id == client_id) else {
            return false;
        };
        self.lock().insert(client_id.to_owned());
        self.model
            .expire_tokens(Some(&client.email), Instant::now());
        true
    }

    /// Forgets every revocation (a reset).
    pub fn restore(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.revoked.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Answers a request to `/oauth/token`.
    pub fn answer(&self, request: &ModelRequest) -> ModelResponse {
        if request.method != "POST" {
            let mut refusal = refused(405, "invalid_request", "Use POST.");
            refusal.headers.push(("Allow".into(), "POST".into()));
            return refusal;
        }
        let mut params = parameters(request);
        if let Some((id, secret)) = basic_credentials(request) {
            params.entry("client_id".into()).or_insert(id);
            params.entry("client_secret".into()).or_insert(secret);
        }
        let get = |name: &str| {
            params
                .get(name)
                .map(String::as_str)
                .filter(|v| !v.is_empty())
        };
        let Some(grant) = get("grant_type") else {
            return refused(
                400,
                "invalid_request",
                "Missing required parameter: grant_type",
            );
        };
        let client =
            get("client_id").and_then(|id| self.clients.iter().find(|c| c.client_id == id));
        let client = client.filter(|c| !self.lock().contains(&c.client_id));
        match grant {
            "client_credentials" => {
                let Some(client) =
                    client.filter(|c| get("client_secret") == Some(c.client_secret.as_str()))
                else {
                    return refused(401, "invalid_client", "Unauthorized");
                };
                match get("audience") {
                    None => refused(
                        403,
                        "access_denied",
                        "No audience parameter was provided, and no default audience has been configured",
                    ),
                    Some(audience) if audience != self.audience => refused(
                        403,
                        "access_denied",
                        &format!("Service not found: {audience}"),
                    ),
                    Some(_) => self.issue(client),
                }
            }
            "refresh_token" => {
                let Some(client) =
                    client.filter(|c| get("client_secret").is_none_or(|s| s == c.client_secret))
                else {
                    return refused(401, "invalid_client", "Unauthorized");
                };
                match (&client.refresh_token, get("refresh_token")) {
                    (Some(held), Some(sent)) if held == sent => self.issue(client),
                    _ => refused(403, "invalid_grant", "Unknown or invalid refresh token."),
                }
            }
            other => refused(
                403,
                "unsupported_grant_type",
                &format!("Grant type '{other}' not allowed for the client."),
            ),
        }
    }

    fn issue(&self, client: &ApiClient) -> ModelResponse {
        match self
            .model
            .issue_token(&client.email, self.ttl, Instant::now())
        {
            Some(token) => answer(
                200,
                &json!({"access_token": token, "token_type": "Bearer",
                        "expires_in": self.ttl.as_secs()}),
            ),
            // The fixture was checked: every client's email is a user's.
            None => refused(401, "invalid_client", "Unauthorized"),
        }
    }
}

/// The body's parameters, form-encoded or JSON (Auth0 takes both).
fn parameters(request: &ModelRequest) -> HashMap<String, String> {
    let is_json = request
        .header("content-type")
        .and_then(|v| std::str::from_utf8(v).ok())
        .is_some_and(lupl_spec::is_json_media_type);
    if is_json {
        let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(&request.body) else {
            return HashMap::new();
        };
        return object
            .into_iter()
            .filter_map(|(k, v)| Some((k, v.as_str()?.to_owned())))
            .collect();
    }
    url::form_urlencoded::parse(&request.body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// `Authorization: Basic base64(id:secret)` (`client_secret_basic`).
fn basic_credentials(request: &ModelRequest) -> Option<(String, String)> {
    let value = std::str::from_utf8(request.header("authorization")?).ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    use base64::Engine as _;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    // RFC 6749 §2.3.1: both are form-encoded before they are joined.
    Some((
        crate::binding::form_decoded(id),
        crate::binding::form_decoded(secret),
    ))
}
