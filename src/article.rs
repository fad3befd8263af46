//! Ingestion: turning input paths into [`Article`]s.
//!
//! Owns the article formats (a text file with an optional `---` front-matter header, or
//! JSONL with one article per line), the expansion of directories into files, reading
//! standard input, text normalisation at the byte level (BOM, CRLF / lone CR, invalid
//! UTF-8, NUL bytes) and stable article ids. Cleaning and splitting happen later.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// The outlet name used when an article does not say where it comes from.
pub const UNKNOWN_OUTLET: &str = "unknown";

/// File extensions read when a directory is given as input.
pub const ARTICLE_EXTENSIONS: [&str; 3] = ["txt", "md", "jsonl"];

/// One news article with its metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Article {
    /// Stable id: the file stem, the JSONL `id`, or `<file>:<line>`.
    pub id: String,
    /// Publishing outlet (`unknown` when not given).
    pub outlet: String,
    /// Publication date as given; `None` when absent or `unknown`.
    pub date: Option<String>,
    /// Address of the page, when known.
    pub url: Option<String>,
    /// Title from the front matter or JSONL, when given.
    pub title: Option<String>,
    /// Any other front-matter keys or JSONL string fields, kept as metadata.
    pub meta: BTreeMap<String, String>,
    /// The article text (after the front matter), with `\n` line ends.
    pub text: String,
    /// Where the article was read from: a path, `path:line`, or `<stdin>`.
    pub source: String,
    /// Number of file lines before the text (the front matter), so that line `n` of
    /// [`Article::text`] is line `n + text_line_offset` of the file.
    #[serde(default)]
    pub text_line_offset: usize,
    /// The outlet as the input spelled it, when [`normalize_outlet`] changed it (kept to warn
    /// about look-alike spellings; never written out).
    #[serde(skip)]
    pub outlet_as_given: Option<String>,
}

/// An article's metadata, as ingestion gives it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ArticleMeta {
    /// Stable article id.
    pub id: String,
    /// Outlet name (`unknown` when not known).
    pub outlet: String,
    /// Publication date as given.
    pub date: Option<String>,
    /// Source URL.
    pub url: Option<String>,
    /// Title.
    pub title: Option<String>,
    /// The other front-matter keys (lower-cased) or JSONL string fields, such as `country`
    /// or `lean`: what `report --group-by KEY` groups by.
    pub meta: BTreeMap<String, String>,
}

impl Article {
    /// The article's metadata (id, outlet, date, url, title, other keys), as scored articles
    /// carry it.
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
}

/// Something worth telling the user that does not stop ingestion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// File (and line) the warning is about.
    pub source: String,
    /// What happened.
    pub message: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.source, self.message)
    }
}

/// Errors while reading articles. Each names the file, and the line where there is one.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The file or directory could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The path that failed.
        path: String,
        /// The underlying error.
        source: io::Error,
    },
    /// The input path does not exist.
    #[error("{0}: no such file or directory")]
    NotFound(String),
    /// A directory held no article files.
    #[error("{0}: no .txt, .md or .jsonl files found in this directory")]
    EmptyDir(String),
    /// The file looks binary (NUL bytes in its start).
    #[error(
        "{0}: looks like a binary file (NUL bytes), not an article; give .txt/.md/.jsonl text"
    )]
    Binary(String),
    /// Front matter opened with `---` but never closed.
    #[error("{path}:{line}: front matter opened with `---` here is never closed by a `---` line")]
    UnclosedFrontMatter {
        /// The file.
        path: String,
        /// Line of the opening `---`.
        line: usize,
    },
    /// A front-matter line is not `key: value`.
    #[error("{path}:{line}: front-matter line is not `key: value`: {text:?}")]
    BadFrontMatter {
        /// The file.
        path: String,
        /// 1-based line number.
        line: usize,
        /// The offending line (shortened).
        text: String,
    },
    /// The same front-matter key appears twice.
    #[error("{path}:{line}: front-matter key `{key}` is given twice; keep one")]
    DuplicateKey {
        /// The file.
        path: String,
        /// 1-based line number of the second occurrence.
        line: usize,
        /// The key.
        key: String,
    },
    /// Two articles have the same id.
    #[error("{second}: article id `{id}` is already used by {first}; ids must be unique (give one of them another `id`)")]
    DuplicateId {
        /// The id.
        id: String,
        /// Where it was first seen.
        first: String,
        /// Where it was seen again.
        second: String,
    },
    /// An input is larger than [`crate::limits::MAX_ARTICLE_BYTES`].
    #[error("{path}: {source}")]
    TooLarge {
        /// The file (and line).
        path: String,
        /// The limit that was passed.
        source: crate::limits::TooLong,
    },
    /// The caller's sink asked to stop reading (its own error is reported by the caller).
    #[error("reading stopped by the caller")]
    Stopped,
    /// A JSONL line is not a valid article object.
    #[error("{path}:{line}: {message}")]
    BadJsonl {
        /// The file.
        path: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong with the line.
        message: String,
    },
}

/// Options for reading articles.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// Outlet to use for articles that do not name one (`--outlet`).
    pub default_outlet: Option<String>,
}

/// Where articles come from: a file, or standard input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file on disk.
    File(PathBuf),
    /// Standard input (`-`).
    Stdin,
}

impl Source {
    fn display(&self) -> String {
        match self {
            Source::File(p) => p.display().to_string(),
            Source::Stdin => "<stdin>".to_string(),
        }
    }
}

