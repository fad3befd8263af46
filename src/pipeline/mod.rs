//! The engine behind `classify`, `score` and `report`, as library calls: a [`Pipeline`] holds
//! a model and the framing settings, and labels sentences, scores articles and feeds reports.
//!
//! This module owns how the stages are run together: batching (consecutive sentences of one
//! article are classified together, so neighbour features and the label-sequence decoder see
//! the article), parallelism (rayon; the output is the same, byte for byte, whatever the
//! number of threads), and the JSON lines of `classify` and `score`. The stages themselves
//! live in their own modules ([`crate::split`], [`crate::model`], [`crate::framing`],
//! [`crate::scored`], [`crate::report`]); nothing below uses this module.
//!
//! - [`Pipeline::classify_batch`] and [`Pipeline::classify_article`] label sentences given as
//!   strings; [`Pipeline::classify_stream`] is the `classify` command: JSONL or plain-text
//!   lines from any reader, one JSON line each to any writer.
//! - [`Pipeline::score_article`] and [`Pipeline::score_articles`] label every sentence of
//!   articles and compute their framing ([`ScoredArticle`], written as a JSON line by
//!   [`ScoredArticle::write_json_line`]); [`Pipeline::score_batches`] scores a stream of
//!   articles in parallel batches in bounded memory.
//! - [`Pipeline::report_builder`] starts a report, and [`add_scores`] merges the JSONL of
//!   any number of scoring jobs into it: the report is the same whatever the split or order.

mod json;
mod stream;

pub use stream::{ClassifyError, ClassifySummary, LineProblem, MAX_LINE};

use crate::article::Article;
use crate::clean::Cleaner;
use crate::framing::{FramingError, FramingParams, Hedges};
use crate::label::{Label, LabelNames, RenamingWriter};
use crate::model::{argmax_label, Model, ModelError};
use crate::report::{ReportBuilder, ReportError};
use crate::scored::{read_scores_named, ScoredArticle, ScoresError, PRECEDENCE};
use crate::split::article_sentences;
use rayon::prelude::*;
use std::io::{BufRead, Read, Write};
use std::sync::OnceLock;

/// Most consecutive lines (sentences) classified together: a longer run of one article, or
/// of plain-text lines, is cut into runs of this many, each with its own neighbours and its
/// own decoding (bounds memory on one-article streams).
pub const MAX_BATCH: usize = 4096;

/// Lines of a run classified together by one worker: runs are cut into such parts (each
/// with the sentences just before and after it as context) so that the work divides evenly
/// between threads.
const PART: usize = 256;

/// Articles scored together in one parallel batch by [`Pipeline::score_batches`] and read
/// together by [`add_scores`] (bounds memory on huge inputs).
pub const SCORE_BATCH: usize = 256;

/// How a [`Pipeline`] labels and scores.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Label each article's sentences with the model's label-sequence decoder, when the model
    /// has one (the shipped model does); `false` gives every sentence its most probable label.
    /// The probabilities, and so the framing scores, are the same either way.
    pub decode: bool,
    /// The framing formula's constants (default: the shipped `data/framing.json`).
    pub framing: FramingParams,
    /// The hedge cue list (default: the built-in `data/hedges.txt`).
    pub hedges: Hedges,
    /// Where the model came from (a path, or `built-in default model`): scored articles then
    /// name it, with the model's fingerprint and training size, in their `model` field.
    /// `None` leaves that field empty and skips the fingerprint.
    pub model_source: Option<String>,
    /// Worker threads of the pipeline's own pool (`None`: rayon's global pool, by default one
    /// per core; `Some(0)`: a pool of one per core). The results are the same whatever the
    /// number.
    pub threads: Option<usize>,
    /// What the outputs call the labels (default: the default story's names); `classify`
    /// lines and score lines ([`Pipeline::write_scored_line`]) use them.
    pub names: LabelNames,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            decode: true,
            framing: FramingParams::shipped(),
            hedges: Hedges::default(),
            model_source: None,
            threads: None,
            names: LabelNames::default(),
        }
    }
}

