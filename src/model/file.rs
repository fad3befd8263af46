//! The model file: a JSON document that carries everything needed to use a model.
//!
//! Layout (format version 5; version 4 files, written before models recorded label names,
//! version 3 files, written before probability calibration
//! existed, version 2 files, written before the label-sequence decoder, and version 1 files,
//! written before the cue and neighbour feature groups, still load: they have no calibration
//! or decoder, and version 1 settings simply lack those groups):
//!
//! ```text
//! { "format_version": 5,
//!   "checksum": "sha256:<hex of the compact JSON of `content`>",
//!   "content": { "labels", "active_labels", "featurizer", "vocabulary", "idf",
//!                "weights" (one [4] row per vocabulary term), "intercepts", "training",
//!                "decoder" (optional: weight, transitions, selection),
//!                "calibration" (optional: temperature and how it was fitted),
//!                "names" (optional: the claim project's claim, its short wording and the
//!                         four display names by role) } }
//! ```
//!
//! A model is written in the oldest format that holds it, exactly as the builds of that
//! format wrote it (so older claimtrack builds read it): version 2 without decoder or
//! calibration, version 3 with a decoder only, version 4 with a calibration, version 5 with
//! label names (a model trained in a project whose names are not the default story's).
//!
//! Loading checks, in order: JSON syntax, the format version (a newer one asks the user to
//! upgrade claimtrack), the field layout, the checksum, then the shapes. Writing is
//! deterministic: the same model gives the same bytes, and files are written atomically.
//!
//! The embedded default model is also kept in a split form written by `build.rs` (the JSON
//! without vocabulary, idf and weights; the terms; the `f64` bits), so that loading it does
//! not parse 100,000 floats from text. That form holds the same model, bit for bit; it is
//! only used when the build verified the checksum, and the full JSON stays embedded too.

use super::{Calibration, Decoder, Model, ModelError, TrainingInfo, K, MAX_WEIGHT};
use crate::features::{FeatureError, Featurizer, FeaturizerParams};
use crate::label::{Label, LabelNames};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;

/// The newest model file format this build reads, and the one it writes for a model with a
/// probability calibration. Other models are written in the oldest format that holds them
/// (version 3 with a decoder, 2 without), byte for byte what earlier builds wrote, so older
/// builds keep reading them.
pub const FORMAT_VERSION: u64 = 5;

/// The first format version whose files may carry label names (`names`).
const NAMES_VERSION: u64 = 5;

/// The first format version whose files may carry a label-sequence decoder.
const DECODER_VERSION: u64 = 3;

/// The first format version whose files may carry a probability calibration.
const CALIBRATION_VERSION: u64 = 4;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelFile {
    format_version: u64,
    checksum: String,
    content: Content,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Content {
    pub(super) labels: Vec<Label>,
    pub(super) active_labels: Vec<Label>,
    pub(super) featurizer: FeaturizerParams,
    pub(super) vocabulary: Vec<String>,
    pub(super) idf: Vec<f64>,
    pub(super) weights: Vec<[f64; 4]>,
    pub(super) intercepts: [f64; 4],
    pub(super) training: TrainingInfo,
    /// The label-sequence decoder (absent: none; always absent before format version 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) decoder: Option<Decoder>,
    /// The probability calibration (absent: none; always absent before format version 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) calibration: Option<Calibration>,
    /// The claim project's label names and claim (absent: the default story's; always absent
    /// before format version 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) names: Option<LabelNames>,
}

/// The checksum of a model file's content: the SHA-256 of its compact JSON, which is hashed
/// as it is written (through a small buffer, not a copy of the whole text).
pub(super) fn checksum_of(content: &Content) -> Result<String, ModelError> {
    let mut hashing = std::io::BufWriter::with_capacity(1 << 16, HashWriter(Sha256::new()));
    serde_json::to_writer(&mut hashing, content).map_err(parse_error)?;
    let digest = hashing
        .into_inner()
        .map_err(|e| parse_error(e.error()))?
        .0
        .finalize();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("sha256:{hex}"))
}

