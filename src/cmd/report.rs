//! `claimtrack report`: the per-outlet credibility-framing report, from articles (scored on
//! the fly with a model) or from the JSONL of one or many `claimtrack score` runs, as
//! Markdown, JSON, CSV or a self-contained HTML page.

use super::common::{input_guard, parse_outlet, refuse_input_outputs, warn, InputArgs};
use super::score::{load_pipeline, score_inputs, FramingArgs};
use anyhow::{bail, Context, Result};
use claimtrack::atomic::{AtomicFile, InputGuard};
use claimtrack::label::LabelNames;
use claimtrack::partial::{self, PartInput};
use claimtrack::pipeline::add_scores_named;
use claimtrack::project::Project;
use claimtrack::report::{
    render_to, write_per_outlet, write_report, CsvTable, Format, Period, RenderOptions, Report,
    ReportBuilder, ReportOptions, MAX_HIGHLIGHTS,
};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;

/// Arguments of `claimtrack report`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
claimtrack report seeds/                                 # Markdown to stdout, shipped model\n  \
claimtrack report --format html --out report.html seeds/\n  \
claimtrack report --format csv --per-article corpus/     # one CSV row per article\n  \
claimtrack report --format json --from-scores a.jsonl b.jsonl   # merge scoring jobs\n  \
claimtrack report --format html --group-by country --highlight \"New York Post\" --out r.html corpus/\n  \
claimtrack report --format csv --table periods --period week corpus/   # the timeline as CSV\n  \
claimtrack report --partial-out part-07.ctp --from-scores scores-07.jsonl   # a mergeable partial\n  \
claimtrack report --format html --from-partials part-*.ctp --out r.html     # the same report\n\n\
The report opens with a summary: how many outlets frame the claim as credible (their whole\n\
interval above 0), as not credible (below 0) or unclear (the interval holds 0), the strongest of\n\
each, and the period the dated articles cover. Outlets without a claim sentence are n/a, never 0.\n\
The timeline gives the mean score per week or month (chosen from the span of the dates unless\n\
--period says) with its interval and the article volume; undated articles are counted, and a date\n\
that is not a calendar date (2024-02-31) is a warning naming the article, which then counts as\n\
undated.\n\n\
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
        required_unless_present_any = ["from_scores", "from_partials"],
        conflicts_with_all = ["from_scores", "from_partials"]
    )]
    pub inputs: Vec<PathBuf>,
    /// Outlet name for articles whose header does not give one.
    #[arg(long, value_name = "NAME", value_parser = parse_outlet)]
    pub outlet: Option<String>,
    /// Read scored articles (the JSONL of `claimtrack score`, `-` for stdin) instead of INPUTS;
    /// give several files to merge scoring jobs.
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with = "from_partials")]
    pub from_scores: Vec<PathBuf>,
    /// Read partial-aggregate files (written with --partial-out, merged or finished with
    /// `claimtrack merge`) instead: the report is the one of all their articles, byte for
    /// byte. The framing settings, hedge list and --max-strips are the partials'.
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with_all = ["model", "no_decode", "partial_out"])]
    pub from_partials: Vec<PathBuf>,
    /// Write a partial-aggregate file (docs/PARTIALS.md) of the articles instead of the
    /// report: partials of any split of the articles merge (`claimtrack merge`) and give the
    /// same report (--from-partials). Give --group-by here if the report will use it.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["out", "per_outlet"])]
    pub partial_out: Option<PathBuf>,
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
    /// CSV: which table to write: outlets (default), articles, periods (the timeline), groups
    /// (with --group-by) or summary (one row). The other formats hold every table.
    #[arg(long, value_name = "TABLE", value_parser = ["outlets", "articles", "periods", "groups", "summary"])]
    pub table: Option<String>,
    /// Timeline periods: week or month (default: chosen from the span of the dates: weekly up
    /// to about six months of day-dated articles, monthly beyond).
    #[arg(long, value_name = "PERIOD", value_parser = ["week", "month"])]
    pub period: Option<String>,
    /// Show this outlet's own series on the timeline and mark it in the charts (repeatable,
    /// at most 8; names as in the report, any case).
    #[arg(long, value_name = "NAME", action = clap::ArgAction::Append)]
    pub highlight: Vec<String>,
    /// Group outlets by a metadata key of their articles (a front-matter key or JSONL field
    /// such as `country` or `lean`): a per-group table of verdicts and mean score.
    #[arg(long, value_name = "KEY")]
    pub group_by: Option<String>,
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

fn read_score_files(
    files: &[PathBuf],
    builder: &mut ReportBuilder,
    names: &LabelNames,
    quiet: bool,
) -> Result<()> {
    let bar = super::progress::counter(quiet, "scored articles read");
    for path in files {
        let name = path.display().to_string();
        let reader: Box<dyn BufRead> = if name == "-" {
            Box::new(BufReader::new(std::io::stdin()))
        } else {
            let f = std::fs::File::open(path).with_context(|| format!("cannot open {name}"))?;
            Box::new(BufReader::new(f))
        };
        add_scores_named(builder, reader, &name, names, |n| bar.inc(n as u64))?;
    }
    bar.finish_and_clear();
    Ok(())
}

