//! The checks run on every response. Each [`Finding`] names the check and
//! the clause it judges, so a run can count every clause and report each
//! broken one once. What the contract leaves open is not judged: content
//! types are compared by essence (no `charset` needed), problem bodies may
//! carry other `title`/`type`/`traceId` values and extra members, JSON is
//! compared as values (member order, white space and number spelling
//! aside), extra headers are ignored.

pub use crate::check::Check;
use crate::clauses::{Clause, Polarity};
use crate::operation::Op;
use crate::oracle::expected::{BodyExpectation, Expected, Feature, KeyExpectation};
pub use crate::wire::Received;
use lupl_spec::{SchemaCheck, Spec};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

/// One check's verdict on one clause for one response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// The clause judged.
    pub clause: Clause,
    /// The check that judged it.
    pub check: Check,
    /// Whether the request gave the clause input it accepts or refuses.
    pub polarity: Polarity,
    /// Why it failed; `None` when it held.
    pub failure: Option<String>,
}

impl Finding {
    /// A clause that held.
    pub fn held(clause: Clause, check: Check, polarity: Polarity) -> Self {
        Self {
            clause,
            check,
            polarity,
            failure: None,
        }
    }

    /// A clause that broke, and why.
    pub fn broke(clause: Clause, check: Check, polarity: Polarity, why: impl Into<String>) -> Self {
        Self {
            clause,
            check,
            polarity,
            failure: Some(why.into()),
        }
    }

    /// A verdict.
    pub fn new(
        clause: Clause,
        check: Check,
        polarity: Polarity,
        ok: bool,
        why: impl FnOnce() -> String,
    ) -> Self {
        if ok {
            Self::held(clause, check, polarity)
        } else {
            Self::broke(clause, check, polarity, why())
        }
    }
}

type Compiled = Option<Arc<SchemaCheck>>;

/// Compiled response schemas, per operation and status.
#[derive(Default)]
pub struct Schemas {
    cache: Mutex<HashMap<(Op, u16), Compiled>>,
}

impl Schemas {
    fn get(&self, op: Op, status: u16) -> Option<Arc<SchemaCheck>> {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry((op, status))
            .or_insert_with(|| {
                let spec = Spec::workspace();
                let response = spec.response(op.operation_id(), status).ok()?;
                let (media, content) = response.get("content")?.as_object()?.iter().next()?;
                let schema = content.get("schema")?;
                spec.check_for(schema, &format!("{}/{status}/{media}", op.operation_id()))
                    .ok()
                    .map(Arc::new)
            })
            .clone()
    }
}

/// The media type's essence: lower case, parameters dropped.
fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

fn abbreviate(bytes: &[u8]) -> String {
    // Secrets masked before the cut, so none is left half shown.
    let text = String::from_utf8_lossy(bytes);
    let text = lupl_safety::secrets::scrub(&text);
    if text.chars().count() > 300 {
        format!("{}…", text.chars().take(300).collect::<String>())
    } else {
        text.into_owned()
    }
}

