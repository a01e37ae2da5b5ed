//! `lupl org set-many`: one organization per row, sent with bounded
//! concurrency under the client's rate limiter, journaled as it goes.
//!
//! A failed row never stops the others; an authentication failure stops the
//! run (every further row would fail the same way) and leaves the remaining
//! rows for `--resume`. So does an API that stops answering: after a
//! network failure nothing new is sent for a pause that doubles each time
//! (0.5 s, 1 s, 2 s, … up to 8 s) until an answer comes; after `--retries`
//! such pauses in a row the run stops (exit 4). An interrupt stops taking
//! new rows, lets the requests in flight finish and journals them.

use crate::failure::{Failure, exit};
use crate::journal::{self, Earlier, Entry, Journal, Outcome, Status};
use crate::rows::{Row, RowProblem, Rows};
use lupl_api::types::{OrganizationFields, SetOrganizationConfigRequest};
use lupl_api::{Client, Error};
use lupl_safety::paths::Files;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::task::JoinSet;
use uuid::Uuid;

use crate::progress::Meter;
pub use crate::progress::Progress;

/// What `set-many` was asked to do.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The provider every row names.
    pub pms_id: Uuid,
    /// Requests in flight at most.
    pub concurrency: usize,
    /// The journal.
    pub journal: PathBuf,
    /// Continue the run the journal holds.
    pub resume: bool,
    /// The result file.
    pub results: PathBuf,
    /// How progress is shown.
    pub progress: Progress,
    /// How often a row that failed for a passing reason (5xx, network,
    /// 429 after the client's own waits) is sent again in the same run.
    /// Every write is a whole replacement, so sending it again is safe.
    pub retries: u32,
    /// Where each organization's configuration is kept before it is
    /// changed (`--backup`).
    pub backup: Option<std::sync::Arc<crate::backup::Backup>>,
    /// Stop taking rows once this many have failed (`--max-failures`,
    /// `--fail-fast`).
    pub max_failures: Option<usize>,
    /// The provider's configuration: a refused value's message says what
    /// it allows.
    pub provider: Option<std::sync::Arc<Value>>,
}

/// How a run ended.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Rows in the file.
    pub rows: usize,
    /// Rows stored (in this run or an earlier one).
    pub ok: usize,
    /// Rows refused or failed.
    pub failed: usize,
    /// Of the failed rows, those the API could not take now (a 5xx or a
    /// 429 after the retries, no answer): the same row may pass later.
    pub unavailable: usize,
    /// Rows not run (interrupted or stopped).
    pub not_run: usize,
    /// Rows skipped because an earlier run had finished them.
    pub skipped: usize,
    /// Rows found stored after an interrupted earlier run, not sent again.
    pub verified: usize,
    /// Rows handed to the client in this run, each time (the client's own
    /// retries of a 429 or a 401 are not counted; a row given up while it
    /// waited for the rate limit is not either).
    pub sent: usize,
    /// The result file.
    pub results: String,
    /// True when the run was interrupted.
    pub interrupted: bool,
    /// True when `--max-failures` stopped the run.
    pub stopped_early: bool,
}

impl Summary {
    /// The exit code: 0 only if every row is stored; 4 (unavailable now)
    /// when every failed row failed for want of the API, not for its
    /// content, so a script can tell "retry later" from "fix the rows".
    ///
    /// ```
    /// let mut summary = lupl_cli::set_many::Summary { rows: 2, ok: 1, failed: 1, unavailable: 1, ..Default::default() };
    /// assert_eq!(summary.exit_code(), lupl_cli::exit::NETWORK);
    /// summary.unavailable = 0;
    /// assert_eq!(summary.exit_code(), lupl_cli::exit::REFUSED);
    /// ```
    pub fn exit_code(&self) -> u8 {
        if self.interrupted {
            exit::INTERRUPTED
        } else if self.ok == self.rows {
            exit::OK
        } else if self.failed > 0 && self.failed == self.unavailable {
            exit::NETWORK
        } else {
            exit::REFUSED
        }
    }
}

fn body(pms_id: Uuid, row: &Row) -> Value {
    json!({"organizationId": row.organization_id, "pmsId": pms_id, "fields": row.fields})
}

