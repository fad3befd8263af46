//! `claimtrack classify`: label sentences read as JSONL (or plain text, one per line).

use anyhow::{bail, Context, Result};
use claimtrack::model::{argmax_label, Model};
use claimtrack::Label;
use rayon::prelude::*;
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

/// Lines read and parsed together, in parallel; also about how many lines are classified
/// in one parallel round (bounds memory whatever the input size).
const CHUNK: usize = 16384;

/// One input line: a JSON record whose fields pass through, or a plain-text sentence
/// (`record` is `None`: its output `{"text": ...}` is written without building a map).
struct Item {
    record: Option<Map<String, Value>>,
    text: String,
}

impl Item {
    fn article(&self) -> Option<&Value> {
        self.record.as_ref().and_then(|r| r.get("article"))
    }
}

/// Parses one non-blank input line into its record and the text to classify.
fn parse_line(name: &str, lineno: usize, trimmed: &str) -> Result<Item> {
    if trimmed.starts_with('{') {
        let record: Map<String, Value> = match serde_json::from_str(trimmed) {
            Ok(r) => r,
            Err(e) => bail!("{name}:{lineno}: not a JSON object ({e}); a line starting with `{{` must be one JSON object per line"),
        };
        let text = match record.get("text") {
            Some(Value::String(s)) => s.clone(),
            Some(_) => bail!("{name}:{lineno}: the \"text\" field is not a string"),
            None => bail!("{name}:{lineno}: the JSON object has no \"text\" field to classify"),
        };
        Ok(Item {
            record: Some(record),
            text,
        })
    } else {
        Ok(Item {
            record: None,
            text: trimmed.to_string(),
        })
    }
}

/// Classifies one batch (consecutive lines of one article) and renders its output lines.
fn render_batch(model: &Model, batch: Vec<Item>) -> Result<Vec<u8>> {
    let texts: Vec<&str> = batch.iter().map(|i| i.text.as_str()).collect();
    let probs = model.predict_article(&texts);
    let mut out = Vec::with_capacity(batch.len() * 256);
    for (item, p) in batch.into_iter().zip(probs) {
        match item.record {
            Some(mut record) => {
                let mut pm = Map::new();
                for l in Label::ALL {
                    pm.insert(l.as_str().to_string(), Value::from(p[l.index()]));
                }
                record.insert("label".to_string(), Value::from(argmax_label(&p).as_str()));
                record.insert("probs".to_string(), Value::Object(pm));
                serde_json::to_writer(&mut out, &record)?;
            }
            None => {
                // The same bytes as the map {"text", "label", "probs"} serialized above.
                out.extend_from_slice(b"{\"text\":");
                serde_json::to_writer(&mut out, &item.text)?;
                out.extend_from_slice(b",\"label\":\"");
                out.extend_from_slice(argmax_label(&p).as_str().as_bytes());
                out.extend_from_slice(b"\",\"probs\":{");
                for (n, l) in Label::ALL.iter().enumerate() {
                    if n > 0 {
                        out.push(b',');
                    }
                    out.push(b'"');
                    out.extend_from_slice(l.as_str().as_bytes());
                    out.extend_from_slice(b"\":");
                    serde_json::to_writer(&mut out, &Value::from(p[l.index()]))?;
                }
                out.extend_from_slice(b"}}");
            }
        }
        out.push(b'\n');
    }
    Ok(out)
}

/// Classifies the finished batches in parallel and writes them in input order.
fn flush(model: &Model, ready: &mut Vec<Vec<Item>>, out: &mut impl Write) -> Result<()> {
    let rendered: Vec<Result<Vec<u8>>> = std::mem::take(ready)
        .into_par_iter()
        .map(|b| render_batch(model, b))
        .collect();
    for r in rendered {
        out.write_all(&r?)?;
    }
    Ok(())
}

/// Groups items into batches exactly as a line-by-line reader would: a batch ends when the
/// "article" field changes or it holds [`MAX_BATCH`] lines. The batches, not the thread
/// count, decide the features (neighbours), so the output is the same on any machine.
struct Batcher {
    current: Vec<Item>,
    article: Option<Value>,
    ready: Vec<Vec<Item>>,
    ready_items: usize,
}

impl Batcher {
    fn push(&mut self, item: Item) {
        let article = item.article().cloned();
        if !self.current.is_empty() && (article != self.article || self.current.len() >= MAX_BATCH)
        {
            self.finish_current();
        }
        self.article = article;
        self.current.push(item);
    }

    fn finish_current(&mut self) {
        if !self.current.is_empty() {
            self.ready_items += self.current.len();
            self.ready.push(std::mem::take(&mut self.current));
        }
    }
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
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut batcher = Batcher {
        current: Vec::new(),
        article: None,
        ready: Vec::new(),
        ready_items: 0,
    };
    let mut lines = BufReader::with_capacity(1 << 16, reader)
        .lines()
        .enumerate();
    loop {
        // Read a chunk of non-blank lines, then parse them in parallel.
        let mut chunk: Vec<(usize, String)> = Vec::with_capacity(CHUNK);
        for (i, line) in lines.by_ref() {
            let lineno = i + 1;
            let line = line.with_context(|| format!("{name}:{lineno}: cannot read the line"))?;
            if !line.trim().is_empty() {
                chunk.push((lineno, line));
                if chunk.len() >= CHUNK {
                    break;
                }
            }
        }
        if chunk.is_empty() {
            break;
        }
        let parsed: Vec<Result<Item>> = chunk
            .par_iter()
            .map(|(lineno, line)| parse_line(&name, *lineno, line.trim()))
            .collect();
        for item in parsed {
            match item {
                Ok(item) => batcher.push(item),
                Err(e) => {
                    // As when reading line by line: the batches finished before the bad
                    // line are written, the one it interrupts is not.
                    flush(&model, &mut batcher.ready, &mut out)?;
                    out.flush()?;
                    return Err(e);
                }
            }
        }
        if batcher.ready_items >= CHUNK {
            flush(&model, &mut batcher.ready, &mut out)?;
            batcher.ready_items = 0;
        }
    }
    batcher.finish_current();
    flush(&model, &mut batcher.ready, &mut out)?;
    out.flush()?;
    Ok(())
}
