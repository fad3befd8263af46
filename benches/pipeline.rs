//! Benchmarks of the library engine with the shipped model: `Pipeline::classify_stream` (the
//! `classify` command without process start-up) on 8,000 JSONL lines of 200 articles and on
//! the same sentences as plain text (JSONL lines of plain strings and integers take the fast
//! path; `stream_jsonl_generic` gives every line a `\u` escape, which serde_json does not
//! write, so all of them go through serde_json, for comparison), `classify_batch` on them,
//! and `score_article` on one article of 40 sentences. The sentences are generated from a
//! few templates (the corpora's text is not in the repository); their words are news
//! vocabulary the model knows.

use claimtrack::article::Article;
use claimtrack::model::Model;
use claimtrack::pipeline::{Pipeline, Settings};
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

const SUBJECTS: [&str; 6] = [
    "Putin",
    "The Kremlin",
    "US officials",
    "Analysts",
    "A senior diplomat",
    "Ukrainian troops",
];
const VERBS: [&str; 6] = [
    "signalled through intermediaries that Moscow is open to",
    "denied receiving any message about",
    "called the reported overture a ploy to delay",
    "said there was no sign of",
    "remained skeptical of the offer of",
    "held the line near Avdiivka despite talk of",
];
const OBJECTS: [&str; 5] = [
    "a ceasefire along the current front",
    "talks with Washington",
    "negotiations to end the war",
    "a freeze of the conflict",
    "new security guarantees",
];

/// Deterministic sentences: `n` of them, 40 per article.
fn sentences(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            format!(
                "{} {} {}, according to report {}.",
                SUBJECTS[i % 6],
                VERBS[(i / 6) % 6],
                OBJECTS[(i * 7) % 5],
                i % 97
            )
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let pipeline = Pipeline::new(
        Model::default_model().expect("embedded model"),
        Settings::default(),
    )
    .expect("pipeline");
    let texts = sentences(8000);
    let jsonl: String = texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            format!(
                "{{\"article\":\"a{}\",\"index\":{i},\"text\":\"{t}\"}}\n",
                i / 40
            )
        })
        .collect();
    let escaped = jsonl.replace(", according", ",\\u0020according");
    let plain: String = texts.iter().map(|t| format!("{t}\n")).collect();
    let mut group = c.benchmark_group("classify_8000");
    group.throughput(Throughput::Elements(texts.len() as u64));
    group.sample_size(20);
    group.bench_function("stream_jsonl_articles", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(jsonl.len() * 2);
            pipeline
                .classify_stream(black_box(jsonl.as_bytes()), "bench", &mut out)
                .expect("classifies");
            out.len()
        })
    });
    group.bench_function("stream_jsonl_generic", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(escaped.len() * 2);
            pipeline
                .classify_stream(black_box(escaped.as_bytes()), "bench", &mut out)
                .expect("classifies");
            out.len()
        })
    });
    group.bench_function("stream_plain_text", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(plain.len() * 3);
            pipeline
                .classify_stream(black_box(plain.as_bytes()), "bench", &mut out)
                .expect("classifies");
            out.len()
        })
    });
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    group.bench_function("classify_batch", |b| {
        b.iter(|| pipeline.classify_batch(black_box(&refs)).len())
    });
    group.finish();
    let article = Article {
        id: "bench".into(),
        outlet: "Bench Times".into(),
        date: None,
        url: None,
        title: None,
        meta: Default::default(),
        text: texts[..40].join("\n\n"),
        source: "bench.txt".into(),
        text_line_offset: 0,
        outlet_as_given: None,
    };
    c.bench_function("score_article_40", |b| {
        b.iter(|| pipeline.score_article(black_box(&article)).expect("scores"))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
