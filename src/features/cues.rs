//! The cue lexicon: phrases grouped into classes (attribution, overture, denial, doubt,
//! hedge, speaker roles, negation), read from `data/cues.tsv` or a user file, and matched
//! on a sentence's stemmed tokens.
//!
//! This module owns parsing the lexicon and finding which classes a sentence contains. The
//! featurizer (the parent module) turns the classes into `cue:` / `prev:cue:` / `next:cue:`
//! terms. The lexicon travels inside the model file (in the featurizer settings), so a model
//! keeps matching the phrases it was trained with even when `data/cues.tsv` changes.

use super::fxhash::FxHashMap;
use serde::{Deserialize, Serialize};

/// The built-in lexicon, compiled into the binary from `data/cues.tsv`.
pub const BUILTIN_CUES: &str = include_str!("../../data/cues.tsv");

/// One lexicon line: a phrase and the class it signals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CueEntry {
    /// Class name: lowercase ASCII letters, digits and `_` (becomes the term `cue:<class>`).
    pub class: String,
    /// Plain words; `*` stands for any one word (not first, not last).
    pub phrase: String,
}

/// A lexicon line that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}:{line}: {message}")]
pub struct CueError {
    /// Where the lexicon came from (a file path or `built-in`).
    pub origin: String,
    /// 1-based line number (0 when the entry did not come from a file line).
    pub line: usize,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// Parses a lexicon in the `CLASS<TAB>PHRASE` format (see `data/cues.tsv`); `origin` names
/// the source in errors.
pub fn parse(text: &str, origin: &str) -> Result<Vec<CueEntry>, CueError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let err = |message: String| CueError {
            origin: origin.to_string(),
            line: i + 1,
            message,
        };
        let (class, phrase) = line.split_once('\t').ok_or_else(|| {
            err("expected `CLASS<TAB>PHRASE` (separate the class and the phrase with a tab)".into())
        })?;
        let entry = CueEntry {
            class: class.trim().to_string(),
            phrase: phrase.trim().to_string(),
        };
        check_entry(&entry).map_err(err)?;
        out.push(entry);
    }
    if out.is_empty() {
        return Err(CueError {
            origin: origin.to_string(),
            line: 0,
            message: "the lexicon has no entries".into(),
        });
    }
    Ok(out)
}

/// The built-in lexicon.
pub fn builtin() -> Vec<CueEntry> {
    // The file is part of the source tree; a unit test checks it parses.
    parse(BUILTIN_CUES, "data/cues.tsv").unwrap_or_default()
}

/// Checks one entry: a well-formed class name and a phrase with at least one word.
pub fn check_entry(e: &CueEntry) -> Result<(), String> {
    if e.class.is_empty()
        || !e
            .class
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(format!(
            "class `{}` must be lowercase ASCII letters, digits or `_`",
            crate::escape::controls(&e.class)
        ));
    }
    let words: Vec<&str> = e.phrase.split_whitespace().collect();
    if words.is_empty() || words.iter().all(|w| *w == "*") {
        return Err(format!(
            "phrase `{}` has no word",
            crate::escape::controls(&e.phrase)
        ));
    }
    if words.first() == Some(&"*") || words.last() == Some(&"*") {
        return Err(format!(
            "phrase `{}`: `*` may only stand between words",
            crate::escape::controls(&e.phrase)
        ));
    }
    Ok(())
}

/// One compiled phrase: normalized words (`None` = any one word) and its class id.
#[derive(Debug, Clone)]
struct Pattern {
    words: Vec<Option<String>>,
    class: usize,
}

/// A compiled lexicon: finds the classes present in a token sequence.
#[derive(Debug, Clone)]
pub struct CueMatcher {
    classes: Vec<String>,
    by_first: FxHashMap<String, Vec<Pattern>>,
    /// The same patterns by word ids (the fast path): normalized phrase word -> id.
    word_ids: FxHashMap<String, u32>,
    /// Patterns by the id of their first word: (word ids, `ANY` for `*`; class id).
    by_first_id: Vec<Vec<(Vec<u32>, usize)>>,
}

/// Word id of `*` in [`CueMatcher`]'s id patterns.
const ANY: u32 = u32::MAX - 1;
/// Word id of a token in no phrase.
const NO_WORD: u32 = u32::MAX;

/// Reads contracted and fused negations as `not`, so phrases can be written once.
pub fn normalize_negation(token: &str) -> &str {
    if token.ends_with("n't") || token == "cannot" {
        "not"
    } else {
        token
    }
}

/// Auxiliaries whose contracted negation (`doesn't`, `couldn't`, `won't`) is one token.
const AUXILIARIES: [&str; 22] = [
    "do", "does", "did", "is", "are", "was", "were", "has", "have", "had", "could", "would",
    "should", "can", "will", "must", "need", "might", "ai", "ca", "wo", "sha",
];

