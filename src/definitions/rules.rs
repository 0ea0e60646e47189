//! Machine rules for what the Sosmeta schemas only say in text: the conditional
//! requirements written in implementation notes ("X- ja Y -kentistä toinen on pakollinen").
//!
//! Official files carry the notes, and the rules are recognised from them here. Stripped
//! files (the embedded catalog) carry no notes, so `definitions strip` stores the recognised
//! rules in the root annotation under [`RULES_KEY`], and they are read back from there.
//!
//! A rule names its elements by pointer templates (`*` for any array index) and is
//! evaluated once per instance of its anchor, the nearest element that holds all of them.

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::StructureError;
use super::element::{Element, Representation};
use super::pointer::{escape_pointer, split_pointer};

/// Where `definitions strip` keeps recognised rules in the root `sosmeta` object.
pub const RULES_KEY: &str = "rakenneRules";

/// A conditional requirement in machine form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConditionalRule {
    pub kind: RuleKind,
    /// Pointer template of the element each of whose instances the rule applies to.
    pub anchor: String,
    /// Pointer templates of the elements the rule names.
    pub members: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum RuleKind {
    /// At least one of the members is present.
    AtLeastOne,
    /// At least one of the members is present and answered "yes" (true).
    AtLeastOneYes,
    /// The member is required when `condition` is answered yes / no.
    RequiredIfAnswer { condition: String, yes: bool },
    /// The member is required when `condition` is left empty.
    RequiredIfAbsent { condition: String },
}

/// One instance where a rule does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleViolation {
    /// The concrete pointer of the anchor instance.
    pub anchor: String,
    /// Concrete pointers where the missing member(s) should stand.
    pub missing: Vec<String>,
}

impl ConditionalRule {
    /// Checks the rule against content whose top level holds the root key.
    pub fn evaluate(&self, content: &Value) -> Vec<RuleViolation> {
        let mut violations = Vec::new();
        if !self.anchor.starts_with('/') {
            return violations;
        }
        let anchor_steps = steps(&self.anchor);
        // Templates below the anchor, split once (not once per anchor instance).
        let relative = |template: &str| -> Vec<Step> {
            steps(template)
                .into_iter()
                .skip(anchor_steps.len())
                .collect()
        };
        let members: Vec<Vec<Step>> = self.members.iter().map(|m| relative(m)).collect();
        let condition = self.condition().map(|c| relative(c));
        let present = |at: &Value, steps: &[Step]| any(at, steps, &mut |v| is_present(v));
        walk(
            content,
            &anchor_steps,
            &mut Vec::new(),
            &mut |indices, anchor_value| {
                // An anchor holds its members: a value that is not an object (a schema
                // error reported on its own) cannot be judged by what it lacks.
                if !anchor_value.is_object() {
                    return;
                }
                let holds = match &self.kind {
                    RuleKind::AtLeastOne => members.iter().any(|m| present(anchor_value, m)),
                    RuleKind::AtLeastOneYes => members
                        .iter()
                        .any(|m| any(anchor_value, m, &mut |v| answer(v) == Some(true))),
                    RuleKind::RequiredIfAnswer { yes, .. } => {
                        let condition = condition.as_deref().unwrap_or_default();
                        let asked = any(anchor_value, condition, &mut |v| answer(v) == Some(*yes));
                        !asked || members.iter().all(|m| present(anchor_value, m))
                    }
                    RuleKind::RequiredIfAbsent { .. } => {
                        let condition = condition.as_deref().unwrap_or_default();
                        present(anchor_value, condition)
                            || members.iter().all(|m| present(anchor_value, m))
                    }
                };
                if holds {
                    return;
                }
                let anchor_pointer = concrete(&anchor_steps, indices);
                // Where a member would stand: its path below the anchor with array positions
                // (which do not exist yet) cut off at the first `*`.
                let missing_at = |member: &[Step]| {
                    let mut pointer = anchor_pointer.clone();
                    for step in member {
                        match step {
                            Step::Any => break,
                            Step::Key(key) => {
                                pointer.push('/');
                                pointer.push_str(&escape_pointer(key));
                            }
                        }
                    }
                    pointer
                };
                violations.push(RuleViolation {
                    missing: members.iter().map(|m| missing_at(m)).collect(),
                    anchor: anchor_pointer,
                });
            },
        );
        violations
    }
}

