//! One way to settle settings for every tool: command-line values, then
//! the `LUPL_*` environment, then a profile of the config file; the
//! credentials as a group from the first of those that has any. `lupl`,
//! the conformance runner and `cargo test -p conformance` all come through
//! [`resolve`], so a variable, a flag or a profile means the same
//! everywhere, and every error names the setting the way the user set it.

use crate::config::{self, CREDENTIAL_VARIABLES, ConfigError, Settings};
use crate::error::SettingsError;
use crate::settings::profile;
use lupl_spec::Quota;
use std::path::{Path, PathBuf};

/// Which config file to read.
///
/// ```
/// use lupl_auth::{settings::ConfigFileChoice, settings::SettingsError, settings::Sources, settings::resolve};
///
/// assert_eq!(ConfigFileChoice::default(), ConfigFileChoice::None);
/// let missing = std::env::temp_dir().join(format!("lupl-auth-doc-{}.toml", std::process::id()));
/// let env = |name: &str| (name == "LUPL_TOKEN").then(|| "tok-acme".to_owned());
/// let sources = Sources {
///     flags: vec![],
///     env: &env,
///     config: ConfigFileChoice::Path(missing), // must exist
///     profile: None,
///     cli: false,
/// };
/// assert!(matches!(resolve(&sources), Err(SettingsError::Read { .. })));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ConfigFileChoice {
    /// None (a library reading only the environment).
    #[default]
    None,
    /// `$LUPL_CONFIG`, else `$XDG_CONFIG_HOME/lupl/config.toml`, else
    /// `~/.config/lupl/config.toml`, if it exists.
    Default,
    /// This file, which must exist.
    Path(PathBuf),
}

/// Where settings come from, in precedence order.
///
/// ```
/// use lupl_auth::{settings::ConfigFileChoice, limits::Quota, settings::Sources, settings::resolve};
///
/// let dir = std::env::temp_dir().join(format!("lupl-auth-doc-{}-sources", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let config = dir.join("config.toml");
/// let text = "[profile.sandbox]\nbase_url = \"http://127.0.0.1:8080\"\nrate_limit = \"100/1\"\n";
/// std::fs::write(&config, text)?;
/// let env = |name: &str| (name == "LUPL_RATE_LIMIT").then(|| "50/1".to_owned());
/// let sources = Sources {
///     flags: vec![("LUPL_TOKEN", "tok-acme".into(), "--token-file")], // read from its file
///     env: &env,
///     config: ConfigFileChoice::Path(config),
///     profile: Some("sandbox".into()),
///     cli: true,
/// };
/// let resolved = resolve(&sources)?;
/// assert_eq!(resolved.settings.environment.base_url(), "http://127.0.0.1:8080"); // profile
/// assert_eq!(resolved.rate_limit, Quota::new(50, 1)); // the environment wins
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Sources<'a> {
    /// Command-line values by `LUPL_*` name (a secret already read from
    /// its file), each with the flag that set it.
    pub flags: Vec<(&'static str, String, &'static str)>,
    /// The environment.
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// The config file.
    pub config: ConfigFileChoice,
    /// The profile asked for (`--profile`, `LUPL_PROFILE`), if any.
    pub profile: Option<String>,
    /// Whether the tool has flags for the settings (then a setting found
    /// nowhere is named both ways: `--base-url (or LUPL_BASE_URL)`).
    pub cli: bool,
}

impl std::fmt::Debug for Sources<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let flags: Vec<&str> = self.flags.iter().map(|(_, _, flag)| *flag).collect();
        f.debug_struct("Sources")
            .field("flags", &flags)
            .field("config", &self.config)
            .field("profile", &self.profile)
            .finish_non_exhaustive()
    }
}

