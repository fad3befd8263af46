//! Framing reports: streaming aggregation of scored articles into a [`Report`] (per-outlet
//! [`OutletReport`]s plus per-article summaries) and its rendering as Markdown, JSON, CSV or a
//! self-contained HTML page.
//!
//! [`ReportBuilder`] takes scored articles one at a time and keeps only compact digests, so a
//! report can be built from scored JSONL far larger than memory holds as text, and from many
//! scoring jobs' outputs: the result does not depend on how the input was split or ordered.

mod csv_format;
mod html;
mod markdown;

pub use csv_format::neutralise_cell;
pub use html::escape_html;
pub use markdown::escape_markdown;

use crate::framing::{
    aggregate_outlet, ArticleDigest, ArticleFraming, FramingError, FramingParams, Hedges,
    OutletReport,
};
use crate::label::Label;
use crate::scored::{argmax_label, ScoredArticle};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

/// Errors building or rendering a report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The framing stage rejected an article.
    #[error(transparent)]
    Framing(#[from] FramingError),
    /// Two different articles with one id.
    #[error("article id `{0}` occurs twice with different content; each article may be scored once (remove the duplicate input or give the copies distinct ids)")]
    DuplicateArticle(String),
    /// CSV writing failed.
    #[error("writing CSV: {0}")]
    Csv(String),
}

/// Output format of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Markdown tables and evidence lists.
    Md,
    /// The full report structure as JSON.
    Json,
    /// One row per outlet (or per article).
    Csv,
    /// A self-contained HTML page with SVG charts.
    Html,
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "md" | "markdown" => Ok(Format::Md),
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            "html" => Ok(Format::Html),
            other => Err(format!(
                "unknown format `{other}` (expected md, json, csv or html)"
            )),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Md => "md",
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Html => "html",
        })
    }
}

/// One cell of an article's sentence strip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StripCell {
    /// Sentence index.
    pub index: usize,
    /// Most probable label.
    pub label: Label,
    /// Its probability.
    pub confidence: f64,
    /// The sentence text, cut to the builder's `strip_chars`.
    pub text: String,
}

/// What the report says about one article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleSummary {
    /// Article id.
    pub id: String,
    /// Outlet.
    pub outlet: String,
    /// Publication date as given.
    pub date: Option<String>,
    /// Source URL.
    pub url: Option<String>,
    /// Title.
    pub title: Option<String>,
    /// Model that scored it.
    pub model: Option<String>,
    /// Number of sentences.
    pub sentences: usize,
    /// Sentences per most probable label, in [`Label::ALL`] order.
    pub label_counts: [usize; 4],
    /// The article's framing figures.
    pub framing: ArticleFraming,
    /// The sentence strip (kept for the first `max_strips` articles in report order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strip: Option<Vec<StripCell>>,
}

/// The settings a report was built with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// The framing formula's constants.
    pub framing: FramingParams,
    /// Where the hedge list came from.
    pub hedges_source: String,
    /// Fingerprint of the hedge list.
    pub hedges_fingerprint: String,
    /// How many articles keep a sentence strip.
    pub max_strips: usize,
}

/// A complete framing report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Tool name and version.
    pub tool: String,
    /// The distinct models that scored the articles (sorted).
    pub models: Vec<String>,
    /// Settings.
    pub settings: Settings,
    /// Outlets, by score from most to least credible framing (ties by name).
    pub outlets: Vec<OutletReport>,
    /// Articles, by outlet, date and id.
    pub articles: Vec<ArticleSummary>,
}

type ArticleKey = (String, String, String);

fn key(outlet: &str, date: Option<&str>, id: &str) -> ArticleKey {
    (
        outlet.to_string(),
        date.unwrap_or("").to_string(),
        id.to_string(),
    )
}

/// Streams scored articles into a [`Report`], holding compact digests only.
#[derive(Debug, Clone)]
pub struct ReportBuilder {
    params: FramingParams,
    hedges: Hedges,
    max_strips: usize,
    strip_chars: usize,
    digests: BTreeMap<String, ArticleDigest>,
    strips: BTreeMap<ArticleKey, Vec<StripCell>>,
    models: BTreeSet<String>,
}

