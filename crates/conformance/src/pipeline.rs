//! The one exchange pipeline: an answer (or its absence) judged against a
//! planned step's prediction, the model's answer to the same request
//! judged and compared with it (`--compare-model`), and the exchange
//! recorded. The live run, the throttling phase and a replay all judge
//! through [`Pipeline::judge`]; the first two send through
//! [`Pipeline::exchange`].

use crate::mirror::Mirror;
use crate::record::{Exchange, Origin};
use crate::transport::{Transport, Unsent};
use conformance_core::cases::{Op, Step};
use conformance_core::checks::{self, Check, Finding, Schemas};
use conformance_core::clauses::{Clause, Polarity};
use conformance_core::compare::{self, ModelAnswer};
use conformance_core::oracle::{Expected, Planned};
use conformance_core::wire::Received;
use std::time::Instant;

/// Judges answers, with the model beside the target when one mirrors it.
#[derive(Default)]
pub struct Pipeline {
    schemas: Schemas,
    mirror: Option<Mirror>,
}

impl Pipeline {
    /// Judges without a model (a replay, or a run without
    /// `--compare-model`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sends every judged request also to `mirror`.
    pub fn set_mirror(&mut self, mirror: Mirror) {
        self.mirror = Some(mirror);
    }

    /// The findings on `response` for a request of `op` predicted as
    /// `expected`; no answer at all breaks `route.no-5xx`.
    pub fn judge(
        &self,
        op: Op,
        expected: &Expected,
        response: &Result<Received, String>,
    ) -> Vec<Finding> {
        match response {
            Ok(r) => self.judge_answer(op, expected, r),
            Err(e) => vec![Finding::broke(
                Clause::RouteNo5xx,
                Check::No5xx,
                Polarity::Positive,
                format!("no answer: {e}"),
            )],
        }
    }

    /// The findings on an answer.
    pub fn judge_answer(&self, op: Op, expected: &Expected, answer: &Received) -> Vec<Finding> {
        checks::judge(op, expected, answer, &self.schemas)
    }

    /// The model's answer `model` judged by the same prediction and
    /// compared with the target's (`target`, judged `target_findings`).
    pub fn model_answer(
        &self,
        op: Op,
        expected: &Expected,
        target: &Received,
        target_findings: &[Finding],
        model: Received,
    ) -> ModelAnswer {
        let findings = self.judge_answer(op, expected, &model);
        let aspects = compare::compare(op, target, &model, target_findings, &findings);
        ModelAnswer {
            response: model,
            findings,
            aspects,
        }
    }

    /// Sends a planned request through `transport`, judges the answer,
    /// asks the mirror (if any) the same at the same instant, and records
    /// the exchange; `None` when the budget kept it from leaving.
    pub async fn exchange(
        &self,
        transport: &Transport,
        planned: &Planned,
        step: Option<&Step>,
        op: Op,
        origin: Origin<'_>,
    ) -> Option<Exchange> {
        let Origin { phase, case, label } = origin;
        // What the mirror held before a write, to undo one only it accepts
        // (a read needs none: no copy per read).
        let before = self
            .mirror
            .as_ref()
            .zip(planned.resource)
            .filter(|_| op.is_post())
            .and_then(|(m, r)| m.stored(r));
        let result = transport.send(&planned.request, phase, case, label).await;
        let (response, at, millis, sent_at) = match result {
            Ok((r, (s, f))) => (
                Ok(r),
                transport.clock(s),
                f.duration_since(s).as_secs_f64() * 1e3,
                Some(s),
            ),
            Err(Unsent::OverBudget) => return None,
            Err(Unsent::NoAnswer(e)) => (Err(e), transport.clock(Instant::now()), 0.0, None),
        };
        let findings = self.judge(op, &planned.expected, &response);
        let model = match (&self.mirror, &response, sent_at) {
            (Some(mirror), Ok(target), Some(at)) => {
                if let Some(resource) = planned.resource {
                    mirror.catch_up(op, resource, target);
                }
                let answer = mirror.answer(&planned.request, at);
                let model = self.model_answer(op, &planned.expected, target, &findings, answer);
                if let (false, Some(resource)) = (model.aspects.is_empty(), planned.resource) {
                    mirror.follow(op, resource, &planned.request, target, before);
                }
                Some(model)
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
        transport.record(exchange.clone());
        Some(exchange)
    }
}
