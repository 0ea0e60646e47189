//! Build steps: embed the stripped national catalog from `schemas/sosmeta`, and compile
//! the service's protobuf definitions in `proto/` (with protox: no system protoc needed).

use std::fmt::Write as _;
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    embed_sosmeta()?;
    compile_protos()?;
    Ok(())
}

/// Compiles `proto/rakenne/v1/*.proto` into tonic/prost code in `OUT_DIR`, and writes the
/// file descriptor set to `OUT_DIR/rakenne_descriptor.bin` for server reflection.
fn compile_protos() -> Result<(), Box<dyn std::error::Error>> {
    use protox::prost::Message as _;

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("proto");
    let dir = root.join("rakenne/v1");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(&dir)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|e| e == "proto"))
        .collect();
    files.sort();
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }
    let fds = protox::compile(&files, [&root])?;
    let out = Path::new(&std::env::var("OUT_DIR")?).join("rakenne_descriptor.bin");
    std::fs::write(out, fds.encode_to_vec())?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(fds)?;
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
