#!/usr/bin/env bash
# Instructions per document under callgrind, and where the full check spends them.
#
#   bash benches/profile.sh            # table, then the top functions of the full check
#
# Counts, unlike wall-clock times, do not move with the machine's other load: this is how
# the cost of a change is compared. It builds benches/profile.rs (release), runs each
# workload N times (default 200) under `valgrind --tool=callgrind`, counting only the
# measured function, and prints instructions per run. Then the full CDA check's profile:
# its inclusive cost per part, and the most expensive functions.
#
# Needs valgrind (Debian package valgrind; installed when missing and apt-get works) and
# ../shared/kanta-examples (skipped, saying so, when absent). Environment: N, TOP (how
# many functions to list, default 25), KEEP=1 to keep the callgrind files.
set -euo pipefail

cd "$(dirname "$0")/.."
N=${N:-200}
TOP=${TOP:-25}
EXAMPLE=../shared/kanta-examples/asia_ja_rajoitukset_testi_S.xml

log() { echo "profile: $*" >&2; }

if [[ ! -r $EXAMPLE ]]; then
    echo "profile: skipped: $EXAMPLE is not readable (../shared is absent)"
    exit 0
fi
if ! command -v valgrind >/dev/null; then
    log "installing valgrind"
    if ! { apt-get update -qq && apt-get install -y -qq valgrind; } >/dev/null 2>&1; then
        echo "profile: skipped: valgrind is missing and could not be installed"
        exit 0
    fi
fi

log "building benches/profile.rs (release)"
BIN=$(cargo bench --bench profile --no-run --message-format=json 2>/dev/null |
    python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "profile" and m.get("executable"):
        print(m["executable"])
')
[[ -x $BIN ]] || { echo "profile: the bench binary was not built" >&2; exit 2; }

WORK=$(mktemp -d)
cleanup() { [[ ${KEEP:-} == 1 ]] && log "callgrind files kept in $WORK" || rm -rf "$WORK"; }
trap cleanup EXIT

# Instructions per run of one workload; also keeps its callgrind file.
count() {
    local workload=$1 out=$WORK/$1.callgrind
    N=$N valgrind --tool=callgrind --collect-atstart=no --toggle-collect='profile::measured_*' \
        --callgrind-out-file="$out" "$BIN" "$workload" >/dev/null 2>"$WORK/$workload.log"
    local total
    total=$(grep -oP 'Collected : \K[0-9]+' "$WORK/$workload.log")
    echo $((total / N))
}

declare -A IR
for workload in floor check-cda parse-cda parse-display check-json; do
    log "counting $workload ($N runs)"
    IR[$workload]=$(count "$workload")
done

echo
echo "| per document (15007, $N runs) | instructions |"
echo "| --- | --- |"
for workload in floor check-cda parse-cda parse-display check-json; do
    python3 -c "print(f'| $workload | {${IR[$workload]}:,} |')"
done
python3 -c "print(f'| check-cda / floor | {${IR[check-cda]} / ${IR[floor]}:.2f}x |')"

echo
echo "Full CDA check, inclusive instructions per document by part (the body: display form,"
echo "base64 and content JSON):"
callgrind_annotate --tree=calling --inclusive=yes "$WORK/check-cda.callgrind" 2>/dev/null |
    python3 -c '
import re, sys
runs, total = int(sys.argv[1]), int(sys.argv[2])
lines = sys.stdin.read().splitlines()

def callees(caller, indent):
    # The block after the caller'"'"'s own "*" line lists what it calls.
    start = next((i for i, l in enumerate(lines) if "*  " in l and caller + " [" in l), None)
    if start is None:
        return
    for line in lines[start + 1:]:
        if not line.strip():
            break
        m = re.match(r"\s*([\d,]+) .*>\s+\S+?\.rs:(\S+)", line)
        if not m:
            continue
        ir = int(m.group(1).replace(",", "")) // runs
        if ir * 200 < total:
            continue
        name = m.group(2).removeprefix("rakenne::")
        print(f"  {indent}{ir:>9,}  {100 * ir / total:5.1f} %  {name}")
        if name == "document::cda::read_body":
            callees("rakenne::document::cda::read_body", "    ")

callees("rakenne::check::Engine::check", "")
' "$N" "${IR[check-cda]}"

echo
echo "Full CDA check, the $TOP most expensive functions (inclusive, per document):"
callgrind_annotate --inclusive=yes "$WORK/check-cda.callgrind" 2>/dev/null |
    python3 -c '
import re, sys
runs, top = int(sys.argv[1]), int(sys.argv[2])
skip = ("lang_start", "main", "__libc_start", "(below main)", "profile::", "backtrace", "0x0")
seen, shown = set(), 0
for line in sys.stdin:
    m = re.match(r"\s*([\d,]+) \([\s\d.]+%\)\s+(\S+?):(.+?)( \[.*\])?$", line)
    if not m or "PROGRAM TOTALS" in line:
        continue
    name = m.group(3).strip()
    # Recursive calls (`name'"'"'2`) would count their callees twice.
    if name in seen or any(s in name for s in skip) or re.search(r"'"'"'\d+$", name):
        continue
    seen.add(name)
    ir = int(m.group(1).replace(",", "")) // runs
    print(f"  {ir:>9,}  {name[:110]}")
    shown += 1
    if shown == top:
        break
' "$N" "$TOP"
