//! The sentence classifier: a multinomial logistic regression over TF-IDF features.
//!
//! This module owns the step "feature vector -> label with probabilities": training
//! ([`ModelParams::fit`]), prediction ([`Model::predict_proba`], [`Model::predict_article`]),
//! explanations ([`Model::explain`]) and the model file ([`Model::save`], [`Model::load`],
//! the embedded [`Model::default_model`]). How the weights are found lives in `train`; the
//! file format in `file`; the optional label-sequence decoder a model may carry
//! ([`Model::decoder`]) in [`decode`]; the optional probability calibration
//! ([`Model::calibration`]) in [`calibrate`].
//!
//! Inference never builds a dense matrix: a sentence's score for class `c` is
//! `b[c] + sum_j x_j * W[j, c]` over its non-zero features, followed by a softmax.

pub mod calibrate;
pub mod decode;
mod file;
mod train;

pub use calibrate::{fit_temperature, Calibration};
pub use decode::{Decoder, DecoderParams, Transitions};
pub use file::{embedded_checksum_verified, embedded_default_json, FORMAT_VERSION};

use crate::features::{FeatureError, Featurizer, FeaturizerParams, SparseVec};
use crate::gold::Example;
use crate::label::{Label, LabelNames};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use train::{Csr, SparseProblem, K};

/// Largest magnitude of a weight or intercept that a model file may hold (and that
/// [`Model::save`] writes).
///
/// The shipped model's largest is about 6.4; with the L2 penalty the weights stay in the
/// tens. Only a (nearly) unregularized fit of separable data goes much further (alpha 0 on
/// the gold data gave 2.3e5): beyond this bound a weight carries no information a smaller
/// one would not, and sums of such numbers head for infinity. A file over it is refused on
/// load, a trained model over it on save (raise alpha).
pub const MAX_WEIGHT: f64 = 1e6;

/// How training examples are weighted per class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassWeight {
    /// Every sentence counts once.
    #[default]
    None,
    /// Each class weighs `n / (classes * n_class)`, as scikit-learn's `class_weight="balanced"`:
    /// rare labels count as much in total as the dominant `context`.
    Balanced,
}

/// Which optimizer fits the weights (both minimize the same objective).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Solver {
    /// L-BFGS (claimtrack's own) on the sparse matrix: fast, memory `O(non-zeros)`, reports convergence.
    #[default]
    Sparse,
    /// linfa-logistic's `MultiLogisticRegression` on a dense copy of the matrix: the reference
    /// implementation. Refuses inputs whose dense matrix would exceed `max_dense_bytes`, and
    /// supports no class weights.
    Linfa,
}

/// Training settings: the estimator's parameters, checked into a fitted [`Model`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelParams {
    /// L2 strength on the weights (not the intercepts); about `1 / C` in scikit-learn terms.
    pub alpha: f64,
    /// Most optimizer iterations.
    pub max_iterations: u64,
    /// Convergence threshold on the L2 norm of the gradient of the *mean* loss (the summed
    /// loss's gradient divided by the total sample weight), so it does not depend on how
    /// many sentences there are.
    pub tolerance: f64,
    /// Per-class weighting of examples.
    pub class_weight: ClassWeight,
    /// Optimizer.
    pub solver: Solver,
    /// Fail instead of returning a model when the optimizer did not converge.
    pub require_convergence: bool,
    /// Largest dense matrix, in bytes, the [`Solver::Linfa`] path may allocate.
    pub max_dense_bytes: u64,
    /// Featurizer settings.
    pub featurizer: FeaturizerParams,
}

impl Default for ModelParams {
    fn default() -> Self {
        // alpha and class weighting chosen by grouped cross-validation on the gold data
        // (docs/MODEL.md).
        ModelParams {
            alpha: 0.1,
            max_iterations: 1000,
            // At least as strict as scikit-learn's default stop (max |gradient| of the mean
            // loss <= 1e-4), since the L2 norm bounds every component.
            tolerance: 1e-4,
            class_weight: ClassWeight::Balanced,
            solver: Solver::Sparse,
            require_convergence: false,
            max_dense_bytes: 1 << 30,
            featurizer: FeaturizerParams::default(),
        }
    }
}

