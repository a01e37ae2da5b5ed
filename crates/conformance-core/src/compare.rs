//! Two answers to one request compared on what CONTRACT.md fixes: the
//! live target's and the model's (`--compare-model`). The comparison is
//! pure; the model that answers lives outside this crate.

use crate::checks::Finding;
use crate::clauses::Clause;
use crate::operation::Op;
use crate::wire::Received;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeSet;

/// What the two answers are compared on: what CONTRACT.md fixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Aspect {
    /// The status.
    Status,
    /// The content-type family: JSON, problem+JSON, or none.
    ContentType,
    /// The `errors` keys of a 400.
    ErrorKeys,
    /// The body of a 200 GET, or of a 403, as a JSON value.
    Body,
    /// The `WWW-Authenticate` challenge of a 401.
    Challenge,
    /// Whether a 429 says `Retry-After`.
    RetryAfter,
    /// The methods a 405's `Allow` names.
    Allow,
    /// The oracle judges the two answers differently (a message, a schema,
    /// anything it checks that the aspects above do not cover).
    Verdict,
}

impl Aspect {
    /// How reports name it.
    pub fn name(self) -> &'static str {
        match self {
            Aspect::Status => "status",
            Aspect::ContentType => "content type",
            Aspect::ErrorKeys => "400 error keys",
            Aspect::Body => "body",
            Aspect::Challenge => "WWW-Authenticate",
            Aspect::RetryAfter => "Retry-After",
            Aspect::Allow => "Allow",
            Aspect::Verdict => "the oracle's verdict",
        }
    }
}

/// Which side the oracle agrees with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Blame {
    /// The target answered as the oracle predicts, the model did not: a
    /// bug in the model (offline tests against it are wrong there).
    Model,
    /// The model answered as the oracle predicts, the target did not: the
    /// live API breaks the contract.
    Target,
    /// Both or neither answered as predicted: the contract does not decide
    /// between them there.
    Contract,
}

impl Blame {
    /// Which side, from each side's findings.
    pub fn of(target: &[Finding], model: &[Finding]) -> Blame {
        let broken = |f: &[Finding]| f.iter().any(|f| f.failure.is_some());
        match (broken(target), broken(model)) {
            (false, true) => Blame::Model,
            (true, false) => Blame::Target,
            _ => Blame::Contract,
        }
    }

    /// What it means, for reports.
    pub fn meaning(self) -> &'static str {
        match self {
            Blame::Model => "target = oracle ≠ model: the model is wrong here",
            Blame::Target => "model = oracle ≠ target: the target breaks the contract",
            Blame::Contract => {
                "target ≠ model, the oracle decides neither: the contract is ambiguous here"
            }
        }
    }

    /// A short name for tables.
    pub fn name(self) -> &'static str {
        match self {
            Blame::Model => "model",
            Blame::Target => "target",
            Blame::Contract => "contract",
        }
    }
}

/// The model's side of one exchange.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelAnswer {
    /// What the model answered.
    pub response: Received,
    /// The oracle's verdicts on it.
    pub findings: Vec<Finding>,
    /// Where it differs from the target's answer (empty: it does not).
    pub aspects: Vec<Aspect>,
}

/// The scheme of a 401's challenge, lower case.
fn scheme(r: &Received) -> Option<String> {
    r.header("www-authenticate")
        .and_then(|c| c.split_whitespace().next())
        .map(str::to_ascii_lowercase)
}

/// The content-type family of an answer.
fn media_family(r: &Received) -> &'static str {
    match r.header("content-type").map(str::to_ascii_lowercase) {
        None => "none",
        Some(t) if t.starts_with("application/problem+json") => "problem+json",
        Some(t) if t.starts_with("application/json") => "json",
        Some(_) => "other",
    }
}

fn broken(findings: &[Finding]) -> BTreeSet<Clause> {
    findings
        .iter()
        .filter(|f| f.failure.is_some())
        .map(|f| f.clause)
        .collect()
}

/// Where two answers to one request differ, on what CONTRACT.md fixes,
/// given the oracle's findings on each.
pub fn compare(
    op: Op,
    target: &Received,
    model: &Received,
    target_findings: &[Finding],
    model_findings: &[Finding],
) -> Vec<Aspect> {
    let mut out = answers_differ(op, target, model);
    if out.is_empty() && broken(target_findings) != broken(model_findings) {
        out.push(Aspect::Verdict);
    }
    out
}

fn answers_differ(op: Op, target: &Received, model: &Received) -> Vec<Aspect> {
    let mut out = Vec::new();
    if target.status != model.status {
        // Everything else follows from the status.
        out.push(Aspect::Status);
        return out;
    }
    // Whether there is a body at all is not everywhere fixed (a 404 may
    // carry one or not): the media types of two bodies are compared, and
    // a body where the contract wants none is the oracle's to judge.
    let both = !target.body.is_empty() && !model.body.is_empty();
    if both && media_family(target) != media_family(model) {
        out.push(Aspect::ContentType);
    }
    match target.status {
        400 if target.error_keys() != model.error_keys() => out.push(Aspect::ErrorKeys),
        200 if !op.is_post() && target.json() != model.json() => out.push(Aspect::Body),
        // `{}` or an empty body are the same answer.
        403 if target.json().unwrap_or(Value::Object(Default::default()))
            != model.json().unwrap_or(Value::Object(Default::default())) =>
        {
            out.push(Aspect::Body)
        }
        // CONTRACT.md fixes the scheme, not its parameters.
        401 if scheme(target) != scheme(model) => out.push(Aspect::Challenge),
        429 if target.header("retry-after").is_some() != model.header("retry-after").is_some() => {
            out.push(Aspect::RetryAfter)
        }
        405 if target.allow_methods() != model.allow_methods() => out.push(Aspect::Allow),
        _ => {}
    }
    out
}
