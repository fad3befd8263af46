//! The streaming classifier behind `claimtrack classify`: JSONL (or plain-text) lines in, one
//! JSON line out per input line, in input order, in memory that stays flat on any input size.
//!
//! This module owns the line format (a line starting with `{` is a JSON object with a
//! `"text"`, any other non-blank line is one sentence), the grouping of lines into batches
//! (consecutive lines with the same `"article"`, at most [`MAX_BATCH`]), and the machinery
//! that keeps two cores busy: the input is read in blocks of whole lines, each block's lines
//! are parsed in parallel, batches are cut into parts classified in parallel, and one round's
//! output is written while the next round is classified. The batches, not the thread count,
//! decide the features (a sentence's neighbours), so the output is the same on any machine.

use super::json::{write_prediction_tail, write_text_line};
use super::{part_probs, predictions, Prediction, MAX_BATCH, PART};
use crate::escape;
use crate::model::Model;
use rayon::prelude::*;
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;
use std::io::{Read, Write};
use std::sync::Arc;

/// Lines read and parsed together, in parallel; also about how many lines are classified
/// in one parallel round (bounds memory whatever the input size).
const CHUNK: usize = 4096;

/// Bytes read from the input at a time.
const READ: usize = 1 << 18;

/// Longest input line, in bytes (64 MiB): far beyond any sentence or JSON record, while a
/// stream without line breaks (`/dev/zero`, a binary file) stops with an error instead of
/// growing memory until the process is killed.
pub const MAX_LINE: usize = 64 << 20;

/// The UTF-8 byte order mark, skipped at the start of the input.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Most output buffers kept for reuse (a round has a few dozen parts).
const MAX_SPARE: usize = 256;

/// Most input blocks kept for reuse (a block is lent to its items until they are written:
/// a round is written while the next is classified and the one after is read).
const MAX_SPARE_BLOCKS: usize = 4;

/// Why a line cannot be classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineProblem {
    /// A JSON object gives this key twice.
    RepeatedKey(String),
    /// A line starting with `{` is not one JSON object (the parser's message).
    NotJson(String),
    /// The `"text"` field is not a string (what it is instead).
    TextNotString(&'static str),
    /// The JSON object has no `"text"` field.
    NoText,
}

impl fmt::Display for LineProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineProblem::RepeatedKey(key) => write!(
                f,
                "JSON key `{}` is given twice in this object; keep one",
                escape::controls(key)
            ),
            LineProblem::NotJson(message) => write!(
                f,
                "not a JSON object ({}); a line starting with `{{` must be one JSON object per line",
                escape::controls(message)
            ),
            LineProblem::TextNotString(kind) => {
                write!(f, "the \"text\" field is not a string (found {kind})")
            }
            LineProblem::NoText => f.write_str("the JSON object has no \"text\" field to classify"),
        }
    }
}

/// Errors of [`Pipeline::classify_stream`](super::Pipeline::classify_stream). Input lines are
/// named `{input}:{line}` (1-based), the input name with control characters escaped. The
/// output holds every batch finished before the line at fault, and nothing of the batch it
/// interrupts.
#[derive(Debug, thiserror::Error)]
pub enum ClassifyError {
    /// A line that is not a JSON object with a text, or not UTF-8.
    #[error("{input}:{line}: {problem}")]
    BadLine {
        /// The input's name.
        input: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        problem: LineProblem,
    },
    /// Reading the input failed (also: a line that is not UTF-8).
    #[error("{input}:{line}: cannot read the line")]
    Read {
        /// The input's name.
        input: String,
        /// 1-based number of the line being read.
        line: usize,
        /// The reader's error.
        source: std::io::Error,
    },
    /// A line longer than [`MAX_LINE`] bytes.
    #[error(
        "{input}:{line}: line longer than {} bytes (64 MiB); classify reads one sentence or one \
         JSON object per line: is this a line-based text file?",
        MAX_LINE
    )]
    LineTooLong {
        /// The input's name.
        input: String,
        /// 1-based line number.
        line: usize,
    },
    /// Writing the output failed.
    #[error(transparent)]
    Write(std::io::Error),
}

impl ClassifyError {
    /// Whether the output was closed by its reader (`claimtrack classify | head`): the
    /// classification was cut short on purpose, not by a fault.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, ClassifyError::Write(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

/// What [`Pipeline::classify_stream`](super::Pipeline::classify_stream) read and wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClassifySummary {
    /// Input lines read (blank ones included).
    pub lines: usize,
    /// Lines classified (one output line each).
    pub classified: usize,
}

/// One input line: a JSON record whose fields pass through, or a plain-text sentence. An
/// item owns one buffer in the usual cases (the sentence, or a simple record's output
/// bytes with the text and article read in place), so parsing a line allocates once.
enum Item {
    /// A plain-text sentence: its output `{"text": ...}` is written without building a map.
    Plain(Text),
    /// A JSON record read by serde_json, and its text; its output is the record after
    /// [`Prediction::annotate`](super::Prediction::annotate), serialised by serde_json.
    Map(Box<(Map<String, Value>, String)>),
    /// A simple JSON record ([`parse_simple_in`]).
    Simple(Simple),
}

/// A simple JSON record: its output is `head` (the bytes serde_json writes for the record,
/// without the closing brace) followed by the prediction. The text and the article are read
/// in `head`, where they are written as serde_json writes them.
struct Simple {
    head: Text,
    /// The text string's content in `head` (between its quotes, escapes included).
    text: (u32, u32),
    /// The text with its escapes decoded, when it has any.
    unescaped: Option<String>,
    /// The `article` value's bytes in `head`.
    article: Option<(u32, u32)>,
}

/// Text read from the input: a range of a block of input lines (shared by the items read
/// from it, so that reading a line copies nothing), or a string of its own.
enum Text {
    /// `block[start..end]`.
    Shared(Arc<String>, u32, u32),
    /// A string of its own.
    Own(String),
}

impl Text {
    fn as_str(&self) -> &str {
        match self {
            Text::Shared(block, start, end) => {
                block.get(*start as usize..*end as usize).unwrap_or("")
            }
            Text::Own(text) => text,
        }
    }

    /// `line` (a line of `block` at `offset`, when given) as a text.
    fn of(line: &str, block: Option<(&Arc<String>, usize)>) -> Text {
        let range = block.and_then(|(block, offset)| {
            let start = u32::try_from(offset).ok()?;
            let end = u32::try_from(offset + line.len()).ok()?;
            Some((block, start, end))
        });
        match range {
            Some((block, start, end)) => Text::Shared(Arc::clone(block), start, end),
            None => Text::Own(line.to_string()),
        }
    }
}

/// An item's `article` field: the bytes of a simple record's value (written as serde_json
/// writes it, so two values are equal when their bytes are), or a parsed value.
#[derive(Debug, Clone, Copy)]
enum Article<'a> {
    Raw(&'a [u8]),
    Value(&'a Value),
}

impl Article<'_> {
    fn is_null(self) -> bool {
        match self {
            Article::Raw(b) => b == b"null",
            Article::Value(v) => v.is_null(),
        }
    }

    /// The value (a simple record's bytes parsed by serde_json).
    fn to_value(self) -> Value {
        match self {
            Article::Raw(b) => serde_json::from_slice(b).unwrap_or(Value::Null),
            Article::Value(v) => v.clone(),
        }
    }
}

/// Whether two items' articles are the same JSON value (or both absent).
fn same_article(a: Option<Article<'_>>, b: Option<Article<'_>>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(Article::Raw(x)), Some(Article::Raw(y))) => x == y,
        (Some(Article::Value(x)), Some(Article::Value(y))) => x == y,
        (Some(x), Some(y)) => x.to_value() == y.to_value(),
        _ => false,
    }
}

impl Item {
    /// A plain-text sentence.
    #[cfg(test)]
    fn plain(text: String) -> Item {
        Item::Plain(Text::Own(text))
    }

    /// The text to classify.
    fn text(&self) -> &str {
        match self {
            Item::Plain(text) => text.as_str(),
            Item::Map(m) => &m.1,
            Item::Simple(s) => match &s.unescaped {
                Some(text) => text,
                None => s
                    .head
                    .as_str()
                    .get(s.text.0 as usize..s.text.1 as usize)
                    .unwrap_or(""),
            },
        }
    }