/// Judges a response against the prediction: every finding, held or broken.
pub fn judge(op: Op, expected: &Expected, received: &Received, schemas: &Schemas) -> Vec<Finding> {
    let mut out = Vec::new();
    let status = received.status;
    out.push(Finding::new(
        Clause::RouteNo5xx,
        Check::No5xx,
        Polarity::Positive,
        status < 500,
        || format!("answered {status}"),
    ));
    status_findings(expected, received, &mut out);
    // A 404 or 405 did not reach an operation: its statuses and schemas
    // do not apply (the status check judges the route).
    let routed = expected.routed && !matches!(status, 404 | 405);
    if routed {
        let documented = Spec::workspace()
            .operation(op.operation_id())
            .is_some_and(|o| o.statuses.contains(&status));
        out.push(Finding::new(
            Clause::OpsDocumentedStatus,
            Check::Documented,
            Polarity::Positive,
            documented,
            || format!("{status} is not documented for {}", op.operation_id()),
        ));
    }
    if routed && !received.body.is_empty() && status != 401 {
        let content_type = received.header("content-type").unwrap_or_default();
        let (wanted, clause, polarity) = if matches!(status, 400 | 413 | 415) {
            (
                "application/problem+json",
                Clause::OpsProblemContentType,
                Polarity::Negative,
            )
        } else {
            (
                "application/json",
                Clause::OpsJsonContentType,
                Polarity::Positive,
            )
        };
        out.push(Finding::new(
            clause,
            Check::ContentType,
            polarity,
            essence(content_type) == wanted,
            || format!("Content-Type {content_type:?}, expected {wanted}"),
        ));
        if let Some(schema) = schemas.get(op, status) {
            let errors = match received.json() {
                Some(body) => schema.errors(&body),
                None => vec!["the body is not JSON".to_owned()],
            };
            out.push(Finding::new(
                Clause::OpsResponseSchema,
                Check::Schema,
                Polarity::Positive,
                errors.is_empty(),
                || errors.join("; "),
            ));
        }
    }
    match status {
        403 => out.push(Finding::new(
            Clause::AuthzBody,
            Check::ForbiddenBody,
            Polarity::Negative,
            received.body.is_empty() || received.json() == Some(serde_json::json!({})),
            || format!("403 body {:?}", abbreviate(&received.body)),
        )),
        401 => {
            let challenge = received.header("www-authenticate").unwrap_or_default();
            let scheme = challenge.split_whitespace().next().unwrap_or_default();
            out.push(Finding::new(
                Clause::AuthChallenge,
                Check::Challenge,
                Polarity::Negative,
                scheme.eq_ignore_ascii_case("bearer") && received.body.is_empty(),
                || {
                    format!(
                        "WWW-Authenticate {challenge:?}, body {:?} (want Bearer and no body)",
                        abbreviate(&received.body)
                    )
                },
            ));
        }
        405 => {
            let allow = received.header("allow").unwrap_or_default();
            let methods = received.allow_methods().unwrap_or_default();
            let want: BTreeSet<String> = ["GET".to_owned(), "POST".to_owned()].into();
            out.push(Finding::new(
                Clause::RouteMethod,
                Check::Allow,
                Polarity::Negative,
                methods == want,
                || format!("Allow {allow:?}, expected GET, POST"),
            ));
        }
        _ => {}
    }
    if status == 400 && expected.status == 400 {
        error_findings(expected, received, &mut out);
    }
    if status == 200
        && expected.status == 200
        && let Some(body) = &expected.body
    {
        round_trip_findings(body, received, &mut out);
    }
    out
}

/// The clauses a wrong answer is the fault of: the accepted variations
/// whose stage would answer this way (the most specific ones), else none.
fn blame<'a>(features: &'a [Feature], received: &Received) -> Vec<&'a Feature> {
    let keys = received.error_keys().unwrap_or_default();
    let explains = |f: &&Feature| {
        f.statuses.contains(&received.status)
            || (received.status == 400 && f.keys.iter().any(|k| keys.contains(k)))
    };
    let explaining: Vec<&Feature> = features.iter().filter(explains).collect();
    let best = explaining.iter().map(|f| f.rank).min();
    explaining
        .into_iter()
        .filter(|f| Some(f.rank) == best)
        .collect()
}

fn status_findings(expected: &Expected, received: &Received, out: &mut Vec<Finding>) {
    let polarity = if expected.status == 200 {
        Polarity::Positive
    } else {
        Polarity::Negative
    };
    if received.status == expected.status {
        out.push(Finding::held(
            expected.status_clause,
            Check::Status,
            polarity,
        ));
        for f in &expected.features {
            out.push(Finding::held(f.clause, Check::Status, Polarity::Positive));
        }
        return;
    }
    let why = format!(
        "expected {}, got {} {}",
        expected.summary(),
        received.status,
        abbreviate(&received.body)
    );
    let blamed = blame(&expected.features, received);
    if blamed.is_empty() {
        out.push(Finding::broke(
            expected.status_clause,
            Check::Status,
            polarity,
            why,
        ));
    } else {
        let mut seen = BTreeSet::new();
        for f in blamed {
            if seen.insert(f.clause) {
                out.push(Finding::broke(
                    f.clause,
                    Check::Status,
                    Polarity::Positive,
                    why.clone(),
                ));
            }
        }
    }
}

