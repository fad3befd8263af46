//! Tests of report building and rendering: escaping in every format, JSON round trip, and
//! order/split independence of the aggregation.

use super::*;
use crate::framing::Hedges;
use crate::scored::{ArticleMeta, ScoredArticle};
use crate::sentence::{Role, Sentence};

const XSS: [&str; 3] = [
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "</style><b>x</b>",
];

fn article(
    id: &str,
    outlet: &str,
    date: Option<&str>,
    texts: &[(&str, [f64; 4])],
) -> ScoredArticle {
    let sents: Vec<Sentence> = texts
        .iter()
        .enumerate()
        .map(|(i, (t, _))| Sentence {
            article: id.into(),
            outlet: outlet.into(),
            date: date.map(String::from),
            index: i,
            role: match i {
                0 => Role::Headline,
                1 => Role::Lede,
                _ => Role::Body,
            },
            text: t.to_string(),
        })
        .collect();
    let probs: Vec<[f64; 4]> = texts.iter().map(|t| t.1).collect();
    let meta = ArticleMeta {
        id: id.into(),
        outlet: outlet.into(),
        date: date.map(String::from),
        url: Some(format!("https://example.org/{id}")),
        title: Some(texts[0].0.to_string()),
        meta: Default::default(),
    };
    ScoredArticle::new(
        meta,
        &sents,
        &probs,
        Some("test-model".into()),
        &FramingParams::default(),
        &Hedges::default(),
    )
    .unwrap()
}

const C: [f64; 4] = [0.85, 0.05, 0.05, 0.05];
const D: [f64; 4] = [0.05, 0.85, 0.05, 0.05];
const S: [f64; 4] = [0.05, 0.05, 0.85, 0.05];
const X: [f64; 4] = [0.03, 0.03, 0.04, 0.9];

fn corpus() -> Vec<ScoredArticle> {
    vec![
        article(
            "a1",
            "Claim Daily",
            Some("2024-01-25"),
            &[
                ("Putin open to talks", C),
                ("Putin sent signals.", C),
                ("Aid stalls.", X),
                ("Officials deny it.", D),
            ],
        ),
        article(
            "a2",
            "Claim Daily",
            Some("2024-02"),
            &[
                ("Putin reportedly open to talks", C),
                ("Experts doubt it.", S),
                ("War goes on.", X),
            ],
        ),
        article(
            "b1",
            "Denial Times",
            Some("2024-01-26"),
            &[
                ("Kremlin denies report", D),
                ("US officials unaware.", D),
                ("Putin may be open.", C),
                ("A classic ploy.", S),
            ],
        ),
        article(
            "c1",
            "Quiet Post",
            None,
            &[("Aid package stalls", X), ("Fighting continues.", X)],
        ),
        article(
            "d1",
            XSS[0],
            Some("unknown"),
            &[(XSS[1], C), (XSS[2], D), ("a | b * c _ d", S)],
        ),
        article(
            "e1",
            "=HYPERLINK(\"http://x\")",
            Some("2024-03-01"),
            &[("+cmd|' /C calc'!A0", C), ("-2+3", D), ("@SUM(A1)", X)],
        ),
    ]
}

fn build(arts: &[ScoredArticle], max_strips: usize) -> Report {
    let mut b =
        ReportBuilder::new(FramingParams::default(), Hedges::default(), max_strips).unwrap();
    for a in arts {
        b.add(a).unwrap();
    }
    b.finish()
}

