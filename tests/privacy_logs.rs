//! Privacy (issue 7): the engine and the service, run at debug log level over documents
//! with henkilötunnus values and names, put none of them in logs, metrics or error
//! details. Everything the process logs (all crates, DEBUG and up) is captured in memory.

mod common;

use common::server::{TestServer, get_metrics as scrape};
use common::test_hetu;
use std::sync::{Arc, Mutex, OnceLock};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rakenne::check::{CheckOptions, Engine};
use rakenne::definitions::Definitions;
use rakenne::service::pb::conformance_service_client::ConformanceServiceClient;
use rakenne::service::pb::{self, ValidateRequest};
use rakenne::service::{DefinitionsSource, ServerConfig};
use tokio_stream::StreamExt as _;
use tracing_subscriber::fmt::MakeWriter;

/// Everything logged by this process.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

fn captured() -> &'static Captured {
    static CAPTURED: OnceLock<Captured> = OnceLock::new();
    CAPTURED.get_or_init(|| {
        let captured = Captured::default();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(captured.clone())
            .with_ansi(false)
            .init();
        captured
    })
}

fn definitions() -> Arc<Definitions> {
    static DEFINITIONS: OnceLock<Arc<Definitions>> = OnceLock::new();
    DEFINITIONS
        .get_or_init(|| Arc::new(Definitions::embedded().expect("embedded definitions")))
        .clone()
}

struct Secrets {
    good: String,
    other: String,
    bad: String,
}

impl Secrets {
    fn new() -> Self {
        let good = test_hetu("010190", '-', 950);
        let other = test_hetu("311299", 'A', 987);
        let bad = format!("{}X", &test_hetu("150585", '-', 912)[..10]);
        Self { good, other, bad }
    }

    /// Values that must appear nowhere: the identity codes (whole and their digits) and
    /// the names.
    fn all(&self) -> Vec<String> {
        let mut all = vec![
            "Salaisuus".to_string(),
            "Erittäin".to_string(),
            "Piilonen".to_string(),
        ];
        for hetu in [&self.good, &self.other, &self.bad] {
            all.push(hetu.clone());
            all.push(hetu[..6].to_string() + &hetu[7..10]);
        }
        all
    }
}

/// Content JSON with identity codes and names, some invalid.
fn content(secrets: &Secrets) -> serde_json::Value {
    serde_json::json!({
        "asiakkuusasiakirja": {
            "asiakas": {
                "sukunimi": "Salaisuus",
                "etunimet": "Erittäin",
                "henkilotunnus": {"system": "1.2.246.21", "value": secrets.bad},
                "syntymaaika": "1990-02-30"
            },
            "huoltaja": {"sukunimi": "Piilonen", "henkilotunnus": {"system": "1.2.246.21", "value": secrets.other}}
        }
    })
}

/// A CDA document whose header names one person and whose content another.
fn cda(secrets: &Secrets) -> Vec<u8> {
    let json = STANDARD.encode(content(secrets).to_string());
    let display = STANDARD.encode(
        "<html xmlns=\"http://www.w3.org/1999/xhtml\"><body><p>Salaisuus Erittäin</p></body></html>",
    );
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <ClinicalDocument xmlns=\"urn:hl7-org:v3\" xmlns:ep2=\"urn:hl7finland\">\
         <recordTarget><patientRole><id root=\"1.2.246.21\" extension=\"{}\"/>\
         <patient><name><given>Erittäin</given><family>Piilonen</family></name></patient>\
         </patientRole></recordTarget>\
         <component><nonXMLBody>\
         <text mediaType=\"text/xml\" representation=\"B64\">{display}</text>\
         <ep2:json>{json}</ep2:json>\
         </nonXMLBody></component></ClinicalDocument>",
        secrets.good
    )
    .into_bytes()
}

fn assert_clean(what: &str, text: &str, secrets: &[String]) {
    for secret in secrets {
        assert!(!text.contains(secret.as_str()), "{secret:?} in {what}");
    }
}

#[test]
fn the_engine_logs_no_personal_data_at_debug_level() {
    let captured = captured();
    let secrets = Secrets::new();
    let engine = Engine::new(definitions());
    let options = CheckOptions {
        include_fields: true,
        test_environment: true,
        ..CheckOptions::default()
    };
    let json = content(&secrets).to_string();
    let documents: Vec<Vec<u8>> = vec![
        json.clone().into_bytes(),
        cda(&secrets),
        // Unreadable ones, whose errors are reported at a position.
        format!("{json}, {{\"{}\": 1}}", secrets.good).into_bytes(),
        format!("<x a=\"{}\" a=\"{}\"/>", secrets.good, secrets.other).into_bytes(),
    ];
    for document in &documents {
        engine
            .check(document, Some(&cda(&secrets)), &options)
            .unwrap();
    }
    assert_clean("logs", &captured.text(), &secrets.all());
}

