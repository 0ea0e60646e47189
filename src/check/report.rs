//! What a check answers: findings, the verdict, the field table, coverage and the nearest
//! national structures. These types are the engine's contract with the CLI and the service.

use serde::Serialize;

use crate::definitions::{Lang, LangText};

// A report's parts, for callers that read reports (the types live in `findings`).
pub use crate::findings::{ElementRef, Finding, Severity};

/// The pilots' classification of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    /// Tied to a national structure in the catalog, with no ERROR finding.
    FullyConformant,
    /// Tied to a national structure, with at least one ERROR finding.
    PartlyConformant,
    /// Cannot be tied to any national structure: the organisation's own template.
    OwnTemplate,
    /// Cannot be parsed or decoded.
    Unreadable,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FullyConformant => "FULLY_CONFORMANT",
            Self::PartlyConformant => "PARTLY_CONFORMANT",
            Self::OwnTemplate => "OWN_TEMPLATE",
            Self::Unreadable => "UNREADABLE",
        }
    }

    /// The pilots' column heading in Finnish.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Self::FullyConformant, Lang::Fi) => "täysin määritysten mukaisesti",
            (Self::PartlyConformant, Lang::Fi) => "osin määritysten mukaisesti",
            (Self::OwnTemplate, Lang::Fi) => "oma asiakirjapohja",
            (Self::Unreadable, Lang::Fi) => "ei luettavissa",
            (Self::FullyConformant, Lang::Sv) => "helt enligt definitionerna",
            (Self::PartlyConformant, Lang::Sv) => "delvis enligt definitionerna",
            (Self::OwnTemplate, Lang::Sv) => "egen dokumentmall",
            (Self::Unreadable, Lang::Sv) => "oläslig",
            (Self::FullyConformant, Lang::En) => "fully per definition",
            (Self::PartlyConformant, Lang::En) => "partly per definition",
            (Self::OwnTemplate, Lang::En) => "own template",
            (Self::Unreadable, Lang::En) => "unreadable",
        }
    }
}

/// The national structure a document was tied to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StructureRef {
    pub oid: String,
    pub name: LangText,
    pub root_key: String,
    pub family: String,
    /// How the structure was chosen: declared in the document, given by the caller, or
    /// inferred from the content's root key.
    pub chosen_by: ChosenBy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChosenBy {
    /// `contentSpecificationId` in the CDA header.
    Declared,
    /// The caller named the structure.
    Caller,
    /// The newest national structure with the content's root key.
    RootKey,
}

/// The state of one element of the structure in a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FieldStatus {
    Valid,
    Invalid,
    MissingRequired,
    MissingConditional,
    AbsentOptional,
    /// In the document but not in the definition.
    Undefined,
}

impl FieldStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::Invalid => "invalid",
            Self::MissingRequired => "missing-required",
            Self::MissingConditional => "missing-conditional",
            Self::AbsentOptional => "absent-optional",
            Self::Undefined => "undefined",
        }
    }
}

/// One row of the field table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldRow {
    /// The element's pointer template (`*` for any array index); for an undefined field,
    /// its concrete pointer.
    pub pointer: String,
    pub name: LangText,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub representation: Option<String>,
    pub required: bool,
    pub status: FieldStatus,
    /// How many values the document has for it.
    pub count: usize,
}

/// How much of the structure the document covers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Coverage {
    pub required_present: usize,
    pub required_total: usize,
    pub optional_used: usize,
    pub optional_total: usize,
    pub undefined_fields: usize,
}

/// A national structure close to an own-template document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Nearest {
    pub oid: String,
    pub name: LangText,
    /// Field overlap between 0 and 1.
    pub score: f64,
}

/// Facts of the document that reports and metrics group by (never personal data).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DocumentFacts {
    /// `cda` or `json`.
    pub format: &'static str,
    /// The service task code (functionCode), as declared or given by the caller.
    pub service_task: Option<String>,
    /// The process phase code (serviceProcess).
    pub phase: Option<String>,
    /// The custodian organisation OID.
    pub custodian: Option<String>,
}

/// Everything a check found about one document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub verdict: Verdict,
    pub structure: Option<StructureRef>,
    pub findings: Vec<Finding>,
    /// Findings beyond the limit, counted but not returned.
    pub findings_omitted: usize,
    pub fields: Vec<FieldRow>,
    pub coverage: Option<Coverage>,
    pub nearest: Vec<Nearest>,
    pub document: DocumentFacts,
}

impl Report {
    pub fn errors(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count()
    }
}