#[test]
fn html_escapes_all_article_text_and_has_no_script() {
    let html = render(
        &build(&corpus(), 100),
        Format::Html,
        RenderOptions::default(),
    )
    .unwrap();
    // One script element: the page's own table script, allowed by its hash in the CSP.
    assert_eq!(html.matches("<script").count(), 1, "raw script tag");
    assert_eq!(html.matches("<script>(function(){").count(), 1);
    assert!(html.contains("script-src 'sha256-"));
    assert!(!html.contains("<img"), "raw img tag");
    assert!(!html.contains("<b>x"), "raw markup from input");
    assert_eq!(
        html.matches("</style>").count(),
        1,
        "only our own style element closes"
    );
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
    for class in [
        "class=\"chart dotplot\"",
        "class=\"chart shares\"",
        "class=\"timeline wide\"",
        "class=\"timeline narrow\"",
        "class=\"sentence-strip\"",
        "id=\"summary\"",
        "class=\"toc\"",
    ] {
        assert!(html.contains(class), "{class} missing");
    }
    // No external resources: nothing is loaded from anywhere; the only addresses are links
    // (`<a href>`) to the articles' http(s) sources, or to the page's own sections.
    assert!(!html.contains("src=\"") && !html.contains("url("));
    for (at, _) in html.match_indices("href=\"") {
        let rest = &html[at + 6..];
        assert!(
            html[..at].ends_with("<a ")
                && (rest.starts_with('#') || rest.starts_with("https://example.org/")),
            "unexpected href at {}",
            &html[at..at + 40]
        );
    }
}

