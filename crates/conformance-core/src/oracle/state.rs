//! What a case knows of the target: each identity's resources as the case
//! wrote or read them, and what a planned step will change in that.

use crate::clauses::Clause;
use crate::oracle::expected::Expected;
use crate::wire::RawRequest;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A resource of one identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Resource {
    /// Identity `i`'s provider configuration.
    Provider(usize),
    /// Identity `i`'s organization configuration.
    Organization(usize),
}

/// What a case knows about one resource.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ResourceState {
    /// What the target holds, once the case wrote or read it.
    pub known: Option<Value>,
    /// Clauses the stored value exercises, by JSON pointer prefix.
    pub notes: Vec<(String, Clause)>,
    /// Writes refused since the last stored one.
    pub refused: Vec<(Value, Clause)>,
}

/// What a case knows: per identity, its two resources; and which tokens
/// are throttled (only in the throttling phase).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseState {
    /// Providers, by identity.
    pub providers: Vec<ResourceState>,
    /// Organizations, by identity.
    pub organizations: Vec<ResourceState>,
    /// Whether identity `i`'s token has used up its quota.
    pub throttled: Vec<bool>,
}

impl CaseState {
    /// Nothing known, for `identities` identities.
    pub fn new(identities: usize) -> Self {
        Self {
            providers: vec![ResourceState::default(); identities],
            organizations: vec![ResourceState::default(); identities],
            throttled: vec![false; identities],
        }
    }

    /// One resource's state.
    pub fn resource(&self, r: Resource) -> &ResourceState {
        match r {
            Resource::Provider(i) => &self.providers[i],
            Resource::Organization(i) => &self.organizations[i],
        }
    }

    /// One resource's state, to change.
    pub fn resource_mut(&mut self, r: Resource) -> &mut ResourceState {
        match r {
            Resource::Provider(i) => &mut self.providers[i],
            Resource::Organization(i) => &mut self.organizations[i],
        }
    }

    /// Forgets a resource (after an answer the contract does not allow, the
    /// case reads it again before predicting).
    pub fn forget(&mut self, r: Resource) {
        *self.resource_mut(r) = ResourceState::default();
    }

    /// Applies what an answer showed: a stored write, a refused one, a read.
    pub fn settle(&mut self, planned: &Planned, status: u16, body: &[u8]) {
        match &planned.effect {
            Some(Effect::Store(r, value, notes)) if status == 200 => {
                *self.resource_mut(*r) = ResourceState {
                    known: Some(value.clone()),
                    notes: notes.clone(),
                    refused: Vec::new(),
                };
                // CONTRACT.md: a provider change does not rewrite stored
                // organizations; a later read of one exercises that.
                if let Resource::Provider(i) = r {
                    let org = &mut self.organizations[*i];
                    if org.known.as_ref().is_some_and(|v| !v.is_null()) {
                        org.notes.push((String::new(), Clause::OrgProviderChange));
                    }
                }
            }
            Some(Effect::Refused(r, value, clause)) => {
                self.resource_mut(*r).refused.push((value.clone(), *clause));
            }
            Some(Effect::Read(r)) if status == 200 => {
                let state = self.resource_mut(*r);
                if state.known.is_none() {
                    state.known = serde_json::from_slice(body).ok();
                }
            }
            _ => {}
        }
    }
}

/// What an answer changes in what the case knows.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// A 200 stores this value (with its notes).
    Store(Resource, Value, Vec<(String, Clause)>),
    /// A refused write of this value, which must not show.
    Refused(Resource, Value, Clause),
    /// A 200 read tells what the resource holds.
    Read(Resource),
}

/// A step made concrete, with its prediction.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The request.
    pub request: RawRequest,
    /// The prediction.
    pub expected: Expected,
    /// What the answer changes in the case's knowledge.
    pub effect: Option<Effect>,
    /// The resource the request names, if one of the identities'.
    pub resource: Option<Resource>,
}

/// The outcome of planning a step.
#[derive(Debug, Clone)]
pub enum Planning {
    /// Ready to send.
    Ready(Box<Planned>),
    /// Read this resource first (the prediction depends on it).
    Needs(Resource),
    /// Cannot be predicted on this target (a live provider's pattern the
    /// harness cannot generate a value for).
    Skip(String),
}
