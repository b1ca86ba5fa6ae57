#!/usr/bin/env bash
# Benchmarks (not tests): vaisc run vs cc -O2 on the same algorithms (bench/NAME.vais and
# bench/NAME.c; output compared byte for byte; the figure is the minimum CPU time of RUNS whole
# processes), then compile throughput on a generated 10,000-line program and front-end
# throughput on a generated 100,000-line program. Extra arguments are vaisc binaries to compare
# side by side (default: this tree's release build), e.g. `bash bench/run.sh /tmp/old/vaisc
# target/release/vaisc`. `bash bench/run.sh build`: native executables (`vaisc build`) against
# `cc -O2`, and build time against `cc -O0` (bench/build.py).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v "${CC:-cc}" >/dev/null || { echo "no C compiler (${CC:-cc})" >&2; exit 1; }
if [ "${1:-}" = build ]; then
  shift
  cargo build --release -q -p vaisc -p vais-start
  exec python3 bench/build.py "$@"
fi
cargo build --release -q -p vaisc
exec python3 bench/measure.py "$@"
