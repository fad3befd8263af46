//! Label-sequence decoding: the labels of an article's sentences chosen together, not one by
//! one.
//!
//! Stance in news runs in patterns: a claim is followed by its denial, a quote runs over
//! several sentences, the sourcing sentence after a claim belongs to it. This module owns the
//! decoder that uses them: label-transition scores estimated from gold articles
//! ([`Transitions`]), and a Viterbi search ([`viterbi`]) for the label sequence maximising
//!
//! ```text
//! sum_t log p_model(y_t | x_t)  +  w * ( start(y_1) + sum_{t>1} trans(y_{t-1}, y_t) )
//! ```
//!
//! where `trans(a, b) = log P(y_t = b | y_{t-1} = a) - log P(y_t = b)` (the transition's
//! log-probability normalised by the label's frequency, so a label's overall rate is left to
//! the model's probabilities) and `start(b) = log P(y_1 = b) - log P(b)`, every probability
//! estimated with add-one smoothing. The model's probabilities are not changed; only the
//! label chosen from them. With `w = 0` the decoder gives exactly the per-sentence argmax
//! (ties included). How `w` is chosen (grouped cross-validation inside the training data)
//! lives in [`crate::evaluate`]; the fitted [`Decoder`] is stored in the model file.

use super::{ModelError, K};
use crate::gold::Example;
use crate::label::Label;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Largest decoder weight `w` a model file may hold (and [`DecoderParams`] may try): useful
/// values are 0 to 2; far beyond, the transitions alone decide every label.
pub const MAX_DECODER_WEIGHT: f64 = 100.0;

/// Largest magnitude of a transition or start score a model file may hold. With add-one
/// smoothing a score is at most `ln(n + 4)` for `n` training sentences (about 16 for a
/// million), so the bound only refuses damaged files.
pub const MAX_TRANSITION_SCORE: f64 = 100.0;

/// The weights `w` tried by default when choosing the decoder weight.
pub const DEFAULT_DECODER_WEIGHTS: [f64; 7] = [0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0];

/// Label-transition scores, in [`Label::ALL`] order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transitions {
    /// `start[b] = log P(y_1 = b) - log P(b)`: label `b` as an article's first sentence.
    pub start: [f64; K],
    /// `pairs[a][b] = log P(y_t = b | y_{t-1} = a) - log P(b)`.
    pub pairs: [[f64; K]; K],
}

impl Transitions {
    /// Estimates the scores from gold label sequences, one per article in sentence order,
    /// with add-one smoothing of every count (so unseen transitions get a finite score, and
    /// no data at all gives all zeros).
    pub fn estimate<I, S>(articles: I) -> Transitions
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[Label]>,
    {
        let mut label = [0u64; K];
        let mut first = [0u64; K];
        let mut pair = [[0u64; K]; K];
        let mut n_articles = 0u64;
        for seq in articles {
            let seq = seq.as_ref();
            let Some(y0) = seq.first() else { continue };
            n_articles += 1;
            first[y0.index()] += 1;
            for y in seq {
                label[y.index()] += 1;
            }
            for w in seq.windows(2) {
                pair[w[0].index()][w[1].index()] += 1;
            }
        }
        let k = K as f64;
        let n: u64 = label.iter().sum();
        let log_prior: [f64; K] =
            std::array::from_fn(|b| ((label[b] as f64 + 1.0) / (n as f64 + k)).ln());
        let start = std::array::from_fn(|b| {
            ((first[b] as f64 + 1.0) / (n_articles as f64 + k)).ln() - log_prior[b]
        });
        let pairs = std::array::from_fn(|a| {
            let from: u64 = pair[a].iter().sum();
            std::array::from_fn(|b| {
                ((pair[a][b] as f64 + 1.0) / (from as f64 + k)).ln() - log_prior[b]
            })
        });
        Transitions { start, pairs }
    }

