//! The client-side limiter against the model's sliding-window throttle: at a
//! small quota, sending as fast as the limiter allows never draws a 429.

use lupl_api::Environment;
use lupl_auth::{
    ClientBuilder, Credentials, limits::Quota, limits::RateLimiter, limits::RetryPolicy,
};
use lupl_model::{Fixture, Sandbox};
use std::sync::Arc;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_429_from_the_model_at_20_per_second() {
    let mut fixture = Fixture::builtin();
    fixture.rate_limit = Quota::new(20, 1);
    let sandbox = Sandbox::start_with(fixture).await.expect("sandbox");
    let client = ClientBuilder::new(
        Environment::custom(sandbox.base_url()).expect("env"),
        Credentials::Static("tok-acme".to_owned().into()),
    )
    .rate_limit(Quota::new(20, 1))
    // No retries: a 429 would surface as an error.
    .retry(RetryPolicy {
        max_retries: 0,
        ..RetryPolicy::default()
    })
    .build()
    .expect("client");
    let pms: lupl_api::uuid::Uuid = "4efafdc0-2783-4af6-9cac-d2b2be27a080"
        .parse()
        .expect("uuid");
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                for _ in 0..8 {
                    client.get_provider_config().pms_id(pms).send().await?;
                }
                Ok::<_, lupl_api::Error>(())
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("task").expect("no 429");
    }
}

#[test]
fn the_limits_arithmetic() {
    let documented = Quota::default();
    assert_eq!((documented.requests, documented.per.as_secs()), (1000, 60));
    assert_eq!(documented.burst(), 10);
    assert_eq!(Quota::new(20, 1).burst(), 2);
    assert_eq!(Quota::new(1, 1).burst(), 1);
    assert_eq!("100/1".parse(), Ok(Quota::new(100, 1)));
    assert!("0/60".parse::<Quota>().is_err());
    assert!("1000".parse::<Quota>().is_err());
    assert!("a/b".parse::<Quota>().is_err());
}

#[tokio::test]
async fn the_window_log_never_admits_more_than_the_quota() {
    // Virtual time: whatever the GCRA allows, no `per + margin` window
    // holds more than `requests` admissions.
    let clock = Arc::new(lupl_auth::limits::ManualClock::auto());
    let limit = Quota::new(50, 1);
    let limiter = RateLimiter::new(limit, clock.clone());
    let mut admitted = Vec::new();
    for _ in 0..500 {
        limiter.acquire().await;
        admitted.push(lupl_auth::limits::Clock::now(&*clock));
    }
    let span = limit.per + limit.margin();
    for (i, t) in admitted.iter().enumerate() {
        let in_window = admitted[i..]
            .iter()
            .take_while(|u| u.duration_since(*t) < span)
            .count();
        assert!(in_window <= 50, "{in_window} admissions within {span:?}");
    }
    // And it does not starve: 500 requests take about 10 windows.
    let total = admitted[499].duration_since(admitted[0]);
    assert!(total < span * 11, "{total:?}");
}

/// Limits at the edges of `Quota::new` (whose fields are public, so
/// `parse`'s checks do not guard them): 0 requests is read as 1, not as no
/// limit; a rate above 10^9 per second is not slowed to 1 per second.
#[tokio::test]
async fn zero_requests_is_one_and_a_huge_rate_is_not_throttled() {
    let clock = Arc::new(lupl_auth::limits::ManualClock::auto());
    let zero = RateLimiter::new(Quota::new(0, 1), clock.clone());
    assert_eq!(zero.limit().requests, 1);
    let start = lupl_auth::limits::Clock::now(&*clock);
    zero.acquire().await;
    zero.acquire().await;
    let waited = lupl_auth::limits::Clock::now(&*clock).duration_since(start);
    assert!(waited >= Duration::from_secs(1), "waited {waited:?}");

    let huge = RateLimiter::new(Quota::new(u32::MAX, 1), clock.clone());
    let start = lupl_auth::limits::Clock::now(&*clock);
    for _ in 0..1000 {
        huge.acquire().await;
    }
    let waited = lupl_auth::limits::Clock::now(&*clock).duration_since(start);
    assert!(waited < Duration::from_millis(10), "waited {waited:?}");
}

