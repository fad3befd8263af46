//! `claimtrack._native`: the Python extension module over the claimtrack library.
//!
//! This module owns the bridge only: Python values in, the library's own bytes out (the JSON
//! lines of `classify` and `score`, the rendered report), so that every result is the CLI's,
//! byte for byte. The Python package (`claimtrack/__init__.py`) turns the lines into dicts
//! and Arrow tables. Every call releases the GIL while the library works.
//!
//! Threads and fork: pipelines are built lazily, one per (model, settings, threads), each
//! with its own rayon pool (never rayon's global pool), and cached per process: after
//! `os.fork()` the child finds a cache made by another process id and builds fresh pipelines
//! (the parent's pool threads do not exist in the child). Parsed models are plain data and
//! are kept across forks. The caches are only touched while the GIL is held, so a fork (which
//! holds the GIL) never copies a locked cache.
//!
//! The console script runs the CLI itself: `src/main.rs` of the main crate is compiled in as
//! a module and [`cli_main`] calls its `run`.

use claimtrack::article::{
    expand_inputs, source_ids, IngestError, IngestOptions, MemoryReader, Source, Warning,
};
use claimtrack::framing::{FramingParams, Hedges};
use claimtrack::model::Model;
use claimtrack::partial::{self, PartInput};
use claimtrack::pipeline::{add_scores, Pipeline, Settings};
use claimtrack::report::{
    render_to, CsvTable, Format, Period, RenderOptions, ReportBuilder, ReportOptions,
};
use claimtrack::scored::ScoredArticle;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

#[allow(dead_code, clippy::all)]
#[path = "../../src/main.rs"]
mod cli;

/// How the shipped model is named in scored articles (as the CLI names it).
const BUILT_IN: &str = "built-in default model";

/// Most pipelines kept per process (each holds a copy of its model and a thread pool).
const MAX_PIPELINES: usize = 8;

/// A file's path and its article id.
type FileAndId = (String, String);

/// A model by content: `None` for the shipped one, else a hash and length of its bytes.
type ModelKey = Option<(u64, usize)>;

/// What a pipeline is built from.
#[derive(Clone, PartialEq, Eq, Hash)]
struct PipelineKey {
    model: ModelKey,
    model_name: String,
    decode: bool,
    seed: u64,
    bootstrap: usize,
    level_bits: u64,
    threads: usize,
}

/// Pipelines of this process (by process id: a forked child starts afresh).
struct Pipelines {
    pid: u32,
    map: HashMap<PipelineKey, Arc<Pipeline>>,
}

static MODELS: Mutex<Option<HashMap<ModelKey, Arc<Model>>>> = Mutex::new(None);
static PIPELINES: Mutex<Option<Pipelines>> = Mutex::new(None);

fn model_key(bytes: Option<&[u8]>) -> ModelKey {
    bytes.map(|b| {
        let mut h = DefaultHasher::new();
        b.hash(&mut h);
        (h.finish(), b.len())
    })
}

/// The parsed model (cached); the GIL is held.
fn load_model(bytes: Option<&[u8]>) -> PyResult<Arc<Model>> {
    let key = model_key(bytes);
    let mut models = MODELS.lock().map_err(|_| poisoned())?;
    let models = models.get_or_insert_with(HashMap::new);
    if let Some(m) = models.get(&key) {
        return Ok(m.clone());
    }
    let model = match bytes {
        None => Model::default_model().map_err(|e| {
            PyRuntimeError::new_err(format!("no usable built-in model: {}", error_text(&e)))
        })?,
        Some(b) => {
            let text = std::str::from_utf8(b)
                .map_err(|e| PyValueError::new_err(format!("the model is not UTF-8 JSON: {e}")))?;
            Model::from_json_str(text).map_err(|e| {
                PyValueError::new_err(format!("cannot load the model: {}", error_text(&e)))
            })?
        }
    };
    let model = Arc::new(model);
    models.insert(key, model.clone());
    Ok(model)
}

fn poisoned() -> PyErr {
    PyRuntimeError::new_err("claimtrack: an earlier call panicked; restart the process")
}

/// An error and its causes, joined with `: ` (each cause once).
fn error_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = String::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cur {
        let s = c.to_string();
        if !out.contains(&s) {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&s);
        }
        cur = c.source();
    }
    out
}

