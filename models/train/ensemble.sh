#!/usr/bin/env bash
# Trains the members of models/ensemble (and a candidate for models/small) with fixed seeds.
#
#   models/train/ensemble.sh OUT_DIR DATA_DIR [cpu|cuda]
#
# On the CPU, members train one after another (about 45-60 min each on 2 cores); on a
# GPU all of them train at once. Same code and seeds either way (GPU kernels are not
# bit-identical to the CPU's, so expect scores within a few tenths, not equal bytes).
set -euo pipefail
OUT=${1:?OUT_DIR}; DATA=${2:?DATA_DIR}; DEVICE=${3:-cpu}
cd "$(dirname "$0")"
PY=${PYTHON:-/usr/bin/python3}
COMMON=(--data "$DATA/conll2003" --pretrain "$DATA/reuters21578" --pretrain-epochs 3 --epochs 20 --device "$DEVICE")
# name | what differs (architecture and features, not only the seed)
MEMBERS=(
  "member-a --layers 2 --hidden 200 --char-filters 50 --char-width 3 --max-words 22000 --seed 11 --lowercase-prob 0.3"
  "member-b --layers 1 --hidden 256 --char-filters 100 --char-width 5 --max-words 25000 --seed 12 --lowercase-prob 0.3"
  "member-c --layers 2 --hidden 150 --char-filters 64 --char-width 4 --max-words 25000 --seed 13 --lowercase-prob 0.5 --dropout 0.4 --epochs 15"
  "small-b --layers 1 --hidden 128 --max-words 20000 --seed 21 --lowercase-prob 0.4"
)
mkdir -p "$OUT"
for spec in "${MEMBERS[@]}"; do
  read -r name args <<<"$spec"
  if [ -n "${ONLY:-}" ] && [ "$name" != "$ONLY" ]; then continue; fi
  # shellcheck disable=SC2086
  cmd=("$PY" -m nerve_train.train "${COMMON[@]}" ${NO_EXPORT:+--no-export} --out "$OUT/$name" --name "$name" $args --time-budget-min "${BUDGET_MIN:-75}" --threads "${THREADS:-2}")
  if [ "$DEVICE" = cpu ]; then "${cmd[@]}" >"$OUT/$name.log" 2>&1; else "${cmd[@]}" >"$OUT/$name.log" 2>&1 & fi
done
wait
