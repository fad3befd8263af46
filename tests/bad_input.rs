//! The bad-input suite: every kind of hostile or broken input an analyst may feed claimtrack,
//! driven through the real binary. Each case either fails with a clear error that names the
//! file (and line) and a non-zero exit, or is handled in the documented way
//! (docs/RELIABILITY.md lists every case and its outcome). No case may panic, and no failed
//! run may leave an output file or a temporary file behind.
//!
//! Fixtures are written by the tests into temporary folders; the big ones (a 50 MB line, a
//! 10 MB JSON string) are generated at test time.

use assert_cmd::Command;
use claimtrack::gold::Example;
use claimtrack::model::ModelParams;
use claimtrack::{Label, Role};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

fn bin() -> Command {
    Command::cargo_bin("claimtrack").unwrap()
}

/// Runs claimtrack with `args` (and `stdin`, empty when `None`).
fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut c = bin();
    c.args(args);
    c.write_stdin(stdin.unwrap_or(b"").to_vec());
    c.output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Never a panic, whatever the outcome.
fn assert_no_panic(o: &Output) {
    let e = stderr(o);
    assert!(!e.contains("panicked"), "claimtrack panicked:\n{e}");
    assert!(
        o.status.code().is_some(),
        "claimtrack was killed by a signal: {:?}\n{e}",
        o.status
    );
}

/// A clean failure: no panic, a non-zero exit, an `error:` line on stderr naming `needle`
/// (the file, and `file:line` where there is a line), and nothing on stdout.
fn assert_fails_naming(o: &Output, needle: &str) {
    assert_no_panic(o);
    let e = stderr(o);
    assert!(
        !o.status.success(),
        "expected a failure naming {needle:?}, got success; stderr:\n{e}"
    );
    assert_eq!(o.status.code(), Some(2), "stderr:\n{e}");
    assert!(e.contains("error: "), "no error line:\n{e}");
    assert!(
        e.contains(needle),
        "the error does not name {needle:?}:\n{e}"
    );
}

/// A success without panic; returns stdout.
fn assert_ok(o: &Output) -> String {
    assert_no_panic(o);
    assert!(
        o.status.success(),
        "expected success; stderr:\n{}",
        stderr(o)
    );
    stdout(o)
}

/// The names of the entries of `dir`, sorted (to prove no output or temporary file appeared).
fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

const GOOD_ARTICLE: &str =
    "---\noutlet: Claim Daily\ndate: 2024-01-25\ntitle: Putin signals he is open to talks\n---\n\
Putin signals he is open to talks\n\n\
Putin has signalled through intermediaries that he is open to a ceasefire. \
US officials denied receiving any message.\n\n\
Analysts doubt the overture is sincere.\n";

/// Parses `sentences` JSONL output into its records.
fn records(out: &str) -> Vec<Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).expect("each output line is JSON"))
        .collect()
}

// ---------------------------------------------------------------- ingestion: text files

#[test]
fn missing_file_is_an_error_naming_it() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("nope.txt");
    let o = run(&["sentences", p(&f)], None);
    assert_fails_naming(&o, p(&f));
    assert_eq!(
        stderr(&o).matches("no such file").count(),
        1,
        "said once: {}",
        stderr(&o)
    );
}

#[test]
fn empty_file_is_skipped_with_a_warning() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("empty.txt");
    fs::write(&f, "").unwrap();
    let o = run(&["sentences", p(&f)], None);
    assert_eq!(assert_ok(&o), "", "no sentences from an empty file");
    let e = stderr(&o);
    assert!(e.contains(&format!("warning: {}: ", p(&f))), "{e}");
    assert!(e.contains("no text"), "{e}");
    // A report of nothing but empty files is an error, not an empty report.
    let o = run(&["report", "--quiet", p(&f)], None);
    assert_fails_naming(&o, "no articles");
    // Whitespace and a header with no body count as empty too.
    fs::write(&f, "---\noutlet: X\n---\n \n\t\n").unwrap();
    let o = run(&["sentences", p(&f)], None);
    assert_eq!(assert_ok(&o), "");
    assert!(stderr(&o).contains("no text"), "{}", stderr(&o));
}

