//! Integration tests of probability calibration (`train` stores a temperature, `evaluate`
//! reports ECE / log-loss / Brier and draws the reliability diagram, `classify` emits the
//! calibrated probabilities) and of the guards around training data and the shipped model.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn claimtrack() -> Command {
    let mut c = Command::cargo_bin("claimtrack").unwrap();
    c.env_remove("CLAIMTRACK_CORPUS");
    c
}

/// An inline gold file of 12 articles whose sentences are only partly separable (shared
/// words between labels), so a regularised model is unsure and calibration has work to do.
fn gold(dir: &Path) -> PathBuf {
    let rows = [
        (
            "Kremlin signalled openness to talks, sources said",
            "russian_claim",
        ),
        (
            "Sources said Moscow wants a ceasefire deal",
            "russian_claim",
        ),
        ("US officials denied the Kremlin message", "us_denial"),
        ("The White House said no such talks took place", "us_denial"),
        ("Analysts doubt the Kremlin overture", "expert_skepticism"),
        (
            "Experts said the talks offer looks like a ploy",
            "expert_skepticism",
        ),
        ("Fighting continued near the front", "context"),
        ("Congress debated the aid package for talks", "context"),
    ];
    let mut lines = Vec::new();
    for a in 0..12 {
        for (i, (text, label)) in rows.iter().enumerate() {
            lines.push(
                serde_json::json!({
                    "article": format!("art{a}"), "outlet": format!("outlet{}", a % 6),
                    "index": i, "text": format!("{text} {}", a % 3), "label": label,
                })
                .to_string(),
            );
        }
    }
    let p = dir.join("gold.jsonl");
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    p
}

fn model_json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

