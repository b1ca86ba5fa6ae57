#!/usr/bin/env bash
# Benchmarks (not tests): vaisc run vs clang -O2 / -O0 on the same algorithms, JIT compile time
# vs clang -O0, compile throughput on a generated 10,000-line program, and front-end throughput
# on a generated 100,000-line program. Installs clang if missing. Prints a table of figures.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v clang >/dev/null; then
  (apt-get update -qq && apt-get install -y -qq clang >/dev/null) || { echo "cannot install clang" >&2; exit 1; }
fi
cargo build --release -q -p vaisc
exec python3 bench/measure.py "$@"