#[test]
fn empty_directory_is_an_error_naming_it() {
    let d = tempfile::tempdir().unwrap();
    let sub = d.path().join("nothing-here");
    fs::create_dir(&sub).unwrap();
    fs::write(sub.join("notes.tsv"), "not an article").unwrap();
    let o = run(&["sentences", p(&sub)], None);
    assert_fails_naming(&o, p(&sub));
    assert!(
        stderr(&o).contains("no .txt, .md or .jsonl"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn png_file_is_refused_as_binary() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("photo.png");
    let mut png =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0\x1f\xf3\xffa".to_vec();
    png.extend((0..4000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8));
    fs::write(&f, &png).unwrap();
    let o = run(&["sentences", p(&f)], None);
    assert_fails_naming(&o, p(&f));
    assert!(stderr(&o).contains("binary"), "{}", stderr(&o));
    // The same bytes renamed to .txt are still refused (content, not extension, decides).
    let t = d.path().join("photo.txt");
    fs::write(&t, &png).unwrap();
    assert_fails_naming(&run(&["sentences", p(&t)], None), p(&t));
}

#[test]
fn invalid_utf8_is_replaced_with_a_warning_naming_the_file() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("latin1.txt");
    fs::write(
        &f,
        b"---\noutlet: Caf\xe9 Presse\n---\nThe Kremlin said Russia was open to talks \xff\xfe today.\n",
    )
    .unwrap();
    let o = run(&["sentences", p(&f)], None);
    let out = assert_ok(&o);
    let e = stderr(&o);
    assert!(e.contains(p(&f)) && e.contains("invalid UTF-8"), "{e}");
    let r = records(&out);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0]["outlet"], "Caf\u{FFFD} Presse");
    assert!(r[0]["text"]
        .as_str()
        .unwrap()
        .contains("talks \u{FFFD}\u{FFFD} today"));
}

#[test]
fn utf8_bom_does_not_hide_the_front_matter() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("bom.txt");
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(GOOD_ARTICLE.as_bytes());
    fs::write(&f, bytes).unwrap();
    let r = records(&assert_ok(&run(&["sentences", p(&f)], None)));
    assert_eq!(r[0]["outlet"], "Claim Daily");
    assert_eq!(r[0]["text"], "Putin signals he is open to talks");
    assert!(r
        .iter()
        .all(|s| !s["text"].as_str().unwrap().contains('\u{FEFF}')));
}

#[test]
fn crlf_and_lone_cr_line_ends_give_the_same_sentences_as_lf() {
    let d = tempfile::tempdir().unwrap();
    let lf = d.path().join("lf.txt");
    let crlf = d.path().join("crlf.txt");
    let cr = d.path().join("cr.txt");
    fs::write(&lf, GOOD_ARTICLE).unwrap();
    fs::write(&crlf, GOOD_ARTICLE.replace('\n', "\r\n")).unwrap();
    fs::write(&cr, GOOD_ARTICLE.replace('\n', "\r")).unwrap();
    let texts = |f: &Path| -> Vec<Value> {
        records(&assert_ok(&run(&["sentences", p(f)], None)))
            .into_iter()
            .map(|mut r| {
                r.as_object_mut().unwrap().remove("article");
                r
            })
            .collect()
    };
    let want = texts(&lf);
    assert_eq!(want.len(), 4);
    assert_eq!(texts(&crlf), want);
    assert_eq!(texts(&cr), want);
    assert!(want
        .iter()
        .all(|r| !r["text"].as_str().unwrap().contains('\r')));
}

#[test]
fn nul_bytes_stray_ones_dropped_many_refused() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("nul.txt");
    fs::write(
        &f,
        "---\noutlet: X\n---\nUS officials\0 denied receiving any message.\n",
    )
    .unwrap();
    let r = records(&assert_ok(&run(&["sentences", p(&f)], None)));
    assert_eq!(r[0]["text"], "US officials denied receiving any message.");
    let g = d.path().join("utf16.txt");
    let utf16: Vec<u8> = "US officials denied receiving any message."
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    fs::write(&g, utf16).unwrap();
    let o = run(&["sentences", p(&g)], None);
    assert_fails_naming(&o, p(&g));
    assert!(stderr(&o).contains("NUL"), "{}", stderr(&o));
}

#[test]
fn front_matter_never_closed_names_file_and_line() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("open.txt");
    fs::write(&f, "---\noutlet: X\ndate: 2024-01-02\n").unwrap();
    let o = run(&["sentences", p(&f)], None);
    assert_fails_naming(&o, &format!("{}:1:", p(&f)));
    assert!(stderr(&o).contains("never closed"), "{}", stderr(&o));
}

#[test]
fn duplicate_front_matter_key_names_file_and_line() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("dup.txt");
    fs::write(
        &f,
        "---\noutlet: X\ndate: 2024-01-02\nOutlet: Y\n---\nText.\n",
    )
    .unwrap();
    let o = run(&["sentences", p(&f)], None);
    assert_fails_naming(&o, &format!("{}:4:", p(&f)));
    assert!(stderr(&o).contains("`outlet`"), "{}", stderr(&o));
}

