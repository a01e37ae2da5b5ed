//! [`Harness`]: one run against one target. It owns the [`Transport`]
//! (everything sent), the [`Pipeline`] (everything judged) and what the
//! target held at the start (what a live run restores). The phases are
//! its methods, each in its own module: the cases ([`crate::runner`]),
//! the quota ([`crate::throttling`]) and the restore
//! ([`crate::restore`]).

use crate::mirror::Mirror;
use crate::pipeline::Pipeline;
use crate::record::{Exchange, Line, Phase, Recorder};
use crate::target::Target;
use crate::transport::{Sent, Transport};
use conformance_core::cases::Op;
use conformance_core::oracle::Resource;
use conformance_core::wire::RawRequest;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Runs cases against one target.
pub struct Harness {
    pub(crate) transport: Transport,
    pub(crate) pipeline: Pipeline,
    /// Each resource as read at the start.
    pub(crate) saved: Vec<(Resource, Value)>,
}

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
        if let Some(r) = &recorder {
            let t = &target.tenants;
            r.write(&Line::Run {
                version: 1,
                seed,
                base_url: target.base_url.clone(),
                identities: t
                    .identities
                    .iter()
                    .map(|i| (i.pms_id, i.organization_id))
                    .collect(),
                foreign: (t.foreign_pms_id, t.foreign_organization_id),
                unconfigured_pms: t.unconfigured_pms,
            })?;
        }
        let mut harness = Self {
            transport: Transport::new(target, recorder),
            pipeline: Pipeline::new(),
            saved: Vec::new(),
        };
        harness.saved = harness.read_state(Phase::Setup).await?;
        Ok(harness)
    }

    /// Sends every judged request also to an in-process model seeded to
    /// mirror the target as read at the start, and reports where the two
    /// answer differently ([`crate::mirror`]). No request more reaches
    /// the target.
    pub fn compare_with_model(&mut self) {
        let mirror = Mirror::new(self.target(), &self.saved);
        self.pipeline.set_mirror(mirror);
    }

    /// [`Harness::compare_with_model`] with a model whose quota is
    /// `quota` rather than the target's `--rate-limit`.
    pub fn compare_with_model_quota(&mut self, quota: lupl_model::Quota) {
        let mirror = Mirror::with_quota(self.target(), &self.saved, quota);
        self.pipeline.set_mirror(mirror);
    }

    /// Bounds the time the run waits on 429s in all (default
    /// [`crate::transport::MAX_429_WAITING`]): past it, a throttled request
    /// gets no answer.
    pub fn set_max_429_waiting(&mut self, bound: Duration) {
        self.transport.set_max_429_waiting(bound);
    }

    /// Cancelled to stop after the request in flight (Ctrl-C): waits end
    /// at once, no case starts, the restore still runs.
    pub fn cancel_token(&self) -> CancellationToken {
        self.transport.cancel_token()
    }

    /// Stops when `token` is cancelled: a second harness of one run (the
    /// model's throttling phase) answers the same Ctrl-C.
    pub fn set_cancel_token(&mut self, token: CancellationToken) {
        self.transport.set_cancel_token(token);
    }

    /// Whether the run was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.transport.is_cancelled()
    }

    /// The target.
    pub fn target(&self) -> &Target {
        self.transport.target()
    }

    /// Requests sent so far.
    pub fn requests(&self) -> u64 {
        self.transport.requests()
    }

    /// Every request sent so far, for the throttling check.
    pub fn log(&self) -> Vec<Sent> {
        self.transport.log()
    }

    /// Flushes the recording.
    pub fn flush_recording(&self) -> std::io::Result<()> {
        match self.transport.recorder() {
            Some(r) => r.flush(),
            None => Ok(()),
        }
    }

    /// Reads every identity's two configurations (recorded, unjudged).
    pub(crate) async fn read_state(&self, phase: Phase) -> anyhow::Result<Vec<(Resource, Value)>> {
        let target = self.target();
        let mut out = Vec::new();
        for (i, identity) in target.tenants.identities.iter().enumerate() {
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
                    .transport
                    .send(&request, phase, 0, label)
                    .await
                    .map_err(|e| anyhow::anyhow!("{}: {e}", target.base_url))?;
                self.transport.record(Exchange::unjudged(
                    phase,
                    0,
                    label.into(),
                    request.clone(),
                    r.clone(),
                    (
                        self.transport.clock(started),
                        finished.duration_since(started),
                    ),
                ));
                if r.status != 200 {
                    anyhow::bail!(
                        "{} answered {} to {} — check the token and that it owns/manages {id}",
                        target.base_url,
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
}
