#!/usr/bin/env bash
# Compares rakenne with its peers in one run, on the same inputs, and prints one table.
#
#   bash benches/compare.sh            # from the repository root
#
# Inputs: the real 15007 document of ../shared/kanta-examples and THL's official schema
# of the same structure from ../shared/sosmeta (nothing third-party is copied into the
# repository; generated inputs go to a temporary directory). Without ../shared the
# script says why and exits 0.
#
# It installs the peers itself from the package registries, into $PEERS (default
# target/bench-peers, reused by later runs): ajv 8 (npm), Python jsonschema (pip, in a
# venv) and xmllint (Debian libxml2-utils, when missing and apt-get is usable).
#
# Measured:
#   - in process, per document: rakenne (criterion, quick), ajv (draft-07, allErrors,
#     strict off) and jsonschema Draft7Validator.iter_errors on the same content and
#     official schema;
#   - whole processes (start-up included, wall clock, pinned to one core): 2,000 content
#     JSON files through `rakenne validate DIR` (text report) and
#     `rakenne validate DIR --output json` (JSON Lines with field tables), the ajv script,
#     the jsonschema script; 2,000 CDA files through the same two `rakenne validate` runs
#     and `xmllint --noout`;
#   - the service: health SERVING after start, the load generator (benches/load.rs)
#     over gRPC on loopback (requests/s, p50 / p99, errors), and the server's RSS.
#
# Whole-process rows are the best of RUNS runs (default 3) of each command, peers alike.
#
# Environment: FILES (default 2000), REQUESTS (default 100000), STREAMS (default 4), WINDOW
# (documents in flight per stream, default 2; unary: STREAMS x WINDOW calls at once), RUNS,
# PEERS (default target/bench-peers), SKIP_CRITERION=1 (no in-process rakenne figures).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
SHARED=${SHARED:-$ROOT/../shared}
EXAMPLE=$SHARED/kanta-examples/asia_ja_rajoitukset_testi_S.xml
SCHEMA=$SHARED/sosmeta/1.2.246.537.6.1506.15007.2024.11.28.json
FILES=${FILES:-2000}
REQUESTS=${REQUESTS:-100000}
STREAMS=${STREAMS:-4}
WINDOW=${WINDOW:-2}
PEERS=${PEERS:-$ROOT/target/bench-peers}

if [[ ! -r $EXAMPLE || ! -r $SCHEMA ]]; then
    echo "compare: skipped: $EXAMPLE or $SCHEMA is not readable (../shared is absent)"
    exit 0
fi

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
    if [[ -n $SERVER_PID ]]; then kill "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

log() { echo "compare: $*" >&2; }
PIN=()
if command -v taskset >/dev/null; then PIN=(taskset -c 0); fi
now() { date +%s.%N; }
# Wall-clock seconds of a command, its output discarded: the best of RUNS runs (default
# 3), so that a neighbour's burst on this shared machine does not decide the row.
wall() {
    local start end best=
    for _ in $(seq "${RUNS:-3}"); do
        start=$(now)
        "$@" >/dev/null 2>&1 || true
        end=$(now)
        best=$(python3 -c "t = $end - $start; b = '$best'; print(f'{min(t, float(b)) if b else t:.4f}')")
    done
    echo "$best"
}

# ---------------------------------------------------------------- peers
mkdir -p "$PEERS"
if [[ ! -d $PEERS/node_modules/ajv ]]; then
    log "installing ajv (npm) into $PEERS"
    (cd "$PEERS" && npm init -y >/dev/null && npm install --no-audit --no-fund ajv@8 >/dev/null)
fi
if [[ ! -x $PEERS/venv/bin/python ]]; then
    log "installing jsonschema (pip, venv) into $PEERS/venv"
    python3 -m venv "$PEERS/venv"
    "$PEERS/venv/bin/pip" install --quiet jsonschema
