//! The `set-many` journal: one JSON line per event, appended as the run
//! goes, so an interrupted run resumes without repeating or losing a row.
//!
//! Before a row's request is sent, a `sent` line is written; when its answer
//! is in, a `done` line. Each line is one `write` of the file: it survives
//! the process being killed (not a power cut; the journal is synced when
//! the run ends). On `--resume`, a row whose last `done` is final and was
//! for the same content is skipped; a row with a `sent` but no `done` was
//! perhaps written, and is checked with a GET before it is sent again.
//! Rows are known by organization and a digest of the body, so a row fixed
//! in the file after a refusal is sent again.

use crate::failure::Failure;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use uuid::Uuid;

const FORMAT: &str = "lupl set-many journal 1";

/// One journal line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "camelCase")]
pub enum Entry {
    /// The first line: which provider the rows are for.
    #[serde(rename_all = "camelCase")]
    Start {
        /// [`FORMAT`].
        format: String,
        /// The provider every row names.
        pms_id: Uuid,
        /// The `--backup` file of the run (its full path), if it keeps one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        backup: Option<String>,
    },
    /// A row's request is about to be sent.
    #[serde(rename_all = "camelCase")]
    Sent {
        /// The row's line in the input.
        line: usize,
        /// The organization.
        organization_id: Uuid,
        /// [`digest`] of the body.
        digest: String,
    },
    /// A row's answer.
    #[serde(rename_all = "camelCase")]
    Done {
        /// The row's line in the input.
        line: usize,
        /// The organization.
        organization_id: Uuid,
        /// [`digest`] of the body.
        digest: String,
        /// What happened.
        outcome: Outcome,
    },
}

/// What a row got: a status, or why there was none. Written to the
/// journal and the result file as `200`, `400`, …, `invalid`, `network`,
/// `auth` or `error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// The server answered with this status.
    Http(u16),
    /// Never sent: the file's value cannot be typed.
    Invalid,
    /// No answer: the network failed.
    Network,
    /// No token could be had.
    Auth,
    /// Another failure without a status.
    Error,
    /// Never sent: the run stopped while the row waited for the rate
    /// limit (sent again on `--resume`).
    NotSent,
}

impl Status {
    /// Stored.
    pub const STORED: Status = Status::Http(200);
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Status::Http(code) => write!(f, "{code}"),
            Status::Invalid => f.write_str("invalid"),
            Status::Network => f.write_str("network"),
            Status::Auth => f.write_str("auth"),
            Status::Error => f.write_str("error"),
            Status::NotSent => f.write_str("not sent"),
        }
    }
}

impl std::str::FromStr for Status {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "invalid" => Status::Invalid,
            "network" => Status::Network,
            "auth" => Status::Auth,
            "error" => Status::Error,
            "not sent" => Status::NotSent,
            code => Status::Http(
                code.parse()
                    .map_err(|_| format!("{code:?} is not a status"))?,
            ),
        })
    }
}

impl Serialize for Status {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Status {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// What became of a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    /// The status, or why there was none.
    pub status: Status,
    /// The error keys, for a 400 or an invalid row.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub error_keys: Vec<String>,
    /// A short explanation.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

impl Outcome {
    /// Stored.
    pub fn ok() -> Self {
        Self {
            status: Status::STORED,
            error_keys: Vec::new(),
            message: String::new(),
        }
    }

    /// True when the row is stored.
    pub fn is_ok(&self) -> bool {
        self.status == Status::STORED
    }

    /// True when the API could not take the row now (a 5xx, a 429 after
    /// the retries, no answer, a redirect not followed): the same row may
    /// pass later.
    pub fn is_unavailable(&self) -> bool {
        // A redirect too: the API was not reached at the base URL.
        matches!(
            self.status,
            Status::Http(300..=399 | 429 | 500..=599) | Status::Network
        )
    }

    /// True when sending the row again in the same run may change the
    /// answer: not a final answer, not the credentials' fault, and not a
    /// redirect (not followed, nor sent again to the same place: the base
    /// URL is wrong, not the moment).
    pub fn is_worth_retrying(&self) -> bool {
        !self.is_final()
            && !self.is_auth_failure()
            && !matches!(self.status, Status::Http(300..=399))
    }

