//! `claimtrack train`: fit the sentence classifier on gold data and write a model file.
//! Also owns the gold-data and hyper-parameter arguments shared with `evaluate`.

use anyhow::{Context, Result};
use claimtrack::evaluate::{
    fit_with_heads, select_params_observed, FoldScheme, GroupKey, Heads, ParamGrid,
};
use claimtrack::features::FeaturizerParams;
use claimtrack::gold::{self, GoldSet};
use claimtrack::label::LabelNames;
use claimtrack::model::decode::DEFAULT_DECODER_WEIGHTS;
use claimtrack::model::{ClassWeight, DataFile, DecoderParams, ModelParams, Solver};
use claimtrack::project::Project;
use claimtrack::Label;
use std::path::{Path, PathBuf};

/// Where the gold data comes from (shared by `train` and `evaluate`).
#[derive(Debug, Clone, clap::Args)]
pub struct DataArgs {
    /// Gold labels: a .jsonl file or a directory of them. Each line is
    /// {"article","outlet","index","text","label"} (inline) or carries a "hash" instead of
    /// "text" (stand-off labels, joined to the articles given with --articles).
    /// Default: the project's gold folder, else data/gold.
    #[arg(long, value_name = "PATH")]
    pub data: Option<PathBuf>,
    /// Directories of the articles that stand-off labels point to (give several after one
    /// flag, or repeat it). Without it, the project's article folders are used, else the
    /// folders in the CLAIMTRACK_CORPUS environment variable (separated by `:`); with none,
    /// stand-off labels are an error (see --inline-only).
    #[arg(long, value_name = "DIR", num_args = 1..)]
    pub articles: Vec<PathBuf>,
    /// Use only the inline labels (those that carry their text, such as the seeds') and
    /// skip stand-off labels whose articles are not given, instead of stopping.
    #[arg(long)]
    pub inline_only: bool,
    /// The label names of the project (default: the default story's): the gold may write
    /// labels by them, and a trained model records them.
    #[arg(skip)]
    pub names: LabelNames,
}

impl DataArgs {
    /// Fills the gold data and article folders not given on the command line from the
    /// project's (its article folders must then exist).
    pub fn apply_project(&mut self, project: Option<&Project>) -> Result<()> {
        let Some(p) = project else {
            return Ok(());
        };
        self.data.get_or_insert_with(|| p.gold.clone());
        self.names = p.label_names();
        if self.articles.is_empty() && !self.inline_only {
            self.articles = p.article_folders()?;
        }
        Ok(())
    }

    /// The gold data: `--data`, the project's, or data/gold.
    pub fn gold(&self) -> &Path {
        self.data.as_deref().unwrap_or(Path::new("data/gold"))
    }

    /// The article directories: `--articles`, or else those listed in CLAIMTRACK_CORPUS
    /// (`:`-separated), unless --inline-only.
    pub fn article_dirs(&self) -> Vec<PathBuf> {
        if !self.articles.is_empty() || self.inline_only {
            return self.articles.clone();
        }
        match std::env::var_os("CLAIMTRACK_CORPUS") {
            Some(v) => std::env::split_paths(&v)
                .filter(|p| !p.as_os_str().is_empty())
                .collect(),
            None => Vec::new(),
        }
    }

    /// Loads the gold set. Stand-off labels without their articles stop the command (a model
    /// silently trained or measured on the inline labels alone would mislead), unless
    /// --inline-only, which skips them with a note.
    pub fn load(&self) -> Result<GoldSet> {
        let dirs = self.article_dirs();
        let refs: Vec<&std::path::Path> = dirs.iter().map(PathBuf::as_path).collect();
        let set = gold::load_named(self.gold(), &refs, &self.names)
            .with_context(|| format!("cannot load gold data from {}", self.gold().display()))?;
        if set.skipped_standoff > 0 {
            if !self.inline_only {
                anyhow::bail!(
                    "{} stand-off label(s) in {} point to articles that were not given: pass the \
                     folders that hold them with --articles DIR... (for this repository's gold: \
                     --articles ../shared/corpus ../shared/corpus2) or set CLAIMTRACK_CORPUS to \
                     them, separated by `:`; to use only the {} inline label(s), pass --inline-only",
                    set.skipped_standoff,
                    set.skipped_files.join(", "),
                    set.examples.len()
                );
            }
            eprintln!(
                "note: --inline-only: skipped {} stand-off label(s) in {}; using {} inline label(s)",
                set.skipped_standoff,
                set.skipped_files.join(", "),
                set.examples.len()
            );
        }
        Ok(set)
    }
}

/// `none` or `balanced` on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ClassWeightArg {
    /// Every sentence counts once.
    None,
    /// Rare labels weigh more, so each label counts as much in total.
    Balanced,
}