/// Settled settings.
///
/// ```
/// use lupl_api::Environment;
/// use lupl_auth::{ClientBuilder, settings::ConfigFileChoice, limits::Quota, settings::Sources, settings::resolve};
///
/// let env = |name: &str| (name == "LUPL_TOKEN").then(|| "tok-acme".to_owned());
/// let none = ConfigFileChoice::None;
/// let sources = Sources { flags: vec![], env: &env, config: none, profile: None, cli: false };
/// let resolved = resolve(&sources)?;
/// assert_eq!(resolved.settings.environment, Environment::Stage);
/// assert!(!resolved.explicit_environment, "Stage by default");
/// assert_eq!(resolved.rate_limit, Quota::default());
/// let builder = ClientBuilder::from_settings(resolved.settings).rate_limit(resolved.rate_limit);
/// # Ok::<(), lupl_auth::settings::SettingsError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Where to connect and how to authenticate.
    pub settings: Settings,
    /// The client-side quota.
    pub rate_limit: Quota,
    /// Whether a setting named the environment (an environment or a base
    /// URL); without one, Stage is the default.
    pub explicit_environment: bool,
}

/// Where a setting was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin<'p> {
    Flags,
    Env,
    Profile(&'p str),
    Nowhere,
}

fn set(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Settles settings from `sources`.
///
/// ```
/// use lupl_auth::{settings::ConfigFileChoice, settings::Sources, settings::resolve};
/// let env = |name: &str| (name == "LUPL_TOKEN").then(|| "tok-acme".to_owned());
/// let sources = Sources {
///     flags: vec![("LUPL_BASE_URL", "http://127.0.0.1:8080".into(), "--base-url")],
///     env: &env,
///     config: ConfigFileChoice::None,
///     profile: None,
///     cli: false,
/// };
/// let resolved = resolve(&sources)?;
/// assert_eq!(resolved.settings.environment.base_url(), "http://127.0.0.1:8080");
/// assert!(resolved.explicit_environment);
/// # Ok::<(), lupl_auth::settings::SettingsError>(())
/// ```
pub fn resolve(sources: &Sources) -> Result<Resolved, SettingsError> {
    let flag = |name: &str| {
        sources
            .flags
            .iter()
            .find(|(n, _, _)| *n == name)
            .and_then(|(_, v, _)| set(Some(v.clone())))
    };
    let env = |name: &str| set((sources.env)(name));
    let (file, path) = match &sources.config {
        ConfigFileChoice::None => (profile::ConfigFile::default(), None),
        ConfigFileChoice::Default => match profile::default_path(&|n| env(n)) {
            Some(p) => (profile::load(&p, false)?, Some(p)),
            None => (profile::ConfigFile::default(), None),
        },
        ConfigFileChoice::Path(p) => (profile::load(p, true)?, Some(p.clone())),
    };
    let env_name = flag("LUPL_ENV").or_else(|| env("LUPL_ENV"));
    let asked = sources.profile.clone().or_else(|| env("LUPL_PROFILE"));
    let chosen = file.select(asked.as_deref(), env_name.as_deref())?;
    let from_profile = |name: &str| {
        chosen
            .as_ref()
            .and_then(|(_, p)| set(p.get(name).map(str::to_owned)))
    };
    let has_any = |source: &dyn Fn(&str) -> Option<String>| {
        CREDENTIAL_VARIABLES.iter().any(|n| source(n).is_some())
    };
    let credentials_from = if has_any(&flag) {
        Origin::Flags
    } else if has_any(&env) {
        Origin::Env
    } else if let Some((name, _)) = chosen.as_ref().filter(|_| has_any(&from_profile)) {
        Origin::Profile(name)
    } else {
        Origin::Nowhere
    };
    let lookup = |name: &str| -> Option<String> {
        if CREDENTIAL_VARIABLES.contains(&name) {
            match credentials_from {
                Origin::Flags => flag(name),
                Origin::Env => env(name),
                Origin::Profile(_) => from_profile(name),
                Origin::Nowhere => None,
            }
        } else {
            flag(name)
                .or_else(|| env(name))
                .or_else(|| from_profile(name))
        }
    };
    let origin_of = |name: &str| -> Origin {
        if CREDENTIAL_VARIABLES.contains(&name) {
            credentials_from
        } else if flag(name).is_some() {
            Origin::Flags
        } else if env(name).is_some() {
            Origin::Env
        } else if let Some((p, _)) = chosen.as_ref().filter(|_| from_profile(name).is_some()) {
            Origin::Profile(p)
        } else {
            Origin::Nowhere
        }
    };
    // How the user sets `name` where it was (or would be) looked for.
    let file_name = path
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let name_of = |name: &str| -> String {
        match origin_of(name) {
            Origin::Flags => flag_of(sources, name),
            Origin::Profile(p) => format!(
                "{} in profile {p} of {file_name}",
                name.trim_start_matches("LUPL_").to_ascii_lowercase()
            ),
            Origin::Nowhere if sources.cli && name != "LUPL_REFRESH_TOKEN" => {
                format!("{} (or {name})", flag_of(sources, name))
            }
            Origin::Env | Origin::Nowhere => name.to_owned(),
        }
    };
    let rate_limit = match lookup("LUPL_RATE_LIMIT") {
        Some(text) => text
            .parse::<Quota>()
            .map_err(|reason| SettingsError::RateLimit {
                setting: name_of("LUPL_RATE_LIMIT"),
                text,
                reason,
            })?,
        None => Quota::default(),
    };
    let to_error = |e: ConfigError| {
        let credentials = e.is_credentials();
        let mut error = e.renamed(&name_of);
        // Credentials come from one place; say which, when another place
        // has some too (a secret file on the command line, the client id
        // in the environment).
        if credentials
            && credentials_from == Origin::Flags
            && has_any(&env)
            && let ConfigError::Missing { hint, .. } = &mut error
        {
            hint.push_str(
                " (credentials are taken together from one place: the command line has some, so the LUPL_* credential variables are not used)",
            );
        }
        SettingsError::Config { error, credentials }
    };
    let environment = config::environment(&lookup).map_err(to_error)?;
    let credentials = config::credentials(&lookup).map_err(to_error)?;
    Ok(Resolved {
        settings: Settings {
            environment,
            credentials,
        },
        rate_limit,
        explicit_environment: lookup("LUPL_ENV").is_some() || lookup("LUPL_BASE_URL").is_some(),
    })
}

/// The flag that set `name`, else the flag that would.
fn flag_of(sources: &Sources, name: &str) -> String {
    sources
        .flags
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, _, f)| (*f).to_owned())
        .unwrap_or_else(|| match name {
            "LUPL_TOKEN" => "--token-file".to_owned(),
            "LUPL_CLIENT_SECRET" => "--client-secret-file".to_owned(),
            "LUPL_REFRESH_TOKEN" => "LUPL_REFRESH_TOKEN".to_owned(),
            other => format!(
                "--{}",
                other
                    .trim_start_matches("LUPL_")
                    .to_ascii_lowercase()
                    .replace('_', "-")
            ),
        })
}

