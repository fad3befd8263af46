//! `claimtrack annotate` and `claimtrack agreement` through the binary, on a small project
//! built in a temporary folder from the seed articles and their inline gold labels: the
//! terminal check, a scripted session (label, undo, quit, restart, continue), the
//! least-certain-first order and its retraining, a session killed with SIGKILL mid-way, and
//! agreement between passes.

use assert_cmd::Command;
use claimtrack::annotate::queue::{load_items, ordering, Order};
use claimtrack::annotate::session::predict_items;
use claimtrack::model::Model;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

fn claimtrack(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("claimtrack").unwrap();
    c.current_dir(dir).env_remove("CLAIMTRACK_CORPUS");
    c
}

fn ok(o: Output) -> Output {
    assert!(
        o.status.success(),
        "expected success; stderr:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// `tmp/proj`: the seeds as articles, their inline labels as gold, display names of its
/// own, and (with `train`) a model trained on them.
fn project(tmp: &Path, train: bool) -> PathBuf {
    let proj = tmp.join("proj");
    ok(claimtrack(tmp)
        .args(["init", "proj", "--claim", "The seeds' claim."])
        .output()
        .unwrap());
    std::fs::copy(repo("data/gold/seeds.jsonl"), proj.join("gold/seeds.jsonl")).unwrap();
    for e in std::fs::read_dir(repo("seeds")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "txt") {
            std::fs::copy(&p, proj.join("articles").join(p.file_name().unwrap())).unwrap();
        }
    }
    let cfg = proj.join("claimtrack.toml");
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("name = \"claim\"", "name = \"seed_claim\"")
        .replace("name = \"denial\"", "name = \"seed_denial\"");
    std::fs::write(&cfg, text).unwrap();
    if train {
        ok(claimtrack(tmp)
            .args(["--project", "proj", "train", "--update-default"])
            .output()
            .unwrap());
    }
    proj
}

fn script(tmp: &Path, extra: &[&str], keys: &str) -> Output {
    let mut args = vec![
        "--project",
        "proj",
        "annotate",
        "--annotator",
        "ann",
        "--script",
    ];
    args.extend_from_slice(extra);
    claimtrack(tmp)
        .args(&args)
        .write_stdin(keys)
        .output()
        .unwrap()
}

fn pass_lines(proj: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(proj.join("gold/passes/ann.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn without_a_terminal_annotate_refuses_unless_scripted() {
    let d = tempfile::tempdir().unwrap();
    project(d.path(), false);
    let o = claimtrack(d.path())
        .args(["--project", "proj", "annotate", "--annotator", "ann"])
        .write_stdin("1q")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("needs a terminal") && e.contains("--script"),
        "{e}"
    );
    assert!(!d.path().join("proj/gold/passes/ann.jsonl").exists());
    let o = claimtrack(d.path())
        .args([
            "--project",
            "proj",
            "annotate",
            "--annotator",
            "../x",
            "--script",
        ])
        .write_stdin("q")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("annotator name"));
}

#[test]
fn a_scripted_session_labels_undoes_quits_and_resumes() {
    let d = tempfile::tempdir().unwrap();
    let proj = project(d.path(), false);
    let items = load_items(&[proj.join("articles").as_path()]).unwrap();
    let id = |i: usize| format!("{}#{}", items[i].article, items[i].index);
    // Without a model the order is article order.
    let o = ok(script(d.path(), &[], "1 2 u 3 s 4 q"));
    let out = stdout(&o);
    let expected = [
        format!("next {} {}", id(0), items[0].role.as_str()),
        format!("saved {} seed_claim", id(0)),
        format!("next {} {}", id(1), items[1].role.as_str()),
        format!("saved {} seed_denial", id(1)),
        format!("next {} {}", id(2), items[2].role.as_str()),
        format!("undone {} seed_denial", id(1)),
        format!("next {} {}", id(1), items[1].role.as_str()),
        format!("saved {} skepticism", id(1)),
        format!("next {} {}", id(2), items[2].role.as_str()),
        format!("skipped {}", id(2)),
        format!("next {} {}", id(3), items[3].role.as_str()),
        format!("saved {} context", id(3)),
        format!("next {} {}", id(4), items[4].role.as_str()),
        "quit 3 labelled".to_string(),
    ];
    assert_eq!(out.lines().collect::<Vec<_>>(), expected, "{out}");
    let lines = pass_lines(&proj);
    let got: Vec<(String, u64, String)> = lines
        .iter()
        .map(|v| {
            (
                v["article"].as_str().unwrap().to_string(),
                v["index"].as_u64().unwrap(),
                v["label"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (items[0].article.clone(), 0, "claim".to_string()),
            (items[1].article.clone(), 1, "skepticism".to_string()),
            (items[3].article.clone(), 3, "context".to_string()),
        ]
    );
    assert_eq!(lines[0]["hash"].as_str().unwrap(), items[0].hash);
    assert_eq!(lines[0]["annotator"], "ann");
    // A restart resumes: the sentence skipped last time is the first not labelled, and undo
    // reaches back to the last session's answer.
    let o = ok(script(d.path(), &[], "u\nu\n2\nq\n"));
    let out = stdout(&o);
    let expected = [
        format!("next {} {}", id(2), items[2].role.as_str()),
        format!("undone {} context", id(3)),
        format!("next {} {}", id(3), items[3].role.as_str()),
        format!("undone {} skepticism", id(1)),
        format!("next {} {}", id(1), items[1].role.as_str()),
        format!("saved {} seed_denial", id(1)),
        format!("next {} {}", id(2), items[2].role.as_str()),
        "quit 2 labelled".to_string(),
    ];
    assert_eq!(out.lines().collect::<Vec<_>>(), expected, "{out}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("(3 of"));
    // The pass reads as gold, joined to the articles.
    let g = claimtrack::gold::load(
        &proj.join("gold/passes/ann.jsonl"),
        &[proj.join("articles").as_path()],
    )
    .unwrap();
    assert_eq!(g.examples.len(), 2);
    assert_eq!(g.examples[1].text, items[1].text);
    assert_eq!(g.examples[1].label, claimtrack::Label::UsDenial);
}

#[test]
fn the_uncertainty_order_starts_with_the_smallest_margin_and_retrains_deterministically() {
    let d = tempfile::tempdir().unwrap();
    let proj = project(d.path(), true);
    let items = load_items(&[proj.join("articles").as_path()]).unwrap();
    let model = Model::load(&proj.join("model.json")).unwrap();
    let probs = predict_items(&model, &items);
    let order = ordering(items.len(), Order::Uncertainty, Some(&probs));
    assert_ne!(order[..3], [0, 1, 2]);
    let o = ok(script(d.path(), &["--retrain-every", "2"], "1111q"));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    for (k, &pos) in order[..2].iter().enumerate() {
        let it = &items[pos];
        assert_eq!(
            lines[2 * k],
            format!("next {}#{} {}", it.article, it.index, it.role.as_str()),
            "{out}"
        );
    }
    assert!(out.contains("retrained round 1\n"), "{out}");
    assert!(out.contains("retrained round 2\n"), "{out}");
    // The same answers give the same order after retraining, byte for byte.
    std::fs::remove_file(proj.join("gold/passes/ann.jsonl")).unwrap();
    let again = ok(script(d.path(), &["--retrain-every", "2"], "1111q"));
    assert_eq!(stdout(&again), out);
}

#[test]
fn a_session_killed_mid_way_keeps_every_confirmed_answer() {
    let d = tempfile::tempdir().unwrap();
    let proj = project(d.path(), false);
    let bin = assert_cmd::cargo::cargo_bin("claimtrack");
    let mut child = std::process::Command::new(bin)
        .current_dir(d.path())
        .args([
            "--project",
            "proj",
            "annotate",
            "--annotator",
            "ann",
            "--script",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut confirmed = Vec::new();
    let mut line = String::new();
    for k in 0..6 {
        writeln!(stdin, "{}", 1 + k % 4).unwrap();
        stdin.flush().unwrap();
        loop {
            line.clear();
            assert!(out.read_line(&mut line).unwrap() > 0);
            if let Some(rest) = line.strip_prefix("saved ") {
                confirmed.push(rest.split(' ').next().unwrap().to_string());
                break;
            }
        }
    }
    // One more answer in flight, then SIGKILL: no chance to clean up.
    writeln!(stdin, "2").unwrap();
    stdin.flush().unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let text = std::fs::read_to_string(proj.join("gold/passes/ann.jsonl")).unwrap();
    let saved: Vec<String> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| format!("{}#{}", v["article"].as_str().unwrap(), v["index"]))
        .collect();
    assert!(saved.len() >= confirmed.len());
    assert_eq!(saved[..confirmed.len()], confirmed[..]);
    // A restart takes the file as it is and goes on after the last saved answer.
    let o = ok(script(d.path(), &[], "q"));
    let first = stdout(&o).lines().next().unwrap().to_string();
    assert!(first.starts_with("next "), "{first}");
    assert!(
        !saved.iter().any(|s| first.contains(&format!(" {s} "))),
        "{first}"
    );
    assert!(stdout(&o).contains(&format!("quit {} labelled", saved.len())));
}

#[test]
fn a_cut_short_last_line_is_reported_and_dropped_on_restart() {
    let d = tempfile::tempdir().unwrap();
    let proj = project(d.path(), false);
    ok(script(d.path(), &[], "12q"));
    let pass = proj.join("gold/passes/ann.jsonl");
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&pass)
        .unwrap();
    f.write_all(b"{\"article\":\"x\",\"in").unwrap();
    drop(f);
    let o = ok(script(d.path(), &[], "q"));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("ann.jsonl:3") && e.contains("cut-short"), "{e}");
    assert!(stdout(&o).contains("quit 2 labelled"));
    assert_eq!(std::fs::read_to_string(&pass).unwrap().lines().count(), 2);
}

#[test]
fn agreement_of_two_passes_with_display_names_and_disagreements() {
    let d = tempfile::tempdir().unwrap();
    let proj = project(d.path(), false);
    // Pass a labels by the project's display names, pass b by role names (TSV).
    let a = "{\"article\":\"s1\",\"index\":0,\"hash\":\"h\",\"label\":\"seed_claim\"}\n\
             {\"article\":\"s1\",\"index\":1,\"hash\":\"h\",\"label\":\"seed_claim\"}\n\
             {\"article\":\"s1\",\"index\":2,\"hash\":\"h\",\"label\":\"context\"}\n\
             {\"article\":\"s1\",\"index\":3,\"hash\":\"h\",\"label\":\"context\"}\n\
             {\"article\":\"s1\",\"index\":4,\"hash\":\"h\",\"label\":\"seed_denial\"}\n";
    let b =
        "s1#0\tclaim\ns1#1\tcontext\ns1#2\tcontext\ns1#3\tcontext\ns1#4\tdenial\ns1#9\tcontext\n";
    std::fs::create_dir_all(proj.join("gold/passes")).unwrap();
    std::fs::write(proj.join("gold/passes/a.jsonl"), a).unwrap();
    std::fs::write(d.path().join("b.tsv"), b).unwrap();
    let o = ok(claimtrack(d.path())
        .args([
            "--project",
            "proj",
            "agreement",
            "--annotator",
            "a",
            "b.tsv",
            "--disagreements",
            "dis.tsv",
        ])
        .output()
        .unwrap());
    let out = stdout(&o);
    // a: C C X X D, b: C X X X D. po = 4/5; pe = (2/5)(1/5) + (2/5)(3/5) + (1/5)(1/5)
    // = 2/25 + 6/25 + 1/25 = 9/25; kappa = (20/25 - 9/25) / (16/25) = 11/16 = 0.6875.
    assert!(
        out.contains("pass b: 6 labels\npass a: 5 labels\n"),
        "{out}"
    );
    assert!(out.contains("sentences in every pass: 5\n"), "{out}");
    assert!(
        out.contains("Cohen's kappa: 0.688\n") || out.contains("Cohen's kappa: 0.687\n"),
        "{out}"
    );
    assert!(out.contains("  seed_denial          1.000\n"), "{out}");
    assert!(out.contains("disagreements: 1\n"), "{out}");
    let dis = std::fs::read_to_string(d.path().join("dis.tsv")).unwrap();
    assert_eq!(
        dis,
        "article\tindex\ttext\tb\ta\ns1\t1\t\tcontext\tseed_claim\n"
    );
    let o = ok(claimtrack(d.path())
        .args([
            "--project",
            "proj",
            "agreement",
            "proj/gold/passes/a.jsonl",
            "b.tsv",
            "--json",
        ])
        .output()
        .unwrap());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!((v["kappa"].as_f64().unwrap() - 11.0 / 16.0).abs() < 1e-12);
    assert_eq!(v["kappa_kind"], "cohen");
    assert_eq!(v["confusion"][0][3], 1);
    // A bad label names the file and line.
    std::fs::write(d.path().join("c.tsv"), "s1#0\tclaim\ns1#1\tclaimz\n").unwrap();
    let o = claimtrack(d.path())
        .args(["--project", "proj", "agreement", "b.tsv", "c.tsv"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("c.tsv:2") && e.contains("claimz"), "{e}");
}

#[test]
fn the_havana_passes_reproduce_the_published_kappa() {
    let passes = repo("projects/havana-syndrome/gold/passes");
    let o = ok(claimtrack(&repo("."))
        .args([
            "--project",
            "projects/havana-syndrome",
            "agreement",
            "--annotator",
            "pass-a",
            "--annotator",
            "pass-b",
            "--json",
        ])
        .output()
        .unwrap());
    assert!(passes.join("pass-a.tsv").is_file());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["overlap"], 1310);
    let r3 = |x: &serde_json::Value| format!("{:.3}", x.as_f64().unwrap());
    assert_eq!(r3(&v["kappa"]), "0.943");
    assert_eq!(r3(&v["observed_agreement"]), "0.960");
    let per: Vec<String> = [
        "gru_attack_claim",
        "official_denial",
        "scientific_doubt",
        "context",
    ]
    .iter()
    .map(|n| r3(&v["per_label"][n]))
    .collect();
    assert_eq!(per, ["0.936", "0.958", "0.960", "0.934"]);
    assert_eq!(v["disagreements"], 52);
}
