//! Measuring models on gold data: metrics, grouped cross-validation, a majority-class
//! baseline, train/test evaluation, nested cross-validation, learning curves, per-group and
//! per-role scores, and text/JSON reports. Also choosing settings by grouped CV inside
//! training data: alpha and class weighting ([`select_params`]) and the label-sequence
//! decoder's weight ([`fit_decoder`]).
//!
//! Folds are always grouped (by article by default): outlets syndicate the same wire text, so
//! a random split would put near-copies on both sides. Metrics are pooled over the
//! out-of-fold predictions, as scikit-learn's `cross_val_predict` + `classification_report`
//! do. Folds run in parallel with rayon; results are collected in fold order, and training
//! is deterministic, so reports do not depend on the number of threads.

use crate::gold::Example;
use crate::label::{Label, LabelNames};
use crate::model::decode::{viterbi, WeightScore, WeightSelection};
use crate::model::{
    argmax_label, fit_temperature, Calibration, ClassWeight, Decoder, DecoderParams, Model,
    ModelError, ModelParams, Transitions,
};
use crate::reliability::ProbabilityMetrics;
use crate::sentence::Role;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;

pub mod framing;

/// Error while evaluating.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// No examples to evaluate.
    #[error("no examples to evaluate")]
    NoExamples,
    /// Too few groups for the requested folds.
    #[error("{found} distinct {key} value(s) cannot make {needed} grouped folds")]
    TooFewGroups {
        /// Grouping key.
        key: GroupKey,
        /// Distinct groups found.
        found: usize,
        /// Folds needed.
        needed: usize,
    },
    /// An empty hyper-parameter grid.
    #[error("the hyper-parameter grid is empty")]
    EmptyGrid,
    /// Training failed on one fold.
    #[error("fold `{fold}`: {source}")]
    Fold {
        /// The fold's name (held-out group).
        fold: String,
        /// What failed.
        source: ModelError,
    },
    /// Training failed outside a fold (train/test evaluation).
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A learning-curve fraction is not in (0, 1].
    #[error("learning-curve fraction {0} is not in (0, 1]")]
    BadFraction(f64),
}

/// Precision, recall, F1 and support of one label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelMetrics {
    /// The label.
    pub label: Label,
    /// Correct predictions of the label / all predictions of it (0 when never predicted).
    pub precision: f64,
    /// Correct predictions of the label / gold sentences with it (0 when none).
    pub recall: f64,
    /// Harmonic mean of precision and recall (0 when both are 0).
    pub f1: f64,
    /// Gold sentences with the label.
    pub support: usize,
}

/// Classification metrics over a set of predictions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// One entry per label, in [`Label::ALL`] order.
    pub per_label: Vec<LabelMetrics>,
    /// Unweighted mean F1 over the labels that occur in the gold or the predictions (as
    /// scikit-learn's `average="macro"`).
    pub macro_f1: f64,
    /// Unweighted mean precision over the same labels.
    pub macro_precision: f64,
    /// Unweighted mean recall over the same labels.
    pub macro_recall: f64,
    /// Support-weighted mean F1.
    pub weighted_f1: f64,
    /// Share of correct predictions.
    pub accuracy: f64,
    /// Number of predictions.
    pub support: usize,
    /// `confusion[gold][predicted]`, indices in [`Label::ALL`] order.
    pub confusion: [[usize; 4]; 4],
}

impl Metrics {
    /// Metrics of predictions against gold labels (equal lengths; extra items are ignored).
    pub fn from_predictions(gold: &[Label], predicted: &[Label]) -> Metrics {
        let mut confusion = [[0usize; 4]; 4];
        for (g, p) in gold.iter().zip(predicted) {
            confusion[g.index()][p.index()] += 1;
        }
        Metrics::from_confusion(confusion)
    }

    /// Metrics from a confusion matrix (`confusion[gold][predicted]`).
    pub fn from_confusion(confusion: [[usize; 4]; 4]) -> Metrics {
        let total: usize = confusion.iter().flatten().sum();
        let correct: usize = (0..4).map(|k| confusion[k][k]).sum();
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let mut per_label = Vec::with_capacity(4);
        let (mut sp, mut sr, mut sf, mut used, mut wf) = (0.0, 0.0, 0.0, 0usize, 0.0);
        for l in Label::ALL {
            let k = l.index();
            let tp = confusion[k][k];
            let support: usize = confusion[k].iter().sum();
            let predicted: usize = (0..4).map(|g| confusion[g][k]).sum();
            let precision = ratio(tp, predicted);
            let recall = ratio(tp, support);
            let f1 = if precision + recall > 0.0 {
                2.0 * precision * recall / (precision + recall)
            } else {
                0.0
            };
            if support > 0 || predicted > 0 {
                sp += precision;
                sr += recall;
                sf += f1;
                used += 1;
            }
            wf += f1 * support as f64;
            per_label.push(LabelMetrics {
                label: l,
                precision,
                recall,
                f1,
                support,
            });
        }
        let mean = |s: f64| if used == 0 { 0.0 } else { s / used as f64 };
        Metrics {
            per_label,
            macro_f1: mean(sf),
            macro_precision: mean(sp),
            macro_recall: mean(sr),
            weighted_f1: if total == 0 { 0.0 } else { wf / total as f64 },
            accuracy: ratio(correct, total),
            support: total,
            confusion,
        }
    }

    /// A table like scikit-learn's `classification_report`, plus the confusion matrix.
    pub fn to_text(&self) -> String {
        self.to_text_named(&LabelNames::default())
    }

    /// [`Metrics::to_text`] with the labels under `names` (the first column widens for
    /// names longer than the default story's).
    pub fn to_text_named(&self, names: &LabelNames) -> String {
        let w = name_width(names, 18);
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:>w$} {:>9} {:>9} {:>9} {:>9}",
            "", "precision", "recall", "f1-score", "support"
        );
        for m in &self.per_label {
            let _ = writeln!(
                s,
                "{:>w$} {:>9.3} {:>9.3} {:>9.3} {:>9}",
                names.name(m.label),
                m.precision,
                m.recall,
                m.f1,
                m.support
            );
        }
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "{:>w$} {:>9} {:>9} {:>9.3} {:>9}",
            "accuracy", "", "", self.accuracy, self.support
        );
        let _ = writeln!(
            s,
            "{:>w$} {:>9.3} {:>9.3} {:>9.3} {:>9}",
            "macro avg", self.macro_precision, self.macro_recall, self.macro_f1, self.support
        );
        let _ = writeln!(
            s,
            "{:>w$} {:>9} {:>9} {:>9.3} {:>9}",
            "weighted avg", "", "", self.weighted_f1, self.support
        );
        let _ = writeln!(s);
        let _ = writeln!(s, "confusion matrix (rows: gold, columns: predicted)");
        let _ = writeln!(
            s,
            "{:>w$} {:>9} {:>9} {:>9} {:>9}",
            "", "claim", "denial", "skeptic", "context"
        );
        for l in Label::ALL {
            let row = &self.confusion[l.index()];
            let _ = writeln!(
                s,
                "{:>w$} {:>9} {:>9} {:>9} {:>9}",
                names.name(l),
                row[0],
                row[1],
                row[2],
                row[3]
            );
        }
        s
    }
}

/// The key that groups sentences into folds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupKey {
    /// Group by article: syndicated copies of one text stay on one side.
    Article,
    /// Group by outlet: measures how the model does on an outlet it has never seen.
    Outlet,
}

impl GroupKey {
    /// The example's group value.
    pub fn of<'a>(&self, e: &'a Example) -> &'a str {
        match self {
            GroupKey::Article => &e.article,
            GroupKey::Outlet => &e.outlet,
        }
    }
}

impl std::fmt::Display for GroupKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            GroupKey::Article => "article",
            GroupKey::Outlet => "outlet",
        })
    }
}

/// How examples are split into folds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FoldScheme {
    /// One fold per group value (leave-one-article-out, leave-one-outlet-out).
    LeaveOneGroupOut(GroupKey),
    /// `k` folds of whole groups, balanced by size (scikit-learn's `GroupKFold`).
    GroupKFold {
        /// Grouping key.
        key: GroupKey,
        /// Number of folds.
        k: usize,
    },
}

impl FoldScheme {
    /// The grouping key.
    pub fn key(&self) -> GroupKey {
        match self {
            FoldScheme::LeaveOneGroupOut(k) => *k,
            FoldScheme::GroupKFold { key, .. } => *key,
        }
    }

    /// A short description ("leave-one-article-out", "5 grouped folds by outlet").
    pub fn describe(&self) -> String {
        match self {
            FoldScheme::LeaveOneGroupOut(k) => format!("leave-one-{k}-out"),
            FoldScheme::GroupKFold { key, k } => format!("{k} grouped folds by {key}"),
        }
    }
}

/// One fold: a name and the indices of its held-out examples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fold {
    /// The held-out group (leave-one-out) or `fold N`.
    pub name: String,
    /// Indices of held-out examples, ascending.
    pub test: Vec<usize>,
}

impl Fold {
    /// Indices of training examples (everything not held out), ascending.
    pub fn train(&self, n: usize) -> Vec<usize> {
        let mut held = vec![false; n];
        for &i in &self.test {
            held[i] = true;
        }
        (0..n).filter(|&i| !held[i]).collect()
    }
}

