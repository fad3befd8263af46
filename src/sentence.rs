//! The unit every later stage works on: one sentence of one article, with its position and role
//! ([`Sentence`]), and the same sentence once the model has labelled it ([`ScoredSentence`]: the
//! input of the framing formula and a part of every scored article).

use crate::label::Label;
use serde::{Deserialize, Serialize};

/// Where a sentence sits in its article (inverted-pyramid position).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The article's title or the first line shaped like a title.
    Headline,
    /// The first sentences of the body (the lede).
    Lede,
    /// A section heading or other line without end punctuation inside the body.
    Heading,
    /// Any other body sentence.
    Body,
}

impl Role {
    /// The role's snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Headline => "headline",
            Role::Lede => "lede",
            Role::Heading => "heading",
            Role::Body => "body",
        }
    }
}

/// One cleaned sentence of an article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sentence {
    /// Stable id of the article the sentence belongs to.
    pub article: String,
    /// The outlet that published the article (`unknown` when not known).
    pub outlet: String,
    /// Publication date as given (`None` when unknown).
    #[serde(default)]
    pub date: Option<String>,
    /// 0-based position of the sentence in the article.
    pub index: usize,
    /// Position role (headline, lede, heading, body).
    pub role: Role,
    /// The sentence text.
    pub text: String,
}

/// One sentence with the model's output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoredSentence {
    /// 0-based position of the sentence in its article.
    pub index: usize,
    /// Position role.
    pub role: Role,
    /// The sentence text.
    pub text: String,
    /// The label: the most probable one (ties broken by the spec's precedence), or the
    /// decoded one when the article's labels were decoded.
    pub label: Label,
    /// The most probable label, present only when the decoded `label` differs from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub argmax: Option<Label>,
    /// Probabilities in [`Label::ALL`] order; written as an object keyed by label name, as
    /// `classify` writes them (older score files with a bare array still read).
    #[serde(with = "crate::label::probs_by_label")]
    pub probs: [f64; 4],
    /// Hedge strength of the sentence in [0, 1] under the hedge list used when scoring.
    #[serde(default)]
    pub hedge: f64,
    /// The hedge cues found in the sentence.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hedge_cues: Vec<String>,
}
