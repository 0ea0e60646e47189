//! Rules for the archiving frame (`RCMR_IN200002FI01`) given with a document.
//!
//! The frame must describe the document it carries: the same document id, setId and
//! client, and a service request (reasonCode in 1.2.246.537.6.1503) that fits the
//! document group. Rule ids: `frame.unreadable`, `frame.root`, `frame.clinical-document`,
//! `frame.document-id`, `frame.set-id`, `frame.hetu`, `frame.reason-code`,
//! `frame.reason-group`, `frame.code-unknown`, `frame.code-unlisted`,
//! `frame.effective-time`, `frame.act-code`.

use crate::check::header::{HETU_ROOT, HeaderFacts, system_matches};
use crate::check::report::Severity;
use crate::definitions::Definitions;
use crate::definitions::classifications::CodeCheck;
use crate::document::cda::HL7;
use crate::document::xml::{self, Node, XmlLimits};
use crate::findings::{Findings, finding};
use crate::identifiers::mask;
use crate::msg;

/// Arkistosanomien palvelupyynnöt: the service request of the frame.
const SERVICE_REQUEST: &str = "1.2.246.537.6.1503";
/// Arkiston käyttötilanne.
const ARCHIVE_USE: &str = "1.2.246.537.6.1289";

/// Checks the frame against the document's header facts.
pub fn check_frame(
    frame: &[u8],
    header: &HeaderFacts,
    definitions: &Definitions,
    limits: &XmlLimits,
    out: &mut Findings,
) {
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
    client(clinical, header, out);
    effective_time(clinical, header, out);
    // The clinicalDocument was found under controlActProcess.
    if let Some(act) = root.child(Some(HL7), "controlActProcess") {
        act_code(act, out);
        reasons(act, header, definitions, out);
    }
}

/// The frame's `clinicalDocument/effectiveTime` describes the document it carries, so it
/// is expected to be the document's own `effectiveTime`. Authority: inferred (the frame
/// repeats the document's header; Kanta's archiving interface names no rule for a
/// difference), so a WARNING.
fn effective_time(clinical: Node<'_>, header: &HeaderFacts, out: &mut Findings) {
    let lang = out.lang;
    let Some(node) = clinical.child(Some(HL7), "effectiveTime") else {
        return;
    };
    let (Some(frame_value), Some(document_value)) =
        (node.attr("value"), header.effective_time.as_deref())
    else {
        return;
    };
    if frame_value == document_value {
        return;
    }
    out.push(
        finding(
            "frame.effective-time",
            Severity::Warning,
            msg!(
                lang,
                "kehyksen clinicalDocument/effectiveTime ({}) ei ole asiakirjan effectiveTime ({})",
                "ramens clinicalDocument/effectiveTime ({}) är inte dokumentets effectiveTime ({})",
                "the frame's clinicalDocument/effectiveTime ({}) is not the document's effectiveTime ({})",
                frame_value,
                document_value
            ),
        )
        .at_node(node),
    );
}

/// `controlActProcess/code` names the trigger event (`RCMR_TE000102UV01` in code system
/// 2.16.840.1.113883.1.18): a `code` element without `@code` names none. Authority: HL7 V3
/// ControlAct wrapper (`code` is the trigger event code); inferred for Kanta's frame, so a
/// WARNING.
fn act_code(act: Node<'_>, out: &mut Findings) {
    let lang = out.lang;
    let Some(code) = act.child(Some(HL7), "code") else {
        return;
    };
    if code.attr("nullFlavor").is_some() || code.attr("code").is_some_and(|c| !c.trim().is_empty())
    {
        return;
    }
    out.push(
        finding(
            "frame.act-code",
            Severity::Warning,
            msg!(
                lang,
                "kehyksen controlActProcess/code-elementiltä puuttuu @code (laukaisutapahtuma, esim. RCMR_TE000102UV01)",
                "ramens controlActProcess/code saknar @code (utlösande händelse, t.ex. RCMR_TE000102UV01)",
                "the frame's controlActProcess/code has no @code (the trigger event, e.g. RCMR_TE000102UV01)"
            ),
        )
        .at_node(code),
    );
}

/// The frame's client (`recordTarget/patient/id`) must be the document's.
fn client(clinical: Node<'_>, header: &HeaderFacts, out: &mut Findings) {
    let lang = out.lang;
    let Some(hetu) = header.record_target_hetu.as_deref() else {
        return;
    };
    let Some(id) = clinical.descendant(&["recordTarget", "patient", "id"]) else {
        out.push(
            finding(
                "frame.hetu",
                Severity::Error,
                msg!(
                    lang,
                    "kehyksestä puuttuu asiakkaan tunniste (clinicalDocument/recordTarget/patient/id); asiakirjan henkilötunnus on {}",
                    "ramen saknar klientens identifierare (clinicalDocument/recordTarget/patient/id); dokumentets personbeteckning är {}",
                    "the frame has no client identifier (clinicalDocument/recordTarget/patient/id); the document's henkilötunnus is {}",
                    mask(hetu)
                ),
            )
            .at_node(clinical),
        );
        return;
    };
    let root = id.attr("root").unwrap_or_default();
    let extension = id.attr("extension").unwrap_or_default();
    if root == HETU_ROOT && extension == hetu {
        return;
    }
    out.push(
        finding(
            "frame.hetu",
            Severity::Error,
            msg!(
                lang,
                "kehyksen asiakkaan tunniste {} (juuri {}) ei ole asiakirjan henkilötunnus {}",
                "ramens klientidentifierare {} (rot {}) är inte dokumentets personbeteckning {}",
                "the frame's client identifier {} (root {}) is not the document's henkilötunnus {}",
                mask(extension),
                root,
                mask(hetu)
            ),
        )
        .at_node(id),
    );
}

