//! `lupl org set-many`: rows from a file, typed by the provider, judged
//! offline (`--dry-run`) or sent resumably by [`crate::set_many`]; and the
//! Ctrl-C and SIGTERM handling that stops a run.

use super::provider::provider_of;
use crate::cli::SetManyArgs;
use crate::context::Context;
use crate::documents;
use crate::failure::{Failure, exit};
use crate::output::Done;
use crate::rows::{self, Format};
use crate::set_many::{self, Plan, Progress};
use lupl_safety::signals::Interrupts;
use serde_json::{Value, json};
use std::io::IsTerminal;

/// Ctrl-C and SIGTERM ([`lupl_safety::signals`]). The handlers are
/// installed before this returns, so no signal is lost to the default
/// action afterwards.
pub fn interrupts() -> Result<Interrupts, Failure> {
    Interrupts::install().map_err(|e| Failure::usage(format!("cannot handle signals: {e}")))
}

/// `lupl org set-many`: rows from a file, typed by the provider, sent
/// resumably (or judged offline with `--dry-run`); `interrupts` stop the
/// run, which `--resume` continues.
pub async fn set_many(
    ctx: &Context,
    args: &SetManyArgs,
    interrupts: Interrupts,
) -> Result<Done, Failure> {
    let format = args
        .format
        .or_else(|| Format::of(&args.file))
        .ok_or_else(|| {
            Failure::usage(format!(
                "{}: name the format with --format csv|jsonl",
                args.file.display()
            ))
        })?;
    let (journal, results) = set_many::default_paths(&args.file);
    let plan = Plan {
        pms_id: args.pms_id,
        concurrency: usize::from(args.concurrency),
        journal: args.journal.clone().unwrap_or(journal),
        resume: args.resume,
        results: args.results.clone().unwrap_or(results),
        retries: args.retries,
        progress: if std::io::stderr().is_terminal() {
            Progress::Bar
        } else {
            Progress::Lines
        },
    };
    if !args.dry_run {
        set_many::check_paths(
            ctx.settings.input_files(&|n| (ctx.env)(n)),
            &args.file,
            args.provider_config.as_deref(),
            &plan,
        )?;
    }
    let text = documents::read(&args.file)?;
    // The provider's declared fields type the CSV values and judge the rows.
    let needs_client = !(args.dry_run && args.provider_config.is_some());
    let client = if needs_client {
        Some(ctx.client_parts()?)
    } else {
        None
    };
    let provider = provider_of(
        args.provider_config.as_deref(),
        client.as_ref().map(|b| &b.client),
        &args.pms_id,
    )
    .await?;
    let rows = rows::parse(&args.file, &text, format, &provider)?;
    if args.dry_run {
        let problems = set_many::dry_run(args.pms_id, &rows, &provider);
        let lines: Vec<String> = problems
            .values()
            .flatten()
            .map(|p| {
                let org = p.organization_id.map(|o| o.to_string()).unwrap_or_default();
                let key = if p.key.is_empty() { "(row)" } else { &p.key };
                format!(
                    "{}:{}: {org}: {key}: {}",
                    args.file.display(),
                    p.line,
                    p.message
                )
            })
            .collect();
        let invalid = problems.len();
        return Ok(Done {
            value: Some(
                json!({"rows": rows.len(), "valid": rows.len() - invalid, "invalid": invalid}),
            ),
            note: (!lines.is_empty()).then(|| lines.join("\n")),
            code: if invalid == 0 {
                exit::OK
            } else {
                exit::REFUSED
            },
            text: None,
        });
    }
    let Some(client) = client else {
        return Err(Failure::usage("no client"));
    };
    let summary = set_many::run(
        &client.client,
        &plan,
        rows,
        interrupts,
        Some(&client.limiter),
    )
    .await?;
    let note = if summary.interrupted || summary.not_run > 0 {
        Some(format!(
            "lupl: {} row(s) not run; continue with the same command and --resume",
            summary.not_run
        ))
    } else if summary.failed > 0 {
        Some(format!(
            "lupl: {} row(s) failed; see {}",
            summary.failed, summary.results
        ))
    } else {
        None
    };
    Ok(Done {
        value: Some(serde_json::to_value(&summary).unwrap_or(Value::Null)),
        note,
        code: summary.exit_code(),
        text: None,
    })
}
