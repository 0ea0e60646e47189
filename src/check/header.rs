//! Kanta CDA header rules (DOMAIN.md section 5) and the header facts other rules use.

use crate::check::findings::{Findings, finding};
use crate::check::report::Severity;
use crate::definitions::Definitions;
use crate::document::cda::{Body, EP2, HL7};
use crate::document::xml::{Node, XmlDocument};
use crate::msg;

/// What the caller's options change in the header rules.
#[derive(Debug, Clone, Copy, Default)]
pub struct HeaderOptions {
    /// Kanta's test environment: a henkilötunnus outside 900-999 is an ERROR.
    pub test_environment: bool,
}

/// Facts read from the header, for the body, frame, binding and content rules.
///
/// `record_target_hetu` is personal data: it is kept for comparisons only and must never
/// be logged, reported or shown unmasked. `Debug` is written by hand to keep it out.
#[derive(Clone, Default)]
pub struct HeaderFacts {
    /// `id/@root`: the document OID.
    pub document_id: Option<String>,
    /// `setId/@root`.
    pub set_id: Option<String>,
    /// `ep2:contentSpecificationId`: the structure OID.
    pub content_specification: Option<String>,
    /// `ep2:specificDocumentType/@code`.
    pub specific_type: Option<String>,
    /// `ep2:documentGroup/@code`.
    pub document_group: Option<String>,
    /// `ep2:functionCode/@code`: the service task.
    pub service_task: Option<String>,
    /// `ep2:serviceProcess/@code`: the process phase.
    pub phase: Option<String>,
    /// The custodian organisation OID.
    pub custodian: Option<String>,
    /// `recordTarget/patientRole/id/@extension` where root is 1.2.246.21.
    pub record_target_hetu: Option<String>,
}

impl std::fmt::Debug for HeaderFacts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeaderFacts")
            .field("document_id", &self.document_id)
            .field("set_id", &self.set_id)
            .field("content_specification", &self.content_specification)
            .field("specific_type", &self.specific_type)
            .field("document_group", &self.document_group)
            .field("service_task", &self.service_task)
            .field("phase", &self.phase)
            .field("custodian", &self.custodian)
            .field(
                "record_target_hetu",
                &self.record_target_hetu.as_ref().map(|_| "<masked>"),
            )
            .finish()
    }
}

/// Reads the header facts and checks the header rules.
pub fn check_header(
    doc: &XmlDocument,
    _definitions: &Definitions,
    _options: &HeaderOptions,
    _out: &mut Findings,
) -> HeaderFacts {
    let root = doc.root();
    let header = root.child(Some(EP2), "localSocialHeader");
    let ep2 = |local: &str| header.and_then(|h| h.child(Some(EP2), local));
    let code = |node: Option<Node<'_>>| node.and_then(|n| n.attr("code")).map(str::to_string);
    HeaderFacts {
        document_id: root
            .child(Some(HL7), "id")
            .and_then(|n| n.attr("root"))
            .map(str::to_string),
        set_id: root
            .child(Some(HL7), "setId")
            .and_then(|n| n.attr("root"))
            .map(str::to_string),
        content_specification: ep2("contentSpecificationId")
            .map(|n| n.text().trim().to_string())
            .filter(|s| !s.is_empty()),
        specific_type: code(ep2("specificDocumentType")),
        document_group: code(ep2("documentGroup")),
        service_task: code(ep2("functionCode")),
        phase: code(ep2("serviceProcess")),
        custodian: root
            .descendant(&[
                "custodian",
                "assignedCustodian",
                "representedCustodianOrganization",
                "id",
            ])
            .and_then(|n| n.attr("root"))
            .map(str::to_string),
        record_target_hetu: root
            .descendant(&["recordTarget", "patientRole", "id"])
            .filter(|n| n.attr("root") == Some("1.2.246.21"))
            .and_then(|n| n.attr("extension"))
            .map(str::to_string),
    }
}

/// Rules that tie the header to the body: `nonXMLBody/@ID` is "OID" + the document id.
pub fn check_body_header(
    _doc: &XmlDocument,
    body: &Body<'_>,
    header: &HeaderFacts,
    out: &mut Findings,
) {
    let lang = out.lang;
    let Some(id) = &header.document_id else {
        return;
    };
    let expected = format!("OID{id}");
    if body.non_xml_body.attr("ID") != Some(expected.as_str()) {
        out.push(
            finding(
                "header.body-id",
                Severity::Error,
                msg!(
                    lang,
                    "nonXMLBody/@ID:n on oltava \"OID\" ja asiakirjan tunniste ({})",
                    "nonXMLBody/@ID ska vara \"OID\" och dokumentets id ({})",
                    "nonXMLBody/@ID must be \"OID\" followed by the document id ({})",
                    expected
                ),
            )
            .at_node(body.non_xml_body),
        );
    }
}
