//! The credibility-framing score: how strongly an article (and, aggregated, an outlet) frames
//! the tracked claim as credible, from -1 (not credible) to +1 (credible), with an interval.
//!
//! This module owns the formula (documented with its rationale in `docs/FRAMING.md`):
//! per-sentence stance units from label probabilities and hedging, prominence weights,
//! the balance and primacy components, shrinkage toward 0 for thin evidence, leave-one-out
//! evidence, and the seeded Bayesian bootstrap. [`outlet`] aggregates articles per outlet;
//! [`packed`] stores stance units compactly for reports over many articles.
//! Nothing here reads files or prints.
//!
//! Framing reads labelled sentences ([`ScoredSentence`], owned by [`crate::sentence`]) and
//! article metadata ([`crate::article::ArticleMeta`]), never a whole scored article: a
//! [`ScoredArticle`](crate::scored::ScoredArticle) is built from framing's output, so
//! `scored` and `report` use framing and framing uses neither.

pub mod hedge;
pub mod outlet;
pub mod packed;
pub mod rng;
pub mod validate;

pub use hedge::{HedgeAssessment, Hedges};
pub use outlet::{
    aggregate_articles, aggregate_outlet, select_evidence, ArticleDigest, Evidence, EvidencePool,
    OutletArticle, OutletReport, Verdict,
};
pub use packed::PackedUnits;

use crate::label::Label;
use crate::sentence::{Role, ScoredSentence};
use rayon::prelude::*;
use rng::{fnv1a, substream_seed, GammaSampler, Rng};
use serde::{Deserialize, Serialize};