impl From<ClassWeightArg> for ClassWeight {
    fn from(c: ClassWeightArg) -> Self {
        match c {
            ClassWeightArg::None => ClassWeight::None,
            ClassWeightArg::Balanced => ClassWeight::Balanced,
        }
    }
}

/// `sparse` or `linfa` on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SolverArg {
    /// L-BFGS on the sparse matrix (fast, reports convergence).
    Sparse,
    /// linfa-logistic on a dense copy (reference; small data only).
    Linfa,
}

/// Model hyper-parameters (shared by `train` and `evaluate`). Unset options keep the
/// defaults chosen by nested cross-validation (docs/MODEL.md).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ModelArgs {
    /// L2 strength on the weights (about 1/C in scikit-learn). Larger = simpler model.
    #[arg(long, value_name = "A", help_heading = "Model")]
    pub alpha: Option<f64>,
    /// Class weighting: `balanced` makes rare labels count as much as `context`.
    #[arg(long, value_enum, value_name = "W", help_heading = "Model")]
    pub class_weight: Option<ClassWeightArg>,
    /// Keep only terms found in at least N training sentences.
    #[arg(long, value_name = "N", help_heading = "Model")]
    pub min_df: Option<usize>,
    /// Keep at most N terms (the most frequent).
    #[arg(long, value_name = "N", help_heading = "Model")]
    pub max_features: Option<usize>,
    /// Longest word n-gram: 1, 2 or 3.
    #[arg(long, value_name = "N", help_heading = "Model")]
    pub ngram_max: Option<usize>,
    /// Do not stem words (by default English Snowball stems are used).
    #[arg(long, help_heading = "Model")]
    pub no_stem: bool,
    /// Cue lexicon (CLASS<TAB>PHRASE lines; see data/cues.tsv, the built-in default). Each
    /// phrase match becomes the feature `cue:CLASS`; the lexicon is stored in the model.
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Model",
        conflicts_with = "no_cues"
    )]
    pub cues: Option<PathBuf>,
    /// No cue-lexicon features (word n-grams only).
    #[arg(long, help_heading = "Model")]
    pub no_cues: bool,
    /// Add neighbour features: the previous and next sentences' cue classes (off by default:
    /// they did not help on the development outlets, see docs/MODEL.md).
    #[arg(long, help_heading = "Model", conflicts_with = "no_cues")]
    pub neighbours: bool,
    /// Factor on cue and neighbour features against words (1 = same footing).
    #[arg(long, value_name = "F", help_heading = "Model")]
    pub cue_weight: Option<f64>,
    /// Add character 3- to 5-grams of each word as a block of L2 norm W beside the word and
    /// cue features (which keep norm 1): 0 = none (the default), 0.5 = half the word
    /// features' weight. Each word (lowercased, not stemmed) padded with a space at each end
    /// gives its 3-, 4- and 5-letter pieces (`said`: ` sa`, `sai`, `aid`, `id `, ` sai`, ...),
    /// so unseen spellings and inflections (`sceptics`, `doubting`) still share features.
    #[arg(long, value_name = "W", help_heading = "Model")]
    pub char_ngrams: Option<f64>,
    /// Keep only character n-grams found in at least N training sentences (default 2).
    #[arg(long, value_name = "N", help_heading = "Model")]
    pub char_min_df: Option<usize>,
    /// Most optimizer iterations.
    #[arg(long, value_name = "N", help_heading = "Model")]
    pub max_iterations: Option<u64>,
    /// Convergence threshold on the gradient norm of the mean loss.
    #[arg(long, value_name = "T", help_heading = "Model")]
    pub tolerance: Option<f64>,
    /// Optimizer: `sparse` (default) or `linfa` (the dense reference; small data only).
    #[arg(long, value_enum, value_name = "S", help_heading = "Model")]
    pub solver: Option<SolverArg>,
    /// Fail instead of warning when the optimizer does not converge.
    #[arg(long, help_heading = "Model")]
    pub require_convergence: bool,
}

impl ModelArgs {
    /// Fills the cue lexicon not given on the command line (nor turned off with --no-cues)
    /// from the project's.
    pub fn apply_project(&mut self, project: Option<&Project>) {
        if let (Some(p), false) = (project, self.no_cues) {
            self.cues.get_or_insert_with(|| p.cues.clone());
        }
    }

