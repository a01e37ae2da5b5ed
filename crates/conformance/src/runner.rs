//! The run. First the directed phase: cases from every generator on every
//! operation it serves, so every clause is reached within a small budget;
//! then mixed cases that combine generators and variations. Each case
//! starts from nothing known and establishes what it predicts from (it
//! writes what it later reads, or reads first), so it replays alone, on the
//! model and on a live target alike. Every response is judged; the run goes
//! on after a failure, and each distinct broken clause is replayed, shrunk
//! and reported once with the exchanges that show it.
//!
//! A 429 outside the throttling phase is the target doing its job: the
//! harness waits for `Retry-After` and sends the request again.

use crate::cases::{self, Gen, Op, Step};
use crate::checks::{self, Check, Finding, Received, Schemas};
use crate::clauses::Clause;
use crate::compare::{self, Divergence, Divergences, Mirror, ModelAnswer};
use crate::coverage::Coverage;
use crate::oracle::{self, CaseState, Planning, RawRequest, Resource};
use crate::record::{Exchange, Line, Phase, Recorder};
use crate::target::Target;
use proptest::strategy::{BoxedStrategy, Strategy, ValueTree};
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// How to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Mixed cases after the directed phase.
    pub cases: u32,
    /// The seed; the same seed replays the same run.
    pub seed: u64,
    /// Show a progress bar (on a terminal).
    pub progress: bool,
    /// Directed cases per generator and operation.
    pub per_generator: u32,
    /// Stop starting cases once this many requests were sent (restore
    /// included).
    pub max_requests: Option<u64>,
    /// Smaller cases tried per broken clause.
    pub shrink_iterations: u32,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            cases: 256,
            seed: 1,
            progress: false,
            per_generator: 1,
            max_requests: None,
            shrink_iterations: 64,
        }
    }
}

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
}

impl Report {
    /// Whether every clause held, the run was whole, and the restore
    /// worked.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
            && self.divergences.is_empty()
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

/// A request the harness sent, for the throttling check's log.
#[derive(Debug, Clone, Copy)]
pub struct Sent {
    /// The identity whose token it carried.
    pub identity: Option<usize>,
    /// When it left.
    pub started: Instant,
    /// When its answer arrived.
    pub finished: Instant,
    /// The answer's status (0: none).
    pub status: u16,
}

/// A case as it ran.
#[derive(Debug, Default)]
pub(crate) struct CaseRun {
    pub(crate) exchanges: Vec<Exchange>,
    skipped: u64,
    /// Where the model answered differently (`--compare-model`).
    divergences: Vec<Divergence>,
}

impl CaseRun {
    /// The first exchange breaking `clause`, and the finding.
    fn first_break(&self, clause: Clause) -> Option<(usize, &Finding)> {
        self.exchanges
            .iter()
            .enumerate()
            .find_map(|(i, e)| e.broken().find(|f| f.clause == clause).map(|f| (i, f)))
    }

    /// Notes a divergence when the last exchange has one.
    fn diverged(&mut self, status_clause: Clause) {
        if let Some(d) = Divergence::of(&self.exchanges, status_clause) {
            self.divergences.push(d);
        }
    }

