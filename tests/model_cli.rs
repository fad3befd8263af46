//! Integration tests of `train`, `evaluate`, `classify` and `explain` on a small gold fixture
//! written by the tests themselves.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// Writes an inline gold file of 8 articles (5 sentences each, every label present).
fn gold(dir: &Path) -> PathBuf {
    let mut lines = Vec::new();
    for a in 0..8 {
        let rows = [
            (
                "Kremlin signalled openness to ceasefire talks, sources said",
                "russian_claim",
            ),
            (
                "US officials denied receiving any such message",
                "us_denial",
            ),
            (
                "Analysts doubt the overture is sincere",
                "expert_skepticism",
            ),
            ("Fighting continued along the front line", "context"),
            ("Congress debated the aid package", "context"),
        ];
        for (i, (text, label)) in rows.iter().enumerate() {
            lines.push(
                serde_json::json!({
                    "article": format!("art{a}"), "outlet": format!("outlet{}", a % 4),
                    "index": i, "text": format!("{text} {a}"), "label": label,
                })
                .to_string(),
            );
        }
    }
    let p = dir.join("gold.jsonl");
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    p
}

fn claimtrack() -> Command {
    Command::cargo_bin("claimtrack").unwrap()
}

/// Runs `claimtrack ARGS... FILE`, expects success and parses stdout as JSON.
fn json_of(args: &[&str], file: &Path) -> serde_json::Value {
    let out = claimtrack()
        .args(args)
        .arg(file)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).unwrap()
}

/// A model file as JSON.
fn model_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The terms of a model file's `content`.
fn vocabulary(content: &serde_json::Value) -> Vec<&str> {
    content["vocabulary"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect()
}

fn train(dir: &Path, out: &str) -> PathBuf {
    let g = gold(dir);
    let m = dir.join(out);
    claimtrack()
        .args(["train", "--alpha", "0.1", "--data"])
        .arg(&g)
        .arg("--out")
        .arg(&m)
        .assert()
        .success();
    m
}

#[test]
fn train_is_byte_identical_and_records_provenance() {
    let dir = tempfile::tempdir().unwrap();
    let a = train(dir.path(), "a.json");
    let b = train(dir.path(), "b.json");
    let (ja, jb) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert_eq!(ja, jb);
    let v: serde_json::Value = serde_json::from_slice(&ja).unwrap();
    let t = &v["content"]["training"];
    assert_eq!(t["examples"], 40);
    assert_eq!(t["label_counts"]["context"], 16);
    assert_eq!(t["data_files"][0]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(t["convergence"]["converged"], true);
}

#[test]
fn classify_passes_fields_through_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let m = train(dir.path(), "m.json");
    let input = "{\"id\":7,\"text\":\"US officials denied any message\",\"article\":\"x\",\"extra\":[1,2]}\n\
                 \n\
                 Kremlin signalled openness to talks\n";
    let out = claimtrack()
        .args(["classify", "--model"])
        .arg(&m)
        .write_stdin(input)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with(
            "{\"id\":7,\"text\":\"US officials denied any message\",\"article\":\"x\",\"extra\":[1,2],\"label\":\"us_denial\",\"probs\":{\"russian_claim\":"
        ),
        "{}",
        lines[0]
    );
    let second: serde_json::Value = serde_json::from_str(lines[1]).unwrap();
    assert_eq!(second["text"], "Kremlin signalled openness to talks");
    assert_eq!(second["label"], "russian_claim");
    let sum: f64 = second["probs"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_f64().unwrap())
        .sum();
    assert!((sum - 1.0).abs() < 1e-9);
}

#[test]
fn classify_names_file_and_line_of_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let m = train(dir.path(), "m.json");
    let bad = dir.path().join("in.jsonl");
    std::fs::write(&bad, "{\"text\": \"fine\"}\n{\"no_text\": 1}\n").unwrap();
    let assert = claimtrack()
        .args(["classify", "--model"])
        .arg(&m)
        .arg(&bad)
        .assert()
        .failure();
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(
        err.contains("in.jsonl:2") && err.contains("\"text\""),
        "{err}"
    );
    std::fs::write(&bad, "{not json\n").unwrap();
    let assert = claimtrack()
        .args(["classify", "--model"])
        .arg(&m)
        .arg(&bad)
        .assert()
        .failure();
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(err.contains("in.jsonl:1"), "{err}");
}