#[test]
fn csv_neutralises_formula_cells_but_keeps_negative_numbers() {
    let r = build(&corpus(), 0);
    for per_article in [false, true] {
        let csv = render(
            &r,
            Format::Csv,
            RenderOptions {
                per_article,
                ..Default::default()
            },
        )
        .unwrap();
        let mut rd = csv::Reader::from_reader(csv.as_bytes());
        let headers = rd.headers().unwrap().clone();
        let rows: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), if per_article { 6 } else { 5 });
        let score_col = headers.iter().position(|h| h == "score").unwrap();
        let mut saw_negative = false;
        for row in &rows {
            for (i, cell) in row.iter().enumerate() {
                let numeric = [
                    "score",
                    "interval_lo",
                    "interval_hi",
                    "balance",
                    "primacy",
                    "headline",
                    "headline_framing",
                    "top_evidence_shift",
                ];
                if i == score_col || numeric.contains(&&headers[i]) || cell.parse::<f64>().is_ok() {
                    if cell.starts_with('-') {
                        saw_negative = true;
                        assert!(cell.parse::<f64>().is_ok(), "numeric cell {cell}");
                    }
                    continue;
                }
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "unneutralised cell {cell:?}"
                );
            }
        }
        assert!(saw_negative, "negative scores stay numbers");
        assert!(csv.contains("'=HYPERLINK"));
    }
    let per_article = render(
        &r,
        Format::Csv,
        RenderOptions {
            per_article: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(
        per_article.contains("'+cmd") || per_article.contains("\"'+cmd"),
        "title neutralised"
    );
    assert_eq!(neutralise_cell("-2+3"), "'-2+3");
    assert_eq!(neutralise_cell("\tx"), "'\tx");
    assert_eq!(neutralise_cell("plain"), "plain");
}

/// Splits a Markdown table row on unescaped pipes.
fn cells(row: &str) -> usize {
    let mut n = 0;
    let mut prev = ' ';
    for c in row.chars() {
        if c == '|' && prev != '\\' {
            n += 1;
        }
        prev = if prev == '\\' && c == '\\' { ' ' } else { c };
    }
    n
}

#[test]
fn markdown_escapes_pipes_and_markup() {
    let md = render(&build(&corpus(), 0), Format::Md, RenderOptions::default()).unwrap();
    assert!(md.contains("&lt;script&gt;"));
    assert!(!md.contains("<script") && !md.contains("<img"));
    assert!(md.contains("a \\| b \\* c \\_ d"));
    let tables: Vec<&str> = md.lines().filter(|l| l.starts_with('|')).collect();
    // The outlet table has 15 columns (16 pipes), the article table 12 (13 pipes): a pipe in
    // the text would add cells.
    let outlet_rows: Vec<&&str> = tables.iter().filter(|l| cells(l) == 16).collect();
    let article_rows: Vec<&&str> = tables.iter().filter(|l| cells(l) == 13).collect();
    assert_eq!(
        outlet_rows.len(),
        2 + 5,
        "header, rule and 5 outlets; all rows keep 15 cells"
    );
    assert_eq!(article_rows.len(), 2 + 6);
    assert_eq!(escape_markdown("x|y\nz"), "x\\|y z");
    // Links and images cannot form; plain parentheses stay readable.
    assert_eq!(
        escape_markdown("![x](javascript:alert(1)) (sha256 ab)"),
        "\\!\\[x\\](javascript:alert(1)) (sha256 ab)"
    );
}

#[test]
fn json_round_trips_and_orders_outlets_by_score() {
    let r = build(&corpus(), 3);
    let json = render(&r, Format::Json, RenderOptions::default()).unwrap();
    let back: Report = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r);
    // By score, outlets without a score (n/a) last.
    let scored: Vec<&OutletReport> = r
        .outlets
        .iter()
        .filter(|o| o.verdict != crate::framing::Verdict::NoClaim)
        .collect();
    assert!(scored.windows(2).all(|w| w[0].score >= w[1].score));
    assert!(r.outlets[scored.len()..]
        .iter()
        .all(|o| o.verdict == crate::framing::Verdict::NoClaim && o.interval.is_none()));
    assert_eq!(r.models, vec!["test-model".to_string()]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(
        v["outlets"].is_array()
            && v["articles"].is_array()
            && v["settings"]["framing"]["seed"].is_u64()
    );
    let quiet = r.outlets.iter().find(|o| o.outlet == "Quiet Post").unwrap();
    assert_eq!((quiet.score, quiet.interval), (0.0, None));
    let claim = r
        .outlets
        .iter()
        .position(|o| o.outlet == "Claim Daily")
        .unwrap();
    let denial = r
        .outlets
        .iter()
        .position(|o| o.outlet == "Denial Times")
        .unwrap();
    assert!(claim < denial);
    assert_eq!(r.articles.iter().filter(|a| a.strip.is_some()).count(), 3);
}

#[test]
fn merged_parts_in_any_order_equal_the_whole() {
    let mut arts = corpus();
    // Grouping keys travel in the articles' metadata.
    for (i, country) in [(0, "US"), (1, "US"), (2, "UK"), (4, "RU")] {
        arts[i].meta.insert("country".into(), country.into());
    }
    let opts = || ReportOptions {
        period: None,
        group_by: Some("country".into()),
        highlight: vec!["claim daily".into(), "Denial Times".into()],
        per_outlet: false,
    };
    let new = || {
        ReportBuilder::new(FramingParams::default(), Hedges::default(), 4)
            .unwrap()
            .with_options(opts())
    };
    let build = |arts: &[ScoredArticle]| {
        let mut b = new();
        for a in arts {
            b.add(a).unwrap();
        }
        b.finish()
    };
    let whole = build(&arts);
    let groups = whole.groups.as_ref().unwrap();
    assert_eq!(groups.rows.len(), 4, "US, UK, RU and (not given)");
    assert_eq!(whole.timeline.highlights.len(), 2);
    assert_eq!(whole.timeline.highlights[0].outlet, "Claim Daily");
    let whole_json = render(&whole, Format::Json, RenderOptions::default()).unwrap();
    // Reverse order, one builder.
    let rev: Vec<ScoredArticle> = arts.iter().rev().cloned().collect();
    assert_eq!(
        render(&build(&rev), Format::Json, RenderOptions::default()).unwrap(),
        whole_json
    );
    // Three parts, merged in a scrambled order.
    let parts: Vec<Vec<ScoredArticle>> = vec![
        vec![arts[4].clone(), arts[0].clone()],
        vec![arts[2].clone()],
        vec![arts[5].clone(), arts[3].clone(), arts[1].clone()],
    ];
    let mut builders: Vec<ReportBuilder> = parts
        .iter()
        .map(|p| {
            let mut b = new();
            for a in p {
                b.add(a).unwrap();
            }
            b
        })
        .collect();
    // One batch, digested in parallel.
    let mut batch = new();
    batch.add_batch(&rev).unwrap();
    assert_eq!(
        render(&batch.finish(), Format::Json, RenderOptions::default()).unwrap(),
        whole_json
    );
    let mut merged = builders.remove(1);
    for b in builders.into_iter().rev() {
        merged.merge(b).unwrap();
    }
    assert_eq!(
        render(&merged.finish(), Format::Json, RenderOptions::default()).unwrap(),
        whole_json
    );
    for f in [Format::Md, Format::Csv, Format::Html] {
        assert_eq!(
            render(&build(&rev), f, RenderOptions::default()).unwrap(),
            render(&whole, f, RenderOptions::default()).unwrap()
        );
    }
    for table in [CsvTable::Periods, CsvTable::Groups, CsvTable::Summary] {
        let opts = RenderOptions {
            table,
            ..Default::default()
        };
        assert_eq!(
            render(&build(&rev), Format::Csv, opts).unwrap(),
            render(&whole, Format::Csv, opts).unwrap()
        );
    }
}

#[test]
fn an_invalid_date_warns_names_the_article_and_counts_as_undated() {
    let mut arts = corpus();
    arts[1].date = Some("2024-02-31".into());
    arts[2].date = Some("25/01/2024".into());
    let mut b = ReportBuilder::new(FramingParams::default(), Hedges::default(), 0).unwrap();
    b.add_batch(&arts).unwrap();
    // Adding the same article again does not repeat its warning.
    b.add(&arts[1]).unwrap();
    let warnings = b.warnings();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].starts_with("article `a2` (Claim Daily): `2024-02-31` is not a calendar date")
    );
    assert!(warnings[1].starts_with("article `b1` (Denial Times): `25/01/2024` is not a date"));
    let r = b.finish();
    let a2 = r.articles.iter().find(|a| a.id == "a2").unwrap();
    assert_eq!(a2.date, None);
    assert_eq!(a2.invalid_date.as_deref(), Some("2024-02-31"));
    // Dated: a1 (2024-01-25) and e1 (2024-03-01); c1 has none and d1 says "unknown".
    assert_eq!(r.summary.invalid_dates, 2);
    assert_eq!(r.timeline.invalid_dates, 2);
    assert_eq!(r.timeline.placed, 2);
    assert_eq!(r.timeline.undated, 4);
    // Evidence from the article carries no date either.
    for e in r.outlets.iter().flat_map(|o| &o.evidence) {
        if e.article == "a2" {
            assert_eq!(e.date, None);
        }
    }
}

