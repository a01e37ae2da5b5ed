//! The throttling phase against doubles with a sliding window of their own
//! (10 requests per 3 s, in front of a model that never throttles), each
//! with one mistake; a correct one must pass. And a live-style run against
//! a model with a small quota that the harness does not know about: its
//! 429s are waited out, the restore included, and nothing is reported.

mod common;

use common::*;
use conformance::{Clause, Harness, Options, Target};
use lupl_auth::limits::Quota;
use lupl_model::{Fixture, Model, ModelRequest, ModelResponse};
use serde_json::json;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const QUOTA: usize = 10;
const WINDOW: Duration = Duration::from_secs(3);

/// One mistake of a throttle.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mistake {
    None,
    /// `Retry-After` one second too long.
    RetryAfterPlusOne,
    /// Requests answered 429 count.
    Counts429s,
    /// Two more requests than the quota.
    QuotaTooLarge,
    /// Three fewer.
    QuotaTooSmall,
    /// The body lacks `statusCode`.
    WrongBody,
    /// One window for every token.
    Global,
    /// A token under another scheme is throttled too (429 before 401).
    BeforeAuthentication,
}

struct Throttle {
    mistake: Mistake,
    windows: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl Throttle {
    fn new(mistake: Mistake) -> Self {
        Self {
            mistake,
            windows: Mutex::default(),
        }
    }

    /// The token a request carries, as this throttle reads it.
    fn token(&self, req: &ModelRequest) -> Option<String> {
        let header = String::from_utf8_lossy(req.header("authorization")?).into_owned();
        let (scheme, credential) = header.split_once(' ')?;
        if scheme == "Bearer" {
            return Some(credential.to_owned());
        }
        if self.mistake == Mistake::BeforeAuthentication && scheme == "Basic" {
            use base64::Engine;
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(credential)
                .ok()?;
            return Some(
                String::from_utf8_lossy(&decoded)
                    .trim_end_matches(':')
                    .to_owned(),
            );
        }
        None
    }

    fn handle(&self, model: &Model, req: &ModelRequest) -> ModelResponse {
        let known = ["tok-acme", "tok-other"];
        let Some(token) = self.token(req).filter(|t| known.contains(&t.as_str())) else {
            return model.handle(req);
        };
        let key = if self.mistake == Mistake::Global {
            "all".to_owned()
        } else {
            token
        };
        let quota = match self.mistake {
            Mistake::QuotaTooLarge => QUOTA + 2,
            Mistake::QuotaTooSmall => QUOTA - 3,
            _ => QUOTA,
        };
        let now = Instant::now();
        let mut windows = self.windows.lock().expect("lock");
        let window = windows.entry(key).or_default();
        while window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            window.pop_front();
        }
        if window.len() >= quota {
            let oldest = window.front().copied().unwrap_or(now);
            let left = WINDOW.saturating_sub(now.duration_since(oldest));
            let mut secs = (left.as_secs() + u64::from(left.subsec_nanos() > 0)).max(1);
            if self.mistake == Mistake::RetryAfterPlusOne {
                secs += 1;
            }
            if self.mistake == Mistake::Counts429s {
                window.push_back(now);
            }
            let body = if self.mistake == Mistake::WrongBody {
                json!({"message": format!("Rate limit is exceeded. Try again in {secs} seconds.")})
            } else {
                json!({"statusCode": 429,
                       "message": format!("Rate limit is exceeded. Try again in {secs} seconds.")})
            };
            return ModelResponse {
                status: 429,
                headers: vec![
                    ("Content-Type".into(), lupl_model::JSON.into()),
                    ("Retry-After".into(), secs.to_string()),
                ],
                body: body.to_string().into_bytes(),
            };
        }
        let answer = model.handle(req);
        if answer.status != 401 {
            window.push_back(now);
        }
        answer
    }
}

/// The throttling phase alone against a double with `mistake`.
async fn throttling_against(mistake: Mistake) -> conformance::Report {
    let throttle = Arc::new(Throttle::new(mistake));
    let sandbox = serve(
        fixture(),
        Arc::new(move |m: &Model, r: &ModelRequest| throttle.handle(m, r)),
    )
    .await;
    let target = target_at(&sandbox, &fixture(), false);
    let harness = Arc::new(Harness::new(target).await.expect("harness"));
    phase(harness, Quota::new(QUOTA as u32, WINDOW.as_secs())).await
}

/// The throttling phase of `harness` with the policy `quota`.
async fn phase(harness: Arc<Harness>, quota: Quota) -> conformance::Report {
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || harness.run_throttling(quota, &handle))
        .await
        .expect("run")
}

/// Stopped (Ctrl-C, SIGTERM) before or during the phase: the report says
/// the run is incomplete, never that every clause held.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_throttling_phase_is_incomplete() {
    let (harness, _sandbox) = harness_on(Arc::new(untouched), false).await;
    harness.cancel_token().cancel();
    let report = phase(harness, Quota::new(QUOTA as u32, WINDOW.as_secs())).await;
    assert!(report.interrupted);
    assert!(!report.passed());
}

