//! The cases phase. First the directed cases: every generator on every
//! operation it serves, so every clause is reached within a small budget;
//! then mixed cases that combine generators and variations. Each case
//! starts from nothing known and establishes what it predicts from (it
//! writes what it later reads, or reads first), so it replays alone, on the
//! model and on a live target alike. Every response is judged; the run goes
//! on after a failure, and each distinct broken clause is run again,
//! shrunk ([`crate::shrink`]) and reported once with the exchanges that
//! show it.
//!
//! A 429 outside the throttling phase is the target doing its job: the
//! transport waits for `Retry-After` and sends the request again.

use crate::divergence::Divergence;
use crate::harness::Harness;
use crate::outcome::{Evidence, Failure, Report, Reproduced, first_breaks};
use crate::progress::{Progress, Silent};
use crate::record::{Exchange, Origin, Phase};
use crate::transport::Budget;
use conformance_core::cases::{self, Gen, Op, Step};
use conformance_core::clauses::Clause;
use conformance_core::oracle::{self, CaseState, Planning, Resource};
use proptest::strategy::{BoxedStrategy, Strategy, ValueTree};
use proptest::test_runner::{Config, TestRunner};
use std::sync::Arc;
use std::time::Instant;

/// How to run.
#[derive(Clone)]
pub struct Options {
    /// Mixed cases after the directed phase.
    pub cases: u32,
    /// The seed; the same seed replays the same run.
    pub seed: u64,
    /// Where progress goes (none: nowhere).
    pub progress: Option<Arc<dyn Progress>>,
    /// Directed cases per generator and operation.
    pub per_generator: u32,
    /// Stop starting cases once this many requests were sent (restore
    /// included).
    pub max_requests: Option<u64>,
    /// Smaller cases tried per broken clause.
    pub shrink_iterations: u32,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("cases", &self.cases)
            .field("seed", &self.seed)
            .field("progress", &self.progress.is_some())
            .field("per_generator", &self.per_generator)
            .field("max_requests", &self.max_requests)
            .field("shrink_iterations", &self.shrink_iterations)
            .finish()
    }
}

impl Default for Options {
    fn default() -> Self {
        Self {
            cases: 256,
            seed: 1,
            progress: None,
            per_generator: 1,
            max_requests: None,
            shrink_iterations: 64,
        }
    }
}

impl Options {
    fn progress(&self) -> &dyn Progress {
        match &self.progress {
            Some(p) => p.as_ref(),
            None => &Silent,
        }
    }
}

/// Requests in a row without an answer that mean the target is gone.
const GONE_AFTER: u32 = 3;

/// A case as it ran.
#[derive(Debug, Default)]
pub(crate) struct CaseRun {
    pub(crate) exchanges: Vec<Exchange>,
    skipped: u64,
    /// Whether the budget cut it short (a step never left).
    pub(crate) over_budget: bool,
    /// Where the model answered differently (`--compare-model`).
    divergences: Vec<Divergence>,
}

impl CaseRun {
    /// Keeps an exchange, noting a divergence when it has one; whether the
    /// target answered.
    fn push(&mut self, e: Exchange, status_clause: Clause) -> bool {
        let answered = e.response.is_ok();
        self.exchanges.push(e);
        if let Some(d) = Divergence::of(&self.exchanges, status_clause) {
            self.divergences.push(d);
        }
        answered
    }
}

/// One case of the run: its phase, label, strategy and number in its
/// phase.
pub(crate) struct Scheduled {
    /// The generator (none for a mixed case).
    pub(crate) generator: Option<Gen>,
    pub(crate) phase: Phase,
    pub(crate) label: String,
    strategy: BoxedStrategy<Vec<Step>>,
    pub(crate) number: u64,
}

impl Scheduled {
    /// The value tree the seed makes (the same tree each time, for
    /// replaying and shrinking).
    pub(crate) fn tree(&self, seed: u64) -> Option<Box<dyn ValueTree<Value = Vec<Step>>>> {
        let salt = if self.phase == Phase::Directed {
            b"directed"
        } else {
            b"mixed---"
        };
        let mut runner = TestRunner::new_with_rng(
            Config::default(),
            cases::seeded_rng(seed, salt, self.number),
        );
        self.strategy.new_tree(&mut runner).ok()
    }
}

/// The run's cases, made as they are run: a huge `--cases` or
/// `--per-generator` costs no memory up front.
struct Schedule {
    directed: Vec<(Gen, Op)>,
    per_generator: u64,
    mixed: BoxedStrategy<Vec<Step>>,
    identities: usize,
    total: u64,
}

