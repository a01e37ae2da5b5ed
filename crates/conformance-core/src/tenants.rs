//! Who the harness acts as: one or two identities (a token and the
//! provider and organization it may touch), and ids that belong to someone
//! else. The oracle plans every request from these alone.

use uuid::Uuid;

/// One caller: a token and the provider and organization it may touch.
#[derive(Clone)]
pub struct Identity {
    /// The bearer token.
    pub token: String,
    /// The provider it owns.
    pub pms_id: Uuid,
    /// The organization it manages.
    pub organization_id: Uuid,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("token", &"[redacted]")
            .field("pms_id", &self.pms_id)
            .field("organization_id", &self.organization_id)
            .finish()
    }
}

/// An id nobody has (not a provider, not an organization).
pub const NOBODY: Uuid = Uuid::from_u128(0x0bad_0000_0000_4000_8000_0000_0000_0001);

/// Everyone a run acts as or names: one or two identities (a second one
/// interleaves tenants), and ids that belong to someone else.
///
/// ```
/// use conformance_core::tenants::{Identity, Tenants};
/// use uuid::Uuid;
///
/// let me = Identity { token: "t0k3n-of-mine".into(), pms_id: Uuid::from_u128(1), organization_id: Uuid::from_u128(2) };
/// let mut tenants = Tenants::new(vec![me]);
/// assert_eq!(tenants.foreign_pms(0), None, "one identity and no foreign ids");
/// tenants.foreign_pms_id = Some(Uuid::from_u128(9));
/// assert_eq!(tenants.foreign_pms(0), Some(Uuid::from_u128(9)));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Tenants {
    /// One or two identities.
    pub identities: Vec<Identity>,
    /// A provider that belongs to someone else, for cross-tenant checks
    /// when there is no second identity.
    pub foreign_pms_id: Option<Uuid>,
    /// An organization someone else manages (see `foreign_pms_id`).
    pub foreign_organization_id: Option<Uuid>,
    /// A registered provider without a configuration (the built-in model
    /// has one nobody configures).
    pub unconfigured_pms: Option<Uuid>,
}

impl Tenants {
    /// These identities, and no foreign or unconfigured ids.
    pub fn new(identities: Vec<Identity>) -> Self {
        Self {
            identities,
            ..Self::default()
        }
    }

    /// The other tenant's provider, as seen from identity `i`.
    pub fn foreign_pms(&self, i: usize) -> Option<Uuid> {
        self.identities
            .get(1 - i.min(1))
            .filter(|_| self.identities.len() > 1)
            .map(|o| o.pms_id)
            .or(self.foreign_pms_id)
    }

    /// The other tenant's organization, as seen from identity `i`.
    pub fn foreign_organization(&self, i: usize) -> Option<Uuid> {
        self.identities
            .get(1 - i.min(1))
            .filter(|_| self.identities.len() > 1)
            .map(|o| o.organization_id)
            .or(self.foreign_organization_id)
    }
}
