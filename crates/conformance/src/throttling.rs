//! The throttling phase: identity 0 is driven past its quota and the
//! answers are judged against the harness's own log of what it sent.
//!
//! Each send is logged with the instants it left and its answer arrived;
//! the server counted it somewhere in between. So for every answer the log
//! bounds how many counted requests the server can have had in its window:
//! a 429 is too early if even the latest reading has fewer than the quota,
//! a 200 too late if even the earliest has the quota. `Retry-After` must
//! fall in the range the same bounds give for "until the oldest counted
//! request leaves the window, rounded up, at least 1". While throttled the
//! harness keeps asking (those 429s must not count), sends requests that
//! fail earlier or later steps too (the order of checks), and at
//! `Retry-After` (or, when the log cannot yet tell, the moment it says the
//! oldest counted request has surely left) it must be served again.

use crate::harness::Harness;
use crate::outcome::{Failure, Report, Reproduced, first_breaks};
use crate::record::{Exchange, Phase};
use crate::transport::{Sent, Unsent};
use conformance_core::cases::{
    Body, Content, IdForm, Media, Op, Query, Route, Shape, Step, Who, Whose,
};
use conformance_core::checks::{Check, Finding};
use conformance_core::clauses::{Clause, Polarity};
use conformance_core::oracle::{self, CaseState, Planning};
use lupl_auth::limits::Quota;
use serde_json::json;
use std::time::{Duration, Instant};

impl Harness {
    /// Runs the throttling phase with the policy `quota`; blocking.
    pub fn run_throttling(&self, quota: Quota, handle: &tokio::runtime::Handle) -> Report {
        let start = Instant::now();
        let requests = self.requests();
        // The phase must spend a whole quota: it is asked for on top of
        // the run's budget (`--check-throttling` says so).
        self.transport.set_budget(None);
        let run = handle.block_on(run(self, quota));
        let mut report = Report {
            cases: 1,
            notes: run.notes,
            ..Report::default()
        };
        for e in &run.exchanges {
            if let Some(step) = &e.step {
                report.coverage.record(step.op, &e.findings);
            }
        }
        for (clause, original) in first_breaks(&run.exchanges) {
            report.failures.push(Failure {
                clause,
                label: "throttling".into(),
                original,
                shrunk: None,
                reproduced: Reproduced::NotTried(
                    "the throttling phase spends a whole quota; it is not run twice".into(),
                ),
            });
        }
        report.requests = self.requests() - requests;
        report.elapsed = start.elapsed();
        report.interrupted = self.is_cancelled();
        report
    }
}

/// Throttled requests sent late in the full window, at most (fewer when
/// the quota is smaller): enough that a server counting them is still
/// full when a place frees, whatever the scheduling delay.
const LATE_429S: usize = 16;

/// What the phase did.
#[derive(Debug, Default)]
struct ThrottleRun {
    /// Every exchange, judged.
    pub exchanges: Vec<Exchange>,
    /// Why the phase could not judge something (not a failure).
    pub notes: Vec<String>,
}

fn step(op: Op, who: Who, whose: Whose, shape: Shape) -> Step {
    Step {
        op,
        who,
        whose,
        route: Route::Canonical,
        shape,
    }
}

fn get(op: Op, who: Who, whose: Whose, query: Query) -> Step {
    step(op, who, whose, Shape::Get(query))
}

fn valid_query() -> Query {
    Query::Id {
        form: IdForm::Lower,
        name_case: 0,
    }
}

fn post(op: Op, who: Who, whose: Whose, media: Media) -> Step {
    let content = match op {
        Op::SetProvider => Content::Provider {
            config: json!({}),
            cases: Vec::new(),
        },
        _ => Content::Organization {
            seed: 0,
            cases: Vec::new(),
        },
    };
    step(
        op,
        who,
        whose,
        Shape::Post(
            media,
            Body::Object {
                ids: IdForm::Lower,
                edits: Vec::new(),
                content,
            },
        ),
    )
}

