//! `lupl`: the Lupl Open API from the shell.
//!
//! Exit codes: 0 ok, 1 the API refused (or a file or row is invalid),
//! 2 usage, 3 authentication, 4 network, 130 interrupted.

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use lupl_api::Client;
use lupl_api::types::OrganizationFields;
use lupl_auth::{ClientBuilder, RateLimit, Settings};
use lupl_cli::documents::{self, OrganizationDocument, ProviderDocument};
use lupl_cli::rows::{self, Format};
use lupl_cli::set_many::{self, Plan, Progress};
use lupl_cli::{Failure, profile};
use serde_json::{Map, Value, json};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tokio::sync::mpsc;
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

/// Script the Lupl Open API: provider and organization configurations.
#[derive(Parser, Debug)]
#[command(name = "lupl", version, after_help = EXAMPLES)]
struct Cli {
    /// Environment: stage (default) or production (needs --base-url).
    #[arg(long, global = true, env = "LUPL_ENV")]
    env: Option<String>,
    /// An explicit API base URL (plain http only for loopback).
    #[arg(long, global = true, env = "LUPL_BASE_URL")]
    base_url: Option<String>,
    /// A profile of the config file (default: the one named like --env,
    /// else the file's `default`).
    #[arg(long, global = true, env = "LUPL_PROFILE")]
    profile: Option<String>,
    /// The config file [default: ~/.config/lupl/config.toml].
    #[arg(long, global = true, env = "LUPL_CONFIG")]
    config: Option<PathBuf>,
    /// Auth0 client id (as LUPL_CLIENT_ID).
    #[arg(long, global = true)]
    client_id: Option<String>,
    /// A file holding the Auth0 client secret (`-`: stdin); secrets are
    /// not taken as arguments, which other users can see in `ps`.
    #[arg(long, global = true, value_name = "FILE")]
    client_secret_file: Option<PathBuf>,
    /// Auth0 domain (as LUPL_AUTH_DOMAIN).
    #[arg(long, global = true)]
    auth_domain: Option<String>,
    /// Auth0 audience (as LUPL_AUDIENCE).
    #[arg(long, global = true)]
    audience: Option<String>,
    /// A file holding a bearer token (`-`: stdin), instead of Auth0.
    #[arg(long, global = true, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// Requests per window, as N/SECONDS [default: 1000/60, Lupl's policy].
    #[arg(long, global = true, env = "LUPL_RATE_LIMIT")]
    rate_limit: Option<String>,
    /// Output format (JSON when stdout is not a terminal).
    #[arg(long, global = true, value_enum)]
    output: Option<Output>,
    /// Trace requests on stderr (-v: one line per request, -vv: more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Output {
    Json,
    Table,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// A PMS provider's configuration.
    #[command(subcommand)]
    Provider(ProviderCommand),
    /// An organization's PMS configuration.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Print a fresh access token (for curl or Postman).
    #[command(
        after_help = "Example:\n  curl -H \"Authorization: Bearer $(lupl token)\" \\\n      \"https://stage.api.lupl.com/api/1.0/pms/providerconfig?pmsId=…\""
    )]
    Token,
    /// Start the local sandbox (as `lupl-sandbox`).
    #[command(after_help = "Example:\n  lupl sandbox --listen 127.0.0.1:8080 --state sandbox.json")]
    Sandbox {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Fixture file; the built-in one uses the vendor document's ids.
        #[arg(long)]
        fixture: Option<PathBuf>,
        /// Load state from FILE and save every acknowledged write to it.
        #[arg(long)]
        state: Option<PathBuf>,
        /// Give the first user N more organizations (for trying set-many);
        /// their ids are printed on start.
        #[arg(long, value_name = "N", default_value_t = 0)]
        organizations: usize,
    },
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
        /// bash, zsh or fish.
        shell: clap_complete::Shell,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum SchemaOf {
    /// A provider configuration (`provider set/validate --file`).
    Provider,
    /// A whole `setProviderConfig` body.
    ProviderBody,
    /// A whole `setOrganizationConfig` body (`org validate --file`).
    OrganizationBody,
}

