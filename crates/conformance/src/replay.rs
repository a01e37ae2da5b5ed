//! `conformance replay FILE`: a recording (`--record`) judged again,
//! offline, with today's oracle and checks. A recording of Stage becomes a
//! regression test; a change to the contract can be tried on last week's
//! real answers before anyone touches Stage.
//!
//! Each case is planned again step by step from what its recorded answers
//! showed, as the live run did: when today's oracle makes the same request,
//! its prediction judges the recorded answer; when it would send another
//! request (the generators changed), the recorded prediction does, and a
//! note counts those. The throttling phase is judged from the send times
//! the live run saw, so its recorded verdicts are kept. Recorded model
//! answers (`--compare-model`) are compared again.

use crate::divergence::Divergence;
use crate::outcome::{Failure, Report, Reproduced, first_breaks};
use crate::pipeline::Pipeline;
use crate::record::{Exchange, Line, Phase, without_query_token};
use crate::runner::read_op;
use conformance_core::cases::{Op, Step};
use conformance_core::clauses::Clause;
use conformance_core::oracle::{self, CaseState, Planning};
use conformance_core::tenants::{Identity, Tenants};
use conformance_core::wire::RawRequest;
use std::collections::BTreeSet;
use std::time::Instant;

/// Why a file cannot be replayed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// It does not start with a run line.
    #[error("not a recording: the first line is not a run line (record one with --record FILE)")]
    NoRun,
    /// Its format is newer than this harness.
    #[error("recording format {0} is newer than this harness reads (1)")]
    Version(u32),
    /// A line could not be read.
    #[error("{0}")]
    Read(#[from] std::io::Error),
}

/// The same request, tokens aside (recordings mask them).
fn same_request(a: &RawRequest, b: &RawRequest) -> bool {
    a.method == b.method
        && without_query_token(&a.path_and_query) == without_query_token(&b.path_and_query)
        && a.content_type == b.content_type
        && a.body == b.body
        && a.authorization.is_some() == b.authorization.is_some()
}

/// The identity whose own resource a recorded read names.
fn identity_of_read(tenants: &Tenants, e: &Exchange, op: Op) -> Option<usize> {
    let query = e.request.path_and_query.split_once('?')?.1;
    let id = query
        .split('&')
        .find_map(|p| p.split_once('=').map(|(_, v)| v))?;
    tenants.identities.iter().position(|i| {
        let own = if op.is_provider() {
            i.pms_id
        } else {
            i.organization_id
        };
        own.to_string().eq_ignore_ascii_case(id)
    })
}

