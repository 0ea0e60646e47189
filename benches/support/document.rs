//! What the criterion benches (`benches/validate.rs`) and the instruction counts
//! (`benches/profile.rs`) both do with a CDA document: the floor of a full check, and
//! taking its body apart.

use rakenne::document::base64::decode_strict;
use rakenne::document::cda::{EP2, HL7};
use rakenne::document::xml::{self, XmlLimits};

/// The CDA read (XML tree) and the base64 decode of its display form and content, and
/// nothing else; the number of decoded bytes.
pub fn read_decode(document: &[u8]) -> usize {
    let limits = XmlLimits::default();
    let doc = xml::parse(document, &limits).expect("well-formed CDA");
    let body = doc
        .root()
        .child(Some(HL7), "component")
        .and_then(|c| c.child(Some(HL7), "nonXMLBody"))
        .expect("nonXMLBody");
    let mut decoded = 0;
    if let Some(text) = body.child(Some(HL7), "text") {
        decoded += decode_strict(text.text(), usize::MAX).map_or(0, |b| b.len());
    }
    let json = body.child(Some(EP2), "json").expect("ep2:json");
    decoded += decode_strict(json.text(), usize::MAX)
        .expect("base64 content")
        .len();
    decoded
}

/// The decoded display form and content JSON of a CDA document.
pub fn body_of(document: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let doc = xml::parse(document, &XmlLimits::default()).expect("well-formed CDA");
    let body = doc
        .root()
        .descendants_named(Some(HL7), "nonXMLBody")
        .next()
        .expect("nonXMLBody");
    let decode = |node: Option<xml::Node<'_>>| {
        decode_strict(node.expect("body element").text(), usize::MAX).expect("base64")
    };
    (
        decode(body.child(Some(HL7), "text")),
        decode(body.child(Some(EP2), "json")),
    )
}
