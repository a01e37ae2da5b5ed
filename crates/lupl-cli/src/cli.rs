//! The command line: clap's definitions of `lupl`'s flags and commands
//! (`main.rs` parses them and hands them to [`crate::commands`]).

use crate::rows::Format;
use clap::{Parser, Subcommand, ValueEnum};
use lupl_auth::settings::SettingsArgs;
use lupl_safety::paths::Role;
use std::path::PathBuf;
use uuid::Uuid;

const EXAMPLES: &str = "Examples:
  lupl provider get --pms-id 4efafdc0-2783-4af6-9cac-d2b2be27a080
  lupl provider validate --file acme.json
  lupl org set --organization-id 3fa85f64-5717-4562-b3fc-2c963f66afa6 \\
      --pms-id 4efafdc0-2783-4af6-9cac-d2b2be27a080 --field region=eu
  lupl org set-many --file orgs.csv --pms-id 4efafdc0-2783-4af6-9cac-d2b2be27a080

Credentials come from flags, then the LUPL_* variables (LUPL_TOKEN, or
LUPL_CLIENT_ID/LUPL_CLIENT_SECRET/LUPL_AUTH_DOMAIN/LUPL_AUDIENCE), then a
profile of ~/.config/lupl/config.toml (see the README).
Exit codes: 0 ok, 1 refused or invalid, 2 usage, 3 auth, 4 network, 130 interrupted.";

/// Every path flag of `lupl` and what it is to a run, for
/// [`lupl_safety::paths`]: no output may replace an input or another
/// output. A test walks every path flag of [`Cli`] and fails on one this
/// list does not name, so a new flag cannot skip the guard.
pub const FILE_ROLES: &[(&str, Role)] = &[
    ("config", Role::Input),
    ("client_secret_file", Role::Input),
    ("token_file", Role::Input),
    ("file", Role::Input),
    ("provider_config", Role::Input),
    ("fixture", Role::Input),
    ("faults", Role::Input),
    ("admin_token_file", Role::Input),
    ("journal", Role::Output),
    ("results", Role::Output),
    ("backup", Role::Output),
    ("ids", Role::Input),
    ("input", Role::Input),
    ("out", Role::Output),
    // The sandbox reads its state file and appends to it.
    ("state", Role::Output),
];

/// Script the Lupl Open API: provider and organization configurations.
#[derive(Parser, Debug)]
#[command(name = "lupl", version, after_help = EXAMPLES)]
pub struct Cli {
    /// Where to connect and how to authenticate.
    #[command(flatten)]
    pub settings: SettingsArgs,
    /// Output format (JSON when stdout is not a terminal).
    #[arg(long, global = true, value_enum, help_heading = "Global options")]
    pub output: Option<Output>,
    /// Trace requests on stderr (-v: one line per request, -vv: more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, help_heading = "Global options")]
    pub verbose: u8,
    /// Print each request as a curl command line (the token as
    /// $LUPL_TOKEN) and each answer (status, traceId, body) on stderr.
    #[arg(long, global = true, help_heading = "Global options")]
    pub debug: bool,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
/// How results are printed.
pub enum Output {
    /// One JSON value.
    Json,
    /// Key and value, one per line.
    Table,
}

/// What to do.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// A PMS provider's configuration.
    #[command(subcommand)]
    Provider(ProviderCommand),
    /// An organization's PMS configuration.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Send any request with the configured environment, credentials,
    /// rate limit and retries; print the answer.
    #[command(after_help = API_HELP)]
    Api(ApiArgs),
    /// Print a fresh access token (for curl or Postman).
    #[command(
        after_help = "Example:\n  curl -H \"Authorization: Bearer $(lupl token)\" \\\n      \"https://stage.api.lupl.com/api/1.0/pms/providerconfig?pmsId=…\""
    )]
    Token,
    /// Start the local sandbox (as `lupl-sandbox`).
    #[command(after_help = "Example:\n  lupl sandbox --listen 127.0.0.1:8080 --state sandbox.json")]
    Sandbox(lupl_model::SandboxArgs),
    /// Print the JSON Schema of a file `lupl` reads, for editors.
    #[command(
        after_help = "Example:\n  lupl schema provider > provider.schema.json\n  # VS Code: \"json.schemas\": [{\"fileMatch\": [\"*.provider.json\"], \"url\": \"./provider.schema.json\"}]"
    )]
    Schema {
        /// Which file.
        #[arg(value_enum)]
        of: SchemaOf,
    },
    /// Print shell completions.
    #[command(
        after_help = "Example:\n  lupl completions bash > ~/.local/share/bash-completion/completions/lupl"
    )]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

const API_HELP: &str = "The path is from / on the environment's base URL (a full URL is refused:
the token goes nowhere else). -f/-F fields make a JSON object body, or for
GET, HEAD and DELETE the query. Exit codes: 0 for 2xx, 1 for a 4xx, 3 for
401, 4 for a 3xx, 429 or 5xx or no answer.

