#!/usr/bin/env bash
# Builds and runs the two container images for real, without an image registry, with
# Debian's podman (runc, cgroupfs, host network):
#   1. the base image localhost/debian:RELEASE-slim, imported from a debootstrap rootfs
#      (minbase + ca-certificates + curl, with the release's updates), and the .deb files
#      of Debian's nginx for the web image; both are cached in
#      $HOME/.cache/pneumoscan-containers, so only the first run on a machine debootstraps;
#   2. deploy/containers/api.Containerfile (the server binary) and
#      deploy/containers/web.Containerfile (nginx, nginx.conf, dist/), from a temporary
#      build context;
#   3. both containers on free loopback ports, each HEALTHCHECK run with
#      `podman healthcheck run` until it passes, a real X-ray classified through the web
#      container's /predict proxy, then e2e/containers.test.js (Chromium) against the web
#      container. The containers are removed on exit, whatever happens.
# The Dockerfile (multi-stage, for machines that reach an image registry) is not used here.
#
# Usage: bash tests/containers.sh      (as root, or it re-runs itself with sudo)
#   PNEUMOSCAN_DIST  the web bundle          (default dist; `cargo xtask dist`)
#   PNEUMOSCAN_BIN   the server binary       (default target/debug/pneumoscan)
#   PNEUMOSCAN_DATA  the data set            (default ../shared/data; originals/NORMAL/*.jpeg)
#   PNEUMOSCAN_DEBIAN_RELEASE  base release  (default bookworm: glibc 2.36; it must be at
#                    least the glibc the binary needs, which the script checks)
#   PNEUMOSCAN_DEBIAN_MIRROR, PNEUMOSCAN_DEBIAN_SECURITY_MIRROR  (default deb.debian.org)
#   PNEUMOSCAN_CONTAINERS_CACHE  (default $HOME/.cache/pneumoscan-containers)
# Installs nothing: podman, runc and debootstrap come from tests/install-deps.sh.
set -Eeuo pipefail
cd "$(dirname "$0")/.."
trap 'echo "tests/containers.sh: line $LINENO failed: $BASH_COMMAND" >&2' ERR

fail() {
  printf '\ntests/containers.sh: FAIL: %s\n' "$*" >&2
  exit 1
}

if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || fail "needs root (debootstrap, chroot, podman with runc and cgroupfs)"
  echo "tests/containers.sh: not root: running again with sudo" >&2
  exec sudo --preserve-env bash "$0" "$@"
fi

