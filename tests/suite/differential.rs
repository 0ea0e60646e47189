//! Differential test: the engine's schema findings against an independent JSON Schema
//! draft-07 implementation (the `boon` crate, a dev-dependency only).
//!
//! For every embedded structure, documents are generated from its schema (valid ones, as
//! far as the generator can make a value match a pattern, and single mutations of them:
//! a required key removed, an undefined key added, a wrong type, a pattern-breaking or
//! empty string, an empty array, a value outside an enum). The engine's findings of the
//! schema rules (`content.required`, `content.undefined`, `content.type`,
//! `content.pattern`, `content.min-length`, `content.min-items`, `content.enum`,
//! `content.schema`) must equal boon's errors as (keyword, JSON pointer) pairs: a missing
//! key's pointer is where the key would stand, as the engine reports it.
//!
//! Every structure is run with fixed seeds, and a proptest (bounded case count) draws
//! further structure, seed and mutation triples. A discrepancy fails the test with the
//! structure, document and both sides. Two differences between the implementations are
//! explained and handled in the open, each in its own function with the reason:
//! - boon validates a schema against the draft-07 metaschema first and refuses an `enum`
//!   that repeats a value (one THL schema has one); the engine's validator does not. boon
//!   gets the schema with the repeats dropped, which changes no verdict
//!   ([`without_repeated_enum_values`]; [`boon_refuses_only_schemas_with_repeated_enum_values`]
//!   checks that this is the only refusal);
//! - boon evaluates no further keyword on a value of the wrong `type`, where the engine's
//!   validator (as draft-07 allows) also reports e.g. `enum`: at such a pointer only `type`
//!   is compared ([`type_first`]).

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use proptest::prelude::*;
use rakenne::check::{CheckOptions, Engine, Format};
use rakenne::definitions::Definitions;
use serde_json::{Map, Value, json};

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::new(Arc::new(Definitions::embedded().unwrap())))
}

/// The embedded structures' OIDs and schemas, in catalogue order.
fn structures() -> &'static Vec<(String, Value)> {
    static ALL: OnceLock<Vec<(String, Value)>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut all: Vec<(String, Value)> = engine()
            .definitions()
            .catalog
            .iter()
            .map(|s| (s.oid().to_string(), s.schema()))
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    })
}

// ---------------------------------------------------------------------------------------
// A small deterministic generator

/// xorshift64*: enough randomness for choosing, reproducible from the seed.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn coin(&mut self) -> bool {
        self.next() & 1 == 1
    }
}

fn types_of(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ if schema.get("properties").is_some() => vec!["object"],
        _ => vec![],
    }
}

/// A string the pattern accepts, if one of the candidates does: the pattern's own literal
/// text (`^urn:oid:1\.2\.246...(\.\d+)*$` gives `urn:oid:1.2.246...`), a date, a
/// date-time.
fn matching_string(pattern: &str) -> Option<String> {
    let regex = regex::Regex::new(pattern).ok()?;
    let literal = pattern
        .trim_start_matches('^')
        .trim_end_matches('$')
        .replace("(\\.\\d+)*", "")
        .replace("\\.", ".")
        .replace("\\/", "/")
        .replace("\\-", "-");
    [
        literal.as_str(),
        "2024-05-17",
        "2024-05-17T12:30:00+02:00",
        "2024-05-17T12:30:00Z",
        "2024-05-17T12:30:00.000+02:00",
        "urn:oid:1.2.246.537.6.1221.201601",
    ]
    .into_iter()
    .find(|c| regex.is_match(c))
    .map(str::to_string)
}

fn generate(schema: &Value, rng: &mut Rng, depth: usize) -> Value {
    if let Some(Value::Array(options)) = schema.get("enum")
        && !options.is_empty()
    {
        return options[rng.below(options.len())].clone();
    }
    match types_of(schema).first().copied().unwrap_or("string") {
        "object" => {
            let required: BTreeSet<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut object = Map::new();
            if let Some(Value::Object(properties)) = schema.get("properties") {
                for (key, sub) in properties {
                    if required.contains(key.as_str()) || (depth < 6 && rng.coin()) {
                        object.insert(key.clone(), generate(sub, rng, depth + 1));
                    }
                }
            }
            Value::Object(object)
        }
        "array" => {
            let min = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0) as usize;
            let n = min.max(usize::from(depth < 6 && rng.coin()));
            let items = schema.get("items").cloned().unwrap_or(json!({}));
            Value::Array((0..n).map(|_| generate(&items, rng, depth + 1)).collect())
        }
        "boolean" => Value::Bool(rng.coin()),
        "number" | "integer" => json!(rng.below(100)),
        "null" => Value::Null,
        _ => {
            if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
                return Value::String(
                    matching_string(pattern).unwrap_or_else(|| "ei-kaavaa".into()),
                );
            }
            Value::String("teksti".into())
        }
    }
}

