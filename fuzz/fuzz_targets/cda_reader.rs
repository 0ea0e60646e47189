//! The CDA reader: XML parsing under the default limits, then the body (base64 display form
//! and content, the content JSON) as the engine reads it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rakenne::check::Limits;
use rakenne::findings::Findings;
use rakenne::definitions::Lang;
use rakenne::document::cda::{self, BodyLimits};
use rakenne::document::xml;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let Ok(doc) = xml::parse(data, &limits.xml) else {
        return;
    };
    // Walk the tree the way the rules do.
    for node in doc.nodes() {
        let _ = node.path();
        let _ = node.attrs().count();
    }
    let mut out = Findings::new(Lang::En, limits.max_findings);
    let body_limits = BodyLimits {
        max_decoded: limits.max_document_bytes,
        xml: limits.xml,
        json: limits.json,
    };
    let _ = cda::read_body(&doc, &body_limits, &mut out);
});
