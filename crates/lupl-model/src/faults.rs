//! Faults a test injects into the sandbox: what Stage does on a bad day
//! (a 5xx from the gateway, a 429 storm, a slow or trickled answer, a
//! connection closed or reset, a malformed body, a token that expires),
//! each for the requests it matches, for the next N of them or until
//! removed. [`crate::gateway`] applies them; this module only says which
//! fault a request meets.
//!
//! A fault never changes stored state unless the write was answered 200:
//! every effect but a delay or a trickle answers without asking the model.

use crate::model::ModelRequest;
use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use uuid::Uuid;

/// The longest delay or trickle a fault may ask for (10 minutes).
pub const MAX_DELAY_MS: u64 = 600_000;

/// One fault: which requests it matches (every matcher given must match)
/// and what happens to them. The JSON form of `POST /__admin/faults` and
/// of `--faults FILE` (an array of these).
///
/// ```
/// let fault: lupl_model::Fault = serde_json::from_str(
///     r#"{"method": "POST", "path": "/api/1.0/pms/organizationconfig", "status": 503, "times": 2}"#,
/// )?;
/// assert!(fault.check().is_ok());
/// let nothing: lupl_model::Fault = serde_json::from_str(r#"{"method": "GET"}"#)?;
/// assert!(nothing.check().is_err(), "a fault needs an effect");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fault {
    /// Matches this method only (any case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Matches this path only (any case, no query, a trailing `/` ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Matches requests with this bearer token only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Matches requests naming this `pmsId` (query or body) only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pms_id: Option<Uuid>,
    /// Matches requests naming this `organizationId` (query or body) only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<Uuid>,
    /// Answer this status (400–599) instead of the API: 502, 503 and 504
    /// with a gateway's HTML page, 429 with the API's own body, others
    /// with a problem body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// With `status` 429 or 503 (429 if no status is given): the
    /// `Retry-After` seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// Wait this long before answering (then answer as the other effects
    /// say, or as the API does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// Send the answer's body in eight pieces, this long apart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trickle_ms: Option<u64>,
    /// Close the connection without an answer.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub drop: bool,
    /// Reset the connection (TCP RST) without an answer.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reset: bool,
    /// Answer 200 with a JSON body cut in the middle.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub malformed: bool,
    /// End the caller's token (one issued by `/oauth/token`) now: this
    /// request and every later one with it are answered 401.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub expire_token: bool,
    /// For the next N matching requests (at least 1); until removed if
    /// absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
}

/// What a fault does instead of, or to, the API's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// The API answers (after the delay, trickled if asked).
    Api,
    /// This status, with `Retry-After` seconds if given.
    Status(u16, Option<u64>),
    /// The connection is closed without an answer.
    Drop,
    /// The connection is reset without an answer.
    Reset,
    /// 200 with a JSON body cut short.
    Malformed,
    /// The caller's token ends, then the API answers (401).
    ExpireToken,
}

impl Effect {
    /// A short name, for the journal and the access log.
    pub fn name(self) -> String {
        match self {
            Effect::Api => "none".into(),
            Effect::Status(s, _) => format!("status {s}"),
            Effect::Drop => "drop".into(),
            Effect::Reset => "reset".into(),
            Effect::Malformed => "malformed".into(),
            Effect::ExpireToken => "expire-token".into(),
        }
    }
}

/// Why a fault cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FaultError(pub String);