impl Schedule {
    fn new(options: &Options, identities: usize) -> Self {
        let directed: Vec<(Gen, Op)> = Gen::all()
            .into_iter()
            .flat_map(|g| g.ops().iter().map(move |&op| (g, op)))
            .collect();
        let per_generator = u64::from(options.per_generator);
        let total = directed.len() as u64 * per_generator + u64::from(options.cases);
        Self {
            directed,
            per_generator,
            mixed: cases::mixed(identities),
            identities,
            total,
        }
    }

    fn directed_count(&self) -> u64 {
        self.directed.len() as u64 * self.per_generator
    }

    fn case_at(&self, index: u64) -> Scheduled {
        let generator = usize::try_from(index / self.per_generator.max(1))
            .ok()
            .and_then(|i| self.directed.get(i));
        match generator {
            Some((generator, op)) if index < self.directed_count() => Scheduled {
                generator: Some(*generator),
                phase: Phase::Directed,
                label: format!("{} on {}", generator.name(), op.operation_id()),
                strategy: generator.cases(*op, self.identities),
                number: index,
            },
            _ => Scheduled {
                generator: None,
                phase: Phase::Mixed,
                label: "mixed".into(),
                strategy: self.mixed.clone(),
                number: index - self.directed_count(),
            },
        }
    }
}

/// A broken clause waiting to be run again: the clause, the case's index
/// in the schedule, and what it broke first.
type Pending = (Clause, u64, Evidence);

impl Harness {
    /// Runs one case from nothing known.
    pub(crate) async fn run_case(
        &self,
        steps: &[Step],
        origin: Origin<'_>,
        state: &mut CaseState,
    ) -> CaseRun {
        let tenants = &self.target().tenants;
        let mut run = CaseRun::default();
        for step in steps {
            if self.is_cancelled() {
                break;
            }
            let mut established: Vec<Resource> = Vec::new();
            loop {
                match oracle::plan(step, tenants, state) {
                    Planning::Ready(planned) => {
                        let Some(e) = self
                            .pipeline
                            .exchange(&self.transport, &planned, Some(step), step.op, origin)
                            .await
                        else {
                            run.over_budget = true;
                            return run;
                        };
                        match &e.response {
                            Ok(r) if e.broken().next().is_none() => {
                                state.settle(&planned, r.status, &r.body)
                            }
                            _ => {
                                if let Some(r) = planned.resource {
                                    state.forget(r);
                                }
                            }
                        }
                        if !run.push(e, planned.expected.status_clause) {
                            return run;
                        }
                        break;
                    }
                    Planning::Needs(resource) if !established.contains(&resource) => {
                        established.push(resource);
                        let (op, i) = match resource {
                            Resource::Provider(i) => (Op::GetProvider, i),
                            Resource::Organization(i) => (Op::GetOrganization, i),
                        };
                        let Planning::Ready(planned) =
                            oracle::plan(&Step::read(op, i), tenants, state)
                        else {
                            run.skipped += 1;
                            break;
                        };
                        let first = Origin {
                            label: "read first",
                            ..origin
                        };
                        let Some(e) = self
                            .pipeline
                            .exchange(&self.transport, &planned, None, op, first)
                            .await
                        else {
                            run.over_budget = true;
                            return run;
                        };
                        if let Ok(r) = &e.response
                            && e.broken().next().is_none()
                        {
                            state.settle(&planned, r.status, &r.body);
                        }
                        if !run.push(e, planned.expected.status_clause) {
                            return run;
                        }
                    }
                    Planning::Needs(_) | Planning::Skip(_) => {
                        run.skipped += 1;
                        break;
                    }
                }
            }
        }
        run
    }

    /// Runs a scheduled case's steps from nothing known, blocking.
    pub(crate) fn attempt(
        &self,
        case: &Scheduled,
        steps: &[Step],
        phase: Phase,
        handle: &tokio::runtime::Handle,
    ) -> CaseRun {
        let mut state = CaseState::new(self.target().tenants.identities.len());
        let origin = Origin {
            phase,
            case: case.number,
            label: &case.label,
        };
        handle.block_on(self.run_case(steps, origin, &mut state))
    }

    /// What putting a live target back can send: per identity, two reads
    /// and two writes (nothing on the model).
    pub(crate) fn restore_reserve(&self) -> u64 {
        if self.target().is_model {
            0
        } else {
            4 * self.target().tenants.identities.len() as u64
        }
    }

    /// Whether the request budget allows more: new cases stop an eighth
    /// of the budget early, so that what they broke can still be replayed
    /// and shrunk; the restore's requests are always kept.
    pub(crate) fn budget_left(&self, new_case: bool) -> bool {
        let early = match (self.transport.budget(), new_case) {
            (Some(b), true) => b.max / 8,
            _ => 0,
        };
        self.transport.has_room(early)
    }

