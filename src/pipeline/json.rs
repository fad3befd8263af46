//! The JSON of classified sentences: [`Prediction::annotate`] adds a prediction to a JSON
//! record (serialised by serde_json), and [`write_text_line`] writes the line of a plain-text
//! sentence without building a map.
//!
//! This module owns the fast serialiser of the classify hot path. It writes exactly the bytes
//! serde_json writes for the same map (`{"text", "label", "argmax"?, "probs"}`), which the
//! tests check byte for byte, with proptest, on awkward text (line and paragraph separators,
//! NEL, CR LF, BOM, NUL and other control characters, non-ASCII, empty text) and on any
//! float (subnormal, huge, non-finite).

use super::Prediction;
use crate::label::Label;
use serde_json::{Map, Value};

impl Prediction {
    /// Adds the prediction to a JSON record as the classify command does: `"label"`, then,
    /// for a decoded label that differs from the most probable one, `"argmax"` (a decoded
    /// label equal to it removes an `"argmax"` the record had), then `"probs"` (an object
    /// keyed by label name, in [`Label::ALL`] order). A field the record already has keeps
    /// its place; new fields go last. Non-finite probabilities are written as `null`.
    pub fn annotate(&self, record: &mut Map<String, Value>) {
        let mut probs = Map::new();
        for l in Label::ALL {
            probs.insert(l.as_str().to_string(), Value::from(self.probs[l.index()]));
        }
        record.insert("label".to_string(), Value::from(self.label.as_str()));
        if self.decoded {
            match self.argmax {
                Some(argmax) => {
                    record.insert("argmax".to_string(), Value::from(argmax.as_str()));
                }
                None => {
                    record.shift_remove("argmax");
                }
            }
        }
        record.insert("probs".to_string(), Value::Object(probs));
    }

    /// Writes the JSON line (newline included) of `text` with this prediction: the bytes of
    /// serde_json serialising the record `{"text": text}` after [`Prediction::annotate`].
    pub fn write_json_line<W: std::io::Write>(
        &self,
        text: &str,
        mut out: W,
    ) -> std::io::Result<()> {
        let mut line = Vec::with_capacity(text.len() + 160);
        write_text_line(&mut line, text, self);
        out.write_all(&line)
    }
}

/// Appends the JSON line (newline included) of a plain-text sentence and its prediction to
/// `out`: the bytes of [`Prediction::write_json_line`].
pub(crate) fn write_text_line(out: &mut Vec<u8>, text: &str, p: &Prediction) {
    out.extend_from_slice(b"{\"text\":");
    write_json_str(out, text);
    write_prediction_tail(out, p);
}

/// Appends what [`write_text_line`] writes after the text: `,"label":...`, `"argmax"` when
/// decoded to another label, `"probs"`, the closing brace and the newline. A record's fields
/// written as serde_json writes them, then this, are the bytes of the record after
/// [`Prediction::annotate`] when it had no `label`, `argmax` or `probs`.
pub(crate) fn write_prediction_tail(out: &mut Vec<u8>, p: &Prediction) {
    // The longest tail: about 120 bytes of keys and labels, four floats of at most 24 bytes.
    out.reserve(256);
    out.extend_from_slice(LABEL_KEYS[p.label.index()]);
    if let (true, Some(argmax)) = (p.decoded, p.argmax) {
        out.extend_from_slice(ARGMAX_KEYS[argmax.index()]);
    }
    for (key, &prob) in PROB_KEYS.iter().zip(&p.probs) {
        out.extend_from_slice(key);
        write_json_f64(out, prob);
    }
    out.extend_from_slice(b"}}\n");
}

/// `,"label":"` and each label's name, by [`Label::index`] (tested against
/// [`Label::as_str`]).
const LABEL_KEYS: [&[u8]; 4] = [
    b",\"label\":\"russian_claim",
    b",\"label\":\"us_denial",
    b",\"label\":\"expert_skepticism",
    b",\"label\":\"context",
];

/// The end of the label, `,"argmax":"` and each label's name, by [`Label::index`].
const ARGMAX_KEYS: [&[u8]; 4] = [
    b"\",\"argmax\":\"russian_claim",
    b"\",\"argmax\":\"us_denial",
    b"\",\"argmax\":\"expert_skepticism",
    b"\",\"argmax\":\"context",
];

