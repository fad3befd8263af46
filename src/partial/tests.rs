//! Tests of partial-aggregate files: any split, merge order, grouping and duplicated part
//! gives the single builder's report byte for byte (every format); damaged, truncated and
//! foreign files are clear errors.

use super::*;
use crate::framing::Hedges;
use crate::report::{render, CsvTable, Format, RenderOptions};
use crate::scored::{ArticleMeta, ScoredArticle};
use crate::sentence::{Role, Sentence};
use proptest::prelude::*;
use std::io::Cursor;

const PROBS: [[f64; 4]; 5] = [
    [0.85, 0.05, 0.05, 0.05],
    [0.05, 0.85, 0.05, 0.05],
    [0.05, 0.05, 0.85, 0.05],
    [0.03, 0.03, 0.04, 0.9],
    [0.4, 0.3, 0.2, 0.1],
];
const OUTLETS: [&str; 4] = ["Alpha Times", "Beta Post", "Gamma", "delta news"];
const DATES: [Option<&str>; 6] = [
    Some("2024-01-05"),
    Some("2024-01-25"),
    Some("2024-03"),
    Some("2024-02-31"),
    None,
    Some("2024-06-11"),
];
const TEXTS: [&str; 4] = [
    "Putin may be open to talks, sources said.",
    "The Kremlin denied it.",
    "Experts doubt the report.",
    "Aid stalls.",
];

fn params() -> FramingParams {
    FramingParams {
        bootstrap: 60,
        ..FramingParams::default()
    }
}

/// An article: outlet, date and group by index, sentences by probability index.
fn article(n: usize, outlet: usize, date: usize, group: usize, sents: &[usize]) -> ScoredArticle {
    let id = format!("art-{n:03}");
    let outlet = OUTLETS[outlet % OUTLETS.len()];
    let date = DATES[date % DATES.len()];
    let sentences: Vec<Sentence> = sents
        .iter()
        .enumerate()
        .map(|(i, &k)| Sentence {
            article: id.clone(),
            outlet: outlet.into(),
            date: date.map(String::from),
            index: i,
            role: match i {
                0 => Role::Headline,
                1 => Role::Lede,
                _ => Role::Body,
            },
            text: format!("{} ({n}/{i})", TEXTS[k % TEXTS.len()]),
        })
        .collect();
    let probs: Vec<[f64; 4]> = sents.iter().map(|&k| PROBS[k % PROBS.len()]).collect();
    let mut meta = BTreeMap::new();
    if group % 3 != 2 {
        meta.insert("country".to_string(), ["fr", "us"][group % 3].to_string());
    }
    let meta = ArticleMeta {
        id: id.clone(),
        outlet: outlet.into(),
        date: date.map(String::from),
        url: (n % 4 != 0).then(|| format!("https://example.org/{id}")),
        title: (n % 3 != 0).then(|| format!("Title {n}")),
        meta,
    };
    let model = ["model-a", "model-b"][n % 2].to_string();
    ScoredArticle::new(
        meta,
        &sentences,
        &probs,
        Some(model),
        &params(),
        &Hedges::default(),
    )
    .unwrap()
}

fn options() -> ReportOptions {
    ReportOptions {
        period: None,
        group_by: Some("country".into()),
        highlight: vec!["beta post".into()],
        per_outlet: true,
    }
}

fn builder(max_strips: usize) -> ReportBuilder {
    ReportBuilder::new(params(), Hedges::default(), max_strips)
        .unwrap()
        .with_options(options())
}

fn part(articles: &[&ScoredArticle], max_strips: usize) -> Vec<u8> {
    let mut b = builder(max_strips);
    for a in articles {
        b.add(a).unwrap();
    }
    write_builder(b, Vec::new()).unwrap().0
}

fn input(name: &str, bytes: &[u8]) -> PartInput {
    PartInput::from_reader(name, Cursor::new(bytes.to_vec())).unwrap()
}

