//! Exchanges: what the harness sent and what came back, with the
//! prediction and the verdicts. They are a failure's evidence, and
//! `--record FILE` writes every one of a run as NDJSON (one JSON object per
//! line, tokens masked) for a user to attach to a report.

use crate::cases::Step;
use crate::checks::{Finding, Received};
use crate::oracle::{Expected, RawRequest};
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
    pub model: Option<crate::compare::ModelAnswer>,
}

impl Exchange {
    /// The findings that broke.
    pub fn broken(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.failure.is_some())
    }

    /// A copy whose `Authorization` value is masked.
    pub fn masked(&self) -> Exchange {
        let mut e = self.clone();
        e.request.authorization = e.request.authorization.as_deref().map(mask);
        e
    }
}

/// An `Authorization` value with all but the scheme and four characters of
/// the credential hidden.
pub fn mask(authorization: &str) -> String {
    match authorization.split_once(' ') {
        Some((scheme, token)) => {
            let shown: String = token.chars().take(4).collect();
            format!("{scheme} {shown}…")
        }
        None => "…".to_owned(),
    }
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
        shell_quote(&format!("{base_url}{}", request.path_and_query))
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
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder").finish_non_exhaustive()
    }
}

impl Recorder {
    /// Creates (or truncates) `path`.
    pub fn create(path: &Path) -> std::io::Result<Self> {
        Ok(Self {
            out: Mutex::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
        })
    }

    /// Writes one line.
    pub fn write(&self, line: &Line) -> std::io::Result<()> {
        let line = match line {
            Line::Exchange(e) => Line::Exchange(Box::new(e.masked())),
            other => other.clone(),
        };
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        serde_json::to_writer(&mut *out, &line)?;
        out.write_all(b"\n")
    }

    /// Flushes what was written.
    pub fn flush(&self) -> std::io::Result<()> {
        self.out.lock().unwrap_or_else(|e| e.into_inner()).flush()
    }
}

/// Reads a recording.
pub fn read(path: &Path) -> std::io::Result<Vec<Line>> {
    let text = std::fs::read_to_string(path)?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{}:{}: {e}", path.display(), i + 1),
                )
            })
        })
        .collect()
}

/// Bodies in recordings: the text when it is UTF-8, else `{"base64": …}`.
pub mod body_text {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Repr {
        Text(String),
        Binary { base64: String },
    }

    /// Serializes a body.
    pub fn serialize<S: Serializer>(body: &[u8], s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(body) {
            Ok(text) => Repr::Text(text.to_owned()),
            Err(_) => Repr::Binary {
                base64: base64::engine::general_purpose::STANDARD.encode(body),
            },
        }
        .serialize(s)
    }

    /// Deserializes a body.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        match Repr::deserialize(d)? {
            Repr::Text(text) => Ok(text.into_bytes()),
            Repr::Binary { base64 } => base64::engine::general_purpose::STANDARD
                .decode(base64)
                .map_err(serde::de::Error::custom),
        }
    }
}