    /// True when the answer says the credentials, not the row, are at fault
    /// (a 401, or no token could be had): every further row would fail too.
    pub fn is_auth_failure(&self) -> bool {
        matches!(self.status, Status::Http(401) | Status::Auth)
    }

    /// True when sending the same row again would get the same answer: it
    /// was stored, or refused for its content or the caller's rights.
    pub fn is_final(&self) -> bool {
        matches!(
            self.status,
            Status::Http(200 | 400 | 403 | 413 | 415) | Status::Invalid
        )
    }
}

/// The digest that identifies a row's content.
pub fn digest(body: &serde_json::Value) -> String {
    let hash = Sha256::digest(body.to_string().as_bytes());
    hash.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// What an earlier run left for an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Earlier {
    /// Answered: the digest and the outcome.
    Done(String, Outcome),
    /// Sent with this digest, answer unknown.
    InFlight(String),
}

/// An open journal.
#[derive(Debug)]
pub struct Journal {
    file: File,
    path: PathBuf,
}

impl Journal {
    /// Opens the journal at `path` for the provider `pms_id`. Without
    /// `resume`, an existing non-empty journal is refused; with it, its
    /// entries are returned by organization.
    pub fn open(
        path: &Path,
        pms_id: Uuid,
        resume: bool,
    ) -> Result<(Self, HashMap<Uuid, Earlier>), Failure> {
        Self::open_with(path, pms_id, resume, None)
    }

