//! How a run tells its caller where it is: a [`Progress`] the binary
//! renders (a bar on a terminal); the library draws nothing itself.

/// Receives a run's progress. Every method does nothing by default.
///
/// ```
/// use conformance::progress::Progress;
/// use std::sync::atomic::{AtomicU64, Ordering};
///
/// #[derive(Default)]
/// struct Count(AtomicU64);
/// impl Progress for Count {
///     fn case_done(&self) {
///         self.0.fetch_add(1, Ordering::Relaxed);
///     }
/// }
/// let count = Count::default();
/// count.start(2);
/// count.case_done();
/// assert_eq!(count.0.load(Ordering::Relaxed), 1);
/// ```
pub trait Progress: Send + Sync {
    /// The phase will run `total` cases.
    fn start(&self, total: u64) {
        let _ = total;
    }
    /// One more case ran.
    fn case_done(&self) {}
    /// What the run does now, for example "replaying a clause".
    fn message(&self, text: &str) {
        let _ = text;
    }
    /// The phase is over.
    fn finish(&self) {}
}

/// Shows nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Progress for Silent {}
