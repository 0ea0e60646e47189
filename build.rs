//! Build steps: embed the stripped national catalog from `schemas/sosmeta`.

use std::fmt::Write as _;
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    embed_sosmeta()?;
    Ok(())
}

/// Writes `OUT_DIR/embedded_sosmeta.rs`: a static list of (file name, JSON text) for every
/// `schemas/sosmeta/*.json`, in name order.
fn embed_sosmeta() -> Result<(), Box<dyn std::error::Error>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/sosmeta");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<String> = std::fs::read_dir(&dir)?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json"))
        .collect();
    names.sort();
    let mut code = String::from("pub static SOSMETA: &[(&str, &str)] = &[\n");
    for name in &names {
        let path = dir.join(name);
        println!("cargo:rerun-if-changed={}", path.display());
        writeln!(
            code,
            "    ({name:?}, include_str!({:?})),",
            path.display().to_string()
        )?;
    }
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR")?).join("embedded_sosmeta.rs");
    std::fs::write(out, code)?;
    Ok(())
}
