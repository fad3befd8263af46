//! Partial-aggregate files: a [`ReportBuilder`]'s state for a set of articles, written to a
//! compact checksummed file (docs/PARTIALS.md), merged with others in any order and grouping,
//! and turned into the report that one builder fed with every article gives, byte for byte.
//!
//! This module owns the merge of partials (per outlet, streaming: memory grows with the
//! largest outlet, not with the archive), the per-outlet finishing ([`finish_outlets`]: the
//! bootstrap of each outlet, callable on any group of outlets) and the report from partials
//! ([`report`]: everything that depends on all outlets is computed there). `format` owns the
//! bytes.
//!
//! # Example
//!
//! Two jobs each write a partial; the partials give the report of all their articles:
//!
//! ```
//! use claimtrack::framing::{FramingParams, Hedges};
//! use claimtrack::partial::{self, PartInput};
//! use claimtrack::report::{ReportBuilder, ReportOptions};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let builder = || ReportBuilder::new(FramingParams::default(), Hedges::default(), 200);
//! // Each job adds its scored articles (`builder.add_batch(&articles)`), then writes:
//! let (part_a, _) = partial::write_builder(builder()?, Vec::new())?;
//! let (part_b, _) = partial::write_builder(builder()?, Vec::new())?;
//! // Anywhere later: merge them (associative), or finish the outlets of a group, or report.
//! let parts = vec![
//!     PartInput::from_reader("a.ctp", std::io::Cursor::new(part_a))?,
//!     PartInput::from_reader("b.ctp", std::io::Cursor::new(part_b))?,
//! ];
//! let (merged, stats) = partial::merge(parts, Vec::new())?;
//! assert_eq!(stats.articles, 0);
//! let input = PartInput::from_reader("all.ctp", std::io::Cursor::new(merged))?;
//! let built = partial::report(vec![input], ReportOptions::default())?;
//! assert!(built.report.articles.is_empty());
//! # Ok(())
//! # }
//! ```

mod format;

pub use format::{OLDEST_VERSION, VERSION};

use crate::framing::{
    aggregate_articles, Evidence, EvidencePool, FramingParams, OutletArticle, OutletReport,
    StanceUnit,
};
use crate::report::builder::{check_periods, finish_assembly, report_order, ArticleKey, Assembly};
use crate::report::dates::Period;
use crate::report::overview::{FinishedPeriod, Overview};
use crate::report::{ArticleRows, Report, ReportBuilder, ReportOptions, StripCell};
use format::{kind, ArticleRecord, Dec, Enc, RecordReader, RecordWriter};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::Arc;

/// Why a partial-aggregate file could not be read, merged or written.
#[derive(Debug, thiserror::Error)]
pub enum PartialError {
    /// Reading a file failed.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// The cause.
        source: io::Error,
    },
    /// The file does not start with the signature.
    #[error("{file}: not a claimtrack partial-aggregate file (it does not start with the partial signature)")]
    NotPartial {
        /// The file.
        file: String,
    },
    /// The file is of another format version.
    #[error("{file}: partial-aggregate format version {found}; this claimtrack reads versions {} to {} (rebuild the partial with this claimtrack)", OLDEST_VERSION, VERSION)]
    Version {
        /// The file.
        file: String,
        /// The version it declares.
        found: u32,
    },
    /// The file ends early.
    #[error(
        "{file}: truncated at byte {offset}: {what} (the file was cut short; copy or rebuild it)"
    )]
    Truncated {
        /// The file.
        file: String,
        /// Where the missing data starts.
        offset: u64,
        /// What is missing.
        what: String,
    },
    /// A record is damaged or out of place.
    #[error("{file}: corrupt record at byte {offset}: {what}")]
    Corrupt {
        /// The file.
        file: String,
        /// The record's offset.
        offset: u64,
        /// What is wrong.
        what: String,
    },
    /// Two partials were built with different settings.
    #[error("{file}: built with other settings than {first} ({what} differs); partials merge only when built with the same framing settings, hedge list, --max-strips and --group-by")]
    Settings {
        /// The file that differs.
        file: String,
        /// The first partial.
        first: String,
        /// The setting that differs.
        what: String,
    },
    /// Two different articles with one id.
    #[error("{file}: article id `{id}` occurs twice with different content; each article may be scored once (remove the duplicate input or give the copies distinct ids)")]
    DuplicateArticle {
        /// The file holding the second copy.
        file: String,
        /// The id.
        id: String,
    },
    /// An outlet was finished, and other partials hold other articles of it.
    #[error("{file}: outlet `{outlet}` was finished in one partial but other partials hold other articles of it; merge all of an outlet's partials before finishing it")]
    FinishedOutlet {
        /// The file where the conflict was found.
        file: String,
        /// The outlet.
        outlet: String,
    },
    /// The report asks for a grouping key the partials were not built with.
    #[error("--group-by {asked}: the partials were built with {built}; give the same --group-by when building the partials and the report")]
    GroupBy {
        /// The key asked for (or `no --group-by`).
        asked: String,
        /// The key the partials hold (or `no --group-by`).
        built: String,
    },
    /// Two partials hold different rows for one finished timeline period.
    #[error("{file}: the finished timeline period {label} differs from the one of another partial; finish the periods once, from the same partials")]
    PeriodConflict {
        /// The file holding the second row.
        file: String,
        /// The period's label.
        label: String,
    },
    /// A finished timeline period was computed over other articles than the partials hold.
    #[error("the finished timeline period {label} was computed over other articles than the partials hold; finish the periods again from the partials of this report (or leave the periods' partials out)")]
    PeriodMismatch {
        /// The period's label.
        label: String,
    },
    /// The timeline's periods were finished by another period length than the report's.
    #[error("the timeline's periods were finished by the {finished}, but this report's timeline is by the {report}; give --period {finished}, or finish the periods by the {report}")]
    PeriodLength {
        /// The finished periods' length.
        finished: Period,
        /// The report's.
        report: Period,
    },
    /// No partial was given.
    #[error("no partial-aggregate file given")]
    NoInput,
    /// Writing the output failed.
    #[error("writing the partial: {0}")]
    Write(io::Error),
}

