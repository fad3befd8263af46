//! The `claimtrack` binary: argument parsing with clap; each command lives in `cmd/`.

mod cmd;

use clap::{CommandFactory, Parser, Subcommand};
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
claimtrack <COMMAND> --help       # examples for each command\n\n\
Exit status: 0 on success (also when a reader such as `head` closes the output early);\n\
2 on any error (bad arguments, unreadable or invalid input, a failed write), with a message\n\
on stderr naming the file and line; 128+N when stopped by signal N (130 for Ctrl-C), after\n\
removing any half-written output.")]
struct Cli {
    /// Worker threads for featurizing, scoring and training (default: the available cores;
    /// at most 256). Results are identical, byte for byte, whatever the number of threads.
    #[arg(long, global = true, value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..=claimtrack::limits::MAX_THREADS as i64))]
    threads: Option<u16>,
    /// The claim project to use (a folder holding claimtrack.toml, docs/PROJECTS.md). Without
    /// it, the nearest claimtrack.toml in the working directory or a parent folder is used, as
    /// git finds its repository; the file used is named on stderr (not with --quiet). Its
    /// settings are defaults: explicit flags win.
    #[arg(long, global = true, value_name = "DIR")]
    project: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a claim project: a commented claimtrack.toml, empty gold/ and articles/,
    /// starter cues.tsv, hedges.txt and framing.json.
    Init(cmd::init::InitArgs),
    /// Print the cleaned sentences of articles as JSONL (the first step of annotation).
    Sentences(cmd::sentences::SentencesArgs),
    /// Train the sentence classifier on gold labels and write a model file.
    Train(cmd::train::TrainArgs),
    /// Measure the classifier by grouped (or nested) cross-validation or on a test file.
    Evaluate(Box<cmd::evaluate::EvaluateArgs>),
    /// Label sentences (JSONL or plain text lines) with probabilities.
    Classify(cmd::classify::ClassifyArgs),
    /// Show which words push a sentence toward or away from its label.
    Explain(cmd::explain::ExplainArgs),
    /// Label every sentence and write one JSON line per article with its framing score.
    Score(cmd::score::ScoreArgs),
    /// Per-outlet credibility-framing report (Markdown, JSON, CSV or HTML).
    Report(cmd::report::ReportArgs),
    /// Label sentences one at a time on the terminal, the model's least certain first; each
    /// answer is saved at once to the annotator's pass file.
    Annotate(cmd::annotate::AnnotateArgs),
    /// Measure how far two or more labelling passes agree (Cohen's or Fleiss' kappa, per
    /// label, confusion matrix) and list the sentences they label differently.
    Agreement(cmd::agreement::AgreementArgs),
    /// Merge partial-aggregate files (from `report --partial-out`), finish their outlets, or
    /// split them into outlet groups.
    Merge(cmd::merge::MergeArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to stdout.
    #[command(after_help = "Examples:\n  \
claimtrack completions bash > ~/.local/share/bash-completion/completions/claimtrack\n  \
claimtrack completions zsh > ~/.zfunc/_claimtrack        # with fpath+=(~/.zfunc) in ~/.zshrc\n  \
claimtrack completions fish > ~/.config/fish/completions/claimtrack.fish")]
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) to stdout.
    #[command(after_help = "Examples:\n  \
claimtrack man > claimtrack.1 && man ./claimtrack.1\n  \
claimtrack man | gzip > /usr/local/share/man/man1/claimtrack.1.gz")]
    Man,
}

fn main() -> ExitCode {
    tune_allocator();
    ExitCode::from(run(std::env::args_os()))
}

/// Blocks of 256 KiB and more (the training matrix, the optimizer's vectors) are mapped from
/// the system and given back when freed. By default glibc raises that threshold after the
/// first large block is freed, so the next fits' blocks of megabytes come from the heap and
/// fragment it: `train` at 100,000 sentences peaked at 211 MB resident instead of 138 MB.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn tune_allocator() {
    // glibc's `int mallopt(int param, int value)` (malloc.h); M_MMAP_THRESHOLD is -3.
    extern "C" {
        fn mallopt(param: std::ffi::c_int, value: std::ffi::c_int) -> std::ffi::c_int;
    }
    const M_MMAP_THRESHOLD: std::ffi::c_int = -3;
    // SAFETY: mallopt only sets a parameter of the C allocator; it is called first thing in
    // main, before any other thread exists. A refusal (return value 0) changes nothing.
    unsafe {
        mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    }
}

