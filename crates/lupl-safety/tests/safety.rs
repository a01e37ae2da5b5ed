//! The mechanisms as a binary uses them.

use lupl_safety::paths::{Clash, Files};
use lupl_safety::{secrets, text};

#[test]
fn an_output_through_a_symlink_to_an_input_is_refused_and_nothing_changes() {
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[profile.x]\n").expect("write");
    let link = dir.path().join("results.csv");
    std::os::unix::fs::symlink(&config, &link).expect("link");
    let clash = Files::default()
        .input("--config", Some(&config))
        .output("--results", Some(&link))
        .check();
    assert!(
        matches!(&clash, Err(Clash::OutputIsInput { output, input, .. }) if output == "--results" && input == "--config"),
        "{clash:?}"
    );
    assert_eq!(
        std::fs::read_to_string(&config).expect("read"),
        "[profile.x]\n"
    );
}

#[test]
fn distinct_files_pass_and_the_check_creates_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("junit.xml");
    let files = Files::default()
        .input("--baseline", Some(&dir.path().join("baseline.json")))
        .output("--junit", Some(&out))
        .output("--coverage", Some(&dir.path().join("coverage.json")));
    assert_eq!(files.check(), Ok(()));
    assert!(!out.exists(), "the check created {}", out.display());
}

#[test]
fn a_device_is_not_an_output() {
    let clash = Files::default()
        .output("--record", Some("/dev/full".as_ref()))
        .check();
    assert!(matches!(clash, Err(Clash::NotAFile { .. })), "{clash:?}");
}

#[test]
fn an_echoed_token_is_scrubbed_in_every_form() {
    let token = "tok-9f8e7d6c5b4a39281706";
    secrets::register(token);
    let echoed = format!(
        "authorization: Bearer {token}\n{{\"error\":\"bad token {token}\"}} q=access_token%3D{token}"
    );
    let scrubbed = secrets::scrub(&echoed);
    assert!(!scrubbed.contains(token), "{scrubbed}");
    assert!(scrubbed.contains("Bearer tok-…"), "{scrubbed}");
    let body = format!("\u{0}{token}\u{ff}").into_bytes();
    let bytes = secrets::scrub_bytes(&body);
    assert!(!bytes.windows(token.len()).any(|w| w == token.as_bytes()));
}

#[test]
fn a_short_token_is_never_shown() {
    secrets::register("ab1cd2");
    assert_eq!(secrets::scrub("Bearer ab1cd2"), "Bearer …");
    assert_eq!(secrets::mask_authorization("Bearer ab1"), "Bearer …");
}

#[test]
fn text_escapes_bidi_controls_and_c1() {
    let shown = text::printable("name\u{202e}gpj.exe \u{9b}31m", false);
    assert!(!shown.chars().any(text::is_unsafe), "{shown}");
    assert!(shown.contains("\\u{202e}"));
}

#[cfg(feature = "signals")]
#[tokio::test(flavor = "current_thread")]
async fn sigterm_is_an_interrupt_like_sigint() {
    let mut interrupts = lupl_safety::signals::Interrupts::install().expect("install");
    let me = nix::unistd::Pid::from_raw(i32::try_from(std::process::id()).expect("pid"));
    nix::sys::signal::kill(me, nix::sys::signal::Signal::SIGTERM).expect("kill");
    assert_eq!(interrupts.recv().await, Some(()));
    nix::sys::signal::kill(me, nix::sys::signal::Signal::SIGINT).expect("kill");
    assert_eq!(interrupts.recv().await, Some(()));
}

#[test]
fn a_secret_is_scrubbed_in_json_slash_and_lowercase_percent_forms() {
    let secret = "cs-VERY/secret+client=value-0123456789";
    secrets::register(secret);
    for form in [
        r"cs-VERY\/secret+client=value-0123456789".to_owned(),
        "cs-VERY%2fsecret%2bclient%3dvalue-0123456789".to_owned(),
        "cs-VERY%2Fsecret%2Bclient%3Dvalue-0123456789".to_owned(),
    ] {
        let text = format!("echo: {form}");
        let shown = secrets::scrub(&text);
        assert!(!shown.contains("secret"), "{form} -> {shown}");
    }
}

#[test]
fn an_input_that_is_a_device_or_a_pipe_is_refused() {
    let clash = Files::default()
        .input("--token-file", Some("/dev/zero".as_ref()))
        .check();
    assert!(
        matches!(clash, Err(Clash::InputNotAFile { .. })),
        "{clash:?}"
    );
}

#[test]
fn a_replacement_follows_no_planted_link_and_leaves_nothing_on_drop() {
    let dir = tempfile::tempdir().expect("dir");
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "precious").expect("write");
    // The old fixed name a writer used to go through.
    std::os::unix::fs::symlink(&victim, dir.path().join("res.partial")).expect("link");
    lupl_safety::paths::replace(&dir.path().join("res.csv"), b"a,b\n").expect("written");
    assert_eq!(std::fs::read_to_string(&victim).expect("read"), "precious");
    let pending = lupl_safety::paths::Replacement::new(&dir.path().join("other")).expect("new");
    drop(pending);
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
}
