//! Watching what a client sends and gets (`lupl --debug`): every attempt
//! the middleware makes, retries and re-authentications included, with its
//! final headers and body, and every answer with its body.

use lupl_api::reqwest::{self, StatusCode, header::HeaderMap};

/// Told about each request as it leaves and each answer as it comes.
/// The request carries the bearer token: an observer that prints must mask
/// it (`lupl_safety::secrets`).
///
/// ```
/// use lupl_api::reqwest::{self, StatusCode, header::HeaderMap};
/// #[derive(Debug)]
/// struct Count(std::sync::atomic::AtomicUsize);
/// impl lupl_auth::Observer for Count {
///     fn sent(&self, _: &reqwest::Request) {
///         self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
///     }
///     fn answered(&self, _: StatusCode, _: &HeaderMap, _: &[u8]) {}
///     fn failed(&self, _: &reqwest::Error) {}
/// }
/// ```
pub trait Observer: Send + Sync + std::fmt::Debug + 'static {
    /// A request about to leave, as it will leave.
    fn sent(&self, request: &reqwest::Request);
    /// The answer to the last request sent, body included.
    fn answered(&self, status: StatusCode, headers: &HeaderMap, body: &[u8]);
    /// The last request sent got no answer.
    fn failed(&self, error: &reqwest::Error);
}

/// Reads `response` whole, tells `observer`, and hands back an equal
/// response (status, version, headers, body).
pub(crate) async fn answered(
    observer: &dyn Observer,
    response: reqwest::Response,
) -> reqwest::Result<reqwest::Response> {
    let (status, version, headers) = (
        response.status(),
        response.version(),
        response.headers().clone(),
    );
    let body = response.bytes().await?;
    observer.answered(status, &headers, &body);
    let mut again = http::Response::new(body);
    *again.status_mut() = status;
    *again.version_mut() = version;
    *again.headers_mut() = headers;
    Ok(reqwest::Response::from(again))
}
