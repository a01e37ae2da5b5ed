//! When a request is sent again, and after how long.

use reqwest::StatusCode;
use std::time::Duration;

/// Retry settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (429s, transient failures of GETs).
    pub max_retries: u32,
    /// The first backoff's upper bound; doubled each attempt.
    pub base_delay: Duration,
    /// The largest backoff.
    pub max_delay: Duration,
    /// The longest `Retry-After` honoured; longer ones are capped.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// Exponential backoff with full jitter: uniform in `[0, min(max, base·2^n)]`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(attempt))
            .min(self.max_delay);
        ceiling.mul_f64(fastrand::f64())
    }

    /// The wait after a 429: `Retry-After` capped, plus up to 10 % jitter so
    /// paused clients do not all come back at the same instant.
    pub fn after_throttle(&self, retry_after: Option<Duration>) -> Duration {
        let base = retry_after
            .unwrap_or(Duration::from_secs(1))
            .min(self.max_retry_after);
        base + base.mul_f64(0.1 * fastrand::f64())
    }

    /// Whether a failed GET is worth another try: the server did not
    /// process it, or may not have.
    pub fn transient(status: StatusCode) -> bool {
        matches!(status.as_u16(), 500 | 502 | 503 | 504)
    }
}
