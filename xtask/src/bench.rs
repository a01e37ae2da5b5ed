//! `cargo xtask bench NAME [--save] [-- ARGS]`: builds the benchmark binaries
//! in release mode, runs `lupl-bench NAME`, prints its table, and with
//! `--save` records it in BENCHMARKS.md under `## NAME` with the date, the
//! machine and the command.

use std::path::Path;
use std::process::{Command, ExitCode};

/// Builds and runs one benchmark.
pub fn run(root: &Path, name: &str, save: bool, args: &[String]) -> anyhow::Result<ExitCode> {
    let status = Command::new(env!("CARGO"))
        .current_dir(root)
        .args([
            "build",
            "--release",
            "--quiet",
            "-p",
            "lupl-bench",
            "-p",
            "lupl-model",
            "-p",
            "lupl-cli",
        ])
        .status()?;
    if !status.success() {
        return Ok(ExitCode::from(2));
    }
    let bin = root.join("target/release/lupl-bench");
    let command = format!(
        "cargo xtask bench {name}{}",
        if args.is_empty() {
            String::new()
        } else {
            format!(" -- {}", args.join(" "))
        }
    );
    println!("$ {command}");
    let output = Command::new(&bin).arg(name).args(args).output()?;
    let table = String::from_utf8_lossy(&output.stdout).into_owned();
    print!("{table}");
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    if !output.status.success() {
        return Ok(ExitCode::from(1));
    }
    if save {
        let path = root.join("BENCHMARKS.md");
        let old = std::fs::read_to_string(&path).unwrap_or_default();
        let section = format!(
            "## {name}\n\nMeasured {} on {}.\n\n```sh\n{command}\n```\n\n{table}\n",
            today(),
            machine()
        );
        std::fs::write(&path, replace_section(&old, name, &section))?;
        println!("recorded in BENCHMARKS.md");
    }
    Ok(ExitCode::SUCCESS)
}

/// Replaces the `## name` section (up to the next `## `), or appends it.
pub fn replace_section(doc: &str, name: &str, section: &str) -> String {
    let header = format!("## {name}\n");
    let doc = if doc.is_empty() {
        "# Benchmarks\n\nThe latest run of each `cargo xtask bench` benchmark. Every number stands beside a baseline measured in the same run on the same machine; compare ratios, not absolute numbers, across machines.\n\n".to_owned()
    } else {
        doc.to_owned()
    };
    match doc.find(&header) {
        Some(start) => {
            let rest = &doc[start + header.len()..];
            let end = rest
                .find("\n## ")
                .map_or(doc.len(), |i| start + header.len() + i + 1);
            format!("{}{}{}", &doc[..start], section, &doc[end..])
        }
        None => format!("{doc}{section}"),
    }
}

fn today() -> String {
    Command::new("date")
        .arg("+%Y-%m-%d")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())
            })
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or_else(String::new, |kib| format!(", {} GiB", kib / 1024 / 1024));
    format!("{cpus} cores ({model}){mem}")
}
