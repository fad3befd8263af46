//! The in-memory byte codec of claimtrack's packed structures (stance units, report rows):
//! LEB128 varints, little-endian `f64`s by their bits, and length-prefixed UTF-8 strings.
//!
//! These bytes are written by this crate and read back in the same process, so a [`Reader`]
//! trusts them: a short or malformed read is a bug and panics. Bytes from files (partial
//! aggregates) are read by the checked decoder of `partial::format` instead.

/// Appends `v` as an unsigned LEB128 varint.
pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends `x` as its 8 little-endian bytes.
pub(crate) fn put_f64(out: &mut Vec<u8>, x: f64) {
    out.extend_from_slice(&x.to_le_bytes());
}

/// Appends `s` as a varint length and its UTF-8 bytes.
pub(crate) fn put_str(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

/// A cursor over bytes written with the `put_*` functions of this module.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    /// A cursor at byte `at` of `bytes`.
    pub(crate) fn new(bytes: &'a [u8], at: usize) -> Reader<'a> {
        Reader { bytes, at }
    }

    /// Whether every byte has been read.
    pub(crate) fn at_end(&self) -> bool {
        self.at >= self.bytes.len()
    }

    /// The next byte.
    pub(crate) fn u8(&mut self) -> u8 {
        let b = self.bytes[self.at];
        self.at += 1;
        b
    }

    /// The next varint.
    pub(crate) fn varint(&mut self) -> u64 {
        let (mut v, mut shift) = (0u64, 0);
        loop {
            let b = self.u8();
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return v;
            }
            shift += 7;
        }
    }

    /// The next `f64`.
    pub(crate) fn f64(&mut self) -> f64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.bytes[self.at..self.at + 8]);
        self.at += 8;
        f64::from_le_bytes(b)
    }

    /// The next string, borrowed from the bytes.
    pub(crate) fn str(&mut self) -> &'a str {
        let n = self.varint() as usize;
        let s = &self.bytes[self.at..self.at + n];
        self.at += n;
        std::str::from_utf8(s).expect("strings are written from &str")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_in_order() {
        let mut b = Vec::new();
        let ints = [0u64, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX];
        for &v in &ints {
            put_varint(&mut b, v);
        }
        put_f64(&mut b, -0.0);
        put_f64(&mut b, f64::NAN);
        put_str(&mut b, "Pečat «x»");
        put_str(&mut b, "");
        let mut r = Reader::new(&b, 0);
        for &v in &ints {
            assert_eq!(r.varint(), v);
        }
        assert_eq!(r.f64().to_bits(), (-0.0f64).to_bits());
        assert!(r.f64().is_nan());
        assert_eq!(r.str(), "Pečat «x»");
        assert_eq!(r.str(), "");
        assert!(r.at_end());
    }
}
