//! Claim projects through the binary: `init` (a template that works, never overwritten),
//! `claimtrack.toml` errors (TOML line and column, unknown keys, missing files named by key),
//! `--project DIR` on every command, finding the file from a subfolder, and explicit flags
//! winning over the project's settings. The projects are built in temporary folders from the
//! seeds' inline gold labels.

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::process::Output;

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

fn claimtrack(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("claimtrack").unwrap();
    c.current_dir(dir).env_remove("CLAIMTRACK_CORPUS");
    c
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: Output) -> Output {
    assert!(
        o.status.success(),
        "expected success; stderr:\n{}",
        stderr(&o)
    );
    o
}

/// A clean failure: exit 2, no panic, and every needle on stderr.
fn fails_naming(o: &Output, needles: &[&str]) {
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(2), "stderr:\n{e}");
    assert!(!e.contains("panicked"), "{e}");
    for n in needles {
        assert!(e.contains(n), "expected {n:?} in:\n{e}");
    }
}

/// A project made by `init` in `tmp/proj`, with the seeds' inline gold labels and display
/// names of its own, trained into its model.json.
fn trained_project(tmp: &Path) -> PathBuf {
    let proj = tmp.join("proj");
    ok(claimtrack(tmp)
        .args(["init", "proj", "--claim", "The seeds' claim."])
        .output()
        .unwrap());
    std::fs::copy(repo("data/gold/seeds.jsonl"), proj.join("gold/seeds.jsonl")).unwrap();
    let cfg = proj.join("claimtrack.toml");
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("name = \"claim\"", "name = \"seed_claim\"")
        .replace("name = \"denial\"", "name = \"seed_denial\"");
    std::fs::write(&cfg, text).unwrap();
    ok(claimtrack(tmp)
        .args(["--project", "proj", "train", "--update-default"])
        .output()
        .unwrap());
    assert!(proj.join("model.json").is_file());
    proj
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn init_writes_a_working_template_and_refuses_to_overwrite() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = trained_project(tmp.path());
    for f in ["claimtrack.toml", "cues.tsv", "hedges.txt", "framing.json"] {
        assert!(proj.join(f).is_file(), "{f}");
    }
    let cues = std::fs::read_to_string(proj.join("cues.tsv")).unwrap();
    assert!(cues.starts_with("# Cue lexicon of this claim"), "{cues}");
    let before = std::fs::read(proj.join("claimtrack.toml")).unwrap();
    let o = claimtrack(tmp.path())
        .args(["init", "proj", "--claim", "Another claim."])
        .output()
        .unwrap();
    fails_naming(&o, &["claimtrack.toml", "already exists"]);
    assert_eq!(std::fs::read(proj.join("claimtrack.toml")).unwrap(), before);
    // The trained project classifies with its own model.
    let o = ok(claimtrack(tmp.path())
        .args(["--project", "proj", "classify"])
        .write_stdin("The Kremlin denied the report.\n")
        .output()
        .unwrap());
    assert!(stdout(&o).contains("\"label\""));
}

fn write_project(dir: &Path, config: &str) {
    std::fs::create_dir_all(dir.join("gold")).unwrap();
    for f in ["cues.tsv", "hedges.txt", "framing.json"] {
        std::fs::copy(repo(&format!("data/{f}")), dir.join(f)).unwrap();
    }
    std::fs::write(dir.join("claimtrack.toml"), config).unwrap();
}

const CONFIG: &str = "claim = \"A claim.\"\n\
[labels]\n\
claim = { name = \"c\", description = \"Claim.\" }\n\
denial = { name = \"d\", description = \"Denial.\" }\n\
skepticism = { name = \"s\", description = \"Doubt.\" }\n\
context = { name = \"context\", description = \"Else.\" }\n\
[paths]\n\
cues = \"cues.tsv\"\n\
hedges = \"hedges.txt\"\n\
framing = \"framing.json\"\n\
gold = \"gold\"\n\
articles = [\"gold\"]\n";

#[test]
fn config_errors_name_the_file_the_line_and_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("p");
    let run = |config: &str| {
        write_project(&p, config);
        claimtrack(tmp.path())
            .args(["--project", "p", "score"])
            .arg(repo("seeds"))
            .output()
            .unwrap()
    };
    // Line 9 holds the broken string.
    let o = run(&CONFIG.replace("hedges = \"hedges.txt\"", "hedges = \"hedges.txt"));
    fails_naming(&o, &["claimtrack.toml", "line 9"]);
    let o = run(&CONFIG.replace("gold = \"gold\"", "gold = \"gold\"\nmodels = \"m.json\""));
    fails_naming(&o, &["claimtrack.toml", "unknown field `models`"]);
    let o = run(&CONFIG.replace("cues.tsv", "missing-cues.tsv"));
    fails_naming(&o, &["claimtrack.toml", "`paths.cues`", "missing-cues.tsv"]);
    let o = run(&CONFIG.replace("name = \"d\"", "name = \"Not A Name\""));
    fails_naming(&o, &["`labels.denial.name`"]);
    // The model is checked when a command needs it.
    let o = run(CONFIG);
    fails_naming(&o, &["`paths.model`", "model.json"]);
    // A folder without a project file.
    let o = claimtrack(tmp.path())
        .args(["--project", ".", "sentences"])
        .arg(repo("seeds"))
        .output()
        .unwrap();
    fails_naming(&o, &["holds no claimtrack.toml"]);
}