/// Every value of `doc` with the sub-schema that describes it and its pointer.
fn places<'s>(doc: &Value, schema: &'s Value, pointer: String, out: &mut Vec<(String, &'s Value)>) {
    out.push((pointer.clone(), schema));
    match doc {
        Value::Object(object) => {
            if let Some(Value::Object(properties)) = schema.get("properties") {
                for (key, value) in object {
                    if let Some(sub) = properties.get(key) {
                        places(value, sub, format!("{pointer}/{}", escape(key)), out);
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(sub) = schema.get("items") {
                for (i, value) in items.iter().enumerate() {
                    places(value, sub, format!("{pointer}/{i}"), out);
                }
            }
        }
        _ => {}
    }
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

const MUTATIONS: usize = 8;

/// Applies mutation `kind` at a place it fits; `false` when no place fits.
fn mutate(doc: &mut Value, schema: &Value, kind: usize, rng: &mut Rng) -> bool {
    let mut all = Vec::new();
    places(doc, schema, String::new(), &mut all);
    let fits = |(pointer, sub): &(String, &Value)| -> bool {
        let value = doc.pointer(pointer).unwrap();
        match kind {
            0 => sub
                .get("required")
                .and_then(Value::as_array)
                .is_some_and(|r| !r.is_empty()),
            1 => value.is_object(),
            2 => value.is_string(),
            3 => value.is_object() && !pointer.is_empty(),
            4 => sub.get("pattern").is_some(),
            5 => sub.get("minLength").is_some(),
            6 => sub.get("minItems").is_some(),
            _ => sub.get("enum").is_some(),
        }
    };
    let candidates: Vec<(String, Value)> = all
        .iter()
        .filter(|p| fits(p))
        .map(|(p, s)| (p.clone(), (*s).clone()))
        .collect();
    if candidates.is_empty() {
        return false;
    }
    let (pointer, sub) = &candidates[rng.below(candidates.len())];
    let target = doc.pointer_mut(pointer).unwrap();
    match kind {
        0 => {
            let required: Vec<&str> = sub["required"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(Value::as_str)
                .collect();
            let key = required[rng.below(required.len())];
            target.as_object_mut().unwrap().remove(key);
        }
        1 => {
            target
                .as_object_mut()
                .unwrap()
                .insert("ylimaarainen_kentta".into(), json!("x"));
        }
        2 => *target = json!(42),
        3 => *target = json!("x"),
        4 => *target = json!("ei kelpaa !"),
        5 => *target = json!(""),
        6 => *target = json!([]),
        _ => *target = json!("ei-mikaan-sallituista"),
    }
    true
}

// ---------------------------------------------------------------------------------------
// The two sides

type Errors = BTreeSet<(String, String)>;

/// The engine's schema findings as (keyword, pointer).
fn engine_errors(oid: &str, doc: &Value) -> Errors {
    let options = CheckOptions {
        format: Format::Json,
        structure: Some(oid.to_string()),
        ..CheckOptions::default()
    };
    let report = engine()
        .check(&serde_json::to_vec(doc).unwrap(), None, &options)
        .unwrap();
    report
        .findings
        .iter()
        .filter_map(|f| {
            let keyword = match f.rule.as_str() {
                "content.required" => "required",
                "content.undefined" => "additionalProperties",
                "content.type" => "type",
                "content.pattern" => "pattern",
                "content.min-length" => "minLength",
                "content.min-items" => "minItems",
                "content.enum" => "enum",
                "content.schema" => "other",
                _ => return None,
            };
            Some((keyword.to_string(), f.pointer.clone().unwrap_or_default()))
        })
        .collect()
}

/// Compiles a schema with boon, which (unlike the engine's validator) first validates it
/// against the draft-07 metaschema.
fn boon_compile(schema: &Value) -> Result<(boon::Schemas, boon::SchemaIndex), String> {
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.set_default_draft(boon::Draft::V7);
    compiler
        .add_resource("file:///structure.json", schema.clone())
        .map_err(|e| format!("{e:#}"))?;
    let index = compiler
        .compile("file:///structure.json", &mut schemas)
        .map_err(|e| format!("{e:#}"))?;
    Ok((schemas, index))
}

/// The schema with every `enum` list's repeated values dropped, and the pointers of the
/// lists that had some. Draft-07 requires enum values to be unique (the metaschema's
/// `uniqueItems`), so boon refuses such a schema; a repeated value changes nothing about
/// which instances are valid, so the deduplicated schema means the same.
fn without_repeated_enum_values(schema: &Value) -> (Value, Vec<String>) {
    fn walk(value: &mut Value, pointer: String, found: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map.iter_mut() {
                    let at = format!("{pointer}/{}", escape(key));
                    if key == "enum"
                        && let Value::Array(items) = child
                    {
                        let mut unique: Vec<Value> = Vec::new();
                        for item in items.iter() {
                            if !unique.contains(item) {
                                unique.push(item.clone());
                            }
                        }
                        if unique.len() != items.len() {
                            found.push(at);
                            *items = unique;
                        }
                        continue;
                    }
                    walk(child, at, found);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter_mut().enumerate() {
                    walk(child, format!("{pointer}/{i}"), found);
                }
            }
            _ => {}
        }
    }
    let mut copy = schema.clone();
    let mut found = Vec::new();
    walk(&mut copy, String::new(), &mut found);
    (copy, found)
}

/// The schema boon is given: the structure's own, deduplicated where it must be.
fn boon_schema(schema: &Value) -> Value {
    without_repeated_enum_values(schema).0
}

/// boon's compiled schema of each structure, compiled once.
fn boon_compiled(oid: &str, schema: &Value) -> &'static (boon::Schemas, boon::SchemaIndex) {
    type Compiled = std::collections::HashMap<String, &'static (boon::Schemas, boon::SchemaIndex)>;
    static COMPILED: OnceLock<std::sync::Mutex<Compiled>> = OnceLock::new();
    let mut compiled = COMPILED.get_or_init(Default::default).lock().unwrap();
    compiled
        .entry(oid.to_string())
        .or_insert_with(|| Box::leak(Box::new(boon_compile(&boon_schema(schema)).unwrap())))
}

/// boon's errors as (keyword, pointer): one per missing or unexpected key.
fn boon_errors(oid: &str, schema: &Value, doc: &Value) -> Errors {
    let (schemas, index) = boon_compiled(oid, schema);
    let index = *index;
    let mut out = Errors::new();
    let Err(error) = schemas.validate(doc, index) else {
        return out;
    };
    let mut stack = vec![&error];
    while let Some(e) = stack.pop() {
        if !e.causes.is_empty() {
            stack.extend(e.causes.iter());
            continue;
        }
        let at = e.instance_location.to_string();
        match &e.kind {
            boon::ErrorKind::Required { want } => {
                for key in want {
                    out.insert(("required".into(), format!("{at}/{}", escape(key))));
                }
            }
            boon::ErrorKind::AdditionalProperties { got } => {
                for key in got {
                    out.insert((
                        "additionalProperties".into(),
                        format!("{at}/{}", escape(key)),
                    ));
                }
            }
            boon::ErrorKind::Type { .. } => {
                out.insert(("type".into(), at));
            }
            boon::ErrorKind::Pattern { .. } => {
                out.insert(("pattern".into(), at));
            }
            boon::ErrorKind::MinLength { .. } => {
                out.insert(("minLength".into(), at));
            }
            boon::ErrorKind::MinItems { .. } => {
                out.insert(("minItems".into(), at));
            }
            boon::ErrorKind::Enum { .. } => {
                out.insert(("enum".into(), at));
            }
            _ => {
                out.insert(("other".into(), at));
            }
        }
    }
    out
}

/// Where either side reports a value of the wrong `type`, compares only `type` there.
///
/// Draft-07 evaluates every keyword of a schema independently, so the engine's validator
/// also reports `enum`, `pattern` or `minLength` on a value of the wrong type (e.g. the
/// number 42 where an enum of strings stands); boon evaluates no further keyword once
/// `type` fails. Both are right; the pair differs only in how much it says about a value
/// that is already wrong, so at such a pointer the comparison is made on `type` alone.
fn type_first(ours: Errors, theirs: Errors) -> (Errors, Errors) {
    let typed: BTreeSet<String> = ours
        .iter()
        .chain(&theirs)
        .filter(|(keyword, _)| keyword == "type")
        .map(|(_, pointer)| pointer.clone())
        .collect();
    let keep = |set: Errors| -> Errors {
        set.into_iter()
            .filter(|(keyword, pointer)| keyword == "type" || !typed.contains(pointer))
            .collect()
    };
    (keep(ours), keep(theirs))
}

/// Generates a document of structure `index` (mutated when `mutation` is given) and
/// compares both sides; `Err` describes a discrepancy.
fn compare(index: usize, seed: u64, mutation: Option<usize>) -> Result<(), String> {
    let (oid, schema) = &structures()[index];
    let mut rng = Rng::new(seed);
    let mut doc = generate(schema, &mut rng, 0);
    if let Some(kind) = mutation
        && !mutate(&mut doc, schema, kind, &mut rng)
    {
        return Ok(());
    }
    let (ours, theirs) = type_first(engine_errors(oid, &doc), boon_errors(oid, schema, &doc));
    if ours == theirs {
        return Ok(());
    }
    Err(format!(
        "structure {oid}, seed {seed}, mutation {mutation:?}\n  engine only: {:?}\n  boon only: {:?}\n  document: {doc}",
        ours.difference(&theirs).collect::<Vec<_>>(),
        theirs.difference(&ours).collect::<Vec<_>>(),
    ))
}

#[test]
fn boon_refuses_only_schemas_with_repeated_enum_values() {
    // The one way the embedded schemas break draft-07's metaschema: an `enum` list that
    // repeats a value. The engine's validator accepts them (it does not check schemas
    // against the metaschema) and means the same as boon does with the repeats dropped.
    let mut refused = Vec::new();
    for (oid, schema) in structures() {
        let (deduplicated, repeats) = without_repeated_enum_values(schema);
        match boon_compile(schema) {
            Ok(_) => assert!(
                repeats.is_empty(),
                "{oid}: boon accepts repeats {repeats:?}"
            ),
            Err(error) => {
                assert!(!repeats.is_empty(), "{oid}: boon refuses: {error}");
                assert!(error.contains("are equal"), "{oid}: {error}");
                boon_compile(&deduplicated)
                    .unwrap_or_else(|e| panic!("{oid}: refused even without repeats: {e}"));
                refused.push(format!("{oid} {}", repeats.join(" ")));
            }
        }
    }
    eprintln!("schemas with repeated enum values: {refused:#?}");
}

#[test]
fn every_structure_valid_and_mutated_agrees_with_boon() {
    let mut failures = Vec::new();
    let mut valid = 0;
    for index in 0..structures().len() {
        for seed in 0..2u64 {
            // The generated document before mutation: count how many come out valid, so
            // the generator is known to reach valid documents at all.
            let (oid, schema) = &structures()[index];
            let doc = generate(schema, &mut Rng::new(seed), 0);
            if boon_errors(oid, schema, &doc).is_empty() && engine_errors(oid, &doc).is_empty() {
                valid += 1;
            }
            for mutation in std::iter::once(None).chain((0..MUTATIONS).map(Some)) {
                if let Err(e) = compare(index, seed, mutation) {
                    failures.push(e);
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} discrepancies, the first: {}",
        failures.len(),
        failures.first().unwrap()
    );
    // Most structures' generated documents are valid (the rest have a pattern the
    // generator cannot satisfy; they are still compared above).
    let total = structures().len() * 2;
    assert!(valid * 10 >= total * 8, "only {valid} of {total} valid");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_documents_agree_with_boon(
        index in 0..1000usize,
        seed in any::<u64>(),
        mutation in proptest::option::of(0..MUTATIONS),
    ) {
        let index = index % structures().len();
        if let Err(e) = compare(index, seed, mutation) {
            prop_assert!(false, "{}", e);
        }
    }
}
