//! `claimtrack score`: label every sentence of every article and write one JSON line per
//! article with its metadata, sentences (role, label, probabilities, hedges) and framing.
//!
//! Also holds what `report` shares with it: loading the model and hedge list, the framing
//! options, the progress bar, and scoring articles in parallel batches.

use super::common::{input_guard, refuse_input_outputs, InputArgs};
use anyhow::{Context, Result};
use claimtrack::article::Article;
use claimtrack::atomic::AtomicFile;
use claimtrack::clean::Cleaner;
use claimtrack::framing::{FramingParams, Hedges};
use claimtrack::model::Model;
use claimtrack::scored::{ArticleMeta, ScoredArticle, PRECEDENCE};
use claimtrack::split::article_sentences;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Articles scored together in one parallel batch (bounds memory on huge inputs).
pub(crate) const BATCH: usize = 256;

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
stance_mass, hedge_rate, first_stance}}. probs are in the order russian_claim, us_denial,\n\
expert_skepticism, context. The score runs from -1 (the claim is framed as not credible) to +1\n\
(framed as credible); docs/FRAMING.md defines it.\n\n\
When the model carries a label-sequence decoder (the shipped one does), each article's labels\n\
are decoded together: the line then has \"decoder\": w, a sentence whose decoded label differs\n\
from its most probable one keeps the latter in \"argmax\", and the model field says so. The\n\
probabilities and the framing score are the model's own either way. --no-decode gives the\n\
per-sentence most probable labels.")]
pub struct ScoreArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Model file from `claimtrack train` (default: the model shipped in the binary).
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

/// A loaded model with the one-line description reports carry. Its label-sequence decoder,
/// if it has one, decodes every article's labels.
pub(crate) struct LoadedModel {
    pub model: Model,
    pub info: String,
}

/// Loads `--model FILE` or the shipped default model; `decode` false drops its
/// label-sequence decoder, if it has one (with it, the description says the labels are
/// decoded).
pub(crate) fn load_model(path: Option<&Path>, decode: bool) -> Result<LoadedModel> {
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
    // The fingerprint is that of what labels the sentences: without --no-decode the whole
    // model, with it the model without its decoder (the same bytes as a model trained without
    // one, so the outputs are those of the decoder-less model, byte for byte).
    let model = if decode {
        model
    } else {
        model.with_decoder(None)
    };
    let json = model
        .to_json_string()
        .context("cannot fingerprint the model")?;
    let hash: String = Sha256::digest(json.as_bytes())
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect();
    let t = model.training();
    let decoded = model
        .decoder()
        .map(|d| format!("; labels decoded, w={}", d.weight))
        .unwrap_or_default();
    let info = format!(
        "{source} (sha256 {hash}, trained on {} sentences from {} articles{decoded})",
        t.examples, t.articles
    );
    Ok(LoadedModel { model, info })
}

/// A progress counter on stderr, hidden with `--quiet` or when stderr is not a terminal.
pub(crate) fn progress(quiet: bool, what: &'static str) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {pos} {msg} ({per_sec}, {elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(what);
    bar
}

/// Scores one article: sentences, probabilities, hedges and framing.
pub(crate) fn score_article(
    article: &Article,
    cleaner: &Cleaner,
    model: &LoadedModel,
    params: &FramingParams,
    hedges: &Hedges,
) -> Result<ScoredArticle> {
    let (sentences, _) = article_sentences(article, cleaner);
    let texts: Vec<&str> = sentences.iter().map(|s| s.text.as_str()).collect();
    let probs = model.model.predict_article(&texts);
    let meta = ArticleMeta {
        id: article.id.clone(),
        outlet: article.outlet.clone(),
        date: article.date.clone(),
        url: article.url.clone(),
        title: article.title.clone(),
        meta: article.meta.clone(),
    };
    let scored = ScoredArticle::new(
        meta,
        &sentences,
        &probs,
        Some(model.info.clone()),
        params,
        hedges,
    )
    .with_context(|| format!("cannot score the article from {}", article.source))?;
    Ok(match model.model.decoder() {
        Some(d) => {
            // The probabilities as scored (checked and normalised), ties as the argmax's.
            let probs: Vec<[f64; 4]> = scored.sentences.iter().map(|s| s.probs).collect();
            let labels = d.decode(&probs, &PRECEDENCE);
            scored.with_decoded_labels(&labels, d.weight)
        }
        None => scored,
    })
}

/// Streams the inputs' articles in batches, scores each batch in parallel and hands the scored
/// articles, in input order, to `sink`.
pub(crate) fn score_inputs(
    input: &InputArgs,
    model: &LoadedModel,
    params: &FramingParams,
    hedges: &Hedges,
    bar: &ProgressBar,
    mut sink: impl FnMut(Vec<ScoredArticle>) -> Result<()>,
) -> Result<()> {
    let cleaner = Cleaner::default();
    let mut batch: Vec<Article> = Vec::with_capacity(BATCH);
    let mut flush = |batch: &mut Vec<Article>| -> Result<()> {
        let scored: Vec<ScoredArticle> = batch
            .par_iter()
            .map(|a| score_article(a, &cleaner, model, params, hedges))
            .collect::<Result<_>>()?;
        bar.inc(scored.len() as u64);
        batch.clear();
        sink(scored)
    };
    input.for_each(|a| {
        batch.push(a);
        if batch.len() >= BATCH {
            flush(&mut batch)?;
        }
        Ok(())
    })?;
    flush(&mut batch)
}

/// Runs the command.
pub fn run(args: ScoreArgs) -> Result<()> {
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
    let model = load_model(args.model.as_deref(), !args.no_decode)?;
    let bar = progress(args.quiet, "articles scored");
    let (mut articles, mut sentences) = (0usize, 0usize);
    let mut write_all = |out: &mut dyn Write, name: &str| -> Result<()> {
        score_inputs(&args.input, &model, &params, &hedges, &bar, |batch| {
            for a in &batch {
                out.write_all(a.to_json_line().as_bytes())
                    .and_then(|()| out.write_all(b"\n"))
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
            model.info
        );
    }
    Ok(())
}
