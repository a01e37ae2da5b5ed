//! [`ResponseCache`]: the vendor document's advice, "to the degree that
//! doing so is reasonable, caching should be used to prevent excessive
//! calls". Opt in with [`crate::ClientBuilder::response_cache`].

use crate::clock::Clock;
use lupl_api::reqwest::{self, StatusCode, header::HeaderMap};
use sha2::{Digest, Sha256};
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The largest body kept: larger answers are not cached.
const MAX_BODY: usize = 1024 * 1024;

/// Who asked, without the token: a digest of the `Authorization` value.
type Identity = [u8; 32];

#[derive(Clone)]
struct Entry {
    stored: Instant,
    headers: HeaderMap,
    body: bytes::Bytes,
}

/// GET answers of status 200, kept for a time the caller sets.
///
/// - per client (so per environment) and per identity: the key is the
///   request's URL and a digest of its `Authorization` value, so a new
///   token (or another caller's) never sees another's answers;
/// - a POST to a path drops that identity's answers for the path, before
///   it is sent and again when it ends, whatever the outcome (a write that
///   timed out may still have been stored); a GET answered while a write
///   was under way is not kept. So a client never reads back an older
///   value than it wrote;
/// - 4xx, 5xx and bodies over 1 MiB are never kept; at most `entries`
///   answers are, the least recently used going first.
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
    entries: Arc<parking_lot::Mutex<lru::LruCache<(Identity, String), Entry>>>,
    /// Bumped when a write starts and when it ends: a GET keeps its answer
    /// only if no write started or ended while it was under way.
    writes: Arc<AtomicU64>,
}

/// The write count a GET saw when it was sent; see [`ResponseCache::keep`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ticket(u64);

impl std::fmt::Debug for ResponseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseCache")
            .field("ttl", &self.ttl)
            .field("entries", &self.entries.lock().len())
            .finish()
    }
}

fn identity(request: &reqwest::Request) -> Identity {
    let auth = request
        .headers()
        .get(reqwest::header::AUTHORIZATION)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    Sha256::digest(auth).into()
}

impl ResponseCache {
    /// A cache keeping answers for `ttl`, at most `entries` of them (at
    /// least 1).
    ///
    /// ```
    /// let cache = lupl_auth::ResponseCache::new(std::time::Duration::from_secs(10), 100);
    /// assert!(format!("{cache:?}").contains("10s"));
    /// ```
    pub fn new(ttl: Duration, entries: usize) -> Self {
        Self {
            ttl,
            entries: Arc::new(parking_lot::Mutex::new(lru::LruCache::new(
                NonZeroUsize::new(entries).unwrap_or(NonZeroUsize::MIN),
            ))),
            writes: Arc::new(AtomicU64::new(0)),
        }
    }

    /// A kept answer to `request` (a GET), if one is fresh.
    pub(crate) fn get(
        &self,
        request: &reqwest::Request,
        clock: &Arc<dyn Clock>,
    ) -> Option<reqwest::Response> {
        let key = (identity(request), request.url().as_str().to_owned());
        let mut entries = self.entries.lock();
        let entry = entries.get(&key)?.clone();
        if clock.now().duration_since(entry.stored) >= self.ttl {
            entries.pop(&key);
            return None;
        }
        drop(entries);
        let mut response = http::Response::new(entry.body);
        *response.status_mut() = StatusCode::OK;
        *response.headers_mut() = entry.headers;
        Some(reqwest::Response::from(response))
    }

    /// Taken when a GET is sent, given back to [`ResponseCache::keep`].
    pub(crate) fn ticket(&self) -> Ticket {
        Ticket(self.writes.load(Ordering::Acquire))
    }

    /// Keeps a GET's 200 answer, unless a write started or ended since
    /// `ticket` was taken; returns the answer whole, to be handed on.
    pub(crate) async fn keep(
        &self,
        request: &reqwest::Request,
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
        if body.len() <= MAX_BODY {
            let key = (identity(request), request.url().as_str().to_owned());
            let mut entries = self.entries.lock();
            // Checked under the lock `forget_path` takes after bumping it.
            if self.writes.load(Ordering::Acquire) != ticket.0 {
                return Ok(rebuild(headers, body));
            }
            entries.put(
                key,
                Entry {
                    stored: clock.now(),
                    headers: headers.clone(),
                    body: body.clone(),
                },
            );
        }
        Ok(rebuild(headers, body))
    }

    /// Marks a write of `request` under way: what its identity keeps for
    /// its path is forgotten now and again when the guard drops (the write
    /// ended, failed, or was cancelled).
    pub(crate) fn writing(&self, request: reqwest::Request) -> Writing<'_> {
        self.forget_path(&request);
        Writing {
            cache: self,
            request,
        }
    }

    /// Drops what `request`'s identity keeps for `request`'s path (any
    /// query): it writes there.
    fn forget_path(&self, request: &reqwest::Request) {
        let who = identity(request);
        let path = request.url().path().to_ascii_lowercase();
        let mut entries = self.entries.lock();
        self.writes.fetch_add(1, Ordering::AcqRel);
        let stale: Vec<(Identity, String)> = entries
            .iter()
            .filter(|((id, url), _)| {
                *id == who
                    && reqwest::Url::parse(url).is_ok_and(|u| u.path().eq_ignore_ascii_case(&path))
            })
            .map(|(k, _)| k.clone())
            .collect();
        for key in stale {
            entries.pop(&key);
        }
    }
}

/// A write under way; see [`ResponseCache::writing`].
pub(crate) struct Writing<'a> {
    cache: &'a ResponseCache,
    request: reqwest::Request,
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        self.cache.forget_path(&self.request);
    }
}

fn rebuild(headers: HeaderMap, body: bytes::Bytes) -> reqwest::Response {
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = StatusCode::OK;
    *rebuilt.headers_mut() = headers;
    reqwest::Response::from(rebuilt)
}