Examples:
  lupl api GET '/api/1.0/pms/providerconfig?pmsId=4efafdc0-2783-4af6-9cac-d2b2be27a080'
  lupl api GET /api/1.0/pms/organizationconfig -f organizationId=3fa85f64-5717-4562-b3fc-2c963f66afa6
  lupl api POST /api/1.0/pms/providerconfig --input body.json --include
  lupl --debug api GET /api/1.0/pms/providerconfig -f pmsId=4efafdc0-…";

/// `lupl api`'s arguments.
#[derive(clap::Args, Debug)]
pub struct ApiArgs {
    /// GET, POST, PUT, PATCH, DELETE, … (any case).
    #[arg(value_parser = crate::commands::method)]
    pub method: lupl_api::reqwest::Method,
    /// The path and query, from `/`.
    pub path: String,
    /// A string member of the JSON body (GET, HEAD, DELETE: a query
    /// parameter).
    #[arg(short = 'f', long = "raw-field", value_name = "KEY=VALUE")]
    pub raw_fields: Vec<String>,
    /// A typed member: true, false, null, a number or JSON, else a string.
    #[arg(short = 'F', long = "field", value_name = "KEY=VALUE")]
    pub fields: Vec<String>,
    /// The body from a file (`-` for stdin).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["raw_fields", "fields"])]
    pub input: Option<PathBuf>,
    /// Print the status line and the headers before the body.
    #[arg(short = 'i', long)]
    pub include: bool,
}

/// Which file's schema `lupl schema` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SchemaOf {
    /// A provider configuration (`provider set/validate --file`).
    Provider,
    /// A whole `setProviderConfig` body.
    ProviderBody,
    /// A whole `setOrganizationConfig` body (`org validate --file`).
    OrganizationBody,
}

/// `lupl provider …`.
#[derive(Subcommand, Debug)]
pub enum ProviderCommand {
    /// Print the provider's configuration (`null` when none yet).
    #[command(
        after_help = "Example:\n  lupl provider get --pms-id 4efafdc0-2783-4af6-9cac-d2b2be27a080"
    )]
    Get {
        /// The PMS ID.
        #[arg(long)]
        pms_id: Uuid,
    },
    /// Store the provider's configuration from a JSON file (`-` for stdin),
    /// as written: unknown members inside it are kept.
    #[command(
        after_help = "Example:\n  lupl provider set --pms-id 4efafdc0-2783-4af6-9cac-d2b2be27a080 --file acme.json"
    )]
    Set {
        /// The PMS ID.
        #[arg(long)]
        pms_id: Uuid,
        /// The configuration, or a whole request body.
        #[arg(long)]
        file: PathBuf,
    },
    /// Check a configuration file offline, with the server's rules and keys.
    #[command(after_help = "Example:\n  lupl provider validate --file acme.json")]
    Validate {
        /// The configuration, or a whole request body.
        #[arg(long)]
        file: PathBuf,
    },
}

/// `lupl org …`.
#[derive(Subcommand, Debug)]
pub enum OrgCommand {
    /// Print the organization's configuration (`null` when none yet).
    #[command(
        after_help = "Example:\n  lupl org get --organization-id 3fa85f64-5717-4562-b3fc-2c963f66afa6"
    )]
    Get {
        /// The organization ID.
        #[arg(long)]
        organization_id: Uuid,
    },
    /// Store the organization's fields, from --field key=value or a file.
    #[command(
        after_help = "Example:\n  lupl org set --organization-id 3fa85f64-5717-4562-b3fc-2c963f66afa6 \\\n      --pms-id 4efafdc0-2783-4af6-9cac-d2b2be27a080 --field region=eu --field firmCode=ACM001"
    )]
    Set {
        /// The organization ID.
        #[arg(long)]
        organization_id: Uuid,
        /// The PMS provider the organization uses.
        #[arg(long)]
        pms_id: Uuid,
        /// A field, `key=value`, typed by the provider's declared field
        /// type (number, boolean, else string), as `set-many` types a CSV.
        #[arg(long = "field", value_name = "KEY=VALUE", conflicts_with = "file")]
        fields: Vec<String>,
        /// A JSON object of fields (`-` for stdin).
        #[arg(long)]
        file: Option<PathBuf>,
        /// The provider's configuration from a file, to type --field values
        /// without a GET.
        #[arg(long, value_name = "FILE")]
        provider_config: Option<PathBuf>,
    },
    /// Check organization fields offline against a provider configuration.
    #[command(
        after_help = "Example:\n  lupl org validate --file fields.json --provider-config acme.json"
    )]
    Validate {
        /// The fields (a JSON object), or a whole request body.
        #[arg(long)]
        file: PathBuf,
        /// The provider configuration they must fit.
        #[arg(long)]
        provider_config: PathBuf,
    },
    /// Configure many organizations from a CSV or JSON Lines file.
    #[command(after_help = SET_MANY_HELP)]
    SetMany(SetManyArgs),
    /// Read many organizations' configurations into JSON Lines or CSV, the
    /// form set-many takes back.
    #[command(after_help = EXPORT_HELP)]
    Export(ExportArgs),
}

