//! Claim projects: the `claimtrack.toml` file that names a tracked claim, its four roles'
//! display names and descriptions, and where its cue lexicon, hedge list, framing settings,
//! gold labels, articles, framing reference and model live (docs/PROJECTS.md). Owns reading
//! and checking that file, finding it by walking up from a folder, and the template that
//! `claimtrack init` writes.

use crate::label::{Label, LabelNames, RoleNames};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The project file's name.
pub const CONFIG_FILE: &str = "claimtrack.toml";

/// Longest claim sentence accepted, in characters.
pub const MAX_CLAIM_CHARS: usize = 500;
/// Longest role description accepted, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 300;
/// Longest short wording of the claim (`claim_short`) accepted, in characters.
pub const MAX_SHORT_CHARS: usize = 80;
/// The short wording of a claim whose project gives none and names its labels its own way.
pub const GENERIC_SHORT: &str = "the claim";
/// Longest display name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 40;
/// Most article folders a project may list.
pub const MAX_ARTICLE_FOLDERS: usize = 64;
/// Largest project file read, in bytes.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// What can go wrong reading a project.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    /// The file could not be read.
    #[error("cannot read the project file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML or does not match the format (message has line and column).
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message, with the line and column.
        message: String,
    },
    /// A key holds a value that is not allowed.
    #[error("{path}: `{key}`: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The key, dotted (`labels.claim.name`).
        key: String,
        /// What is wrong.
        message: String,
    },
    /// A path given by a key does not exist.
    #[error("{path}: `{key}`: {} does not exist{hint}", target.display())]
    Missing {
        /// The project file.
        path: PathBuf,
        /// The key, dotted (`paths.cues`).
        key: String,
        /// The missing file or folder, resolved against the project's folder.
        target: PathBuf,
        /// What to do about it (may be empty).
        hint: String,
    },
    /// `--project DIR` names a folder without a project file.
    #[error("{} holds no {CONFIG_FILE} (create one with `claimtrack init DIR --claim \"...\"`)", dir.display())]
    NotAProject {
        /// The folder.
        dir: PathBuf,
    },
    /// `init` would overwrite an existing project.
    #[error("{} already exists; claimtrack init does not overwrite a project", path.display())]
    Exists {
        /// The existing file.
        path: PathBuf,
    },
    /// `init` could not write a file.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// One role's display name and one-line description.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleName {
    /// The name shown for the label in reports and outputs (`russian_claim`).
    pub name: String,
    /// What a sentence of this role does, in one line.
    pub description: String,
}

/// The four roles' names (the `[labels]` table).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Labels {
    /// The role `claim`.
    pub claim: RoleName,
    /// The role `denial`.
    pub denial: RoleName,
    /// The role `skepticism`.
    pub skepticism: RoleName,
    /// The role `context`.
    pub context: RoleName,
}

impl Labels {
    /// The role's entry.
    pub fn get(&self, label: Label) -> &RoleName {
        match label {
            Label::RussianClaim => &self.claim,
            Label::UsDenial => &self.denial,
            Label::ExpertSkepticism => &self.skepticism,
            Label::Context => &self.context,
        }
    }

    /// The display names in [`Label::ALL`] order.
    pub fn names(&self) -> [String; 4] {
        Label::ALL.map(|l| self.get(l).name.clone())
    }

    /// True when the names are the default story's (`russian_claim`, `us_denial`, ...).
    pub fn are_default(&self) -> bool {
        Label::ALL.iter().all(|l| self.get(*l).name == l.as_str())
    }
}

/// The `[paths]` table as written (relative to the project file's folder).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPaths {
    cues: PathBuf,
    hedges: PathBuf,
    framing: PathBuf,
    gold: PathBuf,
    articles: Vec<PathBuf>,
    #[serde(default)]
    reference: Option<PathBuf>,
    #[serde(default)]
    model: Option<PathBuf>,
    #[serde(default)]
    guidelines: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    claim: String,
    #[serde(default)]
    claim_short: Option<String>,
    labels: Labels,
    paths: RawPaths,
}

