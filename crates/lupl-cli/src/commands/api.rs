//! `lupl api METHOD PATH`: any request, with the configured environment,
//! credentials, rate limit and retries, as `gh api` and `oxide api` do: an
//! operation Lupl adds tomorrow is reachable before `lupl` knows it.

use crate::cli::ApiArgs;
use crate::context::Context;
use crate::documents;
use crate::failure::{Failure, exit};
use crate::output::Done;
use lupl_api::reqwest::{self, Method, header};
use lupl_api::{Environment, Middleware};
use serde_json::{Map, Value};
use std::io::{IsTerminal, Write};

/// The operation id the middleware sees for `lupl api` requests.
const OPERATION: &str = "lupl.api";

/// A method as typed: `get`, `POST`, … (any token HTTP allows).
///
/// ```
/// assert_eq!(lupl_cli::commands::method("post"), Ok(lupl_api::reqwest::Method::POST));
/// assert!(lupl_cli::commands::method("no such").is_err());
/// ```
pub fn method(text: &str) -> Result<Method, String> {
    Method::from_bytes(text.to_ascii_uppercase().as_bytes())
        .map_err(|_| format!("{text:?} is not an HTTP method (GET, POST, PUT, PATCH, DELETE, …)"))
}

/// `-F key=value`: `true`, `false`, `null`, a number, or JSON (an object
/// or array) as such; anything else a string.
fn typed(raw: &str) -> Value {
    match serde_json::from_str::<Value>(raw) {
        Ok(
            v @ (Value::Bool(_)
            | Value::Null
            | Value::Number(_)
            | Value::Object(_)
            | Value::Array(_)),
        ) => v,
        _ => Value::String(raw.to_owned()),
    }
}

fn pairs(args: &ApiArgs) -> Result<Map<String, Value>, Failure> {
    let mut out = Map::new();
    let raw = args.raw_fields.iter().map(|kv| (kv, false));
    for (kv, is_typed) in raw.chain(args.fields.iter().map(|kv| (kv, true))) {
        let (key, value) = kv
            .split_once('=')
            .filter(|(k, _)| !k.is_empty())
            .ok_or_else(|| Failure::usage(format!("{kv:?}: expected KEY=VALUE")))?;
        let value = if is_typed {
            typed(value)
        } else {
            Value::String(value.to_owned())
        };
        // A second value for a key would silently win (an
        // organizationId, say): refused instead.
        if out.insert(key.to_owned(), value).is_some() {
            return Err(Failure::usage(format!("{key}: given twice")));
        }
    }
    Ok(out)
}