/// Errors of the framing stage.
#[derive(Debug, thiserror::Error)]
pub enum FramingError {
    /// A hedge list line that does not parse.
    #[error("{file}: line {line}: {message}")]
    HedgeList {
        /// The list's file name.
        file: String,
        /// 1-based line number (0 when the whole list is at fault).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A probability vector that is not a distribution.
    #[error("article `{article}`, sentence {index}: probabilities {probs:?} are not a distribution over the four labels (each in [0, 1], summing to 1)")]
    BadProbabilities {
        /// Article id.
        article: String,
        /// Sentence index.
        index: usize,
        /// The offending vector.
        probs: [f64; 4],
    },
    /// Parameters outside their meaningful range.
    #[error("invalid framing parameter: {0}")]
    BadParams(String),
}

/// The constants of the formula. The defaults are argued in `docs/FRAMING.md`; they were set
/// from first principles, not fitted to any outlet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FramingParams {
    /// Prominence weight of the headline.
    pub headline_weight: f64,
    /// Prominence weight of a lede sentence.
    pub lede_weight: f64,
    /// Prominence weight of a section heading inside the body.
    pub heading_weight: f64,
    /// Prominence of the last body sentence; body weights fall linearly from 1 to this.
    pub tail_weight: f64,
    /// Share of a fully hedged claim's mass that counts as doubt instead of support (lambda).
    pub hedge_discount: f64,
    /// Chance level of a label's probability (1/4 for four labels): only probability above it
    /// is evidence.
    pub chance: f64,
    /// Stance evidence (summed excess of claim, denial and skepticism over chance) at which a
    /// sentence counts as one full stance sentence.
    pub full_evidence: f64,
    /// Stance mass (in sentences) over which primacy decays by a factor e (tau).
    pub primacy_scale: f64,
    /// Weight of the primacy component in the raw score (1 - this goes to balance).
    pub primacy_share: f64,
    /// Pseudo-count of neutral stance sentences every article starts with (kappa).
    pub prior_mass: f64,
    /// Number of bootstrap replicates for intervals.
    pub bootstrap: usize,
    /// Coverage of the reported intervals.
    pub level: f64,
    /// Seed of the bootstrap.
    pub seed: u64,
    /// Evidence sentences kept per outlet (and per article).
    pub evidence: usize,
    /// Score from the hard labels (each sentence's most probable label taken as certain)
    /// instead of the probabilities. Off by default; an option for ablations.
    #[serde(skip_serializing_if = "is_false")]
    pub hard_labels: bool,
    /// Pseudo-count of claim mass: the score is multiplied by `C / (C + this)`, where `C` is
    /// the article's claim mass (stance masses weighted by P(claim)), so an article that never
    /// puts the claim before the reader cannot frame it either way. 0 (the default) is off.
    #[serde(skip_serializing_if = "is_zero")]
    pub claim_prior: f64,
    /// Calibration to the people's scale: knots `[raw, calibrated]` of a monotone
    /// piecewise-linear map applied to every article score (interpolated between knots,
    /// constant beyond the ends). Empty (the default) is the identity.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub calibration: Vec<[f64; 2]>,
    /// Smooth position weighting: when positive, every sentence's prominence is
    /// `1 / (1 + index / position_scale)` (the headline, index 0, weighs 1; the sentence at
    /// index `position_scale` weighs one half), in place of the role weights above. 0 (the
    /// default) is off: prominence comes from the role and the body position.
    #[serde(skip_serializing_if = "is_zero")]
    pub position_scale: f64,
    /// Headline presence: when positive (eta), the score is multiplied by
    /// `1 - eta + eta * h`, where `h = min(1, E0 / chance)` is how fully the article's first
    /// sentence (its headline) carries a stance, from its stance evidence above chance `E0`
    /// (its gate times `full_evidence`). An article whose headline is about something else
    /// frames the claim with `1 - eta` of the strength of one that puts it, or its denial, in
    /// the headline. 0 (the default) is off.
    #[serde(skip_serializing_if = "is_zero")]
    pub headline_presence: f64,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Default for FramingParams {
    fn default() -> Self {
        FramingParams {
            headline_weight: 3.0,
            lede_weight: 2.0,
            heading_weight: 1.0,
            tail_weight: 0.5,
            hedge_discount: 0.5,
            chance: 0.25,
            full_evidence: 0.5,
            primacy_scale: 1.0,
            primacy_share: 0.5,
            prior_mass: 0.5,
            bootstrap: 1000,
            level: 0.9,
            seed: 20_240_125,
            evidence: 5,
            hard_labels: false,
            claim_prior: 0.0,
            calibration: Vec::new(),
            position_scale: 0.0,
            headline_presence: 0.0,
        }
    }
}

impl FramingParams {
    /// Checks every constant is in its meaningful range.
    pub fn validate(&self) -> Result<(), FramingError> {
        let bad = |m: &str| Err(FramingError::BadParams(m.to_string()));
        let weights = [
            self.headline_weight,
            self.lede_weight,
            self.heading_weight,
            self.tail_weight,
        ];
        if weights.iter().any(|w| !(w.is_finite() && *w > 0.0)) {
            return bad("prominence weights must be positive");
        }
        if !(0.0..=1.0).contains(&self.hedge_discount) {
            return bad("hedge_discount must be in [0, 1]");
        }
        if !(0.0..1.0).contains(&self.chance) {
            return bad("chance must be in [0, 1)");
        }
        if !(self.full_evidence > 0.0 && self.full_evidence <= 1.0) {
            return bad("full_evidence must be in (0, 1]");
        }
        if !(self.primacy_scale > 0.0 && self.primacy_scale.is_finite()) {
            return bad("primacy_scale must be positive");
        }
        if !(0.0..=1.0).contains(&self.primacy_share) {
            return bad("primacy_share must be in [0, 1]");
        }
        let knots_ok = self
            .calibration
            .iter()
            .all(|[x, y]| (-1.0..=1.0).contains(x) && (-1.0..=1.0).contains(y))
            && self
                .calibration
                .windows(2)
                .all(|w| w[0][0] < w[1][0] && w[0][1] <= w[1][1]);
        if !knots_ok || self.calibration.len() == 1 {
            return bad("calibration needs at least two knots [raw, calibrated] in [-1, 1], raw strictly increasing, calibrated not decreasing");
        }
        if !(self.position_scale >= 0.0 && self.position_scale.is_finite()) {
            return bad("position_scale must be 0 (off) or positive");
        }
        if !(0.0..=1.0).contains(&self.headline_presence) {
            return bad("headline_presence must be in [0, 1]");
        }
        if self.headline_presence > 0.0 && !(self.chance > 0.0 && self.full_evidence >= self.chance)
        {
            return bad("headline_presence needs chance > 0 and full_evidence >= chance (the headline's evidence is read from its gate)");
        }
        if !(self.claim_prior >= 0.0 && self.claim_prior.is_finite()) {
            return bad("claim_prior must be 0 or positive");
        }
        if !(self.prior_mass > 0.0 && self.prior_mass.is_finite()) {
            return bad("prior_mass must be positive");
        }
        if self.bootstrap < 10 {
            return bad("bootstrap needs at least 10 replicates");
        }
        if self.bootstrap > crate::limits::MAX_BOOTSTRAP {
            return bad("bootstrap takes at most 100000 replicates (limits::MAX_BOOTSTRAP)");
        }
        if !(self.level > 0.0 && self.level < 1.0) {
            return bad("level must be in (0, 1)");
        }
        Ok(())
    }
}

/// The shipped framing settings (`data/framing.json`, chosen against the human framing
/// reference; docs/FRAMING.md): the formula's defaults with the measured changes and the
/// calibration to the people's scale.
pub const SHIPPED_SETTINGS: &str = include_str!("../../data/framing.json");

impl FramingParams {
    /// The shipped settings ([`SHIPPED_SETTINGS`]), over [`FramingParams::default`].
    pub fn shipped() -> FramingParams {
        serde_json::from_str(SHIPPED_SETTINGS).expect("data/framing.json is valid (tested)")
    }

