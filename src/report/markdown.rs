//! Markdown rendering of a [`Report`]: the summary, the outlet table with sample sizes, the
//! timeline per period, groups, evidence lists naming each article (title, date, link) and an
//! article table. Every piece of article text is escaped so it cannot break a table or inject
//! markup, and only http/https addresses become links.

use super::{
    interval_text, safe_link, score_text, signed, stance_sentences, ArticleSummary, PeriodRow,
    Report,
};
use crate::label::{Label, LabelNames};
use std::fmt::{self, Write};

/// Escapes text for a Markdown table cell or list item: `|` and the characters that can start
/// markup (emphasis, code, links, images, headings, strike-through) get a backslash, `<`, `>`
/// and `&` become entities, line breaks become spaces. Parentheses and braces stay as they
/// are: with `[` and `]` escaped they cannot form a link, and escaping them only made the
/// raw report harder to read.
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '|' | '*' | '_' | '`' | '[' | ']' | '#' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' | '\t' => out.push(' '),
            // Control characters (ESC starts terminal escape sequences) and bidirectional
            // overrides are shown as their code, never passed through raw.
            c if c.is_control()
                || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}') =>
            {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            _ => out.push(c),
        }
    }
    out
}

fn pct(x: f64) -> String {
    format!("{:.0}%", 100.0 * x)
}

fn opt(x: Option<f64>, f: impl Fn(f64) -> String) -> String {
    x.map_or_else(|| "n/a".to_string(), f)
}

/// A link to an article's source when its URL is http or https; its text otherwise.
fn link(url: Option<&str>) -> String {
    match url {
        Some(u) => match safe_link(u) {
            // `|` would end a table cell; percent-encoded it is the same address.
            Some(ok) => format!("<{}>", ok.replace('|', "%7C")),
            None => format!("source: {}", escape_markdown(u)),
        },
        None => String::new(),
    }
}

/// An article's date cell: the date, `undated`, or the invalid date it gave.
fn date_text(a: &ArticleSummary) -> String {
    match (&a.date, &a.invalid_date) {
        (Some(d), _) => escape_markdown(d),
        (None, Some(bad)) => format!("undated (invalid: {})", escape_markdown(bad)),
        (None, None) => "undated".to_string(),
    }
}

/// An article named for a reader: title (or id), date, id and link.
fn article_name(a: Option<&ArticleSummary>, id: &str) -> String {
    let Some(a) = a else {
        return format!("article {}", escape_markdown(id));
    };
    let title = a
        .title
        .as_deref()
        .map(|t| format!("*{}*", escape_markdown(t)))
        .unwrap_or_else(|| "untitled".to_string());
    let l = link(a.url.as_deref());
    format!(
        "{title} ({}, article {}{}{})",
        date_text(a),
        escape_markdown(id),
        if l.is_empty() { "" } else { ", " },
        l
    )
}

fn period_table(s: &mut impl Write, level: &str, rows: &[PeriodRow]) -> fmt::Result {
    writeln!(
        s,
        "| Period | Start | Articles | Stance articles | Mean score | {level} interval |"
    )?;
    writeln!(s, "|---|---|---:|---:|---:|---|")?;
    for p in rows {
        writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            p.label,
            p.start,
            p.articles,
            p.stance_articles,
            opt(p.mean, signed),
            interval_text(p.interval)
        )?;
    }
    s.write_char('\n')
}

/// The titles of the label-count columns: the roles' (`Claim`, `Denial`, `Skepticism`,
/// `Context`) for the default story's names, else the display names.
pub(crate) fn column_titles(names: &LabelNames) -> [String; 4] {
    if names.has_default_labels() {
        ["Claim", "Denial", "Skepticism", "Context"].map(str::to_string)
    } else {
        names.names().map(str::to_string)
    }
}

