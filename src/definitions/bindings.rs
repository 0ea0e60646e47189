//! Bindings of document types to service tasks, process phases, document groups and
//! allowed social services: a national layer plus each organisation's own layers.
//!
//! The national layer (`schemas/bindings/national.json`, embedded) holds what THL's Sosmeta
//! files state (each structure's `documentSubject`, the cross-field rule of
//! 1.2.246.537.6.1506.19008) and what the project inferred from Kanta test documents (the
//! process phase of a Suunnitelma, the document groups), each entry naming its source. An
//! organisation layer may **add** bindings for subjects or structures the national
//! layer leaves unbound and **narrow** national bindings, never widen them: a layer that
//! would widen is refused when it is added ([`Bindings::with_layer`]), and structure bindings,
//! whose subject only the structures catalogue knows, are checked with
//! [`Bindings::check_structures`] and intersected with the layers below at query time.
//!
//! # File format (both layers)
//!
//! ```json
//! {
//!   "layer": "organisation",
//!   "organisation": "example",
//!   "source": "default source of every entry below",
//!   "note": "free text",
//!   "subjects": [
//!     {"prefix": "Perhetyön", "service_tasks": ["24"], "source": "...", "note": "..."}
//!   ],
//!   "families": [
//!     {"family": "Suunnitelma", "phases": ["3"], "severity": "error"}
//!   ],
//!   "structures": [
//!     {"structure": "1.2.246.537.6.1506.15002", "service_tasks": ["10"], "phases": ["3"]},
//!     {"structure": "19008", "service_tasks": ["10", "20"], "severity": "error"}
//!   ],
//!   "social_services": [
//!     {"structure": "19008", "service_task": "10", "social_services": ["24", "31"]}
//!   ],
//!   "document_groups": [],
//!   "severities": [
//!     {"rule": "header.oid-ytunnus", "severity": "error", "reason": "our registry requires it"}
//!   ]
//! }
//! ```
//!
//! - `layer`: `"national"` or `"organisation"`; an organisation layer needs `organisation`
//!   (a name used in sources and errors). Unknown fields are errors.
//! - `source` / `note` may be given per entry; an entry without `source` takes the file's,
//!   and failing that `organisation layer <name> (<file>)` or `national layer (<file>)`.
//! - `subjects`: a `documentSubject` prefix → `service_tasks` (codes of
//!   1.2.246.537.6.1221, or `"any"`). Subjects are compared with runs of white space
//!   collapsed (the national schemas write "Sosiaalihuollon  palvelutehtäville"); the
//!   longest matching prefix of a layer wins.
//! - `families`: a `documentType` → expected `phases` (codes of 1.2.246.537.6.1277) with
//!   `severity` `"warning"` (a hint) or `"error"` (a hard rule). The default severity is
//!   `"warning"` in the national layer and `"error"` in an organisation layer.
//! - `structures`: binds a structure to `service_tasks` and/or `phases` (+ `severity`).
//!   The key is a specific type code (`"19008"` = 1.2.246.537.6.1506.19008), a type OID
//!   without the date (`"1.2.246.537.6.1505.1"`: every version), or a full structure OID
//!   with the date (one version). The most specific key wins, and within a layer a
//!   structure binding wins over a subject or family binding.
//! - `social_services`: for a structure key and a service task, the only allowed social
//!   services (codes of 1.2.246.537.6.1222).
//! - `document_groups` (national layer only): a structure key → `group` (codes of
//!   1.2.246.537.6.1505); the key `"*"` is the required fallback.
//! - `severities` (organisation layer only): re-grades a rule of the catalogue
//!   (`rakenne rules`) to `"error"`, `"warning"` or `"info"` for every document checked
//!   with the layer, as KoSIT scenarios re-grade rules; `reason` (optional) is shown. The
//!   highest layer's entry wins. A re-graded finding keeps its rule id and says in its
//!   message which severity the engine gave it and which organisation changed it, so
//!   lowering an ERROR is never silent.
//! - The national layer is partly inferred from example documents, so its phase bindings
//!   may only be hints (`"warning"`): a national `"error"` is refused. An organisation may
//!   make them hard rules in its own layer.
//!
//! Across layers: service tasks and social services are intersected (an organisation layer
//! only narrows); phases from a higher layer replace a national hint, and are intersected
//! with a hard rule below.
//!
//! Loading errors name the file and a line (JSON syntax) or a JSON pointer (content).

use std::fs;
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;

use super::classifications::{is_arcs, json_message, strip_urn_oid};
use crate::findings::Severity as FindingSeverity;

const NATIONAL_JSON: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/schemas/bindings/national.json"
));

/// Prefix of the OIDs of document-type structures; a bare type code is read under it.
const DOCUMENT_TYPE_ROOT: &str = "1.2.246.537.6.1506";
/// Prefix of the OIDs of case and client-relationship structures.
const CASE_DOCUMENT_ROOT: &str = "1.2.246.537.6.1505";

/// The service tasks allowed for a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceTaskBinding {
    /// Any service task is allowed (bound, but not restricted).
    Any,
    /// Only these service tasks (codes of 1.2.246.537.6.1221) are allowed.
    OneOf { codes: Vec<String>, source: String },
    /// No layer binds the document: nothing is enforced.
    NotBound,
}

/// The process phases expected for a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhaseBinding {
    /// One of these phases (codes of 1.2.246.537.6.1277) is expected. `hard` is true for a
    /// rule (an error when broken) and false for a hint (a warning).
    OneOf {
        phases: Vec<String>,
        hard: bool,
        source: String,
    },
    /// No layer binds the document: nothing is expected.
    NotBound,
}

/// What the structures catalogue knows of one structure, for [`Bindings::check_structures`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StructureInfo<'a> {
    pub oid: &'a str,
    pub family: Option<&'a str>,
    pub subject: Option<&'a str>,
}

/// Errors from loading or layering bindings.
#[derive(Debug, thiserror::Error)]
pub enum BindingsError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{origin}:{line}:{column}: {message}")]
    Json {
        origin: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{origin}: {pointer}: {message}")]
    Invalid {
        origin: String,
        pointer: String,
        message: String,
    },
    #[error("{origin}: {pointer}: widens the layer below: {message}")]
    Widening {
        origin: String,
        pointer: String,
        message: String,
    },
}

/// An organisation's re-grading of one rule (`severities` in its layer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Regrade {
    /// The rule id, one of the catalogue's.
    pub rule: String,
    pub severity: FindingSeverity,
    /// The organisation whose layer re-grades it.
    pub organisation: String,
    /// Why, as the layer says (may be empty).
    pub reason: String,
}

