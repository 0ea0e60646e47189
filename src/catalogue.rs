//! The rule catalogue: every rule id the engine can emit, with its family, default
//! severity, what it checks, its authority (the public document it comes from, or
//! `inferred` when the project inferred it from example documents) and a passing and a
//! failing example.
//!
//! One entry per rule in [`RULES`]; `rakenne rules`, the `ListRules` RPC and
//! `docs/RULES.md` are all made from it. `tests/suite/rules.rs` checks that every rule a fixture
//! emits is here and that every entry here is emitted by some fixture, and that an
//! inferred rule is at most a WARNING. The engine enforces the last point too: a finding of
//! an inferred rule is lowered to WARNING when it is pushed (see [`Findings::push`]).
//!
//! To add a rule, add one [`Rule`] literal to [`RULES`] (any place; listings sort by id),
//! then regenerate `docs/RULES.md` with `rakenne rules --output md > docs/RULES.md`.
//!
//! [`Findings::push`]: crate::findings::Findings::push

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::OnceLock;

use serde::Serialize;

use crate::findings::Severity;

/// Where a rule comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "source", rename_all = "snake_case")]
pub enum Authority {
    /// A public document: a standard (XML 1.0, RFC 8259, HL7 CDA R2), a Kanta or THL
    /// specification, a Sosmeta schema keyword or annotation, a classification.
    Published(&'static str),
    /// Inferred by the project from example documents, not a published rule: at most a
    /// WARNING.
    Inferred(&'static str),
    /// Only an organisation's own bindings layer makes the rule (so it is as binding as the
    /// organisation says).
    Organisation(&'static str),
    /// A resource limit of rakenne itself (no conformance claim about the document).
    Limit(&'static str),
}

impl Authority {
    pub fn kind(self) -> &'static str {
        match self {
            Self::Published(_) => "published",
            Self::Inferred(_) => "inferred",
            Self::Organisation(_) => "organisation",
            Self::Limit(_) => "limit",
        }
    }

    pub fn source(self) -> &'static str {
        match self {
            Self::Published(s) | Self::Inferred(s) | Self::Organisation(s) | Self::Limit(s) => s,
        }
    }

    pub fn is_inferred(self) -> bool {
        matches!(self, Self::Inferred(_))
    }
}

/// One rule of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// The stable id findings carry, e.g. `content.required`.
    pub id: &'static str,
    /// The severity the engine gives it (an organisation layer may re-grade it).
    pub severity: Severity,
    /// What it checks, in one or two sentences.
    pub checks: &'static str,
    pub authority: Authority,
    /// A short passing example.
    pub pass: &'static str,
    /// A short failing example.
    pub fail: &'static str,
}

impl Rule {
    /// The family: the part of the id before the first dot (`xml`, `content`, ...).
    pub fn family(&self) -> &'static str {
        self.id.split('.').next().unwrap_or(self.id)
    }
}

/// The family names, in the order the README lists them.
pub const FAMILIES: &[&str] = &[
    "xml",
    "base64",
    "json",
    "header",
    "frame",
    "binding",
    "content",
    "identifier",
];

// Authorities used by several rules.
const XML_1_0: &str = "XML 1.0 (W3C Recommendation, fifth edition): well-formedness constraints";
const RFC_8259: &str = "RFC 8259 (The JSON Data Interchange Format)";
const RFC_4648: &str = "RFC 4648 section 4 (base64 alphabet and padding)";
const KANTA_CDA: &str = "Kanta: Sosiaalihuollon asiakasasiakirjojen CDA R2 -rakenne";
const KANTA_FRAME: &str =
    "Kanta: Sosiaalihuollon asiakastiedon arkisto, arkistointisanoma RCMR_IN200002FI01 (HL7 V3)";
const HETU: &str = "Väestötietojärjestelmä: henkilötunnus (laki 128/2010 / DVV): date, century sign, individual number 002-999, check character";
const JSON_SCHEMA: &str = "THL Sosmeta: the structure's JSON Schema (draft-07)";