/// Errors of building a [`Pipeline`] and of scoring.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The framing settings are out of range.
    #[error(transparent)]
    Framing(#[from] FramingError),
    /// The model could not be serialised to compute its fingerprint.
    #[error("cannot fingerprint the model")]
    Fingerprint(#[source] ModelError),
    /// The thread pool could not be started.
    #[error("cannot start {threads} worker threads")]
    Threads {
        /// Threads asked for.
        threads: usize,
        /// Why they could not be started.
        source: rayon::ThreadPoolBuildError,
    },
    /// An article could not be scored (the model gave probabilities that are not a
    /// distribution).
    #[error("cannot score the article from {article}")]
    Score {
        /// Where the article was read from.
        article: String,
        /// Why.
        source: FramingError,
    },
}

/// Errors of [`add_scores`].
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// A line of the scores is not a scored article, or reading failed.
    #[error(transparent)]
    Scores(#[from] ScoresError),
    /// A scored article does not fit the report (two different articles with one id, or
    /// probabilities that are not a distribution).
    #[error("in {input}")]
    Report {
        /// The scores' name.
        input: String,
        /// Why.
        source: ReportError,
    },
}

/// The model's output for one sentence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prediction {
    /// The label: the decoded one when `decoded`, else the most probable one (ties go to
    /// the earlier label in [`Label::ALL`]).
    pub label: Label,
    /// The most probable label, when the decoded `label` differs from it.
    pub argmax: Option<Label>,
    /// The probabilities, in [`Label::ALL`] order.
    pub probs: [f64; 4],
    /// Whether `label` was chosen by the label-sequence decoder.
    pub decoded: bool,
}

/// A model ready to label sentences and score articles, with the framing settings.
///
/// Build one per process (or per worker) and share it: every method takes `&self`, and the
/// parallel ones use [`Settings::threads`] threads.
#[derive(Debug)]
pub struct Pipeline {
    model: Model,
    model_info: Option<String>,
    framing: FramingParams,
    hedges: Hedges,
    cleaner: OnceLock<Cleaner>,
    pool: Option<rayon::ThreadPool>,
    names: LabelNames,
}

impl Pipeline {
    /// A pipeline of `model` under `settings`: with `settings.decode` false the model's
    /// label-sequence decoder is dropped; with a `model_source` the model is fingerprinted.
    pub fn new(model: Model, settings: Settings) -> Result<Pipeline, PipelineError> {
        settings.framing.validate()?;
        // The fingerprint is that of what labels the sentences: without decoding, the model
        // without its decoder (the same bytes as a model trained without one, so the outputs
        // are those of the decoder-less model, byte for byte).
        let model = if settings.decode {
            model
        } else {
            model.with_decoder(None)
        };
        let model_info = match &settings.model_source {
            Some(source) => Some(describe_model(&model, source)?),
            None => None,
        };
        let pool = match settings.threads {
            Some(threads) => Some(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .map_err(|source| PipelineError::Threads { threads, source })?,
            ),
            None => None,
        };
        Ok(Pipeline {
            model,
            model_info,
            framing: settings.framing,
            hedges: settings.hedges,
            cleaner: OnceLock::new(),
            pool,
            names: settings.names,
        })
    }

    /// What the outputs call the labels.
    pub fn names(&self) -> &LabelNames {
        &self.names
    }

    /// Writes a scored article as one JSON line, newline included, with the labels under
    /// [`Pipeline::names`] (the bytes of [`ScoredArticle::write_json_line`] for the default
    /// story's names).
    pub fn write_scored_line<W: Write>(
        &self,
        article: &ScoredArticle,
        out: W,
    ) -> std::io::Result<()> {
        article.write_json_line_named(out, &self.names)
    }

