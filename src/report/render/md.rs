//! Markdown: the pilots' table as the pilot reports printed it, for a wiki or an issue.

use std::io::{self, Write};

use super::table::files_text;
use super::{cell, column, element_name, group_headings, group_row, labels, score_text};
use crate::definitions::Lang;
use crate::report::survey::{GroupBy, Summary, VERDICTS};

/// The summary as Markdown: a heading and three tables.
pub fn render(summary: &Summary, lang: Lang, out: &mut dyn Write) -> io::Result<()> {
    let l = labels(lang);
    let (name_heading, key_heading) = group_headings(summary.by, lang);
    let own_column = summary.by == GroupBy::Structure;

    writeln!(out, "# {}", l.title)?;
    writeln!(out)?;
    let mut headings = vec![name_heading, key_heading];
    headings.extend(VERDICTS.iter().map(|&v| column(v, lang)));
    headings.push(l.total);
    if own_column {
        headings.push(l.own_score);
    }
    write_row(out, headings.iter().map(|h| h.to_string()))?;
    write_row(out, headings.iter().map(|_| "---".to_string()))?;
    for group in &summary.groups {
        let row = group_row(group, lang, own_column, code);
        write_row(out, row)?;
    }
    let mut total = vec![format!("**{}**", l.total), String::new()];
    total.extend(
        VERDICTS
            .iter()
            .map(|&v| cell(summary.marks.get(v), summary.totals.get(v))),
    );
    total.push(format!("**{}**", summary.documents));
    if own_column {
        total.push(String::new());
    }
    write_row(out, total)?;

    writeln!(out)?;
    writeln!(out, "## {}", l.top_findings)?;
    writeln!(out)?;
    write_row(
        out,
        [
            "#",
            l.occurrences,
            l.documents,
            l.severity,
            l.rule,
            l.element,
        ]
        .map(str::to_string),
    )?;
    write_row(
        out,
        ["---:", "---:", "---:", "---", "---", "---"].map(str::to_string),
    )?;
    for (i, f) in summary.top_findings.iter().enumerate() {
        write_row(
            out,
            [
                (i + 1).to_string(),
                f.occurrences.to_string(),
                f.documents.to_string(),
                f.severity.as_str().to_string(),
                code(&f.rule),
                element_name(f.element.as_ref(), lang),
            ],
        )?;
    }

    if !summary.own_templates.is_empty() {
        writeln!(out)?;
        writeln!(out, "## {}", l.own_templates)?;
        writeln!(out)?;
        write_row(
            out,
            [l.nearest, l.oid, l.documents, l.score, l.files].map(str::to_string),
        )?;
        write_row(
            out,
            ["---", "---", "---:", "---", "---"].map(str::to_string),
        )?;
        for own in &summary.own_templates {
            write_row(
                out,
                [
                    own.name
                        .as_ref()
                        .map_or(l.none.to_string(), |n| n.get(lang).to_string()),
                    own.oid.as_deref().map(code).unwrap_or_default(),
                    own.score.documents.to_string(),
                    score_text(&own.score),
                    files_text(own, l.more, 3),
                ],
            )?;
        }
    }
    if summary.not_checked > 0 {
        writeln!(out)?;
        writeln!(out, "{} {}", summary.not_checked, l.not_checked)?;
    }
    Ok(())
}

/// An identifier in code style, or nothing for an empty one.
fn code(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!("`{text}`")
    }
}

fn write_row(out: &mut dyn Write, cells: impl IntoIterator<Item = String>) -> io::Result<()> {
    let cells: Vec<String> = cells.into_iter().map(|c| escape(&c)).collect();
    writeln!(out, "| {} |", cells.join(" | "))
}

/// Keeps a cell in its column: pipes escaped, line breaks as spaces.
fn escape(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}
