//! A claim project's display names in every output, through the binary: the Havana project's
//! names (and never the default story's) in score lines, `classify`, `explain`, reports in all
//! four formats and `evaluate` tables; a model trained in a project with names of its own
//! keeps them when used without the project; a project and a model that disagree are refused;
//! older model files (without names) still load. The articles and gold are synthetic
//! sentences and the seeds' inline gold; no text of the Havana project's articles is used.

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::process::Output;

const HAVANA: [&str; 3] = ["gru_attack_claim", "official_denial", "scientific_doubt"];
const DEFAULT: [&str; 3] = ["russian_claim", "us_denial", "expert_skepticism"];

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

fn claimtrack(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("claimtrack").unwrap();
    c.current_dir(dir).env_remove("CLAIMTRACK_CORPUS");
    c
}

fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "expected success; stderr:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// Every name of `want` is in `text`, and none of `never`.
fn names_only(text: &str, want: &[&str], never: &[&str], what: &str) {
    for n in want {
        assert!(text.contains(n), "{what}: no {n}:\n{text}");
    }
    for n in never {
        assert!(!text.contains(n), "{what}: {n} shown:\n{text}");
    }
}

/// Two synthetic articles (no text of the project's own articles).
fn articles(dir: &Path) -> PathBuf {
    let a = dir.join("articles");
    std::fs::create_dir_all(&a).unwrap();
    std::fs::write(
        a.join("a1.txt"),
        "---\noutlet: Daily Test\ndate: 2024-03-01\n---\nInvestigators link the incidents to a military unit\n\
         A report said officers of the unit were near the victims before the incidents.\n\
         The government rejected the report and called it baseless.\n\
         Scientists said scans found no sign of brain injury.\n\
         The embassy reopened last year.\n",
    )
    .unwrap();
    std::fs::write(
        a.join("a2.txt"),
        "---\noutlet: Weekly Test\ndate: 2024-03-02\n---\nOfficials deny any foreign role in the illness\n\
         An official assessment found it very unlikely that a foreign adversary was responsible.\n\
         Doctors doubted that any device could cause the symptoms.\n\
         Lawmakers said the unit was behind the attacks.\n",
    )
    .unwrap();
    a
}

#[test]
fn the_havana_projects_outputs_show_its_names_and_never_the_default_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let arts = articles(tmp.path());
    let project = repo("projects/havana-syndrome");
    let run = |args: &[&str]| -> String {
        let mut c = claimtrack(tmp.path());
        c.arg("--project").arg(&project).args(args);
        ok(c.output().unwrap())
    };
    let a = arts.to_str().unwrap();
    let score = run(&["score", "-q", a]);
    names_only(&score, &HAVANA, &DEFAULT, "score");
    let first: serde_json::Value = serde_json::from_str(score.lines().next().unwrap()).unwrap();
    let keys: Vec<&str> = first["sentences"][0]["probs"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, [HAVANA[0], HAVANA[1], HAVANA[2], "context"]);

    for format in ["md", "json", "csv", "html"] {
        let r = run(&["report", "-q", "--format", format, a]);
        let want: &[&str] = if format == "csv" {
            &["share_gru_attack_claim", "share_official_denial"]
        } else {
            &HAVANA
        };
        names_only(&r, want, &DEFAULT, format);
    }
    let md = run(&["report", "-q", a]);
    assert!(
        md.contains("Score from -1 (Russia's role in Havana syndrome is framed as not credible)"),
        "{md}"
    );
    assert!(!md.contains("back channel"), "{md}");
    let csv = run(&["report", "-q", "--format", "csv", "--per-article", a]);
    names_only(
        &csv,
        &["n_gru_attack_claim", "n_scientific_doubt"],
        &DEFAULT,
        "csv",
    );

    // Score lines written under the names read back in the project.
    let scores = tmp.path().join("s.jsonl");
    std::fs::write(&scores, &score).unwrap();
    let from = run(&["report", "-q", "--from-scores", scores.to_str().unwrap()]);
    assert_eq!(from, md, "the report of the score lines differs");

    let mut c = claimtrack(tmp.path());
    c.arg("--project").arg(&project).arg("classify").write_stdin(
        "Investigators linked the unit to the incidents.\n{\"text\":\"The ministry denied it.\",\"article\":\"x\"}\n",
    );
    let classified = ok(c.output().unwrap());
    for line in classified.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let label = v["label"].as_str().unwrap();
        assert!(
            HAVANA.contains(&label) || label == "context",
            "{label}: {line}"
        );
    }
    names_only(&classified, &HAVANA, &DEFAULT, "classify");

    let explain = run(&["explain", "Scientists doubted the weapon existed."]);
    names_only(&explain, &HAVANA, &DEFAULT, "explain");
}