    /// The model (without its decoder when the settings turned decoding off).
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The model's description that scored articles carry: its source, fingerprint (the
    /// first 12 hex digits of the SHA-256 of its file) and training size, and the decoder
    /// weight when labels are decoded. `None` without [`Settings::model_source`].
    pub fn model_info(&self) -> Option<&str> {
        self.model_info.as_deref()
    }

    /// The framing formula's constants.
    pub fn framing(&self) -> &FramingParams {
        &self.framing
    }

    /// The hedge cue list.
    pub fn hedges(&self) -> &Hedges {
        &self.hedges
    }

    /// Runs `f` on the pipeline's threads: on a worker of its own pool, or else of rayon's
    /// global pool. Either way the parallel steps inside `f` start on a worker; called from
    /// another thread, each of them would be handed over to the pool and waited for (a
    /// wake-up and a sleep per step, and the idle workers spinning in between: 3-4% of the
    /// CPU time of `classify --threads 1`).
    fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        match &self.pool {
            Some(pool) => pool.install(f),
            None => rayon::scope(|_| f()),
        }
    }

    fn cleaner(&self) -> &Cleaner {
        self.cleaner.get_or_init(Cleaner::default)
    }

    /// Labels consecutive sentences as `claimtrack classify` labels plain-text lines: each
    /// by its most probable label, with neighbour features from the sentences before and
    /// after it (within runs of [`MAX_BATCH`]). Sentences are split on nothing: give one
    /// sentence per string.
    pub fn classify_batch(&self, texts: &[&str]) -> Vec<Prediction> {
        self.classify_runs(texts, false)
    }

    /// Labels the sentences of one article, in order, as `claimtrack classify` labels
    /// consecutive JSONL lines with the same `"article"`: together (neighbour features), and
    /// decoded as one sequence when the model has a label-sequence decoder (runs longer than
    /// [`MAX_BATCH`] are decoded run by run).
    pub fn classify_article(&self, texts: &[&str]) -> Vec<Prediction> {
        self.classify_runs(texts, true)
    }

    fn classify_runs(&self, texts: &[&str], decode: bool) -> Vec<Prediction> {
        let decode = decode && self.model.decoder().is_some();
        // (start, end, context before, context after) of each part, in order.
        let mut parts: Vec<(usize, usize, bool, bool)> = Vec::new();
        for run in (0..texts.len()).step_by(MAX_BATCH) {
            let run_end = (run + MAX_BATCH).min(texts.len());
            if decode {
                parts.push((run, run_end, false, false));
                continue;
            }
            for start in (run..run_end).step_by(PART) {
                let end = (start + PART).min(run_end);
                parts.push((start, end, start > run, end < run_end));
            }
        }
        let model = &self.model;
        let done: Vec<Vec<Prediction>> = self.install(|| {
            parts
                .into_par_iter()
                .map(|(start, end, before, after)| {
                    let rows = &texts[start - usize::from(before)..end + usize::from(after)];
                    predictions(model, part_probs(model, rows, before, after), decode)
                })
                .collect()
        });
        done.concat()
    }

    /// The `claimtrack classify` command: reads lines from `input` and writes one JSON line
    /// per non-blank line to `out`, in order, then flushes `out`.
    ///
    /// A line starting with `{` must be a JSON object with a string `"text"` (a key given
    /// twice is an error); its fields pass through, in order, and `"label"`, `"probs"` (and,
    /// for a decoded label that differs from the most probable one, `"argmax"`) are set as
    /// [`Prediction::annotate`] sets them. Any other non-blank line is one sentence, written
    /// as [`Prediction::write_json_line`] writes it. Consecutive lines with the same
    /// `"article"` (not null) are classified as [`Pipeline::classify_article`] does, other
    /// runs as [`Pipeline::classify_batch`] does. A UTF-8 byte order mark at the start is
    /// skipped; CR LF line ends are read as LF; lines may be at most [`MAX_LINE`] bytes.
    /// `name` names the input in errors. On a bad line, `out` holds the output of every
    /// batch finished before it.
    pub fn classify_stream<R, W>(
        &self,
        input: R,
        name: &str,
        mut out: W,
    ) -> Result<ClassifySummary, ClassifyError>
    where
        R: Read + Send,
        W: Write + Send,
    {
        let name = crate::escape::controls(name);
        if self.names.has_default_labels() {
            return self.install(|| {
                stream::classify_stream(&self.model, Box::new(input), &name, &mut out)
            });
        }
        let mut renamed = RenamingWriter::new(&self.names, &mut out);
        let summary = self
            .install(|| stream::classify_stream(&self.model, Box::new(input), &name, &mut renamed));
        // What the finished batches wrote goes out, also when a later line was bad.
        let finished = renamed.finish();
        let summary = summary?;
        finished.map_err(ClassifyError::Write)?;
        Ok(summary)
    }

    /// Scores one article: cleans and splits it into sentences, labels every sentence
    /// (decoded when the model has a decoder and decoding is on), assesses hedges, and
    /// computes the article's framing.
    pub fn score_article(&self, article: &Article) -> Result<ScoredArticle, PipelineError> {
        let (sentences, _) = article_sentences(article, self.cleaner());
        let texts: Vec<&str> = sentences.iter().map(|s| s.text.as_str()).collect();
        let probs = self.model.predict_article(&texts);
        let scored = ScoredArticle::new(
            article.meta(),
            &sentences,
            &probs,
            self.model_info.clone(),
            &self.framing,
            &self.hedges,
        )
        .map_err(|source| PipelineError::Score {
            article: article.source.clone(),
            source,
        })?;
        Ok(match self.model.decoder() {
            Some(d) => {
                // The probabilities as scored (checked and normalised), ties as the argmax's.
                let probs: Vec<[f64; 4]> = scored.sentences.iter().map(|s| s.probs).collect();
                let labels = d.decode(&probs, &PRECEDENCE);
                scored.with_decoded_labels(&labels, d.weight)
            }
            None => scored,
        })
    }

    /// Scores articles in parallel; the results are in input order.
    pub fn score_articles(
        &self,
        articles: &[Article],
    ) -> Result<Vec<ScoredArticle>, PipelineError> {
        self.install(|| articles.par_iter().map(|a| self.score_article(a)).collect())
    }

    /// Scores a stream of articles in parallel batches of [`SCORE_BATCH`]: push articles
    /// into the returned [`ScoreBatches`], and each batch's scored articles reach `sink` in
    /// input order. Memory stays bounded whatever the number of articles.
    pub fn score_batches<F, E>(&self, sink: F) -> ScoreBatches<'_, F>
    where
        F: FnMut(Vec<ScoredArticle>) -> Result<(), E>,
        E: From<PipelineError>,
    {
        ScoreBatches {
            pipeline: self,
            batch: Vec::with_capacity(SCORE_BATCH),
            sink,
        }
    }

    /// An empty report under the pipeline's framing settings; `max_strips` bounds how many
    /// articles keep their sentence strip. Add scored articles to it
    /// ([`ReportBuilder::add_batch`], [`add_scores`]), then [`ReportBuilder::finish`].
    pub fn report_builder(&self, max_strips: usize) -> Result<ReportBuilder, ReportError> {
        ReportBuilder::new(self.framing.clone(), self.hedges.clone(), max_strips)
    }
}

