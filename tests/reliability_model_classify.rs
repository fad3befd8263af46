//! Reliability of model loading and of `classify`'s input handling, through the real binary:
//! model files with extreme numbers or no vocabulary, byte order marks, lines without an
//! end, repeated JSON keys, closed pipes and control characters in messages
//! (docs/RELIABILITY.md lists each case and its outcome).
//!
//! Fixtures are generated in temporary folders; the long-line cases read `/dev/zero` or a
//! 20 MB file, so that the suite stays fast.

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

/// A clean failure: no panic, exit status 2, an `error:` line on stderr naming `needle`.
fn assert_fails_naming(o: &Output, needle: &str) {
    assert_no_panic(o);
    let e = stderr(o);
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

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Parses classify's JSONL output.
fn records(out: &str) -> Vec<Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).expect("each output line is JSON"))
        .collect()
}

/// Panics unless `r` carries a label and four finite probabilities summing to 1.
fn assert_classified(r: &Value) {
    assert!(r["label"].is_string(), "{r}");
    let probs = r["probs"].as_object().expect("probs");
    assert_eq!(probs.len(), 4, "{r}");
    let sum: f64 = probs
        .values()
        .map(|v| v.as_f64().expect("a finite probability, not null"))
        .sum();
    assert!((sum - 1.0).abs() < 1e-9, "{r}");
}

// ---------------------------------------------------------------- model values

const TRAIN: [(&str, Label); 8] = [
    (
        "Putin has signalled that he is open to a ceasefire.",
        Label::RussianClaim,
    ),
    (
        "The Kremlin sent back-channel signals about talks.",
        Label::RussianClaim,
    ),
    (
        "US officials denied receiving any message.",
        Label::UsDenial,
    ),
    (
        "The White House said no such signal arrived.",
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

/// The JSON of a tiny valid model (trained once per test binary).
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

/// The tiny model with `edit` applied to its content and the checksum recomputed, so that
/// loading passes the checksum and reaches the value checks.
fn edited_model(edit: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut v: Value = serde_json::from_str(model_json()).unwrap();
    edit(&mut v["content"]);
    v["checksum"] = Value::from(checksum(&v["content"]));
    serde_json::to_vec_pretty(&v).unwrap()
}

/// A change made to a model's content.
type Edit = Box<dyn Fn(&mut Value)>;

/// Writes `model` to `dir/name` and classifies one sentence with it.
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
fn model_with_extreme_weights_is_refused_naming_the_file() {
    // These loaded before and printed `null` probabilities with exit 0.
    let d = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "weight.json",
            Box::new(|c| c["weights"][3][1] = Value::from(1e308)),
            "weight of term 4",
        ),
        (
            "neg-weight.json",
            Box::new(|c| c["weights"][0][0] = Value::from(-1e308)),
            "weight of term 1",
        ),
        (
            "intercepts.json",
            Box::new(|c| {
                c["intercepts"][0] = Value::from(1e308);
                c["intercepts"][1] = Value::from(1e308);
            }),
            "intercept of label `russian_claim`",
        ),
        (
            "over-bound.json",
            Box::new(|c| c["intercepts"][2] = Value::from(1.5e6)),
            "intercept of label `expert_skepticism`",
        ),
        (
            "idf.json",
            Box::new(|c| c["idf"][0] = Value::from(1e308)),
            "idf value",
        ),
        (
            "cue-weight.json",
            Box::new(|c| {
                c["featurizer"]["cue_weight"] = Value::from(1e300);
                c["training"]["params"]["featurizer"]["cue_weight"] = Value::from(1e300);
            }),
            "cue_weight",
        ),
        (
            "char-weight.json",
            Box::new(|c| {
                c["featurizer"]["char_weight"] = Value::from(1e300);
                c["training"]["params"]["featurizer"]["char_weight"] = Value::from(1e300);
            }),
            "char_weight",
        ),
    ];
    for (name, edit, needle) in cases {
        let (m, o) = classify_with(d.path(), name, &edited_model(edit));
        assert_fails_naming(&o, &format!("{}: ", p(&m)));
        assert!(stderr(&o).contains(needle), "{name}: {}", stderr(&o));
        assert_eq!(stdout(&o), "", "{name}: no output");
    }
    // Control: the unedited model, re-checksummed the same way, classifies.
    let (_, o) = classify_with(d.path(), "good.json", &edited_model(|_| {}));
    let out = assert_ok(&o);
    assert_classified(&records(&out)[0]);
    // Large weights within the bound load, and the probabilities stay finite.
    let (_, o) = classify_with(
        d.path(),
        "large.json",
        &edited_model(|c| {
            for row in c["weights"].as_array_mut().unwrap() {
                for v in row.as_array_mut().unwrap() {
                    *v = Value::from(v.as_f64().unwrap() * 1e5);
                }
            }
        }),
    );
    let out = assert_ok(&o);
    assert_classified(&records(&out)[0]);
}

