#!/usr/bin/env bash
# Tests the monitoring files against real Prometheus, promtool and the real server:
#   1. promtool check rules and promtool test rules (deploy/prometheus/rules.test.yml);
#   2. promtool check config on deploy/prometheus/prometheus.yml (Debian's build has no
#      Kubernetes discovery: that one part is swapped, see below);
#   3. starts `pneumoscan serve` ($PNEUMOSCAN_BIN) and a real Prometheus running that
#      prometheus.yml (scraping every second, rules.yml loaded) on pods described by
#      file-based discovery: checks that its relabelling scrapes the annotated api pod at
#      the right address and drops the other; posts 3 real X-rays and one file that is not
#      an image to /predict, then asks Prometheus's HTTP API for the classification and
#      request counters (must show exactly those 4 uploads) and for the p50/p99 of the
#      latency histogram (must be numbers); checks that every rule evaluates without error
#      and that none fires on this healthy traffic, and that every query of the Grafana
#      dashboard (deploy/grafana/pneumoscan.json) runs and names only metrics that exist.
# It kills what it started on exit.
# Usage: bash tests/prometheus.sh
#   PNEUMOSCAN_BIN   the server binary (default target/debug/pneumoscan)
#   PNEUMOSCAN_DATA  the data set (default ../shared/data; the X-rays are in originals/)
# Needs Debian's `prometheus` package (prometheus and promtool), curl and python3.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
    printf '\ntests/prometheus.sh: FAIL: %s\n' "$*" >&2
    exit 1
}
ok() { printf '  ok  %s\n' "$*"; }
step() { printf '==> %s\n' "$*"; }
started=$(date +%s)

for tool in promtool prometheus curl python3; do
    command -v "$tool" >/dev/null ||
        fail "$tool is not installed (Debian: apt-get install prometheus curl python3)"
done
bin=${PNEUMOSCAN_BIN:-target/debug/pneumoscan}
[ -x "$bin" ] || fail "no server binary at $bin (build it with cargo build --features native, or set PNEUMOSCAN_BIN)"
data=${PNEUMOSCAN_DATA:-../shared/data}
if [ ! -d "$data/originals" ]; then
    printf '\n*** tests/prometheus.sh: the data set is missing: %s/originals does not exist ***\n' "$data" >&2
    printf '*** it needs real X-rays; set PNEUMOSCAN_DATA to the folder that holds originals/ ***\n\n' >&2
    fail "no data at $data/originals"
fi
mapfile -t images < <(find "$data/originals" -type f \( -iname '*.jpeg' -o -iname '*.jpg' -o -iname '*.png' \) | sort)
[ "${#images[@]}" -ge 3 ] || fail "fewer than 3 images under $data/originals"
# First, middle and last in name order: both classes of the data set.
xrays=("${images[0]}" "${images[${#images[@]} / 2]}" "${images[${#images[@]} - 1]}")

tmp=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$tmp"
}
trap cleanup EXIT

step "promtool $(promtool --version 2>&1 | awk 'NR == 1 { print $3 }'): check and unit-test the alerting rules"
promtool check rules deploy/prometheus/rules.yml || fail "promtool check rules rejects deploy/prometheus/rules.yml"
promtool test rules deploy/prometheus/rules.test.yml || fail "promtool test rules: deploy/prometheus/rules.test.yml fails"
ok "rules.yml: $(grep -c -- '- alert:' deploy/prometheus/rules.yml) alerts, rules.test.yml: $(grep -c -- '- name:' deploy/prometheus/rules.test.yml) test groups pass"

