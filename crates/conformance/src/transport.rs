//! Sending: every request the harness makes leaves through [`Transport`],
//! which paces it by the target's limiter, waits out a 429 outside the
//! throttling phase (recorded as [`Phase::Wait`], bounded per request and
//! per run), logs when it left and when its answer came ([`Sent`], the
//! throttling phase's evidence), counts it against the budget, and reads
//! at most [`MAX_BODY`] of an answer. Cancelling stops every wait at once.
//!
//! The budget counts everything sent. Cases, replays, shrinking and their
//! 429 retries stop short of it, leaving a reserve for the restore; the
//! setup reads and the restore itself are never refused (a target is
//! always read before and put back after), and a budget too small for
//! them is refused before the run starts.

use crate::record::{Exchange, Line, Phase, Recorder};
use crate::target::Target;
use conformance_core::wire::{RawRequest, Received};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// The most a response body may hold: the contract's bodies are small, and
/// a target streaming without end must not exhaust the harness.
pub const MAX_BODY: usize = 4 * 1024 * 1024;
/// Waits for 429s outside the throttling phase, per request, at the most.
const MAX_WAITS: u32 = 10;
/// The most a run waits on 429s in all (outside the throttling phase):
/// a target that answers 429 for ever stops the run after this, instead
/// of costing `MAX_WAITS` × `Retry-After` per request.
pub const MAX_429_WAITING: Duration = Duration::from_secs(600);

/// A request the harness sent, for the throttling check's log.
#[derive(Debug, Clone, Copy)]
pub struct Sent {
    /// The identity whose token it carried.
    pub identity: Option<usize>,
    /// When it left.
    pub started: Instant,
    /// When its answer arrived.
    pub finished: Instant,
    /// The answer's status (0: none).
    pub status: u16,
}

/// Why a request got no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unsent {
    /// It was sent (or tried) and nothing usable came back: why.
    NoAnswer(String),
    /// The request budget is spent: it never left.
    OverBudget,
}

impl std::fmt::Display for Unsent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unsent::NoAnswer(why) => f.write_str(why),
            Unsent::OverBudget => f.write_str("not sent: the request budget is spent"),
        }
    }
}

/// The most a run sends, and the part of it only the restore may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Requests in all.
    pub max: u64,
    /// Kept for putting a live target back.
    pub restore: u64,
}

/// An answer as it came back, with when the request left and when the
/// answer arrived.
pub type Answered = (Received, (Instant, Instant));

/// The one way out to the target.
pub struct Transport {
    target: Target,
    requests: AtomicU64,
    log: Mutex<Vec<Sent>>,
    recorder: Option<Arc<Recorder>>,
    cancel: CancellationToken,
    notes: Mutex<Vec<String>>,
    started: Instant,
    /// Time spent waiting on 429s so far, and the bound
    /// ([`MAX_429_WAITING`] unless set).
    waited_on_429: Mutex<Duration>,
    max_429_waiting: Duration,
    budget: Mutex<Option<Budget>>,
}

impl Transport {
    /// Sends to `target`, recording waits to `recorder`.
    pub fn new(target: Target, recorder: Option<Arc<Recorder>>) -> Self {
        Self {
            target,
            requests: AtomicU64::new(0),
            log: Mutex::new(Vec::new()),
            recorder,
            cancel: CancellationToken::new(),
            notes: Mutex::new(Vec::new()),
            started: Instant::now(),
            waited_on_429: Mutex::new(Duration::ZERO),
            max_429_waiting: MAX_429_WAITING,
            budget: Mutex::new(None),
        }
    }

    /// The target.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Bounds the time waited on 429s in all.
    pub fn set_max_429_waiting(&mut self, bound: Duration) {
        self.max_429_waiting = bound;
    }

