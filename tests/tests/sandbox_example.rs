//! The README's "In Rust tests" program (between the `README:begin` and
//! `README:end` lines), run as a test: an authenticated call to the
//! in-process sandbox, a fault, and the journal — written as a vendor's
//! test would be, with `lupl` and `lupl-model` as its only crates.

// README:begin
#[tokio::test]
async fn a_503_then_an_answer() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = lupl_model::Sandbox::start().await?; // built-in fixture, free port
    let client = sandbox.client_for("dev@acme.example")?; // a lupl::Client with that user's token
    let pms_id = lupl::uuid::uuid!("4efafdc0-2783-4af6-9cac-d2b2be27a080");
    // The next request meets a 503 from the gateway; the one after is answered.
    sandbox.inject(lupl_model::Fault {
        status: Some(503),
        times: Some(1),
        ..Default::default()
    })?;
    let failed = client.get_provider_config().pms_id(pms_id).send().await;
    assert!(matches!(failed, Err(lupl::Error::UnexpectedStatus { status, .. }) if status == 503));
    let stored = client.get_provider_config().pms_id(pms_id).send().await?;
    assert!(stored.is_none()); // the built-in fixture has no configuration for ACME yet
    let statuses: Vec<_> = sandbox.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [Some(503), Some(200)]);
    Ok(())
}
// README:end
