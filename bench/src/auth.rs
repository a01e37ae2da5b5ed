//! `lupl-bench auth`: what `lupl-auth` costs and how close it runs to a quota.
//!
//! 1. Requests per second of the full client (token, limiter at a quota the
//!    load never reaches, retries, tracing span) against the bare generated
//!    client, same server, same load, rounds interleaved.
//! 2. Under a 20/s quota enforced by `lupl-sandbox`, the rate the client
//!    achieves as a fraction of the allowed rate, and the 429s it drew.

use crate::sandbox::{spawn_baseline, spawn_sandbox};
use anyhow::bail;
use lupl_api::reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use lupl_api::{Client, ClientState, Environment, Error};
use lupl_auth::{ClientBuilder, Credentials, limits::Quota, limits::RetryPolicy};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const PMS: &str = "4efafdc0-2783-4af6-9cac-d2b2be27a080";
const TASKS: usize = 8;
const ROUNDS: usize = 7;

/// CPU time this process has used (user + system), from /proc/self/stat.
fn cpu_time() -> Duration {
    let ticks = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let after = s.rsplit_once(')')?.1;
            let fields: Vec<&str> = after.split_whitespace().collect();
            Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0);
    // Linux reports in USER_HZ, 100 per second on every mainstream build.
    Duration::from_millis(ticks * 10)
}

/// Calls GET providerconfig from `TASKS` tasks for `seconds`; returns
/// (answered, 429s, elapsed).
async fn drive(client: &Client, seconds: u64) -> (u64, u64, Duration) {
    let pms: lupl_api::uuid::Uuid = PMS.parse().unwrap_or_default();
    let ok = Arc::new(AtomicU64::new(0));
    let throttled = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let (client, ok, throttled, stop) =
                (client.clone(), ok.clone(), throttled.clone(), stop.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    match client.get_provider_config().pms_id(pms).send().await {
                        Ok(_) => ok.fetch_add(1, Ordering::Relaxed),
                        Err(Error::TooManyRequests { .. }) => {
                            throttled.fetch_add(1, Ordering::Relaxed)
                        }
                        Err(_) => 0,
                    };
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    (
        ok.load(Ordering::Relaxed),
        throttled.load(Ordering::Relaxed),
        start.elapsed(),
    )
}

fn bare(base_url: &str, token: &str) -> anyhow::Result<Client> {
    let mut headers = HeaderMap::new();
    let mut value = HeaderValue::from_str(&format!("Bearer {token}"))?;
    value.set_sensitive(true);
    headers.insert(AUTHORIZATION, value);
    // The same HTTP settings as the full client; only the middleware differs.
    let http = Environment::http_client_builder()
        .default_headers(headers)
        .build()?;
    Ok(Environment::custom(base_url)?.client_with(http, ClientState::default()))
}

fn full(base_url: &str, token: &str, limit: Quota, retries: u32) -> anyhow::Result<Client> {
    Ok(ClientBuilder::new(
        Environment::custom(base_url)?,
        Credentials::Static(token.to_owned().into()),
    )
    .rate_limit(limit)
    .retry(RetryPolicy {
        max_retries: retries,
        ..RetryPolicy::default()
    })
    .build()?)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs both measurements and prints their tables.
pub async fn run(seconds: u64, quota_seconds: u64) -> anyhow::Result<()> {
    let server = spawn_baseline()?;
    let bare_client = bare(&server.base_url, "tok-acme")?;
    let full_client = full(
        &server.base_url,
        "tok-acme",
        Quota::new(1_000_000_000, 1),
        3,
    )?;
    let (mut bare_rates, mut full_rates) = (Vec::new(), Vec::new());
    let (mut bare_cpu, mut full_cpu) = (Vec::new(), Vec::new());
    // Warm both, then interleave three rounds each.
    drive(&bare_client, 1).await;
    drive(&full_client, 1).await;
    for _ in 0..ROUNDS {
        for (client, rates, cpu) in [
            (&bare_client, &mut bare_rates, &mut bare_cpu),
            (&full_client, &mut full_rates, &mut full_cpu),
        ] {
            let before = cpu_time();
            let (n, _, t) = drive(client, seconds).await;
            rates.push(n as f64 / t.as_secs_f64());
            cpu.push((cpu_time() - before).as_secs_f64() * 1e6 / n as f64);
        }
    }
    let ratios: Vec<f64> = full_rates
        .iter()
        .zip(&bare_rates)
        .map(|(f, b)| f / b)
        .collect();
    let (lo, hi) = (
        ratios.iter().copied().fold(f64::INFINITY, f64::min),
        ratios.iter().copied().fold(0.0, f64::max),
    );
    let ratio = median(ratios);
    let (b, f) = (median(bare_rates), median(full_rates));
    println!(
        "Client overhead: GET providerconfig on loopback, {TASKS} tasks, median of {ROUNDS} interleaved {seconds} s rounds\n"
    );
    let (bc, fc) = (median(bare_cpu), median(full_cpu));
    println!(
        "| client | req/s (median) | ÷ bare, median of paired rounds (min–max) | client CPU µs/request |"
    );
    println!("|---|---:|---:|---:|");
    println!("| bare generated client (static header) | {b:.0} | 1.00 | {bc:.1} |");
    println!(
        "| lupl-auth client (token + limiter at 10⁹/s + retries) | {f:.0} | {ratio:.3} ({lo:.3}–{hi:.3}) | {fc:.1} |"
    );
    drop(server);

    let sandbox = spawn_sandbox(20, 1)?;
    let client = full(&sandbox.base_url, "tok-acme", Quota::new(20, 1), 0)?;
    let (ok, throttled, elapsed) = drive(&client, quota_seconds).await;
    let allowed = 20.0 * elapsed.as_secs_f64();
    println!();
    println!(
        "Under the sandbox's 20 requests / 1 s sliding window, {TASKS} tasks as fast as the limiter allows, {quota_seconds} s\n"
    );
    println!("| answered | 429s | achieved req/s | allowed req/s | achieved ÷ allowed |");
    println!("|---:|---:|---:|---:|---:|");
    println!(
        "| {ok} | {throttled} | {:.2} | 20.00 | {:.3} |",
        ok as f64 / elapsed.as_secs_f64(),
        ok as f64 / allowed
    );
    if throttled > 0 {
        bail!("the limiter let {throttled} requests draw a 429");
    }
    Ok(())
}

/// `n` sequential GETs with the bare or the full client (for callgrind).
pub async fn profile(which: &str, url: &str, n: u64) -> anyhow::Result<()> {
    let client = match which {
        "bare" => bare(url, "tok-acme")?,
        _ => full(url, "tok-acme", Quota::new(1_000_000_000, 1), 3)?,
    };
    let pms: lupl_api::uuid::Uuid = PMS.parse()?;
    for _ in 0..n {
        client.get_provider_config().pms_id(pms).send().await?;
    }
    Ok(())
}
