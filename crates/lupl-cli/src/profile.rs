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

use crate::failure::Failure;
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
pub fn load(path: &Path, required: bool) -> Result<ConfigFile, Failure> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
            return Ok(ConfigFile::default());
        }
        Err(e) => {
            return Err(Failure::usage(format!(
                "cannot read {}: {e}",
                path.display()
            )));
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
        Failure::usage(format!(
            "{}:{line}: {}",
            path.display(),
            e.message().replace('\n', " ")
        ))
    })?;
    if file.profile.values().any(Profile::has_secret) && readable_by_others(path) {
        return Err(Failure::auth(format!(
            "{} holds secrets but others can read it; run `chmod 600 {}`",
            path.display(),
            path.display()
        )));
    }
    Ok(file)
}

#[cfg(unix)]
fn readable_by_others(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o077 != 0)
}

#[cfg(not(unix))]
fn readable_by_others(_: &Path) -> bool {
    false
}

impl ConfigFile {
    /// The profile to use: the one `name`d (`--profile`/`LUPL_PROFILE`),
    /// else the one named like the environment (`--env production` →
    /// `[profile.production]`), else `default`, else none.
    pub fn select(
        &self,
        name: Option<&str>,
        env: Option<&str>,
    ) -> Result<Option<Profile>, Failure> {
        if let Some(name) = name {
            return self.profile.get(name).cloned().map(Some).ok_or_else(|| {
                let known: Vec<&str> = self.profile.keys().map(String::as_str).collect();
                Failure::usage(format!(
                    "no profile {name:?} in the config file (it has: {})",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                ))
            });
        }
        if let Some(p) = env.and_then(|e| self.profile.get(&e.to_ascii_lowercase())) {
            return Ok(Some(p.clone()));
        }
        match &self.default {
            Some(d) => self.select(Some(d), None),
            None => Ok(None),
        }
    }
}

/// Looks a `LUPL_*` setting up: `flags` first, then the environment
/// (`var`), then the profile; credentials as a group (see the module doc).
pub fn lookup<'a>(
    flags: &'a dyn Fn(&str) -> Option<String>,
    var: &'a dyn Fn(&str) -> Option<String>,
    profile: Option<&'a Profile>,
) -> impl Fn(&str) -> Option<String> + 'a {
    let set = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let from_profile = move |name: &str| profile.and_then(|p| p.get(name)).map(str::to_owned);
    let any = |source: &dyn Fn(&str) -> Option<String>| {
        CREDENTIAL_VARIABLES
            .iter()
            .any(|n| set(source(n)).is_some())
    };
    let (flags_have, env_have) = (any(flags), any(var));
    move |name: &str| {
        if CREDENTIAL_VARIABLES.contains(&name) {
            match (flags_have, env_have) {
                (true, _) => set(flags(name)),
                (false, true) => set(var(name)),
                (false, false) => set(from_profile(name)),
            }
        } else {
            set(flags(name))
                .or_else(|| set(var(name)))
                .or_else(|| set(from_profile(name)))
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
        let pick = |name, env| f.select(name, env).expect("select").map(|p| p.env);
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
    fn flags_then_environment_then_profile_with_credentials_as_a_group() {
        let f = file(TEXT);
        let profile = f.select(Some("stage"), None).expect("ok");
        let flags = |n: &str| (n == "LUPL_BASE_URL").then(|| "http://127.0.0.1:1".to_owned());
        let empty = |_: &str| None;
        let get = lookup(&flags, &empty, profile.as_ref());
        assert_eq!(get("LUPL_BASE_URL").as_deref(), Some("http://127.0.0.1:1"));
        assert_eq!(get("LUPL_CLIENT_SECRET").as_deref(), Some("s3cret"));
        // A token in the environment: none of the profile's credentials.
        let env = |n: &str| (n == "LUPL_TOKEN").then(|| "tok-env".to_owned());
        let get = lookup(&flags, &env, profile.as_ref());
        assert_eq!(get("LUPL_TOKEN").as_deref(), Some("tok-env"));
        assert_eq!(get("LUPL_CLIENT_ID"), None);
        assert_eq!(get("LUPL_CLIENT_SECRET"), None);
        // A credential flag: neither the environment's nor the profile's.
        let flags = |n: &str| (n == "LUPL_CLIENT_ID").then(|| "cid-flag".to_owned());
        let get = lookup(&flags, &env, profile.as_ref());
        assert_eq!(get("LUPL_CLIENT_ID").as_deref(), Some("cid-flag"));
        assert_eq!(get("LUPL_TOKEN"), None);
        assert_eq!(get("LUPL_CLIENT_SECRET"), None);
        assert_eq!(get("LUPL_AUDIENCE"), None);
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
        let err = load(&path, true).expect_err("typo");
        assert!(
            err.message.contains("config.toml:3") && err.message.contains("client_secert"),
            "{}",
            err.message
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
