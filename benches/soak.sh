#!/usr/bin/env bash
# Soak test of `rakenne serve`: TOTAL validations (default 1,000,000) over gRPC on
# loopback at CONCURRENCY (default 64), mixing fully and partly conformant, unreadable
# and oversize documents (benches/soak.rs knows the outcome each must get).
#
#   bash benches/soak.sh                 # the full million (about an hour on 2 cores)
#   bash benches/soak.sh 20000           # a short run
#
# Prints the driver's JSON line (unexpected errors, requests/s, latency percentiles) and
# the server's RSS after warm-up, at the end and at its highest (sampled every 2 s), and
# exits 1 on any unexpected outcome. The server runs with --max-document-bytes 262144 so
# the oversize documents stay cheap to send.
set -euo pipefail
cd "$(dirname "$0")/.."
total=${1:-1000000}
concurrency=${2:-64}

cargo build --release --bin rakenne 2>/dev/null
driver=$(cargo bench --bench soak --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "soak" and m.get("executable"):
        print(m["executable"])')

work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
RUST_LOG="warn,rakenne::service=info,rakenne::service::handler=warn" \
    target/release/rakenne serve --listen 127.0.0.1:0 --metrics-listen off --http-listen off \
    --max-document-bytes 262144 --log-format json 2>"$work/server.log" &
server=$!
for _ in $(seq 300); do
    grep -q '"ready"' "$work/server.log" && break
    sleep 0.1
done
addr=$(python3 -c 'import json,sys
for line in open(sys.argv[1]):
    m = json.loads(line)
    if m.get("message") == "ready": print(m["grpc"])' "$work/server.log")
[[ -n $addr ]] || { cat "$work/server.log"; exit 2; }
rss() { awk '/^VmRSS/ {print $2}' "/proc/$server/status"; }

# Warm-up (allocators, connection pools), then the start figure.
"$driver" --addr "$addr" --total 2000 --concurrency "$concurrency" >/dev/null
rss_start=$(rss)
( while kill -0 "$server" 2>/dev/null; do rss >>"$work/rss"; sleep 2; done ) &
sampler=$!
status=0
"$driver" --addr "$addr" --total "$total" --concurrency "$concurrency" || status=$?
rss_end=$(rss)
kill "$sampler" 2>/dev/null || true
rss_max=$(sort -n "$work/rss" | tail -1)
echo "server RSS: start ${rss_start} KiB, end ${rss_end} KiB, max ${rss_max:-$rss_end} KiB"
kill -TERM "$server"
wait "$server" 2>/dev/null || true
exit $status
