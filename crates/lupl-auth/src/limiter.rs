//! [`RateLimiter`]: the client-side side of the documented policy (1000
//! calls per minute, per token, "subject to change"), shared by every clone
//! of a client, waiting rather than failing; the shared pause after a 429;
//! and a lower quota learned from the server's 429s.

use crate::clock::Clock;
use governor::clock::{Clock as GovernorClock, Reference};
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter as Gcra};
use std::collections::VecDeque;
use std::fmt;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A quota: `requests` in any `per` (a sliding window on the server).
///
/// ```
/// use lupl_auth::RateLimit;
/// use std::time::Duration;
///
/// let sandbox = RateLimit { requests: 100, per: Duration::from_secs(1) };
/// assert_eq!(sandbox, RateLimit::new(100, 1));
/// assert_eq!(RateLimit::default(), RateLimit::new(1000, 60), "Lupl's documented policy");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed in any window.
    pub requests: u32,
    /// The window.
    pub per: Duration,
}

impl Default for RateLimit {
    /// The documented policy: 1000 calls per minute.
    fn default() -> Self {
        Self {
            requests: 1000,
            per: Duration::from_secs(60),
        }
    }
}

impl RateLimit {
    /// `requests` per `seconds`.
    ///
    /// ```
    /// use lupl_auth::RateLimit;
    /// use std::time::Duration;
    ///
    /// const SANDBOX: RateLimit = RateLimit::new(100, 1);
    /// assert_eq!(SANDBOX.requests, 100);
    /// assert_eq!(SANDBOX.per, Duration::from_secs(1));
    /// ```
    pub const fn new(requests: u32, seconds: u64) -> Self {
        Self {
            requests,
            per: Duration::from_secs(seconds),
        }
    }

    /// The longest window [`RateLimit::parse`] takes: a day.
    ///
    /// ```
    /// use lupl_auth::RateLimit;
    ///
    /// let max = RateLimit::MAX_SECONDS;
    /// assert_eq!(RateLimit::parse(&format!("1/{max}")), Ok(RateLimit::new(1, max)));
    /// assert!(RateLimit::parse(&format!("1/{}", max + 1)).is_err());
    /// ```
    pub const MAX_SECONDS: u64 = 86_400;

    /// Parses `CALLS/SECONDS`, e.g. `1000/60`: CALLS from 1 to 4294967295,
    /// SECONDS from 1 to 86400.
    ///
    /// ```
    /// use lupl_auth::RateLimit;
    /// assert_eq!(RateLimit::parse("1000/60"), Ok(RateLimit::default()));
    /// assert!(RateLimit::parse("1/18446744074").is_err());
    /// assert!(RateLimit::parse("4294967296/1").unwrap_err().contains("4294967295"));
    /// ```
    pub fn parse(text: &str) -> Result<Self, String> {
        let (calls, seconds) = text
            .split_once('/')
            .ok_or_else(|| "expected CALLS/SECONDS, e.g. 1000/60".to_owned())?;
        let calls = calls
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|c| (1..=u64::from(u32::MAX)).contains(c))
            .ok_or_else(|| format!("CALLS must be a whole number from 1 to {}", u32::MAX))?;
        let seconds = seconds
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|s| (1..=Self::MAX_SECONDS).contains(s))
            .ok_or_else(|| {
                format!(
                    "SECONDS must be a whole number from 1 to {} (a day)",
                    Self::MAX_SECONDS
                )
            })?;
        Ok(Self::new(calls as u32, seconds))
    }

    /// The burst a client may send at once: 1 % of the quota, at least 2.
    ///
    /// With a burst of 1, a timer that wakes a millisecond late pushes every
    /// later slot back by that millisecond (the GCRA counts from the late
    /// send); one cell of slack absorbs it. The send log, not the burst,
    /// keeps every window within the quota.
    ///
    /// ```
    /// use lupl_auth::RateLimit;
    ///
    /// assert_eq!(RateLimit::default().burst(), 10); // 1 % of 1000
    /// assert_eq!(RateLimit::new(100, 1).burst(), 2); // at least 2
    /// assert_eq!(RateLimit::new(1, 1).burst(), 1); // never above the quota
    /// ```
    pub fn burst(&self) -> u32 {
        (self.requests / 100).max(2).min(self.requests.max(1))
    }

    /// Kept between a request and the one `requests` later, beyond the
    /// window, for jitter between when the client sends and when the server
    /// counts: 1 % of the window, at least 20 ms.
    ///
    /// ```
    /// use lupl_auth::RateLimit;
    /// use std::time::Duration;
    ///
    /// assert_eq!(RateLimit::default().margin(), Duration::from_millis(600)); // 1 % of 60 s
    /// assert_eq!(RateLimit::new(100, 1).margin(), Duration::from_millis(20)); // at least 20 ms
    /// ```
    pub fn margin(&self) -> Duration {
        (self.per / 100).max(Duration::from_millis(20))
    }

    /// Requests per second.
    ///
    /// ```
    /// assert_eq!(lupl_auth::RateLimit::new(20, 5).per_second(), 4.0);
    /// ```
    pub fn per_second(&self) -> f64 {
        f64::from(self.requests) / self.per.as_secs_f64().max(1e-9)
    }
}

