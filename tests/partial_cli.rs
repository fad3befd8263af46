//! Integration tests of partial-aggregate files through the real binary: partials of any split
//! of the seed articles (an article in two of them), merged, split by outlet and finished per
//! group, with the timeline's periods finished in shares, give `claimtrack report`'s bytes in
//! every format; grouping and highlights carry over;
//! a cut, foreign or conflicting partial is an error naming the file, with nothing written.

mod common;

use assert_cmd::Command;
use common::{train_model, write_article_with};
use std::fs;
use std::path::{Path, PathBuf};

fn bin(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("claimtrack").unwrap();
    // Outside any claim project: the shipped model and settings.
    c.current_dir(dir);
    c
}

/// Runs the binary in `dir`; returns stdout and fails the test on a non-zero exit.
fn run(dir: &Path, args: &[&str]) -> String {
    let out = bin(dir).args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{args:?}: {err}");
    String::from_utf8(out.stdout).unwrap()
}

/// Runs the binary in `dir`, expecting exit status 2; returns stderr.
fn fails(dir: &Path, args: &[&str]) -> String {
    let out = bin(dir).args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?} should fail");
    String::from_utf8_lossy(&out.stderr).to_string()
}

fn seeds() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let mut files: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .map(|p| p.display().to_string())
        .collect();
    files.sort();
    assert!(files.len() >= 3, "the seeds are there");
    files
}

const FORMATS: [&str; 4] = ["md", "json", "csv", "html"];

#[test]
fn partials_of_the_seeds_give_the_reports_bytes_in_every_format() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let seeds = seeds();
    let p = |name: &str| t.join(name).display().to_string();
    // Two partials over the seeds; the middle article is in both.
    let half = seeds.len() / 2;
    let mut a = vec!["report", "-q", "--partial-out"];
    let pa = p("a.ctp");
    a.push(&pa);
    a.extend(seeds[..=half].iter().map(String::as_str));
    run(t, &a);
    let mut b = vec!["report", "-q", "--partial-out"];
    let pb = p("b.ctp");
    b.push(&pb);
    b.extend(seeds[half..].iter().map(String::as_str));
    run(t, &b);
    run(t, &["merge", "-q", &pb, &pa, &pa, "--out", &p("all.ctp")]);
    run(
        t,
        &[
            "merge",
            "-q",
            &pa,
            &pb,
            "--split",
            "3",
            "--out-dir",
            &p("groups"),
        ],
    );
    let mut finished = Vec::new();
    for i in 0..3 {
        let group = p(&format!("groups/outlets-{i:04}.ctp"));
        let done = p(&format!("done-{i}.ctp"));
        run(
            t,
            &["merge", "-q", &group, "--finish-outlets", "--out", &done],
        );
        finished.push(done);
    }
    // The timeline's periods in two shares, one read from the raw partials, one from the
    // finished groups.
    let mut periods = finished.clone();
    for (i, from) in [vec![&pa, &pb], finished.iter().collect()]
        .iter()
        .enumerate()
    {
        let out = p(&format!("periods-{i}.ctp"));
        let share = format!("{i}/2");
        let mut args = vec!["merge", "-q", "--finish-periods", &share, "--out", &out];
        args.extend(from.iter().map(|s| s.as_str()));
        run(t, &args);
        periods.push(out);
    }
    let err = fails(
        t,
        &[
            "merge",
            "-q",
            &pa,
            "--finish-periods",
            "2/2",
            "--out",
            &p("x.ctp"),
        ],
    );
    assert!(err.contains("--finish-periods 2/2"), "{err}");
    assert!(!t.join("x.ctp").exists());
    let mut compared = 0;
    for format in FORMATS {
        let mut whole = vec!["report", "-q", "--format", format];
        whole.extend(seeds.iter().map(String::as_str));
        let want = run(t, &whole);
        assert!(want.len() > 100, "{format}");
        let all = p("all.ctp");
        let from: [Vec<&str>; 4] = [
            vec![&pa, &pb],
            vec![&all],
            finished.iter().map(String::as_str).collect(),
            periods.iter().map(String::as_str).collect(),
        ];
        for parts in from {
            let mut args = vec!["report", "-q", "--format", format, "--from-partials"];
            args.extend(parts.iter().copied());
            assert!(run(t, &args) == want, "{format} from {parts:?}");
            compared += 1;
        }
    }
    assert_eq!(compared, 16);
}

