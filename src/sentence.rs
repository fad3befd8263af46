//! The unit every later stage works on: one sentence of one article, with its position and role.

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
