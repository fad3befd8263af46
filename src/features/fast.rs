//! The fast transform path: turns sentences into feature ids without building term strings.
//!
//! This module owns the speed-ups of "sentence text -> feature ids" and nothing else; the
//! string path in the parent module stays the definition (a test checks that both give the
//! same vectors, bit for bit). The pieces:
//!
//! - a per-thread token interner ([`with_scratch`]): each distinct raw token is tokenized
//!   and stemmed once per thread, then known by a small id (Snowball stemming was half of
//!   the classify time); it is cleared when it grows past [`MAX_INTERNED`] tokens, so memory
//!   stays bounded on any input;
//! - an n-gram index ([`NgramIndex`]): every word that occurs in a vocabulary n-gram gets a
//!   part id, and each n-gram is found by its packed part ids (packed with as few bits as
//!   the vocabulary needs, so a bigram table usually has 32-bit keys), so no `"a b"` string
//!   is joined or hashed per sentence;
//! - [`Marks`]: a sentence's feature ids counted and given back in order without a sort;
//! - tables keyed with the small multiplicative hash of [`super::fxhash`].
//!
//! Most of the time left is spent waiting on these tables (cache misses) rather than
//! computing, so their layout is kept compact.

use super::cues::CueMatcher;
use super::fxhash::{FxHashMap, SEED};
use rust_stemmers::Stemmer;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

/// Most bits per part id in a packed n-gram key (three parts fit in 63 bits).
const MAX_PART_BITS: u32 = 21;
/// Largest part id + 1 that can be packed.
const MAX_PARTS: usize = (1 << MAX_PART_BITS) - 1;

/// Packs the part ids of an n-gram (n <= 3) into one key, `bits` bits per part; ids are
/// stored + 1 so that `[a]` and `[a, 0]` differ (every id + 1 must be below `2^bits`).
#[inline]
pub(crate) fn pack(parts: &[u32], bits: u32) -> u64 {
    let mut key = 0u64;
    for (i, &p) in parts.iter().enumerate() {
        key |= (u64::from(p) + 1) << (bits * i as u32);
    }
    key
}

/// The slots of a [`PackedMap`]: `(key, value)`, key 0 marking an empty slot. Keys that
/// all fit in 32 bits are stored narrow (8 bytes a slot instead of 16: the default model's
/// bigram table takes 512 KB instead of 1 MB, so more of it stays in the core's cache).
#[derive(Debug, Clone, PartialEq)]
enum Slots {
    Narrow(Vec<(u32, u32)>),
    Wide(Vec<(u64, u32)>),
}

/// A read-only open-addressing table from packed n-gram keys (never 0) to feature ids:
/// one multiply and usually one probe per lookup (the n-gram lookups of every sentence).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PackedMap {
    slots: Slots,
    /// Number of slots - 1 (a power of two - 1).
    mask: usize,
    /// 64 - log2(number of slots): the hash is the top bits of `key * SEED`.
    shift: u32,
}

impl Default for PackedMap {
    fn default() -> PackedMap {
        PackedMap::new(Vec::new())
    }
}

impl PackedMap {
    /// Builds the table from distinct non-zero keys (at most half full).
    pub(crate) fn new(entries: Vec<(u64, u32)>) -> PackedMap {
        let n = (entries.len() * 2).next_power_of_two().max(16);
        let (mask, shift) = (n - 1, 64 - n.trailing_zeros());
        let slot = |key: u64| (key.wrapping_mul(SEED) >> shift) as usize & mask;
        let narrow = entries.iter().all(|&(k, _)| u32::try_from(k).is_ok());
        // Filled by writing rather than taken zeroed from the allocator: fresh zeroed pages
        // fault twice here (read while probing, then written).
        let mut wide = Vec::with_capacity(n);
        wide.resize(n, (0u64, 0u32));
        for (key, value) in entries {
            debug_assert_ne!(key, 0);
            let mut i = slot(key);
            while wide[i].0 != 0 && wide[i].0 != key {
                i = (i + 1) & mask;
            }
            wide[i] = (key, value);
        }
        let slots = if narrow {
            // Lossless: every key fits (checked above).
            Slots::Narrow(wide.iter().map(|&(k, v)| (k as u32, v)).collect())
        } else {
            Slots::Wide(wide)
        };
        PackedMap { slots, mask, shift }
    }