/// A loaded, checked project. Paths are resolved against the project file's folder.
#[derive(Debug, Clone)]
pub struct Project {
    /// The project file.
    pub file: PathBuf,
    /// The folder holding it.
    pub dir: PathBuf,
    /// The tracked claim, one sentence.
    pub claim: String,
    /// The claim in a few words, as report text uses it (`claim_short`), if given.
    pub claim_short: Option<String>,
    /// The roles' display names and descriptions.
    pub labels: Labels,
    /// The cue lexicon (`paths.cues`).
    pub cues: PathBuf,
    /// The hedge list (`paths.hedges`).
    pub hedges: PathBuf,
    /// The framing settings (`paths.framing`).
    pub framing: PathBuf,
    /// The gold labels, a folder or a .jsonl file (`paths.gold`).
    pub gold: PathBuf,
    /// The article folders (`paths.articles`); checked when used, since the command line
    /// may replace them.
    pub articles: Vec<PathBuf>,
    /// The framing reference (`paths.reference`), if any.
    pub reference: Option<PathBuf>,
    /// The model file (`paths.model`; default `model.json` in the project's folder).
    pub model: PathBuf,
    /// The labelling guidelines (`paths.guidelines`), if any: what `annotate` shows on `?`.
    pub guidelines: Option<PathBuf>,
}

impl Project {
    /// Reads and checks the project file `file`.
    pub fn load(file: &Path) -> Result<Project, ProjectError> {
        let read = |source| ProjectError::Read {
            path: file.to_path_buf(),
            source,
        };
        let len = std::fs::metadata(file).map_err(read)?.len();
        if len > MAX_CONFIG_BYTES {
            return Err(ProjectError::Invalid {
                path: file.to_path_buf(),
                key: "(file)".into(),
                message: format!("{len} bytes; a project file is at most {MAX_CONFIG_BYTES}"),
            });
        }
        let text = std::fs::read_to_string(file).map_err(read)?;
        Project::parse(&text, file)
    }

    /// Parses and checks project text that was read from `file` (used to resolve paths and
    /// in messages).
    pub fn parse(text: &str, file: &Path) -> Result<Project, ProjectError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ProjectError::Parse {
            path: file.to_path_buf(),
            message: parse_message(text, &e),
        })?;
        let invalid = |key: &str, message: String| ProjectError::Invalid {
            path: file.to_path_buf(),
            key: key.to_string(),
            message,
        };
        check_line(&raw.claim, MAX_CLAIM_CHARS).map_err(|m| invalid("claim", m))?;
        if let Some(short) = &raw.claim_short {
            check_line(short, MAX_SHORT_CHARS).map_err(|m| invalid("claim_short", m))?;
        }
        let mut seen: Vec<&str> = Vec::new();
        for l in Label::ALL {
            let r = raw.labels.get(l);
            let key = format!("labels.{}", l.role());
            check_name(&r.name).map_err(|m| invalid(&format!("{key}.name"), m))?;
            if seen.contains(&r.name.as_str()) {
                return Err(invalid(
                    &format!("{key}.name"),
                    format!("`{}` is already the name of another role", r.name),
                ));
            }
            seen.push(&r.name);
            check_line(&r.description, MAX_DESCRIPTION_CHARS)
                .map_err(|m| invalid(&format!("{key}.description"), m))?;
        }
        let dir = match file.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let resolve = |key: &str, p: &Path| -> Result<PathBuf, ProjectError> {
            if p.as_os_str().is_empty() {
                return Err(invalid(key, "the path is empty".into()));
            }
            Ok(join(&dir, p))
        };
        let exists = |key: &str, p: &Path| -> Result<PathBuf, ProjectError> {
            let full = resolve(key, p)?;
            if !full.exists() {
                return Err(ProjectError::Missing {
                    path: file.to_path_buf(),
                    key: key.to_string(),
                    target: full,
                    hint: String::new(),
                });
            }
            Ok(full)
        };
        let p = &raw.paths;
        let cues = exists("paths.cues", &p.cues)?;
        let hedges = exists("paths.hedges", &p.hedges)?;
        let framing = exists("paths.framing", &p.framing)?;
        let gold = exists("paths.gold", &p.gold)?;
        if p.articles.len() > MAX_ARTICLE_FOLDERS {
            return Err(invalid(
                "paths.articles",
                format!(
                    "{} folders; at most {MAX_ARTICLE_FOLDERS}",
                    p.articles.len()
                ),
            ));
        }
        let articles = p
            .articles
            .iter()
            .map(|a| resolve("paths.articles", a))
            .collect::<Result<Vec<_>, _>>()?;
        let reference = match &p.reference {
            Some(r) => Some(exists("paths.reference", r)?),
            None => None,
        };
        let guidelines = match &p.guidelines {
            Some(g) => Some(exists("paths.guidelines", g)?),
            None => None,
        };
        let model = match &p.model {
            Some(m) => resolve("paths.model", m)?,
            None => join(&dir, Path::new("model.json")),
        };
        Ok(Project {
            file: file.to_path_buf(),
            dir,
            claim: raw.claim.trim().to_string(),
            claim_short: raw.claim_short.map(|c| c.trim().to_string()),
            labels: raw.labels,
            cues,
            hedges,
            framing,
            gold,
            articles,
            reference,
            model,
            guidelines,
        })
    }

    /// The project of `--project DIR`: `DIR/claimtrack.toml`, or DIR itself when it is a file.
    pub fn open(dir_or_file: &Path) -> Result<Project, ProjectError> {
        if dir_or_file.is_dir() {
            let file = dir_or_file.join(CONFIG_FILE);
            if !file.is_file() {
                return Err(ProjectError::NotAProject {
                    dir: dir_or_file.to_path_buf(),
                });
            }
            return Project::load(&file);
        }
        Project::load(dir_or_file)
    }

    /// What outputs call the labels and the claim: the display names, the claim, and its
    /// short wording (`claim_short`; without it, the default story's "the back channel" when
    /// the names are the default story's, else "the claim").
    pub fn label_names(&self) -> LabelNames {
        let labels = RoleNames::from_array(self.labels.names());
        let short = match &self.claim_short {
            Some(s) => s.clone(),
            None if self.labels.are_default() => crate::label::DEFAULT_SHORT.to_string(),
            None => GENERIC_SHORT.to_string(),
        };
        LabelNames {
            claim: self.claim.clone(),
            short,
            labels,
        }
    }

    /// The article folders, checked: each must exist (the error names `paths.articles`).
    pub fn article_folders(&self) -> Result<Vec<PathBuf>, ProjectError> {
        for a in &self.articles {
            if !a.is_dir() {
                return Err(ProjectError::Missing {
                    path: self.file.clone(),
                    key: "paths.articles".into(),
                    target: a.clone(),
                    hint: " (fix the path, or give the folders with --articles DIR...)".into(),
                });
            }
        }
        Ok(self.articles.clone())
    }

    /// The model file, checked to exist (the error says how to make it).
    pub fn model_file(&self) -> Result<&Path, ProjectError> {
        if !self.model.is_file() {
            return Err(ProjectError::Missing {
                path: self.file.clone(),
                key: "paths.model".into(),
                target: self.model.clone(),
                hint: " (train it with `claimtrack train --update-default`, or pass --model FILE)"
                    .into(),
            });
        }
        Ok(&self.model)
    }
}

