// The real parts the e2e tests drive: nginx with the project's nginx.conf (only root
// and port substituted) serving dist/, a second origin for the embed test, the native
// server for the fallback test, the native CLI for reference numbers, and Debian's
// Chromium through playwright-core.

import { spawn, execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, openSync, readFileSync, writeFileSync, readdirSync, existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname, basename } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const DIST = resolve(process.env.PNEUMOSCAN_DIST ?? join(ROOT, "dist"));
export const DATA = resolve(process.env.PNEUMOSCAN_DATA ?? join(ROOT, "..", "shared", "data"));
export const BIN = process.env.PNEUMOSCAN_BIN;
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

/** Chromium flags for this closed network (see the developers' guide). */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
];

export function requireSetup() {
  const missing = [];
  if (!existsSync(join(DIST, "index.html"))) missing.push(`${DIST}/index.html (run: cargo xtask dist)`);
  if (!BIN || !existsSync(BIN)) missing.push(`PNEUMOSCAN_BIN=${BIN} (the native pneumoscan binary)`);
  if (!existsSync(join(DATA, "originals"))) missing.push(`${DATA}/originals (the data set)`);
  if (!existsSync(CHROMIUM)) missing.push(`${CHROMIUM} (apt-get install chromium)`);
  if (missing.length) throw new Error(`e2e setup incomplete:\n  ${missing.join("\n  ")}`);
}

/** Real full-resolution chest X-rays, sorted by path. */
export function originals() {
  const dirs = ["NORMAL", "PNEUMONIA"].map((d) => join(DATA, "originals", d));
  return dirs.flatMap((d) => readdirSync(d).sort().map((f) => join(d, f)));
}

/** A JPEG file's [width, height], from its frame header (SOF0 to SOF15 but DHT, JPG, DAC). */
export function jpegSize(path) {
  const b = readFileSync(path);
  for (let i = 2; i + 9 < b.length; ) {
    if (b[i] !== 0xff) throw new Error(`${path}: not a JPEG marker at ${i}`);
    const marker = b[i + 1];
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
      return [b.readUInt16BE(i + 7), b.readUInt16BE(i + 5)];
    }
    i += 2 + b.readUInt16BE(i + 2);
  }
  throw new Error(`${path}: no JPEG frame header`);
}

/** The native CLI's results for `files`, keyed by base name (the shared reference). */
export function cliResults(files) {
  const out = execFileSync(BIN, ["classify", "--json", ...files], { encoding: "utf8" });
  return Object.fromEntries(JSON.parse(out).map((r) => [basename(r.file), r]));
}

async function freePort() {
  const server = createServer();
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address();
  await new Promise((ok) => server.close(ok));
  return port;
}

async function waitFor(url, what, child) {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode != null) {
      throw new Error(`${what} exited with ${child.exitCode}:\n${readFileSync(child.logFile, "utf8")}`);
    }
    try {
      const res = await fetch(url);
      if (res.status < 500) return;
    } catch {
      // not up yet
    }
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error(`${what} did not answer at ${url}:\n${readFileSync(child.logFile, "utf8")}`);
}

/**
 * Starts a server whose output goes to a log file, shown when it fails to start. A file,
 * not a pipe: nginx opens /dev/stdout, which fails when that is a socket (as node's
 * pipes are).
 */
function started(command, args, what) {
  const logFile = join(mkdtempSync(join(tmpdir(), "pneumoscan-e2e-")), "output.log");
  const fd = openSync(logFile, "w");
  const child = spawn(command, args, { stdio: ["ignore", fd, fd] });
  child.logFile = logFile;
  child.on("error", (e) => console.error(`${what}: ${e.message}`));
  return child;
}

function stop(child) {
  if (child && child.exitCode == null) child.kill("SIGTERM");
}

/** nginx on 127.0.0.1 with the project's nginx.conf; root and port are all we change. */
export async function startNginx(root = DIST) {
  const port = await freePort();
  const conf = readFileSync(join(ROOT, "nginx.conf"), "utf8");
  const substituted = conf
    .replace("root /usr/share/nginx/html;", `root ${root};`)
    .replace("listen 8080;", `listen 127.0.0.1:${port};`);
  if (substituted.includes("/usr/share/nginx/html") || !substituted.includes(`:${port};`)) {
    throw new Error("nginx.conf must contain `root /usr/share/nginx/html;` and `listen 8080;` exactly once");
  }
  const prefix = mkdtempSync(join(tmpdir(), "pneumoscan-nginx-"));
  mkdirSync(join(prefix, "logs"));
  const file = join(prefix, "nginx.conf");
  writeFileSync(file, substituted);
  // As root, nginx would hand its workers to `nobody`; keep them as the current user.
  const user = process.getuid?.() === 0 ? "user root;" : "";
  const child = started("nginx", ["-p", prefix, "-c", file, "-g", `daemon off; ${user}`], "nginx");
  const origin = `http://127.0.0.1:${port}`;
  await waitFor(`${origin}/index.html`, "nginx", child);
  return { origin, close: () => stop(child) };
}

/** `pneumoscan serve --dist dist` on a free port: the README's local run, and /predict. */
export async function startServer() {
  const port = await freePort();
  const child = started(BIN, ["serve", "--dist", DIST, "--port", String(port)], "pneumoscan serve");
  const origin = `http://127.0.0.1:${port}`;
  await waitFor(`${origin}/readyz`, "pneumoscan serve", child);
  return { origin, close: () => stop(child) };
}