/// Every rendering of a report: the four formats, and CSV's other tables.
fn renderings(r: &Report) -> Vec<String> {
    let mut out = Vec::new();
    for f in [Format::Md, Format::Json, Format::Csv, Format::Html] {
        out.push(render(r, f, RenderOptions::default()).unwrap());
    }
    for table in [
        CsvTable::Articles,
        CsvTable::Periods,
        CsvTable::Groups,
        CsvTable::Summary,
    ] {
        let opts = RenderOptions {
            per_article: false,
            table,
        };
        out.push(render(r, Format::Csv, opts).unwrap());
    }
    for o in &r.outlets {
        out.push(
            render(
                &r.for_outlet(&o.outlet),
                Format::Json,
                RenderOptions::default(),
            )
            .unwrap(),
        );
    }
    out
}

fn report_of(parts: Vec<PartInput>) -> PartialReport {
    report(parts, options()).unwrap()
}

fn spec() -> impl Strategy<Value = Vec<(usize, usize, usize, Vec<usize>, usize, bool)>> {
    proptest::collection::vec(
        (
            0..4usize,
            0..6usize,
            0..3usize,
            proptest::collection::vec(0..5usize, 1..6),
            0..4usize,
            proptest::bool::weighted(0.15),
        ),
        1..24,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn any_split_merge_order_and_grouping_gives_the_single_builders_report(
        spec in spec(),
        order in proptest::collection::vec(0..1000usize, 6),
        max_strips in 0..5usize,
        groups in 1..4usize,
    ) {
        let articles: Vec<ScoredArticle> = spec
            .iter()
            .enumerate()
            .map(|(n, (o, d, g, s, _, _))| article(n, *o, *d, *g, s))
            .collect();
        let mut single = builder(max_strips);
        single.add_batch(&articles).unwrap();
        let warnings = single.warnings();
        let want = renderings(&single.finish());

        // Split into 4 parts; some articles are copied into a second part.
        let mut split: Vec<Vec<&ScoredArticle>> = vec![Vec::new(); 4];
        for (a, (_, _, _, _, p, copy)) in articles.iter().zip(&spec) {
            split[*p].push(a);
            if *copy {
                split[(p + 1) % 4].push(a);
            }
        }
        let parts: Vec<Vec<u8>> = split.iter().map(|s| part(s, max_strips)).collect();
        let mut at: Vec<usize> = (0..4).collect();
        at.sort_by_key(|&i| order[i]);

        // Straight from the parts, in any order, one of them given twice.
        let mut inputs: Vec<PartInput> =
            at.iter().map(|&i| input(&format!("p{i}"), &parts[i])).collect();
        inputs.push(input("again", &parts[at[0]]));
        let got = report_of(inputs);
        prop_assert_eq!(&got.warnings, &warnings);
        prop_assert!(renderings(&got.report) == want, "from parts");

        // Merged as a tree: ((a, b), (c, d)) in the shuffled order.
        let m = |x: &[u8], y: &[u8]| merge(vec![input("x", x), input("y", y)], Vec::new()).unwrap().0;
        let left = m(&parts[at[0]], &parts[at[1]]);
        let right = m(&parts[at[2]], &parts[at[3]]);
        let all = m(&left, &right);
        let other = m(&m(&parts[at[3]], &left), &parts[at[2]]);
        prop_assert!(all == other, "merging is associative and commutative, byte for byte");
        prop_assert!(renderings(&report_of(vec![input("all", &all)]).report) == want, "merged");

        // Split by outlet into groups, each finished on its own, then stitched.
        let outs: Vec<Vec<u8>> = vec![Vec::new(); groups];
        let bucket = |o: &str| (o.len() + order[4]) % groups;
        let inputs: Vec<PartInput> = at.iter().map(|&i| input("p", &parts[i])).collect();
        let split = split_by_outlet(inputs, outs, bucket).unwrap();
        let finished: Vec<Vec<u8>> = split
            .iter()
            .map(|(bytes, _)| finish_outlets(vec![input("g", bytes)], Vec::new()).unwrap().0)
            .collect();
        let mut inputs: Vec<PartInput> = finished.iter().map(|b| input("f", b)).collect();
        if order[5] % 2 == 0 {
            inputs.push(input("f-again", &finished[0]));
        }
        let got = report_of(inputs);
        prop_assert_eq!(&got.warnings, &warnings);
        prop_assert!(renderings(&got.report) == want, "finished per outlet group");

        // The timeline's periods finished in shares (each share read from every partial,
        // raw or finished), given beside the finished groups, one share twice.
        let shares = 1 + order[4] % 3;
        let from = |k: usize| -> Vec<PartInput> {
            if k % 2 == 0 {
                at.iter().map(|&i| input("p", &parts[i])).collect()
            } else {
                finished.iter().map(|b| input("f", b)).collect()
            }
        };
        let period = timeline_period(from(order[5]), None).unwrap();
        let periods: Vec<Vec<u8>> = (0..shares)
            .map(|k| {
                let select = move |label: &str| outlet_bucket(label, shares) == k;
                finish_periods(from(k + order[5]), Vec::new(), period, &select).unwrap().0
            })
            .collect();
        let mut inputs: Vec<PartInput> = finished.iter().map(|b| input("f", b)).collect();
        inputs.extend(periods.iter().map(|b| input("t", b)));
        inputs.push(input("t-again", &periods[order[3] % shares]));
        let got = report_of(inputs);
        prop_assert_eq!(&got.warnings, &warnings);
        prop_assert!(renderings(&got.report) == want, "periods finished in shares");
        // A merge carries the finished periods along.
        let mut inputs: Vec<PartInput> = periods.iter().map(|b| input("t", b)).collect();
        inputs.push(input("all", &all));
        let carried = merge(inputs, Vec::new()).unwrap().0;
        let got = report_of(vec![input("carried", &carried)]);
        prop_assert!(renderings(&got.report) == want, "periods carried by a merge");
    }
}

/// Partials and reports without groups, highlights or per-outlet timelines: the report from
/// finished outlets and finished periods then holds no stance units for them.
fn plain_part(articles: &[&ScoredArticle]) -> Vec<u8> {
    let mut b = ReportBuilder::new(params(), Hedges::default(), 2).unwrap();
    for a in articles {
        b.add(a).unwrap();
    }
    write_builder(b, Vec::new()).unwrap().0
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn finished_outlets_and_periods_give_the_single_builders_report_without_units(
        spec in spec(),
        asked in proptest::option::of(proptest::bool::ANY),
        shares in 1..4usize,
    ) {
        let articles: Vec<ScoredArticle> = spec
            .iter()
            .enumerate()
            .map(|(n, (o, d, g, s, _, _))| article(n, *o, *d, *g, s))
            .collect();
        let period = asked.map(|w| if w { Period::Week } else { Period::Month });
        let options = ReportOptions { period, ..ReportOptions::default() };
        let mut single = ReportBuilder::new(params(), Hedges::default(), 2)
            .unwrap()
            .with_options(options.clone());
        single.add_batch(&articles).unwrap();
        let want = renderings(&single.finish());
        let mut split: Vec<Vec<&ScoredArticle>> = vec![Vec::new(); 4];
        for (a, (_, _, _, _, p, copy)) in articles.iter().zip(&spec) {
            split[*p].push(a);
            if *copy {
                split[(p + 1) % 4].push(a);
            }
        }
        let parts: Vec<Vec<u8>> = split.iter().map(|s| plain_part(s)).collect();
        let inputs = || parts.iter().map(|b| input("p", b)).collect::<Vec<_>>();
        let groups = split_by_outlet(inputs(), vec![Vec::new(); 2], |o| o.len() % 2).unwrap();
        let finished: Vec<Vec<u8>> = groups
            .iter()
            .map(|(b, _)| finish_outlets(vec![input("g", b)], Vec::new()).unwrap().0)
            .collect();
        let length = timeline_period(inputs(), period).unwrap();
        let mut all: Vec<PartInput> = finished.iter().map(|b| input("f", b)).collect();
        for k in 0..shares {
            let select = move |label: &str| outlet_bucket(label, shares) == k;
            let bytes = finish_periods(inputs(), Vec::new(), length, &select).unwrap().0;
            all.push(input("t", &bytes));
        }
        let got = report(all, options).unwrap();
        prop_assert!(renderings(&got.report) == want);
    }
}

#[test]
fn periods_finished_by_another_length_than_the_reports_are_an_error() {
    let a = sample();
    let refs: Vec<&ScoredArticle> = a.iter().collect();
    let bytes = plain_part(&refs);
    let automatic = timeline_period(vec![input("p", &bytes)], None).unwrap();
    let other = match automatic {
        Period::Week => Period::Month,
        Period::Month => Period::Week,
    };
    let done = finish_outlets(vec![input("p", &bytes)], Vec::new())
        .unwrap()
        .0;
    let periods = finish_periods(vec![input("p", &bytes)], Vec::new(), other, &|_| true)
        .unwrap()
        .0;
    let inputs = || vec![input("done", &done), input("t", &periods)];
    let err = report(inputs(), ReportOptions::default()).unwrap_err();
    assert!(
        matches!(err, PartialError::PeriodLength { finished, report } if finished == other && report == automatic),
        "{err}"
    );
    assert!(
        err.to_string().contains(&format!("give --period {other}")),
        "{err}"
    );
    // Asked for that length, the report takes them.
    let asked = ReportOptions {
        period: Some(other),
        ..ReportOptions::default()
    };
    let mut single = ReportBuilder::new(params(), Hedges::default(), 2)
        .unwrap()
        .with_options(asked.clone());
    single.add_batch(&a).unwrap();
    let got = report(inputs(), asked).unwrap();
    assert!(renderings(&got.report) == renderings(&single.finish()));
}

fn sample() -> Vec<ScoredArticle> {
    (0..10)
        .map(|n| article(n, n % 3, n, n, &[n % 5, (n + 1) % 5, 3, 0]))
        .collect()
}

fn sample_part() -> Vec<u8> {
    let a = sample();
    part(&a.iter().collect::<Vec<_>>(), 3)
}

#[test]
fn rows_from_partials_arrive_packed_in_report_order() {
    // Ids in one order, dates in another (`article` cycles the dates by `date`), in two
    // parts: the rows the report holds are the single builder's, outlet by outlet, then by
    // date (undated and invalid first), then by id.
    let articles: Vec<ScoredArticle> = (0..18)
        .map(|n| article(n, n % 2, 17 - n, n, &[n % 5, 3, 0]))
        .collect();
    let (a, b): (Vec<&ScoredArticle>, Vec<&ScoredArticle>) = articles
        .iter()
        .partition(|a| a.id.ends_with(['1', '3', '5', '7']));
    let got = report_of(vec![input("a", &part(&a, 4)), input("b", &part(&b, 4))]).report;
    let mut single = builder(4);
    single.add_batch(&articles).unwrap();
    let want = single.finish();
    let rows: Vec<crate::report::ArticleSummary> = got.articles.iter().collect();
    assert_eq!(rows, want.articles.iter().collect::<Vec<_>>());
    assert_eq!(rows.len(), 18);
    let keys: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r.outlet.to_string(),
                r.date.clone().unwrap_or_default(),
                r.id.clone(),
            )
        })
        .collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
    // Ids and dates disagree somewhere, so the order is not merely the id order.
    assert!(rows
        .windows(2)
        .any(|w| w[0].outlet == w[1].outlet && w[0].id > w[1].id));
    assert_eq!(got.articles.strips(), 4);
}

