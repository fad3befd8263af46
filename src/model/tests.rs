//! Unit tests of training, prediction, explanation and the model file.

use super::file::{checksum_of, Content};
use super::*;
use crate::features::MAX_IDF;
use crate::sentence::Role;

fn ex(text: &str, label: Label, article: &str, index: usize) -> Example {
    Example {
        text: text.into(),
        label,
        article: article.into(),
        outlet: "outlet".into(),
        index,
        role: Role::Body,
    }
}

/// Separable toy data: each label has its own cue words.
fn toy() -> Vec<Example> {
    use Label::*;
    let mut v = Vec::new();
    for a in 0..6 {
        let art = format!("a{a}");
        v.push(ex(
            &format!("Kremlin signals openness to talks, sources say {a}"),
            RussianClaim,
            &art,
            0,
        ));
        v.push(ex(
            &format!("US officials denied receiving any message {a}"),
            UsDenial,
            &art,
            1,
        ));
        v.push(ex(
            &format!("Analysts doubt the overture is sincere {a}"),
            ExpertSkepticism,
            &art,
            2,
        ));
        v.push(ex(
            &format!("Fighting continued near Avdiivka overnight {a}"),
            Context,
            &art,
            3,
        ));
        v.push(ex(
            &format!("Congress debated the aid package {a}"),
            Context,
            &art,
            4,
        ));
    }
    v
}

/// A larger synthetic corpus (deterministic pseudo-random mix of cue and filler words).
fn synthetic(n: usize) -> Vec<Example> {
    let cues = [
        ["signal", "open", "talks", "ceasefire", "kremlin"],
        ["denied", "unaware", "rejected", "statement", "nsc"],
        ["doubt", "skeptical", "ploy", "sincere", "analysts"],
        ["troops", "aid", "front", "budget", "election"],
    ];
    let filler = [
        "the", "said", "on", "a", "in", "week", "report", "people", "war", "ukraine",
    ];
    let mut state: u64 = 42;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    (0..n)
        .map(|i| {
            let label = Label::ALL[if next() % 3 == 0 { next() % 3 } else { 3 }];
            let mut words = Vec::new();
            for _ in 0..8 {
                if next() % 3 == 0 {
                    words.push(cues[label.index()][next() % 5]);
                } else if next() % 7 == 0 {
                    words.push(cues[next() % 4][next() % 5]);
                } else {
                    words.push(filler[next() % filler.len()]);
                }
            }
            ex(&words.join(" "), label, &format!("art{}", i / 10), i % 10)
        })
        .collect()
}

#[test]
fn recovers_a_separable_problem() {
    let data = toy();
    let model = ModelParams {
        alpha: 0.1,
        ..ModelParams::default()
    }
    .fit(&data)
    .unwrap();
    for e in &data {
        assert_eq!(model.predict(&e.text), e.label, "{}", e.text);
    }
    assert_eq!(
        model.predict("Moscow signals it is open to talks"),
        Label::RussianClaim
    );
    assert_eq!(model.predict("Officials denied it"), Label::UsDenial);
    assert_eq!(
        model.predict("Experts doubt Putin is sincere"),
        Label::ExpertSkepticism
    );
    let p = model.predict_proba("Officials denied any message");
    assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    assert!(p[1] > 0.5, "{p:?}");
    let conv = &model.training().convergence;
    assert!(conv.converged, "{conv}");
    assert_eq!(model.training().examples, 30);
    assert_eq!(model.training().articles, 6);
    assert_eq!(model.training().label_counts[&Label::Context], 12);
}

#[test]
fn predict_article_matches_per_sentence_prediction_without_neighbours() {
    let model = ModelParams::default().fit(&toy()).unwrap();
    assert!(!model.featurizer().params().neighbours);
    let texts = ["Kremlin signals talks", "Fighting continued", "zzz qqq"];
    let batch = model.predict_article(&texts);
    for (t, p) in texts.iter().zip(&batch) {
        assert_eq!(*p, model.predict_proba(t));
    }
    // A sentence with no known term gets the intercept-only (prior) probabilities.
    let prior = train::softmax_masked(&model.intercepts(), &[true; 4]);
    assert_eq!(batch[2], prior);
}

#[test]
fn neighbour_features_see_the_adjacent_sentences() {
    let mut params = ModelParams::default();
    params.featurizer.neighbours = true;
    let model = params.fit(&toy()).unwrap();
    // A sentence alone equals an article of one sentence.
    let alone = "Fighting continued";
    assert_eq!(
        model.predict_article(&[alone])[0],
        model.predict_proba(alone)
    );
    // Next to a denial, the same sentence gets `prev:`/`next:` cue terms and so other
    // probabilities; the features name the neighbour's cue classes.
    let texts = ["US officials denied receiving any message", alone];
    let rows = model.featurizer().transform_article(&texts);
    let terms: Vec<&str> = rows[1]
        .iter()
        .filter_map(|&(j, _)| model.featurizer().term(j))
        .collect();
    assert!(terms.contains(&"prev:cue:denial"), "{terms:?}");
    assert!(!terms.iter().any(|t| t.starts_with("next:")), "{terms:?}");
    assert_ne!(model.predict_article(&texts)[1], model.predict_proba(alone));
}

