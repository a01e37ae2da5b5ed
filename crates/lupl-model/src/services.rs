//! What the sandbox offers beyond the API: the fault table, the request
//! journal, the token endpoint, the admin API's access rule, the access log
//! and reset. [`crate::gateway`] routes requests to them; [`crate::admin`]
//! drives them over HTTP and [`crate::Sandbox`] from Rust.

use crate::faults::FaultTable;
use crate::fixture::Fixture;
use crate::journal::Journal;
use crate::model::Model;
use crate::persist::StateFile;
use crate::token_endpoint::Issuer;
use std::sync::Arc;
use std::time::Duration;

/// The sandbox's services around one model.
///
/// ```
/// use lupl_model::{Fixture, Model, Services};
/// use std::sync::Arc;
/// let model = Arc::new(Model::new(Fixture::builtin()));
/// let services = Services::new(model, Fixture::builtin(), std::time::Duration::from_secs(60));
/// assert!(services.journal.entries().is_empty());
/// ```
#[derive(Debug)]
pub struct Services {
    /// The model behind the API.
    pub model: Arc<Model>,
    /// Faults in force.
    pub faults: FaultTable,
    /// Requests received.
    pub journal: Journal,
    /// `POST /oauth/token`.
    pub issuer: Issuer,
    admin_token: Option<String>,
    access_log: bool,
    reset_to: Fixture,
    state: Option<Arc<StateFile>>,
}

impl Services {
    /// Services around `model`, reset to `fixture`, issuing tokens that
    /// last `ttl`; no access log, admin API for loopback clients only.
    pub fn new(model: Arc<Model>, fixture: Fixture, ttl: Duration) -> Self {
        Self {
            issuer: Issuer::new(model.clone(), &fixture, ttl),
            model,
            faults: FaultTable::default(),
            journal: Journal::default(),
            admin_token: None,
            access_log: false,
            reset_to: fixture,
            state: None,
        }
    }

    /// Lets clients beyond loopback use the admin API with
    /// `Authorization: Bearer <token>`.
    pub fn admin_token(mut self, token: Option<String>) -> Self {
        self.admin_token = token.filter(|t| !t.is_empty());
        self
    }

    /// Prints one line per request on stdout.
    pub fn access_log(mut self, on: bool) -> Self {
        self.access_log = on;
        self
    }

    /// Rewrites `state` too on a reset.
    pub fn state_file(mut self, state: Option<Arc<StateFile>>) -> Self {
        self.state = state;
        self
    }

    /// Whether the access log is on.
    pub fn logs_access(&self) -> bool {
        self.access_log
    }

    /// Whether a client at a non-loopback address sending this bearer
    /// token may use the admin API (loopback clients always may).
    pub fn admits(&self, loopback: bool, bearer: Option<&str>) -> bool {
        loopback
            || match (self.admin_token.as_deref(), bearer) {
                (Some(held), Some(sent)) => same_secret(held.as_bytes(), sent.as_bytes()),
                _ => false,
            }
    }

    /// The fixture's state again: configurations, faults, journal and
    /// revocations; with a state file, the file too (written first, under
    /// the model's lock, so a reset that cannot be saved changes nothing
    /// and no write falls between the file and the model).
    pub fn reset(&self) -> Result<(), String> {
        self.model
            .reset_with(self.reset_to.clone(), || match &self.state {
                Some(state) => state
                    .reset(self.reset_to.clone())
                    .map_err(|e| e.to_string()),
                None => Ok(()),
            })?;
        self.faults.clear();
        self.journal.clear();
        self.issuer.restore();
        Ok(())
    }
}

/// Compares two secrets in a time that does not depend on where they
/// first differ.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