/// A target that does not throttle at the stated quota (or cannot be
/// driven that fast) is driven for three windows, not for ever: the phase
/// ends, says the quota was never reached, and reports nothing broken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quota_never_reached_ends_the_phase_with_a_note() {
    let (harness, _sandbox) = harness_on(Arc::new(untouched), false).await;
    let report = phase(harness, Quota::new(100_000_000, 1)).await;
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
    assert!(
        report.notes.iter().any(|n| n.contains("never reached")),
        "{:?}",
        report.notes
    );
    assert!(report.requests < 100_000_000, "{}", report.requests);
}

macro_rules! throttle_fault {
    ($name:ident, $mistake:expr, $clause:expr) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let report = throttling_against($mistake).await;
            let broken: Vec<Clause> = report.failures.iter().map(|f| f.clause).collect();
            assert!(
                report.broke($clause),
                "{} not reported; reported {broken:?}; notes {:?}",
                $clause,
                report.notes
            );
        }
    };
}

throttle_fault!(
    retry_after_too_long,
    Mistake::RetryAfterPlusOne,
    Clause::ThrottleRetryAfter
);
throttle_fault!(
    throttled_requests_counted,
    Mistake::Counts429s,
    Clause::ThrottleNotCounted
);
throttle_fault!(
    a_larger_quota,
    Mistake::QuotaTooLarge,
    Clause::ThrottleWindow
);
throttle_fault!(
    a_smaller_quota,
    Mistake::QuotaTooSmall,
    Clause::ThrottleWindow
);
throttle_fault!(
    a_body_without_status_code,
    Mistake::WrongBody,
    Clause::ThrottleBody
);
throttle_fault!(
    one_window_for_all_tokens,
    Mistake::Global,
    Clause::ThrottlePerToken
);
throttle_fault!(
    throttled_before_authentication,
    Mistake::BeforeAuthentication,
    Clause::Order12
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_correct_throttle_passes_and_every_throttling_clause_is_exercised() {
    let report = throttling_against(Mistake::None).await;
    assert!(report.passed(), "{:#?}", report.failures);
    assert!(report.notes.is_empty(), "{:?}", report.notes);
    for clause in [
        Clause::ThrottleWindow,
        Clause::ThrottleNotCounted,
        Clause::ThrottleRetryAfter,
        Clause::ThrottleBody,
        Clause::ThrottlePerToken,
        Clause::Order12,
        Clause::Order23,
        Clause::Order24,
        Clause::Order25,
    ] {
        assert!(
            report.coverage.exercised(clause),
            "{clause}: {:?}",
            report.coverage.missing(clause)
        );
    }
}

/// The report: a correct target with a small quota, a harness
/// that paces for 1000/60. Every 429 outside the throttling phase is waited
/// out, the throttling phase (told the quota) passes, and the restore
/// after it — into a full window — waits too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_quota_is_waited_out_and_the_restore_works() {
    let mut fixture = Fixture::builtin();
    fixture.rate_limit = lupl_model::Quota::new(10, 3);
    // Both tenants start configured, so the restore has work to do.
    let acme = lupl_spec::Spec::workspace()
        .schema_example("ProviderConfiguration")
        .cloned()
        .expect("example");
    for i in 0..2 {
        fixture.providers[i].config = acme.clone().into();
        fixture.organizations[i].config = json!({
            "organizationId": fixture.organizations[i].organization_id,
            "pmsId": fixture.providers[i].pms_id,
            "fields": {"region": "eu"}})
        .into();
    }
    let before = fixture.clone();
    let sandbox = serve(fixture.clone(), Arc::new(untouched)).await;
    let target = Target::custom(
        sandbox.base_url(),
        Target::identities_of(&fixture),
        Quota::default(),
        true,
    )
    .expect("target");
    let harness = Arc::new(Harness::new(target).await.expect("harness"));
    let worker = harness.clone();
    let handle = tokio::runtime::Handle::current();
    let options = Options {
        max_requests: Some(40),
        ..quick(5)
    };
    let mut report = tokio::task::spawn_blocking(move || {
        let mut report = worker.run_blocking(&options, &handle);
        report.merge(worker.run_throttling(Quota::new(10, 3), &handle));
        report
    })
    .await
    .expect("run");
    report.restore = harness.restore().await;
    assert!(
        report.passed(),
        "{:#?}\n{:?}",
        report.failures,
        report.restore
    );
    // Not a failure, but said: the quota is lower than the harness paced for.
    assert!(
        !report.notes.is_empty()
            && report
                .notes
                .iter()
                .all(|n| n.contains("quota may be lower")),
        "{:?}",
        report.notes
    );
    for r in &report.restore {
        assert!(
            matches!(
                r,
                conformance::outcome::RestoreOutcome::Restored(_)
                    | conformance::outcome::RestoreOutcome::Unchanged(_)
            ),
            "{r:?}"
        );
    }
    let after = sandbox.model().snapshot();
    assert_eq!(after.providers, before.providers);
    assert_eq!(after.organizations, before.organizations);
}
