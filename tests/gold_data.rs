//! Checks on the shipped gold data: it matches what the splitter produces today, it covers
//! every sentence, it holds no third-party corpus text, and its stand-off labels hydrate
//! against the corpus folders when they are available (`$CLAIMTRACK_CORPUS`, a `:`-separated
//! list of folders, or `../shared/corpus` and `../shared/corpus2` beside the repo).

use assert_cmd::Command;
use claimtrack::gold;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The corpus folders the stand-off gold points to, if this machine has all of them.
pub fn corpus_dirs() -> Option<Vec<PathBuf>> {
    let dirs: Vec<PathBuf> = match std::env::var_os("CLAIMTRACK_CORPUS") {
        Some(v) => std::env::split_paths(&v).collect(),
        None => ["../shared/corpus", "../shared/corpus2"]
            .iter()
            .map(|d| Path::new(env!("CARGO_MANIFEST_DIR")).join(d))
            .collect(),
    };
    (!dirs.is_empty() && dirs.iter().all(|d| d.is_dir())).then_some(dirs)
}

/// The Havana project's article folder, if this machine has it (beside the repo, as the
/// project's claimtrack.toml says).
fn havana_articles() -> Option<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/claims/havana-syndrome/articles");
    d.is_dir().then_some(d)
}

/// The text of every file under the given folders of the repository.
fn text_under(roots: &[&str]) -> String {
    let mut text = String::new();
    let mut stack: Vec<PathBuf> = roots.iter().map(PathBuf::from).collect();
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            for e in std::fs::read_dir(&p).unwrap() {
                stack.push(e.unwrap().path());
            }
        } else if let Ok(t) = std::fs::read_to_string(&p) {
            text.push_str(&t);
        }
    }
    text
}

