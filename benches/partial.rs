//! Benchmarks of partial-aggregate files (criterion: merge, finish the outlets, stitch the
//! report), and the generator of archive-scale partials that BENCHMARKS.md ("Distributed
//! runs") measures the merge on.
//!
//! `cargo bench --bench partial` runs the criterion benches on synthetic articles.
//! `cargo bench --bench partial -- --generate DIR ARTICLES OUTLETS PARTS TEMPLATES.jsonl`
//! writes PARTS partials of ARTICLES synthetic articles over OUTLETS outlets into DIR: each
//! article copies the labels, probabilities, roles and hedging of one scored article of
//! TEMPLATES (`claimtrack score` output, e.g. of the corpus), with synthetic ids, outlets
//! (a few large outlets and a long tail), dates, titles, URLs and sentence texts of the same
//! length. Nothing of the templates' text is written.

use claimtrack::framing::{FramingParams, Hedges};
use claimtrack::partial::{self, PartInput};
use claimtrack::report::{ReportBuilder, ReportOptions};
use claimtrack::scored::{read_scores, ArticleMeta, ScoredArticle};
use claimtrack::{Role, Sentence};
use criterion::{black_box, Criterion};
use std::io::{BufReader, BufWriter, Cursor};

/// A small deterministic generator (SplitMix64).
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The outlet of article `n`: half the articles in the first 2% of outlets, the rest spread.
fn outlet_of(rng: &mut Mix, outlets: usize) -> String {
    let big = (outlets / 50).max(1);
    let k = if rng.below(2) == 0 {
        rng.below(big)
    } else {
        rng.below(outlets)
    };
    format!("Outlet {k:05} News")
}

fn text_like(len: usize, hedged: bool, n: usize, i: usize) -> String {
    let mut t = format!("Sentence {i} of article {n}");
    if hedged {
        t.push_str(" reportedly");
    }
    while t.len() < len {
        t.push_str(" lorem ipsum");
    }
    t
}

/// Synthetic article `n` shaped like `template`.
fn synthetic(template: &ScoredArticle, n: usize, outlets: usize, rng: &mut Mix) -> ScoredArticle {
    let mut a = template.clone();
    a.id = format!("art-{n:010}");
    a.outlet = outlet_of(rng, outlets);
    let day = rng.below(1800);
    a.date = Some(format!(
        "{}-{:02}-{:02}",
        2020 + day / 360,
        1 + (day % 360) / 30,
        1 + day % 28
    ));
    a.url = Some(format!(
        "https://www.example-outlet.com/world/europe/2024/article-{n:010}-putin-talks.html"
    ));
    a.title = Some(text_like(75, false, n, 0));
    a.meta.clear();
    for s in &mut a.sentences {
        s.text = text_like(s.text.len().min(300), s.hedge > 0.0, n, s.index);
        s.hedge_cues.clear();
    }
    a
}

/// A template article without any corpus: `k` sentences with varied labels.
fn made_up(k: usize, seed: u64) -> ScoredArticle {
    let mut rng = Mix(seed);
    let probs = [
        [0.85, 0.05, 0.05, 0.05],
        [0.05, 0.85, 0.05, 0.05],
        [0.05, 0.05, 0.85, 0.05],
        [0.03, 0.03, 0.04, 0.9],
    ];
    let sentences: Vec<Sentence> = (0..k)
        .map(|i| Sentence {
            article: "t".into(),
            outlet: "t".into(),
            date: None,
            index: i,
            role: match i {
                0 => Role::Headline,
                1 => Role::Lede,
                _ => Role::Body,
            },
            text: text_like(120, i % 5 == 3, 0, i),
        })
        .collect();
    let p: Vec<[f64; 4]> = (0..k).map(|_| probs[rng.below(4)]).collect();
    let meta = ArticleMeta {
        id: "t".into(),
        outlet: "t".into(),
        date: None,
        url: None,
        title: None,
        meta: Default::default(),
    };
    ScoredArticle::new(
        meta,
        &sentences,
        &p,
        None,
        &FramingParams::default(),
        &Hedges::default(),
    )
    .expect("a valid article")
}

