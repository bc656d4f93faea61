// Browser side of bench/run.sh, in Debian's Chromium (headless) via playwright-core.
//   a  model-only latency: our wasm vs onnxruntime-web, same worker, interleaved
//   b  file-to-result on the full-resolution originals: our app's worker vs
//      onnxruntime-web with canvas preprocessing, interleaved
//   c  cold load to ready and offline reload, our app under real nginx (and the
//      onnxruntime-web reference app's cold load, interleaved)
//   d  bytes over the wire on first load (nginx's $body_bytes_sent, gzip_static)
//   e  memory over 500 files in one page session
//   f  a folder of the 47 originals picked on the app's page (its worker pool) against
//      onnxruntime-web classifying the same folder one file after another, interleaved
//   g  2,000 files picked as one folder in one app page session: memory, long tasks; once
//      for each way of picking in --session-picks: "handle" (the folder button's
//      showDirectoryPicker, handed a real handle of the folder copied into the
//      origin-private file system, as Playwright cannot drive the dialog) and "input"
//      (<input webkitdirectory> through setInputFiles, the picker of other browsers)
// Usage: node browser.mjs [--parts abcdefg] [--runs 200] [--rounds 3] [--loads 7] [--files 500]
//                         [--folder-rounds 5] [--pools 1] [--session-files 2000]
//                         [--session-picks handle,input]
// a–e write results/browser.json, f and g results/folder.json.
import {
  copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { gzipSync, constants } from "node:zlib";
import {
  BENCH, DATA, DIST, ORIGINALS, ORT_DIST, ROOT, accessLog, launch, originals, readyAt, startNginx, startStatic, summary,
  writeJson,
} from "./lib.mjs";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const parts = args.parts ?? "abcdefg";
const RUNS = Number(args.runs ?? 200);
const ROUNDS = Number(args.rounds ?? 3);
const LOADS = Number(args.loads ?? 7);
const FILES = Number(args.files ?? 500);
const FOLDER_ROUNDS = Number(args["folder-rounds"] ?? 5);
// Pool sizes to measure beside the page's default (min(cores, 4)), by overriding
// navigator.hardwareConcurrency before the page loads; "" for none.
const POOLS = String(args.pools ?? "1").split(",").filter(Boolean).map(Number);
const SESSION_FILES = Number(args["session-files"] ?? 2000);
const SESSION_PICKS = String(args["session-picks"] ?? "handle,input").split(",").filter(Boolean);
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

// ---- parts f and g: the app's own page, files picked as a folder ---------------------

const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const TICK_MS = 10; // /proc's clock ticks (CLK_TCK 100)

/** Busy and total CPU ms of the whole machine (all cores), from /proc/stat. */
function machineCpu() {
  const [, ...v] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/);
  const n = v.map(Number);
  const total = n.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: (total - n[3] - n[4]) * TICK_MS, total: total * TICK_MS };
}

/**
 * CPU ms per Chromium thread name, summed over every process Chromium reports
 * (SystemInfo.getProcessInfo: browser, renderers, GPU, utility), read from
 * /proc/PID/task/TID/stat: "renderer/DedicatedWorker", "renderer/CrRendererMain", …
 */
async function chromiumThreads(browserCdp) {
  const { processInfo } = await browserCdp.send("SystemInfo.getProcessInfo");
  const out = {};
  for (const p of processInfo) {
    let tids = [];
    try {
      tids = readdirSync(`/proc/${p.id}/task`);
    } catch {
      continue; // gone
    }
    for (const tid of tids) {
      try {
        const stat = readFileSync(`/proc/${p.id}/task/${tid}/stat`, "utf8");
        const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
        const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        const key = `${p.type}/${comm}`;
        out[key] = (out[key] ?? 0) + (Number(f[11]) + Number(f[12])) * TICK_MS;
      } catch {
        // gone
      }
    }
  }
  return out;
}

function delta(after, before) {
  const out = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) > 0) out[k] = v - (before[k] ?? 0);
  return out;
}

/**
 * Installed in every bench page before its scripts: long tasks and long animation frames
 * (PerformanceObserver, buffered), the time of each `change` event (the selection), and
 * each Web Worker's classify messages and results (a subclass of Worker that only
 * listens), so that the driver can tell where a folder's wall time went.
 */
