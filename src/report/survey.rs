//! The national pilots' comparison, automated: how many documents of each type are fully
//! per definition, partly per definition, the organisation's own template, or unreadable.
//!
//! [`Survey`] is an accumulator: [`Survey::add`] takes one report and keeps only counts
//! (per group, per finding, per nearest structure of own templates) and a bounded sample
//! of documents for drill-down, so memory does not grow with the number of documents. It
//! is `Send` and [`Survey::merge`] joins two, so each worker thread can keep its own and
//! the results are merged at the end. [`Survey::summary`] gives the finished table
//! ([`Summary`]), the same shape for every output format and for the service.
//!
//! Everything a summary holds is deterministic whatever the order the documents came in:
//! ties are broken by name, and samples are the first documents by file name.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::check::report::{FieldRow, Finding, Nearest, Report, Severity, Verdict};
use crate::definitions::{Definitions, LangText};

/// The classification service task codes come from (their names in the summary).
pub const SERVICE_TASK_CLASSIFICATION: &str = "1.2.246.537.6.1221";
/// The organisation register unit OIDs (custodians) are named from, when a list is loaded.
pub const ORGANISATION_CLASSIFICATION: &str = "1.2.246.537.6.202";
/// How many findings the summary ranks, overall and per group.
pub const TOP_FINDINGS: usize = 10;
/// How many own-template files are named per nearest national structure.
pub const OWN_TEMPLATE_FILES: usize = 10;
/// How many findings a sampled document keeps (the rest are counted).
pub const SAMPLE_FINDINGS: usize = 100;
/// The default number of documents per group kept for drill-down.
pub const DEFAULT_SAMPLE_LIMIT: usize = 20;

/// The pilots' columns, in their order.
pub const VERDICTS: [Verdict; 4] = [
    Verdict::FullyConformant,
    Verdict::PartlyConformant,
    Verdict::OwnTemplate,
    Verdict::Unreadable,
];

/// What the rows of the table are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GroupBy {
    /// The national structure (document type) by OID; own templates under their nearest
    /// national structure.
    #[default]
    Structure,
    /// The service task code (functionCode, or the caller's for bare JSON).
    ServiceTask,
    /// The custodian organisation OID (CDA documents only).
    Organisation,
}

impl GroupBy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Structure => "structure",
            Self::ServiceTask => "service-task",
            Self::Organisation => "organisation",
        }
    }
}

/// Documents per verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct VerdictCounts {
    pub fully_conformant: u64,
    pub partly_conformant: u64,
    pub own_template: u64,
    pub unreadable: u64,
}

impl VerdictCounts {
    pub fn get(&self, verdict: Verdict) -> u64 {
        match verdict {
            Verdict::FullyConformant => self.fully_conformant,
            Verdict::PartlyConformant => self.partly_conformant,
            Verdict::OwnTemplate => self.own_template,
            Verdict::Unreadable => self.unreadable,
        }
    }

    fn slot(&mut self, verdict: Verdict) -> &mut u64 {
        match verdict {
            Verdict::FullyConformant => &mut self.fully_conformant,
            Verdict::PartlyConformant => &mut self.partly_conformant,
            Verdict::OwnTemplate => &mut self.own_template,
            Verdict::Unreadable => &mut self.unreadable,
        }
    }

    pub fn add(&mut self, verdict: Verdict) {
        *self.slot(verdict) += 1;
    }

    pub fn merge(&mut self, other: &Self) {
        for verdict in VERDICTS {
            *self.slot(verdict) += other.get(verdict);
        }
    }

    pub fn total(&self) -> u64 {
        VERDICTS.iter().map(|&v| self.get(v)).sum()
    }