/// A value counts as given when it is not null and not empty.
fn is_present(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.trim().is_empty(),
        Value::Array(items) => items.iter().any(is_present),
        Value::Object(map) => !map.is_empty(),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

/// Reads a yes/no answer: a Kytkin boolean, or a Kyllä/Ei code (K / E).
fn answer(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Object(map) => match map.get("code").and_then(Value::as_str) {
            Some("K") => Some(true),
            Some("E") => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// One step of a pointer template: a key (unescaped) or `*`, any array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    Key(String),
    Any,
}

/// A pointer template (`*` for any array index) split into steps; a template that does
/// not start with `/` (the whole content) has none.
pub(crate) fn steps(template: &str) -> Vec<Step> {
    match split_pointer(template) {
        Some(segments) => segments
            .map(|s| if s == "*" { Step::Any } else { Step::Key(s) })
            .collect(),
        None => Vec::new(),
    }
}

/// Calls `f` with every concrete value that `steps` reach from `value`, in document
/// order, with the array indices taken on the way (one per [`Step::Any`]). Nothing is
/// allocated per value: the pointer is made by [`concrete`] only when it is needed.
pub(crate) fn walk<'v, F>(value: &'v Value, steps: &[Step], indices: &mut Vec<usize>, f: &mut F)
where
    F: FnMut(&[usize], &'v Value),
{
    match steps.split_first() {
        None => f(indices, value),
        Some((Step::Key(key), rest)) => {
            if let Value::Object(map) = value
                && let Some(child) = map.get(key.as_str())
            {
                walk(child, rest, indices, f);
            }
        }
        Some((Step::Any, rest)) => {
            if let Value::Array(items) = value {
                for (i, item) in items.iter().enumerate() {
                    indices.push(i);
                    walk(item, rest, indices, f);
                    indices.pop();
                }
            }
        }
    }
}

/// True when `pred` holds for any value `steps` reach from `value` (stops at the first).
pub(crate) fn any<F>(value: &Value, steps: &[Step], pred: &mut F) -> bool
where
    F: FnMut(&Value) -> bool,
{
    match steps.split_first() {
        None => pred(value),
        Some((Step::Key(key), rest)) => match value {
            Value::Object(map) => map.get(key.as_str()).is_some_and(|c| any(c, rest, pred)),
            _ => false,
        },
        Some((Step::Any, rest)) => match value {
            Value::Array(items) => items.iter().any(|item| any(item, rest, pred)),
            _ => false,
        },
    }
}

/// How many values `steps` reach from `value`.
pub(crate) fn count(value: &Value, steps: &[Step]) -> usize {
    match steps.split_first() {
        None => 1,
        Some((Step::Key(key), rest)) => match value {
            Value::Object(map) => map.get(key.as_str()).map_or(0, |c| count(c, rest)),
            _ => 0,
        },
        Some((Step::Any, rest)) => match value {
            Value::Array(items) => items.iter().map(|item| count(item, rest)).sum(),
            _ => 0,
        },
    }
}

/// The concrete pointer of a value [`walk`] reached: the steps with their indices.
pub(crate) fn concrete(steps: &[Step], indices: &[usize]) -> String {
    use std::fmt::Write as _;
    let mut pointer = String::new();
    let mut indices = indices.iter();
    for step in steps {
        pointer.push('/');
        match step {
            Step::Key(key) => pointer.push_str(&escape_pointer(key)),
            Step::Any => {
                let _ = write!(pointer, "{}", indices.next().copied().unwrap_or_default());
            }
        }
    }
    pointer
}

/// Recognises the rules of a structure, or reads them from a stripped file; returns them
/// with the indices of `conditionalRequired` elements no rule covers.
pub(crate) fn derive(
    elements: &[Element],
    root: &Map<String, Value>,
) -> Result<(Vec<ConditionalRule>, Vec<usize>), StructureError> {
    let stored = root.get("sosmeta").and_then(|s| s.get(RULES_KEY));
    let rules = match stored {
        Some(stored) => serde_json::from_value::<Vec<ConditionalRule>>(stored.clone())
            .map_err(|e| StructureError::new(format!("/sosmeta/{RULES_KEY}"), e.to_string()))?,
        None => recognise(elements),
    };
    for (i, rule) in rules.iter().enumerate() {
        let known = |t: &str| {
            elements
                .iter()
                .any(|e| e.pointer == t || format!("{}/*", e.pointer) == t)
        };
        let mut names = rule
            .members
            .iter()
            .chain(rule.condition())
            .chain([&rule.anchor]);
        if let Some(unknown) = names.find(|t| !known(t)) {
            return Err(StructureError::new(
                format!("/sosmeta/{RULES_KEY}/{i}"),
                format!("rule names an element the structure lacks: {unknown}"),
            ));
        }
    }
    let covered = |e: &Element| {
        rules
            .iter()
            .any(|r| r.members.contains(&e.pointer) || r.condition() == Some(&e.pointer))
    };
    let text_only = elements
        .iter()
        .enumerate()
        .filter(|(_, e)| e.conditional_required && !covered(e))
        .map(|(i, _)| i)
        .collect();
    Ok((rules, text_only))
}

impl ConditionalRule {
    /// The element whose answer or absence triggers the rule, if any.
    pub fn condition(&self) -> Option<&String> {
        match &self.kind {
            RuleKind::RequiredIfAnswer { condition, .. }
            | RuleKind::RequiredIfAbsent { condition } => Some(condition),
            _ => None,
        }
    }
}

/// What a note says, before its names are resolved to elements.
enum Clause {
    OneOf {
        names: Vec<String>,
        yes: bool,
    },
    /// All elements carrying this one name (the same group defined in two places).
    OneOfSameName(String),
    IfAnswer {
        name: String,
        yes: bool,
    },
    IfAbsent {
        name: String,
    },
}

static ONE_OF: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        // Henkilötunnus, Tilapäinen yksilöintitunnus ja Edunvalvojan tunniste -kentistä yksi on pakollinen
        r#"^(?P<a>[^",]+), (?P<b>[^",]+) ja (?P<c>[^",]+?) -kentistä yksi on pakollinen"#,
        // Henkilötunnus- ja Syntymäaika -kentistä toinen on pakollinen
        r#"^"?(?P<a>[^"]+?)"?-? ja "?(?P<b>[^"]+?)"? ?-(?:kentistä|tietokokonaisuuksista) (?:toinen|yksi) on pakollinen"#,
        // Toinen kentistä Henkilötunnus ja Tilapäinen yksilöintitunnus on pakollinen
        r#"^Toinen kentistä "?(?P<a>[^"]+?)"? (?:ja|tai) "?(?P<b>[^"]+?)"? on pakollinen"#,
        // Joko Henkilötunnus-kenttä tai Tilapäinen yksilöintitunnus -kenttä on pakollinen
        r#"^Joko (?P<a>.+?) ?-kenttä tai (?P<b>.+?) ?-kenttä on pakollinen"#,
        // Joko tämä kenttä tai "Lapsen omaan käyttäytymiseen ..." -kenttä on pakollinen
        // (an empty name stands for the element itself)
        r#"^Joko tämä kenttä(?P<a>) tai "(?P<b>[^"]+)" -kenttä on pakollinen"#,
        // Joko tilapäinen yksilöintitunnus tai henkilötunnus on pakollinen
        r#"^Joko (?P<a>[^"]+?) tai (?P<b>[^"]+?) on pakollinen"#,
        // "Synnyttänyt äiti" tai "Otaksuttu synnyttänyt äiti" -kentistä toinen on pakollinen
        r#"^"(?P<a>[^"]+)" tai "(?P<b>[^"]+)" -kentistä toinen on pakollinen"#,
    ]
    .iter()
    .map(|p| Regex::new(p).expect("valid rule pattern"))
    .collect()
});