/// The service request (required) and the archive use (when present).
fn reasons(act: Node<'_>, header: &HeaderFacts, definitions: &Definitions, out: &mut Findings) {
    let lang = out.lang;
    let with_system = |base: &'static str| {
        act.children_named(Some(HL7), "reasonCode").find(move |r| {
            r.attr("codeSystem")
                .is_some_and(|s| system_matches(s, base))
        })
    };
    if let Some(use_code) = with_system(ARCHIVE_USE) {
        code_rule(use_code, definitions, out);
    }
    let Some(request) = with_system(SERVICE_REQUEST) else {
        out.push(
            finding(
                "frame.reason-code",
                Severity::Error,
                msg!(
                    lang,
                    "kehyksestä puuttuu palvelupyyntö (controlActProcess/reasonCode luokituksesta {})",
                    "ramen saknar tjänstebegäran (controlActProcess/reasonCode i klassificeringen {})",
                    "the frame has no service request (controlActProcess/reasonCode in classification {})",
                    SERVICE_REQUEST
                ),
            )
            .at_node(act),
        );
        return;
    };
    let Some(code) = code_rule(request, definitions, out) else {
        return;
    };
    // SP1 archives a client-relationship document (group 1), SP17 any other client
    // document; other requests are not judged here.
    let Some(group) = header.document_group.as_deref() else {
        return;
    };
    let fits = match code {
        "SP1" => group == "1",
        "SP17" => group != "1",
        _ => true,
    };
    if fits {
        return;
    }
    out.push(
        finding(
            "frame.reason-group",
            // Inferred from the codes' names and the real frames, not a published rule.
            Severity::Warning,
            msg!(
                lang,
                "kehyksen palvelupyyntö {} ei sovi asiakirjaryhmään {} (SP1 on asiakkuusasiakirjalle, ryhmä 1; SP17 muille asiakasasiakirjoille)",
                "ramens tjänstebegäran {} passar inte dokumentgruppen {} (SP1 gäller klientrelationsdokument, grupp 1; SP17 övriga klientdokument)",
                "the frame's service request {} does not fit document group {} (SP1 is for the client-relationship document, group 1; SP17 for other client documents)",
                code,
                group
            ),
        )
        .at_node(request),
    );
}

/// A reasonCode's code: present, and in the loaded classification (an unknown code is an
/// error only for a complete list). Returns the code.
fn code_rule<'n>(node: Node<'n>, definitions: &Definitions, out: &mut Findings) -> Option<&'n str> {
    let lang = out.lang;
    let system = node.attr("codeSystem").unwrap_or_default();
    let Some(code) = node.attr("code").filter(|c| !c.trim().is_empty()) else {
        out.push(
            finding(
                "frame.reason-code",
                Severity::Error,
                msg!(
                    lang,
                    "kehyksen reasonCode-elementiltä (luokitus {}) puuttuu code",
                    "ramens reasonCode (klassificeringen {}) saknar code",
                    "the frame's reasonCode (classification {}) has no code",
                    system
                ),
            )
            .at_node(node),
        );
        return None;
    };
    let (rule, severity, message) = match definitions.classifications.check_code(system, code) {
        CodeCheck::UnknownInComplete => (
            "frame.code-unknown",
            Severity::Error,
            msg!(
                lang,
                "kehyksen reasonCode {} ei ole luokituksessa {}",
                "ramens reasonCode {} finns inte i klassificeringen {}",
                "the frame's reasonCode {} is not in classification {}",
                code,
                system
            ),
        ),
        CodeCheck::UnknownInIncomplete => (
            "frame.code-unlisted",
            Severity::Warning,
            msg!(
                lang,
                "kehyksen reasonCode {} ei ole luokituksen {} ladatussa (vajaassa) luettelossa; lataa täysi luettelo tarkistusta varten",
                "ramens reasonCode {} finns inte i den laddade (ofullständiga) listan för klassificeringen {}; ladda hela listan för kontroll",
                "the frame's reasonCode {} is not in the loaded (incomplete) list of classification {}; load the full list to check it",
                code,
                system
            ),
        ),
        CodeCheck::Known { .. } | CodeCheck::UnknownSystem => return Some(code),
    };
    out.push(finding(rule, severity, message).at_node(node));
    Some(code)
}
