#!/usr/bin/env bash
# Peak memory of one `rakenne serve` while large documents are in flight: the figures
# behind the Deployment's memory limit (deploy/README.md, "Memory per replica").
#
#   bash deploy/memory-probe.sh [SIZE_BYTES] [CONCURRENT] [ROUNDS]   # default 15000000 8 2
#
# RAKENNE=path/to/rakenne (default target/debug/rakenne, built if missing). Makes a venv
# under target/tmp with grpcio and grpcio-tools from PyPI, generates stubs from proto/,
# starts the server on a free loopback port with --max-concurrency 4, sends CONCURRENT
# content JSON documents of SIZE_BYTES at once, ROUNDS times each, and prints the
# server's VmHWM (peak RSS) before and after. Not part of `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-15000000}
CONCURRENT=${2:-8}
ROUNDS=${3:-2}
if [ -z "${RAKENNE:-}" ]; then
    cargo build --quiet --bin rakenne
    RAKENNE=target/debug/rakenne
fi
work=target/tmp/memory-probe
venv=$work/venv
if ! "$venv/bin/python" -c 'import grpc, grpc_tools' >/dev/null 2>&1; then
    python3 -m venv --clear "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check grpcio grpcio-tools
fi
mkdir -p "$work/stubs"
"$venv/bin/python" -m grpc_tools.protoc -Iproto --python_out="$work/stubs" \
    --grpc_python_out="$work/stubs" proto/rakenne/v1/conformance.proto
touch "$work/stubs/rakenne/__init__.py" "$work/stubs/rakenne/v1/__init__.py"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$RAKENNE" serve --listen "127.0.0.1:$port" --metrics-listen off --max-concurrency 4 \
    2>"$work/serve.log" &
server=$!
trap 'kill -TERM $server 2>/dev/null || true' EXIT
"$venv/bin/python" - "$work/stubs" "127.0.0.1:$port" "$server" "$SIZE" "$CONCURRENT" "$ROUNDS" <<'PY'
import json, sys, threading, time
stubs, target, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
size, concurrent, rounds = map(int, sys.argv[4:7])
sys.path.insert(0, stubs)
import grpc
from rakenne.v1 import conformance_pb2 as pb, conformance_pb2_grpc as rpc

def peak():
    with open(f"/proc/{pid}/status") as status:
        return next(l.split()[1] for l in status if l.startswith("VmHWM"))

# A conformant document of the national structure 1004 with one very long free text.
document = json.dumps({"lapsen_huoltajan_tarpeesta_tehdyn_ilmoituksen_arvio": {
    "asiakas": {"sukunimi": "Testi", "etunimet": "Testi",
                "tilapainen_yksilointitunnus": {"value": "1.2.246.10.12345678.10.2024.1"}},
    "toimenpiteet": "x" * size,
    "laatija": {"sukunimi": "Laatija", "etunimet": "Liisa"}}}).encode()
limit = [("grpc.max_send_message_length", 64 << 20), ("grpc.max_receive_message_length", 64 << 20)]
stub = rpc.ConformanceServiceStub(grpc.insecure_channel(target, options=limit))
# Waits for the server to be up (and SERVING: Validate answers UNAVAILABLE before).
for _ in range(300):
    try:
        stub.Validate(pb.ValidateRequest(document=b"{}"), timeout=5, wait_for_ready=True)
        break
    except grpc.RpcError as error:
        if error.code() != grpc.StatusCode.UNAVAILABLE:
            break
        time.sleep(0.1)
before = peak()
failures = []
def send():
    for _ in range(rounds):
        try:
            stub.Validate(pb.ValidateRequest(document=document), timeout=300)
        except grpc.RpcError as error:
            failures.append(error.code())
threads = [threading.Thread(target=send) for _ in range(concurrent)]
start = time.time()
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps({"document_bytes": len(document), "concurrent": concurrent, "rounds": rounds,
                  "vm_hwm_kb_before": int(before), "vm_hwm_kb_after": int(peak()),
                  "seconds": round(time.time() - start, 1), "failed": len(failures)}))
sys.exit(1 if failures else 0)
PY
