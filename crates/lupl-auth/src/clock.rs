//! Time, behind a trait, so that expiry, pauses and backoff can be tested
//! without waiting.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::{Notify, oneshot};

/// A future that completes after a sleep.
///
/// ```
/// use lupl_auth::{limits::Clock, limits::ManualClock, limits::Sleep};
/// use std::time::Duration;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let clock = ManualClock::auto();
/// let nap: Sleep = clock.sleep(Duration::from_secs(5));
/// nap.await; // at once: an auto clock just moves forward
/// assert_eq!(clock.sleeps(), [Duration::from_secs(5)]);
/// # }
/// ```
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Where time comes from.
///
/// The builder, the token source and the limiter take an `Arc<dyn Clock>`:
/// [`SystemClock`] in production, [`ManualClock`] in tests.
///
/// ```
/// use lupl_auth::{limits::Clock, limits::ManualClock};
/// use std::sync::Arc;
/// use std::time::{Duration, Instant};
///
/// /// How long ago `then` was, by whatever clock the client runs on.
/// fn age(clock: &dyn Clock, then: Instant) -> Duration {
///     clock.now() - then
/// }
/// let clock: Arc<dyn Clock> = Arc::new(ManualClock::held());
/// let issued = clock.now();
/// assert_eq!(age(&*clock, issued), Duration::ZERO, "a held clock stands still");
/// ```
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// Monotonic now.
    fn now(&self) -> Instant;
    /// Wall-clock now (for HTTP-dates and the on-disk cache).
    fn system_now(&self) -> SystemTime;
    /// Completes after `duration`.
    fn sleep(&self, duration: Duration) -> Sleep;
}

/// The real clock: `Instant::now`, `SystemTime::now`, `tokio::time::sleep`.
///
/// ```
/// use lupl_auth::{limits::Clock, limits::SystemClock};
/// use std::time::{Instant, SystemTime};
///
/// let before = (Instant::now(), SystemTime::now());
/// let clock = SystemClock;
/// assert!(clock.now() >= before.0);
/// assert!(clock.system_now() >= before.1);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn system_now(&self) -> SystemTime {
        SystemTime::now()
    }
    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A clock that only moves when told to. For tests and simulations.
///
/// In *auto* mode ([`ManualClock::auto`]) a sleep returns at once and moves
/// the clock to its wake-up time. In *held* mode ([`ManualClock::held`]) a
/// sleep waits until [`ManualClock::advance`] moves the clock past its
/// wake-up time, so a test can look at the world while everyone sleeps.
/// Every sleep is recorded.
///
/// ```
/// use lupl_auth::{limits::Clock, limits::ManualClock};
/// use std::time::Duration;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let clock = ManualClock::auto();
/// let start = clock.now();
/// clock.sleep(Duration::from_secs(30)).await; // returns at once
/// assert_eq!(clock.now() - start, Duration::from_secs(30));
/// assert_eq!(clock.sleeps(), [Duration::from_secs(30)]);
/// # }
/// ```
#[derive(Debug)]
pub struct ManualClock {
    start: Instant,
    start_system: SystemTime,
    auto: bool,
    inner: Mutex<Inner>,
    registered: Notify,
}

#[derive(Debug, Default)]
struct Inner {
    offset: Duration,
    sleeps: Vec<Duration>,
    sleepers: Vec<(Duration, oneshot::Sender<()>)>,
}

impl ManualClock {
    fn with_mode(auto: bool) -> Self {
        Self {
            start: Instant::now(),
            start_system: SystemTime::now(),
            auto,
            inner: Mutex::new(Inner::default()),
            registered: Notify::new(),
        }
    }

    /// Sleeps return at once and move the clock.
    ///
    /// ```
    /// use lupl_auth::{limits::Clock, limits::ManualClock};
    /// use std::time::Duration;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let clock = ManualClock::auto();
    /// let wall = clock.system_now();
    /// clock.sleep(Duration::from_secs(3600)).await;
    /// assert_eq!(clock.system_now(), wall + Duration::from_secs(3600));
    /// # }
    /// ```
    pub fn auto() -> Self {
        Self::with_mode(true)
    }

