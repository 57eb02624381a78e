//! Progress of bulk commands on stderr (`indicatif`): drawn only when stderr is a terminal
//! (and `TERM` is not `dumb`), at most 20 times a second, and cleared when the work is done,
//! so piped and redirected runs see nothing of it.

use std::fmt;
use std::time::Duration;

use indicatif::{HumanCount, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

/// A progress bar (a known total) or counter (an unknown one) for one bulk command.
pub(crate) struct Progress(ProgressBar);

impl Progress {
    /// Counts items: `verb` ("minted", "verified") with a bar when `total` is known.
    pub(crate) fn new(verb: &'static str, total: Option<u64>) -> Progress {
        let template = match total {
            Some(_) => "{msg} {human_pos}/{human_len} [{bar:30}] {rate}, {eta} left",
            None => "{spinner} {msg} {human_pos} ({rate})",
        };
        Progress::with(verb, total, template)
    }

    /// A spinner for one long call with no count to show (a rule written to every bucket of
    /// a store): what it is doing, and for how long.
    pub(crate) fn waiting(what: String) -> Progress {
        Progress::with(what, None, "{spinner} {msg} ({elapsed})")
    }

    /// Follows the bytes of an input read as the work goes (`--emails FILE`): a bar when its
    /// size is known (a file), a byte counter when not (stdin).
    pub(crate) fn bytes(what: String, size: Option<u64>) -> Progress {
        let template = match size {
            Some(_) => "{msg} [{bar:30}] {bytes}/{total_bytes}, {eta} left",
            None => "{spinner} {msg} {bytes}",
        };
        Progress::with(what, size, template)
    }

    fn with(
        message: impl Into<std::borrow::Cow<'static, str>>,
        total: Option<u64>,
        template: &str,
    ) -> Progress {
        let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
        // The templates are constants; a bad one would only lose the layout, not the work.
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .with_key("rate", |state: &ProgressState, w: &mut dyn fmt::Write| {
                // Whole items a second: indicatif's own `per_sec` prints four decimals.
                let _ = write!(w, "{}/s", HumanCount(state.per_sec() as u64));
            })
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message(message);
        // A counter with no total moves by itself; not when nobody sees it (no ticker thread).
        if total.is_none() && !bar.is_hidden() {
            bar.enable_steady_tick(Duration::from_millis(200));
        }
        Progress(bar)
    }

    /// `n` more items (or bytes) done.
    pub(crate) fn add(&self, n: u64) {
        self.0.inc(n);
    }

    /// Where the work is now, in items (or bytes).
    pub(crate) fn set(&self, done: u64) {
        self.0.set_position(done);
    }

    /// Done: the bar is cleared from the terminal.
    pub(crate) fn finish(&self) {
        self.0.finish_and_clear();
    }
}

impl Drop for Progress {
    /// An error ends the work early: the bar must not stay on the screen over the message.
    fn drop(&mut self) {
        if !self.0.is_finished() {
            self.0.finish_and_clear();
        }
    }
}
