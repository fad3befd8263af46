//! Sentence features: tokenization, Snowball stemming, word n-grams and TF-IDF weighting.
//!
//! This module owns the step "sentence text -> sparse feature vector". A [`FeaturizerParams`]
//! is fitted on training texts into a [`Featurizer`] (vocabulary plus idf), which turns any
//! sentence into a [`SparseVec`]. The weighting follows scikit-learn's
//! `TfidfVectorizer(sublinear_tf=True, smooth_idf=True, norm="l2")`:
//!
//! - term frequency `tf` is replaced by `1 + ln(tf)` (sublinear tf);
//! - `idf = ln((1 + n) / (1 + df)) + 1`, with `n` training texts and `df` the number of
//!   training texts that contain the term;
//! - each row is scaled to unit L2 norm.
//!
//! Tokenization lowercases, folds curly quotes and apostrophes to straight ones, keeps words
//! (with inner apostrophes: `doesn't`, `putin's`), numbers (with inner `.`/`,`: `2.5`,
//! `1,000`) and `%` as its own token, and splits on every other punctuation mark (so
//! `back-channel` gives `back`, `channel`). Words are stemmed with the English Snowball
//! stemmer, so `signalled`, `signals` and `signaling` share one feature.
//!
//! Feature groups. All groups produce *terms* that share one vocabulary, one idf table and
//! one L2 normalization, so the model weighs them against each other on the same footing:
//!
//! - word n-grams (always);
//! - cue classes (`cues`, a lexicon carried in the settings, see [`cues`]): each phrase match
//!   adds `cue:<class>` (`cue:doubt` for "ploy", "bluff", "trial balloon" alike), plus the
//!   quote shapes `cue:quote` (the sentence holds a double quote) and `cue:quote_open` (an
//!   odd number of them: a quote that runs on into the next sentence);
//! - neighbours (`neighbours`): the distinct cue classes of the previous and the next
//!   sentence of the same article, as `prev:cue:<class>` and `next:cue:<class>`, so a
//!   piece of a quote split over sentences still sees its speaker. Neighbours need the
//!   article, so they come from [`Featurizer::transform_article`]; a sentence given alone
//!   to [`Featurizer::transform`] has none.
//!
//! Character n-grams (`char_weight` above 0) are the exception to the shared footing: the
//! 3- to 5-grams of each token before stemming, padded with a space at each end
//! ([`char_grams`]), as terms `chr:<gram>`. They share the vocabulary and idf table but are
//! normalized as a block of their own, to L2 norm `char_weight`, while the other groups keep
//! unit norm together, so the block's weight against the words is a setting rather than a
//! matter of how many grams a sentence has (a word gives about a dozen). They are taken
//! before stemming because the stems are already word terms: the grams add what stemming
//! removes or keeps apart (`sceptical` and `skeptics` share `eptic`; suffixes such as `-ly`).
//!
//! Each group has its own setting that is off when absent from a saved model
//! (`#[serde(default)]`), so older models keep producing exactly the features they were
//! trained with.
//!
//! Layout: this module owns the featurizer (settings, fitted vocabulary, the string path that
//! defines every term). Its submodules each own one part and use each other one way only:
//! `fxhash` (the hash of the tables) <- [`cues`] (the lexicon and its matcher) <- `fast` (the
//! fast transform path) <- `vocab` (fitting the vocabulary).

pub mod cues;
mod fast;
mod fxhash;
mod vocab;

use cues::{CueEntry, CueMatcher};
pub(crate) use fast::split_byte;
use fast::NgramIndex;
use rust_stemmers::{Algorithm, Stemmer};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::OnceLock;

/// A sparse feature vector: `(feature index, value)` pairs sorted by index, no duplicates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SparseVec(pub Vec<(usize, f64)>);

impl SparseVec {
    /// Number of non-zero entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when the vector has no non-zero entry (no known term in the sentence).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Iterates over `(index, value)` pairs in index order.
    pub fn iter(&self) -> impl Iterator<Item = &(usize, f64)> {
        self.0.iter()
    }

    /// The value at `index` (0 when absent).
    pub fn get(&self, index: usize) -> f64 {
        self.0
            .binary_search_by_key(&index, |&(i, _)| i)
            .map(|p| self.0[p].1)
            .unwrap_or(0.0)
    }
}

/// Settings of the featurizer. Fitting them on texts gives a [`Featurizer`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeaturizerParams {
    /// Lowercase the text before tokenizing.
    pub lowercase: bool,
    /// Reduce words to their English Snowball stem.
    pub stem: bool,
    /// Longest word n-gram (1 = unigrams only, 2 = unigrams and bigrams, at most 3).
    pub ngram_max: usize,
    /// Use `1 + ln(tf)` instead of the raw term count.
    pub sublinear_tf: bool,
    /// Keep only terms that occur in at least this many training texts.
    pub min_df: usize,
    /// Keep at most this many terms (the most frequent over the training texts; ties broken
    /// by term order). `None` keeps all.
    pub max_features: Option<usize>,
    /// Cue lexicon: each phrase match adds the term `cue:<class>`, and quotes add
    /// `cue:quote` / `cue:quote_open`. Empty = no cue features.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cues: Vec<CueEntry>,
    /// Add the previous and next sentences' cue classes (`prev:cue:*`, `next:cue:*`).
    /// Needs a non-empty `cues`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub neighbours: bool,
    /// Factor on the TF-IDF value of cue and neighbour terms before L2 normalization
    /// (1 = weighed like a word).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub cue_weight: f64,
    /// L2 norm of the character n-gram block (0 = no character n-grams). When above 0, each
    /// token (lowercased and normalised like the word terms, but not stemmed) padded with a
    /// space at each end gives its character 3- to 5-grams as the terms `chr:<gram>` (see
    /// [`char_grams`]); they have their own TF-IDF block, scaled to unit L2 norm and then
    /// multiplied by this weight, beside the word and cue block (which keeps unit norm).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub char_weight: f64,
    /// Keep only character n-grams that occur in at least this many training texts
    /// (`min_df` and `max_features` apply to the other terms).
    #[serde(default = "two", skip_serializing_if = "is_two")]
    pub char_min_df: usize,
}

fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

fn two() -> usize {
    2
}

fn is_two(x: &usize) -> bool {
    *x == 2
}

fn one() -> f64 {
    1.0
}

fn is_one(x: &f64) -> bool {
    *x == 1.0
}

/// True for the terms of the cue and neighbour groups (scaled by `cue_weight`).
pub fn is_cue_term(term: &str) -> bool {
    term.starts_with("cue:") || term.starts_with("prev:cue:") || term.starts_with("next:cue:")
}

impl Default for FeaturizerParams {
    fn default() -> Self {
        FeaturizerParams {
            lowercase: true,
            stem: true,
            ngram_max: 2,
            sublinear_tf: true,
            min_df: 1,
            max_features: None,
            cues: cues::builtin(),
            neighbours: false,
            cue_weight: 1.0,
            char_weight: 0.0,
            char_min_df: 2,
        }
    }
}

/// Prefix of the character n-gram terms (no token holds a `:`).
pub const CHAR_PREFIX: &str = "chr:";

/// Shortest character n-gram (in characters, the padding spaces included).
pub const CHAR_NGRAM_MIN: usize = 3;

/// Longest character n-gram.
pub const CHAR_NGRAM_MAX: usize = 5;

/// Largest `char_weight` accepted: far beyond any useful value (0.35 to 1 were tried).
pub const MAX_CHAR_WEIGHT: f64 = 100.0;

/// True for the terms of the character n-gram block (`chr:<gram>`).
pub fn is_char_term(term: &str) -> bool {
    term.starts_with(CHAR_PREFIX)
}

/// Calls `f` with every character n-gram of one token, with repeats: the token padded with
/// a space at each end, then every run of [`CHAR_NGRAM_MIN`] to [`CHAR_NGRAM_MAX`]
/// characters of it, shortest first, left to right (`"said"` -> `" sa"`, `"sai"`, `"aid"`,
/// `"id "`, `" sai"`, ...). A padded token shorter than `n` gives no `n`-gram. The
/// padding marks the start and end of a word, so `" un"` (a prefix) differs from `"un "`.
/// `buf` is scratch space.
pub fn char_grams(token: &str, buf: &mut String, mut f: impl FnMut(&str)) {
    buf.clear();
    buf.push(' ');
    buf.push_str(token);
    buf.push(' ');
    // Byte offsets of the character boundaries (the end included).
    let mut bounds = [0usize; 64];
    let mut n_bounds = 0;
    for (k, _) in buf.char_indices() {
        if n_bounds == bounds.len() {
            break;
        }
        bounds[n_bounds] = k;
        n_bounds += 1;
    }
    if n_bounds == bounds.len() {
        // A very long token: the general (allocating) way.
        let all: Vec<usize> = buf
            .char_indices()
            .map(|(k, _)| k)
            .chain([buf.len()])
            .collect();
        for n in CHAR_NGRAM_MIN..=CHAR_NGRAM_MAX {
            for w in all.windows(n + 1) {
                f(&buf[w[0]..w[n]]);
            }
        }
        return;
    }
    bounds[n_bounds] = buf.len();
    let all = &bounds[..=n_bounds];
    for n in CHAR_NGRAM_MIN..=CHAR_NGRAM_MAX {
        for w in all.windows(n + 1) {
            f(&buf[w[0]..w[n]]);
        }
    }
}

