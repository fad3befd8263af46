//! CSV rendering of a [`Report`]: one table per file: one row per outlet (the default), per
//! article, per timeline period, per group, or the one-row summary. Text cells that a
//! spreadsheet would read as a formula are neutralised (CSV injection).

use super::dates::parse_date;
use super::{stance_sentences, PeriodRow, Report, ReportError, Standout};
use crate::framing::{Interval, Verdict};
use std::io;

/// Neutralises a text cell a spreadsheet could run as a formula: a cell beginning with `=`,
/// `+`, `-`, `@`, tab or carriage return gets a leading `'`. Applied to every text cell that
/// comes from the input (outlet, id, title, URL, date, sentence text); numeric cells are written
/// by the tool and left as numbers.
pub fn neutralise_cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    }
}

/// Four decimals; values that round to zero print as `0.0000`, never `-0.0000`.
fn num(x: f64) -> String {
    let s = format!("{x:.4}");
    if s == "-0.0000" {
        "0.0000".to_string()
    } else {
        s
    }
}

fn opt(x: Option<f64>) -> String {
    x.map(num).unwrap_or_default()
}

fn bounds(i: Option<Interval>) -> [String; 2] {
    match i {
        Some(i) => [num(i.lo), num(i.hi)],
        None => [String::new(), String::new()],
    }
}

/// A CSV error as a report error; I/O errors stay I/O errors, so that a closed pipe is seen
/// as one (the binary exits quietly on it, as for every other format).
fn csv_error(e: csv::Error) -> ReportError {
    if let csv::ErrorKind::Io(_) = e.kind() {
        if let csv::ErrorKind::Io(io) = e.into_kind() {
            return ReportError::Io(io);
        }
        unreachable!("checked above");
    }
    ReportError::Csv(e.to_string())
}

fn finish(mut w: csv::Writer<&mut dyn io::Write>) -> Result<(), ReportError> {
    w.flush()?;
    Ok(())
}

/// One row per outlet, in report order, written to `out`.
pub fn render_outlets(r: &Report, out: &mut dyn io::Write) -> Result<(), ReportError> {
    let share = r.names.names().map(|n| format!("share_{n}"));
    let mut w = csv::Writer::from_writer(out);
    let err = csv_error;
    w.write_record([
        "rank",
        "outlet",
        "score",
        "interval_lo",
        "interval_hi",
        "articles",
        "articles_with_stance",
        "sentences",
        share[0].as_str(),
        share[1].as_str(),
        share[2].as_str(),
        share[3].as_str(),
        "hedge_rate",
        "headline_framing",
        "claim_first_share",
        "top_evidence_article",
        "top_evidence_index",
        "top_evidence_shift",
        "top_evidence_text",
        "verdict",
        "stance_sentences",
        "top_evidence_title",
        "top_evidence_date",
        "top_evidence_url",
    ])
    .map_err(err)?;
    let by_id = r.cited_articles();
    for (i, o) in r.outlets.iter().enumerate() {
        let [lo, hi] = bounds(o.interval);
        let top = o.evidence.first();
        let art = top.and_then(|e| by_id.get(e.article.as_str()));
        let text = |f: &dyn Fn(&super::ArticleSummary) -> Option<&str>| {
            art.and_then(f).map(neutralise_cell).unwrap_or_default()
        };
        let mut row = vec![
            (i + 1).to_string(),
            neutralise_cell(&o.outlet),
            if o.verdict == Verdict::NoClaim {
                String::new()
            } else {
                num(o.score)
            },
            lo,
            hi,
            o.articles.to_string(),
            o.articles_with_stance.to_string(),
            o.sentences.to_string(),
        ];
        row.extend(o.label_shares.iter().map(|x| num(*x)));
        row.extend([
            opt(o.hedge_rate),
            opt(o.headline_framing),
            opt(o.claim_first_share),
        ]);
        row.extend([
            top.map(|e| neutralise_cell(&e.article)).unwrap_or_default(),
            top.map(|e| e.index.to_string()).unwrap_or_default(),
            top.map(|e| num(e.shift)).unwrap_or_default(),
            top.map(|e| neutralise_cell(&e.text)).unwrap_or_default(),
            o.verdict.as_str().to_string(),
            stance_sentences(o).to_string(),
            text(&|a| a.title.as_deref()),
            text(&|a| a.date.as_deref()),
            text(&|a| a.url.as_deref()),
        ]);
        w.write_record(&row).map_err(err)?;
    }
    finish(w)
}

