//! Content rules: the structure's JSON Schema, then what the schemas only say in text
//! (conditional requirements, real dates, henkilötunnus and y-tunnus check characters,
//! codes of the loaded classifications), and the field table.

use std::collections::HashSet;

use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

use super::findings::{Findings, finding};
use super::identifiers::{
    self, HetkiCheck, PvmCheck, check_hetki, check_pvm, check_ytunnus, mask, parse_hetu,
};
use super::report::{Coverage, FieldRow, FieldStatus, Severity};
use crate::definitions::classifications::CodeCheck;
use crate::definitions::rules::{concrete, count as count_values, walk};
use crate::definitions::structure::{Element, Representation, Structure, escape_pointer};
use crate::definitions::{Definitions, Lang};
use crate::msg;

/// What the caller's options and the header change in the content rules.
#[derive(Debug, Clone, Copy, Default)]
pub struct ContentOptions<'a> {
    pub test_environment: bool,
    pub include_fields: bool,
    /// The CDA header's henkilötunnus, to be found among the content's client hetus.
    pub header_hetu: Option<&'a str>,
    /// Where the header's henkilötunnus stands, to place a finding on it.
    pub header_hetu_at: Option<&'a super::header::XmlAt>,
}

/// The field table and coverage (empty unless asked for).
#[derive(Debug, Default)]
pub struct ContentResult {
    pub fields: Vec<FieldRow>,
    pub coverage: Option<Coverage>,
}

/// Element states found on the way, by element index.
#[derive(Default)]
struct States {
    invalid: HashSet<usize>,
    missing_required: HashSet<usize>,
    missing_conditional: HashSet<usize>,
    undefined: Vec<String>,
}

/// Runs every content rule of `structure` over `content` (the object with the root key).
pub fn check_content(
    definitions: &Definitions,
    structure: &Structure,
    content: &Value,
    options: &ContentOptions<'_>,
    out: &mut Findings,
) -> ContentResult {
    let mut states = States::default();
    schema_rules(structure, content, out, &mut states);
    text_rules(definitions, structure, content, options, out, &mut states);
    conditional_rules(structure, content, out, &mut states);
    if let Some(hetu) = options.header_hetu {
        header_hetu_rule(structure, content, hetu, options.header_hetu_at, out);
    }
    if !options.include_fields {
        return ContentResult::default();
    }
    field_table(structure, content, &states)
}

/// The element itself, or when it has no name of its own (the parts of a code or an
/// identifier), its nearest named ancestor.
fn named(structure: &Structure, index: usize) -> usize {
    structure.named(index)
}

fn element_name(element: &Element, lang: Lang) -> &str {
    match element.name.get(lang) {
        "" => &element.key,
        name => name,
    }
}