fn builder(params: &FramingParams) -> ReportBuilder {
    ReportBuilder::new(params.clone(), Hedges::default(), 200).expect("valid settings")
}

/// `parts` partials (in memory) of `n` synthetic articles over `outlets` outlets.
fn parts_of(templates: &[ScoredArticle], n: usize, outlets: usize, parts: usize) -> Vec<Vec<u8>> {
    let params = FramingParams::default();
    let mut rng = Mix(7);
    let mut builders: Vec<ReportBuilder> = (0..parts).map(|_| builder(&params)).collect();
    for i in 0..n {
        let a = synthetic(&templates[i % templates.len()], i, outlets, &mut rng);
        builders[i % parts].add(&a).expect("adds");
    }
    builders
        .into_iter()
        .map(|b| partial::write_builder(b, Vec::new()).expect("writes").0)
        .collect()
}

fn inputs(parts: &[Vec<u8>]) -> Vec<PartInput> {
    parts
        .iter()
        .map(|p| PartInput::from_reader("p", Cursor::new(p.clone())).expect("reads"))
        .collect()
}

fn benches(c: &mut Criterion) {
    let templates: Vec<ScoredArticle> = (0..16).map(|k| made_up(6 + k, k as u64)).collect();
    let parts = parts_of(&templates, 4000, 40, 4);
    c.bench_function("partial/merge_4x1000_articles", |b| {
        b.iter(|| partial::merge(inputs(black_box(&parts)), Vec::new()).expect("merges"))
    });
    c.bench_function("partial/finish_outlets_4000_articles", |b| {
        b.iter(|| partial::finish_outlets(inputs(black_box(&parts)), Vec::new()).expect("finishes"))
    });
    let done = partial::finish_outlets(inputs(&parts), Vec::new())
        .expect("finishes")
        .0;
    let done = [done];
    c.bench_function("partial/report_from_finished_4000_articles", |b| {
        b.iter(|| {
            partial::report(inputs(black_box(&done)), ReportOptions::default()).expect("reports")
        })
    });
    c.bench_function("partial/report_from_open_4000_articles", |b| {
        b.iter(|| {
            partial::report(inputs(black_box(&parts)), ReportOptions::default()).expect("reports")
        })
    });
}

fn generate(args: &[String]) {
    let [dir, n, outlets, parts, templates] = args else {
        panic!("usage: --generate DIR ARTICLES OUTLETS PARTS TEMPLATES.jsonl");
    };
    let (n, outlets, parts): (usize, usize, usize) = (
        n.parse().expect("ARTICLES"),
        outlets.parse().expect("OUTLETS"),
        parts.parse().expect("PARTS"),
    );
    let file = std::fs::File::open(templates).expect("TEMPLATES opens");
    let templates: Vec<ScoredArticle> = read_scores(BufReader::new(file), templates)
        .collect::<Result<_, _>>()
        .expect("TEMPLATES are scored articles");
    std::fs::create_dir_all(dir).expect("DIR");
    let params = FramingParams::default();
    let mut rng = Mix(2026);
    let per = n.div_ceil(parts);
    for p in 0..parts {
        let mut b = builder(&params);
        let range = (p * per)..((p + 1) * per).min(n);
        let batch: Vec<ScoredArticle> = range
            .map(|i| synthetic(&templates[rng.below(templates.len())], i, outlets, &mut rng))
            .collect();
        b.add_batch(&batch).expect("adds");
        drop(batch);
        let path = std::path::Path::new(dir).join(format!("part-{p:04}.ctp"));
        let out = BufWriter::new(std::fs::File::create(&path).expect("creates"));
        let (_, s) = partial::write_builder(b, out).expect("writes");
        println!(
            "{}: {} articles, {} outlets, {} evidence, {} bytes",
            path.display(),
            s.articles,
            s.outlets,
            s.evidence,
            s.bytes
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(at) = args.iter().position(|a| a == "--generate") {
        generate(&args[at + 1..]);
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c);
    c.final_summary();
}
