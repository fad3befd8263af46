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
}
