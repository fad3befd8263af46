//! [`ReportBuilder`]: streams scored articles into a [`Report`] in memory that grows by a few
//! hundred bytes per article, whatever the length of the article texts.
//!
//! Per article it keeps the report row ([`ArticleSummary`], outlet and model names shared
//! between articles), and beside it what only the outlet aggregation needs: probability sums,
//! the stance units packed exactly ([`PackedUnits`]) and a fingerprint of the article's
//! evidence. Evidence sentences, with their text, are kept per outlet in an [`EvidencePool`]
//! that holds only the candidates that can still be shown. The report is the one the
//! straightforward path (every digest in full, [`aggregate_outlet`](crate::framing::aggregate_outlet))
//! gives, byte for byte.

use super::dates::{parse_date, Period};
use super::overview::{self, FinishedPeriod, Overview};
use super::PeriodRow;
use super::{ArticleRows, ArticleSummary, Report, ReportError, Settings, StripCell};
use crate::framing::{
    aggregate_articles, Evidence, EvidencePool, FramingParams, Hedges, OutletArticle, OutletReport,
    PackedUnits, StanceUnit, Verdict,
};
use crate::scored::ScoredArticle;
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

/// Where an article sits in report order: outlet, date (empty when none), id.
pub(crate) type ArticleKey = (String, String, String);

pub(crate) fn key(outlet: &str, date: Option<&str>, id: &str) -> ArticleKey {
    (
        outlet.to_string(),
        date.unwrap_or("").to_string(),
        id.to_string(),
    )
}

/// What the builder keeps of an article beside its report row, for the outlet aggregation and
/// for telling an identical duplicate from a different article with the same id.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Kept {
    /// Sum of probabilities per label over the sentences.
    pub(crate) prob_sums: [f64; 4],
    /// The stance units, packed.
    pub(crate) units: PackedUnits,
    /// SHA-256 (first 16 bytes) of the article's evidence list, texts included.
    pub(crate) evidence: [u8; 16],
}

/// Everything [`ReportBuilder::finish`] reads, whether it comes from a builder or from
/// partial-aggregate files (`crate::partial`): rows with what the aggregation keeps beside
/// them, evidence candidates of the outlets still to aggregate, and the outlets already
/// aggregated elsewhere.
#[derive(Debug)]
pub(crate) struct Assembly {
    pub(crate) params: FramingParams,
    pub(crate) hedges_source: String,
    pub(crate) hedges_fingerprint: String,
    pub(crate) max_strips: usize,
    pub(crate) strip_chars: usize,
    pub(crate) options: ReportOptions,
    pub(crate) rows: ArticleRows,
    pub(crate) kept: Vec<Kept>,
    /// Evidence candidates per outlet (outlets not in `finished`).
    pub(crate) pools: HashMap<Arc<str>, Vec<Evidence>>,
    /// Outlets aggregated already (their articles are among the rows all the same).
    pub(crate) finished: HashMap<String, OutletReport>,
    pub(crate) strips: BTreeMap<ArticleKey, Vec<StripCell>>,
    pub(crate) warnings: Vec<String>,
    /// Rows of the whole timeline's periods computed already, by label (checked against the
    /// rows with [`check_periods`]).
    pub(crate) periods: HashMap<String, PeriodRow>,
}

/// One article digested (in parallel), ready to insert.
struct Prepared {
    row: ArticleSummary,
    kept: Kept,
    evidence: Vec<Evidence>,
    strip: Option<Vec<StripCell>>,
    warning: Option<String>,
}

/// What a report shows beyond the outlets: how the timeline is cut, how outlets are grouped,
/// which outlets are highlighted, and whether per-outlet reports will be asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportOptions {
    /// The timeline's period; `None` chooses it from the span of the dates
    /// ([`Period::automatic`]).
    pub period: Option<Period>,
    /// Group outlets by this metadata key (front matter or JSONL field; case-insensitive).
    pub group_by: Option<String>,
    /// Outlets whose own series the timeline shows (names as in the report; case-insensitive).
    pub highlight: Vec<String>,
    /// Keep every outlet's own timeline, with intervals, for [`Report::for_outlet`].
    pub per_outlet: bool,
}

fn id_hash(id: &str) -> u64 {
    let mut h = DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}

