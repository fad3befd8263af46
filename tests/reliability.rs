//! Output safety and resource limits, driven through the real binary: how files are written
//! (temporary files created exclusively, devices and FIFOs written directly, symbolic links
//! written through, inputs never overwritten, nothing left behind on a signal), how inputs are
//! walked (loops, FIFOs, duplicates), and the limits on every size a user controls.
//! docs/RELIABILITY.md lists each case with its outcome.

use assert_cmd::Command;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

fn bin() -> Command {
    let mut c = Command::cargo_bin("claimtrack").unwrap();
    c.timeout(Duration::from_secs(300));
    c
}

fn run(args: &[&str]) -> Output {
    bin().args(args).write_stdin(Vec::new()).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn assert_clean_exit(o: &Output) {
    let e = stderr(o);
    assert!(!e.contains("panicked"), "panicked:\n{e}");
    assert!(
        o.status.code().is_some(),
        "killed by a signal: {:?}\n{e}",
        o.status
    );
}

fn assert_ok(o: &Output) -> String {
    assert_clean_exit(o);
    assert!(o.status.success(), "expected success:\n{}", stderr(o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn assert_fails_naming(o: &Output, needle: &str) {
    assert_clean_exit(o);
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(2), "expected exit 2:\n{e}");
    assert!(
        e.contains("error: ") && e.contains(needle),
        "error does not name {needle:?}:\n{e}"
    );
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn temp_files(dir: &Path) -> Vec<String> {
    entries(dir)
        .into_iter()
        .filter(|n| n.starts_with(".claimtrack-") || n.contains(".tmp"))
        .collect()
}

fn article(outlet: &str, body: &str) -> String {
    format!("---\noutlet: {outlet}\ndate: 2024-01-25\n---\n{body}\n")
}

const BODY: &str = "Putin has signalled through intermediaries that he is open to a ceasefire. \
US officials denied receiving any message. Analysts doubt the overture is sincere.";

/// A folder with `n` small articles from `outlets` outlets.
fn corpus(dir: &Path, n: usize, outlets: usize) -> PathBuf {
    let c = dir.join("corpus");
    fs::create_dir_all(&c).unwrap();
    for i in 0..n {
        fs::write(
            c.join(format!("a{i:05}.txt")),
            article(&format!("Outlet {}", i % outlets), BODY),
        )
        .unwrap();
    }
    c
}

fn seeds() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds")
}

// ------------------------------------------------------------------ 1. temporary files

#[cfg(target_os = "linux")]
#[test]
fn planted_symlinks_at_old_style_temp_names_are_never_followed() {
    let d = tempfile::tempdir().unwrap();
    let victim = d.path().join("victim.txt");
    fs::write(&victim, "precious").unwrap();
    // The old writer used `.NAME.tmpPID`; plant links for the next PIDs the kernel hands out.
    let last: u32 = fs::read_to_string("/proc/sys/kernel/ns_last_pid")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(1);
    for pid in last..last + 300 {
        std::os::unix::fs::symlink(&victim, d.path().join(format!(".out.md.tmp{pid}"))).unwrap();
    }
    let out = d.path().join("out.md");
    assert_ok(&run(&["report", "--quiet", "--out", p(&out), p(&seeds())]));
    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
    assert!(
        fs::read_to_string(&out).unwrap().contains("# "),
        "report written"
    );
    assert!(
        temp_files(d.path())
            .iter()
            .all(|n| n.starts_with(".out.md.tmp")),
        "no new temp file"
    );
}

#[test]
fn a_legal_long_output_name_works() {
    let d = tempfile::tempdir().unwrap();
    let name = format!("{}.md", "r".repeat(250));
    let out = d.path().join(&name);
    assert_ok(&run(&["report", "--quiet", "--out", p(&out), p(&seeds())]));
    assert_eq!(entries(d.path()), [name]);
}

#[test]
fn stale_temp_files_of_dead_runs_are_removed_by_the_next_run() {
    let d = tempfile::tempdir().unwrap();
    // 4194304 is above Linux's largest PID: that run is certainly gone.
    let stale = d.path().join(".claimtrack-4194304-a1b2c3d4e5.tmp");
    fs::write(&stale, "half a report").unwrap();
    let foreign = d.path().join(".someone-else.tmp");
    fs::write(&foreign, "not ours").unwrap();
    let out = d.path().join("out.json");
    assert_ok(&run(&[
        "report",
        "--quiet",
        "--format",
        "json",
        "--out",
        p(&out),
        p(&seeds()),
    ]));
    if Path::new("/proc/self").exists() {
        assert!(!stale.exists(), "stale temp file swept");
    }
    assert!(foreign.exists(), "other programs' files are never touched");
}

// ------------------------------------------------------------------ 2. special files and links

#[cfg(unix)]
#[test]
fn character_devices_are_written_to_never_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let o = run(&["report", "--quiet", "--out", "/dev/null", p(&seeds())]);
    assert_ok(&o);
    assert!(fs::symlink_metadata("/dev/null")
        .unwrap()
        .file_type()
        .is_char_device());
    let o = run(&["score", "--quiet", "--out", "/dev/null", p(&seeds())]);
    assert_ok(&o);
    assert!(fs::symlink_metadata("/dev/null")
        .unwrap()
        .file_type()
        .is_char_device());
    // A device that fails: the error names it (a full disk says which file).
    let o = run(&["score", "--quiet", "--out", "/dev/full", p(&seeds())]);
    assert_fails_naming(&o, "/dev/full");
    assert!(fs::symlink_metadata("/dev/full")
        .unwrap()
        .file_type()
        .is_char_device());
}

#[cfg(unix)]
#[test]
fn a_fifo_output_is_written_through_and_stays_a_fifo() {
    use std::os::unix::fs::FileTypeExt;
    let d = tempfile::tempdir().unwrap();
    let fifo = d.path().join("pipe");
    if !std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
    {
        eprintln!("SKIPPED: mkfifo not available");
        return;
    }
    let reader_path = fifo.clone();
    let reader = std::thread::spawn(move || fs::read_to_string(reader_path).unwrap());
    assert_ok(&run(&[
        "report",
        "--quiet",
        "--format",
        "csv",
        "--out",
        p(&fifo),
        p(&seeds()),
    ]));
    let got = reader.join().unwrap();
    assert!(got.starts_with("rank,outlet,score"), "{got}");
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    assert_eq!(entries(d.path()), ["pipe"]);
}

#[cfg(unix)]
#[test]
fn a_symlink_output_is_written_through_and_kept() {
    let d = tempfile::tempdir().unwrap();
    let real = d.path().join("real");
    fs::create_dir(&real).unwrap();
    let target = real.join("report.md");
    fs::write(&target, "old").unwrap();
    let link = d.path().join("link.md");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    assert_ok(&run(&["report", "--quiet", "--out", p(&link), p(&seeds())]));
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "link kept"
    );
    assert!(
        fs::read_to_string(&target).unwrap().starts_with("# "),
        "target replaced"
    );
    assert_eq!(
        entries(&real),
        ["report.md"],
        "temp file was beside the target and is gone"
    );
    // A dangling link is refused: nothing is created at its target.
    let dangling = d.path().join("dangling.md");
    std::os::unix::fs::symlink(d.path().join("nowhere.md"), &dangling).unwrap();
    let o = run(&["report", "--quiet", "--out", p(&dangling), p(&seeds())]);
    assert_fails_naming(&o, "dangling.md");
    assert!(!d.path().join("nowhere.md").exists());
}

// ------------------------------------------------------------------ 3. input = output

#[test]
fn an_input_is_never_an_output() {
    let d = tempfile::tempdir().unwrap();
    let c = corpus(d.path(), 3, 2);
    let first = c.join("a00000.txt");
    let before = fs::read(&first).unwrap();
    for args in [
        vec!["report", "--quiet", "--out", p(&first), p(&c)],
        vec!["score", "--quiet", "--out", p(&first), p(&c)],
    ] {
        let o = run(&args);
        assert_fails_naming(&o, "also an input");
        assert_eq!(fs::read(&first).unwrap(), before, "{args:?} kept the input");
    }
    // Scores read with --from-scores are inputs too, also through a link.
    let scores = d.path().join("s.jsonl");
    assert_ok(&run(&["score", "--quiet", "--out", p(&scores), p(&c)]));
    let scores_before = fs::read(&scores).unwrap();
    let o = run(&[
        "report",
        "--quiet",
        "--out",
        p(&scores),
        "--from-scores",
        p(&scores),
    ]);
    assert_fails_naming(&o, "also an input");
    #[cfg(unix)]
    {
        let link = d.path().join("link.jsonl");
        std::os::unix::fs::symlink(&scores, &link).unwrap();
        let o = run(&[
            "report",
            "--quiet",
            "--out",
            p(&link),
            "--from-scores",
            p(&scores),
        ]);
        assert_fails_naming(&o, "also an input");
    }
    assert_eq!(fs::read(&scores).unwrap(), scores_before);
}

#[test]
fn train_never_overwrites_its_gold_data() {
    let d = tempfile::tempdir().unwrap();
    let gold = d.path().join("g.jsonl");
    let mut lines = String::new();
    for (i, (label, text)) in [
        ("russian_claim", "Putin is open to talks, sources say."),
        ("us_denial", "US officials denied receiving any message."),
        (
            "expert_skepticism",
            "Analysts doubt the overture is sincere.",
        ),
        ("context", "Fighting continued in the east."),
    ]
    .iter()
    .enumerate()
    {
        lines.push_str(&format!(
            "{{\"article\":\"a{i}\",\"outlet\":\"O\",\"index\":0,\"text\":\"{text}\",\"label\":\"{label}\"}}\n"
        ));
    }
    fs::write(&gold, &lines).unwrap();
    let o = run(&["train", "--data", p(&gold), "--out", p(&gold)]);
    assert_fails_naming(&o, "also an input");
    assert_eq!(fs::read_to_string(&gold).unwrap(), lines);
    // The same when the gold is a folder holding the output path.
    let o = run(&["train", "--data", p(d.path()), "--out", p(&gold)]);
    assert_fails_naming(&o, "also an input");
    assert_eq!(fs::read_to_string(&gold).unwrap(), lines);
    let o = run(&["evaluate", "--data", p(&gold), "--dump-examples", p(&gold)]);
    assert_fails_naming(&o, "also an input");
    assert_eq!(fs::read_to_string(&gold).unwrap(), lines);
}

// ------------------------------------------------------------------ 4. signals

#[cfg(unix)]
#[test]
fn a_signal_mid_run_leaves_no_temp_file_and_the_old_output() {
    let d = tempfile::tempdir().unwrap();
    let c = corpus(d.path(), 3000, 40);
    let out_dir = d.path().join("out");
    fs::create_dir(&out_dir).unwrap();
    // What an uninterrupted run writes: an interrupted one leaves either this or the old file.
    let full: Vec<(&str, Vec<u8>)> = ["score", "report"]
        .into_iter()
        .map(|cmd| {
            let o = run(&[cmd, "--quiet", "--threads", "1", p(&c)]);
            (cmd, assert_ok(&o).into_bytes())
        })
        .collect();
    let mut interrupted = 0;
    for (sig, name) in [(15, "TERM"), (2, "INT"), (1, "HUP")] {
        for (cmd, complete) in &full {
            let cmd = *cmd;
            let out = out_dir.join(format!("{cmd}-{name}.out"));
            fs::write(&out, "previous").unwrap();
            let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("claimtrack"))
                .args([cmd, "--quiet", "--threads", "1", "--out", p(&out), p(&c)])
                .stdin(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            // Wait until the run has its temporary file open (it starts writing at once for
            // score, after scoring for report), then signal it.
            let mut seen = false;
            for _ in 0..3000 {
                if !temp_files(&out_dir).is_empty() {
                    seen = true;
                    break;
                }
                if child.try_wait().unwrap().is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            if child.try_wait().unwrap().is_none() {
                let status = std::process::Command::new("kill")
                    .args([format!("-{name}"), child.id().to_string()])
                    .status()
                    .unwrap();
                assert!(status.success());
            }
            let exit = child.wait().unwrap();
            let now = fs::read(&out).unwrap();
            assert!(
                temp_files(&out_dir).is_empty(),
                "{cmd} SIG{name} left {:?}",
                temp_files(&out_dir)
            );
            if now == b"previous" {
                if seen {
                    assert_eq!(exit.code(), Some(128 + sig), "{cmd} on SIG{name}: {exit:?}");
                }
                interrupted += 1;
            } else {
                assert!(
                    now == *complete,
                    "{cmd} SIG{name}: a partial output was published"
                );
            }
        }
    }
    assert!(
        interrupted >= 3,
        "the signal arrived mid-write in only {interrupted} of 6 runs"
    );
}

// ------------------------------------------------------------------ 5. per-outlet files

#[test]
fn look_alike_outlets_are_one_outlet_and_files_never_collide() {
    let d = tempfile::tempdir().unwrap();
    let c = d.path().join("c");
    fs::create_dir(&c).unwrap();
    fs::write(c.join("a.txt"), article("Reuters", BODY)).unwrap();
    fs::write(c.join("b.txt"), article("Reu\u{200B}ters", BODY)).unwrap();
    fs::write(c.join("c.txt"), article("\u{202E}Reuters\u{202C}", BODY)).unwrap();
    fs::write(c.join("d.txt"), article("A/B", BODY)).unwrap();
    fs::write(c.join("e.txt"), article("A B", BODY)).unwrap();
    let dir = d.path().join("per");
    let o = run(&["report", "--format", "json", "--per-outlet", p(&dir), p(&c)]);
    assert_ok(&o);
    assert!(
        stderr(&o).contains("invisible"),
        "look-alikes warned:\n{}",
        stderr(&o)
    );
    let files = entries(&dir);
    assert_eq!(files.len(), 3, "Reuters once, A/B and A B apart: {files:?}");
    assert!(
        stderr(&o).contains("wrote 3 per-outlet reports"),
        "{}",
        stderr(&o)
    );
    let reuters: Vec<_> = files.iter().filter(|f| f.starts_with("reuters-")).collect();
    assert_eq!(reuters.len(), 1);
    let json = fs::read_to_string(dir.join(reuters[0])).unwrap();
    assert!(
        json.contains("\"articles\": 3") || json.matches("\"id\"").count() >= 3,
        "{json}"
    );
}

#[cfg(unix)]
#[test]
fn per_outlet_reports_are_all_or_nothing() {
    let d = tempfile::tempdir().unwrap();
    let c = corpus(d.path(), 6, 3);
    let dir = d.path().join("per");
    assert_ok(&run(&["report", "--quiet", "--per-outlet", p(&dir), p(&c)]));
    let names = entries(&dir);
    assert_eq!(names.len(), 3);
    // Make one destination unwritable (a directory in its place): the run fails and publishes
    // none of the new files.
    let fresh = d.path().join("fresh");
    fs::create_dir(&fresh).unwrap();
    fs::create_dir(fresh.join(&names[1])).unwrap();
    let o = run(&["report", "--quiet", "--per-outlet", p(&fresh), p(&c)]);
    assert_fails_naming(&o, &names[1]);
    assert_eq!(
        entries(&fresh),
        [names[1].clone()],
        "nothing published, no temp file"
    );
}

// ------------------------------------------------------------------ 6. sizes and aborts

#[test]
fn bootstrap_and_threads_are_bounded_with_clear_errors() {
    for n in ["18446744073709551615", "1000000000", "100001"] {
        let o = run(&["report", "--quiet", "--bootstrap", n, p(&seeds())]);
        assert_fails_naming(&o, "--bootstrap");
    }
    let o = run(&["--threads", "2000", "sentences", p(&seeds())]);
    assert_clean_exit(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("2000"), "{}", stderr(&o));
    assert_ok(&run(&["--threads", "256", "sentences", p(&seeds())]));
}

#[test]
fn an_article_over_the_size_limit_is_an_error_naming_it() {
    let d = tempfile::tempdir().unwrap();
    let big = d.path().join("big.txt");
    let mut text = b"---\noutlet: X\n---\n".to_vec();
    text.resize(64 * 1024 * 1024 + 100, b'a');
    fs::write(&big, &text).unwrap();
    let o = run(&["sentences", p(&big)]);
    assert_fails_naming(&o, "big.txt");
    assert!(stderr(&o).contains("limit"), "{}", stderr(&o));
}

#[cfg(unix)]
#[test]
fn endless_inputs_end_with_an_error() {
    let d = tempfile::tempdir().unwrap();
    let zero = d.path().join("zero.jsonl");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    // Given directly (not inside a folder), a device is read, within the limits.
    assert_fails_naming(&run(&["sentences", p(&zero)]), "zero.jsonl");
    let zt = d.path().join("zero.txt");
    std::os::unix::fs::symlink("/dev/zero", &zt).unwrap();
    assert_fails_naming(&run(&["sentences", p(&zt)]), "zero.txt");
    assert_fails_naming(
        &run(&["report", "--quiet", "--from-scores", "/dev/zero"]),
        "/dev/zero",
    );
}

// ------------------------------------------------------------------ 7-8. walking inputs

#[cfg(unix)]
#[test]
fn fifos_in_folders_are_skipped_and_loops_read_once() {
    let d = tempfile::tempdir().unwrap();
    let c = d.path().join("c");
    fs::create_dir_all(c.join("sub")).unwrap();
    fs::write(c.join("sub/one.txt"), article("O", BODY)).unwrap();
    std::os::unix::fs::symlink(&c, c.join("sub/loop")).unwrap();
    std::os::unix::fs::symlink(c.join("sub"), c.join("sub/loop2")).unwrap();
    std::os::unix::fs::symlink(c.join("sub/one.txt"), c.join("again.txt")).unwrap();
    let fifo = c.join("blocker.txt");
    let have_fifo = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    let o = bin()
        .args(["sentences", p(&c)])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let out = assert_ok(&o);
    let e = stderr(&o);
    let ids: std::collections::BTreeSet<String> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["article"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(ids.len(), 1, "one article, read once: {ids:?}");
    assert_eq!(out.lines().count(), 3, "its three sentences once");
    assert!(e.contains("read once") && e.contains("already read"), "{e}");
    if have_fifo {
        assert!(
            e.contains("blocker.txt") && e.contains("not a regular file"),
            "{e}"
        );
    }
}

#[test]
fn overlong_paths_and_unreadable_folders_are_errors() {
    let long = format!("/tmp/{}/a.txt", "x".repeat(5000));
    let o = run(&["sentences", &long]);
    assert_clean_exit(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("xxxx"), "{}", stderr(&o));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let sub = d.path().join("locked");
        fs::create_dir(&sub).unwrap();
        fs::write(sub.join("a.txt"), article("O", BODY)).unwrap();
        fs::set_permissions(&sub, fs::Permissions::from_mode(0o000)).unwrap();
        if fs::read_dir(&sub).is_ok() {
            eprintln!("SKIPPED: running as root, permissions do not apply");
        } else {
            assert_fails_naming(&run(&["sentences", p(d.path())]), "locked");
        }
        fs::set_permissions(&sub, fs::Permissions::from_mode(0o755)).unwrap();
    }
}

// ------------------------------------------------------------------ 9. ids

#[test]
fn same_file_names_in_different_folders_are_different_articles() {
    let d = tempfile::tempdir().unwrap();
    for (sub, outlet) in [("reuters", "Reuters"), ("bbc", "BBC")] {
        fs::create_dir(d.path().join(sub)).unwrap();
        fs::write(
            d.path().join(sub).join("article1.txt"),
            article(outlet, BODY),
        )
        .unwrap();
    }
    let o = run(&["score", "--quiet", p(d.path())]);
    let out = assert_ok(&o);
    let ids: Vec<String> = out
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1], "distinct ids: {ids:?}");
    assert!(
        ids[0].ends_with("bbc/article1") && ids[1].ends_with("reuters/article1"),
        "{ids:?}"
    );
    let o = run(&["report", "--quiet", "--format", "json", p(d.path())]);
    let json = assert_ok(&o);
    assert!(json.contains("\"BBC\"") && json.contains("\"Reuters\""));
}