    fn evidence(&self, clause: Clause) -> Option<Evidence> {
        let (i, finding) = self.first_break(clause)?;
        Some(Evidence {
            exchanges: self.exchanges[..=i].to_vec(),
            finding: finding.clone(),
        })
    }
}

/// A case of the run: its phase, label, strategy and number in its phase.
type Scheduled = (Phase, String, BoxedStrategy<Vec<Step>>, u64);

/// Runs cases against one target.
pub struct Harness {
    target: Target,
    saved: Vec<(Resource, Value)>,
    schemas: Schemas,
    requests: AtomicU64,
    log: Mutex<Vec<Sent>>,
    recorder: Option<Arc<Recorder>>,
    cancel: CancellationToken,
    notes: Mutex<Vec<String>>,
    started: Instant,
    mirror: Option<Mirror>,
    /// Time spent waiting on 429s so far, and the bound
    /// ([`MAX_429_WAITING`] unless set).
    waited_on_429: Mutex<Duration>,
    max_429_waiting: Duration,
}

/// The most a response body may hold: the contract's bodies are small, and
/// a target streaming without end must not exhaust the harness.
const MAX_BODY: usize = 4 * 1024 * 1024;
/// Waits for 429s outside the throttling phase, per request, at the most.
const MAX_WAITS: u32 = 10;
/// The most a run waits on 429s in all (outside the throttling phase):
/// a target that answers 429 for ever stops the run after this, instead
/// of costing `MAX_WAITS` × `Retry-After` per request.
pub const MAX_429_WAITING: Duration = Duration::from_secs(600);
/// Requests in a row without an answer that mean the target is gone.
const GONE_AFTER: u32 = 3;

impl Harness {
    /// Reads the target's current configurations (what a live run restores
    /// at the end).
    pub async fn new(target: Target) -> anyhow::Result<Self> {
        Self::with_recorder(target, None, 0).await
    }

    /// As [`Harness::new`], writing every exchange to `recorder` (after a
    /// first line that names the target and the run's `seed`).
    pub async fn with_recorder(
        target: Target,
        recorder: Option<Arc<Recorder>>,
        seed: u64,
    ) -> anyhow::Result<Self> {
        let mut harness = Self {
            target,
            saved: Vec::new(),
            schemas: Schemas::default(),
            requests: AtomicU64::new(0),
            log: Mutex::new(Vec::new()),
            recorder,
            cancel: CancellationToken::new(),
            notes: Mutex::new(Vec::new()),
            started: Instant::now(),
            mirror: None,
            waited_on_429: Mutex::new(Duration::ZERO),
            max_429_waiting: MAX_429_WAITING,
        };
        if let Some(r) = &harness.recorder {
            let t = &harness.target;
            r.write(&Line::Run {
                version: 1,
                seed,
                base_url: t.base_url.clone(),
                identities: t
                    .identities
                    .iter()
                    .map(|i| (i.pms_id, i.organization_id))
                    .collect(),
                foreign: (t.foreign_pms_id, t.foreign_organization_id),
                unconfigured_pms: t.unconfigured_pms,
            })?;
        }
        harness.saved = harness.read_state(Phase::Setup).await?;
        Ok(harness)
    }

    /// Sends every judged request also to an in-process model seeded to
    /// mirror the target as read at the start, and reports where the two
    /// answer differently ([`crate::compare`]). No request more reaches
    /// the target.
    pub fn compare_with_model(&mut self) {
        self.mirror = Some(Mirror::new(&self.target, &self.saved));
    }

    /// [`Harness::compare_with_model`] with a model whose quota is
    /// `quota` rather than the target's `--rate-limit`.
    pub fn compare_with_model_quota(&mut self, quota: lupl_model::Quota) {
        self.mirror = Some(Mirror::with_quota(&self.target, &self.saved, quota));
    }

    /// Bounds the time the run waits on 429s in all (default
    /// [`MAX_429_WAITING`]): past it, a throttled request gets no answer.
    pub fn set_max_429_waiting(&mut self, bound: Duration) {
        self.max_429_waiting = bound;
    }

