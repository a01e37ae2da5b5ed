//! `--compare-model`: the live target beside the model (`lupl-model`).
//!
//! Every request the harness judges also goes, in the same order and at
//! the same instant, to an in-process model seeded to mirror the target
//! (its identities, the configurations read before the first write, the
//! foreign ids as someone else's, the quota). It costs the target nothing.
//! Each pair of answers is compared on what CONTRACT.md fixes
//! ([`conformance_core::compare`]); the oracle, not the model, is the judge.
//!
//! After a divergence the model is brought back to the target's state for
//! the resource, so one difference is not reported again by every later
//! read.

use crate::target::Target;
use conformance_core::cases::Op;
use conformance_core::oracle::Resource;
use conformance_core::wire::{RawRequest, Received};
use lupl_model::fixture::{Organization, Provider, User};
use lupl_model::{Change, Fixture, Model, ModelRequest};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;
use uuid::Uuid;

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
            clients: Vec::new(),
            audience: None,
        };
        let mut ids = BTreeMap::new();
        for (i, identity) in target.tenants.identities.iter().enumerate() {
            let email = format!("identity{i}@mirror.invalid");
            fixture.users.push(User {
                token: identity.token.clone(),
                email: email.clone(),
                manages: vec![identity.organization_id],
            });
            fixture.providers.push(Provider {
                pms_id: identity.pms_id,
                owner: email,
                config: saved_of(Resource::Provider(i)).into(),
            });
            fixture.organizations.push(Organization {
                organization_id: identity.organization_id,
                config: saved_of(Resource::Organization(i)).into(),
            });
            ids.insert(Resource::Provider(i), identity.pms_id);
            ids.insert(Resource::Organization(i), identity.organization_id);
        }
        if let (Some(pms), Some(first)) = (target.tenants.unconfigured_pms, fixture.users.first()) {
            let owner = first.email.clone();
            fixture.providers.push(Provider {
                pms_id: pms,
                owner,
                config: Value::Null.into(),
            });
        }
        let foreign_pms = target.tenants.foreign_pms_id;
        let foreign_org = target.tenants.foreign_organization_id;
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
                    config: Value::Null.into(),
                });
            }
            if let Some(organization_id) = foreign_org {
                fixture.organizations.push(Organization {
                    organization_id,
                    config: Value::Null.into(),
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
        for (name, value) in &request.headers {
            headers.push((name.to_ascii_lowercase(), value.as_bytes().to_vec()));
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
                config: value.into(),
            },
            Resource::Organization(_) => Change::Organization {
                organization_id: id,
                config: value.into(),
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
                        let id = |name: &str| {
                            body.get(name)
                                .and_then(conformance_core::checks::canonical_id)
                        };
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
