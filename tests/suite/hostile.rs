//! Hostile inputs (issue 7): every one gets a clear UNREADABLE verdict (with the rule that
//! says why) or a bad-request status, within a bounded time, without a panic and without
//! memory running away. Time bounds are generous: they hold for an unoptimised build on a
//! busy two-core machine; what they catch is a blow-up (quadratic work, entity expansion),
//! not a slow machine.

use crate::common;

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::server::{TestServer, report_of};
use rakenne::check::report::{Report, Verdict};
use rakenne::check::{CheckOptions, Engine, Limits, RequestError};
use rakenne::definitions::Definitions;
use rakenne::service::pb::conformance_service_client::ConformanceServiceClient;
use rakenne::service::pb::{self, ValidateRequest};
use rakenne::service::{DefinitionsSource, ServerConfig};
use tonic::Code;
use tonic::transport::Channel;
use tonic_types::StatusExt as _;

/// The most one hostile document may take in a debug build.
const BOUND: Duration = Duration::from_secs(20);
/// The peak resident memory of the whole test process may not pass this.
const MAX_PEAK_RSS_KIB: u64 = 2 * 1024 * 1024;

fn definitions() -> Arc<Definitions> {
    static DEFINITIONS: OnceLock<Arc<Definitions>> = OnceLock::new();
    DEFINITIONS
        .get_or_init(|| Arc::new(Definitions::embedded().expect("embedded definitions")))
        .clone()
}

fn engine() -> Engine {
    Engine::new(definitions())
}

/// Peak resident set size of this process (Linux), in KiB.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn check_with(engine: &Engine, document: &[u8]) -> Result<Report, RequestError> {
    let started = Instant::now();
    let result = engine.check(document, None, &CheckOptions::default());
    let took = started.elapsed();
    assert!(took < BOUND, "took {took:?}");
    if let Some(peak) = peak_rss_kib() {
        assert!(peak < MAX_PEAK_RSS_KIB, "peak RSS {peak} KiB");
    }
    result
}

/// Checks with the default limits and expects UNREADABLE with `rule` as an ERROR finding.
fn assert_unreadable(document: &[u8], rule: &str) -> Report {
    assert_unreadable_with(&engine(), document, rule)
}

fn assert_unreadable_with(engine: &Engine, document: &[u8], rule: &str) -> Report {
    let report = check_with(engine, document).expect("a report");
    assert_eq!(
        report.verdict,
        Verdict::Unreadable,
        "{:#?}",
        report.findings
    );
    assert!(
        report.findings.iter().any(|f| f.rule == rule),
        "no {rule} in {:#?}",
        report.findings
    );
    report
}

/// A minimal CDA document whose `ep2:json` holds `content` (already base64 or not).
fn cda_with_json_text(json_text: &str) -> Vec<u8> {
    let display = STANDARD.encode("<html xmlns=\"http://www.w3.org/1999/xhtml\"><body/></html>");
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <ClinicalDocument xmlns=\"urn:hl7-org:v3\" xmlns:ep2=\"urn:hl7finland\">\
         <component><nonXMLBody>\
         <text mediaType=\"text/xml\" representation=\"B64\">{display}</text>\
         <ep2:json>{json_text}</ep2:json>\
         </nonXMLBody></component></ClinicalDocument>"
    )
    .into_bytes()
}

fn cda_with_content(content: &[u8]) -> Vec<u8> {
    cda_with_json_text(&STANDARD.encode(content))
}

// ---------------------------------------------------------------------------------------
// XML

#[test]
fn billion_laughs_is_refused_unexpanded() {
    let mut doc =
        String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n");
    doc.push_str("<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n");
    for i in 2..=9 {
        let prev = format!("&lol{};", i - 1);
        doc.push_str(&format!("<!ENTITY lol{i} \"{}\">\n", prev.repeat(10)));
    }
    doc.push_str("]>\n<ClinicalDocument xmlns=\"urn:hl7-org:v3\">&lol9;</ClinicalDocument>");
    let report = assert_unreadable(doc.as_bytes(), "xml.doctype");
    assert_eq!(report.findings.len(), 1);
}