/// Every rule the engine can emit.
pub static RULES: &[Rule] = &[
    // ---- xml: reading the CDA document --------------------------------------------------
    Rule {
        id: "xml.not-well-formed",
        severity: Severity::Error,
        checks: "The document (or frame) is well-formed XML: one root, matched tags, valid names and references.",
        authority: Authority::Published(XML_1_0),
        pass: "<ClinicalDocument xmlns=\"urn:hl7-org:v3\">...</ClinicalDocument>",
        fail: "<ClinicalDocument xmlns=\"urn:hl7-org:v3\"><id root=\"1.2\"/> (cut off)",
    },
    Rule {
        id: "xml.doctype",
        severity: Severity::Error,
        checks: "The document has no DOCTYPE: DTDs and entity declarations are refused, so nothing is expanded or fetched.",
        authority: Authority::Published(
            "HL7 CDA R2: documents are validated against the CDA XML Schema, not a DTD (a DOCTYPE has no place in a CDA document)",
        ),
        pass: "<?xml version=\"1.0\"?><ClinicalDocument ...>",
        fail: "<!DOCTYPE x [<!ENTITY e \"...\">]><ClinicalDocument ...>",
    },
    Rule {
        id: "xml.encoding",
        severity: Severity::Error,
        checks: "The document is UTF-8 (or UTF-16 with a byte order mark) and declares no other encoding.",
        authority: Authority::Published(
            "XML 1.0 section 4.3.3 (character encoding in entities); HL7 CDA R2 documents in UTF-8",
        ),
        pass: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
        fail: "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?> with Latin-1 bytes",
    },
    Rule {
        id: "xml.invalid-character",
        severity: Severity::Error,
        checks: "Every character, literal or referenced, is one XML 1.0 allows (the Char production).",
        authority: Authority::Published("XML 1.0 section 2.2 (Characters)"),
        pass: "<title>Suunnitelma</title>",
        fail: "<title>&#0;</title>",
    },
    Rule {
        id: "xml.undefined-entity",
        severity: Severity::Error,
        checks: "Entity references are only the five predefined ones (amp, lt, gt, quot, apos) or character references.",
        authority: Authority::Published("XML 1.0 section 4.1 (WFC: Entity Declared)"),
        pass: "<title>A &amp; B</title>",
        fail: "<title>&nbsp;</title>",
    },
    Rule {
        id: "xml.namespace",
        severity: Severity::Error,
        checks: "Every namespace prefix is declared, and the reserved xml/xmlns prefixes are used as specified.",
        authority: Authority::Published(
            "Namespaces in XML 1.0 (W3C), section 5 (namespace constraints)",
        ),
        pass: "<ep2:localSocialHeader xmlns:ep2=\"urn:hl7finland\"/>",
        fail: "<ep2:localSocialHeader/> (ep2 not declared)",
    },
    Rule {
        id: "xml.duplicate-attribute",
        severity: Severity::Error,
        checks: "No element has the same attribute twice (also through two prefixes bound to one namespace).",
        authority: Authority::Published(
            "XML 1.0 section 3.1 (WFC: Unique Att Spec); Namespaces in XML 1.0 section 6.3",
        ),
        pass: "<id root=\"1.2.246\"/>",
        fail: "<id root=\"1.2.246\" root=\"1.2.247\"/>",
    },
    Rule {
        id: "xml.too-deep",
        severity: Severity::Error,
        checks: "Elements are nested no deeper than --max-xml-depth (default 256).",
        authority: Authority::Limit("rakenne limit --max-xml-depth"),
        pass: "a CDA document (nesting depth about 10)",
        fail: "300 nested <a> elements",
    },
    Rule {
        id: "xml.too-many-attributes",
        severity: Severity::Error,
        checks: "No element has more than 256 attributes.",
        authority: Authority::Limit("rakenne fixed limit: 256 attributes per element"),
        pass: "<id root=\"1.2.246\" extension=\"1\"/>",
        fail: "<id a0=\"\" a1=\"\" ... a256=\"\"/>",
    },
    Rule {
        id: "xml.too-large",
        severity: Severity::Error,
        checks: "One XML input (document, frame or decoded display form) is no larger than the XML reader's limit of 64 MiB (documents over --max-document-bytes are refused before reading).",
        authority: Authority::Limit("rakenne fixed limit: 64 MiB per XML input"),
        pass: "a document of a few kilobytes",
        fail: "a display form decoding to over 64 MiB of XHTML",
    },
    Rule {
        id: "xml.text-too-large",
        severity: Severity::Error,
        checks: "The text of one element is no larger than 32 MiB.",
        authority: Authority::Limit("rakenne fixed limit: 32 MiB of text per element"),
        pass: "<ep2:json>eyJ...</ep2:json> of a few kilobytes",
        fail: "one element with 33 MiB of text",
    },
    Rule {
        id: "xml.not-cda",
        severity: Severity::Error,
        checks: "The root element is ClinicalDocument in namespace urn:hl7-org:v3.",
        authority: Authority::Published(
            "HL7 CDA R2: POCD_HD000040 ClinicalDocument (namespace urn:hl7-org:v3)",
        ),
        pass: "<ClinicalDocument xmlns=\"urn:hl7-org:v3\">",
        fail: "<Document xmlns=\"urn:example\">",
    },
    Rule {
        id: "xml.body-missing",
        severity: Severity::Error,
        checks: "The document has component/nonXMLBody.",
        authority: Authority::Published(KANTA_CDA),
        pass: "<component><nonXMLBody ID=\"OID1.2.246...\">...</nonXMLBody></component>",
        fail: "<component><structuredBody>...</structuredBody></component>",
    },
    Rule {
        id: "xml.display-missing",
        severity: Severity::Error,
        checks: "nonXMLBody has its display form (text).",
        authority: Authority::Published(KANTA_CDA),
        pass: "<nonXMLBody><text mediaType=\"application/xhtml+xml\" representation=\"B64\">...</text><ep2:json>...</ep2:json></nonXMLBody>",
        fail: "<nonXMLBody><ep2:json>...</ep2:json></nonXMLBody>",
    },
    Rule {
        id: "xml.content-missing",
        severity: Severity::Error,
        checks: "nonXMLBody has the structured content (ep2:json).",
        authority: Authority::Published(KANTA_CDA),
        pass: "<nonXMLBody><text ...>...</text><ep2:json>eyJ...</ep2:json></nonXMLBody>",
        fail: "<nonXMLBody><text ...>...</text></nonXMLBody>",
    },
    Rule {
        id: "xml.display-media-type",
        severity: Severity::Error,
        checks: "The display form's mediaType is application/xhtml+xml.",
        authority: Authority::Published(
            "Kanta: Sosiaalihuollon asiakasasiakirjojen CDA R2 -rakenne; classification 1.2.246.537.6.1502 Näyttömuodon formaatti (2 XHTML_1.1)",
        ),
        pass: "<text mediaType=\"application/xhtml+xml\" representation=\"B64\">",
        fail: "<text mediaType=\"text/html\" representation=\"B64\">",
    },
    Rule {
        id: "xml.display-representation",
        severity: Severity::Error,
        checks: "The display form's representation is B64.",
        authority: Authority::Published(KANTA_CDA),
        pass: "<text mediaType=\"application/xhtml+xml\" representation=\"B64\">",
        fail: "<text mediaType=\"application/xhtml+xml\" representation=\"TXT\">",
    },
    Rule {
        id: "xml.display-not-well-formed",
        severity: Severity::Error,
        checks: "The decoded display form is well-formed XHTML.",
        authority: Authority::Published(
            "XHTML 1.1 (W3C) / XML 1.0 well-formedness; classification 1.2.246.537.6.1502 Näyttömuodon formaatti (2 XHTML_1.1)",
        ),
        pass: "base64 of <html xmlns=\"http://www.w3.org/1999/xhtml\"><body/></html>",
        fail: "base64 of <html><body>",
    },
    // ---- base64 --------------------------------------------------------------------------
    Rule {
        id: "base64.content",
        severity: Severity::Error,
        checks: "ep2:json is valid base64 (white space allowed between characters).",
        authority: Authority::Published(RFC_4648),
        pass: "<ep2:json>eyJhIjoxfQ==</ep2:json>",
        fail: "<ep2:json>eyJhIjoxfQ=*</ep2:json>",
    },
    Rule {
        id: "base64.display",
        severity: Severity::Error,
        checks: "The display form (text, representation B64) is valid base64.",
        authority: Authority::Published(RFC_4648),
        pass: "<text representation=\"B64\">PGh0bWwvPg==</text>",
        fail: "<text representation=\"B64\">PGh0bWwvPg%=</text>",
    },
    // ---- json: reading the structured content -----------------------------------------
    Rule {
        id: "json.syntax",
        severity: Severity::Error,
        checks: "The content (bare or decoded from ep2:json) is JSON text, with numbers in range.",
        authority: Authority::Published(RFC_8259),
        pass: "{\"asiakas\": {}}",
        fail: "{\"asiakas\": {",
    },
    Rule {
        id: "json.encoding",
        severity: Severity::Error,
        checks: "The content is UTF-8.",
        authority: Authority::Published(
            "RFC 8259 section 8.1 (JSON text exchanged between systems shall be UTF-8)",
        ),
        pass: "{\"nimi\": \"Meikäläinen\"} in UTF-8",
        fail: "the same text in ISO-8859-1",
    },
    Rule {
        id: "json.too-deep",
        severity: Severity::Error,
        checks: "Arrays and objects are nested no deeper than --max-json-depth (default 64).",
        authority: Authority::Limit("rakenne limit --max-json-depth"),
        pass: "{\"a\": {\"b\": [1]}}",
        fail: "[[[[...]]]] 100 levels deep",
    },
    Rule {
        id: "json.duplicate-key",
        severity: Severity::Error,
        checks: "No object has the same key twice (readers disagree on what that means, so the document is unreadable).",
        authority: Authority::Published(
            "RFC 8259 section 4 (the names within an object SHOULD be unique; behaviour otherwise unpredictable)",
        ),
        pass: "{\"a\": 1, \"b\": 2}",
        fail: "{\"a\": 1, \"a\": 2}",
    },
    // ---- header: the Kanta CDA header ----------------------------------------------------
    Rule {
        id: "header.missing",
        severity: Severity::Error,
        checks: "A required header element or attribute is present and not blank (typeId, id, code, effectiveTime, confidentialityCode, recordTarget, author, custodian, ep2:localSocialHeader and its required entries).",
        authority: Authority::Published(
            "HL7 CDA R2 (POCD_HD000040 cardinalities); Kanta: Sosiaalihuollon asiakasasiakirjojen CDA R2 -rakenne (localSocialHeader)",
        ),
        pass: "<effectiveTime value=\"20240101120000+0200\"/>",
        fail: "no effectiveTime element",
    },
    Rule {
        id: "header.value",
        severity: Severity::Error,
        checks: "A header attribute with a fixed or typed value has it: realmCode FI, typeId POCD_HD000040 / 2.16.840.1.113883.1.3, languageCode a language tag, versionNumber a positive whole number.",
        authority: Authority::Published(
            "HL7 CDA R2 (typeId, languageCode CS, versionNumber INT); Kanta: Sosiaalihuollon asiakasasiakirjojen CDA R2 -rakenne (realmCode FI)",
        ),
        pass: "<realmCode code=\"FI\"/>",
        fail: "<realmCode code=\"SE\"/>",
    },
    Rule {
        id: "header.code-system",
        severity: Severity::Error,
        checks: "A coded header element names the classification the Kanta profile gives it in codeSystem.",
        authority: Authority::Published(
            "Kanta: Sosiaalihuollon asiakasasiakirjojen CDA R2 -rakenne (the classification of each coded header element, e.g. 1.2.246.777.5.99902.2006 Asiakirjan luottamuksellisuus)",
        ),
        pass: "<confidentialityCode code=\"6\" codeSystem=\"1.2.246.777.5.99902.2006\"/>",
        fail: "<confidentialityCode code=\"6\" codeSystem=\"2.16.840.1.113883.5.25\"/>",
    },
    Rule {
        id: "header.code-unknown",
        severity: Severity::Error,
        checks: "A coded header element's code is in its classification, when the loaded list is complete.",
        authority: Authority::Published(
            "The classification named by codeSystem (THL Koodistopalvelu), e.g. 1.2.246.537.5.1.1997 Sukupuoli",
        ),
        pass: "<administrativeGenderCode code=\"2\" codeSystem=\"1.2.246.537.5.1.1997\"/>",
        fail: "<administrativeGenderCode code=\"9\" codeSystem=\"1.2.246.537.5.1.1997\"/> with the full list loaded",
    },
    Rule {
        id: "header.code-unlisted",
        severity: Severity::Warning,
        checks: "A coded header element's code is not in the loaded list of its classification, which is known to be incomplete: load the full list to check it.",
        authority: Authority::Published(
            "The classification named by codeSystem (THL Koodistopalvelu), e.g. 1.2.246.537.6.1277 Sosiaalihuollon palveluprosessi",
        ),
        pass: "<ep2:serviceProcess><ep2:code code=\"3\" codeSystem=\"1.2.246.537.6.1277\"/>",
        fail: "<ep2:serviceProcess><ep2:code code=\"2\" codeSystem=\"1.2.246.537.6.1277\"/> (2 not in the embedded list)",
    },
    Rule {
        id: "header.code-null",
        severity: Severity::Error,
        checks: "The general document type code is given (not a nullFlavor) on document types (structures under 1.2.246.537.6.1506); nullFlavor is for case and client-relationship documents (1505).",
        authority: Authority::Published(
            "Kanta: Sosiaalihuollon asiakasasiakirjojen CDA R2 -rakenne; classification 1.2.246.537.6.1506 Asiakasasiakirjatyyppi",
        ),
        pass: "<code code=\"15\" codeSystem=\"1.2.246.537.6.1506\"/> on a Suunnitelma",
        fail: "<code nullFlavor=\"NA\"/> on a Suunnitelma",
    },
    Rule {
        id: "header.oid",
        severity: Severity::Error,
        checks: "An OID in the header (id, setId, custodian, contentSpecificationId, ...) is dot-separated arcs of digits without leading zeros.",
        authority: Authority::Published(
            "ITU-T X.660 / ISO/IEC 9834-1 (object identifier arcs); HL7 CDA R2 II.root",
        ),
        pass: "<setId root=\"1.2.246.10.1234567.95.2024.1\"/>",
        fail: "<setId root=\"1.2.246.010.1234567\"/>",
    },
    Rule {
        id: "header.oid-ytunnus",
        severity: Severity::Warning,
        checks: "An organisation OID of the 1.2.246.10.<y-tunnus> arc carries a y-tunnus with a valid check digit.",
        authority: Authority::Published(
            "Yritys- ja yhteisötunnus (PRH/Vero) check digit; Finnish OID arc 1.2.246.10 (organisations by y-tunnus)",
        ),
        pass: "<id root=\"1.2.246.10.12345671.10.0\"/> (y-tunnus 1234567-1 is valid)",
        fail: "<id root=\"1.2.246.10.12301.10.0\"/> (y-tunnus 0001230-1; its check digit is 0)",
    },
    Rule {
        id: "header.timestamp",
        severity: Severity::Error,
        checks: "An HL7 timestamp (TS) in the header is a real date and time (no 30 February, hour 25).",
        authority: Authority::Published("HL7 V3 data types (TS: YYYYMMDDHHMMSS[+-ZZzz])"),
        pass: "<effectiveTime value=\"20240229120000+0200\"/>",
        fail: "<effectiveTime value=\"20230230120000+0200\"/>",
    },
    Rule {
        id: "header.timestamp-precision",
        severity: Severity::Warning,
        checks: "effectiveTime and creationTime are given to the second with a time zone.",
        authority: Authority::Inferred(
            "inferred from Kanta test documents (every one gives both instants to the second with a zone)",
        ),
        pass: "<ep2:creationTime value=\"20240101120000+0200\"/>",
        fail: "<ep2:creationTime value=\"20240101\"/>",
    },
    Rule {
        id: "header.record-target",
        severity: Severity::Error,
        checks: "The client's id (recordTarget/patientRole/id) is a henkilötunnus (root 1.2.246.21) or a temporary identifier of an organisation arc (1.2.246.10.<y-tunnus>.22.<year>).",
        authority: Authority::Published(
            "Kanta: Sosiaalihuollon asiakasasiakirjojen CDA R2 -rakenne (recordTarget); Väestötietojärjestelmä: henkilötunnus root 1.2.246.21",
        ),
        pass: "<id root=\"1.2.246.21\" extension=\"010190-999W\"/>",
        fail: "<id root=\"1.2.3.4\" extension=\"x\"/>",
    },
    Rule {
        id: "header.consent-missing",
        severity: Severity::Warning,
        checks: "A minor client (by the henkilötunnus on the document date) has authorization/consent (disclosure to guardians, classification 1.2.246.537.6.1286).",
        authority: Authority::Inferred(
            "inferred from Kanta test documents, read against classification 1.2.246.537.6.1286 Luovutus huoltajille",
        ),
        pass: "an adult client, or <authorization><consent>...</consent></authorization>",
        fail: "client born 2015, no authorization/consent",
    },
    Rule {
        id: "header.specific-type",
        severity: Severity::Error,
        checks: "ep2:specificDocumentType equals the type arc of ep2:contentSpecificationId (and is present on document types).",
        authority: Authority::Published(
            "Kanta: Sosiaalihuollon asiakasasiakirjojen CDA R2 -rakenne (specificDocumentType, contentSpecificationId); classification 1.2.246.537.6.1506 Asiakasasiakirjatyyppi",
        ),
        pass: "specificDocumentType 15007 with contentSpecificationId 1.2.246.537.6.1506.15007.2024.11.28",
        fail: "specificDocumentType 15009 with contentSpecificationId 1.2.246.537.6.1506.15007.2024.11.28",
    },
    Rule {
        id: "header.document-group",
        severity: Severity::Warning,
        checks: "ep2:documentGroup goes with the structure: 1 (Asiakkuusasiakirja) with 1.2.246.537.6.1505.1, 5 (later-phase document) with other structures.",
        authority: Authority::Inferred(
            "inferred from Kanta test documents, read against classification 1.2.246.537.6.1505 Asiakirjaryhmä",
        ),
        pass: "documentGroup 1 on an Asiakkuusasiakirja (1505.1)",
        fail: "documentGroup 5 on an Asiakkuusasiakirja (1505.1)",
    },
    Rule {
        id: "header.body-id",
        severity: Severity::Error,
        checks: "nonXMLBody/@ID is \"OID\" followed by the document id.",
        authority: Authority::Published(KANTA_CDA),
        pass: "<id root=\"1.2.246.10.1234567.95.1\"/> ... <nonXMLBody ID=\"OID1.2.246.10.1234567.95.1\">",
        fail: "<nonXMLBody ID=\"OID1.2.246.10.1234567.95.2\"> (another document)",
    },
    Rule {
        id: "header.hetu-not-in-content",
        severity: Severity::Error,
        checks: "The header's client henkilötunnus is a client's (asiakas) henkilötunnus in the content; a WARNING when the content gives none.",
        authority: Authority::Published(
            "Kanta: Sosiaalihuollon asiakasasiakirjojen CDA R2 -rakenne (recordTarget is the document's client); THL Sosmeta: the structure's asiakas element",
        ),
        pass: "recordTarget 010190-999W, content asiakas/henkilotunnus 010190-999W",
        fail: "recordTarget 010190-999W, content asiakas/henkilotunnus 020290-998X",
    },
    Rule {
        id: "header.structure-version-unknown",
        severity: Severity::Error,
        checks: "ep2:contentSpecificationId names a structure version of the catalog; if not, the content is checked against the newest version with its root key.",
        authority: Authority::Published(
            "Kanta: Sosiaalihuollon asiakasasiakirjojen CDA R2 -rakenne (contentSpecificationId); THL Sosmeta: published structure OIDs 1.2.246.537.6.1506.<type>.<Y>.<M>.<D>",
        ),
        pass: "contentSpecificationId 1.2.246.537.6.1506.15007.2024.11.28",
        fail: "contentSpecificationId 1.2.246.537.6.1506.15007.2099.1.1",
    },
    // ---- frame: the archiving frame ------------------------------------------------------
    Rule {
        id: "frame.unreadable",
        severity: Severity::Error,
        checks: "The frame is readable XML.",
        authority: Authority::Published(XML_1_0),
        pass: "<RCMR_IN200002FI01 xmlns=\"urn:hl7-org:v3\">...</RCMR_IN200002FI01>",
        fail: "<RCMR_IN200002FI01 xmlns=\"urn:hl7-org:v3\"> (cut off)",
    },
    Rule {
        id: "frame.root",
        severity: Severity::Error,
        checks: "The frame's root element is RCMR_IN200002FI01.",
        authority: Authority::Published(KANTA_FRAME),
        pass: "<RCMR_IN200002FI01 xmlns=\"urn:hl7-org:v3\">",
        fail: "<ClinicalDocument xmlns=\"urn:hl7-org:v3\"> given as the frame",
    },
    Rule {
        id: "frame.clinical-document",
        severity: Severity::Error,
        checks: "The frame has controlActProcess/subject/clinicalDocument.",
        authority: Authority::Published(KANTA_FRAME),
        pass: "<controlActProcess><subject><clinicalDocument>...</clinicalDocument></subject></controlActProcess>",
        fail: "<controlActProcess/>",
    },
    Rule {
        id: "frame.document-id",
        severity: Severity::Error,
        checks: "The frame's clinicalDocument/id/@root equals the document's id.",
        authority: Authority::Published(KANTA_FRAME),
        pass: "frame id root = document id root",
        fail: "frame id root 1.2.246.10.1234567.95.2, document 1.2.246.10.1234567.95.1",
    },
    Rule {
        id: "frame.set-id",
        severity: Severity::Error,
        checks: "The frame's clinicalDocument/setId/@root equals the document's setId.",
        authority: Authority::Published(KANTA_FRAME),
        pass: "frame setId root = document setId root",
        fail: "frame setId root differs from the document's",
    },
    Rule {
        id: "frame.hetu",
        severity: Severity::Error,
        checks: "The frame names the document's client (clinicalDocument/recordTarget/patient/id) with the same henkilötunnus.",
        authority: Authority::Published(KANTA_FRAME),
        pass: "frame patient id 010190-999W, document recordTarget 010190-999W",
        fail: "frame patient id 020290-998X, document recordTarget 010190-999W",
    },
    Rule {
        id: "frame.reason-code",
        severity: Severity::Error,
        checks: "controlActProcess has a service request (reasonCode of 1.2.246.537.6.1503) with a code.",
        authority: Authority::Published(
            "Kanta: arkistointisanoma RCMR_IN200002FI01; classification 1.2.246.537.6.1503 Arkistosanomien palvelupyynnöt",
        ),
        pass: "<reasonCode code=\"SP17\" codeSystem=\"1.2.246.537.6.1503.201601\"/>",
        fail: "no reasonCode of 1.2.246.537.6.1503",
    },
    Rule {
        id: "frame.reason-group",
        severity: Severity::Warning,
        checks: "The service request fits the document group: SP1 with group 1 (client-relationship document), SP17 with other groups.",
        authority: Authority::Inferred(
            "inferred from the code names of 1.2.246.537.6.1503 Arkistosanomien palvelupyynnöt and Kanta test frames",
        ),
        pass: "SP17 for a Suunnitelma (group 5)",
        fail: "SP1 for a Suunnitelma (group 5)",
    },
    Rule {
        id: "frame.code-unknown",
        severity: Severity::Error,
        checks: "A frame reasonCode is in its classification, when the loaded list is complete.",
        authority: Authority::Published(
            "classifications 1.2.246.537.6.1503 Arkistosanomien palvelupyynnöt and 1.2.246.537.6.1289 Arkiston käyttötilanne (THL Koodistopalvelu)",
        ),
        pass: "<reasonCode code=\"SP17\" codeSystem=\"1.2.246.537.6.1503.201601\"/>",
        fail: "<reasonCode code=\"SP99\" codeSystem=\"1.2.246.537.6.1503.201601\"/> with the full list loaded",
    },
    Rule {
        id: "frame.code-unlisted",
        severity: Severity::Warning,
        checks: "A frame reasonCode is not in the loaded (incomplete) list of its classification: load the full list to check it.",
        authority: Authority::Published(
            "classifications 1.2.246.537.6.1503 Arkistosanomien palvelupyynnöt and 1.2.246.537.6.1289 Arkiston käyttötilanne (THL Koodistopalvelu)",
        ),
        pass: "<reasonCode code=\"1\" codeSystem=\"1.2.246.537.6.1289.201901\"/>",
        fail: "<reasonCode code=\"2\" codeSystem=\"1.2.246.537.6.1289.201901\"/> (2 not in the embedded list)",
    },
    // ---- binding: service task, process phase, social services ---------------------------
    Rule {
        id: "binding.service-task",
        severity: Severity::Error,
        checks: "The service task (functionCode) is one the bindings allow for the structure.",
        authority: Authority::Published(
            "THL Sosmeta: documentSubject of the structure, read against classification 1.2.246.537.6.1221 Sosiaalihuolto - Palvelutehtävä (and the organisation's bindings layer, which may narrow it)",
        ),
        pass: "service task 10 on a Lastensuojelun ... structure",
        fail: "service task 24 on a Lastensuojelun ... structure",
    },
    Rule {
        id: "binding.phase",
        severity: Severity::Warning,
        checks: "The process phase (serviceProcess) is the one expected for the structure's family: phase 3 Asiakkuuden suunnittelu for Suunnitelma. A hint (WARNING) nationally; an ERROR only where the organisation's bindings layer makes it a hard rule.",
        authority: Authority::Organisation(
            "the bindings layers in force: the national layer's expected phase (3 for Suunnitelma) is inferred from Kanta test documents, read against classification 1.2.246.537.6.1277 Sosiaalihuollon palveluprosessi, and can only be a hint (WARNING; the national layer refuses \"error\"); an organisation's own layer may make it a rule (severity \"error\")",
        ),
        pass: "a Suunnitelma in phase 3",
        fail: "a Suunnitelma in phase 2",
    },
    Rule {
        id: "binding.phase-missing",
        severity: Severity::Error,
        checks: "The process phase is given when the organisation's bindings layer makes the expected phase a hard rule.",
        authority: Authority::Organisation(
            "the organisation's bindings layer (a phase binding with severity \"error\")",
        ),
        pass: "serviceProcess 3 under an organisation rule phases [\"3\"]",
        fail: "no serviceProcess under an organisation rule phases [\"3\"]",
    },
    Rule {
        id: "binding.social-service",
        severity: Severity::Error,
        checks: "In 1.2.246.537.6.1506.19008, the social services (1.2.246.537.6.1222) are those allowed with the service task: task 10 only 2, 24, 31; task 20 only 24, 37, 55, 85, 93, 94.",
        authority: Authority::Published(
            "THL Sosmeta: implementationNote of 1.2.246.537.6.1506.19008 Merkintä rajoitustoimenpiteestä, read against classifications 1.2.246.537.6.1221 Sosiaalihuolto - Palvelutehtävä and 1.2.246.537.6.1222 Sosiaalihuolto - Sosiaalipalvelut",
        ),
        pass: "service task 10 with social service 24",
        fail: "service task 10 with social service 37",
    },
    // ---- content: the structured content against its structure ---------------------------
    Rule {
        id: "content.structure-unknown",
        severity: Severity::Info,
        checks: "The content can be tied to a national structure (declared contentSpecificationId or the root key); if not, the document is an own template and the nearest structures are given.",
        authority: Authority::Published(
            "THL Sosmeta: the catalogue of national structures (root key and OID of each)",
        ),
        pass: "{\"lapsiperheiden_palvelujen_asiakassuunnitelma\": {...}}",
        fail: "{\"oma_lomake\": {...}}",
    },
    Rule {
        id: "content.schema-compile",
        severity: Severity::Error,
        checks: "The structure's JSON Schema compiles (a broken definition loaded with --definitions).",
        authority: Authority::Published(
            "JSON Schema draft-07 (json-schema.org); THL Sosmeta structure file",
        ),
        pass: "any embedded structure",
        fail: "a definition whose pattern is not a valid regular expression",
    },
    Rule {
        id: "content.required",
        severity: Severity::Error,
        checks: "A required element (JSON Schema required; sosmeta.required) is present.",
        authority: Authority::Published(
            "THL Sosmeta: the structure's JSON Schema (draft-07) keyword required; sosmeta.required of the element",
        ),
        pass: "{\"asiakas\": {\"sukunimi\": \"M\", \"etunimet\": \"A\"}}",
        fail: "{\"asiakas\": {\"sukunimi\": \"M\"}} (etunimet required)",
    },
    Rule {
        id: "content.undefined",
        severity: Severity::Error,
        checks: "No element outside the structure's definition (additionalProperties: false).",
        authority: Authority::Published(
            "THL Sosmeta: the structure's JSON Schema (draft-07) keyword additionalProperties: false",
        ),
        pass: "{\"asiakas\": {\"sukunimi\": \"M\"}}",
        fail: "{\"asiakas\": {\"sukunimi\": \"M\", \"lempinimi\": \"X\"}}",
    },
    Rule {
        id: "content.type",
        severity: Severity::Error,
        checks: "A value has the JSON type its representation gives (object, array, string, boolean, number).",
        authority: Authority::Published(
            "THL Sosmeta: the structure's JSON Schema (draft-07) keyword type; sosmeta.representation",
        ),
        pass: "\"paivamaara\": \"2024-01-31\"",
        fail: "\"paivamaara\": 20240131",
    },
    Rule {
        id: "content.pattern",
        severity: Severity::Error,
        checks: "A string matches its pattern (Pvm, Hetki, a Koodi's system urn:oid:<classification>).",
        authority: Authority::Published(
            "THL Sosmeta: the structure's JSON Schema (draft-07) keyword pattern",
        ),
        pass: "\"system\": \"urn:oid:1.2.246.537.6.1221.201601\"",
        fail: "\"system\": \"1.2.246.537.6.1221\"",
    },
    Rule {
        id: "content.min-length",
        severity: Severity::Error,
        checks: "A string is at least minLength characters (required text is not empty).",
        authority: Authority::Published(
            "THL Sosmeta: the structure's JSON Schema (draft-07) keyword minLength",
        ),
        pass: "\"sukunimi\": \"Meikäläinen\"",
        fail: "\"sukunimi\": \"\"",
    },
    Rule {
        id: "content.min-items",
        severity: Severity::Error,
        checks: "An array has at least minItems values (a required repeatable element is not empty).",
        authority: Authority::Published(
            "THL Sosmeta: the structure's JSON Schema (draft-07) keyword minItems; sosmeta.repeatable",
        ),
        pass: "\"asiakas\": [{...}]",
        fail: "\"asiakas\": []",
    },
    Rule {
        id: "content.enum",
        severity: Severity::Error,
        checks: "A value is one of the element's enum values (fixed codes, Fraasi texts).",
        authority: Authority::Published(
            "THL Sosmeta: the structure's JSON Schema (draft-07) keyword enum; sosmeta.acceptedValues",
        ),
        pass: "\"code\": \"1\" where enum is [\"1\", \"2\"]",
        fail: "\"code\": \"3\" where enum is [\"1\", \"2\"]",
    },
    Rule {
        id: "content.schema",
        severity: Severity::Error,
        checks: "Any other JSON Schema violation (a keyword the Sosmeta schemas do not use today).",
        authority: Authority::Published(JSON_SCHEMA),
        pass: "a value valid against its schema",
        fail: "a value breaking a draft-07 keyword outside those above (e.g. maxLength in a newer definition)",
    },
    Rule {
        id: "content.conditional-required",
        severity: Severity::Error,
        checks: "A conditionally required element whose condition holds is present, e.g. one of Henkilötunnus and Tilapäinen yksilöintitunnus.",
        authority: Authority::Published(
            "THL Sosmeta: sosmeta.conditionalRequired and the implementationNote of the element (e.g. \"Henkilötunnus- ja Tilapäinen yksilöintitunnus -kentistä toinen on pakollinen\")",
        ),
        pass: "{\"asiakas\": {\"henkilotunnus\": {\"value\": \"010190-999W\"}}}",
        fail: "{\"asiakas\": {}} (neither henkilotunnus nor tilapainen_yksilointitunnus)",
    },
    Rule {
        id: "content.datetime",
        severity: Severity::Error,
        checks: "A Pvm or Hetki value is a real date or time: no 30 February, day 00, year 0000 or negative year.",
        authority: Authority::Published(
            "THL Sosmeta: representation Pvm / Hetki of the element; ISO 8601 / RFC 3339 (calendar dates, date-time)",
        ),
        pass: "\"2024-02-29\"",
        fail: "\"2023-02-30\"",
    },
    Rule {
        id: "content.datetime-partial",
        severity: Severity::Warning,
        checks: "A Pvm is a whole date and a Hetki has a time of day and zone; a year or year-month, or a Hetki without zone, is partial.",
        authority: Authority::Published(
            "THL Sosmeta: representation Pvm (date) / Hetki (date-time with zone) of the element; ISO 8601 / RFC 3339",
        ),
        pass: "\"2024-05-17\"",
        fail: "\"2024-05\"",
    },
    Rule {
        id: "content.code-unknown",
        severity: Severity::Error,
        checks: "A Koodi's code is in its classification, when the loaded list is complete.",
        authority: Authority::Published(
            "The element's classification (sosmeta.classificationOid, THL Koodistopalvelu), e.g. 1.2.246.537.5.1.1997 Sukupuoli",
        ),
        pass: "{\"system\": \"urn:oid:1.2.246.537.5.1.1997\", \"code\": \"2\"}",
        fail: "{\"system\": \"urn:oid:1.2.246.537.5.1.1997\", \"code\": \"9\"} with the full list loaded",
    },
    Rule {
        id: "content.code-unlisted",
        severity: Severity::Warning,
        checks: "A Koodi's code is not in the loaded list of its classification, which is known to be incomplete: load the full list to check it.",
        authority: Authority::Published(
            "The element's classification (sosmeta.classificationOid, THL Koodistopalvelu), e.g. 1.2.246.537.6.1222 Sosiaalihuolto - Sosiaalipalvelut",
        ),
        pass: "{\"system\": \"urn:oid:1.2.246.537.6.1222.201601\", \"code\": \"24\"}",
        fail: "{\"system\": \"urn:oid:1.2.246.537.6.1222.201601\", \"code\": \"3\"} (3 not in the embedded list)",
    },
    // ---- identifier: henkilötunnus and y-tunnus ----------------------------------------
    Rule {
        id: "identifier.hetu",
        severity: Severity::Error,
        checks: "A henkilötunnus (content element with systemUri 1.2.246.21, or the header's recordTarget) is a real date, a valid century sign, individual number and check character.",
        authority: Authority::Published(HETU),
        pass: "010190-999W",
        fail: "010190-999X",
    },
    Rule {
        id: "identifier.hetu.not-test",
        severity: Severity::Error,
        checks: "With --test-environment, every henkilötunnus has an individual number 900-999 (Kanta's test environment takes only test hetus).",
        authority: Authority::Published(
            "Kanta: testiympäristö accepts only test henkilötunnus values (individual number 900-999); Väestötietojärjestelmä: henkilötunnus",
        ),
        pass: "010190-999W with --test-environment",
        fail: "010196A1236 with --test-environment (individual number 123, outside the test range)",
    },
    Rule {
        id: "identifier.ytunnus",
        severity: Severity::Error,
        checks: "A Y-tunnus element is seven digits, a hyphen and a valid check digit.",
        authority: Authority::Published(
            "Yritys- ja yhteisötunnus (PRH/Vero) check digit: weights 7 9 10 5 8 4 2, modulus 11",
        ),
        pass: "1234567-1",
        fail: "1234567-2",
    },
    // ---- rule fidelity: classifications not carried, registers, consistency -----------
    Rule {
        id: "content.code-unchecked",
        severity: Severity::Info,
        checks: "A Koodi of a classification the loaded catalog does not carry at all: its code cannot be checked; one finding per classification and document, naming it.",
        authority: Authority::Published(
            "The element's classification (sosmeta.classificationOid, THL Koodistopalvelu), e.g. 1.2.246.537.5.40175 SFS - Kielikoodisto",
        ),
        pass: "a Koodi of 1.2.246.537.6.1222 (a carried classification)",
        fail: "{\"system\": \"urn:oid:1.2.246.537.5.40175\", \"code\": \"fi\"} (classification not carried): INFO",
    },
    Rule {
        id: "content.register-oid",
        severity: Severity::Warning,
        checks: "A code of the SOTE organisation register (1.2.246.537.6.202), while no list of it is loaded, is an OID under an organisation arc (1.2.246.10.<y-tunnus digits> or 1.2.246.537.10.<n>).",
        authority: Authority::Inferred(
            "classification 1.2.246.537.6.202 SOTE-organisaatiorekisteri (its codes are unit OIDs); the two organisation arcs are inferred from Kanta test documents and Finnish CDA documents",
        ),
        pass: "\"code\": \"1.2.246.537.10.15675350.10.1\"",
        fail: "\"code\": \"yksikko-7\"",
    },
    Rule {
        id: "content.birth-date",
        severity: Severity::Warning,
        checks: "The client's syntymaaika in the content is the birth date its henkilötunnus encodes (the content's own hetu, else the header's recordTarget hetu or birthTime).",
        authority: Authority::Inferred(
            "inferred: the henkilötunnus encodes the birth date (Väestötietojärjestelmä, laki 661/2009); no published rule makes a difference an error",
        ),
        pass: "hetu 010116A9xxx with syntymaaika 2016-01-01",
        fail: "hetu 010116A9xxx with syntymaaika 2016-03-01",
    },
    Rule {
        id: "header.birth-time-hetu",
        severity: Severity::Warning,
        checks: "recordTarget/patientRole/patient/birthTime is the birth date the recordTarget henkilötunnus encodes.",
        authority: Authority::Inferred(
            "inferred: HL7 CDA R2 patient/birthTime read against the birth date the henkilötunnus encodes (laki 661/2009)",
        ),
        pass: "<birthTime value=\"20160101\"/> with hetu 010116A9xxx",
        fail: "<birthTime value=\"20160301\"/> with hetu 010116A9xxx",
    },
    Rule {
        id: "header.null-flavor-value",
        severity: Severity::Warning,
        checks: "A header element does not carry a nullFlavor together with a value (@value, @root, @extension or @code).",
        authority: Authority::Published(
            "HL7 V3 Data Types R1: a value with a nullFlavor is not a proper value (ANY invariant); a WARNING because Kanta accepts such documents",
        ),
        pass: "<id root=\"1.2.246.10.1234567.97.2025.64\"/>",
        fail: "<id root=\"1.2.246.10.1234567.97.2025.64\" nullFlavor=\"NA\"/>",
    },
    Rule {
        id: "header.health-document",
        severity: Severity::Error,
        checks: "The CDA is a social welfare document (ep2:localSocialHeader, nonXMLBody), not a health care one (hl7fi:localHeader, structuredBody); a health care CDA gets this one finding and no social welfare header rules.",
        authority: Authority::Published(
            "Kanta: Sosiaalihuollon asiakasasiakirjojen CDA R2 -rakenne (localSocialHeader) versus Kanta's patient record CDA R2 header (hl7fi:localHeader)",
        ),
        pass: "<ep2:localSocialHeader>… with component/nonXMLBody",
        fail: "<hl7fi:localHeader>… with component/structuredBody",
    },
    Rule {
        id: "identifier.temporary-id-check",
        severity: Severity::Warning,
        checks: "A temporary person id written in the shape of a henkilötunnus has a valid check character.",
        authority: Authority::Inferred(
            "inferred: the definitions only require the tilapäinen yksilöintitunnus field; a hetu-shaped value with a wrong check character is most likely a typing error",
        ),
        pass: "a temporary id 1.2.246.10.1234567.22.2025.1",
        fail: "a temporary id 010118A998X whose check character should be another",
    },
    Rule {
        id: "frame.effective-time",
        severity: Severity::Warning,
        checks: "The frame's subject/clinicalDocument/effectiveTime equals the document's effectiveTime.",
        authority: Authority::Inferred(
            "inferred: the archiving frame (RCMR_IN200002FI01) repeats the document's header facts",
        ),
        pass: "frame effectiveTime 20250301120000+0200 = document's",
        fail: "frame effectiveTime 20250301115500+0200, document 20250301120000+0200",
    },
    Rule {
        id: "frame.act-code",
        severity: Severity::Warning,
        checks: "The frame's controlActProcess/code carries @code (the trigger event) or a nullFlavor.",
        authority: Authority::Inferred(
            "HL7 V3 ControlAct wrapper (controlActProcess/code: the trigger event code); inferred for Kanta's frame",
        ),
        pass: "<code code=\"RCMR_TE000102UV01\" codeSystem=\"2.16.840.1.113883.1.18\"/>",
        fail: "<code codeSystem=\"2.16.840.1.113883.1.18\"/>",
    },
    Rule {
        id: "xml.empty",
        severity: Severity::Error,
        checks: "An XML document file is not empty or whitespace only (a document that cannot be read: UNREADABLE).",
        authority: Authority::Published("XML 1.0: a document has exactly one root element"),
        pass: "<ClinicalDocument xmlns=\"urn:hl7-org:v3\">…</ClinicalDocument>",
        fail: "an empty document_S.xml",
    },
    Rule {
        id: "json.empty",
        severity: Severity::Error,
        checks: "A JSON content file is not empty or whitespace only (UNREADABLE).",
        authority: Authority::Published("RFC 8259: a JSON text is a serialized value"),
        pass: "{\"rajoituksen_kayton_arvio\": {…}}",
        fail: "a .json file holding \" \\n\\t\"",
    },
];

