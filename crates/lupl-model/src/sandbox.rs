//! The model served in-process on loopback, for tests and tools: the same
//! hyper front end as `lupl-sandbox` ([`crate::http_server`]), on a thread
//! and runtime of its own, so it keeps answering while the caller's thread
//! blocks (a test waiting for a child process, a harness replaying a case).

use crate::faults::{Fault, FaultError, Installed};
use crate::fixture::Fixture;
use crate::gateway::Gateway;
use crate::http_server::{self, Handler};
use crate::journal::Entry;
use crate::model::Model;
use crate::services::Services;
use crate::token_endpoint::DEFAULT_TOKEN_TTL;
use std::sync::Arc;
use std::time::Instant;
use uuid::Uuid;
/// What a caller needs to use a running sandbox: where it is, and the
/// fixture's tokens and ids.
#[derive(Debug, Clone)]
pub struct SandboxInfo {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// `(token, email)` of every user.
    pub users: Vec<(String, String)>,
    /// `(pmsId, owner email)` of every provider.
    pub providers: Vec<(Uuid, String)>,
    /// `(organizationId, manager emails)` of every organization.
    pub organizations: Vec<(Uuid, Vec<String>)>,
    /// `(client id, client secret, email)` of every client of
    /// `POST /oauth/token`.
    pub clients: Vec<(String, String, String)>,
    /// The audience `/oauth/token` issues tokens for.
    pub audience: String,
}

impl SandboxInfo {
    /// The info of a fixture served at `base_url`.
    pub fn new(base_url: String, fixture: &Fixture) -> Self {
        let mut managers: std::collections::HashMap<Uuid, Vec<String>> =
            std::collections::HashMap::new();
        for u in &fixture.users {
            for o in &u.manages {
                let emails = managers.entry(*o).or_default();
                if !emails.contains(&u.email) {
                    emails.push(u.email.clone());
                }
            }
        }
        Self {
            base_url,
            users: fixture
                .users
                .iter()
                .map(|u| (u.token.clone(), u.email.clone()))
                .collect(),
            providers: fixture
                .providers
                .iter()
                .map(|p| (p.pms_id, p.owner.clone()))
                .collect(),
            organizations: fixture
                .organizations
                .iter()
                .map(|o| {
                    let managers = managers.remove(&o.organization_id).unwrap_or_default();
                    (o.organization_id, managers)
                })
                .collect(),
            clients: fixture
                .clients
                .iter()
                .map(|c| {
                    (
                        c.client_id.clone(),
                        c.client_secret.clone(),
                        c.email.clone(),
                    )
                })
                .collect(),
            audience: fixture.audience().to_owned(),
        }
    }

    /// The token of the user with this email.
    pub fn token_of(&self, email: &str) -> Option<&str> {
        self.users
            .iter()
            .find(|(_, e)| e == email)
            .map(|(t, _)| t.as_str())
    }

    /// A human-readable summary, as `lupl-sandbox` prints on start.
    pub fn describe(&self) -> String {
        let mut out = format!("Lupl sandbox listening on {}\n", self.base_url);
        out.push_str(&format!(
            "  OpenAPI document: {}/openapi.json\n  Postman collection: {}/postman.json\n",
            self.base_url, self.base_url
        ));
        for (token, email) in &self.users {
            out.push_str(&format!("  user {email}: Authorization: Bearer {token}\n"));
            for (pms, _) in self.providers.iter().filter(|(_, o)| o == email) {
                out.push_str(&format!("    owns provider      pmsId={pms}\n"));
            }
            let managed: Vec<&Uuid> = self
                .organizations
                .iter()
                .filter(|(_, m)| m.contains(email))
                .map(|(org, _)| org)
                .collect();
            // Bulk fixtures manage thousands: the first few, then the range.
            for org in managed.iter().take(3) {
                out.push_str(&format!("    manages organization organizationId={org}\n"));
            }
            match (managed.get(3), managed.last()) {
                (Some(first), Some(last)) if managed.len() > 4 => out.push_str(&format!(
                    "    manages {} more organizations, {first} … {last}\n",
                    managed.len() - 3
                )),
                (Some(org), _) => {
                    out.push_str(&format!("    manages organization organizationId={org}\n"))
                }
                _ => {}
            }
        }
        if !self.clients.is_empty() {
            out.push_str(&format!(
                "  token endpoint: {}/oauth/token (audience {})\n",
                self.base_url, self.audience
            ));
        }
        for (id, secret, email) in &self.clients {
            out.push_str(&format!(
                "    client {id}, secret {secret}: tokens for {email}\n"
            ));
        }
        out
    }

    /// The URL of the token endpoint.
    pub fn token_url(&self) -> String {
        format!("{}/oauth/token", self.base_url)
    }
}

