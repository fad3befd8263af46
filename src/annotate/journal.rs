//! The pass file of one annotator: stand-off labels in the gold folder's format (one JSON line
//! per answer: `article`, `url` when known, `index`, `hash`, `label` by role name, and
//! `annotator`), so a finished pass reads as gold with `--data FILE`.
//!
//! Each answer is appended and synced to disk before it counts as confirmed, so a kill at any
//! moment loses no confirmed answer; at worst the last line is cut short, which opening the
//! file reports and drops. Undo rewrites the file without its last answer atomically
//! ([`crate::atomic::write_atomic`]), so the file is always a valid gold file.

use super::AnnotateError;
use crate::label::Label;
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// One confirmed answer: a stand-off label with its annotator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// Article id (the article file's stem).
    pub article: String,
    /// Address of the article, when its header gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Sentence index, as `claimtrack sentences` numbers it.
    pub index: usize,
    /// [`crate::gold::sentence_hash`] of the sentence text.
    pub hash: String,
    /// The label given.
    #[serde(with = "role_name")]
    pub label: Label,
    /// Who gave it.
    pub annotator: String,
}

/// Labels are written by their role names (`claim`, `denial`, `skepticism`, `context`), which
/// do not depend on the claim; reading takes any name [`Label`] accepts.
mod role_name {
    use crate::label::Label;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(l: &Label, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(l.role())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Label, D::Error> {
        Label::deserialize(d)
    }
}

/// A cut-short last line found (and dropped) when opening a pass file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TruncatedTail {
    /// The 1-based line number of the cut line.
    pub line: usize,
    /// How many bytes it had.
    pub bytes: usize,
}

/// An open pass file and the answers it holds, in the order given.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
    annotator: String,
    answers: Vec<Answer>,
}