/// The sparse trainer and linfa-logistic minimize the same objective, so on small dense data
/// both reach the same optimum: weights agree within 1e-4 and probabilities within 1e-6.
#[test]
fn sparse_trainer_matches_linfa_logistic() {
    let data = synthetic(120);
    for alpha in [0.3, 1.0] {
        let base = ModelParams {
            alpha,
            class_weight: ClassWeight::None,
            tolerance: 1e-9,
            max_iterations: 5000,
            ..ModelParams::default()
        };
        let sparse = base.fit(&data).unwrap();
        let linfa = ModelParams {
            solver: Solver::Linfa,
            ..base.clone()
        }
        .fit(&data)
        .unwrap();
        assert!(
            sparse.training().convergence.converged,
            "{}",
            sparse.training().convergence
        );
        assert!(sparse.weights().len() > 50);
        let mut max_w = 0f64;
        for (a, b) in sparse.weights().iter().zip(linfa.weights()) {
            for k in 0..4 {
                max_w = max_w.max((a[k] - b[k]).abs());
            }
        }
        for k in 0..4 {
            max_w = max_w.max((sparse.intercepts()[k] - linfa.intercepts()[k]).abs());
        }
        assert!(max_w < 1e-4, "alpha {alpha}: max weight difference {max_w}");
        for e in &data {
            let (p, q) = (sparse.predict_proba(&e.text), linfa.predict_proba(&e.text));
            for k in 0..4 {
                assert!((p[k] - q[k]).abs() < 1e-6, "{p:?} vs {q:?}");
            }
        }
    }
}

#[test]
fn linfa_solver_refuses_huge_dense_matrices_and_class_weights() {
    let data = synthetic(50);
    let err = ModelParams {
        solver: Solver::Linfa,
        class_weight: ClassWeight::None,
        max_dense_bytes: 1000,
        ..ModelParams::default()
    }
    .fit(&data)
    .unwrap_err();
    assert!(matches!(err, ModelError::DenseTooLarge { .. }), "{err}");
    let err = ModelParams {
        solver: Solver::Linfa,
        class_weight: ClassWeight::Balanced,
        ..ModelParams::default()
    }
    .fit(&data)
    .unwrap_err();
    assert!(matches!(err, ModelError::InvalidParams(_)), "{err}");
}

#[test]
fn same_data_gives_byte_identical_models_whatever_the_thread_count() {
    let data = synthetic(700);
    let fit_with = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                ModelParams::default()
                    .fit(&data)
                    .unwrap()
                    .to_json_string()
                    .unwrap()
            })
    };
    let one = fit_with(1);
    let three = fit_with(3);
    assert_eq!(one, three);
    assert_eq!(one, fit_with(1));
}

#[test]
fn save_load_round_trip_is_exact() {
    let model = ModelParams::default()
        .fit(&synthetic(200))
        .unwrap()
        .with_data_files(
            vec![DataFile {
                path: "data/gold/seeds.jsonl".into(),
                sha256: "ab".repeat(32),
            }],
            [("a1".to_string(), "cd".repeat(32))].into_iter().collect(),
        );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.json");
    model.save(&path).unwrap();
    let loaded = Model::load(&path).unwrap();
    assert_eq!(loaded, model);
    assert_eq!(
        loaded.to_json_string().unwrap(),
        std::fs::read_to_string(&path).unwrap()
    );
    assert_eq!(
        loaded.training().data_files[0].path,
        "data/gold/seeds.jsonl"
    );
    for e in synthetic(20) {
        assert_eq!(loaded.predict_proba(&e.text), model.predict_proba(&e.text));
    }
}

fn havana_like_names() -> crate::label::LabelNames {
    crate::label::LabelNames {
        claim: "Something happened.".into(),
        short: "the happening".into(),
        labels: crate::label::RoleNames::from_array(
            ["happened", "official_denial", "doubt", "context"].map(String::from),
        ),
    }
}

#[test]
fn label_names_are_recorded_in_version_5_and_default_names_record_nothing() {
    let model = ModelParams::default().fit(&toy()).unwrap();
    let plain = model.to_json_string().unwrap();
    // The default story's names change nothing: same bytes, no `names`, older version.
    let same = model
        .clone()
        .with_names(&crate::label::LabelNames::default());
    assert_eq!(same.to_json_string().unwrap(), plain);
    assert!(!plain.contains("\"names\""));
    let named = model.with_names(&havana_like_names());
    let json = named.to_json_string().unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["format_version"], 5);
    assert_eq!(v["content"]["names"]["labels"]["claim"], "happened");
    let loaded = Model::from_json_str(&json).unwrap();
    assert_eq!(loaded.names(), Some(&havana_like_names()));
    assert_eq!(loaded.to_json_string().unwrap(), json);
    // Names in an older version, or names that are not label names, are refused.
    let old = json.replacen("\"format_version\": 5", "\"format_version\": 4", 1);
    let e = Model::from_json_str(&old).unwrap_err().to_string();
    assert!(e.contains("label names need format version 5"), "{e}");
    let bad = edit_content(
        &json,
        |c| c.names.as_mut().unwrap().labels.claim = "<b>x</b>".into(),
        true,
    );
    let e = Model::from_json_str(&bad).unwrap_err().to_string();
    assert!(
        e.contains("`names`") && e.contains("not a label name"),
        "{e}"
    );
}

fn edit_content(json: &str, edit: impl FnOnce(&mut Content), fix_checksum: bool) -> String {
    let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
    let mut content: Content = serde_json::from_value(v["content"].clone()).unwrap();
    edit(&mut content);
    if fix_checksum {
        v["checksum"] = checksum_of(&content).unwrap().into();
    }
    v["content"] = serde_json::to_value(&content).unwrap();
    serde_json::to_string(&v).unwrap()
}