    /// Estimates the scores from labelled examples: grouped by article, each article's
    /// sentences in index order.
    pub fn from_examples<'e>(examples: impl IntoIterator<Item = &'e Example>) -> Transitions {
        let mut by_article: BTreeMap<&str, Vec<(usize, Label)>> = BTreeMap::new();
        for e in examples {
            by_article
                .entry(e.article.as_str())
                .or_default()
                .push((e.index, e.label));
        }
        Transitions::estimate(by_article.into_values().map(|mut v| {
            v.sort_by_key(|&(i, _)| i);
            v.into_iter().map(|(_, l)| l).collect::<Vec<Label>>()
        }))
    }

    /// Every score finite and within [`MAX_TRANSITION_SCORE`].
    fn check(&self) -> Result<(), ModelError> {
        let named = self
            .start
            .iter()
            .enumerate()
            .map(|(b, v)| (format!("start score of `{}`", Label::ALL[b]), *v))
            .chain(self.pairs.iter().enumerate().flat_map(|(a, row)| {
                row.iter().enumerate().map(move |(b, v)| {
                    (
                        format!(
                            "transition score `{}` -> `{}`",
                            Label::ALL[a],
                            Label::ALL[b]
                        ),
                        *v,
                    )
                })
            }));
        for (name, v) in named {
            if !(v.is_finite() && v.abs() <= MAX_TRANSITION_SCORE) {
                return Err(ModelError::OutOfRange(format!(
                    "the decoder's {name} is {v:e}; a transition score must be finite and within \
                     +-{MAX_TRANSITION_SCORE} (a damaged file: retrain the model)"
                )));
            }
        }
        Ok(())
    }
}

/// How the decoder weight is chosen when training: the candidate weights and the number of
/// article-grouped folds of the inner cross-validation (see [`crate::evaluate::fit_decoder`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecoderParams {
    /// Candidate weights `w` (each finite, 0 to [`MAX_DECODER_WEIGHT`]).
    pub weights: Vec<f64>,
    /// Folds (of whole articles) of the inner cross-validation, at least 2.
    pub inner_folds: usize,
}

impl Default for DecoderParams {
    fn default() -> Self {
        DecoderParams {
            weights: DEFAULT_DECODER_WEIGHTS.to_vec(),
            inner_folds: 5,
        }
    }
}

impl DecoderParams {
    /// Checks the grid is non-empty, every weight is in range, and there are at least 2 folds.
    pub fn validate(&self) -> Result<(), ModelError> {
        if self.weights.is_empty() {
            return Err(ModelError::InvalidParams(
                "the decoder needs at least one candidate weight".into(),
            ));
        }
        if let Some(w) = self
            .weights
            .iter()
            .find(|w| !(0.0..=MAX_DECODER_WEIGHT).contains(*w))
        {
            return Err(ModelError::InvalidParams(format!(
                "decoder weight {w} is not a number from 0 to {MAX_DECODER_WEIGHT}"
            )));
        }
        if self.inner_folds < 2 {
            return Err(ModelError::InvalidParams(format!(
                "the decoder's inner cross-validation needs at least 2 folds (got {})",
                self.inner_folds
            )));
        }
        Ok(())
    }

    /// The candidate weights ascending, without repeats (the order ties are broken in: the
    /// smaller weight wins).
    pub fn sorted_weights(&self) -> Vec<f64> {
        let mut w = self.weights.clone();
        w.sort_by(f64::total_cmp);
        w.dedup();
        w
    }
}

/// The inner cross-validation score of one candidate weight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightScore {
    /// The candidate weight `w`.
    pub weight: f64,
    /// Pooled out-of-fold macro-F1 of the decoded labels.
    pub macro_f1: f64,
}

/// How a decoder's weight was chosen (provenance, stored in the model file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightSelection {
    /// The inner split ("5 grouped folds by article"), or why no choice was possible.
    pub scheme: String,
    /// Each candidate's score, weights ascending (empty when no choice was possible).
    pub scores: Vec<WeightScore>,
}

/// A fitted decoder: transition scores and the weight `w` they get against the model's
/// log-probabilities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decoder {
    /// The weight `w` of the transition scores (0 = the per-sentence argmax).
    pub weight: f64,
    /// Transition scores estimated from the training gold.
    pub transitions: Transitions,
    /// How `weight` was chosen.
    pub selection: WeightSelection,
}

impl Decoder {
    /// The decoded labels of one article's sentences, given in order with their
    /// probabilities in [`Label::ALL`] order; exact ties go to the label that comes first in
    /// `order` (a permutation of [`Label::ALL`]). See [`viterbi`].
    pub fn decode(&self, probs: &[[f64; K]], order: &[Label; K]) -> Vec<Label> {
        viterbi(probs, &self.transitions, self.weight, order)
    }