    /// The pilots' marks: `X` in the column with the most documents (on a tie, the first
    /// of them in column order), `x` in every other column that has documents.
    pub fn marks(&self) -> Marks {
        let max = VERDICTS.iter().map(|&v| self.get(v)).max().unwrap_or(0);
        let majority = VERDICTS
            .into_iter()
            .find(|&v| max > 0 && self.get(v) == max);
        let mark = |verdict: Verdict| {
            if Some(verdict) == majority {
                Mark::Majority
            } else if self.get(verdict) > 0 {
                Mark::Present
            } else {
                Mark::Empty
            }
        };
        Marks {
            fully_conformant: mark(Verdict::FullyConformant),
            partly_conformant: mark(Verdict::PartlyConformant),
            own_template: mark(Verdict::OwnTemplate),
            unreadable: mark(Verdict::Unreadable),
        }
    }
}

/// One cell's mark in the pilots' table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Mark {
    /// The column with the most documents of the row.
    #[serde(rename = "X")]
    Majority,
    /// Another column with documents.
    #[serde(rename = "x")]
    Present,
    /// No documents.
    #[serde(rename = "")]
    Empty,
}

impl Mark {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Majority => "X",
            Self::Present => "x",
            Self::Empty => "",
        }
    }
}

/// The marks of one row, per column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Marks {
    pub fully_conformant: Mark,
    pub partly_conformant: Mark,
    pub own_template: Mark,
    pub unreadable: Mark,
}

impl Marks {
    pub fn get(&self, verdict: Verdict) -> Mark {
        match verdict {
            Verdict::FullyConformant => self.fully_conformant,
            Verdict::PartlyConformant => self.partly_conformant,
            Verdict::OwnTemplate => self.own_template,
            Verdict::Unreadable => self.unreadable,
        }
    }
}

/// Nearest-structure scores of own-template documents, summed in millionths so that the
/// mean does not depend on the order of merging.
#[derive(Debug, Clone, Copy, Default)]
struct ScoreStats {
    count: u64,
    sum_micros: u64,
    min_micros: u64,
    max_micros: u64,
}

impl ScoreStats {
    fn add(&mut self, score: f64) {
        let micros = (score.clamp(0.0, 1.0) * 1e6).round() as u64;
        if self.count == 0 {
            self.min_micros = micros;
            self.max_micros = micros;
        } else {
            self.min_micros = self.min_micros.min(micros);
            self.max_micros = self.max_micros.max(micros);
        }
        self.count += 1;
        self.sum_micros += micros;
    }

    fn merge(&mut self, other: &Self) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = *other;
            return;
        }
        self.count += other.count;
        self.sum_micros += other.sum_micros;
        self.min_micros = self.min_micros.min(other.min_micros);
        self.max_micros = self.max_micros.max(other.max_micros);
    }

    fn summary(&self) -> Option<ScoreSummary> {
        if self.count == 0 {
            return None;
        }
        let mean = (self.sum_micros as f64 / self.count as f64 / 1e2).round() / 1e4;
        Some(ScoreSummary {
            documents: self.count,
            min: self.min_micros as f64 / 1e6,
            mean,
            max: self.max_micros as f64 / 1e6,
        })
    }
}

/// Nearest-structure scores (field overlap, 0 to 1) of a set of own-template documents.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ScoreSummary {
    pub documents: u64,
    pub min: f64,
    pub mean: f64,
    pub max: f64,
}

/// A finding is counted by rule, severity and the (Finnish) name of its element.
type FindingKey = (String, Severity, String);

#[derive(Debug, Clone, Default)]
struct Tally {
    element: Option<LangText>,
    occurrences: u64,
    documents: u64,
}

type Tallies = HashMap<FindingKey, Tally>;

fn finding_key(finding: &Finding) -> FindingKey {
    (
        finding.rule.clone(),
        finding.severity,
        finding
            .element
            .as_ref()
            .map(|e| e.name.fi.clone())
            .unwrap_or_default(),
    )
}

