//! `ListRules`: the rule catalogue, with the severities the server's organisation layer
//! re-grades.

use crate::catalogue::{self, Authority};
use crate::definitions::bindings::Bindings;

use super::pb;

/// The catalogue's rules of `family` (all when empty), as the server grades them.
pub fn list_rules(bindings: &Bindings, request: &pb::ListRulesRequest) -> pb::ListRulesResponse {
    let family = request.family.trim().trim_end_matches('.');
    let rules = catalogue::sorted()
        .into_iter()
        .filter(|r| family.is_empty() || r.family() == family)
        .map(|rule| {
            let regrade = bindings.regrade_of(rule.id);
            pb::Rule {
                id: rule.id.to_string(),
                family: rule.family().to_string(),
                severity: super::convert::severity(rule.severity) as i32,
                checks: rule.checks.to_string(),
                authority_kind: authority_kind(rule.authority) as i32,
                authority: rule.authority.source().to_string(),
                pass_example: rule.pass.to_string(),
                fail_example: rule.fail.to_string(),
                effective_severity: super::convert::severity(
                    regrade.map_or(rule.severity, |r| r.severity),
                ) as i32,
                regraded_by: regrade.map(|r| r.organisation.clone()).unwrap_or_default(),
                regrade_reason: regrade.map(|r| r.reason.clone()).unwrap_or_default(),
            }
        })
        .collect();
    pb::ListRulesResponse { rules }
}

fn authority_kind(authority: Authority) -> pb::AuthorityKind {
    match authority {
        Authority::Published(_) => pb::AuthorityKind::Published,
        Authority::Inferred(_) => pb::AuthorityKind::Inferred,
        Authority::Organisation(_) => pb::AuthorityKind::Organisation,
        Authority::Limit(_) => pb::AuthorityKind::Limit,
    }
}
