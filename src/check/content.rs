//! Content rules: the structure's JSON Schema, then what the schemas only say in text
//! (conditional requirements, real dates, henkilötunnus and y-tunnus check characters,
//! codes of the loaded classifications), and the field table.

use std::collections::HashSet;

use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

use super::report::{Coverage, FieldRow, FieldStatus, Severity};
use crate::definitions::classifications::CodeCheck;
use crate::definitions::element::{Element, Representation};
use crate::definitions::pointer::escape_pointer;
use crate::definitions::rules::{concrete, count as count_values, walk};
use crate::definitions::structure::Structure;
use crate::definitions::{Definitions, Lang};
use crate::findings::{Findings, finding};
use crate::identifiers::{
    self, HetkiCheck, PvmCheck, check_hetki, check_pvm, check_ytunnus, mask, parse_hetu,
};
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
    /// The client's birth date by the CDA header (birthTime, else its henkilötunnus).
    pub header_birth_date: Option<(i32, u8, u8)>,
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
    /// Pointers the schema already reported, so a later rule does not report the same
    /// defect again at the same place (a malformed Pvm is one ERROR, not two).
    schema_pointers: HashSet<String>,
    /// Codes of classifications the catalog does not carry, by classification.
    unchecked: Vec<Unchecked>,
    /// Codes missing from a carried but incomplete list, by classification.
    unlisted: Vec<Unlisted>,
}

/// A classification the catalog does not carry, seen in one document.
struct Unchecked {
    oid: String,
    name: Option<String>,
    element: usize,
    pointers: Vec<String>,
}

