//! JUnit XML, so CI systems show a fixture run as tests: one test case per document.
//!
//! A FULLY_CONFORMANT document passes. Any other verdict is a `<failure>` whose type is
//! the verdict and whose text lists the ERROR findings (rule, location, element, message)
//! and, for an own template, the nearest national structures. A document that could not
//! be checked at all (unreadable file, empty document) is an `<error>`. WARNING and INFO
//! findings go to the test case's `<system-out>`.
//!
//! The suite's counts head the file, so test cases are kept (their attributes and texts,
//! a few hundred bytes each) until [`JunitSuite::write`], which writes them with
//! `quick-xml`'s writer: it escapes attribute values and text; characters XML 1.0 does not
//! allow at all are dropped here first, so any message yields a well-formed file.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::time::Duration;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use crate::check::report::{Finding, Report, Severity, Verdict};
use crate::definitions::Lang;
use crate::report::TextLabels;

/// One test suite under construction.
#[derive(Debug, Clone, Default)]
pub struct JunitSuite {
    name: String,
    cases: Vec<Case>,
    tests: usize,
    failures: usize,
    errors: usize,
    time: Duration,
}

/// One document's test case.
#[derive(Debug, Clone)]
struct Case {
    name: String,
    classname: String,
    time: Duration,
    outcome: Outcome,
    /// The WARNING and INFO findings, one a line.
    system_out: Option<String>,
}

#[derive(Debug, Clone)]
enum Outcome {
    Passed,
    /// The document was checked and is not FULLY_CONFORMANT.
    Failure {
        message: String,
        verdict: &'static str,
        text: String,
    },
    /// The document could not be checked.
    Error {
        message: String,
    },
}

impl JunitSuite {
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    pub fn tests(&self) -> usize {
        self.tests
    }

    pub fn failures(&self) -> usize {
        self.failures
    }

    pub fn errors(&self) -> usize {
        self.errors
    }

    /// Adds the test case of one checked document; `time` is how long its check took, and
    /// `lang` the language of the nearest structures' names.
    pub fn add(&mut self, file: &str, report: &Report, time: Duration, lang: Lang) {
        self.tests += 1;
        self.time += time;
        let classname = match &report.structure {
            Some(structure) => format!("rakenne.{}", structure.root_key),
            None => "rakenne".to_string(),
        };
        let outcome = if report.verdict == Verdict::FullyConformant {
            Outcome::Passed
        } else {
            self.failures += 1;
            failure(report, lang)
        };
        let other: Vec<String> = report
            .findings
            .iter()
            .filter(|f| f.severity != Severity::Error)
            .map(|f| finding_line(f, lang))
            .collect();
        self.cases.push(Case {
            name: file.to_string(),
            classname,
            time,
            outcome,
            system_out: (!other.is_empty()).then(|| other.join("\n") + "\n"),
        });
    }

    /// Adds the test case of a document that could not be checked; `message` says why.
    pub fn add_error(&mut self, file: &str, message: &str) {
        self.tests += 1;
        self.errors += 1;
        self.cases.push(Case {
            name: file.to_string(),
            classname: "rakenne".to_string(),
            time: Duration::ZERO,
            outcome: Outcome::Error {
                message: message.to_string(),
            },
            system_out: None,
        });
    }

    /// Writes the whole file: `<testsuites>` with this one suite.
    pub fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut w = Writer::new_with_indent(out, b' ', 2);
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        let name = xml_chars(&self.name);
        let (tests, failures, errors) = (
            self.tests.to_string(),
            self.failures.to_string(),
            self.errors.to_string(),
        );
        let time = seconds(self.time);
        let counts = [
            ("tests", tests.as_str()),
            ("failures", failures.as_str()),
            ("errors", errors.as_str()),
            ("time", time.as_str()),
        ];
        w.write_event(Event::Start(
            BytesStart::new("testsuites")
                .with_attributes([("name", &*name)])
                .with_attributes(counts),
        ))?;
        w.write_event(Event::Start(
            BytesStart::new("testsuite")
                .with_attributes([("name", &*name)])
                .with_attributes(counts)
                .with_attributes([("skipped", "0")]),
        ))?;
        for case in &self.cases {
            write_case(&mut w, case)?;
        }
        w.write_event(Event::End(BytesEnd::new("testsuite")))?;
        w.write_event(Event::End(BytesEnd::new("testsuites")))?;
        w.get_mut().write_all(b"\n")
    }
}

fn write_case(w: &mut Writer<&mut dyn Write>, case: &Case) -> io::Result<()> {
    let time = seconds(case.time);
    w.write_event(Event::Start(BytesStart::new("testcase").with_attributes([
        ("name", &*xml_chars(&case.name)),
        ("classname", &*xml_chars(&case.classname)),
        ("time", time.as_str()),
    ])))?;
    match &case.outcome {
        Outcome::Passed => {}
        Outcome::Failure {
            message,
            verdict,
            text,
        } => {
            w.write_event(Event::Start(BytesStart::new("failure").with_attributes([
                ("message", &*xml_chars(message)),
                ("type", verdict),
            ])))?;
            w.write_event(Event::Text(BytesText::new(&xml_chars(text))))?;
            w.write_event(Event::End(BytesEnd::new("failure")))?;
        }
        Outcome::Error { message } => {
            w.write_event(Event::Empty(BytesStart::new("error").with_attributes([
                ("message", &*xml_chars(message)),
                ("type", "not-checked"),
            ])))?;
        }
    }
    if let Some(text) = &case.system_out {
        w.write_event(Event::Start(BytesStart::new("system-out")))?;
        w.write_event(Event::Text(BytesText::new(&xml_chars(text))))?;
        w.write_event(Event::End(BytesEnd::new("system-out")))?;
    }
    w.write_event(Event::End(BytesEnd::new("testcase")))
}

