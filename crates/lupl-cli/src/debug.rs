//! `lupl --debug`: every request the client sends, as a `curl` line that
//! reproduces it when pasted into a shell (the token as `$LUPL_TOKEN`,
//! never its value), then its answer: status, `traceId`, body.

use lupl_api::reqwest::{self, StatusCode, header::HeaderMap};
use std::io::Write;

/// Prints curl lines and answers on stderr.
#[derive(Debug, Default)]
pub struct CurlLines;

/// The most body bytes shown per request or answer.
const SHOWN: usize = 4096;

/// `text` inside single quotes for a POSIX shell, on one line: text with
/// control characters (a pretty-printed body's newlines) goes through
/// `printf '%b'`, which gives them back.
///
/// ```
/// assert_eq!(lupl_cli::debug::quoted("it's"), r"'it'\''s'");
/// assert_eq!(lupl_cli::debug::quoted("a\nb"), r#""$(printf '%b' 'a\0012b')""#);
/// ```
pub fn quoted(text: &str) -> String {
    let single = |t: &str| format!("'{}'", t.replace('\'', r"'\''"));
    if !text.chars().any(char::is_control) {
        return single(text);
    }
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => escaped.push_str(r"\\"),
            // `\0NNN`: one byte in octal, each byte of the character.
            c if c.is_control() => {
                for byte in c.to_string().bytes() {
                    escaped.push_str(&format!("\\0{byte:03o}"));
                }
            }
            c => escaped.push(c),
        }
    }
    format!("\"$(printf '%b' {})\"", single(&escaped))
}

/// The curl command that sends `request` again. The bearer token is
/// `$LUPL_TOKEN`; every other registered secret is masked.
///
/// ```
/// use lupl_api::reqwest::{Method, Request, header::{AUTHORIZATION, HeaderValue}};
/// let mut request = Request::new(Method::GET, "http://127.0.0.1:8080/api/x?a=1".parse()?);
/// request.headers_mut().insert(AUTHORIZATION, HeaderValue::from_static("Bearer tok-secret"));
/// let line = lupl_cli::debug::curl(&request);
/// assert_eq!(line, r#"curl -sS -X GET 'http://127.0.0.1:8080/api/x?a=1' -H "Authorization: Bearer $LUPL_TOKEN""#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn curl(request: &reqwest::Request) -> String {
    // HEAD: `-I`, or curl waits for a body that never comes.
    let method = if request.method() == reqwest::Method::HEAD {
        "-I".to_owned()
    } else {
        format!("-X {}", request.method())
    };
    let mut line = format!("curl -sS {method} {}", quoted(request.url().as_str()));
    for (name, value) in request.headers() {
        match name.as_str() {
            "authorization" => line.push_str(r#" -H "Authorization: Bearer $LUPL_TOKEN""#),
            "host" | "content-length" | "user-agent" => {}
            name => {
                let value = String::from_utf8_lossy(value.as_bytes());
                line.push_str(&format!(" -H {}", quoted(&format!("{name}: {value}"))));
            }
        }
    }
    if let Some(body) = request.body().and_then(|b| b.as_bytes()) {
        line.push_str(&format!(
            " --data-raw {}",
            quoted(&String::from_utf8_lossy(body))
        ));
    }
    lupl_safety::secrets::scrub(&line).into_owned()
}

/// The `traceId` of an answer's JSON body, if it has one.
///
/// ```
/// let body = br#"{"status": 400, "traceId": "00-abc-def-00"}"#;
/// assert_eq!(lupl_cli::debug::trace_id(body).as_deref(), Some("00-abc-def-00"));
/// assert_eq!(lupl_cli::debug::trace_id(b"null"), None);
/// ```
pub fn trace_id(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value.get("traceId")?.as_str().map(str::to_owned)
}

fn say(line: &str) {
    let line = lupl_safety::text::for_terminal(&lupl_safety::secrets::scrub(line), false);
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

impl lupl_auth::Observer for CurlLines {
    fn sent(&self, request: &reqwest::Request) {
        say(&format!("lupl: > {}", curl(request)));
    }

    fn answered(&self, status: StatusCode, _: &HeaderMap, body: &[u8]) {
        let trace = trace_id(body)
            .map(|t| format!(" traceId {t}"))
            .unwrap_or_default();
        let shown = &body[..body.len().min(SHOWN)];
        let more = if body.len() > SHOWN { " …" } else { "" };
        say(&format!(
            "lupl: < {}{trace} {}{more}",
            status.as_u16(),
            String::from_utf8_lossy(shown)
        ));
    }

    fn failed(&self, error: &reqwest::Error) {
        // The URL is on the request's line already.
        say(&format!("lupl: < no answer: {}", lupl_api::causes(error)));
    }
}