/// Error while training, loading or saving a model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A training setting is out of range.
    #[error("invalid training setting: {0}")]
    InvalidParams(String),
    /// Featurizer settings or stored featurizer data are invalid.
    #[error(transparent)]
    Features(#[from] FeatureError),
    /// Nothing to train on.
    #[error("no training examples")]
    NoExamples,
    /// Training data has fewer than two distinct labels.
    #[error("training data has only {found} distinct label(s); at least 2 are needed")]
    TooFewClasses {
        /// Number of distinct labels found.
        found: usize,
    },
    /// The dense matrix for the linfa solver would be too large.
    #[error("the dense {rows} x {cols} matrix for the linfa solver needs {bytes} bytes, over the limit of {limit}; use the sparse solver")]
    DenseTooLarge {
        /// Rows (sentences).
        rows: usize,
        /// Columns (features).
        cols: usize,
        /// Bytes needed.
        bytes: u64,
        /// Allowed bytes.
        limit: u64,
    },
    /// The optimizer failed or panicked.
    #[error("training failed: {0}")]
    Optimizer(String),
    /// The optimizer stopped before reaching the tolerance (only with `require_convergence`).
    #[error("training did not converge: {0}; raise max_iterations or alpha")]
    NotConverged(Convergence),
    /// Reading or writing a model file failed.
    #[error("{}: {source}", crate::escape::controls(&path.to_string_lossy()))]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A model file is not valid JSON of the expected shape.
    #[error("model file is not valid: {0}")]
    Parse(String),
    /// A model file was written by a newer claimtrack.
    #[error("model file format version {found} is newer than this claimtrack supports (up to {supported}); upgrade claimtrack")]
    UnsupportedVersion {
        /// Version in the file.
        found: u64,
        /// Newest version this build reads.
        supported: u64,
    },
    /// The stored checksum does not match the content.
    #[error("model checksum mismatch (stored {stored}, computed {computed}): the file was edited or damaged; retrain or restore it")]
    Checksum {
        /// Checksum in the file.
        stored: String,
        /// Checksum of the content.
        computed: String,
    },
    /// Stored arrays do not fit together.
    #[error("model file has inconsistent shapes: {0}")]
    Shape(String),
    /// A number in the model is not finite or outside its documented range
    /// (docs/MODEL.md, "Model file").
    #[error("model has an out-of-range number: {0}")]
    OutOfRange(String),
    /// The model has no vocabulary term: every sentence would get the same probabilities.
    #[error("model has an empty vocabulary (no term to recognise), so it would give every sentence the same label; train it on sentences with words")]
    EmptyVocabulary,
    /// No default model was embedded at build time.
    #[error("this build of claimtrack has no embedded default model (models/default.json was missing at build time); pass --model FILE or train one with `claimtrack train`")]
    NoDefaultModel,
    /// An error inside a named file.
    #[error("{}: {source}", crate::escape::controls(&path.to_string_lossy()))]
    InFile {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: Box<ModelError>,
    },
}

/// How the optimizer finished.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Convergence {
    /// Whether the mean-loss gradient norm reached the tolerance.
    pub converged: bool,
    /// Iterations run (`None` for the linfa solver, which does not report them).
    pub iterations: Option<u64>,
    /// Final objective value (summed loss plus penalty).
    pub loss: f64,
    /// Final L2 norm of the mean-loss gradient.
    pub gradient_norm: f64,
    /// The tolerance it was compared with.
    pub tolerance: f64,
    /// Why the optimizer stopped (the sparse solver adds how many loss-and-gradient
    /// evaluations it made).
    pub reason: String,
}

impl std::fmt::Display for Convergence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} after {} iterations (mean-loss gradient norm {:.3e}, tolerance {:.1e}; {})",
            if self.converged {
                "converged"
            } else {
                "not converged"
            },
            self.iterations
                .map(|i| i.to_string())
                .unwrap_or_else(|| "?".into()),
            self.gradient_norm,
            self.tolerance,
            self.reason
        )
    }
}

/// A training data file and its SHA-256, recorded in the model for provenance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataFile {
    /// Path as given by the caller (relative paths keep models reproducible across machines).
    pub path: String,
    /// Hex SHA-256 of the file's bytes.
    pub sha256: String,
}

