//! The limiter's state under its lock: the quota in force, its GCRA, the
//! log of recent sends, what learning knows; and the wait for a slot.

use crate::clock::Clock;
use governor::clock::{Clock as GovernorClock, Reference};
use governor::middleware::NoOpMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota as GcraQuota, RateLimiter as Gcra};
use lupl_spec::Quota;
use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The limiter's clock, as governor reads it.
#[derive(Clone)]
pub(super) struct ClockAdapter(Arc<dyn Clock>);

impl GovernorClock for ClockAdapter {
    type Instant = Instant;
    fn now(&self) -> Instant {
        self.0.now()
    }
}

pub(super) type Cells = Gcra<NotKeyed, InMemoryState, ClockAdapter, NoOpMiddleware<Instant>>;

/// Clean windows in use before the first probe.
pub(super) const FIRST_BACKOFF: u32 = 1;
/// The most clean windows between two probes: a loosened quota is found
/// within this many windows, at the cost of a 429 per failed probe.
pub(super) const MAX_BACKOFF: u32 = 4;

/// The quota in force (configured, or learned lower), its GCRA, the log
/// of recent sends, and what learning knows.
pub(super) struct Pacing {
    pub(super) limit: Quota,
    pub(super) gcra: Cells,
    pub(super) sent: VecDeque<Instant>,
    /// The sends among them the server refused (it did not count them),
    /// in order.
    pub(super) refused: VecDeque<Instant>,
    /// A lesson not settled yet: the 429s of one burst of requests.
    pub(super) lesson: Option<Lesson>,
    /// Since when no 429 came (the last lesson's settling, or a probe's
    /// start).
    pub(super) clean_since: Instant,
    /// A probe under way: the limit it started from (proven to work).
    pub(super) probe: Option<Quota>,
    /// Clean windows to wait before the next probe: [`FIRST_BACKOFF`],
    /// doubled by each failed probe up to [`MAX_BACKOFF`] (a quota that did
    /// not change is not asked about often), back when one succeeds.
    pub(super) backoff: u32,
    /// Whether a lesson may round its window down to whole seconds (the
    /// server's window is taken to be whole seconds until a pace learned
    /// so is refused).
    pub(super) whole_seconds: bool,
    /// The last limit told to [`RateLimiter::on_learned`].
    pub(super) told: Option<Quota>,
}

/// What one burst of 429s teaches. Concurrent requests reach the server
/// in another order than they left, so the count of what it accepted is
/// only known once their answers are in: the lesson is settled when the
/// next request goes (after the pause), from every send before it minus
/// the refused ones.
pub(super) struct Lesson {
    /// When the first 429 was learned from: later 429s to requests sent
    /// before it belong to this burst.
    pub(super) learned_at: Instant,
    /// The earliest refused send of the burst, and its `Retry-After`.
    pub(super) first_refused: Instant,
    pub(super) retry_after: Duration,
    /// 429s of the burst so far.
    pub(super) refused: usize,
    /// The limit in force when the burst began.
    pub(super) before: Quota,
    /// Whether the burst answered a probe.
    pub(super) probing: bool,
}

/// A GCRA for `limit` on `clock`.
pub(super) fn cells(limit: Quota, clock: &Arc<dyn Clock>) -> Cells {
    let burst = NonZeroU32::new(limit.burst()).unwrap_or(NonZeroU32::MIN);
    // A period below a nanosecond (over 10^9 requests per second) is no
    // limit for the GCRA; the send log still counts every send.
    let quota = GcraQuota::with_period(limit.per / limit.requests.max(1))
        .unwrap_or_else(|| GcraQuota::per_second(NonZeroU32::MAX))
        .allow_burst(burst);
    Gcra::direct_with_clock(quota, ClockAdapter(clock.clone()))
}

impl Pacing {
    /// The state of a limiter for `limit` on `clock`, nothing sent yet.
    pub(super) fn new(limit: Quota, clock: &Arc<dyn Clock>) -> Self {
        Self {
            limit,
            gcra: cells(limit, clock),
            sent: VecDeque::new(),
            refused: VecDeque::new(),
            lesson: None,
            clean_since: clock.now(),
            probe: None,
            backoff: FIRST_BACKOFF,
            whole_seconds: true,
            told: None,
        }
    }

    /// Records a send at `now` if the window of the limit in force (and
    /// of the `configured` one, when learning lowered it) and the GCRA have
    /// room, else says how long to wait.
    pub(super) fn wait_or_send(&mut self, configured: Quota, now: Instant) -> Option<Duration> {
        let limit = self.limit;
        // Sends are kept for the configured window, which learning needs.
        let keep = configured.per + configured.margin();
        while self
            .sent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= keep)
        {
            self.sent.pop_front();
        }
        while self
            .refused
            .front()
            .is_some_and(|t| now.duration_since(*t) >= keep)
        {
            self.refused.pop_front();
        }
        // A learned quota's window may be shorter than the configured
        // one: both must hold.
        let configured = (limit != configured).then_some(configured);
        for limit in std::iter::once(limit).chain(configured) {
            let span = limit.per + limit.margin();
            // The log is in send order: the sends in the window are a suffix.
            let first_in = self
                .sent
                .partition_point(|t| now.duration_since(*t) >= span);
            let in_window = self.sent.len() - first_in;
            let requests = limit.requests as usize;
            if in_window >= requests {
                // The oldest of the last `requests` sends must leave the window.
                let oldest = self.sent[self.sent.len() - requests];
                return Some(span.saturating_sub(now.duration_since(oldest)));
            }
        }
        match self.gcra.check() {
            Err(not_until) => Some(not_until.wait_time_from(now)),
            Ok(()) => {
                self.sent.push_back(now);
                None
            }
        }
    }
}

// `Reference` is implemented for `std::time::Instant` by governor's std
// feature; this assertion keeps that dependency visible.
const _: fn() = || {
    fn is_reference<T: Reference>() {}
    is_reference::<Instant>();
};