static LIST_ONE_OF: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)^(?:Yksi seuraavista kentistä on pakollinen|toinen kentistä on pakollinen): (?P<list>"[^"]+"(?:,? (?:tai )?"[^"]+")+)"#)
        .expect("valid rule pattern")
});

static SAME_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^Toinen (?P<a>.+?) -tietokokonaisuuksista on pakollinen"#)
        .expect("valid rule pattern")
});

static IF_ANSWER: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        // Kenttä on pakollinen, jos Henkilöä on kuultu -kenttään on vastattu "ei"
        r#"(?:Kenttä|Tietokokonaisuus) on pakollinen,? jos (?:kenttään )?"?(?P<a>[^"]+?)"? ?-?(?:kenttään)? on (?:vastattu|kirjattu) "(?P<yes>[^"]+)""#,
        // jos kytkin "Muita liitteitä" on asennossa kyllä ..., on tämä kenttä pakollinen
        r#"(?i)^jos kytkin (?:kentässä )?"(?P<a>[^"]+)" on asennossa (?P<yes>kyllä|ei)"#,
        // Jos "X" -kenttään on vastattu "kyllä", on tämä kenttä pakollinen
        r#"^Jos "(?P<a>[^"]+)" -kenttään on vastattu "(?P<yes>[^"]+)", on tämä kenttä pakollinen"#,
        // Jos kenttään Asiakasta on kuultu on vastattu "Ei", tämä kenttä on pakollinen
        r#"^Jos kenttään (?P<a>[^"]+?) on vastattu "(?P<yes>[^"]+)", tämä kenttä on pakollinen"#,
        // Kenttä on pakollinen, mikäli kenttä "..." on valittu
        r#"^Kenttä on pakollinen, mikäli kenttä "(?P<a>[^"]+)" on (?P<yes>valittu)"#,
    ]
    .iter()
    .map(|p| Regex::new(p).expect("valid rule pattern"))
    .collect()
});

