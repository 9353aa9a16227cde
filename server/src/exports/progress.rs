//! Progress for long command-line runs: a bar (`indicatif`) when stderr is a terminal,
//! otherwise a plain line now and then, which is what a log file or CI wants.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// Reports progress on stderr.
pub struct Progress {
    bar: Option<ProgressBar>,
    label: &'static str,
    /// When the last plain line was printed; the first update prints at once.
    last_line: Option<Instant>,
}

/// How often a plain progress line is printed.
const LINE_EVERY: Duration = Duration::from_secs(2);

impl Progress {
    /// Starts reporting; `total` (bytes or rows) gives the bar a length when known.
    pub fn new(label: &'static str, total: Option<u64>) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = match total {
                Some(total) => ProgressBar::new(total).with_style(
                    ProgressStyle::with_template(
                        "{prefix} [{elapsed_precise}] {wide_bar} {percent}% {msg}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
                ),
                None => ProgressBar::new_spinner(),
            };
            bar.set_prefix(label);
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Progress {
            bar,
            label,
            last_line: None,
        }
    }

    /// Reports `position` (in the unit of `total`) and a message such as the counts.
    pub fn update(&mut self, position: u64, message: &str) {
        match &self.bar {
            Some(bar) => {
                bar.set_position(position);
                bar.set_message(message.to_owned());
            }
            None => {
                if self.last_line.is_none_or(|at| at.elapsed() >= LINE_EVERY) {
                    eprintln!("{}: {message}", self.label);
                    self.last_line = Some(Instant::now());
                }
            }
        }
    }

    /// Stops the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
