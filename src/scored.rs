//! Scored articles: the output of `claimtrack score` and the input of `report --from-scores`.
//!
//! A [`ScoredArticle`] carries the article's metadata, every sentence with its role, label and
//! probabilities, and the article's framing figures, one JSON object per line (JSONL). It is
//! everything a report needs, so reports can be built from many scoring jobs' outputs.
//!
//! A sentence's label is the most probable one, or, when the model's label-sequence decoder
//! ran ([`ScoredArticle::with_decoded_labels`]), the decoded one: the article then says
//! `"decoder": w`, and a sentence whose decoded label differs from its most probable one keeps
//! the latter in `"argmax"`. The probabilities, and so the framing figures, are the model's
//! own either way.

use crate::framing::{self, ArticleDigest, ArticleFraming, FramingError, FramingParams, Hedges};
use crate::label::{Label, LabelNames};
use crate::sentence::Sentence;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{BufRead, Write};

// What scored articles are made of, owned by the earlier stages (ingestion, labels, sentences)
// and re-exported here for every reader of score files.
pub use crate::article::ArticleMeta;
pub use crate::label::{argmax_label, PRECEDENCE};
pub use crate::sentence::ScoredSentence;

/// One scored article: a line of the `score` JSONL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoredArticle {
    /// Stable article id.
    pub id: String,
    /// Outlet name.
    pub outlet: String,
    /// Publication date as given.
    #[serde(default)]
    pub date: Option<String>,
    /// Source URL.
    #[serde(default)]
    pub url: Option<String>,
    /// Title.
    #[serde(default)]
    pub title: Option<String>,
    /// The article's other metadata keys (front matter or JSONL), lower-cased keys; absent
    /// from the JSON line when there is none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub meta: BTreeMap<String, String>,
    /// Which model scored it (its name and fingerprint), when known.
    #[serde(default)]
    pub model: Option<String>,
    /// The label-sequence decoder's weight `w`, present only when the sentence labels were
    /// decoded (see [`ScoredArticle::with_decoded_labels`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decoder: Option<f64>,
    /// Every sentence, in order.
    pub sentences: Vec<ScoredSentence>,
    /// The article's framing figures.
    pub framing: ArticleFraming,
}

/// Errors reading scored JSONL.
#[derive(Debug, thiserror::Error)]
pub enum ScoresError {
    /// The file could not be read.
    #[error("{file}: {source}")]
    Io {
        /// File name.
        file: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A line that is not a scored article.
    #[error("{file}: line {line}: not a scored article ({message}); expected the JSONL written by `claimtrack score`")]
    Parse {
        /// File name.
        file: String,
        /// 1-based line number.
        line: usize,
        /// The parser's message.
        message: String,
    },
}

impl ScoredArticle {
    /// Builds a scored article from its sentences and the model's probabilities (one vector per
    /// sentence, in [`Label::ALL`] order), computing hedges and framing.
    pub fn new(
        meta: ArticleMeta,
        sentences: &[Sentence],
        probs: &[[f64; 4]],
        model: Option<String>,
        params: &FramingParams,
        hedges: &Hedges,
    ) -> Result<ScoredArticle, FramingError> {
        assert_eq!(
            sentences.len(),
            probs.len(),
            "one probability vector per sentence"
        );
        let mut scored = Vec::with_capacity(sentences.len());
        for (s, p) in sentences.iter().zip(probs) {
            let p = framing::check_probs(&meta.id, s.index, *p)?;
            let h = hedges.assess(&s.text);
            scored.push(ScoredSentence {
                index: s.index,
                role: s.role,
                text: s.text.clone(),
                label: argmax_label(&p),
                argmax: None,
                probs: p,
                hedge: h.strength,
                hedge_cues: h.cues,
            });
        }
        let framing = framing::frame_article(&meta.id, &scored, params, hedges)?;
        Ok(ScoredArticle {
            id: meta.id,
            outlet: meta.outlet,
            date: meta.date,
            url: meta.url,
            title: meta.title,
            meta: meta.meta,
            model,
            decoder: None,
            sentences: scored,
            framing,
        })
    }

    /// The article with its sentences' labels replaced by `labels` (one per sentence, in
    /// order), the labels a label-sequence decoder of weight `weight` chose from the
    /// sentences' probabilities. Marks the article (`decoder`) and every sentence whose label
    /// changes from its most probable one (`argmax`); probabilities and framing are unchanged.
    pub fn with_decoded_labels(mut self, labels: &[Label], weight: f64) -> ScoredArticle {
        assert_eq!(
            labels.len(),
            self.sentences.len(),
            "one decoded label per sentence"
        );
        for (s, &l) in self.sentences.iter_mut().zip(labels) {
            let argmax = argmax_label(&s.probs);
            s.label = l;
            s.argmax = (l != argmax).then_some(argmax);
        }
        self.decoder = Some(weight);
        self
    }