impl fmt::Display for RateLimit {
    /// `N/SECONDS`, as `--rate-limit` takes it (a window that is not whole
    /// seconds with one decimal).
    ///
    /// ```
    /// use lupl_auth::RateLimit;
    /// use std::time::Duration;
    /// assert_eq!(RateLimit::new(20, 5).to_string(), "20/5");
    /// let learned = RateLimit { requests: 20, per: Duration::from_millis(5600) };
    /// assert_eq!(learned.to_string(), "20/5.6");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.per.subsec_nanos() == 0 {
            write!(f, "{}/{}", self.requests, self.per.as_secs())
        } else {
            write!(f, "{}/{:.1}", self.requests, self.per.as_secs_f64())
        }
    }
}

#[derive(Clone)]
struct ClockAdapter(Arc<dyn Clock>);

impl GovernorClock for ClockAdapter {
    type Instant = Instant;
    fn now(&self) -> Instant {
        self.0.now()
    }
}

/// Paces requests to a [`RateLimit`] and pauses everyone after a 429.
///
/// Two mechanisms, because a sliding-window server is the judge: governor's
/// GCRA spreads requests evenly at the quota's rate with a small burst, and a
/// log of the last `requests` send times guarantees that no window of
/// `per + margin` ever holds more than `requests` of them (a GCRA alone lets
/// `burst + rate × window` through, over the quota; see FINDINGS.md).
///
/// ```
/// use lupl_auth::{ManualClock, RateLimit, RateLimiter};
/// use std::{sync::Arc, time::Duration};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let clock = Arc::new(ManualClock::auto()); // sleeps return at once
/// let limiter = RateLimiter::new(RateLimit::new(2, 1), clock.clone());
/// assert_eq!(limiter.acquire().await, Duration::ZERO);
/// assert_eq!(limiter.acquire().await, Duration::ZERO);
/// // The third waits out the window (1 s) and its margin (20 ms).
/// assert_eq!(limiter.acquire().await, Duration::from_millis(1020));
/// # }
/// ```
pub struct RateLimiter {
    /// The quota the client was given: never exceeded, also after learning.
    configured: RateLimit,
    pacing: parking_lot::Mutex<Pacing>,
    /// Nanoseconds after `epoch` until which every request waits (0: none).
    paused_until: AtomicU64,
    epoch: Instant,
    clock: Arc<dyn Clock>,
    /// Told when the limiter learns a lower quota.
    on_learned: Option<Box<dyn Fn(RateLimit) + Send + Sync>>,
    /// Set by [`RateLimiter::stop_waiting`]: requests still waiting for a
    /// slot give up instead of going.
    stopped: std::sync::atomic::AtomicBool,
    wake: tokio::sync::Notify,
}

