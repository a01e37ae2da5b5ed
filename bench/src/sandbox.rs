//! `lupl-bench sandbox`: the sandbox against a bare wiremock server, both as
//! separate processes on loopback, the same load at 1, 8 and 64 connections,
//! then resident memory after N requests.

use crate::load::{self, Until};
use anyhow::{Context, bail};
use lupl_model::{Fixture, Quota};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const PMS: &str = "4efafdc0-2783-4af6-9cac-d2b2be27a080";

pub struct Server {
    name: &'static str,
    child: Child,
    /// Where it listens.
    pub base_url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts a server process and reads its URL from its first line.
    pub fn spawn(name: &'static str, mut command: Command) -> anyhow::Result<Self> {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {name}"))?;
        let stdout = child.stdout.take().context("stdout")?;
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let base_url = line
            .trim()
            .rsplit(' ')
            .next()
            .unwrap_or_default()
            .to_owned();
        if !base_url.starts_with("http://") {
            bail!("{name} printed {line:?}");
        }
        // Keep draining its stdout so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in reader.lines() {});
        Ok(Self {
            name,
            child,
            base_url,
        })
    }

    fn rss_kib(&self) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .context("no VmRSS")
    }
}

/// A binary built next to this one.
pub fn sibling(binary: &str) -> anyhow::Result<std::path::PathBuf> {
    let me = std::env::current_exe()?;
    let path = me.with_file_name(binary);
    if !path.exists() {
        bail!("{} not built (cargo xtask bench builds it)", path.display());
    }
    Ok(path)
}

/// Serves the baseline: the sandbox's own HTTP front end with a handler that
/// answers `null` to everything, so the ratio is the model's cost.
pub async fn serve_baseline() -> anyhow::Result<()> {
    use lupl_model::{ModelRequest, ModelResponse, http_server};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("baseline listening on http://{}", listener.local_addr()?);
    let handler: http_server::Handler = std::sync::Arc::new(|_: &ModelRequest| ModelResponse {
        status: 200,
        headers: vec![("Content-Type".into(), lupl_model::JSON.into())],
        body: b"null".to_vec(),
    });
    http_server::serve(listener, handler).await;
    Ok(())
}

/// Serves the model with the fixture of `run` through the plain front end:
/// no admin API, faults or journal.
pub async fn serve_model() -> anyhow::Result<()> {
    use lupl_model::{Model, http_server};
    let mut fixture = Fixture::builtin();
    fixture.rate_limit = Quota::new(u32::MAX, 1);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("model listening on http://{}", listener.local_addr()?);
    let model = std::sync::Arc::new(Model::new(fixture));
    http_server::serve(listener, http_server::sandbox_handler(model)).await;
    Ok(())
}

