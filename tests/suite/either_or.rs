//! Either/or rules scoped to their group (issue 15, point 4): in the `haettava_palvelu`
//! items of structures 3002, 3005, 3006, 3007, 3011 and 3013, "Sosiaalipalvelu or
//! Lisätiedot" is the item's rule, "Lisätiedot" is the item's own `kuvaus` (titled so),
//! and an item lacking both gets one finding at the item, naming both alternatives.

use std::sync::{Arc, OnceLock};

use rakenne::check::report::{Report, Severity};
use rakenne::check::{CheckOptions, Engine};
use rakenne::definitions::Definitions;
use rakenne::definitions::Lang;
use rakenne::definitions::rules::RuleKind;
use serde_json::{Value, json};

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::new(Arc::new(Definitions::embedded().unwrap())))
}

/// The structures whose items carry the rule, by the type arc of their OID.
const TYPES: [&str; 6] = ["3002", "3005", "3006", "3007", "3011", "3013"];

fn structures() -> Vec<Arc<rakenne::definitions::structure::Structure>> {
    let found: Vec<_> = engine()
        .definitions()
        .catalog
        .iter()
        .filter(|s| TYPES.iter().any(|t| s.oid().split('.').nth(6) == Some(t)))
        .cloned()
        .collect();
    assert!(found.len() >= TYPES.len(), "{} structures", found.len());
    found
}

/// The pointer template of a structure's `haettava_palvelu` items.
fn items_of(structure: &rakenne::definitions::structure::Structure) -> String {
    structure
        .elements()
        .iter()
        .find(|e| e.key == "haettava_palvelu")
        .map(|e| format!("{}/*", e.pointer))
        .expect("a haettava_palvelu element")
}

#[test]
fn the_item_rule_is_one_either_or_over_the_items_own_fields() {
    for structure in structures() {
        let items = items_of(&structure);
        let rules: Vec<_> = structure
            .rules()
            .iter()
            .filter(|r| r.members.iter().any(|m| m.starts_with(&items)))
            .collect();
        assert_eq!(rules.len(), 1, "{}: {rules:?}", structure.oid());
        let rule = rules[0];
        assert_eq!(rule.kind, RuleKind::AtLeastOne, "{}", structure.oid());
        assert_eq!(rule.anchor, items, "{}", structure.oid());
        assert_eq!(
            rule.members,
            [
                format!("{items}/kuvaus"),
                format!("{items}/sosiaalipalvelu")
            ],
            "{}",
            structure.oid()
        );
        // No rule of the document judges an item by the document-level `lisatiedot`.
        for rule in structure.rules() {
            assert!(
                !rule.condition().is_some_and(|c| c.ends_with("/lisatiedot")
                    && rule.members.iter().any(|m| m.starts_with(&items))),
                "{}: {rule:?}",
                structure.oid()
            );
        }
    }
}

/// A 3002 content with the given items and, when given, the root `lisatiedot`.
fn content(items: Value, lisatiedot: Option<Value>) -> Vec<u8> {
    let mut body = json!({
        "asiakas": [{"sukunimi": "Mallinen", "etunimet": "Matti",
                     "henkilotunnus": {"system": "urn:oid:1.2.246.21", "value": "120585-934U"}}],
        "hakemus": {"haettava_palvelu": items},
        "laatija": {"sukunimi": "Mallinen", "etunimet": "Matti"}
    });
    if let Some(lisatiedot) = lisatiedot {
        body["lisatiedot"] = lisatiedot;
    }
    serde_json::to_vec(&json!({ "hakemus_paihde__ja_riippuvuustyon_erityiseen_palveluun": body }))
        .unwrap()
}

fn check(document: &[u8], lang: Lang) -> Report {
    engine()
        .check(
            document,
            None,
            &CheckOptions {
                lang,
                ..CheckOptions::default()
            },
        )
        .unwrap()
}

fn either_or(report: &Report) -> Vec<(String, String)> {
    report
        .findings
        .iter()
        .filter(|f| f.rule == "content.conditional-required")
        .map(|f| (f.pointer.clone().unwrap_or_default(), f.message.clone()))
        .collect()
}