/// The framing settings of `seed`, `bootstrap` and `level` over the shipped ones, checked.
fn framing(seed: u64, bootstrap: usize, level: f64) -> PyResult<FramingParams> {
    let params = FramingParams {
        seed,
        bootstrap,
        level,
        ..FramingParams::shipped()
    };
    params.validate().map_err(|e| {
        PyValueError::new_err(format!(
            "{} (bootstrap: 10 to 100000; level: between 0 and 1)",
            error_text(&e)
        ))
    })?;
    Ok(params)
}

/// The pipeline for these settings, built on first use in this process; the GIL is held.
#[allow(clippy::too_many_arguments)]
fn pipeline(
    model: Option<&[u8]>,
    model_name: Option<String>,
    decode: bool,
    seed: u64,
    bootstrap: usize,
    level: f64,
    threads: usize,
) -> PyResult<Arc<Pipeline>> {
    if threads == 0 || threads > usize::from(claimtrack::limits::MAX_THREADS) {
        return Err(PyValueError::new_err(format!(
            "threads must be 1 to {} (got {threads})",
            claimtrack::limits::MAX_THREADS
        )));
    }
    let model_name = model_name.unwrap_or_else(|| match model {
        None => BUILT_IN.to_string(),
        Some(_) => "model bytes".to_string(),
    });
    let key = PipelineKey {
        model: model_key(model),
        model_name: model_name.clone(),
        decode,
        seed,
        bootstrap,
        level_bits: level.to_bits(),
        threads,
    };
    let pid = std::process::id();
    let mut cache = PIPELINES.lock().map_err(|_| poisoned())?;
    if cache.as_ref().is_some_and(|c| c.pid != pid) {
        // Made before a fork: its pools' threads live in the parent only. Never dropped
        // here (dropping would signal threads that do not exist in this process).
        if let Some(old) = cache.take() {
            std::mem::forget(old);
        }
    }
    let cache = cache.get_or_insert_with(|| Pipelines {
        pid,
        map: HashMap::new(),
    });
    if let Some(p) = cache.map.get(&key) {
        return Ok(p.clone());
    }
    let params = framing(seed, bootstrap, level)?;
    let model = (*load_model(model)?).clone();
    // The names the model records (a model trained in a claim project), else the default
    // story's.
    let names = model.names().cloned().unwrap_or_default();
    let settings = Settings {
        decode,
        framing: params,
        hedges: Hedges::default(),
        model_source: Some(model_name),
        threads: Some(threads),
        names,
    };
    let p = Arc::new(
        Pipeline::new(model, settings).map_err(|e| PyRuntimeError::new_err(error_text(&e)))?,
    );
    if cache.map.len() >= MAX_PIPELINES {
        cache.map.clear();
    }
    cache.map.insert(key, p.clone());
    Ok(p)
}

/// Labels sentences as `claimtrack classify` labels JSONL lines `{"text": ...}`: one JSON
/// line (without its newline) per text, in order. With `article`, the texts are the
/// sentences of one article, decoded together (as lines sharing an `"article"`).
#[pyfunction]
#[pyo3(signature = (texts, model=None, threads=1, article=false))]
fn classify_lines(
    py: Python<'_>,
    texts: Vec<String>,
    model: Option<Vec<u8>>,
    threads: usize,
    article: bool,
) -> PyResult<Vec<String>> {
    let p = pipeline(
        model.as_deref(),
        None,
        true,
        FramingParams::default().seed,
        FramingParams::default().bootstrap,
        FramingParams::default().level,
        threads,
    )?;
    Ok(py.allow_threads(|| {
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let preds = if article {
            p.classify_article(&refs)
        } else {
            p.classify_batch(&refs)
        };
        refs.iter()
            .zip(preds)
            .map(|(t, pr)| {
                let mut line = Vec::with_capacity(t.len() + 160);
                pr.write_json_line(t, &mut line)
                    .expect("writing to memory cannot fail");
                line.pop();
                String::from_utf8(line).expect("JSON lines are UTF-8")
            })
            .collect()
    }))
}

