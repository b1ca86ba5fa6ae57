#!/usr/bin/env bash
# The project's one test command (README): builds and runs every test of the workspace, then
# holds the workspace clippy-clean.
set -euo pipefail
cd "$(dirname "$0")/.."
# The compiled-code cache of every vaisc the tests start lives in a temporary directory, never
# in ~/.cache (the vaisc integration tests also set their own, see tests/common).
if [ -z "${VAIS_CACHE_DIR:-}" ]; then
  VAIS_CACHE_DIR="$(mktemp -d -t vais-test-cache.XXXXXX)"
  export VAIS_CACHE_DIR
  trap 'rm -rf "$VAIS_CACHE_DIR"' EXIT
fi
cargo build --workspace --all-targets
cargo test --workspace --no-fail-fast -- --test-threads=2
if cargo clippy --version >/dev/null 2>&1; then
  cargo clippy --workspace --all-targets -q -- -D warnings
else
  echo "note: cargo clippy is not installed; lint step skipped" >&2
fi
