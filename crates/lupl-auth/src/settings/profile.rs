//! The config file (`~/.config/lupl/config.toml`): named profiles of the
//! same settings the `LUPL_*` variables carry, one per environment or
//! tenant.
//!
//! ```toml
//! default = "stage"            # used when no profile is named
//!
//! [profile.stage]
//! client_id = "…"
//! client_secret = "…"
//! auth_domain = "lupl-stage.eu.auth0.com"
//! audience = "https://stage.api.lupl.com"
//!
//! [profile.sandbox]
//! base_url = "http://127.0.0.1:8080"
//! token = "tok-acme"
//! rate_limit = "100/1"
//! ```
//!
//! Precedence: command-line flags, then environment variables, then the
//! profile. Credentials are taken as a group, all from the first of those
//! sources that sets any of them, so a token given on the command line or in
//! the environment never mixes with a client secret from the file.

use crate::error::SettingsError;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// The credential variables, taken from one source as a group (defined
/// with the settings they name).
///
/// ```
/// use lupl_auth::settings::profile::CREDENTIAL_VARIABLES;
///
/// assert!(CREDENTIAL_VARIABLES.contains(&"LUPL_TOKEN"));
/// ```
pub use crate::config::CREDENTIAL_VARIABLES;

/// The whole file.
///
/// ```
/// use lupl_auth::settings::profile::ConfigFile;
///
/// let file: ConfigFile = toml::from_str(r#"
///     default = "sandbox"
///     [profile.sandbox]
///     base_url = "http://127.0.0.1:8080"
///     token = "tok-acme"
/// "#)?;
/// assert_eq!(file.default.as_deref(), Some("sandbox"));
/// assert_eq!(file.profile["sandbox"].get("LUPL_BASE_URL"), Some("http://127.0.0.1:8080"));
/// assert!(!format!("{file:?}").contains("tok-acme"), "Debug redacts secrets");
/// # Ok::<(), toml::de::Error>(())
/// ```
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// The profile used when none is named.
    pub default: Option<String>,
    /// Profiles by name.
    #[serde(default)]
    pub profile: BTreeMap<String, Profile>,
}

/// One profile: each member is the `LUPL_*` variable of the same name.
///
/// ```
/// use lupl_auth::settings::profile::Profile;
///
/// let sandbox = Profile {
///     base_url: Some("http://127.0.0.1:8080".into()),
///     token: Some("s3cret".into()),
///     ..Profile::default()
/// };
/// let shown = format!("{sandbox:?}");
/// assert!(shown.contains("127.0.0.1") && !shown.contains("s3cret"), "{shown}");
/// ```
#[derive(Default, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// `LUPL_ENV`.
    pub env: Option<String>,
    /// `LUPL_BASE_URL`.
    pub base_url: Option<String>,
    /// `LUPL_TOKEN` (a secret).
    pub token: Option<String>,
    /// `LUPL_CLIENT_ID`.
    pub client_id: Option<String>,
    /// `LUPL_CLIENT_SECRET` (a secret).
    pub client_secret: Option<String>,
    /// `LUPL_AUTH_DOMAIN`.
    pub auth_domain: Option<String>,
    /// `LUPL_TOKEN_URL`.
    pub token_url: Option<String>,
    /// `LUPL_AUDIENCE`.
    pub audience: Option<String>,
    /// `LUPL_REFRESH_TOKEN` (a secret).
    pub refresh_token: Option<String>,
    /// `LUPL_RATE_LIMIT`.
    pub rate_limit: Option<String>,
}

impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hidden = |s: &Option<String>| s.as_ref().map(|_| "<redacted>");
        f.debug_struct("Profile")
            .field("env", &self.env)
            .field("base_url", &self.base_url)
            .field("token", &hidden(&self.token))
            .field("client_id", &self.client_id)
            .field("client_secret", &hidden(&self.client_secret))
            .field("auth_domain", &self.auth_domain)
            .field("token_url", &self.token_url)
            .field("audience", &self.audience)
            .field("refresh_token", &hidden(&self.refresh_token))
            .field("rate_limit", &self.rate_limit)
            .finish()
    }
}

