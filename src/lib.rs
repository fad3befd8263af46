//! claimtrack: track how news outlets frame a contested claim.
//!
//! Data flows one way, one module per stage:
//! [`article`] (read inputs) -> [`clean`] (drop page furniture) -> [`split`] (sentences)
//! -> [`features`] (TF-IDF) -> [`model`] (logistic regression) -> [`framing`] (per-outlet
//! score) -> [`report`] (Markdown, JSON, CSV, HTML). [`gold`] reads labelled data and
//! [`evaluate`] measures models on it; [`escape`] makes user text safe to quote in messages.
//! The library never prints; the binary does.

pub mod article;
pub mod atomic;
pub mod clean;
pub mod escape;
pub mod evaluate;
pub mod features;
pub mod framing;
pub mod gold;
pub mod label;
pub mod limits;
pub mod model;
pub mod pipeline;
pub mod report;
pub mod scored;
pub mod sentence;
pub mod split;

pub use label::Label;
pub use sentence::{Role, Sentence};
