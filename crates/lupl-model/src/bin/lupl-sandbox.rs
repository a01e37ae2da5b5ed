//! `lupl-sandbox`: the Lupl model on loopback, for PMS vendors and scripts
//! that cannot use Stage, and for CI.

use clap::Parser;
use lupl_model::{Fixture, Model, SandboxInfo, StateFile, http_server};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

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
    let state = args.state.map(StateFile::new);
    let saved = match &state {
        Some(s) => s.load().map_err(|e| e.to_string())?,
        None => None,
    };
    let fixture = match (saved, &args.fixture) {
        (Some(saved), _) => saved,
        (None, Some(path)) => Fixture::load(path).map_err(|e| e.to_string())?,
        (None, None) => Fixture::builtin(),
    };
    let mut model = Model::new(fixture.clone());
    if let Some(state) = state.clone() {
        state.save(&fixture).map_err(|e| e.to_string())?;
        model = model.on_write(Box::new(move |f| state.save(f).map_err(|e| e.to_string())));
    }
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let address = listener
        .local_addr()
        .map_err(|e| format!("cannot read the listening address: {e}"))?;
    let info = SandboxInfo::new(format!("http://{address}"), &fixture);
    tokio::spawn(http_server::serve(
        listener,
        http_server::sandbox_handler(Arc::new(model)),
    ));
    let mut banner = info.describe();
    if let Some(state) = &state {
        banner.push_str(&format!("  state file: {}\n", state.path().display()));
    }
    banner.push_str("Press Ctrl-C to stop.\n");
    // Whoever started us may stop reading stdout (a test, `| head`); that is
    // no reason to stop serving, so write errors are ignored.
    let mut stdout = std::io::stdout();
    let _ = stdout
        .write_all(banner.as_bytes())
        .and_then(|()| stdout.flush());
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| format!("cannot wait for Ctrl-C: {e}"))?;
    Ok(())
}