/// Codes not in a carried, incomplete classification list, in one document.
struct Unlisted {
    oid: String,
    name: String,
    element: usize,
    /// `(pointer, code)` per occurrence.
    found: Vec<(String, String)>,
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
    blank_required_rule(structure, content, out, &mut states);
    text_rules(definitions, structure, content, options, out, &mut states);
    classification_summaries(structure, out, &mut states);
    conditional_rules(structure, content, out, &mut states);
    if let Some(hetu) = options.header_hetu {
        header_hetu_rule(structure, content, hetu, options.header_hetu_at, out);
    }
    birth_date_rule(structure, content, options, out);
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
        states.schema_pointers.insert(at.clone());
        match error.kind() {
            ValidationErrorKind::Required { property } => {
                let key = property.as_str().unwrap_or_default();
                let pointer = format!("{at}/{}", escape_pointer(key));
                states.schema_pointers.insert(pointer.clone());
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
        let is_temporary_id = element.key == "tilapainen_yksilointitunnus" && !is_hetu;
        // Pointers are made only for findings.
        walk(content, steps, &mut indices, &mut |at, value| {
            let pointer = || concrete(steps, at);
            if is_temporary_id {
                let text = match value {
                    Value::String(s) => Some(s.as_str()),
                    Value::Object(map) => map.get("value").and_then(Value::as_str),
                    _ => None,
                };
                if let Some(f) = text.and_then(|t| super::header::temporary_id_finding(t, lang)) {
                    let at = if value.is_object() {
                        format!("{}/value", pointer())
                    } else {
                        pointer()
                    };
                    out.push(f.at_pointer(at).about(element));
                }
                return;
            }
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
    // The schema's pattern already reported this value: one defect, one finding.
    if states.schema_pointers.contains(pointer) {
        if problem.is_some() {
            states.invalid.insert(index);
        }
        return;
    }
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
    let found = classifications.lookup(system).or_else(|| {
        element
            .classification_oid
            .as_deref()
            .and_then(|oid| classifications.lookup(oid))
    });
    let Some(found) = found else {
        // Not carried at all: said once per classification and document (INFO).
        let oid = element
            .classification_oid
            .as_deref()
            .filter(|oid| identifiers::check_oid(oid).is_ok())
            .or_else(|| {
                let bare = system.trim_start_matches("urn:oid:");
                identifiers::check_oid(bare).is_ok().then_some(bare)
            });
        let Some(oid) = oid else { return };
        match states.unchecked.iter_mut().find(|u| u.oid == oid) {
            Some(seen) => seen.pointers.push(format!("{}/code", pointer())),
            None => states.unchecked.push(Unchecked {
                oid: oid.to_string(),
                name: element.classification_name.clone(),
                element: index,
                pointers: vec![format!("{}/code", pointer())],
            }),
        }
        return;
    };
    let classification = found.classification;
    // A register (organisations, service units) with no list loaded: its codes are OIDs
    // of an organisation arc, checked by form, not by membership.
    if classification.is_register() {
        if let Some(problem) = identifiers::organisation_oid_problem(code) {
            out.push(
                finding(
                    "content.register-oid",
                    Severity::Warning,
                    msg!(
                        lang,
                        "{}: koodi {} ei ole rekisterin {} ({}) tunniste: {}",
                        "{}: koden {} är inte en identifierare i registret {} ({}): {}",
                        "{}: code {} is not an identifier of the register {} ({}): {}",
                        element_name(element, lang),
                        mask_if_long(code),
                        classification.name().fi,
                        classification.oid(),
                        problem.describe(lang)
                    ),
                )
                .at_pointer(format!("{}/code", pointer()))
                .about(element),
            );
        }
        return;
    }
    match classification.check(code) {
        CodeCheck::UnknownInComplete => {
            states.invalid.insert(index);
            out.push(
                finding(
                    "content.code-unknown",
                    Severity::Error,
                    msg!(
                        lang,
                        "{}: koodia {} ei ole luokituksessa {} ({})",
                        "{}: koden {} finns inte i klassificeringen {} ({})",
                        "{}: code {} is not in the classification {} ({})",
                        element_name(element, lang),
                        mask_if_long(code),
                        classification.name().fi,
                        classification.oid()
                    ),
                )
                .at_pointer(format!("{}/code", pointer()))
                .about(element),
            );
        }
        CodeCheck::UnknownInIncomplete => {
            let oid = classification.oid();
            let at = (format!("{}/code", pointer()), code.to_string());
            match states.unlisted.iter_mut().find(|u| u.oid == oid) {
                Some(seen) => seen.found.push(at),
                None => states.unlisted.push(Unlisted {
                    oid: oid.to_string(),
                    name: classification.name().fi.clone(),
                    element: index,
                    found: vec![at],
                }),
            }
        }
        CodeCheck::Known { .. } | CodeCheck::UnknownSystem => {}
    }
}

/// How many pointers a summary finding lists in its message.
const SUMMARY_POINTERS: usize = 10;

/// One INFO finding per classification the catalog does not carry, and one WARNING per
/// incomplete classification with codes missing from its list (a count and the pointers
/// when there are several), both naming the classification.
fn classification_summaries(structure: &Structure, out: &mut Findings, states: &mut States) {
    let lang = out.lang;
    for unchecked in std::mem::take(&mut states.unchecked) {
        let element = &structure.elements()[unchecked.element];
        let name = match &unchecked.name {
            Some(name) => format!("{name} ({})", unchecked.oid),
            None => unchecked.oid.clone(),
        };
        out.push(
            finding(
                "content.code-unchecked",
                Severity::Info,
                msg!(
                    lang,
                    "luokitusta {} ei ole ladattu, joten sen koodeja ei tarkistettu ({} kpl); lataa luokitus tarkistusta varten",
                    "klassificeringen {} är inte laddad, så dess koder kontrollerades inte ({} st.); ladda klassificeringen för kontroll",
                    "the classification {} is not loaded, so its codes were not checked ({} of them); load the classification to check them",
                    name,
                    unchecked.pointers.len()
                ),
            )
            .at_pointer(unchecked.pointers[0].clone())
            .about(element),
        );
    }
    for unlisted in std::mem::take(&mut states.unlisted) {
        let element = &structure.elements()[unlisted.element];
        let classification = format!("{} ({})", unlisted.name, unlisted.oid);
        let message = match unlisted.found.as_slice() {
            [(_, code)] => msg!(
                lang,
                "{}: koodi {} ei ole luokituksen {} ladatussa (vajaassa) luettelossa; lataa täysi luettelo tarkistusta varten",
                "{}: koden {} finns inte i den laddade (ofullständiga) listan för klassificeringen {}; ladda hela listan för kontroll",
                "{}: code {} is not in the loaded (incomplete) list of the classification {}; load the full list to check it",
                element_name(element, lang),
                mask_if_long(code),
                classification
            ),
            found => {
                let mut pointers: Vec<&str> = found
                    .iter()
                    .take(SUMMARY_POINTERS)
                    .map(|(p, _)| p.as_str())
                    .collect();
                if found.len() > SUMMARY_POINTERS {
                    pointers.push("…");
                }
                msg!(
                    lang,
                    "{} koodia ei ole luokituksen {} ladatussa (vajaassa) luettelossa; lataa täysi luettelo tarkistusta varten: {}",
                    "{} koder finns inte i den laddade (ofullständiga) listan för klassificeringen {}; ladda hela listan för kontroll: {}",
                    "{} codes are not in the loaded (incomplete) list of the classification {}; load the full list to check them: {}",
                    found.len(),
                    classification,
                    pointers.join(", ")
                )
            }
        };
        out.push(
            finding("content.code-unlisted", Severity::Warning, message)
                .at_pointer(unlisted.found[0].0.clone())
                .about(element),
        );
    }
}

/// A code as a message may show it: codes are short, but a long one is cut.
fn mask_if_long(code: &str) -> String {
    if code.chars().count() <= 40 {
        code.to_string()
    } else {
        mask(code)
    }
}

/// A required text element whose value is empty or only whitespace is missing, as it is
/// for the conditional rules: the schema's `required` only asks for the key.
fn blank_required_rule(
    structure: &Structure,
    content: &Value,
    out: &mut Findings,
    states: &mut States,
) {
    let lang = out.lang;
    let mut indices = Vec::new();
    for &index in structure.required_text_elements() {
        let steps = structure.value_steps(index);
        walk(content, steps, &mut indices, &mut |at, value| {
            let Value::String(text) = value else { return };
            if !text.trim().is_empty() {
                return;
            }
            let pointer = concrete(steps, at);
            if states.schema_pointers.contains(&pointer) {
                return;
            }
            let named_index = named(structure, index);
            states.missing_required.insert(named_index);
            let shown = &structure.elements()[named_index];
            out.push(
                finding(
                    "content.required",
                    Severity::Error,
                    msg!(
                        lang,
                        "pakollinen tieto {} on tyhjä",
                        "obligatorisk uppgift {} är tom",
                        "required element {} is empty",
                        element_name(shown, lang)
                    ),
                )
                .at_pointer(pointer)
                .about(shown),
            );
        });
    }
}

fn conditional_rules(
    structure: &Structure,
    content: &Value,
    out: &mut Findings,
    states: &mut States,
) {
    use crate::definitions::rules::RuleKind;
    let lang = out.lang;
    for rule in structure.rules() {
        let violations = rule.evaluate(content);
        if violations.is_empty() {
            continue;
        }
        let members: Vec<usize> = rule
            .members
            .iter()
            .filter_map(|m| structure.element_by_template(m))
            .collect();
        // Each name once: two places of one group ("Palvelunjärjestäjän palveluyksikkö"
        // defined twice) are one alternative to the reader.
        let mut names: Vec<String> = Vec::new();
        for &i in &members {
            let name = shown_name(&structure.elements()[i], lang);
            if !names.contains(&name) {
                names.push(name);
            }
        }
        let condition = rule
            .condition()
            .and_then(|c| structure.element_by_template(c))
            .map(|i| shown_name(&structure.elements()[i], lang));
        let message = match (&condition, names.as_slice()) {
            (Some(condition), _) => msg!(
                lang,
                "ehdollisesti pakollinen tieto {} puuttuu (ehto: {})",
                "villkorligt obligatorisk uppgift {} saknas (villkor: {})",
                "conditionally required element {} is missing (condition: {})",
                names.join(", "),
                condition
            ),
            (None, [one]) => msg!(
                lang,
                "tieto {} on pakollinen ainakin yhdessä kohdassaan",
                "uppgiften {} är obligatorisk på minst ett av sina ställen",
                "element {} is required in at least one of its places",
                one
            ),
            (None, _) => msg!(
                lang,
                "joko {} on pakollinen",
                "antingen {} är obligatorisk",
                "either {} is required",
                alternatives(&names, lang)
            ),
        };
        let either_or = matches!(rule.kind, RuleKind::AtLeastOne | RuleKind::AtLeastOneYes);
        for violation in violations {
            for &i in &members {
                states.missing_conditional.insert(i);
            }
            // An either/or rule is about its group: the finding stands at the item that
            // lacks both alternatives. A conditional one stands where the member is missing.
            let at = if either_or {
                violation.anchor
            } else {
                violation
                    .missing
                    .first()
                    .cloned()
                    .unwrap_or(violation.anchor)
            };
            let mut f = finding(
                "content.conditional-required",
                Severity::Error,
                message.clone(),
            )
            .at_pointer(at);
            if let Some(&first) = members.first() {
                f = f.about(&structure.elements()[first]);
            }
            out.push(f);
        }
    }
}

/// The element's name, with its heading when the heading differs ("Kuvaus (Lisätiedot)"):
/// notes name elements by either.
fn shown_name(element: &Element, lang: Lang) -> String {
    let name = element_name(element, lang);
    match element.title.as_ref().map(|t| t.get(lang)) {
        Some(title) if !title.is_empty() && title != name => format!("{name} ({title})"),
        _ => name.to_string(),
    }
}

/// "A tai B", "A, B tai C" in the report's language.
fn alternatives(names: &[String], lang: Lang) -> String {
    let or = msg!(lang, " tai ", " eller ", " or ");
    match names.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{}{or}{last}", rest.join(", ")),
        None => String::new(),
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

/// A client's `syntymaaika` in the content is the birth date of the same client
/// elsewhere: the henkilötunnus beside it, else (for the header's client) the CDA
/// header's birthTime or henkilötunnus. Authority: the henkilötunnus encodes the birth
/// date (Väestötietolaki 661/2009, DVV); no published Kanta rule makes a difference an
/// error, so a WARNING (inferred consistency rule). One finding per client.
fn birth_date_rule(
    structure: &Structure,
    content: &Value,
    options: &ContentOptions<'_>,
    out: &mut Findings,
) {
    let lang = out.lang;
    let hetu_text = |value: Option<&Value>| -> Option<String> {
        match value? {
            Value::String(s) => Some(s.clone()),
            Value::Object(map) => map.get("value").and_then(Value::as_str).map(str::to_string),
            _ => None,
        }
    };
    for (index, element) in structure.elements().iter().enumerate() {
        if element.key != "syntymaaika" || !element.pointer.contains("/asiakas") {
            continue;
        }
        let Some(parent) = element.parent else {
            continue;
        };
        let steps = structure.value_steps(parent);
        let clients = count_values(content, steps);
        walk(content, steps, &mut Vec::new(), &mut |at, client| {
            let Value::Object(map) = client else { return };
            let Some(date) = map
                .get(element.key.as_str())
                .and_then(Value::as_str)
                .and_then(parse_date)
            else {
                return;
            };
            let own_hetu = hetu_text(map.get("henkilotunnus"));
            let own = own_hetu
                .as_deref()
                .and_then(|h| parse_hetu(h).ok())
                .map(|h| h.birth_date());
            // The header's client: the one with the header's henkilötunnus, or the only one.
            let is_header_client = match (options.header_hetu, own_hetu.as_deref()) {
                (Some(header), Some(own)) => header == own,
                (_, None) => clients == 1,
                (None, Some(_)) => clients == 1,
            };
            let (expected, source) = match own {
                Some(own) => (
                    own,
                    msg!(
                        lang,
                        "asiakkaan henkilötunnus",
                        "klientens personbeteckning",
                        "the client's henkilötunnus"
                    ),
                ),
                None => match options.header_birth_date.filter(|_| is_header_client) {
                    Some(header) => (
                        header,
                        msg!(
                            lang,
                            "CDA-otsikon birthTime tai henkilötunnus",
                            "CDA-huvudets birthTime eller personbeteckning",
                            "the CDA header's birthTime or henkilötunnus"
                        ),
                    ),
                    None => return,
                },
            };
            if date == expected {
                return;
            }
            let pointer = format!("{}/{}", concrete(steps, at), escape_pointer(&element.key));
            out.push(
                finding(
                    "content.birth-date",
                    Severity::Warning,
                    msg!(
                        lang,
                        "{}: syntymäaika ei ole sama päivä kuin {} ilmaisee",
                        "{}: födelsedatumet är inte samma dag som {} anger",
                        "{}: the birth date is not the date {} gives",
                        element_name(&structure.elements()[index], lang),
                        source
                    ),
                )
                .at_pointer(pointer)
                .about(element),
            );
        });
    }
}

/// `YYYY-MM-DD` as `(year, month, day)`; anything else (partial, malformed) gives none.
fn parse_date(text: &str) -> Option<(i32, u8, u8)> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    Some((
        text[..4].parse().ok()?,
        text[5..7].parse().ok()?,
        text[8..10].parse().ok()?,
    ))
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
