//! The Kanta CDA envelope: recognising a `ClinicalDocument` and reading its body, the
//! base64 display form and the base64 structured content (`ep2:json`).

use serde_json::Value;

use super::base64::decode_strict;
use super::json::{self, JsonLimits};
use super::xml::{self, Node, XmlDocument, XmlLimits};
use crate::findings::{Findings, Severity, finding};
use crate::msg;

/// The HL7 v3 namespace of CDA R2.
pub const HL7: &str = "urn:hl7-org:v3";
/// The Finnish HL7 extension namespace (`ep2:`).
pub const EP2: &str = "urn:hl7finland";

/// Limits for what a body may decode to.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// Maximum decoded size of one base64 field.
    pub max_decoded: usize,
    pub xml: XmlLimits,
    pub json: JsonLimits,
}

impl Default for BodyLimits {
    fn default() -> Self {
        Self {
            max_decoded: 64 * 1024 * 1024,
            xml: XmlLimits::default(),
            json: JsonLimits::default(),
        }
    }
}

/// The structured content of a CDA document and where it stood.
#[derive(Debug)]
pub struct Body<'a> {
    pub non_xml_body: Node<'a>,
    pub json_node: Node<'a>,
    pub content: Value,
}

/// Reads the body. `None` means the content cannot be had: an ERROR finding says why
/// and where, and the document is unreadable. Problems with the display form alone are
/// ERROR findings but do not stop the check.
pub fn read_body<'a>(
    doc: &'a XmlDocument,
    limits: &BodyLimits,
    out: &mut Findings,
) -> Option<Body<'a>> {
    let lang = out.lang;
    let root = doc.root();
    let Some(non_xml_body) = root
        .child(Some(HL7), "component")
        .and_then(|c| c.child(Some(HL7), "nonXMLBody"))
    else {
        out.push(
            finding(
                "xml.body-missing",
                Severity::Error,
                msg!(
                    lang,
                    "asiakirjalta puuttuu component/nonXMLBody",
                    "dokumentet saknar component/nonXMLBody",
                    "the document has no component/nonXMLBody"
                ),
            )
            .at_node(root),
        );
        return None;
    };

    match non_xml_body.child(Some(HL7), "text") {
        Some(text) => check_display_form(text, limits, out),
        None => out.push(
            finding(
                "xml.display-missing",
                Severity::Error,
                msg!(
                    lang,
                    "näyttömuoto (nonXMLBody/text) puuttuu",
                    "visningsformen (nonXMLBody/text) saknas",
                    "the display form (nonXMLBody/text) is missing"
                ),
            )
            .at_node(non_xml_body),
        ),
    }

    let Some(json_node) = non_xml_body.child(Some(EP2), "json") else {
        out.push(
            finding(
                "xml.content-missing",
                Severity::Error,
                msg!(
                    lang,
                    "rakenteinen sisältö (ep2:json) puuttuu",
                    "det strukturerade innehållet (ep2:json) saknas",
                    "the structured content (ep2:json) is missing"
                ),
            )
            .at_node(non_xml_body),
        );
        return None;
    };
    let bytes = match decode_strict(json_node.text(), limits.max_decoded) {
        Ok(bytes) => bytes,
        Err(error) => {
            out.push(
                finding(
                    "base64.content",
                    Severity::Error,
                    msg!(
                        lang,
                        "ep2:json ei ole kelvollista base64-koodausta: {}",
                        "ep2:json är inte giltig base64: {}",
                        "ep2:json is not valid base64: {}",
                        error
                    ),
                )
                .at_node(json_node),
            );
            return None;
        }
    };
    let content = match json::parse(&bytes, &limits.json) {
        Ok(content) => content,
        Err(error) => {
            out.push(
                finding(
                    error.kind.rule(),
                    Severity::Error,
                    msg!(
                        lang,
                        "ep2:json:n sisältö ei ole luettavaa JSONia: {}",
                        "innehållet i ep2:json är inte läsbar JSON: {}",
                        "the content of ep2:json is not readable JSON: {}",
                        error
                    ),
                )
                .at_node(json_node),
            );
            return None;
        }
    };
    Some(Body {
        non_xml_body,
        json_node,
        content,
    })
}

/// The display form must be base64 of well-formed XHTML.
fn check_display_form(text: Node<'_>, limits: &BodyLimits, out: &mut Findings) {
    let lang = out.lang;
    if text.attr("mediaType") != Some("application/xhtml+xml") {
        out.push(
            finding(
                "xml.display-media-type",
                Severity::Error,
                msg!(
                    lang,
                    "näyttömuodon mediaType on oltava application/xhtml+xml",
                    "visningsformens mediaType ska vara application/xhtml+xml",
                    "the display form's mediaType must be application/xhtml+xml"
                ),
            )
            .at_node(text),
        );
    }
    if text.attr("representation") != Some("B64") {
        out.push(
            finding(
                "xml.display-representation",
                Severity::Error,
                msg!(
                    lang,
                    "näyttömuodon representation on oltava B64",
                    "visningsformens representation ska vara B64",
                    "the display form's representation must be B64"
                ),
            )
            .at_node(text),
        );
        return;
    }
    let bytes = match decode_strict(text.text(), limits.max_decoded) {
        Ok(bytes) => bytes,
        Err(error) => {
            out.push(
                finding(
                    "base64.display",
                    Severity::Error,
                    msg!(
                        lang,
                        "näyttömuoto ei ole kelvollista base64-koodausta: {}",
                        "visningsformen är inte giltig base64: {}",
                        "the display form is not valid base64: {}",
                        error
                    ),
                )
                .at_node(text),
            );
            return;
        }
    };
    if let Err(error) = xml::parse(&bytes, &limits.xml) {
        out.push(
            finding(
                "xml.display-not-well-formed",
                Severity::Error,
                msg!(
                    lang,
                    "näyttömuoto ei ole hyvinmuodostettua XHTML:ää: {}",
                    "visningsformen är inte välformad XHTML: {}",
                    "the display form is not well-formed XHTML: {}",
                    error
                ),
            )
            .at_node(text),
        );
    }
}