/// The settings a partial was built with (its header): partials merge only when these agree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartialSettings {
    /// The claimtrack that wrote the file (informative; not compared).
    pub tool: String,
    /// The framing formula's constants.
    pub framing: FramingParams,
    /// Where the hedge list came from.
    pub hedges_source: String,
    /// Fingerprint of the hedge list.
    pub hedges_fingerprint: String,
    /// How many articles keep a sentence strip.
    pub max_strips: usize,
    /// Characters kept of each strip sentence.
    pub strip_chars: usize,
    /// The grouping key rows carry a value of (`--group-by`, lower case), if any.
    pub group_by: Option<String>,
}

impl PartialSettings {
    /// The first setting (other than the tool) that differs, by name.
    fn differs(&self, o: &PartialSettings) -> Option<&'static str> {
        if self.framing != o.framing {
            Some("the framing settings")
        } else if self.hedges_fingerprint != o.hedges_fingerprint
            || self.hedges_source != o.hedges_source
        {
            Some("the hedge list")
        } else if self.max_strips != o.max_strips || self.strip_chars != o.strip_chars {
            Some("--max-strips")
        } else if self.group_by != o.group_by {
            Some("--group-by")
        } else {
            None
        }
    }
}

/// What a written partial holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PartialStats {
    /// Outlets.
    pub outlets: u64,
    /// Of them, outlets already finished (their report computed).
    pub finished_outlets: u64,
    /// Articles (each once).
    pub articles: u64,
    /// Evidence candidates kept.
    pub evidence: u64,
    /// Sentence strips kept.
    pub strips: u64,
    /// Warnings carried.
    pub warnings: u64,
    /// Finished periods of the timeline.
    pub periods: u64,
    /// Bytes written.
    pub bytes: u64,
}

/// One partial-aggregate file to read: its signature and version are checked on opening.
pub struct PartInput {
    r: RecordReader,
    settings: PartialSettings,
    counts: PartialStats,
    /// The finished timeline periods, in (period length, label) order.
    periods: Vec<FinishedPeriod>,
    /// The outlet section whose header record was read: name, models, offset.
    pending: Option<(Arc<str>, Vec<Arc<str>>)>,
    last_outlet: Option<Arc<str>>,
}

