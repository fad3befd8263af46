//! claimtrack: track how news outlets frame a contested claim.
//!
//! Data flows one way, one module per stage:
//! [`article`] (read inputs) -> [`clean`] (drop page furniture) -> [`split`] (sentences)
//! -> [`features`] (TF-IDF) -> [`model`] (logistic regression) -> [`framing`] (per-outlet
//! score) -> [`scored`] (scored articles, the `score` JSONL) -> [`report`] (Markdown, JSON,
//! CSV, HTML; [`partial`]: mergeable partial reports for archives split over many jobs). [`pipeline`] runs the stages together: it is the engine of the `classify`,
//! `score` and `report` commands, as library calls. [`gold`] reads labelled data and
//! [`evaluate`] measures models on it ([`reliability`]: how well its probabilities match
//! frequencies); [`escape`] makes user text safe to quote in messages; [`project`] reads a
//! claim project's `claimtrack.toml` (which files and names a tracked claim uses);
//! [`annotate`] runs a labelling session (the terminal screen, the pass file) and
//! [`agreement`] measures how far two or more labelling passes agree.
//! A module uses only modules before it in that flow (a test checks that no two modules use
//! each other). The library never prints; the binary does.
//!
//! # Example
//!
//! Label sentences, score an article and build a report with the shipped model:
//!
//! ```
//! use claimtrack::article::{parse_text_article, IngestOptions};
//! use claimtrack::model::Model;
//! use claimtrack::pipeline::{Pipeline, Settings};
//! use claimtrack::report::{render, Format, RenderOptions};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let pipeline = Pipeline::new(Model::default_model()?, Settings::default())?;
//!
//! // Sentences of one article, in order: labelled together and decoded as a sequence.
//! let sentences = [
//!     "Putin has signalled through intermediaries that he is open to a ceasefire.",
//!     "US officials said they were unaware of any such overture.",
//! ];
//! for (text, p) in sentences.iter().zip(pipeline.classify_article(&sentences)) {
//!     println!("{}: {text} ({:.2})", p.label, p.probs[p.label.index()]);
//!     p.write_json_line(text, std::io::stdout())?; // the line `claimtrack classify` prints
//! }
//!
//! // A whole article: cleaned, split, labelled, hedges assessed, framing scored.
//! let file = "---\noutlet: Example Times\ndate: 2024-01-25\n---\n\
//!             Putin is open to talks, officials say.\n\n\
//!             Analysts called the overture a ploy.\n";
//! let article = parse_text_article(
//!     file.as_bytes(),
//!     "example.txt",
//!     "example",
//!     &IngestOptions::default(),
//!     &mut Vec::new(),
//! )?;
//! let scored = pipeline.score_article(&article)?;
//! assert!((-1.0..=1.0).contains(&scored.framing.score));
//! scored.write_json_line(std::io::stdout())?; // the line `claimtrack score` prints
//!
//! // Reports merge scored articles from any number of jobs.
//! let mut builder = pipeline.report_builder(200)?;
//! builder.add_batch(&[scored])?;
//! let report = builder.finish();
//! let markdown = render(&report, Format::Md, RenderOptions::default())?;
//! assert!(markdown.contains("Example Times"));
//! # Ok(())
//! # }
//! ```

pub mod agreement;
pub mod annotate;
pub mod article;
pub mod atomic;
pub mod clean;
pub(crate) mod codec;
pub mod escape;
pub mod evaluate;
pub mod features;
pub mod framing;
pub mod gold;
pub mod label;
pub mod limits;
pub mod model;
pub mod partial;
pub mod pipeline;
pub mod project;
pub mod reliability;
pub mod report;
pub mod scored;
pub mod sentence;
pub mod split;

#[cfg(test)]
mod layout_tests;

pub use label::Label;
pub use sentence::{Role, Sentence};