/// Scores the articles of files held in memory, `(name, id, bytes)` each (a `.jsonl` name
/// holds JSONL articles whose ids default to `<id>:<line>`; any other name one text article
/// with id `id`), as `claimtrack score` scores those files: the exact JSON lines (without
/// their newlines), in input order, and the ingestion warnings.
#[pyfunction]
#[pyo3(signature = (files, model=None, model_name=None, decode=true, seed=None, bootstrap=None, level=None, threads=1))]
#[allow(clippy::too_many_arguments)]
fn score_files(
    py: Python<'_>,
    files: Vec<(String, String, Vec<u8>)>,
    model: Option<Vec<u8>>,
    model_name: Option<String>,
    decode: bool,
    seed: Option<u64>,
    bootstrap: Option<usize>,
    level: Option<f64>,
    threads: usize,
) -> PyResult<(Vec<String>, Vec<String>)> {
    let d = FramingParams::default();
    let p = pipeline(
        model.as_deref(),
        model_name,
        decode,
        seed.unwrap_or(d.seed),
        bootstrap.unwrap_or(d.bootstrap),
        level.unwrap_or(d.level),
        threads,
    )?;
    let result: Result<(Vec<String>, Vec<Warning>), String> = py.allow_threads(|| {
        let mut lines = Vec::new();
        let mut warnings = Vec::new();
        let mut failure: Option<String> = None;
        let mut batches = p.score_batches(|batch: Vec<ScoredArticle>| {
            lines.extend(batch.iter().map(ScoredArticle::to_json_line));
            Ok::<(), claimtrack::pipeline::PipelineError>(())
        });
        let mut reader = MemoryReader::new();
        let opts = IngestOptions::default();
        for (name, id, bytes) in &files {
            let read = reader.read(name, id, bytes, &opts, &mut warnings, |a| {
                batches.push(a).map_err(|e| {
                    failure = Some(error_text(&e));
                    IngestError::Stopped
                })
            });
            if let Some(f) = failure.take() {
                return Err(f);
            }
            read.map_err(|e| error_text(&e))?;
        }
        batches.finish().map_err(|e| error_text(&e))?;
        Ok((lines, warnings))
    });
    let (lines, warnings) = result.map_err(PyValueError::new_err)?;
    Ok((lines, warnings.iter().map(Warning::to_string).collect()))
}

/// The article files `claimtrack` reads for the inputs `paths` (files as given, folders
/// walked in sorted order: `.txt`, `.md`, `.jsonl`), each with the id it gives the file's
/// article (its stem, or more of its path where stems collide; for JSONL, the prefix of
/// default ids), and the warnings of the walk.
#[pyfunction]
fn input_files(paths: Vec<String>) -> PyResult<(Vec<FileAndId>, Vec<String>)> {
    let mut warnings = Vec::new();
    let sources =
        expand_inputs(&paths, &mut warnings).map_err(|e| PyValueError::new_err(error_text(&e)))?;
    let ids = source_ids(&sources);
    let mut files = Vec::new();
    for (s, id) in sources.iter().zip(ids) {
        match s {
            Source::File(p) => files.push((p.display().to_string(), id)),
            Source::Stdin => {
                return Err(PyValueError::new_err(
                    "`-` (standard input) is not a file to distribute; give files or folders",
                ))
            }
        }
    }
    Ok((files, warnings.iter().map(Warning::to_string).collect()))
}

/// Framing settings from the optional bootstrap arguments, the formula's defaults elsewhere.
fn framing_or_defaults(
    seed: Option<u64>,
    bootstrap: Option<usize>,
    level: Option<f64>,
) -> PyResult<FramingParams> {
    let d = FramingParams::default();
    framing(
        seed.unwrap_or(d.seed),
        bootstrap.unwrap_or(d.bootstrap),
        level.unwrap_or(d.level),
    )
}

/// The CSV table and report options of the report arguments, checked as the CLI checks them.
fn report_options(
    format: Format,
    table: Option<String>,
    period: Option<String>,
    group_by: Option<String>,
    highlight: Vec<String>,
) -> PyResult<(CsvTable, ReportOptions)> {
    let table: CsvTable = match &table {
        Some(t) => {
            if format != Format::Csv {
                return Err(PyValueError::new_err(
                    "table chooses the table of a CSV report; give format=\"csv\"",
                ));
            }
            t.parse().map_err(PyValueError::new_err)?
        }
        None => CsvTable::default(),
    };
    let period: Option<Period> = match &period {
        Some(p) => Some(p.parse().map_err(PyValueError::new_err)?),
        None => None,
    };
    if highlight.len() > claimtrack::report::MAX_HIGHLIGHTS {
        return Err(PyValueError::new_err(format!(
            "at most {} outlets can be highlighted",
            claimtrack::report::MAX_HIGHLIGHTS
        )));
    }
    let options = ReportOptions {
        period,
        group_by,
        highlight,
        per_outlet: false,
    };
    Ok((table, options))
}