fn tally(tallies: &mut Tallies, findings: &[Finding]) {
    let mut seen = HashSet::new();
    for finding in findings {
        let key = finding_key(finding);
        let first_in_document = seen.insert(key.clone());
        let entry = tallies.entry(key).or_insert_with(|| Tally {
            element: finding.element.as_ref().map(|e| e.name.clone()),
            ..Tally::default()
        });
        entry.occurrences += 1;
        if first_in_document {
            entry.documents += 1;
        }
    }
}

fn merge_tallies(into: &mut Tallies, from: Tallies) {
    for (key, tally) in from {
        let entry = into.entry(key).or_insert_with(|| Tally {
            element: tally.element.clone(),
            ..Tally::default()
        });
        entry.occurrences += tally.occurrences;
        entry.documents += tally.documents;
    }
}

/// The most frequent findings: by occurrences, then documents, then severity, rule and
/// element name.
fn top(tallies: &Tallies, n: usize) -> Vec<FindingCount> {
    let mut all: Vec<(&FindingKey, &Tally)> = tallies.iter().collect();
    all.sort_by(|(ka, a), (kb, b)| {
        b.occurrences
            .cmp(&a.occurrences)
            .then(b.documents.cmp(&a.documents))
            .then(ka.1.cmp(&kb.1))
            .then(ka.0.cmp(&kb.0))
            .then(ka.2.cmp(&kb.2))
    });
    all.into_iter()
        .take(n)
        .map(|((rule, severity, _), tally)| FindingCount {
            rule: rule.clone(),
            severity: *severity,
            element: tally.element.clone(),
            occurrences: tally.occurrences,
            documents: tally.documents,
        })
        .collect()
}

/// How often a finding (rule, severity, element) occurred, and in how many documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingCount {
    pub rule: String,
    pub severity: Severity,
    /// The element's name, when the finding is about an element of the structure.
    pub element: Option<LangText>,
    pub occurrences: u64,
    pub documents: u64,
}

/// One document kept for drill-down: its verdict, findings and field table (element names
/// and statuses only, never values).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocumentSample {
    pub file: String,
    pub verdict: Verdict,
    pub structure_oid: Option<String>,
    pub nearest: Vec<Nearest>,
    pub findings: Vec<Finding>,
    /// Findings not kept (beyond [`SAMPLE_FINDINGS`] or the engine's limit).
    pub findings_omitted: usize,
    pub fields: Vec<FieldRow>,
}

impl DocumentSample {
    fn of(file: &str, report: &Report) -> Self {
        let kept = report.findings.len().min(SAMPLE_FINDINGS);
        Self {
            file: file.to_string(),
            verdict: report.verdict,
            structure_oid: report.structure.as_ref().map(|s| s.oid.clone()),
            nearest: report.nearest.clone(),
            findings: report.findings[..kept].to_vec(),
            findings_omitted: report.findings_omitted + (report.findings.len() - kept),
            fields: report.fields.clone(),
        }
    }
}

/// An own-template file and its score against the nearest national structure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OwnTemplateFile {
    pub file: String,
    pub score: f64,
}

/// Keeps `list` sorted by name and at most `limit` long; `make` runs only when the item
/// gets in.
fn insert_bounded<T>(
    list: &mut Vec<T>,
    limit: usize,
    name: &str,
    name_of: impl Fn(&T) -> &str,
    make: impl FnOnce() -> T,
) {
    let at = list.partition_point(|item| name_of(item) <= name);
    if at >= limit {
        return;
    }
    list.insert(at, make());
    list.truncate(limit);
}

#[derive(Debug, Clone, Default)]
struct Group {
    name: Option<LangText>,
    counts: VerdictCounts,
    own_scores: ScoreStats,
    findings: Tallies,
    samples: Vec<DocumentSample>,
}

#[derive(Debug, Clone, Default)]
struct OwnTemplates {
    name: Option<LangText>,
    scores: ScoreStats,
    files: Vec<OwnTemplateFile>,
}