fn evidence_fingerprint(evidence: &[Evidence]) -> [u8; 16] {
    let mut h = Sha256::new();
    let text = |h: &mut Sha256, s: &str| {
        h.update((s.len() as u64).to_le_bytes());
        h.update(s.as_bytes());
    };
    for e in evidence {
        text(&mut h, &e.article);
        text(&mut h, &e.outlet);
        text(&mut h, &e.text);
        text(&mut h, e.role.as_str());
        h.update((e.index as u64).to_le_bytes());
        h.update([e.label.index() as u8]);
        // `+ 0.0` turns -0.0 into +0.0: the fingerprint agrees with `==` on floats.
        for x in e.probs.iter().chain([&e.hedge, &e.article_shift, &e.shift]) {
            h.update((x + 0.0).to_bits().to_le_bytes());
        }
    }
    let mut out = [0u8; 16];
    out.copy_from_slice(&h.finalize()[..16]);
    out
}

/// Streams scored articles into a [`Report`], holding compact digests only.
#[derive(Debug, Clone)]
pub struct ReportBuilder {
    params: FramingParams,
    hedges: Hedges,
    max_strips: usize,
    strip_chars: usize,
    /// Report rows in arrival order; strips are attached by [`ReportBuilder::finish`].
    rows: Vec<ArticleSummary>,
    /// Beside each row, what only the aggregation needs.
    kept: Vec<Kept>,
    /// Position of each article in `rows`, hashed by its id ([`id_hash`]): the id itself is
    /// stored once, in the row.
    by_id: hashbrown::HashTable<usize>,
    /// Per outlet, the evidence candidates that can still be shown.
    pools: HashMap<Arc<str>, EvidencePool>,
    /// Outlet and model names, shared by all rows that carry them.
    names: HashSet<Arc<str>>,
    strips: BTreeMap<ArticleKey, Vec<StripCell>>,
    options: ReportOptions,
    /// Warnings about articles (invalid dates), in arrival order.
    warnings: Vec<String>,
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
            rows: Vec::new(),
            kept: Vec::new(),
            by_id: hashbrown::HashTable::new(),
            pools: HashMap::new(),
            names: HashSet::new(),
            strips: BTreeMap::new(),
            options: ReportOptions::default(),
            warnings: Vec::new(),
        })
    }

    /// The builder with these report options (set them before adding articles: the grouping
    /// key is read as articles arrive).
    pub fn with_options(mut self, mut options: ReportOptions) -> ReportBuilder {
        options.group_by = options.group_by.map(|k| k.trim().to_lowercase());
        self.options = options;
        self
    }

    /// Warnings about the articles added so far (an invalid date names its article), sorted,
    /// each once. The library never prints them: the caller does.
    pub fn warnings(&self) -> Vec<String> {
        let set: BTreeSet<&String> = self.warnings.iter().collect();
        set.into_iter().cloned().collect()
    }

    /// Number of articles added so far.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when no article was added.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Adds one scored article. Adding an identical article twice is a no-op; two different
    /// articles with one id are an error.
    pub fn add(&mut self, a: &ScoredArticle) -> Result<(), ReportError> {
        let prepared = self.prepare(a)?;
        self.insert(prepared)
    }

    /// Adds a batch of scored articles, digesting them in parallel (the result is the same as
    /// adding them one by one).
    pub fn add_batch(&mut self, articles: &[ScoredArticle]) -> Result<(), ReportError> {
        let prepared: Vec<Prepared> = articles
            .par_iter()
            .map(|a| self.prepare(a))
            .collect::<Result<_, _>>()?;
        for p in prepared {
            self.insert(p)?;
        }
        Ok(())
    }

    fn prepare(&self, a: &ScoredArticle) -> Result<Prepared, ReportError> {
        let d = a.digest(&self.params, &self.hedges)?;
        let strip = (self.max_strips > 0).then(|| {
            a.sentences
                .iter()
                .map(|s| StripCell {
                    index: s.index,
                    label: s.label,
                    confidence: s.probs[s.label.index()],
                    text: super::cut(&s.text, self.strip_chars),
                })
                .collect()
        });
        let kept = Kept {
            prob_sums: d.prob_sums,
            units: PackedUnits::pack(&d.units, d.sentences, &self.params),
            evidence: evidence_fingerprint(&d.evidence),
        };
        // A date that is not a valid calendar date is never used: the article counts as
        // undated, and the caller warns.
        // `unknown` (or nothing) is how inputs say "undated", as ingestion reads it.
        let date = d
            .date
            .filter(|t| !t.trim().is_empty() && !t.trim().eq_ignore_ascii_case("unknown"));
        let (date, invalid_date, warning) = match date {
            Some(text) => match parse_date(&text) {
                Ok(_) => (Some(text), None, None),
                Err(why) => {
                    let warning = format!(
                        "article `{}` ({}): {why}; it counts as undated",
                        d.id, d.outlet
                    );
                    (None, Some(text), Some(warning))
                }
            },
            None => (None, None, None),
        };
        // Evidence names its article with the date the report uses (none when invalid).
        let mut evidence = d.evidence;
        for e in &mut evidence {
            e.date.clone_from(&date);
        }
        let group = self.options.group_by.as_deref().and_then(|key| {
            a.meta
                .get(key)
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
                .map(String::from)
        });
        let row = ArticleSummary {
            id: d.id,
            outlet: d.outlet.into(),
            date,
            invalid_date,
            url: d.url,
            title: d.title,
            group,
            model: d.model.map(Arc::from),
            sentences: d.sentences,
            label_counts: d.label_counts,
            framing: d.framing,
            strip: None,
        };
        Ok(Prepared {
            row,
            kept,
            evidence,
            strip,
            warning,
        })
    }

    fn intern(&mut self, name: &Arc<str>) -> Arc<str> {
        if let Some(shared) = self.names.get(name) {
            return Arc::clone(shared);
        }
        self.names.insert(Arc::clone(name));
        Arc::clone(name)
    }

    /// Inserts a digested article; `Ok(false)` when an identical copy was already there.
    fn insert_row(
        &mut self,
        mut row: ArticleSummary,
        kept: Kept,
        strip: Option<Vec<StripCell>>,
    ) -> Result<bool, ReportError> {
        let hash = id_hash(&row.id);
        let rows = &self.rows;
        if let Some(&at) = self.by_id.find(hash, |&i| rows[i].id == row.id) {
            return if self.rows[at] == row && self.kept[at] == kept {
                Ok(false)
            } else {
                Err(ReportError::DuplicateArticle(row.id))
            };
        }
        row.outlet = self.intern(&row.outlet);
        row.model = row.model.as_ref().map(|m| self.intern(m));
        if let Some(strip) = strip {
            self.strips
                .insert(key(&row.outlet, row.date.as_deref(), &row.id), strip);
            while self.strips.len() > self.max_strips {
                self.strips.pop_last();
            }
        }
        let rows = &self.rows;
        self.by_id
            .insert_unique(hash, rows.len(), |&i| id_hash(&rows[i].id));
        self.rows.push(row);
        self.kept.push(kept);
        Ok(true)
    }

    fn pool(&mut self, outlet: &Arc<str>) -> &mut EvidencePool {
        let keep = self.params.evidence;
        self.pools
            .entry(Arc::clone(outlet))
            .or_insert_with(|| EvidencePool::new(keep))
    }

    fn insert(&mut self, p: Prepared) -> Result<(), ReportError> {
        let outlet = Arc::clone(&p.row.outlet);
        if let Some(w) = p.warning {
            self.warnings.push(w);
        }
        if self.insert_row(p.row, p.kept, p.strip)? {
            let pool = self.pool(&outlet);
            for e in p.evidence {
                pool.offer(e);
            }
        }
        Ok(())
    }

    /// Merges another builder's articles (e.g. from a parallel job) into this one.
    pub fn merge(&mut self, other: ReportBuilder) -> Result<(), ReportError> {
        self.warnings.extend(other.warnings);
        let mut strips = other.strips;
        let mut copies: HashSet<String> = HashSet::new();
        for (row, kept) in other.rows.into_iter().zip(other.kept) {
            let strip = strips.remove(&key(&row.outlet, row.date.as_deref(), &row.id));
            let id = row.id.clone();
            if !self.insert_row(row, kept, strip)? {
                copies.insert(id);
            }
        }
        // Candidates of articles this builder already had are already offered here (or were
        // dropped here for good reason); every other candidate is offered once.
        for (outlet, pool) in other.pools {
            let outlet = self.intern(&outlet);
            let mine = self.pool(&outlet);
            for e in pool.into_candidates() {
                if !copies.contains(&e.article) {
                    mine.offer(e);
                }
            }
        }
        Ok(())
    }

    /// Aggregates per outlet (outlets in parallel, each with its own seed) and builds the report.
    pub fn finish(self) -> Report {
        finish_assembly(self.into_assembly())
    }

    /// The builder's state, for [`finish_assembly`] or a partial-aggregate file.
    pub(crate) fn into_assembly(self) -> Assembly {
        let (rows, kept) = pack_in_report_order(self.rows, self.kept);
        Assembly {
            hedges_source: self.hedges.source().to_string(),
            hedges_fingerprint: self.hedges.fingerprint().to_string(),
            params: self.params,
            max_strips: self.max_strips,
            strip_chars: self.strip_chars,
            options: self.options,
            rows,
            kept,
            pools: self
                .pools
                .into_iter()
                .map(|(k, p)| (k, p.into_candidates()))
                .collect(),
            finished: HashMap::new(),
            strips: self.strips,
            warnings: self.warnings,
            periods: HashMap::new(),
        }
    }
}

