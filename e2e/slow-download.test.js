// Useful before it finishes: the page against real nginx (nginx.conf, dist/) through a
// small proxy that stalls, cuts off or refuses the model's download. Files dropped while
// the model downloads wait ("waiting for the model"), the page shows bytes received of
// bytes expected, a cut-off download resumes with a Range request and the file then gets
// the CLI's numbers; a download that fails for good gives the waiting files an error
// and "Try again" brings them back. Run by tests/run.sh.
//
// PNEUMOSCAN_SCREENSHOTS=DIR saves the page, in Spanish, while a file waits for the model.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer, request } from "node:http";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import * as h from "./harness.js";
import { CATALOGUES, translator } from "../www/i18n.js";
import { formatBytes } from "../www/model-status.js";

const TOLERANCE = 1e-4;
// The model the browser downloads (its NNEF form, or the ONNX file of older bundles).
const MODEL = /\/pneumonia(\.nnef)?\.[0-9a-f]{8}\.(tar|onnx)$/;
let nginx, proxy, browser, xray, cli;

before(async () => {
  h.requireSetup();
  xray = h.originals().find((f) => f.includes("PNEUMONIA"));
  [cli] = Object.values(h.cliResults([xray]));
  assert.equal(cli.status, "ok", cli.message);
  nginx = await h.startNginx();
  proxy = await startProxy(nginx.origin);
  browser = await h.launch();
});

after(async () => {
  await h.closeAll(browser, proxy, nginx);
});

/**
 * A proxy to `upstream` on another port: every request is passed on as it is, except
 * that `proxy.model`, when set, takes the next request for the model (it is then unset):
 * `(req, res, forward)`, where `forward(req, res, body?)` passes a request on and hands
 * the answer's body to `body(upstreamResponse, res)` instead of piping it. `proxy.log`
 * lists the model's requests: {range, encoding (asked for), status, contentRange}.
 */
