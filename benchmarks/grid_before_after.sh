#!/usr/bin/env bash
# Today's trainable against an older commit's, as the seed's grid runs them: whole
# `python -m tune_jobs.fashion --workers 2` processes on all 60,000 images, 15 epochs, no refit, over
# 4 configurations of the seed's grid (relu/swish x RMSprop/Adam; batch_norm 1, dropout 0.2, lr 0.001,
# batch 512), the two sides alternating PAIRS times.
# Prints each side's wall time and trial time (summary.json) and the ratios today / before.
#
#   bash benchmarks/grid_before_after.sh [BEFORE_COMMIT] [PAIRS]    (default: c7b5941, before issue 13's trainable; 2)
#
# The older side runs from a git worktree of BEFORE_COMMIT with this checkout's virtual environment,
# started in the worktree: `python -m` imports from its working directory before PYTHONPATH and the
# editable install, and Ray's workers get the driver's sys.path. (Until 2026-12-01 this script put the
# worktree on PYTHONPATH from this checkout: both sides ran today's code.)
set -euo pipefail
cd "$(dirname "$0")/.."
before=${1:-c7b5941}
pairs=${2:-2}
work=$(mktemp -d /tmp/tj-before-after-XXXX)
git worktree add -q --detach "$work/before" "$before"
trap 'git worktree remove --force "$work/before"' EXIT
cat > "$work/space.yaml" <<'EOF'
name: grid-before-after
grid:
  activation: [relu, swish]
  batch_norm: [1]
  dropout: [0.2]
  lr: [0.001]
  optimizer: [RMSprop, Adam]
  batch_size: [512]
  epochs: [15]
EOF
run() {  # side, pair
  local side=$1 out="$work/$1-$2"
  local code=$PWD ; [ "$side" = before ] && code="$work/before"
  (cd "$code" && RAY_TMPDIR="$work/ray-$side-$2" "$OLDPWD/.venv/bin/python" -m tune_jobs.fashion --workers 2 \
    --space "$work/space.yaml" --no-refit --out "$out" > "$out.log" 2>&1)
  python3 -c "import json,glob,sys; s=json.load(open(glob.glob('$out/*/summary.json')[0])); \
print('$side', '$2', s['wall_s'], s['trial_time_s'], s.get('best_score', s.get('best_cv_accuracy')))"
}
for pair in $(seq 1 "$pairs"); do
  if [ $((pair % 2)) = 1 ]; then run before "$pair"; run today "$pair"; else run today "$pair"; run before "$pair"; fi
done | tee "$work/results.txt"
python3 - "$work/results.txt" <<'EOF'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
for i, name in ((2, "wall"), (3, "trial time")):
    side = {s: [float(r[i]) for r in rows if r[0] == s] for s in ("before", "today")}
    print(f"{name}: before {statistics.median(side['before']):.1f} s, today {statistics.median(side['today']):.1f} s, "
          f"today / before {statistics.median(side['today']) / statistics.median(side['before']):.3f}")
EOF
echo "runs kept in $work"