/// Smallest `cue_weight` accepted (settings and model files).
pub const MIN_CUE_WEIGHT: f64 = 1e-3;

/// Largest `cue_weight` accepted: far beyond any useful value (1 to 3 were tried), and small
/// enough that a TF-IDF value times it, squared and summed for the L2 norm, stays finite.
pub const MAX_CUE_WEIGHT: f64 = 1e3;

/// Largest idf a stored featurizer may hold. A fitted idf is `ln((1 + n) / (1 + df)) + 1`,
/// so it exceeds 100 only after more than `e^99` (about 1e43) training sentences: a larger
/// value means a damaged or hand-made file.
pub const MAX_IDF: f64 = 100.0;

/// Error in featurizer settings or in a stored featurizer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FeatureError {
    /// A setting is out of range.
    #[error("invalid featurizer setting: {0}")]
    InvalidParams(String),
    /// A stored vocabulary or idf table is inconsistent.
    #[error("invalid featurizer data: {0}")]
    Invalid(String),
}

impl FeaturizerParams {
    /// Checks that the settings are usable.
    pub fn validate(&self) -> Result<(), FeatureError> {
        if !(1..=3).contains(&self.ngram_max) {
            return Err(FeatureError::InvalidParams(format!(
                "ngram_max must be 1, 2 or 3 (got {})",
                self.ngram_max
            )));
        }
        if self.min_df == 0 {
            return Err(FeatureError::InvalidParams(
                "min_df must be at least 1".to_string(),
            ));
        }
        if self.max_features == Some(0) {
            return Err(FeatureError::InvalidParams(
                "max_features must be at least 1 when given".to_string(),
            ));
        }
        if !(MIN_CUE_WEIGHT..=MAX_CUE_WEIGHT).contains(&self.cue_weight) {
            return Err(FeatureError::InvalidParams(format!(
                "cue_weight must be a number from {MIN_CUE_WEIGHT:e} to {MAX_CUE_WEIGHT:e} (got {:e})",
                self.cue_weight
            )));
        }
        if !(0.0..=MAX_CHAR_WEIGHT).contains(&self.char_weight) {
            return Err(FeatureError::InvalidParams(format!(
                "char_weight must be a number from 0 to {MAX_CHAR_WEIGHT} (got {:e})",
                self.char_weight
            )));
        }
        if self.char_min_df == 0 {
            return Err(FeatureError::InvalidParams(
                "char_min_df must be at least 1".to_string(),
            ));
        }
        for e in &self.cues {
            cues::check_entry(e).map_err(FeatureError::InvalidParams)?;
        }
        if self.neighbours && self.cues.is_empty() {
            return Err(FeatureError::InvalidParams(
                "neighbour features need a cue lexicon (they are the neighbours' cue classes)"
                    .to_string(),
            ));
        }
        Ok(())
    }

    /// Splits a text into normalized tokens (lowercased, stemmed, per these settings).
    pub fn tokenize(&self, text: &str) -> Vec<String> {
        let stemmer = self.stem.then(|| Stemmer::create(Algorithm::English));
        tokens_with(self, stemmer.as_ref(), text)
    }

    /// All terms of one text taken alone (n-grams and cue classes; no neighbours), with
    /// repeats.
    pub fn terms(&self, text: &str) -> Vec<String> {
        let stemmer = self.stem.then(|| Stemmer::create(Algorithm::English));
        let matcher = compile_cues(self, stemmer.as_ref());
        article_terms_with(self, stemmer.as_ref(), matcher.as_ref(), &[text])
            .pop()
            .unwrap_or_default()
    }

    /// Learns the vocabulary and idf from training texts, each taken as an article of one
    /// sentence (so without neighbour features; see [`FeaturizerParams::fit_articles`]).
    pub fn fit<S: AsRef<str> + Sync>(&self, texts: &[S]) -> Featurizer {
        let articles: Vec<Vec<&str>> = texts.iter().map(|t| vec![t.as_ref()]).collect();
        self.fit_articles(&articles)
    }

    /// Learns the vocabulary and idf from training articles (each a list of sentences in
    /// order; idf counts sentences). Settings must be valid (see
    /// [`FeaturizerParams::validate`]); invalid ones are clamped to the nearest valid value
    /// (and neighbour features are dropped without a lexicon).
    pub fn fit_articles(&self, articles: &[Vec<&str>]) -> Featurizer {
        vocab::fit(self, articles)
    }
}

/// A fitted featurizer: settings, vocabulary (sorted, index = feature id) and idf per term.
#[derive(Debug, Clone)]
pub struct Featurizer {
    params: FeaturizerParams,
    vocabulary: Vec<String>,
    idf: Vec<f64>,
    /// Term -> feature index, built on first use (only the string path and
    /// [`Featurizer::index_of`] need it; classifying with the fast path never does).
    index: OnceLock<HashMap<String, usize>>,
    stemmer: Option<StemmerBox>,
    cues: Option<CueMatcher>,
    /// A bit per term (64 to a word) set for the terms multiplied by `cue_weight` (cue and
    /// neighbour terms); empty when `cue_weight` is 1, which changes no value. The idf of
    /// words is then read alone (half the memory of a per-term `[idf, factor]`, so more of it
    /// stays in the core's cache), and `tf * idf * 1` is `tf * idf` bit for bit.
    scaled: Vec<u64>,
    /// Word n-grams by part ids (the fast transform path).
    ngram: NgramIndex,
    /// [`sublinear_tf`] of the counts below 32, computed once (a repeated term is common
    /// enough that the `ln` calls showed in profiles).
    sublinear_tf: [f64; 32],
    /// Feature ids of the cue terms (`cue:<class>` per class, then `cue:quote`,
    /// `cue:quote_open`), and of their `prev:` and `next:` forms.
    cue_ids: [Vec<Option<usize>>; 3],
    /// The feature ids of the character n-gram terms: one run, since they share a prefix
    /// and the vocabulary is sorted (empty without them).
    char_range: std::ops::Range<usize>,
    /// Character n-gram (without the prefix) -> feature id (the fast path).
    char_index: fxhash::FxHashMap<Box<str>, u32>,
}

/// Wrapper so `Featurizer` can derive `Debug` and `Clone` around the stemmer.
struct StemmerBox(Stemmer);

impl std::fmt::Debug for StemmerBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Stemmer(English)")
    }
}

impl Clone for StemmerBox {
    fn clone(&self) -> Self {
        StemmerBox(Stemmer::create(Algorithm::English))
    }
}

impl PartialEq for Featurizer {
    fn eq(&self, other: &Self) -> bool {
        self.params == other.params && self.vocabulary == other.vocabulary && self.idf == other.idf
    }
}

/// The parts of a [`Featurizer`] other than the settings, the terms, the idf and the n-gram
/// index (built apart so that the index can be built beside them).
struct Rest {
    stemmer: Option<StemmerBox>,
    cues: Option<CueMatcher>,
    scaled: Vec<u64>,
    cue_ids: [Vec<Option<usize>>; 3],
    char_range: std::ops::Range<usize>,
    char_index: fxhash::FxHashMap<Box<str>, u32>,
}

impl Rest {
    /// The stemmer, the cue matcher, the terms scaled by `cue_weight` (see
    /// `Featurizer::scaled`), and the feature ids of the cue terms.
    fn new(params: &FeaturizerParams, vocabulary: &[String]) -> Rest {
        let stemmer = params
            .stem
            .then(|| StemmerBox(Stemmer::create(Algorithm::English)));
        let cues = compile_cues(params, stemmer.as_ref().map(|s| &s.0));
        // One pass over the terms gives the terms scaled by `cue_weight` and the feature ids
        // of the cue terms `<prefix><name>` (the last equal term wins, as in a map of terms).
        let names = cue_term_names(cues.as_ref());
        let wanted: HashMap<&str, usize> = names
            .iter()
            .enumerate()
            .map(|(k, name)| (name.as_str(), k))
            .collect();
        let mut cue_ids: [Vec<Option<usize>>; 3] = std::array::from_fn(|_| vec![None; names.len()]);
        let mut scaled = Vec::new();
        if params.cue_weight != 1.0 {
            scaled = vec![0u64; vocabulary.len().div_ceil(64)];
        }
        let mut char_range = 0..0;
        let mut char_index = fxhash::FxHashMap::default();
        for (j, term) in vocabulary.iter().enumerate() {
            if let Some(gram) = term.strip_prefix(CHAR_PREFIX) {
                if char_range.is_empty() {
                    char_range = j..j;
                }
                char_range.end = j + 1;
                if let Ok(id) = u32::try_from(j) {
                    char_index.insert(gram.into(), id);
                }
                continue;
            }
            if !is_cue_term(term) {
                continue;
            }
            if let Some(w) = scaled.get_mut(j >> 6) {
                *w |= 1 << (j & 63);
            }
            for (ids, prefix) in cue_ids.iter_mut().zip(["cue:", "prev:cue:", "next:cue:"]) {
                if let Some(&k) = term.strip_prefix(prefix).and_then(|name| wanted.get(name)) {
                    ids[k] = Some(j);
                }
            }
        }
        Rest {
            stemmer,
            cues,
            scaled,
            cue_ids,
            char_range,
            char_index,
        }
    }
}