#[test]
fn model_with_an_empty_vocabulary_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let model = edited_model(|c| {
        c["vocabulary"] = Value::Array(Vec::new());
        c["idf"] = Value::Array(Vec::new());
        c["weights"] = Value::Array(Vec::new());
    });
    let (m, o) = classify_with(d.path(), "empty-vocab.json", &model);
    assert_fails_naming(&o, p(&m));
    assert!(stderr(&o).contains("empty vocabulary"), "{}", stderr(&o));
}

#[test]
fn the_default_model_still_loads_and_classifies() {
    let o = run(
        &["classify"],
        Some(b"US officials denied receiving any message.\n"),
    );
    let out = assert_ok(&o);
    let r = &records(&out)[0];
    assert_classified(r);
    assert_eq!(r["label"], "us_denial");
}

// ---------------------------------------------------------------- byte order mark

#[test]
fn a_byte_order_mark_does_not_hide_the_first_record() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("bom.jsonl");
    let body = "{\"id\":\"s1\",\"text\":\"US officials denied receiving any message.\"}\n\
                {\"id\":\"s2\",\"text\":\"Congress debated the aid package.\"}\n";
    let with_bom = [&b"\xEF\xBB\xBF"[..], body.as_bytes()].concat();
    fs::write(&f, &with_bom).unwrap();
    let plain = assert_ok(&run(&["classify"], Some(body.as_bytes())));
    for o in [
        run(&["classify", p(&f)], None),
        run(&["classify"], Some(&with_bom)),
    ] {
        let out = assert_ok(&o);
        assert_eq!(out, plain, "the mark changes nothing");
        let r = records(&out);
        assert_eq!(r[0]["id"], "s1");
        assert_eq!(r[0]["text"], "US officials denied receiving any message.");
        assert_classified(&r[0]);
    }
    // Plain-text lines too: the mark is not part of the sentence.
    let o = run(
        &["classify"],
        Some(b"\xEF\xBB\xBFUS officials denied receiving any message.\n"),
    );
    let r = records(&assert_ok(&o));
    assert_eq!(r[0]["text"], "US officials denied receiving any message.");
}

// ---------------------------------------------------------------- long lines

#[test]
fn a_20_mb_line_without_line_breaks_is_classified() {
    // Once quadratic (the growing buffer was searched again after every read); a plain
    // line and a JSON record of 20 MB, no line break, through a file and stdin.
    let d = tempfile::tempdir().unwrap();
    let text = "Putin said talks. ".repeat(20_000_000 / 18);
    let f = d.path().join("long.txt");
    fs::write(&f, &text).unwrap();
    let out = assert_ok(&run(&["classify", p(&f)], None));
    let r = records(&out);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0]["text"].as_str().unwrap(), text.trim());
    assert_classified(&r[0]);
    let json = serde_json::json!({"id": "long", "text": text}).to_string();
    let out = assert_ok(&run(&["classify"], Some(json.as_bytes())));
    let r = records(&out);
    assert_eq!((r.len(), r[0]["id"].as_str()), (1, Some("long")));
    assert_classified(&r[0]);
}

#[cfg(unix)]
#[test]
fn classify_of_dev_zero_ends_with_the_line_length_error() {
    // An endless stream without line breaks used to grow memory until the process died.
    let o = run(&["classify", "/dev/zero"], None);
    assert_fails_naming(
        &o,
        "error: /dev/zero:1: line longer than 67108864 bytes (64 MiB)",
    );
    assert_eq!(stdout(&o), "");
    let o = std::process::Command::new(assert_cmd::cargo::cargo_bin("claimtrack"))
        .arg("classify")
        .stdin(fs::File::open("/dev/zero").unwrap())
        .output()
        .unwrap();
    assert_fails_naming(
        &o,
        "error: <stdin>:1: line longer than 67108864 bytes (64 MiB)",
    );
}

#[cfg(unix)]
#[test]
fn a_line_over_the_limit_after_good_lines_names_its_line_number() {
    // Three records and a blank line, then an endless line: the error names line 5. As for
    // any bad line, the articles finished before it are written (a1), the one it
    // interrupts (a2) is not.
    let exe = assert_cmd::cargo::cargo_bin("claimtrack");
    let o = std::process::Command::new("sh")
        .arg("-c")
        .arg(
            "{ printf '%s\\n' '{\"article\":\"a1\",\"text\":\"US officials denied it.\"}' \
             '{\"article\":\"a1\",\"text\":\"Analysts doubt it.\"}' '' \
             '{\"article\":\"a2\",\"text\":\"The war goes on.\"}'; \
             cat /dev/zero | tr '\\0' 'a'; } | \"$0\" classify",
        )
        .arg(&exe)
        .output()
        .unwrap();
    assert_fails_naming(&o, "error: <stdin>:5: line longer than 67108864 bytes");
    let r = records(&stdout(&o));
    assert_eq!(r.len(), 2, "{}", stdout(&o));
    assert_eq!(r[1]["text"], "Analysts doubt it.");
    assert_classified(&r[1]);
}

// ---------------------------------------------------------------- repeated keys

