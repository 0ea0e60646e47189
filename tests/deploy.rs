//! `deploy/`: the Kubernetes manifests render with `kubectl kustomize` (base and example
//! overlay) and every object validates against the Kubernetes API schemas
//! (kubernetes-validate from PyPI, offline); the Deployment's arguments, ports and probes
//! are run against the real binary (which also shows the drain: NOT_SERVING at SIGTERM
//! while still serving); the PrometheusRule's alerts use only metrics a live /metrics
//! exports; and the container image builds with podman from `scratch` and carries the
//! user, entrypoint, ports and stop signal the manifests expect.
//!
//! Each test skips (saying so) when kubectl, python3 or podman is missing; with
//! RAKENNE_REQUIRE_FLEET=1 (CI) that is a failure instead.

mod common;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::fleet::{Guard, free_port, http_get, scratch, skip, tools};
use common::server::{JsonLog, channel, signal};
use rakenne::service::pb::conformance_service_client::ConformanceServiceClient;
use rakenne::service::pb::{self};
use regex::Regex;
use serde_json::Value;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// The oldest Kubernetes the manifests are for: the preStop `sleep` action is 1.30's.
const KUBERNETES_VERSION: &str = "1.30.0";
/// Kinds of the Prometheus Operator: their schemas are CRDs, not part of the Kubernetes
/// API, so kubernetes-validate has none; this test checks them itself.
const CRD_KINDS: [&str; 2] = ["ServiceMonitor", "PrometheusRule"];
/// Names in alert expressions that are not the server's: the kubelet's cAdvisor series and
/// kube-state-metrics (the server exports no memory gauge).
const EXTERNAL_METRICS: [&str; 2] = [
    "container_memory_working_set_bytes",
    "kube_pod_container_resource_limits",
];
/// Labels Prometheus (and the Operator's ServiceMonitor) put on every scraped series, and
/// histogram buckets' `le`.
const TARGET_LABELS: [&str; 7] = [
    "job",
    "instance",
    "namespace",
    "pod",
    "service",
    "endpoint",
    "le",
];

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Validates every object of a rendered manifest (YAML on stdin) and prints one JSON
/// document: the objects themselves and, per object, "ok", "no-schema" or the error.
const VALIDATE_PY: &str = r#"
import json, sys, yaml, kubernetes_validate as kv
version, strict = sys.argv[1], True
objects = [o for o in yaml.safe_load_all(sys.stdin) if o]
results = []
for o in objects:
    try:
        kv.validate(o, version, strict)
        results.append("ok")
    except kv.SchemaNotFoundError:
        results.append("no-schema")
    except kv.ValidationError as e:
        results.append("invalid: %s at %s" % (e.message, "/".join(map(str, e.path))))
json.dump({"objects": objects, "results": results}, sys.stdout)
"#;

/// A venv under target/tmp with kubernetes-validate from PyPI, made on first use; `None`
/// (after [`skip`]) without python3 or PyPI.
fn validator_python() -> Option<PathBuf> {
    static PYTHON: OnceLock<Option<PathBuf>> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            tools(&["python3"])?;
            common::python::venv(
                "python-kubernetes-validate",
                &["kubernetes-validate>=1.30"],
                "import kubernetes_validate, yaml",
            )
            .map_err(|why| skip(&why))
            .ok()
        })
        .clone()
}

