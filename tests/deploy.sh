#!/usr/bin/env bash
# Validates the Kubernetes manifests of deploy/kubernetes/ offline:
#   - kubernetes-validate --strict on every manifest, against each Kubernetes version in
#     $KUBERNETES_VERSIONS (schemas bundled with the tool; unknown fields are errors),
#     after a broken manifest is shown to be refused (so strict mode really is on);
#   - checkov (framework kubernetes): every failed check fails the run; the skipped ones
#     are listed with the reason written in the manifest (checkov.io/skipN annotations);
#   - kustomization.yaml lists every manifest of the folder, and the image tags are the
#     Cargo.toml version.
# The two tools are installed from PyPI, at pinned versions, into a virtual environment
# under ~/.cache (once, about a minute; later runs work offline, in about 10 s).
# Usage: bash tests/deploy.sh   (exits non-zero on any failure)
#   KUBERNETES_VERSIONS     versions to validate against (default below)
#   PNEUMOSCAN_DEPLOY_VENV  where the virtual environment goes (default below)
set -euo pipefail
cd "$(dirname "$0")/.."

checkov_version=3.3.30
kubernetes_validate_version=1.37.0
# The oldest Kubernetes these manifests are meant for, and the newest the tool bundles.
KUBERNETES_VERSIONS=${KUBERNETES_VERSIONS:-"1.30.0 1.37.0"}
dir=deploy/kubernetes

fail() {
    printf '\ntests/deploy.sh: FAIL: %s\n' "$*" >&2
    exit 1
}
ok() { printf '  ok  %s\n' "$*"; }
step() { printf '==> %s\n' "$*"; }
started=$(date +%s)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

venv=${PNEUMOSCAN_DEPLOY_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/pneumoscan/deploy-venv-checkov$checkov_version-kv$kubernetes_validate_version}
installed() {
    [ -x "$venv/bin/checkov" ] && [ -x "$venv/bin/kubernetes-validate" ] &&
        "$venv/bin/python" - "$checkov_version" "$kubernetes_validate_version" <<'PY'
import sys
from importlib.metadata import version
sys.exit(0 if (version("checkov"), version("kubernetes-validate")) == tuple(sys.argv[1:]) else 1)
PY
}
if ! installed 2>/dev/null; then
    step "install checkov $checkov_version and kubernetes-validate $kubernetes_validate_version into $venv"
    if [ -n "$(ls -A "$venv" 2>/dev/null)" ] && [ ! -f "$venv/pyvenv.cfg" ]; then
        fail "$venv exists and is not a virtual environment; remove it or set PNEUMOSCAN_DEPLOY_VENV"
    fi
    python3 -m venv --clear "$venv" || fail "python3 -m venv failed (Debian: apt-get install python3-venv)"
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
        "checkov==$checkov_version" "kubernetes-validate==$kubernetes_validate_version" ||
        fail "pip could not install checkov and kubernetes-validate"
    installed || fail "the tools in $venv are not the pinned versions"
fi

mapfile -t manifests < <(find "$dir" -maxdepth 1 -name '*.yaml' ! -name kustomization.yaml | sort)
[ "${#manifests[@]}" -gt 0 ] || fail "no manifests in $dir"

step "kustomization.yaml and the image tags"
"$venv/bin/python" - "$dir" Cargo.toml "${manifests[@]}" <<'PY' || fail "kustomization.yaml or the image tags are wrong (above)"
import os, re, sys
import yaml

folder, cargo_toml, *manifests = sys.argv[1:]
with open(os.path.join(folder, "kustomization.yaml")) as f:
    listed = set(yaml.safe_load(f).get("resources") or [])
present = {os.path.basename(m) for m in manifests}
problems = ["kustomization.yaml does not list %s" % m for m in sorted(present - listed)]
problems += ["kustomization.yaml lists %s, which is not in %s" % (m, folder) for m in sorted(listed - present)]

with open(cargo_toml) as f:
    version = re.search(r'^version = "([^"]+)"', f.read(), re.M).group(1)
images = []
for manifest in manifests:
    with open(manifest) as f:
        for doc in yaml.safe_load_all(f):
            spec = ((doc or {}).get("spec") or {}).get("template", {}).get("spec", {})
            for c in spec.get("containers", []) + spec.get("initContainers", []):
                images.append(c["image"])
                name, _, tag = c["image"].partition(":")
                if name in ("pneumoscan-api", "pneumoscan-web") and tag != version:
                    problems.append("%s: image %s is not tagged with the Cargo.toml version %s" % (manifest, c["image"], version))
for p in problems:
    print("  " + p, file=sys.stderr)
if problems:
    sys.exit(1)
print("  %d manifests, all in kustomization.yaml; images %s (Cargo.toml version %s)"
      % (len(manifests), ", ".join(sorted(images)), version))
PY
ok "kustomization.yaml and the image tags"

step "kubernetes-validate $kubernetes_validate_version --strict, Kubernetes $KUBERNETES_VERSIONS"
broken="$tmp/broken.yaml"
printf 'apiVersion: v1\nkind: Service\nmetadata:\n  name: broken\nspec:\n  selectr: {}\n  ports: [{port: 8080}]\n' >"$broken"
for k in $KUBERNETES_VERSIONS; do
    if "$venv/bin/kubernetes-validate" --strict --quiet -k "$k" "$broken" >/dev/null 2>&1; then
        fail "kubernetes-validate --strict -k $k accepts a Service with an unknown field: strict mode is not working"
    fi
    "$venv/bin/kubernetes-validate" --strict -k "$k" "${manifests[@]}" ||
        fail "kubernetes-validate --strict rejects a manifest for Kubernetes $k (above)"
done
ok "${#manifests[@]} manifests valid for Kubernetes $KUBERNETES_VERSIONS (and an unknown field is refused)"

step "checkov $checkov_version -d $dir --framework kubernetes"
# --skip-download: offline; no Prisma Cloud guidelines, which only add links to the report.
# Its exit status is not used: the JSON report says what failed.
"$venv/bin/checkov" -d "$dir" --framework kubernetes --compact --skip-download -o json \
    >"$tmp/checkov.json" 2>"$tmp/checkov.err" || true
"$venv/bin/python" - "$tmp/checkov.json" <<'PY' || { cat "$tmp/checkov.err" >&2; fail "checkov found failed checks (above): fix them, or skip one in the manifest with checkov.io/skipN: CKV_K8S_NN=reason"; }
import json, sys
try:
    report = json.load(open(sys.argv[1]))
except ValueError:
    sys.exit("  checkov wrote no JSON report")
report = report[0] if isinstance(report, list) else report
s = report["summary"]
print("  passed %d, failed %d, skipped %d, parsing errors %d, on %d resources"
      % (s["passed"], s["failed"], s["skipped"], s["parsing_errors"], s["resource_count"]))
for c in report["results"].get("skipped_checks", []):
    print("  skipped %s on %s: %s" % (c["check_id"], c["resource"], c["check_result"].get("suppress_comment", "")))
for c in report["results"].get("failed_checks", []):
    print("  FAILED %s %s on %s (%s)" % (c["check_id"], c["check_name"], c["resource"], c["file_path"]), file=sys.stderr)
sys.exit(1 if s["failed"] or s["parsing_errors"] or not s["passed"] else 0)
PY
ok "checkov: no failed check"

printf '\ntests/deploy.sh: all deployment checks passed in %d s\n' "$(($(date +%s) - started))"
