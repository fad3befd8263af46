//! Fuzz target: the TF-IDF featurizer. Fits on the input's lines and transforms each line:
//! indices in range and strictly increasing, values finite, rows of unit length or empty.
#![no_main]

use claimtrack::features::FeaturizerParams;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines: Vec<&str> = text.lines().take(64).collect();
    if lines.is_empty() {
        return;
    }
    let params = FeaturizerParams::default();
    let f = params.fit(&lines);
    for line in &lines {
        let v = f.transform(line);
        let mut last = None;
        let mut norm = 0.0;
        for &(j, x) in v.iter() {
            assert!(j < f.n_features());
            assert!(last.map_or(true, |l| l < j), "indices not increasing");
            last = Some(j);
            assert!(x.is_finite());
            norm += x * x;
        }
        assert!(
            v.is_empty() || (norm - 1.0).abs() < 1e-9 || norm == 0.0,
            "norm {norm}"
        );
    }
    let _ = f.transform(&text);
});
