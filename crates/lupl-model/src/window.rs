//! CONTRACT.md, "Order of checks", step 2: the quota counts a token's
//! requests that passed it in the last `perSeconds` seconds (a sliding
//! window); a request answered 429 is not counted, and `Retry-After` says,
//! in whole seconds rounded up and at least 1, when the oldest counted one
//! leaves. The one implementation of that rule: the model's, and the test
//! servers' whose quota changes while they run.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// One token's sliding window.
///
/// ```
/// use lupl_model::window::SlidingWindow;
/// use std::time::{Duration, Instant};
/// let mut w = SlidingWindow::new(Duration::from_secs(5));
/// let t = Instant::now();
/// assert_eq!(w.admit(t, 1), None, "counted");
/// assert_eq!(w.admit(t + Duration::from_millis(500), 1), Some(Duration::from_millis(4500)));
/// assert_eq!(w.admit(t + Duration::from_secs(5), 1), None, "the first has left");
/// ```
#[derive(Debug, Clone)]
pub struct SlidingWindow {
    counted: VecDeque<Instant>,
    window: Duration,
}

impl SlidingWindow {
    /// An empty window of `window`.
    ///
    /// ```
    /// let w = lupl_model::window::SlidingWindow::new(std::time::Duration::from_secs(60));
    /// # drop(w);
    /// ```
    pub fn new(window: Duration) -> Self {
        Self {
            counted: VecDeque::new(),
            window,
        }
    }

    /// Counts a request at `now` under `quota`, or (not counting it) says
    /// how long until the oldest counted request whose leaving makes room
    /// is out of the window. A quota lowered while requests are counted
    /// waits for as many to leave as it takes.
    ///
    /// ```
    /// use lupl_model::window::SlidingWindow;
    /// use std::time::{Duration, Instant};
    /// let mut w = SlidingWindow::new(Duration::from_secs(10));
    /// let t = Instant::now();
    /// for i in 0..4 {
    ///     assert_eq!(w.admit(t + Duration::from_secs(i), 4), None);
    /// }
    /// // The quota halves: three must leave (one may stay), the third at 12 s.
    /// assert_eq!(w.admit(t + Duration::from_secs(4), 2), Some(Duration::from_secs(8)));
    /// ```
    pub fn admit(&mut self, now: Instant, quota: usize) -> Option<Duration> {
        while self
            .counted
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            self.counted.pop_front();
        }
        if self.counted.len() >= quota {
            let oldest = self
                .counted
                .get(self.counted.len() - quota)
                .copied()
                .unwrap_or(now);
            return Some(self.window.saturating_sub(now.duration_since(oldest)));
        }
        self.counted.push_back(now);
        None
    }
}

/// A wait as `Retry-After` says it: whole seconds, rounded up, at least 1.
///
/// ```
/// use lupl_model::window::retry_after_seconds;
/// use std::time::Duration;
/// assert_eq!(retry_after_seconds(Duration::from_millis(2100)), 3);
/// assert_eq!(retry_after_seconds(Duration::ZERO), 1);
/// ```
pub fn retry_after_seconds(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}