/// The accumulator of a survey. See the module documentation.
#[derive(Debug, Clone)]
pub struct Survey {
    by: GroupBy,
    sample_limit: usize,
    totals: VerdictCounts,
    not_checked: u64,
    groups: HashMap<String, Group>,
    findings: Tallies,
    /// Own-template documents by the OID of their nearest national structure ("" none).
    own_templates: HashMap<String, OwnTemplates>,
}

impl Survey {
    /// An empty survey grouping by `by`, keeping up to `sample_limit` documents per group
    /// for drill-down (0 keeps none).
    pub fn new(by: GroupBy, sample_limit: usize) -> Self {
        Self {
            by,
            sample_limit,
            totals: VerdictCounts::default(),
            not_checked: 0,
            groups: HashMap::new(),
            findings: HashMap::new(),
            own_templates: HashMap::new(),
        }
    }

    pub fn by(&self) -> GroupBy {
        self.by
    }

    /// Documents added so far.
    pub fn documents(&self) -> u64 {
        self.totals.total()
    }

    /// Counts one document's report; `file` names it in samples and own-template lists.
    pub fn add(&mut self, file: &str, report: &Report) {
        let verdict = report.verdict;
        self.totals.add(verdict);
        tally(&mut self.findings, &report.findings);

        let best = best_nearest(&report.nearest);
        let (key, name) = self.group_of(report, best);
        let group = self.groups.entry(key).or_default();
        if group.name.is_none() {
            group.name = name;
        }
        group.counts.add(verdict);
        tally(&mut group.findings, &report.findings);
        insert_bounded(
            &mut group.samples,
            self.sample_limit,
            file,
            |s| &s.file,
            || DocumentSample::of(file, report),
        );

        if verdict != Verdict::OwnTemplate {
            return;
        }
        let score = best.map_or(0.0, |n| n.score);
        if self.by == GroupBy::Structure {
            group.own_scores.add(score);
        }
        let own = self
            .own_templates
            .entry(best.map(|n| n.oid.clone()).unwrap_or_default())
            .or_default();
        if own.name.is_none() {
            own.name = best.map(|n| n.name.clone());
        }
        own.scores.add(score);
        insert_bounded(
            &mut own.files,
            OWN_TEMPLATE_FILES,
            file,
            |f| &f.file,
            || OwnTemplateFile {
                file: file.to_string(),
                score,
            },
        );
    }

    /// Counts a document that could not be checked at all (unreadable file, empty
    /// document): it is in no column.
    pub fn add_not_checked(&mut self) {
        self.not_checked += 1;
    }

    /// Adds another survey's counts to this one; both must group the same way.
    pub fn merge(&mut self, other: Survey) {
        debug_assert_eq!(self.by, other.by, "merging surveys grouped differently");
        self.totals.merge(&other.totals);
        self.not_checked += other.not_checked;
        merge_tallies(&mut self.findings, other.findings);
        for (key, from) in other.groups {
            let group = self.groups.entry(key).or_default();
            if group.name.is_none() {
                group.name = from.name;
            }
            group.counts.merge(&from.counts);
            group.own_scores.merge(&from.own_scores);
            merge_tallies(&mut group.findings, from.findings);
            for sample in from.samples {
                let file = sample.file.clone();
                insert_bounded(
                    &mut group.samples,
                    self.sample_limit,
                    &file,
                    |s| &s.file,
                    || sample,
                );
            }
        }
        for (key, from) in other.own_templates {
            let own = self.own_templates.entry(key).or_default();
            if own.name.is_none() {
                own.name = from.name;
            }
            own.scores.merge(&from.scores);
            for file in from.files {
                let name = file.file.clone();
                insert_bounded(
                    &mut own.files,
                    OWN_TEMPLATE_FILES,
                    &name,
                    |f| &f.file,
                    || file,
                );
            }
        }
    }

