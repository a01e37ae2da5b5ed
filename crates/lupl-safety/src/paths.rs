//! Output paths checked against every input path, before anything is read,
//! sent or written.
//!
//! A binary lists each file flag of a run as an [`Role::Input`] (a token
//! file, a config file, a baseline, a recording to replay) or an
//! [`Role::Output`] (a result file, a journal, a report) and calls
//! [`Files::check`]: an output that names an input or another output, or
//! that is not a regular file (a directory, a device, a pipe, which would
//! be written to as something else or replaced), is refused with a
//! [`Clash`] that names both flags. Nothing is created or truncated by the
//! check. With the `cli` feature, [`from_matches`] gathers the files from
//! clap's matches and [`path_flags`] lists every path flag of a command, so
//! a test can assert that each is classified and no new flag skips the
//! guard.

use std::path::{Path, PathBuf};

/// What a file flag is to the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Read: never written.
    Input,
    /// Written: must not be an input, another output, or a non-file.
    Output,
}

/// Why the files of a run cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Clash {
    /// An output names an input.
    #[error(
        "{output} {path} is also {input}; an output never replaces an input: give another path"
    )]
    OutputIsInput {
        /// The output's flag.
        output: String,
        /// The input's flag.
        input: String,
        /// The path, as the output flag gave it.
        path: String,
    },
    /// Two outputs name one file.
    #[error("{first} and {second} both name {path}; give them different paths")]
    SameOutput {
        /// The first output's flag.
        first: String,
        /// The second output's flag.
        second: String,
        /// The path.
        path: String,
    },
    /// An output cannot be written.
    #[error("cannot write {output} {path}: {error}")]
    Unwritable {
        /// The output's flag.
        output: String,
        /// The path.
        path: String,
        /// What the OS said.
        error: String,
    },
    /// An input is not a regular file: a device (`/dev/zero` never ends)
    /// or a pipe (with no writer, reading it blocks for ever).
    #[error(
        "{input} {path} is {kind}; give the path of a regular file (or - for standard input where the flag takes it)"
    )]
    InputNotAFile {
        /// The input's flag.
        input: String,
        /// The path.
        path: String,
        /// What it is instead.
        kind: &'static str,
    },
    /// An output exists and is not a regular file.
    #[error("{output} {path} is {kind}; give the path of a regular file")]
    NotAFile {
        /// The output's flag.
        output: String,
        /// The path.
        path: String,
        /// What it is instead.
        kind: &'static str,
    },
}

/// The file flags of one run.
///
/// ```
/// use lupl_safety::paths::Files;
/// let dir = tempfile::tempdir()?;
/// let token = dir.path().join("tok");
/// std::fs::write(&token, "secret")?;
/// let clash = Files::default()
///     .input("--token-file", Some(&token))
///     .output("--record", Some(&token))
///     .check()
///     .expect_err("the record would replace the token file");
/// assert!(clash.to_string().contains("--record"));
/// assert_eq!(std::fs::read_to_string(&token)?, "secret", "nothing was touched");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Files {
    entries: Vec<(String, Role, PathBuf)>,
}

impl Files {
    /// Adds a file flag with its role (nothing when `path` is `None`).
    ///
    /// ```
    /// use lupl_safety::paths::{Files, Role};
    /// let files = Files::default().with("--journal", Role::Output, Some("a.journal".as_ref()));
    /// assert_eq!(files.len(), 1);
    /// ```
    pub fn with(mut self, flag: &str, role: Role, path: Option<&Path>) -> Self {
        if let Some(path) = path {
            self.entries.push((flag.to_owned(), role, path.to_owned()));
        }
        self
    }

    /// Adds an input.
    ///
    /// ```
    /// let files = lupl_safety::paths::Files::default().input("--config", Some("c.toml".as_ref()));
    /// assert_eq!(files.len(), 1);
    /// ```
    pub fn input(self, flag: &str, path: Option<&Path>) -> Self {
        self.with(flag, Role::Input, path)
    }

