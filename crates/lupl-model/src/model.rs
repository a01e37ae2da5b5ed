//! The model's core: a framework-free state machine, request in, response
//! out, that answers as CONTRACT.md says the API does.

use crate::binding;
use crate::fixture::{Fixture, Organization, Provider};
use crate::json_text::JsonText;
use crate::rules::{self, Errors};
use lupl_spec::Quota;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The largest request body the model reads; above it, 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A request as the model sees it, independent of any HTTP framework.
#[derive(Debug, Clone, Default)]
pub struct ModelRequest {
    /// The method, as sent.
    pub method: String,
    /// The path, as sent (percent-encoded).
    pub path: String,
    /// The raw query string, without `?`.
    pub query: Option<String>,
    /// Headers, names as sent, values as bytes.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body.
    pub body: Vec<u8>,
}

impl ModelRequest {
    /// The first value of a header (names are case-insensitive).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    /// The token of `Authorization: Bearer <token>` (scheme in any case,
    /// white space around the token ignored), as step 1 reads it.
    ///
    /// ```
    /// let request = lupl_model::ModelRequest {
    ///     headers: vec![("authorization".into(), b"bearer  tok-acme ".to_vec())],
    ///     ..Default::default()
    /// };
    /// assert_eq!(request.bearer_token(), Some("tok-acme"));
    /// ```
    pub fn bearer_token(&self) -> Option<&str> {
        let value = std::str::from_utf8(self.header("authorization")?).ok()?;
        let (scheme, token) = value.trim().split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
    }
}

/// The model's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelResponse {
    /// The status code.
    pub status: u16,
    /// Headers to send (including `Content-Type` when there is a body).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// CONTRACT.md, "Operations": bodies are `application/json; charset=utf-8`.
pub const JSON: &str = "application/json; charset=utf-8";
/// … except the 400 and 415 problem bodies.
pub const PROBLEM_JSON: &str = "application/problem+json; charset=utf-8";

impl ModelResponse {
    /// A JSON answer (`application/json; charset=utf-8`).
    pub(crate) fn json(status: u16, body: &Value) -> Self {
        Self::with_body(status, JSON, body)
    }

    fn with_body(status: u16, content_type: &str, body: &Value) -> Self {
        Self {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.to_string().into_bytes(),
        }
    }

    /// 200 with a stored configuration as it was sent (`null` if none).
    fn stored(config: Option<&JsonText>) -> Self {
        Self {
            status: 200,
            headers: vec![("Content-Type".into(), JSON.into())],
            body: config.map_or(b"null".to_vec(), |c| c.text().as_bytes().to_vec()),
        }
    }

    fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The value of a header of the response.
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The four operations, by route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    GetProvider,
    SetProvider,
    GetOrganization,
    SetOrganization,
}

/// What one acknowledged write stored.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// A provider's configuration.
    Provider {
        /// The provider.
        pms_id: Uuid,
        /// Its configuration, as sent.
        config: JsonText,
    },
    /// An organization's configuration (`{"organizationId", "pmsId",
    /// "fields"}`).
    Organization {
        /// The organization.
        organization_id: Uuid,
        /// Its configuration, its `fields` as sent.
        config: JsonText,
    },
}

/// Persists each write before it is acknowledged; an error undoes the
/// write, which is answered 503.
pub type WriteHook = Box<dyn Fn(&Change) -> Result<(), String> + Send + Sync>;

struct State {
    users: HashMap<String, String>,
    managers: HashMap<String, HashSet<Uuid>>,
    owners: HashMap<Uuid, String>,
    provider_configs: HashMap<Uuid, JsonText>,
    org_configs: HashMap<Uuid, JsonText>,
    /// Per token: when each counted request passed step 1, oldest first.
    windows: HashMap<String, crate::window::SlidingWindow>,
    last_now: Option<Instant>,
    trace: u64,
    /// The fixture the model started from: users, ids and their order.
    base: Fixture,
    /// Tokens issued at run time (`POST /oauth/token`): token → who and
    /// until when. A reset keeps them: a client holding one goes on.
    issued: HashMap<String, Issued>,
}

/// A token issued at run time.
#[derive(Debug, Clone)]
struct Issued {
    email: String,
    expires: Instant,
}

