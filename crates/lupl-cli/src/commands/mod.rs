//! What each command does. [`run`] hands a parsed command line to its
//! handler; a handler takes its parsed arguments and a [`Context`]
//! (settings, environment, output) and returns a [`Done`] (what to print
//! and the exit code), so tests call it directly, without spawning `lupl`.
//!
//! One file per command group: `provider` (get, set, validate), `org`
//! (get, set, validate, and the `--field` pairs), `org_set_many` (`org
//! set-many` and its signal handling), `org_export` (`org export`),
//! `schema`, `token`.
//!
//! ```no_run
//! use clap::Parser;
//! use lupl_cli::{cli::Cli, commands, context::Context};
//! # async fn example() -> Result<(), lupl_cli::Failure> {
//! let cli = Cli::parse_from(["lupl", "provider", "validate", "--file", "acme.json"]);
//! let done = commands::run(&cli, &Context::of(&cli)).await?;
//! assert_eq!(done.note.as_deref(), Some("acme.json: valid"));
//! # Ok(())
//! # }
//! ```

mod api;
mod org;
mod org_export;
mod org_set_many;
mod provider;
mod schema;
mod token;

pub use api::{api, method};
pub use org::{field_args, typed_fields};
pub use org_export::{export, ids};
pub use org_set_many::{interrupts, set_many};

use crate::cli::{Cli, Command, OrgCommand, ProviderCommand};
use crate::context::Context;
use crate::failure::Failure;
use crate::output::Done;

/// Runs a parsed command line.
pub async fn run(cli: &Cli, ctx: &Context) -> Result<Done, Failure> {
    match &cli.command {
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(
                *shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "lupl",
                &mut out,
            );
            Ok(Done::text(String::from_utf8_lossy(&out).into_owned()))
        }
        Command::Sandbox(args) => {
            lupl_model::run_sandbox(args)
                .await
                .map_err(Failure::usage)?;
            Ok(Done::default())
        }
        Command::Schema { of } => schema::schema(*of),
        Command::Token => interruptible(token::token(ctx), Sent::Read).await,
        Command::Api(args) => api(ctx, args, interrupts()?).await,
        Command::Provider(ProviderCommand::Get { pms_id }) => {
            interruptible(provider::get(ctx, pms_id), Sent::Read).await
        }
        Command::Provider(ProviderCommand::Set { pms_id, file }) => {
            interruptible(provider::set(ctx, pms_id, file), Sent::Write).await
        }
        Command::Provider(ProviderCommand::Validate { file }) => provider::validate(file),
        Command::Org(OrgCommand::Get { organization_id }) => {
            interruptible(org::get(ctx, organization_id), Sent::Read).await
        }
        Command::Org(OrgCommand::Set {
            organization_id,
            pms_id,
            fields,
            file,
            provider_config,
        }) => {
            let set = org::set(
                ctx,
                organization_id,
                pms_id,
                fields,
                file.as_deref(),
                provider_config.as_deref(),
            );
            interruptible(set, Sent::Write).await
        }
        Command::Org(OrgCommand::Validate {
            file,
            provider_config,
        }) => org::validate(file, provider_config),
        Command::Org(OrgCommand::SetMany(args)) => set_many(ctx, args, interrupts()?).await,
        Command::Org(OrgCommand::Export(args)) => export(ctx, args, interrupts()?).await,
    }
}

/// What a one-request command sends, for what an interruption means.
#[derive(Clone, Copy)]
enum Sent {
    /// Reads only: nothing changed.
    Read,
    /// A write: it may have reached the API.
    Write,
}

/// A command of one or two requests, raced against Ctrl-C and SIGTERM
/// ([`lupl_safety::signals`]) as the long ones are: it stops at once (a
/// 429's wait can be minutes), exits 130 and says what may have happened,
/// instead of dying silently with 143 or waiting out the pause.
async fn interruptible(
    work: impl Future<Output = Result<Done, Failure>>,
    sent: Sent,
) -> Result<Done, Failure> {
    let mut signals = interrupts()?;
    tokio::select! {
        done = work => done,
        Some(_) = signals.recv() => Err(Failure::new(
            crate::failure::exit::INTERRUPTED,
            match sent {
                Sent::Read => "interrupted; nothing was changed",
                Sent::Write => "interrupted; the write may or may not have reached the API: read the resource before sending it again",
            },
        )),
    }
}
