//! The limiter against a simulated sliding-window server whose quota
//! changes (the vendor document: "subject to change"), on a manual clock:
//! one client sending as fast as its limiter lets it, each answer taking
//! 20 ms. Deterministic: the same numbers every run.

use lupl_auth::{limits::Clock, limits::ManualClock, limits::Quota, limits::RateLimiter};
use lupl_model::window::{SlidingWindow, retry_after_seconds};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// CONTRACT.md's step 2, as the model keeps it.
struct Server(SlidingWindow);

impl Server {
    fn judge(&mut self, now: Instant, quota: usize) -> Option<Duration> {
        self.0
            .admit(now, quota)
            .map(|wait| Duration::from_secs(retry_after_seconds(wait)))
    }
}

struct Outcome {
    elapsed: Duration,
    refused: usize,
    refused_after_change: usize,
    told: Vec<Quota>,
}

/// `rows` writes; the server's quota is `quota(stored)` per `window` s;
/// `other` requests per window by another client on the same quota while
/// `sharing(stored)`.
async fn simulate(
    rows: usize,
    window: u64,
    quota: impl Fn(usize) -> usize,
    change_at: usize,
    other: usize,
) -> Outcome {
    simulate_saying(rows, window, quota, change_at, other, None).await
}

/// [`simulate`] with a server whose every 429 says `retry_after` (capped
/// as the middleware caps it) instead of the truth.
async fn simulate_saying(
    rows: usize,
    window: u64,
    quota: impl Fn(usize) -> usize,
    change_at: usize,
    other: usize,
    retry_after: Option<Duration>,
) -> Outcome {
    let clock = Arc::new(ManualClock::auto());
    let told = Arc::new(Mutex::new(Vec::new()));
    let seen = told.clone();
    let limiter = RateLimiter::new(Quota::new(1000, 60), clock.clone())
        .on_learned(move |l| seen.lock().expect("lock").push(l));
    let mut server = Server(SlidingWindow::new(Duration::from_secs(window)));
    let start = clock.now();
    let (mut stored, mut refused, mut refused_after) = (0, 0, 0);
    let mut next_other = start;
    while stored < rows {
        limiter.acquire().await;
        let sent = clock.now();
        // The other client's requests up to now, evenly spread.
        if other > 0 && stored < change_at {
            let every = Duration::from_secs(window) / other as u32;
            while next_other <= sent {
                let _ = server.judge(next_other, quota(stored));
                next_other += every;
            }
        }
        match server.judge(sent, quota(stored)) {
            None => stored += 1,
            Some(truth) => {
                let retry_after = retry_after.unwrap_or(truth);
                refused += 1;
                if stored >= change_at {
                    refused_after += 1;
                }
                limiter.learn(retry_after, sent);
                limiter.pause_for(retry_after);
            }
        }
        clock.advance(Duration::from_millis(20));
    }
    Outcome {
        elapsed: clock.now().duration_since(start),
        refused,
        refused_after_change: refused_after,
        told: told.lock().expect("lock").clone(),
    }
}

/// The server's pace: `a` rows at `qa`, `b` at `qb`, per `window`.
fn pace(a: usize, qa: usize, b: usize, qb: usize, window: u64) -> f64 {
    (a as f64 / qa as f64 + b as f64 / qb as f64) * window as f64
}

fn report(name: &str, o: &Outcome, ideal: f64) -> f64 {
    let ratio = o.elapsed.as_secs_f64() / ideal;
    eprintln!(
        "{name}: {:.1} s, {ratio:.3} × pace, {} × 429 ({} after the change), told {:?}",
        o.elapsed.as_secs_f64(),
        o.refused,
        o.refused_after_change,
        o.told.iter().map(ToString::to_string).collect::<Vec<_>>()
    );
    ratio
}

