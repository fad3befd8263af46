//! The partial-aggregate file format, version 2 (docs/PARTIALS.md; version 1 is still read): the signature and version,
//! then checksummed records (kind byte, payload length, payload, CRC-32). This module owns the
//! byte layout: record framing, the binary encoding of article rows, evidence candidates and
//! sentence strips, and the reader and writer of whole records.

use super::PartialError;
use crate::framing::{ArticleFraming, Evidence, Interval, PackedUnits};
use crate::label::Label;
use crate::report::dates::Period;
use crate::report::overview::FinishedPeriod;
use crate::report::{ArticleSummary, PeriodRow, StripCell};
use crate::sentence::Role;
use std::io::{self, Read, Write};
use std::sync::Arc;

/// The first bytes of every partial-aggregate file (PNG-style: a non-ASCII byte, then line
/// endings that a text-mode copy would change).
pub(crate) const MAGIC: [u8; 8] = *b"\x89CTP\r\n\x1a\n";
/// The format version this build writes (it reads this one and [`OLDEST_VERSION`]).
pub const VERSION: u32 = 2;
/// The oldest format version this build reads (version 1: no finished periods).
pub const OLDEST_VERSION: u32 = 1;
/// Largest payload a record may declare (a corrupt length must not allocate gigabytes).
const MAX_RECORD: u32 = 1 << 26;

/// Record kinds.
pub(crate) mod kind {
    /// Settings (JSON), the first record.
    pub const HEADER: u8 = b'H';
    /// An outlet section starts: its name and model names.
    pub const OUTLET: u8 = b'O';
    /// One article of the current outlet.
    pub const ARTICLE: u8 = b'A';
    /// One evidence candidate of the current outlet.
    pub const EVIDENCE: u8 = b'E';
    /// The current outlet's finished report (JSON).
    pub const FINISHED: u8 = b'F';
    /// A finished period of the whole timeline (version 2), before the outlets.
    pub const PERIOD: u8 = b'P';
    /// One article's sentence strip.
    pub const STRIP: u8 = b'S';
    /// One warning.
    pub const WARNING: u8 = b'W';
    /// The end: counts of the records before it.
    pub const END: u8 = b'Z';
}

const ROLES: [Role; 4] = [Role::Headline, Role::Lede, Role::Heading, Role::Body];

/// CRC-32 (IEEE) table.
const CRC_TABLE: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
};

fn crc32(parts: &[&[u8]]) -> u32 {
    let mut c = !0u32;
    for part in parts {
        for &b in *part {
            c = CRC_TABLE[((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8);
        }
    }
    !c
}

/// A record payload being built.
#[derive(Default)]
pub(crate) struct Enc(pub(crate) Vec<u8>);

impl Enc {
    pub(crate) fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    pub(crate) fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }
    pub(crate) fn f64(&mut self, v: f64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    pub(crate) fn bytes(&mut self, b: &[u8]) {
        self.varint(b.len() as u64);
        self.0.extend_from_slice(b);
    }
    pub(crate) fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
    pub(crate) fn opt_str(&mut self, s: Option<&str>) {
        match s {
            None => self.u8(0),
            Some(s) => {
                self.u8(1);
                self.str(s);
            }
        }
    }
    pub(crate) fn opt_f64(&mut self, v: Option<f64>) {
        match v {
            None => self.u8(0),
            Some(v) => {
                self.u8(1);
                self.f64(v);
            }
        }
    }
    /// A flag, then the interval's bounds and level when there is one.
    fn opt_interval(&mut self, v: Option<Interval>) {
        match v {
            None => self.u8(0),
            Some(i) => {
                self.u8(1);
                self.f64(i.lo);
                self.f64(i.hi);
                self.f64(i.level);
            }
        }
    }
}

/// A record payload being read; every read is bounds-checked.
pub(crate) struct Dec<'a> {
    b: &'a [u8],
    at: usize,
}

/// Why a payload did not decode.
type Bad = &'static str;

impl<'a> Dec<'a> {
    pub(crate) fn new(b: &'a [u8]) -> Dec<'a> {
        Dec { b, at: 0 }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], Bad> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or("a field runs past the end of its record")?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }
    pub(crate) fn u8(&mut self) -> Result<u8, Bad> {
        Ok(self.take(1)?[0])
    }
    pub(crate) fn varint(&mut self) -> Result<u64, Bad> {
        let (mut v, mut shift) = (0u64, 0u32);
        loop {
            let b = self.u8()?;
            if shift >= 64 {
                return Err("a number is longer than 64 bits");
            }
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
            shift += 7;
        }
    }
    pub(crate) fn usize(&mut self) -> Result<usize, Bad> {
        usize::try_from(self.varint()?).map_err(|_| "a count does not fit this machine")
    }
    pub(crate) fn f64(&mut self) -> Result<f64, Bad> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(f64::from_le_bytes(a))
    }
    pub(crate) fn bytes(&mut self) -> Result<&'a [u8], Bad> {
        let n = self.usize()?;
        self.take(n)
    }
    pub(crate) fn str(&mut self) -> Result<String, Bad> {
        let b = self.bytes()?;
        std::str::from_utf8(b)
            .map(String::from)
            .map_err(|_| "a text is not UTF-8")
    }
    fn flag(&mut self) -> Result<bool, Bad> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err("an option flag is neither 0 nor 1"),
        }
    }
    pub(crate) fn opt_str(&mut self) -> Result<Option<String>, Bad> {
        Ok(if self.flag()? {
            Some(self.str()?)
        } else {
            None
        })
    }
    pub(crate) fn opt_f64(&mut self) -> Result<Option<f64>, Bad> {
        Ok(if self.flag()? {
            Some(self.f64()?)
        } else {
            None
        })
    }
    /// The inverse of the encoder's `opt_interval`.
    fn opt_interval(&mut self) -> Result<Option<Interval>, Bad> {
        Ok(if self.flag()? {
            Some(Interval {
                lo: self.f64()?,
                hi: self.f64()?,
                level: self.f64()?,
            })
        } else {
            None
        })
    }
    fn label(&mut self) -> Result<Label, Bad> {
        Label::from_index(usize::from(self.u8()?)).ok_or("unknown label")
    }
    /// Fails unless every byte was read.
    pub(crate) fn done(&self) -> Result<(), Bad> {
        if self.at == self.b.len() {
            Ok(())
        } else {
            Err("a record holds bytes after its last field")
        }
    }
}