const EXPORT_HELP: &str =
    "The ids: one per line, a CSV with an organizationId column (or --column),
or JSON Lines. The output: JSON Lines ({\"organizationId\", \"pmsId\",
\"fields\"}, \"fields\": null for an organization without a configuration),
or CSV (--pms-id: the provider's declared fields as columns). Either is
set-many's input as it stands. --resume reads only what the output lacks.

Examples:
  lupl org export --ids orgs.txt --out before.jsonl
  lupl org export --ids orgs.csv --out before.csv --pms-id 4efafdc0-2783-4af6-9cac-d2b2be27a080
  lupl org set-many --file before.jsonl --pms-id 4efafdc0-…   # put them back";

/// `lupl org export`'s arguments.
#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// The organizations: one id per line, a CSV, or JSON Lines.
    #[arg(long, value_name = "FILE")]
    pub ids: PathBuf,
    /// The column (CSV) or member (JSON Lines) holding the ids.
    #[arg(long, default_value = "organizationId")]
    pub column: String,
    /// Where the configurations go: .jsonl/.ndjson or .csv.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// The output's format, when its extension does not say (JSON Lines
    /// by default).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// The provider whose declared fields are a CSV's columns.
    #[arg(long)]
    pub pms_id: Option<Uuid>,
    /// Continue an export: organizations already in --out are not read.
    #[arg(long)]
    pub resume: bool,
    /// Requests in flight at most (the rate limit still applies).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
}

const SET_MANY_HELP: &str =
    "CSV: a header `organizationId,<field key>,…`; each value is typed by the
provider's declared field type (number, boolean, else string); an empty
cell leaves the field out. JSON Lines: {\"organizationId\": …, \"fields\": {…}}.

Every row is journaled (FILE.journal) as it goes; the result file
(FILE.results.csv) has line, organizationId, status, errorKeys, message for
every row. Ctrl-C stops taking rows and lets the requests in flight finish;
--resume continues without sending a finished row again. Exit 0 only if
every row was stored.

Examples:
  lupl org set-many --file orgs.csv --pms-id 4efafdc0-2783-4af6-9cac-d2b2be27a080
  lupl org set-many --file orgs.csv --pms-id 4efafdc0-… --dry-run --provider-config acme.json
  lupl org set-many --file orgs.jsonl --pms-id 4efafdc0-… --resume
  lupl org set-many --file orgs.csv --pms-id 4efafdc0-… --backup before.jsonl --fail-fast
  lupl org set-many --file before.jsonl --pms-id 4efafdc0-…   # roll back

With --backup, each organization's configuration is read and kept just
before it is changed; the file is what set-many takes back. An
organization that had no configuration (null) cannot be put back (the API
has no delete): rolling back reports such rows before anything is sent.";

/// `lupl org set-many`'s arguments.
#[derive(clap::Args, Debug)]
pub struct SetManyArgs {
    /// The rows: .csv, or .jsonl/.ndjson.
    #[arg(long)]
    pub file: PathBuf,
    /// The PMS provider every organization uses.
    #[arg(long)]
    pub pms_id: Uuid,
    /// The file's format, when its extension does not say.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Requests in flight at most (the rate limit still applies).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// Send a row again this many times in the same run after a 5xx, a
    /// network error or a 429 (a write replaces, so this is safe); also how
    /// many growing pauses an unanswering API gets before the run stops.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(0..=10))]
    pub retries: u32,
    /// Check every row offline and send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The provider's configuration from a file instead of a GET (with
    /// --dry-run, nothing goes over the network).
    #[arg(long)]
    pub provider_config: Option<PathBuf>,
    /// Continue the run in the journal: finished rows are not sent again.
    #[arg(long)]
    pub resume: bool,
    /// The journal [default: FILE.journal].
    #[arg(long)]
    pub journal: Option<PathBuf>,
    /// The result file [default: FILE.results.csv].
    #[arg(long)]
    pub results: Option<PathBuf>,
    /// Keep each organization's configuration, read just before it is
    /// changed, in this JSON Lines file (a new file, or the one of the run
    /// --resume continues); roll back with `set-many --file FILE`.
    #[arg(long, value_name = "FILE")]
    pub backup: Option<PathBuf>,
    /// Stop taking rows once N rows have failed (exit 1; the rest are left
    /// for --resume).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_failures: Option<u64>,
    /// Stop taking rows at the first failed row (--max-failures 1).
    #[arg(long, conflicts_with = "max_failures")]
    pub fail_fast: bool,
}