/// A writer that feeds a SHA-256 hash.
struct HashWriter(Sha256);

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Model {
    /// Serializes the model to its JSON file format (deterministic bytes). Fails, as loading
    /// would, when a number is outside its range (see [`MAX_WEIGHT`]).
    pub fn to_json_string(&self) -> Result<String, ModelError> {
        let content = Content {
            labels: Label::ALL.to_vec(),
            active_labels: self.active_labels(),
            featurizer: self.featurizer.params().clone(),
            vocabulary: self.featurizer.vocabulary().to_vec(),
            idf: self.featurizer.idf().to_vec(),
            weights: self.weights.clone(),
            intercepts: self.intercepts,
            training: self.training.clone(),
            decoder: self.decoder.clone(),
            calibration: self.calibration.clone(),
            names: self.names.clone(),
        };
        // Write only what loading accepts (a model trained with too small an alpha can hold
        // weights beyond the bound).
        check_content(&content, content.vocabulary.len())?;
        let file = ModelFile {
            format_version: if content.names.is_some() {
                NAMES_VERSION
            } else if content.calibration.is_some() {
                CALIBRATION_VERSION
            } else if content.decoder.is_some() {
                DECODER_VERSION
            } else {
                DECODER_VERSION - 1
            },
            checksum: checksum_of(&content)?,
            content,
        };
        let mut s = serde_json::to_string_pretty(&file).map_err(parse_error)?;
        s.push('\n');
        Ok(s)
    }

    /// The model's fingerprint: the first 12 hex digits of the SHA-256 of its file
    /// ([`Model::to_json_string`]), so two models that label alike share it.
    pub fn fingerprint(&self) -> Result<String, ModelError> {
        let json = self.to_json_string()?;
        Ok(Sha256::digest(json.as_bytes())
            .iter()
            .take(6)
            .map(|b| format!("{b:02x}"))
            .collect())
    }

    /// Parses and checks a model from its JSON text.
    pub fn from_json_str(json: &str) -> Result<Model, ModelError> {
        Model::from_json_checked(json, true)
    }

    /// Parses a model; `verify_checksum` false skips recomputing the checksum (only for
    /// bytes already verified, such as the embedded default model checked at build time).
    fn from_json_checked(json: &str, verify_checksum: bool) -> Result<Model, ModelError> {
        // Usual case first: one typed parse. Anything unexpected goes through the slower
        // path below, which says precisely what is wrong.
        if let Ok(file) = serde_json::from_str::<ModelFile>(json) {
            if (1..=FORMAT_VERSION).contains(&file.format_version) {
                return Model::from_file(file, verify_checksum);
            }
        }
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| parse_error(format!("not JSON: {e}")))?;
        let version = value
            .get("format_version")
            .ok_or_else(|| {
                ModelError::Parse("no `format_version`: this is not a claimtrack model file".into())
            })?
            .as_u64()
            .ok_or_else(|| ModelError::Parse("`format_version` is not a whole number".into()))?;
        if version > FORMAT_VERSION {
            return Err(ModelError::UnsupportedVersion {
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        if version == 0 {
            return Err(ModelError::Parse(
                "`format_version` 0 does not exist".into(),
            ));
        }
        let file: ModelFile = serde_json::from_value(value).map_err(parse_error)?;
        Model::from_file(file, verify_checksum)
    }

    /// Checks a parsed model file (checksum, then shapes) and builds the model.
    fn from_file(file: ModelFile, verify_checksum: bool) -> Result<Model, ModelError> {
        check_decoder_version(&file)?;
        if verify_checksum {
            let computed = checksum_of(&file.content)?;
            if computed != file.checksum {
                return Err(ModelError::Checksum {
                    stored: file.checksum,
                    computed,
                });
            }
        }
        let n = file.content.vocabulary.len();
        Model::from_content(file.content, n, Featurizer::from_parts)
    }

    /// Checks `c` (for `n_terms` terms) and builds the model around the featurizer `build`
    /// makes of its settings, terms and idf.
    fn from_content(
        c: Content,
        n_terms: usize,
        build: impl FnOnce(FeaturizerParams, Vec<String>, Vec<f64>) -> Result<Featurizer, FeatureError>,
    ) -> Result<Model, ModelError> {
        let active = check_content(&c, n_terms)?;
        let featurizer = build(c.featurizer, c.vocabulary, c.idf)?;
        Ok(Model {
            featurizer,
            weights: c.weights,
            intercepts: c.intercepts,
            active,
            training: c.training,
            decoder: c.decoder,
            calibration: c.calibration,
            names: c.names,
        })
    }

    /// Builds a model from the build script's split form of a verified model file: `json`
    /// is the file with `vocabulary`, `idf` and `weights` emptied, `terms` the vocabulary
    /// joined by `\n`, `numbers` the idf values then the weight rows as little-endian `f64`
    /// bits. The checksum is not recomputed (the build script checked it); every other
    /// check of [`Model::from_json_str`] runs.
    pub(super) fn from_split(json: &str, terms: &str, numbers: &[u8]) -> Result<Model, ModelError> {
        let file: ModelFile = serde_json::from_str(json).map_err(parse_error)?;
        if !(1..=FORMAT_VERSION).contains(&file.format_version) {
            return Err(ModelError::UnsupportedVersion {
                found: file.format_version,
                supported: FORMAT_VERSION,
            });
        }
        check_decoder_version(&file)?;
        let n = numbers.len() / (5 * 8);
        if numbers.len() != n * 5 * 8 {
            return Err(ModelError::Shape(format!(
                "{} bytes of idf and weights, not 40 per term",
                numbers.len()
            )));
        }
        let (idf_bytes, weight_bytes) = numbers.split_at(n * 8);
        let idf: Vec<f64> = idf_bytes.chunks_exact(8).map(f64_le).collect();
        let weights: Vec<[f64; 4]> = weight_bytes
            .chunks_exact(32)
            .map(|row| std::array::from_fn(|k| f64_le(row.get(8 * k..8 * k + 8).unwrap_or(&[]))))
            .collect();
        let c = Content {
            weights,
            idf,
            ..file.content
        };
        // The terms come from `terms` (the file's list is empty); this also checks that it
        // holds one term per idf value.
        Model::from_content(c, n, |params, _, idf| {
            Featurizer::from_joined_parts(params, terms, idf)
        })
    }

    /// Reads a model file; errors name the file.
    pub fn load(path: &Path) -> Result<Model, ModelError> {
        let bytes = std::fs::read(path).map_err(|source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let in_file = |e: ModelError| ModelError::InFile {
            path: path.to_path_buf(),
            source: Box::new(e),
        };
        let text = String::from_utf8(bytes).map_err(|e| {
            in_file(ModelError::Parse(format!(
                "not a claimtrack model file: binary data, not UTF-8 JSON text (byte {}); \
                 give a file written by `claimtrack train`",
                e.utf8_error().valid_up_to()
            )))
        })?;
        Model::from_json_str(&text).map_err(|e| ModelError::InFile {
            path: path.to_path_buf(),
            source: Box::new(e),
        })
    }

    /// Writes the model file atomically (temporary file in the same folder, then rename).
    pub fn save(&self, path: &Path) -> Result<(), ModelError> {
        let json = self.to_json_string()?;
        crate::atomic::write_atomic(path, json.as_bytes()).map_err(|source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// The model shipped inside the binary (`models/default.json` at build time).
    ///
    /// When the build script verified its checksum, it is read from the split form the
    /// script wrote (small JSON, terms, `f64` bits): the same model, bit for bit, as
    /// [`Model::from_json_str`] of [`embedded_default_json`], without parsing 100,000
    /// floats from text.
    pub fn default_model() -> Result<Model, ModelError> {
        if let Some((json, terms, numbers)) = embedded_default_split() {
            return Model::from_split(json, terms, numbers).map_err(|e| ModelError::InFile {
                path: "models/default.json (embedded)".into(),
                source: Box::new(e),
            });
        }
        match embedded_default_json() {
            Some(json) => {
                Model::from_json_checked(json, !embedded_checksum_verified()).map_err(|e| {
                    ModelError::InFile {
                        path: "models/default.json (embedded)".into(),
                        source: Box::new(e),
                    }
                })
            }
            None => Err(ModelError::NoDefaultModel),
        }
    }
}

/// Whether the build script verified the embedded default model's checksum (so loading it
/// skips that step; the other checks always run).
pub fn embedded_checksum_verified() -> bool {
    include!(concat!(env!("OUT_DIR"), "/default_model_verified.rs"))
}

/// The JSON text of the embedded default model, when one was present at build time.
pub fn embedded_default_json() -> Option<&'static str> {
    include!(concat!(env!("OUT_DIR"), "/default_model.rs"))
}

/// The build script's split form of the embedded default model (small JSON, terms joined by
/// `\n`, idf and weight bits), present only when the build verified the model's checksum.
pub(super) fn embedded_default_split() -> Option<(&'static str, &'static str, &'static [u8])> {
    include!(concat!(env!("OUT_DIR"), "/default_model_split.rs"))
}

/// Refuses a decoder or a calibration in a file of a format version from before they existed
/// (such a file was not written by claimtrack).
fn check_decoder_version(file: &ModelFile) -> Result<(), ModelError> {
    if file.format_version < NAMES_VERSION && file.content.names.is_some() {
        return Err(ModelError::Parse(format!(
            "format version {} has no `names`; label names need format version \
             {NAMES_VERSION} or later",
            file.format_version
        )));
    }
    if file.format_version < CALIBRATION_VERSION && file.content.calibration.is_some() {
        return Err(ModelError::Parse(format!(
            "format version {} has no `calibration`; a calibration needs format version \
             {CALIBRATION_VERSION} or later",
            file.format_version
        )));
    }
    if file.format_version < DECODER_VERSION && file.content.decoder.is_some() {
        return Err(ModelError::Parse(format!(
            "format version {} has no `decoder`; a decoder needs format version {DECODER_VERSION} \
             or later",
            file.format_version
        )));
    }
    Ok(())
}

/// A [`ModelError::Parse`] with `e`'s message; control characters that the message may
/// quote from the file (serde_json quotes unknown field and variant names) are escaped.
fn parse_error(e: impl std::fmt::Display) -> ModelError {
    ModelError::Parse(crate::escape::controls(&e.to_string()).into_owned())
}

/// The `f64` whose little-endian bits are `bytes` (callers pass exactly 8 bytes; any other
/// length reads as 0 rather than panicking).
fn f64_le(bytes: &[u8]) -> f64 {
    <[u8; 8]>::try_from(bytes).map_or(0.0, f64::from_le_bytes)
}

/// The checks of a model file's content other than the featurizer's own (labels, a
/// non-empty vocabulary, shapes of the weights for `n_terms` terms, the range of every
/// number, active labels, settings); returns which labels are active.
fn check_content(c: &Content, n_terms: usize) -> Result<[bool; K], ModelError> {
    if c.labels != Label::ALL {
        return Err(ModelError::Shape(format!(
            "labels {:?} differ from this build's {:?}",
            c.labels,
            Label::ALL
        )));
    }
    if let Some(names) = &c.names {
        names
            .check()
            .map_err(|m| ModelError::Parse(format!("`names`: {m}")))?;
    }
    if n_terms == 0 {
        return Err(ModelError::EmptyVocabulary);
    }
    if n_terms != c.weights.len() {
        return Err(ModelError::Shape(format!(
            "{} vocabulary terms but {} weight rows",
            n_terms,
            c.weights.len()
        )));
    }
    check_numbers(c)?;
    if let Some(d) = &c.decoder {
        d.check()?;
    }
    if let Some(cal) = &c.calibration {
        cal.check()?;
    }
    let mut active = [false; K];
    for l in &c.active_labels {
        active[l.index()] = true;
    }
    if active.iter().filter(|a| **a).count() < 2 {
        return Err(ModelError::Shape("fewer than two active labels".into()));
    }
    if c.training.params.featurizer != c.featurizer {
        return Err(ModelError::Shape(
            "featurizer settings differ from the recorded training settings".into(),
        ));
    }
    Ok(active)
}

/// Whether `v` may be a weight or an intercept: finite, `|v| <=` [`MAX_WEIGHT`].
fn weight_ok(v: f64) -> bool {
    v.abs() <= MAX_WEIGHT
}

/// The range checks of the numbers that [`check_content`] owns (the featurizer checks its
/// idf values and `cue_weight` itself): weights and intercepts within [`MAX_WEIGHT`], the
/// recorded training settings valid, the recorded optimizer figures finite and >= 0.
fn check_numbers(c: &Content) -> Result<(), ModelError> {
    let hint = format!(
        "a model file may hold only weights and intercepts from -{MAX_WEIGHT:e} to \
         {MAX_WEIGHT:e}; a damaged file, or one trained with too small an alpha (raise it)"
    );
    // One fast pass; the slow one below only runs to name the culprit.
    let all_ok = c.weights.iter().flatten().all(|&v| weight_ok(v))
        && c.intercepts.iter().all(|&v| weight_ok(v));
    if !all_ok {
        for (j, row) in c.weights.iter().enumerate() {
            for (k, &v) in row.iter().enumerate() {
                if !weight_ok(v) {
                    let term = c
                        .vocabulary
                        .get(j)
                        .map(|t| format!(" (`{}`)", crate::escape::controls(t)))
                        .unwrap_or_default();
                    return Err(ModelError::OutOfRange(format!(
                        "the weight of term {}{term} for label `{}` is {v:e}: {hint}",
                        j + 1,
                        Label::ALL[k]
                    )));
                }
            }
        }
        for (k, &v) in c.intercepts.iter().enumerate() {
            if !weight_ok(v) {
                return Err(ModelError::OutOfRange(format!(
                    "the intercept of label `{}` is {v:e}: {hint}",
                    Label::ALL[k]
                )));
            }
        }
    }
    c.training
        .params
        .validate()
        .map_err(|e| ModelError::OutOfRange(format!("recorded training settings: {e}")))?;
    let conv = &c.training.convergence;
    for (name, v) in [
        ("loss", conv.loss),
        ("gradient_norm", conv.gradient_norm),
        ("tolerance", conv.tolerance),
    ] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(ModelError::OutOfRange(format!(
                "recorded convergence `{name}` is {v:e}, not a finite number >= 0"
            )));
        }
    }
    Ok(())
}
