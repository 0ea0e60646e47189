//! Building findings: localised messages, locations, a cap on how many are kept.

use std::sync::Arc;

use super::catalogue;
use super::report::{ElementRef, Finding, Severity};
use crate::definitions::Lang;
use crate::definitions::bindings::Regrade;
use crate::definitions::structure::Element;
use crate::document::xml::Node;

/// Picks the message in the language asked for: `msg!(lang, "fi ...", "sv ...", "en ...")`
/// with `format!` arguments after the three texts, shared by all three.
#[macro_export]
macro_rules! msg {
    ($lang:expr, $fi:literal, $sv:literal, $en:literal $(, $arg:expr)* $(,)?) => {
        match $lang {
            $crate::definitions::Lang::Fi => format!($fi $(, $arg)*),
            $crate::definitions::Lang::Sv => format!($sv $(, $arg)*),
            $crate::definitions::Lang::En => format!($en $(, $arg)*),
        }
    };
}

/// The findings of one check, in the order found, with a cap on how many are kept.
#[derive(Debug)]
pub struct Findings {
    pub lang: Lang,
    list: Vec<Finding>,
    max: usize,
    omitted: usize,
    errors: usize,
    /// The organisation layers' re-gradings in force.
    regrades: Arc<[Regrade]>,
}

impl Findings {
    pub fn new(lang: Lang, max: usize) -> Self {
        Self {
            lang,
            list: Vec::new(),
            max,
            omitted: 0,
            errors: 0,
            regrades: Arc::from(Vec::new()),
        }
    }

    /// Re-grades rules as the organisation layers in force say (see [`Findings::push`]).
    pub fn with_regrades(mut self, regrades: Arc<[Regrade]>) -> Self {
        self.regrades = regrades;
        self
    }

    /// Keeps a finding, graded first: a rule the catalogue marks as inferred from example
    /// documents is at most a WARNING, and an organisation layer's re-grading of the rule
    /// replaces the severity, with a note in the message naming the engine's severity and
    /// the organisation (so that a lowered ERROR is never silent).
    pub fn push(&mut self, mut finding: Finding) {
        self.grade(&mut finding);
        if finding.severity == Severity::Error {
            self.errors += 1;
        }
        if self.list.len() < self.max {
            self.list.push(finding);
        } else {
            self.omitted += 1;
        }
    }

    fn grade(&self, finding: &mut Finding) {
        if finding.severity == Severity::Error
            && catalogue::get(&finding.rule).is_some_and(|r| r.authority.is_inferred())
        {
            finding.severity = Severity::Warning;
        }
        let Some(regrade) = self.regrades.iter().find(|r| r.rule == finding.rule) else {
            return;
        };
        if regrade.severity == finding.severity {
            return;
        }
        let (from, to, organisation) = (
            finding.severity.as_str(),
            regrade.severity.as_str(),
            regrade.organisation.as_str(),
        );
        let note = match regrade.reason.as_str() {
            "" => msg!(
                self.lang,
                "vakavuus {} → {} organisaation {} sidontakerroksen mukaan",
                "allvarlighetsgrad {} → {} enligt organisationens {} bindningslager",
                "severity {} → {} by the bindings layer of organisation {}",
                from,
                to,
                organisation
            ),
            reason => msg!(
                self.lang,
                "vakavuus {} → {} organisaation {} sidontakerroksen mukaan: {}",
                "allvarlighetsgrad {} → {} enligt organisationens {} bindningslager: {}",
                "severity {} → {} by the bindings layer of organisation {}: {}",
                from,
                to,
                organisation,
                reason
            ),
        };
        finding.message = format!("{} [{note}]", finding.message);
        finding.severity = regrade.severity;
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

    /// Places the finding at an XML element (its path, line and column).
    pub fn at_node(mut self, node: Node<'_>) -> Self {
        let location = node.location();
        self.path = Some(node.path());
        self.line = Some(location.line);
        self.column = Some(location.column);
        self
    }

    /// Places the finding at an XML path and position.
    pub fn at_xml(mut self, path: impl Into<String>, line: u32, column: u32) -> Self {
        self.path = Some(path.into());
        self.line = Some(line);
        self.column = Some(column);
        self
    }

    /// Names the definition's element the finding is about.
    pub fn about(mut self, element: &Element) -> Self {
        self.element = Some(ElementRef {
            name: element.name.clone(),
            representation: element
                .representation
                .as_ref()
                .map(|r| r.as_fi().to_string()),
        });
        self
    }
}