    /// [`Journal::open`] for a run that keeps old values in `backup` (its
    /// full path): a run is continued only with the backup it started
    /// with, so no change of the run goes without its old value.
    pub fn open_with(
        path: &Path,
        pms_id: Uuid,
        resume: bool,
        backup: Option<&str>,
    ) -> Result<(Self, HashMap<Uuid, Earlier>), Failure> {
        let shown = path.display();
        let mut options = OpenOptions::new();
        options.create(true).read(true).write(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let io = |e: std::io::Error| Failure::usage(format!("cannot write {shown}: {e}"));
        let mut file = options.open(path).map_err(io)?;
        // One run per journal: two would send rows twice and interleave
        // their entries. The lock goes with the file when the run ends.
        file.try_lock().map_err(|e| match e {
            std::fs::TryLockError::WouldBlock => Failure::usage(format!(
                "another `lupl org set-many` is running with {shown} (it holds the file locked); wait for it to finish, then pass --resume"
            )),
            std::fs::TryLockError::Error(e) => io(e),
        })?;
        let mut text = String::new();
        file.read_to_string(&mut text)
            .map_err(|e| Failure::usage(format!("cannot read {shown}: {e}")))?;
        let mut earlier = HashMap::new();
        let mut keep = 0;
        if !text.is_empty() {
            if !resume {
                return Err(Failure::usage(format!(
                    "{shown} holds an earlier run: pass --resume to continue it, or remove it to start over"
                )));
            }
            keep = read(path, &text, pms_id, backup, &mut earlier)?;
        }
        // Drop a line torn by a kill in the middle of a write.
        file.set_len(keep as u64).map_err(io)?;
        file.seek(SeekFrom::End(0)).map_err(io)?;
        let mut journal = Self {
            file,
            path: path.to_owned(),
        };
        if keep == 0 {
            journal.append(&Entry::Start {
                format: FORMAT.into(),
                pms_id,
                backup: backup.map(str::to_owned),
            })?;
        }
        Ok((journal, earlier))
    }

    /// Appends one entry as one write.
    pub fn append(&mut self, entry: &Entry) -> Result<(), Failure> {
        let mut line =
            serde_json::to_vec(entry).map_err(|e| Failure::usage(format!("journal entry: {e}")))?;
        line.push(b'\n');
        self.file
            .write_all(&line)
            .map_err(|e| Failure::usage(format!("cannot write {}: {e}", self.path.display())))
    }

    /// Flushes the journal to disk.
    pub fn sync(&self) -> Result<(), Failure> {
        self.file
            .sync_data()
            .map_err(|e| Failure::usage(format!("cannot sync {}: {e}", self.path.display())))
    }
}

/// Reads a journal's entries into `earlier`; returns how many bytes of it
/// are whole lines.
fn read(
    path: &Path,
    text: &str,
    pms_id: Uuid,
    backup: Option<&str>,
    earlier: &mut HashMap<Uuid, Earlier>,
) -> Result<usize, Failure> {
    let whole = text.rfind('\n').map_or(0, |i| i + 1);
    for (i, line) in text[..whole].lines().enumerate() {
        let entry: Entry = serde_json::from_str(line).map_err(|e| {
            Failure::usage(format!(
                "{}:{}: not a journal entry ({e}); remove the file to start over",
                path.display(),
                i + 1
            ))
        })?;
        match entry {
            Entry::Start {
                format,
                pms_id: p,
                backup: kept,
            } => {
                if format != FORMAT || p != pms_id {
                    return Err(Failure::usage(format!(
                        "{} is a journal for provider {p} ({format}), not {pms_id}; pass another --journal",
                        path.display()
                    )));
                }
                match (kept.as_deref(), backup) {
                    (Some(kept), Some(given)) if kept == given => {}
                    (None, None) => {}
                    (Some(kept), _) => {
                        return Err(Failure::usage(format!(
                            "the run in {} keeps old values in {kept}: pass --backup {kept} to continue it (every change of a run has its old value in one file)",
                            path.display()
                        )));
                    }
                    (None, Some(_)) => {
                        return Err(Failure::usage(format!(
                            "the run in {} started without --backup: what it changed has no old value kept; continue it without --backup, or remove the journal to start a run that keeps them",
                            path.display()
                        )));
                    }
                }
            }
            Entry::Sent {
                organization_id,
                digest,
                ..
            } => {
                earlier.insert(organization_id, Earlier::InFlight(digest));
            }
            Entry::Done {
                organization_id,
                digest,
                outcome,
                ..
            } => {
                earlier.insert(organization_id, Earlier::Done(digest, outcome));
            }
        }
    }
    Ok(whole)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    #[test]
    fn a_torn_last_line_is_dropped_and_the_rest_resumed() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("j");
        let pms = org(99);
        let (mut j, earlier) = Journal::open(&path, pms, false).expect("new");
        assert!(earlier.is_empty());
        let sent = |n| Entry::Sent {
            line: n as usize,
            organization_id: org(n),
            digest: format!("d{n}"),
        };
        j.append(&sent(1)).expect("append");
        j.append(&Entry::Done {
            line: 1,
            organization_id: org(1),
            digest: "d1".into(),
            outcome: Outcome::ok(),
        })
        .expect("append");
        j.append(&sent(2)).expect("append");
        drop(j);
        // A kill in the middle of the next write.
        let mut text = std::fs::read_to_string(&path).expect("read");
        text.push_str("{\"event\":\"sent\",\"line\":3,\"organiz");
        std::fs::write(&path, &text).expect("write");

        assert!(
            Journal::open(&path, pms, false).is_err(),
            "not without --resume"
        );
        let err = Journal::open(&path, org(7), true).expect_err("another provider");
        assert!(err.message.contains("not 00000000"), "{}", err.message);

        let (mut j, earlier) = Journal::open(&path, pms, true).expect("resume");
        assert_eq!(earlier[&org(1)], Earlier::Done("d1".into(), Outcome::ok()));
        assert_eq!(earlier[&org(2)], Earlier::InFlight("d2".into()));
        assert!(!earlier.contains_key(&org(3)));
        j.append(&sent(4)).expect("append");
        drop(j);
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(
            text.lines()
                .all(|l| serde_json::from_str::<Entry>(l).is_ok()),
            "{text}"
        );
    }

    #[test]
    fn a_broken_line_in_the_middle_is_refused_with_its_number() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("j");
        drop(Journal::open(&path, org(1), false).expect("new"));
        let mut text = std::fs::read_to_string(&path).expect("read");
        text.push_str("garbage\n{\"event\":\"sent\"}\n");
        std::fs::write(&path, text).expect("write");
        let err = Journal::open(&path, org(1), true).expect_err("corrupt");
        assert!(err.message.contains(":2:"), "{}", err.message);
    }

    #[test]
    fn only_answers_that_would_repeat_are_final() {
        let o = |s: &str| Outcome {
            status: s.parse().expect("status"),
            ..Outcome::ok()
        };
        for s in ["200", "400", "403", "invalid"] {
            assert!(o(s).is_final(), "{s}");
        }
        for s in ["500", "503", "429", "network", "auth", "401"] {
            assert!(!o(s).is_final(), "{s}");
        }
    }
}