static IF_ABSENT: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        // Kenttä on pakollinen, jos Lisätiedot-kenttä jätetään tyhjäksi
        r#"^Kenttä on pakollinen, jos "?(?P<a>[^"]+?)"? ?-kenttä jätetään tyhjäksi"#,
        // Mikäli tietokenttä Pyydetyt tiedot jätetään tyhjäksi, on tämä tietokenttä pakollinen
        r#"^Mikäli tietokenttä (?P<a>[^"]+?) jätetään tyhjäksi, on tämä tietokenttä pakollinen"#,
    ]
    .iter()
    .map(|p| Regex::new(p).expect("valid rule pattern"))
    .collect()
});

static CLAUSE_START: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:Ehdollisesti pakollinen|Ehdollinen pakollisuus): *")
        .expect("valid rule pattern")
});

/// Reads the conditional clause of a note.
fn parse_note(note: &str) -> Option<Clause> {
    let note = note.replace(['”', '“'], "\"");
    let clause = match CLAUSE_START.find(&note) {
        Some(found) => &note[found.end()..],
        None => note.as_str(),
    };
    let clause = clause.trim();
    let wants_yes = |rest: &str| {
        let lower = rest.to_lowercase();
        lower.contains("on vastattava \"kyllä\"") || lower.contains("on vastattava kyllä")
    };
    if let Some(caps) = LIST_ONE_OF.captures(clause) {
        let names = caps["list"]
            .split('"')
            .enumerate()
            .filter(|(i, _)| i % 2 == 1)
            .map(|(_, name)| name.to_string())
            .collect();
        return Some(Clause::OneOf {
            names,
            yes: wants_yes(clause),
        });
    }
    if let Some(caps) = SAME_NAME.captures(clause) {
        return Some(Clause::OneOfSameName(caps["a"].to_string()));
    }
    for pattern in ONE_OF.iter() {
        if let Some(caps) = pattern.captures(clause) {
            let names = ["a", "b", "c"]
                .iter()
                .filter_map(|g| caps.name(g).map(|m| m.as_str().to_string()))
                .collect();
            return Some(Clause::OneOf {
                names,
                yes: wants_yes(clause),
            });
        }
    }
    for pattern in IF_ABSENT.iter() {
        if let Some(caps) = pattern.captures(clause) {
            return Some(Clause::IfAbsent {
                name: caps["a"].to_string(),
            });
        }
    }
    for pattern in IF_ANSWER.iter() {
        if let Some(caps) = pattern.captures(clause) {
            let yes = match caps["yes"].to_lowercase().as_str() {
                "kyllä" | "valittu" => true,
                "ei" => false,
                _ => continue,
            };
            return Some(Clause::IfAnswer {
                name: caps["a"].to_string(),
                yes,
            });
        }
    }
    None
}

/// Folds a field name as notes and names write it differently.
fn normalise(name: &str) -> String {
    let mut name = name.to_lowercase().replace("(otsikkoa ei näytetä)", "");
    for suffix in ["-kenttä", " -kenttä", "-kenttään", "-tietokokonaisuus"] {
        if let Some(stripped) = name.trim_end().strip_suffix(suffix) {
            name = stripped.to_string();
        }
    }
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_end_matches(['-', '.', ' '])
        .to_string()
}

/// The elements named `name` in the subtree of `scope`, nearest to `from` first.
fn find_named(elements: &[Element], scope: usize, name: &str) -> Vec<usize> {
    let wanted = normalise(name);
    let mut found = Vec::new();
    let mut stack = vec![scope];
    while let Some(i) = stack.pop() {
        // A note may name an element by its heading ("Lisätiedot" for a `kuvaus`).
        let titled = elements[i]
            .title
            .as_ref()
            .is_some_and(|t| normalise(&t.fi) == wanted);
        if i != scope && (normalise(&elements[i].name.fi) == wanted || titled) {
            found.push(i);
        }
        stack.extend(elements[i].children.iter().rev());
    }
    found
}

/// Resolves names from the element's parent outwards: the first ancestor whose subtree
/// holds exactly one element of each name wins (or, for one name, two or more).
fn resolve(
    elements: &[Element],
    from: usize,
    names: &[String],
    same_name: bool,
) -> Option<Vec<usize>> {
    let mut scope = elements[from].parent?;
    loop {
        let hits: Vec<Vec<usize>> = names
            .iter()
            .map(|n| find_named(elements, scope, n))
            .collect();
        let resolved = if same_name {
            (hits[0].len() >= 2).then(|| hits[0].clone())
        } else if hits.iter().all(|h| h.len() == 1) {
            Some(hits.iter().map(|h| h[0]).collect())
        } else if hits.iter().any(|h| h.len() > 1) {
            // Ambiguous at this level: do not guess.
            return None;
        } else {
            None
        };
        if let Some(found) = resolved {
            return Some(found);
        }
        scope = elements[scope].parent?;
    }
}

