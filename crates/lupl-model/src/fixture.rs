//! The fixture format of CONTRACT.md ("Identities in the model"): users with
//! tokens, providers with owners and optional configurations, organizations
//! with optional configurations, and the rate limit. The `--state` file of
//! the sandbox uses the same format.

use crate::json_text::JsonText;
use lupl_spec::Quota;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use uuid::Uuid;

/// The vendor document's example PMS ID.
pub const ACME_PMS_ID: &str = "4efafdc0-2783-4af6-9cac-d2b2be27a080";
/// The vendor document's example organization ID.
pub const ACME_ORGANIZATION_ID: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";

/// A whole model state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fixture {
    /// Who may call, by token.
    pub users: Vec<User>,
    /// Registered PMS providers.
    pub providers: Vec<Provider>,
    /// Customer organizations.
    pub organizations: Vec<Organization>,
    /// The per-token quota (`{"requests": N, "perSeconds": S}`).
    #[serde(default, with = "quota_json")]
    pub rate_limit: Quota,
    /// Applications that get tokens from the sandbox's `POST /oauth/token`
    /// (client credentials, refresh tokens), each for one user.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clients: Vec<ApiClient>,
    /// The API identifier `/oauth/token` issues tokens for
    /// ([`DEFAULT_AUDIENCE`] if absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
}

/// The audience the sandbox's `/oauth/token` issues tokens for when the
/// fixture names none.
pub const DEFAULT_AUDIENCE: &str = "https://lupl-sandbox.local/api";

/// An application registered with the sandbox's token endpoint, as with
/// Auth0: its tokens identify the user `email`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ApiClient {
    /// The client id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: String,
    /// The user its tokens identify.
    pub email: String,
    /// A refresh token it may redeem (`grant_type=refresh_token`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

impl std::fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiClient")
            .field("client_id", &self.client_id)
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// A user, known by bearer token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct User {
    /// The bearer token that identifies the user.
    pub token: String,
    /// The user's login; providers name their owner by it.
    pub email: String,
    /// Organizations the user manages.
    #[serde(default)]
    pub manages: Vec<Uuid>,
}

/// A registered PMS provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Provider {
    /// The PMS ID.
    pub pms_id: Uuid,
    /// The owner's email.
    pub owner: String,
    /// The stored configuration, or `null`, with the digits it was sent with.
    #[serde(default)]
    pub config: JsonText,
}

/// A customer organization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Organization {
    /// The organization ID.
    pub organization_id: Uuid,
    /// The stored `{"organizationId", "pmsId", "fields"}`, or `null`, with
    /// the digits it was sent with.
    #[serde(default)]
    pub config: JsonText,
}

/// The fixture's JSON form of its [`Quota`]: `{"requests": N,
/// "perSeconds": S}`. A window that is not whole seconds, or longer than
/// `u32::MAX` seconds, is a serialization error (never rounded).
mod quota_json {
    use lupl_spec::Quota;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct Json {
        requests: u32,
        per_seconds: u32,
    }

