//! Python virtual environments under `target/tmp/` for the tests that drive Python tools
//! (the grpcio client, the DevTools client of the browser test, kubernetes-validate),
//! made from PyPI on first use and reused after.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn runs(command: &mut Command) -> bool {
    command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The python of the venv `target/tmp/<name>`, in which `check` (Python source, e.g. an
/// import) runs; made with `pip install <packages>` (requirement specifiers, or `-r` and a
/// file) when it does not. `Err` says why it cannot be had (no python3 with venv, no PyPI),
/// for the caller to skip or fail as its test requires.
pub fn venv<S: AsRef<OsStr>>(name: &str, packages: &[S], check: &str) -> Result<PathBuf, String> {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let python = venv.join("bin/python");
    if python.exists() && runs(Command::new(&python).args(["-c", check])) {
        return Ok(python);
    }
    if !runs(Command::new("python3").args(["-c", "import venv, ensurepip"])) {
        return Err("python3 with venv and ensurepip is not available".into());
    }
    if !runs(
        Command::new("python3")
            .args(["-m", "venv", "--clear"])
            .arg(&venv),
    ) {
        return Err("python3 -m venv failed".into());
    }
    eprintln!("installing Python packages into {} (once)", venv.display());
    let installed = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--quiet",
        ])
        .args(packages)
        .status()
        .is_ok_and(|s| s.success());
    if !installed || !runs(Command::new(&python).args(["-c", check])) {
        return Err(format!(
            "pip could not install the packages of {name} from PyPI"
        ));
    }
    Ok(python)
}