/// Expands input paths into the sources to read: files as given, directories walked
/// recursively in sorted order (only `.txt`, `.md`, `.jsonl`; hidden entries skipped),
/// and `-` as standard input.
///
/// Each file is read once: a file reached twice (given twice, or through a symbolic link) is
/// skipped with a warning, and a directory reached again (a symbolic-link loop) is not walked
/// again. Inside directories, entries that are not regular files (FIFOs, devices, sockets) are
/// skipped with a warning, so a named pipe never blocks the walk; such a path given directly
/// (a pipe from `<(...)`) is read. A directory that cannot be read is an error.
pub fn expand_inputs<P: AsRef<Path>>(
    inputs: &[P],
    warnings: &mut Vec<Warning>,
) -> Result<Vec<Source>, IngestError> {
    let mut walk = Walk::default();
    for input in inputs {
        let p = input.as_ref();
        if p.as_os_str() == "-" {
            walk.out.push(Source::Stdin);
            continue;
        }
        let meta = fs::metadata(p).map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                IngestError::NotFound(p.display().to_string())
            } else {
                IngestError::Io {
                    path: p.display().to_string(),
                    source: e,
                }
            }
        })?;
        if meta.is_dir() {
            let before = walk.out.len();
            walk.dir(p, &meta, warnings)?;
            if walk.out.len() == before {
                return Err(IngestError::EmptyDir(p.display().to_string()));
            }
        } else {
            walk.file(p, &meta, warnings);
        }
    }
    Ok(walk.out)
}

/// The state of one expansion: sources found, and identities of files and folders seen.
#[derive(Default)]
struct Walk {
    out: Vec<Source>,
    files: BTreeMap<(u64, u64), PathBuf>,
    dirs: std::collections::BTreeSet<(u64, u64)>,
}

fn identity(meta: &fs::Metadata) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some((meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

impl Walk {
    fn file(&mut self, path: &Path, meta: &fs::Metadata, warnings: &mut Vec<Warning>) {
        if let Some(id) = identity(meta) {
            if let Some(first) = self.files.get(&id) {
                warnings.push(Warning {
                    source: path.display().to_string(),
                    message: format!("same file as {}; read once", first.display()),
                });
                return;
            }
            self.files.insert(id, path.to_path_buf());
        }
        self.out.push(Source::File(path.to_path_buf()));
    }

    fn dir(
        &mut self,
        dir: &Path,
        meta: &fs::Metadata,
        warnings: &mut Vec<Warning>,
    ) -> Result<(), IngestError> {
        if let Some(id) = identity(meta) {
            if !self.dirs.insert(id) {
                warnings.push(Warning {
                    source: dir.display().to_string(),
                    message: "directory already read (a symbolic-link loop or a repeated input); not read again".to_string(),
                });
                return Ok(());
            }
        }
        let io_err = |e| IngestError::Io {
            path: dir.display().to_string(),
            source: e,
        };
        let mut entries: Vec<PathBuf> = fs::read_dir(dir)
            .map_err(io_err)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .map_err(io_err)?;
        entries.sort();
        for path in entries {
            let hidden = path
                .file_name()
                .map(|n| n.to_string_lossy().starts_with('.'))
                .unwrap_or(false);
            if hidden {
                continue;
            }
            let meta = match fs::metadata(&path) {
                Ok(m) => m,
                Err(e) => {
                    // A dangling symbolic link, or an entry we may not look at.
                    if has_article_extension(&path) || e.kind() != io::ErrorKind::NotFound {
                        warnings.push(Warning {
                            source: path.display().to_string(),
                            message: format!("cannot be read ({e}); skipped"),
                        });
                    }
                    continue;
                }
            };
            if meta.is_dir() {
                self.dir(&path, &meta, warnings)?;
            } else if has_article_extension(&path) {
                if meta.is_file() {
                    self.file(&path, &meta, warnings);
                } else {
                    warnings.push(Warning {
                        source: path.display().to_string(),
                        message: "not a regular file (a FIFO, device or socket); skipped"
                            .to_string(),
                    });
                }
            }
        }
        Ok(())
    }
}

/// The article id of each file source: its file stem, or, when two sources share a stem, its
/// path as given without the extension (with the extension if that is still shared), so ids
/// are unique by construction. Standard input gets `stdin`.
pub fn source_ids(sources: &[Source]) -> Vec<String> {
    fn count<'a>(keys: impl Iterator<Item = &'a str>) -> BTreeMap<&'a str, usize> {
        let mut m = BTreeMap::new();
        for k in keys {
            *m.entry(k).or_insert(0) += 1;
        }
        m
    }
    let stems: Vec<String> = sources
        .iter()
        .map(|s| match s {
            Source::File(p) => file_stem(p),
            Source::Stdin => "stdin".to_string(),
        })
        .collect();
    let no_ext: Vec<String> = sources
        .iter()
        .map(|s| match s {
            Source::File(p) => p.with_extension("").display().to_string(),
            Source::Stdin => "stdin".to_string(),
        })
        .collect();
    let stem_n = count(stems.iter().map(String::as_str));
    let no_ext_n = count(no_ext.iter().map(String::as_str));
    sources
        .iter()
        .enumerate()
        .map(|(i, s)| match s {
            Source::Stdin => stems[i].clone(),
            Source::File(_) if stem_n[stems[i].as_str()] == 1 => stems[i].clone(),
            Source::File(_) if no_ext_n[no_ext[i].as_str()] == 1 => no_ext[i].clone(),
            Source::File(p) => p.display().to_string(),
        })
        .collect()
}

fn has_article_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .map(|e| ARTICLE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
        .unwrap_or(false)
}

fn is_jsonl_path(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .map(|e| e.eq_ignore_ascii_case("jsonl"))
        .unwrap_or(false)
}

