//! How far predicted probabilities are from observed frequencies: log-loss, Brier score,
//! expected calibration error (top-label and per class), the reliability table behind them,
//! and the reliability diagram as a self-contained SVG.
//!
//! Definitions (the usual ones, so the figures compare with other tools):
//! - **log-loss**: mean of `-ln p(gold)`, with `p` floored at `1e-15` (as scikit-learn);
//! - **Brier score**: mean over sentences of the squared distance between the probability
//!   vector and the one-hot gold vector, summed over the four labels (0 is perfect, 2 worst);
//! - **ECE** (top-label): sentences binned by their top probability into [`BINS`] equal-width
//!   bins; the mean over bins, weighted by their share of sentences, of
//!   `|accuracy - mean top probability|` (Guo et al., 2017);
//! - **class-wise ECE**: the same for each label's own probability against whether the gold
//!   label is that label, averaged over the four labels.

use crate::label::Label;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// Number of equal-width probability bins of the ECE and the reliability diagram.
pub const BINS: usize = 15;

/// One bin of the reliability table (top-label probabilities in `(lo, hi]`; the first bin
/// also holds 0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReliabilityBin {
    /// Lower edge.
    pub lo: f64,
    /// Upper edge.
    pub hi: f64,
    /// Sentences whose top probability falls in the bin.
    pub count: usize,
    /// Mean top probability of those sentences (0 when empty).
    pub confidence: f64,
    /// Share of those sentences whose top label is the gold label (0 when empty).
    pub accuracy: f64,
}

/// Probability-quality figures of a set of predictions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbabilityMetrics {
    /// Sentences measured.
    pub examples: usize,
    /// Mean log-loss.
    pub log_loss: f64,
    /// Mean multi-class Brier score.
    pub brier: f64,
    /// Top-label expected calibration error.
    pub ece: f64,
    /// Class-wise expected calibration error (mean over the labels).
    pub classwise_ece: f64,
    /// Mean top probability.
    pub mean_confidence: f64,
    /// Share of sentences whose top label is right.
    pub accuracy: f64,
    /// The top-label reliability table.
    pub bins: Vec<ReliabilityBin>,
}

fn bin_of(p: f64) -> usize {
    // (lo, hi] bins; 0 goes to the first.
    let b = (p * BINS as f64).ceil() as usize;
    b.clamp(1, BINS) - 1
}

fn top(p: &[f64; 4]) -> usize {
    (0..4).fold(0, |b, i| if p[i] > p[b] { i } else { b })
}

/// Weighted mean gap of a binned table: `sum_b n_b/n * |acc_b - conf_b|`.
fn ece_of(conf_sum: &[f64], hit_sum: &[f64], counts: &[usize], n: usize) -> f64 {
    let mut e = 0.0;
    for b in 0..counts.len() {
        if counts[b] > 0 {
            let c = counts[b] as f64;
            e += c / n as f64 * (hit_sum[b] / c - conf_sum[b] / c).abs();
        }
    }
    e
}

impl ProbabilityMetrics {
    /// Measures `probs` (one vector per sentence, in [`Label::ALL`] order) against `gold`.
    pub fn measure(probs: &[[f64; 4]], gold: &[Label]) -> ProbabilityMetrics {
        assert_eq!(probs.len(), gold.len(), "one gold label per prediction");
        let n = probs.len();
        let mut counts = vec![0usize; BINS];
        let mut conf_sum = vec![0.0; BINS];
        let mut hit_sum = vec![0.0; BINS];
        let mut class_counts = vec![vec![0usize; BINS]; 4];
        let mut class_conf = vec![vec![0.0; BINS]; 4];
        let mut class_hit = vec![vec![0.0; BINS]; 4];
        let (mut ll, mut brier, mut conf_total, mut hits) = (0.0, 0.0, 0.0, 0usize);
        for (p, g) in probs.iter().zip(gold) {
            let y = g.index();
            ll += -p[y].clamp(1e-15, 1.0).ln();
            for (k, &pk) in p.iter().enumerate() {
                let t = if k == y { 1.0 } else { 0.0 };
                brier += (pk - t) * (pk - t);
                let b = bin_of(pk);
                class_counts[k][b] += 1;
                class_conf[k][b] += pk;
                class_hit[k][b] += t;
            }
            let k = top(p);
            let b = bin_of(p[k]);
            counts[b] += 1;
            conf_sum[b] += p[k];
            conf_total += p[k];
            if k == y {
                hit_sum[b] += 1.0;
                hits += 1;
            }
        }
        let nf = n.max(1) as f64;
        let bins = (0..BINS)
            .map(|b| {
                let c = counts[b];
                ReliabilityBin {
                    lo: b as f64 / BINS as f64,
                    hi: (b + 1) as f64 / BINS as f64,
                    count: c,
                    confidence: if c > 0 { conf_sum[b] / c as f64 } else { 0.0 },
                    accuracy: if c > 0 { hit_sum[b] / c as f64 } else { 0.0 },
                }
            })
            .collect();
        let classwise = (0..4)
            .map(|k| ece_of(&class_conf[k], &class_hit[k], &class_counts[k], n.max(1)))
            .sum::<f64>()
            / 4.0;
        ProbabilityMetrics {
            examples: n,
            log_loss: ll / nf,
            brier: brier / nf,
            ece: ece_of(&conf_sum, &hit_sum, &counts, n.max(1)),
            classwise_ece: classwise,
            mean_confidence: conf_total / nf,
            accuracy: hits as f64 / nf,
            bins,
        }
    }

