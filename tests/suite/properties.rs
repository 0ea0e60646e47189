//! Property tests of the content rules over variations of the project's fully conformant
//! fixture contents (`fixtures/*-taysi.*`).
//!
//! (a) The same content as bare JSON and inside a CDA document gives the same `content.`
//!     and `identifier.` findings (rule, severity, pointer).
//! (b) A single mutated field of a valid content (wrong type, a pattern-breaking date, a
//!     removed required key, an extra undefined key, an impossible date) gives a finding at
//!     exactly that pointer (for a removed key: where it should stand) and no ERROR
//!     anywhere else.
//!
//! Which fields are optional, required, dates or of which JSON type is read from the
//! structure's schema file (`schemas/sosmeta/<OID>.json`), not from the engine's model.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use proptest::prelude::*;
use proptest::sample::Index;
use rakenne::check::report::{Report, Severity};
use rakenne::check::{CheckOptions, Engine};
use rakenne::definitions::Definitions;
use serde_json::{Value, json};

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::new(Arc::new(Definitions::embedded().unwrap())))
}

fn path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative)
}

// ---------------------------------------------------------------------------------------
// Base contents and their schemas
// ---------------------------------------------------------------------------------------

/// The span of the base64 text inside `<ep2:json>` of a CDA fixture.
fn json_span(cda: &str) -> (usize, usize) {
    let start = cda.find("<ep2:json>").expect("ep2:json") + "<ep2:json>".len();
    let end = cda.find("</ep2:json>").expect("/ep2:json");
    (start, end)
}

fn decode_content(cda: &str) -> Value {
    let (start, end) = json_span(cda);
    let compact: String = cda[start..end].split_whitespace().collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// The CDA fixture text with `content` as its structured content.
fn wrap(cda: &str, content: &Value) -> Vec<u8> {
    let (start, end) = json_span(cda);
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(serde_json::to_vec(content).unwrap());
    format!("{}\n{encoded}\n{}", &cda[..start], &cda[end..]).into_bytes()
}

/// One valid content, the schema of its structure, and (for CDA fixtures) the document.
struct Base {
    name: &'static str,
    oid: String,
    content: Value,
    schema: Value,
    cda: Option<String>,
}

const CDA_BASES: [&str; 3] = [
    "asiakkuus-taysi",
    "lapsiperhe-suunnitelma-taysi",
    "lastensuojelu-suunnitelma-taysi",
];
const JSON_BASES: [&str; 6] = [
    "toimeenpanopaatos-taysi",
    "rajoitus-arvio-taysi",
    "lastensuojeluilmoitus-taysi",
    "luottohakemus-taysi",
    "tietopyyntomerkinta-taysi",
    "rajoitusmerkinta-taysi",
];

fn check_json(content: &Value) -> Report {
    let bytes = serde_json::to_vec(content).unwrap();
    engine()
        .check(&bytes, None, &CheckOptions::default())
        .unwrap()
}

fn load_base(name: &'static str, cda: Option<String>, content: Value) -> Base {
    let report = check_json(&content);
    assert_eq!(
        report.errors(),
        0,
        "base {name} must be valid: {:?}",
        report.findings
    );
    let oid = report.structure.expect("a national structure").oid;
    let schema_text =
        std::fs::read_to_string(path(&format!("schemas/sosmeta/{oid}.json"))).unwrap();
    Base {
        name,
        oid,
        content,
        schema: serde_json::from_str(&schema_text).unwrap(),
        cda,
    }
}

fn bases() -> &'static [Base] {
    static BASES: OnceLock<Vec<Base>> = OnceLock::new();
    BASES.get_or_init(|| {
        let mut out = Vec::new();
        for name in CDA_BASES {
            let text = std::fs::read_to_string(path(&format!("fixtures/{name}.xml"))).unwrap();
            let content = decode_content(&text);
            out.push(load_base(name, Some(text), content));
        }
        for name in JSON_BASES {
            let text = std::fs::read_to_string(path(&format!("fixtures/{name}.json"))).unwrap();
            out.push(load_base(name, None, serde_json::from_str(&text).unwrap()));
        }
        out
    })
}