/// `kubectl kustomize DIR`: the rendered YAML.
fn render(kubectl: &Path, dir: &str) -> String {
    let output = Command::new(kubectl)
        .arg("kustomize")
        .arg(repo().join(dir))
        .output()
        .expect("kubectl runs");
    assert!(
        output.status.success(),
        "kubectl kustomize {dir}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The rendered objects of `yaml`, each with its validation result.
fn validate(python: &Path, yaml: &str) -> Vec<(Value, String)> {
    use std::io::Write as _;
    let mut child = Command::new(python)
        .args(["-c", VALIDATE_PY, KUBERNETES_VERSION])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(yaml.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "the validator failed");
    let answer: Value = serde_json::from_slice(&output.stdout).unwrap();
    let objects = answer["objects"].as_array().unwrap().clone();
    let results = answer["results"].as_array().unwrap();
    objects
        .into_iter()
        .zip(results.iter().map(|r| r.as_str().unwrap().to_string()))
        .collect()
}

/// Renders `dir`, asserts every object valid (CRD kinds: checked by hand), and answers
/// the objects.
fn rendered_and_valid(kubectl: &Path, python: &Path, dir: &str) -> Vec<Value> {
    let objects = validate(python, &render(kubectl, dir));
    let mut kinds = BTreeSet::new();
    for (object, result) in &objects {
        let kind = object["kind"].as_str().unwrap();
        let name = object["metadata"]["name"].as_str().unwrap();
        kinds.insert(kind.to_string());
        if CRD_KINDS.contains(&kind) {
            assert_eq!(result, "no-schema", "{dir}: {kind}/{name}");
            assert_eq!(object["apiVersion"], "monitoring.coreos.com/v1");
            continue;
        }
        assert_eq!(result, "ok", "{dir}: {kind}/{name}");
        // Every object is the service's (the kustomization's labels reached it).
        if kind != "Namespace" {
            assert_eq!(
                object["metadata"]["labels"]["app.kubernetes.io/name"], "rakenne",
                "{dir}: {kind}/{name}"
            );
        }
    }
    for kind in [
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "ConfigMap",
        "ServiceAccount",
        "ServiceMonitor",
        "PrometheusRule",
    ] {
        assert!(kinds.contains(kind), "{dir} renders no {kind}");
    }
    objects.into_iter().map(|(object, _)| object).collect()
}

fn find<'a>(objects: &'a [Value], kind: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind}"))
}

#[test]
fn manifests_render_and_validate_against_the_kubernetes_schemas() {
    let Some(tools) = tools(&["kubectl"]) else {
        return;
    };
    let Some(python) = validator_python() else {
        return;
    };
    let kubectl = &tools[0];

    // The validator rejects what is wrong, so its "ok" below means something.
    let broken = render(kubectl, "deploy/kubernetes/base").replacen(
        "maxUnavailable: 0",
        "maxUnavailable: 0\n      maxSurprise: 1",
        1,
    );
    let results = validate(&python, &broken);
    assert!(
        results.iter().any(|(_, r)| r.starts_with("invalid")),
        "a misspelt field passes the validator: {results:?}"
    );

    for dir in [
        "deploy/kubernetes/base",
        "deploy/kubernetes/overlays/example",
    ] {
        let objects = rendered_and_valid(kubectl, &python, dir);
        let deployment = find(&objects, "Deployment");
        let strategy = &deployment["spec"]["strategy"]["rollingUpdate"];
        assert_eq!(
            strategy["maxUnavailable"], 0,
            "{dir}: rolling updates keep capacity"
        );
        let pod = &deployment["spec"]["template"]["spec"];
        let container = &pod["containers"][0];
        for probe in ["startupProbe", "readinessProbe", "livenessProbe"] {
            assert!(
                container[probe]["grpc"]["port"].is_u64(),
                "{dir}: {probe} is gRPC"
            );
        }
        let security = &container["securityContext"];
        assert_eq!(security["allowPrivilegeEscalation"], false);
        assert_eq!(security["readOnlyRootFilesystem"], true);
        assert_eq!(security["capabilities"]["drop"][0], "ALL");
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
        assert!(container["resources"]["requests"]["cpu"].is_string());
        assert!(container["resources"]["limits"]["memory"].is_string());
        // The HPA, PDB and NetworkPolicy select the Deployment's pods.
        let pod_labels = &deployment["spec"]["template"]["metadata"]["labels"];
        for kind in ["PodDisruptionBudget", "NetworkPolicy"] {
            let object = find(&objects, kind);
            let selector = if kind == "NetworkPolicy" {
                &object["spec"]["podSelector"]["matchLabels"]
            } else {
                &object["spec"]["selector"]["matchLabels"]
            };
            for (key, value) in selector.as_object().unwrap() {
                assert_eq!(&pod_labels[key], value, "{dir}: {kind} selects the pods");
            }
        }
        let hpa = find(&objects, "HorizontalPodAutoscaler");
        assert_eq!(
            hpa["spec"]["scaleTargetRef"]["name"],
            deployment["metadata"]["name"]
        );
    }

    // The overlay's bindings layer is the example shipped in schemas/ (no drift).
    assert_eq!(
        std::fs::read_to_string(repo().join("deploy/kubernetes/overlays/example/bindings.json"))
            .unwrap(),
        std::fs::read_to_string(repo().join("schemas/bindings/example-organisation.json")).unwrap(),
    );
}