/// Word terms are the terms outside the cue, neighbour and character n-gram groups.
fn is_word(term: &str) -> bool {
    !is_cue_term(term) && !is_char_term(term)
}

impl Featurizer {
    /// The featurizer of checked parts (see [`Featurizer::from_parts`]).
    fn build(params: FeaturizerParams, vocabulary: Vec<String>, idf: Vec<f64>) -> Featurizer {
        // The n-gram index (the larger half) is built beside the rest, on two threads
        // when rayon has them; each half is deterministic on its own.
        let (ngram, rest) = rayon::join(
            || {
                NgramIndex::new(
                    vocabulary.iter().map(String::as_str),
                    vocabulary.len(),
                    is_word,
                )
            },
            || Rest::new(&params, &vocabulary),
        );
        Featurizer::assemble(params, vocabulary, idf, ngram, rest)
    }

    /// The featurizer of its parts, built by [`NgramIndex::new`] and [`Rest::new`] from
    /// `vocabulary` and `idf`.
    fn assemble(
        params: FeaturizerParams,
        vocabulary: Vec<String>,
        idf: Vec<f64>,
        mut ngram: NgramIndex,
        rest: Rest,
    ) -> Featurizer {
        // The fast path keeps feature ids as u32.
        ngram.usable &= u32::try_from(vocabulary.len()).is_ok();
        Featurizer {
            scaled: rest.scaled,
            sublinear_tf: std::array::from_fn(sublinear_tf),
            params,
            vocabulary,
            idf,
            index: OnceLock::new(),
            stemmer: rest.stemmer,
            cues: rest.cues,
            ngram,
            cue_ids: rest.cue_ids,
            char_range: rest.char_range,
            char_index: rest.char_index,
        }
    }

    /// Checks that stored parts fit together: one idf per term, terms strictly sorted (hence
    /// unique), idf values from 1 to [`MAX_IDF`].
    fn check_parts(vocabulary: &[String], idf: &[f64]) -> Result<(), FeatureError> {
        if vocabulary.len() != idf.len() {
            return Err(FeatureError::Invalid(format!(
                "{} vocabulary terms but {} idf values",
                vocabulary.len(),
                idf.len()
            )));
        }
        if let Some(w) = vocabulary.windows(2).find(|w| w[0] >= w[1]) {
            return Err(FeatureError::Invalid(format!(
                "vocabulary is not strictly sorted at `{}` / `{}`",
                crate::escape::controls(&w[0]),
                crate::escape::controls(&w[1])
            )));
        }
        if let Some((i, bad)) = idf
            .iter()
            .enumerate()
            .find(|(_, v)| !(1.0..=MAX_IDF).contains(*v))
        {
            return Err(FeatureError::Invalid(format!(
                "idf value {bad:e} of term {} (`{}`) is outside [1, {MAX_IDF}]",
                i + 1,
                crate::escape::controls(&vocabulary[i])
            )));
        }
        Ok(())
    }

    /// Rebuilds a featurizer from stored parts, checking that they fit together: one idf per
    /// term, terms strictly sorted (hence unique), idf values from 1 to [`MAX_IDF`].
    pub fn from_parts(
        params: FeaturizerParams,
        vocabulary: Vec<String>,
        idf: Vec<f64>,
    ) -> Result<Featurizer, FeatureError> {
        params.validate()?;
        Featurizer::check_parts(&vocabulary, &idf)?;
        Ok(Featurizer::build(params, vocabulary, idf))
    }

    /// [`Featurizer::from_parts`] with the vocabulary given as one text, the terms joined by
    /// `\n` (so no term may hold a newline): the same featurizer, with the term strings and
    /// the n-gram index (read straight from `terms`) built on two threads when rayon has
    /// them. The loader of the embedded default model uses it.
    pub(crate) fn from_joined_parts(
        params: FeaturizerParams,
        terms: &str,
        idf: Vec<f64>,
    ) -> Result<Featurizer, FeatureError> {
        params.validate()?;
        let (checked, ngram) = rayon::join(
            || -> Result<(Vec<String>, Rest), FeatureError> {
                let vocabulary: Vec<String> = split_byte(terms, b'\n').map(str::to_owned).collect();
                Featurizer::check_parts(&vocabulary, &idf)?;
                let rest = Rest::new(&params, &vocabulary);
                Ok((vocabulary, rest))
            },
            || NgramIndex::new(split_byte(terms, b'\n'), idf.len(), is_word),
        );
        let (vocabulary, rest) = checked?;
        Ok(Featurizer::assemble(params, vocabulary, idf, ngram, rest))
    }

    /// Term -> feature index (built on the first call).
    fn term_index(&self) -> &HashMap<String, usize> {
        self.index.get_or_init(|| {
            self.vocabulary
                .iter()
                .enumerate()
                .map(|(i, t)| (t.clone(), i))
                .collect()
        })
    }

    /// Panics unless `other` holds the same state, bit for bit: settings, terms, idf and
    /// cue-weighted terms and tf table (by `to_bits`), term index, stemmer, cue matcher, n-gram index (all but its
    /// generation number) and cue term ids. For tests of the loaders.
    #[cfg(test)]
    pub(crate) fn assert_same_state(&self, other: &Featurizer) {
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<u64>>();
        assert_eq!(self.params, other.params);
        assert_eq!(format!("{:?}", self.params), format!("{:?}", other.params));
        assert_eq!(
            self.params.cue_weight.to_bits(),
            other.params.cue_weight.to_bits()
        );
        assert_eq!(self.vocabulary, other.vocabulary);
        assert_eq!(bits(&self.idf), bits(&other.idf));
        assert_eq!(self.scaled, other.scaled);
        assert_eq!(bits(&self.sublinear_tf), bits(&other.sublinear_tf));
        assert_eq!(self.term_index(), other.term_index());
        assert_eq!(self.stemmer.is_some(), other.stemmer.is_some());
        assert_eq!(format!("{:?}", self.cues), format!("{:?}", other.cues));
        assert_eq!(self.ngram.parts, other.ngram.parts);
        assert_eq!(self.ngram.unigrams, other.ngram.unigrams);
        assert_eq!(self.ngram.bits, other.ngram.bits);
        assert_eq!(self.ngram.ngrams, other.ngram.ngrams);
        assert_eq!(self.ngram.usable, other.ngram.usable);
        assert_eq!(self.cue_ids, other.cue_ids);
        assert_eq!(self.char_range, other.char_range);
        assert_eq!(self.char_index, other.char_index);
        assert_eq!(
            self.params.char_weight.to_bits(),
            other.params.char_weight.to_bits()
        );
    }

    /// The settings this featurizer was fitted with.
    pub fn params(&self) -> &FeaturizerParams {
        &self.params
    }

    /// The vocabulary; position = feature index.
    pub fn vocabulary(&self) -> &[String] {
        &self.vocabulary
    }

    /// The idf of each vocabulary term.
    pub fn idf(&self) -> &[f64] {
        &self.idf
    }

    /// Number of features.
    pub fn n_features(&self) -> usize {
        self.vocabulary.len()
    }

    /// The term of a feature index.
    pub fn term(&self, index: usize) -> Option<&str> {
        self.vocabulary.get(index).map(String::as_str)
    }

    /// The feature index of a term, if it is in the vocabulary.
    pub fn index_of(&self, term: &str) -> Option<usize> {
        self.term_index().get(term).copied()
    }

    /// The TF-IDF vector of one sentence taken alone, without neighbours (unit L2 norm unless
    /// no term is known).
    pub fn transform(&self, text: &str) -> SparseVec {
        self.transform_article(&[text]).pop().unwrap_or_default()
    }

    /// The feature vectors of one article's sentences, given in order (neighbour features
    /// look at the previous and next sentence).
    pub fn transform_article(&self, texts: &[&str]) -> Vec<SparseVec> {
        if self.ngram.usable {
            let mut out = Vec::with_capacity(texts.len());
            self.for_each_row(texts, |row| out.push(SparseVec(row.to_vec())));
            return out;
        }
        self.transform_article_by_terms(texts)
    }