/// Reads every article from `inputs` (see [`expand_inputs`]), calling `sink` for each
/// in input order. Stops at the first error. Articles without text (an empty file, a header
/// without a body, an empty JSONL `text`) are skipped with a warning. JSONL files are
/// streamed line by line, so memory stays bounded by the largest single article.
pub fn for_each_article<P, F>(
    inputs: &[P],
    opts: &IngestOptions,
    warnings: &mut Vec<Warning>,
    mut sink: F,
) -> Result<(), IngestError>
where
    P: AsRef<Path>,
    F: FnMut(Article) -> Result<(), IngestError>,
{
    let sources = expand_inputs(inputs, warnings)?;
    let ids = source_ids(&sources);
    let mut seen = SeenArticles::default();
    let mut sink = |mut a: Article, warnings: &mut Vec<Warning>| {
        seen.check(&mut a, warnings)?;
        sink(a)
    };
    for (source, id) in sources.iter().zip(&ids) {
        read_source(source, id, opts, warnings, &mut sink)?;
    }
    Ok(())
}

/// What one run has read so far: article ids (by a 128-bit hash, with where they came from),
/// to refuse a repeated id, and each normalised outlet name's first spelling, to warn when
/// two spellings differ only by invisible characters.
#[derive(Default)]
struct SeenArticles {
    ids: std::collections::HashMap<u128, String>,
    outlets: BTreeMap<String, String>,
}

impl SeenArticles {
    fn check(&mut self, a: &mut Article, warnings: &mut Vec<Warning>) -> Result<(), IngestError> {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(a.id.as_bytes());
        let mut key = [0u8; 16];
        key.copy_from_slice(&digest[..16]);
        match self.ids.entry(u128::from_le_bytes(key)) {
            std::collections::hash_map::Entry::Occupied(first) => {
                return Err(IngestError::DuplicateId {
                    id: a.id.clone(),
                    first: first.get().clone(),
                    second: a.source.clone(),
                })
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(a.source.clone());
            }
        }
        if let Some(raw) = a.outlet_as_given.take() {
            let first = self
                .outlets
                .entry(a.outlet.clone())
                .or_insert_with(|| raw.clone());
            if *first != raw {
                warnings.push(Warning {
                    source: a.source.clone(),
                    message: format!(
                        "outlet {raw:?} differs from {first:?} only by invisible or combining characters; both are read as {:?}",
                        a.outlet
                    ),
                });
            }
        } else {
            let first = self
                .outlets
                .entry(a.outlet.clone())
                .or_insert_with(|| a.outlet.clone());
            if *first != a.outlet {
                warnings.push(Warning {
                    source: a.source.clone(),
                    message: format!(
                        "outlet {:?} differs from {first:?} only by invisible or combining characters; both are read as {:?}",
                        a.outlet, a.outlet
                    ),
                });
            }
        }
        Ok(())
    }
}