fi
if ! command -v xmllint >/dev/null; then
    log "installing xmllint (apt-get install libxml2-utils)"
    SUDO=()
    if [[ $(id -u) != 0 ]]; then SUDO=(sudo); fi
    "${SUDO[@]}" apt-get install -y -qq libxml2-utils >/dev/null 2>&1 ||
        { "${SUDO[@]}" apt-get update -qq >/dev/null && "${SUDO[@]}" apt-get install -y -qq libxml2-utils >/dev/null; } ||
        log "xmllint unavailable; its row is left out"
fi
AJV_VERSION=$(node -p "require('$PEERS/node_modules/ajv/package.json').version")
JSONSCHEMA_VERSION=$("$PEERS/venv/bin/python" -c "from importlib.metadata import version; print(version('jsonschema'))")
XMLLINT_VERSION=$(xmllint --version 2>&1 | head -1 | grep -o '[0-9][0-9]*' | head -1 || echo "-")

cat >"$PEERS/ajv-check.js" <<'EOF'
// node ajv-check.js SCHEMA DIR [ROUNDS]: validates every *.json in DIR (allErrors,
// strict off, draft-07); with ROUNDS, reports the in-process time per document.
const fs = require("fs"), path = require("path");
const Ajv = require("ajv");
const [schemaFile, dir, rounds] = process.argv.slice(2);
const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(JSON.parse(fs.readFileSync(schemaFile, "utf8")));
const files = fs.readdirSync(dir).filter((f) => f.endsWith(".json")).sort();
let invalid = 0, errors = 0;
const check = (text) => {
  if (!validate(JSON.parse(text))) { invalid++; errors += validate.errors.length; }
};
if (rounds) {
  const texts = files.map((f) => fs.readFileSync(path.join(dir, f), "utf8"));
  texts.forEach(check);
  const start = process.hrtime.bigint();
  for (let r = 0; r < Number(rounds); r++) texts.forEach(check);
  const ns = Number(process.hrtime.bigint() - start);
  console.log(JSON.stringify({ us_per_doc: ns / 1000 / (texts.length * Number(rounds)) }));
} else {
  for (const f of files) check(fs.readFileSync(path.join(dir, f), "utf8"));
  console.log(JSON.stringify({ files: files.length, invalid, errors }));
}
EOF
cat >"$PEERS/jsonschema-check.py" <<'EOF'
# python jsonschema-check.py SCHEMA DIR [ROUNDS]: Draft7Validator.iter_errors over every
# *.json in DIR; with ROUNDS, reports the in-process time per document.
import json, os, sys, time
from jsonschema import Draft7Validator
schema_file, directory = sys.argv[1], sys.argv[2]
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 0
validator = Draft7Validator(json.load(open(schema_file, encoding="utf-8")))
files = sorted(f for f in os.listdir(directory) if f.endswith(".json"))
invalid = errors = 0
def check(text):
    global invalid, errors
    found = list(validator.iter_errors(json.loads(text)))
    if found:
        invalid += 1
        errors += len(found)
if rounds:
    texts = [open(os.path.join(directory, f), encoding="utf-8").read() for f in files]
    for t in texts:
        check(t)
    start = time.perf_counter()
    for _ in range(rounds):
        for t in texts:
            check(t)
    print(json.dumps({"us_per_doc": (time.perf_counter() - start) * 1e6 / (len(texts) * rounds)}))
else:
    for f in files:
        check(open(os.path.join(directory, f), encoding="utf-8").read())
    print(json.dumps({"files": len(files), "invalid": invalid, "errors": errors}))
EOF

