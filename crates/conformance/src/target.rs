//! Where requests go: the in-process model, or any base URL with tokens and
//! the ids the caller owns and manages.

pub use conformance_core::tenants::Identity;
use conformance_core::tenants::Tenants;
use lupl_auth::{
    ClientBuilder, limits::Quota, limits::RateLimiter, limits::SystemClock, settings::SettingsArgs,
};
use lupl_model::{Fixture, Sandbox};
use std::sync::Arc;
use uuid::Uuid;

/// The target as flags and `LUPL_*` variables: the runner's arguments, and
/// what `cargo test -p conformance` reads from the environment. Settings
/// and credentials come through `lupl-auth` as for `lupl`: a token
/// (`LUPL_TOKEN`, `--token-file`) or an Auth0 client, flags before the
/// environment before a profile.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct TargetArgs {
    /// Where and who: `--base-url`, `--env`, `--profile`, credentials.
    #[command(flatten)]
    pub settings: SettingsArgs,
    /// The provider the identity owns.
    #[arg(long, env = "LUPL_PMS_ID")]
    pub pms_id: Option<Uuid>,
    /// The organization the identity manages.
    #[arg(long, env = "LUPL_ORGANIZATION_ID")]
    pub organization_id: Option<Uuid>,
    /// A provider that belongs to someone else (cross-tenant checks).
    #[arg(long, env = "LUPL_FOREIGN_PMS_ID")]
    pub foreign_pms_id: Option<Uuid>,
    /// An organization the identity does not manage (cross-tenant checks).
    #[arg(long, env = "LUPL_FOREIGN_ORGANIZATION_ID")]
    pub foreign_organization_id: Option<Uuid>,
    /// Allow a Production target.
    #[arg(long)]
    pub allow_production: bool,
}

impl TargetArgs {
    /// Whether the arguments name a live target (a base URL, an
    /// environment or a profile, on the command line or in the
    /// environment); a config file's default profile alone does not, so the
    /// plain command always checks the built-in model.
    pub fn is_live(&self) -> bool {
        let s = &self.settings;
        s.base_url.is_some() || s.env.is_some() || s.profile.is_some()
    }

    /// The client-side quota the settings give (the throttling phase
    /// expects it).
    pub fn rate_limit(&self) -> Result<Quota, String> {
        match &self.settings.rate_limit {
            Some(text) => text
                .parse::<Quota>()
                .map_err(|e| format!("--rate-limit {text:?}: {e}")),
            None => Ok(Quota::default()),
        }
    }

    /// The target: the built-in model, or the live one the settings name,
    /// with a token fetched through `lupl-auth` when the credentials are an
    /// Auth0 client. Errors are one line for the user.
    pub async fn target(&self) -> Result<Target, String> {
        if !self.is_live() {
            return Target::model().await.map_err(|e| e.to_string());
        }
        let resolved = self.settings.resolve().map_err(|e| e.to_string())?;
        let environment = resolved.settings.environment.clone();
        if environment.is_production() && !self.allow_production {
            return Err(format!(
                "{} looks like Production; pass --allow-production to write there",
                environment.base_url()
            ));
        }
        let (Some(pms_id), Some(organization_id)) = (self.pms_id, self.organization_id) else {
            return Err("a live target needs --pms-id and --organization-id (or LUPL_PMS_ID, LUPL_ORGANIZATION_ID)".into());
        };
        let built = ClientBuilder::from_settings(resolved.settings)
            .build_parts()
            .map_err(|e| e.to_string())?;
        let token = built
            .tokens
            .token()
            .await
            .map_err(|e| format!("cannot get a token: {e}"))?;
        Target::live(
            &environment.base_url(),
            Identity {
                token: lupl_auth::tokens::ExposeSecret::expose_secret(token.secret()).to_owned(),
                pms_id,
                organization_id,
            },
            self.foreign_pms_id,
            self.foreign_organization_id,
            resolved.rate_limit,
        )
        .map_err(|e| e.to_string())
    }
}