/// Splits examples into grouped folds, deterministically (groups in name order).
pub fn make_folds(examples: &[Example], scheme: FoldScheme) -> Result<Vec<Fold>, EvalError> {
    if examples.is_empty() {
        return Err(EvalError::NoExamples);
    }
    let key = scheme.key();
    let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, e) in examples.iter().enumerate() {
        groups.entry(key.of(e)).or_default().push(i);
    }
    match scheme {
        FoldScheme::LeaveOneGroupOut(_) => {
            if groups.len() < 2 {
                return Err(EvalError::TooFewGroups {
                    key,
                    found: groups.len(),
                    needed: 2,
                });
            }
            Ok(groups
                .into_iter()
                .map(|(g, test)| Fold {
                    name: g.to_string(),
                    test,
                })
                .collect())
        }
        FoldScheme::GroupKFold { k, .. } => {
            if k < 2 || groups.len() < k {
                return Err(EvalError::TooFewGroups {
                    key,
                    found: groups.len(),
                    needed: k.max(2),
                });
            }
            // Largest groups first, each into the currently smallest fold.
            let mut order: Vec<(&str, Vec<usize>)> = groups.into_iter().collect();
            order.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(b.0)));
            let mut folds: Vec<Vec<usize>> = vec![Vec::new(); k];
            for (_, idx) in order {
                let f = (0..k).min_by_key(|&f| (folds[f].len(), f)).unwrap_or(0);
                folds[f].extend(idx);
            }
            Ok(folds
                .into_iter()
                .enumerate()
                .map(|(f, mut test)| {
                    test.sort_unstable();
                    Fold {
                        name: format!("fold {}", f + 1),
                        test,
                    }
                })
                .collect())
        }
    }
}

/// The most frequent label (ties go to the earlier label in [`Label::ALL`]).
pub fn majority_label(examples: &[&Example]) -> Label {
    let mut counts = [0usize; 4];
    for e in examples {
        counts[e.label.index()] += 1;
    }
    let mut best = 0;
    for k in 1..4 {
        if counts[k] > counts[best] {
            best = k;
        }
    }
    Label::ALL[best]
}

/// An out-of-fold prediction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// Position of the example in the evaluated list.
    pub example: usize,
    /// The fold that held it out.
    pub fold: String,
    /// Gold label.
    pub gold: Label,
    /// Predicted label (the per-sentence argmax of the probabilities).
    pub predicted: Label,
    /// The label the fold's label-sequence decoder chose, when decoding was evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decoded: Option<Label>,
    /// Probabilities in [`Label::ALL`] order (calibrated when the fold's model was).
    pub probs: [f64; 4],
    /// The logistic model's own probabilities before calibration, when the fold's model
    /// carries a calibration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncalibrated: Option<[f64; 4]>,
}

/// Summary of one fold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldSummary {
    /// The fold's name.
    pub name: String,
    /// Held-out sentences.
    pub test_size: usize,
    /// Accuracy on the fold.
    pub accuracy: f64,
    /// Whether training converged.
    pub converged: bool,
    /// Hyper-parameters used (chosen by the inner CV in nested mode).
    pub alpha: f64,
    /// Class weighting used.
    pub class_weight: ClassWeight,
    /// The decoder weight the fold's inner cross-validation chose, when decoding was
    /// evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decoder_weight: Option<f64>,
    /// The calibration temperature the fold's inner cross-validation fitted, when
    /// calibration was evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
}

/// A small hyper-parameter grid for nested CV and tuning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamGrid {
    /// L2 strengths to try.
    pub alphas: Vec<f64>,
    /// Class weightings to try.
    pub class_weights: Vec<ClassWeight>,
}

impl Default for ParamGrid {
    fn default() -> Self {
        ParamGrid {
            alphas: vec![0.03, 0.1, 0.3, 1.0],
            class_weights: vec![ClassWeight::None, ClassWeight::Balanced],
        }
    }
}

impl ParamGrid {
    /// Every combination applied to `base`, alphas outermost.
    pub fn candidates(&self, base: &ModelParams) -> Vec<ModelParams> {
        let mut out = Vec::new();
        for &alpha in &self.alphas {
            for &cw in &self.class_weights {
                out.push(ModelParams {
                    alpha,
                    class_weight: cw,
                    ..base.clone()
                });
            }
        }
        out
    }
}

/// Grouped-CV score of one candidate during selection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateScore {
    /// L2 strength.
    pub alpha: f64,
    /// Class weighting.
    pub class_weight: ClassWeight,
    /// Pooled out-of-fold macro-F1.
    pub macro_f1: f64,
}

/// Result of choosing hyper-parameters by grouped CV.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    /// How the data was split for selection.
    pub scheme: String,
    /// Every candidate's score, in grid order.
    pub scores: Vec<CandidateScore>,
    /// The chosen settings (best macro-F1; ties go to the earlier candidate, i.e. the smaller
    /// alpha, unweighted first).
    pub best: ModelParams,
}

/// A cross-validation (or train/test) report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvReport {
    /// What was measured ("leave-one-article-out", "train/test", ...).
    pub scheme: String,
    /// Number of folds.
    pub folds: usize,
    /// Number of evaluated sentences.
    pub examples: usize,
    /// Settings used (in nested mode: the base settings; see `fold_summaries`).
    pub params: ModelParams,
    /// Pooled out-of-fold metrics of the model (per-sentence argmax labels).
    pub model: Metrics,
    /// Pooled out-of-fold metrics of the same models' decoded labels (each fold's decoder
    /// weight chosen inside its training part), when decoding was evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decoded: Option<Metrics>,
    /// How the decoder weight was chosen in each fold, when decoding was evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decoder: Option<DecoderParams>,
    /// Pooled metrics of the majority-class baseline on the same folds.
    pub baseline: Metrics,
    /// How well the held-out probabilities match frequencies (log-loss, Brier, ECE).
    pub probabilities: ProbabilityMetrics,
    /// The same for the probabilities before calibration, when the folds' models were
    /// calibrated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncalibrated_probabilities: Option<ProbabilityMetrics>,
    /// Per-fold summaries.
    pub fold_summaries: Vec<FoldSummary>,
    /// Folds whose training did not converge.
    pub non_converged: usize,
    /// In nested mode, the inner scheme and grid.
    pub nested: Option<NestedInfo>,
    /// Every out-of-fold prediction, in example order.
    pub predictions: Vec<Prediction>,
}

/// Scores of one group (outlet or article) of held-out sentences: where the model fails.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupScore {
    /// The outlet or article.
    pub group: String,
    /// Held-out sentences of the group.
    pub sentences: usize,
    /// Share predicted correctly.
    pub accuracy: f64,
    /// Macro-F1 over the labels present in the group's gold or predictions.
    pub macro_f1: f64,
    /// The most frequent error as (gold, predicted, count), if any.
    pub top_error: Option<(Label, Label, usize)>,
}

/// Per-group scores of a report's predictions (worst accuracy first, then by name), for
/// error analysis: which outlets or articles the model gets wrong, and how.
pub fn per_group(examples: &[Example], report: &CvReport, key: GroupKey) -> Vec<GroupScore> {
    let mut groups: BTreeMap<&str, (Vec<Label>, Vec<Label>)> = BTreeMap::new();
    for p in &report.predictions {
        let Some(e) = examples.get(p.example) else {
            continue;
        };
        let g = groups.entry(key.of(e)).or_default();
        g.0.push(p.gold);
        g.1.push(p.predicted);
    }
    let mut out: Vec<GroupScore> = groups
        .into_iter()
        .map(|(name, (gold, pred))| {
            let m = Metrics::from_predictions(&gold, &pred);
            let mut top: Option<(Label, Label, usize)> = None;
            for g in Label::ALL {
                for q in Label::ALL {
                    let n = m.confusion[g.index()][q.index()];
                    if g != q && n > 0 && top.map_or(true, |t| n > t.2) {
                        top = Some((g, q, n));
                    }
                }
            }
            GroupScore {
                group: name.to_string(),
                sentences: gold.len(),
                accuracy: m.accuracy,
                macro_f1: m.macro_f1,
                top_error: top,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        a.accuracy
            .total_cmp(&b.accuracy)
            .then_with(|| a.group.cmp(&b.group))
    });
    out
}

/// The width of a column of label names: `min`, or the longest name when longer.
fn name_width(names: &LabelNames, min: usize) -> usize {
    names
        .names()
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(0)
        .max(min)
}

/// A table of [`GroupScore`]s.
pub fn groups_to_text(key: GroupKey, groups: &[GroupScore]) -> String {
    groups_to_text_named(key, groups, &LabelNames::default())
}

/// [`groups_to_text`] with the labels under `names`.
pub fn groups_to_text_named(key: GroupKey, groups: &[GroupScore], names: &LabelNames) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "per {key} (worst first): sentences, accuracy, macro-F1, most frequent error"
    );
    for g in groups {
        let err = match g.top_error {
            Some((gold, pred, n)) => format!("{} -> {} x{n}", names.name(gold), names.name(pred)),
            None => "-".to_string(),
        };
        let _ = writeln!(
            s,
            "  {:<40} {:>4} {:>6.3} {:>6.3}  {}",
            g.group, g.sentences, g.accuracy, g.macro_f1, err
        );
    }
    s
}

/// How hyper-parameters were chosen inside each outer fold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NestedInfo {
    /// Inner split used on each outer training part.
    pub inner: String,
    /// The grid.
    pub grid: ParamGrid,
}

struct FoldOutcome {
    preds: Vec<Prediction>,
    baseline: Label,
    summary: FoldSummary,
}