fn read_all(name: &str, bytes: Vec<u8>) -> Result<PartialReport, PartialError> {
    let p = PartInput::from_reader(name, Cursor::new(bytes))?;
    report(vec![p], options())
}

#[test]
fn every_truncation_is_an_error_naming_the_file() {
    let bytes = sample_part();
    assert!(read_all("whole.ctp", bytes.clone()).is_ok());
    for cut in 0..bytes.len() {
        let err = read_all("cut.ctp", bytes[..cut].to_vec()).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("cut.ctp: "), "{msg}");
        if cut >= 12 {
            assert!(
                matches!(err, PartialError::Truncated { .. }),
                "cut {cut}: {msg}"
            );
        }
    }
}

#[test]
fn every_flipped_byte_is_an_error() {
    let bytes = sample_part();
    for at in 0..bytes.len() {
        let mut bad = bytes.clone();
        bad[at] ^= 0x20;
        let err = read_all("bad.ctp", bad).unwrap_err().to_string();
        assert!(err.starts_with("bad.ctp: "), "byte {at}: {err}");
    }
    let mut longer = bytes.clone();
    longer.push(0);
    let err = read_all("long.ctp", longer).unwrap_err().to_string();
    assert!(err.contains("after the end record"), "{err}");
}

/// The partial's records written again as a version-1 file (six counts in the end record).
fn as_version_1(bytes: &[u8]) -> Vec<u8> {
    let mut r =
        format::RecordReader::new("v2".into(), Box::new(Cursor::new(bytes.to_vec()))).unwrap();
    let mut w = format::RecordWriter::with_version(Vec::new(), 1).unwrap();
    loop {
        let (k, payload, _) = r.next().unwrap();
        if k == kind::END {
            let mut d = Dec::new(&payload);
            let mut e = Enc::default();
            for _ in 0..6 {
                e.varint(d.varint().unwrap());
            }
            assert_eq!(d.varint().unwrap(), 0, "no finished periods");
            w.record(k, &e.0).unwrap();
            return w.finish().unwrap();
        }
        w.record(k, &payload).unwrap();
    }
}

