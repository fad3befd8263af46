//! Integration tests of what `claimtrack report` tells a reader at a glance, through the real
//! binary on small fixtures scored by a tiny model (tests/common): the summary agrees with the
//! outlets, outlets without a claim sentence are n/a (never 0) in every format, only http/https
//! sources become links, the timeline counts undated articles and an invalid date warns,
//! `--group-by`, `--highlight` and `--period` work, Markdown, JSON and CSV carry the same new
//! content as the HTML page, and merged scoring jobs still give the same report byte for byte.

mod common;

use assert_cmd::Command;
use claimtrack::framing::Verdict;
use claimtrack::report::{stance_sentences, Report};
use common::{train_model, write_article_with};
use std::fs;
use std::path::{Path, PathBuf};

fn bin() -> Command {
    Command::cargo_bin("claimtrack").unwrap()
}

/// Runs the binary; returns (stdout, stderr) and fails the test on a non-zero exit.
fn run(args: &[&str]) -> (String, String) {
    let out = bin().args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{args:?}: {err}");
    (String::from_utf8(out.stdout).unwrap(), err)
}

const CLAIM: &[&str] = &[
    "Putin has signalled through intermediaries that he is open to a ceasefire.",
    "People close to the Kremlin said he would accept a freeze of the front line.",
    "Ukraine is running short of ammunition.",
];
const DENIAL: &[&str] = &[
    "The Kremlin denied the report on Friday.",
    "US officials said they were unaware of any shift.",
    "Analysts see no indication that he is serious.",
];
const QUIET: &[&str] = &[
    "Congress has stalled a new aid package.",
    "The winter has been harsh.",
];

/// Seven articles in `dir/part1` and `dir/part2`: two outlets with stance (country US and
/// UK), one without any claim sentence (FR), one without a country; dates by the day, an
/// unknown date, no date, and an impossible one (2024-02-31).
fn fixtures(dir: &Path) -> (PathBuf, PathBuf) {
    let (p1, p2) = (dir.join("part1"), dir.join("part2"));
    fs::create_dir_all(&p1).unwrap();
    fs::create_dir_all(&p2).unwrap();
    let art = |d: &Path, name: &str, front: &[(&str, &str)], title: &str, body: &[&str]| {
        write_article_with(d, name, front, title, body)
    };
    art(
        &p1,
        "a1",
        &[
            ("outlet", "Claim Daily"),
            ("date", "2024-01-25"),
            ("url", "https://example.org/a1"),
            ("country", "US"),
        ],
        "Putin signals he is open to talks",
        CLAIM,
    );
    art(
        &p1,
        "a2",
        &[
            ("outlet", "Claim Daily"),
            ("date", "2024-02-03"),
            ("url", "JaVaScRiPt:alert(1)"),
            ("country", "US"),
        ],
        "Kremlin open to negotiations",
        &["The Kremlin said Russia was always open to negotiations."],
    );
    art(
        &p2,
        "b1",
        &[
            ("outlet", "Denial Times"),
            ("date", "2024-01-26"),
            ("url", "data:text/html,<script>alert(1)</script>"),
            ("country", "UK"),
        ],
        "Kremlin denies report of back channel",
        DENIAL,
    );
    art(
        &p2,
        "b2",
        &[
            ("outlet", "Denial Times"),
            ("date", "2024-02-31"),
            ("url", "&#106;avascript:alert(1)"),
            ("country", "UK"),
        ],
        "Experts doubt Putin overture",
        &["Experts cautioned it could be a ploy to divide allies."],
    );
    art(
        &p2,
        "b3",
        &[("outlet", "Denial Times"), ("country", "UK")],
        "Washington rejects claims",
        &["Washington rejected claims of back-channel talks."],
    );
    art(
        &p1,
        "q1",
        &[
            ("outlet", "Quiet Post"),
            ("date", "unknown"),
            ("url", "http://example.org/q1"),
            ("country", "FR"),
        ],
        "Aid package stalls",
        QUIET,
    );
    art(
        &p2,
        "n1",
        &[("outlet", "Nowhere News"), ("date", "2024-03-01")],
        "Signals reported",
        &["Russia sent back-channel signals that it is ready for a ceasefire."],
    );
    (p1, p2)
}