    fn article(&self) -> Option<Article<'_>> {
        match self {
            Item::Plain(_) => None,
            Item::Map(m) => m.0.get("article").map(Article::Value),
            Item::Simple(s) => s.article.map(|(a, b)| {
                Article::Raw(
                    s.head
                        .as_str()
                        .as_bytes()
                        .get(a as usize..b as usize)
                        .unwrap_or(b"null"),
                )
            }),
        }
    }
}

/// A JSON object read as a [`Map`], keeping the first key that the object gives twice
/// (serde_json's own map keeps the last value silently; front matter refuses a repeated key,
/// and so does classify).
struct Record {
    map: Map<String, Value>,
    duplicate: Option<String>,
}

impl<'de> Deserialize<'de> for Record {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RecordVisitor;
        impl<'de> Visitor<'de> for RecordVisitor {
            type Value = Record;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }

            // As serde_json's own visitor for `Map`: the same map, in the same order.
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Record, A::Error> {
                let mut map = Map::new();
                let mut duplicate = None;
                while let Some(key) = access.next_key::<String>()? {
                    match map.entry(key) {
                        serde_json::map::Entry::Vacant(e) => {
                            e.insert(access.next_value::<Value>()?);
                        }
                        serde_json::map::Entry::Occupied(e) => {
                            // The rest of the line must still be JSON; its value is unused.
                            access.next_value::<IgnoredAny>()?;
                            if duplicate.is_none() {
                                duplicate = Some(e.key().clone());
                            }
                        }
                    }
                }
                Ok(Record { map, duplicate })
            }
        }
        deserializer.deserialize_map(RecordVisitor)
    }
}

/// How a JSON value's kind is named in messages.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// [`parse_line_in`] of a line read alone.
#[cfg(test)]
fn parse_line(trimmed: &str) -> Result<Item, LineProblem> {
    parse_line_in(trimmed, None)
}

/// Parses one non-blank, trimmed input line into its record and the text to classify: a
/// simple record by [`parse_simple_in`], any other by serde_json ([`parse_record`]), with the
/// same output bytes and the same errors either way. With `block`, the line is the part of
/// the block at the offset given, and the item's text is read there instead of copied, where
/// it can be.
fn parse_line_in(trimmed: &str, block: Option<(&Arc<String>, usize)>) -> Result<Item, LineProblem> {
    if !trimmed.starts_with('{') {
        return Ok(Item::Plain(Text::of(trimmed, block)));
    }
    match parse_simple_in(trimmed, block) {
        Some(item) => Ok(item),
        None => parse_record(trimmed),
    }
}

/// Parses a line starting with `{` as a JSON object with serde_json (the definition of what
/// classify accepts and writes).
fn parse_record(trimmed: &str) -> Result<Item, LineProblem> {
    let record = match serde_json::from_str::<Record>(trimmed) {
        Ok(Record {
            duplicate: Some(key),
            ..
        }) => return Err(LineProblem::RepeatedKey(key)),
        Ok(r) => r.map,
        Err(e) => return Err(LineProblem::NotJson(e.to_string())),
    };
    let text = match record.get("text") {
        Some(Value::String(s)) => s.clone(),
        Some(v) => return Err(LineProblem::TextNotString(kind(v))),
        None => return Err(LineProblem::NoText),
    };
    Ok(Item::Map(Box::new((record, text))))
}

/// Most keys of a simple record (more go through serde_json).
const SIMPLE_KEYS: usize = 16;

/// [`parse_simple_in`] of a line read alone.
#[cfg(test)]
fn parse_simple(line: &str) -> Option<Item> {
    parse_simple_in(line, None)
}

/// Reads a JSON object line without a generic parse when it is *simple*: at most
/// [`SIMPLE_KEYS`] distinct keys, none of them `label`, `argmax` or `probs` (which the
/// prediction replaces or removes), a string `text`, and every key and value written as
/// serde_json writes it: keys without a backslash or a control character; string values
/// without a control character whose only escapes are `\"`, `\\`, `\b`, `\f`, `\n`, `\r` and
/// `\t`; `true`, `false`, `null`, and integers of at most 18 digits other than `-0` (no
/// fractions, exponents, arrays or objects). Whitespace between tokens is dropped, as
/// serde_json's output drops it. Any other line (`None`) goes through [`parse_record`],
/// which also gives the errors. With `block`, the line is the part of the block at the
/// offset given, and the record's bytes are read there instead of copied, where they can be.
fn parse_simple_in(line: &str, block: Option<(&Arc<String>, usize)>) -> Option<Item> {
    let b = line.as_bytes();
    // The key and value ranges of each field, in `line`.
    let mut fields = [((0usize, 0usize), (0usize, 0usize)); SIMPLE_KEYS];
    let mut n = 0;
    let (mut text, mut article) = (None, None);
    let mut escaped = false;
    let mut spaced = false;
    let mut i = skip_ws(b, 1, &mut spaced);
    loop {
        let (ks, ke, key_escaped) = simple_string(b, &mut i)?;
        let key = &b[ks..ke];
        if key_escaped
            || matches!(key, b"label" | b"argmax" | b"probs")
            || n == SIMPLE_KEYS
            || fields[..n]
                .iter()
                .any(|&((s, e), _)| &b[s + 1..e - 1] == key)
        {
            return None;
        }
        i = skip_ws(b, i, &mut spaced);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(b, i + 1, &mut spaced);
        let vs = i;
        let string = simple_value(b, &mut i)?;
        fields[n] = ((ks - 1, ke + 1), (vs, i));
        match key {
            b"text" => match string {
                Some(e) => {
                    text = Some(n);
                    escaped = e;
                }
                None => return None,
            },
            b"article" => article = Some(n),
            _ => {}
        }
        n += 1;
        i = skip_ws(b, i, &mut spaced);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1, &mut spaced),
            Some(b'}') if i + 1 == b.len() => break,
            _ => return None,
        }
    }
    let text = text?;
    let fields = &fields[..n];
    // The output bytes: the line itself without its closing brace when it has no
    // whitespace between tokens, else the fields joined as serde_json joins them.
    let (head, at) = if spaced {
        let mut head = String::with_capacity(line.len());
        let mut at = [(0usize, 0usize); SIMPLE_KEYS];
        head.push('{');
        for (k, &((ks, ke), (vs, ve))) in fields.iter().enumerate() {
            if k > 0 {
                head.push(',');
            }
            head.push_str(&line[ks..ke]);
            head.push(':');
            let start = head.len();
            head.push_str(&line[vs..ve]);
            at[k] = (start, head.len());
        }
        (Text::Own(head), at)
    } else {
        let mut at = [(0usize, 0usize); SIMPLE_KEYS];
        for (k, &(_, v)) in fields.iter().enumerate() {
            at[k] = v;
        }
        (Text::of(&line[..line.len() - 1], block), at)
    };
    // Lines are at most MAX_LINE (64 MiB) long, so positions fit in u32.
    let range = |(s, e): (usize, usize)| Some((u32::try_from(s).ok()?, u32::try_from(e).ok()?));
    let (ts, te) = at[text];
    let text_range = range((ts + 1, te - 1))?;
    let unescaped = if escaped {
        Some(unescape(head.as_str().get(ts + 1..te - 1)?)?)
    } else {
        None
    };
    let article = match article {
        Some(a) => Some(range(at[a])?),
        None => None,
    };
    Some(Item::Simple(Simple {
        head,
        text: text_range,
        unescaped,
        article,
    }))
}

/// The index of the first byte at or after `i` that is not JSON whitespace; sets `spaced`
/// when it skipped any.
fn skip_ws(b: &[u8], mut i: usize, spaced: &mut bool) -> usize {
    let start = i;
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    *spaced |= i != start;
    i
}

/// The position of the first `"`, `\`, or control character (below U+0020) in `b`, sixteen
/// bytes at a time.
fn find_special(b: &[u8]) -> Option<usize> {
    let mut chunks = b.chunks_exact(16);
    let mut at = 0;
    for c in &mut chunks {
        let (mut lo, mut hi) = ([0u8; 8], [0u8; 8]);
        lo.copy_from_slice(&c[..8]);
        hi.copy_from_slice(&c[8..]);
        let (lo, hi) = (special_bytes(lo), special_bytes(hi));
        if lo | hi != 0 {
            let byte = if lo != 0 {
                lo.trailing_zeros() / 8
            } else {
                8 + hi.trailing_zeros() / 8
            };
            return Some(at + byte as usize);
        }
        at += 16;
    }
    chunks
        .remainder()
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .map(|p| at + p)
}

