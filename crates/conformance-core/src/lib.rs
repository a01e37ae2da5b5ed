//! The conformance harness's pure core: what CONTRACT.md says, as data and
//! functions, with no HTTP client, no async runtime and no model.
//!
//! The ground is the contract: [`clauses`] (every testable sentence),
//! [`operation`] (the four operations), [`order`] (the order of checks) and
//! [`check`] (the kinds of check). Everything else stands on them:
//! [`cases`] (generators that make requests at each clause's boundaries),
//! [`oracle`] (a step made concrete, with the answer the contract
//! predicts, for the [`tenants`] a run acts as), [`checks`] (an answer
//! judged against the prediction, clause by clause), [`coverage`] (what a
//! run reached), and [`compare`] (two answers compared on what the contract
//! fixes). [`mutations`] (families of near misses) stands beside the
//! catalogue. [`wire`] holds requests and answers as bytes.
//!
//! The crate cannot ask the model what to expect: it does not depend on
//! `lupl-model` (a workspace test walks the dependency graph).
//!
//! ```
//! use conformance_core::cases::{Op, Step};
//! use conformance_core::oracle::{CaseState, Planning, plan};
//! use conformance_core::tenants::{Identity, Tenants};
//! use uuid::Uuid;
//!
//! let me = Identity {
//!     token: "a-token-for-docs".into(),
//!     pms_id: Uuid::from_u128(1),
//!     organization_id: Uuid::from_u128(2),
//! };
//! let tenants = Tenants::new(vec![me]);
//! let step = Step::read(Op::GetProvider, 0);
//! let Planning::Ready(planned) = plan(&step, &tenants, &CaseState::new(1)) else {
//!     panic!("a read of one's own provider is always predictable");
//! };
//! assert_eq!(planned.request.method, "GET");
//! assert_eq!(planned.expected.status, 200);
//! ```

pub mod cases;
pub mod check;
pub mod checks;
pub mod clauses;
pub mod compare;
pub mod coverage;
pub mod mutations;
pub mod operation;
pub mod oracle;
pub mod order;
pub mod tenants;
pub mod wire;

pub use check::Check;
pub use clauses::Clause;