    /// The range checks of a decoder read from a model file: the weight finite and from 0 to
    /// [`MAX_DECODER_WEIGHT`], every transition score within [`MAX_TRANSITION_SCORE`].
    pub fn check(&self) -> Result<(), ModelError> {
        if !(0.0..=MAX_DECODER_WEIGHT).contains(&self.weight) {
            return Err(ModelError::OutOfRange(format!(
                "the decoder weight is {:e}; it must be a number from 0 to {MAX_DECODER_WEIGHT}",
                self.weight
            )));
        }
        self.transitions.check()
    }
}

/// The natural log of a probability; 0 (a label the model never gives) and anything that is
/// not a positive number map to minus infinity, so such a label is never chosen while another
/// is possible.
fn log_prob(p: f64) -> f64 {
    if p > 0.0 {
        p.ln()
    } else {
        f64::NEG_INFINITY
    }
}

/// The position in `order` whose value in `scores` is largest; ties go to the earlier
/// position in `order` (only a strictly larger value replaces the best).
fn best_in_order(order: &[Label; K], score: impl Fn(usize) -> f64) -> usize {
    let mut best = order[0].index();
    let mut best_score = score(best);
    for l in &order[1..] {
        let s = score(l.index());
        if s > best_score {
            best = l.index();
            best_score = s;
        }
    }
    best
}

