//! `lupl-bench`: the project's benchmarks, run by `cargo xtask bench` in
//! release mode. Every number is printed beside a baseline measured in the
//! same run, on the same machine, so ratios mean something on a shared box.

mod auth;
mod build;
mod load;
mod sandbox;
mod set_many;
mod state;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "lupl-bench")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Sandbox throughput at 1, 8 and 64 connections and memory after
    /// 100,000 requests, beside the same HTTP server with a trivial handler.
    Sandbox {
        /// Seconds per throughput measurement.
        #[arg(long, default_value_t = 3)]
        seconds: u64,
        /// Requests before the memory reading.
        #[arg(long, default_value_t = 100_000)]
        requests: u64,
    },
    /// The full client (auth + limiter at a high quota) against the bare
    /// generated client, and the rate achieved under a 20/s quota.
    Auth {
        /// Seconds per throughput round.
        #[arg(long, default_value_t = 3)]
        seconds: u64,
        /// Seconds of the 20/s run.
        #[arg(long, default_value_t = 30)]
        quota_seconds: u64,
    },
    /// `lupl org set-many` of ROWS organizations against the model at a
    /// PER_SECOND/1 s quota, beside the policy's minimum time.
    SetMany {
        /// Organizations.
        #[arg(long, default_value_t = 5000)]
        rows: usize,
        /// The quota per second (Lupl's 1000/min, scaled to seconds).
        #[arg(long, default_value_t = 100)]
        per_second: u32,
        /// `lupl`'s --concurrency.
        #[arg(long, default_value_t = 8)]
        concurrency: u16,
    },
    /// `lupl org export` of ROWS configured organizations, then `lupl org
    /// set-many` of the export, at a PER_SECOND/1 s quota.
    ExportSetMany {
        /// Organizations.
        #[arg(long, default_value_t = 10_000)]
        rows: usize,
        /// The quota per second (Lupl's 1000/min, scaled to seconds).
        #[arg(long, default_value_t = 100)]
        per_second: u32,
        /// `lupl`'s --concurrency.
        #[arg(long, default_value_t = 8)]
        concurrency: u16,
    },
    /// `lupl org set-many` against a server whose quota is lower than the
    /// documented one, with the default rate limit (learned) and told.
    Learning {
        /// Organizations.
        #[arg(long, default_value_t = 200)]
        rows: usize,
        /// The server's quota per window.
        #[arg(long, default_value_t = 20)]
        quota: u32,
        /// The server's window, in seconds.
        #[arg(long, default_value_t = 5)]
        window: u32,
        /// `lupl`'s --concurrency.
        #[arg(long, default_value_t = 8)]
        concurrency: u16,
    },
    /// Cold build time and crates compiled of a fresh project depending on
    /// `lupl` (the README's first program), beside a bare project with
    /// only reqwest, tokio, serde_json and uuid.
    Build {
        /// Cold builds of each project; the best is reported.
        #[arg(long, default_value_t = 2)]
        rounds: u32,
    },
    /// Writes per second with `--state` at 100, 100,000 and 1,000,000
    /// organizations in the state, beside the sandbox without it.
    State {
        /// Seconds per cell.
        #[arg(long, default_value_t = 3)]
        seconds: u64,
    },
    /// Sends N sequential GETs with one client (`bare` or `full`) to a
    /// server at URL: for profiling the client under callgrind.
    #[command(hide = true)]
    Profile {
        /// `bare` or `full`.
        which: String,
        /// The server.
        url: String,
        /// Requests.
        #[arg(default_value_t = 2000)]
        n: u64,
    },
    /// The sandbox's HTTP front end answering `null` to everything: the
    /// baseline the sandbox is compared with.
    #[command(hide = true)]
    ServeBaseline,
    /// The model behind the front end with no test-double services (no
    /// admin API, fault table or journal): the sandbox as it served before
    /// them, for the ratio that prices them.
    #[command(hide = true)]
    ServeModel,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("lupl-bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Sandbox { seconds, requests } => sandbox::run(seconds, requests).await,
            Command::Auth {
                seconds,
                quota_seconds,
            } => auth::run(seconds, quota_seconds).await,
            Command::SetMany {
                rows,
                per_second,
                concurrency,
            } => set_many::run(rows, per_second, concurrency).await,
            Command::ExportSetMany {
                rows,
                per_second,
                concurrency,
            } => set_many::export_then_set_many(rows, per_second, concurrency).await,
            Command::State { seconds } => state::run(seconds).await,
            Command::Build { rounds } => tokio::task::block_in_place(|| build::run(rounds)),
            Command::Learning {
                rows,
                quota,
                window,
                concurrency,
            } => set_many::learning(rows, quota, window, concurrency).await,
            Command::Profile { which, url, n } => auth::profile(&which, &url, n).await,
            Command::ServeBaseline => sandbox::serve_baseline().await,
            Command::ServeModel => sandbox::serve_model().await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lupl-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}
