//! One national structure: its identity, its element table and its conditional rules,
//! read from a Sosmeta JSON Schema (official or stripped by `definitions strip`).

use super::element::{Element, JsonType, Representation};
use super::pointer::{escape_pointer, split_pointer};
use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

use serde_json::{Map, Value};

use super::rules::{self, ConditionalRule, Step};
use super::{LangText, StructureError};

/// The name in a Sosmeta `classification` text: "Koodistopalvelin: THL -
/// SOTE-organisaatiorekisteri 1.2.246.537.6.202" gives "THL - SOTE-organisaatiorekisteri".
/// Internal lists ("Sisäinen luokitus: 1 = ...") give none.
fn classification_name(text: &str) -> Option<String> {
    let text = text.trim();
    let rest = text
        .strip_prefix("Koodistopalvelin:")
        .unwrap_or(text)
        .trim();
    if rest.starts_with("Sisäinen luokitus") || rest.contains('\n') {
        return None;
    }
    // The name ends where the OID starts.
    let end = rest.find(" 1.2.").unwrap_or(rest.len());
    let name = rest[..end].trim();
    (!name.is_empty() && name.len() <= 120).then(|| name.to_string())
}

/// Facts of the root `sosmeta` annotation.
#[derive(Debug, Clone, Default)]
pub struct StructureMeta {
    pub oid: String,
    pub title: String,
    pub status: String,
    pub definition_version: String,
    pub component_library_version: Option<String>,
    /// The family (`documentType`): Päätös, Suunnitelma, Arvio, ...
    pub family: String,
    pub subject: Option<String>,
    pub author: Option<String>,
}

/// A national structure: its identity (always there), and its element table, rules and
/// compiled validator, each built on first use or eagerly by `Catalog::compile_all`.
///
/// A structure read with [`Structure::from_json`] has its table built at once (so a broken
/// file is reported when loaded); one read with [`Structure::from_json_lazy`] (the
/// embedded catalog, checked by tests) reads only its identity, which lets a command that
/// checks one document start without building all 202 tables.
pub struct Structure {
    pub meta: StructureMeta,
    /// The specific document type: the 6th arc of the OID (e.g. `15007`), or the document
    /// group arc for the 1505 family.
    pub type_code: String,
    /// The single required root key of the content.
    pub root_key: String,
    /// The root element's name, which is the structure's name.
    name: LangText,
    /// Where the structure was read from (a file name, or `embedded:<name>`).
    pub source: String,
    /// The schema as JSON text. The parsed tree is not kept: it is several times larger
    /// than its text, and is needed only to build the table, compile (once) and strip.
    schema_json: Cow<'static, [u8]>,
    table: OnceLock<Table>,
    validator: OnceLock<Result<Arc<jsonschema::Validator>, String>>,
}

/// What a structure's schema says about its elements, built from the schema tree.
struct Table {
    /// The element table in definition order; index 0 is the root content element.
    elements: Vec<Element>,
    rules: Vec<ConditionalRule>,
    /// Indices of `conditionalRequired` elements that no machine rule covers.
    text_only: Vec<usize>,
    /// Per element, the steps from the content to each of its values (through the array
    /// items when repeatable), split once here rather than once per check.
    value_steps: Vec<Vec<Step>>,
    /// Per element, itself or its nearest named ancestor.
    named: Vec<usize>,
    /// Elements that rules beyond the schema look at (henkilötunnus, y-tunnus, dates and
    /// codes), in definition order.
    text_rule_elements: Vec<usize>,
    required_text_elements: Vec<usize>,
    /// Henkilötunnus elements under a client (`asiakas...`) element.
    client_hetu_elements: Vec<usize>,
}

/// The identity of a structure, read from its schema without the element table.
struct Head {
    meta: StructureMeta,
    type_code: String,
    root_key: String,
    name: LangText,
}

