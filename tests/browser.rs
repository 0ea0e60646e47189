//! The page in a real browser: headless Chromium (the Debian package) driven over the
//! DevTools protocol by `tests/python/browser.py` against the real `rakenne serve` binary.
//!
//! The test makes a virtual environment under `target/tmp/python-browser` (once) with
//! `tests/python/browser-requirements.txt` (websocket-client) from PyPI; it never downloads
//! a browser. Screenshots of every state land in `target/tmp/browser-screenshots/`.
//!
//! Without chromium, or python3 with venv, or PyPI, the test is skipped with a message,
//! unless `RAKENNE_REQUIRE_BROWSER=1` (as in CI), which makes that a failure.
#![cfg(unix)]

mod common;

use std::ffi::OsStr;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::server::spawn_serve_http;

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Skips (returns `None`) or, when the browser test is required, fails.
fn unavailable<T>(why: &str) -> Option<T> {
    if std::env::var_os("RAKENNE_REQUIRE_BROWSER").is_some_and(|v| v != "0") {
        panic!("RAKENNE_REQUIRE_BROWSER is set but {why}");
    }
    eprintln!("skipped: {why} (set RAKENNE_REQUIRE_BROWSER=1 to make this a failure)");
    None
}

fn chromium() -> Option<PathBuf> {
    for candidate in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if Path::new(candidate).exists() {
            return Some(PathBuf::from(candidate));
        }
    }
    unavailable("chromium is not installed (CI installs the Debian package chromium)")
}

/// The venv's python with websocket-client, made on first use.
fn python() -> Option<PathBuf> {
    let requirements = manifest().join("tests/python/browser-requirements.txt");
    let packages = [OsStr::new("-r"), requirements.as_os_str()];
    common::python::venv("python-browser", &packages, "import websocket")
        .map_or_else(|why| unavailable(&why), Some)
}

/// Runs `tests/python/browser.py` against a fresh server, with `extra` arguments, and
/// returns its output; `None` (skipped, saying so) without Chromium or Python. The
/// screenshots land in `shots`.
async fn run_script(shots: &Path, extra: &[&Path]) -> Option<String> {
    let chromium = chromium()?;
    let python = python()?;
    let server = spawn_serve_http(&[]).await;
    let url = format!("http://{}", server.http);
    let mut child = Command::new(&python)
        .arg(manifest().join("tests/python/browser.py"))
        .arg(&url)
        .arg(&chromium)
        .arg(manifest().join("fixtures"))
        .arg(shots)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Bounded: the script gives up after 100 s itself; this is the backstop.
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(150) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the browser script did not finish in 150 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    eprintln!("{out}{err}");
    assert!(status.success(), "the browser checks failed:\n{out}\n{err}");
    assert!(out.contains("browser: all checks passed"), "{out}");
    drop(server);
    Some(out)
}

fn assert_screenshots(shots: &Path, names: &[&str]) {
    for name in names {
        let shot = shots.join(format!("{name}.png"));
        let bytes = std::fs::read(&shot).unwrap_or_else(|_| panic!("no {}", shot.display()));
        assert!(
            bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000,
            "{name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_checks_documents_in_headless_chromium() {
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-screenshots");
    let _ = std::fs::remove_dir_all(&shots);
    if run_script(&shots, &[]).await.is_none() {
        return;
    }
    assert_screenshots(
        &shots,
        &[
            "1-partly-conformant-cda",
            "2-swedish",
            "3-own-template",
            "4-unreadable",
            "7-structure-browser",
        ],
    );
}

/// The real 15007 document (with its frame) in the page: fully conformant, tied to its
/// structure, with its field table.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(shared_data), ignore = "needs ../shared/kanta-examples")]
async fn the_page_checks_the_real_15007_document() {
    let shared = common::shared_dir("kanta-examples");
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-screenshots-kanta");
    let _ = std::fs::remove_dir_all(&shots);
    if run_script(&shots, &[&shared]).await.is_none() {
        return;
    }
    assert_screenshots(&shots, &["5-kanta-15007"]);
}
