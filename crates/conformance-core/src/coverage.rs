//! Coverage: for each clause of the catalogue, on each operation and with
//! each polarity, how many requests exercised it, and how many of those it
//! held for. A clause is exercised when every operation it applies to and
//! every polarity its generators give it was reached.

use crate::cases::generator::Gen;
use crate::checks::Finding;
use crate::clauses::{Clause, Needs, Polarity};
use crate::mutations::Family;
use crate::operation::Op;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// Requests, and how many passed or failed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Requests that exercised the clause.
    pub requests: u64,
    /// Of those, the ones it held for.
    pub passed: u64,
    /// Of those, the ones it broke on.
    pub failed: u64,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.requests += other.requests;
        self.passed += other.passed;
        self.failed += other.failed;
    }
}

/// Tallies by clause, operation and polarity.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Coverage {
    tallies: BTreeMap<(Clause, Op, Polarity), Tally>,
    families: BTreeMap<Family, Tally>,
}

impl Coverage {
    /// Counts one response's findings: each clause judged once per request,
    /// failed if any of its findings broke.
    pub fn record(&mut self, op: Op, findings: &[Finding]) {
        let mut verdicts: BTreeMap<(Clause, Polarity), bool> = BTreeMap::new();
        for f in findings {
            let held = verdicts.entry((f.clause, f.polarity)).or_insert(true);
            *held &= f.failure.is_none();
        }
        for ((clause, polarity), held) in verdicts {
            let t = self.tallies.entry((clause, op, polarity)).or_default();
            t.requests += 1;
            if held {
                t.passed += 1;
            } else {
                t.failed += 1;
            }
        }
    }

    /// Counts one response of a case a mutation family made: failed if
    /// a finding on one of the family's clauses broke.
    pub fn record_family(&mut self, family: Family, findings: &[Finding]) {
        let t = self.families.entry(family).or_default();
        t.requests += 1;
        let clauses = family.clauses();
        if findings
            .iter()
            .filter(|f| clauses.contains(&f.clause))
            .all(|f| f.failure.is_none())
        {
            t.passed += 1;
        } else {
            t.failed += 1;
        }
    }

    /// A mutation family's tally.
    pub fn family(&self, family: Family) -> Tally {
        self.families.get(&family).copied().unwrap_or_default()
    }

    /// Adds another run's tallies (the throttling model's, say).
    pub fn merge(&mut self, other: &Coverage) {
        for (k, t) in &other.tallies {
            self.tallies.entry(*k).or_default().add(*t);
        }
        for (f, t) in &other.families {
            self.families.entry(*f).or_default().add(*t);
        }
    }

    /// A clause's tally over operations and polarities.
    pub fn clause(&self, clause: Clause) -> Tally {
        let mut total = Tally::default();
        for ((c, _, _), t) in &self.tallies {
            if *c == clause {
                total.add(*t);
            }
        }
        total
    }

    /// What of a clause no request reached: operations it applies to and
    /// polarities its generators give it.
    pub fn missing(&self, clause: Clause) -> (Vec<Op>, Vec<Polarity>) {
        let reached = |pred: &dyn Fn(Op, Polarity) -> bool| {
            self.tallies
                .iter()
                .any(|((c, op, p), t)| *c == clause && t.requests > 0 && pred(*op, *p))
        };
        let ops = clause
            .info()
            .ops
            .iter()
            .copied()
            .filter(|op| !reached(&|o, _| o == *op))
            .collect();
        let wanted: BTreeSet<Polarity> = Gen::for_clause(clause)
            .into_iter()
            .map(|(_, p)| p)
            .collect();
        let polarities = wanted
            .into_iter()
            .filter(|p| !reached(&|_, q| q == *p))
            .collect();
        (ops, polarities)
    }

    /// Whether every operation and polarity of the clause was reached.
    pub fn exercised(&self, clause: Clause) -> bool {
        let (ops, polarities) = self.missing(clause);
        ops.is_empty() && polarities.is_empty()
    }

    /// The clauses not fully exercised, with what is missing in words.
    pub fn not_exercised(&self) -> Vec<(Clause, String)> {
        Clause::ALL
            .iter()
            .filter(|c| !self.exercised(**c))
            .map(|c| (*c, self.describe_missing(*c)))
            .collect()
    }

    fn describe_missing(&self, clause: Clause) -> String {
        let (ops, polarities) = self.missing(clause);
        let mut parts = Vec::new();
        if self.clause(clause).requests == 0 {
            parts.push("not exercised".to_owned());
        } else {
            if !ops.is_empty() {
                let names: Vec<&str> = ops.iter().map(|o| o.operation_id()).collect();
                parts.push(format!("not on {}", names.join(", ")));
            }
            for p in polarities {
                parts.push(match p {
                    Polarity::Positive => "never with input it accepts".to_owned(),
                    Polarity::Negative => "never with input it refuses".to_owned(),
                });
            }
        }
        let hint = clause.info().needs.hint();
        if !hint.is_empty() && clause.info().needs != Needs::Nothing {
            parts.push(format!("({hint})"));
        }
        parts.join(" ")
    }

    /// The table as JSON, for `--coverage FILE`.
    pub fn to_json(&self) -> Value {
        let clauses: Vec<Value> = Clause::ALL
            .iter()
            .map(|c| {
                let info = c.info();
                let t = self.clause(*c);
                let by_op: serde_json::Map<String, Value> = Op::ALL
                    .iter()
                    .filter_map(|op| {
                        let mut total = Tally::default();
                        for p in [Polarity::Positive, Polarity::Negative] {
                            if let Some(t) = self.tallies.get(&(*c, *op, p)) {
                                total.add(*t);
                            }
                        }
                        (total.requests > 0).then(|| {
                            (
                                op.operation_id().to_owned(),
                                json!({"requests": total.requests, "passed": total.passed,
                                       "failed": total.failed}),
                            )
                        })
                    })
                    .collect();
                let generators: Vec<Value> = Gen::for_clause(*c)
                    .into_iter()
                    .map(|(g, p)| json!({"generator": g.name(), "polarity": p}))
                    .collect();
                let checks: Vec<&str> = info.checks.iter().map(|k| k.name()).collect();
                json!({
                    "id": info.id,
                    "section": info.section,
                    "sentence": info.sentence,
                    "checks": checks,
                    "generators": generators,
                    "requests": t.requests,
                    "passed": t.passed,
                    "failed": t.failed,
                    "exercised": self.exercised(*c),
                    "missing": if self.exercised(*c) { Value::Null } else { json!(self.describe_missing(*c)) },
                    "operations": by_op,
                })
            })
            .collect();
        let families: Vec<Value> = Family::ALL
            .iter()
            .map(|f| {
                let t = self.family(*f);
                let clauses: Vec<String> = f.clauses().iter().map(|c| c.to_string()).collect();
                json!({"id": f.id(), "clauses": clauses, "requests": t.requests,
                       "passed": t.passed, "failed": t.failed})
            })
            .collect();
        json!({ "clauses": clauses, "mutationFamilies": families })
    }
}
