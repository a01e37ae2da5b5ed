//! `cargo run -p conformance -- [options]`: check that a target honours the
//! Lupl Open API contract; `conformance replay FILE` judges a recording
//! again, offline. Exit 0 when every clause holds (or every break is in the
//! `--baseline`), 1 when one is broken, 2 on a usage or connection error (or
//! a target that stopped answering), 130 when interrupted.

use clap::{CommandFactory, FromArgMatches};
use conformance::baseline::{self, Baseline};
use conformance::cli::{Args, FILE_ROLES, Sub};
use conformance::progress::Progress;
use conformance::record::Recorder;
use conformance::{Harness, Options, Report, Target, report};
use lupl_auth::limits::Quota;
use std::process::ExitCode;
use std::sync::Arc;

fn main() -> ExitCode {
    let matches = Args::command().get_matches();
    let args = match Args::from_arg_matches(&matches) {
        Ok(a) => a,
        Err(e) => e.exit(),
    };
    // Before anything is read, sent or written: no output replaces an
    // input or another output, and each can be written (nothing is left
    // behind by finding out).
    let files = lupl_safety::paths::from_matches(&matches, FILE_ROLES).and_then(|files| {
        let files = args
            .target
            .settings
            .input_files(&|n| std::env::var(n).ok())
            .merge(files);
        files
            .check()
            .and_then(|()| files.check_writable())
            .map_err(|e| e.to_string())
    });
    if let Err(e) = files {
        say(e);
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            say(e);
            return ExitCode::from(2);
        }
    };
    runtime.block_on(run(args))
}

/// The model's quota for the throttling phase: small, so the phase takes
/// a couple of seconds.
const THROTTLE_MODEL: Quota = Quota::new(10, 3);

async fn throttle_model(recorder: Option<Arc<Recorder>>, seed: u64) -> anyhow::Result<Harness> {
    let mut fixture = lupl_model::Fixture::builtin();
    fixture.rate_limit = THROTTLE_MODEL;
    let target = Target::model_with(fixture, Quota::new(1_000_000, 1)).await?;
    Harness::with_recorder(target, recorder, seed).await
}