/// An outlet name as claimtrack uses it: Unicode NFC, without zero-width, bidirectional
/// control or other control characters, white space runs folded to one space, trimmed. Names
/// that look the same on screen are then one outlet.
pub fn normalize_outlet(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut out = String::with_capacity(name.len());
    for c in name.nfc() {
        let invisible = c.is_control()
            || matches!(c,
                '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{00AD}' | '\u{061C}' | '\u{180E}');
        if invisible {
            if c.is_whitespace() && !out.ends_with(' ') {
                out.push(' ');
            }
            continue;
        }
        if c.is_whitespace() {
            if !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    out.trim().to_string()
}

/// Reads all articles from `inputs` into memory (see [`for_each_article`]).
pub fn read_articles<P: AsRef<Path>>(
    inputs: &[P],
    opts: &IngestOptions,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<Article>, IngestError> {
    let mut all = Vec::new();
    for_each_article(inputs, opts, warnings, |a| {
        all.push(a);
        Ok(())
    })?;
    Ok(all)
}

fn read_source<F>(
    source: &Source,
    id: &str,
    opts: &IngestOptions,
    warnings: &mut Vec<Warning>,
    sink: &mut F,
) -> Result<(), IngestError>
where
    F: FnMut(Article, &mut Vec<Warning>) -> Result<(), IngestError>,
{
    let name = source.display();
    match source {
        Source::File(path) if is_jsonl_path(path) => {
            let file = fs::File::open(path).map_err(|e| IngestError::Io {
                path: name.clone(),
                source: e,
            })?;
            read_jsonl_with(BufReader::new(file), &name, id, opts, warnings, sink)
        }
        Source::File(path) => {
            let file = fs::File::open(path).map_err(|e| IngestError::Io {
                path: name.clone(),
                source: e,
            })?;
            let bytes = read_text_file(file, &name)?;
            let article = parse_text_article(&bytes, &name, id, opts, warnings)?;
            deliver(article, warnings, sink)
        }
        Source::Stdin => {
            let io_err = |e| IngestError::Io {
                path: name.clone(),
                source: e,
            };
            // Read only up to the first non-blank byte to tell JSONL from a text article,
            // so a JSONL stream is processed line by line, never held whole in memory.
            let mut stdin = BufReader::with_capacity(1 << 16, io::stdin().lock());
            let mut head = Vec::new();
            let first = loop {
                let buf = stdin.fill_buf().map_err(io_err)?;
                if head.len() > crate::limits::MAX_ARTICLE_BYTES {
                    return Err(IngestError::TooLarge {
                        path: name.clone(),
                        source: crate::limits::TooLong {
                            limit: crate::limits::MAX_ARTICLE_BYTES,
                            what: "article",
                        },
                    });
                }
                if buf.is_empty() {
                    break None;
                }
                match buf.iter().position(|b| !b.is_ascii_whitespace()) {
                    Some(p) => {
                        let b = buf[p];
                        head.extend_from_slice(&buf[..p]);
                        stdin.consume(p);
                        break Some(b);
                    }
                    None => {
                        let n = buf.len();
                        head.extend_from_slice(buf);
                        stdin.consume(n);
                    }
                }
            };
            if first == Some(b'{') {
                read_jsonl_with((&head[..]).chain(stdin), &name, id, opts, warnings, sink)
            } else {
                let mut bytes = head;
                let rest = crate::limits::read_to_end_limited(
                    stdin,
                    crate::limits::MAX_ARTICLE_BYTES.saturating_sub(bytes.len()),
                    "article",
                )
                .map_err(|e| too_large_or_io(e, &name))?;
                bytes.extend_from_slice(&rest);
                let article = parse_text_article(&bytes, &name, id, opts, warnings)?;
                deliver(article, warnings, sink)
            }
        }
    }
}

/// Hands `article` to `sink`, unless it has no text: an empty file (or a header without a
/// body, or an empty JSONL `text`) is skipped with a warning naming its source.
fn deliver<F>(
    article: Article,
    warnings: &mut Vec<Warning>,
    sink: &mut F,
) -> Result<(), IngestError>
where
    F: FnMut(Article, &mut Vec<Warning>) -> Result<(), IngestError>,
{
    if article.text.trim().is_empty() {
        warnings.push(Warning {
            source: article.source,
            message: "no text (empty file or empty `text`); skipped".to_string(),
        });
        return Ok(());
    }
    sink(article, warnings)
}

/// Reads a text article from `file`: at most [`crate::limits::MAX_ARTICLE_BYTES`], and the
/// first 8 KiB first, so a binary file or `/dev/zero` is refused before more is read.
fn read_text_file(file: fs::File, name: &str) -> Result<Vec<u8>, IngestError> {
    let io_err = |e| IngestError::Io {
        path: name.to_string(),
        source: e,
    };
    let mut head = Vec::with_capacity(8192);
    (&file).take(8192).read_to_end(&mut head).map_err(io_err)?;
    if head.contains(&0) && looks_binary(&head) {
        return Err(IngestError::Binary(name.to_string()));
    }
    if head.len() < 8192 {
        return Ok(head);
    }
    let rest = crate::limits::read_to_end_limited(
        &file,
        crate::limits::MAX_ARTICLE_BYTES - head.len(),
        "article",
    )
    .map_err(|e| too_large_or_io(e, name))?;
    head.extend_from_slice(&rest);
    Ok(head)
}

fn too_large_or_io(e: io::Error, name: &str) -> IngestError {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<crate::limits::TooLong>())
    {
        Some(t) => IngestError::TooLarge {
            path: name.to_string(),
            source: crate::limits::TooLong {
                limit: t.limit,
                what: t.what,
            },
        },
        None => IngestError::Io {
            path: name.to_string(),
            source: e,
        },
    }
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Decodes bytes to text: strips a UTF-8 BOM, replaces invalid UTF-8 with U+FFFD (with a
/// warning), drops NUL bytes, and turns CRLF and lone CR into `\n`.
pub fn decode_text(bytes: &[u8], source: &str, warnings: &mut Vec<Warning>) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(e) => {
            warnings.push(Warning {
                source: source.to_string(),
                message: format!(
                    "invalid UTF-8 at byte {}; invalid bytes replaced with U+FFFD",
                    e.valid_up_to()
                ),
            });
            String::from_utf8_lossy(bytes).into_owned()
        }
    };
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\0' => {}
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            _ => out.push(c),
        }
    }
    out
}

/// Parses a text article: an optional front-matter header between `---` lines, then
/// the text. Keys are case-insensitive; `outlet`, `date`, `url`, `title` and `id` are
/// known, other keys are kept in [`Article::meta`].
pub fn parse_text_article(
    bytes: &[u8],
    source: &str,
    default_id: &str,
    opts: &IngestOptions,
    warnings: &mut Vec<Warning>,
) -> Result<Article, IngestError> {
    let probe = &bytes[..bytes.len().min(8192)];
    if probe.contains(&0) && looks_binary(probe) {
        return Err(IngestError::Binary(source.to_string()));
    }
    let text = decode_text(bytes, source, warnings);
    let mut fields: BTreeMap<String, String> = BTreeMap::new();
    let body: &str;
    let mut offset_lines = 0usize;
    let mut lines = text.split_inclusive('\n');
    let first = lines.clone().next().unwrap_or("");
    if first.trim_end() == "---" {
        lines.next();
        let mut offset = first.len();
        let mut closed = false;
        for (i, line) in lines.enumerate() {
            let lineno = i + 2;
            offset += line.len();
            let l = line.trim_end();
            if l == "---" {
                closed = true;
                offset_lines = lineno;
                break;
            }
            if l.trim().is_empty() || l.trim_start().starts_with('#') {
                continue;
            }
            let Some((k, v)) = l.split_once(':') else {
                return Err(IngestError::BadFrontMatter {
                    path: source.to_string(),
                    line: lineno,
                    text: l.chars().take(80).collect(),
                });
            };
            let key = k.trim().to_lowercase();
            if key.is_empty() || key.contains(char::is_whitespace) {
                return Err(IngestError::BadFrontMatter {
                    path: source.to_string(),
                    line: lineno,
                    text: l.chars().take(80).collect(),
                });
            }
            let value = unquote(v.trim()).to_string();
            if fields.insert(key.clone(), value).is_some() {
                return Err(IngestError::DuplicateKey {
                    path: source.to_string(),
                    line: lineno,
                    key,
                });
            }
        }
        if !closed {
            return Err(IngestError::UnclosedFrontMatter {
                path: source.to_string(),
                line: 1,
            });
        }
        body = &text[offset.min(text.len())..];
    } else {
        body = &text;
    }
    let id = fields
        .remove("id")
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| default_id.to_string());
    let mut article = build_article(id, fields, body.to_string(), source, opts, warnings);
    article.text_line_offset = offset_lines;
    Ok(article)
}

