//! The command line of `conformance`, apart from `main` so that tests can
//! walk every flag (each path flag has a role in [`FILE_ROLES`]).

use crate::target::TargetArgs;
use clap::{Parser, Subcommand};
use lupl_safety::paths::Role;
use std::path::PathBuf;

/// Every path flag of `conformance` and what it is to a run, for
/// [`lupl_safety::paths`]: no output may replace an input or another
/// output. A test walks every path flag of [`Args`] and fails on one this
/// list does not name, so a new flag cannot skip the guard.
pub const FILE_ROLES: &[(&str, Role)] = &[
    ("config", Role::Input),
    ("client_secret_file", Role::Input),
    ("token_file", Role::Input),
    ("baseline", Role::Input),
    ("file", Role::Input),
    ("junit", Role::Output),
    ("coverage", Role::Output),
    ("write_baseline", Role::Output),
    ("record", Role::Output),
];

/// Check the Lupl Open API contract (CONTRACT.md) against the built-in model
/// or a live target.
#[derive(Parser, Debug)]
#[command(
    name = "conformance",
    version,
    after_help = "Examples:\n  cargo run -p conformance\n  cargo run -p conformance -- --seed 7 --junit report.xml --coverage coverage.json\n  LUPL_TOKEN=tok-acme cargo run -p conformance -- --base-url http://127.0.0.1:8080 \\\n      --pms-id 4efafdc0-2783-4af6-9cac-d2b2be27a080 --organization-id 3fa85f64-5717-4562-b3fc-2c963f66afa6 \\\n      --record run.ndjson\n\nCredentials as for `lupl`: LUPL_TOKEN or --token-file, or an Auth0 client\n(--client-id, --client-secret-file, --auth-domain, --audience, or their LUPL_*\nvariables), or a profile of ~/.config/lupl/config.toml (--profile)."
)]
pub struct Args {
    /// `replay`, or none for a run.
    #[command(subcommand)]
    pub command: Option<Sub>,
    /// Mixed cases after the directed ones (every generator on every
    /// operation).
    #[arg(long, default_value_t = 256)]
    pub cases: u32,
    /// Directed cases per generator and operation [default: 2 on the model,
    /// 1 on a live target].
    #[arg(long, value_name = "N")]
    pub per_generator: Option<u32>,
    /// Send at most this many requests in all: setup reads, cases, replays,
    /// 429 retries and the restore (new cases stop an eighth early, to
    /// leave room for replaying what broke; the reads before and the
    /// restore after are never refused) [default: none on the model,
    /// 1000 on a live target: a minute of Lupl's quota].
    /// `--check-throttling` spends one quota on top.
    #[arg(long, value_name = "N")]
    pub max_requests: Option<u64>,
    /// Seed (printed on every run; pass it again to replay).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Write a JUnit XML report here (a test case per clause).
    #[arg(long, value_name = "FILE", global = true)]
    pub junit: Option<PathBuf>,
    /// Write the coverage table here as JSON.
    #[arg(long, value_name = "FILE", global = true)]
    pub coverage: Option<PathBuf>,
    /// Accept the failures and divergences this file lists (each with a
    /// reason and an expiry date): exit 0 unless something else breaks, an
    /// entry expired, or an entry no longer occurs.
    #[arg(long, value_name = "FILE", global = true)]
    pub baseline: Option<PathBuf>,
    /// Write a baseline accepting this run's failures and divergences for
    /// 90 days (edit each reason before committing it).
    #[arg(long, value_name = "FILE", global = true)]
    pub write_baseline: Option<PathBuf>,
    /// Write every exchange here as NDJSON (tokens masked).
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Drive one token past its quota (--rate-limit) and check 429,
    /// Retry-After, recovery and the order of checks while throttled
    /// (always on the model). Spends one quota and a few dozen requests
    /// more, on top of --max-requests.
    #[arg(long)]
    pub check_throttling: bool,
    /// Also send every judged request to an in-process model seeded to
    /// mirror the target, and report where the two answer differently and
    /// which one the contract agrees with (no extra request to the target).
    #[arg(long)]
    pub compare_model: bool,
    /// With --compare-model (or a replay of such a recording): a
    /// difference CONTRACT.md does not decide (the oracle accepts both
    /// answers) fails the run too; without it, it is a note.
    #[arg(long, global = true)]
    pub strict: bool,
    /// Where to connect and how to authenticate.
    #[command(flatten)]
    pub target: TargetArgs,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Sub {
    /// Judge a recording (--record) again, offline, with today's checks
    /// and contract: no request is sent.
    Replay {
        /// The recording (NDJSON).
        file: PathBuf,
    },
}
