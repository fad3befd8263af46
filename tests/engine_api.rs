//! The library's engine ([`claimtrack::pipeline`]) and the binary agree byte for byte: what
//! `classify`, `score` and `report` (also `--from-scores`) print is what a Rust program gets
//! from the library calls, serialised, on seeds/ and on fixtures with awkward rows (a BOM,
//! CR LF line ends, blank and plain-text lines among JSON ones, U+2028/U+2029/NEL, NUL and
//! other control characters, non-ASCII text, empty text, long numbers, nested values, stale
//! `label`/`probs`/`argmax` fields, `article` values of every JSON kind).
//!
//! The library side does not go through `classify_stream` (the code the binary runs): it
//! groups the lines as the documented format says and calls `classify_article` /
//! `classify_batch`, so the two paths check each other.

use assert_cmd::Command;
use claimtrack::article::{read_articles, IngestOptions};
use claimtrack::model::Model;
use claimtrack::pipeline::{add_scores, Pipeline, Prediction, Settings};
use claimtrack::report::{render_to, Format, RenderOptions};
use claimtrack::scored::ScoredArticle;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

fn seeds() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds")
}

/// Runs the binary with `args`, expects success, returns stdout.
fn cli(args: &[&str]) -> Vec<u8> {
    let out = Command::cargo_bin("claimtrack")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn pipeline(decode: bool, source: Option<&str>) -> Pipeline {
    let settings = Settings {
        decode,
        model_source: source.map(str::to_string),
        ..Settings::default()
    };
    Pipeline::new(Model::default_model().unwrap(), settings).unwrap()
}

/// Compares line by line first (for a readable failure), then byte for byte.
fn assert_same(what: &str, lib: &[u8], bin: &[u8]) {
    let (l, b) = (String::from_utf8_lossy(lib), String::from_utf8_lossy(bin));
    for (n, (x, y)) in l.lines().zip(b.lines()).enumerate() {
        assert_eq!(x, y, "{what}: line {}", n + 1);
    }
    assert_eq!(l.lines().count(), b.lines().count(), "{what}: line count");
    assert!(lib == bin, "{what}: bytes differ");
    assert!(!lib.is_empty(), "{what}: no output");
}

/// One input line as the classify format defines it: a JSON record (its `"text"`), or a
/// plain-text sentence.
struct Line {
    record: Option<Map<String, Value>>,
    text: String,
}

/// Reads classify input as documented: a BOM at the start is skipped, lines end at `\n`
/// (a `\r` before it dropped), are trimmed, and blank ones skipped.
fn parse_input(bytes: &[u8]) -> Vec<Line> {
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)).unwrap();
    text.split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l).trim())
        .filter(|l| !l.is_empty())
        .map(|l| {
            if l.starts_with('{') {
                let record: Map<String, Value> = serde_json::from_str(l).unwrap();
                let text = record["text"].as_str().unwrap().to_string();
                Line {
                    record: Some(record),
                    text,
                }
            } else {
                Line {
                    record: None,
                    text: l.to_string(),
                }
            }
        })
        .collect()
}

/// The classify output of `lines` from the library: consecutive lines with the same
/// `"article"` go together, through `classify_article` when the article is not null, else
/// through `classify_batch`; records get the prediction by `annotate`, plain text by
/// `write_json_line`.
fn classify_with_library(p: &Pipeline, lines: Vec<Line>) -> Vec<u8> {
    let article = |l: &Line| l.record.as_ref().and_then(|r| r.get("article")).cloned();
    let mut out = Vec::new();
    let mut rest = lines.as_slice();
    while let Some(first) = rest.first() {
        let key = article(first);
        let n = rest.iter().take_while(|l| article(l) == key).count();
        let (group, tail) = rest.split_at(n);
        rest = tail;
        let texts: Vec<&str> = group.iter().map(|l| l.text.as_str()).collect();
        let predicted: Vec<Prediction> = match &key {
            Some(a) if !a.is_null() => p.classify_article(&texts),
            _ => p.classify_batch(&texts),
        };
        for (line, pred) in group.iter().zip(&predicted) {
            match &line.record {
                Some(record) => {
                    let mut record = record.clone();
                    pred.annotate(&mut record);
                    out.extend(serde_json::to_vec(&record).unwrap());
                    out.push(b'\n');
                }
                None => pred.write_json_line(&line.text, &mut out).unwrap(),
            }
        }
    }
    out
}

