//! The framing score against people, end to end: every reference article's sentences are
//! labelled by a model trained without the article's outlet (cross-fitted over outlet folds),
//! or by their gold labels for an oracle run, scored by the framing formula, and compared with
//! the human reference ([`crate::framing::validate`] measures the agreement).

use super::{cross_validate_observed, EvalError, FoldScheme, GroupKey, Heads, OnProgress};
use crate::framing::validate::{score_articles, validate, FramingReference, FramingValidation};
use crate::framing::{FramingError, FramingParams, Hedges};
use crate::gold::Example;
use crate::label::Label;
use crate::model::ModelParams;
use crate::scored::argmax_label;
use crate::sentence::ScoredSentence;
use std::collections::BTreeMap;

/// How the reference articles' sentences are labelled and what the validation reports.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FramingEvalSettings {
    /// Gold labels instead of cross-fitted predictions (the formula's ceiling).
    pub oracle: bool,
    /// Outlet folds for cross-fitting (`None`: leave one outlet out).
    pub folds: Option<usize>,
    /// Calibrate each fold's probabilities (a temperature fitted inside its training part), as
    /// `train` does for a shipped model.
    pub calibrate: bool,
    /// Worst-ranked articles to list.
    pub worst: usize,
    /// Confidence level of the rank-correlation intervals.
    pub level: f64,
    /// Bootstrap replicates of those intervals.
    pub replicates: usize,
}

impl Default for FramingEvalSettings {
    fn default() -> FramingEvalSettings {
        FramingEvalSettings {
            oracle: false,
            folds: None,
            calibrate: true,
            worst: 10,
            level: 0.9,
            replicates: 2000,
        }
    }
}