    /// Maps a raw score through the calibration knots (identity without knots).
    pub fn calibrate(&self, x: f64) -> f64 {
        let k = &self.calibration;
        match k.len() {
            0 | 1 => x,
            _ => {
                if x <= k[0][0] {
                    return k[0][1];
                }
                for w in k.windows(2) {
                    let ([x0, y0], [x1, y1]) = (w[0], w[1]);
                    if x <= x1 {
                        return y0 + (y1 - y0) * (x - x0) / (x1 - x0);
                    }
                }
                k[k.len() - 1][1]
            }
        }
    }
}

/// An interval estimate of a score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Lower bound.
    pub lo: f64,
    /// Upper bound.
    pub hi: f64,
    /// Nominal coverage (e.g. 0.9).
    pub level: f64,
}

impl Interval {
    /// Width `hi - lo`.
    pub fn width(&self) -> f64 {
        self.hi - self.lo
    }
}

/// One stance-bearing sentence reduced to what the score needs (a few numbers, no text).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StanceUnit {
    /// Sentence index in the article.
    pub index: usize,
    /// Position role.
    pub role: Role,
    /// Prominence weight (headline, lede, heading, or position in the body).
    pub prominence: f64,
    /// Gated stance evidence in (0, 1]: how much of one stance sentence this sentence is.
    pub mass: f64,
    /// Direction in [-1, 1]: (support - doubt) / stance evidence, hedging included.
    pub direction: f64,
    /// P(russian_claim) of the sentence.
    pub claim: f64,
    /// Hedge strength of the sentence in [0, 1].
    pub hedge: f64,
    /// The stance label with the highest probability.
    pub stance: Label,
}

/// The framing figures of one article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleFraming {
    /// The article's credibility-framing score in [-1, 1] (0 when it carries no stance).
    pub score: f64,
    /// Bootstrap interval; `None` when the article has no stance sentence (undefined).
    pub interval: Option<Interval>,
    /// Prominence-weighted balance of support against doubt, in [-1, 1].
    pub balance: Option<f64>,
    /// Primacy: the stance the reader meets first, in [-1, 1].
    pub primacy: Option<f64>,
    /// Direction of the headline's stance, when the headline carries one.
    pub headline: Option<f64>,
    /// Total gated stance mass (in sentences).
    pub stance_mass: f64,
    /// Claim-probability-weighted mean hedge strength of the stance sentences.
    pub hedge_rate: Option<f64>,
    /// The dominant stance of the first stance-bearing sentence.
    pub first_stance: Option<Label>,
}

/// Prominence weight of a sentence at `index` of `n` with `role`: the role weights (body
/// sentences falling linearly toward the tail), or, with [`FramingParams::position_scale`]
/// on, the smooth weight `1 / (1 + index / position_scale)` whatever the role.
pub fn prominence(role: Role, index: usize, n: usize, p: &FramingParams) -> f64 {
    if p.position_scale > 0.0 {
        return 1.0 / (1.0 + index as f64 / p.position_scale);
    }
    match role {
        Role::Headline => p.headline_weight,
        Role::Lede => p.lede_weight,
        Role::Heading => p.heading_weight,
        Role::Body => {
            let pos = if n > 1 {
                (index.min(n - 1)) as f64 / (n - 1) as f64
            } else {
                0.0
            };
            1.0 - (1.0 - p.tail_weight) * pos
        }
    }
}

