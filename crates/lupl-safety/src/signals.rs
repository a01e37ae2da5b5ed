//! SIGINT (Ctrl-C) and SIGTERM (`timeout`, `docker stop`, a cancelled CI
//! job) as one stream of interrupts, so that every stop puts back and
//! flushes what a run holds.

use tokio::sync::mpsc;

/// Interrupts: each SIGINT or SIGTERM is one [`Interrupts::recv`].
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// let mut interrupts = lupl_safety::signals::Interrupts::install()?;
/// interrupts.recv().await; // the first: stop taking work, put things back
/// interrupts.recv().await; // the second: give up at once
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Interrupts {
    rx: mpsc::Receiver<()>,
}

impl Interrupts {
    /// Installs the handlers (inside a tokio runtime). They are in place
    /// when this returns: no signal after it takes the default action
    /// (killing the process) any more.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// let interrupts = lupl_safety::signals::Interrupts::install()?;
    /// # drop(interrupts);
    /// # Ok(()) }
    /// ```
    pub fn install() -> std::io::Result<Self> {
        let (tx, rx) = mpsc::channel(4);
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let mut int = signal(SignalKind::interrupt())?;
            let mut term = signal(SignalKind::terminate())?;
            tokio::spawn(async move {
                loop {
                    let got = tokio::select! {
                        s = int.recv() => s.is_some(),
                        s = term.recv() => s.is_some(),
                    };
                    if !got || tx.send(()).await.is_err() {
                        break;
                    }
                }
            });
        }
        #[cfg(not(unix))]
        tokio::spawn(async move {
            while tokio::signal::ctrl_c().await.is_ok() {
                if tx.send(()).await.is_err() {
                    break;
                }
            }
        });
        Ok(Self { rx })
    }

    /// The next interrupt; `None` when no more can come.
    ///
    /// ```no_run
    /// # async fn run(mut interrupts: lupl_safety::signals::Interrupts) {
    /// if interrupts.recv().await.is_some() {
    ///     eprintln!("interrupted");
    /// }
    /// # }
    /// ```
    pub async fn recv(&mut self) -> Option<()> {
        self.rx.recv().await
    }
}