#[test]
fn train_stores_a_temperature_and_classify_emits_calibrated_probabilities() {
    let d = tempfile::tempdir().unwrap();
    let g = gold(d.path());
    let (cal, raw) = (d.path().join("cal.json"), d.path().join("raw.json"));
    let err = claimtrack()
        .args(["train", "--alpha", "3", "--no-decode", "--data"])
        .arg(&g)
        .arg("--out")
        .arg(&cal)
        .assert()
        .success()
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(err).unwrap();
    assert!(err.contains("calibration: temperature T="), "{err}");
    claimtrack()
        .args([
            "train",
            "--alpha",
            "3",
            "--no-decode",
            "--no-calibrate",
            "--data",
        ])
        .arg(&g)
        .arg("--out")
        .arg(&raw)
        .assert()
        .success();
    let (c, r) = (model_json(&cal), model_json(&raw));
    assert_eq!(c["format_version"], 4);
    assert_eq!(r["format_version"], 2);
    let t = c["content"]["calibration"]["temperature"].as_f64().unwrap();
    assert!(t > 0.0 && t != 1.0, "{t}");
    // Everything but the calibration is the same model.
    let mut stripped = c["content"].clone();
    stripped.as_object_mut().unwrap().remove("calibration");
    assert_eq!(stripped, r["content"]);

    // classify: same labels, probabilities p^(1/T) renormalised.
    let input = "Sources said the Kremlin wants talks\nAnalysts doubt it\nFighting continued\n";
    let run = |m: &Path| -> Vec<Value> {
        let out = claimtrack()
            .args(["classify", "--model"])
            .arg(m)
            .arg("-")
            .write_stdin(input)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let (pc, pr) = (run(&cal), run(&raw));
    assert_eq!(pc.len(), 3);
    for (a, b) in pc.iter().zip(&pr) {
        assert_eq!(a["label"], b["label"]);
        let probs = |v: &Value| -> Vec<f64> {
            let p = &v["probs"];
            match p {
                Value::Array(xs) => xs.iter().map(|x| x.as_f64().unwrap()).collect(),
                Value::Object(m) => m.values().map(|x| x.as_f64().unwrap()).collect(),
                _ => panic!("probs: {p}"),
            }
        };
        let (qa, qb) = (probs(a), probs(b));
        let scaled: Vec<f64> = qb.iter().map(|p| p.powf(1.0 / t)).collect();
        let s: f64 = scaled.iter().sum();
        for (x, y) in qa.iter().zip(&scaled) {
            assert!((x - y / s).abs() < 1e-4, "{qa:?} vs {qb:?} at T={t}");
        }
    }
}

#[test]
fn evaluate_reports_calibration_metrics_and_writes_the_reliability_diagram() {
    let d = tempfile::tempdir().unwrap();
    let g = gold(d.path());
    let svg = d.path().join("rel.svg");
    let out = claimtrack()
        .args([
            "evaluate",
            "--alpha",
            "3",
            "--no-decode",
            "--group",
            "outlet",
            "--folds",
            "3",
            "--json",
            "--data",
        ])
        .arg(&g)
        .arg("--reliability")
        .arg(&svg)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    let after = &v["probabilities"];
    let before = &v["uncalibrated_probabilities"];
    for m in [after, before] {
        for key in ["ece", "log_loss", "brier", "classwise_ece"] {
            let x = m[key].as_f64().unwrap();
            assert!(x.is_finite() && x >= 0.0, "{key} {x}");
        }
        assert_eq!(m["examples"], 96);
        let n: u64 = m["bins"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["count"].as_u64().unwrap())
            .sum();
        assert_eq!(n, 96);
    }
    assert!(v["fold_summaries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["temperature"].as_f64().is_some()));
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(text.contains("before calibration (ECE") && text.contains("calibrated (ECE"));

    // The text report names the figures.
    let out = claimtrack()
        .args([
            "evaluate",
            "--alpha",
            "3",
            "--no-decode",
            "--group",
            "outlet",
            "--folds",
            "3",
            "--data",
        ])
        .arg(&g)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("held-out probabilities"), "{text}");
    assert!(text.contains("ECE") && text.contains("log-loss") && text.contains("Brier"));
    assert!(text.contains("calibrated by temperature scaling"), "{text}");
}

#[test]
fn train_needs_an_explicit_destination_and_never_touches_the_shipped_model_by_default() {
    let d = tempfile::tempdir().unwrap();
    let g = gold(d.path());
    std::fs::create_dir(d.path().join("models")).unwrap();
    let shipped = d.path().join("models/default.json");
    std::fs::write(&shipped, "sentinel").unwrap();
    let o = claimtrack()
        .current_dir(d.path())
        .args(["train", "--data"])
        .arg(&g)
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--out") && err.contains("--update-default"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&shipped).unwrap(), "sentinel");
    // --update-default writes the shipped model's path (relative to the working folder).
    claimtrack()
        .current_dir(d.path())
        .args([
            "train",
            "--no-decode",
            "--no-calibrate",
            "--update-default",
            "--data",
        ])
        .arg(&g)
        .assert()
        .success();
    assert_eq!(model_json(&shipped)["format_version"], 2);
}

#[test]
fn stand_off_labels_without_their_articles_stop_evaluate_and_train() {
    // The repository's gold holds stand-off labels; without --articles (or CLAIMTRACK_CORPUS,
    // or a project naming the article folders) a run would silently use the seeds' inline
    // labels alone. Run outside any project (the repository root is the default story's).
    let outside = tempfile::tempdir().unwrap();
    let gold_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/gold");
    let claimtrack = || {
        let mut c = claimtrack();
        c.current_dir(outside.path());
        c
    };
    let o = claimtrack()
        .args(["evaluate", "--no-decode", "--data"])
        .arg(&gold_dir)
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--articles"), "{err}");
    assert!(
        err.contains("CLAIMTRACK_CORPUS") && err.contains("--inline-only"),
        "{err}"
    );
    let d = tempfile::tempdir().unwrap();
    let o = claimtrack()
        .args(["train", "--data"])
        .arg(&gold_dir)
        .arg("--out")
        .arg(d.path().join("m.json"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(!d.path().join("m.json").exists());
    // --inline-only is the explicit way to use the inline labels alone.
    let dump = d.path().join("inline.jsonl");
    let o = claimtrack()
        .args(["evaluate", "--inline-only", "--data"])
        .arg(&gold_dir)
        .arg("--dump-examples")
        .arg(&dump)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--inline-only: skipped"));
    let inline = std::fs::read_to_string(&dump).unwrap().lines().count();
    assert!(inline > 0);
    // CLAIMTRACK_CORPUS stands in for --articles, as in the tests.
    let dirs: Vec<PathBuf> = ["../shared/corpus", "../shared/corpus2"]
        .iter()
        .map(|p| Path::new(env!("CARGO_MANIFEST_DIR")).join(p))
        .filter(|p| p.is_dir())
        .collect();
    if dirs.len() < 2 {
        eprintln!("SKIPPED (no corpus on this machine): CLAIMTRACK_CORPUS as --articles");
        return;
    }
    let all = d.path().join("all.jsonl");
    let o = claimtrack()
        .env("CLAIMTRACK_CORPUS", std::env::join_paths(&dirs).unwrap())
        .args(["evaluate", "--data"])
        .arg(&gold_dir)
        .arg("--dump-examples")
        .arg(&all)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let n = std::fs::read_to_string(&all).unwrap().lines().count();
    assert!(
        n > inline + 3000,
        "{n} examples with the corpus, {inline} inline"
    );
}
