#!/usr/bin/env bash
# Tests nginx.conf for real: substitutes only the root path and the port into a temporary
# copy (as the e2e tests do), checks it with `nginx -t`, serves a fake dist/ made here and
# checks with curl: MIME types, brotli_static and gzip_static, cache headers for hashed and unhashed files,
# the CSP (the same string as src/server.rs and the web bundle contract) and the other
# security headers, CORS only where embedding needs it, 404 for missing files, and that
# nginx starts without the api host and answers /predict with 502/503/504.
# Usage: bash tests/nginx.sh     (needs nginx and curl; exits non-zero on any failure)
#
# As root (CI) the nginx master has no `user` directive to follow, so its workers run as
# `nobody`: the fake dist/ is made world-readable (chmod a+rX) rather than passing
# `user root;`, so the test runs nginx exactly as the e2e tests and the container do.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
    printf 'tests/nginx.sh: FAIL: %s\n' "$*" >&2
    exit 1
}
ok() { printf '  ok  %s\n' "$*"; }

command -v nginx >/dev/null || fail "nginx is not installed (Debian: apt-get install nginx-light or nginx)"
command -v curl >/dev/null || fail "curl is not installed"

csp="default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; img-src 'self' blob: data:; style-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'; manifest-src 'self'"
immutable="public, max-age=31536000, immutable"

# The two substitution points must each appear exactly once.
root_line='root /usr/share/nginx/html;'
listen_line='listen 8080;'
[ "$(grep -cF "$root_line" nginx.conf)" = 1 ] || fail "nginx.conf must contain '$root_line' exactly once"
[ "$(grep -cF "$listen_line" nginx.conf)" = 1 ] || fail "nginx.conf must contain '$listen_line' exactly once"
[ "$(grep -cF /usr/share/nginx/html nginx.conf)" = 1 ] ||
    fail "nginx.conf must name /usr/share/nginx/html only in its root line (the e2e harness checks that none is left)"
grep -qF "\"$csp\"" nginx.conf || fail "nginx.conf's Content-Security-Policy differs from the contract's"
grep -qF "\"$csp\"" src/server.rs || fail "src/server.rs's Content-Security-Policy differs from the contract's"

tmp=$(mktemp -d)
nginx_pid=""
cleanup() {
    if [ -n "$nginx_pid" ]; then
        kill "$nginx_pid" 2>/dev/null || true
        wait "$nginx_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

# A fake dist/ in the contract's layout, readable by nginx's workers.
dist="$tmp/dist"
mkdir -p "$dist" "$tmp/prefix"
printf '<!doctype html><title>Pneumoscan</title><script type="module" src="./app.0a1b2c3d.js"></script>\n' >"$dist/index.html"
printf 'import "./ui.0a1b2c3d.js"; // %s\n' "$(printf 'padding %.0s' $(seq 200))" >"$dist/app.0a1b2c3d.js"
printf 'export const ui = 1;\n' >"$dist/ui.0a1b2c3d.js"
printf 'body { margin: 0 }\n' >"$dist/style.0a1b2c3d.css"
printf '{"name":"pneumonia"}\n' >"$dist/model.0a1b2c3d.json"
printf '\0asm\1\0\0\0' >"$dist/pneumoscan_bg.0a1b2c3d.wasm"
printf 'onnx' >"$dist/pneumonia.0a1b2c3d.onnx"
printf 'nnef' >"$dist/pneumonia.nnef.0a1b2c3d.tar"
printf 'customElements.define("pneumo-scan", class extends HTMLElement {});\n' >"$dist/embed.js"
printf 'const VERSION = "x";\n' >"$dist/sw.js"
printf '{"name":"Pneumoscan"}\n' >"$dist/manifest.webmanifest"
for f in index.html app.0a1b2c3d.js embed.js manifest.webmanifest; do
    gzip -9 -k -n "$dist/$f"
done
# A stand-in for the .br files `cargo xtask dist` writes: nginx serves whatever bytes the
# .br holds, so the check is that it sends that file, with its headers.
printf 'brotli bytes of app.js' >"$dist/app.0a1b2c3d.js.br"
chmod 755 "$tmp"
chmod -R a+rX "$dist" "$tmp/prefix"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
conf="$tmp/nginx.conf"
sed -e "s#$root_line#root $dist;#" -e "s#$listen_line#listen 127.0.0.1:$port;#" nginx.conf >"$conf"
if ! grep -qF "root $dist;" "$conf" || ! grep -qF "listen 127.0.0.1:$port;" "$conf"; then
    fail "substituting the root and the port failed"
fi
! grep -qF /usr/share/nginx/html "$conf" || fail "the substituted copy still names /usr/share/nginx/html"

nginx -t -p "$tmp/prefix/" -c "$conf" -g 'daemon off;' >"$tmp/t.log" 2>&1 || {
    cat "$tmp/t.log" >&2
    fail "nginx -t rejects nginx.conf"
}
ok "nginx -t accepts nginx.conf"

nginx -p "$tmp/prefix/" -c "$conf" -g 'daemon off;' >"$tmp/access.log" 2>"$tmp/error.log" &
nginx_pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 50); do
    curl -fsS -o /dev/null "$base/index.html" 2>/dev/null && break
    kill -0 "$nginx_pid" 2>/dev/null || {
        cat "$tmp/error.log" >&2
        fail "nginx exited at start"
    }
    sleep 0.1
