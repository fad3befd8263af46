//! `claimtrack init DIR --claim "..."`: create a claim project from the template (the files
//! are made by [`claimtrack::project::init`]).

use anyhow::Result;
use std::path::PathBuf;

/// Arguments of `claimtrack init`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
claimtrack init projects/my-claim --claim \"The minister took the bribe.\"\n\n\
Then: edit claimtrack.toml (role names and descriptions), adapt cues.tsv to the claim's wording,\n\
put the articles in articles/, label sentences into gold/*.jsonl, and run\n\
`claimtrack train --project DIR --update-default` and `claimtrack evaluate --project DIR`.\n\
An existing claimtrack.toml is never overwritten.")]
pub struct InitArgs {
    /// The project folder (created if needed).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// The tracked claim, one sentence.
    #[arg(long, value_name = "SENTENCE")]
    pub claim: String,
}

/// Runs the command.
pub fn run(args: InitArgs) -> Result<()> {
    let written = claimtrack::project::init(&args.dir, &args.claim)?;
    for f in &written {
        eprintln!(
            "wrote {}",
            super::common::terminal_safe(&f.display().to_string())
        );
    }
    Ok(())
}
