//! `claimtrack score`: label every sentence of every article and write one JSON line per
//! article with its metadata, sentences (role, label, probabilities, hedges) and framing.
//! The engine is [`claimtrack::pipeline`]; this command reads the options, streams the
//! input articles into it and writes the lines.
//!
//! Also holds what `report` shares with it: the framing options, loading the model and the
//! hedge list into a [`Pipeline`], the progress bar, and streaming the inputs' articles.

use super::common::{input_guard, refuse_input_outputs, InputArgs};
use anyhow::{Context, Result};
use claimtrack::atomic::AtomicFile;
use claimtrack::framing::{FramingParams, Hedges};
use claimtrack::model::Model;
use claimtrack::pipeline::{Pipeline, Settings};
use claimtrack::project::Project;
use claimtrack::scored::ScoredArticle;
use indicatif::ProgressBar;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Options of the framing formula shared by `score` and `report`.
#[derive(Debug, Clone, clap::Args)]
pub struct FramingArgs {
    /// Hedge cue list replacing the built-in data/hedges.txt (format: WEIGHT<TAB>CUE per line).
    #[arg(long, value_name = "FILE")]
    pub hedges: Option<PathBuf>,
    /// Seed of the bootstrap intervals (same seed, same intervals).
    #[arg(long, value_name = "N", default_value_t = FramingParams::default().seed)]
    pub seed: u64,
    /// Bootstrap replicates per interval, 10 to 100000 (more is smoother and slower).
    #[arg(long, value_name = "N", default_value_t = FramingParams::default().bootstrap)]
    pub bootstrap: usize,
    /// Coverage of the intervals, between 0 and 1.
    #[arg(long, value_name = "P", default_value_t = FramingParams::default().level)]
    pub level: f64,
    /// Framing settings replacing the shipped data/framing.json: a JSON object with any of
    /// the formula's fields (docs/FRAMING.md); fields not given keep the formula's defaults.
    #[arg(long, value_name = "FILE")]
    pub framing_params: Option<PathBuf>,
}

impl FramingArgs {
    /// Fills the hedge list and framing settings not given on the command line from the
    /// project's.
    pub(crate) fn apply_project(&mut self, project: Option<&Project>) {
        if let Some(p) = project {
            if self.hedges.is_none() {
                self.hedges = project_hedges(p);
            }
            if self.framing_params.is_none() {
                self.framing_params = project_framing(p);
            }
        }
    }

    /// The formula's parameters and hedge list these options ask for.
    pub(crate) fn load(&self) -> Result<(FramingParams, Hedges)> {
        let base = match &self.framing_params {
            Some(p) => super::framing_eval::load_framing_params(Some(p))?,
            None => FramingParams::shipped(),
        };
        let params = FramingParams {
            seed: self.seed,
            bootstrap: self.bootstrap,
            level: self.level,
            ..base
        };
        params
            .validate()
            .context("check --bootstrap (10 to 100000) and --level (between 0 and 1)")?;
        let hedges = load_hedges(self.hedges.as_deref())?;
        Ok((params, hedges))
    }
}

/// The project's hedge list, or `None` when it is, byte for byte, the built-in one (reports
/// then name it as built in, exactly as without a project).
pub(crate) fn project_hedges(p: &Project) -> Option<PathBuf> {
    let same = std::fs::read(&p.hedges)
        .is_ok_and(|b| b == claimtrack::framing::hedge::DEFAULT_HEDGES.as_bytes());
    (!same).then(|| p.hedges.clone())
}

/// The project's framing settings, or `None` when they are, byte for byte, the shipped ones.
pub(crate) fn project_framing(p: &Project) -> Option<PathBuf> {
    let same = std::fs::read(&p.framing)
        .is_ok_and(|b| b == claimtrack::framing::SHIPPED_SETTINGS.as_bytes());
    (!same).then(|| p.framing.clone())
}

/// Loads `--hedges FILE`, or the built-in data/hedges.txt without one.
pub(crate) fn load_hedges(path: Option<&Path>) -> Result<Hedges> {
    Ok(match path {
        None => Hedges::default(),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read the hedge list {}", p.display()))?;
            Hedges::parse(&text, &p.display().to_string())?
        }
    })
}

