//! Build steps: embed the stripped national catalog from `schemas/sosmeta`, compile the
//! service's protobuf definitions in `proto/` (with protox: no system protoc needed), and
//! tell the tests whether the third-party data in `../shared` is beside the repository.

use std::fmt::Write as _;
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    embed_sosmeta()?;
    compile_protos()?;
    detect_shared_data();
    compile_json_mapping()?;
    Ok(())
}

/// Writes `OUT_DIR/rakenne.v1.serde.rs`: serde impls of the `rakenne.v1` messages in the
/// canonical protobuf JSON mapping (lowerCamelCase names, enums by name, 64-bit integers
/// as strings, bytes in base64), for the HTTP/JSON API. Reads the descriptor set that
/// `compile_protos` wrote.
fn compile_json_mapping() -> Result<(), Box<dyn std::error::Error>> {
    let out = Path::new(&std::env::var("OUT_DIR")?).join("rakenne_descriptor.bin");
    pbjson_build::Builder::new()
        .register_descriptors(&std::fs::read(out)?)?
        .build(&[".rakenne.v1"])?;
    Ok(())
}

/// Emits the `shared_data` cfg when `../shared/sosmeta` (THL's official files, with the
/// Kanta example documents beside them) is beside the repository, as in development and
/// CI. Tests that need it are marked
/// `#[cfg_attr(not(shared_data), ignore = "needs ../shared/...")]`, so a fresh clone lists
/// them as ignored with the reason instead of passing them silently.
///
/// Cargo reruns this script when the directory changes or disappears. A path that does
/// not exist cannot be watched (cargo would rerun the script, and rebuild the crate, on
/// every build), so when `../shared/sosmeta` appears beside a fresh clone later, the cfg
/// is re-evaluated at the next change to `build.rs` (`touch build.rs`).
fn detect_shared_data() {
    println!("cargo::rustc-check-cfg=cfg(shared_data)");
    let sosmeta = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/sosmeta");
    if sosmeta.is_dir() {
        println!("cargo:rerun-if-changed={}", sosmeta.display());
        println!("cargo:rustc-cfg=shared_data");
    }
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
        // A request that does not decode is INVALID_ARGUMENT, not INTERNAL.
        .codec_path("crate::service::codec::ProtoCodec")
        .build_client(true)
        .build_server(true)
        .compile_fds(fds)?;
    Ok(())
}

/// Writes `OUT_DIR/embedded_sosmeta.rs`: a static list of (file name, JSON text) for every
/// `schemas/sosmeta/*.json`, in name order, and `SOSMETA_HEADS`: a JSON array holding, per
/// file in the same order, the few parts of the schema a structure's identity is read from
/// (root `sosmeta` without its rules, `required`, and each top-level property's `type`,
/// `sosmeta` and `items.sosmeta`). Reading that small array at start-up replaces skimming
/// all 6 MB of schema text; the runtime reads the identity from it with the same code as
/// from a whole file, and a test checks that both give the same structures.
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
    let mut heads = Vec::with_capacity(names.len());
    for name in &names {
        let path = dir.join(name);
        println!("cargo:rerun-if-changed={}", path.display());
        writeln!(
            code,
            "    ({name:?}, include_str!({:?})),",
            path.display().to_string()
        )?;
        let schema: serde_json::Value = serde_json::from_slice(&std::fs::read(&path)?)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        heads.push(head_of(&schema));
    }
    code.push_str("];\n");
    writeln!(
        code,
        "pub static SOSMETA_HEADS: &str = {:?};",
        serde_json::Value::Array(heads).to_string()
    )?;
    let out = Path::new(&std::env::var("OUT_DIR")?).join("embedded_sosmeta.rs");
    std::fs::write(out, code)?;
    Ok(())
}

/// The parts of a schema a structure's identity is read from (see `embed_sosmeta`).
fn head_of(schema: &serde_json::Value) -> serde_json::Value {
    use serde_json::{Map, Value};
    let mut head = Map::new();
    if let Some(sosmeta) = schema.get("sosmeta") {
        let mut sosmeta = sosmeta.clone();
        if let Some(object) = sosmeta.as_object_mut() {
            object.remove("rakenneRules");
        }
        head.insert("sosmeta".into(), sosmeta);
    }
    if let Some(required) = schema.get("required") {
        head.insert("required".into(), required.clone());
    }
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        let mut kept = Map::new();
        for (key, element) in properties {
            let mut parts = Map::new();
            for part in ["type", "sosmeta"] {
                if let Some(value) = element.get(part) {
                    parts.insert(part.into(), value.clone());
                }
            }
            if let Some(sosmeta) = element.get("items").and_then(|items| items.get("sosmeta")) {
                let mut items = Map::new();
                items.insert("sosmeta".into(), sosmeta.clone());
                parts.insert("items".into(), Value::Object(items));
            }
            kept.insert(key.clone(), Value::Object(parts));
        }
        head.insert("properties".into(), Value::Object(kept));
    }
    Value::Object(head)
}
