// First visit, two bundles side by side (issue 15): bytes over the wire by file and the
// cold load to ready, each bundle behind real nginx with the repo's nginx.conf, a fresh
// browser context per load (empty HTTP cache, no service worker), the two alternating
// which goes first.
//
//   node bench/first-visit.mjs [--before DIR] --after DIR [--loads N] [--out NAME.md]
//
// Without --before, only the one bundle is measured (its column "before" is left out).
//
// Bytes are nginx's $body_bytes_sent for every request of the visit, the service
// worker's precache included (counted once it is active). Prints a Markdown section (and
// writes it to bench/results/NAME.md with the raw numbers beside it as JSON).
import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { loadavg } from "node:os";
import { RESULTS, accessLog, launch, readyAt, startNginx, summary, writeJson } from "./lib.mjs";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const BUNDLES = Object.fromEntries(
  [["before", option("--before")], ["after", option("--after")]].filter(([, dir]) => dir),
);
const LOADS = Number(option("--loads", 7));
const OUT = option("--out", "first-visit.md");
if (!BUNDLES.after) {
  console.error("usage: node bench/first-visit.mjs [--before DIR] --after DIR [--loads N] [--out NAME.md]");
  process.exit(2);
}


/** The bundle file a request path names, without its content hash. */
function fileOf(path) {
  return path.replace(/^\//, "").replace(/\?.*$/, "").replace(/\.[0-9a-f]{8}(\.[a-z]+)$/, "$1") || "index.html";
}

const servers = {};
for (const [name, dir] of Object.entries(BUNDLES)) servers[name] = await startNginx(dir);
const browser = await launch();
const trials = Object.fromEntries(Object.keys(BUNDLES).map((k) => [k, []]));
const load = { start: loadavg() };
for (let i = 0; i < LOADS; i++) {
  for (const which of (i % 2 ? ["after", "before"] : ["before", "after"]).filter((k) => BUNDLES[k])) {
    const server = servers[which];
    const seen = accessLog(server.logFile).length;
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.origin}/`);
    const ready = await readyAt(page);
    await page.evaluate(async () => (await navigator.serviceWorker.ready).active.state);
    await new Promise((ok) => setTimeout(ok, 500));
    const files = {};
    for (const r of accessLog(server.logFile).slice(seen)) files[fileOf(r.path)] = (files[fileOf(r.path)] ?? 0) + r.bytes;
    const total = Object.values(files).reduce((a, b) => a + b, 0);
    trials[which].push({ ready_ms: ready, files, total });
    console.error(`${which}: ready ${ready.toFixed(0)} ms, ${total} B`);
    await context.close();
  }
}
load.end = loadavg();
await browser.close();
for (const server of Object.values(servers)) server.close();

const ready = Object.fromEntries(Object.entries(trials).map(([k, t]) => [k, summary(t.map((x) => x.ready_ms))]));
const names = [...new Set(Object.values(trials).flatMap((t) => Object.keys(t[0].files)))].sort();
const fmt = (n) => (n == null ? "–" : Math.round(n).toLocaleString("en-US"));
const columns = Object.keys(BUNDLES);
const row = (cells) => `| ${cells.join(" | ")} |`;
const lines = [
  `Measured ${new Date().toISOString()} with \`node bench/first-visit.mjs ${columns.map((k) => `--${k} ${BUNDLES[k]}`).join(" ")} --loads ${LOADS}\`; load average (1, 5, 15 min) at the start ${load.start.map((v) => v.toFixed(2)).join(" ")}, at the end ${load.end.map((v) => v.toFixed(2)).join(" ")}. Chromium's own Accept-Encoding (gzip, deflate, br, zstd).`,
  "",
  row(["file (first visit, bytes over the wire)", ...columns]),
  row(["---", ...columns.map(() => "---")]),
  ...names.map((n) => row([`\`${n}\``, ...columns.map((k) => fmt(trials[k][0].files[n]))])),
  row(["**total**", ...columns.map((k) => `**${fmt(trials[k][0].total)}**`)]),
  "",
  row([`cold load to ready (${LOADS} loads each${columns.length > 1 ? ", interleaved" : ""})`, ...columns]),
  row(["---", ...columns.map(() => "---")]),
  ...["median", "p95", "min"].map((q) => row([`${q} ms`, ...columns.map((k) => ready[k][q].toFixed(1))])),
  "",
];
const markdown = lines.join("\n");
mkdirSync(RESULTS, { recursive: true });
writeFileSync(join(RESULTS, OUT), markdown);
writeJson(OUT.replace(/\.md$/, ".json"), { bundles: BUNDLES, load, trials });
console.log(markdown);
