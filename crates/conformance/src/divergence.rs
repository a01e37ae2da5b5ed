//! `--compare-model`'s findings: where the target and the model answered
//! one request differently ([`Divergence`]), each with the case's
//! exchanges, and a run's tally of them ([`Divergences`]).

use crate::record::Exchange;
use conformance_core::checks::Finding;
use conformance_core::clauses::Clause;
use conformance_core::compare::{Blame, ModelAnswer};
use std::collections::BTreeMap;

/// A place where the target and the model answer differently.
#[derive(Debug, Clone)]
pub struct Divergence {
    /// The clause: the one a side broke, else the one the status is judged
    /// under.
    pub clause: Clause,
    /// Which side the oracle agrees with.
    pub blame: Blame,
    /// The case's exchanges up to this one (its last), the model's answer
    /// in the last.
    pub exchanges: Vec<Exchange>,
}

impl Divergence {
    /// The exchange that diverged.
    pub fn last(&self) -> Option<&Exchange> {
        self.exchanges.last()
    }

    /// Whether the oracle accepts both answers: the contract leaves the
    /// choice open (a divergence where both broke is no such choice).
    pub fn is_open_choice(&self) -> bool {
        let broke = |f: &[Finding]| f.iter().any(|f| f.failure.is_some());
        self.blame == Blame::Contract
            && self.last().is_some_and(|e| !broke(&e.findings))
            && self.model().is_some_and(|m| !broke(&m.findings))
    }

    /// The model's answer to it.
    pub fn model(&self) -> Option<&ModelAnswer> {
        self.last().and_then(|e| e.model.as_ref())
    }

    /// From the exchange that diverged (with the model's answer), the
    /// case's exchanges before it, and the clause its prediction judged the
    /// status under. `None` (and no copy) when the last did not diverge.
    pub fn of(exchanges: &[Exchange], status_clause: Clause) -> Option<Divergence> {
        let last = exchanges.last()?;
        let model = last.model.as_ref().filter(|m| !m.aspects.is_empty())?;
        let blame = Blame::of(&last.findings, &model.findings);
        let clause = match blame {
            Blame::Target => first_broken(&last.findings),
            Blame::Model => first_broken(&model.findings),
            Blame::Contract => first_broken(&last.findings).or(first_broken(&model.findings)),
        }
        .unwrap_or(status_clause);
        Some(Divergence {
            clause,
            blame,
            exchanges: exchanges.to_vec(),
        })
    }
}

fn first_broken(findings: &[Finding]) -> Option<Clause> {
    findings
        .iter()
        .find(|f| f.failure.is_some())
        .map(|f| f.clause)
}

/// Divergences of a run: the first of each clause and blame, with a count.
#[derive(Debug, Clone, Default)]
pub struct Divergences {
    /// The first divergence of each (clause, blame).
    pub first: Vec<Divergence>,
    /// How often each (clause, blame) diverged.
    pub counts: BTreeMap<(Clause, Blame), u64>,
}

impl Divergences {
    /// Adds one.
    pub fn add(&mut self, d: Divergence) {
        let key = (d.clause, d.blame);
        let count = self.counts.entry(key).or_default();
        *count += 1;
        if *count == 1 {
            self.first.push(d);
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// The first of each (clause, blame) that fails a run: those blaming
    /// the target or the model, and with `strict`, those the contract does
    /// not decide too.
    pub fn failing(&self, strict: bool) -> impl Iterator<Item = &Divergence> {
        self.first
            .iter()
            .filter(move |d| strict || !d.is_open_choice())
    }

    /// The first of each clause where the target and the model differ and
    /// the oracle accepts both: CONTRACT.md leaves it open.
    pub fn ambiguous(&self) -> impl Iterator<Item = &Divergence> {
        self.first.iter().filter(|d| d.is_open_choice())
    }

    /// How often this divergence's (clause, blame) occurred.
    pub fn count(&self, d: &Divergence) -> u64 {
        self.counts.get(&(d.clause, d.blame)).copied().unwrap_or(1)
    }

    /// Adds another run's.
    pub fn merge(&mut self, other: Divergences) {
        for d in other.first {
            let key = (d.clause, d.blame);
            if !self.counts.contains_key(&key) {
                self.first.push(d);
            }
        }
        for (key, n) in other.counts {
            *self.counts.entry(key).or_default() += n;
        }
    }
}