/// A request that gave up its wait for the limiter because the caller
/// stopped ([`RateLimiter::stop_waiting`]): it was never sent.
///
/// ```
/// let e = lupl_auth::Stopped;
/// assert!(e.to_string().contains("not sent"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not sent: stopped while waiting for the rate limit")]
pub struct Stopped;

type Cells = Gcra<NotKeyed, InMemoryState, ClockAdapter, NoOpMiddleware<Instant>>;

/// Clean windows in use before the first probe.
const FIRST_BACKOFF: u32 = 1;
/// The most clean windows between two probes: a loosened quota is found
/// within this many windows, at the cost of a 429 per failed probe.
const MAX_BACKOFF: u32 = 4;

/// The quota in force (configured, or learned lower), its GCRA, the log
/// of recent sends, and what learning knows.
struct Pacing {
    limit: RateLimit,
    gcra: Cells,
    sent: VecDeque<Instant>,
    /// The sends among them the server refused (it did not count them),
    /// in order.
    refused: VecDeque<Instant>,
    /// A lesson not settled yet: the 429s of one burst of requests.
    lesson: Option<Lesson>,
    /// Since when no 429 came (the last lesson's settling, or a probe's
    /// start).
    clean_since: Instant,
    /// A probe under way: the limit it started from (proven to work).
    probe: Option<RateLimit>,
    /// Clean windows to wait before the next probe: [`FIRST_BACKOFF`],
    /// doubled by each failed probe up to [`MAX_BACKOFF`] (a quota that did
    /// not change is not asked about often), back when one succeeds.
    backoff: u32,
    /// Whether a lesson may round its window down to whole seconds (the
    /// server's window is taken to be whole seconds until a pace learned
    /// so is refused).
    whole_seconds: bool,
    /// The last limit told to [`RateLimiter::on_learned`].
    told: Option<RateLimit>,
}

/// What one burst of 429s teaches. Concurrent requests reach the server
/// in another order than they left, so the count of what it accepted is
/// only known once their answers are in: the lesson is settled when the
/// next request goes (after the pause), from every send before it minus
/// the refused ones.
struct Lesson {
    /// When the first 429 was learned from: later 429s to requests sent
    /// before it belong to this burst.
    learned_at: Instant,
    /// The earliest refused send of the burst, and its `Retry-After`.
    first_refused: Instant,
    retry_after: Duration,
    /// 429s of the burst so far.
    refused: usize,
    /// The limit in force when the burst began.
    before: RateLimit,
    /// Whether the burst answered a probe.
    probing: bool,
}

fn cells(limit: RateLimit, clock: &Arc<dyn Clock>) -> Cells {
    let burst = NonZeroU32::new(limit.burst()).unwrap_or(NonZeroU32::MIN);
    // A period below a nanosecond (over 10^9 requests per second) is no
    // limit for the GCRA; the send log still counts every send.
    let quota = Quota::with_period(limit.per / limit.requests.max(1))
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MAX))
        .allow_burst(burst);
    Gcra::direct_with_clock(quota, ClockAdapter(clock.clone()))
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter")
            .field("configured", &self.configured)
            .field("limit", &self.limit())
            .finish_non_exhaustive()
    }
}

impl RateLimiter {
    /// A limiter for `limit` on `clock`.
    ///
    /// Share it (in an `Arc`) between everything that spends the same quota.
    ///
    /// ```
    /// use lupl_auth::{RateLimit, RateLimiter, SystemClock};
    /// use std::sync::Arc;
    ///
    /// let limiter = Arc::new(RateLimiter::new(RateLimit::default(), Arc::new(SystemClock)));
    /// let for_another_task = limiter.clone();
    /// assert_eq!(for_another_task.limit(), RateLimit::new(1000, 60));
    /// ```
    pub fn new(limit: RateLimit, clock: Arc<dyn Clock>) -> Self {
        // A limit of 0 requests would never let one through: read it as 1.
        let limit = RateLimit {
            requests: limit.requests.max(1),
            ..limit
        };
        Self {
            configured: limit,
            pacing: parking_lot::Mutex::new(Pacing {
                limit,
                gcra: cells(limit, &clock),
                sent: VecDeque::new(),
                refused: VecDeque::new(),
                lesson: None,
                clean_since: clock.now(),
                probe: None,
                backoff: FIRST_BACKOFF,
                whole_seconds: true,
                told: None,
            }),
            paused_until: AtomicU64::new(0),
            epoch: clock.now(),
            clock,
            on_learned: None,
            stopped: std::sync::atomic::AtomicBool::new(false),
            wake: tokio::sync::Notify::new(),
        }
    }

