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
