//! Agreement between labelling passes (`claimtrack agreement`): reading passes (gold-format
//! JSONL, inline or stand-off, or `ARTICLE#INDEX<TAB>LABEL` lines; a folder of such files is
//! one pass), then Cohen's kappa for two passes or Fleiss' kappa for more, each label's
//! one-vs-rest kappa, the confusion matrix of two passes, and the sentences they label
//! differently, for adjudication.

use crate::label::Label;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What can go wrong reading passes.
#[derive(Debug, thiserror::Error)]
pub enum AgreementError {
    /// A file or folder could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A line is not a label line.
    #[error("{path}:{line}: {message}")]
    Bad {
        /// The file.
        path: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A pass holds no label.
    #[error("{0}: no labels found (expected .jsonl gold lines or ARTICLE#INDEX<TAB>LABEL lines)")]
    Empty(String),
    /// Fewer than two passes.
    #[error("agreement needs at least two passes (got {0})")]
    TooFew(usize),
    /// The passes share no sentence.
    #[error("the passes label no sentence in common")]
    NoOverlap,
}

/// The key of a labelled sentence: article id and sentence index.
pub type Key = (String, usize);

/// One annotator's labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Pass {
    /// A short name (the file's or folder's name without extension).
    pub name: String,
    /// Where it was read from.
    pub path: PathBuf,
    /// The labels by sentence.
    pub labels: BTreeMap<Key, Label>,
    /// Sentence texts that inline lines carry.
    pub texts: BTreeMap<Key, String>,
}

/// Reads labels, accepting the default story's names, the role names and `names` (a
/// project's display names, in [`Label::ALL`] order).
pub fn parse_label(s: &str, names: Option<&[String; 4]>) -> Option<Label> {
    if let Ok(l) = s.parse::<Label>() {
        return Some(l);
    }
    let s = s.trim();
    names.and_then(|n| Label::ALL.into_iter().find(|l| n[l.index()] == s))
}

/// Reads a pass: a `.jsonl` or `.tsv` file, or a folder of them (sorted; not its
/// subfolders). A sentence labelled twice in one pass is an error naming both lines.
pub fn read_pass(path: &Path, names: Option<&[String; 4]>) -> Result<Pass, AgreementError> {
    let io = |source| AgreementError::Io {
        path: path.display().to_string(),
        source,
    };
    let files: Vec<PathBuf> = if path.is_dir() {
        let mut f: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(io)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "jsonl" || x == "tsv"))
            .collect();
        f.sort();
        f
    } else {
        vec![path.to_path_buf()]
    };
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let mut pass = Pass {
        name,
        path: path.to_path_buf(),
        labels: BTreeMap::new(),
        texts: BTreeMap::new(),
    };
    let mut first_line: BTreeMap<Key, String> = BTreeMap::new();
    for file in files {
        let shown = file.display().to_string();
        let text = std::fs::read_to_string(&file).map_err(|e| AgreementError::Io {
            path: shown.clone(),
            source: e,
        })?;
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let bad = |message: String| AgreementError::Bad {
                path: shown.clone(),
                line,
                message,
            };
            if raw.trim().is_empty() {
                continue;
            }
            let (key, label, sentence) = if raw.trim_start().starts_with('{') {
                let v: serde_json::Value =
                    serde_json::from_str(raw).map_err(|e| bad(format!("not a JSON line ({e})")))?;
                let article = v["article"]
                    .as_str()
                    .ok_or_else(|| bad("no \"article\"".into()))?;
                let index = v["index"]
                    .as_u64()
                    .ok_or_else(|| bad("no \"index\" (a number)".into()))?;
                let l = v["label"]
                    .as_str()
                    .ok_or_else(|| bad("no \"label\"".into()))?;
                let label = parse_label(l, names).ok_or_else(|| {
                    bad(format!("unknown label `{}`", crate::escape::controls(l)))
                })?;
                let t = v["text"].as_str().map(str::to_string);
                ((article.to_string(), index as usize), label, t)
            } else {
                let mut cols = raw.split('\t');
                let id = cols.next().unwrap_or_default();
                let l = cols
                    .next()
                    .ok_or_else(|| bad("expected ARTICLE#INDEX<TAB>LABEL".into()))?;
                let (article, index) = id
                    .rsplit_once('#')
                    .and_then(|(a, i)| Some((a, i.parse::<usize>().ok()?)))
                    .ok_or_else(|| {
                        bad(format!(
                            "`{}` is not ARTICLE#INDEX",
                            crate::escape::controls(id)
                        ))
                    })?;
                let label = parse_label(l, names).ok_or_else(|| {
                    bad(format!("unknown label `{}`", crate::escape::controls(l)))
                })?;
                ((article.to_string(), index), label, None)
            };
            let here = format!("{shown}:{line}");
            if let Some(first) = first_line.insert(key.clone(), here) {
                return Err(bad(format!(
                    "`{}#{}` is labelled twice in this pass (first at {first})",
                    key.0, key.1
                )));
            }
            if let Some(t) = sentence {
                pass.texts.insert(key.clone(), t);
            }
            pass.labels.insert(key, label);
        }
    }
    if pass.labels.is_empty() {
        return Err(AgreementError::Empty(path.display().to_string()));
    }
    Ok(pass)
}