/// What a model was trained on and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingInfo {
    /// claimtrack version that trained the model.
    pub tool_version: String,
    /// Number of training sentences.
    pub examples: usize,
    /// Number of distinct articles.
    pub articles: usize,
    /// Sentences per label.
    pub label_counts: BTreeMap<Label, usize>,
    /// Training settings.
    pub params: ModelParams,
    /// Optimizer outcome.
    pub convergence: Convergence,
    /// Data files (filled by the caller with [`Model::with_data_files`]).
    pub data_files: Vec<DataFile>,
    /// Articles that stand-off labels were joined to: article id -> SHA-256 of the article
    /// file (filled by the caller with [`Model::with_data_files`]).
    pub articles_sha256: BTreeMap<String, String>,
}

/// One term's contribution to a decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TermContribution {
    /// The feature's term (stemmed n-gram).
    pub term: String,
    /// Its TF-IDF value in the sentence.
    pub value: f64,
    /// The model weight for the explained label.
    pub weight: f64,
    /// `value * weight`: positive pushes toward the label, negative away from it.
    pub contribution: f64,
}

/// Why the model chose a label for a sentence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// The predicted label.
    pub label: Label,
    /// Probabilities in [`Label::ALL`] order.
    pub probs: [f64; 4],
    /// The label's intercept (its score with no known term).
    pub intercept: f64,
    /// Terms pushing toward the label, strongest first.
    pub toward: Vec<TermContribution>,
    /// Terms pushing away from the label, strongest first.
    pub against: Vec<TermContribution>,
}

/// A fitted classifier: featurizer, weights and provenance.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    featurizer: Featurizer,
    /// One row of [`Label::ALL`]-ordered weights per feature.
    weights: Vec<[f64; 4]>,
    intercepts: [f64; 4],
    /// Labels seen in training; the others get probability 0.
    active: [bool; 4],
    training: TrainingInfo,
    /// The label-sequence decoder, when the model was trained with one.
    decoder: Option<Decoder>,
    /// The probability calibration, when the model was trained with one.
    calibration: Option<Calibration>,
    /// The claim project's label names and claim, when they are not the default story's.
    names: Option<LabelNames>,
}

impl ModelParams {
    /// Checks that the settings are usable.
    pub fn validate(&self) -> Result<(), ModelError> {
        if !self.alpha.is_finite() || self.alpha < 0.0 {
            return Err(ModelError::InvalidParams(format!(
                "alpha must be a finite number >= 0 (got {})",
                self.alpha
            )));
        }
        if !self.tolerance.is_finite() || self.tolerance <= 0.0 {
            return Err(ModelError::InvalidParams(format!(
                "tolerance must be a finite number > 0 (got {})",
                self.tolerance
            )));
        }
        if self.max_iterations == 0 {
            return Err(ModelError::InvalidParams(
                "max_iterations must be at least 1".into(),
            ));
        }
        if self.solver == Solver::Linfa && self.class_weight != ClassWeight::None {
            return Err(ModelError::InvalidParams(
                "the linfa solver has no class weights; use the sparse solver".into(),
            ));
        }
        self.featurizer.validate()?;
        Ok(())
    }

    /// The featurizer fitted on `examples` and their feature rows, in the examples' order:
    /// exactly the matrix [`ModelParams::fit`] trains on (for comparisons with other tools).
    pub fn design_matrix(&self, examples: &[Example]) -> (Featurizer, Vec<SparseVec>) {
        let refs: Vec<&Example> = examples.iter().collect();
        let (featurizer, xt) = self.design_by_feature(&refs);
        let x = xt.transpose();
        let rows = (0..x.n_rows())
            .map(|i| SparseVec(x.row_entries(i).collect()))
            .collect();
        (featurizer, rows)
    }

    /// The featurizer fitted on `examples` and the matrix training uses, stored by feature
    /// (see [`featurize_by_feature`]).
    fn design_by_feature(&self, examples: &[&Example]) -> (Featurizer, Csr) {
        let groups = article_groups(examples);
        let articles: Vec<Vec<&str>> = groups
            .iter()
            .map(|idxs| idxs.iter().map(|&i| examples[i].text.as_str()).collect())
            .collect();
        let featurizer = self.featurizer.fit_articles(&articles);
        drop(articles);
        let xt = featurize_by_feature(&featurizer, examples, &groups);
        (featurizer, xt)
    }

