//! Which Lupl deployment a client talks to.

use crate::client::Client;
use crate::error::{EnvironmentError, Error};
use crate::state::ClientState;
use reqwest::Url;
use std::fmt;
use std::time::Duration;

/// The documented Stage host, where the PMS provider endpoints live.
///
/// ```
/// assert_eq!(lupl_api::Environment::Stage.base_url(), lupl_api::STAGE_BASE_URL);
/// ```
pub const STAGE_BASE_URL: &str = "https://openapi-stage.stage.lupl.com";

/// A Lupl deployment. Tokens are issued per environment, so the environment
/// is also the key under which `lupl-auth` caches them.
///
/// ```
/// use lupl_api::Environment;
/// let sandbox = Environment::custom("http://127.0.0.1:8080")?;
/// assert_eq!(sandbox.to_string(), "http://127.0.0.1:8080");
/// assert_eq!(Environment::Stage.to_string(), "stage");
/// # Ok::<(), lupl_api::EnvironmentError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Environment {
    /// Lupl Stage, at [`STAGE_BASE_URL`].
    Stage,
    /// Lupl Production. Its API host is not published, so the base URL is
    /// always given explicitly.
    Production(Url),
    /// Any other server: a local sandbox, a proxy, a test double.
    Custom(Url),
}

/// Parses a base URL, allowing plain `http` only for loopback hosts.
///
/// ```
/// use lupl_api::parse_base_url;
/// assert_eq!(parse_base_url(" https://api.example.com ")?.host_str(), Some("api.example.com"));
/// assert!(parse_base_url("http://localhost:8080").is_ok());
/// assert!(parse_base_url("http://api.example.com").is_err());
/// assert!(parse_base_url("ftp://127.0.0.1").is_err());
/// # Ok::<(), lupl_api::EnvironmentError>(())
/// ```
pub fn parse_base_url(text: &str) -> Result<Url, EnvironmentError> {
    let url = Url::parse(text.trim()).map_err(|e| EnvironmentError::Invalid {
        url: text.to_owned(),
        reason: e.to_string(),
    })?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(EnvironmentError::Insecure {
            url: text.to_owned(),
        }),
        _ => Err(EnvironmentError::Scheme {
            url: text.to_owned(),
        }),
    }
}

/// Whether the URL's host is loopback (`localhost`, 127.0.0.0/8, `[::1]`).
///
/// ```
/// use lupl_api::{is_loopback, reqwest::Url};
/// assert!(is_loopback(&Url::parse("http://127.8.0.1:9/").expect("url")));
/// assert!(is_loopback(&Url::parse("http://[::1]/").expect("url")));
/// assert!(!is_loopback(&Url::parse("https://localhost.example/").expect("url")));
/// ```
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

impl Environment {
    /// A Production environment at an explicit base URL.
    ///
    /// ```
    /// let production = lupl_api::Environment::production("https://openapi.lupl.example")?;
    /// assert!(production.is_production());
    /// # Ok::<(), lupl_api::EnvironmentError>(())
    /// ```
    pub fn production(base_url: &str) -> Result<Self, EnvironmentError> {
        parse_base_url(base_url).map(Environment::Production)
    }

    /// A custom environment at an explicit base URL (`http` only on loopback).
    ///
    /// ```
    /// use lupl_api::Environment;
    /// assert!(Environment::custom("http://127.0.0.1:8080").is_ok());
    /// assert!(Environment::custom("http://sandbox.example").is_err());
    /// ```
    pub fn custom(base_url: &str) -> Result<Self, EnvironmentError> {
        parse_base_url(base_url).map(Environment::Custom)
    }

    /// The base URL requests go to, without a trailing slash.
    ///
    /// ```
    /// let env = lupl_api::Environment::custom("http://127.0.0.1:8080/")?;
    /// assert_eq!(env.base_url(), "http://127.0.0.1:8080");
    /// # Ok::<(), lupl_api::EnvironmentError>(())
    /// ```
    pub fn base_url(&self) -> String {
        let url = match self {
            Environment::Stage => return STAGE_BASE_URL.to_owned(),
            Environment::Production(url) | Environment::Custom(url) => url.as_str(),
        };
        url.trim_end_matches('/').to_owned()
    }

    /// The base URL, parsed (once, for Stage).
    ///
    /// ```
    /// let url = lupl_api::Environment::Stage.url();
    /// assert_eq!(url.host_str(), Some("openapi-stage.stage.lupl.com"));
    /// ```
    pub fn url(&self) -> &Url {
        static STAGE: std::sync::LazyLock<Url> = std::sync::LazyLock::new(|| {
            // A constant; the client tests exercise it.
            Url::parse(STAGE_BASE_URL).expect("STAGE_BASE_URL is an absolute URL")
        });
        match self {
            Environment::Stage => &STAGE,
            Environment::Production(url) | Environment::Custom(url) => url,
        }
    }

