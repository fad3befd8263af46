//! The report's overview: the plain-language [`Summary`] (how many outlets frame the claim as
//! credible, not credible or unclear, the strongest of each, over what period), the
//! [`Timeline`] (mean score per week or month with its interval and the article volume, plus
//! chosen outlets' own series), and the optional [`Groups`] (outlets grouped by a front-matter
//! key such as `country`).
//!
//! Intervals here are the outlet intervals' two-stage Bayesian bootstrap
//! ([`bootstrap_mean`]) over the articles of a period or group, each set with its own seed
//! ([`named_seed`]) and its articles in id order, so the figures do not depend on the input's
//! order or split.

use super::dates::{iso, parse_date, show, Period, Precision, ReportDate};
use super::{signed, ArticleRows, ArticleSummary};
use crate::framing::{
    bootstrap_mean, named_seed, FramingParams, Interval, OutletReport, StanceUnit, Verdict,
};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};

/// One outlet singled out by the summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standout {
    /// Outlet name.
    pub outlet: String,
    /// Its score.
    pub score: f64,
    /// Its interval.
    pub interval: Option<Interval>,
    /// Its articles.
    pub articles: usize,
}

/// The report's answer in brief.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Outlets in the report.
    pub outlets: usize,
    /// Articles in the report.
    pub articles: usize,
    /// Outlets whose interval lies above 0.
    pub credible: usize,
    /// Outlets whose interval lies below 0.
    pub not_credible: usize,
    /// Outlets whose interval holds 0.
    pub unclear: usize,
    /// Outlets without any claim-related sentence (no score).
    pub no_claim: usize,
    /// The credible outlet with the highest score.
    pub strongest_credible: Option<Standout>,
    /// The not-credible outlet with the lowest score.
    pub strongest_not_credible: Option<Standout>,
    /// The unclear outlet whose score is farthest from 0.
    pub strongest_unclear: Option<Standout>,
    /// Outlets that rest on a single article.
    pub single_article_outlets: usize,
    /// Earliest valid article date (as precise as known).
    pub first_date: Option<String>,
    /// Latest valid article date.
    pub last_date: Option<String>,
    /// Articles with a valid date.
    pub dated: usize,
    /// Articles without one (none given, or an invalid one).
    pub undated: usize,
    /// Of the undated, those whose date was invalid.
    pub invalid_dates: usize,
    /// The summary in plain words (what the report shows first).
    pub text: String,
}

/// One period of the timeline (or of one outlet's series).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodRow {
    /// `2024-W04` or `2024-01`.
    pub label: String,
    /// First day of the period.
    pub start: String,
    /// Articles dated in the period (the volume).
    pub articles: usize,
    /// Of those, articles with stance (the ones the mean averages).
    pub stance_articles: usize,
    /// Mean article score over the stance articles (`None` without any).
    pub mean: Option<f64>,
    /// Interval of the mean (`None` without stance articles).
    pub interval: Option<Interval>,
}

/// One highlighted outlet's own series (periods where it has articles).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// Outlet name.
    pub outlet: String,
    /// Its periods with articles, in time order.
    pub periods: Vec<PeriodRow>,
}

/// Scores over time: per period, the mean article score with its interval and the volume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    /// Length of the periods.
    pub period: Period,
    /// Whether the period was chosen from the span of the dates (else it was asked for).
    pub automatic: bool,
    /// Every period from the first dated article's to the last's (empty periods included).
    pub periods: Vec<PeriodRow>,
    /// Articles placed on the timeline.
    pub placed: usize,
    /// Articles without a usable date (none given, or an invalid one).
    pub undated: usize,
    /// Of the undated, those whose date was invalid.
    pub invalid_dates: usize,
    /// Articles dated too coarsely for the period (to the month in a weekly timeline, to the
    /// year in either).
    pub coarse: usize,
    /// The highlighted outlets' series.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub highlights: Vec<Series>,
}