#[test]
fn version_1_files_are_still_read() {
    let a = sample();
    let refs: Vec<&ScoredArticle> = a.iter().collect();
    let (one, two) = refs.split_at(4);
    let (p1, p2) = (part(one, 3), part(two, 3));
    let want = renderings(&report_of(vec![input("1", &p1), input("2", &p2)]).report);
    let old = as_version_1(&p1);
    assert_eq!(&old[8..12], &1u32.to_le_bytes());
    let got = report_of(vec![input("old", &old), input("2", &p2)]);
    assert!(renderings(&got.report) == want);
    // Merged, it is written in the current version.
    let merged = merge(vec![input("old", &old)], Vec::new()).unwrap().0;
    assert_eq!(&merged[8..12], &VERSION.to_le_bytes());
    assert_eq!(merged, merge(vec![input("1", &p1)], Vec::new()).unwrap().0);
}

#[test]
fn finished_periods_of_other_articles_are_an_error_and_conflicting_ones_do_not_merge() {
    let a = sample();
    let refs: Vec<&ScoredArticle> = a.iter().collect();
    let whole = part(&refs, 3);
    let fewer = part(&refs[..7], 3);
    let finish = |bytes: &[u8]| {
        let period = timeline_period(vec![input("x", bytes)], None).unwrap();
        finish_periods(vec![input("x", bytes)], Vec::new(), period, &|_| true)
            .unwrap()
            .0
    };
    let (good, stale) = (finish(&whole), finish(&fewer));
    assert!(report(vec![input("all", &whole), input("t", &good)], options()).is_ok());
    let err = report(
        vec![input("all", &whole), input("stale", &stale)],
        options(),
    )
    .unwrap_err();
    assert!(matches!(err, PartialError::PeriodMismatch { .. }), "{err}");
    let err = merge(vec![input("t", &good), input("stale", &stale)], Vec::new()).unwrap_err();
    assert!(matches!(err, PartialError::PeriodConflict { .. }), "{err}");
    assert!(err.to_string().starts_with("stale: "), "{err}");
    // Asked for another period length, the finished rows are not used (and not an error).
    let monthly = ReportOptions {
        period: Some(Period::Month),
        ..options()
    };
    let other = match timeline_period(vec![input("x", &whole)], None).unwrap() {
        Period::Week => monthly,
        Period::Month => ReportOptions {
            period: Some(Period::Week),
            ..options()
        },
    };
    let with = report(vec![input("all", &whole), input("t", &good)], other.clone()).unwrap();
    let without = report(vec![input("all", &whole)], other).unwrap();
    assert!(renderings(&with.report) == renderings(&without.report));
    // A cut period partial is an error naming it.
    for cut in 0..good.len() {
        let got = PartInput::from_reader("cut.ctp", Cursor::new(good[..cut].to_vec()))
            .and_then(|p| report(vec![input("all", &whole), p], options()));
        let err = got.unwrap_err().to_string();
        assert!(err.starts_with("cut.ctp: "), "cut {cut}: {err}");
    }
}