/// The nearest `claimtrack.toml` in `start` or one of its parent folders, like git finds its
/// repository.
pub fn discover(start: &Path) -> Option<PathBuf> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        let f = d.join(CONFIG_FILE);
        if f.is_file() {
            return Some(f);
        }
        dir = d.parent();
    }
    None
}

/// `p` under `dir`, kept as written when `dir` is the working directory (`.`), so paths read
/// the same in messages and model files as when given on the command line.
fn join(dir: &Path, p: &Path) -> PathBuf {
    if dir == Path::new(".") {
        p.to_path_buf()
    } else {
        dir.join(p)
    }
}

/// The TOML error with its line and column (1-based) in front.
fn parse_message(text: &str, e: &toml::de::Error) -> String {
    let detail = e.message().trim().to_string();
    match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("line {line}, column {col}: {detail}")
        }
        None => detail,
    }
}

/// One non-empty line of at most `max` characters.
fn check_line(s: &str, max: usize) -> Result<(), String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("is empty".into());
    }
    if t.contains(['\n', '\r']) {
        return Err("must be one line".into());
    }
    if t.chars().any(char::is_control) {
        return Err("holds a control character".into());
    }
    let n = t.chars().count();
    if n > max {
        return Err(format!("{n} characters; at most {max}"));
    }
    Ok(())
}

