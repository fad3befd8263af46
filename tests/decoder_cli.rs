//! Integration tests of the label-sequence decoder through the binary: `train` stores it
//! (or not, with --no-decode), `score`, `report` and `classify` use it by default and
//! --no-decode turns it off, the probabilities and framing scores never change, and
//! `evaluate` reports argmax and decoded metrics side by side, also per role.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn claimtrack() -> Command {
    Command::cargo_bin("claimtrack").unwrap()
}

fn seeds() -> &'static str {
    concat!(env!("CARGO_MANIFEST_DIR"), "/seeds")
}

/// Runs claimtrack with `args` (and `stdin`), expects success, returns stdout.
fn run(args: &[&str], stdin: Option<&str>) -> String {
    let mut cmd = claimtrack();
    cmd.args(args);
    if let Some(s) = stdin {
        cmd.write_stdin(s.to_string());
    }
    String::from_utf8(cmd.assert().success().get_output().stdout.clone()).unwrap()
}

fn json_lines(s: &str) -> Vec<Value> {
    s.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

const PRECEDENCE: [&str; 4] = ["us_denial", "expert_skepticism", "russian_claim", "context"];

/// The most probable label of a `probs` object (keyed by label), ties by `PRECEDENCE`.
fn argmax(probs: &Value) -> &'static str {
    let at = |l: &str| probs[l].as_f64().unwrap();
    let mut best = PRECEDENCE[0];
    for l in PRECEDENCE {
        if at(l) > at(best) {
            best = l;
        }
    }
    best
}

#[test]
fn score_decodes_by_default_and_no_decode_gives_the_argmax_with_the_same_framing() {
    let decoded = json_lines(&run(&["score", "-q", seeds()], None));
    let plain = json_lines(&run(&["score", "-q", "--no-decode", seeds()], None));
    assert_eq!(decoded.len(), 5);
    assert_eq!(decoded.len(), plain.len());
    let mut changed = 0;
    for (d, p) in decoded.iter().zip(&plain) {
        // The framing score uses probabilities only: identical, as are the probabilities.
        assert_eq!(d["framing"], p["framing"]);
        assert!(
            d["decoder"].as_f64().unwrap() > 0.0,
            "the shipped model decodes"
        );
        assert!(p.get("decoder").is_none());
        assert!(d["model"].as_str().unwrap().contains("labels decoded"));
        assert!(!p["model"].as_str().unwrap().contains("decoded"));
        let (ds, ps) = (
            d["sentences"].as_array().unwrap(),
            p["sentences"].as_array().unwrap(),
        );
        assert_eq!(ds.len(), ps.len());
        for (x, y) in ds.iter().zip(ps) {
            assert_eq!(x["probs"], y["probs"]);
            assert!(y.get("argmax").is_none());
            assert_eq!(y["label"], argmax(&y["probs"]));
            // A decoded label that differs from the argmax says so; one that does not, does not.
            match x.get("argmax") {
                Some(a) => {
                    assert_eq!(a, argmax(&x["probs"]));
                    assert_ne!(x["label"], *a);
                    changed += 1;
                }
                None => assert_eq!(x["label"], argmax(&x["probs"])),
            }
        }
    }
    assert!(changed > 0, "the decoder changed no seed sentence's label");
}