/// Articles being scored in batches: see [`Pipeline::score_batches`].
pub struct ScoreBatches<'p, F> {
    pipeline: &'p Pipeline,
    batch: Vec<Article>,
    sink: F,
}

impl<F, E> ScoreBatches<'_, F>
where
    F: FnMut(Vec<ScoredArticle>) -> Result<(), E>,
    E: From<PipelineError>,
{
    /// Adds an article; a full batch is scored and handed to the sink.
    pub fn push(&mut self, article: Article) -> Result<(), E> {
        self.batch.push(article);
        if self.batch.len() >= SCORE_BATCH {
            self.flush()?;
        }
        Ok(())
    }

    /// Scores the last batch and hands it to the sink (also when it is empty).
    pub fn finish(mut self) -> Result<(), E> {
        self.flush()
    }

    fn flush(&mut self) -> Result<(), E> {
        let scored = self.pipeline.score_articles(&self.batch)?;
        self.batch.clear();
        (self.sink)(scored)
    }
}

/// Reads scored articles (the JSONL of `claimtrack score`, as [`read_scores`] reads it) into
/// `builder`, [`SCORE_BATCH`] at a time, calling `progress` with the size of each batch
/// added; returns the number of articles read. `name` names the scores in errors. Adding
/// the same files in any order or split gives the same report.
pub fn add_scores<R: BufRead>(
    builder: &mut ReportBuilder,
    reader: R,
    name: &str,
    progress: impl FnMut(usize),
) -> Result<usize, MergeError> {
    add_scores_named(builder, reader, name, &LabelNames::default(), progress)
}

