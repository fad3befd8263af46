//! Probability calibration: temperature scaling of the classifier's scores.
//!
//! A logistic model trained with an L2 penalty (and, for the shipped model, balanced class
//! weights) is not calibrated: on outlets it has never seen, its top probability is lower
//! than how often the top label is right. Temperature scaling (Guo et al., 2017) fixes the
//! scale with one number `T > 0`: the calibrated probabilities are `softmax(z / T)` of the
//! scores `z`, equivalently `p_k^(1/T)` renormalised. Dividing every score by the same
//! positive number keeps their order, so the most probable label of a sentence never changes.
//!
//! [`fit_temperature`] chooses `T` by minimising the log-loss of out-of-fold predictions
//! (the model's own probabilities on sentences it was not trained on): a one-dimensional
//! convex problem, solved by a safeguarded Newton iteration in a fixed order, so the same
//! predictions always give the same `T`, bit for bit.

use super::{ModelError, K};
use crate::label::Label;
use serde::{Deserialize, Serialize};

/// Smallest and largest temperature a model may carry. Outside this range the probabilities
/// would be all but uniform (large `T`) or all but one-hot (small `T`); a fit that wants to go
/// further stops at the bound.
pub const TEMPERATURE_RANGE: (f64, f64) = (0.05, 20.0);

/// A fitted temperature and where it came from (stored in the model file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calibration {
    /// The temperature `T`: calibrated probabilities are `softmax(z / T)`. Below 1 sharpens the
    /// model's probabilities, above 1 flattens them.
    pub temperature: f64,
    /// How the out-of-fold predictions it was fitted on were made.
    pub scheme: String,
    /// Number of out-of-fold sentences it was fitted on.
    pub examples: usize,
    /// Mean log-loss of those predictions before calibration.
    pub log_loss_before: f64,
    /// Mean log-loss of those predictions after calibration.
    pub log_loss_after: f64,
}

impl Calibration {
    /// Checks the temperature is a finite number inside [`TEMPERATURE_RANGE`].
    pub fn check(&self) -> Result<(), ModelError> {
        let (lo, hi) = TEMPERATURE_RANGE;
        if !self.temperature.is_finite() || !(lo..=hi).contains(&self.temperature) {
            return Err(ModelError::InvalidParams(format!(
                "calibration temperature {} is not a number from {lo} to {hi}",
                self.temperature
            )));
        }
        Ok(())
    }

    /// The calibrated version of a probability vector (the identity for `T = 1`). Labels with
    /// probability 0 keep it; a vector that is not a distribution is returned unchanged.
    pub fn apply(&self, probs: &[f64; K]) -> [f64; K] {
        scale(probs, 1.0 / self.temperature)
    }
}

/// `p_k^t` renormalised over the labels with non-zero probability, computed in log space.
fn scale(probs: &[f64; K], t: f64) -> [f64; K] {
    if t == 1.0 {
        return *probs;
    }
    let logs: [f64; K] = probs.map(|p| {
        if p > 0.0 {
            p.ln() * t
        } else {
            f64::NEG_INFINITY
        }
    });
    let m = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return *probs;
    }
    let mut out = [0.0; K];
    let mut sum = 0.0;
    for k in 0..K {
        if logs[k].is_finite() {
            out[k] = (logs[k] - m).exp();
            sum += out[k];
        }
    }
    for v in &mut out {
        *v /= sum;
    }
    out
}

