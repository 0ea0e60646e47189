#!/usr/bin/env bash
# Runs each cargo-fuzz target for SECONDS (default 600) and prints executions per second.
#
#   fuzz/run.sh 600                       # all targets, 10 minutes each
#   TARGETS=json_reader fuzz/run.sh 60    # one target
#   SANITIZER=address fuzz/run.sh 600     # with AddressSanitizer (slower)
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). On stable Rust, RUSTC_BOOTSTRAP=1 lets
# cargo-fuzz use the nightly flags it needs. Seeds come from fixtures/ (documents, and the
# content JSON decoded from their ep2:json); corpora grow in fuzz/corpus/<target>, crashes
# land in fuzz/artifacts/<target>/ and make this script exit 1. Turn every crash into a
# regression test (tests/suite/hostile.rs) before fixing it.
set -euo pipefail

seconds=${1:-600}
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
export RUSTC_BOOTSTRAP=1
sanitizer=${SANITIZER:-none}
targets=${TARGETS:-"cda_reader json_reader engine"}
flags=(-s "$sanitizer" --debug-assertions)

# Seed corpora (idempotent).
mkdir -p seeds/xml seeds/json logs
cp ../fixtures/*.xml seeds/xml/ 2>/dev/null || true
for f in ../fixtures/*.json; do
    [[ $f == *.expected.json ]] || cp "$f" seeds/json/
done
python3 - <<'PY'
import base64, glob, os, re
for path in glob.glob("seeds/xml/*.xml"):
    text = open(path, encoding="utf-8", errors="replace").read()
    for i, m in enumerate(re.findall(r"<ep2:json[^>]*>([^<]*)</ep2:json>", text)):
        try:
            data = base64.b64decode("".join(m.split()))
        except Exception:
            continue
        name = os.path.basename(path)[:-4] + f".{i}.json"
        open(os.path.join("seeds/json", name), "wb").write(data)
PY

cargo fuzz build "${flags[@]}" >/dev/null

status=0
for target in $targets; do
    case $target in
        json_reader) seed=(seeds/json) ;;
        cda_reader) seed=(seeds/xml) ;;
        *) seed=(seeds/xml seeds/json) ;;
    esac
    mkdir -p "corpus/$target"
    log="logs/$target.log"
    echo "== $target: ${seconds}s"
    if ! cargo fuzz run "${flags[@]}" "$target" "corpus/$target" "${seed[@]}" -- \
        -max_total_time="$seconds" -max_len=1048576 -rss_limit_mb=2048 -timeout=30 \
        -print_final_stats=1 >"$log" 2>&1; then
        status=1
        echo "   FAILED: see $log and artifacts/$target/"
    fi
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    secs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | grep -o 'in [0-9]*' | grep -o '[0-9]*' | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
    corpus=$(find "corpus/$target" -type f | wc -l)
    if [[ -n "${runs:-}" && -n "${secs:-}" && "$secs" -gt 0 ]]; then
        echo "   $runs executions in ${secs}s: $((runs / secs)) exec/s, coverage $cov, corpus $corpus"
    else
        echo "   runs: ${runs:-?}; see $log"
    fi
done
exit $status
