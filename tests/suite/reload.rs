//! Hot reload of the definitions (issue 7): the Admin RPC and SIGHUP swap the catalog
//! atomically, requests in flight finish on the old one, and a catalog that fails to load
//! is refused (logged and counted) while the old one stays.

use crate::common;

use common::server::{
    Gate, JsonLog, TestServer, channel, get_metrics as scrape, report_of, signal, spawn_serve,
};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use rakenne::definitions::DefinitionsOptions;
use rakenne::service::pb::admin_client::AdminClient;
use rakenne::service::pb::conformance_service_client::ConformanceServiceClient;
use rakenne::service::pb::{self, ListStructuresRequest, ReloadDefinitionsRequest};
use rakenne::service::{DefinitionsSource, ServerConfig};
use tonic::Code;
use tonic::transport::Channel;

/// Three small structures of the embedded catalog, by OID, with their root keys.
const A: (&str, &str) = (
    "1.2.246.537.6.1506.19002.2022.1.10",
    "merkinta_sosiaalipalvelun_alkamisesta",
);
const B: (&str, &str) = (
    "1.2.246.537.6.1506.15000.2024.11.29",
    "adoptioneuvonnan_suunnitelma",
);
const C: (&str, &str) = (
    "1.2.246.537.6.1506.1004.2025.2.26",
    "lapsen_huoltajan_tarpeesta_tehdyn_ilmoituksen_arvio",
);

fn copy_structure(dir: &Path, oid: &str) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schemas/sosmeta")
        .join(format!("{oid}.json"));
    std::fs::copy(from, dir.join(format!("{oid}.json"))).unwrap();
}

fn remove_structure(dir: &Path, oid: &str) {
    std::fs::remove_file(dir.join(format!("{oid}.json"))).unwrap();
}

/// A definitions directory with the given structures.
fn definitions_dir(oids: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sosmeta");
    std::fs::create_dir(&dir).unwrap();
    for oid in oids {
        copy_structure(&dir, oid);
    }
    (tmp, dir)
}

async fn oids(client: &mut ConformanceServiceClient<Channel>) -> Vec<String> {
    let mut oids: Vec<String> = client
        .list_structures(ListStructuresRequest::default())
        .await
        .unwrap()
        .into_inner()
        .structures
        .into_iter()
        .map(|s| s.oid)
        .collect();
    oids.sort();
    oids
}

fn sorted(list: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = list.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

fn document(root_key: &str) -> Vec<u8> {
    format!("{{\"{root_key}\": {{}}}}").into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_rpc_swaps_the_catalog_and_in_flight_requests_keep_the_old_one() {
    let (_tmp, dir) = definitions_dir(&[A.0, B.0]);
    let gate = Gate::new(false);
    let mut config = ServerConfig::new(DefinitionsSource::Load(DefinitionsOptions {
        structures: Some(dir.clone()),
        ..DefinitionsOptions::default()
    }));
    config.check_hook = Some(gate.hook());
    let server = TestServer::start(config).await;
    let addr = server.addr;
    let mut client = ConformanceServiceClient::new(channel(addr).await);
    let mut admin = AdminClient::new(channel(addr).await);
    assert_eq!(oids(&mut client).await, sorted(&[A.0, B.0]));

    // A request tied to B is held in flight.
    gate.hold(true);
    let mut in_flight_client = client.clone();
    let in_flight = tokio::spawn(async move {
        in_flight_client
            .validate(pb::ValidateRequest {
                document: document(B.1),
                ..Default::default()
            })
            .await
    });
    gate.entered(1).await;

    // B goes, C comes; the reload answers while the request is still held. Losing B
    // makes the new catalog partial: the operator says so on purpose.
    remove_structure(&dir, B.0);
    copy_structure(&dir, C.0);
    let reloaded = admin
        .reload_definitions(ReloadDefinitionsRequest {
            allow_partial: true,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reloaded.catalog_size, 2);
    assert_ne!(reloaded.catalog_version, reloaded.previous_catalog_version);
    assert_eq!(reloaded.failed_files, 0);
    assert_eq!(oids(&mut client).await, sorted(&[A.0, C.0]));

    // The held request finishes on the old catalog: tied to B.
    gate.hold(false);
    gate.open();
    let report = in_flight
        .await
        .unwrap()
        .unwrap()
        .into_inner()
        .report
        .unwrap();
    assert_eq!(report.structure.unwrap().oid, B.0);
    // A new request gets the new catalog: B's root key is nobody's now.
    let report = report_of(
        &mut client,
        pb::ValidateRequest {
            document: document(B.1),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(report.verdict, pb::Verdict::OwnTemplate as i32);
    let report = report_of(
        &mut client,
        pb::ValidateRequest {
            document: document(C.1),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(report.structure.unwrap().oid, C.0);

    // A catalog that fails to load (no structure at all) is refused; the old one stays.
    remove_structure(&dir, A.0);
    remove_structure(&dir, C.0);
    let status = admin
        .reload_definitions(ReloadDefinitionsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert_eq!(oids(&mut client).await, sorted(&[A.0, C.0]));
    // So is a directory that is gone.
    std::fs::remove_dir(&dir).unwrap();
    let status = admin
        .reload_definitions(ReloadDefinitionsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert_eq!(oids(&mut client).await, sorted(&[A.0, C.0]));

    let metrics_addr = server.metrics_addr;
    let metrics = tokio::task::spawn_blocking(move || scrape(metrics_addr))
        .await
        .unwrap();
    assert!(
        metrics.contains("rakenne_reload_total{outcome=\"ok\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("rakenne_reload_total{outcome=\"failed\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("rakenne_catalog_structures 2"),
        "{metrics}"
    );

    server.shutdown().await;
}

/// The real binary: SIGHUP reloads, a failing reload is logged and the old catalog stays.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_the_definitions() {
    let (_tmp, dir) = definitions_dir(&[A.0]);
    let mut child = spawn_serve(&["--definitions".as_ref(), dir.as_os_str()]);
    let stderr = child.stderr.take().unwrap();
    let mut log = JsonLog::follow(stderr, false);
    let ready = log.next("ready").await;
    let addr: SocketAddr = ready["grpc"].as_str().unwrap().parse().unwrap();
    let mut client = ConformanceServiceClient::new(channel(addr).await);
    assert_eq!(oids(&mut client).await, sorted(&[A.0]));
    let hup = || signal(&child, "HUP");

    copy_structure(&dir, B.0);
    hup();
    let reloaded = log.next("definitions reloaded").await;
    assert_eq!(reloaded["structures"], 2);
    assert_eq!(oids(&mut client).await, sorted(&[A.0, B.0]));

    std::fs::remove_dir_all(&dir).unwrap();
    hup();
    let failed = log
        .next("reload failed: keeping the loaded definitions")
        .await;
    assert_eq!(failed["level"], "ERROR");
    assert_eq!(oids(&mut client).await, sorted(&[A.0, B.0]));

    signal(&child, "TERM");
    log.next("stopped").await;
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status:?}");
}
