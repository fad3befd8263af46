//! The JSON rendering of a [`Report`]: serde's pretty form of the report, streamed to the
//! output. A claim project with display names of its own ([`LabelNames`]) gets its labels
//! renamed one part at a time (each outlet row and each article row is turned into a JSON
//! value, renamed and written before the next is read), so the document is never held in
//! memory as a whole, whatever the number of articles.

use super::Report;
use crate::label::LabelNames;
use serde::ser::{SerializeSeq, SerializeStruct};
use serde::{Serialize, Serializer};
use std::io;

/// Writes `report` as pretty JSON and a newline, labels under `report.names`.
pub(crate) fn render(report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
    if report.names.has_default_labels() {
        serde_json::to_writer_pretty(&mut *out, report)?;
    } else {
        serde_json::to_writer_pretty(
            &mut *out,
            &Renamed {
                report,
                names: &report.names,
            },
        )?;
    }
    out.write_all(b"\n")
}

/// A report serialized with its labels renamed: the same fields, in the same order, as the
/// derived serialization of [`Report`] (which the `preserve_order` JSON maps keep), each
/// part renamed with [`LabelNames::rename_json`].
struct Renamed<'a> {
    report: &'a Report,
    names: &'a LabelNames,
}

impl Renamed<'_> {
    /// One part as a renamed JSON value.
    fn value<S: Serializer, T: Serialize + ?Sized>(
        &self,
        part: &T,
    ) -> Result<serde_json::Value, S::Error> {
        let mut v = serde_json::to_value(part).map_err(serde::ser::Error::custom)?;
        self.names.rename_json(&mut v);
        Ok(v)
    }
}

/// A sequence (given by a function that starts its iterator) whose items are renamed one at
/// a time.
struct RenamedSeq<'a, F> {
    items: F,
    names: &'a LabelNames,
}

impl<F, I, T> Serialize for RenamedSeq<'_, F>
where
    F: Fn() -> I,
    I: Iterator<Item = T>,
    T: Serialize,
{
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        for item in (self.items)() {
            let mut v = serde_json::to_value(&item).map_err(serde::ser::Error::custom)?;
            self.names.rename_json(&mut v);
            seq.serialize_element(&v)?;
        }
        seq.end()
    }
}

impl Serialize for Renamed<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.report;
        let mut st = s.serialize_struct("Report", 8)?;
        st.serialize_field("tool", &r.tool)?;
        st.serialize_field("models", &r.models)?;
        st.serialize_field("settings", &self.value::<S, _>(&r.settings)?)?;
        st.serialize_field("summary", &self.value::<S, _>(&r.summary)?)?;
        st.serialize_field(
            "outlets",
            &RenamedSeq {
                items: || r.outlets.iter(),
                names: self.names,
            },
        )?;
        st.serialize_field("timeline", &self.value::<S, _>(&r.timeline)?)?;
        if let Some(groups) = &r.groups {
            st.serialize_field("groups", &self.value::<S, _>(groups)?)?;
        }
        st.serialize_field(
            "articles",
            &RenamedSeq {
                items: || r.articles.iter(),
                names: self.names,
            },
        )?;
        st.end()
    }
}
