//! `lupl-bench build`: what depending on `lupl` costs a user. Two fresh
//! cargo projects, built cold one after the other in the same run: the
//! consumer (the README's first program, `lupl` by path and tokio) and a
//! bare project with only what the API needs (reqwest with JSON and rustls,
//! tokio, serde_json, uuid). Dependencies are fetched before the clock
//! starts, so both times are compile times; each round builds both again
//! into empty target directories, and the best round of each is reported.

use anyhow::{Context, bail};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The bare project's dependencies: what the API needs and nothing else.
const BARE_DEPENDENCIES: &str = r#"reqwest = { version = "0.13", default-features = false, features = ["rustls", "json", "query", "http2"] }
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
serde_json = "1"
uuid = { version = "1", features = ["serde", "v4"] }
"#;

/// A program that touches each of the bare project's dependencies.
const BARE_MAIN: &str = r#"#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = reqwest::Client::builder().https_only(true).build()?;
    let id = uuid::Uuid::new_v4();
    let body = serde_json::json!({ "pmsId": id });
    let request = client.post("https://stage.api.lupl.com/api/1.0/pms/providerconfig").json(&body).build()?;
    println!("{}", request.url());
    Ok(())
}
"#;

struct Project {
    name: &'static str,
    dir: PathBuf,
}

struct Build {
    time: Duration,
    crates: usize,
}

/// Builds both projects `rounds` times and prints the table.
pub fn run(rounds: u32) -> anyhow::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("the bench crate has a parent directory")?
        .to_path_buf();
    let work = std::env::temp_dir().join(format!("lupl-bench-build-{}", std::process::id()));
    let result = measure(&root, &work, rounds.max(1));
    let _ = std::fs::remove_dir_all(&work);
    result
}

fn measure(root: &Path, work: &Path, rounds: u32) -> anyhow::Result<()> {
    let consumer = consumer(root, work)?;
    let bare = project(work, "bare", BARE_DEPENDENCIES, BARE_MAIN)?;
    let lock = std::fs::read(root.join("Cargo.lock"))?;
    for p in [&bare, &consumer] {
        // The workspace's versions, so both projects build the same reqwest.
        std::fs::write(p.dir.join("Cargo.lock"), &lock)?;
        cargo(&p.dir, &["fetch", "--quiet"], None)?;
    }
    let mut best: [Option<Build>; 2] = [None, None];
    for round in 0..rounds {
        for (i, p) in [&bare, &consumer].into_iter().enumerate() {
            let target = work.join(format!("target-{}-{round}", p.name));
            let build = cold_build(p, &target)?;
            eprintln!(
                "round {}: {} {:.1} s, {} crates",
                round + 1,
                p.name,
                build.time.as_secs_f64(),
                build.crates
            );
            let _ = std::fs::remove_dir_all(&target);
            if best[i].as_ref().is_none_or(|b| build.time < b.time) {
                best[i] = Some(build);
            }
        }
    }
    let [Some(bare_best), Some(consumer_best)] = best else {
        bail!("no round ran");
    };
    println!(
        "Cold debug builds (`cargo build`, dependencies fetched beforehand), best of {rounds}:\n"
    );
    println!("| project | crates compiled | cold build | ÷ bare |");
    println!("|---|---:|---:|---:|");
    for (name, b) in [
        (
            "bare: reqwest (rustls, json) + tokio + serde_json + uuid",
            &bare_best,
        ),
        (
            "consumer: `lupl` + tokio, the README's first program",
            &consumer_best,
        ),
    ] {
        println!(
            "| {name} | {} | {:.1} s | {:.2}× |",
            b.crates,
            b.time.as_secs_f64(),
            b.time.as_secs_f64() / bare_best.time.as_secs_f64()
        );
    }
    Ok(())
}

/// The consumer: a `cargo new` project whose main is the README's first
/// program, cut from the example the README shows.
fn consumer(root: &Path, work: &Path) -> anyhow::Result<Project> {
    let example = std::fs::read_to_string(root.join("crates/lupl/examples/read_modify_write.rs"))?;
    let program = example
        .split_once("// README:begin\n")
        .and_then(|(_, rest)| rest.split_once("// README:end"))
        .map(|(program, _)| program.to_owned())
        .context("read_modify_write.rs has README:begin and README:end markers")?;
    let lupl = root.join("crates/lupl");
    let dependencies = format!(
        "lupl = {{ path = {:?} }}\ntokio = {{ version = \"1\", features = [\"macros\", \"rt-multi-thread\"] }}\n",
        lupl.display().to_string()
    );
    project(work, "consumer", &dependencies, &program)
}

fn project(
    work: &Path,
    name: &'static str,
    dependencies: &str,
    main: &str,
) -> anyhow::Result<Project> {
    let dir = work.join(name);
    std::fs::create_dir_all(dir.join("src"))?;
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[workspace]\n\n[dependencies]\n{dependencies}"
        ),
    )?;
    std::fs::write(dir.join("src/main.rs"), main)?;
    Ok(Project { name, dir })
}

/// One `cargo build` into an empty target directory: its wall time and
/// how many crates it compiled (the packages of its compiler artifacts).
fn cold_build(p: &Project, target: &Path) -> anyhow::Result<Build> {
    let start = Instant::now();
    let out = cargo(
        &p.dir,
        &["build", "--offline", "--message-format=json"],
        Some(target),
    )?;
    let time = start.elapsed();
    let mut packages = BTreeSet::new();
    for line in out.lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if message["reason"] == "compiler-artifact"
            && let Some(id) = message["package_id"].as_str()
        {
            packages.insert(id.to_owned());
        }
    }
    Ok(Build {
        time,
        crates: packages.len(),
    })
}

fn cargo(dir: &Path, args: &[&str], target: Option<&Path>) -> anyhow::Result<String> {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command
        .current_dir(dir)
        .args(args)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .stderr(Stdio::piped());
    if let Some(target) = target {
        command.env("CARGO_TARGET_DIR", target);
    } else {
        command.env_remove("CARGO_TARGET_DIR");
    }
    let output = command.output()?;
    if !output.status.success() {
        bail!(
            "cargo {} failed in {}:\n{}",
            args.join(" "),
            dir.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