/// `lupl api`.
pub async fn api(
    ctx: &Context,
    args: &ApiArgs,
    mut interrupts: lupl_safety::signals::Interrupts,
) -> Result<Done, Failure> {
    if !args.path.starts_with('/') || args.path.starts_with("//") {
        return Err(Failure::usage(format!(
            "{:?}: give a path from / (e.g. /api/1.0/pms/providerconfig?pmsId=…); the base URL comes from the settings, so the token never goes to another host",
            args.path
        )));
    }
    let built = ctx.client_parts()?;
    let base = built.client.base_url().to_owned();
    let mut url: reqwest::Url = format!("{base}{}", args.path)
        .parse()
        .map_err(|e| Failure::usage(format!("{:?}: not a path: {e}", args.path)))?;
    let base_url: reqwest::Url = base
        .parse()
        .map_err(|e| Failure::usage(format!("{base}: {e}")))?;
    if url.origin() != base_url.origin() {
        return Err(Failure::usage(format!(
            "{:?} leaves {base}: refused",
            args.path
        )));
    }
    let fields = pairs(args)?;
    let has_body = !matches!(args.method, Method::GET | Method::HEAD | Method::DELETE);
    let body: Option<Vec<u8>> = match &args.input {
        Some(path) => Some(documents::read(path)?.into_bytes()),
        None if has_body && !fields.is_empty() => {
            Some(Value::Object(fields).to_string().into_bytes())
        }
        None => {
            // A read's fields are its query.
            for (key, value) in &fields {
                let text = match value {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                url.query_pairs_mut().append_pair(key, &text);
            }
            None
        }
    };
    let mut request = reqwest::Request::new(args.method.clone(), url);
    let headers = request.headers_mut();
    headers.insert(
        header::ACCEPT,
        header::HeaderValue::from_static("application/json"),
    );
    if let Ok(version) = header::HeaderValue::from_str(lupl_api::Client::api_version()) {
        headers.insert("api-version", version);
    }
    if let Some(body) = body {
        headers.insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/json"),
        );
        *request.body_mut() = Some(body.into());
    }
    let http = Environment::http_client()?;
    let sent = async {
        built
            .middleware
            .before(&mut request, OPERATION)
            .await
            .map_err(|e| match e.downcast::<lupl_auth::AuthError>() {
                Ok(auth) => Failure::from(*auth),
                Err(other) => Failure::auth(other.to_string()),
            })?;
        Ok::<_, Failure>(built.middleware.execute(&http, request, OPERATION).await)
    };
    // Ctrl-C or SIGTERM (a token request or a 429's wait can be long):
    // stop, and say what may have happened.
    let answered = tokio::select! {
        answered = sent => answered?,
        Some(_) = interrupts.recv() => {
            built.limiter.stop_waiting();
            return Err(Failure::new(
                exit::INTERRUPTED,
                "interrupted; the request may or may not have reached the API: read the resource before sending it again",
            ));
        }
    };
    let response = answered.map_err(|e| {
        let builder = e.is_builder();
        let cause = lupl_api::causes(&e.without_url());
        if builder {
            // Never sent: the request itself cannot be made (a path too
            // long for a URI, say).
            Failure::usage(format!("cannot send that request: {cause}"))
        } else {
            Failure::new(exit::NETWORK, format!("no answer from {base}: {cause}"))
        }
    })?;
    let status = response.status();
    let mut head = format!("{:?} {status}\n", response.version());
    for (name, value) in response.headers() {
        head.push_str(&format!(
            "{name}: {}\n",
            String::from_utf8_lossy(value.as_bytes())
        ));
    }
    let bytes = response.bytes().await.map_err(|e| {
        Failure::new(
            exit::NETWORK,
            format!("the answer was cut: {}", e.without_url()),
        )
    })?;
    let json = serde_json::from_slice::<Value>(&bytes).ok();
    let code = match status.as_u16() {
        200..=299 => exit::OK,
        401 => exit::AUTH,
        300..=399 | 429 | 500..=599 => exit::NETWORK,
        _ => exit::REFUSED,
    };
    let note = (code != exit::OK).then(|| {
        let trace = crate::debug::trace_id(&bytes)
            .map(|t| format!(" (traceId {t})"))
            .unwrap_or_default();
        format!("lupl: {} {status}{trace}", args.method)
    });
    let shown_body = match (&json, std::str::from_utf8(&bytes)) {
        (Some(value), _) => ctx.render(value),
        // Text as it came, but a terminal never gets a server's escapes.
        (None, Ok(text)) if std::io::stdout().is_terminal() => {
            lupl_safety::text::for_terminal(text, true)
        }
        (None, Ok(text)) => text.to_owned(),
        // Bytes that are not text go out as they came, to a pipe or file.
        (None, Err(_)) if !args.include && !std::io::stdout().is_terminal() => {
            let mut out = std::io::stdout().lock();
            out.write_all(&lupl_safety::secrets::scrub_bytes(&bytes))
                .and_then(|()| out.flush())
                .map_err(|e| Failure::usage(format!("cannot write the answer: {e}")))?;
            String::new()
        }
        (None, Err(_)) => format!(
            "({} bytes that are not text; redirect stdout to a file to keep them)",
            bytes.len()
        ),
    };
    // An answer that echoes a secret shows it masked, as every output does.
    let shown_body = lupl_safety::secrets::scrub(&shown_body).into_owned();
    let text = if args.include {
        // A header can echo a secret too.
        format!("{}\n{shown_body}", lupl_safety::secrets::scrub(&head))
    } else {
        shown_body
    };
    Ok(Done {
        value: None,
        text: (!text.is_empty()).then_some(text),
        note,
        code,
    })
}