    pub(super) fn serialize<S: Serializer>(quota: &Quota, s: S) -> Result<S::Ok, S::Error> {
        let per_seconds = u32::try_from(quota.per.as_secs())
            .ok()
            .filter(|_| quota.per.subsec_nanos() == 0)
            .ok_or_else(|| {
                serde::ser::Error::custom(format!(
                    "rateLimit {quota}: perSeconds must be a whole number of seconds up to {}",
                    u32::MAX
                ))
            })?;
        Json {
            requests: quota.requests,
            per_seconds,
        }
        .serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Quota, D::Error> {
        let json = Json::deserialize(d)?;
        Ok(Quota::new(json.requests, u64::from(json.per_seconds)))
    }
}

/// Why a fixture or state file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// Not JSON of the fixture format.
    #[error("{path}: line {line}, column {column}: {message}")]
    Format {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// Well-formed, but inconsistent.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

impl Fixture {
    /// The built-in fixture: the vendor document's ids, owned and managed by
    /// `tok-acme`; a second tenant, `tok-other`, with its own configured
    /// provider and organization, for cross-tenant checks.
    pub fn builtin() -> Self {
        let other_pms: Uuid = uuid::uuid!("9b1c3a52-6f0e-4d7b-8a4e-2f5d1c7e9a10");
        let other_org: Uuid = uuid::uuid!("c0ffee00-1234-4abc-9def-0123456789ab");
        let acme_pms = uuid::uuid!("4efafdc0-2783-4af6-9cac-d2b2be27a080");
        let acme_org = uuid::uuid!("3fa85f64-5717-4562-b3fc-2c963f66afa6");
        let other_config = serde_json::json!({
            "name": "Other PM",
            "baseUrl": "https://api.other.example",
            "authentication": {"type": "apiKey", "headerName": "X-Api-Key", "field": "apiKey"},
            "endpoints": {"matters": "/matters"},
            "fields": [{"key": "apiKey", "label": "API key", "type": "string", "required": true}]
        });
        Fixture {
            users: vec![
                User {
                    token: "tok-acme".into(),
                    email: "dev@acme.example".into(),
                    manages: vec![acme_org],
                },
                User {
                    token: "tok-other".into(),
                    email: "dev@other.example".into(),
                    manages: vec![other_org],
                },
            ],
            providers: vec![
                Provider {
                    pms_id: acme_pms,
                    owner: "dev@acme.example".into(),
                    config: JsonText::null(),
                },
                Provider {
                    pms_id: other_pms,
                    owner: "dev@other.example".into(),
                    config: other_config.into(),
                },
            ],
            organizations: vec![
                Organization {
                    organization_id: acme_org,
                    config: JsonText::null(),
                },
                Organization {
                    organization_id: other_org,
                    config: serde_json::json!({
                        "organizationId": other_org, "pmsId": other_pms,
                        "fields": {"apiKey": "k-123"}})
                    .into(),
                },
            ],
            rate_limit: Quota::default(),
            clients: vec![
                ApiClient {
                    client_id: "acme-client".into(),
                    client_secret: "acme-secret".into(),
                    email: "dev@acme.example".into(),
                    refresh_token: Some("acme-refresh".into()),
                },
                ApiClient {
                    client_id: "other-client".into(),
                    client_secret: "other-secret".into(),
                    email: "dev@other.example".into(),
                    refresh_token: None,
                },
            ],
            audience: None,
        }
    }

    /// The audience `/oauth/token` issues tokens for.
    pub fn audience(&self) -> &str {
        self.audience.as_deref().unwrap_or(DEFAULT_AUDIENCE)
    }

    /// Adds `count` new organizations, without configurations, managed by
    /// the user with `token`; returns their ids (deterministic: the same
    /// call gives the same ids). For bulk tests and benchmarks.
    pub fn add_organizations(&mut self, token: &str, count: usize) -> Vec<Uuid> {
        let salt = self.organizations.len() as u128;
        let ids: Vec<Uuid> = (0..count as u128)
            .map(|i| {
                uuid::Builder::from_u128(
                    0x5e7_0000_0000_4000_8000_0000_0000_0000 | (salt << 32) | i,
                )
                .into_uuid()
            })
            .collect();
        self.organizations
            .extend(ids.iter().map(|&organization_id| Organization {
                organization_id,
                config: JsonText::null(),
            }));
        if let Some(user) = self.users.iter_mut().find(|u| u.token == token) {
            user.manages.extend(&ids);
        }
        ids
    }

    /// Parses fixture text; `path` names the source in errors.
    pub fn parse(text: &str, path: &str) -> Result<Self, FixtureError> {
        let fixture: Fixture = serde_json::from_str(text).map_err(|e| FixtureError::Format {
            path: path.to_owned(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        fixture.check(path)?;
        Ok(fixture)
    }

    /// Reads and parses a fixture file.
    pub fn load(path: &Path) -> Result<Self, FixtureError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| FixtureError::Io {
            path: name.clone(),
            source,
        })?;
        Self::parse(&text, &name)
    }

    /// Consistency: unique tokens, emails and ids; owners and managed
    /// organizations exist; a stored configuration obeys the contract.
    pub fn check(&self, path: &str) -> Result<(), FixtureError> {
        let invalid = |message: String| FixtureError::Invalid {
            path: path.to_owned(),
            message,
        };
        let mut tokens = BTreeSet::new();
        let mut emails = BTreeSet::new();
        for u in &self.users {
            if u.token.is_empty() || !tokens.insert(&u.token) {
                return Err(invalid(format!(
                    "user {}: empty or duplicate token",
                    u.email
                )));
            }
            if !emails.insert(&u.email) {
                return Err(invalid(format!("duplicate user email {}", u.email)));
            }
        }
        let mut client_ids = BTreeSet::new();
        for c in &self.clients {
            if c.client_id.is_empty() || !client_ids.insert(&c.client_id) {
                return Err(invalid(format!(
                    "client of {}: empty or duplicate clientId",
                    c.email
                )));
            }
            if !emails.contains(&c.email) {
                return Err(invalid(format!(
                    "client {}: no user has the email {}",
                    c.client_id, c.email
                )));
            }
        }
        let orgs: BTreeSet<Uuid> = self
            .organizations
            .iter()
            .map(|o| o.organization_id)
            .collect();
        if orgs.len() != self.organizations.len() {
            return Err(invalid("duplicate organizationId".into()));
        }
        for u in &self.users {
            if let Some(o) = u.manages.iter().find(|o| !orgs.contains(o)) {
                return Err(invalid(format!(
                    "user {} manages unknown organization {o}",
                    u.email
                )));
            }
        }
        let mut pms = BTreeSet::new();
        for p in &self.providers {
            if !pms.insert(p.pms_id) {
                return Err(invalid(format!("duplicate pmsId {}", p.pms_id)));
            }
            if !emails.contains(&p.owner) {
                return Err(invalid(format!(
                    "provider {}: unknown owner {}",
                    p.pms_id, p.owner
                )));
            }
            check_provider_config(p.pms_id, &p.config).map_err(invalid)?;
        }
        for o in &self.organizations {
            check_organization_config(o.organization_id, &o.config).map_err(invalid)?;
        }
        if self.rate_limit.requests == 0 || self.rate_limit.per.is_zero() {
            return Err(invalid(
                "rateLimit: requests and perSeconds must be positive".into(),
            ));
        }
        Ok(())
    }
}

/// A provider's stored configuration as the model would have stored it:
/// `null`, or one that passes CONTRACT.md's rules. For a fixture and for
/// every line of a state file alike.
pub(crate) fn check_provider_config(pms_id: Uuid, config: &Value) -> Result<(), String> {
    if config.is_null() {
        return Ok(());
    }
    let errors = crate::rules::provider_configuration(config);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!("provider {pms_id}: invalid config: {errors:?}"))
    }
}

/// An organization's stored configuration as the model would have stored
/// it: `null`, or `{"organizationId", "pmsId", "fields"}` with its own id.
pub(crate) fn check_organization_config(
    organization_id: Uuid,
    config: &Value,
) -> Result<(), String> {
    if config.is_null() {
        return Ok(());
    }
    let ok = config.get("organizationId").and_then(Value::as_str)
        == Some(organization_id.to_string().as_str())
        && config.get("pmsId").and_then(Value::as_str).is_some()
        && config.get("fields").is_some_and(Value::is_object);
    if ok {
        Ok(())
    } else {
        Err(format!(
            "organization {organization_id}: config must be {{\"organizationId\", \"pmsId\", \"fields\"}} with its own id"
        ))
    }
}