/// One group of outlets sharing a value of the grouping key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupRow {
    /// The key's value (`None`: the outlets' articles do not give the key).
    pub value: Option<String>,
    /// Outlets in the group.
    pub outlets: usize,
    /// Their articles.
    pub articles: usize,
    /// Of those, articles with stance.
    pub stance_articles: usize,
    /// Outlets framing the claim as credible.
    pub credible: usize,
    /// Outlets framing it as not credible.
    pub not_credible: usize,
    /// Outlets whose interval holds 0.
    pub unclear: usize,
    /// Outlets without a claim sentence.
    pub no_claim: usize,
    /// Mean article score over the group's stance articles.
    pub mean: Option<f64>,
    /// Its interval.
    pub interval: Option<Interval>,
}

/// Outlets grouped by a metadata key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Groups {
    /// The key (lower-cased, as front matter keys are).
    pub key: String,
    /// One row per value, sorted by value; outlets without the key last.
    pub rows: Vec<GroupRow>,
    /// Outlets whose articles give different values; each counts under its most frequent one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mixed_outlets: Vec<String>,
}

/// A period of the whole timeline computed elsewhere (a partial's finished period), with what
/// identifies the articles it was computed over: its row holds their count, the count of
/// stance articles and their mean; `stance_ids` is a fingerprint of the stance articles' ids.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FinishedPeriod {
    /// The timeline's period length.
    pub(crate) period: Period,
    /// The period's row, interval included.
    pub(crate) row: PeriodRow,
    /// SHA-256 (first 16 bytes) of the stance articles' ids, in id order.
    pub(crate) stance_ids: [u8; 16],
}

/// The article's date, if valid (the builder has already set invalid ones aside).
pub(crate) fn valid_date(row: &ArticleSummary) -> Option<ReportDate> {
    valid_date_of(row.date.as_deref())
}

/// A row's date field, parsed, if valid.
pub(crate) fn valid_date_of(date: Option<&str>) -> Option<ReportDate> {
    date.and_then(|d| parse_date(d).ok())
}

