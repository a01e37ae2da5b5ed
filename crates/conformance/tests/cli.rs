//! The runner as a user runs it: exit codes, the seed, the summary, JUnit.

use std::process::Command;

fn conformance(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_conformance"))
        .args(args)
        .env_remove("LUPL_BASE_URL")
        .env_remove("LUPL_TOKEN")
        .output()
        .expect("runs")
}

#[test]
fn passes_against_the_model_prints_the_seed_and_a_summary_and_writes_junit() {
    let junit = std::env::temp_dir().join(format!("conformance-{}.xml", std::process::id()));
    let out = conformance(&[
        "--cases",
        "60",
        "--seed",
        "11",
        "--junit",
        junit.to_str().expect("path"),
    ]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stderr.contains("seed 11"), "{stderr}");
    assert!(
        stdout.contains("getProviderConfig") && stdout.contains("every contract held"),
        "{stdout}"
    );
    let xml = std::fs::read_to_string(&junit).expect("junit written");
    assert!(
        xml.contains("<testsuites") && xml.contains("setOrganizationConfig"),
        "{xml}"
    );
    let _ = std::fs::remove_file(junit);
}

#[test]
fn a_live_target_without_ids_is_a_usage_error() {
    let out = conformance(&["--base-url", "http://127.0.0.1:9", "--token", "t"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--pms-id"));
}

#[test]
fn an_unreachable_target_is_a_connection_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    let out = conformance(&[
        "--base-url",
        &url,
        "--token",
        "t",
        "--pms-id",
        "4efafdc0-2783-4af6-9cac-d2b2be27a080",
        "--organization-id",
        "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_production_host_is_refused_without_allow_production() {
    let out = conformance(&[
        "--base-url",
        "https://openapi.lupl.com",
        "--token",
        "t",
        "--pms-id",
        "4efafdc0-2783-4af6-9cac-d2b2be27a080",
        "--organization-id",
        "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--allow-production"));
}
