//! Limits on every size a user controls, and the bounded readers that enforce them.
//!
//! Input can come from anywhere (`/dev/zero`, a stream with no line break, a 2 GB "article"),
//! so nothing is read without a bound: an input past its limit is an error that names the
//! file (and line), never an allocation that aborts the process. docs/RELIABILITY.md lists
//! these limits for users.

use std::io::{self, BufRead, Read};

/// Largest article read: a text file, one JSONL line, or standard input (64 MiB).
pub const MAX_ARTICLE_BYTES: usize = 64 << 20;
/// Largest line of a scores file (`claimtrack score` output) or a gold file (256 MiB).
pub const MAX_RECORD_BYTES: usize = 256 << 20;
/// Most bootstrap replicates per interval.
pub const MAX_BOOTSTRAP: usize = 100_000;
/// Most worker threads (`--threads`).
pub const MAX_THREADS: u16 = 256;

/// A read stopped at a limit.
#[derive(Debug, thiserror::Error)]
#[error("longer than the limit of {limit} bytes ({what}); split the input into smaller pieces")]
pub struct TooLong {
    /// The limit in bytes.
    pub limit: usize,
    /// What was being read (an article, a line).
    pub what: &'static str,
}

impl From<TooLong> for io::Error {
    fn from(e: TooLong) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, e)
    }
}

/// Reads one line (up to and including `\n`) into `buf` (cleared first), like
/// [`BufRead::read_until`], but fails with [`TooLong`] as soon as the line passes `limit`
/// bytes, and scans every byte once. Returns the number of bytes read (0 at the end).
pub fn read_line_limited<R: BufRead + ?Sized>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    limit: usize,
    what: &'static str,
) -> io::Result<usize> {
    buf.clear();
    loop {
        let (done, used) = {
            let avail = match reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail.is_empty() {
                return Ok(buf.len());
            }
            match memchr::memchr(b'\n', avail) {
                Some(i) => (true, i + 1),
                None => (false, avail.len()),
            }
        };
        if buf.len() + used > limit.saturating_add(1) {
            return Err(TooLong { limit, what }.into());
        }
        {
            let avail = reader.fill_buf()?;
            buf.try_reserve(used)
                .map_err(|_| io::Error::from(TooLong { limit, what }))?;
            buf.extend_from_slice(&avail[..used]);
        }
        reader.consume(used);
        if done {
            return Ok(buf.len());
        }
    }
}

/// Reads all of `reader` into a vector, failing with [`TooLong`] past `limit` bytes.
pub fn read_to_end_limited<R: Read>(
    reader: R,
    limit: usize,
    what: &'static str,
) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    reader.take(limit as u64 + 1).read_to_end(&mut out)?;
    if out.len() > limit {
        return Err(TooLong { limit, what }.into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_within_the_limit_are_read_whole() {
        let mut r = io::BufReader::with_capacity(4, &b"abc\ndefgh\n\nlast"[..]);
        let mut buf = Vec::new();
        let mut lines = Vec::new();
        while read_line_limited(&mut r, &mut buf, 10, "line").unwrap() > 0 {
            lines.push(String::from_utf8(buf.clone()).unwrap());
        }
        assert_eq!(lines, ["abc\n", "defgh\n", "\n", "last"]);
    }

    #[test]
    fn a_line_past_the_limit_is_an_error_not_an_allocation() {
        let mut r = io::BufReader::new(io::repeat(b'a'));
        let mut buf = Vec::new();
        let e = read_line_limited(&mut r, &mut buf, 1000, "line").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert!(e.to_string().contains("limit of 1000 bytes"), "{e}");
        assert!(buf.len() <= 1001);
        // Exactly at the limit (the newline not counted) is fine.
        let line = [vec![b'x'; 10], vec![b'\n']].concat();
        let mut r = io::BufReader::new(&line[..]);
        assert_eq!(read_line_limited(&mut r, &mut buf, 10, "line").unwrap(), 11);
    }

    #[test]
    fn read_to_end_is_bounded() {
        assert_eq!(
            read_to_end_limited(&b"12345"[..], 5, "x").unwrap(),
            b"12345"
        );
        assert!(read_to_end_limited(&b"123456"[..], 5, "x").is_err());
        assert!(read_to_end_limited(io::repeat(0), 1 << 16, "x").is_err());
    }
}
