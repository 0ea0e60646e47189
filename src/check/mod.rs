//! The rules a document is judged by, and the verdict.
//!
//! [`Engine::check`] takes a document (a Kanta CDA `ClinicalDocument` or the structured
//! content JSON alone), optionally its archiving frame, and answers with a [`Report`]. A
//! document that breaks rules, or cannot be read at all, is a normal report; only a bad
//! request (an empty document, a structure the catalog lacks named by the caller) is an
//! error.

pub mod binding;
pub mod content;
pub mod frame;
pub mod grade;
pub mod header;
pub mod nearest;
pub mod report;
pub mod sanitize;

use std::sync::Arc;

use serde_json::Value;

use crate::definitions::structure::Structure;
use crate::definitions::{Definitions, Lang};
use crate::document::cda::{self, BodyLimits, HL7};
use crate::document::json::{self, JsonLimits};
use crate::document::xml::{self, XmlLimits};
use crate::findings::{Findings, finding};
use crate::msg;
use report::{ChosenBy, DocumentFacts, Report, Severity, StructureRef, Verdict};

/// What the document is, as the caller says or as its first byte shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Format {
    #[default]
    Auto,
    Cda,
    Json,
}

/// Limits on what one check may take; defaults suit documents of tens of megabytes.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest document accepted, in bytes.
    pub max_document_bytes: usize,
    pub xml: XmlLimits,
    pub json: JsonLimits,
    /// Findings returned per document; the rest are counted.
    pub max_findings: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_document_bytes: 16 * 1024 * 1024,
            xml: XmlLimits::default(),
            json: JsonLimits::default(),
            max_findings: 1000,
        }
    }
}

/// What the caller asks of one check.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    pub format: Format,
    /// Check against this structure OID instead of the declared or inferred one.
    pub structure: Option<String>,
    /// The service task (functionCode) when the document does not carry one.
    pub service_task: Option<String>,
    /// The process phase (serviceProcess) when the document does not carry one.
    pub phase: Option<String>,
    pub lang: Lang,
    /// Kanta's test environment: a henkilötunnus outside 900-999 is an ERROR.
    pub test_environment: bool,
    /// Build the field table (and coverage).
    pub include_fields: bool,
}

/// A request the engine cannot answer with a report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("the document is empty")]
    EmptyDocument,
    #[error("the document is {size} bytes, over the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
    #[error("the frame is {size} bytes, over the limit of {limit}")]
    FrameTooLarge { size: usize, limit: usize },
    #[error("structure {0} is not in the catalog")]
    UnknownStructure(String),
}