/// Mean log-loss of `probs` against `gold` after scaling by `t` (`p^t` renormalised), with its
/// first and second derivatives in `t`. Rows whose gold label has probability 0 are skipped
/// (they carry no information about the scale). Returns `(loss, d1, d2, rows used)`.
fn loss_derivatives(probs: &[[f64; K]], gold: &[Label], t: f64) -> (f64, f64, f64, usize) {
    let (mut loss, mut d1, mut d2, mut n) = (0.0, 0.0, 0.0, 0usize);
    for (p, g) in probs.iter().zip(gold) {
        let y = g.index();
        if p[y] <= 0.0 {
            continue;
        }
        let l: [f64; K] = p.map(|q| if q > 0.0 { q.ln() } else { f64::NEG_INFINITY });
        let m = l
            .iter()
            .copied()
            .filter(|v| v.is_finite())
            .fold(f64::NEG_INFINITY, f64::max);
        // q = softmax(t * l); loss = -t*l_y + log sum exp(t*l).
        let mut z = 0.0;
        let mut e1 = 0.0;
        let mut e2 = 0.0;
        for &lk in &l {
            if lk.is_finite() {
                let w = (t * (lk - m)).exp();
                z += w;
                e1 += w * (lk - m);
                e2 += w * (lk - m) * (lk - m);
            }
        }
        let mean = e1 / z;
        let var = (e2 / z - mean * mean).max(0.0);
        loss += -t * (l[y] - m) + z.ln();
        d1 += mean - (l[y] - m);
        d2 += var;
        n += 1;
    }
    if n == 0 {
        return (0.0, 0.0, 0.0, 0);
    }
    let nf = n as f64;
    (loss / nf, d1 / nf, d2 / nf, n)
}

/// The mean log-loss of probability vectors against gold labels (rows whose gold label has
/// probability 0 count with the probability floored at `1e-15`, as scikit-learn does).
pub fn log_loss(probs: &[[f64; K]], gold: &[Label]) -> f64 {
    if probs.is_empty() {
        return 0.0;
    }
    let s: f64 = probs
        .iter()
        .zip(gold)
        .map(|(p, g)| -p[g.index()].clamp(1e-15, 1.0).ln())
        .sum();
    s / probs.len() as f64
}