    #[inline]
    fn slot(&self, key: u64) -> usize {
        (key.wrapping_mul(SEED) >> self.shift) as usize & self.mask
    }

    /// The value of `key` (not 0), if present.
    #[inline]
    pub(crate) fn get(&self, key: u64) -> Option<u32> {
        let i = self.slot(key);
        match &self.slots {
            Slots::Narrow(slots) => probe(slots, i, self.mask, u32::try_from(key).ok()?),
            Slots::Wide(slots) => probe(slots, i, self.mask, key),
        }
    }

    /// Whether the keys are stored in 32 bits.
    #[cfg(test)]
    fn is_narrow(&self) -> bool {
        matches!(self.slots, Slots::Narrow(_))
    }
}

/// Linear probing from slot `i` for `key` (not the empty key, `K::default()`).
#[inline]
fn probe<K: Copy + Default + PartialEq>(
    slots: &[(K, u32)],
    mut i: usize,
    mask: usize,
    key: K,
) -> Option<u32> {
    loop {
        let (k, v) = *slots.get(i)?;
        if k == key {
            return Some(v);
        }
        if k == K::default() {
            return None;
        }
        i = (i + 1) & mask;
    }
}

/// An open-addressing table from short words (1 to 16 bytes, no NUL byte) to ids, each word
/// packed into two `u64` (zero-padded, so the packing is one-to-one): a lookup is a few
/// instructions and no string comparison.
#[derive(Debug, Clone, Default)]
pub(crate) struct WordTable {
    /// `(first 8 bytes, next 8 bytes, id)`; a first word of 0 marks an empty slot.
    slots: Vec<(u64, u64, u32)>,
    len: usize,
}

impl WordTable {
    /// The packed key of a word, or `None` when it is empty, longer than 16 bytes or holds a
    /// NUL byte.
    #[inline]
    pub(crate) fn key(word: &[u8]) -> Option<(u64, u64)> {
        if word.is_empty() || word.len() > 16 {
            return None;
        }
        let (mut lo, mut hi) = (0u64, 0u64);
        for (k, &b) in word.iter().enumerate() {
            if b == 0 {
                return None;
            }
            if k < 8 {
                lo |= u64::from(b) << (8 * k);
            } else {
                hi |= u64::from(b) << (8 * (k - 8));
            }
        }
        Some((lo, hi))
    }

    /// [`WordTable::key`] of `text[start..end]`, which must hold no NUL byte (a run of
    /// letters and digits): two loads and masks when 16 bytes can be read from `start`.
    #[inline]
    pub(crate) fn key_at(text: &[u8], start: usize, end: usize) -> Option<(u64, u64)> {
        let len = end - start;
        debug_assert!(!text[start..end].contains(&0));
        if len == 0 || len > 16 {
            return None;
        }
        let Some(window) = text.get(start..start + 16) else {
            return WordTable::key(&text[start..end]);
        };
        let mut lo = [0u8; 8];
        let mut hi = [0u8; 8];
        lo.copy_from_slice(&window[..8]);
        hi.copy_from_slice(&window[8..]);
        let (lo, hi) = (u64::from_le_bytes(lo), u64::from_le_bytes(hi));
        let keep = |n: usize| {
            if n >= 8 {
                u64::MAX
            } else {
                (1u64 << (8 * n)) - 1
            }
        };
        Some((lo & keep(len), hi & keep(len.saturating_sub(8))))
    }

    #[inline]
    fn slot(&self, (lo, hi): (u64, u64)) -> usize {
        let h = (lo ^ hi.rotate_left(31)).wrapping_mul(SEED);
        (h >> 32) as usize & (self.slots.len() - 1)
    }