#[test]
fn bad_article_in_a_directory_stops_the_report_and_writes_nothing() {
    let d = tempfile::tempdir().unwrap();
    let inputs = d.path().join("in");
    fs::create_dir(&inputs).unwrap();
    fs::write(inputs.join("a.txt"), GOOD_ARTICLE).unwrap();
    fs::write(inputs.join("b.txt"), "---\noutlet: X\n").unwrap();
    let out = d.path().join("out");
    fs::create_dir(&out).unwrap();
    let report = out.join("report.html");
    fs::write(&report, "previous report").unwrap();
    let o = run(
        &[
            "report",
            "--quiet",
            "--format",
            "html",
            "--out",
            p(&report),
            p(&inputs),
        ],
        None,
    );
    assert_fails_naming(&o, &format!("{}:1:", p(&inputs.join("b.txt"))));
    assert_eq!(fs::read_to_string(&report).unwrap(), "previous report");
    assert_eq!(entries(&out), ["report.html"], "no temporary file left");
    let scores = out.join("scores.jsonl");
    let o = run(&["score", "--quiet", "--out", p(&scores), p(&inputs)], None);
    assert_fails_naming(&o, p(&inputs.join("b.txt")));
    assert_eq!(entries(&out), ["report.html"], "no partial scores file");
}

#[test]
fn a_50_mb_single_line_is_handled() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("huge.txt");
    // 50 MB, one line, no line break: a scraped page that lost its paragraphs.
    let unit = "The Kremlin said Russia was open to talks while US officials denied it. ";
    let mut text = String::from("---\noutlet: Huge Wire\n---\n");
    while text.len() < 50 * 1024 * 1024 {
        text.push_str(unit);
    }
    fs::write(&f, &text).unwrap();
    let o = run(&["sentences", p(&f)], None);
    let out = assert_ok(&o);
    let n = out.lines().count();
    let expected = (text.len() - 26) / unit.len();
    assert!(n >= expected, "{n} sentences, expected at least {expected}");
    let last: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(last["outlet"], "Huge Wire");
}

// ---------------------------------------------------------------- ingestion: JSONL

#[test]
fn jsonl_broken_line_names_file_and_line() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("a.jsonl");
    fs::write(
        &f,
        "{\"outlet\":\"O\",\"text\":\"Fine.\"}\n{\"outlet\":\"O\",\"text\":\"cut off\n",
    )
    .unwrap();
    let o = run(&["sentences", p(&f)], None);
    assert_fails_naming(&o, &format!("{}:2:", p(&f)));
    assert!(stderr(&o).contains("not valid JSON"), "{}", stderr(&o));
}

#[test]
fn jsonl_missing_text_names_file_and_line() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("a.jsonl");
    fs::write(&f, "\n\n{\"outlet\":\"O\",\"title\":\"No body\"}\n").unwrap();
    let o = run(&["sentences", p(&f)], None);
    assert_fails_naming(&o, &format!("{}:3:", p(&f)));
    assert!(stderr(&o).contains("`text`"), "{}", stderr(&o));
}

#[test]
fn jsonl_text_not_a_string_names_file_line_and_kind() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("a.jsonl");
    for (body, kind) in [
        ("{\"text\":42}", "a number"),
        ("{\"text\":null}", "null"),
        ("{\"text\":[\"a\"]}", "an array"),
        ("{\"text\":{\"p\":\"x\"}}", "an object"),
    ] {
        fs::write(&f, format!("{body}\n")).unwrap();
        let o = run(&["sentences", p(&f)], None);
        assert_fails_naming(&o, &format!("{}:1:", p(&f)));
        assert!(stderr(&o).contains(kind), "{kind}: {}", stderr(&o));
    }
    // Not an object at all.
    fs::write(&f, "[1,2]\n").unwrap();
    assert_fails_naming(&run(&["sentences", p(&f)], None), &format!("{}:1:", p(&f)));
}

