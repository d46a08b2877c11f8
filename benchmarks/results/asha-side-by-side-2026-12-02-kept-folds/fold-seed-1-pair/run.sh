# The pair of 14d (2026-12-02 22:37-22:45): optuna + ASHA then optuna, fold and search seed 1, from a worktree
# of 91f3f43; samples the driver's CPU ticks (utime+stime, /proc/PID/stat fields 14+15) every 2 s.
# WORKTREE=/path/to/worktree OUT=/path/to/out bash run.sh
cd $WORKTREE
for s in optuna+asha optuna; do
PYTHONPATH=$WORKTREE RAY_TMPDIR=/tmp/x .venv/bin/python -m tune_jobs.fashion --space search_spaces/fashion_grid.yaml --searcher ${s%%+*} $([ $s = optuna+asha ] && echo --scheduler asha) --seed 1 --budget 648 --no-refit --workers 2 --out $OUT/$s > $OUT/$s.log 2>&1 &
pid=$!
: > $OUT/$s.cpu
while kill -0 $pid 2>/dev/null; do
  # driver's own CPU (user+sys ticks), and every process under the Ray temp dir of this run
  echo "$(date +%s) $(awk '{print $14+$15}' /proc/$pid/stat 2>/dev/null) $(ps -o cputimes= -p $pid 2>/dev/null) $(ps -eo pid,cputimes,args | grep -E 'gcs_server|raylet|dashboard|ray::' | grep -v grep | awk '{s+=$2} END {print s}')" >> $OUT/$s.cpu
  sleep 2
done
done