/// The high bit of each of the eight bytes that is `"`, `\` or below 0x20, and maybe of
/// bytes after the first such byte: the lowest set bit is exact (a borrow only flags bytes
/// above a true one), which is all [`find_special`] reads.
fn special_bytes(word: [u8; 8]) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let v = u64::from_le_bytes(word);
    let q = v ^ (ONES * u64::from(b'"'));
    let s = v ^ (ONES * u64::from(b'\\'));
    ((q.wrapping_sub(ONES) & !q) | (s.wrapping_sub(ONES) & !s) | (v.wrapping_sub(ONES * 0x20) & !v))
        & HIGH
}

/// A string starting at `b[*i]` without a control character whose only escapes are those
/// serde_json writes for characters other than controls (`\"`, `\\`) or as short escapes
/// (`\b`, `\f`, `\n`, `\r`, `\t`): the range of its content and whether it has an escape;
/// `*i` moves past its closing quote.
fn simple_string(b: &[u8], i: &mut usize) -> Option<(usize, usize, bool)> {
    if b.get(*i) != Some(&b'"') {
        return None;
    }
    let start = *i + 1;
    let mut j = start;
    let mut escaped = false;
    loop {
        j += find_special(b.get(j..)?)?;
        match b[j] {
            b'"' => break,
            b'\\'
                if matches!(
                    b.get(j + 1),
                    Some(b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't')
                ) =>
            {
                escaped = true;
                j += 2;
            }
            _ => return None,
        }
    }
    *i = j + 1;
    Some((start, j, escaped))
}

/// The content of a string accepted by [`simple_string`] with its escapes decoded.
fn unescape(raw: &str) -> Option<String> {
    let mut text = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(k) = memchr::memchr(b'\\', rest.as_bytes()) {
        text.push_str(&rest[..k]);
        text.push(match rest.as_bytes().get(k + 1)? {
            b'"' => '"',
            b'\\' => '\\',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            _ => return None,
        });
        rest = &rest[k + 2..];
    }
    text.push_str(rest);
    Some(text)
}

/// A simple value starting at `b[*i]` (see [`parse_simple_in`]); `*i` moves past it. For a
/// string, `Some(escaped)`: whether it has an escape.
fn simple_value(b: &[u8], i: &mut usize) -> Option<Option<bool>> {
    let rest = &b[*i..];
    for word in [&b"true"[..], b"false", b"null"] {
        if rest.starts_with(word) {
            *i += word.len();
            return Some(None);
        }
    }
    match rest.first()? {
        b'"' => simple_string(b, i).map(|(_, _, escaped)| Some(escaped)),
        b'-' | b'0'..=b'9' => {
            let sign = usize::from(rest[0] == b'-');
            let digits = rest[sign..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            let next = rest.get(sign + digits);
            let leading_zero = rest.get(sign) == Some(&b'0');
            if digits == 0
                || digits > 18
                || (leading_zero && (digits > 1 || sign == 1))
                || matches!(next, Some(b'.' | b'e' | b'E'))
            {
                return None;
            }
            *i += sign + digits;
            Some(None)
        }
        _ => None,
    }
}

/// Part of a batch: its items, and the texts of the batch's lines just before and after it
/// (neighbour features look one sentence each way, so the part's rows are the rows it has
/// in the whole batch); `decode` when its labels are decoded (then it is a whole batch).
struct Part {
    items: Vec<Item>,
    before: Option<String>,
    after: Option<String>,
    decode: bool,
}

/// Cuts batches into parts of at most [`PART`] lines, in order. With `decode`, a batch of
/// lines with an `article` (not null) is kept whole as one part with `decode` set: the
/// decoder reads an article's sentences as one sequence.
fn into_parts(batches: Vec<Vec<Item>>, decode: bool) -> Vec<Part> {
    let mut parts = Vec::new();
    for batch in batches {
        let n = batch.len();
        let article = batch.first().and_then(Item::article);
        if decode && article.is_some_and(|a| !a.is_null()) {
            parts.push(Part {
                items: batch,
                before: None,
                after: None,
                decode: true,
            });
            continue;
        }
        let mut rest = batch.into_iter();
        let mut start = 0;
        let mut before: Option<String> = None;
        while start < n {
            let items: Vec<Item> = rest.by_ref().take(PART).collect();
            start += items.len();
            let last = items.last().map(|i| i.text().to_string());
            parts.push(Part {
                items,
                before: before.take(),
                after: None,
                decode: false,
            });
            before = last;
        }
        // The text after each part is the first text of the next part of the same batch.
        let first = parts.len() - n.div_ceil(PART);
        for k in first..parts.len().saturating_sub(1) {
            let next = parts[k + 1].items[0].text().to_string();
            parts[k].after = Some(next);
        }
    }
    parts
}

/// Classifies consecutive parts and renders their output lines into `out` (emptied first;
/// a buffer of an earlier round, so that its pages are not faulted in again): one buffer for
/// many parts, large enough to be written without a copy into the output's buffer.
fn render_parts(
    model: &Model,
    parts: Vec<Part>,
    mut out: Vec<u8>,
) -> Result<Vec<u8>, ClassifyError> {
    out.clear();
    for part in parts {
        render_part_into(model, part, &mut out)?;
    }
    Ok(out)
}

/// Classifies one part of a batch and appends its output lines to `out`.
fn render_part_into(model: &Model, part: Part, out: &mut Vec<u8>) -> Result<(), ClassifyError> {
    let mut texts: Vec<&str> = Vec::with_capacity(part.items.len() + 2);
    texts.extend(part.before.as_deref());
    texts.extend(part.items.iter().map(Item::text));
    texts.extend(part.after.as_deref());
    let probs = part_probs(model, &texts, part.before.is_some(), part.after.is_some());
    let predicted = predictions(model, probs, part.decode);
    let batch = part.items;
    // Each line is its text (escaped: usually as long) and at most about 200 bytes more
    // (keys, label, four floats), so the buffer is rarely grown (and copied).
    let text_bytes: usize = batch.iter().map(|i| i.text().len()).sum();
    out.reserve(text_bytes + batch.len() * 256);
    for (item, p) in batch.into_iter().zip(&predicted) {
        render_item(out, item, p)?;
    }
    Ok(())
}

/// Appends the output line of `item` with its prediction `p`.
fn render_item(out: &mut Vec<u8>, item: Item, p: &Prediction) -> Result<(), ClassifyError> {
    match item {
        Item::Map(m) => {
            let (mut record, _) = *m;
            p.annotate(&mut record);
            serde_json::to_writer(&mut *out, &record)
                .map_err(|e| ClassifyError::Write(e.into()))?;
            out.push(b'\n');
        }
        Item::Simple(s) => {
            out.extend_from_slice(s.head.as_str().as_bytes());
            write_prediction_tail(out, p);
        }
        Item::Plain(text) => write_text_line(out, text.as_str(), p),
    }
    Ok(())
}

/// The output, written one round behind: the lines rendered in one round are written while
/// the next round is classified, so writing overlaps the work of the other threads.
struct Output<'w> {
    out: &'w mut (dyn Write + Send),
    /// Rendered lines not yet written, in input order.
    pending: Vec<Result<Vec<u8>, ClassifyError>>,
    /// Written buffers, kept for the next rounds' output (a fresh buffer per part of a
    /// round had every page of the output faulted in anew).
    spare: Vec<Vec<u8>>,
}

/// Writes rendered lines in order, stopping at the first error; the written buffers are
/// added to `spare`.
fn write_rendered(
    out: &mut (dyn Write + Send),
    rendered: Vec<Result<Vec<u8>, ClassifyError>>,
    spare: &mut Vec<Vec<u8>>,
) -> Result<(), ClassifyError> {
    for r in rendered {
        let buf = r?;
        out.write_all(&buf).map_err(ClassifyError::Write)?;
        if spare.len() < MAX_SPARE {
            spare.push(buf);
        }
    }
    Ok(())
}

impl Output<'_> {
    /// Writes what is pending and flushes.
    fn finish(&mut self) -> Result<(), ClassifyError> {
        write_rendered(
            &mut *self.out,
            std::mem::take(&mut self.pending),
            &mut self.spare,
        )?;
        self.out.flush().map_err(ClassifyError::Write)
    }
}

/// A block read ahead by [`flush`].
type Block = Result<Option<Vec<u8>>, BlockError>;

