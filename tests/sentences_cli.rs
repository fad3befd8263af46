//! Integration tests: the real binary's `sentences` command on seeds/ and small fixtures.

use assert_cmd::Command;
use serde_json::Value;

fn claimtrack() -> Command {
    Command::cargo_bin("claimtrack").unwrap()
}

fn run_sentences(args: &[&str]) -> Vec<Value> {
    let out = claimtrack().arg("sentences").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn seeds_give_the_expected_sentences() {
    let s = run_sentences(&["seeds/"]);
    // Counts per article: one check that cleaning and splitting did not drift.
    let count = |id: &str| s.iter().filter(|v| v["article"] == id).count();
    assert_eq!(count("000_0dfea1806bd6c9c8"), 22);
    assert_eq!(count("001_5ca4497752f730ed"), 29);
    assert_eq!(count("002_2e05cb9d46f39589"), 20);
    assert_eq!(count("003_39f61cec4ff93c02"), 58);
    assert_eq!(count("004_46782ee2893609aa"), 25);
    assert_eq!(s.len(), 154);
    // Every line carries the fields annotation needs.
    for v in &s {
        for k in ["article", "outlet", "date", "index", "role", "text"] {
            assert!(v.get(k).is_some(), "missing {k} in {v}");
        }
        assert!(!v["text"].as_str().unwrap().trim().is_empty());
    }
    let find = |id: &str, i: u64| {
        s.iter()
            .find(|v| v["article"] == id && v["index"] == i)
            .unwrap()
            .clone()
    };
    let h = find("000_0dfea1806bd6c9c8", 0);
    assert_eq!(h["role"], "headline");
    assert_eq!(h["outlet"], "New York Post");
    assert_eq!(h["date"], "2024-01-25");
    assert_eq!(
        h["text"],
        "Putin sending backchannel signals to US about negotiating end to war in Ukraine: report"
    );
    assert_eq!(
        find("000_0dfea1806bd6c9c8", 20)["text"],
        "Yes, they use old Soviet systems."
    );
    assert_eq!(
        find("001_5ca4497752f730ed", 14)["text"],
        "“We are unaware of the shifts in Russia’s position described,” US National Security Council spokeswoman Adrienne Watson said."
    );
    assert_eq!(find("002_2e05cb9d46f39589", 0)["outlet"], "UNN");
    assert_eq!(find("002_2e05cb9d46f39589", 0)["date"], Value::Null);
    assert_eq!(
        find("004_46782ee2893609aa", 1)["text"],
        "Washington denied the claim."
    );
    assert_eq!(find("003_39f61cec4ff93c02", 2)["role"], "heading");
    // Furniture is gone.
    for v in &s {
        let t = v["text"].as_str().unwrap();
        for bad in [
            "Advertisement",
            "32679",
            "Ctrl + Enter",
            "Read More From",
            "(Photo: Reuters)",
            "Kazakhstan is a member",
        ] {
            assert!(!t.contains(bad), "furniture {bad:?} kept in {t:?}");
        }
    }
}

#[test]
fn explain_cleaning_reports_dropped_lines_with_file_line_and_reason() {
    let out = claimtrack()
        .args([
            "sentences",
            "--explain-cleaning",
            "seeds/004_46782ee2893609aa.txt",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("seeds/004_46782ee2893609aa.txt:15: dropped (advertisement): Advertisement"),
        "{err}"
    );
    assert!(
        err.contains("(correction-note): To suggest a correction"),
        "{err}"
    );
}

#[test]
fn jsonl_and_stdin_inputs() {
    let input = "{\"id\":\"j1\",\"outlet\":\"Wire\",\"text\":\"Kremlin open to talks. U.S. officials denied it.\"}\n{\"text\":\"No outlet here.\"}\n";
    let out = claimtrack()
        .args(["sentences", "-"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert!(out.status.success());
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["article"], "j1");
    assert_eq!(lines[1]["text"], "U.S. officials denied it.");
    assert_eq!(lines[2]["article"], "stdin:2");
    assert_eq!(lines[2]["outlet"], "unknown");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("<stdin>:2: no outlet given"), "{err}");
}

#[test]
fn outlet_flag_names_headerless_files() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("plain.txt");
    std::fs::write(&p, "Putin signals openness. Washington is sceptical.\n").unwrap();
    let s = run_sentences(&["--outlet", "Daily Test", p.to_str().unwrap()]);
    assert_eq!(s.len(), 2);
    assert!(s
        .iter()
        .all(|v| v["outlet"] == "Daily Test" && v["article"] == "plain"));
}

#[test]
fn bad_inputs_fail_with_file_and_line() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("broken.jsonl");
    std::fs::write(&p, "{\"text\":\"fine\"}\n{not json\n").unwrap();
    let out = claimtrack()
        .args(["sentences", p.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.len() < 200, "only the first article was printed");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("broken.jsonl:2"), "{err}");
    assert!(!err.contains("panicked"));
    let out = claimtrack()
        .args(["sentences", "no/such/file.txt"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("no/such/file.txt: no such file"));
}
