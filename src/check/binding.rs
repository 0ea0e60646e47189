//! Binding rules: the service task and process phase against the national and
//! organisation bindings, and the social services the content allows with a service task.
//!
//! Rule ids: `binding.service-task` (ERROR), `binding.phase` (ERROR for a hard rule,
//! WARNING for a hint), `binding.phase-missing` (ERROR, only under a hard rule) and
//! `binding.social-service` (ERROR, with the JSON pointer of the code).

use std::fmt::Write as _;

use serde_json::Value;

use crate::check::header::{HeaderFacts, XmlAt, system_matches};
use crate::check::report::{Finding, Severity};
use crate::definitions::Definitions;
use crate::definitions::bindings::{PhaseBinding, ServiceTaskBinding};
use crate::definitions::pointer::push_pointer_segment;
use crate::definitions::structure::Structure;
use crate::findings::{Findings, finding};
use crate::msg;

/// Sosiaalihuolto - Palvelutehtävä.
const SERVICE_TASK: &str = "1.2.246.537.6.1221";
/// Sosiaalihuolto - Sosiaalipalvelut.
const SOCIAL_SERVICE: &str = "1.2.246.537.6.1222";

/// What the binding rules look at.
#[derive(Debug, Clone, Copy, Default)]
pub struct BindingInput<'a> {
    pub service_task: Option<&'a str>,
    pub phase: Option<&'a str>,
    pub document_group: Option<&'a str>,
    pub content: Option<&'a Value>,
    /// The CDA header the task and phase came from, to place findings in the XML.
    pub header: Option<&'a HeaderFacts>,
}

/// Checks the document's bindings to its structure.
pub fn check_bindings(
    definitions: &Definitions,
    structure: &Structure,
    input: &BindingInput<'_>,
    out: &mut Findings,
) {
    service_task(definitions, structure, input, out);
    phase(definitions, structure, input, out);
    if let Some(content) = input.content {
        social_services(definitions, structure, input.service_task, content, out);
    }
}

/// Places a finding at the header element it is about, when the value came from there.
fn placed(finding: Finding, at: Option<&XmlAt>) -> Finding {
    match at {
        Some(at) => at.place(finding),
        None => finding,
    }
}

fn service_task(
    definitions: &Definitions,
    structure: &Structure,
    input: &BindingInput<'_>,
    out: &mut Findings,
) {
    let lang = out.lang;
    let Some(task) = input.service_task else {
        return;
    };
    let binding = definitions
        .bindings
        .allowed_service_tasks(structure.meta.subject.as_deref(), structure.oid());
    let ServiceTaskBinding::OneOf { codes, source } = binding else {
        return;
    };
    if codes.iter().any(|c| c == task) {
        return;
    }
    let at = input
        .header
        .filter(|h| h.service_task.as_deref() == Some(task))
        .and_then(|h| h.service_task_at.as_ref());
    out.push(placed(
        finding(
            "binding.service-task",
            Severity::Error,
            msg!(
                lang,
                "palvelutehtävä {} ei kuulu rakenteelle {} sallittuihin ({}; lähde: {})",
                "tjänsteuppgiften {} hör inte till de tillåtna för strukturen {} ({}; källa: {})",
                "service task {} is not among those allowed for structure {} ({}; source: {})",
                task,
                structure.oid(),
                codes.join(", "),
                source
            ),
        ),
        at,
    ));
}

fn phase(
    definitions: &Definitions,
    structure: &Structure,
    input: &BindingInput<'_>,
    out: &mut Findings,
) {
    let lang = out.lang;
    let binding = definitions
        .bindings
        .expected_phases(Some(structure.meta.family.as_str()), structure.oid());
    let PhaseBinding::OneOf {
        phases,
        hard,
        source,
    } = binding
    else {
        return;
    };
    let header = input.header;
    let Some(phase) = input.phase else {
        if !hard {
            return;
        }
        out.push(placed(
            finding(
                "binding.phase-missing",
                Severity::Error,
                msg!(
                    lang,
                    "palveluprosessin vaihe (serviceProcess) puuttuu; rakenteelle {} vaaditaan jokin vaiheista {} (lähde: {})",
                    "skedet i serviceprocessen (serviceProcess) saknas; för strukturen {} krävs ett av skedena {} (källa: {})",
                    "the process phase (serviceProcess) is missing; structure {} requires one of phases {} (source: {})",
                    structure.oid(),
                    phases.join(", "),
                    source
                ),
            ),
            header.and_then(|h| h.local_header_at.as_ref()),
        ));
        return;
    };
    if phases.iter().any(|p| p == phase) {
        return;
    }
    let severity = if hard {
        Severity::Error
    } else {
        Severity::Warning
    };
    let at = header
        .filter(|h| h.phase.as_deref() == Some(phase))
        .and_then(|h| h.phase_at.as_ref());
    out.push(placed(
        finding(
            "binding.phase",
            severity,
            msg!(
                lang,
                "palveluprosessin vaihe {} ei ole rakenteelle {} odotettu ({}; lähde: {})",
                "skedet {} i serviceprocessen är inte det väntade för strukturen {} ({}; källa: {})",
                "process phase {} is not the one expected for structure {} ({}; source: {})",
                phase,
                structure.oid(),
                phases.join(", "),
                source
            ),
        ),
        at,
    ));
}