#[test]
fn another_version_or_format_is_refused() {
    let mut bytes = sample_part();
    bytes[8..12].copy_from_slice(&3u32.to_le_bytes());
    let err = read_all("v3.ctp", bytes.clone()).unwrap_err();
    assert!(matches!(err, PartialError::Version { found: 3, .. }));
    assert!(err.to_string().contains("version 3"), "{err}");
    bytes[8..12].copy_from_slice(&0u32.to_le_bytes());
    let err = read_all("v0.ctp", bytes).unwrap_err();
    assert!(
        matches!(err, PartialError::Version { found: 0, .. }),
        "{err}"
    );
    let err = read_all("scores.jsonl", b"{\"id\": \"a\"}\n".to_vec()).unwrap_err();
    assert!(matches!(err, PartialError::NotPartial { .. }), "{err}");
}

#[test]
fn partials_built_with_other_settings_do_not_merge() {
    let a = sample();
    let one = part(&a[..5].iter().collect::<Vec<_>>(), 3);
    let mut b = ReportBuilder::new(
        FramingParams {
            bootstrap: 61,
            ..params()
        },
        Hedges::default(),
        3,
    )
    .unwrap()
    .with_options(options());
    b.add_batch(&a[5..]).unwrap();
    let two = write_builder(b, Vec::new()).unwrap().0;
    let err = merge(vec![input("one", &one), input("two", &two)], Vec::new()).unwrap_err();
    assert!(matches!(err, PartialError::Settings { .. }), "{err}");
    assert!(err.to_string().starts_with("two: "), "{err}");
    let err = report(vec![input("one", &one)], ReportOptions::default()).unwrap_err();
    assert!(matches!(err, PartialError::GroupBy { .. }), "{err}");
}