function instrument() {
  const log = (window.__bench = { longtasks: [], loafs: [], worker: [], readies: 0, workers: 0, selectedAt: null });
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) log.longtasks.push({ start: e.startTime, duration: e.duration, name: e.name });
    }).observe({ type: "longtask", buffered: true });
  } catch {
    log.longtasks = null;
  }
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        log.loafs.push({
          start: e.startTime,
          duration: e.duration,
          blocking: e.blockingDuration,
          render: e.renderStart ? e.startTime + e.duration - e.renderStart : 0,
          scripts: e.scripts.map((x) => ({
            invoker: x.invoker,
            source: `${x.sourceURL.split("/").pop()}${x.sourceFunctionName ? `:${x.sourceFunctionName}` : ""}`,
            duration: x.duration,
            forced: x.forcedStyleAndLayoutDuration ?? 0,
          })),
        });
      }
    }).observe({ type: "long-animation-frame", buffered: true });
  } catch {
    log.loafs = null;
  }
  document.addEventListener("change", (event) => (log.selectedAt = event.timeStamp), true);
  const Native = window.Worker;
  window.Worker = class extends Native {
    constructor(url, options) {
      super(url, options);
      const w = ++log.workers;
      this.__w = w;
      this.addEventListener("message", ({ data }) => {
        if (data?.type === "ready") log.readies++;
        if (data?.type === "result" || data?.type === "error") {
          log.worker.push({ w, id: data.id, kind: "got", t: performance.now(), timings: data.result?.timings ?? null });
        }
      });
    }
    postMessage(message, ...rest) {
      if (message?.type === "classify") log.worker.push({ w: this.__w, id: message.id, kind: "sent", t: performance.now() });
      return super.postMessage(message, ...rest);
    }
  };
}

/** Visible image files under `dir`, as the page counts them (hidden ones skipped). */
function countFiles(dir) {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith(".")) continue;
    n += e.isDirectory() ? countFiles(join(dir, e.name)) : 1;
  }
  return n;
}

/** Opens the app (dist/index.html) in `context` and waits for every worker of its pool. */
async function openApp(context, origin, { workers } = {}) {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await page.addInitScript(instrument);
  if (workers) {
    const cdp = await context.newCDPSession(page);
    await cdp.send("Emulation.setHardwareConcurrencyOverride", { hardwareConcurrency: workers });
  }
  await page.goto(`${origin}/dist/index.html`);
  await page.waitForFunction(
    () => {
      const app = document.querySelector("[data-model-state]");
      if (app?.dataset.modelState === "error") throw new Error("data-model-state=error");
      return app?.dataset.modelState === "ready" && app.dataset.workers && window.__bench.readies >= Number(app.dataset.workers);
    },
    null,
    { timeout: 120_000 },
  );
  const info = await page.evaluate(() => {
    const app = document.querySelector("[data-model-state]");
    return { workers: Number(app.dataset.workers), simd: app.dataset.wasmSimd, path: app.dataset.path, cores: navigator.hardwareConcurrency };
  });
  return { page, errors, info };
}

/**
 * In the app page: resolves when `n` result cards have left "pending", with the time
 * of the first and the last, each card's status and probability, and the page's records
 * (worker messages, long tasks, long animation frames) since the selection.
 */
function armApp(n) {
  window.__bench.worker = [];
  window.__appRun = new Promise((resolve) => {
    const app = document.querySelector("[data-model-state]");
    const done = new Map();
    let firstAt = null;
    const finish = () => {
      const b = window.__bench;
      const cards = {};
      for (const [el] of done) cards[el.dataset.filename] = { status: el.dataset.status, p: el.dataset.probability ? Number(el.dataset.probability) : null };
      const lastAt = Math.max(...done.values());
      resolve({
        selectedAt: b.selectedAt,
        firstAt,
        lastAt,
        n: done.size,
        cards,
        worker: b.worker,
        longtasks: b.longtasks?.filter((t) => t.start + t.duration >= b.selectedAt) ?? null,
        loafs: b.loafs?.filter((t) => t.start + t.duration >= b.selectedAt) ?? null,
      });
    };
    const observer = new MutationObserver((records) => {
      const now = performance.now();
      for (const r of records) {
        const el = r.target;
        if (el.matches?.("[data-result]") && el.dataset.status !== "pending" && !done.has(el)) {
          done.set(el, now);
          firstAt ??= now;
        }
      }
      window.__doneCount = done.size;
      if (done.size >= n) {
        observer.disconnect();
        // In a task of its own, after the page's: collecting and handing over thousands
        // of records is the bench's work (Playwright serialises them as the promise
        // resolves), and would otherwise lengthen the page's last task.
        setTimeout(finish, 0);
      }
    });
    window.__doneCount = 0;
    observer.observe(app, { subtree: true, attributes: true, attributeFilter: ["data-status"] });
  });
}

