//! The vocabulary pass of [`FeaturizerParams::fit_articles`] without a string per n-gram
//! occurrence.
//!
//! The definition ([`fit_by_terms`], kept for the tests) builds every term of every
//! sentence as a `String`, counts them per sentence in a hash map, merges the maps and sorts
//! all terms. Here each chunk of articles is tokenized with its own token interner (the one
//! of the fast transform path, see `fast.rs`); tokens that normalize to the same string share
//! one canonical id, n-grams are counted by packed canonical ids (a bigram by its two ids, a
//! trigram by its bigram's slot and its last id) and cue terms by a slot per distinct name.
//! Document frequency is counted without a per-sentence map: a term's count remembers the
//! last sentence that bumped it. The term strings are built once per distinct term and chunk
//! at the end, sorted, and the chunks' sorted lists are merged. All counts are integers, so
//! the result is the same for any chunking and thread count, and equal to the definition's.

use super::cues::{self, CueMatcher};
use super::fast;
use super::fxhash::FxHashMap;
use super::{compile_cues, intern_tokens, Featurizer, FeaturizerParams};
use rayon::prelude::*;
use rust_stemmers::{Algorithm, Stemmer};

/// Term, document frequency (sentences containing it), total count; sorted by term.
type TermStats = Vec<(String, usize, usize)>;

/// [`FeaturizerParams::fit_articles`]: clamps the settings, counts the terms, keeps the
/// vocabulary and computes the idf.
pub(super) fn fit(params: &FeaturizerParams, articles: &[Vec<&str>]) -> Featurizer {
    let params = clamped(params);
    let (stats, n_texts) = term_stats(&params, articles);
    select(params, stats, n_texts)
}

/// The settings with invalid values clamped to the nearest valid one (and neighbour
/// features dropped without a lexicon).
fn clamped(params: &FeaturizerParams) -> FeaturizerParams {
    let mut params = params.clone();
    params.ngram_max = params.ngram_max.clamp(1, 3);
    params.min_df = params.min_df.max(1);
    if params.max_features == Some(0) {
        params.max_features = None;
    }
    params.cues.retain(|e| cues::check_entry(e).is_ok());
    if params.cues.is_empty() {
        params.neighbours = false;
    }
    if !params.cue_weight.is_finite() || params.cue_weight <= 0.0 {
        params.cue_weight = 1.0;
    }
    params.cue_weight = params
        .cue_weight
        .clamp(super::MIN_CUE_WEIGHT, super::MAX_CUE_WEIGHT);
    if !params.char_weight.is_finite() || params.char_weight < 0.0 {
        params.char_weight = 0.0;
    }
    params.char_weight = params.char_weight.min(super::MAX_CHAR_WEIGHT);
    params.char_min_df = params.char_min_df.max(1);
    params
}

/// Keeps the terms seen in at least `min_df` sentences (the `max_features` most frequent
/// ones when more; ties by term), and the character n-grams seen in at least `char_min_df`
/// sentences, and builds the featurizer with their idf.
fn select(params: FeaturizerParams, stats: TermStats, n_texts: usize) -> Featurizer {
    let (mut chars, stats): (TermStats, TermStats) = stats
        .into_iter()
        .partition(|(t, _, _)| super::is_char_term(t));
    chars.retain(|(_, df, _)| *df >= params.char_min_df);
    let mut kept: TermStats = stats
        .into_iter()
        .filter(|(_, df, _)| *df >= params.min_df)
        .collect();
    if let Some(max) = params.max_features {
        if kept.len() > max {
            // Most frequent first; ties by term so the choice is deterministic.
            kept.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
            kept.truncate(max);
            kept.sort_by(|a, b| a.0.cmp(&b.0));
        }
    }
    if !chars.is_empty() {
        kept.extend(chars);
        kept.sort_by(|a, b| a.0.cmp(&b.0));
    }
    let n = n_texts as f64;
    let idf = kept
        .iter()
        .map(|(_, df, _)| ((1.0 + n) / (1.0 + *df as f64)).ln() + 1.0)
        .collect();
    let vocabulary = kept.into_iter().map(|(t, _, _)| t).collect();
    Featurizer::build(params, vocabulary, idf)
}