impl PartInput {
    /// Opens a partial-aggregate file.
    pub fn open(path: &Path) -> Result<PartInput, PartialError> {
        let name = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|source| PartialError::Io {
            file: name.clone(),
            source,
        })?;
        PartInput::from_reader(name, io::BufReader::with_capacity(1 << 16, file))
    }

    /// A partial read from `reader` (a file, bytes in memory, a network stream); `name` names
    /// it in errors.
    pub fn from_reader(
        name: impl Into<String>,
        reader: impl Read + Send + 'static,
    ) -> Result<PartInput, PartialError> {
        let mut r = RecordReader::new(name.into(), Box::new(reader))?;
        let (payload, at) = r.expect(kind::HEADER, "the settings record")?;
        let settings: PartialSettings = serde_json::from_slice(&payload)
            .map_err(|e| r.corrupt(at, format!("unreadable settings: {e}")))?;
        let mut part = PartInput {
            r,
            settings,
            counts: PartialStats::default(),
            periods: Vec::new(),
            pending: None,
            last_outlet: None,
        };
        while part.r.peek()? == Some(kind::PERIOD) {
            let (payload, at) = part.r.expect(kind::PERIOD, "a finished period")?;
            let p = format::decode_period(&payload).map_err(|w| part.r.corrupt(at, w))?;
            if part.r.version < 2 {
                return Err(part.r.corrupt(at, "a record out of place"));
            }
            if part
                .periods
                .last()
                .is_some_and(|l| period_key(l) >= period_key(&p))
            {
                return Err(part.r.corrupt(at, "finished periods out of order"));
            }
            part.counts.periods += 1;
            part.periods.push(p);
        }
        part.advance()?;
        Ok(part)
    }

    /// The file's name as given.
    pub fn name(&self) -> &str {
        &self.r.name
    }

    /// The settings the partial was built with.
    pub fn settings(&self) -> &PartialSettings {
        &self.settings
    }

    /// Reads the next outlet header, if the next record is one.
    fn advance(&mut self) -> Result<(), PartialError> {
        self.pending = None;
        if self.r.peek()? != Some(kind::OUTLET) {
            return Ok(());
        }
        let (payload, at) = self.r.expect(kind::OUTLET, "an outlet")?;
        let mut d = Dec::new(&payload);
        let decoded = (|| {
            let name: Arc<str> = d.str()?.into();
            let n = d.usize()?;
            let mut models = Vec::with_capacity(n.min(payload.len()));
            for _ in 0..n {
                models.push(Arc::from(d.str()?));
            }
            d.done()?;
            Ok::<_, &'static str>((name, models))
        })()
        .map_err(|w| self.r.corrupt(at, w))?;
        if self.last_outlet.as_ref().is_some_and(|l| *l >= decoded.0) {
            return Err(self.r.corrupt(at, "outlets out of order"));
        }
        self.last_outlet = Some(Arc::clone(&decoded.0));
        self.counts.outlets += 1;
        self.pending = Some(decoded);
        Ok(())
    }

    /// Reads the rest of the pending outlet's section.
    fn read_section(&mut self) -> Result<Section, PartialError> {
        let Some((name, models)) = self.pending.take() else {
            return Err(self.r.corrupt(0, "no outlet section here"));
        };
        let mut s = Section {
            name,
            articles: Vec::new(),
            candidates: Vec::new(),
            finished: None,
        };
        loop {
            match self.r.peek()? {
                Some(kind::ARTICLE) => {
                    let (payload, at) = self.r.expect(kind::ARTICLE, "an article")?;
                    let a = format::decode_article(&payload, &s.name, &models)
                        .map_err(|w| self.r.corrupt(at, w))?;
                    if s.articles.last().is_some_and(|l| l.row.id >= a.row.id) {
                        return Err(self.r.corrupt(at, "articles out of order"));
                    }
                    self.counts.articles += 1;
                    s.articles.push(a);
                }
                Some(kind::EVIDENCE) => {
                    let (payload, at) = self.r.expect(kind::EVIDENCE, "evidence")?;
                    let e = format::decode_evidence(&payload).map_err(|w| self.r.corrupt(at, w))?;
                    self.counts.evidence += 1;
                    s.candidates.push(e);
                }
                Some(kind::FINISHED) => {
                    let (payload, at) = self.r.expect(kind::FINISHED, "a finished outlet")?;
                    let o: OutletReport = serde_json::from_slice(&payload).map_err(|e| {
                        self.r.corrupt(at, format!("unreadable outlet report: {e}"))
                    })?;
                    if o.outlet != *s.name || s.finished.is_some() {
                        return Err(self.r.corrupt(at, "a finished report of another outlet"));
                    }
                    self.counts.finished_outlets += 1;
                    s.finished = Some(o);
                }
                _ => break,
            }
        }
        self.advance()?;
        Ok(s)
    }

    /// Reads the strips, warnings and end record, checking the counts and the end of file.
    fn read_tail(&mut self, tail: &mut Tail) -> Result<(), PartialError> {
        loop {
            let (k, payload, at) = self.r.next()?;
            let mut d = Dec::new(&payload);
            match k {
                kind::STRIP => {
                    let (key, cells) =
                        format::decode_strip(&payload).map_err(|w| self.r.corrupt(at, w))?;
                    self.counts.strips += 1;
                    tail.strips.entry(key).or_insert(cells);
                }
                kind::WARNING => {
                    let w = d.str().and_then(|w| d.done().map(|_| w));
                    let w = w.map_err(|w| self.r.corrupt(at, w))?;
                    self.counts.warnings += 1;
                    tail.warnings.insert(w);
                }
                kind::END => {
                    // Version 1 has no finished periods and six counts.
                    let n = if self.r.version < 2 { 6 } else { 7 };
                    let read = |d: &mut Dec| -> Result<Vec<u64>, &'static str> {
                        let mut c = vec![0u64; n];
                        for x in &mut c {
                            *x = d.varint()?;
                        }
                        d.done()?;
                        Ok(c)
                    };
                    let said = read(&mut d).map_err(|w| self.r.corrupt(at, w))?;
                    let c = &self.counts;
                    let held = [
                        c.outlets,
                        c.finished_outlets,
                        c.articles,
                        c.evidence,
                        c.strips,
                        c.warnings,
                        c.periods,
                    ];
                    if said[..] != held[..n] {
                        return Err(self.r.corrupt(
                            at,
                            format!("the end record counts {said:?} records (outlets, finished, articles, evidence, strips, warnings, periods); the file holds {:?}", &held[..n]),
                        ));
                    }
                    return self.r.expect_eof();
                }
                _ => return Err(self.r.corrupt(at, "a record out of place")),
            }
        }
    }
}