    /// The id of a packed word.
    #[inline]
    pub(crate) fn get(&self, key: (u64, u64)) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = self.slot(key);
        loop {
            let (lo, hi, id) = self.slots[i];
            if lo == key.0 && hi == key.1 {
                return Some(id);
            }
            if lo == 0 {
                return None;
            }
            i = (i + 1) & mask;
        }
    }

    /// Adds a packed word (not present yet) with its id.
    pub(crate) fn insert(&mut self, key: (u64, u64), id: u32) {
        if (self.len + 1) * 2 > self.slots.len() {
            let old = std::mem::take(&mut self.slots);
            self.slots = vec![(0, 0, 0); (old.len() * 2).max(1024)];
            self.len = 0;
            for (lo, hi, id) in old {
                if lo != 0 {
                    self.insert((lo, hi), id);
                }
            }
        }
        let mask = self.slots.len() - 1;
        let mut i = self.slot(key);
        while self.slots[i].0 != 0 {
            i = (i + 1) & mask;
        }
        self.slots[i] = (key.0, key.1, id);
        self.len += 1;
    }

    /// Number of words.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Forgets every word (keeps the room).
    pub(crate) fn clear(&mut self) {
        if self.len > 0 {
            self.slots.fill((0, 0, 0));
            self.len = 0;
        }
    }
}

