//! The response cache against the model, counting what reaches it: a
//! client never reads back a value older than its own last write; answers
//! never cross identities or environments, even through one shared cache;
//! 4xx are never kept; entries expire after the TTL and are bounded.

use lupl_api::Environment;
use lupl_api::types::{ProviderConfiguration, SetProviderConfigRequest};
use lupl_auth::{ClientBuilder, Credentials, ResponseCache, limits::ManualClock};
use lupl_model::http_server::Handler;
use lupl_model::{Fixture, Sandbox};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const ACME: lupl_api::uuid::Uuid = lupl_api::uuid::uuid!("4efafdc0-2783-4af6-9cac-d2b2be27a080");

/// The model on loopback, counting the GETs that reach it.
async fn counted() -> (Sandbox, Arc<AtomicUsize>) {
    let gets = Arc::new(AtomicUsize::new(0));
    let seen = gets.clone();
    let sandbox = Sandbox::start_with_handler(Fixture::builtin(), move |model| -> Handler {
        Arc::new(move |request| {
            if request.method == "GET" {
                seen.fetch_add(1, Ordering::SeqCst);
            }
            model.handle(request)
        })
    })
    .await
    .expect("sandbox");
    (sandbox, gets)
}

fn client(
    sandbox: &Sandbox,
    token: &str,
    cache: &ResponseCache,
    clock: &Arc<ManualClock>,
) -> lupl_api::Client {
    ClientBuilder::new(
        Environment::custom(sandbox.base_url()).expect("loopback"),
        Credentials::Static(token.to_owned().into()),
    )
    .clock(clock.clone())
    .response_cache(cache.clone())
    .build()
    .expect("client")
}

fn config(name: &str) -> ProviderConfiguration {
    let mut acme = lupl_spec::Spec::workspace()
        .schema_example("ProviderConfiguration")
        .cloned()
        .expect("acme");
    acme["name"] = json!(name);
    serde_json::from_value(acme).expect("decodes")
}

async fn name_of(client: &lupl_api::Client) -> Option<String> {
    client
        .get_provider_config()
        .pms_id(ACME)
        .send()
        .await
        .expect("read")
        .map(|c| c.name.to_string())
}

