//! The HTTP/JSON API of the real `rakenne serve` binary: the same reports as gRPC (field
//! by field), the same errors with HTTP statuses, responses that match `/openapi.json`,
//! the security headers, CORS only when asked for, the `api="http"` metrics, and access
//! logs without content.

use crate::common;

use std::net::SocketAddr;
use std::path::Path;

use common::server::{HttpAnswer, channel, http_request, scrape, spawn_serve_http};
use rakenne::service::pb::{self, conformance_service_client::ConformanceServiceClient};
use serde_json::{Value, json};
use tonic_types::StatusExt as _;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(name),
    )
    .unwrap()
}

fn post(addr: SocketAddr, target: &str, content_type: &str, body: &[u8]) -> HttpAnswer {
    http_request(
        addr,
        "POST",
        target,
        &[("Content-Type", content_type)],
        body,
    )
}

fn get(addr: SocketAddr, target: &str) -> HttpAnswer {
    http_request(addr, "GET", target, &[], b"")
}

/// Asserts `http` and `grpc` equal, naming the first path where they differ.
fn assert_same(http: &Value, grpc: &Value, path: &str) {
    match (http, grpc) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<_> = a.keys().chain(b.keys()).collect();
            for key in keys {
                let null = Value::Null;
                assert_same(
                    a.get(key).unwrap_or(&null),
                    b.get(key).unwrap_or(&null),
                    &format!("{path}.{key}"),
                );
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{path}: lengths differ");
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                assert_same(x, y, &format!("{path}[{i}]"));
            }
        }
        _ => assert_eq!(http, grpc, "{path} differs"),
    }
}

/// The whole response but the server-side duration, which differs between two calls.
fn without_duration(mut value: Value) -> Value {
    value.as_object_mut().unwrap().remove("durationMicros");
    value
}

/// A multipart/form-data body and its content type.
fn multipart(parts: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "rakenne-test-boundary-7f3a";
    let mut body = Vec::new();
    for (name, bytes) in parts {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A validator of the OpenAPI document's schema `name`.
fn schema(openapi: &Value, name: &str) -> jsonschema::Validator {
    let wrapper = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": format!("#/components/schemas/{name}"),
        "components": openapi["components"],
    });
    jsonschema::validator_for(&wrapper).unwrap_or_else(|e| panic!("schema {name}: {e}"))
}

/// The schema the OpenAPI document gives for `method path` answering `status`.
fn response_schema(openapi: &Value, method: &str, path: &str, status: u16) -> String {
    let reference = openapi["paths"][path][method]["responses"][status.to_string()]["content"]
        ["application/json"]["schema"]["$ref"]
        .as_str()
        .unwrap_or_else(|| panic!("{method} {path} documents no JSON answer for {status}"));
    reference
        .strip_prefix("#/components/schemas/")
        .unwrap()
        .to_string()
}

/// Checks a real answer against the OpenAPI document.
fn conforms(openapi: &Value, method: &str, path: &str, answer: &HttpAnswer) {
    let name = response_schema(openapi, method, path, answer.status);
    let validator = schema(openapi, &name);
    let body = answer.json();
    let errors: Vec<String> = validator
        .iter_errors(&body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {path} ({}) does not match {name}: {errors:?}",
        answer.status
    );
}

/// Every `$ref` in the document resolves.
fn refs_resolve(openapi: &Value, value: &Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                let pointer = reference.strip_prefix('#').expect("local $ref");
                assert!(
                    openapi.pointer(pointer).is_some(),
                    "$ref {reference} resolves to nothing"
                );
            }
            map.values().for_each(|v| refs_resolve(openapi, v));
        }
        Value::Array(items) => items.iter().for_each(|v| refs_resolve(openapi, v)),
        _ => {}
    }
}

/// A gRPC status as the HTTP API's error body carries it: code name and violations.
fn grpc_error(status: &tonic::Status) -> (i32, Vec<(String, String)>) {
    let violations = status
        .get_error_details()
        .bad_request()
        .map(|b| {
            b.field_violations
                .iter()
                .map(|v| (v.field.clone(), v.reason.clone()))
                .collect()
        })
        .unwrap_or_default();
    (status.code() as i32, violations)
}

