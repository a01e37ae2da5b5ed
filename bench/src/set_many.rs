//! `lupl-bench set-many`: `lupl org set-many` of N organizations against the
//! model at a scaled-down Lupl policy (100 per second instead of 1000 per
//! minute), beside the policy's minimum time for N requests.
//!
//! The model runs in this process behind the sandbox's HTTP front end, with
//! a handler that counts the statuses it answers, so the 429s the client
//! drew are counted even though the client waits them out. A second run at
//! a quota the load never reaches shows what the CLI does unthrottled.

use crate::sandbox::sibling;
use anyhow::{Context, bail};
use lupl_model::http_server::{Handler, serve};
use lupl_model::window::{SlidingWindow, retry_after_seconds};
use lupl_model::{Fixture, Model, Quota};
use std::collections::BTreeMap;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PMS: &str = "4efafdc0-2783-4af6-9cac-d2b2be27a080";

/// The built-in fixture with ACME's configuration, `quota`, and `rows`
/// more organizations for `tok-acme`.
fn acme_with(rows: usize, quota: Quota) -> anyhow::Result<(Fixture, Vec<lupl_api::uuid::Uuid>)> {
    let mut fixture = Fixture::builtin();
    fixture.providers[0].config = lupl_spec::Spec::workspace()
        .schema_example("ProviderConfiguration")
        .cloned()
        .context("the ACME example")?
        .into();
    fixture.rate_limit = quota;
    let ids = fixture.add_organizations("tok-acme", rows);
    Ok((fixture, ids))
}

/// A CSV of one row per organization in a fresh `NAME.csv` (no journal or
/// result file of an earlier run beside it).
fn rows_file(
    bench: &str,
    name: &str,
    ids: &[lupl_api::uuid::Uuid],
) -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("lupl-bench-{bench}-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let input = dir.join(format!("{name}.csv"));
    let mut csv = String::from("organizationId,region,firmCode\n");
    for (i, id) in ids.iter().enumerate() {
        csv.push_str(&format!(
            "{id},{},ACM{:03}\n",
            ["us", "eu", "apac"][i % 3],
            i % 1000
        ));
    }
    std::fs::write(&input, csv)?;
    for leftover in ["journal", "results.csv"] {
        let _ = std::fs::remove_file(dir.join(format!("{name}.csv.{leftover}")));
    }
    Ok(input)
}

/// Statuses answered, by code.
type Statuses = Arc<Mutex<BTreeMap<u16, u64>>>;