/// [`add_scores`] of score files whose labels may also be written by the display names of
/// `names` (scores written in a claim project).
pub fn add_scores_named<R: BufRead>(
    builder: &mut ReportBuilder,
    reader: R,
    name: &str,
    names: &LabelNames,
    mut progress: impl FnMut(usize),
) -> Result<usize, MergeError> {
    let mut batch: Vec<ScoredArticle> = Vec::with_capacity(SCORE_BATCH);
    let mut total = 0;
    let mut add = |batch: &mut Vec<ScoredArticle>| -> Result<(), MergeError> {
        builder
            .add_batch(batch)
            .map_err(|source| MergeError::Report {
                input: name.to_string(),
                source,
            })?;
        progress(batch.len());
        total += batch.len();
        batch.clear();
        Ok(())
    };
    for item in read_scores_named(reader, name, names.clone()) {
        batch.push(item?);
        if batch.len() >= SCORE_BATCH {
            add(&mut batch)?;
        }
    }
    add(&mut batch)?;
    Ok(total)
}

/// The description of `model` that scored articles carry (see [`Pipeline::model_info`]).
fn describe_model(model: &Model, source: &str) -> Result<String, PipelineError> {
    let hash = model.fingerprint().map_err(PipelineError::Fingerprint)?;
    let t = model.training();
    let decoded = model
        .decoder()
        .map(|d| format!("; labels decoded, w={}", d.weight))
        .unwrap_or_default();
    Ok(format!(
        "{source} (sha256 {hash}, trained on {} sentences from {} articles{decoded})",
        t.examples, t.articles
    ))
}

/// The probabilities of the rows of `texts`, classified together (neighbour features), the
/// first and last row left out when they are only `before` / `after` context.
fn part_probs(model: &Model, texts: &[&str], before: bool, after: bool) -> Vec<[f64; 4]> {
    let mut probs = model.predict_article(texts);
    if after {
        probs.pop();
    }
    if before {
        probs.remove(0);
    }
    probs
}

/// The predictions of consecutive rows from their probabilities, decoded together when
/// `decode` and the model has a decoder.
fn predictions(model: &Model, probs: Vec<[f64; 4]>, decode: bool) -> Vec<Prediction> {
    let decoded = model
        .decoder()
        .filter(|_| decode)
        .map(|d| d.decode(&probs, &Label::ALL));
    probs
        .into_iter()
        .enumerate()
        .map(|(n, p)| {
            let argmax = argmax_label(&p);
            match decoded.as_ref().and_then(|d| d.get(n)) {
                Some(&label) => Prediction {
                    label,
                    argmax: (label != argmax).then_some(argmax),
                    probs: p,
                    decoded: true,
                },
                None => Prediction {
                    label: argmax,
                    argmax: None,
                    probs: p,
                    decoded: false,
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
