//! TLS and mutual TLS on the gRPC listener (issue 7), with certificates made here by rcgen:
//! a client without a certificate from the configured client CA is refused.

use crate::common;

use common::server::{JsonLog, signal, spawn_serve};
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rakenne::definitions::Definitions;
use rakenne::service::pb::conformance_service_client::ConformanceServiceClient;
use rakenne::service::pb::{self, ValidateRequest};
use rakenne::service::{DefinitionsSource, ServerConfig, TlsConfig, serve};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, SanType,
};
use tokio::net::TcpListener;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

fn definitions() -> Arc<Definitions> {
    static DEFINITIONS: OnceLock<Arc<Definitions>> = OnceLock::new();
    DEFINITIONS
        .get_or_init(|| Arc::new(Definitions::embedded().expect("embedded definitions")))
        .clone()
}

/// A certificate authority.
struct Ca(CertifiedIssuer<'static, KeyPair>);

/// A certificate and its key, PEM.
struct Leaf {
    cert: String,
    key: String,
}

impl Ca {
    fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        Self(CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap())
    }

    fn pem(&self) -> String {
        self.0.pem()
    }

    fn server(&self) -> Leaf {
        let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        params
            .subject_alt_names
            .push(SanType::IpAddress([127, 0, 0, 1].into()));
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        self.leaf(params)
    }

    fn client(&self, name: &str) -> Leaf {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        self.leaf(params)
    }

    fn leaf(&self, params: CertificateParams) -> Leaf {
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.0).unwrap();
        Leaf {
            cert: cert.pem(),
            key: key.serialize_pem(),
        }
    }
}

struct Server {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), rakenne::service::ServeError>>,
}

impl Server {
    async fn start(tls: TlsConfig) -> Self {
        let mut config = ServerConfig::new(DefinitionsSource::Loaded(definitions()));
        config.tls = Some(tls);
        let grpc = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = grpc.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(serve(config, grpc, None, async {
            let _ = stopped.await;
        }));
        Self {
            addr,
            stop: Some(stop),
            task,
        }
    }

    async fn stop(mut self) {
        self.stop.take().unwrap().send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(30), self.task)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
    }
}

/// One Validate call over a fresh connection; `Err` says where it failed.
async fn call(addr: SocketAddr, tls: Option<ClientTlsConfig>) -> Result<i32, String> {
    let scheme = if tls.is_some() { "https" } else { "http" };
    let mut endpoint = Channel::from_shared(format!("{scheme}://localhost:{}", addr.port()))
        .unwrap()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30));
    if let Some(tls) = tls {
        endpoint = endpoint
            .tls_config(tls)
            .map_err(|e| format!("config: {e}"))?;
    }
    let channel = endpoint
        .connect()
        .await
        .map_err(|e| format!("connect: {e:?}"))?;
    // The server may still be loading: UNAVAILABLE from the service itself is retried.
    for _ in 0..300 {
        let result = ConformanceServiceClient::new(channel.clone())
            .validate(ValidateRequest {
                document: b"{\"a\": 1, \"a\": 2}".to_vec(),
                ..Default::default()
            })
            .await;
        match result {
            Ok(response) => return Ok(response.into_inner().report.unwrap().verdict),
            Err(status)
                if status.code() == tonic::Code::Unavailable
                    && status.message().contains("loading") =>
            {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(status) => return Err(format!("call: {status:?}")),
        }
    }
    Err("still loading".into())
}

fn client_tls(ca: &Ca, identity: Option<&Leaf>) -> ClientTlsConfig {
    let mut tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(ca.pem()))
        .domain_name("localhost");
    if let Some(leaf) = identity {
        tls = tls.identity(Identity::from_pem(&leaf.cert, &leaf.key));
    }
    tls
}

const UNREADABLE: i32 = pb::Verdict::Unreadable as i32;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_without_client_authentication() {
    let ca = Ca::new("rakenne test CA");
    let server_cert = ca.server();
    let server = Server::start(TlsConfig {
        cert_pem: server_cert.cert.into_bytes(),
        key_pem: server_cert.key.into_bytes(),
        client_ca_pem: None,
    })
    .await;
    assert_eq!(
        call(server.addr, Some(client_tls(&ca, None))).await,
        Ok(UNREADABLE)
    );
    // Plain HTTP/2 to a TLS listener fails.
    assert!(call(server.addr, None).await.is_err());
    // A client that does not trust the server's CA refuses it.
    let other = Ca::new("another CA");
    assert!(
        call(server.addr, Some(client_tls(&other, None)))
            .await
            .is_err()
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_refuses_clients_without_a_valid_certificate() {
    let ca = Ca::new("rakenne test CA");
    let clients = Ca::new("rakenne client CA");
    let rogue = Ca::new("rogue CA");
    let server_cert = ca.server();
    let server = Server::start(TlsConfig {
        cert_pem: server_cert.cert.into_bytes(),
        key_pem: server_cert.key.into_bytes(),
        client_ca_pem: Some(clients.pem().into_bytes()),
    })
    .await;
    let good = clients.client("vendor-system");
    assert_eq!(
        call(server.addr, Some(client_tls(&ca, Some(&good)))).await,
        Ok(UNREADABLE)
    );
    // No certificate at all.
    let error = call(server.addr, Some(client_tls(&ca, None)))
        .await
        .unwrap_err();
    assert!(!error.contains("still loading"), "{error}");
    // A certificate from a CA the server does not accept for clients.
    let bad = rogue.client("intruder");
    assert!(
        call(server.addr, Some(client_tls(&ca, Some(&bad))))
            .await
            .is_err()
    );
    // A server certificate's CA is not a client CA either.
    let wrong_ca = ca.client("server-ca-client");
    assert!(
        call(server.addr, Some(client_tls(&ca, Some(&wrong_ca))))
            .await
            .is_err()
    );
    // No plain text.
    assert!(call(server.addr, None).await.is_err());
    // The good client still gets in.
    assert_eq!(
        call(server.addr, Some(client_tls(&ca, Some(&good)))).await,
        Ok(UNREADABLE)
    );
    server.stop().await;
}

/// The `serve` flags: `--tls-cert`, `--tls-key`, `--client-ca`.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_serve_command_takes_tls_flags() {
    let ca = Ca::new("rakenne test CA");
    let clients = Ca::new("rakenne client CA");
    let server_cert = ca.server();
    let tmp = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let path = tmp.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let cert = write("server.pem", &server_cert.cert);
    let key = write("server.key", &server_cert.key);
    let client_ca = write("clients.pem", &clients.pem());
    let mut child = spawn_serve(&[
        "--tls-cert".as_ref(),
        cert.as_os_str(),
        "--tls-key".as_ref(),
        key.as_os_str(),
        "--client-ca".as_ref(),
        client_ca.as_os_str(),
    ]);
    let stderr = child.stderr.take().unwrap();
    // Kept to the end: the server's log is read (drained) for as long as it runs.
    let mut log = JsonLog::follow(stderr, false);
    let listening = log.next("listening").await;
    assert_eq!(listening["tls"], true);
    assert_eq!(listening["client_auth"], true);
    let addr: SocketAddr = listening["grpc"].as_str().unwrap().parse().unwrap();
    let good = clients.client("vendor-system");
    assert_eq!(
        call(addr, Some(client_tls(&ca, Some(&good)))).await,
        Ok(UNREADABLE)
    );
    assert!(call(addr, Some(client_tls(&ca, None))).await.is_err());
    signal(&child, "TERM");
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status:?}");
}