#[test]
fn repeated_json_keys_are_refused_naming_file_line_and_key() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("dup.jsonl");
    for (key, line) in [
        ("text", r#"{"text":"a","text":"b"}"#),
        ("article", r#"{"article":"x","text":"a","article":"y"}"#),
        (
            "label",
            r#"{"text":"a","label":"context","label":"us_denial"}"#,
        ),
        ("probs", r#"{"probs":{},"text":"a","probs":[]}"#),
        ("id", r#"{"id":1,"text":"a","id":2}"#),
    ] {
        fs::write(&f, format!("{{\"text\":\"fine\"}}\n{line}\n")).unwrap();
        let o = run(&["classify", p(&f)], None);
        assert_fails_naming(&o, &format!("{}:2: JSON key `{key}` is given twice", p(&f)));
        let o = run(&["classify"], Some(format!("{line}\n").as_bytes()));
        assert_fails_naming(&o, &format!("<stdin>:1: JSON key `{key}` is given twice"));
    }
}

#[test]
fn a_normal_record_passes_through_unchanged() {
    // Control for the repeated-key check: distinct keys (also in nested objects, and keys
    // differing only in case) keep every field, in order, with label and probs added.
    let line = r#"{"id":"s1","Text":"upper","text":"Congress debated the aid package.","meta":{"text":1,"k":[1,2]},"article":"a1"}"#;
    let out = assert_ok(&run(&["classify"], Some(format!("{line}\n").as_bytes())));
    let want_prefix = &line[..line.len() - 1];
    assert!(
        out.starts_with(&format!("{want_prefix},\"label\":\"")),
        "{out}"
    );
    assert_classified(&records(&out)[0]);
}

// ---------------------------------------------------------------- closed pipes

#[test]
fn classify_exits_quietly_on_a_closed_pipe() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("many.jsonl");
    // About 4 MB of output: far more than a pipe buffer, so the writer meets a closed pipe.
    let line = serde_json::json!({"article": "a", "text": "Fighting continued along the front line. Congress debated the aid package."})
        .to_string();
    fs::write(&f, format!("{line}\n").repeat(16000)).unwrap();
    let exe = assert_cmd::cargo::cargo_bin("claimtrack");
    for script in [
        "\"$0\" --threads 1 classify \"$1\" | head -1; echo \"status=${PIPESTATUS[0]}\" >&2",
        "\"$0\" --threads 2 classify \"$1\" | head -1; echo \"status=${PIPESTATUS[0]}\" >&2",
        "cat \"$1\" | \"$0\" classify | head -c 10; s=${PIPESTATUS[1]}; echo; echo \"status=$s\" >&2",
    ] {
        // Outside any project: inside one, stderr also names the project file.
        let o = std::process::Command::new("bash")
            .current_dir(d.path())
            .arg("-c")
            .arg(script)
            .arg(&exe)
            .arg(&f)
            .output()
            .unwrap();
        let e = stderr(&o);
        assert_eq!(stdout(&o).lines().count(), 1, "{script}");
        assert_eq!(e.trim(), "status=0", "{script}: not quiet:\n{e}");
    }
}

// ---------------------------------------------------------------- control characters

#[test]
fn messages_escape_control_characters_from_the_data() {
    let d = tempfile::tempdir().unwrap();
    // In a repeated key, and in the file name.
    let f = d.path().join("evil\u{1b}[31m.jsonl");
    fs::write(
        &f,
        "{\"text\":\"a\",\"\\u001b[2J\\u001b]0;owned\\u0007\":1,\"\\u001b[2J\\u001b]0;owned\\u0007\":2}\n",
    )
    .unwrap();
    let o = run(&["classify", p(&f)], None);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        !o.stderr.contains(&0x1b) && !o.stderr.contains(&0x07),
        "raw: {e:?}"
    );
    assert!(e.contains("evil\\u{1b}[31m.jsonl:1: "), "{e}");
    assert!(
        e.contains("JSON key `\\u{1b}[2J\\u{1b}]0;owned\\u{7}` is given twice"),
        "{e}"
    );
    // In a model file: an unknown label and a vocabulary term, quoted by the load error.
    let model = edited_model(|c| c["labels"][0] = Value::from("\u{1b}[31mred"));
    let (_, o) = classify_with(d.path(), "label.json", &model);
    assert_eq!(o.status.code(), Some(2));
    assert!(!o.stderr.contains(&0x1b), "raw: {:?}", stderr(&o));
    assert!(stderr(&o).contains("\\u{1b}[31mred"), "{}", stderr(&o));
    let model = edited_model(|c| {
        c["vocabulary"][1] = Value::from("\u{1b}[2J");
        c["idf"][1] = Value::from(1e9);
    });
    let (_, o) = classify_with(d.path(), "term.json", &model);
    assert_eq!(o.status.code(), Some(2));
    assert!(!o.stderr.contains(&0x1b), "raw: {:?}", stderr(&o));
    assert!(stderr(&o).contains("\\u{1b}[2J"), "{}", stderr(&o));
}
