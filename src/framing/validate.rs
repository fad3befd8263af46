//! Validation of the framing score against people: the human framing reference
//! (`data/framing-reference.tsv`), rank agreement (Spearman, Kendall tau-b) with bootstrap
//! intervals, mean absolute error, the development / held-out split of outlets, and the
//! articles the score ranks worst. Scores come from the caller (cross-fitted model
//! probabilities, or gold labels for an oracle run); nothing here trains, reads articles or
//! prints.

use super::rng::Rng;
use super::{influences, score_units, stance_units, FramingError, FramingParams, Hedges};
use crate::label::Label;
use crate::sentence::ScoredSentence;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};

/// Errors reading a framing reference.
#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    /// A line that does not parse.
    #[error("{file}:{line}: {message}")]
    Bad {
        /// The reference file.
        file: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// One article of the reference: what people scored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceEntry {
    /// Article id (the file stem).
    pub article: String,
    /// Outlet name.
    pub outlet: String,
    /// The reference score in [-1, 1] (mean of the raters, or adjudicated).
    pub score: f64,
    /// Each rater's score.
    pub raters: Vec<f64>,
}

/// The human framing reference: article id -> entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FramingReference {
    /// Entries by article id.
    pub entries: BTreeMap<String, ReferenceEntry>,
}

impl FramingReference {
    /// Parses the tab-separated reference (`#` comment lines; a header naming at least
    /// `article`, `outlet` and `reference`; rater columns `rater1`, `rater2`, ... optional).
    pub fn parse(text: &str, file: &str) -> Result<FramingReference, ReferenceError> {
        let bad = |line: usize, message: String| ReferenceError::Bad {
            file: file.to_string(),
            line,
            message,
        };
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(b'\t')
            .comment(Some(b'#'))
            .flexible(true)
            .from_reader(text.as_bytes());
        let headers = rdr
            .headers()
            .map_err(|e| bad(1, format!("cannot read the header ({e})")))?
            .clone();
        let col = |name: &str| headers.iter().position(|h| h == name);
        let (Some(ca), Some(co), Some(cr)) = (col("article"), col("outlet"), col("reference"))
        else {
            return Err(bad(
                1,
                "the header must name the columns `article`, `outlet` and `reference`".into(),
            ));
        };
        let raters: Vec<usize> = headers
            .iter()
            .enumerate()
            .filter(|(_, h)| h.starts_with("rater"))
            .map(|(i, _)| i)
            .collect();
        let mut entries = BTreeMap::new();
        for rec in rdr.records() {
            let rec = rec.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line() as usize);
                bad(line, format!("not a reference line ({e})"))
            })?;
            let line = rec.position().map_or(0, |p| p.line() as usize);
            let num = |i: usize, what: &str| -> Result<f64, ReferenceError> {
                let v: f64 = rec
                    .get(i)
                    .unwrap_or("")
                    .trim()
                    .parse()
                    .map_err(|_| bad(line, format!("`{what}` is not a number")))?;
                if !(-1.0..=1.0).contains(&v) {
                    return Err(bad(line, format!("`{what}` {v} is outside [-1, 1]")));
                }
                Ok(v)
            };
            let article = rec.get(ca).unwrap_or("").trim().to_string();
            if article.is_empty() {
                return Err(bad(line, "empty `article`".into()));
            }
            let entry = ReferenceEntry {
                outlet: rec.get(co).unwrap_or("").trim().to_string(),
                score: num(cr, "reference")?,
                raters: raters
                    .iter()
                    .map(|&i| num(i, &headers[i]))
                    .collect::<Result<_, _>>()?,
                article: article.clone(),
            };
            if entries.insert(article.clone(), entry).is_some() {
                return Err(bad(line, format!("article `{article}` is listed twice")));
            }
        }
        if entries.is_empty() {
            return Err(bad(0, "no reference lines".into()));
        }
        Ok(FramingReference { entries })
    }
}

/// Which half of the outlets an outlet belongs to: development (an even SHA-256 of its name)
/// or held out. The split used for every modelling choice (docs/MODEL.md).
pub fn is_development_outlet(outlet: &str) -> bool {
    Sha256::digest(outlet.as_bytes())[31] % 2 == 0
}

/// A sentence that moved an article's score: its index, stance, influence (the score minus
/// the score without it) and text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceLine {
    /// Sentence index.
    pub index: usize,
    /// The stance with the highest probability.
    pub label: Label,
    /// Leave-one-out influence on the article score.
    pub influence: f64,
    /// The sentence.
    pub text: String,
}

