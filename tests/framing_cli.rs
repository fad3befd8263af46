//! Integration tests of `claimtrack score` and `claimtrack report` on small fixtures: JSONL
//! output, merge of split scoring jobs equals the whole, escaping in real output files, and
//! errors that name the file and line without leaving partial files.
//!
//! The tests train a tiny model from hand-written sentences (tests/common) so they do not depend
//! on the shipped model.

mod common;

use assert_cmd::Command;
use claimtrack::report::Report;
use claimtrack::scored::{read_scores, ScoredArticle};
use claimtrack::Role;
use common::{train_model, write_article};
use std::fs;
use std::path::{Path, PathBuf};

/// Six fixture articles in `dir/part1` and `dir/part2`.
fn fixtures(dir: &Path) -> (PathBuf, PathBuf) {
    let (p1, p2) = (dir.join("part1"), dir.join("part2"));
    fs::create_dir_all(&p1).unwrap();
    fs::create_dir_all(&p2).unwrap();
    write_article(
        &p1,
        "a1",
        "Claim Daily",
        "2024-01-25",
        "Putin signals he is open to talks",
        &[
            "Putin has signalled through intermediaries that he is open to a ceasefire.",
            "People close to the Kremlin said he would accept a freeze of the front line.",
            "Ukraine is running short of ammunition.",
            "US officials denied receiving any message.",
        ],
    );
    write_article(
        &p1,
        "a2",
        "Claim Daily",
        "2024-02-03",
        "Kremlin open to negotiations",
        &[
            "The Kremlin said Russia was always open to negotiations.",
            "Fighting continued in the east.",
        ],
    );
    write_article(
        &p2,
        "b1",
        "Denial Times",
        "2024-01-26",
        "Kremlin denies report of back channel",
        &[
            "The Kremlin denied the report on Friday.",
            "US officials said they were unaware of any shift.",
            "Putin reportedly sent signals through an intermediary.",
            "Analysts see no indication that he is serious.",
        ],
    );
    write_article(
        &p2,
        "b2",
        "Denial Times",
        "2024-03-01",
        "Experts doubt Putin overture",
        &[
            "Experts cautioned it could be a ploy to divide allies.",
            "Congress stalled the aid package.",
        ],
    );
    write_article(
        &p2,
        "x1",
        "<script>alert(1)</script>",
        "2024-02-10",
        "\"><img src=x onerror=alert(1)>",
        &[
            "Putin is ready to drop his NATO objection </style><b>, sources said.",
            "=HYPERLINK(\"http://evil\") fighting continued.",
        ],
    );
    write_article(
        &p1,
        "q1",
        "Quiet Post",
        "unknown",
        "Aid package stalls",
        &[
            "Congress has stalled a new aid package.",
            "The winter has been harsh.",
        ],
    );
    (p1, p2)
}

fn bin() -> Command {
    Command::cargo_bin("claimtrack").unwrap()
}

