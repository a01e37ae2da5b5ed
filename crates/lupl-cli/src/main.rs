//! `lupl`: the Lupl Open API from the shell.
//!
//! Exit codes: 0 ok, 1 the API refused (or a file is invalid), 2 usage,
//! 3 authentication, 4 network.

mod locate;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use lupl_api::types::{OrganizationFields, ProviderConfiguration};
use lupl_api::{Client, Error};
use lupl_auth::{ClientBuilder, Settings};
use serde_json::{Map, Value};
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const EXAMPLES: &str = "Examples:
  lupl provider get --pms-id 4efafdc0-2783-4af6-9cac-d2b2be27a080
  lupl provider validate --file acme.json
  lupl org set --organization-id 3fa85f64-5717-4562-b3fc-2c963f66afa6 \\
      --pms-id 4efafdc0-2783-4af6-9cac-d2b2be27a080 --field region=eu
Credentials come from LUPL_TOKEN, or LUPL_CLIENT_ID/LUPL_CLIENT_SECRET/
LUPL_AUTH_DOMAIN/LUPL_AUDIENCE (see the README).";

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
    /// Output format (JSON when stdout is not a terminal).
    #[arg(long, global = true, value_enum)]
    output: Option<Output>,
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
    },
    /// Print shell completions.
    Completions {
        /// bash, zsh or fish.
        shell: clap_complete::Shell,
    },
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
        pms_id: lupl_api::uuid::Uuid,
    },
    /// Store the provider's configuration from a JSON file (`-` for stdin).
    #[command(
        after_help = "Example:\n  lupl provider set --pms-id 4efafdc0-2783-4af6-9cac-d2b2be27a080 --file acme.json"
    )]
    Set {
        /// The PMS ID.
        #[arg(long)]
        pms_id: lupl_api::uuid::Uuid,
        /// The configuration file.
        #[arg(long)]
        file: PathBuf,
    },
    /// Check a configuration file offline, with the server's rules and keys.
    #[command(after_help = "Example:\n  lupl provider validate --file acme.json")]
    Validate {
        /// The configuration file.
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
        organization_id: lupl_api::uuid::Uuid,
    },
    /// Store the organization's fields, from --field key=value or a file.
    #[command(
        after_help = "Example:\n  lupl org set --organization-id 3fa85f64-5717-4562-b3fc-2c963f66afa6 \\\n      --pms-id 4efafdc0-2783-4af6-9cac-d2b2be27a080 --field region=eu --field firmCode=ACM001"
    )]
    Set {
        /// The organization ID.
        #[arg(long)]
        organization_id: lupl_api::uuid::Uuid,
        /// The PMS provider the organization uses.
        #[arg(long)]
        pms_id: lupl_api::uuid::Uuid,
        /// A field, `key=value` (numbers and true/false are typed as JSON).
        #[arg(long = "field", value_name = "KEY=VALUE", conflicts_with = "file")]
        fields: Vec<String>,
        /// A JSON object of fields.
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Check organization fields offline against a provider configuration.
    #[command(
        after_help = "Example:\n  lupl org validate --file fields.json --provider-config acme.json"
    )]
    Validate {
        /// The fields (a JSON object, or a body with `fields`).
        #[arg(long)]
        file: PathBuf,
        /// The provider configuration they must fit.
        #[arg(long)]
        provider_config: PathBuf,
    },
}

/// An error for the user: one line, what to do, and the exit code.
struct Failure {
    code: u8,
    message: String,
}

fn fail(code: u8, message: impl Into<String>) -> Failure {
    Failure {
        code,
        message: message.into(),
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        match &e {
            Error::Unauthorized { .. } | Error::Middleware(_) => fail(
                3,
                format!("{e} (check LUPL_TOKEN or the LUPL_CLIENT_* settings)"),
            ),
            Error::Transport(_) => fail(4, format!("{e} (check the network and --base-url)")),
            _ => fail(1, e.to_string()),
        }
    }
}

fn read(path: &Path) -> Result<String, Failure> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| fail(2, format!("cannot read stdin: {e}")))?;
        return Ok(text);
    }
    std::fs::read_to_string(path)
        .map_err(|e| fail(2, format!("cannot read {}: {e}", path.display())))
}

fn parse_json(path: &Path, text: &str) -> Result<Value, Failure> {
    serde_json::from_str(text).map_err(|e| {
        fail(
            1,
            format!(
                "{}:{}:{}: not JSON: {e}",
                path.display(),
                e.line(),
                e.column()
            ),
        )
    })
}

/// Settings from the `LUPL_*` variables, with `--env` and `--base-url`
/// taking their place.
fn settings(cli: &Cli) -> Result<Settings, Failure> {
    let (env, base_url) = (cli.env.clone(), cli.base_url.clone());
    Settings::from_lookup(|name| match name {
        "LUPL_ENV" => env.clone(),
        "LUPL_BASE_URL" => base_url.clone(),
        other => std::env::var(other).ok(),
    })
    .map_err(|e| fail(3, e.to_string()))
}

fn client(cli: &Cli) -> Result<Client, Failure> {
    ClientBuilder::from_settings(settings(cli)?)
        .build()
        .map_err(Failure::from)
}

fn print(cli: &Cli, value: &Value) {
    let output = cli.output.unwrap_or(if std::io::stdout().is_terminal() {
        Output::Table
    } else {
        Output::Json
    });
    match (output, value) {
        (Output::Table, Value::Object(map)) => {
            for (k, v) in map {
                println!(
                    "{k:<16} {}",
                    match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    }
                );
            }
        }
        (Output::Table, _) => println!(
            "{}",
            serde_json::to_string_pretty(value).unwrap_or_default()
        ),
        (Output::Json, _) => println!("{value}"),
    }
}

