#!/usr/bin/env bash
# Resident memory of Ray's trial actors and the machine's available memory, once a minute (every
# INTERVAL seconds), while the process PID (a sweep or a comparison) runs: how BENCHMARKS.md
# section 8 watched for a leak, and section 14d compared kept folds with none.
#   [INTERVAL=60] bash benchmarks/actor_memory.sh PID > memory.log
set -euo pipefail
pid=$1
while kill -0 "$pid" 2>/dev/null; do
  actors=$(ps -eo pid=,rss=,args= | awk '/ray::ImplicitFunc|ray::IDLE/ && !/awk/ {printf "%s:%dMB ", $1, $2 / 1024}')
  echo "$(date +%H:%M:%S) $actors available=$(free -m | awk '/^Mem/ {print $7}')MB"
  sleep "${INTERVAL:-60}"
done
