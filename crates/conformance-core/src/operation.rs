//! The four operations of CONTRACT.md's "Operations" section, and what
//! openapi.json says of each (path, method, parameter, required members).

use lupl_spec::Spec;
use serde::{Deserialize, Serialize};

/// The four operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Op {
    /// `getProviderConfig`.
    GetProvider,
    /// `setProviderConfig`.
    SetProvider,
    /// `getOrganizationConfig`.
    GetOrganization,
    /// `setOrganizationConfig`.
    SetOrganization,
}

impl Op {
    /// All four.
    pub const ALL: [Op; 4] = [
        Op::GetProvider,
        Op::SetProvider,
        Op::GetOrganization,
        Op::SetOrganization,
    ];
    /// The two reads.
    pub const GETS: [Op; 2] = [Op::GetProvider, Op::GetOrganization];
    /// The two writes.
    pub const POSTS: [Op; 2] = [Op::SetProvider, Op::SetOrganization];

    /// The operationId in openapi.json.
    pub fn operation_id(self) -> &'static str {
        match self {
            Op::GetProvider => "getProviderConfig",
            Op::SetProvider => "setProviderConfig",
            Op::GetOrganization => "getOrganizationConfig",
            Op::SetOrganization => "setOrganizationConfig",
        }
    }

    /// Whether it writes.
    pub fn is_post(self) -> bool {
        matches!(self, Op::SetProvider | Op::SetOrganization)
    }

    /// Whether it concerns the provider configuration.
    pub fn is_provider(self) -> bool {
        matches!(self, Op::GetProvider | Op::SetProvider)
    }

    /// The read of the same resource.
    pub fn read(self) -> Op {
        if self.is_provider() {
            Op::GetProvider
        } else {
            Op::GetOrganization
        }
    }

    /// The write of the same resource.
    pub fn write(self) -> Op {
        if self.is_provider() {
            Op::SetProvider
        } else {
            Op::SetOrganization
        }
    }

    /// The operation's path and method, from the spec.
    pub fn route(self) -> (String, String) {
        Spec::workspace()
            .operation(self.operation_id())
            .map(|o| (o.method, o.path))
            .unwrap_or_default()
    }

    /// The name of the uuid query parameter of the read, from the spec.
    pub fn query_parameter(self) -> String {
        Spec::workspace()
            .first_parameter(self.read().operation_id())
            .unwrap_or_default()
    }

    /// The required top-level members of the write's body, from the spec.
    pub fn required_members(self) -> Vec<String> {
        Spec::workspace().required_members(self.write().operation_id())
    }

    /// Whether a required member of the write's body is a uuid (else an
    /// object), from the spec.
    pub fn member_is_uuid(self, member: &str) -> bool {
        Spec::workspace().member_format(self.write().operation_id(), member) == Some("uuid")
    }
}
