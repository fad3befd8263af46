//! Build script: embeds `models/default.json` into the library when the file exists, so every
//! command works without `--model`. Without the file the build still succeeds and
//! `Model::default_model()` returns a clear error.

use std::path::Path;

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let model = Path::new(&manifest).join("models").join("default.json");
    // Watching the folder (it exists in the repo) catches the file appearing or changing.
    println!("cargo:rerun-if-changed=models");
    println!("cargo:rerun-if-changed=build.rs");
    let code = if model.is_file() {
        format!("Some(include_str!({:?}))", model.display().to_string())
    } else {
        "None".to_string()
    };
    std::fs::write(Path::new(&out_dir).join("default_model.rs"), code)
        .expect("OUT_DIR is writable");
    // Check the embedded model's checksum once, here, so loading it at run time does not
    // have to (it is the only file the binary trusts that way). When the check fails or
    // cannot be made, the run-time check stays on and reports the problem.
    let verified = std::fs::read_to_string(&model)
        .ok()
        .is_some_and(|text| checksum_ok(&text));
    std::fs::write(
        Path::new(&out_dir).join("default_model_verified.rs"),
        verified.to_string(),
    )
    .expect("OUT_DIR is writable");
}

/// Whether the file's `checksum` is the SHA-256 of the compact JSON of its `content` (the
/// same rule as `src/model/file.rs`; serde_json keeps field order and exact floats).
fn checksum_ok(text: &str) -> bool {
    use sha2::{Digest, Sha256};
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return false;
    };
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