#[test]
fn jsonl_with_a_10_mb_string_is_read() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("big.jsonl");
    // Distinct sentences, one per line (the cleaner drops lines repeated within an article).
    let mut body = String::new();
    let mut n = 0usize;
    while body.len() < 10 * 1024 * 1024 {
        body.push_str(&format!("Analysts doubt overture {n} is sincere.\\n"));
        n += 1;
    }
    fs::write(
        &f,
        format!("{{\"outlet\":\"Big\",\"text\":\"{body}\"}}\n{{\"outlet\":\"Small\",\"text\":\"Fine.\"}}\n"),
    )
    .unwrap();
    let out = assert_ok(&run(&["sentences", p(&f)], None));
    assert_eq!(out.lines().count(), n + 1);
    assert!(out.lines().last().unwrap().contains("\"Small\""));
}

#[test]
fn jsonl_invalid_utf8_and_bom_are_handled() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("a.jsonl");
    fs::write(
        &f,
        b"\xEF\xBB\xBF{\"outlet\":\"O\",\"text\":\"First.\"}\r\n{\"outlet\":\"O\",\"text\":\"Bad \xff byte.\"}\r\n",
    )
    .unwrap();
    let o = run(&["sentences", p(&f)], None);
    let r = records(&assert_ok(&o));
    assert_eq!(r.len(), 2);
    assert_eq!(r[1]["text"], "Bad \u{FFFD} byte.");
    assert!(
        stderr(&o).contains(&format!("{}:2", p(&f))),
        "{}",
        stderr(&o)
    );
}

// ---------------------------------------------------------------- standard input and output

#[test]
fn closed_stdin_reads_as_empty_input() {
    // `exec 0<&-` closes the descriptor; the Rust runtime reopens it on /dev/null, so a closed
    // stdin is an empty one: a warning and no sentences, or an error where articles are needed.
    let exe = assert_cmd::cargo::cargo_bin("claimtrack");
    let o = std::process::Command::new("sh")
        .arg("-c")
        .arg("exec 0<&-; \"$0\" sentences -")
        .arg(&exe)
        .output()
        .unwrap();
    assert_eq!(assert_ok(&o), "");
    assert!(stderr(&o).contains("<stdin>"), "{}", stderr(&o));
    let o = std::process::Command::new("sh")
        .arg("-c")
        .arg("exec 0<&-; \"$0\" report --quiet -")
        .arg(&exe)
        .output()
        .unwrap();
    assert_fails_naming(&o, "no articles");
    let o = std::process::Command::new("sh")
        .arg("-c")
        .arg("exec 0<&-; \"$0\" classify")
        .arg(&exe)
        .output()
        .unwrap();
    assert_eq!(assert_ok(&o), "");
}

#[test]
fn sigpipe_on_stdout_exits_quietly() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("many.jsonl");
    // About 2 MB of output: far more than a pipe buffer, so the writer meets a closed pipe.
    let line = serde_json::json!({"outlet": "O", "text": "Fighting continued along the front line. Congress debated the aid package."})
        .to_string();
    fs::write(&f, format!("{line}\n").repeat(8000)).unwrap();
    let exe = assert_cmd::cargo::cargo_bin("claimtrack");
    for cmd in ["sentences", "score --quiet"] {
        let script =
            format!("\"$0\" {cmd} \"$1\" | head -1; echo \"status=${{PIPESTATUS[0]}}\" >&2");
        let o = std::process::Command::new("bash")
            .arg("-c")
            .arg(&script)
            .arg(&exe)
            .arg(&f)
            .output()
            .unwrap();
        let e = stderr(&o);
        assert_eq!(stdout(&o).lines().count(), 1, "{cmd}");
        assert_eq!(e.trim(), "status=0", "{cmd}: not quiet:\n{e}");
    }
}

// ---------------------------------------------------------------- output paths

#[test]
fn out_pointing_to_a_directory_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let a = d.path().join("a.txt");
    fs::write(&a, GOOD_ARTICLE).unwrap();
    let target = d.path().join("reports");
    fs::create_dir(&target).unwrap();
    for args in [
        vec!["report", "--quiet", "--out", p(&target), p(&a)],
        vec!["score", "--quiet", "--out", p(&target), p(&a)],
    ] {
        let o = run(&args, None);
        assert_fails_naming(&o, p(&target));
        assert!(stderr(&o).contains("is a directory"), "{}", stderr(&o));
        assert!(entries(&target).is_empty());
    }
    let m = d.path().join("models");
    fs::create_dir(&m).unwrap();
    let g = gold(d.path(), &all_labels_rows());
    let o = run(&["train", "--data", p(&g), "--out", p(&m)], None);
    assert_fails_naming(&o, p(&m));
    assert!(entries(&m).is_empty());
}

