//! `lupl-sandbox`: the Lupl model on loopback, for PMS vendors and scripts
//! that cannot use Stage, and for CI.

use clap::Parser;
use std::process::ExitCode;

/// Serve a contract-exact model of the Lupl Open API on loopback.
#[derive(Parser, Debug)]
#[command(
    name = "lupl-sandbox",
    version,
    after_help = "Examples:\n  lupl-sandbox\n  lupl-sandbox --listen 127.0.0.1:8080 --state sandbox-state.json\n  lupl-sandbox --fixture my-fixture.json --quota 20/5\n  lupl-sandbox --faults faults.json --token-ttl 15m --quiet\n\nAdmin API (loopback): /__admin/faults, /__admin/requests, /__admin/reset; see sandbox-admin.json."
)]
struct Args {
    #[command(flatten)]
    sandbox: lupl_model::SandboxArgs,
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
    match runtime.block_on(lupl_model::run_sandbox(&args.sandbox)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!(
                "lupl-sandbox: {}",
                lupl_safety::text::for_terminal(&e, true)
            );
            ExitCode::from(2)
        }
    }
}
