//! `claimtrack sentences`: print the cleaned sentences of articles as JSONL.

use super::common::InputArgs;
use anyhow::Result;
use claimtrack::clean::Cleaner;
use claimtrack::split::article_sentences;
use std::io::Write;

/// Arguments of `claimtrack sentences`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
claimtrack sentences seeds/                     # every sentence of every seed article\n  \
claimtrack sentences --explain-cleaning a.txt  # also list removed page furniture on stderr\n  \
cat articles.jsonl | claimtrack sentences -     # JSONL articles on stdin\n\n\
Each output line is {\"article\",\"outlet\",\"date\",\"index\",\"role\",\"text\"}; role is one of\n\
headline, lede, heading, body. This is the first step of annotation: add a \"label\" to each line.")]
pub struct SentencesArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// List every line the cleaner dropped, with the rule that dropped it, on stderr.
    #[arg(long)]
    pub explain_cleaning: bool,
}

/// Runs the command.
pub fn run(args: SentencesArgs) -> Result<()> {
    let cleaner = Cleaner::default();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    args.input.for_each(|article| {
        let (sentences, cleaned) = article_sentences(&article, &cleaner);
        if args.explain_cleaning {
            for d in &cleaned.dropped {
                eprintln!(
                    "{}:{}: dropped ({}): {}",
                    article.source,
                    d.number + article.text_line_offset,
                    d.reason,
                    d.text
                );
            }
        }
        for s in &sentences {
            serde_json::to_writer(&mut out, s)?;
            out.write_all(b"\n")?;
        }
        Ok(())
    })?;
    out.flush()?;
    Ok(())
}
