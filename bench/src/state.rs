//! `lupl-bench state`: the cost of a write with `--state`, at a small and a
//! large state, beside the same sandbox without `--state`. A state file that
//! rewrote the whole state per write would slow down as the state grows; an
//! append-only log keeps the `--state ÷ none` ratio flat.

use crate::sandbox::{Server, sibling};
use anyhow::bail;
use lupl_api::reqwest;
use serde_json::json;
use std::process::Command;
use std::time::{Duration, Instant};

const PMS: &str = "4efafdc0-2783-4af6-9cac-d2b2be27a080";
const ORG: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";

/// Writes per second, one connection, for `seconds`.
async fn writes_per_second(base_url: &str, seconds: u64) -> anyhow::Result<f64> {
    let http = reqwest::Client::new();
    let acme = lupl_spec::Spec::workspace()
        .schema_example("ProviderConfiguration")
        .cloned()
        .unwrap_or_default();
    let stored = http
        .post(format!("{base_url}/api/1.0/pms/providerconfig"))
        .bearer_auth("tok-acme")
        .json(&json!({"pmsId": PMS, "config": acme}))
        .send()
        .await?;
    if stored.status() != 200 {
        bail!("storing ACME: {}", stored.status());
    }
    let url = format!("{base_url}/api/1.0/pms/organizationconfig");
    let start = Instant::now();
    let mut writes = 0u64;
    while start.elapsed() < Duration::from_secs(seconds) {
        let region = ["us", "eu", "apac"][(writes % 3) as usize];
        let body = json!({"organizationId": ORG, "pmsId": PMS, "fields": {"region": region}});
        let r = http
            .post(&url)
            .bearer_auth("tok-acme")
            .json(&body)
            .send()
            .await?;
        if r.status() != 200 {
            bail!("write {writes}: {}", r.status());
        }
        writes += 1;
    }
    Ok(writes as f64 / start.elapsed().as_secs_f64())
}

fn sandbox(organizations: u32, state: Option<&std::path::Path>) -> anyhow::Result<Server> {
    let mut command = Command::new(sibling("lupl-sandbox")?);
    command.args([
        "--listen",
        "127.0.0.1:0",
        "--quota",
        "4294967295/1",
        "--organizations",
        &organizations.to_string(),
    ]);
    if let Some(path) = state {
        command.arg("--state").arg(path);
    }
    Server::spawn(
        if state.is_some() {
            "lupl-sandbox --state"
        } else {
            "lupl-sandbox"
        },
        command,
    )
}

/// Runs the benchmark and prints its table.
pub async fn run(seconds: u64) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("lupl-bench-state-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    println!("Writes: POST organizationconfig, one connection, {seconds} s per cell\n");
    println!(
        "| organizations in the state | no state file (writes/s) | --state (writes/s) | --state ÷ none |"
    );
    println!("|---:|---:|---:|---:|");
    for organizations in [100u32, 100_000, 1_000_000] {
        let none = sandbox(organizations, None)?;
        let without = writes_per_second(&none.base_url, seconds).await?;
        drop(none);
        let path = dir.join(format!("state-{organizations}.jsonl"));
        let with_state = sandbox(organizations, Some(&path))?;
        let with = writes_per_second(&with_state.base_url, seconds).await?;
        drop(with_state);
        println!(
            "| {organizations} | {without:.0} | {with:.0} | {:.3} |",
            with / without
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
