//! Kanta CDA header rules (Kanta: Sosiaalihuollon asiakasasiakirjojen CDA R2 -rakenne) and the header facts other rules use.
//!
//! What is required follows the real Kanta documents: an element that every real document
//! carries is required (an ERROR when missing), one that only some carry is checked when
//! present. `specificDocumentType` is required for document types (structures under
//! 1.2.246.537.6.1506), which the Asiakkuusasiakirja (1505.1) does not carry; the general
//! type `code` may be a nullFlavor only outside the 1506 document types.
//!
//! Rule ids: `header.missing`, `header.value`, `header.code-system`, `header.code-unknown`,
//! `header.code-unlisted`, `header.code-null`, `header.oid`, `header.oid-ytunnus`,
//! `header.timestamp`, `header.timestamp-precision`, `header.record-target`,
//! `header.consent-missing`, `header.specific-type`, `header.document-group`,
//! `header.body-id`, and for the client's henkilötunnus `identifier.hetu` and
//! `identifier.hetu.not-test`. Every finding is placed at the element concerned, or for a
//! missing element at its parent.

use crate::check::report::{Finding, Severity};
use crate::definitions::classifications::CodeCheck;
use crate::definitions::structure::type_code_of;
use crate::definitions::{Definitions, Lang};
use crate::document::cda::{Body, EP2, HL7};
use crate::document::xml::{Node, XmlDocument};
use crate::findings::{Findings, finding};
use crate::identifiers::{
    Hl7Timestamp, check_oid, check_ytunnus, is_temporary_id_root, mask, parse_hetu, parse_hl7_ts,
};
use crate::msg;

/// `recordTarget/patientRole/id/@root` of a henkilötunnus.
pub const HETU_ROOT: &str = "1.2.246.21";
const TYPE_ID_ROOT: &str = "2.16.840.1.113883.1.3";
const TYPE_ID_EXTENSION: &str = "POCD_HD000040";
/// Asiakasasiakirjatyyppi: the general type (`code`) and `specificDocumentType`.
const DOCUMENT_TYPES: &str = "1.2.246.537.6.1506";
const CONFIDENTIALITY: &str = "1.2.246.777.5.99902.2006";
const GENDER: &str = "1.2.246.537.5.1.1997";
const CONSENT: &str = "1.2.246.537.6.1286";
const DOCUMENT_GROUP: &str = "1.2.246.537.6.1505";
const FILE_FORMAT: &str = "1.2.246.537.6.1502";
const STRUCTURED_FILE_FORMAT: &str = "1.2.246.537.5.40179.2008";
const SERVICE_TASK: &str = "1.2.246.537.6.1221";
const RECORD_STATUS: &str = "1.2.246.537.5.40154.2008";
const REGISTRY_TYPE: &str = "1.2.246.537.6.1264";
const RETENTION: &str = "1.2.246.537.6.1258";
const YES_NO: &str = "1.2.246.537.6.112.2007";
const SERVICE_PROCESS: &str = "1.2.246.537.6.1277";
/// Organisation OIDs: `1.2.246.10.<y-tunnus digits>...` (the organisation arc of a y-tunnus).
const ORGANISATION_ROOT: &str = "1.2.246.10.";

/// What the caller's options change in the header rules.
#[derive(Debug, Clone, Copy, Default)]
pub struct HeaderOptions {
    /// Kanta's test environment: a henkilötunnus outside 900-999 is an ERROR.
    pub test_environment: bool,
}

/// Where an element stood in the document, kept so that later rules (bindings) can place
/// their findings on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlAt {
    pub path: String,
    pub line: u32,
    pub column: u32,
}

impl XmlAt {
    pub fn of(node: Node<'_>) -> Self {
        Self {
            path: node.path(),
            line: node.line(),
            column: node.column(),
        }
    }

    /// Places `finding` here.
    pub fn place(&self, finding: Finding) -> Finding {
        finding.at_xml(self.path.clone(), self.line, self.column)
    }
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
    /// `ep2:serviceProcess/ep2:code/@code`: the process phase.
    pub phase: Option<String>,
    /// The custodian organisation OID.
    pub custodian: Option<String>,
    /// `recordTarget/patientRole/id/@extension` where root is 1.2.246.21.
    pub record_target_hetu: Option<String>,
    /// Where `recordTarget/patientRole/id` stands.
    pub record_target_at: Option<XmlAt>,
    /// Where `ep2:functionCode` stands.
    pub service_task_at: Option<XmlAt>,
    /// Where the phase (`ep2:serviceProcess/ep2:code`) stands.
    pub phase_at: Option<XmlAt>,
    /// Where `ep2:localSocialHeader` stands (the parent of a missing phase).
    pub local_header_at: Option<XmlAt>,
    /// The client's birth date `(year, month, day)`: `patient/birthTime`, else the one the
    /// header's henkilötunnus encodes. Personal data, like the henkilötunnus.
    pub birth_date: Option<(i32, u8, u8)>,
    /// Where the birth date was read (`birthTime`, else `patientRole/id`).
    pub birth_date_at: Option<XmlAt>,
    /// `effectiveTime/@value` of the document, as written.
    pub effective_time: Option<String>,
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
            .field("record_target_at", &self.record_target_at)
            .field("service_task_at", &self.service_task_at)
            .field("phase_at", &self.phase_at)
            .field("local_header_at", &self.local_header_at)
            .field("birth_date", &self.birth_date.map(|_| "<masked>"))
            .field("birth_date_at", &self.birth_date_at)
            .field("effective_time", &self.effective_time)
            .finish()
    }
}

