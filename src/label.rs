//! The four sentence labels of the labelling spec (`data/GUIDELINES.md`) and their fixed order.
//!
//! The order of [`Label::ALL`] is the column order of every probability vector, weight
//! matrix and confusion matrix in the crate.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a sentence does with respect to the tracked claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    /// Advances the claim: reports the overture, its channel or terms, or voices Russian openness.
    /// Role name `claim` (accepted in data files, for claims other than the default story's).
    #[serde(alias = "claim")]
    RussianClaim,
    /// An official party denies, disclaims knowledge of, or rejects the reported overture.
    /// Role name `denial`.
    #[serde(alias = "denial")]
    UsDenial,
    /// A non-denying voice (analyst, former official, the outlet itself) doubts truth or sincerity.
    /// Role name `skepticism`.
    #[serde(alias = "skepticism")]
    ExpertSkepticism,
    /// Everything else.
    Context,
}

impl Label {
    /// All labels in canonical order (the column order used everywhere).
    pub const ALL: [Label; 4] = [
        Label::RussianClaim,
        Label::UsDenial,
        Label::ExpertSkepticism,
        Label::Context,
    ];

    /// Number of labels.
    pub const COUNT: usize = 4;

    /// The label's snake_case name as written in data files.
    pub fn as_str(self) -> &'static str {
        match self {
            Label::RussianClaim => "russian_claim",
            Label::UsDenial => "us_denial",
            Label::ExpertSkepticism => "expert_skepticism",
            Label::Context => "context",
        }
    }

    /// The label's role, the same for every tracked claim: `claim`, `denial`, `skepticism`
    /// or `context` (data files may use these names instead of the default story's).
    pub fn role(self) -> &'static str {
        match self {
            Label::RussianClaim => "claim",
            Label::UsDenial => "denial",
            Label::ExpertSkepticism => "skepticism",
            Label::Context => "context",
        }
    }

    /// Position of the label in [`Label::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The label at a position of [`Label::ALL`].
    pub fn from_index(i: usize) -> Option<Label> {
        Label::ALL.get(i).copied()
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error for a string that is not one of the four label names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown label `{0}` (expected one of: russian_claim, us_denial, expert_skepticism, context, or the role names claim, denial, skepticism)"
)]
pub struct UnknownLabel(pub String);

impl FromStr for Label {
    type Err = UnknownLabel;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Label::ALL
            .iter()
            .copied()
            .find(|l| l.as_str() == s.trim() || l.role() == s.trim())
            .ok_or_else(|| UnknownLabel(s.to_string()))
    }
}

/// The default story's claim in a few words, as report text uses it.
pub const DEFAULT_SHORT: &str = "the back channel";

/// What outputs call the four labels and the tracked claim: the display names of a claim
/// project (`claimtrack.toml`), also recorded in a model trained inside one. Every output that
/// shows a label (score lines, `classify`, reports, `explain`, `evaluate`) takes its names
/// from here; [`LabelNames::default`] is the default story's (`russian_claim`, `us_denial`,
/// `expert_skepticism`, `context`, "the back channel"), whose outputs are unchanged.
///
/// Reading goes the other way: [`LabelNames::parse`] accepts the display names as well as
/// the default story's names and the role names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelNames {
    /// The tracked claim, one sentence (empty when not known).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub claim: String,
    /// The claim in a few words, as report text uses it ("the back channel is framed as
    /// credible").
    pub short: String,
    /// The display names, by role.
    pub labels: RoleNames,
}

/// The four display names by role, in [`Label::ALL`] order when written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleNames {
    /// The name of the role `claim`.
    pub claim: String,
    /// The name of the role `denial`.
    pub denial: String,
    /// The name of the role `skepticism`.
    pub skepticism: String,
    /// The name of the role `context`.
    pub context: String,
}

impl RoleNames {
    /// The names in [`Label::ALL`] order.
    pub fn from_array(names: [String; 4]) -> RoleNames {
        let [claim, denial, skepticism, context] = names;
        RoleNames {
            claim,
            denial,
            skepticism,
            context,
        }
    }

    /// The name of `label`.
    pub fn get(&self, label: Label) -> &str {
        match label {
            Label::RussianClaim => &self.claim,
            Label::UsDenial => &self.denial,
            Label::ExpertSkepticism => &self.skepticism,
            Label::Context => &self.context,
        }
    }
}