#[test]
fn article_folders_are_checked_unless_given_on_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("p");
    write_project(&p, &CONFIG.replace("[\"gold\"]", "[\"no-such-folder\"]"));
    std::fs::copy(repo("data/gold/seeds.jsonl"), p.join("gold/seeds.jsonl")).unwrap();
    let o = claimtrack(tmp.path())
        .args(["--project", "p", "train", "--out", "m.json"])
        .output()
        .unwrap();
    fails_naming(&o, &["`paths.articles`", "no-such-folder"]);
    ok(claimtrack(tmp.path())
        .args([
            "--project",
            "p",
            "train",
            "--out",
            "m.json",
            "--articles",
            "p/gold",
        ])
        .output()
        .unwrap());
    assert!(tmp.path().join("m.json").is_file());
}

#[test]
fn every_command_takes_the_project_and_its_model() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = trained_project(tmp.path());
    assert!(proj.join("model.json").is_file());
    let seeds = repo("seeds");
    let sentence = "The Kremlin denied the report.\n";
    // Each command with --project gives what it gives with the project's model named.
    let with_project = |args: &[&str]| {
        let mut c = claimtrack(tmp.path());
        c.args(["--project", "proj"]).args(args);
        ok(c.write_stdin(sentence).output().unwrap())
    };
    let with_model = |args: &[&str], flag: bool| {
        let mut c = claimtrack(tmp.path());
        c.args(args);
        if flag {
            c.args(["--model", "proj/model.json"]);
        }
        ok(c.write_stdin(sentence).output().unwrap())
    };
    let seeds_s = seeds.to_str().unwrap();
    for args in [
        vec!["classify"],
        vec!["explain", "-"],
        vec!["report", "-q", "-f", "csv", seeds_s],
    ] {
        let a = with_project(&args);
        // The file used is named on stderr, except with --quiet.
        let quiet = args.contains(&"-q");
        assert_eq!(
            stderr(&a).contains("note: project proj/claimtrack.toml"),
            !quiet,
            "{args:?}"
        );
        let b = with_model(&args, true);
        assert_eq!(stdout(&a), stdout(&b), "{args:?}");
        let builtin = with_model(&args, false);
        assert_ne!(stdout(&a), stdout(&builtin), "{args:?}");
    }
    let score = stdout(&with_project(&["score", "-q", seeds_s]));
    assert!(score.contains("proj/model.json"), "{score}");
    let sentences = with_project(&["sentences", seeds_s]);
    assert!(stdout(&sentences).lines().count() > 50);
    // evaluate reads the project's gold (the seeds' 5 articles).
    let eval = stdout(&with_project(&["evaluate", "--folds", "5"]));
    assert!(eval.contains("5 folds"), "{eval}");
    // --framing without a value needs the project's reference.
    let o = claimtrack(tmp.path())
        .args(["--project", "proj", "evaluate", "--framing"])
        .output()
        .unwrap();
    fails_naming(&o, &["--framing needs a reference file"]);
}

#[test]
fn the_project_is_found_from_a_subfolder() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = trained_project(tmp.path());
    let sub = proj.join("gold");
    let found = ok(claimtrack(&sub)
        .arg("classify")
        .write_stdin("Analysts called it a trial balloon.\n")
        .output()
        .unwrap());
    let shown = proj.join("claimtrack.toml").display().to_string();
    assert!(stderr(&found).contains(&shown), "{}", stderr(&found));
    let named = ok(claimtrack(tmp.path())
        .arg("classify")
        .arg("--model")
        .arg(proj.join("model.json"))
        .write_stdin("Analysts called it a trial balloon.\n")
        .output()
        .unwrap());
    assert_eq!(found.stdout, named.stdout);
    // Outside any project, nothing is said and the built-in model is used.
    let outside = ok(claimtrack(tmp.path())
        .arg("classify")
        .write_stdin("Analysts called it a trial balloon.\n")
        .output()
        .unwrap());
    assert!(!stderr(&outside).contains("note: project"));
    assert_ne!(outside.stdout, named.stdout);
}

#[test]
fn explicit_flags_win_over_the_project() {
    let tmp = tempfile::tempdir().unwrap();
    let _proj = trained_project(tmp.path());
    let seeds = repo("seeds");
    let builtin = repo("models/default.json");
    let o = ok(claimtrack(tmp.path())
        .args(["--project", "proj", "score", "-q", "--model"])
        .arg(&builtin)
        .arg(&seeds)
        .output()
        .unwrap());
    let text = stdout(&o);
    assert!(!text.contains("proj/model.json"));
    assert!(text.contains("models/default.json"));
    // --data replaces the project's gold: an empty folder has no labels to train on.
    std::fs::create_dir(tmp.path().join("empty")).unwrap();
    let o = claimtrack(tmp.path())
        .args([
            "--project",
            "proj",
            "train",
            "--out",
            "x.json",
            "--data",
            "empty",
        ])
        .output()
        .unwrap();
    fails_naming(&o, &["empty"]);
    // --hedges replaces the project's list: a broken one is reported by its name.
    std::fs::write(tmp.path().join("bad-hedges.txt"), "not a weight\tcue\n").unwrap();
    let o = claimtrack(tmp.path())
        .args([
            "--project",
            "proj",
            "score",
            "-q",
            "--hedges",
            "bad-hedges.txt",
        ])
        .arg(&seeds)
        .output()
        .unwrap();
    fails_naming(&o, &["bad-hedges.txt"]);
}
