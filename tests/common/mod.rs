//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod server;

use std::path::PathBuf;

/// `../shared/<sub>` beside the repository, or `None` (with a note on stderr) when it is
/// absent, as on a user's fresh clone: tests that need it then skip.
pub fn shared(sub: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(sub);
    if path.is_dir() {
        Some(path)
    } else {
        eprintln!(
            "skipped: {} is absent (it is only beside the repository in development and CI)",
            path.display()
        );
        None
    }
}

/// The path of the built `rakenne` binary.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_rakenne"))
}