impl Default for LabelNames {
    fn default() -> LabelNames {
        LabelNames {
            claim: String::new(),
            short: DEFAULT_SHORT.to_string(),
            labels: RoleNames::from_array(Label::ALL.map(|l| l.as_str().to_string())),
        }
    }
}

/// A project and a model that name the labels differently.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the model names the labels {} but the project names them {}; the model's names describe what it predicts: \
     use a model trained in this project (`claimtrack train --update-default`), or run without the project \
     (`--project` of the model's own project)",
    .model.join(", "), .project.join(", ")
)]
pub struct NamesConflict {
    /// The model's names, in [`Label::ALL`] order.
    pub model: Vec<String>,
    /// The project's names, in [`Label::ALL`] order.
    pub project: Vec<String>,
}

impl LabelNames {
    /// Checks what a model file may carry: each name 1 to 40 of `a-z`, `0-9` and `_`
    /// starting with a letter, the four distinct, and the claim's wordings on one line
    /// without control characters. Returns what is wrong.
    pub fn check(&self) -> Result<(), String> {
        for l in Label::ALL {
            let n = self.name(l);
            let ok = !n.is_empty()
                && n.len() <= 40
                && n.starts_with(|c: char| c.is_ascii_lowercase())
                && n.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !ok {
                return Err(format!("`{}` is not a label name", n.escape_debug()));
            }
            if Label::ALL.iter().any(|o| *o != l && self.name(*o) == n) {
                return Err(format!("`{n}` names two labels"));
            }
        }
        for (key, text, max) in [("claim", &self.claim, 500), ("short", &self.short, 80)] {
            if text.chars().any(char::is_control) || text.chars().count() > max {
                return Err(format!(
                    "`{key}` holds a control character or is over {max} characters"
                ));
            }
        }
        if self.short.trim().is_empty() {
            return Err("`short` is empty".into());
        }
        Ok(())
    }

    /// The display name of `label`.
    pub fn name(&self, label: Label) -> &str {
        self.labels.get(label)
    }

    /// The display names in [`Label::ALL`] order.
    pub fn names(&self) -> [&str; 4] {
        Label::ALL.map(|l| self.name(l))
    }

    /// True when the label names are the default story's (whatever the claim's wording).
    pub fn has_default_labels(&self) -> bool {
        Label::ALL.iter().all(|l| self.name(*l) == l.as_str())
    }

    /// True when every output looks as the default story's: its label names and its short
    /// wording of the claim. A model file records names only when this is false.
    pub fn is_default(&self) -> bool {
        self.has_default_labels() && self.short == DEFAULT_SHORT
    }

    /// The label a name stands for: a display name, a default story's name or a role name
    /// (surrounding blanks ignored). Display names are tried first.
    pub fn parse(&self, s: &str) -> Result<Label, UnknownLabel> {
        let t = s.trim();
        Label::ALL
            .iter()
            .copied()
            .find(|l| self.name(*l) == t)
            .map_or_else(
                || t.parse::<Label>().map_err(|_| UnknownLabel(s.to_string())),
                Ok,
            )
    }

    /// The names an output uses, given the project's (`project`, `None` without a project)
    /// and the model's (`model`, `None` for a model that records none: the default story's,
    /// or one written before models recorded names).
    ///
    /// The model's names describe what it predicts, so they win over a project that keeps
    /// the default story's names; a model without names takes the project's. A project and
    /// a model that both give their own label names, and different ones, are refused.
    pub fn choose(
        project: Option<&LabelNames>,
        model: Option<&LabelNames>,
    ) -> Result<LabelNames, NamesConflict> {
        match (project, model) {
            (Some(p), Some(m)) if !p.has_default_labels() && p.labels != m.labels => {
                Err(NamesConflict {
                    model: m.names().map(str::to_string).to_vec(),
                    project: p.names().map(str::to_string).to_vec(),
                })
            }
            (_, Some(m)) => Ok(m.clone()),
            (Some(p), None) => Ok(p.clone()),
            (None, None) => Ok(LabelNames::default()),
        }
    }

    /// Renames the labels in a JSON value written with the default story's names to the
    /// display names: string values of the keys `label`, `argmax`, `first_stance`, `stance`,
    /// `gold`, `predicted` and `decoded`, and the keys of objects under `probs` (their order
    /// kept). Nothing changes when the names are the default story's.
    pub fn rename_json(&self, v: &mut serde_json::Value) {
        if self.has_default_labels() {
            return;
        }
        self.map_json(v, &|s| {
            s.parse::<Label>()
                .ok()
                .filter(|l| l.as_str() == s)
                .map(|l| self.name(l).to_string())
        });
    }