#[test]
fn external_entities_are_never_fetched() {
    // Declared in a DOCTYPE: the DOCTYPE itself is refused.
    let declared = "<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n\
                    <ClinicalDocument xmlns=\"urn:hl7-org:v3\">&xxe;</ClinicalDocument>";
    assert_unreadable(declared.as_bytes(), "xml.doctype");
    // An external DTD subset.
    let external = "<!DOCTYPE ClinicalDocument SYSTEM \"http://127.0.0.1:1/evil.dtd\">\
                    <ClinicalDocument xmlns=\"urn:hl7-org:v3\"/>";
    assert_unreadable(external.as_bytes(), "xml.doctype");
    // A reference to an entity nobody declared.
    let undeclared = "<ClinicalDocument xmlns=\"urn:hl7-org:v3\">&xxe;</ClinicalDocument>";
    let report = assert_unreadable(undeclared.as_bytes(), "xml.undefined-entity");
    // Nothing of /etc/passwd, and no echo of the entity's name beyond the rule.
    for f in &report.findings {
        assert!(!f.message.contains("root:"), "{}", f.message);
    }
}

#[test]
fn xml_nested_100_000_deep() {
    let depth = 100_000;
    let mut doc = String::with_capacity(depth * 8);
    doc.push_str("<ClinicalDocument xmlns=\"urn:hl7-org:v3\">");
    doc.push_str(&"<a>".repeat(depth));
    doc.push_str(&"</a>".repeat(depth));
    doc.push_str("</ClinicalDocument>");
    let report = assert_unreadable(doc.as_bytes(), "xml.too-deep");
    assert_eq!(report.findings[0].line, Some(1));
}

#[test]
fn xml_depth_limit_is_configurable() {
    let doc = format!(
        "<ClinicalDocument xmlns=\"urn:hl7-org:v3\">{}{}</ClinicalDocument>",
        "<a>".repeat(20),
        "</a>".repeat(20)
    );
    let mut limits = Limits::default();
    limits.xml.max_depth = 10;
    let strict = Engine::with_limits(definitions(), limits);
    assert_unreadable_with(&strict, doc.as_bytes(), "xml.too-deep");
    // Within the default limit the nesting is fine (the document is unreadable for the
    // missing body, not for depth).
    let report = check_with(&engine(), doc.as_bytes()).unwrap();
    assert!(report.findings.iter().all(|f| f.rule != "xml.too-deep"));
}

#[test]
fn a_million_attributes() {
    let mut doc = String::with_capacity(12_000_000);
    doc.push_str("<ClinicalDocument xmlns=\"urn:hl7-org:v3\"");
    for i in 0..1_000_000 {
        doc.push_str(&format!(" a{i}=\"\""));
    }
    doc.push_str("/>");
    assert!(doc.len() < Limits::default().max_document_bytes);
    assert_unreadable(doc.as_bytes(), "xml.too-many-attributes");
}

#[test]
fn duplicate_attributes() {
    let doc = "<ClinicalDocument xmlns=\"urn:hl7-org:v3\" a=\"1\" b=\"2\" a=\"3\"/>";
    assert_unreadable(doc.as_bytes(), "xml.duplicate-attribute");
    // The same attribute through two prefixes bound to one namespace.
    let doc = "<ClinicalDocument xmlns=\"urn:hl7-org:v3\" xmlns:p=\"urn:x\" xmlns:q=\"urn:x\" \
               p:a=\"1\" q:a=\"2\"/>";
    assert_unreadable(doc.as_bytes(), "xml.duplicate-attribute");
}

#[test]
fn two_roots_and_an_unclosed_root() {
    let two =
        "<ClinicalDocument xmlns=\"urn:hl7-org:v3\"/><ClinicalDocument xmlns=\"urn:hl7-org:v3\"/>";
    assert_unreadable(two.as_bytes(), "xml.not-well-formed");
    let unclosed = "<ClinicalDocument xmlns=\"urn:hl7-org:v3\"><component>";
    assert_unreadable(unclosed.as_bytes(), "xml.not-well-formed");
    let text_only = "just text, no element";
    assert_unreadable(text_only.as_bytes(), "xml.not-well-formed");
}