/// One article as stored: its report row (outlet and model given by the section) and what the
/// outlet aggregation keeps beside it.
pub(crate) struct ArticleRecord {
    pub(crate) row: ArticleSummary,
    pub(crate) kept: crate::report::builder::Kept,
}

/// Encodes an article; `model` is its index in the section's model list plus one (0: none).
pub(crate) fn encode_article(a: &ArticleRecord, model: u64) -> Vec<u8> {
    let (r, k) = (&a.row, &a.kept);
    let mut e = Enc::default();
    e.str(&r.id);
    e.opt_str(r.date.as_deref());
    e.opt_str(r.invalid_date.as_deref());
    e.opt_str(r.url.as_deref());
    e.opt_str(r.title.as_deref());
    e.opt_str(r.group.as_deref());
    e.varint(model);
    e.varint(r.sentences as u64);
    for c in r.label_counts {
        e.varint(c as u64);
    }
    let f = &r.framing;
    e.f64(f.score);
    e.opt_interval(f.interval);
    e.opt_f64(f.balance);
    e.opt_f64(f.primacy);
    e.opt_f64(f.headline);
    e.f64(f.stance_mass);
    e.opt_f64(f.hedge_rate);
    e.u8(f.first_stance.map_or(0, |l| l.index() as u8 + 1));
    for x in k.prob_sums {
        e.f64(x);
    }
    e.bytes(k.units.as_bytes());
    e.0.extend_from_slice(&k.evidence);
    e.0
}