DIST=${PNEUMOSCAN_DIST:-dist}
BIN=${PNEUMOSCAN_BIN:-target/debug/pneumoscan}
DATA=${PNEUMOSCAN_DATA:-../shared/data}
RELEASE=${PNEUMOSCAN_DEBIAN_RELEASE:-bookworm}
MIRROR=${PNEUMOSCAN_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${PNEUMOSCAN_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
CACHE=${PNEUMOSCAN_CONTAINERS_CACHE:-$HOME/.cache/pneumoscan-containers}
# Bump RECIPE when the way the rootfs is made changes: the cached one is then remade.
RECIPE=2
BASE_IMAGE=localhost/debian:$RELEASE-slim
WEB_IMAGE=localhost/pneumoscan-web:test
API_IMAGE=localhost/pneumoscan-api:test
WEB_NAME=pneumoscan-web-test-$$
API_NAME=pneumoscan-api-test-$$
HEALTHY_TIMEOUT_S=${PNEUMOSCAN_HEALTHY_TIMEOUT_S:-60}

# How podman runs on these CI machines: runc, cgroupfs (no systemd), the host network
# (no container network) and explicit ulimits (podman's defaults are refused here).
podman_() { podman --runtime runc --cgroup-manager cgroupfs "$@"; }
LIMITS=(--network host --ulimit nofile=4096:4096 --ulimit nproc=4096:4096)

# ---- timings --------------------------------------------------------------------------
timings=()
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
record() { # record LABEL START
  local s
  s=$(since "$2")
  timings+=("$(printf '%7s s  %s' "$s" "$1")")
  printf '  ... %s: %s s\n' "$1" "$s"
}
step() { printf '\n==> %s\n' "$*"; }

# ---- clean-up (trap) ------------------------------------------------------------------
work=""
cleanup() {
  local rc=$?
  trap - EXIT ERR
  set +e
  if [ "$rc" -ne 0 ]; then
    for name in "$API_NAME" "$WEB_NAME"; do
      if podman_ container exists "$name" 2>/dev/null; then
        printf '\n---- podman logs %s (last 40 lines) ----\n' "$name" >&2
        podman_ logs --tail 40 "$name" >&2 2>&1 || true
      fi
    done
  fi
  # One at a time: podman 4.3 removes neither when one of two names does not exist.
  for name in "$WEB_NAME" "$API_NAME"; do
    if podman_ container exists "$name" 2>/dev/null; then
      podman_ rm --force --time 3 "$name" >/dev/null 2>&1 || echo "could not remove container $name" >&2
    fi
  done
  if [ -n "$work" ]; then
    # A debootstrap that failed half-way can leave /proc or /sys mounted in the rootfs.
    grep -o " $work/[^ ]*" /proc/mounts | sort -r | while read -r mnt; do umount -l "$mnt"; done
    rm -rf --one-file-system "$work"
  fi
  if [ ${#timings[@]} -gt 0 ]; then
    printf '\ntests/containers.sh: timings\n'
    printf '  %s\n' "${timings[@]}"
  fi
  if [ "$rc" -eq 0 ]; then
    echo "tests/containers.sh: both images built, healthy, /predict through nginx and the browser test passed"
  else
    echo "tests/containers.sh: FAILED (exit $rc)" >&2
  fi
  exit "$rc"
}
trap cleanup EXIT

# ---- inputs and tools -----------------------------------------------------------------
step "inputs and tools"
[ -f "$DIST/index.html" ] || fail "$DIST/index.html is missing: run \`cargo xtask dist\` (or set PNEUMOSCAN_DIST)"
[ -x "$BIN" ] || fail "$BIN is missing or not executable: build the server (or set PNEUMOSCAN_BIN)"
[ -d "$DATA/originals/NORMAL" ] ||
  fail "the data set is missing: $DATA/originals/NORMAL does not exist (set PNEUMOSCAN_DATA)"
XRAY=$(find "$DATA/originals/NORMAL" -maxdepth 1 -name '*.jpeg' | LC_ALL=C sort | sed -n 1p)
[ -n "$XRAY" ] || fail "no *.jpeg in $DATA/originals/NORMAL"
for tool in podman runc curl node python3 tar; do
  command -v "$tool" >/dev/null || fail "$tool not found (bash tests/install-deps.sh installs it)"
done
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || fail "${CHROMIUM:-/usr/bin/chromium} not found (bash tests/install-deps.sh)"
[ -d e2e/node_modules/playwright-core ] || fail "e2e/node_modules/playwright-core is missing (cd e2e && npm ci)"
echo "  podman $(podman --version | awk '{ print $NF }'), runc $(runc --version | awk 'NR == 1 { print $NF }')"
echo "  dist:   $DIST"
echo "  binary: $BIN ($(du -h "$BIN" | cut -f1))"
echo "  X-ray:  $XRAY"

# The binary links glibc: the base must have at least the newest glibc symbol version it
# needs (the host's glibc, when objdump cannot tell).
NEED_GLIBC=""
if command -v objdump >/dev/null; then
  NEED_GLIBC=$({ objdump -T "$BIN" 2>/dev/null || true; } | grep -o 'GLIBC_[0-9][0-9.]*' |
    sed 's/GLIBC_//' | sort -uV | tail -n 1 || true)
  need_from="the binary's symbols"
fi
if [ -z "$NEED_GLIBC" ]; then
  NEED_GLIBC=$(getconf GNU_LIBC_VERSION | awk '{ print $2 }')
  need_from="the host's glibc"
fi
echo "  glibc needed: $NEED_GLIBC ($need_from); host: $(getconf GNU_LIBC_VERSION | awk '{ print $2 }')"

work=$(mktemp -d "${TMPDIR:-/tmp}/pneumoscan-containers.XXXXXX")

# ---- 1. the base image ----------------------------------------------------------------
slot="$CACHE/$RELEASE-recipe$RECIPE"
make_rootfs() {
  command -v debootstrap >/dev/null || [ -x /usr/sbin/debootstrap ] ||
    fail "debootstrap not found (bash tests/install-deps.sh installs it)"
  local root="$work/rootfs" t
  rm -rf "$slot" && mkdir -p "$slot"
  step "debootstrap --variant=minbase $RELEASE (once per machine: cached in $slot)"
  t=$(now)
  PATH="$PATH:/usr/sbin:/sbin" debootstrap --variant=minbase --include=ca-certificates,curl \
    "$RELEASE" "$root" "$MIRROR" >"$work/debootstrap.log" 2>&1 ||
    { tail -n 30 "$work/debootstrap.log" >&2; fail "debootstrap failed (log above)"; }
  tail -n 1 "$work/debootstrap.log"
  record "debootstrap $RELEASE minbase" "$t"

  step "the release's updates, nginx's .deb files, slimming"
  t=$(now)
  # Like Debian's -slim images: no documentation but the copyright files.
  cat >"$root/etc/dpkg/dpkg.cfg.d/slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
EOF
  cat >"$root/etc/apt/sources.list" <<EOF
deb $MIRROR $RELEASE main
deb $MIRROR $RELEASE-updates main
deb $SECURITY_MIRROR $RELEASE-security main
EOF
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 0755 "$root/usr/sbin/policy-rc.d"
  local apt=(chroot "$root" env DEBIAN_FRONTEND=noninteractive LC_ALL=C apt-get -q -y -o Dpkg::Use-Pty=0)
  "${apt[@]}" update >"$work/apt.log" 2>&1 &&
    "${apt[@]}" upgrade >>"$work/apt.log" 2>&1 &&
    "${apt[@]}" clean &&
    "${apt[@]}" --no-install-recommends --download-only install nginx libnginx-mod-http-brotli-static >>"$work/apt.log" 2>&1 ||
    { tail -n 30 "$work/apt.log" >&2; fail "apt-get in the rootfs failed (log above)"; }
  mkdir -p "$slot/nginx-debs"
  mv "$root"/var/cache/apt/archives/*.deb "$slot/nginx-debs/"
  echo "  nginx (and its Brotli module) for the web image: $(cd "$slot/nginx-debs" && ls | tr '\n' ' ')"
  "${apt[@]}" clean
  rm -f "$root/usr/sbin/policy-rc.d"
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/log/apt/* \
    "$root"/var/log/dpkg.log "$root"/var/log/alternatives.log "$root/debootstrap" \
    "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/groff/* \
    "$root"/usr/share/lintian/* "$root"/usr/share/locale/* "$root"/tmp/* "$root"/var/tmp/*
  find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
  # The host's name and resolver stay on the host: podman provides its own.
  rm -f "$root/etc/resolv.conf" "$root/etc/hostname"
  : >"$root/etc/hosts"
  record "updates, nginx .debs, slimming" "$t"

  t=$(now)
  tar -C "$root" --numeric-owner -cf "$slot/rootfs.tar" .
  sha256sum "$slot/rootfs.tar" | cut -d' ' -f1 >"$slot/rootfs.sha256"
  echo "$RELEASE recipe $RECIPE, $(date -u +%FT%TZ)" >"$slot/complete"
  rm -rf --one-file-system "$root"
  echo "  rootfs: $(du -h "$slot/rootfs.tar" | cut -f1) in $slot/rootfs.tar"
  record "rootfs tarball" "$t"
}

step "base image $BASE_IMAGE"
if [ -f "$slot/complete" ] && [ -f "$slot/rootfs.tar" ] && [ -n "$(ls "$slot/nginx-debs" 2>/dev/null)" ]; then
  echo "  cached rootfs: $slot ($(cat "$slot/complete"))"
else
  make_rootfs
fi
sum=$(cat "$slot/rootfs.sha256")
if [ "$(podman_ image inspect --format '{{ index .Labels "org.pneumoscan.rootfs" }}' "$BASE_IMAGE" 2>/dev/null)" = "$sum" ]; then
  echo "  $BASE_IMAGE already imported from this rootfs"
else
  t=$(now)
  old=$(podman_ image inspect --format '{{ .Id }}' "$BASE_IMAGE" 2>/dev/null || true)
  podman_ import --change "LABEL org.pneumoscan.rootfs=$sum" --change 'CMD ["/bin/bash"]' \
    "$slot/rootfs.tar" "$BASE_IMAGE" >/dev/null
  [ -z "$old" ] || podman_ rmi "$old" >/dev/null 2>&1 || true
  record "podman import $BASE_IMAGE" "$t"
fi
IMAGE_GLIBC=$(podman_ run --rm "${LIMITS[@]}" "$BASE_IMAGE" getconf GNU_LIBC_VERSION | awk '{ print $2 }')
echo "  glibc in $BASE_IMAGE: $IMAGE_GLIBC"
if [ "$(printf '%s\n%s\n' "$NEED_GLIBC" "$IMAGE_GLIBC" | sort -V | tail -n 1)" != "$IMAGE_GLIBC" ]; then
  fail "the binary needs glibc $NEED_GLIBC, $RELEASE has $IMAGE_GLIBC: set PNEUMOSCAN_DEBIAN_RELEASE to the host's release ($(. /etc/os-release && echo "${VERSION_CODENAME:-?}"))"
fi

# ---- 2. the two images ----------------------------------------------------------------
step "build contexts"
mkdir -p "$work/web" "$work/api"
cp nginx.conf "$work/web/nginx.conf"
cp -r "$DIST/." "$work/web/dist"
cp -r "$slot/nginx-debs" "$work/web/nginx-debs"
# A hard link where it can be (the debug binary is large), a copy otherwise.
ln "$BIN" "$work/api/pneumoscan" 2>/dev/null || cp "$BIN" "$work/api/pneumoscan"
echo "  web: $(du -sh "$work/web" | cut -f1), api: $(du -sh "$work/api" | cut -f1) in $work"

build() { # build NAME IMAGE
  local t old new
  step "podman build $2 (deploy/containers/$1.Containerfile)"
  t=$(now)
  old=$(podman_ image inspect --format '{{ .Id }}' "$2" 2>/dev/null || true)
  podman_ build --format docker --layers=false "${LIMITS[@]}" --build-arg "BASE=$BASE_IMAGE" \
    -f "deploy/containers/$1.Containerfile" -t "$2" "$work/$1" ||
    fail "podman build of $2 failed"
  new=$(podman_ image inspect --format '{{ .Id }}' "$2")
  # The previous build of this tag would stay behind as an unnamed image: remove it.
  [ -z "$old" ] || [ "$old" = "$new" ] || podman_ rmi "$old" >/dev/null 2>&1 || true
  [ "$(podman_ image inspect --format '{{ if .Config.Healthcheck }}yes{{ end }}' "$2")" = yes ] ||
    fail "$2 has no HEALTHCHECK"
  echo "  $2: $(podman_ image inspect --format '{{ .Size }}' "$2" | awk '{ printf "%.0f MB", $1 / 1e6 }'), healthcheck: $(podman_ image inspect --format '{{ .Config.Healthcheck.Test }}' "$2")"
  record "build $2" "$t"
}
build api "$API_IMAGE"
build web "$WEB_IMAGE"

# ---- 3. run, health, /predict, the browser ---------------------------------------------
read -r API_PORT WEB_PORT < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
')
API_URL=http://127.0.0.1:$API_PORT
WEB_URL=http://127.0.0.1:$WEB_PORT

wait_healthy() { # wait_healthy NAME START
  local deadline=$((SECONDS + HEALTHY_TIMEOUT_S)) out
  until out=$(podman_ healthcheck run "$1" 2>&1); do
    [ "$(podman_ inspect --format '{{ .State.Running }}' "$1" 2>/dev/null)" = true ] ||
      fail "$1 stopped before it was healthy"
    [ "$SECONDS" -lt "$deadline" ] ||
      fail "$1 not healthy within $HEALTHY_TIMEOUT_S s (last healthcheck: ${out:-no output})"
    sleep 0.5
  done
  echo "  $1: podman healthcheck run -> ${out:-healthy}"
  record "$1 start to healthy" "$2"
}

# Both on the host network, on loopback only; web's nginx.conf gets api's address in
# place of api:8080 (the entrypoint substitutes it; see web.Containerfile). Read-only root
# file systems: nothing but /tmp (a tmpfs) is written. No periodic healthchecks: podman
# runs them from systemd timers, and there is no systemd here; `podman healthcheck run`
# runs the image's HEALTHCHECK all the same.
run_() { # run_ NAME PODMAN-RUN-ARGS...: podman 4.3 logs "unable to get systemd connection"
  # for a HEALTHCHECK even with --health-interval disable; that line alone is dropped.
  local name=$1
  shift
  podman_ run --detach --name "$name" "${LIMITS[@]}" --read-only --health-interval disable \
    "$@" >/dev/null 2>"$work/$name.err" || { cat "$work/$name.err" >&2; fail "podman run $name failed"; }
  grep -v 'unable to get systemd connection to .* healthchecks' "$work/$name.err" >&2 || true
}
step "podman run $API_NAME ($API_URL) and $WEB_NAME ($WEB_URL)"
t=$(now)
run_ "$API_NAME" --env PNEUMOSCAN_HOST=127.0.0.1 --env PORT="$API_PORT" "$API_IMAGE"
wait_healthy "$API_NAME" "$t"
t=$(now)
run_ "$WEB_NAME" --env PNEUMOSCAN_WEB_LISTEN="127.0.0.1:$WEB_PORT" \
  --env PNEUMOSCAN_API="127.0.0.1:$API_PORT" "$WEB_IMAGE"
wait_healthy "$WEB_NAME" "$t"
for name in "$API_NAME" "$WEB_NAME"; do
  echo "  $name runs as $(podman_ top "$name" user,comm | awk 'NR > 1 { print $1 "(" $2 ")" }' | sort -u | tr '\n' ' ')"
  podman_ top "$name" user | awk 'NR > 1 && $1 == "root" { bad = 1 } END { exit bad }' ||
    fail "$name runs a process as root"
done

step "the web container: dist/ as built, POST /predict through nginx to the api container"
t=$(now)
curl -fsS "$WEB_URL/index.html" | cmp -s - "$DIST/index.html" ||
  fail "$WEB_URL/index.html is not $DIST/index.html"
curl -fsS -o "$work/predict.json" -D "$work/predict.headers" -F "file=@$XRAY" "$WEB_URL/predict" ||
  fail "POST $WEB_URL/predict failed"
python3 - "$work/predict.json" "$XRAY" <<'PY' || fail "the /predict answer is not what it should be"
import json, os, sys
r = json.load(open(sys.argv[1]))
ok = (r.get("status") == "ok" and isinstance(r.get("probability"), float)
      and 0.0 <= r["probability"] <= 1.0 and r.get("prediction") in ("NORMAL", "PNEUMONIA")
      and r.get("filename") == os.path.basename(sys.argv[2]))
print(f"  {r.get('filename')}: status {r.get('status')}, {r.get('prediction')}, "
      f"probability {r.get('probability')}, {r.get('timings', {}).get('total_ms', 0):.0f} ms in the api")
sys.exit(0 if ok else 1)
PY
grep -qi '^content-security-policy:' "$work/predict.headers" || fail "/predict through nginx has no Content-Security-Policy"
[ "$(grep -ci '^content-security-policy:' "$work/predict.headers")" -eq 1 ] ||
  fail "/predict through nginx sends the Content-Security-Policy twice"
podman_ logs "$WEB_NAME" >"$work/web.log" 2>&1
grep -q '"POST /predict HTTP/1.1" 200 ' "$work/web.log" ||
  fail "the web container's access log has no POST /predict answered 200"
record "index.html + /predict through the web container" "$t"

step "end-to-end: Chromium against the web container (e2e/containers.test.js)"
t=$(now)
PNEUMOSCAN_CONTAINERS_URL="$WEB_URL" PNEUMOSCAN_DIST="$DIST" PNEUMOSCAN_DATA="$DATA" \
  node --test --test-reporter=spec e2e/containers.test.js ||
  fail "e2e/containers.test.js failed"
record "e2e/containers.test.js" "$t"
