//! Renderers of a survey [`Summary`]: one module per output format.
//!
//! Every format shows the same facts: the pilots' table (one row per group with counts
//! per verdict column, the marks and totals), the most frequent findings, and the own
//! templates by nearest national structure. Only HTML adds the drill-down to sampled
//! documents.

pub mod csv;
pub mod html;
pub mod json;
pub mod md;
pub mod table;

use std::io::{self, Write};

use crate::check::report::Verdict;
use crate::definitions::{Lang, LangText};
use crate::report::survey::{GroupBy, GroupSummary, Mark, ScoreSummary, Summary, VERDICTS};

/// The output formats of a survey.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Format {
    /// Aligned plain text for a terminal.
    #[default]
    Table,
    /// Markdown tables.
    Md,
    /// CSV blocks (table, findings, own templates) separated by an empty line.
    Csv,
    /// The [`Summary`] as JSON.
    Json,
    /// One self-contained HTML page with a chart and drill-down.
    Html,
}

/// Writes `summary` in `format`, names and headings in `lang`.
pub fn render(
    summary: &Summary,
    format: Format,
    lang: Lang,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Table => table::render(summary, lang, out),
        Format::Md => md::render(summary, lang, out),
        Format::Csv => csv::render(summary, lang, out),
        Format::Json => json::render(summary, out),
        Format::Html => html::render(summary, lang, out),
    }
}

/// Headings and fixed words of the human-readable formats.
pub(crate) struct Labels {
    pub title: &'static str,
    pub structure: &'static str,
    pub structure_oid: &'static str,
    pub service_task: &'static str,
    pub code: &'static str,
    pub organisation: &'static str,
    pub oid: &'static str,
    pub total: &'static str,
    pub unknown: &'static str,
    pub own_score: &'static str,
    pub top_findings: &'static str,
    pub rule: &'static str,
    pub severity: &'static str,
    pub element: &'static str,
    pub occurrences: &'static str,
    pub documents: &'static str,
    pub own_templates: &'static str,
    pub nearest: &'static str,
    pub score: &'static str,
    pub files: &'static str,
    pub none: &'static str,
    pub not_checked: &'static str,
    pub more: &'static str,
}

const FI: Labels = Labels {
    title: "Asiakirjojen vastaavuus kansallisiin rakenteisiin",
    structure: "Asiakirja",
    structure_oid: "Rakenteen OID",
    service_task: "Palvelutehtävä",
    code: "Koodi",
    organisation: "Organisaatio",
    oid: "OID",
    total: "Yhteensä",
    unknown: "(tuntematon)",
    own_score: "Oman pohjan osuvuus",
    top_findings: "Yleisimmät havainnot",
    rule: "Sääntö",
    severity: "Vakavuus",
    element: "Tieto",
    occurrences: "Havaintoja",
    documents: "Asiakirjoja",
    own_templates: "Omat asiakirjapohjat ja lähin kansallinen rakenne",
    nearest: "Lähin rakenne",
    score: "Osuvuus",
    files: "Tiedostot",
    none: "(ei yhteisiä tietoja minkään rakenteen kanssa)",
    not_checked: "asiakirjaa jäi tarkistamatta (luku- tai pyyntövirhe)",
    more: "lisää",
};

const SV: Labels = Labels {
    title: "Dokumentens överensstämmelse med de nationella strukturerna",
    structure: "Dokument",
    structure_oid: "Strukturens OID",
    service_task: "Serviceuppgift",
    code: "Kod",
    organisation: "Organisation",
    oid: "OID",
    total: "Totalt",
    unknown: "(okänd)",
    own_score: "Egen malls likhet",
    top_findings: "Vanligaste fynden",
    rule: "Regel",
    severity: "Allvarlighet",
    element: "Uppgift",
    occurrences: "Fynd",
    documents: "Dokument",
    own_templates: "Egna dokumentmallar och närmaste nationella struktur",
    nearest: "Närmaste struktur",
    score: "Likhet",
    files: "Filer",
    none: "(inga gemensamma uppgifter med någon struktur)",
    not_checked: "dokument kontrollerades inte (läs- eller begäransfel)",
    more: "till",
};

