//! The opt-in throttling check: one token driven past its quota must get
//! 429 with `Retry-After` and the gateway's body, and recover after the wait.

use crate::cases::Op;
use crate::oracle::RawRequest;
use crate::runner::Harness;
use std::time::Duration;

/// Drives identity 0 past `max_requests` GETs without the limiter; returns
/// what went wrong, or nothing.
pub async fn check(harness: &Harness, max_requests: u32) -> Vec<String> {
    let target = harness.target();
    let identity = &target.identities[0];
    let request = RawRequest::get(Op::GetProvider, identity.pms_id, &identity.token);
    let send = || harness.send_unpaced(&request);
    let mut problems = Vec::new();
    let mut throttled = None;
    for _ in 0..max_requests {
        match send().await {
            Ok(r) if r.status == 429 => {
                throttled = Some(r);
                break;
            }
            Ok(_) => {}
            Err(e) => return vec![format!("no answer while driving the quota: {e}")],
        }
    }
    let Some(r) = throttled else {
        return vec![format!("{max_requests} requests drew no 429")];
    };
    let wait = match r
        .header("retry-after")
        .and_then(lupl_api::RetryAfter::parse)
    {
        Some(ra) => ra.delay_from(std::time::SystemTime::now()),
        None => {
            problems.push("429 without a valid Retry-After".to_owned());
            Duration::from_secs(60)
        }
    };
    let body: Option<serde_json::Value> = serde_json::from_slice(&r.body).ok();
    if body
        .as_ref()
        .and_then(|b| b.get("statusCode"))
        .and_then(|c| c.as_u64())
        != Some(429)
    {
        problems.push(format!(
            "429 body is not the gateway's: {}",
            String::from_utf8_lossy(&r.body)
        ));
    }
    // Waiting out the server's own Retry-After is the behaviour under check.
    tokio::time::sleep(wait + Duration::from_millis(200)).await;
    match send().await {
        Ok(r) if r.status == 200 => {}
        Ok(r) => problems.push(format!(
            "after waiting {wait:?} the token got {}, not 200",
            r.status
        )),
        Err(e) => problems.push(format!("no answer after the wait: {e}")),
    }
    problems
}