    /// One line: `ECE 0.012 (class-wise 0.015), log-loss 0.626, Brier 0.342; mean top
    /// probability 0.71 vs accuracy 0.72`.
    pub fn summary(&self) -> String {
        format!(
            "ECE {:.3} (class-wise {:.3}), log-loss {:.3}, Brier {:.3}; mean top probability {:.3} vs accuracy {:.3}",
            self.ece, self.classwise_ece, self.log_loss, self.brier, self.mean_confidence, self.accuracy
        )
    }
}

/// The reliability diagram of one or two sets of predictions as a self-contained SVG: for
/// each bin, the accuracy against the mean top probability (a dot sized by the bin's share of
/// sentences), the diagonal of perfect calibration, the ECE of each series in the legend, and
/// a histogram of top probabilities underneath. `series` pairs a name with its metrics
/// (names are escaped). Scales to its container (`viewBox`, width 100%).
pub fn reliability_svg(title: &str, series: &[(&str, &ProbabilityMetrics)]) -> String {
    const W: f64 = 480.0;
    const H: f64 = 560.0;
    const L: f64 = 60.0; // plot left
    const T: f64 = 50.0; // plot top
    const S: f64 = 380.0; // plot side
    const HIST_TOP: f64 = 460.0;
    const HIST_H: f64 = 60.0;
    let colours = ["#7a5195", "#ef5675", "#ffa600", "#003f5c"];
    let x = |v: f64| L + v * S;
    let y = |v: f64| T + (1.0 - v) * S;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" width=\"100%\" \
         style=\"max-width:{W}px;font-family:sans-serif;font-size:12px\" role=\"img\" \
         aria-label=\"{}\">",
        escape(title)
    );
    let _ = write!(s, "<rect width=\"{W}\" height=\"{H}\" fill=\"#fff\"/>");
    let _ = write!(
        s,
        "<text x=\"{}\" y=\"24\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">{}</text>",
        W / 2.0,
        escape(title)
    );
    // Axes and grid.
    for i in 0..=5 {
        let v = i as f64 / 5.0;
        let _ = write!(
            s,
            "<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"#eee\"/>\
             <line x1=\"{3}\" y1=\"{4}\" x2=\"{3}\" y2=\"{5}\" stroke=\"#eee\"/>\
             <text x=\"{6}\" y=\"{7}\" text-anchor=\"end\">{8:.1}</text>\
             <text x=\"{3}\" y=\"{9}\" text-anchor=\"middle\">{8:.1}</text>",
            x(0.0),
            y(v),
            x(1.0),
            x(v),
            y(0.0),
            y(1.0),
            x(0.0) - 6.0,
            y(v) + 4.0,
            v,
            y(0.0) + 16.0
        );
    }
    let _ = write!(
        s,
        "<rect x=\"{}\" y=\"{}\" width=\"{S}\" height=\"{S}\" fill=\"none\" stroke=\"#333\"/>\
         <line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#999\" stroke-dasharray=\"4 4\"/>",
        x(0.0),
        y(1.0),
        x(0.0),
        y(0.0),
        x(1.0),
        y(1.0)
    );
    let _ = write!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">mean top probability in the bin</text>\
         <text transform=\"translate(16 {}) rotate(-90)\" text-anchor=\"middle\">share correct</text>",
        x(0.5),
        y(0.0) + 34.0,
        y(0.5)
    );
    // Series.
    let max_share = series
        .iter()
        .flat_map(|(_, m)| {
            m.bins
                .iter()
                .map(move |b| b.count as f64 / m.examples.max(1) as f64)
        })
        .fold(0.0f64, f64::max)
        .max(1e-9);
    for (i, (name, m)) in series.iter().enumerate() {
        let c = colours[i % colours.len()];
        let pts: Vec<String> = m
            .bins
            .iter()
            .filter(|b| b.count > 0)
            .map(|b| format!("{:.1},{:.1}", x(b.confidence), y(b.accuracy)))
            .collect();
        let _ = write!(
            s,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{c}\" stroke-width=\"2\"/>",
            pts.join(" ")
        );
        for b in m.bins.iter().filter(|b| b.count > 0) {
            let share = b.count as f64 / m.examples.max(1) as f64;
            let r = 2.5 + 7.0 * (share / max_share).sqrt();
            let _ = write!(
                s,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"{r:.1}\" fill=\"{c}\" fill-opacity=\"0.6\">\
                 <title>{}: {} sentences, mean probability {:.3}, correct {:.3}</title></circle>",
                x(b.confidence),
                y(b.accuracy),
                escape(name),
                b.count,
                b.confidence,
                b.accuracy
            );
        }
        // Legend.
        let ly = T + 14.0 + 18.0 * i as f64;
        let _ = write!(
            s,
            "<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{c}\"/>\
             <text x=\"{}\" y=\"{}\">{} (ECE {:.3})</text>",
            x(0.0) + 10.0,
            ly - 10.0,
            x(0.0) + 28.0,
            ly,
            escape(name),
            m.ece
        );
        // Histogram of top probabilities (bars side by side per bin).
        let bw = S / BINS as f64 / series.len() as f64;
        for (b, bin) in m.bins.iter().enumerate() {
            let share = bin.count as f64 / m.examples.max(1) as f64;
            let h = HIST_H * share / max_share;
            let _ = write!(
                s,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{c}\" fill-opacity=\"0.6\"/>",
                x(b as f64 / BINS as f64) + bw * i as f64,
                HIST_TOP + HIST_H - h,
                bw
            );
        }
    }
    let _ = write!(
        s,
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">sentences per bin of top probability (0 to 1)</text>",
        x(0.0),
        HIST_TOP + HIST_H,
        x(1.0),
        HIST_TOP + HIST_H,
        x(0.5),
        HIST_TOP + HIST_H + 18.0
    );
    s.push_str("</svg>\n");
    s
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use Label::*;

    #[test]
    fn perfect_one_hot_predictions() {
        let probs = [[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]];
        let m = ProbabilityMetrics::measure(&probs, &[RussianClaim, Context]);
        assert!(m.log_loss < 1e-12);
        assert_eq!(m.brier, 0.0);
        assert_eq!(m.ece, 0.0);
        assert_eq!(m.accuracy, 1.0);
        assert_eq!(m.bins[BINS - 1].count, 2);
    }

    #[test]
    fn known_values() {
        // Two sentences at top probability 0.7, one right, one wrong: accuracy 0.5, gap 0.2.
        let probs = [[0.7, 0.1, 0.1, 0.1], [0.7, 0.1, 0.1, 0.1]];
        let m = ProbabilityMetrics::measure(&probs, &[RussianClaim, UsDenial]);
        assert!((m.ece - 0.2).abs() < 1e-12, "{}", m.ece);
        let ll = (-(0.7f64).ln() - (0.1f64).ln()) / 2.0;
        assert!((m.log_loss - ll).abs() < 1e-12);
        // Brier: (0.09+0.01+0.01+0.01) + (0.49+0.81+0.01+0.01), mean.
        assert!((m.brier - (0.12 + 1.32) / 2.0).abs() < 1e-12, "{}", m.brier);
        assert_eq!(m.bins.iter().map(|b| b.count).sum::<usize>(), 2);
        let b = &m.bins[bin_of(0.7)];
        assert_eq!(b.count, 2);
        assert!((b.accuracy - 0.5).abs() < 1e-12);
    }

    #[test]
    fn bins_are_half_open_from_above() {
        assert_eq!(bin_of(0.0), 0);
        assert_eq!(bin_of(1.0 / BINS as f64), 0);
        assert_eq!(bin_of(1.0), BINS - 1);
        assert_eq!(bin_of(0.5), (BINS as f64 * 0.5).ceil() as usize - 1);
    }

    #[test]
    fn svg_is_self_contained_and_escapes_names() {
        let probs = [[0.7, 0.1, 0.1, 0.1], [0.4, 0.3, 0.2, 0.1]];
        let m = ProbabilityMetrics::measure(&probs, &[RussianClaim, UsDenial]);
        let svg = reliability_svg("held-out <outlets>", &[("a<b>", &m), ("c", &m)]);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox="));
        assert!(svg.contains("held-out &lt;outlets&gt;"));
        assert!(svg.contains("a&lt;b&gt; (ECE"));
        assert!(!svg.contains("<b>"));
        assert!(!svg.contains("href"), "no external resources");
        assert_eq!(svg.matches("<circle").count(), 4);
    }
}
