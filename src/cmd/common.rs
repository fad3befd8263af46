//! Helpers shared by commands: input arguments, streaming articles with warnings, and
//! output that tolerates a closed pipe.

use anyhow::{Context, Result};
use claimtrack::article::{
    for_each_article, normalize_outlet, Article, IngestError, IngestOptions, Warning,
};
use claimtrack::atomic::InputGuard;
use claimtrack::label::LabelNames;
use claimtrack::model::Model;
use claimtrack::project::Project;
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

/// The project of `--project DIR`, or else the nearest `claimtrack.toml` in the working
/// directory or a parent folder; `None` when there is none. With `announce`, says on stderr
/// which file is used.
pub fn resolve_project(flag: Option<&Path>, announce: bool) -> Result<Option<Project>> {
    let project = match flag {
        Some(dir) => Project::open(dir)?,
        None => {
            let cwd = std::env::current_dir().context("cannot read the working directory")?;
            match claimtrack::project::discover(&cwd) {
                Some(file) => {
                    // Shown relative to the working directory when it is below it.
                    let shown = file
                        .strip_prefix(&cwd)
                        .map(Path::to_path_buf)
                        .unwrap_or_else(|_| file.clone());
                    Project::load(&shown)?
                }
                None => return Ok(None),
            }
        }
    };
    if announce {
        eprintln!(
            "note: project {}",
            terminal_safe(&project.file.display().to_string())
        );
    }
    Ok(Some(project))
}

/// What the outputs call the labels and the claim: the model's names (they describe what it
/// predicts), else the project's, else the default story's; a project and a model that give
/// different names of their own are refused ([`LabelNames::choose`]).
pub fn label_names(project: Option<&Project>, model: &Model) -> Result<LabelNames> {
    let from_project = project.map(Project::label_names);
    Ok(LabelNames::choose(from_project.as_ref(), model.names())?)
}

/// The project's label names, or the default story's without a project.
pub fn project_names(project: Option<&Project>) -> LabelNames {
    project.map(Project::label_names).unwrap_or_default()
}

/// The model file a project names, or `None` for the model built into the binary: when the
/// project names no file of its own or its file is, byte for byte, the built-in one (the
/// default story's `models/default.json`), the built-in model is used as without a project.
pub fn project_model(project: Option<&Project>) -> Result<Option<PathBuf>> {
    let Some(p) = project else {
        return Ok(None);
    };
    let file = p.model_file()?;
    if let Some(builtin) = claimtrack::model::embedded_default_json() {
        let same = std::fs::read(file).is_ok_and(|bytes| bytes == builtin.as_bytes());
        if same {
            return Ok(None);
        }
    }
    Ok(Some(file.to_path_buf()))
}
