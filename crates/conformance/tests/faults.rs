//! Fault injection: a test double wraps the model (it does not edit it) and
//! breaks one contract; the harness must report each break.

use conformance::{ContractCheck, Harness, Options, Report, Target};
use lupl_auth::RateLimit;
use lupl_model::{Fixture, Model, ModelRequest, ModelResponse, http_server::model_request};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Answers a request, breaking the contract somehow; `r` is what the model
/// itself answered (already applied to its state).
type Fault = dyn Fn(&Model, &ModelRequest, ModelResponse, u64) -> ModelResponse + Send + Sync;

struct Faulty {
    model: Arc<Model>,
    fault: Arc<Fault>,
    count: Arc<AtomicU64>,
}

impl Respond for Faulty {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let n = self.count.fetch_add(1, Ordering::SeqCst);
        let req = model_request(
            &request.method,
            request.url.path(),
            request.url.query(),
            &request.headers,
            request.body.clone(),
        );
        let answer = self.model.handle(&req);
        lupl_model::response_template((self.fault)(&self.model, &req, answer, n))
    }
}

fn fixture() -> Fixture {
    let mut f = Fixture::builtin();
    f.rate_limit = lupl_model::RateLimit {
        requests: 1_000_000,
        per_seconds: 1,
    };
    f
}

async fn faulty_server(fixture: Fixture, fault: Arc<Fault>) -> (MockServer, Arc<Model>) {
    let model = Arc::new(Model::new(fixture));
    let server = MockServer::builder()
        .disable_request_recording()
        .start()
        .await;
    Mock::given(any())
        .respond_with(Faulty {
            model: model.clone(),
            fault,
            count: Arc::new(AtomicU64::new(0)),
        })
        .mount(&server)
        .await;
    (server, model)
}

async fn run_against(fault: Arc<Fault>) -> Report {
    let fixture = fixture();
    let identities = Target::identities_of(&fixture);
    let (server, _model) = faulty_server(fixture, fault).await;
    let target = Target::custom(
        &server.uri(),
        identities,
        RateLimit::new(1_000_000, 1),
        false,
    )
    .expect("target");
    let harness = Arc::new(Harness::new(target).await.expect("harness"));
    let handle = tokio::runtime::Handle::current();
    let options = Options {
        cases: 300,
        seed: 42,
        progress: false,
    };
    tokio::task::spawn_blocking(move || harness.run_blocking(&options, &handle))
        .await
        .expect("run")
}

fn json_body(r: &ModelResponse) -> Value {
    serde_json::from_slice(&r.body).unwrap_or(Value::Null)
}

fn with_json(mut r: ModelResponse, status: u16, body: &Value) -> ModelResponse {
    r.status = status;
    r.body = body.to_string().into_bytes();
    r
}

fn has_header(req: &ModelRequest, name: &str) -> bool {
    req.header(name).is_some()
}

fn token(req: &ModelRequest) -> Option<String> {
    req.header("authorization")
        .map(|v| String::from_utf8_lossy(v).into_owned())
}

fn as_token(req: &ModelRequest, token: &str) -> ModelRequest {
    let mut r = req.clone();
    r.headers
        .retain(|(n, _)| !n.eq_ignore_ascii_case("authorization"));
    r.headers.push((
        "authorization".into(),
        format!("Bearer {token}").into_bytes(),
    ));
    r
}

macro_rules! fault_test {
    ($name:ident, $check:expr, $fault:expr) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let report = run_against(Arc::new($fault)).await;
            assert!(!report.passed(), "the harness did not notice");
            assert!(
                report.broke($check),
                "expected {:?} to break; failure: {:?}",
                $check,
                report.failure
            );
            let failure = report.failure.expect("a shrunk failure");
            assert!(!failure.replay.is_empty() || failure.actual.contains("passed on replay"));
        }
    };
}

fault_test!(
    a_wrong_status,
    ContractCheck::Status,
    |_: &Model, _: &ModelRequest, r: ModelResponse, _| {
        if r.status == 403 {
            with_json(r, 404, &json!({}))
        } else {
            r
        }
    }
);

fault_test!(
    an_undocumented_status,
    ContractCheck::Documented,
    |_: &Model, req: &ModelRequest, r: ModelResponse, _| {
        if r.status == 200 && req.method == "POST" {
            with_json(r, 201, &json!({}))
        } else {
            r
        }
    }
);

fault_test!(
    a_5xx,
    ContractCheck::No5xx,
    |_: &Model, _: &ModelRequest, r: ModelResponse, _| {
        if r.status == 400 {
            with_json(r, 500, &json!({"error": "boom"}))
        } else {
            r
        }
    }
);