/// A report builder fed with scored-article JSONL parts (`(name, bytes)` each).
fn builder_of_scores(
    parts: &[(String, Vec<u8>)],
    params: FramingParams,
    max_strips: usize,
    options: ReportOptions,
) -> Result<ReportBuilder, String> {
    let mut builder = ReportBuilder::new(params, Hedges::default(), max_strips)
        .map_err(|e| error_text(&e))?
        .with_options(options);
    for (name, bytes) in parts {
        add_scores(&mut builder, bytes.as_slice(), name, |_| {}).map_err(|e| error_text(&e))?;
    }
    Ok(builder)
}

/// Merges scored-article JSONL parts (`(name, bytes)` each, the output of any number of
/// `score` calls or `claimtrack score` runs) into the report `claimtrack report
/// --from-scores` writes with the same options: its bytes, and the report's warnings.
#[pyfunction]
#[pyo3(signature = (parts, format="md", seed=None, bootstrap=None, level=None, max_strips=200, period=None, group_by=None, highlight=Vec::new(), per_article=false, table=None))]
#[allow(clippy::too_many_arguments)]
fn report_bytes(
    py: Python<'_>,
    parts: Vec<(String, Vec<u8>)>,
    format: &str,
    seed: Option<u64>,
    bootstrap: Option<usize>,
    level: Option<f64>,
    max_strips: usize,
    period: Option<String>,
    group_by: Option<String>,
    highlight: Vec<String>,
    per_article: bool,
    table: Option<String>,
) -> PyResult<(Vec<u8>, Vec<String>)> {
    let format: Format = format.parse().map_err(PyValueError::new_err)?;
    let params = framing_or_defaults(seed, bootstrap, level)?;
    let (table, options) = report_options(format, table, period, group_by, highlight)?;
    let result: Result<(Vec<u8>, Vec<String>), String> = py.allow_threads(|| {
        let builder = builder_of_scores(&parts, params, max_strips, options)?;
        if builder.is_empty() {
            return Err("no scored articles in the parts".to_string());
        }
        let warnings = builder.warnings();
        let report = builder.finish();
        let mut out = Vec::new();
        render_to(
            &report,
            format,
            RenderOptions { per_article, table },
            &mut out,
        )
        .map_err(|e| error_text(&e))?;
        Ok((out, warnings))
    });
    result.map_err(PyValueError::new_err)
}

/// Builds the mergeable partial aggregate of scored-article JSONL parts: the bytes `claimtrack
/// report --from-scores ... --partial-out FILE` writes with the same settings (docs/PARTIALS.md).
#[pyfunction]
#[pyo3(signature = (parts, seed=None, bootstrap=None, level=None, max_strips=200, group_by=None))]
fn aggregate_bytes(
    py: Python<'_>,
    parts: Vec<(String, Vec<u8>)>,
    seed: Option<u64>,
    bootstrap: Option<usize>,
    level: Option<f64>,
    max_strips: usize,
    group_by: Option<String>,
) -> PyResult<Vec<u8>> {
    let params = framing_or_defaults(seed, bootstrap, level)?;
    let options = ReportOptions {
        period: None,
        group_by,
        highlight: Vec::new(),
        per_outlet: false,
    };
    let result: Result<Vec<u8>, String> = py.allow_threads(|| {
        let builder = builder_of_scores(&parts, params, max_strips, options)?;
        let (out, _) = partial::write_builder(builder, Vec::new()).map_err(|e| error_text(&e))?;
        Ok(out)
    });
    result.map_err(PyValueError::new_err)
}

fn part_inputs(parts: Vec<(String, Vec<u8>)>) -> Result<Vec<PartInput>, String> {
    parts
        .into_iter()
        .map(|(name, bytes)| {
            PartInput::from_reader(name, std::io::Cursor::new(bytes)).map_err(|e| error_text(&e))
        })
        .collect()
}

/// Merges partial aggregates (`(name, bytes)` each) into one, as `claimtrack merge` does; with
/// `finish`, also computes the finished report of every outlet in them (`merge
/// --finish-outlets`: run it per outlet group).
#[pyfunction]
#[pyo3(signature = (parts, finish=false))]
fn merge_bytes(py: Python<'_>, parts: Vec<(String, Vec<u8>)>, finish: bool) -> PyResult<Vec<u8>> {
    let result: Result<Vec<u8>, String> = py.allow_threads(|| {
        let inputs = part_inputs(parts)?;
        let merged = if finish {
            partial::finish_outlets(inputs, Vec::new())
        } else {
            partial::merge(inputs, Vec::new())
        };
        merged.map(|(out, _)| out).map_err(|e| error_text(&e))
    });
    result.map_err(PyValueError::new_err)
}