// ---------------------------------------------------------------------------------------
// Fields of a content, read from the schema
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Pvm,
    Hetki,
    Text,
    Bool,
    Number,
    Object,
    Array,
}

/// One value present in a content.
#[derive(Debug, Clone)]
struct Field {
    pointer: String,
    kind: Kind,
    /// An object key the schema does not require (array items are never optional).
    optional: bool,
    /// A key of an object (not an array item): it can be removed.
    keyed: bool,
    /// The `value` of a henkilötunnus (its element's systemUri is 1.2.246.21).
    hetu: bool,
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn kind_of(schema: &Value) -> Option<Kind> {
    let pattern = schema.get("pattern").and_then(Value::as_str).unwrap_or("");
    Some(match schema.get("type")?.as_str()? {
        "string" if pattern.starts_with("^-?[0-9]{4}") && pattern.contains("T(") => Kind::Hetki,
        "string" if pattern.starts_with("^-?[0-9]{4}") => Kind::Pvm,
        "string" => Kind::Text,
        "boolean" => Kind::Bool,
        "number" | "integer" => Kind::Number,
        "object" => Kind::Object,
        "array" => Kind::Array,
        _ => return None,
    })
}

fn is_hetu_element(schema: &Value) -> bool {
    schema
        .pointer("/sosmeta/systemUri/0/value")
        .and_then(Value::as_str)
        .is_some_and(|uri| uri.trim_start_matches("urn:oid:") == "1.2.246.21")
}

#[allow(clippy::too_many_arguments)]
fn walk(
    schema: &Value,
    value: &Value,
    pointer: &str,
    optional: bool,
    keyed: bool,
    hetu: bool,
    out: &mut Vec<Field>,
) {
    let Some(kind) = kind_of(schema) else { return };
    out.push(Field {
        pointer: pointer.to_string(),
        kind,
        optional,
        keyed,
        hetu,
    });
    match (kind, value) {
        (Kind::Object, Value::Object(map)) => {
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let parent_is_hetu = is_hetu_element(schema);
            for (key, child) in map {
                if let Some(child_schema) = schema.pointer(&format!("/properties/{}", escape(key)))
                {
                    walk(
                        child_schema,
                        child,
                        &format!("{pointer}/{}", escape(key)),
                        !required.contains(&key.as_str()),
                        true,
                        parent_is_hetu && key == "value",
                        out,
                    );
                }
            }
        }
        (Kind::Array, Value::Array(items)) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    walk(
                        item_schema,
                        item,
                        &format!("{pointer}/{i}"),
                        false,
                        false,
                        false,
                        out,
                    );
                }
            }
        }
        _ => {}
    }
}

/// Every value of `content` below its root key, with what the schema says of it.
fn fields(base: &Base) -> Vec<Field> {
    let mut out = Vec::new();
    let (root_key, root_value) = base.content.as_object().unwrap().iter().next().unwrap();
    let root_schema = &base.schema["properties"][root_key];
    walk(
        root_schema,
        root_value,
        &format!("/{}", escape(root_key)),
        false,
        false,
        false,
        &mut out,
    );
    out
}

/// Pointer templates of the conditional rules' members and conditions
/// (`sosmeta.rakenneRules`): changing these (or what holds them) is a second fault.
fn guarded(base: &Base) -> Vec<String> {
    let mut out = Vec::new();
    for rule in base
        .schema
        .pointer("/sosmeta/rakenneRules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for member in rule["members"].as_array().unwrap() {
            out.push(member.as_str().unwrap().to_string());
        }
        if let Some(condition) = rule.pointer("/kind/condition").and_then(Value::as_str) {
            out.push(condition.to_string());
        }
    }
    out
}

/// Whether `pointer` and `template` (`*` for any array index) lie on one path.
fn overlaps(pointer: &str, template: &str) -> bool {
    pointer
        .split('/')
        .zip(template.split('/'))
        .all(|(p, t)| t == "*" || p == t)
}

/// The parent pointer and the last key of `pointer`.
fn split_last(pointer: &str) -> (&str, String) {
    let at = pointer.rfind('/').unwrap();
    (
        &pointer[..at],
        pointer[at + 1..].replace("~1", "/").replace("~0", "~"),
    )
}

