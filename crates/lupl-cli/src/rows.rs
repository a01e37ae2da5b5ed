//! The rows of a `set-many` file: one organization each, from CSV (a header
//! `organizationId,<field key>,…`, values typed by the provider's declared
//! field types) or JSON Lines (`{"organizationId": …, "fields": {…}}`).

use crate::failure::Failure;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::Path;
use uuid::Uuid;

/// The file formats `set-many` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

impl Format {
    /// The format a file's extension names (`.csv`, `.jsonl`, `.ndjson`).
    pub fn of(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            _ => None,
        }
    }
}

/// One organization to configure.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The line of the file the row starts on (1-based; a CSV header is 1).
    pub line: usize,
    /// The organization.
    pub organization_id: Uuid,
    /// Its fields, typed.
    pub fields: Map<String, Value>,
    /// The provider a JSON Lines row names (a backup's rows do): it must
    /// be the run's `--pms-id`.
    pub pms_id: Option<Uuid>,
}

/// Why a row cannot be sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ProblemKind {
    /// Its content breaks a rule, or cannot be read or typed.
    #[default]
    Invalid,
    /// A backup's row of an organization that had no configuration: the
    /// API cannot store `null`, so it cannot be put back.
    WasNull,
    /// A backup's row of another provider than the run's `--pms-id`.
    OtherProvider,
}

/// A row that cannot be sent as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    /// The line the row starts on.
    pub line: usize,
    /// The organization, when it could be read.
    pub organization_id: Option<Uuid>,
    /// The error key, as the server would name it (`organizationId`,
    /// `fields.firmCode`) or `""` for the row as a whole.
    pub key: String,
    /// What is wrong.
    pub message: String,
    /// Why it cannot be sent.
    pub kind: ProblemKind,
}

/// A file's rows: the good ones and the ones that cannot be sent.
#[derive(Debug, Default)]
pub struct Rows {
    /// Rows to send.
    pub rows: Vec<Row>,
    /// Rows that cannot be sent as written, by line.
    pub problems: Vec<RowProblem>,
}

impl Rows {
    /// How many rows the file has.
    pub fn len(&self) -> usize {
        self.rows.len()
            + self
                .problems
                .iter()
                .map(|p| p.line)
                .collect::<std::collections::BTreeSet<_>>()
                .len()
    }

    /// True for a file without rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The declared type of each of the provider's fields, by key.
pub fn declared_types(provider: &Value) -> HashMap<String, String> {
    provider["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| {
            Some((
                f["key"].as_str()?.to_owned(),
                f["type"].as_str()?.to_owned(),
            ))
        })
        .collect()
}

/// Reads `text` as `format`. A row that cannot be read becomes a
/// [`RowProblem`]; a file whose header or layout is unusable, or that names
/// an organization twice, is a usage [`Failure`].
pub fn parse(path: &Path, text: &str, format: Format, provider: &Value) -> Result<Rows, Failure> {
    let rows = match format {
        Format::Csv => csv_rows(path, text, &declared_types(provider))?,
        Format::Jsonl => jsonl_rows(text),
    };
    let mut first: HashMap<Uuid, usize> = HashMap::new();
    for row in &rows.rows {
        if let Some(earlier) = first.insert(row.organization_id, row.line) {
            return Err(Failure::usage(format!(
                "{}: organization {} is on lines {earlier} and {}; give each organization one row",
                path.display(),
                row.organization_id,
                row.line
            )));
        }
    }
    Ok(rows)
}

fn organization(raw: &str) -> Result<Uuid, String> {
    lupl_model::binding::parse_guid(raw.trim())
        .ok_or_else(|| format!("'{raw}' is not an organization id (a uuid)"))
}

/// A CSV cell (or a `--field` value) as the JSON value the provider's
/// field type asks for; an empty cell is an absent field.
pub fn typed(cell: &str, kind: Option<&str>) -> Result<Option<Value>, String> {
    if cell.is_empty() {
        return Ok(None);
    }
    match kind {
        Some("number") => serde_json::from_str::<serde_json::Number>(cell.trim())
            .map(|n| Some(Value::Number(n)))
            .map_err(|_| format!("'{cell}' is not a number")),
        Some("boolean") => match cell.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(Some(Value::Bool(true))),
            "false" => Ok(Some(Value::Bool(false))),
            _ => Err(format!("'{cell}' is not true or false")),
        },
        // string, select, and keys the provider does not declare (the
        // server names those itself).
        _ => Ok(Some(Value::String(cell.to_owned()))),
    }
}

