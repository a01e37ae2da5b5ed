//! `cargo run -p conformance -- [options]`: check that a target honours the
//! Lupl Open API contract. Exit 0 when every contract holds, 1 when one is
//! broken, 2 on a usage or connection error.

use clap::Parser;
use conformance::{Harness, Identity, Options, Target, report, throttling};
use lupl_auth::{ClientBuilder, RateLimit, Settings};
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use uuid::Uuid;

/// Check the Lupl Open API contract (CONTRACT.md) against the built-in model
/// or a live target.
#[derive(Parser, Debug)]
#[command(
    name = "conformance",
    after_help = "Examples:\n  cargo run -p conformance\n  cargo run -p conformance -- --cases 2000 --seed 7 --junit report.xml\n  LUPL_TOKEN=tok-acme cargo run -p conformance -- --base-url http://127.0.0.1:8080 \\\n      --pms-id 4efafdc0-2783-4af6-9cac-d2b2be27a080 --organization-id 3fa85f64-5717-4562-b3fc-2c963f66afa6"
)]
struct Args {
    /// Sequences of requests to generate.
    #[arg(long, default_value_t = 256)]
    cases: u32,
    /// Seed (printed on every run; pass it again to replay).
    #[arg(long)]
    seed: Option<u64>,
    /// Write a JUnit XML report here.
    #[arg(long, value_name = "FILE")]
    junit: Option<std::path::PathBuf>,
    /// A live target instead of the built-in model.
    #[arg(long, env = "LUPL_BASE_URL")]
    base_url: Option<String>,
    /// A bearer token (else client credentials from the LUPL_* variables).
    #[arg(long, env = "LUPL_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// The provider the token owns.
    #[arg(long, env = "LUPL_PMS_ID")]
    pms_id: Option<Uuid>,
    /// The organization the token manages.
    #[arg(long, env = "LUPL_ORGANIZATION_ID")]
    organization_id: Option<Uuid>,
    /// A provider that belongs to someone else (cross-tenant checks).
    #[arg(long)]
    foreign_pms_id: Option<Uuid>,
    /// An organization the token does not manage (cross-tenant checks).
    #[arg(long)]
    foreign_organization_id: Option<Uuid>,
    /// The client-side limit, CALLS/SECONDS.
    #[arg(long, default_value = "1000/60", value_parser = RateLimit::parse)]
    rate_limit: RateLimit,
    /// Drive one token past its quota and check 429, Retry-After and recovery.
    #[arg(long)]
    check_throttling: bool,
    /// Allow a Production target.
    #[arg(long)]
    allow_production: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("conformance: {e}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(run(args))
}

fn looks_like_production(url: &str) -> bool {
    let host = url
        .split("://")
        .nth(1)
        .unwrap_or(url)
        .split(['/', ':'])
        .next()
        .unwrap_or("");
    (host == "lupl.com" || host.ends_with(".lupl.com")) && !host.contains("stage")
}

async fn target(args: &Args) -> Result<Target, String> {
    let Some(base_url) = &args.base_url else {
        return Target::model().await.map_err(|e| e.to_string());
    };
    let production = std::env::var("LUPL_ENV").is_ok_and(|e| e.eq_ignore_ascii_case("production"))
        || looks_like_production(base_url);
    if production && !args.allow_production {
        return Err(format!(
            "{base_url} looks like Production; pass --allow-production to write there"
        ));
    }
    let (Some(pms_id), Some(organization_id)) = (args.pms_id, args.organization_id) else {
        return Err("a live target needs --pms-id and --organization-id (or LUPL_PMS_ID, LUPL_ORGANIZATION_ID)".into());
    };
    let token = match &args.token {
        Some(t) => t.clone(),
        None => {
            let settings = Settings::from_env().map_err(|e| e.to_string())?;
            let built = ClientBuilder::from_settings(settings)
                .build_parts()
                .map_err(|e| e.to_string())?;
            let token = built.tokens.token().await.map_err(|e| e.to_string())?;
            lupl_auth::ExposeSecret::expose_secret(token.secret()).to_owned()
        }
    };
    Target::live(
        base_url,
        Identity {
            token,
            pms_id,
            organization_id,
        },
        args.foreign_pms_id,
        args.foreign_organization_id,
        args.rate_limit,
    )
    .map_err(|e| e.to_string())
}

async fn throttle_model() -> anyhow::Result<Harness> {
    let mut fixture = lupl_model::Fixture::builtin();
    fixture.rate_limit = lupl_model::RateLimit {
        requests: 10,
        per_seconds: 2,
    };
    Harness::new(Target::model_with(fixture, RateLimit::new(1_000_000, 1)).await?).await
}

async fn run(args: Args) -> ExitCode {
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
    });
    eprintln!("conformance: seed {seed} (replay with --seed {seed})");
    let target = match target(&args).await {
        Ok(t) => t,
        Err(e) => {
            eprintln!("conformance: {e}");
            return ExitCode::from(2);
        }
    };
    let name = if target.is_model {
        "the built-in model".to_owned()
    } else {
        target.base_url.clone()
    };
    eprintln!(
        "conformance: checking {name} with {} identit{}",
        target.identities.len(),
        if target.identities.len() == 1 {
            "y"
        } else {
            "ies"
        }
    );
    let harness = match Harness::new(target).await {
        Ok(h) => std::sync::Arc::new(h),
        Err(e) => {
            eprintln!("conformance: cannot start: {e}");
            return ExitCode::from(2);
        }
    };
    let cancel = harness.cancel_flag();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("conformance: interrupted; finishing the request in flight, then restoring");
            cancel.store(true, Ordering::Relaxed);
        }
    });
    let options = Options {
        cases: args.cases,
        seed,
        progress: std::io::IsTerminal::is_terminal(&std::io::stderr()),
    };
    let handle = tokio::runtime::Handle::current();
    let worker = harness.clone();
    let mut report =
        match tokio::task::spawn_blocking(move || worker.run_blocking(&options, &handle)).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("conformance: the run failed: {e}");
                let (problems, notes) = harness.restore().await;
                for p in problems.iter().chain(&notes) {
                    eprintln!("conformance: restore: {p}");
                }
                return ExitCode::from(2);
            }
        };
    let mut throttling_problems = Vec::new();
    if args.check_throttling && !harness.cancel_flag().load(Ordering::Relaxed) {
        throttling_problems = if harness.target().is_model {
            // The run's model has a quota no run reaches; check the throttle
            // on a model with a small one (10 per 2 s).
            match throttle_model().await {
                Ok(h) => throttling::check(&h, 100).await,
                Err(e) => vec![format!("cannot start the throttling model: {e}")],
            }
        } else {
            throttling::check(&harness, args.rate_limit.requests + 50).await
        };
    }
    (report.restore, report.restore_notes) = harness.restore().await;
    print!("{}", report::summary(&report));
    if args.check_throttling {
        if throttling_problems.is_empty() {
            println!("throttling: 429, Retry-After and recovery as documented");
        }
        for p in &throttling_problems {
            println!("throttling: {p}");
        }
    }
    if let Some(path) = &args.junit {
        match report::junit(&report) {
            Ok(xml) => {
                if let Err(e) = std::fs::write(path, xml) {
                    eprintln!("conformance: cannot write {}: {e}", path.display());
                    return ExitCode::from(2);
                }
            }
            Err(e) => eprintln!("conformance: cannot render JUnit: {e}"),
        }
    }
    if report.passed() && throttling_problems.is_empty() && report.restore.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