    /// The group a report belongs to, and the group's name when the report gives it.
    fn group_of(&self, report: &Report, best: Option<&Nearest>) -> (String, Option<LangText>) {
        match self.by {
            GroupBy::Structure => {
                if let Some(structure) = &report.structure {
                    return (structure.oid.clone(), Some(structure.name.clone()));
                }
                match best {
                    Some(nearest) if report.verdict == Verdict::OwnTemplate => {
                        (nearest.oid.clone(), Some(nearest.name.clone()))
                    }
                    _ => (String::new(), None),
                }
            }
            GroupBy::ServiceTask => (
                report.document.service_task.clone().unwrap_or_default(),
                None,
            ),
            GroupBy::Organisation => (report.document.custodian.clone().unwrap_or_default(), None),
        }
    }

    /// The finished table; `definitions` names service tasks and organisations from their
    /// classifications.
    pub fn summary(&self, definitions: Option<&Definitions>) -> Summary {
        self.clone().into_summary(definitions)
    }

    /// As [`Survey::summary`], without copying the samples.
    pub fn into_summary(self, definitions: Option<&Definitions>) -> Summary {
        let by = self.by;
        let mut groups: Vec<GroupSummary> = self
            .groups
            .into_iter()
            .map(|(key, group)| {
                let name = group.name.or_else(|| code_name(definitions, by, &key));
                GroupSummary {
                    name,
                    total: group.counts.total(),
                    marks: group.counts.marks(),
                    counts: group.counts,
                    own_template_score: group.own_scores.summary(),
                    top_findings: top(&group.findings, TOP_FINDINGS),
                    samples: group.samples,
                    key,
                }
            })
            .collect();
        // Known groups first, the largest first; the group of documents without a key last.
        groups.sort_by(|a, b| {
            a.key
                .is_empty()
                .cmp(&b.key.is_empty())
                .then(b.total.cmp(&a.total))
                .then(a.key.cmp(&b.key))
        });
        let mut own_templates: Vec<OwnTemplateSummary> = self
            .own_templates
            .into_iter()
            .filter_map(|(oid, own)| {
                Some(OwnTemplateSummary {
                    score: own.scores.summary()?,
                    oid: (!oid.is_empty()).then_some(oid),
                    name: own.name,
                    files: own.files,
                })
            })
            .collect();
        own_templates.sort_by(|a, b| {
            a.oid
                .is_none()
                .cmp(&b.oid.is_none())
                .then(b.score.documents.cmp(&a.score.documents))
                .then(a.oid.cmp(&b.oid))
        });
        Summary {
            by,
            documents: self.totals.total(),
            not_checked: self.not_checked,
            marks: self.totals.marks(),
            totals: self.totals,
            groups,
            top_findings: top(&self.findings, TOP_FINDINGS),
            own_templates,
            sample_limit: self.sample_limit,
        }
    }
}

/// The nearest structure with the highest score (the first on a tie).
fn best_nearest(nearest: &[Nearest]) -> Option<&Nearest> {
    nearest
        .iter()
        .fold(None, |best: Option<&Nearest>, n| match best {
            Some(b) if b.score >= n.score => Some(b),
            _ => Some(n),
        })
}

/// The name of a service task or organisation code, when its classification knows it.
fn code_name(definitions: Option<&Definitions>, by: GroupBy, key: &str) -> Option<LangText> {
    let classification = match by {
        GroupBy::Structure => return None,
        GroupBy::ServiceTask => SERVICE_TASK_CLASSIFICATION,
        GroupBy::Organisation => ORGANISATION_CLASSIFICATION,
    };
    let code = definitions?
        .classifications
        .get(classification)?
        .code(key)?;
    Some(LangText {
        fi: code.fi.clone(),
        sv: code.sv.clone().unwrap_or_default(),
    })
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupSummary {
    /// The structure OID, service task code or organisation OID; empty for documents that
    /// have none (unreadable documents, own templates with no nearest structure, bare JSON
    /// without a service task).
    pub key: String,
    pub name: Option<LangText>,
    pub counts: VerdictCounts,
    pub total: u64,
    pub marks: Marks,
    /// Grouping by structure: the scores of the own templates counted in this row against
    /// this (their nearest) structure.
    pub own_template_score: Option<ScoreSummary>,
    pub top_findings: Vec<FindingCount>,
    /// The first documents of the group by file name, for drill-down (only when the
    /// survey keeps samples).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<DocumentSample>,
}

/// Own-template documents whose nearest national structure is the same.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OwnTemplateSummary {
    /// The nearest national structure; `None` when no structure shares a field.
    pub oid: Option<String>,
    pub name: Option<LangText>,
    pub score: ScoreSummary,
    /// The first files by name (at most [`OWN_TEMPLATE_FILES`]).
    pub files: Vec<OwnTemplateFile>,
}