# Debian's Prometheus is built without Kubernetes service discovery: its promtool and
# prometheus reject `kubernetes_sd_configs`. So the copies below swap each one for another
# discovery (by indentation: a job's keys are indented by 4 spaces in prometheus.yml) and
# keep everything else: globals, rule_files, the relabelling rules and their RE2 regexes.
# swap_discovery 'REPLACEMENT LINE' <prometheus.yml >copy
swap_discovery() {
    awk -v sd="$1" '
        /^    kubernetes_sd_configs:/ { print sd; skip = 1; swapped++; next }
        skip && !/^ *(#.*)?$/ { match($0, /^ */); if (RLENGTH <= 4) skip = 0 }
        !skip { print }
        END { if (!swapped) { print "no kubernetes_sd_configs found" > "/dev/stderr"; exit 1 } }
    '
}
step "promtool check config deploy/prometheus/prometheus.yml (Kubernetes discovery swapped for a static target)"
mkdir -p "$tmp/config"
cp deploy/prometheus/rules.yml "$tmp/config/"
swap_discovery '    static_configs: [{targets: ["127.0.0.1:8080"]}]' \
    <deploy/prometheus/prometheus.yml >"$tmp/config/prometheus.yml" ||
    fail "deploy/prometheus/prometheus.yml has no kubernetes_sd_configs to swap"
promtool check config "$tmp/config/prometheus.yml" || fail "promtool check config rejects deploy/prometheus/prometheus.yml"
ok "prometheus.yml"

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
api_port=$(free_port)
prom_port=$(free_port)
api="http://127.0.0.1:$api_port"
prom="http://127.0.0.1:$prom_port"

step "start $bin serve on 127.0.0.1:$api_port"
"$bin" serve --host 127.0.0.1 --port "$api_port" >"$tmp/api.log" 2>&1 &
api_pid=$!
pids+=("$api_pid")
for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "$api/readyz" 2>/dev/null && break
    kill -0 "$api_pid" 2>/dev/null || { cat "$tmp/api.log" >&2; fail "the server exited"; }
    sleep 0.2
done
curl -fsS -o /dev/null "$api/readyz" || { cat "$tmp/api.log" >&2; fail "the server is not ready after 20 s"; }
ok "/readyz answers"

# Prometheus runs deploy/prometheus/prometheus.yml itself, scraping every second, with
# file-based discovery in place of Kubernetes's: two "pods" carrying the __meta_kubernetes_*
# labels Kubernetes discovery would give them, an api pod with the prometheus.io
# annotations of deploy/kubernetes/api.yaml (at a bogus address that relabelling must
# replace with pod IP:annotated port) and a web pod without them (which must be dropped).
step "start Prometheus $(prometheus --version 2>&1 | awk 'NR == 1 { print $3 }') on 127.0.0.1:$prom_port with deploy/prometheus/prometheus.yml, scraping every second"
cat >"$tmp/config/pods.json" <<EOF
[
  {"targets": ["192.0.2.1:8080"], "labels": {
    "__meta_kubernetes_namespace": "pneumoscan",
    "__meta_kubernetes_pod_name": "api-test",
    "__meta_kubernetes_pod_ip": "127.0.0.1",
    "__meta_kubernetes_pod_label_app_kubernetes_io_component": "api",
    "__meta_kubernetes_pod_annotation_prometheus_io_scrape": "true",
    "__meta_kubernetes_pod_annotation_prometheus_io_port": "$api_port",
    "__meta_kubernetes_pod_annotation_prometheus_io_path": "/metrics"}},
  {"targets": ["192.0.2.2:8080"], "labels": {
    "__meta_kubernetes_namespace": "pneumoscan",
    "__meta_kubernetes_pod_name": "web-test",
    "__meta_kubernetes_pod_ip": "127.0.0.1",
    "__meta_kubernetes_pod_label_app_kubernetes_io_component": "web"}}
]
EOF
swap_discovery '    file_sd_configs: [{files: [pods.json], refresh_interval: 1s}]' <deploy/prometheus/prometheus.yml |
    sed -E 's/^  (scrape|evaluation)_interval: .*/  \1_interval: 1s/' >"$tmp/config/live.yml"
grep -q '^  scrape_interval: 1s' "$tmp/config/live.yml" || fail "could not set scrape_interval in the copy of prometheus.yml"
prometheus --config.file="$tmp/config/live.yml" --storage.tsdb.path="$tmp/tsdb" \
    --web.listen-address="127.0.0.1:$prom_port" --log.level=warn >"$tmp/prometheus.log" 2>&1 &
prom_pid=$!
pids+=("$prom_pid")

# query EXPR: the JSON answer of /api/v1/query (an instant query, now).
query() {
    curl -fsS --get --data-urlencode "query=$1" "$prom/api/v1/query" ||
        fail "Prometheus's /api/v1/query did not answer for: $1"
}
# samples: 'LABELS VALUE' per series of a query answer on stdin, sorted.
samples() {
    python3 -c '
import json, sys
answer = json.load(sys.stdin)
if answer.get("status") != "success":
    sys.exit("query failed: %s" % answer)
for series in answer["data"]["result"]:
    labels = ",".join("%s=%s" % kv for kv in sorted(series["metric"].items()) if kv[0] != "__name__")
    print("{%s} %s" % (labels, series["value"][1]))
' | LC_ALL=C sort
}
# wait_for SECONDS EXPR: polls until the query has a result; prints its samples.
wait_for() {
    local deadline=$(($(date +%s) + $1)) out
    while :; do
        out=$(query "$2" | samples)
        [ -n "$out" ] && { printf '%s\n' "$out"; return 0; }
        kill -0 "$prom_pid" 2>/dev/null || { cat "$tmp/prometheus.log" >&2; fail "Prometheus exited"; }
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.5
    done
}
for _ in $(seq 1 60); do
    curl -fsS -o /dev/null "$prom/-/ready" 2>/dev/null && break
    kill -0 "$prom_pid" 2>/dev/null || { cat "$tmp/prometheus.log" >&2; fail "Prometheus exited"; }
    sleep 0.5
done
# The first scrape, before any upload: the counters start at 0 (the server creates every
# outcome at 0), so what follows is seen as an increase.
wait_for 30 'up{job="pneumoscan-api"} == 1 and on (instance) count by (instance) (pneumoscan_classifications_total{outcome="ok"} == 0)' >/dev/null ||
    { cat "$tmp/prometheus.log" >&2; fail "Prometheus has not scraped the server (up == 1, counters at 0) after 30 s"; }
ok "Prometheus is up and has scraped the idle server"
curl -fsS "$prom/api/v1/targets" >"$tmp/targets.json" || fail "Prometheus's /api/v1/targets did not answer"
python3 - "$tmp/targets.json" "http://127.0.0.1:$api_port/metrics" <<'PY' || fail "the relabelling of deploy/prometheus/prometheus.yml does not give the expected targets (above)"
import json, sys
data = json.load(open(sys.argv[1]))["data"]
active, dropped = data["activeTargets"], data["droppedTargets"]
for t in active:
    print("      active:  %s %s health=%s" % (t["scrapeUrl"], json.dumps(t["labels"], sort_keys=True), t["health"]))
for t in dropped:
    print("      dropped: pod %s" % t["discoveredLabels"].get("__meta_kubernetes_pod_name"))
want = {"job": "pneumoscan-api", "namespace": "pneumoscan", "pod": "api-test", "component": "api",
        "instance": sys.argv[2].split("/")[2]}
good = (len(active) == 1 and active[0]["scrapeUrl"] == sys.argv[2] and active[0]["labels"] == want
        and [t["discoveredLabels"].get("__meta_kubernetes_pod_name") for t in dropped] == ["web-test"])
sys.exit(0 if good else 1)
PY
ok "relabelling: the annotated api pod is scraped at pod IP:annotated port/annotated path, the web pod is dropped"

step "POST /predict: ${#xrays[@]} X-rays and one file that is not an image"
for f in "${xrays[@]}"; do
    code=$(curl -sS -o "$tmp/answer.json" -w '%{http_code}' -F "file=@$f" "$api/predict") ||
        fail "curl could not post $f"
    [ "$code" = 200 ] || { cat "$tmp/answer.json" >&2; fail "$f: HTTP $code, expected 200"; }
    ok "$(python3 -c 'import json, sys; a = json.load(open(sys.argv[1])); print("%s: 200 %s (probability %.3f)" % (sys.argv[2], a["prediction"], a["probability"]))' "$tmp/answer.json" "${f#"$data"/}")"
done
printf 'this is a text file, not an X-ray\n' >"$tmp/not-an-image.txt"
code=$(curl -sS -o "$tmp/answer.json" -w '%{http_code}' -F "file=@$tmp/not-an-image.txt" "$api/predict")
[ "$code" = 415 ] || { cat "$tmp/answer.json" >&2; fail "not-an-image.txt: HTTP $code, expected 415"; }
ok "not-an-image.txt: 415 $(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["error"])' "$tmp/answer.json")"
uploaded=$(date +%s)

step "what Prometheus saw (GET $prom/api/v1/query)"
expect_outcomes=$'{outcome=error} 1\n{outcome=ok} 3\n{outcome=panic} 0\n{outcome=refused} 0'
counter='sum by (outcome) (pneumoscan_classifications_total{job="pneumoscan-api"})'
deadline=$(($(date +%s) + 30))
until [ "$(query "$counter" | samples)" = "$expect_outcomes" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || {
        printf 'expected:\n%s\ngot:\n%s\n' "$expect_outcomes" "$(query "$counter" | samples)" >&2
        fail "$counter does not show the 3 ok classifications and the error after 30 s"
    }
    sleep 0.5
done
printf '  %s\n' "$counter:"
query "$counter" | samples | sed 's/^/      /'
ok "the classification counter shows ok=3, error=1, refused=0, panic=0"

requests='sum by (status) (pneumoscan_http_requests_total{job="pneumoscan-api", route="/predict"})'
got=$(query "$requests" | samples)
printf '  %s\n%s\n' "$requests:" "$(printf '%s\n' "$got" | sed 's/^/      /')"
[ "$got" = $'{status=200} 3\n{status=415} 1' ] || fail "the request counter does not show 3 x 200 and 1 x 415 on /predict"
ok "the request counter shows /predict 200 x 3 and 415 x 1"

latency='sum by (le) (rate(pneumoscan_predict_duration_seconds_bucket{job="pneumoscan-api"}[1m]))'
for q in 0.5 0.99; do
    expr="histogram_quantile($q, $latency)"
    value=$(wait_for 10 "$expr") || fail "$expr has no result"
    value=${value#\{\} }
    python3 -c 'import math, sys; v = float(sys.argv[1]); sys.exit(0 if math.isfinite(v) and v > 0 else 1)' "$value" ||
        fail "$expr is $value, not a positive number"
    printf '  %s = %s s\n' "$expr" "$value"
done
ok "histogram_quantile of the latency histogram is a number"

step "the alerting rules, live (GET $prom/api/v1/rules)"
deadline=$(($(date +%s) + 15))
while :; do
    curl -fsS "$prom/api/v1/rules" >"$tmp/rules.json" || fail "Prometheus's /api/v1/rules did not answer"
    # Every rule evaluated at least once after the uploads (evaluation_interval 1s).
    python3 - "$tmp/rules.json" "$uploaded" <<'PY' && break
import datetime, json, re, sys
def epoch(stamp):  # Go's RFC 3339 with nanoseconds: 2026-12-02T01:02:03.123456789Z
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)", stamp)
    if not m:
        return 0
    zone = "+00:00" if m[2] == "Z" else m[2]
    return datetime.datetime.fromisoformat(m[1] + zone).timestamp()
rules = [r for g in json.load(open(sys.argv[1]))["data"]["groups"] for r in g["rules"]]
sys.exit(0 if rules and all(epoch(r.get("lastEvaluation", "")) > float(sys.argv[2]) for r in rules) else 1)
PY
    [ "$(date +%s)" -lt "$deadline" ] || fail "the rules were not evaluated within 15 s"
    sleep 0.5
done
python3 - "$tmp/rules.json" <<'PY' || fail "a rule does not evaluate, or fires on healthy traffic (above)"
import json, sys
rules = [r for g in json.load(open(sys.argv[1]))["data"]["groups"] for r in g["rules"]]
bad = 0
for r in rules:
    print("      %-28s health=%-3s state=%s%s" % (r["name"], r["health"], r.get("state", "-"),
          "  " + r["lastError"] if r.get("lastError") else ""))
    if r["health"] != "ok" or r.get("state") != "inactive":
        bad += 1
print("  %d rules loaded, %d with an error or not inactive" % (len(rules), bad))
sys.exit(1 if bad or len(rules) != 7 else 0)
PY
ok "all 7 rules evaluate on the real series, and none fires"

step "the Grafana dashboard's queries (deploy/grafana/pneumoscan.json)"
python3 - deploy/grafana/pneumoscan.json deploy/prometheus/rules.yml "$prom" <<'PY' || fail "a dashboard query fails, or a metric the dashboard or the rules use does not exist"
import json, re, sys, urllib.parse, urllib.request

dashboard_file, rules_file, prom = sys.argv[1:]
def instant(expr):
    url = prom + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(url) as answer:
        return json.load(answer)

dashboard = json.load(open(dashboard_file))
exprs = [(p["title"], t["expr"]) for p in dashboard["panels"] for t in p.get("targets", [])]
failed = 0
for title, expr in exprs:
    # What Grafana substitutes: the job variable, and a rate window (>= 4 scrapes).
    concrete = expr.replace("$job", "pneumoscan-api").replace("$__rate_interval", "1m")
    try:
        answer = instant(concrete)
        result = answer["data"]["result"]
        shown = ", ".join(
            ("{%s}=" % ",".join("%s=%s" % kv for kv in sorted(s["metric"].items())) if s["metric"] else "")
            + s["value"][1] for s in result[:4]) or "(no series: nothing of that kind happened)"
        print("      %-30s %s" % (title, shown))
    except Exception as e:  # an HTTP 400 is a query Prometheus cannot parse
        print("      %-30s FAILED: %s" % (title, e))
        failed += 1

# Every metric name the dashboard and the rules use must exist on the live server.
names = set()
for text in [e for _, e in exprs] + [open(rules_file).read()]:
    names |= set(re.findall(r"\bpneumoscan_[a-z_]+", text))
present = {s["metric"]["__name__"] for s in instant('count by (__name__) ({__name__=~"pneumoscan_.+"})')["data"]["result"]}
missing = sorted(names - present)
print("  %d queries, %d failed; metrics used: %s; missing on the server: %s"
      % (len(exprs), failed, ", ".join(sorted(names)), ", ".join(missing) or "none"))
sys.exit(1 if failed or missing else 0)
PY
ok "every dashboard query runs, and every metric it and the rules name exists"

printf '\ntests/prometheus.sh: all monitoring checks passed in %d s\n' "$(($(date +%s) - started))"