#[test]
fn unwritable_out_is_an_error_naming_it() {
    let d = tempfile::tempdir().unwrap();
    let a = d.path().join("a.txt");
    fs::write(&a, GOOD_ARTICLE).unwrap();
    // A folder that does not exist, and a "folder" that is a file.
    let missing = d.path().join("no/such/folder/report.md");
    let o = run(&["report", "--quiet", "--out", p(&missing), p(&a)], None);
    assert_fails_naming(&o, p(&missing));
    let under_file = a.join("report.md");
    let o = run(&["score", "--quiet", "--out", p(&under_file), p(&a)], None);
    assert_fails_naming(&o, p(&under_file));
    // A read-only folder (only meaningful when not running as root, who may write anyway).
    let ro = d.path().join("ro");
    fs::create_dir(&ro).unwrap();
    set_mode(&ro, 0o555);
    let root = fs::write(ro.join("probe"), "x").is_ok();
    if root {
        let _ = fs::remove_file(ro.join("probe"));
        eprintln!("SKIPPED read-only folder check: running as root, permissions do not apply");
    } else {
        let out = ro.join("report.md");
        let o = run(&["report", "--quiet", "--out", p(&out), p(&a)], None);
        assert_fails_naming(&o, p(&out));
        assert!(entries(&ro).is_empty());
    }
    set_mode(&ro, 0o755);
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) {}

// ---------------------------------------------------------------- gold data

fn all_labels_rows() -> Vec<(String, String)> {
    let mut rows = Vec::new();
    for a in 0..4 {
        for (t, l) in [
            (
                "Kremlin signalled openness to ceasefire talks",
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
        ] {
            rows.push((format!("{t} {a}"), l.to_string()));
        }
    }
    rows
}

/// Writes an inline gold file with the given (text, label) rows, 4 per article.
fn gold(dir: &Path, rows: &[(String, String)]) -> PathBuf {
    let lines: Vec<String> = rows
        .iter()
        .enumerate()
        .map(|(i, (t, l))| {
            serde_json::json!({"article": format!("art{}", i / 4), "outlet": "o", "index": i % 4, "text": t, "label": l})
                .to_string()
        })
        .collect();
    let p = dir.join("gold.jsonl");
    fs::write(&p, lines.join("\n") + "\n").unwrap();
    p
}

#[test]
fn gold_with_an_unknown_label_names_file_and_line() {
    let d = tempfile::tempdir().unwrap();
    let mut rows = all_labels_rows();
    rows[5].1 = "propaganda".into();
    let g = gold(d.path(), &rows);
    let m = d.path().join("m.json");
    let o = run(&["train", "--data", p(&g), "--out", p(&m)], None);
    assert_fails_naming(&o, &format!("{}:6:", p(&g)));
    assert!(stderr(&o).contains("propaganda"), "{}", stderr(&o));
    assert!(!m.exists());
    let o = run(&["evaluate", "--data", p(&g)], None);
    assert_fails_naming(&o, &format!("{}:6:", p(&g)));
}

#[test]
fn gold_with_one_class_only_is_refused_naming_the_data() {
    let d = tempfile::tempdir().unwrap();
    let rows: Vec<(String, String)> = all_labels_rows()
        .into_iter()
        .map(|(t, _)| (t, "context".to_string()))
        .collect();
    let g = gold(d.path(), &rows);
    let m = d.path().join("m.json");
    let o = run(&["train", "--data", p(&g), "--out", p(&m)], None);
    assert_fails_naming(&o, p(&g));
    assert!(
        stderr(&o).contains("only 1 distinct label"),
        "{}",
        stderr(&o)
    );
    assert_eq!(entries(d.path()), ["gold.jsonl"], "no model file written");
    let o = run(&["evaluate", "--data", p(&g)], None);
    assert_fails_naming(&o, p(&g));
}

#[test]
fn gold_that_is_empty_or_binary_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let g = d.path().join("gold.jsonl");
    fs::write(&g, "").unwrap();
    let o = run(
        &[
            "train",
            "--data",
            p(&g),
            "--out",
            p(&d.path().join("m.json")),
        ],
        None,
    );
    assert_fails_naming(&o, p(&g));
    let missing = d.path().join("missing.jsonl");
    let o = run(
        &[
            "train",
            "--data",
            p(&missing),
            "--out",
            p(&d.path().join("m.json")),
        ],
        None,
    );
    assert_fails_naming(&o, p(&missing));
    assert_eq!(
        stderr(&o).matches("os error 2").count(),
        1,
        "said once: {}",
        stderr(&o)
    );
    fs::write(&g, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\xff\xfe").unwrap();
    let o = run(
        &[
            "train",
            "--data",
            p(&g),
            "--out",
            p(&d.path().join("m.json")),
        ],
        None,
    );
    assert_fails_naming(&o, p(&g));
    assert_eq!(entries(d.path()), ["gold.jsonl"]);
}

// ---------------------------------------------------------------- model files

const TRAIN: &[(&str, Label)] = &[
    (
        "Putin signalled through intermediaries that he is open to talks.",
        Label::RussianClaim,
    ),
    (
        "Russia sent back-channel signals that it is ready for a ceasefire.",
        Label::RussianClaim,
    ),
    (
        "US officials denied receiving any such message.",
        Label::UsDenial,
    ),
    (
        "Washington rejected claims of back-channel talks.",
        Label::UsDenial,
    ),
    (
        "Analysts doubt the overture is sincere.",
        Label::ExpertSkepticism,
    ),
    (
        "Experts said the signals are likely a ploy.",
        Label::ExpertSkepticism,
    ),
    ("Fighting continued along the front line.", Label::Context),
    ("Congress debated the aid package.", Label::Context),
];

/// The JSON text of a tiny valid model (trained once per test binary).
fn model_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        let examples: Vec<Example> = TRAIN
            .iter()
            .enumerate()
            .map(|(i, (t, l))| Example {
                text: t.to_string(),
                label: *l,
                article: format!("a{}", i / 2),
                outlet: "o".into(),
                index: i % 2,
                role: Role::Body,
            })
            .collect();
        ModelParams::default()
            .fit(&examples)
            .unwrap()
            .to_json_string()
            .unwrap()
    })
}