    /// Requests waiting for a slot, and any that come later, give up
    /// ([`RateLimiter::acquire_unless_stopped`] answers `None`): for a
    /// run that is stopping (Ctrl-C), whose unsent requests must not wait
    /// out a slow quota first. Requests already sent are not affected.
    ///
    /// ```
    /// use lupl_auth::{RateLimit, RateLimiter, SystemClock};
    /// use std::sync::Arc;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let limiter = RateLimiter::new(RateLimit::new(1, 3600), Arc::new(SystemClock));
    /// assert!(limiter.acquire_unless_stopped().await.is_some());
    /// limiter.stop_waiting();
    /// assert_eq!(limiter.acquire_unless_stopped().await, None, "no hour-long wait");
    /// # }
    /// ```
    pub fn stop_waiting(&self) {
        self.stopped.store(true, Ordering::Release);
        self.wake.notify_waiters();
    }

    /// [`RateLimiter::acquire`], or `None` at once when
    /// [`RateLimiter::stop_waiting`] was called before or during the wait.
    ///
    /// ```
    /// use lupl_auth::{ManualClock, RateLimit, RateLimiter};
    /// use std::{sync::Arc, time::Duration};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let limiter = RateLimiter::new(RateLimit::new(10, 1), Arc::new(ManualClock::auto()));
    /// assert_eq!(limiter.acquire_unless_stopped().await, Some(Duration::ZERO));
    /// # }
    /// ```
    pub async fn acquire_unless_stopped(&self) -> Option<Duration> {
        let stopped = || self.stopped.load(Ordering::Acquire);
        if stopped() {
            return None;
        }
        let woken = self.wake.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        if stopped() {
            return None;
        }
        tokio::select! {
            waited = self.acquire() => Some(waited),
            () = woken => None,
        }
    }

    /// Calls `f` with a lower quota the server allows once it has been
    /// observed to work: learned from the server's 429s, then held for a
    /// whole window in use without a 429. So what `f` is told (and what a
    /// tool advises) is never above a pace that worked. Told again only for
    /// a lower one.
    ///
    /// ```
    /// use lupl_auth::{RateLimit, RateLimiter, SystemClock};
    /// use std::sync::Arc;
    /// let limiter = RateLimiter::new(RateLimit::default(), Arc::new(SystemClock))
    ///     .on_learned(|limit| eprintln!("now pacing at {limit}"));
    /// # drop(limiter);
    /// ```
    pub fn on_learned(mut self, f: impl Fn(RateLimit) + Send + Sync + 'static) -> Self {
        self.on_learned = Some(Box::new(f));
        self
    }

    /// The quota this limiter keeps to now: the configured one, or a lower
    /// one learned from the server.
    ///
    /// ```
    /// use lupl_auth::{RateLimit, RateLimiter, SystemClock};
    /// use std::sync::Arc;
    ///
    /// let limiter = RateLimiter::new(RateLimit::new(100, 1), Arc::new(SystemClock));
    /// assert_eq!(limiter.limit(), RateLimit::new(100, 1));
    /// ```
    pub fn limit(&self) -> RateLimit {
        self.pacing.lock().limit
    }

