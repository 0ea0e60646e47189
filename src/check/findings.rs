//! Building findings: localised messages, locations, a cap on how many are kept.

use super::report::{ElementRef, Finding, Severity};
use crate::definitions::Lang;
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
}

impl Findings {
    pub fn new(lang: Lang, max: usize) -> Self {
        Self {
            lang,
            list: Vec::new(),
            max,
            omitted: 0,
            errors: 0,
        }
    }

    pub fn push(&mut self, finding: Finding) {
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