fn standout(o: &OutletReport) -> Standout {
    Standout {
        outlet: o.outlet.clone(),
        score: o.score,
        interval: o.interval,
        articles: o.articles,
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn standout_text(s: &Standout) -> String {
    format!(
        "{}, {} from {}",
        s.outlet,
        signed(s.score),
        plural(s.articles, "article", "articles")
    )
}

/// The summary of a set of outlets and their articles.
pub(crate) fn summary(outlets: &[OutletReport], rows: &ArticleRows) -> Summary {
    let count = |v: Verdict| outlets.iter().filter(|o| o.verdict == v).count();
    let pick = |v: Verdict, key: &dyn Fn(&OutletReport) -> f64| {
        outlets
            .iter()
            .filter(|o| o.verdict == v)
            .max_by(|a, b| {
                key(a)
                    .total_cmp(&key(b))
                    .then_with(|| b.outlet.cmp(&a.outlet))
            })
            .map(standout)
    };
    let dates: Vec<ReportDate> = (0..rows.len())
        .filter_map(|i| valid_date_of(rows.head(i).date))
        .collect();
    let first = dates.iter().min_by_key(|d| d.day).copied().map(show);
    let last = dates
        .iter()
        .max_by_key(|d| (d.day, d.precision == Precision::Day))
        .copied()
        .map(show);
    let invalid = (0..rows.len())
        .filter(|&i| rows.head(i).invalid_date.is_some())
        .count();
    let mut s = Summary {
        outlets: outlets.len(),
        articles: rows.len(),
        credible: count(Verdict::Credible),
        not_credible: count(Verdict::NotCredible),
        unclear: count(Verdict::Unclear),
        no_claim: count(Verdict::NoClaim),
        strongest_credible: pick(Verdict::Credible, &|o| o.score),
        strongest_not_credible: pick(Verdict::NotCredible, &|o| -o.score),
        strongest_unclear: pick(Verdict::Unclear, &|o| o.score.abs()),
        single_article_outlets: outlets.iter().filter(|o| o.articles == 1).count(),
        first_date: first,
        last_date: last,
        dated: dates.len(),
        undated: rows.len() - dates.len(),
        invalid_dates: invalid,
        text: String::new(),
    };
    s.text = summary_text(&s);
    s
}

fn summary_text(s: &Summary) -> String {
    let mut t = format!(
        "Of {}, {} the claim as credible",
        plural(s.outlets, "outlet", "outlets"),
        if s.credible == 1 {
            "1 frames".to_string()
        } else {
            format!("{} frame", s.credible)
        }
    );
    if let Some(x) = &s.strongest_credible {
        t.push_str(&format!(" (strongest: {})", standout_text(x)));
    }
    t.push_str(&format!(", {} as not credible", s.not_credible));
    if let Some(x) = &s.strongest_not_credible {
        t.push_str(&format!(" (strongest: {})", standout_text(x)));
    }
    t.push_str(&format!(
        ", and {} unclear (the interval holds 0",
        if s.unclear == 1 {
            "1 is".to_string()
        } else {
            format!("{} are", s.unclear)
        }
    ));
    if let Some(x) = &s.strongest_unclear {
        t.push_str(&format!("; leaning most: {}", standout_text(x)));
    }
    t.push(')');
    if s.no_claim > 0 {
        t.push_str(&format!(
            "; {} no claim sentence at all (n/a, not counted as 0)",
            if s.no_claim == 1 {
                "1 outlet has".to_string()
            } else {
                format!("{} outlets have", s.no_claim)
            }
        ));
    }
    t.push('.');
    match (s.single_article_outlets, s.outlets) {
        (0, _) => {}
        (1, 1) => t.push_str(" The outlet rests on a single article."),
        (n, all) if n == all => {
            t.push_str(&format!(" All {all} outlets rest on a single article."))
        }
        (n, all) => t.push_str(&format!(
            " {} of {all} outlets {} on a single article.",
            n,
            if n == 1 { "rests" } else { "rest" }
        )),
    }
    match (&s.first_date, &s.last_date) {
        (Some(a), Some(b)) if a == b => t.push_str(&format!(" Articles dated {a}")),
        (Some(a), Some(b)) => t.push_str(&format!(" Articles dated {a} to {b}")),
        _ => t.push_str(" No article has a valid date"),
    }
    t.push_str(&format!(" ({} dated, {} undated", s.dated, s.undated));
    if s.invalid_dates > 0 {
        t.push_str(&format!(
            ", of which {} with an invalid date",
            s.invalid_dates
        ));
    }
    t.push_str(").");
    t
}

/// What the overview reads of the report's articles: the rows, their parsed dates, and their
/// stance units on demand (they are kept packed).
pub(crate) struct Overview<'a> {
    /// The report rows.
    pub rows: &'a ArticleRows,
    /// Each row's valid date.
    pub dates: Vec<Option<ReportDate>>,
    /// Each row's stance units (by row index).
    pub units: &'a (dyn Fn(usize) -> Vec<StanceUnit> + Sync),
    /// The formula's settings.
    pub params: &'a FramingParams,
}

impl<'a> Overview<'a> {
    /// An overview of `rows`.
    pub fn new(
        rows: &'a ArticleRows,
        units: &'a (dyn Fn(usize) -> Vec<StanceUnit> + Sync),
        params: &'a FramingParams,
    ) -> Overview<'a> {
        Overview {
            rows,
            dates: (0..rows.len())
                .map(|i| valid_date_of(rows.head(i).date))
                .collect(),
            units,
            params,
        }
    }

    /// The stance articles among `at`, in id order.
    fn stance(&self, at: &[usize]) -> Vec<usize> {
        let mut stance: Vec<usize> = at
            .iter()
            .copied()
            .filter(|&i| self.rows.head(i).stance())
            .collect();
        stance.sort_by(|&a, &b| self.rows.head(a).id.cmp(self.rows.head(b).id));
        stance
    }

    /// Mean article score over `stance` (in id order; not empty).
    fn point(&self, stance: &[usize]) -> f64 {
        stance.iter().map(|&i| self.rows.head(i).score).sum::<f64>() / stance.len() as f64
    }

    /// Fingerprint of the ids of `stance` (in id order).
    fn stance_ids(&self, stance: &[usize]) -> [u8; 16] {
        let mut h = Sha256::new();
        for &i in stance {
            let id = self.rows.head(i).id.as_bytes();
            h.update((id.len() as u64).to_le_bytes());
            h.update(id);
        }
        let mut out = [0u8; 16];
        out.copy_from_slice(&h.finalize()[..16]);
        out
    }

    /// Mean article score over the stance articles among `at`, and its interval.
    fn mean(&self, at: &[usize], kind: &str, name: &str) -> (usize, Option<f64>, Option<Interval>) {
        let stance = self.stance(at);
        if stance.is_empty() {
            return (0, None, None);
        }
        let mean = self.point(&stance);
        let units: Vec<Vec<StanceUnit>> = stance.iter().map(|&i| (self.units)(i)).collect();
        let refs: Vec<&[StanceUnit]> = units.iter().map(Vec::as_slice).collect();
        let interval = bootstrap_mean(&refs, self.params, named_seed(self.params, kind, name));
        (stance.len(), Some(mean), interval)
    }

    /// The articles among `at` placed in each period, by the period's first day.
    fn by_start(&self, at: &[usize], period: Period) -> BTreeMap<time::Date, Vec<usize>> {
        let mut by_start: BTreeMap<time::Date, Vec<usize>> = BTreeMap::new();
        for &i in at {
            if let Some(d) = self.dates[i].filter(|d| period.places(d.precision)) {
                by_start.entry(period.start(d.day)).or_default().push(i);
            }
        }
        by_start
    }

    /// The rows of the whole timeline's periods that hold articles, as
    /// [`Overview::timeline`] computes them for the articles `at` (which must hold every
    /// article of those periods), for the periods whose label `select` accepts.
    pub fn finish_periods(
        &self,
        at: &[usize],
        period: Period,
        select: &(dyn Fn(&str) -> bool + Sync),
    ) -> Vec<FinishedPeriod> {
        let by_start = self.by_start(at, period);
        let chosen: Vec<(&time::Date, &Vec<usize>)> = by_start
            .iter()
            .filter(|(s, _)| select(&period.label(**s)))
            .collect();
        chosen
            .par_iter()
            .map(|(s, members)| {
                let row = self.period_row(**s, members, period, "");
                FinishedPeriod {
                    period,
                    row,
                    stance_ids: self.stance_ids(&self.stance(members)),
                }
            })
            .collect()
    }

    /// The rows of `done` that describe the whole timeline of the articles `at` by `period`,
    /// by label, each checked against the articles (their count, the stance articles' count,
    /// ids and mean); rows by another period length are left out. `Err` gives the label of
    /// the first row that describes other articles.
    pub fn check_finished(
        &self,
        at: &[usize],
        period: Period,
        done: &[FinishedPeriod],
    ) -> Result<HashMap<String, PeriodRow>, String> {
        let by_label: HashMap<String, Vec<usize>> = self
            .by_start(at, period)
            .into_iter()
            .map(|(s, m)| (period.label(s), m))
            .collect();
        let mut out = HashMap::new();
        for f in done.iter().filter(|f| f.period == period) {
            let members = by_label.get(&f.row.label).map_or(&[][..], Vec::as_slice);
            let stance = self.stance(members);
            let mean = (!stance.is_empty()).then(|| self.point(&stance));
            let agrees = f.row.articles == members.len()
                && f.row.stance_articles == stance.len()
                && f.row.mean.map(f64::to_bits) == mean.map(f64::to_bits)
                && f.stance_ids == self.stance_ids(&stance);
            if !agrees {
                return Err(f.row.label.clone());
            }
            out.insert(f.row.label.clone(), f.row.clone());
        }
        Ok(out)
    }

    /// One period's row: its articles `members`, the seed named by `scope` and its label.
    fn period_row(
        &self,
        start: time::Date,
        members: &[usize],
        period: Period,
        scope: &str,
    ) -> PeriodRow {
        let label = period.label(start);
        let (stance, mean, interval) =
            self.mean(members, "period", &format!("{scope}\u{1f}{label}"));
        PeriodRow {
            label,
            start: iso(start),
            articles: members.len(),
            stance_articles: stance,
            mean,
            interval,
        }
    }

    /// The period a timeline of the articles `at` uses: `asked`, or the automatic choice.
    pub fn period(&self, at: &[usize], asked: Option<Period>) -> Period {
        asked.unwrap_or_else(|| Period::automatic(at.iter().filter_map(|&i| self.dates[i])))
    }

    /// Period rows of the articles `at` (all periods from the first to the last placed date
    /// when `fill`, else only periods with articles). `scope` names the set for the seeds;
    /// `done` gives rows computed already (checked with [`Overview::check_finished`]), by label.
    fn periods(
        &self,
        at: &[usize],
        period: Period,
        fill: bool,
        scope: &str,
        done: Option<&HashMap<String, PeriodRow>>,
    ) -> Vec<PeriodRow> {
        let by_start = self.by_start(at, period);
        let (Some(&first), Some(&last)) = (by_start.keys().next(), by_start.keys().last()) else {
            return Vec::new();
        };
        let mut starts = Vec::new();
        if fill {
            let mut s = first;
            while s <= last {
                starts.push(s);
                s = period.next(s);
            }
        } else {
            starts.extend(by_start.keys().copied());
        }
        starts
            .par_iter()
            .map(|s| {
                if let Some(row) = done.and_then(|d| d.get(&period.label(*s))) {
                    return row.clone();
                }
                let members = by_start.get(s).map(Vec::as_slice).unwrap_or(&[]);
                self.period_row(*s, members, period, scope)
            })
            .collect()
    }

    /// The timeline of the articles `at`, with the series of the `highlight` outlets; `done`
    /// gives period rows computed already (for the whole timeline only), by label.
    pub fn timeline(
        &self,
        at: &[usize],
        period: Period,
        automatic: bool,
        highlight: &[String],
        done: Option<&HashMap<String, PeriodRow>>,
    ) -> Timeline {
        let undated = at.iter().filter(|&&i| self.dates[i].is_none()).count();
        let coarse = at
            .iter()
            .filter(|&&i| self.dates[i].is_some_and(|d| !period.places(d.precision)))
            .count();
        let highlights = highlight
            .iter()
            .map(|name| {
                let mine: Vec<usize> = at
                    .iter()
                    .copied()
                    .filter(|&i| self.rows.head(i).outlet == name.as_str())
                    .collect();
                Series {
                    outlet: name.clone(),
                    periods: self.periods(&mine, period, false, name, None),
                }
            })
            .collect();
        Timeline {
            period,
            automatic,
            periods: self.periods(at, period, true, "", done),
            placed: at.len() - undated - coarse,
            undated,
            invalid_dates: at
                .iter()
                .filter(|&&i| self.rows.head(i).invalid_date.is_some())
                .count(),
            coarse,
            highlights,
        }
    }

    /// The outlets grouped by the rows' `group` values (set by the builder from `key`).
    pub fn groups(&self, key: &str, outlets: &[OutletReport]) -> Groups {
        // Each outlet's value: the most frequent among its articles (ties: the first in order,
        // a missing value after every given one).
        let mut votes: BTreeMap<&str, BTreeMap<Option<&str>, usize>> = BTreeMap::new();
        let mut members: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for i in 0..self.rows.len() {
            let r = self.rows.head(i);
            *votes
                .entry(r.outlet)
                .or_default()
                .entry(r.group)
                .or_default() += 1;
            members.entry(r.outlet).or_default().push(i);
        }
        let order = |v: &Option<&str>| (v.is_none(), v.map(str::to_string));
        let mut mixed = Vec::new();
        let mut of_outlet: BTreeMap<&str, Option<&str>> = BTreeMap::new();
        for (outlet, counts) in &votes {
            if counts.len() > 1 {
                mixed.push(outlet.to_string());
            }
            let best = counts
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then_with(|| order(b.0).cmp(&order(a.0))))
                .and_then(|(v, _)| *v);
            of_outlet.insert(outlet, best);
        }
        let mut groups: BTreeMap<(bool, Option<String>), Vec<&OutletReport>> = BTreeMap::new();
        for o in outlets {
            let v = of_outlet.get(o.outlet.as_str()).copied().flatten();
            groups
                .entry((v.is_none(), v.map(str::to_string)))
                .or_default()
                .push(o);
        }
        let rows = groups
            .into_par_iter()
            .map(|((_, value), os)| {
                let at: Vec<usize> = os
                    .iter()
                    .flat_map(|o| members.get(o.outlet.as_str()).cloned().unwrap_or_default())
                    .collect();
                let name = value.clone().unwrap_or_default();
                let (stance, mean, interval) =
                    self.mean(&at, "group", &format!("{key}\u{1f}{name}"));
                let count = |v: Verdict| os.iter().filter(|o| o.verdict == v).count();
                GroupRow {
                    value,
                    outlets: os.len(),
                    articles: at.len(),
                    stance_articles: stance,
                    credible: count(Verdict::Credible),
                    not_credible: count(Verdict::NotCredible),
                    unclear: count(Verdict::Unclear),
                    no_claim: count(Verdict::NoClaim),
                    mean,
                    interval,
                }
            })
            .collect();
        Groups {
            key: key.to_string(),
            rows,
            mixed_outlets: mixed,
        }
    }
}