    /// The quota the limiter was given.
    ///
    /// ```
    /// use lupl_auth::{RateLimit, RateLimiter, SystemClock};
    /// use std::sync::Arc;
    /// let limiter = RateLimiter::new(RateLimit::new(100, 1), Arc::new(SystemClock));
    /// assert_eq!(limiter.configured(), RateLimit::new(100, 1));
    /// ```
    pub fn configured(&self) -> RateLimit {
        self.configured
    }

    /// Learns from a 429 whose `Retry-After` was `retry_after`: when what
    /// this client sent shows the server's quota is lower than the one in
    /// force, paces to it from now on and returns it. Never above the
    /// configured quota.
    ///
    /// `sent` is when the refused request went (just after its
    /// [`RateLimiter::acquire`]). The server counted this client's sends
    /// in the window but the refused ones; its window ends when the oldest
    /// of them leaves it, `retry_after` after the first refused send. So it
    /// allows about `counted` requests per `first refused - oldest +
    /// retry_after`.
    ///
    /// Concurrent requests reach the server in another order than they
    /// left, so the first answer is an estimate by send order; the other
    /// 429s of the burst (to requests sent before it) are counted, and the
    /// lesson is settled when the first request after the pause goes, from
    /// every send before it minus the refused ones. Then it is told to
    /// [`RateLimiter::on_learned`], once.
    ///
    /// `Retry-After` is whole seconds, rounded up, so that sum overshoots
    /// the window by up to a second (20 % of a 5 s window). Quotas are
    /// whole seconds too, and exactly one whole number lies within the
    /// second below the sum: a first lesson takes it. If the server still
    /// refuses at the learned pace (its window was not whole seconds), the
    /// next lesson counts at most the learned quota and takes the unrounded
    /// sum, which is never too fast.
    ///
    /// ```
    /// use lupl_auth::{Clock, ManualClock, RateLimit, RateLimiter};
    /// use std::{sync::Arc, time::Duration};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let clock = Arc::new(ManualClock::auto());
    /// let limiter = RateLimiter::new(RateLimit::new(1000, 60), clock.clone());
    /// for _ in 0..21 {
    ///     limiter.acquire().await; // 20 answered, the 21st refused
    /// }
    /// // 21 sends took 0.66 s (a burst of 10, then one per 60 ms);
    /// // 0.66 s + `Retry-After: 5` holds one whole number of seconds: 5.
    /// let refused = clock.now();
    /// limiter.acquire().await; // sent while the 21st was under way: not counted
    /// let learned = limiter.learn(Duration::from_secs(5), refused).expect("a lower quota");
    /// assert_eq!(learned, RateLimit::new(20, 5));
    /// assert_eq!(limiter.limit(), learned);
    /// // Refused again at that pace: the unrounded window, slower.
    /// for _ in 0..21 {
    ///     limiter.acquire().await;
    /// }
    /// let again = limiter.learn(Duration::from_secs(1), clock.now()).expect("slower");
    /// assert!(again.per_second() < 4.0, "{again}");
    /// # }
    /// ```
    pub fn learn(&self, retry_after: Duration, sent: Instant) -> Option<RateLimit> {
        let now = self.clock.now();
        let mut pacing = self.pacing.lock();
        // The refused send: the last logged at or before `sent` not already
        // known refused (`sent` is read just after the send was logged).
        let upto = pacing.sent.partition_point(|t| *t <= sent);
        let refused = (0..upto)
            .rev()
            .map(|i| pacing.sent[i])
            .find(|t| !pacing.refused.contains(t));
        if let Some(t) = refused {
            let at = pacing.refused.partition_point(|r| *r <= t);
            pacing.refused.insert(at, t);
        }
        if let Some(lesson) = pacing.lesson.as_mut() {
            // Another 429 of the same burst: settled with the rest. (One to
            // a request sent after the first was learned from raced the
            // pause; the lesson's settling covers it.)
            if sent < lesson.learned_at {
                lesson.refused += 1;
                if sent < lesson.first_refused {
                    lesson.first_refused = sent;
                    lesson.retry_after = retry_after;
                }
            }
            return None;
        }
        let lesson = Lesson {
            learned_at: now,
            first_refused: sent,
            retry_after,
            refused: 1,
            before: pacing.limit,
            probing: pacing.probe.is_some(),
        };
        // For now, by send order (the refused send is the last up to
        // `sent`); settled later by answers.
        let sends = pacing.sent.partition_point(|t| *t <= sent);
        let provisional = self.estimate(&pacing, &lesson, sends);
        pacing.lesson = Some(lesson);
        let learned = provisional.filter(|l| l.per_second() < pacing.limit.per_second() * 0.999)?;
        pacing.limit = learned;
        pacing.gcra = cells(learned, &self.clock);
        Some(learned)
    }