fn error_findings(expected: &Expected, received: &Received, out: &mut Vec<Finding>) {
    let errors = received.json().and_then(|b| b.get("errors").cloned());
    let shape_ok = errors.as_ref().and_then(Value::as_object).is_some_and(|m| {
        m.values()
            .all(|v| v.as_array().is_some_and(|a| a.iter().all(Value::is_string)))
    });
    let first = expected
        .errors
        .first()
        .map_or(expected.status_clause, |(_, e)| e.clause);
    if !shape_ok {
        out.push(Finding::broke(
            first,
            Check::ErrorKeys,
            Polarity::Negative,
            format!(
                "errors is {}, not an object of string arrays",
                errors.map_or("missing".to_owned(), |e| e.to_string())
            ),
        ));
        return;
    }
    let errors = errors
        .as_ref()
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let got: BTreeSet<&str> = errors.keys().map(String::as_str).collect();
    // An expectation is met by its key or one of the alternatives.
    let present = |(key, e): &(String, KeyExpectation)| -> Option<String> {
        e.keys(key).find(|k| got.contains(k)).map(str::to_owned)
    };
    let allowed: BTreeSet<&str> = expected
        .errors
        .iter()
        .flat_map(|(k, e)| e.keys(k))
        .collect();
    let missing: Vec<&str> = expected
        .errors
        .iter()
        .filter(|x| present(x).is_none())
        .map(|(k, _)| k.as_str())
        .collect();
    let described = || format!("errors {}", Value::Object(errors.clone()));
    let partial = !missing.is_empty() && missing.len() < expected.errors.len();
    match expected.all_at_once {
        Some(all) if partial => {
            out.push(Finding::broke(
                all,
                Check::ErrorKeys,
                Polarity::Negative,
                format!("{} lack {missing:?}", described()),
            ));
        }
        Some(all) => out.push(Finding::held(all, Check::ErrorKeys, Polarity::Negative)),
        None => {}
    }
    let partial = expected.all_at_once.is_some() && partial;
    for x in &expected.errors {
        let (key, e) = x;
        let found = present(x);
        if found.is_some() || !partial {
            out.push(Finding::new(
                e.clause,
                Check::ErrorKeys,
                Polarity::Negative,
                found.is_some(),
                || {
                    let also = if e.or.is_empty() {
                        String::new()
                    } else {
                        format!(" (or {:?})", e.or)
                    };
                    format!("{} lack {key:?}{also}", described())
                },
            ));
        }
        if let (false, Some(found)) = (e.messages.is_empty(), &found) {
            let messages = errors[found.as_str()]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let matches = |m: &Value| {
                m.as_str()
                    .is_some_and(|m| e.messages.iter().any(|w| w == m))
            };
            out.push(Finding::new(
                e.clause,
                Check::ErrorMessage,
                Polarity::Negative,
                messages.iter().any(matches),
                || {
                    format!(
                        "errors[{found:?}] is {messages:?}, expected {:?}",
                        e.messages[0]
                    )
                },
            ));
        }
    }
    for extra in got.difference(&allowed) {
        let (owner, polarity) = expected
            .features
            .iter()
            .find(|f| f.keys.iter().any(|k| k == extra))
            .map_or((first, Polarity::Negative), |f| {
                (f.clause, Polarity::Positive)
            });
        out.push(Finding::broke(
            owner,
            Check::ErrorKeys,
            polarity,
            format!(
                "{} hold {extra:?}, which the request does not break",
                described()
            ),
        ));
    }
}

