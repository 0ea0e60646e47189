//! `rakenne survey PATH...`: the national pilots' comparison over a whole export.
//!
//! Every document under the paths is checked on a thread pool and counted into a
//! per-thread [`Survey`]; the surveys are merged at the end. Paths are found lazily (one
//! directory listing at a time) and each document is read, checked and dropped, so memory
//! stays flat however many documents there are. On a terminal, a progress line on stderr
//! (drawn by `indicatif`, in the report's language) shows the count, the rate and the time
//! left; at the end a line on stderr gives the throughput and peak memory.

use std::fs::{self, ReadDir};
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use rakenne::check::{CheckOptions, Engine, Format, RequestError, empty_report};
use rakenne::definitions::Lang;
use rakenne::report::render::{self, Format as RenderFormat};
use rakenne::report::survey::{DEFAULT_SAMPLE_LIMIT, GroupBy, Survey};
use rayon::iter::{ParallelBridge as _, ParallelIterator as _};

use super::{DefinitionsSource, EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, LangArg, LimitArgs};

#[derive(Debug, Clone, clap::Args)]
pub struct SurveyArgs {
    /// Documents (CDA XML or content JSON) or directories of them (searched recursively
    /// for .xml and .json files).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// What the rows of the table are.
    #[arg(long, value_enum, default_value_t = By::Structure)]
    pub by: By,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SurveyFormat::Table)]
    pub format: SurveyFormat,
    /// Write the report to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long, short, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// HTML drill-down: documents kept per group (the first by file name).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_SAMPLE_LIMIT)]
    pub samples: usize,
    /// Language of the names, headings and messages.
    #[arg(long, value_enum, default_value_t = LangArg::Fi)]
    pub lang: LangArg,
    /// The service task code, for documents that do not carry one (bare JSON).
    #[arg(long, value_name = "CODE")]
    pub service_task: Option<String>,
    /// The process phase code, for documents that do not carry one.
    #[arg(long, value_name = "CODE")]
    pub phase: Option<String>,
    /// Kanta's test environment: a henkilötunnus outside 900-999 is an error.
    #[arg(long)]
    pub test_environment: bool,
    #[command(flatten)]
    pub source: DefinitionsSource,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum By {
    /// The national structure (document type); own templates under their nearest one.
    Structure,
    /// The service task code.
    ServiceTask,
    /// The custodian organisation OID.
    Organisation,
}

impl From<By> for GroupBy {
    fn from(by: By) -> Self {
        match by {
            By::Structure => Self::Structure,
            By::ServiceTask => Self::ServiceTask,
            By::Organisation => Self::Organisation,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SurveyFormat {
    /// Aligned text.
    Table,
    /// Markdown tables.
    Md,
    /// CSV blocks: the table, the top findings, the own templates.
    Csv,
    /// The summary as JSON.
    Json,
    /// One self-contained HTML page with a chart and drill-down.
    Html,
}

impl From<SurveyFormat> for RenderFormat {
    fn from(format: SurveyFormat) -> Self {
        match format {
            SurveyFormat::Table => Self::Table,
            SurveyFormat::Md => Self::Md,
            SurveyFormat::Csv => Self::Csv,
            SurveyFormat::Json => Self::Json,
            SurveyFormat::Html => Self::Html,
        }
    }
}

pub fn run(args: SurveyArgs) -> anyhow::Result<ExitCode> {
    // A path that cannot be read is said on stderr by the walk and counted as not
    // checked; the other documents are still surveyed and the exit code is 2 at the end.
    let definitions = Arc::new(super::definitions::load(&args.source)?);
    let engine = Engine::with_limits(definitions.clone(), args.limits.limits());
    let lang: Lang = args.lang.into();
    let html = args.format == SurveyFormat::Html;
    let options = CheckOptions {
        format: Format::Auto,
        structure: None,
        service_task: args.service_task.clone(),
        phase: args.phase.clone(),
        lang,
        test_environment: args.test_environment,
        // Field tables are only shown in the HTML drill-down.
        include_fields: html,
    };
    let by: GroupBy = args.by.into();
    let samples = if html { args.samples } else { 0 };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.map_or(0, usize::from))
        .build()
        .context("cannot start the worker threads")?;
    let threads = pool.current_num_threads();

    // Only the progress line needs the total: a first walk counts paths, keeping none.
    let progress = std::io::stderr().is_terminal().then(|| {
        progress_bar(
            Walk::new(&args.paths).filter(Result::is_ok).count() as u64,
            lang,
        )
    });
    let started = Instant::now();

    let survey = pool.install(|| {
        Walk::new(&args.paths)
            .par_bridge()
            .fold(
                || Survey::new(by, samples),
                |mut survey, item| {
                    match item {
                        Ok(path) => {
                            survey_one(&engine, &options, &path, &mut survey, progress.as_ref())
                        }
                        Err((path, error)) => {
                            say(progress.as_ref(), &path, &error);
                            survey.add_not_checked();
                        }
                    }
                    if let Some(bar) = &progress {
                        bar.inc(1);
                    }
                    survey
                },
            )
            .reduce(
                || Survey::new(by, samples),
                |mut a, b| {
                    a.merge(b);
                    a
                },
            )
    });
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    let elapsed = started.elapsed();

    let summary = survey.into_summary(Some(&definitions));
    let seen = summary.documents + summary.not_checked;
    if seen == 0 {
        anyhow::bail!("no .xml or .json documents under the given paths");
    }
    match &args.out {
        Some(file) => {
            let handle = fs::File::create(file)
                .with_context(|| format!("cannot create {}", file.display()))?;
            let mut out = io::BufWriter::new(handle);
            render::render(&summary, args.format.into(), lang, &mut out)
                .and_then(|()| out.flush())
                .with_context(|| format!("cannot write {}", file.display()))?;
        }
        None => {
            let mut out = io::stdout().lock();
            render::render(&summary, args.format.into(), lang, &mut out)?;
            out.flush()?;
        }
    }

    let seconds = elapsed.as_secs_f64().max(1e-9);
    let memory = peak_memory_kib()
        .map(|kib| format!("; peak memory {:.1} MiB", kib as f64 / 1024.0))
        .unwrap_or_default();
    eprintln!(
        "rakenne: surveyed {seen} documents in {seconds:.2} s: {:.0} documents/s on {threads} thread{}{memory}",
        seen as f64 / seconds,
        if threads == 1 { "" } else { "s" }
    );

    let all_fully = summary.totals.fully_conformant == summary.documents;
    Ok(ExitCode::from(if summary.not_checked > 0 {
        EXIT_ERROR
    } else if all_fully {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    }))
}

/// Reads, checks and counts one document, then drops it.
fn survey_one(
    engine: &Engine,
    options: &CheckOptions,
    path: &Path,
    survey: &mut Survey,
    progress: Option<&ProgressBar>,
) {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) => {
            say(progress, path, &error);
            survey.add_not_checked();
            return;
        }
    };
    // The Kanta-style `_K.xml` frame beside an `_S.xml` document is checked with it.
    let frame = match super::validate::paired_frame(path).map(fs::read) {
        Some(Ok(frame)) => Some(frame),
        Some(Err(error)) => {
            say(progress, path, &error);
            survey.add_not_checked();
            return;
        }
        None => None,
    };
    match engine.check(&bytes, frame.as_deref(), options) {
        Ok(report) => survey.add(&path.display().to_string(), &report),
        // An empty file is a document of the set that cannot be read: counted UNREADABLE.
        Err(RequestError::EmptyDocument) => survey.add(
            &path.display().to_string(),
            &empty_report(super::validate::is_json_name(path), options.lang),
        ),
        Err(error) => {
            // A bad request about one file (empty, too large): say so and go on.
            say(progress, path, &error);
            survey.add_not_checked();
        }
    }
}

