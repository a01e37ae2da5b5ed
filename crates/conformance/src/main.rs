//! `cargo run -p conformance -- [options]`: check that a target honours the
//! Lupl Open API contract; `conformance replay FILE` judges a recording
//! again, offline. Exit 0 when every clause holds (or every break is in the
//! `--baseline`), 1 when one is broken, 2 on a usage or connection error (or
//! a target that stopped answering), 130 when interrupted.

use clap::{Parser, Subcommand};
use conformance::baseline::{self, Baseline};
use conformance::record::Recorder;
use conformance::target::TargetArgs;
use conformance::{Harness, Options, Report, Target, report};
use lupl_auth::RateLimit;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

/// Check the Lupl Open API contract (CONTRACT.md) against the built-in model
/// or a live target.
#[derive(Parser, Debug)]
#[command(
    name = "conformance",
    after_help = "Examples:\n  cargo run -p conformance\n  cargo run -p conformance -- --seed 7 --junit report.xml --coverage coverage.json\n  LUPL_TOKEN=tok-acme cargo run -p conformance -- --base-url http://127.0.0.1:8080 \\\n      --pms-id 4efafdc0-2783-4af6-9cac-d2b2be27a080 --organization-id 3fa85f64-5717-4562-b3fc-2c963f66afa6 \\\n      --record run.ndjson\n\nCredentials as for `lupl`: LUPL_TOKEN or --token-file, or an Auth0 client\n(--client-id, --client-secret-file, --auth-domain, --audience, or their LUPL_*\nvariables), or a profile of ~/.config/lupl/config.toml (--profile)."
)]
struct Args {
    #[command(subcommand)]
    command: Option<Sub>,
    /// Mixed cases after the directed ones (every generator on every
    /// operation).
    #[arg(long, default_value_t = 256)]
    cases: u32,
    /// Directed cases per generator and operation [default: 2 on the model,
    /// 1 on a live target].
    #[arg(long, value_name = "N")]
    per_generator: Option<u32>,
    /// Start no case once this many requests were sent [default: none on
    /// the model, 1000 on a live target: a minute of Lupl's quota].
    #[arg(long, value_name = "N")]
    max_requests: Option<u64>,
    /// Seed (printed on every run; pass it again to replay).
    #[arg(long)]
    seed: Option<u64>,
    /// Write a JUnit XML report here (a test case per clause).
    #[arg(long, value_name = "FILE", global = true)]
    junit: Option<PathBuf>,
    /// Write the coverage table here as JSON.
    #[arg(long, value_name = "FILE", global = true)]
    coverage: Option<PathBuf>,
    /// Accept the failures and divergences this file lists (each with a
    /// reason and an expiry date): exit 0 unless something else breaks, an
    /// entry expired, or an entry no longer occurs.
    #[arg(long, value_name = "FILE", global = true)]
    baseline: Option<PathBuf>,
    /// Write a baseline accepting this run's failures and divergences for
    /// 90 days (edit each reason before committing it).
    #[arg(long, value_name = "FILE", global = true)]
    write_baseline: Option<PathBuf>,
    /// Write every exchange here as NDJSON (tokens masked).
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    /// Drive one token past its quota (--rate-limit) and check 429,
    /// Retry-After, recovery and the order of checks while throttled
    /// (always on the model).
    #[arg(long)]
    check_throttling: bool,
    /// Also send every judged request to an in-process model seeded to
    /// mirror the target, and report where the two answer differently and
    /// which one the contract agrees with (no extra request to the target).
    #[arg(long)]
    compare_model: bool,
    #[command(flatten)]
    target: TargetArgs,
}