#[test]
fn damaged_model_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let m = train(dir.path(), "m.json");
    let text = std::fs::read_to_string(&m).unwrap();
    let damaged = text.replacen("\"examples\": 40", "\"examples\": 41", 1);
    assert_ne!(text, damaged);
    std::fs::write(&m, damaged).unwrap();
    let assert = claimtrack()
        .args(["explain", "--model"])
        .arg(&m)
        .arg("a sentence")
        .assert()
        .failure();
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(err.contains("m.json") && err.contains("checksum"), "{err}");
}

#[test]
fn explain_and_evaluate_report_on_the_fixture() {
    let dir = tempfile::tempdir().unwrap();
    let m = train(dir.path(), "m.json");
    let out = claimtrack()
        .args(["explain", "-k", "2", "--model"])
        .arg(&m)
        .arg("Officials denied the message")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("label:    us_denial"), "{text}");
    assert!(text.contains("deni"), "{text}");

    let g = gold(dir.path());
    let v = json_of(&["evaluate", "--alpha", "0.1", "--json", "--data"], &g);
    assert_eq!(v["folds"], 8);
    assert_eq!(v["model"]["accuracy"], 1.0);
    assert!(v["baseline"]["macro_f1"].as_f64().unwrap() < 0.2);
    let out = claimtrack()
        .args(["evaluate", "--alpha", "0.1", "--group", "outlet", "--data"])
        .arg(&g)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.starts_with("leave-one-outlet-out: 4 folds, 40 sentences"),
        "{text}"
    );
}

