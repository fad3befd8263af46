//! Fuzz target: article ingestion. Arbitrary bytes as a front-matter text article and as a
//! JSONL stream: either articles or an error naming the source, never a panic.
#![no_main]

use claimtrack::article::{parse_text_article, read_jsonl, IngestError, IngestOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = IngestOptions::default();
    let mut warnings = Vec::new();
    match parse_text_article(data, "f.txt", "f", &opts, &mut warnings) {
        Ok(a) => {
            assert!(!a.text.contains('\r') && !a.text.contains('\0'));
            assert!(!a.outlet.is_empty());
        }
        Err(e) => assert!(e.to_string().starts_with("f.txt"), "{e}"),
    }
    let mut n = 0usize;
    let res = read_jsonl(data, "f.jsonl", "f", &opts, &mut warnings, &mut |a| {
        assert!(a.source.starts_with("f.jsonl:"));
        n += 1;
        Ok::<(), IngestError>(())
    });
    if let Err(e) = res {
        assert!(e.to_string().starts_with("f.jsonl:"), "{e}");
    }
});