fn stdout_of(args: &[&str]) -> String {
    let out = bin()
        .args(args)
        .env("CLAIMTRACK_NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn score_writes_one_complete_line_per_article() {
    let tmp = tempfile::tempdir().unwrap();
    let model = train_model(tmp.path());
    let (p1, _) = fixtures(tmp.path());
    let out = stdout_of(&[
        "score",
        "--quiet",
        "--model",
        model.to_str().unwrap(),
        p1.to_str().unwrap(),
    ]);
    let arts: Vec<ScoredArticle> = read_scores(out.as_bytes(), "stdout")
        .collect::<Result<_, _>>()
        .unwrap();
    let mut ids: Vec<&str> = arts.iter().map(|a| a.id.as_str()).collect();
    ids.sort();
    assert_eq!(ids, ["a1", "a2", "q1"]);
    let a1 = arts.iter().find(|a| a.id == "a1").unwrap();
    assert_eq!(a1.outlet, "Claim Daily");
    assert_eq!(a1.date.as_deref(), Some("2024-01-25"));
    assert_eq!(a1.sentences[0].role, Role::Headline);
    for s in arts.iter().flat_map(|a| &a.sentences) {
        assert!((s.probs.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    }
    assert!(a1.model.as_deref().unwrap().contains("tiny-model.json"));
    assert!(
        a1.framing.score > 0.0,
        "a claim-led article leans credible: {:?}",
        a1.framing
    );
}

#[test]
fn merged_scoring_jobs_give_the_same_report_as_the_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let model = train_model(tmp.path());
    let m = model.to_str().unwrap();
    let (p1, p2) = fixtures(tmp.path());
    let (s1, s2) = (tmp.path().join("s1.jsonl"), tmp.path().join("s2.jsonl"));
    bin()
        .args([
            "score",
            "-q",
            "--model",
            m,
            "--out",
            s1.to_str().unwrap(),
            p1.to_str().unwrap(),
        ])
        .assert()
        .success();
    bin()
        .args([
            "score",
            "-q",
            "--model",
            m,
            "--out",
            s2.to_str().unwrap(),
            p2.to_str().unwrap(),
        ])
        .assert()
        .success();
    let whole = stdout_of(&[
        "report",
        "-q",
        "--format",
        "json",
        "--model",
        m,
        p2.to_str().unwrap(),
        p1.to_str().unwrap(),
    ]);
    let merged = stdout_of(&[
        "report",
        "-q",
        "--format",
        "json",
        "--from-scores",
        s2.to_str().unwrap(),
        s1.to_str().unwrap(),
    ]);
    let merged_rev = stdout_of(&[
        "report",
        "-q",
        "--format",
        "json",
        "--from-scores",
        s1.to_str().unwrap(),
        s2.to_str().unwrap(),
    ]);
    assert_eq!(whole, merged);
    assert_eq!(whole, merged_rev);
    let r: Report = serde_json::from_str(&whole).unwrap();
    assert_eq!(r.articles.len(), 6);
    assert_eq!(r.outlets.len(), 4);
    let pos = |name: &str| r.outlets.iter().position(|o| o.outlet == name).unwrap();
    assert!(
        pos("Claim Daily") < pos("Denial Times"),
        "{:?}",
        r.outlets
            .iter()
            .map(|o| (&o.outlet, o.score))
            .collect::<Vec<_>>()
    );
    let quiet = &r.outlets[pos("Quiet Post")];
    assert_eq!(quiet.interval, None);
    // Markdown and CSV agree too.
    for f in ["md", "csv", "html"] {
        assert_eq!(
            stdout_of(&[
                "report",
                "-q",
                "--format",
                f,
                "--model",
                m,
                p1.to_str().unwrap(),
                p2.to_str().unwrap()
            ]),
            stdout_of(&[
                "report",
                "-q",
                "--format",
                f,
                "--from-scores",
                s1.to_str().unwrap(),
                s2.to_str().unwrap()
            ])
        );
    }
}

#[test]
fn html_and_csv_files_escape_hostile_text() {
    let tmp = tempfile::tempdir().unwrap();
    let model = train_model(tmp.path());
    let m = model.to_str().unwrap();
    fixtures(tmp.path());
    let html = tmp.path().join("r.html");
    bin()
        .args([
            "report",
            "-q",
            "--format",
            "html",
            "--model",
            m,
            "--out",
            html.to_str().unwrap(),
            tmp.path().join("part2").to_str().unwrap(),
        ])
        .assert()
        .success();
    let page = fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    // The page's own table script is the only script element.
    assert_eq!(page.matches("<script").count(), 1);
    assert!(!page.contains("<img") && !page.contains("<b>,"));
    assert_eq!(page.matches("</style>").count(), 1);
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    let csv = stdout_of(&[
        "report",
        "-q",
        "--format",
        "csv",
        "--per-article",
        "--model",
        m,
        tmp.path().join("part2").to_str().unwrap(),
    ]);
    assert!(
        csv.contains("'\"><img") || csv.contains("\"\"\"><img"),
        "title cell present: {csv}"
    );
    for line in csv.lines().skip(1) {
        for cell in line.split(',') {
            assert!(!cell.starts_with('='), "formula cell in {line}");
        }
    }
}

#[test]
fn bad_score_file_names_file_and_line_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.jsonl");
    fs::write(&bad, "\n{\"id\": \"x\"}\n").unwrap();
    let out = tmp.path().join("out.md");
    let assert = bin()
        .args([
            "report",
            "-q",
            "--from-scores",
            bad.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .assert()
        .failure();
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(err.contains("bad.jsonl") && err.contains("line 2"), "{err}");
    assert!(!out.exists());
    assert_eq!(
        fs::read_dir(tmp.path()).unwrap().count(),
        1,
        "no temporary file left"
    );
}

#[test]
fn report_needs_inputs_or_scores_and_rejects_bad_settings() {
    bin().args(["report"]).assert().failure();
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("s.jsonl");
    fs::write(&f, "").unwrap();
    let out = bin()
        .args(["report", "-q", "--from-scores", f.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no articles"));
    let out = bin()
        .args([
            "report",
            "-q",
            "--level",
            "1.5",
            "--from-scores",
            f.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("level"));
}

/// JSONL articles piped on stdin (after blank lines) are scored like the same file: stdin is
/// streamed line by line once its first non-blank byte shows it is JSONL.
#[test]
fn jsonl_on_stdin_is_scored_like_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut jsonl = String::new();
    for i in 0..3 {
        jsonl.push_str(
            &serde_json::json!({
                "id": format!("art-{i}"), "outlet": "Example Times",
                "text": format!("Putin signalled he is open to talks {i}.\n\nUS officials denied it. Analysts doubt the overture."),
            })
            .to_string(),
        );
        jsonl.push('\n');
    }
    let path = dir.path().join("articles.jsonl");
    std::fs::write(&path, &jsonl).unwrap();
    let from_file = Command::cargo_bin("claimtrack")
        .unwrap()
        .args(["score", "-q", path.to_str().unwrap()])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let from_stdin = Command::cargo_bin("claimtrack")
        .unwrap()
        .args(["score", "-q", "-"])
        .write_stdin(format!("\n  \n{jsonl}"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(String::from_utf8_lossy(&from_file).lines().count(), 3);
    assert_eq!(from_stdin, from_file);
}