/// Says on stderr why a file was not checked, above the progress line if there is one.
fn say(progress: Option<&ProgressBar>, path: &Path, error: &dyn std::fmt::Display) {
    let line = || eprintln!("rakenne: {}: {error}", path.display());
    match progress {
        Some(bar) => bar.suspend(line),
        None => line(),
    }
}

/// `[#####-----] 1234/10000 asiakirjaa  812/s  00:00:11 jäljellä`, redrawn a few times a
/// second, on stderr only (indicatif draws nothing when it is not a terminal).
fn progress_bar(total: u64, lang: Lang) -> ProgressBar {
    let (documents, left) = match lang {
        Lang::Fi => ("asiakirjaa", "jäljellä"),
        Lang::Sv => ("dokument", "kvar"),
        Lang::En => ("documents", "left"),
    };
    let template =
        format!("[{{bar:24}}] {{pos}}/{{len}} {documents}  {{rate}}  {{eta_precise}} {left}");
    let style = ProgressStyle::with_template(&template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("##-")
        .with_key(
            "rate",
            |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0}/s", state.per_sec());
            },
        );
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Peak resident set size of this process (Linux `VmHWM`).
fn peak_memory_kib() -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Document files under the paths, found lazily: a directory is listed when the walk
/// reaches it, so only the open listings are held, never the whole tree. A path given by
/// name is taken whatever its extension; in directories, `.xml` and `.json` files are,
/// except archiving frames paired with a document (`<name>_K.xml` beside `<name>_S.xml`).
struct Walk {
    /// The paths still to walk, the next last.
    roots: Vec<PathBuf>,
    open: Vec<(PathBuf, ReadDir)>,
}

impl Walk {
    fn new(paths: &[PathBuf]) -> Self {
        Self {
            roots: paths.iter().rev().cloned().collect(),
            open: Vec::new(),
        }
    }

    fn enter(&mut self, dir: PathBuf) -> Option<(PathBuf, io::Error)> {
        match fs::read_dir(&dir) {
            Ok(listing) => {
                self.open.push((dir, listing));
                None
            }
            Err(error) => Some((dir, error)),
        }
    }
}

impl Iterator for Walk {
    type Item = Result<PathBuf, (PathBuf, io::Error)>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some((dir, listing)) = self.open.last_mut() {
                let entry = match listing.next() {
                    None => {
                        self.open.pop();
                        continue;
                    }
                    Some(Err(error)) => return Some(Err((dir.clone(), error))),
                    Some(Ok(entry)) => entry,
                };
                let path = entry.path();
                if super::validate::is_dir_entry(&entry).unwrap_or(false) {
                    if let Some(failed) = self.enter(path) {
                        return Some(Err(failed));
                    }
                } else if super::validate::is_walked_document(&path) {
                    return Some(Ok(path));
                }
                continue;
            }
            let root = self.roots.pop()?;
            match fs::metadata(&root) {
                Ok(meta) if meta.is_dir() => {
                    if let Some(failed) = self.enter(root) {
                        return Some(Err(failed));
                    }
                }
                Ok(_) => return Some(Ok(root)),
                Err(error) => return Some(Err((root, error))),
            }
        }
    }
}
