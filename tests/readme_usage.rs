//! Every usage line of the README runs as written: the `sh` blocks after the markers
//! `<!-- usage: fresh clone -->` and `<!-- usage: corpus -->` are run line by line, in order,
//! with `sh -c`, each expected to exit 0. The working folder is a scratch copy of the
//! repository's layout (links to `seeds/`, `data/`, `models/`, copies of `README.md` and the
//! project file `claimtrack.toml`; for the corpus block, a `../shared` beside it), so the
//! files the lines write land there and not in the repository. `claimtrack` on the PATH is
//! the binary under test; the `cargo install` line is the one not run (the tests build it).
//! The corpus block needs the annotated corpus (`../shared/corpus`, `../shared/corpus2`) and
//! says SKIPPED without it.

use std::path::{Path, PathBuf};
use std::process::Command;

fn readme() -> String {
    std::fs::read_to_string("README.md").unwrap()
}

/// The command lines of the `sh` block after `marker` (comments and blank lines dropped).
fn block(readme: &str, marker: &str) -> Vec<String> {
    let at = readme
        .find(marker)
        .unwrap_or_else(|| panic!("README has no `{marker}`"));
    let rest = &readme[at..];
    let open = rest.find("```sh\n").expect("a sh block after the marker") + 6;
    let close = rest[open..].find("```").expect("the block ends");
    rest[open..open + close]
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

/// A scratch folder laid out like the repository's root, its project file included; with
/// `with_shared`, the annotated corpora's `../shared` beside it (a fresh clone has none).
fn scratch(with_shared: bool) -> (tempfile::TempDir, PathBuf) {
    let repo = std::env::current_dir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("repo");
    std::fs::create_dir(&work).unwrap();
    for name in ["seeds", "data", "models"] {
        std::os::unix::fs::symlink(repo.join(name), work.join(name)).unwrap();
    }
    for name in ["README.md", "claimtrack.toml"] {
        std::fs::copy(repo.join(name), work.join(name)).unwrap();
    }
    if let Some(shared) = repo.parent().map(|p| p.join("shared")) {
        if with_shared && shared.is_dir() {
            std::os::unix::fs::symlink(shared, tmp.path().join("shared")).unwrap();
        }
    }
    (tmp, work)
}

fn run_lines(lines: &[String], work: &Path) {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_claimtrack"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for line in lines {
        if line.starts_with("cargo install") {
            continue;
        }
        assert!(
            line.starts_with("claimtrack "),
            "a usage line that is not a claimtrack command: {line}"
        );
        let out = Command::new("sh")
            .arg("-c")
            .arg(line)
            .current_dir(work)
            .env("PATH", &path)
            .env_remove("CLAIMTRACK_CORPUS")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "README line failed ({}): {line}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn fresh_clone_usage_lines_run_as_written() {
    let lines = block(&readme(), "<!-- usage: fresh clone -->");
    assert!(lines.len() >= 15, "{lines:?}");
    let (_tmp, work) = scratch(false);
    run_lines(&lines, &work);
    // What the lines promise: files written, and the merged report equals the direct one.
    for f in [
        "report.html",
        "scores.jsonl",
        "sentences.jsonl",
        "seeds-model.json",
        "claimtrack.1",
    ] {
        assert!(work.join(f).is_file(), "{f} not written");
    }
    let report = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_claimtrack"))
            .args(args)
            .current_dir(&work)
            .output()
            .unwrap();
        assert!(out.status.success());
        out.stdout
    };
    assert_eq!(
        report(&["report", "--from-scores", "part1.jsonl", "part2.jsonl"]),
        report(&["report", "seeds/"]),
        "the README says the merged report is the same as the direct one"
    );
}

#[test]
fn corpus_usage_lines_run_as_written() {
    let lines = block(&readme(), "<!-- usage: corpus -->");
    assert!(lines.len() >= 5, "{lines:?}");
    let (tmp, work) = scratch(true);
    let shared = tmp.path().join("shared");
    if !shared.join("corpus").is_dir() || !shared.join("corpus2").is_dir() {
        eprintln!("SKIPPED (no corpus on this machine): the README's corpus usage lines");
        return;
    }
    run_lines(&lines, &work);
    assert!(work.join("mine.json").is_file());
    assert!(work.join("rel.svg").is_file());
}