/// Why step 1 refused a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unknown {
    /// Never issued (or no `Bearer` token at all).
    Token,
    /// Issued, and its lifetime is over.
    Expired,
}

/// The API as CONTRACT.md defines it. All state sits behind one lock, so a
/// read never sees half of a write.
pub struct Model {
    state: Mutex<State>,
    rate_limit: Quota,
    on_write: Option<WriteHook>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("rate_limit", &self.rate_limit)
            .finish_non_exhaustive()
    }
}

fn problem(status: u16, title: &str, trace: u64, errors: Option<&Errors>) -> ModelResponse {
    let mut body = json!({
        "type": match status {
            400 => "https://tools.ietf.org/html/rfc9110#section-15.5.1",
            413 => "https://tools.ietf.org/html/rfc9110#section-15.5.14",
            _ => "https://tools.ietf.org/html/rfc9110#section-15.5.16",
        },
        "title": title,
        "status": status,
        "traceId": format!("00-{trace:032x}-{:016x}-00", trace.rotate_left(17)),
    });
    if let Some(errors) = errors {
        body["errors"] = json!(errors);
    }
    ModelResponse::with_body(status, PROBLEM_JSON, &body)
}

/// The most keys a 400 lists. ASP.NET Core stops collecting validation
/// errors at 200 (`MvcOptions.MaxModelValidationErrors`) and says so under
/// the key `""`; without a bound a 1 MiB body of 60,000 undeclared fields
/// would be answered with 4.5 MB.
pub const MAX_ERROR_KEYS: usize = 200;

fn bad_request(trace: u64, errors: &Errors) -> ModelResponse {
    let title = "One or more validation errors occurred.";
    if errors.len() <= MAX_ERROR_KEYS {
        return problem(400, title, trace, Some(errors));
    }
    let mut kept: Errors = errors
        .iter()
        .take(MAX_ERROR_KEYS)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    kept.entry(String::new())
        .or_default()
        .push("The maximum number of allowed model errors has been reached.".into());
    problem(400, title, trace, Some(&kept))
}

fn route(path: &str) -> Option<[Operation; 2]> {
    let path = path.strip_suffix('/').unwrap_or(path);
    if path.eq_ignore_ascii_case("/api/1.0/pms/providerconfig") {
        Some([Operation::GetProvider, Operation::SetProvider])
    } else if path.eq_ignore_ascii_case("/api/1.0/pms/organizationconfig") {
        Some([Operation::GetOrganization, Operation::SetOrganization])
    } else {
        None
    }
}

/// CONTRACT.md step 3: a JSON `Content-Type` (`application/json`,
/// `text/json`, or any `+json` type, parameters ignored).
fn is_json_content_type(value: Option<&[u8]>) -> bool {
    value
        .and_then(|v| std::str::from_utf8(v).ok())
        .is_some_and(lupl_spec::is_json_media_type)
}

impl Model {
    /// A model seeded from a fixture (which [`Fixture::check`] accepted).
    pub fn new(fixture: Fixture) -> Self {
        Self {
            rate_limit: fixture.rate_limit,
            state: Mutex::new(State::new(fixture)),
            on_write: None,
        }
    }

    /// Puts the model back to `fixture`'s state (ids, owners, managers and
    /// configurations), as a fresh model of it would be; the quota stays,
    /// counted requests are forgotten, issued tokens stay valid.
    pub fn reset(&self, fixture: Fixture) {
        let _ = self.reset_with(fixture, || Ok(()));
    }

    /// [`Model::reset`], after `save` (the state file's rewrite) succeeded,
    /// both under the state's lock: no write lands between the two, so a
    /// write answered 200 is in both or in neither.
    pub fn reset_with(
        &self,
        fixture: Fixture,
        save: impl FnOnce() -> Result<(), String>,
    ) -> Result<(), String> {
        let mut state = self.lock();
        save()?;
        let issued = std::mem::take(&mut state.issued);
        *state = State::new(fixture);
        state.issued = issued;
        Ok(())
    }