/** Where our pool's wall time went, from the worker messages of one run. */
function poolProfile(run, wall) {
  const byId = new Map();
  for (const m of run.worker) {
    const key = `${m.w}/${m.id}`;
    const job = byId.get(key) ?? { w: m.w };
    job[m.kind] = m.t;
    if (m.timings) job.timings = m.timings;
    byId.set(key, job);
  }
  const jobs = [...byId.values()].filter((j) => j.sent != null && j.got != null);
  const workers = [...new Set(jobs.map((j) => j.w))];
  // A worker has up to two files in flight (www/pool.js DEPTH): its busy time is the union
  // of its files' post-to-answer intervals, not their sum.
  const union = (list) => {
    let total = 0;
    let end = -Infinity;
    for (const j of [...list].sort((a, b) => a.sent - b.sent)) {
      const start = Math.max(j.sent, end);
      if (j.got > start) total += j.got - start;
      end = Math.max(end, j.got);
    }
    return total;
  };
  const busy = workers.map((w) => union(jobs.filter((j) => j.w === w)));
  const sum = (k) => jobs.reduce((a, j) => a + (j.timings?.[k] ?? 0), 0);
  return {
    workers: workers.length,
    files_per_worker: workers.map((w) => jobs.filter((j) => j.w === w).length),
    // busy: from a post to the worker to its answer, overlaps counted once; wasm: the
    // worker's own total_ms.
    busy_ms: busy,
    utilisation: busy.map((b) => b / wall),
    wasm_ms: { decode: sum("decode_ms"), preprocess: sum("preprocess_ms"), inference: sum("inference_ms"), total: sum("total_ms") },
    messaging_ms: busy.reduce((a, b) => a + b, 0) - sum("total_ms"),
    first_post_ms: Math.min(...jobs.map((j) => j.sent)) - run.selectedAt,
    per_file_ms: summary(jobs.map((j) => j.got - j.sent)),
  };
}

const longTaskSummary = (tasks) =>
  tasks == null
    ? null
    : {
        count: tasks.length, // every entry is > 50 ms by definition
        over_200: tasks.filter((t) => t.duration > 200).length,
        max_ms: tasks.length ? Math.max(...tasks.map((t) => t.duration)) : 0,
        total_ms: tasks.reduce((a, t) => a + t.duration, 0),
      };

/** The scripts that the long animation frames spent their time in, summed by source. */
function loafScripts(loafs, top = 8) {
  const by = {};
  for (const f of loafs ?? []) for (const s of f.scripts) by[`${s.invoker} ${s.source}`] = (by[`${s.invoker} ${s.source}`] ?? 0) + s.duration;
  return Object.entries(by).sort((a, b) => b[1] - a[1]).slice(0, top).map(([what, ms]) => ({ what, ms }));
}