    /// Runs the directed phase, then `options.cases` mixed cases; blocking
    /// (call it from a blocking thread).
    pub fn run_blocking(&self, options: &Options, handle: &tokio::runtime::Handle) -> Report {
        let start = Instant::now();
        let progress = options.progress();
        self.transport
            .set_budget(options.max_requests.map(|max| Budget {
                max,
                restore: self.restore_reserve(),
            }));
        let schedule = Schedule::new(options, self.target().tenants.identities.len());
        progress.start(schedule.total);
        let mut report = Report {
            seed: options.seed,
            ..Report::default()
        };
        let pending = self.run_cases(&schedule, options, handle, &mut report);
        self.run_again(&schedule, pending, options, handle, &mut report);
        progress.finish();
        report.interrupted |= self.is_cancelled();
        report.notes.extend(self.transport.notes());
        report.requests = self.requests();
        report.elapsed = start.elapsed();
        report
    }

    /// Runs every scheduled case (within the budget), tallying coverage;
    /// returns each broken clause's first break, to run again once the
    /// cases are done (so a failing target does not spend the budget on
    /// one failure).
    fn run_cases(
        &self,
        schedule: &Schedule,
        options: &Options,
        handle: &tokio::runtime::Handle,
        report: &mut Report,
    ) -> Vec<Pending> {
        let mut pending: Vec<Pending> = Vec::new();
        let mut silent = 0;
        for index in 0..schedule.total {
            if self.is_cancelled() {
                report.interrupted = true;
                break;
            }
            if !self.budget_left(true) {
                report.budget_spent = true;
                break;
            }
            let case = schedule.case_at(index);
            let Some(tree) = case.tree(options.seed) else {
                continue;
            };
            let run = self.attempt(&case, &tree.current(), case.phase, handle);
            if run.over_budget {
                report.budget_spent = true;
            }
            report.cases += 1;
            for d in &run.divergences {
                report.divergences.add(d.clone());
            }
            report.skipped += run.skipped;
            options.progress().case_done();
            // A target that stops answering is gone, not in breach.
            match run.exchanges.last().map(|e| &e.response) {
                Some(Err(e)) => {
                    silent += 1;
                    if silent >= GONE_AFTER {
                        report.aborted = Some(format!(
                            "the target stopped answering ({silent} requests in a row got no answer; the last: {e})"
                        ));
                        break;
                    }
                }
                Some(Ok(_)) => silent = 0,
                None => {}
            }
            let family = case.generator.and_then(Gen::family);
            for e in &run.exchanges {
                if let Some(op) = e.step.as_ref().map(|s| s.op).or_else(|| read_op(e)) {
                    report.coverage.record(op, &e.findings);
                }
                if let (Some(family), Some(_)) = (family, &e.step) {
                    report.coverage.record_family(family, &e.findings);
                }
            }
            for (clause, original) in first_breaks(&run.exchanges) {
                if !pending.iter().any(|(c, _, _)| *c == clause) {
                    pending.push((clause, index, original));
                }
            }
        }
        pending
    }

    /// Each broken clause: its case run again, and shrunk, within an equal
    /// share of what is left of the budget; then reported (a break without
    /// an answer only when it happened again).
    fn run_again(
        &self,
        schedule: &Schedule,
        pending: Vec<Pending>,
        options: &Options,
        handle: &tokio::runtime::Handle,
        report: &mut Report,
    ) {
        let count = pending.len() as u64;
        for (done, (clause, index, original)) in pending.into_iter().enumerate() {
            let case = schedule.case_at(index);
            options.progress().message(&format!("replaying {clause}"));
            let share = options.max_requests.map(|max| {
                let left = max.saturating_sub(self.requests());
                self.requests() + left / (count - done as u64).max(1)
            });
            let (reproduced, shrunk) = if report.aborted.is_some() || self.is_cancelled() {
                (
                    Reproduced::NotTried("the run stopped before the replays".into()),
                    None,
                )
            } else {
                self.reproduce(&case, clause, options, share, handle)
            };
            let no_answer = original
                .exchanges
                .last()
                .is_some_and(|e| e.response.is_err());
            let why = original.finding.failure.clone().unwrap_or_default();
            match &reproduced {
                Reproduced::No if no_answer => {
                    report.transient.push((clause, why));
                    continue;
                }
                Reproduced::NotTried(not_tried) if no_answer => {
                    report.notes.push(format!(
                        "{clause}: {why}; not run again ({not_tried}), so not counted as broken"
                    ));
                    continue;
                }
                _ => {}
            }
            report.failures.push(Failure {
                clause,
                label: case.label.clone(),
                original,
                shrunk,
                reproduced,
            });
        }
    }
}

/// The operation of a read the harness made without a step.
pub fn read_op(e: &Exchange) -> Option<Op> {
    let path = e.request.path_and_query.split('?').next()?;
    Op::ALL
        .into_iter()
        .find(|op| !op.is_post() && op.route().1.eq_ignore_ascii_case(path))
}