/// The container's `--flag=value` (or `--flag value`) arguments, as (flag, value) pairs.
fn flags(args: &[String]) -> Vec<(String, Option<String>)> {
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    for arg in args {
        if let Some(flag) = arg.strip_prefix("--") {
            match flag.split_once('=') {
                Some((name, value)) => out.push((name.into(), Some(value.into()))),
                None => out.push((flag.into(), None)),
            }
        } else if let Some((_, value @ None)) = out.last_mut() {
            *value = Some(arg.clone());
        }
    }
    out
}

fn value_of(flags: &[(String, Option<String>)], name: &str) -> String {
    flags
        .iter()
        .find(|(flag, _)| flag == name)
        .and_then(|(_, value)| value.clone())
        .unwrap_or_else(|| panic!("no --{name}"))
}

async fn health_status(addr: SocketAddr) -> i32 {
    HealthClient::new(channel(addr).await)
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("health answers")
        .into_inner()
        .status
}

/// The names and label names of every sample a live /metrics exports.
struct Exported {
    samples: BTreeSet<String>,
    labels: BTreeSet<(String, String)>,
}

impl Exported {
    fn parse(scrape: &str) -> Self {
        let label = Regex::new(r#"([a-zA-Z_][a-zA-Z0-9_]*)=""#).unwrap();
        let mut samples = BTreeSet::new();
        let mut labels = BTreeSet::new();
        for line in scrape
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let name = line.split(['{', ' ']).next().unwrap().to_string();
            if let Some(start) = line.find('{') {
                for c in label.captures_iter(&line[start..]) {
                    labels.insert((name.clone(), c[1].to_string()));
                }
            }
            samples.insert(name);
        }
        Self { samples, labels }
    }
}