/// The parts of a schema [`Head`] is read from; everything else is skipped unparsed.
#[derive(serde::Deserialize)]
struct RawHead {
    sosmeta: Option<Map<String, Value>>,
    required: Option<Value>,
    properties: Option<std::collections::HashMap<String, RawElementHead>>,
}

#[derive(serde::Deserialize)]
struct RawElementHead {
    #[serde(rename = "type")]
    kind: Option<Value>,
    sosmeta: Option<Map<String, Value>>,
    items: Option<RawItemsHead>,
}

#[derive(serde::Deserialize)]
struct RawItemsHead {
    sosmeta: Option<Map<String, Value>>,
}

impl std::fmt::Debug for Structure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Structure")
            .field("oid", &self.meta.oid)
            .field("root_key", &self.root_key)
            .field("table_built", &self.table.get().is_some())
            .finish()
    }
}

impl Structure {
    /// Reads a structure from a parsed Sosmeta JSON Schema.
    pub fn from_schema(schema: Value, source: &str) -> Result<Self, StructureError> {
        let json = serde_json::to_vec(&schema).expect("a JSON value serialises");
        Self::build(&schema, Cow::Owned(json), source)
    }

    /// Reads a structure from the JSON text of a Sosmeta JSON Schema (a UTF-8 byte order
    /// mark is allowed) and builds its element table; the text is kept, the parsed tree is
    /// not.
    pub fn from_json(json: Cow<'static, [u8]>, source: &str) -> Result<Self, StructureError> {
        let json = without_bom(json);
        let schema: Value = serde_json::from_slice(&json)
            .map_err(|error| StructureError::new("", format!("not valid JSON: {error}")))?;
        Self::build(&schema, json, source)
    }

    /// Reads only the identity of a structure (OID, names, root key) from the JSON text of
    /// a Sosmeta JSON Schema; the element table is built on first use. Meant for schemas
    /// known to build (the embedded catalog, which the tests build in full): a table that
    /// fails to build later is a defect of the binary, not of the input.
    pub fn from_json_lazy(json: Cow<'static, [u8]>, source: &str) -> Result<Self, StructureError> {
        let json = without_bom(json);
        let raw: RawHead = serde_json::from_slice(&json)
            .map_err(|error| StructureError::new("", format!("not valid JSON: {error}")))?;
        let head = read_head(raw)?;
        Ok(Self::assemble(head, json, source))
    }

    fn assemble(head: Head, schema_json: Cow<'static, [u8]>, source: &str) -> Self {
        Self {
            meta: head.meta,
            type_code: head.type_code,
            root_key: head.root_key,
            name: head.name,
            source: source.to_string(),
            schema_json,
            table: OnceLock::new(),
            validator: OnceLock::new(),
        }
    }

    fn build(
        schema: &Value,
        schema_json: Cow<'static, [u8]>,
        source: &str,
    ) -> Result<Self, StructureError> {
        let root = schema
            .as_object()
            .ok_or_else(|| StructureError::new("", "not a JSON object"))?;
        let (meta, type_code, root_key) = read_identity(root)?;
        let table = Table::build(root, &root_key)?;
        let name = table.elements[0].name.clone();
        let structure = Self::assemble(
            Head {
                meta,
                type_code,
                root_key,
                name,
            },
            schema_json,
            source,
        );
        // A fresh lock: this cannot fail.
        let _ = structure.table.set(table);
        Ok(structure)
    }

    /// The element table and rules, built now if they were not yet.
    fn table(&self) -> &Table {
        self.table.get_or_init(|| {
            let root = match self.schema() {
                Value::Object(root) => root,
                _ => Map::new(),
            };
            Table::build(&root, &self.root_key).unwrap_or_else(|error| {
                panic!(
                    "the table of {} did not build although its head did: {error}",
                    self.source
                )
            })
        })
    }