fn remove(content: &mut Value, pointer: &str) -> bool {
    let (parent, key) = split_last(pointer);
    match content.pointer_mut(parent) {
        Some(Value::Object(map)) => map.shift_remove(&key).is_some(),
        _ => false,
    }
}

fn set(content: &mut Value, pointer: &str, value: Value) -> bool {
    match content.pointer_mut(pointer) {
        Some(slot) => {
            *slot = value;
            true
        }
        None => false,
    }
}

fn insert(content: &mut Value, object: &str, key: &str, value: Value) -> bool {
    match content.pointer_mut(object) {
        Some(Value::Object(map)) => map.insert(key.to_string(), value).is_none(),
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------
// Value pools
// ---------------------------------------------------------------------------------------

const TEST_HETU: &str = "020419A926"; // + check character, completed in `test_hetu`

fn test_hetu(check_right: bool) -> String {
    const CHECK: &[u8; 31] = b"0123456789ABCDEFHJKLMNPRSTUVWXY";
    let digits = format!("{}{}", &TEST_HETU[..6], &TEST_HETU[7..10]);
    let right = (digits.parse::<u64>().unwrap() % 31) as usize;
    let check = if check_right { right } else { (right + 1) % 31 };
    format!("{TEST_HETU}{}", CHECK[check] as char)
}

const PVM_BAD_PATTERN: [&str; 5] = [
    "15.3.2024",
    "2024/03/15",
    "20240315",
    "2024-3-15",
    "2024-03-15T10:00:00+02:00",
];
const HETKI_BAD_PATTERN: [&str; 4] = [
    "15.3.2024 10:00",
    "2024-03-15 10:00:00+02:00",
    "2024-03-15T10:00+02:00",
    "2024-03-15T10:00:00+0200",
];
const PVM_IMPOSSIBLE: [&str; 7] = [
    "2023-02-29",
    "2023-02-30",
    "2024-02-30",
    "2023-04-31",
    "2023-05-00",
    "0000-05-10",
    "-0001-05-10",
];
const HETKI_IMPOSSIBLE: [&str; 5] = [
    "2023-02-29T10:00:00+02:00",
    "2023-04-31T10:00:00+03:00",
    "2023-05-00T10:00:00+03:00",
    "0000-05-10T10:00:00+02:00",
    "-0001-05-10T10:00:00+02:00",
];

/// A value of another JSON type than `kind` (never null or empty: those would also read
/// as absent).
fn wrong_type(kind: Kind, pick: usize) -> Value {
    let pool: [Value; 3] = match kind {
        Kind::Pvm | Kind::Hetki | Kind::Text => [json!(42), json!(true), json!(["teksti"])],
        Kind::Bool => [json!("kyllä"), json!(1), json!({"arvo": true})],
        Kind::Number => [json!("12"), json!(false), json!([12])],
        Kind::Object => [json!("teksti"), json!(7), json!(["teksti"])],
        Kind::Array => [json!("teksti"), json!(7), json!({"arvo": "teksti"})],
    };
    pool[pick % 3].clone()
}

/// Values a field may take in a variation of a valid content, valid or not.
fn variants(field: &Field) -> Vec<Value> {
    if field.hetu {
        return vec![
            json!(test_hetu(true)),
            json!(test_hetu(false)),
            json!("123"),
        ];
    }
    match field.kind {
        Kind::Pvm => vec![
            json!("2025-02-03"),
            json!("2025-02"),
            json!("2025"),
            json!(PVM_IMPOSSIBLE[1]),
            json!(PVM_BAD_PATTERN[0]),
            json!(20250203),
        ],
        Kind::Hetki => vec![
            json!("2025-08-04T10:00:00+03:00"),
            json!("2025-08-04T10:00:00"),
            json!("2025-08-04"),
            json!(HETKI_IMPOSSIBLE[0]),
            json!(HETKI_BAD_PATTERN[0]),
        ],
        Kind::Text => vec![json!("Muutettu teksti"), json!(""), json!("999"), json!(5)],
        Kind::Bool => vec![json!(true), json!(false), json!("kyllä")],
        Kind::Number => vec![json!(0), json!(12.5), json!("12")],
        Kind::Object => vec![json!({}), json!("teksti")],
        Kind::Array => vec![json!([]), json!("teksti")],
    }
}

// ---------------------------------------------------------------------------------------
// (a) bare JSON and CDA give the same content findings
// ---------------------------------------------------------------------------------------

/// What one field does in a variation: keep, drop (if optional), take a variant, or get
/// an undefined sibling key (objects).
#[derive(Debug, Clone, Copy)]
struct Gene {
    action: u8,
    pick: usize,
}

fn gene() -> impl Strategy<Value = Gene> {
    (0u8..10, any::<usize>()).prop_map(|(action, pick)| Gene { action, pick })
}

fn vary(base: &Base, genes: &[Gene]) -> Value {
    let mut content = base.content.clone();
    let mut all = fields(base);
    // Deepest first, so a change below a dropped or replaced object is simply lost.
    all.sort_by_key(|f| std::cmp::Reverse(f.pointer.matches('/').count()));
    for (field, gene) in all.iter().zip(genes.iter().cycle()) {
        match gene.action {
            6 if field.optional && field.keyed => {
                remove(&mut content, &field.pointer);
            }
            7 | 8 => {
                let pool = variants(field);
                set(
                    &mut content,
                    &field.pointer,
                    pool[gene.pick % pool.len()].clone(),
                );
            }
            9 if field.kind == Kind::Object => {
                insert(
                    &mut content,
                    &field.pointer,
                    &format!("x_lisatieto_{}", gene.pick % 7),
                    json!("teksti"),
                );
            }
            _ => {}
        }
    }
    content
}

type Key = (String, Severity, Option<String>);

fn content_findings(report: &Report) -> Vec<Key> {
    let mut out: Vec<Key> = report
        .findings
        .iter()
        .filter(|f| f.rule.starts_with("content.") || f.rule.starts_with("identifier."))
        .map(|f| (f.rule.clone(), f.severity, f.pointer.clone()))
        .collect();
    out.sort();
    out
}

/// 64 cases per property keep the suite fast; failures are not written to files (the
/// failing input is printed).
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// CDA fixtures are judged by their declared structure and bare JSON by its root
    /// key; a JSON-only base is wrapped in a CDA fixture of another structure, so both
    /// checks name its structure (header findings then differ, content findings not).
    #[test]
    fn bare_json_and_cda_give_the_same_content_findings(
        which in 0..CDA_BASES.len() + JSON_BASES.len(),
        genes in prop::collection::vec(gene(), 1..48),
    ) {
        let base = &bases()[which];
        let (cda, options) = match &base.cda {
            Some(cda) => (cda.as_str(), CheckOptions::default()),
            None => (
                bases()[1].cda.as_deref().unwrap(),
                CheckOptions { structure: Some(base.oid.clone()), ..CheckOptions::default() },
            ),
        };
        let content = vary(base, &genes);
        let bare = engine()
            .check(&serde_json::to_vec(&content).unwrap(), None, &options)
            .unwrap();
        let wrapped = engine().check(&wrap(cda, &content), None, &options).unwrap();
        prop_assert_eq!(
            bare.structure.as_ref().map(|s| &s.oid),
            wrapped.structure.as_ref().map(|s| &s.oid),
            "{}: tied to different structures", base.name
        );
        prop_assert_eq!(
            content_findings(&bare),
            content_findings(&wrapped),
            "{}: content findings differ for {}",
            base.name,
            content
        );
    }
}

// ---------------------------------------------------------------------------------------
// (b) one mutated field, one place
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mutation {
    WrongType,
    BadDatePattern,
    RemoveRequired,
    ExtraKey,
    ImpossibleDate,
}

/// Every (field, mutation) that makes exactly one fault in `base`.
fn candidates(base: &Base) -> Vec<(Field, Mutation)> {
    let guarded = guarded(base);
    let mut out = Vec::new();
    for field in fields(base) {
        let free = !guarded.iter().any(|t| overlaps(&field.pointer, t));
        if free {
            out.push((field.clone(), Mutation::WrongType));
            if !field.optional && field.keyed {
                out.push((field.clone(), Mutation::RemoveRequired));
            }
        }
        if matches!(field.kind, Kind::Pvm | Kind::Hetki) {
            out.push((field.clone(), Mutation::BadDatePattern));
            out.push((field.clone(), Mutation::ImpossibleDate));
        }
        if field.kind == Kind::Object {
            out.push((field.clone(), Mutation::ExtraKey));
        }
    }
    out
}

fn all_candidates() -> &'static [(usize, Field, Mutation)] {
    static ALL: OnceLock<Vec<(usize, Field, Mutation)>> = OnceLock::new();
    ALL.get_or_init(|| {
        bases()
            .iter()
            .enumerate()
            .flat_map(|(i, base)| candidates(base).into_iter().map(move |(f, m)| (i, f, m)))
            .collect()
    })
}

