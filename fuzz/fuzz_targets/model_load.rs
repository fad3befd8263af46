//! Fuzz target: the model loader. Arbitrary bytes must load or fail with an error, never
//! panic. To get past the checksum, a second attempt re-signs the `content` of any JSON
//! object the way the file format defines (SHA-256 of its compact JSON), which lets the
//! fuzzer reach the shape checks. A model that loads must give finite probabilities that
//! sum to 1.
#![no_main]

use claimtrack::model::Model;
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};

fn check(json: &str) {
    if let Ok(m) = Model::from_json_str(json) {
        for text in [
            "",
            "US officials denied receiving any message.",
            json.get(..64).unwrap_or(""),
        ] {
            let p = m.predict_proba(text);
            assert!(p.iter().all(|x| x.is_finite() && *x >= 0.0), "{p:?}");
            assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{p:?}");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(json) = std::str::from_utf8(data) else {
        return;
    };
    check(json);
    let Ok(mut v) = serde_json::from_str::<serde_json::Value>(json) else {
        return;
    };
    let Some(content) = v.get("content") else {
        return;
    };
    let Ok(bytes) = serde_json::to_vec(content) else {
        return;
    };
    let hex: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    v["checksum"] = serde_json::Value::from(format!("sha256:{hex}"));
    check(&v.to_string());
});