/// Decodes an article of the outlet `outlet` whose section lists `models`.
pub(crate) fn decode_article(
    b: &[u8],
    outlet: &Arc<str>,
    models: &[Arc<str>],
) -> Result<ArticleRecord, Bad> {
    let mut d = Dec::new(b);
    let id = d.str()?;
    let date = d.opt_str()?;
    let invalid_date = d.opt_str()?;
    let url = d.opt_str()?;
    let title = d.opt_str()?;
    let group = d.opt_str()?;
    let model = match d.usize()? {
        0 => None,
        i => Some(Arc::clone(
            models
                .get(i - 1)
                .ok_or("a model index beyond the outlet's model list")?,
        )),
    };
    let sentences = d.usize()?;
    let mut label_counts = [0usize; 4];
    for c in &mut label_counts {
        *c = d.usize()?;
    }
    let score = d.f64()?;
    let interval = d.opt_interval()?;
    let balance = d.opt_f64()?;
    let primacy = d.opt_f64()?;
    let headline = d.opt_f64()?;
    let stance_mass = d.f64()?;
    let hedge_rate = d.opt_f64()?;
    let first_stance = match d.u8()? {
        0 => None,
        i => Some(Label::from_index(usize::from(i) - 1).ok_or("unknown label")?),
    };
    let mut prob_sums = [0.0; 4];
    for x in &mut prob_sums {
        *x = d.f64()?;
    }
    let units = PackedUnits::from_bytes(d.bytes()?).ok_or("malformed stance units")?;
    let mut evidence = [0u8; 16];
    evidence.copy_from_slice(d.take(16)?);
    d.done()?;
    Ok(ArticleRecord {
        row: ArticleSummary {
            id,
            outlet: Arc::clone(outlet),
            date,
            invalid_date,
            url,
            title,
            group,
            model,
            sentences,
            label_counts,
            framing: ArticleFraming {
                score,
                interval,
                balance,
                primacy,
                headline,
                stance_mass,
                hedge_rate,
                first_stance,
            },
            strip: None,
        },
        kept: crate::report::builder::Kept {
            prob_sums,
            units,
            evidence,
        },
    })
}

/// Encodes a finished period.
pub(crate) fn encode_period(p: &FinishedPeriod) -> Vec<u8> {
    let mut e = Enc::default();
    e.u8(match p.period {
        Period::Week => 0,
        Period::Month => 1,
    });
    let r = &p.row;
    e.str(&r.label);
    e.str(&r.start);
    e.varint(r.articles as u64);
    e.varint(r.stance_articles as u64);
    e.opt_f64(r.mean);
    e.opt_interval(r.interval);
    e.0.extend_from_slice(&p.stance_ids);
    e.0
}

/// Decodes a finished period.
pub(crate) fn decode_period(b: &[u8]) -> Result<FinishedPeriod, Bad> {
    let mut d = Dec::new(b);
    let period = match d.u8()? {
        0 => Period::Week,
        1 => Period::Month,
        _ => return Err("unknown period length"),
    };
    let label = d.str()?;
    let start = d.str()?;
    let articles = d.usize()?;
    let stance_articles = d.usize()?;
    let mean = d.opt_f64()?;
    let interval = d.opt_interval()?;
    let mut stance_ids = [0u8; 16];
    stance_ids.copy_from_slice(d.take(16)?);
    d.done()?;
    Ok(FinishedPeriod {
        period,
        row: PeriodRow {
            label,
            start,
            articles,
            stance_articles,
            mean,
            interval,
        },
        stance_ids,
    })
}

/// Encodes an evidence candidate.
pub(crate) fn encode_evidence(x: &Evidence) -> Vec<u8> {
    let mut e = Enc::default();
    e.str(&x.article);
    e.str(&x.outlet);
    e.varint(x.index as u64);
    e.u8(ROLES.iter().position(|r| *r == x.role).unwrap_or(3) as u8);
    e.u8(x.label.index() as u8);
    for p in x.probs {
        e.f64(p);
    }
    e.f64(x.hedge);
    e.str(&x.text);
    e.f64(x.article_shift);
    e.f64(x.shift);
    e.opt_str(x.title.as_deref());
    e.opt_str(x.date.as_deref());
    e.opt_str(x.url.as_deref());
    e.0
}

/// Decodes an evidence candidate.
pub(crate) fn decode_evidence(b: &[u8]) -> Result<Evidence, Bad> {
    let mut d = Dec::new(b);
    let article = d.str()?;
    let outlet = d.str()?;
    let index = d.usize()?;
    let role = *ROLES
        .get(usize::from(d.u8()?))
        .ok_or("unknown sentence role")?;
    let label = d.label()?;
    let mut probs = [0.0; 4];
    for p in &mut probs {
        *p = d.f64()?;
    }
    let e = Evidence {
        article,
        outlet,
        index,
        role,
        label,
        probs,
        hedge: d.f64()?,
        text: d.str()?,
        article_shift: d.f64()?,
        shift: d.f64()?,
        title: d.opt_str()?,
        date: d.opt_str()?,
        url: d.opt_str()?,
    };
    d.done()?;
    Ok(e)
}

/// Encodes an article's sentence strip under its report-order key.
pub(crate) fn encode_strip(key: &(String, String, String), cells: &[StripCell]) -> Vec<u8> {
    let mut e = Enc::default();
    e.str(&key.0);
    e.str(&key.1);
    e.str(&key.2);
    e.varint(cells.len() as u64);
    for c in cells {
        e.varint(c.index as u64);
        e.u8(c.label.index() as u8);
        e.f64(c.confidence);
        e.str(&c.text);
    }
    e.0
}

