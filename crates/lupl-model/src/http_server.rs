//! A small hyper server for the long-running `lupl-sandbox`.
//!
//! wiremock keeps every request a mock matched (`MountedMock::matched_requests`)
//! even with request recording disabled: about 4.7 KiB per request, measured
//! at 470 MiB after 100,000 requests. That is harmless in a test and fatal in
//! a sandbox that runs for days, so the binary serves the same [`Model`]
//! through this front end, which keeps nothing per request. Bodies are read
//! only up to the model's cap.

use crate::model::{MAX_BODY_BYTES, Model, ModelRequest, ModelResponse};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use std::convert::Infallible;
use std::sync::Arc;

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

/// The sandbox's routes: `GET /openapi.json` serves the spec, everything
/// else goes to the model.
pub fn sandbox_handler(model: Arc<Model>) -> Handler {
    Arc::new(move |request: &ModelRequest| {
        if request.method == "GET" && request.path == "/openapi.json" {
            return ModelResponse {
                status: 200,
                headers: vec![("Content-Type".into(), crate::model::JSON.into())],
                body: lupl_spec::OPENAPI_JSON.as_bytes().to_vec(),
            };
        }
        model.handle(request)
    })
}

fn too_large() -> ModelResponse {
    ModelResponse {
        status: 413,
        headers: vec![("Content-Type".into(), crate::model::PROBLEM_JSON.into())],
        body: br#"{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.14","title":"Payload Too Large","status":413}"#.to_vec(),
    }
}

async fn answer(
    handler: Handler,
    request: hyper::Request<Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let response = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => {
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
        // Over the cap, or the client went away mid-body.
        Err(_) => too_large(),
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

/// Serves `handler` on `listener` until the future is dropped.
pub async fn serve(listener: tokio::net::TcpListener, handler: Handler) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let handler = handler.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let handler = handler.clone();
                async move { Ok::<_, Infallible>(answer(handler, req).await) }
            });
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
