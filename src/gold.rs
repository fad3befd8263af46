//! Gold (hand-labelled) data: reading `data/gold/*.jsonl`, joining stand-off labels to
//! article texts, and turning both into training [`Example`]s.

use crate::label::Label;
use crate::sentence::Role;
use serde::{Deserialize, Serialize};

/// One labelled sentence ready for training or evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Example {
    /// The sentence text.
    pub text: String,
    /// Its gold label.
    pub label: Label,
    /// Article id: the grouping key for cross-validation (syndicated copies must not leak).
    pub article: String,
    /// Outlet name: the grouping key for leave-one-outlet-out evaluation.
    pub outlet: String,
    /// Index of the sentence in its article.
    pub index: usize,
    /// Position role of the sentence.
    pub role: Role,
}
