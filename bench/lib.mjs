// Shared parts of the benchmark drivers: paths, a static server for the bench pages,
// real nginx with the repo's nginx.conf, Chromium, statistics.
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { createReadStream, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const BENCH = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(BENCH, "..");
export const DIST = resolve(process.env.PNEUMOSCAN_DIST ?? join(ROOT, "dist"));
export const DATA = resolve(process.env.PNEUMOSCAN_DATA ?? join(ROOT, "..", "shared", "data"));
export const ORIGINALS = join(DATA, "originals");
export const ORT_DIST = join(BENCH, "node_modules", "onnxruntime-web", "dist");
export const RESULTS = join(BENCH, "results");
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

/** The flags the brief fixes for headless Chromium on this closed network. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
];

/** Relative paths of the full-resolution originals, e.g. `NORMAL/IM-0199-0001.jpeg`. */
export function originals() {
  return ["NORMAL", "PNEUMONIA"].flatMap((d) =>
    readdirSync(join(ORIGINALS, d))
      .filter((f) => /\.(jpe?g|png)$/i.test(f))
      .sort()
      .map((f) => `${d}/${f}`),
  );
}

/** Hashed names of the dist files the bench pages load. */
export function distManifest() {
  const files = readdirSync(DIST);
  const find = (re) => {
    const f = files.find((name) => re.test(name));
    if (!f) throw new Error(`no ${re} in ${DIST} (run: cargo xtask dist)`);
    return f;
  };
  return {
    glue: find(/^pneumoscan\.[0-9a-f]{8}\.js$/),
    wasm: find(/^pneumoscan_bg\.[0-9a-f]{8}\.wasm$/),
    wasm_relaxed: find(/^pneumoscan_relaxed_bg\.[0-9a-f]{8}\.wasm$/),
    card: find(/^model\.[0-9a-f]{8}\.json$/),
    // The bundle ships the NNEF form only; onnxruntime-web reads the repo's ONNX.
    onnx: "/model/pneumonia.onnx",
    client: find(/^client\.[0-9a-f]{8}\.js$/),
    originals: originals(),
  };
}

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".onnx": "application/octet-stream",
  ".jpeg": "image/jpeg",
  ".jpg": "image/jpeg",
  ".png": "image/png",
  ".css": "text/css",
  ".svg": "image/svg+xml",
};

/**
 * The bench pages' server on loopback: /bench/ (bench/web), /dist/, /ort/ (onnxruntime-web's
 * dist), /data/ (the originals), /manifest.json. `isolated` adds COOP/COEP, which
 * performance.measureUserAgentSpecificMemory needs.
 */
