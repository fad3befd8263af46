//! `claimtrack explain`: show why the model labels a sentence the way it does.

use super::classify::load_model;
use anyhow::Result;
use claimtrack::project::Project;
use claimtrack::Label;
use std::io::{BufRead, Write};
use std::path::PathBuf;

/// Arguments of `claimtrack explain`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
claimtrack explain \"The White House said it was unaware of any such message.\"\n  \
claimtrack explain -k 10 --model models/mine.json \"Analysts called it a trial balloon.\"\n  \
echo \"Putin is open to a ceasefire, sources say.\" | claimtrack explain -\n\n\
For each sentence: the label, the four probabilities, and the terms (stemmed words and word\n\
pairs) that push hardest toward and against the label. A term's contribution is its TF-IDF\n\
value in the sentence times the model's weight for the label.")]
pub struct ExplainArgs {
    /// Model file (default: the project's model, else the model shipped inside claimtrack).
    #[arg(long, short, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// How many terms to list each way.
    #[arg(short, long, default_value_t = 5, value_name = "N")]
    pub k: usize,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Sentences to explain; `-` reads one sentence per line from stdin.
    #[arg(required = true, value_name = "SENTENCE")]
    pub sentences: Vec<String>,
}

/// Runs the command.
pub fn run(mut args: ExplainArgs, project: Option<&Project>) -> Result<()> {
    if args.model.is_none() {
        args.model = super::common::project_model(project)?;
    }
    let model = load_model(args.model.as_deref())?;
    let names = super::common::label_names(project, &model)?;
    let mut sentences = Vec::new();
    for s in &args.sentences {
        if s == "-" {
            for line in std::io::stdin().lock().lines() {
                let line = line?;
                if !line.trim().is_empty() {
                    sentences.push(line);
                }
            }
        } else {
            sentences.push(s.clone());
        }
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for (n, s) in sentences.iter().enumerate() {
        let e = model.explain(s, args.k);
        if args.json {
            let mut v = serde_json::json!({ "text": s, "explanation": e });
            names.rename_json(&mut v);
            serde_json::to_writer(&mut out, &v)?;
            writeln!(out)?;
            continue;
        }
        if n > 0 {
            writeln!(out)?;
        }
        writeln!(out, "sentence: {s}")?;
        writeln!(
            out,
            "label:    {} (p = {:.3})",
            names.name(e.label),
            e.probs[e.label.index()]
        )?;
        let probs: Vec<String> = Label::ALL
            .iter()
            .map(|l| format!("{} {:.3}", names.name(*l), e.probs[l.index()]))
            .collect();
        writeln!(out, "probs:    {}", probs.join(", "))?;
        if e.toward.is_empty() && e.against.is_empty() {
            writeln!(
                out,
                "no word of this sentence is in the model's vocabulary; the label comes from the label priors"
            )?;
            continue;
        }
        writeln!(out, "toward {}:", names.name(e.label))?;
        if e.toward.is_empty() {
            writeln!(
                out,
                "  (no term; the label comes from its prior and the other labels' weaker scores)"
            )?;
        }
        for t in &e.toward {
            writeln!(
                out,
                "  {:+.3}  {:<28} (tf-idf {:.3} x weight {:+.3})",
                t.contribution, t.term, t.value, t.weight
            )?;
        }
        writeln!(out, "against {}:", names.name(e.label))?;
        if e.against.is_empty() {
            writeln!(out, "  (no term)")?;
        }
        for t in &e.against {
            writeln!(
                out,
                "  {:+.3}  {:<28} (tf-idf {:.3} x weight {:+.3})",
                t.contribution, t.term, t.value, t.weight
            )?;
        }
    }
    out.flush()?;
    Ok(())
}
