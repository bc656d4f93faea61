// Browser side of bench/run.sh, in Debian's Chromium (headless) via playwright-core.
//   a  model-only latency: our wasm vs onnxruntime-web, same worker, interleaved
//   b  file-to-result on the full-resolution originals: our app's worker vs
//      onnxruntime-web with canvas preprocessing, interleaved
//   c  cold load to ready and offline reload, our app under real nginx (and the
//      onnxruntime-web reference app's cold load, interleaved)
//   d  bytes over the wire on first load (nginx's $body_bytes_sent, gzip_static)
//   e  memory over 500 files in one page session
// Usage: node browser.mjs [--parts abcde] [--runs 200] [--rounds 3] [--loads 7] [--files 500]
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync, constants } from "node:zlib";
import {
  BENCH, DIST, ORT_DIST, ROOT, accessLog, launch, startNginx, startStatic, summary, writeJson,
} from "./lib.mjs";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const parts = args.parts ?? "abcde";
const RUNS = Number(args.runs ?? 200);
const ROUNDS = Number(args.rounds ?? 3);
const LOADS = Number(args.loads ?? 7);
const FILES = Number(args.files ?? 500);
const log = (...m) => console.error("[browser]", ...m);

async function modelAndFiles() {
  const server = await startStatic();
  const browser = await launch();
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await page.goto(`${server.origin}/bench/bench.html`);
  await page.waitForFunction(() => window.benchReady === true, null, { timeout: 60_000 });
  const out = { chromium: browser.version() };
  if (parts.includes("a")) {
    log(`a: model only, ${RUNS} runs each, interleaved`);
    const r = await page.evaluate((runs) => window.bench.modelOnly(runs), RUNS);
    out.modelOnly = {
      tract: summary(r.tract),
      tract_simd128: summary(r.tract_simd128),
      ort: summary(r.onnx),
      logits: r.logits,
      info: r.info,
      raw: r,
    };
  }
  if (parts.includes("b")) {
    log(`b: file to result, ${ROUNDS} rounds over the originals, interleaved`);
    const rows = await page.evaluate((rounds) => window.bench.files(rounds), ROUNDS);
    const stage = (k) => summary(rows.map((r) => r.ours_stages[k]));
    const dp = rows.map((r) => Math.abs(r.ours_p - r.ort_p));
    out.files = {
      ours: summary(rows.map((r) => r.ours_ms)),
      ort: summary(rows.map((r) => r.ort_ms)),
      ourStages: { decode_ms: stage("decode_ms"), preprocess_ms: stage("preprocess_ms"), inference_ms: stage("inference_ms"), total_ms: stage("total_ms") },
      probabilityDifference: summary(dp),
      files: new Set(rows.map((r) => r.file)).size,
      rows,
    };
  }
  out.errors = errors;
  await browser.close();
  await server.close();
  return out;
}

/** The onnxruntime-web reference app as a web developer would deploy it, gzipped like dist/. */
function ortApp() {
  const dir = mkdtempSync(join(tmpdir(), "pneumoscan-bench-ortapp-"));
  const src = join(BENCH, "web", "ort-app");
  for (const f of readdirSync(src)) copyFileSync(join(src, f), join(dir, f));
  for (const f of ["ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm"]) {
    copyFileSync(join(ORT_DIST, f), join(dir, f));
  }
  copyFileSync(join(ROOT, "model", "pneumonia.onnx"), join(dir, "pneumonia.onnx"));
  for (const f of readdirSync(dir)) {
    const raw = readFileSync(join(dir, f));
    const gz = gzipSync(raw, { level: constants.Z_BEST_COMPRESSION });
    if (gz.length < raw.length) writeFileSync(join(dir, `${f}.gz`), gz);
  }
  return dir;
}

// Time from the document's navigation start to data-model-state=ready (in the document
// or an open shadow root), read in the page so that driver overhead is left out.
async function readyAt(page) {
  const handle = await page.waitForFunction(
    () => {
      const find = (node) => {
        const el = node.querySelector("[data-model-state]");
        if (el) return el;
        for (const host of node.querySelectorAll("*")) if (host.shadowRoot) { const e = find(host.shadowRoot); if (e) return e; }
        return null;
      };
      const state = find(document)?.getAttribute("data-model-state");
      if (state === "error") throw new Error(`data-model-state=error ${find(document).dataset.error ?? ""}`);
      return state === "ready" ? performance.now() : false;
    },
    null,
    { polling: 5, timeout: 60_000 },
  );
  return handle.jsonValue();
}

function kind(path) {
  if (/\.wasm$/.test(path)) return "wasm";
  if (/\.onnx$/.test(path)) return "model";
  if (/pneumoscan\.[0-9a-f]{8}\.js$|ort[.-].*\.mjs$/.test(path)) return "runtime js";
  return "app (html, js, css, card, icons)";
}

