//! Per-outlet aggregation: per-article digests (a few numbers per stance sentence and the top
//! evidence, not the article text), the [`OutletReport`] built from them, and the choice of an
//! outlet's evidence sentences.
//!
//! [`aggregate_outlet`] aggregates full digests; [`aggregate_articles`] does the same from
//! borrowed [`OutletArticle`]s and any set of evidence candidates that still holds the ones
//! [`select_evidence`] shows, such as an [`EvidencePool`]'s: that is how a report over millions
//! of articles keeps evidence text for a few sentences per outlet only.

use super::{
    bootstrap_mean, frame_units, influences, outlet_seed, stance_units, ArticleFraming,
    FramingError, FramingParams, Hedges, Interval, StanceUnit,
};
use crate::article::ArticleMeta;
use crate::label::Label;
use crate::sentence::{Role, ScoredSentence};
use serde::{Deserialize, Serialize};

/// A sentence that moved a score, with where to find it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Article id.
    pub article: String,
    /// Outlet name.
    pub outlet: String,
    /// Sentence index in the article.
    pub index: usize,
    /// Position role.
    pub role: Role,
    /// The sentence's label.
    pub label: Label,
    /// Its probabilities in [`Label::ALL`] order.
    pub probs: [f64; 4],
    /// Its hedge strength.
    pub hedge: f64,
    /// The sentence text.
    pub text: String,
    /// How much the article's score moves when the sentence is left out (score with it minus
    /// score without it); positive pushed toward "credible".
    pub article_shift: f64,
    /// The same shift as it reaches the outlet score (article shift / articles averaged).
    pub shift: f64,
    /// The article's title (or its headline when the metadata gives no title), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The article's date as given, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// The article's source URL as given, when known (reports link it only when it is an
    /// http or https address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// What a report keeps of one article: metadata, counts, stance units, framing and evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleDigest {
    /// Article id.
    pub id: String,
    /// Outlet name.
    pub outlet: String,
    /// Publication date as given.
    pub date: Option<String>,
    /// Source URL.
    pub url: Option<String>,
    /// Title: the metadata's, or the headline sentence when the metadata gives none.
    pub title: Option<String>,
    /// Model that scored it.
    pub model: Option<String>,
    /// Number of sentences.
    pub sentences: usize,
    /// Sentences per label (the sentences' `label`: most probable, or decoded), in
    /// [`Label::ALL`] order.
    pub label_counts: [usize; 4],
    /// Sum of probabilities per label over the sentences.
    pub prob_sums: [f64; 4],
    /// The stance units (compact; no text).
    pub units: Vec<StanceUnit>,
    /// The article's framing.
    pub framing: ArticleFraming,
    /// The sentences that moved the article's score most (at most `evidence` of them).
    pub evidence: Vec<Evidence>,
}

impl ArticleDigest {
    /// Digests an article (its metadata, the model that labelled it and its labelled
    /// sentences), computing its framing under `p` and `hedges`.
    pub fn new(
        meta: ArticleMeta,
        model: Option<String>,
        sentences: &[ScoredSentence],
        p: &FramingParams,
        hedges: &Hedges,
    ) -> Result<ArticleDigest, FramingError> {
        let units = stance_units(&meta.id, sentences, p, hedges)?;
        let framing = frame_units(&meta.id, &units, p);
        let mut label_counts = [0usize; 4];
        let mut prob_sums = [0.0; 4];
        for s in sentences {
            let probs = super::check_probs(&meta.id, s.index, s.probs)?;
            label_counts[s.label.index()] += 1;
            for (sum, q) in prob_sums.iter_mut().zip(probs) {
                *sum += q;
            }
        }
        // An article without a title in its metadata is named by its headline.
        let title = meta.title.clone().or_else(|| {
            sentences
                .iter()
                .find(|s| s.role == Role::Headline)
                .map(|s| s.text.clone())
        });
        let infl = influences(&units, p);
        let mut ranked: Vec<(usize, f64)> = infl.into_iter().enumerate().collect();
        ranked.sort_by(|x, y| {
            y.1.abs()
                .total_cmp(&x.1.abs())
                .then(units[x.0].index.cmp(&units[y.0].index))
        });
        ranked.truncate(p.evidence);
        let evidence = ranked
            .into_iter()
            .filter_map(|(u, shift)| {
                let unit = &units[u];
                let s = sentences.iter().find(|s| s.index == unit.index)?;
                Some(Evidence {
                    article: meta.id.clone(),
                    outlet: meta.outlet.clone(),
                    index: s.index,
                    role: s.role,
                    label: s.label,
                    probs: s.probs,
                    hedge: unit.hedge,
                    text: s.text.clone(),
                    article_shift: shift,
                    shift,
                    title: title.clone(),
                    date: meta.date.clone(),
                    url: meta.url.clone(),
                })
            })
            .collect();
        Ok(ArticleDigest {
            id: meta.id,
            outlet: meta.outlet,
            date: meta.date,
            url: meta.url,
            title,
            model,
            sentences: sentences.len(),
            label_counts,
            prob_sums,
            units,
            framing,
            evidence,
        })
    }
}

