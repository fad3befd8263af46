//! Progress on stderr for commands that can run for more than a few seconds: a counter with
//! a whole-number rate ("418/s") for streams of unknown length, and a bar with the rate and an
//! ETA for work of known size (folds, models). Hidden with `--quiet` where the command has it,
//! and whenever stderr is not a terminal (so logs and pipes stay clean).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use std::io::IsTerminal;

/// The rate as a whole number per second ("418/s"), or per minute when below one per second
/// ("12/min"); "-/s" before there is one.
fn format_rate(r: f64) -> String {
    if !r.is_finite() || r <= 0.0 {
        "-/s".to_string()
    } else if r >= 1.0 {
        format!("{r:.0}/s")
    } else {
        format!("{:.0}/min", r * 60.0)
    }
}

fn rate(state: &ProgressState, w: &mut dyn std::fmt::Write) {
    let _ = w.write_str(&format_rate(state.per_sec()));
}

fn visible(quiet: bool) -> bool {
    !quiet && std::io::stderr().is_terminal()
}

/// A counter for a stream of unknown length: `⠁ 1204 articles scored (418/s, 3s)`.
pub fn counter(quiet: bool, what: &'static str) -> ProgressBar {
    if !visible(quiet) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {pos} {msg} ({rate}, {elapsed})")
            .map(|s| s.with_key("rate", rate))
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(what);
    bar
}

/// A bar for work of known size, its length set by the first report: `[=====>    ] 57/209
/// folds (2/s, ETA 1m 20s)`.
pub fn bar(quiet: bool, what: &'static str) -> ProgressBar {
    if !visible(quiet) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("[{bar:30}] {pos}/{len} {msg} ({rate}, ETA {eta})")
            .map(|s| s.with_key("rate", rate).progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(what);
    bar
}

/// A callback for the library's evaluation functions (`done`, `total`) that moves `bar`.
pub fn observer(bar: &ProgressBar) -> impl Fn(usize, usize) + Sync + '_ {
    move |done, total| {
        if bar.length() != Some(total as u64) {
            bar.set_length(total as u64);
        }
        bar.set_position(done as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_whole_numbers() {
        assert_eq!(format_rate(418.2141), "418/s");
        assert_eq!(format_rate(1.0), "1/s");
        assert_eq!(format_rate(0.2), "12/min");
        assert_eq!(format_rate(0.0), "-/s");
        assert_eq!(format_rate(f64::NAN), "-/s");
    }
}
