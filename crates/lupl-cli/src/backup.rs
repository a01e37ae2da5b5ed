//! `set-many --backup FILE` and `org export`: each organization's
//! configuration as it was, one JSON Lines row per organization, in the
//! form `set-many` takes back (`{"organizationId", "pmsId", "fields"}`), so
//! rolling a change back is `set-many --file FILE`.
//!
//! The API has no delete: an organization that had no configuration
//! (`null`) cannot be put back. Its row says so (`"fields": null`), and
//! `set-many` reports such rows before it sends anything.
//!
//! Each row is written (one write, handed to the OS) before the change it
//! backs up is sent, so a killed run never changed a configuration it did
//! not keep. An organization already in the file is not read again: on
//! `--resume` (or a retry) its current configuration may be the new one.

use crate::failure::Failure;
use lupl_api::types::OrganizationConfiguration;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use uuid::Uuid;

/// The message of a row whose configuration was `null`.
pub const WAS_NULL: &str = "had no configuration (null) before the change; the API cannot store null, so it cannot be put back and is left as it is";

/// The row of one organization's configuration as read.
///
/// ```
/// let id = uuid::Uuid::nil();
/// let row = lupl_cli::backup::row(id, None);
/// assert_eq!(row, serde_json::json!({"organizationId": id, "fields": null}));
/// ```
pub fn row(organization_id: Uuid, config: Option<&OrganizationConfiguration>) -> Value {
    match config {
        Some(config) => json!({
            "organizationId": organization_id,
            "pmsId": config.pms_id,
            "fields": config.fields,
        }),
        None => json!({"organizationId": organization_id, "fields": null}),
    }
}

struct Written {
    file: File,
    kept: HashSet<Uuid>,
}

/// An open backup file, appended to as rows are read.
pub struct Backup {
    path: PathBuf,
    written: Mutex<Written>,
}

impl std::fmt::Debug for Backup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backup").field("path", &self.path).finish()
    }
}

impl Backup {
    /// Opens `path`: a new file (mode 0600: configurations hold the
    /// customers' keys) or, with `resume`, the file of the run being
    /// continued, whose organizations are not read again. Without
    /// `resume` an existing file is refused: it may be the only copy of
    /// what an earlier change replaced.
    pub fn open(path: &Path, resume: bool) -> Result<Self, Failure> {
        Self::open_as(path, resume, "--backup")
    }

    /// [`Backup::open`] for the file of `flag` (`--backup`, or `org
    /// export`'s `--out`), which its messages name.
    pub fn open_as(path: &Path, resume: bool, flag: &str) -> Result<Self, Failure> {
        let shown = format!("{flag} {}", path.display());
        // A whole last line without its newline (an editor's save) stays.
        let (file, text) = open_rows(path, resume, flag, |text| {
            let end = text.rfind('\n').map_or(0, |i| i + 1);
            let last = &text[end..];
            if !last.trim().is_empty()
                && serde_json::from_str::<Value>(last)
                    .is_ok_and(|v| v["organizationId"].is_string())
            {
                RowsEnd::UnterminatedRow
            } else {
                RowsEnd::At(end)
            }
        })?;
        let mut kept = HashSet::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let id = serde_json::from_str::<Value>(line)
                .ok()
                .and_then(|v| v["organizationId"].as_str().and_then(|s| s.parse().ok()))
                .ok_or_else(|| {
                    Failure::usage(format!(
                        "{shown} is not a file `lupl` wrote (a line without organizationId)"
                    ))
                })?;
            kept.insert(id);
        }
        Ok(Self {
            // The full path: the journal ties its run to this file.
            path: std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned()),
            written: Mutex::new(Written { file, kept }),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Written> {
        self.written.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// True when the organization's old configuration is already kept.
    pub fn has(&self, organization_id: Uuid) -> bool {
        self.lock().kept.contains(&organization_id)
    }

    /// How many organizations the file holds.
    pub fn len(&self) -> usize {
        self.lock().kept.len()
    }

    /// True when it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keeps an organization's configuration as read (one line, one
    /// write), unless it is kept already.
    pub fn keep(
        &self,
        organization_id: Uuid,
        config: Option<&OrganizationConfiguration>,
    ) -> Result<(), String> {
        let mut written = self.lock();
        if written.kept.contains(&organization_id) {
            return Ok(());
        }
        let mut line = row(organization_id, config).to_string().into_bytes();
        line.push(b'\n');
        written
            .file
            .write_all(&line)
            .map_err(|e| format!("cannot write the backup {}: {e}", self.path.display()))?;
        written.kept.insert(organization_id);
        Ok(())
    }

    /// Flushes the file to disk.
    pub fn sync(&self) -> Result<(), Failure> {
        self.lock()
            .file
            .sync_data()
            .map_err(|e| Failure::usage(format!("cannot sync {}: {e}", self.path.display())))
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Where the whole rows of a file end.
pub enum RowsEnd {
    /// At this byte: what follows is torn.
    At(usize),
    /// At the end, but the last row lacks its newline (an editor's save).
    UnterminatedRow,
}

/// Opens a file of rows that `lupl` appends to and continues with
/// `--resume` (a backup, an export): never through a symbolic link (it
/// could make the file another of the run's), a new file (mode 0600:
/// configurations hold the customers' keys) unless `resume`, a regular
/// file, locked for this run (two would interleave their lines). Returns
/// it positioned after its whole rows, and their text: `rows_end` says
/// where they end in the text read, and what follows (a row torn by a
/// kill) is dropped.
pub fn open_rows(
    path: &Path,
    resume: bool,
    flag: &str,
    rows_end: impl Fn(&str) -> RowsEnd,
) -> Result<(File, String), Failure> {
    let shown = format!("{flag} {}", path.display());
    let io = |e: std::io::Error| Failure::usage(format!("cannot write {shown}: {e}"));
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(Failure::usage(format!(
            "{shown} is a symbolic link: name the file itself"
        )));
    }
    let mut options = OpenOptions::new();
    options.read(true).write(true);
    if resume {
        options.create(true).truncate(false);
    } else {
        options.create_new(true);
    }
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Failure::usage(format!(
                "{shown} exists: it may hold the only copy of what an earlier run read; pass --resume to continue that run, or name another file"
            ))
        } else {
            io(e)
        }
    })?;
    if !file.metadata().map_err(io)?.is_file() {
        return Err(Failure::usage(format!(
            "{shown} is not a regular file: name a file"
        )));
    }
    file.try_lock().map_err(|e| match e {
        std::fs::TryLockError::WouldBlock => Failure::usage(format!(
            "another run is using {shown} (it holds the file locked); wait for it to finish"
        )),
        std::fs::TryLockError::Error(e) => io(e),
    })?;
    let mut text = String::new();
    file.read_to_string(&mut text)
        .map_err(|e| Failure::usage(format!("cannot read {shown}: {e}")))?;
    match rows_end(&text) {
        RowsEnd::UnterminatedRow => {
            file.write_all(b"\n").map_err(io)?;
            text.push('\n');
        }
        RowsEnd::At(whole) => {
            text.truncate(whole);
            file.set_len(whole as u64).map_err(io)?;
        }
    }
    file.seek(SeekFrom::End(0)).map_err(io)?;
    Ok((file, text))
}