#[test]
fn load_rejects_tampering_versions_and_bad_shapes() {
    let json = ModelParams::default()
        .fit(&toy())
        .unwrap()
        .to_json_string()
        .unwrap();
    assert!(Model::from_json_str(&json).is_ok());

    let tampered = edit_content(&json, |c| c.weights[0][0] += 0.5, false);
    let err = Model::from_json_str(&tampered).unwrap_err();
    assert!(matches!(err, ModelError::Checksum { .. }), "{err}");

    let newer = json.replacen("\"format_version\": 2", "\"format_version\": 7", 1);
    let err = Model::from_json_str(&newer).unwrap_err();
    assert!(matches!(
        err,
        ModelError::UnsupportedVersion {
            found: 7,
            supported: FORMAT_VERSION
        }
    ));
    assert!(err.to_string().contains("upgrade claimtrack"));

    let short = edit_content(
        &json,
        |c| {
            c.weights.pop();
        },
        true,
    );
    let err = Model::from_json_str(&short).unwrap_err();
    assert!(matches!(err, ModelError::Shape(_)), "{err}");

    let idf = edit_content(
        &json,
        |c| {
            c.idf.pop();
        },
        true,
    );
    let err = Model::from_json_str(&idf).unwrap_err();
    assert!(matches!(err, ModelError::Features(_)), "{err}");

    let labels = edit_content(&json, |c| c.labels.swap(0, 1), true);
    assert!(matches!(
        Model::from_json_str(&labels),
        Err(ModelError::Shape(_))
    ));

    assert!(matches!(
        Model::from_json_str("{\"a\": 1}"),
        Err(ModelError::Parse(_))
    ));
    assert!(matches!(
        Model::from_json_str("not json"),
        Err(ModelError::Parse(_))
    ));

    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.json");
    std::fs::write(&p, &tampered).unwrap();
    let msg = Model::load(&p).unwrap_err().to_string();
    assert!(
        msg.contains("bad.json") && msg.contains("checksum"),
        "{msg}"
    );
    let missing = Model::load(&dir.path().join("nope.json"))
        .unwrap_err()
        .to_string();
    assert!(missing.contains("nope.json"), "{missing}");
}

#[test]
fn non_convergence_is_reported_and_can_be_an_error() {
    let data = synthetic(200);
    let model = ModelParams {
        max_iterations: 2,
        ..ModelParams::default()
    }
    .fit(&data)
    .unwrap();
    let c = &model.training().convergence;
    assert!(!c.converged, "{c}");
    assert_eq!(c.iterations, Some(2));
    assert!(c.gradient_norm > c.tolerance);
    let err = ModelParams {
        max_iterations: 2,
        require_convergence: true,
        ..ModelParams::default()
    }
    .fit(&data)
    .unwrap_err();
    assert!(matches!(err, ModelError::NotConverged(_)), "{err}");
}

#[test]
fn absent_label_gets_zero_probability() {
    let data: Vec<Example> = toy()
        .into_iter()
        .filter(|e| e.label != Label::UsDenial)
        .collect();
    let model = ModelParams::default().fit(&data).unwrap();
    assert_eq!(model.active_labels().len(), 3);
    let p = model.predict_proba("officials denied receiving");
    assert_eq!(p[Label::UsDenial.index()], 0.0);
    assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    assert!(model.training().convergence.converged);
    let back = Model::from_json_str(&model.to_json_string().unwrap()).unwrap();
    assert_eq!(back, model);
}

#[test]
fn rejects_unusable_training_input() {
    assert!(matches!(
        ModelParams::default().fit(&[]),
        Err(ModelError::NoExamples)
    ));
    let one: Vec<Example> = toy()
        .into_iter()
        .filter(|e| e.label == Label::Context)
        .collect();
    assert!(matches!(
        ModelParams::default().fit(&one),
        Err(ModelError::TooFewClasses { found: 1 })
    ));
    for bad in [
        ModelParams {
            alpha: -1.0,
            ..ModelParams::default()
        },
        ModelParams {
            tolerance: 0.0,
            ..ModelParams::default()
        },
        ModelParams {
            max_iterations: 0,
            ..ModelParams::default()
        },
    ] {
        assert!(matches!(bad.fit(&toy()), Err(ModelError::InvalidParams(_))));
    }
}

#[test]
fn explanation_lists_the_terms_behind_the_decision() {
    let model = ModelParams {
        alpha: 0.1,
        ..ModelParams::default()
    }
    .fit(&toy())
    .unwrap();
    let text = "US officials denied the Kremlin talks";
    let e = model.explain(text, 3);
    assert_eq!(e.label, Label::UsDenial);
    assert_eq!(e.probs, model.predict_proba(text));
    assert!(!e.toward.is_empty() && e.toward.len() <= 3);
    assert!(e.toward.iter().any(|t| t.term == "deni"), "{:?}", e.toward);
    assert!(e
        .toward
        .windows(2)
        .all(|w| w[0].contribution >= w[1].contribution));
    assert!(e.toward.iter().all(|t| t.contribution > 0.0));
    assert!(e.against.iter().all(|t| t.contribution < 0.0));
    // The contributions of all terms plus the intercept give the label's score.
    let all = model.explain(text, usize::MAX);
    let x = model.featurizer().transform(text);
    let score: f64 = x
        .iter()
        .map(|&(j, v)| v * model.weights()[j][Label::UsDenial.index()])
        .sum::<f64>();
    let listed: f64 = all
        .toward
        .iter()
        .chain(&all.against)
        .map(|t| t.contribution)
        .sum();
    assert!((score - listed).abs() < 1e-12);
}

