//! [`ResponseCache`]: the vendor document's advice, "to the degree that
//! doing so is reasonable, caching should be used to prevent excessive
//! calls". Opt in with [`crate::ClientBuilder::response_cache`].

use crate::clock::Clock;
use lupl_api::reqwest::{self, StatusCode, header::HeaderMap};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The largest body kept: larger answers are not cached.
const MAX_BODY: usize = 1024 * 1024;

/// The most bytes of bodies kept in all.
const MAX_BYTES: usize = 32 * 1024 * 1024;

/// What an answer is kept under: who asked (a digest of the
/// `Authorization` value, never the token) and the whole URL; and the
/// path a write to it forgets.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    identity: [u8; 32],
    url: String,
    path: String,
}

impl Key {
    /// The key of `request` as it is now.
    pub(crate) fn of(request: &reqwest::Request) -> Self {
        let auth = request
            .headers()
            .get(reqwest::header::AUTHORIZATION)
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        Self {
            identity: Sha256::digest(auth).into(),
            url: request.url().as_str().to_owned(),
            path: Self::path_of(request),
        }
    }

    /// The path a write to `request` forgets: any query, any identity.
    pub(crate) fn path_of(request: &reqwest::Request) -> String {
        request.url().path().to_ascii_lowercase()
    }
}

#[derive(Clone)]
struct Entry {
    stored: Instant,
    headers: HeaderMap,
    body: bytes::Bytes,
}

struct Inner {
    entries: lru::LruCache<Key, Entry>,
    /// Bytes of the kept bodies.
    bytes: usize,
    /// Paths written without an answer, and until when nothing is kept
    /// for them.
    unsure: HashMap<String, Instant>,
}

impl Inner {
    fn remove(&mut self, key: &Key) {
        if let Some(e) = self.entries.pop(key) {
            self.bytes -= e.body.len();
        }
    }
}

/// GET answers of status 200, kept for a time the caller sets.
///
/// - per client (so per environment) and per identity: the key is the
///   request's URL and a digest of its `Authorization` value, so a new
///   token (or another caller's) never sees another's answers;
/// - a POST to a path drops every answer kept for the path (any identity:
///   a token may change while the write is under way), before it is sent
///   and again when it ends; a GET answered while a write was under way is
///   not kept. A write that got no answer (a transport error, a 5xx, a
///   cancelled call) may still be stored later, so nothing is kept for its
///   path for a TTL. So a client never reads back an older value than it
///   wrote;
/// - 4xx, 5xx and bodies over 1 MiB are never kept; at most `entries`
///   answers are, and at most 32 MiB of bodies, the least recently used
///   going first.
///
/// Clones share their entries, so one cache may serve several clients
/// (environments, identities) without mixing their answers.
///
/// Do not use it where another writer (another program, a colleague in
/// Lupl's web app) may change a resource within the TTL: this client would
/// read the value it cached, not theirs.
///
/// ```
/// use lupl_auth::{ClientBuilder, Credentials, ResponseCache, SecretString};
/// use std::time::Duration;
/// let client = ClientBuilder::new(
///     lupl_api::Environment::custom("http://127.0.0.1:8080")?,
///     Credentials::Static(SecretString::from("tok-acme")),
/// )
/// .response_cache(ResponseCache::new(Duration::from_secs(30), 256))
/// .build()?;
/// # drop(client);
/// # Ok::<(), lupl_api::Error>(())
/// ```
#[derive(Clone)]
pub struct ResponseCache {
    ttl: Duration,
    inner: Arc<parking_lot::Mutex<Inner>>,
    /// Bumped when a write starts and when it ends: a GET keeps its answer
    /// only if no write started or ended while it was under way.
    writes: Arc<AtomicU64>,
}

/// The write count a GET saw when it was sent; see [`ResponseCache::keep`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ticket(u64);

impl std::fmt::Debug for ResponseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let inner = self.inner.lock();
        f.debug_struct("ResponseCache")
            .field("ttl", &self.ttl)
            .field("entries", &inner.entries.len())
            .field("bytes", &inner.bytes)
            .finish()
    }
}

impl ResponseCache {
    /// A cache keeping answers for `ttl`, at most `entries` of them (at
    /// least 1; room is taken as entries come, not up front).
    ///
    /// ```
    /// let cache = lupl_auth::ResponseCache::new(std::time::Duration::from_secs(10), 100);
    /// assert!(format!("{cache:?}").contains("10s"));
    /// let huge = lupl_auth::ResponseCache::new(std::time::Duration::from_secs(10), usize::MAX);
    /// # drop(huge);
    /// ```
    pub fn new(ttl: Duration, entries: usize) -> Self {
        Self {
            ttl,
            inner: Arc::new(parking_lot::Mutex::new(Inner {
                entries: lru::LruCache::sparse(
                    NonZeroUsize::new(entries).unwrap_or(NonZeroUsize::MIN),
                ),
                bytes: 0,
                unsure: HashMap::new(),
            })),
            writes: Arc::new(AtomicU64::new(0)),
        }
    }