/// Removes an auxiliary directly before `not` in a compiled phrase, when at least two words
/// remain: a contraction (`didn't receive`) is read as the single token `not`, so the phrase
/// `did not receive` must start at `not` to match both spellings, and counts once either way.
fn drop_auxiliary_before_not(words: &mut Vec<Option<String>>, auxiliaries: &[String]) {
    let mut i = 0;
    while i + 1 < words.len() {
        let aux = matches!(&words[i], Some(w) if auxiliaries.iter().any(|a| a == w));
        if aux && words[i + 1].as_deref() == Some("not") && words.len() > 2 {
            words.remove(i);
        } else {
            i += 1;
        }
    }
}

impl CueMatcher {
    /// Compiles entries; `tokenize` must be the featurizer's own tokenizer (lowercase, stem),
    /// so phrases are normalized exactly like sentence text.
    pub fn new(entries: &[CueEntry], tokenize: impl Fn(&str) -> Vec<String>) -> CueMatcher {
        let mut classes: Vec<String> = entries.iter().map(|e| e.class.clone()).collect();
        classes.sort();
        classes.dedup();
        let mut by_first: FxHashMap<String, Vec<Pattern>> = FxHashMap::default();
        // Auxiliaries as the tokenizer writes them, so `does not act like` is compiled as
        // `not act like` and also matches `doesn't act like` (read as `not ...`).
        let auxiliaries: Vec<String> = AUXILIARIES.iter().flat_map(|w| tokenize(w)).collect();
        for e in entries {
            let class = classes.binary_search(&e.class).unwrap_or(0);
            let mut words: Vec<Option<String>> = Vec::new();
            for w in e.phrase.split_whitespace() {
                if w == "*" {
                    words.push(None);
                } else {
                    // A written word may tokenize into several tokens (`back-channel`).
                    for t in tokenize(w) {
                        words.push(Some(normalize_negation(&t).to_string()));
                    }
                }
            }
            drop_auxiliary_before_not(&mut words, &auxiliaries);
            let Some(Some(first)) = words.first().cloned() else {
                continue;
            };
            if words.iter().all(Option::is_none) {
                continue;
            }
            by_first
                .entry(first)
                .or_default()
                .push(Pattern { words, class });
        }
        let mut word_ids: FxHashMap<String, u32> = FxHashMap::default();
        let mut by_first_id: Vec<Vec<(Vec<u32>, usize)>> = Vec::new();
        // In the order of `by_first` per first word (the order of the entries).
        let mut firsts: Vec<&String> = by_first.keys().collect();
        firsts.sort();
        for first in firsts {
            for p in &by_first[first] {
                let ids: Vec<u32> = p
                    .words
                    .iter()
                    .map(|w| match w {
                        None => ANY,
                        Some(w) => {
                            let next = word_ids.len() as u32;
                            *word_ids.entry(w.clone()).or_insert(next)
                        }
                    })
                    .collect();
                let f = ids[0] as usize;
                if by_first_id.len() <= f {
                    by_first_id.resize(f + 1, Vec::new());
                }
                by_first_id[f].push((ids, p.class));
            }
        }
        CueMatcher {
            classes,
            by_first,
            word_ids,
            by_first_id,
        }
    }

    /// The word id of a (normalized, stemmed) token for [`CueMatcher::count_ids`]: equal
    /// ids for equal phrase words after [`normalize_negation`], and one id for every token
    /// in no phrase.
    pub(crate) fn word_id(&self, token: &str) -> u32 {
        self.word_ids
            .get(normalize_negation(token))
            .copied()
            .unwrap_or(NO_WORD)
    }

    /// [`CueMatcher::count`] on word ids (see [`CueMatcher::word_id`]), into `counts`.
    pub(crate) fn count_ids(&self, words: &[u32], counts: &mut Vec<usize>) {
        counts.clear();
        counts.resize(self.classes.len(), 0);
        for start in 0..words.len() {
            self.count_from(words, start, counts);
        }
    }

    /// [`CueMatcher::count_ids`] given the positions of `words` whose word starts a phrase
    /// (see [`CueMatcher::starts_phrase`]; other positions match nothing), in any order.
    pub(crate) fn count_ids_at(&self, words: &[u32], starts: &[u32], counts: &mut Vec<usize>) {
        counts.clear();
        counts.resize(self.classes.len(), 0);
        for &start in starts {
            self.count_from(words, start as usize, counts);
        }
    }

    /// Whether some phrase starts with word id `w`.
    pub(crate) fn starts_phrase(&self, w: u32) -> bool {
        self.by_first_id
            .get(w as usize)
            .is_some_and(|patterns| !patterns.is_empty())
    }

    /// Adds the phrases that match `words` from position `start` to `counts`.
    #[inline]
    fn count_from(&self, words: &[u32], start: usize, counts: &mut [usize]) {
        let Some(patterns) = words
            .get(start)
            .and_then(|&w| self.by_first_id.get(w as usize))
        else {
            return;
        };
        for (ids, class) in patterns {
            let Some(span) = words.get(start..start + ids.len()) else {
                continue;
            };
            if ids.iter().zip(span).all(|(&p, &t)| p == ANY || p == t) {
                counts[*class] += 1;
            }
        }
    }