/// Every limit told worked: no window at it draws a 429 from the server
/// that was in force when it was told.
fn advice_worked(told: &[Quota], allowed: &[(usize, u64)]) {
    for t in told {
        assert!(
            allowed
                .iter()
                .any(|(q, w)| t.per_second() <= *q as f64 / *w as f64 * 1.001),
            "advised {t}, above every quota the server had: {allowed:?}"
        );
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_quota_that_tightens_is_learned_and_kept() {
    let o = simulate(400, 5, |s| if s < 200 { 20 } else { 10 }, 200, 0).await;
    let ratio = report("tightens", &o, pace(200, 20, 200, 10, 5));
    advice_worked(&o.told, &[(20, 5), (10, 5)]);
    assert!(
        o.told.iter().any(|t| t.per_second() <= 2.0 * 1.001),
        "{:?}",
        o.told
    );
    assert!(ratio < 1.10, "{ratio}");
}

#[tokio::test(flavor = "current_thread")]
async fn a_quota_that_loosens_is_found_again() {
    let o = simulate(400, 5, |s| if s < 200 { 10 } else { 20 }, 200, 0).await;
    let ratio = report("loosens", &o, pace(200, 10, 200, 20, 5));
    advice_worked(&o.told, &[(10, 5), (20, 5)]);
    assert!(o.refused_after_change >= 1, "probed after the change");
    assert!(ratio < 1.10, "{ratio}");
}

#[tokio::test(flavor = "current_thread")]
async fn a_shared_quota_is_taken_back_when_the_other_client_stops() {
    let o = simulate(400, 5, |_| 20, 200, 10).await;
    let ratio = report("shared", &o, pace(200, 10, 200, 20, 5));
    advice_worked(&o.told, &[(10, 5)]);
    assert!(ratio < 1.10, "{ratio}");
}

/// A steady quota below the configured one: learned from the first 429s
/// and kept, within 6 % of the server's pace.
#[tokio::test(flavor = "current_thread")]
async fn steady_quota_few_refusals() {
    let o = simulate(400, 5, |_| 20, usize::MAX, 0).await;
    let ratio = report("steady", &o, pace(400, 20, 0, 1, 5));
    advice_worked(&o.told, &[(20, 5)]);
    assert!(ratio < 1.06, "{ratio}");
}

/// A server whose `Retry-After` is absurd (99999999999 s, capped to
/// 120 s): the first lesson is slow (20 per the configured minute), but the
/// limiter probes back up instead of keeping it for the rest of the run.
#[tokio::test(flavor = "current_thread")]
async fn an_absurd_retry_after_is_not_kept_for_the_rest_of_the_run() {
    let o = simulate_saying(
        600,
        5,
        |_| 20,
        usize::MAX,
        0,
        Some(Duration::from_secs(120)),
    )
    .await;
    let ratio = report("absurd Retry-After", &o, pace(600, 20, 0, 1, 5));
    // Kept at 20/60 the run would take 30 × the server's pace.
    assert!(ratio < 10.0, "{ratio}");
}

/// `Retry-After: 0` (the contract says at least 1) is read as 1 s: the
/// client pauses and learns, instead of drawing a 429 per request and
/// losing a row after its retries.
#[tokio::test(flavor = "current_thread")]
async fn a_retry_after_of_zero_pauses_a_second() {
    use lupl_api::Environment;
    use lupl_auth::{ClientBuilder, Credentials};
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("null", "application/json"))
        .mount(&server)
        .await;
    let clock = Arc::new(ManualClock::auto());
    let client = ClientBuilder::new(
        Environment::custom(&server.uri()).expect("env"),
        Credentials::Static("tok-learning".to_owned().into()),
    )
    .clock(clock.clone())
    .build()
    .expect("client");
    let pms = lupl_api::uuid::uuid!("4efafdc0-2783-4af6-9cac-d2b2be27a080");
    let answer = client.get_provider_config().pms_id(pms).send().await;
    assert!(matches!(answer, Ok(None)), "{answer:?}");
    let paused: Vec<Duration> = clock
        .sleeps()
        .into_iter()
        .filter(|d| *d >= Duration::from_secs(1))
        .collect();
    assert_eq!(
        paused.len(),
        2,
        "a pause of at least 1 s per 429: {:?}",
        clock.sleeps()
    );
}