/// The finished survey: the pilots' table with totals, the most frequent findings and the
/// own templates by nearest national structure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub by: GroupBy,
    /// Documents checked (the sum of the columns).
    pub documents: u64,
    /// Documents that could not be checked at all (I/O errors, empty files).
    pub not_checked: u64,
    pub totals: VerdictCounts,
    pub marks: Marks,
    pub groups: Vec<GroupSummary>,
    pub top_findings: Vec<FindingCount>,
    pub own_templates: Vec<OwnTemplateSummary>,
    /// Documents per group kept for drill-down.
    pub sample_limit: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::report::{
        ChosenBy, DocumentFacts, ElementRef, FieldStatus, StructureRef, Verdict,
    };

    fn text(fi: &str) -> LangText {
        LangText {
            fi: fi.to_string(),
            sv: String::new(),
        }
    }

    fn finding(rule: &str, severity: Severity, element: Option<&str>) -> Finding {
        Finding {
            rule: rule.to_string(),
            severity,
            pointer: Some("/a".to_string()),
            path: None,
            line: None,
            column: None,
            element: element.map(|e| ElementRef {
                name: text(e),
                representation: None,
            }),
            message: "m".to_string(),
        }
    }

    fn report(verdict: Verdict, oid: Option<&str>, findings: Vec<Finding>) -> Report {
        Report {
            verdict,
            structure: oid.map(|oid| StructureRef {
                oid: oid.to_string(),
                name: text(&format!("name of {oid}")),
                root_key: "root".to_string(),
                family: "Arvio".to_string(),
                chosen_by: ChosenBy::RootKey,
            }),
            findings,
            findings_omitted: 0,
            fields: vec![FieldRow {
                pointer: "/root".to_string(),
                name: text("Root"),
                representation: None,
                required: true,
                status: FieldStatus::Valid,
                count: 1,
            }],
            coverage: None,
            nearest: Vec::new(),
            document: DocumentFacts {
                format: "json",
                service_task: Some("24".to_string()),
                ..DocumentFacts::default()
            },
        }
    }

    fn own(score: f64, oid: &str) -> Report {
        let mut r = report(
            Verdict::OwnTemplate,
            None,
            vec![finding("content.structure-unknown", Severity::Info, None)],
        );
        r.nearest = vec![
            Nearest {
                oid: "other".to_string(),
                name: text("other"),
                score: score / 2.0,
            },
            Nearest {
                oid: oid.to_string(),
                name: text(&format!("name of {oid}")),
                score,
            },
        ];
        r
    }

    fn documents() -> Vec<(String, Report)> {
        let required = || finding("content.required", Severity::Error, Some("Toimenpiteet"));
        vec![
            (
                "d01".into(),
                report(Verdict::FullyConformant, Some("A"), vec![]),
            ),
            (
                "d02".into(),
                report(Verdict::FullyConformant, Some("A"), vec![]),
            ),
            (
                "d03".into(),
                report(
                    Verdict::PartlyConformant,
                    Some("A"),
                    vec![required(), required()],
                ),
            ),
            ("d04".into(), own(0.5, "A")),
            ("d05".into(), own(0.25, "B")),
            (
                "d06".into(),
                report(
                    Verdict::Unreadable,
                    None,
                    vec![finding("json.syntax", Severity::Error, None)],
                ),
            ),
            (
                "d07".into(),
                report(Verdict::PartlyConformant, Some("B"), vec![required()]),
            ),
        ]
    }

    #[test]
    fn counts_marks_and_findings_per_structure() {
        let mut survey = Survey::new(GroupBy::Structure, 2);
        for (file, report) in documents() {
            survey.add(&file, &report);
        }
        let summary = survey.summary(None);
        assert_eq!(summary.documents, 7);
        let keys: Vec<&str> = summary.groups.iter().map(|g| g.key.as_str()).collect();
        assert_eq!(keys, ["A", "B", ""]);
        let a = &summary.groups[0];
        assert_eq!(
            (
                a.counts.fully_conformant,
                a.counts.partly_conformant,
                a.counts.own_template
            ),
            (2, 1, 1)
        );
        assert_eq!(a.marks.fully_conformant, Mark::Majority);
        assert_eq!(a.marks.partly_conformant, Mark::Present);
        assert_eq!(a.marks.own_template, Mark::Present);
        assert_eq!(a.marks.unreadable, Mark::Empty);
        assert_eq!(a.own_template_score.unwrap().mean, 0.5);
        let files: Vec<&str> = a.samples.iter().map(|s| s.file.as_str()).collect();
        assert_eq!(files, ["d01", "d02"]);
        // B: one partly and one own template: a tie goes to the earlier column.
        let b = &summary.groups[1];
        assert_eq!(b.marks.partly_conformant, Mark::Majority);
        assert_eq!(b.marks.own_template, Mark::Present);
        let top = &summary.top_findings[0];
        assert_eq!(
            (top.rule.as_str(), top.occurrences, top.documents),
            ("content.required", 3, 2)
        );
        assert_eq!(top.element.as_ref().unwrap().fi, "Toimenpiteet");
        let own: Vec<_> = summary
            .own_templates
            .iter()
            .map(|o| (o.oid.as_deref(), o.score.documents, o.score.max))
            .collect();
        assert_eq!(own, [(Some("A"), 1, 0.5), (Some("B"), 1, 0.25)]);
        assert_eq!(summary.marks.fully_conformant, Mark::Majority);
    }

    #[test]
    fn merging_per_thread_surveys_equals_one_survey() {
        let docs = documents();
        let mut whole = Survey::new(GroupBy::Structure, 2);
        for (file, report) in &docs {
            whole.add(file, report);
        }
        // Split unevenly and merge in reverse order.
        let mut first = Survey::new(GroupBy::Structure, 2);
        let mut second = Survey::new(GroupBy::Structure, 2);
        for (i, (file, report)) in docs.iter().enumerate() {
            if i % 3 == 0 {
                first.add(file, report);
            } else {
                second.add(file, report);
            }
        }
        second.merge(first);
        assert_eq!(second.summary(None), whole.summary(None));
    }

    #[test]
    fn groups_by_service_task_with_classification_names() {
        let definitions = Definitions::embedded().unwrap();
        let mut survey = Survey::new(GroupBy::ServiceTask, 0);
        for (file, report) in documents() {
            survey.add(&file, &report);
        }
        let summary = survey.into_summary(Some(&definitions));
        assert_eq!(summary.groups.len(), 1);
        assert_eq!(summary.groups[0].key, "24");
        assert_eq!(
            summary.groups[0].name.as_ref().unwrap().fi,
            "Lapsiperheiden palvelut"
        );
        assert!(summary.groups[0].samples.is_empty());
        assert_eq!(summary.groups[0].own_template_score, None);
    }

    #[test]
    fn survey_is_send() {
        fn send<T: Send>() {}
        send::<Survey>();
        send::<Summary>();
    }
}