/// A display name: 1 to 40 of `a-z`, `0-9` and `_`, starting with a letter.
fn check_name(s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= MAX_NAME_CHARS
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{s}` is not a label name (1 to {MAX_NAME_CHARS} of a-z, 0-9 and _, starting with a letter)"
        ))
    }
}

/// The commented template `claimtrack init` writes for `claim`.
pub fn template(claim: &str) -> String {
    let claim = toml_string(claim.trim());
    format!(
        r#"# claimtrack project: one tracked claim (format: docs/PROJECTS.md).
# Paths are relative to this file's folder.

# The claim, one sentence.
claim = {claim}
# The claim in a few words, as report text uses it ("... is framed as credible").
claim_short = "the claim"

# The four roles every claim has. `name` is how reports and outputs show the label
# (a-z, 0-9 and _); `description` says what a sentence of that role does, in one line.
[labels]
claim = {{ name = "claim", description = "Advances the claim: reports it, its evidence or its source's account." }}
denial = {{ name = "denial", description = "An accused or official party denies or rejects the claim." }}
skepticism = {{ name = "skepticism", description = "A non-denying voice doubts the claim's truth or its evidence." }}
context = {{ name = "context", description = "Everything else." }}

[paths]
# Cue lexicon (CLASS<TAB>PHRASE): adapt its phrases to this claim's wording.
cues = "cues.tsv"
# Hedges that distance a sentence from what it reports (WEIGHT<TAB>CUE).
hedges = "hedges.txt"
# Framing formula settings; the shipped ones suit most claims (docs/FRAMING.md).
framing = "framing.json"
# Gold labels: .jsonl files, one labelled sentence per line (see README, "Track your own claim").
gold = "gold"
# Folders of the articles (the command line's --articles replaces them).
articles = ["articles"]
# Optional: a framing reference (TSV of people's scores per article) for `evaluate --framing`.
# reference = "framing-reference.tsv"
# The model `claimtrack train --update-default` writes and the other commands use.
model = "model.json"
# Optional: labelling guidelines that `claimtrack annotate` shows on `?`.
# guidelines = "GUIDELINES.md"
"#
    )
}

/// `s` as a TOML basic string.
fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Creates a project in `dir` for `claim`: the template, an empty `gold/`, `articles/`,
/// starter `cues.tsv` and `hedges.txt` (the built-in generic ones under a header saying what
/// to adapt) and the shipped `framing.json`. Refuses when `dir` already holds a project file.
/// Each file is written atomically. Returns the files written.
pub fn init(dir: &Path, claim: &str) -> Result<Vec<PathBuf>, ProjectError> {
    let file = dir.join(CONFIG_FILE);
    if file.exists() {
        return Err(ProjectError::Exists { path: file });
    }
    let path_buf = dir.join(CONFIG_FILE);
    let text = template(claim);
    // The template must load once its folders exist (tested); check the claim now.
    check_line(claim, MAX_CLAIM_CHARS).map_err(|m| ProjectError::Invalid {
        path: path_buf.clone(),
        key: "claim".into(),
        message: m,
    })?;
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ProjectError::Write { path, source }
    };
    let mut written = Vec::new();
    for sub in ["gold", "articles"] {
        let d = dir.join(sub);
        std::fs::create_dir_all(&d).map_err(write_err(&d))?;
    }
    let cues = format!(
        "# Cue lexicon of this claim (format below). These are the built-in generic cues:\n\
         # replace the default story's wording (who denies, the claim's own words) with this\n\
         # claim's, and keep the generic doubt and attribution cues.\n{}",
        crate::features::cues::BUILTIN_CUES
    );
    let hedges = format!(
        "# Hedges: WEIGHT<TAB>CUE per line. These generic distancing cues suit most claims; add\n\
         # phrases this claim's coverage uses to distance itself from what it reports.\n{}",
        crate::framing::hedge::DEFAULT_HEDGES
    );
    let framing = crate::framing::SHIPPED_SETTINGS.to_string();
    for (name, body) in [
        ("cues.tsv", cues),
        ("hedges.txt", hedges),
        ("framing.json", framing),
    ] {
        let p = dir.join(name);
        if p.exists() {
            return Err(ProjectError::Exists { path: p });
        }
        crate::atomic::write_atomic(&p, body.as_bytes()).map_err(write_err(&p))?;
        written.push(p);
    }
    crate::atomic::write_atomic(&file, text.as_bytes()).map_err(write_err(&file))?;
    written.push(file);
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
claim = "Something happened."
[labels]
claim = { name = "gru_claim", description = "Says it happened." }
denial = { name = "official_denial", description = "Denies it." }
skepticism = { name = "expert_skepticism", description = "Doubts it." }
context = { name = "context", description = "Everything else." }
[paths]
cues = "cues.tsv"
hedges = "hedges.txt"
framing = "framing.json"
gold = "gold"
articles = ["articles", "more"]
"#;

    fn project_dir() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for f in ["cues.tsv", "hedges.txt", "framing.json"] {
            std::fs::write(d.path().join(f), "").unwrap();
        }
        std::fs::create_dir(d.path().join("gold")).unwrap();
        d
    }

    #[test]
    fn parses_and_resolves_paths() {
        let d = project_dir();
        let p = Project::parse(GOOD, &d.path().join(CONFIG_FILE)).unwrap();
        assert_eq!(p.labels.get(Label::UsDenial).name, "official_denial");
        assert_eq!(p.cues, d.path().join("cues.tsv"));
        assert_eq!(p.articles[1], d.path().join("more"));
        assert_eq!(p.model, d.path().join("model.json"));
        assert!(!p.labels.are_default());
        // Article folders are checked when used.
        let e = p.article_folders().unwrap_err().to_string();
        assert!(
            e.contains("paths.articles") && e.contains("articles"),
            "{e}"
        );
    }

    #[test]
    fn bad_toml_names_line_and_column() {
        let d = project_dir();
        let text = GOOD.replace("gold = \"gold\"", "gold = gold\"");
        let e = Project::parse(&text, &d.path().join(CONFIG_FILE))
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 12, column 8"), "{e}");
    }

    #[test]
    fn unknown_key_is_an_error() {
        let d = project_dir();
        let text = GOOD.replace("[paths]", "[paths]\ncue = \"x\"");
        let e = Project::parse(&text, &d.path().join(CONFIG_FILE))
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `cue`"), "{e}");
    }

    #[test]
    fn missing_file_names_key_and_file() {
        let d = project_dir();
        let text = GOOD.replace("hedges.txt", "nope.txt");
        let e = Project::parse(&text, &d.path().join(CONFIG_FILE))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`paths.hedges`") && e.contains("nope.txt"),
            "{e}"
        );
    }

    #[test]
    fn names_are_checked_and_distinct() {
        let d = project_dir();
        let f = d.path().join(CONFIG_FILE);
        let e = Project::parse(&GOOD.replace("gru_claim", "Gru Claim"), &f)
            .unwrap_err()
            .to_string();
        assert!(e.contains("labels.claim.name"), "{e}");
        let e = Project::parse(&GOOD.replace("gru_claim", "context"), &f)
            .unwrap_err()
            .to_string();
        assert!(e.contains("already the name"), "{e}");
        let e = Project::parse(&GOOD.replace("Something happened.", " "), &f)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`claim`: is empty"), "{e}");
    }

    #[test]
    fn template_loads_and_quotes_the_claim() {
        let d = tempfile::tempdir().unwrap();
        let written = init(d.path(), "A \"quoted\" claim \\ here.").unwrap();
        assert_eq!(written.len(), 4);
        let p = Project::load(&d.path().join(CONFIG_FILE)).unwrap();
        assert_eq!(p.claim, "A \"quoted\" claim \\ here.");
        assert!(p.labels.get(Label::Context).name == "context");
        let e = init(d.path(), "Again.").unwrap_err().to_string();
        assert!(e.contains("already exists"), "{e}");
    }

    #[test]
    fn label_names_take_the_short_wording_or_a_fallback() {
        let d = project_dir();
        let f = d.path().join(CONFIG_FILE);
        let p = Project::parse(GOOD, &f).unwrap();
        let n = p.label_names();
        assert_eq!(n.name(Label::RussianClaim), "gru_claim");
        assert_eq!(n.short, GENERIC_SHORT);
        assert_eq!(n.claim, "Something happened.");
        let with_short = GOOD.replace(
            "claim = \"Something happened.\"",
            "claim = \"Something happened.\"\nclaim_short = \"the happening\"",
        );
        assert_eq!(
            Project::parse(&with_short, &f).unwrap().label_names().short,
            "the happening"
        );
        let default_names = GOOD
            .replace("gru_claim", "russian_claim")
            .replace("official_denial", "us_denial");
        let n = Project::parse(&default_names, &f).unwrap().label_names();
        assert!(n.is_default(), "{n:?}");
        let e = Project::parse(&with_short.replace("the happening", ""), &f)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`claim_short`: is empty"), "{e}");
    }

    #[test]
    fn discover_walks_up() {
        let d = project_dir();
        std::fs::write(d.path().join(CONFIG_FILE), GOOD).unwrap();
        let sub = d.path().join("gold");
        assert_eq!(discover(&sub), Some(d.path().join(CONFIG_FILE)));
    }
}