/// The final state of each row, by line, for the result file.
type Results = BTreeMap<usize, (Option<Uuid>, Option<Outcome>)>;

fn invalid(problems: &[&RowProblem]) -> Outcome {
    Outcome {
        status: Status::Invalid,
        error_keys: problems.iter().map(|p| p.key.clone()).collect(),
        message: problems
            .iter()
            .map(|p| p.message.as_str())
            .collect::<Vec<_>>()
            .join("; "),
    }
}

fn outcome_of(result: Result<(), Error>) -> Outcome {
    let (status, error_keys) = match &result {
        Ok(()) => return Outcome::ok(),
        Err(Error::BadRequest { errors, .. }) => {
            (Status::Http(400), errors.keys().cloned().collect())
        }
        Err(Error::Transport(_)) => (Status::Network, Vec::new()),
        Err(e) if crate::failure::is_auth0_unreachable(e) => (Status::Network, Vec::new()),
        Err(Error::Middleware(source)) if source.is::<lupl_auth::limits::Stopped>() => {
            (Status::NotSent, Vec::new())
        }
        Err(Error::Middleware(_)) => (Status::Auth, Vec::new()),
        Err(e) => (
            e.status()
                .map_or(Status::Error, |s| Status::Http(s.as_u16())),
            Vec::new(),
        ),
    };
    // Kept in the journal and the result file: the server's words with
    // secrets masked and controls escaped, as on the terminal.
    let printable = |s: &str| lupl_safety::text::for_terminal(s, true).replace('\n', " ");
    Outcome {
        status,
        error_keys: error_keys.iter().map(|k| printable(k)).collect(),
        message: result
            .err()
            .map(|e| printable(&e.to_string()))
            .unwrap_or_default(),
    }
}

/// Refuses, before anything is read or sent, output paths that would
/// overwrite an input (the rows file, the provider's configuration, the
/// settings' files in `inputs`) or each other, or that are not regular
/// files (both are replaced through a rename: a device or a pipe would be
/// replaced by a plain file rather than written to), and a result file
/// that cannot be written.
pub fn check_paths(
    inputs: Files,
    file: &Path,
    provider_config: Option<&Path>,
    backup: Option<&Path>,
    plan: &Plan,
) -> Result<(), Failure> {
    inputs
        .input("--file", Some(file))
        .input("--provider-config", provider_config)
        .output("--results", Some(&plan.results))
        .output("--journal", Some(&plan.journal))
        .output("--backup", backup)
        .check()
        .map_err(|e| Failure::usage(e.to_string()))?;
    // The result file is written at the end: find out now if it cannot be
    // (leaving nothing behind).
    Files::default()
        .output("--results", Some(&plan.results))
        .check_writable()
        .map_err(|e| Failure::usage(e.to_string()))
}

