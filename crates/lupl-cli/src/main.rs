//! `lupl`: the Lupl Open API from the shell. Parses the command line and
//! hands it to [`lupl_cli::commands`].
//!
//! Exit codes: 0 ok, 1 the API refused (or a file or row is invalid),
//! 2 usage, 3 authentication, 4 network, 130 interrupted.

use clap::{CommandFactory, FromArgMatches};
use lupl_cli::cli::{Cli, FILE_ROLES};
use lupl_cli::commands;
use lupl_cli::context::Context;
use lupl_safety::text::for_terminal;
use std::process::ExitCode;

fn init_tracing(verbose: u8) {
    use tracing_subscriber::fmt::format::FmtSpan;
    let level = match verbose {
        0 => return,
        1 => tracing::Level::INFO,
        2 => tracing::Level::DEBUG,
        _ => tracing::Level::TRACE,
    };
    use tracing_subscriber::prelude::*;
    // -v: one line per request when its span closes (operation, method,
    // path, attempt, status, wait). Headers are never recorded. Only the
    // toolkit's own crates speak below warnings: -vv is about requests,
    // not the HTTP stack's connection pool.
    let ours = tracing_subscriber::filter::Targets::new()
        .with_default(tracing::Level::WARN)
        .with_target("lupl_auth", level)
        .with_target("lupl_api", level)
        .with_target("lupl_cli", level)
        .with_target("lupl", level);
    tracing_subscriber::fmt()
        .with_writer(|| lupl_cli::terminal::ScrubbedStderr)
        .with_max_level(level)
        .with_span_events(FmtSpan::CLOSE)
        .with_target(false)
        .finish()
        .with(ours)
        .init();
}

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    // Before anything is read, sent or written: no output replaces an input.
    if let Err(e) = lupl_safety::paths::from_matches(&matches, FILE_ROLES)
        .and_then(|files| files.check().map_err(|e| e.to_string()))
    {
        eprintln!("lupl: {}", for_terminal(&e, true));
        return ExitCode::from(lupl_cli::exit::USAGE);
    }
    init_tracing(cli.verbose);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("lupl: {e}");
            return ExitCode::from(lupl_cli::exit::USAGE);
        }
    };
    let ctx = Context::of(&cli);
    match runtime.block_on(commands::run(&cli, &ctx)) {
        Ok(done) => {
            if let Some(note) = &done.note {
                eprintln!("{}", for_terminal(note, true));
            }
            if let Some(value) = &done.value {
                println!("{}", ctx.render(value));
            }
            if let Some(text) = &done.text {
                print!("{text}");
                if !text.ends_with('\n') {
                    println!();
                }
            }
            ExitCode::from(done.code)
        }
        Err(f) => {
            // One line: a server's multi-line body included.
            eprintln!("lupl: {}", for_terminal(&f.message, false));
            ExitCode::from(f.code)
        }
    }
}
