//! HTML rendering of a [`Report`]: one self-contained page (inline CSS and SVG, no network) that
//! answers first and details after: a plain-language summary, a table of contents, the
//! credibility dot plot with sample sizes and a "how to read this" note, the timeline (mean
//! score per week or month with intervals and volume, highlighted outlets), groups, a
//! sortable and filterable outlet table, label shares, evidence naming each article (title,
//! date, link), an article table and sentence strips. Long sections fold with `<details>`.
//!
//! Layout: the per-outlet charts are grid rows (an HTML name and sample size beside a small SVG
//! track that scales with its column), the timeline is drawn twice (a wide and a narrow
//! drawing, one shown per screen width), and tables scroll inside their own box, so nothing is
//! wider than a 390 px phone. The one inline script (sorting and filtering tables) is allowed by
//! its SHA-256 in the Content-Security-Policy, which forbids every other script and every
//! external resource; the page reads the same without it. All input text is escaped, and only
//! http/https URLs become links ([`safe_link`]).

use super::dates::{parse_date, show};
use super::{
    interval_text, safe_link, score_text, signed, stance_sentences, ArticleSummary, PeriodRow,
    Report, Timeline,
};
use crate::framing::{OutletReport, Verdict};
use crate::label::{Label, LabelNames};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt::{self, Write};

/// Colours of the four labels in [`Label::ALL`] order (Okabe-Ito, colour-blind safe). Used only
/// where labels are shown.
const LABEL_COLOURS: [&str; 4] = ["#E69F00", "#0072B2", "#CC79A7", "#BDBDBD"];
/// Colours of the verdicts (credible, not credible; unclear is hollow): ColorBrewer PRGn ends,
/// colour-blind safe, none of them a label colour.
const CREDIBLE: &str = "#1B7837";
const NOT_CREDIBLE: &str = "#762A83";
/// Stroke of the unclear (hollow) dot and of the timeline's mean.
const INK: &str = "#333333";
/// The timeline's volume bars.
const VOLUME: &str = "#A6CEE3";
/// Highlighted outlets on the timeline (Paul Tol's muted scheme, less its pale cyan and grey).
const HIGHLIGHT_COLOURS: [&str; 8] = [
    "#332288", "#117733", "#44AA99", "#882255", "#999933", "#AA4499", "#DDCC77", "#661100",
];
/// At most this many outlets can be highlighted (one distinct colour each).
pub const MAX_HIGHLIGHTS: usize = HIGHLIGHT_COLOURS.len();

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

/// A label's name in the page: a title for the default story's names, else the display name.
fn label_name(names: &LabelNames, l: Label) -> String {
    // Display names are checked to be a-z, 0-9 and _ (nothing to escape).
    if !names.has_default_labels() {
        return names.name(l).to_string();
    }
    default_title(l).to_string()
}

fn default_title(l: Label) -> &'static str {
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

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The table script: click a column head to sort (numbers by their `data-v`, n/a last), type
/// to filter rows, and for the outlet table pick a verdict. It marks each table it set up
/// (`data-sortable="ready"`).
const SCRIPT: &str = r#"(function(){
function key(td){var v=td.getAttribute('data-v');if(v===null)return td.textContent.trim().toLowerCase();if(v==='')return null;var n=parseFloat(v);return isNaN(n)?v.toLowerCase():n;}
function setup(t){var body=t.tBodies[0],heads=t.tHead.rows[0].cells;
for(var i=0;i<heads.length;i++)(function(i){var th=heads[i],b=document.createElement('button');b.type='button';b.textContent=th.textContent;th.textContent='';th.appendChild(b);
b.addEventListener('click',function(){var up=th.getAttribute('aria-sort')!=='ascending';for(var k=0;k<heads.length;k++)heads[k].removeAttribute('aria-sort');th.setAttribute('aria-sort',up?'ascending':'descending');
var rows=Array.prototype.slice.call(body.rows);rows.sort(function(x,y){var a=key(x.cells[i]),c=key(y.cells[i]);if(a===null||c===null)return a===c?0:(a===null?1:-1);var r=(typeof a==='number'&&typeof c==='number')?a-c:String(a).localeCompare(String(c));return up?r:-r;});
rows.forEach(function(r){body.appendChild(r);});});})(i);
var bar=document.createElement('div');bar.className='filters';var q=document.createElement('input');q.type='search';q.placeholder='Filter by name';q.setAttribute('aria-label','Filter rows by name');bar.appendChild(q);
var sel=null;if(t.getAttribute('data-verdicts')!==null){sel=document.createElement('select');sel.setAttribute('aria-label','Show verdict');[['','all verdicts'],['credible','framed as credible'],['not_credible','framed as not credible'],['unclear','unclear'],['n/a','n/a']].forEach(function(o){var e=document.createElement('option');e.value=o[0];e.textContent=o[1];sel.appendChild(e);});bar.appendChild(sel);}
function apply(){var s=q.value.toLowerCase(),v=sel?sel.value:'';for(var r=0;r<body.rows.length;r++){var row=body.rows[r],n=(row.getAttribute('data-name')||row.textContent).toLowerCase();row.hidden=(s&&n.indexOf(s)<0)||(v&&row.getAttribute('data-verdict')!==v);}}
q.addEventListener('input',apply);if(sel)sel.addEventListener('change',apply);var box=t.parentNode;box.parentNode.insertBefore(bar,box);t.setAttribute('data-sortable','ready');}
var ts=document.querySelectorAll('table[data-sortable]');for(var i=0;i<ts.length;i++)setup(ts[i]);})();"#;

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The Content-Security-Policy source of [`SCRIPT`] (`'sha256-...'`).
fn script_hash() -> String {
    format!("'sha256-{}'", base64(&Sha256::digest(SCRIPT.as_bytes())))
}

