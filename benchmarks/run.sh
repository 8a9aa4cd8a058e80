#!/usr/bin/env bash
# Ferrite side by side with Redis: installs what it needs, runs, writes results/ and the chart.
#   bash benchmarks/run.sh            # full run (3 rounds)
#   bash benchmarks/run.sh --quick    # a short smoke run
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq redis-server redis-tools >/dev/null
  else
    sudo apt-get update -qq && sudo apt-get install -y -qq redis-server redis-tools >/dev/null
  fi
fi
# The Debian package starts a system redis-server; the benchmark runs its own on a free port.
python3 -m venv .venv
.venv/bin/pip install -q -e . ./plugins/* -r benchmarks/requirements.txt
exec .venv/bin/python benchmarks/compare.py "$@"
