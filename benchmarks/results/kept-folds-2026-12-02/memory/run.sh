# BENCHMARKS 14d (2026-12-02 22:47-22:56): an optuna + ASHA run (seed 0, 648 epochs x folds) from a worktree of
# each commit, its trial actors' resident memory sampled every 2 s. REPO=checkout-of-9ad73e7 WORKTREES=dir OUT=dir bash run.sh
for c in a87373f 9ad73e7; do
  wt=$WORKTREES/$c
  cd $wt
  PYTHONPATH=$wt RAY_TMPDIR=/tmp/x .venv/bin/python -m tune_jobs.fashion --space search_spaces/fashion_grid.yaml --searcher optuna --scheduler asha --budget 648 --no-refit --workers 2 --out $OUT/$c > $OUT/$c.log 2>&1 &
  pid=$!
  INTERVAL=2 bash "$REPO"/benchmarks/actor_memory.sh $pid > $OUT/$c.memory.log
  wait $pid
done
