#!/usr/bin/env bash
# Adversarial soak of `rakenne serve` (issue 12): normal traffic (the load generator,
# benches/load.rs) alongside each attack of benches/adversarial.rs in turn, against one
# release server with its default bounds.
#
#   bash benches/adversarial.sh            # 20 s per attack (about 3 minutes in all)
#   bash benches/adversarial.sh 60         # 60 s per attack
#
# First a quiet run gives the normal traffic's p99. Then, per attack, the attacker runs
# for SECONDS while the load generator sends the same normal traffic; the script prints
# the normal traffic's p99 and errors, what the attacker saw (calls, refused, cut) and the
# server's peak RSS (sampled every 0.2 s). It exits 1 when normal traffic had an error,
# its p99 went past 3× the quiet figure, or the peak RSS passed RSS_LIMIT_KIB (default
# 1 GiB, the target the default --memory-budget is derived from).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
rss_limit_kib=${RSS_LIMIT_KIB:-1048576}
document=${DOCUMENT:-fixtures/asiakkuus-taysi.xml}
attacks=${ATTACKS:-uploads unread silent labels utf8 heavy}

cargo build --release --bin rakenne 2>/dev/null
bench_exe() {
    cargo bench --bench "$1" --no-run --message-format=json 2>/dev/null |
        python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == sys.argv[1] and m.get("executable"):
        print(m["executable"])' "$1"
}
# LOAD_BIN / ATTACKER_BIN: drivers already built (e.g. by `cargo build --bench load
# --bench adversarial`), to skip the optimised build of the benches.
load=${LOAD_BIN:-$(bench_exe load)}
attacker=${ATTACKER_BIN:-$(bench_exe adversarial)}

work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
RUST_LOG="warn,rakenne::service=info,rakenne::service::handler=warn,rakenne::service::transport=warn" \
    target/release/rakenne serve --listen 127.0.0.1:0 --metrics-listen off --http-listen off \
    --log-format json 2>"$work/server.log" &
server=$!
for _ in $(seq 600); do
    grep -q '"ready"' "$work/server.log" 2>/dev/null && break
    sleep 0.1
done
addr=$(python3 -c 'import json,sys
for line in open(sys.argv[1]):
    m = json.loads(line)
    if m.get("message") == "listening": print(m["grpc"])' "$work/server.log" | head -1)
[[ -n $addr ]] || { cat "$work/server.log"; exit 2; }
rss() { awk '/^VmRSS/ {print $2}' "/proc/$server/status"; }

# Normal traffic: unary calls of a real-sized CDA on 4 connections, as many as fit the
# attack's time at a modest rate.
normal() {
    "$load" --addr "$addr" --mode unary --streams 4 --connections 4 \
        --requests "$1" --document "$document" --json
}
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

normal 2000 >/dev/null # warm-up
quiet=$(normal 10000)
quiet_p99=$(field "$quiet" p99_ms)
quiet_rps=$(field "$quiet" rps)
# Keep the normal traffic running for about the attack's time.
requests=$(python3 -c "print(max(1000, int($quiet_rps * $seconds * 0.5)))")
echo "quiet: $(field "$quiet" ok) ok, $(field "$quiet" errors) errors, p99 ${quiet_p99} ms, ${quiet_rps}/s; RSS $(rss) KiB"

status=0
printf '%-8s %8s %8s %10s %8s %8s %8s %12s\n' attack ok errors p99_ms calls refused cut peak_kib
for attack in $attacks; do
    : >"$work/rss"
    ( while kill -0 "$server" 2>/dev/null; do rss >>"$work/rss"; sleep 0.2; done ) &
    sampler=$!
    "$attacker" --addr "$addr" --attack "$attack" --seconds "$seconds" >"$work/attack.json" &
    attacking=$!
    sleep 2 # let the attack take hold
    run=$(normal "$requests")
    wait "$attacking" || true
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    peak=$(sort -n "$work/rss" | tail -1)
    a=$(cat "$work/attack.json")
    errors=$(field "$run" errors)
    p99=$(field "$run" p99_ms)
    printf '%-8s %8s %8s %10s %8s %8s %8s %12s\n' "$attack" "$(field "$run" ok)" "$errors" "$p99" \
        "$(field "$a" calls)" "$(field "$a" refused)" "$(field "$a" cut)" "$peak"
    if [[ $errors != 0 ]]; then echo "  FAIL: normal traffic had errors"; status=1; fi
    if python3 -c "import sys; sys.exit(0 if $p99 <= 3 * $quiet_p99 else 1)"; then :; else
        echo "  FAIL: p99 ${p99} ms is over 3x the quiet ${quiet_p99} ms"
        status=1
    fi
    if (( peak > rss_limit_kib )); then echo "  FAIL: peak RSS ${peak} KiB over ${rss_limit_kib} KiB"; status=1; fi
    sleep 2 # let the server close what the attack left
done
kill -TERM "$server"
wait "$server" 2>/dev/null || true
exit $status