#[test]
fn learning_curve_reports_one_point_per_fraction() {
    let dir = tempfile::tempdir().unwrap();
    let g = gold(dir.path());
    let v = json_of(
        &[
            "evaluate",
            "--group",
            "outlet",
            "--folds",
            "4",
            "--learning-curve",
            "1,0.5",
            "--json",
            "--data",
        ],
        &g,
    );
    let points = v["points"].as_array().unwrap();
    assert_eq!(points.len(), 2);
    // Sorted by fraction; each fold trains on 6 of 8 articles, or 3 at one half.
    assert_eq!(points[0]["fraction"], 0.5);
    assert_eq!(points[0]["train_articles"], 3.0);
    assert_eq!(points[1]["train_articles"], 6.0);
    assert_eq!(points[1]["train_sentences"], 30.0);
    for p in points {
        assert_eq!(p["model"]["support"], 40);
    }
    // A fraction out of range is refused with a clear message.
    let err = claimtrack()
        .args(["evaluate", "--learning-curve", "0", "--data"])
        .arg(&g)
        .assert()
        .failure()
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(err).unwrap();
    assert!(err.contains("fraction 0 is not in (0, 1]"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_custom_cue_lexicon_is_stored_in_the_model_and_bad_lines_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let g = gold(dir.path());
    let lex = dir.path().join("lex.tsv");
    std::fs::write(&lex, "# mine\nmycue\tdoubt\nmycue\tsincere\n").unwrap();
    let m = dir.path().join("m.json");
    claimtrack()
        .args(["train", "--data"])
        .arg(&g)
        .arg("--cues")
        .arg(&lex)
        .arg("--out")
        .arg(&m)
        .assert()
        .success();
    let model = model_json(&m);
    let content = &model["content"];
    assert_eq!(content["featurizer"]["cues"][1]["phrase"], "sincere");
    let vocab = vocabulary(content);
    assert!(vocab.contains(&"cue:mycue"));
    assert!(
        !vocab.contains(&"cue:denial"),
        "only the given lexicon is used"
    );

    std::fs::write(&lex, "mycue\tdoubt\nno tab on this line\n").unwrap();
    let err = claimtrack()
        .args(["train", "--data"])
        .arg(&g)
        .arg("--cues")
        .arg(&lex)
        .arg("--out")
        .arg(dir.path().join("m2.json"))
        .assert()
        .failure()
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(err).unwrap();
    assert!(err.contains("lex.tsv:2"), "{err}");
    assert!(!dir.path().join("m2.json").exists());
}

#[test]
fn evaluate_by_outlet_scores_each_held_out_outlet() {
    let dir = tempfile::tempdir().unwrap();
    let g = gold(dir.path());
    let v = json_of(
        &[
            "evaluate", "--group", "outlet", "--by", "outlet", "--json", "--data",
        ],
        &g,
    );
    let groups = v["groups"].as_array().unwrap();
    let names: Vec<&str> = groups
        .iter()
        .map(|g| g["group"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(sorted, ["outlet0", "outlet1", "outlet2", "outlet3"]);
    assert!(groups.iter().all(|g| g["sentences"] == 10));
    // Worst first.
    let acc: Vec<f64> = groups
        .iter()
        .map(|g| g["accuracy"].as_f64().unwrap())
        .collect();
    assert!(acc.windows(2).all(|w| w[0] <= w[1]), "{acc:?}");
    assert_eq!(v["report"]["examples"], 40);
}

/// `--threads` changes nothing in the output: classify (many articles, plain and JSON lines,
/// so the parallel chunks and the per-article batches both matter), score and train give the
/// same bytes with one thread and with three; `--threads 0` is refused with a clear error.
#[test]
fn output_is_identical_whatever_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let mut input = String::new();
    for i in 0..3000 {
        if i % 7 == 0 {
            input.push_str(&format!("Analysts doubt the overture {i} is sincere.\n"));
        } else {
            input.push_str(
                &serde_json::json!({
                    "article": format!("a{}", i / 9), "index": i % 9,
                    "text": format!("US officials denied receiving message number {i}."),
                })
                .to_string(),
            );
            input.push('\n');
        }
    }
    let run = |threads: &str, args: &[&str], stdin: Option<&str>| {
        let mut cmd = Command::cargo_bin("claimtrack").unwrap();
        cmd.args(["--threads", threads]).args(args);
        if let Some(s) = stdin {
            cmd.write_stdin(s.to_string());
        }
        let out = cmd.assert().success().get_output().stdout.clone();
        assert!(!out.is_empty());
        out
    };
    let one = run("1", &["classify"], Some(&input));
    assert_eq!(one, run("3", &["classify"], Some(&input)));
    assert_eq!(String::from_utf8(one).unwrap().lines().count(), 3000);
    let seeds = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds");
    assert_eq!(
        run("1", &["score", "-q", seeds], None),
        run("3", &["score", "-q", seeds], None)
    );
    let g = gold(dir.path());
    let (m1, m3) = (dir.path().join("m1.json"), dir.path().join("m3.json"));
    let g = g.to_str().unwrap();
    for (t, m) in [("1", &m1), ("3", &m3)] {
        Command::cargo_bin("claimtrack")
            .unwrap()
            .args([
                "--threads",
                t,
                "train",
                "--data",
                g,
                "--out",
                m.to_str().unwrap(),
            ])
            .assert()
            .success();
    }
    assert_eq!(std::fs::read(&m1).unwrap(), std::fs::read(&m3).unwrap());
    Command::cargo_bin("claimtrack")
        .unwrap()
        .args(["--threads", "0", "classify"])
        .assert()
        .failure()
        .stderr(predicates::str::contains("--threads"));
}

#[test]
fn character_ngrams_are_stored_in_the_model_and_bad_weights_refused() {
    let dir = tempfile::tempdir().unwrap();
    let g = gold(dir.path());
    let m = dir.path().join("m.json");
    claimtrack()
        .args(["train", "--data"])
        .arg(&g)
        .args(["--char-ngrams", "0.5", "--char-min-df", "6", "--out"])
        .arg(&m)
        .assert()
        .success();
    let model = model_json(&m);
    let content = &model["content"];
    assert_eq!(content["featurizer"]["char_weight"], 0.5);
    assert_eq!(content["featurizer"]["char_min_df"], 6);
    let vocab = vocabulary(content);
    // `doubt` is in 8 sentences, each article number (` 7 `) in 5.
    assert!(vocab.contains(&"chr:doub"), "{vocab:?}");
    assert!(!vocab.contains(&"chr: 7 "));
    // The model classifies with them.
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "Analysts doubted the overture\n").unwrap();
    let out = claimtrack()
        .args(["--threads", "1", "classify", "--model"])
        .arg(&m)
        .arg(&input)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let row: serde_json::Value =
        serde_json::from_str(String::from_utf8(out).unwrap().lines().next().unwrap()).unwrap();
    assert_eq!(row["label"], "expert_skepticism", "{row}");

    for bad in ["nan", "101"] {
        let err = claimtrack()
            .args(["train", "--data"])
            .arg(&g)
            .args(["--char-ngrams", bad, "--out"])
            .arg(dir.path().join("m2.json"))
            .assert()
            .code(2)
            .get_output()
            .stderr
            .clone();
        let err = String::from_utf8(err).unwrap();
        assert!(err.contains("char_weight"), "{bad}: {err}");
        assert!(!dir.path().join("m2.json").exists());
    }
}