/// Judges `lines` (a recording, as [`crate::record::open`] reads it) again;
/// the report is what a live run with today's harness would have said of
/// the same answers. The first line that cannot be read ends it with that
/// error.
pub fn replay(
    lines: impl IntoIterator<Item = std::io::Result<Line>>,
) -> Result<Report, ReplayError> {
    let started = Instant::now();
    let mut lines = lines.into_iter();
    let Some(Line::Run {
        version,
        seed,
        base_url: _,
        identities,
        foreign,
        unconfigured_pms,
    }) = lines.next().transpose()?
    else {
        return Err(ReplayError::NoRun);
    };
    if version > 1 {
        return Err(ReplayError::Version(version));
    }
    // Recordings hold no tokens: the oracle plans with stand-ins, and a
    // recorded request is the same request whatever its token.
    let tenants = Tenants {
        identities: identities
            .iter()
            .enumerate()
            .map(|(i, (pms_id, organization_id))| Identity {
                token: format!("recorded-identity-{i}"),
                pms_id: *pms_id,
                organization_id: *organization_id,
            })
            .collect(),
        foreign_pms_id: foreign.0,
        foreign_organization_id: foreign.1,
        unconfigured_pms,
    };
    let count = tenants.identities.len();
    let pipeline = Pipeline::new();
    let mut report = Report {
        seed,
        ..Report::default()
    };
    let mut replanned_otherwise = 0u64;
    // The case being judged: its key, state and exchanges so far.
    let mut key: Option<(Phase, u64, String)> = None;
    let mut state = CaseState::new(count);
    let mut case: Vec<Exchange> = Vec::new();
    let mut cases: Vec<(Phase, String, Vec<Exchange>)> = Vec::new();
    for line in lines {
        let Line::Exchange(recorded) = line? else {
            continue;
        };
        let mut e = *recorded;
        report.requests += 1;
        // A 429 waited out inside a case belongs to it: it neither ends
        // the case nor is judged.
        if e.phase == Phase::Wait {
            continue;
        }
        let this = (e.phase, e.case, e.label.clone());
        let judged_phase = matches!(
            e.phase,
            Phase::Directed | Phase::Mixed | Phase::Replay | Phase::Shrink
        );
        // "read first" exchanges belong to the case around them.
        let continues = key
            .as_ref()
            .is_some_and(|(p, c, _)| (*p, *c) == (this.0, this.1));
        if !continues {
            if let Some((phase, _, label)) = key.take()
                && !case.is_empty()
            {
                cases.push((phase, label, std::mem::take(&mut case)));
            }
            state = CaseState::new(count);
            if judged_phase {
                key = Some(this.clone());
                if e.phase != Phase::Replay && e.phase != Phase::Shrink {
                    report.cases += 1;
                }
            }
        }
        if !judged_phase || e.expected.is_none() {
            if e.phase == Phase::Throttling {
                // Judged from the live send times: kept as recorded.
                cases.push((e.phase, e.label.clone(), vec![e]));
            }
            continue;
        }
        let op = match (&e.step, read_op(&e)) {
            (Some(step), _) => step.op,
            (None, Some(op)) => op,
            (None, None) => continue,
        };
        let step = match &e.step {
            Some(step) => Some(step.clone()),
            None => identity_of_read(&tenants, &e, op).map(|i| Step::read(op, i)),
        };
        let planned = step.and_then(|s| match oracle::plan(&s, &tenants, &state) {
            Planning::Ready(p) if same_request(&p.request, &e.request) => Some(p),
            _ => None,
        });
        let Some(expected) = planned
            .as_ref()
            .map(|p| p.expected.clone())
            .or(e.expected.clone())
        else {
            continue;
        };
        if planned.is_none() {
            replanned_otherwise += 1;
        }
        e.findings = pipeline.judge(op, &expected, &e.response);
        if let (Some(m), Ok(target_answer)) = (&e.model, &e.response) {
            let model = m.response.clone();
            e.model = Some(pipeline.model_answer(op, &expected, target_answer, &e.findings, model));
        }
        e.expected = Some(expected.clone());
        let broken = e.broken().next().is_some();
        if let (Some(p), Ok(r)) = (&planned, &e.response) {
            if !broken {
                state.settle(p, r.status, &r.body);
            } else if let Some(res) = p.resource
                && e.step.is_some()
            {
                state.forget(res);
            }
        }
        if matches!(e.phase, Phase::Directed | Phase::Mixed) {
            report.coverage.record(op, &e.findings);
        }
        case.push(e);
        if matches!(this.0, Phase::Directed | Phase::Mixed)
            && let Some(d) = Divergence::of(&case, expected.status_clause)
        {
            report.divergences.add(d);
        }
    }
    if let Some((phase, _, label)) = key
        && !case.is_empty()
    {
        cases.push((phase, label, case));
    }
    collect_failures(&mut report, &cases);
    if replanned_otherwise > 0 {
        report.notes.push(format!(
            "{replanned_otherwise} recorded request(s) would be made otherwise today; they were judged with the prediction recorded with them"
        ));
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

/// Each broken clause once, as the live run reports it: its first case's
/// exchanges up to the break; a break without an answer that the
/// recording's replays did not see again is transient.
fn collect_failures(report: &mut Report, cases: &[(Phase, String, Vec<Exchange>)]) {
    let mut seen: BTreeSet<Clause> = BTreeSet::new();
    let broke_on_replay = |clause: Clause| {
        cases.iter().any(|(phase, _, exchanges)| {
            matches!(phase, Phase::Replay | Phase::Shrink)
                && exchanges
                    .iter()
                    .any(|e| e.broken().any(|f| f.clause == clause))
        })
    };
    for (phase, label, exchanges) in cases {
        if !matches!(phase, Phase::Directed | Phase::Mixed | Phase::Throttling) {
            continue;
        }
        for (clause, original) in first_breaks(exchanges) {
            if !seen.insert(clause) {
                continue;
            }
            let no_answer = original
                .exchanges
                .last()
                .is_some_and(|e| e.response.is_err());
            if no_answer && !broke_on_replay(clause) {
                let why = original.finding.failure.clone().unwrap_or_default();
                report.transient.push((clause, why));
                continue;
            }
            report.failures.push(Failure {
                clause,
                label: label.clone(),
                original,
                shrunk: None,
                reproduced: Reproduced::NotTried("judged again from a recording".into()),
            });
        }
    }
}