#[test]
fn report_labels_follow_the_decoder_and_scores_do_not_move() {
    let d: Value =
        serde_json::from_str(&run(&["report", "-q", "--format", "json", seeds()], None)).unwrap();
    let p: Value = serde_json::from_str(&run(
        &["report", "-q", "--format", "json", "--no-decode", seeds()],
        None,
    ))
    .unwrap();
    let (od, op) = (
        d["outlets"].as_array().unwrap(),
        p["outlets"].as_array().unwrap(),
    );
    assert_eq!(od.len(), op.len());
    for (x, y) in od.iter().zip(op) {
        for key in ["outlet", "score", "interval", "label_shares", "sentences"] {
            assert_eq!(x[key], y[key], "{key}");
        }
    }
    // Label counts come from the labels: the decoded ones differ somewhere on the seeds.
    let counts = |r: &Value| -> Vec<Value> {
        r["articles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["label_counts"].clone())
            .collect()
    };
    assert_ne!(counts(&d), counts(&p));
    let models = d["models"].to_string();
    assert!(models.contains("labels decoded"), "{models}");
    assert!(!p["models"].to_string().contains("decoded"));
}

#[test]
fn classify_decodes_article_runs_only() {
    let sentences = run(&["sentences", seeds()], None);
    let plain_text: String = json_lines(&sentences)
        .iter()
        .map(|v| format!("{}\n", v["text"].as_str().unwrap()))
        .collect();
    let d = json_lines(&run(&["classify"], Some(&sentences)));
    let p = json_lines(&run(&["classify", "--no-decode"], Some(&sentences)));
    assert_eq!(d.len(), p.len());
    let mut changed = 0;
    for (x, y) in d.iter().zip(&p) {
        assert_eq!(x["probs"], y["probs"]);
        assert!(y.get("argmax").is_none());
        if let Some(a) = x.get("argmax") {
            assert_eq!(*a, y["label"]);
            assert_ne!(x["label"], y["label"]);
            changed += 1;
        } else {
            assert_eq!(x["label"], y["label"]);
        }
    }
    assert!(changed > 0);
    // Lines without an "article" (here: plain text) are never decoded.
    assert_eq!(
        run(&["classify"], Some(&plain_text)),
        run(&["classify", "--no-decode"], Some(&plain_text))
    );
    // The decoded labels are those of `score` (the same sentences, one article per run).
    let scored = json_lines(&run(&["score", "-q", seeds()], None));
    let score_labels: Vec<Value> = scored
        .iter()
        .flat_map(|a| a["sentences"].as_array().unwrap().clone())
        .map(|s| s["label"].clone())
        .collect();
    let classify_labels: Vec<Value> = d.iter().map(|v| v["label"].clone()).collect();
    assert_eq!(score_labels, classify_labels);
}

/// An inline gold file of 12 articles whose second sentence ("He repeated it.") carries the
/// label of the first: only the sequence can tell. Roles: headline, lede, body.
fn sequence_gold(dir: &Path) -> PathBuf {
    let mut lines = Vec::new();
    for a in 0..12 {
        let (first, label) = if a % 2 == 0 {
            (
                "Kremlin signalled openness to ceasefire talks",
                "russian_claim",
            )
        } else {
            (
                "US officials denied receiving any such message",
                "us_denial",
            )
        };
        let rows = [
            (format!("{first} {a}"), label, "headline"),
            (format!("He repeated it {a}"), label, "lede"),
            (
                format!("Fighting continued along the front line {a}"),
                "context",
                "body",
            ),
        ];
        for (i, (text, label, role)) in rows.iter().enumerate() {
            lines.push(
                serde_json::json!({
                    "article": format!("art{a:02}"), "outlet": format!("outlet{}", a % 3),
                    "index": i, "role": role, "text": text, "label": label,
                })
                .to_string(),
            );
        }
    }
    let p = dir.join("gold.jsonl");
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    p
}

#[test]
fn train_stores_a_decoder_unless_told_not_to() {
    let dir = tempfile::tempdir().unwrap();
    let g = sequence_gold(dir.path());
    let (with, without) = (
        dir.path().join("with.json"),
        dir.path().join("without.json"),
    );
    let g = g.to_str().unwrap();
    let out = claimtrack()
        .args([
            "train",
            "--alpha",
            "0.1",
            "--no-calibrate",
            "--data",
            g,
            "--out",
        ])
        .arg(&with)
        .assert()
        .success()
        .get_output()
        .stderr
        .clone();
    assert!(String::from_utf8(out)
        .unwrap()
        .contains("label-sequence decoder: w="));
    claimtrack()
        .args([
            "train",
            "--alpha",
            "0.1",
            "--no-decode",
            "--no-calibrate",
            "--data",
            g,
            "--out",
        ])
        .arg(&without)
        .assert()
        .success();
    let w: Value = serde_json::from_slice(&std::fs::read(&with).unwrap()).unwrap();
    let wo: Value = serde_json::from_slice(&std::fs::read(&without).unwrap()).unwrap();
    assert_eq!(w["format_version"], 3);
    assert_eq!(wo["format_version"], 2);
    assert!(wo["content"].get("decoder").is_none());
    let d = &w["content"]["decoder"];
    assert!(d["weight"].as_f64().unwrap() > 0.0, "{d}");
    assert_eq!(d["selection"]["scores"].as_array().unwrap().len(), 7);
    // Everything but the decoder is the same model.
    let mut stripped = w["content"].clone();
    stripped.as_object_mut().unwrap().remove("decoder");
    assert_eq!(stripped, wo["content"]);
    // An out-of-range candidate weight is refused before training.
    claimtrack()
        .args(["train", "--decode-weights", "0,-1", "--data", g, "--out"])
        .arg(dir.path().join("bad.json"))
        .assert()
        .failure()
        .stderr(predicates::str::contains("--decode-weights"));
    assert!(!dir.path().join("bad.json").exists());
}

#[test]
fn evaluate_reports_decoded_metrics_and_per_role_scores() {
    let dir = tempfile::tempdir().unwrap();
    let g = sequence_gold(dir.path());
    let g = g.to_str().unwrap();
    let v: Value = serde_json::from_str(&run(
        &[
            "evaluate", "--alpha", "0.1", "--group", "outlet", "--by", "role", "--json", "--data",
            g,
        ],
        None,
    ))
    .unwrap();
    let report = &v["report"];
    let (model, decoded) = (
        report["model"]["macro_f1"].as_f64().unwrap(),
        report["decoded"]["macro_f1"].as_f64().unwrap(),
    );
    assert!(decoded > model, "decoded {decoded}, argmax {model}");
    assert_eq!(report["decoded"]["per_label"].as_array().unwrap().len(), 4);
    let roles = v["roles"].as_array().unwrap();
    let names: Vec<&str> = roles.iter().map(|r| r["role"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["headline", "lede", "heading", "body", "headline+lede"]
    );
    let n: Vec<u64> = roles
        .iter()
        .map(|r| r["sentences"].as_u64().unwrap())
        .collect();
    assert_eq!(n, [12, 12, 0, 12, 24]);
    // The ambiguous lede sentences are where decoding helps.
    let acc = |r: &Value, k: &str| r[k]["accuracy"].as_f64().unwrap();
    assert!(acc(&roles[1], "decoded") > acc(&roles[1], "model"));
    let text = run(
        &[
            "evaluate", "--alpha", "0.1", "--group", "outlet", "--by", "role", "--data", g,
        ],
        None,
    );
    assert!(
        text.contains("per role, model (per-sentence argmax)"),
        "{text}"
    );
    assert!(text.contains("headline+lede"), "{text}");
    assert!(text.contains("with decoder"), "{text}");
    // --no-decode: the argmax only, and the same argmax figures.
    let plain: Value = serde_json::from_str(&run(
        &[
            "evaluate",
            "--alpha",
            "0.1",
            "--group",
            "outlet",
            "--no-decode",
            "--json",
            "--data",
            g,
        ],
        None,
    ))
    .unwrap();
    assert!(plain.get("decoded").is_none());
    assert_eq!(plain["model"], report["model"]);
}
