#!/usr/bin/env bash
# Every tool for the same wall time on the same space, one after another on this machine, then each
# best-so-far model scored on the test set (outside the timed part):
#
#   bash benchmarks/peers/equal_time.sh MINUTES SEED SPACE [JOB] [TOOLS...]
#   bash benchmarks/peers/equal_time.sh 15 0 search_spaces/fashion_automl.yaml
#
# TOOLS (default all): tune-jobs (optuna + ASHA, 2 trials at a time, 3-fold CV), tune-jobs-holdout
# (the same with one held-out 20%, --cv 1, as the peers validate), hyperband, bayesian, random
# (KerasTuner), autokeras (its ImageClassifier over its own space: SPACE and JOB do not apply).
# Results: benchmarks/results/peers/<space>-s<SEED>-<MINUTES>min/<tool>/ (result.json, anytime.csv,
# trials; tune-jobs' run records in <tool>/run/); python benchmarks/peers/publish.py turns them into
# docs/peers/. Run from a worktree, the results folder goes into the repository as it is, less what
# .gitignore leaves out (runs/, kt/, ak/): rsync -a --exclude runs/ --exclude kt/ --exclude ak/ SRC/ DST/
# BEST_ONLY=1: refit only tune-jobs' best configuration at MINUTES, not every best so far (a CNN's
# refit takes minutes): its curve is then one point.
# EPOCHS=N: tune-jobs' trials train at most N epochs (--epochs, in place of the space's cap); the
# results directory's name ends in -eN.
# SCHEDULER=asha-time: tune-jobs' ASHA counts seconds of training, not epochs (default asha); the
# results directory's name ends in -asha-time, and so does the tool's folder (tune-jobs-holdout-asha-time).
# WORKERS=N: tune-jobs runs N trials at a time (--workers; default one per core); the results
# directory's name ends in -wN (two schedulers side by side, one core each: WORKERS=1).
# TAG=word: the results directory's name ends in -word (a space file changed since earlier runs).
# DIR=name: the results directory's name, whatever the settings above (a tool added to an earlier
# comparison with a setting only it takes, e.g. SCHEDULER=asha-time beside KerasTuner's runs).
set -euo pipefail
cd "$(dirname "$0")/../.."
MINUTES=$1 SEED=$2 SPACE=$3 JOB=${4:-fashion-mlp}
shift $(( $# < 4 ? $# : 4 ))
TOOLS=${*:-tune-jobs tune-jobs-holdout hyperband bayesian random autokeras}
PY=${PYTHON:-python}
SCHEDULER=${SCHEDULER:-asha}
NAME=$(basename "$SPACE" .yaml)-s$SEED-${MINUTES}min${EPOCHS:+-e$EPOCHS}$([ "$SCHEDULER" = asha ] || echo "-$SCHEDULER")${WORKERS:+-w$WORKERS}${TAG:+-$TAG}
NAME=${DIR:-$NAME}
OUT=benchmarks/results/peers/$NAME
mkdir -p "$OUT"
echo "== $NAME, job $JOB, tools: $TOOLS, commit $(git rev-parse --short HEAD), $(date -u +%FT%TZ)" | tee -a "$OUT/log.txt"

for tool in $TOOLS; do
  echo "-- $tool start $(date -u +%T)" | tee -a "$OUT/log.txt"
  if [ "$tool" = tune-jobs ] || [ "$tool" = tune-jobs-holdout ]; then
    # The sweep's clock starts once Ray is up; Ctrl-C 90 s after the budget so that start-up is not
    # charged to it; only trials that ended within MINUTES of the sweep's own clock count.
    # tune-jobs-holdout: --cv 1, one held-out 20% as the peers validate, not 3-fold CV.
    cv=3; [ "$tool" = tune-jobs ] || cv=1
    folder=$tool$([ "$SCHEDULER" = asha ] || echo "-$SCHEDULER")
    timeout -k 120 -s INT $(( MINUTES * 60 + 90 )) $PY -m tune_jobs run --job "$JOB" --space "$SPACE" \
      --searcher optuna --scheduler "$SCHEDULER" --num-samples 10000 --seed "$SEED" --cv $cv --no-refit \
      ${EPOCHS:+--epochs "$EPOCHS"} ${WORKERS:+--workers "$WORKERS"} \
      --out "$OUT/$folder/runs" > "$OUT/$folder.log" 2>&1 || true
    $PY benchmarks/peers/tune_jobs_anytime.py "$OUT/$folder"/runs/*/ --minutes "$MINUTES" \
      --out "$OUT/$folder" ${BEST_ONLY:+--best-only} >> "$OUT/$folder.log" 2>&1
    # The run's records beside its results (runs/ itself, with Ray's experiment, is not kept in git)
    run=$(ls -d "$OUT/$folder"/runs/*/ | head -1)
    mkdir -p "$OUT/$folder/run"
    for f in driver.log optuna.journal run.json space.yaml summary.json trials.csv; do
      if [ -f "$run$f" ]; then cp "$run$f" "$OUT/$folder/run/"; fi
    done
  elif [ "$tool" = autokeras ]; then
    $PY benchmarks/peers/autokeras_run.py --minutes "$MINUTES" --seed "$SEED" --out "$OUT/autokeras" \
      > "$OUT/autokeras.log" 2>&1
  else
    $PY benchmarks/peers/keras_tuner_run.py --tuner "$tool" --job "$JOB" --space "$SPACE" --minutes "$MINUTES" \
      --seed "$SEED" --out "$OUT/kt-$tool" > "$OUT/kt-$tool.log" 2>&1
  fi
  echo "-- $tool end $(date -u +%T)" | tee -a "$OUT/log.txt"
done
