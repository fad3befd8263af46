//! Fuzz target: the sentence splitter. Checks its contract on arbitrary lines: no sentence is
//! empty, none has surrounding spaces, no non-space character is lost or invented, and the
//! split is deterministic. Also runs whole articles through cleaning and splitting.
#![no_main]

use claimtrack::article::{parse_text_article, IngestOptions};
use claimtrack::clean::Cleaner;
use claimtrack::split::{article_sentences, split_line};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn non_space(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for line in text.split('\n') {
        let parts = split_line(line);
        for p in &parts {
            assert!(!p.is_empty(), "empty sentence from {line:?}");
            assert_eq!(p.trim(), p.as_str());
        }
        assert_eq!(
            non_space(&parts.concat()),
            non_space(line),
            "{line:?} -> {parts:?}"
        );
        assert_eq!(split_line(line), parts);
    }
    static CLEANER: OnceLock<Cleaner> = OnceLock::new();
    let cleaner = CLEANER.get_or_init(Cleaner::default);
    if let Ok(a) = parse_text_article(
        data,
        "f.txt",
        "f",
        &IngestOptions::default(),
        &mut Vec::new(),
    ) {
        let (sentences, _) = article_sentences(&a, cleaner);
        for (i, s) in sentences.iter().enumerate() {
            assert_eq!(s.index, i);
            assert!(!s.text.trim().is_empty());
        }
    }
});