/// Runs the command.
pub fn run(mut args: ReportArgs, project: Option<&Project>) -> Result<()> {
    let from_partials = !args.from_partials.is_empty();
    if args.model.is_none() && args.from_scores.is_empty() && !from_partials {
        args.model = super::common::project_model(project)?;
    }
    if from_partials {
        if args.framing.hedges.is_some() || args.framing.framing_params.is_some() {
            bail!("--from-partials: the framing settings and hedge list are the partials' (give --hedges or --framing-params when building them)");
        }
    } else {
        args.framing.apply_project(project);
    }
    let format: Format = args.format.parse().map_err(anyhow::Error::msg)?;
    let guard = input_guard(
        args.inputs
            .iter()
            .chain(&args.from_scores)
            .chain(&args.from_partials)
            .chain(&args.model)
            .chain(&args.framing.hedges)
            .chain(&args.framing.framing_params)
            .map(PathBuf::as_path),
    );
    refuse_input_outputs(
        &guard,
        args.out
            .iter()
            .chain(&args.partial_out)
            .map(PathBuf::as_path),
    )?;
    if args.highlight.len() > MAX_HIGHLIGHTS {
        bail!(
            "--highlight was given {} times; at most {MAX_HIGHLIGHTS} outlets can be highlighted (one colour each)",
            args.highlight.len()
        );
    }
    if args.table.is_some() && format != Format::Csv {
        bail!("--table chooses the table of a CSV report; give --format csv (the other formats hold every table)");
    }
    if args.table.as_deref() == Some("groups") && args.group_by.is_none() {
        bail!("--table groups needs --group-by KEY (the metadata key to group outlets by)");
    }
    if let Some(key) = &args.group_by {
        if key.trim().is_empty() {
            bail!("--group-by needs a key, such as `country` or `lean`");
        }
    }
    let table: CsvTable = match &args.table {
        Some(t) => t.parse().map_err(anyhow::Error::msg)?,
        None => CsvTable::default(),
    };
    let period: Option<Period> = match &args.period {
        Some(p) => Some(p.parse().map_err(anyhow::Error::msg)?),
        None => None,
    };
    let options = ReportOptions {
        period,
        group_by: args.group_by.clone(),
        highlight: args.highlight.clone(),
        per_outlet: args.per_outlet.is_some(),
    };
    let report = if from_partials {
        let parts = args
            .from_partials
            .iter()
            .map(|p| PartInput::open(p))
            .collect::<Result<Vec<_>, _>>()?;
        let built = partial::report(parts, options)?;
        if built.report.articles.is_empty() {
            bail!("the partials hold no articles");
        }
        for w in &built.warnings {
            warn(w);
        }
        let mut report = built.report;
        report.names = super::common::project_names(project);
        report
    } else {
        match build(&args, options, project)? {
            Some(report) => report,
            None => return Ok(()),
        }
    };

    present(&args, &report, format, table, &guard)
}

/// Reads or scores the articles into a builder; writes the partial (`None`) or gives the report.
fn build(
    args: &ReportArgs,
    options: ReportOptions,
    project: Option<&Project>,
) -> Result<Option<Report>> {
    let (params, hedges) = args.framing.load()?;
    let mut builder =
        ReportBuilder::new(params.clone(), hedges.clone(), args.max_strips)?.with_options(options);
    let names = if !args.from_scores.is_empty() {
        let names = super::common::project_names(project);
        read_score_files(&args.from_scores, &mut builder, &names, args.quiet)?;
        names
    } else {
        let pipeline = load_pipeline(
            args.model.as_deref(),
            !args.no_decode,
            params,
            hedges,
            project,
        )?;
        let input = InputArgs {
            inputs: args.inputs.clone(),
            outlet: args.outlet.clone(),
        };
        let bar = super::progress::counter(args.quiet, "articles scored");
        score_inputs(&input, &pipeline, &bar, |batch| {
            builder.add_batch(&batch)?;
            Ok(())
        })?;
        bar.finish_and_clear();
        pipeline.names().clone()
    };
    if builder.is_empty() {
        bail!("no articles found in the inputs; give article files or directories (or --from-scores FILE)");
    }
    for w in builder.warnings() {
        warn(&w);
    }
    if let Some(path) = &args.partial_out {
        let cannot = || format!("cannot write {}", path.display());
        let mut file = AtomicFile::create(path).with_context(cannot)?;
        let (_, stats) = partial::write_builder(builder, &mut file).with_context(cannot)?;
        file.commit().with_context(cannot)?;
        if !args.quiet {
            eprintln!(
                "wrote {} ({} outlets, {} articles, {} bytes)",
                path.display(),
                stats.outlets,
                stats.articles,
                stats.bytes
            );
        }
        return Ok(None);
    }
    let mut report = builder.finish();
    report.names = names;
    Ok(Some(report))
}

/// Warns about unmatched highlights and empty groups, then writes the report.
fn present(
    args: &ReportArgs,
    report: &Report,
    format: Format,
    table: CsvTable,
    guard: &InputGuard,
) -> Result<()> {
    for name in &args.highlight {
        if !report
            .timeline
            .highlights
            .iter()
            .any(|h| h.outlet.to_lowercase() == name.trim().to_lowercase())
        {
            warn(&format!(
                "--highlight {name:?}: no outlet of that name in the report; it is not highlighted"
            ));
        }
    }
    if let Some(g) = &report.groups {
        if g.rows.iter().all(|r| r.value.is_none()) {
            warn(&format!(
                "--group-by {}: no article gives that key; every outlet is in the group (not given)",
                g.key
            ));
        }
    }
    let opts = RenderOptions {
        per_article: args.per_article,
        table,
    };
    if let Some(dir) = &args.per_outlet {
        let n = write_per_outlet(dir, report, format, opts, guard)?;
        if !args.quiet {
            eprintln!("wrote {n} per-outlet reports in {}", dir.display());
        }
        return Ok(());
    }
    match &args.out {
        Some(path) => {
            write_report(path, report, format, opts)?;
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
            render_to(report, format, opts, &mut out)?;
            out.flush()?;
        }
    }
    Ok(())
}
