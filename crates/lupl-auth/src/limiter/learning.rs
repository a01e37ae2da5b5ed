//! Learning a lower quota from the server's 429s, and probing for more
//! once a lowered one has held: functions on the limiter's [`Pacing`],
//! called under its lock.

use super::pacing::{FIRST_BACKOFF, Lesson, MAX_BACKOFF, Pacing, cells};
use crate::clock::Clock;
use lupl_spec::Quota;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// [`RateLimiter::learn`](super::RateLimiter::learn) under the
/// limiter's lock, at `now`.
pub(super) fn learn(
    pacing: &mut Pacing,
    configured: Quota,
    clock: &Arc<dyn Clock>,
    now: Instant,
    retry_after: Duration,
    sent: Instant,
) -> Option<Quota> {
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
    let provisional = estimate(pacing, configured, &lesson, sends);
    pacing.lesson = Some(lesson);
    let learned = provisional.filter(|l| l.per_second() < pacing.limit.per_second() * 0.999)?;
    pacing.limit = learned;
    pacing.gcra = cells(learned, clock);
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
fn estimate(pacing: &Pacing, configured: Quota, lesson: &Lesson, sends: usize) -> Option<Quota> {
    let horizon = configured.per + configured.margin();
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
        return Some(Quota {
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
    Some(Quota {
        requests: u32::try_from(counted).unwrap_or(u32::MAX),
        per: window.max(Duration::from_secs(1)).min(configured.per),
    })
}

/// Settles a lesson once its pause is over (its answers are in): the
/// limit becomes what its answers show. A lesson that answered a probe
/// falls back to no less than the probe's start (which had worked) and
/// makes the next probe wait twice as long; one refused at a pace learned
/// by rounding to whole seconds stops that rounding. Runs under the
/// lock `admit` holds.
pub(super) fn settle(pacing: &mut Pacing, configured: Quota, clock: &Arc<dyn Clock>, now: Instant) {
    let Some(lesson) = pacing.lesson.as_ref().filter(|l| {
        l.learned_at
            .checked_add(l.retry_after)
            .is_none_or(|end| now >= end)
    }) else {
        return;
    };
    let sends = pacing.sent.partition_point(|t| *t < lesson.learned_at);
    let before = lesson.before;
    let estimate = estimate(pacing, configured, lesson, sends);
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
        if before != configured {
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
        pacing.gcra = cells(limit, clock);
    }
}

/// After a clean window in use: a lowered limit has worked (returns it
/// to tell when it is lower than any told before), and the limiter
/// probes for more, doubling its pace (never above the configured
/// quota), as congestion control does: the quota may have loosened,
/// or another client sharing the token stopped. A probe that holds a
/// window is the new limit; one refused falls back ([`settle`]).
/// Runs under the lock `admit` holds.
pub(super) fn probe(
    pacing: &mut Pacing,
    configured: Quota,
    clock: &Arc<dyn Clock>,
    now: Instant,
) -> Option<Quota> {
    let limit = pacing.limit;
    if pacing.lesson.is_some() || limit == configured {
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
    let doubled = Quota {
        requests: limit.requests.saturating_mul(2),
        per: limit.per,
    };
    let next = if doubled.per_second() >= configured.per_second() {
        configured
    } else {
        doubled
    };
    tracing::debug!(worked = %worked, probing = %next, "rate limit: probing for more");
    pacing.probe = Some(worked);
    pacing.limit = next;
    pacing.gcra = cells(next, clock);
    pacing.clean_since = now;
    tell
}