/// Fits the temperature that minimises the log-loss of out-of-fold `probs` (the model's
/// uncalibrated probabilities) against their `gold` labels. `scheme` says how the
/// predictions were made (stored with the result).
///
/// The loss is convex in `1/T`; a Newton iteration from `T = 1`, kept inside the bracket of
/// [`TEMPERATURE_RANGE`] by bisection, converges in a handful of steps. With no usable row
/// (no predictions, or every gold label at probability 0) the result is `T = 1`.
pub fn fit_temperature(probs: &[[f64; K]], gold: &[Label], scheme: &str) -> Calibration {
    assert_eq!(probs.len(), gold.len(), "one gold label per prediction");
    let (lo_t, hi_t) = TEMPERATURE_RANGE;
    // Work in t = 1/T.
    let (mut lo, mut hi) = (1.0 / hi_t, 1.0 / lo_t);
    let mut t = 1.0;
    let (_, _, _, used) = loss_derivatives(probs, gold, t);
    if used > 0 {
        for _ in 0..100 {
            let (_, d1, d2, _) = loss_derivatives(probs, gold, t);
            if d1 > 0.0 {
                hi = t;
            } else {
                lo = t;
            }
            if d1.abs() < 1e-12 || hi - lo < 1e-12 {
                break;
            }
            let newton = if d2 > 0.0 { t - d1 / d2 } else { f64::NAN };
            t = if newton.is_finite() && newton > lo && newton < hi {
                newton
            } else {
                0.5 * (lo + hi)
            };
        }
        t = t.clamp(1.0 / hi_t, 1.0 / lo_t);
    }
    let calibration = Calibration {
        temperature: 1.0 / t,
        scheme: scheme.to_string(),
        examples: used,
        log_loss_before: log_loss(probs, gold),
        log_loss_after: 0.0,
    };
    let after: Vec<[f64; K]> = probs.iter().map(|p| calibration.apply(p)).collect();
    Calibration {
        log_loss_after: log_loss(&after, gold),
        ..calibration
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use Label::*;

    fn dist(a: f64, b: f64, c: f64) -> [f64; K] {
        let d = 1.0 - a - b - c;
        [a, b, c, d]
    }

    #[test]
    fn apply_keeps_the_order_and_sums_to_one() {
        let cal = Calibration {
            temperature: 0.5,
            scheme: String::new(),
            examples: 0,
            log_loss_before: 0.0,
            log_loss_after: 0.0,
        };
        let p = dist(0.5, 0.3, 0.15);
        let q = cal.apply(&p);
        assert!((q.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(q[0] > p[0], "T < 1 sharpens: {q:?}");
        assert!(q[0] > q[1] && q[1] > q[2] && q[2] > q[3]);
        // p^2 renormalised.
        let s: f64 = p.iter().map(|v| v * v).sum();
        assert!((q[0] - 0.25 / s).abs() < 1e-12);
    }

    #[test]
    fn zero_probabilities_stay_zero() {
        let cal = Calibration {
            temperature: 2.0,
            scheme: String::new(),
            examples: 0,
            log_loss_before: 0.0,
            log_loss_after: 0.0,
        };
        let q = cal.apply(&[0.6, 0.0, 0.4, 0.0]);
        assert_eq!(q[1], 0.0);
        assert_eq!(q[3], 0.0);
        assert!(q[0] > 0.5 && q[0] < 0.6, "T > 1 flattens: {q:?}");
    }

    /// Predictions drawn from sharp "true" probabilities but reported flattened (p^(1/2)):
    /// the fit must find T close to 1/2 and lower the log-loss.
    #[test]
    fn recovers_a_known_temperature() {
        let labels = [RussianClaim, UsDenial, ExpertSkepticism, Context];
        let mut state = 12345u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let (mut probs, mut gold) = (Vec::new(), Vec::new());
        for _ in 0..20_000 {
            let raw: [f64; K] = std::array::from_fn(|_| next() * 4.0);
            let truth = softmax(&raw);
            let u = next();
            let mut acc = 0.0;
            let mut y = 3;
            for (k, t) in truth.iter().enumerate() {
                acc += t;
                if u < acc {
                    y = k;
                    break;
                }
            }
            // Reported: softmax(raw / 2), i.e. too flat.
            probs.push(softmax(&raw.map(|v| v / 2.0)));
            gold.push(labels[y]);
        }
        let cal = fit_temperature(&probs, &gold, "test");
        assert!(
            (cal.temperature - 0.5).abs() < 0.03,
            "temperature {}",
            cal.temperature
        );
        assert!(cal.log_loss_after < cal.log_loss_before);
        assert_eq!(cal.examples, 20_000);
    }

    fn softmax(z: &[f64; K]) -> [f64; K] {
        let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let e = z.map(|v| (v - m).exp());
        let s: f64 = e.iter().sum();
        e.map(|v| v / s)
    }

    #[test]
    fn no_usable_rows_give_the_identity() {
        let cal = fit_temperature(&[], &[], "none");
        assert_eq!(cal.temperature, 1.0);
        let cal = fit_temperature(&[[1.0, 0.0, 0.0, 0.0]], &[UsDenial], "zero");
        assert_eq!(cal.temperature, 1.0);
        assert_eq!(cal.examples, 0);
    }

    #[test]
    fn check_rejects_out_of_range_temperatures() {
        for t in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e9] {
            let cal = Calibration {
                temperature: t,
                scheme: String::new(),
                examples: 0,
                log_loss_before: 0.0,
                log_loss_after: 0.0,
            };
            assert!(cal.check().is_err(), "{t}");
        }
    }

    proptest! {
        /// The fitted temperature never raises the log-loss on the data it was fitted on, and
        /// calibration never changes which label is most probable.
        #[test]
        fn fit_never_worsens_and_keeps_argmax(
            rows in proptest::collection::vec((0.01f64..1.0, 0.01f64..1.0, 0.01f64..1.0, 0.01f64..1.0, 0usize..4), 1..60)
        ) {
            let labels = [RussianClaim, UsDenial, ExpertSkepticism, Context];
            let probs: Vec<[f64; K]> = rows.iter().map(|&(a, b, c, d, _)| {
                let s = a + b + c + d;
                [a / s, b / s, c / s, d / s]
            }).collect();
            let gold: Vec<Label> = rows.iter().map(|r| labels[r.4]).collect();
            let cal = fit_temperature(&probs, &gold, "prop");
            prop_assert!(cal.check().is_ok());
            prop_assert!(cal.log_loss_after <= cal.log_loss_before + 1e-9,
                "{} > {}", cal.log_loss_after, cal.log_loss_before);
            for p in &probs {
                let q = cal.apply(p);
                let am = |v: &[f64; K]| (0..K).fold(0, |b, i| if v[i] > v[b] { i } else { b });
                prop_assert_eq!(am(p), am(&q));
                prop_assert!((q.iter().sum::<f64>() - 1.0).abs() < 1e-9);
            }
        }
    }
}