/// Classifies the finished batches in parallel while the previous round is written and,
/// given `reader`, the next block of input is read (returned); the batches are written (in
/// input order) by the next call or by [`Output::finish`].
fn flush(
    model: &Model,
    ready: &mut Vec<Vec<Item>>,
    output: &mut Output<'_>,
    reader: Option<&mut BlockReader<'_>>,
) -> Result<Option<Block>, ClassifyError> {
    let parts = into_parts(std::mem::take(ready), model.decoder().is_some());
    // Consecutive parts are rendered into one buffer, a few groups per thread (enough to
    // share the work; an article is often a part of a dozen lines).
    let groups = group_parts(parts, rayon::current_num_threads() * GROUPS_PER_THREAD);
    let previous = std::mem::take(&mut output.pending);
    let keep = output.spare.len().saturating_sub(groups.len());
    let buffers = output.spare.split_off(keep);
    let mut returned = Vec::with_capacity(previous.len());
    let out = &mut *output.out;
    let (rendered, (written, block)) = rayon::join(
        || {
            let buffers = buffers.into_iter().chain(std::iter::repeat_with(Vec::new));
            groups
                .into_iter()
                .zip(buffers)
                .collect::<Vec<_>>()
                .into_par_iter()
                .map(|(g, buf)| render_parts(model, g, buf))
                .collect::<Vec<Result<Vec<u8>, ClassifyError>>>()
        },
        || {
            let written = write_rendered(out, previous, &mut returned);
            (written, reader.map(BlockReader::next_block))
        },
    );
    written?;
    output.spare.append(&mut returned);
    output.pending = rendered;
    Ok(block)
}

/// Groups of consecutive parts rendered into one buffer, per worker thread of a round.
const GROUPS_PER_THREAD: usize = 4;

/// Cuts `parts` into at most `n` runs of consecutive parts with about as many lines each.
fn group_parts(parts: Vec<Part>, n: usize) -> Vec<Vec<Part>> {
    let lines: usize = parts.iter().map(|p| p.items.len()).sum();
    let per_group = lines.div_ceil(n.max(1)).max(1);
    let mut groups = Vec::with_capacity(n);
    let mut current = Vec::new();
    let mut in_current = 0;
    for part in parts {
        in_current += part.items.len();
        current.push(part);
        if in_current >= per_group {
            groups.push(std::mem::take(&mut current));
            in_current = 0;
        }
    }
    if !current.is_empty() {
        groups.push(current);
    }
    groups
}

/// Groups items into batches exactly as a line-by-line reader would: a batch ends when the
/// "article" field changes or it holds [`MAX_BATCH`] lines. The batches, not the thread
/// count, decide the features (neighbours), so the output is the same on any machine.
struct Batcher {
    current: Vec<Item>,
    ready: Vec<Vec<Item>>,
    ready_items: usize,
    classified: usize,
}

impl Batcher {
    fn push(&mut self, item: Item) {
        // A batch holds lines of one article: the last line's is the batch's.
        if let Some(last) = self.current.last() {
            if self.current.len() >= MAX_BATCH || !same_article(last.article(), item.article()) {
                self.finish_current();
            }
        }
        self.current.push(item);
    }

    fn finish_current(&mut self) {
        if !self.current.is_empty() {
            self.ready_items += self.current.len();
            self.classified += self.current.len();
            // The next batch starts with room for as many lines as this one (articles are
            // alike in length), so it is not grown line by line.
            let room = self.current.len().clamp(16, MAX_BATCH);
            let batch = std::mem::replace(&mut self.current, Vec::with_capacity(room));
            self.ready.push(batch);
        }
    }
}

/// Why [`BlockReader::next_block`] gave no block.
#[derive(Debug)]
enum BlockError {
    /// Reading failed.
    Io(std::io::Error),
    /// The block's first line is longer than [`MAX_LINE`] bytes.
    LineTooLong,
}

/// Reads the input in blocks of whole lines (about [`CHUNK`] lines of news sentences).
struct BlockReader<'r> {
    reader: Box<dyn Read + Send + 'r>,
    /// The start of a line cut off at the end of the previous block.
    carry: Vec<u8>,
    eof: bool,
    /// Whether anything was read yet (a byte order mark is skipped only at the start).
    started: bool,
    /// Blocks given back once their lines are written, to be filled again (their pages are
    /// already mapped).
    spare: Vec<Vec<u8>>,
}

impl<'r> BlockReader<'r> {
    /// A reader of `reader`'s lines.
    fn new(reader: Box<dyn Read + Send + 'r>) -> BlockReader<'r> {
        BlockReader {
            reader,
            carry: Vec::new(),
            eof: false,
            started: false,
            spare: Vec::new(),
        }
    }

    /// The next block: whole lines, each ended by `\n` (the last line of the input may lack
    /// it); `None` at the end of the input. Only a block's first line can be long (the other
    /// lines are within the last reads), so only it is checked against [`MAX_LINE`]. Each
    /// byte is searched for a line end once, so a long line costs linear time.
    fn next_block(&mut self) -> Result<Option<Vec<u8>>, BlockError> {
        let mut buf = self.spare.pop().unwrap_or_default();
        buf.clear();
        buf.extend_from_slice(&self.carry);
        self.carry.clear();
        // `buf[..searched]` holds no line end (the carry holds none).
        let mut searched = buf.len();
        loop {
            if self.eof {
                if buf.len() > MAX_LINE {
                    let first =
                        memchr::memchr(b'\n', &buf[searched..]).map_or(buf.len(), |i| searched + i);
                    if first > MAX_LINE {
                        return Err(BlockError::LineTooLong);
                    }
                }
                return Ok((!buf.is_empty()).then_some(buf));
            }
            // Up to READ bytes into the spare room: `read_to_end` zeroes only what each read
            // is given, so a short input does not touch a whole READ-sized zeroed buffer
            // (512 page faults, a tenth of a tiny run's time). It retries interrupted reads
            // and stops short of READ only at the end of input.
            buf.reserve(READ);
            let n = (&mut *self.reader)
                .take(READ as u64)
                .read_to_end(&mut buf)
                .map_err(BlockError::Io)?;
            if !self.started {
                // The first read holds the start of the input (at least 3 bytes unless the
                // input is shorter).
                self.started = true;
                if buf.starts_with(BOM) {
                    buf.drain(..BOM.len());
                }
            }
            if n < READ {
                self.eof = true;
            } else if buf.len() >= 2 * READ {
                match memchr::memrchr(b'\n', &buf[searched..]) {
                    Some(i) => {
                        let end = searched + i;
                        if end > MAX_LINE {
                            let first =
                                searched + memchr::memchr(b'\n', &buf[searched..]).unwrap_or(i);
                            if first > MAX_LINE {
                                return Err(BlockError::LineTooLong);
                            }
                        }
                        self.carry.extend_from_slice(&buf[end + 1..]);
                        buf.truncate(end + 1);
                        return Ok(Some(buf));
                    }
                    None => {
                        searched = buf.len();
                        if buf.len() > MAX_LINE {
                            return Err(BlockError::LineTooLong);
                        }
                    }
                }
            }
        }
    }

    /// Gives a parsed block back for reuse.
    fn recycle(&mut self, block: Vec<u8>) {
        if self.spare.len() < MAX_SPARE_BLOCKS {
            self.spare.push(block);
        }
    }
}

/// The lines of one piece of a block, parsed: the items of its non-blank lines in order, its
/// number of lines, and the position (line index in the piece) and problem of the first bad
/// line (`None`: not UTF-8).
struct Piece {
    items: Vec<Item>,
    lines: usize,
    bad: Option<(usize, Option<LineProblem>)>,
}

/// Splits `bytes` into lines as `BufRead::lines` does (`\n`, then a `\r` before it, removed).
fn lines_of(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = bytes;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let (line, next) = match memchr::memchr(b'\n', rest) {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = next;
        Some(line.strip_suffix(b"\r").unwrap_or(line))
    })
}