async fn store(client: &lupl_api::Client, name: &str) {
    let body = SetProviderConfigRequest::builder()
        .pms_id(ACME)
        .config(config(name));
    client
        .set_provider_config()
        .body(body)
        .send()
        .await
        .expect("stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_never_reads_back_less_than_it_wrote() {
    let (sandbox, gets) = counted().await;
    let clock = Arc::new(ManualClock::auto());
    let cache = ResponseCache::new(Duration::from_secs(3600), 64);
    let a = client(&sandbox, "tok-acme", &cache, &clock);
    store(&a, "v1").await;
    assert_eq!(name_of(&a).await.as_deref(), Some("v1"));
    assert_eq!(name_of(&a).await.as_deref(), Some("v1"));
    assert_eq!(gets.load(Ordering::SeqCst), 1, "the second read is kept");
    for version in ["v2", "v3", "v4"] {
        store(&a, version).await;
        assert_eq!(
            name_of(&a).await.as_deref(),
            Some(version),
            "after writing {version}"
        );
    }
    // Another writer (same token, no shared cache) within the TTL: the
    // documented limit of the cache — the client keeps its own value.
    let other_writer = ClientBuilder::new(
        Environment::custom(sandbox.base_url()).expect("loopback"),
        Credentials::Static("tok-acme".to_owned().into()),
    )
    .build()
    .expect("client");
    store(&other_writer, "theirs").await;
    assert_eq!(name_of(&a).await.as_deref(), Some("v4"));
    // After the TTL it reads the server again.
    clock.advance(Duration::from_secs(3600));
    assert_eq!(name_of(&a).await.as_deref(), Some("theirs"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_never_cross_identities_or_environments() {
    let (one, _) = counted().await;
    let (two, _) = counted().await;
    let clock = Arc::new(ManualClock::auto());
    let shared = ResponseCache::new(Duration::from_secs(3600), 64);
    let acme_one = client(&one, "tok-acme", &shared, &clock);
    let other_one = client(&one, "tok-other", &shared, &clock);
    let acme_two = client(&two, "tok-acme", &shared, &clock);
    store(&acme_one, "on one").await;
    store(&acme_two, "on two").await;
    assert_eq!(name_of(&acme_one).await.as_deref(), Some("on one"));
    // Same token, same path and query, another environment.
    assert_eq!(name_of(&acme_two).await.as_deref(), Some("on two"));
    // Same environment, another identity: refused, not served the cached.
    let err = other_one
        .get_provider_config()
        .pms_id(ACME)
        .send()
        .await
        .expect_err("not theirs");
    assert!(matches!(err, lupl_api::Error::Forbidden), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_never_kept_and_entries_are_bounded() {
    let (sandbox, gets) = counted().await;
    let clock = Arc::new(ManualClock::auto());
    let cache = ResponseCache::new(Duration::from_secs(3600), 1);
    let other = client(&sandbox, "tok-other", &cache, &clock);
    for _ in 0..2 {
        let _ = other.get_provider_config().pms_id(ACME).send().await;
    }
    assert_eq!(gets.load(Ordering::SeqCst), 2, "a 403 is not kept");
    let acme = client(&sandbox, "tok-acme", &cache, &clock);
    let org = lupl_api::uuid::uuid!("3fa85f64-5717-4562-b3fc-2c963f66afa6");
    name_of(&acme).await; // kept
    let _ = acme
        .get_organization_config()
        .organization_id(org)
        .send()
        .await; // pushes it out
    name_of(&acme).await;
    assert_eq!(
        gets.load(Ordering::SeqCst),
        5,
        "one entry: the first was evicted"
    );
}

/// One step of a client program sharing one cache between three clients:
/// ACME on two environments, and another tenant on the first.
#[derive(Debug, Clone)]
enum Step {
    /// ACME's client on environment `env` stores version `version`.
    Write { env: usize, version: u8 },
    /// ACME's client on `env` reads its provider twice in a row.
    ReadTwice { env: usize },
    /// The other tenant asks for ACME's provider (always refused).
    Trespass,
    /// Time passes: `seconds` of a 10 s TTL.
    Wait { seconds: u64 },
}

fn step() -> impl proptest::strategy::Strategy<Value = Step> {
    use proptest::prelude::*;
    prop_oneof![
        3 => (0..2usize, any::<u8>()).prop_map(|(env, version)| Step::Write { env, version }),
        4 => (0..2usize).prop_map(|env| Step::ReadTwice { env }),
        1 => Just(Step::Trespass),
        1 => (1..12u64).prop_map(|seconds| Step::Wait { seconds }),
    ]
}

/// Whatever the program does, every read returns the last value this
/// client wrote on that environment (nothing else writes), never the other
/// environment's, and the other tenant is refused rather than served ACME's
/// cached answer; and a read right after a read is answered from the cache.
#[test]
fn no_sequence_of_steps_reads_back_a_stale_or_foreign_value() {
    use proptest::prelude::*;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let ((one, gets_one), (two, gets_two)) =
        runtime.block_on(async { (counted().await, counted().await) });
    let gets = [gets_one, gets_two];
    let config = ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(steps in proptest::collection::vec(step(), 1..24))| {
        runtime.block_on(async {
            let clock = Arc::new(ManualClock::auto());
            let cache = ResponseCache::new(Duration::from_secs(10), 64);
            let acme = [
                client(&one, "tok-acme", &cache, &clock),
                client(&two, "tok-acme", &cache, &clock),
            ];
            let other = client(&one, "tok-other", &cache, &clock);
            // What each environment holds: known from the start of the case.
            let mut stored = [String::from("start 0"), String::from("start 1")];
            for (env, c) in acme.iter().enumerate() {
                store(c, &stored[env]).await;
            }
            for step in steps {
                match step {
                    Step::Write { env, version } => {
                        stored[env] = format!("v{version} on {env}");
                        store(&acme[env], &stored[env]).await;
                    }
                    Step::ReadTwice { env } => {
                        prop_assert_eq!(name_of(&acme[env]).await, Some(stored[env].clone()));
                        let before = gets[env].load(Ordering::SeqCst);
                        prop_assert_eq!(name_of(&acme[env]).await, Some(stored[env].clone()));
                        prop_assert_eq!(gets[env].load(Ordering::SeqCst), before, "the second read is kept");
                    }
                    Step::Trespass => {
                        let err = other.get_provider_config().pms_id(ACME).send().await;
                        prop_assert!(matches!(err, Err(lupl_api::Error::Forbidden)), "{:?}", err);
                    }
                    Step::Wait { seconds } => clock.advance(Duration::from_secs(seconds)),
                }
            }
            Ok(())
        })?;
    });
}

/// The model with a second token for ACME's owner (a token renewed while
/// a write was under way), POSTs answered 500 while `failing` is set
/// (after storing them: the write landed, the answer did not), and a
/// count of the GETs that reach it.
async fn renewed_and_failing() -> (
    Sandbox,
    Arc<AtomicUsize>,
    Arc<std::sync::atomic::AtomicBool>,
) {
    use std::sync::atomic::AtomicBool;
    let mut fixture = Fixture::builtin();
    let mut renewed = fixture.users[0].clone();
    renewed.token = "tok-acme-renewed".into();
    fixture.users.push(renewed);
    let gets = Arc::new(AtomicUsize::new(0));
    let failing = Arc::new(AtomicBool::new(false));
    let (seen, fail) = (gets.clone(), failing.clone());
    let sandbox = Sandbox::start_with_handler(fixture, move |model| -> Handler {
        Arc::new(move |request| {
            if request.method == "GET" {
                seen.fetch_add(1, Ordering::SeqCst);
            }
            let post = request.method == "POST";
            let mut answer = model.handle(request);
            if post && fail.load(Ordering::SeqCst) {
                answer.status = 500;
            }
            answer
        })
    })
    .await
    .expect("sandbox");
    (sandbox, gets, failing)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_forgets_the_path_for_every_token_of_the_client() {
    let (sandbox, _, _) = renewed_and_failing().await;
    let clock = Arc::new(ManualClock::auto());
    let cache = ResponseCache::new(Duration::from_secs(3600), 64);
    let before = client(&sandbox, "tok-acme", &cache, &clock);
    let after = client(&sandbox, "tok-acme-renewed", &cache, &clock);
    store(&before, "v1").await;
    assert_eq!(
        name_of(&after).await.as_deref(),
        Some("v1"),
        "kept under the renewed token"
    );
    store(&before, "v2").await;
    assert_eq!(name_of(&after).await.as_deref(), Some("v2"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_without_an_answer_keeps_its_path_uncached_for_a_ttl() {
    let (sandbox, gets, failing) = renewed_and_failing().await;
    let clock = Arc::new(ManualClock::auto());
    let cache = ResponseCache::new(Duration::from_secs(60), 64);
    let acme = client(&sandbox, "tok-acme", &cache, &clock);
    store(&acme, "v1").await;
    assert_eq!(name_of(&acme).await.as_deref(), Some("v1"));
    failing.store(true, Ordering::SeqCst);
    let body = SetProviderConfigRequest::builder()
        .pms_id(ACME)
        .config(config("landed, unanswered"));
    let answer = acme.set_provider_config().body(body).send().await;
    assert!(answer.is_err(), "a 500: {answer:?}");
    failing.store(false, Ordering::SeqCst);
    let reads = gets.load(Ordering::SeqCst);
    for _ in 0..2 {
        assert_eq!(name_of(&acme).await.as_deref(), Some("landed, unanswered"));
    }
    assert_eq!(
        gets.load(Ordering::SeqCst),
        reads + 2,
        "nothing kept for the path"
    );
    clock.advance(Duration::from_secs(60));
    for _ in 0..2 {
        assert_eq!(name_of(&acme).await.as_deref(), Some("landed, unanswered"));
    }
    assert_eq!(
        gets.load(Ordering::SeqCst),
        reads + 3,
        "kept again after a TTL"
    );
}
