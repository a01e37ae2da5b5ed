//! What a run found: the [`Report`] every phase adds to, each broken
//! clause once as a [`Failure`] with its [`Evidence`], and what restoring
//! did. [`first_breaks`] is the one way a case's exchanges become
//! failures, for the live run, the throttling phase and a replay alike.

use crate::divergence::Divergences;
use crate::record::Exchange;
use conformance_core::cases::Op;
use conformance_core::checks::Finding;
use conformance_core::clauses::Clause;
use conformance_core::coverage::Coverage;
use std::time::Duration;

/// Whether a failure happened again when its case was run again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reproduced {
    /// The case broke the clause again (and was shrunk).
    Yes,
    /// The case passed when run again: the original exchange is the
    /// evidence.
    No,
    /// Not run again, and why.
    NotTried(String),
}

/// The exchanges of a case up to the one that broke a clause.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// The exchanges, in order; the last one broke the clause.
    pub exchanges: Vec<Exchange>,
    /// The broken finding.
    pub finding: Finding,
}

/// A broken clause, with its evidence.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The clause.
    pub clause: Clause,
    /// The generator of the case that first broke it.
    pub label: String,
    /// That case as it first ran.
    pub original: Evidence,
    /// The smallest case found that still breaks it.
    pub shrunk: Option<Evidence>,
    /// Whether it reproduced.
    pub reproduced: Reproduced,
}

impl Failure {
    /// The evidence to show: the shrunk case when there is one.
    pub fn evidence(&self) -> &Evidence {
        self.shrunk.as_ref().unwrap_or(&self.original)
    }
}

/// What putting a configuration back did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestoreOutcome {
    /// It was put back.
    Restored(Op),
    /// It had not changed.
    Unchanged(Op),
    /// It was `null` before the run; the API cannot delete (not a failure).
    CannotDelete(Op),
    /// The API refuses it now (a 400: an organization stored against an
    /// earlier provider configuration, say); not a failure. Why, and the
    /// saved JSON.
    Refused(Op, String, String),
    /// It could not be put back: why, and the saved JSON.
    Failed(Op, String, String),
}

/// What a run found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The seed used.
    pub seed: u64,
    /// Cases run (replays and shrinking excluded).
    pub cases: u64,
    /// Requests sent, everything included.
    pub requests: u64,
    /// Wall time.
    pub elapsed: Duration,
    /// Every clause's tally (replays and shrinking excluded).
    pub coverage: Coverage,
    /// Each distinct broken clause, once.
    pub failures: Vec<Failure>,
    /// Failures to get an answer that did not happen again (not a contract
    /// failure).
    pub transient: Vec<(Clause, String)>,
    /// What the run could not judge, and why (not a failure).
    pub notes: Vec<String>,
    /// Steps the harness could not predict.
    pub skipped: u64,
    /// Whether the request budget stopped the run early.
    pub budget_spent: bool,
    /// What restoring a live target did.
    pub restore: Vec<RestoreOutcome>,
    /// Why the run stopped before its end, when the target stopped
    /// answering (not a contract failure; the runner exits 2).
    pub aborted: Option<String>,
    /// Whether Ctrl-C stopped the run (it is incomplete).
    pub interrupted: bool,
    /// With `--compare-model`: where the target and the model differ.
    pub divergences: Divergences,
    /// Whether a difference the contract does not decide fails the run
    /// (`--strict`); else it is a note.
    pub strict_compare: bool,
}

impl Report {
    /// Whether every clause held, the run was whole, and the restore
    /// worked.
    pub fn passed(&self) -> bool {
        // A run that checked nothing (a budget that held only the reads
        // and the restore) has not passed.
        self.cases > 0
            && self.failures.is_empty()
            && self
                .divergences
                .failing(self.strict_compare)
                .next()
                .is_none()
            && self.aborted.is_none()
            && !self.interrupted
            && !self
                .restore
                .iter()
                .any(|r| matches!(r, RestoreOutcome::Failed(..)))
    }

    /// Whether this clause was reported broken.
    pub fn broke(&self, clause: Clause) -> bool {
        self.failures.iter().any(|f| f.clause == clause)
    }

    /// The failure of this clause.
    pub fn failure(&self, clause: Clause) -> Option<&Failure> {
        self.failures.iter().find(|f| f.clause == clause)
    }

    /// Adds another run's findings (the throttling phase on its own model).
    pub fn merge(&mut self, other: Report) {
        self.cases += other.cases;
        self.requests += other.requests;
        self.coverage.merge(&other.coverage);
        for f in other.failures {
            if !self.broke(f.clause) {
                self.failures.push(f);
            }
        }
        self.transient.extend(other.transient);
        self.notes.extend(other.notes);
        self.skipped += other.skipped;
        self.aborted = self.aborted.take().or(other.aborted);
        self.interrupted |= other.interrupted;
        self.divergences.merge(other.divergences);
    }
}

/// Each clause `exchanges` (one case's, in order) break, once, with the
/// exchanges up to its first break, in the order of those breaks.
pub fn first_breaks(exchanges: &[Exchange]) -> Vec<(Clause, Evidence)> {
    let mut out: Vec<(Clause, Evidence)> = Vec::new();
    for (i, e) in exchanges.iter().enumerate() {
        for finding in e.broken() {
            if !out.iter().any(|(c, _)| *c == finding.clause) {
                out.push((
                    finding.clause,
                    Evidence {
                        exchanges: exchanges[..=i].to_vec(),
                        finding: finding.clone(),
                    },
                ));
            }
        }
    }
    out
}

/// The evidence of `clause`'s first break in `exchanges`, if they break it.
pub fn evidence_of(exchanges: &[Exchange], clause: Clause) -> Option<Evidence> {
    exchanges.iter().enumerate().find_map(|(i, e)| {
        let finding = e.broken().find(|f| f.clause == clause)?;
        Some(Evidence {
            exchanges: exchanges[..=i].to_vec(),
            finding: finding.clone(),
        })
    })
}
