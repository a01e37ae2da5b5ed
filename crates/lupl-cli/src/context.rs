//! Where a command runs: its settings, the environment they are read with
//! and the output format, and the API client they make.

use crate::cli::{Cli, Output};
use crate::failure::Failure;
use lupl_api::Client;
use lupl_auth::{ClientBuilder, settings::SettingsArgs};
use serde_json::Value;
use std::io::IsTerminal;

/// An environment to read `LUPL_*` variables from.
///
/// ```
/// let env: lupl_cli::context::Env = Box::new(|name| (name == "LUPL_TOKEN").then(|| "t".to_owned()));
/// assert_eq!(env("LUPL_TOKEN").as_deref(), Some("t"));
/// assert_eq!(env("LUPL_BASE_URL"), None);
/// ```
pub type Env = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Where a command runs: its settings, the environment they are read
/// with, and how results are printed.
///
/// `lupl` makes it with [`Context::of`]; a test names an environment of
/// its own:
///
/// ```
/// use clap::Parser;
/// use lupl_cli::cli::{Cli, Output};
/// use lupl_cli::context::Context;
/// let cli = Cli::try_parse_from(["lupl", "token"])?;
/// let ctx = Context {
///     settings: cli.settings.clone(),
///     env: Box::new(|name| (name == "LUPL_TOKEN").then(|| "t".to_owned())),
///     output: Output::Json,
///     debug: false,
/// };
/// assert_eq!(ctx.render(&serde_json::json!({"a": 1})), r#"{"a":1}"#);
/// # Ok::<(), clap::Error>(())
/// ```
pub struct Context {
    /// The settings flags.
    pub settings: SettingsArgs,
    /// The environment (`std::env` for `lupl`, a map in tests).
    pub env: Env,
    /// The output format.
    pub output: Output,
    /// Print each request as a curl line and each answer (`--debug`).
    pub debug: bool,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("settings", &self.settings)
            .field("output", &self.output)
            .finish_non_exhaustive()
    }
}

impl Context {
    /// The context of a parsed command line: the process environment, and
    /// JSON output when stdout is not a terminal.
    pub fn of(cli: &Cli) -> Self {
        Self {
            settings: cli.settings.clone(),
            env: Box::new(|name| std::env::var(name).ok()),
            output: cli.output.unwrap_or(if std::io::stdout().is_terminal() {
                Output::Table
            } else {
                Output::Json
            }),
            debug: cli.debug,
        }
    }

    /// A client with the settings' credentials, limit and environment.
    pub fn client(&self) -> Result<Client, Failure> {
        Ok(self.client_parts()?.client)
    }

    /// [`Context::client`] and its parts (the limiter, to stop waits).
    pub fn client_parts(&self) -> Result<lupl_auth::Built, Failure> {
        let resolved = self.settings.resolve_with(&*self.env)?;
        let configured = resolved.rate_limit;
        let mut builder = ClientBuilder::from_settings(resolved.settings);
        if self.debug {
            builder = builder.observer(std::sync::Arc::new(crate::debug::CurlLines));
        }
        Ok(builder
            .rate_limit(configured)
            // No response cache: no command reads one resource twice (a
            // run reads the provider once, and each row at most once to
            // check it), so it would only cost every write its bookkeeping.
            .on_limit_learned(move |learned| {
                let flag = learned.whole_seconds();
                eprintln!(
                    "lupl: warning: the API allows about {learned} (requests/seconds), fewer than --rate-limit {configured}; that pace worked for a whole window and is kept (pass --rate-limit {flag} to start there)"
                );
            })
            .build_parts()?)
    }

    /// `value` as the output format asks ([`crate::output::render`]).
    pub fn render(&self, value: &Value) -> String {
        crate::output::render(self.output, value)
    }
}
