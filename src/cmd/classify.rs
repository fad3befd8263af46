//! `claimtrack classify`: label sentences read as JSONL (or plain text, one per line). The
//! engine is [`Pipeline::classify_stream`]; this command opens the input and the output.

use anyhow::{Context, Result};
use claimtrack::escape;
use claimtrack::model::Model;
use claimtrack::pipeline::{Pipeline, Settings};
use claimtrack::project::Project;
use std::io::Read;
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
Consecutive lines with the same \"article\" are classified together, in order, and their\n\
labels decoded together by the model's label-sequence decoder (the shipped model has one):\n\
\"label\" is then the decoded label, and a line whose decoded label differs from its most\n\
probable one also gets \"argmax\" (that label); \"probs\" are the model's calibrated\n\
probabilities (on unseen outlets a top probability of 0.8 is right about 80% of the time;\n\
docs/MODEL.md), the same with or without the decoder. Lines without\n\
\"article\", plain-text lines and --no-decode give the most probable label.\n\
A UTF-8 byte order mark at the start of the input is skipped. A JSON object may not give a\n\
key twice, and a line may be at most 64 MiB long: either is an error naming the line.")]
pub struct ClassifyArgs {
    /// Model file (default: the project's model, else the model shipped inside claimtrack).
    #[arg(long, short, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// Input file, or `-` for stdin.
    #[arg(value_name = "FILE", default_value = "-")]
    pub input: PathBuf,
    /// Label each line by its most probable label, without the model's label-sequence
    /// decoder (the probabilities are the same either way).
    #[arg(long)]
    pub no_decode: bool,
}

/// Loads `path`, or the embedded default model when no path is given.
pub fn load_model(path: Option<&Path>) -> Result<Model> {
    match path {
        Some(p) => Model::load(p).with_context(|| "cannot load the model".to_string()),
        None => Model::default_model().context("cannot load the default model"),
    }
}

/// Runs the command.
pub fn run(mut args: ClassifyArgs, project: Option<&Project>) -> Result<()> {
    if args.model.is_none() {
        args.model = super::common::project_model(project)?;
    }
    let model = load_model(args.model.as_deref())?;
    let names = super::common::label_names(project, &model)?;
    let settings = Settings {
        decode: !args.no_decode,
        names,
        ..Settings::default()
    };
    let pipeline = Pipeline::new(model, settings)?;
    let (name, reader): (String, Box<dyn Read + Send>) = if args.input.as_os_str() == "-" {
        ("<stdin>".to_string(), Box::new(std::io::stdin()))
    } else {
        let name = args.input.display().to_string();
        let f = std::fs::File::open(&args.input)
            .with_context(|| format!("cannot open {}", escape::controls(&name)))?;
        (name, Box::new(f))
    };
    let out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout());
    pipeline.classify_stream(reader, &name, out)?;
    // The process ends here: freeing the model's many small allocations one by one would
    // only add to the run time (the memory goes back to the system at exit anyway).
    std::mem::forget(pipeline);
    Ok(())
}