impl Fault {
    /// Whether the fault is usable: one effect at most among `status`
    /// (or `retryAfter`), `drop`, `reset`, `malformed`, `expireToken`, at
    /// least one effect in all, a status of 400–599, delays up to
    /// [`MAX_DELAY_MS`], `times` at least 1.
    pub fn check(&self) -> Result<(), FaultError> {
        let bad = |m: &str| Err(FaultError(m.to_owned()));
        let answers = [
            self.status.is_some() || self.retry_after.is_some(),
            self.drop,
            self.reset,
            self.malformed,
            self.expire_token,
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if answers > 1 {
            return bad(
                "give at most one of status (or retryAfter), drop, reset, malformed, expireToken",
            );
        }
        if answers == 0 && self.delay_ms.is_none() && self.trickle_ms.is_none() {
            return bad(
                "a fault needs an effect: status, retryAfter, delayMs, trickleMs, drop, reset, malformed or expireToken",
            );
        }
        if let Some(status) = self.status
            && !(400..=599).contains(&status)
        {
            return bad("status must be 400–599");
        }
        if self.retry_after.is_some() && !matches!(self.status, None | Some(429) | Some(503)) {
            return bad("retryAfter goes with status 429 or 503");
        }
        if self.delay_ms.unwrap_or(0) > MAX_DELAY_MS || self.trickle_ms.unwrap_or(0) > MAX_DELAY_MS
        {
            return bad("delayMs and trickleMs are at most 600000");
        }
        if (self.drop || self.reset) && self.trickle_ms.is_some() {
            return bad("trickleMs needs an answer: not with drop or reset");
        }
        if self.times == Some(0) {
            return bad("times must be at least 1 (leave it out for 'until removed')");
        }
        Ok(())
    }

    /// What it does.
    pub fn effect(&self) -> Effect {
        if self.drop {
            Effect::Drop
        } else if self.reset {
            Effect::Reset
        } else if self.malformed {
            Effect::Malformed
        } else if self.expire_token {
            Effect::ExpireToken
        } else if self.status.is_some() || self.retry_after.is_some() {
            Effect::Status(self.status.unwrap_or(429), self.retry_after)
        } else {
            Effect::Api
        }
    }

    /// The wait before answering.
    pub fn delay(&self) -> Duration {
        Duration::from_millis(self.delay_ms.unwrap_or(0))
    }

    /// The pause between the pieces of a trickled body.
    pub fn trickle(&self) -> Option<Duration> {
        self.trickle_ms.map(Duration::from_millis)
    }

    fn matches(&self, request: &ModelRequest, ids: &mut Option<Ids>) -> bool {
        let path = request.path.strip_suffix('/').unwrap_or(&request.path);
        let wanted_path = |p: &String| {
            let p = p.strip_suffix('/').unwrap_or(p);
            p.eq_ignore_ascii_case(path)
        };
        let method = self
            .method
            .as_ref()
            .is_none_or(|m| m.eq_ignore_ascii_case(&request.method));
        let token = self
            .token
            .as_deref()
            .is_none_or(|t| request.bearer_token() == Some(t));
        if !(method && token && self.path.as_ref().is_none_or(wanted_path)) {
            return false;
        }
        if self.pms_id.is_none() && self.organization_id.is_none() {
            return true;
        }
        let ids = ids.get_or_insert_with(|| Ids::of(request));
        (self.pms_id.is_none() || self.pms_id == ids.pms_id)
            && (self.organization_id.is_none() || self.organization_id == ids.organization_id)
    }
}

/// The ids a request names, in its query or its body's top level.
#[derive(Debug, Default)]
struct Ids {
    pms_id: Option<Uuid>,
    organization_id: Option<Uuid>,
}

impl Ids {
    fn of(request: &ModelRequest) -> Self {
        let mut ids = Ids::default();
        let mut take = |name: &str, value: &str| {
            let id = crate::binding::parse_guid(value);
            if name.eq_ignore_ascii_case("pmsId") {
                ids.pms_id = ids.pms_id.or(id);
            } else if name.eq_ignore_ascii_case("organizationId") {
                ids.organization_id = ids.organization_id.or(id);
            }
        };
        // The body first: a write's ids are its body's, as the model reads
        // them; a read's are its query's.
        if let Ok(serde_json::Value::Object(body)) =
            serde_json::from_slice::<serde_json::Value>(&request.body)
        {
            for (name, value) in &body {
                if let Some(value) = value.as_str() {
                    take(name, value);
                }
            }
        }
        if let Some(query) = &request.query {
            for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
                take(&name, &value);
            }
        }
        ids
    }
}

/// A fault as the table holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Installed {
    /// Its id, for `DELETE /__admin/faults/{id}`.
    pub id: u64,
    /// The fault; `times` counts down as requests meet it.
    #[serde(flatten)]
    pub fault: Fault,
}

/// The faults in force, first installed first matched. Empty, it costs a
/// request one atomic load.
#[derive(Debug, Default)]
pub struct FaultTable {
    faults: Mutex<(u64, Vec<Installed>)>,
    any: AtomicBool,
}

impl FaultTable {
    /// Installs a fault; returns its id.
    ///
    /// ```
    /// let table = lupl_model::FaultTable::default();
    /// let fault = lupl_model::Fault { status: Some(503), times: Some(1), ..Default::default() };
    /// let id = table.install(fault)?;
    /// assert_eq!(table.list()[0].id, id);
    /// # Ok::<(), lupl_model::FaultError>(())
    /// ```
    pub fn install(&self, fault: Fault) -> Result<u64, FaultError> {
        fault.check()?;
        let mut faults = self.lock();
        faults.0 += 1;
        let id = faults.0;
        faults.1.push(Installed { id, fault });
        self.any.store(true, Ordering::Release);
        Ok(id)
    }

    /// Removes one fault; false if there is none with that id.
    pub fn remove(&self, id: u64) -> bool {
        let mut faults = self.lock();
        let before = faults.1.len();
        faults.1.retain(|f| f.id != id);
        self.any.store(!faults.1.is_empty(), Ordering::Release);
        faults.1.len() != before
    }

    /// Removes every fault; returns how many there were.
    pub fn clear(&self) -> usize {
        let mut faults = self.lock();
        self.any.store(false, Ordering::Release);
        std::mem::take(&mut faults.1).len()
    }

    /// The faults in force.
    pub fn list(&self) -> Vec<Installed> {
        self.lock().1.clone()
    }

    /// The first fault `request` meets, counted against its `times` (and
    /// removed when they are used up).
    pub fn meet(&self, request: &ModelRequest) -> Option<Installed> {
        if !self.any.load(Ordering::Acquire) {
            return None;
        }
        let mut faults = self.lock();
        let mut ids = None;
        let i = faults
            .1
            .iter()
            .position(|f| f.fault.matches(request, &mut ids))?;
        let met = faults.1[i].clone();
        match &mut faults.1[i].fault.times {
            Some(1) => {
                faults.1.remove(i);
                self.any.store(!faults.1.is_empty(), Ordering::Release);
            }
            Some(n) => *n -= 1,
            None => {}
        }
        Some(met)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (u64, Vec<Installed>)> {
        self.faults.lock().unwrap_or_else(|e| e.into_inner())
    }
}