    /// The quota `lesson` shows when the first `sends` of the log (in send
    /// order) include its refused ones.
    ///
    /// When this client had been sending for a whole window of the limit in
    /// force before the refusal (and `Retry-After` fits that window), the
    /// quota changed but not its window (the vendor's "subject to
    /// change"): the server counted the sends in the window before the
    /// refusal, and allows that many per that window. Sharing the
    /// token with another client looks the same, and gives this client's
    /// share. Otherwise (a first lesson, against a server whose window is
    /// not the configured one) the window is unknown too: the accepted
    /// sends per the span from the oldest of them to when the server said
    /// the window frees.
    fn estimate(&self, pacing: &Pacing, lesson: &Lesson, sends: usize) -> Option<RateLimit> {
        let horizon = self.configured.per + self.configured.margin();
        let within = |t: &Instant| lesson.first_refused.saturating_duration_since(*t) < horizon;
        let first = pacing.sent.iter().take(sends).copied().find(within)?;
        // The sends the server counted: those it did not refuse.
        let recent: Vec<Instant> = pacing
            .sent
            .iter()
            .take(sends)
            .copied()
            .filter(|t| within(t) && !pacing.refused.contains(t))
            .collect();
        let accepted = recent.len();
        if accepted == 0 {
            return None;
        }
        // The server's window at the refusal covers the `window` before it:
        // what it counted there is what it allows.
        let window = lesson.before.per;
        if let Some(edge) = lesson.first_refused.checked_sub(window)
            && first <= edge
            && lesson.retry_after <= window + Duration::from_secs(1)
        {
            let counted = recent.iter().filter(|t| **t > edge).count();
            if counted == 0 {
                return None;
            }
            return Some(RateLimit {
                requests: u32::try_from(counted).unwrap_or(u32::MAX),
                per: window,
            });
        }
        // After an earlier lesson, the last `requests` sends at its pace
        // were too many for their span.
        let counted = accepted.min(lesson.before.requests as usize);
        let oldest = recent[accepted - counted];
        let _ = lesson.refused;
        let mut window = lesson
            .first_refused
            .saturating_duration_since(oldest)
            .saturating_add(lesson.retry_after);
        // `Retry-After` is rounded up: a whole-second window is the whole
        // number of seconds within the second below the sum.
        if pacing.whole_seconds && lesson.retry_after.subsec_nanos() == 0 {
            window = Duration::from_secs(window.as_secs());
        }
        Some(RateLimit {
            requests: u32::try_from(counted).unwrap_or(u32::MAX),
            per: window.max(Duration::from_secs(1)).min(self.configured.per),
        })
    }