async function folderVsOrt() {
  const server = await startStatic();
  const browser = await launch();
  const browserCdp = await browser.newBrowserCDPSession();
  const context = await browser.newContext({ serviceWorkers: "block" });
  const dir = ORIGINALS;
  const n = countFiles(dir);

  const pipelines = [{ key: "ours", ...(await openApp(context, server.origin)) }];
  for (const workers of POOLS) pipelines.push({ key: `ours_${workers}`, ...(await openApp(context, server.origin, { workers })) });
  const ortPage = await context.newPage();
  const ortErrors = [];
  ortPage.on("pageerror", (e) => ortErrors.push(e.message));
  await ortPage.addInitScript(instrument);
  await ortPage.goto(`${server.origin}/bench/bench.html`);
  await ortPage.waitForFunction(() => window.benchReady === true, null, { timeout: 60_000 });
  await ortPage.evaluate(() => window.bench.ortFolderInput());
  pipelines.push({ key: "ort", page: ortPage, errors: ortErrors, info: { workers: 1 } });
  log(`f: ${n} files as a folder; ${pipelines.map((p) => `${p.key} (${p.info.workers} worker${p.info.workers > 1 ? "s" : ""})`).join(", ")}; ${FOLDER_ROUNDS} rounds after a warm-up`);

  const once = async (p) => {
    await p.page.bringToFront();
    const cpu0 = machineCpu();
    const threads0 = await chromiumThreads(browserCdp);
    const load0 = loadavg();
    let run;
    if (p.key === "ort") {
      await p.page.evaluate(() => window.armOrtFolder());
      await p.page.setInputFiles("input[data-ort-folder]", dir);
      run = await p.page.evaluate(async () => {
        const r = await window.ortFolderRun;
        const b = window.__bench;
        return { ...r, longtasks: b.longtasks?.filter((t) => t.start + t.duration >= r.selectedAt) ?? null };
      });
    } else {
      await p.page.evaluate(armApp, n);
      await p.page.setInputFiles("input[type=file][webkitdirectory]", dir);
      run = await p.page.evaluate(() => window.__appRun);
    }
    const threads = delta(await chromiumThreads(browserCdp), threads0);
    const cpu1 = machineCpu();
    const wall = run.lastAt - run.selectedAt;
    const chromiumMs = Object.values(threads).reduce((a, b) => a + b, 0);
    const machineBusy = cpu1.busy - cpu0.busy;
    const result = {
      wall_ms: wall,
      first_ms: run.firstAt - run.selectedAt,
      n: run.n,
      load_before: load0,
      load_after: loadavg(),
      // CPU used during the run, all cores: Chromium's threads, and everything else.
      cpu_ms: { chromium: chromiumMs, other: Math.max(0, machineBusy - chromiumMs), idle: cpu1.total - cpu0.total - machineBusy },
      threads,
      longtasks: longTaskSummary(run.longtasks),
    };
    if (p.key === "ort") {
      result.probabilities = run.probabilities;
      result.stages_ms = run.stages; // summed over the files
    } else {
      result.probabilities = Object.fromEntries(Object.entries(run.cards).map(([k, v]) => [k, v.p]));
      result.statuses = Object.values(run.cards).reduce((a, c) => ({ ...a, [c.status]: (a[c.status] ?? 0) + 1 }), {});
      result.pool = poolProfile(run, wall);
      result.loaf_scripts = loafScripts(run.loafs);
      await p.page.getByRole("button", { name: "Clear all" }).click();
      await p.page.waitForFunction(() => !document.querySelector("[data-result]"));
    }
    return result;
  };

  for (const p of pipelines) await once(p); // warm-up, not counted
  const rounds = [];
  for (let r = 0; r < FOLDER_ROUNDS; r++) {
    // Rotate which goes first, so that none always runs first on a just-quiet machine.
    const order = pipelines.map((_, i) => pipelines[(i + r) % pipelines.length]);
    const round = { order: order.map((p) => p.key) };
    for (const p of order) round[p.key] = await once(p);
    log(`f: round ${r + 1}: ${order.map((p) => `${p.key} ${round[p.key].wall_ms.toFixed(0)} ms`).join(", ")}; load ${loadavg()}`);
    rounds.push(round);
  }
  const keys = pipelines.map((p) => p.key);
  const out = {
    files: n,
    folder: dir,
    chromium: browser.version(),
    info: Object.fromEntries(pipelines.map((p) => [p.key, p.info])),
    wall_ms: Object.fromEntries(keys.map((k) => [k, summary(rounds.map((r) => r[k].wall_ms))])),
    // Per round, so that each ratio compares runs that saw the same minute of load.
    ratios: Object.fromEntries(keys.filter((k) => k !== "ort").map((k) => [k, summary(rounds.map((r) => r[k].wall_ms / r.ort.wall_ms))])),
    probability_difference: summary(
      rounds.flatMap((r) => Object.entries(r.ours.probabilities).map(([f, p]) => Math.abs(p - r.ort.probabilities[f]))).filter(Number.isFinite),
    ),
    errors: Object.fromEntries(pipelines.map((p) => [p.key, p.errors])),
    rounds,
  };
  await browser.close();
  await server.close();
  return out;
}