/// The requests that drive the quota: every operation, answered 200, 400,
/// 403 and 415 (all of them count).
fn driving() -> Vec<Step> {
    let me = Who::Identity(0);
    let text = || Media::NotJson("text/plain".into());
    vec![
        get(Op::GetProvider, me, Whose::Own, valid_query()),
        get(Op::GetOrganization, me, Whose::Own, valid_query()),
        get(
            Op::GetProvider,
            me,
            Whose::Own,
            Query::Malformed("asdf".into()),
        ),
        get(Op::GetOrganization, me, Whose::Nobody, valid_query()),
        post(Op::SetProvider, me, Whose::Own, text()),
        post(Op::SetOrganization, me, Whose::Nobody, text()),
        get(Op::GetOrganization, me, Whose::Own, Query::Missing),
        post(Op::SetOrganization, me, Whose::Own, text()),
    ]
}

/// Requests while throttled: each later step of the order of checks on
/// every operation, and an unauthenticated one.
fn probes(identities: usize) -> Vec<Step> {
    let me = Who::Identity(0);
    let mut out = Vec::new();
    for op in Op::ALL {
        if op.is_post() {
            out.push(post(
                op,
                Who::OtherScheme,
                Whose::Own,
                Media::Json("application/json".into()),
            ));
            out.push(post(
                op,
                me,
                Whose::Own,
                Media::NotJson("text/plain".into()),
            ));
            let mut broken = post(op, me, Whose::Own, Media::Json("application/json".into()));
            if let Shape::Post(_, body) = &mut broken.shape {
                *body = Body::Empty;
            }
            out.push(broken);
            out.push(post(
                op,
                me,
                Whose::Nobody,
                Media::Json("application/json".into()),
            ));
        } else {
            out.push(get(op, Who::OtherScheme, Whose::Own, valid_query()));
            out.push(get(op, me, Whose::Own, Query::Malformed("asdf".into())));
            out.push(get(op, me, Whose::Nobody, valid_query()));
            if identities > 1 {
                out.push(get(op, Who::Identity(1), Whose::Own, valid_query()));
            }
        }
    }
    out
}

/// Identity 0's requests that the server counted (authenticated, not
/// answered 429), among the first `before` of the log.
fn counted(log: &[Sent], before: usize) -> Vec<Sent> {
    log[..before.min(log.len())]
        .iter()
        .filter(|s| s.identity == Some(0) && !matches!(s.status, 0 | 401 | 429))
        .copied()
        .collect()
}

/// Bounds on how many counted requests the server had in its window when a
/// request sent at `started` and answered at `finished` arrived.
struct Window {
    at_least: usize,
    at_most: usize,
}

fn window(log: &[Sent], before: usize, started: Instant, finished: Instant, w: Duration) -> Window {
    let counted = counted(log, before);
    // The server saw request i at some point of [i.started, i.finished],
    // and this one at some point of [started, finished].
    let at_least = counted
        .iter()
        .filter(|s| finished.checked_sub(w).is_none_or(|edge| s.started > edge))
        .count();
    let at_most = counted
        .iter()
        .filter(|s| started.checked_sub(w).is_none_or(|edge| s.finished > edge))
        .count();
    Window { at_least, at_most }
}

/// The range of whole seconds `Retry-After` may say, for a 429 answered
/// between `started` and `finished` while `oldest` was the oldest counted
/// request in the window.
fn retry_after_range(
    oldest: &Sent,
    started: Instant,
    finished: Instant,
    w: Duration,
) -> (u64, u64) {
    let secs = |d: Duration| d.as_secs() + u64::from(d.subsec_nanos() > 0);
    let least = w.saturating_sub(finished.saturating_duration_since(oldest.started));
    let most = w.saturating_sub(started.saturating_duration_since(oldest.finished));
    (secs(least).max(1), secs(most).max(1))
}

/// The counted request whose leaving frees a place: the `quota`th latest.
fn oldest_counted(log: &[Sent], before: usize, quota: usize) -> Option<Sent> {
    let counted = counted(log, before);
    counted.len().checked_sub(quota).map(|i| counted[i])
}

