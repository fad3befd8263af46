//! Labelling sentences one at a time (`claimtrack annotate`): the sentences of a project's
//! articles in their context, in article order or the model's least certain first, each
//! answer saved at once as a stand-off label in the annotator's pass file.
//!
//! [`queue`] owns the sentences and their order, [`journal`] the pass file (crash-safe
//! appends, undo, resume), [`session`] the state of a session (next sentence, skip, undo,
//! retraining in the background), [`tui`] the terminal screen and its keys, and [`script`]
//! the same keys read from a stream, for scripts and tests.

pub mod journal;
pub mod queue;
pub mod script;
pub mod session;
pub mod tui;

use crate::label::Label;
use crate::model::Model;
use journal::{Journal, TruncatedTail};
use queue::{load_items, Order};
use session::{Retraining, Session};
use std::path::PathBuf;

/// What a session is started from.
#[derive(Debug)]
pub struct Setup {
    /// The article folders (or files) whose sentences are labelled.
    pub articles: Vec<PathBuf>,
    /// The pass file.
    pub pass: PathBuf,
    /// The annotator.
    pub annotator: String,
    /// The order; `None`: least certain first when there is a model, else article order.
    pub order: Option<Order>,
    /// The model giving the first uncertainty order (and the training settings).
    pub model: Option<Model>,
    /// The gold labels the model is retrained on with this pass's answers, if any.
    pub gold: Option<PathBuf>,
    /// Retrain after this many answers (0: never).
    pub retrain_every: usize,
}

/// A session ready to run, with what opening it found.
#[derive(Debug)]
pub struct Started {
    /// The session.
    pub session: Session,
    /// A cut-short last line dropped from the pass file.
    pub truncated: Option<TruncatedTail>,
    /// Gold sentences the retraining starts from.
    pub gold_examples: usize,
}

/// Reads the articles and the pass file and starts (or resumes) a session.
pub fn start(setup: Setup) -> Result<Started, AnnotateError> {
    let dirs: Vec<&std::path::Path> = setup.articles.iter().map(PathBuf::as_path).collect();
    let items = load_items(&dirs)?;
    if items.is_empty() {
        let shown: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        return Err(AnnotateError::NoSentences(shown.join(", ")));
    }
    let order = match (setup.order, &setup.model) {
        (Some(Order::Uncertainty), None) => return Err(AnnotateError::NoModel),
        (Some(o), _) => o,
        (None, Some(_)) => Order::Uncertainty,
        (None, None) => Order::Article,
    };
    let (journal, truncated) = Journal::open(&setup.pass, &setup.annotator)?;
    let mut gold_examples = 0;
    let retraining = match (&setup.model, order, setup.retrain_every) {
        (Some(m), Order::Uncertainty, every) if every > 0 => {
            let base = match &setup.gold {
                Some(g) => match crate::gold::load(g, &dirs) {
                    Ok(set) => set.examples,
                    Err(crate::gold::GoldError::Empty(_)) => Vec::new(),
                    Err(e) => return Err(e.into()),
                },
                None => Vec::new(),
            };
            gold_examples = base.len();
            Some(Retraining {
                base,
                params: m.training().params.clone(),
                calibrate: m.calibration().is_some(),
                every,
            })
        }
        _ => None,
    };
    let session = Session::new(items, journal, order, setup.model.as_ref(), retraining);
    Ok(Started {
        session,
        truncated,
        gold_examples,
    })
}

/// What can go wrong in a labelling session.
#[derive(Debug, thiserror::Error)]
pub enum AnnotateError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A pass file line is not valid.
    #[error("{path}:{line}: {message}")]
    Bad {
        /// The pass file.
        path: String,
        /// 1-based line (0: the whole file).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The articles could not be read.
    #[error(transparent)]
    Ingest(#[from] crate::article::IngestError),
    /// The gold labels could not be read.
    #[error(transparent)]
    Gold(#[from] crate::gold::GoldError),
    /// `--order uncertainty` without a model.
    #[error("the uncertainty order needs a model: train one (`claimtrack train --update-default`), pass --model FILE, or use --order article")]
    NoModel,
    /// The articles hold no sentence.
    #[error("no sentences to label in {0}")]
    NoSentences(String),
    /// The terminal could not be driven.
    #[error("terminal: {0}")]
    Terminal(std::io::Error),
}

/// What the screen shows about the claim: the claim, its four roles and the labelling rules.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimInfo {
    /// The tracked claim, one sentence.
    pub claim: String,
    /// Display names in [`Label::ALL`] order.
    pub names: [String; 4],
    /// One-line descriptions in [`Label::ALL`] order.
    pub descriptions: [String; 4],
    /// The labelling rules shown by `?` (the project's guidelines, else [`BUILTIN_RULES`]).
    pub rules: String,
}

impl ClaimInfo {
    /// The display name of a label.
    pub fn name(&self, l: Label) -> &str {
        &self.names[l.index()]
    }
}

/// The labelling rules in brief, shown when the project names no guidelines file.
pub const BUILTIN_RULES: &str = "\
Labelling rules (in brief)

One label per sentence, by what the sentence itself does with respect to the claim.

1 claim       advances the claim: reports it, its evidence, its terms or its sources.
2 denial      an official party denies it, rejects it, or says it cannot confirm it.
3 skepticism  a voice that is not a denying party (an expert, a former official, the
              outlet itself) doubts that it is true or sincere.
4 context     everything else: background, events, reactions that take no side.

When a sentence does two things, the higher wins: denial > skepticism > claim > context.
Attribution decides, not vocabulary: a quote keeps its speaker's act.
A denial or doubt that governs the claim wins over the claim it reports (headlines too).
Non-confirmation by an official party is a denial; the outlet's own
\"could not be verified\" is skepticism.
A sourcing line that presents the claim's evidence is a claim.
Label each sentence as split, even when the split is poor.";
