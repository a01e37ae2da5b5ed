//! The sandbox's `--state FILE`: an append-only log, so that a killed
//! sandbox loses nothing it answered 200 to and a write costs the same
//! however large the state is.
//!
//! The file is JSON Lines: a snapshot (`{"luplSandboxState": 1, "fixture":
//! {…}}`) then one line per acknowledged write (`{"provider": id,
//! "config": …}` or `{"organization": id, "config": …}`), each flushed to
//! disk before the write is acknowledged. When the log outgrows the
//! snapshot it is compacted: a new snapshot is written beside it, synced and
//! renamed over it. A torn last line (the sandbox killed mid-append, never
//! acknowledged) is dropped on load. A file in the fixture format (an older
//! state file, or a fixture) loads as a snapshot.
//!
//! One sandbox at a time: `FILE.lock` is locked exclusively for as long as
//! the state file is open. The state holds the fixture's tokens, so the
//! file is kept at mode 0600.

use crate::fixture::{Fixture, FixtureError};
use crate::json_text::JsonText;
use crate::model::Change;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use uuid::Uuid;

/// The first line of a state file.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Snapshot {
    lupl_sandbox_state: u32,
    fixture: Fixture,
}

/// A line after the first, as written.
enum Entry {
    Provider {
        provider: Uuid,
        config: JsonText,
    },
    Organization {
        organization: Uuid,
        config: JsonText,
    },
}

/// A line after the first: `{"provider": id, "config": …}` or
/// `{"organization": id, "config": …}`. A struct, not an untagged enum:
/// an untagged enum buffers its input, and the configuration's text
/// (digits kept) can only be read from the file itself.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    provider: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    organization: Option<Uuid>,
    config: JsonText,
}

impl Line {
    fn of(entry: &Entry) -> Self {
        match entry {
            Entry::Provider { provider, config } => Line {
                provider: Some(*provider),
                organization: None,
                config: config.clone(),
            },
            Entry::Organization {
                organization,
                config,
            } => Line {
                provider: None,
                organization: Some(*organization),
                config: config.clone(),
            },
        }
    }

    fn entry(self) -> Result<Entry, String> {
        match (self.provider, self.organization) {
            (Some(provider), None) => Ok(Entry::Provider {
                provider,
                config: self.config,
            }),
            (None, Some(organization)) => Ok(Entry::Organization {
                organization,
                config: self.config,
            }),
            _ => Err("a line names one provider or one organization".into()),
        }
    }
}

/// A fixture with where each record sits, so that an entry applies in
/// constant time. Ids never change after loading: the index is built once.
struct Indexed {
    fixture: Fixture,
    providers: HashMap<Uuid, usize>,
    organizations: HashMap<Uuid, usize>,
}

impl Indexed {
    fn new(fixture: Fixture) -> Self {
        let providers = index(fixture.providers.iter().map(|p| p.pms_id));
        let organizations = index(fixture.organizations.iter().map(|o| o.organization_id));
        Self {
            fixture,
            providers,
            organizations,
        }
    }

    /// Applies an entry the model wrote; an entry it could not have
    /// written (an unknown id, a config the model would refuse or store
    /// otherwise) is refused, as the snapshot's records are.
    fn apply(&mut self, entry: Entry) -> Result<(), String> {
        match entry {
            Entry::Provider { provider, config } => {
                let i = *self
                    .providers
                    .get(&provider)
                    .ok_or_else(|| format!("unknown provider {provider}"))?;
                crate::fixture::check_provider_config(provider, &config)?;
                self.fixture.providers[i].config = config;
            }
            Entry::Organization {
                organization,
                config,
            } => {
                let i = *self
                    .organizations
                    .get(&organization)
                    .ok_or_else(|| format!("unknown organization {organization}"))?;
                crate::fixture::check_organization_config(organization, &config)?;
                self.fixture.organizations[i].config = config;
            }
        }
        Ok(())
    }
}

/// The state as last written, and the file it is written to.
struct Written {
    state: Indexed,
    log: File,
    /// Bytes of the snapshot and of the changes after it.
    snapshot_bytes: u64,
    log_bytes: u64,
}

/// An open state file, locked for this process.
pub struct StateFile {
    path: PathBuf,
    written: Mutex<Written>,
    /// Held for the lock, released when the state file is dropped.
    _lock: File,
}