/// A strip under its report-order key.
pub(crate) type StripEntry = ((String, String, String), Vec<StripCell>);

/// Decodes a sentence strip.
pub(crate) fn decode_strip(b: &[u8]) -> Result<StripEntry, Bad> {
    let mut d = Dec::new(b);
    let key = (d.str()?, d.str()?, d.str()?);
    let n = d.usize()?;
    let mut cells = Vec::with_capacity(n.min(b.len()));
    for _ in 0..n {
        cells.push(StripCell {
            index: d.usize()?,
            label: d.label()?,
            confidence: d.f64()?,
            text: d.str()?,
        });
    }
    d.done()?;
    Ok((key, cells))
}

/// Writes the signature, the version and framed records.
pub(crate) struct RecordWriter<W: Write> {
    w: W,
    /// Bytes written so far.
    pub(crate) bytes: u64,
}

impl<W: Write> RecordWriter<W> {
    /// Starts a file: signature and version.
    pub(crate) fn new(w: W) -> io::Result<RecordWriter<W>> {
        RecordWriter::with_version(w, VERSION)
    }

    /// Starts a file of another format version (tests write version 1 with it).
    pub(crate) fn with_version(mut w: W, version: u32) -> io::Result<RecordWriter<W>> {
        w.write_all(&MAGIC)?;
        w.write_all(&version.to_le_bytes())?;
        Ok(RecordWriter { w, bytes: 12 })
    }

    /// Writes one record.
    pub(crate) fn record(&mut self, kind: u8, payload: &[u8]) -> io::Result<()> {
        let len = u32::try_from(payload.len())
            .ok()
            .filter(|&n| n <= MAX_RECORD)
            .ok_or_else(|| io::Error::other("a record is larger than 64 MiB"))?;
        let len = len.to_le_bytes();
        let crc = crc32(&[&[kind], &len, payload]);
        self.w.write_all(&[kind])?;
        self.w.write_all(&len)?;
        self.w.write_all(payload)?;
        self.w.write_all(&crc.to_le_bytes())?;
        self.bytes += 9 + payload.len() as u64;
        Ok(())
    }

    /// Flushes and gives the writer back.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        self.w.flush()?;
        Ok(self.w)
    }
}

/// Reads framed records from one partial-aggregate file, checking each checksum.
pub(crate) struct RecordReader {
    /// The file's name, for errors.
    pub(crate) name: String,
    /// The file's format version.
    pub(crate) version: u32,
    r: Box<dyn Read + Send>,
    /// Offset of the next record.
    offset: u64,
    peeked: Option<(u8, Vec<u8>, u64)>,
}

impl RecordReader {
    /// Checks the signature and version.
    pub(crate) fn new(
        name: String,
        mut r: Box<dyn Read + Send>,
    ) -> Result<RecordReader, PartialError> {
        let mut head = [0u8; 12];
        let got = read_full(&mut r, &mut head).map_err(|source| PartialError::Io {
            file: name.clone(),
            source,
        })?;
        if got < 8 || head[..8] != MAGIC {
            return Err(PartialError::NotPartial { file: name });
        }
        if got < 12 {
            return Err(PartialError::Truncated {
                file: name,
                offset: got as u64,
                what: "the format version is cut short".into(),
            });
        }
        let found = u32::from_le_bytes([head[8], head[9], head[10], head[11]]);
        if !(OLDEST_VERSION..=VERSION).contains(&found) {
            return Err(PartialError::Version { file: name, found });
        }
        Ok(RecordReader {
            name,
            version: found,
            r,
            offset: 12,
            peeked: None,
        })
    }

    /// An error about the record at `offset`.
    pub(crate) fn corrupt(&self, offset: u64, what: impl Into<String>) -> PartialError {
        PartialError::Corrupt {
            file: self.name.clone(),
            offset,
            what: what.into(),
        }
    }

    fn truncated(&self, offset: u64) -> PartialError {
        PartialError::Truncated {
            file: self.name.clone(),
            offset,
            what: "a record is cut short".into(),
        }
    }

