#!/usr/bin/env bash
# The project's one test command (README): builds and runs every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --workspace --all-targets
cargo test --workspace --no-fail-fast -- --test-threads=2
