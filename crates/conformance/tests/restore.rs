//! Live safety: configurations read before the first write are restored at
//! the end, also after failures midway.

mod common;

use common::*;
use lupl_model::{Model, ModelRequest, ModelResponse};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_restore_runs_after_a_failure_midway() {
    let mut fixture = fixture();
    // Both tenants start configured, so everything can be put back.
    let acme_config = lupl_spec::Spec::workspace()
        .schema_example("ProviderConfiguration")
        .cloned()
        .expect("acme");
    for i in 0..2 {
        fixture.providers[i].config = acme_config.clone().into();
        fixture.organizations[i].config = json!({
            "organizationId": fixture.organizations[i].organization_id,
            "pmsId": fixture.providers[i].pms_id, "fields": {"region": "eu"}})
        .into();
    }
    let before = fixture.clone();
    // The model, except that requests #300 to #304 get a 500.
    let count = AtomicU64::new(0);
    let breaks_midway = move |m: &Model, req: &ModelRequest| {
        let n = count.fetch_add(1, Ordering::SeqCst);
        if (300..305).contains(&n) {
            return ModelResponse {
                status: 500,
                headers: Vec::new(),
                body: Vec::new(),
            };
        }
        m.handle(req)
    };
    let (report, sandbox) = run_with(fixture, Arc::new(breaks_midway), quick(3), true).await;
    assert!(
        report.broke(conformance::Clause::RouteNo5xx),
        "the injected 500s went unnoticed"
    );
    for r in &report.restore {
        assert!(
            !matches!(
                r,
                conformance::outcome::RestoreOutcome::Failed(..)
                    | conformance::outcome::RestoreOutcome::CannotDelete(..)
            ),
            "{r:?}"
        );
    }
    assert!(
        report
            .restore
            .iter()
            .any(|r| matches!(r, conformance::outcome::RestoreOutcome::Restored(_))),
        "the run wrote nothing? {:?}",
        report.restore
    );
    let after = sandbox.model().snapshot();
    assert_eq!(after.providers, before.providers);
    assert_eq!(after.organizations, before.organizations);
}