/// Arguments of `claimtrack score`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
claimtrack score seeds/ > seeds.scores.jsonl            # shipped model, JSONL on stdout\n  \
claimtrack score --model my.json --out part1.jsonl dir1/\n  \
claimtrack report --from-scores part1.jsonl part2.jsonl  # one report from many scoring jobs\n\n\
Each output line is one article: {id, outlet, date, url, title, meta (the other front-matter keys,\n\
only when there are some), model, sentences: [{index, role,\n\
text, label, probs, hedge, hedge_cues}], framing: {score, interval, balance, primacy, headline,\n\
stance_mass, hedge_rate, first_stance}}. probs are keyed by label, as classify writes them:\n\
{\"russian_claim\": p, \"us_denial\": p, \"expert_skepticism\": p, \"context\": p}, calibrated\n\
(docs/MODEL.md). The score runs from -1 (the claim is framed as not credible) to +1\n\
(framed as credible); docs/FRAMING.md defines it.\n\n\
When the model carries a label-sequence decoder (the shipped one does), each article's labels\n\
are decoded together: the line then has \"decoder\": w, a sentence whose decoded label differs\n\
from its most probable one keeps the latter in \"argmax\", and the model field says so. The\n\
probabilities and the framing score are the model's own either way. --no-decode gives the\n\
per-sentence most probable labels.")]
pub struct ScoreArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Model file from `claimtrack train` (default: the project's model, else the model
    /// shipped in the binary).
    #[arg(long, short, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// Write the JSONL to FILE (atomically: complete or not at all) instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub framing: FramingArgs,
    /// Label each sentence by its most probable label, without the model's label-sequence
    /// decoder (probabilities and framing scores are the same either way).
    #[arg(long)]
    pub no_decode: bool,
    /// No progress bar on stderr (it is also hidden when stderr is not a terminal).
    #[arg(long, short)]
    pub quiet: bool,
}

/// The pipeline of `--model FILE` or the shipped default model under the framing settings;
/// `decode` false drops the model's label-sequence decoder, if it has one (with it, the
/// model's description says the labels are decoded).
pub(crate) fn load_pipeline(
    path: Option<&Path>,
    decode: bool,
    framing: FramingParams,
    hedges: Hedges,
    project: Option<&Project>,
) -> Result<Pipeline> {
    let (model, source) = match path {
        Some(p) => (
            Model::load(p).with_context(|| format!("cannot load the model {}", p.display()))?,
            p.display().to_string(),
        ),
        None => (
            Model::default_model().context(
                "no usable built-in model: pass --model FILE (make one with `claimtrack train`)",
            )?,
            "built-in default model".to_string(),
        ),
    };
    let names = super::common::label_names(project, &model)?;
    let settings = Settings {
        decode,
        framing,
        hedges,
        model_source: Some(source),
        // The global pool that --threads set.
        threads: None,
        names,
    };
    Ok(Pipeline::new(model, settings)?)
}

/// Streams the inputs' articles through the pipeline in parallel batches and hands the scored
/// articles, in input order, to `sink`; ingestion warnings go to stderr.
pub(crate) fn score_inputs(
    input: &InputArgs,
    pipeline: &Pipeline,
    bar: &ProgressBar,
    mut sink: impl FnMut(Vec<ScoredArticle>) -> Result<()>,
) -> Result<()> {
    let mut batches = pipeline.score_batches(|batch: Vec<ScoredArticle>| {
        bar.inc(batch.len() as u64);
        sink(batch)
    });
    input.for_each(|a| batches.push(a))?;
    batches.finish()
}

/// Runs the command.
pub fn run(mut args: ScoreArgs, project: Option<&Project>) -> Result<()> {
    if args.model.is_none() {
        args.model = super::common::project_model(project)?;
    }
    args.framing.apply_project(project);
    if let Some(out) = &args.out {
        let guard = input_guard(
            args.input
                .inputs
                .iter()
                .chain(&args.model)
                .chain(&args.framing.hedges)
                .chain(&args.framing.framing_params)
                .map(PathBuf::as_path),
        );
        refuse_input_outputs(&guard, [out.as_path()])?;
    }
    let (params, hedges) = args.framing.load()?;
    let pipeline = load_pipeline(
        args.model.as_deref(),
        !args.no_decode,
        params,
        hedges,
        project,
    )?;
    let bar = super::progress::counter(args.quiet, "articles scored");
    let (mut articles, mut sentences) = (0usize, 0usize);
    let mut write_all = |out: &mut dyn Write, name: &str| -> Result<()> {
        score_inputs(&args.input, &pipeline, &bar, |batch| {
            for a in &batch {
                pipeline
                    .write_scored_line(a, &mut *out)
                    .with_context(|| format!("cannot write {name}"))?;
                articles += 1;
                sentences += a.sentences.len();
            }
            Ok(())
        })
    };
    match &args.out {
        Some(path) => {
            let mut f = AtomicFile::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            write_all(&mut f, &path.display().to_string())?;
            f.commit()
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            write_all(&mut out, "standard output")?;
            out.flush()?;
        }
    }
    bar.finish_and_clear();
    if !args.quiet {
        eprintln!(
            "scored {articles} articles, {sentences} sentences with {}",
            pipeline.model_info().unwrap_or_default()
        );
    }
    Ok(())
}
