//! `--compare-model`: the live target beside the model (`lupl-model`).
//!
//! Every request the harness judges also goes, in the same order and at
//! the same instant, to an in-process model seeded to mirror the target
//! (its identities, the configurations read before the first write, the
//! foreign ids as someone else's, the quota). It costs the target nothing.
//! Each pair of answers is compared on what CONTRACT.md fixes ([`Aspect`]),
//! and a difference is a [`Divergence`] whose [`Blame`] says which side the
//! oracle agrees with: the oracle, not the model, is the judge.
//!
//! After a divergence the model is brought back to the target's state for
//! the resource, so one difference is not reported again by every later
//! read.

use crate::cases::Op;
use crate::checks::{Finding, Received};
use crate::clauses::Clause;
use crate::oracle::{RawRequest, Resource};
use crate::record::Exchange;
use crate::target::Target;
use lupl_model::fixture::{Organization, Provider, User};
use lupl_model::{Change, Fixture, Model, ModelRequest};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;
use uuid::Uuid;

/// What the two answers are compared on: what CONTRACT.md fixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Aspect {
    /// The status.
    Status,
    /// The content-type family: JSON, problem+JSON, or none.
    ContentType,
    /// The `errors` keys of a 400.
    ErrorKeys,
    /// The body of a 200 GET, or of a 403, as a JSON value.
    Body,
    /// The `WWW-Authenticate` challenge of a 401.
    Challenge,
    /// Whether a 429 says `Retry-After`.
    RetryAfter,
    /// The methods a 405's `Allow` names.
    Allow,
    /// The oracle judges the two answers differently (a message, a schema,
    /// anything it checks that the aspects above do not cover).
    Verdict,
}

impl Aspect {
    /// How reports name it.
    pub fn name(self) -> &'static str {
        match self {
            Aspect::Status => "status",
            Aspect::ContentType => "content type",
            Aspect::ErrorKeys => "400 error keys",
            Aspect::Body => "body",
            Aspect::Challenge => "WWW-Authenticate",
            Aspect::RetryAfter => "Retry-After",
            Aspect::Allow => "Allow",
            Aspect::Verdict => "the oracle's verdict",
        }
    }
}

/// Which side the oracle agrees with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Blame {
    /// The target answered as the oracle predicts, the model did not: a
    /// bug in the model (offline tests against it are wrong there).
    Model,
    /// The model answered as the oracle predicts, the target did not: the
    /// live API breaks the contract.
    Target,
    /// Both or neither answered as predicted: the contract does not decide
    /// between them there.
    Contract,
}

impl Blame {
    /// Which side, from each side's findings.
    pub fn of(target: &[Finding], model: &[Finding]) -> Blame {
        let broken = |f: &[Finding]| f.iter().any(|f| f.failure.is_some());
        match (broken(target), broken(model)) {
            (false, true) => Blame::Model,
            (true, false) => Blame::Target,
            _ => Blame::Contract,
        }
    }

    /// What it means, for reports.
    pub fn meaning(self) -> &'static str {
        match self {
            Blame::Model => "target = oracle ≠ model: the model is wrong here",
            Blame::Target => "model = oracle ≠ target: the target breaks the contract",
            Blame::Contract => {
                "target ≠ model, the oracle decides neither: the contract is ambiguous here"
            }
        }
    }

    /// A short name for tables.
    pub fn name(self) -> &'static str {
        match self {
            Blame::Model => "model",
            Blame::Target => "target",
            Blame::Contract => "contract",
        }
    }
}

/// The model's side of one exchange.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelAnswer {
    /// What the model answered.
    pub response: Received,
    /// The oracle's verdicts on it.
    pub findings: Vec<Finding>,
    /// Where it differs from the target's answer (empty: it does not).
    pub aspects: Vec<Aspect>,
}

/// A place where the target and the model answer differently.
#[derive(Debug, Clone)]
pub struct Divergence {
    /// The clause: the one a side broke, else the one the status is judged
    /// under.
    pub clause: Clause,
    /// Which side the oracle agrees with.
    pub blame: Blame,
    /// The case's exchanges up to this one (its last), the model's answer
    /// in the last.
    pub exchanges: Vec<Exchange>,
}

