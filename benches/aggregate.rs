//! Benchmarks of the stages after the model: cleaning and splitting an article, scoring it
//! (probabilities, hedges, framing with its bootstrap interval), and aggregating scored
//! articles into the per-outlet report, on the seed articles.

use claimtrack::article::{read_articles, IngestOptions};
use claimtrack::clean::Cleaner;
use claimtrack::framing::{FramingParams, Hedges};
use claimtrack::model::Model;
use claimtrack::report::ReportBuilder;
use claimtrack::scored::{ArticleMeta, ScoredArticle};
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

criterion_group!(benches, bench);
criterion_main!(benches);
