//! [`RateLimiter`]: the client-side side of the documented policy (1000
//! calls per minute, per token, "subject to change"), shared by every clone
//! of a client, waiting rather than failing; the shared pause after a 429;
//! and a lower quota learned from the server's 429s ([`learning`]). The
//! state under its lock is [`pacing`]'s.

mod learning;
mod pacing;

use crate::clock::Clock;
use lupl_spec::Quota;
use pacing::Pacing;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Paces requests to a [`Quota`] and pauses everyone after a 429.
///
/// Two mechanisms, because a sliding-window server is the judge: governor's
/// GCRA spreads requests evenly at the quota's rate with a small burst, and a
/// log of the last `requests` send times guarantees that no window of
/// `per + margin` ever holds more than `requests` of them (a GCRA alone lets
/// `burst + rate × window` through, over the quota; see FINDINGS.md).
///
/// ```
/// use lupl_auth::{limits::ManualClock, limits::Quota, limits::RateLimiter};
/// use std::{sync::Arc, time::Duration};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let clock = Arc::new(ManualClock::auto()); // sleeps return at once
/// let limiter = RateLimiter::new(Quota::new(2, 1), clock.clone());
/// assert_eq!(limiter.acquire().await, Duration::ZERO);
/// assert_eq!(limiter.acquire().await, Duration::ZERO);
/// // The third waits out the window (1 s) and its margin (20 ms).
/// assert_eq!(limiter.acquire().await, Duration::from_millis(1020));
/// # }
/// ```
pub struct RateLimiter {
    /// The quota the client was given: never exceeded, also after learning.
    configured: Quota,
    pacing: parking_lot::Mutex<Pacing>,
    /// Nanoseconds after `epoch` until which every request waits (0: none).
    paused_until: AtomicU64,
    epoch: Instant,
    clock: Arc<dyn Clock>,
    /// Told when the limiter learns a lower quota.
    on_learned: Option<Box<dyn Fn(Quota) + Send + Sync>>,
    /// Set by [`RateLimiter::stop_waiting`]: requests still waiting for a
    /// slot give up instead of going.
    stopped: std::sync::atomic::AtomicBool,
    wake: tokio::sync::Notify,
}

