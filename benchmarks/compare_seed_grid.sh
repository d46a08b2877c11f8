#!/usr/bin/env bash
# Issues 3 and 4: grid vs random vs optuna vs optuna+asha on the seed's grid file, at a reduced
# budget (6,000 images, 4 epochs; each sampling run gets a quarter of the grid's compute), 3 seeds.
# Copies the report (no Ray logs) to docs/compare-seed-grid/ and the console log beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d /tmp/tj-compare-XXXX)
export RAY_TMPDIR="$out/ray"
mkdir -p "$RAY_TMPDIR"
/usr/bin/time -v .venv/bin/python -m tune_jobs.compare --space search_spaces/fashion_grid.yaml \
  --searchers grid,random,optuna,optuna+asha --seeds 3 --workers 2 \
  --max-train-samples 6000 --epochs 4 --budget-fraction 0.25 --out "$out" 2>&1 | tee "$out/console.log"
folder=$(ls -d "$out"/compare-*)
rm -rf docs/compare-seed-grid
cp -r "$folder/report" docs/compare-seed-grid
grep -v "^trials " "$out/console.log" > docs/compare-seed-grid/console.log
cp "$folder/compare.json" docs/compare-seed-grid/
echo "runs kept in $folder"