/// Report order of articles: outlet, date (missing first), id.
pub(crate) fn report_order(a: &ArticleSummary, b: &ArticleSummary) -> Ordering {
    (&*a.outlet, a.date.as_deref().unwrap_or(""), a.id.as_str()).cmp(&(
        &*b.outlet,
        b.date.as_deref().unwrap_or(""),
        b.id.as_str(),
    ))
}

/// Puts `v[order[k]]` at `k` for every `k`, in place (`order` is a permutation).
fn permute<T>(v: &mut [T], order: &[usize]) {
    let mut done = vec![false; v.len()];
    for i in 0..v.len() {
        let mut j = i;
        while !done[j] {
            done[j] = true;
            let src = order[j];
            if src == i {
                break;
            }
            v.swap(j, src);
            j = src;
        }
    }
}

/// The rows packed in report order, with `kept` in the same order. The rows are sorted last
/// to first and packed from the back, the vector shrinking as it goes, so the rows are never
/// held twice.
fn pack_in_report_order(
    mut rows: Vec<ArticleSummary>,
    mut kept: Vec<Kept>,
) -> (ArticleRows, Vec<Kept>) {
    let mut order: Vec<usize> = (0..rows.len()).collect();
    // Keys are unique (one row per id), so an unstable sort gives the one order.
    order.sort_unstable_by(|&a, &b| report_order(&rows[b], &rows[a]));
    permute(&mut rows, &order);
    permute(&mut kept, &order);
    drop(order);
    kept.reverse();
    let mut packed = ArticleRows::new();
    while let Some(row) = rows.pop() {
        packed.push(&row);
        if rows.capacity() > 4096 && rows.len() < rows.capacity() / 2 {
            rows.shrink_to_fit();
        }
    }
    (packed, kept)
}