/// Classify input with awkward rows (see the module comment), BOM first, some lines CR LF.
fn awkward_classify_input() -> Vec<u8> {
    let texts = [
        "",
        "line\u{2028}separator\u{2029}paragraph\u{85}next line",
        "nul\u{0}byte and \u{1}\u{1f}\u{7f} controls",
        "curly \u{201C}quotes\u{201D}, é, ü, 中文, 🙂, \"straight\" and back\\slash",
        "Peskov said Russia remains open to talks.",
        "US officials said they were unaware of any overture.",
        "Analysts called the offer a ploy.",
        "\u{feff}a BOM inside the text",
        "tab\tseparated\tand trailing space ",
    ];
    let articles = [
        Value::from("A"),
        Value::from("A"),
        Value::from("A"),
        Value::Null,
        Value::from(7),
        Value::from(7),
        Value::from(false),
        serde_json::json!({"k": "v"}),
        Value::from("B"),
    ];
    let mut input = b"\xEF\xBB\xBF".to_vec();
    for (i, (text, article)) in texts.iter().zip(&articles).enumerate() {
        let mut record = Map::new();
        if i % 4 == 1 {
            // Stale fields before the text: replaced in place (argmax kept or dropped).
            record.insert("label".into(), Value::from("old"));
            record.insert("argmax".into(), Value::from("old"));
            record.insert("probs".into(), Value::from(vec![1, 2]));
        }
        record.insert("text".into(), Value::from(*text));
        record.insert("article".into(), article.clone());
        record.insert(
            "n".into(),
            serde_json::from_str("123456789012345678901234567890").unwrap(),
        );
        record.insert("f".into(), serde_json::from_str("-0.0").unwrap());
        record.insert(
            "nested".into(),
            serde_json::json!({"text": 1, "a": [1.5e300, null, {"b": "\u{2028}"}]}),
        );
        let line = if i % 2 == 0 {
            serde_json::to_string(&record).unwrap()
        } else {
            // The same object written with \u escapes and spaces.
            let mut ascii = String::new();
            for c in serde_json::to_string_pretty(&record).unwrap().chars() {
                match c {
                    '\n' => ascii.push(' '),
                    c if c.is_ascii() => ascii.push(c),
                    c => {
                        let mut buf = [0u16; 2];
                        for u in c.encode_utf16(&mut buf) {
                            ascii.push_str(&format!("\\u{u:04x}"));
                        }
                    }
                }
            }
            ascii
        };
        input.extend(line.as_bytes());
        input.extend(if i % 3 == 0 { &b"\r\n"[..] } else { b"\n" });
        if i == 3 {
            input.extend(b"\n   \n  plain text among JSON lines, with \"quotes\"\r\n");
            input.extend("plain \u{2028} separator and NEL\u{85}end\n".as_bytes());
        }
    }
    input.extend(b"last plain line without a line end");
    input
}

#[test]
fn classify_from_the_library_is_the_binarys_output() {
    let dir = tempfile::tempdir().unwrap();
    let sentences = dir.path().join("seeds.jsonl");
    std::fs::write(&sentences, cli(&["sentences", seeds().to_str().unwrap()])).unwrap();
    let plain = dir.path().join("seeds.txt");
    let seed_lines = parse_input(&std::fs::read(&sentences).unwrap());
    let texts: Vec<String> = seed_lines.iter().map(|l| l.text.clone()).collect();
    std::fs::write(&plain, texts.join("\n")).unwrap();
    let awkward = dir.path().join("awkward.jsonl");
    std::fs::write(&awkward, awkward_classify_input()).unwrap();

    let decoded = pipeline(true, None);
    let argmax = pipeline(false, None);
    for file in [&sentences, &plain, &awkward] {
        let input = std::fs::read(file).unwrap();
        for (p, flags) in [(&decoded, &[][..]), (&argmax, &["--no-decode"][..])] {
            let what = format!("classify {flags:?} {}", file.display());
            let bin = cli(&[&["classify"], flags, &[file.to_str().unwrap()]].concat());
            assert_same(&what, &classify_with_library(p, parse_input(&input)), &bin);
            // The streaming call the binary makes gives the same bytes from a library caller.
            let mut streamed = Vec::new();
            p.classify_stream(&input[..], "input", &mut streamed)
                .unwrap();
            assert_same(&format!("{what} (stream)"), &streamed, &bin);
        }
    }
    // The seeds' JSONL has article fields: some decoded label differs from the most
    // probable one, so the decoder is exercised (an "argmax" field appears).
    let bin = String::from_utf8(cli(&["classify", sentences.to_str().unwrap()])).unwrap();
    assert!(bin.contains("\"argmax\":"), "the decoder changed no label");
}