#[test]
fn balanced_class_weight_lifts_rare_labels() {
    let data = synthetic(400);
    let plain = ModelParams {
        class_weight: ClassWeight::None,
        ..ModelParams::default()
    }
    .fit(&data)
    .unwrap();
    let balanced = ModelParams {
        class_weight: ClassWeight::Balanced,
        ..ModelParams::default()
    }
    .fit(&data)
    .unwrap();
    // Context is the majority here; the prior of a rare label must rise with balancing.
    let prior = |m: &Model| m.predict_proba("");
    assert!(prior(&balanced)[2] > prior(&plain)[2]);
    assert!(prior(&balanced)[3] < prior(&plain)[3]);
}

#[test]
fn default_model_is_embedded_or_reports_its_absence() {
    match embedded_default_json() {
        Some(json) => {
            let m = Model::default_model().unwrap();
            assert_eq!(m.active_labels().len(), 4);
            // The build script's checksum check agrees with the run-time one, so loading
            // the embedded model may skip it; and both give the same model.
            assert!(embedded_checksum_verified());
            assert_eq!(Model::from_json_str(json).unwrap(), m);
        }
        None => assert!(matches!(
            Model::default_model(),
            Err(ModelError::NoDefaultModel)
        )),
    }
}

#[test]
fn format_version_1_files_without_cue_features_still_load() {
    let mut params = ModelParams::default();
    params.featurizer.cues = Vec::new();
    params.featurizer.neighbours = false;
    let model = params.fit(&toy()).unwrap();
    let json = model.to_json_string().unwrap();
    assert!(
        !json.contains("\"cues\""),
        "words-only settings keep the version 1 layout"
    );
    let v1 = json.replacen("\"format_version\": 2", "\"format_version\": 1", 1);
    assert_ne!(v1, json);
    let loaded = Model::from_json_str(&v1).unwrap();
    assert_eq!(
        loaded.predict_proba("Kremlin signals talks"),
        model.predict_proba("Kremlin signals talks")
    );
}

/// A decoder for tests: transitions from the toy data, weight 0.5.
fn toy_decoder() -> Decoder {
    Decoder {
        weight: 0.5,
        transitions: Transitions::from_examples(&toy()),
        selection: decode::WeightSelection {
            scheme: "test".into(),
            scores: vec![decode::WeightScore {
                weight: 0.5,
                macro_f1: 0.9,
            }],
        },
    }
}

#[test]
fn a_decoder_is_saved_as_format_version_3_and_loads_back_exactly() {
    let model = ModelParams::default()
        .fit(&toy())
        .unwrap()
        .with_decoder(Some(toy_decoder()));
    let json = model.to_json_string().unwrap();
    assert!(json.contains("\"format_version\": 3"));
    let loaded = Model::from_json_str(&json).unwrap();
    assert_eq!(loaded.decoder(), Some(&toy_decoder()));
    assert_eq!(loaded.to_json_string().unwrap(), json);
    // A decoder with an out-of-range number is refused on load, naming it.
    let bad = edit_content(
        &json,
        |c| {
            if let Some(d) = c.decoder.as_mut() {
                d.transitions.start[1] = 1e9;
            }
        },
        true,
    );
    let err = Model::from_json_str(&bad).unwrap_err().to_string();
    assert!(err.contains("start score of `us_denial`"), "{err}");
    let bad = edit_content(
        &json,
        |c| {
            if let Some(d) = c.decoder.as_mut() {
                d.weight = -1.0;
            }
        },
        true,
    );
    assert!(matches!(
        Model::from_json_str(&bad),
        Err(ModelError::OutOfRange(_))
    ));
    // A decoder cannot hide in a file of an older format version.
    let old = json.replacen("\"format_version\": 3", "\"format_version\": 2", 1);
    let err = Model::from_json_str(&old).unwrap_err().to_string();
    assert!(err.contains("needs format version 3"), "{err}");
}

#[test]
fn format_version_2_files_load_without_a_decoder() {
    // A model without a decoder is written as format version 2, byte for byte the layout
    // of the files written before version 3 existed (no `decoder` key).
    let model = ModelParams::default().fit(&toy()).unwrap();
    let json = model.to_json_string().unwrap();
    assert!(json.contains("\"format_version\": 2") && !json.contains("\"decoder\""));
    let loaded = Model::from_json_str(&json).unwrap();
    assert!(loaded.decoder().is_none());
    assert_eq!(loaded, model);
    // The same content labelled version 3 loads too, also without a decoder.
    let v3 = json.replacen("\"format_version\": 2", "\"format_version\": 3", 1);
    assert!(Model::from_json_str(&v3).unwrap().decoder().is_none());
    // Adding a decoder makes it a version 3 file; removing it gives the version 2 bytes back.
    let with = model.clone().with_decoder(Some(toy_decoder()));
    assert_ne!(with.to_json_string().unwrap(), json);
    assert_eq!(with.with_decoder(None).to_json_string().unwrap(), json);
}

fn toy_calibration() -> Calibration {
    Calibration {
        temperature: 0.5,
        scheme: "toy".into(),
        examples: 4,
        log_loss_before: 0.9,
        log_loss_after: 0.8,
    }
}

