//! [`Quota`]: requests allowed in any window of time, as Lupl's rate limit
//! is documented (1000 requests per 60 s, per token, "subject to change").
//! The client paces to one, the model enforces one, and both tools take one
//! as `N/SECONDS`.
//!
//! ```
//! use lupl_spec::Quota;
//!
//! let sandbox: Quota = "100/1".parse()?;
//! assert_eq!(sandbox, Quota::new(100, 1));
//! assert_eq!(Quota::default().to_string(), "1000/60");
//! # Ok::<(), lupl_spec::QuotaError>(())
//! ```

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A quota: `requests` in any `per` (a sliding window on the server).
///
/// ```
/// use lupl_spec::Quota;
/// use std::time::Duration;
///
/// let sandbox = Quota { requests: 100, per: Duration::from_secs(1) };
/// assert_eq!(sandbox, Quota::new(100, 1));
/// assert_eq!(Quota::default(), Quota::new(1000, 60), "Lupl's documented policy");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Requests allowed in any window.
    pub requests: u32,
    /// The window.
    pub per: Duration,
}

impl Default for Quota {
    /// The documented policy: 1000 requests per 60 seconds.
    ///
    /// ```
    /// assert_eq!(lupl_spec::Quota::default(), lupl_spec::Quota::DOCUMENTED);
    /// ```
    fn default() -> Self {
        Self::DOCUMENTED
    }
}

/// Why text is not a quota; each says what to write instead.
///
/// ```
/// use lupl_spec::{Quota, QuotaError};
///
/// assert_eq!("1000".parse::<Quota>(), Err(QuotaError::Shape));
/// assert_eq!("0/60".parse::<Quota>(), Err(QuotaError::Requests));
/// assert_eq!("1000/0".parse::<Quota>(), Err(QuotaError::Seconds));
/// assert_eq!(QuotaError::Shape.to_string(), "expected N/SECONDS such as 1000/60");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QuotaError {
    /// No `/` between the requests and the seconds.
    #[error("expected N/SECONDS such as 1000/60")]
    Shape,
    /// N is not a whole number from 1 to `u32::MAX`.
    #[error("N must be a whole number from 1 to {max}, as in 1000/60", max = u32::MAX)]
    Requests,
    /// SECONDS is not a whole number from 1 to [`Quota::MAX_SECONDS`].
    #[error("SECONDS must be a whole number from 1 to {max} (a day), as in 1000/60", max = Quota::MAX_SECONDS)]
    Seconds,
}

impl Quota {
    /// Lupl's documented policy: 1000 requests per 60 seconds.
    ///
    /// ```
    /// use lupl_spec::Quota;
    /// assert_eq!(Quota::DOCUMENTED, Quota::new(1000, 60));
    /// ```
    pub const DOCUMENTED: Quota = Quota::new(1000, 60);

    /// The longest window that parses: a day.
    ///
    /// ```
    /// use lupl_spec::Quota;
    ///
    /// let max = Quota::MAX_SECONDS;
    /// assert_eq!(format!("1/{max}").parse(), Ok(Quota::new(1, max)));
    /// assert!(format!("1/{}", max + 1).parse::<Quota>().is_err());
    /// ```
    pub const MAX_SECONDS: u64 = 86_400;

    /// `requests` per `seconds`.
    ///
    /// ```
    /// use lupl_spec::Quota;
    /// use std::time::Duration;
    ///
    /// const SANDBOX: Quota = Quota::new(100, 1);
    /// assert_eq!(SANDBOX.requests, 100);
    /// assert_eq!(SANDBOX.per, Duration::from_secs(1));
    /// ```
    pub const fn new(requests: u32, seconds: u64) -> Self {
        Self {
            requests,
            per: Duration::from_secs(seconds),
        }
    }