/// The checksum the model file format defines: SHA-256 of the compact JSON of `content`.
fn checksum(content: &Value) -> String {
    let hex: String = Sha256::digest(serde_json::to_vec(content).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

/// Writes `model` to `dir/name` and runs `classify` with it; returns the output.
fn classify_with(dir: &Path, name: &str, model: &[u8]) -> (PathBuf, Output) {
    let m = dir.join(name);
    fs::write(&m, model).unwrap();
    let o = run(
        &["classify", "--model", p(&m)],
        Some(b"US officials denied receiving any message.\n"),
    );
    (m, o)
}

#[test]
fn valid_model_fixture_loads_and_its_checksum_is_the_documented_one() {
    // Guards the model tests below: the fixture is a good model, and re-checksumming an
    // edited copy with `checksum` reproduces what the tool writes.
    let d = tempfile::tempdir().unwrap();
    let (_, o) = classify_with(d.path(), "good.json", model_json().as_bytes());
    let out = assert_ok(&o);
    assert!(out.contains("\"label\""), "{out}");
    let v: Value = serde_json::from_str(model_json()).unwrap();
    assert_eq!(v["checksum"].as_str().unwrap(), checksum(&v["content"]));
}

#[test]
fn truncated_model_names_the_file() {
    let d = tempfile::tempdir().unwrap();
    let json = model_json().as_bytes();
    for (i, cut) in [json.len() / 2, json.len() - 3, 1].into_iter().enumerate() {
        let (m, o) = classify_with(d.path(), &format!("cut{i}.json"), &json[..cut]);
        assert_fails_naming(&o, p(&m));
        assert_eq!(
            stderr(&o).matches("not JSON").count(),
            1,
            "said once: {}",
            stderr(&o)
        );
    }
    let (m, o) = classify_with(d.path(), "empty.json", b"");
    assert_fails_naming(&o, p(&m));
}

#[test]
fn model_from_a_future_format_version_asks_to_upgrade() {
    let d = tempfile::tempdir().unwrap();
    let mut v: Value = serde_json::from_str(model_json()).unwrap();
    v["format_version"] = Value::from(claimtrack::model::FORMAT_VERSION + 1);
    // A future version may also add fields; the version check comes before the layout check.
    v["content"]["new_feature_groups"] = Value::from(vec![1, 2, 3]);
    let (m, o) = classify_with(d.path(), "future.json", v.to_string().as_bytes());
    assert_fails_naming(&o, p(&m));
    assert!(stderr(&o).contains("upgrade claimtrack"), "{}", stderr(&o));
}

/// An edit of a model file's `content`.
type ContentEdit = Box<dyn Fn(&mut Value)>;

#[test]
fn model_with_mismatched_shapes_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let good: Value = serde_json::from_str(model_json()).unwrap();
    let edits: Vec<(&str, ContentEdit)> = vec![
        (
            "vocabulary terms but",
            Box::new(|c: &mut Value| {
                c["weights"].as_array_mut().unwrap().pop();
            }),
        ),
        (
            "idf",
            Box::new(|c: &mut Value| {
                c["idf"].as_array_mut().unwrap().push(Value::from(1.0));
            }),
        ),
        (
            "model file is not valid",
            Box::new(|c: &mut Value| {
                c["weights"][0].as_array_mut().unwrap().pop();
            }),
        ),
        (
            "labels",
            Box::new(|c: &mut Value| {
                c["labels"].as_array_mut().unwrap().swap(0, 1);
            }),
        ),
        (
            "fewer than two active labels",
            Box::new(|c: &mut Value| {
                c["active_labels"] = serde_json::json!(["context"]);
            }),
        ),
    ];
    for (i, (needle, edit)) in edits.iter().enumerate() {
        let mut v = good.clone();
        edit(&mut v["content"]);
        v["checksum"] = Value::from(checksum(&v["content"]));
        let (m, o) = classify_with(
            d.path(),
            &format!("shape{i}.json"),
            v.to_string().as_bytes(),
        );
        assert_fails_naming(&o, p(&m));
        assert!(stderr(&o).contains(needle), "{needle}: {}", stderr(&o));
    }
}

#[test]
fn edited_model_fails_its_checksum() {
    let d = tempfile::tempdir().unwrap();
    let mut v: Value = serde_json::from_str(model_json()).unwrap();
    let w = v["content"]["intercepts"][0].as_f64().unwrap();
    v["content"]["intercepts"][0] = Value::from(w + 0.5);
    let (m, o) = classify_with(d.path(), "edited.json", v.to_string().as_bytes());
    assert_fails_naming(&o, p(&m));
    assert!(stderr(&o).contains("checksum mismatch"), "{}", stderr(&o));
}

#[test]
fn a_png_or_a_directory_as_model_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let (m, o) = classify_with(d.path(), "model.png", b"\x89PNG\r\n\x1a\n\0\0\xff\xfe");
    assert_fails_naming(&o, p(&m));
    assert!(
        stderr(&o).contains("not a claimtrack model file: binary data"),
        "{}",
        stderr(&o)
    );
    let a = d.path().join("a.txt");
    fs::write(&a, GOOD_ARTICLE).unwrap();
    let o = run(&["report", "--quiet", "--model", p(d.path()), p(&a)], None);
    assert_fails_naming(&o, p(d.path()));
}

