//! Safe file output: every file the tool writes goes through this module.
//!
//! A regular file (or a name that does not exist yet) is written to a temporary sibling created
//! exclusively (`O_CREAT|O_EXCL|O_NOFOLLOW`, an unpredictable name `.claimtrack-PID-RANDOM.tmp`),
//! synced, and renamed over the destination: the destination is either complete or untouched.
//! A symbolic link is written through: its target is replaced atomically and the link stays.
//! A character device or FIFO (`/dev/null`, `/dev/stdout`, a named pipe) is written to directly,
//! never renamed over. A directory, block device or socket is refused. [`InputGuard`] refuses an
//! output that is one of the run's own inputs (same device and inode) before anything is read.
//!
//! Temporary files still open are listed in a process-wide registry so that a signal handler
//! (the binary installs one for SIGINT, SIGTERM and SIGHUP) can remove them with
//! [`remove_temp_files_for_exit`]; a later run in the same folder removes stale temporary
//! files whose process is gone.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// Prefix of every temporary file name (`.claimtrack-PID-RANDOM.tmp`).
pub const TEMP_PREFIX: &str = ".claimtrack-";
/// Suffix of every temporary file name.
pub const TEMP_SUFFIX: &str = ".tmp";

/// Temporary files being written, and whether the process is shutting down on a signal.
struct Registry {
    live: Vec<PathBuf>,
    closing: bool,
}

fn registry() -> &'static Mutex<Registry> {
    static R: OnceLock<Mutex<Registry>> = OnceLock::new();
    R.get_or_init(|| {
        Mutex::new(Registry {
            live: Vec::new(),
            closing: false,
        })
    })
}

fn lock_registry() -> std::sync::MutexGuard<'static, Registry> {
    registry().lock().unwrap_or_else(|e| e.into_inner())
}

/// Removes every temporary file this process is still writing and refuses new ones. Called by
/// the binary's signal handler just before it exits; safe to call more than once.
pub fn remove_temp_files_for_exit() {
    let mut r = lock_registry();
    r.closing = true;
    for p in r.live.drain(..) {
        let _ = fs::remove_file(p);
    }
}

fn unregister(tmp: &Path) {
    let mut r = lock_registry();
    if let Some(i) = r.live.iter().position(|p| p == tmp) {
        r.live.swap_remove(i);
    }
}

/// The identity of a file: device and inode (None where the platform has none).
fn file_identity(meta: &fs::Metadata) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some((meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

/// The files a run reads, by identity, so that no output can replace one of them.
#[derive(Debug, Default, Clone)]
pub struct InputGuard {
    files: HashMap<(u64, u64), String>,
}

impl InputGuard {
    /// An empty guard.
    pub fn new() -> InputGuard {
        InputGuard::default()
    }

    /// Records `path` (a file, or every file below a directory) as an input. Paths that do not
    /// exist are ignored here (reading them reports the error).
    pub fn add(&mut self, path: &Path) {
        let Ok(meta) = fs::metadata(path) else { return };
        if meta.is_dir() {
            let mut seen = HashSet::new();
            self.add_dir(path, &mut seen);
        } else if let Some(id) = file_identity(&meta) {
            self.files
                .entry(id)
                .or_insert_with(|| path.display().to_string());
        }
    }

    fn add_dir(&mut self, dir: &Path, seen: &mut HashSet<(u64, u64)>) {
        let Ok(meta) = fs::metadata(dir) else { return };
        if let Some(id) = file_identity(&meta) {
            if !seen.insert(id) {
                return;
            }
        }
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            match fs::metadata(&p) {
                Ok(m) if m.is_dir() => self.add_dir(&p, seen),
                Ok(m) => {
                    if let Some(id) = file_identity(&m) {
                        self.files
                            .entry(id)
                            .or_insert_with(|| p.display().to_string());
                    }
                }
                Err(_) => {}
            }
        }
    }

    /// Fails when `out` (followed through symbolic links) is one of the recorded inputs.
    pub fn check(&self, out: &Path) -> io::Result<()> {
        let Ok(meta) = fs::metadata(out) else {
            return Ok(());
        };
        if let Some(input) = file_identity(&meta).and_then(|id| self.files.get(&id)) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{} is also an input of this run ({input}); writing it would destroy that input; choose another output file",
                    out.display()
                ),
            ));
        }
        Ok(())
    }
}