/// Whether a code system as written (`<oid>`, `<oid>.<version arcs>`, either after
/// `urn:oid:`) names the classification `base`.
pub fn system_matches(system: &str, base: &str) -> bool {
    let bare = system.strip_prefix("urn:oid:").unwrap_or(system);
    let Some(rest) = bare.strip_prefix(base) else {
        return false;
    };
    if rest.is_empty() {
        return true;
    }
    rest.strip_prefix('.').is_some_and(|arcs| {
        arcs.split('.')
            .all(|arc| !arc.is_empty() && arc.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// The phase node: `ep2:serviceProcess/ep2:code` as the real documents write it, or
/// `ep2:serviceProcess` itself when it carries the code.
fn phase_node(header: Node<'_>) -> Option<Node<'_>> {
    let process = header.child(Some(EP2), "serviceProcess")?;
    if process.attr("code").is_some() {
        return Some(process);
    }
    process.child(Some(EP2), "code")
}

/// Reads the facts the other rules need, checking nothing.
fn read_facts(root: Node<'_>) -> HeaderFacts {
    let header = root.child(Some(EP2), "localSocialHeader");
    let ep2 = |local: &str| header.and_then(|h| h.child(Some(EP2), local));
    let code = |node: Option<Node<'_>>| node.and_then(|n| n.attr("code")).map(str::to_string);
    let function = ep2("functionCode");
    let phase = header.and_then(phase_node);
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
        service_task: code(function),
        phase: code(phase),
        custodian: custodian_id(root)
            .and_then(|n| n.attr("root"))
            .map(str::to_string),
        record_target_hetu: root
            .descendant(&["recordTarget", "patientRole", "id"])
            .filter(|n| n.attr("root") == Some(HETU_ROOT))
            .and_then(|n| n.attr("extension"))
            .map(str::to_string),
        record_target_at: root
            .descendant(&["recordTarget", "patientRole", "id"])
            .map(XmlAt::of),
        service_task_at: function.map(XmlAt::of),
        phase_at: phase.map(XmlAt::of),
        local_header_at: header.map(XmlAt::of),
        ..HeaderFacts::default()
    }
}

fn custodian_id(root: Node<'_>) -> Option<Node<'_>> {
    root.descendant(&[
        "custodian",
        "assignedCustodian",
        "representedCustodianOrganization",
        "id",
    ])
}

/// Reads the header facts and checks the header rules.
pub fn check_header(
    doc: &XmlDocument,
    definitions: &Definitions,
    options: &HeaderOptions,
    out: &mut Findings,
) -> HeaderFacts {
    let root = doc.root();
    let mut facts = read_facts(root);
    let lang = out.lang;
    let mut rules = Rules {
        definitions,
        options: *options,
        lang,
        out,
    };
    rules.identifiers_and_times(root);
    let effective = rules.document(root, &facts);
    facts.effective_time = root
        .child(Some(HL7), "effectiveTime")
        .and_then(|n| n.attr("value"))
        .map(str::to_string);
    if let Some((date, at)) = rules.record_target(root, effective) {
        facts.birth_date = Some(date);
        facts.birth_date_at = Some(at);
    }
    rules.participants(root);
    rules.local_header(root, &facts);
    facts
}

/// The header rules over one document, with where their findings go.
struct Rules<'a> {
    definitions: &'a Definitions,
    options: HeaderOptions,
    lang: Lang,
    out: &'a mut Findings,
}

/// How messages name a coded element: with its parent when the name alone says little
/// (`ep2:serviceProcess/ep2:code`, `consent/code`).
fn label(node: Node<'_>) -> String {
    match node.parent() {
        Some(parent) if node.local() == "code" => {
            format!("{}/{}", parent.qualified_name(), node.qualified_name())
        }
        _ => node.qualified_name().into_owned(),
    }
}

/// The name of an element as the messages give it (`ep2:` for the Finnish extension).
fn display_name(ns: Option<&str>, local: &str) -> String {
    if ns == Some(EP2) {
        format!("ep2:{local}")
    } else {
        local.to_string()
    }
}

/// Whether the contentSpecificationId names a document type (1506) rather than a case or
/// client-relationship document (1505).
fn is_document_type(content_specification: Option<&str>) -> bool {
    content_specification.is_some_and(|cs| cs.starts_with("1.2.246.537.6.1506."))
}

impl Rules<'_> {
    fn push(&mut self, finding: Finding, node: Node<'_>) {
        self.out.push(finding.at_node(node));
    }

    /// A required child of `parent`, or a `header.missing` finding at the parent.
    fn require<'n>(&mut self, parent: Node<'n>, ns: Option<&str>, local: &str) -> Option<Node<'n>> {
        if let Some(child) = parent.child(ns, local) {
            return Some(child);
        }
        self.missing(parent, &display_name(ns, local));
        None
    }

    fn missing(&mut self, parent: Node<'_>, what: &str) {
        let lang = self.lang;
        self.push(
            finding(
                "header.missing",
                Severity::Error,
                msg!(
                    lang,
                    "pakollinen elementti {} puuttuu elementistä {}",
                    "det obligatoriska elementet {} saknas i {}",
                    "required element {} is missing from {}",
                    what,
                    parent.qualified_name()
                ),
            ),
            parent,
        );
    }

    /// A required, non-blank attribute, or a `header.missing` finding at its element.
    fn require_attr<'n>(&mut self, node: Node<'n>, attr: &str) -> Option<&'n str> {
        if let Some(value) = node.attr(attr).filter(|v| !v.trim().is_empty()) {
            return Some(value);
        }
        let lang = self.lang;
        self.push(
            finding(
                "header.missing",
                Severity::Error,
                msg!(
                    lang,
                    "elementiltä {} puuttuu pakollinen attribuutti {}",
                    "elementet {} saknar det obligatoriska attributet {}",
                    "element {} has no required attribute {}",
                    node.qualified_name(),
                    attr
                ),
            ),
            node,
        );
        None
    }

    /// An attribute that must have one fixed value.
    fn fixed(&mut self, node: Node<'_>, attr: &str, expected: &str) {
        let Some(value) = self.require_attr(node, attr) else {
            return;
        };
        if value == expected {
            return;
        }
        let lang = self.lang;
        self.push(
            finding(
                "header.value",
                Severity::Error,
                msg!(
                    lang,
                    "{}/@{}: arvon on oltava {}, ei {}",
                    "{}/@{}: värdet ska vara {}, inte {}",
                    "{}/@{} must be {}, not {}",
                    node.qualified_name(),
                    attr,
                    expected,
                    value
                ),
            ),
            node,
        );
    }

    /// A coded element of classification `base`: its `code` and `codeSystem` are present,
    /// the system names `base` (with optional version arcs) and the code is in the loaded
    /// classification (an unknown code is an error only for a complete list).
    fn coded(&mut self, node: Node<'_>, base: &str) {
        let lang = self.lang;
        // Built only for a finding: most coded elements have none.
        let name = || label(node);
        let code = self.require_attr(node, "code");
        let Some(system) = node.attr("codeSystem") else {
            self.push(
                finding(
                    "header.code-system",
                    Severity::Error,
                    msg!(
                        lang,
                        "elementiltä {} puuttuu codeSystem; sen on oltava {}",
                        "elementet {} saknar codeSystem; det ska vara {}",
                        "element {} has no codeSystem; it must be {}",
                        name(),
                        base
                    ),
                ),
                node,
            );
            return;
        };
        if check_oid(system).is_err() {
            // The OID syntax rule reports it.
            return;
        }
        if !system_matches(system, base) {
            self.push(
                finding(
                    "header.code-system",
                    Severity::Error,
                    msg!(
                        lang,
                        "{}: codeSystem {} ei ole luokitus {} (versiotunnuksen kanssa tai ilman)",
                        "{}: codeSystem {} är inte klassificeringen {} (med eller utan version)",
                        "{}: codeSystem {} is not classification {} (with or without a version)",
                        name(),
                        system,
                        base
                    ),
                ),
                node,
            );
            return;
        }
        let Some(code) = code else {
            return;
        };
        let (rule, severity, message) = match self
            .definitions
            .classifications
            .check_code(system, code)
        {
            CodeCheck::UnknownInComplete => (
                "header.code-unknown",
                Severity::Error,
                msg!(
                    lang,
                    "{}: koodia {} ei ole luokituksessa {}",
                    "{}: koden {} finns inte i klassificeringen {}",
                    "{}: code {} is not in classification {}",
                    name(),
                    code,
                    base
                ),
            ),
            CodeCheck::UnknownInIncomplete => (
                "header.code-unlisted",
                Severity::Warning,
                msg!(
                    lang,
                    "{}: koodi {} ei ole luokituksen {} ladatussa (vajaassa) luettelossa; lataa täysi luettelo tarkistusta varten",
                    "{}: koden {} finns inte i den laddade (ofullständiga) listan för klassificeringen {}; ladda hela listan för kontroll",
                    "{}: code {} is not in the loaded (incomplete) list of classification {}; load the full list to check it",
                    name(),
                    code,
                    base
                ),
            ),
            CodeCheck::Known { .. } | CodeCheck::UnknownSystem => return,
        };
        self.push(finding(rule, severity, message), node);
    }

    /// A required coded child.
    fn require_coded(&mut self, parent: Node<'_>, ns: Option<&str>, local: &str, base: &str) {
        if let Some(node) = self.require(parent, ns, local) {
            self.coded(node, base);
        }
    }

    /// A coded child checked when present.
    fn optional_coded(&mut self, parent: Node<'_>, ns: Option<&str>, local: &str, base: &str) {
        if let Some(node) = parent.child(ns, local)
            && node.attr("nullFlavor").is_none()
        {
            self.coded(node, base);
        }
    }

    /// The syntax of every `@root` and `@codeSystem` OID, the y-tunnus of organisation
    /// OIDs, and every HL7 timestamp in the header (everything but the body).
    fn identifiers_and_times(&mut self, root: Node<'_>) {
        let header = std::iter::once(root).chain(
            root.children()
                .filter(|c| !c.is(Some(HL7), "component"))
                .flat_map(|c| std::iter::once(c).chain(c.descendants())),
        );
        for node in header {
            if !matches!(node.ns(), Some(HL7) | Some(EP2)) {
                continue;
            }
            for attr in ["root", "codeSystem"] {
                if let Some(value) = node.attr(attr) {
                    self.oid(node, attr, value);
                }
            }
            self.null_flavor_with_value(node);
            if matches!(
                node.local(),
                "effectiveTime" | "time" | "birthTime" | "creationTime" | "low" | "high"
            ) && let Some(value) = node.attr("value")
            {
                self.timestamp(node, value);
            }
        }
    }

    /// A `nullFlavor` says there is no value; an element that has one and a value too
    /// (`<id root="..." nullFlavor="NA"/>`) says both. Authority: HL7 V3 Data Types R1
    /// (used by CDA R2), the ANY invariant "a value with a nullFlavor has no other
    /// properties". Kanta accepts such documents (the real asia_ja_rajoitukset test
    /// document has one), so a WARNING.
    fn null_flavor_with_value(&mut self, node: Node<'_>) {
        if node.attr("nullFlavor").is_none() {
            return;
        }
        let Some(attr) = ["value", "root", "extension", "code"]
            .into_iter()
            .find(|a| node.attr(a).is_some())
        else {
            return;
        };
        let lang = self.lang;
        self.push(
            finding(
                "header.null-flavor-value",
                Severity::Warning,
                msg!(
                    lang,
                    "{}: sekä nullFlavor että arvo (@{}); nullFlavor tarkoittaa, ettei arvoa ole",
                    "{}: både nullFlavor och ett värde (@{}); nullFlavor betyder att värde saknas",
                    "{}: both a nullFlavor and a value (@{}); a nullFlavor says there is no value",
                    node.qualified_name(),
                    attr
                ),
            ),
            node,
        );
    }

    /// One OID attribute: its syntax (ERROR) and, for an organisation OID, the y-tunnus it
    /// carries (WARNING).
    fn oid(&mut self, node: Node<'_>, attr: &str, value: &str) {
        let lang = self.lang;
        if let Err(error) = check_oid(value) {
            self.push(
                finding(
                    "header.oid",
                    Severity::Error,
                    msg!(
                        lang,
                        "{}/@{}: {} ei ole kelvollinen OID: {}",
                        "{}/@{}: {} är inte en giltig OID: {}",
                        "{}/@{}: {} is not a valid OID: {}",
                        node.qualified_name(),
                        attr,
                        mask_if_long(value),
                        error
                    ),
                ),
                node,
            );
            return;
        }
        if attr != "root" || ytunnus_arc_ok(value) {
            return;
        }
        self.push(
            finding(
                "header.oid-ytunnus",
                Severity::Warning,
                msg!(
                    lang,
                    "{}/@{}: organisaatio-OID {} ei sisällä kelvollista y-tunnusta (1.2.246.10.<y-tunnus>)",
                    "{}/@{}: organisations-OID {} innehåller inte ett giltigt FO-nummer (1.2.246.10.<FO-nummer>)",
                    "{}/@{}: organisation OID {} does not carry a valid y-tunnus (1.2.246.10.<y-tunnus>)",
                    node.qualified_name(),
                    attr,
                    value
                ),
            ),
            node,
        );
    }

    /// An HL7 `TS` value must be a real date and time. The value itself is not shown: it
    /// may be a birth time.
    fn timestamp(&mut self, node: Node<'_>, value: &str) -> Option<Hl7Timestamp> {
        let lang = self.lang;
        match parse_hl7_ts(value) {
            Ok(ts) => Some(ts),
            Err(error) => {
                self.push(
                    finding(
                        "header.timestamp",
                        Severity::Error,
                        msg!(
                            lang,
                            "{}/@value ei ole kelvollinen HL7-aikaleima: {}",
                            "{}/@value är inte en giltig HL7-tidsstämpel: {}",
                            "{}/@value is not a valid HL7 timestamp: {}",
                            node.qualified_name(),
                            error
                        ),
                    ),
                    node,
                );
                None
            }
        }
    }

    /// A required instant (effectiveTime, creationTime): present, and given to the second
    /// with a zone (a WARNING if less). Its validity is checked with all timestamps.
    fn instant(&mut self, node: Node<'_>) -> Option<Hl7Timestamp> {
        let value = self.require_attr(node, "value")?;
        let ts = parse_hl7_ts(value).ok()?;
        if !ts.is_full_instant() {
            let lang = self.lang;
            self.push(
                finding(
                    "header.timestamp-precision",
                    Severity::Warning,
                    msg!(
                        lang,
                        "{}/@value pitäisi antaa sekunnin tarkkuudella aikavyöhykkeen kanssa (VVVVKKPPhhmmss+hhmm)",
                        "{}/@value borde anges med sekunder och tidszon (ÅÅÅÅMMDDhhmmss+hhmm)",
                        "{}/@value should give seconds and a zone (YYYYMMDDhhmmss+hhmm)",
                        node.qualified_name()
                    ),
                ),
                node,
            );
        }
        Some(ts)
    }

    /// The `ClinicalDocument` elements before the participants. Returns the document's
    /// effectiveTime when it is valid.
    fn document(&mut self, root: Node<'_>, facts: &HeaderFacts) -> Option<Hl7Timestamp> {
        let lang = self.lang;
        if let Some(realm) = self.require(root, Some(HL7), "realmCode") {
            self.fixed(realm, "code", "FI");
        }
        if let Some(type_id) = self.require(root, Some(HL7), "typeId") {
            self.fixed(type_id, "root", TYPE_ID_ROOT);
            self.fixed(type_id, "extension", TYPE_ID_EXTENSION);
        }
        if let Some(id) = self.require(root, Some(HL7), "id") {
            self.require_attr(id, "root");
        }
        if let Some(code) = self.require(root, Some(HL7), "code") {
            if code.attr("nullFlavor").is_none() {
                self.coded(code, DOCUMENT_TYPES);
            } else if is_document_type(facts.content_specification.as_deref()) {
                self.push(
                    finding(
                        "header.code-null",
                        Severity::Error,
                        msg!(
                            lang,
                            "yleinen asiakirjatyyppi (code) on pakollinen asiakasasiakirjalle {}; nullFlavor sallitaan vain asia- ja asiakkuusasiakirjoille",
                            "den allmänna dokumenttypen (code) är obligatorisk för klientdokumentet {}; nullFlavor tillåts bara för ärende- och klientrelationsdokument",
                            "the general document type (code) is required for client document {}; a nullFlavor is allowed only on case and client-relationship documents",
                            facts.content_specification.as_deref().unwrap_or_default()
                        ),
                    ),
                    code,
                );
            }
        }
        let effective = self
            .require(root, Some(HL7), "effectiveTime")
            .and_then(|n| self.instant(n));
        self.require_coded(root, Some(HL7), "confidentialityCode", CONFIDENTIALITY);
        if let Some(language) = self.require(root, Some(HL7), "languageCode")
            && let Some(code) = self.require_attr(language, "code")
            && !is_language_tag(code)
        {
            self.push(
                finding(
                    "header.value",
                    Severity::Error,
                    msg!(
                        lang,
                        "languageCode/@code {} ei ole kielikoodi (esim. fi, sv, fi-FI)",
                        "languageCode/@code {} är ingen språkkod (t.ex. fi, sv, fi-FI)",
                        "languageCode/@code {} is not a language code (e.g. fi, sv, fi-FI)",
                        code
                    ),
                ),
                language,
            );
        }
        if let Some(set_id) = self.require(root, Some(HL7), "setId") {
            self.require_attr(set_id, "root");
        }
        if let Some(version) = self.require(root, Some(HL7), "versionNumber")
            && let Some(value) = self.require_attr(version, "value")
            && !is_positive_integer(value)
        {
            self.push(
                finding(
                    "header.value",
                    Severity::Error,
                    msg!(
                        lang,
                        "versionNumber/@value {} ei ole positiivinen kokonaisluku",
                        "versionNumber/@value {} är inte ett positivt heltal",
                        "versionNumber/@value {} is not a positive whole number",
                        value
                    ),
                ),
                version,
            );
        }
        effective
    }

    /// The client: `recordTarget/patientRole/id` is a henkilötunnus (root 1.2.246.21) or a
    /// temporary identifier (root `1.2.246.10.<y-tunnus>.22.<year>`). For a minor client
    /// (by the henkilötunnus, on the effectiveTime date) the consent on disclosure to the
    /// guardians is expected.
    fn record_target(
        &mut self,
        root: Node<'_>,
        effective: Option<Hl7Timestamp>,
    ) -> Option<((i32, u8, u8), XmlAt)> {
        let lang = self.lang;
        let target = self.require(root, Some(HL7), "recordTarget")?;
        let role = self.require(target, Some(HL7), "patientRole")?;
        let patient = role.child(Some(HL7), "patient");
        if let Some(patient) = patient {
            self.optional_coded(patient, Some(HL7), "administrativeGenderCode", GENDER);
        }
        // The birthTime as a date, when it gives one to the day (its validity is checked
        // with all timestamps).
        let birth_time = patient
            .and_then(|p| p.child(Some(HL7), "birthTime"))
            .and_then(|n| {
                let ts = parse_hl7_ts(n.attr("value")?).ok()?;
                Some(((i32::from(ts.year()), ts.month()?, ts.day()?), XmlAt::of(n)))
            });
        let id = self.require(role, Some(HL7), "id")?;
        let id_root = self.require_attr(id, "root")?;
        let extension = self.require_attr(id, "extension")?;
        if id_root != HETU_ROOT {
            self.temporary_id_check(id, extension);
            if !is_temporary_id_root(id_root) {
                self.push(
                    finding(
                        "header.record-target",
                        Severity::Error,
                        msg!(
                            lang,
                            "asiakkaan tunnisteen juuren on oltava 1.2.246.21 (henkilötunnus) tai tilapäisen tunnisteen <organisaatio-OID>.22.<vuosi> (1.2.246.10.<y-tunnus> tai 1.2.246.537.10.<n>), ei {}",
                            "klientens identifierare ska ha roten 1.2.246.21 (personbeteckning) eller en tillfällig identifierares <organisations-OID>.22.<år> (1.2.246.10.<FO-nummer> eller 1.2.246.537.10.<n>), inte {}",
                            "the client's id root must be 1.2.246.21 (henkilötunnus) or a temporary identifier's <organisation OID>.22.<year> (1.2.246.10.<y-tunnus> or 1.2.246.537.10.<n>), not {}",
                            id_root
                        ),
                    ),
                    id,
                );
            }
            return birth_time;
        }
        let hetu = match parse_hetu(extension) {
            Ok(hetu) => hetu,
            Err(error) => {
                self.push(
                    finding(
                        "identifier.hetu",
                        Severity::Error,
                        msg!(
                            lang,
                            "asiakkaan henkilötunnus {} ei kelpaa: {}",
                            "klientens personbeteckning {} är ogiltig: {}",
                            "the client's henkilötunnus {} is not valid: {}",
                            mask(extension),
                            error
                        ),
                    ),
                    id,
                );
                return birth_time;
            }
        };
        // Authority: the henkilötunnus encodes the birth date (DDMMYY and the century
        // sign, Väestötietolaki 661/2009 and DVV's henkilötunnus rules), and HL7 CDA R2
        // `patient/birthTime` states it again. No published Kanta rule makes a difference
        // an error, so it is a WARNING (inferred consistency rule).
        if let Some((date, at)) = &birth_time
            && *date != hetu.birth_date()
        {
            let f = finding(
                "header.birth-time-hetu",
                Severity::Warning,
                msg!(
                    lang,
                    "recordTarget/patientRole/patient/birthTime ei ole sama päivä kuin asiakkaan henkilötunnuksen syntymäaika",
                    "recordTarget/patientRole/patient/birthTime är inte samma dag som födelsedatumet i klientens personbeteckning",
                    "recordTarget/patientRole/patient/birthTime is not the birth date the client's henkilötunnus encodes"
                ),
            );
            self.out.push(at.place(f));
        }
        if self.options.test_environment && !hetu.is_test() {
            self.push(
                finding(
                    "identifier.hetu.not-test",
                    Severity::Error,
                    msg!(
                        lang,
                        "testiympäristössä asiakkaan henkilötunnuksen yksilönumeron on oltava 900-999 ({})",
                        "i testmiljön ska klientens personbeteckning ha individnummer 900-999 ({})",
                        "in the test environment the client's henkilötunnus must have an individual number 900-999 ({})",
                        mask(extension)
                    ),
                ),
                id,
            );
        }
        let birth = birth_time
            .clone()
            .unwrap_or_else(|| (hetu.birth_date(), XmlAt::of(id)));
        let Some(effective) = effective else {
            return Some(birth);
        };
        let (year, month, day) = hetu.birth_date();
        let on = (
            i32::from(effective.year()),
            effective.month().unwrap_or(1),
            effective.day().unwrap_or(1),
        );
        let minor = on < (year + 18, month, day);
        let has_consent = root
            .child(Some(HL7), "authorization")
            .and_then(|a| a.child(Some(HL7), "consent"))
            .is_some();
        if minor && !has_consent {
            self.push(
                finding(
                    "header.consent-missing",
                    Severity::Warning,
                    msg!(
                        lang,
                        "asiakas on henkilötunnuksen mukaan alaikäinen, mutta authorization/consent (luovutus huoltajille) puuttuu",
                        "klienten är minderårig enligt personbeteckningen, men authorization/consent (utlämnande till vårdnadshavare) saknas",
                        "the client is a minor by the henkilötunnus, but authorization/consent (disclosure to guardians) is missing"
                    ),
                ),
                root,
            );
        }
        Some(birth)
    }

    /// A temporary identifier written in the shape of a henkilötunnus is expected to be
    /// one (a temporary henkilötunnus, individual number 900-999) with its check
    /// character right. Authority: inferred; the definitions only require the field, so a
    /// WARNING.
    fn temporary_id_check(&mut self, node: Node<'_>, value: &str) {
        if let Some(f) = temporary_id_finding(value, self.lang) {
            self.push(f, node);
        }
    }

    /// Author, custodian, consent and the encompassing encounter with its service unit.
    fn participants(&mut self, root: Node<'_>) {
        self.require(root, Some(HL7), "author");
        if let Some(custodian) = self.require(root, Some(HL7), "custodian") {
            match custodian_id(root) {
                Some(id) => {
                    self.require_attr(id, "root");
                }
                None => self.missing(
                    custodian,
                    "assignedCustodian/representedCustodianOrganization/id",
                ),
            }
        }
        if let Some(consent) = root
            .child(Some(HL7), "authorization")
            .and_then(|a| a.child(Some(HL7), "consent"))
        {
            self.optional_coded(consent, Some(HL7), "code", CONSENT);
        }
        let Some(component_of) = self.require(root, Some(HL7), "componentOf") else {
            return;
        };
        let Some(encounter) = self.require(component_of, Some(HL7), "encompassingEncounter") else {
            return;
        };
        match encounter.descendant(&[
            "encounterParticipant",
            "assignedEntity",
            "representedOrganization",
            "id",
        ]) {
            Some(unit) => {
                self.require_attr(unit, "root");
            }
            None => self.missing(
                encounter,
                "encounterParticipant/assignedEntity/representedOrganization/id",
            ),
        }
    }

    /// `ep2:localSocialHeader`: its required and optional children, and the consistency of
    /// specificDocumentType and documentGroup with contentSpecificationId.
    fn local_header(&mut self, root: Node<'_>, facts: &HeaderFacts) {
        let lang = self.lang;
        let Some(header) = self.require(root, Some(EP2), "localSocialHeader") else {
            return;
        };
        let ep2 = Some(EP2);
        if let Some(creation) = self.require(header, ep2, "creationTime") {
            self.instant(creation);
        }
        self.require_coded(header, ep2, "documentGroup", DOCUMENT_GROUP);
        self.require_coded(header, ep2, "fileFormat", FILE_FORMAT);
        self.require_coded(header, ep2, "structuredFileFormat", STRUCTURED_FILE_FORMAT);
        if let Some(software) = self.require(header, ep2, "softwareSupport") {
            for attr in ["moderator", "product", "version"] {
                self.require_attr(software, attr);
            }
        }
        self.optional_coded(header, ep2, "functionCode", SERVICE_TASK);
        self.require_coded(header, ep2, "recordStatus", RECORD_STATUS);
        self.require_coded(header, ep2, "registryType", REGISTRY_TYPE);
        if let Some(customer) = self.require(header, ep2, "outsourcingServiceCustomer") {
            self.require_attr(customer, "root");
        }
        if header
            .child(ep2, "outsourcingServiceCustomerName")
            .is_none_or(|n| n.text().trim().is_empty())
        {
            self.missing(header, "ep2:outsourcingServiceCustomerName");
        }
        self.require_coded(header, ep2, "totalRetentionPeriodClass", RETENTION);
        self.require_coded(header, ep2, "specialContent", YES_NO);
        if let Some(process) = header.child(ep2, "serviceProcess") {
            match phase_node(header) {
                Some(phase) => self.coded(phase, SERVICE_PROCESS),
                None => self.missing(process, "ep2:code"),
            }
        }

        let specification = self.content_specification(header, facts);
        let specific = header.child(ep2, "specificDocumentType");
        let document_type = is_document_type(specification);
        match specific {
            Some(node) => self.coded(node, DOCUMENT_TYPES),
            None if document_type => self.missing(header, "ep2:specificDocumentType"),
            None => {}
        }
        let Some(specification) = specification else {
            return;
        };
        if let (Some(node), true, Some(expected)) =
            (specific, document_type, type_code_of(specification))
            && let Some(code) = node.attr("code")
            && code != expected
        {
            self.push(
                finding(
                    "header.specific-type",
                    Severity::Error,
                    msg!(
                        lang,
                        "ep2:specificDocumentType/@code {0} ei vastaa contentSpecificationId:n {2} tyyppiä {1}",
                        "ep2:specificDocumentType/@code {0} motsvarar inte typen {1} i contentSpecificationId {2}",
                        "ep2:specificDocumentType/@code {0} does not equal the type {1} of contentSpecificationId {2}",
                        code,
                        expected,
                        specification
                    ),
                ),
                node,
            );
        }
        let expected = self.definitions.bindings.document_group_for(specification);
        if let Some(group) = header.child(ep2, "documentGroup")
            && let Some(code) = group.attr("code")
            && !expected.is_empty()
            && code != expected
        {
            self.push(
                finding(
                    "header.document-group",
                    Severity::Error,
                    msg!(
                        lang,
                        "ep2:documentGroup/@code {} ei sovi rakenteelle {}: odotettu asiakirjaryhmä on {}",
                        "ep2:documentGroup/@code {} passar inte strukturen {}: den väntade dokumentgruppen är {}",
                        "ep2:documentGroup/@code {} does not go with structure {}: the expected document group is {}",
                        code,
                        specification,
                        expected
                    ),
                ),
                group,
            );
        }
    }

    /// `ep2:contentSpecificationId`: required and a valid OID. Returns it when it is.
    fn content_specification<'f>(
        &mut self,
        header: Node<'_>,
        facts: &'f HeaderFacts,
    ) -> Option<&'f str> {
        let lang = self.lang;
        let node = self.require(header, Some(EP2), "contentSpecificationId")?;
        let Some(value) = facts.content_specification.as_deref() else {
            self.missing(node, "text()");
            return None;
        };
        if let Err(error) = check_oid(value) {
            self.push(
                finding(
                    "header.oid",
                    Severity::Error,
                    msg!(
                        lang,
                        "ep2:contentSpecificationId {} ei ole kelvollinen OID: {}",
                        "ep2:contentSpecificationId {} är inte en giltig OID: {}",
                        "ep2:contentSpecificationId {} is not a valid OID: {}",
                        mask_if_long(value),
                        error
                    ),
                ),
                node,
            );
            return None;
        }
        Some(value)
    }
}

