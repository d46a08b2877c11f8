#!/usr/bin/env bash
# The test install of .ci/run, with pip and with uv, one after the other in fresh venvs made from a
# fresh clone of HEAD, each with an empty cache of its own: wall time of each and their ratio.
#
#   bash benchmarks/install_time.sh
#
# pip: `.venv/bin/pip install -q --no-cache-dir -e '.[test]'` (what .ci/run did until 6a46508);
# uv:  `.venv/bin/pip install -q uv && .venv/bin/uv pip install -q --compile-bytecode ...` (.ci/run now).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/install-time-XXXX)
trap 'rm -rf "$work"' EXIT
git clone -q . "$work/repo"
cd "$work/repo"

seconds() { local began=$SECONDS; "$@"; echo $(( SECONDS - began )); }

pip_install() {
  rm -rf .venv && python3 -m venv .venv
  .venv/bin/pip install -q --no-cache-dir -e '.[test]'
}
uv_install() {
  rm -rf .venv && python3 -m venv .venv
  .venv/bin/pip install -q --no-cache-dir uv
  UV_CACHE_DIR="$work/uv-cache" .venv/bin/uv pip install -q --compile-bytecode --python .venv/bin/python -e '.[test]'
}

echo "commit $(git rev-parse --short HEAD), $(date -u +%FT%TZ), $(nproc) CPUs"
pip_s=$(seconds pip_install | tail -1)
echo "pip: ${pip_s} s"
uv_s=$(seconds uv_install | tail -1)
echo "uv:  ${uv_s} s"
python3 -c "print(f'uv / pip = {$uv_s / $pip_s:.2f}')"