    /// Trains a model on labelled sentences. Deterministic: the same examples (in the same
    /// order) and settings give the same model, bit for bit.
    pub fn fit(&self, examples: &[Example]) -> Result<Model, ModelError> {
        let refs: Vec<&Example> = examples.iter().collect();
        self.fit_refs(&refs)
    }

    /// [`ModelParams::fit`] on examples given by reference (a subset of a larger set needs
    /// no copy): the same model, bit for bit, as `fit` on the same examples in the same order.
    pub fn fit_refs(&self, examples: &[&Example]) -> Result<Model, ModelError> {
        self.fit_refs_from(examples, None)
    }

    /// [`ModelParams::fit_refs`] with the optimizer started from `start`'s weights instead of
    /// zero (the sparse solver only; the linfa solver ignores it): each term of the new
    /// vocabulary starts at `start`'s weights for the same term (zero for a term `start` does
    /// not know), the intercepts at `start`'s (centred over the labels present), labels absent
    /// from `examples` at zero. The optimum is the same; a model fitted on much the same
    /// sentences (the inner cross-validation's folds are 80% of the final model's) gets there
    /// in far fewer iterations. Deterministic for a given `start`.
    pub fn fit_refs_from(
        &self,
        examples: &[&Example],
        start: Option<&Model>,
    ) -> Result<Model, ModelError> {
        self.validate()?;
        if examples.is_empty() {
            return Err(ModelError::NoExamples);
        }
        if u32::try_from(examples.len()).is_err() {
            return Err(ModelError::InvalidParams(format!(
                "{} training sentences: at most {} can be trained on at once",
                examples.len(),
                u32::MAX
            )));
        }
        let mut counts = [0usize; K];
        for e in examples {
            counts[e.label.index()] += 1;
        }
        let found = counts.iter().filter(|&&c| c > 0).count();
        if found < 2 {
            return Err(ModelError::TooFewClasses { found });
        }
        let (featurizer, xt) = self.design_by_feature(examples);
        let y: Vec<usize> = examples.iter().map(|e| e.label.index()).collect();
        let sample_weight: Vec<f64> = match self.class_weight {
            ClassWeight::None => vec![1.0; examples.len()],
            ClassWeight::Balanced => {
                let n = examples.len() as f64;
                y.iter()
                    .map(|&c| n / (found as f64 * counts[c] as f64))
                    .collect()
            }
        };
        let weight_sum: f64 = sample_weight.iter().sum();
        let problem = SparseProblem::new(&xt, &y, &sample_weight, self.alpha);
        let active = problem.active();
        let (params, convergence) = match self.solver {
            Solver::Sparse => {
                let x0 = start.map(|m| warm_start(m, &featurizer, active));
                let sol = train::minimize(
                    &problem,
                    self.max_iterations,
                    self.tolerance * weight_sum,
                    x0,
                )
                .map_err(ModelError::Optimizer)?;
                let gn = sol.gradient_norm / weight_sum;
                let conv = Convergence {
                    converged: gn <= self.tolerance,
                    iterations: Some(sol.iterations),
                    loss: sol.loss,
                    gradient_norm: gn,
                    tolerance: self.tolerance,
                    reason: sol.reason,
                };
                (sol.params, conv)
            }
            Solver::Linfa => {
                let params = fit_linfa(self, &xt, &y, active)?;
                let (loss, grad) = problem.loss_grad(&params);
                let gn = grad.iter().map(|g| g * g).sum::<f64>().sqrt() / weight_sum;
                let conv = Convergence {
                    converged: gn <= self.tolerance,
                    iterations: None,
                    loss,
                    gradient_norm: gn,
                    tolerance: self.tolerance,
                    reason: "linfa-logistic finished (it does not say why)".into(),
                };
                (params, conv)
            }
        };
        // The matrix is not needed past the fit: free it before the model is assembled.
        drop(xt);
        if self.require_convergence && !convergence.converged {
            return Err(ModelError::NotConverged(convergence));
        }
        let f = featurizer.n_features();
        let weights: Vec<[f64; 4]> = (0..f)
            .map(|j| {
                let mut r = [0.0; 4];
                r.copy_from_slice(&params[j * K..j * K + K]);
                r
            })
            .collect();
        let mut intercepts = [0.0; 4];
        intercepts.copy_from_slice(&params[f * K..f * K + K]);
        let mut articles: Vec<&str> = examples.iter().map(|e| e.article.as_str()).collect();
        articles.sort_unstable();
        articles.dedup();
        let training = TrainingInfo {
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            examples: examples.len(),
            articles: articles.len(),
            label_counts: Label::ALL.iter().map(|l| (*l, counts[l.index()])).collect(),
            params: self.clone(),
            convergence,
            data_files: Vec::new(),
            articles_sha256: BTreeMap::new(),
        };
        Ok(Model {
            featurizer,
            weights,
            intercepts,
            active,
            training,
            decoder: None,
            calibration: None,
            names: None,
        })
    }
}

