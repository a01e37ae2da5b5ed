//! The run: proptest sequences against a target, every response checked,
//! a report with a shrunk, replayable failure.

use crate::cases::{self, Op, Step};
use crate::checks::{self, ContractCheck, Received, Schemas};
use crate::oracle::{self, RawRequest, Shadow};
use crate::target::Target;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Sequences to run.
    pub cases: u32,
    /// The seed; the same seed replays the same run.
    pub seed: u64,
    /// Show a progress bar (on a terminal).
    pub progress: bool,
}

/// One failed check of the shrunk failing sequence.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The steps that led to it, as `curl` commands (tokens masked).
    pub replay: Vec<String>,
    /// The step that failed, as labelled by the generator.
    pub step: String,
    /// The predicted answer.
    pub expected: String,
    /// The answer received.
    pub actual: String,
    /// Every check that failed, with why.
    pub broken: Vec<(ContractCheck, String)>,
}

/// What a run found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The seed used.
    pub seed: u64,
    /// Sequences run (before shrinking).
    pub cases: u64,
    /// Requests sent, shrinking included.
    pub requests: u64,
    /// Wall time.
    pub elapsed: Duration,
    /// (operation, check) → (passed, failed), shrinking excluded.
    pub tally: BTreeMap<(Op, ContractCheck), (u64, u64)>,
    /// The shrunk failure, if the contract was broken.
    pub failure: Option<Failure>,
    /// Steps skipped because the harness could not predict them.
    pub skipped: u64,
    /// Problems restoring a live target's configurations (a failure).
    pub restore: Vec<String>,
    /// What could not be restored because the API cannot (not a failure).
    pub restore_notes: Vec<String>,
}

impl Report {
    /// Whether every contract held.
    pub fn passed(&self) -> bool {
        self.failure.is_none() && self.tally.values().all(|(_, f)| *f == 0)
    }

    /// Failed checks in the tally.
    pub fn failed_checks(&self) -> u64 {
        self.tally.values().map(|(_, f)| f).sum()
    }

    /// Whether a check of this kind failed (in the tally or the shrunk case).
    pub fn broke(&self, check: ContractCheck) -> bool {
        self.tally
            .iter()
            .any(|((_, c), (_, f))| *c == check && *f > 0)
            || self
                .failure
                .as_ref()
                .is_some_and(|f| f.broken.iter().any(|(c, _)| *c == check))
    }
}

/// Runs sequences against one target.
pub struct Harness {
    target: Target,
    shadow: Mutex<Shadow>,
    saved: Shadow,
    schemas: Schemas,
    tally: Mutex<BTreeMap<(Op, ContractCheck), (u64, u64)>>,
    counting: AtomicBool,
    requests: AtomicU64,
    skipped: AtomicU64,
    cancelled: Arc<AtomicBool>,
}

fn mask(authorization: &str) -> String {
    match authorization.split_once(' ') {
        Some((scheme, token)) => {
            let shown: String = token.chars().take(4).collect();
            format!("{scheme} {shown}…")
        }
        None => "…".to_owned(),
    }
}

/// The request as a `curl` command, token masked.
pub fn curl(base_url: &str, request: &RawRequest) -> String {
    let mut out = format!(
        "curl -i -X {} '{base_url}{}'",
        request.method, request.path_and_query
    );
    if let Some(a) = &request.authorization {
        out.push_str(&format!(" -H 'Authorization: {}'", mask(a)));
    }
    if let Some(ct) = &request.content_type {
        out.push_str(&format!(" -H 'Content-Type: {ct}'"));
    }
    if request.method == "POST" {
        let body = String::from_utf8_lossy(&request.body).replace('\'', "'\\''");
        out.push_str(&format!(" --data-raw '{body}'"));
    }
    out
}

impl Harness {
    /// Reads the target's current configurations (the shadow's start, and
    /// what a live run restores at the end).
    pub async fn new(target: Target) -> anyhow::Result<Self> {
        let mut harness = Self {
            target,
            shadow: Mutex::new(Shadow::default()),
            saved: Shadow::default(),
            schemas: Schemas::default(),
            tally: Mutex::new(BTreeMap::new()),
            counting: AtomicBool::new(true),
            requests: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
            cancelled: Arc::new(AtomicBool::new(false)),
        };
        let current = harness.read_state().await?;
        harness.saved = current.clone();
        harness.shadow = Mutex::new(current);
        Ok(harness)
    }

