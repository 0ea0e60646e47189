//! The engine's report and the catalog's structures as protobuf messages.

use super::pb;
use crate::check::report::{
    ChosenBy, Coverage, FieldRow, FieldStatus, Finding, Nearest, Report, Severity, StructureRef,
    Verdict,
};
use crate::definitions::element::Element;
use crate::definitions::rules::{ConditionalRule, RuleKind};
use crate::definitions::structure::Structure;
use crate::definitions::{Lang, LangText};

fn text(text: &LangText) -> pb::LocalizedText {
    pb::LocalizedText {
        fi: text.fi.clone(),
        sv: text.sv.clone(),
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

pub(crate) fn verdict(verdict: Verdict) -> pb::Verdict {
    match verdict {
        Verdict::FullyConformant => pb::Verdict::FullyConformant,
        Verdict::PartlyConformant => pb::Verdict::PartlyConformant,
        Verdict::OwnTemplate => pb::Verdict::OwnTemplate,
        Verdict::Unreadable => pb::Verdict::Unreadable,
    }
}

pub(super) fn severity(severity: Severity) -> pb::Severity {
    match severity {
        Severity::Error => pb::Severity::Error,
        Severity::Warning => pb::Severity::Warning,
        Severity::Info => pb::Severity::Info,
    }
}

fn chosen_by(chosen_by: ChosenBy) -> pb::ChosenBy {
    match chosen_by {
        ChosenBy::Declared => pb::ChosenBy::Declared,
        ChosenBy::Caller => pb::ChosenBy::Caller,
        ChosenBy::RootKey => pb::ChosenBy::RootKey,
    }
}

fn field_status(status: FieldStatus) -> pb::FieldStatus {
    match status {
        FieldStatus::Valid => pb::FieldStatus::Valid,
        FieldStatus::Invalid => pb::FieldStatus::Invalid,
        FieldStatus::MissingRequired => pb::FieldStatus::MissingRequired,
        FieldStatus::MissingConditional => pb::FieldStatus::MissingConditional,
        FieldStatus::AbsentOptional => pb::FieldStatus::AbsentOptional,
        FieldStatus::Undefined => pb::FieldStatus::Undefined,
    }
}

fn structure_ref(s: &StructureRef) -> pb::StructureRef {
    pb::StructureRef {
        oid: s.oid.clone(),
        name: Some(text(&s.name)),
        root_key: s.root_key.clone(),
        family: s.family.clone(),
        chosen_by: chosen_by(s.chosen_by) as i32,
    }
}

fn finding(f: &Finding) -> pb::Finding {
    pb::Finding {
        rule_id: f.rule.clone(),
        severity: severity(f.severity) as i32,
        pointer: f.pointer.clone(),
        path: f.path.clone(),
        line: f.line,
        column: f.column,
        element: f.element.as_ref().map(|e| pb::ElementRef {
            name: Some(text(&e.name)),
            representation: e.representation.clone().unwrap_or_default(),
        }),
        message: f.message.clone(),
        default_severity: crate::catalogue::get(&f.rule)
            .map_or(pb::Severity::Unspecified, |r| severity(r.severity))
            as i32,
    }
}

fn field_row(row: &FieldRow) -> pb::FieldRow {
    pb::FieldRow {
        pointer: row.pointer.clone(),
        name: Some(text(&row.name)),
        representation: row.representation.clone().unwrap_or_default(),
        required: row.required,
        status: field_status(row.status) as i32,
        count: count(row.count),
    }
}

fn coverage(c: &Coverage) -> pb::Coverage {
    pb::Coverage {
        required_present: count(c.required_present),
        required_total: count(c.required_total),
        optional_used: count(c.optional_used),
        optional_total: count(c.optional_total),
        undefined_fields: count(c.undefined_fields),
    }
}

fn nearest(n: &Nearest) -> pb::NearestStructure {
    pb::NearestStructure {
        oid: n.oid.clone(),
        name: Some(text(&n.name)),
        score: n.score,
    }
}

/// The whole report, with the verdict label in `lang`.
pub(crate) fn report(report: &Report, lang: Lang) -> pb::Report {
    let with = |wanted: Severity| {
        count(
            report
                .findings
                .iter()
                .filter(|f| f.severity == wanted)
                .count(),
        )
    };
    pb::Report {
        verdict: verdict(report.verdict) as i32,
        verdict_label: report.verdict.label(lang).to_string(),
        structure: report.structure.as_ref().map(structure_ref),
        findings: report.findings.iter().map(finding).collect(),
        findings_omitted: count(report.findings_omitted),
        error_count: with(Severity::Error),
        warning_count: with(Severity::Warning),
        fields: report.fields.iter().map(field_row).collect(),
        coverage: report.coverage.as_ref().map(coverage),
        nearest: report.nearest.iter().map(nearest).collect(),
        document: Some(pb::DocumentFacts {
            format: report.document.format.to_string(),
            service_task: report.document.service_task.clone().unwrap_or_default(),
            phase: report.document.phase.clone().unwrap_or_default(),
            custodian_oid: report.document.custodian.clone().unwrap_or_default(),
        }),
    }
}

/// A structure without its element tree.
pub(crate) fn structure_summary(s: &Structure) -> pb::StructureSummary {
    pb::StructureSummary {
        oid: s.oid().to_string(),
        name: Some(text(s.name())),
        family: s.meta.family.clone(),
        subject: s.meta.subject.clone().unwrap_or_default(),
        root_key: s.root_key.clone(),
        definition_version: s.meta.definition_version.clone(),
        status: s.meta.status.clone(),
        type_code: s.type_code.clone(),
        element_count: count(s.elements().len()),
    }
}

fn element(index: usize, e: &Element) -> pb::Element {
    pb::Element {
        index: count(index),
        parent: e.parent.map(count),
        children: e.children.iter().copied().map(count).collect(),
        depth: count(e.depth),
        key: e.key.clone(),
        pointer: e.pointer.clone(),
        name: Some(text(&e.name)),
        representation: e
            .representation
            .as_ref()
            .map(|r| r.as_fi().to_string())
            .unwrap_or_default(),
        json_type: e.json_type.as_str().to_string(),
        required: e.required,
        repeatable: e.repeatable,
        cardinality: e.cardinality(),
        conditional_required: e.conditional_required,
        classification_oid: e.classification_oid.clone().unwrap_or_default(),
        system_uri: e.system_uri.clone().unwrap_or_default(),
        henkilotunnus: e.is_hetu(),
        enum_values: e.enum_values.iter().map(|v| v.to_string()).collect(),
        pattern: e.pattern.clone().unwrap_or_default(),
        row_number: e.row_number,
        nationwide_recorded: e.nationwide_recorded,
    }
}

fn rule(r: &ConditionalRule) -> pb::ConditionalRule {
    use pb::conditional_rule::Kind;
    let (kind, condition, when_yes) = match &r.kind {
        RuleKind::AtLeastOne => (Kind::AtLeastOne, String::new(), false),
        RuleKind::AtLeastOneYes => (Kind::AtLeastOneYes, String::new(), false),
        RuleKind::RequiredIfAnswer { condition, yes } => {
            (Kind::RequiredIfAnswer, condition.clone(), *yes)
        }
        RuleKind::RequiredIfAbsent { condition } => {
            (Kind::RequiredIfAbsent, condition.clone(), false)
        }
    };
    pb::ConditionalRule {
        kind: kind as i32,
        anchor: r.anchor.clone(),
        members: r.members.clone(),
        condition,
        when_yes,
    }
}

/// A structure with its element tree and rules.
pub(crate) fn structure(s: &Structure) -> pb::GetStructureResponse {
    pb::GetStructureResponse {
        structure: Some(structure_summary(s)),
        elements: s.walk().map(|(i, e)| element(i, e)).collect(),
        rules: s.rules().iter().map(rule).collect(),
    }
}