    /// Adds an output.
    ///
    /// ```
    /// let files = lupl_safety::paths::Files::default().output("--junit", None);
    /// assert!(files.is_empty());
    /// ```
    pub fn output(self, flag: &str, path: Option<&Path>) -> Self {
        self.with(flag, Role::Output, path)
    }

    /// These files and `other`'s.
    ///
    /// ```
    /// use lupl_safety::paths::Files;
    /// let a = Files::default().input("--config", Some("c.toml".as_ref()));
    /// let b = Files::default().output("--junit", Some("c.toml".as_ref()));
    /// assert!(a.merge(b).check().is_err());
    /// ```
    pub fn merge(mut self, other: Files) -> Self {
        self.entries.extend(other.entries);
        self
    }

    /// How many files were added.
    ///
    /// ```
    /// assert_eq!(lupl_safety::paths::Files::default().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether none was added.
    ///
    /// ```
    /// assert!(lupl_safety::paths::Files::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Refuses an input that exists and is not a regular file, an output
    /// that names an input or another output, or that exists and is not a
    /// regular file. Creates and truncates nothing.
    ///
    /// ```
    /// use lupl_safety::paths::{Clash, Files};
    /// let dir = tempfile::tempdir()?;
    /// let clash = Files::default()
    ///     .output("--junit", Some(&dir.path().join("r")))
    ///     .output("--coverage", Some(&dir.path().join("r")))
    ///     .check();
    /// assert!(matches!(clash, Err(Clash::SameOutput { .. })));
    /// let dir_clash = Files::default().output("--junit", Some(dir.path())).check();
    /// assert!(matches!(dir_clash, Err(Clash::NotAFile { kind: "a directory", .. })));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn check(&self) -> Result<(), Clash> {
        for (flag, _, path) in self.entries.iter().filter(|(_, r, _)| *r == Role::Input) {
            if let Ok(m) = std::fs::metadata(path)
                && !m.is_file()
            {
                return Err(Clash::InputNotAFile {
                    input: flag.clone(),
                    path: path.display().to_string(),
                    kind: if m.is_dir() {
                        "a directory"
                    } else {
                        "not a regular file (a device or a pipe)"
                    },
                });
            }
        }
        let outputs = self.entries.iter().filter(|(_, r, _)| *r == Role::Output);
        for (i, (flag, _, path)) in outputs.clone().enumerate() {
            if let Ok(m) = std::fs::metadata(path)
                && !m.is_file()
            {
                return Err(Clash::NotAFile {
                    output: flag.clone(),
                    path: path.display().to_string(),
                    kind: if m.is_dir() {
                        "a directory"
                    } else {
                        "not a regular file (a device or a pipe)"
                    },
                });
            }
            for (input, _, other) in self.entries.iter().filter(|(_, r, _)| *r == Role::Input) {
                if same_file(path, other) {
                    return Err(Clash::OutputIsInput {
                        output: flag.clone(),
                        input: input.clone(),
                        path: path.display().to_string(),
                    });
                }
            }
            for (second, _, other) in outputs.clone().skip(i + 1) {
                if same_file(path, other) {
                    return Err(Clash::SameOutput {
                        first: flag.clone(),
                        second: second.clone(),
                        path: path.display().to_string(),
                    });
                }
            }
        }
        Ok(())
    }
}

impl Files {
    /// Finds out now whether each output can be written, so that a run
    /// does not learn it at its end: an existing file is opened for
    /// appending (not truncated), a new one is created and removed again.
    /// Nothing is left behind and nothing is changed.
    ///
    /// ```
    /// use lupl_safety::paths::{Clash, Files};
    /// let dir = tempfile::tempdir()?;
    /// let report = dir.path().join("report.xml");
    /// Files::default().output("--junit", Some(&report)).check_writable().expect("writable");
    /// assert!(!report.exists(), "the probe left nothing");
    /// let missing = dir.path().join("no-such-dir").join("report.xml");
    /// let clash = Files::default().output("--junit", Some(&missing)).check_writable();
    /// assert!(matches!(clash, Err(Clash::Unwritable { .. })));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn check_writable(&self) -> Result<(), Clash> {
        for (flag, _, path) in self.entries.iter().filter(|(_, r, _)| *r == Role::Output) {
            let probe = if path.exists() {
                std::fs::OpenOptions::new()
                    .append(true)
                    .open(path)
                    .map(drop)
            } else {
                std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(path)
                    .and_then(|_| std::fs::remove_file(path))
            };
            probe.map_err(|e| Clash::Unwritable {
                output: flag.clone(),
                path: path.display().to_string(),
                error: e.to_string(),
            })?;
        }
        Ok(())
    }
}

