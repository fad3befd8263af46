//! `claimtrack evaluate --framing REFERENCE`: reads the reference and the settings, runs the
//! validation (library: `claimtrack::evaluate::framing`) and prints it.

use anyhow::{Context, Result};
use claimtrack::evaluate::framing::{validate_framing, FramingEvalSettings};
use claimtrack::framing::validate::{FramingReference, Validation};
use claimtrack::framing::FramingParams;
use claimtrack::gold::Example;
use claimtrack::label::LabelNames;
use claimtrack::model::ModelParams;
use std::io::Write;
use std::path::Path;

/// What `evaluate --framing` needs besides the gold examples.
pub struct FramingEvalArgs<'a> {
    /// The reference file.
    pub reference: &'a Path,
    /// Gold labels instead of cross-fitted predictions.
    pub oracle: bool,
    /// Framing settings file (JSON object of `FramingParams` fields), if any.
    pub params: Option<&'a Path>,
    /// Hedge list replacing the built-in one, if any.
    pub hedges: Option<&'a Path>,
    /// Outlet folds for cross-fitting (`None`: leave one outlet out).
    pub folds: Option<usize>,
    /// Calibrate each fold's probabilities (a temperature fitted inside its training part),
    /// as `train` does for the shipped model.
    pub calibrate: bool,
    /// Worst-ranked articles to list.
    pub worst: usize,
    /// JSON output.
    pub json: bool,
    /// What the output calls the labels.
    pub names: &'a LabelNames,
}

/// Loads framing settings from a JSON file (fields not given keep the formula's defaults);
/// without a file, the shipped settings (data/framing.json).
pub fn load_framing_params(path: Option<&Path>) -> Result<FramingParams> {
    let params = match path {
        None => FramingParams::shipped(),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read the framing settings {}", p.display()))?;
            serde_json::from_str(&text).with_context(|| {
                format!(
                    "{}: not framing settings (a JSON object of the fields in docs/FRAMING.md)",
                    p.display()
                )
            })?
        }
    };
    params.validate().context("invalid framing settings")?;
    Ok(params)
}

/// Runs the validation and prints it.
pub fn run(examples: &[Example], model: &ModelParams, a: FramingEvalArgs) -> Result<()> {
    let text = std::fs::read_to_string(a.reference).with_context(|| {
        format!(
            "cannot read the framing reference {}",
            a.reference.display()
        )
    })?;
    let reference = FramingReference::parse(&text, &a.reference.display().to_string())?;
    let params = load_framing_params(a.params)?;
    let hedges = super::score::load_hedges(a.hedges)?;
    let settings = FramingEvalSettings {
        oracle: a.oracle,
        folds: a.folds,
        calibrate: a.calibrate,
        worst: a.worst,
        ..FramingEvalSettings::default()
    };
    let bar = super::progress::bar(a.oracle, "outlet folds");
    let on = super::progress::observer(&bar);
    let v = validate_framing(
        examples,
        model,
        &reference,
        &params,
        &hedges,
        &settings,
        Some(&on),
    )?;
    bar.finish_and_clear();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if a.json && !a.names.has_default_labels() {
        let mut value = serde_json::to_value(&v)?;
        a.names.rename_json(&mut value);
        serde_json::to_writer_pretty(&mut out, &value)?;
        writeln!(out)?;
    } else if a.json {
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "framing validation against {} ({} reference articles, {} scored)",
            a.reference.display(),
            reference.entries.len(),
            v.scored.len()
        )?;
        writeln!(out, "labels: {}", v.labels)?;
        if !v.missing.is_empty() {
            writeln!(
                out,
                "not in the data (skipped): {} article(s), e.g. {}",
                v.missing.len(),
                v.missing
                    .iter()
                    .take(3)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
        }
        writeln!(out)?;
        writeln!(
            out,
            "{:<12} {:>5}  {:<22} {:<22} {:>5}  | {:>7}  {:<22} {:>5}",
            "outlets",
            "n",
            "Spearman [90% CI]",
            "Kendall tau-b [90%]",
            "MAE",
            "outlets",
            "Spearman [90% CI]",
            "MAE"
        )?;
        for s in &v.sets {
            write_set(&mut out, s)?;
        }
        writeln!(out)?;
        writeln!(
            out,
            "worst-ranked articles (ours vs people's score; the sentences that moved ours most):"
        )?;
        for w in &v.worst {
            writeln!(
                out,
                "  {}  {}  ours {:+.2}  people {:+.2}",
                w.article, w.outlet, w.score, w.reference
            )?;
            for e in &w.evidence {
                let t: String = e.text.chars().take(110).collect();
                writeln!(
                    out,
                    "      #{} {} {:+.3}  {}",
                    e.index,
                    a.names.name(e.label),
                    e.influence,
                    super::common::terminal_safe(&t)
                )?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

fn fmt_ci(v: Option<f64>, ci: Option<(f64, f64)>) -> String {
    match (v, ci) {
        (Some(v), Some((lo, hi))) => format!("{v:.3} [{lo:.3}, {hi:.3}]"),
        (Some(v), None) => format!("{v:.3}"),
        _ => "n/a".to_string(),
    }
}

fn write_set(out: &mut dyn Write, s: &Validation) -> Result<()> {
    let mae = |m: Option<f64>| m.map_or("n/a".to_string(), |m| format!("{m:.3}"));
    writeln!(
        out,
        "{:<12} {:>5}  {:<22} {:<22} {:>5}  | {:>7}  {:<22} {:>5}",
        s.set,
        s.articles.n,
        fmt_ci(s.articles.spearman, s.articles.spearman_interval),
        fmt_ci(s.articles.kendall, s.articles.kendall_interval),
        mae(s.articles.mae),
        s.outlets.n,
        fmt_ci(s.outlets.spearman, s.outlets.spearman_interval),
        mae(s.outlets.mae),
    )?;
    Ok(())
}
