//! `--baseline FILE`: known, accepted failures and divergences, each with a
//! reason and an expiry date. A run passes when nothing outside the
//! baseline broke, no entry has expired, and every entry whose clause the
//! run exercised still occurs (a fixed break must leave the baseline, or it
//! would hide its return). Entries key on contract clauses, not on cases,
//! so a baseline survives new seeds. `--write-baseline FILE` writes one
//! from a run.

use crate::outcome::Report;
use chrono::NaiveDate;
use conformance_core::clauses::Clause;
use conformance_core::compare::Blame;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// What an entry accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Kind {
    /// A broken clause.
    Failure,
    /// A divergence from the model (`--compare-model`), with its blame.
    Divergence,
}

/// One accepted failure or divergence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Entry {
    /// The clause, as CONTRACT.md's catalogue names it (`rules.provider.name`).
    pub clause: Clause,
    /// A failure or a divergence.
    pub kind: Kind,
    /// For a divergence: which side was blamed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blame: Option<Blame>,
    /// Why it is accepted (a ticket, an agreement with Lupl).
    pub reason: String,
    /// The last day it is accepted (YYYY-MM-DD); after it the run fails.
    pub expires: NaiveDate,
}

/// A baseline file: `{"accepted": [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// The accepted entries.
    pub accepted: Vec<Entry>,
}

/// Why a baseline file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// It cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// What the OS said.
        source: std::io::Error,
    },
    /// It is not a baseline.
    #[error("{path}:{line}:{column}: not a baseline: {message}")]
    Format {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// An entry that could never match: a failure with a blame, or a
    /// divergence without one.
    #[error("{path}: entry {index} ({clause}): {message}")]
    Entry {
        /// The file.
        path: String,
        /// 1-based position in `accepted`.
        index: usize,
        /// The entry's clause.
        clause: Clause,
        /// What to change.
        message: &'static str,
    },
}

/// What a baseline says of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Failures and divergences of the run the baseline accepts.
    pub accepted: Vec<Entry>,
    /// Entries that matched but have expired.
    pub expired: Vec<Entry>,
    /// Entries whose clause the run exercised without the break: fixed.
    pub gone: Vec<Entry>,
    /// Entries whose clause the run did not exercise (not judged).
    pub unchecked: Vec<Entry>,
    /// Failures and divergences the baseline does not accept.
    pub new: Vec<(Kind, Clause, Option<Blame>)>,
}

impl Verdict {
    /// Whether the run passes under the baseline (its other conditions —
    /// a whole run, a working restore — aside).
    pub fn passed(&self) -> bool {
        self.expired.is_empty() && self.gone.is_empty() && self.new.is_empty()
    }
}

/// What a run broke: `(kind, clause, blame)`.
fn occurrences(report: &Report) -> Vec<(Kind, Clause, Option<Blame>)> {
    let mut out: Vec<_> = report
        .failures
        .iter()
        .map(|f| (Kind::Failure, f.clause, None))
        .collect();
    out.extend(
        report
            .divergences
            .failing(report.strict_compare)
            .map(|d| (Kind::Divergence, d.clause, Some(d.blame))),
    );
    out
}

impl Baseline {
    /// Reads a baseline file.
    pub fn load(path: &Path) -> Result<Self, BaselineError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Read {
            path: shown.clone(),
            source,
        })?;
        // A byte order mark (some Windows editors write one) is no content.
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let baseline: Self = serde_json::from_str(text).map_err(|e| BaselineError::Format {
            path: shown.clone(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        for (i, e) in baseline.accepted.iter().enumerate() {
            let message = match (e.kind, e.blame) {
                (Kind::Failure, Some(_)) => {
                    "a failure has no blame (only a divergence does): remove \"blame\""
                }
                (Kind::Divergence, None) => {
                    "a divergence names its blame: add \"blame\": \"target\", \"model\" or \"contract\""
                }
                _ => continue,
            };
            return Err(BaselineError::Entry {
                path: shown,
                index: i + 1,
                clause: e.clause,
                message,
            });
        }
        Ok(baseline)
    }

    /// A baseline accepting everything `report` broke, for `reason`, until
    /// `expires`.
    pub fn from_report(report: &Report, reason: &str, expires: NaiveDate) -> Self {
        Self {
            accepted: occurrences(report)
                .into_iter()
                .map(|(kind, clause, blame)| Entry {
                    clause,
                    kind,
                    blame,
                    reason: reason.to_owned(),
                    expires,
                })
                .collect(),
        }
    }

    /// Judges `report` on `today`.
    pub fn judge(&self, report: &Report, today: NaiveDate) -> Verdict {
        let occurred = occurrences(report);
        let mut verdict = Verdict::default();
        for entry in &self.accepted {
            let matched = occurred
                .iter()
                .any(|(k, c, b)| (*k, *c, *b) == (entry.kind, entry.clause, entry.blame));
            match (matched, entry.expires < today) {
                (true, false) => verdict.accepted.push(entry.clone()),
                (true, true) => verdict.expired.push(entry.clone()),
                (false, _) if report.coverage.exercised(entry.clause) => {
                    verdict.gone.push(entry.clone())
                }
                (false, _) => verdict.unchecked.push(entry.clone()),
            }
        }
        verdict.new = occurred
            .into_iter()
            .filter(|(k, c, b)| {
                !self
                    .accepted
                    .iter()
                    .any(|e| (e.kind, e.clause, e.blame) == (*k, *c, *b))
            })
            .collect();
        verdict
    }
}

/// The verdict as text for the report's end.
pub fn text(verdict: &Verdict) -> String {
    let mut out = String::new();
    let line = |e: &Entry| {
        format!(
            "{} {}{} (until {}: {})",
            match e.kind {
                Kind::Failure => "failure",
                Kind::Divergence => "divergence",
            },
            e.clause,
            e.blame
                .map(|b| format!(", {} blamed", b.name()))
                .unwrap_or_default(),
            e.expires,
            lupl_safety::text::for_terminal(&e.reason, false)
        )
    };
    for e in &verdict.accepted {
        out.push_str(&format!("baseline: accepted {}\n", line(e)));
    }
    for e in &verdict.unchecked {
        out.push_str(&format!(
            "baseline: not exercised in this run: {}\n",
            line(e)
        ));
    }
    for e in &verdict.expired {
        out.push_str(&format!("baseline: EXPIRED {}\n", line(e)));
    }
    for e in &verdict.gone {
        out.push_str(&format!(
            "baseline: no longer occurs, remove it: {}\n",
            line(e)
        ));
    }
    for (kind, clause, blame) in &verdict.new {
        out.push_str(&format!(
            "baseline: NEW {} {clause}{}\n",
            match kind {
                Kind::Failure => "failure",
                Kind::Divergence => "divergence",
            },
            blame
                .map(|b| format!(", {} blamed", b.name()))
                .unwrap_or_default()
        ));
    }
    out
}