/// Every term's document frequency and total count over the sentences of `articles`,
/// sorted by term, and the number of sentences. `params` must be clamped.
fn term_stats(params: &FeaturizerParams, articles: &[Vec<&str>]) -> (TermStats, usize) {
    let matcher = compile_cues(
        params,
        params
            .stem
            .then(|| Stemmer::create(Algorithm::English))
            .as_ref(),
    );
    let n_texts: usize = articles.iter().map(Vec::len).sum();
    // One chunk of about equal sentence count per thread: each chunk has its own interner,
    // so fewer chunks stem fewer tokens twice.
    let threads = rayon::current_num_threads().max(1);
    let per_chunk = n_texts.div_ceil(threads).max(1);
    let mut bounds = vec![0];
    let mut acc = 0;
    for (i, a) in articles.iter().enumerate() {
        acc += a.len();
        if acc >= per_chunk && i + 1 < articles.len() {
            bounds.push(i + 1);
            acc = 0;
        }
    }
    bounds.push(articles.len());
    let chunks: Vec<&[Vec<&str>]> = bounds.windows(2).map(|w| &articles[w[0]..w[1]]).collect();
    let stats = chunks
        .into_par_iter()
        .map(|chunk| {
            let mut counter = Counter::new(params, matcher.as_ref());
            for texts in chunk {
                counter.article(texts);
            }
            counter.into_terms()
        })
        .reduce(Vec::new, merge);
    (stats, n_texts)
}

/// Merges two lists sorted by term, adding the counts of equal terms.
fn merge(a: TermStats, b: TermStats) -> TermStats {
    if a.is_empty() {
        return b;
    }
    if b.is_empty() {
        return a;
    }
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    let mut a = a.into_iter().peekable();
    let mut b = b.into_iter().peekable();
    loop {
        let next = match (a.peek(), b.peek()) {
            (None, None) => break,
            (Some(_), None) => a.next(),
            (None, Some(_)) => b.next(),
            (Some(x), Some(y)) => match x.0.cmp(&y.0) {
                std::cmp::Ordering::Less => a.next(),
                std::cmp::Ordering::Greater => b.next(),
                std::cmp::Ordering::Equal => {
                    let (t, df, tot) = a.next().unwrap_or_default();
                    let (_, df2, tot2) = b.next().unwrap_or_default();
                    Some((t, df + df2, tot + tot2))
                }
            },
        };
        out.extend(next);
    }
    out
}

/// Document frequency and total count of one term, and the last sentence that counted it
/// (numbered from 1 within the chunk; 0 = none).
#[derive(Clone, Copy, Default)]
struct Stat {
    df: usize,
    tot: usize,
    last: usize,
}

impl Stat {
    /// One occurrence in sentence `sentence`.
    #[inline]
    fn bump(&mut self, sentence: usize) {
        if self.last != sentence {
            self.last = sentence;
            self.df += 1;
        }
        self.tot += 1;
    }
}

/// Term counts of one chunk of articles, by canonical token ids.
struct Counter<'a> {
    params: &'a FeaturizerParams,
    matcher: Option<&'a CueMatcher>,
    stemmer: Option<Stemmer>,
    /// This chunk's interner (never reset, so local ids stay valid to the end).
    scratch: fast::Scratch,
    /// Canonical id of each local token id (local ids whose tokens are equal share it).
    canon: Vec<u32>,
    /// Normalized token -> canonical id.
    canon_ids: FxHashMap<Box<str>, u32>,
    /// Token of each canonical id.
    names: Vec<Box<str>>,
    /// Cue word id of each canonical id.
    cue_word: Vec<u32>,
    /// Unigram counts by canonical id.
    unigrams: Vec<Stat>,
    /// Bigram `(first << 32) | second` -> slot in `bigrams`.
    bigram_slots: FxHashMap<u64, u32>,
    /// Per bigram slot: its key and counts.
    bigrams: Vec<(u64, Stat)>,
    /// Trigram `(bigram slot << 32) | third` -> its counts.
    trigrams: FxHashMap<u64, Stat>,
    /// Cue term names (`cue_term_names`) and, per name, the slot of the first equal name.
    cue_names: Vec<String>,
    cue_slot: Vec<usize>,
    /// Counts of `cue:`, `prev:cue:` and `next:cue:` terms by slot.
    cue_stats: [Vec<Stat>; 3],
    /// Character n-gram (without prefix) -> slot in `char_stats` (when `char_weight` > 0).
    char_slots: FxHashMap<Box<str>, u32>,
    /// Per character n-gram slot: the gram and its counts.
    char_stats: Vec<(Box<str>, Stat)>,
    /// Per local token id: where its character n-gram slots are in `char_pool` (start,
    /// count), filled as the tokens are first seen.
    token_chars: Vec<(u32, u32)>,
    /// The character n-gram slots of the tokens, one token after the other.
    char_pool: Vec<u32>,
    /// Padded token of `char_grams` (reused).
    char_buf: String,
    /// Sentences seen so far.
    sentence: usize,
    tokens: Vec<u32>,
    words: Vec<u32>,
    class_counts: Vec<usize>,
    /// Per sentence of the article, its distinct cue term slots (with the repeats of the
    /// definition), and where they end.
    cue_sets: Vec<usize>,
    cue_ends: Vec<usize>,
}