fn schema_rules(structure: &Structure, content: &Value, out: &mut Findings, states: &mut States) {
    let lang = out.lang;
    let validator = match structure.validator() {
        Ok(validator) => validator,
        Err(error) => {
            out.push(finding(
                "content.schema-compile",
                Severity::Error,
                msg!(
                    lang,
                    "rakenteen {} skeema ei käänny: {}",
                    "schemat för strukturen {} kan inte kompileras: {}",
                    "the schema of structure {} does not compile: {}",
                    structure.oid(),
                    error
                ),
            ));
            return;
        }
    };
    for error in validator.iter_errors(content) {
        let at = error.instance_path().as_str().to_string();
        match error.kind() {
            ValidationErrorKind::Required { property } => {
                let key = property.as_str().unwrap_or_default();
                let pointer = format!("{at}/{}", escape_pointer(key));
                let mut f = finding("content.required", Severity::Error, String::new())
                    .at_pointer(&pointer);
                let name = match structure.element_at(&pointer) {
                    Some(index) => {
                        let element = &structure.elements()[named(structure, index)];
                        states.missing_required.insert(named(structure, index));
                        f = f.about(element);
                        element_name(element, lang).to_string()
                    }
                    None => key.to_string(),
                };
                f.message = msg!(
                    lang,
                    "pakollinen tieto {} puuttuu",
                    "obligatorisk uppgift {} saknas",
                    "required element {} is missing",
                    name
                );
                out.push(f);
            }
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                for key in unexpected {
                    let pointer = format!("{at}/{}", escape_pointer(key));
                    states.undefined.push(pointer.clone());
                    out.push(
                        finding(
                            "content.undefined",
                            Severity::Error,
                            msg!(
                                lang,
                                "tietoa {} ei ole rakenteen määrityksessä",
                                "uppgiften {} finns inte i strukturens definition",
                                "element {} is not in the structure's definition",
                                key
                            ),
                        )
                        .at_pointer(pointer),
                    );
                }
            }
            kind => {
                let index = structure.element_at(&at).map(|i| named(structure, i));
                let (rule, message) = describe(kind, lang);
                let mut f = finding(rule, Severity::Error, message).at_pointer(&at);
                if let Some(index) = index {
                    states.invalid.insert(index);
                    f = f.about(&structure.elements()[index]);
                    f.message = format!(
                        "{}: {}",
                        element_name(&structure.elements()[index], lang),
                        f.message
                    );
                }
                out.push(f);
            }
        }
    }
}

/// Rule id and message for a schema error; never quotes the value.
fn describe(kind: &ValidationErrorKind, lang: Lang) -> (&'static str, String) {
    match kind {
        ValidationErrorKind::Type { kind } => {
            let kind = match kind {
                jsonschema::error::TypeKind::Single(t) => format!("{t:?}").to_lowercase(),
                jsonschema::error::TypeKind::Multiple(set) => format!("{set:?}").to_lowercase(),
            };
            (
                "content.type",
                msg!(
                    lang,
                    "arvon tyypin on oltava {}",
                    "värdets typ ska vara {}",
                    "the value must be of type {}",
                    kind
                ),
            )
        }
        ValidationErrorKind::Pattern { pattern } => (
            "content.pattern",
            msg!(
                lang,
                "arvo ei vastaa mallia {}",
                "värdet motsvarar inte mönstret {}",
                "the value does not match the pattern {}",
                pattern
            ),
        ),
        ValidationErrorKind::MinLength { limit } => (
            "content.min-length",
            msg!(
                lang,
                "arvon on oltava vähintään {} merkkiä",
                "värdet ska vara minst {} tecken",
                "the value must be at least {} characters",
                limit
            ),
        ),
        ValidationErrorKind::MinItems { limit } => (
            "content.min-items",
            msg!(
                lang,
                "arvoja on oltava vähintään {}",
                "det ska finnas minst {} värden",
                "there must be at least {} values",
                limit
            ),
        ),
        ValidationErrorKind::Enum { options } => (
            "content.enum",
            msg!(
                lang,
                "arvon on oltava jokin seuraavista: {}",
                "värdet ska vara ett av: {}",
                "the value must be one of: {}",
                options
            ),
        ),
        _ => (
            "content.schema",
            msg!(
                lang,
                "arvo ei vastaa määritystä",
                "värdet motsvarar inte definitionen",
                "the value does not conform to the definition"
            ),
        ),
    }
}