/** A page on another origin (another port on localhost) that embeds the classifier. */
export async function startHostPage(embedOrigin) {
  const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A clinic's intranet page</title>
<link rel="icon" href="data:,">
<script type="module" src="${embedOrigin}/embed.js"></script></head>
<body><h1>Embedded classifier</h1><pneumonia-classifier></pneumonia-classifier></body></html>`;
  const server = createServer((req, res) => {
    res.writeHead(req.url === "/" ? 200 : 404, { "content-type": "text/html; charset=utf-8" });
    res.end(req.url === "/" ? page : "not found");
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  // `localhost` rather than 127.0.0.1: another host name as well as another port.
  const origin = `http://localhost:${server.address().port}`;
  return { origin, close: () => new Promise((ok) => server.close(ok)) };
}

export async function launch(extraArgs = []) {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
}

/**
 * A browser context that records every request and every page error or console error,
 * so that tests can assert that nothing was uploaded or fetched from elsewhere.
 * `options` go to browser.newContext (e.g. `{ locale: "fr-FR" }`).
 */
export async function watchedContext(browser, options = {}) {
  const context = await browser.newContext(options);
  const log = { requests: [], errors: [], dialogs: [] };
  context.on("request", (r) => log.requests.push({ url: r.url(), method: r.method(), body: r.postDataBuffer() }));
  context.on("page", (page) => watchPage(page, log));
  return { context, log };
}

function watchPage(page, log) {
  page.on("pageerror", (e) => log.errors.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") log.errors.push(`console error: ${m.text()}`);
  });
  // alert(), confirm(), prompt(): the app opens none, so any is injected script running.
  page.on("dialog", (d) => {
    log.dialogs.push(`${d.type()}: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  // A WebSocket could carry anything away: record it as a request that is not a GET.
  page.on("websocket", (ws) => log.requests.push({ url: ws.url(), method: "WEBSOCKET" }));
}

/**
 * Requests that could carry a user's image away: to an origin not in `allowedOrigins`,
 * not a GET, with a body or a query string, or for a path that is not `/` or a file of
 * the web bundle (dist/). The page may fetch its own files and nothing else. `blob:` and
 * `data:` URLs (the thumbnails, read from the dropped files) never leave the browser.
 */
export function leaks(log, allowedOrigins) {
  const bundle = new Set(readdirSync(DIST).map((f) => `/${f}`));
  return log.requests.filter((r) => {
    if (r.url.startsWith("blob:") || r.url.startsWith("data:")) return false;
    if (r.method !== "GET" || r.body?.length) return true;
    let url;
    try {
      url = new URL(r.url);
    } catch {
      return true;
    }
    if (!allowedOrigins.includes(url.origin) || url.search) return true;
    return !(url.pathname === "/" || bundle.has(url.pathname));
  });
}

/** The app root's model state, inside the document or an open shadow root. */
export async function waitReady(page, timeout = 30_000) {
  const root = page.locator("[data-model-state]").first();
  await root.waitFor({ state: "attached", timeout });
  await page.waitForFunction(
    () => {
      const find = (node) => {
        const el = node.querySelector("[data-model-state]");
        if (el) return el;
        for (const host of node.querySelectorAll("*")) {
          if (host.shadowRoot) {
            const inner = find(host.shadowRoot);
            if (inner) return inner;
          }
        }
        return null;
      };
      const state = find(document)?.getAttribute("data-model-state");
      if (state === "error") throw new Error("data-model-state=error");
      return state === "ready";
    },
    null,
    { timeout },
  );
  return root;
}

/** Drops `files` on the drop zone as a real `drop` event carrying a DataTransfer. */
export async function dropFiles(page, files) {
  const payload = files.map((f) => ({
    name: basename(f.path ?? f.name),
    type: f.type ?? (f.path?.endsWith(".jpeg") ? "image/jpeg" : ""),
    data: (f.bytes ?? readFileSync(f.path)).toString("base64"),
  }));
  const transfer = await page.evaluateHandle((items) => {
    const dt = new DataTransfer();
    for (const { name, type, data } of items) {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      dt.items.add(new File([bytes], name, { type }));
    }
    return dt;
  }, payload);
  const zone = page.locator("[data-dropzone]").first();
  await zone.dispatchEvent("dragenter", { dataTransfer: transfer });
  await zone.dispatchEvent("dragover", { dataTransfer: transfer });
  await zone.dispatchEvent("drop", { dataTransfer: transfer });
}

/** Waits until `count` results are no longer pending, and returns their attributes. */
export async function settledResults(page, count, timeout = 60_000) {
  const results = page.locator("[data-result]");
  await page.waitForFunction(
    (n) => {
      const all = [];
      const collect = (node) => {
        all.push(...node.querySelectorAll("[data-result]"));
        for (const host of node.querySelectorAll("*")) if (host.shadowRoot) collect(host.shadowRoot);
      };
      collect(document);
      return all.length >= n && all.every((el) => el.getAttribute("data-status") !== "pending");
    },
    count,
    { timeout },
  );
  return results.evaluateAll((els) =>
    els.map((el) => ({
      filename: el.getAttribute("data-filename"),
      status: el.getAttribute("data-status"),
      prediction: el.getAttribute("data-prediction"),
      probability: el.getAttribute("data-probability"),
      path: el.getAttribute("data-path"),
      code: el.getAttribute("data-code"),
      text: el.textContent,
    })),
  );
}

export async function closeAll(...things) {
  for (const t of things) {
    try {
      await t?.close();
    } catch {
      // already gone
    }
  }
}
