//! The `claimtrack` binary: argument parsing with clap; each command lives in `cmd/`.

mod cmd;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Track how news outlets frame a contested claim.
///
/// claimtrack reads news articles (text files with a front-matter header, or JSONL),
/// drops page furniture, splits them into sentences, labels every sentence
/// (russian_claim, us_denial, expert_skepticism, context) with a TF-IDF + logistic
/// model, and scores how credibly each outlet frames the claim.
#[derive(Debug, Parser)]
#[command(name = "claimtrack", version, propagate_version = true)]
#[command(after_help = "Start here:\n  \
claimtrack report seeds/          # framing report of the seed articles, shipped model\n  \
claimtrack sentences seeds/       # the cleaned sentences, as JSONL\n  \
claimtrack <COMMAND> --help       # examples for each command")]
struct Cli {
    /// Worker threads for featurizing, scoring and training (default: the available cores;
    /// at most 256). Results are identical, byte for byte, whatever the number of threads.
    #[arg(long, global = true, value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..=claimtrack::limits::MAX_THREADS as i64))]
    threads: Option<u16>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the cleaned sentences of articles as JSONL (the first step of annotation).
    Sentences(cmd::sentences::SentencesArgs),
    /// Train the sentence classifier on gold labels and write a model file.
    Train(cmd::train::TrainArgs),
    /// Measure the classifier by grouped (or nested) cross-validation or on a test file.
    Evaluate(cmd::evaluate::EvaluateArgs),
    /// Label sentences (JSONL or plain text lines) with probabilities.
    Classify(cmd::classify::ClassifyArgs),
    /// Show which words push a sentence toward or away from its label.
    Explain(cmd::explain::ExplainArgs),
    /// Label every sentence and write one JSON line per article with its framing score.
    Score(cmd::score::ScoreArgs),
    /// Per-outlet credibility-framing report (Markdown, JSON, CSV or HTML).
    Report(cmd::report::ReportArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    install_signal_cleanup();
    if let Err(e) = init_threads(cli.threads) {
        eprintln!("error: {e:#}");
        return ExitCode::from(2);
    }
    let result = match cli.command {
        Command::Sentences(a) => cmd::sentences::run(a),
        Command::Train(a) => cmd::train::run(a),
        Command::Evaluate(a) => cmd::evaluate::run(a),
        Command::Classify(a) => cmd::classify::run(a),
        Command::Explain(a) => cmd::explain::run(a),
        Command::Score(a) => cmd::score::run(a),
        Command::Report(a) => cmd::report::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if is_broken_pipe(&e) {
                // Like ripgrep: `claimtrack ... | head -1` ends quietly.
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {}", cmd::common::terminal_safe(&error_text(&e)));
            ExitCode::from(2)
        }
    }
}

/// On SIGINT, SIGTERM or SIGHUP: remove the temporary files of outputs being written, then
/// exit with 128 + the signal number, as a shell reports a run killed by it. Nothing half
/// written is left behind, and the destinations are untouched.
fn install_signal_cleanup() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return; // Without handlers the default applies: the run dies, stale files are swept later.
    };
    std::thread::spawn(move || {
        if let Some(sig) = signals.forever().next() {
            claimtrack::atomic::remove_temp_files_for_exit();
            std::process::exit(128 + sig);
        }
    });
}

/// Builds rayon's global pool with `threads` workers (default: the available cores).
fn init_threads(threads: Option<u16>) -> anyhow::Result<()> {
    let n = match threads {
        Some(n) => usize::from(n),
        None => std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
    };
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build_global()
        .map_err(|e| anyhow::anyhow!("cannot start {n} worker threads: {e}"))
}

/// The error and its causes joined with `: `, like `{:#}`, but without a cause the message
/// before it already quotes (library errors such as `{path}: {source}` name their source).
fn error_text(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let s = cause.to_string();
        if out.contains(&s) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&s);
    }
    out
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .map(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            .unwrap_or(false)
            || c.downcast_ref::<serde_json::Error>()
                .and_then(|j| j.io_error_kind())
                .map(|k| k == std::io::ErrorKind::BrokenPipe)
                .unwrap_or(false)
            || c.downcast_ref::<claimtrack::pipeline::ClassifyError>()
                .is_some_and(|e| e.is_broken_pipe())
    })
}
