//! Putting a live target back: the configurations read at the start are
//! written again at the end (or shown as JSON when a user stops the run
//! before that). Only what happened is reported: "restored" only after a
//! 200.

use crate::harness::Harness;
use crate::outcome::{Report, RestoreOutcome};
use crate::record::{Exchange, Phase};
use conformance_core::cases::Op;
use conformance_core::oracle::Resource;
use conformance_core::wire::RawRequest;

impl Harness {
    /// [`Harness::restore`], with what it did and the requests it sent
    /// added to `report` (its count is of everything the run sent).
    pub async fn restore_into(&self, report: &mut Report) {
        let before = self.requests();
        report.restore = self.restore().await;
        report.requests += self.requests() - before;
    }

    /// What a live run read at its start and would put back, as JSON, for
    /// a user who stops the run before it restores (`null`s left out: the
    /// API cannot store one).
    pub fn saved_json(&self) -> Vec<(Op, String)> {
        if self.target().is_model {
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
        if self.target().is_model {
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
                    serde_json::json!({"pmsId": self.target().tenants.identities[*i].pms_id, "config": saved}),
                ),
                Resource::Organization(i) => (*i, saved.clone()),
            };
            let request = RawRequest::post(op, &body, &self.target().tenants.identities[i].token);
            let sent = self
                .transport
                .send(&request, Phase::Restore, 0, "restore")
                .await;
            if let Ok((r, (started, finished))) = &sent {
                self.transport.record(Exchange::unjudged(
                    Phase::Restore,
                    0,
                    "restore".into(),
                    request.clone(),
                    r.clone(),
                    (
                        self.transport.clock(*started),
                        finished.duration_since(*started),
                    ),
                ));
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
                Err(e) => RestoreOutcome::Failed(op, e.to_string(), saved.to_string()),
            });
        }
        outcomes
    }
}

fn write_op(r: Resource) -> Op {
    match r {
        Resource::Provider(_) => Op::SetProvider,
        Resource::Organization(_) => Op::SetOrganization,
    }
}