/// The model on loopback behind the sandbox's front end, counting the
/// statuses it answers (the 429s a client waits out included).
async fn counting_server(
    model: Model,
) -> anyhow::Result<(String, Statuses, tokio::task::JoinHandle<()>)> {
    let statuses: Statuses = Arc::default();
    let seen = statuses.clone();
    let handler: Handler = Arc::new(move |req| {
        let response = model.handle(req);
        if let Ok(mut s) = seen.lock() {
            *s.entry(response.status).or_default() += 1;
        }
        response
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    Ok((url, statuses, tokio::spawn(serve(listener, handler))))
}

struct Run {
    elapsed: Duration,
    statuses: BTreeMap<u16, u64>,
    exit: Option<i32>,
    stderr: String,
}

async fn one_run(rows: usize, quota: Quota, concurrency: u16) -> anyhow::Result<Run> {
    let rate = quota.to_string();
    one_run_at(rows, quota, concurrency, Some(&rate)).await
}

/// `lupl org set-many` of `rows` against a server with `quota`, the CLI
/// told `rate` (`None`: its default, Lupl's documented 1000/60).
async fn one_run_at(
    rows: usize,
    quota: Quota,
    concurrency: u16,
    rate: Option<&str>,
) -> anyhow::Result<Run> {
    let (fixture, ids) = acme_with(rows, quota)?;
    let (url, statuses, server) = counting_server(Model::new(fixture)).await?;

    let input = rows_file("set-many", &format!("orgs-{}", quota.requests), &ids)?;
    let dir = input
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();

    let start = Instant::now();
    let mut command = tokio::process::Command::new(sibling("lupl")?);
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", &dir)
        .env("LUPL_BASE_URL", &url)
        .env("LUPL_TOKEN", "tok-acme")
        .args(["org", "set-many", "--pms-id", PMS]);
    if let Some(rate) = rate {
        command.args(["--rate-limit", rate]);
    }
    let output = command
        .args(["--concurrency", &concurrency.to_string(), "--file"])
        .arg(&input)
        .output()
        .await?;
    let elapsed = start.elapsed();
    server.abort();
    if !output.status.success() {
        bail!(
            "lupl exited {:?}: {}",
            output.status.code(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let statuses = statuses.lock().map(|s| s.clone()).unwrap_or_default();
    Ok(Run {
        elapsed,
        statuses,
        exit: output.status.code(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    })
}

/// `lupl-bench learning`: the vendor document's "1000 API calls per minute
/// (subject to change)" changed: a server allowing QUOTA/WINDOW, `lupl`
/// left at its default rate limit (it learns the server's from the first
/// 429s), beside the same run told the server's limit.
pub async fn learning(
    rows: usize,
    quota: u32,
    window: u32,
    concurrency: u16,
) -> anyhow::Result<()> {
    let server = Quota::new(quota, u64::from(window));
    let told = format!("{quota}/{window}");
    let learned = one_run_at(rows, server, concurrency, None).await?;
    let baseline = one_run_at(rows, server, concurrency, Some(&told)).await?;
    // The server's pace: `rows` at `quota` per `window`.
    let pace = rows as f64 * f64::from(window) / f64::from(quota);
    let count = |r: &Run, s: u16| r.statuses.get(&s).copied().unwrap_or(0);
    println!(
        "`lupl org set-many` of {rows} rows, server quota {quota} per {window} s, concurrency {concurrency}\n"
    );
    println!("| run | time (s) | ÷ server's pace ({pace:.0} s) | ÷ told run | 429s | exit |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, r) in [
        ("default --rate-limit (1000/60): learns", &learned),
        (&*format!("--rate-limit {told} (told)"), &baseline),
    ] {
        println!(
            "| {name} | {:.2} | {:.3} | {:.3} | {} | {} |",
            r.elapsed.as_secs_f64(),
            r.elapsed.as_secs_f64() / pace,
            r.elapsed.as_secs_f64() / baseline.elapsed.as_secs_f64(),
            count(r, 429),
            r.exit.map_or("-".into(), |c| c.to_string()),
        );
    }
    let warning = learned
        .stderr
        .lines()
        .find(|l| l.contains("rate-limit"))
        .unwrap_or("(no warning)");
    println!("\nWhat `lupl` said: `{warning}`");
    changing(rows, quota, window, concurrency).await
}

/// Runs the benchmark and prints its table.
pub async fn run(rows: usize, per_second: u32, concurrency: u16) -> anyhow::Result<()> {
    if !Command::new(sibling("lupl")?)
        .arg("--version")
        .output()?
        .status
        .success()
    {
        bail!("lupl does not run");
    }
    let policy = Quota::new(per_second, 1);
    let throttled = one_run(rows, policy, concurrency).await?;
    let free = one_run(rows, Quota::new(u32::MAX, 1), concurrency).await?;

    // The policy's pace: N requests at `per_second`. A sliding window also
    // admits a first full window at once, so the strict lower bound is one
    // window less; both are shown.
    let pace = rows as f64 / f64::from(per_second);
    let bound = pace - 1.0;
    let secs = throttled.elapsed.as_secs_f64();
    let count = |r: &Run, s: u16| r.statuses.get(&s).copied().unwrap_or(0);
    println!("| run | rows | time (s) | rows/s | 200 | 429 | exit |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (name, r) in [
        (format!("policy {per_second}/1 s"), &throttled),
        ("no quota".to_owned(), &free),
    ] {
        println!(
            "| {name} | {rows} | {:.2} | {:.1} | {} | {} | {} |",
            r.elapsed.as_secs_f64(),
            rows as f64 / r.elapsed.as_secs_f64(),
            count(r, 200),
            count(r, 429),
            r.exit.map_or("-".into(), |c| c.to_string()),
        );
    }
    println!();
    println!(
        "Policy run: {secs:.2} s = **{:.4} × the policy's pace** ({pace:.0} s for {rows} requests at {per_second}/s; target ≤ 1.03), {:.4} × the sliding-window bound ({bound:.0} s); **{} × 429**. Concurrency {concurrency}; 200s include the one GET of the provider's configuration.",
        secs / pace,
        secs / bound,
        count(&throttled, 429)
    );
    Ok(())
}

/// `lupl-bench export-set-many`: `lupl org export` of `rows` configured
/// organizations, then `lupl org set-many` of that export (a rollback),
/// against the model at `per_second`/1 s (Lupl's 1000/min scaled down),
/// beside the policy's pace for the same requests.
pub async fn export_then_set_many(
    rows: usize,
    per_second: u32,
    concurrency: u16,
) -> anyhow::Result<()> {
    let quota = Quota::new(per_second, 1);
    let (mut fixture, ids) = acme_with(rows, quota)?;
    let pms: lupl_api::uuid::Uuid = PMS.parse()?;
    let ours: std::collections::HashSet<_> = ids.iter().copied().collect();
    for (i, org) in fixture.organizations.iter_mut().enumerate() {
        if ours.contains(&org.organization_id) {
            let region = ["us", "eu", "apac"][i % 3];
            org.config = serde_json::json!({
                "organizationId": org.organization_id, "pmsId": pms,
                "fields": {"region": region, "firmCode": format!("ACM{:03}", i % 1000)}
            })
            .into();
        }
    }
    let (url, statuses, server) = counting_server(Model::new(fixture)).await?;
    let dir = std::env::temp_dir().join(format!("lupl-bench-export-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let list = dir.join("ids.txt");
    let text: Vec<String> = ids.iter().map(ToString::to_string).collect();
    std::fs::write(&list, text.join("\n"))?;
    let out = dir.join("before.jsonl");
    let rate = quota.to_string();
    let lupl = |args: Vec<std::ffi::OsString>| -> anyhow::Result<tokio::process::Command> {
        let mut command = tokio::process::Command::new(sibling("lupl")?);
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &dir)
            .env("LUPL_BASE_URL", &url)
            .env("LUPL_TOKEN", "tok-acme")
            .args(args)
            .args([
                "--rate-limit",
                &rate,
                "--concurrency",
                &concurrency.to_string(),
            ]);
        Ok(command)
    };
    let mut phases = Vec::new();
    for args in [
        vec![
            "org".into(),
            "export".into(),
            "--ids".into(),
            list.clone().into_os_string(),
            "--out".into(),
            out.clone().into_os_string(),
        ],
        vec![
            "org".into(),
            "set-many".into(),
            "--pms-id".into(),
            PMS.into(),
            "--file".into(),
            out.clone().into_os_string(),
        ],
    ] {
        let before = statuses.lock().map(|s| s.clone()).unwrap_or_default();
        let start = Instant::now();
        let output = lupl(args)?.output().await?;
        let elapsed = start.elapsed();
        if !output.status.success() {
            bail!(
                "lupl exited {:?}: {}",
                output.status.code(),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let after = statuses.lock().map(|s| s.clone()).unwrap_or_default();
        let delta =
            |s: u16| after.get(&s).copied().unwrap_or(0) - before.get(&s).copied().unwrap_or(0);
        phases.push((elapsed, delta(200), delta(429)));
    }
    server.abort();
    println!(
        "`lupl org export` of {rows} configured organizations, then `lupl org set-many` of the export, at {per_second}/1 s (Lupl's 1000/min scaled down), concurrency {concurrency}\n"
    );
    println!("| phase | requests | time (s) | policy's pace (s) | ÷ pace | 429 |");
    println!("|---|---:|---:|---:|---:|---:|");
    let mut total = (0.0, 0.0, 0);
    for ((elapsed, ok, throttled), name) in phases.iter().zip(["export", "set-many (rollback)"]) {
        let pace = *ok as f64 / f64::from(per_second);
        let secs = elapsed.as_secs_f64();
        total = (total.0 + secs, total.1 + pace, total.2 + throttled);
        println!(
            "| {name} | {ok} | {secs:.2} | {pace:.1} | {:.4} | {throttled} |",
            secs / pace
        );
    }
    println!(
        "| both | {} | {:.2} | {:.1} | **{:.4}** | **{}** |",
        phases.iter().map(|p| p.1).sum::<u64>(),
        total.0,
        total.1,
        total.0 / total.1,
        total.2
    );
    Ok(())
}

/// How the server's quota changes in a [`changing`] scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// `quota` per window until `at` rows are stored, then half of it.
    Tightens,
    /// Half of `quota` until `at` rows are stored, then `quota`.
    Loosens,
    /// `quota`, of which another client sharing the token spends half
    /// until `at` rows are stored, then stops.
    Shared,
}

/// `lupl org set-many` of `rows` with its default rate limit against a
/// server whose quota changes ([`Change`]) when `rows / 2` are stored.
async fn changing_run(
    rows: usize,
    quota: u32,
    window: u32,
    concurrency: u16,
    change: Change,
) -> anyhow::Result<(Run, f64, u64)> {
    let (fixture, ids) = acme_with(rows, Quota::new(u32::MAX, 1))?;
    let other_token = fixture.users[1].token.clone();
    let model = Model::new(fixture);
    let at = rows / 2;
    let stored = Arc::new(AtomicUsize::new(0));
    // Every request counts against one window whose quota changes (the
    // model's own quota is fixed): the model's rule, CONTRACT.md step 2.
    let throttle = Arc::new(Mutex::new(SlidingWindow::new(Duration::from_secs(
        u64::from(window),
    ))));
    let statuses: Arc<Mutex<BTreeMap<u16, u64>>> = Arc::default();
    let after_change = Arc::new(AtomicUsize::new(0));
    let (seen, done, gate, late) = (
        statuses.clone(),
        stored.clone(),
        throttle.clone(),
        after_change.clone(),
    );
    let other = format!("Bearer {other_token}");
    let handler: Handler = Arc::new(move |req| {
        let before = done.load(Ordering::SeqCst) < at;
        let full = quota as usize;
        let q = match change {
            Change::Tightens if !before => full / 2,
            Change::Loosens if before => full / 2,
            _ => full,
        };
        let refused = gate
            .lock()
            .ok()
            .and_then(|mut t| t.admit(Instant::now(), q))
            .map(retry_after_seconds);
        let mine = req
            .header("authorization")
            .is_none_or(|a| a != other.as_bytes());
        let response = match refused {
            Some(seconds) => lupl_model::ModelResponse {
                status: 429,
                headers: vec![
                    ("retry-after".into(), seconds.to_string()),
                    ("content-type".into(), lupl_model::JSON.into()),
                ],
                body: format!(
                    r#"{{"statusCode": 429, "message": "Rate limit is exceeded. Try again in {seconds} seconds."}}"#
                )
                .into_bytes(),
            },
            None => model.handle(req),
        };
        if mine {
            if response.status == 200 && req.method == "POST" {
                done.fetch_add(1, Ordering::SeqCst);
            }
            if let Ok(mut s) = seen.lock() {
                *s.entry(response.status).or_default() += 1;
            }
            if response.status == 429 && !before {
                late.fetch_add(1, Ordering::SeqCst);
            }
        }
        response
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let server = tokio::spawn(serve(listener, handler));
    // The other client sharing the quota: half of it, evenly, until the
    // change (its token is another user's; the throttle counts both).
    let sharer = (change == Change::Shared).then(|| {
        let (url, token, stored) = (url.clone(), other_token.clone(), stored.clone());
        let every = Duration::from_secs_f64(f64::from(window) / f64::from(quota / 2));
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut tick = tokio::time::interval(every);
            while stored.load(Ordering::SeqCst) < at {
                tick.tick().await;
                let _ = http
                    .get(format!("{url}/api/1.0/pms/providerconfig?pmsId={PMS}"))
                    .bearer_auth(&token)
                    .send()
                    .await;
            }
        })
    });

    let input = rows_file("changing", &format!("orgs-{change:?}"), &ids)?;
    let dir = input
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    let start = Instant::now();
    let output = tokio::process::Command::new(sibling("lupl")?)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", &dir)
        .env("LUPL_BASE_URL", &url)
        .env("LUPL_TOKEN", "tok-acme")
        .args(["org", "set-many", "--pms-id", PMS])
        .args(if std::env::var_os("LUPL_BENCH_TRACE").is_some() {
            &["-vv"][..]
        } else {
            &[]
        })
        .args(["--concurrency", &concurrency.to_string(), "--file"])
        .arg(&input)
        .output()
        .await?;
    let elapsed = start.elapsed();
    if std::env::var_os("LUPL_BENCH_TRACE").is_some() {
        for line in String::from_utf8_lossy(&output.stderr).lines() {
            if line.contains("rate limit:") || line.contains("status=429") {
                eprintln!("{change:?} {line}");
            }
        }
    }
    server.abort();
    if let Some(s) = sharer {
        s.abort();
    }
    if !output.status.success() {
        bail!(
            "lupl exited {:?}: {}",
            output.status.code(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    // The server's pace: half the rows at each quota the client had.
    let per_row = |q: u32| f64::from(window) / f64::from(q);
    let (first, second) = match change {
        Change::Tightens => (quota, quota / 2),
        Change::Loosens | Change::Shared => (quota / 2, quota),
    };
    let pace = at as f64 * per_row(first) + (rows - at) as f64 * per_row(second);
    let statuses = statuses.lock().map(|s| s.clone()).unwrap_or_default();
    let refused_after = after_change.load(Ordering::SeqCst) as u64;
    Ok((
        Run {
            elapsed,
            statuses,
            exit: output.status.code(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        },
        pace,
        refused_after,
    ))
}

/// The learning scenarios where the server's quota changes mid-run: it
/// tightens, loosens, or another client sharing the token stops.
pub async fn changing(
    rows: usize,
    quota: u32,
    window: u32,
    concurrency: u16,
) -> anyhow::Result<()> {
    println!(
        "\n`lupl org set-many` of {rows} rows, default --rate-limit, concurrency {concurrency}; the quota changes when {} rows are stored\n",
        rows / 2
    );
    println!(
        "| scenario | time (s) | server's pace (s) | ÷ pace | 429s | after the change | exit | what `lupl` advised |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---|");
    for (name, change) in [
        (
            format!("tightens {quota}/{window} → {}/{window}", quota / 2),
            Change::Tightens,
        ),
        (
            format!("loosens {}/{window} → {quota}/{window}", quota / 2),
            Change::Loosens,
        ),
        (
            format!("{quota}/{window} shared with a client using half, which stops"),
            Change::Shared,
        ),
    ] {
        let (r, pace, late) = changing_run(rows, quota, window, concurrency, change).await?;
        let advice: Vec<String> = r
            .stderr
            .lines()
            .filter_map(|l| {
                l.split_once("pass --rate-limit ")
                    .map(|(_, a)| a.split_whitespace().next().unwrap_or("").to_owned())
            })
            .collect();
        println!(
            "| {name} | {:.2} | {pace:.0} | {:.3} | {} | {late} | {} | {} |",
            r.elapsed.as_secs_f64(),
            r.elapsed.as_secs_f64() / pace,
            r.statuses.get(&429).copied().unwrap_or(0),
            r.exit.map_or("-".into(), |c| c.to_string()),
            if advice.is_empty() {
                "—".to_owned()
            } else {
                advice.join(", ")
            },
        );
    }
    Ok(())
}