/// The pieces of `s` between the bytes `sep` (an ASCII byte), as `s.split(sep as char)`
/// gives them: a plain byte scan, which beats `memchr`'s setup on short terms.
pub(crate) fn split_byte(s: &str, sep: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let r = rest?;
        match r.bytes().position(|b| b == sep) {
            Some(i) => {
                rest = r.get(i + 1..);
                r.get(..i)
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// The vocabulary's word n-grams by packed part ids.
#[derive(Debug, Clone, Default)]
pub(crate) struct NgramIndex {
    /// Words found in vocabulary n-grams -> part id.
    pub(crate) parts: FxHashMap<Box<str>, u32>,
    /// Per part id: the feature id of the word alone (`NONE` when only in longer n-grams).
    pub(crate) unigrams: Vec<u32>,
    /// Packed part ids of the n-grams of two or more words -> feature index.
    pub(crate) ngrams: PackedMap,
    /// Bits per part id in a packed key: just enough for the number of parts, so the keys
    /// of a vocabulary's bigrams usually fit in 32 bits.
    pub(crate) bits: u32,
    /// Unique id of this index, so per-thread caches of part ids know when to reset.
    pub(crate) generation: u64,
    /// False when the vocabulary has too many distinct words to pack (the string path is
    /// used instead).
    pub(crate) usable: bool,
}

static GENERATION: AtomicU64 = AtomicU64::new(1);

impl NgramIndex {
    /// Indexes the word n-grams of a vocabulary, given in feature order (`capacity`: about
    /// how many terms); `is_word` tells word terms from the other feature groups (cue terms
    /// contain `:`, which no token does).
    pub(crate) fn new<'a>(
        vocabulary: impl Iterator<Item = &'a str>,
        capacity: usize,
        is_word: impl Fn(&str) -> bool,
    ) -> NgramIndex {
        let mut parts: FxHashMap<Box<str>, u32> = FxHashMap::default();
        // (part ids, number of words, feature id) of every n-gram, packed once the number of
        // parts is known.
        let mut found: Vec<([u32; 3], u8, u32)> = Vec::with_capacity(capacity);
        let mut usable = true;
        // The previous term's first word and its id: in a sorted vocabulary the n-grams that
        // start with one word follow each other, so most first words need no hash lookup.
        let mut last_first: Option<(&str, u32)> = None;
        for (j, term) in vocabulary.enumerate() {
            if !is_word(term) {
                continue;
            }
            let mut ids = [0u32; 3];
            let mut n = 0usize;
            let mut ok = true;
            for w in split_byte(term, b' ') {
                if w.is_empty() || n == 3 {
                    // Never produced by joining tokens: unreachable by the string path too.
                    ok = false;
                    break;
                }
                if n == 0 {
                    if let Some((word, id)) = last_first {
                        if word == w {
                            ids[0] = id;
                            n = 1;
                            continue;
                        }
                    }
                }
                // Looked up before inserting, so a known word costs no allocation.
                let id = match parts.get(w) {
                    Some(&id) => id,
                    None => {
                        let next = parts.len();
                        if next >= MAX_PARTS {
                            usable = false;
                            ok = false;
                            break;
                        }
                        parts.insert(w.into(), next as u32);
                        next as u32
                    }
                };
                if n == 0 {
                    last_first = Some((w, id));
                }
                ids[n] = id;
                n += 1;
            }
            if ok {
                match u32::try_from(j) {
                    Ok(j) => found.push((ids, n as u8, j)),
                    Err(_) => usable = false,
                }
            }
        }
        // Ids are packed + 1, so `parts.len()` itself must fit.
        let bits = (u32::BITS - (parts.len() as u32).leading_zeros()).clamp(1, MAX_PART_BITS);
        let mut unigrams = vec![NONE; parts.len()];
        let mut ngrams: Vec<(u64, u32)> = Vec::new();
        for (ids, n, j) in found {
            if n == 1 {
                unigrams[ids[0] as usize] = j;
            } else {
                ngrams.push((pack(&ids[..usize::from(n)], bits), j));
            }
        }
        NgramIndex {
            parts,
            unigrams,
            ngrams: PackedMap::new(ngrams),
            bits,
            generation: GENERATION.fetch_add(1, Ordering::Relaxed),
            usable,
        }
    }

    /// The feature id of the n-gram (two or three words) with these part ids, if any.
    #[inline]
    pub(crate) fn ngram(&self, parts: &[u32]) -> Option<u32> {
        self.ngrams.get(pack(parts, self.bits))
    }
}

/// Per-thread tokens interned once: raw token -> local id -> (normalized token, part id).
#[derive(Default)]
pub(crate) struct Scratch {
    /// Raw (lowercased, not stemmed) token -> local id.
    ids: FxHashMap<Box<str>, u32>,
    /// Whole ASCII tokens of at most 16 bytes as written in the text (before lowercasing)
    /// -> local id, so the common token is looked up without being copied and lowercased.
    pub(crate) cased: WordTable,
    /// Whether `cased` maps to lowercased tokens.
    pub(crate) cased_lowercase: bool,
    /// Normalized (stemmed) token of each local id.
    pub(crate) norm: Vec<Box<str>>,
    /// Raw (lowercased, not stemmed) token of each local id (the character n-grams').
    pub(crate) raw: Vec<Box<str>>,
    /// Per local id: the generation of the index its character n-gram ids were looked up
    /// for (0: never), and where they are in `char_pool` (start, count).
    chars: Vec<(u64, u32, u32)>,
    /// The character n-gram feature ids of the tokens, one token after the other.
    pub(crate) char_pool: Vec<u32>,
    /// Padded token of [`super::char_grams`] (reused).
    char_buf: String,
    /// Per local id: the generation of the index the rest was looked up in, then the part id
    /// (`NONE`: in no vocabulary n-gram), the unigram's feature id (`NONE`: not in the
    /// vocabulary), the cue word id (`NONE`: in no cue phrase) and 1 when a cue phrase starts
    /// with the word (else 0).
    part: Vec<(u64, [u32; 4])>,
    /// Whether `norm` holds stems (the cache is reset when a caller wants the other kind).
    stemmed: bool,
    /// The token being built (reused).
    pub(crate) cur: String,
    /// Per-sentence buffers of the fast transform (reused across sentences and calls).
    pub(crate) bufs: Bufs,
}

/// Buffers of the fast transform, kept per thread so that no sentence allocates.
#[derive(Default)]
pub(crate) struct Bufs {
    /// Local token ids of the sentence.
    pub(crate) tokens: Vec<u32>,
    /// Part id of each token.
    pub(crate) parts: Vec<u32>,
    /// Cue word id of each token.
    pub(crate) cue_words: Vec<u32>,
    /// Positions of the tokens that start a cue phrase (the only ones the matcher tries).
    pub(crate) cue_starts: Vec<u32>,
    /// Feature ids of every sentence of the article, one after the other.
    pub(crate) feats: Vec<u32>,
    /// Where each sentence's feature ids end in `feats`.
    pub(crate) feat_ends: Vec<usize>,
    /// Distinct cue terms of every sentence (positions in `cue_ids`), one after the other.
    pub(crate) cue_sets: Vec<u32>,
    /// Where each sentence's cue terms end in `cue_sets`.
    pub(crate) cue_ends: Vec<usize>,
    /// Phrase matches per cue class of the sentence.
    pub(crate) class_counts: Vec<usize>,
    /// The weighted row being built.
    pub(crate) entries: Vec<(usize, f64)>,
    /// The sentence's feature ids counted and ordered without sorting.
    pub(crate) marks: Marks,
}

/// Counts feature ids and gives them back in increasing order without a sort: a bit per
/// feature and a bit per 64 features, all zero between sentences, and the ids seen again
/// (a sentence touches a few dozen ids, and repeats are few; the sort of the ids was a tenth
/// of the classify time, and a count per feature missed the cache at every feature: the
/// bits of a 20,000-term vocabulary take 2.5 KB).
#[derive(Default)]
pub(crate) struct Marks {
    words: Vec<u64>,
    blocks: Vec<u64>,
    /// One entry per repeated occurrence of an id (sorted when drained).
    repeats: Vec<u32>,
}

impl Marks {
    /// Makes room for feature ids below `n`.
    pub(crate) fn ensure(&mut self, n: usize) {
        if self.words.len() < n.div_ceil(64) {
            self.words.resize(n.div_ceil(64), 0);
            self.blocks.resize(n.div_ceil(64 * 64), 0);
        }
    }

    /// Counts one occurrence of feature `id` (below the `n` given to [`Marks::ensure`]).
    #[inline]
    pub(crate) fn add(&mut self, id: u32) {
        let i = id as usize;
        let bit = 1u64 << (i & 63);
        let word = &mut self.words[i >> 6];
        if *word & bit != 0 {
            self.repeats.push(id);
        } else {
            *word |= bit;
            self.blocks[i >> 12] |= 1 << ((i >> 6) & 63);
        }
    }

    /// Calls `f(id, count)` for every counted id in increasing order, and forgets them.
    #[inline]
    pub(crate) fn drain(&mut self, mut f: impl FnMut(usize, u32)) {
        self.repeats.sort_unstable();
        let mut r = 0;
        for (b, block) in self.blocks.iter_mut().enumerate() {
            let mut bits = std::mem::take(block);
            while bits != 0 {
                let w = b * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let Some(word) = self.words.get_mut(w) else {
                    continue;
                };
                let mut word = std::mem::take(word);
                while word != 0 {
                    let id = w * 64 + word.trailing_zeros() as usize;
                    word &= word - 1;
                    let mut c = 1;
                    // Repeats are sorted and every one was marked, so those of `id` are next.
                    while self.repeats.get(r).is_some_and(|&x| x as usize == id) {
                        c += 1;
                        r += 1;
                    }
                    f(id, c);
                }
            }
        }
        self.repeats.clear();
    }
}

/// Part id of a token in no vocabulary n-gram.
pub(crate) const NONE: u32 = u32::MAX;

/// Most character n-gram ids a thread keeps cached before starting afresh.
const MAX_CHAR_POOL: usize = 1 << 22;

/// Most distinct tokens a thread keeps interned before starting afresh.
pub(crate) const MAX_INTERNED: usize = 1 << 18;

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Runs `f` with this thread's scratch; re-entrant calls get a fresh one.
pub(crate) fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut s) => f(&mut s),
        Err(_) => f(&mut Scratch::default()),
    })
}

