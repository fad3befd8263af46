//! [`ArticleRows`]: a report's article rows, kept packed in one byte buffer (about 270 bytes an
//! article with a URL and a title, against about 620 for an [`ArticleSummary`] with its
//! strings), decoded one at a time when a renderer or a caller reads them.
//!
//! A row is encoded without loss (floats by their bits), so a decoded row equals the row that
//! was stored. The fields the report's overview reads for every article (id, outlet, dates,
//! group, score, whether it carries a stance) sit at the front of each record and are read
//! in place, without decoding the rest. Outlet and model names are stored once. Sentence
//! strips (a few hundred at most) are kept beside the records.

use super::{ArticleSummary, StripCell};
use crate::codec::{put_f64, put_str, put_varint, Reader};
use crate::framing::{ArticleFraming, Interval};
use crate::label::Label;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

const INTERVAL: u8 = 1;
const DATE: u8 = 1 << 1;
const INVALID_DATE: u8 = 1 << 2;
const GROUP: u8 = 1 << 3;
const MODEL: u8 = 1 << 4;
const URL: u8 = 1 << 5;
const TITLE: u8 = 1 << 6;
const FIRST_STANCE: u8 = 1 << 7;

/// The article rows of a report, packed. Iterate them (`for a in &report.articles`) to get
/// each row as an [`ArticleSummary`].
#[derive(Clone, Default)]
pub struct ArticleRows {
    bytes: Vec<u8>,
    /// Where each record starts in `bytes`.
    starts: Vec<u64>,
    /// Outlet and model names, each once.
    names: Vec<Arc<str>>,
    name_index: HashMap<Arc<str>, u64>,
    /// Sentence strips by row.
    strips: BTreeMap<usize, Vec<StripCell>>,
}

/// The front of a record: what the overview reads of every row.
pub(crate) struct Head<'a> {
    flags: u8,
    outlet_ix: usize,
    /// The article's score.
    pub(crate) score: f64,
    /// The outlet.
    pub(crate) outlet: &'a str,
    /// The id.
    pub(crate) id: &'a str,
    /// The valid date, if any.
    pub(crate) date: Option<&'a str>,
    /// The date as given when it is not valid.
    pub(crate) invalid_date: Option<&'a str>,
    /// The grouping key's value.
    pub(crate) group: Option<&'a str>,
    /// The model that scored it.
    pub(crate) model: Option<&'a Arc<str>>,
    /// Its number of sentences.
    pub(crate) sentences: usize,
}

impl Head<'_> {
    /// Whether the article carries a stance (its framing has an interval).
    pub(crate) fn stance(&self) -> bool {
        self.flags & INTERVAL != 0
    }
}

/// A string field present when `bit` is set in the record's `flags`.
fn opt_str<'a>(r: &mut Reader<'a>, flags: u8, bit: u8) -> Option<&'a str> {
    (flags & bit != 0).then(|| r.str())
}