/// Where the bytes of an output go.
#[derive(Debug)]
enum Destination {
    /// A regular file (or a new name): written through a temporary sibling and renamed here.
    Replace(PathBuf),
    /// A character device or FIFO: written to directly.
    Direct(PathBuf),
}

fn refuse(path: &Path, what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{} {what}", path.display()),
    )
}

/// Decides how `path` is written (see the module documentation).
fn destination(path: &Path) -> io::Result<Destination> {
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok(Destination::Replace(path.to_path_buf()))
        }
        Err(e) => return Err(e),
    };
    let (meta, target) = if meta.file_type().is_symlink() {
        match fs::metadata(path) {
            Ok(m) => (m, fs::canonicalize(path)?),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(refuse(
                path,
                "is a symbolic link to a missing file; remove the link or give another file name",
            )),
            Err(e) => return Err(e),
        }
    } else {
        (meta, path.to_path_buf())
    };
    let ft = meta.file_type();
    if ft.is_dir() {
        return Err(refuse(path, "is a directory; give a file name"));
    }
    if ft.is_file() {
        return Ok(Destination::Replace(target));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_char_device() || ft.is_fifo() {
            return Ok(Destination::Direct(path.to_path_buf()));
        }
        if ft.is_block_device() {
            return Err(refuse(
                path,
                "is a block device; claimtrack does not write to devices; give a file name",
            ));
        }
        if ft.is_socket() {
            return Err(refuse(path, "is a socket; give a file name"));
        }
    }
    Err(refuse(path, "is not a regular file; give a file name"))
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Removes, once per folder and process, temporary files left in `dir` by claimtrack runs that
/// are gone (killed without a chance to clean up). Only names of the form
/// `.claimtrack-PID-RANDOM.tmp` whose PID is not a running process are touched.
fn sweep_stale(dir: &Path) {
    static SWEPT: OnceLock<Mutex<HashSet<PathBuf>>> = OnceLock::new();
    let swept = SWEPT.get_or_init(|| Mutex::new(HashSet::new()));
    if !swept
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(dir.to_path_buf())
    {
        return;
    }
    // Without /proc we cannot tell a live writer from a dead one: leave everything.
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(stale_temp_pid) else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            if let Ok(m) = fs::symlink_metadata(e.path()) {
                if m.file_type().is_file() {
                    let _ = fs::remove_file(e.path());
                }
            }
        }
    }
}

/// The PID in a temporary file name written by [`AtomicFile`], if `name` is one.
fn stale_temp_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(TEMP_PREFIX)?.strip_suffix(TEMP_SUFFIX)?;
    let (pid, random) = rest.split_once('-')?;
    if random.is_empty() || !random.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    pid.parse().ok()
}

/// Writes `bytes` to `path` safely (see the module documentation): complete or not at all.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = AtomicFile::create(path)?;
    f.write_all(bytes)?;
    f.commit()
}

enum Sink {
    Temp {
        file: io::BufWriter<tempfile::NamedTempFile>,
        tmp: PathBuf,
        dest: PathBuf,
    },
    Direct(io::BufWriter<fs::File>),
}

/// A file written in a stream and published safely: [`AtomicFile::commit`] flushes, syncs and
/// renames the temporary file over the destination. Dropped without a commit (an error, a
/// panic), the temporary file is removed and the destination untouched. Devices and FIFOs are
/// written to directly.
pub struct AtomicFile {
    sink: Option<Sink>,
    path: PathBuf,
}

impl std::fmt::Debug for AtomicFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AtomicFile")
            .field("path", &self.path)
            .finish()
    }
}

