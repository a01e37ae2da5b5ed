//! Exchanges: what the harness sent and what came back, with the
//! prediction and the verdicts. They are a failure's evidence, and
//! `--record FILE` writes every one of a run as NDJSON (one JSON object per
//! line, tokens masked) for a user to attach to a report.

use conformance_core::cases::Step;
use conformance_core::checks::Finding;
use conformance_core::compare::ModelAnswer;
use conformance_core::oracle::Expected;
use conformance_core::wire::{RawRequest, Received};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

/// Which part of a run an exchange belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Reading the target's configurations before the first write.
    Setup,
    /// One case per generator and operation.
    Directed,
    /// Random mixes of generators and variations.
    Mixed,
    /// A failing case run again, to see that it reproduces.
    Replay,
    /// Smaller versions of a failing case.
    Shrink,
    /// The throttling phase.
    Throttling,
    /// A 429 outside the throttling phase, waited out.
    Wait,
    /// Putting the configurations read at the start back.
    Restore,
}

/// Where in a run an exchange happens: its phase, its case's number in
/// the phase (0 outside cases), and what made it.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    /// The phase.
    pub phase: Phase,
    /// The case's number in its phase.
    pub case: u64,
    /// The generator, or why the harness sent it.
    pub label: &'a str,
}

/// One request and its answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Exchange {
    /// The phase.
    pub phase: Phase,
    /// The case's number in its phase (0 outside cases).
    pub case: u64,
    /// What made it: the generator, or why the harness sent it.
    pub label: String,
    /// The step, when a case's step (not a read the case needed first).
    pub step: Option<Step>,
    /// The request (the `Authorization` value masked once recorded).
    pub request: RawRequest,
    /// The answer, or why there was none.
    pub response: Result<Received, String>,
    /// The prediction, when the exchange was judged.
    pub expected: Option<Expected>,
    /// The verdicts.
    pub findings: Vec<Finding>,
    /// Seconds since the run started, when the request left.
    pub at: f64,
    /// How long the answer took, in milliseconds.
    pub millis: f64,
    /// With `--compare-model`: the model's answer to the same request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelAnswer>,
}

impl Exchange {
    /// An exchange the harness made for itself (a setup read, a waited
    /// 429, a restore) and did not judge; `(at, took)`: when it left, in
    /// seconds of the run, and how long the answer took.
    pub fn unjudged(
        phase: Phase,
        case: u64,
        label: String,
        request: RawRequest,
        response: Received,
        (at, took): (f64, std::time::Duration),
    ) -> Self {
        Exchange {
            phase,
            case,
            label,
            step: None,
            request,
            response: Ok(response),
            expected: None,
            findings: Vec::new(),
            at,
            millis: took.as_secs_f64() * 1e3,
            model: None,
        }
    }

    /// The findings that broke.
    pub fn broken(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.failure.is_some())
    }

    /// A copy whose credentials are masked: the `Authorization` value,
    /// and a token in another carrier (any other header, an
    /// `access_token` query parameter).
    pub fn masked(&self) -> Exchange {
        let mut e = self.clone();
        e.request.authorization = e.request.authorization.as_deref().map(mask);
        for (_, value) in &mut e.request.headers {
            *value = lupl_safety::secrets::mask(value);
        }
        e.request.path_and_query = mask_query_token(&e.request.path_and_query);
        e
    }
}

/// An `Authorization` value with its credential masked
/// ([`lupl_safety::secrets::mask_authorization`]: a short one wholly).
pub fn mask(authorization: &str) -> String {
    lupl_safety::secrets::mask_authorization(authorization)
}

/// `path_and_query` with an `access_token` parameter's value masked.
pub(crate) fn mask_query_token(path_and_query: &str) -> String {
    replace_query_token(path_and_query, lupl_safety::secrets::mask)
}

/// `path_and_query` with an `access_token` parameter's value left out:
/// two requests that differ only in the token compare equal.
pub(crate) fn without_query_token(path_and_query: &str) -> String {
    replace_query_token(path_and_query, |_| String::new())
}

fn replace_query_token(path_and_query: &str, replace: impl Fn(&str) -> String) -> String {
    let Some((path, query)) = path_and_query.split_once('?') else {
        return path_and_query.to_owned();
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) if name.eq_ignore_ascii_case("access_token") => {
                format!("{name}={}", replace(value))
            }
            _ => pair.to_owned(),
        })
        .collect();
    format!("{path}?{}", query.join("&"))
}