/// A status as everything a client sees of it: code, message, details, metadata.
fn status_text(status: &tonic::Status) -> String {
    format!(
        "{:?} {} {} {:?}",
        status.code(),
        status.message(),
        String::from_utf8_lossy(status.details()),
        status.metadata()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_logs_counts_and_refuses_without_personal_data() {
    let captured = captured();
    let secrets = Secrets::new();
    let mut config = ServerConfig::new(DefinitionsSource::Loaded(definitions()));
    config.max_document_bytes = 64 * 1024;
    let server = TestServer::start(config).await;
    let mut client = ConformanceServiceClient::new(server.channel().await);
    let json = content(&secrets).to_string().into_bytes();
    let mut errors = String::new();

    // Reports: read, but the logs and metrics must not show what they were about.
    for document in [json.clone(), cda(&secrets)] {
        let request = ValidateRequest {
            document,
            frame: Some(cda(&secrets)),
            test_environment: true,
            include_fields: true,
            ..Default::default()
        };
        client.validate(request).await.unwrap();
    }
    // Codes that are identity codes and names: accepted (the report gives them back to
    // the caller), but neither logged nor made metric labels.
    let request = ValidateRequest {
        document: json.clone(),
        service_task: secrets.other.clone(),
        phase: "Salaisuus".into(),
        ..Default::default()
    };
    client.validate(request).await.unwrap();
    // Refusals: over the size limit (with the identity code in it), a structure "OID"
    // that is an identity code, an unknown organisation named by a name.
    let mut oversize = json.clone();
    while oversize.len() <= 64 * 1024 {
        oversize.extend_from_slice(secrets.good.as_bytes());
    }
    let refused = [
        ValidateRequest {
            document: oversize,
            ..Default::default()
        },
        ValidateRequest {
            document: json.clone(),
            structure_oid: secrets.good.clone(),
            ..Default::default()
        },
        ValidateRequest {
            document: json.clone(),
            organisation: "Piilonen".into(),
            ..Default::default()
        },
    ];
    for request in refused {
        let status = client.validate(request).await.unwrap_err();
        errors.push_str(&status_text(&status));
        errors.push('\n');
    }
    // The same through a stream: errors inside items and the stream's own.
    let items = vec![
        pb::ValidateStreamRequest {
            request_id: "s1".into(),
            request: Some(ValidateRequest {
                document: json.clone(),
                structure_oid: secrets.other.clone(),
                ..Default::default()
            }),
        },
        pb::ValidateStreamRequest {
            request_id: "s2".into(),
            request: Some(ValidateRequest {
                document: cda(&secrets),
                ..Default::default()
            }),
        },
    ];
    let mut responses = client
        .validate_stream(tokio_stream::iter(items))
        .await
        .unwrap()
        .into_inner();
    while let Some(response) = responses.next().await {
        let response = response.unwrap();
        if let Some(pb::validate_stream_response::Result::Error(error)) = response.result {
            errors.push_str(&format!("{error:?}\n"));
        }
    }
    // The summary by custodian.
    let summary = client
        .get_conformance_summary(pb::GetConformanceSummaryRequest { by_custodian: true })
        .await
        .unwrap()
        .into_inner();

    let metrics_addr = server.metrics_addr;
    let metrics = tokio::task::spawn_blocking(move || scrape(metrics_addr))
        .await
        .unwrap();
    // Connections closed, so shutdown need not wait.
    drop((client, responses));
    server.shutdown().await;

    let logs = captured.text();
    // The capture did see the service at work, at debug level.
    assert!(logs.contains("checked"), "{logs}");
    assert!(logs.contains("refused"), "{logs}");
    assert!(logs.contains("DEBUG"), "no debug lines captured");
    let all = secrets.all();
    assert_clean("logs", &logs, &all);
    assert_clean("metrics", &metrics, &all);
    assert_clean("error details", &errors, &all);
    assert_clean("summary", &format!("{summary:?}"), &all);
    assert!(errors.lines().count() >= 4, "{errors}");
}