impl AtomicFile {
    /// Starts writing `path` (its folder must exist).
    pub fn create(path: &Path) -> io::Result<AtomicFile> {
        let sink = match destination(path)? {
            Destination::Direct(p) => {
                let f = fs::OpenOptions::new().write(true).open(&p)?;
                Sink::Direct(io::BufWriter::new(f))
            }
            Destination::Replace(dest) => {
                let dir = parent_dir(&dest);
                sweep_stale(&dir);
                let mut reg = lock_registry();
                if reg.closing {
                    return Err(io::Error::new(
                        io::ErrorKind::Interrupted,
                        "interrupted; no new output is started",
                    ));
                }
                // tempfile creates with O_CREAT|O_EXCL (never through a symbolic link) and an
                // unpredictable name; the name has a fixed length, whatever the destination's.
                let file = tempfile::Builder::new()
                    .prefix(&format!("{TEMP_PREFIX}{}-", std::process::id()))
                    .suffix(TEMP_SUFFIX)
                    .rand_bytes(10)
                    .tempfile_in(&dir)?;
                let tmp = file.path().to_path_buf();
                reg.live.push(tmp.clone());
                Sink::Temp {
                    file: io::BufWriter::new(file),
                    tmp,
                    dest,
                }
            }
        };
        Ok(AtomicFile {
            sink: Some(sink),
            path: path.to_path_buf(),
        })
    }