/// Trains on the fold's training part (with a decoder chosen inside that part when `decoder`
/// is given) and predicts its held-out part.
fn run_fold(
    examples: &[Example],
    fold: &Fold,
    params: &ModelParams,
    heads: &Heads,
) -> Result<FoldOutcome, EvalError> {
    let train_idx = fold.train(examples.len());
    let train: Vec<Example> = train_idx.iter().map(|&i| examples[i].clone()).collect();
    let model = fit_with_heads(&train, params, heads).map_err(|e| in_fold(&fold.name, e))?;
    let train_refs: Vec<&Example> = train.iter().collect();
    let baseline = majority_label(&train_refs);
    let preds = predict_examples(&model, examples, &fold.test, &fold.name);
    let correct = preds.iter().filter(|p| p.gold == p.predicted).count();
    Ok(FoldOutcome {
        summary: FoldSummary {
            name: fold.name.clone(),
            test_size: fold.test.len(),
            accuracy: correct as f64 / fold.test.len().max(1) as f64,
            converged: model.training().convergence.converged,
            alpha: params.alpha,
            class_weight: params.class_weight,
            decoder_weight: model.decoder().map(|d| d.weight),
            temperature: model.calibration().map(|c| c.temperature),
        },
        preds,
        baseline,
    })
}

/// An error of a fold, named `fold` (an inner fold's name is appended to it).
fn in_fold(fold: &str, e: EvalError) -> EvalError {
    match e {
        EvalError::Fold {
            fold: inner,
            source,
        } => EvalError::Fold {
            fold: format!("{fold} / {inner}"),
            source,
        },
        EvalError::Model(source) => EvalError::Fold {
            fold: fold.to_string(),
            source,
        },
        other => other,
    }
}

/// The positions `idx` grouped by article (articles by id), each article's in sentence order.
fn article_runs(examples: &[Example], idx: &[usize]) -> Vec<Vec<usize>> {
    let mut by_article: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for &i in idx {
        by_article
            .entry(examples[i].article.as_str())
            .or_default()
            .push(i);
    }
    by_article
        .into_values()
        .map(|mut ids| {
            ids.sort_by_key(|&i| (examples[i].index, i));
            ids
        })
        .collect()
}

/// Predicts held-out examples article by article (so neighbour features see neighbours, and
/// the model's decoder, if any, decodes whole articles).
fn predict_examples(
    model: &Model,
    examples: &[Example],
    idx: &[usize],
    fold: &str,
) -> Vec<Prediction> {
    let mut out = Vec::with_capacity(idx.len());
    for ids in article_runs(examples, idx) {
        let texts: Vec<&str> = ids.iter().map(|&i| examples[i].text.as_str()).collect();
        let probs = model.predict_article(&texts);
        let uncalibrated = model
            .calibration()
            .map(|_| model.predict_article_uncalibrated(&texts));
        let decoded = model.decoder().map(|d| d.decode(&probs, &Label::ALL));
        for (n, (&i, probs)) in ids.iter().zip(probs).enumerate() {
            out.push(Prediction {
                example: i,
                fold: fold.to_string(),
                gold: examples[i].label,
                predicted: argmax_label(&probs),
                decoded: decoded.as_ref().map(|d| d[n]),
                probs,
                uncalibrated: uncalibrated.as_ref().map(|u| u[n]),
            });
        }
    }
    out.sort_by_key(|p| p.example);
    out
}

/// Folds of the inner cross-validation that fits a calibration when no decoder is fitted
/// (with a decoder, its `inner_folds` serve both).
pub const CALIBRATION_INNER_FOLDS: usize = 5;

/// What is fitted on top of the logistic model, inside the training data (see [`fit_heads`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Heads {
    /// The label-sequence decoder's settings (`None`: no decoder).
    pub decoder: Option<DecoderParams>,
    /// Fit a probability calibration (temperature scaling).
    pub calibrate: bool,
}

impl Heads {
    /// Neither a decoder nor a calibration: the bare logistic model.
    pub fn none() -> Heads {
        Heads::default()
    }
}

/// Progress of a long evaluation: called as `f(done, total)` after each unit of work (an outer
/// fold, or one candidate's fold when choosing settings), from worker threads. The library
/// never prints; the command line draws a bar from these calls.
pub type OnProgress<'a> = &'a (dyn Fn(usize, usize) + Sync);

/// Ticks its ticker when dropped: at the end of a unit of work, however it ends.
struct TickOnDrop<'t, 'a>(&'t Ticker<'a>);

impl Drop for TickOnDrop<'_, '_> {
    fn drop(&mut self) {
        self.0.tick();
    }
}

/// Counts finished units and passes the count on.
struct Ticker<'a> {
    done: std::sync::atomic::AtomicUsize,
    total: usize,
    on: Option<OnProgress<'a>>,
}