#[test]
fn repeated_ids_and_keys_in_jsonl_name_their_lines() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("a.jsonl");
    fs::write(&f, "{\"id\":\"x\",\"outlet\":\"O\",\"text\":\"One.\"}\n{\"id\":\"x\",\"outlet\":\"O\",\"text\":\"Two.\"}\n").unwrap();
    let o = run(&["score", "--quiet", p(&f)]);
    assert_fails_naming(&o, "a.jsonl:2");
    assert!(
        stderr(&o).contains("a.jsonl:1"),
        "both places named: {}",
        stderr(&o)
    );
    fs::write(
        &f,
        "{\"outlet\":\"O\",\"text\":\"One.\",\"outlet\":\"P\"}\n",
    )
    .unwrap();
    let o = run(&["sentences", p(&f)]);
    assert_fails_naming(&o, "a.jsonl:1");
    assert!(stderr(&o).contains("twice"), "{}", stderr(&o));
}

// ------------------------------------------------------------------ 11. smaller ones

#[test]
fn control_characters_never_reach_the_terminal_raw() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("evil\u{1b}[2Jname.txt");
    fs::write(
        &f,
        article(
            "Evil\u{1b}]0;pwned\u{7} News",
            "Putin is open to talks \u{1b}[31mred\u{1b}[0m, sources say.",
        ),
    )
    .unwrap();
    let o = run(&["report", "--quiet", p(&f)]);
    let md = assert_ok(&o);
    assert!(!md.contains('\u{1b}') && !md.contains('\u{7}'), "{md:?}");
    assert!(!stderr(&o).contains('\u{1b}'), "{:?}", stderr(&o));
    let missing = d.path().join("gone\u{1b}[2J.txt");
    let o = run(&["sentences", p(&missing)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        !stderr(&o).contains('\u{1b}') && stderr(&o).contains("\\u{1b}"),
        "{:?}",
        stderr(&o)
    );
}