    /// Settles a lesson once its pause is over (its answers are in): the
    /// limit becomes what its answers show. A lesson that answered a probe
    /// falls back to no less than the probe's start (which had worked) and
    /// makes the next probe wait twice as long; one refused at a pace learned
    /// by rounding to whole seconds stops that rounding. Runs under the
    /// lock `admit` holds.
    fn settle(&self, pacing: &mut Pacing, now: Instant) {
        let Some(lesson) = pacing.lesson.as_ref().filter(|l| {
            l.learned_at
                .checked_add(l.retry_after)
                .is_none_or(|end| now >= end)
        }) else {
            return;
        };
        let sends = pacing.sent.partition_point(|t| *t < lesson.learned_at);
        let before = lesson.before;
        let estimate = self.estimate(pacing, lesson, sends);
        let limit = if lesson.probing {
            pacing.backoff = pacing.backoff.saturating_mul(2).min(MAX_BACKOFF);
            let from = pacing.probe.unwrap_or(before);
            estimate.map_or(from, |e| {
                if e.per_second() > from.per_second() {
                    e
                } else {
                    from
                }
            })
        } else {
            if before != self.configured {
                pacing.whole_seconds = false;
            }
            estimate
                .filter(|l| l.per_second() < before.per_second() * 0.999)
                .unwrap_or(before)
        };
        tracing::debug!(
            before = %before,
            estimate = ?estimate.map(|e| e.to_string()),
            probing = lesson.probing,
            limit = %limit,
            backoff = pacing.backoff,
            "rate limit: a lesson settled"
        );
        pacing.lesson = None;
        pacing.probe = None;
        pacing.clean_since = now;
        if limit != pacing.limit {
            pacing.limit = limit;
            pacing.gcra = cells(limit, &self.clock);
        }
    }

    /// After a clean window in use: a lowered limit has worked (returns it
    /// to tell when it is lower than any told before), and the limiter
    /// probes for more, doubling its pace (never above the configured
    /// quota), as congestion control does: the quota may have loosened,
    /// or another client sharing the token stopped. A probe that holds a
    /// window is the new limit; one refused falls back ([`Self::settle`]).
    /// Runs under the lock `admit` holds.
    fn probe(&self, pacing: &mut Pacing, now: Instant) -> Option<RateLimit> {
        let limit = pacing.limit;
        if pacing.lesson.is_some() || limit == self.configured {
            return None;
        }
        // A probe is confirmed by one clean window; the next probe after a
        // failed one waits `backoff` windows.
        let windows = if pacing.probe.is_some() {
            1
        } else {
            pacing.backoff.max(1)
        };
        let clean = (limit.per + limit.margin()).saturating_mul(windows);
        if now.saturating_duration_since(pacing.clean_since) < clean {
            return None;
        }
        // In use: a limit that did not fill its window says nothing.
        let used = pacing.sent.len() - pacing.sent.partition_point(|t| *t < pacing.clean_since);
        if used < limit.requests as usize {
            return None;
        }
        let worked = limit;
        let tell = pacing
            .told
            .is_none_or(|t| worked.per_second() < t.per_second() * 0.999)
            .then_some(worked);
        if tell.is_some() {
            pacing.told = tell;
        }
        if pacing.probe.is_some() {
            pacing.backoff = FIRST_BACKOFF;
        }
        let doubled = RateLimit {
            requests: limit.requests.saturating_mul(2),
            per: limit.per,
        };
        let next = if doubled.per_second() >= self.configured.per_second() {
            self.configured
        } else {
            doubled
        };
        tracing::debug!(worked = %worked, probing = %next, "rate limit: probing for more");
        pacing.probe = Some(worked);
        pacing.limit = next;
        pacing.gcra = cells(next, &self.clock);
        pacing.clean_since = now;
        tell
    }

    /// Tells a limit that worked, outside the lock.
    fn tell(&self, learned: RateLimit) {
        tracing::warn!(
            learned = %learned,
            configured = %self.configured,
            "the server's quota is lower than the configured one; pacing to it"
        );
        if let Some(f) = &self.on_learned {
            f(learned);
        }
    }

