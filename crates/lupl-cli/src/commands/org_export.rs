//! `lupl org export`: many organizations' configurations read under the
//! rate limit into JSON Lines (or CSV), the form `org set-many` takes
//! back. Resumable: an organization already in the output is not read
//! again.

use crate::backup::{Backup, RowsEnd};
use crate::cli::ExportArgs;
use crate::context::Context;
use crate::documents;
use crate::failure::{Failure, exit};
use crate::output::Done;
use crate::progress::{Meter, Progress};
use crate::rows::Format;
use lupl_api::Error;
use lupl_api::types::OrganizationConfiguration;
use lupl_safety::signals::Interrupts;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::path::Path;
use tokio::task::JoinSet;
use uuid::Uuid;

/// The organization ids of `--ids FILE`: a CSV with a header (the column
/// `column`), JSON Lines (`organizationId`), or one id per line (blank
/// lines and `#` comments skipped). Duplicates are read once.
pub fn ids(path: &Path, text: &str, column: &str) -> Result<Vec<Uuid>, Failure> {
    let bad = |line: usize, raw: &str| {
        let shown: String = raw.chars().take(60).collect();
        let more = if raw.chars().count() > 60 { "…" } else { "" };
        Failure::refused(format!(
            "{}:{line}: {shown:?}{more} is not an organization id",
            path.display()
        ))
    };
    let parse = |line: usize, raw: &str| -> Result<Uuid, Failure> {
        lupl_model::binding::parse_guid(raw.trim()).ok_or_else(|| bad(line, raw))
    };
    let mut out = Vec::new();
    match Format::of(path) {
        Some(Format::Csv) => {
            let mut reader = csv::Reader::from_reader(text.as_bytes());
            let header = reader
                .headers()
                .map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?;
            let at = header.iter().position(|h| h == column).ok_or_else(|| {
                Failure::usage(format!(
                    "{}: no column {column:?} (the columns are {}); name it with --column",
                    path.display(),
                    header.iter().collect::<Vec<_>>().join(", ")
                ))
            })?;
            for (i, record) in reader.records().enumerate() {
                let record =
                    record.map_err(|e| Failure::refused(format!("{}: {e}", path.display())))?;
                out.push(parse(i + 2, record.get(at).unwrap_or_default())?);
            }
        }
        Some(Format::Jsonl) => {
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let value: Value = serde_json::from_str(line).map_err(|_| bad(i + 1, line))?;
                out.push(parse(i + 1, value[column].as_str().unwrap_or(line))?);
            }
        }
        None => {
            for (i, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                out.push(parse(i + 1, line)?);
            }
        }
    }
    let mut seen = HashSet::new();
    out.retain(|id| seen.insert(*id));
    Ok(out)
}

/// One organization as read.
enum Read {
    Config(Option<OrganizationConfiguration>),
    Failed(Error),
}