fn jsonl(path: &str) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn sentences_of(input: &Path) -> Vec<Value> {
    let out = Command::cargo_bin("claimtrack")
        .unwrap()
        .arg("sentences")
        .arg(input)
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn seed_gold_matches_the_sentences_the_tool_produces_today() {
    let gold = jsonl("data/gold/seeds.jsonl");
    let now = sentences_of(Path::new("seeds"));
    assert_eq!(
        gold.len(),
        now.len(),
        "gold has {} seed sentences, `claimtrack sentences seeds/` gives {}: the splitter or cleaner changed; re-annotate",
        gold.len(),
        now.len()
    );
    for (g, s) in gold.iter().zip(&now) {
        assert_eq!(g["article"], s["article"]);
        assert_eq!(g["index"], s["index"]);
        assert_eq!(
            g["text"], s["text"],
            "sentence {}#{} changed",
            s["article"], s["index"]
        );
        assert!(g["label"]
            .as_str()
            .unwrap()
            .parse::<claimtrack::Label>()
            .is_ok());
    }
}

#[test]
fn corpus_gold_is_stand_off_only() {
    // No article text may live in the repo for the corpus: only ids, hashes and labels.
    for line in jsonl("data/gold/corpus.labels.jsonl") {
        let obj = line.as_object().unwrap();
        let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(keys, ["article", "hash", "index", "label", "url"], "{line}");
    }
}

#[test]
fn no_corpus_sentence_appears_anywhere_under_data_or_projects() {
    let Some(dirs) = corpus_dirs() else {
        eprintln!("SKIPPED (no corpus on this machine): the check that no corpus sentence is copied under data/; set CLAIMTRACK_CORPUS to run it");
        return;
    };
    let data_text = text_under(&["data", "projects"]);
    let sentences: Vec<Value> = dirs.iter().flat_map(|d| sentences_of(d)).collect();
    assert!(sentences.len() > 3000);
    // Sentences the corpus shares with our own seed documents (wire quotes) may appear.
    let seed_texts: std::collections::HashSet<String> = sentences_of(Path::new("seeds"))
        .iter()
        .map(|s| s["text"].as_str().unwrap().to_string())
        .collect();
    let mut leaked = Vec::new();
    for s in &sentences {
        let t = s["text"].as_str().unwrap();
        // Short sentences ("He is scared of its success.") may be written by anyone.
        if t.len() >= 60 && data_text.contains(t) && !seed_texts.contains(t) {
            leaked.push(format!("{}#{}", s["article"], s["index"]));
        }
    }
    assert!(
        leaked.is_empty(),
        "corpus text found under data/ or projects/: {leaked:?}"
    );
}

#[test]
fn corpus_gold_covers_every_sentence_and_hydrates() {
    let Some(dirs) = corpus_dirs() else {
        eprintln!("SKIPPED (no corpus on this machine): stand-off hydration and coverage of data/gold/corpus*.labels.jsonl; set CLAIMTRACK_CORPUS to run it");
        return;
    };
    let dir_refs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
    // Each stand-off file covers exactly one folder, every sentence of it once, in order.
    let files = [
        "data/gold/corpus.labels.jsonl",
        "data/gold/corpus2.labels.jsonl",
    ];
    assert_eq!(
        files.len(),
        dirs.len(),
        "one stand-off file per corpus folder"
    );
    for (file, dir) in files.iter().zip(&dirs) {
        let set = gold::load(Path::new(file), &dir_refs).unwrap();
        let sentences = sentences_of(dir);
        assert_eq!(
            set.examples.len(),
            sentences.len(),
            "{file}: every sentence of {} has exactly one label",
            dir.display()
        );
        for (e, s) in set.examples.iter().zip(&sentences) {
            assert_eq!(e.article, s["article"].as_str().unwrap());
            assert_eq!(e.index as u64, s["index"].as_u64().unwrap());
        }
        let articles: std::collections::BTreeSet<&str> = sentences
            .iter()
            .map(|s| s["article"].as_str().unwrap())
            .collect();
        assert_eq!(set.articles.len(), articles.len());
    }
}

#[test]
fn shipped_model_is_reproduced_byte_for_byte_from_the_gold() {
    let Some(dirs) = corpus_dirs() else {
        eprintln!("SKIPPED (no corpus on this machine): the check that models/default.json is retrained byte for byte from data/gold; set CLAIMTRACK_CORPUS to run it");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("retrained.json");
    let run = Command::cargo_bin("claimtrack")
        .unwrap()
        .args(["train", "--data", "data/gold", "--articles"])
        .args(&dirs)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let shipped = std::fs::read("models/default.json").unwrap();
    let retrained = std::fs::read(&out).unwrap();
    assert!(
        shipped == retrained,
        "models/default.json differs from a retrain on data/gold: run `claimtrack train --data data/gold --articles {} --update-default`",
        dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(" ")
    );
}

#[test]
fn no_havana_article_sentence_appears_in_the_repository() {
    let Some(dir) = havana_articles() else {
        eprintln!("SKIPPED (no Havana articles on this machine): the check that no sentence of ../shared/claims/havana-syndrome/articles is copied into the repository");
        return;
    };
    let repo_text = text_under(&[
        "data",
        "projects",
        "docs",
        "README.md",
        "src",
        "tests",
        "scripts",
        "seeds",
    ]);
    let sentences = sentences_of(&dir);
    assert!(sentences.len() > 1000);
    let leaked: Vec<String> = sentences
        .iter()
        .filter(|s| {
            let t = s["text"].as_str().unwrap();
            // Short sentences (headings, "The Kremlin denied it.") may be written by anyone.
            t.len() >= 60 && repo_text.contains(t)
        })
        .map(|s| format!("{}#{}", s["article"], s["index"]))
        .collect();
    assert!(
        leaked.is_empty(),
        "Havana article text found in the repository: {leaked:?}"
    );
}

#[test]
fn havana_model_is_reproduced_byte_for_byte_from_its_gold() {
    if havana_articles().is_none() {
        eprintln!("SKIPPED (no Havana articles on this machine): the check that projects/havana-syndrome/model.json is retrained byte for byte from its gold");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("havana.json");
    let run = Command::cargo_bin("claimtrack")
        .unwrap()
        .args(["--project", "projects/havana-syndrome", "train", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let shipped = std::fs::read("projects/havana-syndrome/model.json").unwrap();
    assert!(
        shipped == std::fs::read(&out).unwrap(),
        "projects/havana-syndrome/model.json differs from a retrain on its gold: run `claimtrack --project projects/havana-syndrome train --update-default`"
    );
}