fn text_rules(
    definitions: &Definitions,
    structure: &Structure,
    content: &Value,
    options: &ContentOptions<'_>,
    out: &mut Findings,
    states: &mut States,
) {
    let lang = out.lang;
    let mut indices = Vec::new();
    for &index in structure.text_rule_elements() {
        let element = &structure.elements()[index];
        let steps = structure.value_steps(index);
        let is_hetu = element.is_hetu();
        let is_ytunnus = element.name.fi == "Y-tunnus";
        // Pointers are made only for findings.
        walk(content, steps, &mut indices, &mut |at, value| {
            let pointer = || concrete(steps, at);
            if is_hetu || is_ytunnus {
                let text = match value {
                    Value::String(s) => Some(s.as_str()),
                    Value::Object(map) => map.get("value").and_then(Value::as_str),
                    _ => None,
                };
                let Some(text) = text else { return };
                let value_pointer = || {
                    if value.is_object() {
                        format!("{}/value", pointer())
                    } else {
                        pointer()
                    }
                };
                if is_hetu {
                    hetu_rule(element, text, &value_pointer, options, out, states, index);
                } else if let Err(error) = check_ytunnus(text) {
                    states.invalid.insert(index);
                    out.push(
                        finding(
                            "identifier.ytunnus",
                            Severity::Error,
                            msg!(
                                lang,
                                "{}: y-tunnus {} ei kelpaa: {}",
                                "{}: FO-numret {} är ogiltigt: {}",
                                "{}: business id {} is not valid: {}",
                                element_name(element, lang),
                                mask(text),
                                error
                            ),
                        )
                        .at_pointer(value_pointer())
                        .about(element),
                    );
                }
                return;
            }
            match element.representation {
                Some(Representation::Pvm) => {
                    let Some(text) = value.as_str() else { return };
                    let (severity, problem) = match check_pvm(text) {
                        PvmCheck::Valid => return,
                        PvmCheck::Partial(_) => (Severity::Warning, None),
                        PvmCheck::Invalid(problem) => (Severity::Error, Some(problem)),
                    };
                    date_finding(element, &pointer(), severity, problem, out, states, index);
                }
                Some(Representation::Hetki) => {
                    let Some(text) = value.as_str() else { return };
                    let (severity, problem) = match check_hetki(text) {
                        HetkiCheck::Valid => return,
                        HetkiCheck::NoZone | HetkiCheck::Partial(_) => (Severity::Warning, None),
                        HetkiCheck::Invalid(problem) => (Severity::Error, Some(problem)),
                    };
                    date_finding(element, &pointer(), severity, problem, out, states, index);
                }
                Some(Representation::Koodi) => {
                    code_rule(definitions, element, value, &pointer, out, states, index);
                }
                _ => {}
            }
        });
    }
}

fn hetu_rule(
    element: &Element,
    text: &str,
    pointer: &dyn Fn() -> String,
    options: &ContentOptions<'_>,
    out: &mut Findings,
    states: &mut States,
    index: usize,
) {
    let lang = out.lang;
    match parse_hetu(text) {
        Ok(hetu) => {
            if options.test_environment && !hetu.is_test() {
                states.invalid.insert(index);
                out.push(
                    finding(
                        "identifier.hetu.not-test",
                        Severity::Error,
                        msg!(
                            lang,
                            "{}: testiympäristössä henkilötunnuksen yksilönumeron on oltava 900-999 ({})",
                            "{}: i testmiljön ska personbeteckningens individnummer vara 900-999 ({})",
                            "{}: in the test environment a henkilötunnus must have an individual number 900-999 ({})",
                            element_name(element, lang),
                            mask(text)
                        ),
                    )
                    .at_pointer(pointer())
                    .about(element),
                );
            }
        }
        Err(error) => {
            states.invalid.insert(index);
            out.push(
                finding(
                    "identifier.hetu",
                    Severity::Error,
                    msg!(
                        lang,
                        "{}: henkilötunnus {} ei kelpaa: {}",
                        "{}: personbeteckningen {} är ogiltig: {}",
                        "{}: henkilötunnus {} is not valid: {}",
                        element_name(element, lang),
                        mask(text),
                        error
                    ),
                )
                .at_pointer(pointer())
                .about(element),
            );
        }
    }
}