done
curl -fsS -o /dev/null "$base/index.html" || {
    cat "$tmp/error.log" >&2
    fail "nginx does not answer on $base"
}
ok "nginx serves on $base (no api host present)"

# fetch PATH [curl args...]: headers in $tmp/h (lower-case names), body in $tmp/b, status in $status
fetch() {
    local path=$1
    shift
    status=$(curl -sS --max-time 20 -D "$tmp/h.raw" -o "$tmp/b" -w '%{http_code}' "$@" "$base$path") ||
        fail "curl $path failed"
    tr -d '\r' <"$tmp/h.raw" | awk -F': ' 'NR > 1 && NF > 1 { printf "%s: %s\n", tolower($1), substr($0, length($1) + 3) }' >"$tmp/h"
}
header() { awk -F': ' -v n="$1" '$1 == n { print substr($0, length(n) + 3) }' "$tmp/h"; }
expect_status() { [ "$status" = "$1" ] || fail "$2: status $status, expected $1"; }
expect_header() {
    local got
    got=$(header "$1")
    [ "$got" = "$2" ] || fail "$3: header $1 is '$got', expected '$2'"
}
expect_no_header() {
    local got
    got=$(header "$1")
    [ -z "$got" ] || fail "$2: unexpected header $1: $got"
}
expect_security_headers() {
    expect_header content-security-policy "$csp" "$1"
    expect_header x-content-type-options nosniff "$1"
    expect_header referrer-policy no-referrer "$1"
    header permissions-policy | grep -q 'camera=()' || fail "$1: Permissions-Policy does not turn the camera off"
    header permissions-policy | grep -q 'microphone=()' || fail "$1: Permissions-Policy does not turn the microphone off"
    header permissions-policy | grep -q 'geolocation=()' || fail "$1: Permissions-Policy does not turn geolocation off"
}

fetch /
expect_status 200 "/"
cmp -s "$tmp/b" "$dist/index.html" || fail "/ does not serve index.html"
expect_header content-type "text/html" "/"
expect_header cache-control "no-cache" "/"
expect_security_headers "/"
expect_no_header access-control-allow-origin "/"
ok "/ is index.html: no-cache, CSP and security headers, no CORS"

fetch /index.html
expect_header cache-control "no-cache" "/index.html"
expect_security_headers "/index.html"
expect_no_header access-control-allow-origin "/index.html"
expect_header cross-origin-resource-policy "same-origin" "/index.html"
ok "/index.html: no-cache, CSP, no CORS, CORP same-origin"

etag=$(header etag)
[ -n "$etag" ] || fail "/index.html has no ETag"
fetch /index.html -H "If-None-Match: $etag"
expect_status 304 "revalidated /index.html"
expect_header cache-control "no-cache" "revalidated /index.html"
expect_security_headers "revalidated /index.html"
ok "revalidating /index.html gives 304, still no-cache"

fetch /pneumoscan_bg.0a1b2c3d.wasm
expect_status 200 "wasm"
expect_header content-type "application/wasm" "wasm"
expect_header cache-control "$immutable" "wasm"
expect_header access-control-allow-origin "*" "wasm"
expect_header cross-origin-resource-policy "cross-origin" "wasm"
ok ".wasm: application/wasm, immutable, CORS"

