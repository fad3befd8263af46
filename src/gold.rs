//! Gold (hand-labelled) data: reading `data/gold/*.jsonl`, joining stand-off labels to
//! article texts, and turning both into training [`Example`]s.

use crate::label::{Label, LabelNames};
use crate::sentence::Role;
use serde::{Deserialize, Serialize};

/// One labelled sentence ready for training or evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Example {
    /// The sentence text.
    pub text: String,
    /// Its gold label.
    pub label: Label,
    /// Article id: the grouping key for cross-validation (syndicated copies must not leak).
    pub article: String,
    /// Outlet name: the grouping key for leave-one-outlet-out evaluation.
    pub outlet: String,
    /// Index of the sentence in its article.
    pub index: usize,
    /// Position role of the sentence.
    pub role: Role,
}

use crate::article::{expand_inputs, read_articles, IngestError, IngestOptions, Source};
use crate::clean::Cleaner;
use crate::split::article_sentences;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

/// Errors while reading gold data. Each names the file and line.
#[derive(Debug, thiserror::Error)]
pub enum GoldError {
    /// A gold file or directory could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A gold line is malformed.
    #[error("{path}:{line}: {message}")]
    Bad {
        /// The gold file.
        path: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// No gold lines were found.
    #[error("{0}: no gold labels found (expected .jsonl files with a `label` on each line)")]
    Empty(String),
    /// Stand-off labels point to an article that is not in the articles directory.
    #[error("{path}:{line}: article `{article}` is not in {dir}; pass the directory holding the labelled articles with --articles")]
    MissingArticle {
        /// The gold file.
        path: String,
        /// 1-based line.
        line: usize,
        /// The article id.
        article: String,
        /// The articles directory searched.
        dir: String,
    },
    /// A stand-off label no longer matches its sentence.
    #[error("{path}:{line}: article `{article}` sentence {index}: {message}; the article text or the sentence splitter changed, so the label no longer fits (re-annotate or restore the original text)")]
    Mismatch {
        /// The gold file.
        path: String,
        /// 1-based line.
        line: usize,
        /// The article id.
        article: String,
        /// Sentence index.
        index: usize,
        /// What differs.
        message: String,
    },
    /// The articles could not be read.
    #[error(transparent)]
    Ingest(#[from] IngestError),
}

/// One line of a gold file: either inline (with `text`) or stand-off (with `hash`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoldLine {
    /// Article id (the article file's stem).
    pub article: String,
    /// Outlet (inline gold).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outlet: Option<String>,
    /// Address of the article (stand-off gold), so users can obtain the text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Sentence index within the article, as `claimtrack sentences` numbers it.
    pub index: usize,
    /// The sentence text (inline gold only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// [`sentence_hash`] of the sentence text (stand-off gold).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// Position role (inline gold; stand-off gold takes it from the re-split article).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// The gold label.
    pub label: Label,
}

/// A loaded gold set: the examples and what they were made from.
#[derive(Debug, Clone, Default)]
pub struct GoldSet {
    /// All labelled sentences, in file order.
    pub examples: Vec<Example>,
    /// Each gold file read, with the sha256 of its bytes.
    pub files: Vec<(String, String)>,
    /// Each article a stand-off label was joined to, with the sha256 of its file bytes.
    pub articles: BTreeMap<String, String>,
    /// Stand-off labels not used because no articles directory was given.
    pub skipped_standoff: usize,
    /// Files that held the skipped stand-off labels.
    pub skipped_files: Vec<String>,
}

/// The hash that ties a stand-off label to its sentence: `sha256:` and the first 16 hex
/// digits of the SHA-256 of the sentence text.
pub fn sentence_hash(text: &str) -> String {
    let d = Sha256::digest(text.as_bytes());
    let hex: String = d.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// Full hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Loads gold from a `.jsonl` file or a directory of them (sorted). Inline lines carry
/// their text; stand-off lines are joined to the articles under `articles` by
/// re-reading and re-splitting them, and fail clearly on a missing article or a hash
/// mismatch. Without `articles`, stand-off lines are counted in
/// [`GoldSet::skipped_standoff`] and left out.
pub fn load(path: &Path, articles: &[&Path]) -> Result<GoldSet, GoldError> {
    load_named(path, articles, &LabelNames::default())
}

/// [`load`], where labels may also be written by the display names of `names` (a claim
/// project's), besides the default story's names and the role names.
pub fn load_named(
    path: &Path,
    articles: &[&Path],
    names: &LabelNames,
) -> Result<GoldSet, GoldError> {
    let files = gold_files(path)?;
    let mut set = GoldSet::default();
    let mut index: Option<ArticleIndex> = None;
    for file in files {
        let name = file.display().to_string();
        let bytes = fs::read(&file).map_err(|e| GoldError::Io {
            path: name.clone(),
            source: e,
        })?;
        set.files.push((name.clone(), sha256_hex(&bytes)));
        let text = String::from_utf8(bytes).map_err(|e| GoldError::Bad {
            path: name.clone(),
            line: 0,
            message: format!("not UTF-8 ({e})"),
        })?;
        let mut skipped_here = 0;
        for (i, raw) in text.lines().enumerate() {
            let lineno = i + 1;
            if raw.trim().is_empty() {
                continue;
            }
            let parsed = if names.has_default_labels() {
                serde_json::from_str::<GoldLine>(raw)
            } else {
                serde_json::from_str::<serde_json::Value>(raw).and_then(|mut v| {
                    names.canonical_json(&mut v);
                    serde_json::from_value::<GoldLine>(v)
                })
            };
            let line: GoldLine = parsed.map_err(|e| GoldError::Bad {
                path: name.clone(),
                line: lineno,
                message: format!("not a gold line ({e}); expected {{\"article\",\"index\",\"text\" or \"hash\",\"label\"}}"),
            })?;
            if let Some(t) = line.text.clone() {
                set.examples.push(Example {
                    text: t,
                    label: line.label,
                    article: line.article.clone(),
                    outlet: line.outlet.clone().unwrap_or_else(|| "unknown".into()),
                    index: line.index,
                    role: line.role.unwrap_or(Role::Body),
                });
                continue;
            }
            let Some(hash) = line.hash.clone() else {
                return Err(GoldError::Bad {
                    path: name.clone(),
                    line: lineno,
                    message: "a gold line needs `text` (inline) or `hash` (stand-off)".into(),
                });
            };
            if articles.is_empty() {
                skipped_here += 1;
                continue;
            }
            if index.is_none() {
                index = Some(ArticleIndex::build(articles)?);
            }
            let idx = index.as_ref().expect("built above");
            let Some(entry) = idx.articles.get(&line.article) else {
                return Err(GoldError::MissingArticle {
                    path: name.clone(),
                    line: lineno,
                    article: line.article.clone(),
                    dir: articles
                        .iter()
                        .map(|d| d.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            };
            let Some(s) = entry.sentences.get(line.index) else {
                return Err(GoldError::Mismatch {
                    path: name.clone(),
                    line: lineno,
                    article: line.article.clone(),
                    index: line.index,
                    message: format!(
                        "the article now has only {} sentences",
                        entry.sentences.len()
                    ),
                });
            };
            let found = sentence_hash(&s.text);
            if found != hash {
                return Err(GoldError::Mismatch {
                    path: name.clone(),
                    line: lineno,
                    article: line.article.clone(),
                    index: line.index,
                    message: format!("text hash differs (labelled {hash}, found {found})"),
                });
            }
            set.articles
                .insert(line.article.clone(), entry.file_sha256.clone());
            set.examples.push(Example {
                text: s.text.clone(),
                label: line.label,
                article: line.article.clone(),
                outlet: s.outlet.clone(),
                index: line.index,
                role: s.role,
            });
        }
        if skipped_here > 0 {
            set.skipped_standoff += skipped_here;
            set.skipped_files.push(name);
        }
    }
    if set.examples.is_empty() && set.skipped_standoff == 0 {
        return Err(GoldError::Empty(path.display().to_string()));
    }
    Ok(set)
}

fn gold_files(path: &Path) -> Result<Vec<PathBuf>, GoldError> {
    let meta = fs::metadata(path).map_err(|e| GoldError::Io {
        path: path.display().to_string(),
        source: e,
    })?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = fs::read_dir(path)
        .map_err(|e| GoldError::Io {
            path: path.display().to_string(),
            source: e,
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().map(|x| x == "jsonl").unwrap_or(false))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(GoldError::Empty(path.display().to_string()));
    }
    Ok(files)
}

struct IndexedArticle {
    file_sha256: String,
    sentences: Vec<crate::sentence::Sentence>,
}

struct ArticleIndex {
    articles: HashMap<String, IndexedArticle>,
}

impl ArticleIndex {
    fn build(dirs: &[&Path]) -> Result<ArticleIndex, GoldError> {
        let cleaner = Cleaner::default();
        let mut articles: HashMap<String, IndexedArticle> = HashMap::new();
        let mut first_seen: HashMap<String, String> = HashMap::new();
        let mut warnings = Vec::new();
        for source in expand_inputs(dirs, &mut warnings)? {
            let Source::File(file) = source else { continue };
            let bytes = fs::read(&file).map_err(|e| GoldError::Io {
                path: file.display().to_string(),
                source: e,
            })?;
            let sha = sha256_hex(&bytes);
            let mut warnings = Vec::new();
            for a in read_articles(&[&file], &IngestOptions::default(), &mut warnings)? {
                if let Some(first) = first_seen.insert(a.id.clone(), a.source.clone()) {
                    return Err(GoldError::Ingest(IngestError::DuplicateId {
                        id: a.id.clone(),
                        first,
                        second: a.source.clone(),
                    }));
                }
                let (sentences, _) = article_sentences(&a, &cleaner);
                articles.insert(
                    a.id.clone(),
                    IndexedArticle {
                        file_sha256: sha.clone(),
                        sentences,
                    },
                );
            }
        }
        Ok(ArticleIndex { articles })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
        let p = dir.join(name);
        fs::write(&p, body).unwrap();
        p
    }

    #[test]
    fn inline_gold_loads_with_labels_and_hashes() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "a.jsonl", "{\"article\":\"a1\",\"outlet\":\"O\",\"index\":0,\"role\":\"headline\",\"text\":\"Putin open to talks\",\"label\":\"russian_claim\"}\n\n{\"article\":\"a1\",\"outlet\":\"O\",\"index\":1,\"text\":\"Aid stalled.\",\"label\":\"context\"}\n");
        let g = load(d.path(), &[]).unwrap();
        assert_eq!(g.examples.len(), 2);
        assert_eq!(g.examples[0].label, Label::RussianClaim);
        assert_eq!(g.examples[0].role, Role::Headline);
        assert_eq!(g.examples[1].outlet, "O");
        assert_eq!(g.files.len(), 1);
        assert_eq!(g.files[0].1.len(), 64);
    }

    #[test]
    fn bad_lines_and_unknown_labels_name_file_and_line() {
        let d = tempfile::tempdir().unwrap();
        let p = write(d.path(), "g.jsonl", "{\"article\":\"a\",\"index\":0,\"text\":\"x\",\"label\":\"context\"}\n{\"article\":\"a\",\"index\":1,\"text\":\"y\",\"label\":\"claims\"}\n");
        let e = load(&p, &[]).unwrap_err().to_string();
        assert!(e.contains("g.jsonl:2"), "{e}");
        assert!(e.contains("claims"), "{e}");
    }

    #[test]
    fn standoff_labels_hydrate_and_detect_changes() {
        let d = tempfile::tempdir().unwrap();
        let arts = d.path().join("arts");
        fs::create_dir(&arts).unwrap();
        write(
            &arts,
            "x1.txt",
            "---\noutlet: Wire\n---\nPutin is open to talks, sources said. The US denied it.\n",
        );
        let h0 = sentence_hash("Putin is open to talks, sources said.");
        let h1 = sentence_hash("The US denied it.");
        let gold = write(
            d.path(),
            "c.labels.jsonl",
            &format!("{{\"article\":\"x1\",\"index\":0,\"hash\":\"{h0}\",\"label\":\"russian_claim\"}}\n{{\"article\":\"x1\",\"index\":1,\"hash\":\"{h1}\",\"label\":\"us_denial\"}}\n"),
        );
        let g = load(&gold, &[arts.as_path()]).unwrap();
        assert_eq!(g.examples.len(), 2);
        assert_eq!(g.examples[1].text, "The US denied it.");
        assert_eq!(g.examples[1].outlet, "Wire");
        assert!(g.articles.contains_key("x1"));
        // Without the articles the stand-off lines are skipped, and counted.
        let g = load(&gold, &[]).unwrap();
        assert_eq!(g.skipped_standoff, 2);
        assert!(g.examples.is_empty());
        // A changed article is detected, naming article and index.
        write(&arts, "x1.txt", "---\noutlet: Wire\n---\nPutin is open to talks, sources said. The US denied it firmly.\n");
        let e = load(&gold, &[arts.as_path()]).unwrap_err().to_string();
        assert!(
            e.contains("c.labels.jsonl:2") && e.contains("`x1` sentence 1"),
            "{e}"
        );
        // A missing article is named.
        fs::remove_file(arts.join("x1.txt")).unwrap();
        write(&arts, "other.txt", "---\noutlet: W\n---\nText.\n");
        let e = load(&gold, &[arts.as_path()]).unwrap_err().to_string();
        assert!(e.contains("`x1` is not in"), "{e}");
    }
}
