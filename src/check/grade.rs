//! Grading findings as they are kept: a rule the catalogue marks as inferred from example
//! documents is at most a WARNING, and an organisation layer's re-grading of a rule
//! replaces its severity, with a note in the message naming the engine's severity and the
//! organisation (so that a lowered ERROR is never silent).

use std::sync::Arc;

use crate::catalogue;
use crate::definitions::bindings::Regrade;
use crate::findings::{Finding, Grader, Severity};
use crate::lang::Lang;
use crate::msg;

/// The grader for a check under the organisation layers' `regrades`.
pub fn grader(regrades: Arc<[Regrade]>) -> Grader {
    Arc::new(move |finding: &mut Finding, lang: Lang| grade(&regrades, finding, lang))
}

fn grade(regrades: &[Regrade], finding: &mut Finding, lang: Lang) {
    if finding.severity == Severity::Error
        && catalogue::get(&finding.rule).is_some_and(|r| r.authority.is_inferred())
    {
        finding.severity = Severity::Warning;
    }
    let Some(regrade) = regrades.iter().find(|r| r.rule == finding.rule) else {
        return;
    };
    if regrade.severity == finding.severity {
        return;
    }
    let (from, to, organisation) = (
        finding.severity.as_str(),
        regrade.severity.as_str(),
        regrade.organisation.as_str(),
    );
    let note = match regrade.reason.as_str() {
        "" => msg!(
            lang,
            "vakavuus {} → {} organisaation {} sidontakerroksen mukaan",
            "allvarlighetsgrad {} → {} enligt organisationens {} bindningslager",
            "severity {} → {} by the bindings layer of organisation {}",
            from,
            to,
            organisation
        ),
        reason => msg!(
            lang,
            "vakavuus {} → {} organisaation {} sidontakerroksen mukaan: {}",
            "allvarlighetsgrad {} → {} enligt organisationens {} bindningslager: {}",
            "severity {} → {} by the bindings layer of organisation {}: {}",
            from,
            to,
            organisation,
            reason
        ),
    };
    finding.message = format!("{} [{note}]", finding.message);
    finding.severity = regrade.severity;
}