    /// Set to stop after the step in flight (Ctrl-C).
    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        self.cancelled.clone()
    }

    /// The target.
    pub fn target(&self) -> &Target {
        &self.target
    }

    async fn read_state(&self) -> anyhow::Result<Shadow> {
        let mut shadow = Shadow::default();
        for identity in &self.target.identities {
            for (op, id, into) in [
                (Op::GetProvider, identity.pms_id, 0),
                (Op::GetOrganization, identity.organization_id, 1),
            ] {
                let request = RawRequest::get(op, id, &identity.token);
                let r = self.send(&request).await?;
                if r.status != 200 {
                    anyhow::bail!(
                        "{} answered {} to {} — check the token and that you own/manage {id}",
                        self.target.base_url,
                        r.status,
                        op.operation_id()
                    );
                }
                let value: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
                if into == 0 {
                    shadow.providers.push(value);
                } else {
                    shadow.organizations.push(value);
                }
            }
        }
        Ok(shadow)
    }

    /// Sends a request, paced by the target's limiter.
    pub async fn send(&self, request: &RawRequest) -> anyhow::Result<Received> {
        self.target.limiter.acquire().await;
        self.send_unpaced(request).await
    }

    /// Sends a request without waiting for the limiter (the throttling
    /// check drives a token past its quota on purpose).
    pub async fn send_unpaced(&self, request: &RawRequest) -> anyhow::Result<Received> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let url = format!("{}{}", self.target.base_url, request.path_and_query);
        let method = lupl_api::reqwest::Method::from_bytes(request.method.as_bytes())?;
        let mut builder = self.target.http.request(method, url);
        if let Some(a) = &request.authorization {
            let mut value = lupl_api::reqwest::header::HeaderValue::from_str(a)?;
            value.set_sensitive(true);
            builder = builder.header("Authorization", value);
        }
        if let Some(ct) = &request.content_type {
            builder = builder.header("Content-Type", ct);
        }
        if request.method == "POST" {
            builder = builder.body(request.body.clone());
        }
        let response = builder
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.without_url()))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    v.to_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let body = response
            .bytes()
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.without_url()))?
            .to_vec();
        Ok(Received {
            status,
            headers,
            body,
        })
    }

    /// Runs one step; `Err` describes every broken check.
    async fn execute(&self, step: &Step, replay: &mut Vec<String>) -> Result<(), Failure> {
        let planned = {
            let shadow = self.shadow.lock().unwrap_or_else(|e| e.into_inner());
            oracle::plan(step, &self.target, &shadow)
        };
        let Some(planned) = planned else {
            self.skipped.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        };
        replay.push(curl(&self.target.base_url, &planned.request));
        let received = match self.send(&planned.request).await {
            Ok(r) => r,
            Err(e) => {
                return Err(Failure {
                    replay: replay.clone(),
                    step: format!("{step:?}"),
                    expected: format!("{} ({})", planned.expected.status, planned.expected.because),
                    actual: format!("no answer: {e}"),
                    broken: vec![(ContractCheck::No5xx, format!("no answer: {e}"))],
                });
            }
        };
        let results = checks::run(step.op, &planned.expected, &received, &self.schemas);
        if self.counting.load(Ordering::Relaxed) {
            let mut tally = self.tally.lock().unwrap_or_else(|e| e.into_inner());
            for (check, failure) in &results {
                let entry = tally.entry((step.op, *check)).or_default();
                if failure.is_none() {
                    entry.0 += 1
                } else {
                    entry.1 += 1
                }
            }
        }
        let broken: Vec<(ContractCheck, String)> = results
            .into_iter()
            .filter_map(|(c, f)| f.map(|f| (c, f)))
            .collect();
        if broken.is_empty() {
            if let Some(effect) = &planned.effect {
                self.shadow
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .apply(effect);
            }
            return Ok(());
        }
        // The target and the shadow may now disagree: re-read the truth.
        if let Ok(actual) = self.read_state().await {
            *self.shadow.lock().unwrap_or_else(|e| e.into_inner()) = actual;
        }
        Err(Failure {
            replay: replay.clone(),
            step: format!("{step:?}"),
            expected: format!(
                "{}{} ({})",
                planned.expected.status,
                planned
                    .expected
                    .error_key
                    .as_ref()
                    .map(|k| format!(" with error key {k:?}"))
                    .unwrap_or_default(),
                planned.expected.because
            ),
            actual: format!(
                "{} {}",
                received.status,
                String::from_utf8_lossy(&received.body)
                    .chars()
                    .take(500)
                    .collect::<String>()
            ),
            broken,
        })
    }

    async fn execute_all(&self, steps: &[Step]) -> Result<(), Failure> {
        let mut replay = Vec::new();
        for step in steps {
            if self.cancelled.load(Ordering::Relaxed) {
                return Ok(());
            }
            self.execute(step, &mut replay).await?;
        }
        Ok(())
    }

    /// Runs `options.cases` sequences; blocking (call from a blocking thread).
    pub fn run_blocking(&self, options: &Options, handle: &tokio::runtime::Handle) -> Report {
        let start = Instant::now();
        let config = Config {
            cases: options.cases,
            failure_persistence: None,
            max_shrink_iters: 200,
            ..Config::default()
        };
        let progress = if options.progress {
            indicatif::ProgressBar::new(u64::from(options.cases))
        } else {
            indicatif::ProgressBar::hidden()
        };
        progress.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} cases {per_sec} ETA {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        let mut runner =
            TestRunner::new_with_rng(config, cases::seeded_rng(options.seed, b"lupl-cf!"));
        let cases_run = AtomicU64::new(0);
        let failed = AtomicBool::new(false);
        let strategy = cases::sequence(self.target.identities.len());
        let result = runner.run(&strategy, |steps| {
            if !failed.load(Ordering::Relaxed) {
                cases_run.fetch_add(1, Ordering::Relaxed);
                progress.inc(1);
            }
            match handle.block_on(self.execute_all(&steps)) {
                Ok(()) => Ok(()),
                Err(f) => {
                    // From here on proptest shrinks: stop counting.
                    failed.store(true, Ordering::Relaxed);
                    self.counting.store(false, Ordering::Relaxed);
                    Err(TestCaseError::fail(format!("{:?}", f.broken)))
                }
            }
        });
        progress.finish_and_clear();
        let failure = match result {
            Err(TestError::Fail(_, minimal)) => {
                // Replay the shrunk sequence once more for its report.
                Some(
                    handle
                        .block_on(self.execute_all(&minimal))
                        .err()
                        .unwrap_or_else(|| Failure {
                            replay: Vec::new(),
                            step: format!("{minimal:?}"),
                            expected: "the contract".into(),
                            actual:
                                "failed once, passed on replay (the target is not deterministic)"
                                    .into(),
                            broken: vec![(ContractCheck::Status, "flaky".into())],
                        }),
                )
            }
            Err(TestError::Abort(why)) => Some(Failure {
                replay: Vec::new(),
                step: String::new(),
                expected: String::new(),
                actual: format!("aborted: {why}"),
                broken: vec![(ContractCheck::Status, why.to_string())],
            }),
            Ok(()) => None,
        };
        Report {
            seed: options.seed,
            cases: cases_run.load(Ordering::Relaxed),
            requests: self.requests.load(Ordering::Relaxed),
            elapsed: start.elapsed(),
            tally: self.tally.lock().unwrap_or_else(|e| e.into_inner()).clone(),
            failure,
            skipped: self.skipped.load(Ordering::Relaxed),
            restore: Vec::new(),
            restore_notes: Vec::new(),
        }
    }

    /// Puts back the configurations read at the start (live targets).
    /// Returns what failed to be restored (with the saved JSON), and notes
    /// on what the API cannot restore (a configuration that was `null`).
    pub async fn restore(&self) -> (Vec<String>, Vec<String>) {
        if self.target.is_model {
            return (Vec::new(), Vec::new());
        }
        let current = match self.read_state().await {
            Ok(c) => c,
            Err(e) => {
                return (
                    vec![format!("could not read the target to restore it: {e}")],
                    Vec::new(),
                );
            }
        };
        let mut problems = Vec::new();
        for (i, identity) in self.target.identities.iter().enumerate() {
            let saved_provider = &self.saved.providers[i];
            if current.providers[i] != *saved_provider {
                let body = serde_json::json!({"pmsId": identity.pms_id, "config": saved_provider});
                problems.extend(
                    self.put_back(Op::SetProvider, identity, saved_provider, body)
                        .await,
                );
            }
            let saved_org = &self.saved.organizations[i];
            if current.organizations[i] != *saved_org {
                let body = saved_org.clone();
                problems.extend(
                    self.put_back(Op::SetOrganization, identity, saved_org, body)
                        .await,
                );
            }
        }
        let (notes, problems) = problems
            .into_iter()
            .partition(|p: &String| p.contains("cannot delete"));
        (problems, notes)
    }

    async fn put_back(
        &self,
        op: Op,
        identity: &crate::target::Identity,
        saved: &Value,
        body: Value,
    ) -> Option<String> {
        if saved.is_null() {
            return Some(format!(
                "{}: was null before the run and the API cannot delete; it now holds the harness's last write",
                op.operation_id()
            ));
        }
        let (_, path) = op.route();
        let request = RawRequest {
            method: "POST".into(),
            path_and_query: path,
            authorization: Some(format!("Bearer {}", identity.token)),
            content_type: Some("application/json".into()),
            body: body.to_string().into_bytes(),
        };
        match self.send(&request).await {
            Ok(r) if r.status == 200 => None,
            Ok(r) => Some(format!(
                "{}: restore answered {}; saved JSON: {saved}",
                op.operation_id(),
                r.status
            )),
            Err(e) => Some(format!(
                "{}: restore failed ({e}); saved JSON: {saved}",
                op.operation_id()
            )),
        }
    }
}