/// The label sequence maximising `sum_t log p[t][y_t] + weight * (start[y_1] +
/// sum_t pairs[y_{t-1}][y_t])` (Viterbi), for one article's sentences in order.
///
/// Exact ties go to the label first in `order`, both in the final choice and in each
/// back-pointer. Scores are shifted after every step so that the best partial path scores 0:
/// the numbers stay small on long articles, and with `weight = 0` every step adds exactly
/// 0, so the result is exactly the per-sentence argmax under the same tie order. Labels with
/// probability 0 are never chosen unless every label has probability 0. Pure and
/// deterministic; an empty article gives an empty sequence.
pub fn viterbi(
    probs: &[[f64; K]],
    transitions: &Transitions,
    weight: f64,
    order: &[Label; K],
) -> Vec<Label> {
    let n = probs.len();
    if n == 0 {
        return Vec::new();
    }
    let normalise = |delta: &mut [f64; K]| {
        let top = delta.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if top.is_finite() {
            for d in delta.iter_mut() {
                *d -= top;
            }
        }
    };
    let mut back: Vec<[usize; K]> = Vec::with_capacity(n - 1);
    let mut delta: [f64; K] =
        std::array::from_fn(|b| log_prob(probs[0][b]) + weight * transitions.start[b]);
    normalise(&mut delta);
    for p in &probs[1..] {
        let mut ptr = [0usize; K];
        let mut next = [0.0; K];
        for b in 0..K {
            let a = best_in_order(order, |a| delta[a] + weight * transitions.pairs[a][b]);
            ptr[b] = a;
            next[b] = log_prob(p[b]) + (delta[a] + weight * transitions.pairs[a][b]);
        }
        normalise(&mut next);
        delta = next;
        back.push(ptr);
    }
    let mut y = best_in_order(order, |b| delta[b]);
    let mut out = vec![Label::ALL[y]; n];
    for t in (1..n).rev() {
        y = back[t - 1][y];
        out[t - 1] = Label::ALL[y];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use Label::*;

    /// Transitions with one strong pattern: a claim is followed by a denial.
    fn claim_then_denial() -> Transitions {
        let mut pairs = [[0.0; K]; K];
        pairs[RussianClaim.index()][UsDenial.index()] = 2.0;
        pairs[RussianClaim.index()][Context.index()] = -2.0;
        Transitions {
            start: [0.0; K],
            pairs,
        }
    }

    fn argmax_in(order: &[Label; K], p: &[f64; K]) -> Label {
        Label::ALL[best_in_order(order, |k| p[k])]
    }

    /// Hand-computed: sentence 1 is a clear claim, sentence 2 leans context (0.5) over
    /// denial (0.3), sentence 3 is clearly context. Per sentence: claim, context, context.
    /// With w = 1, the path claim -> denial scores ln 0.3 + 2 = 0.796 against claim ->
    /// context ln 0.5 - 2 = -2.693 (the third step adds the same for both, as the pairs from
    /// denial and from context are 0): the transition flips sentence 2 to denial.
    #[test]
    fn a_transition_flips_a_label_hand_computed() {
        let probs = [
            [0.9, 0.04, 0.03, 0.03],
            [0.15, 0.3, 0.05, 0.5],
            [0.05, 0.05, 0.1, 0.8],
        ];
        let t = claim_then_denial();
        assert_eq!(
            viterbi(&probs, &t, 0.0, &Label::ALL),
            vec![RussianClaim, Context, Context]
        );
        assert_eq!(
            viterbi(&probs, &t, 1.0, &Label::ALL),
            vec![RussianClaim, UsDenial, Context]
        );
        // The flip needs w * (2 - -2) > ln 0.5 - ln 0.3 = 0.511: w = 0.1 keeps context, 0.2
        // flips (the first sentence stays a claim: ln 0.9 beats the others by > 3).
        assert_eq!(viterbi(&probs, &t, 0.1, &Label::ALL)[1], Context);
        assert_eq!(viterbi(&probs, &t, 0.2, &Label::ALL)[1], UsDenial);
    }

    /// A pseudo-random probability matrix (xorshift), rows summing to 1, some zeros.
    fn random_probs(n: usize, seed: u64) -> Vec<[f64; K]> {
        let mut s = seed.max(1);
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        (0..n)
            .map(|_| {
                let mut r: [f64; K] = std::array::from_fn(|_| next());
                if next() < 0.2 {
                    r[(next() * K as f64) as usize % K] = 0.0;
                }
                let sum: f64 = r.iter().sum();
                r.map(|v| v / sum)
            })
            .collect()
    }

    #[test]
    fn weight_zero_is_the_argmax_exactly() {
        let t = claim_then_denial();
        let precedence = [UsDenial, ExpertSkepticism, RussianClaim, Context];
        for seed in 1..200 {
            let probs = random_probs(1 + (seed as usize % 40), seed);
            for order in [&Label::ALL, &precedence] {
                let argmax: Vec<Label> = probs.iter().map(|p| argmax_in(order, p)).collect();
                assert_eq!(viterbi(&probs, &t, 0.0, order), argmax, "seed {seed}");
            }
        }
    }

    #[test]
    fn decoding_is_deterministic_and_pure() {
        let probs = random_probs(300, 7);
        let gold: Vec<Vec<Label>> = vec![
            vec![RussianClaim, RussianClaim, UsDenial, Context],
            vec![Context, RussianClaim, ExpertSkepticism],
        ];
        let t = Transitions::estimate(&gold);
        let a = viterbi(&probs, &t, 1.5, &Label::ALL);
        let b = viterbi(&probs, &t, 1.5, &Label::ALL);
        assert_eq!(a, b);
        assert_eq!(a.len(), 300);
        // A strong weight changes some labels on this data (the test would pass vacuously
        // if the transitions were ignored).
        let argmax: Vec<Label> = probs.iter().map(|p| argmax_in(&Label::ALL, p)).collect();
        assert_ne!(a, argmax);
        assert!(viterbi(&[], &t, 1.0, &Label::ALL).is_empty());
    }

    #[test]
    fn ties_go_to_the_first_label_in_the_given_order() {
        let flat = Transitions {
            start: [0.0; K],
            pairs: [[0.0; K]; K],
        };
        let probs = [[0.4, 0.4, 0.1, 0.1], [0.25; K]];
        assert_eq!(
            viterbi(&probs, &flat, 1.0, &Label::ALL),
            vec![RussianClaim, RussianClaim]
        );
        let precedence = [UsDenial, ExpertSkepticism, RussianClaim, Context];
        assert_eq!(
            viterbi(&probs, &flat, 1.0, &precedence),
            vec![UsDenial, UsDenial]
        );
        // Two paths with the same total: claim->claim and denial->denial score the same, the
        // back-pointer follows the order too.
        let mut pairs = [[0.0; K]; K];
        pairs[0][0] = 1.0;
        pairs[1][1] = 1.0;
        let sticky = Transitions {
            start: [0.0; K],
            pairs,
        };
        let tie = [[0.5, 0.5, 0.0, 0.0], [0.5, 0.5, 0.0, 0.0]];
        assert_eq!(
            viterbi(&tie, &sticky, 1.0, &Label::ALL),
            vec![RussianClaim, RussianClaim]
        );
        assert_eq!(
            viterbi(&tie, &sticky, 1.0, &precedence),
            vec![UsDenial, UsDenial]
        );
    }

    #[test]
    fn labels_with_probability_zero_are_never_chosen() {
        // A huge pull toward denial cannot pick a label the model rules out.
        let mut pairs = [[0.0; K]; K];
        pairs[0][1] = 50.0;
        let t = Transitions {
            start: [0.0; K],
            pairs,
        };
        let probs = [[1.0, 0.0, 0.0, 0.0], [0.5, 0.0, 0.0, 0.5]];
        assert_eq!(
            viterbi(&probs, &t, 100.0, &Label::ALL),
            vec![RussianClaim, RussianClaim]
        );
    }

    #[test]
    fn transitions_are_smoothed_log_ratios_hand_computed() {
        // Two articles: [claim, denial], [claim]. Label counts claim 2, denial 1 of n = 3;
        // priors (c + 1) / (3 + 4): claim 3/7, denial 2/7, others 1/7. First labels: claim 2
        // of 2 articles: P = 3/6. Pairs from claim: claim->denial 1 of 1: P = 2/5.
        let t = Transitions::estimate(vec![vec![RussianClaim, UsDenial], vec![RussianClaim]]);
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(close(t.start[0], (3.0f64 / 6.0).ln() - (3.0f64 / 7.0).ln()));
        assert!(close(t.start[2], (1.0f64 / 6.0).ln() - (1.0f64 / 7.0).ln()));
        assert!(close(
            t.pairs[0][1],
            (2.0f64 / 5.0).ln() - (2.0f64 / 7.0).ln()
        ));
        assert!(close(
            t.pairs[0][3],
            (1.0f64 / 5.0).ln() - (1.0f64 / 7.0).ln()
        ));
        // No transition out of denial: uniform 1/4 against the prior.
        assert!(close(t.pairs[1][0], (0.25f64).ln() - (3.0f64 / 7.0).ln()));
        // No data: every score 0.
        let empty = Transitions::estimate(Vec::<Vec<Label>>::new());
        assert!(empty
            .start
            .iter()
            .chain(empty.pairs.iter().flatten())
            .all(|v| *v == 0.0));
    }

    #[test]
    fn from_examples_orders_sentences_by_index_within_articles() {
        let ex = |article: &str, index: usize, label: Label| Example {
            text: String::new(),
            label,
            article: article.into(),
            outlet: "o".into(),
            index,
            role: crate::sentence::Role::Body,
        };
        // Given out of order and interleaved: the sequences are [claim, denial] and [context].
        let examples = vec![
            ex("a", 1, UsDenial),
            ex("b", 0, Context),
            ex("a", 0, RussianClaim),
        ];
        let t = Transitions::from_examples(&examples);
        let expected = Transitions::estimate(vec![vec![RussianClaim, UsDenial], vec![Context]]);
        assert_eq!(t, expected);
    }

    #[test]
    fn out_of_range_decoders_are_refused() {
        let mut d = Decoder {
            weight: 0.5,
            transitions: claim_then_denial(),
            selection: WeightSelection {
                scheme: "test".into(),
                scores: Vec::new(),
            },
        };
        assert!(d.check().is_ok());
        d.weight = f64::NAN;
        assert!(d.check().is_err());
        d.weight = 0.5;
        d.transitions.pairs[2][3] = f64::INFINITY;
        let e = d.check().unwrap_err().to_string();
        assert!(e.contains("expert_skepticism` -> `context"), "{e}");
        assert!(DecoderParams::default().validate().is_ok());
        for bad in [
            DecoderParams {
                weights: vec![],
                inner_folds: 5,
            },
            DecoderParams {
                weights: vec![-1.0],
                inner_folds: 5,
            },
            DecoderParams {
                weights: vec![1.0],
                inner_folds: 1,
            },
        ] {
            assert!(bad.validate().is_err());
        }
    }
}