/// One row per article, in report order, written to `out`.
pub fn render_articles(r: &Report, out: &mut dyn io::Write) -> Result<(), ReportError> {
    let count = r.names.names().map(|n| format!("n_{n}"));
    let mut w = csv::Writer::from_writer(out);
    let err = csv_error;
    w.write_record([
        "outlet",
        "article",
        "date",
        "url",
        "title",
        "sentences",
        count[0].as_str(),
        count[1].as_str(),
        count[2].as_str(),
        count[3].as_str(),
        "score",
        "interval_lo",
        "interval_hi",
        "balance",
        "primacy",
        "headline",
        "hedge_rate",
        "stance_mass",
        "first_stance",
        "invalid_date",
        "group",
        "period",
    ])
    .map_err(err)?;
    let period = r.timeline.period;
    for a in &r.articles {
        let f = &a.framing;
        let [lo, hi] = bounds(f.interval);
        let mut row = vec![
            neutralise_cell(&a.outlet),
            neutralise_cell(&a.id),
            neutralise_cell(a.date.as_deref().unwrap_or("")),
            neutralise_cell(a.url.as_deref().unwrap_or("")),
            neutralise_cell(a.title.as_deref().unwrap_or("")),
            a.sentences.to_string(),
        ];
        row.extend(a.label_counts.iter().map(|c| c.to_string()));
        row.extend([
            num(f.score),
            lo,
            hi,
            opt(f.balance),
            opt(f.primacy),
            opt(f.headline),
            opt(f.hedge_rate),
            num(f.stance_mass),
            f.first_stance
                .map(|l| r.names.name(l).to_string())
                .unwrap_or_default(),
            neutralise_cell(a.invalid_date.as_deref().unwrap_or("")),
            neutralise_cell(a.group.as_deref().unwrap_or("")),
            a.date
                .as_deref()
                .and_then(|d| parse_date(d).ok())
                .filter(|d| period.places(d.precision))
                .map(|d| period.label(period.start(d.day)))
                .unwrap_or_default(),
        ]);
        w.write_record(&row).map_err(err)?;
    }
    finish(w)
}

fn period_cells(series: &str, p: &PeriodRow) -> Vec<String> {
    let [lo, hi] = bounds(p.interval);
    vec![
        neutralise_cell(series),
        p.label.clone(),
        p.start.clone(),
        p.articles.to_string(),
        p.stance_articles.to_string(),
        opt(p.mean),
        lo,
        hi,
    ]
}

/// One row per timeline period (series `all`), then one per period of each highlighted
/// outlet (series = the outlet), written to `out`.
pub fn render_periods(r: &Report, out: &mut dyn io::Write) -> Result<(), ReportError> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "series",
        "period",
        "start",
        "articles",
        "stance_articles",
        "mean",
        "interval_lo",
        "interval_hi",
    ])
    .map_err(csv_error)?;
    for p in &r.timeline.periods {
        w.write_record(period_cells("all", p)).map_err(csv_error)?;
    }
    for s in &r.timeline.highlights {
        for p in &s.periods {
            w.write_record(period_cells(&s.outlet, p))
                .map_err(csv_error)?;
        }
    }
    finish(w)
}

/// One row per group of `--group-by` (only the header without groups), written to `out`.
pub fn render_groups(r: &Report, out: &mut dyn io::Write) -> Result<(), ReportError> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "key",
        "value",
        "outlets",
        "articles",
        "stance_articles",
        "credible",
        "not_credible",
        "unclear",
        "no_claim",
        "mean",
        "interval_lo",
        "interval_hi",
    ])
    .map_err(csv_error)?;
    if let Some(g) = &r.groups {
        for row in &g.rows {
            let [lo, hi] = bounds(row.interval);
            w.write_record([
                neutralise_cell(&g.key),
                neutralise_cell(row.value.as_deref().unwrap_or("")),
                row.outlets.to_string(),
                row.articles.to_string(),
                row.stance_articles.to_string(),
                row.credible.to_string(),
                row.not_credible.to_string(),
                row.unclear.to_string(),
                row.no_claim.to_string(),
                opt(row.mean),
                lo,
                hi,
            ])
            .map_err(csv_error)?;
        }
    }
    finish(w)
}

/// The summary as one row, written to `out`.
pub fn render_summary(r: &Report, out: &mut dyn io::Write) -> Result<(), ReportError> {
    let mut w = csv::Writer::from_writer(out);
    let s = &r.summary;
    w.write_record([
        "outlets",
        "articles",
        "credible",
        "not_credible",
        "unclear",
        "no_claim",
        "strongest_credible",
        "strongest_credible_score",
        "strongest_not_credible",
        "strongest_not_credible_score",
        "strongest_unclear",
        "strongest_unclear_score",
        "single_article_outlets",
        "first_date",
        "last_date",
        "dated",
        "undated",
        "invalid_dates",
        "period",
        "coarse_dates",
        "summary",
    ])
    .map_err(csv_error)?;
    let who = |x: &Option<Standout>| {
        [
            x.as_ref()
                .map(|x| neutralise_cell(&x.outlet))
                .unwrap_or_default(),
            x.as_ref().map(|x| num(x.score)).unwrap_or_default(),
        ]
    };
    let mut row = vec![
        s.outlets.to_string(),
        s.articles.to_string(),
        s.credible.to_string(),
        s.not_credible.to_string(),
        s.unclear.to_string(),
        s.no_claim.to_string(),
    ];
    row.extend(who(&s.strongest_credible));
    row.extend(who(&s.strongest_not_credible));
    row.extend(who(&s.strongest_unclear));
    row.extend([
        s.single_article_outlets.to_string(),
        s.first_date.clone().unwrap_or_default(),
        s.last_date.clone().unwrap_or_default(),
        s.dated.to_string(),
        s.undated.to_string(),
        s.invalid_dates.to_string(),
        r.timeline.period.to_string(),
        r.timeline.coarse.to_string(),
        neutralise_cell(&s.text),
    ]);
    w.write_record(&row).map_err(csv_error)?;
    finish(w)
}