#[test]
fn duplicates_are_idempotent_or_rejected() {
    let arts = corpus();
    let mut b = ReportBuilder::new(FramingParams::default(), Hedges::default(), 10).unwrap();
    b.add(&arts[0]).unwrap();
    b.add(&arts[0]).unwrap();
    assert_eq!(b.len(), 1);
    let mut other = arts[1].clone();
    other.id = arts[0].id.clone();
    let e = b.add(&other).unwrap_err();
    assert!(e.to_string().contains("`a1`"), "{e}");
}

#[test]
fn format_names_parse() {
    assert_eq!("md".parse::<Format>().unwrap(), Format::Md);
    assert_eq!("HTML".parse::<Format>().unwrap(), Format::Html);
    assert!("pdf".parse::<Format>().is_err());
}

#[test]
fn outlet_file_stems_are_safe_and_distinct() {
    let hostile = [
        "../../etc/passwd",
        "..",
        ".",
        "",
        "/abs/path",
        "C:\\Windows\\system32",
        "CON",
        ".hidden",
        "A/B",
        "A B",
        "a\0b",
        "Le Monde diplomatique",
        "Новая газета",
        &"x".repeat(500),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for name in hostile {
        let stem = outlet_file_stem(name);
        assert!(
            stem.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{name:?} -> {stem:?}"
        );
        assert!(!stem.starts_with('-') && !stem.starts_with('.'), "{stem}");
        assert!(stem.len() <= 48 + 17, "{stem}");
        assert!(
            stem.rsplit('-').next().unwrap().len() == 16,
            "64 bits of hash: {stem}"
        );
        assert!(seen.insert(stem.clone()), "{name:?} collides: {stem}");
        assert_eq!(stem, outlet_file_stem(name), "deterministic");
    }
    assert!(outlet_file_stem("Le Monde diplomatique").starts_with("le-monde-diplomatique-"));
    assert!(outlet_file_stem("../../etc/passwd").starts_with("etc-passwd-"));
}

/// `outlets` outlets of `per_outlet` articles each, with varied stance mixes; every seventh
/// article repeats an earlier one's sentences (so article shifts tie exactly) and some
/// sentences are hedged.
fn many_articles(outlets: usize, per_outlet: usize, seed: u64) -> Vec<ScoredArticle> {
    let mut rng = crate::framing::rng::Rng::new(seed);
    let texts = [
        "Putin may be open to talks",
        "Officials deny any back channel.",
        "Analysts doubt the overture is sincere.",
        "Putin signalled openness, sources said.",
        "Fighting continues in the east.",
    ];
    let mut bodies: Vec<Vec<(&str, [f64; 4])>> = Vec::new();
    let mut arts = Vec::new();
    for o in 0..outlets {
        for a in 0..per_outlet {
            let body = if a % 7 == 6 {
                bodies[bodies.len() - 3].clone()
            } else {
                let n = 3 + (rng.uniform() * 6.0) as usize;
                (0..n)
                    .map(|_| {
                        let raw: [f64; 4] = std::array::from_fn(|_| rng.uniform().powi(3));
                        let sum: f64 = raw.iter().sum();
                        let text = texts[(rng.uniform() * texts.len() as f64) as usize];
                        (text, raw.map(|x| x / sum))
                    })
                    .collect()
            };
            bodies.push(body.clone());
            arts.push(article(
                &format!("o{o}-{a:03}"),
                &format!("Outlet {o}"),
                Some(&format!("2024-{:02}-01", 1 + a % 12)),
                &body,
            ));
        }
    }
    arts
}

/// The report the straightforward way: every article's full digest (evidence text included),
/// aggregated per outlet over all evidence candidates.
fn outlets_from_full_digests(arts: &[ScoredArticle], p: &FramingParams) -> Vec<OutletReport> {
    use crate::framing::{aggregate_outlet, ArticleDigest};
    let digests: Vec<ArticleDigest> = arts
        .iter()
        .map(|a| a.digest(p, &Hedges::default()).unwrap())
        .collect();
    let mut by_outlet: std::collections::BTreeMap<&str, Vec<&ArticleDigest>> =
        std::collections::BTreeMap::new();
    for d in &digests {
        by_outlet.entry(&d.outlet).or_default().push(d);
    }
    let mut outlets: Vec<OutletReport> = by_outlet
        .iter()
        .map(|(name, ds)| aggregate_outlet(name, ds, p))
        .collect();
    outlets.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.outlet.cmp(&b.outlet))
    });
    outlets
}

