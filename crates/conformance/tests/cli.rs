//! The runner as a user runs it: exit codes, the seed, the coverage table,
//! `--coverage`, `--record`, JUnit, and a failure report. Every child gets
//! only the environment the test gives it.

mod common;

use common::*;
use lupl_model::{Model, ModelRequest};
use serde_json::Value;
use std::process::Command;
use std::sync::Arc;

const PMS: &str = "4efafdc0-2783-4af6-9cac-d2b2be27a080";
const ORG: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";

fn conformance(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_conformance"))
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .expect("runs")
}

fn temp(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("conformance-{}-{name}", std::process::id()))
}

#[test]
fn passes_against_the_model_with_coverage_record_and_junit() {
    let (junit, coverage, record) = (temp("j.xml"), temp("c.json"), temp("r.ndjson"));
    let out = conformance(
        &[
            "--cases",
            "40",
            "--seed",
            "11",
            "--junit",
            junit.to_str().expect("path"),
            "--coverage",
            coverage.to_str().expect("path"),
            "--record",
            record.to_str().expect("path"),
        ],
        &[],
    );
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stderr.contains("seed 11"), "{stderr}");
    assert!(
        stdout.contains("provider.name") && stdout.contains("every clause held"),
        "{stdout}"
    );
    assert!(!stdout.contains("not exercised"), "{stdout}");
    let table: Value =
        serde_json::from_str(&std::fs::read_to_string(&coverage).expect("coverage")).expect("json");
    let clauses = table["clauses"].as_array().expect("clauses");
    assert_eq!(clauses.len(), conformance::Clause::ALL.len());
    assert!(
        clauses
            .iter()
            .all(|c| c["exercised"] == true && c["failed"] == 0)
    );
    let xml = std::fs::read_to_string(&junit).expect("junit");
    assert!(
        xml.contains("<testsuites") && xml.contains("throttle.retry-after"),
        "{xml}"
    );
    let lines = conformance::record::read(&record).expect("record");
    assert!(matches!(
        lines[0],
        conformance::record::Line::Run { seed: 11, .. }
    ));
    assert!(lines.len() > 500, "{} lines", lines.len());
    let text = std::fs::read_to_string(&record).expect("record");
    assert!(
        text.contains("\"Bearer …\"") && !text.contains("tok-acme"),
        "tokens masked"
    );
    for f in [junit, coverage, record] {
        let _ = std::fs::remove_file(f);
    }
}

#[test]
fn a_live_target_without_ids_is_a_usage_error() {
    let out = conformance(
        &["--base-url", "http://127.0.0.1:9"],
        &[("LUPL_TOKEN", "t")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--pms-id"));
}

#[test]
fn an_unreachable_target_is_a_connection_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    let out = conformance(
        &[
            "--base-url",
            &url,
            "--pms-id",
            PMS,
            "--organization-id",
            ORG,
        ],
        &[("LUPL_TOKEN", "t")],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("could not connect"), "{stderr}");
}

/// A budget that cannot hold the reads before and the restore after is a
/// usage error before anything is sent (the port has no server).
#[test]
fn a_budget_too_small_for_the_restore_is_refused() {
    let out = conformance(
        &[
            "--base-url",
            "http://127.0.0.1:9",
            "--pms-id",
            PMS,
            "--organization-id",
            ORG,
            "--max-requests",
            "5",
        ],
        &[("LUPL_TOKEN", "tok-acme")],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--max-requests 5 cannot hold"), "{stderr}");
    assert!(!stderr.contains("could not connect"), "{stderr}");
}

/// `--strict` judges `--compare-model`'s differences: alone it is a usage
/// error, not a silent no-op.
#[test]
fn strict_without_compare_model_is_refused() {
    let out = conformance(&["--strict"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--compare-model"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_production_host_is_refused_without_allow_production() {
    let out = conformance(
        &[
            "--base-url",
            "https://openapi.lupl.com",
            "--pms-id",
            PMS,
            "--organization-id",
            ORG,
        ],
        &[("LUPL_TOKEN", "t")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--allow-production"));
}

/// A target that accepts select values outside their options, run as a
/// user runs it against Stage: exit 1, the clause, its sentence, the
/// exchange as curl and the answer, every other clause still reported on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_target_is_reported_with_its_exchange() {
    let double = |m: &Model, req: &ModelRequest| {
        let r = m.handle(req);
        let select_refused = r.status == 400
            && req.method == "POST"
            && String::from_utf8_lossy(&r.body).contains("does not fit")
            && String::from_utf8_lossy(&req.body).contains("-not-an-option");
        if select_refused {
            with_json(r, 200, &serde_json::json!({}))
        } else {
            r
        }
    };
    let sandbox = serve(fixture(), Arc::new(double)).await;
    let url = sandbox.base_url().to_owned();
    let out = tokio::task::spawn_blocking(move || {
        conformance(
            &[
                "--base-url",
                &url,
                "--pms-id",
                PMS,
                "--organization-id",
                ORG,
                "--foreign-pms-id",
                "9b1c3a52-6f0e-4d7b-8a4e-2f5d1c7e9a10",
                "--foreign-organization-id",
                "c0ffee00-1234-4abc-9def-0123456789ab",
                "--seed",
                "5",
                "--max-requests",
                "700",
                "--rate-limit",
                "100000/1",
            ],
            &[("LUPL_TOKEN", "tok-acme")],
        )
    })
    .await
    .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    for expected in [
        "✗ organization.select",
        "`select` one of `options`",
        "curl -i -X POST",
        "-not-an-option",
        "expected: 400",
        "the contract was broken",
    ] {
        assert!(stdout.contains(expected), "{expected:?} missing:\n{stdout}");
    }
}
