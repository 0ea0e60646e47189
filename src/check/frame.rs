//! Rules for the archiving frame (`RCMR_IN200002FI01`) given with a document.

use crate::check::findings::{Findings, finding};
use crate::check::header::HeaderFacts;
use crate::check::report::Severity;
use crate::document::cda::HL7;
use crate::document::xml::{self, XmlLimits};
use crate::msg;

/// Checks the frame against the document's header facts.
pub fn check_frame(frame: &[u8], header: &HeaderFacts, limits: &XmlLimits, out: &mut Findings) {
    let lang = out.lang;
    let doc = match xml::parse(frame, limits) {
        Ok(doc) => doc,
        Err(error) => {
            let mut f = finding(
                "frame.unreadable",
                Severity::Error,
                msg!(
                    lang,
                    "arkistointikehys ei ole luettavaa XML:ää: {}",
                    "arkiveringsramen är inte läsbar XML: {}",
                    "the archiving frame is not readable XML: {}",
                    error
                ),
            );
            f.line = error.line();
            f.column = error.column();
            out.push(f);
            return;
        }
    };
    let root = doc.root();
    if !root.is(Some(HL7), "RCMR_IN200002FI01") {
        out.push(
            finding(
                "frame.root",
                Severity::Error,
                msg!(
                    lang,
                    "kehyksen juurielementin on oltava RCMR_IN200002FI01",
                    "ramens rotelement ska vara RCMR_IN200002FI01",
                    "the frame's root element must be RCMR_IN200002FI01"
                ),
            )
            .at_node(root),
        );
        return;
    }
    let Some(clinical) = root.descendant(&["controlActProcess", "subject", "clinicalDocument"])
    else {
        out.push(
            finding(
                "frame.clinical-document",
                Severity::Error,
                msg!(
                    lang,
                    "kehyksestä puuttuu controlActProcess/subject/clinicalDocument",
                    "ramen saknar controlActProcess/subject/clinicalDocument",
                    "the frame has no controlActProcess/subject/clinicalDocument"
                ),
            )
            .at_node(root),
        );
        return;
    };
    for (local, expected, rule) in [
        ("id", &header.document_id, "frame.document-id"),
        ("setId", &header.set_id, "frame.set-id"),
    ] {
        let node = clinical.child(Some(HL7), local);
        let value = node.and_then(|n| n.attr("root"));
        if value.is_some() && value == expected.as_deref() {
            continue;
        }
        let mut f = finding(
            rule,
            Severity::Error,
            msg!(
                lang,
                "kehyksen clinicalDocument/{}/@root ei vastaa asiakirjan arvoa",
                "ramens clinicalDocument/{}/@root motsvarar inte dokumentets värde",
                "the frame's clinicalDocument/{}/@root does not equal the document's",
                local
            ),
        );
        f = match node {
            Some(node) => f.at_node(node),
            None => f.at_node(clinical),
        };
        out.push(f);
    }
}
