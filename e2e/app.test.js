// The web app end to end: real nginx with nginx.conf serving dist/, Debian's Chromium,
// real full-resolution X-rays. Run by tests/run.sh.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import * as h from "./harness.js";

const TOLERANCE = 1e-4;
let nginx, host, browser, files, reference;
/** Load and classification times, written to target/e2e-timings.json (never asserted). */
const timings = {};

before(async () => {
  h.requireSetup();
  files = h.originals();
  reference = h.cliResults(files);
  nginx = await h.startNginx();
  host = await h.startHostPage(nginx.origin);
  browser = await h.launch();
});

after(async () => {
  await h.closeAll(browser, host, nginx);
  mkdirSync(join(h.ROOT, "target"), { recursive: true });
  writeFileSync(join(h.ROOT, "target", "e2e-timings.json"), JSON.stringify(timings, null, 2) + "\n");
  console.log("e2e timings (ms):", JSON.stringify(timings));
});

/** Asserts the browser's results equal the CLI's for the same files, in order. */
function assertMatchesCli(results, paths) {
  assert.deepEqual(results.map((r) => r.filename), paths.map((p) => basename(p)));
  for (const r of results) {
    const cli = reference[r.filename];
    assert.equal(r.status, cli.status, `${r.filename}: ${r.text}`);
    assert.equal(r.prediction, cli.prediction, r.filename);
    const diff = Math.abs(Number(r.probability) - cli.probability);
    assert.ok(diff <= TOLERANCE, `${r.filename}: browser ${r.probability} vs CLI ${cli.probability}`);
  }
}

/**
 * Requests that left the origins under test, carried a body (an upload) or a query, or
 * asked for anything but the bundle's own files (see harness.js).
 */
const leaks = h.leaks;