impl Profile {
    /// The value of the `LUPL_*` variable `name`, if the profile sets it.
    ///
    /// ```
    /// use lupl_auth::settings::profile::Profile;
    ///
    /// let profile = Profile { rate_limit: Some("100/1".into()), ..Profile::default() };
    /// assert_eq!(profile.get("LUPL_RATE_LIMIT"), Some("100/1"));
    /// assert_eq!(profile.get("LUPL_ENV"), None, "not set");
    /// assert_eq!(profile.get("LUPL_PROFILE"), None, "not a profile setting");
    /// ```
    pub fn get(&self, name: &str) -> Option<&str> {
        let value = match name {
            "LUPL_ENV" => &self.env,
            "LUPL_BASE_URL" => &self.base_url,
            "LUPL_TOKEN" => &self.token,
            "LUPL_CLIENT_ID" => &self.client_id,
            "LUPL_CLIENT_SECRET" => &self.client_secret,
            "LUPL_AUTH_DOMAIN" => &self.auth_domain,
            "LUPL_TOKEN_URL" => &self.token_url,
            "LUPL_AUDIENCE" => &self.audience,
            "LUPL_REFRESH_TOKEN" => &self.refresh_token,
            "LUPL_RATE_LIMIT" => &self.rate_limit,
            _ => &None,
        };
        value.as_deref()
    }

    fn has_secret(&self) -> bool {
        self.token.is_some() || self.client_secret.is_some() || self.refresh_token.is_some()
    }
}

/// Where the config file is: `$LUPL_CONFIG`, else
/// `$XDG_CONFIG_HOME/lupl/config.toml`, else `~/.config/lupl/config.toml`.
///
/// ```
/// use lupl_auth::settings::profile::default_path;
/// use std::path::Path;
///
/// let home = |name: &str| (name == "HOME").then(|| "/home/me".to_owned());
/// let path = default_path(&home).expect("from HOME");
/// assert_eq!(path, Path::new("/home/me/.config/lupl/config.toml"));
/// let explicit = |name: &str| (name == "LUPL_CONFIG").then(|| "lupl.toml".to_owned());
/// assert_eq!(default_path(&explicit).as_deref(), Some(Path::new("lupl.toml")));
/// assert_eq!(default_path(&|_| None), None);
/// let relative = |name: &str| match name {
///     "XDG_CONFIG_HOME" => Some("".to_owned()),
///     "HOME" => Some("/home/me".to_owned()),
///     _ => None,
/// };
/// assert_eq!(default_path(&relative).as_deref(), Some(Path::new("/home/me/.config/lupl/config.toml")));
/// ```
pub fn default_path(var: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(p) = var("LUPL_CONFIG") {
        return Some(PathBuf::from(p));
    }
    // An empty or relative XDG_CONFIG_HOME is ignored (XDG base directories).
    let base = var("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| var("HOME").map(|h| Path::new(&h).join(".config")))?;
    Some(base.join("lupl").join("config.toml"))
}

/// Reads the file; a missing file is an empty one unless `required`.
///
/// ```
/// use lupl_auth::{settings::SettingsError, settings::profile};
///
/// let dir = std::env::temp_dir().join(format!("lupl-auth-doc-{}-load", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("config.toml");
/// assert!(profile::load(&path, false)?.profile.is_empty(), "no file: no profiles");
/// assert!(matches!(profile::load(&path, true), Err(SettingsError::Read { .. })));
/// std::fs::write(&path, "[profile.stage]\nclient_id = \"my-client\"\n")?;
/// let file = profile::load(&path, true)?;
/// assert_eq!(file.profile["stage"].get("LUPL_CLIENT_ID"), Some("my-client"));
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load(path: &Path, required: bool) -> Result<ConfigFile, SettingsError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
            return Ok(ConfigFile::default());
        }
        Err(e) => {
            return Err(SettingsError::Read {
                path: path.to_owned(),
                reason: e.to_string(),
            });
        }
    };
    let file: ConfigFile = toml::from_str(&text).map_err(|e| {
        let line = e
            .span()
            .map(|s| {
                text.as_bytes()[..s.start.min(text.len())]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count()
                    + 1
            })
            .unwrap_or(1);
        SettingsError::ConfigFile {
            path: path.to_owned(),
            line,
            message: e.message().replace('\n', " "),
        }
    })?;
    if file.profile.values().any(Profile::has_secret) && readable_by_others(path) {
        return Err(SettingsError::Exposed {
            path: path.to_owned(),
        });
    }
    Ok(file)
}