/// The 1-based line of each byte offset, whatever the line ends (`\n`,
/// `\r\n` or a lone `\r`, as the CSV reader accepts them).
struct Lines<'a> {
    text: &'a [u8],
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn of(text: &'a str) -> Self {
        let text = text.as_bytes();
        let mut starts = vec![0];
        for (i, &b) in text.iter().enumerate() {
            if b == b'\n' || (b == b'\r' && text.get(i + 1) != Some(&b'\n')) {
                starts.push(i + 1);
            }
        }
        Self { text, starts }
    }

    /// The line a record starting at `byte` is on: the CSV reader may
    /// place a record's start on the `\n` of the `\r\n` before it.
    fn at(&self, byte: u64) -> usize {
        let mut byte = usize::try_from(byte).unwrap_or(usize::MAX);
        while self
            .text
            .get(byte)
            .is_some_and(|b| matches!(b, b'\r' | b'\n'))
        {
            byte += 1;
        }
        self.starts.partition_point(|&start| start <= byte)
    }
}

fn csv_rows(path: &Path, text: &str, types: &HashMap<String, String>) -> Result<Rows, Failure> {
    let lines = Lines::of(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| Failure::usage(format!("{}: header: {e}", path.display())))?
        .clone();
    let id_column = header
        .iter()
        .position(|h| h.trim().eq_ignore_ascii_case("organizationId"))
        .ok_or_else(|| {
            let first = header.iter().next().unwrap_or_default();
            let hint = [';', '\t', '|']
                .into_iter()
                .find(|&c| header.len() == 1 && first.contains(c) && first.to_ascii_lowercase().contains("organizationid"))
                .map(|c| format!(" (it looks {}-separated; lupl reads comma-separated CSV: export as \"CSV UTF-8 (comma delimited)\")", c.escape_default()))
                .unwrap_or_default();
            Failure::usage(format!(
                "{}:1: the header has no organizationId column (expected organizationId,<field key>,…){hint}",
                path.display()
            ))
        })?;
    let keys: Vec<String> = header.iter().map(|h| h.trim().to_owned()).collect();
    if let Some(i) = keys.iter().position(String::is_empty) {
        return Err(Failure::usage(format!(
            "{}:1: column {} of the header is empty; name every column",
            path.display(),
            i + 1
        )));
    }
    for (i, key) in keys.iter().enumerate() {
        if let Some(j) = keys[..i].iter().position(|k| k.eq_ignore_ascii_case(key)) {
            return Err(Failure::usage(format!(
                "{}:1: columns {} and {} of the header are both {key:?}; name each field once",
                path.display(),
                j + 1,
                i + 1
            )));
        }
    }
    let mut out = Rows::default();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.at(p.byte()));
                out.problems.push(RowProblem {
                    line,
                    organization_id: None,
                    key: String::new(),
                    message: e.to_string(),
                    kind: ProblemKind::Invalid,
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| lines.at(p.byte()));
        let raw_id = record.get(id_column).unwrap_or_default();
        let organization_id = match organization(raw_id) {
            Ok(id) => id,
            Err(message) => {
                out.problems.push(RowProblem {
                    line,
                    organization_id: None,
                    key: "organizationId".into(),
                    message,
                    kind: ProblemKind::Invalid,
                });
                continue;
            }
        };
        let mut fields = Map::new();
        let mut bad = false;
        for (i, cell) in record.iter().enumerate() {
            if i == id_column {
                continue;
            }
            let key = &keys[i];
            match typed(cell, types.get(key).map(String::as_str)) {
                Ok(Some(v)) => {
                    fields.insert(key.clone(), v);
                }
                Ok(None) => {}
                Err(message) => {
                    bad = true;
                    out.problems.push(RowProblem {
                        line,
                        organization_id: Some(organization_id),
                        key: format!("fields.{key}"),
                        message,
                        kind: ProblemKind::Invalid,
                    });
                }
            }
        }
        if !bad {
            out.rows.push(Row {
                pms_id: None,
                line,
                organization_id,
                fields,
            });
        }
    }
    Ok(out)
}

