//! What each command does. A handler takes its parsed arguments and a
//! [`Context`] (settings, environment, output) and returns what to print
//! and the exit code, so tests call it directly, without spawning `lupl`.

use crate::cli::{Cli, Command, OrgCommand, Output, ProviderCommand, SchemaOf, SetManyArgs};
use crate::documents::{self, OrganizationDocument, ProviderDocument};
use crate::failure::{Failure, exit};
use crate::rows::{self, Format};
use crate::set_many::{self, Plan, Progress};
use lupl_api::types::{
    OrganizationFields, ProviderConfiguration, SetOrganizationConfigRequest,
    SetProviderConfigRequest,
};
use lupl_api::{Client, Error};
use lupl_auth::{ClientBuilder, SettingsArgs};
use lupl_safety::signals::Interrupts;
use serde_json::{Map, Value, json};
use std::io::IsTerminal;
use std::path::Path;
use uuid::Uuid;

/// An environment to read `LUPL_*` variables from.
pub type Env = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Where a command runs: its settings, the environment they are read
/// with, and how results are printed.
pub struct Context {
    /// The settings flags.
    pub settings: SettingsArgs,
    /// The environment (`std::env` for `lupl`, a map in tests).
    pub env: Env,
    /// The output format.
    pub output: Output,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("settings", &self.settings)
            .field("output", &self.output)
            .finish_non_exhaustive()
    }
}

impl Context {
    /// The context of a parsed command line: the process environment, and
    /// JSON output when stdout is not a terminal.
    pub fn of(cli: &Cli) -> Self {
        Self {
            settings: cli.settings.clone(),
            env: Box::new(|name| std::env::var(name).ok()),
            output: cli.output.unwrap_or(if std::io::stdout().is_terminal() {
                Output::Table
            } else {
                Output::Json
            }),
        }
    }

    /// A client with the settings' credentials, limit and environment.
    pub fn client(&self) -> Result<Client, Failure> {
        Ok(self.client_parts()?.client)
    }

    /// [`Context::client`] and its parts (the limiter, to stop waits).
    pub fn client_parts(&self) -> Result<lupl_auth::Built, Failure> {
        let resolved = self.settings.resolve_with(&*self.env)?;
        let configured = resolved.rate_limit;
        Ok(ClientBuilder::from_settings(resolved.settings)
            .rate_limit(configured)
            // No response cache: no command reads one resource twice (a
            // run reads the provider once, and each row at most once to
            // check it), so it would only cost every write its bookkeeping.
            .on_limit_learned(move |learned| {
                let flag = learned.whole_seconds();
                eprintln!(
                    "lupl: warning: the API allows about {learned} (requests/seconds), fewer than --rate-limit {configured}; that pace worked for a whole window and is kept (pass --rate-limit {flag} to start there)"
                );
            })
            .build_parts()?)
    }