/// Problems of one PromQL expression against what the server exports: unknown metric
/// names, and label names the server does not put on the metric.
fn expression_problems(expr: &str, exported: &Exported) -> Vec<String> {
    static RES: OnceLock<[Regex; 5]> = OnceLock::new();
    let [strings, selector, grouping, ranges, ident] = RES.get_or_init(|| {
        [
            Regex::new(r#""[^"]*""#).unwrap(),
            Regex::new(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}").unwrap(),
            Regex::new(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")
                .unwrap(),
            Regex::new(r"\[[^\]]*\]").unwrap(),
            Regex::new(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?").unwrap(),
        ]
    });
    const KEYWORDS: [&str; 6] = ["and", "or", "unless", "bool", "offset", "by"];
    let mut problems = Vec::new();
    let server_metric = |name: &str| name.starts_with("rakenne_") || name.starts_with("process_");
    let without_strings = strings.replace_all(expr, "\"\"");
    // Label names in selectors and groupings.
    let mut names = BTreeSet::new();
    for c in selector.captures_iter(&without_strings) {
        names.insert(c[1].to_string());
        for matcher in c[2].split(',').filter(|m| !m.trim().is_empty()) {
            let label = matcher.split(['=', '!', '~']).next().unwrap().trim();
            if server_metric(&c[1])
                && !TARGET_LABELS.contains(&label)
                && !exported
                    .labels
                    .contains(&(c[1].to_string(), label.to_string()))
            {
                problems.push(format!("{} has no label {label}", &c[1]));
            }
        }
    }
    let group_labels: BTreeSet<String> = grouping
        .captures_iter(&without_strings)
        .flat_map(|c| {
            c[1].split(',')
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
        })
        .collect();
    // Metric names: identifiers that are not functions, keywords or label lists.
    let names_only = selector.replace_all(&without_strings, "$1");
    let no_ranges = ranges.replace_all(&names_only, "");
    let bare = grouping.replace_all(&no_ranges, "");
    for c in ident.captures_iter(&bare) {
        if c.get(2).is_none() && !KEYWORDS.contains(&&c[1]) {
            names.insert(c[1].to_string());
        }
    }
    for name in &names {
        if EXTERNAL_METRICS.contains(&name.as_str()) {
            continue;
        }
        if !exported.samples.contains(name) {
            problems.push(format!("{name} is not exported"));
        }
    }
    for label in &group_labels {
        let on_some_metric = names.iter().any(|name| {
            EXTERNAL_METRICS.contains(&name.as_str())
                || exported.labels.contains(&(name.clone(), label.clone()))
        });
        if !TARGET_LABELS.contains(&label.as_str()) && !on_some_metric {
            problems.push(format!("no metric of the expression has the label {label}"));
        }
    }
    problems
}

#[test]
fn alert_names_are_checked_against_the_export() {
    // The checker itself finds a wrong name and a wrong label (so it can fail).
    let exported = Exported::parse(
        "rakenne_reload_total{outcome=\"ok\"} 1\nrakenne_request_duration_seconds_bucket{rpc=\"Validate\",le=\"0.1\"} 1\n",
    );
    assert!(
        expression_problems(
            "increase(rakenne_reload_total{outcome=\"failed\"}[5m]) > 0",
            &exported
        )
        .is_empty()
    );
    assert_eq!(
        expression_problems("rakenne_reloads_total > 0", &exported),
        vec!["rakenne_reloads_total is not exported"]
    );
    assert_eq!(
        expression_problems("rakenne_reload_total{result=\"failed\"} > 0", &exported),
        vec!["rakenne_reload_total has no label result"]
    );
    assert_eq!(
        expression_problems(
            "histogram_quantile(0.99, sum by (le, code) (rate(rakenne_request_duration_seconds_bucket[5m])))",
            &exported
        ),
        vec!["no metric of the expression has the label code"]
    );
}

/// The Deployment of the example overlay, run: its arguments start the real binary (on
/// ephemeral loopback ports, with the overlay's bindings file where the ConfigMap is
/// mounted), its probes answer SERVING, every flag is one `rakenne serve --help` lists,
/// the PrometheusRule's expressions use only what this server's /metrics exports, and
/// SIGTERM turns readiness NOT_SERVING at once while requests are still served for the
/// drain delay, all within the termination grace period.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deployment_runs_the_binary_its_probes_pass_and_alerts_use_exported_metrics() {
    let Some(tools) = tools(&["kubectl"]) else {
        return;
    };
    let Some(python) = validator_python() else {
        return;
    };
    let objects = rendered_and_valid(&tools[0], &python, "deploy/kubernetes/overlays/example");
    let deployment = find(&objects, "Deployment");
    let pod = &deployment["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    let args: Vec<String> = container["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    assert_eq!(args[0], "serve");
    let flags = flags(&args[1..]);

    // Every flag is one the binary documents.
    let help = Command::new(env!("CARGO_BIN_EXE_rakenne"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    for (flag, _) in &flags {
        assert!(
            help.contains(&format!("--{flag}")),
            "--{flag} is not in serve --help"
        );
    }

    // Ports: the named container ports are the ones the flags listen on.
    let port_of = |name: &str| {
        container["ports"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no port {name}"))["containerPort"]
            .as_u64()
            .unwrap()
    };
    let listen: SocketAddr = value_of(&flags, "listen").parse().unwrap();
    let metrics_listen: SocketAddr = value_of(&flags, "metrics-listen").parse().unwrap();
    assert_eq!(u64::from(listen.port()), port_of("grpc"));
    assert_eq!(u64::from(metrics_listen.port()), port_of("metrics"));
    for probe in ["startupProbe", "readinessProbe", "livenessProbe"] {
        assert_eq!(
            container[probe]["grpc"]["port"].as_u64(),
            Some(port_of("grpc"))
        );
        // No `service`: the probe asks for the server as a whole (service "").
        assert!(container[probe]["grpc"]["service"].is_null());
    }
    let annotations = &deployment["spec"]["template"]["metadata"]["annotations"];
    assert_eq!(
        annotations["prometheus.io/port"].as_str().unwrap(),
        port_of("metrics").to_string()
    );

    // The termination grace period covers preStop + drain + shutdown grace.
    let pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
        .as_u64()
        .unwrap();
    let drain: f64 = value_of(&flags, "drain-delay").parse().unwrap();
    let grace: u64 = value_of(&flags, "shutdown-grace").parse().unwrap();
    let termination = pod["terminationGracePeriodSeconds"].as_u64().unwrap();
    assert!(
        (pre_stop + grace) as f64 + drain < termination as f64,
        "terminationGracePeriodSeconds {termination} <= preStop {pre_stop} + drain {drain} + grace {grace}"
    );

    // The bindings flag points into the ConfigMap's mount, at a key the ConfigMap has.
    let bindings = value_of(&flags, "bindings");
    let mount = container["volumeMounts"][0]["mountPath"].as_str().unwrap();
    let key = bindings
        .strip_prefix(&format!("{mount}/"))
        .expect("--bindings is under the ConfigMap's mount");
    let config_map = find(&objects, "ConfigMap");
    assert_eq!(
        pod["volumes"][0]["configMap"]["name"],
        config_map["metadata"]["name"]
    );
    let dir = scratch("deploy-run");
    std::fs::write(
        dir.join(key),
        config_map["data"][key].as_str().expect("the bindings key"),
    )
    .unwrap();

    // Run the binary with the manifest's arguments, ports and paths made local.
    let grpc = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let metrics = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let local: Vec<String> = args
        .iter()
        .map(|arg| {
            arg.replace(&listen.to_string(), &grpc.to_string())
                .replace(&metrics_listen.to_string(), &metrics.to_string())
                .replace(&bindings, dir.join(key).to_str().unwrap())
        })
        .collect();
    let mut child = Command::new(env!("CARGO_BIN_EXE_rakenne"))
        .args(&local)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut log = JsonLog::follow(child.stderr.take().unwrap(), true);
    let child_guard = Guard(child);
    let loaded = log.next("definitions loaded").await;
    // The organisation layer of the ConfigMap is loaded (logged as a list).
    assert!(
        loaded["organisations"].to_string().contains("example"),
        "{loaded}"
    );
    log.next("ready").await;
    // The three probes are the same gRPC health check of the server as a whole.
    assert_eq!(health_status(grpc).await, ServingStatus::Serving as i32);

    // Traffic, so every metric family has samples: a document and a refusal.
    let mut client = ConformanceServiceClient::new(channel(grpc).await);
    let report = client
        .validate(pb::ValidateRequest {
            document: std::fs::read(repo().join("fixtures/asiakkuus-taysi.xml")).unwrap(),
            frame: Some(std::fs::read(repo().join("fixtures/asiakkuus-taysi.frame.xml")).unwrap()),
            ..Default::default()
        })
        .await
        .expect("a document is checked");
    assert!(report.into_inner().report.is_some());
    client
        .validate(pb::ValidateRequest::default())
        .await
        .expect_err("an empty document is refused");
    let (status, scrape) = tokio::task::spawn_blocking(move || http_get(metrics, "/metrics"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status, 200);
    let exported = Exported::parse(&scrape);

    // The alerts' expressions, against this live export.
    let rules = find(&objects, "PrometheusRule");
    let mut alerts = BTreeSet::new();
    for group in rules["spec"]["groups"].as_array().unwrap() {
        for rule in group["rules"].as_array().unwrap() {
            let name = rule["alert"].as_str().unwrap();
            let expr = rule["expr"].as_str().unwrap();
            let problems = expression_problems(expr, &exported);
            assert!(problems.is_empty(), "alert {name}: {problems:?}\n{expr}");
            alerts.insert(name.to_string());
        }
    }
    for wanted in [
        "RakenneNotReady",
        "RakenneRefusalRateHigh",
        "RakenneLatencyP99High",
        "RakenneReloadFailed",
        "RakenneMemoryNearLimit",
    ] {
        assert!(alerts.contains(wanted), "no alert {wanted}");
    }
    let monitor = find(&objects, "ServiceMonitor");
    assert_eq!(monitor["spec"]["endpoints"][0]["port"], "metrics");
    assert_eq!(monitor["spec"]["endpoints"][0]["path"], "/metrics");

    // SIGTERM: NOT_SERVING at once, yet new connections and requests are served until the
    // drain delay is over; then the process exits cleanly within the grace period.
    let terminated = Instant::now();
    signal(&child_guard.0, "TERM");
    log.next("draining: NOT_SERVING, still accepting until the drain delay is over")
        .await;
    assert_eq!(health_status(grpc).await, ServingStatus::NotServing as i32);
    let (_, scrape) = tokio::task::spawn_blocking(move || http_get(metrics, "/metrics"))
        .await
        .unwrap()
        .unwrap();
    assert!(scrape.contains("\nrakenne_ready 0\n"), "{scrape}");
    let mut fresh = ConformanceServiceClient::new(channel(grpc).await);
    let during_drain = fresh
        .validate(pb::ValidateRequest {
            document: std::fs::read(repo().join("fixtures/asiakkuus-taysi.xml")).unwrap(),
            ..Default::default()
        })
        .await;
    let elapsed = terminated.elapsed();
    assert!(
        during_drain.is_ok() || elapsed.as_secs_f64() >= drain,
        "refused {elapsed:?} after SIGTERM, within the {drain} s drain: {during_drain:?}"
    );
    log.next("shutting down: no new connections, finishing requests in flight")
        .await;
    assert!(
        terminated.elapsed().as_secs_f64() >= drain,
        "the listener closed before the drain delay"
    );
    log.next("stopped").await;
    let mut child = child_guard;
    let status = tokio::task::spawn_blocking(move || {
        let status = child.0.wait();
        (status, child)
    })
    .await
    .unwrap()
    .0
    .unwrap();
    assert!(status.success(), "{status:?}");
    assert!(terminated.elapsed() < Duration::from_secs(termination));
}

/// The `USER`, `EXPOSE`, `STOPSIGNAL`, `ENTRYPOINT` and `CMD` lines of a Containerfile's
/// last stage.
fn runtime_instructions(containerfile: &str) -> Vec<String> {
    let text = std::fs::read_to_string(repo().join(containerfile)).unwrap();
    let last_stage = text.rsplit_once("\nFROM ").unwrap().1;
    last_stage
        .lines()
        .filter(|line| {
            ["USER ", "EXPOSE ", "STOPSIGNAL ", "ENTRYPOINT ", "CMD "]
                .iter()
                .any(|i| line.starts_with(i))
        })
        .map(String::from)
        .collect()
}

/// The image, as far as this machine can build it: no base image can be pulled here, so
/// `deploy/build-image.sh --scratch` builds the runtime stage from `scratch` around this
/// build's binary with podman, and the image is inspected. The full Containerfile's
/// runtime stage declares the same user, ports, stop signal, entrypoint and command.
#[test]
fn the_image_builds_from_scratch_and_runs_as_the_manifests_expect() {
    assert_eq!(
        runtime_instructions("deploy/Containerfile"),
        runtime_instructions("deploy/Containerfile.scratch"),
        "the scratch variant's runtime stage matches the Containerfile's"
    );
    let cmd = runtime_instructions("deploy/Containerfile")
        .into_iter()
        .find(|l| l.starts_with("CMD "))
        .unwrap();
    let cmd: Vec<String> = serde_json::from_str(cmd.strip_prefix("CMD ").unwrap()).unwrap();
    let help = Command::new(env!("CARGO_BIN_EXE_rakenne"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    assert_eq!(cmd[0], "serve");
    for (flag, _) in flags(&cmd[1..]) {
        assert!(
            help.contains(&format!("--{flag}")),
            "CMD --{flag} is not in serve --help"
        );
    }

    let Some(tools) = tools(&["podman", "objcopy", "ldd"]) else {
        return;
    };
    let stage = scratch("image");
    let tag = format!("localhost/rakenne-test:{}", std::process::id());
    let built = Command::new("bash")
        .arg(repo().join("deploy/build-image.sh"))
        .arg("--scratch")
        .arg(env!("CARGO_BIN_EXE_rakenne"))
        .env("TAG", &tag)
        .env("STAGE", &stage)
        .env("CONTAINER", &tools[0])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(built.success(), "deploy/build-image.sh --scratch failed");
    let inspect = Command::new(&tools[0])
        .args(["image", "inspect", &tag])
        .output()
        .unwrap();
    // Removed before asserting, so a failure leaves nothing behind in podman's storage.
    let _ = Command::new(&tools[0])
        .args(["rmi", "--force", &tag])
        .stdout(Stdio::null())
        .status();
    assert!(inspect.status.success());
    let image: Value = serde_json::from_slice(&inspect.stdout).unwrap();
    let config = &image[0]["Config"];
    assert_eq!(config["User"], "65532:65532");
    assert_eq!(
        config["Entrypoint"],
        serde_json::json!(["/usr/local/bin/rakenne"])
    );
    assert_eq!(config["Cmd"], serde_json::json!(cmd));
    assert_eq!(config["StopSignal"], "SIGTERM");
    let ports: BTreeSet<&str> = config["ExposedPorts"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(ports, BTreeSet::from(["50051/tcp", "9464/tcp"]));
    assert_eq!(
        config["Labels"]["org.opencontainers.image.title"],
        "rakenne"
    );
    assert_eq!(
        config["Labels"]["org.opencontainers.image.version"],
        env!("CARGO_PKG_VERSION")
    );
    // One layer: the binary without debug symbols and four libraries. A debug build's
    // code is larger than a release build's; both stay far below 100 MB.
    let size = image[0]["Size"].as_u64().unwrap();
    let binary = std::fs::metadata(stage.join("rootfs/usr/local/bin/rakenne"))
        .unwrap()
        .len();
    eprintln!("image {tag}: {size} bytes (binary {binary} bytes)");
    assert!(size >= binary && size < binary + 16 * 1024 * 1024, "{size}");
    assert!(size < 100 * 1024 * 1024, "{size}");
    for lib in ["etc/passwd", "lib64/ld-linux-x86-64.so.2"] {
        assert!(stage.join("rootfs").join(lib).exists(), "{lib} staged");
    }
}