impl Scratch {
    /// Starts afresh when the cache is full or holds the other kind of tokens. Call before
    /// interning the tokens of a text (ids stay valid until the next call).
    pub(crate) fn prepare(&mut self, stemmed: bool) {
        if self.stemmed != stemmed
            || self.norm.len() >= MAX_INTERNED
            || self.cased.len() >= MAX_INTERNED
        {
            self.ids.clear();
            self.cased.clear();
            self.norm.clear();
            self.raw.clear();
            self.chars.clear();
            self.char_pool.clear();
            self.part.clear();
            self.stemmed = stemmed;
        }
    }

    /// The local id of the raw token in `self.cur`, stemming it on first sight.
    pub(crate) fn intern_cur(&mut self, stemmer: Option<&Stemmer>) -> u32 {
        if let Some(&id) = self.ids.get(self.cur.as_str()) {
            return id;
        }
        let raw = self.cur.as_str();
        let norm: Box<str> = match stemmer {
            Some(s) if raw.chars().any(char::is_alphabetic) => s.stem(raw).as_ref().into(),
            _ => raw.into(),
        };
        let id = self.norm.len() as u32;
        self.norm.push(norm);
        self.part.push((0, [NONE; 4]));
        self.chars.push((0, 0, 0));
        let raw: Box<str> = raw.into();
        self.raw.push(raw.clone());
        self.ids.insert(raw, id);
        id
    }

