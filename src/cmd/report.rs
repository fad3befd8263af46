//! `claimtrack report`: the per-outlet credibility-framing report, from articles (scored on
//! the fly with a model) or from the JSONL of one or many `claimtrack score` runs, as
//! Markdown, JSON, CSV or a self-contained HTML page.

use super::common::{input_guard, parse_outlet, refuse_input_outputs, InputArgs};
use super::score::{load_pipeline, progress, score_inputs, FramingArgs};
use anyhow::{bail, Context, Result};
use claimtrack::atomic::{AtomicFile, FileSet, InputGuard};
use claimtrack::pipeline::add_scores;
use claimtrack::project::Project;
use claimtrack::report::{
    outlet_file_stem, render_to, Format, RenderOptions, Report, ReportBuilder,
};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Arguments of `claimtrack report`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
claimtrack report seeds/                                 # Markdown to stdout, shipped model\n  \
claimtrack report --format html --out report.html seeds/\n  \
claimtrack report --format csv --per-article corpus/     # one CSV row per article\n  \
claimtrack report --format json --from-scores a.jsonl b.jsonl   # merge scoring jobs\n\n\
The score runs from -1 (the back channel is framed as not credible: denials and doubt dominate,\n\
come first, or the claim is hedged) to +1 (the claim is prominent and stated as fact); 0 is\n\
balanced. Intervals are seeded Bayesian-bootstrap intervals over articles and sentences; an\n\
outlet without any claim-related sentence gets n/a. Evidence lists the sentences whose removal\n\
would move the score most. Sentence labels (counts, strips, evidence) are decoded article by\n\
article when the model carries a label-sequence decoder, and the model line says so;\n\
--no-decode shows the most probable labels. The scores use probabilities, not labels. The report is the same whatever the order or split of the inputs.\n\
docs/FRAMING.md defines the formula.")]
pub struct ReportArgs {
    /// Article files, directories (read recursively: .txt, .md, .jsonl) or `-` for stdin.
    #[arg(
        value_name = "INPUTS",
        required_unless_present = "from_scores",
        conflicts_with = "from_scores"
    )]
    pub inputs: Vec<PathBuf>,
    /// Outlet name for articles whose header does not give one.
    #[arg(long, value_name = "NAME", value_parser = parse_outlet)]
    pub outlet: Option<String>,
    /// Read scored articles (the JSONL of `claimtrack score`, `-` for stdin) instead of INPUTS;
    /// give several files to merge scoring jobs.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub from_scores: Vec<PathBuf>,
    /// Model file from `claimtrack train` (default: the project's model, else the shipped
    /// model; unused with --from-scores).
    #[arg(long, short, value_name = "FILE", conflicts_with = "from_scores")]
    pub model: Option<PathBuf>,
    /// Output format.
    #[arg(long, short, value_name = "FORMAT", default_value = "md", value_parser = ["md", "json", "csv", "html"])]
    pub format: String,
    /// Write to FILE (atomically) instead of stdout.
    #[arg(long, short, value_name = "FILE", conflicts_with = "per_outlet")]
    pub out: Option<PathBuf>,
    /// Write one report per outlet into DIR (created if missing) instead, named from a safe
    /// slug of the outlet plus a hash (`le-monde-1a2b3c4d.html`): outlet names never become
    /// raw path components. Each file is written atomically.
    #[arg(long, value_name = "DIR")]
    pub per_outlet: Option<PathBuf>,
    /// CSV: one row per article instead of one per outlet.
    #[arg(long)]
    pub per_article: bool,
    /// Keep the sentence strip (HTML, JSON) of at most N articles, the first in report order.
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub max_strips: usize,
    #[command(flatten)]
    pub framing: FramingArgs,
    /// Count and show each sentence's most probable label, without the model's
    /// label-sequence decoder (the framing scores are the same either way; unused with
    /// --from-scores, whose files carry their labels).
    #[arg(long, conflicts_with = "from_scores")]
    pub no_decode: bool,
    /// No progress bar on stderr (it is also hidden when stderr is not a terminal).
    #[arg(long, short)]
    pub quiet: bool,
}