impl Divergence {
    /// The exchange that diverged.
    pub fn last(&self) -> Option<&Exchange> {
        self.exchanges.last()
    }

    /// The model's answer to it.
    pub fn model(&self) -> Option<&ModelAnswer> {
        self.last().and_then(|e| e.model.as_ref())
    }

    /// From the exchange that diverged (with the model's answer), the
    /// case's exchanges before it, and the clause its prediction judged the
    /// status under. `None` (and no copy) when the last did not diverge.
    pub fn of(exchanges: &[Exchange], status_clause: Clause) -> Option<Divergence> {
        let last = exchanges.last()?;
        let model = last.model.as_ref().filter(|m| !m.aspects.is_empty())?;
        let blame = Blame::of(&last.findings, &model.findings);
        let clause = match blame {
            Blame::Target => first_broken(&last.findings),
            Blame::Model => first_broken(&model.findings),
            Blame::Contract => first_broken(&last.findings).or(first_broken(&model.findings)),
        }
        .unwrap_or(status_clause);
        Some(Divergence {
            clause,
            blame,
            exchanges: exchanges.to_vec(),
        })
    }
}

fn first_broken(findings: &[Finding]) -> Option<Clause> {
    findings
        .iter()
        .find(|f| f.failure.is_some())
        .map(|f| f.clause)
}

/// Divergences of a run: the first of each clause and blame, with a count.
#[derive(Debug, Clone, Default)]
pub struct Divergences {
    /// The first divergence of each (clause, blame).
    pub first: Vec<Divergence>,
    /// How often each (clause, blame) diverged.
    pub counts: BTreeMap<(Clause, Blame), u64>,
}

impl Divergences {
    /// Adds one.
    pub fn add(&mut self, d: Divergence) {
        let key = (d.clause, d.blame);
        let count = self.counts.entry(key).or_default();
        *count += 1;
        if *count == 1 {
            self.first.push(d);
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// Adds another run's.
    pub fn merge(&mut self, other: Divergences) {
        for d in other.first {
            let key = (d.clause, d.blame);
            if !self.counts.contains_key(&key) {
                self.first.push(d);
            }
        }
        for (key, n) in other.counts {
            *self.counts.entry(key).or_default() += n;
        }
    }
}

/// The content-type family of an answer.
fn media_family(r: &Received) -> &'static str {
    match r.header("content-type").map(str::to_ascii_lowercase) {
        None => "none",
        Some(t) if t.starts_with("application/problem+json") => "problem+json",
        Some(t) if t.starts_with("application/json") => "json",
        Some(_) => "other",
    }
}

fn broken(findings: &[Finding]) -> BTreeSet<Clause> {
    findings
        .iter()
        .filter(|f| f.failure.is_some())
        .map(|f| f.clause)
        .collect()
}

/// Where two answers to one request differ, on what CONTRACT.md fixes,
/// given the oracle's findings on each.
pub fn compare(
    op: Op,
    target: &Received,
    model: &Received,
    target_findings: &[Finding],
    model_findings: &[Finding],
) -> Vec<Aspect> {
    let mut out = answers_differ(op, target, model);
    if out.is_empty() && broken(target_findings) != broken(model_findings) {
        out.push(Aspect::Verdict);
    }
    out
}

fn answers_differ(op: Op, target: &Received, model: &Received) -> Vec<Aspect> {
    let mut out = Vec::new();
    if target.status != model.status {
        // Everything else follows from the status.
        out.push(Aspect::Status);
        return out;
    }
    let empty = |r: &Received| r.body.is_empty();
    if !(empty(target) && empty(model)) && media_family(target) != media_family(model) {
        out.push(Aspect::ContentType);
    }
    match target.status {
        400 if target.error_keys() != model.error_keys() => out.push(Aspect::ErrorKeys),
        200 if !op.is_post() && target.json() != model.json() => out.push(Aspect::Body),
        // `{}` or an empty body are the same answer.
        403 if target.json().unwrap_or(Value::Object(Default::default()))
            != model.json().unwrap_or(Value::Object(Default::default())) =>
        {
            out.push(Aspect::Body)
        }
        401 if target
            .header("www-authenticate")
            .map(str::to_ascii_lowercase)
            != model
                .header("www-authenticate")
                .map(str::to_ascii_lowercase) =>
        {
            out.push(Aspect::Challenge)
        }
        429 if target.header("retry-after").is_some() != model.header("retry-after").is_some() => {
            out.push(Aspect::RetryAfter)
        }
        405 if target.allow_methods() != model.allow_methods() => out.push(Aspect::Allow),
        _ => {}
    }
    out
}

/// The model that mirrors a target.
pub struct Mirror {
    model: Model,
    base_url: String,
    /// Each own resource's id, to follow the target's state.
    ids: BTreeMap<Resource, Uuid>,
    /// Resources whose state the mirror guessed after a write only the
    /// target accepted: the target's next read is taken as it is.
    unsynced: std::sync::Mutex<BTreeSet<Resource>>,
}

impl std::fmt::Debug for Mirror {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mirror").finish_non_exhaustive()
    }
}