/// The starting parameters (layout of `train`: a row of K weights per feature of
/// `featurizer`, then the intercepts) taken from `model`: each term's weights matched by
/// term (both vocabularies are sorted, so one merge pass), zero for an unknown term; the
/// intercepts centred over the `active` labels; inactive labels' columns zero (their gradient
/// is zero, so they would stay where they start).
fn warm_start(model: &Model, featurizer: &Featurizer, active: [bool; K]) -> Vec<f64> {
    let f = featurizer.n_features();
    let mut x = vec![0.0; (f + 1) * K];
    let old = model.featurizer().vocabulary();
    let mut p = 0;
    for (j, term) in featurizer.vocabulary().iter().enumerate() {
        while p < old.len() && old[p].as_str() < term.as_str() {
            p += 1;
        }
        if p < old.len() && old[p] == *term {
            if let Some(w) = model.weights.get(p) {
                x[j * K..j * K + K].copy_from_slice(w);
            }
        }
    }
    x[f * K..].copy_from_slice(&model.intercepts);
    let n_active = active.iter().filter(|&&a| a).count().max(1) as f64;
    let mean: f64 = (0..K)
        .filter(|&k| active[k])
        .map(|k| model.intercepts[k])
        .sum::<f64>()
        / n_active;
    for (k, &on) in active.iter().enumerate() {
        if on {
            x[f * K + k] -= mean;
        }
    }
    for (i, v) in x.iter_mut().enumerate() {
        if !active[i % K] {
            *v = 0.0;
        }
    }
    x
}

/// Positions of the examples grouped by article (articles sorted by id), each group in
/// sentence order: the unit that neighbour-aware feature groups look at.
fn article_groups(examples: &[&Example]) -> Vec<Vec<usize>> {
    let mut by_article: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, e) in examples.iter().enumerate() {
        by_article.entry(e.article.as_str()).or_default().push(i);
    }
    by_article
        .into_values()
        .map(|mut idxs| {
            idxs.sort_by_key(|&i| (examples[i].index, i));
            idxs
        })
        .collect()
}

/// One article's feature rows: all entries, and where each row ends.
type ArticleRows = (Vec<(usize, f64)>, Vec<usize>);

/// Articles featurized in parallel per batch: bounds the rows held outside the matrix.
const FEATURIZE_BATCH: usize = 256;

/// The feature rows of `examples`, featurized article by article (see [`article_groups`])
/// so each sentence sees its neighbours, stored by feature: row `j` lists the examples
/// holding feature `j`, in the examples' order, with their values. The matrix is allocated
/// once at its size and no row is held twice (beyond one batch of articles): each feature's
/// number of examples is its document frequency, read back from the idf the featurizer was
/// fitted with on these examples (see [`counts_from_idf`]); should a feature's rows not
/// match that count exactly, a counting pass over the examples gives the counts and the
/// matrix is filled again. The result is the same either way.
fn featurize_by_feature(
    featurizer: &Featurizer,
    examples: &[&Example],
    groups: &[Vec<usize>],
) -> Csr {
    if let Some(counts) = counts_from_idf(featurizer, examples.len()) {
        if let Some(xt) = fill_by_feature(featurizer, examples, groups, &counts) {
            return xt;
        }
    }
    let counts = count_by_feature(featurizer, examples, groups);
    fill_by_feature(featurizer, examples, groups, &counts)
        .expect("the same featurizer gives the same rows in both passes")
}