#[test]
fn a_calibration_is_saved_as_format_version_4_and_changes_probabilities_not_labels() {
    let model = ModelParams::default().fit(&toy()).unwrap();
    let plain = model.to_json_string().unwrap();
    let calibrated = model.clone().with_calibration(Some(toy_calibration()));
    let json = calibrated.to_json_string().unwrap();
    assert!(json.contains("\"format_version\": 4"), "{json}");
    let loaded = Model::from_json_str(&json).unwrap();
    assert_eq!(loaded.calibration(), Some(&toy_calibration()));
    assert_eq!(loaded.to_json_string().unwrap(), json);
    // Removing it gives the version 2 bytes back.
    assert_eq!(
        loaded
            .clone()
            .with_calibration(None)
            .to_json_string()
            .unwrap(),
        plain
    );
    // T = 0.5 squares the probabilities (renormalised): sharper, same order.
    for text in ["the kremlin denied it", "putin is open to talks", "weather"] {
        let raw = model.predict_proba(text);
        let cal = loaded.predict_proba(text);
        let sq: f64 = raw.iter().map(|p| p * p).sum();
        for k in 0..4 {
            assert!(
                (cal[k] - raw[k] * raw[k] / sq).abs() < 1e-12,
                "{raw:?} {cal:?}"
            );
        }
        assert_eq!(model.predict(text), loaded.predict(text));
        assert_eq!(
            loaded.predict_article_uncalibrated(&[text]),
            model.predict_article(&[text])
        );
    }
    // An out-of-range temperature is refused on load.
    let bad = edit_content(
        &json,
        |c| {
            if let Some(cal) = c.calibration.as_mut() {
                cal.temperature = 0.0;
            }
        },
        true,
    );
    let err = Model::from_json_str(&bad).unwrap_err().to_string();
    assert!(err.contains("temperature"), "{err}");
    // A calibration cannot hide in a file of an older format version.
    let old = json.replacen("\"format_version\": 4", "\"format_version\": 3", 1);
    let err = Model::from_json_str(&old).unwrap_err().to_string();
    assert!(err.contains("needs format version 4"), "{err}");
}

/// Panics unless the two models are the same, bit for bit: featurizer state (see
/// `Featurizer::assert_same_state`), every weight and intercept by `to_bits`, active
/// labels, and training information (also compared as its exact JSON text).
fn assert_same_model(a: &Model, b: &Model) {
    a.featurizer.assert_same_state(&b.featurizer);
    let bits = |m: &Model| -> Vec<[u64; 4]> {
        m.weights.iter().map(|row| row.map(f64::to_bits)).collect()
    };
    assert_eq!(bits(a), bits(b));
    assert_eq!(
        a.intercepts.map(f64::to_bits),
        b.intercepts.map(f64::to_bits)
    );
    assert_eq!(a.active, b.active);
    assert_eq!(a.decoder, b.decoder);
    assert_eq!(a.training, b.training);
    assert_eq!(
        serde_json::to_string(&a.training).unwrap(),
        serde_json::to_string(&b.training).unwrap()
    );
    assert_eq!(a, b);
    assert_eq!(a.to_json_string().unwrap(), b.to_json_string().unwrap());
}

#[test]
fn default_model_fast_load_is_the_json_model_bit_for_bit() {
    let Some(json) = embedded_default_json() else {
        // This build has no default model; `default_model` must say so.
        assert!(matches!(
            Model::default_model(),
            Err(ModelError::NoDefaultModel)
        ));
        return;
    };
    if embedded_checksum_verified() {
        // The split form is what `default_model` reads whenever the build verified it.
        assert!(super::file::embedded_default_split().is_some());
    }
    let fast = Model::default_model().unwrap();
    let parsed = Model::from_json_str(json).unwrap();
    assert_same_model(&fast, &parsed);
    // And the model writes back the embedded file, byte for byte.
    assert_eq!(fast.to_json_string().unwrap(), json);
}

#[test]
fn split_load_rejects_inconsistent_parts() {
    let Some((json, terms, numbers)) = super::file::embedded_default_split() else {
        return;
    };
    // Numbers for one term fewer than the terms, or a ragged byte count.
    let short = &numbers[..numbers.len() - 40];
    assert!(matches!(
        Model::from_split(json, terms, short),
        Err(ModelError::Features(_))
    ));
    assert!(matches!(
        Model::from_split(json, terms, &numbers[..numbers.len() - 1]),
        Err(ModelError::Shape(_))
    ));
    // Terms out of order.
    let (first, rest) = terms.split_once('\n').unwrap();
    let swapped = format!("{rest}\n{first}");
    assert!(Model::from_split(json, &swapped, numbers).is_err());
    // Not a model file.
    assert!(matches!(
        Model::from_split("{}", terms, numbers),
        Err(ModelError::Parse(_))
    ));
}

/// The toy model's JSON (trained once).
fn toy_json() -> &'static str {
    static JSON: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    JSON.get_or_init(|| {
        ModelParams::default()
            .fit(&toy())
            .unwrap()
            .to_json_string()
            .unwrap()
    })
}

/// Sentences the loaded models are asked about: known terms, unknown ones, cue phrases,
/// and nothing at all.
const PROBE_TEXTS: [&str; 5] = [
    "Kremlin signals openness to talks, sources say",
    "US officials denied receiving any message",
    "Analysts doubt the overture is sincere, \"a ploy\" they said",
    "zzz qqq unknown words only",
    "",
];

/// Panics unless every probability of `model` on [`PROBE_TEXTS`] is finite, in [0, 1],
/// and each distribution sums to 1.
fn assert_finite_distributions(model: &Model, context: &str) {
    for text in PROBE_TEXTS {
        let p = model.predict_proba(text);
        assert!(
            p.iter().all(|v| v.is_finite() && (0.0..=1.0).contains(v)),
            "{context}: {text:?} -> {p:?}"
        );
        let sum: f64 = p.iter().sum();
        assert!((sum - 1.0).abs() < 1e-9, "{context}: {text:?} -> {p:?}");
    }
}