/// The conformance engine over one set of definitions.
#[derive(Clone)]
pub struct Engine {
    definitions: Arc<Definitions>,
    limits: Limits,
    /// Grades findings as they are kept, under the definitions' re-gradings: made once
    /// here, not per document.
    grader: crate::findings::Grader,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("definitions", &self.definitions)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Engine {
    pub fn new(definitions: Arc<Definitions>) -> Self {
        Self::with_limits(definitions, Limits::default())
    }

    pub fn with_limits(definitions: Arc<Definitions>, limits: Limits) -> Self {
        let grader = grade::grader(definitions.bindings.regrades().clone());
        Self {
            definitions,
            limits,
            grader,
        }
    }

    pub fn definitions(&self) -> &Arc<Definitions> {
        &self.definitions
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Checks one document (and its frame, when given).
    pub fn check(
        &self,
        document: &[u8],
        frame: Option<&[u8]>,
        options: &CheckOptions,
    ) -> Result<Report, RequestError> {
        if document.iter().all(u8::is_ascii_whitespace) {
            return Err(RequestError::EmptyDocument);
        }
        let limit = self.limits.max_document_bytes;
        if document.len() > limit {
            return Err(RequestError::TooLarge {
                size: document.len(),
                limit,
            });
        }
        if let Some(frame) = frame
            && frame.len() > limit
        {
            return Err(RequestError::FrameTooLarge {
                size: frame.len(),
                limit,
            });
        }
        let forced = match &options.structure {
            Some(oid) => Some(
                self.definitions
                    .catalog
                    .get(oid)
                    .ok_or_else(|| RequestError::UnknownStructure(oid.clone()))?,
            ),
            None => None,
        };
        let mut out =
            Findings::new(options.lang, self.limits.max_findings).with_grader(self.grader.clone());
        let format = match options.format {
            Format::Auto => sniff(document),
            format => format,
        };
        let report = match format {
            Format::Json => self.check_json(document, forced, options, &mut out),
            _ => self.check_cda(document, frame, forced, options, &mut out),
        };
        let mut report = report.finish(out);
        // The one place every report passes: no personal value, no unbounded echo.
        sanitize::sanitize(&mut report, self.limits.max_findings);
        Ok(report)
    }

    fn check_json(
        &self,
        document: &[u8],
        forced: Option<&Arc<Structure>>,
        options: &CheckOptions,
        out: &mut Findings,
    ) -> Draft {
        let mut draft = Draft::new("json");
        draft.facts.service_task = options.service_task.clone();
        draft.facts.phase = options.phase.clone();
        let content = match json::parse(document, &self.limits.json) {
            Ok(content) => content,
            Err(error) => {
                let lang = out.lang;
                out.push(finding(
                    error.kind.rule(),
                    Severity::Error,
                    msg!(
                        lang,
                        "sisältö ei ole luettavaa JSONia: {}",
                        "innehållet är inte läsbar JSON: {}",
                        "the content is not readable JSON: {}",
                        error
                    ),
                ));
                // JSON findings carry the position in the JSON text.
                if let Some(last) = out.last_mut() {
                    last.line = Some(error.line);
                    last.column = Some(error.column);
                }
                draft.verdict = Some(Verdict::Unreadable);
                return draft;
            }
        };
        let chosen = match forced {
            Some(structure) => Some((structure.clone(), ChosenBy::Caller)),
            None => self.by_root_key(&content),
        };
        self.judge_content(&content, chosen, None, options, out, &mut draft);
        if let Some((structure, _)) = &draft.structure_arc {
            binding::check_bindings(
                &self.definitions,
                structure,
                &binding::BindingInput {
                    service_task: options.service_task.as_deref(),
                    phase: options.phase.as_deref(),
                    document_group: None,
                    content: Some(&content),
                    header: None,
                },
                out,
            );
        }
        draft
    }

    fn check_cda(
        &self,
        document: &[u8],
        frame: Option<&[u8]>,
        forced: Option<&Arc<Structure>>,
        options: &CheckOptions,
        out: &mut Findings,
    ) -> Draft {
        let lang = out.lang;
        let mut draft = Draft::new("cda");
        let doc = match xml::parse(document, &self.limits.xml) {
            Ok(doc) => doc,
            Err(error) => {
                let mut f = finding(
                    error.kind.rule_id(),
                    Severity::Error,
                    msg!(
                        lang,
                        "asiakirja ei ole luettavaa XML:ää: {}",
                        "dokumentet är inte läsbar XML: {}",
                        "the document is not readable XML: {}",
                        error
                    ),
                );
                f.line = error.line();
                f.column = error.column();
                out.push(f);
                draft.verdict = Some(Verdict::Unreadable);
                return draft;
            }
        };
        let root = doc.root();
        if !root.is(Some(HL7), "ClinicalDocument") {
            out.push(
                finding(
                    "xml.not-cda",
                    Severity::Error,
                    msg!(
                        lang,
                        "juurielementin on oltava ClinicalDocument nimiavaruudessa urn:hl7-org:v3, ei {}",
                        "rotelementet ska vara ClinicalDocument i namnrymden urn:hl7-org:v3, inte {}",
                        "the root element must be ClinicalDocument in namespace urn:hl7-org:v3, not {}",
                        root.qualified_name()
                    ),
                )
                .at_node(root),
            );
            draft.verdict = Some(Verdict::Unreadable);
            return draft;
        }
        // A health care CDA is not a social welfare document: one finding that says so,
        // not a list of every social welfare rule it does not meet.
        if header::is_health_document(root) {
            out.push(
                finding(
                    "header.health-document",
                    Severity::Error,
                    msg!(
                        lang,
                        "tämä on terveydenhuollon CDA-asiakirja (hl7fi:localHeader tai structuredBody), ei sosiaalihuollon asiakasasiakirja (ep2:localSocialHeader ja nonXMLBody); sitä ei tarkisteta sosiaalihuollon rakenteita vasten",
                        "detta är ett CDA-dokument inom hälso- och sjukvården (hl7fi:localHeader eller structuredBody), inte ett klientdokument inom socialvården (ep2:localSocialHeader och nonXMLBody); det kontrolleras inte mot socialvårdens strukturer",
                        "this is a health care CDA (hl7fi:localHeader or structuredBody), not a social welfare client document (ep2:localSocialHeader and nonXMLBody); it is not checked against the social welfare structures"
                    ),
                )
                .at_node(root),
            );
            draft.verdict = Some(Verdict::OwnTemplate);
            return draft;
        }
        let header = header::check_header(
            &doc,
            &self.definitions,
            &header::HeaderOptions {
                test_environment: options.test_environment,
            },
            out,
        );
        draft.facts.service_task = header
            .service_task
            .clone()
            .or_else(|| options.service_task.clone());
        draft.facts.phase = header.phase.clone().or_else(|| options.phase.clone());
        draft.facts.custodian = header.custodian.clone();

        if let Some(frame) = frame {
            frame::check_frame(frame, &header, &self.definitions, &self.limits.xml, out);
        }

        let body_limits = BodyLimits {
            max_decoded: self.limits.max_document_bytes,
            xml: self.limits.xml,
            json: self.limits.json,
        };
        let Some(body) = cda::read_body(&doc, &body_limits, out) else {
            draft.verdict = Some(Verdict::Unreadable);
            return draft;
        };
        header::check_body_header(&doc, &body, &header, out);

        let chosen = match forced {
            Some(structure) => Some((structure.clone(), ChosenBy::Caller)),
            None => self.by_declaration(&header, &body.content, out),
        };
        self.judge_content(
            &body.content,
            chosen,
            Some(&header),
            options,
            out,
            &mut draft,
        );
        if let Some((structure, _)) = &draft.structure_arc {
            binding::check_bindings(
                &self.definitions,
                structure,
                &binding::BindingInput {
                    service_task: draft.facts.service_task.as_deref(),
                    phase: draft.facts.phase.as_deref(),
                    document_group: header.document_group.as_deref(),
                    content: Some(&body.content),
                    header: Some(&header),
                },
                out,
            );
        }
        draft
    }

    /// The structure the CDA header declares, or failing that the content's root key.
    fn by_declaration(
        &self,
        header: &header::HeaderFacts,
        content: &Value,
        out: &mut Findings,
    ) -> Option<(Arc<Structure>, ChosenBy)> {
        let lang = out.lang;
        let declared = header.content_specification.as_deref()?;
        if let Some(structure) = self.definitions.catalog.get(declared) {
            return Some((structure.clone(), ChosenBy::Declared));
        }
        let (structure, _) = self.by_root_key(content)?;
        // An unknown version of a national structure: tied to it, but not conformant.
        out.push(finding(
            "header.structure-version-unknown",
            Severity::Error,
            msg!(
                lang,
                "contentSpecificationId {} ei ole luettelossa; sisältö tarkistettiin rakenteen {} uusinta versiota {} vasten",
                "contentSpecificationId {} finns inte i katalogen; innehållet kontrollerades mot den senaste versionen {} av strukturen {}",
                "contentSpecificationId {} is not in the catalog; the content was checked against the newest version of {}, {}",
                declared,
                structure.root_key,
                structure.oid()
            ),
        ));
        Some((structure, ChosenBy::RootKey))
    }

    /// The newest national structure whose root key the content has.
    fn by_root_key(&self, content: &Value) -> Option<(Arc<Structure>, ChosenBy)> {
        let object = content.as_object()?;
        object
            .keys()
            .find_map(|key| self.definitions.catalog.latest(key))
            .map(|s| (s.clone(), ChosenBy::RootKey))
    }

    fn judge_content(
        &self,
        content: &Value,
        chosen: Option<(Arc<Structure>, ChosenBy)>,
        header: Option<&header::HeaderFacts>,
        options: &CheckOptions,
        out: &mut Findings,
        draft: &mut Draft,
    ) {
        let Some((structure, chosen_by)) = chosen else {
            let lang = out.lang;
            out.push(
                finding(
                    "content.structure-unknown",
                    Severity::Info,
                    msg!(
                        lang,
                        "sisältöä ei voi liittää mihinkään kansalliseen rakenteeseen",
                        "innehållet kan inte knytas till någon nationell struktur",
                        "the content cannot be tied to any national structure"
                    ),
                )
                .at_pointer(""),
            );
            draft.nearest = nearest::nearest(&self.definitions.catalog, content, 3);
            draft.verdict = Some(Verdict::OwnTemplate);
            return;
        };
        let result = content::check_content(
            &self.definitions,
            &structure,
            content,
            &content::ContentOptions {
                test_environment: options.test_environment,
                include_fields: options.include_fields,
                header_hetu: header.and_then(|h| h.record_target_hetu.as_deref()),
                header_hetu_at: header.and_then(|h| h.record_target_at.as_ref()),
                header_birth_date: header.and_then(|h| h.birth_date),
            },
            out,
        );
        draft.fields = result.fields;
        draft.coverage = result.coverage;
        draft.structure = Some(StructureRef {
            oid: structure.oid().to_string(),
            name: structure.name().clone(),
            root_key: structure.root_key.clone(),
            family: structure.meta.family.clone(),
            chosen_by,
        });
        draft.structure_arc = Some((structure, chosen_by));
    }
}

/// The report on an empty document (no bytes, or only whitespace): it cannot be read, so
/// it is UNREADABLE with one ERROR, `json.empty` when the caller knows it for JSON (by its
/// file name), else `xml.empty`. A set of documents counts it like any unreadable one.
pub fn empty_report(json: bool, lang: Lang) -> Report {
    let mut out = Findings::new(lang, 1);
    let (rule, format) = if json {
        ("json.empty", "json")
    } else {
        ("xml.empty", "cda")
    };
    out.push(finding(
        rule,
        Severity::Error,
        msg!(
            lang,
            "asiakirja on tyhjä",
            "dokumentet är tomt",
            "the document is empty"
        ),
    ));
    let mut draft = Draft::new(format);
    draft.verdict = Some(Verdict::Unreadable);
    draft.finish(out)
}

/// A report under construction.
struct Draft {
    verdict: Option<Verdict>,
    structure: Option<StructureRef>,
    structure_arc: Option<(Arc<Structure>, ChosenBy)>,
    fields: Vec<report::FieldRow>,
    coverage: Option<report::Coverage>,
    nearest: Vec<report::Nearest>,
    facts: DocumentFacts,
}

impl Draft {
    fn new(format: &'static str) -> Self {
        Self {
            verdict: None,
            structure: None,
            structure_arc: None,
            fields: Vec::new(),
            coverage: None,
            nearest: Vec::new(),
            facts: DocumentFacts {
                format,
                ..DocumentFacts::default()
            },
        }
    }

    /// The verdict follows from what was decided on the way and the ERROR count.
    fn finish(self, out: Findings) -> Report {
        let verdict = self.verdict.unwrap_or(if out.errors() == 0 {
            Verdict::FullyConformant
        } else {
            Verdict::PartlyConformant
        });
        let (findings, findings_omitted) = out.into_parts();
        Report {
            verdict,
            structure: self.structure,
            findings,
            findings_omitted,
            fields: self.fields,
            coverage: self.coverage,
            nearest: self.nearest,
            document: self.facts,
        }
    }
}

/// The first meaningful byte tells JSON (`{`, `[`) from XML (anything else, which the
/// XML reader then judges).
fn sniff(document: &[u8]) -> Format {
    let body = document.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(document);
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') | Some(b'[') => Format::Json,
        _ => Format::Cda,
    }
}