/// Other platforms' allocators keep their defaults.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn tune_allocator() {}

/// Runs the command line `args` (the program name first) and gives the exit status (0, or 2
/// on an error; `--help` and bad arguments exit the process as clap does). The Python
/// package's `claimtrack` console script calls this too, with its own arguments.
pub fn run<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = Cli::parse_from(args);
    install_signal_cleanup();
    if let Err(e) = init_threads(cli.threads) {
        eprintln!("error: {e:#}");
        return 2;
    }
    // `announce`: name the project file on stderr (not with --quiet, nor for `sentences`,
    // whose output does not depend on the claim).
    let project = |announce: bool| cmd::common::resolve_project(cli.project.as_deref(), announce);
    let result = match cli.command {
        Command::Init(a) => cmd::init::run(a),
        Command::Sentences(a) => project(false).and_then(|_| cmd::sentences::run(a)),
        Command::Train(a) => project(true).and_then(|p| cmd::train::run(a, p.as_ref())),
        Command::Evaluate(a) => project(true).and_then(|p| cmd::evaluate::run(*a, p.as_ref())),
        Command::Classify(a) => project(true).and_then(|p| cmd::classify::run(a, p.as_ref())),
        Command::Explain(a) => project(true).and_then(|p| cmd::explain::run(a, p.as_ref())),
        Command::Score(a) => project(!a.quiet).and_then(|p| cmd::score::run(a, p.as_ref())),
        Command::Report(a) => project(!a.quiet).and_then(|p| cmd::report::run(a, p.as_ref())),
        Command::Annotate(a) => project(!a.script).and_then(|p| cmd::annotate::run(a, p.as_ref())),
        Command::Agreement(a) => project(!a.json).and_then(|p| cmd::agreement::run(a, p.as_ref())),
        Command::Merge(a) => cmd::merge::run(a),
        Command::Completions { shell } => print_completions(shell),
        Command::Man => print_man(),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            if is_broken_pipe(&e) {
                // Like ripgrep: `claimtrack ... | head -1` ends quietly.
                return 0;
            }
            eprintln!("error: {}", cmd::common::terminal_safe(&error_text(&e)));
            2
        }
    }
}

/// Writes the completion script for `shell` to stdout.
fn print_completions(shell: clap_complete::Shell) -> anyhow::Result<()> {
    use std::io::Write;
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "claimtrack", &mut buf);
    let mut out = std::io::stdout().lock();
    out.write_all(&buf)?;
    out.flush()?;
    Ok(())
}

/// Writes the manual page, with a section per command, to stdout.
fn print_man() -> anyhow::Result<()> {
    use std::io::Write;
    let cmd = Cli::command();
    let mut buf = Vec::new();
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(&mut buf)?;
    man.render_name_section(&mut buf)?;
    man.render_synopsis_section(&mut buf)?;
    man.render_description_section(&mut buf)?;
    man.render_options_section(&mut buf)?;
    man.render_subcommands_section(&mut buf)?;
    man.render_extra_section(&mut buf)?;
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = sub.get_name().to_string();
        let sub = sub.clone().name(format!("claimtrack {name}"));
        let page = clap_mangen::Man::new(sub);
        writeln!(buf, ".SH \"COMMAND: {}\"", name.to_uppercase())?;
        page.render_synopsis_section(&mut buf)?;
        page.render_description_section(&mut buf)?;
        page.render_options_section(&mut buf)?;
        page.render_extra_section(&mut buf)?;
    }
    man.render_version_section(&mut buf)?;
    let mut out = std::io::stdout().lock();
    out.write_all(&buf)?;
    out.flush()?;
    Ok(())
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