// ---------------------------------------------------------------- determinism across threads

#[test]
fn models_and_reports_are_byte_identical_across_thread_counts() {
    let d = tempfile::tempdir().unwrap();
    let g = gold(d.path(), &all_labels_rows());
    let inputs = d.path().join("in");
    fs::create_dir(&inputs).unwrap();
    for i in 0..6 {
        fs::write(
            inputs.join(format!("a{i}.txt")),
            GOOD_ARTICLE.replace("Claim Daily", &format!("Outlet {}", i % 3)),
        )
        .unwrap();
    }
    let mut outputs: Vec<Vec<Vec<u8>>> = Vec::new();
    for (k, threads) in ["1", "2", "2"].iter().enumerate() {
        // Each run works in its own folder with the same relative names, because reports
        // name the model file they used.
        let wd = d.path().join(format!("run{k}"));
        fs::create_dir(&wd).unwrap();
        let in_thread = |args: &[&str]| {
            let mut c = bin();
            c.current_dir(&wd)
                .env("RAYON_NUM_THREADS", threads)
                .args(args);
            assert_ok(&c.output().unwrap());
        };
        in_thread(&["train", "--data", p(&g), "--out", "m.json"]);
        let mut files = vec![fs::read(wd.join("m.json")).unwrap()];
        for format in ["json", "html", "csv", "md"] {
            let out = format!("r.{format}");
            in_thread(&[
                "report",
                "--quiet",
                "--model",
                "m.json",
                "--format",
                format,
                "--out",
                &out,
                p(&inputs),
            ]);
            files.push(fs::read(wd.join(&out)).unwrap());
        }
        in_thread(&[
            "score",
            "--quiet",
            "--model",
            "m.json",
            "--out",
            "s.jsonl",
            p(&inputs),
        ]);
        files.push(fs::read(wd.join("s.jsonl")).unwrap());
        outputs.push(files);
    }
    assert_eq!(outputs[0].len(), 6);
    for (i, (one, two)) in outputs[0].iter().zip(&outputs[1]).enumerate() {
        assert!(one == two, "output {i} differs between 1 and 2 threads");
    }
    assert_eq!(outputs[1], outputs[2], "two runs with 2 threads differ");
}

