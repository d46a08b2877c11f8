#!/usr/bin/env bash
# Issue 6: the seed's experiment redone end to end on the full Fashion-MNIST, and what search buys.
#   1. the full seed grid (144 configurations x 3 folds x 15 epochs, 60,000 images, refit, test set),
#   2. optuna + ASHA, optuna and random on the same space and images, each at FRACTION of the grid's
#      compute, SEEDS search seeds each, and optuna + ASHA once more for each of ASHA_SEEDS (search
#      seeds beyond the comparison's, where there is no time for SEEDS=3 of every searcher),
#   3. the AutoML-style space with optuna + ASHA at a quarter of the grid's compute (or AUTOML_RUN, a
#      finished run directory of it, reused),
# then one report of all of them in docs/seed-reproduction/ (no Ray logs) with the console output
# and the trial actors' memory, sampled every minute (benchmarks/actor_memory.sh).
#
#   FRACTION=0.2 SEEDS=1 ASHA_SEEDS="1 2" AUTOML_RUN=benchmarks/results/automl-quarter-budget \
#     bash benchmarks/reproduce_seed.sh      # 2 h 8 min on 2 cores (BENCHMARKS.md, section 8)
#   FRACTION=0.2 SEEDS=1 bash benchmarks/reproduce_seed.sh       # the AutoML run too: 45 min more
set -euo pipefail
cd "$(dirname "$0")/.."
FRACTION=${FRACTION:-0.2}
SEEDS=${SEEDS:-1}
ASHA_SEEDS=${ASHA_SEEDS:-}
WORKERS=${WORKERS:-2}
out=${OUT:-$(mktemp -d /tmp/tj-reproduce-XXXX)}
export RAY_TMPDIR="$out/ray"
mkdir -p "$RAY_TMPDIR"
python=.venv/bin/python

/usr/bin/time -v $python -m tune_jobs.compare --space search_spaces/fashion_grid.yaml \
  --searchers grid,optuna+asha,optuna,random --seeds "$SEEDS" --workers "$WORKERS" \
  --budget-fraction "$FRACTION" --out "$out" > "$out/console.log" 2>&1 &
compare=$!
bash benchmarks/actor_memory.sh "$compare" > "$out/memory.log" &
tail -f --pid "$compare" "$out/console.log"
wait "$compare"
folder=$(ls -d "$out"/compare-*)
budget=$($python -c "import json, sys; print(json.load(open(sys.argv[1]))['budget'])" "$folder/compare.json")
extra=()
for seed in $ASHA_SEEDS; do
  /usr/bin/time -v $python -m tune_jobs.fashion --space search_spaces/fashion_grid.yaml --searcher optuna \
    --scheduler asha --search-seed "$seed" --budget "$budget" --workers "$WORKERS" --out "$out/asha-seed$seed" 2>&1 \
    | tee "$out/asha-seed$seed.log"
  extra+=("$(ls -d "$out/asha-seed$seed"/fashion-grid-*)")
done

automl=${AUTOML_RUN:-}
if [ -z "$automl" ]; then
  # a quarter of the grid's 144 x 15 x 3 = 6,480 epochs x folds
  /usr/bin/time -v $python -m tune_jobs.fashion --space search_spaces/fashion_automl.yaml \
    --searcher optuna --scheduler asha --budget 1620 --workers "$WORKERS" --out "$out" 2>&1 \
    | tee "$out/automl-console.log"
  automl=$(ls -d "$out"/fashion-automl-*)
fi

rm -rf docs/seed-reproduction
$python -m tune_jobs.report "$folder"/runs/* "${extra[@]}" "$automl" --out docs/seed-reproduction
sed "s|$out|<out>|g" "$out/console.log" > docs/seed-reproduction/console.log
for seed in $ASHA_SEEDS; do sed "s|$out|<out>|g" "$out/asha-seed$seed.log"; done \
  > docs/seed-reproduction/console-optuna-asha-seeds.log
cp "$folder/compare.json" "$out/memory.log" docs/seed-reproduction/
echo "runs kept in $out"