/// One outlet's part of a partial.
struct Section {
    name: Arc<str>,
    /// Sorted by id.
    articles: Vec<ArticleRecord>,
    /// Evidence candidates (none once finished).
    candidates: Vec<Evidence>,
    finished: Option<OutletReport>,
}

/// What follows the outlets: strips (first copy of each key) and warnings.
#[derive(Default)]
struct Tail {
    strips: BTreeMap<ArticleKey, Vec<StripCell>>,
    warnings: BTreeSet<String>,
}

/// Writes a builder's articles as a partial into `out` (give it a buffered writer; the output
/// is the same bytes whatever the order the articles were added in). Gives `out` back,
/// flushed, with what was written.
pub fn write_builder<W: Write>(
    builder: ReportBuilder,
    out: W,
) -> Result<(W, PartialStats), PartialError> {
    let a = builder.into_assembly();
    let settings = PartialSettings {
        tool: tool(),
        framing: a.params.clone(),
        hedges_source: a.hedges_source.clone(),
        hedges_fingerprint: a.hedges_fingerprint.clone(),
        max_strips: a.max_strips,
        strip_chars: a.strip_chars,
        group_by: a.options.group_by.clone(),
    };
    let mut w = Writer::new(out, &settings, &[])?;
    let mut records: Vec<ArticleRecord> = a
        .rows
        .iter()
        .zip(a.kept)
        .map(|(row, kept)| ArticleRecord { row, kept })
        .collect();
    // Ids are unique, so an unstable sort gives the one order.
    records.sort_unstable_by(|x, y| (&x.row.outlet, &x.row.id).cmp(&(&y.row.outlet, &y.row.id)));
    let mut pools = a.pools;
    let keep = a.params.evidence;
    let mut records = records.into_iter().peekable();
    while let Some(first) = records.next() {
        let name = Arc::clone(&first.row.outlet);
        let mut articles = vec![first];
        while let Some(next) = records.next_if(|r| r.row.outlet == name) {
            articles.push(next);
        }
        let mut pool = EvidencePool::new(keep);
        for e in pools.remove(&name).unwrap_or_default() {
            pool.offer(e);
        }
        w.section(&Section {
            name,
            articles,
            candidates: pool.into_pruned(),
            finished: None,
        })?;
    }
    let tail = Tail {
        strips: a.strips,
        warnings: a.warnings.into_iter().collect(),
    };
    w.finish(&tail)
}

/// Merges partials into one (written to `out`): the same articles, each once, whatever the
/// order or grouping of the inputs (merging is associative, and a partial given twice counts
/// once). Streams outlet by outlet: memory grows with the largest outlet and the number of
/// articles' ids, not with their rows.
pub fn merge<W: Write>(parts: Vec<PartInput>, out: W) -> Result<(W, PartialStats), PartialError> {
    merge_into(parts, out, false)
}

/// Like [`merge`], and computes the finished report of every outlet in the partials (the
/// per-outlet bootstrap, the expensive step), keeping their articles' rows for the final
/// report. Run it on each group of outlets (e.g. the partials of `hash(outlet) % n == i`,
/// split with [`split_by_outlet`]), then [`report`] on the finished partials only stitches.
pub fn finish_outlets<W: Write>(
    parts: Vec<PartInput>,
    out: W,
) -> Result<(W, PartialStats), PartialError> {
    merge_into(parts, out, true)
}

/// The report (as [`ReportBuilder::finish`] gives it) and its warnings.
#[derive(Debug)]
pub struct PartialReport {
    /// The report.
    pub report: Report,
    /// Warnings about articles (invalid dates), sorted, each once.
    pub warnings: Vec<String>,
}

