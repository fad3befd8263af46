//! `claimtrack classify`: label sentences read as JSONL (or plain text, one per line).

use anyhow::{bail, Context, Result};
use claimtrack::model::{argmax_label, Model};
use claimtrack::Label;
use serde_json::{Map, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

/// Arguments of `claimtrack classify`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
claimtrack sentences seeds/ | claimtrack classify            # label every seed sentence\n  \
claimtrack classify sentences.jsonl > labelled.jsonl\n  \
printf 'Peskov said Russia is open to talks.\\n' | claimtrack classify --model models/mine.json\n\n\
Input: one item per line. A line starting with `{` must be a JSON object with a \"text\"\n\
field; every other field is passed through unchanged and in order. Any other non-blank\n\
line is one plain-text sentence. Blank lines are skipped. Output: each item as a JSON\n\
line with \"label\" and \"probs\" ({\"russian_claim\": p, \"us_denial\": p,\n\
\"expert_skepticism\": p, \"context\": p}) added (replacing fields of those names).\n\
Consecutive lines with the same \"article\" are classified together, in order.")]
pub struct ClassifyArgs {
    /// Model file (default: the model shipped inside claimtrack).
    #[arg(long, short, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// Input file, or `-` for stdin.
    #[arg(value_name = "FILE", default_value = "-")]
    pub input: PathBuf,
}

/// Loads `path`, or the embedded default model when no path is given.
pub fn load_model(path: Option<&Path>) -> Result<Model> {
    match path {
        Some(p) => Model::load(p).with_context(|| "cannot load the model".to_string()),
        None => Model::default_model().context("cannot load the default model"),
    }
}

/// Largest number of lines classified together (bounds memory on one-article streams).
const MAX_BATCH: usize = 4096;

struct Item {
    record: Map<String, Value>,
    text: String,
}

fn flush(model: &Model, batch: &mut Vec<Item>, out: &mut impl Write) -> Result<()> {
    let texts: Vec<&str> = batch.iter().map(|i| i.text.as_str()).collect();
    let probs = model.predict_article(&texts);
    for (mut item, p) in batch.drain(..).zip(probs) {
        let mut pm = Map::new();
        for l in Label::ALL {
            pm.insert(l.as_str().to_string(), Value::from(p[l.index()]));
        }
        item.record
            .insert("label".to_string(), Value::from(argmax_label(&p).as_str()));
        item.record.insert("probs".to_string(), Value::Object(pm));
        serde_json::to_writer(&mut *out, &item.record)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// Runs the command.
pub fn run(args: ClassifyArgs) -> Result<()> {
    let model = load_model(args.model.as_deref())?;
    let (name, reader): (String, Box<dyn Read>) = if args.input.as_os_str() == "-" {
        ("<stdin>".to_string(), Box::new(std::io::stdin()))
    } else {
        let f = std::fs::File::open(&args.input)
            .with_context(|| format!("cannot open {}", args.input.display()))?;
        (args.input.display().to_string(), Box::new(f))
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut batch: Vec<Item> = Vec::new();
    let mut batch_article: Option<Value> = None;
    for (i, line) in BufReader::new(reader).lines().enumerate() {
        let lineno = i + 1;
        let line = line.with_context(|| format!("{name}:{lineno}: cannot read the line"))?;
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        let (record, text) = if trimmed.starts_with('{') {
            let record: Map<String, Value> = match serde_json::from_str(trimmed) {
                Ok(r) => r,
                Err(e) => bail!("{name}:{lineno}: not a JSON object ({e}); a line starting with `{{` must be one JSON object per line"),
            };
            let text = match record.get("text") {
                Some(Value::String(s)) => s.clone(),
                Some(_) => bail!("{name}:{lineno}: the \"text\" field is not a string"),
                None => bail!("{name}:{lineno}: the JSON object has no \"text\" field to classify"),
            };
            (record, text)
        } else {
            let mut record = Map::new();
            record.insert("text".to_string(), Value::from(trimmed));
            (record, trimmed.to_string())
        };
        let article = record.get("article").cloned();
        if !batch.is_empty() && (article != batch_article || batch.len() >= MAX_BATCH) {
            flush(&model, &mut batch, &mut out)?;
        }
        batch_article = article;
        batch.push(Item { record, text });
    }
    if !batch.is_empty() {
        flush(&model, &mut batch, &mut out)?;
    }
    out.flush()?;
    Ok(())
}