/// Reads a secret from `path` (`-`: standard input), trimmed. A file must
/// not be readable by others, and must not be empty.
///
/// ```
/// use lupl_auth::{settings::SettingsError, settings::read_secret};
/// # #[cfg(unix)]
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::{fs::Permissions, os::unix::fs::PermissionsExt};
///
/// let dir = std::env::temp_dir().join(format!("lupl-auth-doc-{}-secret", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("token");
/// std::fs::write(&path, "tok-acme\n")?;
/// std::fs::set_permissions(&path, Permissions::from_mode(0o600))?;
/// assert_eq!(read_secret(&path, "a bearer token")?, "tok-acme");
/// std::fs::set_permissions(&path, Permissions::from_mode(0o644))?;
/// assert!(matches!(read_secret(&path, "a bearer token"), Err(SettingsError::Exposed { .. })));
/// std::fs::remove_dir_all(&dir)?;
/// # Ok(()) }
/// # #[cfg(not(unix))]
/// # fn main() {}
/// ```
pub fn read_secret(path: &Path, what: &'static str) -> Result<String, SettingsError> {
    let text = if path == Path::new("-") {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map_err(|e| {
            SettingsError::Read {
                path: path.to_owned(),
                reason: e.to_string(),
            }
        })?;
        text
    } else {
        let text = std::fs::read_to_string(path).map_err(|e| SettingsError::Read {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        if profile::readable_by_others(path) {
            return Err(SettingsError::Exposed {
                path: path.to_owned(),
            });
        }
        text
    };
    let secret = text.trim().to_owned();
    if secret.is_empty() {
        return Err(SettingsError::EmptySecret {
            path: path.to_owned(),
            what,
        });
    }
    Ok(secret)
}
