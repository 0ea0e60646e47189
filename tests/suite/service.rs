//! The gRPC service end to end: a real server on an ephemeral port (bound first, then handed
//! over), called with the generated tonic client; health, reflection, `/metrics` over HTTP,
//! graceful shutdown, and the `rakenne serve` binary itself.

use crate::common;

use common::server::{Gate, JsonLog, TestServer, report_of, signal, spawn_serve};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rakenne::definitions::{Definitions, DefinitionsOptions};
use rakenne::service::pb::conformance_service_client::ConformanceServiceClient;
use rakenne::service::pb::{self, validate_stream_response::Result as ItemResult};
use rakenne::service::{DefinitionsSource, SERVICE_NAME, ServeError, ServerConfig, serve};
use serde_json::json;
use tokio::net::TcpListener;
use tokio_stream::StreamExt as _;
use tonic::Code;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_types::StatusExt as _;

/// A small national structure whose tree the documents below follow.
const OID: &str = "1.2.246.537.6.1506.1004.2025.2.26";

fn definitions() -> Arc<Definitions> {
    static DEFINITIONS: OnceLock<Arc<Definitions>> = OnceLock::new();
    DEFINITIONS
        .get_or_init(|| Arc::new(Definitions::embedded().expect("embedded definitions")))
        .clone()
}

fn bindings_file() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schemas/bindings/example-organisation.json")
}

/// The structure's root key, checked against the embedded catalog together with every
/// element the documents use, so a changed catalog fails here rather than obscurely.
fn root_key() -> String {
    let definitions = definitions();
    let structure = definitions
        .catalog
        .get(OID)
        .expect("structure in the catalog");
    let root = structure.root_key.clone();
    for pointer in [
        "/asiakas/sukunimi",
        "/asiakas/etunimet",
        "/asiakas/tilapainen_yksilointitunnus/value",
        "/toimenpiteet",
        "/laatija/sukunimi",
        "/laatija/etunimet",
        "/paivamaara",
    ] {
        let template = format!("/{root}{pointer}");
        assert!(
            structure.element_by_template(&template).is_some(),
            "{template} not in {OID}"
        );
    }
    root
}

/// A fully conformant content document; `i` varies the free text.
fn valid_document(i: usize) -> Vec<u8> {
    let root = root_key();
    serde_json::to_vec(&json!({ root: {
        "asiakas": {
            "sukunimi": "Salainen",
            "etunimet": "Testi",
            "tilapainen_yksilointitunnus": {"value": format!("1.2.246.10.12345678.10.2024.{i}")}
        },
        "toimenpiteet": format!("Toimenpide numero {i}."),
        "laatija": {"sukunimi": "Laatija", "etunimet": "Liisa"}
    }}))
    .unwrap()
}

/// Tied to the structure but missing required elements and with a bad date.
fn invalid_document() -> Vec<u8> {
    let root = root_key();
    serde_json::to_vec(&json!({ root: {
        "asiakas": {"sukunimi": "Salainen"},
        "laatija": {"sukunimi": "Laatija", "etunimet": "Liisa"},
        "paivamaara": "eilen"
    }}))
    .unwrap()
}

fn own_template_document() -> Vec<u8> {
    br#"{"oma_pohja": {"asiakas": {"nimi": "Salainen"}, "teksti": "vapaa teksti"}}"#.to_vec()
}

fn unreadable_document() -> Vec<u8> {
    b"{\"broken\": ".to_vec()
}

fn request(document: Vec<u8>) -> pb::ValidateRequest {
    pb::ValidateRequest {
        document,
        ..Default::default()
    }
}

impl TestServer {
    async fn with(config: impl FnOnce(&mut ServerConfig)) -> Self {
        let mut c = ServerConfig::new(DefinitionsSource::Loaded(definitions()));
        config(&mut c);
        Self::start(c).await
    }

    async fn client(&self) -> ConformanceServiceClient<Channel> {
        ConformanceServiceClient::new(self.channel().await)
            .max_decoding_message_size(64 * 1024 * 1024)
            .max_encoding_message_size(64 * 1024 * 1024)
    }
}

/// The value of one sample line `name{labels} value` in a scrape.
fn sample(scrape: &str, name_and_labels: &str) -> Option<f64> {
    scrape.lines().find_map(|line| {
        let (key, value) = line.rsplit_once(' ')?;
        (key == name_and_labels).then(|| value.parse().unwrap())
    })
}