/// A sentence the passes label differently.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Disagreement {
    /// Article id.
    pub article: String,
    /// Sentence index.
    pub index: usize,
    /// The sentence, when known.
    pub text: Option<String>,
    /// Each pass's label, in pass order.
    pub labels: Vec<Label>,
}

/// How far the passes agree on the sentences they all label.
#[derive(Debug, Clone, PartialEq)]
pub struct Agreement {
    /// The passes' names, in the order given.
    pub passes: Vec<String>,
    /// Labels in each pass.
    pub sizes: Vec<usize>,
    /// Sentences every pass labels.
    pub overlap: usize,
    /// Share of those on which all passes agree.
    pub observed: f64,
    /// Cohen's kappa (two passes) or Fleiss' kappa (more); `None` when undefined (every
    /// label the same).
    pub kappa: Option<f64>,
    /// Each label against the rest, in [`Label::ALL`] order (same statistic).
    pub per_label: [Option<f64>; 4],
    /// Two passes: counts with the first pass's label as row, the second's as column.
    pub confusion: Option<[[usize; 4]; 4]>,
    /// Sentences labelled differently, by article and index.
    pub disagreements: Vec<Disagreement>,
}

/// Cohen's kappa of two label sequences over `k` categories; `None` when chance agreement
/// is 1.
pub fn cohen_kappa(a: &[usize], b: &[usize], k: usize) -> Option<f64> {
    let n = a.len() as f64;
    if a.is_empty() {
        return None;
    }
    let po = a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / n;
    let pe: f64 = (0..k)
        .map(|c| {
            let pa = a.iter().filter(|&&x| x == c).count() as f64 / n;
            let pb = b.iter().filter(|&&y| y == c).count() as f64 / n;
            pa * pb
        })
        .sum();
    (pe < 1.0).then(|| (po - pe) / (1.0 - pe))
}

/// Fleiss' kappa: `ratings[i]` are the raters' categories for item `i` (same number of raters
/// for every item, at least two); `None` when chance agreement is 1.
pub fn fleiss_kappa(ratings: &[Vec<usize>], k: usize) -> Option<f64> {
    let n_items = ratings.len() as f64;
    let n = ratings.first()?.len() as f64;
    if n < 2.0 {
        return None;
    }
    let mut totals = vec![0.0; k];
    let mut p_bar = 0.0;
    for r in ratings {
        let mut counts = vec![0.0; k];
        for &c in r {
            counts[c] += 1.0;
            totals[c] += 1.0;
        }
        p_bar += (counts.iter().map(|x| x * x).sum::<f64>() - n) / (n * (n - 1.0));
    }
    p_bar /= n_items;
    let pe: f64 = totals.iter().map(|t| (t / (n_items * n)).powi(2)).sum();
    (pe < 1.0).then(|| (p_bar - pe) / (1.0 - pe))
}

