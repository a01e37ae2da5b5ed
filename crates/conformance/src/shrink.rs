//! A broken clause's case run again (does it reproduce?) and shrunk to the
//! smallest case proptest finds that still breaks it, within the run's
//! budget and a share of what is left of it.

use crate::harness::Harness;
use crate::outcome::{Evidence, Reproduced, evidence_of};
use crate::record::Phase;
use crate::runner::{Options, Scheduled};
use conformance_core::clauses::Clause;

impl Harness {
    /// Runs a failing case again and, when it breaks `clause` again,
    /// shrinks it; stops at `share` requests sent (none: the budget only).
    pub(crate) fn reproduce(
        &self,
        case: &Scheduled,
        clause: Clause,
        options: &Options,
        share: Option<u64>,
        handle: &tokio::runtime::Handle,
    ) -> (Reproduced, Option<Evidence>) {
        let within =
            |this: &Self| this.budget_left(false) && share.is_none_or(|s| this.requests() < s);
        if !within(self) {
            return (
                Reproduced::NotTried("the request budget is spent".into()),
                None,
            );
        }
        let Some(mut tree) = case.tree(options.seed) else {
            return (
                Reproduced::NotTried("the case could not be made again".into()),
                None,
            );
        };
        let again = self.attempt(case, &tree.current(), Phase::Replay, handle);
        let Some(mut best) = evidence_of(&again.exchanges, clause) else {
            if again.over_budget {
                return (
                    Reproduced::NotTried("the request budget ran out while it ran again".into()),
                    None,
                );
            }
            return (Reproduced::No, None);
        };
        let mut iterations = 0;
        if tree.simplify() {
            loop {
                iterations += 1;
                if iterations > options.shrink_iterations || !within(self) || self.is_cancelled() {
                    break;
                }
                let run = self.attempt(case, &tree.current(), Phase::Shrink, handle);
                if run.over_budget {
                    break;
                }
                match evidence_of(&run.exchanges, clause) {
                    Some(e) => {
                        best = e;
                        if !tree.simplify() {
                            break;
                        }
                    }
                    None => {
                        if !tree.complicate() {
                            break;
                        }
                    }
                }
            }
        }
        (Reproduced::Yes, Some(best))
    }
}
