//! `claimtrack merge`: merges partial-aggregate files (from `report --partial-out`) into one,
//! optionally finishing every outlet's report, or splits them into outlet groups, or
//! finishes a share of the timeline's periods.

use super::common::{input_guard, refuse_input_outputs};
use anyhow::{bail, Context, Result};
use claimtrack::atomic::AtomicFile;
use claimtrack::partial::{self, PartInput, PartialStats};
use claimtrack::report::Period;
use std::path::{Path, PathBuf};

/// Arguments of `claimtrack merge`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
claimtrack merge part-*.ctp --out all.ctp                  # one partial of every article\n  \
claimtrack merge part-*.ctp --split 16 --out-dir groups/   # outlets in 16 groups\n  \
claimtrack merge groups/outlets-0003.ctp --finish-outlets --out done-0003.ctp\n  \
claimtrack merge done-*.ctp --finish-periods 3/8 --out periods-3.ctp   # x 8\n  \
claimtrack report --from-partials done-*.ctp periods-*.ctp --format html --out report.html\n\n\
Merging is associative and ignores the order of the inputs; an article (or a whole partial)\n\
given twice counts once, and two different articles with one id are an error naming the file.\n\
--finish-outlets computes each outlet's report (the per-outlet bootstrap, the costly step) so\n\
that `report --from-partials` on the finished groups only adds the overview, timeline and\n\
ranks. --finish-periods I/N computes the timeline intervals of the I-th of N shares of the\n\
periods (each job reads every partial and keeps only its periods' articles); the report then\n\
takes them as they are. docs/PARTIALS.md describes the file format.")]
pub struct MergeArgs {
    /// Partial-aggregate files.
    #[arg(value_name = "PARTS", required = true)]
    pub parts: Vec<PathBuf>,
    /// The merged partial (written atomically).
    #[arg(long, short, value_name = "FILE", required_unless_present = "split")]
    pub out: Option<PathBuf>,
    /// Compute every outlet's finished report in the merged partial.
    #[arg(long, conflicts_with = "split")]
    pub finish_outlets: bool,
    /// Write a partial holding only the timeline rows (intervals included) of the I-th of N
    /// shares of the periods (a stable hash of the period label), computed from every article
    /// of the inputs: give it to `report --from-partials` beside the articles' partials.
    /// 0/1 computes every period.
    #[arg(long, value_name = "I/N", conflicts_with_all = ["split", "finish_outlets"])]
    pub finish_periods: Option<String>,
    /// With --finish-periods: the timeline's period (week or month), as the report will use
    /// it; default: chosen from the span of the dates, as the report chooses it.
    #[arg(long, value_name = "PERIOD", requires = "finish_periods")]
    pub period: Option<String>,
    /// Split the articles into N partials by outlet (a stable hash of the outlet name),
    /// written as outlets-0000.ctp ... into --out-dir, to finish the groups in N jobs.
    #[arg(long, value_name = "N", requires = "out_dir", conflicts_with = "out",
          value_parser = clap::value_parser!(u32).range(1..=65536))]
    pub split: Option<u32>,
    /// Folder for --split (created if missing).
    #[arg(long, value_name = "DIR", requires = "split")]
    pub out_dir: Option<PathBuf>,
    /// Print nothing on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

fn open(parts: &[PathBuf]) -> Result<Vec<PartInput>> {
    parts
        .iter()
        .map(|p| PartInput::open(p).map_err(anyhow::Error::from))
        .collect()
}

fn describe(path: &Path, s: &PartialStats) -> String {
    format!(
        "wrote {} ({} outlets, {} finished, {} articles, {} bytes)",
        path.display(),
        s.outlets,
        s.finished_outlets,
        s.articles,
        s.bytes
    )
}

/// `I/N` with I < N.
fn share(text: &str) -> Result<(usize, usize)> {
    let parsed = text.split_once('/').and_then(|(i, n)| {
        let (i, n) = (
            i.trim().parse::<usize>().ok()?,
            n.trim().parse::<usize>().ok()?,
        );
        (n > 0 && i < n).then_some((i, n))
    });
    parsed.with_context(|| {
        format!(
            "--finish-periods {text}: expected I/N with 0 <= I < N, e.g. 3/8 (0/1: every period)"
        )
    })
}

/// Runs the command.
pub fn run(args: MergeArgs) -> Result<()> {
    let guard = input_guard(args.parts.iter().map(PathBuf::as_path));
    if let (Some(n), Some(dir)) = (args.split, &args.out_dir) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the folder {}", dir.display()))?;
        let paths: Vec<PathBuf> = (0..n)
            .map(|i| dir.join(format!("outlets-{i:04}.ctp")))
            .collect();
        refuse_input_outputs(&guard, paths.iter().map(PathBuf::as_path))?;
        let mut files = paths
            .iter()
            .map(|p| AtomicFile::create(p).with_context(|| format!("cannot write {}", p.display())))
            .collect::<Result<Vec<_>>>()?;
        let outs: Vec<&mut AtomicFile> = files.iter_mut().collect();
        let n = n as usize;
        let stats =
            partial::split_by_outlet(open(&args.parts)?, outs, |o| partial::outlet_bucket(o, n))?;
        let stats: Vec<PartialStats> = stats.into_iter().map(|(_, s)| s).collect();
        for (file, path) in files.into_iter().zip(&paths) {
            file.commit()
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        if !args.quiet {
            let outlets: u64 = stats.iter().map(|s| s.outlets).sum();
            eprintln!(
                "wrote {n} partials in {} ({outlets} outlets)",
                dir.display()
            );
        }
        return Ok(());
    }
    let Some(path) = &args.out else {
        bail!("give --out FILE (or --split N --out-dir DIR)");
    };
    refuse_input_outputs(&guard, [path.as_path()])?;
    let cannot = || format!("cannot write {}", path.display());
    let mut file = AtomicFile::create(path).with_context(cannot)?;
    if let Some(text) = &args.finish_periods {
        let (i, n) = share(text)?;
        let asked = match &args.period {
            Some(p) => Some(p.parse::<Period>().map_err(anyhow::Error::msg)?),
            None => None,
        };
        // A first pass fixes the period (from the span of every date) unless it is given.
        let period = partial::timeline_period(open(&args.parts)?, asked)?;
        let select = move |label: &str| partial::outlet_bucket(label, n) == i;
        let (_, stats) = partial::finish_periods(open(&args.parts)?, &mut file, period, &select)?;
        file.commit().with_context(cannot)?;
        if !args.quiet {
            eprintln!(
                "wrote {} ({} finished periods by the {period}, {} bytes)",
                path.display(),
                stats.periods,
                stats.bytes
            );
        }
        return Ok(());
    }
    let parts = open(&args.parts)?;
    let (_, stats) = if args.finish_outlets {
        partial::finish_outlets(parts, &mut file)?
    } else {
        partial::merge(parts, &mut file)?
    };
    file.commit().with_context(cannot)?;
    if !args.quiet {
        eprintln!("{}", describe(path, &stats));
    }
    Ok(())
}