fetch /app.0a1b2c3d.js -H 'Accept-Encoding: gzip'
expect_status 200 "gzip js"
expect_header content-encoding gzip "gzip js"
expect_header content-type "text/javascript" "gzip js"
expect_header cache-control "$immutable" "gzip js"
expect_header access-control-allow-origin "*" "gzip js"
expect_header vary "Accept-Encoding" "gzip js"
cmp -s "$tmp/b" "$dist/app.0a1b2c3d.js.gz" || fail "gzip js: body is not the precompressed .gz file"
ok "hashed .js with Accept-Encoding: gzip gets the .gz file (Content-Encoding gzip, Vary), immutable, CORS"

fetch /app.0a1b2c3d.js -H 'Accept-Encoding: gzip, deflate, br, zstd'
expect_status 200 "brotli js"
expect_header content-encoding br "brotli js"
expect_header content-type "text/javascript" "brotli js"
expect_header cache-control "$immutable" "brotli js"
expect_header vary "Accept-Encoding" "brotli js"
cmp -s "$tmp/b" "$dist/app.0a1b2c3d.js.br" || fail "brotli js: body is not the precompressed .br file"
ok "hashed .js with Accept-Encoding: br (as Chromium sends it) gets the .br file (Content-Encoding br, Vary)"

fetch /embed.js -H 'Accept-Encoding: gzip, br'
expect_header content-encoding gzip "embed.js without a .br"
ok "a file without a .br falls back to its .gz for a client that accepts both"

fetch /app.0a1b2c3d.js
expect_no_header content-encoding "plain js"
cmp -s "$tmp/b" "$dist/app.0a1b2c3d.js" || fail "plain js: body is not the original file"
ok "hashed .js without Accept-Encoding is sent uncompressed"

for f in style.0a1b2c3d.css:text/css model.0a1b2c3d.json:application/json pneumonia.0a1b2c3d.onnx:application/octet-stream pneumonia.nnef.0a1b2c3d.tar:application/octet-stream; do
    fetch "/${f%%:*}"
    expect_status 200 "${f%%:*}"
    expect_header content-type "${f#*:}" "${f%%:*}"
    expect_header cache-control "$immutable" "${f%%:*}"
    expect_header access-control-allow-origin "*" "${f%%:*}"
done
ok "hashed .css/.json/.onnx/.tar: MIME, immutable, CORS"

fetch /embed.js -H 'Accept-Encoding: gzip'
expect_status 200 "embed.js"
expect_header content-type "text/javascript" "embed.js"
expect_header content-encoding gzip "embed.js"
expect_header cache-control "no-cache" "embed.js"
expect_header access-control-allow-origin "*" "embed.js"
expect_header cross-origin-resource-policy "cross-origin" "embed.js"
expect_security_headers "embed.js"
ok "embed.js: no-cache, CORS, CORP cross-origin"

fetch /manifest.webmanifest
expect_header content-type "application/manifest+json" "manifest"
expect_header cache-control "no-cache" "manifest"
expect_no_header access-control-allow-origin "manifest"
fetch /sw.js
expect_header content-type "text/javascript" "sw.js"
expect_header cache-control "no-cache" "sw.js"
expect_no_header access-control-allow-origin "sw.js"
ok "manifest.webmanifest (application/manifest+json) and sw.js: no-cache, no CORS"

fetch /missing.0a1b2c3d.js
expect_status 404 "missing file"
expect_security_headers "missing file"
expect_header cache-control "no-store" "missing file"
fetch /some/app/route
expect_status 404 "unknown route (no SPA fallback)"
ok "missing files are 404 (with the security headers), no SPA fallback"

printf 'not an image' >"$tmp/upload.txt"
fetch /predict -F "file=@$tmp/upload.txt"
case "$status" in
    502 | 503 | 504) ;;
    *) fail "/predict without an api: status $status, expected 502, 503 or 504" ;;
esac
expect_security_headers "/predict"
expect_header cache-control "no-store" "/predict"
expect_no_header access-control-allow-origin "/predict"
kill -0 "$nginx_pid" 2>/dev/null || fail "nginx died on /predict without an api"
curl -fsS -o /dev/null "$base/index.html" || fail "nginx stopped serving after /predict"
ok "/predict without an api host answers $status; nginx keeps serving"

head -c $((21 * 1024 * 1024)) /dev/zero >"$tmp/big.bin"
fetch /predict -F "file=@$tmp/big.bin"
expect_status 413 "/predict over 20 MiB"
ok "/predict over client_max_body_size 20m is 413"

echo "tests/nginx.sh: all nginx checks passed"
