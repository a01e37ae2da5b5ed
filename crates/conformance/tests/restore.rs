//! Live safety: configurations read before the first write are restored at
//! the end, also after a failure midway.

use conformance::{Harness, Options, Target};
use lupl_auth::RateLimit;
use lupl_model::{Fixture, Model, http_server::model_request};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The model, except that requests #300 to #304 get a 500.
struct BreaksMidway {
    model: Arc<Model>,
    count: AtomicU64,
}

impl Respond for BreaksMidway {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let n = self.count.fetch_add(1, Ordering::SeqCst);
        if (300..305).contains(&n) {
            return ResponseTemplate::new(500);
        }
        let req = model_request(
            &request.method,
            request.url.path(),
            request.url.query(),
            &request.headers,
            request.body.clone(),
        );
        lupl_model::response_template(self.model.handle(&req))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_restore_runs_after_a_failure_midway() {
    let mut fixture = Fixture::builtin();
    fixture.rate_limit = lupl_model::RateLimit {
        requests: 1_000_000,
        per_seconds: 1,
    };
    // Both tenants start configured, so everything can be put back.
    let acme_config = lupl_spec::Spec::workspace()
        .schema_example("ProviderConfiguration")
        .cloned()
        .expect("acme");
    fixture.providers[0].config = acme_config.clone();
    fixture.organizations[0].config = json!({"organizationId": fixture.organizations[0].organization_id,
        "pmsId": fixture.providers[0].pms_id, "fields": {"region": "eu"}});
    let before = fixture.clone();
    let model = Arc::new(Model::new(fixture.clone()));
    let server = MockServer::builder()
        .disable_request_recording()
        .start()
        .await;
    Mock::given(any())
        .respond_with(BreaksMidway {
            model: model.clone(),
            count: AtomicU64::new(0),
        })
        .mount(&server)
        .await;
    let target = Target::custom(
        &server.uri(),
        Target::identities_of(&fixture),
        RateLimit::new(1_000_000, 1),
        true,
    )
    .expect("target");
    let harness = Arc::new(Harness::new(target).await.expect("harness"));
    let worker = harness.clone();
    let handle = tokio::runtime::Handle::current();
    let options = Options {
        cases: 200,
        seed: 3,
        progress: false,
    };
    let report = tokio::task::spawn_blocking(move || worker.run_blocking(&options, &handle))
        .await
        .expect("run");
    assert!(!report.passed(), "the injected 500s went unnoticed");
    // The run wrote new configurations…
    assert_ne!(model.snapshot(), before);
    let (problems, notes) = harness.restore().await;
    assert_eq!(
        (problems, notes),
        (Vec::<String>::new(), Vec::<String>::new())
    );
    // …and the restore put the ones it found back.
    let after = model.snapshot();
    for (a, b) in after.providers.iter().zip(&before.providers) {
        assert_eq!(a.config, b.config);
    }
    for (a, b) in after.organizations.iter().zip(&before.organizations) {
        assert_eq!(a.config, b.config);
    }
}