    /// Cancelled to stop after the request in flight (Ctrl-C): waits end
    /// at once, no case starts, the restore still runs.
    pub fn cancel_token(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// Whether the run was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Sleeps `d`, or less if the run is cancelled; false when cancelled.
    pub(crate) async fn sleep(&self, d: Duration) -> bool {
        tokio::select! {
            () = tokio::time::sleep(d) => true,
            () = self.cancel.cancelled() => false,
        }
    }

    fn note(&self, note: String) {
        let mut notes = self.notes.lock().unwrap_or_else(|e| e.into_inner());
        if !notes.contains(&note) {
            notes.push(note);
        }
    }

    /// The target.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Requests sent so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Every request sent so far, for the throttling check.
    pub fn log(&self) -> Vec<Sent> {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Seconds since the harness started.
    pub(crate) fn clock(&self, at: Instant) -> f64 {
        at.duration_since(self.started).as_secs_f64()
    }

    async fn read_state(&self, phase: Phase) -> anyhow::Result<Vec<(Resource, Value)>> {
        let mut out = Vec::new();
        for (i, identity) in self.target.identities.iter().enumerate() {
            for (op, id, resource) in [
                (Op::GetProvider, identity.pms_id, Resource::Provider(i)),
                (
                    Op::GetOrganization,
                    identity.organization_id,
                    Resource::Organization(i),
                ),
            ] {
                let request = RawRequest::get(op, id, &identity.token);
                let label = "read the configuration";
                let (r, (started, finished)) = self
                    .send(&request, phase, 0, label)
                    .await
                    .map_err(|e| anyhow::anyhow!("{}: {e}", self.target.base_url))?;
                self.record(Exchange {
                    phase,
                    case: 0,
                    label: label.into(),
                    step: None,
                    request: request.clone(),
                    response: Ok(r.clone()),
                    expected: None,
                    findings: Vec::new(),
                    at: self.clock(started),
                    millis: finished.duration_since(started).as_secs_f64() * 1e3,
                    model: None,
                });
                if r.status != 200 {
                    anyhow::bail!(
                        "{} answered {} to {} — check the token and that it owns/manages {id}",
                        self.target.base_url,
                        r.status,
                        op.operation_id()
                    );
                }
                out.push((
                    resource,
                    serde_json::from_slice(&r.body).unwrap_or(Value::Null),
                ));
            }
        }
        Ok(out)
    }

    fn identity_of(&self, request: &RawRequest) -> Option<usize> {
        let auth = request.authorization.as_deref()?;
        self.target
            .identities
            .iter()
            .position(|i| auth == format!("Bearer {}", i.token))
    }

    /// Sends a request (paced by the target's limiter, except in the
    /// throttling phase) and logs it. Outside the throttling phase a 429 is
    /// waited out and the request sent again; those exchanges are recorded
    /// as [`Phase::Wait`].
    pub async fn send(
        &self,
        request: &RawRequest,
        phase: Phase,
        case: u64,
        label: &str,
    ) -> Result<(Received, (Instant, Instant)), String> {
        let mut waits = 0;
        loop {
            if phase != Phase::Throttling {
                self.target.limiter.acquire().await;
            }
            let started = Instant::now();
            let result = self.send_raw(request).await;
            let finished = Instant::now();
            self.requests.fetch_add(1, Ordering::Relaxed);
            self.log
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(Sent {
                    identity: self.identity_of(request),
                    started,
                    finished,
                    status: result.as_ref().map_or(0, |r| r.status),
                });
            match result {
                Ok(r) if r.status == 429 && phase != Phase::Throttling => {
                    waits += 1;
                    self.note_early_429(request, started);
                    let wait = r
                        .header("retry-after")
                        .and_then(lupl_api::RetryAfter::parse)
                        .map(|ra| ra.wait_from(std::time::SystemTime::now()))
                        .unwrap_or(Duration::from_secs(1));
                    // Counted only when it is waited: a wait past the bound
                    // is refused, and the total says what was waited.
                    let over = {
                        let mut total =
                            self.waited_on_429.lock().unwrap_or_else(|e| e.into_inner());
                        if *total + wait <= self.max_429_waiting {
                            *total += wait;
                            None
                        } else {
                            Some(*total)
                        }
                    };
                    self.record(Exchange {
                        phase: Phase::Wait,
                        case,
                        label: format!("{label} (throttled: waiting {wait:?})"),
                        step: None,
                        request: request.clone(),
                        response: Ok(r),
                        expected: None,
                        findings: Vec::new(),
                        at: self.clock(started),
                        millis: finished.duration_since(started).as_secs_f64() * 1e3,
                        model: None,
                    });
                    if waits > MAX_WAITS {
                        return Err(format!(
                            "the target answered 429 {MAX_WAITS} times in a row; its quota may be lower than --rate-limit"
                        ));
                    }
                    if let Some(waited) = over {
                        return Err(format!(
                            "the target kept answering 429: the run has waited {} s on Retry-After in all, and waits at most {} s; its quota may be lower than --rate-limit",
                            waited.as_secs(),
                            self.max_429_waiting.as_secs()
                        ));
                    }
                    if !self.sleep(wait).await {
                        return Err("interrupted while waiting for Retry-After".into());
                    }
                }
                Ok(r) => return Ok((r, (started, finished))),
                Err(e) => return Err(e),
            }
        }
    }

    /// A 429 outside the throttling phase is waited out; but when the log
    /// shows the identity sent fewer than the quota in the window, the
    /// target's quota is lower than the one the harness paces for: say so.
    fn note_early_429(&self, request: &RawRequest, at: Instant) {
        let Some(identity) = self.identity_of(request) else {
            return;
        };
        let limit = self.target.limiter.limit();
        let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        let counted = log
            .iter()
            .filter(|s| s.identity == Some(identity) && !matches!(s.status, 0 | 401 | 429))
            .filter(|s| {
                at.checked_sub(limit.per)
                    .is_none_or(|edge| s.finished > edge)
            })
            .count();
        drop(log);
        if counted < limit.requests as usize {
            self.note(format!(
                "the target answered 429 though identity {identity} had sent only {counted} counted request(s) in the last {} s (the harness paces for {}/{}): its quota may be lower than documented; waited for Retry-After",
                limit.per.as_secs(),
                limit.requests,
                limit.per.as_secs()
            ));
        }
    }

    async fn send_raw(&self, request: &RawRequest) -> Result<Received, String> {
        let url = format!("{}{}", self.target.base_url, request.path_and_query);
        let method = lupl_api::reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|e| e.to_string())?;
        let mut builder = self.target.http.request(method, url);
        if let Some(a) = &request.authorization {
            let mut value =
                lupl_api::reqwest::header::HeaderValue::from_str(a).map_err(|e| e.to_string())?;
            value.set_sensitive(true);
            builder = builder.header("Authorization", value);
        }
        if let Some(ct) = &request.content_type {
            builder = builder.header("Content-Type", ct);
        }
        if request.method != "GET" {
            builder = builder.body(request.body.clone());
        }
        let response = builder.send().await.map_err(|e| describe_transport(&e))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut response = response;
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| describe_transport(&e))? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(format!(
                    "answered {status} with a body of more than {} MiB; gave up reading it",
                    MAX_BODY / (1024 * 1024)
                ));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Received {
            status,
            headers,
            body,
        })
    }