#[derive(Subcommand, Debug)]
enum Sub {
    /// Judge a recording (--record) again, offline, with today's checks
    /// and contract: no request is sent.
    Replay {
        /// The recording (NDJSON).
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("conformance: {e}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(run(args))
}

/// The model's quota for the throttling phase: small, so the phase takes
/// a couple of seconds.
const THROTTLE_MODEL: RateLimit = RateLimit::new(10, 3);

async fn throttle_model(recorder: Option<Arc<Recorder>>, seed: u64) -> anyhow::Result<Harness> {
    let mut fixture = lupl_model::Fixture::builtin();
    fixture.rate_limit = lupl_model::RateLimit {
        requests: THROTTLE_MODEL.requests,
        per_seconds: THROTTLE_MODEL.per.as_secs() as u32,
    };
    let target = Target::model_with(fixture, RateLimit::new(1_000_000, 1)).await?;
    Harness::with_recorder(target, recorder, seed).await
}

fn write(path: &std::path::Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// What every run ends with: the report printed, the files written, the
/// baseline applied, the exit code.
fn finish(report: &Report, base_url: &str, args: &Args, baseline: Option<&Baseline>) -> ExitCode {
    print!("{}", report::summary(report, base_url));
    let mut files = Vec::new();
    if let Some(path) = &args.coverage {
        files.push((path, Ok(report.coverage.to_json().to_string())));
    }
    if let Some(path) = &args.junit {
        files.push((
            path,
            report::junit(report, base_url).map_err(|e| e.to_string()),
        ));
    }
    let today = chrono::Utc::now().date_naive();
    if let Some(path) = &args.write_baseline {
        let expires = today + chrono::Days::new(90);
        let written =
            Baseline::from_report(report, &format!("accepted on {today}; say why"), expires);
        files.push((
            path,
            serde_json::to_string_pretty(&written).map_err(|e| e.to_string()),
        ));
    }
    for (path, text) in files {
        if let Err(e) = text.and_then(|t| write(path, &t)) {
            eprintln!("conformance: {e}");
            return ExitCode::from(2);
        }
    }
    let verdict = baseline.map(|b| b.judge(report, today));
    if let Some(v) = &verdict {
        print!("{}", baseline::text(v));
    }
    let restore_failed = report
        .restore
        .iter()
        .any(|r| matches!(r, conformance::runner::RestoreOutcome::Failed(..)));
    if report.interrupted {
        ExitCode::from(130)
    } else if report.aborted.is_some() {
        ExitCode::from(2)
    } else if let Some(v) = verdict {
        if v.passed() && !restore_failed {
            println!("every break is in the baseline");
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        }
    } else if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// `conformance replay FILE`.
fn replay(args: &Args, file: &std::path::Path, baseline: Option<&Baseline>) -> ExitCode {
    let lines = match conformance::record::read(file) {
        Ok(lines) => lines,
        Err(e) => {
            eprintln!("conformance: cannot replay {}: {e}", file.display());
            return ExitCode::from(2);
        }
    };
    match conformance::replay::replay(lines) {
        Ok(report) => {
            eprintln!(
                "conformance: judged {} again, offline ({} exchanges)",
                file.display(),
                report.requests
            );
            finish(&report, "(recorded)", args, baseline)
        }
        Err(e) => {
            eprintln!("conformance: cannot replay {}: {e}", file.display());
            ExitCode::from(2)
        }
    }
}

async fn run(args: Args) -> ExitCode {
    // Files written at the end are checked now, before any request.
    for path in [&args.coverage, &args.junit, &args.write_baseline]
        .into_iter()
        .flatten()
    {
        // Opened without truncating: `--baseline X --write-baseline X`
        // reads X below.
        let writable = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path);
        if let Err(e) = writable {
            eprintln!("conformance: cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    let baseline = match args.baseline.as_deref().map(Baseline::load).transpose() {
        Ok(b) => b,
        Err(e) => {
            eprintln!("conformance: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(Sub::Replay { file }) = &args.command {
        return replay(&args, file, baseline.as_ref());
    }
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
    });
    eprintln!("conformance: seed {seed} (replay with --seed {seed})");
    let quota = match args.target.rate_limit() {
        Ok(q) => q,
        Err(e) => {
            eprintln!("conformance: {e}");
            return ExitCode::from(2);
        }
    };
    let recorder = match &args.record {
        Some(path) => match Recorder::create(path) {
            Ok(r) => Some(Arc::new(r)),
            Err(e) => {
                eprintln!("conformance: cannot write {}: {e}", path.display());
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    let target = match args.target.target().await {
        Ok(t) => t,
        Err(e) => {
            eprintln!("conformance: {e}");
            return ExitCode::from(2);
        }
    };
    let is_model = target.is_model;
    let name = if is_model {
        "the built-in model".to_owned()
    } else {
        target.base_url.clone()
    };
    let base_url = target.base_url.clone();
    eprintln!(
        "conformance: checking {name} with {} identit{}",
        target.identities.len(),
        if target.identities.len() == 1 {
            "y"
        } else {
            "ies"
        }
    );
    let harness = match Harness::with_recorder(target, recorder.clone(), seed).await {
        Ok(mut h) => {
            if args.compare_model {
                h.compare_with_model();
            }
            Arc::new(h)
        }
        Err(e) => {
            eprintln!("conformance: cannot start: {e}");
            return ExitCode::from(2);
        }
    };
    let cancel = harness.cancel_token();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!(
                "conformance: interrupted; finishing the request in flight, then restoring (Ctrl-C again to quit at once)"
            );
            cancel.cancel();
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("conformance: quit without restoring");
                std::process::exit(130);
            }
        }
    });
    let options = Options {
        cases: args.cases,
        seed,
        progress: std::io::IsTerminal::is_terminal(&std::io::stderr()),
        per_generator: args.per_generator.unwrap_or(if is_model { 2 } else { 1 }),
        max_requests: args.max_requests.or((!is_model).then_some(1000)),
        ..Options::default()
    };
    let handle = tokio::runtime::Handle::current();
    let worker = harness.clone();
    let check_throttling = args.check_throttling;
    let outcome = tokio::task::spawn_blocking(move || -> Report {
        let mut report = worker.run_blocking(&options, &handle);
        if worker.is_cancelled() || report.aborted.is_some() {
            return report;
        }
        if is_model {
            // The run's model has a quota no run reaches; the throttling
            // phase runs on a model of its own with a small one.
            match handle.block_on(throttle_model(recorder, seed)) {
                Ok(h) => report.merge(h.run_throttling(THROTTLE_MODEL, &handle)),
                Err(e) => report
                    .notes
                    .push(format!("cannot start the throttling model: {e}")),
            }
        } else if check_throttling {
            report.merge(worker.run_throttling(quota, &handle));
        }
        report
    })
    .await;
    let mut report = match outcome {
        Ok(r) => r,
        Err(e) => {
            eprintln!("conformance: the run failed: {e}");
            for r in harness.restore().await {
                eprintln!("conformance: restore: {r:?}");
            }
            return ExitCode::from(2);
        }
    };
    let before = harness.requests();
    report.restore = harness.restore().await;
    report.requests += harness.requests() - before;
    if let Err(e) = harness.flush_recording() {
        eprintln!("conformance: cannot write the recording: {e}");
        return ExitCode::from(2);
    }
    finish(&report, &base_url, &args, baseline.as_ref())
}