/// Sends every row of `rows`, journaled; `interrupts` delivers Ctrl-C and
/// SIGTERM (the first stops taking rows, the second gives up waiting).
pub async fn run(
    client: &Client,
    plan: &Plan,
    rows: Rows,
    mut interrupts: lupl_safety::signals::Interrupts,
    limiter: Option<&lupl_auth::limits::RateLimiter>,
) -> Result<Summary, Failure> {
    let backup_path = plan.backup.as_ref().map(|b| b.path().display().to_string());
    let (mut journal, earlier) = Journal::open_with(
        &plan.journal,
        plan.pms_id,
        plan.resume,
        backup_path.as_deref(),
    )?;
    let mut results: Results = BTreeMap::new();
    let mut summary = Summary {
        rows: rows.len(),
        results: plan.results.display().to_string(),
        ..Summary::default()
    };

    // A backup's rows that cannot be put back are named before the run:
    // no reason to stop a rollback (--max-failures).
    let unrestorable: std::collections::BTreeSet<usize> = rows
        .problems
        .iter()
        .filter(|p| p.kind != crate::rows::ProblemKind::Invalid)
        .map(|p| p.line)
        .collect();
    // Rows that cannot be sent are answered here, once.
    let mut by_line: BTreeMap<usize, Vec<&RowProblem>> = BTreeMap::new();
    for p in &rows.problems {
        by_line.entry(p.line).or_default().push(p);
    }
    // They are judged from the file on every run, so they are not journaled.
    for (line, problems) in by_line {
        let organization_id = problems.iter().find_map(|p| p.organization_id);
        results.insert(line, (organization_id, Some(invalid(&problems))));
    }

    // Rows finished earlier are skipped; rows perhaps written are checked.
    let mut pending: Vec<(Row, String)> = Vec::new();
    for row in rows.rows {
        let digest = journal::digest(&body(plan.pms_id, &row));
        match earlier.get(&row.organization_id) {
            Some(Earlier::Done(d, outcome)) if *d == digest && outcome.is_final() => {
                summary.skipped += 1;
                results.insert(row.line, (Some(row.organization_id), Some(outcome.clone())));
            }
            Some(Earlier::InFlight(d))
                if *d == digest && stored(client, plan.pms_id, &row).await =>
            {
                summary.verified += 1;
                let outcome = Outcome {
                    message: "found stored after an interrupted run".into(),
                    ..Outcome::ok()
                };
                journal.append(&Entry::Done {
                    line: row.line,
                    organization_id: row.organization_id,
                    digest,
                    outcome: outcome.clone(),
                })?;
                results.insert(row.line, (Some(row.organization_id), Some(outcome)));
            }
            _ => {
                results.insert(row.line, (Some(row.organization_id), None));
                pending.push((row, digest));
            }
        }
    }

    // Rows that cannot be sent count in the progress too, as failed.
    let invalid_rows = results
        .values()
        .filter(|(_, o)| o.as_ref().is_some_and(|o| o.status == Status::Invalid))
        .count();
    let mut meter = Meter::new(plan.progress, pending.len() + invalid_rows, "rows");
    for _ in 0..invalid_rows {
        meter.record(false);
    }
    let mut queue: VecDeque<(Row, String, u32)> = pending
        .into_iter()
        .map(|(row, digest)| (row, digest, 0))
        .collect();
    let mut in_flight: JoinSet<(Row, String, u32, Outcome, bool)> = JoinSet::new();
    let mut stopping = false;
    let mut auth_failure: Option<String> = None;
    let mut backup_failure: Option<String> = None;
    let mut too_many_failures = false;
    // Rows failed so far: the file's unusable rows first.
    let mut failures = invalid_rows.saturating_sub(unrestorable.len());
    if plan.max_failures.is_some_and(|max| failures >= max) {
        meter.say(&format!(
            "lupl: stopping: {failures} row(s) of the file cannot be sent (--max-failures {})",
            plan.max_failures.unwrap_or_default()
        ));
        too_many_failures = true;
        stopping = true;
    }
    let mut network_failure: Option<String> = None;
    // Network pauses in a row, and until when the current one lasts.
    let mut network_rounds: u32 = 0;
    let mut paused_until: Option<tokio::time::Instant> = None;
    let mut signals_open = true;
    loop {
        let paused = paused_until.is_some_and(|t| tokio::time::Instant::now() < t);
        while !stopping && !paused && in_flight.len() < plan.concurrency.max(1) {
            let Some((row, digest, attempt)) = queue.pop_front() else {
                break;
            };
            journal.append(&Entry::Sent {
                line: row.line,
                organization_id: row.organization_id,
                digest: digest.clone(),
            })?;
            summary.sent += 1;
            let client = client.clone();
            let pms_id = plan.pms_id;
            let backup = plan.backup.clone();
            let provider = plan.provider.clone();
            in_flight.spawn(async move {
                // The old configuration is kept before the new one is sent.
                if let Some(backup) = backup.filter(|b| !b.has(row.organization_id)) {
                    let read = client
                        .get_organization_config()
                        .organization_id(row.organization_id)
                        .send()
                        .await;
                    let kept = match read {
                        Ok(config) => backup.keep(row.organization_id, config.as_ref()),
                        Err(e) => return (row, digest, attempt, outcome_of(Err(e)), false),
                    };
                    if let Err(message) = kept {
                        let outcome = Outcome {
                            status: Status::NotSent,
                            error_keys: Vec::new(),
                            message,
                        };
                        return (row, digest, attempt, outcome, true);
                    }
                }
                let body = SetOrganizationConfigRequest::builder()
                    .organization_id(row.organization_id)
                    .pms_id(pms_id)
                    .fields(OrganizationFields(row.fields.clone()));
                let result = client.set_organization_config().body(body).send().await;
                let mut outcome = outcome_of(result);
                if let (Status::Http(400), Some(provider)) = (&outcome.status, &provider) {
                    let hints: Vec<String> = outcome
                        .error_keys
                        .iter()
                        .filter_map(|k| {
                            crate::hints::allowed(provider, k).map(|h| format!("{k}: {h}"))
                        })
                        .collect();
                    if !hints.is_empty() {
                        outcome.message = format!("{} ({})", outcome.message, hints.join("; "));
                    }
                }
                (row, digest, attempt, outcome, false)
            });
        }
        if in_flight.is_empty() && (stopping || queue.is_empty()) {
            break;
        }
        tokio::select! {
            () = tokio::time::sleep_until(paused_until.unwrap_or_else(tokio::time::Instant::now)), if paused => {
                paused_until = None;
            }
            joined = in_flight.join_next(), if !in_flight.is_empty() => {
                let Some(joined) = joined else { continue };
                let (row, digest, attempt, outcome, backup_failed) = joined
                    .map_err(|e| Failure::usage(format!("a request task failed: {e}")))?;
                if backup_failed && backup_failure.is_none() {
                    // Nothing more is changed without its old value kept.
                    meter.say(&format!("lupl: stopping: {}", outcome.message));
                    backup_failure = Some(outcome.message.clone());
                    stopping = true;
                }
                let (line, organization_id) = (row.line, row.organization_id);
                journal.append(&Entry::Done { line, organization_id, digest: digest.clone(), outcome: outcome.clone() })?;
                if outcome.status != Status::Network {
                    network_rounds = 0;
                } else if paused_until.is_none() && !stopping {
                    // Sent before the pause, these say nothing new.
                    if network_rounds >= plan.retries {
                        meter.say(&format!("lupl: stopping: the API does not answer: {}", outcome.message));
                        network_failure = Some(outcome.message.clone());
                        stopping = true;
                    } else {
                        let pause = Duration::from_millis(500 << network_rounds.min(4));
                        meter.say(&format!("lupl: the API does not answer; waiting {:.1} s before sending more", pause.as_secs_f64()));
                        paused_until = Some(tokio::time::Instant::now() + pause);
                        network_rounds += 1;
                    }
                }
                if outcome.status == Status::NotSent {
                    // Stopped before it left: not run, sent on --resume.
                    summary.sent -= 1;
                    results.insert(line, (Some(organization_id), None));
                    continue;
                }
                if outcome.is_worth_retrying() && attempt < plan.retries && !stopping {
                    // Shown as this answer if the run stops before the retry.
                    results.insert(line, (Some(organization_id), Some(outcome)));
                    queue.push_back((row, digest, attempt + 1));
                    continue;
                }
                meter.record(outcome.is_ok());
                if !outcome.is_ok() {
                    failures += 1;
                    if plan.max_failures.is_some_and(|max| failures >= max) && !stopping {
                        meter.say(&format!(
                            "lupl: stopping: {failures} row(s) failed (--max-failures {}); the rest are left for --resume",
                            plan.max_failures.unwrap_or_default()
                        ));
                        too_many_failures = true;
                        stopping = true;
                    }
                }
                if outcome.is_auth_failure() && !stopping {
                    meter.say(&format!("lupl: stopping: {}", outcome.message));
                    auth_failure = Some(outcome.message.clone());
                    stopping = true;
                }
                results.insert(line, (Some(organization_id), Some(outcome)));
            }
            signal = interrupts.recv(), if signals_open => {
                if signal.is_none() {
                    signals_open = false;
                    continue;
                }
                if summary.interrupted {
                    meter.say("lupl: stopped; the rows in flight are checked on --resume");
                    break;
                }
                summary.interrupted = true;
                stopping = true;
                // Rows still waiting for the rate limit were never sent:
                // they give up now instead of waiting out a slow quota.
                if let Some(limiter) = limiter {
                    limiter.stop_waiting();
                }
                meter.say(
                    "lupl: interrupted: finishing the requests in flight; rows still waiting for the rate limit are not sent (Ctrl-C again to stop at once)",
                );
            }
        }
    }
    meter.finish();
    journal.sync()?;
    if let Some(backup) = &plan.backup {
        backup.sync()?;
    }

    for (_, outcome) in results.values() {
        match outcome {
            Some(o) if o.is_ok() => summary.ok += 1,
            Some(o) => {
                summary.failed += 1;
                if o.is_unavailable() {
                    summary.unavailable += 1;
                }
            }
            None => summary.not_run += 1,
        }
    }
    write_results(&plan.results, &results)?;
    summary.stopped_early = too_many_failures;
    if let Some(message) = backup_failure {
        return Err(Failure::usage(format!(
            "{message}; {} row(s) not run: free the space or fix the file, then pass --resume",
            summary.not_run
        )));
    }
    if let Some(message) = auth_failure {
        return Err(Failure::auth(format!(
            "{message}; {} row(s) not run: fix the credentials and pass --resume",
            summary.not_run
        )));
    }
    if let Some(message) = network_failure {
        let on_network = results
            .values()
            .filter(|(_, o)| o.as_ref().is_some_and(|o| o.status == Status::Network))
            .count();
        return Err(Failure::new(
            exit::NETWORK,
            format!(
                "the API stopped answering ({message}); {} row(s) not run or failed on the network: pass --resume when it answers again",
                summary.not_run + on_network
            ),
        ));
    }
    Ok(summary)
}