fn round_trip_findings(body: &BodyExpectation, received: &Received, out: &mut Vec<Finding>) {
    let Some(got) = received.json() else {
        out.push(Finding::broke(
            Clause::StoreExact,
            Check::RoundTrip,
            Polarity::Positive,
            format!("the body is not JSON: {}", abbreviate(&received.body)),
        ));
        return;
    };
    let refused = body.refused.iter().find(|(v, _)| same_json(v, &got));
    let Some(want) = &body.value else {
        // The case reads before it predicts; only a refused write showing
        // is wrong.
        if let Some((_, clause)) = refused {
            out.push(Finding::broke(
                *clause,
                Check::RoundTrip,
                Polarity::Negative,
                format!("a refused write was stored: read back {got}"),
            ));
        }
        return;
    };
    if same_json(want, &got) {
        out.push(Finding::held(
            Clause::StoreExact,
            Check::RoundTrip,
            Polarity::Positive,
        ));
        for (_, clause) in &body.notes {
            out.push(Finding::held(*clause, Check::RoundTrip, Polarity::Positive));
        }
        for (_, clause) in &body.refused {
            out.push(Finding::held(*clause, Check::RoundTrip, Polarity::Negative));
        }
        return;
    }
    let why = format!("stored {want}, read back {got}");
    if let Some((_, clause)) = refused {
        out.push(Finding::broke(
            *clause,
            Check::RoundTrip,
            Polarity::Negative,
            format!("a refused write was stored: {why}"),
        ));
        return;
    }
    let mut blamed = BTreeSet::new();
    for path in diff_paths(want, &got) {
        let clause = body
            .notes
            .iter()
            .filter(|(prefix, _)| path.starts_with(prefix.as_str()))
            .max_by_key(|(prefix, _)| prefix.len())
            .map_or(Clause::StoreExact, |(_, c)| *c);
        blamed.insert(clause);
    }
    // Nothing the stored value exercises explains it, and only refused
    // writes came between the known value and this read.
    if blamed.iter().all(|c| *c == Clause::StoreExact) && !body.refused.is_empty() {
        for clause in body
            .refused
            .iter()
            .map(|(_, c)| *c)
            .collect::<BTreeSet<_>>()
        {
            out.push(Finding::broke(
                clause,
                Check::RoundTrip,
                Polarity::Negative,
                format!("changed after a refused write: {why}"),
            ));
        }
        return;
    }
    if blamed.is_empty() {
        blamed.insert(Clause::StoreExact);
    }
    for clause in blamed {
        out.push(Finding::broke(
            clause,
            Check::RoundTrip,
            Polarity::Positive,
            why.clone(),
        ));
    }
}

/// A uuid in any spelling CONTRACT.md accepts, as lower-case hyphenated.
pub fn canonical_id(value: &Value) -> Option<String> {
    let text = value.as_str()?;
    if !crate::oracle::is_uuid_by_contract(text) {
        return None;
    }
    let hex: String = text.chars().filter(char::is_ascii_hexdigit).collect();
    uuid::Uuid::parse_str(&hex)
        .ok()
        .map(|u| u.hyphenated().to_string())
}

/// Equal as JSON values: objects without regard to member order, numbers
/// by value, and the top-level `organizationId`/`pmsId` as uuids.
pub fn same_json(a: &Value, b: &Value) -> bool {
    diff_paths(a, b).is_empty()
}

/// The JSON pointers where `a` and `b` differ (see [`same_json`]).
pub fn diff_paths(a: &Value, b: &Value) -> Vec<String> {
    let mut out = Vec::new();
    diff_at("", a, b, &mut out);
    out
}

fn diff_at(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for key in keys {
                let p = lupl_spec::pointer::join(path, key);
                match (x.get(key), y.get(key)) {
                    (Some(u), Some(v))
                        if path.is_empty()
                            && (key == "organizationId" || key == "pmsId")
                            && canonical_id(u).is_some()
                            && canonical_id(u) == canonical_id(v) => {}
                    (Some(u), Some(v)) => diff_at(&p, u, v, out),
                    _ => out.push(p),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                diff_at(&format!("{path}/{i}"), u, v, out);
            }
            for i in x.len().min(y.len())..x.len().max(y.len()) {
                out.push(format!("{path}/{i}"));
            }
        }
        (Value::Number(x), Value::Number(y)) => {
            let same = match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
                (Some(i), Some(j), _, _) => i == j,
                (_, _, Some(i), Some(j)) => i == j,
                _ => x.as_f64() == y.as_f64(),
            };
            if !same {
                out.push(path.to_owned());
            }
        }
        _ => {
            if a != b {
                out.push(path.to_owned());
            }
        }
    }
}