/// A change made to a model file's content.
type ContentEdit = Box<dyn Fn(&mut Content)>;

#[test]
fn load_refuses_numbers_out_of_range_naming_what() {
    let json = toy_json();
    // Finite but extreme weights used to load and give NaN probabilities.
    let cases: Vec<(&str, ContentEdit, &str)> = vec![
        (
            "weight 1e308",
            Box::new(|c| c.weights[3][1] = 1e308),
            "weight of term 4",
        ),
        (
            "weight -1e308",
            Box::new(|c| c.weights[0][0] = -1e308),
            "weight of term 1",
        ),
        (
            "weight just over the bound",
            Box::new(|c| c.weights[2][2] = MAX_WEIGHT * 1.000001),
            "for label `expert_skepticism`",
        ),
        (
            "intercept 1e308",
            Box::new(|c| c.intercepts = [1e308, 1e308, 0.0, 0.0]),
            "intercept of label `russian_claim`",
        ),
        (
            "intercept -2e6",
            Box::new(|c| c.intercepts[3] = -2e6),
            "intercept of label `context`",
        ),
        (
            "alpha negative",
            Box::new(|c| c.training.params.alpha = -1.0),
            "alpha",
        ),
        (
            "convergence loss negative",
            Box::new(|c| c.training.convergence.loss = -5.0),
            "loss",
        ),
    ];
    for (what, edit, needle) in cases {
        let edited = edit_content(json, edit, true);
        let err = Model::from_json_str(&edited).unwrap_err();
        assert!(matches!(err, ModelError::OutOfRange(_)), "{what}: {err}");
        let msg = err.to_string();
        assert!(msg.contains(needle), "{what}: {msg}");
    }
    // idf and cue_weight are the featurizer's numbers.
    let idf = edit_content(json, |c| c.idf[1] = 1e308, true);
    let err = Model::from_json_str(&idf).unwrap_err();
    assert!(matches!(err, ModelError::Features(_)), "{err}");
    assert!(err.to_string().contains("outside [1, 100]"), "{err}");
    let cue = edit_content(
        json,
        |c| {
            c.featurizer.cue_weight = 1e300;
            c.training.params.featurizer.cue_weight = 1e300;
        },
        true,
    );
    let err = Model::from_json_str(&cue).unwrap_err();
    assert!(err.to_string().contains("cue_weight"), "{err}");
    // At the bounds a model still loads, and its probabilities are finite.
    let edge = edit_content(
        json,
        |c| {
            for row in &mut c.weights {
                *row = [MAX_WEIGHT, -MAX_WEIGHT, MAX_WEIGHT, -MAX_WEIGHT];
            }
            c.intercepts = [-MAX_WEIGHT, MAX_WEIGHT, 0.0, MAX_WEIGHT];
            c.idf.iter_mut().for_each(|v| *v = MAX_IDF);
            c.featurizer.cue_weight = crate::features::MAX_CUE_WEIGHT;
            c.training.params.featurizer.cue_weight = crate::features::MAX_CUE_WEIGHT;
        },
        true,
    );
    let model = Model::from_json_str(&edge).unwrap();
    assert_finite_distributions(&model, "weights at the bound");
    // The error names the file when loading one.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("extreme.json");
    std::fs::write(&path, edit_content(json, |c| c.weights[0][0] = 1e308, true)).unwrap();
    let msg = Model::load(&path).unwrap_err().to_string();
    assert!(
        msg.starts_with(&path.display().to_string()) && msg.contains("out-of-range"),
        "{msg}"
    );
}

#[test]
fn load_refuses_an_empty_vocabulary() {
    let empty = edit_content(
        toy_json(),
        |c| {
            c.vocabulary.clear();
            c.idf.clear();
            c.weights.clear();
        },
        true,
    );
    let err = Model::from_json_str(&empty).unwrap_err();
    assert!(matches!(err, ModelError::EmptyVocabulary), "{err}");
    assert!(err.to_string().contains("empty vocabulary"), "{err}");
}

#[test]
fn split_load_checks_the_range_of_numbers() {
    let Some((json, terms, numbers)) = super::file::embedded_default_split() else {
        return;
    };
    let n = terms.split('\n').count();
    // The first weight (after the n idf values), then the first idf, set to 1e308.
    for (at, want_features) in [(8 * n, false), (0, true)] {
        let mut bad = numbers.to_vec();
        bad[at..at + 8].copy_from_slice(&1e308f64.to_le_bytes());
        let err = Model::from_split(json, terms, &bad).unwrap_err();
        if want_features {
            assert!(matches!(err, ModelError::Features(_)), "{err}");
        } else {
            assert!(matches!(err, ModelError::OutOfRange(_)), "{err}");
        }
    }
    // Not a number at all (NaN bits) is refused too.
    let mut nan = numbers.to_vec();
    nan[8 * n..8 * n + 8].copy_from_slice(&f64::NAN.to_le_bytes());
    assert!(matches!(
        Model::from_split(json, terms, &nan),
        Err(ModelError::OutOfRange(_))
    ));
    // No terms at all.
    assert!(matches!(
        Model::from_split(json, "", &[]),
        Err(ModelError::EmptyVocabulary)
    ));
}