fn read_score_files(files: &[PathBuf], builder: &mut ReportBuilder, quiet: bool) -> Result<()> {
    let bar = progress(quiet, "scored articles read");
    for path in files {
        let name = path.display().to_string();
        let reader: Box<dyn BufRead> = if name == "-" {
            Box::new(BufReader::new(std::io::stdin()))
        } else {
            let f = std::fs::File::open(path).with_context(|| format!("cannot open {name}"))?;
            Box::new(BufReader::new(f))
        };
        add_scores(builder, reader, &name, |n| bar.inc(n as u64))?;
    }
    bar.finish_and_clear();
    Ok(())
}

/// Runs the command.
pub fn run(mut args: ReportArgs, project: Option<&Project>) -> Result<()> {
    if args.model.is_none() && args.from_scores.is_empty() {
        args.model = super::common::project_model(project)?;
    }
    args.framing.apply_project(project);
    let format: Format = args.format.parse().map_err(anyhow::Error::msg)?;
    let guard = input_guard(
        args.inputs
            .iter()
            .chain(&args.from_scores)
            .chain(&args.model)
            .chain(&args.framing.hedges)
            .chain(&args.framing.framing_params)
            .map(PathBuf::as_path),
    );
    refuse_input_outputs(&guard, args.out.iter().map(PathBuf::as_path))?;
    let (params, hedges) = args.framing.load()?;
    let mut builder = ReportBuilder::new(params.clone(), hedges.clone(), args.max_strips)?;
    if !args.from_scores.is_empty() {
        read_score_files(&args.from_scores, &mut builder, args.quiet)?;
    } else {
        let pipeline = load_pipeline(args.model.as_deref(), !args.no_decode, params, hedges)?;
        let input = InputArgs {
            inputs: args.inputs.clone(),
            outlet: args.outlet.clone(),
        };
        let bar = progress(args.quiet, "articles scored");
        score_inputs(&input, &pipeline, &bar, |batch| {
            builder.add_batch(&batch)?;
            Ok(())
        })?;
        bar.finish_and_clear();
    }
    if builder.is_empty() {
        bail!("no articles found in the inputs; give article files or directories (or --from-scores FILE)");
    }
    let report = builder.finish();
    let opts = RenderOptions {
        per_article: args.per_article,
    };
    if let Some(dir) = &args.per_outlet {
        let n = write_per_outlet(dir, &report, format, opts, &guard)?;
        if !args.quiet {
            eprintln!("wrote {n} per-outlet reports in {}", dir.display());
        }
        return Ok(());
    }
    match &args.out {
        Some(path) => {
            write_report(path, &report, format, opts)?;
            if !args.quiet {
                eprintln!(
                    "wrote {} ({} outlets, {} articles)",
                    path.display(),
                    report.outlets.len(),
                    report.articles.len()
                );
            }
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            render_to(&report, format, opts, &mut out)?;
            out.flush()?;
        }
    }
    Ok(())
}

/// Writes one report per outlet into `dir`, all or none: every file is staged first and
/// published only when all were written. Two outlets whose file names would collide, or a file
/// that is one of the run's inputs, stop the run before anything is published.
fn write_per_outlet(
    dir: &Path,
    report: &Report,
    format: Format,
    opts: RenderOptions,
    guard: &InputGuard,
) -> Result<usize> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the folder {}", dir.display()))?;
    let mut set = FileSet::new();
    let mut owners: std::collections::HashMap<String, &str> = std::collections::HashMap::new();
    for o in &report.outlets {
        let stem = outlet_file_stem(&o.outlet);
        if let Some(first) = owners.insert(stem.clone(), &o.outlet) {
            bail!(
                "outlets {first:?} and {:?} would share the file {stem}.{}; rename one of them",
                o.outlet,
                format.extension()
            );
        }
        let path = dir.join(format!("{stem}.{}", format.extension()));
        guard.check(&path)?;
        let cannot = || format!("cannot write {}", path.display());
        let file = set.create(&path).with_context(cannot)?;
        render_to(&report.for_outlet(&o.outlet), format, opts, file).with_context(cannot)?;
    }
    set.commit()
        .context("cannot publish the per-outlet reports")?;
    Ok(report.outlets.len())
}

/// Renders `report` straight into `path`, atomically (nothing appears there on failure).
fn write_report(path: &Path, report: &Report, format: Format, opts: RenderOptions) -> Result<()> {
    let cannot = || format!("cannot write {}", path.display());
    let mut file = AtomicFile::create(path).with_context(cannot)?;
    render_to(report, format, opts, &mut file).with_context(cannot)?;
    file.commit().with_context(cannot)
}