fn kappa_of(ratings: &[Vec<usize>], k: usize) -> Option<f64> {
    if ratings.first().is_some_and(|r| r.len() == 2) {
        let a: Vec<usize> = ratings.iter().map(|r| r[0]).collect();
        let b: Vec<usize> = ratings.iter().map(|r| r[1]).collect();
        cohen_kappa(&a, &b, k)
    } else {
        fleiss_kappa(ratings, k)
    }
}

/// Measures the agreement of two or more passes on the sentences all of them label;
/// `texts` fills in sentence texts the passes do not carry.
pub fn measure(
    passes: &[Pass],
    texts: &BTreeMap<Key, String>,
) -> Result<Agreement, AgreementError> {
    if passes.len() < 2 {
        return Err(AgreementError::TooFew(passes.len()));
    }
    let keys: Vec<&Key> = passes[0]
        .labels
        .keys()
        .filter(|k| passes[1..].iter().all(|p| p.labels.contains_key(*k)))
        .collect();
    if keys.is_empty() {
        return Err(AgreementError::NoOverlap);
    }
    let ratings: Vec<Vec<usize>> = keys
        .iter()
        .map(|k| passes.iter().map(|p| p.labels[*k].index()).collect())
        .collect();
    let agree = ratings
        .iter()
        .filter(|r| r.iter().all(|&c| c == r[0]))
        .count();
    let per_label = Label::ALL.map(|l| {
        let bin: Vec<Vec<usize>> = ratings
            .iter()
            .map(|r| r.iter().map(|&c| usize::from(c == l.index())).collect())
            .collect();
        kappa_of(&bin, 2)
    });
    let confusion = (passes.len() == 2).then(|| {
        let mut m = [[0usize; 4]; 4];
        for r in &ratings {
            m[r[0]][r[1]] += 1;
        }
        m
    });
    let disagreements = keys
        .iter()
        .zip(&ratings)
        .filter(|(_, r)| r.iter().any(|&c| c != r[0]))
        .map(|(k, r)| Disagreement {
            article: k.0.clone(),
            index: k.1,
            text: passes
                .iter()
                .find_map(|p| p.texts.get(*k))
                .or_else(|| texts.get(*k))
                .cloned(),
            labels: r.iter().map(|&c| Label::ALL[c]).collect(),
        })
        .collect();
    Ok(Agreement {
        passes: passes.iter().map(|p| p.name.clone()).collect(),
        sizes: passes.iter().map(|p| p.labels.len()).collect(),
        overlap: keys.len(),
        observed: agree as f64 / keys.len() as f64,
        kappa: kappa_of(&ratings, 4),
        per_label,
        confusion,
        disagreements,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pass(name: &str, labels: &[Label]) -> Pass {
        Pass {
            name: name.into(),
            path: PathBuf::from(name),
            labels: labels
                .iter()
                .enumerate()
                .map(|(i, l)| (("a".to_string(), i), *l))
                .collect(),
            texts: BTreeMap::new(),
        }
    }

    use Label::{Context as X, ExpertSkepticism as S, RussianClaim as C, UsDenial as D};

    #[test]
    fn cohen_kappa_matches_a_hand_computed_example() {
        // 10 sentences: A says claim for the first five, context for the rest; B agrees on
        // 8 (one claim -> context, one context -> claim). Observed 0.8; both passes give
        // each label half the time, so chance agreement is 0.5: kappa = 0.3 / 0.5 = 0.6.
        let a = pass("a", &[C, C, C, C, C, X, X, X, X, X]);
        let b = pass("b", &[C, C, C, C, X, C, X, X, X, X]);
        let r = measure(&[a, b], &BTreeMap::new()).unwrap();
        assert_eq!(r.overlap, 10);
        assert!((r.observed - 0.8).abs() < 1e-12);
        assert!((r.kappa.unwrap() - 0.6).abs() < 1e-12);
        assert!((r.per_label[C.index()].unwrap() - 0.6).abs() < 1e-12);
        assert_eq!(r.per_label[D.index()], None); // never used: undefined
        let m = r.confusion.unwrap();
        assert_eq!(m[C.index()][C.index()], 4);
        assert_eq!(m[C.index()][X.index()], 1);
        assert_eq!(m[X.index()][C.index()], 1);
        assert_eq!(r.disagreements.len(), 2);
        assert_eq!(r.disagreements[0].index, 4);
        assert_eq!(r.disagreements[0].labels, [C, X]);
    }

    #[test]
    fn cohen_kappa_with_unequal_margins() {
        // A: D D D S; B: D D S S. po = 3/4; pe = (3/4)(2/4) + (1/4)(2/4) = 1/2;
        // kappa = (3/4 - 1/2) / (1/2) = 1/2.
        let r = measure(
            &[pass("a", &[D, D, D, S]), pass("b", &[D, D, S, S])],
            &BTreeMap::new(),
        )
        .unwrap();
        assert!((r.kappa.unwrap() - 0.5).abs() < 1e-12);
    }

    #[test]
    fn fleiss_kappa_matches_a_hand_computed_example() {
        // 4 sentences, 3 passes: (C C C), (C C X), (X X X), (C X X). Per-item agreement
        // 1, 1/3, 1, 1/3: mean 2/3. Claim is half of the 12 labels: chance 1/2.
        // kappa = (2/3 - 1/2) / (1/2) = 1/3.
        let r = measure(
            &[
                pass("a", &[C, C, X, C]),
                pass("b", &[C, C, X, X]),
                pass("c", &[C, X, X, X]),
            ],
            &BTreeMap::new(),
        )
        .unwrap();
        assert!((r.kappa.unwrap() - 1.0 / 3.0).abs() < 1e-12);
        assert!(r.confusion.is_none());
        assert_eq!(r.disagreements.len(), 2);
        assert!((r.observed - 0.5).abs() < 1e-12);
    }

    #[test]
    fn passes_read_jsonl_tsv_and_folders_with_any_label_name() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().join("passA");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("p1.tsv"), "x1#0\tclaim\nx1#1\tcontext\tnote\n").unwrap();
        std::fs::write(
            dir.join("p2.jsonl"),
            "{\"article\":\"x2\",\"index\":3,\"hash\":\"h\",\"label\":\"us_denial\"}\n{\"article\":\"x2\",\"index\":4,\"text\":\"T.\",\"label\":\"doubt\"}\n",
        )
        .unwrap();
        let names = ["c".to_string(), "d".into(), "doubt".into(), "ctx".into()];
        let p = read_pass(&dir, Some(&names)).unwrap();
        assert_eq!(p.name, "passA");
        assert_eq!(p.labels.len(), 4);
        assert_eq!(p.labels[&("x2".to_string(), 4)], S);
        assert_eq!(p.texts[&("x2".to_string(), 4)], "T.");
        let e = read_pass(&dir, None).unwrap_err().to_string();
        assert!(e.contains("p2.jsonl:2") && e.contains("`doubt`"), "{e}");
        std::fs::write(dir.join("p3.tsv"), "x1#0\tcontext\n").unwrap();
        let e = read_pass(&dir, Some(&names)).unwrap_err().to_string();
        assert!(
            e.contains("p3.tsv:1") && e.contains("labelled twice"),
            "{e}"
        );
        std::fs::write(dir.join("p3.tsv"), "x1-0\tcontext\n").unwrap();
        let e = read_pass(&dir, Some(&names)).unwrap_err().to_string();
        assert!(e.contains("not ARTICLE#INDEX"), "{e}");
    }
}