    /// Cancelled to stop after the request in flight: waits end at once.
    pub fn cancel_token(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// Stops when `token` is cancelled (another harness's, say) instead.
    pub fn set_cancel_token(&mut self, token: CancellationToken) {
        self.cancel = token;
    }

    /// Whether the run was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Sleeps `d`, or less if the run is cancelled; false when cancelled.
    pub async fn sleep(&self, d: Duration) -> bool {
        tokio::select! {
            () = tokio::time::sleep(d) => true,
            () = self.cancel.cancelled() => false,
        }
    }

    /// Requests sent so far, everything included.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Caps everything sent from now on at `budget` (none: no cap).
    pub fn set_budget(&self, budget: Option<Budget>) {
        *self.budget.lock().unwrap_or_else(|e| e.into_inner()) = budget;
    }

    /// Whether one more request of `phase` may leave.
    /// The restore is never refused (a live target must be put back, its
    /// 429 retries included); it has its reserve, so it normally fits.
    fn may_send(&self, phase: Phase) -> bool {
        if matches!(phase, Phase::Restore | Phase::Setup) {
            return true;
        }
        self.has_room(0)
    }

    /// The budget in force, if any.
    pub fn budget(&self) -> Option<Budget> {
        *self.budget.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether `reserve` more requests fit under the budget beside the
    /// restore's share (always, without a budget).
    pub fn has_room(&self, reserve: u64) -> bool {
        self.budget()
            .is_none_or(|b| self.requests() + b.restore + reserve < b.max)
    }

    /// Every request sent so far, for the throttling check.
    pub fn log(&self) -> Vec<Sent> {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// What sending noticed that is not a failure (a quota lower than
    /// paced for), each once.
    pub fn notes(&self) -> Vec<String> {
        self.notes.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Seconds since the transport was made (the run's clock).
    pub fn clock(&self, at: Instant) -> f64 {
        at.duration_since(self.started).as_secs_f64()
    }

    /// Writes `exchange` to the recording, if there is one.
    pub fn record(&self, exchange: Exchange) {
        if let Some(r) = &self.recorder {
            // A recording that cannot be written must not stop the run;
            // main reports the file's problem when it flushes.
            let _ = r.write(&Line::Exchange(Box::new(exchange)));
        }
    }

    /// The recording, if there is one.
    pub fn recorder(&self) -> Option<&Arc<Recorder>> {
        self.recorder.as_ref()
    }

    fn note(&self, note: String) {
        let mut notes = self.notes.lock().unwrap_or_else(|e| e.into_inner());
        if !notes.contains(&note) {
            notes.push(note);
        }
    }

    fn identity_of(&self, request: &RawRequest) -> Option<usize> {
        let auth = request.authorization.as_deref()?;
        self.target
            .tenants
            .identities
            .iter()
            .position(|i| auth == format!("Bearer {}", i.token))
    }

    /// Sends a request (paced by the target's limiter, except in the
    /// throttling phase) and logs it. Outside the throttling phase a 429 is
    /// waited out and the request sent again; those exchanges are recorded
    /// as [`Phase::Wait`].
    pub async fn send(
        &self,
        request: &RawRequest,
        phase: Phase,
        case: u64,
        label: &str,
    ) -> Result<Answered, Unsent> {
        let mut waits = 0;
        loop {
            if !self.may_send(phase) {
                return Err(Unsent::OverBudget);
            }
            if phase != Phase::Throttling {
                self.target.limiter.acquire().await;
            }
            let started = Instant::now();
            let result = self.send_raw(request).await;
            let finished = Instant::now();
            self.requests.fetch_add(1, Ordering::Relaxed);
            self.log
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(Sent {
                    identity: self.identity_of(request),
                    started,
                    finished,
                    status: result.as_ref().map_or(0, |r| r.status),
                });
            match result {
                Ok(r) if r.status == 429 && phase != Phase::Throttling => {
                    waits += 1;
                    self.note_early_429(request, started);
                    let wait = r
                        .header("retry-after")
                        .and_then(lupl_api::RetryAfter::parse)
                        .map(|ra| ra.wait_from(std::time::SystemTime::now()))
                        .unwrap_or(Duration::from_secs(1));
                    // Counted only when it is waited: a wait past the bound
                    // is refused, and the total says what was waited.
                    let over = {
                        let mut total =
                            self.waited_on_429.lock().unwrap_or_else(|e| e.into_inner());
                        if *total + wait <= self.max_429_waiting {
                            *total += wait;
                            None
                        } else {
                            Some(*total)
                        }
                    };
                    self.record(Exchange::unjudged(
                        Phase::Wait,
                        case,
                        format!("{label} (throttled: waiting {wait:?})"),
                        request.clone(),
                        r,
                        (self.clock(started), finished.duration_since(started)),
                    ));
                    if waits > MAX_WAITS {
                        return Err(Unsent::NoAnswer(format!(
                            "the target answered 429 {MAX_WAITS} times in a row; its quota may be lower than --rate-limit"
                        )));
                    }
                    if let Some(waited) = over {
                        return Err(Unsent::NoAnswer(format!(
                            "the target kept answering 429: the run has waited {} s on Retry-After in all, and waits at most {} s; its quota may be lower than --rate-limit",
                            waited.as_secs(),
                            self.max_429_waiting.as_secs()
                        )));
                    }
                    // A first interrupt still restores: the restore's waits
                    // are not cut (a second interrupt quits the process).
                    if phase == Phase::Restore {
                        tokio::time::sleep(wait).await;
                    } else if !self.sleep(wait).await {
                        return Err(Unsent::NoAnswer(
                            "interrupted while waiting for Retry-After".into(),
                        ));
                    }
                }
                Ok(r) => return Ok((r, (started, finished))),
                Err(e) => return Err(Unsent::NoAnswer(e)),
            }
        }
    }

    /// A 429 outside the throttling phase is waited out; but when the log
    /// shows the identity sent fewer than the quota in the window, the
    /// target's quota is lower than the one the harness paces for: say so.
    fn note_early_429(&self, request: &RawRequest, at: Instant) {
        let Some(identity) = self.identity_of(request) else {
            return;
        };
        let limit = self.target.limiter.limit();
        let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        let counted = log
            .iter()
            .filter(|s| s.identity == Some(identity) && !matches!(s.status, 0 | 401 | 429))
            .filter(|s| {
                at.checked_sub(limit.per)
                    .is_none_or(|edge| s.finished > edge)
            })
            .count();
        drop(log);
        if counted < limit.requests as usize {
            self.note(format!(
                "the target answered 429 though identity {identity} had sent only {counted} counted request(s) in the last {} s (the harness paces for {}/{}): its quota may be lower than documented; waited for Retry-After",
                limit.per.as_secs(),
                limit.requests,
                limit.per.as_secs()
            ));
        }
    }

    async fn send_raw(&self, request: &RawRequest) -> Result<Received, String> {
        let url = format!("{}{}", self.target.base_url, request.path_and_query);
        let method = lupl_api::reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|e| e.to_string())?;
        let mut builder = self.target.http.request(method, url);
        if let Some(a) = &request.authorization {
            let mut value =
                lupl_api::reqwest::header::HeaderValue::from_str(a).map_err(|e| e.to_string())?;
            value.set_sensitive(true);
            builder = builder.header("Authorization", value);
        }
        if let Some(ct) = &request.content_type {
            builder = builder.header("Content-Type", ct);
        }
        for (name, value) in &request.headers {
            // A token in another carrier is still a secret.
            let mut value = lupl_api::reqwest::header::HeaderValue::from_str(value)
                .map_err(|e| e.to_string())?;
            value.set_sensitive(true);
            builder = builder.header(name.as_str(), value);
        }
        if request.method != "GET" {
            builder = builder.body(request.body.clone());
        }
        let response = builder.send().await.map_err(|e| describe_transport(&e))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut response = response;
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| describe_transport(&e))? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(format!(
                    "answered {status} with a body of more than {} MiB; gave up reading it",
                    MAX_BODY / (1024 * 1024)
                ));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Received {
            status,
            headers,
            body,
        })
    }
}

/// A transport error in words a user can act on: the cause chain, without
/// the URL (which holds the query).
fn describe_transport(e: &lupl_api::reqwest::Error) -> String {
    use std::error::Error as _;
    let mut out = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "could not connect".to_owned()
    } else {
        "the connection failed".to_owned()
    };
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(&format!(": {s}"));
        source = s.source();
    }
    out
}