/// Three outlets with a country key over two folders, scored by the tiny model.
fn fixtures(dir: &Path) -> (PathBuf, PathBuf) {
    let (p1, p2) = (dir.join("part1"), dir.join("part2"));
    fs::create_dir_all(&p1).unwrap();
    fs::create_dir_all(&p2).unwrap();
    let claim = [
        "Putin has signalled through intermediaries that he is open to talks.",
        "Experts cautioned it could be a ploy to divide Ukraine's allies.",
    ];
    let denial = [
        "US officials denied receiving any such message.",
        "Washington rejected claims of back-channel talks.",
    ];
    /// Folder, id, outlet, date, country (empty: none), body.
    type Fixture<'a> = (&'a Path, &'a str, &'a str, &'a str, &'a str, &'a [&'a str]);
    let arts: [Fixture; 5] = [
        (&p1, "a1", "Claim Daily", "2024-01-25", "US", &claim),
        (&p1, "a2", "Claim Daily", "2024-03-02", "US", &denial),
        (&p2, "b1", "Denial Times", "2024-02-31", "UK", &denial),
        (&p2, "b2", "Denial Times", "2024-02-10", "UK", &claim),
        (&p2, "n1", "Quiet Post", "2024-01-02", "", &denial),
    ];
    for (d, id, outlet, date, country, body) in arts {
        let mut front = vec![("outlet", outlet), ("date", date)];
        if !country.is_empty() {
            front.push(("country", country));
        }
        write_article_with(d, id, &front, &format!("Title {id}"), body);
    }
    (p1, p2)
}

#[test]
fn grouping_highlights_and_warnings_carry_over() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let model = train_model(t).display().to_string();
    let (p1, p2) = fixtures(t);
    let (p1, p2) = (p1.display().to_string(), p2.display().to_string());
    let (c1, c2) = (
        t.join("1.ctp").display().to_string(),
        t.join("2.ctp").display().to_string(),
    );
    for (out, dir) in [(&c1, &p1), (&c2, &p2)] {
        let args = ["report", "-q", "--model", &model, "--group-by", "Country"];
        run(t, &[&args[..], &["--partial-out", out, dir]].concat());
    }
    let opts = [
        "--group-by",
        "country",
        "--highlight",
        "denial times",
        "--period",
        "month",
    ];
    for format in FORMATS {
        let mut whole = vec!["report", "-q", "--model", &model, "--format", format];
        whole.extend(opts);
        whole.extend([p1.as_str(), p2.as_str()]);
        let want = run(t, &whole);
        let mut args = vec!["report", "-q", "--format", format];
        args.extend(opts);
        args.extend(["--from-partials", &c2, &c1]);
        let out = bin(t).args(&args).output().unwrap();
        assert!(out.status.success());
        assert!(String::from_utf8(out.stdout).unwrap() == want, "{format}");
        // The invalid date warns at report time too, naming its article.
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("`b1`") && err.contains("undated"), "{err}");
    }
    // Without the key the partials were built with, the report is refused.
    let err = fails(t, &["report", "-q", "--from-partials", &c1]);
    assert!(err.contains("--group-by"), "{err}");
}

#[test]
fn a_cut_foreign_or_conflicting_partial_is_an_error_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let seeds = seeds();
    let good = t.join("good.ctp").display().to_string();
    run(
        t,
        &["report", "-q", "--partial-out", &good, &seeds[0], &seeds[1]],
    );
    let bytes = fs::read(&good).unwrap();
    let cut = t.join("cut.ctp");
    fs::write(&cut, &bytes[..bytes.len() - 7]).unwrap();
    let cut = cut.display().to_string();
    let out = t.join("out.md").display().to_string();
    let err = fails(
        t,
        &["report", "--from-partials", &good, &cut, "--out", &out],
    );
    assert!(
        err.contains("cut.ctp") && err.contains("truncated"),
        "{err}"
    );
    assert!(!Path::new(&out).exists(), "nothing is written");
    let merged = t.join("m.ctp").display().to_string();
    let err = fails(t, &["merge", &good, &cut, "--out", &merged]);
    assert!(err.contains("cut.ctp"), "{err}");
    assert!(!Path::new(&merged).exists(), "nothing is written");
    // A score file is not a partial.
    let scores = t.join("s.jsonl").display().to_string();
    run(t, &["score", "-q", "--out", &scores, &seeds[0]]);
    let err = fails(t, &["report", "--from-partials", &scores]);
    assert!(
        err.contains("s.jsonl") && err.contains("not a claimtrack partial"),
        "{err}"
    );
    // Other framing settings do not merge.
    let other = t.join("other.ctp").display().to_string();
    run(
        t,
        &[
            "report",
            "-q",
            "--seed",
            "7",
            "--partial-out",
            &other,
            &seeds[2],
        ],
    );
    let err = fails(t, &["merge", &good, &other, "--out", &merged]);
    assert!(
        err.contains("other.ctp") && err.contains("settings"),
        "{err}"
    );
}
