//! `cargo xtask`: the project's build tasks (see `xtask/src/lib.rs`).

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use xtask::codegen::{self, GENERATED_PATH, SPEC_PATH};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Build tasks of the Lupl toolkit")]
struct Cli {
    /// The workspace root (for tests; defaults to this checkout).
    #[arg(long, global = true, hide = true, value_name = "DIR")]
    root: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Regenerate crates/lupl-api/src/generated.rs from openapi.json.
    Codegen {
        /// Only check that the generated code is current; exit 1 if stale.
        #[arg(long)]
        check: bool,
        /// Generate from this document instead and, on success, make it the
        /// new openapi.json (a schema update).
        #[arg(long, value_name = "FILE", conflicts_with = "check")]
        spec: Option<PathBuf>,
    },
    /// Regenerate the Postman collection and environments (postman/) from
    /// openapi.json.
    Postman {
        /// Only check that they are current; exit 1 if stale.
        #[arg(long)]
        check: bool,
    },
    /// Run benchmarks in release mode, each beside its baseline.
    Bench {
        /// Which benchmark (`lupl-bench --help` lists them).
        #[arg(default_value = "sandbox")]
        name: String,
        /// Also record the result in BENCHMARKS.md (date, machine, command).
        #[arg(long)]
        save: bool,
        /// Arguments passed to the benchmark.
        #[arg(last = true)]
        args: Vec<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut cli_bench = None;
    let result = match cli.command {
        Command::Bench { name, save, args } => {
            let root = cli.root.unwrap_or_else(xtask::workspace_root);
            cli_bench = Some((root, name, save, args));
            Ok(ExitCode::SUCCESS)
        }
        Command::Codegen { check, spec } => {
            let root = cli.root.unwrap_or_else(xtask::workspace_root);
            run_codegen(&root, check, spec)
        }
        Command::Postman { check } => {
            let root = cli.root.unwrap_or_else(xtask::workspace_root);
            run_postman(&root, check)
        }
    };
    let result = match result {
        Ok(ExitCode::SUCCESS) => match cli_bench {
            Some((root, name, save, args)) => xtask::bench::run(&root, &name, save, &args),
            None => Ok(ExitCode::SUCCESS),
        },
        other => other,
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run_postman(root: &std::path::Path, check: bool) -> anyhow::Result<ExitCode> {
    let spec = std::fs::read_to_string(root.join(SPEC_PATH))
        .map_err(|e| anyhow::anyhow!("cannot read {SPEC_PATH}: {e}"))?;
    let files = xtask::postman::files(&spec).map_err(|e| anyhow::anyhow!(e))?;
    let mut stale = Vec::new();
    for (path, text) in files {
        let at = root.join(path);
        if std::fs::read_to_string(&at).unwrap_or_default() == text {
            continue;
        }
        if check {
            stale.push(path);
        } else {
            if let Some(dir) = at.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&at, text)?;
            println!("wrote {path}");
        }
    }
    if !stale.is_empty() {
        eprintln!(
            "stale: {}; run `cargo xtask postman` and commit the result",
            stale.join(", ")
        );
        return Ok(ExitCode::from(1));
    }
    if check {
        println!("the Postman collection and environments are up to date with {SPEC_PATH}");
    }
    Ok(ExitCode::SUCCESS)
}

fn run_codegen(
    root: &std::path::Path,
    check: bool,
    spec: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let spec_path = spec.clone().unwrap_or_else(|| root.join(SPEC_PATH));
    let text = std::fs::read_to_string(&spec_path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", spec_path.display()))?;
    let generated = match codegen::generate(&text, SPEC_PATH) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("error: {}: {e}", spec_path.display());
            return Ok(ExitCode::from(1));
        }
    };
    let out = root.join(GENERATED_PATH);
    let current = std::fs::read_to_string(&out).unwrap_or_default();
    if check {
        if current == generated {
            println!("{GENERATED_PATH} is up to date with {SPEC_PATH}");
            return Ok(ExitCode::SUCCESS);
        }
        eprintln!(
            "{GENERATED_PATH} is stale: run `cargo xtask codegen` and commit the result.\n{}",
            codegen::diff_summary(&current, &generated)
        );
        return Ok(ExitCode::from(1));
    }
    if spec.is_some() {
        std::fs::write(root.join(SPEC_PATH), &text)?;
        println!("replaced {SPEC_PATH} with {}", spec_path.display());
    }
    if current == generated {
        println!("{GENERATED_PATH} unchanged");
    } else {
        std::fs::write(&out, generated)?;
        println!("wrote {GENERATED_PATH}");
    }
    Ok(ExitCode::SUCCESS)
}