impl<'a> Counter<'a> {
    fn new(params: &'a FeaturizerParams, matcher: Option<&'a CueMatcher>) -> Counter<'a> {
        let stemmer = params.stem.then(|| Stemmer::create(Algorithm::English));
        let mut scratch = fast::Scratch::default();
        scratch.prepare(stemmer.is_some());
        let cue_names = super::cue_term_names(matcher);
        let cue_slot: Vec<usize> = cue_names
            .iter()
            .map(|n| cue_names.iter().position(|m| m == n).unwrap_or(0))
            .collect();
        let n = cue_names.len();
        Counter {
            params,
            matcher,
            stemmer,
            scratch,
            canon: Vec::new(),
            canon_ids: FxHashMap::default(),
            names: Vec::new(),
            cue_word: Vec::new(),
            unigrams: Vec::new(),
            bigram_slots: FxHashMap::default(),
            bigrams: Vec::new(),
            trigrams: FxHashMap::default(),
            cue_names,
            cue_slot,
            cue_stats: [
                vec![Stat::default(); n],
                vec![Stat::default(); n],
                vec![Stat::default(); n],
            ],
            char_slots: FxHashMap::default(),
            char_stats: Vec::new(),
            token_chars: Vec::new(),
            char_pool: Vec::new(),
            char_buf: String::new(),
            sentence: 0,
            tokens: Vec::new(),
            words: Vec::new(),
            class_counts: Vec::new(),
            cue_sets: Vec::new(),
            cue_ends: Vec::new(),
        }
    }

    /// Gives canonical ids to the local ids interned since the last call.
    fn canonicalize_new(&mut self) {
        while self.canon.len() < self.scratch.norm.len() {
            let norm = &self.scratch.norm[self.canon.len()];
            let next = self.names.len() as u32;
            let id = *self.canon_ids.entry(norm.clone()).or_insert(next);
            if id == next {
                self.names.push(norm.clone());
                self.cue_word
                    .push(self.matcher.map_or(fast::NONE, |m| m.word_id(norm)));
                self.unigrams.push(Stat::default());
            }
            self.canon.push(id);
        }
    }

    /// Finds the character n-gram slots of the local ids interned since the last call.
    fn char_slots_new(&mut self) {
        while self.token_chars.len() < self.scratch.raw.len() {
            let raw = &self.scratch.raw[self.token_chars.len()];
            let start = self.char_pool.len();
            let (slots, stats, pool) = (
                &mut self.char_slots,
                &mut self.char_stats,
                &mut self.char_pool,
            );
            super::char_grams(raw, &mut self.char_buf, |g| {
                let slot = match slots.get(g) {
                    Some(&slot) => slot,
                    None => {
                        let slot = stats.len() as u32;
                        slots.insert(g.into(), slot);
                        stats.push((g.into(), Stat::default()));
                        slot
                    }
                };
                pool.push(slot);
            });
            let len = self.char_pool.len() - start;
            self.token_chars.push((start as u32, len as u32));
        }
    }

    /// Counts the terms of one article's sentences.
    fn article(&mut self, texts: &[&str]) {
        let first = self.sentence + 1;
        self.cue_sets.clear();
        self.cue_ends.clear();
        for text in texts {
            self.sentence += 1;
            let s = self.sentence;
            let quotes = intern_tokens(
                &mut self.scratch,
                text,
                self.params.lowercase,
                self.stemmer.as_ref(),
                &mut self.tokens,
            );
            self.canonicalize_new();
            if self.params.char_weight > 0.0 {
                self.char_slots_new();
                for &t in &self.tokens {
                    let (start, len) = self.token_chars[t as usize];
                    for &slot in &self.char_pool[start as usize..(start + len) as usize] {
                        self.char_stats[slot as usize].1.bump(s);
                    }
                }
            }
            let n = self.params.ngram_max;
            self.words.clear();
            let mut prev = None::<u32>;
            let mut prev_bigram = None::<u32>;
            for k in 0..self.tokens.len() {
                let t = self.canon[self.tokens[k] as usize];
                self.unigrams[t as usize].bump(s);
                if self.matcher.is_some() {
                    self.words.push(self.cue_word[t as usize]);
                }
                let mut bigram = None;
                if n >= 2 {
                    if let Some(p) = prev {
                        let key = (u64::from(p) << 32) | u64::from(t);
                        let next = self.bigrams.len() as u32;
                        let slot = *self.bigram_slots.entry(key).or_insert(next);
                        if slot == next {
                            self.bigrams.push((key, Stat::default()));
                        }
                        self.bigrams[slot as usize].1.bump(s);
                        bigram = Some(slot);
                        if n >= 3 {
                            if let Some(b) = prev_bigram {
                                let key = (u64::from(b) << 32) | u64::from(t);
                                self.trigrams.entry(key).or_default().bump(s);
                            }
                        }
                    }
                }
                prev = Some(t);
                prev_bigram = bigram;
            }
            if let Some(m) = self.matcher {
                m.count_ids(&self.words, &mut self.class_counts);
                for class in 0..self.class_counts.len() {
                    let c = self.class_counts[class];
                    if c > 0 {
                        let slot = self.cue_slot[class];
                        for _ in 0..c {
                            self.cue_stats[0][slot].bump(s);
                        }
                        self.cue_sets.push(slot);
                    }
                }
                let quote = self.cue_names.len() - 2;
                if quotes > 0 {
                    let slot = self.cue_slot[quote];
                    self.cue_stats[0][slot].bump(s);
                    self.cue_sets.push(slot);
                }
                if quotes % 2 == 1 {
                    let slot = self.cue_slot[quote + 1];
                    self.cue_stats[0][slot].bump(s);
                    self.cue_sets.push(slot);
                }
            }
            self.cue_ends.push(self.cue_sets.len());
        }
        if self.params.neighbours && self.matcher.is_some() {
            for i in 0..texts.len() {
                let s = first + i;
                if i > 0 {
                    let from = if i > 1 { self.cue_ends[i - 2] } else { 0 };
                    for &slot in &self.cue_sets[from..self.cue_ends[i - 1]] {
                        self.cue_stats[1][slot].bump(s);
                    }
                }
                if i + 1 < texts.len() {
                    for &slot in &self.cue_sets[self.cue_ends[i]..self.cue_ends[i + 1]] {
                        self.cue_stats[2][slot].bump(s);
                    }
                }
            }
        }
    }

    /// The counted terms as strings, sorted.
    fn into_terms(self) -> TermStats {
        let mut out: TermStats = Vec::with_capacity(
            self.names.len() + self.bigrams.len() + self.trigrams.len() + 3 * self.cue_names.len(),
        );
        for (name, st) in self.names.iter().zip(&self.unigrams) {
            if st.df > 0 {
                out.push((name.to_string(), st.df, st.tot));
            }
        }
        let join = |a: &str, b: &str| {
            let mut s = String::with_capacity(a.len() + 1 + b.len());
            s.push_str(a);
            s.push(' ');
            s.push_str(b);
            s
        };
        let bigram_start = out.len();
        for &(key, st) in &self.bigrams {
            let a = &self.names[(key >> 32) as usize];
            let b = &self.names[(key & 0xffff_ffff) as usize];
            out.push((join(a, b), st.df, st.tot));
        }
        for (&key, st) in &self.trigrams {
            let bigram = &out[bigram_start + (key >> 32) as usize].0;
            let c = &self.names[(key & 0xffff_ffff) as usize];
            let term = join(bigram, c);
            out.push((term, st.df, st.tot));
        }
        for (prefix, stats) in ["cue:", "prev:cue:", "next:cue:"]
            .iter()
            .zip(&self.cue_stats)
        {
            for (name, st) in self.cue_names.iter().zip(stats) {
                if st.df > 0 {
                    out.push((format!("{prefix}{name}"), st.df, st.tot));
                }
            }
        }
        for (gram, st) in &self.char_stats {
            out.push((format!("{}{gram}", super::CHAR_PREFIX), st.df, st.tot));
        }
        out.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

/// The definition of [`fit`]: every term of every sentence as a string, counted per
/// sentence in a map, merged and sorted.
#[cfg(test)]
pub(super) fn fit_by_terms(params: &FeaturizerParams, articles: &[Vec<&str>]) -> Featurizer {
    let params = clamped(params);
    let stemmer = params.stem.then(|| Stemmer::create(Algorithm::English));
    let matcher = compile_cues(&params, stemmer.as_ref());
    let per_article: Vec<Vec<FxHashMap<String, usize>>> = articles
        .iter()
        .map(|texts| {
            super::article_terms_with(&params, stemmer.as_ref(), matcher.as_ref(), texts)
                .into_iter()
                .map(|terms| {
                    let mut counts: FxHashMap<String, usize> = FxHashMap::default();
                    for t in terms {
                        *counts.entry(t).or_insert(0) += 1;
                    }
                    counts
                })
                .collect()
        })
        .collect();
    let mut stats: FxHashMap<String, (usize, usize)> = FxHashMap::default();
    let mut n_texts = 0usize;
    for counts in per_article.into_iter().flatten() {
        n_texts += 1;
        for (t, c) in counts {
            let e = stats.entry(t).or_insert((0, 0));
            e.0 += 1;
            e.1 += c;
        }
    }
    let mut stats: TermStats = stats
        .into_iter()
        .map(|(t, (df, tot))| (t, df, tot))
        .collect();
    stats.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    select(params, stats, n_texts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::cues::CueEntry;

    /// Panics unless both featurizers have the same settings, vocabulary and idf bits.
    fn assert_same(fast: &Featurizer, slow: &Featurizer) {
        assert_eq!(fast.params(), slow.params());
        assert_eq!(fast.vocabulary(), slow.vocabulary());
        let bits = |f: &Featurizer| f.idf().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(fast), bits(slow));
    }

    /// A lexicon with a class named like the quote term and two entries of one class.
    fn lexicon() -> Vec<CueEntry> {
        let e = |class: &str, phrase: &str| CueEntry {
            class: class.to_string(),
            phrase: phrase.to_string(),
        };
        vec![
            e("quote", "said"),
            e("deny", "not * claim"),
            e("deny", "denied"),
            e("attr", "accord to"),
        ]
    }

    fn settings() -> Vec<FeaturizerParams> {
        let mut all = Vec::new();
        for ngram_max in 1..=3 {
            for stem in [false, true] {
                for (cues, neighbours) in [
                    (Vec::new(), false),
                    (cues::builtin(), false),
                    (cues::builtin(), true),
                    (lexicon(), true),
                ] {
                    for (min_df, max_features, char_weight, char_min_df) in [
                        (1, None, 0.0, 2),
                        (2, None, 0.0, 2),
                        (1, Some(7), 0.0, 2),
                        (1, None, 0.5, 1),
                        (2, Some(7), 1.0, 2),
                    ] {
                        all.push(FeaturizerParams {
                            char_weight,
                            char_min_df,
                            lowercase: !(stem && ngram_max == 2),
                            stem,
                            ngram_max,
                            min_df,
                            max_features,
                            cues: cues.clone(),
                            neighbours,
                            ..FeaturizerParams::default()
                        });
                    }
                }
            }
        }
        all
    }

    const ARTICLES: [&[&str]; 3] = [
        &[
            "Officials said the talks were \"constructive\", according to Reuters.",
            "Moscow denied it; the Kremlin did not confirm the claim.",
            "Running runs ran: the runner runs RUNS running.",
        ],
        &[
            "He said \"no\" and said it again said.",
            "2.5% of 1,000 don't",
            "",
        ],
        &["The the THE the. Said said SAID \u{201C}quoted\u{201D} \u{201C}open"],
    ];

    fn articles() -> Vec<Vec<&'static str>> {
        ARTICLES.iter().map(|a| a.to_vec()).collect()
    }

    #[test]
    fn fit_matches_the_string_definition() {
        let articles = articles();
        for p in settings() {
            assert_same(&fit(&p, &articles), &fit_by_terms(&p, &articles));
        }
    }

    #[test]
    fn fit_does_not_depend_on_the_thread_count() {
        let articles: Vec<Vec<&str>> = articles().into_iter().cycle().take(12).collect();
        let p = FeaturizerParams {
            ngram_max: 3,
            neighbours: true,
            char_weight: 0.5,
            char_min_df: 1,
            ..FeaturizerParams::default()
        };
        let want = fit_by_terms(&p, &articles);
        for threads in [1, 2, 3, 5] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            assert_same(&pool.install(|| fit(&p, &articles)), &want);
        }
    }

    #[test]
    fn equal_stems_count_once_per_sentence() {
        let p = FeaturizerParams {
            cues: Vec::new(),
            ..FeaturizerParams::default()
        };
        let articles = vec![vec!["runs running run", "run"], vec!["walk"]];
        let f = fit(&p, &articles);
        assert_same(&f, &fit_by_terms(&p, &articles));
        let run = f.index_of("run").unwrap();
        let walk = f.index_of("walk").unwrap();
        // Two of three sentences contain `run`.
        assert!(f.idf()[run] < f.idf()[walk]);
        assert_eq!(f.idf()[run], (4.0f64 / 3.0).ln() + 1.0);
    }

    #[test]
    fn empty_input_gives_an_empty_vocabulary() {
        let p = FeaturizerParams::default();
        for articles in [Vec::new(), vec![Vec::new()], vec![vec!["", "..."]]] {
            let f = fit(&p, &articles);
            assert_same(&f, &fit_by_terms(&p, &articles));
            assert_eq!(f.n_features(), 0);
        }
    }

    proptest::proptest! {
        #[test]
        fn fit_matches_the_definition_on_random_articles(
            articles in proptest::collection::vec(
                proptest::collection::vec(
                    proptest::collection::vec(
                        "[a-c]{1,2}|Ab|run|runs|running|said|not|claim|denied|don't|2\\.5|%|\"|\u{201C}|according|to",
                        0..9,
                    ),
                    0..4,
                ),
                0..5,
            ),
            ngram_max in 1usize..=3,
            stem in proptest::bool::ANY,
            lowercase in proptest::bool::ANY,
            cue_kind in 0usize..3,
            neighbours in proptest::bool::ANY,
            min_df in 1usize..=3,
            max_features in proptest::option::of(1usize..20),
            char_weight in proptest::sample::select(vec![0.0, 0.5]),
            char_min_df in 1usize..=3,
        ) {
            let texts: Vec<Vec<String>> = articles
                .iter()
                .map(|a| a.iter().map(|words| words.join(" ")).collect())
                .collect();
            let articles: Vec<Vec<&str>> = texts
                .iter()
                .map(|a| a.iter().map(String::as_str).collect())
                .collect();
            let cues = match cue_kind {
                0 => Vec::new(),
                1 => cues::builtin(),
                _ => lexicon(),
            };
            let p = FeaturizerParams {
                lowercase,
                stem,
                ngram_max,
                min_df,
                max_features,
                neighbours: neighbours && !cues.is_empty(),
                cues,
                char_weight,
                char_min_df,
                ..FeaturizerParams::default()
            };
            let fast = fit(&p, &articles);
            let slow = fit_by_terms(&p, &articles);
            proptest::prop_assert_eq!(fast.params(), slow.params());
            proptest::prop_assert_eq!(fast.vocabulary(), slow.vocabulary());
            let bits = |f: &Featurizer| f.idf().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            proptest::prop_assert_eq!(bits(&fast), bits(&slow));
        }
    }
}
