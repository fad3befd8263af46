//! Fuzz target: the page-furniture cleaner on arbitrary text (with and without a title).
//! Every input line is either kept or listed as dropped, never both or neither.
#![no_main]

use claimtrack::clean::Cleaner;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fuzz_target!(|data: &[u8]| {
    static CLEANER: OnceLock<Cleaner> = OnceLock::new();
    let cleaner = CLEANER.get_or_init(Cleaner::default);
    let text = String::from_utf8_lossy(data);
    let (title, body) = match text.split_once('\u{1}') {
        Some((t, b)) => (Some(t), b),
        None => (None, &*text),
    };
    let c = cleaner.clean(body, title);
    for d in &c.dropped {
        assert!(d.number >= 1);
    }
});