const CSS: &str = "
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;margin:0 auto;max-width:1100px;padding:1rem 1.5rem;color:#222;line-height:1.4}
h1{font-size:1.6rem;margin:0 0 .2rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ddd}
h3{font-size:1.05rem;margin-bottom:.3rem}
a{color:#0b5cad}
.meta{color:#555;font-size:.9rem}
.answer{font-size:1.08rem;background:#f6f6f3;border-left:4px solid #555;padding:.6rem .9rem;margin:.6rem 0}
.tiles{display:flex;flex-wrap:wrap;gap:.5rem;padding:0;margin:.6rem 0;list-style:none}
.tiles li{flex:1 1 9rem;border:1px solid #ddd;border-radius:4px;padding:.4rem .6rem;font-size:.9rem}
.tiles b{display:block;font-size:1.5rem}
nav.toc ol{columns:2 14rem;margin:.3rem 0;padding-left:1.2rem}
.legend{font-size:.85rem;color:#333;margin:.3rem 0}
.legend span{display:inline-block;margin-right:1rem}
.legend i{display:inline-block;width:.9rem;height:.9rem;margin-right:.3rem;vertical-align:middle;border-radius:2px}
.legend i.dot{border-radius:50%;border:1.5px solid #333}
.axis-title{font-size:.85rem;color:#333;margin:.2rem 0}
.with-note{display:flex;gap:1.5rem;align-items:flex-start}
.with-note>.chart{flex:1 1 0;min-width:0}
.with-note>aside{flex:0 0 17rem;font-size:.88rem;background:#f7f7f7;border:1px solid #e3e3e3;border-radius:4px;padding:.3rem .8rem}
.row{display:grid;grid-template-columns:14rem 6.5rem minmax(0,1fr) 8.5rem;grid-template-areas:'name n track score';gap:0 .6rem;align-items:center;border-bottom:1px solid #f0f0f0;font-size:.88rem;min-height:1.5rem}
.row .name{grid-area:name;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.row .n{grid-area:n;color:#555;font-size:.8rem;white-space:nowrap;text-align:right}
.row .score{grid-area:score;font-variant-numeric:tabular-nums;white-space:nowrap}
.row .iv{color:#555;font-size:.8rem}
.row.head{border-bottom:0;min-height:1.2rem}
.row.head .ticks{grid-area:track}
.row.hl .name{font-weight:700}
.track,.ticks,.bar{grid-area:track;position:relative;display:block;height:18px}
.ticks{height:1.1rem;font-size:.75rem;color:#333}
.ticks i{position:absolute;top:0;transform:translateX(-50%);font-style:normal;white-space:nowrap}
.ticks i:first-child{transform:none}.ticks i:last-child{transform:translateX(-100%)}
.track i{position:absolute;display:block}
.track .grid{top:1px;bottom:1px;width:0;border-left:1px solid #e3e3e3}
.track .zero{top:1px;bottom:1px;width:0;border-left:1px dashed #777}
.track .ci{top:8px;height:2px;background:#444}
.track .score-dot{top:3px;width:12px;height:12px;margin-left:-6px;border-radius:50%;border:1.5px solid #333}
.track .na-mark{left:50%;top:0;transform:translateX(-50%);background:#fff;padding:0 .3rem;white-space:nowrap;font-size:.75rem;color:#666;line-height:18px}
.bar{display:flex;height:14px}
.bar i{display:block;height:100%}
details.more>summary{font-size:.85rem;color:#0b5cad;cursor:pointer;margin:.2rem 0}
details.group>summary{font-weight:600;margin:.5rem 0 .2rem;cursor:pointer}
table{border-collapse:collapse;font-size:.86rem;width:100%}
.table-wrap{overflow-x:auto;max-width:100%}
th,td{border-bottom:1px solid #e5e5e5;padding:.25rem .4rem;text-align:left;vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
th button{font:inherit;font-weight:600;background:none;border:0;padding:0;cursor:pointer;text-align:inherit}
th[aria-sort=ascending] button::after{content:' ▲'}th[aria-sort=descending] button::after{content:' ▼'}
.filters{display:flex;flex-wrap:wrap;gap:.5rem;margin:.4rem 0}
.filters input,.filters select{font:inherit;padding:.2rem .4rem;max-width:100%}
svg text{font-family:inherit;fill:#222}
svg .grid{stroke:#e3e3e3;stroke-width:1}svg .zero{stroke:#777;stroke-width:1;stroke-dasharray:3 3}
svg .ci{stroke:#444;stroke-width:2}
svg.timeline{display:block;width:100%;height:auto;max-width:900px}
svg.timeline.narrow{display:none}
.scroll{overflow-x:auto;max-width:100%}
.strip{margin:.6rem 0}.strip .title{font-size:.85rem;color:#333}
.strip rect:hover{stroke:#000;stroke-width:1.5}
ol.evidence li{margin-bottom:.35rem;font-size:.9rem}
.shift-pos{color:#1B7837;font-weight:600}.shift-neg{color:#762A83;font-weight:600}
.na{color:#666;font-style:italic}
details.section>summary{font-size:1.05rem;font-weight:600;cursor:pointer;margin:.4rem 0}
footer{margin-top:2rem;color:#666;font-size:.8rem}
@media (max-width:640px){
body{padding:.6rem .75rem}
.with-note{flex-direction:column}.with-note>aside{flex:none;width:100%}
.row{grid-template-columns:minmax(0,1fr) 6.2rem;grid-template-areas:'name n' 'track score';padding:.15rem 0}
.row.head{grid-template-areas:'track score'}.row.head .name,.row.head .n{display:none}
.row .score{white-space:normal;line-height:1.15}.row .iv{display:block}
svg.timeline.wide{display:none}svg.timeline.narrow{display:block}
nav.toc ol{columns:1}
}
";

fn verdict_fill(v: Verdict) -> &'static str {
    match v {
        Verdict::Credible => CREDIBLE,
        Verdict::NotCredible => NOT_CREDIBLE,
        _ => "#FFFFFF",
    }
}

/// Horizontal position (percent of the track) of a score: -1..+1 spans 3%..97%, so a dot at
/// either end stays inside.
fn track_pct(v: f64) -> f64 {
    3.0 + (v.clamp(-1.0, 1.0) + 1.0) / 2.0 * 94.0
}

/// A dot-plot track (HTML, sized in percent of its column, so it fits any width with dots of
/// constant size): grid, zero line, the interval and the dot, or "n/a" without a score.
fn track(
    s: &mut impl Write,
    score: Option<f64>,
    interval: Option<crate::framing::Interval>,
    verdict: Verdict,
) -> fmt::Result {
    s.write_str("<span class=\"track\" aria-hidden=\"true\">")?;
    for v in [-1.0, -0.5, 0.5, 1.0] {
        write!(
            s,
            "<i class=\"grid\" style=\"left:{:.2}%\"></i>",
            track_pct(v)
        )?;
    }
    write!(
        s,
        "<i class=\"zero\" style=\"left:{:.2}%\"></i>",
        track_pct(0.0)
    )?;
    match score {
        None => s.write_str("<i class=\"na-mark\">n/a: no claim sentence</i>")?,
        Some(score) => {
            if let Some(iv) = interval {
                write!(
                    s,
                    "<i class=\"ci\" style=\"left:{:.2}%;width:{:.2}%\"></i>",
                    track_pct(iv.lo),
                    track_pct(iv.hi) - track_pct(iv.lo)
                )?;
            }
            write!(
                s,
                "<i class=\"score-dot {}\" style=\"left:{:.2}%;background:{}\"></i>",
                verdict.as_str().replace('/', ""),
                track_pct(score),
                verdict_fill(verdict)
            )?;
        }
    }
    s.write_str("</span>")
}

/// The axis row above a dot plot: tick labels aligned with the tracks.
fn track_axis(s: &mut impl Write) -> fmt::Result {
    s.write_str("<div class=\"row head\" aria-hidden=\"true\"><span class=\"name\"></span><span class=\"n\"></span><span class=\"ticks\">")?;
    for (v, text) in [
        (-1.0, "−1"),
        (-0.5, "−0.5"),
        (0.0, "0"),
        (0.5, "+0.5"),
        (1.0, "+1"),
    ] {
        write!(s, "<i style=\"left:{:.2}%\">{text}</i>", track_pct(v))?;
    }
    s.write_str("</span><span class=\"score meta\">score [interval]</span></div>\n")
}

fn chart_row_tip(o: &OutletReport, level: f64) -> String {
    format!(
        "{}: {}, score {}, {:.0}% interval {}, {} ({} with stance), {} of {} sentences",
        o.outlet,
        o.verdict.describe(),
        score_text(o),
        100.0 * level,
        interval_text(o.interval),
        plural(o.articles, "article", "articles"),
        o.articles_with_stance,
        plural(stance_sentences(o), "stance sentence", "stance sentences"),
        o.sentences
    )
}

fn sample_size(o: &OutletReport) -> String {
    format!("{} art. · {} st.", o.articles, stance_sentences(o))
}

/// A dot-plot group longer than this shows its first [`SHOWN_ROWS`] outlets and folds the rest.
const FOLD_ROWS: usize = 15;
const SHOWN_ROWS: usize = 10;

fn dot_plot(s: &mut impl Write, r: &Report, highlighted: &[String]) -> fmt::Result {
    let level = r.settings.framing.level;
    s.write_str("<p class=\"legend\">")?;
    write!(
        s,
        "<span><i class=\"dot\" style=\"background:{CREDIBLE}\"></i>framed as credible (whole interval above 0)</span>\
         <span><i class=\"dot\" style=\"background:{NOT_CREDIBLE}\"></i>framed as not credible (below 0)</span>\
         <span><i class=\"dot\" style=\"background:#fff\"></i>unclear (interval holds 0)</span>\
         <span>━ {:.0}% interval</span><span class=\"na\">n/a: no claim sentence (no score)</span>",
        100.0 * level
    )?;
    s.write_str("</p>\n<p class=\"axis-title\">Credibility-framing score: −1 framed as not credible … 0 balanced … +1 framed as credible. Beside each outlet: art. = articles, st. = stance sentences (labelled claim, denial or skepticism).</p>\n")?;
    let total = r.outlets.len();
    for v in Verdict::ALL {
        let mut os: Vec<&OutletReport> = r.outlets.iter().filter(|o| o.verdict == v).collect();
        if os.is_empty() {
            continue;
        }
        match v {
            Verdict::NotCredible => os.sort_by(|a, b| {
                a.score
                    .total_cmp(&b.score)
                    .then_with(|| a.outlet.cmp(&b.outlet))
            }),
            Verdict::NoClaim => os.sort_by(|a, b| a.outlet.cmp(&b.outlet)),
            _ => {}
        }
        let open =
            total <= 30 || matches!(v, Verdict::Credible | Verdict::NotCredible) || os.len() <= 15;
        let title = match v {
            Verdict::Credible => "Framed as credible",
            Verdict::NotCredible => "Framed as not credible",
            Verdict::Unclear => "Unclear: the interval holds 0",
            Verdict::NoClaim => "n/a: no claim sentence",
        };
        writeln!(
            s,
            "<details class=\"group {}\"{}><summary>{title} ({})</summary>",
            v.as_str().replace('/', ""),
            if open { " open" } else { "" },
            os.len()
        )?;
        track_axis(s)?;
        let n = os.len();
        for (i, o) in os.into_iter().enumerate() {
            if n > FOLD_ROWS && i == SHOWN_ROWS {
                writeln!(
                    s,
                    "<details class=\"more\"><summary>and {} more</summary>",
                    n - SHOWN_ROWS
                )?;
            }
            let hl = highlighted.iter().position(|h| *h == o.outlet);
            writeln!(
                s,
                "<div class=\"row outlet{}\" title=\"{}\"><span class=\"name\">{}{}</span><span class=\"n\">{}</span>",
                if hl.is_some() { " hl" } else { "" },
                escape_html(&chart_row_tip(o, level)),
                hl.map(|i| format!("<i style=\"display:inline-block;width:.7rem;height:.7rem;margin-right:.3rem;background:{}\"></i>", HIGHLIGHT_COLOURS[i]))
                    .unwrap_or_default(),
                escape_html(&o.outlet),
                sample_size(o)
            )?;
            let score = (v != Verdict::NoClaim).then_some(o.score);
            track(s, score, o.interval, v)?;
            writeln!(
                s,
                "<span class=\"score\">{}{}</span></div>",
                score_text(o),
                o.interval
                    .map(|i| format!(
                        " <span class=\"iv\">[{}, {}]</span>",
                        signed(i.lo),
                        signed(i.hi)
                    ))
                    .unwrap_or_default()
            )?;
        }
        if n > FOLD_ROWS {
            s.write_str("</details>\n")?;
        }
        s.write_str("</details>\n")?;
    }
    Ok(())
}

fn how_to_read(s: &mut impl Write, r: &Report) -> fmt::Result {
    let level = 100.0 * r.settings.framing.level;
    write!(
        s,
        "<aside class=\"how-to-read\"><h3>How to read this</h3>\
         <p>Each row is an outlet. The dot is its score: the mean over its articles of how strongly each frames \
         {} as credible (+1: the claim is prominent and stated as fact) or not (−1: denials and \
         doubt dominate or come first). The bar is a {level:.0}% interval: the range the score would plausibly \
         take with other articles and sentences.</p>\
         <p>Only when the whole bar is on one side of 0 does the outlet count as framing the claim as credible \
         or not credible; a bar across 0 is <em>unclear</em>. Short bars need many articles: check the sample \
         size (art., st.) before comparing outlets. An outlet that never mentions the claim has no score \
         (n/a), which is not the same as 0.</p></aside>",
        escape_html(&r.names.short)
    )
}

fn share_rows(s: &mut impl Write, r: &Report) -> fmt::Result {
    s.write_str("<p class=\"legend\">")?;
    for l in Label::ALL {
        write!(
            s,
            "<span><i style=\"background:{}\"></i>{}</span>",
            LABEL_COLOURS[l.index()],
            label_name(&r.names, l)
        )?;
    }
    s.write_str("</p>\n<p class=\"axis-title\">Share of each outlet's sentences by label (mean probability), 0 to 100%; beside each outlet: its sentences.</p>\n")?;
    for o in &r.outlets {
        let tip: Vec<String> = Label::ALL
            .iter()
            .map(|l| {
                format!(
                    "{} {:.1}%",
                    label_name(&r.names, *l),
                    100.0 * o.label_shares[l.index()]
                )
            })
            .collect();
        write!(
            s,
            "<div class=\"row share-row\" title=\"{}\"><span class=\"name\">{}</span><span class=\"n\">{}</span>",
            escape_html(&format!("{}: {}", o.outlet, tip.join(", "))),
            escape_html(&o.outlet),
            plural(o.sentences, "sentence", "sentences")
        )?;
        s.write_str("<span class=\"bar\" aria-hidden=\"true\">")?;
        for l in Label::ALL {
            write!(
                s,
                "<i class=\"share {}\" style=\"width:{:.2}%;background:{}\"></i>",
                r.names.name(l),
                100.0 * o.label_shares[l.index()].clamp(0.0, 1.0),
                LABEL_COLOURS[l.index()]
            )?;
        }
        writeln!(
            s,
            "</span><span class=\"score\">{:.0}% claim</span></div>",
            100.0 * o.label_shares[0]
        )?;
    }
    Ok(())
}

/// A score axis label: `−1`, `−0.5`, `0`, `+0.5`, `+1`.
fn tick(v: f64) -> String {
    if v == 0.0 {
        "0".to_string()
    } else {
        format!("{}{}", if v < 0.0 { "−" } else { "+" }, v.abs())
    }
}

/// Geometry of one drawing of the timeline.
struct TimeGeom {
    w: f64,
    left: f64,
    right: f64,
    /// Labels every `step` periods at most this many.
    max_labels: usize,
    font: f64,
}

const T_TOP: f64 = 30.0;
const T_SCORE_H: f64 = 180.0;
const T_VOL_TOP: f64 = 250.0;
const T_VOL_H: f64 = 60.0;
const T_H: f64 = 350.0;

fn timeline_svg(
    s: &mut impl Write,
    t: &Timeline,
    g: &TimeGeom,
    class: &str,
    level: f64,
) -> fmt::Result {
    let n = t.periods.len().max(1);
    let band = (g.right - g.left) / n as f64;
    let cx = |i: usize| g.left + band * (i as f64 + 0.5);
    let y = |v: f64| T_TOP + (1.0 - v.clamp(-1.0, 1.0)) / 2.0 * T_SCORE_H;
    let max_vol = t
        .periods
        .iter()
        .map(|p| p.articles)
        .max()
        .unwrap_or(0)
        .max(1);
    let f = g.font;
    writeln!(
        s,
        "<svg class=\"timeline {class}\" role=\"img\" aria-label=\"Mean article score per {} with {:.0}% intervals, and articles per {}\" viewBox=\"0 0 {} {T_H}\">",
        t.period,
        100.0 * level,
        t.period,
        g.w
    )?;
    writeln!(
        s,
        "<text x=\"{}\" y=\"14\" font-size=\"{f}\">{}</text>",
        g.left,
        if class == "narrow" {
            "mean article score"
        } else {
            "mean article score (−1 framed as not credible, +1 framed as credible)"
        }
    )?;
    for v in [-1.0, -0.5, 0.0, 0.5, 1.0] {
        let class = if v == 0.0 { "zero" } else { "grid" };
        writeln!(
            s,
            "<line class=\"{class}\" x1=\"{}\" y1=\"{:.1}\" x2=\"{}\" y2=\"{:.1}\"/><text x=\"{}\" y=\"{:.1}\" font-size=\"{f}\" text-anchor=\"end\">{}</text>",
            g.left,
            y(v),
            g.right,
            y(v),
            g.left - 5.0,
            y(v) + f / 3.0,
            tick(v)
        )?;
    }
    // Means, joined only between adjacent periods (a gap stays a gap).
    let mut path = String::new();
    let mut prev: Option<usize> = None;
    for (i, p) in t.periods.iter().enumerate() {
        if let Some(m) = p.mean {
            let cmd = if prev == Some(i.wrapping_sub(1)) {
                'L'
            } else {
                'M'
            };
            write!(path, "{cmd}{:.1} {:.1}", cx(i), y(m))?;
            prev = Some(i);
        }
    }
    if !path.is_empty() {
        writeln!(
            s,
            "<path d=\"{path}\" fill=\"none\" stroke=\"{INK}\" stroke-width=\"1.5\"/>"
        )?;
    }
    let r = (band * 0.3).clamp(1.5, 4.0);
    for (i, p) in t.periods.iter().enumerate() {
        let tip = format!(
            "{} (from {}): {}, {} with stance; mean {} {}",
            p.label,
            p.start,
            plural(p.articles, "article", "articles"),
            p.stance_articles,
            p.mean.map_or_else(|| "n/a".to_string(), signed),
            interval_text(p.interval)
        );
        write!(
            s,
            "<g class=\"period\"><title>{}</title>",
            escape_html(&tip)
        )?;
        if let Some(iv) = p.interval {
            write!(
                s,
                "<line class=\"ci\" x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\"/>",
                y(iv.hi),
                y(iv.lo),
                x = cx(i)
            )?;
        }
        if let Some(m) = p.mean {
            write!(
                s,
                "<circle class=\"mean-dot\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"{r:.1}\" fill=\"{INK}\"/>",
                cx(i),
                y(m)
            )?;
        }
        let bh = p.articles as f64 / max_vol as f64 * T_VOL_H;
        if p.articles > 0 {
            write!(
                s,
                "<rect class=\"volume\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"{VOLUME}\"/>",
                cx(i) - (band * 0.4).min(24.0),
                T_VOL_TOP + T_VOL_H - bh,
                (band * 0.8).clamp(0.8, 48.0)
            )?;
        }
        s.write_str("</g>\n")?;
    }
    // Highlighted outlets on top of the overall means.
    for (hi, series) in t.highlights.iter().enumerate() {
        let colour = HIGHLIGHT_COLOURS[hi % HIGHLIGHT_COLOURS.len()];
        let index: HashMap<&str, usize> = t
            .periods
            .iter()
            .enumerate()
            .map(|(i, p)| (p.label.as_str(), i))
            .collect();
        let mut d = String::new();
        let mut last: Option<usize> = None;
        for p in &series.periods {
            let (Some(m), Some(&i)) = (p.mean, index.get(p.label.as_str())) else {
                continue;
            };
            let cmd = if last == Some(i.wrapping_sub(1)) {
                'L'
            } else {
                'M'
            };
            write!(d, "{cmd}{:.1} {:.1}", cx(i), y(m))?;
            last = Some(i);
        }
        if !d.is_empty() {
            writeln!(
                s,
                "<path class=\"highlight\" d=\"{d}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>"
            )?;
        }
        for p in &series.periods {
            let (Some(m), Some(&i)) = (p.mean, index.get(p.label.as_str())) else {
                continue;
            };
            writeln!(
                s,
                "<circle class=\"highlight-dot\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"{colour}\"><title>{}</title></circle>",
                cx(i),
                y(m),
                escape_html(&format!(
                    "{} · {}: mean {} over {} ({} with stance)",
                    series.outlet,
                    p.label,
                    signed(m),
                    plural(p.articles, "article", "articles"),
                    p.stance_articles
                ))
            )?;
        }
    }
    writeln!(
        s,
        "<text x=\"{}\" y=\"{}\" font-size=\"{f}\">articles per {} (highest: {max_vol})</text>",
        g.left,
        T_VOL_TOP - 8.0,
        t.period
    )?;
    writeln!(
        s,
        "<line class=\"grid\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>",
        g.left,
        T_VOL_TOP + T_VOL_H,
        g.right,
        T_VOL_TOP + T_VOL_H
    )?;
    let step = t.periods.len().div_ceil(g.max_labels.max(1)).max(1);
    for (i, p) in t.periods.iter().enumerate().step_by(step) {
        // Centred under its period, moved in where it would pass an edge of the drawing
        // (its width estimated from the label's length).
        let half = p.label.chars().count() as f64 * f * 0.31;
        let x = cx(i).clamp(half + 2.0, g.w - half - 2.0);
        writeln!(
            s,
            "<text x=\"{x:.1}\" y=\"{}\" font-size=\"{f}\" text-anchor=\"middle\">{}</text>",
            T_VOL_TOP + T_VOL_H + 16.0,
            escape_html(&p.label)
        )?;
    }
    writeln!(
        s,
        "<text x=\"{}\" y=\"{}\" font-size=\"{f}\" text-anchor=\"end\">{}</text>",
        g.right,
        T_H - 4.0,
        match t.period {
            super::Period::Week => "week (ISO week, Monday to Sunday)",
            super::Period::Month => "month",
        }
    )?;
    s.write_str("</svg>\n")
}

fn period_table(s: &mut impl Write, rows: &[PeriodRow], level: f64, caption: &str) -> fmt::Result {
    writeln!(
        s,
        "<div class=\"table-wrap\"><table class=\"periods\"><caption class=\"meta\">{}</caption><thead><tr><th>Period</th><th>Start</th><th class=\"num\">Articles</th><th class=\"num\">With stance</th><th class=\"num\">Mean score</th><th>{:.0}% interval</th></tr></thead><tbody>",
        escape_html(caption),
        100.0 * level
    )?;
    for p in rows {
        writeln!(
            s,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
            escape_html(&p.label),
            escape_html(&p.start),
            p.articles,
            p.stance_articles,
            p.mean.map_or_else(|| "n/a".to_string(), signed),
            interval_text(p.interval)
        )?;
    }
    s.write_str("</tbody></table></div>\n")
}

fn timeline(s: &mut impl Write, r: &Report) -> fmt::Result {
    let t = &r.timeline;
    let level = r.settings.framing.level;
    let mut note = format!(
        "One point per {}: the mean score of the articles with stance dated in it, with its {:.0}% interval; bars count every article dated in it. The period was {}.",
        t.period,
        100.0 * level,
        if t.automatic {
            "chosen from the span of the dates (--period week|month overrides)"
        } else {
            "asked for with --period"
        }
    );
    let mut off = format!(
        " Not on the timeline: {}",
        plural(t.undated, "undated article", "undated articles")
    );
    if t.invalid_dates > 0 {
        off.push_str(&format!(
            " ({} with an invalid date, named in the warnings)",
            t.invalid_dates
        ));
    }
    if t.coarse > 0 {
        off.push_str(&format!(
            " and {} dated too coarsely for a {}",
            plural(t.coarse, "article", "articles"),
            t.period
        ));
    }
    off.push_str(&format!(
        "; {} placed.",
        plural(t.placed, "article", "articles")
    ));
    note.push_str(&off);
    writeln!(
        s,
        "<p class=\"meta timeline-note\">{}</p>",
        escape_html(&note)
    )?;
    if t.periods.is_empty() {
        s.write_str("<p class=\"no-timeline\">No article has a date that places it on the timeline (YYYY-MM-DD, or YYYY-MM for months).</p>\n")?;
        return Ok(());
    }
    s.write_str("<p class=\"legend\">")?;
    write!(
        s,
        "<span><i class=\"dot\" style=\"background:{INK}\"></i>mean score (line joins adjacent {}s)</span><span>│ {:.0}% interval</span><span><i style=\"background:{VOLUME}\"></i>articles</span>",
        t.period,
        100.0 * level
    )?;
    for (i, h) in t.highlights.iter().enumerate() {
        write!(
            s,
            "<span class=\"highlighted\"><i style=\"background:{}\"></i>{}</span>",
            HIGHLIGHT_COLOURS[i % HIGHLIGHT_COLOURS.len()],
            escape_html(&h.outlet)
        )?;
    }
    s.write_str("</p>\n")?;
    let label_w = match t.period {
        super::Period::Week => 62.0,
        super::Period::Month => 52.0,
    };
    let wide = TimeGeom {
        w: 900.0,
        left: 44.0,
        right: 880.0,
        max_labels: ((880.0 - 44.0) / label_w) as usize,
        font: 12.0,
    };
    let narrow = TimeGeom {
        w: 360.0,
        left: 36.0,
        right: 352.0,
        max_labels: ((352.0 - 36.0) / label_w) as usize,
        font: 12.0,
    };
    timeline_svg(s, t, &wide, "wide", level)?;
    timeline_svg(s, t, &narrow, "narrow", level)?;
    writeln!(
        s,
        "<details class=\"section\"><summary>The {} periods as a table</summary>",
        t.periods.len()
    )?;
    period_table(s, &t.periods, level, "All outlets")?;
    for h in &t.highlights {
        period_table(s, &h.periods, level, &h.outlet)?;
    }
    s.write_str("</details>\n")
}

fn groups(s: &mut impl Write, r: &Report) -> fmt::Result {
    let Some(g) = &r.groups else {
        return Ok(());
    };
    let level = r.settings.framing.level;
    writeln!(
        s,
        "<section id=\"groups\">\n<h2>Outlets by {}</h2>\n<p class=\"meta\">Each outlet counts under the value its articles give for <code>{}</code>; the mean and its {:.0}% interval are over the group's articles with stance.</p>",
        escape_html(&g.key),
        escape_html(&g.key),
        100.0 * level
    )?;
    writeln!(
        s,
        "<div class=\"table-wrap\"><table class=\"groups\" data-sortable><thead><tr><th>{}</th><th class=\"num\">Outlets</th><th class=\"num\">Credible</th><th class=\"num\">Not credible</th><th class=\"num\">Unclear</th><th class=\"num\">n/a</th><th class=\"num\">Articles</th><th class=\"num\">With stance</th><th class=\"num\">Mean</th><th>{:.0}% interval</th></tr></thead><tbody>",
        escape_html(&g.key),
        100.0 * level
    )?;
    for row in &g.rows {
        let name = row.value.as_deref().unwrap_or("(not given)");
        writeln!(
            s,
            "<tr data-name=\"{n}\"><td>{n}</td><td class=\"num\" data-v=\"{}\">{}</td><td class=\"num\" data-v=\"{}\">{}</td><td class=\"num\" data-v=\"{}\">{}</td><td class=\"num\" data-v=\"{}\">{}</td><td class=\"num\" data-v=\"{}\">{}</td><td class=\"num\" data-v=\"{}\">{}</td><td class=\"num\" data-v=\"{}\">{}</td><td class=\"num\" data-v=\"{}\">{}</td><td>{}</td></tr>",
            row.outlets,
            row.outlets,
            row.credible,
            row.credible,
            row.not_credible,
            row.not_credible,
            row.unclear,
            row.unclear,
            row.no_claim,
            row.no_claim,
            row.articles,
            row.articles,
            row.stance_articles,
            row.stance_articles,
            row.mean.map(|m| format!("{m:.4}")).unwrap_or_default(),
            row.mean.map_or_else(|| "n/a".to_string(), signed),
            interval_text(row.interval),
            n = escape_html(name)
        )?;
    }
    s.write_str("</tbody></table></div>\n")?;
    if !g.mixed_outlets.is_empty() {
        writeln!(
            s,
            "<p class=\"meta\">Outlets whose articles give different values (each counted under its most frequent): {}.</p>",
            escape_html(&g.mixed_outlets.join(", "))
        )?;
    }
    s.write_str("</section>\n")
}

fn num_cell(v: Option<f64>, text: String) -> String {
    format!(
        "<td class=\"num\" data-v=\"{}\">{text}</td>",
        v.map(|x| format!("{x:.4}")).unwrap_or_default()
    )
}

fn outlet_table(s: &mut impl Write, r: &Report) -> fmt::Result {
    let level = format!("{:.0}%", 100.0 * r.settings.framing.level);
    writeln!(
        s,
        "<div class=\"table-wrap\"><table class=\"outlets\" data-sortable data-verdicts><thead><tr><th class=\"num\">#</th><th>Outlet</th><th>Verdict</th><th class=\"num\">Score</th><th>{level} interval</th>\
         <th class=\"num\">Articles</th><th class=\"num\">With stance</th><th class=\"num\">Stance sentences</th><th class=\"num\">Sentences</th><th class=\"num\">Hedge rate</th><th class=\"num\">Headline</th><th class=\"num\">Claim first</th></tr></thead><tbody>"
    )?;
    let pct =
        |x: Option<f64>| x.map_or_else(|| "n/a".to_string(), |v| format!("{:.0}%", 100.0 * v));
    for (i, o) in r.outlets.iter().enumerate() {
        let score = (o.verdict != Verdict::NoClaim).then_some(o.score);
        writeln!(
            s,
            "<tr data-name=\"{name}\" data-verdict=\"{}\"><td class=\"num\" data-v=\"{}\">{}</td><td>{name}</td><td>{}</td>{}<td>{}</td>{}{}{}{}{}{}{}</tr>",
            o.verdict.as_str(),
            i + 1,
            i + 1,
            o.verdict.describe(),
            num_cell(score, score_text(o)),
            interval_text(o.interval),
            num_cell(Some(o.articles as f64), o.articles.to_string()),
            num_cell(Some(o.articles_with_stance as f64), o.articles_with_stance.to_string()),
            num_cell(Some(stance_sentences(o) as f64), stance_sentences(o).to_string()),
            num_cell(Some(o.sentences as f64), o.sentences.to_string()),
            num_cell(o.hedge_rate, pct(o.hedge_rate)),
            num_cell(o.headline_framing, o.headline_framing.map_or_else(|| "n/a".to_string(), signed)),
            num_cell(o.claim_first_share, pct(o.claim_first_share)),
            name = escape_html(&o.outlet),
        )?;
    }
    s.write_str("</tbody></table></div>\n")
}

/// An article's date as shown: the date, `undated`, or `undated (invalid: ...)`.
fn date_html(a: &ArticleSummary) -> String {
    match (&a.date, &a.invalid_date) {
        (Some(d), _) => escape_html(d),
        (None, Some(bad)) => format!("undated (invalid date {})", escape_html(bad)),
        (None, None) => "undated".to_string(),
    }
}

/// An article's title, linked to its source when the URL is http or https; the URL shown as
/// text otherwise.
fn title_html(a: &ArticleSummary) -> String {
    let title = escape_html(&short(a.title.as_deref().unwrap_or(&a.id), 160));
    match a.url.as_deref() {
        Some(u) => match safe_link(u) {
            Some(ok) => format!(
                "<a href=\"{}\" rel=\"noopener noreferrer nofollow\">{title}</a>",
                escape_html(ok)
            ),
            None => format!(
                "{title} <span class=\"meta unlinked\">(source: {})</span>",
                escape_html(&short(u, 120))
            ),
        },
        None => title,
    }
}

fn evidence(s: &mut impl Write, r: &Report) -> fmt::Result {
    let by_id = r.cited_articles();
    let open = r.outlets.len() <= 10;
    let folded = r.outlets.len() > 25;
    if folded {
        writeln!(
            s,
            "<details class=\"section\"><summary>Evidence for all {} (each opens on its own)</summary>",
            plural(r.outlets.len(), "outlet", "outlets")
        )?;
    }
    for o in &r.outlets {
        writeln!(
            s,
            "<details class=\"evidence-outlet\"{}><summary><b>{}</b> {} · {}</summary>",
            if open { " open" } else { "" },
            escape_html(&o.outlet),
            score_text(o),
            sample_size(o)
        )?;
        if o.evidence.is_empty() {
            s.write_str("<p>No claim-related sentences.</p></details>\n")?;
            continue;
        }
        s.write_str("<ol class=\"evidence\">\n")?;
        for e in &o.evidence {
            let class = if e.shift >= 0.0 {
                "shift-pos"
            } else {
                "shift-neg"
            };
            let article = match by_id.get(e.article.as_str()) {
                Some(a) => format!(
                    "{} ({}, article {})",
                    title_html(a),
                    date_html(a),
                    escape_html(&e.article)
                ),
                None => format!("article {}", escape_html(&e.article)),
            };
            writeln!(
                s,
                "<li><span class=\"{class}\">{:+.3}</span> <i style=\"display:inline-block;width:.7rem;height:.7rem;background:{}\"></i> {} in {article} · sentence {} ({}{}): {}</li>",
                e.shift,
                LABEL_COLOURS[e.label.index()],
                label_name(&r.names, e.label),
                e.index,
                e.role.as_str(),
                if e.hedge > 0.0 { format!(", hedge {:.2}", e.hedge) } else { String::new() },
                escape_html(&e.text)
            )?;
        }
        s.write_str("</ol></details>\n")?;
    }
    if folded {
        s.write_str("</details>\n")?;
    }
    Ok(())
}

fn article_table(s: &mut impl Write, r: &Report) -> fmt::Result {
    let level = format!("{:.0}%", 100.0 * r.settings.framing.level);
    let [claim, denial, skepticism, context] = super::markdown::column_titles(&r.names);
    writeln!(
        s,
        "<div class=\"table-wrap\"><table class=\"articles\" data-sortable><thead><tr><th>Outlet</th><th>Date</th><th>Title</th><th class=\"num\">Score</th><th>{level} interval</th><th class=\"num\">Sentences</th><th class=\"num\">{claim}</th><th class=\"num\">{denial}</th><th class=\"num\">{skepticism}</th><th class=\"num\">{context}</th></tr></thead><tbody>"
    )?;
    for a in &r.articles {
        let c = a.label_counts;
        let score = a.framing.interval.map(|_| a.framing.score);
        let date_key = a
            .date
            .as_deref()
            .and_then(|d| parse_date(d).ok())
            .map(show)
            .unwrap_or_default();
        writeln!(
            s,
            "<tr data-name=\"{}\"><td>{}</td><td data-v=\"{}\">{}</td><td>{}</td>{}<td>{}</td>{}{}{}{}{}</tr>",
            escape_html(&format!("{} {}", a.outlet, a.title.as_deref().unwrap_or(&a.id))),
            escape_html(&a.outlet),
            escape_html(&date_key),
            date_html(&a),
            title_html(&a),
            num_cell(score, score.map_or_else(|| "n/a".to_string(), signed)),
            interval_text(a.framing.interval),
            num_cell(Some(a.sentences as f64), a.sentences.to_string()),
            num_cell(Some(c[0] as f64), c[0].to_string()),
            num_cell(Some(c[1] as f64), c[1].to_string()),
            num_cell(Some(c[2] as f64), c[2].to_string()),
            num_cell(Some(c[3] as f64), c[3].to_string()),
        )?;
    }
    s.write_str("</tbody></table></div>\n")
}

fn strips(s: &mut impl Write, r: &Report) -> fmt::Result {
    let with: Vec<ArticleSummary> = (0..r.articles.len())
        .filter(|&i| r.articles.has_strip(i))
        .filter_map(|i| r.articles.get(i))
        .collect();
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
        writeln!(
            s,
            "<div class=\"strip\"><div class=\"title\">{} · {} · {} ({}, score {} {})</div><div class=\"scroll\">",
            escape_html(&a.outlet),
            date_html(&a),
            title_html(&a),
            plural(a.sentences, "sentence", "sentences"),
            a.framing
                .interval
                .map_or_else(|| "n/a".to_string(), |_| signed(a.framing.score)),
            interval_text(a.framing.interval)
        )?;
        let (cw, ch) = (11.0, 20.0);
        let w = (cells.len() as f64 * cw).max(cw);
        writeln!(
            s,
            "<svg class=\"sentence-strip\" role=\"img\" aria-label=\"sentence labels in order\" width=\"{w}\" height=\"{ch}\" viewBox=\"0 0 {w} {ch}\">"
        )?;
        for (i, c) in cells.iter().enumerate() {
            let tip = format!(
                "#{} {} (p={:.2}): {}",
                c.index,
                r.names.name(c.label),
                c.confidence,
                c.text
            );
            writeln!(
                s,
                "<rect class=\"cell {}\" x=\"{:.0}\" y=\"0\" width=\"{}\" height=\"{ch}\" fill=\"{}\" fill-opacity=\"{:.2}\"><title>{}</title></rect>",
                r.names.name(c.label),
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

fn summary(s: &mut impl Write, r: &Report) -> fmt::Result {
    let sm = &r.summary;
    writeln!(
        s,
        "<section id=\"summary\">\n<h2>Summary</h2>\n<p class=\"answer\">{}</p>",
        escape_html(&sm.text)
    )?;
    s.write_str("<ul class=\"tiles\">")?;
    let tile = |s: &mut dyn Write, n: usize, colour: &str, what: &str| {
        write!(s, "<li><b style=\"color:{colour}\">{n}</b>{what}</li>")
    };
    tile(s, sm.credible, CREDIBLE, "framed as credible")?;
    tile(s, sm.not_credible, NOT_CREDIBLE, "framed as not credible")?;
    tile(s, sm.unclear, INK, "unclear (interval holds 0)")?;
    tile(s, sm.no_claim, "#666666", "n/a (no claim sentence)")?;
    s.write_str("</ul>\n</section>\n")
}

fn toc(s: &mut impl Write, r: &Report) -> fmt::Result {
    s.write_str("<nav class=\"toc\" aria-label=\"Contents\"><h2>Contents</h2><ol>")?;
    let mut items = vec![
        ("credibility", "Credibility framing per outlet".to_string()),
        (
            "timeline",
            format!("Scores over time (per {})", r.timeline.period),
        ),
    ];
    if let Some(g) = &r.groups {
        items.push(("groups", format!("Outlets by {}", g.key)));
    }
    items.extend([
        ("outlets", "Outlet table (sort and filter)".to_string()),
        ("shares", "Label shares per outlet".to_string()),
        (
            "evidence",
            "Evidence: the sentences behind each score".to_string(),
        ),
        ("articles", format!("Articles ({})", r.articles.len())),
        ("strips", "Sentence strips".to_string()),
    ]);
    for (id, text) in items {
        write!(s, "<li><a href=\"#{id}\">{}</a></li>", escape_html(&text))?;
    }
    s.write_str("</ol></nav>\n")
}

/// Renders the report as one self-contained HTML page.
pub fn render(r: &Report, s: &mut impl Write) -> fmt::Result {
    let highlighted: Vec<String> = r
        .timeline
        .highlights
        .iter()
        .map(|h| h.outlet.clone())
        .collect();
    s.write_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")?;
    writeln!(
        s,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src {}; img-src data:; base-uri 'none'; form-action 'none'\">",
        script_hash()
    )?;
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
        "<p class=\"meta\">{} from {} · model {} · hedge list {} ({}) · {}</p>\n</header>",
        plural(r.articles.len(), "article", "articles"),
        plural(r.outlets.len(), "outlet", "outlets"),
        escape_html(&models),
        escape_html(&r.settings.hedges_source),
        escape_html(&r.settings.hedges_fingerprint),
        escape_html(&r.tool)
    )?;
    summary(s, r)?;
    toc(s, r)?;
    s.write_str("<section id=\"credibility\">\n<h2>Credibility framing per outlet</h2>\n<div class=\"with-note\"><div class=\"chart dotplot\">\n")?;
    dot_plot(s, r, &highlighted)?;
    s.write_str("</div>\n")?;
    how_to_read(s, r)?;
    s.write_str("</div>\n</section>\n<section id=\"timeline\">\n<h2>Scores over time</h2>\n")?;
    timeline(s, r)?;
    s.write_str("</section>\n")?;
    groups(s, r)?;
    let fold = |n: usize, limit: usize| if n <= limit { " open" } else { "" };
    writeln!(
        s,
        "<section id=\"outlets\">\n<h2>Outlet table</h2>\n<details class=\"section\"{}><summary>All {} with their sample sizes (click a column to sort)</summary>",
        fold(r.outlets.len(), 25),
        plural(r.outlets.len(), "outlet", "outlets")
    )?;
    outlet_table(s, r)?;
    writeln!(
        s,
        "</details>\n</section>\n<section id=\"shares\">\n<h2>Label shares per outlet</h2>\n<details class=\"section\"{}><summary>Share of claim, denial, skepticism and context sentences for {}</summary>",
        fold(r.outlets.len(), 25),
        plural(r.outlets.len(), "outlet", "outlets")
    )?;
    s.write_str("<div class=\"chart shares\" data-chart>\n")?;
    share_rows(s, r)?;
    s.write_str("</div>\n")?;
    s.write_str("</details>\n</section>\n<section id=\"evidence\">\n<h2>Evidence: the sentences that moved each score</h2>\n<p class=\"meta\">The shift is how far the outlet's score would move without the sentence (positive: toward credible).</p>\n")?;
    evidence(s, r)?;
    writeln!(
        s,
        "</section>\n<section id=\"articles\">\n<h2>Articles</h2>\n<details class=\"section\"{}><summary>All {} with date, title and source</summary>",
        fold(r.articles.len(), 20),
        plural(r.articles.len(), "article", "articles")
    )?;
    article_table(s, r)?;
    let strips_n = r.articles.strips();
    writeln!(
        s,
        "</details>\n</section>\n<section id=\"strips\">\n<h2>Sentence strips</h2>\n<details class=\"section\"><summary>One strip per article ({}): a cell per sentence, in order</summary>\n<p class=\"meta\">Coloured by label (paler = less confident); hover a cell for its text.</p>",
        strips_n
    )?;
    s.write_str("<p class=\"legend\">")?;
    for l in Label::ALL {
        write!(
            s,
            "<span><i style=\"background:{}\"></i>{}</span>",
            LABEL_COLOURS[l.index()],
            label_name(&r.names, l)
        )?;
    }
    s.write_str("</p>\n")?;
    strips(s, r)?;
    writeln!(
        s,
        "</details>\n</section>\n<footer>Generated by {}. Formula: docs/FRAMING.md; reading the report: docs/REPORT.md. Seed {}, {} bootstrap replicates.</footer>\n<script>{SCRIPT}</script>\n</body>\n</html>",
        escape_html(&r.tool),
        r.settings.framing.seed,
        r.settings.framing.bootstrap
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_known_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(script_hash().len(), "'sha256-'".len() + 44);
    }

    #[test]
    fn chart_colours_never_reuse_the_label_colours() {
        let mut others: Vec<&str> = vec![CREDIBLE, NOT_CREDIBLE, INK, VOLUME];
        others.extend(HIGHLIGHT_COLOURS);
        for c in others {
            assert!(
                !LABEL_COLOURS.iter().any(|l| l.eq_ignore_ascii_case(c)),
                "{c} is a label colour"
            );
        }
        let mut all: Vec<String> = HIGHLIGHT_COLOURS.iter().map(|c| c.to_lowercase()).collect();
        all.sort();
        all.dedup();
        assert_eq!(
            all.len(),
            HIGHLIGHT_COLOURS.len(),
            "highlight colours are distinct"
        );
    }
}