    /// Builds the table and compiles the validator (whichever is missing) from one parse
    /// of the schema text.
    pub fn prepare(&self) -> Result<(), StructureError> {
        if self.table.get().is_some() {
            return self.validator().map(|_| ());
        }
        let schema = self.schema();
        let empty = Map::new();
        let table = Table::build(schema.as_object().unwrap_or(&empty), &self.root_key)?;
        let _ = self.table.set(table);
        if self.validator.get().is_none() {
            let _ = self.validator.set(compile(&schema).map(Arc::new));
        }
        self.validator().map(|_| ())
    }

    /// True once the element table has been built.
    pub fn is_built(&self) -> bool {
        self.table.get().is_some()
    }

    /// The element table in definition order; index 0 is the root content element.
    pub fn elements(&self) -> &[Element] {
        &self.table().elements
    }

    /// The conditional rules recognised in the structure's notes.
    pub fn rules(&self) -> &[ConditionalRule] {
        &self.table().rules
    }

    /// Indices of `conditionalRequired` elements that no machine rule covers.
    pub fn text_only(&self) -> &[usize] {
        &self.table().text_only
    }

    pub fn oid(&self) -> &str {
        &self.meta.oid
    }

    /// The Finnish and Swedish name of the structure (the root element's name).
    pub fn name(&self) -> &LangText {
        &self.name
    }

    /// The schema this structure was read from, parsed anew from its text.
    pub fn schema(&self) -> Value {
        serde_json::from_slice(&self.schema_json).expect("the schema text parsed when loaded")
    }

    /// The compiled validator, compiled now if it was not yet.
    pub fn validator(&self) -> Result<&Arc<jsonschema::Validator>, StructureError> {
        self.validator
            .get_or_init(|| compile(&self.schema()).map(Arc::new))
            .as_ref()
            .map_err(|message| StructureError::new("", message.clone()))
    }

    /// True once the validator has been compiled (successfully or not).
    pub fn is_compiled(&self) -> bool {
        self.validator.get().is_some()
    }

    /// The element at a concrete instance pointer (array indices are numbers), if the
    /// definition has one there.
    pub fn element_at(&self, pointer: &str) -> Option<usize> {
        let mut segments = split_pointer(pointer)?;
        let first = segments.next()?;
        if first != self.root_key {
            return None;
        }
        let elements = self.elements();
        let mut current = 0;
        let mut in_array = false;
        for segment in segments {
            let element = &elements[current];
            if element.repeatable && !in_array && segment.bytes().all(|b| b.is_ascii_digit()) {
                in_array = true;
                continue;
            }
            current = *element
                .children
                .iter()
                .find(|&&child| elements[child].key == segment)?;
            in_array = false;
        }
        Some(current)
    }

    /// The steps from the content to the element's values (see [`rules::walk`]).
    pub(crate) fn value_steps(&self, index: usize) -> &[Step] {
        &self.table().value_steps[index]
    }

    /// The element itself, or when it has no name of its own (the parts of a code or an
    /// identifier), its nearest named ancestor.
    pub(crate) fn named(&self, index: usize) -> usize {
        self.table().named[index]
    }

    /// Elements the rules beyond the schema look at, in definition order.
    pub(crate) fn text_rule_elements(&self) -> &[usize] {
        &self.table().text_rule_elements
    }

    /// Required, not repeated text elements: a blank value of one counts as missing.
    pub(crate) fn required_text_elements(&self) -> &[usize] {
        &self.table().required_text_elements
    }

    /// Henkilötunnus elements under a client element.
    pub(crate) fn client_hetu_elements(&self) -> &[usize] {
        &self.table().client_hetu_elements
    }

    /// The element at a pointer template (`*` for array indices), as in [`Element::pointer`].
    pub fn element_by_template(&self, template: &str) -> Option<usize> {
        self.elements().iter().position(|e| e.pointer == template)
    }

    /// Elements with their depth in definition order, for printing a tree.
    pub fn walk(&self) -> impl Iterator<Item = (usize, &Element)> {
        self.elements().iter().enumerate()
    }
}