impl<'a> Ticker<'a> {
    fn new(total: usize, on: Option<OnProgress<'a>>) -> Ticker<'a> {
        if let Some(f) = on {
            f(0, total);
        }
        Ticker {
            done: std::sync::atomic::AtomicUsize::new(0),
            total,
            on,
        }
    }

    fn tick(&self) {
        let d = self.done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if let Some(f) = self.on {
            f(d, self.total);
        }
    }
}

/// Fits the label-sequence decoder for a model trained with `params` on `examples`: the
/// transition scores from all of `examples`' gold sequences, and the weight `w` with the
/// best pooled macro-F1 of the decoded labels under an inner cross-validation of
/// `decoder.inner_folds` folds of whole articles *inside* `examples` (each inner fold's model
/// and transitions come from its own training part). Ties go to the smaller weight. With
/// fewer than 2 articles no choice is possible and the weight is 0 (the argmax).
/// Deterministic: folds and candidates in fixed order. (The decoder of an uncalibrated
/// model; [`fit_heads`] fits it together with a calibration.)
pub fn fit_decoder(
    examples: &[Example],
    params: &ModelParams,
    decoder: &DecoderParams,
) -> Result<Decoder, EvalError> {
    let (_, d) = fit_heads(examples, params, Some(decoder), false)?;
    Ok(d.expect("a decoder was asked for"))
}

/// Per inner fold: its training part's transitions, and each held-out article's gold labels
/// and (uncalibrated) probabilities.
type InnerFold = (Transitions, Vec<(Vec<Label>, Vec<[f64; 4]>)>);

/// What sits on top of the logistic model, fitted by one inner cross-validation of `k` folds
/// of whole articles inside `examples`:
/// - with `calibrate`, a temperature fitted on the pooled out-of-fold probabilities
///   ([`crate::model::fit_temperature`]);
/// - with `decoder`, the label-sequence decoder (see [`fit_decoder`]), its weight chosen on
///   the out-of-fold probabilities *after* that calibration, as the trained model will see
///   them.
///
/// `k` is the decoder's `inner_folds`, or [`CALIBRATION_INNER_FOLDS`] without a decoder.
/// With fewer than 2 articles there is no inner cross-validation: no calibration (`None`)
/// and a decoder of weight 0 (the argmax). Deterministic. The inner folds' models are
/// fitted from zero; [`fit_heads_from`] starts them from a model's weights.
pub fn fit_heads(
    examples: &[Example],
    params: &ModelParams,
    decoder: Option<&DecoderParams>,
    calibrate: bool,
) -> Result<(Option<Calibration>, Option<Decoder>), EvalError> {
    fit_heads_from(examples, params, decoder, calibrate, None)
}

/// [`fit_heads`] with each inner fold's model fitted from `start`'s weights
/// ([`ModelParams::fit_refs_from`]): with `start` the model fitted on all of `examples` (what
/// [`fit_with_heads`] passes), each fold's optimizer begins near its optimum and needs a
/// fraction of the iterations. The optimum is the same; the heads can differ from
/// [`fit_heads`]'s only as much as two solutions within the tolerance differ.
pub fn fit_heads_from(
    examples: &[Example],
    params: &ModelParams,
    decoder: Option<&DecoderParams>,
    calibrate: bool,
    start: Option<&Model>,
) -> Result<(Option<Calibration>, Option<Decoder>), EvalError> {
    params.validate()?;
    if let Some(d) = decoder {
        d.validate()?;
    }
    if examples.is_empty() {
        return Err(EvalError::NoExamples);
    }
    if decoder.is_none() && !calibrate {
        return Ok((None, None));
    }
    let transitions = Transitions::from_examples(examples);
    let mut articles: Vec<&str> = examples.iter().map(|e| e.article.as_str()).collect();
    articles.sort_unstable();
    articles.dedup();
    let wanted = decoder.map_or(CALIBRATION_INNER_FOLDS, |d| d.inner_folds);
    let k = wanted.min(articles.len());
    if k < 2 {
        let d = decoder.map(|_| Decoder {
            weight: 0.0,
            transitions,
            selection: WeightSelection {
                scheme: format!(
                    "{} article(s): too few for an inner cross-validation, so weight 0 (the argmax)",
                    articles.len()
                ),
                scores: Vec::new(),
            },
        });
        return Ok((None, d));
    }
    let scheme = FoldScheme::GroupKFold {
        key: GroupKey::Article,
        k,
    };
    let folds = make_folds(examples, scheme)?;
    let inner: Vec<InnerFold> = folds
        .par_iter()
        .map(|f| {
            let train: Vec<&Example> = f
                .train(examples.len())
                .into_iter()
                .map(|i| &examples[i])
                .collect();
            let model = params
                .fit_refs_from(&train, start)
                .map_err(|source| EvalError::Fold {
                    fold: format!("inner {}", f.name),
                    source,
                })?;
            let held = article_runs(examples, &f.test)
                .into_iter()
                .map(|ids| {
                    let texts: Vec<&str> = ids.iter().map(|&i| examples[i].text.as_str()).collect();
                    let gold = ids.iter().map(|&i| examples[i].label).collect();
                    (gold, model.predict_article_uncalibrated(&texts))
                })
                .collect();
            Ok((Transitions::from_examples(train.iter().copied()), held))
        })
        .collect::<Result<_, EvalError>>()?;
    let calibration = calibrate.then(|| {
        let (mut probs, mut gold) = (Vec::new(), Vec::new());
        for (_, held) in &inner {
            for (g, p) in held {
                gold.extend_from_slice(g);
                probs.extend_from_slice(p);
            }
        }
        fit_temperature(
            &probs,
            &gold,
            &format!("out-of-fold predictions of {}", scheme.describe()),
        )
    });
    let Some(dp) = decoder else {
        return Ok((calibration, None));
    };
    let calibrated = |p: &[[f64; 4]]| -> Vec<[f64; 4]> {
        match &calibration {
            Some(c) => p.iter().map(|v| c.apply(v)).collect(),
            None => p.to_vec(),
        }
    };
    let held_probs: Vec<Vec<Vec<[f64; 4]>>> = inner
        .iter()
        .map(|(_, held)| held.iter().map(|(_, p)| calibrated(p)).collect())
        .collect();
    let scores: Vec<WeightScore> = dp
        .sorted_weights()
        .iter()
        .map(|&weight| {
            let (mut gold, mut pred) = (Vec::new(), Vec::new());
            for ((t, held), probs) in inner.iter().zip(&held_probs) {
                for ((g, _), p) in held.iter().zip(probs) {
                    gold.extend_from_slice(g);
                    pred.extend(viterbi(p, t, weight, &Label::ALL));
                }
            }
            WeightScore {
                weight,
                macro_f1: Metrics::from_predictions(&gold, &pred).macro_f1,
            }
        })
        .collect();
    let mut best = 0;
    for (i, s) in scores.iter().enumerate() {
        if s.macro_f1 > scores[best].macro_f1 {
            best = i;
        }
    }
    let d = Decoder {
        weight: scores[best].weight,
        transitions,
        selection: WeightSelection {
            scheme: scheme.describe(),
            scores,
        },
    };
    Ok((calibration, Some(d)))
}

/// Trains a model on `examples` and attaches what [`fit_heads`] fits on the same examples:
/// a calibration when `heads.calibrate`, a label-sequence decoder when `heads.decoder` is
/// given (what `claimtrack train` does). The model is fitted first; the inner
/// cross-validation's models then start from its weights ([`fit_heads_from`]).
pub fn fit_with_heads(
    examples: &[Example],
    params: &ModelParams,
    heads: &Heads,
) -> Result<Model, EvalError> {
    let model = params.fit(examples)?;
    let (calibration, decoder) = fit_heads_from(
        examples,
        params,
        heads.decoder.as_ref(),
        heads.calibrate,
        Some(&model),
    )?;
    Ok(model.with_calibration(calibration).with_decoder(decoder))
}

fn assemble(
    examples: &[Example],
    scheme: String,
    params: &ModelParams,
    heads: &Heads,
    outcomes: Vec<FoldOutcome>,
    nested: Option<NestedInfo>,
) -> CvReport {
    let mut preds: Vec<Prediction> = Vec::with_capacity(examples.len());
    let mut base_gold = Vec::new();
    let mut base_pred = Vec::new();
    let mut summaries = Vec::new();
    for o in outcomes {
        for p in &o.preds {
            base_gold.push(p.gold);
            base_pred.push(o.baseline);
        }
        preds.extend(o.preds);
        summaries.push(o.summary);
    }
    preds.sort_by_key(|p| p.example);
    let gold: Vec<Label> = preds.iter().map(|p| p.gold).collect();
    let pred: Vec<Label> = preds.iter().map(|p| p.predicted).collect();
    let decoded: Option<Vec<Label>> = heads
        .decoder
        .as_ref()
        .and_then(|_| preds.iter().map(|p| p.decoded).collect());
    let probs: Vec<[f64; 4]> = preds.iter().map(|p| p.probs).collect();
    let uncalibrated: Option<Vec<[f64; 4]>> = preds.iter().map(|p| p.uncalibrated).collect();
    CvReport {
        scheme,
        folds: summaries.len(),
        examples: preds.len(),
        params: params.clone(),
        model: Metrics::from_predictions(&gold, &pred),
        decoded: decoded.map(|d| Metrics::from_predictions(&gold, &d)),
        decoder: heads.decoder.clone(),
        baseline: Metrics::from_predictions(&base_gold, &base_pred),
        probabilities: ProbabilityMetrics::measure(&probs, &gold),
        uncalibrated_probabilities: uncalibrated
            .filter(|u| !u.is_empty())
            .map(|u| ProbabilityMetrics::measure(&u, &gold)),
        non_converged: summaries.iter().filter(|s| !s.converged).count(),
        fold_summaries: summaries,
        nested,
        predictions: preds,
    }
}

/// Grouped cross-validation of fixed settings, with the majority baseline on the same folds.
/// Each fold's model gets what `heads` asks for, fitted inside the fold's training part
/// ([`fit_heads`]): with a decoder, the report carries the decoded labels' metrics beside the
/// argmax ones (same folds, same models); with calibration, the held-out probabilities are
/// calibrated and the report measures them before and after.
pub fn cross_validate(
    examples: &[Example],
    params: &ModelParams,
    scheme: FoldScheme,
    heads: &Heads,
) -> Result<CvReport, EvalError> {
    cross_validate_observed(examples, params, scheme, heads, None)
}

/// [`cross_validate`], calling `progress` after each fold.
pub fn cross_validate_observed(
    examples: &[Example],
    params: &ModelParams,
    scheme: FoldScheme,
    heads: &Heads,
    progress: Option<OnProgress>,
) -> Result<CvReport, EvalError> {
    params.validate()?;
    if let Some(d) = &heads.decoder {
        d.validate()?;
    }
    let folds = make_folds(examples, scheme)?;
    let ticker = Ticker::new(folds.len(), progress);
    let outcomes = folds
        .par_iter()
        .map(|f| {
            let o = run_fold(examples, f, params, heads);
            ticker.tick();
            o
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(assemble(
        examples,
        scheme.describe(),
        params,
        heads,
        outcomes,
        None,
    ))
}

/// One point of a learning curve: models trained on a share of each fold's training
/// articles, scored on the whole held-out fold, predictions pooled over the folds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LearningPoint {
    /// Share of each fold's training articles used.
    pub fraction: f64,
    /// Mean number of training sentences per fold.
    pub train_sentences: f64,
    /// Mean number of training articles per fold.
    pub train_articles: f64,
    /// Pooled held-out metrics.
    pub model: Metrics,
}

/// Macro-F1 and per-label scores against the amount of training data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LearningCurve {
    /// The outer fold scheme.
    pub scheme: String,
    /// Number of folds.
    pub folds: usize,
    /// Settings of every model trained.
    pub params: ModelParams,
    /// One point per fraction, ascending.
    pub points: Vec<LearningPoint>,
}

/// A stable pseudo-random rank of an article id: subsets are the first articles in this
/// order, so a larger fraction contains every smaller one and the curve does not depend on
/// file order or thread count.
fn article_rank(article: &str) -> u64 {
    // FNV-1a, then a splitmix64 finalizer to spread similar ids.
    let mut h: u64 = 0xcbf29ce484222325;
    for b in article.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58476d1ce4e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d049bb133111eb);
    h ^ (h >> 31)
}

/// Learning curve under grouped cross-validation: for each fold and each fraction, trains on
/// that share of the fold's training *articles* (whole articles, nested subsets) and
/// predicts the full held-out fold. Shows whether more labelled data would still help.
pub fn learning_curve(
    examples: &[Example],
    params: &ModelParams,
    scheme: FoldScheme,
    fractions: &[f64],
) -> Result<LearningCurve, EvalError> {
    learning_curve_observed(examples, params, scheme, fractions, None)
}

/// [`learning_curve`], calling `progress` after each model (fraction x fold).
pub fn learning_curve_observed(
    examples: &[Example],
    params: &ModelParams,
    scheme: FoldScheme,
    fractions: &[f64],
    progress: Option<OnProgress>,
) -> Result<LearningCurve, EvalError> {
    params.validate()?;
    if let Some(&bad) = fractions
        .iter()
        .find(|f| !f.is_finite() || **f <= 0.0 || **f > 1.0)
    {
        return Err(EvalError::BadFraction(bad));
    }
    let mut fractions: Vec<f64> = fractions.to_vec();
    fractions.sort_by(f64::total_cmp);
    fractions.dedup();
    let folds = make_folds(examples, scheme)?;
    let jobs: Vec<(usize, usize)> = (0..fractions.len())
        .flat_map(|p| (0..folds.len()).map(move |f| (p, f)))
        .collect();
    // Each job: (point, predictions, training sentences, training articles).
    type Job = (usize, Vec<Prediction>, usize, usize);
    let ticker = Ticker::new(jobs.len(), progress);
    let results: Vec<Job> = jobs
        .par_iter()
        .map(|&(p, f)| {
            let _done = TickOnDrop(&ticker);
            let fold = &folds[f];
            let train_idx = fold.train(examples.len());
            let mut articles: Vec<&str> = train_idx
                .iter()
                .map(|&i| examples[i].article.as_str())
                .collect();
            articles.sort_unstable();
            articles.dedup();
            articles.sort_by_key(|a| (article_rank(a), *a));
            let keep_n = ((fractions[p] * articles.len() as f64).ceil() as usize).max(1);
            let keep: std::collections::BTreeSet<&str> =
                articles.into_iter().take(keep_n).collect();
            let train: Vec<Example> = train_idx
                .iter()
                .filter(|&&i| keep.contains(examples[i].article.as_str()))
                .map(|&i| examples[i].clone())
                .collect();
            let model = params.fit(&train).map_err(|source| EvalError::Fold {
                fold: format!("{} at fraction {}", fold.name, fractions[p]),
                source,
            })?;
            let preds = predict_examples(&model, examples, &fold.test, &fold.name);
            Ok((p, preds, train.len(), keep_n))
        })
        .collect::<Result<Vec<_>, EvalError>>()?;
    let mut points = Vec::with_capacity(fractions.len());
    for (p, &fraction) in fractions.iter().enumerate() {
        let mut gold = Vec::new();
        let mut pred = Vec::new();
        let (mut sentences, mut articles) = (0usize, 0usize);
        for (_, preds, n_sent, n_art) in results.iter().filter(|r| r.0 == p) {
            gold.extend(preds.iter().map(|x| x.gold));
            pred.extend(preds.iter().map(|x| x.predicted));
            sentences += n_sent;
            articles += n_art;
        }
        points.push(LearningPoint {
            fraction,
            train_sentences: sentences as f64 / folds.len() as f64,
            train_articles: articles as f64 / folds.len() as f64,
            model: Metrics::from_predictions(&gold, &pred),
        });
    }
    Ok(LearningCurve {
        scheme: scheme.describe(),
        folds: folds.len(),
        params: params.clone(),
        points,
    })
}