/**
 * `total` files in labelled folders (NORMAL/, PNEUMONIA/), as a researcher would pick
 * them: every tenth one of the full-resolution originals (cycled), the rest Kermany train
 * images (224×224), hard links where the file system allows, copies otherwise.
 */
function sessionFolder(total) {
  const dir = mkdtempSync(join(tmpdir(), "pneumoscan-bench-session-"));
  const root = join(dir, "session");
  const train = (label) => readdirSync(join(DATA, "chest_xray", "train", label)).filter((f) => /\.jpe?g$/i.test(f)).sort();
  const pools = { NORMAL: train("NORMAL"), PNEUMONIA: train("PNEUMONIA") };
  const used = { NORMAL: 0, PNEUMONIA: 0 };
  const orig = originals();
  const counts = { originals: 0, train: 0 };
  for (const label of Object.keys(pools)) mkdirSync(join(root, label), { recursive: true });
  for (let i = 0; i < total; i++) {
    let src;
    let label;
    if (i % 10 === 0) {
      const rel = orig[(i / 10) % orig.length];
      label = rel.split("/")[0];
      src = join(ORIGINALS, rel);
      counts.originals++;
    } else {
      label = i % 2 ? "NORMAL" : "PNEUMONIA";
      const list = pools[label];
      src = join(DATA, "chest_xray", "train", label, list[used[label]++ % list.length]);
      counts.train++;
    }
    const dest = join(root, label, `${String(i).padStart(5, "0")}-${basename(src)}`);
    try {
      linkSync(src, dest);
    } catch {
      copyFileSync(src, dest);
    }
  }
  return { dir, root, counts };
}