impl Table {
    /// Builds the table of the structure whose schema root is `root`.
    fn build(root: &Map<String, Value>, root_key: &str) -> Result<Self, StructureError> {
        let root_schema = root
            .get("properties")
            .and_then(|p| p.get(root_key))
            .ok_or_else(root_key_error)?;
        let mut elements = Vec::new();
        let location = format!("/properties/{}", escape_pointer(root_key));
        let mut builder = TableBuilder {
            elements: &mut elements,
        };
        builder.add(root_key, root_schema, &location, "", None, true)?;

        let (rules, text_only) = rules::derive(&elements, root)?;
        let value_steps = elements
            .iter()
            .map(|e| {
                let mut steps = rules::steps(&e.pointer);
                if e.repeatable {
                    steps.push(Step::Any);
                }
                steps
            })
            .collect();
        let named = (0..elements.len())
            .map(|index| {
                let mut current = index;
                while elements[current].name.fi.is_empty() {
                    match elements[current].parent {
                        Some(parent) => current = parent,
                        None => break,
                    }
                }
                current
            })
            .collect();
        let text_rule_elements = elements
            .iter()
            .enumerate()
            .filter(|(_, e)| {
                e.is_hetu()
                    || e.name.fi == "Y-tunnus"
                    || e.key == "tilapainen_yksilointitunnus"
                    || matches!(
                        e.representation,
                        Some(Representation::Pvm | Representation::Hetki | Representation::Koodi)
                    )
            })
            .map(|(i, _)| i)
            .collect();
        let required_text_elements = elements
            .iter()
            .enumerate()
            .filter(|(_, e)| e.required && !e.repeatable && e.json_type == JsonType::String)
            .map(|(i, _)| i)
            .collect();
        let client_hetu_elements = elements
            .iter()
            .enumerate()
            .filter(|(_, e)| e.is_hetu() && e.pointer.split('/').any(|s| s.starts_with("asiakas")))
            .map(|(i, _)| i)
            .collect();
        Ok(Self {
            elements,
            rules,
            text_only,
            value_steps,
            named,
            text_rule_elements,
            required_text_elements,
            client_hetu_elements,
        })
    }
}

