#!/usr/bin/env bash
# The five models end to end, in one command (`make models` runs it after a release build):
#   1. `tickwire record-features` on two training days and one held-out day of the venue
#      simulator's flow (seeds 1 and 2; 99 held out), with the true regime;
#   2. research/train.py: LightGBM and scikit-learn fits, export to models/ (LightGBM text +
#      tickwire-model wrappers, logistic JSON), parity fixtures;
#   3. the held-out day again through the Swift runtime with the new models (every row's
#      prediction, the online regime state);
#   4. research/train.py once more with that day: the same models (training is deterministic)
#      and the full report, models/REPORT.md: AUCs, calibration plots, feature importance,
#      regime agreement, and the largest Swift-vs-library difference over every held-out row.
# Environment: TICKWIRE (the binary), PYTHON (with research/requirements.txt), DATA (datasets,
# default out/models-data), MODELS (default models), MESSAGES (per training day).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${TICKWIRE:-.build/release/tickwire}
PY=${PYTHON:-.venv-research/bin/python}
DATA=${DATA:-out/models-data}
MODELS=${MODELS:-models}
MESSAGES=${MESSAGES:-6000000}
HELDOUT_MESSAGES=$((MESSAGES / 2))

[ -x "$BIN" ] || { echo "make_models: no $BIN (build it: make release)" >&2; exit 1; }
[ -x "$PY" ] || { echo "make_models: no $PY (python3 -m venv .venv-research && .venv-research/bin/pip install -r research/requirements.txt)" >&2; exit 1; }
rm -rf "$DATA"
mkdir -p "$DATA" "$MODELS"
"$BIN" record-features --out "$DATA/train1" --seed 1 --messages "$MESSAGES"
"$BIN" record-features --out "$DATA/train2" --seed 2 --messages "$MESSAGES"
"$BIN" record-features --out "$DATA/heldout" --seed 99 --messages "$HELDOUT_MESSAGES"
"$PY" -B research/train.py --train "$DATA/train1" --train "$DATA/train2" --heldout "$DATA/heldout" --out "$MODELS"
"$BIN" record-features --out "$DATA/heldout-scored" --seed 99 --messages "$HELDOUT_MESSAGES" --models "$MODELS"
"$PY" -B research/train.py --train "$DATA/train1" --train "$DATA/train2" --heldout "$DATA/heldout-scored" --out "$MODELS"
echo "make_models: models in $MODELS/, report in $MODELS/REPORT.md"