/// What an interval says about the direction of a score: framed as credible (the whole interval
/// above 0), as not credible (the whole interval below 0), unclear (the interval holds 0), or
/// not applicable (no claim-related sentence, so no score at all: never a 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Verdict {
    /// The interval lies above 0.
    #[serde(rename = "credible")]
    Credible,
    /// The interval lies below 0.
    #[serde(rename = "not_credible")]
    NotCredible,
    /// The interval holds 0.
    #[serde(rename = "unclear")]
    Unclear,
    /// No claim-related sentence: no score.
    #[serde(rename = "n/a")]
    NoClaim,
}

impl Verdict {
    /// Every verdict, in report order.
    pub const ALL: [Verdict; 4] = [
        Verdict::Credible,
        Verdict::NotCredible,
        Verdict::Unclear,
        Verdict::NoClaim,
    ];

    /// The verdict an interval gives (`None`: no score).
    pub fn of(interval: Option<Interval>) -> Verdict {
        match interval {
            None => Verdict::NoClaim,
            Some(i) if i.lo > 0.0 => Verdict::Credible,
            Some(i) if i.hi < 0.0 => Verdict::NotCredible,
            Some(_) => Verdict::Unclear,
        }
    }

    /// The name used in JSON and CSV (`credible`, `not_credible`, `unclear`, `n/a`).
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Credible => "credible",
            Verdict::NotCredible => "not_credible",
            Verdict::Unclear => "unclear",
            Verdict::NoClaim => "n/a",
        }
    }

    /// Plain words for readers (`framed as credible`, ...).
    pub fn describe(self) -> &'static str {
        match self {
            Verdict::Credible => "framed as credible",
            Verdict::NotCredible => "framed as not credible",
            Verdict::Unclear => "unclear",
            Verdict::NoClaim => "n/a: no claim sentence",
        }
    }
}

/// The framing report of one outlet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutletReport {
    /// Outlet name.
    pub outlet: String,
    /// Articles read.
    pub articles: usize,
    /// Articles with at least one stance sentence (the ones the score averages).
    pub articles_with_stance: usize,
    /// Sentences read.
    pub sentences: usize,
    /// Sentences per label (most probable, or decoded), in [`Label::ALL`] order.
    pub label_counts: [usize; 4],
    /// Mean probability per label over all sentences (sums to 1), in [`Label::ALL`] order.
    pub label_shares: [f64; 4],
    /// Claim-weighted mean hedge strength of the claim sentences (`None` without claims).
    pub hedge_rate: Option<f64>,
    /// Mean headline direction over the articles whose headline carries stance.
    pub headline_framing: Option<f64>,
    /// Share of stance articles whose first stance sentence is a claim.
    pub claim_first_share: Option<f64>,
    /// The credibility-framing score: mean article score over stance articles (0 without any,
    /// which is no score: see `verdict`).
    pub score: f64,
    /// Bootstrap interval of the score; `None` when no article carries stance.
    pub interval: Option<Interval>,
    /// What the interval says: credible, not credible, unclear, or n/a (no score).
    pub verdict: Verdict,
    /// The sentences that moved the score most, by absolute shift.
    pub evidence: Vec<Evidence>,
}

/// One article as the outlet aggregation reads it: counts, framing and stance units, no text.
#[derive(Debug, Clone, Copy)]
pub struct OutletArticle<'a> {
    /// Article id (articles are aggregated in id order).
    pub id: &'a str,
    /// Number of sentences.
    pub sentences: usize,
    /// Sentences per label (most probable, or decoded), in [`Label::ALL`] order.
    pub label_counts: [usize; 4],
    /// Sum of probabilities per label over the sentences.
    pub prob_sums: [f64; 4],
    /// The stance units.
    pub units: &'a [StanceUnit],
    /// The article's framing.
    pub framing: &'a ArticleFraming,
}

