//! JUnit XML, so CI systems show a fixture run as tests: one test case per document.
//!
//! A FULLY_CONFORMANT document passes. Any other verdict is a `<failure>` whose type is
//! the verdict and whose text lists the ERROR findings (rule, location, element, message)
//! and, for an own template, the nearest national structures. A document that could not
//! be checked at all (unreadable file, empty document) is an `<error>`. WARNING and INFO
//! findings go to the test case's `<system-out>`.
//!
//! The suite's counts head the file, so test cases are kept (as XML text, a few hundred
//! bytes each) until [`JunitSuite::write`].

use std::fmt::Write as _;
use std::io::{self, Write};
use std::time::Duration;

use crate::check::report::{Finding, Report, Severity, Verdict};
use crate::definitions::Lang;
use crate::report::TextLabels;
use crate::report::escape_xml as esc;

/// One test suite under construction.
#[derive(Debug, Clone, Default)]
pub struct JunitSuite {
    name: String,
    cases: String,
    tests: usize,
    failures: usize,
    errors: usize,
    time: Duration,
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
        let c = &mut self.cases;
        let _ = writeln!(
            c,
            "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.3}\">",
            esc(file),
            esc(&classname),
            time.as_secs_f64()
        );
        if report.verdict != Verdict::FullyConformant {
            self.failures += 1;
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
            let _ = writeln!(
                c,
                "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                esc(&message),
                report.verdict.as_str(),
                esc(&text)
            );
        }
        let other: Vec<String> = report
            .findings
            .iter()
            .filter(|f| f.severity != Severity::Error)
            .map(|f| finding_line(f, lang))
            .collect();
        if !other.is_empty() {
            let _ = writeln!(
                c,
                "      <system-out>{}\n</system-out>",
                esc(&other.join("\n"))
            );
        }
        c.push_str("    </testcase>\n");
    }

    /// Adds the test case of a document that could not be checked; `message` says why.
    pub fn add_error(&mut self, file: &str, message: &str) {
        self.tests += 1;
        self.errors += 1;
        let _ = writeln!(
            self.cases,
            "    <testcase name=\"{}\" classname=\"rakenne\" time=\"0.000\">\n      <error message=\"{}\" type=\"not-checked\"/>\n    </testcase>",
            esc(file),
            esc(message)
        );
    }

    /// Writes the whole file: `<testsuites>` with this one suite.
    pub fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        let counts = format!(
            "tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{:.3}\"",
            self.tests,
            self.failures,
            self.errors,
            self.time.as_secs_f64()
        );
        writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
        writeln!(out, "<testsuites name=\"{}\" {counts}>", esc(&self.name))?;
        writeln!(
            out,
            "  <testsuite name=\"{}\" {counts} skipped=\"0\">",
            esc(&self.name)
        )?;
        out.write_all(self.cases.as_bytes())?;
        writeln!(out, "  </testsuite>\n</testsuites>")
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
    }
}