/// Each feature's document frequency over `n_texts` sentences, inverted from its smoothed
/// idf `ln((1 + n) / (1 + df)) + 1` (rounded to the nearest integer: the rounding error of
/// the idf is far below one sentence); `None` if some idf does not give a count in `0..=n`.
/// Only a first guess: [`fill_by_feature`] checks every count.
fn counts_from_idf(featurizer: &Featurizer, n_texts: usize) -> Option<Vec<usize>> {
    let n = n_texts as f64;
    featurizer
        .idf()
        .iter()
        .map(|&idf| {
            let df = ((1.0 + n) / (idf - 1.0).exp() - 1.0).round();
            (df.is_finite() && (0.0..=n).contains(&df)).then_some(df as usize)
        })
        .collect()
}

/// Each feature's number of examples, by featurizing them (articles in parallel).
fn count_by_feature(
    featurizer: &Featurizer,
    examples: &[&Example],
    groups: &[Vec<usize>],
) -> Vec<usize> {
    let f = featurizer.n_features();
    let texts =
        |idxs: &[usize]| -> Vec<&str> { idxs.iter().map(|&i| examples[i].text.as_str()).collect() };
    groups
        .par_iter()
        .fold(
            || vec![0usize; f],
            |mut c, idxs| {
                featurizer.for_each_row(&texts(idxs), |row| {
                    for &(j, _) in row {
                        c[j] += 1;
                    }
                });
                c
            },
        )
        .reduce(
            || vec![0usize; f],
            |mut a, b| {
                for (x, y) in a.iter_mut().zip(b) {
                    *x += y;
                }
                a
            },
        )
}

/// The matrix by feature with room for `counts[j]` examples in row `j`, filled by
/// featurizing the examples (articles in parallel per batch); `None` unless every row
/// receives exactly its count.
fn fill_by_feature(
    featurizer: &Featurizer,
    examples: &[&Example],
    groups: &[Vec<usize>],
    counts: &[usize],
) -> Option<Csr> {
    let f = featurizer.n_features();
    let texts =
        |idxs: &[usize]| -> Vec<&str> { idxs.iter().map(|&i| examples[i].text.as_str()).collect() };
    let mut xt = Csr::with_row_counts(counts, examples.len());
    let mut next = xt.indptr[..f].to_vec();
    let mut fits = true;
    for batch in groups.chunks(FEATURIZE_BATCH) {
        // Articles of a batch in parallel: each article's rows as entries and row ends.
        let parts: Vec<ArticleRows> = batch
            .par_iter()
            .map(|idxs| {
                let (mut entries, mut ends) = (Vec::new(), Vec::with_capacity(idxs.len()));
                featurizer.for_each_row(&texts(idxs), |row| {
                    entries.extend_from_slice(row);
                    ends.push(entries.len());
                });
                (entries, ends)
            })
            .collect();
        for (idxs, (entries, ends)) in batch.iter().zip(parts) {
            let mut start = 0;
            for (&i, &end) in idxs.iter().zip(&ends) {
                for &(j, v) in &entries[start..end] {
                    fits &= xt.fill(&mut next, j, i as u32, v);
                }
                start = end;
            }
        }
        if !fits {
            return None;
        }
    }
    if next.iter().zip(&xt.indptr[1..]).any(|(p, end)| p != end) {
        return None;
    }
    // Articles came in id order: put each feature's examples back in the examples' order.
    xt.sort_rows();
    Some(xt)
}

