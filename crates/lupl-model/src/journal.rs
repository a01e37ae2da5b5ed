//! The sandbox's request journal (`GET /__admin/requests`): every request
//! to the API and to `/oauth/token` since start or the last reset, in
//! order, with who sent it (the identity's email, never the token), what
//! was answered and which fault applied. Bounded: the oldest entries go
//! first once it holds [`MAX_ENTRIES`] or [`MAX_BYTES`] of bodies.

use serde::Serialize;
use std::collections::VecDeque;
use std::sync::Mutex;

/// The most entries the journal keeps.
pub const MAX_ENTRIES: usize = 10_000;
/// The most bytes the journal keeps in all, bodies and URLs (64 MiB).
pub const MAX_BYTES: usize = 64 << 20;
/// The most bytes of one request's body, or URL, the journal keeps (64 KiB).
pub const MAX_BODY: usize = 64 << 10;

/// One request as the sandbox saw and answered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// Its place since start (1, 2, …); unchanged by evictions and clears.
    pub seq: u64,
    /// When it arrived, in milliseconds since the Unix epoch.
    pub at_ms: u64,
    /// The method.
    pub method: String,
    /// The path and query, as sent.
    pub url: String,
    /// The email of the user its token identifies, if any.
    pub identity: Option<String>,
    /// The status answered; `None` when the connection was closed or reset.
    pub status: Option<u16>,
    /// The fault applied (`"status 503"`, `"drop"`, …), if any.
    pub fault: Option<String>,
    /// The id of that fault.
    pub fault_id: Option<u64>,
    /// How long the answer took, in milliseconds.
    pub ms: u64,
    /// The body (UTF-8, invalid bytes replaced; `/oauth/token` bodies are
    /// never kept: they hold secrets).
    pub body: String,
    /// Whether `body` or `url` was cut at [`MAX_BODY`] bytes.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

/// What an entry holds, as the bound counts it.
fn size(entry: &Entry) -> usize {
    entry.body.len()
        + entry.url.len()
        + entry.method.len()
        + entry.identity.as_ref().map_or(0, String::len)
        + entry.fault.as_ref().map_or(0, String::len)
        + 64
}

#[derive(Debug, Default)]
struct Entries {
    seq: u64,
    bytes: usize,
    evicted: u64,
    list: VecDeque<Entry>,
}

/// The journal.
///
/// ```
/// let journal = lupl_model::Journal::default();
/// assert!(journal.entries().is_empty());
/// ```
#[derive(Debug, Default)]
pub struct Journal {
    entries: Mutex<Entries>,
}

impl Journal {
    /// Adds an entry (its `seq` is assigned here); evicts the oldest past
    /// the bounds.
    pub fn record(&self, mut entry: Entry) {
        if entry.body.len() > MAX_BODY {
            let mut cut = MAX_BODY;
            while !entry.body.is_char_boundary(cut) {
                cut -= 1;
            }
            entry.body.truncate(cut);
            entry.truncated = true;
        }
        for text in [&mut entry.url, &mut entry.method] {
            if text.len() > MAX_BODY {
                let mut cut = MAX_BODY;
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                text.truncate(cut);
                entry.truncated = true;
            }
        }
        let mut entries = self.lock();
        entries.seq += 1;
        entry.seq = entries.seq;
        entries.bytes += size(&entry);
        entries.list.push_back(entry);
        while entries.list.len() > MAX_ENTRIES || entries.bytes > MAX_BYTES {
            let Some(old) = entries.list.pop_front() else {
                break;
            };
            entries.bytes -= size(&old);
            entries.evicted += 1;
        }
    }

    /// Every entry kept, oldest first.
    pub fn entries(&self) -> Vec<Entry> {
        self.lock().list.iter().cloned().collect()
    }

    /// How many entries were evicted to keep within the bounds.
    pub fn evicted(&self) -> u64 {
        self.lock().evicted
    }

    /// Forgets every entry; returns how many there were.
    pub fn clear(&self) -> usize {
        let mut entries = self.lock();
        entries.bytes = 0;
        entries.evicted = 0;
        std::mem::take(&mut entries.list).len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}
