//! Command-line front end: argument parsing and exit codes (0 ok, 1 findings, 2 error).

mod definitions;
mod rules;
mod serve;
mod survey;
mod validate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::TypedValueParser as _;
use clap::{Parser, Subcommand, ValueEnum};
use rakenne::check::Limits;

/// Exit code when the command ran and found nothing wrong.
pub const EXIT_OK: u8 = 0;
/// Exit code when the command ran and found problems (failed files, non-conformant documents).
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code for usage and I/O errors.
pub const EXIT_ERROR: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "rakenne",
    version,
    about = "Conformance of Finnish social welfare client documents to THL's national structures",
    long_about = None
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load, check, strip and browse the national structure definitions.
    #[command(subcommand)]
    Definitions(DefinitionsCommand),
    /// Check documents against the national definitions and report per document.
    ///
    /// Exits 0 when every document is FULLY_CONFORMANT, 1 otherwise, 2 on usage or I/O
    /// errors.
    Validate(validate::ValidateArgs),
    /// Survey documents as the national pilots did: per document type, how many are fully
    /// or partly per definition, own templates or unreadable, and the most frequent
    /// findings.
    ///
    /// Exits 0 when every document is FULLY_CONFORMANT, 1 otherwise, 2 on usage or I/O
    /// errors.
    Survey(survey::SurveyArgs),
    /// Run the gRPC service (rakenne.v1.ConformanceService) with health, reflection and
    /// Prometheus metrics, until SIGTERM or SIGINT.
    Serve(Box<serve::ServeArgs>),
    /// List every rule the engine can emit (family, severity, authority), or explain one.
    ///
    /// Exits 2 for an unknown rule id.
    Rules(rules::RulesArgs),
}

#[derive(Debug, Subcommand)]
pub enum DefinitionsCommand {
    /// Load and compile every structure; print counts, load time and peak memory.
    ///
    /// Exits 1 if any file fails to load or compile.
    Check {
        /// A directory of Sosmeta JSON Schemas (official or stripped); default: the
        /// catalog embedded in the binary.
        dir: Option<PathBuf>,
        /// List the conditionally required elements that have no machine rule.
        #[arg(long, short)]
        verbose: bool,
        /// Classifications and bindings to load with the structures.
        #[command(flatten)]
        source: DefinitionsSource,
    },
    /// Write facts-only renditions of official Sosmeta files (the embedded catalog's form).
    ///
    /// Every structure in SOURCE becomes DEST/<oid>.json; other .json files in DEST are
    /// removed, so DEST afterwards equals a fresh strip of SOURCE.
    Strip {
        /// Directory of official Sosmeta JSON Schemas.
        source: PathBuf,
        /// Directory to write the stripped files into (created if missing).
        dest: PathBuf,
    },
    /// List structures: OID, family, root key and name.
    List {
        /// Only structures of this family (documentType), e.g. Suunnitelma.
        #[arg(long)]
        family: Option<String>,
        /// Only structures whose subject (documentSubject) contains this text.
        #[arg(long)]
        subject: Option<String>,
        #[command(flatten)]
        source: DefinitionsSource,
    },
    /// Print a structure's element tree: names, cardinality, representation, classification.
    Show {
        /// The structure OID, or a content root key (its newest version is shown).
        oid: String,
        /// Language of the element names.
        #[arg(long, value_enum, default_value_t = LangArg::Fi)]
        lang: LangArg,
        #[command(flatten)]
        source: DefinitionsSource,
    },
}

/// Where definitions come from when a command needs them; by default everything is the
/// national data embedded in the binary.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DefinitionsSource {
    /// A directory of Sosmeta JSON Schemas (official or stripped) to use instead of the
    /// embedded national catalog.
    #[arg(long, value_name = "DIR")]
    pub definitions: Option<PathBuf>,
    /// A directory of classification files (JSON, or CSV `code;name_fi;name_sv` named
    /// `<oid>[.<version>].csv`) loaded over the embedded classifications.
    #[arg(long, value_name = "DIR")]
    pub classifications: Option<PathBuf>,
    /// An organisation's bindings layer (JSON) over the national bindings.
    #[arg(long, value_name = "FILE")]
    pub bindings: Option<PathBuf>,
}

impl DefinitionsSource {
    pub fn options(&self) -> rakenne::definitions::DefinitionsOptions {
        rakenne::definitions::DefinitionsOptions {
            structures: self.definitions.clone(),
            classifications: self.classifications.clone(),
            bindings: self.bindings.clone(),
        }
    }
}

/// The limits a document is read within (shared by `serve`, `validate` and `survey`).
#[derive(Debug, Clone, clap::Args)]
pub struct LimitArgs {
    /// The largest document (and frame) accepted; a larger one is refused (over gRPC:
    /// RESOURCE_EXHAUSTED; messages over twice this plus 1 MiB are refused by the
    /// transport unread).
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_document_bytes,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_document_bytes: usize,
    /// Deepest element nesting of a document (also of its frame and base64 XML display
    /// form); deeper is UNREADABLE (xml.too-deep). At most 4096.
    #[arg(long, value_name = "N", default_value_t = Limits::default().xml.max_depth,
          value_parser = clap::value_parser!(u16).range(1..=4096).map(usize::from))]
    pub max_xml_depth: usize,
    /// Deepest nesting of objects and arrays in content JSON; deeper is UNREADABLE
    /// (json.too-deep). At most 128.
    #[arg(long, value_name = "N", default_value_t = Limits::default().json.max_depth,
          value_parser = clap::value_parser!(u16).range(1..=128).map(usize::from))]
    pub max_json_depth: usize,
    /// Findings returned per document; the rest are counted (findings_omitted).
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_findings)]
    pub max_findings: usize,
}

impl LimitArgs {
    /// The engine's limits with these values.
    pub fn limits(&self) -> Limits {
        let mut limits = Limits {
            max_document_bytes: self.max_document_bytes,
            max_findings: self.max_findings,
            ..Limits::default()
        };
        limits.xml.max_depth = self.max_xml_depth;
        limits.json.max_depth = self.max_json_depth;
        limits
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LangArg {
    Fi,
    Sv,
    En,
}

impl From<LangArg> for rakenne::definitions::Lang {
    fn from(lang: LangArg) -> Self {
        match lang {
            LangArg::Fi => Self::Fi,
            LangArg::Sv => Self::Sv,
            LangArg::En => Self::En,
        }
    }
}

/// Runs the parsed command; errors are reported by `main` with exit code 2.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Definitions(command) => definitions::run(command),
        Command::Validate(args) => validate::run(args),
        Command::Survey(args) => survey::run(args),
        Command::Serve(args) => serve::run(*args),
        Command::Rules(args) => rules::run(args),
    }
}
