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

use crate::sources::SettingsError;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// The credential variables, taken from one source as a group.
pub const CREDENTIAL_VARIABLES: [&str; 7] = [
    "LUPL_TOKEN",
    "LUPL_CLIENT_ID",
    "LUPL_CLIENT_SECRET",
    "LUPL_AUTH_DOMAIN",
    "LUPL_TOKEN_URL",
    "LUPL_AUDIENCE",
    "LUPL_REFRESH_TOKEN",
];

/// The whole file.
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
pub fn default_path(var: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(p) = var("LUPL_CONFIG") {
        return Some(PathBuf::from(p));
    }
    let base = var("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| var("HOME").map(|h| Path::new(&h).join(".config")))?;
    Some(base.join("lupl").join("config.toml"))
}

/// Reads the file; a missing file is an empty one unless `required`.
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
#[cfg(unix)]
pub fn readable_by_others(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o077 != 0)
}

/// Whether users other than the owner may read the file.
#[cfg(not(unix))]
pub fn readable_by_others(_: &Path) -> bool {
    false
}

impl ConfigFile {
    /// The profile to use, with its name: the one `name`d
    /// (`--profile`/`LUPL_PROFILE`), else the one named like the
    /// environment (`--env production` → `[profile.production]`), else
    /// `default`, else none.
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
