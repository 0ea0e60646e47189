//! Binding rules: the service task and process phase against the national and
//! organisation bindings.

use serde_json::Value;

use crate::check::findings::{Findings, finding};
use crate::check::report::Severity;
use crate::definitions::Definitions;
use crate::definitions::bindings::ServiceTaskBinding;
use crate::definitions::structure::Structure;
use crate::msg;

/// What the binding rules look at.
#[derive(Debug, Clone, Copy, Default)]
pub struct BindingInput<'a> {
    pub service_task: Option<&'a str>,
    pub phase: Option<&'a str>,
    pub document_group: Option<&'a str>,
    pub content: Option<&'a Value>,
}

/// Checks the document's bindings to its structure.
pub fn check_bindings(
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
    if let ServiceTaskBinding::OneOf { codes, source } = binding
        && !codes.iter().any(|c| c == task)
    {
        out.push(finding(
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
        ));
    }
}