#[test]
fn invalid_utf8() {
    let mut doc = b"<ClinicalDocument xmlns=\"urn:hl7-org:v3\"><title>".to_vec();
    doc.extend_from_slice(&[0xC3, 0x28, 0xFF, 0xFE]);
    doc.extend_from_slice(b"</title></ClinicalDocument>");
    assert_unreadable(&doc, "xml.encoding");
    // Invalid UTF-8 inside the base64 content JSON.
    let content = [b"{\"a\": \"".as_slice(), &[0xFF, 0xC0, 0x80], b"\"}"].concat();
    assert_unreadable(&cda_with_content(&content), "json.encoding");
    // And as bare content JSON.
    assert_unreadable(&content, "json.encoding");
}

#[test]
fn utf16_without_a_bom() {
    let text =
        "<?xml version=\"1.0\" encoding=\"UTF-16\"?><ClinicalDocument xmlns=\"urn:hl7-org:v3\"/>";
    let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    assert_unreadable(&le, "xml.encoding");
    assert_unreadable(&be, "xml.encoding");
}

#[test]
fn nul_bytes() {
    let doc = b"<ClinicalDocument xmlns=\"urn:hl7-org:v3\"><title>a\0b</title></ClinicalDocument>";
    assert_unreadable(doc, "xml.invalid-character");
    let doc = b"<ClinicalDocument xmlns=\"urn:hl7-org:v3\"><title>&#0;</title></ClinicalDocument>";
    assert_unreadable(doc, "xml.invalid-character");
    // NUL in bare JSON (a raw control character in a string is not JSON).
    assert_unreadable(b"{\"a\": \"x\0y\"}", "json.syntax");
}

#[test]
fn a_10_mb_text_node() {
    // As the content: 10 MB of base64 that decodes to something that is not JSON.
    let text = "QUFB".repeat(10 * 1024 * 1024 / 4);
    assert_unreadable(&cda_with_json_text(&text), "json.syntax");
    // As a title: read and checked within the bound (the document lacks a body).
    let doc = format!(
        "<ClinicalDocument xmlns=\"urn:hl7-org:v3\"><title>{}</title></ClinicalDocument>",
        "x".repeat(10 * 1024 * 1024)
    );
    assert_unreadable(doc.as_bytes(), "xml.body-missing");
    // With a smaller text limit, the node itself is refused.
    let mut limits = Limits::default();
    limits.xml.max_text_bytes = 1024 * 1024;
    let strict = Engine::with_limits(definitions(), limits);
    assert_unreadable_with(&strict, doc.as_bytes(), "xml.text-too-large");
}

// ---------------------------------------------------------------------------------------
// base64 and JSON

#[test]
fn json_nested_10_000_deep_inside_ep2_json() {
    let depth = 10_000;
    let content = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    assert_unreadable(&cda_with_content(content.as_bytes()), "json.too-deep");
    let objects = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
    assert_unreadable(&cda_with_content(objects.as_bytes()), "json.too-deep");
    // Bare content JSON too.
    assert_unreadable(objects.as_bytes(), "json.too-deep");
}

#[test]
fn json_depth_limit_is_configurable() {
    let content = format!("{{\"x\":{}1{}}}", "[".repeat(10), "]".repeat(10));
    let mut limits = Limits::default();
    limits.json.max_depth = 5;
    let strict = Engine::with_limits(definitions(), limits);
    assert_unreadable_with(&strict, content.as_bytes(), "json.too-deep");
    let report = check_with(&engine(), content.as_bytes()).unwrap();
    assert_ne!(report.verdict, Verdict::Unreadable);
}

