#!/usr/bin/env bash
# The benchmark (issue 6): one command, writes bench/RESULTS.md.
#
#   bash bench/run.sh            # everything, about 20 minutes on 2 cores
#   BENCH_QUICK=1 bash bench/run.sh   # fewer runs, to try the machinery (~5 min)
#   BENCH_PARTS=fg bash bench/run.sh  # only the browser's folder and 2,000-file session
#                                     # parts (issue 17, ~5 min): their section of
#                                     # RESULTS.md is rewritten, the rest left as it is
#   BENCH_SKIP_BUILD=1 PNEUMOSCAN_DIST=/path/to/dist ...   # measure a bundle built elsewhere
#
# Installs what it needs (Debian's wrk, nginx, chromium; bench/package.json's npm packages;
# bench/requirements.txt into bench/.venv), builds what is stale (dist/ with
# `cargo xtask dist`, the release CLI, bench/native), then measures, interleaving every
# compared pair: in headless Chromium (browser.mjs), natively (native.mjs). Not part of
# tests/run.sh: timings live here only. Data: ../shared/data or $PNEUMOSCAN_DATA.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

PARTS=${BENCH_PARTS:-abcdefg}
NATIVE=1
case "$PARTS" in *[!fg]*) ;; *) NATIVE="" ;; esac # only f and g: browser, no native part

need=()
[ -z "$NATIVE" ] || command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || need+=(nginx)
[ -f /usr/lib/nginx/modules/ngx_http_brotli_static_module.so ] || need+=(libnginx-mod-http-brotli-static)
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "${need[@]}"
fi
if [ ! -d bench/node_modules/onnxruntime-web ] || [ bench/package-lock.json -nt bench/node_modules/.package-lock.json ]; then
  (cd bench && npm ci --no-audit --no-fund)
fi
if [ -n "$NATIVE" ] && { [ ! -x bench/.venv/bin/python ] || [ bench/requirements.txt -nt bench/.venv/.installed ]; }; then
  python3 -m venv bench/.venv
  bench/.venv/bin/pip install -q -r bench/requirements.txt
  touch bench/.venv/.installed
fi

if [ -z "${BENCH_SKIP_BUILD:-}" ]; then
  if [ ! -f dist/index.html ] || [ -n "$(find src www model Cargo.toml Cargo.lock xtask/src -newer dist/index.html -print -quit)" ]; then
    cargo xtask dist
  fi
  if [ -n "$NATIVE" ]; then
    cargo build --release --features native --quiet
    cargo build --release --quiet --manifest-path bench/native/Cargo.toml --target-dir "${CARGO_TARGET_DIR:-target}"
  fi
fi

# Measure a snapshot: others may rebuild dist/ or target/ while this runs.
SNAP=$(mktemp -d "${TMPDIR:-/tmp}/pneumoscan-bench-snap-XXXXXX")
trap 'rm -rf "$SNAP"' EXIT
cp -r "${PNEUMOSCAN_DIST:-dist}" "$SNAP/dist"
if [ -n "$NATIVE" ]; then
  cp "${CARGO_TARGET_DIR:-target}/release/pneumoscan" "${CARGO_TARGET_DIR:-target}/release/pneumoscan-bench" "$SNAP/"
fi
export PNEUMOSCAN_DIST="$SNAP/dist" PNEUMOSCAN_BIN="$SNAP/pneumoscan" PNEUMOSCAN_BENCH_BIN="$SNAP/pneumoscan-bench"

if [ -n "${BENCH_QUICK:-}" ]; then
  BROWSER_ARGS=(--parts "$PARTS" --runs 100 --rounds 1 --loads 3 --files 100 --folder-rounds 2 --session-files 500)
  NATIVE_ARGS=(--blocks 2 --runs 50 --reps 1 --duration 3 --conns 1,4)
else
  BROWSER_ARGS=(--parts "$PARTS" --runs 200 --rounds 3 --loads 7 --files 500 --folder-rounds 6 --pools 1 --session-files 2000)
  NATIVE_ARGS=(--blocks 3 --runs 100 --reps 2 --duration 10 --conns 1,4,16)
fi

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -z "$NATIVE" ]; then
  node bench/browser.mjs "${BROWSER_ARGS[@]}"
  node bench/report.mjs --only folder
  echo "wrote the folder section of $ROOT/bench/RESULTS.md"
  exit 0
fi
node bench/env.mjs
node bench/browser.mjs "${BROWSER_ARGS[@]}"
node -e 'const f="bench/results/env.json",fs=require("fs"),e=JSON.parse(fs.readFileSync(f));e.load_mid=fs.readFileSync("/proc/loadavg","utf8").split(" ").slice(0,3).join(" ");fs.writeFileSync(f,JSON.stringify(e,null,2))'
node bench/native.mjs "${NATIVE_ARGS[@]}"
node -e 'const f="bench/results/env.json",fs=require("fs"),e=JSON.parse(fs.readFileSync(f));e.load_end=fs.readFileSync("/proc/loadavg","utf8").split(" ").slice(0,3).join(" ");fs.writeFileSync(f,JSON.stringify(e,null,2))'
node bench/report.mjs
echo "wrote $ROOT/bench/RESULTS.md"
