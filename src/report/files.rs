//! Report files on disk: one report written atomically to a path, or one report per outlet
//! into a folder, all or none. Nothing here renders (that is [`super::render_to`]) or prints.

use super::{outlet_file_stem, render_to, Format, RenderOptions, Report, ReportError};
use crate::atomic::{AtomicFile, FileSet, InputGuard};
use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

/// Error writing report files; each names the file or folder.
#[derive(Debug, thiserror::Error)]
pub enum ReportFileError {
    /// The output folder cannot be created.
    #[error("cannot create the folder {}: {source}", path.display())]
    Folder {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// Two outlets map to the same file name.
    #[error("outlets {first:?} and {second:?} would share the file {file}; rename one of them")]
    Clash {
        /// The outlet seen first.
        first: String,
        /// The outlet seen second.
        second: String,
        /// The shared file name.
        file: String,
    },
    /// The output is one of the run's inputs.
    #[error("{0}")]
    Input(io::Error),
    /// Creating, rendering into or publishing one file failed.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: ReportError,
    },
    /// Publishing the staged per-outlet files failed.
    #[error("cannot publish the per-outlet reports: {0}")]
    Publish(io::Error),
}

fn write_error(path: &Path) -> impl FnOnce(io::Error) -> ReportFileError + '_ {
    move |e| ReportFileError::Write {
        path: path.to_path_buf(),
        source: ReportError::Io(e),
    }
}

/// Renders `report` straight into `path`, atomically: nothing appears there on failure, and
/// an existing file is replaced only when the whole report was written.
pub fn write_report(
    path: &Path,
    report: &Report,
    format: Format,
    opts: RenderOptions,
) -> Result<(), ReportFileError> {
    let mut file = AtomicFile::create(path).map_err(write_error(path))?;
    render_to(report, format, opts, &mut file).map_err(|source| ReportFileError::Write {
        path: path.to_path_buf(),
        source,
    })?;
    file.commit().map_err(write_error(path))
}

/// Writes one report per outlet into `dir` (created if missing; file names from
/// [`outlet_file_stem`]), all or none: every file is staged first and published only when all
/// were written. Two outlets whose file names would collide, or a file that is one of the
/// run's inputs (`guard`), stop the run before anything is published. Returns the number of
/// files written.
pub fn write_per_outlet(
    dir: &Path,
    report: &Report,
    format: Format,
    opts: RenderOptions,
    guard: &InputGuard,
) -> Result<usize, ReportFileError> {
    std::fs::create_dir_all(dir).map_err(|source| ReportFileError::Folder {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut set = FileSet::new();
    let mut owners: HashMap<String, &str> = HashMap::new();
    for o in &report.outlets {
        let stem = outlet_file_stem(&o.outlet);
        if let Some(first) = owners.insert(stem.clone(), &o.outlet) {
            return Err(ReportFileError::Clash {
                first: first.to_string(),
                second: o.outlet.to_string(),
                file: format!("{stem}.{}", format.extension()),
            });
        }
        let path = dir.join(format!("{stem}.{}", format.extension()));
        guard.check(&path).map_err(ReportFileError::Input)?;
        let file = set.create(&path).map_err(write_error(&path))?;
        render_to(&report.for_outlet(&o.outlet), format, opts, file).map_err(|source| {
            ReportFileError::Write {
                path: path.clone(),
                source,
            }
        })?;
    }
    set.commit().map_err(ReportFileError::Publish)?;
    Ok(report.outlets.len())
}