#[test]
fn base64_that_decodes_to_more_base64() {
    let content = br#"{"asiakkuusasiakirja": {}}"#;
    let twice = STANDARD.encode(STANDARD.encode(content));
    // Decoded once (never more): the bytes are base64 text, not JSON.
    assert_unreadable(&cda_with_json_text(&twice), "json.syntax");
    // Ten layers deep: still decoded once, in bounded time.
    let mut layered = content.to_vec();
    for _ in 0..10 {
        layered = STANDARD.encode(&layered).into_bytes();
    }
    assert_unreadable(&cda_with_content(&layered), "json.syntax");
}

#[test]
fn invalid_base64() {
    assert_unreadable(&cda_with_json_text("not*base64!"), "base64.content");
    assert_unreadable(&cda_with_json_text("QUFB="), "base64.content");
}

#[test]
fn huge_numbers() {
    // Beyond f64: refused as a number out of range (rule json.syntax).
    assert_unreadable(br#"{"a": 1e999999}"#, "json.syntax");
    let long = format!("{{\"a\": {}}}", "9".repeat(1_000_000));
    assert_unreadable(long.as_bytes(), "json.syntax");
    assert_unreadable(&cda_with_content(long.as_bytes()), "json.syntax");
    // Big but representable: read, and judged by the schemas like any number.
    let report = check_with(&engine(), br#"{"a": 1e300, "b": -18446744073709551617}"#).unwrap();
    assert_ne!(report.verdict, Verdict::Unreadable);
}

#[test]
fn duplicate_json_keys() {
    // Documented in the README: duplicate keys make the document UNREADABLE.
    assert_unreadable(br#"{"a": 1, "a": 2}"#, "json.duplicate-key");
    let nested = br#"{"asiakkuusasiakirja": {"asiakas": {"sukunimi": "A", "sukunimi": "B"}}}"#;
    assert_unreadable(nested, "json.duplicate-key");
    assert_unreadable(&cda_with_content(nested), "json.duplicate-key");
}

#[test]
fn oversize_and_empty_documents_are_request_errors() {
    let limits = Limits {
        max_document_bytes: 1024,
        ..Limits::default()
    };
    let small = Engine::with_limits(definitions(), limits);
    assert_eq!(
        small.check(&[b'x'; 2048], None, &CheckOptions::default()),
        Err(RequestError::TooLarge {
            size: 2048,
            limit: 1024
        })
    );
    assert_eq!(
        engine().check(b" \n\t", None, &CheckOptions::default()),
        Err(RequestError::EmptyDocument)
    );
}

#[test]
fn findings_are_capped_and_the_rest_counted() {
    let content = br#"{"asiakkuusasiakirja": {"x1": 1, "x2": 2, "x3": 3, "x4": 4, "x5": 5}}"#;
    let all = check_with(&engine(), content).unwrap();
    let total = all.findings.len() + all.findings_omitted;
    assert!(total >= 3, "{:#?}", all.findings);
    let limits = Limits {
        max_findings: 2,
        ..Limits::default()
    };
    let capped = check_with(&Engine::with_limits(definitions(), limits), content).unwrap();
    assert_eq!(capped.findings.len(), 2);
    assert_eq!(capped.findings.len() + capped.findings_omitted, total);
    assert_eq!(capped.verdict, all.verdict);
}

// ---------------------------------------------------------------------------------------
// Over gRPC

/// The real server on loopback with these tests' definitions, `config` applied.
async fn start_server(config: impl FnOnce(&mut ServerConfig)) -> TestServer {
    let mut c = ServerConfig::new(DefinitionsSource::Loaded(definitions()));
    config(&mut c);
    TestServer::start(c).await
}

/// A client that may send and receive the large documents these tests are made of.
async fn large_client(server: &TestServer) -> ConformanceServiceClient<Channel> {
    ConformanceServiceClient::new(server.channel().await)
        .max_decoding_message_size(128 * 1024 * 1024)
        .max_encoding_message_size(128 * 1024 * 1024)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_50_mb_document_over_grpc_is_resource_exhausted() {
    let server = start_server(|_| {}).await;
    let mut client = large_client(&server).await;
    // Far over the limit: refused by the transport before it is decoded.
    let started = Instant::now();
    let status = client
        .validate(ValidateRequest {
            document: vec![b'<'; 50 * 1000 * 1000],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert!(started.elapsed() < BOUND);
    // Over the limit but within what the transport reads: refused by the service with a
    // field violation, and no document bytes in the details.
    let status = client
        .validate(ValidateRequest {
            document: vec![b'A'; 17 * 1024 * 1024],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    let bad = status
        .get_details_bad_request()
        .expect("BadRequest details");
    assert_eq!(bad.field_violations[0].field, "document");
    assert!(!status.message().contains("AAAA"));
    // The server still answers.
    let response = client
        .validate(ValidateRequest {
            document: b"{\"a\": 1, \"a\": 2}".to_vec(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let report = response.report.unwrap();
    assert_eq!(report.verdict, pb::Verdict::Unreadable as i32);
    assert_eq!(report.findings[0].rule_id, "json.duplicate-key");
    // An empty document is INVALID_ARGUMENT.
    let status = client
        .validate(ValidateRequest {
            document: b"  ".to_vec(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_documents_over_grpc_are_unreadable() {
    let server = start_server(|_| {}).await;
    let mut client = large_client(&server).await;
    let deep_json = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            b"<!DOCTYPE x [<!ENTITY a \"aaaa\">]><x>&a;</x>".to_vec(),
            "xml.doctype",
        ),
        (
            format!("<x>{}{}</x>", "<a>".repeat(100_000), "</a>".repeat(100_000)).into_bytes(),
            "xml.too-deep",
        ),
        (cda_with_content(deep_json.as_bytes()), "json.too-deep"),
        (b"<x>\0</x>".to_vec(), "xml.invalid-character"),
        (b"<a/><b/>".to_vec(), "xml.not-well-formed"),
    ];
    for (document, rule) in cases {
        let report = report_of(
            &mut client,
            ValidateRequest {
                document,
                ..Default::default()
            },
        )
        .await;
        assert_eq!(report.verdict, pb::Verdict::Unreadable as i32, "{rule}");
        assert!(report.findings.iter().any(|f| f.rule_id == rule), "{rule}");
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_limits_apply_over_grpc() {
    let server = start_server(|c| {
        c.max_xml_depth = 8;
        c.max_json_depth = 4;
        c.max_findings = 1;
    })
    .await;
    let client = large_client(&server).await;
    let validate = |document: Vec<u8>| {
        let mut client = client.clone();
        async move {
            report_of(
                &mut client,
                ValidateRequest {
                    document,
                    ..Default::default()
                },
            )
            .await
        }
    };
    let report =
        validate(format!("<x>{}{}</x>", "<a>".repeat(9), "</a>".repeat(9)).into_bytes()).await;
    assert_eq!(report.findings[0].rule_id, "xml.too-deep");
    let report = validate(b"{\"a\": [[[[[1]]]]]}".to_vec()).await;
    assert_eq!(report.findings[0].rule_id, "json.too-deep");
    let report = validate(
        br#"{"asiakkuusasiakirja": {"x1": 1, "x2": 2, "x3": 3, "x4": 4, "x5": 5}}"#.to_vec(),
    )
    .await;
    assert_eq!(report.findings.len(), 1);
    assert!(report.findings_omitted >= 1);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_request_timeout_gives_deadline_exceeded() {
    // Every check is held for a while; the server's own timeout (no client deadline)
    // answers first.
    let server = start_server(|c| {
        c.request_timeout = Some(Duration::from_millis(200));
        c.check_hook = Some(Arc::new(|| std::thread::sleep(Duration::from_millis(1500))));
    })
    .await;
    let mut client = large_client(&server).await;
    let started = Instant::now();
    let status = client
        .validate(ValidateRequest {
            document: b"{\"a\": 1}".to_vec(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    assert!(
        started.elapsed() < Duration::from_millis(1400),
        "{:?}",
        started.elapsed()
    );
    server.shutdown().await;
}
