//! A closed-loop HTTP load generator: N connections, each sending its next
//! request as soon as the previous one is answered.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// What a load run achieved.
#[derive(Debug, Clone, Copy)]
pub struct Outcome {
    /// Answered requests.
    pub requests: u64,
    /// Answers with a status of 500 or more, or transport errors.
    pub failures: u64,
    /// Wall time.
    pub elapsed: Duration,
}

impl Outcome {
    /// Requests per second.
    pub fn rate(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
}

/// When a run stops.
#[derive(Debug, Clone, Copy)]
pub enum Until {
    /// After this long.
    Elapsed(Duration),
    /// After this many requests in all.
    Count(u64),
}

/// Sends GETs of `url` with `token` over `connections` connections.
pub async fn run(url: &str, token: &str, connections: usize, until: Until) -> Outcome {
    let done = Arc::new(AtomicU64::new(0));
    let failures = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let (done, failures, stop) = (done.clone(), failures.clone(), stop.clone());
            let (url, token) = (url.to_owned(), token.to_owned());
            // One client per connection, so the connection count is real.
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .unwrap_or_default();
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                    if let Until::Count(max) = until
                        && n > max
                    {
                        done.fetch_sub(1, Ordering::Relaxed);
                        break;
                    }
                    match client.get(&url).bearer_auth(&token).send().await {
                        Ok(r) if r.status().as_u16() < 500 => {
                            let _ = r.bytes().await;
                        }
                        _ => {
                            failures.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })
        })
        .collect();
    if let Until::Elapsed(d) = until {
        tokio::time::sleep(d).await;
        stop.store(true, Ordering::Relaxed);
    }
    for t in tasks {
        let _ = t.await;
    }
    Outcome {
        requests: done.load(Ordering::Relaxed),
        failures: failures.load(Ordering::Relaxed),
        elapsed: start.elapsed(),
    }
}