impl ArticleRows {
    /// No rows.
    pub fn new() -> ArticleRows {
        ArticleRows::default()
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// True when there is no row.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// Bytes held by the packed records (for measurements).
    pub fn packed_bytes(&self) -> usize {
        self.bytes.len()
    }

    fn name(&mut self, s: &Arc<str>) -> u64 {
        if let Some(&i) = self.name_index.get(s) {
            return i;
        }
        let i = self.names.len() as u64;
        self.names.push(Arc::clone(s));
        self.name_index.insert(Arc::clone(s), i);
        i
    }

    /// Appends a row.
    pub fn push(&mut self, row: &ArticleSummary) {
        let outlet = self.name(&row.outlet);
        let model = row.model.as_ref().map(|m| self.name(m));
        let f = &row.framing;
        let mut flags = 0u8;
        for (set, bit) in [
            (f.interval.is_some(), INTERVAL),
            (row.date.is_some(), DATE),
            (row.invalid_date.is_some(), INVALID_DATE),
            (row.group.is_some(), GROUP),
            (model.is_some(), MODEL),
            (row.url.is_some(), URL),
            (row.title.is_some(), TITLE),
            (f.first_stance.is_some(), FIRST_STANCE),
        ] {
            if set {
                flags |= bit;
            }
        }
        let start = self.bytes.len() as u64;
        let b = &mut self.bytes;
        b.push(flags);
        put_f64(b, f.score);
        put_varint(b, outlet);
        put_str(b, &row.id);
        for s in [&row.date, &row.invalid_date, &row.group]
            .into_iter()
            .flatten()
        {
            put_str(b, s);
        }
        if let Some(m) = model {
            put_varint(b, m);
        }
        put_varint(b, row.sentences as u64);
        for c in row.label_counts {
            put_varint(b, c as u64);
        }
        if let Some(i) = f.interval {
            for x in [i.lo, i.hi, i.level] {
                put_f64(b, x);
            }
        }
        let opts = [f.balance, f.primacy, f.headline, f.hedge_rate];
        let mut present = 0u8;
        for (k, x) in opts.iter().enumerate() {
            if x.is_some() {
                present |= 1 << k;
            }
        }
        b.push(present);
        for x in opts.into_iter().flatten() {
            put_f64(b, x);
        }
        put_f64(b, f.stance_mass);
        if let Some(l) = f.first_stance {
            b.push(l.index() as u8);
        }
        for s in [&row.url, &row.title].into_iter().flatten() {
            put_str(b, s);
        }
        if let Some(strip) = &row.strip {
            self.strips.insert(self.starts.len(), strip.clone());
        }
        self.starts.push(start);
    }

    fn record(&self, i: usize) -> &[u8] {
        let start = self.starts[i] as usize;
        let end = self
            .starts
            .get(i + 1)
            .map_or(self.bytes.len(), |&e| e as usize);
        &self.bytes[start..end]
    }

    fn head_at(&self, i: usize) -> (Head<'_>, Reader<'_>) {
        let mut c = Reader::new(self.record(i), 0);
        let flags = c.u8();
        let score = c.f64();
        let outlet_ix = c.varint() as usize;
        let outlet = &self.names[outlet_ix];
        let id = c.str();
        let date = opt_str(&mut c, flags, DATE);
        let invalid_date = opt_str(&mut c, flags, INVALID_DATE);
        let group = opt_str(&mut c, flags, GROUP);
        let model = (flags & MODEL != 0).then(|| &self.names[c.varint() as usize]);
        let sentences = c.varint() as usize;
        let head = Head {
            flags,
            outlet_ix,
            score,
            outlet,
            id,
            date,
            invalid_date,
            group,
            model,
            sentences,
        };
        (head, c)
    }

    /// The front of row `i`, read in place.
    pub(crate) fn head(&self, i: usize) -> Head<'_> {
        self.head_at(i).0
    }

    /// Row `i` (with its strip), or `None` past the end.
    pub fn get(&self, i: usize) -> Option<ArticleSummary> {
        if i >= self.len() {
            return None;
        }
        let (h, mut c) = self.head_at(i);
        let mut label_counts = [0usize; 4];
        for x in &mut label_counts {
            *x = c.varint() as usize;
        }
        let interval = h.stance().then(|| Interval {
            lo: c.f64(),
            hi: c.f64(),
            level: c.f64(),
        });
        let present = c.u8();
        let mut opt = |k: u8| (present & (1 << k) != 0).then(|| c.f64());
        let (balance, primacy, headline, hedge_rate) = (opt(0), opt(1), opt(2), opt(3));
        let stance_mass = c.f64();
        let first_stance = (h.flags & FIRST_STANCE != 0).then(|| Label::ALL[c.u8() as usize]);
        let url = opt_str(&mut c, h.flags, URL).map(String::from);
        let title = opt_str(&mut c, h.flags, TITLE).map(String::from);
        Some(ArticleSummary {
            id: h.id.to_string(),
            outlet: Arc::clone(&self.names[h.outlet_ix]),
            date: h.date.map(String::from),
            invalid_date: h.invalid_date.map(String::from),
            url,
            title,
            group: h.group.map(String::from),
            model: h.model.cloned(),
            sentences: h.sentences,
            label_counts,
            framing: ArticleFraming {
                score: h.score,
                interval,
                balance,
                primacy,
                headline,
                stance_mass,
                hedge_rate,
                first_stance,
            },
            strip: self.strips.get(&i).cloned(),
        })
    }