// ---------------------------------------------------------------- safe per-outlet files

#[test]
fn hostile_outlet_names_never_escape_the_per_outlet_folder() {
    let d = tempfile::tempdir().unwrap();
    let inputs = d.path().join("in");
    fs::create_dir(&inputs).unwrap();
    let outlets = [
        "../../escaped",
        "/tmp/absolute",
        "..",
        ".hidden",
        "A/B",
        "A B",
        "<script>alert(1)</script>",
    ];
    for (i, o) in outlets.iter().enumerate() {
        fs::write(
            inputs.join(format!("a{i}.txt")),
            GOOD_ARTICLE.replace("Claim Daily", o),
        )
        .unwrap();
    }
    let dir = d.path().join("work/per-outlet");
    let o = run(
        &[
            "report",
            "--quiet",
            "--format",
            "html",
            "--per-outlet",
            p(&dir),
            p(&inputs),
        ],
        None,
    );
    assert_ok(&o);
    let files = entries(&dir);
    assert_eq!(files.len(), outlets.len(), "{files:?}");
    for f in &files {
        assert!(f.ends_with(".html") && !f.starts_with('.'), "{f}");
        assert!(
            f.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'),
            "{f}"
        );
        let page = fs::read_to_string(dir.join(f)).unwrap();
        assert!(!page.contains("<script>alert"), "{f} is not escaped");
    }
    // Nothing was written anywhere but the folder.
    assert_eq!(entries(d.path()), ["in", "work"]);
    assert_eq!(entries(&d.path().join("work")), ["per-outlet"]);
    assert_eq!(entries(&inputs).len(), outlets.len());
    // Each file holds only its own outlet.
    let json_dir = d.path().join("json");
    assert_ok(&run(
        &[
            "report",
            "--quiet",
            "--format",
            "json",
            "--per-outlet",
            p(&json_dir),
            p(&inputs),
        ],
        None,
    ));
    let mut names: Vec<String> = Vec::new();
    for f in entries(&json_dir) {
        let v: Value = serde_json::from_slice(&fs::read(json_dir.join(&f)).unwrap()).unwrap();
        let o = v["outlets"].as_array().unwrap();
        assert_eq!(o.len(), 1, "{f}");
        let name = o[0]["outlet"].as_str().unwrap().to_string();
        assert!(v["articles"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["outlet"] == name.as_str()));
        names.push(name);
    }
    names.sort();
    let mut want: Vec<String> = outlets.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(names, want);
}

// ---------------------------------------------------------------- classify input

#[test]
fn classify_input_errors_name_the_line() {
    // classify reads sentences, not pages: invalid UTF-8 is reported (not replaced), because
    // its output passes fields through and must not silently alter them.
    let o = run(
        &["classify"],
        Some(b"Fine sentence.\nBad \xff byte.\n".as_slice()),
    );
    assert_fails_naming(&o, "<stdin>:2:");
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("s.jsonl");
    fs::write(&f, "{\"text\": \"ok\"}\n{\"text\": 3}\n").unwrap();
    let o = run(&["classify", p(&f)], None);
    assert_fails_naming(&o, &format!("{}:2:", p(&f)));
    fs::write(&f, "{\"text\": \"ok\"}\n{\"txt\": \"typo\"}\n").unwrap();
    let o = run(&["classify", p(&f)], None);
    assert_fails_naming(&o, &format!("{}:2:", p(&f)));
    fs::write(&f, "{\"text\": \"cut\n").unwrap();
    let o = run(&["classify", p(&f)], None);
    assert_fails_naming(&o, &format!("{}:1:", p(&f)));
}

// ---------------------------------------------------------------- fuzzing regressions

#[test]
fn fuzz_crasher_menu_run_before_related_marker() {
    // Found by `cargo fuzz run clean` (docs/RELIABILITY.md): a menu run ended by a "Related
    // stories" marker made the cleaner panic on a stale index. Through the binary.
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("menu.txt");
    fs::write(
        &f,
        "---\noutlet: X\n---\nRussia said it was open to talks.\nWorld News\nEurope Today\n\
         Asia Pacific\nRelated stories\nKremlin denies report\nThe Kremlin said nothing new today.\n\
         Fighting continued.\n",
    )
    .unwrap();
    let r = records(&assert_ok(&run(&["sentences", p(&f)], None)));
    let texts: Vec<&str> = r.iter().map(|s| s["text"].as_str().unwrap()).collect();
    assert_eq!(
        texts,
        ["Russia said it was open to talks.", "Fighting continued."]
    );
}
