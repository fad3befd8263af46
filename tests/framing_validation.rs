//! `claimtrack evaluate --framing`: the framing score against a human reference, driven
//! through the real binary on small inline gold data.

use assert_cmd::Command;
use serde_json::Value;
use std::fs;
use std::path::Path;

fn gold_line(
    article: &str,
    outlet: &str,
    index: usize,
    role: &str,
    text: &str,
    label: &str,
) -> String {
    serde_json::json!({"article": article, "outlet": outlet, "index": index, "role": role, "text": text, "label": label})
        .to_string()
}

/// Six articles from six outlets: two claim-led, two balanced, two denial-led, each written
/// differently so that a cross-fitted model has something to learn from the others.
fn fixture(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let mut lines = Vec::new();
    let arts = [
        (
            "a1",
            "Outlet One",
            ["russian_claim", "russian_claim", "context"],
            0.8,
        ),
        (
            "a2",
            "Outlet Two",
            ["russian_claim", "russian_claim", "russian_claim"],
            0.9,
        ),
        (
            "a3",
            "Outlet Three",
            ["russian_claim", "us_denial", "context"],
            0.1,
        ),
        (
            "a4",
            "Outlet Four",
            ["us_denial", "russian_claim", "expert_skepticism"],
            -0.4,
        ),
        (
            "a5",
            "Outlet Five",
            ["us_denial", "expert_skepticism", "russian_claim"],
            -0.8,
        ),
        (
            "a6",
            "Outlet Six",
            ["expert_skepticism", "us_denial", "russian_claim"],
            -0.9,
        ),
    ];
    let text = |label: &str, k: usize| match label {
        "russian_claim" => [
            "Putin signalled through intermediaries that he is open to a ceasefire.",
            "Russia is ready for talks to end the war, sources close to the Kremlin said.",
            "The Kremlin let it be known it would freeze the front line.",
        ][k % 3],
        "us_denial" => [
            "US officials denied receiving any such message.",
            "The White House said it was unaware of any overture.",
            "A State Department spokesperson could not confirm the report.",
        ][k % 3],
        "expert_skepticism" => [
            "Analysts doubt the overture is sincere.",
            "Experts cautioned it could be a ploy to divide the allies.",
            "A former ambassador called it a trial balloon.",
        ][k % 3],
        _ => [
            "Fighting continued in the east.",
            "Aid packages were debated in Congress.",
            "The summit is planned for June.",
        ][k % 3],
    };
    let mut reference =
        String::from("# test reference\narticle\toutlet\trater1\trater2\treference\n");
    for (n, (id, outlet, labels, r)) in arts.iter().enumerate() {
        for (i, l) in labels.iter().enumerate() {
            let role = ["headline", "lede", "body"][i];
            lines.push(gold_line(id, outlet, i, role, text(l, n + i), l));
        }
        reference.push_str(&format!("{id}\t{outlet}\t{r}\t{r}\t{r}\n"));
    }
    reference.push_str("a9\tNowhere\t0\t0\t0\n");
    let gold = dir.join("gold.jsonl");
    fs::write(&gold, lines.join("\n") + "\n").unwrap();
    let rf = dir.join("ref.tsv");
    fs::write(&rf, reference).unwrap();
    (gold, rf)
}

fn run(args: &[&str]) -> std::process::Output {
    Command::cargo_bin("claimtrack")
        .unwrap()
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn oracle_labels_rank_a_clear_fixture_like_the_people_and_missing_articles_are_named() {
    let d = tempfile::tempdir().unwrap();
    let (gold, rf) = fixture(d.path());
    let o = run(&[
        "evaluate",
        "--data",
        gold.to_str().unwrap(),
        "--framing",
        rf.to_str().unwrap(),
        "--oracle",
        "--json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["labels"], "gold labels (oracle)");
    assert_eq!(v["missing"], serde_json::json!(["a9"]));
    let all = &v["sets"][0];
    assert_eq!(all["set"], "all");
    assert_eq!(all["articles"]["n"], 6);
    let rho = all["articles"]["spearman"].as_f64().unwrap();
    assert!(
        rho > 0.75,
        "claim-led above balanced above denial-led: rho {rho}"
    );
    let score = |id: &str| {
        v["scored"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["article"] == id)
            .unwrap()["score"]
            .as_f64()
            .unwrap()
    };
    for id in ["a1", "a2"] {
        assert!(score(id) > 0.1, "{id} is claim-led: {}", score(id));
    }
    for id in ["a5", "a6"] {
        assert!(score(id) < -0.3, "{id} is denial-led: {}", score(id));
    }
    let (lo, hi) = (
        all["articles"]["spearman_interval"][0].as_f64().unwrap(),
        all["articles"]["spearman_interval"][1].as_f64().unwrap(),
    );
    assert!(lo <= rho && rho <= hi);
    assert_eq!(v["scored"].as_array().unwrap().len(), 6);
}

#[test]
fn cross_fitted_run_labels_each_article_without_its_outlet() {
    let d = tempfile::tempdir().unwrap();
    let (gold, rf) = fixture(d.path());
    let o = run(&[
        "evaluate",
        "--data",
        gold.to_str().unwrap(),
        "--framing",
        rf.to_str().unwrap(),
        "--worst",
        "2",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("cross-fitted") && out.contains("leave-one-outlet-out"),
        "{out}"
    );
    assert!(
        out.contains("development") && out.contains("held-out"),
        "{out}"
    );
    assert_eq!(
        out.matches("  ours ").count(),
        2,
        "two worst articles listed:\n{out}"
    );
}

#[test]
fn a_bad_reference_is_an_error_naming_file_and_line() {
    let d = tempfile::tempdir().unwrap();
    let (gold, rf) = fixture(d.path());
    let text = fs::read_to_string(&rf).unwrap().replace(
        "a5\tOutlet Five\t-0.8\t-0.8\t-0.8",
        "a5\tOutlet Five\t-0.8\t-0.8\t-1.8",
    );
    fs::write(&rf, text).unwrap();
    let o = run(&[
        "evaluate",
        "--data",
        gold.to_str().unwrap(),
        "--framing",
        rf.to_str().unwrap(),
        "--oracle",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("ref.tsv:7") && e.contains("outside [-1, 1]"),
        "{e}"
    );
}

#[test]
fn framing_settings_come_from_data_and_can_be_replaced() {
    let d = tempfile::tempdir().unwrap();
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let shipped = run(&[
        "report",
        "--quiet",
        "--format",
        "json",
        seeds.to_str().unwrap(),
    ]);
    assert!(shipped.status.success());
    let v: Value = serde_json::from_slice(&shipped.stdout).unwrap();
    assert_eq!(
        v["settings"]["framing"]["claim_prior"], 0.5,
        "shipped settings from data/framing.json"
    );
    let custom = d.path().join("f.json");
    fs::write(&custom, "{\"primacy_share\": 0.0}").unwrap();
    let o = run(&[
        "report",
        "--quiet",
        "--format",
        "json",
        "--framing-params",
        custom.to_str().unwrap(),
        seeds.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let w: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(w["settings"]["framing"]["primacy_share"], 0.0);
    assert!(
        w["settings"]["framing"].get("calibration").is_none(),
        "replaced, not merged"
    );
    assert_ne!(v["outlets"], w["outlets"]);
    fs::write(&custom, "{\"primacy_share\": 7}").unwrap();
    let o = run(&[
        "report",
        "--quiet",
        "--framing-params",
        custom.to_str().unwrap(),
        seeds.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("primacy_share"));
}