impl ArticleDigest {
    /// The digest as the outlet aggregation reads it.
    pub fn outlet_article(&self) -> OutletArticle<'_> {
        OutletArticle {
            id: &self.id,
            sentences: self.sentences,
            label_counts: self.label_counts,
            prob_sums: self.prob_sums,
            units: &self.units,
            framing: &self.framing,
        }
    }
}

/// Aggregates one outlet's article digests (any order: they are sorted by id here), with every
/// article's evidence as candidates.
pub fn aggregate_outlet(
    outlet: &str,
    digests: &[&ArticleDigest],
    p: &FramingParams,
) -> OutletReport {
    let articles: Vec<OutletArticle> = digests.iter().map(|d| d.outlet_article()).collect();
    let candidates = digests.iter().flat_map(|d| d.evidence.iter().cloned());
    aggregate_articles(outlet, &articles, candidates, p)
}

/// Aggregates one outlet's articles (any order: they are sorted by id here). `candidates` are
/// the outlet's evidence candidates: every article's own evidence, or what an
/// [`EvidencePool`] fed with it kept (the result is the same).
pub fn aggregate_articles(
    outlet: &str,
    articles: &[OutletArticle],
    candidates: impl IntoIterator<Item = Evidence>,
    p: &FramingParams,
) -> OutletReport {
    let mut ds: Vec<&OutletArticle> = articles.iter().collect();
    ds.sort_by(|a, b| a.id.cmp(b.id));
    let stance: Vec<&OutletArticle> = ds.iter().copied().filter(|d| !d.units.is_empty()).collect();
    let n = stance.len();
    let sentences: usize = ds.iter().map(|d| d.sentences).sum();
    let mut label_counts = [0usize; 4];
    let mut sums = [0.0; 4];
    for d in &ds {
        for i in 0..4 {
            label_counts[i] += d.label_counts[i];
            sums[i] += d.prob_sums[i];
        }
    }
    let label_shares = sums.map(|s| {
        if sentences > 0 {
            s / sentences as f64
        } else {
            0.0
        }
    });
    let (mut hn, mut hd) = (0.0, 0.0);
    for u in stance.iter().flat_map(|d| d.units) {
        hn += u.mass * u.claim * u.hedge;
        hd += u.mass * u.claim;
    }
    let heads: Vec<f64> = stance.iter().filter_map(|d| d.framing.headline).collect();
    let mean = |xs: &[f64]| (!xs.is_empty()).then(|| xs.iter().sum::<f64>() / xs.len() as f64);
    let scores: Vec<f64> = stance.iter().map(|d| d.framing.score).collect();
    let claim_first: Vec<f64> = stance
        .iter()
        .map(|d| {
            f64::from(u8::from(
                d.framing.first_stance == Some(Label::RussianClaim),
            ))
        })
        .collect();
    let units: Vec<&[StanceUnit]> = stance.iter().map(|d| d.units).collect();
    let interval = bootstrap_mean(&units, p, outlet_seed(p, outlet));
    OutletReport {
        outlet: outlet.to_string(),
        articles: ds.len(),
        articles_with_stance: n,
        sentences,
        label_counts,
        label_shares,
        hedge_rate: (hd > 0.0).then(|| hn / hd),
        headline_framing: mean(&heads),
        claim_first_share: mean(&claim_first),
        score: mean(&scores).unwrap_or(0.0),
        interval,
        verdict: Verdict::of(interval),
        evidence: select_evidence(candidates, n, p.evidence),
    }
}

/// An outlet's evidence list: each candidate's shift becomes its article shift divided by the
/// `stance_articles` the outlet score averages; then the `keep` largest absolute shifts (ties
/// by article id, then sentence index).
pub fn select_evidence(
    candidates: impl IntoIterator<Item = Evidence>,
    stance_articles: usize,
    keep: usize,
) -> Vec<Evidence> {
    let mut evidence: Vec<Evidence> = candidates
        .into_iter()
        .map(|mut e| {
            e.shift = e.article_shift / stance_articles as f64;
            e
        })
        .collect();
    evidence.sort_by(|a, b| {
        b.shift
            .abs()
            .total_cmp(&a.shift.abs())
            .then_with(|| a.article.cmp(&b.article))
            .then(a.index.cmp(&b.index))
    });
    evidence.truncate(keep);
    evidence
}

