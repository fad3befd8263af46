//! Framing reports: streaming aggregation of scored articles into a [`Report`] (a plain-language
//! [`Summary`], per-outlet [`OutletReport`]s, a [`Timeline`], optional [`Groups`] and
//! per-article summaries) and its rendering as Markdown, JSON, CSV or a self-contained HTML
//! page.
//!
//! [`ReportBuilder`] (in `builder`) takes scored articles one at a time and keeps only compact
//! digests, so a report can be built from scored JSONL far larger than memory holds as text,
//! and from many scoring jobs' outputs: the result does not depend on how the input was split
//! or ordered. [`render_to`] writes a report straight to a file or stream.

pub(crate) mod builder;
mod csv_format;
pub mod dates;
mod files;
mod html;
mod json;
mod links;
mod markdown;
pub(crate) mod overview;
mod rows;

pub use builder::{ReportBuilder, ReportOptions};
pub use csv_format::neutralise_cell;
pub use dates::Period;
pub use files::{write_per_outlet, write_report, ReportFileError};
pub use html::{escape_html, MAX_HIGHLIGHTS};
pub use links::safe_link;
pub use markdown::escape_markdown;
pub use overview::{GroupRow, Groups, PeriodRow, Series, Standout, Summary, Timeline};
pub use rows::{ArticleRows, Iter as ArticleRowsIter};

use crate::framing::{ArticleFraming, FramingError, FramingParams, OutletReport, Verdict};
use crate::label::{Label, LabelNames};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::io;
use std::str::FromStr;
use std::sync::Arc;

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
    /// Writing the rendered report failed.
    #[error("writing the report: {0}")]
    Io(#[from] io::Error),
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
    /// The sentence's label (most probable, or decoded when the scores were decoded).
    pub label: Label,
    /// The model's probability of that label.
    pub confidence: f64,
    /// The sentence text, cut to the builder's `strip_chars`.
    pub text: String,
}

/// What the report says about one article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleSummary {
    /// Article id.
    pub id: String,
    /// Outlet (one shared string per outlet).
    pub outlet: Arc<str>,
    /// Publication date as given, when it is a valid date (`YYYY-MM-DD`, `YYYY-MM`, `YYYY`).
    pub date: Option<String>,
    /// The date as given when it is not a valid date (the article then counts as undated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invalid_date: Option<String>,
    /// Source URL.
    pub url: Option<String>,
    /// Title: the metadata's, or the headline sentence when the metadata gives none.
    pub title: Option<String>,
    /// The article's value of the report's grouping key (`--group-by`), when it gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Model that scored it (one shared string per model).
    pub model: Option<Arc<str>>,
    /// Number of sentences.
    pub sentences: usize,
    /// Sentences per label (most probable, or decoded when the scores were decoded), in
    /// [`Label::ALL`] order.
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
    /// The answer in brief: outlets per verdict, the strongest of each, the period covered.
    pub summary: Summary,
    /// Outlets, by score from most to least credible framing (ties by name); outlets without
    /// a claim sentence (no score) last.
    pub outlets: Vec<OutletReport>,
    /// Mean score per week or month, with intervals and volumes.
    pub timeline: Timeline,
    /// Outlets grouped by a metadata key (`--group-by`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Groups>,
    /// Articles, by outlet, date and id (kept packed; iterate to read them).
    pub articles: ArticleRows,
    /// Each outlet's own timeline, kept when the builder was asked for per-outlet reports.
    #[serde(skip)]
    pub outlet_timelines: BTreeMap<String, Timeline>,
    /// What the rendered report calls the labels and the claim (default: the default
    /// story's); set by the caller before rendering.
    #[serde(skip)]
    pub names: LabelNames,
}

impl Report {
    /// The report restricted to one outlet (its row, its articles, its own summary and
    /// timeline), for per-outlet files. The timeline has intervals when the builder kept the
    /// outlet timelines ([`ReportOptions::per_outlet`]); otherwise its periods give counts
    /// and means only.
    pub fn for_outlet(&self, outlet: &str) -> Report {
        let outlets: Vec<OutletReport> = self
            .outlets
            .iter()
            .filter(|o| o.outlet == outlet)
            .cloned()
            .collect();
        let articles: ArticleRows = (0..self.articles.len())
            .filter(|&i| self.articles.head(i).outlet == outlet)
            .filter_map(|i| self.articles.get(i))
            .collect();
        let timeline = match self.outlet_timelines.get(outlet) {
            Some(t) => t.clone(),
            None => overview::timeline_without_intervals(
                &articles,
                self.timeline.period,
                self.timeline.automatic,
            ),
        };
        Report {
            tool: self.tool.clone(),
            models: self.models.clone(),
            settings: self.settings.clone(),
            summary: overview::summary(&outlets, &articles),
            outlets,
            timeline,
            groups: None,
            articles,
            outlet_timelines: BTreeMap::new(),
            names: self.names.clone(),
        }
    }