    /// Calls `f` with the feature vector of each sentence of one article, in order, as
    /// `(feature index, value)` pairs sorted by index: the entries of
    /// [`Featurizer::transform_article`], from buffers reused across sentences.
    pub fn for_each_row(&self, texts: &[&str], mut f: impl FnMut(&[(usize, f64)])) {
        if !self.ngram.usable {
            for row in self.transform_article_by_terms(texts) {
                f(&row.0);
            }
            return;
        }
        fast::with_scratch(|scratch| {
            let mut bufs = std::mem::take(&mut scratch.bufs);
            bufs.marks.ensure(self.vocabulary.len());
            self.article_ids(scratch, &mut bufs, texts);
            let neighbours = self.params.neighbours && self.cues.is_some();
            let mut start = 0;
            for i in 0..texts.len() {
                let end = bufs.feat_ends[i];
                let marks = &mut bufs.marks;
                for &j in &bufs.feats[start..end] {
                    marks.add(j);
                }
                start = end;
                if neighbours {
                    if i > 0 {
                        let from = if i > 1 { bufs.cue_ends[i - 2] } else { 0 };
                        let prev = &bufs.cue_sets[from..bufs.cue_ends[i - 1]];
                        for j in prev.iter().filter_map(|&t| self.cue_ids[1][t as usize]) {
                            marks.add(j as u32);
                        }
                    }
                    if i + 1 < texts.len() {
                        let next = &bufs.cue_sets[bufs.cue_ends[i]..bufs.cue_ends[i + 1]];
                        for j in next.iter().filter_map(|&t| self.cue_ids[2][t as usize]) {
                            marks.add(j as u32);
                        }
                    }
                }
                self.weigh_marked(&mut bufs.marks, &mut bufs.entries);
                f(&bufs.entries);
            }
            scratch.bufs = bufs;
        });
    }

    /// [`Featurizer::transform_article`] by way of the term strings: the definition that
    /// the fast path must match.
    fn transform_article_by_terms(&self, texts: &[&str]) -> Vec<SparseVec> {
        article_terms_with(
            &self.params,
            self.stemmer.as_ref().map(|s| &s.0),
            self.cues.as_ref(),
            texts,
        )
        .iter()
        .map(|terms| self.vectorize(terms))
        .collect()
    }

    /// The vocabulary ids of each sentence's terms, with repeats, in the order of
    /// [`article_terms_with`] minus the unknown terms and the neighbour terms, into
    /// `bufs.feats` (sentence `i` ends at `bufs.feat_ends[i]`), and the distinct cue terms
    /// of each sentence (positions in `cue_ids`) into `bufs.cue_sets` / `bufs.cue_ends`.
    /// The fast path: no term strings, no allocation once the buffers have grown.
    fn article_ids(&self, scratch: &mut fast::Scratch, bufs: &mut fast::Bufs, texts: &[&str]) {
        let stemmer = self.stemmer.as_ref().map(|s| &s.0);
        let n_cue_terms = self.cue_ids[0].len();
        let quote = n_cue_terms.saturating_sub(2);
        let cues = self.cues.as_ref();
        scratch.prepare(stemmer.is_some());
        bufs.feats.clear();
        bufs.feat_ends.clear();
        bufs.cue_sets.clear();
        bufs.cue_ends.clear();
        for text in texts {
            let quotes = intern_tokens(
                scratch,
                text,
                self.params.lowercase,
                stemmer,
                &mut bufs.tokens,
            );
            bufs.parts.clear();
            bufs.cue_words.clear();
            bufs.cue_starts.clear();
            let index = &self.ngram;
            let bigrams = self.params.ngram_max >= 2;
            let trigrams = self.params.ngram_max >= 3;
            // Unigrams from the interner's cache, and bigrams (the ids of the previous and
            // this token) as the tokens come; the order of the ids does not matter (they
            // are counted).
            let mut previous = fast::NONE;
            for &t in &bufs.tokens {
                let [part, unigram, word, first] = scratch.lookup(&self.ngram, cues, t);
                if first != 0 {
                    bufs.cue_starts.push(bufs.cue_words.len() as u32);
                }
                if trigrams {
                    bufs.parts.push(part);
                }
                bufs.cue_words.push(word);
                if unigram != fast::NONE {
                    bufs.feats.push(unigram);
                }
                if bigrams && previous != fast::NONE && part != fast::NONE {
                    if let Some(j) = index.ngram(&[previous, part]) {
                        bufs.feats.push(j);
                    }
                }
                previous = part;
            }
            for n in 3..=self.params.ngram_max {
                for w in bufs.parts.windows(n) {
                    if w.contains(&fast::NONE) {
                        continue;
                    }
                    if let Some(j) = index.ngram(w) {
                        bufs.feats.push(j);
                    }
                }
            }
            if !self.char_index.is_empty() {
                for &t in &bufs.tokens {
                    let r = scratch.char_ids(self.ngram.generation, &self.char_index, t);
                    bufs.feats.extend_from_slice(&scratch.char_pool[r]);
                }
            }
            if let Some(m) = cues {
                m.count_ids_at(&bufs.cue_words, &bufs.cue_starts, &mut bufs.class_counts);
                for (class, &c) in bufs.class_counts.iter().enumerate() {
                    if c > 0 {
                        if let Some(j) = self.cue_ids[0][class] {
                            bufs.feats.extend(std::iter::repeat(j as u32).take(c));
                        }
                        bufs.cue_sets.push(class as u32);
                    }
                }
                if quotes > 0 {
                    bufs.feats.extend(self.cue_ids[0][quote].map(|j| j as u32));
                    bufs.cue_sets.push(quote as u32);
                }
                if quotes % 2 == 1 {
                    bufs.feats
                        .extend(self.cue_ids[0][quote + 1].map(|j| j as u32));
                    bufs.cue_sets.push(quote as u32 + 1);
                }
            }
            bufs.feat_ends.push(bufs.feats.len());
            bufs.cue_ends.push(bufs.cue_sets.len());
        }
    }

    /// TF-IDF weighting and L2 normalization of one sentence's terms.
    fn vectorize(&self, terms: &[String]) -> SparseVec {
        let mut ids: Vec<u32> = terms
            .iter()
            .filter_map(|t| self.term_index().get(t).map(|&j| j as u32))
            .collect();
        let mut entries = Vec::new();
        self.weigh(&mut ids, &mut entries);
        SparseVec(entries)
    }

    /// TF-IDF weighting and L2 normalization of one sentence's term ids (with repeats; they
    /// are sorted in place) into `entries`, sorted by feature index: the definition of
    /// [`Featurizer::weigh_marked`].
    fn weigh(&self, ids: &mut [u32], entries: &mut Vec<(usize, f64)>) {
        ids.sort_unstable();
        entries.clear();
        let mut k = 0;
        while k < ids.len() {
            let i = ids[k];
            let mut c = 1usize;
            k += 1;
            while k < ids.len() && ids[k] == i {
                c += 1;
                k += 1;
            }
            entries.push(self.entry(i as usize, c));
        }
        if self.char_range.is_empty() {
            normalize(entries);
        } else {
            normalize_blocks(entries, &self.char_range, self.params.char_weight);
        }
    }

    /// [`Featurizer::weigh`] with the ids counted in `marks` (which ends empty) instead of
    /// sorted: the same entries, in the same order, so the same values bit for bit.
    fn weigh_marked(&self, marks: &mut fast::Marks, entries: &mut Vec<(usize, f64)>) {
        entries.clear();
        if !self.char_range.is_empty() {
            // Two blocks: the values as in `weigh`, then its normalization.
            marks.drain(|i, c| entries.push(self.entry(i, c as usize)));
            normalize_blocks(entries, &self.char_range, self.params.char_weight);
            return;
        }
        // One pass: each id's value, and its square summed as it comes, in index order (the
        // sum of `normalize`, whose -0.0 or 0.0 start makes no difference: every square is
        // >= +0.0). A count of one has a term frequency factor of exactly 1 in both
        // weightings, and `1.0 * idf` is `idf` bit for bit, so without `scaled` terms such a
        // value is the idf alone.
        let idf = &self.idf[..];
        let unscaled = self.scaled.is_empty();
        let mut sum = -0.0f64;
        marks.drain(|i, c| {
            let v = if c == 1 && unscaled {
                idf[i]
            } else {
                self.entry(i, c as usize).1
            };
            sum += v * v;
            entries.push((i, v));
        });
        let norm = sum.sqrt();
        if norm > 0.0 {
            for e in entries.iter_mut() {
                e.1 /= norm;
            }
        }
    }

    /// The TF-IDF value of feature `i` seen `c` times in a sentence (before normalization).
    #[inline]
    fn entry(&self, i: usize, c: usize) -> (usize, f64) {
        (i, self.tf_idf(i, self.tf(c)))
    }

    /// The term frequency factor of a count.
    #[inline]
    fn tf(&self, c: usize) -> f64 {
        if self.params.sublinear_tf {
            // ln(1) is exactly 0: skip the call for the common count of one; small counts
            // from the table (the same values: computed by `sublinear_tf` too).
            if c == 1 {
                1.0
            } else if let Some(&tf) = self.sublinear_tf.get(c) {
                tf
            } else {
                sublinear_tf(c)
            }
        } else {
            c as f64
        }
    }