/// Smallest article shift that still counts as "surely larger" (see [`surely_precedes`]):
/// divided by any article count up to 2^64 it stays a normal number.
const SHIFT_FLOOR: f64 = 1e-250;

/// True when `d` comes before `c` in [`select_evidence`]'s order whatever the number of stance
/// articles `n`. The order compares `|article_shift| / n` rounded to f64, which is monotone in
/// the shift but can turn two close shifts into a tie (then the article id and index decide).
/// So `d` surely precedes `c` when its shift is at least as large and it wins the tie-break,
/// or when its shift is larger by a relative margin (2^-50) that no rounding of the division
/// (relative error at most 2^-53) can close.
fn surely_precedes(d: &Evidence, c: &Evidence) -> bool {
    let (x, y) = (c.article_shift.abs(), d.article_shift.abs());
    if !(x.is_finite() && y.is_finite()) {
        return false;
    }
    // x * (1 + 2^-49), rounded, is at least x * (1 + 2^-50).
    let clearly_larger = y >= SHIFT_FLOOR && y > x * (1.0 + f64::powi(2.0, -49));
    clearly_larger || (y >= x && (d.article.as_str(), d.index) < (c.article.as_str(), c.index))
}

/// A running set of an outlet's evidence candidates, bounded in size, that always still holds
/// the ones [`select_evidence`] would pick from all candidates offered so far, whatever the
/// final number of stance articles. A candidate is dropped only once `keep` others surely
/// precede it (see `surely_precedes`): it can then never be among the `keep` shown. This is
/// what lets a report over millions of articles keep evidence text for a few sentences per
/// outlet instead of every article's.
#[derive(Debug, Clone, Default)]
pub struct EvidencePool {
    keep: usize,
    limit: usize,
    items: Vec<Evidence>,
}

impl EvidencePool {
    /// An empty pool for an outlet list of `keep` evidence sentences.
    pub fn new(keep: usize) -> EvidencePool {
        EvidencePool {
            keep,
            limit: Self::min_limit(keep),
            items: Vec::new(),
        }
    }

    fn min_limit(keep: usize) -> usize {
        (4 * keep).max(16)
    }

    /// Offers a candidate (an article's evidence sentence with its article shift). Each
    /// sentence must be offered once.
    pub fn offer(&mut self, e: Evidence) {
        if self.keep == 0 {
            return;
        }
        self.items.push(e);
        if self.items.len() > self.limit {
            self.prune();
            // Amortised: many survivors (near-ties) double the room before the next pruning.
            self.limit = Self::min_limit(self.keep).max(2 * self.items.len());
        }
    }

    /// Drops every candidate that `keep` others surely precede.
    fn prune(&mut self) {
        self.items.sort_by(|a, b| {
            b.article_shift
                .abs()
                .total_cmp(&a.article_shift.abs())
                .then_with(|| a.article.cmp(&b.article))
                .then(a.index.cmp(&b.index))
        });
        let keep = self.keep;
        // Only candidates with an absolute shift at least as large (earlier in this order) can
        // surely precede one.
        let dropped: Vec<bool> = (0..self.items.len())
            .map(|i| {
                let c = &self.items[i];
                self.items[..i]
                    .iter()
                    .filter(|d| surely_precedes(d, c))
                    .take(keep)
                    .count()
                    >= keep
            })
            .collect();
        let mut flags = dropped.into_iter();
        self.items.retain(|_| !flags.next().unwrap_or(false));
    }

    /// Number of candidates held.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when no candidate is held.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The candidates held, for [`select_evidence`] or [`aggregate_articles`].
    pub fn into_candidates(self) -> Vec<Evidence> {
        self.items
    }

    /// The candidates that can still be shown, pruned as far as the pool's guarantee allows:
    /// the same set whatever order the candidates were offered in (and across any split of
    /// them into pools merged later), in [`select_evidence`]'s order.
    pub fn into_pruned(mut self) -> Vec<Evidence> {
        self.prune();
        self.items
    }

    /// The candidates held.
    pub fn candidates(&self) -> &[Evidence] {
        &self.items
    }
}