impl Journal {
    /// Opens (or creates) the pass file of `annotator` at `path`. A last line without its line
    /// end that does not parse (a write cut short by a kill) is dropped from the file and
    /// returned; any other bad line, or a line by another annotator, is an error naming the
    /// file and line.
    pub fn open(
        path: &Path,
        annotator: &str,
    ) -> Result<(Journal, Option<TruncatedTail>), AnnotateError> {
        let io = |source| AnnotateError::Io {
            path: path.display().to_string(),
            source,
        };
        let text = match std::fs::read(path) {
            Ok(b) => String::from_utf8(b).map_err(|_| AnnotateError::Bad {
                path: path.display().to_string(),
                line: 0,
                message: "not UTF-8".into(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(io(e)),
        };
        let mut answers = Vec::new();
        let mut tail = None;
        let mut keep = 0; // bytes of the file that hold complete, valid lines
        let mut pos = 0;
        for (i, raw) in text.split_inclusive('\n').enumerate() {
            let lineno = i + 1;
            let complete = raw.ends_with('\n');
            pos += raw.len();
            if raw.trim().is_empty() {
                if complete {
                    keep = pos;
                }
                continue;
            }
            match serde_json::from_str::<Answer>(raw.trim_end()) {
                Ok(a) => {
                    if a.annotator != annotator {
                        return Err(AnnotateError::Bad {
                            path: path.display().to_string(),
                            line: lineno,
                            message: format!(
                                "an answer by `{}`, but this is the pass of `{annotator}` (one file per annotator)",
                                a.annotator
                            ),
                        });
                    }
                    answers.push(a);
                    keep = pos;
                }
                Err(_) if !complete => {
                    tail = Some(TruncatedTail {
                        line: lineno,
                        bytes: raw.len(),
                    });
                }
                Err(e) => {
                    return Err(AnnotateError::Bad {
                        path: path.display().to_string(),
                        line: lineno,
                        message: format!("not an answer line ({e})"),
                    })
                }
            }
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| AnnotateError::Io {
                path: parent.display().to_string(),
                source: e,
            })?;
        }
        // A valid last line without its line end gets one, and a cut line goes: rewrite the
        // file atomically so appends start on a fresh line.
        if keep != text.len() || !text.is_empty() && !text.ends_with('\n') {
            let mut fixed = text[..keep].to_string();
            if !fixed.is_empty() && !fixed.ends_with('\n') {
                fixed.push('\n');
            }
            crate::atomic::write_atomic(path, fixed.as_bytes()).map_err(io)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(io)?;
        Ok((
            Journal {
                path: path.to_path_buf(),
                file,
                annotator: annotator.to_string(),
                answers,
            },
            tail,
        ))
    }

    /// The pass file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The annotator whose pass this is.
    pub fn annotator(&self) -> &str {
        &self.annotator
    }

    /// The answers, oldest first.
    pub fn answers(&self) -> &[Answer] {
        &self.answers
    }

    /// Appends an answer and syncs it to disk; when this returns `Ok` the answer survives a
    /// kill or a crash.
    pub fn append(&mut self, answer: Answer) -> Result<(), AnnotateError> {
        let mut line = serde_json::to_string(&answer).map_err(|e| AnnotateError::Bad {
            path: self.path.display().to_string(),
            line: self.answers.len() + 1,
            message: e.to_string(),
        })?;
        line.push('\n');
        let io = |source| AnnotateError::Io {
            path: self.path.display().to_string(),
            source,
        };
        // One write of the whole line: a kill can cut it short only at the end of the file.
        self.file.write_all(line.as_bytes()).map_err(io)?;
        self.file.sync_data().map_err(io)?;
        self.answers.push(answer);
        Ok(())
    }

    /// Removes the last answer (also one given before a restart): the file is rewritten
    /// atomically without it. Returns the removed answer, `None` when there is none.
    pub fn undo(&mut self) -> Result<Option<Answer>, AnnotateError> {
        let Some(last) = self.answers.pop() else {
            return Ok(None);
        };
        let mut text = String::new();
        for a in &self.answers {
            text.push_str(&serde_json::to_string(a).expect("answers serialize"));
            text.push('\n');
        }
        let io = |source| AnnotateError::Io {
            path: self.path.display().to_string(),
            source,
        };
        if let Err(e) = crate::atomic::write_atomic(&self.path, text.as_bytes()) {
            self.answers.push(last);
            return Err(io(e));
        }
        // The old handle points at the replaced file: reopen the new one for appending.
        self.file = OpenOptions::new()
            .append(true)
            .open(&self.path)
            .map_err(io)?;
        Ok(Some(last))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(article: &str, index: usize, label: Label) -> Answer {
        Answer {
            article: article.into(),
            url: None,
            index,
            hash: format!("sha256:{index:016x}"),
            label,
            annotator: "ann".into(),
        }
    }

    #[test]
    fn answers_survive_reopening_and_read_as_gold_lines() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("passes/ann.jsonl");
        let (mut j, tail) = Journal::open(&p, "ann").unwrap();
        assert!(tail.is_none());
        j.append(answer("a1", 0, Label::RussianClaim)).unwrap();
        j.append(answer("a1", 1, Label::Context)).unwrap();
        drop(j);
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.starts_with(
            "{\"article\":\"a1\",\"index\":0,\"hash\":\"sha256:0000000000000000\",\"label\":\"claim\",\"annotator\":\"ann\"}\n"
        ));
        for line in text.lines() {
            let g: crate::gold::GoldLine = serde_json::from_str(line).unwrap();
            assert!(g.hash.is_some());
        }
        let (j, _) = Journal::open(&p, "ann").unwrap();
        assert_eq!(j.answers().len(), 2);
        assert_eq!(j.answers()[1].label, Label::Context);
    }

    #[test]
    fn a_cut_last_line_is_reported_and_dropped_and_appends_continue() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("ann.jsonl");
        let (mut j, _) = Journal::open(&p, "ann").unwrap();
        j.append(answer("a1", 0, Label::UsDenial)).unwrap();
        drop(j);
        let mut f = OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(b"{\"article\":\"a1\",\"ind").unwrap();
        drop(f);
        let (mut j, tail) = Journal::open(&p, "ann").unwrap();
        assert_eq!(tail, Some(TruncatedTail { line: 2, bytes: 20 }));
        assert_eq!(j.answers().len(), 1);
        j.append(answer("a1", 1, Label::Context)).unwrap();
        drop(j);
        let (j, tail) = Journal::open(&p, "ann").unwrap();
        assert!(tail.is_none());
        assert_eq!(j.answers().len(), 2);
        assert_eq!(std::fs::read_to_string(&p).unwrap().lines().count(), 2);
    }

    #[test]
    fn a_bad_complete_line_or_another_annotator_is_an_error_naming_the_line() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("ann.jsonl");
        std::fs::write(&p, "{\"article\":\"a\",\"index\":0,\"hash\":\"h\",\"label\":\"context\",\"annotator\":\"ann\"}\nnot json\n").unwrap();
        let e = Journal::open(&p, "ann").unwrap_err().to_string();
        assert!(e.contains("ann.jsonl:2"), "{e}");
        std::fs::write(&p, "{\"article\":\"a\",\"index\":0,\"hash\":\"h\",\"label\":\"context\",\"annotator\":\"bob\"}\n").unwrap();
        let e = Journal::open(&p, "ann").unwrap_err().to_string();
        assert!(e.contains("ann.jsonl:1") && e.contains("`bob`"), "{e}");
    }

    #[test]
    fn undo_removes_the_last_answer_also_after_reopening() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("ann.jsonl");
        let (mut j, _) = Journal::open(&p, "ann").unwrap();
        j.append(answer("a1", 0, Label::UsDenial)).unwrap();
        j.append(answer("a1", 1, Label::Context)).unwrap();
        drop(j);
        let (mut j, _) = Journal::open(&p, "ann").unwrap();
        let undone = j.undo().unwrap().unwrap();
        assert_eq!(undone.index, 1);
        j.append(answer("a1", 2, Label::ExpertSkepticism)).unwrap();
        drop(j);
        let (mut j, _) = Journal::open(&p, "ann").unwrap();
        let idx: Vec<usize> = j.answers().iter().map(|a| a.index).collect();
        assert_eq!(idx, [0, 2]);
        j.undo().unwrap();
        j.undo().unwrap();
        assert_eq!(j.undo().unwrap(), None);
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "");
    }
}