/// A request that gave up its wait for the limiter because the caller
/// stopped ([`RateLimiter::stop_waiting`]): it was never sent.
///
/// ```
/// let e = lupl_auth::limits::Stopped;
/// assert!(e.to_string().contains("not sent"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not sent: stopped while waiting for the rate limit")]
pub struct Stopped;

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
    /// use lupl_auth::{limits::Quota, limits::RateLimiter, limits::SystemClock};
    /// use std::sync::Arc;
    ///
    /// let limiter = Arc::new(RateLimiter::new(Quota::default(), Arc::new(SystemClock)));
    /// let for_another_task = limiter.clone();
    /// assert_eq!(for_another_task.limit(), Quota::new(1000, 60));
    /// ```
    pub fn new(limit: Quota, clock: Arc<dyn Clock>) -> Self {
        // A limit of 0 requests would never let one through: read it as 1.
        let limit = Quota {
            requests: limit.requests.max(1),
            ..limit
        };
        Self {
            configured: limit,
            pacing: parking_lot::Mutex::new(Pacing::new(limit, &clock)),
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
    /// use lupl_auth::{limits::Quota, limits::RateLimiter, limits::SystemClock};
    /// use std::sync::Arc;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let limiter = RateLimiter::new(Quota::new(1, 3600), Arc::new(SystemClock));
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
    /// use lupl_auth::{limits::ManualClock, limits::Quota, limits::RateLimiter};
    /// use std::{sync::Arc, time::Duration};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let limiter = RateLimiter::new(Quota::new(10, 1), Arc::new(ManualClock::auto()));
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
    /// use lupl_auth::{limits::Quota, limits::RateLimiter, limits::SystemClock};
    /// use std::sync::Arc;
    /// let limiter = RateLimiter::new(Quota::default(), Arc::new(SystemClock))
    ///     .on_learned(|limit| eprintln!("now pacing at {limit}"));
    /// # drop(limiter);
    /// ```
    pub fn on_learned(mut self, f: impl Fn(Quota) + Send + Sync + 'static) -> Self {
        self.on_learned = Some(Box::new(f));
        self
    }

    /// The quota this limiter keeps to now: the configured one, or a lower
    /// one learned from the server.
    ///
    /// ```
    /// use lupl_auth::{limits::Quota, limits::RateLimiter, limits::SystemClock};
    /// use std::sync::Arc;
    ///
    /// let limiter = RateLimiter::new(Quota::new(100, 1), Arc::new(SystemClock));
    /// assert_eq!(limiter.limit(), Quota::new(100, 1));
    /// ```
    pub fn limit(&self) -> Quota {
        self.pacing.lock().limit
    }

    /// The quota the limiter was given.
    ///
    /// ```
    /// use lupl_auth::{limits::Quota, limits::RateLimiter, limits::SystemClock};
    /// use std::sync::Arc;
    /// let limiter = RateLimiter::new(Quota::new(100, 1), Arc::new(SystemClock));
    /// assert_eq!(limiter.configured(), Quota::new(100, 1));
    /// ```
    pub fn configured(&self) -> Quota {
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
    /// use lupl_auth::{limits::Clock, limits::ManualClock, limits::Quota, limits::RateLimiter};
    /// use std::{sync::Arc, time::Duration};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let clock = Arc::new(ManualClock::auto());
    /// let limiter = RateLimiter::new(Quota::new(1000, 60), clock.clone());
    /// for _ in 0..21 {
    ///     limiter.acquire().await; // 20 answered, the 21st refused
    /// }
    /// // 21 sends took 0.66 s (a burst of 10, then one per 60 ms);
    /// // 0.66 s + `Retry-After: 5` holds one whole number of seconds: 5.
    /// let refused = clock.now();
    /// limiter.acquire().await; // sent while the 21st was under way: not counted
    /// let learned = limiter.learn(Duration::from_secs(5), refused).expect("a lower quota");
    /// assert_eq!(learned, Quota::new(20, 5));
    /// assert_eq!(limiter.limit(), learned);
    /// // Refused again at that pace: the unrounded window, slower.
    /// for _ in 0..21 {
    ///     limiter.acquire().await;
    /// }
    /// let again = limiter.learn(Duration::from_secs(1), clock.now()).expect("slower");
    /// assert!(again.per_second() < 4.0, "{again}");
    /// # }
    /// ```
    pub fn learn(&self, retry_after: Duration, sent: Instant) -> Option<Quota> {
        let now = self.clock.now();
        let mut pacing = self.pacing.lock();
        learning::learn(
            &mut pacing,
            self.configured,
            &self.clock,
            now,
            retry_after,
            sent,
        )
    }

    /// Tells a limit that worked, outside the lock.
    fn tell(&self, learned: Quota) {
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
    /// use lupl_auth::{limits::ManualClock, limits::Quota, limits::RateLimiter};
    /// use std::{sync::Arc, time::Duration};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let limiter = RateLimiter::new(Quota::new(1000, 60), Arc::new(ManualClock::auto()));
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
    fn admit(&self, now: Instant) -> (Option<Duration>, Option<Quota>) {
        let mut pacing = self.pacing.lock();
        learning::settle(&mut pacing, self.configured, &self.clock, now);
        let worked = learning::probe(&mut pacing, self.configured, &self.clock, now);
        (pacing.wait_or_send(self.configured, now), worked)
    }

    /// Holds every request of this client until `delay` has passed (never
    /// shortening a pause already in force).
    ///
    /// ```
    /// use lupl_auth::{limits::ManualClock, limits::Quota, limits::RateLimiter};
    /// use std::{sync::Arc, time::Duration};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let limiter = RateLimiter::new(Quota::default(), Arc::new(ManualClock::auto()));
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
