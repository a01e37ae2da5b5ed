//! A small hyper server for the long-running `lupl-sandbox`.
//!
//! wiremock keeps every request a mock matched (`MountedMock::matched_requests`)
//! even with request recording disabled: about 4.7 KiB per request, measured
//! at 470 MiB after 100,000 requests. That is harmless in a test and fatal in
//! a sandbox that runs for days, so the binary serves the same [`Model`]
//! through this front end, which keeps nothing per request. Bodies are read
//! only up to the model's cap.
//!
//! A client gets a bounded time to send a request's headers (an idle
//! keep-alive connection is closed after it too) and its body; a bounded
//! number of connections is served at once, and one more is closed as soon
//! as it is accepted ([`Limits`]). Slow or idle clients cannot hold the
//! sandbox, or its file descriptors, for others.

use crate::model::{MAX_BODY_BYTES, Model, ModelRequest, ModelResponse};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

/// What one client may hold of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How long a client may take to send a request's headers, and how
    /// long an idle connection stays open (10 s).
    pub header_timeout: Duration,
    /// How long a client may take to send a request's body (10 s); then
    /// it is answered 408.
    pub body_timeout: Duration,
    /// Connections served at once (4096).
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            max_connections: 4096,
        }
    }
}

/// What answers each request.
pub type Handler = Arc<dyn Fn(&ModelRequest) -> ModelResponse + Send + Sync>;

/// Converts an HTTP request's parts into the model's request.
pub fn model_request(
    method: &http::Method,
    path: &str,
    query: Option<&str>,
    headers: &http::HeaderMap,
    body: Vec<u8>,
) -> ModelRequest {
    ModelRequest {
        method: method.as_str().to_owned(),
        path: path.to_owned(),
        query: query.map(str::to_owned),
        headers: headers
            .iter()
            .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
            .collect(),
        body,
    }
}

/// The Postman collection `cargo xtask postman` generates. Embedded here,
/// its one user, not in `lupl-spec`: xtask builds on `lupl-spec`, and must
/// build when the collection is missing.
const POSTMAN_COLLECTION: &str = include_str!("../../../postman/lupl.postman_collection.json");

/// The sandbox's routes: `GET /openapi.json` serves the spec,
/// `GET /postman.json` its Postman collection, everything else goes to the
/// model.
pub fn sandbox_handler(model: Arc<Model>) -> Handler {
    Arc::new(move |request: &ModelRequest| {
        let document = match (request.method.as_str(), request.path.as_str()) {
            ("GET", "/openapi.json") => Some(lupl_spec::OPENAPI_JSON),
            ("GET", "/postman.json") => Some(POSTMAN_COLLECTION),
            _ => None,
        };
        if let Some(document) = document {
            return ModelResponse {
                status: 200,
                headers: vec![("Content-Type".into(), crate::model::JSON.into())],
                body: document.as_bytes().to_vec(),
            };
        }
        model.handle(request)
    })
}

/// A bare problem answer of the front end, before the model sees the
/// request (and with `Connection: close`: the rest of the body is not read).
fn refused(status: u16, section: &str, title: &str) -> ModelResponse {
    ModelResponse {
        status,
        headers: vec![
            ("Content-Type".into(), crate::model::PROBLEM_JSON.into()),
            ("Connection".into(), "close".into()),
        ],
        body: format!(
            r#"{{"type":"https://tools.ietf.org/html/rfc9110#section-{section}","title":"{title}","status":{status}}}"#
        )
        .into_bytes(),
    }
}

async fn answer(
    handler: Handler,
    body_timeout: Duration,
    request: hyper::Request<Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let read = tokio::time::timeout(body_timeout, Limited::new(body, MAX_BODY_BYTES).collect());
    let response = match read.await {
        Ok(Ok(collected)) => {
            let body = collected.to_bytes().to_vec();
            let req = model_request(
                &parts.method,
                parts.uri.path(),
                parts.uri.query(),
                &parts.headers,
                body,
            );
            handler(&req)
        }
        Ok(Err(e)) if e.is::<LengthLimitError>() => refused(413, "15.5.14", "Payload Too Large"),
        // A malformed body (a bad chunk size) or one cut short.
        Ok(Err(_)) => refused(400, "15.5.1", "Bad Request"),
        Err(_) => refused(408, "15.5.9", "Request Timeout"),
    };
    let mut builder = hyper::Response::builder().status(response.status);
    for (name, value) in &response.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder
        .body(Full::new(Bytes::from(response.body)))
        .unwrap_or_else(|_| {
            let mut r = hyper::Response::new(Full::new(Bytes::new()));
            *r.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
            r
        })
}

/// Serves `handler` on `listener` with the default [`Limits`] until the
/// future is dropped.
pub async fn serve(listener: tokio::net::TcpListener, handler: Handler) {
    serve_with(listener, handler, Limits::default()).await;
}

/// Serves `handler` on `listener` within `limits` until the future is
/// dropped.
///
/// ```
/// # async fn demo() -> std::io::Result<()> {
/// use lupl_model::http_server::{self, Limits};
/// use std::time::Duration;
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let model = std::sync::Arc::new(lupl_model::Model::new(lupl_model::Fixture::builtin()));
/// let limits = Limits { header_timeout: Duration::from_secs(1), ..Limits::default() };
/// tokio::spawn(http_server::serve_with(listener, http_server::sandbox_handler(model), limits));
/// # Ok(()) }
/// ```
pub async fn serve_with(listener: tokio::net::TcpListener, handler: Handler, limits: Limits) {
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            // Out of file descriptors, or a connection reset before it was
            // accepted: wait a little rather than spin on the error.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let handler = handler.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let service = service_fn(move |req| {
                let handler = handler.clone();
                async move { Ok::<_, Infallible>(answer(handler, limits.body_timeout, req).await) }
            });
            let mut http1 = hyper::server::conn::http1::Builder::new();
            http1
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout);
            let _ = http1.serve_connection(TokioIo::new(stream), service).await;
        });
    }
}