/// The period length of the timeline of `rows` as the report chooses it, and the rows of
/// `done` that hold for that timeline (rows by another period length are left out), by label;
/// `Err` gives the label of the first row that was computed over other articles than `rows`.
pub(crate) fn check_periods(
    rows: &ArticleRows,
    params: &FramingParams,
    options: &ReportOptions,
    done: &[FinishedPeriod],
) -> Result<(Period, HashMap<String, PeriodRow>), String> {
    let none = |_: usize| Vec::new();
    let ov = Overview::new(rows, &none, params);
    let all: Vec<usize> = (0..rows.len()).collect();
    let period = ov.period(&all, options.period);
    Ok((period, ov.check_finished(&all, period, done)?))
}

/// Aggregates the outlets not aggregated yet (in parallel, each with its own seed), then
/// builds the report: everything that depends on all outlets (their order, the summary, the
/// timeline, the groups) is computed here.
pub(crate) fn finish_assembly(a: Assembly) -> Report {
    let Assembly {
        params,
        hedges_source,
        hedges_fingerprint,
        max_strips,
        mut rows,
        kept,
        mut pools,
        mut finished,
        mut strips,
        options,
        periods: done_periods,
        ..
    } = a;
    let mut outlets = {
        let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for i in 0..rows.len() {
            groups.entry(rows.head(i).outlet).or_default().push(i);
        }
        type Job<'a> = (&'a str, Vec<usize>, Vec<Evidence>, Option<OutletReport>);
        let jobs: Vec<Job> = groups
            .into_iter()
            .map(|(name, at)| {
                let done = finished.remove(name);
                (name, at, pools.remove(name).unwrap_or_default(), done)
            })
            .collect();
        let (rows, kept, params) = (&rows, &kept, &params);
        jobs.into_par_iter()
            .map(|(name, at, candidates, done)| {
                if let Some(report) = done {
                    return report;
                }
                let mine: Vec<ArticleSummary> = at.iter().filter_map(|&i| rows.get(i)).collect();
                let units: Vec<Vec<StanceUnit>> = at
                    .iter()
                    .zip(&mine)
                    .map(|(&i, r)| kept[i].units.unpack(r.sentences, params))
                    .collect();
                let articles: Vec<OutletArticle> = at
                    .iter()
                    .zip(&mine)
                    .zip(&units)
                    .map(|((&i, r), units)| OutletArticle {
                        id: &r.id,
                        sentences: r.sentences,
                        label_counts: r.label_counts,
                        prob_sums: kept[i].prob_sums,
                        units,
                        framing: &r.framing,
                    })
                    .collect();
                aggregate_articles(name, &articles, candidates, params)
            })
            .collect::<Vec<OutletReport>>()
    };
    outlets.sort_by(|a, b| {
        (a.verdict == Verdict::NoClaim)
            .cmp(&(b.verdict == Verdict::NoClaim))
            .then_with(|| b.score.total_cmp(&a.score))
            .then_with(|| a.outlet.cmp(&b.outlet))
    });
    // The overview reads the rows in arrival order (beside `kept`); every figure in it is
    // computed over sets sorted by id, so the order does not show.
    let (summary, timeline, groups, outlet_timelines) = {
        let (rows, kept, params) = (&rows, &kept, &params);
        let units = move |i: usize| kept[i].units.unpack(rows.head(i).sentences, params);
        let ov = Overview::new(rows, &units, params);
        let all: Vec<usize> = (0..rows.len()).collect();
        let period = ov.period(&all, options.period);
        let highlight = resolve_highlights(&options.highlight, &outlets);
        let timeline = ov.timeline(
            &all,
            period,
            options.period.is_none(),
            &highlight,
            Some(&done_periods),
        );
        let groups = options
            .group_by
            .as_deref()
            .map(|key| ov.groups(key, &outlets));
        let mut outlet_timelines = BTreeMap::new();
        if options.per_outlet {
            let mut by_outlet: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
            for i in 0..rows.len() {
                by_outlet.entry(rows.head(i).outlet).or_default().push(i);
            }
            outlet_timelines = by_outlet
                .into_par_iter()
                .map(|(name, at)| {
                    let t = ov.timeline(&at, period, options.period.is_none(), &[], None);
                    (name.to_string(), t)
                })
                .collect();
        }
        (
            overview::summary(&outlets, rows),
            timeline,
            groups,
            outlet_timelines,
        )
    };
    drop(kept);
    if !strips.is_empty() {
        for i in 0..rows.len() {
            let h = rows.head(i);
            let strip = strips.remove(&key(h.outlet, h.date, h.id));
            if strip.is_some() {
                rows.set_strip(i, strip);
            }
        }
    }
    // Rows from partials arrive in report order already; others are put in it (keys are
    // unique, one row per id, so an unstable sort gives the one order).
    let order_key = |i: usize| {
        let h = rows.head(i);
        (h.outlet, h.date.unwrap_or(""), h.id)
    };
    if !(1..rows.len()).all(|i| order_key(i - 1) < order_key(i)) {
        let mut order: Vec<usize> = (0..rows.len()).collect();
        order.sort_unstable_by(|&a, &b| order_key(a).cmp(&order_key(b)));
        rows = rows.reordered(&order);
    }
    let models: BTreeSet<&str> = (0..rows.len())
        .filter_map(|i| rows.head(i).model.map(|m| &**m))
        .collect();
    Report {
        tool: format!("claimtrack {}", env!("CARGO_PKG_VERSION")),
        models: models.into_iter().map(String::from).collect(),
        settings: Settings {
            framing: params,
            hedges_source,
            hedges_fingerprint,
            max_strips,
        },
        summary,
        outlets,
        timeline,
        groups,
        articles: rows,
        outlet_timelines,
        names: crate::label::LabelNames::default(),
    }
}