/// An OID value for a message: shown as is unless it is long enough to be something else
/// pasted in by mistake.
fn mask_if_long(value: &str) -> String {
    if value.chars().count() <= 64 {
        value.to_string()
    } else {
        mask(value)
    }
}

/// Whether an organisation OID (`1.2.246.10.<arc>...`) carries a valid y-tunnus in its
/// fifth arc; other OIDs pass. The arc drops the y-tunnus's leading zeros and its hyphen
/// (0201256-6 is `2012566`).
fn ytunnus_arc_ok(oid: &str) -> bool {
    let Some(rest) = oid.strip_prefix(ORGANISATION_ROOT) else {
        return true;
    };
    let arc = rest.split('.').next().unwrap_or_default();
    if arc.is_empty() || arc.len() > 8 {
        return false;
    }
    let padded = format!("{arc:0>8}");
    check_ytunnus(&format!("{}-{}", &padded[..7], &padded[7..])).is_ok()
}

/// The WARNING on a temporary identifier that has the shape of a henkilötunnus but not a
/// right check character (see `Rules::temporary_id_check`), or none.
pub(crate) fn temporary_id_finding(value: &str, lang: Lang) -> Option<Finding> {
    if !crate::identifiers::looks_like_hetu(value) {
        return None;
    }
    let Err(crate::identifiers::HetuError::CheckCharacterMismatch) = parse_hetu(value) else {
        return None;
    };
    Some(finding(
        "identifier.temporary-id-check",
        Severity::Warning,
        msg!(
            lang,
            "tilapäinen tunniste {} on henkilötunnuksen muotoinen, mutta sen tarkistusmerkki on väärä",
            "den tillfälliga identifieraren {} har formen av en personbeteckning men fel kontrolltecken",
            "the temporary identifier {} has the shape of a henkilötunnus but a wrong check character",
            mask(value)
        ),
    ))
}