    /// The reverse of [`LabelNames::rename_json`]: display names back to the default story's,
    /// so the value reads as [`Label`]s.
    pub fn canonical_json(&self, v: &mut serde_json::Value) {
        if self.has_default_labels() {
            return;
        }
        self.map_json(v, &|s| {
            Label::ALL
                .iter()
                .find(|l| self.name(**l) == s)
                .map(|l| l.as_str().to_string())
        });
    }

    fn map_json(&self, v: &mut serde_json::Value, f: &dyn Fn(&str) -> Option<String>) {
        use serde_json::Value;
        const KEYS: [&str; 7] = [
            "label",
            "argmax",
            "first_stance",
            "stance",
            "gold",
            "predicted",
            "decoded",
        ];
        match v {
            Value::Array(items) => {
                for x in items {
                    self.map_json(x, f);
                }
            }
            Value::Object(map) => {
                for (k, x) in map.iter_mut() {
                    match x {
                        Value::String(s) if KEYS.contains(&k.as_str()) => {
                            if let Some(n) = f(s) {
                                *s = n;
                            }
                        }
                        Value::Array(pair) if k == "top_error" => {
                            for p in pair.iter_mut() {
                                if let Value::String(s) = p {
                                    if let Some(n) = f(s) {
                                        *s = n;
                                    }
                                }
                            }
                        }
                        Value::Object(probs) if k == "probs" => {
                            let old = std::mem::take(probs);
                            for (pk, pv) in old {
                                probs.insert(f(&pk).unwrap_or(pk), pv);
                            }
                        }
                        _ => self.map_json(x, f),
                    }
                }
            }
            _ => {}
        }
    }

    /// One JSON line (no newline) rewritten by [`LabelNames::rename_json`]; the line as it
    /// was when it is not JSON or the names are the default story's.
    pub fn rename_json_line(&self, line: &str) -> String {
        if self.has_default_labels() {
            return line.to_string();
        }
        match serde_json::from_str::<serde_json::Value>(line) {
            Ok(mut v) => {
                self.rename_json(&mut v);
                serde_json::to_string(&v).unwrap_or_else(|_| line.to_string())
            }
            Err(_) => line.to_string(),
        }
    }
}

/// A writer that passes JSON lines on with the labels renamed to display names
/// ([`LabelNames::rename_json_line`]): what `classify` writes for a project with names of its
/// own. Bytes after the last newline are written by [`RenamingWriter::finish`].
pub struct RenamingWriter<'a, W: std::io::Write> {
    names: &'a LabelNames,
    out: W,
    pending: Vec<u8>,
}

impl<'a, W: std::io::Write> RenamingWriter<'a, W> {
    /// A writer into `out` under `names`.
    pub fn new(names: &'a LabelNames, out: W) -> Self {
        RenamingWriter {
            names,
            out,
            pending: Vec::new(),
        }
    }

    fn line(&mut self, line: &[u8]) -> std::io::Result<()> {
        match std::str::from_utf8(line) {
            Ok(text) => self
                .out
                .write_all(self.names.rename_json_line(text).as_bytes()),
            Err(_) => self.out.write_all(line),
        }
    }