impl LearningCurve {
    /// A table: fraction, mean training sentences and articles, macro-F1, per-label F1.
    pub fn to_text(&self) -> String {
        self.to_text_named(&LabelNames::default())
    }

    /// [`LearningCurve::to_text`] with the labels under `names`.
    pub fn to_text_named(&self, names: &LabelNames) -> String {
        let w = name_width(names, 17);
        let mut s = String::new();
        let _ = writeln!(
            s,
            "learning curve, {} ({} folds): training on a share of each fold's training articles",
            self.scheme, self.folds
        );
        let _ = write!(
            s,
            "{:>8} {:>10} {:>9} {:>9}",
            "fraction", "sentences", "articles", "macro-F1"
        );
        for l in Label::ALL {
            let _ = write!(s, " {:>w$}", names.name(l));
        }
        let _ = writeln!(s);
        for p in &self.points {
            let _ = write!(
                s,
                "{:>8.2} {:>10.0} {:>9.1} {:>9.3}",
                p.fraction, p.train_sentences, p.train_articles, p.model.macro_f1
            );
            for m in &p.model.per_label {
                let _ = write!(s, " {:>w$.3}", m.f1);
            }
            let _ = writeln!(s);
        }
        s
    }
}

/// Pooled out-of-fold macro-F1 of each candidate under `scheme`; picks the best.
pub fn select_params(
    examples: &[Example],
    candidates: &[ModelParams],
    scheme: FoldScheme,
) -> Result<Selection, EvalError> {
    select_params_observed(examples, candidates, scheme, None)
}

/// [`select_params`], calling `progress` after each candidate's fold.
pub fn select_params_observed(
    examples: &[Example],
    candidates: &[ModelParams],
    scheme: FoldScheme,
    progress: Option<OnProgress>,
) -> Result<Selection, EvalError> {
    if candidates.is_empty() {
        return Err(EvalError::EmptyGrid);
    }
    let folds = make_folds(examples, scheme)?;
    let jobs: Vec<(usize, usize)> = (0..candidates.len())
        .flat_map(|c| (0..folds.len()).map(move |f| (c, f)))
        .collect();
    let ticker = Ticker::new(jobs.len(), progress);
    let outcomes = jobs
        .par_iter()
        .map(|&(c, f)| {
            let _done = TickOnDrop(&ticker);
            run_fold(examples, &folds[f], &candidates[c], &Heads::none()).map(|o| (c, o))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut per_cand: Vec<(Vec<Label>, Vec<Label>)> =
        vec![(Vec::new(), Vec::new()); candidates.len()];
    for (c, o) in outcomes {
        for p in o.preds {
            per_cand[c].0.push(p.gold);
            per_cand[c].1.push(p.predicted);
        }
    }
    let scores: Vec<CandidateScore> = candidates
        .iter()
        .zip(&per_cand)
        .map(|(p, (g, pr))| CandidateScore {
            alpha: p.alpha,
            class_weight: p.class_weight,
            macro_f1: Metrics::from_predictions(g, pr).macro_f1,
        })
        .collect();
    let mut best = 0;
    for (i, s) in scores.iter().enumerate() {
        if s.macro_f1 > scores[best].macro_f1 {
            best = i;
        }
    }
    Ok(Selection {
        scheme: scheme.describe(),
        scores,
        best: candidates[best].clone(),
    })
}

/// Nested cross-validation: for each outer fold, an inner grouped CV on the outer training
/// part only picks the settings from `grid`; the chosen model is then scored on the held-out
/// fold. The held-out fold is never seen while choosing. The chosen model also gets what
/// `heads` asks for, fitted inside the outer training part, as in [`cross_validate`].
pub fn nested_cross_validate(
    examples: &[Example],
    base: &ModelParams,
    grid: &ParamGrid,
    outer: FoldScheme,
    inner: FoldScheme,
    heads: &Heads,
) -> Result<CvReport, EvalError> {
    nested_cross_validate_observed(examples, base, grid, outer, inner, heads, None)
}

/// [`nested_cross_validate`], calling `progress` after each outer fold.
pub fn nested_cross_validate_observed(
    examples: &[Example],
    base: &ModelParams,
    grid: &ParamGrid,
    outer: FoldScheme,
    inner: FoldScheme,
    heads: &Heads,
    progress: Option<OnProgress>,
) -> Result<CvReport, EvalError> {
    base.validate()?;
    if let Some(d) = &heads.decoder {
        d.validate()?;
    }
    let candidates = grid.candidates(base);
    if candidates.is_empty() {
        return Err(EvalError::EmptyGrid);
    }
    let folds = make_folds(examples, outer)?;
    let ticker = Ticker::new(folds.len(), progress);
    let outcomes = folds
        .par_iter()
        .map(|f| {
            let _done = TickOnDrop(&ticker);
            let train: Vec<Example> = f
                .train(examples.len())
                .into_iter()
                .map(|i| examples[i].clone())
                .collect();
            let sel = select_params(&train, &candidates, inner).map_err(|e| match e {
                EvalError::Fold { fold, source } => EvalError::Fold {
                    fold: format!("{} / inner {}", f.name, fold),
                    source,
                },
                other => other,
            })?;
            run_fold(examples, f, &sel.best, heads)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let info = NestedInfo {
        inner: inner.describe(),
        grid: grid.clone(),
    };
    Ok(assemble(
        examples,
        format!("nested: outer {}", outer.describe()),
        base,
        heads,
        outcomes,
        Some(info),
    ))
}

/// Trains on `train` and scores on `test`, with the majority baseline of `train`. The model
/// also gets what `heads` asks for, fitted inside `train`, as in [`cross_validate`].
pub fn train_test(
    train: &[Example],
    test: &[Example],
    params: &ModelParams,
    heads: &Heads,
) -> Result<CvReport, EvalError> {
    if test.is_empty() {
        return Err(EvalError::NoExamples);
    }
    let model = fit_with_heads(train, params, heads)?;
    let refs: Vec<&Example> = train.iter().collect();
    let baseline = majority_label(&refs);
    let idx: Vec<usize> = (0..test.len()).collect();
    let preds = predict_examples(&model, test, &idx, "test");
    let correct = preds.iter().filter(|p| p.gold == p.predicted).count();
    let outcome = FoldOutcome {
        summary: FoldSummary {
            name: "test".into(),
            test_size: test.len(),
            accuracy: correct as f64 / test.len() as f64,
            converged: model.training().convergence.converged,
            alpha: params.alpha,
            class_weight: params.class_weight,
            decoder_weight: model.decoder().map(|d| d.weight),
            temperature: model.calibration().map(|c| c.temperature),
        },
        preds,
        baseline,
    };
    Ok(assemble(
        test,
        "train/test".into(),
        params,
        heads,
        vec![outcome],
        None,
    ))
}

impl CvReport {
    /// A human-readable report: model and baseline tables, per-label F1 side by side.
    pub fn to_text(&self) -> String {
        self.to_text_named(&LabelNames::default())
    }

    /// [`CvReport::to_text`] with the labels under `names`.
    pub fn to_text_named(&self, names: &LabelNames) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{}: {} folds, {} sentences",
            self.scheme, self.folds, self.examples
        );
        match &self.nested {
            Some(n) => {
                let _ = writeln!(
                    s,
                    "hyper-parameters chosen per outer fold by inner {} over alpha {:?} x class weight {:?}",
                    n.inner, n.grid.alphas, n.grid.class_weights
                );
                let mut chosen: BTreeMap<String, usize> = BTreeMap::new();
                for f in &self.fold_summaries {
                    *chosen
                        .entry(format!(
                            "alpha={} class_weight={:?}",
                            f.alpha, f.class_weight
                        ))
                        .or_insert(0) += 1;
                }
                for (c, n) in chosen {
                    let _ = writeln!(s, "  chosen in {n} fold(s): {c}");
                }
            }
            None => {
                let _ = writeln!(
                    s,
                    "settings: alpha={} class_weight={:?} min_df={} ngram_max={} stem={}",
                    self.params.alpha,
                    self.params.class_weight,
                    self.params.featurizer.min_df,
                    self.params.featurizer.ngram_max,
                    self.params.featurizer.stem
                );
            }
        }
        if self.non_converged > 0 {
            let _ = writeln!(
                s,
                "warning: training did not converge in {} of {} folds",
                self.non_converged, self.folds
            );
        }
        let _ = writeln!(s);
        let _ = writeln!(s, "model (per-sentence argmax)");
        s.push_str(&self.model.to_text_named(names));
        if let (Some(decoded), Some(d)) = (&self.decoded, &self.decoder) {
            let _ = writeln!(s);
            let _ = writeln!(
                s,
                "model + label-sequence decoder (same folds and models; weight chosen in each fold's training part by {} grouped folds by article from {:?})",
                d.inner_folds,
                d.sorted_weights()
            );
            let mut chosen: BTreeMap<String, usize> = BTreeMap::new();
            for f in &self.fold_summaries {
                if let Some(w) = f.decoder_weight {
                    *chosen.entry(format!("w={w}")).or_insert(0) += 1;
                }
            }
            let chosen: Vec<String> = chosen
                .into_iter()
                .map(|(w, n)| format!("{w} in {n} fold(s)"))
                .collect();
            let _ = writeln!(s, "  chosen: {}", chosen.join(", "));
            s.push_str(&decoded.to_text_named(names));
        }
        let _ = writeln!(s);
        let _ = writeln!(s, "majority-class baseline (same folds)");
        s.push_str(&self.baseline.to_text_named(names));
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "held-out probabilities ({} bins): {}",
            crate::reliability::BINS,
            self.probabilities.summary()
        );
        if let Some(u) = &self.uncalibrated_probabilities {
            let mut temps: Vec<f64> = self
                .fold_summaries
                .iter()
                .filter_map(|f| f.temperature)
                .collect();
            temps.sort_by(f64::total_cmp);
            let median = temps.get(temps.len() / 2).copied().unwrap_or(1.0);
            let _ = writeln!(
                s,
                "  calibrated by temperature scaling fitted in each fold's training part (median T={median:.3}); before: {}",
                u.summary()
            );
        }
        match &self.decoded {
            Some(d) => {
                let _ = writeln!(
                    s,
                    "macro-F1: model {:.3}, with decoder {:.3} ({:+.3}), baseline {:.3}",
                    self.model.macro_f1,
                    d.macro_f1,
                    d.macro_f1 - self.model.macro_f1,
                    self.baseline.macro_f1
                );
            }
            None => {
                let _ = writeln!(
                    s,
                    "macro-F1: model {:.3}, baseline {:.3}",
                    self.model.macro_f1, self.baseline.macro_f1
                );
            }
        }
        s
    }
}

/// Scores of the held-out sentences of one position role (or of several pooled).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleScore {
    /// The role (`headline`, `lede`, `heading`, `body`) or the pooled roles
    /// (`headline+lede`).
    pub role: String,
    /// Held-out sentences with the role(s).
    pub sentences: usize,
    /// Metrics of the per-sentence argmax labels (accuracy, macro-F1, per-label P/R/F1).
    pub model: Metrics,
    /// Metrics of the decoded labels, when the report evaluated decoding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decoded: Option<Metrics>,
}