    fn read_one(&mut self) -> Result<Option<(u8, Vec<u8>, u64)>, PartialError> {
        let at = self.offset;
        let io = |e: io::Error, name: &str| PartialError::Io {
            file: name.to_string(),
            source: e,
        };
        let mut head = [0u8; 5];
        let got = read_full(&mut self.r, &mut head).map_err(|e| io(e, &self.name))?;
        if got == 0 {
            return Ok(None);
        }
        if got < 5 {
            return Err(self.truncated(at));
        }
        let len = u32::from_le_bytes([head[1], head[2], head[3], head[4]]);
        if len > MAX_RECORD {
            return Err(self.corrupt(at, format!("a record declares {len} bytes")));
        }
        let mut payload = vec![0u8; len as usize + 4];
        let got = read_full(&mut self.r, &mut payload).map_err(|e| io(e, &self.name))?;
        if got < payload.len() {
            return Err(self.truncated(at));
        }
        let crc = u32::from_le_bytes([
            payload[len as usize],
            payload[len as usize + 1],
            payload[len as usize + 2],
            payload[len as usize + 3],
        ]);
        payload.truncate(len as usize);
        if crc32(&[&head, &payload]) != crc {
            return Err(self.corrupt(at, "checksum mismatch"));
        }
        self.offset += 9 + u64::from(len);
        Ok(Some((head[0], payload, at)))
    }

    /// The kind of the next record (`None` at the end of the file).
    pub(crate) fn peek(&mut self) -> Result<Option<u8>, PartialError> {
        if self.peeked.is_none() {
            self.peeked = self.read_one()?;
        }
        Ok(self.peeked.as_ref().map(|p| p.0))
    }

    /// The next record: kind, payload and offset; a missing record is a truncated file.
    pub(crate) fn next(&mut self) -> Result<(u8, Vec<u8>, u64), PartialError> {
        match self.peeked.take() {
            Some(p) => Ok(p),
            None => match self.read_one()? {
                Some(p) => Ok(p),
                None => Err(PartialError::Truncated {
                    file: self.name.clone(),
                    offset: self.offset,
                    what: "the end record is missing".into(),
                }),
            },
        }
    }

    /// The next record, which must be of kind `want`.
    pub(crate) fn expect(&mut self, want: u8, what: &str) -> Result<(Vec<u8>, u64), PartialError> {
        let (k, payload, at) = self.next()?;
        if k != want {
            return Err(self.corrupt(at, format!("expected {what}")));
        }
        Ok((payload, at))
    }

    /// Fails unless the file ends here.
    pub(crate) fn expect_eof(&mut self) -> Result<(), PartialError> {
        let at = self.offset;
        let mut one = [0u8; 1];
        let more = self.peeked.is_some()
            || read_full(&mut self.r, &mut one).map_err(|source| PartialError::Io {
                file: self.name.clone(),
                source,
            })? > 0;
        if more {
            return Err(self.corrupt(at, "data after the end record"));
        }
        Ok(())
    }
}

/// Reads until `buf` is full or the input ends; the number of bytes read.
fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(&[b"123456789"]), 0xCBF4_3926);
        assert_eq!(crc32(&[b"1234", b"56789"]), 0xCBF4_3926);
    }

    #[test]
    fn decoding_never_reads_past_a_record() {
        let mut e = Enc::default();
        e.str("abc");
        e.opt_f64(Some(1.5));
        let full = e.0.clone();
        let mut d = Dec::new(&full);
        assert_eq!(d.str().unwrap(), "abc");
        assert_eq!(d.opt_f64().unwrap(), Some(1.5));
        assert!(d.done().is_ok());
        for cut in 0..full.len() {
            let mut d = Dec::new(&full[..cut]);
            let r = d.str().and_then(|_| d.opt_f64());
            assert!(r.is_err(), "cut at {cut}");
        }
        assert!(Dec::new(&[0xff; 11]).varint().is_err());
        assert!(Dec::new(&[2]).opt_str().is_err());
    }

    #[test]
    fn records_round_trip_and_a_flipped_bit_is_caught() {
        let mut w = RecordWriter::new(Vec::new()).unwrap();
        w.record(kind::WARNING, b"hello").unwrap();
        let bytes = w.finish().unwrap();
        let mut r =
            RecordReader::new("t".into(), Box::new(io::Cursor::new(bytes.clone()))).unwrap();
        let (k, p, at) = r.next().unwrap();
        assert_eq!((k, p.as_slice(), at), (kind::WARNING, &b"hello"[..], 12));
        assert!(r.peek().unwrap().is_none());
        let mut bad = bytes;
        bad[18] ^= 1; // in the payload (12: kind, 13-16: length)
        let mut r = RecordReader::new("t".into(), Box::new(io::Cursor::new(bad))).unwrap();
        let err = r.next().unwrap_err().to_string();
        assert!(err.contains("checksum"), "{err}");
    }
}