/// The timeline rows (intervals included) of the `index`-th of `shares` shares of the periods
/// (a stable hash of the period's label) of partial aggregates (`(name, bytes)` each), as
/// `claimtrack merge --finish-periods INDEX/SHARES` writes them: a partial holding only those
/// rows. `period` (`week` or `month`) defaults to the one the report chooses from the dates.
#[pyfunction]
#[pyo3(signature = (parts, index=0, shares=1, period=None))]
fn finish_periods_bytes(
    py: Python<'_>,
    parts: Vec<(String, Vec<u8>)>,
    index: usize,
    shares: usize,
    period: Option<String>,
) -> PyResult<Vec<u8>> {
    if index >= shares {
        return Err(PyValueError::new_err(format!(
            "share {index} of {shares}: expected 0 <= index < shares (0 of 1: every period)"
        )));
    }
    let asked: Option<Period> = match &period {
        Some(p) => Some(p.parse().map_err(PyValueError::new_err)?),
        None => None,
    };
    // Two passes over the same bytes (the first fixes the period), shared, not copied.
    let shared: Vec<(String, Arc<[u8]>)> = parts
        .into_iter()
        .map(|(name, bytes)| (name, Arc::from(bytes)))
        .collect();
    let inputs = |shared: &[(String, Arc<[u8]>)]| -> Result<Vec<PartInput>, String> {
        shared
            .iter()
            .map(|(name, bytes)| {
                PartInput::from_reader(name.clone(), std::io::Cursor::new(Arc::clone(bytes)))
                    .map_err(|e| error_text(&e))
            })
            .collect()
    };
    let result: Result<Vec<u8>, String> = py.allow_threads(|| {
        let period =
            partial::timeline_period(inputs(&shared)?, asked).map_err(|e| error_text(&e))?;
        let select = move |label: &str| partial::outlet_bucket(label, shares) == index;
        partial::finish_periods(inputs(&shared)?, Vec::new(), period, &select)
            .map(|(out, _)| out)
            .map_err(|e| error_text(&e))
    });
    result.map_err(PyValueError::new_err)
}

/// The report of partial aggregates (`(name, bytes)` each), as `claimtrack report
/// --from-partials` renders it: its bytes and warnings.
#[pyfunction]
#[pyo3(signature = (parts, format="md", period=None, group_by=None, highlight=Vec::new(), per_article=false, table=None))]
#[allow(clippy::too_many_arguments)]
fn report_partials_bytes(
    py: Python<'_>,
    parts: Vec<(String, Vec<u8>)>,
    format: &str,
    period: Option<String>,
    group_by: Option<String>,
    highlight: Vec<String>,
    per_article: bool,
    table: Option<String>,
) -> PyResult<(Vec<u8>, Vec<String>)> {
    let format: Format = format.parse().map_err(PyValueError::new_err)?;
    let (table, options) = report_options(format, table, period, group_by, highlight)?;
    let result: Result<(Vec<u8>, Vec<String>), String> = py.allow_threads(|| {
        let built = partial::report(part_inputs(parts)?, options).map_err(|e| error_text(&e))?;
        if built.report.articles.is_empty() {
            return Err("the partials hold no articles".to_string());
        }
        let mut out = Vec::new();
        render_to(
            &built.report,
            format,
            RenderOptions { per_article, table },
            &mut out,
        )
        .map_err(|e| error_text(&e))?;
        Ok((out, built.warnings))
    });
    result.map_err(PyValueError::new_err)
}

/// Runs the `claimtrack` command line with `args` (program name first); gives the exit status.
#[pyfunction]
fn cli_main(py: Python<'_>, args: Vec<String>) -> u8 {
    py.allow_threads(|| cli::run(args))
}

/// The description scored articles give of the model (source, fingerprint, training size).
#[pyfunction]
#[pyo3(signature = (model=None, model_name=None, decode=true))]
fn model_info(
    model: Option<Vec<u8>>,
    model_name: Option<String>,
    decode: bool,
) -> PyResult<String> {
    let d = FramingParams::default();
    let p = pipeline(
        model.as_deref(),
        model_name,
        decode,
        d.seed,
        d.bootstrap,
        d.level,
        1,
    )?;
    Ok(p.model_info().unwrap_or_default().to_string())
}

/// The extension module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(classify_lines, m)?)?;
    m.add_function(wrap_pyfunction!(score_files, m)?)?;
    m.add_function(wrap_pyfunction!(input_files, m)?)?;
    m.add_function(wrap_pyfunction!(report_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(aggregate_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(merge_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(finish_periods_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(report_partials_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(cli_main, m)?)?;
    m.add_function(wrap_pyfunction!(model_info, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