impl ReportBuilder {
    /// A builder with the formula's constants and hedge list. `max_strips` bounds how many
    /// articles keep their sentence strip (the first ones in report order, whatever the input order).
    pub fn new(
        params: FramingParams,
        hedges: Hedges,
        max_strips: usize,
    ) -> Result<ReportBuilder, ReportError> {
        params.validate()?;
        Ok(ReportBuilder {
            params,
            hedges,
            max_strips,
            strip_chars: 240,
            digests: BTreeMap::new(),
            strips: BTreeMap::new(),
            models: BTreeSet::new(),
        })
    }

    /// Number of articles added so far.
    pub fn len(&self) -> usize {
        self.digests.len()
    }

    /// True when no article was added.
    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }

    /// Adds one scored article. Adding an identical article twice is a no-op; two different
    /// articles with one id are an error.
    pub fn add(&mut self, a: &ScoredArticle) -> Result<(), ReportError> {
        let (digest, strip) = self.prepare(a)?;
        self.insert(digest, strip)
    }

    /// Adds a batch of scored articles, digesting them in parallel (the result is the same as
    /// adding them one by one).
    pub fn add_batch(&mut self, articles: &[ScoredArticle]) -> Result<(), ReportError> {
        let prepared: Vec<_> = articles
            .par_iter()
            .map(|a| self.prepare(a))
            .collect::<Result<_, _>>()?;
        for (digest, strip) in prepared {
            self.insert(digest, strip)?;
        }
        Ok(())
    }

    fn prepare(
        &self,
        a: &ScoredArticle,
    ) -> Result<(ArticleDigest, Option<Vec<StripCell>>), ReportError> {
        let digest = ArticleDigest::from_scored(a, &self.params, &self.hedges)?;
        let strip = (self.max_strips > 0).then(|| {
            a.sentences
                .iter()
                .map(|s| {
                    let label = argmax_label(&s.probs);
                    StripCell {
                        index: s.index,
                        label,
                        confidence: s.probs[label.index()],
                        text: cut(&s.text, self.strip_chars),
                    }
                })
                .collect()
        });
        Ok((digest, strip))
    }

    fn insert(
        &mut self,
        digest: ArticleDigest,
        strip: Option<Vec<StripCell>>,
    ) -> Result<(), ReportError> {
        if let Some(old) = self.digests.get(&digest.id) {
            return if *old == digest {
                Ok(())
            } else {
                Err(ReportError::DuplicateArticle(digest.id))
            };
        }
        if let Some(m) = &digest.model {
            self.models.insert(m.clone());
        }
        if let Some(strip) = strip {
            self.strips.insert(
                key(&digest.outlet, digest.date.as_deref(), &digest.id),
                strip,
            );
            while self.strips.len() > self.max_strips {
                self.strips.pop_last();
            }
        }
        self.digests.insert(digest.id.clone(), digest);
        Ok(())
    }

    /// Merges another builder's articles (e.g. from a parallel job) into this one.
    pub fn merge(&mut self, other: ReportBuilder) -> Result<(), ReportError> {
        let mut strips = other.strips;
        for (_, d) in other.digests {
            let strip = strips.remove(&key(&d.outlet, d.date.as_deref(), &d.id));
            self.insert(d, strip)?;
        }
        Ok(())
    }

    /// Aggregates per outlet (outlets in parallel, each with its own seed) and builds the report.
    pub fn finish(mut self) -> Report {
        let mut by_outlet: BTreeMap<&str, Vec<&ArticleDigest>> = BTreeMap::new();
        for d in self.digests.values() {
            by_outlet.entry(d.outlet.as_str()).or_default().push(d);
        }
        let groups: Vec<(&str, Vec<&ArticleDigest>)> = by_outlet.into_iter().collect();
        let params = &self.params;
        let mut outlets: Vec<OutletReport> = groups
            .par_iter()
            .map(|(name, ds)| aggregate_outlet(name, ds, params))
            .collect();
        outlets.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.outlet.cmp(&b.outlet))
        });
        let mut articles: Vec<ArticleSummary> = self
            .digests
            .values()
            .map(|d| ArticleSummary {
                id: d.id.clone(),
                outlet: d.outlet.clone(),
                date: d.date.clone(),
                url: d.url.clone(),
                title: d.title.clone(),
                model: d.model.clone(),
                sentences: d.sentences,
                label_counts: d.label_counts,
                framing: d.framing.clone(),
                strip: self
                    .strips
                    .remove(&key(&d.outlet, d.date.as_deref(), &d.id)),
            })
            .collect();
        articles.sort_by(|a, b| {
            key(&a.outlet, a.date.as_deref(), &a.id).cmp(&key(&b.outlet, b.date.as_deref(), &b.id))
        });
        Report {
            tool: format!("claimtrack {}", env!("CARGO_PKG_VERSION")),
            models: self.models.into_iter().collect(),
            settings: Settings {
                framing: self.params.clone(),
                hedges_source: self.hedges.source().to_string(),
                hedges_fingerprint: self.hedges.fingerprint().to_string(),
                max_strips: self.max_strips,
            },
            outlets,
            articles,
        }
    }
}

