//! Time, behind a trait, so that expiry, pauses and backoff can be tested
//! without waiting.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::{Notify, oneshot};

/// A future that completes after a sleep.
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Where time comes from.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// Monotonic now.
    fn now(&self) -> Instant;
    /// Wall-clock now (for HTTP-dates and the on-disk cache).
    fn system_now(&self) -> SystemTime;
    /// Completes after `duration`.
    fn sleep(&self, duration: Duration) -> Sleep;
}

/// The real clock: `Instant::now`, `SystemTime::now`, `tokio::time::sleep`.
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
    pub fn auto() -> Self {
        Self::with_mode(true)
    }

    /// Sleeps wait for [`ManualClock::advance`].
    pub fn held() -> Self {
        Self::with_mode(false)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Moves the clock forward, waking the sleepers whose time has come.
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
    pub fn sleeps(&self) -> Vec<Duration> {
        self.lock().sleeps.clone()
    }

    /// How many sleeps are waiting (held mode).
    pub fn sleeping(&self) -> usize {
        self.lock().sleepers.len()
    }

    /// Waits until at least `n` sleeps are waiting (held mode).
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