/// The catalogue's entry for a rule id.
pub fn get(id: &str) -> Option<&'static Rule> {
    static INDEX: OnceLock<HashMap<&'static str, &'static Rule>> = OnceLock::new();
    INDEX
        .get_or_init(|| RULES.iter().map(|r| (r.id, r)).collect())
        .get(id)
        .copied()
}

/// Every rule, sorted by family (in [`FAMILIES`] order) and id.
pub fn sorted() -> Vec<&'static Rule> {
    let mut rules: Vec<&'static Rule> = RULES.iter().collect();
    rules.sort_by_key(|r| {
        (
            FAMILIES
                .iter()
                .position(|f| *f == r.family())
                .unwrap_or(usize::MAX),
            r.id,
        )
    });
    rules
}

/// One rule as a JSON object: `id`, `family`, `severity`, `checks`, `authority` {`kind`,
/// `source`}, `pass`, `fail`.
pub fn to_json(rule: &Rule) -> serde_json::Value {
    serde_json::json!({
        "id": rule.id,
        "family": rule.family(),
        "severity": rule.severity.as_str(),
        "checks": rule.checks,
        "authority": {"kind": rule.authority.kind(), "source": rule.authority.source()},
        "pass": rule.pass,
        "fail": rule.fail,
    })
}

