// The two container images end to end, in Debian's Chromium: the app loads from the web
// container (Debian's nginx, nginx.conf, dist/ copied in) and classifies a real X-ray in
// the browser; the same file POSTed to the web container's /predict (nginx -> the api
// container's `pneumoscan serve`) gets the same probability.
//
// The containers are started by tests/containers.sh, which passes the web container's URL
// in PNEUMOSCAN_CONTAINERS_URL. Without it this test is skipped, and says so loudly, so
// that `node --test e2e/` in the normal end-to-end step (no containers) passes.

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import * as h from "./harness.js";

const ORIGIN = process.env.PNEUMOSCAN_CONTAINERS_URL?.replace(/\/+$/, "");
const SKIP = ORIGIN
  ? false
  : "PNEUMOSCAN_CONTAINERS_URL is not set (no web container to test): run `bash tests/containers.sh`, which starts both containers and runs this test";
if (SKIP) console.warn(`\n*** SKIPPED e2e/containers.test.js: ${SKIP} ***\n`);

/** The browser (wasm) and the api container (native) must agree this closely. */
const TOLERANCE = 1e-4;

test(
  "the web container serves the app, a real X-ray is classified in the browser, and /predict through nginx agrees",
  { skip: SKIP, timeout: 180_000 },
  async () => {
    if (!existsSync(join(h.DATA, "originals", "NORMAL"))) {
      throw new Error(`the data set is missing: ${h.DATA}/originals/NORMAL (set PNEUMOSCAN_DATA)`);
    }
    if (!existsSync(h.CHROMIUM)) throw new Error(`${h.CHROMIUM} is missing (apt-get install chromium)`);
    // The first NORMAL original, as tests/containers.sh's curl check uses.
    const xray = h.originals().find((f) => f.includes(`${join("originals", "NORMAL")}`));

    // The api container, through the web container's proxy.
    const form = new FormData();
    form.append("file", new Blob([readFileSync(xray)], { type: "image/jpeg" }), basename(xray));
    const answer = await fetch(`${ORIGIN}/predict`, { method: "POST", body: form });
    assert.equal(answer.status, 200, `POST ${ORIGIN}/predict: ${answer.status}`);
    const server = await answer.json();
    assert.equal(server.status, "ok", JSON.stringify(server).slice(0, 300));

    const browser = await h.launch();
    try {
      const { context, log } = await h.watchedContext(browser);
      const page = await context.newPage();
      const start = Date.now();
      const response = await page.goto(`${ORIGIN}/`);
      assert.equal(response.status(), 200);
      assert.ok(response.headers()["content-security-policy"], "the page comes without a Content-Security-Policy");
      const root = await h.waitReady(page);
      const ready = Date.now() - start;
      assert.equal(await root.getAttribute("data-path"), "wasm");

      const picked = Date.now();
      await page.locator("input[type=file]").first().setInputFiles([xray]);
      const [result] = await h.settledResults(page, 1);
      const classified = Date.now() - picked;

      assert.equal(result.filename, basename(xray));
      assert.equal(result.status, "ok", result.text);
      assert.equal(result.path, "wasm");
      assert.equal(result.prediction, server.prediction);
      const probability = Number(result.probability);
      assert.ok(probability >= 0 && probability <= 1, `probability ${result.probability}`);
      assert.ok(
        Math.abs(probability - server.probability) <= TOLERANCE,
        `browser ${probability} vs api container ${server.probability}`,
      );
      assert.deepEqual(h.leaks(log, [ORIGIN]), [], "requests that left the page");
      assert.deepEqual(log.errors, []);
      console.log(
        `containers e2e: ${basename(xray)} ${result.prediction} p=${probability} ` +
          `(api container ${server.probability}); ready in ${ready} ms, classified in ${classified} ms`,
      );
      await context.close();
    } finally {
      await browser.close();
    }
  },
);