test("a dropped full-resolution X-ray gets the CLI's probability, and nothing leaves the page", async () => {
  const { context, log } = await h.watchedContext(browser);
  const page = await context.newPage();
  const start = Date.now();
  await page.goto(`${nginx.origin}/`);
  await h.waitReady(page);
  timings.cold_load_to_ready_ms = Date.now() - start;

  const xray = files.find((f) => f.includes("PNEUMONIA"));
  const dropped = Date.now();
  await h.dropFiles(page, [{ path: xray }]);
  const results = await h.settledResults(page, 1);
  timings.first_file_ms = Date.now() - dropped;
  assertMatchesCli(results, [xray]);
  assert.equal(results[0].path, "wasm");
  // The card shows the worker's thumbnail (src/thumbnail.rs: the model's input at the
  // file's proportions, 224 px on its longer side), not the browser's decoding of the
  // full-resolution file.
  await page.waitForFunction(() => document.querySelector("[data-result] img")?.naturalWidth > 0);
  const shown = await page.locator("[data-result] img").evaluate((img) => [img.naturalWidth, img.naturalHeight]);
  const [width, height] = h.jpegSize(xray);
  assert.ok(Math.max(width, height) > 1000, `${xray} is a full-resolution original`);
  assert.equal(Math.max(...shown), 224, `thumbnail ${shown}`);
  assert.ok(Math.abs(shown[0] / shown[1] - width / height) < 0.02, `thumbnail ${shown} for a file of ${width}x${height}`);
  assert.match(await page.locator("body").innerText(), /not for clinical use/i);
  assert.match(await page.locator("[data-privacy]").innerText(), /never leave/i);
  assert.deepEqual(leaks(log, [nginx.origin]), []);
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("ten files at once, with a text file among them: each gets its own result", async () => {
  const { context, log } = await h.watchedContext(browser);
  const page = await context.newPage();
  await page.goto(`${nginx.origin}/`);
  await h.waitReady(page);
  const ten = files.filter((_, i) => i % 4 === 0).slice(0, 10);
  assert.equal(ten.length, 10);
  const picked = Date.now();
  await page.locator("input[type=file]").first().setInputFiles(ten);
  const results = await h.settledResults(page, 10);
  timings.ten_files_ms = Date.now() - picked;
  assertMatchesCli(results, ten);

  // Then a text file dropped between two X-rays: an error, and the batch goes on.
  const notes = { name: "notes.txt", type: "text/plain", bytes: Buffer.from("patient notes, not an image\n") };
  await h.dropFiles(page, [{ path: ten[0] }, notes, { path: ten[1] }]);
  const all = await h.settledResults(page, 13);
  const [a, bad, b] = all.slice(10);
  assert.equal(bad.filename, "notes.txt");
  assert.equal(bad.status, "error");
  assert.match(bad.text, /text file/i, "the error says what the file is");
  assert.equal(bad.prediction, null);
  assertMatchesCli([a, b], [ten[0], ten[1]]);
  assert.deepEqual(leaks(log, [nginx.origin]), []);
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("a DICOM file without extension gets the CLI's probability and shows its modality", async () => {
  // Written by tests/dicom.rs (write_e2e_fixtures) from a real X-ray: RLE Lossless,
  // 12 bits stored, MONOCHROME1, modality CR, view PA. tests/run.sh sets the folder.
  const fixtures = process.env.PNEUMOSCAN_FIXTURES;
  const dicom = fixtures && join(fixtures, "chest_pa");
  assert.ok(dicom && existsSync(dicom), `PNEUMOSCAN_FIXTURES=${fixtures} must hold chest_pa (see tests/run.sh)`);
  const cli = h.cliResults([dicom]).chest_pa;
  assert.equal(cli.status, "ok", cli.message);

  const { context, log } = await h.watchedContext(browser);
  const page = await context.newPage();
  await page.goto(`${nginx.origin}/`);
  await h.waitReady(page);
  await h.dropFiles(page, [{ path: dicom }]);
  const [result] = await h.settledResults(page, 1);
  assert.equal(result.filename, "chest_pa");
  assert.equal(result.status, "ok", result.text);
  assert.equal(result.prediction, cli.prediction);
  const diff = Math.abs(Number(result.probability) - cli.probability);
  assert.ok(diff <= TOLERANCE, `browser ${result.probability} vs CLI ${cli.probability}`);
  assert.equal(result.path, "wasm");
  const facts = await page.locator("[data-result] [data-dicom]").first().innerText();
  assert.match(facts, /\bCR\b/, "the modality shows");
  assert.match(facts, /\bPA\b/, "the view shows");
  assert.deepEqual(leaks(log, [nginx.origin]), []);
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("JPEG 2000 and JPEG-LS DICOM files (made by GDCM from a real X-ray) get the CLI's probabilities", async () => {
  // Written by tests/codecs.rs (write_e2e_fixtures): 12 bits stored, encoded by gdcmconv.
  const fixtures = process.env.PNEUMOSCAN_FIXTURES;
  const names = ["j2k12.dcm", "jls12.dcm", "raw12.dcm"];
  const paths = names.map((n) => fixtures && join(fixtures, n));
  for (const p of paths) assert.ok(p && existsSync(p), `PNEUMOSCAN_FIXTURES must hold ${p} (see tests/run.sh)`);
  const cli = h.cliResults(paths);

  const { context, log } = await h.watchedContext(browser);
  const page = await context.newPage();
  await page.goto(`${nginx.origin}/`);
  await h.waitReady(page);
  await h.dropFiles(page, paths.map((path) => ({ path })));
  const results = await h.settledResults(page, names.length);
  for (const name of names) {
    const result = results.find((r) => r.filename === name);
    assert.ok(result, `${name} has a result`);
    assert.equal(cli[name].status, "ok", cli[name].message);
    assert.equal(result.status, "ok", result.text);
    const diff = Math.abs(Number(result.probability) - cli[name].probability);
    assert.ok(diff <= TOLERANCE, `${name}: browser ${result.probability} vs CLI ${cli[name].probability}`);
  }
  assert.deepEqual(leaks(log, [nginx.origin]), []);
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("PNG and JPEG need only the first module; the first DICOM fetches the one with every decoder, once, and it then works offline", async () => {
  const fixtures = process.env.PNEUMOSCAN_FIXTURES;
  const dicoms = ["jls12.dcm", "j2k12.dcm"].map((n) => fixtures && join(fixtures, n));
  for (const p of dicoms) assert.ok(p && existsSync(p), `PNEUMOSCAN_FIXTURES must hold ${p} (see tests/run.sh)`);
  const cli = h.cliResults(dicoms);
  const full = /\/pneumoscan_full(_bg)?\.[0-9a-f]{8}\.(wasm|js)$/;
  const fullRequests = (log) => log.requests.map((r) => r.url).filter((url) => full.test(url));

  const { context, log } = await h.watchedContext(browser);
  const page = await context.newPage();
  await page.goto(`${nginx.origin}/`);
  await h.waitReady(page);
  const jpeg = files.slice(0, 2);
  await h.dropFiles(page, jpeg.map((path) => ({ path })));
  assertMatchesCli(await h.settledResults(page, jpeg.length), jpeg);
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.waitForTimeout(500);
  assert.deepEqual(fullRequests(log), [], "JPEG files fetched the second module");

  await h.dropFiles(page, [{ path: dicoms[0] }]);
  let results = await h.settledResults(page, jpeg.length + 1);
  const check = (result, name) => {
    assert.equal(result.status, "ok", result.text);
    const diff = Math.abs(Number(result.probability) - cli[name].probability);
    assert.ok(diff <= TOLERANCE, `${name}: browser ${result.probability} vs CLI ${cli[name].probability}`);
  };
  check(results.find((r) => r.filename === "jls12.dcm"), "jls12.dcm");
  // Fetched by the worker, and at most once more by the service worker keeping it.
  const fetched = fullRequests(log).filter((url) => url.endsWith(".wasm"));
  assert.ok(fetched.length >= 1 && fetched.length <= 2, `second module fetched: ${fetched}`);

  // Cached by the service worker once fetched: it works offline after a reload.
  await page.waitForTimeout(500);
  await context.setOffline(true);
  await page.reload();
  await h.waitReady(page);
  await h.dropFiles(page, [{ path: dicoms[1] }]);
  results = await h.settledResults(page, 1);
  check(results[0], "j2k12.dcm");
  assert.deepEqual(leaks(log, [nginx.origin]), []);
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("the relaxed-SIMD build runs where the browser has relaxed SIMD, the SIMD 128 build where not; only the one in use is downloaded", async () => {
  // Chromium 156 has relaxed SIMD and no flag turns it off, so the browser without it is
  // played by serving a simd.js whose check answers "no" (the worker, the service worker
  // and both wasm builds are the real ones).
  const withoutRelaxedSimd = async (context) => {
    await context.route(/\/simd\.[0-9a-f]{8}\.js$/, async (route) => {
      const response = await route.fetch();
      const body = (await response.text()).replace("WebAssembly.validate(", "false && WebAssembly.validate(");
      await route.fulfill({ response, body });
    });
  };
  const sample = files.slice(0, 4);
  for (const [which, simd, file, setup] of [
    ["relaxed SIMD", "relaxed", /\/pneumoscan_relaxed_bg\.[0-9a-f]{8}\.wasm$/, null],
    ["SIMD 128 only", "simd128", /\/pneumoscan_bg\.[0-9a-f]{8}\.wasm$/, withoutRelaxedSimd],
  ]) {
    const { context, log } = await h.watchedContext(browser);
    await setup?.(context);
    const page = await context.newPage();
    await page.goto(`${nginx.origin}/`);
    await h.waitReady(page);
    assert.equal(await page.locator("[data-model-state]").getAttribute("data-wasm-simd"), simd, which);
    await h.dropFiles(page, sample.map((path) => ({ path })));
    assertMatchesCli(await h.settledResults(page, sample.length), sample);
    // Once the service worker has precached the bundle, every wasm fetched is the one in use.
    await page.evaluate(() => navigator.serviceWorker.ready);
    await page.waitForTimeout(1000);
    const wasm = log.requests.map((r) => r.url).filter((url) => url.endsWith(".wasm"));
    assert.ok(wasm.length >= 1, `${which}: no wasm fetched`);
    assert.deepEqual(wasm.filter((url) => !file.test(url)), [], `${which}: fetched the other build`);
    assert.deepEqual(leaks(log, [nginx.origin]), []);
    assert.deepEqual(log.errors, []);
    await context.close();
  }
});

test("a photo is refused in plain words", async () => {
  const { context, log } = await h.watchedContext(browser);
  const page = await context.newPage();
  await page.goto(`${nginx.origin}/`);
  await h.waitReady(page);
  const photo = join(h.DATA, "ood", "non_xray", "skimage_astronaut.png");
  await h.dropFiles(page, [{ path: photo, type: "image/png" }]);
  const [result] = await h.settledResults(page, 1);
  assert.equal(result.status, "refused");
  assert.match(result.text, /not a chest X-ray/);
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("after the first visit the app loads and classifies offline", async () => {
  const { context, log } = await h.watchedContext(browser);
  const page = await context.newPage();
  await page.goto(`${nginx.origin}/`);
  await h.waitReady(page);
  // The service worker has precached the bundle and the model once it is active.
  await page.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    return registration.active.state;
  });
  await context.setOffline(true);
  const start = Date.now();
  await page.reload();
  await h.waitReady(page);
  timings.offline_reload_to_ready_ms = Date.now() - start;
  const xray = files.find((f) => f.includes("NORMAL"));
  await h.dropFiles(page, [{ path: xray }]);
  assertMatchesCli(await h.settledResults(page, 1), [xray]);
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("a new version is offered with a Reload button, never swapped in mid-use", async () => {
  // A copy of dist/ that can be "redeployed" under the running page.
  const root = mkdtempSync(join(tmpdir(), "pneumoscan-dist-"));
  cpSync(h.DIST, root, { recursive: true });
  const server = await h.startNginx(root);
  const { context, log } = await h.watchedContext(browser);
  try {
    const page = await context.newPage();
    await page.goto(`${server.origin}/`);
    await h.waitReady(page);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    const [oldCache] = await page.evaluate(() => caches.keys());
    assert.match(oldCache, /^pneumoscan-/);
    assert.equal(await page.locator(".update-bar").count(), 0, "no update offered on the first visit");

    // Deploy a new version: a new build writes a new service worker.
    const sw = join(root, "sw.js");
    writeFileSync(sw, readFileSync(sw, "utf8").replace(/const VERSION = "([^"]+)"/, 'const VERSION = "$1-next"'));
    // The precompressed copies are the old version: nginx would send them instead.
    for (const ext of [".gz", ".br"]) rmSync(`${sw}${ext}`, { force: true });
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration()).update());
    const bar = page.locator(".update-bar");
    await bar.waitFor();
    assert.match(await bar.innerText(), /new version/i);
    // Until the user says so, the old version keeps serving the page and classifying.
    const xray = files.find((f) => f.includes("NORMAL"));
    await h.dropFiles(page, [{ path: xray }]);
    assertMatchesCli(await h.settledResults(page, 1), [xray]);
    // The new worker has precached its version and waits; the old one still serves.
    assert.equal(await page.evaluate(async () => !!(await navigator.serviceWorker.getRegistration()).waiting), true);
    assert.ok((await page.evaluate(() => caches.keys())).includes(oldCache));

    await Promise.all([page.waitForEvent("load"), bar.getByRole("button", { name: "Reload" }).click()]);
    await h.waitReady(page);
    assert.deepEqual(await page.evaluate(() => caches.keys()), [`${oldCache}-next`]);
    assert.deepEqual(log.errors, []);
  } finally {
    await h.closeAll(context, server);
    rmSync(root, { recursive: true, force: true });
  }
});

test("the custom element works on a page of another origin", async () => {
  const { context, log } = await h.watchedContext(browser);
  const page = await context.newPage();
  const start = Date.now();
  await page.goto(`${host.origin}/`);
  await h.waitReady(page);
  timings.embed_load_to_ready_ms = Date.now() - start;
  const xray = files.find((f) => f.includes("PNEUMONIA"));
  // Playwright's CSS locators pierce the open shadow root, as an integrator's would not:
  // check that the element really has one.
  assert.equal(await page.evaluate(() => !!document.querySelector("pneumonia-classifier").shadowRoot), true);
  await page.locator("pneumonia-classifier input[type=file]:not([webkitdirectory])").setInputFiles([xray]);
  const results = await h.settledResults(page, 1);
  assertMatchesCli(results, [xray]);
  assert.deepEqual(leaks(log, [host.origin, nginx.origin]), []);
  assert.deepEqual(log.errors, []);
  await context.close();
});

test("without WebAssembly the page falls back to POST /predict and says so", async () => {
  const server = await h.startServer();
  try {
    const { context, log } = await h.watchedContext(browser);
    // A browser without WebAssembly (old, or with it turned off by policy).
    await context.addInitScript(() => delete globalThis.WebAssembly);
    const page = await context.newPage();
    await page.goto(`${server.origin}/`);
    const root = await h.waitReady(page);
    assert.equal(await root.getAttribute("data-path"), "server");
    assert.doesNotMatch(await page.locator("[data-privacy]").innerText(), /never leave/i);
    const xray = files.find((f) => f.includes("PNEUMONIA"));
    await h.dropFiles(page, [{ path: xray }]);
    const results = await h.settledResults(page, 1);
    assertMatchesCli(results, [xray]);
    assert.equal(results[0].path, "server");
    const uploads = log.requests.filter((r) => r.method === "POST");
    assert.deepEqual(uploads.map((r) => new URL(r.url).pathname), ["/predict"]);
    assert.deepEqual(log.errors, []);
    await context.close();
  } finally {
    await h.closeAll(server);
  }
});

test("nginx serves the bundle with the headers the deploy promises", async () => {
  const index = await fetch(`${nginx.origin}/`);
  assert.equal(index.status, 200);
  assert.match(index.headers.get("content-security-policy"), /script-src 'self' 'wasm-unsafe-eval'/);
  assert.equal(index.headers.get("cache-control"), "no-cache");
  assert.equal(index.headers.get("access-control-allow-origin"), null);
  const html = await index.text();
  const wasmName = readFileSync(join(h.DIST, "sw.js"), "utf8").match(/pneumoscan_bg\.[0-9a-f]{8}\.wasm/)[0];
  const wasm = await fetch(`${nginx.origin}/${wasmName}`, { headers: { "accept-encoding": "gzip" } });
  assert.equal(wasm.headers.get("content-type"), "application/wasm");
  assert.match(wasm.headers.get("cache-control"), /immutable/);
  assert.equal(wasm.headers.get("access-control-allow-origin"), "*");
  assert.ok(html.length > 0);
});
