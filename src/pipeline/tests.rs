//! Unit tests of the pipeline: the library calls agree with the streaming classifier and with
//! each other, whatever the batching and the number of threads.

use super::*;
use crate::article::Article;
use serde_json::{Map, Value};

const SENTENCES: [&str; 6] = [
    "Putin has signalled through intermediaries that he is open to a ceasefire.",
    "US officials said they were unaware of any such overture.",
    "Analysts called the reported offer a ploy to divide Ukraine's allies.",
    "Fighting continued near Avdiivka on Tuesday.",
    "The Kremlin spokesman said Moscow remained ready for talks.",
    "\"It is a trial balloon,\" said one former diplomat.",
];

fn texts(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("{} ({i})", SENTENCES[(i * 5 + i / 7) % SENTENCES.len()]))
        .collect()
}

fn pipeline(settings: Settings) -> Pipeline {
    Pipeline::new(Model::default_model().unwrap(), settings).unwrap()
}

/// The stream's output for `input`, as lines.
fn stream(p: &Pipeline, input: &str) -> Vec<String> {
    let mut out = Vec::new();
    p.classify_stream(input.as_bytes(), "test", &mut out)
        .unwrap();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// A small model with neighbour features (the shipped one has none), so that batching
/// decides what each sentence sees.
fn neighbour_model() -> Model {
    use crate::gold::Example;
    use crate::sentence::Role;
    let labels = [
        Label::RussianClaim,
        Label::UsDenial,
        Label::ExpertSkepticism,
        Label::Context,
        Label::RussianClaim,
        Label::ExpertSkepticism,
    ];
    let mut params = crate::model::ModelParams::default();
    params.featurizer.neighbours = true;
    let examples: Vec<Example> = (0..48)
        .map(|i| Example {
            text: SENTENCES[i % 6].to_string(),
            label: labels[i % 6],
            article: format!("a{}", i / 8),
            outlet: "o".into(),
            index: i % 8,
            role: Role::Body,
        })
        .collect();
    params.fit(&examples).unwrap()
}

#[test]
fn classify_batch_gives_the_lines_the_stream_writes_for_plain_text() {
    for model in [Model::default_model().unwrap(), neighbour_model()] {
        let p = Pipeline::new(model, Settings::default()).unwrap();
        // Past one part and past one run: parts and runs have neighbours up to their edges.
        for n in [1, 3, PART + 5, MAX_BATCH + 300] {
            let texts = texts(n);
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            let predicted = p.classify_batch(&refs);
            assert_eq!(predicted.len(), n);
            assert!(predicted.iter().all(|x| !x.decoded && x.argmax.is_none()));
            let lines = stream(&p, &(texts.join("\n") + "\n"));
            assert_eq!(lines.len(), n);
            for (k, (line, (text, pred))) in
                lines.iter().zip(texts.iter().zip(&predicted)).enumerate()
            {
                let mut ours = Vec::new();
                pred.write_json_line(text, &mut ours).unwrap();
                assert_eq!(
                    std::str::from_utf8(&ours).unwrap(),
                    format!("{line}\n"),
                    "{n} lines, line {k}"
                );
            }
        }
    }
    // With neighbour features a sentence in a run is not labelled as it is alone, so the
    // agreement above covers the context at part and run edges.
    let p = Pipeline::new(neighbour_model(), Settings::default()).unwrap();
    let texts = texts(12);
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let together = p.classify_batch(&refs);
    let alone: Vec<Prediction> = refs.iter().flat_map(|t| p.classify_batch(&[t])).collect();
    assert!(together.iter().zip(&alone).any(|(a, b)| a.probs != b.probs));
}

#[test]
fn classify_article_decodes_like_the_stream_does_for_lines_of_one_article() {
    let p = pipeline(Settings::default());
    assert!(
        p.model().decoder().is_some(),
        "the shipped model has a decoder"
    );
    let texts = texts(40);
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let predicted = p.classify_article(&refs);
    assert!(predicted.iter().all(|x| x.decoded));
    let input: String = texts
        .iter()
        .map(|t| {
            format!(
                "{{\"text\":{},\"article\":\"a\"}}\n",
                Value::from(t.as_str())
            )
        })
        .collect();
    let lines = stream(&p, &input);
    for ((line, text), pred) in lines.iter().zip(&texts).zip(&predicted) {
        let mut record = Map::new();
        record.insert("text".into(), Value::from(text.as_str()));
        record.insert("article".into(), Value::from("a"));
        pred.annotate(&mut record);
        assert_eq!(&serde_json::to_string(&record).unwrap(), line);
    }
    // Decoding changes the labels of some rows, but never the probabilities; without the
    // decoder every label is the most probable one.
    let plain = pipeline(Settings {
        decode: false,
        ..Settings::default()
    });
    assert!(plain.model().decoder().is_none());
    let undecoded = plain.classify_article(&refs);
    for (a, b) in predicted.iter().zip(&undecoded) {
        assert_eq!(a.probs, b.probs);
        assert_eq!(a.argmax.unwrap_or(a.label), b.label);
        assert!(!b.decoded);
    }
}

#[test]
fn results_do_not_depend_on_the_number_of_threads() {
    let texts = texts(PART * 3 + 17);
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let one = pipeline(Settings {
        threads: Some(1),
        ..Settings::default()
    });
    let three = pipeline(Settings {
        threads: Some(3),
        ..Settings::default()
    });
    assert_eq!(one.classify_batch(&refs), three.classify_batch(&refs));
    let input = texts.join("\n");
    assert_eq!(stream(&one, &input), stream(&three, &input));
}

fn article(id: &str, outlet: &str, sentences: &[&str]) -> Article {
    Article {
        id: id.to_string(),
        outlet: outlet.to_string(),
        date: Some("2024-01-25".to_string()),
        url: None,
        title: None,
        meta: Default::default(),
        text: sentences.join(" "),
        source: format!("{id}.txt"),
        text_line_offset: 0,
        outlet_as_given: None,
    }
}

#[test]
fn scoring_in_batches_gives_the_articles_scored_one_by_one_in_input_order() {
    let p = pipeline(Settings {
        model_source: Some("built-in default model".into()),
        ..Settings::default()
    });
    let info = p.model_info().unwrap();
    assert!(
        info.starts_with("built-in default model (sha256 ") && info.contains("labels decoded"),
        "{info}"
    );
    let articles: Vec<Article> = (0..SCORE_BATCH + 9)
        .map(|i| {
            let n = 1 + i % SENTENCES.len();
            article(&format!("a{i}"), ["O1", "O2", "O3"][i % 3], &SENTENCES[..n])
        })
        .collect();
    let mut batches = Vec::new();
    let mut scorer = p.score_batches(|batch: Vec<ScoredArticle>| {
        batches.push(batch);
        Ok::<(), PipelineError>(())
    });
    for a in articles.iter().cloned() {
        scorer.push(a).unwrap();
    }
    scorer.finish().unwrap();
    assert_eq!(
        batches.iter().map(Vec::len).collect::<Vec<_>>(),
        [SCORE_BATCH, 9]
    );
    let streamed: Vec<ScoredArticle> = batches.into_iter().flatten().collect();
    for (a, s) in articles.iter().zip(&streamed) {
        let one = p.score_article(a).unwrap();
        assert_eq!(&one, s);
        assert_eq!(s.id, a.id);
        assert_eq!(s.model.as_deref(), Some(info));
        // The JSON line is the serde_json serialisation, newline ended.
        let mut line = Vec::new();
        s.write_json_line(&mut line).unwrap();
        assert_eq!(line, format!("{}\n", s.to_json_line()).into_bytes());
    }
}

#[test]
fn merged_score_files_give_the_report_of_all_articles_at_once() {
    let p = pipeline(Settings::default());
    let articles: Vec<Article> = (0..12)
        .map(|i| article(&format!("m{i}"), ["A", "B"][i % 2], &SENTENCES[i % 3..]))
        .collect();
    let scored = p.score_articles(&articles).unwrap();
    let jsonl = |arts: &[ScoredArticle]| -> Vec<u8> {
        let mut out = Vec::new();
        for a in arts {
            a.write_json_line(&mut out).unwrap();
        }
        out
    };
    let mut whole = p.report_builder(10).unwrap();
    whole.add_batch(&scored).unwrap();
    let whole = whole.finish();
    // Two "jobs" in the other order, one with a blank line.
    let (first, second) = scored.split_at(5);
    let mut second_file = jsonl(second);
    second_file.extend_from_slice(b"\n");
    let mut merged = p.report_builder(10).unwrap();
    let mut seen = Vec::new();
    let n2 = add_scores(&mut merged, &second_file[..], "two.jsonl", |n| seen.push(n)).unwrap();
    let n1 = add_scores(&mut merged, &jsonl(first)[..], "one.jsonl", |n| {
        seen.push(n)
    })
    .unwrap();
    assert_eq!((n1, n2), (5, 7));
    assert_eq!(seen.iter().sum::<usize>(), 12);
    assert_eq!(merged.finish(), whole);
    // A different article under an id already read is refused, naming the file.
    let mut changed = scored[0].clone();
    changed.outlet = "C".into();
    let mut again = p.report_builder(10).unwrap();
    add_scores(&mut again, &jsonl(&scored)[..], "all.jsonl", |_| ()).unwrap();
    let e = add_scores(&mut again, &jsonl(&[changed])[..], "late.jsonl", |_| ()).unwrap_err();
    assert!(e.to_string().starts_with("in late.jsonl"), "{e}");
    // A line that is not a scored article names the file and line.
    let e = add_scores(&mut again, &b"{\"id\":1}\n"[..], "bad.jsonl", |_| ()).unwrap_err();
    assert!(e.to_string().starts_with("bad.jsonl: line 1: "), "{e}");
}

#[test]
fn bad_settings_are_refused_when_the_pipeline_is_built() {
    let bad = Settings {
        framing: FramingParams {
            bootstrap: 3,
            ..FramingParams::shipped()
        },
        ..Settings::default()
    };
    let e = Pipeline::new(Model::default_model().unwrap(), bad).unwrap_err();
    assert!(matches!(e, PipelineError::Framing(_)), "{e:?}");
    assert!(e.to_string().contains("bootstrap"), "{e}");
}
