#!/usr/bin/env bash
# The research pipeline's scaling figures (README "Research at scale", measured here):
# DAYS simulated days of MESSAGES each, simulate+ingest then train, on 1 worker and on 2, each on
# a fresh catalogue under OUT; then checks that both wrote the same tables and models.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-../.venv-research/bin/python}
DAYS=${DAYS:-8}
MESSAGES=${MESSAGES:-2000000}
OUT=${OUT:-/tmp/tickwire-scale}
HELD=$(printf "seed-%04d" "$DAYS")
for w in 1 2; do
  rm -rf "$OUT/cat$w" "$OUT/models$w"
  mkdir -p "$OUT"
  t0=$(date +%s.%N)
  $PY -m tickwire_research --catalogue "$OUT/cat$w" --workers $w simulate --days "$DAYS" --messages "$MESSAGES" > "$OUT/simulate$w.json" 2> "$OUT/log$w"
  t1=$(date +%s.%N)
  $PY -m tickwire_research --catalogue "$OUT/cat$w" --workers $w train --heldout "$HELD" --out "$OUT/models$w" > "$OUT/train$w.json" 2>> "$OUT/log$w"
  t2=$(date +%s.%N)
  echo "workers $w: simulate+ingest $(echo "$t1 - $t0" | bc) s, train $(echo "$t2 - $t1" | bc) s"
done
digest() { (cd "$1" && find . -name "$2" | sort | xargs sha256sum); }
cmp <(digest "$OUT/cat1" "*.parquet") <(digest "$OUT/cat2" "*.parquet") && echo "tables: identical"
cmp <(digest "$OUT/models1" "*.txt") <(digest "$OUT/models2" "*.txt") && echo "models: identical"
$PY -m tickwire_research --catalogue "$OUT/cat2" report --out "$OUT/report" | tail -1