/// The report of the articles in `parts` (merged as [`merge`] does), byte for byte the one a
/// single [`ReportBuilder`] fed with every article gives. Outlets finished by
/// [`finish_outlets`] are taken as they are; the others are aggregated here. `options.group_by`
/// must be the key the partials were built with.
pub fn report(
    parts: Vec<PartInput>,
    options: ReportOptions,
) -> Result<PartialReport, PartialError> {
    let settings = check_settings(&parts)?.clone();
    let options = ReportOptions {
        group_by: options.group_by.map(|k| k.trim().to_lowercase()),
        ..options
    };
    if options.group_by != settings.group_by {
        let say = |k: &Option<String>| {
            k.as_ref()
                .map_or("no --group-by".to_string(), |k| format!("--group-by {k}"))
        };
        return Err(PartialError::GroupBy {
            asked: say(&options.group_by),
            built: say(&settings.group_by),
        });
    }
    let mut a = Assembly {
        params: settings.framing.clone(),
        hedges_source: settings.hedges_source.clone(),
        hedges_fingerprint: settings.hedges_fingerprint.clone(),
        max_strips: settings.max_strips,
        strip_chars: settings.strip_chars,
        options,
        rows: ArticleRows::new(),
        kept: Vec::new(),
        pools: HashMap::new(),
        finished: HashMap::new(),
        strips: BTreeMap::new(),
        warnings: Vec::new(),
        periods: HashMap::new(),
    };
    let done = union_periods(&parts)?;
    // Stance units are kept only where this report still bootstraps: unfinished outlets,
    // groups, highlighted outlets' series, per-outlet timelines, and periods of the timeline
    // not finished (by `assumed`, the period length asked for or the finished periods' one).
    let everywhere =
        !a.options.highlight.is_empty() || a.options.group_by.is_some() || a.options.per_outlet;
    let assumed: Option<Period> = a.options.period.or_else(|| {
        let lengths: BTreeSet<u8> = done.iter().map(|p| p.period as u8).collect();
        (lengths.len() == 1).then(|| done[0].period)
    });
    let labels: HashSet<&str> = done
        .iter()
        .filter(|p| Some(p.period) == assumed)
        .map(|p| p.row.label.as_str())
        .collect();
    // Whether units were left out because their period was finished by `assumed`.
    let mut relied = false;
    let tail = drive(parts, &settings, &mut |s: Section| {
        // Outlets come in name order; within one, report order is by date, then id: the
        // rows are kept in report order as they arrive (and packed, one at a time).
        let mut articles = s.articles;
        articles.sort_unstable_by(|x, y| report_order(&x.row, &y.row));
        for mut r in articles {
            if s.finished.is_some() && !everywhere {
                match units_needed(&r.row, assumed, &labels) {
                    Need::Yes => {}
                    Need::No => r.kept.units = Default::default(),
                    Need::Finished => {
                        r.kept.units = Default::default();
                        relied = true;
                    }
                }
            }
            a.rows.push(&r.row);
            a.kept.push(r.kept);
        }
        match s.finished {
            Some(o) => {
                a.finished.insert(s.name.to_string(), o);
            }
            None => {
                a.pools.insert(s.name, s.candidates);
            }
        }
        Ok(())
    })?;
    a.strips = tail.strips;
    let (period, periods) = check_periods(&a.rows, &a.params, &a.options, &done)
        .map_err(|label| PartialError::PeriodMismatch { label })?;
    if relied && Some(period) != assumed {
        return Err(PartialError::PeriodLength {
            finished: assumed.unwrap_or(period),
            report: period,
        });
    }
    a.periods = periods;
    let warnings: Vec<String> = tail.warnings.into_iter().collect();
    Ok(PartialReport {
        report: finish_assembly(a),
        warnings,
    })
}

/// Whether the report from partials needs an article's stance units for its timeline.
enum Need {
    /// Yes: its period is not finished (or the period length is not known yet).
    Yes,
    /// No: it has no stance or no date.
    No,
    /// No, as long as the timeline is by the period length assumed: its period is finished.
    Finished,
}

fn units_needed(
    row: &crate::report::ArticleSummary,
    assumed: Option<Period>,
    labels: &HashSet<&str>,
) -> Need {
    if row.framing.interval.is_none() {
        return Need::No;
    }
    let Some(d) = crate::report::overview::valid_date(row) else {
        return Need::No;
    };
    match assumed {
        None => Need::Yes,
        Some(p) if !p.places(d.precision) => Need::No,
        Some(p) if labels.contains(p.label(p.start(d.day)).as_str()) => Need::Finished,
        Some(_) => Need::Yes,
    }
}

/// Splits the articles of `parts` into `n` partials by outlet (outlet `o` goes to
/// `outs[bucket(o)]`, with `bucket` giving a value below `n`), for finishing the outlets in
/// `n` jobs; strips and warnings go with every bucket (they are merged again, each once).
pub fn split_by_outlet<W: Write>(
    parts: Vec<PartInput>,
    outs: Vec<W>,
    bucket: impl Fn(&str) -> usize,
) -> Result<Vec<(W, PartialStats)>, PartialError> {
    let settings = check_settings(&parts)?.clone();
    let periods = union_periods(&parts)?;
    let mut writers: Vec<Writer<W>> = outs
        .into_iter()
        .map(|o| Writer::new(o, &settings, &periods))
        .collect::<Result<_, _>>()?;
    let n = writers.len();
    let tail = drive(
        parts,
        &settings,
        &mut |s: Section| match writers.get_mut(bucket(&s.name)) {
            Some(w) => w.section(&s),
            None => Err(PartialError::Write(io::Error::other(format!(
                "outlet bucket beyond the {n} outputs"
            )))),
        },
    )?;
    writers.into_iter().map(|w| w.finish(&tail)).collect()
}

/// The group (below `n`) of an outlet for [`split_by_outlet`]: a stable hash of its name
/// (the same on every machine and in every version).
pub fn outlet_bucket(outlet: &str, n: usize) -> usize {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(outlet.as_bytes());
    let mut x = [0u8; 8];
    x.copy_from_slice(&h[..8]);
    (u64::from_le_bytes(x) % n.max(1) as u64) as usize
}

