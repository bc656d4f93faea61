#!/usr/bin/env bash
# Runs every check and test of the project: formatting, clippy (native and wasm),
# the wasm build of the core, and the Rust test suite (unit, integration, CLI).
# Usage: bash tests/run.sh        (the data set is read from ../shared/data or $PNEUMOSCAN_DATA)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy, native (lib, CLI, tests)"
cargo clippy --features native --all-targets -- -D warnings

step "clippy and build, wasm32 core with SIMD"
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C target-feature=+simd128"
cargo clippy --target wasm32-unknown-unknown --lib -- -D warnings
cargo build --target wasm32-unknown-unknown --lib

step "cargo test --features native"
cargo test --features native
