//! The sandbox as a program: its flags (shared by `lupl-sandbox` and
//! `lupl sandbox`), state file, fixture, listener, banner.

use crate::faults::Fault;
use crate::fixture::{Fixture, FixtureError};
use crate::gateway::Gateway;
use crate::http_server;
use crate::model::Model;
use crate::persist::StateFile;
use crate::sandbox::SandboxInfo;
use crate::services::Services;
use lupl_spec::Quota;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

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
    /// Faults in force from the start: a JSON array of faults, as
    /// `POST /__admin/faults` takes them (see sandbox-admin.json).
    #[arg(long, value_name = "FILE")]
    pub faults: Option<PathBuf>,
    /// A file holding a token that lets clients beyond loopback use the
    /// admin API (`Authorization: Bearer <token>`); without it, only
    /// loopback clients may.
    #[arg(long, value_name = "FILE")]
    pub admin_token_file: Option<PathBuf>,
    /// How long tokens issued by `POST /oauth/token` last: seconds, or a
    /// number with s, m, h or d.
    #[arg(long, value_name = "DURATION", default_value = "1d", value_parser = parse_ttl)]
    pub token_ttl: Duration,
    /// No access log (one line per request on stdout).
    #[arg(long)]
    pub quiet: bool,
}

/// Parses `--token-ttl`: `90`, `90s`, `15m`, `12h`, `1d` (at most 365 days).
///
/// ```
/// use std::time::Duration;
/// assert_eq!(lupl_model::run::parse_ttl("15m"), Ok(Duration::from_secs(900)));
/// assert_eq!(lupl_model::run::parse_ttl("90"), Ok(Duration::from_secs(90)));
/// assert!(lupl_model::run::parse_ttl("soon").is_err());
/// ```
pub fn parse_ttl(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => text.split_at(i),
        None => (text, "s"),
    };
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => {
            return Err(format!(
                "'{text}': give seconds, or a number with s, m, h or d (e.g. 15m)"
            ));
        }
    };
    let n: u64 = match digits.parse() {
        Ok(n) => n,
        Err(_) if !digits.is_empty() => return Err(format!("'{text}': at most 365 days")),
        Err(_) => {
            return Err(format!(
                "'{text}': give seconds, or a number with s, m, h or d (e.g. 15m)"
            ));
        }
    };
    match n.checked_mul(scale) {
        Some(0) => Err(format!("'{text}': at least 1s (a token must live)")),
        Some(secs) if secs <= 365 * 86_400 => Ok(Duration::from_secs(secs)),
        _ => Err(format!("'{text}': at most 365 days")),
    }
}

/// Every path flag of the sandbox and what it is to a run, for
/// [`lupl_safety::paths`]; a test walks every path flag of
/// [`SandboxArgs`] and fails on one this list does not name.
pub const FILE_ROLES: &[(&str, lupl_safety::paths::Role)] = &[
    ("fixture", lupl_safety::paths::Role::Input),
    ("faults", lupl_safety::paths::Role::Input),
    ("admin_token_file", lupl_safety::paths::Role::Input),
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
            .input("--faults", self.faults.as_deref())
            .input("--admin-token-file", self.admin_token_file.as_deref())
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
    let faults = match &args.faults {
        Some(path) => load_faults(path)?,
        None => Vec::new(),
    };
    let admin_token = match &args.admin_token_file {
        Some(path) => {
            let shown = path.display();
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("--admin-token-file {shown}: {e}"))?;
            let token = text.trim();
            if token.is_empty() {
                return Err(format!("--admin-token-file {shown}: the file is empty"));
            }
            // Masked wherever it could be printed, as every secret is.
            lupl_safety::secrets::register(token);
            Some(token.to_owned())
        }
        None => None,
    };
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
    let model = Arc::new(model);
    // A reset goes back to the fixture the sandbox was started from.
    let reset_to = match args.state {
        Some(_) => {
            let mut again = fresh().map_err(|e| e.to_string())?;
            again.rate_limit = fixture.rate_limit;
            again
        }
        None => fixture.clone(),
    };
    let services = Services::new(model.clone(), reset_to, args.token_ttl)
        .admin_token(admin_token)
        .access_log(!args.quiet)
        .state_file(state.clone());
    for fault in faults {
        services
            .faults
            .install(fault)
            .map_err(|e| format!("--faults: {e}"))?;
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
    let gateway = Gateway::sandbox(http_server::sandbox_handler(model), Arc::new(services));
    tokio::spawn(http_server::serve_gateway(
        listener,
        Arc::new(gateway),
        http_server::Limits::default(),
    ));
    let mut banner = info.describe();
    if let Some(state) = &state {
        banner.push_str(&format!("  state file: {}\n", state.path().display()));
    }
    banner.push_str(&format!(
        "  admin API: {}/__admin/ (faults, requests, reset; see sandbox-admin.json){}\n",
        info.base_url,
        if args.admin_token_file.is_some() {
            ""
        } else {
            ", loopback clients only"
        }
    ));
    if !args.quiet {
        banner.push_str("  access log: one line per request below (--quiet to silence)\n");
    }
    banner.push_str("Press Ctrl-C to stop.\n");
    // A fixture's emails and tokens are the user's text: no escapes.
    let banner = lupl_safety::text::for_terminal(&banner, true);
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

/// Reads `--faults FILE`: a JSON array of faults.
fn load_faults(path: &std::path::Path) -> Result<Vec<Fault>, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("--faults {}: {e}", path.display()))?;
    let faults: Vec<Fault> = serde_json::from_str(&text).map_err(|e| {
        format!(
            "--faults {}: not a JSON array of faults (see sandbox-admin.json): {e}",
            path.display()
        )
    })?;
    for (i, fault) in faults.iter().enumerate() {
        fault
            .check()
            .map_err(|e| format!("--faults {}: fault {}: {e}", path.display(), i + 1))?;
    }
    Ok(faults)
}