/// A timeline from the rows alone, without intervals (for a report whose stance units are no
/// longer at hand): counts and means per period.
pub(crate) fn timeline_without_intervals(
    rows: &ArticleRows,
    period: Period,
    automatic: bool,
) -> Timeline {
    let none = |_: usize| Vec::new();
    let params = FramingParams::default();
    let o = Overview::new(rows, &none, &params);
    let at: Vec<usize> = (0..rows.len()).collect();
    let mut t = o.timeline(&at, period, automatic, &[], None);
    for p in &mut t.periods {
        p.interval = None;
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framing::ArticleFraming;
    use std::sync::Arc;

    fn row(id: &str, outlet: &str, date: Option<&str>, score: Option<f64>) -> ArticleSummary {
        ArticleSummary {
            id: id.into(),
            outlet: Arc::from(outlet),
            date: date.map(String::from),
            invalid_date: None,
            url: None,
            title: None,
            group: None,
            model: None,
            sentences: 3,
            label_counts: [1, 1, 0, 1],
            framing: ArticleFraming {
                score: score.unwrap_or(0.0),
                interval: score.map(|s| Interval {
                    lo: s - 0.1,
                    hi: s + 0.1,
                    level: 0.9,
                }),
                balance: None,
                primacy: None,
                headline: None,
                stance_mass: 1.0,
                hedge_rate: None,
                first_stance: None,
            },
            strip: None,
        }
    }

    #[test]
    fn periods_cover_the_span_and_count_undated_and_coarse_articles() {
        let rows = ArticleRows::from(vec![
            row("a", "A", Some("2024-01-25"), Some(0.5)),
            row("b", "A", Some("2024-01-26"), Some(0.1)),
            row("c", "B", Some("2024-02-20"), None),
            row("d", "B", None, Some(-0.3)),
            row("e", "B", Some("2024-02"), Some(-0.2)),
        ]);
        let none = |_: usize| Vec::new();
        let p = FramingParams::default();
        let o = Overview::new(&rows, &none, &p);
        let at: Vec<usize> = (0..rows.len()).collect();
        let week = o.timeline(&at, Period::Week, false, &["B".to_string()], None);
        // 2024-W04 .. 2024-W08, with three empty weeks between.
        let labels: Vec<&str> = week.periods.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(
            labels,
            ["2024-W04", "2024-W05", "2024-W06", "2024-W07", "2024-W08"]
        );
        assert_eq!(week.periods[0].articles, 2);
        assert_eq!(week.periods[0].stance_articles, 2);
        assert!((week.periods[0].mean.unwrap() - 0.3).abs() < 1e-12);
        assert_eq!(week.periods[1].articles, 0);
        assert_eq!(week.periods[1].mean, None);
        assert_eq!(week.periods[4].articles, 1);
        assert_eq!(
            week.periods[4].mean, None,
            "the one article there has no stance"
        );
        assert_eq!((week.placed, week.undated, week.coarse), (3, 1, 1));
        assert_eq!(week.highlights.len(), 1);
        assert_eq!(week.highlights[0].periods.len(), 1, "only B's dated week");
        let month = o.timeline(&at, Period::Month, false, &[], None);
        let labels: Vec<&str> = month.periods.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(labels, ["2024-01", "2024-02"]);
        assert_eq!((month.placed, month.undated, month.coarse), (4, 1, 0));
        assert_eq!(month.periods[1].stance_articles, 1);
        assert_eq!(o.period(&at, None), Period::Month, "a month-only date");
    }

    #[test]
    fn summary_counts_verdicts_and_names_the_strongest() {
        let outlet = |name: &str, score: f64, iv: Option<(f64, f64)>, articles: usize| {
            let interval = iv.map(|(lo, hi)| Interval { lo, hi, level: 0.9 });
            OutletReport {
                outlet: name.into(),
                articles,
                articles_with_stance: articles,
                sentences: 3,
                label_counts: [1, 1, 0, 1],
                label_shares: [0.25; 4],
                hedge_rate: None,
                headline_framing: None,
                claim_first_share: None,
                score,
                interval,
                verdict: Verdict::of(interval),
                evidence: Vec::new(),
            }
        };
        let outlets = vec![
            outlet("Up", 0.6, Some((0.2, 0.9)), 3),
            outlet("Up2", 0.3, Some((0.1, 0.5)), 1),
            outlet("Mid", -0.2, Some((-0.5, 0.1)), 1),
            outlet("Mid2", 0.1, Some((-0.1, 0.3)), 2),
            outlet("Down", -0.4, Some((-0.6, -0.1)), 1),
            outlet("None", 0.0, None, 1),
        ];
        let rows = ArticleRows::from(vec![
            row("a", "Up", Some("2024-01-25"), Some(0.5)),
            row("b", "Up", Some("2023-12"), Some(0.5)),
            row("c", "Up", None, Some(0.5)),
        ]);
        let s = summary(&outlets, &rows);
        assert_eq!(
            (s.credible, s.not_credible, s.unclear, s.no_claim),
            (2, 1, 2, 1)
        );
        assert_eq!(s.strongest_credible.as_ref().unwrap().outlet, "Up");
        assert_eq!(s.strongest_not_credible.as_ref().unwrap().outlet, "Down");
        assert_eq!(s.strongest_unclear.as_ref().unwrap().outlet, "Mid");
        assert_eq!(s.single_article_outlets, 4);
        assert_eq!(s.first_date.as_deref(), Some("2023-12"));
        assert_eq!(s.last_date.as_deref(), Some("2024-01-25"));
        assert_eq!((s.dated, s.undated), (2, 1));
        assert!(s.text.starts_with("Of 6 outlets, 2 frame the claim as credible (strongest: Up, +0.60 from 3 articles)"), "{}", s.text);
        assert!(
            s.text.contains("1 as not credible (strongest: Down"),
            "{}",
            s.text
        );
        assert!(s.text.contains("2 are unclear"), "{}", s.text);
        assert!(
            s.text.contains("1 outlet has no claim sentence"),
            "{}",
            s.text
        );
        assert!(
            s.text
                .contains("2023-12 to 2024-01-25 (2 dated, 1 undated)"),
            "{}",
            s.text
        );
    }
}