# ---------------------------------------------------------------- inputs
log "generating $FILES content JSON files and $FILES CDA files in $WORK"
mkdir -p "$WORK/json" "$WORK/cda"
python3 - "$EXAMPLE" "$WORK" "$FILES" <<'EOF'
import base64, json, re, sys
example, work, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
text = open(example, encoding="utf-8").read()
m = re.search(r"(<ep2:json[^>]*>)(.*?)(</ep2:json>)", text, re.S)
body = re.sub(r"<!--.*?-->", "", m.group(2), flags=re.S)
raw = base64.b64decode("".join(body.split()))
content = json.loads(raw)
open(f"{work}/content.json", "wb").write(raw)
def vary(value, i):
    # Same structure and validity, different free text per file.
    if isinstance(value, dict):
        return {k: vary(v, i) for k, v in value.items()}
    if isinstance(value, list):
        return [vary(v, i) for v in value]
    if isinstance(value, str) and " " in value:
        return f"{value} ({i})"
    return value
for i in range(count):
    varied = json.dumps(vary(content, i), ensure_ascii=False).encode()
    open(f"{work}/json/{i:05}.json", "wb").write(varied)
    encoded = base64.b64encode(varied).decode()
    cda = text[: m.start(2)] + encoded + text[m.end(2) :]
    open(f"{work}/cda/{i:05}.xml", "w", encoding="utf-8").write(cda)
EOF

# ---------------------------------------------------------------- build
log "building rakenne (release) and the load generator"
cargo build --release --quiet
RAKENNE=$ROOT/target/release/rakenne
LOAD=$(cargo bench --bench load --no-run 2>&1 | grep -o 'target/release/deps/load-[0-9a-f]*' | tail -1)
LOAD=$ROOT/$LOAD

# ---------------------------------------------------------------- in process
declare -A R
if [[ ${SKIP_CRITERION:-0} != 1 ]]; then
    log "criterion (quick) for rakenne in process"
    cargo bench --bench validate -- --warm-up-time 1 --measurement-time 3 '15007/' >"$WORK/criterion.txt" 2>&1 || true
fi
crit() { # median time of a criterion bench, in µs
    python3 - "$WORK/criterion.txt" "$1" <<'EOF'
import re, sys
text = open(sys.argv[1]).read() if __import__("os").path.exists(sys.argv[1]) else ""
m = re.search(re.escape(sys.argv[2]) + r"\s+time:\s+\[\S+ \S+ (\S+) (\S+)", text)
if not m:
    print("nan"); sys.exit()
value, unit = float(m.group(1)), m.group(2)
print(value * {"ns": 1e-3, "µs": 1, "us": 1, "ms": 1e3, "s": 1e6}[unit])
EOF
}
R[floor]=$(crit 15007/floor_read_decode)
R[cda]=$(crit 15007/check_cda)
R[cda_fields]=$(crit 15007/check_cda_fields)
R[json]=$(crit 15007/check_json)
mkdir -p "$WORK/one" && cp "$WORK/json/00000.json" "$WORK/one/"
R[ajv_doc]=$(node "$PEERS/ajv-check.js" "$SCHEMA" "$WORK/json" 5 | python3 -c "import json,sys; print(json.load(sys.stdin)['us_per_doc'])")
R[py_doc]=$("$PEERS/venv/bin/python" "$PEERS/jsonschema-check.py" "$SCHEMA" "$WORK/json" 1 | python3 -c "import json,sys; print(json.load(sys.stdin)['us_per_doc'])")