/// A server whose quota is lower than the client's (10 per 2 s against the
/// documented 1000 per 60 s): the first 429 teaches the client the server's
/// pace; once that pace has held a whole window it is told, once, and never
/// above what the server allows; at most one 429 to learn and one for a
/// probe above it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lower_server_quota_is_learned_from_its_429s() {
    use lupl_model::http_server::Handler;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let mut fixture = Fixture::builtin();
    fixture.rate_limit = Quota::new(10, 2);
    let throttled = Arc::new(AtomicUsize::new(0));
    let counted = throttled.clone();
    let sandbox = Sandbox::start_with_handler(fixture, move |model| -> Handler {
        Arc::new(move |request| {
            let answer = model.handle(request);
            if answer.status == 429 {
                counted.fetch_add(1, Ordering::SeqCst);
            }
            answer
        })
    })
    .await
    .expect("sandbox");
    let learned = Arc::new(std::sync::Mutex::new(Vec::new()));
    let told = learned.clone();
    let client = ClientBuilder::new(
        Environment::custom(sandbox.base_url()).expect("env"),
        Credentials::Static("tok-acme".to_owned().into()),
    )
    .on_limit_learned(move |limit| told.lock().expect("lock").push(limit))
    .build()
    .expect("client");
    let pms = lupl_api::uuid::uuid!("4efafdc0-2783-4af6-9cac-d2b2be27a080");
    for _ in 0..30 {
        client
            .get_provider_config()
            .pms_id(pms)
            .send()
            .await
            .expect("answered, after waiting if need be");
    }
    let learned = learned.lock().expect("lock").clone();
    assert_eq!(learned.len(), 1, "told once: {learned:?}");
    assert!(learned[0].requests <= 10, "{}", learned[0]);
    assert!(
        learned[0].per_second() <= 5.0 * 1.001,
        "never faster than the server's 10/2: {}",
        learned[0]
    );
    let throttled = throttled.load(Ordering::SeqCst);
    assert!(throttled <= 3, "{throttled} answers of 429");
}

/// Concurrent requests reach the server out of send order: a server
/// allowing 4 per second refuses the 4th request sent (the 5th overtook
/// it) and the 6th to 8th. The first 429 alone suggests 3; the lesson
/// settled after the pause, from every answer of the burst, is 4 per
/// second, told once.
#[tokio::test(flavor = "current_thread")]
async fn a_burst_answered_out_of_order_is_settled_from_all_its_answers() {
    use lupl_auth::{limits::Clock, limits::ManualClock};
    let clock = Arc::new(ManualClock::auto());
    let told = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = told.clone();
    let limiter = RateLimiter::new(Quota::new(1000, 60), clock.clone())
        .on_learned(move |l| seen.lock().expect("lock").push(l));
    let mut sent = Vec::new();
    for _ in 0..8 {
        limiter.acquire().await;
        sent.push(clock.now());
        clock.advance(Duration::from_millis(1));
    }
    let second = Duration::from_secs(1);
    let provisional = limiter.learn(second, sent[3]).expect("a first estimate");
    assert_eq!(provisional, Quota::new(3, 1), "by send order alone");
    for refused in &sent[5..] {
        assert_eq!(limiter.learn(second, *refused), None, "the same burst");
    }
    assert!(told.lock().expect("lock").is_empty(), "told once settled");
    limiter.pause_for(second);
    limiter.acquire().await;
    limiter.acquire().await;
    assert_eq!(limiter.limit(), Quota::new(4, 1));
    assert!(told.lock().expect("lock").is_empty(), "told once it worked");
    // A whole window at that pace without a 429: it worked, and is told.
    for _ in 0..8 {
        limiter.acquire().await;
    }
    assert_eq!(*told.lock().expect("lock"), vec![Quota::new(4, 1)]);
}

/// A server's `Retry-After` of u64::MAX seconds: the pause is capped, the
/// lesson learned from the capped wait, and no later request panics.
#[tokio::test(flavor = "current_thread")]
async fn a_huge_retry_after_is_capped_and_panics_nothing() {
    use lupl_auth::limits::ManualClock;
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(429).insert_header("Retry-After", "18446744073709551615"),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("null", "application/json"))
        .mount(&server)
        .await;
    let clock = Arc::new(ManualClock::auto());
    let client = ClientBuilder::new(
        Environment::custom(&server.uri()).expect("env"),
        Credentials::Static("tok".to_owned().into()),
    )
    .clock(clock)
    .build()
    .expect("client");
    let pms = lupl_api::uuid::uuid!("4efafdc0-2783-4af6-9cac-d2b2be27a080");
    for _ in 0..3 {
        let answer = client.get_provider_config().pms_id(pms).send().await;
        assert!(matches!(answer, Ok(None)), "{answer:?}");
    }
    // Straight to the limiter too: the largest wait there is.
    let limiter = RateLimiter::new(Quota::new(10, 1), Arc::new(ManualClock::auto()));
    for _ in 0..3 {
        limiter.acquire().await;
    }
    let _ = limiter.learn(Duration::MAX, std::time::Instant::now());
    limiter.acquire().await;
    assert!(limiter.limit().per_second() <= 10.0);
}
