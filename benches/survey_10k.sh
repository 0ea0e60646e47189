#!/usr/bin/env bash
# Survey throughput and memory: `rakenne survey` over 1,000 and 10,000 generated documents.
#
# Usage: benches/survey_10k.sh [COUNT...]        (default: 1000 10000)
#   RAKENNE=path/to/rakenne  use this binary instead of building the release one
#   KEEP=1                   keep the generated documents (the path is printed)
#
# The documents are made here from a few templates, each copy changed a little (its text,
# its dates), in directories of 500: of every ten, five are fully conformant
# (Lapsen huoltajan tarpeesta tehdyn ilmoituksen arvio), one lacks a required field, one
# has an impossible date, one is an own template, one is a Merkintä sosiaalipalvelun
# alkamisesta, and one is unreadable (truncated JSON) or, when ../shared is beside the
# repository, a real Kanta CDA document. Then `rakenne survey` runs on all cores under
# /usr/bin/time -v (peak RSS) and prints its throughput, once with JSON output and once with
# HTML (which keeps a bounded drill-down sample per group). Peak RSS at 1,000 and at 10,000
# documents should be about the same: documents are streamed, not held.
#
# Not part of `cargo test`: run it by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(1000 10000)

if [ -z "${RAKENNE:-}" ]; then
    cargo build --release --quiet
    RAKENNE=target/release/rakenne
fi
if [ ! -x /usr/bin/time ]; then
    echo "bench: /usr/bin/time is missing (Debian package: time)" >&2
    exit 2
fi

work=$(mktemp -d)
if [ -z "${KEEP:-}" ]; then
    trap 'rm -rf "$work"' EXIT
else
    echo "bench: documents kept in $work"
fi

kanta=()
if [ -d ../shared/kanta-examples ]; then
    for f in ../shared/kanta-examples/*_S.xml; do kanta+=("$f"); done
fi

# One document, number $2, into file $1.
document() {
    local file=$1 i=$2
    local day=$(( i % 28 + 1 )) month=$(( i % 12 + 1 ))
    local date
    printf -v date '2024-%02d-%02d' "$month" "$day"
    local person='{"sukunimi": "Testinen", "etunimet": "Testi", "tilapainen_yksilointitunnus": {"value": "T'"$i"'"}}'
    local author='{"sukunimi": "Laatija", "etunimet": "Lea"}'
    case $(( i % 10 )) in
        0|1|2|3|4)
            printf '{"lapsen_huoltajan_tarpeesta_tehdyn_ilmoituksen_arvio": {"asiakas": %s, "toimenpiteet": "Tuki jatkuu %d.", "paivamaara": "%s", "laatija": %s}}\n' \
                "$person" "$i" "$date" "$author" >"$file" ;;
        5)
            printf '{"lapsen_huoltajan_tarpeesta_tehdyn_ilmoituksen_arvio": {"asiakas": %s, "paivamaara": "%s", "laatija": %s}}\n' \
                "$person" "$date" "$author" >"$file" ;;
        6)
            printf '{"lapsen_huoltajan_tarpeesta_tehdyn_ilmoituksen_arvio": {"asiakas": %s, "toimenpiteet": "Tuki %d.", "paivamaara": "2023-02-%02d", "laatija": %s}}\n' \
                "$person" "$i" $(( 29 + i % 3 )) "$author" >"$file" ;;
        7)
            printf '{"oma_pohja": {"asiakas": %s, "toimenpiteet": "Oma %d", "laatija": %s, "oma_lisatieto": "x"}}\n' \
                "$person" "$i" "$author" >"$file" ;;
        8)
            printf '{"merkinta_sosiaalipalvelun_alkamisesta": {"asiakas": [%s], "palvelutehtava": {"system": "urn:oid:1.2.246.537.6.1221.201601", "code": "24", "display": "Lapsiperheiden palvelut"}, "sosiaalipalvelu": {"system": "urn:oid:1.2.246.537.6.1222.201601", "code": "45", "display": "Sosiaaliohjaus"}, "sosiaalipalvelun_alkamispaiva": "%s", "laatija": %s}}\n' \
                "$person" "$date" "$author" >"$file" ;;
        9)
            if [ ${#kanta[@]} -gt 0 ] && [ $(( i % 20 )) -eq 19 ]; then
                cp "${kanta[$(( i / 20 % ${#kanta[@]} ))]}" "${file%.json}.xml"
            else
                printf '{"lapsen_huoltajan_tarpeesta_tehdyn_ilmoituksen_arvio": {"asiakas": %s, "toimenpiteet": "katkesi %d' \
                    "$person" "$i" >"$file"
            fi ;;
    esac
}

generate() {
    local dir=$1 n=$2 i
    for (( i = 0; i < n; i++ )); do
        local sub file
        printf -v sub '%s/d%03d' "$dir" $(( i / 500 ))
        [ -d "$sub" ] || mkdir -p "$sub"
        printf -v file '%s/doc%05d.json' "$sub" "$i"
        document "$file" "$i"
    done
}

# Runs one survey; prints "documents/s peak-MiB".
measure() {
    local dir=$1 format=$2 log
    log=$(mktemp)
    /usr/bin/time -v "$RAKENNE" survey "$dir" --format "$format" --out "$work/out.$format" 2>"$log" || true
    local rate kib
    rate=$(sed -n 's/.*: \([0-9]*\) documents\/s.*/\1/p' "$log" | tail -1)
    kib=$(sed -n 's/.*Maximum resident set size (kbytes): \([0-9]*\)/\1/p' "$log")
    grep '^rakenne: surveyed' "$log" >&2 || { cat "$log" >&2; exit 2; }
    rm -f "$log"
    echo "$rate $(( kib / 1024 ))"
}

echo "bench: $("$RAKENNE" --version), $(nproc) cores"
printf '%-9s %-7s %14s %14s\n' documents format "documents/s" "peak RSS MiB"
for n in "${counts[@]}"; do
    dir="$work/n$n"
    generate "$dir" "$n"
    for format in json html; do
        read -r rate mib < <(measure "$dir" "$format")
        printf '%-9s %-7s %14s %14s\n' "$n" "$format" "$rate" "$mib"
    done
done