    /// The training settings: defaults overridden by the options given.
    pub fn params(&self) -> Result<ModelParams> {
        let d = ModelParams::default();
        let fd = FeaturizerParams::default();
        let cues = if self.no_cues {
            Vec::new()
        } else if let Some(path) = &self.cues {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the cue lexicon {}", path.display()))?;
            claimtrack::features::cues::parse(&text, &path.display().to_string())
                .context("fix the cue lexicon (format: see data/cues.tsv)")?
        } else {
            fd.cues.clone()
        };
        let neighbours = (fd.neighbours || self.neighbours) && !cues.is_empty();
        let char_weight = self.char_ngrams.unwrap_or(fd.char_weight);
        Ok(ModelParams {
            alpha: self.alpha.unwrap_or(d.alpha),
            class_weight: self.class_weight.map(Into::into).unwrap_or(d.class_weight),
            max_iterations: self.max_iterations.unwrap_or(d.max_iterations),
            tolerance: self.tolerance.unwrap_or(d.tolerance),
            solver: match self.solver {
                Some(SolverArg::Linfa) => Solver::Linfa,
                Some(SolverArg::Sparse) => Solver::Sparse,
                None => d.solver,
            },
            require_convergence: self.require_convergence,
            featurizer: FeaturizerParams {
                min_df: self.min_df.unwrap_or(fd.min_df),
                max_features: self.max_features.or(fd.max_features),
                ngram_max: self.ngram_max.unwrap_or(fd.ngram_max),
                stem: !self.no_stem && fd.stem,
                cues,
                neighbours,
                cue_weight: self.cue_weight.unwrap_or(fd.cue_weight),
                char_weight,
                // Without character n-grams the setting is moot: the default keeps the
                // model file's bytes those of a model without the option.
                char_min_df: match self.char_min_df {
                    Some(n) if char_weight > 0.0 => n,
                    _ => fd.char_min_df,
                },
                ..fd
            },
            ..d
        })
    }
}

/// Label-sequence decoder options (shared by `train` and `evaluate`).
#[derive(Debug, Clone, clap::Args)]
pub struct DecodeArgs {
    /// No label-sequence decoder: `train` writes a model without one, `evaluate` measures
    /// the per-sentence argmax only (and runs about six times faster).
    #[arg(long, help_heading = "Decoder")]
    pub no_decode: bool,
    /// Candidate decoder weights w (comma-separated, 0 to 100): the one with the best
    /// macro-F1 under an inner cross-validation by article inside the training data is kept.
    #[arg(long, value_name = "LIST", value_delimiter = ',', default_values_t = DEFAULT_DECODER_WEIGHTS.to_vec(), help_heading = "Decoder")]
    pub decode_weights: Vec<f64>,
    /// Folds (of whole articles) of that inner cross-validation.
    #[arg(long, value_name = "K", default_value_t = DecoderParams::default().inner_folds, help_heading = "Decoder")]
    pub decode_folds: usize,
    /// No probability calibration: `train` writes a model whose probabilities are the
    /// logistic model's own, `evaluate` measures those. By default a temperature is fitted on
    /// out-of-fold predictions inside the training data (the decoder's inner folds, or 5 folds
    /// by article with --no-decode), so that a probability of 0.8 is right about 80% of the
    /// time on outlets the model has not seen; labels do not change.
    #[arg(long, help_heading = "Calibration")]
    pub no_calibrate: bool,
}

impl DecodeArgs {
    /// The decoder settings asked for (`None` with --no-decode), checked.
    pub fn params(&self) -> Result<Option<DecoderParams>> {
        if self.no_decode {
            return Ok(None);
        }
        let p = DecoderParams {
            weights: self.decode_weights.clone(),
            inner_folds: self.decode_folds,
        };
        p.validate()
            .context("check --decode-weights (0 to 100) and --decode-folds (at least 2)")?;
        Ok(Some(p))
    }

    /// What to fit on top of the logistic model: the decoder (unless --no-decode) and the
    /// calibration (unless --no-calibrate).
    pub fn heads(&self) -> Result<Heads> {
        Ok(Heads {
            decoder: self.params()?,
            calibrate: !self.no_calibrate,
        })
    }
}

/// Arguments of `claimtrack train`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
claimtrack train --articles ../shared/corpus ../shared/corpus2 --out models/mine.json\n  \
claimtrack train --articles ../shared/corpus ../shared/corpus2 --update-default   # the shipped model\n  \
claimtrack train --data my-labels.jsonl --out models/mine.json --alpha 0.5\n  \
claimtrack train --data data/gold --tune --out models/tuned.json\n  \
claimtrack train --data data/gold --no-decode --out models/argmax.json   # no label-sequence decoder\n\n\
By default the model carries a label-sequence decoder: label-transition scores from the gold\n\
articles and their weight w, chosen by an inner cross-validation by article over\n\
--decode-weights (docs/MODEL.md). `score`, `report` and `classify` use it unless given\n\
--no-decode.\n\n\
The model file records the settings, the SHA-256 of every gold file and article used, the\n\
label counts and whether the optimizer converged. The same data and settings always give a\n\
byte-identical file. Check a model before shipping it with `claimtrack evaluate`.")]
pub struct TrainArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Where to write the model (written atomically). Required, unless --update-default.
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Replace the shipped model, models/default.json (the model built into the binary at
    /// the next build), instead of writing to --out.
    #[arg(long, conflicts_with = "out")]
    pub update_default: bool,
    /// Choose alpha and class weighting by grouped cross-validation (5 folds of whole
    /// articles) over a small grid before training; the chosen values are printed.
    #[arg(long)]
    pub tune: bool,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub decode: DecodeArgs,
}