/// Parses the lines of one piece; stops at the first line that is not UTF-8 or does not
/// parse (the caller reports it with its line number). With `block` (a block of valid UTF-8),
/// the piece is the part of the block at the offset given, and the items' texts are read in
/// the block.
fn parse_piece_in(bytes: &[u8], block: Option<(&Arc<String>, usize)>) -> Piece {
    let mut piece = Piece {
        // News sentences as JSON lines are 200-300 bytes long: few pieces grow this.
        items: Vec::with_capacity(bytes.len() / 128 + 1),
        lines: 0,
        bad: None,
    };
    for (i, raw) in lines_of(bytes).enumerate() {
        piece.lines = i + 1;
        // Where the line is in the block (`raw` is a part of `bytes`, itself of the block).
        let at = block.map(|(b, offset)| {
            (
                b,
                offset + (raw.as_ptr() as usize - bytes.as_ptr() as usize),
            )
        });
        let line = match at {
            Some((b, start)) => b.get(start..start + raw.len()),
            None => std::str::from_utf8(raw).ok(),
        };
        let Some(line) = line else {
            piece.bad = Some((i, None));
            return piece;
        };
        let trimmed = line.trim_start();
        let lead = line.len() - trimmed.len();
        let trimmed = trimmed.trim_end();
        if trimmed.is_empty() {
            continue;
        }
        match parse_line_in(trimmed, at.map(|(b, start)| (b, start + lead))) {
            Ok(item) => piece.items.push(item),
            Err(problem) => {
                piece.bad = Some((i, Some(problem)));
                return piece;
            }
        }
    }
    piece
}

/// The error of a bad line found by [`parse_piece_in`], named by input and line number.
fn bad_line_error(input: &str, line: usize, problem: Option<LineProblem>) -> ClassifyError {
    match problem {
        None => ClassifyError::Read {
            input: input.to_string(),
            line,
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "stream did not contain valid UTF-8",
            ),
        },
        Some(problem) => ClassifyError::BadLine {
            input: input.to_string(),
            line,
            problem,
        },
    }
}

/// Splits a block into about `n` pieces of whole lines.
fn split_block(block: &[u8], n: usize) -> Vec<&[u8]> {
    let mut pieces = Vec::with_capacity(n);
    let mut start = 0;
    for k in 1..n {
        let target = block.len() * k / n;
        if target <= start {
            continue;
        }
        match memchr::memchr(b'\n', &block[target..]) {
            Some(i) => {
                let end = target + i + 1;
                pieces.push(&block[start..end]);
                start = end;
            }
            None => break,
        }
    }
    if start < block.len() {
        pieces.push(&block[start..]);
    }
    pieces
}

/// Gives the lent blocks whose items are all written (dropped) back to the reader.
fn reclaim(lent: &mut Vec<Arc<String>>, blocks: &mut BlockReader<'_>) {
    for block in std::mem::take(lent) {
        match Arc::try_unwrap(block) {
            Ok(text) => blocks.recycle(text.into_bytes()),
            Err(block) => lent.push(block),
        }
    }
}