    /// The path this file was asked for.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes, syncs and publishes the file.
    pub fn commit(mut self) -> io::Result<()> {
        match self.sink.take() {
            None => Ok(()),
            Some(Sink::Direct(mut f)) => f.flush(),
            Some(Sink::Temp { file, tmp, dest }) => {
                let result = (|| {
                    let file = file.into_inner().map_err(|e| e.into_error())?;
                    file.as_file().sync_all()?;
                    // The destination may have changed since `create`: never rename over
                    // anything but a regular file (or nothing).
                    if let Ok(m) = fs::symlink_metadata(&dest) {
                        if !m.file_type().is_file() {
                            return Err(refuse(&dest, "is no longer a regular file; not replaced"));
                        }
                    }
                    file.persist(&dest).map_err(|e| e.error)?;
                    Ok(())
                })();
                // On failure the NamedTempFile was dropped inside the closure (removing it).
                unregister(&tmp);
                result
            }
        }
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.sink.as_mut() {
            Some(Sink::Temp { file, .. }) => file.write(buf),
            Some(Sink::Direct(f)) => f.write(buf),
            None => Err(io::Error::other("file already committed")),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self.sink.as_mut() {
            Some(Sink::Temp { file, .. }) => file.flush(),
            Some(Sink::Direct(f)) => f.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if let Some(Sink::Temp { tmp, .. }) = self.sink.take() {
            // Dropping the NamedTempFile removes it; the registry entry goes too.
            unregister(&tmp);
        }
    }
}

/// Several files published together (`report --per-outlet`): each is staged with
/// [`AtomicFile`]; [`FileSet::commit`] publishes them all, and nothing is published when any
/// write failed. Two entries with the same destination are refused.
#[derive(Debug, Default)]
pub struct FileSet {
    files: Vec<AtomicFile>,
    names: HashSet<PathBuf>,
}

impl FileSet {
    /// An empty set.
    pub fn new() -> FileSet {
        FileSet::default()
    }

    /// Starts a file of the set; fails when the set already has one at `path`.
    pub fn create(&mut self, path: &Path) -> io::Result<&mut AtomicFile> {
        if !self.names.insert(path.to_path_buf()) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!(
                    "{} would be written twice in this run; refusing to overwrite it",
                    path.display()
                ),
            ));
        }
        self.files.push(AtomicFile::create(path)?);
        Ok(self.files.last_mut().expect("just pushed"))
    }

    /// Publishes every file (in the order they were created).
    pub fn commit(self) -> io::Result<()> {
        for f in self.files {
            let path = f.path().to_path_buf();
            f.commit()
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn writes_and_replaces_without_leftovers() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(names(dir.path()), ["a.txt"], "no temporary file remains");
    }

    #[test]
    fn streamed_file_appears_only_on_commit() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.jsonl");
        write_atomic(&p, b"old").unwrap();
        let mut f = AtomicFile::create(&p).unwrap();
        f.write_all(b"new ").unwrap();
        f.write_all(b"content").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"old", "not visible before commit");
        f.commit().unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"new content");
        let mut g = AtomicFile::create(&p).unwrap();
        g.write_all(b"half").unwrap();
        drop(g);
        assert_eq!(
            fs::read(&p).unwrap(),
            b"new content",
            "abandoned: no change"
        );
        assert_eq!(names(dir.path()), ["s.jsonl"], "no temporary file remains");
    }

    #[test]
    fn refuses_a_directory_and_missing_folder() {
        let dir = tempfile::tempdir().unwrap();
        assert!(write_atomic(dir.path(), b"x").is_err());
        let p = dir.path().join("no/such/dir/file");
        assert!(write_atomic(&p, b"x").is_err());
        assert!(!p.exists());
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_written_through_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target.txt");
        fs::write(&target, b"old").unwrap();
        let link = dir.path().join("link.txt");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read(&target).unwrap(), b"new");
        let dangling = dir.path().join("dangling.txt");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
        let e = write_atomic(&dangling, b"x").unwrap_err().to_string();
        assert!(e.contains("missing file"), "{e}");
        assert!(!dir.path().join("nowhere").exists());
    }

    #[cfg(unix)]
    #[test]
    fn devices_are_written_directly_never_replaced() {
        write_atomic(Path::new("/dev/null"), b"discarded").unwrap();
        let m = fs::symlink_metadata("/dev/null").unwrap();
        use std::os::unix::fs::FileTypeExt;
        assert!(
            m.file_type().is_char_device(),
            "/dev/null is still a device"
        );
        let e = write_atomic(Path::new("/dev/full"), b"x").unwrap_err();
        assert_eq!(e.raw_os_error(), Some(28), "ENOSPC from /dev/full: {e}");
    }

    #[test]
    fn temp_names_are_recognised_only_in_their_own_form() {
        assert_eq!(stale_temp_pid(".claimtrack-123-aB9xYz.tmp"), Some(123));
        assert_eq!(stale_temp_pid(".claimtrack-123-.tmp"), None);
        assert_eq!(stale_temp_pid(".claimtrack-x-ab.tmp"), None);
        assert_eq!(stale_temp_pid("claimtrack-1-ab.tmp"), None);
        assert_eq!(stale_temp_pid(".claimtrack-1-a/b.tmp"), None);
    }

    #[test]
    fn stale_temp_files_of_dead_processes_are_swept() {
        if !Path::new("/proc/self").exists() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        // PID 4194304 is above Linux's largest PID, so it never runs.
        fs::write(dir.path().join(".claimtrack-4194304-abc123.tmp"), b"x").unwrap();
        fs::write(dir.path().join(".claimtrack-keep.tmp"), b"x").unwrap();
        fs::write(dir.path().join("other.tmp"), b"x").unwrap();
        write_atomic(&dir.path().join("out.txt"), b"y").unwrap();
        assert_eq!(
            names(dir.path()),
            [".claimtrack-keep.tmp", "other.tmp", "out.txt"]
        );
    }

    #[test]
    fn input_guard_refuses_an_input_as_output() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("in");
        fs::create_dir(&sub).unwrap();
        fs::write(sub.join("a.txt"), b"A").unwrap();
        let mut g = InputGuard::new();
        g.add(&sub);
        let e = g.check(&sub.join("a.txt")).unwrap_err().to_string();
        assert!(e.contains("also an input"), "{e}");
        assert!(g.check(&dir.path().join("new.txt")).is_ok());
        #[cfg(unix)]
        {
            let link = dir.path().join("link");
            std::os::unix::fs::symlink(sub.join("a.txt"), &link).unwrap();
            assert!(g.check(&link).is_err(), "a link to an input is the input");
        }
    }

    #[test]
    fn file_set_publishes_all_or_nothing_and_refuses_twice() {
        let dir = tempfile::tempdir().unwrap();
        let mut set = FileSet::new();
        set.create(&dir.path().join("a"))
            .unwrap()
            .write_all(b"A")
            .unwrap();
        assert!(set.create(&dir.path().join("a")).is_err());
        set.create(&dir.path().join("b"))
            .unwrap()
            .write_all(b"B")
            .unwrap();
        assert!(names(dir.path()).iter().all(|n| n.starts_with(TEMP_PREFIX)));
        set.commit().unwrap();
        assert_eq!(names(dir.path()), ["a", "b"]);
        let mut set = FileSet::new();
        set.create(&dir.path().join("c"))
            .unwrap()
            .write_all(b"C")
            .unwrap();
        drop(set);
        assert_eq!(
            names(dir.path()),
            ["a", "b"],
            "an abandoned set publishes nothing"
        );
    }
}