/// Articles with awkward metadata and text, as JSONL.
fn awkward_articles() -> String {
    let articles = [
        serde_json::json!({"id": "aw1", "outlet": "Odd\u{2028}Outlet", "date": "2024-01-01",
            "title": "Putin open to talks \u{85} report",
            "text": "Putin signalled he is open to talks.\u{2028}US officials denied it.\n\nAnalysts called it a \"ploy\" \\ nothing more.\u{1}"}),
        serde_json::json!({"id": "aw2", "outlet": "Ünïcode Times", "url": "https://e.x/?a=1&b=<2>",
            "text": "Le Kremlin a fait savoir… 中文句子。 Peskov said Moscow is ready for a ceasefire.\r\nThe White House said it was unaware of any overture."}),
        serde_json::json!({"id": "aw3", "outlet": "=cmd|' /C calc'!A0",
            "text": "Experts doubt the sincerity of the offer. Fighting continued near Avdiivka."}),
    ];
    articles.iter().map(|a| format!("{a}\n")).collect()
}

/// Scores `inputs` with the library, as JSONL.
fn score_with_library(p: &Pipeline, inputs: &[PathBuf]) -> (Vec<ScoredArticle>, Vec<u8>) {
    let articles = read_articles(inputs, &IngestOptions::default(), &mut Vec::new()).unwrap();
    let scored = p.score_articles(&articles).unwrap();
    let mut out = Vec::new();
    for a in &scored {
        a.write_json_line(&mut out).unwrap();
    }
    (scored, out)
}

#[test]
fn score_and_report_from_the_library_are_the_binarys_output() {
    let dir = tempfile::tempdir().unwrap();
    let awkward = dir.path().join("articles.jsonl");
    std::fs::write(&awkward, awkward_articles()).unwrap();
    let source = "built-in default model";
    for (inputs, decode) in [
        (vec![seeds()], true),
        (vec![seeds()], false),
        (vec![awkward.clone()], true),
        (vec![seeds(), awkward.clone()], true),
    ] {
        let p = pipeline(decode, Some(source));
        let names: Vec<&str> = inputs.iter().map(|p| p.to_str().unwrap()).collect();
        let no_decode: &[&str] = if decode { &[] } else { &["--no-decode"] };
        let what = format!("{names:?} {no_decode:?}");

        let (scored, lib) = score_with_library(&p, &inputs);
        let bin = cli(&[&["score"], no_decode, &names].concat());
        assert_same(&format!("score {what}"), &lib, &bin);

        let mut builder = p.report_builder(200).unwrap();
        builder.add_batch(&scored).unwrap();
        let report = builder.finish();
        for format in ["md", "json", "csv", "html"] {
            let mut lib = Vec::new();
            render_to(
                &report,
                format.parse::<Format>().unwrap(),
                RenderOptions::default(),
                &mut lib,
            )
            .unwrap();
            let bin = cli(&[&["report", "--format", format], no_decode, &names].concat());
            assert_same(&format!("report {format} {what}"), &lib, &bin);
        }

        // Merging score files: the binary's scores split in two jobs, read in the other order.
        let scores: Vec<&[u8]> = bin.split_inclusive(|&b| b == b'\n').collect();
        assert!(scores.len() > 1);
        let (a, b) = (dir.path().join("a.jsonl"), dir.path().join("b.jsonl"));
        let half = scores.len() / 2;
        std::fs::write(&a, scores[..half].concat()).unwrap();
        std::fs::write(&b, scores[half..].concat()).unwrap();
        let mut merged = p.report_builder(200).unwrap();
        for file in [&b, &a] {
            let reader = std::io::BufReader::new(std::fs::File::open(file).unwrap());
            add_scores(&mut merged, reader, "part", |_| ()).unwrap();
        }
        let mut lib = Vec::new();
        render_to(
            &merged.finish(),
            Format::Json,
            RenderOptions::default(),
            &mut lib,
        )
        .unwrap();
        let bin = cli(&[
            "report",
            "--format",
            "json",
            "--from-scores",
            b.to_str().unwrap(),
            a.to_str().unwrap(),
        ]);
        assert_same(&format!("report --from-scores {what}"), &lib, &bin);
    }
}