/// The pointer template of the nearest element (or array item) holding all the templates.
fn common_anchor(templates: &[&str]) -> String {
    let split: Vec<Vec<&str>> = templates
        .iter()
        .map(|t| t.trim_start_matches('/').split('/').collect())
        .collect();
    let mut common = Vec::new();
    'outer: for (i, segment) in split[0].iter().enumerate() {
        for other in &split[1..] {
            if other.get(i) != Some(segment) {
                break 'outer;
            }
        }
        common.push(*segment);
    }
    // A rule over one element anchors at its parent (the array item, when repeated).
    if templates
        .iter()
        .all(|t| t.trim_start_matches('/').split('/').count() == common.len())
    {
        common.pop();
    }
    format!("/{}", common.join("/"))
}

fn recognise(elements: &[Element]) -> Vec<ConditionalRule> {
    let mut rules: Vec<ConditionalRule> = Vec::new();
    for (i, element) in elements.iter().enumerate() {
        if !element.conditional_required {
            continue;
        }
        let Some(note) = &element.implementation_note else {
            continue;
        };
        let Some(clause) = parse_note(&note.fi) else {
            continue;
        };
        let rule = match clause {
            Clause::OneOf { mut names, yes } => {
                for name in names.iter_mut().filter(|n| n.is_empty()) {
                    name.clone_from(&element.name.fi);
                }
                let Some(found) = resolve(elements, i, &names, false) else {
                    continue;
                };
                if !found.contains(&i) {
                    continue;
                }
                let members = found.iter().map(|&m| elements[m].pointer.clone()).collect();
                let kind = if yes
                    && found
                        .iter()
                        .all(|&m| elements[m].representation == Some(Representation::Kytkin))
                {
                    RuleKind::AtLeastOneYes
                } else {
                    RuleKind::AtLeastOne
                };
                make_rule(kind, members)
            }
            Clause::OneOfSameName(name) => {
                let Some(found) = resolve(elements, i, &[name], true) else {
                    continue;
                };
                if !found.contains(&i) {
                    continue;
                }
                make_rule(
                    RuleKind::AtLeastOne,
                    found.iter().map(|&m| elements[m].pointer.clone()).collect(),
                )
            }
            Clause::IfAnswer { name, yes } => {
                let Some(found) = resolve(elements, i, &[name], false) else {
                    continue;
                };
                let condition = &elements[found[0]];
                let answerable = matches!(
                    condition.representation,
                    Some(Representation::Kytkin) | Some(Representation::Koodi)
                );
                if !answerable || found[0] == i {
                    continue;
                }
                make_rule_with(
                    RuleKind::RequiredIfAnswer {
                        condition: condition.pointer.clone(),
                        yes,
                    },
                    vec![element.pointer.clone()],
                    &condition.pointer,
                )
            }
            Clause::IfAbsent { name } => {
                let Some(found) = resolve(elements, i, &[name], false) else {
                    continue;
                };
                if found[0] == i {
                    continue;
                }
                let condition = elements[found[0]].pointer.clone();
                make_rule_with(
                    RuleKind::RequiredIfAbsent {
                        condition: condition.clone(),
                    },
                    vec![element.pointer.clone()],
                    &condition,
                )
            }
        };
        if !rules.contains(&rule) {
            rules.push(rule);
        }
    }
    merge_mutual(rules)
}

/// Two notes that each require their element when the other is left empty ("Kenttä on
/// pakollinen, jos Lisätiedot-kenttä jätetään tyhjäksi" on one, "... jos
/// Sosiaalipalvelu-kenttä ..." on the other) state one either/or rule: they become one
/// [`RuleKind::AtLeastOne`], so an item missing both gets one finding, not two.
fn merge_mutual(rules: Vec<ConditionalRule>) -> Vec<ConditionalRule> {
    let absent = |r: &ConditionalRule| match (&r.kind, r.members.as_slice()) {
        (RuleKind::RequiredIfAbsent { condition }, [member]) => {
            Some((condition.clone(), member.clone()))
        }
        _ => None,
    };
    let mut out: Vec<ConditionalRule> = Vec::with_capacity(rules.len());
    let mut merged = vec![false; rules.len()];
    for (i, rule) in rules.iter().enumerate() {
        if merged[i] {
            continue;
        }
        let partner = absent(rule).and_then(|(condition, member)| {
            rules.iter().enumerate().skip(i + 1).find_map(|(j, other)| {
                let (c, m) = absent(other)?;
                (!merged[j] && c == member && m == condition).then_some(j)
            })
        });
        match partner {
            Some(j) => {
                merged[j] = true;
                let (condition, member) = absent(rule).expect("checked above");
                let either = make_rule(RuleKind::AtLeastOne, vec![member, condition]);
                if !out.contains(&either) {
                    out.push(either);
                }
            }
            None => out.push(rule.clone()),
        }
    }
    out
}

