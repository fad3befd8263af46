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
}