    /// `value` as the output format asks.
    pub fn render(&self, value: &Value) -> String {
        match (self.output, value) {
            (Output::Table, Value::Object(map)) => map
                .iter()
                .map(|(k, v)| {
                    let shown = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    format!(
                        "{:<16} {}",
                        crate::terminal::printable(k),
                        crate::terminal::printable(&shown)
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
            (Output::Table, _) => {
                crate::terminal::printable(&serde_json::to_string_pretty(value).unwrap_or_default())
            }
            (Output::Json, _) => crate::terminal::json_text(value),
        }
    }
}

/// What a command produced: a value for stdout, text for stdout as it
/// is, a line for stderr, the exit code.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Done {
    /// Printed on stdout in the output format.
    pub value: Option<Value>,
    /// Printed on stdout as it is (a token, a script, a schema).
    pub text: Option<String>,
    /// Printed on stderr.
    pub note: Option<String>,
    /// The exit code.
    pub code: u8,
}

impl Done {
    fn value(value: Value) -> Self {
        Self {
            value: Some(value),
            ..Self::default()
        }
    }

    fn note(note: impl Into<String>) -> Self {
        Self {
            note: Some(note.into()),
            ..Self::default()
        }
    }

    fn text(text: impl Into<String>) -> Self {
        Self {
            text: Some(text.into()),
            ..Self::default()
        }
    }
}

/// Runs a parsed command line.
pub async fn run(cli: &Cli, ctx: &Context) -> Result<Done, Failure> {
    match &cli.command {
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(
                *shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "lupl",
                &mut out,
            );
            Ok(Done::text(String::from_utf8_lossy(&out).into_owned()))
        }
        Command::Sandbox(args) => {
            lupl_model::run_sandbox(args)
                .await
                .map_err(Failure::usage)?;
            Ok(Done::default())
        }
        Command::Schema { of } => schema(*of),
        Command::Token => token(ctx).await,
        Command::Provider(ProviderCommand::Get { pms_id }) => {
            let client = ctx.client()?;
            stored_json(client.get_provider_config().pms_id(*pms_id).send().await)
        }
        Command::Provider(ProviderCommand::Set { pms_id, file }) => {
            provider_set(ctx, pms_id, file).await
        }
        Command::Provider(ProviderCommand::Validate { file }) => {
            valid_provider_file(file)?;
            Ok(Done::note(format!("{}: valid", file.display())))
        }
        Command::Org(OrgCommand::Get { organization_id }) => {
            let client = ctx.client()?;
            let read = client.get_organization_config();
            stored_json(read.organization_id(*organization_id).send().await)
        }
        Command::Org(OrgCommand::Set {
            organization_id,
            pms_id,
            fields,
            file,
            provider_config,
        }) => {
            org_set(
                ctx,
                organization_id,
                pms_id,
                fields,
                file.as_deref(),
                provider_config.as_deref(),
            )
            .await
        }
        Command::Org(OrgCommand::Validate {
            file,
            provider_config,
        }) => {
            let provider = valid_provider_file(provider_config)?.doc;
            let text = documents::read(file)?;
            let doc = OrganizationDocument::new(documents::parse_json(file, &text)?);
            let errors = doc.problems(provider.config());
            documents::refuse_if_any(file, &text, &errors, doc.prefix())?;
            Ok(Done::note(format!("{}: valid", file.display())))
        }
        Command::Org(OrgCommand::SetMany(args)) => set_many(ctx, args, interrupts()?).await,
    }
}

fn schema(of: SchemaOf) -> Result<Done, Failure> {
    // openapi.json's own schema: the generated types' `JsonSchema` derives
    // lose the spec's patterns and bounds (typify's newtypes) and make
    // optional members nullable, which the API refuses.
    let name = match of {
        SchemaOf::Provider => "ProviderConfiguration",
        SchemaOf::ProviderBody => "SetProviderConfigRequest",
        SchemaOf::OrganizationBody => "SetOrganizationConfigRequest",
    };
    let schema = lupl_spec::Spec::workspace()
        .json_schema_document(name)
        .ok_or_else(|| Failure::usage(format!("openapi.json has no schema {name}")))?;
    Ok(Done::text(
        serde_json::to_string_pretty(&schema).unwrap_or_default(),
    ))
}

async fn token(ctx: &Context) -> Result<Done, Failure> {
    let resolved = ctx.settings.resolve_with(&*ctx.env)?;
    let built = ClientBuilder::from_settings(resolved.settings)
        .rate_limit(resolved.rate_limit)
        .build_parts()?;
    let token = built.tokens.token().await?;
    Ok(Done::text(
        lupl_auth::ExposeSecret::expose_secret(token.secret()).to_owned(),
    ))
}

/// A 400 from the server, reported against the file the body came from.
fn refused_file(path: &Path, text: &str, prefix: &str, e: Error) -> Failure {
    match e {
        Error::BadRequest { errors, trace_id } => {
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

/// What a GET returned, as JSON. A stored value that openapi.json's types
/// cannot decode is still shown as received, with a warning, so that the
/// user sees (and can fix) what the server holds.
fn stored_json<T: serde::Serialize>(read: Result<Option<T>, Error>) -> Result<Done, Failure> {
    match read {
        Ok(value) => serde_json::to_value(value)
            .map(Done::value)
            .map_err(|e| Failure::refused(format!("cannot show the answer: {e}"))),
        Err(Error::Decode {
            status,
            message,
            body,
        }) if status.is_success() => match serde_json::from_str::<Value>(&body) {
            Ok(value) => Ok(Done {
                note: Some(format!(
                    "warning: the stored value does not match openapi.json ({message}); shown as received"
                )),
                ..Done::value(value)
            }),
            Err(_) => Err(Error::Decode {
                status,
                message,
                body,
            }
            .into()),
        },
        Err(e) => Err(e.into()),
    }
}

/// A provider configuration file, read and checked offline.
struct ProviderFile {
    text: String,
    doc: ProviderDocument,
}

/// Reads and checks a provider configuration file offline: the rules of
/// CONTRACT.md (`lupl_model::rules`), each broken one reported at its line.
fn valid_provider_file(path: &Path) -> Result<ProviderFile, Failure> {
    let text = documents::read(path)?;
    let doc = ProviderDocument::new(documents::parse_json(path, &text)?);
    documents::refuse_if_any(path, &text, &doc.problems(), doc.prefix())?;
    Ok(ProviderFile { text, doc })
}

/// Checks the file offline, then stores it through the typed client (a
/// valid configuration decodes: the rules and openapi.json agree, which
/// `tests/tests/rules_agree_with_spec.rs` checks).
async fn provider_set(ctx: &Context, pms_id: &Uuid, file: &Path) -> Result<Done, Failure> {
    let ProviderFile { text, doc } = valid_provider_file(file)?;
    if doc.whole_body && doc.body["pmsId"] != json!(pms_id) {
        return Err(Failure::usage(format!(
            "{}: its pmsId is not --pms-id {pms_id}",
            file.display()
        )));
    }
    let config: ProviderConfiguration = serde_json::from_value(doc.config().clone())
        .map_err(|e| Failure::refused(format!("{}: {e}", file.display())))?;
    let body = SetProviderConfigRequest::builder()
        .pms_id(*pms_id)
        .config(config);
    ctx.client()?
        .set_provider_config()
        .body(body)
        .send()
        .await
        .map_err(|e| refused_file(file, &text, doc.prefix(), e))?;
    Ok(Done::note(format!(
        "stored the configuration of provider {pms_id}"
    )))
}

/// The provider's configuration, from `file` or the API; refused when it
/// has none yet (its fields type and judge the organization's).
async fn provider_of(
    file: Option<&Path>,
    client: Option<&Client>,
    pms_id: &Uuid,
) -> Result<Value, Failure> {
    match (file, client) {
        (Some(path), _) => Ok(valid_provider_file(path)?.doc.config().clone()),
        (None, Some(client)) => match client.get_provider_config().pms_id(*pms_id).send().await {
            Ok(None) => Err(Failure::refused(format!(
                "provider {pms_id} has no configuration yet; store one with `lupl provider set` first"
            ))),
            Ok(Some(config)) => serde_json::to_value(config)
                .map_err(|e| Failure::refused(format!("cannot read provider {pms_id}: {e}"))),
            // Only the provider's owner may read it; an organization's
            // manager passes the configuration the provider published.
            Err(Error::Forbidden) => Err(Failure::refused(format!(
                "cannot read provider {pms_id}'s configuration (only its owner may); pass --provider-config FILE with the configuration the provider published, to type the values"
            ))),
            Err(e) => Err(e.into()),
        },
        (None, None) => Ok(Value::Null),
    }
}

/// `--field KEY=VALUE`s, checked before anything is sent: an empty key or
/// value, or a key given twice, is refused.
pub fn field_args(fields: &[String]) -> Result<Vec<(&str, &str)>, Failure> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for kv in fields {
        let (key, raw) = kv
            .split_once('=')
            .ok_or_else(|| Failure::usage(format!("--field {kv:?}: expected KEY=VALUE")))?;
        if key.is_empty() {
            return Err(Failure::usage(format!("--field {kv:?}: the key is empty")));
        }
        if raw.is_empty() {
            return Err(Failure::usage(format!(
                "--field {kv:?}: the value is empty; leave the field out instead"
            )));
        }
        if out.iter().any(|(k, _)| *k == key) {
            return Err(Failure::usage(format!("--field {key}: given twice")));
        }
        out.push((key, raw));
    }
    Ok(out)
}

/// `--field` pairs as fields typed by the provider's declared types, as
/// `set-many` types a CSV row.
pub fn typed_fields(
    pairs: &[(&str, &str)],
    provider: &Value,
) -> Result<Map<String, Value>, Failure> {
    let types = rows::declared_types(provider);
    let mut out = Map::new();
    for (key, raw) in pairs {
        let value = rows::typed(raw, types.get(*key).map(String::as_str))
            .map_err(|e| Failure::refused(format!("--field {key}={raw}: {e}")))?
            .unwrap_or(Value::Null);
        out.insert((*key).to_owned(), value);
    }
    Ok(out)
}

async fn org_set(
    ctx: &Context,
    organization_id: &Uuid,
    pms_id: &Uuid,
    fields: &[String],
    file: Option<&Path>,
    provider_config: Option<&Path>,
) -> Result<Done, Failure> {
    let pairs = field_args(fields)?;
    let client = ctx.client()?;
    let (map, source) = match file {
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
        None => {
            let provider = provider_of(provider_config, Some(&client), pms_id).await?;
            (typed_fields(&pairs, &provider)?, None)
        }
    };
    let body = SetOrganizationConfigRequest::builder()
        .organization_id(*organization_id)
        .pms_id(*pms_id)
        .fields(OrganizationFields(map));
    client
        .set_organization_config()
        .body(body)
        .send()
        .await
        .map_err(|e| match &source {
            Some((f, text, prefix)) => refused_file(f, text, prefix, e),
            None => e.into(),
        })?;
    Ok(Done::note(format!(
        "stored the configuration of organization {organization_id}"
    )))
}

/// Ctrl-C and SIGTERM ([`lupl_safety::signals`]). The handlers are
/// installed before this returns, so no signal is lost to the default
/// action afterwards.
pub fn interrupts() -> Result<Interrupts, Failure> {
    Interrupts::install().map_err(|e| Failure::usage(format!("cannot handle signals: {e}")))
}

/// `lupl org set-many`: rows from a file, typed by the provider, sent
/// resumably (or judged offline with `--dry-run`).
pub async fn set_many(
    ctx: &Context,
    args: &SetManyArgs,
    interrupts: Interrupts,
) -> Result<Done, Failure> {
    let format = args
        .format
        .or_else(|| Format::of(&args.file))
        .ok_or_else(|| {
            Failure::usage(format!(
                "{}: name the format with --format csv|jsonl",
                args.file.display()
            ))
        })?;
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
    if !args.dry_run {
        set_many::check_paths(
            ctx.settings.input_files(&|n| (ctx.env)(n)),
            &args.file,
            args.provider_config.as_deref(),
            &plan,
        )?;
    }
    let text = documents::read(&args.file)?;
    // The provider's declared fields type the CSV values and judge the rows.
    let needs_client = !(args.dry_run && args.provider_config.is_some());
    let client = if needs_client {
        Some(ctx.client_parts()?)
    } else {
        None
    };
    let provider = provider_of(
        args.provider_config.as_deref(),
        client.as_ref().map(|b| &b.client),
        &args.pms_id,
    )
    .await?;
    let rows = rows::parse(&args.file, &text, format, &provider)?;
    if args.dry_run {
        let problems = set_many::dry_run(args.pms_id, &rows, &provider);
        let lines: Vec<String> = problems
            .values()
            .flatten()
            .map(|p| {
                let org = p.organization_id.map(|o| o.to_string()).unwrap_or_default();
                let key = if p.key.is_empty() { "(row)" } else { &p.key };
                format!(
                    "{}:{}: {org}: {key}: {}",
                    args.file.display(),
                    p.line,
                    p.message
                )
            })
            .collect();
        let invalid = problems.len();
        return Ok(Done {
            value: Some(
                json!({"rows": rows.len(), "valid": rows.len() - invalid, "invalid": invalid}),
            ),
            note: (!lines.is_empty()).then(|| lines.join("\n")),
            code: if invalid == 0 {
                exit::OK
            } else {
                exit::REFUSED
            },
            text: None,
        });
    }
    let Some(client) = client else {
        return Err(Failure::usage("no client"));
    };
    let summary = set_many::run(
        &client.client,
        &plan,
        rows,
        interrupts,
        Some(&client.limiter),
    )
    .await?;
    let note = if summary.interrupted || summary.not_run > 0 {
        Some(format!(
            "lupl: {} row(s) not run; continue with the same command and --resume",
            summary.not_run
        ))
    } else if summary.failed > 0 {
        Some(format!(
            "lupl: {} row(s) failed; see {}",
            summary.failed, summary.results
        ))
    } else {
        None
    };
    Ok(Done {
        value: Some(serde_json::to_value(&summary).unwrap_or(Value::Null)),
        note,
        code: summary.exit_code(),
        text: None,
    })
}