/// The bindings in force: the national layer and the organisation layers over it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bindings {
    /// `layers[0]` is the national layer.
    layers: Vec<Layer>,
    /// The re-gradings in force, one per rule (the highest layer's).
    regrades: Arc<[Regrade]>,
}

/// One organisation's layer, loaded but not yet checked against the national layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganisationLayer(Layer);

impl OrganisationLayer {
    pub fn load_file(path: impl AsRef<Path>) -> Result<Self, BindingsError> {
        let (text, origin) = read(path.as_ref())?;
        Self::from_json_str(&text, &origin)
    }

    /// Parses an organisation layer; `origin` names the file in errors.
    pub fn from_json_str(text: &str, origin: &str) -> Result<Self, BindingsError> {
        let layer = Layer::parse(text, origin)?;
        if layer.organisation.is_none() {
            return Err(invalid(
                origin,
                "/layer",
                "expected an organisation layer, found the national layer",
            ));
        }
        Ok(OrganisationLayer(layer))
    }

    pub fn organisation(&self) -> &str {
        self.0.organisation.as_deref().unwrap_or_default()
    }
}

impl Bindings {
    /// The national layer embedded in the binary (`schemas/bindings/national.json`).
    pub fn national_embedded() -> Self {
        Self::national_from_json_str(NATIONAL_JSON, "embedded:schemas/bindings/national.json")
            .unwrap_or_else(|e| panic!("embedded national bindings are invalid: {e}"))
    }

    /// Loads a national layer from a file (e.g. newer national data than the embedded one).
    pub fn load_file(path: impl AsRef<Path>) -> Result<Self, BindingsError> {
        let (text, origin) = read(path.as_ref())?;
        Self::national_from_json_str(&text, &origin)
    }

    /// Parses a national layer; `origin` names the file in errors.
    pub fn national_from_json_str(text: &str, origin: &str) -> Result<Self, BindingsError> {
        let layer = Layer::parse(text, origin)?;
        if layer.organisation.is_some() {
            return Err(invalid(
                origin,
                "/layer",
                "expected the national layer, found an organisation layer",
            ));
        }
        Ok(Bindings {
            layers: vec![layer],
            regrades: Arc::from(Vec::new()),
        })
    }

    /// Adds an organisation layer over the layers present, refusing one that widens them.
    pub fn with_layer(mut self, layer: OrganisationLayer) -> Result<Self, BindingsError> {
        let layer = layer.0;
        check_narrows(&self.layers, &layer)?;
        self.layers.push(layer);
        let mut regrades: Vec<Regrade> = Vec::new();
        for layer in self.layers.iter().rev() {
            for regrade in &layer.severities {
                if !regrades.iter().any(|r| r.rule == regrade.rule) {
                    regrades.push(regrade.clone());
                }
            }
        }
        self.regrades = Arc::from(regrades);
        Ok(self)
    }

    /// Loads an organisation layer file and adds it with [`Bindings::with_layer`].
    pub fn with_layer_file(self, path: impl AsRef<Path>) -> Result<Self, BindingsError> {
        self.with_layer(OrganisationLayer::load_file(path)?)
    }

    /// The organisations' re-gradings in force, one per rule (the highest layer's).
    pub fn regrades(&self) -> &Arc<[Regrade]> {
        &self.regrades
    }

    /// The re-grading of one rule, if an organisation layer re-grades it.
    pub fn regrade_of(&self, rule: &str) -> Option<&Regrade> {
        self.regrades.iter().find(|r| r.rule == rule)
    }

    /// The names of the organisation layers, bottom first.
    pub fn organisations(&self) -> impl Iterator<Item = &str> {
        self.layers.iter().filter_map(|l| l.organisation.as_deref())
    }

    /// The service tasks allowed for a document of this subject and structure.
    pub fn allowed_service_tasks(
        &self,
        subject: Option<&str>,
        structure_oid: &str,
    ) -> ServiceTaskBinding {
        resolve_tasks(&self.layers, subject, strip_urn_oid(structure_oid))
    }

    /// The process phases expected for a document of this family and structure.
    pub fn expected_phases(&self, family: Option<&str>, structure_oid: &str) -> PhaseBinding {
        resolve_phases(&self.layers, family, strip_urn_oid(structure_oid))
    }

    /// The document group (code of 1.2.246.537.6.1505) that goes with a structure.
    pub fn document_group_for(&self, structure_oid: &str) -> &str {
        let oid = strip_urn_oid(structure_oid);
        let groups = &self.layers[0].document_groups;
        groups
            .iter()
            .filter(|g| g.key.as_deref().is_some_and(|k| key_matches(k, oid)))
            .max_by_key(|g| g.key.as_ref().map_or(0, String::len))
            .or_else(|| groups.iter().find(|g| g.key.is_none()))
            .map(|g| g.group.as_str())
            .unwrap_or_default()
    }

    /// The only social services (codes of 1.2.246.537.6.1222) allowed with this service
    /// task in this structure, and where the rule comes from; `None` when unrestricted.
    pub fn allowed_social_services(
        &self,
        structure_oid: &str,
        service_task: &str,
    ) -> Option<(Vec<String>, String)> {
        let oid = strip_urn_oid(structure_oid);
        let mut current: Option<(Vec<String>, String)> = None;
        for layer in &self.layers {
            let Some(rule) = layer.social_rule(oid, service_task) else {
                continue;
            };
            current = Some(match current {
                None => (rule.services.clone(), rule.source.clone()),
                Some((below, below_source)) => {
                    narrow(&rule.services, &rule.source, &below, &below_source)
                }
            });
        }
        current
    }

    /// Whether any layer restricts social services by service task in this structure (so a
    /// document of any other structure need not be searched for them).
    pub fn restricts_social_services(&self, structure_oid: &str) -> bool {
        let oid = strip_urn_oid(structure_oid);
        self.layers.iter().any(|layer| {
            layer
                .social_services
                .iter()
                .any(|rule| key_matches(&rule.key, oid))
        })
    }