#[test]
fn pooled_evidence_gives_the_report_of_all_candidates() {
    for keep in [1usize, 2, 5] {
        let p = FramingParams {
            evidence: keep,
            bootstrap: 50,
            ..FramingParams::default()
        };
        let arts = many_articles(3, 150, keep as u64);
        let candidates: usize = arts
            .iter()
            .map(|a| a.digest(&p, &Hedges::default()).unwrap().evidence.len())
            .sum();
        assert!(candidates > 100 * keep, "{candidates} candidates");
        let expected = outlets_from_full_digests(&arts, &p);
        assert!(expected.iter().all(|o| o.evidence.len() == keep));
        // One batch, one by one in reverse, and merged parts: all equal the straightforward
        // outlets, evidence included.
        let mut batch = ReportBuilder::new(p.clone(), Hedges::default(), 3).unwrap();
        batch.add_batch(&arts).unwrap();
        let batch = batch.finish();
        assert_eq!(batch.outlets, expected, "keep {keep}");
        let mut single = ReportBuilder::new(p.clone(), Hedges::default(), 3).unwrap();
        for a in arts.iter().rev() {
            single.add(a).unwrap();
        }
        assert_eq!(single.finish(), batch);
        let mut left = ReportBuilder::new(p.clone(), Hedges::default(), 3).unwrap();
        let mut right = ReportBuilder::new(p.clone(), Hedges::default(), 3).unwrap();
        for (i, a) in arts.iter().enumerate() {
            // The overlap (every fifth article in both parts) must not count twice.
            if i % 2 == 0 || i % 5 == 0 {
                left.add(a).unwrap();
            }
            if i % 2 == 1 || i % 5 == 0 {
                right.add(a).unwrap();
            }
        }
        right.merge(left).unwrap();
        assert_eq!(right.finish(), batch);
    }
}

