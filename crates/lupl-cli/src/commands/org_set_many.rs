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
    mut interrupts: Interrupts,
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
        backup: None,
        provider: None,
        max_failures: if args.fail_fast {
            Some(1)
        } else {
            args.max_failures
                .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
        },
    };
    if !args.dry_run {
        set_many::check_paths(
            ctx.settings.input_files(&|n| (ctx.env)(n)),
            &args.file,
            args.provider_config.as_deref(),
            args.backup.as_deref(),
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
    );
    // Nothing is written yet: a stop here changes nothing.
    let provider = tokio::select! {
        provider = provider => provider?,
        Some(_) = interrupts.recv() => {
            return Err(Failure::new(
                crate::failure::exit::INTERRUPTED,
                "interrupted while reading the provider's configuration; nothing was changed",
            ));
        }
    };
    let mut rows = rows::parse(&args.file, &text, format, &provider)?;
    for problem in &mut rows.problems {
        problem.message = crate::hints::explain(&provider, &problem.key, &problem.message);
    }
    // A backup's rows name the provider they were configured for.
    let (ours, theirs): (Vec<_>, Vec<_>) = std::mem::take(&mut rows.rows)
        .into_iter()
        .partition(|r| r.pms_id.is_none_or(|p| p == args.pms_id));
    rows.rows = ours;
    for row in theirs {
        rows.problems.push(rows::RowProblem {
            kind: rows::ProblemKind::OtherProvider,
            line: row.line,
            organization_id: Some(row.organization_id),
            key: "pmsId".into(),
            message: format!(
                "was configured for provider {}, not --pms-id {}; roll these rows back with --pms-id {}",
                row.pms_id.unwrap_or_default(),
                args.pms_id,
                row.pms_id.unwrap_or_default()
            ),
        });
    }
    // Said before anything is sent: these rows cannot be put back.
    let unrestorable: Vec<String> = rows
        .problems
        .iter()
        .filter(|p| p.kind == rows::ProblemKind::WasNull)
        .filter_map(|p| p.organization_id.map(|o| o.to_string()))
        .collect();
    if !unrestorable.is_empty() && !args.dry_run {
        let shown: Vec<&str> = unrestorable.iter().take(5).map(String::as_str).collect();
        eprintln!(
            "lupl: {} organization(s) had no configuration (null) before the change: the API cannot store null, so they cannot be put back and stay as they are now ({}{}); see the result file",
            unrestorable.len(),
            shown.join(", "),
            if unrestorable.len() > 5 { ", …" } else { "" }
        );
    }
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
    let plan = Plan {
        provider: Some(std::sync::Arc::new(provider.clone())),
        backup: match &args.backup {
            Some(path) => Some(std::sync::Arc::new(crate::backup::Backup::open(
                path,
                args.resume,
            )?)),
            None => None,
        },
        ..plan
    };
    let summary = set_many::run(
        &client.client,
        &plan,
        rows,
        interrupts,
        Some(&client.limiter),
    )
    .await?;
    let note = if summary.stopped_early {
        Some(format!(
            "lupl: stopped after {} failed row(s); {} row(s) not run: fix them (see {}) and continue with the same command and --resume",
            summary.failed, summary.not_run, summary.results
        ))
    } else if summary.interrupted || summary.not_run > 0 {
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