/// Prints each problem as `file:line:column: key: message`; true if none.
fn report(path: &Path, text: &str, errors: &lupl_model::rules::Errors, strip: &str) -> bool {
    let positions = locate::positions(text);
    for (key, messages) in errors {
        let (line, col) = locate::find(&positions, key, strip).unwrap_or((1, 1));
        for m in messages {
            eprintln!("{}:{line}:{col}: {key}: {m}", path.display());
        }
    }
    errors.is_empty()
}

/// A configuration file may hold the configuration itself or a whole
/// request body (`{"pmsId", "config"}`).
fn config_of(value: Value) -> (Value, &'static str) {
    match value {
        Value::Object(mut o) if o.contains_key("config") && o.contains_key("pmsId") => {
            (o.remove("config").unwrap_or(Value::Null), "")
        }
        other => (other, "config."),
    }
}

fn field_value(raw: &str) -> Value {
    match raw {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => raw
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .and_then(|n| serde_json::Number::from_f64(n).map(Value::Number))
            .unwrap_or_else(|| Value::String(raw.to_owned())),
    }
}

async fn run(cli: &Cli) -> Result<(), Failure> {
    match &cli.command {
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut Cli::command(), "lupl", &mut std::io::stdout());
        }
        Command::Sandbox {
            listen,
            fixture,
            state,
        } => {
            lupl_model::run_sandbox(listen, fixture.as_deref(), state.as_deref())
                .await
                .map_err(|e| fail(2, e))?;
        }
        Command::Token => {
            let built = ClientBuilder::from_settings(settings(cli)?).build_parts()?;
            let token = built
                .tokens
                .token()
                .await
                .map_err(|e| fail(3, e.to_string()))?;
            println!("{}", lupl_auth::ExposeSecret::expose_secret(token.secret()));
        }
        Command::Provider(ProviderCommand::Get { pms_id }) => {
            let config = client(cli)?.provider_config(pms_id).await?;
            print(cli, &serde_json::to_value(config).unwrap_or(Value::Null));
        }
        Command::Provider(ProviderCommand::Set { pms_id, file }) => {
            let text = read(file)?;
            let (value, _) = config_of(parse_json(file, &text)?);
            let config: ProviderConfiguration = serde_json::from_value(value)
                .map_err(|e| fail(1, format!("{}: not a provider configuration: {e} (run `lupl provider validate --file {}`)", file.display(), file.display())))?;
            client(cli)?.put_provider_config(pms_id, config).await?;
            eprintln!("stored the configuration of provider {pms_id}");
        }
        Command::Provider(ProviderCommand::Validate { file }) => {
            let text = read(file)?;
            let (config, strip) = config_of(parse_json(file, &text)?);
            let errors = lupl_model::rules::provider_configuration(&config);
            if !report(file, &text, &errors, strip) {
                return Err(fail(
                    1,
                    format!("{} breaks {} rule(s)", file.display(), errors.len()),
                ));
            }
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
            let map: Map<String, Value> = match file {
                Some(f) => match parse_json(f, &read(f)?)? {
                    Value::Object(o) => o,
                    _ => {
                        return Err(fail(
                            1,
                            format!("{}: expected a JSON object of fields", f.display()),
                        ));
                    }
                },
                None => fields
                    .iter()
                    .map(|kv| {
                        kv.split_once('=')
                            .map(|(k, v)| (k.to_owned(), field_value(v)))
                            .ok_or_else(|| fail(2, format!("--field {kv:?}: expected KEY=VALUE")))
                    })
                    .collect::<Result<_, _>>()?,
            };
            let fields: OrganizationFields =
                serde_json::from_value(Value::Object(map)).map_err(|e| fail(2, e.to_string()))?;
            client(cli)?
                .put_organization_config(organization_id, pms_id, fields)
                .await?;
            eprintln!("stored the configuration of organization {organization_id}");
        }
        Command::Org(OrgCommand::Validate {
            file,
            provider_config,
        }) => {
            let provider_text = read(provider_config)?;
            let (provider, strip) = config_of(parse_json(provider_config, &provider_text)?);
            let provider_errors = lupl_model::rules::provider_configuration(&provider);
            if !report(provider_config, &provider_text, &provider_errors, strip) {
                return Err(fail(
                    1,
                    format!(
                        "{} is not a valid provider configuration",
                        provider_config.display()
                    ),
                ));
            }
            let text = read(file)?;
            let (fields, strip) = match parse_json(file, &text)? {
                Value::Object(mut o) if o.get("fields").is_some_and(Value::is_object) => {
                    (o.remove("fields").unwrap_or_default(), "")
                }
                other => (other, "fields."),
            };
            let Value::Object(fields) = fields else {
                return Err(fail(
                    1,
                    format!("{}: expected a JSON object of fields", file.display()),
                ));
            };
            let errors = lupl_model::rules::organization_fields(&provider, &fields);
            if !report(file, &text, &errors, strip) {
                return Err(fail(
                    1,
                    format!("{} breaks {} rule(s)", file.display(), errors.len()),
                ));
            }
            eprintln!("{}: valid", file.display());
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("lupl: {e}");
            return ExitCode::from(4);
        }
    };
    match runtime.block_on(run(&cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("lupl: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}
