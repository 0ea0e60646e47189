//! `rakenne validate PATH...`: check documents and report per document.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use rakenne::check::report::{
    Coverage, DocumentFacts, FieldRow, Finding, Nearest, Report, Severity, StructureRef, Verdict,
};
use rakenne::check::{CheckOptions, Engine, Format, RequestError, empty_report};
use rakenne::definitions::Lang;
use rakenne::report::junit::JunitSuite;
use rakenne::report::{TextLabels, count_line};
use serde::Serialize;

use super::{DefinitionsSource, EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, LangArg, LimitArgs};

#[derive(Debug, Clone, clap::Args)]
pub struct ValidateArgs {
    /// Documents (CDA XML or content JSON) or directories of them (searched recursively
    /// for .xml and .json files).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// The archiving frame (RCMR_IN200002FI01) of the document; only with one document.
    #[arg(long, value_name = "FILE")]
    pub frame: Option<PathBuf>,
    /// Check against this structure OID instead of the declared or inferred one.
    #[arg(long, value_name = "OID")]
    pub structure: Option<String>,
    /// The service task code, for documents that do not carry one (bare JSON).
    #[arg(long, value_name = "CODE")]
    pub service_task: Option<String>,
    /// The process phase code, for documents that do not carry one.
    #[arg(long, value_name = "CODE")]
    pub phase: Option<String>,
    /// Language of the messages and names.
    #[arg(long, value_enum, default_value_t = LangArg::Fi)]
    pub lang: LangArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
    /// Kanta's test environment: a henkilötunnus outside 900-999 is an error.
    #[arg(long)]
    pub test_environment: bool,
    /// Colour in text output: auto (on a terminal), always or never.
    #[arg(long, value_enum, default_value_t = Colour::Auto)]
    pub colour: Colour,
    #[command(flatten)]
    pub source: DefinitionsSource,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// A readable report per document.
    Text,
    /// One JSON object per document (JSON Lines).
    Json,
    /// JUnit XML: one test case per document, failures listing the ERROR findings.
    Junit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Colour {
    Auto,
    Always,
    Never,
}

/// Whether a file met in a directory walk is a document to check: `.xml` or `.json`, and
/// not a frame paired with a document (see [`is_paired_frame`]).
pub fn is_walked_document(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xml") || e.eq_ignore_ascii_case("json"))
        && !is_paired_frame(path)
}

/// Whether a directory entry is a directory, from the listing itself (no stat), following
/// a symbolic link.
pub fn is_dir_entry(entry: &std::fs::DirEntry) -> std::io::Result<bool> {
    let kind = entry.file_type()?;
    Ok(if kind.is_symlink() {
        entry.path().is_dir()
    } else {
        kind.is_dir()
    })
}

/// Kanta test sets name a document `<name>_S.xml` and its archiving frame `<name>_K.xml`.
/// In a directory walk, such a frame is not a document of its own.
pub fn is_paired_frame(path: &Path) -> bool {
    sibling(path, "_K.xml", "_S.xml").is_some_and(|document| document.is_file())
}

/// The archiving frame `<name>_K.xml` beside a document `<name>_S.xml`, if there is one.
pub fn paired_frame(path: &Path) -> Option<PathBuf> {
    sibling(path, "_S.xml", "_K.xml").filter(|frame| frame.is_file())
}

fn sibling(path: &Path, from: &str, to: &str) -> Option<PathBuf> {
    let name = path.file_name()?.to_str()?;
    let stem = name.strip_suffix(from)?;
    Some(path.with_file_name(format!("{stem}{to}")))
}

/// Every document file under the paths, in a stable order; frames paired with a document
/// in the same directory (see [`is_paired_frame`]) are left out. A path that cannot be
/// read is said on stderr and left out, so the others are still checked; the returned
/// flag says whether any was.
pub fn collect(paths: &[PathBuf]) -> (Vec<PathBuf>, bool) {
    let mut files = Vec::new();
    let mut failed = false;
    for path in paths {
        let found = std::fs::metadata(path)
            .with_context(|| format!("cannot read {}", path.display()))
            .and_then(|meta| {
                if meta.is_dir() {
                    walk(path, &mut files)
                } else {
                    files.push(path.clone());
                    Ok(())
                }
            });
        if let Err(error) = found {
            eprintln!("rakenne: {error:#}");
            failed = true;
        }
    }
    (files, failed)
}

/// Whether a document file is JSON by its name (`.json`), for the report on an empty one.
pub fn is_json_name(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    // The entry's type comes with the directory listing: no stat per file, except for
    // symbolic links, which are followed.
    let mut entries: Vec<(PathBuf, bool)> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read directory {}", dir.display()))?
        .map(|entry| {
            let entry = entry?;
            Ok((entry.path(), is_dir_entry(&entry)?))
        })
        .collect::<std::io::Result<_>>()
        .with_context(|| format!("cannot read directory {}", dir.display()))?;
    entries.sort();
    for (path, is_dir) in entries {
        if is_dir {
            walk(&path, files)?;
        } else if is_walked_document(&path) {
            files.push(path);
        }
    }
    Ok(())
}

pub fn run(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    let (files, unreadable_paths) = collect(&args.paths);
    if files.is_empty() {
        anyhow::bail!("no .xml or .json documents under the given paths");
    }
    if args.frame.is_some() && files.len() != 1 {
        anyhow::bail!("--frame goes with exactly one document");
    }
    let read_frame = |path: &Path| {
        std::fs::read(path).with_context(|| format!("cannot read frame {}", path.display()))
    };
    let definitions = super::definitions::load(&args.source)?;
    let engine = Engine::with_limits(Arc::new(definitions), args.limits.limits());
    let lang: Lang = args.lang.into();
    let options = CheckOptions {
        format: Format::Auto,
        structure: args.structure.clone(),
        service_task: args.service_task.clone(),
        phase: args.phase.clone(),
        lang,
        test_environment: args.test_environment,
        include_fields: args.output == Output::Json,
    };
    let colour = match args.colour {
        Colour::Always => true,
        Colour::Never => false,
        Colour::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    // Buffered; on a terminal flushed after each document (one write per report, and
    // reports keep their place among messages on stderr), elsewhere when the buffer fills.
    let interactive = std::io::stdout().is_terminal();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut all_ok = true;
    let mut errors = unreadable_paths;
    let mut junit = (args.output == Output::Junit).then(|| JunitSuite::new("rakenne validate"));
    for file in &files {
        // A file that cannot be read is said on stderr; the others are still checked and
        // the run ends with exit code 2.
        let bytes = match std::fs::read(file) {
            Ok(bytes) => bytes,
            Err(error) => {
                eprintln!("rakenne: cannot read {}: {error}", file.display());
                if let Some(junit) = &mut junit {
                    junit.add_error(&file.display().to_string(), &error.to_string());
                }
                errors = true;
                continue;
            }
        };
        let started = Instant::now();
        // A frame given with --frame, else the Kanta-style `_K.xml` beside an `_S.xml`.
        let frame_path = args.frame.clone().or_else(|| paired_frame(file));
        let frame = match frame_path.as_deref().map(read_frame).transpose() {
            Ok(frame) => frame,
            Err(error) => {
                eprintln!("rakenne: {error:#}");
                if let Some(junit) = &mut junit {
                    junit.add_error(&file.display().to_string(), &format!("{error:#}"));
                }
                errors = true;
                continue;
            }
        };
        let report = match engine.check(&bytes, frame.as_deref(), &options) {
            Ok(report) => report,
            // An empty file is a document that cannot be read: UNREADABLE, not a refusal.
            Err(RequestError::EmptyDocument) => empty_report(is_json_name(file), lang),
            Err(error) => {
                // A bad request about one file (empty, too large): say so and go on.
                eprintln!("rakenne: {}: {error}", file.display());
                if let Some(junit) = &mut junit {
                    junit.add_error(&file.display().to_string(), &error.to_string());
                }
                errors = true;
                continue;
            }
        };
        all_ok &= report.verdict == Verdict::FullyConformant;
        match args.output {
            Output::Json => {
                serde_json::to_writer(
                    &mut out,
                    &json_report(file, frame_path.as_deref(), &report),
                )?;
                writeln!(out)?;
            }
            Output::Text => {
                write_text(&mut out, file, frame_path.as_deref(), &report, lang, colour)?
            }
            Output::Junit => {
                if let Some(junit) = &mut junit {
                    junit.add(
                        &file.display().to_string(),
                        &report,
                        started.elapsed(),
                        lang,
                    );
                }
            }
        }
        if interactive {
            out.flush()?;
        }
    }
    if let Some(junit) = &junit {
        junit.write(&mut out)?;
    }
    out.flush()?;
    Ok(ExitCode::from(if errors {
        EXIT_ERROR
    } else if all_ok {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    }))
}

/// The JSON form of one report (the `--output json` line), serialised straight from the
/// report (no intermediate JSON tree).
#[derive(Serialize)]
struct JsonReport<'a> {
    file: String,
    frame: Option<String>,
    verdict: Verdict,
    structure: &'a Option<StructureRef>,
    findings: &'a [Finding],
    findings_omitted: usize,
    fields: &'a [FieldRow],
    coverage: &'a Option<Coverage>,
    nearest: &'a [Nearest],
    document: &'a DocumentFacts,
}

fn json_report<'a>(file: &Path, frame: Option<&Path>, report: &'a Report) -> JsonReport<'a> {
    JsonReport {
        file: file.display().to_string(),
        frame: frame.map(|f| f.display().to_string()),
        verdict: report.verdict,
        structure: &report.structure,
        findings: &report.findings,
        findings_omitted: report.findings_omitted,
        fields: &report.fields,
        coverage: &report.coverage,
        nearest: &report.nearest,
        document: &report.document,
    }
}