/// The roles [`per_role`] scores, in order, each as the roles it pools.
const ROLE_GROUPS: [(&str, &[Role]); 5] = [
    ("headline", &[Role::Headline]),
    ("lede", &[Role::Lede]),
    ("heading", &[Role::Heading]),
    ("body", &[Role::Body]),
    ("headline+lede", &[Role::Headline, Role::Lede]),
];

/// Scores of a report's predictions per position role: headline, lede, heading, body, then
/// headline and lede pooled (the sentences a reader sees first, which weigh most in the
/// framing score). Every row is listed, with 0 sentences where the gold has none.
pub fn per_role(examples: &[Example], report: &CvReport) -> Vec<RoleScore> {
    ROLE_GROUPS
        .iter()
        .map(|(name, roles)| {
            let preds: Vec<&Prediction> = report
                .predictions
                .iter()
                .filter(|p| {
                    examples
                        .get(p.example)
                        .is_some_and(|e| roles.contains(&e.role))
                })
                .collect();
            let gold: Vec<Label> = preds.iter().map(|p| p.gold).collect();
            let pred: Vec<Label> = preds.iter().map(|p| p.predicted).collect();
            let decoded: Option<Vec<Label>> = report
                .decoded
                .as_ref()
                .and_then(|_| preds.iter().map(|p| p.decoded).collect());
            RoleScore {
                role: name.to_string(),
                sentences: preds.len(),
                model: Metrics::from_predictions(&gold, &pred),
                decoded: decoded.map(|d| Metrics::from_predictions(&gold, &d)),
            }
        })
        .collect()
}

/// A table of [`RoleScore`]s: sentences, accuracy, macro-F1 and F1 per label (`-` for a
/// label neither in the gold nor predicted), one block for the argmax labels and, when
/// present, one for the decoded labels.
pub fn roles_to_text(roles: &[RoleScore]) -> String {
    roles_to_text_named(roles, &LabelNames::default())
}

/// [`roles_to_text`] with the labels under `names`.
pub fn roles_to_text_named(roles: &[RoleScore], names: &LabelNames) -> String {
    let mut s = String::new();
    role_block(&mut s, "model (per-sentence argmax)", roles, names, |r| {
        Some(&r.model)
    });
    if roles.iter().any(|r| r.decoded.is_some()) {
        let _ = writeln!(s);
        role_block(
            &mut s,
            "model + label-sequence decoder",
            roles,
            names,
            |r| r.decoded.as_ref(),
        );
    }
    s
}

