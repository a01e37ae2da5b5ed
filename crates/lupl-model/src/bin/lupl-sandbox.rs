//! `lupl-sandbox`: the Lupl model on loopback, for PMS vendors and scripts
//! that cannot use Stage, and for CI.

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

/// Serve a contract-exact model of the Lupl Open API on loopback.
#[derive(Parser, Debug)]
#[command(
    name = "lupl-sandbox",
    version,
    after_help = "Examples:\n  lupl-sandbox\n  lupl-sandbox --listen 127.0.0.1:8080 --state sandbox-state.json\n  lupl-sandbox --fixture my-fixture.json"
)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Fixture file (users, providers, organizations, rate limit); the
    /// built-in one uses the vendor document's ids.
    #[arg(long, value_name = "FILE")]
    fixture: Option<PathBuf>,
    /// Load state from FILE if it exists, and save every acknowledged write
    /// to it atomically.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Give the first user N more organizations (for trying bulk scripts);
    /// their ids are printed on start.
    #[arg(long, value_name = "N", default_value_t = 0)]
    organizations: usize,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("lupl-sandbox: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lupl-sandbox: {e}");
            ExitCode::from(2)
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    lupl_model::run_sandbox(
        &args.listen,
        args.fixture.as_deref(),
        args.state.as_deref(),
        args.organizations,
    )
    .await
}
