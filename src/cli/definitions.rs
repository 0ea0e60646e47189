//! `rakenne definitions ...`: check, strip, list, show.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;
use rakenne::definitions::catalog::Catalog;
use rakenne::definitions::strip::strip;
use rakenne::definitions::{Definitions, Lang};

use super::{DefinitionsCommand, DefinitionsSource, EXIT_FINDINGS, EXIT_OK};

pub fn run(command: DefinitionsCommand) -> anyhow::Result<ExitCode> {
    match command {
        DefinitionsCommand::Check {
            dir,
            verbose,
            mut source,
        } => {
            if dir.is_some() {
                source.definitions = dir;
            }
            check(&source, verbose)
        }
        DefinitionsCommand::Strip { source, dest } => strip_dir(&source, &dest),
        DefinitionsCommand::List {
            family,
            subject,
            source,
        } => list(&source, family.as_deref(), subject.as_deref()),
        DefinitionsCommand::Show { oid, lang, source } => show(&source, &oid, lang.into()),
    }
}

/// Loads the definitions the command asked for.
pub fn load(source: &DefinitionsSource) -> anyhow::Result<Definitions> {
    Definitions::load(&source.options()).context("cannot load definitions")
}

fn check(source: &DefinitionsSource, verbose: bool) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let definitions = load(source)?;
    let catalog = &definitions.catalog;
    let loaded_in = started.elapsed();
    let compile_started = Instant::now();
    let compile_failures = catalog.compile_all();
    let compiled_in = compile_started.elapsed();

    let mut out = std::io::stdout().lock();
    writeln!(out, "definitions: {}", catalog.origin())?;
    for failure in catalog.failures.iter().chain(&compile_failures) {
        writeln!(out, "FAILED {failure}")?;
    }
    let ok = catalog.len() - compile_failures.len();
    writeln!(
        out,
        "structures: {ok} of {} files loaded and compiled ({} root keys)",
        catalog.files,
        catalog.root_keys().count()
    )?;

    let (mut conditional, mut text_only, mut rules) = (0, 0, 0);
    for structure in catalog.iter() {
        conditional += structure
            .elements()
            .iter()
            .filter(|e| e.conditional_required)
            .count();
        text_only += structure.text_only().len();
        rules += structure.rules().len();
    }
    writeln!(
        out,
        "conditionally required elements: {conditional}, with a machine rule: {}, text only: {text_only} ({rules} rules)",
        conditional - text_only
    )?;
    writeln!(
        out,
        "classifications: {} ({} complete); bindings layers: national{}",
        definitions.classifications.len(),
        definitions
            .classifications
            .iter()
            .filter(|c| c.is_complete())
            .count(),
        definitions
            .bindings
            .organisations()
            .map(|o| format!(", {o}"))
            .collect::<String>()
    )?;
    if verbose {
        for structure in catalog.iter() {
            for &i in structure.text_only() {
                let element = &structure.elements()[i];
                writeln!(
                    out,
                    "  text only: {} {} ({})",
                    structure.oid(),
                    element.pointer,
                    element.name.fi
                )?;
            }
        }
    }
    writeln!(
        out,
        "time: load {:.0} ms, compile {:.0} ms (parallel on {} threads), total {:.0} ms",
        loaded_in.as_secs_f64() * 1e3,
        compiled_in.as_secs_f64() * 1e3,
        rayon::current_num_threads(),
        started.elapsed().as_secs_f64() * 1e3
    )?;
    match peak_memory_kib() {
        Some(kib) => writeln!(out, "peak memory: {:.1} MiB", kib as f64 / 1024.0)?,
        None => writeln!(out, "peak memory: unknown on this platform")?,
    }
    let failed = catalog.failures.len() + compile_failures.len();
    Ok(ExitCode::from(if failed == 0 {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    }))
}