    /// Writes what follows the last newline and flushes; returns the inner writer.
    pub fn finish(mut self) -> std::io::Result<W> {
        let rest = std::mem::take(&mut self.pending);
        if !rest.is_empty() {
            self.line(&rest)?;
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

impl<W: std::io::Write> std::io::Write for RenamingWriter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut rest = buf;
        while let Some(i) = memchr::memchr(b'\n', rest) {
            let mut line = std::mem::take(&mut self.pending);
            line.extend_from_slice(&rest[..i]);
            self.line(&line)?;
            self.out.write_all(b"\n")?;
            rest = &rest[i + 1..];
        }
        self.pending.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// The spec's precedence of labels, which breaks ties between equally probable labels: the
/// rarer stance first.
pub const PRECEDENCE: [Label; 4] = [
    Label::UsDenial,
    Label::ExpertSkepticism,
    Label::RussianClaim,
    Label::Context,
];

/// The most probable label; ties go to the rarer stance by the spec's precedence
/// (`us_denial` > `expert_skepticism` > `russian_claim` > `context`, [`PRECEDENCE`]).
pub fn argmax_label(probs: &[f64; 4]) -> Label {
    let mut best = PRECEDENCE[0];
    for l in PRECEDENCE {
        if probs[l.index()] > probs[best.index()] {
            best = l;
        }
    }
    best
}

/// Serde helpers for a probability vector written as an object keyed by label name,
/// `{"russian_claim": p, "us_denial": p, "expert_skepticism": p, "context": p}` in
/// [`Label::ALL`] order, the way `classify` and `score` both write it. Reading also takes the
/// role names as keys and the older form, a bare array of four numbers in [`Label::ALL`] order
/// (score files written by earlier versions).
pub mod probs_by_label {
    use super::Label;
    use serde::de::{self, MapAccess, SeqAccess, Visitor};
    use serde::ser::SerializeMap;
    use serde::{Deserializer, Serializer};
    use std::fmt;

    /// Writes `probs` as an object keyed by label name.
    pub fn serialize<S: Serializer>(probs: &[f64; 4], s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(4))?;
        for l in Label::ALL {
            m.serialize_entry(l.as_str(), &probs[l.index()])?;
        }
        m.end()
    }

    struct Probs;

    const NAMES: &[&str] = &["russian_claim", "us_denial", "expert_skepticism", "context"];

    impl<'de> Visitor<'de> for Probs {
        type Value = [f64; 4];

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str(
                "an object with a probability for each of the four labels (or an array of four)",
            )
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<[f64; 4], A::Error> {
            let mut out = [0.0; 4];
            for (i, slot) in out.iter_mut().enumerate() {
                *slot = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(i, &self))?;
            }
            if seq.next_element::<de::IgnoredAny>()?.is_some() {
                return Err(de::Error::invalid_length(5, &self));
            }
            Ok(out)
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<[f64; 4], A::Error> {
            let mut out = [f64::NAN; 4];
            let mut seen = [false; 4];
            while let Some(key) = map.next_key::<String>()? {
                let l: Label = key
                    .parse()
                    .map_err(|_| de::Error::unknown_field(&key, NAMES))?;
                if seen[l.index()] {
                    return Err(de::Error::custom(format!(
                        "probability of `{l}` given twice"
                    )));
                }
                seen[l.index()] = true;
                out[l.index()] = map.next_value()?;
            }
            if let Some(l) = Label::ALL.iter().find(|l| !seen[l.index()]) {
                return Err(de::Error::custom(format!("no probability for `{l}`")));
            }
            Ok(out)
        }
    }

    /// Reads an object keyed by label (or role) name, or an array of four.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[f64; 4], D::Error> {
        d.deserialize_any(Probs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_names_and_indices() {
        for (i, l) in Label::ALL.iter().enumerate() {
            assert_eq!(l.index(), i);
            assert_eq!(Label::from_index(i), Some(*l));
            assert_eq!(l.as_str().parse::<Label>().unwrap(), *l);
            let json = serde_json::to_string(l).unwrap();
            assert_eq!(json, format!("\"{}\"", l.as_str()));
        }
        assert!("claims".parse::<Label>().is_err());
        assert!("Claim".parse::<Label>().is_err());
        assert_eq!(Label::from_index(4), None);
    }

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct P {
        #[serde(with = "probs_by_label")]
        probs: [f64; 4],
    }

    #[test]
    fn probabilities_are_written_keyed_by_label_and_read_in_every_form() {
        let p = P {
            probs: [0.5, 0.25, 0.125, 0.125],
        };
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(
            json,
            r#"{"probs":{"russian_claim":0.5,"us_denial":0.25,"expert_skepticism":0.125,"context":0.125}}"#
        );
        assert_eq!(serde_json::from_str::<P>(&json).unwrap(), p);
        let old: P = serde_json::from_str(r#"{"probs":[0.5,0.25,0.125,0.125]}"#).unwrap();
        assert_eq!(old, p);
        let roles: P = serde_json::from_str(
            r#"{"probs":{"context":0.125,"claim":0.5,"skepticism":0.125,"denial":0.25}}"#,
        )
        .unwrap();
        assert_eq!(roles, p);
        for bad in [
            r#"{"probs":[0.5,0.5,0]}"#,
            r#"{"probs":[0.5,0.5,0,0,0]}"#,
            r#"{"probs":{"russian_claim":1}}"#,
            r#"{"probs":{"russian_claim":1,"claim":0,"us_denial":0,"expert_skepticism":0,"context":0}}"#,
            r#"{"probs":{"rumour":1,"us_denial":0,"expert_skepticism":0,"context":0}}"#,
            r#"{"probs":"x"}"#,
        ] {
            assert!(serde_json::from_str::<P>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn role_names_read_as_the_same_labels_but_are_never_written() {
        for l in Label::ALL {
            assert_eq!(l.role().parse::<Label>().unwrap(), l);
            let from_json: Label = serde_json::from_str(&format!("\"{}\"", l.role())).unwrap();
            assert_eq!(from_json, l);
            assert_eq!(
                serde_json::to_string(&l).unwrap(),
                format!("\"{}\"", l.as_str())
            );
        }
        assert_eq!(Label::RussianClaim.role(), "claim");
        assert_eq!(Label::ExpertSkepticism.role(), "skepticism");
    }

    fn names() -> LabelNames {
        LabelNames {
            claim: "The minister took the bribe.".into(),
            short: "the bribe".into(),
            labels: RoleNames::from_array(
                ["bribe_claim", "minister_denial", "doubt", "context"].map(String::from),
            ),
        }
    }

    #[test]
    fn display_names_parse_beside_the_default_and_role_names() {
        let n = names();
        for l in Label::ALL {
            assert_eq!(n.parse(n.name(l)).unwrap(), l);
            assert_eq!(n.parse(l.as_str()).unwrap(), l);
            assert_eq!(n.parse(l.role()).unwrap(), l);
        }
        assert!(n.parse("bribe").is_err());
        assert!(LabelNames::default().parse("bribe_claim").is_err());
        assert!(LabelNames::default().is_default() && !n.is_default());
        assert!(n.check().is_ok());
        let mut twice = names();
        twice.labels.denial = "bribe_claim".into();
        assert!(twice.check().unwrap_err().contains("names two labels"));
    }

    #[test]
    fn the_models_names_win_unless_the_project_names_its_own() {
        let n = names();
        let d = LabelNames::default();
        assert_eq!(LabelNames::choose(None, None).unwrap(), d);
        assert_eq!(LabelNames::choose(Some(&n), None).unwrap(), n);
        assert_eq!(LabelNames::choose(None, Some(&n)).unwrap(), n);
        assert_eq!(LabelNames::choose(Some(&d), Some(&n)).unwrap(), n);
        assert_eq!(LabelNames::choose(Some(&n), Some(&n)).unwrap(), n);
        let mut other = names();
        other.labels.claim = "other_claim".into();
        let e = LabelNames::choose(Some(&other), Some(&n))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("bribe_claim")
                && e.contains("other_claim")
                && e.contains("--update-default"),
            "{e}"
        );
    }

    #[test]
    fn json_is_renamed_and_read_back() {
        let n = names();
        let line = r#"{"label":"us_denial","argmax":"russian_claim","text":"russian_claim","probs":{"russian_claim":0.5,"us_denial":0.25,"expert_skepticism":0.125,"context":0.125},"framing":{"first_stance":"expert_skepticism"},"top_error":["us_denial","context",3]}"#;
        let renamed = n.rename_json_line(line);
        assert_eq!(
            renamed,
            r#"{"label":"minister_denial","argmax":"bribe_claim","text":"russian_claim","probs":{"bribe_claim":0.5,"minister_denial":0.25,"doubt":0.125,"context":0.125},"framing":{"first_stance":"doubt"},"top_error":["minister_denial","context",3]}"#
        );
        let mut v: serde_json::Value = serde_json::from_str(&renamed).unwrap();
        n.canonical_json(&mut v);
        assert_eq!(serde_json::to_string(&v).unwrap(), line);
        assert_eq!(LabelNames::default().rename_json_line(line), line);
    }

    #[test]
    fn the_renaming_writer_rewrites_whole_lines_across_writes() {
        use std::io::Write;
        let n = names();
        let mut w = RenamingWriter::new(&n, Vec::new());
        w.write_all(b"{\"label\":\"us_de").unwrap();
        w.write_all(b"nial\"}\n{\"label\":\"context\"}\n{\"label\"")
            .unwrap();
        w.write_all(b":\"russian_claim\"}").unwrap();
        let out = String::from_utf8(w.finish().unwrap()).unwrap();
        assert_eq!(
            out,
            "{\"label\":\"minister_denial\"}\n{\"label\":\"context\"}\n{\"label\":\"bribe_claim\"}"
        );
    }
}