/// The `<failure>` of a document that is not FULLY_CONFORMANT: the verdict and the count
/// of errors as its message, the ERROR findings and the nearest structures as its text.
fn failure(report: &Report, lang: Lang) -> Outcome {
    let errors: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    let labels = TextLabels::of(lang);
    let mut message = format!(
        "{} ({}): {} ERROR",
        report.verdict.as_str(),
        report.verdict.label(lang),
        errors.len()
    );
    if let Some(nearest) = report.nearest.first() {
        let _ = write!(
            message,
            "; {} {} ({:.2})",
            labels.nearest, nearest.oid, nearest.score
        );
    }
    let mut text = String::new();
    for finding in &errors {
        text.push_str(&finding_line(finding, lang));
        text.push('\n');
    }
    if report.findings_omitted > 0 {
        let _ = writeln!(
            text,
            "... {} {}",
            report.findings_omitted, labels.more_findings
        );
    }
    for nearest in &report.nearest {
        let _ = writeln!(
            text,
            "{} {} {} {} {:.2}",
            labels.nearest,
            nearest.oid,
            nearest.name.get(lang),
            labels.score,
            nearest.score
        );
    }
    Outcome::Failure {
        message,
        verdict: report.verdict.as_str(),
        text,
    }
}

fn seconds(time: Duration) -> String {
    format!("{:.3}", time.as_secs_f64())
}

/// The text without the characters XML 1.0 does not allow (control characters other than
/// tab and line ends, U+FFFE, U+FFFF); the writer escapes the rest.
fn xml_chars(text: &str) -> Cow<'_, str> {
    let forbidden = |c: char| {
        (c < '\u{20}' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
    };
    if text.contains(forbidden) {
        Cow::Owned(text.chars().filter(|&c| !forbidden(c)).collect())
    } else {
        Cow::Borrowed(text)
    }
}

/// `SEVERITY rule location (element): message`.
fn finding_line(finding: &Finding, lang: Lang) -> String {
    let mut line = format!("{} {}", finding.severity.as_str(), finding.rule);
    if let Some(pointer) = &finding.pointer {
        line.push(' ');
        line.push_str(if pointer.is_empty() { "/" } else { pointer });
    }
    if let Some(path) = &finding.path {
        line.push(' ');
        line.push_str(path);
    }
    if let Some(l) = finding.line {
        let _ = write!(line, " {l}:{}", finding.column.unwrap_or(0));
    }
    // The element's name, unless the message already starts with it (content messages
    // do): one name, not two.
    if let Some(element) = &finding.element {
        let name = element.name.get(lang);
        if !name.is_empty() && !finding.message.starts_with(name) {
            let _ = write!(line, " ({name})");
        }
    }
    let _ = write!(line, ": {}", finding.message);
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::report::DocumentFacts;

    fn report(verdict: Verdict, findings: Vec<Finding>) -> Report {
        Report {
            verdict,
            structure: None,
            findings,
            findings_omitted: 0,
            fields: Vec::new(),
            coverage: None,
            nearest: Vec::new(),
            document: DocumentFacts::default(),
        }
    }

    fn finding(rule: &str, severity: Severity) -> Finding {
        Finding {
            rule: rule.to_string(),
            severity,
            pointer: Some("/a/b".to_string()),
            path: None,
            line: Some(1),
            column: Some(6),
            element: None,
            message: "bad <value> & more".to_string(),
        }
    }

    #[test]
    fn one_case_per_document_with_failures_and_errors() {
        let mut suite = JunitSuite::new("rakenne validate");
        suite.add(
            "ok.json",
            &report(
                Verdict::FullyConformant,
                vec![finding("x.w", Severity::Warning)],
            ),
            Duration::from_millis(2),
            Lang::Fi,
        );
        suite.add(
            "bad \"1\".json",
            &report(
                Verdict::Unreadable,
                vec![finding("json.syntax", Severity::Error)],
            ),
            Duration::from_millis(1),
            Lang::Fi,
        );
        suite.add_error("empty.json", "the document is empty");
        let mut out = Vec::new();
        suite.write(&mut out).unwrap();
        let xml = String::from_utf8(out).unwrap();
        assert!(xml.contains(
            "<testsuite name=\"rakenne validate\" tests=\"3\" failures=\"1\" errors=\"1\""
        ));
        assert!(xml.contains("name=\"bad &quot;1&quot;.json\""));
        assert!(xml.contains(
            "<failure message=\"UNREADABLE (ei luettavissa): 1 ERROR\" type=\"UNREADABLE\">"
        ));
        assert!(xml.contains("ERROR json.syntax /a/b 1:6: bad &lt;value&gt; &amp; more"));
        assert!(xml.contains("<system-out>WARNING x.w /a/b 1:6"));
        assert_eq!(xml.matches("<testcase ").count(), 3);
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "));
        assert!(xml.ends_with("</testsuite>\n</testsuites>\n"));
    }

    #[test]
    fn characters_xml_does_not_allow_are_dropped_and_markup_escaped() {
        let mut suite = JunitSuite::new("s");
        suite.add_error("a\u{1}b<c>.json", "x\u{FFFF} & 'y'\u{0}");
        let mut out = Vec::new();
        suite.write(&mut out).unwrap();
        let xml = String::from_utf8(out).unwrap();
        assert!(xml.contains("name=\"ab&lt;c&gt;.json\""), "{xml}");
        assert!(xml.contains("message=\"x &amp; &apos;y&apos;\""), "{xml}");
        assert!(!xml.contains('\u{1}') && !xml.contains('\u{0}'), "{xml}");
    }
}