/// `lupl org export`.
pub async fn export(
    ctx: &Context,
    args: &ExportArgs,
    mut interrupts: Interrupts,
) -> Result<Done, Failure> {
    let format = args
        .format
        .or_else(|| Format::of(&args.out))
        .unwrap_or(Format::Jsonl);
    // The settings' files (the default config file too) are inputs: no
    // export replaces them.
    ctx.settings
        .input_files(&|n| (ctx.env)(n))
        .input("--ids", Some(&args.ids))
        .output("--out", Some(&args.out))
        .check()
        .map_err(|e| Failure::usage(e.to_string()))?;
    let text = documents::read(&args.ids)?;
    let ids = ids(&args.ids, &text, &args.column)?;
    let client = ctx.client_parts()?;
    let mut sink = match format {
        Format::Jsonl => Sink::Jsonl(Backup::open_as(&args.out, args.resume, "--out")?),
        Format::Csv => {
            let pms_id = args.pms_id.ok_or_else(|| {
                Failure::usage(
                    "a CSV export needs --pms-id: its columns are that provider's declared fields",
                )
            })?;
            let provider = super::provider::provider_of(None, Some(&client.client), &pms_id);
            // Nothing is written yet: a stop here leaves no file.
            let provider = tokio::select! {
                provider = provider => provider?,
                Some(_) = interrupts.recv() => {
                    return Err(Failure::new(
                        exit::INTERRUPTED,
                        "interrupted while reading the provider's configuration; nothing was written",
                    ));
                }
            };
            Sink::Csv(CsvSink::open(&args.out, args.resume, pms_id, &provider)?)
        }
    };
    let todo: Vec<Uuid> = ids.iter().copied().filter(|id| !sink.has(*id)).collect();
    let skipped = ids.len() - todo.len();
    let total = todo.len();
    let mode = if std::io::stderr().is_terminal() {
        Progress::Bar
    } else {
        Progress::Lines
    };
    let mut meter = Meter::new(mode, total, "organizations");
    let mut queue = todo.into_iter();
    let mut in_flight: JoinSet<(Uuid, Read)> = JoinSet::new();
    let (mut exported, mut nulls, mut failed) = (0usize, Vec::new(), Vec::new());
    let (mut done, mut interrupted, mut signals_open) = (0usize, false, true);
    loop {
        while !interrupted && in_flight.len() < usize::from(args.concurrency) {
            let Some(id) = queue.next() else { break };
            let client = client.client.clone();
            in_flight.spawn(async move {
                let read = client
                    .get_organization_config()
                    .organization_id(id)
                    .send()
                    .await;
                (id, read.map_or_else(Read::Failed, Read::Config))
            });
        }
        if in_flight.is_empty() {
            break;
        }
        tokio::select! {
            joined = in_flight.join_next() => {
                let Some(joined) = joined else { continue };
                let (id, read) = joined.map_err(|e| Failure::usage(format!("a request task failed: {e}")))?;
                // Stopped while waiting for the limiter (an interrupt): not run.
                if matches!(&read, Read::Failed(Error::Middleware(source)) if source.is::<lupl_auth::limits::Stopped>()) {
                    continue;
                }
                done += 1;
                let failures = failed.len();
                match read {
                    Read::Config(config) => {
                        if config.is_none() {
                            nulls.push(id);
                        }
                        match sink.keep(id, config.as_ref()) {
                            Ok(Kept::Written) => exported += 1,
                            // Counted under "null", not as exported.
                            Ok(Kept::NullLeftOut) => {}
                            Ok(Kept::NotRepresentable) => failed.push((id, "not representable in this CSV (another provider, or a value that is not text, a number or a boolean): export to JSON Lines".to_owned())),
                            Err(e) => return Err(Failure::usage(e)),
                        }
                    }
                    Read::Failed(e) => {
                        if matches!(e, Error::Middleware(_)) || e.status().is_some_and(|s| s == 401) {
                            return Err(Failure::from(e));
                        }
                        failed.push((id, lupl_safety::text::for_terminal(&e.to_string(), false)));
                    }
                }
                meter.record(failed.len() == failures);
            }
            signal = interrupts.recv(), if signals_open => {
                match signal {
                    None => signals_open = false,
                    Some(_) if interrupted => break,
                    Some(_) => {
                        interrupted = true;
                        client.limiter.stop_waiting();
                        meter.say("lupl: interrupted: finishing the reads in flight; continue with --resume");
                    }
                }
            }
        }
    }
    meter.finish();
    sink.finish()?;
    for (id, why) in &failed {
        eprintln!("lupl: {id}: {why}");
    }
    let value = json!({
        "organizations": ids.len(),
        "exported": exported,
        "skipped": skipped,
        "null": nulls.len(),
        "failed": failed.len(),
        "notRun": ids.len().saturating_sub(skipped + done),
        "out": args.out.display().to_string(),
    });
    let code = if interrupted {
        exit::INTERRUPTED
    } else if failed.is_empty() {
        exit::OK
    } else {
        exit::REFUSED
    };
    let note = (!nulls.is_empty()).then(|| match format {
        Format::Jsonl => format!(
            "lupl: {} organization(s) have no configuration (null): their rows say so, and set-many reports them instead of changing them",
            nulls.len()
        ),
        Format::Csv => format!(
            "lupl: {} organization(s) have no configuration (null) and are not in the CSV (it cannot say null; export to JSON Lines to keep them)",
            nulls.len()
        ),
    });
    Ok(Done {
        value: Some(value),
        text: None,
        note,
        code,
    })
}

/// What became of one organization's configuration.
enum Kept {
    /// A row was written.
    Written,
    /// It was `null`, which a CSV cannot say: no row.
    NullLeftOut,
    /// A CSV cannot hold it: no row.
    NotRepresentable,
}

/// Where exported rows go.
enum Sink {
    Jsonl(Backup),
    Csv(CsvSink),
}

impl Sink {
    fn has(&self, id: Uuid) -> bool {
        match self {
            Sink::Jsonl(b) => b.has(id),
            Sink::Csv(c) => c.kept.contains(&id),
        }
    }

    /// Writes a row, if the output can hold it.
    fn keep(
        &mut self,
        id: Uuid,
        config: Option<&OrganizationConfiguration>,
    ) -> Result<Kept, String> {
        match self {
            Sink::Jsonl(b) => b.keep(id, config).map(|()| Kept::Written),
            Sink::Csv(c) => c.keep(id, config),
        }
    }