#[test]
fn evaluate_shows_the_projects_names_and_reads_gold_written_by_them() {
    let tmp = tempfile::tempdir().unwrap();
    // The seeds' inline gold, relabelled with the project's display names.
    let gold = std::fs::read_to_string(repo("data/gold/seeds.jsonl"))
        .unwrap()
        .replace("\"russian_claim\"", "\"gru_attack_claim\"")
        .replace("\"us_denial\"", "\"official_denial\"");
    let data = tmp.path().join("gold.jsonl");
    std::fs::write(&data, gold).unwrap();
    let mut c = claimtrack(tmp.path());
    c.arg("--project")
        .arg(repo("projects/havana-syndrome"))
        .args([
            "evaluate",
            "--inline-only",
            "--folds",
            "2",
            "--by",
            "role",
            "--data",
        ])
        .arg(&data);
    let text = ok(c.output().unwrap());
    names_only(&text, &HAVANA, &DEFAULT, "evaluate");
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("official_denial ")),
        "{text}"
    );
    let dump = tmp.path().join("dump.jsonl");
    let mut c = claimtrack(tmp.path());
    c.arg("--project")
        .arg(repo("projects/havana-syndrome"))
        .args(["evaluate", "--inline-only", "--data"])
        .arg(&data)
        .arg("--dump-examples")
        .arg(&dump);
    ok(c.output().unwrap());
    let dumped = std::fs::read_to_string(&dump).unwrap();
    names_only(&dumped, &HAVANA[..2], &DEFAULT, "dump-examples");
}

/// A project made by `init` with the seeds' inline gold and names of its own, trained.
fn named_project(tmp: &Path, claim: &str, denial: &str) -> PathBuf {
    let proj = tmp.join(format!("proj-{claim}"));
    ok(claimtrack(tmp)
        .arg("init")
        .arg(&proj)
        .args(["--claim", "The seeds' claim."])
        .output()
        .unwrap());
    std::fs::copy(repo("data/gold/seeds.jsonl"), proj.join("gold/seeds.jsonl")).unwrap();
    let cfg = proj.join("claimtrack.toml");
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("name = \"claim\"", &format!("name = \"{claim}\""))
        .replace("name = \"denial\"", &format!("name = \"{denial}\""))
        .replace(
            "claim_short = \"the claim\"",
            "claim_short = \"the seed story\"",
        );
    std::fs::write(&cfg, text).unwrap();
    let mut c = claimtrack(tmp);
    c.arg("--project")
        .arg(&proj)
        .args(["train", "--update-default"]);
    ok(c.output().unwrap());
    proj
}

#[test]
fn a_model_keeps_its_names_without_the_project_and_conflicts_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = named_project(tmp.path(), "seed_claim", "seed_denial");
    let model = proj.join("model.json");
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    assert_eq!(file["format_version"], 5);
    let names = &file["content"]["names"];
    assert_eq!(names["labels"]["claim"], "seed_claim");
    assert_eq!(names["labels"]["skepticism"], "skepticism");
    assert_eq!(names["short"], "the seed story");
    assert_eq!(names["claim"], "The seeds' claim.");

    // No project: the model's names.
    let m = model.to_str().unwrap();
    let mut c = claimtrack(tmp.path());
    c.args(["classify", "--model", m])
        .write_stdin("US officials denied receiving any message.\n");
    let line = ok(c.output().unwrap());
    let v: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
    let keys: Vec<&str> = v["probs"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["seed_claim", "seed_denial", "skepticism", "context"]);
    assert_eq!(v["label"], "seed_denial");
    let arts = articles(tmp.path());
    let md = ok(claimtrack(tmp.path())
        .args(["report", "-q", "--model", m])
        .arg(&arts)
        .output()
        .unwrap());
    assert!(
        md.contains("(the seed story is framed as not credible)"),
        "{md}"
    );
    names_only(&md, &["| seed_claim | seed_denial |"], &DEFAULT, "report");

    // A project naming the labels otherwise: refused, saying what to do.
    let other = named_project(tmp.path(), "other_claim", "other_denial");
    let o = claimtrack(tmp.path())
        .arg("--project")
        .arg(&other)
        .args(["classify", "--model", m])
        .write_stdin("x\n")
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(
        e.contains("seed_claim") && e.contains("other_claim") && e.contains("--update-default"),
        "{e}"
    );
}

#[test]
fn model_files_without_names_load_and_take_the_projects_names() {
    let tmp = tempfile::tempdir().unwrap();
    // The default story's model records no names (format version 4, as before models
    // recorded them): alone it labels by the default story's names, in the Havana project
    // by the project's.
    let model = repo("models/default.json");
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    assert!(file["content"].get("names").is_none());
    assert!(file["format_version"].as_u64().unwrap() < 5);
    let run = |project: bool| -> String {
        let mut c = claimtrack(tmp.path());
        if project {
            c.arg("--project").arg(repo("projects/havana-syndrome"));
        }
        c.arg("classify")
            .arg("--model")
            .arg(&model)
            .write_stdin("US officials denied receiving any message.\n");
        ok(c.output().unwrap())
    };
    let alone = run(false);
    names_only(&alone, &DEFAULT, &HAVANA, "without the project");
    assert!(alone.contains("\"label\":\"us_denial\""), "{alone}");
    let in_project = run(true);
    names_only(&in_project, &HAVANA, &DEFAULT, "in the project");
    assert!(
        in_project.contains("\"label\":\"official_denial\""),
        "{in_project}"
    );
}