    /// The article as one JSON line (no trailing newline).
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self).expect("a scored article serialises")
    }

    /// Writes the article as one JSON line, newline included: the bytes of
    /// [`ScoredArticle::to_json_line`] and `\n`, in one write (serialised in memory first:
    /// serde_json's many small writes cost more through a `dyn Write`).
    pub fn write_json_line<W: Write>(&self, mut out: W) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(self)?;
        line.push(b'\n');
        out.write_all(&line)
    }

    /// [`ScoredArticle::write_json_line`] with the labels under `names` (sentence labels,
    /// `argmax`, probability keys, the framing's first stance): the same bytes for the
    /// default story's names.
    pub fn write_json_line_named<W: Write>(
        &self,
        mut out: W,
        names: &LabelNames,
    ) -> std::io::Result<()> {
        if names.has_default_labels() {
            return self.write_json_line(out);
        }
        let mut v = serde_json::to_value(self)?;
        names.rename_json(&mut v);
        let mut line = serde_json::to_vec(&v)?;
        line.push(b'\n');
        out.write_all(&line)
    }

    /// The article's metadata.
    pub fn meta(&self) -> ArticleMeta {
        ArticleMeta {
            id: self.id.clone(),
            outlet: self.outlet.clone(),
            date: self.date.clone(),
            url: self.url.clone(),
            title: self.title.clone(),
            meta: self.meta.clone(),
        }
    }

    /// What a report keeps of the article ([`ArticleDigest`]), its framing recomputed under
    /// `params` and `hedges`.
    pub fn digest(
        &self,
        params: &FramingParams,
        hedges: &Hedges,
    ) -> Result<ArticleDigest, FramingError> {
        ArticleDigest::new(
            self.meta(),
            self.model.clone(),
            &self.sentences,
            params,
            hedges,
        )
    }
}

/// Reads scored JSONL lazily, one article per line; blank lines are skipped. Errors name
/// `file` and the line.
pub fn read_scores<R: BufRead>(
    reader: R,
    file: &str,
) -> impl Iterator<Item = Result<ScoredArticle, ScoresError>> {
    read_scores_named(reader, file, LabelNames::default())
}

/// [`read_scores`] of lines whose labels may also be written by the display names of `names`
/// (score files written in a claim project), besides the default story's and the role names.
pub fn read_scores_named<R: BufRead>(
    reader: R,
    file: &str,
    names: LabelNames,
) -> impl Iterator<Item = Result<ScoredArticle, ScoresError>> {
    let file = file.to_string();
    let mut reader = reader;
    let mut buf = Vec::new();
    let mut line = 0usize;
    let mut done = false;
    std::iter::from_fn(move || loop {
        if done {
            return None;
        }
        line += 1;
        let n = match crate::limits::read_line_limited(
            &mut reader,
            &mut buf,
            crate::limits::MAX_RECORD_BYTES,
            "line of a scores file",
        ) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                done = true;
                return Some(Err(ScoresError::Parse {
                    file: file.clone(),
                    line,
                    message: e.to_string(),
                }));
            }
            Err(e) => {
                done = true;
                return Some(Err(ScoresError::Io {
                    file: file.clone(),
                    source: e,
                }));
            }
        };
        if n == 0 {
            done = true;
            return None;
        }
        let Ok(text) = std::str::from_utf8(&buf) else {
            done = true;
            return Some(Err(ScoresError::Parse {
                file: file.clone(),
                line,
                message: "not UTF-8".to_string(),
            }));
        };
        if text.trim().is_empty() {
            continue;
        }
        let parsed = if names.has_default_labels() {
            serde_json::from_str(text)
        } else {
            serde_json::from_str::<serde_json::Value>(text).and_then(|mut v| {
                names.canonical_json(&mut v);
                serde_json::from_value(v)
            })
        };
        return Some(parsed.map_err(|e| ScoresError::Parse {
            file: file.clone(),
            line,
            message: with_names_hint(e.to_string(), &names),
        }));
    })
}