/// The catalogue as Markdown: the text of `docs/RULES.md`.
pub fn markdown() -> String {
    let mut md = String::new();
    md.push_str(
        "# Rules\n\n\
         Generated from `src/catalogue.rs` by `rakenne rules --output md > docs/RULES.md`; \
         `tests/suite/rules.rs` fails when this file is stale.\n\n\
         Every finding carries one of these rule ids. **Authority** says where the rule \
         comes from: `published` (a public standard, a Kanta or THL specification, a Sosmeta \
         schema keyword or annotation, a classification), `inferred` (the project inferred \
         it from example documents: at most a WARNING, whatever the engine would otherwise \
         say), `organisation` (only an organisation's bindings layer makes the rule) or \
         `limit` (a resource limit of rakenne). An organisation's bindings layer may \
         re-grade any rule (`severities` in the layer file); a re-graded finding says so \
         in its message.\n\n",
    );
    for family in FAMILIES {
        let rules: Vec<&Rule> = sorted()
            .into_iter()
            .filter(|r| r.family() == *family)
            .collect();
        if rules.is_empty() {
            continue;
        }
        let _ = writeln!(md, "## `{family}.`\n");
        md.push_str("| rule | severity | authority | checks |\n| --- | --- | --- | --- |\n");
        for rule in &rules {
            let _ = writeln!(
                md,
                "| [`{}`](#{}) | {} | {} | {} |",
                rule.id,
                anchor(rule.id),
                rule.severity.as_str(),
                rule.authority.kind(),
                cell(rule.checks)
            );
        }
        md.push('\n');
        for rule in &rules {
            let _ = writeln!(md, "### {}\n", rule.id);
            let _ = writeln!(
                md,
                "- severity: {}\n- authority ({}): {}\n- checks: {}\n- passes: `{}`\n- fails: `{}`\n",
                rule.severity.as_str(),
                rule.authority.kind(),
                rule.authority.source(),
                rule.checks,
                rule.pass.replace('`', "'"),
                rule.fail.replace('`', "'"),
            );
        }
    }
    md
}

/// The GitHub anchor of a `### id` heading: dots dropped, the rest kept.
fn anchor(id: &str) -> String {
    id.chars().filter(|c| *c != '.').collect()
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}
