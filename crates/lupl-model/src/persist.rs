//! The sandbox's `--state FILE`: loaded on start, saved atomically after
//! every acknowledged write (temp file, fsync, rename, fsync of the folder),
//! so a killed sandbox loses nothing it answered 200 to.

use crate::fixture::{Fixture, FixtureError};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A state file.
#[derive(Debug, Clone)]
pub struct StateFile {
    path: PathBuf,
}

impl StateFile {
    /// The state file at `path` (it need not exist yet).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The saved state, or `None` when the file does not exist yet.
    pub fn load(&self) -> Result<Option<Fixture>, FixtureError> {
        if !self.path.exists() {
            return Ok(None);
        }
        Fixture::load(&self.path).map(Some)
    }

    /// Writes the state atomically.
    pub fn save(&self, state: &Fixture) -> Result<(), FixtureError> {
        let io = |source| FixtureError::Io {
            path: self.path.display().to_string(),
            source,
        };
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned());
        let tmp = dir.join(format!(".{}.tmp", name.unwrap_or_else(|| "state".into())));
        let text = serde_json::to_vec_pretty(state).map_err(|e| io(std::io::Error::other(e)))?;
        let mut file = std::fs::File::create(&tmp).map_err(io)?;
        file.write_all(&text).map_err(io)?;
        file.sync_all().map_err(io)?;
        drop(file);
        std::fs::rename(&tmp, &self.path).map_err(io)?;
        sync_dir(&dir).map_err(io)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}