/// What comes before each probability, in [`Label::ALL`] order (the end of the label, then
/// the `"probs"` object's keys).
const PROB_KEYS: [&[u8]; 4] = [
    b"\",\"probs\":{\"russian_claim\":",
    b",\"us_denial\":",
    b",\"expert_skepticism\":",
    b",\"context\":",
];

/// Writes `s` as a JSON string: the bytes of `serde_json::to_writer(out, s)`, copied in one
/// go when nothing needs escaping (serde_json escapes only `"`, `\` and control characters
/// below U+0020; U+007F, U+0085, U+2028 and U+2029 are written as they are).
pub(crate) fn write_json_str(out: &mut Vec<u8>, s: &str) {
    if needs_escape(s.as_bytes()) {
        serde_json::to_writer(&mut *out, s).expect("writing JSON to memory cannot fail");
    } else {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    }
}

/// Whether any byte is `"`, `\` or a control character (< 0x20), eight bytes at a time.
fn needs_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Exact per-word tests: some byte is zero / some byte is below 0x20.
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH != 0;
    let below_space = |v: u64| v.wrapping_sub(ONES * 0x20) & !v & HIGH != 0;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        let v = u64::from_le_bytes(b);
        if below_space(v)
            || zero(v ^ (ONES * u64::from(b'"')))
            || zero(v ^ (ONES * u64::from(b'\\')))
        {
            return true;
        }
    }
    chunks
        .remainder()
        .iter()
        .any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

