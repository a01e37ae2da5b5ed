//! The optional on-disk token cache for command-line use across processes:
//! Auth0 counts and throttles machine-to-machine token requests, so a script
//! that runs `lupl` a hundred times should not ask for a hundred tokens.
//!
//! One JSON file, entries keyed by token URL, audience and client id; mode
//! 0600; a corrupt file is ignored and replaced, never fatal.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A cached token.
///
/// ```
/// use lupl_auth::{tokens::CachedToken, SecretString, tokens::TokenCache};
/// use std::time::{Duration, UNIX_EPOCH};
///
/// let dir = std::env::temp_dir().join(format!("lupl-auth-doc-{}-cached", std::process::id()));
/// let cache = TokenCache::new(dir.join("tokens.json"));
/// let expires_at = UNIX_EPOCH + Duration::from_secs(4_000_000_000); // whole seconds
/// let entry = CachedToken {
///     access_token: SecretString::from("tok-acme"),
///     expires_at: Some(expires_at),
///     refresh_token: None,
/// };
/// cache.store("key", &entry)?;
/// let loaded = cache.load("key").expect("stored");
/// assert_eq!(loaded.expires_at, Some(expires_at));
/// assert!(loaded.refresh_token.is_none());
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct CachedToken {
    /// The access token.
    pub access_token: SecretString,
    /// When it expires.
    pub expires_at: Option<SystemTime>,
    /// The latest refresh token, if any.
    pub refresh_token: Option<SecretString>,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    access_token: String,
    #[serde(default)]
    expires_at: Option<u64>,
    #[serde(default)]
    refresh_token: Option<String>,
}

/// The cache file.
///
/// ```no_run
/// use lupl_auth::{ClientBuilder, tokens::TokenCache};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut builder = ClientBuilder::from_env()?;
/// if let Some(path) = TokenCache::default_path() {
///     builder = builder.token_cache(TokenCache::new(path));
/// }
/// let client = builder.build()?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct TokenCache {
    path: PathBuf,
}

impl TokenCache {
    /// A cache at `path` (created on first save).
    ///
    /// ```
    /// use lupl_auth::tokens::TokenCache;
    ///
    /// let dir = std::env::temp_dir().join(format!("lupl-auth-doc-{}-new", std::process::id()));
    /// let cache = TokenCache::new(dir.join("tokens.json"));
    /// assert!(!cache.path().exists(), "nothing written yet");
    /// ```
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// `$XDG_CACHE_HOME/lupl/tokens.json`, else `~/.cache/lupl/tokens.json`
    /// (an empty or relative `XDG_CACHE_HOME` is ignored, as the XDG base
    /// directory specification says).
    ///
    /// ```
    /// use lupl_auth::tokens::TokenCache;
    ///
    /// if let Some(path) = TokenCache::default_path() {
    ///     assert!(path.ends_with("lupl/tokens.json"));
    /// }
    /// ```
    pub fn default_path() -> Option<PathBuf> {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))?;
        Some(base.join("lupl").join("tokens.json"))
    }

    /// The cache key of a client.
    ///
    /// ```
    /// use lupl_auth::tokens::TokenCache;
    ///
    /// let key = TokenCache::key("https://auth0.example/oauth/token", "https://api", "my-client");
    /// assert_eq!(key, "https://auth0.example/oauth/token https://api my-client");
    /// ```
    pub fn key(token_url: &str, audience: &str, client_id: &str) -> String {
        format!("{token_url} {audience} {client_id}")
    }

    fn read_all(&self) -> BTreeMap<String, Entry> {
        std::fs::read(&self.path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// The entry for `key`, if the file holds a readable one.
    ///
    /// ```
    /// use lupl_auth::tokens::TokenCache;
    ///
    /// let dir = std::env::temp_dir().join(format!("lupl-auth-doc-{}-load", std::process::id()));
    /// let cache = TokenCache::new(dir.join("tokens.json"));
    /// assert!(cache.load("any key").is_none(), "no file yet");
    /// std::fs::create_dir_all(&dir)?;
    /// std::fs::write(cache.path(), "not json")?;
    /// assert!(cache.load("any key").is_none(), "a corrupt file is no error");
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn load(&self, key: &str) -> Option<CachedToken> {
        let entry = self.read_all().remove(key)?;
        Some(CachedToken {
            access_token: entry.access_token.into(),
            expires_at: entry
                .expires_at
                .map(|s| UNIX_EPOCH + Duration::from_secs(s)),
            refresh_token: entry.refresh_token.map(Into::into),
        })
    }

    /// Stores the entry for `key`, keeping the others (a corrupt file is
    /// replaced). Errors are returned for logging; callers go on without.
    ///
    /// ```
    /// use lupl_auth::{tokens::CachedToken, tokens::ExposeSecret, SecretString, tokens::TokenCache};
    ///
    /// let dir = std::env::temp_dir().join(format!("lupl-auth-doc-{}-store", std::process::id()));
    /// let cache = TokenCache::new(dir.join("tokens.json"));
    /// let key = TokenCache::key("https://auth0.example/oauth/token", "https://api", "my-client");
    /// let entry = CachedToken {
    ///     access_token: SecretString::from("tok-acme"),
    ///     expires_at: None,
    ///     refresh_token: Some(SecretString::from("s3cret-refresh")),
    /// };
    /// cache.store(&key, &entry)?;
    /// let loaded = cache.load(&key).expect("stored");
    /// assert_eq!(loaded.access_token.expose_secret(), "tok-acme");
    /// # #[cfg(unix)]
    /// # {
    /// use std::os::unix::fs::PermissionsExt;
    /// assert_eq!(std::fs::metadata(cache.path())?.permissions().mode() & 0o777, 0o600);
    /// # }
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn store(&self, key: &str, token: &CachedToken) -> std::io::Result<()> {
        let mut all = self.read_all();
        all.insert(
            key.to_owned(),
            Entry {
                access_token: token.access_token.expose_secret().to_owned(),
                expires_at: token
                    .expires_at
                    .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                    .map(|d| d.as_secs()),
                refresh_token: token
                    .refresh_token
                    .as_ref()
                    .map(|r| r.expose_secret().to_owned()),
            },
        );
        let text = serde_json::to_vec_pretty(&all).map_err(std::io::Error::other)?;
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let (tmp, mut file) = new_private_beside(&self.path)?;
        let written = file
            .write_all(&text)
            .and_then(|()| file.sync_all())
            .and_then(|()| std::fs::rename(&tmp, &self.path));
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written
    }

    /// The file's path.
    ///
    /// ```
    /// use lupl_auth::tokens::TokenCache;
    /// use std::path::Path;
    ///
    /// let cache = TokenCache::new("cache/tokens.json");
    /// assert_eq!(cache.path(), Path::new("cache/tokens.json"));
    /// ```
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// A new file beside `path` under a random name, created (never opened
/// through a link another user left there, never shared with another
/// process) with mode 0600.
fn new_private_beside(path: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    loop {
        let tmp = path.with_extension(format!("{:016x}.tmp", fastrand::u64(..)));
        match options.open(&tmp) {
            Ok(file) => return Ok((tmp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}