/// Quotes `text` for a POSIX shell.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// The request as a `curl` command (token masked).
pub fn curl(base_url: &str, request: &RawRequest) -> String {
    let mut out = format!(
        "curl -i -X {} {}",
        request.method,
        shell_quote(&format!(
            "{base_url}{}",
            mask_query_token(&request.path_and_query)
        ))
    );
    if let Some(a) = &request.authorization {
        out.push_str(&format!(
            " -H {}",
            shell_quote(&format!("Authorization: {}", mask(a)))
        ));
    }
    if let Some(ct) = &request.content_type {
        out.push_str(&format!(
            " -H {}",
            shell_quote(&format!("Content-Type: {ct}"))
        ));
    }
    for (name, value) in &request.headers {
        out.push_str(&format!(
            " -H {}",
            shell_quote(&format!("{name}: {}", lupl_safety::secrets::mask(value)))
        ));
    }
    if request.method != "GET" || !request.body.is_empty() {
        out.push_str(&format!(
            " --data-raw {}",
            shell_quote(&String::from_utf8_lossy(&request.body))
        ));
    }
    out
}

/// One line of a recording.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Line {
    /// The first line: what was checked.
    Run {
        /// The recording format.
        version: u32,
        /// The seed.
        seed: u64,
        /// The base URL (the built-in model's is a loopback port).
        base_url: String,
        /// The identities' ids, in order (tokens are never recorded).
        identities: Vec<(uuid::Uuid, uuid::Uuid)>,
        /// Another tenant's provider and organization, when given.
        foreign: (Option<uuid::Uuid>, Option<uuid::Uuid>),
        /// A registered provider without a configuration, when the target
        /// has one.
        #[serde(default)]
        unconfigured_pms: Option<uuid::Uuid>,
    },
    /// An exchange.
    Exchange(Box<Exchange>),
}

/// Writes a run's exchanges as NDJSON.
pub struct Recorder {
    out: Mutex<std::io::BufWriter<std::fs::File>>,
    /// The new file, until the recording replaces its path.
    pending: Mutex<Option<lupl_safety::paths::Replacement>>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder").finish_non_exhaustive()
    }
}

impl Recorder {
    /// Starts a recording for `path`: written to a new file beside it,
    /// which replaces `path` on [`Recorder::flush`] (the run's end). A run
    /// that ends early leaves `path` as it was.
    pub fn create(path: &Path) -> std::io::Result<Self> {
        let mut pending = lupl_safety::paths::Replacement::new(path)?;
        let file = pending.file().try_clone()?;
        Ok(Self {
            out: Mutex::new(std::io::BufWriter::new(file)),
            pending: Mutex::new(Some(pending)),
        })
    }

    /// Writes one line.
    pub fn write(&self, line: &Line) -> std::io::Result<()> {
        let line = match line {
            Line::Exchange(e) => Line::Exchange(Box::new(e.masked())),
            other => other.clone(),
        };
        // Masked by value too: a target that echoes a token (in a header,
        // in a body) cannot get it into the recording.
        let text = serde_json::to_string(&line)?;
        let text = lupl_safety::secrets::scrub(&text);
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        out.write_all(text.as_bytes())?;
        out.write_all(b"\n")
    }

    /// Flushes what was written and puts the recording in its place.
    pub fn flush(&self) -> std::io::Result<()> {
        self.out.lock().unwrap_or_else(|e| e.into_inner()).flush()?;
        match self
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            Some(pending) => pending.commit(),
            None => Ok(()),
        }
    }
}

/// The longest line a recording may hold: an exchange with the largest
/// body the harness reads (4 MiB), escaped, and its model answer.
pub const MAX_LINE: usize = 64 * 1024 * 1024;

/// A recording's lines, read one at a time (a recording is never held
/// whole): each line at most [`MAX_LINE`] bytes, blank lines skipped.
pub struct Lines {
    reader: std::io::BufReader<std::fs::File>,
    path: String,
    number: usize,
}

impl std::fmt::Debug for Lines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lines")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Opens a recording. Only a regular file is read: a device (`/dev/zero`
/// would never end) or a pipe (with no writer, opening it would block) is
/// refused before it is opened.
pub fn open(path: &Path) -> std::io::Result<Lines> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file (a recording is a file that --record wrote)",
        ));
    }
    Ok(Lines {
        reader: std::io::BufReader::new(std::fs::File::open(path)?),
        path: path.display().to_string(),
        number: 0,
    })
}

impl Iterator for Lines {
    type Item = std::io::Result<Line>;

    fn next(&mut self) -> Option<Self::Item> {
        use std::io::{BufRead, Read};
        loop {
            self.number += 1;
            let mut buf = Vec::new();
            // One byte more than a line may hold tells a line too long.
            let read =
                Read::take(&mut self.reader, MAX_LINE as u64 + 1).read_until(b'\n', &mut buf);
            match read {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => return Some(Err(e)),
            }
            let invalid = |message: String| {
                Some(Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{}:{}: {message}", self.path, self.number),
                )))
            };
            if buf.len() > MAX_LINE {
                return invalid(format!(
                    "a line longer than {} MiB: not a recording",
                    MAX_LINE / (1024 * 1024)
                ));
            }
            if buf.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return match serde_json::from_slice(&buf) {
                Ok(line) => Some(Ok(line)),
                Err(e) => invalid(e.to_string()),
            };
        }
    }
}

/// Reads a whole recording ([`open`], collected).
pub fn read(path: &Path) -> std::io::Result<Vec<Line>> {
    open(path)?.collect()
}