# ---------------------------------------------------------------- whole processes
log "whole processes on one core ($FILES files each)"
"$RAKENNE" validate "$WORK/json/00000.json" >/dev/null 2>&1 || true # warm the page cache
R[rk_json]=$(wall "${PIN[@]}" "$RAKENNE" validate "$WORK/json" --output json)
R[rk_json_text]=$(wall "${PIN[@]}" "$RAKENNE" validate "$WORK/json")
R[rk_json_1]=$(wall "${PIN[@]}" "$RAKENNE" validate "$WORK/one" --output json)
R[ajv_json]=$(wall "${PIN[@]}" node "$PEERS/ajv-check.js" "$SCHEMA" "$WORK/json")
R[ajv_json_1]=$(wall "${PIN[@]}" node "$PEERS/ajv-check.js" "$SCHEMA" "$WORK/one")
R[py_json]=$(wall "${PIN[@]}" "$PEERS/venv/bin/python" "$PEERS/jsonschema-check.py" "$SCHEMA" "$WORK/json")
R[rk_cda]=$(wall "${PIN[@]}" "$RAKENNE" validate "$WORK/cda" --output json)
R[rk_cda_text]=$(wall "${PIN[@]}" "$RAKENNE" validate "$WORK/cda")
if command -v xmllint >/dev/null; then
    R[xmllint]=$(wall "${PIN[@]}" xmllint --noout "$WORK"/cda/*.xml)
else
    R[xmllint]=nan
fi
# The verdicts, to show both sides agree on the content.
"$RAKENNE" validate "$WORK/json" --output json 2>/dev/null | python3 -c "
import collections, json, sys
print(dict(collections.Counter(json.loads(l)['verdict'] for l in sys.stdin)))" >"$WORK/rk_result.txt" || true
node "$PEERS/ajv-check.js" "$SCHEMA" "$WORK/json" >"$WORK/ajv_result.txt" || true
"$PEERS/venv/bin/python" "$PEERS/jsonschema-check.py" "$SCHEMA" "$WORK/json" >"$WORK/py_result.txt" || true

# ---------------------------------------------------------------- the service
PORT=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
log "service on 127.0.0.1:$PORT: health, $REQUESTS requests over $STREAMS streams × window $WINDOW"
START_NS=$(date +%s%N)
RUST_LOG=warn "$RAKENNE" serve --listen "127.0.0.1:$PORT" --metrics-listen off --http-listen off >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
"$LOAD" --addr "127.0.0.1:$PORT" --wait-serving --since-unix-ns "$START_NS" --requests 100 --streams 1 --json >"$WORK/serving.json"
RSS_IDLE=$(awk '/VmRSS/ {print $2}' /proc/$SERVER_PID/status)
"$LOAD" --addr "127.0.0.1:$PORT" --document "$EXAMPLE" --streams "$STREAMS" --window "$WINDOW" --requests "$REQUESTS" --json >"$WORK/load.json" || true
"$LOAD" --addr "127.0.0.1:$PORT" --document "$EXAMPLE" --streams "$((STREAMS * WINDOW))" --requests "$((REQUESTS / 5))" --mode unary --json >"$WORK/load_unary.json" || true
RSS_PEAK=$(awk '/VmHWM/ {print $2}' /proc/$SERVER_PID/status)
kill "$SERVER_PID" 2>/dev/null || true
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=

# ---------------------------------------------------------------- the table
python3 - "$WORK" <<EOF
import json, math
work = "$WORK"
r = {k: float(v) for k, v in [$(for k in "${!R[@]}"; do printf '("%s", "%s"),' "$k" "${R[$k]}"; done)]}
serving = json.load(open(f"{work}/serving.json"))
load = json.load(open(f"{work}/load.json"))
unary = json.load(open(f"{work}/load_unary.json"))
files = $FILES
rows = []
def row(what, ours, peer, ratio, note=""):
    rows.append((what, ours, peer, ratio, note))
def per_s(us):
    return "-" if math.isnan(us) else f"{1e6 / us:,.0f}/s ({us:.1f} µs)"
def ratio(a, b):
    return "-" if math.isnan(a) or math.isnan(b) or b == 0 else f"{a / b:.2f}x"
# In process: throughput ratio rakenne / peer (higher is better for rakenne).
row("15007 CDA read + base64 decode (floor)", per_s(r["floor"]), "", "", "in process, 1 core")
row("15007 CDA full validation", per_s(r["cda"]), "floor " + per_s(r["floor"]), f"{r['cda'] / r['floor']:.2f}x floor time", "target ≥ 20,000/s, ≤ 2x floor")
row("15007 CDA full validation + field table", per_s(r["cda_fields"]), "", "", "")
row("15007 content JSON vs ajv (in process)", per_s(r["json"]), "ajv $AJV_VERSION " + per_s(r["ajv_doc"]), ratio(r["ajv_doc"], r["json"]), "throughput ratio")
row("15007 content JSON vs jsonschema (in process)", per_s(r["json"]), "jsonschema $JSONSCHEMA_VERSION " + per_s(r["py_doc"]), ratio(r["py_doc"], r["json"]), "throughput ratio")
row(f"{files} content JSON files, whole process, text report", f"{r['rk_json_text']:.3f} s", f"ajv {r['ajv_json']:.3f} s", ratio(r["ajv_json"], r["rk_json_text"]), "target ≥ 5x; validate DIR: a report per document")
row(f"{files} content JSON files, whole process, JSON Lines", f"{r['rk_json']:.3f} s", f"ajv {r['ajv_json']:.3f} s", ratio(r["ajv_json"], r["rk_json"]), "--output json: findings + field table per document")
row("1 content JSON file, whole process (start-up)", f"{r['rk_json_1']:.3f} s", f"ajv {r['ajv_json_1']:.3f} s", ratio(r["ajv_json_1"], r["rk_json_1"]), "")
row(f"{files} content JSON files, whole process", f"{r['rk_json']:.3f} s", f"jsonschema {r['py_json']:.3f} s", ratio(r["py_json"], r["rk_json"]), "")
row(f"{files} CDA files, whole process, text report", f"{r['rk_cda_text']:.3f} s", f"xmllint --noout {r['xmllint']:.3f} s", ratio(r["xmllint"], r["rk_cda_text"]), "xmllint: well-formedness only")
row(f"{files} CDA files, whole process, JSON Lines", f"{r['rk_cda']:.3f} s", f"xmllint --noout {r['xmllint']:.3f} s", ratio(r["xmllint"], r["rk_cda"]), "")
row("gRPC ValidateStream, loopback, 2 cores", f"{load['rps']:,.0f}/s, p50 {load['p50_ms']:.2f} ms, p99 {load['p99_ms']:.2f} ms, {load['errors']} errors", "", f"{load['rps'] / 10000:.2f}x target", f"{load['streams']} streams × window {load['window']}, {load['requests']:,} requests; target ≥ 10,000/s, p99 < 5 ms")
row("gRPC Validate (unary), loopback", f"{unary['rps']:,.0f}/s, p50 {unary['p50_ms']:.2f} ms, p99 {unary['p99_ms']:.2f} ms, {unary['errors']} errors", "", "", f"{unary['streams']} concurrent calls, {unary['requests']:,} requests")
row("health SERVING after start", f"{serving['serving_s']:.3f} s", "", f"{serving['serving_s'] / 0.5:.2f}x target", "target < 0.5 s")
row("service RSS (idle / peak after load)", f"{$RSS_IDLE / 1024:.0f} MiB / {$RSS_PEAK / 1024:.0f} MiB ({$RSS_IDLE * 1024 / 1e6:.0f} MB / {$RSS_PEAK * 1024 / 1e6:.0f} MB)", "", f"{$RSS_PEAK * 1024 / 1e6 / 150:.2f}x target", "target < 150 MB, whole catalog loaded")
print()
print("| measure | rakenne | peer | ratio rakenne / peer | note |")
print("| --- | --- | --- | --- | --- |")
for what, ours, peer, rat, note in rows:
    print(f"| {what} | {ours} | {peer} | {rat} | {note} |")
print()
read = lambda name: open(f"{work}/{name}").read().strip()
print("rakenne verdicts on the content files:", read("rk_result.txt"))
print("ajv $AJV_VERSION:", read("ajv_result.txt"))
print("jsonschema $JSONSCHEMA_VERSION:", read("py_result.txt"))
print("xmllint (libxml2) $XMLLINT_VERSION")
EOF
