//! Helpers shared by commands: input arguments, streaming articles with warnings, and
//! output that tolerates a closed pipe.

use anyhow::{Context, Result};
use claimtrack::article::{
    for_each_article, normalize_outlet, Article, IngestError, IngestOptions, Warning,
};
use claimtrack::atomic::InputGuard;
use std::path::{Path, PathBuf};

/// Input options shared by every command that reads articles.
#[derive(Debug, Clone, clap::Args)]
pub struct InputArgs {
    /// Article files, directories (read recursively: .txt, .md, .jsonl) or `-` for stdin.
    #[arg(required = true, value_name = "INPUTS")]
    pub inputs: Vec<PathBuf>,
    /// Outlet name for articles whose header does not give one.
    #[arg(long, value_name = "NAME", value_parser = parse_outlet)]
    pub outlet: Option<String>,
}

/// `--outlet`: a name with at least one visible character, normalised like outlets in files.
pub fn parse_outlet(s: &str) -> Result<String, String> {
    let n = normalize_outlet(s);
    if n.is_empty() {
        return Err("the outlet name is empty; give a name such as `Reuters`".to_string());
    }
    Ok(n)
}

/// Text safe to print on a terminal: control characters (ESC starts escape sequences) and
/// bidirectional overrides from file names, ids or outlets are shown as `\u{..}` codes
/// ([`claimtrack::escape::controls`]); line breaks of multi-line messages are kept.
pub fn terminal_safe(s: &str) -> String {
    s.split('\n')
        .map(claimtrack::escape::controls)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Prints a warning on stderr, made safe for the terminal.
pub fn warn(w: &dyn std::fmt::Display) {
    eprintln!("warning: {}", terminal_safe(&w.to_string()));
}

/// The run's inputs by identity, for [`refuse_input_outputs`] and per-file checks.
pub fn input_guard<'a>(inputs: impl IntoIterator<Item = &'a Path>) -> InputGuard {
    let mut g = InputGuard::new();
    for p in inputs {
        if p.as_os_str() != "-" {
            g.add(p);
        }
    }
    g
}

/// Refuses to start when one of `outputs` is one of the run's inputs (same file, by device
/// and inode, also through links): checked before anything is read or written.
pub fn refuse_input_outputs<'a>(
    guard: &InputGuard,
    outputs: impl IntoIterator<Item = &'a Path>,
) -> Result<()> {
    for o in outputs {
        guard.check(o)?;
    }
    Ok(())
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
            warn(w);
        }
        if let Some(e) = failure {
            return Err(e);
        }
        res.context("cannot read the input articles")
    }
}