/// Runs the command.
pub fn run(mut args: TrainArgs, project: Option<&Project>) -> Result<()> {
    let out = match (&args.out, args.update_default) {
        (Some(p), _) => p.clone(),
        (None, true) => project
            .map(|p| p.model.clone())
            .unwrap_or_else(|| PathBuf::from("models/default.json")),
        (None, false) => anyhow::bail!(
            "say where to write the model: --out FILE (or --update-default to replace the shipped models/default.json)"
        ),
    };
    args.data.apply_project(project)?;
    args.model.apply_project(project);
    let gold_path = args.data.gold().to_path_buf();
    let guard = super::common::input_guard(
        [&gold_path]
            .into_iter()
            .chain(&args.data.articles)
            .chain(&args.model.cues)
            .map(PathBuf::as_path),
    );
    super::common::refuse_input_outputs(&guard, [out.as_path()])?;
    let set = args.data.load()?;
    let mut params = args.model.params()?;
    params.validate().context("invalid training settings")?;
    let heads = args.decode.heads()?;
    if args.tune {
        let grid = ParamGrid::default();
        let scheme = FoldScheme::GroupKFold {
            key: GroupKey::Article,
            k: 5,
        };
        let bar = super::progress::bar(false, "models (candidates x folds)");
        let on = super::progress::observer(&bar);
        let sel =
            select_params_observed(&set.examples, &grid.candidates(&params), scheme, Some(&on))
                .with_context(|| {
                    format!(
                        "hyper-parameter search on {} failed",
                        args.data.gold().display()
                    )
                })?;
        bar.finish_and_clear();
        eprintln!("tuning by {}:", sel.scheme);
        for s in &sel.scores {
            eprintln!(
                "  alpha={:<5} class_weight={:<8} macro-F1 {:.3}",
                s.alpha,
                format!("{:?}", s.class_weight).to_lowercase(),
                s.macro_f1
            );
        }
        eprintln!(
            "chosen: alpha={} class_weight={:?}",
            sel.best.alpha, sel.best.class_weight
        );
        params = sel.best;
    }
    let files: Vec<DataFile> = set
        .files
        .iter()
        .map(|(path, sha256)| DataFile {
            path: path.clone(),
            sha256: sha256.clone(),
        })
        .collect();
    let model = fit_with_heads(&set.examples, &params, &heads)
        .with_context(|| format!("training on {} failed", args.data.gold().display()))?
        .with_data_files(files, set.articles.clone())
        .with_names(&args.data.names);
    if let Some(d) = model.decoder() {
        let scores: Vec<String> = d
            .selection
            .scores
            .iter()
            .map(|s| format!("w={} {:.3}", s.weight, s.macro_f1))
            .collect();
        eprintln!(
            "label-sequence decoder: w={} chosen by {} (macro-F1: {})",
            d.weight,
            d.selection.scheme,
            if scores.is_empty() {
                "-".to_string()
            } else {
                scores.join(", ")
            }
        );
    }
    if let Some(c) = model.calibration() {
        eprintln!(
            "calibration: temperature T={:.4} fitted on {} {} (log-loss {:.4} -> {:.4})",
            c.temperature, c.examples, c.scheme, c.log_loss_before, c.log_loss_after
        );
    }
    let t = model.training();
    if !t.convergence.converged {
        eprintln!(
            "warning: {}; the model was written anyway (raise --max-iterations or --alpha, or pass --require-convergence to fail)",
            t.convergence
        );
    }
    model
        .save(&out)
        .with_context(|| format!("cannot write the model to {}", out.display()))?;
    let counts: Vec<String> = Label::ALL
        .iter()
        .map(|l| {
            format!(
                "{} {}",
                args.data.names.name(*l),
                t.label_counts.get(l).copied().unwrap_or(0)
            )
        })
        .collect();
    eprintln!(
        "trained on {} sentences from {} articles ({}); {} features; {}",
        t.examples,
        t.articles,
        counts.join(", "),
        model.featurizer().n_features(),
        t.convergence
    );
    eprintln!("wrote {}", out.display());
    Ok(())
}