/// Error of a framing validation run.
#[derive(Debug, thiserror::Error)]
pub enum FramingEvalError {
    /// Cross-fitting the sentence labels failed.
    #[error("cross-fitting the sentence labels failed: {0}")]
    CrossFit(#[from] EvalError),
    /// The framing formula refused the probabilities or settings.
    #[error(transparent)]
    Framing(#[from] FramingError),
}

/// Labels the reference articles' sentences (cross-fitted, or gold with
/// [`FramingEvalSettings::oracle`]), scores them with the framing formula and measures the
/// agreement with `reference`. `progress` hears of each outlet fold done.
///
/// ```no_run
/// # use claimtrack::evaluate::framing::{validate_framing, FramingEvalSettings};
/// # use claimtrack::framing::{validate::FramingReference, FramingParams, Hedges};
/// # fn demo(examples: &[claimtrack::gold::Example], model: &claimtrack::model::ModelParams,
/// #         reference: &FramingReference) -> Result<(), Box<dyn std::error::Error>> {
/// let settings = FramingEvalSettings { folds: Some(10), ..FramingEvalSettings::default() };
/// let v = validate_framing(examples, model, reference, &FramingParams::shipped(),
///                          &Hedges::default(), &settings, None)?;
/// println!("Spearman on all articles: {:?}", v.sets[0].articles.spearman);
/// # Ok(()) }
/// ```
pub fn validate_framing(
    examples: &[Example],
    model: &ModelParams,
    reference: &FramingReference,
    params: &FramingParams,
    hedges: &Hedges,
    settings: &FramingEvalSettings,
    progress: Option<OnProgress>,
) -> Result<FramingValidation, FramingEvalError> {
    let (probs, labels): (Vec<[f64; 4]>, String) = if settings.oracle {
        let one_hot = |l: Label| {
            let mut p = [0.0; 4];
            p[l.index()] = 1.0;
            p
        };
        (
            examples.iter().map(|e| one_hot(e.label)).collect(),
            "gold labels (oracle)".to_string(),
        )
    } else {
        let scheme = match settings.folds {
            Some(k) => FoldScheme::GroupKFold {
                key: GroupKey::Outlet,
                k,
            },
            None => FoldScheme::LeaveOneGroupOut(GroupKey::Outlet),
        };
        // The framing score uses the probabilities, not the labels: no decoder is needed.
        let heads = Heads {
            decoder: None,
            calibrate: settings.calibrate,
        };
        let cv = cross_validate_observed(examples, model, scheme, &heads, progress)?;
        let mut probs = vec![[0.25; 4]; examples.len()];
        for p in &cv.predictions {
            probs[p.example] = p.probs;
        }
        (
            probs,
            format!(
                "cross-fitted: each article labelled by a model trained without its outlet ({})",
                cv.scheme
            ),
        )
    };
    let mut articles: BTreeMap<&str, (String, Vec<ScoredSentence>)> = BTreeMap::new();
    for (e, p) in examples.iter().zip(&probs) {
        if !reference.entries.contains_key(&e.article) {
            continue;
        }
        let entry = articles
            .entry(e.article.as_str())
            .or_insert_with(|| (e.outlet.clone(), Vec::new()));
        entry.1.push(ScoredSentence {
            index: e.index,
            role: e.role,
            text: e.text.clone(),
            label: argmax_label(p),
            argmax: None,
            probs: *p,
            hedge: 0.0,
            hedge_cues: Vec::new(),
        });
    }
    let input: Vec<(String, String, Vec<ScoredSentence>)> = articles
        .into_iter()
        .map(|(id, (outlet, s))| (id.to_string(), outlet, s))
        .collect();
    let scored = score_articles(&input, params, hedges)?;
    Ok(validate(
        scored,
        reference,
        &labels,
        settings.level,
        settings.replicates,
        params.seed,
        settings.worst,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sentence::Role;

    fn example(article: &str, outlet: &str, index: usize, text: &str, label: Label) -> Example {
        Example {
            text: text.to_string(),
            label,
            article: article.to_string(),
            outlet: outlet.to_string(),
            index,
            role: if index == 0 {
                Role::Headline
            } else {
                Role::Body
            },
        }
    }

    /// Six articles: three state the claim, three deny it; the reference agrees with that
    /// split, so the oracle run must rank them the same way (Spearman near +1), and a
    /// reference that says the opposite must give a negative correlation.
    #[test]
    fn oracle_validation_follows_the_gold_labels() {
        let mut examples = Vec::new();
        let mut lines = String::from("article\toutlet\treference\n");
        for i in 0..6 {
            let (a, o) = (format!("a{i}"), format!("Outlet {i}"));
            let credible = i % 2 == 0;
            let stance = if credible {
                Label::RussianClaim
            } else {
                Label::UsDenial
            };
            examples.push(example(&a, &o, 0, "headline words", stance));
            examples.push(example(&a, &o, 1, "body words", Label::Context));
            let score = if credible {
                0.5 + i as f64 / 20.0
            } else {
                -0.5 - i as f64 / 20.0
            };
            lines.push_str(&format!("{a}\t{o}\t{score}\n"));
        }
        let settings = FramingEvalSettings {
            oracle: true,
            replicates: 50,
            ..FramingEvalSettings::default()
        };
        let run = |text: &str| {
            let reference = FramingReference::parse(text, "ref.tsv").unwrap();
            validate_framing(
                &examples,
                &ModelParams::default(),
                &reference,
                &FramingParams::shipped(),
                &Hedges::default(),
                &settings,
                None,
            )
            .unwrap()
        };
        let v = run(&lines);
        assert_eq!(v.labels, "gold labels (oracle)");
        assert_eq!(v.scored.len(), 6);
        let all = v.sets.iter().find(|s| s.set == "all").unwrap();
        assert!(all.articles.spearman.unwrap() > 0.8, "{all:?}");
        let flipped: String = lines
            .lines()
            .map(|l| match l.rsplit_once('\t') {
                Some((head, s)) if s.parse::<f64>().is_ok() => {
                    format!("{head}\t{}\n", -s.parse::<f64>().unwrap())
                }
                _ => format!("{l}\n"),
            })
            .collect();
        let v = run(&flipped);
        let all = v.sets.iter().find(|s| s.set == "all").unwrap();
        assert!(all.articles.spearman.unwrap() < -0.8, "{all:?}");
    }
}
