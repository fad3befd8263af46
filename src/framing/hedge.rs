//! Hedging cues: the data-driven list of words, phrases and typographic marks (scare quotes)
//! by which an outlet distances itself from a claim, and the per-sentence hedge strength.
//!
//! The default list is `data/hedges.txt`, embedded at build time; users replace it with
//! [`Hedges::parse`] on their own file (the CLI's `--hedges FILE`).

use super::FramingError;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The cue list shipped with the tool (`data/hedges.txt`).
pub const DEFAULT_HEDGES: &str = include_str!("../../data/hedges.txt");

/// The special cue that stands for a short quoted span (scare quotes).
pub const SCARE_QUOTES: &str = "<scare-quotes>";

/// Longest quoted span, in words, still read as scare quotes rather than reported speech.
const SCARE_QUOTE_MAX_WORDS: usize = 4;

/// One hedging cue with its weight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HedgeCue {
    /// The cue as written in the list (lower-cased), or [`SCARE_QUOTES`].
    pub cue: String,
    /// How far the cue distances the outlet from the claim, in (0, 1].
    pub weight: f64,
    /// The cue split into lower-case words (empty for scare quotes).
    #[serde(skip)]
    words: Vec<String>,
}

/// A parsed cue list.
#[derive(Debug, Clone, PartialEq)]
pub struct Hedges {
    cues: Vec<HedgeCue>,
    source: String,
    fingerprint: String,
}

/// What [`Hedges::assess`] found in one sentence.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HedgeAssessment {
    /// Hedge strength in [0, 1]: `1 - prod(1 - weight)` over the distinct cues found.
    pub strength: f64,
    /// The cues found, in list order.
    pub cues: Vec<String>,
}

impl Default for Hedges {
    fn default() -> Self {
        Hedges::parse(DEFAULT_HEDGES, "data/hedges.txt (built in)")
            .expect("the built-in hedge list parses (checked by a unit test)")
    }
}

