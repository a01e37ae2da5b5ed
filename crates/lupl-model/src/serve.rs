//! The model served in-process on loopback through wiremock, for tests: one
//! catch-all responder over the shared [`Model`]. (wiremock keeps every
//! matched request, so the long-running `lupl-sandbox` uses
//! [`crate::http_server`] instead.)

use crate::fixture::Fixture;
use crate::http_server::{Handler, model_request, sandbox_handler};
use crate::model::{Model, ModelResponse};
use std::sync::Arc;
use uuid::Uuid;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

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
}

impl SandboxInfo {
    /// The info of a fixture served at `base_url`.
    pub fn new(base_url: String, fixture: &Fixture) -> Self {
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
                    let managers = fixture
                        .users
                        .iter()
                        .filter(|u| u.manages.contains(&o.organization_id))
                        .map(|u| u.email.clone())
                        .collect();
                    (o.organization_id, managers)
                })
                .collect(),
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
            "  OpenAPI document: {}/openapi.json\n",
            self.base_url
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
        out
    }
}

/// A running model on loopback. Dropping it stops the server.
pub struct Sandbox {
    server: MockServer,
    model: Arc<Model>,
    info: SandboxInfo,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

struct ModelResponder(Handler);

impl Respond for ModelResponder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let model_request = model_request(
            &request.method,
            request.url.path(),
            request.url.query(),
            &request.headers,
            request.body.clone(),
        );
        template((self.0)(&model_request))
    }
}

/// The model's answer as a wiremock response.
pub fn template(response: ModelResponse) -> ResponseTemplate {
    let mut template = ResponseTemplate::new(response.status);
    let content_type = response.header_value("Content-Type").map(str::to_owned);
    for (name, value) in &response.headers {
        if !name.eq_ignore_ascii_case("Content-Type") {
            template = template.insert_header(name.as_str(), value.as_str());
        }
    }
    match content_type {
        Some(ct) => template.set_body_raw(response.body, &ct),
        None => template,
    }
}

impl Sandbox {
    /// The built-in fixture on a free loopback port.
    pub async fn start() -> Self {
        Self::start_with(Fixture::builtin()).await
    }

    /// A fixture on a free loopback port.
    pub async fn start_with(fixture: Fixture) -> Self {
        let model = Arc::new(Model::new(fixture.clone()));
        Self::serve(MockServer::builder(), model, &fixture).await
    }

    async fn serve(
        builder: wiremock::MockServerBuilder,
        model: Arc<Model>,
        fixture: &Fixture,
    ) -> Self {
        // Recording every request would grow memory without bound under load.
        let server = builder.disable_request_recording().start().await;
        Mock::given(any())
            .respond_with(ModelResponder(sandbox_handler(model.clone())))
            .mount(&server)
            .await;
        let info = SandboxInfo::new(server.uri(), fixture);
        Self {
            server,
            model,
            info,
        }
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
        *self.server.address()
    }
}
