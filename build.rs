//! Build script: embeds `models/default.json` into the library when the file exists, so every
//! command works without `--model`. Without the file the build still succeeds and
//! `Model::default_model()` returns a clear error.
//!
//! When the embedded file's checksum verifies, the script also writes a split form of it
//! that loads several times faster (the model itself is unchanged, bit for bit):
//!
//! - `default_model_small.json`: the file with `vocabulary`, `idf` and `weights` emptied;
//! - `default_model_terms.txt`: the vocabulary terms, one per line (`\n` between terms);
//! - `default_model_numbers.bin`: every idf value, then every weight row (4 values per
//!   term), as the little-endian bits of the `f64` that serde_json parses from the text
//!   (this is the same serde_json, with the same features, as the library's).
//!
//! Anything unusual (a term that is empty or holds a newline, a value that is not a number,
//! a weight row that is not 4 long) leaves the split out, and the library parses the JSON.

use std::path::Path;

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let out = Path::new(&out_dir);
    let model = Path::new(&manifest).join("models").join("default.json");
    // Watching the folder (it exists in the repo) catches the file appearing or changing.
    println!("cargo:rerun-if-changed=models");
    println!("cargo:rerun-if-changed=build.rs");
    let code = if model.is_file() {
        format!("Some(include_str!({:?}))", model.display().to_string())
    } else {
        "None".to_string()
    };
    std::fs::write(out.join("default_model.rs"), code).expect("OUT_DIR is writable");
    // Check the embedded model's checksum once, here, so loading it at run time does not
    // have to (it is the only file the binary trusts that way). When the check fails or
    // cannot be made, the run-time check stays on and reports the problem.
    let value = std::fs::read_to_string(&model)
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok());
    let verified = value.as_ref().is_some_and(checksum_ok);
    std::fs::write(out.join("default_model_verified.rs"), verified.to_string())
        .expect("OUT_DIR is writable");
    // The split form, only for a verified file (the library then skips the checksum).
    let split = value.filter(|_| verified).and_then(split_model);
    let code = match split {
        Some((small, terms, numbers)) => {
            let small_path = out.join("default_model_small.json");
            let terms_path = out.join("default_model_terms.txt");
            let numbers_path = out.join("default_model_numbers.bin");
            std::fs::write(&small_path, small).expect("OUT_DIR is writable");
            std::fs::write(&terms_path, terms).expect("OUT_DIR is writable");
            std::fs::write(&numbers_path, numbers).expect("OUT_DIR is writable");
            format!(
                "Some((include_str!({:?}), include_str!({:?}), include_bytes!({:?})))",
                small_path.display().to_string(),
                terms_path.display().to_string(),
                numbers_path.display().to_string()
            )
        }
        None => "None".to_string(),
    };
    std::fs::write(out.join("default_model_split.rs"), code).expect("OUT_DIR is writable");
}

/// Whether the file's `checksum` is the SHA-256 of the compact JSON of its `content` (the
/// same rule as `src/model/file.rs`; serde_json keeps field order and exact floats).
fn checksum_ok(value: &serde_json::Value) -> bool {
    use sha2::{Digest, Sha256};
    let (Some(content), Some(stored)) = (value.get("content"), value.get("checksum")) else {
        return false;
    };
    let Ok(bytes) = serde_json::to_vec(content) else {
        return false;
    };
    let hex: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    stored.as_str() == Some(format!("sha256:{hex}").as_str())
}

/// Splits a model file into (JSON without vocabulary, idf and weights; the terms joined by
/// `\n`; the idf values then the weight rows as little-endian `f64` bits), or `None` when
/// the file does not have the expected shape (the library then reads the JSON as it is).
fn split_model(mut value: serde_json::Value) -> Option<(String, String, Vec<u8>)> {
    let content = value.get_mut("content")?.as_object_mut()?;
    let vocabulary = std::mem::take(content.get_mut("vocabulary")?.as_array_mut()?);
    let idf = std::mem::take(content.get_mut("idf")?.as_array_mut()?);
    let weights = std::mem::take(content.get_mut("weights")?.as_array_mut()?);
    if vocabulary.is_empty() || idf.len() != vocabulary.len() || weights.len() != idf.len() {
        return None;
    }
    let mut terms: Vec<&str> = Vec::with_capacity(vocabulary.len());
    for term in &vocabulary {
        let term = term.as_str()?;
        if term.is_empty() || term.contains('\n') {
            return None;
        }
        terms.push(term);
    }
    let mut numbers: Vec<u8> = Vec::with_capacity(idf.len() * 5 * 8);
    for v in &idf {
        numbers.extend_from_slice(&v.as_f64()?.to_le_bytes());
    }
    for row in &weights {
        let row = row.as_array()?;
        if row.len() != 4 {
            return None;
        }
        for v in row {
            numbers.extend_from_slice(&v.as_f64()?.to_le_bytes());
        }
    }
    let terms = terms.join("\n");
    // The emptied arrays stay in place, so the small file keeps the layout of the full one.
    let small = serde_json::to_string(&value).ok()?;
    Some((small, terms, numbers))
}