/// Runs the phase with the policy `quota` (the harness's `--rate-limit`).
async fn run(harness: &Harness, quota: Quota) -> ThrottleRun {
    let mut out = ThrottleRun::default();
    let w = quota.per;
    let q = quota.requests as usize;
    let identities = harness.target().tenants.identities.len();
    let state = CaseState::new(identities);
    // Start from an empty window, so that the quota is reached by this
    // phase's own requests and stays reached for most of a window.
    if let Some(last) = counted(&harness.log(), usize::MAX).last()
        && !harness
            .transport
            .sleep((last.finished + w).saturating_duration_since(Instant::now()))
            .await
    {
        return out;
    }
    let drive = driving();
    let mut first_429: Option<(Instant, u64)> = None;
    // A target slower than the quota (or with a larger one) is not
    // driven for ever: three windows, then the log says what was reached.
    let give_up = Instant::now() + 3 * w;
    for n in 0..q + 50 {
        if harness.is_cancelled() {
            return out;
        }
        if Instant::now() > give_up {
            break;
        }
        let s = &drive[n % drive.len()];
        let Some(e) = judged(harness, s, &state, q, w, Clause::ThrottleWindow).await else {
            out.notes
                .push("a driving request could not be planned".into());
            return out;
        };
        if let (None, Some(v)) = (&first_429, e.retry_after) {
            first_429 = Some((e.finished, v));
        }
        let no_answer = e.exchange.response.is_err();
        out.exchanges.push(e.exchange);
        if no_answer {
            out.notes
                .push("the target stopped answering while the quota was driven".into());
            return out;
        }
        if first_429.is_some() {
            break;
        }
    }
    let Some((answered, retry_after)) = first_429 else {
        // A served request the log says was over the quota is already a
        // finding; otherwise the harness never reached the quota.
        let log = harness.log();
        let most = (0..log.len())
            .map(|i| window(&log, i, log[i].started, log[i].finished, w).at_most)
            .max()
            .unwrap_or(0);
        if most < q {
            out.notes.push(format!(
                "the quota was never reached: at most {most} counted requests fell in one {}-second window (sent one at a time, the harness is slower than the quota); the throttling clauses were not judged",
                w.as_secs()
            ));
        }
        return out;
    };
    // Keep asking while throttled, at once (the window is surely full
    // right after the first 429): each later step of the order of checks on
    // every operation, and another token.
    let log = harness.log();
    let full_until = oldest_counted(&log, log.len(), q)
        .map(|o| o.started + w)
        .unwrap_or(answered);
    for p in &probes(identities) {
        if harness.is_cancelled() {
            return out;
        }
        if Instant::now() >= full_until {
            out.notes.push(
                "the window did not stay full long enough for every probe of the order of checks"
                    .into(),
            );
            break;
        }
        if let Some(e) = judged(harness, p, &state, q, w, Clause::ThrottleWindow).await {
            out.exchanges.push(e.exchange);
        }
    }
    // Requests answered 429 must not count. Late in the full window,
    // identity 0 keeps asking: a server that counted those 429s still
    // holds them when the window frees a place, so it refuses the request
    // that the log says must be served.
    let slowest = harness
        .log()
        .iter()
        .map(|s| s.finished.duration_since(s.started))
        .max()
        .unwrap_or_default();
    let last_at = full_until.checked_sub(2 * slowest + Duration::from_millis(50));
    let first_at = answered + full_until.saturating_duration_since(answered) / 2;
    let late = q.min(LATE_429S);
    let mut sent_late = 0;
    if let Some(last_at) = last_at.filter(|l| *l > first_at.max(Instant::now())) {
        let first_at = first_at.max(Instant::now());
        let step = (last_at - first_at) / u32::try_from(late).unwrap_or(1).max(1);
        let again = get(Op::GetProvider, Who::Identity(0), Whose::Own, valid_query());
        for k in 0..late {
            let at = first_at + step * u32::try_from(k).unwrap_or(0);
            if !harness
                .transport
                .sleep(at.saturating_duration_since(Instant::now()))
                .await
            {
                return out;
            }
            if Instant::now() >= last_at {
                break;
            }
            if let Some(e) = judged(harness, &again, &state, q, w, Clause::ThrottleWindow).await {
                out.exchanges.push(e.exchange);
                sent_late += 1;
            }
        }
    }
    if sent_late == 0 {
        out.notes.push(
            "the window did not stay full long enough to ask again while throttled; that 429s do not count was judged at Retry-After only"
                .into(),
        );
    }
    // At Retry-After, and once the log says the oldest counted request
    // has surely left: a place is free, and the 429s sent meanwhile must
    // not have taken it. A Retry-After longer than any tool waits (its
    // finding is already made) is not obeyed.
    let wait = Duration::from_secs(retry_after);
    if wait > lupl_api::RetryAfter::MAX_WAIT {
        out.notes.push(format!(
            "Retry-After: {retry_after} is longer than the harness waits ({} s); recovery after it was not checked",
            lupl_api::RetryAfter::MAX_WAIT.as_secs()
        ));
        return out;
    }
    let log = harness.log();
    let freed = oldest_counted(&log, log.len(), q)
        .map_or(answered, |o| o.finished + w + Duration::from_millis(1));
    let deadline = (answered + wait).max(freed);
    if !harness
        .transport
        .sleep(deadline.saturating_duration_since(Instant::now()))
        .await
    {
        return out;
    }
    let recovery = get(Op::GetProvider, Who::Identity(0), Whose::Own, valid_query());
    if let Some(e) = judged(harness, &recovery, &state, q, w, Clause::ThrottleNotCounted).await {
        out.exchanges.push(e.exchange);
    }
    out
}