#[test]
fn a_different_article_with_a_used_id_is_an_error_naming_the_file() {
    let a = sample();
    let mut changed = a[2].clone();
    changed.title = Some("Another title".into());
    let one = part(&[&a[1], &a[2]], 3);
    let two = part(&[&changed], 3);
    let err = merge(vec![input("one", &one), input("two", &two)], Vec::new()).unwrap_err();
    assert!(matches!(err, PartialError::DuplicateArticle { ref id, .. } if id == &a[2].id));
    assert!(err.to_string().starts_with("two: "), "{err}");
    // The same id in another outlet too.
    let mut moved = a[2].clone();
    moved.outlet = "Elsewhere".into();
    let three = part(&[&moved], 3);
    let err = merge(vec![input("one", &one), input("three", &three)], Vec::new()).unwrap_err();
    assert!(
        matches!(err, PartialError::DuplicateArticle { .. }),
        "{err}"
    );
}

#[test]
fn a_finished_outlet_takes_no_other_articles() {
    let a = sample();
    let first: Vec<&ScoredArticle> = a.iter().filter(|x| x.outlet == OUTLETS[0]).collect();
    let (early, late) = first.split_at(1);
    let done = finish_outlets(vec![input("early", &part(early, 3))], Vec::new())
        .unwrap()
        .0;
    let err = merge(
        vec![input("done", &done), input("late", &part(late, 3))],
        Vec::new(),
    )
    .unwrap_err();
    assert!(matches!(err, PartialError::FinishedOutlet { .. }), "{err}");
    assert!(err.to_string().starts_with("late: "), "{err}");
}

#[test]
fn a_partial_holds_little_beyond_the_rows() {
    let a = sample();
    let (bytes, stats) = write_builder(
        {
            let mut b = builder(0);
            b.add_batch(&a).unwrap();
            b
        },
        Vec::new(),
    )
    .unwrap();
    assert_eq!(stats.articles, 10);
    assert_eq!(stats.outlets, 3);
    assert_eq!(stats.bytes, bytes.len() as u64);
    // Evidence is pooled per outlet: at most what the outlets can show, not every article's.
    assert!(stats.evidence <= 3 * (4 * params().evidence).max(16) as u64);
}