/// Renders the report as Markdown.
pub fn render(r: &Report, s: &mut impl Write) -> fmt::Result {
    let level = pct(r.settings.framing.level);
    writeln!(s, "# Credibility framing report\n")?;
    writeln!(s, "**Summary.** {}\n", escape_markdown(&r.summary.text))?;
    writeln!(
        s,
        "Score from -1 ({} is framed as not credible) to +1 (framed as credible); 0 is balanced. \
         Intervals are {level} Bayesian-bootstrap intervals over articles and sentences. An outlet is *credible* \
         when its whole interval lies above 0, *not credible* when it lies below 0, and *unclear* when it holds 0; \
         `n/a` means the outlet carries no claim-related sentence (no score, not a 0). Sample sizes: articles \
         (with stance) and stance sentences (labelled claim, denial or skepticism). See docs/FRAMING.md for the \
         formula and docs/REPORT.md for reading the report.\n",
        r.names.short
    )?;
    let models = if r.models.is_empty() {
        "unknown".to_string()
    } else {
        r.models.join(", ")
    };
    writeln!(
        s,
        "{} articles, {} outlets. Model: {}. Hedge list: {} ({}). Tool: {}.\n",
        r.articles.len(),
        r.outlets.len(),
        escape_markdown(&models),
        escape_markdown(&r.settings.hedges_source),
        r.settings.hedges_fingerprint,
        r.tool
    )?;
    writeln!(s, "## Outlets\n")?;
    writeln!(
        s,
        "| # | Outlet | Verdict | Score | {level} interval | Articles | Stance sentences | Sentences | Claim | Denial | Skepticism | Context | Hedge rate | Headline | Claim first |"
    )?;
    writeln!(
        s,
        "|---:|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    )?;
    for (i, o) in r.outlets.iter().enumerate() {
        let sh = o.label_shares;
        writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} ({} with stance) | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            i + 1,
            escape_markdown(&o.outlet),
            o.verdict.describe(),
            score_text(o),
            interval_text(o.interval),
            o.articles,
            o.articles_with_stance,
            stance_sentences(o),
            o.sentences,
            pct(sh[0]),
            pct(sh[1]),
            pct(sh[2]),
            pct(sh[3]),
            opt(o.hedge_rate, pct),
            opt(o.headline_framing, signed),
            opt(o.claim_first_share, pct),
        )?;
    }
    let t = &r.timeline;
    writeln!(s, "\n## Timeline\n")?;
    writeln!(
        s,
        "Mean article score per {} ({}), over the articles with stance, with its {level} interval; \
         articles counts every article dated in the period. {} articles placed; {} undated{}{}.\n",
        t.period,
        if t.automatic {
            "chosen from the span of the dates; `--period` overrides"
        } else {
            "as asked with `--period`"
        },
        t.placed,
        t.undated,
        if t.invalid_dates > 0 {
            format!(" ({} with an invalid date)", t.invalid_dates)
        } else {
            String::new()
        },
        if t.coarse > 0 {
            format!(
                "; {} dated too coarsely for a {} (not placed)",
                t.coarse, t.period
            )
        } else {
            String::new()
        }
    )?;
    if t.periods.is_empty() {
        writeln!(s, "No article has a date that places it on the timeline.\n")?;
    } else {
        period_table(s, &level, &t.periods)?;
    }
    for h in &t.highlights {
        writeln!(s, "### Highlighted: {}\n", escape_markdown(&h.outlet))?;
        period_table(s, &level, &h.periods)?;
    }
    if let Some(g) = &r.groups {
        writeln!(s, "## Groups by {}\n", escape_markdown(&g.key))?;
        writeln!(
            s,
            "Outlets grouped by their articles' `{}`; the mean is over the group's articles with stance.\n",
            escape_markdown(&g.key)
        )?;
        writeln!(
            s,
            "| {} | Outlets | Articles | Stance articles | Credible | Not credible | Unclear | n/a | Mean score | {level} interval |",
            escape_markdown(&g.key)
        )?;
        writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")?;
        for row in &g.rows {
            writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                row.value
                    .as_deref()
                    .map_or_else(|| "(not given)".to_string(), escape_markdown),
                row.outlets,
                row.articles,
                row.stance_articles,
                row.credible,
                row.not_credible,
                row.unclear,
                row.no_claim,
                opt(row.mean, signed),
                interval_text(row.interval)
            )?;
        }
        if !g.mixed_outlets.is_empty() {
            writeln!(
                s,
                "\nOutlets whose articles give different values (each counted under its most frequent): {}.",
                g.mixed_outlets
                    .iter()
                    .map(|o| escape_markdown(o))
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
        }
        s.write_char('\n')?;
    }
    writeln!(s, "## Evidence\n")?;
    writeln!(
        s,
        "The sentences that moved each outlet's score most: the shift is how far the outlet score \
         would move without the sentence (positive: toward credible).\n"
    )?;
    let by_id = r.cited_articles();
    for o in &r.outlets {
        writeln!(
            s,
            "### {} ({})\n",
            escape_markdown(&o.outlet),
            score_text(o)
        )?;
        if o.evidence.is_empty() {
            writeln!(s, "No claim-related sentences.\n")?;
            continue;
        }
        for e in &o.evidence {
            writeln!(
                s,
                "- **{}** {} sentence {} ({}, {} p={:.2}{}): {}",
                format_args!("{:+.3}", e.shift),
                article_name(by_id.get(e.article.as_str()), &e.article),
                e.index,
                e.role.as_str(),
                r.names.name(e.label),
                e.probs[e.label.index()],
                if e.hedge > 0.0 {
                    format!(", hedge {:.2}", e.hedge)
                } else {
                    String::new()
                },
                escape_markdown(&e.text)
            )?;
        }
        s.write_char('\n')?;
    }
    writeln!(s, "## Articles\n")?;
    let [claim, denial, skepticism, context] = column_titles(&r.names);
    writeln!(s, "| Outlet | Date | Article | Title | Link | Score | {level} interval | Sentences | {claim} | {denial} | {skepticism} | {context} |")?;
    writeln!(s, "|---|---|---|---|---|---:|---|---:|---:|---:|---:|---:|")?;
    for a in &r.articles {
        let c = a.label_counts;
        writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            escape_markdown(&a.outlet),
            date_text(&a),
            escape_markdown(&a.id),
            escape_markdown(a.title.as_deref().unwrap_or("")),
            link(a.url.as_deref()),
            if a.framing.interval.is_some() {
                signed(a.framing.score)
            } else {
                "n/a".to_string()
            },
            interval_text(a.framing.interval),
            a.sentences,
            c[Label::RussianClaim.index()],
            c[Label::UsDenial.index()],
            c[Label::ExpertSkepticism.index()],
            c[Label::Context.index()],
        )?;
    }
    Ok(())
}