    /// Waits until a request may go: first out any pause, then for a slot.
    /// Returns how long it waited.
    ///
    /// ```
    /// use lupl_auth::{ManualClock, RateLimit, RateLimiter};
    /// use std::{sync::Arc, time::Duration};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let limiter = RateLimiter::new(RateLimit::new(1000, 60), Arc::new(ManualClock::auto()));
    /// for _ in 0..10 {
    ///     assert_eq!(limiter.acquire().await, Duration::ZERO); // the burst: 1 %
    /// }
    /// // Then one every 60 ms (60 s / 1000).
    /// assert_eq!(limiter.acquire().await, Duration::from_millis(60));
    /// # }
    /// ```
    pub async fn acquire(&self) -> Duration {
        let mut waited = Duration::ZERO;
        loop {
            let now = self.clock.now();
            let until =
                self.epoch + Duration::from_nanos(self.paused_until.load(Ordering::Acquire));
            if until > now {
                let d = until - now;
                self.clock.sleep(d).await;
                waited += d;
                continue;
            }
            let (wait, learned) = self.admit(now);
            if let Some(learned) = learned {
                self.tell(learned);
            }
            match wait {
                None => return waited,
                Some(d) => {
                    // A zero wait with a refusal would spin; wait a tick.
                    let d = d.max(Duration::from_micros(100));
                    self.clock.sleep(d).await;
                    waited += d;
                }
            }
        }
    }

    /// Settles a lesson due, then records a send at `now` if both the
    /// window and the GCRA have room, else says how long to wait; also
    /// returns a lesson to tell. The window is asked first, under its lock,
    /// so a GCRA cell is never spent on a send the window refuses (that
    /// would push every later slot back by one period).
    fn admit(&self, now: Instant) -> (Option<Duration>, Option<RateLimit>) {
        let mut pacing = self.pacing.lock();
        self.settle(&mut pacing, now);
        let worked = self.probe(&mut pacing, now);
        (self.wait_or_send(&mut pacing, now), worked)
    }

    fn wait_or_send(&self, pacing: &mut Pacing, now: Instant) -> Option<Duration> {
        let limit = pacing.limit;
        // Sends are kept for the configured window, which learning needs.
        let keep = self.configured.per + self.configured.margin();
        while pacing
            .sent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= keep)
        {
            pacing.sent.pop_front();
        }
        while pacing
            .refused
            .front()
            .is_some_and(|t| now.duration_since(*t) >= keep)
        {
            pacing.refused.pop_front();
        }
        // A learned quota's window may be shorter than the configured
        // one: both must hold.
        let configured = (limit != self.configured).then_some(self.configured);
        for limit in std::iter::once(limit).chain(configured) {
            let span = limit.per + limit.margin();
            // The log is in send order: the sends in the window are a suffix.
            let first_in = pacing
                .sent
                .partition_point(|t| now.duration_since(*t) >= span);
            let in_window = pacing.sent.len() - first_in;
            let requests = limit.requests as usize;
            if in_window >= requests {
                // The oldest of the last `requests` sends must leave the window.
                let oldest = pacing.sent[pacing.sent.len() - requests];
                return Some(span.saturating_sub(now.duration_since(oldest)));
            }
        }
        match pacing.gcra.check() {
            Err(not_until) => Some(not_until.wait_time_from(now)),
            Ok(()) => {
                pacing.sent.push_back(now);
                None
            }
        }
    }

    /// Holds every request of this client until `delay` has passed (never
    /// shortening a pause already in force).
    ///
    /// ```
    /// use lupl_auth::{ManualClock, RateLimit, RateLimiter};
    /// use std::{sync::Arc, time::Duration};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let limiter = RateLimiter::new(RateLimit::default(), Arc::new(ManualClock::auto()));
    /// limiter.pause_for(Duration::from_secs(30)); // a 429 said `Retry-After: 30`
    /// limiter.pause_for(Duration::from_secs(5)); // does not shorten it
    /// assert_eq!(limiter.acquire().await, Duration::from_secs(30));
    /// # }
    /// ```
    pub fn pause_for(&self, delay: Duration) {
        let until = self.clock.now() + delay;
        let nanos = u64::try_from(until.duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX);
        self.paused_until.fetch_max(nanos, Ordering::AcqRel);
    }
}

// `Reference` is implemented for `std::time::Instant` by governor's std
// feature; this assertion keeps that dependency visible.
const _: fn() = || {
    fn is_reference<T: Reference>() {}
    is_reference::<Instant>();
};
