//! What a check finds: the finding, its severity and location, the capped list of them,
//! and the `msg!` macro that picks a message's language.
//!
//! Below both `document/` (the readers report what they cannot read as findings) and
//! `check/` (the rules); owned by neither. It knows nothing of XML trees or definitions:
//! those layers convert their own types into an [`XmlPlace`] or an [`ElementRef`].

use serde::Serialize;

use crate::lang::{Lang, LangText};

/// How bad a finding is. Only errors affect the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "ERROR",
            Self::Warning => "WARNING",
            Self::Info => "INFO",
        }
    }
}

/// The element a finding is about, as the definition names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ElementRef {
    pub name: LangText,
    /// The Sosmeta representation (Koodi, Pvm, ...), if the definition gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub representation: Option<String>,
}

/// One thing found wrong (or worth saying) about a document.
///
/// Messages never carry a personal value in full: identifiers and free text are masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable rule id, e.g. `content.required`, `header.hetu.checksum`.
    pub rule: String,
    pub severity: Severity,
    /// RFC 6901 pointer into the structured content, where the finding is.
    pub pointer: Option<String>,
    /// XPath-like location in the CDA document or frame.
    pub path: Option<String>,
    /// 1-based line and column in the XML (or JSON) source, where known.
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub element: Option<ElementRef>,
    pub message: String,
}

/// Picks the message in the language asked for: `msg!(lang, "fi ...", "sv ...", "en ...")`
/// with `format!` arguments after the three texts, shared by all three.
#[macro_export]
macro_rules! msg {
    ($lang:expr, $fi:literal, $sv:literal, $en:literal $(, $arg:expr)* $(,)?) => {
        match $lang {
            $crate::lang::Lang::Fi => format!($fi $(, $arg)*),
            $crate::lang::Lang::Sv => format!($sv $(, $arg)*),
            $crate::lang::Lang::En => format!($en $(, $arg)*),
        }
    };
}

/// Grades a finding as it is kept. The check layer supplies it (a rule's authority in the
/// catalogue, an organisation layer's re-gradings): this module knows neither.
pub type Grader = std::sync::Arc<dyn Fn(&mut Finding, Lang) + Send + Sync>;

/// The findings of one check, in the order found, with a cap on how many are kept.
pub struct Findings {
    pub lang: Lang,
    list: Vec<Finding>,
    max: usize,
    omitted: usize,
    errors: usize,
    grader: Option<Grader>,
}

impl std::fmt::Debug for Findings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Findings")
            .field("lang", &self.lang)
            .field("kept", &self.list.len())
            .field("max", &self.max)
            .field("omitted", &self.omitted)
            .field("errors", &self.errors)
            .finish_non_exhaustive()
    }
}

impl Findings {
    pub fn new(lang: Lang, max: usize) -> Self {
        Self {
            lang,
            list: Vec::new(),
            max,
            omitted: 0,
            errors: 0,
            grader: None,
        }
    }

    /// Grades every finding pushed from now on with `grader` (see [`Grader`]).
    pub fn with_grader(mut self, grader: Grader) -> Self {
        self.grader = Some(grader);
        self
    }

    /// Keeps a finding, graded first when a grader is set, within the cap.
    pub fn push(&mut self, mut finding: Finding) {
        if let Some(grade) = &self.grader {
            grade(&mut finding, self.lang);
        }
        if finding.severity == Severity::Error {
            self.errors += 1;
        }
        if self.list.len() < self.max {
            self.list.push(finding);
        } else {
            self.omitted += 1;
        }
    }

    /// The last finding kept, to add detail to it.
    pub fn last_mut(&mut self) -> Option<&mut Finding> {
        self.list.last_mut()
    }

    /// ERROR findings so far, kept or not.
    pub fn errors(&self) -> usize {
        self.errors
    }

    pub fn iter(&self) -> impl Iterator<Item = &Finding> {
        self.list.iter()
    }

    pub fn into_parts(self) -> (Vec<Finding>, usize) {
        (self.list, self.omitted)
    }
}

/// Where in an XML source a finding is: the element's XPath-like path and its 1-based
/// line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlPlace {
    pub path: String,
    pub line: u32,
    pub column: u32,
}

/// A new finding with no location yet.
pub fn finding(rule: &str, severity: Severity, message: String) -> Finding {
    Finding {
        rule: rule.to_string(),
        severity,
        pointer: None,
        path: None,
        line: None,
        column: None,
        element: None,
        message,
    }
}

impl Finding {
    /// Places the finding at a pointer into the content.
    pub fn at_pointer(mut self, pointer: impl Into<String>) -> Self {
        self.pointer = Some(pointer.into());
        self
    }

    /// Places the finding at an XML element (its path, line and column); the XML reader
    /// turns its nodes into an [`XmlPlace`].
    pub fn at_node(mut self, place: impl Into<XmlPlace>) -> Self {
        let place = place.into();
        self.path = Some(place.path);
        self.line = Some(place.line);
        self.column = Some(place.column);
        self
    }

    /// Places the finding at an XML path and position.
    pub fn at_xml(mut self, path: impl Into<String>, line: u32, column: u32) -> Self {
        self.path = Some(path.into());
        self.line = Some(line);
        self.column = Some(column);
        self
    }

    /// Names the definition's element the finding is about; the definitions turn their
    /// elements into an [`ElementRef`].
    pub fn about(mut self, element: impl Into<ElementRef>) -> Self {
        self.element = Some(element.into());
        self
    }
}