#[test]
fn an_empty_outlet_flag_is_refused() {
    for v in ["", "  ", "\u{200B}"] {
        let o = run(&["sentences", "--outlet", v, p(&seeds())]);
        assert_clean_exit(&o);
        assert_eq!(o.status.code(), Some(2), "--outlet {v:?}");
        assert!(stderr(&o).contains("outlet"), "{}", stderr(&o));
    }
}

#[cfg(unix)]
#[test]
fn every_format_exits_quietly_on_a_closed_pipe() {
    let d = tempfile::tempdir().unwrap();
    let c = corpus(d.path(), 400, 200);
    let scores = d.path().join("s.jsonl");
    assert_ok(&run(&["score", "--quiet", "--out", p(&scores), p(&c)]));
    let bin = assert_cmd::cargo::cargo_bin("claimtrack");
    for (format, extra) in [
        ("csv", "--per-article"),
        ("csv", ""),
        ("json", ""),
        ("md", ""),
        ("html", ""),
    ] {
        let script = format!(
            "'{}' report --quiet --format {format} {extra} --from-scores '{}' | head -c 1 >/dev/null; echo \"${{PIPESTATUS[0]}}\"",
            bin.display(),
            p(&scores)
        );
        let o = std::process::Command::new("bash")
            .args(["-c", &script])
            .output()
            .unwrap();
        let code = String::from_utf8_lossy(&o.stdout).trim().to_string();
        assert_eq!(
            code,
            "0",
            "{format} {extra}: exit {code}; {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(
            !String::from_utf8_lossy(&o.stderr).contains("error"),
            "{format}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}