    /// The rows in order, each decoded.
    pub fn iter(&self) -> Iter<'_> {
        Iter { rows: self, at: 0 }
    }

    /// Sets or clears the strip of row `i`.
    pub(crate) fn set_strip(&mut self, i: usize, strip: Option<Vec<StripCell>>) {
        match strip {
            Some(s) => {
                self.strips.insert(i, s);
            }
            None => {
                self.strips.remove(&i);
            }
        }
    }

    /// How many rows keep a sentence strip.
    pub fn strips(&self) -> usize {
        self.strips.len()
    }

    /// Whether row `i` keeps a sentence strip.
    pub fn has_strip(&self, i: usize) -> bool {
        self.strips.contains_key(&i)
    }

    /// The rows in the order `order` gives (a permutation of the row indices).
    pub(crate) fn reordered(self, order: &[usize]) -> ArticleRows {
        let mut out = ArticleRows {
            bytes: Vec::with_capacity(self.bytes.len()),
            starts: Vec::with_capacity(self.len()),
            names: self.names.clone(),
            name_index: self.name_index.clone(),
            strips: BTreeMap::new(),
        };
        for (to, &from) in order.iter().enumerate() {
            out.starts.push(out.bytes.len() as u64);
            out.bytes.extend_from_slice(self.record(from));
            if let Some(s) = self.strips.get(&from) {
                out.strips.insert(to, s.clone());
            }
        }
        out
    }

    /// The rows whose id `wanted` accepts, by id (for naming the articles that evidence cites).
    pub fn select_by_id(&self, wanted: &dyn Fn(&str) -> bool) -> HashMap<String, ArticleSummary> {
        (0..self.len())
            .filter(|&i| wanted(self.head(i).id))
            .filter_map(|i| self.get(i))
            .map(|a| (a.id.clone(), a))
            .collect()
    }
}

/// The rows of an [`ArticleRows`], decoded one at a time.
pub struct Iter<'a> {
    rows: &'a ArticleRows,
    at: usize,
}