/// An output file being written: a new, randomly named file beside the
/// target (created exclusively, mode 0600, so no link planted there is
/// followed), which replaces the target only on [`Replacement::commit`].
/// Dropped without a commit (an early exit, an error), it is removed and
/// the target is untouched. A target that is a symbolic link is resolved
/// first: the file it points at is replaced, the link stays.
///
/// ```
/// use std::io::Write;
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("report.xml");
/// let mut out = lupl_safety::paths::Replacement::new(&path)?;
/// out.file().write_all(b"<testsuites/>")?;
/// assert!(!path.exists(), "nothing until committed");
/// out.commit()?;
/// assert_eq!(std::fs::read_to_string(&path)?, "<testsuites/>");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Replacement {
    tmp: tempfile::NamedTempFile,
    target: PathBuf,
}

impl Replacement {
    /// Starts replacing `path`.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let out = lupl_safety::paths::Replacement::new(&dir.path().join("x"))?;
    /// drop(out); // nothing written, nothing left
    /// assert_eq!(std::fs::read_dir(dir.path())?.count(), 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new(path: &Path) -> std::io::Result<Self> {
        let target = match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path)?,
            _ => path.to_owned(),
        };
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
            _ => PathBuf::from("."),
        };
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".partial")
            .tempfile_in(dir)?;
        Ok(Self { tmp, target })
    }

    /// The file to write.
    ///
    /// ```
    /// use std::io::Write;
    /// let dir = tempfile::tempdir()?;
    /// let mut out = lupl_safety::paths::Replacement::new(&dir.path().join("x"))?;
    /// writeln!(out.file(), "a line")?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn file(&mut self) -> &mut std::fs::File {
        self.tmp.as_file_mut()
    }

    /// Syncs the new file and puts it in the target's place.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("x");
    /// lupl_safety::paths::Replacement::new(&path)?.commit()?;
    /// assert!(path.exists());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn commit(self) -> std::io::Result<()> {
        use std::io::Write;
        let mut tmp = self.tmp;
        tmp.flush()?;
        tmp.as_file().sync_all()?;
        tmp.persist(&self.target).map(drop).map_err(|e| e.error)
    }
}

/// Replaces `path` with `contents` through a [`Replacement`]: all or
/// nothing, no link beside it followed.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("coverage.json");
/// lupl_safety::paths::replace(&path, b"{}")?;
/// assert_eq!(std::fs::read(&path)?, b"{}");
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn replace(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = Replacement::new(path)?;
    out.file().write_all(contents)?;
    out.commit()
}