    /// A short name for messages: `stage`, `production` or the base URL.
    ///
    /// ```
    /// use lupl_api::Environment;
    /// assert_eq!(Environment::Stage.name(), "stage");
    /// assert_eq!(Environment::production("https://api.example")?.name(), "production");
    /// # Ok::<(), lupl_api::EnvironmentError>(())
    /// ```
    pub fn name(&self) -> String {
        match self {
            Environment::Stage => "stage".to_owned(),
            Environment::Production(_) => "production".to_owned(),
            Environment::Custom(_) => self.base_url(),
        }
    }

    /// Whether this is Lupl Production (where the conformance harness refuses
    /// to write unless told otherwise): the Production environment, or a
    /// URL on `lupl.com` that is not a Stage host.
    ///
    /// ```
    /// use lupl_api::Environment;
    /// assert!(Environment::custom("https://openapi.lupl.com")?.is_production());
    /// assert!(!Environment::Stage.is_production());
    /// assert!(!Environment::custom("http://127.0.0.1:8080")?.is_production());
    /// # Ok::<(), lupl_api::EnvironmentError>(())
    /// ```
    pub fn is_production(&self) -> bool {
        match self {
            Environment::Production(_) => true,
            Environment::Stage => false,
            Environment::Custom(url) => url.host_str().is_some_and(|host| {
                let host = host.to_ascii_lowercase();
                (host == "lupl.com" || host.ends_with(".lupl.com"))
                    && !host.split('.').any(|label| label.contains("stage"))
            }),
        }
    }

    /// Whether `url` points at this environment's host (same scheme, host
    /// and port), so that a token issued for it may be sent there.
    ///
    /// ```
    /// use lupl_api::{Environment, reqwest::Url};
    /// let env = Environment::custom("http://127.0.0.1:8080")?;
    /// assert!(env.owns(&Url::parse("http://127.0.0.1:8080/api/1.0/pms/providerconfig").expect("url")));
    /// assert!(!env.owns(&Url::parse("http://127.0.0.1:9090/").expect("url")));
    /// # Ok::<(), lupl_api::EnvironmentError>(())
    /// ```
    pub fn owns(&self, url: &Url) -> bool {
        let base = self.url();
        base.scheme() == url.scheme()
            && base.host_str() == url.host_str()
            && base.port_or_known_default() == url.port_or_known_default()
    }

    /// The HTTP client settings this toolkit uses: rustls, 30 s timeouts,
    /// its user agent, and no redirect followed: a 3xx is an answer
    /// ([`Error::Redirected`]), so neither a request body (a configuration,
    /// Auth0's `client_secret`) nor a token is ever sent to a host other
    /// than the one named, and a POST never silently becomes a GET. Add to
    /// them before building; keep the redirect policy.
    ///
    /// ```
    /// use lupl_api::{ClientState, Environment};
    /// let http = Environment::http_client_builder()
    ///     .timeout(std::time::Duration::from_secs(5))
    ///     .build()?;
    /// let client = Environment::Stage.client_with(http, ClientState::default());
    /// # drop(client);
    /// # Ok::<(), lupl_api::reqwest::Error>(())
    /// ```
    pub fn http_client_builder() -> reqwest::ClientBuilder {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(30))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("lupl-rs/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
    }

    /// An HTTP client with [`Environment::http_client_builder`]'s settings.
    ///
    /// ```
    /// let http = lupl_api::Environment::http_client()?;
    /// # drop(http);
    /// # Ok::<(), lupl_api::Error>(())
    /// ```
    pub fn http_client() -> Result<reqwest::Client, Error> {
        Self::http_client_builder()
            .build()
            .map_err(Error::Transport)
    }

    /// A client for this environment with no middleware: requests go out as
    /// they are, without a token unless the caller adds one.
    ///
    /// ```
    /// let client = lupl_api::Environment::custom("http://127.0.0.1:8080")?.client()?;
    /// assert_eq!(client.base_url(), "http://127.0.0.1:8080");
    /// # Ok::<(), lupl_api::Error>(())
    /// ```
    pub fn client(&self) -> Result<Client, Error> {
        Ok(self.client_with(Self::http_client()?, ClientState::default()))
    }

    /// A client for this environment over the given HTTP client and state.
    ///
    /// ```
    /// use lupl_api::{ClientState, Environment};
    /// let client = Environment::Stage.client_with(Environment::http_client()?, ClientState::default());
    /// assert_eq!(client.base_url(), lupl_api::STAGE_BASE_URL);
    /// # Ok::<(), lupl_api::Error>(())
    /// ```
    pub fn client_with(&self, http: reqwest::Client, state: ClientState) -> Client {
        Client::new(&self.base_url(), http, state)
    }
}

impl fmt::Debug for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Environment({})", self.base_url())
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}