const ITEMS: &str =
    "/hakemus_paihde__ja_riippuvuustyon_erityiseen_palveluun/hakemus/haettava_palvelu";

#[test]
fn an_item_with_only_kuvaus_passes_whatever_the_root_lisatiedot_holds() {
    for lisatiedot in [
        None,
        Some(json!("")),
        Some(json!("   ")),
        Some(json!("Muuta tietoa.")),
    ] {
        let report = check(
            &content(json!([{"kuvaus": "Palvelutarve."}]), lisatiedot.clone()),
            Lang::Fi,
        );
        assert!(
            either_or(&report).is_empty() && report.errors() == 0,
            "lisatiedot {lisatiedot:?}: {:?}",
            report.findings
        );
    }
}

#[test]
fn an_empty_item_gets_one_finding_at_the_item_naming_both_alternatives() {
    for lisatiedot in [None, Some(json!("Muuta tietoa."))] {
        let report = check(&content(json!([{}]), lisatiedot), Lang::Fi);
        let found = either_or(&report);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, format!("{ITEMS}/0"));
        let message = &found[0].1;
        assert!(message.contains("Sosiaalipalvelu"), "{message}");
        assert!(message.contains("Lisätiedot"), "{message}");
        assert_eq!(report.errors(), 1, "{:?}", report.findings);
    }
    let report = check(&content(json!([{}]), None), Lang::En);
    let found = either_or(&report);
    assert!(found[0].1.starts_with("either "), "{}", found[0].1);
    assert!(found[0].1.contains(" or "), "{}", found[0].1);
}

#[test]
fn two_empty_items_get_two_findings() {
    let report = check(
        &content(
            json!([{}, {"sosiaalipalvelu": {"system": "urn:oid:1.2.246.537.6.1222.201601",
                    "code": "46", "display": "Sosiaalityö"}}, {"kuvaus": " \t"}]),
            Some(json!("Muuta tietoa.")),
        ),
        Lang::Fi,
    );
    let pointers: Vec<String> = either_or(&report).into_iter().map(|(p, _)| p).collect();
    assert_eq!(pointers, [format!("{ITEMS}/0"), format!("{ITEMS}/2")]);
}

#[test]
fn conditional_rules_do_not_fire_on_a_root_that_is_not_an_object() {
    let document = br#"{"hakemus_paihde__ja_riippuvuustyon_erityiseen_palveluun": ["x"]}"#;
    let report = check(document, Lang::Fi);
    assert!(either_or(&report).is_empty(), "{:?}", report.findings);
    assert!(
        report
            .findings
            .iter()
            .all(|f| f.severity != Severity::Error || f.rule == "content.type"),
        "{:?}",
        report.findings
    );
}

/// A rule over two places of one name ("Palvelunjärjestäjän palveluyksikkö" defined
/// twice) names it once.
#[test]
fn messages_do_not_repeat_a_name() {
    let mut repeated = Vec::new();
    for structure in engine().definitions().catalog.iter() {
        for rule in structure.rules() {
            if !matches!(rule.kind, RuleKind::AtLeastOne) {
                continue;
            }
            // The smallest content in which the rule's anchor exists and is empty.
            let mut content = json!({});
            let mut at = &mut content;
            let steps: Vec<&str> = rule.anchor.trim_start_matches('/').split('/').collect();
            for step in &steps {
                if *step == "*" {
                    *at = json!([{}]);
                    at = &mut at[0];
                } else {
                    at[*step] = json!({});
                    at = &mut at[*step];
                }
            }
            let report = check(&serde_json::to_vec(&content).unwrap(), Lang::Fi);
            for f in report
                .findings
                .iter()
                .filter(|f| f.rule == "content.conditional-required")
            {
                let text = f.message.replace(" tai ", ", ");
                let parts: Vec<&str> = text
                    .trim_start_matches("joko ")
                    .split(" on pakollinen")
                    .next()
                    .unwrap()
                    .split(", ")
                    .collect();
                let mut seen = std::collections::HashSet::new();
                if parts.iter().any(|p| !seen.insert(*p)) {
                    repeated.push(format!("{}: {}", structure.oid(), f.message));
                }
            }
        }
    }
    assert!(repeated.is_empty(), "{}", repeated.join("\n"));
}