    pub(crate) fn record(&self, exchange: Exchange) {
        if let Some(r) = &self.recorder {
            // A recording that cannot be written must not stop the run;
            // main reports the file's problem when it flushes.
            let _ = r.write(&Line::Exchange(Box::new(exchange)));
        }
    }

    /// Sends a planned request and judges the answer.
    pub(crate) async fn exchange(
        &self,
        planned: &oracle::Planned,
        step: Option<&Step>,
        op: Op,
        phase: Phase,
        case: u64,
        label: &str,
    ) -> Exchange {
        // What the mirror held before a write, to undo one only it accepts
        // (a read needs none: no copy per read).
        let before = self
            .mirror
            .as_ref()
            .zip(planned.resource)
            .filter(|_| op.is_post())
            .and_then(|(m, r)| m.stored(r));
        let result = self.send(&planned.request, phase, case, label).await;
        let (response, at, millis, sent_at) = match result {
            Ok((r, (s, f))) => (
                Ok(r),
                self.clock(s),
                f.duration_since(s).as_secs_f64() * 1e3,
                Some(s),
            ),
            Err(e) => (Err(e), self.clock(Instant::now()), 0.0, None),
        };
        let findings = match &response {
            Ok(r) => checks::judge(op, &planned.expected, r, &self.schemas),
            Err(e) => vec![Finding::broke(
                Clause::RouteNo5xx,
                Check::No5xx,
                crate::clauses::Polarity::Positive,
                format!("no answer: {e}"),
            )],
        };
        let model = match (&self.mirror, &response, sent_at) {
            (Some(mirror), Ok(target), Some(at)) => {
                if let Some(resource) = planned.resource {
                    mirror.catch_up(op, resource, target);
                }
                let answer = mirror.answer(&planned.request, at);
                let model_findings = checks::judge(op, &planned.expected, &answer, &self.schemas);
                let aspects = compare::compare(op, target, &answer, &findings, &model_findings);
                if let (false, Some(resource)) = (aspects.is_empty(), planned.resource) {
                    mirror.follow(op, resource, &planned.request, target, before);
                }
                Some(ModelAnswer {
                    findings: model_findings,
                    response: answer,
                    aspects,
                })
            }
            _ => None,
        };
        let exchange = Exchange {
            phase,
            case,
            label: label.to_owned(),
            step: step.cloned(),
            request: planned.request.clone(),
            response,
            expected: Some(planned.expected.clone()),
            findings,
            at,
            millis,
            model,
        };
        self.record(exchange.clone());
        exchange
    }