fault_test!(
    a_wrong_error_key,
    ContractCheck::ErrorKey,
    |_: &Model, _: &ModelRequest, r: ModelResponse, _| {
        if r.status == 400 {
            let mut b = json_body(&r);
            let errors: serde_json::Map<String, Value> = b["errors"]
                .as_object()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (format!("{k}X"), v))
                .collect();
            b["errors"] = Value::Object(errors);
            with_json(r, 400, &b)
        } else {
            r
        }
    }
);

fault_test!(
    a_missing_error_key,
    ContractCheck::ErrorKey,
    |_: &Model, _: &ModelRequest, r: ModelResponse, _| {
        if r.status == 400 {
            let mut b = json_body(&r);
            b["errors"] = json!({});
            with_json(r, 400, &b)
        } else {
            r
        }
    }
);

fault_test!(
    a_non_json_403,
    ContractCheck::ForbiddenBody,
    |_: &Model, _: &ModelRequest, mut r: ModelResponse, _| {
        if r.status == 403 {
            r.body = b"Forbidden".to_vec();
            r.headers = vec![("Content-Type".into(), "text/plain".into())];
        }
        r
    }
);

fault_test!(
    a_missing_challenge,
    ContractCheck::WwwAuthenticate,
    |_: &Model, _: &ModelRequest, mut r: ModelResponse, _| {
        r.headers
            .retain(|(n, _)| !n.eq_ignore_ascii_case("www-authenticate"));
        r
    }
);

fault_test!(
    a_lost_write,
    ContractCheck::RoundTrip,
    |m: &Model, req: &ModelRequest, r: ModelResponse, _| {
        // Acknowledge a provider write, then quietly put the previous
        // configuration back (the model already applied the write).
        if req.method == "POST" && req.path.ends_with("providerconfig") && r.status == 200 {
            let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
            let pms = body["pmsId"].as_str().unwrap_or_default().to_owned();
            let previous = LAST.lock().expect("lock").get(&pms).cloned();
            if let Some(previous) = previous {
                let mut undo = req.clone();
                undo.body = json!({"pmsId": pms, "config": previous})
                    .to_string()
                    .into_bytes();
                m.handle(&undo);
            } else {
                LAST.lock()
                    .expect("lock")
                    .insert(pms, body["config"].clone());
            }
        }
        r
    }
);

/// The first configuration each provider stored, for `a_lost_write`.
static LAST: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<String, Value>>> =
    std::sync::LazyLock::new(Default::default);

fault_test!(
    an_altered_write,
    ContractCheck::RoundTrip,
    |_: &Model, req: &ModelRequest, mut r: ModelResponse, _| {
        if req.method == "GET" && r.status == 200 {
            let mut b = json_body(&r);
            if b.is_object() {
                b["altered"] = json!(true);
            }
            r.body = b.to_string().into_bytes();
        }
        r
    }
);

fault_test!(
    ignored_auth,
    ContractCheck::Status,
    |m: &Model, req: &ModelRequest, r: ModelResponse, _| {
        if !has_header(req, "authorization") {
            m.handle(&as_token(req, "tok-acme"))
        } else {
            r
        }
    }
);

fault_test!(
    a_cross_tenant_read,
    ContractCheck::Status,
    |m: &Model, req: &ModelRequest, r: ModelResponse, _| {
        if req.method == "GET"
            && r.status == 403
            && token(req).as_deref() == Some("Bearer tok-acme")
        {
            m.handle(&as_token(req, "tok-other"))
        } else {
            r
        }
    }
);

fault_test!(
    a_cross_tenant_write,
    ContractCheck::Status,
    |m: &Model, req: &ModelRequest, r: ModelResponse, _| {
        if req.method == "POST"
            && r.status == 403
            && token(req).as_deref() == Some("Bearer tok-acme")
        {
            m.handle(&as_token(req, "tok-other"))
        } else {
            r
        }
    }
);

fault_test!(
    a_semantic_rule_not_enforced,
    ContractCheck::Status,
    |_: &Model, _: &ModelRequest, r: ModelResponse, _| {
        let b = json_body(&r);
        let semantic = r.status == 400
            && b["errors"]
                .as_object()
                .is_some_and(|e| e.keys().any(|k| k.starts_with("config.")));
        if semantic {
            with_json(r, 200, &json!({}))
        } else {
            r
        }
    }
);

fault_test!(
    a_wrong_order_of_checks,
    ContractCheck::Status,
    |m: &Model, req: &ModelRequest, r: ModelResponse, _| {
        // Binding before authentication: a bad request without a token gets 400.
        if r.status == 401 {
            let authed = m.handle(&as_token(req, "tok-acme"));
            if authed.status == 400 {
                return authed;
            }
        }
        r
    }
);

/// The double itself is sound: passing everything through, the harness
/// stays green (so the faults above are what it reports).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_untouched_model_passes() {
    let report = run_against(Arc::new(
        |_: &Model, _: &ModelRequest, r: ModelResponse, _| r,
    ))
    .await;
    assert!(report.passed(), "{:?}", report.failure);
}
