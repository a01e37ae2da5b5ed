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

use crate::gateway::{Gateway, Outcome};
use crate::model::{MAX_BODY_BYTES, Model, ModelRequest, ModelResponse};
use http_body_util::combinators::BoxBody;
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

pub use crate::gateway::Handler;

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
const POSTMAN_COLLECTION: &str = include_str!("../postman_collection.json");

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

/// Why a connection is closed without an answer (a fault).
#[derive(Debug, thiserror::Error)]
#[error("closed without an answer")]
struct NoAnswer;

type Body = BoxBody<Bytes, Infallible>;

async fn answer(
    gateway: Arc<Gateway>,
    body_timeout: Duration,
    loopback: bool,
    reset: Option<Arc<std::net::TcpStream>>,
    request: hyper::Request<Incoming>,
) -> Result<hyper::Response<Body>, NoAnswer> {
    let (parts, body) = request.into_parts();
    let read = tokio::time::timeout(body_timeout, Limited::new(body, MAX_BODY_BYTES).collect());
    let (response, trickle) = match read.await {
        Ok(Ok(collected)) => {
            let body = collected.to_bytes().to_vec();
            let req = model_request(
                &parts.method,
                parts.uri.path(),
                parts.uri.query(),
                &parts.headers,
                body,
            );
            match gateway.answer(req, loopback).await {
                Outcome::Answer(response, trickle) => (response, trickle),
                Outcome::Drop => return Err(NoAnswer),
                Outcome::Reset => {
                    // Closing with a zero linger sends RST instead of FIN.
                    if let Some(socket) = &reset {
                        let _ = socket2::SockRef::from(socket.as_ref())
                            .set_linger(Some(Duration::ZERO));
                    }
                    return Err(NoAnswer);
                }
            }
        }
        Ok(Err(e)) if e.is::<LengthLimitError>() => {
            (refused(413, "15.5.14", "Payload Too Large"), None)
        }
        // A malformed body (a bad chunk size) or one cut short.
        Ok(Err(_)) => (refused(400, "15.5.1", "Bad Request"), None),
        Err(_) => (refused(408, "15.5.9", "Request Timeout"), None),
    };
    let mut builder = hyper::Response::builder().status(response.status);
    for (name, value) in &response.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let body = match trickle {
        None => Full::new(Bytes::from(response.body)).boxed(),
        Some(pause) => {
            // The length is known: the client waits for every piece.
            builder = builder.header("Content-Length", response.body.len().to_string());
            trickled(Bytes::from(response.body), pause)
        }
    };
    Ok(builder.body(body).unwrap_or_else(|_| {
        let mut r = hyper::Response::new(Full::new(Bytes::new()).boxed());
        *r.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
        r
    }))
}

/// `body` in eight pieces, `pause` apart.
fn trickled(body: Bytes, pause: Duration) -> Body {
    let (mut sender, channel) = http_body_util::channel::Channel::<Bytes, Infallible>::new(1);
    tokio::spawn(async move {
        let piece = body.len().div_ceil(8).max(1);
        let mut rest = body;
        while !rest.is_empty() {
            tokio::time::sleep(pause).await;
            let now = rest.split_to(piece.min(rest.len()));
            if sender.send_data(now).await.is_err() {
                return;
            }
        }
    });
    channel.boxed()
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
    serve_gateway(listener, Arc::new(Gateway::plain(handler)), limits).await;
}

/// Serves `gateway` on `listener` within `limits` until the future is
/// dropped: the sandbox, with its admin API, faults and journal.
pub async fn serve_gateway(
    listener: tokio::net::TcpListener,
    gateway: Arc<Gateway>,
    limits: Limits,
) {
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
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
        let gateway = gateway.clone();
        tokio::spawn(async move {
            let _permit = permit;
            // A second handle on the socket, to make its close a reset when
            // a fault asks; dropped after the connection's own.
            let reset = if gateway.may_reset() {
                twin(&stream).map(Arc::new)
            } else {
                None
            };
            // An IPv4 client of an IPv6 listener is `::ffff:127.0.0.1`.
            let loopback = peer.ip().to_canonical().is_loopback();
            let twin = reset.clone();
            let service = service_fn(move |req| {
                let gateway = gateway.clone();
                let reset = reset.clone();
                answer(gateway, limits.body_timeout, loopback, reset, req)
            });
            let mut http1 = hyper::server::conn::http1::Builder::new();
            http1
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout);
            let _ = http1.serve_connection(TokioIo::new(stream), service).await;
            drop(twin);
        });
    }
}

/// A duplicate of the connection's socket descriptor.
fn twin(stream: &tokio::net::TcpStream) -> Option<std::net::TcpStream> {
    use std::os::fd::AsFd;
    let fd = stream.as_fd().try_clone_to_owned().ok()?;
    Some(std::net::TcpStream::from(fd))
}