/// Whether users other than the owner may read the file (Unix mode bits).
///
/// ```
/// use lupl_auth::settings::profile::readable_by_others;
/// use std::{fs::Permissions, os::unix::fs::PermissionsExt};
///
/// let dir = std::env::temp_dir().join(format!("lupl-auth-doc-{}-mode", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("config.toml");
/// std::fs::write(&path, "")?;
/// std::fs::set_permissions(&path, Permissions::from_mode(0o600))?;
/// assert!(!readable_by_others(&path));
/// std::fs::set_permissions(&path, Permissions::from_mode(0o644))?;
/// assert!(readable_by_others(&path));
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[cfg(unix)]
pub fn readable_by_others(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o077 != 0)
}

/// Whether users other than the owner may read the file.
///
/// ```
/// // Without Unix mode bits there is nothing to check.
/// assert!(!lupl_auth::settings::profile::readable_by_others(std::path::Path::new("config.toml")));
/// ```
#[cfg(not(unix))]
pub fn readable_by_others(_: &Path) -> bool {
    false
}

impl ConfigFile {
    /// The profile to use, with its name: the one `name`d
    /// (`--profile`/`LUPL_PROFILE`), else the one named like the
    /// environment (`--env production` → `[profile.production]`), else
    /// `default`, else none.
    ///
    /// ```
    /// use lupl_auth::settings::profile::ConfigFile;
    ///
    /// let file: ConfigFile =
    ///     toml::from_str("default = \"stage\"\n[profile.stage]\n[profile.production]\n")?;
    /// let name = |asked, env| file.select(asked, env).map(|p| p.map(|(name, _)| name));
    /// assert_eq!(name(Some("production"), Some("stage"))?.as_deref(), Some("production"));
    /// assert_eq!(name(None, Some("PRODUCTION"))?.as_deref(), Some("production"));
    /// assert_eq!(name(None, None)?.as_deref(), Some("stage"), "the default");
    /// assert!(name(Some("sandbox"), None).is_err(), "no such profile");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn select(
        &self,
        name: Option<&str>,
        env: Option<&str>,
    ) -> Result<Option<(String, Profile)>, SettingsError> {
        if let Some(name) = name {
            return match self.profile.get(name) {
                Some(p) => Ok(Some((name.to_owned(), p.clone()))),
                None => Err(SettingsError::UnknownProfile {
                    name: name.to_owned(),
                    known: self.profile.keys().cloned().collect(),
                }),
            };
        }
        if let Some(env) = env.map(str::to_ascii_lowercase)
            && let Some(p) = self.profile.get(&env)
        {
            return Ok(Some((env, p.clone())));
        }
        match &self.default {
            Some(d) => self.select(Some(d), None),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> ConfigFile {
        toml::from_str(text).expect("toml")
    }

    const TEXT: &str = r#"
default = "stage"
[profile.stage]
client_id = "cid"
client_secret = "s3cret"
audience = "aud"
[profile.production]
env = "production"
base_url = "https://api.example"
token = "tok-prod"
"#;

    #[test]
    fn the_profile_is_named_or_follows_the_environment_or_the_default() {
        let f = file(TEXT);
        let pick = |name, env| f.select(name, env).expect("select").map(|(_, p)| p.env);
        assert_eq!(
            pick(None, Some("production")),
            Some(Some("production".into()))
        );
        assert_eq!(pick(None, None), Some(None), "the default: stage");
        assert_eq!(
            pick(Some("production"), Some("stage")),
            Some(Some("production".into()))
        );
        assert!(f.select(Some("nope"), None).is_err());
        assert_eq!(file("").select(None, None).expect("none"), None);
    }

    #[test]
    fn secrets_never_reach_debug_output() {
        let f = file(TEXT);
        let shown = format!("{f:?}");
        assert!(
            !shown.contains("s3cret") && !shown.contains("tok-prod"),
            "{shown}"
        );
        assert!(shown.contains("cid"));
    }

    #[test]
    fn unknown_keys_are_named_with_their_line() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "[profile.stage]\nclient_id = \"a\"\nclient_secert = \"b\"\n",
        )
        .expect("write");
        let err = load(&path, true).expect_err("typo").to_string();
        assert!(
            err.contains("config.toml:3") && err.contains("client_secert"),
            "{err}"
        );
        assert_eq!(
            load(&dir.path().join("missing.toml"), false)
                .expect("optional")
                .profile
                .len(),
            0
        );
        assert!(load(&dir.path().join("missing.toml"), true).is_err());
    }
}