/// A running model on loopback. Dropping it stops the server and closes
/// its connections.
///
/// ```
/// # async fn demo() -> std::io::Result<()> {
/// let sandbox = lupl_model::Sandbox::start().await?;
/// assert!(sandbox.base_url().starts_with("http://127.0.0.1:"));
/// # Ok(()) }
/// ```
pub struct Sandbox {
    model: Arc<Model>,
    services: Arc<Services>,
    info: SandboxInfo,
    address: std::net::SocketAddr,
    // Dropped with the sandbox: the server's thread sees the channel close
    // and stops.
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// The built-in fixture on a free loopback port.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_with(Fixture::builtin()).await
    }

    /// A fixture on a free loopback port.
    pub async fn start_with(fixture: Fixture) -> std::io::Result<Self> {
        Self::start_with_handler(fixture, http_server::sandbox_handler).await
    }

    /// A fixture on a free loopback port, answered by the handler `wrap`
    /// makes around the model: a test double that breaks one rule of the
    /// contract, a gate, a counter. The model is still [`Sandbox::model`].
    ///
    /// ```
    /// # async fn demo() -> std::io::Result<()> {
    /// use lupl_model::{Fixture, Sandbox, http_server::Handler};
    /// use std::sync::Arc;
    /// // Every answer of the model, but 403s become 404s.
    /// let sandbox = Sandbox::start_with_handler(Fixture::builtin(), |model| -> Handler {
    ///     Arc::new(move |request| {
    ///         let mut answer = model.handle(request);
    ///         if answer.status == 403 {
    ///             answer.status = 404;
    ///         }
    ///         answer
    ///     })
    /// })
    /// .await?;
    /// # drop(sandbox); Ok(()) }
    /// ```
    pub async fn start_with_handler(
        fixture: Fixture,
        wrap: impl FnOnce(Arc<Model>) -> Handler,
    ) -> std::io::Result<Self> {
        let model = Arc::new(Model::new(fixture.clone()));
        let handler = wrap(model.clone());
        let services = Arc::new(Services::new(
            model.clone(),
            fixture.clone(),
            DEFAULT_TOKEN_TTL,
        ));
        let gateway = Arc::new(Gateway::sandbox(handler, services.clone()));
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("lupl-sandbox".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    tokio::select! {
                        () = http_server::serve_gateway(listener, gateway, http_server::Limits::default()) => {}
                        _ = stopped => {}
                    }
                });
            })?;
        let info = SandboxInfo::new(format!("http://{address}"), &fixture);
        Ok(Self {
            model,
            services,
            info,
            address,
            _stop: stop,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        &self.info.base_url
    }

    /// The fixture's tokens and ids.
    pub fn info(&self) -> &SandboxInfo {
        &self.info
    }

    /// The model behind the server.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The socket address.
    pub fn address(&self) -> std::net::SocketAddr {
        self.address
    }

    /// The sandbox's faults, journal, token endpoint and reset.
    pub fn services(&self) -> &Services {
        &self.services
    }

    /// Puts a fault in force (as `POST /__admin/faults`); returns its id.
    ///
    /// ```
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use lupl_model::{Fault, Sandbox};
    /// let sandbox = Sandbox::start().await?;
    /// // The next two writes of organizations meet a 503.
    /// sandbox.inject(Fault {
    ///     method: Some("POST".into()),
    ///     path: Some("/api/1.0/pms/organizationconfig".into()),
    ///     status: Some(503),
    ///     times: Some(2),
    ///     ..Fault::default()
    /// })?;
    /// # Ok(()) }
    /// ```
    pub fn inject(&self, fault: Fault) -> Result<u64, FaultError> {
        self.services.faults.install(fault)
    }

    /// The faults in force.
    pub fn faults(&self) -> Vec<Installed> {
        self.services.faults.list()
    }

    /// Removes one fault; false if none has that id.
    pub fn remove_fault(&self, id: u64) -> bool {
        self.services.faults.remove(id)
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.services.faults.clear();
    }

    /// Every request received since start or the last reset, oldest
    /// first (as `GET /__admin/requests`).
    pub fn requests(&self) -> Vec<Entry> {
        self.services.journal.entries()
    }

    /// The fixture's state again, faults and journal cleared (as
    /// `POST /__admin/reset`).
    pub fn reset(&self) {
        // No state file: nothing can fail.
        let _ = self.services.reset();
    }

    /// Ends every token issued by `/oauth/token` now (as
    /// `POST /__admin/tokens/expire`); returns how many were valid.
    pub fn expire_tokens(&self) -> usize {
        self.model.expire_tokens(None, Instant::now())
    }

    /// A client of this sandbox that sends the fixture token of the user
    /// with this email: every call is made as that user.
    ///
    /// ```
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// let sandbox = lupl_model::Sandbox::start().await?;
    /// let client = sandbox.client_for("dev@acme.example")?;
    /// let pms_id: lupl_api::uuid::Uuid = "4efafdc0-2783-4af6-9cac-d2b2be27a080".parse()?;
    /// let stored = client.get_provider_config().pms_id(pms_id).send().await?;
    /// assert!(stored.is_none(), "the built-in fixture stores nothing for ACME yet");
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "client")]
    pub fn client_for(&self, email: &str) -> Result<lupl_api::Client, ClientForError> {
        let token = self
            .info
            .token_of(email)
            .ok_or_else(|| ClientForError::UnknownUser(email.to_owned()))?;
        let mut value = lupl_api::reqwest::header::HeaderValue::try_from(format!("Bearer {token}"))
            .map_err(|_| ClientForError::UnknownUser(email.to_owned()))?;
        value.set_sensitive(true);
        let headers = lupl_api::reqwest::header::HeaderMap::from_iter([(
            lupl_api::reqwest::header::AUTHORIZATION,
            value,
        )]);
        let http = lupl_api::Environment::http_client_builder()
            .default_headers(headers)
            .build()
            .map_err(|e| ClientForError::Build(lupl_api::Error::Transport(e)))?;
        let environment = lupl_api::Environment::custom(self.base_url())
            .map_err(|e| ClientForError::Build(e.into()))?;
        Ok(environment.client_with(http, lupl_api::ClientState::default()))
    }
}

/// Why [`Sandbox::client_for`] made no client.
#[cfg(feature = "client")]
#[derive(Debug, thiserror::Error)]
pub enum ClientForError {
    /// No user of the fixture has this email.
    #[error("no user of the sandbox's fixture has the email {0}; see Sandbox::info().users")]
    UnknownUser(String),
    /// The HTTP client could not be built.
    #[error("cannot build the client: {0}")]
    Build(#[source] lupl_api::Error),
}