/// Classifies every line of `reader` into `out` (see
/// [`Pipeline::classify_stream`](super::Pipeline::classify_stream)); `input` names the input
/// in errors, already escaped.
pub(super) fn classify_stream(
    model: &Model,
    reader: Box<dyn Read + Send + '_>,
    input: &str,
    out: &mut (dyn Write + Send),
) -> Result<ClassifySummary, ClassifyError> {
    let mut out = Output {
        out,
        pending: Vec::new(),
        spare: Vec::new(),
    };
    let mut batcher = Batcher {
        current: Vec::new(),
        ready: Vec::new(),
        ready_items: 0,
        classified: 0,
    };
    let mut blocks = BlockReader::new(reader);
    // Blocks whose lines are not all written yet.
    let mut lent: Vec<Arc<String>> = Vec::new();
    let n_pieces = rayon::current_num_threads() * 4;
    // Lines before the current block.
    let mut lines_before = 0usize;
    // The next block, when read while the previous batches were classified.
    let mut read_ahead: Option<Block> = None;
    loop {
        let block = match read_ahead.take() {
            Some(block) => block,
            None => blocks.next_block(),
        };
        // A failed read or a long line is the first line of the block.
        let line = lines_before + 1;
        let block = match block {
            Ok(block) => block,
            Err(BlockError::Io(source)) => {
                return Err(ClassifyError::Read {
                    input: input.to_string(),
                    line,
                    source,
                })
            }
            Err(BlockError::LineTooLong) => {
                // As for a bad line: the batches finished before it are written.
                flush(model, &mut batcher.ready, &mut out, None)?;
                out.finish()?;
                return Err(ClassifyError::LineTooLong {
                    input: input.to_string(),
                    line,
                });
            }
        };
        let Some(block) = block else {
            break;
        };
        // A block of UTF-8 (the usual case) is shared by the items read from it; another is
        // read line by line (the first line that is not UTF-8 is an error).
        let (shared, owned) = match String::from_utf8(block) {
            Ok(text) => (Some(Arc::new(text)), Vec::new()),
            Err(e) => (None, e.into_bytes()),
        };
        let bytes = shared.as_ref().map_or(&owned[..], |b| b.as_bytes());
        // Split into lines and parse them in parallel, piece by piece.
        let pieces: Vec<Piece> = split_block(bytes, n_pieces)
            .into_par_iter()
            .map(|piece| {
                let offset = piece.as_ptr() as usize - bytes.as_ptr() as usize;
                parse_piece_in(piece, shared.as_ref().map(|b| (b, offset)))
            })
            .collect();
        for piece in pieces {
            for item in piece.items {
                batcher.push(item);
            }
            if let Some((i, problem)) = piece.bad {
                // As when reading line by line: the batches finished before the bad line
                // are written, the one it interrupts is not.
                let e = bad_line_error(input, lines_before + i + 1, problem);
                flush(model, &mut batcher.ready, &mut out, None)?;
                out.finish()?;
                return Err(e);
            }
            lines_before += piece.lines;
        }
        match shared {
            Some(block) => lent.push(block),
            None => blocks.recycle(owned),
        }
        if batcher.ready_items >= CHUNK {
            reclaim(&mut lent, &mut blocks);
            read_ahead = flush(model, &mut batcher.ready, &mut out, Some(&mut blocks))?;
            batcher.ready_items = 0;
        }
    }
    batcher.finish_current();
    flush(model, &mut batcher.ready, &mut out, None)?;
    out.finish()?;
    Ok(ClassifySummary {
        lines: lines_before,
        classified: batcher.classified,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::label::Label;

    /// A batch cut into parts (each with one sentence of context each way) gets the rows of
    /// the whole batch, with neighbour features on, so the output does not depend on `PART`.
    #[test]
    fn parts_of_a_batch_classify_like_the_whole_batch() {
        use crate::gold::Example;
        use crate::sentence::Role;
        let mut params = crate::model::ModelParams::default();
        params.featurizer.neighbours = true;
        let texts = [
            ("US officials denied receiving any message", Label::UsDenial),
            ("Fighting continued near the front", Label::Context),
            (
                "The Kremlin signalled openness to talks",
                Label::RussianClaim,
            ),
            (
                "Analysts called the overture a ploy",
                Label::ExpertSkepticism,
            ),
        ];
        let examples: Vec<Example> = (0..40)
            .map(|i| {
                let (text, label) = texts[i % 4];
                Example {
                    text: format!("{text} {i}"),
                    label,
                    article: format!("a{}", i / 8),
                    outlet: "o".into(),
                    index: i % 8,
                    role: Role::Body,
                }
            })
            .collect();
        let model = params.fit(&examples).unwrap();
        for n in [1, 2, PART - 1, PART, PART + 1, 2 * PART + 3] {
            let items = || -> Vec<Item> {
                (0..n)
                    .map(|i| Item::plain(format!("{} {i}", texts[(i * 7 + i / 3) % 4].0)))
                    .collect()
            };
            let whole = Part {
                items: items(),
                before: None,
                after: None,
                decode: false,
            };
            let whole = render_parts(&model, vec![whole], Vec::new()).unwrap();
            let parts = into_parts(vec![items()], true);
            assert_eq!(parts.len(), n.div_ceil(PART));
            let mut out = Vec::new();
            for part in parts {
                out.extend(render_parts(&model, vec![part], b"stale".to_vec()).unwrap());
            }
            assert_eq!(out, whole, "{n} lines");
            // And the neighbours matter in this test: a sentence alone is classified otherwise.
            let alone = Part {
                items: items().into_iter().skip(1).take(1).collect(),
                before: None,
                after: None,
                decode: false,
            };
            if n > 2 {
                let line = render_parts(&model, vec![alone], Vec::new()).unwrap();
                let second = whole.split(|&b| b == b'\n').nth(1).unwrap();
                assert_ne!(&line[..line.len() - 1], second);
            }
        }
    }

    #[test]
    fn groups_keep_every_part_in_order_and_share_the_lines() {
        let part = |n: usize, first: usize| Part {
            items: (first..first + n)
                .map(|i| Item::plain(i.to_string()))
                .collect(),
            before: None,
            after: None,
            decode: false,
        };
        for sizes in [
            vec![],
            vec![5],
            vec![1; 40],
            vec![16, 3, 250, 7, 7, 7, 90, 1, 1],
        ] {
            for n in [1, 2, 4, 8, 100] {
                let mut first = 0;
                let parts: Vec<Part> = sizes
                    .iter()
                    .map(|&k| {
                        first += k;
                        part(k, first - k)
                    })
                    .collect();
                let groups = group_parts(parts, n);
                assert!(groups.len() <= n.max(1), "{sizes:?} {n}");
                assert!(groups.iter().all(|g| !g.is_empty()));
                let texts: Vec<String> = groups
                    .iter()
                    .flatten()
                    .flat_map(|p| p.items.iter().map(|i| i.text().to_string()))
                    .collect();
                let want: Vec<String> = (0..first).map(|i| i.to_string()).collect();
                assert_eq!(texts, want);
            }
        }
    }

    /// All blocks of `input`, joined, with the reader's outcome.
    fn read_all(input: impl Read + Send + 'static) -> (Vec<u8>, usize, Option<BlockError>) {
        let mut reader = BlockReader::new(Box::new(input));
        let (mut all, mut blocks) = (Vec::new(), 0);
        loop {
            match reader.next_block() {
                Ok(Some(block)) => {
                    all.extend_from_slice(&block);
                    blocks += 1;
                    reader.recycle(block);
                }
                Ok(None) => return (all, blocks, None),
                Err(e) => return (all, blocks, Some(e)),
            }
        }
    }

    #[test]
    fn blocks_keep_every_byte_and_cut_only_at_line_ends() {
        // Short lines, a 3 MB line across several reads, short lines again.
        let mut input = b"first\nsecond\r\n".to_vec();
        input.extend(vec![b'x'; 3 * READ + 17]);
        input.extend_from_slice(b"\nafter\n");
        input.extend(b"line\n".repeat(READ / 2));
        input.extend_from_slice(b"no newline at the end");
        let (all, blocks, err) = read_all(std::io::Cursor::new(input.clone()));
        assert!(err.is_none());
        assert!(blocks >= 2, "{blocks} blocks");
        assert_eq!(all, input);
        let mut reader = BlockReader::new(Box::new(std::io::Cursor::new(input)));
        while let Some(block) = reader.next_block().unwrap() {
            let last = *block.last().unwrap();
            assert!(last == b'\n' || block.ends_with(b"no newline at the end"));
        }
    }

    #[test]
    fn a_byte_order_mark_is_skipped_at_the_start_only() {
        let input = b"\xEF\xBB\xBF{\"text\":\"a\"}\n\xEF\xBB\xBFsecond\n".to_vec();
        let (all, _, err) = read_all(std::io::Cursor::new(input));
        assert!(err.is_none());
        assert_eq!(all, b"{\"text\":\"a\"}\n\xEF\xBB\xBFsecond\n");
        let (all, _, _) = read_all(std::io::Cursor::new(b"\xEF\xBB".to_vec()));
        assert_eq!(all, b"\xEF\xBB", "a cut-off mark is data");
    }

    #[test]
    fn lines_up_to_the_limit_are_read_and_longer_ones_refused() {
        // Exactly MAX_LINE bytes, then a line end: read (at the end of input, and before more).
        // (A tail of more than READ bytes puts the line end inside a full read.)
        let long_tail = [&b"\n"[..], &b"x\n".repeat(READ)].concat();
        for tail in [&b"\n"[..], b"\nnext line\n", b"", &long_tail] {
            let input = std::io::repeat(b'a')
                .take(MAX_LINE as u64)
                .chain(std::io::Cursor::new(tail.to_vec()));
            let (all, _, err) = read_all(input);
            assert!(err.is_none(), "{tail:?}: {err:?}");
            assert_eq!(all.len(), MAX_LINE + tail.len());
        }
        // One byte more: refused, whether a line end follows, the input ends, or it never
        // ends (an endless stream such as /dev/zero stops at the limit).
        for tail in [&b"\n"[..], b"\nnext\n", b"", &long_tail] {
            let input = std::io::repeat(b'a')
                .take(MAX_LINE as u64 + 1)
                .chain(std::io::Cursor::new(tail.to_vec()));
            let (_, _, err) = read_all(input);
            assert!(matches!(err, Some(BlockError::LineTooLong)), "{tail:?}");
        }
        let (all, _, err) = read_all(std::io::repeat(0));
        assert!(matches!(err, Some(BlockError::LineTooLong)));
        assert!(all.is_empty());
        // A long line after short ones: the short ones come first, in a block of their own.
        let input = std::io::Cursor::new(b"one\ntwo\n".to_vec()).chain(std::io::repeat(b'z'));
        let (all, blocks, err) = read_all(input);
        assert!(matches!(err, Some(BlockError::LineTooLong)));
        assert_eq!((all.as_slice(), blocks), (&b"one\ntwo\n"[..], 1));
    }

    #[test]
    fn repeated_keys_are_refused_and_other_records_parse_as_serde_json_maps() {
        for key in ["text", "article", "label", "probs", "id"] {
            let line = format!("{{\"text\":\"a\",\"article\":\"x\",\"label\":1,\"probs\":2,\"id\":3,\"{key}\":\"b\"}}");
            let e = parse_line(&line).err().unwrap();
            assert_eq!(e, LineProblem::RepeatedKey(key.to_string()));
            let e = bad_line_error("f.jsonl", 7, Some(e)).to_string();
            assert_eq!(
                e,
                format!("f.jsonl:7: JSON key `{key}` is given twice in this object; keep one")
            );
        }
        // The first repeated key is named; a control character in it is escaped.
        let e = parse_line("{\"\\u001b[2J\":1,\"text\":\"t\",\"\\u001b[2J\":2,\"text\":\"u\"}")
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("key `\\u{1b}[2J`") && !e.contains('\u{1b}'),
            "{e}"
        );
        // A repeated key whose second value is broken JSON is a JSON error.
        let e = parse_line("{\"text\":\"a\",\"text\":[}")
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("not a JSON object"), "{e}");
        // Nested objects and different keys are not repeats; records are the maps serde_json
        // reads (same keys, values and order), so the output is unchanged.
        for line in [
            r#"{"text":"a","meta":{"text":1},"Text":2,"z":[{"a":1},{"a":1}]}"#,
            r#"{"z":1,"text":"b \u00e9\"q\"","article":null,"probs":{"x":1.5e300},"label":"x"}"#,
            r#"{"text":""}"#,
        ] {
            let item = parse_record(line).unwrap();
            let want: Map<String, Value> = serde_json::from_str(line).unwrap();
            let Item::Map(got) = item else {
                panic!("a record")
            };
            let got = got.0;
            assert_eq!(
                serde_json::to_string(&got).unwrap(),
                serde_json::to_string(&want).unwrap()
            );
        }
    }

    #[test]
    fn a_bad_line_is_named_and_the_batches_before_it_are_written() {
        let model = crate::model::Model::default_model().unwrap();
        // Two articles, then a line whose "text" is a number, then more lines.
        let input = "{\"text\":\"Talks.\",\"article\":\"a\"}\n\
                     {\"text\":\"Denied.\",\"article\":\"b\"}\n\
                     {\"text\":3,\"article\":\"b\"}\n\
                     {\"text\":\"Never read.\"}\n";
        let mut out = Vec::new();
        let e =
            classify_stream(&model, Box::new(input.as_bytes()), "in.jsonl", &mut out).unwrap_err();
        assert_eq!(
            e.to_string(),
            "in.jsonl:3: the \"text\" field is not a string (found a number)"
        );
        // Article "a" was finished before the bad line; "b" was interrupted by it.
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(text.starts_with("{\"text\":\"Talks.\",\"article\":\"a\",\"label\":"));
        // Not UTF-8: a read error on that line.
        let mut out = Vec::new();
        let e = classify_stream(&model, Box::new(&b"ok\n\xff\n"[..]), "t", &mut out).unwrap_err();
        assert!(matches!(e, ClassifyError::Read { line: 2, .. }), "{e:?}");
        assert_eq!(String::from_utf8(out).unwrap().lines().count(), 0);
    }

    #[test]
    fn blocks_of_utf8_and_a_block_with_a_bad_line_give_the_same_lines() {
        let model = crate::model::Model::default_model().unwrap();
        // Over two blocks of input; the articles change every ten lines.
        let lines: Vec<String> = (0..12_000)
            .map(|i| {
                format!(
                    "{{\"article\":\"a{}\",\"index\":{i},\"text\":\"Officials \\\"denied\\\" talks \
                     on line {i}, said the spokesman of the ministry in a statement on Tuesday, \
                     adding that no envoy had been sent and that the reports were false.\"}}",
                    i / 10
                )
            })
            .collect();
        let good = lines[..11_000].join("\n") + "\n";
        assert!(good.len() > 2 * READ);
        let mut want = Vec::new();
        classify_stream(&model, Box::new(good.as_bytes()), "in", &mut want).unwrap();
        assert_eq!(want.iter().filter(|&&b| b == b'\n').count(), 11_000);
        // The same lines, then one that is not UTF-8: the block holding it is read line by
        // line, and the finished batches before it are written as when all was UTF-8.
        let mut bad = good.into_bytes();
        bad.extend_from_slice(b"{\"article\":\"a1100\",\"text\":\"\xff\"}\n");
        bad.extend_from_slice((lines[11_001..].join("\n") + "\n").as_bytes());
        let mut out = Vec::new();
        let e = classify_stream(&model, Box::new(&bad[..]), "in", &mut out).unwrap_err();
        assert!(
            matches!(e, ClassifyError::Read { line: 11_001, .. }),
            "{e:?}"
        );
        // The batch the bad line interrupts (article a1099, the ten lines before it) is not
        // written.
        let kept: usize = want
            .split_inclusive(|&b| b == b'\n')
            .take(10_990)
            .map(<[u8]>::len)
            .sum();
        assert!(out == want[..kept], "the outputs differ");
    }

    /// A writer whose reader has gone away.
    struct Closed;

    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_summary_counts_lines_and_a_closed_output_is_a_broken_pipe() {
        let model = crate::model::Model::default_model().unwrap();
        let input = "\u{feff}one\r\n\n  \n{\"text\":\"two\",\"article\":1}\nthree";
        let mut out = Vec::new();
        let summary = classify_stream(&model, Box::new(input.as_bytes()), "t", &mut out).unwrap();
        assert_eq!(
            summary,
            ClassifySummary {
                lines: 5,
                classified: 3
            }
        );
        assert_eq!(String::from_utf8(out).unwrap().lines().count(), 3);
        let e = classify_stream(&model, Box::new(input.as_bytes()), "t", &mut Closed).unwrap_err();
        assert!(e.is_broken_pipe(), "{e:?}");
        let bad =
            classify_stream(&model, Box::new(&b"{\"x\":1}"[..]), "t", &mut Closed).unwrap_err();
        assert!(!bad.is_broken_pipe(), "{bad:?}");
    }
    /// A record's output bytes, text and article (or its error) from `parse`, rendered with
    /// `p`.
    fn output(
        parse: fn(&str) -> Result<Item, LineProblem>,
        line: &str,
        p: &Prediction,
    ) -> Result<(Vec<u8>, String, Option<Value>), LineProblem> {
        let item = parse(line)?;
        let (text, article) = (
            item.text().to_string(),
            item.article().map(Article::to_value),
        );
        let mut out = Vec::new();
        render_item(&mut out, item, p).unwrap();
        Ok((out, text, article))
    }

    #[test]
    fn simple_records_take_the_fast_path_and_others_do_not() {
        for line in [
            r#"{"text":"Putin is open to talks.","id":"a1","article":"nyt-1"}"#,
            "{ \"id\" : 17 , \"article\" : null,\t\"text\" : \"free \u{2028} \u{2029} é 🙂\", \"ok\": true }",
            r#"{"text":"a \"quote\" \\ \n","outlet":"\"O\""}"#,
            r#"{"article":-42,"text":"","n":0,"f":false,"big":123456789012345678}"#,
        ] {
            assert!(parse_simple(line).is_some(), "{line}");
        }
        for line in [
            r#"{"text":"a \u0022quote\u0022"}"#,
            r#"{"text":"a\/b"}"#,
            r#"{"text":"a","n":1.5}"#,
            r#"{"text":"a","n":1e3}"#,
            r#"{"text":"a","n":-0}"#,
            r#"{"text":"a","n":1234567890123456789}"#,
            r#"{"text":"a","meta":{"x":1}}"#,
            r#"{"text":"a","tags":[]}"#,
            r#"{"text":"a","label":"context"}"#,
            r#"{"text":"a","probs":1}"#,
            r#"{"text":"a","argmax":"context"}"#,
            r#"{"text":"a","text":"b"}"#,
            r#"{"id":1}"#,
            r#"{"text":1}"#,
            r#"{}"#,
            r#"{"text":"a",}"#,
            r#"{"text":"a"} x"#,
            "{\"text\":\"tab\tinside\"}",
        ] {
            assert!(parse_simple(line).is_none(), "{line}");
        }
        let p = Prediction {
            label: Label::UsDenial,
            argmax: Some(Label::Context),
            probs: [0.1, 0.6, 0.05, 0.25],
            decoded: true,
        };
        let (fast, text, article) = output(
            parse_line,
            r#"{ "id" : 17 , "text" : "T", "article": 3 }"#,
            &p,
        )
        .unwrap();
        assert_eq!((text.as_str(), article), ("T", Some(Value::from(3))));
        assert_eq!(
            String::from_utf8(fast).unwrap(),
            concat!(
                r#"{"id":17,"text":"T","article":3,"label":"us_denial","argmax":"context","#,
                r#""probs":{"russian_claim":0.1,"us_denial":0.6,"expert_skepticism":0.05,"context":0.25}}"#,
                "\n"
            )
        );
    }

    mod fast_path_property {
        use super::*;
        use proptest::prelude::*;

        /// A piece of a JSON string's source: raw characters (some of which JSON refuses raw)
        /// or escapes (some of them invalid).
        fn string_piece() -> impl Strategy<Value = String> {
            prop_oneof![
                4 => prop::char::range('a', 'z').prop_map(String::from),
                1 => Just(" ".to_string()),
                1 => prop_oneof![
                    Just('\u{2028}'),
                    Just('\u{2029}'),
                    Just('é'),
                    Just('中'),
                    Just('\u{1F642}'),
                    Just('\u{7f}'),
                    Just('\u{85}'),
                    Just('\u{feff}'),
                    Just('\t'),
                    Just('\u{1}'),
                    Just('/'),
                    any::<char>().prop_filter("no quote or backslash", |c| *c != '"' && *c != '\\'),
                ]
                .prop_map(String::from),
                1 => prop::sample::select(vec![
                    r"\n", r#"\""#, r"\\", r"\/", r"\u00e9", r"\u2028", r"\u2029", r"\ud83d\ude42",
                    r"\u0000", r"\t", r"\ud800", r"\x", r"\b", r"\f", r"\r", r"\u001f", r"\u0022",
                    r"\u005c", r"\U0041", r"\",
                ])
                .prop_map(String::from),
            ]
        }

        fn json_string() -> impl Strategy<Value = String> {
            prop::collection::vec(string_piece(), 0..12).prop_map(|v| format!("\"{}\"", v.concat()))
        }

        fn value() -> impl Strategy<Value = String> {
            let scalar = prop_oneof![
                4 => json_string(),
                1 => prop::sample::select(vec![
                    "true", "false", "null", "0", "-0", "7", "-12", "1.5", "1e3", "-2.5E-3",
                    "123456789012345678", "-123456789012345678", "1234567890123456789",
                    "12345678901234567890", "007", "tru", "-", "0.0", "truex",
                ])
                .prop_map(String::from),
                1 => any::<i64>().prop_map(|n| n.to_string()),
            ];
            scalar.prop_recursive(2, 8, 3, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..3)
                        .prop_map(|v| format!("[{}]", v.join(","))),
                    prop::collection::vec((json_string(), inner), 0..3).prop_map(|v| {
                        let fields: Vec<String> =
                            v.into_iter().map(|(k, v)| format!("{k}:{v}")).collect();
                        format!("{{{}}}", fields.join(","))
                    }),
                ]
            })
        }

        fn key() -> impl Strategy<Value = String> {
            prop_oneof![
                6 => prop::sample::select(vec![
                    "text", "article", "id", "label", "argmax", "probs", "Text", "é", "a b", "",
                    "\u{2028}", r"te\u0078t", r#"n\"q"#,
                ])
                .prop_map(|k| format!("\"{k}\"")),
                1 => json_string(),
            ]
        }

        fn space() -> impl Strategy<Value = &'static str> {
            prop::sample::select(vec!["", "", "", " ", "\t", "  ", "\r", " \u{a0}"])
        }

        /// A line starting with `{`: fields with any keys (repeats included) and values, an
        /// ordinary text field often, random whitespace, and now and then a broken end.
        fn line() -> impl Strategy<Value = String> {
            (
                prop::collection::vec((key(), value(), space(), space(), space()), 0..6),
                prop::option::of((0usize..6, json_string())),
                space(),
                prop::sample::select(vec!["}", "}", "}", "}", ",}", "", "}}", "} x"]),
            )
                .prop_map(|(mut fields, text, lead, end)| {
                    if let Some((at, t)) = text {
                        let at = at.min(fields.len());
                        fields.insert(at, ("\"text\"".to_string(), t, "", " ", ""));
                    }
                    let body: Vec<String> = fields
                        .into_iter()
                        .map(|(k, v, a, b, c)| format!("{a}{k}{b}:{c}{v}"))
                        .collect();
                    format!("{{{lead}{}{lead}{end}", body.join(","))
                })
        }

        fn prediction() -> impl Strategy<Value = Prediction> {
            (
                0usize..4,
                prop::option::of(0usize..4),
                prop::array::uniform4(0.0f64..=1.0),
                any::<bool>(),
            )
                .prop_map(|(l, a, probs, decoded)| Prediction {
                    label: Label::ALL[l],
                    argmax: a.map(|a| Label::ALL[a]),
                    probs,
                    decoded,
                })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]
            /// The fast path gives the generic path's bytes, text and article (or its error)
            /// on any line.
            #[test]
            fn fast_path_output_is_the_generic_output(raw in line(), p in prediction()) {
                let trimmed = raw.trim();
                prop_assume!(trimmed.starts_with('{'));
                prop_assert_eq!(output(parse_line, trimmed, &p), output(parse_record, trimmed, &p));
            }

            /// Lines read in place in a shared block give the items (output bytes, text,
            /// article) and errors of lines read into strings of their own.
            #[test]
            fn lines_read_in_a_shared_block_are_the_lines_read_alone(
                lines in prop::collection::vec(
                    prop_oneof![
                        3 => line(),
                        1 => Just("plain text  ".to_string()),
                        1 => Just(" ".to_string()),
                        1 => Just(r#"{"text":"a \"b\"","article":"x"}"#.to_string()),
                    ],
                    1..12,
                ),
                n in 1usize..4,
                p in prediction(),
            ) {
                let text = lines.join("\n") + "\n";
                let block = Arc::new(text.clone());
                let bytes = block.as_bytes();
                let render = |piece: Piece| {
                    let items: Vec<_> = piece
                        .items
                        .into_iter()
                        .map(|item| {
                            let text = item.text().to_string();
                            let article = item.article().map(Article::to_value);
                            let mut out = Vec::new();
                            render_item(&mut out, item, &p).unwrap();
                            (out, text, article)
                        })
                        .collect();
                    (items, piece.lines, piece.bad)
                };
                for piece in split_block(bytes, n) {
                    let offset = piece.as_ptr() as usize - bytes.as_ptr() as usize;
                    let shared = render(parse_piece_in(piece, Some((&block, offset))));
                    let alone = render(parse_piece_in(piece, None));
                    prop_assert_eq!(shared, alone);
                }
            }

            /// Lines of ordinary keys and scalar values, in any order and spacing, take the
            /// fast path, and give the generic path's bytes.
            #[test]
            fn ordinary_lines_take_the_fast_path(
                text in prop::collection::vec(prop_oneof![
                    16 => prop::char::range('a', 'z').prop_map(String::from),
                    2 => Just("\u{2028}".to_string()),
                    2 => Just("é".to_string()),
                    1 => prop::sample::select(vec![
                        r#"\""#, r"\\", r"\n", r"\t", r"\r", r"\b", r"\f",
                    ]).prop_map(String::from),
                ], 0..30),
                id in -999_999_999_999_999_999i64..=999_999_999_999_999_999,
                order in 0usize..3,
                sp in prop::sample::select(vec!["", " ", "\t", "  ", "\r"]),
                p in prediction(),
            ) {
                let text: String = text.concat();
                let mut fields = [
                    format!("\"text\":{sp}\"{text}\""),
                    format!("\"id\"{sp}:{id}"),
                    "\"article\":\"a\"".to_string(),
                ];
                fields.rotate_left(order);
                let line = format!("{{{sp}{}{sp}}}", fields.join(&format!(",{sp}")));
                let line = line.trim();
                prop_assert!(parse_simple(line).is_some(), "{}", line);
                prop_assert_eq!(output(parse_line, line, &p), output(parse_record, line, &p));
            }

            /// Lines are cut into the batches that comparing the articles as serde_json
            /// values gives, whichever path read each line and however its article is
            /// written.
            #[test]
            fn batches_follow_the_articles_as_json_values(
                lines in prop::collection::vec((
                    prop::sample::select(vec![
                        "\"a\"", "\"a\"", "\"b\"", r#""a\"b""#, r#""a\u0022b""#, r#""\u0061""#,
                        "1", "1.0", "-0.0", "0.0", "0", "null", "true", "[1]", "[1.0]",
                    ]),
                    any::<bool>(),
                    any::<bool>(),
                ), 0..40),
            ) {
                let lines: Vec<String> = lines
                    .into_iter()
                    .map(|(article, generic, present)| {
                        let extra = if generic { ",\"m\":{}" } else { "" };
                        if present {
                            format!("{{\"text\":\"t\",\"article\":{article}{extra}}}")
                        } else {
                            format!("{{\"text\":\"t\"{extra}}}")
                        }
                    })
                    .collect();
                let mut batcher = Batcher {
                    current: Vec::new(),
                    ready: Vec::new(),
                    ready_items: 0,
                    classified: 0,
                };
                for line in &lines {
                    batcher.push(parse_line(line).unwrap());
                }
                batcher.finish_current();
                let sizes: Vec<usize> = batcher.ready.iter().map(Vec::len).collect();
                // The definition: a batch ends where the article, as a value, changes.
                let articles: Vec<Option<Value>> = lines
                    .iter()
                    .map(|l| serde_json::from_str::<Value>(l).unwrap().get("article").cloned())
                    .collect();
                let mut want = Vec::new();
                for (n, a) in articles.iter().enumerate() {
                    if n == 0 || *a != articles[n - 1] {
                        want.push(0);
                    }
                    *want.last_mut().unwrap() += 1;
                }
                prop_assert_eq!(sizes, want);
            }
        }
    }

    #[test]
    fn special_bytes_are_found_at_every_position() {
        for b in 0u8..=255 {
            for len in 0..40 {
                for pos in 0..len {
                    let mut s = vec![b'x'; len];
                    s[pos] = b;
                    // A second special byte later must not hide the first.
                    if pos + 2 < len {
                        s[pos + 2] = b'"';
                    }
                    let want = s.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20);
                    assert_eq!(find_special(&s), want, "{b} at {pos} of {len}");
                }
            }
        }
    }

    #[test]
    fn escaped_strings_take_the_fast_path_and_are_decoded() {
        let line = r#"{"article":"a\"b","text":"say \"yes\" \\ no\n\ttab\r\b\f end"}"#;
        let Some(Item::Simple(s)) = parse_simple(line) else {
            panic!("simple")
        };
        let item = Item::Simple(s);
        assert_eq!(item.text(), "say \"yes\" \\ no\n\ttab\r\u{8}\u{c} end");
        assert_eq!(
            item.article().map(Article::to_value),
            Some(Value::from("a\"b"))
        );
        // Escapes serde_json does not write (`\/`, `\u....`) take the generic path.
        for line in [
            r#"{"text":"a\/b"}"#,
            r#"{"text":"\u0041"}"#,
            r#"{"te\"xt":"a"}"#,
        ] {
            assert!(parse_simple(line).is_none(), "{line}");
        }
    }
}