    fn finish(&self) -> Result<(), Failure> {
        match self {
            Sink::Jsonl(b) => b.sync(),
            Sink::Csv(c) => c
                .file
                .sync_data()
                .map_err(|e| Failure::usage(format!("cannot sync the export: {e}"))),
        }
    }
}

/// A CSV export: `organizationId` and the provider's declared fields, in
/// their order; one row appended per organization.
struct CsvSink {
    file: std::fs::File,
    columns: Vec<String>,
    pms_id: Uuid,
    kept: HashSet<Uuid>,
}

impl CsvSink {
    fn open(path: &Path, resume: bool, pms_id: Uuid, provider: &Value) -> Result<Self, Failure> {
        let columns: Vec<String> = provider["fields"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f["key"].as_str().map(str::to_owned))
            .collect();
        let mut header = vec!["organizationId".to_owned()];
        header.extend(columns.iter().cloned());
        let (mut file, existing) = crate::backup::open_rows(path, resume, "--out", |text| {
            RowsEnd::At(csv_rows_end(text))
        })?;
        let mut kept = HashSet::new();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(existing.as_bytes());
        let mut records = reader.records();
        // Rows are appended under the header the file has: the provider's
        // fields now must be the same, in the same order.
        if let Some(first) = records.next() {
            let found: Vec<String> = first
                .map(|r| r.iter().map(str::to_owned).collect())
                .unwrap_or_default();
            if found != header {
                return Err(Failure::usage(format!(
                    "--out {} has the columns {}, not the provider's {}: export to a new file",
                    path.display(),
                    found.join(","),
                    header.join(",")
                )));
            }
        }
        for record in records.flatten() {
            if let Some(id) = record.get(0).and_then(|s| s.parse().ok()) {
                kept.insert(id);
            }
        }
        if existing.is_empty() {
            let mut line = csv_line(&header);
            line.push('\n');
            file.write_all(line.as_bytes()).map_err(|e| {
                Failure::usage(format!("cannot write --out {}: {e}", path.display()))
            })?;
        }
        Ok(Self {
            file,
            columns,
            pms_id,
            kept,
        })
    }

    fn keep(
        &mut self,
        id: Uuid,
        config: Option<&OrganizationConfiguration>,
    ) -> Result<Kept, String> {
        // A CSV cannot say null: such organizations are counted, not kept.
        let Some(config) = config else {
            return Ok(Kept::NullLeftOut);
        };
        if config.pms_id != self.pms_id || config.fields.0.keys().any(|k| !self.columns.contains(k))
        {
            return Ok(Kept::NotRepresentable);
        }
        let mut cells = vec![id.to_string()];
        for key in &self.columns {
            cells.push(match config.fields.0.get(key) {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) if !s.is_empty() => s.clone(),
                Some(v @ (Value::Number(_) | Value::Bool(_))) => v.to_string(),
                // An empty string or a nested value does not come back
                // the same through a CSV cell.
                Some(_) => return Ok(Kept::NotRepresentable),
            });
        }
        let mut line = csv_line(&cells);
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .map_err(|e| format!("cannot write the export: {e}"))?;
        self.kept.insert(id);
        Ok(Kept::Written)
    }
}

/// Where a CSV text's whole records end: after the last line end outside
/// quotes (a quoted cell may hold line ends; quotes inside one are
/// doubled, so an even count so far means outside).
fn csv_rows_end(text: &str) -> usize {
    let mut quotes = 0usize;
    let mut end = 0;
    for (i, b) in text.bytes().enumerate() {
        match b {
            b'"' => quotes += 1,
            b'\n' if quotes.is_multiple_of(2) => end = i + 1,
            _ => {}
        }
    }
    end
}

/// One CSV record (quoted as needed), without its line end.
fn csv_line(cells: &[String]) -> String {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let _ = writer.write_record(cells);
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes)
        .trim_end_matches('\n')
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::csv_rows_end;

    #[test]
    fn a_csv_row_torn_inside_a_quoted_line_end_is_not_whole() {
        let whole = "organizationId,note\nA,\"one\ntwo\"\n";
        assert_eq!(csv_rows_end(whole), whole.len());
        // Cut after the line end inside the quotes: the row is torn.
        let torn = "organizationId,note\nA,\"one\n";
        assert_eq!(csv_rows_end(torn), "organizationId,note\n".len());
        let doubled = "organizationId,note\nA,\"say \"\"hi\"\"\"\nB,";
        assert_eq!(csv_rows_end(doubled), doubled.len() - 2);
    }
}
