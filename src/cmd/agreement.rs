//! `claimtrack agreement`: arguments and printing; the statistics are
//! [`claimtrack::agreement`]'s.

use anyhow::{bail, Context, Result};
use claimtrack::agreement::{measure, read_pass, Agreement, Key};
use claimtrack::project::Project;
use claimtrack::Label;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

/// Arguments of `claimtrack agreement`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
claimtrack agreement passes/alice.jsonl passes/bob.jsonl\n  \
claimtrack --project projects/havana-syndrome agreement --annotator pass-c --annotator gold\n  \
claimtrack agreement a.jsonl b.jsonl c.jsonl --json --disagreements todo.tsv\n\n\
A pass is a .jsonl file of gold lines (inline or stand-off: \"article\", \"index\",\n\
\"label\"), a file of ARTICLE#INDEX<TAB>LABEL lines (.tsv), or a folder of such files.\n\
Labels may be written by the default story's names, the role names or the project's\n\
display names. Only the sentences every pass labels are compared. Two passes: Cohen's\n\
kappa and the confusion matrix; more: Fleiss' kappa. Per label: that label against the\n\
rest. --disagreements writes the sentences labelled differently (TSV, or JSONL when the\n\
file name ends in .jsonl), with their text when the articles are at hand.")]
pub struct AgreementArgs {
    /// Pass files or folders (compared in this order, before those named with --annotator).
    #[arg(value_name = "PASS")]
    pub passes: Vec<PathBuf>,
    /// A pass of the project by annotator name (<gold folder>/passes/NAME.jsonl, or NAME.tsv;
    /// `gold`: the project's gold labels). Repeat for each pass.
    #[arg(long, value_name = "NAME")]
    pub annotator: Vec<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Write the disagreements to FILE (TSV, or JSONL for a .jsonl name).
    #[arg(long, value_name = "FILE")]
    pub disagreements: Option<PathBuf>,
    /// Article folders, for the sentence texts of --disagreements (default: the project's).
    #[arg(long, value_name = "DIR", num_args = 1..)]
    pub articles: Vec<PathBuf>,
}

fn fmt_kappa(k: Option<f64>) -> String {
    k.map_or_else(|| "n/a".to_string(), |k| format!("{k:.3}"))
}

/// Runs the command.
pub fn run(args: AgreementArgs, project: Option<&Project>) -> Result<()> {
    let names: [String; 4] = match project {
        Some(p) => p.labels.names(),
        None => Label::ALL.map(|l| l.as_str().to_string()),
    };
    let mut paths = args.passes.clone();
    for a in &args.annotator {
        let Some(p) = project else {
            bail!("--annotator {a} needs a claim project (--project DIR)");
        };
        if a == "gold" {
            paths.push(p.gold.clone());
        } else {
            let dir = if p.gold.is_dir() {
                p.gold.clone()
            } else {
                p.gold.parent().map(PathBuf::from).unwrap_or_default()
            };
            let jsonl = dir.join("passes").join(format!("{a}.jsonl"));
            let tsv = jsonl.with_extension("tsv");
            paths.push(if !jsonl.exists() && tsv.exists() {
                tsv
            } else {
                jsonl
            });
        }
    }
    let passes = paths
        .iter()
        .map(|p| read_pass(p, Some(&names)))
        .collect::<Result<Vec<_>, _>>()?;
    let mut texts: BTreeMap<Key, String> = BTreeMap::new();
    if args.disagreements.is_some() {
        let dirs = if !args.articles.is_empty() {
            args.articles.clone()
        } else {
            project.map_or_else(Vec::new, |p| {
                p.articles.iter().filter(|d| d.is_dir()).cloned().collect()
            })
        };
        if !dirs.is_empty() {
            let d: Vec<&std::path::Path> = dirs.iter().map(PathBuf::as_path).collect();
            for it in claimtrack::annotate::queue::load_items(&d)? {
                texts.insert((it.article, it.index), it.text);
            }
        }
    }
    let r = measure(&passes, &texts)?;
    let out = if args.json {
        json(&r, &names)
    } else {
        text(&r, &names)
    };
    if let Some(file) = &args.disagreements {
        let body = disagreements(&r, &names, file);
        claimtrack::atomic::write_atomic(file, body.as_bytes())
            .with_context(|| format!("cannot write {}", file.display()))?;
    }
    use std::io::Write;
    let mut o = std::io::stdout().lock();
    o.write_all(out.as_bytes())?;
    o.flush()?;
    Ok(())
}