/// One article scored by the formula, with what explains its score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleScore {
    /// Article id.
    pub article: String,
    /// Outlet name.
    pub outlet: String,
    /// The product's score.
    pub score: f64,
    /// The sentences that moved the score most.
    pub evidence: Vec<EvidenceLine>,
}

/// An article's score beside the people's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoredReferenceArticle {
    /// Article id.
    pub article: String,
    /// Outlet name.
    pub outlet: String,
    /// The product's score.
    pub score: f64,
    /// The people's score.
    pub reference: f64,
    /// The sentences that moved the product's score most.
    pub evidence: Vec<EvidenceLine>,
}

/// Scores articles given their sentences and probabilities, one article per entry.
pub fn score_articles(
    articles: &[(String, String, Vec<ScoredSentence>)],
    params: &FramingParams,
    hedges: &Hedges,
) -> Result<Vec<ArticleScore>, FramingError> {
    let mut out = Vec::with_capacity(articles.len());
    for (id, outlet, sentences) in articles {
        let units = stance_units(id, sentences, params, hedges)?;
        let framing = score_units(&units, params);
        let infl = influences(&units, params);
        let mut evidence: Vec<EvidenceLine> = units
            .iter()
            .zip(&infl)
            .map(|(u, &influence)| EvidenceLine {
                index: u.index,
                label: u.stance,
                influence,
                text: sentences
                    .iter()
                    .find(|s| s.index == u.index)
                    .map(|s| s.text.clone())
                    .unwrap_or_default(),
            })
            .collect();
        evidence.sort_by(|a, b| {
            b.influence
                .abs()
                .total_cmp(&a.influence.abs())
                .then(a.index.cmp(&b.index))
        });
        evidence.truncate(3);
        out.push(ArticleScore {
            article: id.clone(),
            outlet: outlet.clone(),
            score: framing,
            evidence,
        });
    }
    Ok(out)
}

/// Ranks with ties averaged (1-based ranks are not needed: only differences matter).
fn ranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut r = vec![0.0; v.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && v[order[j + 1]] == v[order[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0;
        for &k in &order[i..=j] {
            r[k] = avg;
        }
        i = j + 1;
    }
    r
}

fn pearson(a: &[f64], b: &[f64]) -> Option<f64> {
    let n = a.len() as f64;
    if a.len() < 2 {
        return None;
    }
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut num, mut da, mut db) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        num += (x - ma) * (y - mb);
        da += (x - ma).powi(2);
        db += (y - mb).powi(2);
    }
    (da > 0.0 && db > 0.0).then(|| num / (da * db).sqrt())
}

/// Spearman's rank correlation (Pearson on tie-averaged ranks); `None` when undefined.
pub fn spearman(a: &[f64], b: &[f64]) -> Option<f64> {
    pearson(&ranks(a), &ranks(b))
}

/// Kendall's tau-b (ties in either variable accounted for); `None` when undefined.
pub fn kendall_tau_b(a: &[f64], b: &[f64]) -> Option<f64> {
    let n = a.len();
    let (mut conc, mut disc, mut ta, mut tb) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for i in 0..n {
        for j in i + 1..n {
            let da = (a[i] - a[j]).signum() * f64::from(a[i] != a[j]);
            let db = (b[i] - b[j]).signum() * f64::from(b[i] != b[j]);
            if da == 0.0 && db == 0.0 {
                continue;
            } else if da == 0.0 {
                ta += 1.0;
            } else if db == 0.0 {
                tb += 1.0;
            } else if da == db {
                conc += 1.0;
            } else {
                disc += 1.0;
            }
        }
    }
    let denom = ((conc + disc + ta) * (conc + disc + tb)).sqrt();
    (denom > 0.0).then(|| (conc - disc) / denom)
}

/// Agreement of the product's scores with the reference on one set of items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    /// Number of items (articles or outlets).
    pub n: usize,
    /// Spearman's rho.
    pub spearman: Option<f64>,
    /// Bootstrap interval of rho (resampling items), at the report's level.
    pub spearman_interval: Option<(f64, f64)>,
    /// Kendall's tau-b.
    pub kendall: Option<f64>,
    /// Bootstrap interval of tau-b.
    pub kendall_interval: Option<(f64, f64)>,
    /// Mean absolute difference between the product's and the people's score.
    pub mae: Option<f64>,
}