#[derive(Subcommand, Debug)]
enum ProviderCommand {
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

#[derive(Subcommand, Debug)]
enum OrgCommand {
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
        /// A field, `key=value` (numbers and true/false are typed as JSON).
        #[arg(long = "field", value_name = "KEY=VALUE", conflicts_with = "file")]
        fields: Vec<String>,
        /// A JSON object of fields (`-` for stdin).
        #[arg(long)]
        file: Option<PathBuf>,
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
  lupl org set-many --file orgs.jsonl --pms-id 4efafdc0-… --resume";

#[derive(clap::Args, Debug)]
struct SetManyArgs {
    /// The rows: .csv, or .jsonl/.ndjson.
    #[arg(long)]
    file: PathBuf,
    /// The PMS provider every organization uses.
    #[arg(long)]
    pms_id: Uuid,
    /// The file's format, when its extension does not say.
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Requests in flight at most (the rate limit still applies).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: u16,
    /// Send a row again this many times in the same run after a 5xx, a
    /// network error or a 429 (a write replaces, so this is safe).
    #[arg(long, default_value_t = 2)]
    retries: u32,
    /// Check every row offline and send nothing.
    #[arg(long)]
    dry_run: bool,
    /// The provider's configuration from a file instead of a GET (with
    /// --dry-run, nothing goes over the network).
    #[arg(long)]
    provider_config: Option<PathBuf>,
    /// Continue the run in the journal: finished rows are not sent again.
    #[arg(long)]
    resume: bool,
    /// The journal [default: FILE.journal].
    #[arg(long)]
    journal: Option<PathBuf>,
    /// The result file [default: FILE.results.csv].
    #[arg(long)]
    results: Option<PathBuf>,
}

/// The `LUPL_*` settings: flags, then the environment, then the profile.
fn settings(cli: &Cli) -> Result<(Settings, RateLimit), Failure> {
    let var = |name: &str| std::env::var(name).ok();
    let config_path = cli.config.clone().or_else(|| profile::default_path(&var));
    let file = match &config_path {
        Some(p) => profile::load(p, cli.config.is_some())?,
        None => profile::ConfigFile::default(),
    };
    let chosen = file.select(cli.profile.as_deref(), cli.env.as_deref())?;
    let secret = |path: &Option<PathBuf>| match path {
        Some(p) => documents::read(p).map(|s| Some(s.trim().to_owned())),
        None => Ok(None),
    };
    let (token, client_secret) = (secret(&cli.token_file)?, secret(&cli.client_secret_file)?);
    let flags = |name: &str| match name {
        "LUPL_ENV" => cli.env.clone(),
        "LUPL_BASE_URL" => cli.base_url.clone(),
        "LUPL_RATE_LIMIT" => cli.rate_limit.clone(),
        "LUPL_CLIENT_ID" => cli.client_id.clone(),
        "LUPL_AUTH_DOMAIN" => cli.auth_domain.clone(),
        "LUPL_AUDIENCE" => cli.audience.clone(),
        "LUPL_TOKEN" => token.clone(),
        "LUPL_CLIENT_SECRET" => client_secret.clone(),
        _ => None,
    };
    let get = profile::lookup(&flags, &var, chosen.as_ref());
    let rate = match get("LUPL_RATE_LIMIT") {
        Some(text) => RateLimit::parse(&text)
            .map_err(|e| Failure::usage(format!("--rate-limit {text:?}: {e}")))?,
        None => RateLimit::default(),
    };
    let settings = Settings::from_lookup(get).map_err(|e| Failure::auth(e.to_string()))?;
    Ok((settings, rate))
}

fn client(cli: &Cli) -> Result<Client, Failure> {
    let (settings, rate) = settings(cli)?;
    Ok(ClientBuilder::from_settings(settings)
        .rate_limit(rate)
        .build()?)
}

fn output(cli: &Cli) -> Output {
    cli.output.unwrap_or(if std::io::stdout().is_terminal() {
        Output::Table
    } else {
        Output::Json
    })
}

fn print(cli: &Cli, value: &Value) {
    match (output(cli), value) {
        (Output::Table, Value::Object(map)) => {
            for (k, v) in map {
                let shown = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                println!("{k:<16} {shown}");
            }
        }
        (Output::Table, _) => println!(
            "{}",
            serde_json::to_string_pretty(value).unwrap_or_default()
        ),
        (Output::Json, _) => println!("{value}"),
    }
}

/// A 400 from the server, reported against the file the body came from.
fn refused_file(path: &Path, text: &str, prefix: &str, e: lupl_api::Error) -> Failure {
    match e {
        lupl_api::Error::BadRequest { errors, trace_id } => {
            let count = errors.len();
            documents::report(path, text, &errors.into_iter().collect(), prefix);
            Failure::refused(format!(
                "the server refused {}: {count} problem(s), listed above{}",
                path.display(),
                trace_id
                    .map(|t| format!(" (traceId {t})"))
                    .unwrap_or_default()
            ))
        }
        other => other.into(),
    }
}

fn field_value(raw: &str) -> Value {
    match raw {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => serde_json::from_str::<serde_json::Number>(raw)
            .map(Value::Number)
            .unwrap_or_else(|_| Value::String(raw.to_owned())),
    }
}

/// Reads and checks a provider configuration file offline.
fn valid_provider_file(path: &Path) -> Result<ProviderDocument, Failure> {
    let text = documents::read(path)?;
    let doc = ProviderDocument::new(documents::parse_json(path, &text)?);
    documents::refuse_if_any(path, &text, &doc.problems(), doc.prefix())?;
    Ok(doc)
}

/// Ctrl-C and SIGTERM, as a channel. The handlers are installed before
/// this returns, so no signal is lost to the default action afterwards.
fn interrupts() -> Result<mpsc::Receiver<()>, Failure> {
    let (tx, rx) = mpsc::channel(4);
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let install =
            |kind| signal(kind).map_err(|e| Failure::usage(format!("cannot handle signals: {e}")));
        let mut int = install(SignalKind::interrupt())?;
        let mut term = install(SignalKind::terminate())?;
        tokio::spawn(async move {
            loop {
                let got = tokio::select! {
                    s = int.recv() => s.is_some(),
                    s = term.recv() => s.is_some(),
                };
                if !got || tx.send(()).await.is_err() {
                    break;
                }
            }
        });
    }
    #[cfg(not(unix))]
    tokio::spawn(async move {
        while tokio::signal::ctrl_c().await.is_ok() {
            if tx.send(()).await.is_err() {
                break;
            }
        }
    });
    Ok(rx)
}

async fn set_many(cli: &Cli, args: &SetManyArgs) -> Result<u8, Failure> {
    let format = args
        .format
        .or_else(|| Format::of(&args.file))
        .ok_or_else(|| {
            Failure::usage(format!(
                "{}: name the format with --format csv|jsonl",
                args.file.display()
            ))
        })?;
    let text = documents::read(&args.file)?;
    // The provider's declared fields type the CSV values and judge the rows.
    let needs_client = !(args.dry_run && args.provider_config.is_some());
    let client = if needs_client {
        Some(client(cli)?)
    } else {
        None
    };
    let provider = match (&args.provider_config, &client) {
        (Some(path), _) => valid_provider_file(path)?.config().clone(),
        (None, Some(client)) => match client.provider_config_json(&args.pms_id).await? {
            Value::Null => {
                return Err(Failure::refused(format!(
                    "provider {} has no configuration yet; store one with `lupl provider set` first",
                    args.pms_id
                )));
            }
            config => config,
        },
        (None, None) => Value::Null,
    };
    let rows = rows::parse(&args.file, &text, format, &provider)?;
    if args.dry_run {
        let problems = set_many::dry_run(args.pms_id, &rows, &provider);
        for p in problems.values().flatten() {
            let org = p.organization_id.map(|o| o.to_string()).unwrap_or_default();
            let key = if p.key.is_empty() { "(row)" } else { &p.key };
            eprintln!(
                "{}:{}: {org}: {key}: {}",
                args.file.display(),
                p.line,
                p.message
            );
        }
        let invalid = problems.len();
        print(
            cli,
            &json!({"rows": rows.len(), "valid": rows.len() - invalid, "invalid": invalid}),
        );
        return Ok(if invalid == 0 { 0 } else { 1 });
    }
    let Some(client) = client else {
        return Err(Failure::usage("no client"));
    };
    let (journal, results) = set_many::default_paths(&args.file);
    let plan = Plan {
        pms_id: args.pms_id,
        concurrency: usize::from(args.concurrency),
        journal: args.journal.clone().unwrap_or(journal),
        resume: args.resume,
        results: args.results.clone().unwrap_or(results),
        retries: args.retries,
        progress: if std::io::stderr().is_terminal() {
            Progress::Bar
        } else {
            Progress::Lines
        },
    };
    let summary = set_many::run(&client, &plan, rows, interrupts()?).await?;
    print(cli, &serde_json::to_value(&summary).unwrap_or(Value::Null));
    if summary.interrupted || summary.not_run > 0 {
        eprintln!(
            "lupl: {} row(s) not run; continue with the same command and --resume",
            summary.not_run
        );
    } else if summary.failed > 0 {
        eprintln!(
            "lupl: {} row(s) failed; see {}",
            summary.failed, summary.results
        );
    }
    Ok(summary.exit_code())
}

async fn run(cli: &Cli) -> Result<u8, Failure> {
    match &cli.command {
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut Cli::command(), "lupl", &mut std::io::stdout());
        }
        Command::Sandbox {
            listen,
            fixture,
            state,
            organizations,
        } => {
            lupl_model::run_sandbox(listen, fixture.as_deref(), state.as_deref(), *organizations)
                .await
                .map_err(Failure::usage)?;
        }
        Command::Schema { of } => {
            // openapi.json's own schema: the generated types' `JsonSchema`
            // derives lose the spec's patterns and bounds (typify's newtypes)
            // and make optional members nullable, which the API refuses.
            let name = match of {
                SchemaOf::Provider => "ProviderConfiguration",
                SchemaOf::ProviderBody => "SetProviderConfigRequest",
                SchemaOf::OrganizationBody => "SetOrganizationConfigRequest",
            };
            let schema = lupl_spec::Spec::workspace()
                .json_schema_document(name)
                .ok_or_else(|| Failure::usage(format!("openapi.json has no schema {name}")))?;
            println!(
                "{}",
                serde_json::to_string_pretty(&schema).unwrap_or_default()
            );
        }
        Command::Token => {
            let (settings, rate) = settings(cli)?;
            let built = ClientBuilder::from_settings(settings)
                .rate_limit(rate)
                .build_parts()?;
            let token = built
                .tokens
                .token()
                .await
                .map_err(|e| Failure::auth(e.to_string()))?;
            println!("{}", lupl_auth::ExposeSecret::expose_secret(token.secret()));
        }
        Command::Provider(ProviderCommand::Get { pms_id }) => {
            let config = client(cli)?.provider_config_json(pms_id).await?;
            print(cli, &config);
        }
        Command::Provider(ProviderCommand::Set { pms_id, file }) => {
            let text = documents::read(file)?;
            let doc = ProviderDocument::new(documents::parse_json(file, &text)?);
            if doc.whole_body && doc.body["pmsId"] != json!(pms_id) {
                return Err(Failure::usage(format!(
                    "{}: its pmsId is not --pms-id {pms_id}",
                    file.display()
                )));
            }
            client(cli)?
                .put_provider_config_json(pms_id, doc.config())
                .await
                .map_err(|e| refused_file(file, &text, doc.prefix(), e))?;
            eprintln!("stored the configuration of provider {pms_id}");
        }
        Command::Provider(ProviderCommand::Validate { file }) => {
            valid_provider_file(file)?;
            eprintln!("{}: valid", file.display());
        }
        Command::Org(OrgCommand::Get { organization_id }) => {
            let config = client(cli)?.organization_config(organization_id).await?;
            print(cli, &serde_json::to_value(config).unwrap_or(Value::Null));
        }
        Command::Org(OrgCommand::Set {
            organization_id,
            pms_id,
            fields,
            file,
        }) => {
            let (map, source): (Map<String, Value>, _) = match file {
                Some(f) => {
                    let text = documents::read(f)?;
                    let doc = OrganizationDocument::new(documents::parse_json(f, &text)?);
                    if !doc.body["fields"].is_object() {
                        return Err(Failure::refused(format!(
                            "{}: expected a JSON object of fields",
                            f.display()
                        )));
                    }
                    (doc.fields(), Some((f, text, doc.prefix())))
                }
                None => (
                    fields
                        .iter()
                        .map(|kv| {
                            kv.split_once('=')
                                .map(|(k, v)| (k.to_owned(), field_value(v)))
                                .ok_or_else(|| {
                                    Failure::usage(format!("--field {kv:?}: expected KEY=VALUE"))
                                })
                        })
                        .collect::<Result<_, _>>()?,
                    None,
                ),
            };
            client(cli)?
                .put_organization_config(organization_id, pms_id, OrganizationFields(map))
                .await
                .map_err(|e| match &source {
                    Some((f, text, prefix)) => refused_file(f, text, prefix, e),
                    None => e.into(),
                })?;
            eprintln!("stored the configuration of organization {organization_id}");
        }
        Command::Org(OrgCommand::Validate {
            file,
            provider_config,
        }) => {
            let provider = valid_provider_file(provider_config)?;
            let text = documents::read(file)?;
            let doc = OrganizationDocument::new(documents::parse_json(file, &text)?);
            let errors = doc.problems(provider.config());
            documents::refuse_if_any(file, &text, &errors, doc.prefix())?;
            eprintln!("{}: valid", file.display());
        }
        Command::Org(OrgCommand::SetMany(args)) => return set_many(cli, args).await,
    }
    Ok(0)
}

fn init_tracing(verbose: u8) {
    use tracing_subscriber::fmt::format::FmtSpan;
    let level = match verbose {
        0 => return,
        1 => tracing::Level::INFO,
        2 => tracing::Level::DEBUG,
        _ => tracing::Level::TRACE,
    };
    // -v: one line per request when its span closes (operation, method,
    // path, attempt, status, wait). Headers are never recorded.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .with_span_events(FmtSpan::CLOSE)
        .with_target(false)
        .init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.verbose);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("lupl: {e}");
            return ExitCode::from(lupl_cli::exit::USAGE);
        }
    };
    match runtime.block_on(run(&cli)) {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("lupl: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}
