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

# Each step's wall time, printed as a table at the end (and on failure, up to the step
# that failed), so that a slow step shows at once.
STEP_NAMES=() STEP_SECONDS=() step_started=$SECONDS
step() {
    step_done
    STEP_NAMES+=("$*")
    step_started=$SECONDS
    printf '\n==> %s\n' "$*"
}
step_done() {
    if [ ${#STEP_NAMES[@]} -gt ${#STEP_SECONDS[@]} ]; then
        STEP_SECONDS+=($((SECONDS - step_started)))
    fi
}
step_times() {
    step_done
    printf '\n==> time per step (total %d min %02d s)\n' $((SECONDS / 60)) $((SECONDS % 60))
    for i in "${!STEP_SECONDS[@]}"; do
        printf '%6d s  %s\n' "${STEP_SECONDS[$i]}" "${STEP_NAMES[$i]}"
    done
}
trap step_times EXIT

step "install what is missing"
bash tests/install-deps.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy, native (lib, CLI, server, tests, xtask)"
cargo clippy --workspace --all-targets --features pneumoscan/native -- -D warnings

# The two wasm modules the bundle ships (xtask's WASM_BUILDS): never the `onnx` feature,
# which the native clippy above covers (checking tract-onnx for wasm too: 247 s against
# 101 s for this step from an empty target directory).
step "clippy, wasm32 module with every decoder, SIMD (core + src/web.rs)"
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C target-feature=+simd128"
cargo clippy --target wasm32-unknown-unknown --lib --no-default-features --features codecs -- -D warnings

step "clippy, wasm32 first module (no codecs, no ONNX: what the browser loads first)"
cargo clippy --target wasm32-unknown-unknown --lib --no-default-features -- -D warnings

target_dir=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')

step "the real-file corpus (tests/real-files.sh: pydicom's test files, codec crates' samples)"
bash tests/real-files.sh "$target_dir/real-files"

# The fixtures the end-to-end tests drop (DICOM from tests/dicom.rs and tests/codecs.rs,
# the bad-input corpus from tests/bad_input.rs) are written by tests of this same run: a
# separate `cargo test --test NAME` afterwards selects a different unit graph, and cargo
# then rebuilt the pneumoscan library and every test binary (9 min from a cold cache).
fixtures=$(mktemp -d)
step "cargo test (pneumoscan with the native feature, xtask), writing the e2e fixtures"
PNEUMOSCAN_WRITE_FIXTURES="$fixtures" cargo test --workspace --features pneumoscan/native

step "fuzzing: cargo fuzz, ${FUZZ_SECONDS:-120} s per target (tests/fuzz.sh)"
bash tests/fuzz.sh

step "cargo xtask dist (size-optimised wasm, wasm-bindgen, wasm-opt, hashed bundle in dist/)"
PNEUMOSCAN_BIN="$target_dir/debug/pneumoscan" cargo xtask dist

step "nginx.conf under real nginx"
bash tests/nginx.sh

step "Dockerfile and docker-compose.yml lint"
bash tests/docker-lint.sh

step "Kubernetes manifests: kubernetes-validate --strict and checkov, offline (tests/deploy.sh)"
bash tests/deploy.sh

step "monitoring: promtool on the alert rules, a real Prometheus scraping the server (tests/prometheus.sh)"
PNEUMOSCAN_BIN="$target_dir/debug/pneumoscan" bash tests/prometheus.sh

step "end-to-end: Debian's Chromium, real nginx, real X-rays"
PNEUMOSCAN_BIN="$target_dir/debug/pneumoscan" PNEUMOSCAN_FIXTURES="$fixtures" \
  node --test --test-concurrency=1 --test-reporter=spec e2e/

step "containers: web and api images built and run with podman, health checks, /predict through nginx, Chromium (tests/containers.sh)"
PNEUMOSCAN_BIN="$target_dir/debug/pneumoscan" bash tests/containers.sh