struct Setup {
    _tmp: tempfile::TempDir,
    model: String,
    p1: String,
    p2: String,
}

fn setup() -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let model = train_model(tmp.path()).display().to_string();
    let (p1, p2) = fixtures(tmp.path());
    Setup {
        model,
        p1: p1.display().to_string(),
        p2: p2.display().to_string(),
        _tmp: tmp,
    }
}

impl Setup {
    /// `report -q --model M EXTRA... --format F p1 p2`.
    fn report(&self, format: &str, extra: &[&str]) -> (String, String) {
        let mut args = vec!["report", "-q", "--model", &self.model, "--format", format];
        args.extend_from_slice(extra);
        args.extend([self.p1.as_str(), self.p2.as_str()]);
        run(&args)
    }

    fn json(&self, extra: &[&str]) -> Report {
        serde_json::from_str(&self.report("json", extra).0).unwrap()
    }
}

fn csv_rows(text: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut rd = csv::Reader::from_reader(text.as_bytes());
    let headers = rd.headers().unwrap().clone();
    rd.records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

#[test]
fn only_http_and_https_sources_become_links() {
    let s = setup();
    let (html, _) = s.report("html", &[]);
    // Every link on the page goes to a section of the page or to one of the two http(s)
    // sources; the javascript:, data: and entity-encoded ones are shown as text.
    let mut links = Vec::new();
    for (at, _) in html.match_indices("href=\"") {
        let value: String = html[at + 6..].chars().take_while(|c| *c != '"').collect();
        assert!(html[..at].ends_with("<a "), "href outside a link: {value}");
        links.push(value);
    }
    assert!(
        links.iter().any(|l| l == "https://example.org/a1"),
        "{links:?}"
    );
    assert!(
        links.iter().any(|l| l == "http://example.org/q1"),
        "{links:?}"
    );
    for l in &links {
        assert!(
            l.starts_with('#') || l == "https://example.org/a1" || l == "http://example.org/q1",
            "unexpected link {l:?}"
        );
    }
    assert!(html.contains("(source: JaVaScRiPt:alert(1))"));
    assert!(html.contains("(source: data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;)"));
    assert!(html.contains("(source: &amp;#106;avascript:alert(1))"));
    // Markdown: only the http(s) sources are autolinks; the others are escaped text.
    let (md, _) = s.report("md", &[]);
    assert!(md.contains("<https://example.org/a1>") && md.contains("<http://example.org/q1>"));
    assert!(md.contains("source: JaVaScRiPt:alert(1)"));
    assert!(md.contains("source: data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(md.contains("source: &amp;\\#106;avascript:alert(1)"));
    assert!(!md.contains("<JaVaScRiPt") && !md.contains("<data:") && !md.contains("](javascript"));
}

#[test]
fn outlets_without_a_claim_sentence_are_na_in_every_format() {
    let s = setup();
    let r = s.json(&[]);
    let quiet = r.outlets.iter().find(|o| o.outlet == "Quiet Post").unwrap();
    assert_eq!((quiet.verdict, quiet.interval), (Verdict::NoClaim, None));
    assert_eq!(
        r.outlets.last().unwrap().outlet,
        "Quiet Post",
        "n/a outlets come last"
    );
    let (html, _) = s.report("html", &[]);
    let row_start = html
        .find("<div class=\"row outlet\" title=\"Quiet Post:")
        .expect("Quiet Post has a chart row");
    let row = &html[row_start..row_start + html[row_start..].find("</div>").unwrap()];
    assert!(row.contains("n/a: no claim sentence"), "{row}");
    assert!(
        !row.contains("score-dot"),
        "an n/a outlet has no dot: {row}"
    );
    assert!(row.contains("<span class=\"score\">n/a</span>"), "{row}");
    assert!(html.contains("<tr data-name=\"Quiet Post\" data-verdict=\"n/a\">"));
    let (md, _) = s.report("md", &[]);
    let line = md
        .lines()
        .find(|l| l.starts_with('|') && l.contains("| Quiet Post |"))
        .unwrap();
    assert!(
        line.contains("| n/a: no claim sentence | n/a | n/a |"),
        "{line}"
    );
    let (csv, _) = s.report("csv", &[]);
    let rows = csv_rows(&csv);
    let q = rows.iter().find(|r| r["outlet"] == "Quiet Post").unwrap();
    assert_eq!((q["score"].as_str(), q["verdict"].as_str()), ("", "n/a"));
    let scored = rows.iter().find(|r| r["outlet"] == "Claim Daily").unwrap();
    assert!(scored["score"].parse::<f64>().is_ok());
}

#[test]
fn the_summary_agrees_with_the_outlets_in_every_format() {
    let s = setup();
    let r = s.json(&[]);
    let sm = &r.summary;
    let count = |v: Verdict| r.outlets.iter().filter(|o| o.verdict == v).count();
    assert_eq!(sm.outlets, r.outlets.len());
    assert_eq!(sm.articles, r.articles.len());
    assert_eq!(sm.credible, count(Verdict::Credible));
    assert_eq!(sm.not_credible, count(Verdict::NotCredible));
    assert_eq!(sm.unclear, count(Verdict::Unclear));
    assert_eq!(sm.no_claim, 1);
    assert_eq!(
        sm.credible + sm.not_credible + sm.unclear + sm.no_claim,
        sm.outlets
    );
    // The verdicts follow the intervals.
    for o in &r.outlets {
        assert_eq!(o.verdict, Verdict::of(o.interval), "{}", o.outlet);
    }
    if let Some(best) = &sm.strongest_credible {
        let top = r
            .outlets
            .iter()
            .filter(|o| o.verdict == Verdict::Credible)
            .map(|o| o.score)
            .fold(f64::MIN, f64::max);
        assert_eq!(best.score, top);
    }
    assert!(sm
        .text
        .starts_with(&format!("Of {} outlets, ", r.outlets.len())));
    assert_eq!(sm.first_date.as_deref(), Some("2024-01-25"));
    assert_eq!(sm.last_date.as_deref(), Some("2024-03-01"));
    // 4 of 7 dated: q1 (unknown), b3 (none) and b2 (invalid) are not.
    assert_eq!((sm.dated, sm.undated, sm.invalid_dates), (4, 3, 1));
    let (md, _) = s.report("md", &[]);
    assert!(md.contains(&format!("**Summary.** {}\n", sm.text)), "{md}");
    let (html, _) = s.report("html", &[]);
    assert!(html.contains(&format!("<p class=\"answer\">{}</p>", sm.text)));
    let (csv, _) = s.report("csv", &["--table", "summary"]);
    let rows = csv_rows(&csv);
    assert_eq!(rows.len(), 1);
    let c = &rows[0];
    for (key, value) in [
        ("outlets", sm.outlets),
        ("credible", sm.credible),
        ("not_credible", sm.not_credible),
        ("unclear", sm.unclear),
        ("no_claim", sm.no_claim),
        ("dated", sm.dated),
        ("undated", sm.undated),
        ("invalid_dates", sm.invalid_dates),
    ] {
        assert_eq!(c[key], value.to_string(), "{key}");
    }
    assert_eq!(c["summary"], sm.text);
}

#[test]
fn the_timeline_counts_undated_articles_and_an_invalid_date_warns() {
    let s = setup();
    let (json, err) = s.report("json", &[]);
    assert!(
        err.contains("warning: article `b2` (Denial Times): `2024-02-31` is not a calendar date")
            && err.contains("it counts as undated"),
        "{err}"
    );
    assert_eq!(err.matches("warning:").count(), 1, "{err}");
    let r: Report = serde_json::from_str(&json).unwrap();
    let b2 = r.articles.iter().find(|a| a.id == "b2").unwrap();
    assert_eq!(
        (b2.date.as_deref(), b2.invalid_date.as_deref()),
        (None, Some("2024-02-31"))
    );
    let t = &r.timeline;
    // Day-dated articles over five weeks: weekly, chosen automatically.
    assert_eq!(t.period.to_string(), "week");
    assert!(t.automatic);
    assert_eq!(
        (t.placed, t.undated, t.invalid_dates, t.coarse),
        (4, 3, 1, 0)
    );
    assert_eq!(
        t.periods.iter().map(|p| p.articles).sum::<usize>(),
        t.placed
    );
    assert_eq!(t.periods.first().unwrap().label, "2024-W04");
    assert_eq!(t.periods.last().unwrap().label, "2024-W09");
    assert_eq!(t.periods.len(), 6, "empty weeks between are kept");
    let w04 = &t.periods[0];
    assert_eq!((w04.articles, w04.start.as_str()), (2, "2024-01-22"));
    assert!(w04.mean.is_some() && w04.interval.is_some());
    // Every format says it.
    let (md, _) = s.report("md", &[]);
    assert!(
        md.contains("4 articles placed; 3 undated (1 with an invalid date)"),
        "{md}"
    );
    assert!(md.contains("| 2024-W04 | 2024-01-22 | 2 |"), "{md}");
    assert!(md.contains("undated (invalid: 2024-02-31)"));
    let (html, _) = s.report("html", &[]);
    assert!(html.contains(
        "Not on the timeline: 3 undated articles (1 with an invalid date, named in the warnings)"
    ));
    let (csv, _) = s.report("csv", &["--table", "periods"]);
    let rows = csv_rows(&csv);
    assert_eq!(rows.len(), t.periods.len());
    assert_eq!(
        rows.iter()
            .map(|r| r["articles"].parse::<usize>().unwrap())
            .sum::<usize>(),
        4
    );
    let (csv, _) = s.report("csv", &["--per-article"]);
    let b2 = csv_rows(&csv)
        .into_iter()
        .find(|r| r["article"] == "b2")
        .unwrap();
    assert_eq!(
        (
            b2["date"].as_str(),
            b2["invalid_date"].as_str(),
            b2["period"].as_str()
        ),
        ("", "2024-02-31", "")
    );
    // --table is for CSV only.
    let out = bin()
        .args([
            "report", "-q", "--model", &s.model, "--table", "periods", &s.p1,
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("give --format csv"));
    // Monthly when asked: the same articles in three months.
    let m = s.json(&["--period", "month"]);
    assert!(!m.timeline.automatic);
    let labels: Vec<&str> = m
        .timeline
        .periods
        .iter()
        .map(|p| p.label.as_str())
        .collect();
    assert_eq!(labels, ["2024-01", "2024-02", "2024-03"]);
}

#[test]
fn group_by_and_highlight_work_in_every_format() {
    let s = setup();
    let args = [
        "--group-by",
        "Country",
        "--highlight",
        "claim daily",
        "--highlight",
        "Nobody Here",
    ];
    let (json, err) = s.report("json", &args);
    assert!(
        err.contains("--highlight \"Nobody Here\": no outlet of that name"),
        "{err}"
    );
    let r: Report = serde_json::from_str(&json).unwrap();
    let g = r.groups.as_ref().expect("groups");
    assert_eq!(g.key, "country");
    let values: Vec<Option<&str>> = g.rows.iter().map(|r| r.value.as_deref()).collect();
    assert_eq!(values, [Some("FR"), Some("UK"), Some("US"), None]);
    let by = |v: Option<&str>| g.rows.iter().find(|r| r.value.as_deref() == v).unwrap();
    assert_eq!((by(Some("UK")).outlets, by(Some("UK")).articles), (1, 3));
    assert_eq!((by(Some("US")).outlets, by(Some("US")).articles), (1, 2));
    assert_eq!(by(Some("FR")).no_claim, 1);
    assert_eq!(by(None).outlets, 1, "Nowhere News gives no country");
    for row in &g.rows {
        assert_eq!(
            row.credible + row.not_credible + row.unclear + row.no_claim,
            row.outlets
        );
    }
    let hl = &r.timeline.highlights;
    assert_eq!(hl.len(), 1);
    assert_eq!(hl[0].outlet, "Claim Daily");
    assert_eq!(
        hl[0].periods.iter().map(|p| p.articles).sum::<usize>(),
        2,
        "both Claim Daily articles are dated"
    );
    let (md, _) = s.report("md", &args);
    assert!(md.contains("## Groups by country"));
    assert!(md.contains("| UK | 1 | 3 |"), "{md}");
    assert!(md.contains("### Highlighted: Claim Daily"));
    let (html, _) = s.report("html", &args);
    assert!(html.contains("<table class=\"groups\" data-sortable>"));
    assert!(html.contains(
        "<span class=\"highlighted\"><i style=\"background:#332288\"></i>Claim Daily</span>"
    ));
    assert!(html.contains("class=\"highlight-dot\""));
    assert!(html.contains("<div class=\"row outlet hl\""));
    let (csv, _) = s.report("csv", &[&args[..], &["--table", "groups"]].concat());
    let rows = csv_rows(&csv);
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[1]["value"], "UK");
    assert_eq!(rows[1]["articles"], "3");
    let (csv, _) = s.report("csv", &[&args[..], &["--table", "periods"]].concat());
    assert!(csv_rows(&csv).iter().any(|r| r["series"] == "Claim Daily"));
    // Without --group-by there is no group table, and --table groups says what it needs.
    assert!(s.json(&[]).groups.is_none());
    let out = bin()
        .args([
            "report", "-q", "--model", &s.model, "--format", "csv", "--table", "groups", &s.p1,
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--table groups needs --group-by"));
    // Nine highlights are refused before any work.
    let mut many = vec!["report", "-q", "--model", &s.model];
    for _ in 0..9 {
        many.extend(["--highlight", "x"]);
    }
    many.push(&s.p1);
    let out = bin().args(&many).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at most 8"));
}

#[test]
fn every_format_names_articles_and_gives_sample_sizes() {
    let s = setup();
    let r = s.json(&[]);
    let (md, _) = s.report("md", &[]);
    let (csv, _) = s.report("csv", &[]);
    let (html, _) = s.report("html", &[]);
    let rows = csv_rows(&csv);
    for o in &r.outlets {
        // Sample sizes: articles (with stance) and stance sentences, in every format.
        let line = md
            .lines()
            .find(|l| l.contains(&format!("| {} |", o.outlet)) && l.contains("with stance"))
            .unwrap();
        assert!(
            line.contains(&format!(
                "| {} ({} with stance) | {} |",
                o.articles,
                o.articles_with_stance,
                stance_sentences(o)
            )),
            "{line}"
        );
        let c = rows.iter().find(|r| r["outlet"] == o.outlet).unwrap();
        assert_eq!(c["articles"], o.articles.to_string());
        assert_eq!(c["stance_sentences"], stance_sentences(o).to_string());
        assert_eq!(c["verdict"], o.verdict.as_str());
        assert!(html.contains(&format!(
            "<span class=\"n\">{} art. · {} st.</span>",
            o.articles,
            stance_sentences(o)
        )));
        // Evidence names its article by title and date, in JSON, Markdown and CSV.
        if let Some(e) = o.evidence.first() {
            let a = r.articles.iter().find(|a| a.id == e.article).unwrap();
            assert_eq!(e.title, a.title);
            let title = a.title.as_deref().unwrap();
            assert!(md.contains(&format!("*{title}* (")), "{title}");
            assert_eq!(c["top_evidence_title"], title);
            assert_eq!(c["top_evidence_date"], a.date.clone().unwrap_or_default());
        }
    }
    // Claim Daily's evidence names the dated article with its link.
    assert!(md.contains(
        "*Putin signals he is open to talks* (2024-01-25, article a1, <https://example.org/a1>)"
    ));
    assert!(html.contains(
        "<a href=\"https://example.org/a1\" rel=\"noopener noreferrer nofollow\">Putin signals he is open to talks</a> (2024-01-25, article a1)"
    ));
}

#[test]
fn merged_scoring_jobs_give_the_same_report_with_groups_and_highlights() {
    let s = setup();
    let tmp = tempfile::tempdir().unwrap();
    let (s1, s2) = (tmp.path().join("s1.jsonl"), tmp.path().join("s2.jsonl"));
    for (out, part) in [(&s1, &s.p1), (&s2, &s.p2)] {
        run(&[
            "score",
            "-q",
            "--model",
            &s.model,
            "--out",
            out.to_str().unwrap(),
            part,
        ]);
    }
    // The front matter's other keys travel in the scores, and only when there are some.
    let lines = fs::read_to_string(&s2).unwrap();
    let n1 = lines.lines().find(|l| l.contains("\"id\":\"n1\"")).unwrap();
    assert!(!n1.contains("\"meta\""), "{n1}");
    let b1 = lines.lines().find(|l| l.contains("\"id\":\"b1\"")).unwrap();
    assert!(b1.contains("\"meta\":{\"country\":\"UK\"}"), "{b1}");
    let opts = [
        "--group-by",
        "country",
        "--highlight",
        "Denial Times",
        "--period",
        "month",
    ];
    for format in ["json", "md", "html"] {
        let (whole, _) = s.report(format, &opts);
        let mut args = vec!["report", "-q", "--format", format];
        args.extend_from_slice(&opts);
        args.extend(["--from-scores", s2.to_str().unwrap(), s1.to_str().unwrap()]);
        let (merged, _) = run(&args);
        assert_eq!(whole, merged, "{format}");
    }
    for table in ["outlets", "articles", "periods", "groups", "summary"] {
        let mut extra = opts.to_vec();
        extra.extend(["--table", table]);
        let (whole, _) = s.report("csv", &extra);
        let mut args = vec!["report", "-q", "--format", "csv"];
        args.extend_from_slice(&extra);
        args.extend(["--from-scores", s1.to_str().unwrap(), s2.to_str().unwrap()]);
        assert_eq!(whole, run(&args).0, "csv {table}");
    }
}

#[test]
fn per_outlet_files_carry_their_own_summary_and_timeline() {
    let s = setup();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let d = dir.to_str().unwrap();
    let mut args = vec![
        "report",
        "-q",
        "--model",
        &s.model,
        "--format",
        "json",
        "--per-outlet",
        d,
    ];
    args.extend([s.p1.as_str(), s.p2.as_str()]);
    run(&args);
    let mut seen = 0;
    for e in fs::read_dir(&dir).unwrap() {
        let r: Report =
            serde_json::from_str(&fs::read_to_string(e.unwrap().path()).unwrap()).unwrap();
        assert_eq!(r.outlets.len(), 1);
        assert_eq!(r.summary.outlets, 1);
        assert_eq!(r.summary.articles, r.articles.len());
        let t = &r.timeline;
        assert_eq!(t.placed + t.undated + t.coarse, r.articles.len());
        if r.outlets[0].outlet == "Denial Times" {
            assert_eq!((t.placed, t.undated, t.invalid_dates), (1, 2, 1));
            assert!(t
                .periods
                .iter()
                .all(|p| p.articles == 0 || p.interval.is_some()));
        }
        seen += 1;
    }
    assert_eq!(seen, 4);
}
