//! What the conformance tests share: a model behind a handler of the
//! test's (a double that breaks one clause, or changes nothing), and a run
//! of the harness against it.

#![allow(dead_code)]

use conformance::{Harness, Options, Report, Target};
use lupl_auth::limits::Quota;
use lupl_model::http_server::Handler;
use lupl_model::{Fixture, Model, ModelRequest, ModelResponse, Sandbox};
use serde_json::Value;
use std::sync::Arc;

/// Answers a request given the model (whose own answer the double may use,
/// change or replace).
pub type Double = dyn Fn(&Model, &ModelRequest) -> ModelResponse + Send + Sync;

/// The built-in fixture with a quota no run reaches.
pub fn fixture() -> Fixture {
    let mut f = Fixture::builtin();
    f.rate_limit = lupl_model::Quota::new(1_000_000, 1);
    f
}

/// The model behind `double`, on loopback.
pub async fn serve(fixture: Fixture, double: Arc<Double>) -> Sandbox {
    Sandbox::start_with_handler(fixture, move |model| -> Handler {
        Arc::new(move |request| double(&model, request))
    })
    .await
    .expect("sandbox")
}

/// `fixture`'s identities at `sandbox` (the first two as two tenants),
/// paced for a quota no run reaches; with `live`, restored at the end as a
/// live target is.
pub fn target_at(sandbox: &Sandbox, fixture: &Fixture, live: bool) -> Target {
    Target::custom(
        sandbox.base_url(),
        Target::identities_of(fixture),
        Quota::new(1_000_000, 1),
        live,
    )
    .expect("target")
}

/// A harness on `double` over the built-in fixture (as on a live target
/// when `live`), and the server it runs against.
pub async fn harness_on(double: Arc<Double>, live: bool) -> (Arc<Harness>, Sandbox) {
    let sandbox = serve(fixture(), double).await;
    let target = target_at(&sandbox, &fixture(), live);
    let harness = Harness::new(target).await.expect("harness");
    (Arc::new(harness), sandbox)
}

/// Options for a quick run: every generator once, a few mixed cases.
pub fn quick(seed: u64) -> Options {
    Options {
        cases: 60,
        seed,
        per_generator: 1,
        shrink_iterations: 32,
        ..Options::default()
    }
}

/// Runs the harness against `double` over `fixture`; with `live`, as
/// against a live target (restored at the end, foreign ids given).
pub async fn run_with(
    fixture: Fixture,
    double: Arc<Double>,
    options: Options,
    live: bool,
) -> (Report, Sandbox) {
    run_recorded(fixture, double, options, live, false, None).await
}

/// Runs the harness against `double` with `--compare-model`: every judged
/// request also goes to the in-process model.
pub async fn run_compared(double: Arc<Double>, options: Options) -> Report {
    run_recorded(fixture(), double, options, false, true, None)
        .await
        .0
}

/// [`run_with`], comparing with the model when `compare`, writing every
/// exchange to `record` when given.
pub async fn run_recorded(
    fixture: Fixture,
    double: Arc<Double>,
    options: Options,
    live: bool,
    compare: bool,
    record: Option<&std::path::Path>,
) -> (Report, Sandbox) {
    let sandbox = serve(fixture.clone(), double).await;
    let target = target_at(&sandbox, &fixture, live);
    let recorder =
        record.map(|p| Arc::new(conformance::record::Recorder::create(p).expect("recording file")));
    let mut harness = Harness::with_recorder(target, recorder, options.seed)
        .await
        .expect("harness");
    if compare {
        harness.compare_with_model();
    }
    let harness = Arc::new(harness);
    let worker = harness.clone();
    let handle = tokio::runtime::Handle::current();
    let mut report = tokio::task::spawn_blocking(move || worker.run_blocking(&options, &handle))
        .await
        .expect("run");
    harness.restore_into(&mut report).await;
    harness.flush_recording().expect("recording written");
    (report, sandbox)
}

/// The model's own answer.
pub fn untouched(model: &Model, request: &ModelRequest) -> ModelResponse {
    model.handle(request)
}

/// A response's body as JSON.
pub fn json_body(r: &ModelResponse) -> Value {
    serde_json::from_slice(&r.body).unwrap_or(Value::Null)
}

/// `r` with a new status and JSON body (content type kept).
pub fn with_json(mut r: ModelResponse, status: u16, body: &Value) -> ModelResponse {
    r.status = status;
    r.body = body.to_string().into_bytes();
    r
}

/// `request` with another bearer token.
pub fn as_token(request: &ModelRequest, token: &str) -> ModelRequest {
    let mut r = request.clone();
    r.headers
        .retain(|(n, _)| !n.eq_ignore_ascii_case("authorization"));
    r.headers.push((
        "authorization".into(),
        format!("Bearer {token}").into_bytes(),
    ));
    r
}

/// The bearer token of a request.
pub fn token(request: &ModelRequest) -> Option<String> {
    request
        .header("authorization")
        .map(|v| String::from_utf8_lossy(v).into_owned())
}

/// A request's JSON body.
pub fn request_json(request: &ModelRequest) -> Value {
    serde_json::from_slice(&request.body).unwrap_or(Value::Null)
}

/// `request` with another JSON body.
pub fn with_body(request: &ModelRequest, body: &Value) -> ModelRequest {
    let mut r = request.clone();
    r.body = body.to_string().into_bytes();
    r
}