/// Whether two paths name one file: the same inode when both exist
/// (through links of either kind), else the same absolute path once the
/// parent directory is resolved (the file need not exist yet).
///
/// ```
/// use lupl_safety::paths::same_file;
/// let dir = tempfile::tempdir()?;
/// let a = dir.path().join("a");
/// std::fs::write(&a, "")?;
/// std::os::unix::fs::symlink(&a, dir.path().join("link"))?;
/// assert!(same_file(&a, &dir.path().join("link")));
/// assert!(same_file(&dir.path().join("new"), &dir.path().join(".").join("new")));
/// assert!(!same_file(&a, &dir.path().join("new")));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return x.dev() == y.dev() && x.ino() == y.ino();
        }
    }
    fn resolved(p: &Path) -> Option<PathBuf> {
        if let Ok(p) = p.canonicalize() {
            return Some(p);
        }
        let parent = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.canonicalize().ok()?,
            _ => std::env::current_dir().ok()?,
        };
        Some(parent.join(p.file_name()?))
    }
    match (resolved(a), resolved(b)) {
        (Some(a), Some(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(feature = "cli")]
mod cli {
    use super::{Files, Role};
    use std::path::PathBuf;

    /// Every path flag of `command` and its subcommands: the subcommand
    /// names leading to it, and the argument's id. A path flag is one whose
    /// values are [`PathBuf`]s.
    ///
    /// ```
    /// use clap::{Arg, Command, value_parser};
    /// let command = Command::new("tool")
    ///     .arg(Arg::new("out").long("out").value_parser(value_parser!(std::path::PathBuf)))
    ///     .subcommand(Command::new("sub").arg(Arg::new("in").long("in").value_parser(value_parser!(std::path::PathBuf))));
    /// let flags = lupl_safety::paths::path_flags(&command);
    /// assert_eq!(flags, vec![(vec![], "out".to_owned()), (vec!["sub".to_owned()], "in".to_owned())]);
    /// ```
    pub fn path_flags(command: &clap::Command) -> Vec<(Vec<String>, String)> {
        let mut out = Vec::new();
        walk(command, &mut Vec::new(), &mut out);
        out
    }

    fn walk(command: &clap::Command, path: &mut Vec<String>, out: &mut Vec<(Vec<String>, String)>) {
        for arg in command.get_arguments() {
            if arg.get_value_parser().type_id() == std::any::TypeId::of::<PathBuf>() {
                let id = arg.get_id().to_string();
                // A global flag is listed once, where it is declared.
                if !arg.is_global_set() || path.is_empty() {
                    out.push((path.clone(), id));
                }
            }
        }
        for sub in command.get_subcommands() {
            path.push(sub.get_name().to_owned());
            walk(sub, path, out);
            path.pop();
        }
    }

    /// The files `matches` names, each with its role in `roles` (by
    /// argument id), through every subcommand matched. A path flag that
    /// `roles` does not list is an error naming it: every file flag must be
    /// classified.
    ///
    /// ```
    /// use clap::{Arg, Command, value_parser};
    /// use lupl_safety::paths::{Role, from_matches};
    /// let command = Command::new("tool")
    ///     .arg(Arg::new("in").long("in").value_parser(value_parser!(std::path::PathBuf)))
    ///     .arg(Arg::new("out").long("out").value_parser(value_parser!(std::path::PathBuf)));
    /// let matches = command.get_matches_from(["tool", "--in", "x", "--out", "x"]);
    /// let files = from_matches(&matches, &[("in", Role::Input), ("out", Role::Output)])?;
    /// assert!(files.check().is_err(), "--out would replace --in");
    /// # Ok::<(), String>(())
    /// ```
    pub fn from_matches(
        matches: &clap::ArgMatches,
        roles: &[(&str, Role)],
    ) -> Result<Files, String> {
        let mut files = Files::default();
        // A global flag is in the matches of every subcommand level: take
        // each flag once.
        let mut seen: Vec<String> = Vec::new();
        let mut current = Some(matches);
        while let Some(m) = current {
            for id in m.ids() {
                if seen.iter().any(|s| s == id.as_str()) {
                    continue;
                }
                let Ok(Some(values)) = m.try_get_many::<PathBuf>(id.as_str()) else {
                    continue;
                };
                let Some((_, role)) = roles.iter().find(|(name, _)| *name == id.as_str()) else {
                    return Err(format!(
                        "the path flag {id} has no role: list it as an input or an output"
                    ));
                };
                seen.push(id.as_str().to_owned());
                let flag = format!("--{}", id.as_str().replace('_', "-"));
                for value in values {
                    files = files.with(&flag, *role, Some(value));
                }
            }
            current = m.subcommand().map(|(_, sub)| sub);
        }
        Ok(files)
    }
}

#[cfg(feature = "cli")]
pub use cli::{from_matches, path_flags};