    /// Runs one case from nothing known.
    pub(crate) async fn run_case(
        &self,
        steps: &[Step],
        phase: Phase,
        case: u64,
        label: &str,
        state: &mut CaseState,
    ) -> CaseRun {
        let mut run = CaseRun::default();
        for step in steps {
            if self.is_cancelled() {
                break;
            }
            let mut established: Vec<Resource> = Vec::new();
            loop {
                match oracle::plan(step, &self.target, state) {
                    Planning::Ready(planned) => {
                        let e = self
                            .exchange(&planned, Some(step), step.op, phase, case, label)
                            .await;
                        let failed = e.broken().next().is_some();
                        match &e.response {
                            Ok(r) if !failed => state.settle(&planned, r.status, &r.body),
                            _ => {
                                if let Some(r) = planned.resource {
                                    state.forget(r);
                                }
                            }
                        }
                        let no_answer = e.response.is_err();
                        run.exchanges.push(e);
                        run.diverged(planned.expected.status_clause);
                        if no_answer {
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
                        let read = Step::read(op, i);
                        let Planning::Ready(planned) = oracle::plan(&read, &self.target, state)
                        else {
                            run.skipped += 1;
                            break;
                        };
                        let e = self
                            .exchange(&planned, None, op, phase, case, "read first")
                            .await;
                        if let Ok(r) = &e.response
                            && e.broken().next().is_none()
                        {
                            state.settle(&planned, r.status, &r.body);
                        }
                        let no_answer = e.response.is_err();
                        run.exchanges.push(e);
                        run.diverged(planned.expected.status_clause);
                        if no_answer {
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

    /// Whether the request budget allows more: new cases stop an eighth
    /// of the budget early, so that what they broke can still be replayed
    /// and shrunk; the restore's requests are always kept.
    fn budget_left(&self, options: &Options, new_case: bool) -> bool {
        let restore = 4 * self.target.identities.len() as u64 + 4;
        options.max_requests.is_none_or(|max| {
            let reserve = restore + if new_case { max / 8 } else { 0 };
            self.requests() + reserve < max
        })
    }

    /// Runs the directed phase, then `options.cases` mixed cases; blocking
    /// (call it from a blocking thread).
    pub fn run_blocking(&self, options: &Options, handle: &tokio::runtime::Handle) -> Report {
        let start = Instant::now();
        let identities = self.target.identities.len();
        let directed: Vec<(Gen, Op)> = Gen::all()
            .into_iter()
            .flat_map(|g| g.ops().iter().map(move |&op| (g, op)))
            .collect();
        let total =
            directed.len() as u64 * u64::from(options.per_generator) + u64::from(options.cases);
        let progress = if options.progress {
            indicatif::ProgressBar::new(total)
        } else {
            indicatif::ProgressBar::hidden()
        };
        progress.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} cases {per_sec} ETA {eta} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        let mut report = Report {
            seed: options.seed,
            ..Report::default()
        };
        // Cases are made as they are run: a huge --cases or
        // --per-generator costs no memory up front.
        let per_generator = u64::from(options.per_generator);
        let directed_count = directed.len() as u64 * per_generator;
        let mixed = cases::mixed(identities);
        let case_at = |index: u64| -> Scheduled {
            let generator = usize::try_from(index / per_generator.max(1))
                .ok()
                .and_then(|i| directed.get(i));
            match generator {
                Some((generator, op)) if index < directed_count => (
                    Phase::Directed,
                    format!("{} on {}", generator.name(), op.operation_id()),
                    generator.cases(*op, identities),
                    index,
                ),
                _ => (
                    Phase::Mixed,
                    "mixed".into(),
                    mixed.clone(),
                    index - directed_count,
                ),
            }
        };
        // What broke, to replay and shrink once the cases are done (so a
        // failing target does not spend the budget on one failure).
        let mut pending: Vec<(Clause, u64, Evidence)> = Vec::new();
        let mut silent = 0;
        for index in 0..total {
            let (phase, label, strategy, number) = &case_at(index);
            if self.is_cancelled() {
                report.interrupted = true;
                break;
            }
            if !self.budget_left(options, true) {
                report.budget_spent = true;
                break;
            }
            let Some(tree) = make_tree(strategy, options.seed, *phase, *number) else {
                continue;
            };
            let steps = tree.current();
            let mut state = CaseState::new(identities);
            let run = handle.block_on(self.run_case(&steps, *phase, *number, label, &mut state));
            report.cases += 1;
            for d in &run.divergences {
                report.divergences.add(d.clone());
            }
            report.skipped += run.skipped;
            progress.inc(1);
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
            for e in &run.exchanges {
                if let Some(step) = &e.step {
                    report.coverage.record(step.op, &e.findings);
                } else if let Some(op) = read_op(e) {
                    report.coverage.record(op, &e.findings);
                }
            }
            let broken: BTreeSet<Clause> = run
                .exchanges
                .iter()
                .flat_map(|e| e.broken().map(|f| f.clause))
                .collect();
            for clause in broken {
                if pending.iter().any(|(c, _, _)| *c == clause) {
                    continue;
                }
                if let Some(original) = run.evidence(clause) {
                    pending.push((clause, index, original));
                }
            }
        }
        // Each broken clause: run its case again, and shrink it, within an
        // equal share of what is left of the budget.
        let count = pending.len() as u64;
        for (done, (clause, index, original)) in pending.into_iter().enumerate() {
            let (phase, label, strategy, number) = &case_at(index);
            progress.set_message(format!("replaying {clause}"));
            let share = options.max_requests.map(|max| {
                let left = max.saturating_sub(self.requests());
                self.requests() + left / (count - done as u64).max(1)
            });
            let make = || make_tree(strategy, options.seed, *phase, *number);
            let (reproduced, shrunk) = if report.aborted.is_some() || self.is_cancelled() {
                (
                    Reproduced::NotTried("the run stopped before the replays".into()),
                    None,
                )
            } else {
                self.reproduce(&make, clause, options, share, handle, *number, label)
            };
            let no_answer = original
                .exchanges
                .last()
                .is_some_and(|e| e.response.is_err());
            // No answer is a failure only when it happens again.
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
                label: label.clone(),
                original,
                shrunk,
                reproduced,
            });
        }
        progress.finish_and_clear();
        report.interrupted |= self.is_cancelled();
        report.notes.extend(
            self.notes
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .cloned(),
        );
        report.requests = self.requests();
        report.elapsed = start.elapsed();
        report
    }

    /// Runs a failing case again and, when it breaks `clause` again,
    /// shrinks it to the smallest case proptest finds that still does.
    #[allow(clippy::too_many_arguments)]
    fn reproduce(
        &self,
        make: &dyn Fn() -> Option<Box<dyn ValueTree<Value = Vec<Step>>>>,
        clause: Clause,
        options: &Options,
        share: Option<u64>,
        handle: &tokio::runtime::Handle,
        number: u64,
        label: &str,
    ) -> (Reproduced, Option<Evidence>) {
        let within = |this: &Self| {
            this.budget_left(options, false) && share.is_none_or(|s| this.requests() < s)
        };
        if !within(self) {
            return (
                Reproduced::NotTried("the request budget is spent".into()),
                None,
            );
        }
        let Some(mut tree) = make() else {
            return (
                Reproduced::NotTried("the case could not be made again".into()),
                None,
            );
        };
        let identities = self.target.identities.len();
        let attempt = |steps: &[Step], phase: Phase| {
            let mut state = CaseState::new(identities);
            handle.block_on(self.run_case(steps, phase, number, label, &mut state))
        };
        let again = attempt(&tree.current(), Phase::Replay);
        let Some(mut best) = again.evidence(clause) else {
            return (Reproduced::No, None);
        };
        let mut iterations = 0;
        if tree.simplify() {
            loop {
                iterations += 1;
                if iterations > options.shrink_iterations || !within(self) || self.is_cancelled() {
                    break;
                }
                let run = attempt(&tree.current(), Phase::Shrink);
                match run.evidence(clause) {
                    Some(e) => {
                        best = e;
                        if !tree.simplify() {
                            break;
                        }
                    }
                    None => {
                        if !tree.complicate() {
                            break;
                        }
                    }
                }
            }
        }
        (Reproduced::Yes, Some(best))
    }

    /// Runs the throttling phase with the policy `quota`; blocking.
    pub fn run_throttling(
        &self,
        quota: lupl_auth::Quota,
        handle: &tokio::runtime::Handle,
    ) -> Report {
        let start = Instant::now();
        let requests = self.requests();
        let run = handle.block_on(crate::throttling::run(self, quota));
        let mut report = Report {
            cases: 1,
            notes: run.notes,
            ..Report::default()
        };
        for (i, e) in run.exchanges.iter().enumerate() {
            if let Some(step) = &e.step {
                report.coverage.record(step.op, &e.findings);
            }
            for f in e.broken() {
                if !report.broke(f.clause) {
                    report.failures.push(Failure {
                        clause: f.clause,
                        label: "throttling".into(),
                        original: Evidence {
                            exchanges: run.exchanges[..=i].to_vec(),
                            finding: f.clone(),
                        },
                        shrunk: None,
                        reproduced: Reproduced::NotTried(
                            "the throttling phase spends a whole quota; it is not run twice".into(),
                        ),
                    });
                }
            }
        }
        report.requests = self.requests() - requests;
        report.elapsed = start.elapsed();
        report
    }

    /// What a live run read at its start and would put back, as JSON, for
    /// a user who stops the run before it restores (`null`s left out: the
    /// API cannot store one).
    pub fn saved_json(&self) -> Vec<(Op, String)> {
        if self.target.is_model {
            return Vec::new();
        }
        self.saved
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(r, v)| (write_op(*r), v.to_string()))
            .collect()
    }

    /// Puts back the configurations read at the start (live targets). A
    /// configuration that was `null` cannot be put back: the API cannot
    /// delete.
    pub async fn restore(&self) -> Vec<RestoreOutcome> {
        if self.target.is_model {
            return Vec::new();
        }
        let current = match self.read_state(Phase::Restore).await {
            Ok(c) => c,
            Err(e) => {
                return self
                    .saved
                    .iter()
                    .map(|(r, saved)| {
                        if saved.is_null() {
                            RestoreOutcome::CannotDelete(write_op(*r))
                        } else {
                            RestoreOutcome::Failed(
                                write_op(*r),
                                format!("could not read the target to restore it: {e}"),
                                saved.to_string(),
                            )
                        }
                    })
                    .collect();
            }
        };
        let mut outcomes = Vec::new();
        for ((resource, saved), (_, now)) in self.saved.iter().zip(&current) {
            let op = write_op(*resource);
            if now == saved {
                outcomes.push(RestoreOutcome::Unchanged(op));
                continue;
            }
            if saved.is_null() {
                outcomes.push(RestoreOutcome::CannotDelete(op));
                continue;
            }
            let (i, body) = match resource {
                Resource::Provider(i) => (
                    *i,
                    serde_json::json!({"pmsId": self.target.identities[*i].pms_id, "config": saved}),
                ),
                Resource::Organization(i) => (*i, saved.clone()),
            };
            let request = RawRequest::post(op, &body, &self.target.identities[i].token);
            let sent = self.send(&request, Phase::Restore, 0, "restore").await;
            if let Ok((r, (started, finished))) = &sent {
                self.record(Exchange {
                    phase: Phase::Restore,
                    case: 0,
                    label: "restore".into(),
                    step: None,
                    request: request.clone(),
                    response: Ok(r.clone()),
                    expected: None,
                    findings: Vec::new(),
                    at: self.clock(*started),
                    millis: finished.duration_since(*started).as_secs_f64() * 1e3,
                    model: None,
                });
            }
            outcomes.push(match sent {
                Ok((r, _)) if r.status == 200 => RestoreOutcome::Restored(op),
                Ok((r, _)) if r.status == 400 => RestoreOutcome::Refused(
                    op,
                    format!(
                        "answered 400 {}",
                        String::from_utf8_lossy(&r.body)
                            .chars()
                            .take(300)
                            .collect::<String>()
                    ),
                    saved.to_string(),
                ),
                Ok((r, _)) => {
                    RestoreOutcome::Failed(op, format!("answered {}", r.status), saved.to_string())
                }
                Err(e) => RestoreOutcome::Failed(op, e, saved.to_string()),
            });
        }
        outcomes
    }

    /// Flushes the recording.
    pub fn flush_recording(&self) -> std::io::Result<()> {
        match &self.recorder {
            Some(r) => r.flush(),
            None => Ok(()),
        }
    }
}

/// The value tree of case `number` of `phase`, as the seed makes it (the
/// same tree each time, for replaying and shrinking).
fn make_tree(
    strategy: &BoxedStrategy<Vec<Step>>,
    seed: u64,
    phase: Phase,
    number: u64,
) -> Option<Box<dyn ValueTree<Value = Vec<Step>>>> {
    let salt = if phase == Phase::Directed {
        b"directed"
    } else {
        b"mixed---"
    };
    let mut runner =
        TestRunner::new_with_rng(Config::default(), cases::seeded_rng(seed, salt, number));
    strategy.new_tree(&mut runner).ok()
}

fn write_op(r: Resource) -> Op {
    match r {
        Resource::Provider(_) => Op::SetProvider,
        Resource::Organization(_) => Op::SetOrganization,
    }
}

/// The operation of a read the harness made without a step.
pub(crate) fn read_op(e: &Exchange) -> Option<Op> {
    let path = e.request.path_and_query.split('?').next()?;
    Op::ALL
        .into_iter()
        .find(|op| !op.is_post() && op.route().1.eq_ignore_ascii_case(path))
}

/// A transport error in words a user can act on: the cause chain, without
/// the URL (which holds the query).
fn describe_transport(e: &lupl_api::reqwest::Error) -> String {
    use std::error::Error as _;
    let mut out = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "could not connect".to_owned()
    } else {
        "the connection failed".to_owned()
    };
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(&format!(": {s}"));
        source = s.source();
    }
    out
}
