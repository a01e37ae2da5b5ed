//! The settings as command-line flags, shared by `lupl` and the
//! conformance runner (feature `cli`). Secrets are never argument values,
//! which other users see in `ps`: they come from files (`--token-file`,
//! `--client-secret-file`, `-` for standard input), the environment or a
//! profile.

use crate::error::SettingsError;
use crate::sources::{ConfigFileChoice, Resolved, Sources, read_secret, resolve};
use std::path::PathBuf;

/// Where to connect and how to authenticate, as flags. Each flag is the
/// `LUPL_*` variable of the same name; flags win over the environment,
/// which wins over the config file's profile.
///
/// ```
/// use clap::Parser;
/// #[derive(Parser)]
/// struct Cli {
///     #[command(flatten)]
///     settings: lupl_auth::settings::SettingsArgs,
/// }
/// let cli =
///     Cli::parse_from(["tool", "--base-url", "http://127.0.0.1:8080", "--rate-limit", "100/1"]);
/// assert_eq!(cli.settings.base_url.as_deref(), Some("http://127.0.0.1:8080"));
/// ```
#[derive(clap::Args, Debug, Clone, Default)]
pub struct SettingsArgs {
    /// Environment: stage (default) or production (needs --base-url).
    #[arg(long, global = true, help_heading = "Global options", env = "LUPL_ENV")]
    pub env: Option<String>,
    /// An explicit API base URL (plain http only for loopback).
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "LUPL_BASE_URL"
    )]
    pub base_url: Option<String>,
    /// A profile of the config file (default: the one named like --env,
    /// else the file's `default`).
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "LUPL_PROFILE"
    )]
    pub profile: Option<String>,
    /// The config file [default: ~/.config/lupl/config.toml].
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "LUPL_CONFIG"
    )]
    pub config: Option<PathBuf>,
    /// Auth0 client id (as LUPL_CLIENT_ID).
    #[arg(long, global = true, help_heading = "Global options")]
    pub client_id: Option<String>,
    /// A file holding the Auth0 client secret (`-`: stdin; mode 0600).
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        value_name = "FILE"
    )]
    pub client_secret_file: Option<PathBuf>,
    /// Auth0 domain (as LUPL_AUTH_DOMAIN).
    #[arg(long, global = true, help_heading = "Global options")]
    pub auth_domain: Option<String>,
    /// Auth0 token URL, instead of --auth-domain (as LUPL_TOKEN_URL).
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        value_name = "URL"
    )]
    pub token_url: Option<String>,
    /// Auth0 audience (as LUPL_AUDIENCE).
    #[arg(long, global = true, help_heading = "Global options")]
    pub audience: Option<String>,
    /// A file holding a bearer token (`-`: stdin; mode 0600), instead of Auth0.
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        value_name = "FILE"
    )]
    pub token_file: Option<PathBuf>,
    /// Requests per window, as N/SECONDS [default: 1000/60, Lupl's policy].
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "LUPL_RATE_LIMIT"
    )]
    pub rate_limit: Option<String>,
}

impl SettingsArgs {
    /// The files these settings read (the config file, explicit or
    /// default, and the secret files), as inputs for
    /// [`lupl_safety::paths::Files::check`]: no output of a tool may
    /// replace one. `var` reads the environment.
    ///
    /// ```
    /// use lupl_auth::settings::SettingsArgs;
    /// let args = SettingsArgs { token_file: Some("tok".into()), ..SettingsArgs::default() };
    /// let clash = args
    ///     .input_files(&|_| None)
    ///     .output("--results", Some("tok".as_ref()))
    ///     .check();
    /// assert!(clash.is_err(), "the results would replace the token file");
    /// ```
    pub fn input_files(&self, var: &dyn Fn(&str) -> Option<String>) -> lupl_safety::paths::Files {
        let config = self
            .config
            .clone()
            .or_else(|| crate::settings::profile::default_path(var));
        lupl_safety::paths::Files::default()
            .input("--config", config.as_deref())
            .input(
                "--token-file",
                self.token_file
                    .as_deref()
                    .filter(|p| *p != std::path::Path::new("-")),
            )
            .input(
                "--client-secret-file",
                self.client_secret_file
                    .as_deref()
                    .filter(|p| *p != std::path::Path::new("-")),
            )
    }

    /// Settles the settings: these flags, then the process environment,
    /// then the config file's profile.
    ///
    /// ```no_run
    /// use clap::Parser;
    /// use lupl_auth::{ClientBuilder, settings::SettingsArgs};
    ///
    /// #[derive(Parser)]
    /// struct Cli {
    ///     #[command(flatten)]
    ///     settings: SettingsArgs,
    /// }
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let resolved = Cli::parse().settings.resolve()?;
    /// let client = ClientBuilder::from_settings(resolved.settings)
    ///     .rate_limit(resolved.rate_limit)
    ///     .build()?;
    /// # Ok(()) }
    /// ```
    pub fn resolve(&self) -> Result<Resolved, SettingsError> {
        self.resolve_with(&|name| std::env::var(name).ok())
    }

    /// As [`SettingsArgs::resolve`], with another environment.
    ///
    /// ```
    /// use lupl_auth::{limits::Quota, settings::SettingsArgs};
    ///
    /// let args = SettingsArgs { rate_limit: Some("100/1".into()), ..SettingsArgs::default() };
    /// let env = |name: &str| match name {
    ///     "LUPL_TOKEN" => Some("tok-acme".to_owned()),
    ///     "LUPL_RATE_LIMIT" => Some("50/1".to_owned()),
    ///     _ => None, // no HOME: no config file either
    /// };
    /// let resolved = args.resolve_with(&env)?;
    /// assert_eq!(resolved.rate_limit, Quota::new(100, 1), "the flag wins");
    /// # Ok::<(), lupl_auth::settings::SettingsError>(())
    /// ```
    pub fn resolve_with(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Resolved, SettingsError> {
        let mut flags: Vec<(&'static str, String, &'static str)> = Vec::new();
        let mut put = |name, value: &Option<String>, flag| {
            // clap fills a flag from its variable: a value equal to the
            // variable's is the variable's, and errors name it so.
            if let Some(v) = value
                && env(name).as_deref() != Some(v.as_str())
            {
                flags.push((name, v.clone(), flag));
            }
        };
        put("LUPL_ENV", &self.env, "--env");
        put("LUPL_BASE_URL", &self.base_url, "--base-url");
        put("LUPL_CLIENT_ID", &self.client_id, "--client-id");
        put("LUPL_AUTH_DOMAIN", &self.auth_domain, "--auth-domain");
        put("LUPL_TOKEN_URL", &self.token_url, "--token-url");
        put("LUPL_AUDIENCE", &self.audience, "--audience");
        put("LUPL_RATE_LIMIT", &self.rate_limit, "--rate-limit");
        if let Some(path) = &self.token_file {
            let token = read_secret(path, "a bearer token")?;
            flags.push(("LUPL_TOKEN", token, "--token-file"));
        }
        if let Some(path) = &self.client_secret_file {
            let secret = read_secret(path, "the Auth0 client secret")?;
            flags.push(("LUPL_CLIENT_SECRET", secret, "--client-secret-file"));
        }
        let sources = Sources {
            flags,
            env,
            config: match &self.config {
                Some(p) => ConfigFileChoice::Path(p.clone()),
                None => ConfigFileChoice::Default,
            },
            profile: self.profile.clone(),
            cli: true,
        };
        resolve(&sources)
    }
}