fn date_finding(
    element: &Element,
    pointer: &str,
    severity: Severity,
    problem: Option<identifiers::DateTimeProblem>,
    out: &mut Findings,
    states: &mut States,
    index: usize,
) {
    let lang = out.lang;
    let (rule, message) = match problem {
        Some(problem) => {
            states.invalid.insert(index);
            (
                "content.datetime",
                msg!(
                    lang,
                    "{}: ei todellinen päivämäärä tai aika ({})",
                    "{}: inte ett verkligt datum eller klockslag ({})",
                    "{}: not a real date or time ({})",
                    element_name(element, lang),
                    problem
                ),
            )
        }
        None => (
            "content.datetime-partial",
            msg!(
                lang,
                "{}: päivämäärä tai aika on vajaa (ilman päivää, kellonaikaa tai aikavyöhykettä)",
                "{}: datum eller tid är ofullständigt (utan dag, klockslag eller tidszon)",
                "{}: the date or time is partial (no day, time of day or time zone)",
                element_name(element, lang)
            ),
        ),
    };
    out.push(
        finding(rule, severity, message)
            .at_pointer(pointer)
            .about(element),
    );
}

fn code_rule(
    definitions: &Definitions,
    element: &Element,
    value: &Value,
    pointer: &dyn Fn() -> String,
    out: &mut Findings,
    states: &mut States,
    index: usize,
) {
    let lang = out.lang;
    let Some(code) = value.get("code").and_then(Value::as_str) else {
        return;
    };
    let system = value.get("system").and_then(Value::as_str).unwrap_or("");
    let classifications = &definitions.classifications;
    // The value's own system when it names a known classification, else the element's.
    let check = match classifications.check_code(system, code) {
        CodeCheck::UnknownSystem => match &element.classification_oid {
            Some(oid) => classifications.check_code(oid, code),
            None => CodeCheck::UnknownSystem,
        },
        check => check,
    };
    let (rule, severity) = match check {
        CodeCheck::UnknownInComplete => ("content.code-unknown", Severity::Error),
        CodeCheck::UnknownInIncomplete => ("content.code-unlisted", Severity::Warning),
        _ => return,
    };
    if severity == Severity::Error {
        states.invalid.insert(index);
    }
    let message = if severity == Severity::Error {
        msg!(
            lang,
            "{}: koodia {} ei ole luokituksessa",
            "{}: koden {} finns inte i klassificeringen",
            "{}: code {} is not in the classification",
            element_name(element, lang),
            code
        )
    } else {
        msg!(
            lang,
            "{}: koodi {} ei ole ladatussa (vajaassa) luokitusluettelossa; lataa täysi luettelo tarkistusta varten",
            "{}: koden {} finns inte i den laddade (ofullständiga) klassificeringen; ladda hela listan för kontroll",
            "{}: code {} is not in the loaded (incomplete) classification list; load the full list to check it",
            element_name(element, lang),
            code
        )
    };
    out.push(
        finding(rule, severity, message)
            .at_pointer(format!("{}/code", pointer()))
            .about(element),
    );
}

fn conditional_rules(
    structure: &Structure,
    content: &Value,
    out: &mut Findings,
    states: &mut States,
) {
    let lang = out.lang;
    for rule in structure.rules() {
        for violation in rule.evaluate(content) {
            let members: Vec<&Element> = rule
                .members
                .iter()
                .filter_map(|m| structure.element_by_template(m))
                .map(|i| {
                    states.missing_conditional.insert(i);
                    &structure.elements()[i]
                })
                .collect();
            let names: Vec<&str> = members.iter().map(|e| element_name(e, lang)).collect();
            let condition = rule
                .condition()
                .and_then(|c| structure.element_by_template(c))
                .map(|i| element_name(&structure.elements()[i], lang).to_string());
            let message = match condition {
                Some(condition) => msg!(
                    lang,
                    "ehdollisesti pakollinen tieto {} puuttuu (ehto: {})",
                    "villkorligt obligatorisk uppgift {} saknas (villkor: {})",
                    "conditionally required element {} is missing (condition: {})",
                    names.join(", "),
                    condition
                ),
                None => msg!(
                    lang,
                    "yksi tiedoista {} on pakollinen",
                    "en av uppgifterna {} är obligatorisk",
                    "one of {} is required",
                    names.join(", ")
                ),
            };
            let mut f = finding("content.conditional-required", Severity::Error, message)
                .at_pointer(
                    violation
                        .missing
                        .first()
                        .cloned()
                        .unwrap_or(violation.anchor),
                );
            if let Some(first) = members.first() {
                f = f.about(first);
            }
            out.push(f);
        }
    }
}