/** Every file under `dir`, as paths relative to it with "/" between folders. */
function listFiles(dir, prefix = "") {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(dir, `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}

/**
 * Copies the session folder (served at /session/) into the page's origin-private file
 * system and makes showDirectoryPicker() hand over its real handle, noting the time of
 * the pick as a `change` event would.
 */
async function pickThroughHandle(page, rels) {
  await page.evaluate(async (list) => {
    const opfs = await navigator.storage.getDirectory();
    await opfs.removeEntry("session", { recursive: true }).catch(() => {});
    const root = await opfs.getDirectoryHandle("session", { create: true });
    const dirs = new Map();
    for (const rel of list) {
      const parts = rel.split("/");
      const key = parts.slice(0, -1).join("/");
      let dir = dirs.get(key);
      if (!dir) {
        dir = root;
        for (const part of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(part, { create: true });
        dirs.set(key, dir);
      }
      const bytes = await (await fetch(`/session/${rel}`)).arrayBuffer();
      const writable = await (await dir.getFileHandle(parts.at(-1), { create: true })).createWritable();
      await writable.write(bytes);
      await writable.close();
    }
    window.showDirectoryPicker = async () => {
      window.__bench.selectedAt = performance.now();
      return root;
    };
  }, rels);
}

async function session(pick) {
  const { dir, root, counts } = sessionFolder(SESSION_FILES);
  const server = await startStatic({ isolated: true, extraMounts: { "/session/": root } });
  const browser = await launch(["--enable-blink-features=ForceEagerMeasureMemory"]);
  const browserCdp = await browser.newBrowserCDPSession();
  const context = await browser.newContext({ serviceWorkers: "block" });
  const { page, errors, info } = await openApp(context, server.origin);
  const cdp = await context.newCDPSession(page);
  await cdp.send("Performance.enable");
  const isolated = await page.evaluate(() => self.crossOriginIsolated && typeof performance.measureUserAgentSpecificMemory === "function");
  log(`g (${pick}): ${SESSION_FILES} files (${counts.originals} originals, ${counts.train} train images) as one folder; ${info.workers} workers; cross-origin isolated: ${isolated}`);
  if (pick === "handle") {
    const copied = Date.now();
    await pickThroughHandle(page, listFiles(root));
    log(`g (handle): the folder copied into the origin-private file system in ${((Date.now() - copied) / 1000).toFixed(1)} s`);
  }

  const sample = async (files, { gc = true } = {}) => {
    const t0 = await page.evaluate(() => performance.now());
    if (gc) await cdp.send("HeapProfiler.collectGarbage"); // the page's heap; workers' are their own
    const { metrics } = await cdp.send("Performance.getMetrics");
    const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
    const ua = isolated
      ? await page.evaluate(async () => {
          const r = await performance.measureUserAgentSpecificMemory();
          const byScope = {};
          for (const b of r.breakdown) {
            for (const a of b.attribution) byScope[a.scope] = (byScope[a.scope] ?? 0) + b.bytes;
            if (!b.attribution.length) byScope.shared = (byScope.shared ?? 0) + b.bytes;
          }
          return { bytes: r.bytes, byScope };
        })
      : null;
    const procs = await processMemory(browserCdp);
    const t1 = await page.evaluate(() => performance.now());
    const tab = procs.filter((p) => p.type === "renderer").reduce((a, p) => (p.cpuTime > (a?.cpuTime ?? -1) ? p : a), null);
    const s = {
      files,
      at_ms: t0,
      took_ms: t1 - t0,
      page_js_heap: m.JSHeapUsedSize,
      ua,
      tab_renderer_rss: tab?.rss ?? null,
      tab_renderer_pss: tab?.pss ?? null,
      chromium_rss: procs.reduce((a, p) => a + (p.rss || 0), 0),
      chromium_pss: procs.reduce((a, p) => a + (p.pss || 0), 0),
      processes: procs,
      dom_nodes: m.Nodes,
      load: loadavg(),
    };
    log(`g: ${files} files: tab renderer ${(s.tab_renderer_rss / 1e6).toFixed(0)} MB RSS, all Chromium ${(s.chromium_rss / 1e6).toFixed(0)} MB, page JS heap ${(m.JSHeapUsedSize / 1e6).toFixed(1)} MB; load ${s.load}`);
    return s;
  };

  const samples = [await sample(0)];
  const marks = [100, 250, 500, 1000, 1500].filter((x) => x < SESSION_FILES);
  const cpu0 = machineCpu();
  const threads0 = await chromiumThreads(browserCdp);
  await page.evaluate(armApp, SESSION_FILES);
  const selected = Date.now();
  if (pick === "handle") await page.click(".ps-folder-picker");
  else await page.setInputFiles("input[type=file][webkitdirectory]", root);
  // Marks are sampled as the batch passes them (the workers keep classifying meanwhile).
  const runDone = page.evaluate(() => window.__appRun);
  let finished = false;
  runDone.then(() => (finished = true), () => (finished = true));
  while (!finished && marks.length) {
    const done = await page.evaluate(() => window.__doneCount ?? 0);
    if (done >= marks[0]) {
      samples.push(await sample(done));
      while (marks.length && done >= marks[0]) marks.shift();
    } else {
      await new Promise((ok) => setTimeout(ok, 100));
    }
    if (Date.now() - selected > 12 * 60_000) throw new Error("g: the session took over 12 minutes");
  }
  const run = await runDone;
  const threads = delta(await chromiumThreads(browserCdp), threads0);
  const cpu1 = machineCpu();
  samples.push(await sample(run.n, { gc: false }));
  await new Promise((ok) => setTimeout(ok, 2000));
  samples.push({ ...(await sample(run.n)), idle: true });
  const all = await page.evaluate(() => ({ longtasks: window.__bench.longtasks, loafs: window.__bench.loafs }));
  // Long tasks that overlap the driver's own samples (forced GC, memory measurement) are
  // counted apart: they are the measurement's, not the page's.
  const windows = samples.map((s) => [s.at_ms, s.at_ms + s.took_ms]);
  const overlapsSample = (t) => windows.some(([a, b]) => t.start < b && t.start + t.duration > a);
  const inRun = (t) => t.start + t.duration >= run.selectedAt && t.start <= run.lastAt;
  const wall = run.lastAt - run.selectedAt;
  const chromiumMs = Object.values(threads).reduce((a, b) => a + b, 0);
  const statuses = Object.values(run.cards).reduce((a, c) => ({ ...a, [c.status]: (a[c.status] ?? 0) + 1 }), {});
  const evaluation = await page.evaluate(() => ({ ...document.querySelector("[data-evaluation]")?.dataset }));
  const out = {
    pick,
    files: run.n,
    counts,
    info,
    isolated,
    wall_ms: wall,
    statuses,
    evaluation,
    pool: poolProfile(run, wall),
    cpu_ms: { chromium: chromiumMs, other: Math.max(0, cpu1.busy - cpu0.busy - chromiumMs), idle: cpu1.total - cpu0.total - (cpu1.busy - cpu0.busy) },
    threads,
    samples,
    longtasks: {
      whole_session: longTaskSummary(all.longtasks),
      batch: longTaskSummary(all.longtasks?.filter((t) => inRun(t) && !overlapsSample(t))),
      batch_overlapping_samples: longTaskSummary(all.longtasks?.filter((t) => inRun(t) && overlapsSample(t))),
      before_batch: longTaskSummary(all.longtasks?.filter((t) => t.start + t.duration < run.selectedAt)),
      // The task that delivers the picked folder (Chromium builds its FileList, then
      // dispatches `change`) holds the selection's timestamp; its script is the LoAF's.
      longest: [...(all.longtasks ?? [])].sort((a, b) => b.duration - a.duration).slice(0, 10).map((t) => {
        const selection = t.start <= run.selectedAt && run.selectedAt <= t.start + t.duration;
        const frames = (all.loafs ?? []).filter((f) => f.start < t.start + t.duration && f.start + f.duration > t.start);
        const script = frames.reduce((a, f) => a + f.scripts.reduce((b, x) => b + x.duration, 0), 0);
        // Of the scripts' time, style and layout they forced (reading layout after a change).
        const forced = frames.reduce((a, f) => a + f.scripts.reduce((b, x) => b + (x.forced ?? 0), 0), 0);
        const scripts = frames.flatMap((f) => f.scripts.map((x) => `${x.invoker} ${x.source} ${Math.round(x.duration)} ms`));
        return { ...t, in_batch: inRun(t), overlaps_sample: overlapsSample(t), selection, script_ms: script, forced_layout_ms: forced, scripts };
      }),
    },
    loaf_scripts: loafScripts(all.loafs?.filter(inRun), 12),
    errors,
  };
  await browser.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
  return out;
}

/** RSS and PSS of every Chromium process (from /proc), with its type and CPU time. */
async function processMemory(browserCdp) {
  const { processInfo } = await browserCdp.send("SystemInfo.getProcessInfo");
  const out = [];
  for (const p of processInfo) {
    try {
      const status = readFileSync(`/proc/${p.id}/status`, "utf8");
      const rollup = existsSync(`/proc/${p.id}/smaps_rollup`) ? readFileSync(`/proc/${p.id}/smaps_rollup`, "utf8") : "";
      const kb = (text, key) => Number(text.match(new RegExp(`^${key}:\\s+(\\d+) kB`, "m"))?.[1] ?? NaN);
      out.push({ pid: p.id, type: p.type, cpuTime: p.cpuTime, rss: kb(status, "VmRSS") * 1024, pss: kb(rollup, "Pss") * 1024 });
    } catch {
      // gone
    }
  }
  return out;
}

const out = {};
if (/[ab]/.test(parts)) Object.assign(out, await modelAndFiles());
if (/[cd]/.test(parts)) out.loads = await loads();
if (parts.includes("e")) out.memory = await memory();
if (/[a-e]/.test(parts)) {
  writeJson("browser.json", out);
  log("wrote results/browser.json");
}
if (/[fg]/.test(parts)) {
  const cardFile = readdirSync(DIST).find((f) => /^model\.[0-9a-f]{8}\.json$/.test(f));
  const folder = {
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    command: `node bench/browser.mjs ${process.argv.slice(2).join(" ")}`,
    model: cardFile ? JSON.parse(readFileSync(join(DIST, cardFile), "utf8")).version : null,
    load_start: loadavg(),
  };
  if (parts.includes("f")) folder.folder = await folderVsOrt();
  // The first pick's run is `session` (the report's main table), the others `sessions`.
  if (parts.includes("g")) {
    const runs = [];
    for (const pick of SESSION_PICKS) runs.push(await session(pick));
    [folder.session] = runs;
    folder.sessions = runs;
  }
  folder.load_end = loadavg();
  writeJson("folder.json", folder);
  log("wrote results/folder.json");
}
