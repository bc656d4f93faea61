#!/usr/bin/env bash
# Runs every check and test of the project: formatting, clippy (native, wasm, xtask),
# the Rust test suite (unit, integration, CLI, server over real HTTP, the bad-input
# corpus, the server under abuse), fuzzing (tests/fuzz.sh, FUZZ_SECONDS per target), the
# web bundle build (cargo xtask dist), nginx.conf under real nginx, the Dockerfile lint,
# and the end-to-end tests in Debian's Chromium against real nginx.
# Usage: bash tests/run.sh   (the data set is read from ../shared/data or $PNEUMOSCAN_DATA)
# It first installs what is missing (tests/install-deps.sh; a no-op when all is there).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "install what is missing"
bash tests/install-deps.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy, native (lib, CLI, server, tests, xtask)"
cargo clippy --workspace --all-targets --features pneumoscan/native -- -D warnings

step "clippy, wasm32 library with SIMD (core + src/web.rs)"
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C target-feature=+simd128"
cargo clippy --target wasm32-unknown-unknown --lib -- -D warnings

target_dir=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')

step "the real-file corpus (tests/real-files.sh: pydicom's test files, codec crates' samples)"
bash tests/real-files.sh "$target_dir/real-files"

step "cargo test (pneumoscan with the native feature, xtask)"
cargo test --workspace --features pneumoscan/native

step "fuzzing: cargo fuzz, ${FUZZ_SECONDS:-120} s per target (tests/fuzz.sh)"
bash tests/fuzz.sh

step "cargo xtask dist (size-optimised wasm, wasm-bindgen, wasm-opt, hashed bundle in dist/)"
cargo xtask dist

step "nginx.conf under real nginx"
bash tests/nginx.sh

step "Dockerfile and docker-compose.yml lint"
bash tests/docker-lint.sh

step "fixtures for the end-to-end tests: DICOM (tests/dicom.rs, tests/codecs.rs), the bad-input corpus (tests/bad_input.rs)"
fixtures=$(mktemp -d)
PNEUMOSCAN_WRITE_FIXTURES="$fixtures" \
  cargo test --workspace --features pneumoscan/native --test dicom -- --exact write_e2e_fixtures
PNEUMOSCAN_WRITE_FIXTURES="$fixtures" \
  cargo test --workspace --features pneumoscan/native --test codecs -- --exact write_e2e_fixtures
PNEUMOSCAN_WRITE_FIXTURES="$fixtures" \
  cargo test --workspace --features pneumoscan/native --test bad_input -- --exact write_fixtures_for_the_browser

step "end-to-end: Debian's Chromium, real nginx, real X-rays"
PNEUMOSCAN_BIN="$target_dir/debug/pneumoscan" PNEUMOSCAN_FIXTURES="$fixtures" \
  node --test --test-concurrency=1 --test-reporter=spec e2e/
