//! Plain text: aligned columns for a terminal.
//!
//! The column aligner ([`write_aligned`]) is kept hand-written rather than taken from a
//! table crate (comfy-table, tabled): it is 40 lines with no dependency, and the crates
//! bring their own (unicode-segmentation, unicode-width, crossterm or proc-macros) to the
//! cold build while, set up to print this plain layout (no borders, two-space gaps, a
//! dashed rule, right-aligned counts), they would need about as many lines of
//! configuration. The Markdown renderer writes its rows directly and needs none either.

use std::io::{self, Write};

use super::{cell, column, element_name, group_headings, group_row, labels, score_text};
use crate::definitions::Lang;
use crate::report::survey::{GroupBy, Summary, VERDICTS};

/// The three tables of a summary as one text, each headed by its title.
pub fn render(summary: &Summary, lang: Lang, out: &mut dyn Write) -> io::Result<()> {
    let l = labels(lang);
    let (name_heading, key_heading) = group_headings(summary.by, lang);
    let own_column = summary.by == GroupBy::Structure;

    let mut headings = vec![name_heading.to_string(), key_heading.to_string()];
    headings.extend(VERDICTS.iter().map(|&v| column(v, lang).to_string()));
    headings.push(l.total.to_string());
    if own_column {
        headings.push(l.own_score.to_string());
    }
    let mut rows = Vec::new();
    for group in &summary.groups {
        let row = group_row(group, lang, own_column, str::to_string);
        rows.push(row);
    }
    let mut total = vec![l.total.to_string(), String::new()];
    total.extend(
        VERDICTS
            .iter()
            .map(|&v| cell(summary.marks.get(v), summary.totals.get(v))),
    );
    total.push(summary.documents.to_string());
    if own_column {
        total.push(String::new());
    }
    rows.push(total);
    writeln!(out, "{}", l.title)?;
    writeln!(out)?;
    write_aligned(out, &headings, &rows, &[false, false])?;

    writeln!(out)?;
    writeln!(out, "{}", l.top_findings)?;
    let headings = [
        "#",
        l.occurrences,
        l.documents,
        l.severity,
        l.rule,
        l.element,
    ]
    .map(str::to_string);
    let rows: Vec<Vec<String>> = summary
        .top_findings
        .iter()
        .enumerate()
        .map(|(i, f)| {
            vec![
                (i + 1).to_string(),
                f.occurrences.to_string(),
                f.documents.to_string(),
                f.severity.as_str().to_string(),
                f.rule.clone(),
                element_name(f.element.as_ref(), lang),
            ]
        })
        .collect();
    write_aligned(out, &headings, &rows, &[true, true, true])?;

    if !summary.own_templates.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", l.own_templates)?;
        let headings = [l.nearest, l.oid, l.documents, l.score, l.files].map(str::to_string);
        let rows: Vec<Vec<String>> = summary
            .own_templates
            .iter()
            .map(|own| {
                vec![
                    own.name
                        .as_ref()
                        .map_or(l.none.to_string(), |n| n.get(lang).to_string()),
                    own.oid.clone().unwrap_or_default(),
                    own.score.documents.to_string(),
                    score_text(&own.score),
                    files_text(own, l.more, 3),
                ]
            })
            .collect();
        write_aligned(out, &headings, &rows, &[false, false, true])?;
    }
    if summary.not_checked > 0 {
        writeln!(out)?;
        writeln!(out, "{} {}", summary.not_checked, l.not_checked)?;
    }
    Ok(())
}

/// The first `shown` own-template files with their scores, and how many more there are.
pub(crate) fn files_text(
    own: &crate::report::survey::OwnTemplateSummary,
    more: &str,
    shown: usize,
) -> String {
    let mut text = own
        .files
        .iter()
        .take(shown)
        .map(|f| format!("{} ({:.2})", f.file, f.score))
        .collect::<Vec<_>>()
        .join(", ");
    let rest = own
        .score
        .documents
        .saturating_sub(own.files.len().min(shown) as u64);
    if rest > 0 {
        text.push_str(&format!(" … +{rest} {more}"));
    }
    text
}

/// Writes rows under headings, columns padded to their widest cell; `right[i]` right-aligns
/// column `i` (columns past its end are left-aligned).
fn write_aligned(
    out: &mut dyn Write,
    headings: &[String],
    rows: &[Vec<String>],
    right: &[bool],
) -> io::Result<()> {
    let width = |s: &str| s.chars().count();
    let mut widths: Vec<usize> = headings.iter().map(|h| width(h)).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(width(cell));
        }
    }
    let line = |cells: &[String]| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            let pad = " ".repeat(widths[i] - width(cell));
            if right.get(i).copied().unwrap_or(false) {
                text.push_str(&pad);
                text.push_str(cell);
            } else {
                text.push_str(cell);
                text.push_str(&pad);
            }
        }
        text.trim_end().to_string()
    };
    writeln!(out, "{}", line(headings))?;
    let rule: Vec<String> = widths.iter().map(|&w| "-".repeat(w)).collect();
    writeln!(out, "{}", line(&rule))?;
    for row in rows {
        writeln!(out, "{}", line(row))?;
    }
    Ok(())
}