/// Writes a probability as serde_json writes `Value::from(p)` (a finite float, else `null`).
pub(crate) fn write_json_f64(out: &mut Vec<u8>, p: f64) {
    use serde_json::ser::{CompactFormatter, Formatter};
    if p.is_finite() {
        CompactFormatter
            .write_f64(out, p)
            .expect("writing JSON to memory cannot fail");
    } else {
        out.extend_from_slice(b"null");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The line serde_json writes for `text` and `p` (the definition).
    fn by_serde(text: &str, p: &Prediction) -> Vec<u8> {
        let mut record = Map::new();
        record.insert("text".to_string(), Value::from(text));
        p.annotate(&mut record);
        let mut line = serde_json::to_vec(&record).unwrap();
        line.push(b'\n');
        line
    }

    fn fast(text: &str, p: &Prediction) -> Vec<u8> {
        let mut line = Vec::new();
        p.write_json_line(text, &mut line).unwrap();
        line
    }

    /// Characters that JSON writers get wrong: quotes, backslashes, every C0 control, DEL,
    /// NEL and the other C1 controls, the BOM, line and paragraph separators, non-ASCII
    /// letters, an astral-plane emoji, and plain ASCII.
    fn awkward_char() -> impl Strategy<Value = char> {
        prop_oneof![
            Just('"'),
            Just('\\'),
            Just('\r'),
            Just('\n'),
            Just('\u{0}'),
            (0u32..0x20).prop_map(|c| char::from_u32(c).unwrap()),
            Just('\u{7f}'),
            (0x80u32..0xa0).prop_map(|c| char::from_u32(c).unwrap()),
            Just('\u{feff}'),
            Just('\u{2028}'),
            Just('\u{2029}'),
            Just('é'),
            Just('ü'),
            Just('中'),
            Just('\u{1F642}'),
            prop::char::range(' ', '~'),
            any::<char>(),
        ]
    }

    fn awkward_text() -> impl Strategy<Value = String> {
        prop::collection::vec(awkward_char(), 0..40).prop_map(|v| v.into_iter().collect())
    }

    /// Any probability: ordinary ones, subnormal, huge, negative zero, non-finite.
    fn float() -> impl Strategy<Value = f64> {
        prop_oneof![
            0.0f64..=1.0,
            any::<f64>(),
            // Probabilities that went through `f32`, and tiny and near-one ones.
            any::<f32>().prop_map(f64::from),
            (0.0f32..=1.0).prop_map(f64::from),
            (-300i32..0).prop_map(|e| 10f64.powi(e)),
            (1u32..1000).prop_map(|k| 1.0 - f64::EPSILON * f64::from(k)),
            Just(-0.0),
            Just(f64::MIN_POSITIVE / 3.0),
            Just(1e300),
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
        ]
    }

    fn label() -> impl Strategy<Value = Label> {
        (0usize..4).prop_map(|i| Label::ALL[i])
    }

    fn prediction() -> impl Strategy<Value = Prediction> {
        (
            label(),
            prop::option::of(label()),
            prop::array::uniform4(float()),
            any::<bool>(),
        )
            .prop_map(|(label, argmax, probs, decoded)| Prediction {
                label,
                argmax,
                probs,
                decoded,
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn text_lines_are_the_bytes_serde_json_writes(text in awkward_text(), p in prediction()) {
            prop_assert_eq!(fast(&text, &p), by_serde(&text, &p));
        }

        #[test]
        fn floats_are_written_as_serde_json_writes_them(x in float()) {
            let mut ours = Vec::new();
            write_json_f64(&mut ours, x);
            prop_assert_eq!(ours, serde_json::to_vec(&Value::from(x)).unwrap());
        }
    }

    #[test]
    fn every_ascii_byte_at_every_position_of_a_word_is_escaped_as_serde_json_does() {
        let mut texts: Vec<String> = [
            "",
            "plain",
            "with \"quote\"",
            "back\\slash",
            "tab\there",
            "nul\u{0}x",
            "del\u{7f}",
            "curly \u{201C}quotes\u{201D} and é",
            "\u{1f}",
            "12345678\"",
            "1234567\\",
            "abcdefgh\u{1}ijklmnop",
            "exactly8",
            "\u{feff}bom \u{2028} \u{2029} \u{85} crlf\r\n",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for b in 0u8..128 {
            for pos in 0..17 {
                let mut s = "x".repeat(17);
                s.replace_range(pos..pos + 1, &char::from(b).to_string());
                texts.push(s);
            }
        }
        for t in &texts {
            let mut ours = Vec::new();
            write_json_str(&mut ours, t);
            assert_eq!(ours, serde_json::to_vec(t).unwrap(), "{t:?}");
        }
    }

    #[test]
    fn the_key_tables_follow_the_labels() {
        for (n, l) in Label::ALL.iter().enumerate() {
            assert_eq!(l.index(), n);
            let name = l.as_str();
            assert_eq!(LABEL_KEYS[n], format!(",\"label\":\"{name}").as_bytes());
            assert_eq!(ARGMAX_KEYS[n], format!("\",\"argmax\":\"{name}").as_bytes());
            let lead = if n == 0 { "\",\"probs\":{" } else { "," };
            assert_eq!(PROB_KEYS[n], format!("{lead}\"{name}\":").as_bytes());
        }
    }

    #[test]
    fn annotate_keeps_the_place_of_existing_fields_and_drops_a_stale_argmax() {
        let mut record: Map<String, Value> =
            serde_json::from_str(r#"{"probs":1,"text":"t","argmax":"x","label":2}"#).unwrap();
        let p = Prediction {
            label: Label::UsDenial,
            argmax: None,
            probs: [0.1, 0.6, 0.2, 0.1],
            decoded: true,
        };
        p.annotate(&mut record);
        let keys: Vec<&str> = record.keys().map(String::as_str).collect();
        assert_eq!(keys, ["probs", "text", "label"]);
        assert_eq!(record["label"], "us_denial");
        // Without the decoder the record's own "argmax" is passed through untouched.
        let mut record: Map<String, Value> =
            serde_json::from_str(r#"{"text":"t","argmax":"x"}"#).unwrap();
        Prediction {
            decoded: false,
            ..p
        }
        .annotate(&mut record);
        assert_eq!(record["argmax"], "x");
        // A decoded label that differs from the most probable one adds "argmax" after "label".
        let mut record: Map<String, Value> = serde_json::from_str(r#"{"text":"t"}"#).unwrap();
        Prediction {
            label: Label::Context,
            argmax: Some(Label::UsDenial),
            ..p
        }
        .annotate(&mut record);
        let keys: Vec<&str> = record.keys().map(String::as_str).collect();
        assert_eq!(keys, ["text", "label", "argmax", "probs"]);
        assert_eq!(record["argmax"], "us_denial");
    }
}