impl Report {
    /// The report restricted to one outlet (its row and its articles), for per-outlet files.
    pub fn for_outlet(&self, outlet: &str) -> Report {
        Report {
            tool: self.tool.clone(),
            models: self.models.clone(),
            settings: self.settings.clone(),
            outlets: self
                .outlets
                .iter()
                .filter(|o| o.outlet == outlet)
                .cloned()
                .collect(),
            articles: self
                .articles
                .iter()
                .filter(|a| a.outlet == outlet)
                .cloned()
                .collect(),
        }
    }
}

impl Format {
    /// The file extension of the format (`md`, `json`, `csv`, `html`).
    pub fn extension(self) -> &'static str {
        match self {
            Format::Md => "md",
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Html => "html",
        }
    }
}

/// A safe file stem for an outlet's own report file. Outlet names come from scraped input and
/// must never become raw path components: the stem keeps ASCII letters and digits (lower-cased),
/// turns every other run of characters into one `-`, is at most 48 characters long, and ends in
/// 8 hex digits of the name's SHA-256, so distinct outlets never share a file (`A/B` and `A B`)
/// and no stem is empty, hidden, `..`, a path or a reserved device name.
pub fn outlet_file_stem(outlet: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut slug = String::new();
    for c in outlet.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= 48 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-');
    let hash: String = Sha256::digest(outlet.as_bytes())
        .iter()
        .take(4)
        .map(|b| format!("{b:02x}"))
        .collect();
    if slug.is_empty() {
        format!("outlet-{hash}")
    } else {
        format!("{slug}-{hash}")
    }
}

fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// Options of [`render`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// CSV: one row per article instead of one per outlet.
    pub per_article: bool,
}

/// Renders a report in a format.
pub fn render(report: &Report, format: Format, opts: RenderOptions) -> Result<String, ReportError> {
    Ok(match format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(report).expect("a report serialises");
            s.push('\n');
            s
        }
        Format::Md => markdown::render(report),
        Format::Csv => {
            if opts.per_article {
                csv_format::render_articles(report)?
            } else {
                csv_format::render_outlets(report)?
            }
        }
        Format::Html => html::render(report),
    })
}

/// Formats a signed score with two decimals (`+0.25`, `-0.10`).
pub(crate) fn signed(x: f64) -> String {
    let s = format!("{x:+.2}");
    if s == "-0.00" {
        "+0.00".to_string()
    } else {
        s
    }
}

/// Formats an optional interval as `[lo, hi]`, or `n/a`.
pub(crate) fn interval_text(i: Option<crate::framing::Interval>) -> String {
    i.map_or_else(
        || "n/a".to_string(),
        |i| format!("[{}, {}]", signed(i.lo), signed(i.hi)),
    )
}

#[cfg(test)]
mod tests;