fn make_rule(kind: RuleKind, mut members: Vec<String>) -> ConditionalRule {
    members.sort();
    members.dedup();
    let templates: Vec<&str> = members.iter().map(String::as_str).collect();
    ConditionalRule {
        anchor: common_anchor(&templates),
        kind,
        members,
    }
}

fn make_rule_with(kind: RuleKind, members: Vec<String>, condition: &str) -> ConditionalRule {
    let mut templates: Vec<&str> = members.iter().map(String::as_str).collect();
    templates.push(condition);
    ConditionalRule {
        anchor: common_anchor(&templates),
        kind,
        members,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definitions::structure::Structure;
    use serde_json::json;

    fn note(text: &str) -> Value {
        json!([{"lang": "fi", "value": text}])
    }

    fn person_schema(note_text: &str) -> Value {
        json!({
            "type": "object",
            "sosmeta": {"oid": "1.2.246.537.6.1506.9999.2024.1.2", "documentType": "Arvio", "documentDefinitionVersion": "2024-01-02"},
            "required": ["arvio"],
            "properties": {"arvio": {
                "type": "object",
                "sosmeta": {"name": note("Arvio")},
                "properties": {
                    "asiakas": {"type": "array", "minItems": 1, "items": {
                        "type": "object",
                        "sosmeta": {"name": note("Asiakas")},
                        "properties": {
                            "henkilotunnus": {"type": "object", "sosmeta": {
                                "name": note("Henkilötunnus"), "conditionalRequired": true,
                                "representation": note("Tunnus"),
                                "implementationNote": note(note_text)}},
                            "tilapainen_yksilointitunnus": {"type": "object", "sosmeta": {
                                "name": note("Tilapäinen yksilöintitunnus"), "conditionalRequired": true}},
                            "syntymaaika": {"type": "string", "sosmeta": {"name": note("Syntymäaika")}},
                            "kuultu": {"type": "boolean", "sosmeta": {"name": note("Henkilöä on kuultu"), "representation": note("Kytkin")}},
                            "syyt": {"type": "string", "sosmeta": {"name": note("Syyt"), "conditionalRequired": true,
                                "implementationNote": note("Jos Henkilöä on kuultu -kenttään on vastattu \"kyllä\", tätä kenttää ei näytetä. Ehdollinen pakollisuus: Kenttä on pakollinen, jos Henkilöä on kuultu -kenttään on vastattu \"ei\".")}}
                        }
                    }}
                }
            }}
        })
    }

    #[test]
    fn recognises_every_either_or_wording() {
        for text in [
            "Ehdollisesti pakollinen: Henkilötunnus- ja Tilapäinen yksilöintitunnus -kentistä toinen on pakollinen.",
            "Ehdollisesti pakollinen: Toinen kentistä Henkilötunnus ja Tilapäinen yksilöintitunnus on pakollinen.",
            "Ehdollisesti pakollinen: Joko Henkilötunnus-kenttä tai Tilapäinen yksilöintitunnus -kenttä on pakollinen.",
            "Joko tilapäinen yksilöintitunnus tai henkilötunnus on pakollinen.",
            "Henkilötunnus- ja Tilapäinen yksilöintitunnus -kentistä toinen on pakollinen",
        ] {
            let structure = Structure::from_schema(person_schema(text), "t").unwrap();
            let either = structure
                .rules()
                .iter()
                .find(|r| r.kind == RuleKind::AtLeastOne)
                .unwrap_or_else(|| panic!("no rule from {text:?}"));
            assert_eq!(either.anchor, "/arvio/asiakas/*", "{text}");
            assert_eq!(
                either.members,
                [
                    "/arvio/asiakas/*/henkilotunnus",
                    "/arvio/asiakas/*/tilapainen_yksilointitunnus"
                ]
            );
            assert!(structure.text_only().is_empty(), "{text}");
        }
    }

    #[test]
    fn leaves_unrecognised_notes_as_text_only() {
        let structure = Structure::from_schema(
            person_schema("Kenttä on pakollinen, jos asiakas on vähintään 18-vuotias."),
            "t",
        )
        .unwrap();
        // The henkilötunnus and temporary id are not covered; the answer rule is.
        let text_only: Vec<&str> = structure
            .text_only()
            .iter()
            .map(|&i| structure.elements()[i].key.as_str())
            .collect();
        assert_eq!(text_only, ["henkilotunnus", "tilapainen_yksilointitunnus"]);
    }

    #[test]
    fn evaluates_either_or_per_array_item() {
        let structure = Structure::from_schema(
            person_schema(
                "Henkilötunnus- ja Tilapäinen yksilöintitunnus -kentistä toinen on pakollinen.",
            ),
            "t",
        )
        .unwrap();
        let rule = structure
            .rules()
            .iter()
            .find(|r| r.kind == RuleKind::AtLeastOne)
            .unwrap();
        let content = json!({"arvio": {"asiakas": [
            {"henkilotunnus": {"value": "x"}},
            {"syntymaaika": "2020-01-01"},
            {"tilapainen_yksilointitunnus": {"value": "y"}}
        ]}});
        let violations = rule.evaluate(&content);
        assert_eq!(violations.len(), 1);
        assert_eq!(violations[0].anchor, "/arvio/asiakas/1");
        assert_eq!(
            violations[0].missing,
            [
                "/arvio/asiakas/1/henkilotunnus",
                "/arvio/asiakas/1/tilapainen_yksilointitunnus"
            ]
        );
    }

    #[test]
    fn evaluates_required_if_answered_no() {
        let structure = Structure::from_schema(person_schema("-"), "t").unwrap();
        let rule = structure
            .rules()
            .iter()
            .find(|r| matches!(r.kind, RuleKind::RequiredIfAnswer { .. }))
            .expect("answer rule");
        assert_eq!(
            rule.kind,
            RuleKind::RequiredIfAnswer {
                condition: "/arvio/asiakas/*/kuultu".into(),
                yes: false
            }
        );
        let content = json!({"arvio": {"asiakas": [
            {"kuultu": false},
            {"kuultu": false, "syyt": "x"},
            {"kuultu": true}
        ]}});
        let violations = rule.evaluate(&content);
        assert_eq!(violations.len(), 1);
        assert_eq!(violations[0].missing, ["/arvio/asiakas/0/syyt"]);
    }

    #[test]
    fn stored_rules_round_trip_and_are_checked() {
        let structure = Structure::from_schema(
            person_schema(
                "Henkilötunnus- ja Tilapäinen yksilöintitunnus -kentistä toinen on pakollinen.",
            ),
            "t",
        )
        .unwrap();
        let mut stripped = person_schema("-");
        stripped["sosmeta"][RULES_KEY] = serde_json::to_value(structure.rules()).unwrap();
        let again = Structure::from_schema(stripped.clone(), "t").unwrap();
        assert_eq!(again.rules(), structure.rules());
        stripped["sosmeta"][RULES_KEY][0]["members"][0] = json!("/arvio/puuttuu");
        let error = Structure::from_schema(stripped, "t").unwrap_err();
        assert!(
            error.pointer.starts_with("/sosmeta/rakenneRules/"),
            "{error}"
        );
    }

    /// 3002's `haettava_palvelu` item: `sosiaalipalvelu` is required when "Lisätiedot" is
    /// empty, and `kuvaus` (named Kuvaus, titled Lisätiedot) when `sosiaalipalvelu` is: one
    /// either/or rule of the item, not a rule judging the item by the root `lisatiedot`.
    #[test]
    fn notes_name_elements_by_title_and_mutual_rules_merge() {
        let schema = json!({
            "type": "object",
            "sosmeta": {"oid": "1.2.246.537.6.1506.9998.2024.1.2", "documentType": "Hakemus", "documentDefinitionVersion": "2024-01-02"},
            "required": ["hakemus"],
            "properties": {"hakemus": {
                "type": "object",
                "sosmeta": {"name": note("Hakemus")},
                "properties": {
                    "haettava_palvelu": {"type": "array", "items": {
                        "type": "object",
                        "sosmeta": {"name": note("Haettava palvelu")},
                        "properties": {
                            "sosiaalipalvelu": {"type": "object", "sosmeta": {
                                "name": note("Sosiaalipalvelu"), "conditionalRequired": true,
                                "representation": note("Koodi"),
                                "implementationNote": note("Ehdollinen pakollisuus: Kenttä on pakollinen, jos Lisätiedot-kenttä jätetään tyhjäksi.")}},
                            "kuvaus": {"type": "string", "sosmeta": {
                                "name": note("Kuvaus"), "title": note("Lisätiedot"),
                                "conditionalRequired": true,
                                "implementationNote": note("Ehdollinen pakollisuus: Kenttä on pakollinen, jos Sosiaalipalvelu-kenttä jätetään tyhjäksi.")}}
                        }
                    }},
                    "lisatiedot": {"type": "string", "sosmeta": {"name": note("Lisätiedot")}}
                }
            }}
        });
        let structure = Structure::from_schema(schema, "t").unwrap();
        assert_eq!(
            structure.rules(),
            [ConditionalRule {
                kind: RuleKind::AtLeastOne,
                anchor: "/hakemus/haettava_palvelu/*".into(),
                members: vec![
                    "/hakemus/haettava_palvelu/*/kuvaus".into(),
                    "/hakemus/haettava_palvelu/*/sosiaalipalvelu".into()
                ],
            }]
        );
        let content = json!({"hakemus": {"lisatiedot": "x", "haettava_palvelu": [
            {}, {"kuvaus": "y"}, {"kuvaus": "  "}
        ]}});
        let anchors: Vec<String> = structure.rules()[0]
            .evaluate(&content)
            .into_iter()
            .map(|v| v.anchor)
            .collect();
        assert_eq!(
            anchors,
            ["/hakemus/haettava_palvelu/0", "/hakemus/haettava_palvelu/2"]
        );
        // An anchor that is not an object is not judged by what it lacks.
        let content = json!({"hakemus": {"haettava_palvelu": ["x"]}});
        assert!(structure.rules()[0].evaluate(&content).is_empty());
    }

    #[test]
    fn parses_list_and_yes_wordings() {
        let Some(Clause::OneOf { names, yes }) = parse_note(
            "Ehdollisesti pakollinen: Yksi seuraavista kentistä on pakollinen: \"Isyys\", \"Toisen äidin äitiys\", tai \"Kuolleen henkilön vanhemmuus\". Yhteen kentistä on vastattava \"kyllä\".",
        ) else {
            panic!("not recognised");
        };
        assert_eq!(
            names,
            [
                "Isyys",
                "Toisen äidin äitiys",
                "Kuolleen henkilön vanhemmuus"
            ]
        );
        assert!(yes);
        let Some(Clause::OneOf { names, yes }) = parse_note(
            "\"Synnyttänyt äiti\" tai \"Otaksuttu synnyttänyt äiti\" -kentistä toinen on pakollinen. Toiseen kentistä on vastattava \"Kyllä\".",
        ) else {
            panic!("not recognised");
        };
        assert_eq!(names, ["Synnyttänyt äiti", "Otaksuttu synnyttänyt äiti"]);
        assert!(yes);
        let Some(Clause::IfAbsent { name }) = parse_note(
            "Ehdollinen pakollisuus: Kenttä on pakollinen, jos Lisätiedot-kenttä jätetään tyhjäksi. Kenttä ei ole toistuva.",
        ) else {
            panic!("not recognised");
        };
        assert_eq!(name, "Lisätiedot");
        let Some(Clause::OneOf { names, .. }) = parse_note(
            "Ehdollisesti pakollinen: Henkilötunnus, Tilapäinen yksilöintitunnus ja Edunvalvojan tunniste -kentistä yksi on pakollinen.",
        ) else {
            panic!("not recognised");
        };
        assert_eq!(
            names,
            [
                "Henkilötunnus",
                "Tilapäinen yksilöintitunnus",
                "Edunvalvojan tunniste"
            ]
        );
        let Some(Clause::OneOf { names, .. }) = parse_note(
            "Ehdollisesti pakollinen: Joko tämä kenttä tai \"Lapsen käyttäytyminen\" -kenttä on pakollinen.",
        ) else {
            panic!("not recognised");
        };
        assert_eq!(names, ["", "Lapsen käyttäytyminen"]);
        let Some(Clause::IfAnswer { name, yes }) = parse_note(
            "Ehdollisesti pakollinen: Jos kenttään Asiakasta on kuultu on vastattu \"Ei\", tämä kenttä on pakollinen.",
        ) else {
            panic!("not recognised");
        };
        assert_eq!((name.as_str(), yes), ("Asiakasta on kuultu", false));
        let Some(Clause::IfAbsent { name }) = parse_note(
            "Mikäli tietokenttä Pyydetyt tiedot jätetään tyhjäksi, on tämä tietokenttä pakollinen.",
        ) else {
            panic!("not recognised");
        };
        assert_eq!(name, "Pyydetyt tiedot");
        assert!(parse_note("Kenttä on pakollinen, jos asiakas on vähintään 18-vuotias.").is_none());
    }
}
