//! Framing reports: streaming aggregation of scored articles into a [`Report`] (per-outlet
//! [`OutletReport`]s plus per-article summaries) and its rendering as Markdown, JSON, CSV or a
//! self-contained HTML page.
//!
//! [`ReportBuilder`] (in `builder`) takes scored articles one at a time and keeps only compact
//! digests, so a report can be built from scored JSONL far larger than memory holds as text,
//! and from many scoring jobs' outputs: the result does not depend on how the input was split
//! or ordered. [`render_to`] writes a report straight to a file or stream.

mod builder;
mod csv_format;
mod html;
mod markdown;

pub use builder::ReportBuilder;
pub use csv_format::neutralise_cell;
pub use html::escape_html;
pub use markdown::escape_markdown;

use crate::framing::{ArticleFraming, FramingError, FramingParams, OutletReport};
use crate::label::Label;
use serde::{Deserialize, Serialize};
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
    /// Publication date as given.
    pub date: Option<String>,
    /// Source URL.
    pub url: Option<String>,
    /// Title.
    pub title: Option<String>,
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
    /// Outlets, by score from most to least credible framing (ties by name).
    pub outlets: Vec<OutletReport>,
    /// Articles, by outlet, date and id.
    pub articles: Vec<ArticleSummary>,
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
                .filter(|a| &*a.outlet == outlet)
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

/// Options of [`render`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// CSV: one row per article instead of one per outlet.
    pub per_article: bool,
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
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, report).map_err(io::Error::from)?;
            out.write_all(b"\n")?;
        }
        Format::Md => FmtSink::run(out, |s| markdown::render(report, s))?,
        Format::Csv => {
            if opts.per_article {
                csv_format::render_articles(report, out)?
            } else {
                csv_format::render_outlets(report, out)?
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