fn looks_binary(probe: &[u8]) -> bool {
    // UTF-16 text also has NULs; we do not read it, so any NUL run in the head counts,
    // unless the NULs are rare strays in otherwise printable text.
    let nuls = probe.iter().filter(|&&b| b == 0).count();
    nuls * 10 > probe.len() || probe.starts_with(b"\x89PNG") || nuls > 16
}

fn unquote(v: &str) -> &str {
    let b = v.as_bytes();
    if b.len() >= 2
        && ((b[0] == b'"' && b[b.len() - 1] == b'"') || (b[0] == b'\'' && b[b.len() - 1] == b'\''))
    {
        &v[1..v.len() - 1]
    } else {
        v
    }
}

fn known_or_none(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty() && !s.eq_ignore_ascii_case("unknown"))
}

fn build_article(
    id: String,
    mut fields: BTreeMap<String, String>,
    text: String,
    source: &str,
    opts: &IngestOptions,
    warnings: &mut Vec<Warning>,
) -> Article {
    let outlet = known_or_none(fields.remove("outlet"))
        .or_else(|| opts.default_outlet.clone())
        .unwrap_or_else(|| {
            if text.trim().is_empty() {
                // Skipped as empty (see `deliver`): one warning is enough.
                return UNKNOWN_OUTLET.to_string();
            }
            warnings.push(Warning {
                source: source.to_string(),
                message: format!(
                    "no outlet given; reported as `{UNKNOWN_OUTLET}` (add `outlet:` to the front matter or pass --outlet)"
                ),
            });
            UNKNOWN_OUTLET.to_string()
        });
    let normal = normalize_outlet(&outlet);
    let (outlet, outlet_as_given) = if normal == outlet {
        (outlet, None)
    } else if normal.is_empty() {
        warnings.push(Warning {
            source: source.to_string(),
            message: format!(
                "outlet {outlet:?} has only invisible characters; reported as `{UNKNOWN_OUTLET}`"
            ),
        });
        (UNKNOWN_OUTLET.to_string(), None)
    } else {
        (normal, Some(outlet))
    };
    Article {
        outlet_as_given,
        id,
        outlet,
        date: known_or_none(fields.remove("date")),
        url: known_or_none(fields.remove("url")),
        title: known_or_none(fields.remove("title")),
        meta: fields,
        text,
        source: source.to_string(),
        text_line_offset: 0,
    }
}

/// Reads JSONL articles, one object per line (`text` required; `id`, `outlet`, `date`,
/// `url`, `title` optional; other string fields kept as metadata). Blank lines are skipped; a
/// line longer than [`crate::limits::MAX_ARTICLE_BYTES`] or a key given twice is an error.
pub fn read_jsonl<R, F>(
    reader: R,
    source: &str,
    stem: &str,
    opts: &IngestOptions,
    warnings: &mut Vec<Warning>,
    sink: &mut F,
) -> Result<(), IngestError>
where
    R: BufRead,
    F: FnMut(Article) -> Result<(), IngestError>,
{
    read_jsonl_with(reader, source, stem, opts, warnings, &mut |a, _| sink(a))
}

/// Reads articles from files held in memory (bindings, engines that hand over batches) as
/// [`for_each_article`] reads the same files from disk: the same formats, normalisation,
/// ids, warnings and errors, and the same checks across everything one reader reads (a
/// repeated id is an error naming both places; outlet spellings that differ only by invisible
/// characters are a warning). Articles without text are skipped with a warning.
#[derive(Default)]
pub struct MemoryReader {
    seen: SeenArticles,
}

impl MemoryReader {
    /// A reader that has read nothing yet.
    pub fn new() -> MemoryReader {
        MemoryReader::default()
    }

    /// Reads the file `name` whose content is `bytes`: JSONL when its extension is `.jsonl`
    /// (ids default to `<id>:<line>`), else one text article (with an optional front matter)
    /// whose id is `id` (the file stem, as [`source_ids`] gives it). Each article goes to `sink`
    /// in order.
    pub fn read<F>(
        &mut self,
        name: &str,
        id: &str,
        bytes: &[u8],
        opts: &IngestOptions,
        warnings: &mut Vec<Warning>,
        mut sink: F,
    ) -> Result<(), IngestError>
    where
        F: FnMut(Article) -> Result<(), IngestError>,
    {
        let seen = &mut self.seen;
        let mut sink = |mut a: Article, w: &mut Vec<Warning>| {
            seen.check(&mut a, w)?;
            sink(a)
        };
        if is_jsonl_path(Path::new(name)) {
            return read_jsonl_with(bytes, name, id, opts, warnings, &mut sink);
        }
        let head = &bytes[..bytes.len().min(8192)];
        if head.contains(&0) && looks_binary(head) {
            return Err(IngestError::Binary(name.to_string()));
        }
        if bytes.len() > crate::limits::MAX_ARTICLE_BYTES {
            return Err(IngestError::TooLarge {
                path: name.to_string(),
                source: crate::limits::TooLong {
                    limit: crate::limits::MAX_ARTICLE_BYTES,
                    what: "article",
                },
            });
        }
        let article = parse_text_article(bytes, name, id, opts, warnings)?;
        deliver(article, warnings, &mut sink)
    }
}