fn verdict(report: &pb::Report) -> pb::Verdict {
    pb::Verdict::try_from(report.verdict).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_answers_every_verdict_as_a_normal_response() {
    let server = TestServer::with(|_| {}).await;
    let mut client = server.client().await;

    // Fully conformant, with the field table and coverage; the request id comes back.
    let mut call = tonic::Request::new(pb::ValidateRequest {
        document: valid_document(1),
        format: pb::Format::Json as i32,
        include_fields: true,
        language: pb::Language::En as i32,
        ..Default::default()
    });
    call.metadata_mut()
        .insert("x-request-id", "test-unary-1".parse().unwrap());
    let response = client.validate(call).await.unwrap();
    assert_eq!(
        response.metadata().get("x-request-id").unwrap(),
        "test-unary-1"
    );
    let report = response.into_inner().report.unwrap();
    assert_eq!(verdict(&report), pb::Verdict::FullyConformant);
    assert_eq!(report.verdict_label, "fully per definition");
    assert_eq!(report.error_count, 0);
    let structure = report.structure.as_ref().unwrap();
    assert_eq!(structure.oid, OID);
    assert_eq!(structure.root_key, root_key());
    assert_eq!(structure.family, "Arvio");
    assert_eq!(structure.chosen_by, pb::ChosenBy::RootKey as i32);
    assert!(!structure.name.as_ref().unwrap().fi.is_empty());
    assert_eq!(report.document.as_ref().unwrap().format, "json");
    assert!(!report.fields.is_empty());
    let toimenpiteet = report
        .fields
        .iter()
        .find(|row| row.pointer.ends_with("/toimenpiteet"))
        .unwrap();
    assert_eq!(toimenpiteet.status, pb::FieldStatus::Valid as i32);
    assert!(toimenpiteet.required);
    assert_eq!(toimenpiteet.count, 1);
    let coverage = report.coverage.unwrap();
    assert!(coverage.required_present > 0);
    assert_eq!(coverage.required_present, coverage.required_total);

    // Partly conformant: findings with rule ids, severities, pointers and element names.
    let report = report_of(
        &mut client,
        pb::ValidateRequest {
            document: invalid_document(),
            structure_oid: OID.into(),
            language: pb::Language::Fi as i32,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(verdict(&report), pb::Verdict::PartlyConformant);
    assert_eq!(report.verdict_label, "osin määritysten mukaisesti");
    assert_eq!(
        report.structure.as_ref().unwrap().chosen_by,
        pb::ChosenBy::Caller as i32
    );
    assert!(report.error_count >= 2, "{report:#?}");
    assert!(report.fields.is_empty(), "fields only when asked for");
    let required = report
        .findings
        .iter()
        .find(|f| {
            f.rule_id == "content.required"
                && f.pointer
                    .as_deref()
                    .is_some_and(|p| p.ends_with("/toimenpiteet"))
        })
        .unwrap_or_else(|| panic!("no content.required for toimenpiteet: {report:#?}"));
    assert_eq!(required.severity, pb::Severity::Error as i32);
    assert!(!required.message.is_empty());
    assert!(report.findings.iter().any(|f| {
        f.pointer
            .as_deref()
            .is_some_and(|p| p.ends_with("/paivamaara"))
    }));
    assert!(
        report
            .findings
            .iter()
            .filter_map(|f| f.element.as_ref())
            .any(|e| e.name.as_ref().is_some_and(|n| n.fi == "Päivämäärä")),
        "{report:#?}"
    );

    // Own template: no structure, nearest national structures.
    let report = report_of(&mut client, request(own_template_document())).await;
    assert_eq!(verdict(&report), pb::Verdict::OwnTemplate);
    assert!(report.structure.is_none());
    assert!(!report.nearest.is_empty());
    assert!(
        report
            .nearest
            .iter()
            .all(|n| (0.0..=1.0).contains(&n.score))
    );

    // Unreadable: a finding with the position in the source.
    let report = report_of(&mut client, request(unreadable_document())).await;
    assert_eq!(verdict(&report), pb::Verdict::Unreadable);
    let syntax = &report.findings[0];
    assert_eq!(syntax.severity, pb::Severity::Error as i32);
    assert!(syntax.line.is_some());

    // A CDA that is not well-formed XML is unreadable too, not an RPC error.
    let report = report_of(
        &mut client,
        pb::ValidateRequest {
            document: b"<ClinicalDocument xmlns=\"urn:hl7-org:v3\"><unclosed></ClinicalDocument>"
                .to_vec(),
            format: pb::Format::Cda as i32,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(verdict(&report), pb::Verdict::Unreadable);
    assert_eq!(report.document.unwrap().format, "cda");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_of_500_documents_answers_each_in_order_with_its_request_id() {
    let server = TestServer::with(|_| {}).await;
    let mut client = server.client().await;
    let kinds = |i: usize| match i % 50 {
        7 => "invalid",
        13 => "own",
        29 => "unreadable",
        41 => "empty",
        _ => "valid",
    };
    let requests = (0..500).map(move |i| {
        let document = match kinds(i) {
            "invalid" => invalid_document(),
            "own" => own_template_document(),
            "unreadable" => unreadable_document(),
            "empty" => Vec::new(),
            _ => valid_document(i),
        };
        pb::ValidateStreamRequest {
            request_id: format!("doc-{i}"),
            request: Some(request(document)),
        }
    });
    let mut responses = client
        .validate_stream(tokio_stream::iter(requests))
        .await
        .unwrap()
        .into_inner();
    let mut seen = 0;
    while let Some(response) = responses.message().await.unwrap() {
        let i = seen;
        assert_eq!(response.request_id, format!("doc-{i}"));
        match (kinds(i), response.result.unwrap()) {
            ("empty", ItemResult::Error(error)) => {
                assert_eq!(error.code, Code::InvalidArgument as i32);
                assert_eq!(error.field_violations[0].field, "request.document");
                assert_eq!(error.field_violations[0].reason, "EMPTY");
            }
            (kind, ItemResult::Report(report)) => {
                let expected = match kind {
                    "invalid" => pb::Verdict::PartlyConformant,
                    "own" => pb::Verdict::OwnTemplate,
                    "unreadable" => pb::Verdict::Unreadable,
                    _ => pb::Verdict::FullyConformant,
                };
                assert_eq!(verdict(&report), expected, "doc-{i}");
            }
            (kind, other) => panic!("doc-{i} ({kind}): {other:?}"),
        }
        seen += 1;
    }
    assert_eq!(seen, 500);

    // The summary counted exactly the 490 checked documents.
    let summary = client
        .get_conformance_summary(pb::GetConformanceSummaryRequest::default())
        .await
        .unwrap()
        .into_inner();
    let total = summary.total.unwrap();
    assert_eq!(total.documents, 490);
    assert_eq!(total.fully_conformant, 460);
    assert_eq!(total.partly_conformant, 10);
    assert_eq!(total.own_template, 10);
    assert_eq!(total.unreadable, 10);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_reads_ahead_only_a_bounded_window() {
    let gate = Gate::new(true);
    let hook = gate.hook();
    let server = TestServer::with(|c| {
        c.max_concurrency = 1;
        c.stream_window = 4;
        c.check_hook = Some(hook);
    })
    .await;
    let mut client = server.client().await;
    // 300 documents of about 64 KiB (19 MiB in all), made only when the transport asks.
    let pulled = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = pulled.clone();
    let total = 300;
    let requests = tokio_stream::iter(0..total).map(move |i| {
        counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let root = root_key();
        let document = serde_json::to_vec(&json!({ root: {
            "asiakas": {"sukunimi": "S", "etunimet": "T", "tilapainen_yksilointitunnus": {"value": "1.2.3"}},
            "toimenpiteet": "x".repeat(64 * 1024),
            "laatija": {"sukunimi": "L", "etunimet": "L"}
        }}))
        .unwrap();
        pb::ValidateStreamRequest {
            request_id: i.to_string(),
            request: Some(request(document)),
        }
    });
    let mut responses = client.validate_stream(requests).await.unwrap().into_inner();
    // One check is held at the gate; the server must stop reading soon after.
    gate.entered(1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = pulled.load(std::sync::atomic::Ordering::SeqCst);
    eprintln!("documents sent while one check was held: {before} of {total}");
    assert!(
        before < total / 2,
        "the client was let to send {before} of {total} documents while one check was held"
    );
    assert_eq!(gate.count(), 1, "max_concurrency 1: one check at a time");
    gate.open();
    let mut seen = 0;
    while let Some(response) = responses.message().await.unwrap() {
        assert_eq!(response.request_id, seen.to_string());
        seen += 1;
    }
    assert_eq!(seen, total);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browse_lists_structures_and_gets_one_with_its_element_tree() {
    let server = TestServer::with(|_| {}).await;
    let mut client = server.client().await;
    let catalog = &definitions().catalog;

    let all = client
        .list_structures(pb::ListStructuresRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.structures.len(), catalog.len());
    assert_eq!(all.catalog_size as usize, catalog.len());
    assert_eq!(all.catalog_version, catalog.version());
    let ours = all.structures.iter().find(|s| s.oid == OID).unwrap();
    assert_eq!(ours.family, "Arvio");
    assert_eq!(ours.type_code, "1004");
    assert_eq!(ours.definition_version, "2025-02-26");

    let arvio = client
        .list_structures(pb::ListStructuresRequest {
            family: "arvio".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!arvio.structures.is_empty() && arvio.structures.len() < catalog.len());
    assert!(arvio.structures.iter().all(|s| s.family == "Arvio"));

    let got = client
        .get_structure(pb::GetStructureRequest { oid: OID.into() })
        .await
        .unwrap()
        .into_inner();
    let structure = catalog.get(OID).unwrap();
    assert_eq!(got.structure.unwrap().oid, OID);
    assert_eq!(got.elements.len(), structure.elements().len());
    let root = &got.elements[0];
    assert_eq!(root.parent, None);
    assert_eq!(root.depth, 0);
    assert_eq!(root.key, root_key());
    for (i, element) in got.elements.iter().enumerate() {
        assert_eq!(element.index as usize, i);
        for &child in &element.children {
            assert_eq!(got.elements[child as usize].parent, Some(i as u32));
            assert_eq!(got.elements[child as usize].depth, element.depth + 1);
        }
    }
    let sukunimi = got
        .elements
        .iter()
        .find(|e| e.pointer == format!("/{}/asiakas/sukunimi", root_key()))
        .unwrap();
    assert_eq!(sukunimi.name.as_ref().unwrap().fi, "Sukunimi");
    assert_eq!(sukunimi.representation, "Nimi");
    assert_eq!(sukunimi.cardinality, "1..1");
    assert!(got.elements.iter().any(|e| e.henkilotunnus));
    assert_eq!(got.rules.len(), structure.rules().len());
    assert_eq!(
        got.rules[0].kind,
        pb::conditional_rule::Kind::AtLeastOne as i32
    );

    // By root key: the newest version.
    let by_key = client
        .get_structure(pb::GetStructureRequest { oid: root_key() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        by_key.structure.unwrap().oid,
        catalog.latest(&root_key()).unwrap().oid()
    );

    let missing = client
        .get_structure(pb::GetStructureRequest {
            oid: "1.2.246.537.6.1506.9999.2020.1.1".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    assert!(missing.get_details_resource_info().is_some());
    let empty = client
        .get_structure(pb::GetStructureRequest::default())
        .await
        .unwrap_err();
    assert_eq!(empty.code(), Code::InvalidArgument);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn summary_counts_verdicts_per_structure_service_task_and_custodian() {
    let server = TestServer::with(|_| {}).await;
    let mut client = server.client().await;
    let with_task = |document: Vec<u8>, task: &str| pb::ValidateRequest {
        document,
        service_task: task.into(),
        ..Default::default()
    };
    for request in [
        with_task(valid_document(1), "10"),
        with_task(valid_document(2), "10"),
        with_task(invalid_document(), "10"),
        with_task(valid_document(3), ""),
        with_task(valid_document(4), "Salainen Testi"),
        with_task(own_template_document(), "10"),
        with_task(unreadable_document(), ""),
    ] {
        client.validate(request).await.unwrap();
    }
    let summary = client
        .get_conformance_summary(pb::GetConformanceSummaryRequest { by_custodian: true })
        .await
        .unwrap()
        .into_inner();
    assert!(summary.since_unix_seconds > 1_600_000_000);
    let total = summary.total.unwrap();
    assert_eq!(
        (
            total.fully_conformant,
            total.partly_conformant,
            total.own_template,
            total.unreadable,
            total.documents
        ),
        (4, 1, 1, 1, 7)
    );
    let row = |structure: &str, task: &str| {
        summary
            .rows
            .iter()
            .find(|r| r.structure_oid == structure && r.service_task == task)
            .unwrap_or_else(|| panic!("no row {structure} {task}: {:#?}", summary.rows))
            .counts
            .unwrap()
    };
    let ten = row(OID, "10");
    assert_eq!(
        (ten.fully_conformant, ten.partly_conformant, ten.documents),
        (2, 1, 3)
    );
    assert_eq!(row(OID, "").fully_conformant, 1);
    // Free text is never a key.
    assert_eq!(row(OID, "other").documents, 1);
    assert_eq!(row("", "10").own_template, 1);
    assert_eq!(row("", "").unreadable, 1);
    // Content JSON has no custodian.
    assert!(summary.rows.iter().all(|r| r.custodian_oid.is_empty()));
    assert!(!format!("{:?}", summary.rows).contains("Salainen"));
    server.shutdown().await;
}

/// The field violations of a status, as (field, reason).
fn violations(status: &tonic::Status) -> Vec<(String, String)> {
    status
        .get_details_bad_request()
        .unwrap_or_else(|| panic!("no BadRequest in {status:?}"))
        .field_violations
        .into_iter()
        .map(|v| (v.field, v.reason))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_rpc_errors_with_field_violations() {
    let server = TestServer::start(ServerConfig {
        max_document_bytes: 4096,
        ..ServerConfig::new(DefinitionsSource::Load(DefinitionsOptions {
            bindings: Some(bindings_file()),
            ..Default::default()
        }))
    })
    .await;
    let mut client = server.client().await;
    let refused = |result: Result<tonic::Response<pb::ValidateResponse>, tonic::Status>| {
        result.expect_err("a bad request must be an RPC error")
    };

    let status = refused(client.validate(request(Vec::new())).await);
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(violations(&status), [("document".into(), "EMPTY".into())]);
    let status = refused(client.validate(request(b"  \n\t ".to_vec())).await);
    assert_eq!(violations(&status), [("document".into(), "EMPTY".into())]);

    let status = refused(
        client
            .validate(pb::ValidateRequest {
                format: 42,
                ..request(valid_document(1))
            })
            .await,
    );
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        violations(&status),
        [("format".into(), "UNKNOWN_VALUE".into())]
    );

    let status = refused(
        client
            .validate(pb::ValidateRequest {
                structure_oid: "1.2.246.537.6.1506.9999.2020.1.1".into(),
                ..request(valid_document(1))
            })
            .await,
    );
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        violations(&status),
        [("structure_oid".into(), "NOT_IN_CATALOG".into())]
    );
    assert!(
        status
            .message()
            .contains("1.2.246.537.6.1506.9999.2020.1.1")
    );

    // The server has the `example` organisation layer and no other.
    let ok = client
        .validate(pb::ValidateRequest {
            organisation: "example".into(),
            ..request(valid_document(1))
        })
        .await
        .unwrap();
    assert!(ok.into_inner().report.is_some());
    let status = refused(
        client
            .validate(pb::ValidateRequest {
                organisation: "elsewhere".into(),
                ..request(valid_document(1))
            })
            .await,
    );
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        violations(&status),
        [("organisation".into(), "NOT_LOADED".into())]
    );

    // Every problem at once.
    let status = refused(
        client
            .validate(pb::ValidateRequest {
                document: Vec::new(),
                format: 9,
                language: 9,
                phase: "9".repeat(100),
                ..Default::default()
            })
            .await,
    );
    let fields: Vec<String> = violations(&status).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["document", "format", "language", "phase"]);

    // Over the size limit: RESOURCE_EXHAUSTED from us, with details and without content.
    let big = {
        let mut document = valid_document(1);
        document.extend(std::iter::repeat_n(b' ', 5000));
        document
    };
    let status = refused(client.validate(request(big.clone())).await);
    assert_eq!(status.code(), Code::ResourceExhausted);
    assert_eq!(
        violations(&status),
        [("document".into(), "TOO_LARGE".into())]
    );
    assert!(status.message().contains("4096"));
    assert!(!String::from_utf8_lossy(status.details()).contains("Salainen"));
    let status = refused(
        client
            .validate(pb::ValidateRequest {
                frame: Some(big),
                ..request(valid_document(1))
            })
            .await,
    );
    assert_eq!(status.code(), Code::ResourceExhausted);
    assert_eq!(violations(&status), [("frame".into(), "TOO_LARGE".into())]);
    // Far over: the transport refuses the message before decoding it.
    let status = refused(client.validate(request(vec![b'{'; 2 * 1024 * 1024])).await);
    assert_eq!(status.code(), Code::ResourceExhausted);

    // A bad item in a stream is an item error, and the stream goes on.
    let items = vec![
        pb::ValidateStreamRequest {
            request_id: "a".into(),
            request: None,
        },
        pb::ValidateStreamRequest {
            request_id: "b".into(),
            request: Some(pb::ValidateRequest {
                structure_oid: "1.2.3".into(),
                ..request(valid_document(1))
            }),
        },
    ];
    let mut responses = client
        .validate_stream(tokio_stream::iter(items))
        .await
        .unwrap()
        .into_inner();
    let a = responses.message().await.unwrap().unwrap();
    let Some(ItemResult::Error(error)) = a.result else {
        panic!("{a:?}")
    };
    assert_eq!(error.field_violations[0].field, "request");
    let b = responses.message().await.unwrap().unwrap();
    let Some(ItemResult::Error(error)) = b.result else {
        panic!("{b:?}")
    };
    assert_eq!(error.code, Code::InvalidArgument as i32);
    assert_eq!(error.field_violations[0].field, "request.structure_oid");
    assert!(responses.message().await.unwrap().is_none());

    // A stream item far over the limit ends the stream with RESOURCE_EXHAUSTED.
    let items = vec![pb::ValidateStreamRequest {
        request_id: "huge".into(),
        request: Some(request(vec![b'{'; 2 * 1024 * 1024])),
    }];
    let mut responses = client
        .validate_stream(tokio_stream::iter(items))
        .await
        .unwrap()
        .into_inner();
    let status = responses.message().await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadlines_are_honoured() {
    let gate = Gate::new(true);
    let hook = gate.hook();
    let server = TestServer::with(|c| {
        c.max_concurrency = 1;
        c.check_hook = Some(hook);
    })
    .await;
    let mut client = server.client().await;
    // The first check is held at the gate past its deadline.
    let mut held = tonic::Request::new(request(valid_document(1)));
    held.set_timeout(Duration::from_millis(1000));
    let status = client.validate(held).await.unwrap_err();
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    // The next waits for the only check slot, and gives up in time too.
    let mut waiting = tonic::Request::new(request(valid_document(2)));
    waiting.set_timeout(Duration::from_millis(800));
    let status = client.validate(waiting).await.unwrap_err();
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    gate.open();
    // Without a deadline problem, the same request succeeds.
    let mut fine = tonic::Request::new(request(valid_document(3)));
    fine.set_timeout(Duration::from_secs(20));
    client.validate(fine).await.unwrap();
    let scrape = server.scrape().await;
    assert_eq!(
        sample(&scrape, "rakenne_refused_total{code=\"DEADLINE_EXCEEDED\"}"),
        Some(2.0)
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_serving_after_definitions_load_and_reflection_lists_services() {
    let server = TestServer::start(ServerConfig::new(DefinitionsSource::Load(
        DefinitionsOptions::default(),
    )))
    .await;
    let channel = server.channel().await;
    let mut health = HealthClient::new(channel.clone());
    for service in ["", SERVICE_NAME] {
        let status = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner()
            .status;
        assert_eq!(status, ServingStatus::Serving as i32, "{service:?}");
    }
    let unknown = health
        .check(HealthCheckRequest {
            service: "no.such.Service".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);

    // Reflection v1 and v1alpha both list the services.
    {
        use tonic_reflection::pb::v1::ServerReflectionRequest;
        use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
        use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
        use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
        let mut reflection = ServerReflectionClient::new(channel.clone());
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let mut responses = reflection
            .server_reflection_info(tokio_stream::iter([request]))
            .await
            .unwrap()
            .into_inner();
        let response = responses.message().await.unwrap().unwrap();
        let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
            panic!("{response:?}")
        };
        let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
        for wanted in [SERVICE_NAME, "grpc.health.v1.Health"] {
            assert!(
                names.iter().any(|n| n == wanted),
                "{wanted} not in {names:?}"
            );
        }
        // The service's file can be fetched by symbol, for clients without the proto.
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::FileContainingSymbol(SERVICE_NAME.into())),
        };
        let mut responses = reflection
            .server_reflection_info(tokio_stream::iter([request]))
            .await
            .unwrap()
            .into_inner();
        let response = responses.message().await.unwrap().unwrap();
        assert!(matches!(
            response.message_response,
            Some(MessageResponse::FileDescriptorResponse(_))
        ));
    }
    {
        use tonic_reflection::pb::v1alpha::ServerReflectionRequest;
        use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient;
        use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest;
        use tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse;
        let mut reflection = ServerReflectionClient::new(channel);
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let mut responses = reflection
            .server_reflection_info(tokio_stream::iter([request]))
            .await
            .unwrap()
            .into_inner();
        let response = responses.message().await.unwrap().unwrap();
        let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
            panic!("{response:?}")
        };
        assert!(list.service.iter().any(|s| s.name == SERVICE_NAME));
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn definitions_that_do_not_load_stop_the_server_with_an_error() {
    let empty = tempfile::tempdir().unwrap();
    let grpc = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = ServerConfig::new(DefinitionsSource::Load(DefinitionsOptions {
        structures: Some(empty.path().to_path_buf()),
        ..Default::default()
    }));
    let result = tokio::time::timeout(
        Duration::from_secs(30),
        serve(config, grpc, None, std::future::pending()),
    )
    .await
    .unwrap();
    assert!(
        matches!(result, Err(ServeError::Definitions(_))),
        "{result:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_scraped_over_http_without_personal_data() {
    let server = TestServer::with(|_| {}).await;
    let mut client = server.client().await;
    let before = server.scrape().await;
    assert_eq!(sample(&before, "rakenne_requests_in_flight"), Some(0.0));
    assert_eq!(
        sample(&before, "rakenne_catalog_structures"),
        Some(definitions().catalog.len() as f64)
    );
    assert_eq!(
        sample(
            &before,
            &format!(
                "rakenne_catalog_info{{version=\"{}\"}}",
                definitions().catalog.version()
            )
        ),
        Some(1.0)
    );
    assert_eq!(sample(&before, "rakenne_ready"), Some(1.0));
    let start = sample(&before, "process_start_time_seconds").unwrap();
    assert!(start > 1_600_000_000.0);

    for request in [
        pb::ValidateRequest {
            service_task: "10".into(),
            ..request(valid_document(1))
        },
        pb::ValidateRequest {
            service_task: "Salainen Testi 010101-929N".into(),
            ..request(invalid_document())
        },
        request(own_template_document()),
    ] {
        client.validate(request).await.unwrap();
    }
    client.validate(request(Vec::new())).await.unwrap_err();

    let scrape = server.scrape().await;
    let documents = |structure: &str, task: &str, verdict: &str| {
        sample(
            &scrape,
            &format!(
                "rakenne_documents_total{{service_task=\"{task}\",structure=\"{structure}\",verdict=\"{verdict}\"}}"
            ),
        )
    };
    assert_eq!(
        documents(OID, "10", "FULLY_CONFORMANT"),
        Some(1.0),
        "{scrape}"
    );
    assert_eq!(
        documents(OID, "other", "PARTLY_CONFORMANT"),
        Some(1.0),
        "{scrape}"
    );
    assert_eq!(
        documents("none", "none", "OWN_TEMPLATE"),
        Some(1.0),
        "{scrape}"
    );
    assert!(
        sample(
            &scrape,
            "rakenne_findings_total{rule=\"content.required\",severity=\"ERROR\"}"
        )
        .is_some_and(|n| n >= 2.0),
        "{scrape}"
    );
    assert_eq!(
        sample(&scrape, "rakenne_refused_total{code=\"INVALID_ARGUMENT\"}"),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &scrape,
            "rakenne_request_duration_seconds_count{api=\"grpc\",rpc=\"Validate\"}"
        ),
        Some(4.0)
    );
    assert!(scrape.contains(
        "rakenne_request_duration_seconds_bucket{api=\"grpc\",rpc=\"Validate\",le=\"0.5\"}"
    ));
    assert_eq!(sample(&scrape, "rakenne_requests_in_flight"), Some(0.0));
    for secret in ["Salainen", "Testi", "010101", "Liisa", "vapaa teksti"] {
        assert!(!scrape.contains(secret), "{secret} in the metrics");
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_the_request_in_flight_finish() {
    let gate = Gate::new(true);
    let hook = gate.hook();
    let server = TestServer::with(|c| c.check_hook = Some(hook)).await;
    let mut client = server.client().await;
    let in_flight = tokio::spawn(async move { client.validate(request(valid_document(1))).await });
    gate.entered(1).await;
    let scrape = server.scrape().await;
    assert_eq!(sample(&scrape, "rakenne_requests_in_flight"), Some(1.0));

    // Shut down while the check is held; the server must wait for it.
    let TestServer { mut stop, task, .. } = server;
    stop.take().unwrap().send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !task.is_finished(),
        "the server stopped with a request in flight"
    );
    gate.open();
    let response = in_flight
        .await
        .unwrap()
        .expect("the request in flight completes");
    assert_eq!(
        verdict(&response.into_inner().report.unwrap()),
        pb::Verdict::FullyConformant
    );
    tokio::time::timeout(Duration::from_secs(30), task)
        .await
        .expect("the server stops once the request is done")
        .unwrap()
        .unwrap();
}

/// The real binary: ready line, one log line per request without content, SIGTERM.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_serve_command_logs_ready_and_stops_on_sigterm() {
    let mut child = spawn_serve(&[]);
    let stderr = child.stderr.take().unwrap();
    let mut log = JsonLog::follow(stderr, true);
    let ready = log.next("ready").await;
    assert!(ready["startup_ms"].as_u64().is_some(), "{ready}");
    let addr = ready["grpc"].as_str().unwrap().to_string();

    let mut client = ConformanceServiceClient::connect(format!("http://{addr}"))
        .await
        .unwrap();
    let mut call = tonic::Request::new(request(valid_document(7)));
    call.metadata_mut()
        .insert("x-request-id", "binary-1".parse().unwrap());
    client.validate(call).await.unwrap();
    let checked = log.next("checked").await;
    assert_eq!(checked["request_id"], "binary-1");
    assert_eq!(checked["structure"], OID);
    assert_eq!(checked["verdict"], "FULLY_CONFORMANT");
    assert!(checked["duration_ms"].as_f64().is_some());
    assert!(!checked.to_string().contains("Salainen"));

    signal(&child, "TERM");
    log.next("stopped").await;
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status:?}");
}

/// The real binary keeps serving, and stops cleanly, when whoever reads its log goes away
/// (a log shipper restarted, `rakenne serve 2>&1 | head`): a failed log write is not a
/// reason to fail requests.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_serve_command_survives_its_log_reader_going_away() {
    use std::io::BufRead as _;
    let mut child = spawn_serve(&[]);
    let stderr = child.stderr.take().unwrap();
    // Read up to the ready line, then close the pipe's read end.
    let addr = tokio::task::spawn_blocking(move || {
        let mut lines = std::io::BufReader::new(stderr).lines();
        loop {
            let line = lines.next().expect("a ready line").unwrap();
            let value: serde_json::Value = serde_json::from_str(&line).unwrap();
            if value["message"] == "ready" {
                return value["grpc"].as_str().unwrap().to_string();
            }
        }
    })
    .await
    .unwrap();

    let mut client = ConformanceServiceClient::connect(format!("http://{addr}"))
        .await
        .unwrap();
    for n in 0..5 {
        let report = client
            .validate(request(valid_document(n)))
            .await
            .expect("served with nobody reading the log")
            .into_inner()
            .report
            .unwrap();
        assert_eq!(verdict(&report), pb::Verdict::FullyConformant);
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "the server is still running"
    );

    signal(&child, "TERM");
    let status = tokio::time::timeout(
        Duration::from_secs(30),
        tokio::task::spawn_blocking(move || child.wait()),
    )
    .await
    .expect("the server stops")
    .unwrap()
    .unwrap();
    assert!(status.success(), "{status:?}");
}

/// A Kanta CDA document with its archiving frame (a fixture of the repository): the verdict
/// its fixture expects, the custodian in the report, and the summary split by custodian.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cda_document_with_its_frame_and_the_summary_by_custodian() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let document = std::fs::read(fixtures.join("asiakkuus-taysi.xml")).unwrap();
    let frame = std::fs::read(fixtures.join("asiakkuus-taysi.frame.xml")).unwrap();
    let expected: serde_json::Value = serde_json::from_slice(
        &std::fs::read(fixtures.join("asiakkuus-taysi.expected.json")).unwrap(),
    )
    .unwrap();
    let server = TestServer::with(|_| {}).await;
    let mut client = server.client().await;
    let report = report_of(
        &mut client,
        pb::ValidateRequest {
            document: document.clone(),
            frame: Some(frame),
            format: pb::Format::Cda as i32,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        pb::Verdict::try_from(report.verdict).unwrap().as_str_name(),
        format!("VERDICT_{}", expected["verdict"].as_str().unwrap())
    );
    let facts = report.document.unwrap();
    assert_eq!(facts.format, "cda");
    let custodian = facts.custodian_oid;
    assert!(!custodian.is_empty());
    // The same document once more, and a content JSON without a custodian.
    client.validate(request(document)).await.unwrap();
    client.validate(request(valid_document(1))).await.unwrap();

    let by_custodian = client
        .get_conformance_summary(pb::GetConformanceSummaryRequest { by_custodian: true })
        .await
        .unwrap()
        .into_inner();
    let rows: Vec<(&str, u64)> = by_custodian
        .rows
        .iter()
        .map(|r| (r.custodian_oid.as_str(), r.counts.unwrap().documents))
        .collect();
    assert!(rows.contains(&(custodian.as_str(), 2)), "{rows:?}");
    assert!(rows.contains(&("", 1)), "{rows:?}");
    let merged = client
        .get_conformance_summary(pb::GetConformanceSummaryRequest {
            by_custodian: false,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(merged.rows.iter().all(|r| r.custodian_oid.is_empty()));
    assert_eq!(merged.total.unwrap().documents, 3);
    let scrape = server.scrape().await;
    assert!(!scrape.contains("Testinen"));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_and_large_documents_get_the_same_report() {
    // Up to 64 KiB a document is checked on the async worker that received it, above that
    // on the blocking pool; the two must answer alike. Trailing whitespace makes the same
    // JSON content larger without changing it.
    let server = TestServer::with(|_| {}).await;
    let mut client = server.client().await;
    let small = invalid_document();
    let mut large = small.clone();
    large.resize(small.len() + 80 * 1024, b' ');
    let mut reports = Vec::new();
    for document in [small, large] {
        let report = report_of(
            &mut client,
            pb::ValidateRequest {
                document,
                include_fields: true,
                ..Default::default()
            },
        )
        .await;
        reports.push(report);
    }
    let (small, large) = (&reports[0], &reports[1]);
    assert_eq!(verdict(small), pb::Verdict::PartlyConformant);
    assert_eq!(small.verdict, large.verdict);
    assert_eq!(small.error_count, large.error_count);
    assert!(!small.findings.is_empty());
    assert_eq!(small.findings, large.findings);
    assert_eq!(small.fields, large.fields);
    assert_eq!(small.coverage, large.coverage);
    server.shutdown().await;
}
