//! CONTRACT.md's "Order of checks": the stages a request passes, in order.

use serde::{Deserialize, Serialize};

/// Where a step's failure is decided, in CONTRACT.md's order of checks
/// (routing comes first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Stage {
    /// 404/405: another path or method.
    Routing,
    /// Step 1, 401.
    Authentication,
    /// Step 2, 429.
    Throttling,
    /// Step 3, 415.
    MediaType,
    /// Step 4, 400.
    Binding,
    /// Step 5, 403.
    Authorization,
    /// Step 6, 400.
    Rules,
}

impl Stage {
    /// The step's number in CONTRACT.md (0 for routing).
    pub fn number(self) -> u8 {
        match self {
            Stage::Routing => 0,
            Stage::Authentication => 1,
            Stage::Throttling => 2,
            Stage::MediaType => 3,
            Stage::Binding => 4,
            Stage::Authorization => 5,
            Stage::Rules => 6,
        }
    }
}