/// The order of finished periods in a file: period length, then label.
fn period_key(p: &FinishedPeriod) -> (u8, &str) {
    (p.period as u8, &p.row.label)
}

/// The finished periods of all `parts`, each once, in file order; two different rows for one
/// period are an error.
fn union_periods(parts: &[PartInput]) -> Result<Vec<FinishedPeriod>, PartialError> {
    let mut all: BTreeMap<(u8, String), FinishedPeriod> = BTreeMap::new();
    for part in parts {
        for p in &part.periods {
            let key = (p.period as u8, p.row.label.clone());
            match all.get(&key) {
                Some(q) if q != p => {
                    return Err(PartialError::PeriodConflict {
                        file: part.name().to_string(),
                        label: p.row.label.clone(),
                    })
                }
                Some(_) => {}
                None => {
                    all.insert(key, p.clone());
                }
            }
        }
    }
    Ok(all.into_values().collect())
}

/// The period length of the whole timeline of the articles in `parts`: `asked`, or the one
/// chosen from the span of their dates, as [`report`] chooses it. Reads the partials through
/// (a damaged one is an error here too), holding only the articles' ids and dates.
pub fn timeline_period(
    parts: Vec<PartInput>,
    asked: Option<Period>,
) -> Result<Period, PartialError> {
    let settings = check_settings(&parts)?.clone();
    let mut dates = Vec::new();
    drive(parts, &settings, &mut |s: Section| {
        if asked.is_none() {
            dates.extend(
                s.articles
                    .iter()
                    .filter_map(|a| crate::report::overview::valid_date(&a.row)),
            );
        }
        Ok(())
    })?;
    Ok(asked.unwrap_or_else(|| Period::automatic(dates)))
}

/// Computes the rows of the whole timeline's periods (by `period`, as [`timeline_period`]
/// gives it) whose label `select` accepts, from the articles of `parts`, and writes them as a
/// partial that holds only those rows: given to [`report`] beside the partials of the same
/// articles, they are taken as they are (after a check that they describe those articles)
/// instead of being bootstrapped there. Split the periods over jobs with
/// `select = |label| outlet_bucket(label, n) == i`; each job reads every partial but holds
/// only its own periods' articles.
pub fn finish_periods<W: Write>(
    parts: Vec<PartInput>,
    out: W,
    period: Period,
    select: &(dyn Fn(&str) -> bool + Sync),
) -> Result<(W, PartialStats), PartialError> {
    let settings = check_settings(&parts)?.clone();
    let mut periods = union_periods(&parts)?;
    let (mut rows, mut kept) = (ArticleRows::new(), Vec::new());
    drive(parts, &settings, &mut |s: Section| {
        for a in s.articles {
            let placed = crate::report::overview::valid_date(&a.row)
                .filter(|d| period.places(d.precision))
                .is_some_and(|d| select(&period.label(period.start(d.day))));
            if placed {
                rows.push(&a.row);
                kept.push(a.kept);
            }
        }
        Ok(())
    })?;
    let params = &settings.framing;
    let units = |i: usize| {
        let k: &crate::report::builder::Kept = &kept[i];
        k.units.unpack(rows.head(i).sentences, params)
    };
    let ov = Overview::new(&rows, &units, params);
    let all: Vec<usize> = (0..rows.len()).collect();
    for p in ov.finish_periods(&all, period, select) {
        match periods.iter().find(|q| period_key(q) == period_key(&p)) {
            Some(q) if *q != p => {
                return Err(PartialError::PeriodConflict {
                    file: "the partials given".to_string(),
                    label: p.row.label,
                })
            }
            Some(_) => {}
            None => periods.push(p),
        }
    }
    periods.sort_by(|a, b| period_key(a).cmp(&period_key(b)));
    let w = Writer::new(out, &settings, &periods)?;
    w.finish(&Tail::default())
}

fn tool() -> String {
    format!("claimtrack {}", env!("CARGO_PKG_VERSION"))
}

fn check_settings(parts: &[PartInput]) -> Result<&PartialSettings, PartialError> {
    let first = parts.first().ok_or(PartialError::NoInput)?;
    for p in &parts[1..] {
        if let Some(what) = first.settings.differs(&p.settings) {
            return Err(PartialError::Settings {
                file: p.name().to_string(),
                first: first.name().to_string(),
                what: what.to_string(),
            });
        }
    }
    Ok(&first.settings)
}

fn merge_into<W: Write>(
    parts: Vec<PartInput>,
    out: W,
    finish: bool,
) -> Result<(W, PartialStats), PartialError> {
    let settings = check_settings(&parts)?.clone();
    let params = settings.framing.clone();
    let periods = union_periods(&parts)?;
    let mut w = Writer::new(out, &settings, &periods)?;
    // Finishing runs outlets in parallel, a batch at a time.
    let mut batch: Vec<Section> = Vec::new();
    let mut batch_articles = 0usize;
    let flush = |batch: &mut Vec<Section>, w: &mut Writer<W>| -> Result<(), PartialError> {
        let done: Vec<Section> = std::mem::take(batch)
            .into_par_iter()
            .map(|s| finish_section(s, &params))
            .collect();
        done.iter().try_for_each(|s| w.section(s))
    };
    let tail = drive(parts, &settings, &mut |s: Section| {
        if !finish {
            return w.section(&s);
        }
        batch_articles += s.articles.len();
        batch.push(s);
        if batch.len() >= 256 || batch_articles >= 100_000 {
            batch_articles = 0;
            flush(&mut batch, &mut w)?;
        }
        Ok(())
    })?;
    flush(&mut batch, &mut w)?;
    w.finish(&tail)
}

