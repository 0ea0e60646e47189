//! One last pass over every finished report before anyone sees it (CLI and service alike).
//!
//! The rules quote document values only through [`mask`], but a document can put a
//! henkilötunnus or megabytes of text where no rule expects it: in an element name, a JSON
//! key, an attribute that ends up in a path or pointer. Rather than trusting every rule to
//! think of every place, this pass treats each echoed text the same way:
//!
//! - every substring with the shape of a henkilötunnus (see [`looks_like_hetu`]) is masked
//!   with [`mask`], wherever it came from;
//! - every text is cut to [`MAX_ECHO_CHARS`] characters (ending with `…`);
//! - undefined-field rows are capped at the findings limit (the full count stays in
//!   [`Coverage::undefined_fields`](super::report::Coverage));
//! - the whole report is kept under [`MAX_REPORT_BYTES`], trailing findings becoming
//!   omitted ones, so that a default gRPC client (4 MiB limit) accepts the answer.

use super::report::{FieldStatus, Report};
use crate::definitions::LangText;
use crate::identifiers::{looks_like_hetu, mask};

/// The longest message, path, pointer or element name a report carries, in characters.
pub const MAX_ECHO_CHARS: usize = 512;

/// Upper bound of a report's echoed text, in bytes (messages, paths, pointers and names,
/// plus a fixed allowance per finding and field row for the other fields). Below the 4 MiB
/// default message limit of gRPC clients, with room for the envelope.
pub const MAX_REPORT_BYTES: usize = 3 * 1024 * 1024;

/// Bytes counted per finding or field row for what is not text (rule id, severity, line,
/// column, flags and protobuf framing).
const ROW_OVERHEAD_BYTES: usize = 64;

/// A henkilötunnus is 11 ASCII characters.
const HETU_LEN: usize = 11;

/// Masks every henkilötunnus-shaped substring of `text` and cuts it to `max_chars`
/// characters (the last one `…` when cut).
#[must_use]
pub fn clean(text: &str, max_chars: usize) -> String {
    // Bounded work on huge texts: only what can survive the cut is scanned, plus enough
    // for a henkilötunnus that starts before the cut to be seen whole.
    let scan_end = text
        .char_indices()
        .nth(max_chars + HETU_LEN)
        .map_or(text.len(), |(at, _)| at);
    let scanned = &text[..scan_end];
    let mut masked = String::with_capacity(scanned.len());
    let mut rest = scanned;
    let mut at = 0;
    while at + HETU_LEN <= rest.len() {
        let window_end = at + HETU_LEN;
        if rest.is_char_boundary(at)
            && rest.is_char_boundary(window_end)
            && looks_like_hetu(&rest[at..window_end])
        {
            masked.push_str(&rest[..at]);
            masked.push_str(&mask(&rest[at..window_end]));
            rest = &rest[window_end..];
            at = 0;
        } else {
            at += 1;
        }
    }
    masked.push_str(rest);
    truncate(masked, max_chars)
}

fn truncate(text: String, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        None => text,
        Some(_) => {
            let keep = text
                .char_indices()
                .nth(max_chars.saturating_sub(1))
                .map_or(text.len(), |(at, _)| at);
            let mut cut = text[..keep].to_string();
            cut.push('…');
            cut
        }
    }
}

fn clean_in_place(text: &mut String) {
    // Most texts are short and clean: leave them untouched.
    if text.len() < HETU_LEN && text.len() <= MAX_ECHO_CHARS {
        return;
    }
    *text = clean(text, MAX_ECHO_CHARS);
}

fn clean_name(name: &mut LangText) {
    clean_in_place(&mut name.fi);
    clean_in_place(&mut name.sv);
}

/// Cleans every echoed text of `report`, caps its undefined-field rows at `max_rows` and
/// keeps it under [`MAX_REPORT_BYTES`].
pub fn sanitize(report: &mut Report, max_rows: usize) {
    for finding in &mut report.findings {
        clean_in_place(&mut finding.message);
        if let Some(path) = &mut finding.path {
            clean_in_place(path);
        }
        if let Some(pointer) = &mut finding.pointer {
            clean_in_place(pointer);
        }
        if let Some(element) = &mut finding.element {
            clean_name(&mut element.name);
        }
    }
    let mut undefined = 0usize;
    report.fields.retain(|row| {
        if row.status != FieldStatus::Undefined {
            return true;
        }
        undefined += 1;
        undefined <= max_rows
    });
    for row in &mut report.fields {
        clean_in_place(&mut row.pointer);
        clean_name(&mut row.name);
    }
    for nearest in &mut report.nearest {
        clean_name(&mut nearest.name);
    }
    keep_under_cap(report);
}

fn finding_bytes(finding: &super::report::Finding) -> usize {
    ROW_OVERHEAD_BYTES
        + finding.rule.len()
        + finding.message.len()
        + finding.path.as_ref().map_or(0, String::len)
        + finding.pointer.as_ref().map_or(0, String::len)
        + finding
            .element
            .as_ref()
            .map_or(0, |e| e.name.fi.len() + e.name.sv.len())
}

/// Drops trailing field rows, then trailing findings (counted as omitted), until the
/// report's text fits [`MAX_REPORT_BYTES`].
fn keep_under_cap(report: &mut Report) {
    let field_bytes = |row: &super::report::FieldRow| {
        ROW_OVERHEAD_BYTES + row.pointer.len() + row.name.fi.len() + row.name.sv.len()
    };
    let mut total: usize = report.findings.iter().map(finding_bytes).sum::<usize>()
        + report.fields.iter().map(field_bytes).sum::<usize>();
    while total > MAX_REPORT_BYTES {
        if let Some(row) = report.fields.pop() {
            total -= field_bytes(&row);
        } else if let Some(finding) = report.findings.pop() {
            total -= finding_bytes(&finding);
            report.findings_omitted += 1;
        } else {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_every_hetu_shaped_substring() {
        let text = "element 010190-999Wx and /a/131052-928T/b";
        let cleaned = clean(text, MAX_ECHO_CHARS);
        assert_eq!(cleaned, "element ******-****x and /a/******-****/b");
    }

    #[test]
    fn cuts_long_texts_and_masks_across_the_cut() {
        let long = "x".repeat(10_000);
        let cleaned = clean(&long, 20);
        assert_eq!(cleaned.chars().count(), 20);
        assert!(cleaned.ends_with('…'));
        let straddling = format!("{}010190-999W", "y".repeat(15));
        let cleaned = clean(&straddling, 20);
        assert!(!cleaned.contains("010190"), "{cleaned}");
        assert!(!cleaned.contains("0101"), "{cleaned}");
    }

    #[test]
    fn keeps_short_and_multibyte_texts() {
        assert_eq!(clean("äö", 10), "äö");
        assert_eq!(clean("ääääää", 3), "ää…");
        assert_eq!(clean("", 3), "");
    }
}