    /// Checks the organisation layers' structure bindings against what the catalogue knows
    /// of each structure (its subject and family): a binding that would widen a layer below
    /// is refused.
    pub fn check_structures<'a>(
        &self,
        structures: impl IntoIterator<Item = StructureInfo<'a>>,
    ) -> Result<(), BindingsError> {
        for info in structures {
            let oid = strip_urn_oid(info.oid);
            for i in 1..self.layers.len() {
                let (below, layer) = (&self.layers[..i], &self.layers[i]);
                if let Some(rule) = layer.structure_rule(oid, |r| r.tasks.is_some()) {
                    let tasks = rule.tasks.as_ref().expect("filtered on tasks");
                    let prior = resolve_tasks(below, info.subject, oid);
                    if let Some(message) = tasks_widen(tasks, &prior) {
                        return Err(BindingsError::Widening {
                            origin: layer.origin.clone(),
                            pointer: format!("{}/service_tasks", rule.pointer),
                            message: format!("structure {oid}: {message}"),
                        });
                    }
                }
                if let Some(rule) = layer.structure_rule(oid, |r| r.phases.is_some()) {
                    let (phases, _) = rule.phases.as_ref().expect("filtered on phases");
                    let prior = resolve_phases(below, info.family, oid);
                    if let Some(message) = phases_widen(phases, &prior) {
                        return Err(BindingsError::Widening {
                            origin: layer.origin.clone(),
                            pointer: format!("{}/phases", rule.pointer),
                            message: format!("structure {oid}: {message}"),
                        });
                    }
                }
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Layers and rules

#[derive(Debug, Clone, PartialEq, Eq)]
struct Layer {
    /// `None` for the national layer.
    organisation: Option<String>,
    origin: String,
    subjects: Vec<SubjectRule>,
    families: Vec<FamilyRule>,
    structures: Vec<StructureRule>,
    social_services: Vec<SocialRule>,
    document_groups: Vec<GroupRule>,
    severities: Vec<Regrade>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tasks {
    Any,
    OneOf(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct SubjectRule {
    /// Normalised (white space collapsed).
    prefix: String,
    tasks: Tasks,
    source: String,
    pointer: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct FamilyRule {
    /// Normalised (white space collapsed).
    family: String,
    phases: Vec<String>,
    hard: bool,
    source: String,
    pointer: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct StructureRule {
    /// A structure OID prefix (type OID or full OID).
    key: String,
    tasks: Option<Tasks>,
    /// Phases and whether they are a hard rule.
    phases: Option<(Vec<String>, bool)>,
    source: String,
    pointer: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct SocialRule {
    key: String,
    task: String,
    services: Vec<String>,
    source: String,
    pointer: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct GroupRule {
    /// `None` for the `"*"` fallback.
    key: Option<String>,
    group: String,
}

impl Layer {
    fn subject_rule(&self, subject: &str) -> Option<&SubjectRule> {
        self.subjects
            .iter()
            .filter(|r| subject.starts_with(&r.prefix))
            .max_by_key(|r| r.prefix.len())
    }

    fn family_rule(&self, family: &str) -> Option<&FamilyRule> {
        self.families.iter().find(|r| r.family == family)
    }

    /// The most specific structure rule matching `oid` among those `has` accepts.
    fn structure_rule(
        &self,
        oid: &str,
        has: impl Fn(&StructureRule) -> bool,
    ) -> Option<&StructureRule> {
        self.structures
            .iter()
            .filter(|r| has(r) && key_matches(&r.key, oid))
            .max_by_key(|r| r.key.len())
    }

    fn social_rule(&self, oid: &str, task: &str) -> Option<&SocialRule> {
        self.social_services
            .iter()
            .filter(|r| r.task == task && key_matches(&r.key, oid))
            .max_by_key(|r| r.key.len())
    }

    /// This layer's own service-task binding: a structure rule, else a subject rule.
    fn tasks_for(&self, subject: Option<&str>, oid: &str) -> Option<(&Tasks, &str)> {
        if let Some(rule) = self.structure_rule(oid, |r| r.tasks.is_some()) {
            return rule.tasks.as_ref().map(|t| (t, rule.source.as_str()));
        }
        let rule = self.subject_rule(subject?)?;
        Some((&rule.tasks, &rule.source))
    }

    /// This layer's own phase binding: a structure rule, else a family rule.
    fn phases_for(&self, family: Option<&str>, oid: &str) -> Option<(&[String], bool, &str)> {
        if let Some(rule) = self.structure_rule(oid, |r| r.phases.is_some()) {
            let (phases, hard) = rule.phases.as_ref()?;
            return Some((phases, *hard, &rule.source));
        }
        let rule = self.family_rule(family?)?;
        Some((&rule.phases, rule.hard, &rule.source))
    }
}

fn resolve_tasks(layers: &[Layer], subject: Option<&str>, oid: &str) -> ServiceTaskBinding {
    let subject = subject.map(normalise);
    let mut current = ServiceTaskBinding::NotBound;
    for layer in layers {
        let Some((tasks, source)) = layer.tasks_for(subject.as_deref(), oid) else {
            continue;
        };
        current = match (current, tasks) {
            (ServiceTaskBinding::OneOf { codes, source }, Tasks::Any) => {
                ServiceTaskBinding::OneOf { codes, source }
            }
            (ServiceTaskBinding::NotBound | ServiceTaskBinding::Any, Tasks::Any) => {
                ServiceTaskBinding::Any
            }
            (ServiceTaskBinding::NotBound | ServiceTaskBinding::Any, Tasks::OneOf(codes)) => {
                ServiceTaskBinding::OneOf {
                    codes: codes.clone(),
                    source: source.to_owned(),
                }
            }
            (
                ServiceTaskBinding::OneOf {
                    codes: below,
                    source: below_source,
                },
                Tasks::OneOf(codes),
            ) => {
                let (codes, source) = narrow(codes, source, &below, &below_source);
                ServiceTaskBinding::OneOf { codes, source }
            }
        };
    }
    current
}

fn resolve_phases(layers: &[Layer], family: Option<&str>, oid: &str) -> PhaseBinding {
    let family = family.map(normalise);
    let mut current = PhaseBinding::NotBound;
    for layer in layers {
        let Some((phases, hard, source)) = layer.phases_for(family.as_deref(), oid) else {
            continue;
        };
        current = match current {
            PhaseBinding::OneOf {
                phases: below,
                hard: true,
                source: below_source,
            } => {
                let (phases, source) = narrow(phases, source, &below, &below_source);
                PhaseBinding::OneOf {
                    phases,
                    hard: true,
                    source,
                }
            }
            _ => PhaseBinding::OneOf {
                phases: phases.to_vec(),
                hard,
                source: source.to_owned(),
            },
        };
    }
    current
}

/// The codes of `upper` that `below` allows, with a source naming both when `below` cut
/// something away.
fn narrow(
    upper: &[String],
    upper_source: &str,
    below: &[String],
    below_source: &str,
) -> (Vec<String>, String) {
    let kept: Vec<String> = upper
        .iter()
        .filter(|c| below.contains(c))
        .cloned()
        .collect();
    if kept.len() == upper.len() {
        return (kept, upper_source.to_owned());
    }
    (kept, format!("{upper_source}; limited by {below_source}"))
}

/// Why binding `tasks` over `prior` would widen it, if it would.
fn tasks_widen(tasks: &Tasks, prior: &ServiceTaskBinding) -> Option<String> {
    let ServiceTaskBinding::OneOf { codes, source } = prior else {
        return None;
    };
    match tasks {
        Tasks::Any => Some(format!(
            "\"any\" service task where only {} are allowed ({source})",
            codes.join(", ")
        )),
        Tasks::OneOf(tasks) => {
            let extra: Vec<&str> = tasks
                .iter()
                .filter(|t| !codes.contains(t))
                .map(String::as_str)
                .collect();
            (!extra.is_empty()).then(|| {
                format!(
                    "service task(s) {} where only {} are allowed ({source})",
                    extra.join(", "),
                    codes.join(", ")
                )
            })
        }
    }
}

/// Why expecting `phases` over `prior` would widen a hard phase rule, if it would.
fn phases_widen(phases: &[String], prior: &PhaseBinding) -> Option<String> {
    let PhaseBinding::OneOf {
        phases: allowed,
        hard: true,
        source,
    } = prior
    else {
        return None;
    };
    let extra: Vec<&str> = phases
        .iter()
        .filter(|p| !allowed.contains(p))
        .map(String::as_str)
        .collect();
    (!extra.is_empty()).then(|| {
        format!(
            "phase(s) {} where only {} are allowed ({source})",
            extra.join(", "),
            allowed.join(", ")
        )
    })
}

/// Refuses an organisation layer whose subject, family or social-service rules widen the
/// layers below. Structure bindings against subjects need the catalogue: see
/// [`Bindings::check_structures`]; here they are checked against structure rules below.
fn check_narrows(below: &[Layer], layer: &Layer) -> Result<(), BindingsError> {
    let widening = |pointer: String, message: String| BindingsError::Widening {
        origin: layer.origin.clone(),
        pointer,
        message,
    };
    for rule in &layer.subjects {
        for lower in below.iter().flat_map(|l| &l.subjects) {
            let overlaps =
                rule.prefix.starts_with(&lower.prefix) || lower.prefix.starts_with(&rule.prefix);
            if !overlaps {
                continue;
            }
            let prior = match &lower.tasks {
                Tasks::Any => continue,
                Tasks::OneOf(codes) => ServiceTaskBinding::OneOf {
                    codes: codes.clone(),
                    source: lower.source.clone(),
                },
            };
            if let Some(message) = tasks_widen(&rule.tasks, &prior) {
                return Err(widening(
                    format!("{}/service_tasks", rule.pointer),
                    format!("subject {:?}: {message}", rule.prefix),
                ));
            }
        }
    }
    for rule in &layer.families {
        let prior = resolve_phases(below, Some(&rule.family), "");
        if let Some(message) = phases_widen(&rule.phases, &prior) {
            return Err(widening(
                format!("{}/phases", rule.pointer),
                format!("family {:?}: {message}", rule.family),
            ));
        }
    }
    for rule in &layer.structures {
        let overlapping = below
            .iter()
            .flat_map(|l| &l.structures)
            .filter(|lower| keys_overlap(&lower.key, &rule.key));
        for lower in overlapping {
            if let (Some(tasks), Some(Tasks::OneOf(codes))) = (&rule.tasks, &lower.tasks) {
                let prior = ServiceTaskBinding::OneOf {
                    codes: codes.clone(),
                    source: lower.source.clone(),
                };
                if let Some(message) = tasks_widen(tasks, &prior) {
                    return Err(widening(
                        format!("{}/service_tasks", rule.pointer),
                        format!("structure {}: {message}", rule.key),
                    ));
                }
            }
            if let (Some((phases, _)), Some((allowed, true))) = (&rule.phases, &lower.phases) {
                let prior = PhaseBinding::OneOf {
                    phases: allowed.clone(),
                    hard: true,
                    source: lower.source.clone(),
                };
                if let Some(message) = phases_widen(phases, &prior) {
                    return Err(widening(
                        format!("{}/phases", rule.pointer),
                        format!("structure {}: {message}", rule.key),
                    ));
                }
            }
        }
    }
    for rule in &layer.social_services {
        let overlapping = below
            .iter()
            .flat_map(|l| &l.social_services)
            .filter(|lower| lower.task == rule.task && keys_overlap(&lower.key, &rule.key));
        for lower in overlapping {
            let extra: Vec<&str> = rule
                .services
                .iter()
                .filter(|s| !lower.services.contains(s))
                .map(String::as_str)
                .collect();
            if !extra.is_empty() {
                return Err(widening(
                    format!("{}/social_services", rule.pointer),
                    format!(
                        "structure {} with service task {}: social service(s) {} where only {} \
                         are allowed ({})",
                        rule.key,
                        rule.task,
                        extra.join(", "),
                        lower.services.join(", "),
                        lower.source
                    ),
                ));
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Parsing

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LayerFile {
    layer: LayerKind,
    organisation: Option<String>,
    source: Option<String>,
    #[allow(dead_code)]
    note: Option<String>,
    #[serde(default)]
    subjects: Vec<SubjectFile>,
    #[serde(default)]
    families: Vec<FamilyFile>,
    #[serde(default)]
    structures: Vec<StructureFile>,
    #[serde(default)]
    social_services: Vec<SocialFile>,
    #[serde(default)]
    document_groups: Vec<GroupFile>,
    #[serde(default)]
    severities: Vec<RegradeFile>,
}

#[derive(Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum LayerKind {
    National,
    Organisation,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Severity {
    Warning,
    Error,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum RegradeSeverity {
    Error,
    Warning,
    Info,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegradeFile {
    rule: String,
    severity: RegradeSeverity,
    reason: Option<String>,
    #[allow(dead_code)]
    source: Option<String>,
    #[allow(dead_code)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubjectFile {
    prefix: String,
    service_tasks: Value,
    source: Option<String>,
    #[allow(dead_code)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FamilyFile {
    family: String,
    phases: Vec<String>,
    severity: Option<Severity>,
    source: Option<String>,
    #[allow(dead_code)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StructureFile {
    structure: String,
    service_tasks: Option<Value>,
    phases: Option<Vec<String>>,
    severity: Option<Severity>,
    source: Option<String>,
    #[allow(dead_code)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SocialFile {
    structure: String,
    service_task: String,
    social_services: Vec<String>,
    source: Option<String>,
    #[allow(dead_code)]
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupFile {
    structure: String,
    group: String,
    #[allow(dead_code)]
    source: Option<String>,
    #[allow(dead_code)]
    note: Option<String>,
}

impl Layer {
    fn parse(text: &str, origin: &str) -> Result<Self, BindingsError> {
        let file: LayerFile = serde_json::from_str(text).map_err(|e| BindingsError::Json {
            origin: origin.to_owned(),
            line: e.line(),
            column: e.column(),
            message: json_message(&e),
        })?;
        let national = file.layer == LayerKind::National;
        let organisation = match (national, file.organisation) {
            (true, Some(_)) => {
                return Err(invalid(
                    origin,
                    "/organisation",
                    "the national layer names no organisation",
                ));
            }
            (true, None) => None,
            (false, Some(name)) if !name.trim().is_empty() => Some(name),
            (false, _) => {
                return Err(invalid(
                    origin,
                    "/organisation",
                    "an organisation layer needs a non-empty organisation name",
                ));
            }
        };
        let default_source = file.source.unwrap_or_else(|| match &organisation {
            Some(name) => format!("organisation layer {name} ({origin})"),
            None => format!("national layer ({origin})"),
        });
        let source_of = |source: Option<String>| source.unwrap_or_else(|| default_source.clone());
        let default_hard = !national;

        let mut layer = Layer {
            organisation,
            origin: origin.to_owned(),
            subjects: Vec::new(),
            families: Vec::new(),
            structures: Vec::new(),
            social_services: Vec::new(),
            document_groups: Vec::new(),
            severities: Vec::new(),
        };

        for (i, entry) in file.subjects.into_iter().enumerate() {
            let pointer = format!("/subjects/{i}");
            let prefix = normalise(&entry.prefix);
            if prefix.is_empty() {
                return Err(invalid(
                    origin,
                    &format!("{pointer}/prefix"),
                    "empty prefix",
                ));
            }
            if layer.subjects.iter().any(|r| r.prefix == prefix) {
                return Err(invalid(
                    origin,
                    &format!("{pointer}/prefix"),
                    &format!("duplicate subject prefix {prefix:?}"),
                ));
            }
            let tasks = parse_tasks(
                &entry.service_tasks,
                origin,
                &format!("{pointer}/service_tasks"),
            )?;
            layer.subjects.push(SubjectRule {
                prefix,
                tasks,
                source: source_of(entry.source),
                pointer,
            });
        }

        for (i, entry) in file.families.into_iter().enumerate() {
            let pointer = format!("/families/{i}");
            let family = normalise(&entry.family);
            if family.is_empty() {
                return Err(invalid(
                    origin,
                    &format!("{pointer}/family"),
                    "empty family",
                ));
            }
            if layer.families.iter().any(|r| r.family == family) {
                return Err(invalid(
                    origin,
                    &format!("{pointer}/family"),
                    &format!("duplicate family {family:?}"),
                ));
            }
            check_codes(&entry.phases, origin, &format!("{pointer}/phases"))?;
            if national && entry.severity == Some(Severity::Error) {
                return Err(national_hard_phase(origin, &pointer));
            }
            layer.families.push(FamilyRule {
                family,
                phases: entry.phases,
                hard: entry
                    .severity
                    .map_or(default_hard, |s| s == Severity::Error),
                source: source_of(entry.source),
                pointer,
            });
        }

        for (i, entry) in file.structures.into_iter().enumerate() {
            let pointer = format!("/structures/{i}");
            let key = parse_key(&entry.structure, origin, &format!("{pointer}/structure"))?;
            if layer.structures.iter().any(|r| r.key == key) {
                return Err(invalid(
                    origin,
                    &format!("{pointer}/structure"),
                    &format!("duplicate structure {key}"),
                ));
            }
            let tasks = entry
                .service_tasks
                .as_ref()
                .map(|v| parse_tasks(v, origin, &format!("{pointer}/service_tasks")))
                .transpose()?;
            if let Some(phases) = &entry.phases {
                check_codes(phases, origin, &format!("{pointer}/phases"))?;
            }
            if tasks.is_none() && entry.phases.is_none() {
                return Err(invalid(
                    origin,
                    &pointer,
                    "a structure binding needs service_tasks or phases",
                ));
            }
            if national && entry.severity == Some(Severity::Error) {
                return Err(national_hard_phase(origin, &pointer));
            }
            if entry.severity.is_some() && entry.phases.is_none() {
                return Err(invalid(
                    origin,
                    &format!("{pointer}/severity"),
                    "severity applies to phases, and there are none",
                ));
            }
            let hard = entry
                .severity
                .map_or(default_hard, |s| s == Severity::Error);
            layer.structures.push(StructureRule {
                key,
                tasks,
                phases: entry.phases.map(|p| (p, hard)),
                source: source_of(entry.source),
                pointer,
            });
        }

        for (i, entry) in file.social_services.into_iter().enumerate() {
            let pointer = format!("/social_services/{i}");
            let key = parse_key(&entry.structure, origin, &format!("{pointer}/structure"))?;
            check_codes(
                std::slice::from_ref(&entry.service_task),
                origin,
                &format!("{pointer}/service_task"),
            )?;
            check_codes(
                &entry.social_services,
                origin,
                &format!("{pointer}/social_services"),
            )?;
            if layer
                .social_services
                .iter()
                .any(|r| r.key == key && r.task == entry.service_task)
            {
                return Err(invalid(
                    origin,
                    &pointer,
                    &format!(
                        "duplicate rule for structure {key} and service task {}",
                        entry.service_task
                    ),
                ));
            }
            layer.social_services.push(SocialRule {
                key,
                task: entry.service_task,
                services: entry.social_services,
                source: source_of(entry.source),
                pointer,
            });
        }

        if !national && !file.document_groups.is_empty() {
            return Err(invalid(
                origin,
                "/document_groups",
                "document groups are national data: an organisation layer cannot set them",
            ));
        }
        for (i, entry) in file.document_groups.into_iter().enumerate() {
            let pointer = format!("/document_groups/{i}");
            let key = match entry.structure.as_str() {
                "*" => None,
                raw => Some(parse_key(raw, origin, &format!("{pointer}/structure"))?),
            };
            check_codes(
                std::slice::from_ref(&entry.group),
                origin,
                &format!("{pointer}/group"),
            )?;
            if layer.document_groups.iter().any(|g| g.key == key) {
                return Err(invalid(
                    origin,
                    &format!("{pointer}/structure"),
                    &format!("duplicate structure {}", entry.structure),
                ));
            }
            layer.document_groups.push(GroupRule {
                key,
                group: entry.group,
            });
        }
        if national && !file.severities.is_empty() {
            return Err(invalid(
                origin,
                "/severities",
                "the national layer gives the catalogue's severities: only an organisation \
                 layer re-grades rules",
            ));
        }
        for (i, entry) in file.severities.into_iter().enumerate() {
            let pointer = format!("/severities/{i}");
            if crate::catalogue::get(&entry.rule).is_none() {
                return Err(invalid(
                    origin,
                    &format!("{pointer}/rule"),
                    &format!("unknown rule {:?} (`rakenne rules` lists them)", entry.rule),
                ));
            }
            if layer.severities.iter().any(|r| r.rule == entry.rule) {
                return Err(invalid(
                    origin,
                    &format!("{pointer}/rule"),
                    &format!("duplicate rule {:?}", entry.rule),
                ));
            }
            layer.severities.push(Regrade {
                rule: entry.rule,
                severity: match entry.severity {
                    RegradeSeverity::Error => FindingSeverity::Error,
                    RegradeSeverity::Warning => FindingSeverity::Warning,
                    RegradeSeverity::Info => FindingSeverity::Info,
                },
                organisation: layer.organisation.clone().unwrap_or_default(),
                reason: entry.reason.unwrap_or_default(),
            });
        }
        if national && !layer.document_groups.iter().any(|g| g.key.is_none()) {
            return Err(invalid(
                origin,
                "/document_groups",
                "the national layer needs a \"*\" fallback document group",
            ));
        }
        Ok(layer)
    }
}

/// `"any"` or a non-empty list of codes.
fn parse_tasks(value: &Value, origin: &str, pointer: &str) -> Result<Tasks, BindingsError> {
    match value {
        Value::String(s) if s == "any" => Ok(Tasks::Any),
        Value::Array(items) => {
            let mut codes = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let Value::String(code) = item else {
                    return Err(invalid(
                        origin,
                        &format!("{pointer}/{i}"),
                        "expected a code as a string",
                    ));
                };
                codes.push(code.clone());
            }
            check_codes(&codes, origin, pointer)?;
            Ok(Tasks::OneOf(codes))
        }
        _ => Err(invalid(
            origin,
            pointer,
            "expected \"any\" or a list of service task codes",
        )),
    }
}

/// A non-empty list of non-empty, unique codes without white space.
fn check_codes(codes: &[String], origin: &str, pointer: &str) -> Result<(), BindingsError> {
    if codes.is_empty() {
        return Err(invalid(origin, pointer, "empty list of codes"));
    }
    for (i, code) in codes.iter().enumerate() {
        if code.is_empty() || code.chars().any(char::is_whitespace) {
            return Err(invalid(
                origin,
                &format!("{pointer}/{i}"),
                &format!("invalid code {code:?}"),
            ));
        }
        if codes[..i].contains(code) {
            return Err(invalid(
                origin,
                &format!("{pointer}/{i}"),
                &format!("duplicate code {code:?}"),
            ));
        }
    }
    Ok(())
}

/// A structure key: a specific type code (read under 1.2.246.537.6.1506), a type OID or
/// a full structure OID under 1.2.246.537.6.1505 or 1.2.246.537.6.1506.
fn parse_key(raw: &str, origin: &str, pointer: &str) -> Result<String, BindingsError> {
    let bare = strip_urn_oid(raw);
    if is_arcs(bare) && !bare.contains('.') {
        return Ok(format!("{DOCUMENT_TYPE_ROOT}.{bare}"));
    }
    let under_root = [DOCUMENT_TYPE_ROOT, CASE_DOCUMENT_ROOT].iter().any(|root| {
        bare.strip_prefix(root)
            .and_then(|rest| rest.strip_prefix('.'))
            .is_some_and(is_arcs)
    });
    if !under_root {
        return Err(invalid(
            origin,
            pointer,
            &format!(
                "structure {raw:?} is neither a type code nor a structure oid under \
                 {DOCUMENT_TYPE_ROOT} or {CASE_DOCUMENT_ROOT}"
            ),
        ));
    }
    Ok(bare.to_owned())
}

/// Whether a structure key covers `oid` (equal, or a prefix ending at an arc boundary).
fn key_matches(key: &str, oid: &str) -> bool {
    oid.strip_prefix(key)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

fn keys_overlap(a: &str, b: &str) -> bool {
    key_matches(a, b) || key_matches(b, a)
}

/// Collapses runs of white space to one space and trims the ends.
fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The national layer's phase bindings were inferred from example documents: hints only.
fn national_hard_phase(origin: &str, pointer: &str) -> BindingsError {
    invalid(
        origin,
        &format!("{pointer}/severity"),
        "the national layer's phases are inferred from example documents, so they can only \
         be hints (\"warning\"); an organisation layer may make them rules",
    )
}

fn invalid(origin: &str, pointer: &str, message: &str) -> BindingsError {
    BindingsError::Invalid {
        origin: origin.to_owned(),
        pointer: pointer.to_owned(),
        message: message.to_owned(),
    }
}

fn read(path: &Path) -> Result<(String, String), BindingsError> {
    let origin = path.display().to_string();
    match fs::read_to_string(path) {
        Ok(text) => Ok((text, origin)),
        Err(source) => Err(BindingsError::Io {
            path: origin,
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LS_PLAN: &str = "1.2.246.537.6.1506.15002.2023.9.8";
    const MERKINTA: &str = "1.2.246.537.6.1506.19008.2024.12.19";
    const COMMON: &str = "Sosiaalihuollon  palvelutehtäville yhteiset asiakasasiakirjat";

    fn one_of(codes: &[&str]) -> Vec<String> {
        codes.iter().map(|c| c.to_string()).collect()
    }

    fn codes(binding: &ServiceTaskBinding) -> Vec<String> {
        match binding {
            ServiceTaskBinding::OneOf { codes, .. } => codes.clone(),
            other => panic!("expected OneOf, got {other:?}"),
        }
    }

    fn org(text: &str) -> OrganisationLayer {
        OrganisationLayer::from_json_str(text, "org.json").unwrap()
    }

    #[test]
    fn national_subject_rules() {
        let b = Bindings::national_embedded();
        let cases = [
            ("Lastensuojelun yhteiset asiakasasiakirjat", "10"),
            ("Lastensuojelun sijaishuollon asiakasasiakirjat", "10"),
            ("Lapsiperheiden palvelujen asiakasasiakirjat", "24"),
            ("Vammaispalvelujen asiakasasiakirjat", "20"),
            (
                "Päihde- ja riippuvuustyön erityisten palvelujen asiakasasiakirjat",
                "15",
            ),
        ];
        for (subject, task) in cases {
            let binding = b.allowed_service_tasks(Some(subject), LS_PLAN);
            assert_eq!(codes(&binding), [task], "{subject}");
            let ServiceTaskBinding::OneOf { source, .. } = binding else {
                unreachable!()
            };
            assert!(
                source.starts_with("THL Sosmeta: documentSubject"),
                "{source}"
            );
        }
        // The real schemas write a double space; it still matches.
        assert_eq!(
            b.allowed_service_tasks(Some(COMMON), MERKINTA),
            ServiceTaskBinding::Any
        );
        assert_eq!(
            b.allowed_service_tasks(Some("Iäkkäiden palvelujen asiakasasiakirjat"), LS_PLAN),
            ServiceTaskBinding::NotBound
        );
        assert_eq!(
            b.allowed_service_tasks(None, "1.2.246.537.6.1506.1021.2023.1.1"),
            ServiceTaskBinding::NotBound
        );
    }

    #[test]
    fn national_phase_hint() {
        let b = Bindings::national_embedded();
        let PhaseBinding::OneOf {
            phases,
            hard,
            source,
        } = b.expected_phases(Some("Suunnitelma"), LS_PLAN)
        else {
            panic!("expected a phase binding");
        };
        assert_eq!(phases, ["3"]);
        assert!(!hard, "the national phase is a hint");
        assert!(
            source.starts_with("inferred from Kanta test documents"),
            "{source}"
        );
        assert_eq!(
            b.expected_phases(Some("Päätös"), LS_PLAN),
            PhaseBinding::NotBound
        );
        assert_eq!(b.expected_phases(None, LS_PLAN), PhaseBinding::NotBound);
    }

    #[test]
    fn only_structures_with_a_social_service_rule_are_restricted() {
        let bindings = Bindings::national_embedded();
        assert!(bindings.restricts_social_services("1.2.246.537.6.1506.19008.2024.1.1"));
        assert!(bindings.restricts_social_services("urn:oid:1.2.246.537.6.1506.19008.2024.1.1"));
        assert!(!bindings.restricts_social_services("1.2.246.537.6.1506.15007.2024.11.28"));
        assert!(!bindings.restricts_social_services("1.2.246.537.6.1506.190080.2024.1.1"));
    }

    #[test]
    fn national_document_groups() {
        let b = Bindings::national_embedded();
        assert_eq!(b.document_group_for("1.2.246.537.6.1505.1.2023.6.1"), "1");
        assert_eq!(
            b.document_group_for("urn:oid:1.2.246.537.6.1505.1.2023.6.1"),
            "1"
        );
        assert_eq!(b.document_group_for("1.2.246.537.6.1505.2.2022.6.28"), "5");
        assert_eq!(
            b.document_group_for("1.2.246.537.6.1506.15007.2024.11.28"),
            "5"
        );
        // 1505.10 is not under 1505.1.
        assert_eq!(b.document_group_for("1.2.246.537.6.1505.10.2030.1.1"), "5");
    }

    #[test]
    fn national_social_services() {
        let b = Bindings::national_embedded();
        let (services, source) = b.allowed_social_services(MERKINTA, "10").unwrap();
        assert_eq!(services, ["2", "24", "31"]);
        assert!(source.contains("19008"));
        let (services, _) = b.allowed_social_services(MERKINTA, "20").unwrap();
        assert_eq!(services, ["24", "37", "55", "85", "93", "94"]);
        assert_eq!(b.allowed_social_services(MERKINTA, "24"), None);
        assert_eq!(b.allowed_social_services(LS_PLAN, "10"), None);
        assert_eq!(
            b.allowed_social_services("1.2.246.537.6.1506.190080.2024.1.1", "10"),
            None
        );
    }

    #[test]
    fn example_organisation_layer() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/schemas/bindings/example-organisation.json"
        );
        let b = Bindings::national_embedded().with_layer_file(path).unwrap();
        assert_eq!(b.organisations().collect::<Vec<_>>(), ["example"]);
        // Adds a subject the national layer does not bind.
        assert_eq!(
            codes(&b.allowed_service_tasks(
                Some("Perhetyön asiakasasiakirjat"),
                "1.2.246.537.6.1506.15014.2023.9.27"
            )),
            ["24"]
        );
        // Within a layer, a structure binding wins over a subject binding.
        assert_eq!(
            codes(&b.allowed_service_tasks(Some("Perhetyön asiakasasiakirjat"), LS_PLAN)),
            ["10"]
        );
        // Narrows the national "any" for 19008.
        assert_eq!(
            codes(&b.allowed_service_tasks(Some(COMMON), MERKINTA)),
            ["10", "20"]
        );
        // Structure binding, hard phase.
        let PhaseBinding::OneOf { phases, hard, .. } =
            b.expected_phases(Some("Suunnitelma"), LS_PLAN)
        else {
            panic!("expected a phase binding");
        };
        assert_eq!((phases, hard), (one_of(&["3"]), true));
        let (services, _) = b.allowed_social_services(MERKINTA, "10").unwrap();
        assert_eq!(services, ["24", "31"]);
        let (services, _) = b.allowed_social_services(MERKINTA, "20").unwrap();
        assert_eq!(services.len(), 6);
        b.check_structures([StructureInfo {
            oid: LS_PLAN,
            family: Some("Suunnitelma"),
            subject: Some("Lastensuojelun yhteiset asiakasasiakirjat"),
        }])
        .unwrap();
    }

    #[test]
    fn narrowing_a_subject() {
        let layer = org(r#"{"layer": "organisation", "organisation": "t",
            "subjects": [{"prefix": "Sosiaalihuollon palvelutehtäville yhteiset",
                          "service_tasks": ["10", "24"], "source": "org rule"}]}"#);
        let b = Bindings::national_embedded().with_layer(layer).unwrap();
        assert_eq!(
            b.allowed_service_tasks(Some(COMMON), MERKINTA),
            ServiceTaskBinding::OneOf {
                codes: one_of(&["10", "24"]),
                source: "org rule".into()
            }
        );
    }

    #[test]
    fn widening_is_refused() {
        let national = Bindings::national_embedded;
        let cases = [
            (
                r#"{"layer": "organisation", "organisation": "t",
                    "subjects": [{"prefix": "Lastensuojelun", "service_tasks": ["10", "24"]}]}"#,
                "org.json: /subjects/0/service_tasks: widens the layer below: subject \
                 \"Lastensuojelun\": service task(s) 24 where only 10 are allowed",
            ),
            (
                r#"{"layer": "organisation", "organisation": "t",
                    "subjects": [{"prefix": "Lastensuojelun sijaishuollon", "service_tasks": "any"}]}"#,
                "org.json: /subjects/0/service_tasks: widens the layer below: subject \
                 \"Lastensuojelun sijaishuollon\": \"any\" service task",
            ),
            (
                r#"{"layer": "organisation", "organisation": "t",
                    "subjects": [{"prefix": "La", "service_tasks": ["10"]}]}"#,
                "org.json: /subjects/0/service_tasks: widens the layer below: subject \"La\": \
                 service task(s) 10 where only 24 are allowed",
            ),
            (
                r#"{"layer": "organisation", "organisation": "t",
                    "social_services": [{"structure": "1.2.246.537.6.1506.19008",
                        "service_task": "10", "social_services": ["2", "46"]}]}"#,
                "org.json: /social_services/0/social_services: widens the layer below: \
                 structure 1.2.246.537.6.1506.19008 with service task 10: social service(s) 46",
            ),
        ];
        for (text, expected) in cases {
            let err = national().with_layer(org(text)).unwrap_err();
            assert!(matches!(err, BindingsError::Widening { .. }), "{err}");
            assert!(err.to_string().starts_with(expected), "{err}");
        }
        // A structure binding is checked against the subject the catalogue knows.
        let layer = org(r#"{"layer": "organisation", "organisation": "t",
            "structures": [{"structure": "15002", "service_tasks": ["10", "20"]}]}"#);
        let b = national().with_layer(layer).unwrap();
        let info = StructureInfo {
            oid: LS_PLAN,
            family: Some("Suunnitelma"),
            subject: Some("Lastensuojelun yhteiset asiakasasiakirjat"),
        };
        let err = b.check_structures([info]).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "org.json: /structures/0/service_tasks: widens the layer below: structure \
                 {LS_PLAN}: service task(s) 20 where only 10 are allowed (THL Sosmeta: documentSubject \
                 \"Lastensuojelun ...\" of the structure, read against classification \
                 1.2.246.537.6.1221 Sosiaalihuolto - Palvelutehtävä (10 Lastensuojelu))"
            )
        );
        // ... and never widens at query time either.
        let binding = b.allowed_service_tasks(info.subject, LS_PLAN);
        assert_eq!(codes(&binding), ["10"]);
    }

    #[test]
    fn hard_phase_rules_only_narrow() {
        let layer = org(r#"{"layer": "organisation", "organisation": "a",
            "families": [{"family": "Suunnitelma", "phases": ["3"]}]}"#);
        let b = Bindings::national_embedded().with_layer(layer).unwrap();
        let layer = org(r#"{"layer": "organisation", "organisation": "b",
            "families": [{"family": "Suunnitelma", "phases": ["3", "4"]}]}"#);
        let err = b.clone().with_layer(layer).unwrap_err();
        assert!(err.to_string().contains("phase(s) 4 where only 3"), "{err}");
        // Over the national hint, an organisation may expect another phase.
        let layer = org(r#"{"layer": "organisation", "organisation": "c",
            "structures": [{"structure": "15002", "phases": ["4"], "severity": "warning"}]}"#);
        let b = Bindings::national_embedded().with_layer(layer).unwrap();
        let PhaseBinding::OneOf { phases, hard, .. } =
            b.expected_phases(Some("Suunnitelma"), LS_PLAN)
        else {
            panic!("expected a phase binding");
        };
        assert_eq!((phases, hard), (one_of(&["4"]), false));
    }

    #[test]
    fn loading_errors() {
        let cases = [
            (
                r#"{"layer": "organisation", "organisation": "t", "document_groups": [
                    {"structure": "*", "group": "1"}]}"#,
                "org.json: /document_groups: document groups are national data",
            ),
            (
                r#"{"layer": "organisation", "organisation": "t", "structures": [
                    {"structure": "1.2.246.10.1234567.10.0", "service_tasks": ["10"]}]}"#,
                "org.json: /structures/0/structure: structure \"1.2.246.10.1234567.10.0\" is \
                 neither",
            ),
            (
                r#"{"layer": "organisation", "organisation": "t", "subjects": [
                    {"prefix": "X", "service_tasks": []}]}"#,
                "org.json: /subjects/0/service_tasks: empty list of codes",
            ),
            (
                r#"{"layer": "organisation", "organisation": "t", "subjects": [
                    {"prefix": "X", "service_tasks": "all"}]}"#,
                "org.json: /subjects/0/service_tasks: expected \"any\"",
            ),
            (
                r#"{"layer": "organisation"}"#,
                "org.json: /organisation: an organisation layer needs",
            ),
            (
                r#"{"layer": "national", "document_groups": [{"structure": "*", "group": "5"}]}"#,
                "org.json: /layer: expected an organisation layer",
            ),
            (
                "{\"layer\": \"organisation\",\n \"organisation\": \"t\",\n \"subject\": []}",
                "org.json:3:",
            ),
        ];
        for (text, expected) in cases {
            let err = OrganisationLayer::from_json_str(text, "org.json").unwrap_err();
            assert!(err.to_string().starts_with(expected), "{err}");
        }
        let err =
            Bindings::national_from_json_str(r#"{"layer": "national"}"#, "n.json").unwrap_err();
        assert!(err.to_string().contains("fallback"), "{err}");
        let err = Bindings::load_file("/nonexistent/rakenne/national.json").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot read /nonexistent/rakenne/national.json")
        );
    }

    #[test]
    fn load_national_file_round_trip() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/schemas/bindings/national.json"
        );
        assert_eq!(
            Bindings::load_file(path).unwrap().layers[0].subjects.len(),
            5
        );
        assert_eq!(
            Bindings::load_file(path).unwrap().layers[0].origin,
            path.to_string()
        );
    }
}