const EN: Labels = Labels {
    title: "Conformance of documents to the national structures",
    structure: "Document",
    structure_oid: "Structure OID",
    service_task: "Service task",
    code: "Code",
    organisation: "Organisation",
    oid: "OID",
    total: "Total",
    unknown: "(unknown)",
    own_score: "Own-template score",
    top_findings: "Most frequent findings",
    rule: "Rule",
    severity: "Severity",
    element: "Element",
    occurrences: "Occurrences",
    documents: "Documents",
    own_templates: "Own templates and the nearest national structure",
    nearest: "Nearest structure",
    score: "Score",
    files: "Files",
    none: "(no field in common with any structure)",
    not_checked: "documents not checked (read or request error)",
    more: "more",
};

pub(crate) fn labels(lang: Lang) -> &'static Labels {
    match lang {
        Lang::Fi => &FI,
        Lang::Sv => &SV,
        Lang::En => &EN,
    }
}

/// The pilots' short column heading of a verdict.
pub(crate) fn column(verdict: Verdict, lang: Lang) -> &'static str {
    match (verdict, lang) {
        (Verdict::FullyConformant, Lang::Fi) => "Täysin",
        (Verdict::PartlyConformant, Lang::Fi) => "Osin",
        (Verdict::OwnTemplate, Lang::Fi) => "Oma pohja",
        (Verdict::Unreadable, Lang::Fi) => "Ei luettavissa",
        (Verdict::FullyConformant, Lang::Sv) => "Helt",
        (Verdict::PartlyConformant, Lang::Sv) => "Delvis",
        (Verdict::OwnTemplate, Lang::Sv) => "Egen mall",
        (Verdict::Unreadable, Lang::Sv) => "Oläslig",
        (Verdict::FullyConformant, Lang::En) => "Fully",
        (Verdict::PartlyConformant, Lang::En) => "Partly",
        (Verdict::OwnTemplate, Lang::En) => "Own template",
        (Verdict::Unreadable, Lang::En) => "Unreadable",
    }
}

/// The headings of the row name and key columns for the grouping.
pub(crate) fn group_headings(by: GroupBy, lang: Lang) -> (&'static str, &'static str) {
    let l = labels(lang);
    match by {
        GroupBy::Structure => (l.structure, l.structure_oid),
        GroupBy::ServiceTask => (l.service_task, l.code),
        GroupBy::Organisation => (l.organisation, l.oid),
    }
}

/// A row's name: the structure's (or code's) name, else its key, else "unknown".
pub(crate) fn group_name(group: &GroupSummary, lang: Lang) -> String {
    match &group.name {
        Some(name) => name.get(lang).to_string(),
        None if !group.key.is_empty() => group.key.clone(),
        None => labels(lang).unknown.to_string(),
    }
}

/// A pilots' table cell: the mark and the count, empty for no documents.
/// One group's row of the pilots' table as text cells: name, key (as `key` renders it),
/// a marked count per verdict, the total and, with `own_column`, the own-template score.
pub(crate) fn group_row(
    group: &GroupSummary,
    lang: Lang,
    own_column: bool,
    key: impl Fn(&str) -> String,
) -> Vec<String> {
    let mut row = vec![group_name(group, lang), key(&group.key)];
    row.extend(
        VERDICTS
            .iter()
            .map(|&v| cell(group.marks.get(v), group.counts.get(v))),
    );
    row.push(group.total.to_string());
    if own_column {
        row.push(
            group
                .own_template_score
                .as_ref()
                .map(score_text)
                .unwrap_or_default(),
        );
    }
    row
}

pub(crate) fn cell(mark: Mark, count: u64) -> String {
    if count == 0 {
        String::new()
    } else {
        format!("{} {count}", mark.as_str())
    }
}

/// An element name, or "-" for findings about no element.
pub(crate) fn element_name(element: Option<&LangText>, lang: Lang) -> String {
    element.map_or_else(|| "-".to_string(), |e| e.get(lang).to_string())
}

/// A score summary: the mean, and the range when the scores differ.
pub(crate) fn score_text(score: &ScoreSummary) -> String {
    if score.min == score.max {
        format!("{:.2}", score.mean)
    } else {
        format!("{:.2} ({:.2}–{:.2})", score.mean, score.min, score.max)
    }
}
