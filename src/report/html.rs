//! HTML rendering of a [`Report`]: one self-contained page (inline CSS and SVG, no scripts,
//! no network, a Content-Security-Policy that forbids both) with a credibility dot plot, label
//! shares, evidence, a timeline and per-article sentence strips. All input text is escaped.

use super::{interval_text, signed, Report};
use crate::label::Label;
use std::fmt::{self, Write};

/// Colours of the four labels in [`Label::ALL`] order (Okabe-Ito, colour-blind safe).
const LABEL_COLOURS: [&str; 4] = ["#E69F00", "#0072B2", "#CC79A7", "#BDBDBD"];
/// Colours that tell outlets apart on the timeline.
const OUTLET_COLOURS: [&str; 8] = [
    "#D55E00", "#009E73", "#56B4E9", "#F0E442", "#000000", "#E69F00", "#CC79A7", "#0072B2",
];

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn label_name(l: Label) -> &'static str {
    match l {
        Label::RussianClaim => "Russian claim",
        Label::UsDenial => "US denial",
        Label::ExpertSkepticism => "Expert skepticism",
        Label::Context => "Context",
    }
}

fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max - 1).collect();
        s.push('…');
        s
    }
}

const CSS: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;margin:0 auto;max-width:1100px;padding:1rem 1.5rem;color:#222;line-height:1.4}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ddd}
h3{font-size:1.05rem;margin-bottom:.3rem}
.meta{color:#555;font-size:.9rem}
.legend span{display:inline-block;margin-right:1rem;font-size:.9rem}
.legend i{display:inline-block;width:.9rem;height:.9rem;margin-right:.3rem;vertical-align:middle;border-radius:2px}
table{border-collapse:collapse;font-size:.88rem;width:100%}
th,td{border-bottom:1px solid #e5e5e5;padding:.25rem .4rem;text-align:left;vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
svg text{font-family:inherit;font-size:12px;fill:#222}
svg .axis{stroke:#999;stroke-width:1}svg .grid{stroke:#e3e3e3;stroke-width:1}
svg .zero{stroke:#666;stroke-width:1;stroke-dasharray:3 3}
svg .ci{stroke:#444;stroke-width:2}
.scroll{overflow-x:auto}
.strip{margin:.6rem 0}.strip .title{font-size:.85rem;color:#333}
.strip rect:hover{stroke:#000;stroke-width:1.5}
ol.evidence li{margin-bottom:.3rem;font-size:.9rem}
.shift-pos{color:#9a5b00;font-weight:600}.shift-neg{color:#00508a;font-weight:600}
footer{margin-top:2rem;color:#666;font-size:.8rem}
";

/// Horizontal geometry shared by the outlet charts.
struct Axis {
    left: f64,
    width: f64,
}

impl Axis {
    fn x(&self, v: f64) -> f64 {
        self.left + (v.clamp(-1.0, 1.0) + 1.0) / 2.0 * self.width
    }
}

fn legend(s: &mut impl Write) -> fmt::Result {
    s.write_str("<p class=\"legend\">")?;
    for l in Label::ALL {
        write!(
            s,
            "<span><i style=\"background:{}\"></i>{}</span>",
            LABEL_COLOURS[l.index()],
            label_name(l)
        )?;
    }
    s.write_str("</p>\n")?;
    Ok(())
}

fn dot_plot(s: &mut impl Write, r: &Report) -> fmt::Result {
    let row = 26.0;
    let top = 34.0;
    let ax = Axis {
        left: 230.0,
        width: 460.0,
    };
    let h = top + row * r.outlets.len() as f64 + 10.0;
    writeln!(
        s,
        "<svg class=\"dotplot\" role=\"img\" aria-label=\"Credibility framing per outlet\" width=\"900\" height=\"{h}\" viewBox=\"0 0 900 {h}\">"
    )?;
    for v in [-1.0, -0.5, 0.0, 0.5, 1.0] {
        let x = ax.x(v);
        let class = if v == 0.0 { "zero" } else { "grid" };
        writeln!(
            s,
            "<line class=\"{class}\" x1=\"{x:.1}\" y1=\"{}\" x2=\"{x:.1}\" y2=\"{:.1}\"/>",
            top - 6.0,
            h - 6.0
        )?;
        writeln!(
            s,
            "<text x=\"{x:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            top - 10.0,
            signed(v)
        )?;
    }
    writeln!(
        s,
        "<text x=\"{}\" y=\"12\" text-anchor=\"start\">← framed as not credible</text>",
        ax.left
    )?;
    writeln!(
        s,
        "<text x=\"{}\" y=\"12\" text-anchor=\"end\">framed as credible →</text>",
        ax.left + ax.width
    )?;
    for (i, o) in r.outlets.iter().enumerate() {
        let y = top + row * i as f64 + row / 2.0;
        let tip = format!(
            "{}: score {}, {:.0}% interval {}, {} articles ({} with stance)",
            o.outlet,
            signed(o.score),
            100.0 * r.settings.framing.level,
            interval_text(o.interval),
            o.articles,
            o.articles_with_stance
        );
        writeln!(
            s,
            "<g class=\"outlet\"><title>{}</title>",
            escape_html(&tip)
        )?;
        writeln!(
            s,
            "<text class=\"outlet-name\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            ax.left - 10.0,
            y + 4.0,
            escape_html(&short(&o.outlet, 34))
        )?;
        if let Some(iv) = o.interval {
            writeln!(
                s,
                "<line class=\"ci\" x1=\"{:.1}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\"/>",
                ax.x(iv.lo),
                ax.x(iv.hi)
            )?;
        }
        let fill = if o.interval.is_none() {
            "#ffffff"
        } else if o.score >= 0.0 {
            LABEL_COLOURS[0]
        } else {
            LABEL_COLOURS[1]
        };
        writeln!(
            s,
            "<circle class=\"score-dot\" cx=\"{:.1}\" cy=\"{y:.1}\" r=\"6\" fill=\"{fill}\" stroke=\"#222\"/>",
            ax.x(o.score)
        )?;
        writeln!(
            s,
            "<text x=\"{}\" y=\"{:.1}\">{} {}</text></g>",
            ax.left + ax.width + 12.0,
            y + 4.0,
            signed(o.score),
            interval_text(o.interval)
        )?;
    }
    s.write_str("</svg>\n")?;
    Ok(())
}

fn share_bars(s: &mut impl Write, r: &Report) -> fmt::Result {
    let row = 24.0;
    let top = 8.0;
    let (left, width) = (230.0, 460.0);
    let h = top + row * r.outlets.len() as f64 + 8.0;
    writeln!(
        s,
        "<svg class=\"shares\" role=\"img\" aria-label=\"Label shares per outlet\" width=\"900\" height=\"{h}\" viewBox=\"0 0 900 {h}\">"
    )?;
    for (i, o) in r.outlets.iter().enumerate() {
        let y = top + row * i as f64;
        writeln!(
            s,
            "<text class=\"outlet-name\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            left - 10.0,
            y + row / 2.0 + 4.0,
            escape_html(&short(&o.outlet, 34))
        )?;
        let mut x = left;
        for l in Label::ALL {
            let share = o.label_shares[l.index()];
            let w = share * width;
            let tip = format!("{}: {} {:.1}%", o.outlet, label_name(l), 100.0 * share);
            writeln!(
                s,
                "<rect class=\"share {}\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{}</title></rect>",
                l.as_str(),
                y + 3.0,
                row - 6.0,
                LABEL_COLOURS[l.index()],
                escape_html(&tip)
            )?;
            x += w;
        }
        writeln!(
            s,
            "<text x=\"{}\" y=\"{:.1}\">{} sentences</text>",
            left + width + 12.0,
            y + row / 2.0 + 4.0,
            o.sentences
        )?;
    }
    s.write_str("</svg>\n")?;
    Ok(())
}

/// Days since 1970-01-01 of a date written `YYYY-MM-DD`, `YYYY-MM` or `YYYY` (more text after
/// the date, such as a time, is ignored). `None` for anything else.
pub(crate) fn day_number(date: &str) -> Option<i64> {
    let d = date.trim();
    let mut parts = d.get(..d.len().min(10))?.split('-');
    let y: i64 = parts.next().filter(|p| p.len() == 4)?.parse().ok()?;
    let m: i64 = match parts.next() {
        Some(p) => p.get(..2)?.parse().ok()?,
        None => 1,
    };
    let day: i64 = match parts.next() {
        Some(p) => p.get(..2)?.parse().ok()?,
        None => 1,
    };
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

fn timeline(s: &mut impl Write, r: &Report) -> fmt::Result {
    let points: Vec<(i64, &super::ArticleSummary)> = r
        .articles
        .iter()
        .filter(|a| a.framing.interval.is_some())
        .filter_map(|a| a.date.as_deref().and_then(day_number).map(|d| (d, a)))
        .collect();
    if points.is_empty() {
        s.write_str("<p class=\"no-timeline\">No article with stance has a usable date (YYYY-MM-DD, YYYY-MM or YYYY), so there is no timeline.</p>\n")?;
        return Ok(());
    }
    let lo = points.iter().map(|p| p.0).min().unwrap_or(0);
    let hi = points.iter().map(|p| p.0).max().unwrap_or(0);
    let (lo, hi) = if lo == hi {
        (lo - 15, hi + 15)
    } else {
        (lo, hi)
    };
    let (left, width, top, height) = (60.0, 660.0, 14.0, 200.0);
    let x = |d: i64| left + (d - lo) as f64 / (hi - lo) as f64 * width;
    let y = |v: f64| top + (1.0 - v.clamp(-1.0, 1.0)) / 2.0 * height;
    let outlets: Vec<&str> = r.outlets.iter().map(|o| o.outlet.as_str()).collect();
    let total_h = top + height + 40.0;
    writeln!(
        s,
        "<svg class=\"timeline\" role=\"img\" aria-label=\"Article scores by date\" width=\"780\" height=\"{total_h}\" viewBox=\"0 0 780 {total_h}\">"
    )?;
    for v in [-1.0, -0.5, 0.0, 0.5, 1.0] {
        let class = if v == 0.0 { "zero" } else { "grid" };
        writeln!(
            s,
            "<line class=\"{class}\" x1=\"{left}\" y1=\"{:.1}\" x2=\"{}\" y2=\"{:.1}\"/>",
            y(v),
            left + width,
            y(v)
        )?;
        writeln!(
            s,
            "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            left - 6.0,
            y(v) + 4.0,
            signed(v)
        )?;
    }
    let first = points
        .iter()
        .min_by_key(|p| p.0)
        .and_then(|p| p.1.date.clone())
        .unwrap_or_default();
    let last = points
        .iter()
        .max_by_key(|p| p.0)
        .and_then(|p| p.1.date.clone())
        .unwrap_or_default();
    writeln!(
        s,
        "<text x=\"{left}\" y=\"{}\">{}</text>",
        top + height + 18.0,
        escape_html(&short(&first, 20))
    )?;
    writeln!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
        left + width,
        top + height + 18.0,
        escape_html(&short(&last, 20))
    )?;
    for (d, a) in &points {
        let oi = outlets.iter().position(|o| *o == &*a.outlet).unwrap_or(0);
        let tip = format!(
            "{} · {} · {}: score {}",
            a.outlet,
            a.date.as_deref().unwrap_or(""),
            a.title.as_deref().unwrap_or(&a.id),
            signed(a.framing.score)
        );
        writeln!(
            s,
            "<circle class=\"article-dot\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"5\" fill=\"{}\" fill-opacity=\"0.8\" stroke=\"#222\"><title>{}</title></circle>",
            x(*d),
            y(a.framing.score),
            OUTLET_COLOURS[oi % OUTLET_COLOURS.len()],
            escape_html(&tip)
        )?;
    }
    s.write_str("</svg>\n<p class=\"legend\">")?;
    for (i, o) in outlets.iter().enumerate().take(16) {
        write!(
            s,
            "<span><i style=\"background:{}\"></i>{}</span>",
            OUTLET_COLOURS[i % OUTLET_COLOURS.len()],
            escape_html(&short(o, 40))
        )?;
    }
    s.write_str("</p>\n")?;
    Ok(())
}

fn strips(s: &mut impl Write, r: &Report) -> fmt::Result {
    let with: Vec<&super::ArticleSummary> =
        r.articles.iter().filter(|a| a.strip.is_some()).collect();
    if with.len() < r.articles.len() {
        writeln!(
            s,
            "<p class=\"meta\">Showing the first {} of {} articles (raise --max-strips for more).</p>",
            with.len(),
            r.articles.len()
        )?;
    }
    for a in with {
        let cells = a.strip.as_deref().unwrap_or(&[]);
        let head = format!(
            "{} · {} · {} ({} sentences, score {} {})",
            a.outlet,
            a.date.as_deref().unwrap_or("undated"),
            a.title.as_deref().unwrap_or(&a.id),
            a.sentences,
            signed(a.framing.score),
            interval_text(a.framing.interval)
        );
        writeln!(
            s,
            "<div class=\"strip\"><div class=\"title\">{}</div><div class=\"scroll\">",
            escape_html(&head)
        )?;
        let (cw, ch) = (11.0, 20.0);
        let w = (cells.len() as f64 * cw).max(cw);
        writeln!(
            s,
            "<svg class=\"sentence-strip\" role=\"img\" aria-label=\"sentence labels\" width=\"{w}\" height=\"{ch}\" viewBox=\"0 0 {w} {ch}\">"
        )?;
        for (i, c) in cells.iter().enumerate() {
            let tip = format!(
                "#{} {} (p={:.2}): {}",
                c.index, c.label, c.confidence, c.text
            );
            writeln!(
                s,
                "<rect class=\"cell {}\" x=\"{:.0}\" y=\"0\" width=\"{}\" height=\"{ch}\" fill=\"{}\" fill-opacity=\"{:.2}\"><title>{}</title></rect>",
                c.label.as_str(),
                i as f64 * cw,
                cw - 1.0,
                LABEL_COLOURS[c.label.index()],
                0.35 + 0.65 * c.confidence.clamp(0.0, 1.0),
                escape_html(&tip)
            )?;
        }
        s.write_str("</svg></div></div>\n")?;
    }
    Ok(())
}

fn outlet_table(s: &mut impl Write, r: &Report) -> fmt::Result {
    let level = format!("{:.0}%", 100.0 * r.settings.framing.level);
    writeln!(
        s,
        "<table class=\"outlets\"><thead><tr><th class=\"num\">#</th><th>Outlet</th><th class=\"num\">Score</th><th>{level} interval</th>\
         <th class=\"num\">Articles</th><th class=\"num\">Sentences</th><th class=\"num\">Hedge rate</th><th class=\"num\">Headline</th><th class=\"num\">Claim first</th></tr></thead><tbody>"
    )?;
    let pct =
        |x: Option<f64>| x.map_or_else(|| "n/a".to_string(), |v| format!("{:.0}%", 100.0 * v));
    for (i, o) in r.outlets.iter().enumerate() {
        writeln!(
            s,
            "<tr><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{} ({} with stance)</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            i + 1,
            escape_html(&o.outlet),
            signed(o.score),
            interval_text(o.interval),
            o.articles,
            o.articles_with_stance,
            o.sentences,
            pct(o.hedge_rate),
            o.headline_framing.map_or_else(|| "n/a".to_string(), signed),
            pct(o.claim_first_share),
        )?;
    }
    s.write_str("</tbody></table>\n")?;
    Ok(())
}

fn evidence(s: &mut impl Write, r: &Report) -> fmt::Result {
    for o in &r.outlets {
        writeln!(
            s,
            "<h3>{} <small>({})</small></h3>",
            escape_html(&o.outlet),
            signed(o.score)
        )?;
        if o.evidence.is_empty() {
            s.write_str("<p>No claim-related sentences.</p>\n")?;
            continue;
        }
        s.write_str("<ol class=\"evidence\">\n")?;
        for e in &o.evidence {
            let class = if e.shift >= 0.0 {
                "shift-pos"
            } else {
                "shift-neg"
            };
            writeln!(
                s,
                "<li><span class=\"{class}\">{:+.3}</span> <i style=\"display:inline-block;width:.7rem;height:.7rem;background:{}\"></i> {} · article {} · sentence {} ({}{}): {}</li>",
                e.shift,
                LABEL_COLOURS[e.label.index()],
                label_name(e.label),
                escape_html(&e.article),
                e.index,
                e.role.as_str(),
                if e.hedge > 0.0 { format!(", hedge {:.2}", e.hedge) } else { String::new() },
                escape_html(&e.text)
            )?;
        }
        s.write_str("</ol>\n")?;
    }
    Ok(())
}

/// Renders the report as one self-contained HTML page.
pub fn render(r: &Report, s: &mut impl Write) -> fmt::Result {
    s.write_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")?;
    s.write_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n")?;
    s.write_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")?;
    s.write_str("<title>claimtrack: credibility framing report</title>\n<style>")?;
    s.write_str(CSS)?;
    s.write_str("</style>\n</head>\n<body>\n<header>\n<h1>Credibility framing report</h1>\n")?;
    let models = if r.models.is_empty() {
        "unknown".to_string()
    } else {
        r.models.join(", ")
    };
    writeln!(
        s,
        "<p class=\"meta\">{} articles from {} outlets · model {} · hedge list {} ({}) · {}</p>",
        r.articles.len(),
        r.outlets.len(),
        escape_html(&models),
        escape_html(&r.settings.hedges_source),
        escape_html(&r.settings.hedges_fingerprint),
        escape_html(&r.tool)
    )?;
    writeln!(
        s,
        "<p>How strongly each outlet frames the reported back channel as credible: −1 when denials and doubt dominate, \
         come first, or the claim is hedged; +1 when the claim is prominent and stated as fact; 0 is balanced. \
         Bars are {:.0}% Bayesian-bootstrap intervals over articles and sentences; a hollow dot has no claim-related sentence.</p>",
        100.0 * r.settings.framing.level
    )?;
    legend(s)?;
    s.write_str(
        "</header>\n<section id=\"credibility\">\n<h2>Credibility framing per outlet</h2>\n",
    )?;
    dot_plot(s, r)?;
    s.write_str("</section>\n<section id=\"shares\">\n<h2>Label shares per outlet</h2>\n")?;
    share_bars(s, r)?;
    s.write_str("</section>\n<section id=\"outlets\">\n<h2>Outlets</h2>\n")?;
    outlet_table(s, r)?;
    s.write_str("</section>\n<section id=\"evidence\">\n<h2>Evidence: the sentences that moved each score</h2>\n")?;
    evidence(s, r)?;
    s.write_str("</section>\n<section id=\"timeline\">\n<h2>Article scores over time</h2>\n")?;
    timeline(s, r)?;
    s.write_str("</section>\n<section id=\"strips\">\n<h2>Sentence strips</h2>\n<p class=\"meta\">One cell per sentence, coloured by label (paler = less confident); hover a cell for its text.</p>\n")?;
    legend(s)?;
    strips(s, r)?;
    writeln!(
        s,
        "</section>\n<footer>Generated by {}. Formula: docs/FRAMING.md. Seed {}, {} bootstrap replicates.</footer>\n</body>\n</html>",
        escape_html(&r.tool),
        r.settings.framing.seed,
        r.settings.framing.bootstrap
    )?;
    Ok(())
}