/// Checks and normalises a probability vector.
pub fn check_probs(article: &str, index: usize, probs: [f64; 4]) -> Result<[f64; 4], FramingError> {
    let sum: f64 = probs.iter().sum();
    let ok = probs
        .iter()
        .all(|p| p.is_finite() && (0.0..=1.0 + 1e-9).contains(p))
        && (sum - 1.0).abs() <= 1e-3;
    if !ok {
        return Err(FramingError::BadProbabilities {
            article: article.to_string(),
            index,
            probs,
        });
    }
    Ok(probs.map(|p| p.max(0.0) / sum))
}

/// Turns an article's scored sentences into stance units (sentences without stance evidence
/// above chance are dropped). Sentences are taken in index order.
pub fn stance_units(
    article: &str,
    sentences: &[ScoredSentence],
    p: &FramingParams,
    hedges: &Hedges,
) -> Result<Vec<StanceUnit>, FramingError> {
    let n = sentences.len();
    let mut order: Vec<&ScoredSentence> = sentences.iter().collect();
    order.sort_by_key(|s| s.index);
    let mut units = Vec::new();
    for s in order {
        let mut probs = check_probs(article, s.index, s.probs)?;
        if p.hard_labels {
            let best = (0..4).fold(0, |b, i| if probs[i] > probs[b] { i } else { b });
            probs = [0.0; 4];
            probs[best] = 1.0;
        }
        // Evidence is probability above chance: an uninformed prediction carries no stance.
        let [ec, ed, ek, _] = probs.map(|q| (q - p.chance).max(0.0));
        let evidence = ec + ed + ek;
        let gate = (evidence / p.full_evidence).min(1.0);
        if gate <= 0.0 {
            continue;
        }
        let c = probs[0];
        let h = if ec > 0.0 {
            hedges.assess(&s.text).strength
        } else {
            0.0
        };
        let support = ec * (1.0 - p.hedge_discount * h);
        let doubt = ed + ek + ec * p.hedge_discount * h;
        let stance = if ec >= ed && ec >= ek {
            Label::RussianClaim
        } else if ed >= ek {
            Label::UsDenial
        } else {
            Label::ExpertSkepticism
        };
        units.push(StanceUnit {
            index: s.index,
            role: s.role,
            prominence: prominence(s.role, s.index, n, p),
            mass: gate,
            direction: ((support - doubt) / evidence).clamp(-1.0, 1.0),
            claim: c,
            hedge: h,
            stance,
        });
    }
    Ok(units)
}

/// The score's components for given unit masses `g` and prior mass `prior`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Components {
    /// Final score: raw score times the shrinkage factor, through the calibration.
    pub score: f64,
    /// Prominence-weighted balance.
    pub balance: f64,
    /// Primacy.
    pub primacy: f64,
    /// Shrinkage factor `G / (G + prior)`, times `C / (C + claim_prior)` and the headline
    /// presence factor `1 - eta + eta * h` when those are on.
    pub shrink: f64,
}

/// Evaluates the formula with masses `g` (one per unit) in place of the units' own masses.
/// Returns `None` when the masses sum to zero.
pub fn components(
    units: &[StanceUnit],
    g: &[f64],
    prior: f64,
    p: &FramingParams,
) -> Option<Components> {
    let total: f64 = g.iter().sum();
    if total <= 0.0 {
        return None;
    }
    let (mut bn, mut bd, mut pn, mut pd, mut before) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut claim_mass, mut head) = (0.0, 0.0);
    for (u, &gi) in units.iter().zip(g) {
        claim_mass += gi * u.claim;
        if u.index == 0 {
            head = gi;
        }
        bn += u.prominence * gi * u.direction;
        bd += u.prominence * gi;
        let e = (-before / p.primacy_scale).exp();
        pn += e * gi * u.direction;
        pd += e * gi;
        before += gi;
    }
    let balance = bn / bd;
    let primacy = pn / pd;
    let raw = (1.0 - p.primacy_share) * balance + p.primacy_share * primacy;
    let mut shrink = total / (total + prior);
    if p.claim_prior > 0.0 {
        shrink *= claim_mass / (claim_mass + p.claim_prior);
    }
    if p.headline_presence > 0.0 {
        shrink *= 1.0 - p.headline_presence + p.headline_presence * headline_carries(head, p);
    }
    Some(Components {
        score: p.calibrate(raw * shrink),
        balance,
        primacy,
        shrink,
    })
}