    /// The burst a client may send at once: 1 % of the quota, at least 2.
    ///
    /// With a burst of 1, a timer that wakes a millisecond late pushes every
    /// later slot back by that millisecond (the GCRA counts from the late
    /// send); one cell of slack absorbs it. The send log, not the burst,
    /// keeps every window within the quota.
    ///
    /// ```
    /// use lupl_spec::Quota;
    ///
    /// assert_eq!(Quota::default().burst(), 10); // 1 % of 1000
    /// assert_eq!(Quota::new(100, 1).burst(), 2); // at least 2
    /// assert_eq!(Quota::new(1, 1).burst(), 1); // never above the quota
    /// ```
    pub fn burst(&self) -> u32 {
        (self.requests / 100).max(2).min(self.requests.max(1))
    }

    /// Kept between a request and the one `requests` later, beyond the
    /// window, for jitter between when the client sends and when the server
    /// counts: 1 % of the window, at least 20 ms.
    ///
    /// ```
    /// use lupl_spec::Quota;
    /// use std::time::Duration;
    ///
    /// assert_eq!(Quota::default().margin(), Duration::from_millis(600)); // 1 % of 60 s
    /// assert_eq!(Quota::new(100, 1).margin(), Duration::from_millis(20)); // at least 20 ms
    /// ```
    pub fn margin(&self) -> Duration {
        (self.per / 100).max(Duration::from_millis(20))
    }

    /// Requests per second.
    ///
    /// ```
    /// assert_eq!(lupl_spec::Quota::new(20, 5).per_second(), 4.0);
    /// ```
    pub fn per_second(&self) -> f64 {
        f64::from(self.requests) / self.per.as_secs_f64().max(1e-9)
    }

    /// The same requests over the window rounded up to whole seconds (at
    /// least one): never faster, and writable as `N/SECONDS`.
    ///
    /// ```
    /// use lupl_spec::Quota;
    /// use std::time::Duration;
    ///
    /// let learned = Quota { requests: 20, per: Duration::from_millis(5600) };
    /// assert_eq!(learned.whole_seconds(), Quota::new(20, 6));
    /// assert_eq!(Quota::new(20, 5).whole_seconds(), Quota::new(20, 5));
    /// ```
    pub fn whole_seconds(self) -> Self {
        let seconds = self.per.as_secs();
        let seconds = if self.per.subsec_nanos() == 0 {
            seconds
        } else {
            seconds.saturating_add(1)
        };
        Self::new(self.requests, seconds.max(1))
    }
}

impl FromStr for Quota {
    type Err = QuotaError;

    /// Parses `N/SECONDS`, e.g. `1000/60`: N from 1 to 4294967295, SECONDS
    /// from 1 to [`Quota::MAX_SECONDS`] (spaces around either are ignored).
    ///
    /// ```
    /// use lupl_spec::{Quota, QuotaError};
    ///
    /// assert_eq!("1000/60".parse(), Ok(Quota::default()));
    /// assert_eq!(" 20 / 5 ".parse(), Ok(Quota::new(20, 5)));
    /// assert_eq!("1/18446744074".parse::<Quota>(), Err(QuotaError::Seconds));
    /// let too_many = "4294967296/1".parse::<Quota>().unwrap_err();
    /// assert_eq!(too_many, QuotaError::Requests, "out of range, not truncated");
    /// assert!(too_many.to_string().contains("4294967295"));
    /// ```
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (requests, seconds) = text.split_once('/').ok_or(QuotaError::Shape)?;
        let requests = requests
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or(QuotaError::Requests)?;
        let seconds = seconds
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|s| (1..=Self::MAX_SECONDS).contains(s))
            .ok_or(QuotaError::Seconds)?;
        Ok(Self::new(requests, seconds))
    }
}

impl fmt::Display for Quota {
    /// `N/SECONDS`, as it parses (a window that is not whole seconds with
    /// one decimal).
    ///
    /// ```
    /// use lupl_spec::Quota;
    /// use std::time::Duration;
    ///
    /// assert_eq!(Quota::new(20, 5).to_string(), "20/5");
    /// let learned = Quota { requests: 20, per: Duration::from_millis(5600) };
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