/// Fits linfa-logistic's `MultiLogisticRegression` on a dense copy and returns parameters in
/// the sparse trainer's layout.
fn fit_linfa(
    params: &ModelParams,
    xt: &Csr,
    y: &[usize],
    active: [bool; K],
) -> Result<Vec<f64>, ModelError> {
    use linfa::traits::Fit;
    let n = y.len();
    let n_features = xt.n_rows();
    let bytes = (n as u64)
        .saturating_mul(n_features as u64)
        .saturating_mul(8);
    if bytes > params.max_dense_bytes {
        return Err(ModelError::DenseTooLarge {
            rows: n,
            cols: n_features,
            bytes,
            limit: params.max_dense_bytes,
        });
    }
    let mut x = ndarray::Array2::<f64>::zeros((n, n_features));
    for j in 0..n_features {
        for (i, v) in xt.row_entries(j) {
            x[[i, j]] = v;
        }
    }
    let targets = ndarray::Array1::from(y.to_vec());
    let dataset = linfa::Dataset::new(x, targets);
    let weight_sum = n as f64;
    let est = linfa_logistic::MultiLogisticRegression::default()
        .alpha(params.alpha)
        .max_iterations(params.max_iterations)
        .gradient_tolerance(params.tolerance * weight_sum);
    let fitted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| est.fit(&dataset)))
        .map_err(|_| ModelError::Optimizer("linfa-logistic panicked".into()))?
        .map_err(|e| ModelError::Optimizer(format!("linfa-logistic: {e}")))?;
    // linfa's columns are the classes present, sorted; map them onto the four labels.
    let classes = fitted.classes().to_vec();
    let present: Vec<usize> = (0..K).filter(|&k| active[k]).collect();
    if classes != present {
        return Err(ModelError::Optimizer(format!(
            "linfa-logistic returned classes {classes:?}, expected {present:?}"
        )));
    }
    let mut out = vec![0.0; (n_features + 1) * K];
    for (col, &k) in classes.iter().enumerate() {
        for j in 0..n_features {
            out[j * K + k] = fitted.params()[[j, col]];
        }
        out[n_features * K + k] = fitted.intercept()[col];
    }
    // Softmax ignores a constant added to all classes, so the unpenalized intercepts are
    // defined only up to that constant. Both solvers start at zero and only ever step along
    // gradients whose class components sum to zero, so both stay on the zero-sum solution.
    Ok(out)
}

impl Model {
    /// The featurizer (vocabulary, idf, settings).
    pub fn featurizer(&self) -> &Featurizer {
        &self.featurizer
    }

    /// The weight rows, one per feature, columns in [`Label::ALL`] order.
    pub fn weights(&self) -> &[[f64; 4]] {
        &self.weights
    }

    /// The intercepts in [`Label::ALL`] order.
    pub fn intercepts(&self) -> [f64; 4] {
        self.intercepts
    }

    /// Labels present in the training data (others always get probability 0).
    pub fn active_labels(&self) -> Vec<Label> {
        Label::ALL
            .iter()
            .copied()
            .filter(|l| self.active[l.index()])
            .collect()
    }

    /// Training provenance and optimizer outcome.
    pub fn training(&self) -> &TrainingInfo {
        &self.training
    }

    /// Records the data files and the article files the model was trained on (stored in
    /// the model file for provenance).
    pub fn with_data_files(
        mut self,
        files: Vec<DataFile>,
        articles_sha256: BTreeMap<String, String>,
    ) -> Model {
        self.training.data_files = files;
        self.training.articles_sha256 = articles_sha256;
        self
    }

    /// The label names and claim the model was trained under (`None`: the default story's,
    /// or a model file from before models recorded them).
    pub fn names(&self) -> Option<&LabelNames> {
        self.names.as_ref()
    }

    /// The model with the claim project's label names recorded (stored in the model file);
    /// the default story's names ([`LabelNames::is_default`]) record nothing, so its model
    /// file stays as it was.
    pub fn with_names(mut self, names: &LabelNames) -> Model {
        self.names = (!names.is_default()).then(|| names.clone());
        self
    }

    /// The label-sequence decoder the model carries (`None`: trained without one, or a model
    /// file from before decoders existed; labels are then the per-sentence argmax).
    pub fn decoder(&self) -> Option<&Decoder> {
        self.decoder.as_ref()
    }

    /// The model with `decoder` attached (or removed with `None`); stored in the model file.
    pub fn with_decoder(mut self, decoder: Option<Decoder>) -> Model {
        self.decoder = decoder;
        self
    }

    /// The probability calibration the model carries (`None`: trained without one, or a model
    /// file from before calibration existed; probabilities are then the logistic model's own).
    pub fn calibration(&self) -> Option<&Calibration> {
        self.calibration.as_ref()
    }

    /// The model with `calibration` attached (or removed with `None`); stored in the model
    /// file. Every probability the model gives from then on is calibrated.
    pub fn with_calibration(mut self, calibration: Option<Calibration>) -> Model {
        self.calibration = calibration;
        self
    }