export async function startStatic({ isolated = false, extraMounts = {} } = {}) {
  const mounts = {
    "/bench/": join(BENCH, "web"),
    "/dist/": DIST,
    "/ort/": ORT_DIST,
    "/data/": ORIGINALS,
    "/model/": join(ROOT, "model"),
    ...extraMounts,
  };
  // Read on first request: parts that load only the app page (f, g) need none of it.
  let manifest = null;
  const server = createServer((req, res) => {
    const headers = { "Cache-Control": "no-store" };
    if (isolated) {
      headers["Cross-Origin-Opener-Policy"] = "same-origin";
      headers["Cross-Origin-Embedder-Policy"] = "require-corp";
    }
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    if (path === "/manifest.json") {
      manifest ??= JSON.stringify(distManifest());
      res.writeHead(200, { ...headers, "Content-Type": "application/json" });
      return res.end(manifest);
    }
    const mount = Object.keys(mounts).find((m) => path.startsWith(m));
    const file = mount && resolve(mounts[mount], "." + path.slice(mount.length - 1));
    if (!file || !file.startsWith(mounts[mount]) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, headers);
      return res.end("not found");
    }
    res.writeHead(200, {
      ...headers,
      "Content-Type": TYPES[extname(file)] ?? "application/octet-stream",
      "Content-Length": statSync(file).size,
    });
    createReadStream(file).pipe(res);
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return { origin: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((ok) => server.close(ok)) };
}

async function freePort() {
  const server = createServer();
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address();
  await new Promise((ok) => server.close(ok));
  return port;
}

export async function waitFor(url, what, child, tries = 300) {
  for (let i = 0; i < tries; i++) {
    if (child && child.exitCode != null) throw new Error(`${what} exited with ${child.exitCode}: ${readFileSync(child.logFile, "utf8")}`);
    try {
      const res = await fetch(url);
      if (res.status < 500) return;
    } catch {
      // not up yet
    }
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error(`${what} did not answer at ${url}`);
}

/** Starts a process whose stdout and stderr go to a log file (nginx opens /dev/stdout). */
export function started(command, args, options = {}) {
  const logFile = join(mkdtempSync(join(tmpdir(), "pneumoscan-bench-")), "output.log");
  const fd = openSync(logFile, "w");
  const child = spawn(command, args, { stdio: ["ignore", fd, fd], ...options });
  child.logFile = logFile;
  return child;
}

export function stop(child) {
  if (child && child.exitCode == null) child.kill("SIGTERM");
}

/**
 * Real nginx with the repo's nginx.conf serving `root`; only `root` and `listen` are
 * substituted (as e2e/harness.js does). Its access log (with $body_bytes_sent, the
 * gzipped size when gzip_static answers) goes to the returned log file.
 */
export async function startNginx(root) {
  const port = await freePort();
  const conf = readFileSync(join(ROOT, "nginx.conf"), "utf8");
  const substituted = conf
    .replace("root /usr/share/nginx/html;", `root ${root};`)
    .replace("listen 8080;", `listen 127.0.0.1:${port};`);
  if (substituted.includes("/usr/share/nginx/html") || !substituted.includes(`:${port};`)) {
    throw new Error("nginx.conf must contain `root /usr/share/nginx/html;` and `listen 8080;`");
  }
  const prefix = mkdtempSync(join(tmpdir(), "pneumoscan-bench-nginx-"));
  mkdirSync(join(prefix, "logs"));
  const file = join(prefix, "nginx.conf");
  writeFileSync(file, substituted);
  const user = process.getuid?.() === 0 ? "user root;" : "";
  const child = started("nginx", ["-p", prefix, "-c", file, "-g", `daemon off; ${user}`]);
  const origin = `http://127.0.0.1:${port}`;
  await waitFor(`${origin}/index.html`, "nginx", child);
  return { origin, logFile: child.logFile, close: () => stop(child) };
}

/** Access-log lines of nginx's `main` format: path, status, body bytes. */
export function accessLog(logFile) {
  const re = /"(GET|HEAD|POST) (\S+) HTTP\/[\d.]+" (\d{3}) (\d+) /;
  return readFileSync(logFile, "utf8")
    .split("\n")
    .map((line) => line.match(re))
    .filter(Boolean)
    .map((m) => ({ method: m[1], path: m[2], status: Number(m[3]), bytes: Number(m[4]) }));
}

export async function launch(extraArgs = []) {
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

export function quantile(values, q) {
  const s = [...values].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export function summary(values) {
  return {
    n: values.length,
    median: quantile(values, 0.5),
    p95: quantile(values, 0.95),
    min: Math.min(...values),
    max: Math.max(...values),
    mean: values.reduce((a, b) => a + b, 0) / values.length,
  };
}

export function writeJson(name, value) {
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, name), JSON.stringify(value, null, 2));
}

// Time from the document's navigation start to data-model-state=ready (in the document
// or an open shadow root), read in the page so that driver overhead is left out.
export async function readyAt(page) {
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

/**
 * The app's page (`dist/index.html`, service worker blocked) picks `dir` through its folder
 * input: two warm-up picks when it is small (model loaded, code compiled), then one pick
 * traced with Chromium's `categories`. Returns the trace's events and the traced pick's
 * wall ms. For bench/profile-folder.mjs and bench/main-thread.mjs.
 */
export async function traceFolderPick(categories, { dir = ORIGINALS, files = 47, style = null } = {}) {
  const server = await startStatic();
  const browser = await launch();
  try {
    const page = await (await browser.newContext({ serviceWorkers: "block" })).newPage();
    await page.goto(`${server.origin}/dist/index.html`);
    await page.waitForFunction(() => document.querySelector("[data-model-state]")?.dataset.modelState === "ready", null, { timeout: 120_000 });
    if (style) await page.addStyleTag({ content: style });
    const pick = async () => {
      const t0 = Date.now();
      await page.setInputFiles("input[type=file][webkitdirectory]", dir);
      await page.waitForFunction(
        (n) => {
          const cards = [...document.querySelectorAll("[data-result]")];
          return cards.length >= n && cards.every((card) => card.dataset.status !== "pending");
        },
        files,
        { timeout: 600_000, polling: files < 100 ? 50 : 1000 },
      );
      const ms = Date.now() - t0;
      await page.getByRole("button", { name: "Clear all" }).click();
      return ms;
    };
    if (files < 100) for (let i = 0; i < 2; i++) console.log(`warm-up pick: ${await pick()} ms`);
    const events = [];
    const cdp = await browser.newBrowserCDPSession();
    cdp.on("Tracing.dataCollected", ({ value }) => events.push(...value));
    const complete = new Promise((resolve) => cdp.once("Tracing.tracingComplete", resolve));
    await cdp.send("Tracing.start", { traceConfig: { includedCategories: [...categories, "__metadata"] }, transferMode: "ReportEvents" });
    const ms = await pick();
    await cdp.send("Tracing.end");
    await complete;
    return { events, ms };
  } finally {
    await browser.close();
    await server.close();
  }
}

/** Thread names of a trace's events, by "pid/tid". */
export function traceThreadNames(events) {
  const names = new Map();
  for (const e of events) if (e.ph === "M" && e.name === "thread_name") names.set(`${e.pid}/${e.tid}`, e.args.name);
  return names;
}