/// A judged exchange of the phase, with what the rest of the phase needs.
struct Judged {
    exchange: Exchange,
    finished: Instant,
    retry_after: Option<u64>,
}

/// Sends a step and judges the answer by the log: a 429 where the log says
/// identity 0's quota was surely reached, none where it surely was not,
/// either where the log cannot tell. A 429 the log cannot explain breaks
/// `early` (the window, or the 429s counted).
async fn judged(
    harness: &Harness,
    s: &Step,
    state: &CaseState,
    q: usize,
    w: Duration,
    early: Clause,
) -> Option<Judged> {
    let Planning::Ready(free) = oracle::plan(s, &harness.target().tenants, state) else {
        return None;
    };
    let mut throttled_state = state.clone();
    throttled_state.throttled[0] = true;
    let Planning::Ready(throttled) = oracle::plan(s, &harness.target().tenants, &throttled_state)
    else {
        return None;
    };
    let label = "throttling";
    let result = harness
        .transport
        .send(&free.request, Phase::Throttling, 0, label)
        .await;
    let (response, (started, finished)) = match result {
        Ok(r) => r,
        // The phase lifts the budget; were one set, nothing is judged.
        Err(Unsent::OverBudget) => return None,
        Err(Unsent::NoAnswer(e)) => {
            let now = Instant::now();
            let response = Err(e);
            let exchange = Exchange {
                phase: Phase::Throttling,
                case: 0,
                label: label.into(),
                step: Some(s.clone()),
                request: free.request.clone(),
                findings: harness.pipeline.judge(s.op, &free.expected, &response),
                response,
                expected: Some(free.expected.clone()),
                at: harness.transport.clock(now),
                millis: 0.0,
                model: None,
            };
            harness.transport.record(exchange.clone());
            return Some(Judged {
                exchange,
                finished: now,
                retry_after: None,
            });
        }
    };
    let log = harness.log();
    let before = log.len().saturating_sub(1);
    let win = window(&log, before, started, finished, w);
    let oldest = oldest_counted(&log, before, q);
    let carries_0 = matches!(s.who, Who::Identity(0) | Who::OtherScheme);
    let bearer_0 = matches!(s.who, Who::Identity(0));
    let is_429 = response.status == 429;
    let surely_full = win.at_least >= q;
    let planned = if carries_0 && (is_429 || (surely_full && !bearer_0)) {
        &throttled
    } else {
        &free
    };
    let mut findings = harness
        .pipeline
        .judge_answer(s.op, &planned.expected, &response);
    if bearer_0 {
        if is_429 {
            findings.push(Finding::new(
                early,
                Check::Quota,
                Polarity::Negative,
                win.at_most >= q,
                || {
                    format!(
                        "429 after at most {} counted requests in the last {} s; the quota is {q}",
                        win.at_most,
                        w.as_secs()
                    )
                },
            ));
        } else {
            if early != Clause::ThrottleWindow {
                findings.push(Finding::held(early, Check::Quota, Polarity::Negative));
            }
            findings.push(Finding::new(
                Clause::ThrottleWindow,
                Check::Quota,
                Polarity::Negative,
                !surely_full,
                || {
                    format!(
                        "served although at least {} counted requests fell in the last {} s; the quota is {q}",
                        win.at_least,
                        w.as_secs()
                    )
                },
            ));
        }
    }
    if matches!(s.who, Who::Identity(i) if i > 0) {
        findings.retain(|f| f.check != Check::Status);
        findings.push(Finding::new(
            Clause::ThrottlePerToken,
            Check::Status,
            Polarity::Positive,
            response.status != 429,
            || "another token was throttled along with identity 0's".to_owned(),
        ));
    }
    let mut e = Exchange {
        phase: Phase::Throttling,
        case: 0,
        label: label.into(),
        step: Some(s.clone()),
        request: free.request.clone(),
        response: Ok(response),
        expected: Some(planned.expected.clone()),
        findings,
        at: harness.transport.clock(started),
        millis: finished.duration_since(started).as_secs_f64() * 1e3,
        model: None,
    };
    let retry_after = if is_429 && bearer_0 {
        retry_after_findings(&mut e, oldest.as_ref(), (started, finished), w)
    } else {
        None
    };
    harness.transport.record(e.clone());
    Some(Judged {
        exchange: e,
        finished,
        retry_after,
    })
}