fn read_jsonl_with<R, F>(
    reader: R,
    source: &str,
    stem: &str,
    opts: &IngestOptions,
    warnings: &mut Vec<Warning>,
    sink: &mut F,
) -> Result<(), IngestError>
where
    R: BufRead,
    F: FnMut(Article, &mut Vec<Warning>) -> Result<(), IngestError>,
{
    let mut reader = reader;
    let mut buf = Vec::new();
    let mut lineno = 0usize;
    loop {
        let n = crate::limits::read_line_limited(
            &mut reader,
            &mut buf,
            crate::limits::MAX_ARTICLE_BYTES,
            "JSONL line",
        )
        .map_err(|e| too_large_or_io(e, &format!("{source}:{}", lineno + 1)))?;
        if n == 0 {
            break;
        }
        lineno += 1;
        let at = format!("{source}:{lineno}");
        let mut bytes: &[u8] = &buf;
        if lineno == 1 {
            bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        }
        let line = decode_text(bytes, &at, warnings);
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let bad = |message: String| IngestError::BadJsonl {
            path: source.to_string(),
            line: lineno,
            message,
        };
        let value: serde_json::Value = serde_json::from_str(line).map_err(|e| {
            bad(format!(
                "not valid JSON ({e}); each line must be one JSON object"
            ))
        })?;
        let serde_json::Value::Object(obj) = value else {
            return Err(bad("expected a JSON object with a `text` field".to_string()));
        };
        if let Some(key) = repeated_key(line) {
            return Err(bad(format!("key `{key}` is given twice; keep one")));
        }
        let mut fields = BTreeMap::new();
        let mut text = None;
        let mut id = None;
        for (k, v) in obj {
            let key = k.to_lowercase();
            match (key.as_str(), v) {
                ("text", serde_json::Value::String(s)) => text = Some(s),
                ("text", other) => {
                    return Err(bad(format!(
                        "`text` must be a string, found {}",
                        json_kind(&other)
                    )))
                }
                ("id", serde_json::Value::String(s)) => id = Some(s),
                ("id", serde_json::Value::Number(n)) => id = Some(n.to_string()),
                (_, serde_json::Value::String(s)) => {
                    fields.insert(key, s);
                }
                (_, serde_json::Value::Number(n)) => {
                    fields.insert(key, n.to_string());
                }
                (_, serde_json::Value::Bool(b)) => {
                    fields.insert(key, b.to_string());
                }
                _ => {}
            }
        }
        let Some(text) = text else {
            return Err(bad("missing the required `text` field".to_string()));
        };
        let text = decode_text(text.as_bytes(), &at, warnings);
        let id = id
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| format!("{stem}:{lineno}"));
        deliver(
            build_article(id, fields, text, &at, opts, warnings),
            warnings,
            sink,
        )?;
    }
    Ok(())
}