/// Measures agreement of `ours` with `theirs` (paired), with `replicates` bootstrap resamples
/// of the items for `level` intervals (seeded: the same inputs give the same intervals).
pub fn agreement(
    ours: &[f64],
    theirs: &[f64],
    level: f64,
    replicates: usize,
    seed: u64,
) -> Agreement {
    let n = ours.len();
    let mae = (n > 0).then(|| {
        ours.iter()
            .zip(theirs)
            .map(|(a, b)| (a - b).abs())
            .sum::<f64>()
            / n as f64
    });
    let mut rng = Rng::new(seed);
    let (mut rhos, mut taus) = (Vec::new(), Vec::new());
    if n >= 3 {
        let (mut a, mut b) = (Vec::with_capacity(n), Vec::with_capacity(n));
        for _ in 0..replicates {
            a.clear();
            b.clear();
            for _ in 0..n {
                let i = ((rng.uniform() * n as f64) as usize).min(n - 1);
                a.push(ours[i]);
                b.push(theirs[i]);
            }
            if let Some(r) = spearman(&a, &b) {
                rhos.push(r);
            }
            if let Some(t) = kendall_tau_b(&a, &b) {
                taus.push(t);
            }
        }
    }
    Agreement {
        n,
        spearman: spearman(ours, theirs),
        spearman_interval: percentile(rhos, level),
        kendall: kendall_tau_b(ours, theirs),
        kendall_interval: percentile(taus, level),
        mae,
    }
}

fn percentile(mut xs: Vec<f64>, level: f64) -> Option<(f64, f64)> {
    if xs.len() < 10 {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    let q = |f: f64| xs[((f * (xs.len() - 1) as f64).round() as usize).min(xs.len() - 1)];
    let a = (1.0 - level) / 2.0;
    Some((q(a), q(1.0 - a)))
}

/// The validation of one set of articles: article level, outlet level (mean scores per
/// outlet), and the worst-ranked articles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Validation {
    /// Which articles: `all`, `development` or `held-out`.
    pub set: String,
    /// Article-level agreement.
    pub articles: Agreement,
    /// Outlet-level agreement (each outlet's mean article score against its mean reference).
    pub outlets: Agreement,
}

/// The whole framing validation: per set of articles, and the worst-ranked articles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FramingValidation {
    /// How the sentences were labelled (`cross-fitted ...` or `gold labels (oracle)`).
    pub labels: String,
    /// Reference articles without a scored article (not in the data given).
    pub missing: Vec<String>,
    /// All, development and held-out outlets.
    pub sets: Vec<Validation>,
    /// Articles whose rank differs most from the reference's, worst first.
    pub worst: Vec<ScoredReferenceArticle>,
    /// Every scored article (for calibration and plots).
    pub scored: Vec<ScoredReferenceArticle>,
}