    /// The TF-IDF value of feature `i` with term frequency factor `tf`.
    #[inline]
    fn tf_idf(&self, i: usize, tf: f64) -> f64 {
        let v = tf * self.idf[i];
        let scaled = self
            .scaled
            .get(i >> 6)
            .is_some_and(|w| w >> (i & 63) & 1 == 1);
        if scaled {
            v * self.params.cue_weight
        } else {
            v
        }
    }
}

/// `1 + ln(c)`: the sublinear term frequency factor of a count.
fn sublinear_tf(c: usize) -> f64 {
    1.0 + (c as f64).ln()
}

/// Scales a row to unit L2 norm (summing the squares in index order).
fn normalize(entries: &mut [(usize, f64)]) {
    let norm = entries.iter().map(|(_, v)| v * v).sum::<f64>().sqrt();
    if norm > 0.0 {
        for e in entries.iter_mut() {
            e.1 /= norm;
        }
    }
}

/// Scales the entries (sorted by index) outside `chars` to unit L2 norm, and those inside
/// to L2 norm `weight` (each block summing its squares in index order; an empty block stays
/// empty).
fn normalize_blocks(entries: &mut [(usize, f64)], chars: &std::ops::Range<usize>, weight: f64) {
    let a = entries.partition_point(|e| e.0 < chars.start);
    let b = entries.partition_point(|e| e.0 < chars.end);
    let words = entries[..a]
        .iter()
        .chain(&entries[b..])
        .map(|(_, v)| v * v)
        .sum::<f64>()
        .sqrt();
    let (head, rest) = entries.split_at_mut(a);
    let (grams, tail) = rest.split_at_mut(b - a);
    if words > 0.0 {
        for e in head.iter_mut().chain(tail.iter_mut()) {
            e.1 /= words;
        }
    }
    let norm = grams.iter().map(|(_, v)| v * v).sum::<f64>().sqrt();
    if norm > 0.0 {
        for e in grams.iter_mut() {
            e.1 = e.1 / norm * weight;
        }
    }
}

/// Compiles the settings' cue lexicon with the featurizer's own tokenizer (None when empty).
fn compile_cues(params: &FeaturizerParams, stemmer: Option<&Stemmer>) -> Option<CueMatcher> {
    if params.cues.is_empty() {
        return None;
    }
    Some(CueMatcher::new(&params.cues, |w| {
        tokens_with(params, stemmer, w)
    }))
}

/// All terms of each sentence of an article, in order, with repeats: word n-grams, then
/// cue classes and quote shapes, then the neighbours' cue classes.
fn article_terms_with(
    params: &FeaturizerParams,
    stemmer: Option<&Stemmer>,
    matcher: Option<&CueMatcher>,
    texts: &[&str],
) -> Vec<Vec<String>> {
    let mut all: Vec<Vec<String>> = Vec::with_capacity(texts.len());
    // Distinct cue terms of each sentence (for the neighbours).
    let mut cue_sets: Vec<Vec<String>> = Vec::with_capacity(texts.len());
    for text in texts {
        let tokens = tokens_with(params, stemmer, text);
        let mut terms = ngrams(&tokens, params.ngram_max);
        if params.char_weight > 0.0 {
            // On the tokens before stemming (see `FeaturizerParams::char_weight`).
            let mut buf = String::new();
            for token in tokens_with(params, None, text) {
                char_grams(&token, &mut buf, |g| {
                    terms.push(format!("{CHAR_PREFIX}{g}"))
                });
            }
        }
        let mut distinct = Vec::new();
        if let Some(m) = matcher {
            for (class, &c) in m.classes().iter().zip(&m.count(&tokens)) {
                if c > 0 {
                    let term = format!("cue:{class}");
                    terms.extend(std::iter::repeat(term.clone()).take(c));
                    distinct.push(term);
                }
            }
            let quotes = text.chars().filter(|&c| normalize_char(c) == '"').count();
            if quotes > 0 {
                terms.push("cue:quote".to_string());
                distinct.push("cue:quote".to_string());
            }
            if quotes % 2 == 1 {
                terms.push("cue:quote_open".to_string());
                distinct.push("cue:quote_open".to_string());
            }
        }
        all.push(terms);
        cue_sets.push(distinct);
    }
    if params.neighbours && matcher.is_some() {
        for i in 0..all.len() {
            if i > 0 {
                let prev: Vec<String> = cue_sets[i - 1]
                    .iter()
                    .map(|t| format!("prev:{t}"))
                    .collect();
                all[i].extend(prev);
            }
            if i + 1 < cue_sets.len() {
                let next: Vec<String> = cue_sets[i + 1]
                    .iter()
                    .map(|t| format!("next:{t}"))
                    .collect();
                all[i].extend(next);
            }
        }
    }
    all
}

/// The names of the cue terms in the order of `Featurizer::cue_ids`: the classes, then
/// `quote` and `quote_open` (none without a lexicon).
fn cue_term_names(matcher: Option<&CueMatcher>) -> Vec<String> {
    match matcher {
        None => Vec::new(),
        Some(m) => m
            .classes()
            .iter()
            .cloned()
            .chain(["quote".to_string(), "quote_open".to_string()])
            .collect(),
    }
}

/// Tokens of a text per `params`, stemmed with `stemmer` when given.
fn tokens_with(params: &FeaturizerParams, stemmer: Option<&Stemmer>, text: &str) -> Vec<String> {
    fast::with_scratch(|scratch| {
        scratch.prepare(stemmer.is_some());
        let mut ids = Vec::new();
        intern_tokens(scratch, text, params.lowercase, stemmer, &mut ids);
        ids.iter()
            .map(|&i| scratch.norm[i as usize].to_string())
            .collect()
    })
}

/// The tokens of `text` as ids of the thread's interner (see [`raw_tokens`]; each distinct
/// raw token is stemmed once), into `out`; returns the number of double quotes (after
/// [`normalize_char`]) in the text.
///
/// Works on the bytes: runs of ASCII letters and digits are copied (lowercased) in one go,
/// and only other characters are decoded, so it gives the tokens of [`raw_tokens`] (the
/// definition, which takes one `char` at a time) without building a `Vec<char>`.
fn intern_tokens(
    scratch: &mut fast::Scratch,
    text: &str,
    lowercase: bool,
    stemmer: Option<&Stemmer>,
    out: &mut Vec<u32>,
) -> usize {
    out.clear();
    scratch.cur.clear();
    if scratch.cased_lowercase != lowercase {
        scratch.cased.clear();
        scratch.cased_lowercase = lowercase;
    }
    let bytes = text.as_bytes();
    let mut quotes = 0;
    // The normalized character before position `i`.
    let mut prev: Option<char> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let (c, width) = if b.is_ascii() {
            if ASCII_ALNUM[usize::from(b)] {
                let start = i;
                i = alnum_run_end(bytes, i);
                // A whole token (no token under way, and what follows cannot join it): look
                // it up as written.
                // (`.` and `,` join only digits to digits, an apostrophe may join a word.)
                let whole = scratch.cur.is_empty()
                    && match bytes.get(i) {
                        None => true,
                        Some(b'.' | b',') => !bytes[i - 1].is_ascii_digit(),
                        Some(&n) => n.is_ascii() && !matches!(n, b'\'' | b'`'),
                    };
                let key = if whole {
                    fast::WordTable::key_at(bytes, start, i)
                } else {
                    None
                };
                if let Some(key) = key {
                    let id = match scratch.cased.get(key) {
                        Some(id) => id,
                        None => {
                            scratch.cur.push_str(&text[start..i]);
                            if lowercase {
                                scratch.cur.make_ascii_lowercase();
                            }
                            let id = scratch.intern_cur(stemmer);
                            scratch.cur.clear();
                            scratch.cased.insert(key, id);
                            id
                        }
                    };
                    out.push(id);
                    prev = Some(char::from(bytes[i - 1]));
                    continue;
                }
                let from = scratch.cur.len();
                // ASCII boundaries, so `start..i` is a char range.
                scratch.cur.push_str(&text[start..i]);
                if lowercase {
                    scratch.cur[from..].make_ascii_lowercase();
                }
                prev = Some(char::from(bytes[i - 1]));
                continue;
            }
            if ASCII_PLAIN_SEPARATOR[usize::from(b)] {
                // Ends the token under way and is nothing itself (a space, most
                // punctuation): what the general path below does for it, in short.
                if !scratch.cur.is_empty() {
                    out.push(scratch.intern_cur(stemmer));
                    scratch.cur.clear();
                }
                prev = Some(char::from(b));
                i += 1;
                continue;
            }
            (normalize_char(char::from(b)), 1)
        } else {
            let ch = text[i..]
                .chars()
                .next()
                .unwrap_or(char::REPLACEMENT_CHARACTER);
            let c = normalize_char(ch);
            if !c.is_ascii() && c.is_alphanumeric() {
                if lowercase {
                    scratch.cur.extend(c.to_lowercase());
                } else {
                    scratch.cur.push(c);
                }
                prev = Some(c);
                i += ch.len_utf8();
                continue;
            }
            (c, ch.len_utf8())
        };
        // `c` is neither a letter nor a digit.
        if c == '"' {
            quotes += 1;
        }
        let joins = matches!(c, '\'' | '.' | ',') && {
            let next = text[i + width..].chars().next().map(normalize_char);
            joins_token(c, prev, next, &scratch.cur)
        };
        if joins {
            scratch.cur.push(c);
        } else {
            if !scratch.cur.is_empty() {
                out.push(scratch.intern_cur(stemmer));
                scratch.cur.clear();
            }
            if c == '%' {
                scratch.cur.push('%');
                out.push(scratch.intern_cur(stemmer));
                scratch.cur.clear();
            }
        }
        prev = Some(c);
        i += width;
    }
    if !scratch.cur.is_empty() {
        out.push(scratch.intern_cur(stemmer));
        scratch.cur.clear();
    }
    quotes
}