/// Runs the sandbox benchmark and prints its table.
pub async fn run(seconds: u64, requests: u64) -> anyhow::Result<()> {
    // A quota the load never reaches: this measures serving, not throttling.
    let mut fixture = Fixture::builtin();
    fixture.rate_limit = Quota::new(u32::MAX, 1);
    let dir = std::env::temp_dir().join(format!("lupl-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let fixture_path = dir.join("fixture.json");
    std::fs::write(&fixture_path, serde_json::to_vec(&fixture)?)?;

    let mut sandbox_cmd = Command::new(sibling("lupl-sandbox")?);
    sandbox_cmd
        .args(["--listen", "127.0.0.1:0", "--quiet", "--fixture"])
        .arg(&fixture_path);
    let sandbox = Server::spawn("lupl-sandbox", sandbox_cmd)?;
    let mut logging_cmd = Command::new(sibling("lupl-sandbox")?);
    logging_cmd
        .args(["--listen", "127.0.0.1:0", "--fixture"])
        .arg(&fixture_path);
    let logging = Server::spawn("lupl-sandbox (access log)", logging_cmd)?;
    let mut baseline_cmd = Command::new(std::env::current_exe()?);
    baseline_cmd.arg("serve-baseline");
    let baseline = Server::spawn("bare server", baseline_cmd)?;
    let mut model_cmd = Command::new(std::env::current_exe()?);
    model_cmd.arg("serve-model");
    let model = Server::spawn("model, no services", model_cmd)?;
    let path = format!("/api/1.0/pms/providerconfig?pmsId={PMS}");

    println!(
        "Throughput: GET providerconfig, closed loop, {seconds} s per cell, the servers taken in turn, best of 3\n"
    );
    println!(
        "- bare: the front end answering `null`; model: the model with no services (the sandbox before faults and the journal);"
    );
    println!(
        "- sandbox: `lupl-sandbox --quiet` (empty fault table, journal on); + log: with the access log on stdout.\n"
    );
    println!(
        "| connections | bare (req/s) | model (req/s) | sandbox (req/s) | + log (req/s) | sandbox ÷ model | sandbox ÷ bare |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    let servers = [&baseline, &model, &sandbox, &logging];
    for connections in [1usize, 8, 64] {
        let mut best = [0f64; 4];
        for _ in 0..3 {
            for (i, server) in servers.iter().enumerate() {
                let url = format!("{}{path}", server.base_url);
                // Warm up the connections, then measure.
                load::run(&url, "tok-acme", connections, Until::Count(200)).await;
                let out = load::run(
                    &url,
                    "tok-acme",
                    connections,
                    Until::Elapsed(Duration::from_secs(seconds)),
                )
                .await;
                if out.failures > 0 {
                    bail!(
                        "{}: {} failures at {connections} connections",
                        server.name,
                        out.failures
                    );
                }
                best[i] = best[i].max(out.rate());
            }
        }
        println!(
            "| {connections} | {:.0} | {:.0} | {:.0} | {:.0} | {:.3} | {:.2} |",
            best[0],
            best[1],
            best[2],
            best[3],
            best[2] / best[1],
            best[2] / best[0]
        );
    }
    println!();
    println!("Resident memory (VmRSS) after {requests} more requests at 8 connections\n");
    println!("| server | before (MiB) | after (MiB) | growth (MiB) |");
    println!("|---|---:|---:|---:|");
    for server in [&baseline, &model, &sandbox] {
        let url = format!("{}{path}", server.base_url);
        let before = server.rss_kib()?;
        let out = load::run(&url, "tok-acme", 8, Until::Count(requests)).await;
        if out.failures > 0 {
            bail!("{}: {} failures", server.name, out.failures);
        }
        let after = server.rss_kib()?;
        println!(
            "| {} | {:.1} | {:.1} | {:.1} |",
            server.name,
            before as f64 / 1024.0,
            after as f64 / 1024.0,
            (after as f64 - before as f64) / 1024.0
        );
    }
    Ok(())
}

/// `lupl-sandbox` with the built-in fixture at `requests` per `per_seconds`.
pub fn spawn_sandbox(requests: u32, per_seconds: u32) -> anyhow::Result<Server> {
    let mut fixture = Fixture::builtin();
    fixture.rate_limit = Quota::new(requests, u64::from(per_seconds));
    let dir = std::env::temp_dir().join(format!("lupl-bench-{}-{requests}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let fixture_path = dir.join("fixture.json");
    std::fs::write(&fixture_path, serde_json::to_vec(&fixture)?)?;
    let mut command = Command::new(sibling("lupl-sandbox")?);
    command
        .args(["--listen", "127.0.0.1:0", "--quiet", "--fixture"])
        .arg(&fixture_path);
    Server::spawn("lupl-sandbox", command)
}

/// The bare server: the sandbox's front end answering `null`.
pub fn spawn_baseline() -> anyhow::Result<Server> {
    let mut command = Command::new(std::env::current_exe()?);
    command.arg("serve-baseline");
    Server::spawn("bare server", command)
}