/// A health care CDA (Kanta's patient record header `hl7fi:localHeader`, or a
/// `structuredBody`) and no social welfare header: a document of the other side.
pub fn is_health_document(root: Node<'_>) -> bool {
    if root.child(Some(EP2), "localSocialHeader").is_some() {
        return false;
    }
    root.children().any(|c| c.local() == "localHeader")
        || root
            .child(Some(HL7), "component")
            .and_then(|c| c.child(Some(HL7), "structuredBody"))
            .is_some()
}

/// A BCP 47-like language tag: two or three letters, then `-` subtags of letters or digits.
fn is_language_tag(code: &str) -> bool {
    let mut parts = code.split('-');
    let primary = parts.next().unwrap_or_default();
    (2..=3).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

fn is_positive_integer(value: &str) -> bool {
    !value.is_empty() && !value.starts_with('0') && value.bytes().all(|b| b.is_ascii_digit())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::xml::{self, XmlLimits};

    #[test]
    fn system_matches_base_and_version_arcs() {
        assert!(system_matches("1.2.246.537.6.1505", DOCUMENT_GROUP));
        assert!(system_matches("1.2.246.537.6.1505.201601", DOCUMENT_GROUP));
        assert!(system_matches(
            "urn:oid:1.2.246.537.6.1222.201601",
            "1.2.246.537.6.1222"
        ));
        assert!(!system_matches("1.2.246.537.6.15050", DOCUMENT_GROUP));
        assert!(!system_matches("1.2.246.537.6.1505.", DOCUMENT_GROUP));
        assert!(!system_matches("1.2.246.537.6.1505.x1", DOCUMENT_GROUP));
        assert!(!system_matches("1.2.246.537.6.1506.201701", DOCUMENT_GROUP));
    }

    #[test]
    fn organisation_oid_ytunnus() {
        // Y-tunnus 0201256-6 written without its leading zero and hyphen.
        assert!(ytunnus_arc_ok("1.2.246.10.2012566.10.40"));
        assert!(ytunnus_arc_ok("1.2.246.10.32213561.10.0"));
        assert!(!ytunnus_arc_ok("1.2.246.10.2012567.10.40"));
        assert!(!ytunnus_arc_ok("1.2.246.10.123456789.10"));
        assert!(ytunnus_arc_ok("1.2.246.537.26"));
    }

    #[test]
    fn temporary_id_roots() {
        assert!(is_temporary_id_root("1.2.246.10.2012566.22.2026"));
        assert!(!is_temporary_id_root("1.2.246.10.2012566.95.2026"));
        assert!(!is_temporary_id_root(HETU_ROOT));
        // The SOTE organisation register arc, as in real health-side documents.
        assert!(is_temporary_id_root("1.2.246.537.10.15675350.22.2003"));
        assert!(!is_temporary_id_root("1.2.246.537.10.15675350.22.20x3"));
    }

    #[test]
    fn language_tags_and_versions() {
        assert!(is_language_tag("fi"));
        assert!(is_language_tag("FI"));
        assert!(is_language_tag("sv-FI"));
        assert!(!is_language_tag("suomi"));
        assert!(!is_language_tag("f"));
        assert!(is_positive_integer("1"));
        assert!(!is_positive_integer("0"));
        assert!(!is_positive_integer("01"));
        assert!(!is_positive_integer("1.0"));
    }

    #[test]
    fn phase_is_read_from_service_process_code() {
        let text = r#"<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:ep2="urn:hl7finland">
<ep2:localSocialHeader>
<ep2:functionCode code="24" codeSystem="1.2.246.537.6.1221.201601"/>
<ep2:serviceProcess><ep2:type>x</ep2:type><ep2:code code="3" codeSystem="1.2.246.537.6.1277.201701"/></ep2:serviceProcess>
</ep2:localSocialHeader>
</ClinicalDocument>"#;
        let doc = xml::parse(text.as_bytes(), &XmlLimits::default()).unwrap();
        let facts = read_facts(doc.root());
        assert_eq!(facts.service_task.as_deref(), Some("24"));
        assert_eq!(facts.phase.as_deref(), Some("3"));
        assert_eq!(facts.phase_at.as_ref().map(|a| a.line), Some(4));
        assert_eq!(facts.service_task_at.as_ref().map(|a| a.line), Some(3));
    }

    #[test]
    fn debug_hides_the_hetu() {
        let facts = HeaderFacts {
            record_target_hetu: Some("010190-999K".into()),
            ..HeaderFacts::default()
        };
        let shown = format!("{facts:?}");
        assert!(!shown.contains("999K"));
        assert!(shown.contains("<masked>"));
    }
}