/// What the harness runs against.
pub struct Target {
    /// The base URL.
    pub base_url: String,
    /// Who the run acts as, and the ids it names.
    pub tenants: Tenants,
    /// Paces requests under the target's quota.
    pub limiter: Arc<RateLimiter>,
    /// Whether this is the in-process model (no restore needed).
    pub is_model: bool,
    /// The HTTP client.
    pub http: lupl_api::reqwest::Client,
    _sandbox: Option<Sandbox>,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("base_url", &self.base_url)
            .field("tenants", &self.tenants)
            .finish_non_exhaustive()
    }
}

fn http() -> anyhow::Result<lupl_api::reqwest::Client> {
    Ok(lupl_api::Environment::http_client_builder().build()?)
}

impl Target {
    /// The built-in model on loopback, both tenants of its fixture, and a
    /// quota high enough that the throttle never interferes.
    pub async fn model() -> anyhow::Result<Self> {
        let mut fixture = Fixture::builtin();
        fixture.rate_limit = Quota::new(1_000_000, 1);
        Self::model_with(fixture, Quota::new(1_000_000, 1)).await
    }

    /// A model with this fixture (its first two users, each owning one
    /// provider and managing one organization), paced by `limit`. One more
    /// provider is registered for the first user and never configured.
    pub async fn model_with(mut fixture: Fixture, limit: Quota) -> anyhow::Result<Self> {
        let identities = Self::identities_of(&fixture);
        let unconfigured = Uuid::from_u128(0x5eed_0000_0000_4000_8000_0000_0000_0002);
        if let Some(owner) = fixture.users.first().map(|u| u.email.clone())
            && !fixture.providers.iter().any(|p| p.pms_id == unconfigured)
        {
            fixture.providers.push(lupl_model::fixture::Provider {
                pms_id: unconfigured,
                owner,
                config: serde_json::Value::Null.into(),
            });
        }
        if identities.is_empty() {
            anyhow::bail!(
                "the fixture has no user who owns a provider and manages an organization"
            );
        }
        let sandbox = Sandbox::start_with(fixture).await?;
        Ok(Self {
            base_url: sandbox.base_url().to_owned(),
            tenants: Tenants {
                unconfigured_pms: Some(unconfigured),
                ..Tenants::new(identities)
            },
            limiter: Arc::new(RateLimiter::new(limit, Arc::new(SystemClock))),
            is_model: true,
            http: http()?,
            _sandbox: Some(sandbox),
        })
    }

    /// A live target.
    pub fn live(
        base_url: &str,
        identity: Identity,
        foreign_pms_id: Option<Uuid>,
        foreign_organization_id: Option<Uuid>,
        limit: Quota,
    ) -> anyhow::Result<Self> {
        let base_url = lupl_api::parse_base_url(base_url)?
            .as_str()
            .trim_end_matches('/')
            .to_owned();
        Ok(Self {
            base_url,
            tenants: Tenants {
                foreign_pms_id,
                foreign_organization_id,
                ..Tenants::new(vec![identity])
            },
            limiter: Arc::new(RateLimiter::new(limit, Arc::new(SystemClock))),
            is_model: false,
            http: http()?,
            _sandbox: None,
        })
    }

    /// Any server with these identities (the first two are treated as two
    /// tenants); `restore` says whether configurations are put back at the
    /// end, as for a live target.
    pub fn custom(
        base_url: &str,
        identities: Vec<Identity>,
        limit: Quota,
        restore: bool,
    ) -> anyhow::Result<Self> {
        if identities.is_empty() {
            anyhow::bail!("a target needs at least one identity");
        }
        Ok(Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            tenants: Tenants::new(identities),
            limiter: Arc::new(RateLimiter::new(limit, Arc::new(SystemClock))),
            is_model: !restore,
            http: http()?,
            _sandbox: None,
        })
    }

    /// The identities of a fixture: users that own a provider and manage an
    /// organization.
    pub fn identities_of(fixture: &Fixture) -> Vec<Identity> {
        fixture
            .users
            .iter()
            .filter_map(|u| {
                let pms_id = fixture
                    .providers
                    .iter()
                    .find(|p| p.owner == u.email)?
                    .pms_id;
                let organization_id = *u.manages.first()?;
                Some(Identity {
                    token: u.token.clone(),
                    pms_id,
                    organization_id,
                })
            })
            .take(2)
            .collect()
    }
}