#[test]
fn every_mutation_kind_has_candidates_in_every_base() {
    for (i, base) in bases().iter().enumerate() {
        let kinds: Vec<Mutation> = all_candidates()
            .iter()
            .filter(|(b, _, _)| *b == i)
            .map(|(_, _, m)| *m)
            .collect();
        for kind in [
            Mutation::WrongType,
            Mutation::BadDatePattern,
            Mutation::RemoveRequired,
            Mutation::ExtraKey,
            Mutation::ImpossibleDate,
        ] {
            assert!(
                kinds.contains(&kind),
                "{}: no {kind:?} candidate",
                base.name
            );
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn one_mutated_field_gives_findings_at_exactly_that_pointer(
        which in any::<Index>(),
        pick in any::<usize>(),
        extra in "[a-z]{1,12}",
    ) {
        let (b, field, mutation) = which.get(all_candidates()).clone();
        let base = &bases()[b];
        let mut content = base.content.clone();
        let (expected_pointer, expected_rule) = match mutation {
            Mutation::WrongType => {
                set(&mut content, &field.pointer, wrong_type(field.kind, pick));
                (field.pointer.clone(), "content.type")
            }
            Mutation::BadDatePattern => {
                let value = if field.kind == Kind::Hetki {
                    HETKI_BAD_PATTERN[pick % HETKI_BAD_PATTERN.len()]
                } else {
                    PVM_BAD_PATTERN[pick % PVM_BAD_PATTERN.len()]
                };
                set(&mut content, &field.pointer, json!(value));
                (field.pointer.clone(), "content.pattern")
            }
            Mutation::ImpossibleDate => {
                let value = if field.kind == Kind::Hetki {
                    HETKI_IMPOSSIBLE[pick % HETKI_IMPOSSIBLE.len()]
                } else {
                    PVM_IMPOSSIBLE[pick % PVM_IMPOSSIBLE.len()]
                };
                set(&mut content, &field.pointer, json!(value));
                (field.pointer.clone(), "content.datetime")
            }
            Mutation::RemoveRequired => {
                prop_assert!(remove(&mut content, &field.pointer));
                (field.pointer.clone(), "content.required")
            }
            Mutation::ExtraKey => {
                let key = format!("x_{extra}");
                prop_assert!(insert(&mut content, &field.pointer, &key, json!("teksti")));
                (format!("{}/{key}", field.pointer), "content.undefined")
            }
        };
        let report = check_json(&content);
        let described: Vec<String> = report
            .findings
            .iter()
            .map(|f| format!("{} {} {:?}", f.severity.as_str(), f.rule, f.pointer))
            .collect();
        prop_assert!(
            report.findings.iter().any(|f| f.severity == Severity::Error
                && f.rule == expected_rule
                && f.pointer.as_deref() == Some(expected_pointer.as_str())),
            "{}: {:?} of {} gave no {} ERROR there: {:?}",
            base.name, mutation, expected_pointer, expected_rule, described
        );
        let elsewhere: Vec<&String> = report
            .findings
            .iter()
            .zip(&described)
            .filter(|(f, _)| f.severity == Severity::Error
                && f.pointer.as_deref() != Some(expected_pointer.as_str()))
            .map(|(_, d)| d)
            .collect();
        prop_assert!(
            elsewhere.is_empty(),
            "{}: {:?} of {} gave ERRORs elsewhere: {:?}",
            base.name, mutation, expected_pointer, elsewhere
        );
    }
}