/// The end of the run of ASCII letters and digits that starts at `i`: the position of the
/// first other byte (or the length). Eight bytes at a time (SWAR), so a word costs a few
/// instructions and no branch per byte (the end of a word-by-byte loop is mispredicted at
/// every word).
#[inline]
fn alnum_run_end(bytes: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        let other = not_alnum_bits(u64::from_le_bytes(b));
        if other != 0 {
            return i + (other.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < bytes.len() && ASCII_ALNUM[usize::from(bytes[i])] {
        i += 1;
    }
    i
}

/// The high bit of each byte of `v` that is not an ASCII letter or digit.
#[inline]
fn not_alnum_bits(v: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Bytes below 0x80, so adding at most 0x80 never carries into the next byte.
    let low = v & !HIGH;
    // High bit of each byte of `x` that is >= lo (resp. > hi).
    let at_least = |x: u64, lo: u8| x.wrapping_add(ONES * u64::from(0x80 - lo));
    let above = |x: u64, hi: u8| x.wrapping_add(ONES * u64::from(0x7F - hi));
    let digit = at_least(low, b'0') & !above(low, b'9');
    // Setting bit 5 folds A-Z onto a-z and maps nothing else there.
    let folded = low | (ONES * 0x20);
    let letter = at_least(folded, b'a') & !above(folded, b'z');
    let alnum = (digit | letter) & !v & HIGH;
    !alnum & HIGH
}

/// `ASCII_ALNUM[b]`: whether byte `b` is an ASCII letter or digit.
const ASCII_ALNUM: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    t
};

/// `ASCII_PLAIN_SEPARATOR[b]`: whether ASCII byte `b` only separates tokens: not a letter
/// or digit, not a quote, apostrophe or backtick, `.`, `,` or `%` (the characters that can
/// join a token, be counted or be a token; `normalize_char` changes no other ASCII byte).
const ASCII_PLAIN_SEPARATOR: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        t[b] = !c.is_ascii_alphanumeric() && !matches!(c, b'\'' | b'`' | b'"' | b'.' | b',' | b'%');
        b += 1;
    }
    t
};

/// Whether the punctuation `c` (between `prev` and `next`) stays inside the token `cur`.
fn joins_token(c: char, prev: Option<char>, next: Option<char>, cur: &str) -> bool {
    match (c, prev, next) {
        // Inner apostrophe of a word: don't, Putin's.
        ('\'', Some(p), Some(n)) => p.is_alphanumeric() && n.is_alphabetic() && !cur.is_empty(),
        // Inner separator of a number: 2.5, 1,000.
        ('.' | ',', Some(p), Some(n)) => {
            p.is_ascii_digit()
                && n.is_ascii_digit()
                && cur
                    .chars()
                    .all(|ch| ch.is_ascii_digit() || ch == '.' || ch == ',')
        }
        _ => false,
    }
}

/// Word n-gram terms (1..=ngram_max) of a token sequence, in order, with repeats.
fn ngrams(tokens: &[String], ngram_max: usize) -> Vec<String> {
    let mut out = Vec::with_capacity(tokens.len() * ngram_max + 8);
    for n in 1..=ngram_max {
        for w in tokens.windows(n) {
            out.push(w.join(" "));
        }
    }
    out
}

/// Folds typographic quotes, apostrophes and dashes to their ASCII forms.
fn normalize_char(c: char) -> char {
    match c {
        '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{2032}' | '\u{02BC}' | '`' | '\u{00B4}' => '\'',
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{00AB}'
        | '\u{00BB}' => '"',
        '\u{2010}'..='\u{2015}' | '\u{2212}' => '-',
        _ => c,
    }
}