/// The email of the user who owns the target's foreign ids in the mirror.
const SOMEONE_ELSE: &str = "someone-else@mirror.invalid";

impl Mirror {
    /// A model seeded to mirror `target`: each identity (same token) owns
    /// its provider and manages its organization, holding the
    /// configurations `saved` read from the target; the foreign ids belong
    /// to someone else; the target's quota.
    pub fn new(target: &Target, saved: &[(Resource, Value)]) -> Self {
        Self::with_quota(target, saved, target.limiter.limit())
    }

    /// [`Mirror::new`] with another quota than the target's `--rate-limit`.
    pub fn with_quota(
        target: &Target,
        saved: &[(Resource, Value)],
        quota: lupl_model::Quota,
    ) -> Self {
        let saved_of = |r: Resource| {
            saved
                .iter()
                .find(|(s, _)| *s == r)
                .map(|(_, v)| v.clone())
                .unwrap_or(Value::Null)
        };
        let mut fixture = Fixture {
            users: Vec::new(),
            providers: Vec::new(),
            organizations: Vec::new(),
            rate_limit: quota,
        };
        let mut ids = BTreeMap::new();
        for (i, identity) in target.identities.iter().enumerate() {
            let email = format!("identity{i}@mirror.invalid");
            fixture.users.push(User {
                token: identity.token.clone(),
                email: email.clone(),
                manages: vec![identity.organization_id],
            });
            fixture.providers.push(Provider {
                pms_id: identity.pms_id,
                owner: email,
                config: saved_of(Resource::Provider(i)),
            });
            fixture.organizations.push(Organization {
                organization_id: identity.organization_id,
                config: saved_of(Resource::Organization(i)),
            });
            ids.insert(Resource::Provider(i), identity.pms_id);
            ids.insert(Resource::Organization(i), identity.organization_id);
        }
        if let (Some(pms), Some(first)) = (target.unconfigured_pms, fixture.users.first()) {
            let owner = first.email.clone();
            fixture.providers.push(Provider {
                pms_id: pms,
                owner,
                config: Value::Null,
            });
        }
        let foreign_pms = target.foreign_pms_id;
        let foreign_org = target.foreign_organization_id;
        if foreign_pms.is_some() || foreign_org.is_some() {
            fixture.users.push(User {
                token: format!("mirror-someone-else-{}", Uuid::new_v4()),
                email: SOMEONE_ELSE.into(),
                manages: foreign_org.into_iter().collect(),
            });
            if let Some(pms_id) = foreign_pms {
                fixture.providers.push(Provider {
                    pms_id,
                    owner: SOMEONE_ELSE.into(),
                    config: Value::Null,
                });
            }
            if let Some(organization_id) = foreign_org {
                fixture.organizations.push(Organization {
                    organization_id,
                    config: Value::Null,
                });
            }
        }
        Self {
            model: Model::new(fixture),
            base_url: target.base_url.clone(),
            ids,
            unsynced: std::sync::Mutex::new(BTreeSet::new()),
        }
    }