    /// Issues a token for the user `email`, valid for `ttl` from `now`
    /// (the sandbox's `POST /oauth/token`). `None` if no user has that
    /// email.
    pub fn issue_token(&self, email: &str, ttl: Duration, now: Instant) -> Option<String> {
        let mut state = self.lock();
        state.base.users.iter().find(|u| u.email == email)?;
        // Tokens expired an hour ago are forgotten (then simply unknown).
        let forget_before = now.checked_sub(Duration::from_secs(3600));
        if let Some(before) = forget_before {
            state.issued.retain(|_, t| t.expires > before);
        }
        let token = format!("sbx-{}", Uuid::new_v4().simple());
        let expires = now
            .checked_add(ttl)
            .unwrap_or(now + Duration::from_secs(1 << 40));
        state.issued.insert(
            token.clone(),
            Issued {
                email: email.to_owned(),
                expires,
            },
        );
        Some(token)
    }

    /// Ends issued tokens now: those of `email`, or all of them; returns
    /// how many were still valid. The fixture's own tokens never expire.
    pub fn expire_tokens(&self, email: Option<&str>, now: Instant) -> usize {
        let mut state = self.lock();
        let mut ended = 0;
        for issued in state.issued.values_mut() {
            if email.is_none_or(|e| e == issued.email) && issued.expires > now {
                issued.expires = now;
                ended += 1;
            }
        }
        ended
    }

    /// Ends one issued token now (a fault that expires the caller's token);
    /// false if it was not an issued, valid token.
    pub fn expire_token(&self, token: &str, now: Instant) -> bool {
        let mut state = self.lock();
        match state.issued.get_mut(token) {
            Some(issued) if issued.expires > now => {
                issued.expires = now;
                true
            }
            _ => false,
        }
    }

    /// The email of whoever `token` identifies now (a fixture token or an
    /// issued one that has not expired).
    pub fn identity(&self, token: &str) -> Option<String> {
        identify(&self.lock(), token, Instant::now()).ok()
    }

    /// Calls `hook` with the whole new state after every successful write,
    /// before the write is acknowledged; if it fails, the write is undone and
    /// answered 503.
    pub fn on_write(mut self, hook: WriteHook) -> Self {
        self.on_write = Some(hook);
        self
    }

    /// The current state, in the fixture format.
    pub fn snapshot(&self) -> Fixture {
        snapshot(&self.lock())
    }

    /// Stores `change` as an acknowledged write would, with no request and
    /// no hook: for a model that follows another server's state.
    pub fn apply(&self, change: &Change) {
        store(&mut self.lock(), change.clone());
    }

    /// What is stored for a provider (`null` when nothing, or unknown).
    pub fn provider_config(&self, pms_id: Uuid) -> Value {
        let state = self.lock();
        state
            .provider_configs
            .get(&pms_id)
            .map_or(Value::Null, |c| c.value().clone())
    }