/// Judges a 429's `Retry-After` and body; returns its value in seconds.
fn retry_after_findings(
    e: &mut Exchange,
    oldest: Option<&Sent>,
    (started, finished): (Instant, Instant),
    w: Duration,
) -> Option<u64> {
    let Ok(r) = e.response.clone() else {
        return None;
    };
    if r.status != 429 {
        return None;
    }
    let header = r.header("retry-after").map(str::to_owned);
    let value: Option<u64> = header.as_deref().and_then(|v| v.trim().parse().ok());
    match (value, oldest) {
        (Some(v), Some(o)) => {
            let (least, most) = retry_after_range(o, started, finished, w);
            e.findings.push(Finding::new(
                Clause::ThrottleRetryAfter,
                Check::RetryAfter,
                Polarity::Negative,
                (least..=most).contains(&v),
                || {
                    format!(
                        "Retry-After: {v}, but the oldest counted request leaves the window in {least}–{most} s (rounded up, at least 1)"
                    )
                },
            ));
        }
        (None, _) => e.findings.push(Finding::broke(
            Clause::ThrottleRetryAfter,
            Check::RetryAfter,
            Polarity::Negative,
            format!("Retry-After {header:?} is not a whole number of seconds"),
        )),
        (Some(_), None) => {}
    }
    let body: Option<serde_json::Value> = serde_json::from_slice(&r.body).ok();
    let want_message = value.map(|v| format!("Rate limit is exceeded. Try again in {v} seconds."));
    let ok = body.as_ref().is_some_and(|b| {
        b.get("statusCode").and_then(serde_json::Value::as_u64) == Some(429)
            && want_message
                .as_deref()
                .is_none_or(|m| b.get("message").and_then(serde_json::Value::as_str) == Some(m))
    });
    e.findings.push(Finding::new(
        Clause::ThrottleBody,
        Check::ThrottleBody,
        Polarity::Negative,
        ok,
        || {
            format!(
                "429 body {}, expected {{\"statusCode\": 429, \"message\": {:?}}}",
                String::from_utf8_lossy(&r.body),
                want_message.clone().unwrap_or_default()
            )
        },
    ));
    value
}
