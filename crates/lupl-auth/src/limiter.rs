//! [`RateLimiter`]: the client-side side of the documented policy (1000
//! calls per minute, per token), shared by every clone of a client, waiting
//! rather than failing; and the shared pause after a 429.

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
    limit: RateLimit,
    gcra: Gcra<NotKeyed, InMemoryState, ClockAdapter, NoOpMiddleware<Instant>>,
    sent: parking_lot::Mutex<VecDeque<Instant>>,
    /// Nanoseconds after `epoch` until which every request waits (0: none).
    paused_until: AtomicU64,
    epoch: Instant,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter")
            .field("limit", &self.limit)
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
        let burst = NonZeroU32::new(limit.burst()).unwrap_or(NonZeroU32::MIN);
        // A period below a nanosecond (over 10^9 requests per second) is no
        // limit for the GCRA; the window below still counts every send.
        let quota = Quota::with_period(limit.per / limit.requests)
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MAX))
            .allow_burst(burst);
        Self {
            limit,
            gcra: Gcra::direct_with_clock(quota, ClockAdapter(clock.clone())),
            sent: parking_lot::Mutex::new(VecDeque::new()),
            paused_until: AtomicU64::new(0),
            epoch: clock.now(),
            clock,
        }
    }

    /// The quota this limiter keeps to.
    ///
    /// ```
    /// use lupl_auth::{RateLimit, RateLimiter, SystemClock};
    /// use std::sync::Arc;
    ///
    /// let limiter = RateLimiter::new(RateLimit::new(100, 1), Arc::new(SystemClock));
    /// assert_eq!(limiter.limit(), RateLimit::new(100, 1));
    /// ```
    pub fn limit(&self) -> RateLimit {
        self.limit
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
            match self.admit(now) {
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

    /// Records a send at `now` if both the window and the GCRA have room,
    /// else says how long to wait. The window is asked first, under its
    /// lock, so a GCRA cell is never spent on a send the window refuses
    /// (that would push every later slot back by one period).
    fn admit(&self, now: Instant) -> Option<Duration> {
        let span = self.limit.per + self.limit.margin();
        let mut sent = self.sent.lock();
        while sent.front().is_some_and(|t| now.duration_since(*t) >= span) {
            sent.pop_front();
        }
        if sent.len() >= self.limit.requests as usize {
            return sent
                .front()
                .map(|oldest| span.saturating_sub(now.duration_since(*oldest)));
        }
        match self.gcra.check() {
            Err(not_until) => Some(not_until.wait_time_from(now)),
            Ok(()) => {
                sent.push_back(now);
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