/// A social service code found in the content, with the service task in force there.
#[derive(Debug, PartialEq, Eq)]
struct SocialService<'v> {
    /// Pointer to the Koodi object.
    pointer: String,
    code: &'v str,
    task: Option<&'v str>,
}

/// The code of a Koodi value (`{system, code, ...}`) whose system names `base`.
fn koodi_of<'v>(value: &'v Value, base: &str) -> Option<&'v str> {
    let object = value.as_object()?;
    let system = object.get("system")?.as_str()?;
    if !system_matches(system, base) {
        return None;
    }
    object.get("code")?.as_str()
}

/// Every social service Koodi in `value`, each with the nearest service task: a
/// palvelutehtävä Koodi among the fields of an enclosing object (as in
/// `sosiaalihuollon_palvelutehtava/*/palvelutehtava` beside its `palveluntuottaja`), else
/// the document's.
fn collect_social<'v>(
    value: &'v Value,
    pointer: &mut String,
    task: Option<&'v str>,
    found: &mut Vec<SocialService<'v>>,
) {
    if let Some(code) = koodi_of(value, SOCIAL_SERVICE) {
        found.push(SocialService {
            pointer: pointer.clone(),
            code,
            task,
        });
        return;
    }
    // One pointer buffer for the whole walk: a segment is appended for a child and cut
    // off again after it, so only found services cost an allocation.
    let len = pointer.len();
    match value {
        Value::Object(object) => {
            let task = object
                .values()
                .find_map(|v| koodi_of(v, SERVICE_TASK))
                .or(task);
            for (key, child) in object {
                if !child.is_object() && !child.is_array() {
                    continue;
                }
                push_pointer_segment(pointer, key);
                collect_social(child, pointer, task, found);
                pointer.truncate(len);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                if !child.is_object() && !child.is_array() {
                    continue;
                }
                // Writing to a `String` cannot fail.
                let _ = write!(pointer, "/{index}");
                collect_social(child, pointer, task, found);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

/// The cross-field rule of some structures (1.2.246.537.6.1506.19008): with a service
/// task, only some social services are allowed.
fn social_services(
    definitions: &Definitions,
    structure: &Structure,
    document_task: Option<&str>,
    content: &Value,
    out: &mut Findings,
) {
    if !definitions
        .bindings
        .restricts_social_services(structure.oid())
    {
        return;
    }
    let lang = out.lang;
    let mut found = Vec::new();
    collect_social(content, &mut String::new(), document_task, &mut found);
    for service in found {
        let Some(task) = service.task else {
            continue;
        };
        let Some((allowed, source)) = definitions
            .bindings
            .allowed_social_services(structure.oid(), task)
        else {
            continue;
        };
        if allowed.iter().any(|c| c == service.code) {
            continue;
        }
        out.push(
            finding(
                "binding.social-service",
                Severity::Error,
                msg!(
                    lang,
                    "sosiaalipalvelu {} ei ole sallittu palvelutehtävässä {} rakenteessa {} (sallitut: {}; lähde: {})",
                    "socialservicen {} är inte tillåten med tjänsteuppgiften {} i strukturen {} (tillåtna: {}; källa: {})",
                    "social service {} is not allowed with service task {} in structure {} (allowed: {}; source: {})",
                    service.code,
                    task,
                    structure.oid(),
                    allowed.join(", "),
                    source
                ),
            )
            .at_pointer(format!("{}/code", service.pointer)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn social_services_take_the_nearest_service_task() {
        let content = json!({
            "root": {
                "sosiaalihuollon_palvelutehtava": [{
                    "palvelutehtava": {"system": "urn:oid:1.2.246.537.6.1221.201601", "code": "10"},
                    "palveluntuottaja": [{
                        "sosiaalipalvelu": [{"system": "urn:oid:1.2.246.537.6.1222.201601", "code": "15"}]
                    }]
                }],
                "muu/palvelu": {"system": "1.2.246.537.6.1222", "code": "2"}
            }
        });
        let mut found = Vec::new();
        collect_social(&content, &mut String::new(), Some("20"), &mut found);
        assert_eq!(
            found,
            vec![
                SocialService {
                    pointer: "/root/sosiaalihuollon_palvelutehtava/0/palveluntuottaja/0/sosiaalipalvelu/0"
                        .into(),
                    code: "15",
                    task: Some("10"),
                },
                SocialService {
                    pointer: "/root/muu~1palvelu".into(),
                    code: "2",
                    task: Some("20"),
                },
            ]
        );
    }

    #[test]
    fn other_systems_are_not_social_services() {
        let content = json!({"a": {"system": "urn:oid:1.2.246.537.6.12220", "code": "2"}});
        let mut found = Vec::new();
        collect_social(&content, &mut String::new(), Some("10"), &mut found);
        assert!(found.is_empty());
    }
}