/// Computes the outlet's report unless it is finished already.
fn finish_section(mut s: Section, params: &FramingParams) -> Section {
    if s.finished.is_some() {
        return s;
    }
    let units: Vec<Vec<StanceUnit>> = s
        .articles
        .iter()
        .map(|a| a.kept.units.unpack(a.row.sentences, params))
        .collect();
    let articles: Vec<OutletArticle> = s
        .articles
        .iter()
        .zip(&units)
        .map(|(a, units)| OutletArticle {
            id: &a.row.id,
            sentences: a.row.sentences,
            label_counts: a.row.label_counts,
            prob_sums: a.kept.prob_sums,
            units,
            framing: &a.row.framing,
        })
        .collect();
    let candidates = std::mem::take(&mut s.candidates);
    let report = aggregate_articles(&s.name, &articles, candidates, params);
    drop(articles);
    s.finished = Some(report);
    s
}

/// Reads `parts` outlet by outlet (in name order), handing each merged outlet section to
/// `sink`; gives the merged strips and warnings.
fn drive(
    mut parts: Vec<PartInput>,
    settings: &PartialSettings,
    sink: &mut dyn FnMut(Section) -> Result<(), PartialError>,
) -> Result<Tail, PartialError> {
    let keep = settings.framing.evidence;
    // Ids seen in earlier outlets, by a 128-bit hash (16 bytes an id, whatever its length).
    let mut seen: HashSet<[u8; 16]> = HashSet::new();
    while let Some(next) = parts
        .iter()
        .filter_map(|p| p.pending.as_ref().map(|x| Arc::clone(&x.0)))
        .min()
    {
        let mut sections: Vec<(usize, Section)> = Vec::new();
        for (i, p) in parts.iter_mut().enumerate() {
            if p.pending.as_ref().is_some_and(|x| x.0 == next) {
                sections.push((i, p.read_section()?));
            }
        }
        let s = merge_sections(sections, &parts, keep, &mut seen)?;
        sink(s)?;
    }
    let mut tail = Tail::default();
    for p in &mut parts {
        p.read_tail(&mut tail)?;
    }
    while tail.strips.len() > settings.max_strips {
        tail.strips.pop_last();
    }
    Ok(tail)
}

/// One outlet's sections from several partials as one: articles each once (an identical copy
/// is dropped; a different article with the same id is an error), evidence candidates pooled.
fn merge_sections(
    sections: Vec<(usize, Section)>,
    parts: &[PartInput],
    keep: usize,
    seen: &mut HashSet<[u8; 16]>,
) -> Result<Section, PartialError> {
    let name = Arc::clone(&sections[0].1.name);
    let file = |i: usize| parts[i].name().to_string();
    let single = sections.len() == 1;
    let finished: Vec<(usize, OutletReport)> = sections
        .iter()
        .filter_map(|(i, s)| s.finished.clone().map(|o| (*i, o)))
        .collect();
    if !finished.is_empty() && finished.len() < sections.len() {
        let open = sections.iter().find(|(_, s)| s.finished.is_none());
        return Err(PartialError::FinishedOutlet {
            file: file(open.map_or(finished[0].0, |x| x.0)),
            outlet: name.to_string(),
        });
    }
    if let Some((i, _)) = finished.iter().find(|(_, o)| *o != finished[0].1) {
        return Err(PartialError::FinishedOutlet {
            file: file(*i),
            outlet: name.to_string(),
        });
    }
    let finished_report = finished.first().map(|x| x.1.clone());
    let finished_in = finished.first().map_or(0, |x| x.0);
    drop(finished);
    let mut articles: Vec<(usize, ArticleRecord)> = Vec::new();
    let mut candidates: Vec<Evidence> = Vec::new();
    for (i, s) in sections {
        articles.extend(s.articles.into_iter().map(|a| (i, a)));
        candidates.extend(s.candidates);
    }
    if !single {
        // Stable: among copies of one id, the earliest partial comes first.
        articles.sort_by(|x, y| x.1.row.id.cmp(&y.1.row.id));
    }
    let mut kept: Vec<ArticleRecord> = Vec::with_capacity(articles.len());
    for (i, a) in articles {
        if let Some(last) = kept.last() {
            if last.row.id == a.row.id {
                if last.row == a.row && last.kept == a.kept {
                    continue;
                }
                return Err(PartialError::DuplicateArticle {
                    file: file(i),
                    id: a.row.id,
                });
            }
        }
        if !seen.insert(id_key(&a.row.id)) {
            return Err(PartialError::DuplicateArticle {
                file: file(i),
                id: a.row.id,
            });
        }
        kept.push(a);
    }
    if let Some(o) = &finished_report {
        if o.articles != kept.len() {
            return Err(PartialError::FinishedOutlet {
                file: file(finished_in),
                outlet: name.to_string(),
            });
        }
        candidates.clear();
    } else if !single {
        // Copies of an article carry the same candidates: offer each sentence once.
        let mut offered: HashSet<(String, usize)> = HashSet::new();
        let mut pool = EvidencePool::new(keep);
        for e in candidates {
            if offered.insert((e.article.clone(), e.index)) {
                pool.offer(e);
            }
        }
        candidates = pool.into_pruned();
    }
    Ok(Section {
        name,
        articles: kept,
        candidates,
        finished: finished_report,
    })
}

