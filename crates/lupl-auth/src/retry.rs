//! When a request is sent again, and after how long.

use reqwest::StatusCode;
use std::time::Duration;

/// Retry settings.
///
/// ```
/// use lupl_auth::limits::RetryPolicy;
/// use std::time::Duration;
///
/// let patient = RetryPolicy { max_retries: 5, ..RetryPolicy::default() };
/// assert_eq!(patient.base_delay, Duration::from_millis(200));
/// assert_eq!(patient.max_retry_after, Duration::from_secs(120));
/// ```
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
            max_retry_after: lupl_api::RetryAfter::MAX_WAIT,
        }
    }
}

impl RetryPolicy {
    /// Exponential backoff with full jitter: uniform in `[0, min(max, base·2^n)]`.
    ///
    /// ```
    /// use lupl_auth::limits::RetryPolicy;
    /// use std::time::Duration;
    ///
    /// let policy = RetryPolicy::default(); // base 200 ms, max 10 s
    /// assert!(policy.backoff(0) <= Duration::from_millis(200));
    /// assert!(policy.backoff(2) <= Duration::from_millis(800));
    /// assert!(policy.backoff(30) <= Duration::from_secs(10), "capped at max_delay");
    /// ```
    pub fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(attempt))
            .min(self.max_delay);
        ceiling.mul_f64(fastrand::f64())
    }

    /// The wait after a 429: `Retry-After` capped, plus up to 10 % jitter so
    /// paused clients do not all come back at the same instant.
    ///
    /// ```
    /// use lupl_auth::limits::RetryPolicy;
    /// use std::time::Duration;
    ///
    /// let policy = RetryPolicy::default();
    /// let wait = policy.after_throttle(Some(Duration::from_secs(30)));
    /// assert!((Duration::from_secs(30)..=Duration::from_secs(33)).contains(&wait));
    /// let capped = policy.after_throttle(Some(Duration::from_secs(3600)));
    /// assert_eq!(capped, Duration::from_secs(120), "never past max_retry_after");
    /// assert!(policy.after_throttle(None) >= Duration::from_secs(1)); // no header: 1 s
    /// ```
    pub fn after_throttle(&self, retry_after: Option<Duration>) -> Duration {
        let base = retry_after
            .unwrap_or(Duration::from_secs(1))
            .min(self.max_retry_after);
        (base + base.mul_f64(0.1 * fastrand::f64())).min(self.max_retry_after.max(base))
    }

    /// Whether a failed GET is worth another try: the server did not
    /// process it, or may not have.
    ///
    /// ```
    /// use lupl_auth::limits::RetryPolicy;
    /// use reqwest::StatusCode;
    ///
    /// assert!(RetryPolicy::transient(StatusCode::SERVICE_UNAVAILABLE));
    /// assert!(!RetryPolicy::transient(StatusCode::NOT_IMPLEMENTED)); // 501 will not change
    /// assert!(!RetryPolicy::transient(StatusCode::BAD_REQUEST));
    /// ```
    pub fn transient(status: StatusCode) -> bool {
        matches!(status.as_u16(), 500 | 502 | 503 | 504)
    }
}