/// Joins scored articles with the reference and measures agreement on all articles and on the
/// development and held-out halves of the outlets.
pub fn validate(
    scored: Vec<ArticleScore>,
    reference: &FramingReference,
    labels: &str,
    level: f64,
    replicates: usize,
    seed: u64,
    worst: usize,
) -> FramingValidation {
    let by_id: HashMap<&str, usize> = scored
        .iter()
        .enumerate()
        .map(|(i, s)| (s.article.as_str(), i))
        .collect();
    let missing: Vec<String> = reference
        .entries
        .keys()
        .filter(|k| !by_id.contains_key(k.as_str()))
        .cloned()
        .collect();
    let mut joined: Vec<ScoredReferenceArticle> = scored
        .into_iter()
        .filter_map(|a| {
            let r = reference.entries.get(&a.article)?;
            Some(ScoredReferenceArticle {
                reference: r.score,
                article: a.article,
                outlet: a.outlet,
                score: a.score,
                evidence: a.evidence,
            })
        })
        .collect();
    joined.sort_by(|a, b| a.article.cmp(&b.article));
    let mut sets = Vec::new();
    for (name, keep) in [
        ("all", None),
        ("development", Some(true)),
        ("held-out", Some(false)),
    ] {
        let items: Vec<&ScoredReferenceArticle> = joined
            .iter()
            .filter(|a| keep.map_or(true, |k| is_development_outlet(&a.outlet) == k))
            .collect();
        let ours: Vec<f64> = items.iter().map(|a| a.score).collect();
        let theirs: Vec<f64> = items.iter().map(|a| a.reference).collect();
        let mut per_outlet: BTreeMap<&str, (f64, f64, usize)> = BTreeMap::new();
        for a in &items {
            let e = per_outlet.entry(a.outlet.as_str()).or_default();
            e.0 += a.score;
            e.1 += a.reference;
            e.2 += 1;
        }
        let o_ours: Vec<f64> = per_outlet.values().map(|v| v.0 / v.2 as f64).collect();
        let o_theirs: Vec<f64> = per_outlet.values().map(|v| v.1 / v.2 as f64).collect();
        sets.push(Validation {
            set: name.to_string(),
            articles: agreement(&ours, &theirs, level, replicates, seed),
            outlets: agreement(&o_ours, &o_theirs, level, replicates, seed ^ 1),
        });
    }
    let ours: Vec<f64> = joined.iter().map(|a| a.score).collect();
    let theirs: Vec<f64> = joined.iter().map(|a| a.reference).collect();
    let (ro, rt) = (ranks(&ours), ranks(&theirs));
    let mut order: Vec<usize> = (0..joined.len()).collect();
    order.sort_by(|&a, &b| {
        (rt[b] - ro[b])
            .abs()
            .total_cmp(&(rt[a] - ro[a]).abs())
            .then(a.cmp(&b))
    });
    let worst = order
        .into_iter()
        .take(worst)
        .map(|i| joined[i].clone())
        .collect();
    FramingValidation {
        labels: labels.to_string(),
        missing,
        sets,
        worst,
        scored: joined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_correlations_match_hand_computed_values() {
        let a = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(spearman(&a, &a), Some(1.0));
        let rev: Vec<f64> = a.iter().rev().copied().collect();
        assert!((spearman(&a, &rev).unwrap() + 1.0).abs() < 1e-12);
        assert!((kendall_tau_b(&a, &rev).unwrap() + 1.0).abs() < 1e-12);
        // One swap among five: tau = (9 - 1) / 10.
        let b = [1.0, 3.0, 2.0, 4.0, 5.0];
        assert!((kendall_tau_b(&a, &b).unwrap() - 0.8).abs() < 1e-12);
        // rho = 1 - 6 * 2 / (5 * 24) = 0.9.
        assert!((spearman(&a, &b).unwrap() - 0.9).abs() < 1e-12);
        // Ties: tau-b with a tie in one variable (scipy: 0.9486832980505138).
        let t = [1.0, 1.0, 2.0, 3.0, 4.0];
        assert!((kendall_tau_b(&a, &t).unwrap() - 0.948_683_298_050_513_8).abs() < 1e-12);
        assert_eq!(spearman(&a, &[2.0; 5]), None, "constant: undefined");
    }

    #[test]
    fn agreement_intervals_hold_the_estimate_and_are_seeded() {
        let ours: Vec<f64> = (0..40).map(|i| (i as f64 * 0.37).sin()).collect();
        let theirs: Vec<f64> = ours
            .iter()
            .enumerate()
            .map(|(i, x)| x + 0.3 * ((i * 7 % 5) as f64 - 2.0) / 2.0)
            .collect();
        let g = agreement(&ours, &theirs, 0.9, 500, 7);
        let (lo, hi) = g.spearman_interval.unwrap();
        assert!(
            lo <= g.spearman.unwrap() && g.spearman.unwrap() <= hi,
            "{g:?}"
        );
        assert_eq!(g, agreement(&ours, &theirs, 0.9, 500, 7));
        assert!(g.mae.unwrap() > 0.0);
    }

    #[test]
    fn reference_parses_and_refuses_bad_lines_naming_them() {
        let ok = "# comment\narticle\toutlet\trater1\trater2\treference\treason\na1\tO\t+0.5\t+0.3\t+0.40\tfine\na2\tP\t-1\t-0.8\t-0.9\tx\n";
        let r = FramingReference::parse(ok, "ref.tsv").unwrap();
        assert_eq!(r.entries.len(), 2);
        assert_eq!(r.entries["a1"].raters, vec![0.5, 0.3]);
        assert_eq!(r.entries["a2"].score, -0.9);
        let e = FramingReference::parse(&ok.replace("-0.9", "-1.9"), "ref.tsv")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("ref.tsv:4:") && e.contains("outside"), "{e}");
        let e = FramingReference::parse(&format!("{ok}a1\tO\t0\t0\t0\tdup\n"), "ref.tsv")
            .unwrap_err()
            .to_string();
        assert!(e.contains("twice"), "{e}");
        assert!(FramingReference::parse("a\tb\n1\t2\n", "r").is_err());
    }

    #[test]
    fn the_shipped_reference_parses() {
        let text = include_str!("../../data/framing-reference.tsv");
        let r = FramingReference::parse(text, "data/framing-reference.tsv").unwrap();
        assert_eq!(r.entries.len(), 236);
        assert!(r.entries.values().all(|e| e.raters.len() == 2));
    }

    #[test]
    fn development_split_is_a_stable_hash_half() {
        let n = (0..1000)
            .filter(|i| is_development_outlet(&format!("outlet {i}")))
            .count();
        assert!((400..600).contains(&n), "{n}");
        assert_eq!(
            is_development_outlet("Reuters"),
            is_development_outlet("Reuters")
        );
    }
}