    /// Class names, sorted; a class id indexes this list.
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// For each class, how many phrase matches the tokens contain (overlapping matches of
    /// different phrases all count).
    pub fn count<S: AsRef<str>>(&self, tokens: &[S]) -> Vec<usize> {
        let mut counts = vec![0; self.classes.len()];
        if self.by_first.is_empty() {
            return counts;
        }
        let norm: Vec<&str> = tokens
            .iter()
            .map(|t| normalize_negation(t.as_ref()))
            .collect();
        for start in 0..norm.len() {
            let Some(patterns) = self.by_first.get(norm[start]) else {
                continue;
            };
            for p in patterns {
                let end = start + p.words.len();
                if end > norm.len() {
                    continue;
                }
                let hit = p
                    .words
                    .iter()
                    .zip(&norm[start..end])
                    .all(|(w, t)| w.as_deref().map_or(true, |w| w == *t));
                if hit {
                    counts[p.class] += 1;
                }
            }
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_lowercase).collect()
    }

    #[test]
    fn builtin_lexicon_parses_and_has_the_documented_classes() {
        let entries = parse(BUILTIN_CUES, "data/cues.tsv").expect("built-in lexicon parses");
        let m = CueMatcher::new(&entries, words);
        for c in ["attrib", "denial", "doubt", "expert", "hedge", "overture"] {
            assert!(m.classes().iter().any(|k| k == c), "missing class {c}");
        }
        assert_eq!(builtin(), entries);
    }

    #[test]
    fn matches_phrases_wildcards_and_contracted_negation() {
        let entries = parse(
            "denial\tnot aware\ndenial\tnot * aware\ndoubt\ttrial balloon\n",
            "test",
        )
        .unwrap();
        let m = CueMatcher::new(&entries, words);
        let denial = m.classes().iter().position(|c| c == "denial").unwrap();
        let doubt = m.classes().iter().position(|c| c == "doubt").unwrap();
        assert_eq!(m.count(&words("we are not aware of it"))[denial], 1);
        assert_eq!(m.count(&words("we were not immediately aware"))[denial], 1);
        assert_eq!(m.count(&words("officials aren't aware"))[denial], 1);
        assert_eq!(m.count(&words("we are aware"))[denial], 0);
        assert_eq!(
            m.count(&words("a trial balloon or a trial balloon"))[doubt],
            2
        );
        assert_eq!(m.count(&words("a trial"))[doubt], 0);
        // The id path counts the same.
        for text in [
            "we are not aware of it",
            "we were not immediately aware",
            "officials aren't aware",
            "a trial balloon or a trial balloon",
            "not not aware aware trial",
            "",
        ] {
            let ids: Vec<u32> = words(text).iter().map(|t| m.word_id(t)).collect();
            let mut counts = Vec::new();
            m.count_ids(&ids, &mut counts);
            assert_eq!(counts, m.count(&words(text)), "{text}");
            // Given only the positions that start a phrase, the same counts.
            let starts: Vec<u32> = (0..ids.len() as u32)
                .filter(|&k| m.starts_phrase(ids[k as usize]))
                .collect();
            assert!(starts.len() < ids.len() || ids.is_empty(), "{text}");
            m.count_ids_at(&ids, &starts, &mut counts);
            assert_eq!(counts, m.count(&words(text)), "{text}");
        }
    }

    #[test]
    fn bad_lines_are_reported_with_origin_and_line() {
        let e = parse("# c\ndoubt\tploy\nno tab here\n", "my.tsv").unwrap_err();
        assert_eq!((e.origin.as_str(), e.line), ("my.tsv", 3));
        let e = parse("Doubt\tploy\n", "x").unwrap_err();
        assert!(e.message.contains("lowercase"), "{e}");
        let e = parse("doubt\t* ploy\n", "x").unwrap_err();
        assert!(e.message.contains("between words"), "{e}");
        assert!(parse("# only comments\n", "x").is_err());
    }

    #[test]
    fn contracted_negations_match_phrases_written_in_full() {
        let m = CueMatcher::new(
            &parse(
                "noevidence\tdoes not act like\ndenial\tdid not receive\ndoubt\tcould not be verified\ndenial\tdid not\n",
                "t.tsv",
            )
            .unwrap(),
            words,
        );
        let class = |c: &str| m.classes().iter().position(|k| k == c).unwrap();
        let (ne, de, dou) = (class("noevidence"), class("denial"), class("doubt"));
        // The specification's own rule-6 example, and the other two phrases, both spellings.
        for s in [
            "he doesn't act like someone ready to negotiate",
            "he does not act like someone ready to negotiate",
        ] {
            assert_eq!(m.count(&words(s))[ne], 1, "{s}");
        }
        for s in [
            "officials didn't receive any message",
            "officials did not receive any message",
        ] {
            assert!(m.count(&words(s))[de] >= 1, "{s}");
        }
        for s in [
            "the claim couldn't be verified",
            "the claim could not be verified",
        ] {
            assert_eq!(m.count(&words(s))[dou], 1, "{s}");
        }
        // A two-word phrase keeps its auxiliary (it would otherwise match every `not`).
        assert_eq!(m.count(&words("it is not true"))[de], 0);
    }
}
