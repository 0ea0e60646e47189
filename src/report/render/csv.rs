//! CSV (RFC 4180, comma separated) for spreadsheets: blocks separated by one empty line,
//! each with its own header line:
//!
//! 1. the table: `row` (`group` or `total`), the key (`structure_oid`, `service_task` or
//!    `organisation_oid`), `name`, the counts per verdict, `total`, the marks per verdict
//!    (`X`, `x` or empty) and the own-template scores (grouping by structure);
//! 2. the most frequent findings: `rank,rule,severity,element,occurrences,documents`;
//! 3. own templates by nearest structure (when there are any):
//!    `nearest_oid,nearest_name,documents,score_mean,score_min,score_max,files`;
//! 4. `not_checked` and its count, when some documents could not be checked.
//!
//! Headings are fixed English identifiers; names are in the language asked for.
//!
//! Records are written by the `csv` crate (quoting only where RFC 4180 needs it, CRLF line
//! ends, records of different lengths in one file); only the empty line between blocks is
//! written here.

use std::io::{self, Write};

use super::{element_name, group_name, labels};
use crate::definitions::Lang;
use crate::report::survey::{GroupBy, Marks, ScoreSummary, Summary, VERDICTS, VerdictCounts};

pub fn render(summary: &Summary, lang: Lang, out: &mut dyn Write) -> io::Result<()> {
    let l = labels(lang);
    let mut block = writer(out);
    let key = match summary.by {
        GroupBy::Structure => "structure_oid",
        GroupBy::ServiceTask => "service_task",
        GroupBy::Organisation => "organisation_oid",
    };
    write_record(
        &mut block,
        [
            "row",
            key,
            "name",
            "fully_conformant",
            "partly_conformant",
            "own_template",
            "unreadable",
            "total",
            "mark_fully_conformant",
            "mark_partly_conformant",
            "mark_own_template",
            "mark_unreadable",
            "own_template_score_mean",
            "own_template_score_min",
            "own_template_score_max",
        ]
        .map(str::to_string),
    )?;
    for group in &summary.groups {
        let mut record = vec![
            "group".to_string(),
            group.key.clone(),
            group_name(group, lang),
        ];
        counts_and_marks(&mut record, &group.counts, &group.marks);
        record.extend(scores(group.own_template_score.as_ref()));
        write_record(&mut block, record)?;
    }
    let mut record = vec!["total".to_string(), String::new(), l.total.to_string()];
    counts_and_marks(&mut record, &summary.totals, &summary.marks);
    record.extend(scores(None));
    write_record(&mut block, record)?;

    block = next_block(block)?;
    write_record(
        &mut block,
        [
            "rank",
            "rule",
            "severity",
            "element",
            "occurrences",
            "documents",
        ]
        .map(str::to_string),
    )?;
    for (i, f) in summary.top_findings.iter().enumerate() {
        write_record(
            &mut block,
            [
                (i + 1).to_string(),
                f.rule.clone(),
                f.severity.as_str().to_string(),
                f.element
                    .as_ref()
                    .map(|e| element_name(Some(e), lang))
                    .unwrap_or_default(),
                f.occurrences.to_string(),
                f.documents.to_string(),
            ],
        )?;
    }

    if !summary.own_templates.is_empty() {
        block = next_block(block)?;
        write_record(
            &mut block,
            [
                "nearest_oid",
                "nearest_name",
                "documents",
                "score_mean",
                "score_min",
                "score_max",
                "files",
            ]
            .map(str::to_string),
        )?;
        for own in &summary.own_templates {
            let mut record = vec![
                own.oid.clone().unwrap_or_default(),
                own.name
                    .as_ref()
                    .map(|n| n.get(lang).to_string())
                    .unwrap_or_default(),
                own.score.documents.to_string(),
            ];
            record.extend(scores(Some(&own.score)));
            record.push(
                own.files
                    .iter()
                    .map(|f| f.file.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            );
            write_record(&mut block, record)?;
        }
    }
    if summary.not_checked > 0 {
        block = next_block(block)?;
        write_record(&mut block, ["not_checked".to_string()])?;
        write_record(&mut block, [summary.not_checked.to_string()])?;
    }
    block.flush()
}

fn counts_and_marks(record: &mut Vec<String>, counts: &VerdictCounts, marks: &Marks) {
    record.extend(VERDICTS.iter().map(|&v| counts.get(v).to_string()));
    record.push(counts.total().to_string());
    record.extend(VERDICTS.iter().map(|&v| marks.get(v).as_str().to_string()));
}

fn scores(score: Option<&ScoreSummary>) -> [String; 3] {
    match score {
        Some(s) => [
            format!("{:.4}", s.mean),
            format!("{:.4}", s.min),
            format!("{:.4}", s.max),
        ],
        None => Default::default(),
    }
}

type CsvWriter<'a> = csv::Writer<&'a mut dyn Write>;

/// A writer of one block's records: RFC 4180 quoting where needed, CRLF line ends, and
/// records of different lengths (the `not_checked` block has one field).
fn writer(out: &mut dyn Write) -> CsvWriter<'_> {
    csv::WriterBuilder::new()
        .flexible(true)
        .terminator(csv::Terminator::CRLF)
        .from_writer(out)
}

fn write_record(
    out: &mut CsvWriter<'_>,
    fields: impl IntoIterator<Item = String>,
) -> io::Result<()> {
    Ok(out.write_record(fields)?)
}

/// Ends a block with an empty line and starts the next. (The `csv` writer would write an
/// empty record as `""`, so the line is written to the output itself.)
fn next_block(block: CsvWriter<'_>) -> io::Result<CsvWriter<'_>> {
    let out = block.into_inner().map_err(|e| e.into_error())?;
    out.write_all(b"\r\n")?;
    Ok(writer(out))
}
