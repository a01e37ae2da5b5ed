//! Progress on stderr for the commands that work through many rows or
//! organizations (`org set-many`, `org export`): a bar on a terminal, plain
//! lines otherwise; counts, a rounded rate, an ETA once there is a pace.

use std::time::Instant;

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// A bar with rate and ETA (stderr is a terminal).
    Bar,
    /// A plain line per 1 % of the work, at most one a second, and one at
    /// the end.
    Lines,
    /// Nothing.
    Quiet,
}

/// Shows progress: counts, rate and ETA.
pub struct Meter {
    mode: Progress,
    bar: Option<indicatif::ProgressBar>,
    total: usize,
    done: usize,
    ok: usize,
    started: Instant,
    what: &'static str,
    last_line: Option<Instant>,
    step: usize,
}

impl Meter {
    /// A meter of `total` things called `what` (`rows`).
    pub fn new(mode: Progress, total: usize, what: &'static str) -> Self {
        let bar = (mode == Progress::Bar).then(|| {
            let bar = indicatif::ProgressBar::new(total as u64);
            if let Ok(style) = indicatif::ProgressStyle::with_template(&format!(
                "{{bar:30}} {{pos}}/{{len}} {what}  {{rate}}  ETA {{left}}  {{msg}}"
            )) {
                // Rounded rates, and no ETA before there is a pace to go by.
                let style = style
                    .with_key(
                        "rate",
                        |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                            let _ = w.write_str(&crate::output::rate(s.per_sec(), what));
                        },
                    )
                    .with_key(
                        "left",
                        |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                            let _ = if s.pos() == 0 || s.elapsed().as_secs_f64() < 1.0 {
                                w.write_str("…")
                            } else {
                                write!(w, "{}s", s.eta().as_secs())
                            };
                        },
                    );
                bar.set_style(style);
            }
            bar
        });
        Self {
            mode,
            bar,
            total,
            done: 0,
            ok: 0,
            started: Instant::now(),
            what,
            last_line: None,
            step: (total / 100).max(1),
        }
    }

    /// One more done, stored or not.
    pub fn record(&mut self, ok: bool) {
        self.done += 1;
        self.ok += usize::from(ok);
        let failed = self.done - self.ok;
        match self.mode {
            Progress::Bar => {
                if let Some(bar) = &self.bar {
                    bar.inc(1);
                    bar.set_message(format!("{failed} failed"));
                }
            }
            Progress::Lines
                if self.done == self.total
                    || (self.done.is_multiple_of(self.step)
                        && self.last_line.is_none_or(|t| t.elapsed().as_secs() >= 1)) =>
            {
                self.last_line = Some(Instant::now());
                let secs = self.started.elapsed().as_secs_f64().max(1e-9);
                let rate = self.done as f64 / secs;
                let eta = (self.total - self.done) as f64 / rate.max(1e-9);
                eprintln!(
                    "lupl: {}/{} {} ({} ok, {failed} failed), {}, ETA {eta:.0}s",
                    self.done,
                    self.total,
                    self.what,
                    self.ok,
                    crate::output::rate(rate, self.what)
                );
            }
            _ => {}
        }
    }

    /// A line on stderr; server text in it cannot drive the terminal.
    pub fn say(&self, message: &str) {
        let message = lupl_safety::text::for_terminal(message, true);
        match &self.bar {
            Some(bar) => bar.println(message),
            None => eprintln!("{message}"),
        }
    }

    /// Clears the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
