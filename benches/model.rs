//! Benchmarks of the model stage: featurizing, classifying (one sentence, one article, a batch
//! of 2,000 sentences on one thread and on the global pool), training on a synthetic corpus
//! shaped like news sentences (a few thousand words of vocabulary, 20-30 words a sentence,
//! `context` dominant), the inner cross-validation of `train` fitted from zero and warm-started,
//! and loading the embedded default model. The side-by-side comparison
//! with scikit-learn on real-shaped text is scripts/bench_vs_sklearn.sh (BENCHMARKS.md).

use claimtrack::evaluate::{fit_heads, fit_heads_from, fit_with_heads, Heads};
use claimtrack::features::FeaturizerParams;
use claimtrack::gold::Example;
use claimtrack::model::{DecoderParams, Model, ModelParams};
use claimtrack::{Label, Role};
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use rayon::prelude::*;

/// Deterministic synthetic sentences with label-specific cue words over a Zipf-like filler.
fn corpus(n: usize) -> Vec<Example> {
    let cues: [&[&str]; 4] = [
        &[
            "signalled",
            "open",
            "talks",
            "ceasefire",
            "kremlin",
            "intermediaries",
            "freeze",
        ],
        &[
            "denied",
            "unaware",
            "rejected",
            "statement",
            "council",
            "spokesperson",
            "no",
        ],
        &[
            "doubt",
            "skeptical",
            "ploy",
            "sincere",
            "analysts",
            "cautioned",
            "balloon",
        ],
        &[
            "troops",
            "aid",
            "front",
            "budget",
            "election",
            "drone",
            "artillery",
        ],
    ];
    let mut state: u64 = 7;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    (0..n)
        .map(|i| {
            let li = if next() % 3 == 0 { next() % 3 } else { 3 };
            let len = 20 + next() % 10;
            let words: Vec<String> = (0..len)
                .map(|_| {
                    if next() % 5 == 0 {
                        cues[li][next() % cues[li].len()].to_string()
                    } else {
                        // Zipf-ish filler vocabulary of ~5000 words.
                        let r = next() % 5000 + 1;
                        format!("w{}", 5000 / r)
                    }
                })
                .collect();
            Example {
                text: words.join(" "),
                label: Label::ALL[li],
                article: format!("a{}", i / 25),
                outlet: format!("o{}", i % 40),
                index: i % 25,
                role: Role::Body,
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let data = corpus(2000);
    let texts: Vec<&str> = data.iter().map(|e| e.text.as_str()).collect();
    let featurizer = FeaturizerParams::default().fit(&texts);
    c.bench_function("featurize/sentence", |b| {
        b.iter(|| featurizer.transform(black_box(texts[17])))
    });
    c.bench_function("featurize/fit_2000", |b| {
        b.iter(|| FeaturizerParams::default().fit(black_box(&texts)))
    });
    let model = ModelParams::default().fit(&data).expect("trains");
    c.bench_function("predict/sentence", |b| {
        b.iter(|| model.predict_proba(black_box(texts[17])))
    });
    c.bench_function("predict/article_25", |b| {
        b.iter(|| model.predict_article(black_box(&texts[..25])))
    });
    let mut group = c.benchmark_group("classify_batch_2000");
    group.throughput(criterion::Throughput::Elements(texts.len() as u64));
    group.bench_function("one_thread", |b| {
        b.iter(|| {
            black_box(&texts)
                .chunks(25)
                .map(|a| model.predict_article(a).len())
                .sum::<usize>()
        })
    });
    group.bench_function("global_pool", |b| {
        b.iter(|| {
            black_box(&texts)
                .par_chunks(25)
                .map(|a| model.predict_article(a).len())
                .sum::<usize>()
        })
    });
    group.finish();
    c.bench_function("model/load_default", |b| {
        b.iter(|| Model::default_model().expect("embedded model"))
    });
    let mut group = c.benchmark_group("train");
    group.sample_size(10);
    for n in [2000usize, 20000] {
        let d = corpus(n);
        group.bench_with_input(BenchmarkId::from_parameter(n), &d, |b, d| {
            b.iter(|| ModelParams::default().fit(black_box(d)).expect("trains"))
        });
    }
    group.finish();
    // The training matrix alone: vocabulary, the two featurizing passes that store it by
    // feature, and (for the rows returned here) its transpose.
    let mut group = c.benchmark_group("train_storage");
    group.sample_size(10);
    let d = corpus(20000);
    group.throughput(criterion::Throughput::Elements(d.len() as u64));
    group.bench_function("design_matrix_20000", |b| {
        b.iter(|| ModelParams::default().design_matrix(black_box(&d)).1.len())
    });
    // What `claimtrack train` runs: the model and, beside it, the inner cross-validation of
    // the decoder and calibration (five more fits on subsets taken by reference).
    let d = corpus(2000);
    let heads = Heads {
        decoder: Some(DecoderParams::default()),
        calibrate: true,
    };
    group.bench_function("fit_with_heads_2000", |b| {
        b.iter(|| fit_with_heads(black_box(&d), &ModelParams::default(), &heads).expect("trains"))
    });
    // That inner cross-validation alone (five folds of 80% of 5,000 sentences): every fold
    // fitted from zero, and every fold started from the weights of the model fitted on all
    // of them (what `train` does).
    let d = corpus(5000);
    let params = ModelParams::default();
    let full = params.fit(&d).expect("trains");
    let dp = DecoderParams::default();
    group.bench_function("inner_cv_cold_5000", |b| {
        b.iter(|| fit_heads(black_box(&d), &params, Some(&dp), true).expect("fits"))
    });
    group.bench_function("inner_cv_warm_5000", |b| {
        b.iter(|| {
            fit_heads_from(black_box(&d), &params, Some(&dp), true, Some(&full)).expect("fits")
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
