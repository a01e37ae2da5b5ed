//! Every `lupl` command that talks to the API or Auth0 answers SIGTERM as
//! Ctrl-C: exit 130 with a word on what may have happened, never a silent
//! 143. The commands come from clap's own tree, so the next one cannot
//! skip this: it is either in [`OFFLINE`] or run here.
//!
//! Each run is sent to a loopback listener that accepts and never answers:
//! the accepted connection is the moment `lupl` is waiting on the network,
//! so the signal needs no sleep to land there.
#![cfg(unix)]

mod common;

use common::{ORG, PMS, command, file};
use std::io::BufRead;
use std::net::TcpListener;
use std::path::Path;

/// The commands that send nothing.
const OFFLINE: [&str; 5] = [
    "completions",
    "org validate",
    "provider validate",
    "sandbox",
    "schema",
];

/// Every leaf command of `lupl`, as `group sub`.
fn leaves(cmd: &clap::Command, prefix: &str, out: &mut Vec<String>) {
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("{prefix}{}", sub.get_name());
        if sub.has_subcommands() {
            leaves(sub, &format!("{name} "), out);
        } else {
            out.push(name);
        }
    }
}

/// The arguments that make `leaf` send its first request.
fn args_for(leaf: &str, dir: &Path) -> Vec<String> {
    let acme = file("interrupts-acme.json", &common::acme().to_string());
    let rows = file(
        "interrupts-rows.csv",
        &format!("organizationId,region\n{ORG},eu\n"),
    );
    let ids = file("interrupts-ids.txt", &format!("{ORG}\n"));
    // A CSV export: it reads the provider's fields before any row.
    let out = dir.join(format!("interrupts-{}.csv", std::process::id()));
    let _ = std::fs::remove_file(&out);
    match leaf {
        "api" => vec![
            "api".into(),
            "GET".into(),
            format!("/api/1.0/pms/providerconfig?pmsId={PMS}"),
        ],
        "token" => vec!["token".into()],
        "provider get" => vec![
            "provider".into(),
            "get".into(),
            "--pms-id".into(),
            PMS.into(),
        ],
        "provider set" => vec![
            "provider".into(),
            "set".into(),
            "--pms-id".into(),
            PMS.into(),
            "--file".into(),
            acme.display().to_string(),
        ],
        "org get" => vec![
            "org".into(),
            "get".into(),
            "--organization-id".into(),
            ORG.into(),
        ],
        "org set" => vec![
            "org".into(),
            "set".into(),
            "--organization-id".into(),
            ORG.into(),
            "--pms-id".into(),
            PMS.into(),
            "--field".into(),
            "region=eu".into(),
        ],
        "org set-many" => vec![
            "org".into(),
            "set-many".into(),
            "--file".into(),
            rows.display().to_string(),
            "--pms-id".into(),
            PMS.into(),
        ],
        "org export" => vec![
            "org".into(),
            "export".into(),
            "--ids".into(),
            ids.display().to_string(),
            "--out".into(),
            out.display().to_string(),
            "--pms-id".into(),
            PMS.into(),
        ],
        other => panic!("`lupl {other}` is new: add it to OFFLINE or give it arguments here"),
    }
}

#[test]
fn every_command_that_sends_stops_on_sigterm_with_130() {
    let mut all = Vec::new();
    leaves(
        &<lupl_cli::cli::Cli as clap::CommandFactory>::command(),
        "",
        &mut all,
    );
    let sending: Vec<&String> = all
        .iter()
        .filter(|l| !OFFLINE.contains(&l.as_str()))
        .collect();
    assert!(sending.len() >= 8, "the tree lost commands: {all:?}");
    let dir = std::env::temp_dir();
    for leaf in sending {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let args = args_for(leaf, &dir);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut cmd = if leaf == "token" {
            // A token from Auth0 (here the silent listener), not a static one.
            let mut cmd = command(Some(&url), None, &args);
            cmd.env("LUPL_CLIENT_ID", "acme-client")
                .env("LUPL_CLIENT_SECRET", "acme-secret")
                .env("LUPL_TOKEN_URL", format!("{url}/oauth/token"))
                .env("LUPL_AUDIENCE", "https://lupl-sandbox.local/api");
            cmd
        } else {
            command(Some(&url), Some("tok-acme"), &args)
        };
        let mut child = cmd
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("lupl runs");
        // Held open and never answered until lupl has gone.
        let (_connection, _) = listener.accept().expect("lupl connects");
        let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid"));
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("signal");
        // It says so at once. A bulk command then waits for what is in
        // flight (here, never answered): a second signal quits.
        let mut said = String::new();
        let stderr = std::io::BufReader::new(child.stderr.take().expect("stderr"));
        for line in stderr.lines() {
            let line = line.expect("a line");
            said.push_str(&line);
            said.push('\n');
            if line.contains("interrupted") {
                let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
            }
        }
        let status = child.wait().expect("lupl exits");
        assert_eq!(status.code(), Some(130), "lupl {leaf}: {said}");
        assert!(said.contains("interrupted"), "lupl {leaf}: {said}");
    }
}