/// The first key of the top-level JSON object in `line` that occurs twice (keys compared
/// case-insensitively, as fields are read), if any. `line` is known to be valid JSON.
fn repeated_key(line: &str) -> Option<String> {
    use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
    struct Keys;
    impl<'de> Visitor<'de> for Keys {
        type Value = Option<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut seen = std::collections::HashSet::new();
            let mut repeated = None;
            while let Some(k) = map.next_key::<String>()? {
                map.next_value::<IgnoredAny>()?;
                let k = k.to_lowercase();
                if repeated.is_none() && !seen.insert(k.clone()) {
                    repeated = Some(k);
                }
            }
            Ok(repeated)
        }
    }
    let mut de = serde_json::Deserializer::from_str(line);
    de.deserialize_map(Keys).ok().flatten()
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Article, IngestError> {
        parse_text_article(
            s.as_bytes(),
            "t.txt",
            "t",
            &IngestOptions::default(),
            &mut vec![],
        )
    }

    #[test]
    fn files_in_memory_read_like_files_and_refuse_repeated_ids() {
        let input = "\u{FEFF}{\"id\":\"a\",\"outlet\":\"X\",\"text\":\"One.\"}\r\n\
                     {\"text\":\"\"}\n{\"outlet\":\"X\",\"text\":\"Two.\"}\n";
        let (mut got, mut w) = (Vec::new(), Vec::new());
        let opts = IngestOptions::default();
        let mut reader = MemoryReader::new();
        reader
            .read("p.jsonl", "p", input.as_bytes(), &opts, &mut w, |a| {
                got.push((a.id, a.source, a.text));
                Ok(())
            })
            .unwrap();
        let text = "---\noutlet: X\n---\nThree.\r\n";
        reader
            .read("d/q.txt", "q", text.as_bytes(), &opts, &mut w, |a| {
                got.push((a.id, a.source, a.text));
                Ok(())
            })
            .unwrap();
        assert_eq!(
            got,
            [
                ("a".into(), "p.jsonl:1".into(), "One.".into()),
                ("p:3".into(), "p.jsonl:3".into(), "Two.".into()),
                ("q".into(), "d/q.txt".into(), "Three.\n".into())
            ]
        );
        assert!(w.iter().any(|w| w.source == "p.jsonl:2"), "{w:?}");
        let twice = "{\"id\":\"a\",\"text\":\"One.\"}\n{\"id\":\"a\",\"text\":\"Two.\"}\n";
        let err = MemoryReader::new()
            .read("p.jsonl", "p", twice.as_bytes(), &opts, &mut w, |_| Ok(()))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("p.jsonl:2") && err.contains("p.jsonl:1"),
            "{err}"
        );
        let err = MemoryReader::new()
            .read("b.txt", "b", b"\0\0\0\0binary", &opts, &mut w, |_| Ok(()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("b.txt") && err.contains("binary"), "{err}");
    }

    #[test]
    fn front_matter_keys_are_case_insensitive_and_unknown_kept() {
        let a = parse("---\nOutlet: New York Post\nDATE: 2024-01-25\nurl: https://x\nSection: World\n---\nBody line.\n").unwrap();
        assert_eq!(a.outlet, "New York Post");
        assert_eq!(a.date.as_deref(), Some("2024-01-25"));
        assert_eq!(a.url.as_deref(), Some("https://x"));
        assert_eq!(a.meta.get("section").map(String::as_str), Some("World"));
        assert_eq!(a.text, "Body line.\n");
        assert_eq!(a.id, "t");
    }

    #[test]
    fn no_header_means_unknown_outlet_with_warning_or_flag() {
        let mut w = vec![];
        let a = parse_text_article(
            b"Just text.",
            "t.txt",
            "t",
            &IngestOptions::default(),
            &mut w,
        )
        .unwrap();
        assert_eq!(a.outlet, UNKNOWN_OUTLET);
        assert_eq!(w.len(), 1);
        assert!(w[0].message.contains("--outlet"));
        let opts = IngestOptions {
            default_outlet: Some("Reuters".into()),
        };
        let mut w = vec![];
        let a = parse_text_article(b"Just text.", "t.txt", "t", &opts, &mut w).unwrap();
        assert_eq!(a.outlet, "Reuters");
        assert!(w.is_empty());
    }

    #[test]
    fn unknown_date_is_none() {
        let a = parse("---\noutlet: X\ndate: unknown\n---\nT.").unwrap();
        assert_eq!(a.date, None);
    }

    #[test]
    fn unclosed_and_duplicate_front_matter_are_errors_with_lines() {
        let e = parse("---\noutlet: X\nno end\n").unwrap_err().to_string();
        assert!(e.contains("t.txt:3") || e.contains("t.txt:1"), "{e}");
        let e = parse("---\noutlet: X\n").unwrap_err().to_string();
        assert!(e.contains("never closed"), "{e}");
        let e = parse("---\noutlet: X\nOUTLET: Y\n---\nT")
            .unwrap_err()
            .to_string();
        assert!(e.contains("t.txt:3") && e.contains("twice"), "{e}");
    }

    #[test]
    fn bom_crlf_cr_and_nul_are_normalised() {
        let a = parse_text_article(
            b"\xEF\xBB\xBF---\r\noutlet: X\r\n---\r\nOne.\rTwo.\0\r\n",
            "t.txt",
            "t",
            &IngestOptions::default(),
            &mut vec![],
        )
        .unwrap();
        assert_eq!(a.outlet, "X");
        assert_eq!(a.text, "One.\nTwo.\n");
    }

    #[test]
    fn invalid_utf8_is_replaced_with_a_warning() {
        let mut w = vec![];
        let a = parse_text_article(
            b"---\noutlet: X\n---\nbad \xFF byte",
            "t.txt",
            "t",
            &IngestOptions::default(),
            &mut w,
        )
        .unwrap();
        assert_eq!(a.text, "bad \u{FFFD} byte");
        assert!(w[0].message.contains("invalid UTF-8"));
    }

    #[test]
    fn binary_files_are_refused() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0";
        let e = parse_text_article(png, "x.png", "x", &IngestOptions::default(), &mut vec![])
            .unwrap_err();
        assert!(matches!(e, IngestError::Binary(_)));
    }

    fn jsonl(s: &str) -> Result<Vec<Article>, IngestError> {
        let mut out = vec![];
        read_jsonl(
            s.as_bytes(),
            "a.jsonl",
            "a",
            &IngestOptions::default(),
            &mut vec![],
            &mut |a| {
                out.push(a);
                Ok(())
            },
        )?;
        Ok(out)
    }

    #[test]
    fn jsonl_ids_and_fields() {
        let v = jsonl("{\"id\":\"x1\",\"outlet\":\"O\",\"text\":\"T.\",\"lang\":\"en\"}\n\n{\"text\":\"U.\",\"outlet\":\"O\"}\n").unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].id, "x1");
        assert_eq!(v[0].meta.get("lang").map(String::as_str), Some("en"));
        assert_eq!(v[1].id, "a:3");
        assert_eq!(v[1].source, "a.jsonl:3");
    }

    #[test]
    fn jsonl_errors_name_the_line() {
        let e = jsonl("{\"text\":\"ok\",\"outlet\":\"O\"}\n{broken\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("a.jsonl:2:"), "{e}");
        let e = jsonl("{\"outlet\":\"O\"}\n").unwrap_err().to_string();
        assert!(e.contains("a.jsonl:1") && e.contains("`text`"), "{e}");
        let e = jsonl("{\"text\":5}\n").unwrap_err().to_string();
        assert!(e.contains("must be a string"), "{e}");
        let e = jsonl("[1,2]\n").unwrap_err().to_string();
        assert!(e.contains("JSON object"), "{e}");
    }

    #[test]
    fn directories_are_walked_sorted_and_filtered() {
        let d = tempfile::tempdir().unwrap();
        fs::create_dir(d.path().join("sub")).unwrap();
        fs::write(d.path().join("b.txt"), "B.").unwrap();
        fs::write(d.path().join("a.md"), "A.").unwrap();
        fs::write(d.path().join("sub/c.jsonl"), "{\"text\":\"C.\"}").unwrap();
        fs::write(d.path().join("MANIFEST.tsv"), "x").unwrap();
        fs::write(d.path().join(".hidden.txt"), "x").unwrap();
        let s = expand_inputs(&[d.path()], &mut vec![]).unwrap();
        let names: Vec<String> = s
            .iter()
            .map(|s| match s {
                Source::File(p) => p.file_name().unwrap().to_string_lossy().into_owned(),
                Source::Stdin => "-".into(),
            })
            .collect();
        assert_eq!(names, ["a.md", "b.txt", "c.jsonl"]);
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(
            expand_inputs(&[empty.path()], &mut vec![]),
            Err(IngestError::EmptyDir(_))
        ));
        assert!(matches!(
            expand_inputs(&["/no/such/path"], &mut vec![]),
            Err(IngestError::NotFound(_))
        ));
    }

    fn read_all(inputs: &[&Path]) -> (Result<Vec<Article>, IngestError>, Vec<Warning>) {
        let mut w = vec![];
        let r = read_articles(inputs, &IngestOptions::default(), &mut w);
        (r, w)
    }

    #[test]
    fn colliding_file_stems_get_their_paths_as_ids() {
        let d = tempfile::tempdir().unwrap();
        for sub in ["reuters", "bbc"] {
            fs::create_dir(d.path().join(sub)).unwrap();
            fs::write(
                d.path().join(sub).join("article1.txt"),
                "---\noutlet: O\n---\nT.",
            )
            .unwrap();
        }
        fs::write(d.path().join("solo.txt"), "---\noutlet: O\n---\nT.").unwrap();
        let (r, _) = read_all(&[d.path()]);
        let ids: Vec<String> = r.unwrap().into_iter().map(|a| a.id).collect();
        let root = d.path().display().to_string();
        assert_eq!(
            ids,
            [
                format!("{root}/bbc/article1"),
                format!("{root}/reuters/article1"),
                "solo".to_string()
            ]
        );
    }

    #[test]
    fn repeated_explicit_ids_name_both_places() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("a.jsonl");
        fs::write(&f, "{\"id\":\"x\",\"text\":\"A.\",\"outlet\":\"O\"}\n{\"id\":\"x\",\"text\":\"B.\",\"outlet\":\"O\"}\n").unwrap();
        let e = read_all(&[&f]).0.unwrap_err().to_string();
        assert!(
            e.contains("a.jsonl:1") && e.contains("a.jsonl:2") && e.contains("`x`"),
            "{e}"
        );
    }

    #[test]
    fn repeated_jsonl_keys_are_errors_like_front_matter() {
        let e = jsonl("{\"text\":\"a\",\"outlet\":\"O\",\"Text\":\"b\"}\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("a.jsonl:1:") && e.contains("`text`") && e.contains("twice"),
            "{e}"
        );
        assert!(
            jsonl("{\"text\":\"a\",\"outlet\":\"O\",\"meta\":{\"text\":1}}\n").is_ok(),
            "nested keys are not top-level keys"
        );
    }

    #[test]
    fn outlets_are_normalised_and_look_alikes_warned() {
        assert_eq!(normalize_outlet("Reu\u{200B}ters"), "Reuters");
        assert_eq!(normalize_outlet("\u{202E}Reuters\u{202C} "), "Reuters");
        assert_eq!(normalize_outlet("Le Monde\u{1b}[31m"), "Le Monde[31m");
        assert_eq!(normalize_outlet("Caf\u{65}\u{301}"), "Caf\u{e9}");
        assert_eq!(
            normalize_outlet("  New\u{a0}  York\tPost "),
            "New York Post"
        );
        assert_eq!(normalize_outlet("\u{200B}\u{200D}"), "");
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join("a.txt"), "---\noutlet: Reuters\n---\nA.").unwrap();
        fs::write(
            d.path().join("b.txt"),
            "---\noutlet: Reu\u{200B}ters\n---\nB.",
        )
        .unwrap();
        let (r, w) = read_all(&[d.path()]);
        let v = r.unwrap();
        assert_eq!(v[0].outlet, "Reuters");
        assert_eq!(v[1].outlet, "Reuters");
        assert!(
            v.iter().all(|a| a.outlet_as_given.is_none()),
            "not passed on"
        );
        assert!(w.iter().any(|w| w.message.contains("invisible")), "{w:?}");
    }

    #[cfg(unix)]
    #[test]
    fn walks_read_each_file_once_and_skip_fifos() {
        use std::os::unix::fs::symlink;
        let d = tempfile::tempdir().unwrap();
        let sub = d.path().join("sub");
        fs::create_dir(&sub).unwrap();
        fs::write(sub.join("a.txt"), "A.").unwrap();
        symlink(d.path(), sub.join("loop")).unwrap();
        symlink(&sub, sub.join("loop2")).unwrap();
        symlink(sub.join("a.txt"), sub.join("b.txt")).unwrap();
        let fifo = sub.join("pipe.txt");
        let ok = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .map(|s| s.success());
        let mut w = vec![];
        let s = expand_inputs(&[d.path()], &mut w).unwrap();
        assert_eq!(s.len(), 1, "one file, read once: {s:?}");
        assert!(w.iter().any(|w| w.message.contains("read once")), "{w:?}");
        assert!(
            w.iter().any(|w| w.message.contains("already read")),
            "{w:?}"
        );
        if ok.unwrap_or(false) {
            assert!(
                w.iter()
                    .any(|w| w.source.ends_with("pipe.txt")
                        && w.message.contains("not a regular file")),
                "{w:?}"
            );
        }
    }

    #[test]
    fn oversized_articles_are_errors_naming_the_file() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("big.txt");
        let file = fs::File::create(&f).unwrap();
        file.set_len(crate::limits::MAX_ARTICLE_BYTES as u64 + 10)
            .unwrap();
        drop(file);
        // A sparse file of NULs: refused as binary from its first 8 KiB, without reading on.
        let e = read_all(&[&f]).0.unwrap_err();
        assert!(matches!(e, IngestError::Binary(_)), "{e}");
        let f2 = d.path().join("big2.txt");
        fs::write(&f2, vec![b'a'; crate::limits::MAX_ARTICLE_BYTES + 1]).unwrap();
        let e = read_all(&[&f2]).0.unwrap_err().to_string();
        assert!(e.contains("big2.txt") && e.contains("limit"), "{e}");
    }
}