#[test]
fn the_shipped_model_is_well_inside_the_bounds() {
    let Ok(model) = Model::default_model() else {
        return;
    };
    let largest = model
        .weights()
        .iter()
        .flatten()
        .chain(model.intercepts().iter())
        .fold(0f64, |m, v| m.max(v.abs()));
    assert!(largest > 0.0 && largest < MAX_WEIGHT / 1000.0, "{largest}");
    let idf = model.featurizer().idf();
    assert!(idf.iter().all(|v| (1.0..=MAX_IDF / 5.0).contains(v)));
}

#[test]
fn a_model_beyond_the_bound_is_not_written() {
    let mut model = ModelParams::default().fit(&toy()).unwrap();
    model.weights[1][2] = 2.0 * MAX_WEIGHT;
    let err = model.to_json_string().unwrap_err();
    assert!(matches!(err, ModelError::OutOfRange(_)), "{err}");
    assert!(err.to_string().contains("raise it"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.json");
    assert!(model.save(&path).is_err());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    // In memory its probabilities stay finite (the softmax subtracts the largest score).
    assert_finite_distributions(&model, "in memory");
    // At the bound it is written and loads.
    model.weights[1][2] = -MAX_WEIGHT;
    model.save(&path).unwrap();
    assert_eq!(Model::load(&path).unwrap(), model);
}

#[test]
fn training_without_any_term_gives_no_model_file() {
    let mut params = ModelParams::default();
    params.featurizer.cues = Vec::new();
    let examples = vec![
        ex("!!!", Label::Context, "a", 0),
        ex("...", Label::UsDenial, "a", 1),
    ];
    let model = params.fit(&examples).unwrap();
    assert_eq!(model.featurizer().n_features(), 0);
    assert!(matches!(
        model.to_json_string(),
        Err(ModelError::EmptyVocabulary)
    ));
}

/// Which numbers of the toy model a property case changes.
#[derive(Debug, Clone, Copy)]
enum Target {
    OneWeight,
    OneIntercept,
    OneIdf,
    AllWeights,
    WeightsAndIntercepts,
    AllIdf,
    CueWeight,
}

/// Whether `c` keeps every number within the bounds docs/MODEL.md states.
fn within_documented_bounds(c: &Content) -> bool {
    let w_ok = |v: &f64| v.is_finite() && v.abs() <= 1e6;
    c.weights.iter().flatten().all(w_ok)
        && c.intercepts.iter().all(w_ok)
        && c.idf.iter().all(|v| (1.0..=100.0).contains(v))
        && (1e-3..=1e3).contains(&c.featurizer.cue_weight)
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

    /// A model that loads gives finite probabilities summing to 1: random changes and
    /// scalings of a trained model's numbers, within and far beyond the bounds, either load
    /// (exactly when every number is within the documented bounds) and give finite
    /// distributions, or are refused with an error that names the file.
    #[test]
    fn perturbed_models_load_with_finite_probabilities_or_are_refused(
        target in proptest::sample::select(vec![
            Target::OneWeight,
            Target::OneIntercept,
            Target::OneIdf,
            Target::AllWeights,
            Target::WeightsAndIntercepts,
            Target::AllIdf,
            Target::CueWeight,
        ]),
        index in 0usize..10_000,
        exponent in -4i32..=310,
        mantissa in 0.5f64..2.0,
        negative in proptest::bool::ANY,
    ) {
        let factor = if negative { -mantissa } else { mantissa } * 10f64.powi(exponent);
        let mut within = true;
        let json = edit_content(
            toy_json(),
            |c| {
                let n = c.weights.len();
                match target {
                    Target::OneWeight => c.weights[index % n][index % 4] = factor,
                    Target::OneIntercept => c.intercepts[index % 4] = factor,
                    Target::OneIdf => c.idf[index % n] = factor.abs(),
                    Target::AllWeights => {
                        c.weights.iter_mut().flatten().for_each(|v| *v *= factor)
                    }
                    Target::WeightsAndIntercepts => {
                        c.weights.iter_mut().flatten().for_each(|v| *v *= factor);
                        c.intercepts.iter_mut().for_each(|v| *v *= factor);
                    }
                    Target::AllIdf => c.idf.iter_mut().for_each(|v| *v *= factor.abs()),
                    Target::CueWeight => {
                        c.featurizer.cue_weight = factor.abs();
                        c.training.params.featurizer.cue_weight = factor.abs();
                    }
                }
                within = within_documented_bounds(c);
            },
            true,
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("perturbed.json");
        std::fs::write(&path, json).unwrap();
        match Model::load(&path) {
            Ok(model) => {
                proptest::prop_assert!(within, "a model beyond the bounds loaded");
                assert_finite_distributions(&model, &format!("{target:?} x {factor:e}"));
            }
            Err(e) => {
                proptest::prop_assert!(!within, "refused within the bounds: {e}");
                let msg = e.to_string();
                proptest::prop_assert!(
                    msg.starts_with(&path.display().to_string()),
                    "the error does not name the file: {msg}"
                );
            }
        }
    }
}

/// A fit started from another model's weights (matched by term) reaches the same model as
/// a fit from zero, within the tolerance, in fewer iterations; a label the new data lacks
/// stays at zero; the start is deterministic.
#[test]
fn a_warm_started_fit_reaches_the_cold_fit_in_fewer_iterations() {
    let all = synthetic(400);
    // alpha 0.3: on this small synthetic set a weaker penalty leaves the optimum so flat
    // that both starts need the same number of iterations (the property is about the start).
    let params = ModelParams {
        alpha: 0.3,
        tolerance: 1e-7,
        ..ModelParams::default()
    };
    let full = params.fit(&all).unwrap();
    // Most of the sentences (a fold of an inner cross-validation): a smaller vocabulary.
    let part: Vec<&Example> = all.iter().filter(|e| e.index % 5 != 0).collect();
    let cold = params.fit_refs(&part).unwrap();
    let warm = params.fit_refs_from(&part, Some(&full)).unwrap();
    assert!(cold.featurizer().n_features() < full.featurizer().n_features());
    let (c, w) = (&cold.training().convergence, &warm.training().convergence);
    assert!(c.converged && w.converged, "{c} / {w}");
    assert!(
        w.iterations.unwrap() < c.iterations.unwrap(),
        "warm {w} vs cold {c}"
    );
    assert!(
        (c.loss - w.loss).abs() <= 1e-9 * c.loss,
        "{} vs {}",
        c.loss,
        w.loss
    );
    for e in &all {
        let (p, q) = (cold.predict_proba(&e.text), warm.predict_proba(&e.text));
        for k in 0..4 {
            assert!((p[k] - q[k]).abs() < 1e-4, "{p:?} vs {q:?}");
        }
    }
    assert_eq!(warm, params.fit_refs_from(&part, Some(&full)).unwrap());
    // Without one label: its column starts (and stays) at zero.
    let three: Vec<&Example> = part
        .iter()
        .copied()
        .filter(|e| e.label != Label::UsDenial)
        .collect();
    let m = params.fit_refs_from(&three, Some(&full)).unwrap();
    let u = Label::UsDenial.index();
    assert!(m.weights().iter().all(|r| r[u] == 0.0));
    assert_eq!(m.intercepts()[u], 0.0);
    assert!(m.training().convergence.converged);
    assert_eq!(m.predict_proba("officials denied it")[u], 0.0);
}

/// The matrix by feature is allocated from the document frequencies read back from the idf:
/// they are the counted ones (with and without neighbour features, a `min_df` and character
/// n-grams); a count that is off by one either way is caught; and with a featurizer fitted on
/// other sentences (so the idf says nothing about these) the counting pass gives the same
/// matrix as the rows featurized one article at a time.
#[test]
fn the_matrix_counts_read_from_the_idf_are_checked_and_exact() {
    let examples = synthetic(600);
    let refs: Vec<&Example> = examples.iter().collect();
    let groups = article_groups(&refs);
    for (neighbours, min_df, char_weight) in [
        (false, 1, 0.0),
        (true, 1, 0.0),
        (false, 3, 0.0),
        (false, 1, 0.5),
    ] {
        let mut params = ModelParams::default();
        params.featurizer.neighbours = neighbours;
        params.featurizer.min_df = min_df;
        params.featurizer.char_weight = char_weight;
        let (featurizer, xt) = params.design_by_feature(&refs);
        let counted = count_by_feature(&featurizer, &refs, &groups);
        assert_eq!(
            counts_from_idf(&featurizer, refs.len()).as_deref(),
            Some(&counted[..])
        );
        let filled = fill_by_feature(&featurizer, &refs, &groups, &counted).unwrap();
        assert_eq!(
            (&filled.indptr, &filled.indices, &filled.values),
            (&xt.indptr, &xt.indices, &xt.values)
        );
        let a = counted.iter().position(|&c| c > 1).unwrap();
        let b = (a + 1) % counted.len();
        for (from, to) in [(a, b), (b, a)] {
            let mut wrong = counted.clone();
            wrong[from] -= 1;
            wrong[to] += 1;
            assert!(fill_by_feature(&featurizer, &refs, &groups, &wrong).is_none());
        }
    }
    // A featurizer fitted on the first 300 sentences, used on all 600.
    let params = ModelParams::default();
    let (featurizer, _) = params.design_by_feature(&refs[..300]);
    assert_ne!(
        counts_from_idf(&featurizer, refs.len()),
        Some(count_by_feature(&featurizer, &refs, &groups))
    );
    let xt = featurize_by_feature(&featurizer, &refs, &groups);
    let mut rows = vec![SparseVec::default(); refs.len()];
    for idxs in &groups {
        let texts: Vec<&str> = idxs.iter().map(|&i| refs[i].text.as_str()).collect();
        for (&i, row) in idxs.iter().zip(featurizer.transform_article(&texts)) {
            rows[i] = row;
        }
    }
    let expected = Csr::from_rows(&rows, featurizer.n_features()).transpose();
    assert_eq!(
        (&xt.indptr, &xt.indices, &xt.values),
        (&expected.indptr, &expected.indices, &expected.values)
    );
}

#[test]
fn a_model_with_character_ngrams_carries_them_and_loads_back_exactly() {
    let mut params = ModelParams::default();
    params.featurizer.char_weight = 0.5;
    params.featurizer.char_min_df = 1;
    let model = params.fit(&synthetic(200)).unwrap();
    let json = model.to_json_string().unwrap();
    assert!(
        json.contains("\"char_weight\": 0.5") || json.contains("\"char_weight\":0.5"),
        "the setting is recorded"
    );
    assert!(model
        .featurizer()
        .vocabulary()
        .iter()
        .any(|t| crate::features::is_char_term(t)));
    let loaded = Model::from_json_str(&json).unwrap();
    assert_same_model(&loaded, &model);
    for e in synthetic(20) {
        let a = loaded.predict_proba(&e.text);
        let b = model.predict_proba(&e.text);
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
    }
    // Without them, the file has no trace of the option (older readers' bytes).
    let plain = ModelParams::default().fit(&synthetic(200)).unwrap();
    assert!(!plain.to_json_string().unwrap().contains("char_"));
}