    /// Before the model answers a read of `resource` that the target
    /// answered 200: when the mirror only guessed the resource's state,
    /// it takes the target's.
    pub fn catch_up(&self, op: Op, resource: Resource, target: &Received) {
        if op.is_post() || target.status != 200 {
            return;
        }
        let mut unsynced = self.unsynced.lock().unwrap_or_else(|e| e.into_inner());
        if unsynced.remove(&resource)
            && let Some(value) = target.json()
        {
            self.set(resource, value);
        }
    }

    /// The model's answer to `request`, sent at `at` (the instant the
    /// target's left), as the target's HTTP stack would deliver it: the
    /// URL normalized as the HTTP client sends it.
    pub fn answer(&self, request: &RawRequest, at: Instant) -> Received {
        let url =
            lupl_api::reqwest::Url::parse(&format!("{}{}", self.base_url, request.path_and_query));
        let (path, query) = match &url {
            Ok(u) => (u.path().to_owned(), u.query().map(str::to_owned)),
            Err(_) => (request.path_and_query.clone(), None),
        };
        let mut headers = Vec::new();
        if let Some(a) = &request.authorization {
            headers.push(("authorization".to_owned(), a.as_bytes().to_vec()));
        }
        if let Some(ct) = &request.content_type {
            headers.push(("content-type".to_owned(), ct.as_bytes().to_vec()));
        }
        let body = if request.method == "GET" || request.method == "HEAD" {
            Vec::new()
        } else {
            request.body.clone()
        };
        let answer = self.model.handle_at(
            &ModelRequest {
                method: request.method.clone(),
                path,
                query,
                headers,
                body,
            },
            at,
        );
        Received {
            status: answer.status,
            headers: answer
                .headers
                .into_iter()
                .map(|(n, v)| (n.to_ascii_lowercase(), v))
                .collect(),
            body: if request.method == "HEAD" {
                Vec::new()
            } else {
                answer.body
            },
        }
    }

    /// What the model stores for `resource` now.
    pub fn stored(&self, resource: Resource) -> Option<Value> {
        let id = *self.ids.get(&resource)?;
        Some(match resource {
            Resource::Provider(_) => self.model.provider_config(id),
            Resource::Organization(_) => self.model.organization_config(id),
        })
    }

    /// Sets what the model stores for `resource` (`null`: nothing).
    pub fn set(&self, resource: Resource, value: Value) {
        let Some(&id) = self.ids.get(&resource) else {
            return;
        };
        self.model.apply(&match resource {
            Resource::Provider(_) => Change::Provider {
                pms_id: id,
                config: value,
            },
            Resource::Organization(_) => Change::Organization {
                organization_id: id,
                config: value,
            },
        });
    }

    /// After a divergence on `resource`, takes the target's state for it:
    /// what a write the target accepted stored (a guess, corrected by the
    /// next read: the target may store it otherwise), what it held before a
    /// write only the model accepted, what a read of the target returned.
    pub fn follow(
        &self,
        op: Op,
        resource: Resource,
        request: &RawRequest,
        target: &Received,
        before: Option<Value>,
    ) {
        match (op.is_post(), target.status) {
            (true, 200) => {
                let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
                    return;
                };
                let value = match resource {
                    Resource::Provider(_) => body.get("config").cloned(),
                    // Stored as the server binds it: ids in their
                    // canonical form, whatever form was sent.
                    Resource::Organization(_) => {
                        let id = |name: &str| body.get(name).and_then(crate::checks::canonical_id);
                        match (id("organizationId"), id("pmsId")) {
                            (Some(organization_id), Some(pms_id)) => Some(serde_json::json!({
                                "organizationId": organization_id,
                                "pmsId": pms_id,
                                "fields": body.get("fields"),
                            })),
                            _ => None,
                        }
                    }
                };
                if let Some(value) = value {
                    self.set(resource, value);
                }
                self.unsynced
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(resource);
            }
            (true, _) => {
                if let Some(before) = before {
                    self.set(resource, before);
                }
            }
            (false, 200) => {
                if let Some(value) = target.json() {
                    self.set(resource, value);
                }
            }
            _ => {}
        }
    }
}