#[test]
fn per_outlet_files_are_all_or_none_and_never_replace_an_input() {
    let report = build(&corpus(), 10);
    assert!(report.outlets.len() >= 2);
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("per-outlet");
    let opts = RenderOptions::default();
    let n = write_per_outlet(
        &dir,
        &report,
        Format::Md,
        opts,
        &crate::atomic::InputGuard::new(),
    )
    .unwrap();
    assert_eq!(n, report.outlets.len());
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names.len(),
        n,
        "one file per outlet, nothing else: {names:?}"
    );
    let first = &report.outlets[0].outlet;
    let first_file = dir.join(format!("{}.md", outlet_file_stem(first)));
    let written = std::fs::read_to_string(&first_file).unwrap();
    assert_eq!(
        written,
        render(&report.for_outlet(first), Format::Md, opts).unwrap()
    );

    // The last outlet's file is an input of the run: nothing is published, not even the
    // files staged before the refusal, and the input is untouched.
    let other = d.path().join("second");
    let last = &report.outlets[report.outlets.len() - 1].outlet;
    std::fs::create_dir_all(&other).unwrap();
    let input = other.join(format!("{}.md", outlet_file_stem(last)));
    std::fs::write(&input, "an input").unwrap();
    let mut guard = crate::atomic::InputGuard::new();
    guard.add(&input);
    let err = write_per_outlet(&other, &report, Format::Md, opts, &guard).unwrap_err();
    assert!(matches!(err, ReportFileError::Input(_)), "{err}");
    let left: Vec<_> = std::fs::read_dir(&other).unwrap().collect();
    assert_eq!(left.len(), 1, "only the input remains");
    assert_eq!(std::fs::read_to_string(&input).unwrap(), "an input");
}

#[test]
fn a_report_file_is_written_whole_and_names_the_path_on_failure() {
    let report = build(&corpus(), 10);
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("r.json");
    write_report(&path, &report, Format::Json, RenderOptions::default()).unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        render(&report, Format::Json, RenderOptions::default()).unwrap()
    );
    let missing = d.path().join("no-such-folder/r.json");
    let err = write_report(&missing, &report, Format::Json, RenderOptions::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("no-such-folder/r.json"), "{err}");
}

#[test]
fn json_with_display_names_is_streamed_as_the_renamed_value_tree() {
    let mut arts = corpus();
    for (i, country) in [(0, "US"), (2, "UK")] {
        arts[i].meta.insert("country".into(), country.into());
    }
    let mut b = ReportBuilder::new(FramingParams::default(), Hedges::default(), 4)
        .unwrap()
        .with_options(ReportOptions {
            period: None,
            group_by: Some("country".into()),
            highlight: vec!["Claim Daily".into()],
            per_outlet: false,
        });
    for a in &arts {
        b.add(a).unwrap();
    }
    let mut r = b.finish();
    assert!(r.groups.is_some() && r.articles.len() > 2);
    let default_json = render(&r, Format::Json, RenderOptions::default()).unwrap();
    r.names = LabelNames {
        claim: "The minister took the bribe.".into(),
        short: "the bribe".into(),
        labels: crate::label::RoleNames::from_array(
            ["bribe_claim", "minister_denial", "doubt", "background"].map(String::from),
        ),
    };
    let streamed = render(&r, Format::Json, RenderOptions::default()).unwrap();
    // The whole report as one value, renamed: what the streamed form must equal byte for byte.
    let mut tree = serde_json::to_value(&r).unwrap();
    r.names.rename_json(&mut tree);
    let whole = serde_json::to_string_pretty(&tree).unwrap() + "\n";
    assert_eq!(streamed, whole);
    assert_ne!(streamed, default_json);
    assert!(streamed.contains("\"bribe_claim\"") && streamed.contains("\"background\""));
    for l in Label::ALL {
        assert!(
            !streamed.contains(&format!("\"{}\"", l.as_str())),
            "{} left unrenamed",
            l.as_str()
        );
    }
}
