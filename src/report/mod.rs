//! Reports over many documents: the pilots' survey table and JUnit XML for CI.
//!
//! Like the engine, this module is synchronous and knows nothing of the CLI or gRPC: the
//! [`survey::Survey`] accumulator takes one [`Report`](crate::check::report::Report) at a
//! time and keeps only counts and a bounded sample, so a survey of any number of
//! documents runs in constant memory; [`render`] turns its [`survey::Summary`] into a
//! table, Markdown, CSV, JSON or a self-contained HTML page; [`junit`] writes one test case
//! per document.
//!
//! Privacy: outputs carry file names, verdicts, rule ids, element names, pointers and the
//! engine's (masked) messages, never document content.

pub mod junit;
pub mod render;
pub mod survey;

use crate::check::report::ChosenBy;
use crate::definitions::Lang;

/// The fixed words of the per-document outputs (the `validate` text report and JUnit) in
/// one language, so a report never mixes languages. Severity and verdict tokens (ERROR,
/// FULLY_CONFORMANT) and rule ids are machine codes and stay as they are; each verdict is
/// followed by its label in the report's language.
#[derive(Debug, Clone, Copy)]
pub struct TextLabels {
    pub frame: &'static str,
    pub structure: &'static str,
    pub nearest: &'static str,
    pub score: &'static str,
    pub declared: &'static str,
    pub by_caller: &'static str,
    pub by_root_key: &'static str,
    /// `… {n} {more_findings}`.
    pub more_findings: &'static str,
}

const TEXT_FI: TextLabels = TextLabels {
    frame: "kehys",
    structure: "rakenne",
    nearest: "lähin",
    score: "osuvuus",
    declared: "ilmoitettu",
    by_caller: "kutsujan valitsema",
    by_root_key: "juuriavaimen mukaan",
    more_findings: "havaintoa lisää, ei näytetä",
};

const TEXT_SV: TextLabels = TextLabels {
    frame: "ram",
    structure: "struktur",
    nearest: "närmaste",
    score: "likhet",
    declared: "angiven",
    by_caller: "vald av anroparen",
    by_root_key: "enligt rotnyckeln",
    more_findings: "fynd till visas inte",
};

const TEXT_EN: TextLabels = TextLabels {
    frame: "frame",
    structure: "structure",
    nearest: "nearest",
    score: "score",
    declared: "declared",
    by_caller: "chosen by the caller",
    by_root_key: "by root key",
    more_findings: "more findings not shown",
};

impl TextLabels {
    pub fn of(lang: Lang) -> &'static Self {
        match lang {
            Lang::Fi => &TEXT_FI,
            Lang::Sv => &TEXT_SV,
            Lang::En => &TEXT_EN,
        }
    }

    /// How the structure was chosen, in words.
    pub fn chosen_by(&self, chosen_by: ChosenBy) -> &'static str {
        match chosen_by {
            ChosenBy::Declared => self.declared,
            ChosenBy::Caller => self.by_caller,
            ChosenBy::RootKey => self.by_root_key,
        }
    }
}

/// "2 errors, 1 warning" in the report's language.
pub fn count_line(lang: Lang, errors: usize, warnings: usize) -> String {
    match lang {
        Lang::Fi => format!(
            "{errors} {}, {warnings} {}",
            if errors == 1 { "virhe" } else { "virhettä" },
            if warnings == 1 {
                "varoitus"
            } else {
                "varoitusta"
            }
        ),
        Lang::Sv => format!(
            "{errors} fel, {warnings} {}",
            if warnings == 1 {
                "varning"
            } else {
                "varningar"
            }
        ),
        Lang::En => format!(
            "{errors} {}, {warnings} {}",
            if errors == 1 { "error" } else { "errors" },
            if warnings == 1 { "warning" } else { "warnings" }
        ),
    }
}

/// Escapes text for XML and HTML (content and attribute values alike), and drops the
/// characters XML 1.0 does not allow, so any message yields a well-formed document.
pub fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_forbidden_characters() {
        assert_eq!(
            escape_xml("a<b & \"c\" 'd'>\u{1}\u{FFFF}\n"),
            "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;\n"
        );
    }
}