fn text(r: &Agreement, names: &[String; 4]) -> String {
    let mut s = String::new();
    let two = r.passes.len() == 2;
    for (p, n) in r.passes.iter().zip(&r.sizes) {
        let _ = writeln!(s, "pass {p}: {n} labels");
    }
    let _ = writeln!(s, "sentences in every pass: {}", r.overlap);
    let _ = writeln!(s, "observed agreement: {:.3}", r.observed);
    let kind = if two { "Cohen's" } else { "Fleiss'" };
    let _ = writeln!(s, "{kind} kappa: {}", fmt_kappa(r.kappa));
    let _ = writeln!(s, "per label (that label vs the rest):");
    for l in Label::ALL {
        let _ = writeln!(
            s,
            "  {:<20} {}",
            names[l.index()],
            fmt_kappa(r.per_label[l.index()])
        );
    }
    if let Some(m) = &r.confusion {
        let _ = writeln!(
            s,
            "confusion (rows: {}, columns: {}):",
            r.passes[0], r.passes[1]
        );
        let _ = write!(s, "  {:<20}", "");
        for l in Label::ALL {
            let _ = write!(s, " {:>18}", names[l.index()]);
        }
        s.push('\n');
        for a in Label::ALL {
            let _ = write!(s, "  {:<20}", names[a.index()]);
            for b in Label::ALL {
                let _ = write!(s, " {:>18}", m[a.index()][b.index()]);
            }
            s.push('\n');
        }
    }
    let _ = writeln!(s, "disagreements: {}", r.disagreements.len());
    s
}

fn json(r: &Agreement, names: &[String; 4]) -> String {
    let per_label: serde_json::Map<String, serde_json::Value> = Label::ALL
        .iter()
        .map(|l| {
            (
                names[l.index()].clone(),
                serde_json::json!(r.per_label[l.index()]),
            )
        })
        .collect();
    let v = serde_json::json!({
        "passes": r.passes.iter().zip(&r.sizes).map(|(p, n)| serde_json::json!({"name": p, "labels": n})).collect::<Vec<_>>(),
        "overlap": r.overlap,
        "observed_agreement": r.observed,
        "kappa_kind": if r.passes.len() == 2 { "cohen" } else { "fleiss" },
        "kappa": r.kappa,
        "per_label": per_label,
        "labels": names,
        "confusion": r.confusion,
        "disagreements": r.disagreements.len(),
    });
    let mut s = serde_json::to_string_pretty(&v).expect("json values serialize");
    s.push('\n');
    s
}

fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn disagreements(r: &Agreement, names: &[String; 4], file: &std::path::Path) -> String {
    let mut s = String::new();
    if file.extension().is_some_and(|x| x == "jsonl") {
        for d in &r.disagreements {
            let labels: serde_json::Map<String, serde_json::Value> = r
                .passes
                .iter()
                .zip(&d.labels)
                .map(|(p, l)| (p.clone(), serde_json::json!(names[l.index()])))
                .collect();
            let v = serde_json::json!({
                "article": d.article, "index": d.index, "text": d.text, "labels": labels,
            });
            s.push_str(&v.to_string());
            s.push('\n');
        }
    } else {
        let _ = write!(s, "article\tindex\ttext");
        for p in &r.passes {
            let _ = write!(s, "\t{}", one_line(p));
        }
        s.push('\n');
        for d in &r.disagreements {
            let _ = write!(
                s,
                "{}\t{}\t{}",
                one_line(&d.article),
                d.index,
                one_line(d.text.as_deref().unwrap_or(""))
            );
            for l in &d.labels {
                let _ = write!(s, "\t{}", names[l.index()]);
            }
            s.push('\n');
        }
    }
    s
}