impl Hedges {
    /// Parses a cue list in the `data/hedges.txt` format; `source` names it in errors and reports.
    pub fn parse(text: &str, source: &str) -> Result<Hedges, FramingError> {
        let mut cues: Vec<HedgeCue> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |message: String| FramingError::HedgeList {
                file: source.to_string(),
                line: i + 1,
                message,
            };
            let (w, cue) = line
                .split_once('\t')
                .ok_or_else(|| bad("expected `WEIGHT<TAB>CUE`".to_string()))?;
            let weight: f64 = w
                .trim()
                .parse()
                .map_err(|_| bad(format!("weight `{}` is not a number", w.trim())))?;
            if !(weight > 0.0 && weight <= 1.0) {
                return Err(bad(format!("weight {weight} is outside (0, 1]")));
            }
            let cue = cue.trim().to_lowercase();
            let words = if cue == SCARE_QUOTES {
                Vec::new()
            } else {
                let words = words_of(&cue);
                if words.is_empty() {
                    return Err(bad("the cue has no words".to_string()));
                }
                words
            };
            if cues.iter().any(|c| c.cue == cue) {
                return Err(bad(format!("cue `{cue}` is listed twice")));
            }
            cues.push(HedgeCue { cue, weight, words });
        }
        if cues.is_empty() {
            return Err(FramingError::HedgeList {
                file: source.to_string(),
                line: 0,
                message: "the list has no cues".to_string(),
            });
        }
        let fingerprint = hex(&Sha256::digest(text.as_bytes()))[..16].to_string();
        Ok(Hedges {
            cues,
            source: source.to_string(),
            fingerprint,
        })
    }

    /// The cues in list order.
    pub fn cues(&self) -> &[HedgeCue] {
        &self.cues
    }

    /// Where the list came from (a file name, or the built-in list).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// First 16 hex digits of the SHA-256 of the list text, to tell lists apart in reports.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Finds the cues in `text` and combines their weights into a hedge strength.
    pub fn assess(&self, text: &str) -> HedgeAssessment {
        let words = words_of(text);
        let mut keep = 1.0;
        let mut found = Vec::new();
        for cue in &self.cues {
            let hit = if cue.words.is_empty() {
                has_scare_quotes(text)
            } else {
                contains_phrase(&words, &cue.words)
            };
            if hit {
                keep *= 1.0 - cue.weight;
                found.push(cue.cue.clone());
            }
        }
        HedgeAssessment {
            strength: 1.0 - keep,
            cues: found,
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Lower-case words: runs of letters and digits (apostrophes inside a word are kept).
fn words_of(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let inner_apostrophe = (c == '\'' || c == '’')
            && !cur.is_empty()
            && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
        if c.is_alphanumeric() || inner_apostrophe {
            cur.extend(c.to_lowercase());
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn contains_phrase(words: &[String], phrase: &[String]) -> bool {
    !phrase.is_empty() && words.windows(phrase.len()).any(|w| w == phrase)
}

/// True when the sentence holds a quoted span of 1..=4 words without sentence punctuation:
/// “putting out feelers”, "peace plan", ‘friendly’. Longer quotes are reported speech.
fn has_scare_quotes(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let close = match chars[i] {
            '“' => Some('”'),
            '‘' => Some('’'),
            '«' => Some('»'),
            '"' => Some('"'),
            _ => None,
        };
        // An opening mark must not follow a letter (that would be a closing mark or apostrophe).
        let opens = close.is_some() && (i == 0 || !chars[i - 1].is_alphanumeric());
        if let (true, Some(close)) = (opens, close) {
            if let Some(len) = chars[i + 1..].iter().position(|&c| c == close) {
                let inner: String = chars[i + 1..i + 1 + len].iter().collect();
                let n = words_of(&inner).len();
                let punct = inner.contains(['.', ',', '!', '?', ';', ':']);
                if (1..=SCARE_QUOTE_MAX_WORDS).contains(&n) && !punct {
                    return true;
                }
                i += len + 2;
                continue;
            }
        }
        i += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_list_parses_and_has_the_spec_cues() {
        let h = Hedges::default();
        for cue in [
            "reportedly",
            "allegedly",
            "supposedly",
            "purportedly",
            "may",
            "could",
        ] {
            assert!(h.cues().iter().any(|c| c.cue == cue), "{cue} missing");
        }
        assert!(h.cues().iter().any(|c| c.cue == SCARE_QUOTES));
        assert_eq!(h.fingerprint().len(), 16);
    }

    #[test]
    fn strength_is_noisy_or_of_distinct_cues() {
        let h = Hedges::parse("1.0\treportedly\n0.5\tmay\n0.3\taccording to\n", "t").unwrap();
        assert_eq!(h.assess("Putin has initiated contacts.").strength, 0.0);
        let a = h.assess("Putin may, according to Bloomberg, be open to talks.");
        assert!((a.strength - (1.0 - 0.5 * 0.7)).abs() < 1e-12);
        assert_eq!(a.cues, vec!["may".to_string(), "according to".to_string()]);
        // Repeats count once; whole words only: "mayor" is not "may".
        let b = h.assess("The mayor may or may not agree.");
        assert!((b.strength - 0.5).abs() < 1e-12);
        assert_eq!(h.assess("Reportedly, he agreed.").strength, 1.0);
    }

    #[test]
    fn scare_quotes_are_short_quoted_spans_not_speech() {
        assert!(has_scare_quotes(
            "Putin was “putting out feelers” to the US."
        ));
        assert!(has_scare_quotes("a \"peace plan\" emerged"));
        assert!(!has_scare_quotes(
            "“We are unaware of the shifts in Russia’s position described,” she said."
        ));
        assert!(!has_scare_quotes("Putin’s intentions and Russia’s aims"));
        assert!(!has_scare_quotes("No quotes at all."));
    }

    #[test]
    fn bad_lists_name_the_line() {
        let e = Hedges::parse("# c\n0.5\tmay\nfoo\n", "my.txt").unwrap_err();
        assert!(
            e.to_string().contains("my.txt") && e.to_string().contains("line 3"),
            "{e}"
        );
        assert!(Hedges::parse("1.5\tmay\n", "x").is_err());
        assert!(Hedges::parse("0.5\tmay\n0.4\tMay\n", "x").is_err());
        assert!(Hedges::parse("# nothing\n", "x").is_err());
    }
}