/// A label the reader does not know is most often a claim project's display name read
/// outside that project: say so, and what to do.
fn with_names_hint(message: String, names: &LabelNames) -> String {
    if !message.starts_with("unknown variant") {
        return message;
    }
    let known = Label::ALL.map(|l| names.name(l).to_string()).join(", ");
    format!(
        "{message} (this run reads the labels {known} and the role names; score lines \
         written in a claim project with its own label names are read with that project: \
         `claimtrack --project DIR ...`)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sentence::Role;

    fn sent(index: usize, role: Role, text: &str) -> Sentence {
        Sentence {
            article: "a1".into(),
            outlet: "Daily <Test>".into(),
            date: Some("2024-01-25".into()),
            index,
            role,
            text: text.into(),
        }
    }

    fn sample() -> ScoredArticle {
        let sents = vec![
            sent(0, Role::Headline, "Putin reportedly open to talks"),
            sent(1, Role::Lede, "US officials denied it."),
            sent(2, Role::Body, "\"quoted\" and <b>bold</b> | pipe"),
        ];
        let probs = [
            [0.8, 0.1, 0.05, 0.05],
            [0.05, 0.9, 0.03, 0.02],
            [0.1, 0.1, 0.1, 0.7],
        ];
        let meta = ArticleMeta {
            id: "a1".into(),
            outlet: "Daily <Test>".into(),
            date: Some("2024-01-25".into()),
            url: Some("https://example.org/a1".into()),
            title: Some("Putin reportedly open to talks".into()),
            meta: BTreeMap::new(),
        };
        ScoredArticle::new(
            meta,
            &sents,
            &probs,
            Some("m".into()),
            &FramingParams::default(),
            &Hedges::default(),
        )
        .unwrap()
    }

    #[test]
    fn json_round_trip_is_exact() {
        let a = sample();
        assert_eq!(a.sentences[0].hedge_cues, vec!["reportedly".to_string()]);
        assert_eq!(a.sentences[1].label, Label::UsDenial);
        let line = a.to_json_line();
        assert!(!line.contains('\n'));
        let back: Vec<ScoredArticle> =
            read_scores(format!("{line}\n\n{line}\n").as_bytes(), "x.jsonl")
                .collect::<Result<_, _>>()
                .unwrap();
        assert_eq!(back, vec![a.clone(), a]);
    }

    #[test]
    fn a_project_label_read_outside_its_project_says_to_pass_the_project() {
        let names = LabelNames {
            claim: String::new(),
            short: "the claim".into(),
            labels: crate::label::RoleNames::from_array(
                [
                    "gru_attack_claim",
                    "official_denial",
                    "scientific_doubt",
                    "context",
                ]
                .map(String::from),
            ),
        };
        let mut line = Vec::new();
        sample().write_json_line_named(&mut line, &names).unwrap();
        let err = read_scores(&line[..], "named.jsonl")
            .next()
            .unwrap()
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("named.jsonl"), "{err}");
        assert!(
            err.contains("gru_attack_claim") && err.contains("--project"),
            "{err}"
        );
        // Read within the project, the same line parses.
        assert!(read_scores_named(&line[..], "named.jsonl", names)
            .next()
            .unwrap()
            .is_ok());
    }

    #[test]
    fn bad_lines_name_file_and_line() {
        let line = sample().to_json_line();
        let input = format!("{line}\n{{\"id\": 3}}\n");
        let errs: Vec<_> = read_scores(input.as_bytes(), "part2.jsonl")
            .filter_map(Result::err)
            .collect();
        assert_eq!(errs.len(), 1);
        let msg = errs[0].to_string();
        assert!(
            msg.contains("part2.jsonl") && msg.contains("line 2"),
            "{msg}"
        );
    }

    #[test]
    fn decoded_labels_replace_labels_and_keep_probabilities_and_framing() {
        let a = sample();
        let plain = a.to_json_line();
        assert!(!plain.contains("\"decoder\"") && !plain.contains("\"argmax\""));
        let d = a.clone().with_decoded_labels(
            &[Label::RussianClaim, Label::UsDenial, Label::UsDenial],
            0.5,
        );
        assert_eq!(d.decoder, Some(0.5));
        // Only the third sentence changes (context -> denial); it keeps its argmax.
        assert_eq!(d.sentences[0].argmax, None);
        assert_eq!(d.sentences[2].label, Label::UsDenial);
        assert_eq!(d.sentences[2].argmax, Some(Label::Context));
        for (x, y) in a.sentences.iter().zip(&d.sentences) {
            assert_eq!(x.probs, y.probs);
        }
        assert_eq!(a.framing, d.framing);
        let line = d.to_json_line();
        assert!(line.contains("\"decoder\":0.5"), "{line}");
        assert_eq!(line.matches("\"argmax\"").count(), 1, "{line}");
        let back: Vec<ScoredArticle> = read_scores(line.as_bytes(), "d.jsonl")
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(back, vec![d]);
    }

    #[test]
    fn argmax_ties_follow_the_spec_precedence() {
        assert_eq!(argmax_label(&[0.4, 0.4, 0.1, 0.1]), Label::UsDenial);
        assert_eq!(argmax_label(&[0.4, 0.1, 0.4, 0.1]), Label::ExpertSkepticism);
        assert_eq!(argmax_label(&[0.3, 0.1, 0.1, 0.5]), Label::Context);
        assert_eq!(argmax_label(&[0.5, 0.1, 0.1, 0.3]), Label::RussianClaim);
    }

    #[test]
    fn invalid_probabilities_are_an_error_naming_the_sentence() {
        let sents = vec![sent(0, Role::Headline, "x")];
        let meta = ArticleMeta {
            id: "bad".into(),
            ..Default::default()
        };
        let e = ScoredArticle::new(
            meta,
            &sents,
            &[[0.5, 0.5, 0.5, 0.5]],
            None,
            &FramingParams::default(),
            &Hedges::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("`bad`, sentence 0"), "{e}");
    }
}