/// An id's key in the set of ids seen: the first half of its SHA-256 (a collision, which
/// would report a duplicate id, takes about 2^64 ids).
fn id_key(id: &str) -> [u8; 16] {
    use sha2::{Digest, Sha256};
    let mut key = [0u8; 16];
    key.copy_from_slice(&Sha256::digest(id.as_bytes())[..16]);
    key
}

/// Writes a partial record by record.
struct Writer<W: Write> {
    w: RecordWriter<W>,
    stats: PartialStats,
}

impl<W: Write> Writer<W> {
    fn new(
        out: W,
        settings: &PartialSettings,
        periods: &[FinishedPeriod],
    ) -> Result<Writer<W>, PartialError> {
        let mut w = RecordWriter::new(out).map_err(PartialError::Write)?;
        let header = PartialSettings {
            tool: tool(),
            ..settings.clone()
        };
        let json = serde_json::to_vec(&header).map_err(|e| PartialError::Write(e.into()))?;
        w.record(kind::HEADER, &json).map_err(PartialError::Write)?;
        for p in periods {
            w.record(kind::PERIOD, &format::encode_period(p))
                .map_err(PartialError::Write)?;
        }
        Ok(Writer {
            w,
            stats: PartialStats {
                periods: periods.len() as u64,
                ..PartialStats::default()
            },
        })
    }

    fn record(&mut self, kind: u8, payload: &[u8]) -> Result<(), PartialError> {
        self.w.record(kind, payload).map_err(PartialError::Write)
    }

    fn section(&mut self, s: &Section) -> Result<(), PartialError> {
        let models: BTreeSet<&str> = s
            .articles
            .iter()
            .filter_map(|a| a.row.model.as_deref())
            .collect();
        let mut e = Enc::default();
        e.str(&s.name);
        e.varint(models.len() as u64);
        for m in &models {
            e.str(m);
        }
        self.record(kind::OUTLET, &e.0)?;
        self.stats.outlets += 1;
        let index: HashMap<&str, u64> = models.iter().zip(1..).map(|(m, i)| (*m, i)).collect();
        for a in &s.articles {
            let model = a.row.model.as_deref().map_or(0, |m| index[m]);
            self.record(kind::ARTICLE, &format::encode_article(a, model))?;
        }
        self.stats.articles += s.articles.len() as u64;
        for c in &s.candidates {
            self.record(kind::EVIDENCE, &format::encode_evidence(c))?;
        }
        self.stats.evidence += s.candidates.len() as u64;
        if let Some(o) = &s.finished {
            let json = serde_json::to_vec(o).map_err(|e| PartialError::Write(e.into()))?;
            // Numbers survive JSON exactly (shortest round-trip form) unless one is not finite.
            let back: Option<OutletReport> = serde_json::from_slice(&json).ok();
            if back.as_ref() != Some(o) {
                return Err(PartialError::Write(io::Error::other(format!(
                    "the report of outlet `{}` holds a number that is not finite",
                    o.outlet
                ))));
            }
            self.record(kind::FINISHED, &json)?;
            self.stats.finished_outlets += 1;
        }
        Ok(())
    }

    fn finish(mut self, tail: &Tail) -> Result<(W, PartialStats), PartialError> {
        for (key, cells) in &tail.strips {
            self.record(kind::STRIP, &format::encode_strip(key, cells))?;
        }
        self.stats.strips = tail.strips.len() as u64;
        for w in &tail.warnings {
            let mut e = Enc::default();
            e.str(w);
            self.record(kind::WARNING, &e.0)?;
        }
        self.stats.warnings = tail.warnings.len() as u64;
        let s = self.stats;
        let mut e = Enc::default();
        for x in [
            s.outlets,
            s.finished_outlets,
            s.articles,
            s.evidence,
            s.strips,
            s.warnings,
            s.periods,
        ] {
            e.varint(x);
        }
        self.record(kind::END, &e.0)?;
        let bytes = self.w.bytes;
        let out = self.w.finish().map_err(PartialError::Write)?;
        Ok((out, PartialStats { bytes, ..s }))
    }
}

#[cfg(test)]
mod tests;