/// How fully a headline with stance mass `g` carries a stance, in [0, 1]: its stance evidence
/// above chance (`g * full_evidence`, exact while `full_evidence >= chance`) over `chance`, so
/// a headline whose stance labels hold twice the chance level between them carries it fully.
/// 0 when the headline has no stance mass (or is not a stance unit at all).
pub fn headline_carries(g: f64, p: &FramingParams) -> f64 {
    if g > 0.0 {
        (g * p.full_evidence / p.chance).min(1.0)
    } else {
        0.0
    }
}

/// The point score of an article's units (0 when there are none).
pub fn score_units(units: &[StanceUnit], p: &FramingParams) -> f64 {
    let g: Vec<f64> = units.iter().map(|u| u.mass).collect();
    components(units, &g, p.prior_mass, p).map_or(0.0, |c| c.score)
}

/// Leave-one-out influence of every unit: the article score minus the score without it.
/// Positive values pushed the article toward "credible".
pub fn influences(units: &[StanceUnit], p: &FramingParams) -> Vec<f64> {
    let full = score_units(units, p);
    (0..units.len())
        .map(|i| {
            let g: Vec<f64> = units
                .iter()
                .enumerate()
                .map(|(j, u)| if j == i { 0.0 } else { u.mass })
                .collect();
            let without = components(units, &g, p.prior_mass, p).map_or(0.0, |c| c.score);
            full - without
        })
        .collect()
}

/// Replicates drawn from one random sub-stream: the unit of parallel work of the bootstrap.
/// Every block has its own seed ([`substream_seed`]), so the replicates are the same whatever the
/// number of threads.
const BLOCK: usize = 64;

/// Gamma draws per interval above which the blocks run in parallel (below, one thread does them
/// all: the same replicates, without the cost of sharing the work).
const PARALLEL_DRAWS: usize = 1 << 17;

/// The samplers of one set of articles' bootstrap: per article the Gamma sampler of each stance
/// unit's mass, computed once for all replicates.
struct Plan<'a> {
    articles: Vec<(&'a [StanceUnit], std::ops::Range<usize>)>,
    samplers: Vec<GammaSampler>,
    prior: GammaSampler,
}