    /// Where the feature ids of the character n-grams of local token `id` are in
    /// `char_pool` (a range), looked up in `index` (the grams without their prefix) on the
    /// first call for `generation`, the unique number of the featurizer that owns `index`.
    /// The n-grams missing from `index` are left out; repeats are kept.
    #[inline]
    pub(crate) fn char_ids(
        &mut self,
        generation: u64,
        index: &FxHashMap<Box<str>, u32>,
        id: u32,
    ) -> std::ops::Range<usize> {
        let (g, start, len) = self.chars[id as usize];
        if g == generation {
            return start as usize..(start + len) as usize;
        }
        if self.char_pool.len() >= MAX_CHAR_POOL {
            // Bounded memory: forget every token's ids (they are looked up again).
            self.char_pool.clear();
            for c in &mut self.chars {
                c.0 = 0;
            }
        }
        let start = self.char_pool.len();
        let pool = &mut self.char_pool;
        super::char_grams(&self.raw[id as usize], &mut self.char_buf, |g| {
            if let Some(&j) = index.get(g) {
                pool.push(j);
            }
        });
        let len = self.char_pool.len() - start;
        self.chars[id as usize] = (generation, start as u32, len as u32);
        start..start + len
    }

    /// Of local token `id`: its part id in `index` (`NONE` when in no n-gram), the feature
    /// id of the unigram (`NONE` when not in the vocabulary), its cue word id in `cues`
    /// (`NONE` when in no phrase) and whether a phrase of `cues` starts with it (1 or 0).
    /// `cues` must belong to the same featurizer as `index` (all are cached under the
    /// index's generation).
    #[inline]
    pub(crate) fn lookup(
        &mut self,
        index: &NgramIndex,
        cues: Option<&CueMatcher>,
        id: u32,
    ) -> [u32; 4] {
        let (generation, ids) = &mut self.part[id as usize];
        if *generation != index.generation {
            *generation = index.generation;
            let norm = &*self.norm[id as usize];
            let part = index.parts.get(norm).copied().unwrap_or(NONE);
            let unigram = index.unigrams.get(part as usize).copied().unwrap_or(NONE);
            let word = cues.map_or(NONE, |m| m.word_id(norm));
            let first = cues.is_some_and(|m| m.starts_phrase(word));
            *ids = [part, unigram, word, u32::from(first)];
        }
        *ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_byte_is_str_split() {
        for s in [
            "", " ", "a", "a b", "ab cd ef", " a", "a ", "a  b", "  ", "é b", "x\ny",
        ] {
            for sep in [b' ', b'\n'] {
                let ours: Vec<&str> = split_byte(s, sep).collect();
                let std: Vec<&str> = s.split(sep as char).collect();
                assert_eq!(ours, std, "{s:?} split by {sep}");
            }
        }
    }

    #[test]
    fn packed_map_finds_every_key_and_no_other() {
        let entries: Vec<(u64, u32)> = (1..5000u64)
            .map(|k| (k * 7919 % 100_003 + 1, k as u32))
            .collect();
        // Keys of 32 bits are stored narrow; the same keys moved above 32 bits, wide.
        for shift in [0u32, 35] {
            let entries: Vec<(u64, u32)> = entries.iter().map(|&(k, v)| (k << shift, v)).collect();
            let map = PackedMap::new(entries.clone());
            assert_eq!(map.is_narrow(), shift == 0);
            for &(k, v) in &entries {
                assert_eq!(map.get(k), Some(v));
            }
            let keys: std::collections::HashSet<u64> = entries.iter().map(|e| e.0).collect();
            for k in (1..200_000u64).map(|k| k << shift) {
                if !keys.contains(&k) {
                    assert_eq!(map.get(k), None);
                }
            }
            // A key wider than the stored ones is absent, not truncated.
            assert_eq!(map.get(entries[0].0 | (1 << 63)), None);
        }
        assert_eq!(PackedMap::new(Vec::new()).get(5), None);
        assert_eq!(PackedMap::default().get(5), None);
    }

    #[test]
    fn word_table_finds_every_word_and_no_other() {
        let words: Vec<String> = (0..3000)
            .map(|i| format!("w{i}x{}", "y".repeat(i % 9)))
            .filter(|w| w.len() <= 16)
            .collect();
        let mut table = WordTable::default();
        for (id, w) in words.iter().enumerate() {
            let key = WordTable::key(w.as_bytes()).unwrap();
            assert_eq!(table.get(key), None);
            table.insert(key, id as u32);
        }
        assert_eq!(table.len(), words.len());
        for (id, w) in words.iter().enumerate() {
            assert_eq!(
                table.get(WordTable::key(w.as_bytes()).unwrap()),
                Some(id as u32)
            );
        }
        for w in ["w1", "w1xyy", "zz", "w1x\u{0}", "0123456789abcdef"] {
            if let Some(key) = WordTable::key(w.as_bytes()) {
                assert_eq!(table.get(key), None, "{w}");
            }
        }
        // The fast key of a word inside a longer text is its key.
        let text = b"Officials said 0123456789abcdef talks z";
        let mut start = 0;
        for (k, &b) in text.iter().enumerate().chain([(text.len(), &b' ')]) {
            if b == b' ' {
                assert_eq!(
                    WordTable::key_at(text, start, k),
                    WordTable::key(&text[start..k])
                );
                start = k + 1;
            }
        }
        for s in 0..text.len() {
            for e in s..=text.len().min(s + 17) {
                if !text[s..e].contains(&0) {
                    assert_eq!(WordTable::key_at(text, s, e), WordTable::key(&text[s..e]));
                }
            }
        }
        assert_eq!(WordTable::key(b""), None);
        assert_eq!(WordTable::key(b"0123456789abcdefg"), None);
        assert_eq!(WordTable::key(b"a\0"), None);
        assert_ne!(WordTable::key(b"ab"), WordTable::key(b"ba"));
        table.clear();
        assert_eq!(table.len(), 0);
        assert_eq!(
            table.get(WordTable::key(words[0].as_bytes()).unwrap()),
            None
        );
    }

    #[test]
    fn marks_count_and_order_like_a_sort() {
        let mut marks = Marks::default();
        marks.ensure(10_000);
        for ids in [
            vec![5u32, 3, 5, 9999, 0, 64, 63, 4095, 4096, 4096, 4096, 77],
            vec![],
            vec![1, 1, 1],
            (0..10_000).rev().step_by(37).collect(),
            // Many repeats, in no order.
            (0..3000u32).map(|k| k * k % 7919 % 500).collect(),
        ] {
            for &i in &ids {
                marks.add(i);
            }
            let mut got = Vec::new();
            marks.drain(|i, c| got.push((i, c)));
            let mut want: Vec<(usize, u32)> = Vec::new();
            let mut sorted = ids.clone();
            sorted.sort_unstable();
            for i in sorted {
                match want.last_mut() {
                    Some((j, c)) if *j == i as usize => *c += 1,
                    _ => want.push((i as usize, 1)),
                }
            }
            assert_eq!(got, want);
        }
        assert!(marks.words.iter().chain(&marks.blocks).all(|&w| w == 0));
        assert!(marks.repeats.is_empty());
    }
}
