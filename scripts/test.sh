#!/usr/bin/env bash
# The project's one test command (README): builds and runs every test of the workspace, then
# holds the workspace clippy-clean.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --workspace --all-targets
cargo test --workspace --no-fail-fast -- --test-threads=2
if cargo clippy --version >/dev/null 2>&1; then
  cargo clippy --workspace --all-targets -q -- -D warnings
else
  echo "note: cargo clippy is not installed; lint step skipped" >&2
fi
