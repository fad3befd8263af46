//! Benchmarks of the stages after the model: cleaning and splitting an article, scoring it
//! (probabilities, hedges, framing with its bootstrap interval), and aggregating scored
//! articles into the per-outlet report, on the seed articles; and the bootstrap's samplers
//! (exponential, normal and Gamma draws) and `bootstrap_mean` on a one-article interval and on
//! an outlet of 300 articles.

use claimtrack::article::{read_articles, IngestOptions};
use claimtrack::clean::Cleaner;
use claimtrack::framing::rng::{GammaSampler, Rng};
use claimtrack::framing::{bootstrap_mean, prominence, FramingParams, Hedges, StanceUnit};
use claimtrack::label::Label;
use claimtrack::model::Model;
use claimtrack::report::ReportBuilder;
use claimtrack::scored::{ArticleMeta, ScoredArticle};
use claimtrack::sentence::Role;
use claimtrack::split::article_sentences;
use criterion::{black_box, criterion_group, criterion_main, Criterion};

fn bench(c: &mut Criterion) {
    let seeds = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds");
    let articles =
        read_articles(&[seeds], &IngestOptions::default(), &mut Vec::new()).expect("seeds read");
    let cleaner = Cleaner::default();
    let model = Model::default_model().expect("embedded model");
    let params = FramingParams::default();
    let hedges = Hedges::default();
    let score = |a: &claimtrack::article::Article| {
        let (sentences, _) = article_sentences(a, &cleaner);
        let texts: Vec<&str> = sentences.iter().map(|s| s.text.as_str()).collect();
        let probs = model.predict_article(&texts);
        let meta = ArticleMeta {
            id: a.id.clone(),
            outlet: a.outlet.clone(),
            date: a.date.clone(),
            url: a.url.clone(),
            title: a.title.clone(),
            meta: a.meta.clone(),
        };
        ScoredArticle::new(meta, &sentences, &probs, None, &params, &hedges).expect("scores")
    };
    c.bench_function("clean_split/seed_article", |b| {
        b.iter(|| article_sentences(black_box(&articles[0]), &cleaner))
    });
    c.bench_function("score/seed_article", |b| {
        b.iter(|| score(black_box(&articles[0])))
    });
    let scored: Vec<ScoredArticle> = articles.iter().map(score).collect();
    c.bench_function("aggregate/report_seeds", |b| {
        b.iter(|| {
            let mut builder =
                ReportBuilder::new(params.clone(), hedges.clone(), 200).expect("valid params");
            builder.add_batch(black_box(&scored)).expect("adds");
            builder.finish()
        })
    });
}

/// 1,000 draws of each sampler (one stream per benchmark, so the numbers are per 1,000 draws).
fn samplers(c: &mut Criterion) {
    let mut group = c.benchmark_group("sampler_1000_draws");
    let mut rng = Rng::new(1);
    group.bench_function("exp1", |b| {
        b.iter(|| (0..1000).map(|_| rng.exp1()).sum::<f64>())
    });
    group.bench_function("normal", |b| {
        b.iter(|| (0..1000).map(|_| rng.normal()).sum::<f64>())
    });
    for shape in [0.5, 1.0, 2.5] {
        let s = GammaSampler::new(shape);
        group.bench_function(format!("gamma_{shape}"), |b| {
            b.iter(|| (0..1000).map(|_| s.sample(&mut rng)).sum::<f64>())
        });
    }
    group.finish();
}

/// Simulated articles of 1 to 6 stance units (fixed seed), masses full or partial.
fn articles(n: usize, p: &FramingParams) -> Vec<Vec<StanceUnit>> {
    let mut rng = Rng::new(7);
    (0..n)
        .map(|_| {
            let k = 1 + (rng.uniform() * 6.0) as usize;
            (0..k)
                .map(|i| StanceUnit {
                    index: i,
                    role: Role::Body,
                    prominence: prominence(Role::Body, i, k, p),
                    mass: if rng.uniform() < 0.5 {
                        1.0
                    } else {
                        rng.uniform()
                    },
                    direction: rng.uniform() * 2.0 - 1.0,
                    claim: rng.uniform(),
                    hedge: 0.0,
                    stance: Label::RussianClaim,
                })
                .collect()
        })
        .collect()
}

fn bootstrap(c: &mut Criterion) {
    let p = FramingParams::shipped();
    let outlet = articles(300, &p);
    let refs: Vec<&[StanceUnit]> = outlet.iter().map(Vec::as_slice).collect();
    let mut group = c.benchmark_group("bootstrap_1000_replicates");
    group.sample_size(20);
    group.bench_function("one_article", |b| {
        b.iter(|| bootstrap_mean(black_box(&refs[..1]), &p, 42))
    });
    group.bench_function("outlet_300_articles", |b| {
        b.iter(|| bootstrap_mean(black_box(&refs), &p, 42))
    });
    group.finish();
}

criterion_group!(benches, bench, samplers, bootstrap);
criterion_main!(benches);