    /// What is stored for an organization (`null` when nothing, or unknown).
    pub fn organization_config(&self, organization_id: Uuid) -> Value {
        let state = self.lock();
        state
            .org_configs
            .get(&organization_id)
            .map_or(Value::Null, |c| c.value().clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the maps half-written
        // (every write is a single insert), so a poisoned lock is still good.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Answers a request now.
    pub fn handle(&self, request: &ModelRequest) -> ModelResponse {
        self.handle_at(request, Instant::now())
    }

    /// Answers a request as if it arrived at `now` (for the throttle).
    /// Instants earlier than one already seen count as that one.
    pub fn handle_at(&self, request: &ModelRequest, now: Instant) -> ModelResponse {
        let mut state = self.lock();
        state.trace += 1;
        let trace = state.trace;
        let now = state.last_now.map_or(now, |last| last.max(now));
        state.last_now = Some(now);

        // Routing comes before everything (ASP.NET Core): unknown path 404,
        // another method 405 with `Allow`.
        let Some([get, set]) = route(&request.path) else {
            return ModelResponse::empty(404);
        };
        let operation = match request.method.as_str() {
            "GET" => get,
            "POST" => set,
            _ => return ModelResponse::empty(405).header("Allow", "GET, POST"),
        };

        // Step 1 — 401: `Authorization: Bearer <known token>`.
        // A token issued by the sandbox's `/oauth/token` counts until it
        // expires; then 401 says so, as an Auth0-validating API does.
        let token = request.bearer_token().ok_or(Unknown::Token);
        let (token, user) = match token.and_then(|t| Ok((t, identify(&state, t, now)?))) {
            Ok((token, user)) => (token.to_owned(), user),
            Err(Unknown::Token) => {
                return ModelResponse::empty(401).header("WWW-Authenticate", "Bearer");
            }
            Err(Unknown::Expired) => {
                return ModelResponse::empty(401).header(
                    "WWW-Authenticate",
                    r#"Bearer error="invalid_token", error_description="The token expired""#,
                );
            }
        };

        // Step 2 — 429: a sliding window of the token's counted requests.
        if let Some(wait) = self.throttle(&mut state, &token, now) {
            let secs = crate::window::retry_after_seconds(wait);
            return ModelResponse::json(
                429,
                &json!({"statusCode": 429,
                        "message": format!("Rate limit is exceeded. Try again in {secs} seconds.")}),
            )
            .header("Retry-After", secs.to_string());
        }

        let is_post = matches!(
            operation,
            Operation::SetProvider | Operation::SetOrganization
        );
        if is_post {
            // The body cap (documented as 413 in openapi.json).
            if request.body.len() > MAX_BODY_BYTES {
                return problem(413, "Payload Too Large", trace, None);
            }
            // Step 3 — 415.
            if !is_json_content_type(request.header("content-type")) {
                return problem(415, "Unsupported Media Type", trace, None);
            }
        }

        match operation {
            Operation::GetProvider => {
                // Step 4, 5, 200.
                let pms_id = match binding::query_uuid(request.query.as_deref(), "pmsId") {
                    Ok(id) => id,
                    Err(errors) => return bad_request(trace, &errors),
                };
                if state.owners.get(&pms_id) != Some(&user) {
                    return ModelResponse::json(403, &json!({}));
                }
                ModelResponse::stored(state.provider_configs.get(&pms_id))
            }
            Operation::GetOrganization => {
                let org_id = match binding::query_uuid(request.query.as_deref(), "organizationId") {
                    Ok(id) => id,
                    Err(errors) => return bad_request(trace, &errors),
                };
                if !manages(&state, &user, org_id) {
                    return ModelResponse::json(403, &json!({}));
                }
                ModelResponse::stored(state.org_configs.get(&org_id))
            }
            Operation::SetProvider => {
                let (members, type_name) = binding::SET_PROVIDER_CONFIG;
                let bound = match binding::body(&request.body, members, type_name) {
                    Ok(b) => b,
                    Err(errors) => return bad_request(trace, &errors),
                };
                let pms_id = bound.id("pmsId");
                if state.owners.get(&pms_id) != Some(&user) {
                    return ModelResponse::json(403, &json!({}));
                }
                let config = bound.object_text("config");
                let errors = rules::provider_configuration(&config);
                if !errors.is_empty() {
                    return bad_request(trace, &errors);
                }
                self.write(&mut state, trace, Change::Provider { pms_id, config })
            }
            Operation::SetOrganization => {
                let (members, type_name) = binding::SET_ORGANIZATION_CONFIG;
                let bound = match binding::body(&request.body, members, type_name) {
                    Ok(b) => b,
                    Err(errors) => return bad_request(trace, &errors),
                };
                let org_id = bound.id("organizationId");
                if !manages(&state, &user, org_id) {
                    return ModelResponse::json(403, &json!({}));
                }
                let pms_id = bound.id("pmsId");
                let fields = bound.object("fields");
                let fields_text = bound.object_text("fields");
                // OrganizationConfiguration rules: the provider must exist and
                // have a configuration; then the fields are checked against it.
                let provider = state.provider_configs.get(&pms_id).filter(|c| !c.is_null());
                let errors = match provider {
                    None => Errors::from([(
                        "pmsId".to_owned(),
                        vec![format!(
                            "The PMS provider '{pms_id}' does not exist or has no configuration."
                        )],
                    )]),
                    Some(provider) => rules::organization_fields(provider, &fields),
                };
                if !errors.is_empty() {
                    return bad_request(trace, &errors);
                }
                // Stored as the API stores it, `fields` with its digits.
                let stored = JsonText::parse(&format!(
                    r#"{{"organizationId":"{org_id}","pmsId":"{pms_id}","fields":{}}}"#,
                    fields_text.text()
                ))
                .unwrap_or_else(|_| {
                    json!({"organizationId": org_id, "pmsId": pms_id, "fields": fields}).into()
                });
                self.write(
                    &mut state,
                    trace,
                    Change::Organization {
                        organization_id: org_id,
                        config: stored,
                    },
                )
            }
        }
    }

    /// Counts the request against the token's window, or says how long
    /// until the oldest counted request leaves it.
    fn throttle(&self, state: &mut State, token: &str, now: Instant) -> Option<Duration> {
        let window = self.rate_limit.per;
        state
            .windows
            .entry(token.to_owned())
            .or_insert_with(|| crate::window::SlidingWindow::new(window))
            .admit(now, self.rate_limit.requests as usize)
    }

    /// Persists a write through the hook, applies it and acknowledges it;
    /// a write persisting refuses is not applied (503).
    fn write(&self, state: &mut State, trace: u64, change: Change) -> ModelResponse {
        // Persisted first (under the state lock), stored only once it is.
        if let Some(hook) = &self.on_write
            && let Err(e) = hook(&change)
        {
            let mut response = problem(503, "The state could not be saved.", trace, None);
            response
                .headers
                .push(("X-Lupl-Sandbox-Error".into(), e.replace(['\r', '\n'], " ")));
            return response;
        }
        store(state, change);
        ModelResponse::json(200, &json!({}))
    }
}

impl State {
    fn new(fixture: Fixture) -> Self {
        State {
            users: fixture
                .users
                .iter()
                .map(|u| (u.token.clone(), u.email.clone()))
                .collect(),
            managers: fixture
                .users
                .iter()
                .map(|u| (u.email.clone(), u.manages.iter().copied().collect()))
                .collect(),
            owners: fixture
                .providers
                .iter()
                .map(|p| (p.pms_id, p.owner.clone()))
                .collect(),
            provider_configs: fixture
                .providers
                .iter()
                .map(|p| (p.pms_id, p.config.clone()))
                .collect(),
            org_configs: fixture
                .organizations
                .iter()
                .map(|o| (o.organization_id, o.config.clone()))
                .collect(),
            windows: HashMap::new(),
            last_now: None,
            trace: 0,
            base: fixture,
            issued: HashMap::new(),
        }
    }
}

/// Step 1's look-up: the fixture's tokens, then the issued ones that have
/// not expired.
fn identify(state: &State, token: &str, now: Instant) -> Result<String, Unknown> {
    if let Some(email) = state.users.get(token) {
        return Ok(email.clone());
    }
    match state.issued.get(token) {
        Some(issued) if issued.expires > now => Ok(issued.email.clone()),
        Some(_) => Err(Unknown::Expired),
        None => Err(Unknown::Token),
    }
}

fn manages(state: &State, user: &str, org_id: Uuid) -> bool {
    state.org_configs.contains_key(&org_id)
        && state
            .managers
            .get(user)
            .is_some_and(|m| m.contains(&org_id))
}

/// The state in the fixture format, in the order of the starting fixture.
fn snapshot(state: &State) -> Fixture {
    let base = &state.base;
    Fixture {
        providers: base
            .providers
            .iter()
            .map(|p| Provider {
                config: state
                    .provider_configs
                    .get(&p.pms_id)
                    .cloned()
                    .unwrap_or_default(),
                ..p.clone()
            })
            .collect(),
        organizations: base
            .organizations
            .iter()
            .map(|o| Organization {
                config: state
                    .org_configs
                    .get(&o.organization_id)
                    .cloned()
                    .unwrap_or_default(),
                ..o.clone()
            })
            .collect(),
        ..base.clone()
    }
}

/// Stores a change's configuration.
fn store(state: &mut State, change: Change) {
    match change {
        Change::Provider { pms_id, config } => {
            state.provider_configs.insert(pms_id, config);
        }
        Change::Organization {
            organization_id,
            config,
        } => {
            state.org_configs.insert(organization_id, config);
        }
    }
}