impl Iterator for Iter<'_> {
    type Item = ArticleSummary;
    fn next(&mut self) -> Option<ArticleSummary> {
        let row = self.rows.get(self.at)?;
        self.at += 1;
        Some(row)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.rows.len() - self.at;
        (n, Some(n))
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a ArticleRows {
    type Item = ArticleSummary;
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl FromIterator<ArticleSummary> for ArticleRows {
    fn from_iter<I: IntoIterator<Item = ArticleSummary>>(iter: I) -> ArticleRows {
        let mut rows = ArticleRows::new();
        for r in iter {
            rows.push(&r);
        }
        rows
    }
}

impl From<Vec<ArticleSummary>> for ArticleRows {
    fn from(v: Vec<ArticleSummary>) -> ArticleRows {
        v.into_iter().collect()
    }
}

impl PartialEq for ArticleRows {
    fn eq(&self, other: &ArticleRows) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl fmt::Debug for ArticleRows {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for ArticleRows {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for ArticleRows {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ArticleRows, D::Error> {
        Vec::<ArticleSummary>::deserialize(d).map(ArticleRows::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(k: u64) -> ArticleSummary {
        let f = |x: u64| (x as f64) * 0.1 - 0.35;
        ArticleSummary {
            id: format!("id-{k}"),
            outlet: Arc::from(format!("Outlet {}", k % 3)),
            date: (k % 4 != 0).then(|| format!("2024-0{}-1{}", 1 + k % 9, k % 10)),
            invalid_date: (k % 4 == 0 && k % 8 != 0).then(|| "soon".to_string()),
            url: (k % 2 == 0).then(|| format!("https://example.org/{k}")),
            title: (k % 3 != 1).then(|| format!("Title ü {k}")),
            group: (k % 5 == 0).then(|| "UK".to_string()),
            model: (k % 6 != 5).then(|| Arc::from(format!("model-{}", k % 2))),
            sentences: (k * 37 % 300) as usize,
            label_counts: [k as usize, 2, (k * 1000) as usize, 0],
            framing: ArticleFraming {
                score: if k == 3 { -0.0 } else { f(k) },
                interval: (k % 7 != 0).then(|| Interval {
                    lo: f(k) - 0.2,
                    hi: f(k) + 0.2,
                    level: 0.9,
                }),
                balance: (k % 2 == 1).then(|| f(k + 1)),
                primacy: (k % 3 == 0).then(|| f(k + 2)),
                headline: (k % 4 == 1).then_some(f64::MIN_POSITIVE),
                stance_mass: f(k) * 3.0,
                hedge_rate: (k % 5 != 2).then_some(1e-300),
                first_stance: (k % 5 != 0).then(|| Label::ALL[(k % 4) as usize]),
            },
            strip: (k % 11 == 0).then(|| {
                vec![StripCell {
                    index: 0,
                    label: Label::ALL[2],
                    confidence: 0.75,
                    text: "a sentence".into(),
                }]
            }),
        }
    }

    #[test]
    fn rows_come_back_as_stored_field_for_field() {
        let v: Vec<ArticleSummary> = (0..60).map(row).collect();
        let rows = ArticleRows::from(v.clone());
        assert_eq!(rows.len(), 60);
        let back: Vec<ArticleSummary> = rows.iter().collect();
        assert_eq!(back, v);
        // -0.0 keeps its sign (the JSON report writes it as such).
        assert!(back[3].framing.score.is_sign_negative());
        assert_eq!(rows.get(60), None);
        for (i, r) in v.iter().enumerate() {
            let h = rows.head(i);
            assert_eq!(h.id, r.id);
            assert_eq!(h.outlet, &*r.outlet);
            assert_eq!(h.date, r.date.as_deref());
            assert_eq!(h.invalid_date, r.invalid_date.as_deref());
            assert_eq!(h.group, r.group.as_deref());
            assert_eq!(h.stance(), r.framing.interval.is_some());
            assert_eq!(h.model, r.model.as_ref());
            assert_eq!(h.sentences, r.sentences);
            assert_eq!(h.score.to_bits(), r.framing.score.to_bits());
            assert_eq!(rows.has_strip(i), r.strip.is_some());
        }
    }

    #[test]
    fn json_is_the_json_of_the_plain_rows() {
        let v: Vec<ArticleSummary> = (0..25).map(row).collect();
        let rows = ArticleRows::from(v.clone());
        let a = serde_json::to_string_pretty(&rows).unwrap();
        assert_eq!(a, serde_json::to_string_pretty(&v).unwrap());
        let back: ArticleRows = serde_json::from_str(&a).unwrap();
        assert_eq!(back, rows);
    }

    #[test]
    fn reordering_moves_strips_with_their_rows() {
        let v: Vec<ArticleSummary> = (0..23).map(row).collect();
        let rows = ArticleRows::from(v.clone());
        let order: Vec<usize> = (0..23).rev().collect();
        let back: Vec<ArticleSummary> = rows.reordered(&order).iter().collect();
        let want: Vec<ArticleSummary> = v.into_iter().rev().collect();
        assert_eq!(back, want);
    }

    #[test]
    fn select_by_id_finds_only_the_asked_rows() {
        let rows: ArticleRows = (0..30).map(row).collect();
        let got = rows.select_by_id(&|id| id == "id-4" || id == "id-29" || id == "nope");
        assert_eq!(got.len(), 2);
        assert_eq!(got["id-4"], row(4));
        assert_eq!(got["id-29"], row(29));
    }
}