impl std::fmt::Debug for StateFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateFile")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> FixtureError + '_ {
    move |source| FixtureError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Opens (or creates) a file that only its owner may read.
fn private(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(options, 0o600);
    options
}

impl StateFile {
    /// Locks and loads the state file at `path`. `fresh` makes the starting
    /// state when the file does not exist yet. Returns the file, ready for
    /// [`StateFile::append`], and the state to serve.
    ///
    /// ```
    /// use lupl_model::{Fixture, StateFile};
    /// let dir = std::env::temp_dir().join(format!("lupl-state-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("state.jsonl");
    /// let (state, fixture) = StateFile::open(&path, || Ok(Fixture::builtin()))?;
    /// assert_eq!(fixture, Fixture::builtin());
    /// // A second opener is refused while the first holds the lock.
    /// let err = StateFile::open(&path, || Ok(Fixture::builtin())).unwrap_err();
    /// assert!(err.to_string().contains("another lupl-sandbox"), "{err}");
    /// drop(state);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(
        path: &Path,
        fresh: impl FnOnce() -> Result<Fixture, FixtureError>,
    ) -> Result<(Self, Fixture), FixtureError> {
        // A --state that is a symbolic link names the file it points at:
        // that file is locked, read and replaced, and the link stays.
        let resolved;
        let path = match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() => {
                resolved = std::fs::canonicalize(path).map_err(|e| FixtureError::Invalid {
                    path: path.display().to_string(),
                    message: format!("a symbolic link to nothing usable ({e}); point it at a file, or give the file itself"),
                })?;
                resolved.as_path()
            }
            _ => path,
        };
        let io = io_error(path);
        let lock_path = PathBuf::from(format!("{}.lock", path.display()));
        // The lock file is created if need be: never through a link planted
        // there (it would create or lock whatever the link names).
        if std::fs::symlink_metadata(&lock_path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(FixtureError::Invalid {
                path: lock_path.display().to_string(),
                message: "is a symbolic link; remove it (lupl-sandbox makes its own lock file)"
                    .into(),
            });
        }
        let lock = private(OpenOptions::new().create(true).truncate(false).write(true))
            .open(&lock_path)
            .map_err(io_error(&lock_path))?;
        lock.try_lock().map_err(|e| match e {
            std::fs::TryLockError::WouldBlock => FixtureError::Invalid {
                path: path.display().to_string(),
                message: format!(
                    "in use by another lupl-sandbox (it holds {}); stop it, or give this one another --state file",
                    lock_path.display()
                ),
            },
            std::fs::TryLockError::Error(e) => io_error(&lock_path)(e),
        })?;
        let state = match std::fs::read_to_string(path) {
            Ok(text) => load(path, &text)?,
            // Made before the file is: a fixture that fails leaves none.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Indexed::new(fresh()?),
            Err(e) => return Err(io(e)),
        };
        let fixture = state.fixture.clone();
        let log = private(OpenOptions::new().create(true).append(true))
            .open(path)
            .map_err(&io)?;
        let state = Self {
            path: path.to_owned(),
            written: Mutex::new(Written {
                state,
                log,
                snapshot_bytes: 0,
                log_bytes: 0,
            }),
            _lock: lock,
        };
        // Start from a compact file: the snapshot of what was loaded.
        state.compact(&mut state.lock())?;
        Ok((state, fixture))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Written> {
        self.written.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends one acknowledged write and flushes it to disk; compacts the
    /// file when the log has outgrown its snapshot.
    pub fn append(&self, change: &Change) -> Result<(), FixtureError> {
        let entry = match change {
            Change::Provider { pms_id, config } => Entry::Provider {
                provider: *pms_id,
                config: config.clone(),
            },
            Change::Organization {
                organization_id,
                config,
            } => Entry::Organization {
                organization: *organization_id,
                config: config.clone(),
            },
        };
        let mut line = serde_json::to_vec(&Line::of(&entry))
            .map_err(|e| io_error(&self.path)(std::io::Error::other(e)))?;
        line.push(b'\n');
        let mut written = self.lock();
        let io = io_error(&self.path);
        let end = written.snapshot_bytes + written.log_bytes;
        if let Err(e) = written
            .log
            .write_all(&line)
            .and_then(|()| written.log.sync_data())
        {
            // Leave no torn line for the next append to follow.
            let _ = written.log.set_len(end);
            return Err(io(e));
        }
        written.log_bytes += line.len() as u64;
        // The model stored it: it is valid.
        let _ = written.state.apply(entry);
        if written.log_bytes > written.snapshot_bytes.max(1 << 20)
            && let Err(e) = self.compact(&mut written)
        {
            // The write itself is on disk: it stands. Compaction is tried
            // again after the next write.
            eprintln!("lupl-sandbox: cannot compact the state file: {e}");
        }
        Ok(())
    }

    /// Rewrites the file as one snapshot: to a private temporary file
    /// (a new, randomly named file created exclusively at mode 0600, so a
    /// link planted beside the state file is never followed), synced,
    /// renamed over the state file, the folder synced. A failure leaves the
    /// old file whole and no temporary file behind.
    fn compact(&self, written: &mut Written) -> Result<(), FixtureError> {
        let io = io_error(&self.path);
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "state".into());
        let snapshot = Snapshot {
            lupl_sandbox_state: 1,
            fixture: written.state.fixture.clone(),
        };
        let mut text = serde_json::to_vec(&snapshot).map_err(|e| io(std::io::Error::other(e)))?;
        text.push(b'\n');
        let result = (|| {
            let mut tmp = tempfile::Builder::new()
                .prefix(&format!(".{name}."))
                .suffix(".tmp")
                .tempfile_in(&dir)?;
            tmp.write_all(&text)?;
            tmp.as_file().sync_all()?;
            // Dropped (and removed) on any failure before this.
            tmp.persist(&self.path).map_err(|e| e.error)?;
            File::open(&dir)?.sync_all()
        })();
        result.map_err(&io)?;
        written.log = private(OpenOptions::new().append(true))
            .open(&self.path)
            .map_err(&io)?;
        written.snapshot_bytes = text.len() as u64;
        written.log_bytes = 0;
        Ok(())
    }

    /// Replaces the saved state with `fixture` (a sandbox reset), synced
    /// before it returns.
    pub fn reset(&self, fixture: Fixture) -> Result<(), FixtureError> {
        let mut written = self.lock();
        let previous = std::mem::replace(&mut written.state, Indexed::new(fixture));
        if let Err(e) = self.compact(&mut written) {
            written.state = previous;
            return Err(e);
        }
        Ok(())
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn index(ids: impl Iterator<Item = Uuid>) -> HashMap<Uuid, usize> {
    ids.enumerate().map(|(i, id)| (id, i)).collect()
}

/// Reads a state file: a snapshot line and its changes, or a whole fixture.
fn load(path: &Path, text: &str) -> Result<Indexed, FixtureError> {
    let shown = path.display().to_string();
    if !text.trim_start().starts_with("{\"luplSandboxState\"") {
        return Fixture::parse(text, &shown).map(Indexed::new);
    }
    let format = |line: usize, e: serde_json::Error| FixtureError::Format {
        path: shown.clone(),
        line,
        column: e.column(),
        message: e.to_string(),
    };
    let mut lines = text.split_inclusive('\n').enumerate();
    let (_, first) = lines.next().unwrap_or((0, ""));
    let snapshot: Snapshot = serde_json::from_str(first).map_err(|e| format(1, e))?;
    snapshot.fixture.check(&shown)?;
    let mut state = Indexed::new(snapshot.fixture);
    for (i, line) in lines {
        // A blank line (an editor's last newline) holds nothing.
        if line.trim().is_empty() {
            continue;
        }
        let complete = line.ends_with('\n');
        match serde_json::from_str::<Line>(line) {
            Ok(entry) => state
                .apply(entry.entry().map_err(|message| FixtureError::Invalid {
                    path: format!("{shown}:{}", i + 1),
                    message,
                })?)
                .map_err(|message| FixtureError::Invalid {
                    path: format!("{shown}:{}", i + 1),
                    message: format!("{message} (this line was not written by lupl-sandbox)"),
                })?,
            // Killed mid-append: that write was never acknowledged.
            Err(_) if !complete => break,
            Err(e) => return Err(format(i + 1, e)),
        }
    }
    Ok(state)
}