async function startProxy(upstream) {
  const state = { log: [], model: null };
  const forward = (req, res, body) => {
    const isModel = MODEL.test(req.url.split("?")[0]);
    const upstreamRequest = request(`${upstream}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      if (isModel) {
        state.log.push({
          range: req.headers.range ?? null,
          encoding: req.headers["accept-encoding"] ?? null,
          status: answer.statusCode,
          contentRange: answer.headers["content-range"] ?? null,
        });
      }
      res.writeHead(answer.statusCode, answer.headers);
      if (body) body(answer, res);
      else answer.pipe(res);
    });
    upstreamRequest.on("error", () => res.destroy());
    req.pipe(upstreamRequest);
  };
  const server = createServer((req, res) => {
    const take = MODEL.test(req.url.split("?")[0]) ? state.model : null;
    if (!take) return forward(req, res);
    state.model = null;
    take(req, res, forward);
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    get log() {
      return state.log;
    },
    set model(handler) {
      state.model = handler;
    },
    reset() {
      state.log = [];
      state.model = null;
    },
    close: () => {
      server.closeAllConnections();
      return new Promise((ok) => server.close(ok));
    },
  };
}

/** A promise and the function that resolves it. */
function gate() {
  let open;
  const opened = new Promise((ok) => {
    open = ok;
  });
  return { opened, open };
}

/** The model status's counts and texts, read at one moment. */
async function modelStatus(page) {
  return page.locator("[data-model-status]").evaluate((el) => ({
    loaded: Number(el.dataset.loaded),
    total: Number(el.dataset.total),
    retries: Number(el.dataset.retries),
    line: el.querySelector(".ps-model-text").textContent,
    bytes: el.querySelector(".ps-model-bytes").textContent,
    tryAgain: !el.querySelector("[data-model-retry]").hidden,
  }));
}

const spaces = (text) => text.replace(/\s+/g, " ");

/** What the page should say of `loaded` bytes of `total`, in `lang`. */
function bytesText(lang, loaded, total) {
  const tr = translator(lang);
  return tr.t("ui.model.bytes", { loaded: formatBytes(lang, loaded, total), total: formatBytes(lang, total) });
}

/** The bytes the page waits for: the model (its card's size) and, where simd.js has sizes, the wasm. */
function expectedTotals(simd) {
  const dist = readdirSync(h.DIST);
  const card = dist.find((f) => /^model\.[0-9a-f]{8}\.json$/.test(f));
  const { nnef, onnx } = JSON.parse(readFileSync(join(h.DIST, card), "utf8"));
  const modelBytes = (nnef ?? onnx).bytes;
  const stem = simd === "relaxed" ? "pneumoscan_relaxed_bg" : "pneumoscan_bg";
  const wasm = dist.find((f) => new RegExp(`^${stem}\\.[0-9a-f]{8}\\.wasm$`).test(f));
  return [modelBytes, modelBytes + statSync(join(h.DIST, wasm)).size];
}

for (const [locale, lang] of [
  ["en-US", "en"],
  ["es-ES", "es"],
]) {
  test(`${locale}: a file dropped while the model downloads waits, the bytes show, and a cut-off download resumes`, async () => {
    const t = CATALOGUES[lang];
    proxy.reset();
    const cut = gate();
    // The first request for the model: a third of the answer, a stall until the test has
    // looked, then the connection drops.
    proxy.model = (req, res, forward) =>
      forward(req, res, (answer, out) => {
        const cutAt = Math.floor(Number(answer.headers["content-length"]) / 3);
        let sent = 0;
        answer.on("data", (chunk) => {
          if (sent >= cutAt) return;
          const part = chunk.subarray(0, cutAt - sent);
          out.write(part);
          sent += part.length;
          if (sent >= cutAt) {
            answer.pause();
            cut.opened.then(() => out.socket?.destroy());
          }
        });
      });
    // Only the worker fetches the model: no service worker precaching it beside.
    const { context, log } = await h.watchedContext(browser, { locale, serviceWorkers: "block" });
    const page = await context.newPage();
    await page.goto(`${proxy.origin}/`);
    const root = page.locator("[data-model-state]");

    // Usable at once: bytes are counting, and a file dropped now waits for the model.
    await page.waitForFunction(() => Number(document.querySelector("[data-model-status]")?.dataset.loaded) > 0);
    await h.dropFiles(page, [{ path: xray }]);
    const card = page.locator("[data-result]");
    await card.waitFor();
    assert.equal(await root.getAttribute("data-model-state"), "loading");
    assert.equal(await card.getAttribute("data-status"), "pending");
    assert.equal(await card.locator(".ps-verdict").innerText(), t["ui.waiting.model"]);
    // Its picture shows at once: the file itself, as there is no worker's thumbnail yet.
    await page.waitForFunction(() => document.querySelector("[data-result] img")?.naturalWidth > 224);

    // Bytes received of bytes expected, as the locale writes them.
    const during = await modelStatus(page);
    assert.ok(during.loaded > 0 && during.loaded < during.total, JSON.stringify(during));
    assert.equal(spaces(during.bytes), spaces(bytesText(lang, during.loaded, during.total)));
    assert.equal(during.line, t["ui.model.loading"]);
    if (process.env.PNEUMOSCAN_SCREENSHOTS && lang === "es") {
      await page.screenshot({ path: join(process.env.PNEUMOSCAN_SCREENSHOTS, "waiting-for-the-model-es.png"), fullPage: true });
    }

    // Cut off: the page says it tries again, and resumes with a range.
    cut.open();
    const retried = await page.waitForFunction(() => {
      const el = document.querySelector("[data-model-status]");
      return Number(el.dataset.retries) >= 1 && el.querySelector(".ps-model-text").textContent;
    });
    assert.equal(await retried.jsonValue(), translator(lang).t("ui.model.retrying", { seconds: 1 }));

    const [result] = await h.settledResults(page, 1);
    assert.equal(result.status, "ok", result.text);
    assert.equal(result.prediction, cli.prediction);
    const diff = Math.abs(Number(result.probability) - cli.probability);
    assert.ok(diff <= TOLERANCE, `browser ${result.probability} vs CLI ${cli.probability}`);
    assert.equal(result.path, "wasm");

    // The first request took the whole file (compressed) and was cut; the second asked
    // for the rest in the file's own bytes and got it: a 206 from nginx.
    const [first, second] = proxy.log;
    assert.equal(first.range, null);
    assert.equal(first.status, 200);
    const from = Number(/^bytes=(\d+)-$/.exec(second?.range ?? "")?.[1]);
    assert.ok(from > 0, `resumed with ${JSON.stringify(second)}`);
    assert.equal(second.status, 206, JSON.stringify(second));
    assert.equal(second.encoding, "identity", "a range is asked for without compression");
    assert.match(second.contentRange, new RegExp(`^bytes ${from}-`));

    // The bytes came to their total: the model (and the wasm, where simd.js has its size).
    const after = await modelStatus(page);
    assert.equal(after.loaded, after.total);
    assert.ok(expectedTotals(await root.getAttribute("data-wasm-simd")).includes(after.total), JSON.stringify(after));
    assert.equal(after.retries, 1);
    assert.equal(after.tryAgain, false);
    assert.deepEqual(h.leaks(log, [proxy.origin]), []);
    assert.deepEqual(log.errors, []);
    await context.close();
  });
}

test("when the model cannot be downloaded, waiting files get an error, and Try again brings them back", async () => {
  const t = CATALOGUES.fr;
  const tr = translator("fr");
  proxy.reset();
  const refuse = gate();
  // The model is missing (a 404 is not retried: waiting will not bring it) once a file waits.
  proxy.model = (req, res) =>
    refuse.opened.then(() => {
      res.writeHead(404, { "content-type": "text/plain", "cache-control": "no-store" });
      res.end("not found");
    });
  const { context, log } = await h.watchedContext(browser, { locale: "fr-FR", serviceWorkers: "block" });
  const page = await context.newPage();
  await page.goto(`${proxy.origin}/`);
  const root = page.locator("[data-model-state]");
  await h.dropFiles(page, [{ path: xray }]);
  const card = page.locator("[data-result]");
  await card.waitFor();
  assert.equal(await card.locator(".ps-verdict").innerText(), t["ui.waiting.model"]);

  refuse.open();
  await page.waitForFunction(() => document.querySelector("[data-model-state]").dataset.modelState === "error");
  // A clear error on the file, in the page's language; not a fallback to the server.
  const [failed] = await h.settledResults(page, 1);
  assert.equal(failed.status, "error");
  assert.equal(failed.code, "download_failed");
  assert.ok(failed.text.includes(tr.problem({ code: "download_failed", params: { detail: "x" } }).text), failed.text);
  assert.equal(await root.getAttribute("data-path"), null, "no server fallback");
  const status = await modelStatus(page);
  assert.equal(status.line, t["ui.model.download_failed"]);
  assert.equal(status.tryAgain, true);

  // Try again: the file waits for the model again, then gets the CLI's numbers.
  const hold = gate();
  proxy.model = (req, res, forward) => hold.opened.then(() => forward(req, res));
  await page.getByRole("button", { name: t["ui.model.try_again"] }).click();
  await page.waitForFunction(() => document.querySelector("[data-result]").dataset.status === "pending");
  assert.equal(await root.getAttribute("data-model-state"), "loading");
  assert.equal(await card.locator(".ps-verdict").innerText(), t["ui.waiting.model"]);
  assert.equal(await card.getAttribute("data-code"), null);
  assert.equal((await modelStatus(page)).tryAgain, false);
  hold.open();
  const [result] = await h.settledResults(page, 1);
  assert.equal(result.status, "ok", result.text);
  assert.ok(Math.abs(Number(result.probability) - cli.probability) <= TOLERANCE, result.probability);
  assert.equal(await page.locator("[data-result]").count(), 1, "the same card, not a new one");
  assert.equal(await page.locator("[data-batch]").getAttribute("data-done"), "1");
  assert.deepEqual(h.leaks(log, [proxy.origin]), []);
  // The 404 itself is the only thing the console may report.
  assert.deepEqual(
    log.errors.filter((e) => !/404/.test(e)),
    [],
  );
  await context.close();
});

test("the embedding example follows the reader's language, and so does the element on it", async () => {
  const { context, log } = await h.watchedContext(browser, { locale: "es-ES" });
  const page = await context.newPage();
  await page.goto(`${nginx.origin}/embed-example.html`);
  await h.waitReady(page);
  const es = CATALOGUES.es;
  assert.equal(await page.evaluate(() => document.documentElement.lang), "es");
  assert.equal(await page.title(), es["example.title"]);
  assert.equal(await page.locator("h1").innerText(), es["example.heading"]);
  // A text with code in it keeps its <code> elements.
  const text = page.locator('[data-i18n="example.element.text"]');
  assert.equal(await text.locator("code").innerText(), "embed.js");
  assert.match(await text.innerText(), /^Cargue embed\.js como módulo/);
  const element = page.locator("pneumonia-classifier");
  assert.equal(await element.getAttribute("lang"), "es");
  assert.equal(await page.locator("pneumonia-classifier [data-model-state]").getAttribute("lang"), "es");
  // The switcher: the page and the element, at once.
  assert.equal(await page.getByLabel(es["ui.language"]).count(), 2, "the page's switcher and the element's, labelled");
  await page.locator("[data-language-select]").selectOption("fr");
  assert.equal(await page.evaluate(() => document.documentElement.lang), "fr");
  assert.equal(await page.locator("h1").innerText(), CATALOGUES.fr["example.heading"]);
  assert.equal(await page.locator("pneumonia-classifier [data-model-state]").getAttribute("lang"), "fr");
  assert.deepEqual(h.leaks(log, [nginx.origin]), []);
  assert.deepEqual(log.errors, []);
  await context.close();
});
