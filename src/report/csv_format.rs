//! CSV rendering of a [`Report`]: one row per outlet, or one per article. Text cells that a
//! spreadsheet would read as a formula are neutralised (CSV injection).

use super::{Report, ReportError};
use crate::framing::Interval;
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
        "share_russian_claim",
        "share_us_denial",
        "share_expert_skepticism",
        "share_context",
        "hedge_rate",
        "headline_framing",
        "claim_first_share",
        "top_evidence_article",
        "top_evidence_index",
        "top_evidence_shift",
        "top_evidence_text",
    ])
    .map_err(err)?;
    for (i, o) in r.outlets.iter().enumerate() {
        let [lo, hi] = bounds(o.interval);
        let top = o.evidence.first();
        let mut row = vec![
            (i + 1).to_string(),
            neutralise_cell(&o.outlet),
            num(o.score),
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
        ]);
        w.write_record(&row).map_err(err)?;
    }
    finish(w)
}

/// One row per article, in report order, written to `out`.
pub fn render_articles(r: &Report, out: &mut dyn io::Write) -> Result<(), ReportError> {
    let mut w = csv::Writer::from_writer(out);
    let err = csv_error;
    w.write_record([
        "outlet",
        "article",
        "date",
        "url",
        "title",
        "sentences",
        "n_russian_claim",
        "n_us_denial",
        "n_expert_skepticism",
        "n_context",
        "score",
        "interval_lo",
        "interval_hi",
        "balance",
        "primacy",
        "headline",
        "hedge_rate",
        "stance_mass",
        "first_stance",
    ])
    .map_err(err)?;
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
                .map(|l| l.as_str().to_string())
                .unwrap_or_default(),
        ]);
        w.write_record(&row).map_err(err)?;
    }
    finish(w)
}
