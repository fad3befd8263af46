//! The HTML report laid out by a real browser (headless Chromium) at a desktop width (1366 px)
//! and a phone width (390 px): no chart or table may be wider than the page, no chart may cut
//! off its own dots or labels, and the page's table script must run under the page's own
//! Content-Security-Policy. Checked on the seeds report and, when the corpora are on this
//! machine, on the report of both corpus folders.
//!
//! Each page is measured inside an `<iframe>` of the exact width (a headless window cannot be
//! narrower than 500 px) by scripts/overflow_probe.js, the same probe scripts/check_html.sh
//! uses. Without Chromium (`chromium` on the PATH, or `$CLAIMTRACK_CHROMIUM`) the tests say
//! `skipped: chromium not installed` and pass; .ci/run installs it.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

const PROBE: &str = include_str!("../scripts/overflow_probe.js");

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CLAIMTRACK_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|d| ["chromium", "chromium-browser"].map(|n| d.join(n)))
        .find(|p| p.is_file())
}

/// The corpus folders, if this machine has them (`$CLAIMTRACK_CORPUS` or ../shared).
fn corpus_dirs() -> Option<Vec<PathBuf>> {
    let dirs: Vec<PathBuf> = match std::env::var_os("CLAIMTRACK_CORPUS") {
        Some(v) => std::env::split_paths(&v).collect(),
        None => ["../shared/corpus", "../shared/corpus2"]
            .iter()
            .map(|d| Path::new(env!("CARGO_MANIFEST_DIR")).join(d))
            .collect(),
    };
    (!dirs.is_empty() && dirs.iter().all(|d| d.is_dir())).then_some(dirs)
}

/// Runs headless Chromium with `args` and returns its standard output; kills it after two
/// minutes (a hang fails the test instead of stalling the suite).
fn run_chromium(chrome: &Path, profile: &Path, args: &[String]) -> String {
    let mut child = std::process::Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=8000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut s).ok();
        s
    });
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(120) {
            child.kill().ok();
            child.wait().ok();
            panic!("chromium did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    reader.join().unwrap()
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The probe's measurements of `page` laid out `width` px wide.
fn probe(chrome: &Path, page: &Path, width: u32) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let html = std::fs::read_to_string(page).unwrap();
    let csp_at = html
        .find("<meta http-equiv=\"Content-Security-Policy\"")
        .unwrap();
    let csp_end = csp_at + html[csp_at..].find('>').unwrap() + 1;
    let copy = format!("{}{}", &html[..csp_at], &html[csp_end..])
        .replace("</body>", &format!("<script>{PROBE}</script></body>"));
    std::fs::write(dir.path().join("page.html"), copy).unwrap();
    let host = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>body{{margin:0}}iframe{{border:0;display:block}}</style></head>\
         <body><iframe src=\"page.html\" width=\"{width}\" height=\"900\" scrolling=\"no\"></iframe>\
         <script>addEventListener('message',function(e){{var p=document.createElement('pre');p.id='overflow-probe';p.textContent=e.data;document.body.appendChild(p);}});</script></body></html>"
    );
    std::fs::write(dir.path().join("host.html"), host).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let dom = run_chromium(
        chrome,
        profile.path(),
        &[
            format!("--window-size={},1000", width + 40),
            "--dump-dom".into(),
            format!("file://{}", dir.path().join("host.html").display()),
        ],
    );
    let at = dom
        .find("<pre id=\"overflow-probe\">")
        .unwrap_or_else(|| panic!("the probe did not report at {width} px"));
    let rest = &dom[at + "<pre id=\"overflow-probe\">".len()..];
    let json = unescape(&rest[..rest.find("</pre>").unwrap()]);
    serde_json::from_str(&json).unwrap()
}

/// Renders an HTML report of `inputs` with the shipped model into `out`.
fn render(inputs: &[PathBuf], out: &Path) {
    Command::cargo_bin("claimtrack")
        .unwrap()
        .args(["report", "-q", "--format", "html", "--out"])
        .arg(out)
        .args(inputs)
        .assert()
        .success();
}

/// Checks the layout of `page` at both widths (and says how tall it is).
fn check_layout(chrome: &Path, page: &Path, what: &str) {
    for width in [1366u32, 390] {
        let r = probe(chrome, page, width);
        let at = format!("{what} at {width} px");
        assert_eq!(
            r["width"],
            u64::from(width),
            "{at}: laid out at another width"
        );
        assert!(
            r["scroll"].as_u64().unwrap() <= u64::from(width),
            "{at}: the page scrolls sideways: {r}"
        );
        assert!(r["boxes"].as_u64().unwrap() > 0, "{at}: nothing measured");
        assert_eq!(r["overflow"], Value::Array(vec![]), "{at}: overflow: {r}");
        assert_eq!(r["clipped"], Value::Array(vec![]), "{at}: cut off: {r}");
        eprintln!(
            "{at}: height {} px ({} px with every section open), {} charts and tables",
            r["height"], r["open"], r["boxes"]
        );
    }
}

#[test]
fn the_seeds_report_fits_desktop_and_phone_and_its_script_runs_under_its_csp() {
    let Some(chrome) = chromium() else {
        eprintln!("skipped: chromium not installed (install Debian's `chromium`, or set CLAIMTRACK_CHROMIUM)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("seeds.html");
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    render(&[seeds], &page);
    check_layout(&chrome, &page, "seeds report");
    // The page as shipped (with its CSP): the table script ran, and it is the only script.
    let profile = tempfile::tempdir().unwrap();
    let dom = run_chromium(
        &chrome,
        profile.path(),
        &["--dump-dom".into(), format!("file://{}", page.display())],
    );
    assert!(
        dom.matches("data-sortable=\"ready\"").count() >= 2,
        "the outlet and article tables were not set up: the script did not run under the CSP"
    );
    assert_eq!(dom.matches("<script").count(), 1);
    assert!(dom.contains("<p class=\"answer\">Of 5 outlets"));
}

#[test]
fn the_corpus_report_fits_desktop_and_phone() {
    let Some(chrome) = chromium() else {
        eprintln!("skipped: chromium not installed (install Debian's `chromium`, or set CLAIMTRACK_CHROMIUM)");
        return;
    };
    let Some(corpus) = corpus_dirs() else {
        eprintln!("SKIPPED (no corpus on this machine): the layout of the corpus report; set CLAIMTRACK_CORPUS to run it");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("corpus.html");
    render(&corpus, &page);
    check_layout(&chrome, &page, "corpus report");
}