fn write(path: &std::path::Path, text: &str) -> Result<(), String> {
    lupl_safety::paths::replace(path, text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// What every run ends with: the report printed, the files written, the
/// baseline applied, the exit code. The report is printed first and every
/// file is tried: one that cannot be written (a full disk) is named after
/// the report, with `failed_outputs` (the recording's), and the run exits 2
/// — it never hides the report, nor a failed restore's saved JSON.
fn finish(
    report: &Report,
    base_url: &str,
    args: &Args,
    baseline: Option<&Baseline>,
    mut failed_outputs: Vec<String>,
) -> ExitCode {
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
            failed_outputs.push(e);
        }
    }
    let verdict = baseline.map(|b| b.judge(report, today));
    if let Some(v) = &verdict {
        print!("{}", baseline::text(v));
    }
    let restore_failed = report
        .restore
        .iter()
        .any(|r| matches!(r, conformance::outcome::RestoreOutcome::Failed(..)));
    for e in &failed_outputs {
        say(e);
    }
    if report.interrupted {
        ExitCode::from(130)
    } else if report.aborted.is_some() || !failed_outputs.is_empty() {
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

/// A line on stderr: secrets masked, controls escaped.
fn say(message: impl std::fmt::Display) {
    eprintln!(
        "conformance: {}",
        lupl_safety::text::for_terminal(&message.to_string(), false)
    );
}

/// `conformance replay FILE`.
fn replay(args: &Args, file: &std::path::Path, baseline: Option<&Baseline>) -> ExitCode {
    let lines = match conformance::record::open(file) {
        Ok(lines) => lines,
        Err(e) => {
            say(format!("cannot replay {}: {e}", file.display()));
            return ExitCode::from(2);
        }
    };
    match conformance::replay::replay(lines) {
        Ok(mut report) => {
            report.strict_compare = args.strict;
            say(format!(
                "judged {} again, offline ({} exchanges)",
                file.display(),
                report.requests
            ));
            finish(&report, "(recorded)", args, baseline, Vec::new())
        }
        Err(e) => {
            say(format!("cannot replay {}: {e}", file.display()));
            ExitCode::from(2)
        }
    }
}

async fn run(args: Args) -> ExitCode {
    let baseline = match args.baseline.as_deref().map(Baseline::load).transpose() {
        Ok(b) => b,
        Err(e) => {
            say(e);
            return ExitCode::from(2);
        }
    };
    if let Some(Sub::Replay { file }) = &args.command {
        return replay(&args, file, baseline.as_ref());
    }
    if args.strict && !args.compare_model {
        say(
            "--strict judges --compare-model's differences: pass --compare-model too (or replay a recording made with it)",
        );
        return ExitCode::from(2);
    }
    // Ctrl-C and SIGTERM (`timeout`, `docker stop`, a cancelled CI job)
    // alike, from the start: before the first write there is nothing to
    // put back, and the run stops with 130 and no file written.
    let interrupts = match lupl_safety::signals::Interrupts::install() {
        Ok(i) => i,
        Err(e) => {
            say(format!("cannot handle signals: {e}"));
            return ExitCode::from(2);
        }
    };
    setup_and_run(&args, baseline.as_ref(), interrupts).await
}

/// The run from its setup on; an interrupt during the setup ends it (130).
async fn setup_and_run(
    args: &Args,
    baseline: Option<&Baseline>,
    mut interrupts: lupl_safety::signals::Interrupts,
) -> ExitCode {
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
    });
    say(format!("seed {seed} (replay with --seed {seed})"));
    let quota = match args.target.rate_limit() {
        Ok(q) => q,
        Err(e) => {
            say(e);
            return ExitCode::from(2);
        }
    };
    // Written to a new file beside --record, which replaces it only when
    // the run ends: an early exit leaves the old recording as it was.
    let recorder = match &args.record {
        Some(path) => match Recorder::create(path) {
            Ok(r) => Some(Arc::new(r)),
            Err(e) => {
                say(format!("cannot write {}: {e}", path.display()));
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    let setup = async {
        let target = args.target.target().await.map_err(|e| e.to_string())?;
        let is_model = target.is_model;
        let name = if is_model {
            "the built-in model".to_owned()
        } else {
            target.base_url.clone()
        };
        let count = target.tenants.identities.len();
        // Each identity's two reads before and two reads and two writes
        // after: a budget must hold them.
        let least = 6 * count as u64;
        if let Some(max) = args.max_requests.filter(|m| *m < least) {
            return Err(format!(
                "--max-requests {max} cannot hold the reads before and the restore after ({least} with {count} identit{}); pass at least {least}",
                if count == 1 { "y" } else { "ies" }
            ));
        }
        say(format!(
            "checking {name} with {count} identit{}",
            if count == 1 { "y" } else { "ies" }
        ));
        let base_url = target.base_url.clone();
        let mut harness = Harness::with_recorder(target, recorder.clone(), seed)
            .await
            .map_err(|e| format!("cannot start: {e}"))?;
        if args.compare_model {
            harness.compare_with_model();
        }
        Ok::<_, String>((Arc::new(harness), is_model, base_url))
    };
    let (harness, is_model, base_url) = tokio::select! {
        ready = setup => match ready {
            Ok(ready) => ready,
            Err(e) => {
                say(e);
                return ExitCode::from(2);
            }
        },
        _ = interrupts.recv() => {
            say("interrupted before the first write: nothing to restore");
            return ExitCode::from(130);
        }
    };
    let cancel = harness.cancel_token();
    let watcher = harness.clone();
    tokio::spawn(async move {
        if interrupts.recv().await.is_some() {
            say(
                "interrupted; finishing the request in flight, then restoring (interrupt again to quit at once)",
            );
            cancel.cancel();
            if interrupts.recv().await.is_some() {
                say("quit without restoring; what the run read at its start, to put back by hand:");
                for (op, saved) in watcher.saved_json() {
                    eprintln!(
                        "{}: {}",
                        op.operation_id(),
                        lupl_safety::text::for_terminal(&saved, false)
                    );
                }
                // The evidence so far is kept.
                if let Err(e) = watcher.flush_recording() {
                    say(format!("cannot write the recording: {e}"));
                }
                std::process::exit(130);
            }
        }
    });
    let options = Options {
        cases: args.cases,
        seed,
        progress: std::io::IsTerminal::is_terminal(&std::io::stderr())
            .then(|| Arc::new(Bar::default()) as Arc<dyn Progress>),
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
                Ok(mut h) => {
                    h.set_cancel_token(worker.cancel_token());
                    report.merge(h.run_throttling(THROTTLE_MODEL, &handle));
                }
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
            say(format!("the run failed: {e}"));
            for r in harness.restore().await {
                say(format!("restore: {r:?}"));
            }
            return ExitCode::from(2);
        }
    };
    harness.restore_into(&mut report).await;
    report.strict_compare = args.strict;
    let failed_outputs = match harness.flush_recording() {
        Ok(()) => Vec::new(),
        Err(e) => vec![format!("cannot write the recording: {e}")],
    };
    finish(&report, &base_url, args, baseline, failed_outputs)
}

/// The run's progress as a bar on standard error.
#[derive(Default)]
struct Bar(std::sync::OnceLock<indicatif::ProgressBar>);

impl Bar {
    fn bar(&self) -> Option<&indicatif::ProgressBar> {
        self.0.get()
    }
}

impl Progress for Bar {
    fn start(&self, total: u64) {
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} cases {per_sec} ETA {eta} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        let _ = self.0.set(bar);
    }

    fn case_done(&self) {
        if let Some(bar) = self.bar() {
            bar.inc(1);
        }
    }

    fn message(&self, text: &str) {
        if let Some(bar) = self.bar() {
            bar.set_message(text.to_owned());
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.bar() {
            bar.finish_and_clear();
        }
    }
}