fn http_error(answer: &HttpAnswer) -> (i32, Vec<(String, String)>) {
    let body = answer.json();
    let error = &body["error"];
    assert_eq!(error["code"], answer.status, "{body}");
    let violations = error["fieldViolations"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|v| {
                    (
                        v["field"].as_str().unwrap().to_string(),
                        v["reason"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    (error["grpcCode"].as_i64().unwrap() as i32, violations)
}

const OID: &str = "1.2.246.537.6.1506.1004.2025.2.26";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_api_answers_as_grpc_does() {
    let mut server = spawn_serve_http(&[
        "--max-document-bytes",
        "200000",
        "--http-cors-origin",
        "https://tools.example",
    ])
    .await;
    let http = server.http;
    let mut client = ConformanceServiceClient::new(channel(server.grpc).await);
    let openapi = get(http, "/openapi.json").json();
    assert_eq!(openapi["openapi"], "3.1.0");
    refs_resolve(&openapi, &openapi);

    // The same document over both APIs, field by field.
    let marker = "Xyzzyplugh";
    let own_template = format!(r#"{{"oma_pohja_x": {{"sukunimi": "{marker}", "kentta": 1}}}}"#);
    let cases: Vec<(&str, Vec<u8>, &str, pb::Format, pb::Language)> = vec![
        (
            "partly conformant CDA",
            fixture("lastensuojelu-suunnitelma-sisalto-virheet.xml"),
            "application/xml",
            pb::Format::Cda,
            pb::Language::Fi,
        ),
        (
            "own template",
            own_template.clone().into_bytes(),
            "application/json",
            pb::Format::Json,
            pb::Language::Sv,
        ),
        (
            "unreadable",
            fixture("katkennut-xml.xml"),
            "application/xml",
            pb::Format::Cda,
            pb::Language::En,
        ),
        (
            "fully conformant JSON",
            fixture("lastensuojeluilmoitus-taysi.json"),
            "application/octet-stream",
            pb::Format::Auto,
            pb::Language::Fi,
        ),
    ];
    let mut verdicts = Vec::new();
    for (what, document, content_type, format, language) in &cases {
        let lang = match language {
            pb::Language::Sv => "sv",
            pb::Language::En => "en",
            _ => "fi",
        };
        let answer = post(
            http,
            &format!("/v1/validate?include_fields=true&lang={lang}&test_environment=true"),
            content_type,
            document,
        );
        assert_eq!(answer.status, 200, "{what}: {:?}", answer.json());
        assert_eq!(
            answer.header("content-type"),
            Some("application/json"),
            "{what}"
        );
        assert!(answer.header("x-request-id").is_some(), "{what}");
        conforms(&openapi, "post", "/v1/validate", &answer);
        let grpc = client
            .validate(pb::ValidateRequest {
                document: document.clone(),
                format: *format as i32,
                language: *language as i32,
                test_environment: true,
                include_fields: true,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let over_http = answer.json();
        assert_same(
            &without_duration(over_http.clone()),
            &without_duration(serde_json::to_value(&grpc).unwrap()),
            what,
        );
        // And the JSON reads back into the very message gRPC answered with.
        let parsed: pb::ValidateResponse = serde_json::from_value(over_http.clone()).unwrap();
        assert_eq!(parsed.report, grpc.report, "{what}");
        verdicts.push(over_http["report"]["verdict"].as_str().unwrap().to_string());
    }
    assert_eq!(
        verdicts,
        [
            "VERDICT_PARTLY_CONFORMANT",
            "VERDICT_OWN_TEMPLATE",
            "VERDICT_UNREADABLE",
            "VERDICT_FULLY_CONFORMANT"
        ]
    );
    // The protobuf JSON mapping: lowerCamelCase names, enums by name, uint64 as a string.
    let sample = post(
        http,
        "/v1/validate?include_fields=true",
        "application/xml",
        &fixture("lastensuojelu-suunnitelma-sisalto-virheet.xml"),
    )
    .json();
    assert!(sample["durationMicros"].is_string(), "{sample}");
    assert!(sample["report"]["verdictLabel"].is_string());
    assert!(sample["report"]["findings"][0]["ruleId"].is_string());
    assert!(
        sample["report"]["findings"][0]["severity"]
            .as_str()
            .unwrap()
            .starts_with("SEVERITY_")
    );
    assert!(sample["report"]["fields"].as_array().unwrap().len() > 5);

    // A document with its frame, as a multipart form, with the options as form fields.
    let document = fixture("asiakkuus-taysi.xml");
    let frame = fixture("asiakkuus-taysi.frame.xml");
    let (content_type, body) = multipart(&[
        ("document", &document),
        ("frame", &frame),
        ("lang", b"sv"),
        ("include_fields", b"true"),
    ]);
    let answer = post(http, "/v1/validate", &content_type, &body);
    assert_eq!(answer.status, 200, "{:?}", answer.json());
    let grpc = client
        .validate(pb::ValidateRequest {
            document,
            frame: Some(frame),
            language: pb::Language::Sv as i32,
            include_fields: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_same(
        &without_duration(answer.json()),
        &without_duration(serde_json::to_value(&grpc).unwrap()),
        "multipart with frame",
    );

    // Errors: the same gRPC code and field violations, with the usual HTTP status.
    let partly = fixture("lastensuojelu-suunnitelma-sisalto-virheet.xml");
    let big = {
        let mut big = b"<ClinicalDocument>".to_vec();
        big.resize(250_000, b' ');
        big
    };
    let errors: Vec<(&str, HttpAnswer, pb::ValidateRequest, u16)> = vec![
        (
            "empty document",
            post(http, "/v1/validate", "application/xml", b"  \n"),
            pb::ValidateRequest {
                document: b"  \n".to_vec(),
                format: pb::Format::Cda as i32,
                ..Default::default()
            },
            400,
        ),
        (
            "structure not in the catalog",
            post(
                http,
                "/v1/validate?structure=1.2.3.4",
                "application/xml",
                &partly,
            ),
            pb::ValidateRequest {
                document: partly.clone(),
                format: pb::Format::Cda as i32,
                structure_oid: "1.2.3.4".into(),
                ..Default::default()
            },
            400,
        ),
        (
            "organisation not loaded",
            post(
                http,
                "/v1/validate?organisation=Kunta",
                "application/xml",
                &partly,
            ),
            pb::ValidateRequest {
                document: partly.clone(),
                format: pb::Format::Cda as i32,
                organisation: "Kunta".into(),
                ..Default::default()
            },
            400,
        ),
        (
            "document over the limit",
            post(http, "/v1/validate", "application/xml", &big),
            pb::ValidateRequest {
                document: big.clone(),
                format: pb::Format::Cda as i32,
                ..Default::default()
            },
            413,
        ),
    ];
    for (what, answer, request, status) in errors {
        assert_eq!(answer.status, status, "{what}: {:?}", answer.json());
        assert!(answer.header("x-request-id").is_some(), "{what}");
        conforms(&openapi, "post", "/v1/validate", &answer);
        let grpc = client.validate(request).await.unwrap_err();
        assert_eq!(http_error(&answer), grpc_error(&grpc), "{what}");
        assert_eq!(answer.json()["error"]["message"], grpc.message(), "{what}");
    }
    // Refused by the HTTP layer itself, naming the ValidateRequest fields.
    for (target, field) in [
        ("/v1/validate?lang=de", "language"),
        ("/v1/validate?format=pdf", "format"),
        ("/v1/validate?include_fields=maybe", "include_fields"),
        ("/v1/validate?color=red", "query"),
    ] {
        let answer = post(http, target, "application/xml", &partly);
        assert_eq!(answer.status, 400, "{target}");
        conforms(&openapi, "post", "/v1/validate", &answer);
        assert_eq!(
            http_error(&answer),
            (3, vec![(field.to_string(), "UNKNOWN_VALUE".to_string())]),
            "{target}"
        );
    }
    // A body far over the limit is refused before it is read whole.
    let huge = vec![b' '; 200_000 * 2 + 1024 * 1024 + 10];
    let answer = post(http, "/v1/validate", "application/xml", &huge);
    assert_eq!(answer.status, 413);
    assert_eq!(answer.json()["error"]["status"], "RESOURCE_EXHAUSTED");
    conforms(&openapi, "post", "/v1/validate", &answer);
    let (content_type, body) = multipart(&[("frame", b"<x/>")]);
    let answer = post(http, "/v1/validate", &content_type, &body);
    assert_eq!(answer.status, 400);
    assert_eq!(
        http_error(&answer),
        (3, vec![("document".into(), "MISSING".into())])
    );

    // The catalog and the summary, as the RPCs answer.
    let list = get(http, "/v1/structures");
    assert_eq!(list.status, 200);
    conforms(&openapi, "get", "/v1/structures", &list);
    let grpc_list = client
        .list_structures(pb::ListStructuresRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_same(
        &list.json(),
        &serde_json::to_value(&grpc_list).unwrap(),
        "structures",
    );
    let family = get(http, "/v1/structures?family=Suunnitelma").json();
    assert!(
        family["structures"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["family"] == "Suunnitelma")
    );
    let one = get(http, &format!("/v1/structures/{OID}"));
    assert_eq!(one.status, 200);
    conforms(&openapi, "get", "/v1/structures/{oid}", &one);
    let grpc_one = client
        .get_structure(pb::GetStructureRequest { oid: OID.into() })
        .await
        .unwrap()
        .into_inner();
    assert_same(
        &one.json(),
        &serde_json::to_value(&grpc_one).unwrap(),
        "structure",
    );
    let missing = get(http, "/v1/structures/1.2.3.4.5");
    assert_eq!(missing.status, 404);
    conforms(&openapi, "get", "/v1/structures/{oid}", &missing);
    assert_eq!(missing.json()["error"]["status"], "NOT_FOUND");
    let summary = get(http, "/v1/summary?by_custodian=true");
    assert_eq!(summary.status, 200);
    conforms(&openapi, "get", "/v1/summary", &summary);
    assert!(
        summary.json()["total"]["documents"]
            .as_str()
            .is_some_and(|n| n.parse::<u64>().unwrap() >= 8),
        "{:?}",
        summary.json()
    );
    let rules = get(http, "/v1/rules?family=header");
    assert_eq!(rules.status, 200);
    conforms(&openapi, "get", "/v1/rules", &rules);
    let grpc_rules = client
        .list_rules(pb::ListRulesRequest {
            family: "header".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!grpc_rules.rules.is_empty());
    assert_same(
        &rules.json(),
        &serde_json::to_value(&grpc_rules).unwrap(),
        "rules",
    );
    let bad_rules = get(http, "/v1/rules?colour=red");
    assert_eq!(bad_rules.status, 400);
    conforms(&openapi, "get", "/v1/rules", &bad_rules);
    for path in ["/healthz", "/readyz"] {
        let answer = get(http, path);
        assert_eq!(answer.status, 200, "{path}");
        conforms(&openapi, "get", path, &answer);
    }
    // Every documented path is served.
    for (path, item) in openapi["paths"].as_object().unwrap() {
        let target = path.replace("{oid}", OID);
        for method in item.as_object().unwrap().keys() {
            let answer = http_request(http, &method.to_uppercase(), &target, &[], b"");
            assert_ne!(answer.status, 404, "{method} {path}");
            assert_ne!(answer.status, 405, "{method} {path}");
        }
    }
    let nowhere = get(http, "/v2/nothing");
    assert_eq!(nowhere.status, 404);
    assert_eq!(nowhere.json()["error"]["status"], "NOT_FOUND");

    // Security headers on the page, the API and errors alike.
    for answer in [get(http, "/"), get(http, "/assets/app.js"), nowhere, list] {
        let csp = answer.header("content-security-policy").unwrap();
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(answer.header("x-frame-options"), Some("DENY"));
    }
    let page = String::from_utf8(get(http, "/").body).unwrap();
    assert!(page.contains(r#"<script src="/assets/app.js" defer></script>"#));
    assert_eq!(page.matches("<script").count(), 1, "no inline script");
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no external resource"
    );
    // CORS for the configured origin only.
    let allowed = http_request(
        http,
        "GET",
        "/v1/structures",
        &[("Origin", "https://tools.example")],
        b"",
    );
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some("https://tools.example")
    );
    let other = http_request(
        http,
        "GET",
        "/v1/structures",
        &[("Origin", "https://evil.example")],
        b"",
    );
    assert_eq!(other.header("access-control-allow-origin"), None);
    let preflight = http_request(
        http,
        "OPTIONS",
        "/v1/validate",
        &[
            ("Origin", "https://tools.example"),
            ("Access-Control-Request-Method", "POST"),
        ],
        b"",
    );
    assert_eq!(preflight.status, 204);
    assert!(
        preflight
            .header("access-control-allow-methods")
            .unwrap()
            .contains("POST")
    );

    // The same metrics as gRPC, labelled by API.
    let metrics = scrape(server.metrics).await;
    let count = |api: &str| -> f64 {
        metrics
            .lines()
            .find(|l| {
                l.starts_with("rakenne_request_duration_seconds_count{")
                    && l.contains(&format!("api=\"{api}\""))
                    && l.contains("rpc=\"Validate\"")
            })
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0.0)
    };
    assert!(count("http") >= 10.0, "{metrics}");
    assert!(count("grpc") >= 5.0, "{metrics}");

    // Access log lines, and nothing of the documents or query values in any line.
    server.child.kill().unwrap();
    let _ = server.child.wait();
    let mut lines = Vec::new();
    while let Ok(Some(line)) =
        tokio::time::timeout(std::time::Duration::from_secs(5), server.log.next_line()).await
    {
        lines.push(line);
    }
    let access: Vec<_> = lines
        .iter()
        .filter(|l| l["message"] == "http request")
        .collect();
    assert!(access.len() > 20, "{} access lines", access.len());
    assert!(
        access
            .iter()
            .any(|l| l["route"] == "/v1/structures/{oid}" && l["status"] == 404)
    );
    assert!(
        lines.iter().any(|l| l["message"] == "checked"
            && l["rpc"] == "Validate"
            && l["span"]["api"] == "http"),
        "the check's own log line is tied to the HTTP request"
    );
    for line in &lines {
        let text = line.to_string();
        for secret in [marker, "Kunta", "1.2.3.4.5", "color", "evil.example"] {
            assert!(!text.contains(secret), "{secret} in a log line: {text}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadlines_are_504_and_cors_is_off_by_default() {
    let server = spawn_serve_http(&["--request-timeout", "0.000001"]).await;
    let http = server.http;
    let mut document = fixture("lastensuojelu-suunnitelma-sisalto-virheet.xml");
    // Over 64 KiB: checked on the blocking pool, past the deadline by then.
    document.extend(std::iter::repeat_n(b'\n', 70 * 1024));
    let answer = post(http, "/v1/validate", "application/xml", &document);
    assert_eq!(answer.status, 504, "{:?}", answer.json());
    let mut client = ConformanceServiceClient::new(channel(server.grpc).await);
    let grpc = client
        .validate(pb::ValidateRequest {
            document,
            format: pb::Format::Cda as i32,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(http_error(&answer), grpc_error(&grpc));
    assert_eq!(answer.json()["error"]["status"], "DEADLINE_EXCEEDED");

    let answer = http_request(
        http,
        "GET",
        "/v1/structures",
        &[("Origin", "https://tools.example")],
        b"",
    );
    assert_eq!(answer.status, 200);
    assert!(
        answer
            .headers
            .iter()
            .all(|(name, _)| !name.starts_with("access-control-")),
        "{:?}",
        answer.headers
    );
    let preflight = http_request(
        http,
        "OPTIONS",
        "/v1/validate",
        &[("Origin", "https://tools.example")],
        b"",
    );
    assert!(preflight.header("access-control-allow-origin").is_none());
}

/// The HTTP API takes a body's share of the server's memory budget before reading it, as
/// the gRPC transport does: a body larger than the whole budget is refused at once with
/// RESOURCE_EXHAUSTED (429), counted in `rakenne_refused_total`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_are_charged_to_the_memory_budget() {
    let server =
        spawn_serve_http(&["--memory-budget", "2", "--max-document-bytes", "1048576"]).await;
    let http = server.http;
    let small = post(
        http,
        "/v1/validate",
        "application/xml",
        &fixture("lastensuojelu-suunnitelma-sisalto-virheet.xml"),
    );
    assert_eq!(small.status, 200, "{:?}", small.json());
    let mut large = fixture("lastensuojelu-suunnitelma-sisalto-virheet.xml");
    large.extend(std::iter::repeat_n(b'\n', 2560 * 1024));
    let answer = post(http, "/v1/validate", "application/xml", &large);
    assert_eq!(answer.status, 429, "{:?}", answer.json());
    assert_eq!(answer.json()["error"]["status"], "RESOURCE_EXHAUSTED");
    let metrics = scrape(server.metrics).await;
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("rakenne_refused_total{code=\"RESOURCE_EXHAUSTED\"}")),
        "{metrics}"
    );
}

/// A body that does not arrive whole within `--receive-timeout` is answered 408 and its
/// share of the budget goes back: a client cannot hold memory with a half-sent upload.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_bodies_time_out() {
    use std::io::{Read as _, Write as _};
    let server = spawn_serve_http(&["--receive-timeout", "1"]).await;
    let addr = server.http;
    let answer = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(20)))
            .unwrap();
        stream
            .write_all(
                b"POST /v1/validate HTTP/1.1\r\nHost: localhost\r\n\
                  Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"a\":",
            )
            .unwrap();
        let started = std::time::Instant::now();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        (
            String::from_utf8_lossy(&answer).into_owned(),
            started.elapsed(),
        )
    })
    .await
    .unwrap();
    assert!(answer.0.starts_with("HTTP/1.1 408"), "{}", answer.0);
    assert!(
        answer.1 < std::time::Duration::from_secs(15),
        "{:?}",
        answer.1
    );
    // The server still answers.
    let again = post(
        addr,
        "/v1/validate",
        "application/xml",
        &fixture("lastensuojelu-suunnitelma-sisalto-virheet.xml"),
    );
    assert_eq!(again.status, 200);
}