/// The report's spelling of each highlighted outlet (matched case-insensitively); names that
/// match no outlet are left out (the caller warns about them).
fn resolve_highlights(names: &[String], outlets: &[OutletReport]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in names {
        let n = n.trim();
        let hit = outlets
            .iter()
            .find(|o| o.outlet == n)
            .or_else(|| outlets.iter().find(|o| o.outlet.eq_ignore_ascii_case(n)))
            .or_else(|| {
                outlets
                    .iter()
                    .find(|o| o.outlet.to_lowercase() == n.to_lowercase())
            });
        if let Some(o) = hit {
            if !out.contains(&o.outlet) {
                out.push(o.outlet.clone());
            }
        }
    }
    out
}

#[cfg(test)]
mod permute_tests {
    use super::permute;

    #[test]
    fn permute_puts_each_element_where_the_order_says() {
        let v: Vec<u32> = (0..9).map(|x| x * 10).collect();
        for order in [
            vec![0, 1, 2, 3, 4, 5, 6, 7, 8],
            vec![8, 7, 6, 5, 4, 3, 2, 1, 0],
            vec![3, 0, 1, 2, 8, 4, 5, 7, 6],
            vec![1, 2, 0, 4, 5, 3, 7, 8, 6],
        ] {
            let mut w = v.clone();
            permute(&mut w, &order);
            let want: Vec<u32> = order.iter().map(|&i| v[i]).collect();
            assert_eq!(w, want, "{order:?}");
        }
    }
}
