//! Helpers shared by commands: input arguments, streaming articles with warnings, and
//! output that tolerates a closed pipe.

use anyhow::{Context, Result};
use claimtrack::article::{for_each_article, Article, IngestError, IngestOptions, Warning};
use std::path::PathBuf;

/// Input options shared by every command that reads articles.
#[derive(Debug, Clone, clap::Args)]
pub struct InputArgs {
    /// Article files, directories (read recursively: .txt, .md, .jsonl) or `-` for stdin.
    #[arg(required = true, value_name = "INPUTS")]
    pub inputs: Vec<PathBuf>,
    /// Outlet name for articles whose header does not give one.
    #[arg(long, value_name = "NAME")]
    pub outlet: Option<String>,
}

impl InputArgs {
    /// The ingestion options these arguments ask for.
    pub fn ingest_options(&self) -> IngestOptions {
        IngestOptions {
            default_outlet: self.outlet.clone(),
        }
    }

    /// Streams every article to `f` in input order; ingestion warnings go to stderr.
    pub fn for_each(&self, mut f: impl FnMut(Article) -> Result<()>) -> Result<()> {
        let mut warnings: Vec<Warning> = Vec::new();
        let mut failure: Option<anyhow::Error> = None;
        let res = for_each_article(&self.inputs, &self.ingest_options(), &mut warnings, |a| {
            f(a).map_err(|e| {
                failure = Some(e);
                IngestError::Stopped
            })
        });
        for w in &warnings {
            eprintln!("warning: {w}");
        }
        if let Some(e) = failure {
            return Err(e);
        }
        res.context("cannot read the input articles")
    }
}