/// Peak resident set size of this process (Linux `VmHWM`).
fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn strip_dir(source: &Path, dest: &Path) -> anyhow::Result<ExitCode> {
    let catalog = Catalog::load_dir(source)?;
    for failure in &catalog.failures {
        eprintln!("FAILED {failure}");
    }
    std::fs::create_dir_all(dest).with_context(|| format!("cannot create {}", dest.display()))?;
    let mut written = std::collections::BTreeSet::new();
    for structure in catalog.iter() {
        let name = format!("{}.json", structure.oid());
        // Compact: the embedded catalog is parsed at every start.
        let mut text = serde_json::to_string(&strip(structure))?;
        text.push('\n');
        let path = dest.join(&name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        written.insert(name);
    }
    let mut removed = 0;
    for entry in std::fs::read_dir(dest)? {
        let path = entry?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if let Some(name) = name
            && name.ends_with(".json")
            && !written.contains(&name)
        {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
            removed += 1;
        }
    }
    println!(
        "stripped {} structures into {} ({} stale files removed, {} failed)",
        written.len(),
        dest.display(),
        removed,
        catalog.failures.len()
    );
    Ok(ExitCode::from(if catalog.failures.is_empty() {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    }))
}

fn list(
    source: &DefinitionsSource,
    family: Option<&str>,
    subject: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let definitions = load(source)?;
    let mut structures: Vec<_> = definitions
        .catalog
        .iter()
        .filter(|s| family.is_none_or(|f| s.meta.family.eq_ignore_ascii_case(f)))
        .filter(|s| {
            subject.is_none_or(|wanted| {
                s.meta
                    .subject
                    .as_deref()
                    .is_some_and(|have| have.to_lowercase().contains(&wanted.to_lowercase()))
            })
        })
        .collect();
    structures.sort_by(|a, b| {
        (&a.meta.family, &a.name().fi, &a.meta.definition_version).cmp(&(
            &b.meta.family,
            &b.name().fi,
            &b.meta.definition_version,
        ))
    });
    let mut out = std::io::stdout().lock();
    for s in &structures {
        writeln!(
            out,
            "{:<38} {:<24} {} ({})",
            s.oid(),
            s.meta.family,
            s.name().fi,
            s.root_key
        )?;
    }
    writeln!(out, "{} structures", structures.len())?;
    Ok(ExitCode::from(EXIT_OK))
}

fn show(source: &DefinitionsSource, wanted: &str, lang: Lang) -> anyhow::Result<ExitCode> {
    let definitions = load(source)?;
    let catalog = &definitions.catalog;
    let structure = catalog
        .get(wanted)
        .or_else(|| catalog.latest(wanted))
        .with_context(|| format!("no structure {wanted} in the catalog"))?;
    let mut out = std::io::stdout().lock();
    let meta = &structure.meta;
    writeln!(out, "{} — {}", structure.name().get(lang), meta.oid)?;
    writeln!(
        out,
        "family: {}   subject: {}   version: {}   status: {}",
        meta.family,
        meta.subject.as_deref().unwrap_or("-"),
        meta.definition_version,
        meta.status
    )?;
    writeln!(out, "root key: {}", structure.root_key)?;
    writeln!(out)?;
    for (_, element) in structure.walk() {
        let indent = "  ".repeat(element.depth);
        let representation = element
            .representation
            .as_ref()
            .map(|r| r.as_fi().to_string())
            .unwrap_or_else(|| element.json_type.as_str().to_string());
        // Parts of a value (a code's system, code, display) have no names of their own.
        let name = match element.name.get(lang) {
            "" => element.key.as_str(),
            name => name,
        };
        let mut line = format!(
            "{indent}{} [{}] {}",
            name,
            element.cardinality(),
            representation
        );
        if element.conditional_required {
            line.push_str(" (conditionally required)");
        }
        if let Some(oid) = &element.classification_oid {
            line.push_str(&format!(" classification {oid}"));
        }
        if element.is_hetu() {
            line.push_str(" henkilötunnus");
        }
        if !element.enum_values.is_empty() {
            let values: Vec<String> = element.enum_values.iter().map(|v| v.to_string()).collect();
            line.push_str(&format!(" one of {}", values.join(", ")));
        }
        writeln!(out, "{line}  {}", element.key)?;
        if let Some(note) = &element.implementation_note {
            writeln!(out, "{indent}    note: {}", note.get(lang))?;
        }
    }
    if !structure.rules().is_empty() {
        writeln!(out)?;
        writeln!(out, "conditional rules:")?;
        for rule in structure.rules() {
            writeln!(
                out,
                "  {:?} at {}: {}",
                rule.kind,
                rule.anchor,
                rule.members.join(", ")
            )?;
        }
    }
    Ok(ExitCode::from(EXIT_OK))
}
