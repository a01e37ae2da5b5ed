//! The sandbox as a program: its flags (shared by `lupl-sandbox` and
//! `lupl sandbox`), state file, fixture, listener, banner.

use crate::fixture::{Fixture, FixtureError};
use crate::http_server;
use crate::model::Model;
use crate::persist::StateFile;
use crate::sandbox::SandboxInfo;
use lupl_spec::Quota;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

/// The sandbox's flags, for `lupl-sandbox` and `lupl sandbox` alike.
#[derive(clap::Args, Debug, Clone)]
pub struct SandboxArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Fixture file (users, providers, organizations, rate limit); the
    /// built-in one uses the vendor document's ids.
    #[arg(long, value_name = "FILE")]
    pub fixture: Option<PathBuf>,
    /// Load state from FILE if it exists, and append every acknowledged
    /// write to it before answering (one sandbox per file; mode 0600).
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Give the first user N more organizations (for trying bulk scripts),
    /// up to 1,000,000; their ids are printed on start.
    #[arg(long, value_name = "N", default_value_t = 0,
          value_parser = clap::value_parser!(u32).range(0..=MAX_ORGANIZATIONS))]
    pub organizations: u32,
    /// The per-token quota, N/SECONDS, instead of the fixture's (Lupl's
    /// 1000/60 by default).
    #[arg(long, value_name = "N/SECONDS")]
    pub quota: Option<Quota>,
}

/// Every path flag of the sandbox and what it is to a run, for
/// [`lupl_safety::paths`]; a test walks every path flag of
/// [`SandboxArgs`] and fails on one this list does not name.
pub const FILE_ROLES: &[(&str, lupl_safety::paths::Role)] = &[
    ("fixture", lupl_safety::paths::Role::Input),
    // Read at start, then appended to and rewritten.
    ("state", lupl_safety::paths::Role::Output),
];

impl SandboxArgs {
    /// The files these flags name, each with its role in [`FILE_ROLES`].
    ///
    /// ```
    /// use clap::Parser;
    /// #[derive(Parser)]
    /// struct Cli {
    ///     #[command(flatten)]
    ///     sandbox: lupl_model::SandboxArgs,
    /// }
    /// let cli = Cli::parse_from(["x", "--state", "s.jsonl", "--fixture", "s.jsonl"]);
    /// assert!(cli.sandbox.files().check().is_err(), "the state would replace the fixture");
    /// ```
    pub fn files(&self) -> lupl_safety::paths::Files {
        lupl_safety::paths::Files::default()
            .input("--fixture", self.fixture.as_deref())
            .output("--state", self.state.as_deref())
    }
}

/// The most organizations `--organizations` adds.
pub const MAX_ORGANIZATIONS: i64 = 1_000_000;

/// Runs the sandbox until Ctrl-C. Prints the base URL, tokens and ids.
/// `--organizations` more organizations are given to the first user of a
/// fresh fixture (not of a saved state).
pub async fn run_sandbox(args: &SandboxArgs) -> Result<(), String> {
    // The state file is written: it must not be the fixture it starts from.
    args.files().check().map_err(|e| e.to_string())?;
    let (listen, fixture, extra_organizations) = (
        args.listen.as_str(),
        args.fixture.as_deref(),
        args.organizations as usize,
    );
    let fresh = || -> Result<Fixture, FixtureError> {
        let mut fixture = match fixture {
            Some(path) => Fixture::load(path)?,
            None => Fixture::builtin(),
        };
        if let Some(token) = fixture.users.first().map(|u| u.token.clone()) {
            fixture.add_organizations(&token, extra_organizations);
        }
        Ok(fixture)
    };
    let (state, mut fixture) = match args.state.as_deref() {
        Some(path) => {
            // The fresh fixture is only made when there is no saved state.
            let (state, fixture) = StateFile::open(path, fresh).map_err(|e| e.to_string())?;
            (Some(Arc::new(state)), fixture)
        }
        None => (None, fresh().map_err(|e| e.to_string())?),
    };
    if let Some(limit) = args.quota {
        fixture.rate_limit = limit;
    }
    let mut model = Model::new(fixture.clone());
    if let Some(state) = state.clone() {
        model = model.on_write(Box::new(move |change| {
            state.append(change).map_err(|e| {
                // The write is refused (503); say why where the operator looks.
                eprintln!("lupl-sandbox: cannot save the state, a write was refused: {e}");
                e.to_string()
            })
        }));
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let address = listener
        .local_addr()
        .map_err(|e| format!("cannot read the listening address: {e}"))?;
    if !address.ip().is_loopback() {
        eprintln!(
            "lupl-sandbox: warning: listening on {address}, reachable from other machines; anyone who can reach it can use the fixture's tokens (listen on 127.0.0.1 to keep it local)"
        );
    }
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