impl<'a> Plan<'a> {
    fn new(articles: &[&'a [StanceUnit]], p: &FramingParams) -> Plan<'a> {
        let mut samplers = Vec::new();
        let articles = articles
            .iter()
            .map(|a| {
                let start = samplers.len();
                samplers.extend(a.iter().map(|u| GammaSampler::new(u.mass)));
                (*a, start..samplers.len())
            })
            .collect();
        Plan {
            articles,
            samplers,
            prior: GammaSampler::new(p.prior_mass),
        }
    }

    /// Fills `out` with replicates drawn from `rng`: per replicate, Exp(1) (Dirichlet(1, ..., 1))
    /// weights over the articles and, per article, Dirichlet weights over its stance units and
    /// the neutral prior pseudo-sentence (Bayesian bootstrap with a prior observation).
    fn fill(&self, p: &FramingParams, rng: &mut Rng, out: &mut [f64]) {
        let one = self.articles.len() == 1;
        let mut g = Vec::new();
        for rep in out {
            let (mut num, mut den) = (0.0, 0.0);
            for (units, range) in &self.articles {
                let w = if one { 1.0 } else { rng.exp1() };
                g.clear();
                g.extend(self.samplers[range.clone()].iter().map(|s| s.sample(rng)));
                let prior = self.prior.sample(rng);
                let score = components(units, &g, prior, p).map_or(0.0, |c| c.score);
                num += w * score;
                den += w;
            }
            *rep = num / den;
        }
    }
}

fn percentile_interval(mut xs: Vec<f64>, level: f64) -> Interval {
    xs.sort_by(f64::total_cmp);
    let q = |f: f64| {
        let pos = f * (xs.len() - 1) as f64;
        let (i, frac) = (pos.floor() as usize, pos - pos.floor());
        let hi = xs[(i + 1).min(xs.len() - 1)];
        xs[i] + frac * (hi - xs[i])
    };
    let a = (1.0 - level) / 2.0;
    Interval {
        lo: q(a),
        hi: q(1.0 - a),
        level,
    }
}

/// Interval of a set of articles' mean score: two-stage Bayesian bootstrap (Dirichlet weights
/// over articles, then over each article's stance sentences plus its neutral prior). A single
/// article still gets a sentence-level interval. `None` when no article carries stance.
/// Articles are used in the given order; callers sort them for determinism.
pub fn bootstrap_mean(
    articles: &[&[StanceUnit]],
    p: &FramingParams,
    seed: u64,
) -> Option<Interval> {
    let articles: Vec<&[StanceUnit]> = articles.iter().copied().filter(|a| !a.is_empty()).collect();
    if articles.is_empty() {
        return None;
    }
    let point = articles.iter().map(|a| score_units(a, p)).sum::<f64>() / articles.len() as f64;
    let plan = Plan::new(&articles, p);
    let mut reps = vec![0.0; p.bootstrap];
    let fill = |(b, block): (usize, &mut [f64])| {
        let mut rng = Rng::new(substream_seed(seed, b as u64));
        plan.fill(p, &mut rng, block);
    };
    let draws = (plan.samplers.len() + 2 * articles.len()).saturating_mul(p.bootstrap);
    if draws >= PARALLEL_DRAWS {
        reps.par_chunks_mut(BLOCK).enumerate().for_each(fill);
    } else {
        reps.chunks_mut(BLOCK).enumerate().for_each(fill);
    }
    Some(centred_interval(reps, point, p.level))
}

/// The percentile interval of `reps`, moved so that their median sits on the point estimate
/// and clamped to [-1, 1]. The replicates' distribution is not centred on the estimate (each
/// replicate redraws the neutral prior and the masses, and averaging many near-copies of one
/// article narrows it around that offset), so a plain percentile interval could exclude the
/// estimate; moved, it always holds it.
fn centred_interval(mut reps: Vec<f64>, point: f64, level: f64) -> Interval {
    reps.sort_by(f64::total_cmp);
    let median = reps[reps.len() / 2];
    let raw = percentile_interval(reps, level);
    Interval {
        lo: (raw.lo - median + point).clamp(-1.0, 1.0).min(point),
        hi: (raw.hi - median + point).clamp(-1.0, 1.0).max(point),
        level,
    }
}

/// Seed of an article's own interval: the run's seed mixed with the article id.
pub fn article_seed(p: &FramingParams, article: &str) -> u64 {
    p.seed ^ fnv1a(article)
}

/// Seed of an outlet's interval: the run's seed mixed with the outlet name.
pub fn outlet_seed(p: &FramingParams, outlet: &str) -> u64 {
    named_seed(p, "outlet", outlet)
}

/// Seed of the interval of a named set of articles (`kind` says what sort of set: an outlet,
/// a period, a group): the run's seed mixed with both, so every set has its own stream and the
/// same set always gets the same interval.
pub fn named_seed(p: &FramingParams, kind: &str, name: &str) -> u64 {
    p.seed ^ fnv1a(&format!("{kind}\u{1f}{name}"))
}

/// Computes the framing figures of one article from its units.
pub fn frame_units(article: &str, units: &[StanceUnit], p: &FramingParams) -> ArticleFraming {
    let g: Vec<f64> = units.iter().map(|u| u.mass).collect();
    let comp = components(units, &g, p.prior_mass, p);
    let head: Vec<&StanceUnit> = units.iter().filter(|u| u.role == Role::Headline).collect();
    let head_mass: f64 = head.iter().map(|u| u.mass).sum();
    let headline = (head_mass > 0.0)
        .then(|| head.iter().map(|u| u.mass * u.direction).sum::<f64>() / head_mass);
    let claim: f64 = units.iter().map(|u| u.mass * u.claim).sum();
    let hedge_rate = (claim > 0.0).then(|| {
        units
            .iter()
            .map(|u| u.mass * u.claim * u.hedge)
            .sum::<f64>()
            / claim
    });
    ArticleFraming {
        score: comp.map_or(0.0, |c| c.score),
        interval: bootstrap_mean(&[units], p, article_seed(p, article)),
        balance: comp.map(|c| c.balance),
        primacy: comp.map(|c| c.primacy),
        headline,
        stance_mass: g.iter().sum(),
        hedge_rate,
        first_stance: units.first().map(|u| u.stance),
    }
}

/// Scores one article: stance units, then [`frame_units`].
pub fn frame_article(
    article: &str,
    sentences: &[ScoredSentence],
    p: &FramingParams,
    hedges: &Hedges,
) -> Result<ArticleFraming, FramingError> {
    let units = stance_units(article, sentences, p, hedges)?;
    Ok(frame_units(article, &units, p))
}

#[cfg(test)]
mod tests;