/// One table of [`roles_to_text`], of the metrics `pick` gives.
fn role_block(
    s: &mut String,
    title: &str,
    roles: &[RoleScore],
    names: &LabelNames,
    pick: impl Fn(&RoleScore) -> Option<&Metrics>,
) {
    let w = name_width(names, 17);
    let _ = writeln!(s, "per role, {title}: accuracy, macro-F1, F1 per label");
    let _ = write!(
        s,
        "  {:<14} {:>9} {:>8} {:>8}",
        "role", "sentences", "accuracy", "macro-F1"
    );
    for l in Label::ALL {
        let _ = write!(s, " {:>w$}", names.name(l));
    }
    let _ = writeln!(s);
    for r in roles {
        let Some(m) = pick(r) else { continue };
        let _ = write!(
            s,
            "  {:<14} {:>9} {:>8.3} {:>8.3}",
            r.role, r.sentences, m.accuracy, m.macro_f1
        );
        for (k, lm) in m.per_label.iter().enumerate() {
            let predicted: usize = (0..4).map(|g| m.confusion[g][k]).sum();
            if lm.support == 0 && predicted == 0 {
                let _ = write!(s, " {:>w$}", "-");
            } else {
                let _ = write!(s, " {:>w$.3}", lm.f1);
            }
        }
        let _ = writeln!(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sentence::Role;

    fn ex(text: &str, label: Label, article: &str, outlet: &str, index: usize) -> Example {
        Example {
            text: text.into(),
            label,
            article: article.into(),
            outlet: outlet.into(),
            index,
            role: Role::Body,
        }
    }

    /// Hand-computed: gold/predicted pairs give this confusion matrix
    /// (rows gold, cols predicted; order claim, denial, skeptic, context):
    ///   claim:   [2, 0, 1, 1]   support 4
    ///   denial:  [0, 1, 0, 0]   support 1
    ///   skeptic: [0, 1, 1, 0]   support 2
    ///   context: [1, 0, 0, 3]   support 4
    /// claim P=2/3 R=2/4 F1=4/7; denial P=1/2 R=1 F1=2/3; skeptic P=1/2 R=1/2 F1=1/2;
    /// context P=3/4 R=3/4 F1=3/4. Macro-F1 = (4/7+2/3+1/2+3/4)/4 = 0.621_428_57...
    /// Accuracy 7/11.
    #[test]
    fn metrics_match_hand_computed_values() {
        use Label::*;
        let pairs = [
            (RussianClaim, RussianClaim),
            (RussianClaim, RussianClaim),
            (RussianClaim, ExpertSkepticism),
            (RussianClaim, Context),
            (UsDenial, UsDenial),
            (ExpertSkepticism, UsDenial),
            (ExpertSkepticism, ExpertSkepticism),
            (Context, RussianClaim),
            (Context, Context),
            (Context, Context),
            (Context, Context),
        ];
        let gold: Vec<Label> = pairs.iter().map(|p| p.0).collect();
        let pred: Vec<Label> = pairs.iter().map(|p| p.1).collect();
        let m = Metrics::from_predictions(&gold, &pred);
        assert_eq!(
            m.confusion,
            [[2, 0, 1, 1], [0, 1, 0, 0], [0, 1, 1, 0], [1, 0, 0, 3]]
        );
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(close(m.per_label[0].precision, 2.0 / 3.0));
        assert!(close(m.per_label[0].recall, 0.5));
        assert!(close(m.per_label[0].f1, 4.0 / 7.0));
        assert!(close(m.per_label[1].f1, 2.0 / 3.0));
        assert!(close(m.per_label[2].f1, 0.5));
        assert!(close(m.per_label[3].f1, 0.75));
        assert_eq!(m.per_label[0].support, 4);
        assert!(close(
            m.macro_f1,
            (4.0 / 7.0 + 2.0 / 3.0 + 0.5 + 0.75) / 4.0
        ));
        assert!(close(m.accuracy, 7.0 / 11.0));
        let wf = (4.0 * 4.0 / 7.0 + 2.0 / 3.0 + 2.0 * 0.5 + 4.0 * 0.75) / 11.0;
        assert!(close(m.weighted_f1, wf));
    }

    #[test]
    fn macro_average_skips_labels_absent_from_gold_and_predictions() {
        use Label::*;
        let m =
            Metrics::from_predictions(&[Context, Context, UsDenial], &[Context, Context, Context]);
        // context: P=2/3 R=1 F1=0.8; denial: P=0 R=0 F1=0; the other two labels never occur.
        assert!((m.macro_f1 - 0.4).abs() < 1e-12);
        assert_eq!(m.per_label[1].precision, 0.0);
    }

    #[test]
    fn leave_one_group_out_and_group_kfold() {
        use Label::*;
        let data = vec![
            ex("a", Context, "A1", "X", 0),
            ex("b", Context, "A1", "X", 1),
            ex("c", Context, "A2", "Y", 0),
            ex("d", Context, "A3", "Y", 0),
            ex("e", Context, "A3", "Y", 1),
            ex("f", Context, "A3", "Y", 2),
        ];
        let logo = make_folds(&data, FoldScheme::LeaveOneGroupOut(GroupKey::Article)).unwrap();
        assert_eq!(logo.len(), 3);
        assert_eq!(logo[0].name, "A1");
        assert_eq!(logo[0].test, vec![0, 1]);
        assert_eq!(logo[0].train(6), vec![2, 3, 4, 5]);
        let by_outlet = make_folds(&data, FoldScheme::LeaveOneGroupOut(GroupKey::Outlet)).unwrap();
        assert_eq!(by_outlet.len(), 2);
        assert_eq!(by_outlet[1].test, vec![2, 3, 4, 5]);
        let k2 = make_folds(
            &data,
            FoldScheme::GroupKFold {
                key: GroupKey::Article,
                k: 2,
            },
        )
        .unwrap();
        // A3 (3) goes to fold 1, A1 (2) to fold 2, A2 (1) to fold 2.
        assert_eq!(k2[0].test, vec![3, 4, 5]);
        assert_eq!(k2[1].test, vec![0, 1, 2]);
        assert!(make_folds(
            &data,
            FoldScheme::GroupKFold {
                key: GroupKey::Article,
                k: 4
            }
        )
        .is_err());
        assert!(make_folds(&data[..2], FoldScheme::LeaveOneGroupOut(GroupKey::Article)).is_err());
    }

    /// A toy corpus where each label has its own vocabulary, spread over 8 articles.
    fn toy_corpus() -> Vec<Example> {
        use Label::*;
        let mut v = Vec::new();
        for a in 0..8 {
            let art = format!("art{a}");
            let outlet = format!("outlet{}", a % 4);
            v.push(ex(
                &format!("kremlin signals openness to talks {a}"),
                RussianClaim,
                &art,
                &outlet,
                0,
            ));
            v.push(ex(
                &format!("officials denied any back channel {a}"),
                UsDenial,
                &art,
                &outlet,
                1,
            ));
            v.push(ex(
                &format!("analysts doubt the offer is sincere {a}"),
                ExpertSkepticism,
                &art,
                &outlet,
                2,
            ));
            v.push(ex(
                &format!("the war continued near the front {a}"),
                Context,
                &art,
                &outlet,
                3,
            ));
            v.push(ex(
                &format!("aid packages and ammunition shipments {a}"),
                Context,
                &art,
                &outlet,
                4,
            ));
        }
        v
    }

    #[test]
    fn cross_validation_beats_baseline_and_is_deterministic() {
        let data = toy_corpus();
        let params = ModelParams {
            alpha: 0.1,
            ..ModelParams::default()
        };
        let r = cross_validate(
            &data,
            &params,
            FoldScheme::LeaveOneGroupOut(GroupKey::Article),
            &Heads::none(),
        )
        .unwrap();
        assert_eq!(r.folds, 8);
        assert_eq!(r.examples, 40);
        assert_eq!(r.model.accuracy, 1.0);
        // Majority baseline predicts context everywhere: context F1 = 2*0.4/1.4, others 0.
        assert!((r.baseline.accuracy - 0.4).abs() < 1e-12);
        assert!((r.baseline.macro_f1 - (0.8 / 1.4) / 4.0).abs() < 1e-12);
        let r2 = cross_validate(
            &data,
            &params,
            FoldScheme::LeaveOneGroupOut(GroupKey::Article),
            &Heads::none(),
        )
        .unwrap();
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            serde_json::to_string(&r2).unwrap()
        );
        assert!(r.to_text().contains("macro-F1: model 1.000"));
    }

    #[test]
    fn learning_curve_trains_on_growing_nested_article_subsets() {
        let data = toy_corpus();
        let params = ModelParams {
            alpha: 0.1,
            ..ModelParams::default()
        };
        let scheme = FoldScheme::GroupKFold {
            key: GroupKey::Outlet,
            k: 4,
        };
        let c = learning_curve(&data, &params, scheme, &[1.0, 0.5, 0.34]).unwrap();
        assert_eq!(c.folds, 4);
        let fr: Vec<f64> = c.points.iter().map(|p| p.fraction).collect();
        assert_eq!(fr, vec![0.34, 0.5, 1.0]);
        // Each fold trains on 6 of 8 articles: ceil(0.34 * 6) = 3, 3, 6 articles of 5 sentences.
        let arts: Vec<f64> = c.points.iter().map(|p| p.train_articles).collect();
        assert_eq!(arts, vec![3.0, 3.0, 6.0]);
        assert_eq!(c.points[2].train_sentences, 30.0);
        // Every point scores every held-out sentence once.
        assert!(c.points.iter().all(|p| p.model.support == 40));
        // The full-data point is plain grouped CV.
        let cv = cross_validate(&data, &params, scheme, &Heads::none()).unwrap();
        assert_eq!(c.points[2].model, cv.model);
        assert!(c.to_text().contains("macro-F1"));
        for bad in [0.0, 1.5, f64::NAN] {
            assert!(matches!(
                learning_curve(&data, &params, scheme, &[bad]),
                Err(EvalError::BadFraction(_))
            ));
        }
    }

    #[test]
    fn nested_cv_picks_from_the_grid_and_reports_it() {
        let data = toy_corpus();
        let grid = ParamGrid {
            alphas: vec![0.1, 100.0],
            class_weights: vec![ClassWeight::None],
        };
        let r = nested_cross_validate(
            &data,
            &ModelParams::default(),
            &grid,
            FoldScheme::GroupKFold {
                key: GroupKey::Outlet,
                k: 2,
            },
            FoldScheme::GroupKFold {
                key: GroupKey::Article,
                k: 3,
            },
            &Heads::none(),
        )
        .unwrap();
        assert_eq!(r.folds, 2);
        // With alpha = 100 every sentence gets the majority label; the inner CV must see it.
        assert!(r.fold_summaries.iter().all(|f| f.alpha == 0.1));
        assert!(r.nested.is_some());
        assert!(r.model.macro_f1 > r.baseline.macro_f1);
    }

    /// Articles where the middle sentence, "He repeated it <n>.", carries the label of the
    /// sentence before it: claim after a claim (even articles), denial after a denial (odd
    /// ones). Its words say nothing, so only the sequence can tell.
    fn sequence_corpus() -> Vec<Example> {
        use Label::*;
        let mut v = Vec::new();
        for a in 0..16 {
            let art = format!("art{a:02}");
            let outlet = format!("outlet{}", a % 4);
            let (first, label) = if a % 2 == 0 {
                ("kremlin signals openness to talks", RussianClaim)
            } else {
                ("officials denied any back channel", UsDenial)
            };
            v.push(ex(&format!("{first} {a}"), label, &art, &outlet, 0));
            v.push(ex(&format!("he repeated it {a}"), label, &art, &outlet, 1));
            v.push(ex(
                &format!("the war continued near the front {a}"),
                Context,
                &art,
                &outlet,
                2,
            ));
        }
        v
    }

    #[test]
    fn the_decoder_weight_is_chosen_inside_the_training_data_and_helps_on_sequences() {
        let data = sequence_corpus();
        let params = ModelParams {
            alpha: 0.1,
            ..ModelParams::default()
        };
        let dp = DecoderParams::default();
        let d = fit_decoder(&data, &params, &dp).unwrap();
        assert!(d.weight > 0.0, "{d:?}");
        assert_eq!(d.selection.scores.len(), dp.weights.len());
        assert_eq!(d.selection.scheme, "5 grouped folds by article");
        // The chosen weight has the best inner score, and ties went to the smaller weight.
        let best = d
            .selection
            .scores
            .iter()
            .map(|s| s.macro_f1)
            .fold(f64::MIN, f64::max);
        let first_best = d.selection.scores.iter().find(|s| s.macro_f1 == best);
        assert_eq!(first_best.map(|s| s.weight), Some(d.weight));
        assert_eq!(d.transitions, Transitions::from_examples(&data));

        let scheme = FoldScheme::LeaveOneGroupOut(GroupKey::Outlet);
        let r = cross_validate(
            &data,
            &params,
            scheme,
            &Heads {
                decoder: Some(dp.clone()),
                calibrate: false,
            },
        )
        .unwrap();
        let decoded = r.decoded.as_ref().unwrap();
        assert!(
            decoded.macro_f1 > r.model.macro_f1 + 0.1,
            "decoded {} argmax {}",
            decoded.macro_f1,
            r.model.macro_f1
        );
        assert!(r
            .fold_summaries
            .iter()
            .all(|f| f.decoder_weight > Some(0.0)));
        assert!(r.predictions.iter().all(|p| p.decoded.is_some()));
        let text = r.to_text();
        assert!(text.contains("model + label-sequence decoder"), "{text}");
        assert!(text.contains("with decoder"), "{text}");
        // The argmax side is the plain cross-validation, fold for fold.
        let plain = cross_validate(&data, &params, scheme, &Heads::none()).unwrap();
        assert_eq!(plain.model, r.model);
        assert!(plain.decoded.is_none() && !plain.to_text().contains("with decoder"));
        // Only w = 0 on offer: the decoded labels are the argmax.
        let zero = DecoderParams {
            weights: vec![0.0],
            ..DecoderParams::default()
        };
        let r0 = cross_validate(
            &data,
            &params,
            scheme,
            &Heads {
                decoder: Some(zero),
                calibrate: false,
            },
        )
        .unwrap();
        assert_eq!(r0.decoded.as_ref(), Some(&r0.model));
    }

    #[test]
    fn too_few_articles_for_an_inner_split_give_weight_zero() {
        let data: Vec<Example> = sequence_corpus()
            .into_iter()
            .filter(|e| e.article == "art00" || e.article == "art01")
            .map(|mut e| {
                e.article = "one".into();
                e
            })
            .collect();
        let d = fit_decoder(&data, &ModelParams::default(), &DecoderParams::default()).unwrap();
        assert_eq!(d.weight, 0.0);
        assert!(d.selection.scores.is_empty());
        assert!(
            d.selection.scheme.contains("too few"),
            "{}",
            d.selection.scheme
        );
    }

    /// Hand-computed per-role scores: headline 2 sentences (1 right), lede 1 (right), body 2
    /// (both right), no heading; headline+lede pools 3 sentences, 2 right.
    #[test]
    fn per_role_scores_each_role_and_headline_plus_lede() {
        use Label::*;
        let mut examples = Vec::new();
        let mut predictions = Vec::new();
        let rows = [
            (Role::Headline, RussianClaim, RussianClaim),
            (Role::Headline, UsDenial, RussianClaim),
            (Role::Lede, UsDenial, UsDenial),
            (Role::Body, Context, Context),
            (Role::Body, ExpertSkepticism, ExpertSkepticism),
        ];
        for (i, (role, gold, pred)) in rows.into_iter().enumerate() {
            let mut e = ex("t", gold, "a", "o", i);
            e.role = role;
            examples.push(e);
            predictions.push(Prediction {
                example: i,
                fold: "a".into(),
                gold,
                predicted: pred,
                decoded: Some(gold),
                probs: [0.25; 4],
                uncalibrated: None,
            });
        }
        let gold: Vec<Label> = rows.iter().map(|r| r.1).collect();
        let report = CvReport {
            scheme: "test".into(),
            folds: 1,
            examples: 5,
            params: ModelParams::default(),
            model: Metrics::from_predictions(&gold, &gold),
            decoded: Some(Metrics::from_predictions(&gold, &gold)),
            decoder: Some(DecoderParams::default()),
            baseline: Metrics::from_predictions(&gold, &gold),
            probabilities: ProbabilityMetrics::measure(&[[0.25; 4]; 5], &gold),
            uncalibrated_probabilities: None,
            fold_summaries: Vec::new(),
            non_converged: 0,
            nested: None,
            predictions,
        };
        let roles = per_role(&examples, &report);
        let names: Vec<&str> = roles.iter().map(|r| r.role.as_str()).collect();
        assert_eq!(
            names,
            ["headline", "lede", "heading", "body", "headline+lede"]
        );
        let sizes: Vec<usize> = roles.iter().map(|r| r.sentences).collect();
        assert_eq!(sizes, [2, 1, 0, 2, 3]);
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        // Headline: claim P=1/2 R=1 F1=2/3; denial P=0 R=0 F1=0: macro 1/3, accuracy 1/2.
        assert!(close(roles[0].model.accuracy, 0.5));
        assert!(close(roles[0].model.macro_f1, 1.0 / 3.0));
        // Headline+lede: claim F1 2/3; denial P=1 R=1/2 F1=2/3: macro 2/3, accuracy 2/3.
        assert!(close(roles[4].model.accuracy, 2.0 / 3.0));
        assert!(close(roles[4].model.macro_f1, 2.0 / 3.0));
        assert!(close(roles[4].model.per_label[1].f1, 2.0 / 3.0));
        // The decoded labels are all right here.
        assert!(roles.iter().filter(|r| r.sentences > 0).all(|r| r
            .decoded
            .as_ref()
            .unwrap()
            .accuracy
            == 1.0));
        let text = roles_to_text(&roles);
        assert!(text.contains("headline+lede"), "{text}");
        assert!(text.contains("label-sequence decoder"), "{text}");
        // Heading has no sentences: its labels are shown as `-`, not as a 0 F1.
        let heading = text
            .lines()
            .find(|l| l.trim_start().starts_with("heading"))
            .unwrap();
        assert!(heading.contains(" -"), "{heading}");
    }

    #[test]
    fn train_test_scores_the_test_set() {
        let data = toy_corpus();
        let (train, test) = data.split_at(30);
        let r = train_test(
            train,
            test,
            &ModelParams {
                alpha: 0.1,
                ..ModelParams::default()
            },
            &Heads::none(),
        )
        .unwrap();
        assert_eq!(r.examples, 10);
        assert_eq!(r.model.accuracy, 1.0);
        assert!(train_test(train, &[], &ModelParams::default(), &Heads::none()).is_err());
    }

    /// With calibration, each fold's model carries a temperature fitted inside its training
    /// part, the held-out probabilities are measured before and after, labels do not move,
    /// and the calibrated log-loss is no worse on this separable toy corpus's folds.
    #[test]
    fn calibration_is_fitted_per_fold_and_keeps_labels() {
        let data = sequence_corpus();
        let params = ModelParams {
            alpha: 1.0,
            ..ModelParams::default()
        };
        let scheme = FoldScheme::GroupKFold {
            key: GroupKey::Article,
            k: 4,
        };
        let plain = cross_validate(&data, &params, scheme, &Heads::none()).unwrap();
        let heads = Heads {
            decoder: None,
            calibrate: true,
        };
        let cal = cross_validate(&data, &params, scheme, &heads).unwrap();
        assert!(plain.uncalibrated_probabilities.is_none());
        let before = cal.uncalibrated_probabilities.as_ref().unwrap();
        assert_eq!(before, &plain.probabilities);
        assert_eq!(
            cal.model, plain.model,
            "temperature scaling keeps every label"
        );
        assert!(cal.fold_summaries.iter().all(|f| f.temperature.is_some()));
        assert!(cal.predictions.iter().all(|p| p.uncalibrated.is_some()));
        assert!(
            cal.probabilities.mean_confidence > before.mean_confidence,
            "a strongly regularised model is under-confident; calibration sharpens it"
        );
        assert!(cal.to_text().contains("calibrated by temperature scaling"));
        // The model `train` would write carries the calibration.
        let m = fit_with_heads(&data, &params, &heads).unwrap();
        let c = m.calibration().unwrap();
        assert!(c.temperature < 1.0, "{}", c.temperature);
        assert!(c.log_loss_after < c.log_loss_before);
    }

    /// The heads `train` fits with the inner folds started from the final model's weights
    /// are those of folds fitted from zero, up to the optimizer's tolerance.
    #[test]
    fn warm_started_inner_folds_give_the_cold_folds_heads() {
        let data = sequence_corpus();
        let params = ModelParams {
            alpha: 1.0,
            tolerance: 1e-7,
            ..ModelParams::default()
        };
        let dp = DecoderParams::default();
        let full = params.fit(&data).unwrap();
        let (cal_cold, dec_cold) = fit_heads(&data, &params, Some(&dp), true).unwrap();
        let (cal_warm, dec_warm) =
            fit_heads_from(&data, &params, Some(&dp), true, Some(&full)).unwrap();
        let (tc, tw) = (cal_cold.unwrap().temperature, cal_warm.unwrap().temperature);
        assert!((tc - tw).abs() < 1e-4, "temperature {tc} vs {tw}");
        let (dc, dw) = (dec_cold.unwrap(), dec_warm.unwrap());
        assert_eq!(dc.weight, dw.weight);
        for (a, b) in dc.selection.scores.iter().zip(&dw.selection.scores) {
            assert!((a.macro_f1 - b.macro_f1).abs() < 0.02, "{a:?} vs {b:?}");
        }
        let m = fit_with_heads(
            &data,
            &params,
            &Heads {
                decoder: Some(dp),
                calibrate: true,
            },
        )
        .unwrap();
        assert_eq!(m.calibration().unwrap().temperature, tw);
    }

    /// The progress callback hears every unit once: it starts at (0, total) and the largest
    /// count it sees is (total, total), from worker threads.
    #[test]
    fn progress_reports_every_fold_and_model() {
        use std::sync::Mutex;
        let data = toy_corpus();
        let seen = Mutex::new(Vec::new());
        let on = |d: usize, t: usize| seen.lock().unwrap().push((d, t));
        let scheme = FoldScheme::LeaveOneGroupOut(GroupKey::Article);
        let r = cross_validate_observed(
            &data,
            &ModelParams::default(),
            scheme,
            &Heads::none(),
            Some(&on),
        )
        .unwrap();
        let mut v = seen.lock().unwrap().clone();
        assert_eq!(v[0], (0, r.folds));
        v.sort();
        assert_eq!(v.len(), r.folds + 1);
        assert_eq!(*v.last().unwrap(), (r.folds, r.folds));
        seen.lock().unwrap().clear();
        let curve = learning_curve_observed(
            &data,
            &ModelParams::default(),
            FoldScheme::GroupKFold {
                key: GroupKey::Article,
                k: 4,
            },
            &[0.5, 1.0],
            Some(&on),
        )
        .unwrap();
        assert_eq!(curve.points.len(), 2);
        let v = seen.lock().unwrap().clone();
        assert_eq!(v.len(), 1 + 8);
        assert!(v.contains(&(8, 8)));
    }
}