    /// A kept answer for `key` (a GET), if one is fresh.
    pub(crate) fn get(&self, key: &Key, clock: &Arc<dyn Clock>) -> Option<reqwest::Response> {
        let mut inner = self.inner.lock();
        let entry = inner.entries.get(key)?.clone();
        if clock.now().saturating_duration_since(entry.stored) >= self.ttl {
            inner.remove(key);
            return None;
        }
        drop(inner);
        Some(rebuild(entry.headers, entry.body))
    }

    /// Taken when a GET is sent, given back to [`ResponseCache::keep`].
    pub(crate) fn ticket(&self) -> Ticket {
        Ticket(self.writes.load(Ordering::Acquire))
    }

    /// Keeps a GET's 200 answer under `key`, unless a write started or
    /// ended since `ticket` was taken or its path is unsure; returns the
    /// answer whole, to be handed on.
    pub(crate) async fn keep(
        &self,
        key: Key,
        response: reqwest::Response,
        clock: &Arc<dyn Clock>,
        ticket: Ticket,
    ) -> reqwest::Result<reqwest::Response> {
        if response.status() != StatusCode::OK
            || response
                .content_length()
                .is_some_and(|n| n > MAX_BODY as u64)
        {
            return Ok(response);
        }
        let headers = response.headers().clone();
        let body = response.bytes().await?;
        if body.len() > MAX_BODY {
            return Ok(rebuild(headers, body));
        }
        let now = clock.now();
        let mut inner = self.inner.lock();
        // Checked under the lock `forget_path` takes after bumping it.
        let unsure = inner
            .unsure
            .get(&key.path)
            .is_some_and(|until| now < *until);
        if self.writes.load(Ordering::Acquire) != ticket.0 || unsure {
            return Ok(rebuild(headers, body));
        }
        inner.bytes += body.len();
        let entry = Entry {
            stored: now,
            headers: headers.clone(),
            body: body.clone(),
        };
        // `push` hands back the entry it replaced or evicted.
        if let Some((_, old)) = inner.entries.push(key, entry) {
            inner.bytes -= old.body.len();
        }
        while inner.bytes > MAX_BYTES {
            match inner.entries.pop_lru() {
                Some((_, old)) => inner.bytes -= old.body.len(),
                None => break,
            }
        }
        drop(inner);
        Ok(rebuild(headers, body))
    }

    /// Marks a write to `path` under way: what is kept for the path
    /// is forgotten now and again when the guard drops; if the guard drops
    /// without [`Writing::answered`] (an error, a 5xx, a cancelled call),
    /// nothing is kept for the path for a TTL.
    pub(crate) fn writing(&self, path: String, clock: Arc<dyn Clock>) -> Writing<'_> {
        self.forget_path(&path, None);
        Writing {
            cache: self,
            path,
            clock,
            answered: false,
        }
    }

    /// Drops every answer kept for `path` (any query, any identity); with
    /// `unsure` (now, until), keeps nothing for it until then.
    fn forget_path(&self, path: &str, unsure: Option<(Instant, Instant)>) {
        let mut inner = self.inner.lock();
        self.writes.fetch_add(1, Ordering::AcqRel);
        let stale: Vec<Key> = inner
            .entries
            .iter()
            .filter(|(k, _)| k.path == path)
            .map(|(k, _)| k.clone())
            .collect();
        for key in stale {
            inner.remove(&key);
        }
        if let Some((now, until)) = unsure {
            inner.unsure.retain(|_, u| *u > now);
            inner.unsure.insert(path.to_owned(), until);
        }
    }
}

/// A write under way; see [`ResponseCache::writing`].
pub(crate) struct Writing<'a> {
    cache: &'a ResponseCache,
    path: String,
    clock: Arc<dyn Clock>,
    answered: bool,
}

impl Writing<'_> {
    /// The server answered the write with `status`: below 500, it was
    /// applied or refused, and nothing is left unsure.
    pub(crate) fn answered(&mut self, status: StatusCode) {
        self.answered = !status.is_server_error();
    }
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        let unsure = (!self.answered).then(|| {
            let now = self.clock.now();
            (now, now.checked_add(self.cache.ttl).unwrap_or(now))
        });
        self.cache.forget_path(&self.path, unsure);
    }
}

fn rebuild(headers: HeaderMap, body: bytes::Bytes) -> reqwest::Response {
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = StatusCode::OK;
    *rebuilt.headers_mut() = headers;
    reqwest::Response::from(rebuilt)
}
