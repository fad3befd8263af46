//! Markdown rendering of a [`Report`]: the outlet table, evidence lists and an article table.
//! Every piece of article text is escaped so it cannot break a table or inject markup.

use super::{interval_text, signed, Report};
use crate::label::Label;
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

/// Renders the report as Markdown.
pub fn render(r: &Report, s: &mut impl Write) -> fmt::Result {
    let level = pct(r.settings.framing.level);
    writeln!(s, "# Credibility framing report\n")?;
    writeln!(
        s,
        "Score from -1 (the back channel is framed as not credible) to +1 (framed as credible); 0 is balanced. \
         Intervals are {level} Bayesian-bootstrap intervals over articles and sentences; `n/a` means the outlet \
         carries no claim-related sentence. See docs/FRAMING.md for the formula.\n"
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
    writeln!(
        s,
        "| # | Outlet | Score | {level} interval | Articles | Sentences | Claim | Denial | Skepticism | Context | Hedge rate | Headline | Claim first |"
    )?;
    writeln!(
        s,
        "|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    )?;
    for (i, o) in r.outlets.iter().enumerate() {
        let sh = o.label_shares;
        writeln!(
            s,
            "| {} | {} | {} | {} | {} ({} with stance) | {} | {} | {} | {} | {} | {} | {} | {} |",
            i + 1,
            escape_markdown(&o.outlet),
            signed(o.score),
            interval_text(o.interval),
            o.articles,
            o.articles_with_stance,
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
    writeln!(s, "\n## Evidence\n")?;
    writeln!(
        s,
        "The sentences that moved each outlet's score most: the shift is how far the outlet score \
         would move without the sentence (positive: toward credible).\n"
    )?;
    for o in &r.outlets {
        writeln!(
            s,
            "### {} ({})\n",
            escape_markdown(&o.outlet),
            signed(o.score)
        )?;
        if o.evidence.is_empty() {
            writeln!(s, "No claim-related sentences.\n")?;
            continue;
        }
        for e in &o.evidence {
            writeln!(
                s,
                "- **{}** article {} sentence {} ({}, {} p={:.2}{}): {}",
                format_args!("{:+.3}", e.shift),
                escape_markdown(&e.article),
                e.index,
                e.role.as_str(),
                e.label,
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
    writeln!(s, "| Outlet | Date | Article | Title | Score | {level} interval | Sentences | Claim | Denial | Skepticism | Context |")?;
    writeln!(s, "|---|---|---|---|---:|---|---:|---:|---:|---:|---:|")?;
    for a in &r.articles {
        let c = a.label_counts;
        writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            escape_markdown(&a.outlet),
            escape_markdown(a.date.as_deref().unwrap_or("")),
            escape_markdown(&a.id),
            escape_markdown(a.title.as_deref().unwrap_or("")),
            signed(a.framing.score),
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