    /// The report's rows of the articles that the outlets' evidence cites, by id, for naming
    /// them (title, date, link) wherever evidence cites them.
    pub fn cited_articles(&self) -> HashMap<String, ArticleSummary> {
        let cited: HashSet<&str> = self
            .outlets
            .iter()
            .flat_map(|o| o.evidence.iter().map(|e| e.article.as_str()))
            .collect();
        self.articles.select_by_id(&|id| cited.contains(id))
    }
}

/// Stance sentences of an outlet: sentences labelled claim, denial or skepticism.
pub fn stance_sentences(o: &OutletReport) -> usize {
    o.label_counts[..3].iter().sum()
}

/// An outlet's score as text: signed with two decimals, or `n/a` without a claim sentence.
pub(crate) fn score_text(o: &OutletReport) -> String {
    if o.verdict == Verdict::NoClaim {
        "n/a".to_string()
    } else {
        signed(o.score)
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
/// 16 hex digits (64 bits) of the name's SHA-256, so distinct outlets never share a file (`A/B` and `A B`)
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
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    if slug.is_empty() {
        format!("outlet-{hash}")
    } else {
        format!("{slug}-{hash}")
    }
}

pub(crate) fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// Which table a CSV report holds (CSV has one table per file; the other formats hold all).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CsvTable {
    /// One row per outlet.
    #[default]
    Outlets,
    /// One row per article.
    Articles,
    /// One row per timeline period (and per highlighted outlet's period).
    Periods,
    /// One row per group (`--group-by`).
    Groups,
    /// One row: the summary.
    Summary,
}

impl FromStr for CsvTable {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "outlets" => Ok(CsvTable::Outlets),
            "articles" => Ok(CsvTable::Articles),
            "periods" | "timeline" => Ok(CsvTable::Periods),
            "groups" => Ok(CsvTable::Groups),
            "summary" => Ok(CsvTable::Summary),
            other => Err(format!(
                "unknown table `{other}` (expected outlets, articles, periods, groups or summary)"
            )),
        }
    }
}

/// Options of [`render`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// CSV: one row per article instead of one per outlet (the same as `table: Articles`).
    pub per_article: bool,
    /// CSV: which table to write.
    pub table: CsvTable,
}

/// Renders a report in a format, as one string (see [`render_to`] for large reports).
pub fn render(report: &Report, format: Format, opts: RenderOptions) -> Result<String, ReportError> {
    let mut bytes = Vec::new();
    render_to(report, format, opts, &mut bytes)?;
    String::from_utf8(bytes).map_err(|e| ReportError::Io(io::Error::other(e)))
}

/// Renders a report in a format straight into `out` (a buffered file or stream): the document
/// is never held in memory as a whole. The bytes are those of [`render`].
pub fn render_to(
    report: &Report,
    format: Format,
    opts: RenderOptions,
    out: &mut dyn io::Write,
) -> Result<(), ReportError> {
    match format {
        Format::Json => json::render(report, out)?,
        Format::Md => FmtSink::run(out, |s| markdown::render(report, s))?,
        Format::Csv => {
            let table = if opts.per_article {
                CsvTable::Articles
            } else {
                opts.table
            };
            match table {
                CsvTable::Outlets => csv_format::render_outlets(report, out)?,
                CsvTable::Articles => csv_format::render_articles(report, out)?,
                CsvTable::Periods => csv_format::render_periods(report, out)?,
                CsvTable::Groups => csv_format::render_groups(report, out)?,
                CsvTable::Summary => csv_format::render_summary(report, out)?,
            }
        }
        Format::Html => FmtSink::run(out, |s| html::render(report, s))?,
    }
    Ok(())
}

/// Lets the text renderers (written against [`fmt::Write`]) write into an [`io::Write`],
/// keeping the first I/O error (which `fmt::Error` cannot carry).
struct FmtSink<'a> {
    out: &'a mut dyn io::Write,
    error: Option<io::Error>,
}

impl FmtSink<'_> {
    fn run(
        out: &mut dyn io::Write,
        render: impl FnOnce(&mut FmtSink) -> fmt::Result,
    ) -> io::Result<()> {
        let mut sink = FmtSink { out, error: None };
        match render(&mut sink) {
            Ok(()) => Ok(()),
            Err(fmt::Error) => Err(sink
                .error
                .take()
                .unwrap_or_else(|| io::Error::other("formatting the report failed"))),
        }
    }
}

impl fmt::Write for FmtSink<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.out.write_all(s.as_bytes()).map_err(|e| {
            self.error = Some(e);
            fmt::Error
        })
    }
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