/// Schema sources: (file name, JSON text).
pub(crate) type Sources = Vec<(String, Cow<'static, [u8]>)>;

/// A structure read from a named source, or why it could not be.
pub(crate) type Named = (String, Result<Structure, StructureError>);

/// Structures read lazily from their sources, their identities taken from `heads`: a JSON
/// array with the parts of each source's schema that [`RawHead`] reads, in source order
/// (the build script writes it for the embedded catalog). When `heads` does not parse or
/// does not match the sources one to one, the sources come back untouched.
pub(crate) fn lazy_from_heads(heads: &str, sources: Sources) -> Result<Vec<Named>, Sources> {
    let heads: Vec<RawHead> = match serde_json::from_str(heads) {
        Ok(heads) => heads,
        Err(_) => return Err(sources),
    };
    if heads.len() != sources.len() {
        return Err(sources);
    }
    let structures = heads
        .into_iter()
        .zip(sources)
        .map(|(raw, (name, json))| {
            let structure =
                read_head(raw).map(|head| Structure::assemble(head, without_bom(json), &name));
            (name, structure)
        })
        .collect();
    Ok(structures)
}

/// Strips a UTF-8 byte order mark from schema text.
fn without_bom(json: Cow<'static, [u8]>) -> Cow<'static, [u8]> {
    match json {
        Cow::Borrowed(bytes) => Cow::Borrowed(bytes.strip_prefix(BOM).unwrap_or(bytes)),
        Cow::Owned(bytes) if bytes.starts_with(BOM) => Cow::Owned(bytes[BOM.len()..].to_vec()),
        owned => owned,
    }
}

fn root_key_error() -> StructureError {
    StructureError::new(
        "/required",
        "expected exactly one required root key defined in properties",
    )
}

/// The identity of a structure from the parts of its schema [`RawHead`] keeps, checked as
/// [`Structure::build`] checks them.
fn read_head(raw: RawHead) -> Result<Head, StructureError> {
    // The same checks as a full reading, on a root holding only what they look at.
    let properties = raw.properties;
    let mut root = Map::new();
    if let Some(sosmeta) = raw.sosmeta {
        root.insert("sosmeta".into(), Value::Object(sosmeta));
    }
    if let Some(required) = raw.required {
        root.insert("required".into(), required);
    }
    if let Some(properties) = &properties {
        let keys = properties.keys().map(|key| (key.clone(), Value::Null));
        root.insert("properties".into(), Value::Object(keys.collect()));
    }
    let (meta, type_code, root_key) = read_identity(&root)?;
    let mut properties = properties.ok_or_else(root_key_error)?;
    let element = properties.remove(&root_key).ok_or_else(root_key_error)?;
    // As the table builder reads names: an array's annotation is on its items.
    let repeatable = element.kind.as_ref().and_then(Value::as_str) == Some("array");
    let sosmeta = if repeatable {
        element
            .items
            .and_then(|items| items.sosmeta)
            .or(element.sosmeta)
    } else {
        element.sosmeta
    };
    let name = sosmeta
        .as_ref()
        .and_then(|s| s.get("name"))
        .map(LangText::from_sosmeta)
        .unwrap_or_default();
    Ok(Head {
        meta,
        type_code,
        root_key,
        name,
    })
}

/// The OID facts, specific type code and root key of a schema root, checked: a national
/// structure OID, and exactly one required key (among the string entries) that
/// `properties` defines.
fn read_identity(
    root: &Map<String, Value>,
) -> Result<(StructureMeta, String, String), StructureError> {
    let meta = read_meta(root)?;
    let type_code = type_code_of(&meta.oid)
        .ok_or_else(|| StructureError::new("/sosmeta/oid", "not a national structure oid"))?;
    let properties = root
        .get("properties")
        .and_then(Value::as_object)
        .ok_or_else(|| StructureError::new("/properties", "missing or not an object"))?;
    let required: Vec<&str> = root
        .get("required")
        .and_then(Value::as_array)
        .map(|keys| keys.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let root_key = match required.as_slice() {
        [key] if properties.contains_key(*key) => (*key).to_string(),
        _ => return Err(root_key_error()),
    };
    Ok((meta, type_code, root_key))
}

/// One cache of compiled `pattern` regexes shared by every validator (and every catalog a
/// reload makes): the national schemas repeat 87 distinct patterns about 1,700 times, and
/// each compiled regex costs tens of kilobytes. Matching through a shared regex is
/// thread-safe.
static PATTERNS: std::sync::LazyLock<jsonschema::PatternCache> =
    std::sync::LazyLock::new(jsonschema::PatternCache::new);

/// A UTF-8 byte order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Compiles a Sosmeta schema as draft-07, offline (the crate is built without HTTP).
pub(crate) fn compile(schema: &Value) -> Result<jsonschema::Validator, String> {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .with_pattern_cache(PATTERNS.clone())
        .build(schema)
        .map_err(|error| format!("schema does not compile: {}", error.masked()))
}

fn read_meta(root: &Map<String, Value>) -> Result<StructureMeta, StructureError> {
    let sosmeta = root
        .get("sosmeta")
        .and_then(Value::as_object)
        .ok_or_else(|| StructureError::new("/sosmeta", "missing: not a Sosmeta schema"))?;
    let text = |key: &str| sosmeta.get(key).and_then(Value::as_str).map(str::to_string);
    let required = |key: &str| {
        text(key).ok_or_else(|| {
            StructureError::new(format!("/sosmeta/{key}"), "missing or not a string")
        })
    };
    let oid = required("oid")?;
    if crate::identifiers::check_oid(&oid).is_err() {
        return Err(StructureError::new("/sosmeta/oid", "not a valid oid"));
    }
    Ok(StructureMeta {
        oid,
        title: text("title").unwrap_or_default(),
        status: text("status").unwrap_or_default(),
        definition_version: required("documentDefinitionVersion")?,
        component_library_version: text("dataComponentLibraryVersion"),
        family: required("documentType")?,
        subject: text("documentSubject"),
        author: text("documentAuthor"),
    })
}

/// The specific type arc of a structure OID: `1.2.246.537.6.1506.<type>.<Y>.<M>.<D>` or
/// `1.2.246.537.6.1505.<n>.<Y>.<M>.<D>`.
pub fn type_code_of(oid: &str) -> Option<String> {
    let rest = oid
        .strip_prefix("1.2.246.537.6.1506.")
        .or_else(|| oid.strip_prefix("1.2.246.537.6.1505."))?;
    let arcs: Vec<&str> = rest.split('.').collect();
    if arcs.len() != 4 || arcs.iter().any(|arc| arc.is_empty()) {
        return None;
    }
    Some(arcs[0].to_string())
}

/// The definition date encoded in a structure OID's last three arcs, as `YYYY-MM-DD`.
pub fn oid_date(oid: &str) -> Option<String> {
    let arcs: Vec<&str> = oid.rsplitn(4, '.').collect();
    if arcs.len() < 4 {
        return None;
    }
    let (day, month, year) = (arcs[0], arcs[1], arcs[2]);
    let (day, month, year): (u32, u32, u32) =
        (day.parse().ok()?, month.parse().ok()?, year.parse().ok()?);
    Some(format!("{year:04}-{month:02}-{day:02}"))
}

struct TableBuilder<'a> {
    elements: &'a mut Vec<Element>,
}

impl TableBuilder<'_> {
    /// Adds the element `key` defined by `schema` at `location`, then its children.
    fn add(
        &mut self,
        key: &str,
        schema: &Value,
        location: &str,
        parent_pointer: &str,
        parent: Option<usize>,
        required: bool,
    ) -> Result<usize, StructureError> {
        let object = schema
            .as_object()
            .ok_or_else(|| StructureError::new(location, "element schema is not an object"))?;
        let repeatable = object.get("type").and_then(Value::as_str) == Some("array");
        // Arrays carry their annotation and children on `items`.
        let (body, body_location) = if repeatable {
            let items = object.get("items").ok_or_else(|| {
                StructureError::new(location, "array element without an items schema")
            })?;
            (
                items.as_object().ok_or_else(|| {
                    StructureError::new(format!("{location}/items"), "items is not an object")
                })?,
                format!("{location}/items"),
            )
        } else {
            (object, location.to_string())
        };
        let sosmeta = body
            .get("sosmeta")
            .or_else(|| object.get("sosmeta"))
            .and_then(Value::as_object);
        let flag = |name: &str| {
            sosmeta
                .and_then(|s| s.get(name))
                .and_then(Value::as_bool)
                .unwrap_or(false)
        };
        // Plain strings, or Sosmeta's `[{"lang": "", "value": ...}]` form.
        let text = |name: &str| {
            let value = sosmeta.and_then(|s| s.get(name))?;
            match value {
                Value::String(s) => Some(s.clone()),
                Value::Array(entries) => entries
                    .iter()
                    .filter_map(|e| e.get("value").and_then(Value::as_str))
                    .next()
                    .map(str::to_string),
                _ => None,
            }
        };
        let pointer = format!("{parent_pointer}/{}", escape_pointer(key));
        let depth = parent.map_or(0, |p| self.elements[p].depth + 1);
        let element = Element {
            key: key.to_string(),
            pointer: pointer.clone(),
            schema_location: location.to_string(),
            parent,
            children: Vec::new(),
            depth,
            name: sosmeta
                .and_then(|s| s.get("name"))
                .map(LangText::from_sosmeta)
                .unwrap_or_default(),
            title: sosmeta
                .and_then(|s| s.get("title"))
                .map(LangText::from_sosmeta)
                .filter(|t| !t.fi.is_empty()),
            representation: sosmeta
                .and_then(|s| s.get("representation"))
                .map(LangText::from_sosmeta)
                .filter(|r| !r.fi.is_empty())
                .map(|r| Representation::from_fi(&r.fi)),
            json_type: JsonType::from_schema(body.get("type")),
            required,
            repeatable,
            min_items: object.get("minItems").and_then(Value::as_u64),
            conditional_required: flag("conditionalRequired"),
            classification_oid: text("classificationOid").filter(|s| !s.is_empty()),
            classification_name: text("classification")
                .as_deref()
                .and_then(classification_name),
            system_uri: text("systemUri").filter(|s| !s.is_empty()),
            enum_values: body
                .get("enum")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            pattern: body
                .get("pattern")
                .and_then(Value::as_str)
                .map(str::to_string),
            min_length: body.get("minLength").and_then(Value::as_u64),
            implementation_note: sosmeta
                .and_then(|s| s.get("implementationNote"))
                .map(LangText::from_sosmeta)
                .filter(|n| !n.fi.is_empty() || !n.sv.is_empty()),
            row_number: sosmeta
                .and_then(|s| s.get("rowNumber"))
                .and_then(Value::as_u64),
            nationwide_recorded: flag("nationwideRecordedInformation"),
        };
        let index = self.elements.len();
        self.elements.push(element);
        if let Some(parent) = parent {
            self.elements[parent].children.push(index);
        }

        let Some(properties) = body.get("properties").and_then(Value::as_object) else {
            return Ok(index);
        };
        let required_keys: Vec<&str> = body
            .get("required")
            .and_then(Value::as_array)
            .map(|keys| keys.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let child_pointer = if repeatable {
            format!("{pointer}/*")
        } else {
            pointer
        };
        for (child_key, child_schema) in properties {
            let child_location =
                format!("{body_location}/properties/{}", escape_pointer(child_key));
            self.add(
                child_key,
                child_schema,
                &child_location,
                &child_pointer,
                Some(index),
                required_keys.contains(&child_key.as_str()),
            )?;
        }
        Ok(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Value {
        json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "additionalProperties": false,
            "sosmeta": {
                "oid": "1.2.246.537.6.1506.9999.2024.1.2",
                "documentType": "Arvio",
                "documentDefinitionVersion": "2024-01-02",
                "status": "Valmis"
            },
            "required": ["arvio"],
            "properties": {
                "arvio": {
                    "type": "object",
                    "additionalProperties": false,
                    "sosmeta": {"name": [{"lang": "fi", "value": "Arvio"}, {"lang": "sv", "value": "Bedömning"}]},
                    "required": ["asiakas"],
                    "properties": {
                        "asiakas": {
                            "type": "array",
                            "minItems": 1,
                            "items": {
                                "type": "object",
                                "additionalProperties": false,
                                "sosmeta": {"name": [{"lang": "fi", "value": "Asiakas"}], "repeatable": true, "required": true},
                                "required": [],
                                "properties": {
                                    "henkilotunnus": {
                                        "type": "object",
                                        "sosmeta": {
                                            "name": [{"lang": "fi", "value": "Henkilötunnus"}],
                                            "representation": [{"lang": "fi", "value": "Tunnus"}],
                                            "systemUri": [{"lang": "", "value": "urn:oid:1.2.246.21"}],
                                            "conditionalRequired": true,
                                            "implementationNote": [{"lang": "fi", "value": "Ehdollisesti pakollinen: Henkilötunnus- ja Syntymäaika -kentistä toinen on pakollinen."}]
                                        }
                                    },
                                    "syntymaaika": {
                                        "type": "string",
                                        "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                                        "sosmeta": {
                                            "name": [{"lang": "fi", "value": "Syntymäaika"}],
                                            "representation": [{"lang": "fi", "value": "Pvm"}],
                                            "conditionalRequired": true
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        })
    }

    #[test]
    fn builds_the_element_table_with_pointers_and_locations() {
        let structure = Structure::from_schema(sample(), "sample.json").unwrap();
        assert_eq!(structure.root_key, "arvio");
        assert_eq!(structure.type_code, "9999");
        let pointers: Vec<&str> = structure
            .elements()
            .iter()
            .map(|e| e.pointer.as_str())
            .collect();
        assert_eq!(
            pointers,
            [
                "/arvio",
                "/arvio/asiakas",
                "/arvio/asiakas/*/henkilotunnus",
                "/arvio/asiakas/*/syntymaaika"
            ]
        );
        let asiakas = &structure.elements()[1];
        assert!(asiakas.repeatable && asiakas.required);
        assert_eq!(asiakas.cardinality(), "1..*");
        assert_eq!(asiakas.name.fi, "Asiakas");
        let hetu = &structure.elements()[2];
        assert!(hetu.is_hetu());
        assert_eq!(
            hetu.schema_location,
            "/properties/arvio/properties/asiakas/items/properties/henkilotunnus"
        );
        assert_eq!(hetu.representation, Some(Representation::Tunnus));
        assert_eq!(
            structure.elements()[3].pattern.as_deref(),
            Some("^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
        );
    }

    #[test]
    fn finds_elements_at_concrete_pointers() {
        let structure = Structure::from_schema(sample(), "sample.json").unwrap();
        assert_eq!(structure.element_at("/arvio"), Some(0));
        assert_eq!(structure.element_at("/arvio/asiakas"), Some(1));
        assert_eq!(
            structure.element_at("/arvio/asiakas/3/syntymaaika"),
            Some(3)
        );
        assert_eq!(structure.element_at("/arvio/asiakas/x/syntymaaika"), None);
        assert_eq!(structure.element_at("/arvio/tuntematon"), None);
        assert_eq!(structure.element_at("/muu"), None);
    }

    #[test]
    fn refuses_files_that_are_not_sosmeta() {
        let error = Structure::from_schema(json!({"type": "object"}), "x.json").unwrap_err();
        assert_eq!(error.pointer, "/sosmeta");
        let mut bad = sample();
        bad["required"] = json!(["arvio", "muu"]);
        let error = Structure::from_schema(bad, "x.json").unwrap_err();
        assert_eq!(error.pointer, "/required");
        let mut bad = sample();
        bad["sosmeta"]["oid"] = json!("1.2.246.537.6.1506.x");
        assert!(Structure::from_schema(bad, "x.json").is_err());
    }

    #[test]
    fn compiles_lazily_and_validates() {
        let structure = Structure::from_schema(sample(), "sample.json").unwrap();
        assert!(!structure.is_compiled());
        let validator = structure.validator().unwrap();
        assert!(
            validator.is_valid(&json!({"arvio": {"asiakas": [{"syntymaaika": "2020-01-01"}]}}))
        );
        assert!(!validator.is_valid(&json!({"arvio": {"asiakas": []}})));
        assert!(structure.is_compiled());
    }

    #[test]
    fn reads_type_codes_and_dates_from_oids() {
        assert_eq!(
            type_code_of("1.2.246.537.6.1506.15007.2024.11.28").as_deref(),
            Some("15007")
        );
        assert_eq!(
            type_code_of("1.2.246.537.6.1505.1.2023.6.1").as_deref(),
            Some("1")
        );
        assert_eq!(type_code_of("1.2.246.537.6.1506.15007"), None);
        assert_eq!(
            oid_date("1.2.246.537.6.1505.1.2023.6.1").as_deref(),
            Some("2023-06-01")
        );
    }
}
