//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod fixtures;
pub mod fleet;
pub mod python;
pub mod server;

use std::path::PathBuf;

/// `../shared/<sub>` beside the repository (THL's official files and the Kanta example
/// documents: third-party data, never copied into the repository). Tests that call it are
/// marked `#[cfg_attr(not(shared_data), ignore = "needs ../shared/<sub>")]`: `build.rs`
/// sets `shared_data` when `../shared/sosmeta` is there, so on a fresh clone they are
/// listed as ignored with the reason, and where they run a missing directory fails them.
pub fn shared_dir(sub: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(sub);
    assert!(path.is_dir(), "{} is absent", path.display());
    path
}

/// The path of the built `rakenne` binary.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_rakenne"))
}

/// A test henkilötunnus (individual number 900-999) with its right check character.
pub fn test_hetu(ddmmyy: &str, sign: char, number: u32) -> String {
    const CHECK: &[u8] = b"0123456789ABCDEFHJKLMNPRSTUVWXY";
    let digits: u64 = format!("{ddmmyy}{number:03}").parse().unwrap();
    format!(
        "{ddmmyy}{sign}{number:03}{}",
        CHECK[(digits % 31) as usize] as char
    )
}
