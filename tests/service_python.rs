//! A real third-party client: Python grpcio calls the `rakenne serve` binary.
//!
//! The test makes a virtual environment under `target/tmp/python-grpcio` (once), installs
//! `tests/python/requirements.txt` from PyPI into it, generates the stubs from
//! `proto/rakenne/v1/conformance.proto` with grpcio-tools, starts the server on a free port
//! and runs `tests/python/client.py` against it.
//!
//! Without python3 (with venv and ensurepip) or without access to PyPI the test is skipped
//! with a message, unless `RAKENNE_REQUIRE_PYTHON=1` (as in CI), which makes that a failure.
//! `RAKENNE_SKIP_PYTHON=1` skips it.
#![cfg(unix)]

mod common;

use common::server::{signal, spawn_serve};
use std::ffi::OsStr;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::mpsc;
use std::time::Duration;

use rakenne::definitions::Definitions;
use serde_json::json;

const OID: &str = "1.2.246.537.6.1506.1004.2025.2.26";
const MODULES: &str = "import grpc, grpc_tools, grpc_health, grpc_status, grpc_reflection";

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Skips (returns `None`) or, when Python is required, fails.
fn unavailable(why: &str) -> Option<PathBuf> {
    if std::env::var_os("RAKENNE_REQUIRE_PYTHON").is_some_and(|v| v != "0") {
        panic!("RAKENNE_REQUIRE_PYTHON is set but {why}");
    }
    eprintln!("skipped: {why} (set RAKENNE_REQUIRE_PYTHON=1 to make this a failure)");
    None
}

/// The venv's python with grpcio and friends installed, made on first use.
fn python() -> Option<PathBuf> {
    let requirements = manifest().join("tests/python/requirements.txt");
    let packages = [OsStr::new("-r"), requirements.as_os_str()];
    common::python::venv("python-grpcio", &packages, MODULES)
        .map_or_else(|why| unavailable(&why), Some)
}

/// Kills the server if the test fails before stopping it.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn python_grpcio_calls_validate_health_stream_and_reflection() {
    if std::env::var_os("RAKENNE_SKIP_PYTHON").is_some_and(|v| v != "0") {
        eprintln!("skipped: RAKENNE_SKIP_PYTHON is set");
        return;
    }
    let Some(python) = python() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();

    // Stubs from the proto file, as any client would make them.
    let stubs = work.path().join("stubs");
    std::fs::create_dir_all(&stubs).unwrap();
    let status = Command::new(&python)
        .args(["-m", "grpc_tools.protoc", "-I"])
        .arg(manifest().join("proto"))
        .arg(format!("--python_out={}", stubs.display()))
        .arg(format!("--grpc_python_out={}", stubs.display()))
        .arg(manifest().join("proto/rakenne/v1/conformance.proto"))
        .status()
        .unwrap();
    assert!(status.success(), "grpc_tools.protoc failed");

    // Documents built on the embedded catalog's structure.
    let definitions = Definitions::embedded().unwrap();
    let root = definitions.catalog.get(OID).unwrap().root_key.clone();
    let valid = json!({ &root: {
        "asiakas": {
            "sukunimi": "Salainen",
            "etunimet": "Testi",
            "tilapainen_yksilointitunnus": {"value": "1.2.246.10.12345678.10.2024.1"}
        },
        "toimenpiteet": "Ei toimenpiteitä.",
        "laatija": {"sukunimi": "Laatija", "etunimet": "Liisa"}
    }});
    let invalid = json!({ &root: {
        "asiakas": {"sukunimi": "Salainen"},
        "laatija": {"sukunimi": "Laatija", "etunimet": "Liisa"}
    }});
    let valid_path = work.path().join("valid.json");
    let invalid_path = work.path().join("invalid.json");
    std::fs::write(&valid_path, valid.to_string()).unwrap();
    std::fs::write(&invalid_path, invalid.to_string()).unwrap();

    // The real server on a free port; its address comes from the `ready` log line.
    let mut child = spawn_serve(&[]);
    let stderr = child.stderr.take().unwrap();
    let mut server = Server(child);
    let (lines_tx, lines_rx) = mpsc::channel::<serde_json::Value>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if let Ok(value) = serde_json::from_str(&line) {
                let _ = lines_tx.send(value);
            }
        }
    });
    let next = |message: &str| loop {
        let line = lines_rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|e| panic!("no {message:?} log line: {e}"));
        if line["message"] == message {
            return line;
        }
    };
    let ready = next("ready");
    let target = ready["grpc"].as_str().unwrap().to_string();

    let output = Command::new(&python)
        .arg(manifest().join("tests/python/client.py"))
        .args(["--target", &target, "--oid", OID])
        .arg("--stubs")
        .arg(&stubs)
        .arg("--valid")
        .arg(&valid_path)
        .arg("--invalid")
        .arg(&invalid_path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("{stdout}{stderr}");
    assert!(output.status.success(), "the Python client failed");
    assert!(stdout.contains("all checks passed"));

    signal(&server.0, "TERM");
    next("stopped");
    let status = server.0.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

/// Validates an OpenAPI document with PyPI's `openapi-spec-validator` (the official
/// OpenAPI 3.1 schema, bundled, so it runs offline): `Err` with its message when invalid.
fn openapi_errors(python: &Path, document: &serde_json::Value) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, serde_json::to_vec(document).unwrap()).unwrap();
    let output = Command::new(python)
        .args([
            "-c",
            "import json, sys\n\
             from openapi_spec_validator import validate\n\
             validate(json.load(open(sys.argv[1])))",
        ])
        .arg(&file)
        .output()
        .unwrap();
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// The HTTP API's `/openapi.json` is a valid OpenAPI 3.1 description, checked by an
/// independent validator; `tests/suite/http.rs` checks real answers against it.
#[test]
fn the_http_api_description_is_valid_openapi() {
    if std::env::var_os("RAKENNE_SKIP_PYTHON").is_some_and(|v| v != "0") {
        eprintln!("skipped: RAKENNE_SKIP_PYTHON is set");
        return;
    }
    let python = match common::python::venv(
        "python-openapi",
        &["openapi-spec-validator"],
        "import openapi_spec_validator",
    ) {
        Ok(python) => python,
        Err(why) => {
            let _: Option<PathBuf> = unavailable(&why);
            return;
        }
    };
    let document: serde_json::Value = serde_json::from_slice(
        &std::fs::read(manifest().join("src/service/http/assets/openapi.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(document["openapi"].as_str().map(|v| &v[..3]), Some("3.1"));
    openapi_errors(&python, &document).unwrap();
    // The validator can fail: an info object without a title is not OpenAPI.
    let mut broken = document.clone();
    broken["info"].as_object_mut().unwrap().remove("title");
    assert!(openapi_errors(&python, &broken).is_err());
}