/// True when the organization's stored configuration is the row's.
async fn stored(client: &Client, pms_id: Uuid, row: &Row) -> bool {
    let read = client
        .get_organization_config()
        .organization_id(row.organization_id);
    match read.send().await {
        Ok(Some(config)) => serde_json::to_value(config).ok() == Some(body(pms_id, row)),
        _ => false,
    }
}

/// Writes the result file: `line,organizationId,status,errorKeys,message`,
/// one record per row, through a temporary file and a rename.
pub fn write_results(path: &Path, results: &Results) -> Result<(), Failure> {
    let io =
        |e: &dyn std::fmt::Display| Failure::usage(format!("cannot write {}: {e}", path.display()));
    // A new file beside it, put in its place when whole: no fixed
    // temporary name a link could be planted on.
    let mut out = lupl_safety::paths::Replacement::new(path).map_err(|e| io(&e))?;
    let mut writer = csv::Writer::from_writer(out.file());
    writer
        .write_record(["line", "organizationId", "status", "errorKeys", "message"])
        .map_err(|e| io(&e))?;
    for (line, (org, outcome)) in results {
        let org = org.map(|o| o.to_string()).unwrap_or_default();
        let (status, keys, message) = match outcome {
            Some(o) => (
                o.status.to_string(),
                o.error_keys.join(";"),
                o.message.as_str(),
            ),
            None => ("not run".to_owned(), String::new(), ""),
        };
        writer
            .write_record([&line.to_string(), &org, &status, &keys, message])
            .map_err(|e| io(&e))?;
    }
    writer.flush().map_err(|e| io(&e))?;
    drop(writer);
    out.commit().map_err(|e| io(&e))
}

/// `--dry-run`: every row judged offline against `provider` as the server
/// would judge it. Returns the problems by line (empty: all valid).
pub fn dry_run(pms_id: Uuid, rows: &Rows, provider: &Value) -> BTreeMap<usize, Vec<RowProblem>> {
    let mut out: BTreeMap<usize, Vec<RowProblem>> = BTreeMap::new();
    for p in &rows.problems {
        out.entry(p.line).or_default().push(p.clone());
    }
    for row in &rows.rows {
        let errors = lupl_model::offline::organization_body(
            body(pms_id, row).to_string().as_bytes(),
            provider,
        );
        for (key, messages) in crate::hints::explain_all(provider, errors) {
            out.entry(row.line).or_default().push(RowProblem {
                line: row.line,
                organization_id: Some(row.organization_id),
                key,
                message: messages.join(" "),
                kind: crate::rows::ProblemKind::Invalid,
            });
        }
    }
    out
}

/// Where the journal and result file go by default: next to the input.
pub fn default_paths(file: &Path) -> (PathBuf, PathBuf) {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "set-many".into());
    (
        file.with_file_name(format!("{name}.journal")),
        file.with_file_name(format!("{name}.results.csv")),
    )
}