fn paint(text: &str, code: &str, colour: bool) -> String {
    if colour {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn write_text(
    out: &mut impl Write,
    file: &Path,
    frame: Option<&Path>,
    report: &Report,
    lang: Lang,
    colour: bool,
) -> std::io::Result<()> {
    let verdict_colour = match report.verdict {
        Verdict::FullyConformant => "32",
        Verdict::PartlyConformant => "33",
        Verdict::OwnTemplate => "35",
        Verdict::Unreadable => "31",
    };
    writeln!(
        out,
        "{}: {} ({})",
        paint(&file.display().to_string(), "1", colour),
        paint(report.verdict.as_str(), verdict_colour, colour),
        report.verdict.label(lang)
    )?;
    let labels = TextLabels::of(lang);
    if let Some(frame) = frame {
        writeln!(out, "  {}: {}", labels.frame, frame.display())?;
    }
    if let Some(structure) = &report.structure {
        writeln!(
            out,
            "  {}: {} {} ({})",
            labels.structure,
            structure.oid,
            structure.name.get(lang),
            labels.chosen_by(structure.chosen_by)
        )?;
    }
    for nearest in &report.nearest {
        writeln!(
            out,
            "  {}: {} {} {} {:.2}",
            labels.nearest,
            nearest.oid,
            nearest.name.get(lang),
            labels.score,
            nearest.score
        )?;
    }
    for f in &report.findings {
        let severity = match f.severity {
            Severity::Error => paint("ERROR", "31", colour),
            Severity::Warning => paint("WARNING", "33", colour),
            Severity::Info => paint("INFO", "36", colour),
        };
        let mut location = String::new();
        if let Some(pointer) = &f.pointer {
            location.push_str(if pointer.is_empty() { "/" } else { pointer });
        }
        if let Some(line) = f.line {
            if !location.is_empty() {
                location.push(' ');
            }
            location.push_str(&format!("{}:{}", line, f.column.unwrap_or(0)));
        }
        writeln!(out, "  {severity} {} {location}", f.rule)?;
        writeln!(out, "      {}", f.message)?;
    }
    if report.findings_omitted > 0 {
        writeln!(
            out,
            "  … {} {}",
            report.findings_omitted, labels.more_findings
        )?;
    }
    let errors = report.errors();
    let warnings = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    writeln!(out, "  {}", count_line(lang, errors, warnings))?;
    Ok(())
}