    /// Probabilities of a feature vector, in [`Label::ALL`] order (calibrated when the model
    /// carries a calibration).
    pub fn predict_proba_features(&self, x: &SparseVec) -> [f64; 4] {
        self.predict_row(&x.0)
    }

    /// Probabilities of a feature vector given as its `(index, value)` pairs: the softmax of
    /// the scores, divided by the calibration's temperature when there is one.
    fn predict_row(&self, x: &[(usize, f64)]) -> [f64; 4] {
        let mut z = self.scores(x);
        if let Some(c) = &self.calibration {
            let inv = 1.0 / c.temperature;
            for v in &mut z {
                *v *= inv;
            }
        }
        train::softmax_masked(&z, &self.active)
    }

    /// The uncalibrated probabilities of a feature row (the logistic model's own softmax).
    fn predict_row_uncalibrated(&self, x: &[(usize, f64)]) -> [f64; 4] {
        train::softmax_masked(&self.scores(x), &self.active)
    }

    /// The linear scores `b + x W` of a feature row.
    fn scores(&self, x: &[(usize, f64)]) -> [f64; 4] {
        let mut z = self.intercepts;
        for &(j, v) in x {
            if let Some(row) = self.weights.get(j) {
                for k in 0..K {
                    z[k] += v * row[k];
                }
            }
        }
        z
    }

    /// The logistic model's own probabilities of each sentence of one article, before any
    /// calibration (what a calibration is fitted on; equal to [`Model::predict_article`] for
    /// a model without one).
    pub fn predict_article_uncalibrated(&self, texts: &[&str]) -> Vec<[f64; 4]> {
        let mut out = Vec::with_capacity(texts.len());
        self.featurizer
            .for_each_row(texts, |row| out.push(self.predict_row_uncalibrated(row)));
        out
    }

    /// Probabilities of one sentence, in [`Label::ALL`] order.
    pub fn predict_proba(&self, text: &str) -> [f64; 4] {
        self.predict_proba_features(&self.featurizer.transform(text))
    }

    /// Probabilities of each sentence of one article, given in order.
    pub fn predict_article(&self, texts: &[&str]) -> Vec<[f64; 4]> {
        let mut out = Vec::with_capacity(texts.len());
        self.featurizer
            .for_each_row(texts, |row| out.push(self.predict_row(row)));
        out
    }

    /// The most probable label of one sentence.
    pub fn predict(&self, text: &str) -> Label {
        argmax_label(&self.predict_proba(text))
    }

    /// The predicted label of a sentence with the `k` terms that push most toward it and the
    /// `k` that push most against it (contribution = weight x TF-IDF value; with the L2
    /// penalty each feature's weights sum to zero over the labels, so a weight is already
    /// relative to the other labels).
    pub fn explain(&self, text: &str, k: usize) -> Explanation {
        let x = self.featurizer.transform(text);
        let probs = self.predict_proba_features(&x);
        let label = argmax_label(&probs);
        let c = label.index();
        let mut contribs: Vec<TermContribution> = x
            .iter()
            .filter_map(|&(j, v)| {
                let w = self.weights.get(j)?[c];
                Some(TermContribution {
                    term: self.featurizer.term(j)?.to_string(),
                    value: v,
                    weight: w,
                    contribution: v * w,
                })
            })
            .collect();
        contribs.sort_by(|a, b| {
            b.contribution
                .total_cmp(&a.contribution)
                .then_with(|| a.term.cmp(&b.term))
        });
        let toward: Vec<_> = contribs
            .iter()
            .filter(|t| t.contribution > 0.0)
            .take(k)
            .cloned()
            .collect();
        let against: Vec<_> = contribs
            .iter()
            .rev()
            .filter(|t| t.contribution < 0.0)
            .take(k)
            .cloned()
            .collect();
        Explanation {
            label,
            probs,
            intercept: self.intercepts[c],
            toward,
            against,
        }
    }
}

/// The label with the highest probability (ties go to the earlier label in [`Label::ALL`]).
pub fn argmax_label(probs: &[f64; 4]) -> Label {
    let mut best = 0;
    for k in 1..K {
        if probs[k] > probs[best] {
            best = k;
        }
    }
    Label::ALL[best]
}

#[cfg(test)]
mod tests;