/// The header's henkilötunnus must be a client's (an `asiakas` element's) in the content.
fn header_hetu_rule(
    structure: &Structure,
    content: &Value,
    header_hetu: &str,
    at: Option<&super::header::XmlAt>,
    out: &mut Findings,
) {
    let lang = out.lang;
    let mut client_hetus = Vec::new();
    for &index in structure.client_hetu_elements() {
        walk(
            content,
            structure.value_steps(index),
            &mut Vec::new(),
            &mut |_, value| {
                let text = match value {
                    Value::String(s) => Some(s.as_str()),
                    Value::Object(map) => map.get("value").and_then(Value::as_str),
                    _ => None,
                };
                client_hetus.extend(text);
            },
        );
    }
    if client_hetus.contains(&header_hetu) {
        return;
    }
    let severity = if client_hetus.is_empty() {
        Severity::Warning
    } else {
        Severity::Error
    };
    let f = finding(
        "header.hetu-not-in-content",
        severity,
        msg!(
            lang,
            "otsikon recordTarget-henkilötunnus ({}) ei ole sisällön asiakkaiden henkilötunnusten joukossa",
            "personbeteckningen i huvudets recordTarget ({}) finns inte bland innehållets klienters personbeteckningar",
            "the header's recordTarget henkilötunnus ({}) is not among the content's client henkilötunnus values",
            mask(header_hetu)
        ),
    );
    out.push(match at {
        Some(at) => at.place(f),
        None => f,
    });
}

fn field_table(structure: &Structure, content: &Value, states: &States) -> ContentResult {
    let mut fields = Vec::new();
    let mut coverage = Coverage::default();
    let mut counts: Vec<Option<usize>> = vec![None; structure.elements().len()];
    for (index, element) in structure.elements().iter().enumerate() {
        if element.name.fi.is_empty() {
            continue;
        }
        let count = count_values(content, structure.value_steps(index));
        counts[index] = Some(count);
        let status = if states.invalid.contains(&index) {
            FieldStatus::Invalid
        } else if states.missing_required.contains(&index) {
            FieldStatus::MissingRequired
        } else if count == 0 && states.missing_conditional.contains(&index) {
            FieldStatus::MissingConditional
        } else if count == 0 {
            FieldStatus::AbsentOptional
        } else {
            FieldStatus::Valid
        };
        // An element counts towards coverage only where its parent is present: the
        // required children of an absent optional group are not missing.
        let parent_present = element
            .parent
            .is_none_or(|p| counts[named(structure, p)].is_none_or(|n| n > 0));
        match (parent_present, element.required) {
            (false, _) => {}
            (true, true) => {
                coverage.required_total += 1;
                coverage.required_present += usize::from(count > 0);
            }
            (true, false) => {
                coverage.optional_total += 1;
                coverage.optional_used += usize::from(count > 0);
            }
        }
        fields.push(FieldRow {
            pointer: element.pointer.clone(),
            name: element.name.clone(),
            representation: element
                .representation
                .as_ref()
                .map(|r| r.as_fi().to_string()),
            required: element.required,
            status,
            count,
        });
    }
    for pointer in &states.undefined {
        coverage.undefined_fields += 1;
        fields.push(FieldRow {
            pointer: pointer.clone(),
            name: crate::definitions::LangText::default(),
            representation: None,
            required: false,
            status: FieldStatus::Undefined,
            count: 1,
        });
    }
    ContentResult {
        fields,
        coverage: Some(coverage),
    }
}