fn jsonl_rows(text: &str) -> Rows {
    let mut out = Rows::default();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let problem = |key: &str, organization_id, message: String| RowProblem {
            line,
            organization_id,
            key: key.to_owned(),
            message,
            kind: ProblemKind::Invalid,
        };
        let object = match crate::documents::parse_strict(raw) {
            Ok(Value::Object(o)) => o,
            Ok(_) => {
                out.problems
                    .push(problem("", None, "expected a JSON object".into()));
                continue;
            }
            Err(e) => {
                out.problems
                    .push(problem("", None, format!("not JSON: {e}")));
                continue;
            }
        };
        let organization_id = match object.get("organizationId") {
            Some(Value::String(s)) => match organization(s) {
                Ok(id) => id,
                Err(m) => {
                    out.problems.push(problem("organizationId", None, m));
                    continue;
                }
            },
            _ => {
                out.problems.push(problem(
                    "organizationId",
                    None,
                    "organizationId (a uuid string) is required".into(),
                ));
                continue;
            }
        };
        let pms_id = match object.get("pmsId") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if organization(s).is_ok() => organization(s).ok(),
            Some(_) => {
                out.problems.push(problem(
                    "pmsId",
                    Some(organization_id),
                    "pmsId, when given, is a uuid string".into(),
                ));
                continue;
            }
        };
        match object.get("fields") {
            Some(Value::Object(fields)) => out.rows.push(Row {
                line,
                organization_id,
                fields: fields.clone(),
                pms_id,
            }),
            // A backup's row of an organization that had no configuration.
            Some(Value::Null) => out.problems.push(RowProblem {
                kind: ProblemKind::WasNull,
                ..problem(
                    "fields",
                    Some(organization_id),
                    crate::backup::WAS_NULL.into(),
                )
            }),
            _ => out.problems.push(problem(
                "fields",
                Some(organization_id),
                "fields (a JSON object) is required".into(),
            )),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn provider() -> Value {
        json!({"fields": [
            {"key": "n", "type": "number"}, {"key": "b", "type": "boolean"},
            {"key": "s", "type": "string"}, {"key": "o", "type": "select"}
        ]})
    }

    const A: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";

    #[test]
    fn csv_rows_keep_their_starting_line_and_typed_values() {
        let text = format!(
            "organizationId,n,b,s,o\n{A},-1.5e2,False,\"two\nlines\",x\n{{{}}},,,,\n",
            "9b1c3a52-6f0e-4d7b-8a4e-2f5d1c7e9a10"
        );
        let rows = parse(Path::new("f.csv"), &text, Format::Csv, &provider()).expect("parse");
        assert!(rows.problems.is_empty(), "{:?}", rows.problems);
        assert_eq!(rows.rows[0].line, 2);
        assert_eq!(
            Value::Object(rows.rows[0].fields.clone()),
            json!({"n": -150.0, "b": false, "s": "two\nlines", "o": "x"})
        );
        assert_eq!(
            rows.rows[1].line, 4,
            "the quoted newline moves the next row"
        );
        assert!(
            rows.rows[1].fields.is_empty(),
            "empty cells are absent fields"
        );
    }

    #[test]
    fn rows_that_cannot_be_typed_are_problems_not_failures() {
        let text = format!("organizationId,n,b\n{A},1,maybe\nnope,1,true\n{A},1\n");
        let rows = parse(Path::new("f.csv"), &text, Format::Csv, &provider()).expect("parse");
        let keys: Vec<(usize, &str)> = rows
            .problems
            .iter()
            .map(|p| (p.line, p.key.as_str()))
            .collect();
        assert_eq!(keys, vec![(2, "fields.b"), (3, "organizationId"), (4, "")]);
        assert_eq!(rows.len(), 3);
    }

    #[test]
    fn jsonl_rows_name_what_is_missing() {
        let text = format!(
            "{{\"organizationId\":\"{A}\",\"fields\":{{\"n\":\"1\"}}}}\n\n[1]\n{{\"fields\":{{}}}}\n{{\"organizationId\":\"{A}\"}}\n"
        );
        let rows = parse(Path::new("f.jsonl"), &text, Format::Jsonl, &provider()).expect("parse");
        assert_eq!(rows.rows.len(), 1);
        assert_eq!(
            rows.rows[0].fields["n"],
            json!("1"),
            "JSON values are kept as written"
        );
        let keys: Vec<(usize, &str)> = rows
            .problems
            .iter()
            .map(|p| (p.line, p.key.as_str()))
            .collect();
        assert_eq!(keys, vec![(3, ""), (4, "organizationId"), (5, "fields")]);
    }
}