async function loads() {
  const ours = await startNginx(DIST);
  const ortDir = ortApp();
  const theirs = await startNginx(ortDir);
  const browser = await launch();
  const trials = { ours: [], ort: [] };
  for (let i = 0; i < LOADS; i++) {
    const order = i % 2 ? ["ours", "ort"] : ["ort", "ours"];
    for (const which of order) {
      const server = which === "ours" ? ours : theirs;
      const before = accessLog(server.logFile).length;
      const context = await browser.newContext();
      const page = await context.newPage();
      const encodings = [];
      page.on("response", async (r) => encodings.push({ url: r.url(), encoding: (await r.allHeaders())["content-encoding"] ?? null }));
      const t0 = Date.now();
      await page.goto(`${server.origin}/`);
      const ready = await readyAt(page);
      const wall = Date.now() - t0;
      const trial = { cold_ready_ms: ready, cold_wall_ms: wall };
      if (which === "ours") {
        // Precache done once the service worker is active; then the offline reload.
        await page.evaluate(async () => (await navigator.serviceWorker.ready).active.state);
        await new Promise((ok) => setTimeout(ok, 300));
        trial.requests = accessLog(ours.logFile).slice(before);
        await context.setOffline(true);
        const t1 = Date.now();
        await page.reload();
        trial.offline_ready_ms = await readyAt(page);
        trial.offline_wall_ms = Date.now() - t1;
      } else {
        await new Promise((ok) => setTimeout(ok, 300));
        trial.requests = accessLog(theirs.logFile).slice(before);
      }
      trial.wire = {};
      for (const r of trial.requests) trial.wire[kind(r.path)] = (trial.wire[kind(r.path)] ?? 0) + r.bytes;
      trial.wire.total = trial.requests.reduce((a, r) => a + r.bytes, 0);
      trial.encodings = encodings.filter((e) => /\.(wasm|onnx|m?js)$/.test(e.url));
      trials[which].push(trial);
      log(`c/d: ${which} cold ${ready.toFixed(0)} ms${trial.offline_ready_ms ? `, offline reload ${trial.offline_ready_ms.toFixed(0)} ms` : ""}, ${trial.wire.total} B`);
      await context.close();
    }
  }
  await browser.close();
  ours.close();
  theirs.close();
  const pick = (list, k) => summary(list.map((t) => t[k]).filter((v) => v != null));
  return {
    ours: { cold_ready_ms: pick(trials.ours, "cold_ready_ms"), offline_ready_ms: pick(trials.ours, "offline_ready_ms"), wire: trials.ours[0].wire, requests: trials.ours[0].requests },
    ort: { cold_ready_ms: pick(trials.ort, "cold_ready_ms"), wire: trials.ort[0].wire, requests: trials.ort[0].requests },
    trials,
  };
}

async function rendererMemory(cdp) {
  const { processInfo } = await cdp.send("SystemInfo.getProcessInfo");
  const out = [];
  for (const p of processInfo.filter((p) => p.type === "renderer")) {
    try {
      const status = readFileSync(`/proc/${p.id}/status`, "utf8");
      const rollup = existsSync(`/proc/${p.id}/smaps_rollup`) ? readFileSync(`/proc/${p.id}/smaps_rollup`, "utf8") : "";
      const kb = (text, key) => Number(text.match(new RegExp(`^${key}:\\s+(\\d+) kB`, "m"))?.[1] ?? NaN);
      out.push({ pid: p.id, cpuTime: p.cpuTime, rss: kb(status, "VmRSS") * 1024, pss: kb(rollup, "Pss") * 1024 });
    } catch {
      // gone
    }
  }
  return out;
}

async function memory() {
  const server = await startStatic({ isolated: true });
  const browser = await launch(["--enable-blink-features=ForceEagerMeasureMemory"]);
  const browserCdp = await browser.newBrowserCDPSession();
  const page = await browser.newPage();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Performance.enable");
  await page.exposeFunction("benchMark", async (i) => {
    await cdp.send("HeapProfiler.collectGarbage");
    const { metrics } = await cdp.send("Performance.getMetrics");
    const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
    const renderers = await rendererMemory(browserCdp);
    log(`e: ${i} files, page JS heap ${(m.JSHeapUsedSize / 1e6).toFixed(1)} MB, renderers ${renderers.map((r) => (r.rss / 1e6).toFixed(0)).join("/")} MB RSS`);
    return { jsHeapUsed: m.JSHeapUsedSize, jsHeapTotal: m.JSHeapTotalSize, renderers };
  });
  await page.goto(`${server.origin}/bench/bench.html`);
  await page.waitForFunction(() => window.benchReady === true, null, { timeout: 60_000 });
  const marks = [1, 10, 50, 100, 200, 300, 400, 500].filter((m) => m <= FILES);
  const result = await page.evaluate(([n, m]) => window.bench.memory(n, m), [FILES, marks]);
  await browser.close();
  await server.close();
  return result;
}

const out = {};
if (/[ab]/.test(parts)) Object.assign(out, await modelAndFiles());
if (/[cd]/.test(parts)) out.loads = await loads();
if (parts.includes("e")) out.memory = await memory();
writeJson("browser.json", out);
log("wrote results/browser.json");
