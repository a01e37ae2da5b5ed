//! The sandbox as a program: state file, fixture, listener, banner.

use crate::{Fixture, Model, SandboxInfo, StateFile, http_server};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

/// Runs the sandbox until Ctrl-C: `--listen`, `--fixture`, `--state` and
/// `--organizations` of `lupl-sandbox` (and `lupl sandbox`). Prints the base
/// URL, tokens and ids. `extra_organizations` more organizations are given
/// to the first user of a fresh fixture (not of a saved state).
pub async fn run_sandbox(
    listen: &str,
    fixture: Option<&Path>,
    state: Option<&Path>,
    extra_organizations: usize,
) -> Result<(), String> {
    let state = state.map(StateFile::new);
    let saved = match &state {
        Some(s) => s.load().map_err(|e| e.to_string())?,
        None => None,
    };
    let fixture = match (saved, fixture) {
        (Some(saved), _) => saved,
        (None, source) => {
            let mut fixture = match source {
                Some(path) => Fixture::load(path).map_err(|e| e.to_string())?,
                None => Fixture::builtin(),
            };
            if let Some(token) = fixture.users.first().map(|u| u.token.clone()) {
                fixture.add_organizations(&token, extra_organizations);
            }
            fixture
        }
    };
    let mut model = Model::new(fixture.clone());
    if let Some(state) = state.clone() {
        state.save(&fixture).map_err(|e| e.to_string())?;
        model = model.on_write(Box::new(move |f| state.save(f).map_err(|e| e.to_string())));
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let address = listener
        .local_addr()
        .map_err(|e| format!("cannot read the listening address: {e}"))?;
    let info = SandboxInfo::new(format!("http://{address}"), &fixture);
    tokio::spawn(http_server::serve(
        listener,
        http_server::sandbox_handler(Arc::new(model)),
    ));
    let mut banner = info.describe();
    if let Some(state) = &state {
        banner.push_str(&format!("  state file: {}\n", state.path().display()));
    }
    banner.push_str("Press Ctrl-C to stop.\n");
    // Whoever started us may stop reading stdout (a test, `| head`); that is
    // no reason to stop serving, so write errors are ignored.
    let mut stdout = std::io::stdout();
    let _ = stdout
        .write_all(banner.as_bytes())
        .and_then(|()| stdout.flush());
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| format!("cannot wait for Ctrl-C: {e}"))?;
    Ok(())
}