/// Splits text into word, number and `%` tokens (before stemming): the plain definition
/// that [`intern_tokens`] must match (tests compare them).
#[cfg(test)]
fn raw_tokens(text: &str, lowercase: bool) -> Vec<String> {
    let chars: Vec<char> = text.chars().map(normalize_char).collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    let flush = |cur: &mut String, out: &mut Vec<String>| {
        if !cur.is_empty() {
            out.push(std::mem::take(cur));
        }
    };
    for (i, &c) in chars.iter().enumerate() {
        if c.is_alphanumeric() {
            if lowercase {
                cur.extend(c.to_lowercase());
            } else {
                cur.push(c);
            }
            continue;
        }
        let prev = if i > 0 { Some(chars[i - 1]) } else { None };
        let next = chars.get(i + 1).copied();
        if joins_token(c, prev, next, &cur) {
            cur.push(c);
            continue;
        }
        flush(&mut cur, &mut out);
        if c == '%' {
            out.push("%".to_string());
        }
    }
    flush(&mut cur, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain() -> FeaturizerParams {
        FeaturizerParams {
            stem: false,
            ngram_max: 1,
            ..FeaturizerParams::default()
        }
    }

    #[test]
    fn cue_classes_pool_synonyms_and_quotes_are_marked() {
        let p = FeaturizerParams::default();
        let terms = p.terms("Analysts called it a \"bluff\" and a smokescreen.");
        let cue_doubt = terms.iter().filter(|t| *t == "cue:doubt").count();
        assert_eq!(cue_doubt, 2, "{terms:?}");
        assert!(terms.iter().any(|t| t == "cue:expert"));
        assert!(terms.iter().any(|t| t == "cue:quote"));
        assert!(!terms.iter().any(|t| t == "cue:quote_open"));
        let open = p.terms("\"We are not aware of any such message,");
        assert!(open.iter().any(|t| t == "cue:quote_open"), "{open:?}");
        assert!(open.iter().any(|t| t == "cue:denial"), "{open:?}");
        // Without a lexicon, only word n-grams.
        let words_only = FeaturizerParams {
            cues: Vec::new(),
            neighbours: false,
            ..FeaturizerParams::default()
        };
        assert!(!words_only
            .terms("Analysts called it a bluff")
            .iter()
            .any(|t| t.contains(':')));
    }

    #[test]
    fn neighbours_come_from_the_article_and_idf_counts_sentences() {
        let p = FeaturizerParams {
            neighbours: true,
            ..FeaturizerParams::default()
        };
        let article = vec![
            "Officials denied it.",
            "The war goes on.",
            "Troops advanced.",
        ];
        let f = p.fit_articles(std::slice::from_ref(&article));
        let n = 3.0_f64;
        // `war` occurs in one of three sentences.
        let j = f.index_of("war").unwrap();
        assert!((f.idf()[j] - (((1.0 + n) / 2.0).ln() + 1.0)).abs() < 1e-12);
        let rows = f.transform_article(&article);
        let has = |row: &SparseVec, t: &str| f.index_of(t).is_some_and(|j| row.get(j) > 0.0);
        assert!(has(&rows[1], "prev:cue:denial"));
        assert!(!has(&rows[0], "prev:cue:denial"));
        assert!(!has(&rows[2], "prev:cue:denial"));
        // Alone, the middle sentence has no neighbour terms.
        let alone = f.transform(article[1]);
        assert!(!has(&alone, "prev:cue:denial"));
    }

    #[test]
    fn term_frequency_factors_are_one_plus_ln_or_the_count() {
        let f = FeaturizerParams::default().fit(&["a b"]);
        assert!(f.params().sublinear_tf);
        for c in 1..100usize {
            assert_eq!(f.tf(c).to_bits(), (1.0 + (c as f64).ln()).to_bits(), "{c}");
        }
        let raw = FeaturizerParams {
            sublinear_tf: false,
            ..FeaturizerParams::default()
        }
        .fit(&["a b"]);
        assert_eq!(raw.tf(7), 7.0);
    }

    #[test]
    fn alnum_runs_end_where_the_byte_table_says() {
        // Every byte value at every position of a word, and runs crossing 8-byte chunks.
        for b in 0..=255u8 {
            for pos in 0..20 {
                let mut text = vec![b'a'; 24];
                text[pos] = b;
                let want = (0..text.len())
                    .find(|&k| !ASCII_ALNUM[usize::from(text[k])])
                    .unwrap_or(text.len());
                assert_eq!(alnum_run_end(&text, 0), want, "byte {b} at {pos}");
                let from = pos.min(3);
                let want_from = (from..text.len())
                    .find(|&k| !ASCII_ALNUM[usize::from(text[k])])
                    .unwrap_or(text.len());
                assert_eq!(alnum_run_end(&text, from), want_from);
            }
        }
        assert_eq!(alnum_run_end(b"", 0), 0);
        assert_eq!(alnum_run_end("Zelensky’s".as_bytes(), 0), 8);
        assert_eq!(alnum_run_end(b"0123456789abcdefXYZ!", 0), 19);
    }

    #[test]
    fn cue_weight_multiplies_cue_and_neighbour_terms_only() {
        let article = vec![
            "Officials denied it.",
            "Analysts called the war a bluff, they said.",
            "Troops advanced.",
        ];
        for weight in [1.0, 2.5, 0.25] {
            let p = FeaturizerParams {
                neighbours: true,
                cue_weight: weight,
                ..FeaturizerParams::default()
            };
            let f = p.fit_articles(std::slice::from_ref(&article));
            let row = &f.transform_article(&article)[1];
            assert!(row.iter().any(|&(j, _)| is_cue_term(&f.vocabulary()[j])));
            // Before normalization a value is tf x idf x factor, so value / (tf x idf x
            // factor) is the same (1 / norm) for every term.
            let terms = &article_terms_with(
                &p,
                f.stemmer.as_ref().map(|s| &s.0),
                f.cues.as_ref(),
                &article,
            )[1];
            let ratios: Vec<f64> = row
                .iter()
                .map(|&(j, v)| {
                    let term = &f.vocabulary()[j];
                    let tf = 1.0 + (terms.iter().filter(|t| *t == term).count() as f64).ln();
                    let factor = if is_cue_term(term) { weight } else { 1.0 };
                    v / (tf * f.idf()[j] * factor)
                })
                .collect();
            for r in &ratios {
                assert!((r / ratios[0] - 1.0).abs() < 1e-12, "{weight}: {ratios:?}");
            }
        }
    }

    #[test]
    fn char_grams_of_known_words() {
        let grams = |w: &str| {
            let mut out = Vec::new();
            char_grams(w, &mut String::new(), |g| out.push(g.to_string()));
            out
        };
        assert_eq!(
            grams("said"),
            vec![" sa", "sai", "aid", "id ", " sai", "said", "aid ", " said", "said "]
        );
        // A one-letter word gives one 3-gram; repeats are kept.
        assert_eq!(grams("a"), vec![" a "]);
        assert_eq!(grams("aaaa")[1..3], ["aaa", "aaa"]);
        // Characters, not bytes.
        assert_eq!(
            grams("\u{00E9}t\u{00E9}")[..2],
            [" \u{00E9}t", "\u{00E9}t\u{00E9}"]
        );
        // A long word (past the fixed buffer of boundaries) gives every window too.
        let long = "x".repeat(70);
        assert_eq!(grams(&long).len(), (72 - 2) + (72 - 3) + (72 - 4));
        // Terms: on the tokens before stemming, after the word n-grams.
        let p = FeaturizerParams {
            char_weight: 0.5,
            cues: Vec::new(),
            ngram_max: 1,
            ..FeaturizerParams::default()
        };
        let terms = p.terms("Running");
        assert_eq!(terms[0], "run");
        assert!(terms.iter().any(|t| t == "chr:ing "), "{terms:?}");
        assert!(terms.iter().any(|t| t == "chr: runn"), "{terms:?}");
        assert_eq!(terms.len(), 1 + 7 + 6 + 5);
    }

    /// Weight 0 adds no term and changes no value; a weight above 0 leaves every word and
    /// cue value as it was, bit for bit, and adds a block of L2 norm `char_weight`.
    #[test]
    fn char_block_beside_unchanged_word_values() {
        let train = [
            "Skeptics doubt the sceptical claims, experts said.",
            "Scientists found no evidence of an attack.",
            "Officials denied the attack; \"we doubt it,\" one said.",
        ];
        let probe = ["Sceptics doubted the scientists' claims.", "qqq.", ""];
        let old = FeaturizerParams::default();
        let off = FeaturizerParams {
            char_min_df: 1,
            ..FeaturizerParams::default()
        };
        let base = old.fit(&train);
        let zero = off.fit(&train);
        assert_eq!(base.vocabulary(), zero.vocabulary());
        assert!(!zero.vocabulary().iter().any(|t| is_char_term(t)));
        assert_eq!(
            base.transform_article(&probe),
            zero.transform_article(&probe)
        );
        // Settings without character n-grams serialize as before.
        let json = serde_json::to_string(&old).unwrap();
        assert!(!json.contains("char_"), "{json}");
        for weight in [0.35, 0.5, 2.0] {
            let p = FeaturizerParams {
                char_weight: weight,
                char_min_df: 1,
                ..FeaturizerParams::default()
            };
            let f = p.fit(&train);
            assert!(f.vocabulary().iter().any(|t| t == "chr:doub"));
            assert!(f
                .vocabulary()
                .iter()
                .filter(|t| !is_char_term(t))
                .eq(base.vocabulary()));
            let rows = f.transform_article(&probe);
            for (row, want) in rows.iter().zip(base.transform_article(&probe)) {
                let words: Vec<(&str, u64)> = row
                    .iter()
                    .filter(|(j, _)| !is_char_term(&f.vocabulary()[*j]))
                    .map(|&(j, v)| (f.vocabulary()[j].as_str(), v.to_bits()))
                    .collect();
                let base_words: Vec<(&str, u64)> = want
                    .iter()
                    .map(|&(j, v)| (base.vocabulary()[j].as_str(), v.to_bits()))
                    .collect();
                assert_eq!(words, base_words);
            }
            let norm: f64 = rows[0]
                .iter()
                .filter(|(j, _)| is_char_term(&f.vocabulary()[*j]))
                .map(|(_, v)| v * v)
                .sum::<f64>()
                .sqrt();
            assert!((norm - weight).abs() < 1e-12, "{norm} {weight}");
            // An unknown word with no known character n-gram gives nothing.
            assert!(rows[1].is_empty() && rows[2].is_empty());
        }
        // char_min_df prunes the rare grams only.
        let two = FeaturizerParams {
            char_weight: 0.5,
            ..FeaturizerParams::default()
        }
        .fit(&train);
        assert!(two.vocabulary().iter().any(|t| t == "chr:doub"));
        assert!(!two.vocabulary().iter().any(|t| t == "chr:evid"));
        assert!(two.vocabulary().iter().any(|t| t == "evid"));
        for bad in [
            FeaturizerParams {
                char_weight: -1.0,
                ..FeaturizerParams::default()
            },
            FeaturizerParams {
                char_weight: f64::NAN,
                ..FeaturizerParams::default()
            },
            FeaturizerParams {
                char_min_df: 0,
                ..FeaturizerParams::default()
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn settings_saved_before_cue_features_load_without_them() {
        let old = r#"{"lowercase":true,"stem":true,"ngram_max":2,"sublinear_tf":true,"min_df":1,"max_features":null}"#;
        let p: FeaturizerParams = serde_json::from_str(old).unwrap();
        assert!(p.cues.is_empty() && !p.neighbours && p.cue_weight == 1.0);
        // And words-only settings serialize without the new fields (same bytes as before).
        assert_eq!(serde_json::to_string(&p).unwrap(), old);
        let bad = FeaturizerParams {
            cues: Vec::new(),
            neighbours: true,
            ..FeaturizerParams::default()
        };
        assert!(bad.validate().is_err(), "neighbours without a lexicon");
    }

    #[test]
    fn tokenizes_words_numbers_percent_and_quotes() {
        let p = FeaturizerParams {
            stem: false,
            ..FeaturizerParams::default()
        };
        assert_eq!(
            p.tokenize("Putin\u{2019}s \u{201C}back-channel\u{201D} offer: keep 18% (1,000.5 km), doesn't."),
            vec![
                "putin's", "back", "channel", "offer", "keep", "18", "%", "1,000.5", "km",
                "doesn't"
            ]
        );
        assert_eq!(
            p.tokenize("Ukraine—Russia talks…"),
            vec!["ukraine", "russia", "talks"]
        );
        assert_eq!(p.tokenize("'quoted' end."), vec!["quoted", "end"]);
        assert!(p.tokenize(" -- !! ").is_empty());
    }

    #[test]
    fn stems_with_snowball() {
        let p = FeaturizerParams::default();
        assert_eq!(
            p.tokenize("Signalled signals signaling negotiations"),
            vec!["signal", "signal", "signal", "negoti"]
        );
        // Numbers are not stemmed.
        assert_eq!(p.tokenize("2024 18%"), vec!["2024", "18", "%"]);
    }

    #[test]
    fn builds_unigrams_and_bigrams_in_sorted_vocabulary() {
        let p = FeaturizerParams {
            stem: false,
            ..FeaturizerParams::default()
        };
        let f = p.fit(&["b a", "a c"]);
        assert_eq!(f.vocabulary(), &["a", "a c", "b", "b a", "c"]);
    }

    /// Hand-computed tf-idf for the corpus ["a b", "a a c"] (n = 2, unigrams, sublinear tf):
    /// idf(a) = ln(3/3) + 1 = 1, idf(b) = idf(c) = ln(3/2) + 1 = 1.405465108...
    /// "a a c": a = (1 + ln 2) * 1 = 1.693147..., c = 1.405465...; norm = 2.200472...
    #[test]
    fn exact_tfidf_values_on_a_tiny_corpus() {
        let f = plain().fit(&["a b", "a a c"]);
        assert_eq!(f.vocabulary(), &["a", "b", "c"]);
        let idf_bc = (1.5f64).ln() + 1.0;
        assert!((f.idf()[0] - 1.0).abs() < 1e-15);
        assert!((f.idf()[1] - idf_bc).abs() < 1e-15);
        assert!((f.idf()[2] - 1.405_465_108_108_164_4).abs() < 1e-12);

        let v = f.transform("a a c");
        let a = 1.0 + 2f64.ln();
        let norm = (a * a + idf_bc * idf_bc).sqrt();
        assert!((norm - 2.200_472_573_141_412).abs() < 1e-9);
        assert_eq!(v.len(), 2);
        assert_eq!(v.0[0].0, 0);
        assert_eq!(v.0[1].0, 2);
        assert!((v.0[0].1 - 0.769_447_072_972_509).abs() < 1e-9);
        assert!((v.0[1].1 - 0.638_710_577_565_487).abs() < 1e-9);

        // Unknown words are ignored; a sentence of only unknown words is empty.
        assert!(f.transform("zzz qqq").is_empty());
        let u = f.transform("b zzz");
        assert_eq!(u.0, vec![(1, 1.0)]);
    }

    #[test]
    fn raw_tf_when_sublinear_is_off() {
        let p = FeaturizerParams {
            sublinear_tf: false,
            ..plain()
        };
        let f = p.fit(&["a b", "a a c"]);
        let v = f.transform("a a c");
        let idf_c = (1.5f64).ln() + 1.0;
        let norm = (4.0 + idf_c * idf_c).sqrt();
        assert!((v.get(0) - 2.0 / norm).abs() < 1e-12);
        assert!((v.get(2) - idf_c / norm).abs() < 1e-12);
    }

    #[test]
    fn min_df_and_max_features_prune_deterministically() {
        let texts = ["x y", "x z", "x y w"];
        let f = FeaturizerParams {
            min_df: 2,
            ..plain()
        }
        .fit(&texts);
        assert_eq!(f.vocabulary(), &["x", "y"]);
        let g = FeaturizerParams {
            max_features: Some(2),
            ..plain()
        }
        .fit(&texts);
        // x (3) and y (2) are the most frequent.
        assert_eq!(g.vocabulary(), &["x", "y"]);
        let h = FeaturizerParams {
            max_features: Some(3),
            ..plain()
        }
        .fit(&texts);
        // w and z tie at 1: the tie goes to the earlier term.
        assert_eq!(h.vocabulary(), &["w", "x", "y"]);
    }

    #[test]
    fn from_parts_checks_consistency() {
        let p = plain();
        assert!(Featurizer::from_parts(p.clone(), vec!["a".into()], vec![1.0, 2.0]).is_err());
        assert!(
            Featurizer::from_parts(p.clone(), vec!["b".into(), "a".into()], vec![1.0, 1.0])
                .is_err()
        );
        assert!(Featurizer::from_parts(p.clone(), vec!["a".into()], vec![f64::NAN]).is_err());
        let f = Featurizer::from_parts(p, vec!["a".into(), "b".into()], vec![1.0, 2.0]).unwrap();
        assert_eq!(f.index_of("b"), Some(1));
        assert!(FeaturizerParams {
            ngram_max: 4,
            ..plain()
        }
        .validate()
        .is_err());
    }

    /// The fast transform (interned tokens, n-grams by part ids) gives the same vectors, bit
    /// for bit, as the definition by term strings, with and without cues and neighbours.
    #[test]
    fn fast_path_matches_the_term_string_path() {
        let train = [
            "Putin\u{2019}s envoy signalled he is open to talks, officials said.",
            "The White House denied any back-channel contact; \"we are not aware of it.\"",
            "Analysts doubt the Kremlin is sincere about a ceasefire at 18% odds (1,000.5 km).",
            "Kyiv's forces advanced; U.S. officials didn't comment.",
        ];
        let probe = [
            "Officials denied that Putin signalled openness to talks.",
            "\"It's a ploy,\" analysts said, doubting the overture.",
            "Troops advanced 2.5 km; nothing else known zzz.",
            "",
            "Open open open talks talks.",
        ];
        for p in [
            FeaturizerParams::default(),
            FeaturizerParams {
                neighbours: true,
                ngram_max: 3,
                ..FeaturizerParams::default()
            },
            FeaturizerParams {
                cues: Vec::new(),
                stem: false,
                lowercase: false,
                ..FeaturizerParams::default()
            },
            FeaturizerParams {
                char_weight: 0.5,
                char_min_df: 1,
                ..FeaturizerParams::default()
            },
            FeaturizerParams {
                neighbours: true,
                char_weight: 2.0,
                cue_weight: 1.5,
                ..FeaturizerParams::default()
            },
            // Cue terms scaled without character n-grams, and raw counts: the weighting's
            // other branches (a repeated term is in the probe).
            FeaturizerParams {
                neighbours: true,
                cue_weight: 2.0,
                ..FeaturizerParams::default()
            },
            FeaturizerParams {
                sublinear_tf: false,
                ..FeaturizerParams::default()
            },
            FeaturizerParams {
                cues: Vec::new(),
                stem: false,
                lowercase: false,
                char_weight: 1.0,
                char_min_df: 1,
                ..FeaturizerParams::default()
            },
        ] {
            let articles = vec![train.to_vec(), probe[..2].to_vec()];
            let f = p.fit_articles(&articles);
            assert!(f.ngram.usable);
            let fast = f.transform_article(&probe);
            let slow = f.transform_article_by_terms(&probe);
            assert_eq!(fast, slow, "{p:?}");
            assert!(fast.iter().any(|r| !r.is_empty()));
        }
    }

    proptest::proptest! {
        #[test]
        fn interned_tokens_match_the_plain_tokenizer(text in "[a-zA-Z0-9 .,'%\u{2019}\u{201C}\u{201D}-]{0,60}") {
            let p = FeaturizerParams { stem: false, ..FeaturizerParams::default() };
            proptest::prop_assert_eq!(p.tokenize(&text), raw_tokens(&text, true));
        }

        /// The byte-level tokenizer on mixed ASCII and non-ASCII text (letters, quotes,
        /// dashes, apostrophes that fold to ASCII), lowercased or not, and its quote count.
        #[test]
        fn byte_tokenizer_matches_the_char_definition(
            text in "[a-zA-Z0-9 .,'%`\"\u{2019}\u{201C}\u{201D}\u{00B4}\u{00E9}\u{00C4}\u{0130}\u{00DF}\u{2014}\u{00AB}\u{0663}\u{00A0}-]{0,60}",
            lowercase in proptest::bool::ANY,
        ) {
            let mut ids = Vec::new();
            let (tokens, quotes) = fast::with_scratch(|scratch| {
                scratch.prepare(false);
                let quotes = intern_tokens(scratch, &text, lowercase, None, &mut ids);
                let tokens: Vec<String> =
                    ids.iter().map(|&i| scratch.norm[i as usize].to_string()).collect();
                (tokens, quotes)
            });
            proptest::prop_assert_eq!(tokens, raw_tokens(&text, lowercase));
            let want = text.chars().filter(|&c| normalize_char(c) == '"').count();
            proptest::prop_assert_eq!(quotes, want);
        }

        #[test]
        fn fast_path_matches_on_random_text(
            words in proptest::collection::vec("[a-e]{1,3}|don't|2\\.5|%|\"|\u{00E9}t\u{00E9}|Abc", 0..14),
            char_weight in proptest::sample::select(vec![0.0, 0.5, 1.0]),
            char_min_df in 1usize..=2,
        ) {
            let text = words.join(" ");
            let f = FeaturizerParams { neighbours: true, char_weight, char_min_df, ..FeaturizerParams::default() }
                .fit(&[text.as_str(), "a b c d e", "not a bluff \" dd", "abc bcd \u{00E9}t\u{00E9}s"]);
            let texts = [text.as_str(), "a b", text.as_str()];
            proptest::prop_assert_eq!(f.transform_article(&texts), f.transform_article_by_terms(&texts));
        }

        #[test]
        fn rows_are_unit_norm_and_sorted(words in proptest::collection::vec("[a-e]{1,3}", 1..12)) {
            let text = words.join(" ");
            let f = FeaturizerParams::default().fit(&[text.as_str(), "a b c d e"]);
            let v = f.transform(&text);
            let norm: f64 = v.iter().map(|(_, x)| x * x).sum::<f64>().sqrt();
            proptest::prop_assert!((norm - 1.0).abs() < 1e-12);
            proptest::prop_assert!(v.0.windows(2).all(|w| w[0].0 < w[1].0));
        }
    }
}