    /// Sleeps wait for [`ManualClock::advance`].
    ///
    /// ```
    /// use lupl_auth::{limits::Clock, limits::ManualClock};
    /// use std::time::Duration;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let clock = ManualClock::held();
    /// let nap = clock.sleep(Duration::from_secs(10)); // waiting from now on
    /// clock.advance(Duration::from_secs(9));
    /// assert_eq!(clock.sleeping(), 1, "not yet due");
    /// clock.advance(Duration::from_secs(1));
    /// nap.await; // woken by the advance
    /// # }
    /// ```
    pub fn held() -> Self {
        Self::with_mode(false)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Moves the clock forward, waking the sleepers whose time has come.
    ///
    /// ```
    /// use lupl_auth::{limits::Clock, limits::ManualClock};
    /// use std::time::Duration;
    ///
    /// let clock = ManualClock::held();
    /// let start = clock.now();
    /// clock.advance(Duration::from_millis(1500));
    /// assert_eq!(clock.now() - start, Duration::from_millis(1500));
    /// ```
    pub fn advance(&self, by: Duration) {
        let mut inner = self.lock();
        inner.offset += by;
        let now = inner.offset;
        let (due, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut inner.sleepers)
            .into_iter()
            .partition(|(t, _)| *t <= now);
        inner.sleepers = waiting;
        for (_, wake) in due {
            let _ = wake.send(());
        }
    }

    /// Every sleep requested so far.
    ///
    /// ```
    /// use lupl_auth::{limits::Clock, limits::ManualClock};
    /// use std::time::Duration;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let clock = ManualClock::auto();
    /// for ms in [200, 400] {
    ///     clock.sleep(Duration::from_millis(ms)).await;
    /// }
    /// assert_eq!(clock.sleeps(), [Duration::from_millis(200), Duration::from_millis(400)]);
    /// # }
    /// ```
    pub fn sleeps(&self) -> Vec<Duration> {
        self.lock().sleeps.clone()
    }

    /// How many sleeps are waiting (held mode).
    ///
    /// ```
    /// use lupl_auth::{limits::Clock, limits::ManualClock};
    /// use std::time::Duration;
    ///
    /// let clock = ManualClock::held();
    /// let _short = clock.sleep(Duration::from_secs(1));
    /// let _long = clock.sleep(Duration::from_secs(60));
    /// assert_eq!(clock.sleeping(), 2);
    /// clock.advance(Duration::from_secs(1));
    /// assert_eq!(clock.sleeping(), 1, "the short one woke");
    /// ```
    pub fn sleeping(&self) -> usize {
        self.lock().sleepers.len()
    }

    /// Waits until at least `n` sleeps are waiting (held mode).
    ///
    /// ```
    /// use lupl_auth::{limits::Clock, limits::ManualClock};
    /// use std::{sync::Arc, time::Duration};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let clock = Arc::new(ManualClock::held());
    /// let sleeper = tokio::spawn({
    ///     let clock = clock.clone();
    ///     async move { clock.sleep(Duration::from_secs(10)).await }
    /// });
    /// clock.until_sleeping(1).await; // the task is asleep now
    /// clock.advance(Duration::from_secs(10));
    /// sleeper.await.expect("woken");
    /// # }
    /// ```
    pub async fn until_sleeping(&self, n: usize) {
        loop {
            let registered = self.registered.notified();
            if self.sleeping() >= n {
                return;
            }
            registered.await;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.start + self.lock().offset
    }
    fn system_now(&self) -> SystemTime {
        self.start_system + self.lock().offset
    }
    fn sleep(&self, duration: Duration) -> Sleep {
        let mut inner = self.lock();
        inner.sleeps.push(duration);
        let target = inner.offset + duration;
        if self.auto || duration.is_zero() {
            // Concurrent sleepers from the same moment wake together.
            inner.offset = inner.offset.max(target);
            return Box::pin(tokio::task::yield_now());
        }
        let (wake, woken) = oneshot::channel();
        inner.sleepers.push((target, wake));
        drop(inner);
        self.registered.notify_waiters();
        Box::pin(async move {
            let _ = woken.await;
        })
    }
}
